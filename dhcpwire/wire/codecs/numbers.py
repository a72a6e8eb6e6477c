"""Integer codecs: fixed-size integers, flags, message types, integer lists and
fixed records (RFC 2132)."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Any, Final

from ..constants import MessageType
from ..registry import Codec, Malformed
from .common import ValueCache, as_tuple, ip4

_from_bytes = int.from_bytes


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

__all__ = [
    "BoolCodec",
    "EmptyCodec",
    "IntCodec",
    "IntListCodec",
    "MessageTypeCodec",
    "StructCodec",
]


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
    min_len = max_len = 1
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
    min_len = max_len = 0
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
    min_len = max_len = 1
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
        self.multiple = size
        self.min_len = size * min_count
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
    type_name = "tuple"

    def __init__(self, fmt: str):
        self.fmt = fmt
        self._struct = struct.Struct("!" + fmt)
        self.min_len = self.max_len = self._struct.size
        fields = [("IPv4Address" if kind == "4s" else "bytes" if kind.endswith("s") else "int")
                  for kind in re.findall(r"\d*[a-zA-Z?]", fmt) if kind != "x"]
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


