"""The bounded option reader and the 255-octet splitter (dhcpwire.wire.reader)."""

from __future__ import annotations

import pytest

from dhcpwire import MAGIC_COOKIE, Message, decode, encode
from dhcpwire.wire.errors import BadOptionLength, TruncatedOption
from dhcpwire.wire.reader import (
    Overrun,
    Reader,
    instances,
    option_offset,
    split_suboptions,
    tlv,
    value_offset,
)


def test_reader_walks_suboptions_with_offsets_in_its_buffer() -> None:
    data = bytes.fromhex("0102abcd" "0500" "0101ff")
    got = [(at, code, data[s:e]) for at, code, s, e in Reader(data).tlvs("sub-option")]
    assert got == [(0, 1, b"\xab\xcd"), (4, 5, b""), (6, 1, b"\xff")]
    assert split_suboptions(data) == {1: b"\xab\xcd\xff", 5: b""}  # RFC 3396 s7: concatenated


def test_reader_started_inside_a_buffer_reports_offsets_from_the_buffer_start() -> None:
    data = b"\xee" * 10 + bytes.fromhex("0102abcd")
    assert [at for at, *_ in Reader(data, 10).tlvs("sub-option")] == [10]


@pytest.mark.parametrize("data,at,message", [
    (b"\x01", 0, "has no length octet"),
    (b"\x01\x03ab", 0, "of length 3 runs past the end"),
    (b"\x02\x00\x07\x05abcd", 2, "of length 5 runs past the end"),
])
def test_reader_overrun_names_the_item_its_offset_and_its_code(
        data: bytes, at: int, message: str) -> None:
    with pytest.raises(Overrun, match=message) as exc:
        list(Reader(data).tlvs("sub-option"))
    assert (exc.value.at, exc.value.kind) == (at, TruncatedOption)
    assert exc.value.code == data[at]


def test_restrict_to_bounds_a_nested_walk_and_moves_past_it() -> None:
    data = bytes.fromhex("00000009" "04" "0102abcd" "ff")
    reader = Reader(data)
    assert reader.get_uint(4, "enterprise") == 9
    size = reader.get_u8("length")
    with reader.restrict_to(size, "block"):
        assert [code for _, code, _, _ in reader.tlvs("sub-option")] == [1]
        assert reader.remaining() == 0
    assert reader.pos == 9 and reader.get_u8("rest") == 0xFF
    with pytest.raises(Overrun) as exc:
        reader.restrict_to(1, "block", BadOptionLength).__enter__()
    assert exc.value.kind is BadOptionLength and exc.value.at == 10


def test_options_walk_skips_pad_and_stops_on_end() -> None:
    data = bytes.fromhex("00" "350101" "00" "ff" "0c01")
    reader = Reader(data)
    assert [(at, code) for at, code, _, _ in reader.options("the options field")] == [(1, 53)]
    assert reader.ended and reader.pos == 5


def test_tlv_splits_values_over_255_octets_rfc3396_section6() -> None:
    # RFC 3396 section 6: "No split portion of an option that has been split
    # can contain more than 255 octets", portions in sequential order.
    value = bytes(range(256)) * 2
    out = tlv(43, value)
    assert out[:2] == b"\x2b\xff" and out[257:259] == b"\x2b\xff" and out[514:516] == b"\x2b\x02"
    assert b"".join(s for _, s in _instances_of(out)) == value
    assert tlv(12, b"") == b"\x0c\x00" and tlv(12, b"x" * 255)[:2] == b"\x0c\xff"


def _instances_of(data: bytes) -> list[tuple[int, bytes]]:
    return [(code, data[s:e]) for _, code, s, e in Reader(data).tlvs("option")]


def test_value_offsets_map_into_concatenated_and_overloaded_instances() -> None:
    # option 12 in three portions: options field, then file, then sname (RFC 3396 s5)
    header = bytearray(b"\x01" + bytes(235))
    header[44:49] = b"\x0c\x02ef\xff"      # sname
    header[108:113] = b"\x0c\x02cd\xff"    # file
    payload = bytes(header) + MAGIC_COOKIE + b"\x34\x01\x03\x0c\x02ab\xff"
    assert decode(payload).options[12] == "abcdef"
    assert [c for _, c, _, _ in instances(payload)] == [52, 12, 12, 12]
    assert [value_offset(payload, 12, k) for k in range(6)] == [245, 246, 110, 111, 46, 47]
    assert option_offset(payload, 12) == 243 and option_offset(payload, 99) == 240


def test_encoder_and_suboption_codec_share_the_splitter() -> None:
    from dhcpwire import RELAY_AGENT_SPACE, Options

    relay = Options({1: bytes(300)}, registry=RELAY_AGENT_SPACE)
    inner = relay.registry  # the relay space types sub-option 1 as bytes
    assert inner is RELAY_AGENT_SPACE
    wire = encode(Message(options={82: relay}), max_size=1500)
    value = decode(wire).options.raw(82)
    assert value == tlv(1, bytes(300))
