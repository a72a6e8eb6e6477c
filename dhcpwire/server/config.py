"""The server's configuration, and its compiled form: subnets, pools, reservations.

Rules of this module:

* The public classes (:class:`ServerConfig`, :class:`Subnet`,
  :class:`Reservation`) are frozen, slotted, keyword-only dataclasses,
  validated and normalised in ``__post_init__``: a bad configuration raises
  ``ValueError`` or ``TypeError`` when it is built, never while serving.
* A :class:`ServerConfig` compiles itself once into a :class:`Plan`: address
  arithmetic on ints, the dynamic ranges of each subnet with exclusions and
  reserved addresses cut out, lookup tables (address -> subnet, interface ->
  subnet, client -> reservation), and the option value bytes of every
  subnet, so answering a message does no configuration work.
* No step of the plan scans a pool: membership is a bisection over a
  subnet's ranges, subnet lookup is one dict probe per distinct prefix
  length, and the fresh-address cursor only moves forward.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Any, Final

from ..wire.codes import (
    AUTHENTICATION,
    CLASSLESS_STATIC_ROUTE,
    CLIENT_IDENTIFIER,
    DOMAIN_NAME,
    DOMAIN_NAME_SERVER,
    DOMAIN_SEARCH,
    FORCERENEW_NONCE_CAPABLE,
    INTERFACE_MTU,
    IP_ADDRESS_LEASE_TIME,
    MAXIMUM_MESSAGE_SIZE,
    MESSAGE_TYPE,
    NTP_SERVERS,
    OPTION_OVERLOAD,
    PARAMETER_REQUEST_LIST,
    RAPID_COMMIT,
    REBINDING_TIME,
    RELAY_AGENT_INFORMATION,
    RENEWAL_TIME,
    REQUESTED_IP_ADDRESS,
    ROUTER,
    SERVER_IDENTIFIER,
    STATIC_ROUTE,
    SUBNET_MASK,
    SUBNET_SELECTION,
)
from ..wire.constants import INFINITE
from ..wire.options import Options
from ..wire.registry import Registry
from ..wire.table import DEFAULT_REGISTRY
from ..wire.values import ClasslessRoute, ClientIdentifier

__all__ = ["INFINITE", "Plan", "Reservation", "ServerConfig", "Subnet", "SubnetPlan"]

#: RFC 2131 section 3.3: "The time value of 0xffffffff is reserved to
#: represent 'infinity'." A lease time of this value never expires.

#: Options the server writes itself, from the protocol: configuring one is an error.
PROTOCOL_OPTIONS: Final = frozenset({
    0, 255, REQUESTED_IP_ADDRESS, IP_ADDRESS_LEASE_TIME, OPTION_OVERLOAD, MESSAGE_TYPE,
    SERVER_IDENTIFIER, PARAMETER_REQUEST_LIST, MAXIMUM_MESSAGE_SIZE, RENEWAL_TIME,
    REBINDING_TIME, CLIENT_IDENTIFIER, RAPID_COMMIT, RELAY_AGENT_INFORMATION,
    SUBNET_SELECTION, FORCERENEW_NONCE_CAPABLE, AUTHENTICATION,
})

#: What the constructors accept where they store an address, a range, text:
#: they normalise it (the fields hold IPv4Address, tuples of ranges, bytes).
AddressLike = IPv4Address | str | int
RangeLike = AddressLike | tuple[AddressLike, AddressLike]
OptionsLike = Options | Mapping[int, Any]
#: The default of an ``options`` argument, for the signatures checkers see (none).
NO_OPTIONS: Final = Options()


def _address(name: str, value: object) -> IPv4Address:
    if isinstance(value, IPv4Address):
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return IPv4Address(value)
    raise TypeError(f"{name} must be an IPv4Address, not {type(value).__name__}")


def _addresses(name: str, values: object) -> tuple[IPv4Address, ...]:
    if isinstance(values, (IPv4Address, str, int)):
        values = (values,)
    if not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a tuple of addresses")
    return tuple(_address(name, v) for v in values)


def _range(name: str, value: object) -> tuple[IPv4Address, IPv4Address]:
    """An inclusive range from ``(first, last)``, ``"first-last"`` or a single address."""
    if isinstance(value, str) and "-" in value:
        first, _, last = value.partition("-")
        value = (first.strip(), last.strip())
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(f"{name}: a range is (first, last), not {value!r}")
        lo, hi = _address(name, value[0]), _address(name, value[1])
    else:
        lo = hi = _address(name, value)
    if hi < lo:
        raise ValueError(f"{name}: range {lo}-{hi} ends before it starts")
    return lo, hi


def _ranges(name: str, values: object) -> tuple[tuple[IPv4Address, IPv4Address], ...]:
    if isinstance(values, (str, IPv4Address, int)):
        values = (values,)
    if not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a tuple of ranges")
    return tuple(_range(name, v) for v in values)


def _options(name: str, values: object, registry: Registry | None) -> Options:
    """Options from a mapping (through ``registry``), checked for protocol codes.

    An :class:`Options` keeps its own registry when ``registry`` is ``None``.
    """
    if isinstance(values, Options):
        opts = values if registry is None or values.registry is registry else Options(
            {c: values[c] for c in values}, registry=registry)
    elif isinstance(values, Mapping):
        opts = Options(values, registry=registry)
    else:
        raise TypeError(f"{name} must be a mapping of option code to value")
    bad = sorted(set(opts) & PROTOCOL_OPTIONS)
    if bad:
        raise ValueError(f"{name}: options {bad} are written by the server itself, "
                         "from the protocol, and cannot be configured")
    return opts


def _no_nul_text(name: str, value: object, size: int) -> bytes:
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
    elif isinstance(value, bytes):
        data = value
    else:
        raise TypeError(f"{name} must be str or bytes")
    if len(data) > size or data.endswith(b"\0"):
        raise ValueError(f"{name} must be at most {size} octets, without trailing NULs")
    return data


_set = object.__setattr__


@dataclass(frozen=True, slots=True, kw_only=True)
class Subnet:
    """One IP subnet the server assigns addresses on.

    ``pools`` are inclusive address ranges (``("192.0.2.10", "192.0.2.200")``
    or ``"192.0.2.10-192.0.2.200"``) inside ``network``; ``excluded``
    addresses or ranges are never handed out, and neither are the network
    and broadcast addresses, the server's own address on the subnet and the
    routers. The typed fields are the usual options; ``options`` holds any
    other option by its registry code (and may not repeat a typed field).

    ``interface`` names the server interface this subnet is directly
    attached to (messages that arrive there without a relay belong to it);
    subnets with the same ``link`` name share one network segment (a
    "shared network": RFC 3527's "subnet on the same link"), and a request
    from one may be served from another's pool.
    """

    network: IPv4Network
    pools: tuple[tuple[IPv4Address, IPv4Address], ...] = ()
    excluded: tuple[tuple[IPv4Address, IPv4Address], ...] = ()
    router: tuple[IPv4Address, ...] = ()
    dns_servers: tuple[IPv4Address, ...] = ()
    domain_name: str | None = None
    domain_search: tuple[str, ...] = ()
    classless_routes: tuple[ClasslessRoute, ...] = ()
    mtu: int | None = None
    ntp_servers: tuple[IPv4Address, ...] = ()
    options: Options = field(default_factory=lambda: Options())
    interface: str | None = None
    link: str | None = None
    #: the server's address on this subnet, sent as option 54 (RFC 2131 section 4.1:
    #: the server "SHOULD select the IP address the server is using for
    #: communication on that subnet"); ``None``: the configuration's.
    server_identifier: IPv4Address | None = None
    #: 'siaddr' ("IP address of next bootstrap server"), 'file' and 'sname' of OFFER/ACK.
    next_server: IPv4Address | None = None
    boot_file: bytes = b""
    server_name: bytes = b""

    if TYPE_CHECKING:
        # What a checker sees: the forms __post_init__ normalises. (At run time
        # the dataclass makes __init__; tests/server/test_config_types.py keeps
        # this signature in step with the fields.)
        def __init__(
            self, *, network: IPv4Network | str,
            pools: Iterable[RangeLike] | RangeLike = (),
            excluded: Iterable[RangeLike] | RangeLike = (),
            router: Iterable[AddressLike] | AddressLike = (),
            dns_servers: Iterable[AddressLike] | AddressLike = (),
            domain_name: str | None = None, domain_search: Iterable[str] | str = (),
            classless_routes: Iterable[ClasslessRoute] = (), mtu: int | None = None,
            ntp_servers: Iterable[AddressLike] | AddressLike = (),
            options: OptionsLike = NO_OPTIONS, interface: str | None = None,
            link: str | None = None,
            server_identifier: AddressLike | None = None,
            next_server: AddressLike | None = None, boot_file: bytes | str = b"",
            server_name: bytes | str = b"",
        ) -> None: ...

    def __post_init__(self) -> None:
        net = self.network
        if not isinstance(net, IPv4Network):
            if not isinstance(net, str):
                raise TypeError("network must be an IPv4Network or a string like '192.0.2.0/24'")
            net = IPv4Network(net)
            _set(self, "network", net)
        _set(self, "pools", _ranges("pools", self.pools))
        _set(self, "excluded", _ranges("excluded", self.excluded))
        for lo, hi in self.pools:
            if lo not in net or hi not in net:
                raise ValueError(f"pool {lo}-{hi} is not inside {net}")
        _set(self, "router", _addresses("router", self.router))
        _set(self, "dns_servers", _addresses("dns_servers", self.dns_servers))
        _set(self, "ntp_servers", _addresses("ntp_servers", self.ntp_servers))
        if isinstance(self.domain_search, str):
            _set(self, "domain_search", (self.domain_search,))
        _set(self, "domain_search", tuple(self.domain_search))
        _set(self, "classless_routes", tuple(self.classless_routes))
        _set(self, "options", _options("options", self.options,
                                       None if isinstance(self.options, Options)
                                       else DEFAULT_REGISTRY))
        if self.server_identifier is not None:
            _set(self, "server_identifier",
                 _address("server_identifier", self.server_identifier))
        if self.next_server is not None:
            _set(self, "next_server", _address("next_server", self.next_server))
        _set(self, "boot_file", _no_nul_text("boot_file", self.boot_file, 128))
        _set(self, "server_name", _no_nul_text("server_name", self.server_name, 64))
        if self.mtu is not None and (type(self.mtu) is not int or not 68 <= self.mtu <= 0xFFFF):
            raise ValueError("mtu must be an int from 68 to 65535 (RFC 2132 section 5.1)")

    def typed_options(self) -> dict[int, Any]:
        """The typed fields as option code -> value (only those that are set)."""
        out: dict[int, Any] = {SUBNET_MASK: self.network.netmask}
        table: tuple[tuple[int, Any], ...] = (
            (ROUTER, self.router), (DOMAIN_NAME_SERVER, self.dns_servers),
            (DOMAIN_NAME, self.domain_name), (DOMAIN_SEARCH, self.domain_search),
            (CLASSLESS_STATIC_ROUTE, self.classless_routes), (INTERFACE_MTU, self.mtu),
            (NTP_SERVERS, self.ntp_servers))
        for code, value in table:
            if value:
                out[code] = value
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Reservation:
    """A fixed address for one client, named by client identifier or hardware address.

    RFC 2131 section 4.2: "If the client supplies a 'client identifier', ...
    the server MUST use that identifier to identify the client." A
    reservation by ``client_id`` (option 61's value) matches that client; one
    by ``hardware_address`` matches 'chaddr' (with 'htype'), whether or not
    the client also sends an identifier. ``options`` are per-client options
    (RFC 2131 section 4.3.1: "Any parameters specific to this client").
    """

    address: IPv4Address
    hardware_address: bytes | None = None
    htype: int = 1
    client_id: bytes | None = None
    options: Options = field(default_factory=lambda: Options())

    if TYPE_CHECKING:
        def __init__(
            self, *, address: AddressLike, hardware_address: bytes | str | None = None,
            htype: int = 1, client_id: bytes | ClientIdentifier | None = None,
            options: OptionsLike = NO_OPTIONS,
        ) -> None: ...

    def __post_init__(self) -> None:
        _set(self, "address", _address("address", self.address))
        hw = self.hardware_address
        if isinstance(hw, str):
            hw = bytes.fromhex(hw.replace(":", "").replace("-", ""))
            _set(self, "hardware_address", hw)
        if hw is not None and (not isinstance(hw, bytes) or not 0 < len(hw) <= 16):
            raise ValueError("hardware_address must be 1 to 16 octets")
        cid = self.client_id
        if isinstance(cid, ClientIdentifier):
            cid = bytes((cid.type,)) + cid.data
            _set(self, "client_id", cid)
        if cid is not None and (not isinstance(cid, bytes) or len(cid) < 2):
            raise ValueError("client_id must be option 61's value: at least 2 octets "
                             "(RFC 2132 section 9.14)")
        if hw is None and cid is None:
            raise ValueError("a reservation names its client by hardware_address or client_id")
        if type(self.htype) is not int or not 0 <= self.htype <= 255:
            raise ValueError("htype must be 0-255")
        _set(self, "options", _options("options", self.options,
                                       None if isinstance(self.options, Options)
                                       else DEFAULT_REGISTRY))

    def keys(self) -> tuple[str, ...]:
        """The client keys (see :func:`client_key`) this reservation matches."""
        out = []
        if self.client_id is not None:
            out.append(id_key(self.client_id))
        if self.hardware_address is not None:
            out.append(hw_key(self.htype, self.hardware_address))
        return tuple(out)


def id_key(client_id: bytes) -> str:
    """The client key of a client that sends option 61 with value ``client_id``."""
    return "id:" + client_id.hex()


def hw_key(htype: int, hwaddr: bytes) -> str:
    """The client key of a client without option 61: its 'htype' and 'chaddr'."""
    return f"hw:{htype}:{hwaddr.hex(':')}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    """Everything the server decides by: identity, subnets, lease policy, switches.

    Lease times are whole seconds; ``offer_time`` and ``decline_time`` are
    seconds on the caller's clock (the ``now`` of every call). A lease time
    of ``INFINITE`` (0xffffffff) never expires (RFC 2131 section 3.3).
    """

    server_identifier: IPv4Address
    subnets: tuple[Subnet, ...]
    reservations: tuple[Reservation, ...] = ()
    #: options for every subnet (a subnet's own values win).
    options: Options = field(default_factory=lambda: Options())
    default_lease_time: int = 43200
    min_lease_time: int = 60
    max_lease_time: int = 7 * 86400
    #: T1 and T2 as fractions of the lease (RFC 2131 section 4.4.5: "T1
    #: defaults to (0.5 * duration_of_lease). T2 defaults to (0.875 * duration_of_lease)").
    renewal_fraction: float = 0.5
    rebinding_fraction: float = 0.875
    #: how long an offered address is held for the client (RFC 2131 section
    #: 4.3.1: "the server SHOULD NOT reuse the selected network address
    #: before the client responds to the server's DHCPOFFER message").
    offer_time: float = 60.0
    #: how long a declined address stays out of use (RFC 2131 section 4.3.3).
    decline_time: float = 86400.0
    #: NAK requests about clients and addresses this server knows nothing
    #: about, instead of staying silent (RFC 2131 section 4.3.2).
    authoritative: bool = False
    #: answer a DISCOVER that carries option 80 with a committed ACK (RFC 4039).
    rapid_commit: bool = False
    #: serve BOOTP clients (RFC 1534: "MUST default this optional configuration to OFF").
    bootp: bool = False
    #: RFC 6704 Forcerenew nonce authentication: offer option 145 to clients
    #: that send it, and give them a nonce in the DHCPACK, with which
    #: :func:`~dhcpwire.server.forcerenew` signs. Needs an ``rng`` in ``handle``.
    forcerenew_nonce: bool = False
    #: honour option 118 (RFC 3011 section 6: servers "MUST by default disable use of the feature").
    subnet_selection: bool = False
    #: honour the relay's link-selection sub-option 82.5 (RFC 3527).
    link_selection: bool = True
    #: honour the relay's server-identifier-override sub-option 82.11 (RFC 5107).
    server_id_override: bool = True
    #: options sent even when the client's parameter request list does not ask for them.
    always_send: tuple[int, ...] = (SUBNET_MASK,)
    registry: Registry = DEFAULT_REGISTRY
    _plan: Plan = field(init=False, repr=False, compare=False)

    if TYPE_CHECKING:
        def __init__(
            self, *, server_identifier: AddressLike, subnets: Iterable[Subnet] | Subnet,
            reservations: Iterable[Reservation] = (), options: OptionsLike = NO_OPTIONS,
            default_lease_time: int = 43200, min_lease_time: int = 60,
            max_lease_time: int = 7 * 86400, renewal_fraction: float = 0.5,
            rebinding_fraction: float = 0.875, offer_time: float = 60.0,
            decline_time: float = 86400.0, authoritative: bool = False,
            rapid_commit: bool = False, bootp: bool = False, forcerenew_nonce: bool = False,
            subnet_selection: bool = False, link_selection: bool = True,
            server_id_override: bool = True, always_send: Iterable[int] = (SUBNET_MASK,),
            registry: Registry = DEFAULT_REGISTRY,
        ) -> None: ...

    def __post_init__(self) -> None:
        _set(self, "server_identifier", _address("server_identifier", self.server_identifier))
        if isinstance(self.subnets, Subnet):
            _set(self, "subnets", (self.subnets,))
        _set(self, "subnets", tuple(self.subnets))
        _set(self, "reservations", tuple(self.reservations))
        if not self.subnets:
            raise ValueError("a server needs at least one subnet")
        for s in self.subnets:
            if not isinstance(s, Subnet):
                raise TypeError("subnets must be Subnet values")
        for r in self.reservations:
            if not isinstance(r, Reservation):
                raise TypeError("reservations must be Reservation values")
        _set(self, "options", _options("options", self.options, self.registry))
        for name in ("default_lease_time", "min_lease_time", "max_lease_time"):
            value = getattr(self, name)
            if type(value) is not int or not 1 <= value <= INFINITE:
                raise ValueError(f"{name} must be an int from 1 to 0xffffffff seconds")
        if not self.min_lease_time <= self.default_lease_time <= self.max_lease_time:
            raise ValueError("lease times must satisfy min <= default <= max")
        if not 0 < self.renewal_fraction < self.rebinding_fraction < 1:
            raise ValueError("need 0 < renewal_fraction < rebinding_fraction < 1 "
                             "(RFC 2131 section 4.4.5: T1 < T2 < lease)")
        for name in ("offer_time", "decline_time"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValueError(f"{name} must be a positive number of seconds")
        _set(self, "always_send", tuple(self.always_send))
        _set(self, "_plan", Plan(self))


# -- the compiled plan --------------------------------------------------------------

def _carve(ranges: list[tuple[int, int]],
           holes: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``ranges`` (inclusive int pairs) less ``holes``, sorted and merged."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    for hlo, hhi in sorted(holes):
        out: list[tuple[int, int]] = []
        for lo, hi in merged:
            if hhi < lo or hlo > hi:
                out.append((lo, hi))
                continue
            if lo < hlo:
                out.append((lo, hlo - 1))
            if hhi < hi:
                out.append((hhi + 1, hi))
        merged = out
    return merged


class OptionPlan:
    """The option value bytes one subnet (and possibly one reservation) gives clients.

    ``select(prl)`` is the list of (code, bytes) a reply carries for a
    parameter request list, memoised per distinct list (clients of one
    kind send the same list); ``choose(prl)`` gives their codes too.
    """

    __slots__ = ("_always", "_cache", "values")

    _CACHE_MAX: Final = 512

    def __init__(self, values: dict[int, bytes], always: tuple[int, ...]) -> None:
        self.values: dict[int, bytes] = values
        self._always = always
        self._cache: dict[bytes | None, tuple[tuple[tuple[int, bytes], ...],
                                              tuple[int, ...]]] = {}

    def select(self, prl: bytes | None) -> tuple[tuple[int, bytes], ...]:
        """The (code, value bytes) a reply carries for the parameter request list ``prl``."""
        return self.choose(prl)[0]

    def choose(self, prl: bytes | None,
               ) -> tuple[tuple[tuple[int, bytes], ...], tuple[int, ...]]:
        """:meth:`select`'s pairs, and their codes."""
        hit = self._cache.get(prl)
        if hit is not None:
            return hit
        values = self.values
        if prl is None:
            # RFC 2131 section 4.3.1: with no list, the parameters "with
            # non-default values on the client's subnet" -- every configured one.
            codes = list(values)
        else:
            # RFC 2131 section 4.3.1: "The server MUST supply as many of the
            # requested parameters as possible and MUST omit any parameters it
            # cannot provide. The server MUST include each requested parameter
            # only once".
            codes = []
            for code in (*prl, *self._always):
                if code in values and code not in codes:
                    codes.append(code)
            # RFC 3442: "When a DHCP client requests the Classless Static
            # Routes option and also requests either or both of the Router
            # option and the Static Routes option, and the DHCP server is
            # sending Classless Static Routes options to that client, the
            # server SHOULD NOT include the Router or Static Routes options."
            if CLASSLESS_STATIC_ROUTE in codes and CLASSLESS_STATIC_ROUTE in prl:
                codes = [c for c in codes if c not in (ROUTER, STATIC_ROUTE)]
        out = (tuple((c, values[c]) for c in codes), tuple(codes))
        if len(self._cache) >= self._CACHE_MAX:
            self._cache.clear()
        self._cache[prl] = out
        return out


class SubnetPlan:
    """One subnet, compiled: ints, dynamic ranges, server identity, option bytes."""

    __slots__ = ("broadcast", "file", "index", "link", "mask", "net", "next_server",
                 "options", "range_his", "range_los", "ranges", "server_id", "server_id_raw",
                 "size", "sname", "subnet")

    def __init__(self, index: int, subnet: Subnet, config: ServerConfig,
                 reserved: Iterable[int]) -> None:
        self.index: int = index
        self.subnet: Subnet = subnet
        net = subnet.network
        self.net: int = int(net.network_address)
        self.mask: int = int(net.netmask)
        self.broadcast: int = int(net.broadcast_address)
        sid = subnet.server_identifier or config.server_identifier
        self.server_id: IPv4Address = sid
        self.server_id_raw: bytes = sid.packed
        holes = [(int(lo), int(hi)) for lo, hi in subnet.excluded]
        holes += [(a, a) for a in reserved]
        holes += [(int(r), int(r)) for r in subnet.router]
        holes.append((int(sid), int(sid)))
        if net.prefixlen <= 30:
            holes += [(self.net, self.net), (self.broadcast, self.broadcast)]
        self.ranges: tuple[tuple[int, int], ...] = tuple(
            _carve([(int(lo), int(hi)) for lo, hi in subnet.pools], holes))
        self.range_los: list[int] = [lo for lo, _ in self.ranges]
        self.range_his: list[int] = [hi for _, hi in self.ranges]
        self.size: int = sum(hi - lo + 1 for lo, hi in self.ranges)
        self.link: tuple[int, ...] = (index,)
        values: dict[int, bytes] = {}
        for code in config.options:
            values[code] = config.options.raw(code)
        typed = Options(subnet.typed_options(), registry=config.registry)
        clash = sorted((set(subnet.typed_options()) - {SUBNET_MASK}) & set(subnet.options))
        if clash:
            raise ValueError(f"subnet {net}: options {clash} are set both as fields and in options")
        for code in typed:
            values[code] = typed.raw(code)
        for code in subnet.options:
            values[code] = subnet.options.raw(code)
        self.options: OptionPlan = OptionPlan(values, config.always_send)
        self.next_server: IPv4Address | None = subnet.next_server
        self.file: bytes = subnet.boot_file
        self.sname: bytes = subnet.server_name

    def contains(self, address: int) -> bool:
        return address & self.mask == self.net

    def in_pool(self, address: int) -> bool:
        """Whether ``address`` is one the subnet hands out dynamically (O(log ranges))."""
        i = bisect_right(self.range_los, address) - 1
        return i >= 0 and address <= self.range_his[i]

    def next_fresh(self, cursor: tuple[int, int], taken: Mapping[int, object],
                   ) -> tuple[int | None, tuple[int, int]]:
        """The first address at or after ``cursor`` that ``taken`` does not hold.

        Returns it (``None`` when the ranges are used up) and the cursor after
        it. The cursor only moves forward, so over a server's life each
        address of the pool is passed once: O(1) amortised per allocation.
        """
        ri, a = cursor
        ranges = self.ranges
        n = len(ranges)
        while ri < n:
            lo, hi = ranges[ri]
            if a < lo:
                a = lo
            while a <= hi:
                if a not in taken:
                    return a, (ri, a + 1)
                a += 1
            ri += 1
        return None, (n, 0)


class ReservationPlan:
    """One reservation, compiled: its address, subnet and the options its client gets."""

    __slots__ = ("address", "keys", "options", "reservation", "subnet")

    def __init__(self, reservation: Reservation, subnet: SubnetPlan, config: ServerConfig) -> None:
        self.reservation: Reservation = reservation
        self.address: int = int(reservation.address)
        self.subnet: int = subnet.index
        self.keys: frozenset[str] = frozenset(reservation.keys())
        values = dict(subnet.options.values)
        opts = reservation.options
        if opts.registry is not config.registry:
            opts = Options({c: opts[c] for c in opts}, registry=config.registry)
        for code in opts:
            values[code] = opts.raw(code)
        self.options: OptionPlan = OptionPlan(values, config.always_send)


class Plan:
    """A :class:`ServerConfig` compiled for answering messages."""

    __slots__ = ("by_interface", "by_key", "by_prefix", "config", "reserved", "server_ids",
                 "subnets", "times")

    def __init__(self, config: ServerConfig) -> None:
        self.config: ServerConfig = config
        #: lease time -> the value bytes of options 51, 58 and 59 (memoised by the replies)
        self.times: dict[int, tuple[tuple[int, bytes], ...]] = {}
        networks = [s.network for s in config.subnets]
        for i, a in enumerate(networks):
            for b in networks[i + 1:]:
                if a.overlaps(b):
                    raise ValueError(f"subnets {a} and {b} overlap")
        prefixes: dict[int, dict[int, int]] = {}
        for i, net in enumerate(networks):
            prefixes.setdefault(net.prefixlen, {})[int(net.network_address)] = i
        # longest prefix first: the most specific subnet wins
        self.by_prefix: tuple[tuple[int, dict[int, int]], ...] = tuple(
            ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF, table)
            for plen, table in sorted(prefixes.items(), reverse=True))
        reserved_in: dict[int, list[int]] = {}
        for r in config.reservations:
            idx = self._lookup(int(r.address))
            if idx is None:
                raise ValueError(f"reserved address {r.address} is in no configured subnet")
            reserved_in.setdefault(idx, []).append(int(r.address))
        self.subnets: tuple[SubnetPlan, ...] = tuple(
            SubnetPlan(i, s, config, reserved_in.get(i, ())) for i, s in enumerate(config.subnets))
        links: dict[str, list[int]] = {}
        for plan in self.subnets:
            if plan.subnet.link is not None:
                links.setdefault(plan.subnet.link, []).append(plan.index)
        for plan in self.subnets:
            members = links.get(plan.subnet.link, []) if plan.subnet.link is not None else []
            plan.link = (plan.index, *(m for m in members if m != plan.index))
        self.by_interface: dict[str, int] = {}
        for plan in self.subnets:
            name = plan.subnet.interface
            if name is not None:
                self.by_interface.setdefault(name, plan.index)
        self.by_key: dict[str, ReservationPlan] = {}
        self.reserved: dict[int, ReservationPlan] = {}
        for r in config.reservations:
            address = int(r.address)
            if address in self.reserved:
                raise ValueError(f"address {r.address} is reserved twice")
            rp = ReservationPlan(r, self.subnets[self._lookup(address) or 0], config)
            self.reserved[address] = rp
            for key in rp.keys:
                if key in self.by_key:
                    raise ValueError(f"client {key} has two reservations")
                self.by_key[key] = rp
        self.server_ids: frozenset[int] = frozenset({int(config.server_identifier)}
                                    | {int(p.server_id) for p in self.subnets})

    def _lookup(self, address: int) -> int | None:
        for mask, table in self.by_prefix:
            idx = table.get(address & mask)
            if idx is not None:
                return idx
        return None

    def subnet_of(self, address: int) -> SubnetPlan | None:
        """The subnet whose network contains ``address``, if any."""
        for mask, table in self.by_prefix:
            idx = table.get(address & mask)
            if idx is not None:
                return self.subnets[idx]
        return None

    def dynamic(self, address: int) -> SubnetPlan | None:
        """The subnet that hands ``address`` out dynamically, if any does."""
        plan = self.subnet_of(address)
        if plan is not None and plan.in_pool(address):
            return plan
        return None
