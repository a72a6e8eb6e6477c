"""What the ``decode`` and ``lint`` commands read: a capture, hex, or one raw payload.

Rules of this module:

* An input is told by its bytes, never by its name: a pcap or pcapng magic
  makes a capture (read lazily, a chunk at a time); printable text must be
  hex (one message; spaces, newlines, colons and a leading ``0x`` allowed);
  anything else is one raw DHCP payload, and only if its header is sane:
  at least the 236-octet BOOTP header, 'op' 1 or 2, 'hlen' at most 16, and
  the magic cookie at offset 236 or a plausible BOOTP layout (300 octets or
  more, 'sname' and 'file' empty or NUL-terminated text). Anything else is
  refused with :class:`InputError` and a one-line reason, so that
  ``dhcpwire decode /etc/passwd`` prints no message. The check is the
  command line's own; it does not lean on what strict decoding rejects.
* An argument that is not an existing path is read as hex.
* Every problem is an :class:`InputError` whose text is one line saying
  what and where; nothing else escapes from here but :class:`OSError`
  (wrapped by the caller) and :class:`~dhcpwire.CaptureError` while a
  capture is read.
"""

from __future__ import annotations

import datetime
import os
import string
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import BinaryIO, Final

from ..tools.pcap import Capture, is_capture, open_capture
from ..wire.constants import MAGIC_COOKIE

__all__ = ["Input", "InputError", "Item", "open_input", "parse_hex"]

#: The most a non-capture input may hold: one DHCP message fits in a UDP datagram.
MAX_MESSAGE: Final = 65535
_BOOTP_HEADER: Final = 236
_BOOTP_MINIMUM: Final = 300  # RFC 951: the header and the 64-octet 'vend'
_HEX: Final = frozenset(string.hexdigits)
_SEPARATORS: Final = frozenset(" \t\r\n\v\f:")
_TEXT: Final = frozenset(range(0x20, 0x7F)) | frozenset(b"\t\r\n\v\f")


class InputError(Exception):
    """An input the commands cannot use; ``str()`` is the one-line reason."""


@dataclass(frozen=True, slots=True)
class Item:
    """One DHCP payload of the input, with what the capture says about it."""

    label: str
    """``frame N`` in a capture, ``message`` otherwise."""
    payload: bytes
    frame: int | None = None
    base: int = 0
    """The payload's byte offset in the file (0 for hex and for a raw payload)."""
    timestamp: float | None = None
    interface: int | None = None
    """The pcapng interface number; ``None`` for other inputs."""
    src: IPv4Address | None = None
    dst: IPv4Address | None = None
    sport: int | None = None
    dport: int | None = None
    fragment_offset: int | None = None
    """Not ``None``: an IPv4 fragment, to report and not to decode."""

    def time_iso(self) -> str | None:
        """The capture time as ISO 8601 UTC with microseconds, or ``None``."""
        if self.timestamp is None:
            return None
        try:
            moment = datetime.datetime.fromtimestamp(self.timestamp, datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_hex(text: str) -> bytes:
    """Hex digits with optional spaces, newlines, colons and one leading ``0x``.

    Raises :class:`InputError` naming the first character that is not hex
    (with its line and column) or an odd number of digits.
    """
    body = text.strip()
    skip = 2 if body[:2].lower() == "0x" else 0
    digits: list[str] = []
    line, column = 1, 0
    for position, char in enumerate(body):
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        if position < skip or char in _SEPARATORS:
            continue
        if char not in _HEX:
            return _not_hex(char, line, column)
        digits.append(char)
    if not digits:
        raise InputError("no hex digits")
    if len(digits) % 2:
        raise InputError(f"an odd number of hex digits ({len(digits)}): one is missing")
    return bytes.fromhex("".join(digits))


def _not_hex(char: str, line: int, column: int) -> bytes:
    shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
    raise InputError(f"not hex: {shown} at line {line}, column {column}")


def _sane_header(data: bytes) -> str | None:
    """Why ``data`` is not a DHCP/BOOTP payload, or ``None`` when its header is sane."""
    if len(data) < _BOOTP_HEADER:
        return f"{len(data)} octets is shorter than the {_BOOTP_HEADER}-octet BOOTP header"
    if data[0] not in (1, 2):
        return f"octet 0 ('op') is {data[0]}, not 1 (BOOTREQUEST) or 2 (BOOTREPLY)"
    if data[2] > 16:
        return f"octet 2 ('hlen') is {data[2]}, more than the 16 octets of 'chaddr'"
    if data[_BOOTP_HEADER : _BOOTP_HEADER + 4] == MAGIC_COOKIE:
        return None
    if len(data) >= _BOOTP_MINIMUM and _text_field(data[44:108]) and _text_field(data[108:236]):
        return None
    return (f"no DHCP magic cookie at offset {_BOOTP_HEADER} and not a BOOTP layout "
            "('sname' and 'file' NUL-terminated text, 300 octets or more)")


def _text_field(field: bytes) -> bool:
    """Empty, or printable text ended by NULs (RFC 951: "null terminated string")."""
    text, _, rest = field.partition(b"\x00")
    return not any(rest) and all(0x20 <= b < 0x7F for b in text) and len(text) < len(field)


@dataclass(frozen=True, slots=True)
class Input:
    """An opened input: its name for messages, what kind it is, and its items."""

    name: str
    kind: str
    """``"pcap"``, ``"pcapng"``, ``"hex"`` or ``"payload"``."""
    items: Iterator[Item]


class _Prefixed:
    """A binary stream with bytes already read put back in front."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self.prefix = prefix
        self.stream = stream

    def read(self, size: int = -1, /) -> bytes:
        if self.prefix:
            if size < 0:
                data, self.prefix = self.prefix + self.stream.read(), b""
                return data
            data, self.prefix = self.prefix[:size], self.prefix[size:]
            return data
        return self.stream.read(size)


def _read_some(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream (pipes give short reads)."""
    parts: list[bytes] = []
    have = 0
    while have < size:
        chunk = stream.read(size - have)
        if not chunk:
            break
        parts.append(chunk)
        have += len(chunk)
    return b"".join(parts)


def open_input(arg: str, stdin: BinaryIO | None) -> Input:
    """Open ``arg`` (``-`` is standard input): a capture, hex, or one raw payload.

    Raises :class:`InputError` for an input that is none of them and
    :class:`OSError` for one that cannot be read; a capture's file header is
    checked here (:class:`~dhcpwire.CaptureError`).
    """
    if arg == "-":
        if stdin is None:
            raise InputError("no standard input")
        return _from_stream("<stdin>", stdin)
    if not os.path.exists(arg):
        try:
            payload = parse_hex(arg)
        except InputError as exc:
            raise InputError(f"no such file, and not hex either ({exc})") from None
        return Input("hex", "hex", iter([Item("message", payload)]))
    if os.path.isdir(arg):
        raise InputError("is a directory")
    stream = open(arg, "rb")  # noqa: SIM115 (the capture closes it, or we do below)
    try:
        opened = _from_stream(arg, stream)
    except BaseException:
        stream.close()
        raise
    if opened.kind not in ("pcap", "pcapng"):
        stream.close()
    return opened


def _from_stream(name: str, stream: BinaryIO) -> Input:
    head = _read_some(stream, 4)
    if is_capture(head):
        capture = open_capture(_Prefixed(head, stream))
        return Input(name, capture.format, _capture_items(capture))
    data = head + _read_some(stream, MAX_MESSAGE + 1 - len(head))
    if not data:
        raise InputError("empty")
    if all(b in _TEXT for b in data):
        if len(data) > MAX_MESSAGE:
            raise InputError(f"text of more than {MAX_MESSAGE} octets: too long to be the hex "
                             "of one message")
        return Input(name, "hex", iter([Item("message", parse_hex(data.decode("ascii")))]))
    if len(data) > MAX_MESSAGE:
        raise InputError(f"not a capture, and more than {MAX_MESSAGE} octets: too long for one "
                         "DHCP message")
    problem = _sane_header(data)
    if problem is not None:
        raise InputError(f"not a pcap/pcapng capture, hex text or a DHCP message: {problem}")
    return Input(name, "payload", iter([Item("message", data)]))


def _capture_items(capture: Capture) -> Iterator[Item]:
    pcapng = capture.format == "pcapng"
    for d in capture:
        yield Item(f"frame {d.number}", d.payload, d.number, d.offset, d.timestamp,
                   d.interface if pcapng else None, d.src, d.dst, d.sport, d.dport,
                   d.fragment_offset)
