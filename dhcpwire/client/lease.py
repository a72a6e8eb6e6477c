"""The lease a client holds: typed configuration and its times (RFC 2131 sections 3.3, 4.4.5).

Rules of this module:

* A :class:`Lease` is a frozen value. The state machine builds it from a
  DHCPACK whose options were all checked when the message arrived
  (:mod:`.replies`); it never reads a peer's option again afterwards.
* Times are relative on the wire and absolute in a lease: ``bound_at`` is
  the caller's clock when the REQUEST that the ACK answers was first sent
  (RFC 2131 section 4.4.1, "the time at which the original request was
  sent"), and ``renew_at``, ``rebind_at``, ``expires_at`` follow from it;
  ``None`` is "never" (RFC 2131 section 3.3: 0xffffffff is "infinity").
* :meth:`Lease.to_json` and :meth:`Lease.from_json` round-trip a lease
  through plain JSON data; anything else given to ``from_json`` raises
  :class:`~dhcpwire.DataError`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any, Final

from ..wire.constants import INFINITE
from ..wire.errors import DataError, DhcpwireError
from ..wire.options import Options
from ..wire.values import ClasslessRoute

__all__ = ["INFINITE", "Lease", "lease_times", "usable_address"]

_EMPTY: Final = Options()
_BROADCAST: Final = IPv4Address("255.255.255.255")


def usable_address(address: IPv4Address) -> bool:
    """An address a host may take: not 0, broadcast, multicast, loopback or class E."""
    return not (address.is_unspecified or address == _BROADCAST or address.is_multicast
                or address.is_loopback or address.is_reserved)


def lease_times(lease_time: int, t1: int | None, t2: int | None
                ) -> tuple[float | None, float | None] | str:
    """(T1, T2) in seconds (``None``: never) for a lease, or why it is unusable.

    RFC 2131 section 4.4.5: "T1 MUST be earlier than T2, which, in turn,
    MUST be earlier than the time at which the client's lease will expire."
    "T1 defaults to (0.5 * duration_of_lease). T2 defaults to (0.875 *
    duration_of_lease)." A server's T2 that is not below the lease, or T1 not
    below T2, is replaced by the default; a default T1 that would not be
    below a server's short T2 keeps the defaults' ratio (T2 x 4/7).
    """
    if lease_time == 0:
        return "a lease time of 0 seconds"
    infinite = lease_time == INFINITE
    rebind: float | None
    renew: float | None
    if t2 is not None and 0 < t2 != INFINITE and (infinite or t2 < lease_time):
        rebind = float(t2)
    else:
        rebind = None if infinite else 0.875 * lease_time
    if t1 is not None and 0 < t1 != INFINITE and (rebind is None or t1 < rebind):
        renew = float(t1)
    elif infinite:
        renew = None
    else:
        renew = 0.5 * lease_time
        if rebind is not None and renew >= rebind:
            renew = rebind * 4 / 7
    return renew, rebind


@dataclass(frozen=True, slots=True, kw_only=True)
class Lease:
    """A lease (or, after DHCPINFORM, a configuration without one), ready to apply.

    Addresses are ``IPv4Address``; ``routes`` follow RFC 3442 (option 121
    when present, in place of options 3 and 33; else option 33 with classful
    masks); a route whose router is 0.0.0.0 is on-link. ``options`` holds
    every well-formed option of the ACK for anything not typed here.
    """

    address: IPv4Address
    server_identifier: IPv4Address | None = None
    subnet_mask: IPv4Address | None = None
    broadcast_address: IPv4Address | None = None
    routers: tuple[IPv4Address, ...] = ()
    routes: tuple[ClasslessRoute, ...] = ()
    dns_servers: tuple[IPv4Address, ...] = ()
    domain_name: str | None = None
    domain_search: tuple[str, ...] = ()
    ntp_servers: tuple[IPv4Address, ...] = ()
    mtu: int | None = None
    #: Option 51 in seconds (0xFFFFFFFF: infinite); ``None`` after DHCPINFORM.
    lease_time: int | None = None
    #: T1 and T2 as used, in seconds after ``bound_at``; ``None``: never.
    renewal_time: float | None = None
    rebinding_time: float | None = None
    #: The caller's clock when the REQUEST (or, with rapid commit, the
    #: DISCOVER) that the ACK answers was first sent; the times count from it.
    bound_at: float = 0.0
    renew_at: float | None = None
    rebind_at: float | None = None
    expires_at: float | None = None
    #: The well-formed options of the ACK.
    options: Options = _EMPTY
    #: RFC 6704 Forcerenew nonce from the server, and the last replay
    #: detection value accepted from it.
    nonce: bytes | None = None
    replay: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.address, IPv4Address):
            object.__setattr__(self, "address", IPv4Address(self.address))
        times = [t for t in (self.bound_at, self.renew_at, self.rebind_at, self.expires_at)
                 if t is not None]
        for t in times:
            if isinstance(t, bool) or not isinstance(t, (int, float)):
                raise TypeError(f"lease times are numbers, not {type(t).__name__}")
            if not math.isfinite(t):
                raise ValueError("lease times must be finite")
        if times[1:] != sorted(times[1:]):
            raise ValueError("lease times must satisfy renew_at <= rebind_at <= expires_at")

    @property
    def held(self) -> bool:
        """True for a lease (it has a lease time and a server); False for the
        configuration a DHCPINFORM brought."""
        return self.lease_time is not None and self.server_identifier is not None

    def shifted(self, seconds: float) -> Lease:
        """The same lease on a clock ``seconds`` ahead (after a restart)."""
        def move(t: float | None) -> float | None:
            return None if t is None else t + seconds
        return dataclasses.replace(
            self, bound_at=self.bound_at + seconds, renew_at=move(self.renew_at),
            rebind_at=move(self.rebind_at), expires_at=move(self.expires_at))

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    # -- JSON ------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Plain JSON-safe data; ``from_json`` gives back an equal lease."""
        def addr(a: IPv4Address | None) -> str | None:
            return None if a is None else str(a)
        return {
            "address": str(self.address),
            "server_identifier": addr(self.server_identifier),
            "subnet_mask": addr(self.subnet_mask),
            "broadcast_address": addr(self.broadcast_address),
            "routers": [str(a) for a in self.routers],
            "routes": [[str(r.destination), str(r.router)] for r in self.routes],
            "dns_servers": [str(a) for a in self.dns_servers],
            "domain_name": self.domain_name,
            "domain_search": list(self.domain_search),
            "ntp_servers": [str(a) for a in self.ntp_servers],
            "mtu": self.mtu,
            "lease_time": self.lease_time,
            "renewal_time": self.renewal_time,
            "rebinding_time": self.rebinding_time,
            "bound_at": self.bound_at,
            "renew_at": self.renew_at,
            "rebind_at": self.rebind_at,
            "expires_at": self.expires_at,
            "options": [[code, value.hex()] for code, value in self.options.raw_items()],
            "nonce": None if self.nonce is None else self.nonce.hex(),
            "replay": self.replay,
        }

    @classmethod
    def from_json(cls, data: Any, *, shift: float = 0.0) -> Lease:
        """The lease of ``to_json`` data, its times moved by ``shift`` seconds.

        Raises :class:`~dhcpwire.DataError` for data that is not a lease
        (missing or mistyped keys, bad addresses, malformed options).
        """
        if not isinstance(data, dict):
            raise DataError(f"a lease is a JSON object, not {type(data).__name__}")
        try:
            lease = cls(**_lease_arguments(data))
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise DataError(f"lease: {type(exc).__name__}: {exc}") from exc
        return lease.shifted(shift) if shift else lease


def _addr(text: Any) -> IPv4Address | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError(f"an address is text, not {type(text).__name__}")
    return IPv4Address(text)


def _addrs(items: Any) -> tuple[IPv4Address, ...]:
    if any(not isinstance(a, str) for a in items):
        raise TypeError("a list of addresses holds text only")
    return tuple(IPv4Address(a) for a in items)


def _int(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"expected an integer, not {type(value).__name__}")
    return value


def _float(value: Any) -> float | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise TypeError(f"expected a number, not {type(value).__name__}")
    return None if value is None else float(value)


def _text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"expected text, not {type(value).__name__}")
    return value


def _options(items: Any) -> Options:
    raw = [(int(code), bytes.fromhex(value)) for code, value in items]
    options = Options.from_raw(raw)
    for code, _ in raw:
        try:
            options[code]
        except DhcpwireError as exc:
            raise DataError(f"lease: option {code} is malformed: {exc}") from exc
    return options


def _lease_arguments(data: dict[str, Any]) -> dict[str, Any]:
    bound_at = _float(data["bound_at"])
    nonce = _text(data["nonce"])
    return {
        "address": _addr(data["address"]),
        "server_identifier": _addr(data["server_identifier"]),
        "subnet_mask": _addr(data["subnet_mask"]),
        "broadcast_address": _addr(data["broadcast_address"]),
        "routers": _addrs(data["routers"]),
        "routes": tuple(ClasslessRoute(IPv4Network(d), IPv4Address(r))
                        for d, r in data["routes"]),
        "dns_servers": _addrs(data["dns_servers"]),
        "domain_name": _text(data["domain_name"]),
        "domain_search": tuple(str(_text(n)) for n in data["domain_search"]),
        "ntp_servers": _addrs(data["ntp_servers"]),
        "mtu": _int(data["mtu"]),
        "lease_time": _int(data["lease_time"]),
        "renewal_time": _float(data["renewal_time"]),
        "rebinding_time": _float(data["rebinding_time"]),
        "bound_at": 0.0 if bound_at is None else bound_at,
        "renew_at": _float(data["renew_at"]),
        "rebind_at": _float(data["rebind_at"]),
        "expires_at": _float(data["expires_at"]),
        "options": _options(data["options"]),
        "nonce": None if nonce is None else bytes.fromhex(nonce),
        "replay": _int(data["replay"]),
    }
