"""Address codecs: one address, lists, pairs and RFC 3442 classless routes."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Any, Final

from ..errors import BadOptionLength
from ..registry import Codec, Malformed
from .common import ValueCache, as_tuple, ip4, lazy_values, packed

if TYPE_CHECKING:
    from .. import values as _v
else:
    _v = lazy_values(globals())


__all__ = [
    "IPV4",
    "IPV4_LIST",
    "AddressPairs",
    "ClasslessRoutesCodec",
    "IPv4Codec",
    "IPv4ListCodec",
]


class IPv4Codec(Codec[IPv4Address]):
    """One IPv4 address (RFC 2132, e.g. options 1, 50, 54)."""

    __slots__ = ()
    min_len = max_len = 4
    concatenates = False
    type_name = "IPv4Address"

    def decode(self, raw: bytes) -> IPv4Address:
        return ip4(raw)

    def encode(self, value: IPv4Address) -> bytes:
        return packed(value)

    def value_decoder(self) -> Callable[[bytes], IPv4Address]:
        return ip4

    def value_encoder(self) -> Callable[[Any], bytes]:
        return packed


class IPv4ListCodec(Codec[tuple[IPv4Address, ...]]):
    """A list of IPv4 addresses, N/4 of them (RFC 2132, e.g. options 3, 6)."""

    multiple = 4
    type_name = "tuple[IPv4Address, ...]"

    def __init__(self, min_count: int = 1):
        self.min_len = 4 * min_count

    def decode(self, raw: bytes) -> tuple[IPv4Address, ...]:
        if len(raw) == 4:
            return (ip4(raw),)
        return tuple([ip4(raw[i:i + 4]) for i in range(0, len(raw), 4)])

    def encode(self, value: tuple[IPv4Address, ...]) -> bytes:
        if type(value) is tuple and len(value) == 1:
            return packed(value[0])
        return b"".join([packed(a) for a in as_tuple(value, "IPv4Address")])

    def value_decoder(self) -> Callable[[bytes], tuple[IPv4Address, ...]]:
        # address lists are configuration (routers, name servers): the same
        # few values in every reply, kept once
        return _ADDRESS_LISTS.__getitem__

    def value_encoder(self) -> Callable[[Any], bytes]:
        minimum = self.min_len // 4
        check = self.check_length

        def encode_list(value: Any) -> bytes:
            if type(value) is not tuple:
                value = as_tuple(value, "IPv4Address")
            if len(value) == 1:
                first = value[0]
                if type(first) is IPv4Address:  # packed(), inlined for the commonest list
                    return first.__int__().to_bytes(4, "big")
                return packed(first)
            if len(value) == 2:
                return packed(value[0]) + packed(value[1])
            if len(value) < minimum:
                raise ValueError(check(4 * len(value)))
            return b"".join([packed(a) for a in value])
        return encode_list

    def __repr__(self) -> str:
        return f"IPv4ListCodec(min_count={self.min_len // 4})"




class AddressPairs(Codec[tuple[tuple[IPv4Address, IPv4Address], ...]]):
    """Pairs of addresses: policy filters (21) and static routes (33), RFC 2132."""

    __slots__ = ()
    min_len = 8
    multiple = 8
    type_name = "tuple[tuple[IPv4Address, IPv4Address], ...]"

    def decode(self, raw: bytes) -> tuple[tuple[IPv4Address, IPv4Address], ...]:
        return tuple([(ip4(raw[i:i + 4]), ip4(raw[i + 4:i + 8])) for i in range(0, len(raw), 8)])

    def encode(self, value: tuple[tuple[IPv4Address, IPv4Address], ...]) -> bytes:
        out = []
        for pair in as_tuple(value, "address pairs"):
            a, b = pair
            out.append(packed(a) + packed(b))
        return b"".join(out)


class ClasslessRoutesCodec(Codec["tuple[_v.ClasslessRoute, ...]"]):
    """Options 121 and 249 (RFC 3442 section 2).

    "The significant portion of the subnet number is the subnet number with
    all trailing zero octets removed ... the number of significant octets is
    the width of the subnet mask divided by eight, rounding up." Each route
    is the mask width, the significant octets, then the router's 4 octets.
    """

    __slots__ = ()
    min_len = 5
    structured = True
    type_name = "tuple[ClasslessRoute, ...]"

    def validate(self, raw: bytes) -> None:
        i, n = 0, len(raw)
        while i < n:
            width = raw[i]
            if width > 32:
                raise Malformed(f"subnet mask width {width} is over 32", i)
            i += 5 + (width + 7) // 8
            if i > n:
                raise Malformed("route descriptor runs past the end", i, BadOptionLength)

    def scanner(self) -> Callable[[bytes], bool]:
        known = _ROUTES.__contains__

        def routes_valid(raw: bytes) -> bool:
            # a value already decoded is valid (its decode validated it)
            return known(raw) or _routes_valid(raw)
        return routes_valid

    def value_decoder(self) -> Callable[[bytes], tuple[_v.ClasslessRoute, ...]]:
        # a network's routes are the same in every reply: kept once
        return _ROUTES.__getitem__

    def value_encoder(self) -> Callable[[Any], bytes]:
        # a network's routes are configuration: the same tuple object in
        # every reply, encoded once. Kept by identity (a route hashes
        # slowly), with the tuple itself, so that its id is not reused;
        # a tuple of frozen routes cannot change.
        encode = super().value_encoder()
        memo = ValueCache(_no_route_made, 256)
        get, remember = memo.get, memo.remember
        route_type = _v.ClasslessRoute

        def encode_routes(value: Any) -> bytes:
            hit = get(id(value))
            if hit is not None and hit[0] is value:
                return hit[1]  # type: ignore[no-any-return]
            raw = encode(value)
            if type(value) is tuple and all(type(r) is route_type for r in value):
                remember(id(value), (value, raw))  # a frozen route cannot change
            return raw
        return encode_routes

    def decode(self, raw: bytes) -> tuple[_v.ClasslessRoute, ...]:
        routes = []
        i, n = 0, len(raw)
        while i < n:
            width = raw[i]
            if width > 32:
                raise Malformed(f"subnet mask width {width} is over 32", i)
            sig = (width + 7) // 8
            end = i + 1 + sig + 4
            if end > n:
                raise Malformed("route descriptor runs past the end", i, BadOptionLength)
            dest = int.from_bytes(raw[i + 1:i + 1 + sig], "big") << (32 - 8 * sig)
            # RFC 3442 section 2: "the DHCP client MUST zero any bits in the
            # subnet number where the corresponding bit in the mask is zero";
            # what was sent is kept beside it when that changed anything.
            zeroed = dest & _MASKS[width]
            sent = None if zeroed == dest else IPv4Address(dest)
            routes.append(_v.ClasslessRoute(_NETWORKS[zeroed, width], ip4(raw[end - 4:end]),
                                            sent))
            i = end
        return tuple(routes)

    def encode(self, value: tuple[_v.ClasslessRoute, ...]) -> bytes:
        route_type = _v.ClasslessRoute
        out = []
        for route in (value if type(value) is tuple else as_tuple(value, "ClasslessRoute")):
            if type(route) is not route_type and not isinstance(route, route_type):
                raise TypeError(f"expected ClasslessRoute, got {type(route).__name__}")
            destination = route.destination
            width = destination.prefixlen
            subnet = destination.network_address.__int__()
            if route.sent is not None:
                sent = int(route.sent)
                if sent & _MASKS[width] != subnet:
                    raise ValueError(f"sent subnet number {route.sent} is not in "
                                     f"{route.destination}")
                subnet = sent
            out.append(_OCTETS[width])
            out.append(subnet.to_bytes(4, "big")[:(width + 7) >> 3])
            out.append(packed(route.router))
        return b"".join(out)


def _no_route_made(key: int) -> Any:
    raise KeyError(key)  # the memo is filled by its encoder alone


def _routes_valid(raw: bytes) -> bool:
    # ClasslessRoutesCodec.validate, answering instead of raising
    i, n = 0, len(raw)
    while i < n:
        width = raw[i]
        if width > 32:
            return False
        i += 5 + (width + 7) // 8
    return i == n


def _address_list(raw: bytes) -> tuple[IPv4Address, ...]:
    return tuple([ip4(raw[i:i + 4]) for i in range(0, len(raw), 4)])


def _network(key: tuple[int, int]) -> IPv4Network:
    return IPv4Network(key)


_OCTETS: Final = tuple(bytes((v,)) for v in range(256))
#: The netmask of each prefix length, as an int.
_MASKS: Final = tuple((0xFFFFFFFF << (32 - width)) & 0xFFFFFFFF for width in range(33))
_ADDRESS_LISTS: Final = ValueCache(_address_list, 4096)
#: (network address, prefix length) -> IPv4Network: building one costs more
#: than the rest of a route (ipaddress parses and checks its arguments).
_NETWORKS: Final = ValueCache(_network, 4096)


#: Shared instances for the table.
IPV4: Final = IPv4Codec()
IPV4_LIST: Final = IPv4ListCodec()
_ROUTES: Final = ValueCache(ClasslessRoutesCodec().decode, 1024)
