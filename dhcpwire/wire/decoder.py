"""decode(): a UDP payload to a :class:`~dhcpwire.Message`.

Rules of this module:

* The fixed header is RFC 2131 figure 1 (236 octets), then the magic cookie
  (RFC 2131 section 3), then the options field of RFC 2132 section 2:
  code/length/value triples, PAD (0) and END (255) alone.
* RFC 3396 section 7: a decoder that "finds two or more options with the
  same option code ... MUST consider them to be split portions" and
  concatenates them, across the options field, then 'file', then 'sname'
  when option 52 says those carry options (section 5). Options whose
  format is fixed-length do not concatenate: a repeat is a defect.
* Strict mode (the default) raises the first problem as a specific
  :class:`~dhcpwire.errors.DecodeError`; lenient mode records every problem
  as a :class:`~dhcpwire.errors.Defect` and keeps going. Nothing is dropped
  silently: a value that does not parse is kept as raw bytes.
* ``decode`` raises nothing but :class:`~dhcpwire.errors.DecodeError`.
* A decoded message keeps its payload, so that an unchanged message
  re-encodes byte for byte (see :mod:`dhcpwire.wire.encoder`).
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address
from typing import Any, Final

from .codecs import ip4
from .constants import BOOTP_MIN_SIZE, MAGIC_COOKIE, OpCode
from .errors import (
    BadOptionLength,
    BadOptionValue,
    DecodeError,
    Defect,
    DuplicateOption,
    MissingEnd,
    TrailingData,
    TruncatedHeader,
    TruncatedOption,
)
from .mapping import NO_TYPED
from .message import Message, _Unfrozen, message_from_wire
from .options import Options
from .registry import Malformed, Registry
from .table import DEFAULT_REGISTRY

__all__ = ["decode", "overload_mode"]

_new = object.__new__
_OPCODES: Final = {1: OpCode.BOOTREQUEST, 2: OpCode.BOOTREPLY}
_OPS: Final = tuple(_OPCODES.get(v, v) for v in range(256))
_NO_CODES: Final[set[int]] = set()  # never added to: only lenient scans add, to their own set

_HEADER: Final = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")
#: The header with the four addresses as one 16-octet field, sname and file
#: as one 192-octet field, and the magic cookie.
_HEADER_COOKIE: Final = struct.Struct("!BBBBIHH16s16s192s4s")
_OVERLOAD: Final = 52

def _scan(data: bytes, start: int, end: int, raw: dict[int, bytes], truncated: set[int],
          defects: list[Defect] | None, rules: dict[int, tuple[int, int, int, bool, bool]],
          field: str) -> int:
    """Split data[start:end] into ``raw``; return the offset of END, -1 when
    there is none (also when the field ended inside an option). In lenient
    mode the codes of truncated options are added to ``truncated``.

    Repeats concatenate (RFC 3396 section 7), except for codes whose format
    is fixed-length: there a repeat is a :class:`DuplicateOption`.
    """
    i = start
    while i < end:
        code = data[i]
        if code == 255:
            return i
        if code == 0:
            i += 1
            continue
        if i + 1 >= end:
            err = TruncatedOption(f"option {code} has no length octet in {field}",
                                  offset=i, option=code)
            if defects is None:
                raise err
            defects.append(_defect(err))
            raw[code] = raw.get(code, b"")
            truncated.add(code)
            return -1
        vstart = i + 2
        vend = vstart + data[i + 1]
        if vend > end:
            err = TruncatedOption(
                f"option {code} of length {data[i + 1]} runs past the end of {field}",
                offset=i, option=code)
            if defects is None:
                raise err
            defects.append(_defect(err))
            # keep what there is, raw
            vend = end
            truncated.add(code)
        value = data[vstart:vend]
        if code in raw:
            rule = rules.get(code)
            if rule is not None and not rule[4]:
                err2 = DuplicateOption(
                    f"option {code} repeats but its format is fixed-length (RFC 3396)",
                    offset=i, option=code)
                if defects is None:
                    raise err2
                defects.append(_defect(err2))
            else:
                raw[code] += value
        else:
            raw[code] = value
        i = vend
    return -1


def _defect(err: DecodeError) -> Defect:
    return Defect(type(err), err.message, err.offset, err.option)


def decode(data: bytes, *, strict: bool = True,
           registry: Registry = DEFAULT_REGISTRY) -> Message:
    """Decode one DHCP (or BOOTP) message from a UDP payload.

    Raises a :class:`~dhcpwire.errors.DecodeError` subclass, with the byte
    offset and option code, for anything malformed -- and nothing else. With
    ``strict=False`` it returns the message with ``defects`` listing every
    problem it forgave, unless not even the fixed header is there.

    >>> from dhcpwire import decode, encode
    >>> raw = bytes.fromhex("0101060000003d1d" + "00" * 20 + "000b8201fc42" + "00" * 202
    ...                     + "63825363" + "350101" + "ff")
    >>> msg = decode(raw)
    >>> msg.message_type, msg.xid, msg.hwaddr
    (<MessageType.DISCOVER: 1>, 15645, '00:0b:82:01:fc:42')
    >>> encode(msg) == raw
    True
    """
    if type(data) is not bytes:
        data = _as_bytes(data)
    n = len(data)
    if n < 240:
        return _decode_bootp(data, strict)
    (op, htype, hlen, hops, xid, secs, flags, addresses, chaddr, sname_file,
     cookie) = _HEADER_COOKIE.unpack_from(data)
    if cookie != MAGIC_COOKIE:
        return _decode_bootp(data, strict)

    # The fast path: one loop over the options field for the common packet
    # -- no repeated code, nothing truncated, END present, every length right
    # and no value that needs a structural check (table row entry 0). PAD
    # and END are the two codes whose row is None. Anything else leaves the
    # loop for _careful(), which reads the packet again and names each
    # problem with its offset; running off the end shows as an IndexError.
    raw: dict[int, bytes] = {}
    table = registry._fast or registry.fast_table()
    check: list[int] | None = None  # codes to validate fully (and option 52)
    i = 240
    try:
        while True:
            code = data[i]
            row = table[code]
            if row is None:
                if code:  # END
                    break
                i += 1  # PAD
                continue
            length = data[i + 1]
            start = i + 2
            i = start + length
            if code in raw:
                raise _SlowPath
            if row[length]:
                if check is None:
                    check = [code]
                else:
                    check.append(code)
            raw[code] = data[start:i]
    except (_SlowPath, IndexError):
        i = -1
    tail = n - i - 1  # octets after END: RFC 2131 section 2 pads with zeros
    if i < 0 or (tail and (tail >= _ZERO_TAILS_MAX
                           or not data.endswith(_ZERO_TAILS[tail] or _zeros(tail)))):
        raw, typed, sname, file, defects = _careful(data, strict, registry, raw, i)
    else:
        if sname_file == _ZERO192:
            sname = file = b""
        else:
            # RFC 2131 section 2: sname and file are "null terminated strings"
            sname = sname_file[:64].rstrip(b"\0")
            file = sname_file[64:].rstrip(b"\0")
        if check is None:
            typed, defects = NO_TYPED, ()
        else:
            typed, sname, file, defects = _finish(data, None if strict else [], registry, raw,
                                                  check, _NO_CODES, sname, file)
    options = _new(Options)
    options._raw = raw
    options._typed = typed
    options._registry = registry
    options._wire = data
    # The Message is built in place (see message._Unfrozen): validation is
    # not needed, the header struct already fixed every size.
    m: Any = _new(_Unfrozen)
    m.op = _OPS[op]
    m.htype = htype
    m.hlen = hlen
    m.hops = hops
    m.xid = xid
    m.secs = secs
    m.flags = flags
    m.ciaddr, m.yiaddr, m.siaddr, m.giaddr = _ADDRESSES.get(addresses) or _addresses(addresses)
    m.chaddr = chaddr
    m.sname = sname
    m.file = file
    m.options = options
    m.vend = None
    m.defects = defects
    m.__class__ = Message
    return m  # type: ignore[no-any-return]


class _SlowPath(Exception):
    pass


def _as_bytes(data: object) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"decode() takes bytes, not {type(data).__name__}")


#: Zero-filled bytes by length, made on first use: the fast path's test that
#: only zeros follow END is one endswith() against the right one.
_ZERO_TAILS_MAX: Final = 1500
_ZERO_TAILS: list[bytes | None] = [None] * _ZERO_TAILS_MAX
_ZERO192: Final = bytes(192)


def _zeros(size: int) -> bytes:
    zeros = _ZERO_TAILS[size] = bytes(size)
    return zeros


#: ciaddr, yiaddr, siaddr and giaddr (16 octets) -> their four IPv4Address:
#: one lookup instead of four on the hot path. Bounded: cleared when full.
_ADDRESSES: dict[bytes, tuple[IPv4Address, IPv4Address, IPv4Address, IPv4Address]] = {}
_ADDRESSES_MAX: Final = 4096


def _addresses(
        packed: bytes) -> tuple[IPv4Address, IPv4Address, IPv4Address, IPv4Address]:
    if len(_ADDRESSES) >= _ADDRESSES_MAX:
        _ADDRESSES.clear()
    four = _ADDRESSES[packed] = (ip4(packed[:4]), ip4(packed[4:8]), ip4(packed[8:12]),
                                 ip4(packed[12:]))
    return four


def _careful(data: bytes, strict: bool, registry: Registry, raw: dict[int, bytes],
             end_at: int,
             ) -> tuple[dict[int, bytes], dict[int, Any], bytes, bytes, tuple[Defect, ...]]:
    """What the fast path leaves when the options field itself is unusual: a
    repeated or truncated option (the field is scanned again, option by
    option), END missing or not followed by zeros. Returns the options'
    bytes, their typed values (values kept raw in lenient mode), sname, file
    and the defects; in strict mode raises the first problem.
    """
    n = len(data)
    defects: list[Defect] | None = None if strict else []
    truncated: set[int] = _NO_CODES  # replaced by a new set when a scan needs one
    if end_at < 0:
        raw = {}
        truncated = set()
        end_at = _scan(data, 240, n, raw, truncated, defects, registry._rules, "the options field")

    err: DecodeError
    if end_at < 0:
        err = MissingEnd("the options field ends without END (255)", offset=n)
        if defects is None:
            raise err
        defects.append(_defect(err))
    elif end_at + 1 < n and data.count(0, end_at + 1) != n - end_at - 1:
        err = TrailingData("non-zero bytes after END", offset=end_at + 1)
        if defects is None:
            raise err
        defects.append(_defect(err))
    # RFC 2131 section 2: sname and file are "null terminated strings"
    typed, sname, file, found = _finish(data, defects, registry, raw, list(raw), truncated,
                                        data[44:108].rstrip(b"\0"), data[108:236].rstrip(b"\0"))
    return raw, typed, sname, file, found


def _finish(data: bytes, defects: list[Defect] | None, registry: Registry,
            raw: dict[int, bytes], check: list[int], truncated: set[int], sname: bytes,
            file: bytes) -> tuple[dict[int, Any], bytes, bytes, tuple[Defect, ...]]:
    """Option overload (52) and the values whose length or structure needs a
    check (``check``); ``raw`` gains what 'file' and 'sname' carry. Returns
    the typed values (only values kept raw), sname, file and the defects.
    """
    err: DecodeError
    if _OVERLOAD in raw:
        over = raw[_OVERLOAD]
        mode = overload_mode(over)
        if not mode:
            err = BadOptionValue(f"option overload value {over.hex()} is not 1, 2 or 3",
                                 offset=_find(data, _OVERLOAD), option=_OVERLOAD)
            if defects is None:
                raise err
            defects.append(_defect(err))
        # RFC 3396 section 5: "the optional parameters field, the file field,
        # and the sname field, in that order."
        if truncated is _NO_CODES:
            truncated = set()
        if mode & 1:
            _overloaded(data, 108, 236, raw, truncated, defects, registry._rules, "the file field")
            file = b""
        if mode & 2:
            _overloaded(data, 44, 108, raw, truncated, defects, registry._rules, "the sname field")
            sname = b""
        check = list(raw)

    typed: dict[int, Any] = {}
    table = registry._lengths or registry.length_table()
    if truncated:
        for code in truncated:  # already a defect: kept raw, not checked again
            typed[code] = raw[code]
        check = [c for c in check if c not in truncated]
    for code in check:
        value = raw[code]
        chk = table[code][len(value)] if len(value) < 256 else _long_check(
            registry, code, value)
        if chk:
            _check_value(registry, code, value, chk, typed, data, defects)
    return typed or NO_TYPED, sname, file, () if defects is None else tuple(defects)


def overload_mode(value: bytes) -> int:
    """Option 52's value as a mode: 1 'file', 2 'sname', 3 both (RFC 2132
    section 9.3); 0 for anything else."""
    mode = value[0] if len(value) == 1 else 0
    return mode if mode in (1, 2, 3) else 0


def _overloaded(data: bytes, start: int, end: int, raw: dict[int, bytes], truncated: set[int],
                defects: list[Defect] | None,
                rules: dict[int, tuple[int, int, int, bool, bool]], field: str) -> None:
    # RFC 2132 section 9.3: options in 'file'/'sname' are read after the
    # options field; the field is "terminated by the end option".
    at = _scan(data, start, end, raw, truncated, defects, rules, field)
    if at == -1:
        err = MissingEnd(f"{field} holds options but no END", offset=end)
        if defects is None:
            raise err
        defects.append(_defect(err))


def _long_check(registry: Registry, code: int, value: bytes) -> int:
    spec = registry.get(code)
    if spec is None:
        return 0
    if spec.codec.check_length(len(value)) is not None:
        return 1
    return 2 if spec.codec.structured else 0


def _check_value(registry: Registry, code: int, value: bytes, chk: int,
                 typed: dict[int, Any], data: bytes, defects: list[Defect] | None) -> None:
    spec = registry[code]
    if chk == 1:
        err: DecodeError = BadOptionLength(
            f"{spec.name}: {spec.codec.check_length(len(value))}", offset=_find(data, code),
            option=code)
    else:
        try:
            spec.codec.validate(value)  # converted only when read
            return
        except Malformed as exc:
            err = exc.kind(f"{spec.name}: {exc.message}", offset=_find(data, code) + 2 + exc.at,
                           option=code)
    if defects is None:
        raise err
    defects.append(_defect(err))
    typed[code] = value  # kept as raw bytes, nothing dropped


def _find(data: bytes, code: int) -> int:
    """Offset of the first instance of ``code`` in the options field (error path only)."""
    i, n = 240, len(data)
    while i < n:
        c = data[i]
        if c == code:
            return i
        if c == 255:
            break
        i += 1 if c == 0 else 2 + (data[i + 1] if i + 1 < n else 0)
    return 240


_NO_OPTIONS = Options.from_raw({})


def _decode_bootp(data: bytes, strict: bool) -> Message:
    # RFC 951 section 3: the BOOTP message is the 236-octet header and a
    # 64-octet 'vend' field; RFC 1542 section 3.5 (the cookie) makes the
    # DHCP options optional. Without the cookie the vendor area is kept raw.
    n = len(data)
    if n < 236:
        raise TruncatedHeader(f"{n} octets is shorter than the 236-octet BOOTP header",
                              offset=n)
    defects: list[Defect] = []
    if n < BOOTP_MIN_SIZE:
        err = TruncatedHeader(
            f"{n} octets without the DHCP magic cookie is shorter than a BOOTP message "
            f"({BOOTP_MIN_SIZE} octets)", offset=n)
        if strict:
            raise err
        defects.append(_defect(err))
    (op, htype, hlen, hops, xid, secs, flags, ci, yi, si, gi, chaddr, sname,
     file) = _HEADER.unpack_from(data)
    return message_from_wire(
        _OPCODES.get(op, op), htype, hlen, hops, xid, secs, flags,
        ip4(ci), ip4(yi), ip4(si), ip4(gi), chaddr, sname.rstrip(b"\0"), file.rstrip(b"\0"),
        _NO_OPTIONS, data[236:], tuple(defects))
