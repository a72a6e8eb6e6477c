"""The client's state: one immutable value holding its configuration, state and exchange.

Rules of this module:

* A :class:`ClientState` is a value; :func:`~dhcpwire.client.step` returns a
  new one and never changes the one it was given.
* :func:`next_deadline` derives the next timer from the state alone
  (aioquic's ``get_timer()``): nothing is set or cancelled by commands.
* :meth:`ClientState.to_json` and :meth:`ClientState.from_json` round-trip
  the whole state through plain JSON data.
"""

from __future__ import annotations

import enum
import warnings
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any, Final

from ..wire.decoder import decode
from ..wire.encoder import encode
from ..wire.errors import DhcpwireDeprecationWarning
from ..wire.message import Message
from .config import ClientConfig
from .lease import Lease

__all__ = ["CONFIGURED", "HOLDING", "ClientState", "State", "next_deadline"]


class State(enum.Enum):
    """The client's states: figure 5's eight, and six the figure leaves implicit."""

    #: Not running (before Start, after Stop or RELEASE).
    STOPPED = "STOPPED"
    INIT = "INIT"
    SELECTING = "SELECTING"
    REQUESTING = "REQUESTING"
    #: Waiting for the caller's probe of an ACKed address (RFC 2131 section 4.4.1).
    CHECKING = "CHECKING"
    BOUND = "BOUND"
    RENEWING = "RENEWING"
    REBINDING = "REBINDING"
    INIT_REBOOT = "INIT-REBOOT"
    REBOOTING = "REBOOTING"
    #: DHCPINFORM sent, waiting for the ACK (RFC 2131 section 4.4.3).
    INFORMING = "INFORMING"
    #: Configured by DHCPINFORM's ACK; no lease.
    INFORMED = "INFORMED"
    #: DHCPv4 stopped because an OFFER said IPv6-only is preferred (RFC 8925).
    V6ONLY = "V6ONLY-WAIT"
    #: The link is down; nothing is sent until LinkUp.
    LINK_DOWN = "LINK-DOWN"



#: The states in which the lease's address is configured on the interface.
CONFIGURED: Final = frozenset({State.BOUND, State.RENEWING, State.REBINDING})
#: The states in which a lease's expiry ends it.
HOLDING: Final = CONFIGURED | {State.CHECKING}


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientState:
    """The whole of a client: its configuration, state and exchange in progress.

    Build the first one with ``ClientState(config=...)`` (STOPPED).
    """

    config: ClientConfig
    #: Where the client is in RFC 2131 figure 5.
    phase: State = State.STOPPED
    #: The lease in use (BOUND, RENEWING, REBINDING), being checked (CHECKING),
    #: being verified (INIT-REBOOT, REBOOTING), the parameters of DHCPINFORM
    #: (INFORMED), or the last one held (to suggest its address again).
    lease: Lease | None = None
    #: The transaction of the exchange in progress.
    xid: int = 0
    #: When the exchange began: 'secs' counts from it, and lease times too.
    started_at: float | None = None
    #: 'secs' of the last DISCOVER; the REQUEST of SELECTING repeats it.
    secs: int = 0
    #: Transmissions of the current message so far.
    attempts: int = 0
    retransmit_at: float | None = None
    #: End of a wait: INIT, INIT-REBOOT (first message), V6ONLY-WAIT.
    wake_at: float | None = None
    #: The OFFER being requested (REQUESTING).
    offer: Message | None = None
    #: OFFERs collected in the selection window (SELECTING), and its end.
    offers: tuple[Message, ...] = ()
    window_end: float | None = None
    #: DHCPINFORM: the external address, and the server to ask first.
    inform_address: IPv4Address | None = None
    inform_server: IPv4Address | None = None

    @property
    def name(self) -> State:
        """Deprecated: the state is :attr:`phase` (``name`` is kept for one release)."""
        warnings.warn("ClientState.name is deprecated: use ClientState.phase",
                      DhcpwireDeprecationWarning, stacklevel=2)
        return self.phase

    @property
    def configured(self) -> bool:
        """True when the lease's address is in use on the interface."""
        return self.phase in CONFIGURED

    # -- JSON ----------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Plain JSON-safe data; :meth:`from_json` gives back an equal state.

        Times are on the caller's clock; after a restart of the host pass
        ``shift`` to :meth:`from_json`, or better, start afresh with
        ``Start(lease=saved.lease)`` (the interface lost its address).
        """
        def hexed(m: Message | None) -> str | None:
            return None if m is None else encode(m, max_size=65535).hex()
        def addr(a: IPv4Address | None) -> str | None:
            return None if a is None else str(a)
        return {
            "version": 1,
            "config": self.config.to_json(),
            "phase": self.phase.value,
            "lease": None if self.lease is None else self.lease.to_json(),
            "xid": self.xid,
            "started_at": self.started_at,
            "secs": self.secs,
            "attempts": self.attempts,
            "retransmit_at": self.retransmit_at,
            "wake_at": self.wake_at,
            "offer": hexed(self.offer),
            "offers": [hexed(m) for m in self.offers],
            "window_end": self.window_end,
            "inform_address": addr(self.inform_address),
            "inform_server": addr(self.inform_server),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, shift: float = 0.0) -> ClientState:
        """The state of ``to_json`` data, every time moved by ``shift`` seconds."""
        if data.get("version") != 1:
            raise ValueError(f"unknown client state version {data.get('version')!r}")
        def move(t: float | None) -> float | None:
            return None if t is None else t + shift
        def addr(a: str | None) -> IPv4Address | None:
            return None if a is None else IPv4Address(a)
        def message(h: str | None) -> Message | None:
            return None if h is None else decode(bytes.fromhex(h), strict=False)
        offers = tuple(m for m in (message(h) for h in data["offers"]) if m is not None)
        return cls(
            config=ClientConfig.from_json(data["config"]),
            phase=State(data["phase"] if "phase" in data else data["name"]),
            lease=None if data["lease"] is None else Lease.from_json(data["lease"], shift=shift),
            xid=data["xid"],
            started_at=move(data["started_at"]),
            secs=data["secs"],
            attempts=data["attempts"],
            retransmit_at=move(data["retransmit_at"]),
            wake_at=move(data["wake_at"]),
            offer=message(data["offer"]),
            offers=offers,
            window_end=move(data["window_end"]),
            inform_address=addr(data["inform_address"]),
            inform_server=addr(data["inform_server"]),
        )



def next_deadline(state: ClientState) -> float | None:
    """When to feed :class:`TimerFired` next (the caller's clock), or ``None``.

    Derived from the state alone. It is never earlier than the ``now`` of the
    step that made the state, as long as the caller fires the timer when due.
    """
    phase = state.phase
    lease = state.lease
    if phase in (State.INIT, State.INIT_REBOOT, State.V6ONLY):
        return state.wake_at
    if phase in (State.REQUESTING, State.REBOOTING, State.INFORMING):
        return state.retransmit_at
    if phase is State.SELECTING:
        return earliest(state.retransmit_at, state.window_end)
    if lease is None:
        return None
    if phase is State.CHECKING:
        return lease.expires_at
    if phase is State.BOUND:
        return earliest(lease.renew_at, lease.rebind_at, lease.expires_at)
    if phase is State.RENEWING:
        return earliest(state.retransmit_at, lease.rebind_at, lease.expires_at)
    if phase is State.REBINDING:
        return earliest(state.retransmit_at, lease.expires_at)
    return None


def earliest(*times: float | None) -> float | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def due(at: float | None, now: float) -> bool:
    return at is not None and now >= at

