"""Codecs of structured options: identifiers, user and vendor classes, vendor data,
authentication, RADIUS, PXE, 6rd."""

from __future__ import annotations

import struct
from ipaddress import IPv6Address
from typing import TYPE_CHECKING, Final

from ..errors import BadOptionLength
from ..reader import Reader
from ..registry import Codec, Malformed
from .basic import IPV4_LIST, as_tuple, lazy_values

if TYPE_CHECKING:
    from .. import values as _v
else:
    _v = lazy_values(globals())


__all__ = [
    "AuthenticationCodec",
    "ClientIdentifierCodec",
    "ClientNDICodec",
    "MachineIdCodec",
    "RadiusAttributesCodec",
    "RelayAuthenticationCodec",
    "SixRdCodec",
    "UserClassCodec",
    "VendorClassCodec",
    "VendorInfoCodec",
]


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
    """RFC 3925 sections 3 and 4: enterprise-number (4), data-len (1), data;
    as (enterprise, data, offset of data in ``raw``)."""
    blocks = []
    reader = Reader(raw)
    while reader.remaining():
        enterprise = reader.get_uint(4, "enterprise block header", BadOptionLength)
        size = reader.get_u8("enterprise block header", BadOptionLength)
        at = reader.pos
        blocks.append((enterprise, reader.get_bytes(size, "enterprise data", BadOptionLength), at))
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
            reader = Reader(data)
            try:
                while reader.remaining():
                    size = reader.get_u8("vendor class data", BadOptionLength)
                    classes.append(reader.get_bytes(size, "vendor class data", BadOptionLength))
            except Malformed as exc:
                raise Malformed(f"{exc.message} of its block", base + exc.at, exc.kind) from None
            out.append(_v.VendorClass(enterprise, tuple(classes)))
        return tuple(out)

    def encode(self, value: tuple[_v.VendorClass, ...]) -> bytes:
        out = []
        for block in as_tuple(value, "VendorClass"):
            data = b"".join(bytes((len(c),)) + c for c in block.classes)
            out.append(_enterprise_block(block.enterprise, data))
        return b"".join(out)


def _suboption_pairs(data: bytes, base: int) -> tuple[tuple[int, bytes], ...]:
    """RFC 3925 section 4: an enterprise's code/length/value sub-options, in
    wire order (``base``: where ``data`` starts in the option's value)."""
    try:
        return tuple([(code, data[start:stop])
                      for _, code, start, stop in Reader(data).tlvs("sub-option", "its block")])
    except Malformed as exc:
        raise Malformed(exc.message, base + exc.at, exc.kind) from None


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
        for block in as_tuple(value, "VendorInfo"):
            data = b"".join(bytes((c, len(v))) + v for c, v in block.suboptions)
            out.append(_enterprise_block(block.enterprise, data))
        return b"".join(out)



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
        # RFC 4030 section 4: the MBZ bits "SHOULD be set to zero and MUST NOT
        # be used when the suboption is processed": kept apart, not used.
        return _v.RelayAuthentication(alg, rdm & 0x0F, replay, relay_id, raw[14:], rdm >> 4)

    def encode(self, value: _v.RelayAuthentication) -> bytes:
        if not isinstance(value, _v.RelayAuthentication):
            raise TypeError(f"expected RelayAuthentication, got {type(value).__name__}")
        if not 0 <= value.rdm <= 15 or not 0 <= value.reserved <= 15:
            raise ValueError("RDM and the MBZ bits are 4-bit fields")
        try:
            head = self._HEAD.pack(value.algorithm, value.reserved << 4 | value.rdm,
                                   value.replay_detection,
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
        for kind, data in as_tuple(value, "(type, bytes) pairs"):
            if len(data) > 253:
                raise ValueError("a RADIUS attribute value is at most 253 octets")
            out.append(bytes((kind, len(data) + 2)) + bytes(data))
        return b"".join(out)




class ClientNDICodec(Codec["_v.ClientNDI"]):
    """Option 94 (RFC 4578 section 2.2): type 1 (UNDI), major, minor."""

    __slots__ = ()
    min_len = 3
    max_len: int | None = 3
    concatenates = False
    type_name = "ClientNDI"

    def decode(self, raw: bytes) -> _v.ClientNDI:
        return _v.ClientNDI(raw[0], raw[1], raw[2])

    def encode(self, value: _v.ClientNDI) -> bytes:
        return bytes((value.interface_type, value.major, value.minor))


class MachineIdCodec(Codec["_v.MachineIdentifier"]):
    """Option 97 (RFC 4578 section 2.3): "Type 0 ... 16 octets" of GUID, so 17 octets."""

    __slots__ = ()
    min_len = 17
    max_len: int | None = 17
    concatenates = False
    type_name = "MachineIdentifier"

    def decode(self, raw: bytes) -> _v.MachineIdentifier:
        return _v.MachineIdentifier(raw[0], raw[1:])

    def encode(self, value: _v.MachineIdentifier) -> bytes:
        if len(value.guid) != 16:
            raise ValueError("the GUID is 16 octets")
        return bytes((value.type,)) + value.guid



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

