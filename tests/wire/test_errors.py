"""The error contract of the wire layer: who raises what, and where it points.

docs/errors.rst is the page these tests hold to.
"""

from __future__ import annotations

from typing import Any

import pytest

import dhcpwire
from dhcpwire import (
    DEFAULT_REGISTRY,
    MAGIC_COOKIE,
    BadHeader,
    BadOptionValue,
    CaptureError,
    Codec,
    DecodeError,
    DhcpwireError,
    Message,
    Options,
    OptionSpec,
    decode,
    encode,
)
from dhcpwire.codecs import SubOptionsCodec
from dhcpwire.wire.registry import Malformed


def _payload(options: bytes, op: int = 1, hlen: int = 6) -> bytes:
    return bytes((op, 1, hlen)) + bytes(233) + MAGIC_COOKIE + options + b"\xff"


# -- RFC 1542 section 2.1 and RFC 2131 figure 1: the header fields strict decoding checks --

@pytest.mark.parametrize("op", [0, 3, 114, 255])
def test_strict_decoding_rejects_an_op_other_than_1_or_2_at_offset_0(op: int) -> None:
    # RFC 1542 s2.1: "The 'op' (opcode) field of the message must contain either
    # the code for a BOOTREQUEST (1) or the code for a BOOTREPLY (2)."
    with pytest.raises(BadHeader) as exc:
        decode(_payload(b"\x35\x01\x01", op=op))
    assert (exc.value.offset, exc.value.option) == (0, None)
    lenient = decode(_payload(b"\x35\x01\x01", op=op), strict=False)
    assert [(d.kind, d.offset) for d in lenient.defects] == [(BadHeader, 0)]
    assert lenient.op == op


@pytest.mark.parametrize("hlen", [17, 111, 255])
def test_strict_decoding_rejects_an_hlen_over_16_at_offset_2(hlen: int) -> None:
    # RFC 2131 figure 1: 'chaddr' is 16 octets, so 'hlen' cannot say more.
    with pytest.raises(BadHeader) as exc:
        decode(_payload(b"", hlen=hlen))
    assert exc.value.offset == 2
    lenient = decode(_payload(b"", hlen=hlen), strict=False)
    assert [(d.kind, d.offset) for d in lenient.defects] == [(BadHeader, 2)]
    assert lenient.hlen == hlen


def test_a_text_file_is_not_a_bootp_message() -> None:
    text = (b"root:x:0:0:root:/root:/bin/bash\n" * 12)[:300]  # op 'r' (114), hlen 'o' (111)
    with pytest.raises(BadHeader) as exc:
        decode(text)
    assert exc.value.offset == 0
    kinds = [(d.kind, d.offset) for d in decode(text, strict=False).defects]
    assert kinds == [(BadHeader, 0), (BadHeader, 2)]


def test_header_checks_do_not_change_valid_messages() -> None:
    for op in (1, 2):
        for hlen in (0, 6, 16):
            m = decode(_payload(b"\x35\x01\x01", op=op, hlen=hlen))
            assert m.defects == () and (m.op, m.hlen) == (op, hlen)


# -- the exception tree ---------------------------------------------------------------------

def test_capture_error_is_not_a_decode_error() -> None:
    assert issubclass(CaptureError, DhcpwireError)
    assert not issubclass(CaptureError, DecodeError)
    err = CaptureError("truncated record", offset=24)
    assert (err.message, err.offset) == ("truncated record", 24)
    assert str(err) == "truncated record (offset 24)"
    assert not isinstance(err, DecodeError)


# -- offsets count from the start of the payload --------------------------------------------

class _LaxRoutes(Codec[Any]):
    """A user's codec that fails on the third octet of its value."""

    structured = False

    def decode(self, raw: bytes) -> Any:
        raise Malformed("bad third octet", 2)

    def encode(self, value: Any) -> bytes:
        return bytes(value)


def test_lazily_typed_values_report_offsets_from_the_payload() -> None:
    # Options as the decoder makes them (the payload remembered), holding an
    # option 121 whose mask width is 33: read lazily, the error points at the
    # width octet in the payload, not at octet 0 of the value.
    payload = _payload(b"\x35\x01\x05" + b"\x79\x05\x21\x0a\x00\x00\x01")
    options = Options._make({53: b"\x05", 121: payload[245:250]}, {}, DEFAULT_REGISTRY,
                            payload)
    with pytest.raises(BadOptionValue) as exc:
        options[121]
    assert (exc.value.offset, exc.value.option) == (245, 121)
    # options made from value bytes have no payload: the offset is the value's own
    bad = Options.from_raw({121: b"\x21\x0a\x00\x00\x01"})
    with pytest.raises(BadOptionValue) as exc:
        bad[121]
    assert (exc.value.offset, exc.value.option) == (0, 121)


def test_a_users_codec_error_read_lazily_points_into_the_payload() -> None:
    site = DEFAULT_REGISTRY.derive(OptionSpec(224, "site", _LaxRoutes(), "site-local"))
    payload = _payload(b"\x35\x01\x05" + b"\xe0\x04abcd")
    with pytest.raises(BadOptionValue) as exc:
        decode(payload, registry=site)
    # option 224 at 243, its value at 245, the octet the codec named at 247
    assert (exc.value.offset, exc.value.option) == (247, 224)


class _Crashing(Codec[Any]):
    """A user's codec with a bug: it indexes past its value."""

    def decode(self, raw: bytes) -> Any:
        return raw[10]

    def encode(self, value: Any) -> bytes:
        return bytes(value)


def test_any_exception_from_a_users_codec_is_a_decode_error_in_strict_mode() -> None:
    site = DEFAULT_REGISTRY.derive(OptionSpec(224, "site", _Crashing(), "site-local"))
    payload = _payload(b"\x35\x01\x05" + b"\xe0\x02ab")
    with pytest.raises(BadOptionValue, match="IndexError") as exc:
        decode(payload, registry=site)
    assert (exc.value.offset, exc.value.option) == (245, 224)


def test_any_exception_from_a_users_codec_is_a_defect_in_lenient_mode() -> None:
    site = DEFAULT_REGISTRY.derive(OptionSpec(224, "site", _Crashing(), "site-local"))
    msg = decode(_payload(b"\x35\x01\x05" + b"\xe0\x02ab"), strict=False, registry=site)
    assert [(d.kind, d.offset, d.option) for d in msg.defects] == [(BadOptionValue, 245, 224)]
    assert msg.options[224] == b"ab"  # kept raw; reading it raises nothing


def test_a_users_codec_in_a_suboption_space_is_held_to_the_same_contract() -> None:
    space = dhcpwire.Registry([OptionSpec(1, "crash", _Crashing(), "x")], space="vendor")
    codec = SubOptionsCodec(space)
    site = DEFAULT_REGISTRY.derive(OptionSpec(224, "site", codec, "site-local"))
    payload = _payload(b"\xe0\x05\x02\x00\x01\x01z")
    with pytest.raises(BadOptionValue, match="sub-option 1") as exc:
        decode(payload, registry=site)
    # option 224 at 240, value at 242; sub-option 1 at 244, its value at 246
    assert (exc.value.offset, exc.value.option) == (246, 224)


def test_a_users_codec_value_made_at_decode_time_is_kept() -> None:
    calls: list[bytes] = []

    class Counting(Codec[str]):
        def decode(self, raw: bytes) -> str:
            calls.append(raw)
            return raw.decode()

        def encode(self, value: str) -> bytes:
            return value.encode()

    site = DEFAULT_REGISTRY.derive(OptionSpec(224, "site", Counting(), "site-local"))
    msg = decode(_payload(b"\xe0\x02hi"), registry=site)
    assert msg.options[224] == "hi" and msg.options[224] == "hi"
    assert calls == [b"hi"]  # decoded once, at decode time
    assert encode(msg)[240:245] == b"\xe0\x02hi\xff"
    assert decode(encode(Message(options=Options({224: "hi"}, registry=site))),
                  registry=site).options[224] == "hi"


def test_suboption_errors_point_at_the_suboption_value_in_the_payload() -> None:
    # option 82 at 240: sub-option 1 (2 octets), then 5 (link selection) twice,
    # concatenated to 5 octets: not an address (RFC 3527: 4 octets)
    value = b"\x01\x02ab" + b"\x05\x03\xc0\x00\x02" + b"\x05\x02\x01\x02"
    payload = _payload(b"\x52" + bytes((len(value),)) + value)
    with pytest.raises(DecodeError) as exc:
        decode(payload)
    assert exc.value.option == 82
    # the value of 82 starts at 242; sub-option 5's first portion's value at 248
    assert exc.value.offset == 248
