"""encode(): a :class:`~dhcpwire.Message` to a UDP payload.

Rules of this module:

* The fixed header is RFC 2131 figure 1 (236 octets), then the magic cookie
  (RFC 2131 section 3), then the options field of RFC 2132 section 2,
  ending with END and padded with zeros to the BOOTP minimum (RFC 1542
  section 3.1.1).
* Option 82 goes last (RFC 3046 section 2.1); option 52 is the encoder's
  alone (RFC 2132 section 9.3, RFC 3396 section 5); long values are split
  (RFC 3396 section 6).
* An unchanged decoded message is written back byte for byte; a message
  built by hand is encoded canonically.
* ``encode`` raises nothing but :class:`~dhcpwire.errors.EncodeError`.
"""

from __future__ import annotations

import struct
from typing import Final

from .constants import BOOTP_MIN_SIZE, DEFAULT_MAX_SIZE, MAGIC_COOKIE
from .errors import EncodeError, MessageTooLarge
from .message import ZERO_ADDRESS as ZERO
from .message import Message
from .options import Options
from .reader import MAX_PORTION, overload_mode, tlv
from .registry import Registry

__all__ = ["encode"]

_HEADER: Final = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")
#: The same header with the addresses as integers: ``address.__int__()`` (what
#: ``int(address)`` calls) is a plain attribute read, where ``.packed`` is a
#: property that converts, ten times slower.
_HEADER_OUT: Final = struct.Struct("!BBBBIHHIIII16s64s128s")
_OVERLOAD: Final = 52
_RELAY_AGENT: Final = 82
_CODE_LENGTH: Final = struct.Struct("BB").pack
#: IP (20) and UDP (8) headers: RFC 2131's 576 is an IP datagram size.
_IP_UDP: Final = 28
#: END and k octets of padding, by k.
_ENDS: Final = tuple(b"\xff" + bytes(k) for k in range(BOOTP_MIN_SIZE - 240))


def encode(message: Message, *, registry: Registry | None = None,
           max_size: int | None = None) -> bytes:
    """Encode ``message`` as a UDP payload.

    * ``max_size`` is the largest DHCP message the receiver accepts (its
      option 57, RFC 2132 section 9.10). The default is 548 octets: RFC 2131
      section 2's 576-octet IP datagram less the IP and UDP headers.
    * Options go out in the mapping's order, except that option 82 goes last
      (RFC 3046 section 2.1/2.2) and option 52 is written by the encoder
      alone: when the options do not fit, they spill into 'file' and then
      'sname' (when those are empty) and 52 says so (RFC 2132 section 9.3).
      Values over 255 octets are split into consecutive instances (RFC 3396
      section 6). END follows; the message is padded with zeros to 300
      octets (RFC 1542 section 3.1.1).
    * A decoded, unchanged message is written back byte for byte.

    ``registry`` is accepted for symmetry with :func:`decode`; options carry
    their own value bytes, so it is not needed to encode them.

    Raises :class:`~dhcpwire.errors.MessageTooLarge` when the options do not
    fit even with overload.
    """
    m = message
    limit = DEFAULT_MAX_SIZE - _IP_UDP if max_size is None else max_size
    ci, yi, si, gi = m.ciaddr, m.yiaddr, m.siaddr, m.giaddr
    try:
        # the unset addresses are the shared 0.0.0.0 (decoded ones too): no call
        head = _HEADER_OUT.pack(
            m.op, m.htype, m.hlen, m.hops, m.xid, m.secs, m.flags,
            0 if ci is ZERO else ci.__int__(), 0 if yi is ZERO else yi.__int__(),
            0 if si is ZERO else si.__int__(), 0 if gi is ZERO else gi.__int__(),
            m.chaddr, m.sname, m.file)
    except (struct.error, AttributeError, TypeError) as exc:
        raise EncodeError(f"bad header field: {exc}") from None
    if m.vend is not None:
        return head + m.vend.ljust(64, b"\0")
    opts = m.options
    wire = opts.payload
    if wire is not None:
        data = wire
        over = opts.raw_get(_OVERLOAD)
        mode = 0 if over is None else overload_mode(over)
        # Unchanged options of a decoded message: write the original option
        # area, and the original file/sname when they carried options (then
        # the message's own file/sname must be empty, as decode left them).
        if not (mode & 1 and m.file) and not (mode & 2 and m.sname):
            if mode & 2:
                head = head[:44] + data[44:108] + head[108:]
            if mode & 1:
                head = head[:108] + data[108:236]
            out = head + data[236:]
            if max_size is not None and len(out) > max_size:
                raise MessageTooLarge(f"{len(out)} octets is over the maximum {max_size}")
            return out

    # One join: the header, the cookie and the options; then END and the
    # padding, once the size is known.
    parts = [head, MAGIC_COOKIE]
    append = parts.append
    relay = b""
    for code, value in opts.raw_items():
        n = len(value)
        if n <= MAX_PORTION and code != _RELAY_AGENT and code != _OVERLOAD:
            append(_CODE_LENGTH(code, n))
            append(value)
            continue
        if code == _OVERLOAD:
            continue
        # RFC 3396 section 6: "No split portion of an option that has been
        # split can contain more than 255 octets"; portions in order.
        if code == _RELAY_AGENT:
            relay = tlv(code, value)
        else:
            append(tlv(code, value))
    if relay:
        append(relay)
    out = b"".join(parts)
    size = len(out) + 1  # with END
    if size <= limit:
        # RFC 1542 section 3.1.1: padded to the 300-octet BOOTP minimum
        return out + (_ENDS[BOOTP_MIN_SIZE - size] if size < BOOTP_MIN_SIZE else b"\xff")
    return _encode_overloaded(m, opts, relay, limit)


def _encode_overloaded(m: Message, opts: Options, relay: bytes, limit: int) -> bytes:
    # RFC 3396 section 5: the aggregate buffer is options, then file, then
    # sname; "Options MUST NOT be stored ... in such a way that they cross
    # either boundary", and split portions are stored "in sequential order".
    # RFC 3046 section 2.2: "Servers SHALL NOT place the echoed Relay Agent
    # Information option in the overloaded sname or file fields".
    #
    # Each option goes whole into the first field with room for it; an
    # option too big for any field's free room is split (RFC 3396 section 6)
    # across the fields in aggregate order, if its format allows
    # concatenation. Each field keeps one octet for its END.
    caps = [limit - 240 - 3 - 1 - len(relay), 0 if m.file else 127, 0 if m.sname else 63]
    areas: list[list[bytes]] = [[], [], []]
    registry = opts.registry
    for code, value in opts.raw_items():
        if code in (_OVERLOAD, _RELAY_AGENT):
            continue
        n = len(value)
        if n <= MAX_PORTION:
            for k in range(3):
                if n + 2 <= caps[k]:
                    areas[k].append(bytes((code, n)) + value)
                    caps[k] -= n + 2
                    break
            else:
                n = -1  # did not fit whole anywhere: split below
        if 0 <= n <= MAX_PORTION:
            continue
        if not registry.concatenates(code):
            raise MessageTooLarge(f"option {code} does not fit, and its fixed-length format "
                                  "cannot be split (RFC 3396)", option=code)
        k, at = 0, 0
        while at < len(value):
            while k < 3 and caps[k] < 3:
                k += 1
            if k == 3:
                raise MessageTooLarge(
                    f"the options need more than the {limit} octets allowed, even with "
                    "the file and sname fields overloaded", option=code)
            take = min(MAX_PORTION, caps[k] - 2, len(value) - at)
            areas[k].append(bytes((code, take)) + value[at:at + take])
            caps[k] -= take + 2
            at += take
    mode = (1 if areas[1] else 0) | (2 if areas[2] else 0)
    main = b"".join(areas[0]) + relay
    # mode 0: it fits after all (only the room kept for option 52 was in the way)
    body = main if mode == 0 else bytes((_OVERLOAD, 1, mode)) + main
    file = b"".join(areas[1]) + b"\xff" if areas[1] else m.file
    sname = b"".join(areas[2]) + b"\xff" if areas[2] else m.sname
    head = _HEADER.pack(
        m.op, m.htype, m.hlen, m.hops, m.xid, m.secs, m.flags, m.ciaddr.packed,
        m.yiaddr.packed, m.siaddr.packed, m.giaddr.packed, m.chaddr, sname, file)
    size = 241 + len(body)
    if size > limit:  # option 82 alone may not fit the options field
        raise MessageTooLarge(f"the options need {size} octets in the options field; the "
                              f"maximum message is {limit}", option=_RELAY_AGENT)
    out = head + MAGIC_COOKIE + body + b"\xff"
    if size < BOOTP_MIN_SIZE:
        out += bytes(BOOTP_MIN_SIZE - size)
    return out
