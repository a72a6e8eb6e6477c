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
* ``decode`` raises nothing but :class:`~dhcpwire.errors.DecodeError`,
  whatever a codec raises (a user's codec in a derived registry included).
* RFC 1542 section 2.1: "The 'op' (opcode) field of the message must
  contain either the code for a BOOTREQUEST (1) or the code for a BOOTREPLY
  (2)", and 'hlen' cannot exceed the 16 octets of 'chaddr' (RFC 2131
  figure 1): strict decoding rejects anything else (:class:`BadHeader`).
* Every walk over option areas but the fast loop below goes through
  :class:`~dhcpwire.wire.reader.Reader`; a property test holds the fast
  loop to the reader's answers.
* A decoded message keeps its payload, so that an unchanged message
  re-encodes byte for byte (see :mod:`dhcpwire.wire.encoder`).
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address
from typing import Any, Final

from .codecs import ip4
from .codecs.basic import ValueCache
from .constants import BOOTP_MIN_SIZE, MAGIC_COOKIE, OpCode
from .errors import (
    BadHeader,
    BadOptionLength,
    BadOptionValue,
    DecodeError,
    Defect,
    DuplicateOption,
    MissingEnd,
    TrailingData,
    TruncatedHeader,
)
from .mapping import NO_TYPED
from .message import Message, message_from_wire
from .options import Options
from .reader import Overrun, Reader, option_offset, overload_mode, value_offset
from .registry import Malformed, Registry
from .table import DEFAULT_REGISTRY

__all__ = ["decode", "overload_mode"]

_OPCODES: Final = {1: OpCode.BOOTREQUEST, 2: OpCode.BOOTREPLY}
_OPS: Final = tuple(_OPCODES.get(v, v) for v in range(256))
_make_options = Options._make

_HEADER: Final = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")
#: The header with the four addresses as one 16-octet field, sname and file
#: as one 192-octet field, and the magic cookie.
_HEADER_COOKIE: Final = struct.Struct("!BBBBIHH16s16s192s4s")
_OVERLOAD: Final = 52
#: The largest 'hlen': 'chaddr' is 16 octets (RFC 2131 figure 1).
_MAX_HLEN: Final = 16

def _defect(err: DecodeError) -> Defect:
    return Defect(type(err), err.message, err.offset, err.option)


def _report(err: DecodeError, defects: list[Defect] | None) -> None:
    """Strict: raise ``err``; lenient: record it and go on."""
    if defects is None:
        raise err
    defects.append(_defect(err))


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
    # -- no repeated code, nothing truncated, END present, and every value
    # valid by its length alone (table row entry 0) or by its code's
    # scanner (the entry itself: a wrong length has one that says False,
    # and so has option 52 at every length, since it changes how the packet
    # is read). PAD and END are the two codes whose row is None. Anything
    # else leaves for _careful(), which reads the packet again with the
    # Reader and names each problem with its offset; running off the end
    # shows as an IndexError. Property tests hold this loop to the Reader's
    # answers and each scanner to its codec's validate().
    raw: dict[int, bytes] = {}
    typed = NO_TYPED
    table = registry.decode_table or registry.fast_table()
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
            start = i + 2
            i = start + data[i + 1]
            if code in raw:
                raise _SlowPath
            scan = row[i - start]
            if scan:
                raw[code] = value = data[start:i]
                ok = scan(value)  # type: ignore[operator]  # 0 is the only int entry
                if ok is not True:
                    if not ok:
                        raise _SlowPath
                    if typed is NO_TYPED:  # a codec from outside the package made it
                        typed = {}
                    typed[code] = ok[0]
            else:
                raw[code] = data[start:i]
    except Exception:  # _SlowPath, IndexError, or a scanner's: the careful path says what
        i = -1
    tail = n - i - 1  # octets after END: RFC 2131 section 2 pads with zeros
    if i < 0 or hlen > _MAX_HLEN or not 0 < op < 3 or (tail and (
            tail >= _ZERO_TAILS_MAX or not data.endswith(_ZERO_TAILS[tail] or _zeros(tail)))):
        raw, typed, sname, file, defects = _careful(data, strict, registry)
    else:
        defects = ()
        if sname_file == _ZERO192:
            sname = file = b""
        else:
            # RFC 2131 section 2: sname and file are "null terminated strings"
            sname = sname_file[:64].rstrip(b"\0")
            file = sname_file[64:].rstrip(b"\0")
    ci, yi, si, gi = _ADDRESSES[addresses]
    return message_from_wire(_OPS[op], htype, hlen, hops, xid, secs, flags, ci, yi, si, gi,
                             chaddr, sname, file, _make_options(raw, typed, registry, data),
                             None, defects)


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
_ADDRESSES_MAX: Final = 4096


def _addresses(
        packed: bytes) -> tuple[IPv4Address, IPv4Address, IPv4Address, IPv4Address]:
    return (ip4(packed[:4]), ip4(packed[4:8]), ip4(packed[8:12]), ip4(packed[12:]))


_ADDRESSES: Final = ValueCache(_addresses, _ADDRESSES_MAX)


def _check_header(data: bytes, defects: list[Defect] | None) -> None:
    # RFC 1542 section 2.1: "The 'op' (opcode) field of the message must
    # contain either the code for a BOOTREQUEST (1) or the code for a
    # BOOTREPLY (2)" ... "BOOTP messages not meeting these consistency checks
    # MUST be silently discarded."
    op, hlen = data[0], data[2]
    if op not in _OPCODES:
        _report(BadHeader(f"op {op} is neither BOOTREQUEST (1) nor BOOTREPLY (2)", offset=0),
                defects)
    # RFC 2131 figure 1: 'chaddr' holds 16 octets, so 'hlen' says at most 16.
    if hlen > _MAX_HLEN:
        _report(BadHeader(f"hlen {hlen} is over the 16 octets of chaddr", offset=2), defects)


def _careful(data: bytes, strict: bool, registry: Registry,
             ) -> tuple[dict[int, bytes], dict[int, Any], bytes, bytes, tuple[Defect, ...]]:
    """The whole packet read again with the Reader, when the fast path leaves
    it: a bad header field, a repeated or truncated option, END missing or
    not followed by zeros. Returns the options' bytes, their typed values
    (values kept raw in lenient mode), sname, file and the defects; in strict
    mode raises the first problem.
    """
    n = len(data)
    defects: list[Defect] | None = None if strict else []
    _check_header(data, defects)
    raw: dict[int, bytes] = {}
    more: dict[int, list[bytes]] = {}
    truncated: set[int] = set()
    reader = _scan(data, 240, n, raw, more, truncated, defects, registry, "the options field")
    if not reader.ended:
        _report(MissingEnd("the options field ends without END (255)", offset=n), defects)
    elif reader.pos + 1 < n and (data.count(0, reader.pos + 1) + data.count(255, reader.pos + 1)
                                 != n - reader.pos - 1):
        # RFC 2132 section 3.2: after END, "Subsequent octets should be filled
        # with pad options" -- a SHOULD. Mainstream readers (ISC dhcpd, Kea,
        # dnsmasq, systemd-networkd) stop at END and ignore the rest; some BOOTP
        # servers fill with 0xff (more END options). Strict decoding takes PAD
        # and END octets there; any other octet is TrailingData.
        _report(TrailingData("bytes after END that are neither PAD (0) nor END (255)",
                             offset=reader.pos + 1), defects)
    # RFC 2131 section 2: sname and file are "null terminated strings"
    typed, sname, file, found = _finish(data, defects, registry, raw, list(raw), truncated,
                                        data[44:108].rstrip(b"\0"), data[108:236].rstrip(b"\0"),
                                        more)
    return raw, typed, sname, file, found


def _scan(data: bytes, start: int, end: int, raw: dict[int, bytes], more: dict[int, list[bytes]],
          truncated: set[int], defects: list[Defect] | None, registry: Registry,
          field: str) -> Reader:
    """Read the options of data[start:end] into ``raw`` with the Reader, and
    return it (``ended`` says whether END was found). In lenient mode a
    truncated option keeps what there is of it, and its code is added to
    ``truncated``.

    Repeats concatenate (RFC 3396 section 7), the portions after the first
    gathered in ``more`` and joined once by :func:`_finish`, so that no octet
    is copied twice; except for codes whose format is fixed-length: there a
    repeat is a :class:`DuplicateOption`.
    """
    reader = Reader(data, start, end)
    try:
        for at, code, vstart, vstop in reader.options(field):
            _add(raw, more, code, data[vstart:vstop], at, registry, defects)
    except Overrun as exc:
        _report(exc.kind(exc.message, offset=exc.at, option=exc.code), defects)
        if exc.code is not None:  # always: the Reader names the option of every overrun
            truncated.add(exc.code)
            _add(raw, more, exc.code, data[exc.start:end], exc.at, registry, defects)
    return reader


def _add(raw: dict[int, bytes], more: dict[int, list[bytes]], code: int, value: bytes, at: int,
         registry: Registry, defects: list[Defect] | None) -> None:
    if code not in raw:
        raw[code] = value
    elif registry.concatenates(code):
        if code in more:
            more[code].append(value)
        else:
            more[code] = [value]
    else:
        _report(DuplicateOption(
            f"option {code} repeats but its format is fixed-length (RFC 3396)",
            offset=at, option=code), defects)


def _finish(data: bytes, defects: list[Defect] | None, registry: Registry,
            raw: dict[int, bytes], check: list[int], truncated: set[int], sname: bytes,
            file: bytes, more: dict[int, list[bytes]] | None = None,
            ) -> tuple[dict[int, Any], bytes, bytes, tuple[Defect, ...]]:
    """Option overload (52) and the values whose length or structure needs a
    check (``check``); ``raw`` gains what 'file' and 'sname' carry. Returns
    the typed values (values kept raw, and values a codec from outside the
    package made), sname, file and the defects.
    """
    if _OVERLOAD in raw:
        over = raw[_OVERLOAD]
        mode = overload_mode(over)
        if not mode:
            _report(BadOptionValue(f"option overload value {over.hex()} is not 1, 2 or 3",
                                   offset=option_offset(data, _OVERLOAD), option=_OVERLOAD),
                    defects)
        # RFC 3396 section 5: "the optional parameters field, the file field,
        # and the sname field, in that order."
        if more is None:
            more = {}
        if mode & 1:
            _overloaded(data, 108, 236, raw, more, truncated, defects, registry, "the file field")
            file = b""
        if mode & 2:
            _overloaded(data, 44, 108, raw, more, truncated, defects, registry, "the sname field")
            sname = b""
        check = list(raw)
    if more:
        for code, portions in more.items():
            raw[code] = b"".join([raw[code], *portions])

    typed: dict[int, Any] = {}
    table = registry.length_table()
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


def _overloaded(data: bytes, start: int, end: int, raw: dict[int, bytes],
                more: dict[int, list[bytes]], truncated: set[int],
                defects: list[Defect] | None, registry: Registry, field: str) -> None:
    # RFC 2132 section 9.3: options in 'file'/'sname' are read after the
    # options field; the field is "terminated by the end option".
    if not _scan(data, start, end, raw, more, truncated, defects, registry, field).ended:
        _report(MissingEnd(f"{field} holds options but no END", offset=end), defects)


def _long_check(registry: Registry, code: int, value: bytes) -> int:
    spec = registry.get(code)
    if spec is None:
        return 0
    if spec.codec.check_length(len(value)) is not None:
        return 1
    return 2 if registry.checker(code) is not None else 0


def _check_value(registry: Registry, code: int, value: bytes, chk: int,
                 typed: dict[int, Any], data: bytes, defects: list[Defect] | None) -> None:
    spec = registry[code]
    err: DecodeError
    if chk == 1:
        err = BadOptionLength(f"{spec.name}: {spec.codec.check_length(len(value))}",
                              offset=option_offset(data, code), option=code)
    else:
        check = registry.checker(code)
        try:
            # a structured codec of the package validates (converted only when
            # read); a codec from outside the package decodes now, and what it
            # made is kept, so that reading the value later cannot raise
            result = check(value) if check is not None else None
            if result is not None:
                typed[code] = result
            return
        except Malformed as exc:
            err = exc.kind(f"{spec.name}: {exc.message}", offset=value_offset(data, code, exc.at),
                           option=code)
        except Exception as exc:  # whatever a user's codec raises is a defect of the bytes
            err = BadOptionValue(f"{spec.name}: its codec raised {type(exc).__name__}: {exc}",
                                 offset=value_offset(data, code, 0), option=code)
    _report(err, defects)
    typed[code] = value  # kept as raw bytes, nothing dropped


_NO_OPTIONS = Options.from_raw({})


def _decode_bootp(data: bytes, strict: bool) -> Message:
    # RFC 951 section 3: the BOOTP message is the 236-octet header and a
    # 64-octet 'vend' field; RFC 1542 section 3.5 (the cookie) makes the
    # DHCP options optional. Without the cookie the vendor area is kept raw.
    n = len(data)
    if n < 236:
        raise TruncatedHeader(f"{n} octets is shorter than the 236-octet BOOTP header",
                              offset=n)
    defects: list[Defect] | None = None if strict else []
    _check_header(data, defects)
    if n < BOOTP_MIN_SIZE:
        _report(TruncatedHeader(
            f"{n} octets without the DHCP magic cookie is shorter than a BOOTP message "
            f"({BOOTP_MIN_SIZE} octets)", offset=n), defects)
    (op, htype, hlen, hops, xid, secs, flags, ci, yi, si, gi, chaddr, sname,
     file) = _HEADER.unpack_from(data)
    return message_from_wire(
        _OPS[op], htype, hlen, hops, xid, secs, flags,
        ip4(ci), ip4(yi), ip4(si), ip4(gi), chaddr, sname.rstrip(b"\0"), file.rstrip(b"\0"),
        _NO_OPTIONS, data[236:], () if defects is None else tuple(defects))
