"""Address codecs: one address, lists, pairs and RFC 3442 classless routes."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Final

from ..errors import BadOptionLength
from ..registry import Codec, Malformed
from .common import as_tuple, ip4, lazy_values, packed

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
            dest = int.from_bytes(raw[i + 1:i + 1 + sig].ljust(4, b"\0"), "big")
            # RFC 3442 section 2: "the DHCP client MUST zero any bits in the
            # subnet number where the corresponding bit in the mask is zero";
            # what was sent is kept beside it when that changed anything.
            net = IPv4Network((dest, width), strict=False)
            sent = None if int(net.network_address) == dest else IPv4Address(dest)
            routes.append(_v.ClasslessRoute(net, ip4(raw[end - 4:end]), sent))
            i = end
        return tuple(routes)

    def encode(self, value: tuple[_v.ClasslessRoute, ...]) -> bytes:
        out = bytearray()
        for route in as_tuple(value, "ClasslessRoute"):
            if not isinstance(route, _v.ClasslessRoute):
                raise TypeError(f"expected ClasslessRoute, got {type(route).__name__}")
            width = route.destination.prefixlen
            subnet = route.destination.network_address
            if route.sent is not None:
                if int(route.sent) & int(route.destination.netmask) != int(subnet):
                    raise ValueError(f"sent subnet number {route.sent} is not in "
                                     f"{route.destination}")
                subnet = route.sent
            out.append(width)
            out += subnet.packed[:(width + 7) // 8]
            out += packed(route.router)
        return bytes(out)


#: Shared instances for the table.
IPV4: Final = IPv4Codec()
IPV4_LIST: Final = IPv4ListCodec()
