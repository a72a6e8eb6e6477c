"""Every DHCP datagram of every capture in tests/captures, decoded by dhcpwire and by Wireshark.

* Well-formed frames decode strictly, re-encode byte for byte, expose every
  option's typed value, and survive being rebuilt from those typed values.
* The malformed frames listed in :data:`MALFORMED` fail strict decoding with
  the error recorded there; lenient decoding reports the same error as a
  defect. Any other frame that fails is a new finding: fix it or list it.
* dhcpwire's reading of each frame is compared with tshark's, from the
  fixtures in tests/tshark (written by tests/tshark/generate.py, so that this
  file runs where tshark is not installed). ``test_tshark_fixtures_are_current``
  checks that the fixtures still match what tshark says.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from ipaddress import IPv4Address
from itertools import permutations
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dhcpwire import (
    BadOptionLength,
    DecodeError,
    Message,
    Options,
    TruncatedHeader,
    TruncatedOption,
    decode,
    encode,
)
from dhcpwire.pcap import read_datagrams

HERE = Path(__file__).resolve().parents[1]
CAPTURES = HERE / "captures"
FIXTURES = HERE / "tshark"
CAPTURE_FILES = sorted(p for p in CAPTURES.iterdir() if p.suffix in (".pcap", ".pcapng"))
OVERLOAD = 52


def _load_generator() -> ModuleType:
    """tests/tshark/generate.py, which is a script, not part of a package."""
    spec = importlib.util.spec_from_file_location("_tshark_generate", FIXTURES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


@dataclass(frozen=True)
class Frame:
    capture: str
    number: int
    payload: bytes

    @property
    def key(self) -> tuple[str, int]:
        return (self.capture, self.number)

    def __str__(self) -> str:
        return f"{self.capture}#{self.number}"


def _read_frames() -> list[Frame]:
    return [
        Frame(path.name, datagram.number, datagram.payload)
        for path in CAPTURE_FILES
        for datagram in read_datagrams(path.read_bytes())
    ]


FRAMES = _read_frames()

# ------------------------------------------------------------------- the malformed frames

# What tshark (Wireshark 4.0) says about a malformed frame, as (fixture field, value).
TSHARK_EXCEPTION = ("_ws.malformed", "[Malformed Packet: DHCP/BOOTP]")
TSHARK_SHORT = ("_ws.short", "[Packet size limited during capture: DHCP/BOOTP truncated]")
TSHARK_SILENT = None


@dataclass(frozen=True)
class Malformed:
    """How a malformed frame fails: the strict error, where, and what tshark says."""

    error: type[DecodeError]
    offset: int
    option: int | None
    tshark: tuple[str, str] | None
    why: str


ASAN = "the-tcpdump-group_tcpdump__bootp_asan"
OPTION_33 = "the-tcpdump-group_tcpdump__dhcp-option-33.pcap"
RFC4388 = "the-tcpdump-group_tcpdump__dhcp-rfc4388.pcap"
BAD_COOKIE = "zeek_zeek__dhcp_bad_cookie_option_retention.pcap"

#: (capture, frame) -> how it fails. Offsets are from the start of the UDP
#: payload and were checked against the bytes.
MALFORMED: dict[tuple[str, int], Malformed] = {
    ("ntop_nDPI__dhcp-fuzz.pcapng", 1): Malformed(
        TruncatedOption, 261, 60, TSHARK_EXCEPTION,
        "after 53 (240), 61 (243) and 12 (252), option 60 at 261 claims 49 octets; "
        "the 300-octet payload has 37 left (and no END)"),
    (f"{ASAN}.pcap", 1): Malformed(
        TruncatedHeader, 48, None, TSHARK_SHORT,
        "fuzzer case: 48 octets captured of a UDP length of 59392; no 236-octet header"),
    (f"{ASAN}-2.pcap", 1): Malformed(
        TruncatedHeader, 11, None, TSHARK_SHORT,
        "fuzzer case: 11 octets captured; no 236-octet header"),
    (OPTION_33, 4): Malformed(
        BadOptionLength, 255, 33, ("_ws.expert.message", "Option length isn't a multiple of 8"),
        "option 33 at 255 has length 3 (21 03 0a 00 00); RFC 2132 s5.8: minimum 8, "
        "a multiple of 8"),
    (OPTION_33, 5): Malformed(
        BadOptionLength, 255, 33, TSHARK_SILENT,
        "option 33 at 255 has length 0 (21 00); RFC 2132 s5.8: minimum 8. tshark 4.0 only "
        "shows 'Value: <MISSING>' and raises no expert info for it"),
    (RFC4388, 43): Malformed(
        TruncatedHeader, 282, None, TSHARK_EXCEPTION,
        "282 octets; the cookie sits at 234, not 236 (the header is 2 octets short), so it is "
        "a BOOTP message without the 64-octet vend field"),
    (RFC4388, 44): Malformed(
        TruncatedHeader, 282, None, TSHARK_EXCEPTION,
        "as frame 43, with the cookie at 235"),
    **{
        (BAD_COOKIE, number): Malformed(
            TruncatedHeader, 248, None, TSHARK_EXCEPTION,
            "synthetic: the cookie is 00000000, so a BOOTP message, but 248 octets leave "
            "12 of the 64-octet vend field")
        for number in (2, 3, 4)
    },
}

WELL_FORMED = [frame for frame in FRAMES if frame.key not in MALFORMED]
MALFORMED_FRAMES = [frame for frame in FRAMES if frame.key in MALFORMED]


def _params(frames: list[Frame]) -> list[Any]:
    return [pytest.param(frame, id=str(frame)) for frame in frames]


def _fixture(capture: str) -> dict[str, Any]:
    return _FIXTURES[capture]


def _load_fixtures() -> dict[str, dict[str, Any]]:
    fixtures = {}
    for path in CAPTURE_FILES:
        fixture = generate.fixture_path(path, FIXTURES)
        if fixture.exists():
            fixtures[path.name] = json.loads(fixture.read_text(encoding="utf-8"))
    return fixtures


_FIXTURES = _load_fixtures()


def _tshark(frame: Frame) -> dict[str, list[str]]:
    frames: dict[str, dict[str, list[str]]] = _fixture(frame.capture)["frames"]
    return frames[str(frame.number)]


# ------------------------------------------------------------------------ the inventory


def test_the_captures_hold_the_expected_number_of_dhcp_frames() -> None:
    """Update these counts, deliberately, when a capture is added."""
    assert len(CAPTURE_FILES) == 35
    assert len(FRAMES) == 655
    assert len(MALFORMED_FRAMES) == len(MALFORMED) == 10


def test_malformed_table_lists_only_frames_that_exist() -> None:
    assert set(MALFORMED) <= {frame.key for frame in FRAMES}


def test_every_capture_has_a_tshark_fixture_and_every_fixture_a_capture() -> None:
    fixtures = {p.name for p in FIXTURES.glob("*.json")}
    assert fixtures == {generate.fixture_path(p, FIXTURES).name for p in CAPTURE_FILES}


@pytest.mark.parametrize("capture", [p.name for p in CAPTURE_FILES])
def test_dhcpwire_and_tshark_find_the_same_dhcp_frames(capture: str) -> None:
    ours = [frame.number for frame in FRAMES if frame.capture == capture]
    theirs = [int(number) for number in _fixture(capture)["frames"]]
    assert ours == theirs


# ------------------------------------------------------------------ well-formed frames


@pytest.mark.parametrize("frame", _params(WELL_FORMED))
def test_well_formed_frame_decodes_strictly_and_reencodes_byte_for_byte(frame: Frame) -> None:
    msg = decode(frame.payload)
    assert encode(msg) == frame.payload
    for code in msg.options:
        msg.options[code]  # every typed value is reachable
    assert decode(frame.payload, strict=False).defects == ()


@pytest.mark.parametrize("frame", _params(WELL_FORMED))
def test_well_formed_frame_rebuilt_from_typed_values_decodes_to_the_same_values(
    frame: Frame,
) -> None:
    msg = decode(frame.payload)
    typed = {code: msg.options[code] for code in msg.options if code != OVERLOAD}
    # Option 52 is left out: the encoder writes it when the options need 'file'/'sname'.
    rebuilt = msg.replace(options=Options(typed))
    again = decode(encode(rebuilt))
    assert {code: again.options[code] for code in again.options if code != OVERLOAD} == typed
    assert again.replace(options=msg.options) == msg  # the header is unchanged


# ------------------------------------------------------------------- malformed frames


@pytest.mark.parametrize("frame", _params(MALFORMED_FRAMES))
def test_malformed_frame_fails_strict_decoding_with_the_recorded_error(frame: Frame) -> None:
    expected = MALFORMED[frame.key]
    with pytest.raises(DecodeError) as info:
        decode(frame.payload)
    assert type(info.value) is expected.error, expected.why
    assert (info.value.offset, info.value.option) == (expected.offset, expected.option)


@pytest.mark.parametrize("frame", _params(MALFORMED_FRAMES))
def test_malformed_frame_decodes_leniently_with_the_same_error_as_first_defect(
    frame: Frame,
) -> None:
    expected = MALFORMED[frame.key]
    if len(frame.payload) < 236:
        # Not even the fixed header: there is no message to return.
        with pytest.raises(TruncatedHeader) as info:
            decode(frame.payload, strict=False)
        assert info.value.offset == expected.offset
        return
    msg = decode(frame.payload, strict=False)
    assert msg.defects, expected.why
    first = msg.defects[0]
    assert (first.kind, first.offset, first.option) == (
        expected.error, expected.offset, expected.option)


# ------------------------------------------------------------------ tshark comparison
#
# Normalisations of tshark's output (tshark 4.0 field values are strings):
#
# * dhcp.hw.type, dhcp.id and dhcp.flags are hexadecimal ("0x01"); the others decimal.
# * dhcp.hw.type and dhcp.hw.mac_addr also show up inside option 61 (its hardware
#   type and address), after the header in tree order: the first value is the header's.
# * dhcp.option.type lists the code of every option instance, in tree order: the
#   options field, with the options of an overloaded 'sname' then 'file' placed under
#   option 52. PAD is listed as 0, and so is END (the END item's value is 0; its
#   bytes are ff). So the comparison is of the set of codes without 0 and 255.
# * A code split into several instances (RFC 3396) has one tshark value per
#   instance; dhcpwire concatenates them in RFC 3396 section 5 order (options
#   field, 'file', 'sname'), which need not be tshark's order.
# * Text options are FT_STRINGZ: tshark shows no trailing NULs, and dhcpwire's text
#   values drop them too (RFC 2132 section 2); option 60 is bytes in dhcpwire.
# * 'sname' and 'file' are "null terminated string"s (RFC 2131 table 1): tshark shows
#   them up to the first NUL; dhcpwire keeps all 64/128 octets but trailing NULs (it
#   must, to re-encode losslessly), so its value is cut at the first NUL here. An
#   overloaded 'sname'/'file' has no dhcp.server/dhcp.file value, only a note.

HEADER_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "dhcp.type": ("op", int),
    "dhcp.hw.type": ("htype", lambda v: int(v, 16)),
    "dhcp.hw.len": ("hlen", int),
    "dhcp.hops": ("hops", int),
    "dhcp.id": ("xid", lambda v: int(v, 16)),
    "dhcp.secs": ("secs", int),
    "dhcp.flags": ("flags", lambda v: int(v, 16)),
    "dhcp.ip.client": ("ciaddr", IPv4Address),
    "dhcp.ip.your": ("yiaddr", IPv4Address),
    "dhcp.ip.server": ("siaddr", IPv4Address),
    "dhcp.ip.relay": ("giaddr", IPv4Address),
}


def _text(value: str | bytes) -> str:
    """An option's text as tshark shows it, for the printable ASCII the captures hold."""
    if isinstance(value, bytes):
        value = value.rstrip(b"\0").decode("ascii")
    assert value.isascii() and value.isprintable(), (
        f"{value!r}: tshark escapes non-printable text; add that normalisation here")
    return value


SCALAR, LIST, TEXT = "scalar", "list", "text"

#: tshark field -> (option code, how to compare, how to read tshark's strings).
OPTION_FIELDS: dict[str, tuple[int, str, Callable[[str], Any]]] = {
    "dhcp.option.subnet_mask": (1, SCALAR, IPv4Address),
    "dhcp.option.time_offset": (2, SCALAR, int),
    "dhcp.option.router": (3, LIST, IPv4Address),
    "dhcp.option.domain_name_server": (6, LIST, IPv4Address),
    "dhcp.option.hostname": (12, TEXT, str),
    "dhcp.option.domain_name": (15, TEXT, str),
    "dhcp.option.broadcast_address": (28, SCALAR, IPv4Address),
    "dhcp.option.ntp_server": (42, LIST, IPv4Address),
    "dhcp.option.requested_ip_address": (50, SCALAR, IPv4Address),
    "dhcp.option.ip_address_lease_time": (51, SCALAR, int),
    "dhcp.option.option_overload": (52, SCALAR, int),
    "dhcp.option.dhcp": (53, SCALAR, int),
    "dhcp.option.dhcp_server_id": (54, SCALAR, IPv4Address),
    "dhcp.option.request_list_item": (55, LIST, int),
    "dhcp.option.message": (56, TEXT, str),
    "dhcp.option.dhcp_max_message_size": (57, SCALAR, int),
    "dhcp.option.renewal_time_value": (58, SCALAR, int),
    "dhcp.option.rebinding_time_value": (59, SCALAR, int),
    "dhcp.option.vendor_class_id": (60, TEXT, str),
}


def _header_disagreements(msg: Message, tshark: dict[str, list[str]]) -> list[str]:
    problems = []
    for field, (attribute, convert) in HEADER_FIELDS.items():
        theirs = [convert(v) for v in tshark.get(field, [])[:1]]
        if theirs != [getattr(msg, attribute)]:
            problems.append(f"{field}: tshark {theirs}, dhcpwire {attribute}="
                            f"{getattr(msg, attribute)!r}")
    if "dhcp.hw.addr" in tshark:  # chaddr that is not a 6-octet Ethernet address
        theirs_hw = bytes.fromhex(tshark["dhcp.hw.addr"][0].replace(":", ""))
    else:
        theirs_hw = bytes.fromhex(tshark.get("dhcp.hw.mac_addr", [""])[0].replace(":", ""))
    if theirs_hw != msg.client_hwaddr:
        problems.append(f"chaddr[:hlen]: tshark {theirs_hw.hex(':')}, dhcpwire {msg.hwaddr}")
    if ("dhcp.cookie" in tshark) != (msg.vend is None):
        problems.append(f"cookie: tshark {tshark.get('dhcp.cookie')}, dhcpwire vend={msg.vend!r}")
    if "dhcp.cookie" in tshark and tshark["dhcp.cookie"] != ["99.130.83.99"]:
        problems.append(f"cookie: tshark {tshark['dhcp.cookie']}")
    mode = msg.options.get(OVERLOAD, 0)
    for field, attribute, bit in (("dhcp.server", "sname", 2), ("dhcp.file", "file", 1)):
        ours: bytes = getattr(msg, attribute)
        if mode & bit:  # overloaded: tshark shows only a note, dhcpwire an empty field
            if field in tshark or ours:
                problems.append(f"{field} (overloaded): tshark {tshark.get(field)}, "
                                f"dhcpwire {ours!r}")
        elif tshark.get(field) != [_text(ours.split(b"\0", 1)[0])]:
            problems.append(f"{field}: tshark {tshark.get(field)}, dhcpwire {ours!r}")
    return problems


def _option_disagreements(msg: Message, tshark: dict[str, list[str]]) -> list[str]:
    problems = []
    instances = Counter(int(code) for code in tshark.get("dhcp.option.type", []))
    theirs_codes = set(instances) - {0, 255}
    if theirs_codes != set(msg.options):
        problems.append(f"option codes: only tshark {sorted(theirs_codes - set(msg.options))}, "
                        f"only dhcpwire {sorted(set(msg.options) - theirs_codes)}")
    for field, (code, kind, convert) in OPTION_FIELDS.items():
        if (field in tshark) != (code in msg.options):
            problems.append(f"{field}: tshark {tshark.get(field)}, dhcpwire has "
                            f"{'' if code in msg.options else 'no '}option {code}")
            continue
        if field not in tshark:
            continue
        theirs = [convert(v) for v in tshark[field]]
        ours = msg.options[code]
        split = instances[code] > 1
        if kind == SCALAR:
            agree = theirs == [ours]
        elif kind == LIST:
            agree = sorted(theirs) == sorted(ours) if split else theirs == list(ours)
        elif split:  # text in several instances: some order of tshark's pieces
            agree = any("".join(p) == _text(ours) for p in permutations(map(_text, theirs)))
        else:
            agree = [_text(t) for t in theirs] == [_text(ours)]
        if not agree:
            problems.append(f"{field} (option {code}): tshark {tshark[field]}, "
                            f"dhcpwire {ours!r}")
    return problems


@pytest.mark.parametrize("frame", _params(WELL_FORMED))
def test_well_formed_frame_is_not_flagged_by_tshark(frame: Frame) -> None:
    tshark = _tshark(frame)
    assert "_ws.malformed" not in tshark and "_ws.short" not in tshark


@pytest.mark.parametrize("frame", _params(MALFORMED_FRAMES))
def test_malformed_frame_gets_the_recorded_verdict_from_tshark(frame: Frame) -> None:
    tshark = _tshark(frame)
    expected = MALFORMED[frame.key].tshark
    if expected is TSHARK_SILENT:
        assert not {"_ws.malformed", "_ws.short", "_ws.expert.message"} & set(tshark)
    else:
        field, value = expected
        assert value in tshark.get(field, [])


@pytest.mark.parametrize(
    "frame", _params([f for f in FRAMES if len(f.payload) >= 236]))
def test_header_fields_agree_with_tshark(frame: Frame) -> None:
    # Malformed frames are decoded leniently: the header is there, so both read it.
    msg = decode(frame.payload, strict=frame.key not in MALFORMED)
    assert _header_disagreements(msg, _tshark(frame)) == []


@pytest.mark.parametrize("frame", _params(WELL_FORMED))
def test_options_agree_with_tshark(frame: Frame) -> None:
    assert _option_disagreements(decode(frame.payload), _tshark(frame)) == []


# ---------------------------------------------------------------- fixture freshness


def _without_version(fixture: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fixture.items() if key != "tshark"}


def test_tshark_fixtures_are_current(tmp_path: Path) -> None:
    tshark = shutil.which("tshark")
    if tshark is None:
        if os.environ.get("CI"):
            pytest.fail("tshark is required in CI: install it (Debian: apt-get install tshark)")
        pytest.skip("tshark is not installed, so the fixtures in tests/tshark cannot be "
                    "regenerated and compared (the other tests use them as they are)")

    def regenerate(capture: Path) -> tuple[str, dict[str, Any]]:
        obj = generate.fixture(capture, tshark)
        generate.fixture_path(capture, tmp_path).write_text(generate.render(obj), "utf-8")
        return capture.name, obj

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        fresh = dict(pool.map(regenerate, CAPTURE_FILES))
    # The tshark version line is for the reader; only what tshark says is compared.
    stale = [
        capture.name for capture in CAPTURE_FILES
        if _without_version(_FIXTURES.get(capture.name, {}))
        != _without_version(fresh[capture.name])
    ]
    assert stale == [], (
        f"{generate.tshark_version(tshark)} disagrees with the committed fixtures of "
        f"{stale}; see the fresh ones in {tmp_path}; regenerate with: "
        "python tests/tshark/generate.py")
