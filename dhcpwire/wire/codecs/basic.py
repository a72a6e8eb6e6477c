"""The basic value formats: integers, text and bytes, addresses, and what every codec shares.

Rules of this module:

* Decoded address objects are shared through a bounded cache (:func:`ip4`),
  since a server sees the same few thousand addresses again and again; the
  codecs keep other immutable values that real traffic repeats in caches
  of the same kind (:class:`ValueCache`).
* The value classes of structured options (:mod:`dhcpwire.wire.values`, a
  dozen dataclasses that take ~4 ms to create) are imported on first use:
  each codec module binds ``_v`` to :func:`lazy_values`, which puts the real
  module in its place on first attribute access, so ``import dhcpwire``
  stays fast for tools that never type them.
* One module for the formats most options use, so that ``import dhcpwire``
  loads few modules; the domain names, the structured values and the
  sub-option spaces have modules of their own.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Any, Final

from ..constants import MessageType
from ..errors import BadOptionLength
from ..registry import Codec, Malformed

__all__ = [
    "IPV4",
    "IPV4_LIST",
    "TEXT",
    "ZERO_ADDRESS",
    "AddressPairs",
    "BoolCodec",
    "BytesCodec",
    "ClasslessRoutesCodec",
    "EmptyCodec",
    "IPv4Codec",
    "IPv4ListCodec",
    "IntCodec",
    "IntListCodec",
    "ListOfCodec",
    "MessageTypeCodec",
    "StructCodec",
    "TaggedCodec",
    "TextCodec",
    "ValueCache",
    "as_tuple",
    "empty_caches",
    "ip4",
    "lazy_values",
    "packed",
    "raise_length",
]


# -- what every codec shares: the address cache, argument checks, lazy value classes ------

class _LazyValues:
    """Stands in for :mod:`dhcpwire.wire.values` in one module's globals until a
    codec there first needs it, then puts the module itself in its place."""

    __slots__ = ("_namespace",)

    def __init__(self, namespace: dict[str, Any]) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> Any:
        import dhcpwire.wire.values as values

        self._namespace["_v"] = values
        return getattr(values, name)


def lazy_values(namespace: dict[str, Any]) -> Any:
    """A stand-in for the values module, to bind to ``_v`` in ``namespace``."""
    return _LazyValues(namespace)


class ValueCache(dict[Any, Any]):
    """A bounded cache of immutable typed values by their wire bytes: reading
    a value that is in it is one C-level dict lookup (``cache.get`` or
    ``cache[key]``, :meth:`__missing__` making what is not there yet).

    For values that real traffic repeats -- addresses, address lists,
    routes, search lists: a server's configuration, seen by every client
    and in every reply -- and that are immutable, so that sharing one is
    invisible. Cleared when full, so memory stays bounded whatever a peer
    sends.
    """

    __slots__ = ("_keep", "_make", "_size")

    def __init__(self, make: Callable[[Any], Any], size: int,
                 keep: dict[Any, Any] | None = None) -> None:
        super().__init__(keep or ())
        self._make = make
        self._size = size
        self._keep = keep
        _CACHES.append(self)

    def empty(self) -> None:
        """Forget every value (but the kept ones)."""
        self.clear()
        if self._keep:
            self.update(self._keep)

    def __missing__(self, key: Any) -> Any:
        if len(self) >= self._size:
            self.empty()
        value = self[key] = self._make(key)
        return value

    def remember(self, key: Any, value: Any) -> None:
        """Keep ``value`` for ``key`` (a memo filled by its user, not by ``make``)."""
        if len(self) >= self._size:
            self.empty()
        self[key] = value


#: Every ValueCache made, for :func:`empty_caches`.
_CACHES: list[ValueCache] = []


def empty_caches() -> None:
    """Empty every cache of typed values and encodings (the benchmarks' cold
    runs measure what a value costs the first time it is seen)."""
    for cache in _CACHES:
        cache.empty()


def _new_address(packed: bytes) -> IPv4Address:
    # IPv4Address(int) skips the checks of a bytes argument; 4 octets from
    # the decoder are always in range. (No private attribute is touched.)
    return IPv4Address(_from_bytes(packed, "big"))


_from_bytes = int.from_bytes
#: 0.0.0.0, the value of every unset address field: decoded ones are this
#: object too, so that the encoder knows them by identity.
ZERO_ADDRESS: Final = IPv4Address(0)
_IP_CACHE: Final = ValueCache(_new_address, 1 << 16, {bytes(4): ZERO_ADDRESS})
#: The :class:`IPv4Address` for 4 packed octets, from a bounded cache.
ip4: Final[Callable[[bytes], IPv4Address]] = _IP_CACHE.__getitem__


def packed(value: Any) -> bytes:
    if type(value) is IPv4Address:
        # int(address) is a plain read of the address's integer; .packed is a
        # slower property over the same conversion.
        return value.__int__().to_bytes(4, "big")
    if isinstance(value, IPv4Address):
        return value.packed
    if isinstance(value, str):
        return IPv4Address(value).packed
    raise TypeError(f"expected an IPv4Address, got {type(value).__name__}")


def as_tuple(value: Any, what: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"expected a tuple of {what}, got {type(value).__name__}")
    return tuple(value)



def raise_length(codec: Codec[Any], n: int) -> None:
    """Raise :class:`Malformed` when ``n`` octets break ``codec``'s length rule."""
    why = codec.check_length(n)
    if why is not None:
        raise Malformed(why, 0, BadOptionLength)


if TYPE_CHECKING:
    from .. import values as _v
else:
    _v = lazy_values(globals())


# -- numbers: integers, flags, message types, integer lists, fixed records ------------------

def _pack(size: int, value: int) -> bytes:
    return value.to_bytes(size, "big")


#: Every one-octet value: the bytes of each octet, and back.
_OCTETS: Final = tuple(bytes((v,)) for v in range(256))
_U8_VALUES: Final = {raw: raw[0] for raw in _OCTETS}
#: RFC 2132 section 4.1: a flag is 0 or 1; the only two valid values.
_FLAGS: Final = {b"\x00": False, b"\x01": True}
#: Option 53's value by its octet: the named types at once, the others (made
#: by MessageType on demand) when first met.
_MESSAGE_TYPES: Final = ValueCache(lambda raw: MessageType(raw[0]), 512,
                                   {_OCTETS[t]: t for t in MessageType})



class IntCodec(Codec[int]):
    """An unsigned (or signed) big-endian integer of 1, 2 or 4 octets (RFC 2132)."""

    concatenates = False
    type_name = "int"

    def __init__(self, size: int, *, signed: bool = False, min_value: int | None = None):
        self.size = size
        self.signed = signed
        # a lower bound (e.g. RFC 2132 9.10: "The minimum legal value is 576")
        # is part of the format: strict decoding checks it too
        self.structured: bool = min_value is not None
        fmt = {1: "b", 2: "h", 4: "i"}[size]
        self._struct = struct.Struct("!" + (fmt if signed else fmt.upper()))
        self.min_len: int = size
        self.max_len: int | None = self.min_len
        self.min_value = min_value

    def validate(self, raw: bytes) -> None:
        value = int.from_bytes(raw, "big", signed=self.signed)
        if self.min_value is not None and value < self.min_value:
            raise Malformed(f"{value} is below the minimum legal value {self.min_value}")

    def decode(self, raw: bytes) -> int:
        return int.from_bytes(raw, "big", signed=self.signed)

    def encode(self, value: int) -> bytes:
        if not isinstance(value, int):
            raise TypeError(f"expected an int, got {type(value).__name__}")
        if self.min_value is not None and value < self.min_value:
            raise ValueError(f"{value} is below the minimum {self.min_value}")
        try:
            return self._struct.pack(value)
        except struct.error:
            raise ValueError(f"{value} does not fit in {self.size} octets") from None

    def scanner(self) -> Callable[[bytes], bool] | None:
        if self.min_value is None:
            return None
        if self.signed:
            return super().scanner()
        # big-endian octets of one length compare as the numbers they are
        return _pack(self.size, self.min_value).__le__

    def value_decoder(self) -> Callable[[bytes], int]:
        if self.size == 1 and not self.signed:
            return _U8_VALUES.__getitem__
        signed = self.signed

        def decode_int(raw: bytes) -> int:
            return _from_bytes(raw, "big", signed=signed)
        return decode_int

    def value_encoder(self) -> Callable[[Any], bytes]:
        pack, minimum = self._struct.pack, self.min_value
        if minimum is None:
            # struct takes ints (and bools, and IntEnums) and raises
            # struct.error for anything else or out of range
            return pack
        size = self.size

        def encode_int(value: Any) -> bytes:
            if type(value) is not int and not isinstance(value, int):
                raise TypeError(f"expected an int, got {type(value).__name__}")
            if value < minimum:
                raise ValueError(f"{value} is below the minimum {minimum}")
            try:
                return pack(value)
            except struct.error:
                raise ValueError(f"{value!r} does not fit in {size} octets") from None
        return encode_int

    def __repr__(self) -> str:
        return f"IntCodec({self.size}{', signed=True' if self.signed else ''})"



class BoolCodec(Codec[bool]):
    """A one-octet flag, 0 or 1 (RFC 2132, e.g. option 19).

    RFC 2132 section 4.1: "A value of 0 means disable IP forwarding, and a
    value of 1 means enable IP forwarding" (and likewise for every flag):
    any other octet is no bool, so strict decoding rejects it and lenient
    decoding keeps it raw, rather than reading 2 as True and writing back 1.
    """

    __slots__ = ()
    min_len = 1
    max_len: int | None = 1
    concatenates = False
    structured = True
    type_name = "bool"

    def validate(self, raw: bytes) -> None:
        if raw[0] > 1:
            raise Malformed(f"{raw[0]} is neither 0 (false) nor 1 (true)")

    def decode(self, raw: bytes) -> bool:
        if raw[0] > 1:
            raise Malformed(f"{raw[0]} is neither 0 (false) nor 1 (true)")
        return raw[0] == 1

    def encode(self, value: bool) -> bytes:
        if not isinstance(value, bool):
            raise TypeError(f"expected a bool, got {type(value).__name__}")
        return b"\x01" if value else b"\x00"

    def scanner(self) -> Callable[[bytes], bool]:
        return _FLAGS.__contains__

    def value_decoder(self) -> Callable[[bytes], bool]:
        return _FLAGS.__getitem__

    def value_encoder(self) -> Callable[[Any], bytes]:
        return self.encode


class EmptyCodec(Codec[bool]):
    """A zero-length option whose presence is the value (rapid commit, RFC 4039)."""

    __slots__ = ()
    min_len = 0
    max_len: int | None = 0
    concatenates = False
    type_name = "bool"

    def decode(self, raw: bytes) -> bool:
        return True

    def encode(self, value: bool) -> bytes:
        if value is not True:
            raise ValueError("a zero-length option's only value is True")
        return b""

    def value_encoder(self) -> Callable[[Any], bytes]:
        return self.encode


class MessageTypeCodec(Codec[MessageType]):
    """Option 53 (RFC 2132 section 9.6): every octet is a :class:`MessageType`
    (a type no RFC names is a member made on demand, named by its number)."""

    __slots__ = ()
    min_len = 1
    max_len: int | None = 1
    concatenates = False
    type_name = "MessageType"

    def decode(self, raw: bytes) -> MessageType:
        return MessageType(raw[0])

    def encode(self, value: MessageType | int) -> bytes:
        if not isinstance(value, int) or not 0 <= value <= 255:
            raise ValueError(f"a message type is an int 0-255, not {value!r}")
        return _OCTETS[value]

    def value_decoder(self) -> Callable[[bytes], MessageType]:
        return _MESSAGE_TYPES.__getitem__

    def value_encoder(self) -> Callable[[Any], bytes]:
        encode = self.encode

        def encode_type(value: Any) -> bytes:
            if type(value) is MessageType:  # every member is in 1-255
                return _OCTETS[value]
            return encode(value)
        return encode_type


class IntListCodec(Codec[tuple[int, ...]]):
    """A list of unsigned integers of one size (option 55 of octets, 25 of u16 ...)."""

    type_name = "tuple[int, ...]"

    def __init__(self, size: int = 1, *, min_count: int = 1):
        self.size = size
        self.multiple: int = size
        self.min_len: int = size * min_count
        self._fmt = {1: "B", 2: "H", 4: "I"}[size]

    def decode(self, raw: bytes) -> tuple[int, ...]:
        if self.size == 1:
            return tuple(raw)
        return struct.unpack(f"!{len(raw) // self.size}{self._fmt}", raw)

    def encode(self, value: tuple[int, ...]) -> bytes:
        items = as_tuple(value, "ints")
        if self.size == 1:
            return bytes(items)
        try:
            return struct.pack(f"!{len(items)}{self._fmt}", *items)
        except struct.error as exc:
            raise ValueError(str(exc)) from None

    def value_decoder(self) -> Callable[[bytes], tuple[int, ...]]:
        if self.size == 1:
            return tuple
        return self.decode

    def __repr__(self) -> str:
        return f"IntListCodec({self.size}, min_count={self.min_len // self.size})"


class StructCodec(Codec[tuple[Any, ...]]):
    """A fixed record of integers/addresses, e.g. option 159 (RFC 7618) or 212 (RFC 5969).

    ``fields`` is a struct format without byte order; ``4s`` fields are IPv4 addresses.
    """

    concatenates = False
    type_name: str = "tuple"

    def __init__(self, fmt: str):
        self.fmt = fmt
        self._struct = struct.Struct("!" + fmt)
        self.min_len: int = self._struct.size
        self.max_len: int | None = self.min_len
        # One name per struct item: a count before "s" is its size (4s, an
        # address); "x" is padding. Read by hand: a regular expression would be
        # compiled on every 'import dhcpwire' (~0.1 ms) for this one string.
        fields, count = [], ""
        for kind in fmt:
            if kind.isdigit():
                count += kind
                continue
            if kind == "s":
                fields.append("IPv4Address" if count == "4" else "bytes")
            elif kind != "x":
                fields.append("int")
            count = ""
        self.type_name = f"tuple[{', '.join(fields)}]"

    def decode(self, raw: bytes) -> tuple[Any, ...]:
        return tuple(ip4(v) if isinstance(v, bytes) and len(v) == 4 else v
                     for v in self._struct.unpack(raw))

    def encode(self, value: tuple[Any, ...]) -> bytes:
        vals = [v.packed if isinstance(v, IPv4Address) else v for v in as_tuple(value, "fields")]
        try:
            return self._struct.pack(*vals)
        except struct.error as exc:
            raise ValueError(str(exc)) from None

    def __repr__(self) -> str:
        return f"StructCodec({self.fmt!r})"


# -- text and bytes, and the two wrappers: a tagged value, a length-prefixed list -----------

class TextCodec(Codec[str]):
    """NVT ASCII text (RFC 2132 section 2).

    "Options containing NVT ASCII data SHOULD NOT include a trailing NULL;
    however, the receiver of such options MUST be prepared to delete trailing
    nulls if they exist." Decoding drops trailing NULs (the value bytes keep
    them, so the packet still re-encodes exactly). Bytes that are not UTF-8
    decode with ``surrogateescape`` and encode back unchanged.
    """

    type_name = "str"

    def __init__(self, min_len: int = 1):
        self.min_len: int = min_len

    def decode(self, raw: bytes) -> str:
        if raw[-1:] == b"\0":
            # only trailing NULs go: a value of nothing but NULs stays as it
            # is, since an empty text option cannot be written back
            raw = raw.rstrip(b"\0") or raw
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "surrogateescape")

    def encode(self, value: str) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"expected a str, got {type(value).__name__}")
        return value.encode("utf-8", "surrogateescape")

    def value_encoder(self) -> Callable[[Any], bytes]:
        minimum, check = self.min_len, self.check_length

        def encode_text(value: Any) -> bytes:
            if not isinstance(value, str):
                raise TypeError(f"expected a str, got {type(value).__name__}")
            raw = value.encode("utf-8", "surrogateescape")
            if len(raw) < minimum:
                raise ValueError(check(len(raw)))
            return raw
        return encode_text




class BytesCodec(Codec[bytes]):
    """Opaque octets (e.g. option 43 by default, 60 is text but often binary)."""

    type_name = "bytes"

    def __init__(self, min_len: int = 1, max_len: int | None = None):
        self.min_len: int = min_len
        self.max_len: int | None = max_len
        self.concatenates: bool = max_len is None or max_len != min_len

    def decode(self, raw: bytes) -> bytes:
        return raw

    def encode(self, value: bytes) -> bytes:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"expected bytes, got {type(value).__name__}")
        return bytes(value)

    def value_decoder(self) -> Callable[[bytes], bytes]:
        return bytes  # the value bytes themselves (bytes(b) is b)

    def value_encoder(self) -> Callable[[Any], bytes]:
        low, high, check = self.min_len, self.max_len, self.check_length
        top = 1 << 62 if high is None else high

        def encode_bytes(value: Any) -> bytes:
            raw: bytes = value
            if type(value) is not bytes:
                if not isinstance(value, (bytes, bytearray, memoryview)):
                    raise TypeError(f"expected bytes, got {type(value).__name__}")
                raw = bytes(value)
            if not low <= len(raw) <= top:
                raise ValueError(check(len(raw)))
            return raw
        return encode_bytes

    def __repr__(self) -> str:
        return f"BytesCodec(min_len={self.min_len}, max_len={self.max_len})"




class TaggedCodec(Codec[tuple[int, Any]]):
    """A one-octet tag then a value of another codec (e.g. status code 151, RFC 4388)."""

    type_name: str = "tuple[int, Any]"

    #: the inner value's own length rule is not expressible as the outer
    #: one's, so a strict decoder always validates
    structured = True

    def __init__(self, inner: Codec[Any]):
        self.inner = inner
        self.min_len: int = 1 + inner.min_len
        self.type_name = f"tuple[int, {inner.type_name}]"

    def validate(self, raw: bytes) -> None:
        inner = raw[1:]
        why = self.inner.check_length(len(inner))
        if why is not None:
            raise Malformed(why, 1, BadOptionLength)
        try:
            self.inner.validate(inner)
        except Malformed as exc:
            raise Malformed(exc.message, exc.at + 1, exc.kind) from None

    def decode(self, raw: bytes) -> tuple[int, Any]:
        try:
            return (raw[0], self.inner.decode_checked(raw[1:]))
        except Malformed as exc:
            raise Malformed(exc.message, exc.at + 1, exc.kind) from None

    def encode(self, value: tuple[int, Any]) -> bytes:
        tag, inner = value
        data = self.inner.encode(inner)
        why = self.inner.check_length(len(data))
        if why is not None:
            raise ValueError(why)
        return bytes((tag,)) + data

    def __repr__(self) -> str:
        return f"TaggedCodec({self.inner!r})"




class ListOfCodec(Codec[tuple[Any, ...]]):
    """Length-prefixed items of another codec: 1-octet (e.g. option 158, RFC 7291)
    or 2-octet lengths (option 143, RFC 8572)."""

    min_len = 1
    structured = True
    type_name: str = "tuple"

    def __init__(self, inner: Codec[Any], prefix: int = 1):
        self.inner = inner
        self.prefix = prefix
        self.type_name = f"tuple[{inner.type_name}, ...]"

    def decode(self, raw: bytes) -> tuple[Any, ...]:
        out = []
        i, n, p = 0, len(raw), self.prefix
        while i < n:
            if i + p > n:
                raise Malformed("item length runs past the end", i, BadOptionLength)
            length = int.from_bytes(raw[i:i + p], "big")
            if i + p + length > n:
                raise Malformed("item runs past the end", i, BadOptionLength)
            try:
                out.append(self.inner.decode_checked(raw[i + p:i + p + length]))
            except Malformed as exc:
                raise Malformed(exc.message, i + p + exc.at, exc.kind) from None
            i += p + length
        return tuple(out)

    def encode(self, value: tuple[Any, ...]) -> bytes:
        out = []
        for item in as_tuple(value, "items"):
            data = self.inner.encode(item)
            why = self.inner.check_length(len(data))
            if why is not None:
                raise ValueError(f"item {item!r}: {why}")
            if len(data) >= 1 << (8 * self.prefix):
                raise ValueError(f"item {item!r} is too long for a {self.prefix}-octet length")
            out.append(len(data).to_bytes(self.prefix, "big") + data)
        return b"".join(out)

    def __repr__(self) -> str:
        return f"ListOfCodec({self.inner!r}, prefix={self.prefix})"



#: The shared instance for the table.
TEXT: Final = TextCodec()


# -- addresses: one address, lists, pairs, RFC 3442 classless routes -----------------------

class IPv4Codec(Codec[IPv4Address]):
    """One IPv4 address (RFC 2132, e.g. options 1, 50, 54)."""

    __slots__ = ()
    min_len = 4
    max_len: int | None = 4
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
        self.min_len: int = 4 * min_count

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
        # The walk, every time: not "valid because the typed-value cache has
        # it", which made a decode's cost depend on what was read before
        # (and the codec benchmark's decode figure on its typed reads).
        return _routes_valid

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
