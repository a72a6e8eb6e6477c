"""The lease a client holds: typed configuration and its times (RFC 2131 sections 3.3, 4.4.5).

Rules of this module:

* A :class:`Lease` is built from a DHCPACK by :func:`lease_from_ack`, which
  either returns the lease or the reason the ACK cannot give one; the
  reason becomes a ``Discard`` in the state machine.
* Times are relative on the wire and absolute in a lease: ``bound_at`` is
  the caller's clock at the start of the exchange, and ``renew_at``,
  ``rebind_at``, ``expires_at`` follow from it; ``None`` is "never"
  (RFC 2131 section 3.3: 0xffffffff is "infinity").
* Options read from a peer may be malformed (a lenient decode keeps raw
  bytes): every typed read here checks the type and treats a bad value as
  absent, so nothing a server sends can raise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from ..wire import codes
from ..wire.constants import INFINITE
from ..wire.errors import DhcpwireError
from ..wire.message import Message
from ..wire.options import Options
from ..wire.values import ClasslessRoute

__all__ = ["INFINITE", "Lease", "lease_from_ack", "lease_from_inform", "lease_times",
           "server_identifier", "usable_address"]


_EMPTY = Options()
_BROADCAST = IPv4Address("255.255.255.255")


# -- typed reads that never raise ------------------------------------------------

def option(options: Options, code: int) -> Any:
    """The typed value of ``code``, or ``None`` when absent or malformed."""
    if code not in options:
        return None
    try:
        return options[code]
    except DhcpwireError:
        return None


def _address(options: Options, code: int) -> IPv4Address | None:
    value = option(options, code)
    return value if isinstance(value, IPv4Address) else None


def _addresses(options: Options, code: int) -> tuple[IPv4Address, ...]:
    value = option(options, code)
    if isinstance(value, tuple) and all(isinstance(a, IPv4Address) for a in value):
        return value
    return ()


def _int(options: Options, code: int) -> int | None:
    value = option(options, code)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(options: Options, code: int) -> str | None:
    value = option(options, code)
    return value if isinstance(value, str) else None


def _names(options: Options, code: int) -> tuple[str, ...]:
    value = option(options, code)
    if isinstance(value, tuple) and all(isinstance(n, str) for n in value):
        return value
    return ()


def usable_address(address: IPv4Address) -> bool:
    """An address a host may take: not 0, broadcast, multicast, loopback or class E."""
    return not (address.is_unspecified or address == _BROADCAST or address.is_multicast
                or address.is_loopback or address.is_reserved)


def server_identifier(options: Options) -> IPv4Address | None:
    """Option 54 when it is an address a client can send to, else ``None``.

    RFC 2131 section 4.1: "DHCP clients MUST use the IP address provided in
    the 'server identifier' option for any unicast requests to the DHCP
    server", so 0.0.0.0, broadcast or multicast there counts as no server
    identifier at all.
    """
    value = _address(options, codes.SERVER_IDENTIFIER)
    return value if value is not None and usable_address(value) else None


def _classful(destination: IPv4Address) -> IPv4Network:
    # Option 33 has no masks: "it is assumed that the subnet mask is implicit
    # in whatever network number is specified" (RFC 3442, introduction), i.e.
    # the class of the address; host bits beyond it make a host route.
    first = int(destination) >> 24
    width = 8 if first < 128 else 16 if first < 192 else 24 if first < 224 else 32
    net = IPv4Network((int(destination), width), strict=False)
    if net.network_address != destination:
        return IPv4Network((int(destination), 32))
    return net


def _routes(options: Options) -> tuple[tuple[IPv4Address, ...], tuple[ClasslessRoute, ...]]:
    """(routers, routes) by RFC 3442's rules for options 121, 3 and 33."""
    classless = option(options, codes.CLASSLESS_STATIC_ROUTE)
    if isinstance(classless, tuple) and all(isinstance(r, ClasslessRoute) for r in classless):
        # RFC 3442: "If the DHCP server returns both a Classless Static Routes
        # option and a Router option, the DHCP client MUST ignore the Router
        # option. Similarly, ... MUST ignore the Static Routes option."
        # "the DHCP client MUST zero any bits in the subnet number where the
        # corresponding bit in the mask is zero" (the codec's IPv4Network does).
        return (), classless
    routers = _addresses(options, codes.ROUTER)
    pairs = option(options, codes.STATIC_ROUTE)
    routes: list[ClasslessRoute] = []
    if isinstance(pairs, tuple):
        for pair in pairs:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                continue
            dest, router = pair
            # RFC 2132 section 5.8: "The default route (0.0.0.0) is an illegal
            # destination for a static route."
            if isinstance(dest, IPv4Address) and isinstance(router, IPv4Address) and int(dest):
                routes.append(ClasslessRoute(_classful(dest), router))
    return routers, tuple(routes)


# -- times -----------------------------------------------------------------------

def lease_times(lease_time: int | None, t1: int | None, t2: int | None
                ) -> tuple[float | None, float | None] | str:
    """(T1, T2) in seconds (``None``: never) for a lease, or why it is unusable.

    RFC 2131 section 4.4.5: "T1 MUST be earlier than T2, which, in turn,
    MUST be earlier than the time at which the client's lease will expire."
    "T1 defaults to (0.5 * duration_of_lease). T2 defaults to (0.875 *
    duration_of_lease)." A server's T2 that is not below the lease, or T1 not
    below T2, is replaced by the default; a default T1 that would not be
    below a server's short T2 keeps the defaults' ratio (T2 x 4/7).
    """
    if lease_time is None:
        # RFC 2131 table 3: 'IP address lease time' is MUST in a DHCPACK
        # to a DHCPREQUEST.
        return "no lease time (option 51)"
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
    every option of the ACK for anything not typed here.
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
    #: The caller's clock when the exchange that got the lease began.
    bound_at: float = 0.0
    renew_at: float | None = None
    rebind_at: float | None = None
    expires_at: float | None = None
    #: All options of the ACK.
    options: Options = _EMPTY
    #: RFC 6704 Forcerenew nonce from the server, and the last replay
    #: detection value accepted from it.
    nonce: bytes | None = None
    replay: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.address, IPv4Address):
            object.__setattr__(self, "address", IPv4Address(self.address))
        times = [t for t in (self.renew_at, self.rebind_at, self.expires_at) if t is not None]
        if times != sorted(times):
            raise ValueError("lease times must satisfy renew_at <= rebind_at <= expires_at")

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
    def from_json(cls, data: dict[str, Any], *, shift: float = 0.0) -> Lease:
        """The lease of ``to_json`` data, its times moved by ``shift`` seconds."""
        def addr(a: str | None) -> IPv4Address | None:
            return None if a is None else IPv4Address(a)
        lease = cls(
            address=IPv4Address(data["address"]),
            server_identifier=addr(data["server_identifier"]),
            subnet_mask=addr(data["subnet_mask"]),
            broadcast_address=addr(data["broadcast_address"]),
            routers=tuple(IPv4Address(a) for a in data["routers"]),
            routes=tuple(ClasslessRoute(IPv4Network(d), IPv4Address(r))
                         for d, r in data["routes"]),
            dns_servers=tuple(IPv4Address(a) for a in data["dns_servers"]),
            domain_name=data["domain_name"],
            domain_search=tuple(data["domain_search"]),
            ntp_servers=tuple(IPv4Address(a) for a in data["ntp_servers"]),
            mtu=data["mtu"],
            lease_time=data["lease_time"],
            renewal_time=data["renewal_time"],
            rebinding_time=data["rebinding_time"],
            bound_at=data["bound_at"],
            renew_at=data["renew_at"],
            rebind_at=data["rebind_at"],
            expires_at=data["expires_at"],
            options=Options.from_raw([(c, bytes.fromhex(v)) for c, v in data["options"]]),
            nonce=None if data["nonce"] is None else bytes.fromhex(data["nonce"]),
            replay=data["replay"],
        )
        return lease.shifted(shift) if shift else lease


def _parameters(options: Options) -> dict[str, Any]:
    routers, routes = _routes(options)
    return {
        "subnet_mask": _address(options, codes.SUBNET_MASK),
        "broadcast_address": _address(options, codes.BROADCAST_ADDRESS),
        "routers": routers,
        "routes": routes,
        "dns_servers": _addresses(options, codes.DOMAIN_NAME_SERVER),
        "domain_name": _text(options, codes.DOMAIN_NAME),
        "domain_search": _names(options, codes.DOMAIN_SEARCH),
        "ntp_servers": _addresses(options, codes.NTP_SERVERS),
        "mtu": _int(options, codes.INTERFACE_MTU),
        "options": options,
    }


def lease_from_ack(ack: Message, *, bound_at: float,
                   server: IPv4Address | None = None) -> Lease | str:
    """The lease an ACK to a DISCOVER (rapid commit) or REQUEST gives, or why it gives none.

    ``bound_at`` is when the exchange began: RFC 2131 section 4.4.1, "The
    client records the lease expiration time as the sum of the time at which
    the original request was sent and the duration of the lease from the
    DHCPACK message." ``server`` is the server identifier to assume when the
    ACK has none (the selected server).
    """
    address = ack.yiaddr
    if not usable_address(address):
        return f"yiaddr {address} is not an address a host can use"
    opts = ack.options
    times = lease_times(_int(opts, codes.IP_ADDRESS_LEASE_TIME),
                        _int(opts, codes.RENEWAL_TIME), _int(opts, codes.REBINDING_TIME))
    if isinstance(times, str):
        return times
    renew, rebind = times
    lease_time = _int(opts, codes.IP_ADDRESS_LEASE_TIME)
    assert lease_time is not None
    sid = server_identifier(opts) or server
    return Lease(
        address=address,
        server_identifier=sid,
        lease_time=lease_time,
        renewal_time=renew,
        rebinding_time=rebind,
        bound_at=bound_at,
        renew_at=None if renew is None else bound_at + renew,
        rebind_at=None if rebind is None else bound_at + rebind,
        expires_at=None if lease_time == INFINITE else bound_at + lease_time,
        **_parameters(opts),
    )


def lease_from_inform(ack: Message, *, address: IPv4Address, bound_at: float) -> Lease:
    """The configuration an ACK to a DHCPINFORM gives: parameters for
    ``address`` (the client's own, externally configured), and no lease times
    (RFC 2131 section 3.4: the server answers "without ... including lease
    time parameters"; any it sends are ignored)."""
    return Lease(
        address=address,
        server_identifier=server_identifier(ack.options),
        bound_at=bound_at,
        **_parameters(ack.options),
    )
