"""The value codecs: a few shared formats that every option table line uses.

Rules of this module:

* Each codec is a small object with a length rule and ``decode``/``encode``
  (see :class:`~dhcpwire.registry.Codec`). Codecs with parameters (a sub-option
  space, whether names may be compressed) take them in ``__init__``.
* ``decode`` raises only :class:`~dhcpwire.registry.Malformed`, with an offset
  relative to the value; ``encode`` raises only ``TypeError``/``ValueError``.
* Addresses are :class:`ipaddress.IPv4Address`, lists are tuples, text is
  ``str``. Decoded address objects are shared through a bounded cache, since
  a server sees the same few thousand addresses again and again.
* The value classes of structured options (:mod:`dhcpwire.values`, a dozen
  dataclasses that take ~4 ms to create) are imported on first use, through
  ``_v``: ``import dhcpwire`` stays fast for tools that never type them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network, IPv6Address
from typing import TYPE_CHECKING, Any, Final, TypeVar

from .constants import MessageType
from .errors import BadCompressionPointer, BadOptionLength, TruncatedOption
from .options import Options, parse_suboptions
from .registry import Codec, Malformed, Registry

if TYPE_CHECKING:
    from . import values as _v
else:
    class _LazyValues:
        """Stands in for :mod:`dhcpwire.values` until a codec first needs it,
        then puts the module itself in its place."""

        def __getattr__(self, name: str) -> Any:
            from . import values

            globals()["_v"] = values
            return getattr(values, name)

    _v = _LazyValues()

__all__ = [
    "IPV4",
    "IPV4_LIST",
    "TEXT",
    "AddressPairs",
    "AuthenticationCodec",
    "BoolCodec",
    "BytesCodec",
    "ClasslessRoutesCodec",
    "ClientFQDNCodec",
    "ClientIdentifierCodec",
    "ClientNDICodec",
    "DomainListCodec",
    "DomainNameCodec",
    "EmptyCodec",
    "IPv4Codec",
    "IPv4ListCodec",
    "IntCodec",
    "IntListCodec",
    "MachineIdCodec",
    "MessageTypeCodec",
    "RadiusAttributesCodec",
    "RelayAuthenticationCodec",
    "SipServersCodec",
    "SixRdCodec",
    "SubOptionsCodec",
    "TextCodec",
    "UserClassCodec",
    "VendorClassCodec",
    "VendorInfoCodec",
    "ip4",
]

T = TypeVar("T")

_IP_CACHE: dict[bytes, IPv4Address] = {}
_IP_CACHE_MAX: Final = 1 << 16


def ip4(packed: bytes) -> IPv4Address:
    """The :class:`IPv4Address` for 4 packed octets, from a bounded cache."""
    addr = _IP_CACHE.get(packed)
    if addr is None:
        if len(_IP_CACHE) >= _IP_CACHE_MAX:
            _IP_CACHE.clear()
        addr = _IP_CACHE[packed] = _new_address(packed)
    return addr


def _new_address(packed: bytes) -> IPv4Address:
    # IPv4Address(packed) checks the type and length of what it is given and
    # then stores the integer in its one slot, _ip; four octets from the
    # decoder need no checks (tests/test_wire.py compares the two).
    addr = _object_new(IPv4Address)
    addr._ip = _from_bytes(packed, "big")  # type: ignore[attr-defined]
    return addr


_object_new = object.__new__
_from_bytes = int.from_bytes


def _packed(value: Any) -> bytes:
    if type(value) is IPv4Address:
        # IPv4Address keeps its value in the slot _ip; .packed is a slower
        # property over the same conversion.
        return value._ip.to_bytes(4, "big")  # type: ignore[attr-defined, no-any-return]
    if isinstance(value, IPv4Address):
        return value.packed
    if isinstance(value, str):
        return IPv4Address(value).packed
    raise TypeError(f"expected an IPv4Address, got {type(value).__name__}")


def _as_tuple(value: Any, what: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"expected a tuple of {what}, got {type(value).__name__}")
    return tuple(value)


# -- numbers -----------------------------------------------------------------

class IntCodec(Codec[int]):
    """An unsigned (or signed) big-endian integer of 1, 2 or 4 octets (RFC 2132)."""

    concatenates = False
    type_name = "int"

    def __init__(self, size: int, *, signed: bool = False, min_value: int | None = None):
        self.size = size
        self.signed = signed
        # a lower bound (e.g. RFC 2132 9.10: "The minimum legal value is 576")
        # is part of the format: strict decoding checks it too
        self.structured = min_value is not None
        fmt = {1: "b", 2: "h", 4: "i"}[size]
        self._struct = struct.Struct("!" + (fmt if signed else fmt.upper()))
        self.min_len = self.max_len = size
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

    def __repr__(self) -> str:
        return f"IntCodec({self.size}{', signed=True' if self.signed else ''})"



class BoolCodec(Codec[bool]):
    """A one-octet flag, 0 or 1 (RFC 2132, e.g. option 19); non-zero reads as True."""

    __slots__ = ()
    min_len = max_len = 1
    concatenates = False
    type_name = "bool"

    def decode(self, raw: bytes) -> bool:
        return raw[0] != 0

    def encode(self, value: bool) -> bytes:
        if not isinstance(value, bool):
            raise TypeError(f"expected a bool, got {type(value).__name__}")
        return b"\x01" if value else b"\x00"


class EmptyCodec(Codec[bool]):
    """A zero-length option whose presence is the value (rapid commit, RFC 4039)."""

    __slots__ = ()
    min_len = max_len = 0
    concatenates = False
    type_name = "True"

    def decode(self, raw: bytes) -> bool:
        return True

    def encode(self, value: bool) -> bytes:
        if value is not True:
            raise ValueError("a zero-length option's only value is True")
        return b""


class MessageTypeCodec(Codec["MessageType | int"]):
    """Option 53 (RFC 2132 section 9.6); unknown types stay plain ints."""

    __slots__ = ()
    min_len = max_len = 1
    concatenates = False
    type_name = "MessageType"
    _TYPES: Final = {int(t): t for t in MessageType}

    def decode(self, raw: bytes) -> MessageType | int:
        v = raw[0]
        return self._TYPES.get(v, v)

    def encode(self, value: MessageType | int) -> bytes:
        if not isinstance(value, int) or not 0 <= value <= 255:
            raise ValueError(f"a message type is an int 0-255, not {value!r}")
        return bytes((value,))


class IntListCodec(Codec[tuple[int, ...]]):
    """A list of unsigned integers of one size (option 55 of octets, 25 of u16 ...)."""

    type_name = "tuple[int, ...]"

    def __init__(self, size: int = 1, *, min_count: int = 1):
        self.size = size
        self.multiple = size
        self.min_len = size * min_count
        self._fmt = {1: "B", 2: "H", 4: "I"}[size]

    def decode(self, raw: bytes) -> tuple[int, ...]:
        if self.size == 1:
            return tuple(raw)
        return struct.unpack(f"!{len(raw) // self.size}{self._fmt}", raw)

    def encode(self, value: tuple[int, ...]) -> bytes:
        items = _as_tuple(value, "ints")
        if self.size == 1:
            return bytes(items)
        try:
            return struct.pack(f"!{len(items)}{self._fmt}", *items)
        except struct.error as exc:
            raise ValueError(str(exc)) from None

    def __repr__(self) -> str:
        return f"IntListCodec({self.size}, min_count={self.min_len // self.size})"


# -- addresses ---------------------------------------------------------------

class IPv4Codec(Codec[IPv4Address]):
    """One IPv4 address (RFC 2132, e.g. options 1, 50, 54)."""

    __slots__ = ()
    min_len = max_len = 4
    concatenates = False
    type_name = "IPv4Address"

    def decode(self, raw: bytes) -> IPv4Address:
        return ip4(raw)

    def encode(self, value: IPv4Address) -> bytes:
        return _packed(value)


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
            return _packed(value[0])
        return b"".join([_packed(a) for a in _as_tuple(value, "IPv4Address")])

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
        for pair in _as_tuple(value, "address pairs"):
            a, b = pair
            out.append(_packed(a) + _packed(b))
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
            net = IPv4Network((dest, width), strict=False)
            routes.append(_v.ClasslessRoute(net, ip4(raw[end - 4:end])))
            i = end
        return tuple(routes)

    def encode(self, value: tuple[_v.ClasslessRoute, ...]) -> bytes:
        out = bytearray()
        for route in _as_tuple(value, "ClasslessRoute"):
            if not isinstance(route, _v.ClasslessRoute):
                raise TypeError(f"expected ClasslessRoute, got {type(route).__name__}")
            width = route.destination.prefixlen
            out.append(width)
            out += route.destination.network_address.packed[:(width + 7) // 8]
            out += _packed(route.router)
        return bytes(out)


# -- text and bytes ------------------------------------------------------------

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
        self.min_len = min_len

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




class BytesCodec(Codec[bytes]):
    """Opaque octets (e.g. option 43 by default, 60 is text but often binary)."""

    type_name = "bytes"

    def __init__(self, min_len: int = 1, max_len: int | None = None):
        self.min_len = min_len
        self.max_len = max_len
        self.concatenates = max_len is None or max_len != min_len

    def decode(self, raw: bytes) -> bytes:
        return raw

    def encode(self, value: bytes) -> bytes:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"expected bytes, got {type(value).__name__}")
        return bytes(value)

    def __repr__(self) -> str:
        return f"BytesCodec(min_len={self.min_len}, max_len={self.max_len})"




# -- domain names ----------------------------------------------------------------

def _read_name(data: bytes, start: int, *, compressed: bool) -> tuple[str, int, bool]:
    """Read one DNS name (RFC 1035 section 3.1) at ``start``.

    Returns the name (labels joined by ``.``, with a trailing ``.`` when it
    ends with the root label), the offset just after it, and whether it was
    terminated by the root label (only uncompressed partial names, RFC 4702
    section 2.3.1, end without it, at the end of the data).

    RFC 1035 section 4.1.4: "a pointer to a prior occurrence of the same
    name". Pointers must point strictly before the label that holds them, so
    following them always moves backwards: no loops, bounded work.
    """
    labels: list[str] = []
    end, terminated = _walk_name(data, start, compressed, labels)
    name = ".".join(labels)
    return (name + "." if terminated else name), end, terminated


def _skip_name(data: bytes, start: int, *, compressed: bool) -> int:
    """Validate one name at ``start`` like :func:`_read_name`, building no
    strings; return the offset just after it."""
    return _walk_name(data, start, compressed, None)[0]


def _walk_name(data: bytes, start: int, compressed: bool,
               labels: list[str] | None) -> tuple[int, bool]:
    """The one walk behind :func:`_read_name` and :func:`_skip_name`: returns
    the offset after the name and whether the root label ended it, and
    appends the labels (presentation form) to ``labels`` unless it is None."""
    i = start
    end_after = -1
    floor = start  # a pointer must point before this
    n = len(data)
    total = 0
    while True:
        if i >= n:
            if end_after < 0 and not compressed and i > start:
                return i, False
            raise Malformed("domain name runs past the end", i, TruncatedOption)
        length = data[i]
        if length == 0:
            return (i + 1 if end_after < 0 else end_after), True
        if length >= 0xC0:
            if not compressed:
                raise Malformed("compression pointer where compression is not allowed",
                                i, BadCompressionPointer)
            if i + 1 >= n:
                raise Malformed("compression pointer runs past the end", i, TruncatedOption)
            target = ((length & 0x3F) << 8) | data[i + 1]
            if target >= floor:
                raise Malformed(f"compression pointer to {target} does not point backwards",
                                i, BadCompressionPointer)
            if end_after < 0:
                end_after = i + 2
            floor = i = target
            continue
        if length >= 0x40:
            raise Malformed(f"label type 0x{length & 0xC0:02x} is not defined", i)
        if i + 1 + length > n:
            raise Malformed("label runs past the end", i, TruncatedOption)
        total += length + 1
        if total > 255:
            raise Malformed("domain name longer than 255 octets", i)
        if labels is not None:
            text = data[i + 1:i + 1 + length].decode("ascii", "surrogateescape")
            if "." in text or "\\" in text:
                text = text.replace("\\", "\\\\").replace(".", "\\.")
            labels.append(text)
        i += 1 + length


def _first_suboption(raw: bytes, code: int) -> int:
    """Offset of the first sub-option ``code`` in ``raw`` (error path only)."""
    i = 0
    while raw[i] != code:
        i += 2 + raw[i + 1]
    return i


def _raise_length(codec: Codec[Any], n: int) -> None:
    why = codec.check_length(n)
    if why is not None:
        raise Malformed(why, 0, BadOptionLength)


def _split_name(name: str) -> list[bytes]:
    """Labels of a presentation-form name (``\\.`` escapes a dot inside a label)."""
    if not isinstance(name, str):
        raise TypeError(f"expected a domain name str, got {type(name).__name__}")
    if "\\" not in name:
        parts = name.split(".")
    else:
        parts, cur, it = [], [], iter(name)
        for ch in it:
            if ch == "\\":
                cur.append(next(it, ""))
            elif ch == ".":
                parts.append("".join(cur))
                cur = []
            else:
                cur.append(ch)
        parts.append("".join(cur))
    labels = [p.encode("ascii", "surrogateescape") for p in parts]
    for label in labels:
        if len(label) > 63:
            raise ValueError(f"label {label[:20]!r}... is longer than 63 octets")
    return labels


def _write_names(names: tuple[str, ...], *, compress: bool) -> bytes:
    """Encode names in wire form, compressing repeated suffixes when asked
    (RFC 1035 section 4.1.4, as RFC 3397 section 2 requires for option 119)."""
    out = bytearray()
    seen: dict[tuple[bytes, ...], int] = {}
    for name in names:
        if name == ".":  # the root: just the zero-length label
            out.append(0)
            continue
        labels = _split_name(name)
        fqdn = labels[-1] == b""
        if fqdn:
            labels.pop()
        if not labels and not fqdn:
            raise ValueError("empty domain name")
        if any(not lab for lab in labels):
            raise ValueError(f"empty label in {name!r}")
        if sum(len(lab) + 1 for lab in labels) + 1 > 255:
            raise ValueError(f"{name[:30]!r}... is longer than 255 octets")
        for k in range(len(labels)):
            suffix = tuple(labels[k:])
            if compress and suffix in seen:
                out += (0xC000 | seen[suffix]).to_bytes(2, "big")
                break
            if compress and len(out) < 0x4000:
                seen[suffix] = len(out)
            out.append(len(labels[k]))
            out += labels[k]
        else:
            out.append(0)
    return bytes(out)


class DomainListCodec(Codec[tuple[str, ...]]):
    """A list of DNS names (RFC 3397 option 119; RFC 3361 encoding 0 of 120).

    RFC 3397 section 2: the names "are encoded as specified in RFC 1035
    section 3.1 ... The compression technique from RFC 1035 section 4.1.4 is
    used", with pointers counted "from the beginning of the first instance
    of the option" -- that is, within the concatenated value. Names are
    written without their trailing dot; encoding compresses.
    """

    min_len = 1
    structured = True
    type_name = "tuple[str, ...]"

    def __init__(self, *, compress: bool = True):
        self.compress = compress

    def validate(self, raw: bytes) -> None:
        i = 0
        while i < len(raw):
            i = _skip_name(raw, i, compressed=self.compress)

    def decode(self, raw: bytes) -> tuple[str, ...]:
        names = []
        i = 0
        while i < len(raw):
            name, i, _ = _read_name(raw, i, compressed=self.compress)
            names.append(name[:-1] if name.endswith(".") and name != "." else name)
        return tuple(names)

    def encode(self, value: tuple[str, ...]) -> bytes:
        names = _as_tuple(value, "domain names")
        return _write_names(tuple(n if n.endswith(".") else n + "." for n in names),
                            compress=self.compress)

    def __repr__(self) -> str:
        return f"DomainListCodec(compress={self.compress})"


class DomainNameCodec(Codec[str]):
    """One uncompressed DNS name in wire form (e.g. option 137, RFC 5223)."""

    __slots__ = ()
    min_len = 1
    structured = True
    type_name = "str"

    def decode(self, raw: bytes) -> str:
        name, end, terminated = _read_name(raw, 0, compressed=False)
        if not terminated:
            # RFC 1035 section 3.1: "each domain name is terminated by a
            # length byte of zero" (only option 81 allows partial names)
            raise Malformed("domain name does not end with the root label", end,
                            TruncatedOption)
        if end != len(raw):
            raise Malformed("bytes after the domain name", end)
        return name[:-1] if name != "." else name

    def encode(self, value: str) -> bytes:
        return _write_names((value if value.endswith(".") else value + ".",), compress=False)


class ClientFQDNCodec(Codec["_v.ClientFQDN"]):
    """Option 81 (RFC 4702 section 2): flags, RCODE1, RCODE2, domain name.

    Section 2.3.1: with the E bit set the name "MUST be encoded in the
    canonical wire format ... without compression"; without it, the
    deprecated ASCII encoding that real devices still send.
    """

    __slots__ = ()
    min_len = 3
    structured = True
    type_name = "ClientFQDN"

    def validate(self, raw: bytes) -> None:
        if raw[0] & 0x04 and len(raw) > 3 and _skip_name(raw, 3, compressed=False) != len(raw):
            raise Malformed("bytes after the domain name", 3)

    def decode(self, raw: bytes) -> _v.ClientFQDN:
        flags, rc1, rc2 = raw[0], raw[1], raw[2]
        body = raw[3:]
        if flags & 0x04:
            if not body:
                name = ""
            else:
                name, end, _ = _read_name(raw, 3, compressed=False)
                if end != len(raw):
                    raise Malformed("bytes after the domain name", end)
        else:
            name = body.decode("ascii", "surrogateescape")
        return _v.ClientFQDN(flags, rc1, rc2, name)

    def encode(self, value: _v.ClientFQDN) -> bytes:
        if not isinstance(value, _v.ClientFQDN):
            raise TypeError(f"expected ClientFQDN, got {type(value).__name__}")
        head = bytes((value.flags, value.rcode1, value.rcode2))
        if not value.flags & 0x04:
            return head + value.name.encode("ascii", "surrogateescape")
        if not value.name:
            return head
        if value.name.endswith("."):
            return head + _write_names((value.name,), compress=False)
        # a partial name: the labels without the terminating root label
        return head + _write_names((value.name + ".",), compress=False)[:-1]


# -- identifiers and vendor data ----------------------------------------------

class ClientIdentifierCodec(Codec["_v.ClientIdentifier"]):
    """Option 61 (RFC 2132 section 9.14; RFC 4361 section 6.1 for type 255).

    "The code for this option is 61, and its minimum length is 2."
    """

    __slots__ = ()
    min_len = 2
    type_name = "ClientIdentifier"

    def decode(self, raw: bytes) -> _v.ClientIdentifier:
        return _v.ClientIdentifier(raw[0], raw[1:])

    def encode(self, value: _v.ClientIdentifier) -> bytes:
        if not isinstance(value, _v.ClientIdentifier):
            raise TypeError(f"expected ClientIdentifier, got {type(value).__name__}")
        return bytes((value.type,)) + value.data


class UserClassCodec(Codec["_v.UserClass"]):
    """Option 77 (RFC 3004 section 4): length-prefixed user class instances.

    Some clients send one bare string instead; when the bytes do not frame
    exactly, the value is that single unframed class (``framed=False``).
    """

    __slots__ = ()
    min_len = 1
    type_name = "UserClass"

    def decode(self, raw: bytes) -> _v.UserClass:
        classes = []
        i, n = 0, len(raw)
        while i < n:
            length = raw[i]
            if length == 0 or i + 1 + length > n:
                return _v.UserClass((raw,), framed=False)
            classes.append(raw[i + 1:i + 1 + length])
            i += 1 + length
        return _v.UserClass(tuple(classes))

    def encode(self, value: _v.UserClass) -> bytes:
        if not isinstance(value, _v.UserClass):
            raise TypeError(f"expected UserClass, got {type(value).__name__}")
        if not value.framed:
            if len(value.classes) != 1:
                raise ValueError("an unframed user class has exactly one instance")
            return bytes(value.classes[0])
        out = bytearray()
        for c in value.classes:
            if not 0 < len(c) < 256:
                raise ValueError("each user class instance is 1-255 octets")
            out.append(len(c))
            out += c
        return bytes(out)


def _enterprise_blocks(raw: bytes) -> list[tuple[int, bytes, int]]:
    """RFC 3925 sections 3 and 4: enterprise-number (4), data-len (1), data."""
    blocks = []
    i, n = 0, len(raw)
    while i < n:
        if i + 5 > n:
            raise Malformed("enterprise block header runs past the end", i, BadOptionLength)
        length = raw[i + 4]
        if i + 5 + length > n:
            raise Malformed("enterprise data runs past the end", i, BadOptionLength)
        blocks.append((int.from_bytes(raw[i:i + 4], "big"), raw[i + 5:i + 5 + length], i + 5))
        i += 5 + length
    return blocks


def _enterprise_block(enterprise: int, data: bytes) -> bytes:
    if len(data) > 255:
        raise ValueError("an enterprise block carries at most 255 octets")
    return enterprise.to_bytes(4, "big") + bytes((len(data),)) + data


class VendorClassCodec(Codec["tuple[_v.VendorClass, ...]"]):
    """Option 124 (RFC 3925 section 3): per enterprise, length-prefixed class data."""

    __slots__ = ()
    min_len = 5
    structured = True
    type_name = "tuple[VendorClass, ...]"

    def decode(self, raw: bytes) -> tuple[_v.VendorClass, ...]:
        out = []
        for enterprise, data, base in _enterprise_blocks(raw):
            classes = []
            i = 0
            while i < len(data):
                length = data[i]
                if i + 1 + length > len(data):
                    raise Malformed("vendor class data runs past its block", base + i,
                                    BadOptionLength)
                classes.append(data[i + 1:i + 1 + length])
                i += 1 + length
            out.append(_v.VendorClass(enterprise, tuple(classes)))
        return tuple(out)

    def encode(self, value: tuple[_v.VendorClass, ...]) -> bytes:
        out = []
        for block in _as_tuple(value, "VendorClass"):
            data = b"".join(bytes((len(c),)) + c for c in block.classes)
            out.append(_enterprise_block(block.enterprise, data))
        return b"".join(out)


def _suboption_pairs(data: bytes, base: int) -> tuple[tuple[int, bytes], ...]:
    pairs = []
    i = 0
    while i < len(data):
        if i + 2 > len(data) or i + 2 + data[i + 1] > len(data):
            raise Malformed("sub-option runs past its block", base + i, TruncatedOption)
        pairs.append((data[i], data[i + 2:i + 2 + data[i + 1]]))
        i += 2 + data[i + 1]
    return tuple(pairs)


class VendorInfoCodec(Codec["tuple[_v.VendorInfo, ...]"]):
    """Option 125 (RFC 3925 section 4) and relay sub-option 9 (RFC 4243):
    per enterprise, code/length/value sub-options (kept in wire order)."""

    __slots__ = ()
    min_len = 5
    structured = True
    type_name = "tuple[VendorInfo, ...]"

    def decode(self, raw: bytes) -> tuple[_v.VendorInfo, ...]:
        return tuple(_v.VendorInfo(e, _suboption_pairs(data, base))
                     for e, data, base in _enterprise_blocks(raw))

    def encode(self, value: tuple[_v.VendorInfo, ...]) -> bytes:
        out = []
        for block in _as_tuple(value, "VendorInfo"):
            data = b"".join(bytes((c, len(v))) + v for c, v in block.suboptions)
            out.append(_enterprise_block(block.enterprise, data))
        return b"".join(out)


class SubOptionsCodec(Codec[Options]):
    """Encapsulated sub-options of a named space (RFC 3046 option 82, RFC 2132
    section 8.4 for 43): the value is an :class:`~dhcpwire.Options` over that space."""

    min_len = 2
    structured = True
    type_name = "Options"

    def __init__(self, space: Registry, *, min_len: int = 2):
        self.space = space
        self.min_len = min_len

    def validate(self, raw: bytes) -> None:
        # RFC 3046 section 2.0: sub-options are code/length/value with no
        # PAD or END; known sub-options are checked against their format,
        # repeated ones after concatenation, as parse_suboptions reads them.
        # The space's length table says which need a closer look (nonzero).
        space = self.space
        table = space._lengths or space.length_table()
        values: dict[int, bytes] = {}
        i, n = 0, len(raw)
        while i < n:
            if i + 2 > n:
                raise Malformed("sub-option header runs past the end", i, TruncatedOption)
            code = raw[i]
            j = i + 2 + raw[i + 1]
            if j > n:
                raise Malformed(f"sub-option {code} runs past the end", i, TruncatedOption)
            if code in values:
                values[code] += raw[i + 2:j]
            else:
                values[code] = raw[i + 2:j]
            i = j
        for code, value in values.items():
            size = len(value)
            if size < 256 and not table[code][size]:
                continue
            spec = space.get(code)
            if spec is None:
                continue
            try:
                _raise_length(spec.codec, size)
                if spec.codec.structured:
                    spec.codec.validate(value)
            except Malformed as exc:
                raise Malformed(f"sub-option {code}: {exc.message}",
                                _first_suboption(raw, code) + 2 + exc.at, exc.kind) from None

    def decode(self, raw: bytes) -> Options:
        return parse_suboptions(raw, self.space)

    def encode(self, value: Options) -> bytes:
        if not isinstance(value, Options):
            value = Options(value, registry=self.space)
        out = []
        for code, data in value.raw_items():
            if not data:
                out.append(bytes((code, 0)))
            for k in range(0, len(data), 255):
                chunk = data[k:k + 255]
                out.append(bytes((code, len(chunk))) + chunk)
        return b"".join(out)

    def __repr__(self) -> str:
        return f"SubOptionsCodec({self.space.space!r})"




class AuthenticationCodec(Codec["_v.Authentication"]):
    """Option 90 (RFC 3118 section 2): protocol, algorithm, RDM, 8-octet replay
    detection, then the authentication information."""

    __slots__ = ()
    min_len = 11
    type_name = "Authentication"
    _HEAD: Final = struct.Struct("!BBBQ")

    def decode(self, raw: bytes) -> _v.Authentication:
        p, a, r, rd = self._HEAD.unpack_from(raw)
        return _v.Authentication(p, a, r, rd, raw[11:])

    def encode(self, value: _v.Authentication) -> bytes:
        if not isinstance(value, _v.Authentication):
            raise TypeError(f"expected Authentication, got {type(value).__name__}")
        try:
            head = self._HEAD.pack(value.protocol, value.algorithm, value.rdm,
                                   value.replay_detection)
        except struct.error as exc:
            raise ValueError(str(exc)) from None
        return head + value.information


class RelayAuthenticationCodec(Codec["_v.RelayAuthentication"]):
    """Relay agent sub-option 8 (RFC 4030 section 4): Algorithm (1), MBZ and
    RDM (4 bits each), Replay Detection (8), Relay Identifier (4), then the
    Authentication Information."""

    __slots__ = ()
    min_len = 14
    type_name = "RelayAuthentication"
    _HEAD: Final = struct.Struct("!BBQI")

    def decode(self, raw: bytes) -> _v.RelayAuthentication:
        alg, rdm, replay, relay_id = self._HEAD.unpack_from(raw)
        return _v.RelayAuthentication(alg, rdm & 0x0F, replay, relay_id, raw[14:])

    def encode(self, value: _v.RelayAuthentication) -> bytes:
        if not isinstance(value, _v.RelayAuthentication):
            raise TypeError(f"expected RelayAuthentication, got {type(value).__name__}")
        if not 0 <= value.rdm <= 15:
            raise ValueError("RDM is a 4-bit field")
        try:
            head = self._HEAD.pack(value.algorithm, value.rdm, value.replay_detection,
                                   value.relay_identifier)
        except struct.error as exc:
            raise ValueError(str(exc)) from None
        return head + value.information


class RadiusAttributesCodec(Codec[tuple[tuple[int, bytes], ...]]):
    """Relay agent sub-option 7 (RFC 4014 section 3): RADIUS attributes "encoded
    according to the encoding rules in RFC 2865": Type (1), Length (1, counting
    the two header octets, so at least 2), Value. Values are (type, bytes) pairs."""

    __slots__ = ()
    min_len = 2
    structured = True
    type_name = "tuple[tuple[int, bytes], ...]"

    def decode(self, raw: bytes) -> tuple[tuple[int, bytes], ...]:
        out = []
        i, n = 0, len(raw)
        while i < n:
            if i + 2 > n or raw[i + 1] < 2 or i + raw[i + 1] > n:
                raise Malformed("RADIUS attribute runs past the end or is shorter than 2",
                                i, BadOptionLength)
            out.append((raw[i], raw[i + 2:i + raw[i + 1]]))
            i += raw[i + 1]
        return tuple(out)

    def encode(self, value: tuple[tuple[int, bytes], ...]) -> bytes:
        out = []
        for kind, data in _as_tuple(value, "(type, bytes) pairs"):
            if len(data) > 253:
                raise ValueError("a RADIUS attribute value is at most 253 octets")
            out.append(bytes((kind, len(data) + 2)) + bytes(data))
        return b"".join(out)


class SipServersCodec(Codec["_v.SipServers"]):
    """Option 120 (RFC 3361 section 3): an encoding octet, then domain names
    (0; compression allowed: "the domain names ... MAY be compressed") or
    IPv4 addresses (1)."""

    __slots__ = ()
    min_len = 2
    structured = True
    type_name = "SipServers"
    _NAMES: Final = DomainListCodec(compress=True)

    def decode(self, raw: bytes) -> _v.SipServers:
        enc = raw[0]
        if enc == 0:
            try:
                return _v.SipServers(domains=self._NAMES.decode(raw[1:]))
            except Malformed as exc:
                raise Malformed(exc.message, exc.at + 1, exc.kind) from None
        if enc == 1:
            if (len(raw) - 1) % 4 or len(raw) == 1:
                raise Malformed("address list length is not a multiple of 4", 1,
                                BadOptionLength)
            return _v.SipServers(addresses=IPV4_LIST.decode(raw[1:]))
        raise Malformed(f"unknown encoding {enc}", 0)

    def encode(self, value: _v.SipServers) -> bytes:
        if not isinstance(value, _v.SipServers):
            raise TypeError(f"expected SipServers, got {type(value).__name__}")
        if bool(value.domains) == bool(value.addresses):
            raise ValueError("give either domains or addresses")
        if value.domains:
            return b"\x00" + self._NAMES.encode(value.domains)
        return b"\x01" + IPV4_LIST.encode(value.addresses)


class ClientNDICodec(Codec["_v.ClientNDI"]):
    """Option 94 (RFC 4578 section 2.2): type 1 (UNDI), major, minor."""

    __slots__ = ()
    min_len = max_len = 3
    concatenates = False
    type_name = "ClientNDI"

    def decode(self, raw: bytes) -> _v.ClientNDI:
        return _v.ClientNDI(raw[0], raw[1], raw[2])

    def encode(self, value: _v.ClientNDI) -> bytes:
        return bytes((value.interface_type, value.major, value.minor))


class MachineIdCodec(Codec["_v.MachineIdentifier"]):
    """Option 97 (RFC 4578 section 2.3): "Type 0 ... 16 octets" of GUID, so 17 octets."""

    __slots__ = ()
    min_len = max_len = 17
    concatenates = False
    type_name = "MachineIdentifier"

    def decode(self, raw: bytes) -> _v.MachineIdentifier:
        return _v.MachineIdentifier(raw[0], raw[1:])

    def encode(self, value: _v.MachineIdentifier) -> bytes:
        if len(value.guid) != 16:
            raise ValueError("the GUID is 16 octets")
        return bytes((value.type,)) + value.guid


class StructCodec(Codec[tuple[Any, ...]]):
    """A fixed record of integers/addresses, e.g. option 159 (RFC 7618) or 212 (RFC 5969).

    ``fields`` is a struct format without byte order; ``4s`` fields are IPv4 addresses.
    """

    concatenates = False
    type_name = "tuple"

    def __init__(self, fmt: str):
        self.fmt = fmt
        self._struct = struct.Struct("!" + fmt)
        self.min_len = self.max_len = self._struct.size

    def decode(self, raw: bytes) -> tuple[Any, ...]:
        return tuple(ip4(v) if isinstance(v, bytes) and len(v) == 4 else v
                     for v in self._struct.unpack(raw))

    def encode(self, value: tuple[Any, ...]) -> bytes:
        vals = [v.packed if isinstance(v, IPv4Address) else v for v in _as_tuple(value, "fields")]
        try:
            return self._struct.pack(*vals)
        except struct.error as exc:
            raise ValueError(str(exc)) from None

    def __repr__(self) -> str:
        return f"StructCodec({self.fmt!r})"




class TaggedCodec(Codec[tuple[int, Any]]):
    """A one-octet tag then a value of another codec (e.g. status code 151, RFC 4388)."""

    type_name = "tuple[int, ...]"

    #: the inner value's own length rule is not expressible as the outer
    #: one's, so a strict decoder always validates
    structured = True

    def __init__(self, inner: Codec[Any]):
        self.inner = inner
        self.min_len = 1 + inner.min_len

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
    type_name = "tuple"

    def __init__(self, inner: Codec[Any], prefix: int = 1):
        self.inner = inner
        self.prefix = prefix

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
        for item in _as_tuple(value, "items"):
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


class SixRdCodec(Codec["_v.SixRd"]):
    """Option 212 (RFC 5969 section 7.1.1): IPv4MaskLen (1), 6rdPrefixLen (1),
    6rdPrefix (16), then one or more 6rdBRIPv4Address (4 each)."""

    __slots__ = ()
    min_len = 22
    structured = True
    type_name = "SixRd"

    def decode(self, raw: bytes) -> _v.SixRd:
        if (len(raw) - 18) % 4:
            raise Malformed("border relay list is not a multiple of 4 octets", 18,
                            BadOptionLength)
        return _v.SixRd(raw[0], raw[1], IPv6Address(raw[2:18]), IPV4_LIST.decode(raw[18:]))

    def encode(self, value: _v.SixRd) -> bytes:
        if not isinstance(value, _v.SixRd):
            raise TypeError(f"expected SixRd, got {type(value).__name__}")
        return (bytes((value.ipv4_mask_len, value.prefix_len)) + value.prefix.packed
                + IPV4_LIST.encode(value.border_relays))


# Shared instances for the table.
IPV4: Final = IPv4Codec()
IPV4_LIST: Final = IPv4ListCodec()
TEXT: Final = TextCodec()

CodecFactory = Callable[..., Codec[Any]]
