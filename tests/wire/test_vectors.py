"""Other projects' DHCPv4 test vectors, run through dhcpwire.

``vectors.json`` (next to this file) holds 28 whole DHCPv4/BOOTP packets that
other implementations write out in their unit tests (dhcproto, dpkt, scapy,
smoltcp, libtins, systemd, dhcp4java, insomniacslk/dhcp, FreeRADIUS), each with
its repository, path, commit and test, how the bytes were taken, and what that
project's test checks. Only the bytes are taken. For every vector:

* A well-formed packet decodes strictly with no defect, re-encodes byte for
  byte, and survives being rebuilt from its typed values.
* A packet the RFCs make malformed is listed in :data:`MALFORMED` with the RFC
  text and what the other project does with it: strict decoding raises the
  recorded error at the recorded offset and option, lenient decoding lists
  exactly the recorded defects, and the lenient message re-encodes to the same
  bytes (a cookie-less one to the 300-octet BOOTP minimum, said below).
* The header fields and options the other project's test checks (and every
  other option the packet carries, in wire order) have the values and the
  types recorded in :data:`EXPECTED`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest

from dhcpwire import (
    BROADCAST_FLAG,
    BadOptionLength,
    BadOptionValue,
    ClasslessRoute,
    ClientIdentifier,
    DecodeError,
    Message,
    MessageType,
    MissingEnd,
    OpCode,
    OptionValueError,
    TruncatedHeader,
    VendorInfo,
    decode,
    encode,
)

VECTORS_FILE = Path(__file__).with_name("vectors.json")

#: The header fields a message is built from (``Message(**fields, options=...)``).
FIELDS = ("op", "htype", "hlen", "hops", "xid", "secs", "flags", "ciaddr", "yiaddr",
          "siaddr", "giaddr", "chaddr", "sname", "file", "vend")
BOOTP_MINIMUM = 300  # RFC 951: 236 octets of header and a 64-octet 'vend'


@dataclass(frozen=True)
class Vector:
    id: str
    repo: str
    path: str
    commit: str
    test: str
    kind: str
    extraction: str
    source_asserts: str
    data: bytes


def _load() -> dict[str, Vector]:
    document = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    vectors: dict[str, Vector] = {}
    for entry in document["vectors"]:
        fields = {key: value for key, value in entry.items() if key != "hex"}
        vectors[entry["id"]] = Vector(**fields, data=bytes.fromhex(entry["hex"]))
    return vectors


VECTORS = _load()

# ------------------------------------------------------------------ the malformed vectors

Problem = tuple[type[DecodeError], int, "int | None"]


@dataclass(frozen=True)
class Malformed:
    """How a vector fails: the strict error, every lenient defect, and why."""

    error: type[DecodeError]
    offset: int
    option: int | None
    defects: tuple[Problem, ...]
    why: str

    @property
    def raw_options(self) -> set[int]:
        """Options a lenient decode keeps as raw bytes: no typed value says them."""
        return {option for kind, _, option in self.defects
                if option is not None and kind in (BadOptionValue, BadOptionLength)}


NO_END = ("RFC 2131 section 4.1: 'The options area includes first a four-octet magic cookie "
          "..., followed by the options. The last option must always be the end option.'")
NO_VEND = ("no cookie, so plain BOOTP: RFC 951 gives 'vend' 64 octets and RFC 1542 section "
           "2.1 'the minimal BOOTP header of 300 octets'")

#: vector id -> how it fails. Offsets are from the start of the payload and were
#: checked against the bytes; an option's offset is that of its value.
MALFORMED: dict[str, Malformed] = {
    "dhcproto_bootreq": Malformed(
        MissingEnd, 240, None, ((MissingEnd, 240, None),),
        f"{NO_END} dhcproto decodes it and writes it back unchanged."),
    "scapy_s3": Malformed(
        BadOptionValue, 271, 36, ((BadOptionValue, 271, 36), (BadOptionValue, 274, 22)),
        "RFC 2132 section 6.3: option 36 is '0/1' (2 here); section 4.4: option 22's 'minimum "
        "legal value is 576' (120 here). Scapy builds and dissects the values as given."),
    "libtins_expected_packet": Malformed(
        MissingEnd, 275, None, ((MissingEnd, 275, None),),
        f"{NO_END} libtins parses it and serialises it unchanged."),
    "dhcp4java_without_end": Malformed(
        MissingEnd, 546, None, ((MissingEnd, 546, None),),
        f"{NO_END} dhcp4java agrees: its strict parse raises, its lenient parse accepts."),
    "dhcp4java_empty_bootp": Malformed(
        TruncatedHeader, 236, None, ((TruncatedHeader, 236, None),),
        f"236 octets, {NO_VEND}; dhcp4java writes this for an empty BOOTP packet."),
    "insomniacslk_from_bytes": Malformed(
        MissingEnd, 240, None, ((MissingEnd, 240, None),),
        f"{NO_END} insomniacslk/dhcp's FromBytes accepts it."),
    "insomniacslk_invalid_options": Malformed(
        TruncatedHeader, 240, None, ((TruncatedHeader, 240, None),),
        f"99.130.83.98 is not the cookie: 240 octets, {NO_VEND}. insomniacslk/dhcp rejects "
        "it too (for the bad cookie)."),
    "freeradius_error_subnet_selection": Malformed(
        BadOptionLength, 243, 118, ((BadOptionLength, 243, 118),),
        "RFC 3011 section 3: option 118 is 'Code 118, Len 4' and an IPv4 address; here it "
        "holds the 9 octets '10.2.10.0'. FreeRADIUS keeps it raw too."),
}

# ------------------------------------------------------------------ the expected values

A = IPv4Address
DIGITS = b"1234567890" * 13  # dhcp4java's STR200, as far as 'sname'/'file' use it
SYSTEMD_LEASE: dict[int, object] = {
    54: A("192.168.2.1"), 51: 600, 1: A("255.255.255.0"), 42: (A("192.168.2.1"),),
    15: "lab.intra", 3: (A("192.168.2.1"),)}
DHCP4JAVA_HEADER: dict[str, object] = {
    "op": OpCode.BOOTREQUEST, "htype": 1, "hlen": 6, "hops": 0, "xid": 0x11223344,
    "secs": 0, "flags": BROADCAST_FLAG, "ciaddr": A("10.0.0.1"), "yiaddr": A("10.0.0.2"),
    "siaddr": A("10.0.0.3"), "giaddr": A("10.0.0.4"),
    "chaddr": bytes.fromhex("00112233445566778899aabbccddeeff"),
    "sname": DIGITS[:64], "file": DIGITS[:128]}
DHCP4JAVA_OPTIONS: dict[int, object] = {
    53: MessageType.DISCOVER, 54: A("12.34.56.68"), 51: 86400, 1: A("255.255.255.0"),
    3: (A("10.0.0.254"),), 33: ((A("22.33.44.55"), A("10.0.0.254")),),
    42: (A("10.0.0.5"),), 72: (A("10.0.0.6"),)}
FREERADIUS_HEADER: dict[str, object] = {
    "op": OpCode.BOOTREQUEST, "xid": 0, "giaddr": A("10.11.19.3"),
    "hwaddr": "44:48:42:66:00:5a"}
CAPTIVE: dict[int, object] = {
    53: MessageType.DISCOVER, 1: A("255.255.255.0"), 114: "www.example.com"}

#: vector id -> (header fields, every option in wire order). A raw value (bytes
#: where the option has a type) is what a lenient decode keeps for a bad value.
EXPECTED: dict[str, tuple[dict[str, object], dict[int, object]]] = {
    "dhcproto_offer": (
        {"op": OpCode.BOOTREPLY, "xid": 0x155C, "flags": BROADCAST_FLAG,
         "yiaddr": A("192.168.0.3"), "hwaddr": "cc:00:0a:c4:00:00"},
        {53: MessageType.OFFER, 54: A("192.168.0.1"), 51: 60, 58: 30, 59: 52,
         1: A("255.255.255.0"), 3: (A("192.168.0.1"),),
         6: (A("192.168.0.1"), A("192.168.1.1"))}),
    "dhcproto_discover": (
        {"op": OpCode.BOOTREQUEST, "xid": 0xA6805674, "flags": BROADCAST_FLAG,
         "hwaddr": "de:ad:c0:de:ca:fe"},
        {53: MessageType.DISCOVER, 55: (252, *range(1, 62), 67, 66), 51: 1}),
    "dhcproto_other_offer": (
        {"op": OpCode.BOOTREPLY, "xid": 0xA6805674, "yiaddr": A("192.168.0.149"),
         "siaddr": A("192.168.0.1"), "hwaddr": "de:ad:c0:de:ca:fe"},
        {53: MessageType.OFFER, 54: A("192.168.0.1"), 51: 120, 58: 60, 59: 105,
         1: A("255.255.255.0"), 28: A("192.168.0.255"), 6: (A("192.168.0.1"),),
         3: (A("192.168.0.1"),)}),
    "dhcproto_bootreq": (
        {"op": OpCode.BOOTREQUEST, "htype": 2, "hlen": 3, "hops": 4, "xid": 0x05060708,
         "secs": 0x090A, "flags": 0x0B0C, "ciaddr": A("13.14.15.16"),
         "yiaddr": A("17.18.19.20"), "siaddr": A("21.22.23.24"), "giaddr": A("25.26.27.28"),
         "chaddr": bytes(range(29, 45)), "sname": bytes(range(45, 108)),
         "file": bytes(range(109, 126)) * 7 + b"m"},
        {}),
    "dpkt_test_dhcp": (
        {"op": OpCode.BOOTREQUEST, "xid": 0xAD53C863, "secs": 0xB887, "flags": BROADCAST_FLAG,
         "hwaddr": "00:02:55:82:f3:a6"},
        {53: MessageType.DISCOVER, 251: b"\x01",
         61: ClientIdentifier(1, bytes.fromhex("00025582f3a6")), 50: A("10.0.1.101"),
         12: "Guinevere", 60: b"MSFT 5.0", 55: (1, 15, 3, 6, 44, 46, 47, 31, 33, 43)}),
    # scapy writes the chaddr it was given as text ("00:01:02:03:04:05") into the field.
    "scapy_s": ({"xid": 0, "chaddr": b"00:01:02:03:04:0"}, {53: MessageType.DISCOVER}),
    "scapy_s2": (
        {"chaddr": b"05:04:03:02:01:0", "message_type": None},
        {55: (12, 57, 45, 254), 50: A("192.168.0.1")}),
    "scapy_s3": (
        {"chaddr": b"05:04:03:02:01:0"},
        {2: 123, 98: "www.example.com", 112: (A("10.0.0.1"),), 36: bytes([2]),
         22: (120).to_bytes(2, "big"), 210: "/some/path"}),
    "scapy_s4": (
        {"chaddr": b"00:01:02:03:04:0"},
        {161: "https://example.org", 114: "https://example.com", 108: 0xFFFFFFFF}),
    "scapy_s5": (
        {"chaddr": b"00:01:02:03:04:0"},
        {121: (ClasslessRoute(IPv4Network("192.168.123.4/32"), A("10.0.0.1")),
               ClasslessRoute(IPv4Network("169.254.254.0/24"), A("10.0.1.2"))),
         80: True}),
    "smoltcp_discover": (
        {"op": OpCode.BOOTREQUEST, "xid": 0x3D1D, "secs": 0, "flags": 0,
         "ciaddr": A("0.0.0.0"), "hwaddr": "00:0b:82:01:fc:42"},
        {53: MessageType.DISCOVER, 61: ClientIdentifier(1, bytes.fromhex("000b8201fc42")),
         50: A("0.0.0.0"), 57: 1500, 55: (1, 3, 6, 42)}),
    "smoltcp_ack": (
        {"op": OpCode.BOOTREPLY, "xid": 0xCC3475AB, "flags": BROADCAST_FLAG,
         "ciaddr": A("10.255.6.145"), "giaddr": A("10.255.6.254"),
         "hwaddr": "34:17:eb:c9:aa:2f"},
        {53: MessageType.ACK, 54: A("163.1.74.22"), 1: A("255.255.255.0"),
         43: bytes.fromhex("dc034e4150"), 15: "nat.physics.ox.ac.uk",  # sent with a NUL
         3: (A("10.255.6.254"),),
         6: (A("163.1.74.6"), A("163.1.74.7"), A("163.1.74.3"), A("163.1.74.4")),
         44: (A("163.1.74.3"), A("163.1.74.4"), A("163.1.74.6"), A("163.1.74.7")), 46: 8}),
    "libtins_expected_packet": (
        {"op": OpCode.BOOTREQUEST, "htype": 1, "hlen": 6, "hops": 0x1F, "xid": 0x3FAB23DE,
         "secs": 0x9F1A, "flags": 0, "ciaddr": A("192.168.0.102"), "yiaddr": A("243.22.34.98"),
         "siaddr": A("167.32.11.154"), "giaddr": A("123.43.55.254")},
        {54: A("192.168.4.2"), 1: A("255.255.32.11"), 53: MessageType.DECLINE,
         3: (A("192.168.0.1"), A("127.0.0.1")), 6: (A("192.168.0.2"), A("127.0.0.1"))}),
    "systemd_addr_acq_offer": (
        {"op": OpCode.BOOTREPLY, "xid": 0x6F952F30, "yiaddr": A("192.168.2.191"),
         "siaddr": A("192.168.2.1")},
        {53: MessageType.OFFER, **SYSTEMD_LEASE}),
    "systemd_addr_acq_ack": (
        {"op": OpCode.BOOTREPLY, "xid": 0, "secs": 1, "yiaddr": A("192.168.2.191"),
         "siaddr": A("192.168.2.1")},
        {53: MessageType.ACK, **SYSTEMD_LEASE}),
    "systemd_bootp_reply": (
        {"op": OpCode.BOOTREPLY, "xid": 0x69D37911, "secs": 0x1700, "flags": BROADCAST_FLAG,
         "yiaddr": A("10.70.0.2"), "hwaddr": "50:2d:f4:1f:00:00", "message_type": None},
        {1: A("255.0.0.0"), 54: A("10.0.0.2")}),
    "systemd_bootp_reply_bootpd": (
        {"op": OpCode.BOOTREPLY, "xid": 0x8257DAF1, "secs": 1, "yiaddr": A("192.168.67.50"),
         "siaddr": A("192.168.67.49"), "hwaddr": "c2:3e:a5:53:57:72", "sname": b"debian",
         "message_type": None},
        {1: A("255.255.255.240"), 3: (A("192.168.67.49"),), 6: (A("10.0.1.1"),),
         12: "client-default-trixie"}),
    "dhcp4java_ref_packet": (DHCP4JAVA_HEADER, DHCP4JAVA_OPTIONS),
    "dhcp4java_without_end": (DHCP4JAVA_HEADER, DHCP4JAVA_OPTIONS),
    "dhcp4java_empty_bootp": (
        {"op": OpCode.BOOTREPLY, "htype": 1, "hlen": 6, "xid": 0, "vend": b""}, {}),
    "insomniacslk_from_bytes": (
        {"op": OpCode.BOOTREQUEST, "htype": 1, "hlen": 6, "hops": 3, "xid": 0xAABBCCDD,
         "secs": 3, "flags": 1, "ciaddr": A("0.0.0.0"), "yiaddr": A("0.0.0.0"),
         "giaddr": A("0.0.0.0"), "hwaddr": "aa:bb:cc:dd:ee:ff", "sname": b"", "file": b""},
        {}),
    "insomniacslk_invalid_options": (
        {"op": OpCode.BOOTREQUEST, "xid": 0xAABBCCDD, "secs": 0x0300, "flags": 0x0100,
         "hwaddr": "ff:ee:dd:cc:bb:aa", "vend": bytes([99, 130, 83, 98])},
        {}),
    "insomniacslk_new_to_bytes": (
        {"op": OpCode.BOOTREQUEST, "htype": 1, "hlen": 6, "xid": 0x11223344, "flags": 0,
         "chaddr": bytes(16), "message_type": None},
        {}),
    "freeradius_packet_discover": (FREERADIUS_HEADER, {53: MessageType.DISCOVER}),
    "freeradius_packet_captive_portal": (FREERADIUS_HEADER, CAPTIVE),
    "freeradius_packet_pad_between": (FREERADIUS_HEADER, CAPTIVE),
    "freeradius_rfc3046_ack": (
        {"op": OpCode.BOOTREPLY, "yiaddr": A("10.10.10.10"), "hwaddr": "00:11:22:33:44:55"},
        {53: MessageType.ACK, 54: A("10.11.12.13"), 98: "https://www.example.com",
         125: (VendorInfo(9, ((5, b"aa.txt"), (5, b"bb.txt"))),),
         82: {1: bytes.fromhex("1234567890"), 2: bytes.fromhex("567890")}}),  # last
    "freeradius_error_subnet_selection": (
        {"op": OpCode.BOOTREQUEST, "xid": 4120816916, "ciaddr": A("11.12.12.12"),
         "giaddr": A("10.11.11.11"), "hwaddr": "4e:aa:00:00:00:10"},
        {53: MessageType.DISCOVER, 118: b"10.2.10.0", 61: ClientIdentifier(0x6A, b"ima")}),
}

WELL_FORMED = [vid for vid in VECTORS if vid not in MALFORMED]


def _decoded(vid: str) -> Message:
    """The vector decoded: strictly when it is well formed, leniently otherwise."""
    return decode(VECTORS[vid].data, strict=vid not in MALFORMED)


def _same(value: Any, expected: object) -> bool:
    """Equal, and of the same type (a MessageType, not an int; a tuple, not a list)."""
    if isinstance(expected, dict):
        return isinstance(value, Mapping) and dict(value.items()) == expected
    return type(value) is type(expected) and bool(value == expected)


# ------------------------------------------------------------------ the table itself


def test_every_vector_has_its_provenance_and_its_expectations() -> None:
    assert 10 <= len(VECTORS) <= 30
    assert set(EXPECTED) == set(VECTORS)
    assert set(MALFORMED) <= set(VECTORS)
    for vector in VECTORS.values():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", vector.repo), vector.id
        assert re.fullmatch(r"[0-9a-f]{40}", vector.commit), vector.id
        assert vector.path and vector.test and vector.kind and vector.source_asserts
        assert vector.extraction and len(vector.data) >= 236, vector.id
    assert len({vector.data for vector in VECTORS.values()}) == len(VECTORS)


def test_the_malformed_table_agrees_with_itself() -> None:
    for vid, expected in MALFORMED.items():
        assert expected.defects[0] == (expected.error, expected.offset, expected.option), vid


# ------------------------------------------------------------------ well-formed vectors


@pytest.mark.parametrize("vid", WELL_FORMED)
def test_well_formed_vector_decodes_strictly_and_reencodes_byte_for_byte(vid: str) -> None:
    data = VECTORS[vid].data
    msg = decode(data)
    assert decode(data, strict=False).defects == ()
    for code in msg.options:
        msg.options[code]  # every typed value is reachable
    assert encode(msg) == data


# ------------------------------------------------------------------ malformed vectors


@pytest.mark.parametrize("vid", list(MALFORMED))
def test_malformed_vector_fails_strict_decoding_with_the_recorded_error(vid: str) -> None:
    expected = MALFORMED[vid]
    with pytest.raises(DecodeError) as info:
        decode(VECTORS[vid].data)
    assert type(info.value) is expected.error, expected.why
    assert (info.value.offset, info.value.option) == (expected.offset, expected.option)


@pytest.mark.parametrize("vid", list(MALFORMED))
def test_malformed_vector_decodes_leniently_with_the_recorded_defects(vid: str) -> None:
    expected = MALFORMED[vid]
    msg = decode(VECTORS[vid].data, strict=False)
    assert [(d.kind, d.offset, d.option) for d in msg.defects] == list(expected.defects)
    for code in expected.raw_options:
        assert isinstance(msg.options[code], bytes)  # kept as it was sent


@pytest.mark.parametrize("vid", list(MALFORMED))
def test_malformed_vector_decoded_leniently_reencodes_what_was_read(vid: str) -> None:
    data = VECTORS[vid].data
    wire = encode(decode(data, strict=False))
    if MALFORMED[vid].error is TruncatedHeader:
        # A cookie-less message is BOOTP: 'vend' is written as read, padded with
        # zeros to its 64 octets, so the message grows to the BOOTP minimum.
        assert wire == data + bytes(BOOTP_MINIMUM - len(data))
    else:
        # The missing END, the octets after END, a bad value: all kept as read.
        assert wire == data


# ------------------------------------------------------------------ every vector


@pytest.mark.parametrize("vid", list(VECTORS))
def test_vector_rebuilt_from_its_typed_values_decodes_to_the_same_values(vid: str) -> None:
    msg = _decoded(vid)
    fields = {name: getattr(msg, name) for name in FIELDS}
    typed = {code: msg.options[code] for code in msg.options}
    raw = MALFORMED[vid].raw_options if vid in MALFORMED else set()
    if raw:
        # A value kept raw because it is invalid cannot be put back as a typed value.
        with pytest.raises(OptionValueError) as info:
            Message(**fields, options=typed)
        assert info.value.option in raw
        typed = {code: value for code, value in typed.items() if code not in raw}
    rebuilt = Message(**fields, options=typed)
    wire = encode(rebuilt)
    again = decode(wire)  # strictly: the rebuilt message is well formed
    assert {code: again.options[code] for code in again.options} == typed
    if msg.vend is None:
        assert again == rebuilt
        assert {name: getattr(again, name) for name in FIELDS} == fields
    else:
        # BOOTP without the cookie: 'vend' goes out padded to its 64 octets.
        assert wire == VECTORS[vid].data + bytes(BOOTP_MINIMUM - len(VECTORS[vid].data))
        assert again.vend == fields["vend"] + bytes(64 - len(fields["vend"]))


@pytest.mark.parametrize("vid", list(VECTORS))
def test_vector_has_the_values_its_source_project_checks(vid: str) -> None:
    msg = _decoded(vid)
    header, options = EXPECTED[vid]
    for name, expected in header.items():
        assert _same(getattr(msg, name), expected), (name, getattr(msg, name), expected)
    assert list(msg.options) == list(options)  # every option, in wire order
    for code, expected in options.items():
        assert _same(msg.options[code], expected), (code, msg.options[code], expected)
