"""Pull UDP-over-IPv4 datagrams out of pcap and pcapng capture files.

This is a deliberately small reader: it exists so that ``dhcpwire decode
capture.pcap`` and the test suite can get at DHCP payloads without a packet
library.  It works on the whole file held in memory as :class:`bytes`,
unpacking headers in place with precompiled :class:`struct.Struct` objects;
only the UDP payloads that are yielded are copied.

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
  :func:`is_capture` but refused with a :class:`CaptureError`.
* pcapng, as specified by the IETF OPSAWG Internet-Draft
  draft-ietf-opsawg-pcapng ("PCAP Now Generic", formerly "PCAP Next
  Generation"): a sequence of blocks, each carrying its type and total length
  at the front and the length again at the back.  A file may hold several
  sections, each opened by a Section Header Block whose byte-order magic sets
  the byte order of the blocks that follow it; each section has its own
  interfaces.  Interface Description Blocks give the link type and the
  ``if_tsresol`` (power of 10 or, with the high bit set, power of 2; default
  microseconds) and ``if_tsoffset`` options.  Packets come from Enhanced
  Packet Blocks, Simple Packet Blocks (no timestamp: ``0.0``; interface 0) and
  the obsolete Packet Block.  All other blocks are skipped.

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

What is skipped, not raised
---------------------------
Frames that do not carry UDP over IPv4 (IPv6, ARP, TCP, ICMP...) and
non-first IPv4 fragments are skipped silently, as are datagrams whose ports
are not wanted.  A first fragment (more-fragments flag set, offset zero)
yields the part of the datagram it carries with ``truncated=True``.  Headers
that are malformed are also skipped, never raised, because they say nothing
about whether the *file* can be read: a frame too short for the link-layer,
IPv4 or UDP header; IPv4 version not 4 or IHL below 5; an IPv4 total length
smaller than its own header plus a UDP header (this includes the zero total
length written by TCP segmentation offload); a UDP length below 8; and, in
an unfragmented packet, a UDP length larger than the IPv4 payload (the
claimed lengths cannot both be true).  When the headers are consistent but the
frame holds fewer bytes than they announce, because the snap length cut it,
the datagram is yielded with the bytes that are there and ``truncated=True``.

Errors
------
Only :class:`~dhcpwire.errors.CaptureError` is raised, for problems with the
container itself: an unknown magic, a truncated file header, a record or block
running past the end of the file, a pcapng block length that is too small,
not a multiple of 4 or not repeated at the block's end, an unknown pcapng
byte-order magic or major version, a packet referring to an interface its
section does not define, a packet's captured bytes running past its block,
and a packet on an interface whose link type is not one of the above
(classic pcap reports this up front).  ``offset`` is the position in the file
of the offending field when a value is wrong (a magic, a length, a link
type, an interface number), or of the start of the record or block that is cut
short.  :func:`read_datagrams` checks the file header before returning, so a
file that is not a capture fails at once; later errors are raised while
iterating, after the datagrams that precede them have been yielded.
Malformed pcapng options are ignored.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Final

from ..wire.errors import CaptureError

__all__ = ["Datagram", "is_capture", "read_datagrams"]


@dataclass(frozen=True, slots=True)
class Datagram:
    """One UDP-over-IPv4 datagram found in a capture file."""

    number: int
    """1-based frame number, counted as Wireshark counts frames."""
    timestamp: float
    """Capture time in seconds since the Unix epoch (``0.0`` for Simple Packet Blocks)."""
    src: IPv4Address
    dst: IPv4Address
    sport: int
    dport: int
    payload: bytes
    """The UDP payload, as much of it as was captured."""
    offset: int
    """Byte offset of the payload's first byte within the capture file."""
    truncated: bool
    """Fewer payload bytes were captured than the UDP length announces (snap length, fragment)."""


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
_PCAP_LINKTYPE_AT: Final = 20
_PCAP_RECORD: Final = {e: struct.Struct(e + "IIII") for e in "<>"}
_PCAP_U32: Final = {e: struct.Struct(e + "I") for e in "<>"}


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

# (src, dst, sport, dport, payload start, payload end, truncated)
_Found = tuple[int, int, int, int, int, int, bool]


def _udp_over_ipv4(data: bytes, ip: int, end: int, ports: frozenset[int] | None) -> _Found | None:
    """Find the UDP datagram in the IPv4 packet at ``ip`` (frame ends at ``end``)."""
    if ip < 0 or end - ip < 28:
        return None
    vihl, _, total, _, frag, _, proto, _, src, dst = _IPV4.unpack_from(data, ip)
    if proto != 17 or vihl >> 4 != 4:
        return None
    ihl = (vihl & 0x0F) << 2
    if ihl < 20 or frag & 0x1FFF or total < ihl + 8:
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
        return src, dst, sport, dport, start, min(stop, here), True
    if length > total - ihl:
        return None
    if stop > end:
        return src, dst, sport, dport, start, end, True
    return src, dst, sport, dport, start, stop, False


# --------------------------------------------------------------------------- classic pcap


def _pcap_records(
    data: bytes, order: str, units: int, link: _LinkHandler, ports: frozenset[int] | None
) -> Iterator[Datagram]:
    record = _PCAP_RECORD[order]
    size = len(data)
    pos = _PCAP_HEADER_LEN
    number = 0
    while pos < size:
        if size - pos < _PCAP_RECORD_LEN:
            raise CaptureError(
                f"truncated record header: {size - pos} of {_PCAP_RECORD_LEN} bytes", offset=pos
            )
        seconds, fraction, captured, _ = record.unpack_from(data, pos)
        start = pos + _PCAP_RECORD_LEN
        end = start + captured
        number += 1
        if end > size:
            raise CaptureError(
                f"record {number} claims {captured} captured bytes"
                f" but only {size - start} remain in the file",
                offset=pos,
            )
        found = _udp_over_ipv4(data, link(data, start, end), end, ports)
        if found is not None:
            src, dst, sport, dport, first, stop, truncated = found
            yield Datagram(
                number,
                seconds + fraction / units,
                IPv4Address(src),
                IPv4Address(dst),
                sport,
                dport,
                data[first:stop],
                first,
                truncated,
            )
        pos = end


def _open_pcap(
    data: bytes, order: str, units: int, ports: frozenset[int] | None
) -> Iterator[Datagram]:
    if len(data) < _PCAP_HEADER_LEN:
        raise CaptureError(
            f"truncated pcap file header: {len(data)} of {_PCAP_HEADER_LEN} bytes", offset=0
        )
    (field,) = _PCAP_U32[order].unpack_from(data, _PCAP_LINKTYPE_AT)
    linktype = field & 0x03FFFFFF  # the top bits may describe the FCS
    link = _LINK_LAYERS.get(linktype)
    if link is None:
        raise _unsupported_link(linktype, "", _PCAP_LINKTYPE_AT)
    return _pcap_records(data, order, units, link, ports)


# --------------------------------------------------------------------------- pcapng


@dataclass(frozen=True, slots=True)
class _Interface:
    link: _LinkHandler | None
    linktype: int
    linktype_at: int
    snaplen: int
    units: int  # timestamp units per second
    tsoffset: int  # seconds to add to every timestamp


def _section_layout(data: bytes, pos: int) -> _NgLayout:
    """Check the Section Header Block at ``pos`` (at least 12 bytes are there)."""
    order = _BYTE_ORDER_MAGICS.get(data[pos + 8 : pos + 12])
    if order is None:
        raise CaptureError(
            f"bad pcapng byte-order magic 0x{data[pos + 8 : pos + 12].hex()}", offset=pos + 8
        )
    return _NG[order]


def _interface(data: bytes, ng: _NgLayout, body: int, body_end: int) -> _Interface:
    linktype, _, snaplen = ng.idb.unpack_from(data, body)
    units = 1_000_000
    tsoffset = 0
    opt = body + 8
    while opt + 4 <= body_end:
        code, length = ng.option.unpack_from(data, opt)
        value = opt + 4
        if code == _OPT_ENDOFOPT or value + length > body_end:
            break
        if code == _OPT_IF_TSRESOL and length >= 1:
            resolution = data[value]
            units = 2 ** (resolution & 0x7F) if resolution & 0x80 else 10**resolution
        elif code == _OPT_IF_TSOFFSET and length >= 8:
            (tsoffset,) = ng.i64.unpack_from(data, value)
        opt = value + length + (-length % 4)
    return _Interface(_LINK_LAYERS.get(linktype), linktype, body, snaplen, units, tsoffset)


def _pick_interface(
    interfaces: list[_Interface], index: int, number: int, offset: int
) -> tuple[_Interface, _LinkHandler]:
    if index >= len(interfaces):
        raise CaptureError(
            f"packet {number} refers to interface {index},"
            f" but its section describes {len(interfaces)}",
            offset=offset,
        )
    interface = interfaces[index]
    if interface.link is None:
        raise _unsupported_link(
            interface.linktype, f" on interface {index} (packet {number})", interface.linktype_at
        )
    return interface, interface.link


def _pcapng_blocks(data: bytes, ports: frozenset[int] | None) -> Iterator[Datagram]:
    size = len(data)
    pos = 0
    number = 0
    ng = _NG["<"]
    interfaces: list[_Interface] = []
    while pos < size:
        if size - pos < _MIN_BLOCK:
            raise CaptureError(
                f"truncated block header: {size - pos} of {_MIN_BLOCK} bytes", offset=pos
            )
        if data.startswith(_PCAPNG_MAGIC, pos):
            ng = _section_layout(data, pos)
            interfaces = []
        kind, length = ng.block.unpack_from(data, pos)
        if length % 4 or length < _MIN_BLOCK:
            problem = "not a multiple of 4" if length % 4 else f"smaller than {_MIN_BLOCK}"
            raise CaptureError(
                f"block length {length} of block type 0x{kind:08x} is {problem}", offset=pos + 4
            )
        block_end = pos + length
        if block_end > size:
            raise CaptureError(
                f"block of type 0x{kind:08x} claims {length} bytes"
                f" but only {size - pos} remain in the file",
                offset=pos,
            )
        body = pos + 8
        body_end = block_end - 4
        (trailer,) = ng.u32.unpack_from(data, body_end)
        if trailer != length:
            raise CaptureError(
                f"block of type 0x{kind:08x} ends with length {trailer}, not {length}",
                offset=body_end,
            )

        if kind in (_EPB, _PB, _SPB):
            number += 1
            if kind == _SPB:
                if length < _MIN_SPB:
                    raise CaptureError(
                        f"simple packet block length {length} is smaller than {_MIN_SPB}",
                        offset=pos + 4,
                    )
                interface, link = _pick_interface(interfaces, 0, number, pos)
                (original,) = ng.u32.unpack_from(data, body)
                start = body + 4
                end = start + min(original, body_end - start)
                if interface.snaplen:
                    end = min(end, start + interface.snaplen)
                timestamp = None
            else:
                if length < _MIN_EPB:
                    raise CaptureError(
                        f"packet block length {length} is smaller than {_MIN_EPB}",
                        offset=pos + 4,
                    )
                if kind == _EPB:
                    index, high, low, captured, _ = ng.epb.unpack_from(data, body)
                else:
                    index, _, high, low, captured, _ = ng.pb.unpack_from(data, body)
                interface, link = _pick_interface(interfaces, index, number, body)
                start = body + 20
                end = start + captured
                if end > body_end:
                    raise CaptureError(
                        f"packet {number} claims {captured} captured bytes"
                        f" but its block holds only {body_end - start}",
                        offset=body + 12,
                    )
                timestamp = (high << 32 | low) / interface.units + interface.tsoffset
            found = _udp_over_ipv4(data, link(data, start, end), end, ports)
            if found is not None:
                src, dst, sport, dport, first, stop, truncated = found
                yield Datagram(
                    number,
                    0.0 if timestamp is None else timestamp,
                    IPv4Address(src),
                    IPv4Address(dst),
                    sport,
                    dport,
                    data[first:stop],
                    first,
                    truncated,
                )
        elif kind == _IDB:
            if length < _MIN_IDB:
                raise CaptureError(
                    f"interface description block length {length} is smaller than {_MIN_IDB}",
                    offset=pos + 4,
                )
            interfaces.append(_interface(data, ng, body, body_end))
        elif kind == _SHB:
            if length < _MIN_SHB:
                raise CaptureError(
                    f"section header block length {length} is smaller than {_MIN_SHB}",
                    offset=pos + 4,
                )
            major, minor = ng.version.unpack_from(data, pos + 12)
            if major != 1:
                raise CaptureError(f"unsupported pcapng version {major}.{minor}", offset=pos + 12)
        elif kind in _OTHER_FRAME_BLOCKS:
            number += 1
        pos = block_end


def _open_pcapng(data: bytes, ports: frozenset[int] | None) -> Iterator[Datagram]:
    if len(data) < _MIN_BLOCK:
        raise CaptureError(
            f"truncated pcapng section header: {len(data)} of {_MIN_BLOCK} bytes", offset=0
        )
    _section_layout(data, 0)
    return _pcapng_blocks(data, ports)


# --------------------------------------------------------------------------- public API


def is_capture(data: bytes) -> bool:
    """Tell whether ``data`` starts with a pcap or pcapng magic number."""
    return data[:4] in _ALL_MAGICS


def read_datagrams(
    data: bytes, *, ports: frozenset[int] | None = frozenset({67, 68})
) -> Iterator[Datagram]:
    """Yield the UDP-over-IPv4 datagrams of a pcap or pcapng file, in file order.

    Only datagrams whose source or destination port is in ``ports`` are
    yielded; ``ports=None`` yields every UDP datagram.  The format is chosen
    by the magic number.  A bad magic or file header raises
    :class:`~dhcpwire.errors.CaptureError` from this call; a damaged record
    or block later in the file raises it during iteration.  See the module
    documentation for what is skipped and which errors are raised.
    """
    magic = data[:4]
    if magic == _PCAPNG_MAGIC:
        return _open_pcapng(data, ports)
    layout = _PCAP_MAGICS.get(magic)
    if layout is not None:
        return _open_pcap(data, layout[0], layout[1], ports)
    if magic in _KUZNETSOV_MAGICS:
        raise CaptureError("the modified (Kuznetsov) pcap format is not supported", offset=0)
    if len(magic) < 4 and any(m.startswith(magic) for m in _ALL_MAGICS):
        raise CaptureError(f"truncated capture file header: {len(data)} bytes", offset=0)
    raise CaptureError(f"not a pcap or pcapng file (magic 0x{magic.hex()})", offset=0)
