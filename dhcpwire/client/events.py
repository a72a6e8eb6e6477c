"""The inputs of the client machine: facts the caller reports."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from ..wire.message import Message
from .lease import Lease, usable_address

__all__ = ["Event", "InformRequested", "LinkDown", "LinkUp", "MessageReceived", "ProbeResult",
           "ReleaseRequested", "RenewRequested", "Start", "Stop", "TimerFired"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Start:
    """Start the client: fresh (INIT), or with a remembered lease (INIT-REBOOT).

    Without ``lease``, a lease remembered in the state (from before a Stop,
    or a saved state) is used.
    """

    lease: Lease | None = None

    def __post_init__(self) -> None:
        if self.lease is None:
            return
        if not isinstance(self.lease, Lease):
            raise TypeError(f"lease must be a Lease, not {type(self.lease).__name__}")
        if self.lease.lease_time is None:
            raise ValueError("a DHCPINFORM configuration is not a lease to reboot with")
        if self.lease.server_identifier is None:
            raise ValueError("a lease to reboot with needs its server identifier")


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceived:
    """A DHCP message arrived on the client port (decoded by the caller)."""

    message: Message

    def __post_init__(self) -> None:
        if not isinstance(self.message, Message):
            raise TypeError(f"message must be a Message, not {type(self.message).__name__}")


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired:
    """The deadline of :func:`next_deadline` has come."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """The outcome of the :class:`Probe` the client asked for."""

    conflict: bool

    def __post_init__(self) -> None:
        if not isinstance(self.conflict, bool):
            raise TypeError(f"conflict must be a bool, not {type(self.conflict).__name__}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRequested:
    """Give the lease back (RFC 2131 section 4.4.6)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RenewRequested:
    """Renew now, before T1 (RFC 2131 section 4.4.5: "A client MAY choose to
    renew or extend its lease prior to T1")."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InformRequested:
    """Ask for parameters for an externally configured ``address`` (DHCPINFORM).

    ``server``: a known server to unicast to first (RFC 2131 section 4.4.3).
    """

    address: IPv4Address
    server: IPv4Address | None = None

    def __post_init__(self) -> None:
        for name in ("address", "server"):
            value = getattr(self, name)
            absent = name == "server" and value is None
            wrong = not isinstance(value, (IPv4Address, str, int)) or isinstance(value, bool)
            if wrong and not absent:
                raise TypeError(f"{name} must be an IPv4Address, not {type(value).__name__}")
        if not isinstance(self.address, IPv4Address):
            object.__setattr__(self, "address", IPv4Address(self.address))
        if self.server is not None and not isinstance(self.server, IPv4Address):
            object.__setattr__(self, "server", IPv4Address(self.server))
        if not usable_address(self.address):
            raise ValueError(f"{self.address} is not a host address")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkDown:
    """The link went down: stop sending and drop the address until LinkUp."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkUp:
    """The link came back: verify the lease (INIT-REBOOT) or start afresh."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop:
    """Stop the client, keeping the lease in the state (no RELEASE)."""



#: Every input of :func:`~dhcpwire.client.step`.
Event = (Start | MessageReceived | TimerFired | ProbeResult | ReleaseRequested | RenewRequested
         | InformRequested | LinkDown | LinkUp | Stop)
