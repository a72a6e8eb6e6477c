"""Read DHCP datagrams out of pcap and pcapng captures, lazily, in constant memory.

:func:`open_capture` takes a path, a binary file object or :class:`bytes`
and returns a :class:`Capture`: iterate over it for the UDP-over-IPv4
datagrams on the DHCP ports (:class:`Datagram`), or call
:meth:`Capture.frames` for every frame (:class:`Frame`). The file is read in
chunks of about a megabyte as the iteration goes, never whole, so a capture
of any size is read in the same memory; headers are unpacked in place with
precompiled :class:`struct.Struct` objects and only the payloads that are
yielded are copied.

Rules of this module:

* The reader never trusts a length it has not checked against the file: a
  record or block that claims more bytes than the file holds is a
  :class:`~dhcpwire.CaptureError` with the file offset, not an allocation.
* Damage to the *container* (magic, headers, block lengths) raises
  :class:`~dhcpwire.CaptureError`; a malformed *frame* (a short Ethernet
  header, an IPv4 header that lies) is skipped, because it says nothing about
  whether the file can be read.
* Frame numbers are Wireshark's, so ``frame 7`` here is frame 7 in tshark.

Formats read
------------
* Classic pcap, the libpcap "savefile" format (described in the
  ``pcap-savefile(5)`` manual page and written up for the IETF as
  draft-ietf-opsawg-pcap): a 24-byte file header followed by records, each a
  16-byte header (seconds, fraction, captured length, original length) and the
  captured bytes.  Both byte orders are read, with microsecond (magic
  ``0xa1b2c3d4``) or nanosecond (magic ``0xa1b23c4d``) timestamps.  The upper
  bits of the link-type field (FCS length annotations) are masked off.  The
  "modified" Kuznetsov variant (magic ``0xa1b2cd34``) is recognised by
  :func:`is_capture` but refused with a :class:`~dhcpwire.CaptureError`.
* pcapng, as specified by the IETF OPSAWG Internet-Draft
  draft-ietf-opsawg-pcapng ("PCAP Now Generic", formerly "PCAP Next
  Generation"): a sequence of blocks, each carrying its type and total length
  at the front and the length again at the back.  A file may hold several
  sections, each opened by a Section Header Block whose byte-order magic sets
  the byte order of the blocks that follow it; each section has its own
  interfaces.  Interface Description Blocks give the link type, the
  ``if_name``, and the ``if_tsresol`` (power of 10 or, with the high bit
  set, power of 2; default microseconds) and ``if_tsoffset`` options.
  Packets come from Enhanced Packet Blocks, Simple Packet Blocks (no
  timestamp: ``None``; interface 0) and the obsolete Packet Block.  All other
  blocks are skipped.

Link types: Ethernet (1), with any number of 802.1Q/802.1ad VLAN tags
(TPID 0x8100, 0x88a8 or 0x9100); raw IP (101 and 228, and also 12 and 14,
the platform-dependent ``DLT_RAW`` values that some old writers put in files
and that Wireshark reads as raw IP; if such a file really came from an OpenBSD
loopback or BSD/OS PPP interface its frames do not start with an IPv4 header
and are simply skipped); BSD null/loopback (0, a 4-byte address family in the
capturing host's byte order, either order accepted) and OpenBSD loopback (108,
the same in network order), family 2 meaning IPv4; Linux cooked capture v1
(113) and v2 (276), which may also carry VLAN tags.

Frame numbers
-------------
:attr:`Datagram.number` counts every record as Wireshark (tshark 4.0) numbers
frames: every pcap record; in pcapng every Enhanced, Simple or obsolete
Packet Block, and also the non-packet records Wireshark shows as frames
(systemd Journal Export blocks, Custom blocks, Sysdig event blocks 0x204,
0x216 and 0x221), across all sections.

Fragments, and what is skipped
------------------------------
IPv4 fragments are reported, not reassembled: a first fragment (more-fragments
flag set, offset zero) whose ports are wanted yields the part of the UDP
payload it carries with :attr:`Datagram.fragment_offset` ``0`` and
``truncated=True``; the later fragments of the same datagram (same source,
destination and IPv4 identification, among the last 64 such datagrams) are
yielded too, with their byte offset in the UDP datagram and the bytes they
carry. Nothing that is a fragment should be decoded as a whole message.

Frames that do not carry UDP over IPv4 (IPv6, ARP, TCP, ICMP...) are skipped
silently, as are datagrams whose ports are not wanted and later fragments
whose first fragment was not seen. Headers that are malformed are also
skipped, never raised: a frame too short for the link-layer, IPv4 or UDP
header; IPv4 version not 4 or IHL below 5; an IPv4 total length smaller than
its own header plus a UDP header (this includes the zero total length written
by TCP segmentation offload); a UDP length below 8; and, in an unfragmented
packet, a UDP length larger than the IPv4 payload (the claimed lengths cannot
both be true).  When the headers are consistent but the frame holds fewer
bytes than they announce, because the snap length cut it, the datagram is
yielded with the bytes that are there and ``truncated=True``.

Errors
------
Only :class:`~dhcpwire.CaptureError` is raised, for problems with the
container itself: an unknown magic, a truncated file header, a record or block
running past the end of the file, a pcapng block length that is too small,
not a multiple of 4 or not repeated at the block's end, an unknown pcapng
byte-order magic or major version, a packet referring to an interface its
section does not define, a packet's captured bytes running past its block,
and a packet on an interface whose link type is not one of the above
(classic pcap reports this up front).  ``offset`` is the position in the file
of the offending field when a value is wrong (a magic, a length, a link
type, an interface number), or of the start of the record or block that is cut
short.  :func:`open_capture` checks the file header before returning, so a
file that is not a capture fails at once; later errors are raised while
iterating, after the frames that precede them have been yielded.
Malformed pcapng options are ignored. An :class:`OSError` from reading the
file is not wrapped.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import IO, Final, Protocol, Union

from ..wire.errors import CaptureError

__all__ = [
    "DHCP_PORTS",
    "BinaryReader",
    "Capture",
    "Datagram",
    "Frame",
    "Interface",
    "is_capture",
    "open_capture",
    "read_datagrams",
]

#: The BOOTP/DHCP server and client ports (RFC 2131 section 4.1), the default filter.
DHCP_PORTS: Final = frozenset({67, 68})



class BinaryReader(Protocol):
    """Anything with a binary ``read(size)``: an open file, a pipe, :class:`io.BytesIO`."""

    def read(self, size: int = -1, /) -> bytes | None: ...


#: What :func:`open_capture` reads: a path, a binary file object, or the bytes themselves.
Source = Union[str, "os.PathLike[str]", BinaryReader, bytes, bytearray, memoryview]


@dataclass(frozen=True, slots=True)
class Datagram:
    """One UDP-over-IPv4 datagram found in a capture file."""

    number: int
    """1-based frame number, counted as Wireshark counts frames."""
    timestamp: float | None
    """Capture time in seconds since the Unix epoch (``None``: a Simple Packet Block has none)."""
    src: IPv4Address
    dst: IPv4Address
    sport: int
    dport: int
    payload: bytes
    """The UDP payload, as much of it as was captured (for a fragment: the bytes it carries)."""
    offset: int
    """Byte offset of the payload's first byte within the capture file."""
    truncated: bool
    """Fewer payload bytes were captured than the UDP length announces (snap length, fragment)."""
    interface: int = 0
    """The pcapng interface number within its section (always 0 for classic pcap)."""
    linktype: int = 1
    """The link type of the frame (1 Ethernet, 101 raw IPv4, 113 Linux cooked, ...)."""
    fragment_offset: int | None = None
    """``None`` for a whole datagram; for an IPv4 fragment, where its bytes sit in the UDP
    datagram (0 for the first fragment, whose payload starts after the UDP header)."""

    @property
    def fragment(self) -> bool:
        """The datagram is an IPv4 fragment: report it, never decode it as a message."""
        return self.fragment_offset is not None


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame (record or packet block) of a capture, as captured."""

    number: int
    """1-based frame number, counted as Wireshark counts frames."""
    timestamp: float | None
    """Capture time in seconds since the Unix epoch (``None`` for a Simple Packet Block)."""
    interface: int
    """The pcapng interface number within its section (0 for classic pcap)."""
    linktype: int
    """The link type of the interface the frame was captured on."""
    data: bytes
    """The captured bytes (at most the snap length)."""
    original_length: int
    """The frame's length on the wire."""
    offset: int
    """Byte offset of the frame's first captured byte within the capture file."""

    def datagram(self, ports: frozenset[int] | None = DHCP_PORTS) -> Datagram | None:
        """The UDP-over-IPv4 datagram this frame carries on ``ports``, if any.

        Fragments are not followed across frames here (use the capture's
        iterator for that): a later fragment gives ``None``.
        """
        link = _LINK_LAYERS.get(self.linktype)
        if link is None:
            return None
        data = self.data
        found = _udp_over_ipv4(data, link(data, 0, len(data)), len(data), ports)
        if found is None or isinstance(found, _Fragment):
            return None
        src, dst, sport, dport, first, stop, truncated, frag = found
        return Datagram(self.number, self.timestamp, _ip(src), _ip(dst), sport, dport,
                        data[first:stop], self.offset + first, truncated, self.interface,
                        self.linktype, frag)


@dataclass(frozen=True, slots=True)
class Interface:
    """An interface of the capture: classic pcap has one, pcapng one per IDB per section."""

    linktype: int
    snaplen: int
    name: str | None = None
    """The pcapng ``if_name`` option, when the writer gave one."""


# --------------------------------------------------------------------------- magics

_PCAPNG_MAGIC: Final = b"\x0a\x0d\x0d\x0a"
_KUZNETSOV_MAGICS: Final = frozenset({b"\xa1\xb2\xcd\x34", b"\x34\xcd\xb2\xa1"})
# magic as it appears in the file -> (struct byte order, timestamp fraction units per second)
_PCAP_MAGICS: Final[dict[bytes, tuple[str, int]]] = {
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
}
_ALL_MAGICS: Final = frozenset({_PCAPNG_MAGIC, *_KUZNETSOV_MAGICS, *_PCAP_MAGICS})
_BYTE_ORDER_MAGICS: Final = {b"\x1a\x2b\x3c\x4d": ">", b"\x4d\x3c\x2b\x1a": "<"}

# --------------------------------------------------------------------------- structs

_U16_NET: Final = struct.Struct("!H")
_U32_NET: Final = struct.Struct("!I")
_U32_LE: Final = struct.Struct("<I")
# version/IHL, TOS, total length, id, flags/fragment offset, TTL, protocol, checksum, src, dst
_IPV4: Final = struct.Struct("!BBHHHBBHII")
# source port, destination port, length
_UDP: Final = struct.Struct("!HHH")

_PCAP_HEADER_LEN: Final = 24
_PCAP_RECORD_LEN: Final = 16
_PCAP_SNAPLEN_AT: Final = 16
_PCAP_LINKTYPE_AT: Final = 20
_PCAP_RECORD: Final = {e: struct.Struct(e + "IIII") for e in "<>"}
_PCAP_U32: Final = {e: struct.Struct(e + "I") for e in "<>"}

_CHUNK: Final = 1 << 20
# First fragments remembered, so that their later fragments can be reported.
_PENDING_FRAGMENTS: Final = 64


@dataclass(frozen=True, slots=True)
class _NgLayout:
    """The pcapng structures in one byte order."""

    block: struct.Struct  # block type, block total length
    u32: struct.Struct
    version: struct.Struct  # major, minor
    idb: struct.Struct  # link type, reserved, snap length
    option: struct.Struct  # option code, option length
    i64: struct.Struct
    epb: struct.Struct  # interface, timestamp high, low, captured length, original length
    pb: struct.Struct  # interface, drops, timestamp high, low, captured length, original length


_NG: Final = {
    e: _NgLayout(
        block=struct.Struct(e + "II"),
        u32=struct.Struct(e + "I"),
        version=struct.Struct(e + "HH"),
        idb=struct.Struct(e + "HHI"),
        option=struct.Struct(e + "HH"),
        i64=struct.Struct(e + "q"),
        epb=struct.Struct(e + "IIIII"),
        pb=struct.Struct(e + "HHIIII"),
    )
    for e in "<>"
}

_SHB: Final = 0x0A0D0D0A
_IDB: Final = 1
_PB: Final = 2
_SPB: Final = 3
_EPB: Final = 6
# Minimum total lengths (header, fixed fields, trailer).
_MIN_BLOCK: Final = 12
_MIN_SHB: Final = 28
_MIN_IDB: Final = 20
_MIN_SPB: Final = 16
_MIN_EPB: Final = 32  # also the obsolete Packet Block
# Blocks that are not packets but that Wireshark still numbers as frames:
# systemd Journal Export, Custom (copyable and not), Sysdig events.
_OTHER_FRAME_BLOCKS: Final = frozenset({0x9, 0xBAD, 0x40000BAD, 0x204, 0x216, 0x221})
_OPT_ENDOFOPT: Final = 0
_OPT_IF_NAME: Final = 2
_OPT_IF_TSRESOL: Final = 9
_OPT_IF_TSOFFSET: Final = 14

# --------------------------------------------------------------------------- link layers

# A link-layer handler gets (data, start of frame, end of frame) and returns the
# offset of the IPv4 header, or -1 when the frame does not carry IPv4.
_LinkHandler = Callable[[bytes, int, int], int]

_ETHERTYPE_IPV4: Final = 0x0800
_VLAN_TPIDS: Final = frozenset({0x8100, 0x88A8, 0x9100})
_AF_INET: Final = 2
_AF_INET_SWAPPED: Final = 0x02000000


def _ipv4_after_ethertype(data: bytes, pos: int, end: int, ethertype: int) -> int:
    """Step over VLAN tags that start at ``pos``; return ``pos`` of the IPv4 header or -1."""
    while ethertype in _VLAN_TPIDS:
        if pos + 4 > end:
            return -1
        (ethertype,) = _U16_NET.unpack_from(data, pos + 2)
        pos += 4
    return pos if ethertype == _ETHERTYPE_IPV4 else -1


def _ethernet(data: bytes, pos: int, end: int) -> int:
    if pos + 14 > end:
        return -1
    (ethertype,) = _U16_NET.unpack_from(data, pos + 12)
    return _ipv4_after_ethertype(data, pos + 14, end, ethertype)


def _linux_sll(data: bytes, pos: int, end: int) -> int:
    if pos + 16 > end:
        return -1
    (protocol,) = _U16_NET.unpack_from(data, pos + 14)
    return _ipv4_after_ethertype(data, pos + 16, end, protocol)


def _linux_sll2(data: bytes, pos: int, end: int) -> int:
    if pos + 20 > end:
        return -1
    (protocol,) = _U16_NET.unpack_from(data, pos)
    return _ipv4_after_ethertype(data, pos + 20, end, protocol)


def _bsd_null(data: bytes, pos: int, end: int) -> int:
    if pos + 4 > end:
        return -1
    (family,) = _U32_LE.unpack_from(data, pos)
    return pos + 4 if family in (_AF_INET, _AF_INET_SWAPPED) else -1


def _bsd_loop(data: bytes, pos: int, end: int) -> int:
    if pos + 4 > end:
        return -1
    (family,) = _U32_NET.unpack_from(data, pos)
    return pos + 4 if family == _AF_INET else -1


def _raw_ip(data: bytes, pos: int, end: int) -> int:
    return pos


_LINK_LAYERS: Final[dict[int, _LinkHandler]] = {
    0: _bsd_null,
    1: _ethernet,
    12: _raw_ip,
    14: _raw_ip,
    101: _raw_ip,
    108: _bsd_loop,
    113: _linux_sll,
    228: _raw_ip,
    276: _linux_sll2,
}

_LINK_NAMES: Final = {
    6: "IEEE 802.5 Token Ring",
    9: "PPP",
    10: "FDDI",
    50: "PPP in HDLC framing",
    104: "Cisco HDLC",
    105: "IEEE 802.11",
    119: "Prism 802.11",
    127: "802.11 radiotap",
    192: "PPI",
    201: "Bluetooth HCI H4 with PHDR",
    220: "Linux USB",
    229: "raw IPv6",
    239: "Linux NFLOG",
    252: "Wireshark upper PDU",
}


def _unsupported_link(linktype: int, where: str, offset: int) -> CaptureError:
    name = _LINK_NAMES.get(linktype)
    label = f"{linktype} ({name})" if name else str(linktype)
    return CaptureError(f"unsupported link type {label}{where}", offset=offset)


# --------------------------------------------------------------------------- IPv4 / UDP

_ip = IPv4Address


# (src, dst, sport, dport, payload start, payload end, truncated, fragment offset)
_Found = tuple[int, int, int, int, int, int, bool, "int | None"]


@dataclass(frozen=True, slots=True)
class _Fragment:
    """A later IPv4 fragment of a UDP datagram: the key that ties it to its first fragment."""

    key: tuple[int, int, int]  # src, dst, identification
    start: int  # its data in the frame
    stop: int
    where: int  # its offset in the UDP datagram, octets


def _udp_over_ipv4(data: bytes, ip: int, end: int, ports: frozenset[int] | None
                   ) -> _Found | _Fragment | None:
    """Find the UDP datagram in the IPv4 packet at ``ip`` (frame ends at ``end``)."""
    if ip < 0 or end - ip < 20:
        return None
    vihl, _, total, ident, frag, _, proto, _, src, dst = _IPV4.unpack_from(data, ip)
    if proto != 17 or vihl >> 4 != 4:
        return None
    ihl = (vihl & 0x0F) << 2
    if ihl < 20:
        return None
    if frag & 0x1FFF:  # a later fragment: no UDP header of its own
        if total <= ihl:
            return None
        start = ip + ihl
        return _Fragment((src, dst, ident), start, min(ip + total, end), (frag & 0x1FFF) * 8)
    if total < ihl + 8:
        return None
    udp = ip + ihl
    start = udp + 8
    if start > end:
        return None
    sport, dport, length = _UDP.unpack_from(data, udp)
    if ports is not None and sport not in ports and dport not in ports:
        return None
    if length < 8:
        return None
    stop = udp + length
    if frag & 0x2000:  # first fragment: the rest of the datagram is elsewhere
        here = min(ip + total, end)
        return src, dst, sport, dport, start, min(stop, here), True, 0
    if length > total - ihl:
        return None
    if stop > end:
        return src, dst, sport, dport, start, end, True, None
    return src, dst, sport, dport, start, stop, False, None


# --------------------------------------------------------------------------- the byte source


class _Buffer:
    """A window on the file: ``data`` holds the bytes from file offset ``base`` on.

    :meth:`fill` slides the window so that ``need`` bytes from ``pos`` are in
    it (or as many as the file still has): memory stays at about one chunk
    plus the largest record. Bytes given whole (no stream) are never copied.
    """

    __slots__ = ("base", "data", "stream")

    def __init__(self, stream: BinaryReader | None, data: bytes) -> None:
        self.stream = stream
        self.data = data
        self.base = 0

    def fill(self, pos: int, need: int) -> int:
        """Make ``data[pos:pos + need]`` present if the file has it; returns the new ``pos``."""
        if self.stream is None:
            return pos
        have = len(self.data) - pos
        parts = [self.data[pos:]]
        while have < need:
            chunk = self.stream.read(max(_CHUNK, need - have))
            if not chunk:
                self.stream = None
                break
            if not isinstance(chunk, bytes):
                raise TypeError("a capture is read from a binary file object (open(path, 'rb'))")
            parts.append(chunk)
            have += len(chunk)
        self.base += pos
        self.data = b"".join(parts)
        return 0


# Internal record: (number, timestamp, interface index, interface, data, start, end,
# original length, file offset of data[0])
_Record = tuple[int, "float | None", int, Interface, _LinkHandler, bytes, int, int, int, int]


def _pcap_records(buf: _Buffer, order: str, units: int, interface: Interface,
                  link: _LinkHandler) -> Iterator[_Record]:
    record = _PCAP_RECORD[order]
    pos = _PCAP_HEADER_LEN
    number = 0
    data = buf.data
    size = len(data)
    while True:
        if size - pos < _PCAP_RECORD_LEN:
            pos = buf.fill(pos, _PCAP_RECORD_LEN)
            data = buf.data
            size = len(data)
            if pos == size:
                return
            if size - pos < _PCAP_RECORD_LEN:
                raise CaptureError(
                    f"truncated record header: {size - pos} of {_PCAP_RECORD_LEN} bytes",
                    offset=buf.base + pos)
        seconds, fraction, captured, original = record.unpack_from(data, pos)
        start = pos + _PCAP_RECORD_LEN
        end = start + captured
        number += 1
        if end > size:
            pos = buf.fill(pos, _PCAP_RECORD_LEN + captured)
            data = buf.data
            size = len(data)
            start = pos + _PCAP_RECORD_LEN
            end = start + captured
            if end > size:
                raise CaptureError(
                    f"record {number} claims {captured} captured bytes"
                    f" but only {size - start} remain in the file",
                    offset=buf.base + pos)
        yield (number, seconds + fraction / units, 0, interface, link, data, start, end,
               original, buf.base)
        pos = end


def _open_pcap(buf: _Buffer, order: str, units: int) -> tuple[Interface, Iterator[_Record]]:
    pos = buf.fill(0, _PCAP_HEADER_LEN)
    data = buf.data
    if len(data) - pos < _PCAP_HEADER_LEN:
        raise CaptureError(
            f"truncated pcap file header: {len(data)} of {_PCAP_HEADER_LEN} bytes", offset=0)
    u32 = _PCAP_U32[order]
    (field,) = u32.unpack_from(data, _PCAP_LINKTYPE_AT)
    (snaplen,) = u32.unpack_from(data, _PCAP_SNAPLEN_AT)
    linktype = field & 0x03FFFFFF  # the top bits may describe the FCS
    link = _LINK_LAYERS.get(linktype)
    if link is None:
        raise _unsupported_link(linktype, "", _PCAP_LINKTYPE_AT)
    interface = Interface(linktype, snaplen)
    return interface, _pcap_records(buf, order, units, interface, link)


# --------------------------------------------------------------------------- pcapng


@dataclass(frozen=True, slots=True)
class _NgInterface:
    public: Interface
    link: _LinkHandler | None
    linktype_at: int
    units: int  # timestamp units per second
    tsoffset: int  # seconds to add to every timestamp


def _section_layout(data: bytes, pos: int, base: int) -> _NgLayout:
    """Check the Section Header Block at ``pos`` (at least 12 bytes are there)."""
    order = _BYTE_ORDER_MAGICS.get(data[pos + 8 : pos + 12])
    if order is None:
        raise CaptureError(
            f"bad pcapng byte-order magic 0x{data[pos + 8 : pos + 12].hex()}",
            offset=base + pos + 8)
    return _NG[order]


def _ng_interface(data: bytes, ng: _NgLayout, body: int, body_end: int, base: int
                  ) -> _NgInterface:
    linktype, _, snaplen = ng.idb.unpack_from(data, body)
    units = 1_000_000
    tsoffset = 0
    name: str | None = None
    opt = body + 8
    while opt + 4 <= body_end:
        code, length = ng.option.unpack_from(data, opt)
        value = opt + 4
        if code == _OPT_ENDOFOPT or value + length > body_end:
            break
        if code == _OPT_IF_TSRESOL and length >= 1:
            resolution = data[value]
            units = 2 ** (resolution & 0x7F) if resolution & 0x80 else 10 ** resolution
        elif code == _OPT_IF_TSOFFSET and length >= 8:
            (tsoffset,) = ng.i64.unpack_from(data, value)
        elif code == _OPT_IF_NAME:
            name = data[value : value + length].decode("utf-8", "replace").rstrip("\x00")
        opt = value + length + (-length % 4)
    return _NgInterface(Interface(linktype, snaplen, name), _LINK_LAYERS.get(linktype),
                        base + body, units, tsoffset)


def _pick_interface(interfaces: list[_NgInterface], index: int, number: int, offset: int
                    ) -> tuple[_NgInterface, _LinkHandler]:
    if index >= len(interfaces):
        raise CaptureError(
            f"packet {number} refers to interface {index},"
            f" but its section describes {len(interfaces)}",
            offset=offset)
    interface = interfaces[index]
    if interface.link is None:
        raise _unsupported_link(interface.public.linktype,
                                f" on interface {index} (packet {number})",
                                interface.linktype_at)
    return interface, interface.link


def _pcapng_blocks(buf: _Buffer, seen: list[Interface]) -> Iterator[_Record]:
    pos = 0
    number = 0
    ng = _NG["<"]
    interfaces: list[_NgInterface] = []
    data = buf.data
    size = len(data)
    while True:
        if size - pos < _MIN_BLOCK:
            pos = buf.fill(pos, _MIN_BLOCK)
            data = buf.data
            size = len(data)
            if pos == size:
                return
            if size - pos < _MIN_BLOCK:
                raise CaptureError(
                    f"truncated block header: {size - pos} of {_MIN_BLOCK} bytes",
                    offset=buf.base + pos)
        if data.startswith(_PCAPNG_MAGIC, pos):
            ng = _section_layout(data, pos, buf.base)
            interfaces = []
        kind, length = ng.block.unpack_from(data, pos)
        if length % 4 or length < _MIN_BLOCK:
            problem = "not a multiple of 4" if length % 4 else f"smaller than {_MIN_BLOCK}"
            raise CaptureError(
                f"block length {length} of block type 0x{kind:08x} is {problem}",
                offset=buf.base + pos + 4)
        block_end = pos + length
        if block_end > size:
            pos = buf.fill(pos, length)
            data = buf.data
            size = len(data)
            block_end = pos + length
            if block_end > size:
                raise CaptureError(
                    f"block of type 0x{kind:08x} claims {length} bytes"
                    f" but only {size - pos} remain in the file",
                    offset=buf.base + pos)
        base = buf.base
        body = pos + 8
        body_end = block_end - 4
        (trailer,) = ng.u32.unpack_from(data, body_end)
        if trailer != length:
            raise CaptureError(
                f"block of type 0x{kind:08x} ends with length {trailer}, not {length}",
                offset=base + body_end)

        if kind in (_EPB, _PB, _SPB):
            number += 1
            if kind == _SPB:
                if length < _MIN_SPB:
                    raise CaptureError(
                        f"simple packet block length {length} is smaller than {_MIN_SPB}",
                        offset=base + pos + 4)
                interface, link = _pick_interface(interfaces, 0, number, base + pos)
                index = 0
                (original,) = ng.u32.unpack_from(data, body)
                start = body + 4
                end = start + min(original, body_end - start)
                if interface.public.snaplen:
                    end = min(end, start + interface.public.snaplen)
                timestamp: float | None = None
            else:
                if length < _MIN_EPB:
                    raise CaptureError(
                        f"packet block length {length} is smaller than {_MIN_EPB}",
                        offset=base + pos + 4)
                if kind == _EPB:
                    index, high, low, captured, original = ng.epb.unpack_from(data, body)
                else:
                    index, _, high, low, captured, original = ng.pb.unpack_from(data, body)
                interface, link = _pick_interface(interfaces, index, number, base + body)
                start = body + 20
                end = start + captured
                if end > body_end:
                    raise CaptureError(
                        f"packet {number} claims {captured} captured bytes"
                        f" but its block holds only {body_end - start}",
                        offset=base + body + 12)
                timestamp = (high << 32 | low) / interface.units + interface.tsoffset
            yield (number, timestamp, index, interface.public, link, data, start, end,
                   original, base)
        elif kind == _IDB:
            if length < _MIN_IDB:
                raise CaptureError(
                    f"interface description block length {length} is smaller than {_MIN_IDB}",
                    offset=base + pos + 4)
            interface = _ng_interface(data, ng, body, body_end, base)
            interfaces.append(interface)
            seen.append(interface.public)
        elif kind == _SHB:
            if length < _MIN_SHB:
                raise CaptureError(
                    f"section header block length {length} is smaller than {_MIN_SHB}",
                    offset=base + pos + 4)
            major, minor = ng.version.unpack_from(data, pos + 12)
            if major != 1:
                raise CaptureError(f"unsupported pcapng version {major}.{minor}",
                                   offset=base + pos + 12)
        elif kind in _OTHER_FRAME_BLOCKS:
            number += 1
        pos = block_end


# --------------------------------------------------------------------------- public API


def is_capture(data: bytes) -> bool:
    """Tell whether ``data`` starts with a pcap or pcapng magic number."""
    return bytes(data[:4]) in _ALL_MAGICS


class Capture:
    """A pcap or pcapng file opened for reading, frame after frame.

    Made by :func:`open_capture`. Iterating gives the :class:`Datagram` objects
    on the ports given there; :meth:`frames` gives every :class:`Frame`. A
    capture is read once: iterate over it a single time (a file object is not
    rewound). Use it as a context manager, or call :meth:`close`, to close a
    file it opened itself.
    """

    format: str
    """``"pcap"`` or ``"pcapng"``."""

    def __init__(self, source: Source, *, ports: frozenset[int] | None = DHCP_PORTS) -> None:
        self.ports = ports
        self._own: IO[bytes] | None = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._buf = _Buffer(None, bytes(source))
        else:
            if isinstance(source, (str, os.PathLike)):
                self._own = open(source, "rb")  # noqa: SIM115 (closed by close())
                stream: BinaryReader = self._own
            else:
                stream = source
            self._buf = _Buffer(stream, b"")
            try:
                self._buf.fill(0, 4)
            except BaseException:
                self.close()
                raise
        self._interfaces: list[Interface] = []
        try:
            self._records = self._open()
        except BaseException:
            self.close()
            raise
        self._started = False

    def _open(self) -> Iterator[_Record]:
        data = self._buf.data
        magic = data[:4]
        if magic == _PCAPNG_MAGIC:
            self.format = "pcapng"
            pos = self._buf.fill(0, _MIN_BLOCK)
            if len(self._buf.data) - pos < _MIN_BLOCK:
                raise CaptureError(
                    f"truncated pcapng section header: {len(self._buf.data)} of {_MIN_BLOCK}"
                    " bytes", offset=0)
            _section_layout(self._buf.data, 0, 0)
            return _pcapng_blocks(self._buf, self._interfaces)
        layout = _PCAP_MAGICS.get(magic)
        if layout is not None:
            self.format = "pcap"
            interface, records = _open_pcap(self._buf, layout[0], layout[1])
            self._interfaces.append(interface)
            return records
        if magic in _KUZNETSOV_MAGICS:
            raise CaptureError("the modified (Kuznetsov) pcap format is not supported",
                               offset=0)
        if len(magic) < 4 and any(m.startswith(magic) for m in _ALL_MAGICS):
            raise CaptureError(f"truncated capture file header: {len(data)} bytes", offset=0)
        raise CaptureError(f"not a pcap or pcapng file (magic 0x{magic.hex()})", offset=0)

    @property
    def interfaces(self) -> tuple[Interface, ...]:
        """The interfaces described so far (pcapng describes them as the file goes on)."""
        return tuple(self._interfaces)

    def _take(self) -> Iterator[_Record]:
        if self._started:
            raise RuntimeError("a Capture is read once; open the file again to reread it")
        self._started = True
        return self._records

    def frames(self) -> Iterator[Frame]:
        """Every frame, in file order, with its captured bytes."""
        try:
            for number, ts, index, iface, _, data, start, end, original, base in self._take():
                yield Frame(number, ts, index, iface.linktype, data[start:end], original,
                            base + start)
        finally:
            self.close()

    def __iter__(self) -> Iterator[Datagram]:
        """The UDP-over-IPv4 datagrams on this capture's ports, fragments reported."""
        ports = self.ports
        pending: dict[tuple[int, int, int], tuple[int, int]] = {}
        udp = _udp_over_ipv4
        make = Datagram
        ip = _ip
        try:
            for number, ts, index, iface, link, data, start, end, _, base in self._take():
                at = link(data, start, end)
                found = udp(data, at, end, ports)
                if found is None:
                    continue
                if isinstance(found, _Fragment):
                    first = pending.get(found.key)
                    if first is None:
                        continue
                    src, dst, _ = found.key
                    yield make(number, ts, ip(src), ip(dst), first[0], first[1],
                               data[found.start : found.stop], base + found.start, True,
                               index, iface.linktype, found.where)
                    continue
                src, dst, sport, dport, first_byte, stop, truncated, frag = found
                if frag is not None:
                    pending[_fragment_key(data, at)] = (sport, dport)
                    if len(pending) > _PENDING_FRAGMENTS:
                        del pending[next(iter(pending))]
                yield make(number, ts, ip(src), ip(dst), sport, dport, data[first_byte:stop],
                           base + first_byte, truncated, index, iface.linktype, frag)
        finally:
            self.close()

    def close(self) -> None:
        """Close the file if :func:`open_capture` opened it (a path); idempotent."""
        if self._own is not None:
            self._own.close()
            self._own = None

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fragment_key(data: bytes, ip: int) -> tuple[int, int, int]:
    _, _, _, ident, _, _, _, _, src, dst = _IPV4.unpack_from(data, ip)
    return src, dst, ident


def open_capture(source: Source, *, ports: frozenset[int] | None = DHCP_PORTS) -> Capture:
    """Open a pcap or pcapng capture for lazy reading.

    ``source`` is a path, a binary file object (read from where it stands,
    never rewound; a pipe works) or the file's bytes. The format is chosen
    by the magic number; the file header is checked here, so a file that is
    not a capture raises :class:`~dhcpwire.CaptureError` at once. Iterating
    over the result gives the datagrams whose source or destination port is
    in ``ports`` (``None``: every UDP datagram).

    >>> from dhcpwire.pcap import open_capture
    >>> with open_capture("tests/captures/arkime_arkime__wireshark-dhcp.pcap") as capture:
    ...     for d in capture:
    ...         print(d.number, d.src, ">", d.dst, len(d.payload))
    1 0.0.0.0 > 255.255.255.255 272
    2 192.168.0.1 > 192.168.0.10 300
    3 0.0.0.0 > 255.255.255.255 272
    4 192.168.0.1 > 192.168.0.10 300
    """
    return Capture(source, ports=ports)


def read_datagrams(data: Source, *, ports: frozenset[int] | None = DHCP_PORTS
                   ) -> Iterator[Datagram]:
    """Yield the UDP-over-IPv4 datagrams of a pcap or pcapng file, in file order.

    The same as iterating over :func:`open_capture`'s result: ``data`` is the
    file's bytes, a path or a binary file object; ``ports=None`` yields every
    UDP datagram. A bad magic or file header raises
    :class:`~dhcpwire.CaptureError` from this call; a damaged record or block
    later in the file raises it during iteration.
    """
    return iter(Capture(data, ports=ports))
