"""Tests for dhcpwire.pcap: synthetic pcap/pcapng files built here, plus the real captures."""

from __future__ import annotations

import csv
import hashlib
import io
import struct
import tracemalloc
from dataclasses import FrozenInstanceError
from ipaddress import IPv4Address
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dhcpwire.tools.pcap as pcap_module
from dhcpwire import CaptureError
from dhcpwire.pcap import Datagram, is_capture, open_capture, read_datagrams

CAPTURES = Path(__file__).resolve().parents[1] / "captures"

# ---------------------------------------------------------------------------- frame builders

CLIENT = IPv4Address("10.0.0.1")
SERVER = IPv4Address("10.0.0.2")
ETH_LEN = 14
IP_UDP_LEN = 28


def ipv4_udp(
    payload: bytes = b"dhcp-payload",
    *,
    src: IPv4Address = CLIENT,
    dst: IPv4Address = SERVER,
    sport: int = 68,
    dport: int = 67,
    ihl: int = 5,
    version: int = 4,
    proto: int = 17,
    flags_fragment: int = 0,
    total: int | None = None,
    udp_length: int | None = None,
) -> bytes:
    """An IPv4 packet holding a UDP datagram; every length can be overridden to lie."""
    options = b"\x00" * (max(ihl, 5) * 4 - 20)
    length = 8 + len(payload) if udp_length is None else udp_length
    udp = struct.pack("!HHHH", sport, dport, length, 0) + payload
    if total is None:
        total = 20 + len(options) + len(udp)
    header = struct.pack(
        "!BBHHHBBH4s4s",
        version << 4 | ihl,
        0,
        total,
        0x1234,
        flags_fragment,
        64,
        proto,
        0,
        src.packed,
        dst.packed,
    )
    return header + options + udp


def ipv6_udp(payload: bytes = b"v6") -> bytes:
    udp = struct.pack("!HHHH", 546, 547, 8 + len(payload), 0) + payload
    return struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + bytes(16) + bytes(15) + b"\x01" + udp


def ethernet(packet: bytes, *, ethertype: int = 0x0800, tags: tuple[int, ...] = ()) -> bytes:
    """An Ethernet II frame; each TPID in ``tags`` adds a 4-byte VLAN tag."""
    head = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01"
    for number, tpid in enumerate(tags):
        head += struct.pack("!HH", tpid, 100 + number)
    return head + struct.pack("!H", ethertype) + packet


def sll(packet: bytes, protocol: int = 0x0800) -> bytes:
    return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\x00\x00\x00\x00\x01\x00\x00", protocol) + packet


def sll2(packet: bytes, protocol: int = 0x0800) -> bytes:
    return struct.pack("!HHIHBB8s", protocol, 0, 3, 1, 0, 6, b"\x02" + bytes(7)) + packet


# ---------------------------------------------------------------------------- file builders

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D


class Rec(NamedTuple):
    data: bytes
    seconds: int = 0
    fraction: int = 0
    original: int | None = None


def pcap(
    *records: Rec | bytes,
    order: str = "<",
    nanoseconds: bool = False,
    linktype: int = 1,
    snaplen: int = 65535,
) -> bytes:
    magic = PCAP_MAGIC_NS if nanoseconds else PCAP_MAGIC_US
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for item in records:
        rec = item if isinstance(item, Rec) else Rec(item)
        original = len(rec.data) if rec.original is None else rec.original
        out += struct.pack(order + "IIII", rec.seconds, rec.fraction, len(rec.data), original)
        out += rec.data
    return out


def block(kind: int, body: bytes, order: str = "<") -> bytes:
    body += b"\x00" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(order + "II", kind, length) + body + struct.pack(order + "I", length)


def shb(order: str = "<", major: int = 1) -> bytes:
    return block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, major, 0, -1), order)


def option(code: int, value: bytes, order: str = "<") -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def idb(linktype: int = 1, snaplen: int = 0, options: bytes = b"", order: str = "<") -> bytes:
    if options:
        options += option(0, b"", order)
    return block(1, struct.pack(order + "HHI", linktype, 0, snaplen) + options, order)


def tsresol(value: int, order: str = "<") -> bytes:
    return option(9, bytes([value]), order)


def epb(
    data: bytes, *, interface: int = 0, ts: int = 0, original: int | None = None, order: str = "<"
) -> bytes:
    original = len(data) if original is None else original
    head = struct.pack(order + "IIIII", interface, ts >> 32, ts & 0xFFFFFFFF, len(data), original)
    return block(6, head + data, order)


def spb(data: bytes, *, original: int | None = None, order: str = "<") -> bytes:
    original = len(data) if original is None else original
    return block(3, struct.pack(order + "I", original) + data, order)


def packet_block(data: bytes, *, interface: int = 0, ts: int = 0, order: str = "<") -> bytes:
    head = struct.pack(
        order + "HHIIII", interface, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)
    )
    return block(2, head + data, order)


SHB_LEN = 28
IDB_LEN = 20
EPB_HEAD = 28  # block type, length and the five fixed fields


def dg(
    number: int,
    offset: int,
    payload: bytes = b"dhcp-payload",
    *,
    timestamp: float | None = 0.0,
    src: IPv4Address = CLIENT,
    dst: IPv4Address = SERVER,
    sport: int = 68,
    dport: int = 67,
    truncated: bool = False,
    interface: int = 0,
    linktype: int = 1,
    fragment_offset: int | None = None,
) -> Datagram:
    return Datagram(number, timestamp, src, dst, sport, dport, payload, offset, truncated,
                    interface, linktype, fragment_offset)


def read(data: bytes, ports: frozenset[int] | None = frozenset({67, 68})) -> list[Datagram]:
    return list(read_datagrams(data, ports=ports))


def numbers(data: bytes, ports: frozenset[int] | None = frozenset({67, 68})) -> list[int]:
    return [d.number for d in read_datagrams(data, ports=ports)]


# ---------------------------------------------------------------------------- classic pcap


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcap_in_either_byte_order_yields_the_exact_datagram(order: str) -> None:
    data = pcap(Rec(ethernet(ipv4_udp()), 1_700_000_000, 250_000), order=order)
    assert read(data) == [dg(1, 24 + 16 + ETH_LEN + IP_UDP_LEN, timestamp=1_700_000_000.25)]


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcap_nanosecond_magic_scales_the_fraction_by_a_billion(order: str) -> None:
    data = pcap(
        Rec(ethernet(ipv4_udp()), 1_700_000_000, 750_000_000), order=order, nanoseconds=True
    )
    assert [d.timestamp for d in read(data)] == [1_700_000_000.75]


def test_pcap_frame_numbers_count_every_record() -> None:
    data = pcap(
        ethernet(b"\x00" * 28, ethertype=0x0806),  # ARP
        ethernet(ipv4_udp(sport=68)),
        ethernet(ipv6_udp(), ethertype=0x86DD),
        ethernet(ipv4_udp(proto=6)),  # TCP
        ethernet(ipv4_udp(sport=67, dport=68)),
    )
    assert numbers(data) == [2, 5]


def test_pcap_link_type_fcs_annotation_bits_are_ignored() -> None:
    # bits 26-31 of the link-type field describe the FCS; tcpdump's bootp_asan files use them
    data = pcap(ethernet(ipv4_udp()), linktype=0x04000001)
    assert numbers(data) == [1]


def test_pcap_with_no_records_yields_nothing() -> None:
    assert read(pcap()) == []


# ---------------------------------------------------------------------------- link types

LINK_CASES = {
    "ethernet": (1, ethernet(ipv4_udp()), ETH_LEN),
    "ethernet-802.1q": (1, ethernet(ipv4_udp(), tags=(0x8100,)), ETH_LEN + 4),
    "ethernet-802.1ad-qinq": (1, ethernet(ipv4_udp(), tags=(0x88A8, 0x8100)), ETH_LEN + 8),
    "ethernet-three-tags": (1, ethernet(ipv4_udp(), tags=(0x9100, 0x9100, 0x8100)), ETH_LEN + 12),
    "raw-101": (101, ipv4_udp(), 0),
    "raw-ipv4-228": (228, ipv4_udp(), 0),
    "dlt-raw-12": (12, ipv4_udp(), 0),
    "dlt-raw-14": (14, ipv4_udp(), 0),
    "null-little-endian-host": (0, b"\x02\x00\x00\x00" + ipv4_udp(), 4),
    "null-big-endian-host": (0, b"\x00\x00\x00\x02" + ipv4_udp(), 4),
    "openbsd-loop-108": (108, b"\x00\x00\x00\x02" + ipv4_udp(), 4),
    "linux-sll-113": (113, sll(ipv4_udp()), 16),
    "linux-sll-113-vlan": (113, sll(struct.pack("!HH", 7, 0x0800) + ipv4_udp(), 0x8100), 20),
    "linux-sll2-276": (276, sll2(ipv4_udp()), 20),
}


@pytest.mark.parametrize(("linktype", "frame", "link_len"), LINK_CASES.values(), ids=LINK_CASES)
def test_each_link_type_finds_the_ipv4_udp_payload(
    linktype: int, frame: bytes, link_len: int
) -> None:
    data = pcap(frame, linktype=linktype)
    assert read(data) == [dg(1, 24 + 16 + link_len + IP_UDP_LEN, linktype=linktype)]


NOT_IPV4_CASES = {
    "ethernet-ipv6": (1, ethernet(ipv6_udp(), ethertype=0x86DD)),
    "ethernet-arp": (1, ethernet(bytes(28), ethertype=0x0806)),
    "ethernet-802.3-length": (1, ethernet(ipv4_udp(), ethertype=0x05DC)),
    "vlan-carrying-ipv6": (1, ethernet(ipv6_udp(), ethertype=0x86DD, tags=(0x8100,))),
    "raw-101-ipv6": (101, ipv6_udp()),
    "null-ipv6-family": (0, b"\x1e\x00\x00\x00" + ipv6_udp()),
    "loop-ipv6-family": (108, b"\x00\x00\x00\x18" + ipv6_udp()),
    "sll-ipv6": (113, sll(ipv6_udp(), 0x86DD)),
    "sll2-arp": (276, sll2(bytes(28), 0x0806)),
}


@pytest.mark.parametrize(("linktype", "frame"), NOT_IPV4_CASES.values(), ids=NOT_IPV4_CASES)
def test_frames_without_ipv4_are_skipped_but_numbered(linktype: int, frame: bytes) -> None:
    good = {
        0: b"\x02\x00\x00\x00" + ipv4_udp(),
        1: ethernet(ipv4_udp()),
        101: ipv4_udp(),
        108: b"\x00\x00\x00\x02" + ipv4_udp(),
        113: sll(ipv4_udp()),
        276: sll2(ipv4_udp()),
    }[linktype]
    assert numbers(pcap(frame, good, linktype=linktype), ports=None) == [2]


# ---------------------------------------------------------------------------- IPv4 / UDP

MALFORMED_FRAMES = {
    "ethernet-header-cut": ethernet(ipv4_udp())[:12],
    "vlan-tag-cut": ethernet(ipv4_udp(), tags=(0x8100,))[: ETH_LEN + 2],
    "ipv4-header-cut": ethernet(ipv4_udp())[: ETH_LEN + 19],
    "udp-header-cut": ethernet(ipv4_udp())[: ETH_LEN + 27],
    "ihl-below-5": ethernet(ipv4_udp(ihl=4)),
    "version-not-4": ethernet(ipv4_udp(version=6)),
    "total-length-below-headers": ethernet(ipv4_udp(total=27)),
    "total-length-zero": ethernet(ipv4_udp(total=0)),
    "udp-length-below-8": ethernet(ipv4_udp(udp_length=7)),
    "udp-length-beyond-ip-payload": ethernet(ipv4_udp(b"x" * 10, udp_length=100)),
    "ihl-beyond-frame": ethernet(ipv4_udp(ihl=15))[: ETH_LEN + 40],
    "tcp": ethernet(ipv4_udp(proto=6)),
    "non-first-fragment": ethernet(ipv4_udp(flags_fragment=185)),
    "last-fragment-with-offset": ethernet(ipv4_udp(flags_fragment=0x2000 | 1)),
}


@pytest.mark.parametrize("frame", MALFORMED_FRAMES.values(), ids=MALFORMED_FRAMES)
def test_malformed_or_unwanted_ipv4_frames_are_skipped_not_raised(frame: bytes) -> None:
    assert numbers(pcap(frame, ethernet(ipv4_udp())), ports=None) == [2]


def test_ip_options_are_stepped_over() -> None:
    data = pcap(ethernet(ipv4_udp(ihl=7)))
    assert read(data) == [dg(1, 24 + 16 + ETH_LEN + 28 + 8)]


def test_ethernet_padding_is_not_part_of_the_payload() -> None:
    frame = ethernet(ipv4_udp(b"ab"))
    frame += bytes(60 - len(frame))
    assert read(pcap(frame)) == [dg(1, 82, b"ab")]


def test_udp_length_shorter_than_ip_payload_bounds_the_payload() -> None:
    packet = ipv4_udp(b"abcdefgh", udp_length=8 + 3)
    assert read(pcap(ethernet(packet))) == [dg(1, 82, b"abc")]


def test_snap_length_cut_yields_captured_bytes_as_truncated() -> None:
    frame = ethernet(ipv4_udp(bytes(range(200))))
    data = pcap(Rec(frame[: ETH_LEN + IP_UDP_LEN + 50], original=len(frame)), snaplen=92)
    assert read(data) == [dg(1, 82, bytes(range(50)), truncated=True)]


def test_snap_length_cut_inside_udp_header_skips_the_frame() -> None:
    frame = ethernet(ipv4_udp())
    assert read(pcap(Rec(frame[: ETH_LEN + 24], original=len(frame)))) == []


def test_first_fragment_yields_its_part_as_truncated() -> None:
    packet = ipv4_udp(b"A" * 100, flags_fragment=0x2000, udp_length=8 + 1000)
    assert read(pcap(ethernet(packet))) == [
        dg(1, 82, b"A" * 100, truncated=True, fragment_offset=0)]


def test_first_fragment_payload_stops_at_the_fragment_end() -> None:
    packet = ipv4_udp(b"A" * 20, flags_fragment=0x2000, udp_length=8 + 1000)
    frame = ethernet(packet) + b"\xee" * 30  # trailer bytes after the IPv4 packet
    assert read(pcap(frame)) == [dg(1, 82, b"A" * 20, truncated=True, fragment_offset=0)]


def test_fragment_with_dont_fragment_and_reserved_bits_still_counts_as_first() -> None:
    packet = ipv4_udp(b"B" * 8, flags_fragment=0xE000, udp_length=8 + 500)
    assert read(pcap(ethernet(packet))) == [
        dg(1, 82, b"B" * 8, truncated=True, fragment_offset=0)]


def test_default_ports_are_dhcp_in_either_direction() -> None:
    data = pcap(
        ethernet(ipv4_udp(sport=68, dport=67)),
        ethernet(ipv4_udp(sport=67, dport=68)),
        ethernet(ipv4_udp(sport=5000, dport=67)),
        ethernet(ipv4_udp(sport=67, dport=5000)),
        ethernet(ipv4_udp(sport=53, dport=5353)),
    )
    assert numbers(data) == [1, 2, 3, 4]
    assert numbers(data, ports=None) == [1, 2, 3, 4, 5]
    assert numbers(data, ports=frozenset({5353})) == [5]
    assert numbers(data, ports=frozenset()) == []


def test_addresses_and_ports_are_reported() -> None:
    packet = ipv4_udp(
        src=IPv4Address("192.0.2.1"), dst=IPv4Address("255.255.255.255"), sport=67, dport=68
    )
    [d] = read(pcap(ethernet(packet)))
    assert (d.src, d.dst, d.sport, d.dport) == (
        IPv4Address("192.0.2.1"),
        IPv4Address("255.255.255.255"),
        67,
        68,
    )


def test_datagram_is_frozen_and_slotted() -> None:
    d = dg(1, 82)
    with pytest.raises(FrozenInstanceError):
        d.number = 2  # type: ignore[misc]
    assert not hasattr(d, "__dict__")


# ---------------------------------------------------------------------------- pcapng


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcapng_enhanced_packet_block_in_either_byte_order(order: str) -> None:
    data = (
        shb(order)
        + idb(order=order)
        + epb(ethernet(ipv4_udp()), ts=1_700_000_000_500_000, order=order)
    )
    offset = SHB_LEN + IDB_LEN + EPB_HEAD + ETH_LEN + IP_UDP_LEN
    assert read(data) == [dg(1, offset, timestamp=1_700_000_000.5)]


@pytest.mark.parametrize(
    ("resolution", "ts", "expected"),
    [
        (6, 1_700_000_000_500_000, 1_700_000_000.5),  # the default, given explicitly
        (9, 1_700_000_000_250_000_000, 1_700_000_000.25),  # nanoseconds
        (0, 42, 42.0),  # whole seconds
        (0x80 | 10, (1_700_000_000 << 10) + 512, 1_700_000_000.5),  # 2**-10 seconds
        (0x80 | 0, 7, 7.0),  # 2**0
    ],
)
def test_pcapng_if_tsresol_sets_the_timestamp_unit(
    resolution: int, ts: int, expected: float
) -> None:
    for order in "<>":
        data = (
            shb(order)
            + idb(options=tsresol(resolution, order), order=order)
            + epb(ethernet(ipv4_udp()), ts=ts, order=order)
        )
        assert [d.timestamp for d in read(data)] == [expected]


def test_pcapng_if_tsoffset_is_added_to_timestamps() -> None:
    options = option(14, struct.pack("<q", 1_000_000)) + tsresol(3)
    data = shb() + idb(options=options) + epb(ethernet(ipv4_udp()), ts=1_500)
    assert [d.timestamp for d in read(data)] == [1_000_001.5]


def test_pcapng_interfaces_keep_their_own_link_type_and_resolution() -> None:
    data = (
        shb()
        + idb(1)
        + idb(101, options=tsresol(9))
        + epb(ipv4_udp(), interface=1, ts=3_000_000_000)
        + epb(ethernet(ipv4_udp()), interface=0, ts=3_000_000)
    )
    assert [(d.number, d.timestamp) for d in read(data)] == [(1, 3.0), (2, 3.0)]


def test_pcapng_unknown_options_are_skipped() -> None:
    options = option(2, b"eth0") + option(3, b"a description") + tsresol(9) + option(12, b"OS")
    data = shb() + idb(options=options) + epb(ethernet(ipv4_udp()), ts=5 * 10**9)
    assert [d.timestamp for d in read(data)] == [5.0]


def test_pcapng_option_running_past_its_block_is_ignored() -> None:
    bad_options = struct.pack("<HH", 9, 200) + b"\x09\x00\x00\x00"
    data = (
        shb()
        + block(1, struct.pack("<HHI", 1, 0, 0) + bad_options)
        + epb(ethernet(ipv4_udp()), ts=2_000_000)
    )
    assert [d.timestamp for d in read(data)] == [2.0]


def test_pcapng_simple_packet_block_has_no_timestamp() -> None:
    data = shb() + idb() + spb(ethernet(ipv4_udp(b"odd")))  # 45 bytes: padded in the block
    assert read(data) == [
        dg(1, SHB_LEN + IDB_LEN + 12 + ETH_LEN + IP_UDP_LEN, b"odd", timestamp=None)]


def test_pcapng_simple_packet_block_is_cut_to_the_interface_snap_length() -> None:
    frame = ethernet(ipv4_udp(bytes(range(100))))
    snaplen = ETH_LEN + IP_UDP_LEN + 10
    data = shb() + idb(snaplen=snaplen) + spb(frame[:snaplen], original=len(frame))
    [d] = read(data)
    assert (d.payload, d.truncated) == (bytes(range(10)), True)


def test_pcapng_obsolete_packet_block_is_read() -> None:
    data = shb(">") + idb(order=">") + packet_block(ethernet(ipv4_udp()), ts=9_000_000, order=">")
    assert read(data) == [dg(1, SHB_LEN + IDB_LEN + 28 + ETH_LEN + IP_UDP_LEN, timestamp=9.0)]


def test_pcapng_sections_switch_byte_order_and_reset_interfaces() -> None:
    first = shb("<") + idb(1, options=tsresol(3)) + epb(ethernet(ipv4_udp()), ts=1_000)
    second = (
        shb(">")
        + idb(101, options=tsresol(9, ">"), order=">")
        + epb(ipv4_udp(sport=67, dport=68), ts=2 * 10**9, order=">")
    )
    data = first + second
    got = read(data)
    assert [(d.number, d.timestamp, d.sport) for d in got] == [(1, 1.0, 68), (2, 2.0, 67)]
    idb_with_tsresol = IDB_LEN + 8 + 4  # option if_tsresol, padded, then opt_endofopt
    assert got[1].offset == len(first) + SHB_LEN + idb_with_tsresol + EPB_HEAD + IP_UDP_LEN


def test_pcapng_interface_numbers_restart_in_each_section() -> None:
    data = shb() + idb() + idb() + shb() + idb() + epb(ethernet(ipv4_udp()), interface=1)
    with pytest.raises(CaptureError) as caught:
        read(data)
    assert caught.value.offset == SHB_LEN + 2 * IDB_LEN + SHB_LEN + IDB_LEN + 8


def test_pcapng_non_packet_blocks_are_skipped_and_numbered_like_wireshark() -> None:
    # Checked with tshark 4.0: journal export, custom and Sysdig event blocks are frames;
    # name resolution, statistics, decryption secrets and unknown blocks are not.
    frame = epb(ethernet(ipv4_udp()))
    data = (
        shb()
        + idb()
        + frame  # 1
        + block(4, bytes(4))  # name resolution block
        + block(5, bytes(12))  # interface statistics block
        + block(10, struct.pack("<II", 0x544C534B, 4) + b"keys")  # decryption secrets
        + block(0x12345, b"??")  # unknown
        + block(0x80000001, b"local use")
        + frame  # 2
        + block(9, b"MESSAGE=hello\n")  # 3: systemd journal export
        + frame  # 4
        + block(0xBAD, struct.pack("<I", 32473) + b"custom")  # 5
        + block(0x40000BAD, struct.pack("<I", 32473) + b"custom")  # 6
        + frame  # 7
        + block(0x204, bytes(32))  # 8: sysdig event
        + frame  # 9
    )
    assert numbers(data) == [1, 2, 4, 7, 9]


def test_pcapng_interface_with_unsupported_link_type_is_fine_without_packets() -> None:
    data = shb() + idb(1) + idb(105) + epb(ethernet(ipv4_udp()), interface=0)
    assert numbers(data) == [1]


def test_pcapng_with_only_a_section_header_yields_nothing() -> None:
    assert read(shb()) == []


# ---------------------------------------------------------------------------- errors


def pcap_header(linktype: int = 1) -> bytes:
    return pcap(linktype=linktype)


ERROR_CASES: dict[str, tuple[bytes, int, str]] = {
    "empty": (b"", 0, "truncated"),
    "short-magic": (b"\xd4\xc3", 0, "truncated"),
    "unknown-magic": (b"GIF89a" + bytes(40), 0, "magic"),
    "text": (b"DHCPDISCOVER\n", 0, "magic"),
    "kuznetsov-pcap": (b"\x34\xcd\xb2\xa1" + bytes(20), 0, "Kuznetsov"),
    "pcap-header-cut": (pcap_header()[:23], 0, "truncated pcap file header"),
    "pcap-unsupported-link-type": (pcap_header(105), 20, "unsupported link type 105"),
    "pcap-link-type-reserved-bits": (pcap_header(0x00010001), 20, "unsupported link type 65537"),
    "pcap-record-header-cut": (pcap_header() + bytes(15), 24, "truncated record header"),
    "pcap-record-past-eof": (pcap(ethernet(ipv4_udp()))[:-1], 24, "record 1 claims"),
    "pcapng-header-cut": (shb()[:11], 0, "truncated"),
    "pcapng-bad-byte-order-magic": (shb()[:8] + b"\x01\x02\x03\x04" + shb()[12:], 8, "byte-order"),
    "pcapng-unsupported-version": (shb(major=2), 12, "version 2.0"),
    "pcapng-shb-too-small": (block(0x0A0D0D0A, struct.pack("<IHH", 0x1A2B3C4D, 1, 0)), 4, "28"),
    "pcapng-length-not-multiple-of-4": (
        shb() + struct.pack("<II", 1, 22) + bytes(14),
        SHB_LEN + 4,
        "not a multiple of 4",
    ),
    "pcapng-length-below-12": (shb() + struct.pack("<III", 1, 8, 8), SHB_LEN + 4, "smaller"),
    "pcapng-block-past-eof": (shb() + idb()[:-4], SHB_LEN, "remain"),
    "pcapng-block-header-cut": (shb() + b"\x01\x00\x00\x00\x14", SHB_LEN, "truncated block"),
    "pcapng-trailer-mismatch": (shb() + idb()[:-4] + struct.pack("<I", 24), SHB_LEN + 16, "ends"),
    "pcapng-idb-too-small": (shb() + block(1, bytes(4)), SHB_LEN + 4, "smaller than 20"),
    "pcapng-epb-too-small": (shb() + idb() + block(6, bytes(16)), SHB_LEN + IDB_LEN + 4, "32"),
    "pcapng-spb-too-small": (shb() + idb() + block(3, b""), SHB_LEN + IDB_LEN + 4, "16"),
    "pcapng-epb-unknown-interface": (
        shb() + idb() + epb(ethernet(ipv4_udp()), interface=1),
        SHB_LEN + IDB_LEN + 8,
        "interface 1",
    ),
    "pcapng-epb-without-idb": (shb() + epb(ethernet(ipv4_udp())), SHB_LEN + 8, "interface 0"),
    "pcapng-spb-without-idb": (shb() + spb(ethernet(ipv4_udp())), SHB_LEN, "interface 0"),
    "pcapng-captured-length-past-block": (
        shb() + idb() + block(6, struct.pack("<IIIII", 0, 0, 0, 100, 100) + bytes(40)),
        SHB_LEN + IDB_LEN + 20,
        "100 captured bytes",
    ),
    "pcapng-unsupported-link-type": (
        shb() + idb(1) + idb(105) + epb(ethernet(ipv4_udp()), interface=1),
        SHB_LEN + IDB_LEN + 8,
        "unsupported link type 105 (IEEE 802.11) on interface 1",
    ),
    "pcapng-second-section-bad-byte-order-magic": (
        shb() + idb() + shb()[:8] + b"\xff" * 4 + shb()[12:],
        SHB_LEN + IDB_LEN + 8,
        "byte-order",
    ),
}


@pytest.mark.parametrize(("data", "offset", "text"), ERROR_CASES.values(), ids=ERROR_CASES)
def test_damaged_files_raise_capture_error_at_the_right_offset(
    data: bytes, offset: int, text: str
) -> None:
    with pytest.raises(CaptureError) as caught:
        read(data)
    assert caught.value.offset == offset
    assert text in str(caught.value)


def test_bad_header_is_reported_before_iteration() -> None:
    with pytest.raises(CaptureError):
        read_datagrams(b"not a capture at all")
    with pytest.raises(CaptureError):
        read_datagrams(pcap_header(105))


def test_damage_late_in_a_pcap_file_comes_after_the_good_datagrams() -> None:
    good = pcap(ethernet(ipv4_udp()))
    data = good + struct.pack("<IIII", 0, 0, 500, 500) + bytes(10)
    iterator = read_datagrams(data)
    assert next(iterator).number == 1
    with pytest.raises(CaptureError) as caught:
        next(iterator)
    assert caught.value.offset == len(good)
    assert "record 2" in str(caught.value)


def test_damage_late_in_a_pcapng_file_comes_after_the_good_datagrams() -> None:
    good = shb() + idb() + epb(ethernet(ipv4_udp()))
    iterator = read_datagrams(good + b"\x06\x00\x00\x00")
    assert next(iterator).number == 1
    with pytest.raises(CaptureError) as caught:
        next(iterator)
    assert caught.value.offset == len(good)


def test_capture_error_is_a_value_error_with_offset_in_the_message() -> None:
    with pytest.raises(ValueError, match=r"offset 20"):
        read(pcap_header(105))


# ---------------------------------------------------------------------------- is_capture


@pytest.mark.parametrize(
    "data",
    [
        pcap(),
        pcap(order=">"),
        pcap(nanoseconds=True),
        pcap(order=">", nanoseconds=True),
        shb(),
        shb(">"),
        b"\xa1\xb2\xcd\x34",
    ],
)
def test_is_capture_recognises_pcap_and_pcapng_magics(data: bytes) -> None:
    assert is_capture(data)


@pytest.mark.parametrize("data", [b"", b"\xd4\xc3\xb2", b"\x01\x01\x06\x00" + bytes(300), b"{}"])
def test_is_capture_rejects_other_data(data: bytes) -> None:
    assert not is_capture(data)


# ---------------------------------------------------------------------------- real captures


def ranges(text: str) -> list[int]:
    """'1-3,7' -> [1, 2, 3, 7]."""
    out: list[int] = []
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        out.extend(range(int(low), int(high or low) + 1))
    return out


class Expected(NamedTuple):
    dhcp: str
    """Frames with UDP/IPv4 on port 67 or 68."""
    other: str = ""
    """Frames that are not DHCP over IPv4 (SOURCES.tsv's ``frames`` counts every frame)."""
    udp: str | None = None
    """``tshark -r FILE -T fields -e frame.number -Y udp``, when it differs from ``dhcp``."""
    udp6: str = ""
    """Frames in ``udp`` that are UDP over IPv6."""
    truncated: str = ""


# Checked with tshark 4.0.17 (frame numbers, addresses, ports, UDP payload bytes, timestamps).
REAL: dict[str, Expected] = {
    "OISF_suricata-verify__dhcp-eve-extended-option-60.pcap": Expected("1"),
    "OISF_suricata-verify__dhcp-eve-extended.pcap": Expected("1-2"),
    "OISF_suricata-verify__dhcp-option-52-overload-both.pcap": Expected("1"),
    "OISF_suricata-verify__dhcp-option-52-overload.pcap": Expected("1-8"),
    # frames 7-10 are DNS queries and answers (UDP port 53)
    "OISF_suricata-verify__public-ex1_section8_Sofacy.pcap": Expected("1-6", "7-10", "1-10"),
    "arkime_arkime__wireshark-dhcp.pcap": Expected("1-4"),
    "chrissanders_packets__dhcp_inlease_renewal.pcapng": Expected("1-2"),
    "chrissanders_packets__dhcp_nolease_initialization.pcapng": Expected("1-4"),
    "danderson_netboot__dhcp.pcap": Expected("1-4"),
    "mirage_charrua__dhcp.pcap": Expected("1-3"),
    "ntop_nDPI__android.dhcp-only.pcap": Expected("1-14"),
    "ntop_nDPI__dhcp-fuzz.pcapng": Expected("1"),
    "ntop_nDPI__teams.dhcp-only.pcap": Expected("1-7"),
    "seladb_PcapPlusPlus__Dhcp1.pcap": Expected("1"),
    "seladb_PcapPlusPlus__Dhcp3.pcap": Expected("1"),
    "seladb_PcapPlusPlus__Dhcp4.pcap": Expected("1"),
    # frame 9 is the DHCPv4 RELEASE; 5-8 and 10-11 are relayed DHCPv6
    "sjm-steffann_dhcpkit__avm-client.pcapng": Expected("1-4,9", "5-8,10-11", "1-11", "5-8,10-11"),
    "the-tcpdump-group_tcpdump__bootp_asan-2.pcap": Expected("1", truncated="1"),
    "the-tcpdump-group_tcpdump__bootp_asan.pcap": Expected("1", truncated="1"),
    "the-tcpdump-group_tcpdump__dhcp-mud.pcap": Expected("1-2"),
    "the-tcpdump-group_tcpdump__dhcp-option-108.pcapng": Expected("1-2"),
    "the-tcpdump-group_tcpdump__dhcp-option-33.pcap": Expected("1-5"),
    "the-tcpdump-group_tcpdump__dhcp-rfc3004.pcap": Expected("1-4"),
    # the other 18 frames are ICMP (echo, unreachable) and ARP
    "the-tcpdump-group_tcpdump__dhcp-rfc4388.pcap": Expected(
        "1,3-5,9-11,13-15,19-28,31,33-35,37-40,43-45,48-50,53-54",
        "2,6-8,12,16-18,29-30,32,36,41-42,46-47,51-52",
    ),
    "the-tcpdump-group_tcpdump__dhcp-rfc5859.pcap": Expected("1-4"),
    # frames 1-5 and 10-14 are DHCPv6
    "the-tcpdump-group_tcpdump__dhcpv4v6-rfc5970-rfc8572.pcap": Expected(
        "6-9", "1-5,10-14", "1-14", "1-5,10-14"
    ),
    "the-tcpdump-group_tcpdump__eapon1.dhcp-only.pcap": Expected("1-10"),
    "zeek_zeek__dhcp.pcap": Expected("1-9"),
    "zeek_zeek__dhcp_ack_subscriber_id_and_agent_remote_id.pcap": Expected("1"),
    "zeek_zeek__dhcp_bad_cookie_option_retention.pcap": Expected("1-5"),
    "zeek_zeek__dhcp_discover_param_req_and_client_id.pcap": Expected("1"),
    "zeek_zeek__dhcp_flood.pcap": Expected("1-500"),
    "zeek_zeek__dhcp_inform.pcap": Expected("1-2"),
    "zeek_zeek__dhcp_time_and_nameserver.pcap": Expected("1-2"),
    "zeek_zeek__hw-type0.pcap": Expected("1"),
}

# Payloads (by file and frame) without the DHCP magic cookie at offset 236: deliberately
# bad test data, not reader errors.
NO_COOKIE_AT_236 = {
    "the-tcpdump-group_tcpdump__dhcp-rfc4388.pcap": {43, 44},  # cookie at 234 and 235
    "zeek_zeek__dhcp_bad_cookie_option_retention.pcap": {2, 3, 4},
    "the-tcpdump-group_tcpdump__bootp_asan.pcap": {1},  # only 48 bytes captured
    "the-tcpdump-group_tcpdump__bootp_asan-2.pcap": {1},  # only 11 bytes captured
}


def load_sources() -> dict[str, dict[str, str]]:
    with (CAPTURES / "SOURCES.tsv").open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["file"]: row for row in rows if row["frames"].isdigit()}


SOURCES = load_sources()


def test_every_capture_on_disk_has_expectations_and_provenance() -> None:
    on_disk = {p.name for p in CAPTURES.glob("*.pcap*")}
    assert on_disk == set(REAL)
    assert on_disk <= set(SOURCES)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_capture_matches_its_sources_entry(name: str) -> None:
    data = (CAPTURES / name).read_bytes()
    row = SOURCES[name]
    assert len(data) == int(row["bytes"])
    assert hashlib.sha256(data).hexdigest() == row["sha256"]


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_capture_dhcp_frames_account_for_every_frame(name: str) -> None:
    expected = REAL[name]
    data = (CAPTURES / name).read_bytes()
    dhcp = ranges(expected.dhcp)
    other = ranges(expected.other)
    frames = int(SOURCES[name]["frames"])
    assert numbers(data) == dhcp
    assert len(dhcp) == frames - len(other)
    assert sorted(dhcp + other) == list(range(1, frames + 1))


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_capture_frame_numbers_agree_with_tshark(name: str) -> None:
    expected = REAL[name]
    data = (CAPTURES / name).read_bytes()
    tshark_udp = ranges(expected.dhcp if expected.udp is None else expected.udp)
    udp6 = set(ranges(expected.udp6))
    assert numbers(data, ports=None) == [n for n in tshark_udp if n not in udp6]


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_capture_payloads_sit_where_their_offsets_say(name: str) -> None:
    expected = REAL[name]
    data = (CAPTURES / name).read_bytes()
    got = read(data)
    assert [d.number for d in got if d.truncated] == ranges(expected.truncated)
    no_cookie = NO_COOKIE_AT_236.get(name, set())
    for d in got:
        assert data[d.offset : d.offset + len(d.payload)] == d.payload
        assert 67 in (d.sport, d.dport) or 68 in (d.sport, d.dport)
        has_cookie = d.payload[236:240] == b"\x63\x82\x53\x63"
        assert has_cookie == (d.number not in no_cookie), d.number


FIRST_DATAGRAMS = {
    # file: (number, timestamp, src, dst, sport, dport, UDP length from tshark, offset)
    "arkime_arkime__wireshark-dhcp.pcap": (
        1, 1102274184.317453, "0.0.0.0", "255.255.255.255", 68, 67, 280, 82,
    ),
    "sjm-steffann_dhcpkit__avm-client.pcapng": (
        1, 1435143646.983493, "100.64.1.1", "100.64.2.2", 67, 67, 335, 250,
    ),
    "the-tcpdump-group_tcpdump__dhcpv4v6-rfc5970-rfc8572.pcap": (
        6, 1648216599.000073, "0.0.0.0", "255.255.255.255", 68, 67, 308, 1280,
    ),
    "the-tcpdump-group_tcpdump__dhcp-option-108.pcapng": (
        1, 1742291025.393317, "0.0.0.0", "255.255.255.255", 68, 67, 308, 406,
    ),
    "ntop_nDPI__dhcp-fuzz.pcapng": (
        1, 1268519154.926217, "192.168.155.104", "255.255.255.255", 68, 67, 308, 154,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FIRST_DATAGRAMS))
def test_real_capture_first_datagram_fields(name: str) -> None:
    number, timestamp, src, dst, sport, dport, udp_length, offset = FIRST_DATAGRAMS[name]
    d = read((CAPTURES / name).read_bytes())[0]
    assert (d.number, d.src, d.dst, d.sport, d.dport) == (
        number,
        IPv4Address(src),
        IPv4Address(dst),
        sport,
        dport,
    )
    assert d.timestamp == pytest.approx(timestamp, abs=1e-6)
    assert (len(d.payload), d.offset, d.truncated) == (udp_length - 8, offset, False)


def test_tcpdump_bootp_asan_captures_hold_a_truncated_first_fragment() -> None:
    # IPv4 total length 60951 with MF set and offset 0; UDP length 59392; the record
    # claims 65570 bytes on the wire but keeps 90 (bootp_asan) or 53 (bootp_asan-2).
    head = bytes.fromhex("0000000d140000000d00ff")
    tail = bytes.fromhex(
        "6310ed00ffffffee0f4095000db6588afa00100022000000221d0110002200000004000610"
    )
    expected = {
        "the-tcpdump-group_tcpdump__bootp_asan.pcap": head + tail,
        "the-tcpdump-group_tcpdump__bootp_asan-2.pcap": head,
    }
    for name, payload in expected.items():
        got = read((CAPTURES / name).read_bytes())
        assert got == [
            Datagram(
                1,
                0.0,
                IPv4Address("18.0.0.15"),
                IPv4Address("107.95.83.32"),
                16896,
                68,
                payload,
                82,
                True,
                fragment_offset=0,
            )
        ]


# ---------------------------------------------------------------------------- properties

PROPERTY_SETTINGS = settings(max_examples=300)


def consume(data: bytes) -> None:
    """Read everything; only Datagrams or a CaptureError may come out."""
    try:
        for d in read_datagrams(data, ports=None):
            assert isinstance(d, Datagram)
            assert data[d.offset : d.offset + len(d.payload)] == d.payload
    except CaptureError as error:
        assert 0 <= error.offset <= len(data)


@PROPERTY_SETTINGS
@given(st.binary(max_size=512))
def test_any_bytes_yield_datagrams_or_raise_capture_error(data: bytes) -> None:
    consume(data)


MAGICS = [
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x0a\x0d\x0d\x0a",
]


@PROPERTY_SETTINGS
@given(st.sampled_from(MAGICS), st.binary(max_size=512))
def test_any_bytes_after_a_magic_yield_datagrams_or_raise_capture_error(
    magic: bytes, rest: bytes
) -> None:
    consume(magic + rest)


SAMPLES = [
    pcap(
        ethernet(ipv4_udp(), tags=(0x8100,)),
        ethernet(ipv4_udp(b"A" * 40, flags_fragment=0x2000, udp_length=900)),
        ethernet(ipv6_udp(), ethertype=0x86DD),
    ),
    pcap(
        sll(ipv4_udp()),
        sll(struct.pack("!HH", 7, 0x0800) + ipv4_udp(), 0x8100),
        linktype=113,
        order=">",
        nanoseconds=True,
    ),
    shb()
    + idb(options=tsresol(9) + option(14, bytes(8)))
    + idb(276)
    + epb(ethernet(ipv4_udp()))
    + spb(ethernet(ipv4_udp()))
    + epb(sll2(ipv4_udp()), interface=1)
    + block(9, b"x")
    + shb(">")
    + idb(0, order=">")
    + packet_block(b"\x00\x00\x00\x02" + ipv4_udp(), order=">"),
]


@PROPERTY_SETTINGS
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
    st.integers(0, 10**6),
)
def test_damaged_valid_files_yield_datagrams_or_raise_capture_error(
    sample: bytes, changes: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(sample)
    for position, value in changes:
        data[position % len(data)] = value
    consume(bytes(data[: cut % (len(data) + 1)]))


def test_sample_files_read_cleanly() -> None:
    assert [len(read(s, ports=None)) for s in SAMPLES] == [2, 2, 4]


# ---------------------------------------------------------------------------- streaming


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes handed out, to prove the reader is lazy."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.handed = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = len(self.data) - self.pos if size < 0 else size
        chunk = self.data[self.pos : self.pos + size]
        self.pos += len(chunk)
        self.handed += len(chunk)
        return chunk


def big_pcap(count: int) -> bytes:
    frame = ethernet(ipv4_udp(bytes(300)))
    head = struct.pack("<II", len(frame), len(frame))
    return pcap() + b"".join(struct.pack("<II", n, 0) + head + frame for n in range(count))


def test_a_path_a_file_object_and_bytes_give_the_same_datagrams(tmp_path: Path) -> None:
    data = SAMPLES[2]
    path = tmp_path / "sample.pcapng"
    path.write_bytes(data)
    expected = read(data, ports=None)
    assert list(open_capture(path, ports=None)) == expected
    assert list(open_capture(str(path), ports=None)) == expected
    with path.open("rb") as handle:
        assert list(open_capture(handle, ports=None)) == expected
    assert list(read_datagrams(io.BytesIO(data), ports=None)) == expected


def test_the_reader_is_lazy_and_reads_a_chunk_at_a_time() -> None:
    data = big_pcap(20_000)  # about 7 MB
    source = CountingReader(data)
    first = next(iter(open_capture(source)))
    assert first.number == 1
    assert source.handed <= 2 * pcap_module._CHUNK < len(data)


def test_reading_a_large_capture_takes_constant_memory() -> None:
    data = big_pcap(20_000)
    tracemalloc.start()
    try:
        count = 0
        for _ in open_capture(CountingReader(data)):
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20000
    assert peak < 4 * pcap_module._CHUNK < len(data)


@pytest.mark.parametrize("sample", range(len(SAMPLES)))
def test_chunk_boundaries_anywhere_give_the_same_datagrams(
    sample: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = SAMPLES[sample]
    expected = read(data, ports=None)
    for chunk in (1, 3, 7, 64):
        monkeypatch.setattr(pcap_module, "_CHUNK", chunk)
        assert list(open_capture(io.BytesIO(data), ports=None)) == expected


@PROPERTY_SETTINGS
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
    st.integers(0, 10**6),
    st.integers(1, 40),
)
def test_streamed_damaged_files_fail_like_the_bytes_at_the_same_offset(
    sample: bytes, changes: list[tuple[int, int]], cut: int, chunk: int
) -> None:
    data = bytearray(sample)
    for position, value in changes:
        data[position % len(data)] = value
    damaged = bytes(data[: cut % (len(data) + 1)])

    def outcome(source: bytes | io.BytesIO) -> tuple[list[Datagram], int | None]:
        got: list[Datagram] = []
        try:
            for d in read_datagrams(source, ports=None):
                got.append(d)
        except CaptureError as error:
            return got, error.offset
        return got, None

    original = pcap_module._CHUNK
    pcap_module._CHUNK = chunk  # type: ignore[misc]
    try:
        assert outcome(io.BytesIO(damaged)) == outcome(damaged)
    finally:
        pcap_module._CHUNK = original  # type: ignore[misc]


def test_frames_give_every_frame_with_time_interface_and_link_type() -> None:
    data = (
        shb()
        + idb(1, options=option(2, b"eth0") + tsresol(9))
        + idb(113, options=option(2, b"any"))
        + epb(ethernet(b"\x00" * 28, ethertype=0x0806), ts=1_500_000_000)
        + epb(sll(ipv4_udp()), interface=1, ts=2_000_000)
    )
    capture = open_capture(data)
    frames = list(capture.frames())
    assert [(f.number, f.timestamp, f.interface, f.linktype) for f in frames] == [
        (1, 1.5, 0, 1), (2, 2.0, 1, 113)]
    assert frames[1].data == sll(ipv4_udp()) and frames[1].original_length == len(frames[1].data)
    assert data[frames[1].offset : frames[1].offset + len(frames[1].data)] == frames[1].data
    assert [i.name for i in capture.interfaces] == ["eth0", "any"]
    assert capture.format == "pcapng"
    assert frames[0].datagram() is None
    got = frames[1].datagram()
    assert got is not None and got.payload == b"dhcp-payload" and got.interface == 1
    assert got.linktype == 113 and data[got.offset : got.offset + 12] == b"dhcp-payload"


def test_datagrams_carry_the_interface_of_their_packet() -> None:
    data = shb() + idb(1) + idb(101) + epb(ipv4_udp(), interface=1)
    [d] = read(data)
    assert (d.interface, d.linktype) == (1, 101)


def test_later_fragments_of_a_dhcp_datagram_are_reported_with_their_offset() -> None:
    first = ipv4_udp(b"A" * 16, flags_fragment=0x2000, udp_length=8 + 40)
    later = ipv4_udp(b"", flags_fragment=3, total=20 + 24)[:20] + b"B" * 24
    stray = ipv4_udp(b"", flags_fragment=3, src=SERVER, total=20 + 24)[:20] + b"C" * 24
    got = read(pcap(ethernet(first), ethernet(stray), ethernet(later)))
    assert [(d.number, d.fragment_offset, d.payload, d.sport, d.dport) for d in got] == [
        (1, 0, b"A" * 16, 68, 67), (3, 24, b"B" * 24, 68, 67)]
    assert all(d.fragment and d.truncated for d in got)
    assert not dg(1, 82).fragment


def test_a_capture_is_read_once() -> None:
    capture = open_capture(pcap(ethernet(ipv4_udp())))
    assert len(list(capture)) == 1
    with pytest.raises(RuntimeError, match="read once"):
        list(capture)


def test_a_capture_opened_from_a_path_is_closed_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "one.pcap"
    path.write_bytes(pcap(ethernet(ipv4_udp())))
    with open_capture(path) as capture:
        handle = capture._own
        assert handle is not None and not handle.closed
    assert handle.closed
    capture = open_capture(path)
    handle = capture._own
    list(capture)
    assert handle is not None and handle.closed


def test_a_text_mode_file_is_refused_with_a_type_error(tmp_path: Path) -> None:
    path = tmp_path / "text.pcap"
    path.write_bytes(pcap())
    with path.open(encoding="latin-1") as handle, pytest.raises(TypeError, match="binary"):
        open_capture(handle)  # type: ignore[arg-type]


def test_a_bad_header_from_a_path_fails_at_open_and_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.pcap"
    path.write_bytes(b"GIF89a" + bytes(40))
    with pytest.raises(CaptureError, match="magic"):
        open_capture(path)
