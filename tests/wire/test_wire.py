"""The encoder and decoder rules, each with a vector naming its source."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address

import pytest

import dhcpwire
from dhcpwire import (
    DEFAULT_REGISTRY,
    BadCompressionPointer,
    BadOptionLength,
    BadOptionValue,
    ClasslessRoute,
    ClientFQDN,
    ClientIdentifier,
    DecodeError,
    DuplicateOption,
    Message,
    MessageTooLarge,
    MessageType,
    MissingEnd,
    OpCode,
    Options,
    OptionSpec,
    OptionValueError,
    TrailingData,
    TruncatedHeader,
    TruncatedOption,
    UserClass,
    VendorClass,
    VendorInfo,
    decode,
    encode,
)
from dhcpwire.codecs import ClasslessRoutesCodec, DomainListCodec, TextCodec

COOKIE = bytes.fromhex("63825363")


def header(op: int = 1, xid: int = 0x11223344, chaddr: str = "02005e105301",
           sname: bytes = b"", file: bytes = b"") -> bytes:
    return (bytes((op, 1, 6, 0)) + xid.to_bytes(4, "big") + bytes(4) + bytes(16)
            + bytes.fromhex(chaddr).ljust(16, b"\0") + sname.ljust(64, b"\0")
            + file.ljust(128, b"\0"))


def packet(options: bytes, **kw: object) -> bytes:
    return header(**kw) + COOKIE + options  # type: ignore[arg-type]


# -- header --------------------------------------------------------------------

def test_header_fields_decode_with_rfc2131_names_and_types() -> None:
    msg = decode(packet(b"\x35\x01\x01\xff"))
    assert msg.op is OpCode.BOOTREQUEST
    assert (msg.htype, msg.hlen, msg.hops, msg.xid) == (1, 6, 0, 0x11223344)
    assert msg.ciaddr == IPv4Address("0.0.0.0")
    assert msg.chaddr == bytes.fromhex("02005e105301") + bytes(10)
    assert msg.hwaddr == "02:00:5e:10:53:01"
    assert msg.message_type is MessageType.DISCOVER


def test_message_validates_field_ranges_on_construction() -> None:
    with pytest.raises(ValueError, match="xid"):
        Message(xid=1 << 32)
    with pytest.raises(ValueError, match="chaddr"):
        Message(chaddr=bytes(17))
    with pytest.raises(ValueError, match="sname"):
        Message(sname=b"x" * 65)
    with pytest.raises(TypeError, match="ciaddr"):
        Message(ciaddr=b"\x01\x02\x03\x04")  # type: ignore[arg-type]


def test_message_normalises_convenient_forms() -> None:
    msg = Message(ciaddr="192.0.2.7", chaddr="02:00:5e:10:53:01",  # type: ignore[arg-type]
                  sname=b"boot\0\0", options={53: MessageType.INFORM})
    assert msg.ciaddr == IPv4Address("192.0.2.7")
    assert msg.chaddr == bytes.fromhex("02005e105301") + bytes(10)
    assert msg.sname == b"boot"
    assert isinstance(msg.options, Options)
    assert Message(sname="", file=bytearray(b"pxe")).file == b"pxe"  # type: ignore[arg-type]
    assert Message(sname="").sname == b""  # type: ignore[arg-type]


def test_message_accepts_int_enums_for_integer_fields() -> None:
    msg = Message(htype=dhcpwire.HType.ETHERNET, op=OpCode.BOOTREPLY)
    assert msg.htype == 1 and msg.op is OpCode.BOOTREPLY
    with pytest.raises(TypeError):
        Message(hops=True)


def test_message_is_frozen() -> None:
    msg = Message()
    with pytest.raises(AttributeError):
        msg.xid = 5  # type: ignore[misc]


def test_decoded_message_is_a_real_frozen_message() -> None:
    msg = decode(packet(b"\x35\x01\x01\xff"))
    assert type(msg) is Message
    with pytest.raises(AttributeError):
        msg.xid = 5  # type: ignore[misc]
    assert msg == Message(xid=0x11223344, chaddr=bytes.fromhex("02005e105301"),
                          options={53: MessageType.DISCOVER})


def test_broadcast_flag_accessor() -> None:
    assert Message(flags=0x8000).broadcast
    assert not Message(flags=0).broadcast


# -- options field basics ------------------------------------------------------------

def test_pad_options_are_skipped_and_preserved_on_reencode() -> None:
    raw = packet(b"\x00\x00\x35\x01\x05\x00\x36\x04\xc0\x00\x02\x01\xff" + bytes(40))
    msg = decode(raw)
    assert list(msg.options) == [53, 54]
    assert encode(msg) == raw


def test_unknown_codes_keep_raw_bytes_and_reencode_unchanged() -> None:
    raw = packet(b"\x35\x01\x01\xe0\x03abc\xfe\x00\xff")
    msg = decode(raw)
    assert msg.options[224] == b"abc"
    assert msg.options[254] == b""
    rebuilt = msg.replace(options=Options.from_raw({53: b"\x01", 224: b"abc", 254: b""}))
    assert encode(rebuilt)[240:] == raw[240:] + bytes(300 - len(raw))


def test_missing_end_is_an_error_in_strict_mode_and_a_defect_in_lenient() -> None:
    raw = packet(b"\x35\x01\x01")
    with pytest.raises(MissingEnd) as exc:
        decode(raw)
    assert exc.value.offset == len(raw)
    msg = decode(raw, strict=False)
    assert [d.kind for d in msg.defects] == [MissingEnd]
    assert msg.message_type is MessageType.DISCOVER


def test_nonzero_bytes_after_end_are_trailing_data() -> None:
    raw = packet(b"\x35\x01\x01\xff\x00\x07")
    with pytest.raises(TrailingData) as exc:
        decode(raw)
    assert exc.value.offset == 244
    assert [d.kind for d in decode(raw, strict=False).defects] == [TrailingData]


@pytest.mark.parametrize("tail", [b"\xff", b"\xff" * 39, b"\x00\xff\x00\xff", b"\xff" + bytes(60)])
def test_pad_and_end_octets_after_end_are_accepted_and_kept(tail: bytes) -> None:
    # RFC 2132 section 3.2 asks for PAD after END ("should"); a BOOTP server
    # that fills with 0xff (more END options) is read as dhcpd, Kea, dnsmasq
    # and systemd-networkd read it (systemd's test_addr_bootp_reply_bootpd)
    raw = packet(b"\x35\x01\x01\xff" + tail)
    msg = decode(raw)
    assert msg.defects == () and msg.message_type is MessageType.DISCOVER
    assert encode(msg) == raw


def test_any_other_octet_among_them_is_trailing_data() -> None:
    raw = packet(b"\x35\x01\x01\xff" + b"\xff" * 5 + b"\x07" + b"\xff")
    with pytest.raises(TrailingData, match="neither PAD") as exc:
        decode(raw)
    assert exc.value.offset == 244


@pytest.mark.parametrize("zeros", [0, 1, 56, 1499, 1500, 4000])
def test_zeros_after_end_of_any_length_are_accepted_and_kept(zeros: int) -> None:
    raw = packet(b"\x35\x01\x01\xff" + bytes(zeros))
    msg = decode(raw)
    assert msg.defects == () and msg.message_type is MessageType.DISCOVER
    assert encode(msg) == raw


@pytest.mark.parametrize("zeros", [0, 300, 1499, 1500, 4000])
def test_one_nonzero_octet_far_after_end_is_trailing_data(zeros: int) -> None:
    raw = packet(b"\x35\x01\x01\xff" + bytes(zeros) + b"\x01" + bytes(7))
    with pytest.raises(TrailingData) as exc:
        decode(raw)
    assert exc.value.offset == 244


def test_decode_accepts_bytearray_memoryview_and_bytes_subclasses() -> None:
    raw = packet(b"\x35\x01\x01\xff")

    class Payload(bytes):
        pass

    for data in (bytearray(raw), memoryview(raw), Payload(raw)):
        assert decode(data) == decode(raw)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        decode("35 01 01 ff")  # type: ignore[arg-type]


def test_decoded_messages_do_not_share_typed_value_caches() -> None:
    raw = packet(b"\x35\x01\x05\x03\x04\xc0\x00\x02\x01\xff")
    first, second = decode(raw), decode(raw)
    assert first.options[3] == (IPv4Address("192.0.2.1"),)
    assert first.options._typed == {3: (IPv4Address("192.0.2.1"),)}
    assert second.options._typed == {}  # nothing typed yet: the first cache is its own
    assert decode(raw).options._typed == {}


@pytest.mark.parametrize("value", [0, 1, 0xC0000201, 0x7F000001, 0xFFFFFFFF])
def test_decoder_made_addresses_are_real_ipv4_addresses(value: int) -> None:
    from dhcpwire.wire.codecs.basic import _new_address

    made, real = _new_address(value.to_bytes(4, "big")), IPv4Address(value)
    assert type(made) is IPv4Address
    assert (made, hash(made), str(made), made.packed) == (real, hash(real), str(real), real.packed)
    assert made.is_private == real.is_private and made + 0 == real
    assert IPv4Network(f"{made}/32").network_address == real


def test_addresses_decode_the_same_after_the_address_cache_is_cleared() -> None:
    from dhcpwire.wire import decoder as encoding

    base = packet(b"\x35\x01\x05\xff")
    for k in range(encoding._ADDRESSES_MAX + 2):  # fills the cache past its bound
        raw = base[:12] + k.to_bytes(4, "big") + bytes(4) + bytes(4) + (k * 7).to_bytes(4, "big") \
            + base[28:]
        msg = decode(raw)
        assert (msg.ciaddr, msg.giaddr) == (IPv4Address(k), IPv4Address(k * 7))
    assert len(encoding._ADDRESSES) <= encoding._ADDRESSES_MAX


def test_truncated_option_reports_offset_and_code_and_keeps_the_value_raw() -> None:
    raw = packet(b"\x35\x01\x01\x0c\x08abc")
    with pytest.raises(TruncatedOption) as exc:
        decode(raw)
    assert (exc.value.offset, exc.value.option) == (243, 12)
    msg = decode(raw, strict=False)
    assert msg.options[12] == b"abc"  # kept raw, not typed
    assert [d.kind for d in msg.defects] == [TruncatedOption, MissingEnd]


def test_bad_length_of_fixed_size_option() -> None:
    raw = packet(b"\x35\x01\x05\x36\x03\xc0\x00\x02\xff")
    with pytest.raises(BadOptionLength) as exc:
        decode(raw)
    assert (exc.value.offset, exc.value.option) == (243, 54)
    msg = decode(raw, strict=False)
    assert msg.options[54] == b"\xc0\x00\x02"
    assert msg.defects[0].kind is BadOptionLength


def test_repeated_fixed_length_option_is_a_duplicate_not_concatenated() -> None:
    raw = packet(b"\x35\x01\x01\x35\x01\x03\xff")
    with pytest.raises(DuplicateOption) as exc:
        decode(raw)
    assert (exc.value.offset, exc.value.option) == (243, 53)
    msg = decode(raw, strict=False)
    assert msg.message_type is MessageType.DISCOVER  # the first one is kept
    assert [d.kind for d in msg.defects] == [DuplicateOption]


def test_header_shorter_than_236_octets_raises_even_when_lenient() -> None:
    for strict in (True, False):
        with pytest.raises(TruncatedHeader) as exc:
            decode(bytes(100), strict=strict)
        assert exc.value.offset == 100


def test_decode_raises_only_decode_errors_for_garbage() -> None:
    for raw in (b"", b"\xff" * 239, packet(b"\x52\x02\x01"), packet(b"\x79\x03\xc0\x00\x00\xff")):
        with pytest.raises(DecodeError):
            decode(raw)


# -- BOOTP -------------------------------------------------------------------------------

def test_packet_without_cookie_is_bootp_with_vendor_area_kept() -> None:
    vend = b"\x01\x02\x03" + bytes(61)
    raw = header(op=2) + vend
    msg = decode(raw)
    assert msg.is_bootp and msg.message_type is None
    assert msg.vend == vend
    assert len(msg.options) == 0
    assert encode(msg) == raw


def test_short_bootp_packet_without_cookie_is_truncated() -> None:
    with pytest.raises(TruncatedHeader):
        decode(header() + bytes(20))


def test_bootp_with_cookie_and_no_message_type_is_bootp() -> None:
    msg = decode(packet(b"\x01\x04\xff\xff\xff\x00\xff" + bytes(57)))
    assert msg.is_bootp
    assert msg.options[1] == IPv4Address("255.255.255.0")


# -- RFC 3396 long options -------------------------------------------------------------

def test_rfc3396_section8_split_bootfile_name_is_concatenated() -> None:
    # RFC 3396 section 8: option 67 "/diskless/foo" split as 7 + 6 octets.
    opts = b"\x43\x07/diskle" + b"\x43\x06ss/foo" + b"\xff"
    msg = decode(packet(opts))
    assert msg.options[67] == "/diskless/foo"


def test_values_over_255_octets_are_split_on_encode_in_order() -> None:
    big = bytes(range(256)) * 2  # 512 octets
    msg = Message(options={43: big})
    wire = encode(msg, max_size=1500)
    body = wire[240:]
    assert body[:2] == b"\x2b\xff" and body[257:259] == b"\x2b\xff"
    assert body[514:516] == b"\x2b\x02"
    assert decode(wire).options[43] == big


def test_rfc3396_split_across_fields_is_read_options_then_file_then_sname() -> None:
    # RFC 3396 section 5: aggregate order is options, file, sname.
    sname = b"\x0c\x02ef\xff"
    file = b"\x0c\x02cd\xff"
    msg = decode(packet(b"\x34\x01\x03\x0c\x02ab\xff", sname=sname, file=file))
    assert msg.options[12] == "abcdef"
    assert msg.sname == b"" and msg.file == b""


# -- option overload (52) ------------------------------------------------------------------

def test_overloaded_fields_reencode_byte_for_byte() -> None:
    raw = packet(b"\x34\x01\x01\x35\x01\x02\xff" + bytes(53), file=b"\x0f\x03lan\xff")
    msg = decode(raw)
    assert msg.options[15] == "lan" and msg.file == b""
    assert encode(msg) == raw


def test_bad_overload_value_is_rejected() -> None:
    with pytest.raises(BadOptionValue) as exc:
        decode(packet(b"\x34\x01\x07\xff"))
    assert exc.value.option == 52


def test_options_that_do_not_fit_spill_into_file_then_sname() -> None:
    msg = Message(op=2, options={53: MessageType.OFFER, 12: "a" * 200, 17: "r" * 150,
                                 40: "n" * 100, 82: Options({1: b"circuit"},
                                                            registry=dhcpwire.RELAY_AGENT_SPACE)})
    wire = encode(msg)
    assert len(wire) <= 548
    back = decode(wire)
    assert back.options[52] in (1, 3)
    # RFC 3046 section 2.2: 82 stays in the options field, and last there
    end = wire.index(b"\xff", 240)
    assert wire[end - 11:end] == b"\x52\x09\x01\x07circuit"
    for code in (53, 12, 17, 40, 82):
        assert back.options[code] == msg.options[code]
    assert back.file == b"" and back.sname == b""


def test_options_that_cannot_fit_even_overloaded_raise_message_too_large() -> None:
    msg = Message(options={12: "a" * 250, 17: "b" * 250, 40: "c" * 250})
    with pytest.raises(MessageTooLarge):
        encode(msg)
    assert decode(encode(msg, max_size=1500)) == msg


def test_overload_does_not_use_fields_that_hold_names() -> None:
    msg = Message(file=b"pxelinux.0", options={12: "a" * 250, 17: "b" * 80})
    wire = encode(msg)
    back = decode(wire)
    assert back.file == b"pxelinux.0"
    assert back.options[52] == 2
    assert back.options[12] == "a" * 250 and back.options[17] == "b" * 80
    with pytest.raises(MessageTooLarge):
        encode(msg.replace(options={12: "a" * 250, 17: "b" * 250}))


# -- relay agent information (82) ------------------------------------------------------------

def test_relay_agent_information_is_encoded_last() -> None:
    relay = Options({1: b"eth0", 2: b"\x00\x11"}, registry=dhcpwire.RELAY_AGENT_SPACE)
    msg = Message(options={53: MessageType.DISCOVER, 82: relay, 12: "pc"})
    wire = encode(msg)
    assert wire[240:259] == (b"\x35\x01\x01" + b"\x0c\x02pc"
                             + b"\x52\x0a\x01\x04eth0\x02\x02\x00\x11" + b"\xff")[:19]
    assert decode(wire).options[82][1] == b"eth0"


def test_relay_agent_suboptions_are_typed() -> None:
    value = (b"\x01\x03abc\x02\x02\x00\x01\x05\x04\xc0\x00\x02\x00"
             b"\x06\x03sub\x0b\x04\xc0\x00\x02\x01\x0a\x01\x01\x63\x01\xff")
    msg = decode(packet(b"\x52" + bytes((len(value),)) + value + b"\xff"))
    relay = msg.options[82]
    assert relay[dhcpwire.RAI_AGENT_CIRCUIT_ID] == b"abc"
    assert relay[dhcpwire.RAI_LINK_SELECTION] == IPv4Address("192.0.2.0")
    assert relay[dhcpwire.RAI_SUBSCRIBER_ID] == "sub"
    assert relay[dhcpwire.RAI_SERVER_ID_OVERRIDE] == IPv4Address("192.0.2.1")
    assert relay[dhcpwire.RAI_FLAGS] == 1
    assert relay[99] == b"\xff"  # unknown sub-option kept raw


def test_bad_relay_suboption_length_names_the_suboption_offset() -> None:
    # circuit id, then link selection (RFC 3527: 4 octets) with 3
    value = b"\x01\x02ab\x05\x03\xc0\x00\x02"
    raw = packet(b"\x35\x01\x01\x52" + bytes((len(value),)) + value + b"\xff")
    with pytest.raises(BadOptionLength) as exc:
        decode(raw)
    assert exc.value.option == 82
    # option 82 at 243, its value at 245, sub-option 5 at 249, its value at 251
    assert exc.value.offset == 251
    assert raw[exc.value.offset - 2] == 5
    lenient = decode(raw, strict=False)
    assert lenient.options[82] == value and [d.kind for d in lenient.defects] == [BadOptionLength]


def test_relay_source_port_suboption_is_an_empty_flag() -> None:
    # RFC 8357 s5.1: sub-option 19 carries no value; the port is the UDP source port
    raw = packet(b"\x35\x01\x01\x52\x06\x01\x02ab\x13\x00\xff")
    relay = decode(raw).options[82]
    assert dhcpwire.RAI_RELAY_SOURCE_PORT in relay
    assert relay[dhcpwire.RAI_RELAY_SOURCE_PORT] == b""
    with pytest.raises(BadOptionLength) as exc:
        decode(packet(b"\x35\x01\x01\x52\x04\x13\x02\x04\x2b\xff"))
    assert exc.value.option == 82


def test_truncated_relay_suboption_is_an_error_with_offset() -> None:
    with pytest.raises(TruncatedOption) as exc:
        decode(packet(b"\x35\x01\x01\x52\x05\x01\x05abc\xff"))
    assert exc.value.option == 82
    assert exc.value.offset == 245


# -- structured options --------------------------------------------------------------------------

RFC3397_EXAMPLE = (b"\x77\x09\x03eng\x05appl" b"\x77\x09e\x03com\x00\x09ma"
                   b"\x77\x09rketing\xc0\x04")


def test_rfc3397_section3_example_decodes() -> None:
    msg = decode(packet(RFC3397_EXAMPLE + b"\xff"))
    assert msg.options[119] == ("eng.apple.com", "marketing.apple.com")


def test_domain_search_encode_compresses_like_rfc3397_section3() -> None:
    value = DomainListCodec().encode(("eng.apple.com", "marketing.apple.com"))
    assert value == b"\x03eng\x05apple\x03com\x00\x09marketing\xc0\x04"


@pytest.mark.parametrize("value,why", [
    (b"\x03abc\xc0\x00", "does not point backwards"),          # points to itself' start
    (b"\xc0\x00", "does not point backwards"),                  # a pointer to itself
    (b"\x03abc\x00\xc0\x08", "does not point backwards"),       # forward pointer
    (b"\x03abc\x00\x01x\xc0\x06", "does not point backwards"),  # loop through a later label
])
def test_bad_compression_pointers_are_rejected(value: bytes, why: str) -> None:
    raw = packet(b"\x77" + bytes((len(value),)) + value + b"\xff")
    with pytest.raises(BadCompressionPointer, match=why) as exc:
        decode(raw)
    assert exc.value.option == 119
    assert 240 < exc.value.offset < len(raw)


def test_compression_pointer_chain_is_bounded() -> None:
    # every pointer points one name back: work stays linear, no recursion
    value = b"\x01a\x00" + b"".join(
        b"\x01b" + (0xC000 | (3 + 4 * (k - 1) if k else 0)).to_bytes(2, "big")
        for k in range(60))
    names = DomainListCodec().decode(value)
    assert len(names) == 61
    assert names[-1].count(".") == 60


@pytest.mark.parametrize("routes,wire", [
    # RFC 3442 section 2's table of destination descriptors
    ([("0.0.0.0/0", "192.0.2.1")], "00" "c0000201"),
    ([("10.0.0.0/8", "192.0.2.1")], "080a" "c0000201"),
    ([("10.0.0.0/24", "192.0.2.1")], "180a0000" "c0000201"),
    ([("10.17.0.0/16", "192.0.2.1")], "100a11" "c0000201"),
    ([("10.27.129.0/24", "192.0.2.1")], "180a1b81" "c0000201"),
    ([("10.229.0.128/25", "192.0.2.1")], "190ae50080" "c0000201"),
    ([("10.198.122.47/32", "192.0.2.1")], "200ac67a2f" "c0000201"),
])
def test_rfc3442_destination_descriptors(routes: list[tuple[str, str]], wire: str) -> None:
    value = tuple(ClasslessRoute(IPv4Network(d), IPv4Address(r)) for d, r in routes)
    codec = ClasslessRoutesCodec()
    assert codec.encode(value).hex() == wire
    assert codec.decode(bytes.fromhex(wire)) == value


def test_classless_route_with_mask_over_32_is_bad_value() -> None:
    with pytest.raises(BadOptionValue) as exc:
        decode(packet(b"\x79\x05\x21\x0a\x00\x00\x01\xff"))
    assert exc.value.option == 121


def test_client_fqdn_wire_and_ascii_encodings() -> None:
    # RFC 4702 section 2.3.1: E set, canonical wire format, fully qualified
    wire = b"\x51\x11\x05\x00\x00\x04host\x07example\x00"
    msg = decode(packet(wire + b"\xff"))
    assert msg.options[81] == ClientFQDN(0x05, 0, 0, "host.example.")
    assert msg.options[81].server_updates and msg.options[81].wire_format
    # a partial name: no terminating root label
    partial = decode(packet(b"\x51\x08\x04\x00\x00\x04host\xff")).options[81]
    assert partial.name == "host"
    assert fqdn_round_trips(partial)
    # E clear: the deprecated ASCII form that Windows still sends
    ascii_ = decode(packet(b"\x51\x0d\x00\xff\xffpc.lan.org\xff")).options[81]
    assert ascii_ == ClientFQDN(0, 255, 255, "pc.lan.org")


def fqdn_round_trips(value: ClientFQDN) -> bool:
    codec = DEFAULT_REGISTRY[81].codec
    return bool(codec.decode(codec.encode(value)) == value)


def test_client_fqdn_wire_format_must_not_be_compressed() -> None:
    with pytest.raises(BadCompressionPointer):
        decode(packet(b"\x51\x07\x04\x00\x00\x01a\xc0\x03\xff"))


def test_client_identifier_hardware_and_rfc4361_forms() -> None:
    hw = ClientIdentifier.from_hardware(1, bytes.fromhex("02005e105301"))
    assert hw.hardware_address == bytes.fromhex("02005e105301")
    node = ClientIdentifier.from_duid(0x01020304, bytes.fromhex("000300010200 5e105301"))
    assert node.type == 255 and node.iaid == 0x01020304
    assert node.duid == bytes.fromhex("0003000102005e105301")
    msg = decode(encode(Message(options={61: node})))
    assert msg.options[61] == node


def test_user_class_framed_and_unframed() -> None:
    framed = decode(packet(b"\x4d\x08\x03abc\x03def\xff")).options[77]
    assert framed == UserClass((b"abc", b"def"))
    unframed = decode(packet(b"\x4d\x05hello\xff")).options[77]
    assert unframed == UserClass((b"hello",), framed=False)
    assert decode(encode(Message(options={77: unframed}))).options.raw(77) == b"hello"


def test_vendor_identifying_options_are_grouped_by_enterprise() -> None:
    v124 = b"\x00\x00\x0d\xe9\x04\x03abc" + b"\x00\x00\x00\x09\x02\x01z"
    v125 = b"\x00\x00\x0d\xe9\x06\x01\x01x\x02\x01y"
    msg = decode(packet(b"\x7c" + bytes((len(v124),)) + v124
                        + b"\x7d" + bytes((len(v125),)) + v125 + b"\xff"))
    assert msg.options[124] == (VendorClass(3561, (b"abc",)), VendorClass(9, (b"z",)))
    assert msg.options[125] == (VendorInfo(3561, ((1, b"x"), (2, b"y"))),)


def test_vendor_specific_43_is_raw_and_decodable_in_a_named_space() -> None:
    msg = decode(packet(b"\x2b\x07\x06\x01\x08\x0a\x02ab\xff"))
    assert msg.options[43] == b"\x06\x01\x08\x0a\x02ab"
    pxe = dhcpwire.Registry([OptionSpec(6, "discovery-control", dhcpwire.codecs.IntCodec(1),
                                        "PXE 2.1")], space="pxe")
    inner = msg.options.encapsulated(43, pxe)
    assert inner[6] == 8
    assert inner[10] == b"ab"


def test_sip_servers_both_encodings() -> None:
    names = decode(packet(b"\x78\x0e\x00\x07example\x03com\x00\xff")).options[120]
    assert names.domains == ("example.com",)
    addrs = decode(packet(b"\x78\x05\x01\xc0\x00\x02\x01\xff")).options[120]
    assert addrs.addresses == (IPv4Address("192.0.2.1"),)


def test_6rd_option() -> None:
    value = bytes((0, 32)) + IPv6Address("2001:db8::").packed + bytes((192, 0, 2, 1))
    got = decode(packet(b"\xd4\x16" + value + b"\xff")).options[212]
    assert got.prefix == IPv6Address("2001:db8::") and got.border_relays == (
        IPv4Address("192.0.2.1"),)


def test_text_options_drop_trailing_nuls_but_reencode_them() -> None:
    raw = packet(b"\x0c\x05nas1\x00\xff")
    msg = decode(raw)
    assert msg.options[12] == "nas1"
    assert encode(msg) == raw
    rebuilt = Options({12: msg.options[12]})
    assert rebuilt.raw(12) == b"nas1"  # built from the typed value: no NUL


# -- building options -----------------------------------------------------------------------------

def test_options_reject_bad_typed_values_naming_the_code() -> None:
    with pytest.raises(OptionValueError) as exc:
        Options({3: "not a list"})
    assert exc.value.option == 3
    with pytest.raises(OptionValueError):
        Options({51: -1})
    with pytest.raises(OptionValueError):
        Options({200: "unknown codes take bytes"})
    with pytest.raises(OptionValueError):
        Options({0: b""})


def test_options_are_immutable_and_changes_return_new_objects() -> None:
    a = Options({53: MessageType.ACK})
    b = a.set(51, 3600)
    assert 51 not in a and b[51] == 3600
    c = b.remove(53)
    assert list(c) == [51] and list(b) == [53, 51]
    with pytest.raises(TypeError):
        a[51] = 1  # type: ignore[index]


def test_options_equality_is_by_wire_value_and_hashable() -> None:
    a = Options({3: (IPv4Address("192.0.2.1"),)})
    b = Options.from_raw({3: b"\xc0\x00\x02\x01"})
    assert a == b and hash(a) == hash(b)
    assert a == {3: (IPv4Address("192.0.2.1"),)}


def test_a_message_prints_its_type_by_rfc_name_and_never_raises() -> None:
    discover = Message(xid=0x3D1D, chaddr=bytes.fromhex("000b8201fc42"),
                       options={53: MessageType.DISCOVER})
    assert str(discover) == "DHCPDISCOVER xid=0x00003d1d chaddr=00:0b:82:01:fc:42"
    assert str(Message(xid=1)).startswith("BOOTP message xid=0x00000001")
    # a lenient decode keeps an option 53 of the wrong length as raw bytes
    lenient = decode(packet(b"\x35\x02\x01\x02\xff"), strict=False)
    assert lenient.defects and str(lenient).startswith(
        "message with a malformed type (option 53 is 0102) xid=")


def test_an_unknown_message_type_is_a_message_type_named_by_its_number() -> None:
    # RFC 2132 s9.6 leaves the list open: 99 is no RFC's, and still a MessageType
    msg = decode(packet(b"\x35\x01\x63\xff"))
    kind = msg.message_type
    assert isinstance(kind, MessageType) and kind == 99 and kind is MessageType(99)
    assert (kind.name, kind.assigned, str(kind)) == ("TYPE_99", False, "message type 99")
    assert str(msg).startswith("message type 99 xid=") and 99 not in list(MessageType)
    assert encode(Message(options={53: kind})) == encode(Message(options={53: 99}))
    with pytest.raises(ValueError):
        MessageType(256)


# -- registries ----------------------------------------------------------------------------------

def test_derived_registry_adds_vendor_options_without_touching_the_default() -> None:
    spec = OptionSpec(224, "site-text", TextCodec(), "site")
    site = DEFAULT_REGISTRY.derive(spec)
    assert 224 in site and 224 not in DEFAULT_REGISTRY
    raw = packet(b"\xe0\x02hi\xff")
    assert decode(raw, registry=site).options[224] == "hi"
    assert decode(raw).options[224] == b"hi"


def test_registry_clash_raises() -> None:
    with pytest.raises(dhcpwire.OptionClash):
        DEFAULT_REGISTRY.derive(OptionSpec(3, "my-router", TextCodec(), "x"))
    with pytest.raises(dhcpwire.OptionClash):
        DEFAULT_REGISTRY.derive(OptionSpec(224, "router", TextCodec(), "x"))
    with pytest.raises(dhcpwire.OptionClash):
        DEFAULT_REGISTRY.derive(OptionSpec(255, "end", TextCodec(), "x"))
    replaced = DEFAULT_REGISTRY.derive(OptionSpec(43, "vendor-text", TextCodec(), "x"),
                                       replace=True)
    assert replaced[43].name == "vendor-text"
    assert DEFAULT_REGISTRY[43].name == "vendor-specific"


def test_every_table_line_cites_an_rfc_or_document() -> None:
    for spec in DEFAULT_REGISTRY:
        assert spec.reference.startswith(("RFC ", "draft-")), spec


def test_code_constants_match_the_registry() -> None:
    from dhcpwire import codes

    for name in codes.__all__:
        code = getattr(codes, name)
        if name in ("PAD", "END", "OptionCode"):
            continue
        if name.startswith("RAI_"):
            assert dhcpwire.RELAY_AGENT_SPACE[code].name == name[4:].lower().replace("_", "-")
        else:
            assert DEFAULT_REGISTRY[code].name == name.lower().replace("_", "-"), name
    assert len([n for n in codes.__all__ if not n.startswith("RAI_")]) - 3 == len(
        DEFAULT_REGISTRY)


def test_rfc2132_options_are_all_typed() -> None:
    # RFC 2132 defines 1-76 (less the unassigned), all with real structure
    for code in list(range(1, 77)):
        assert code in DEFAULT_REGISTRY, code


def test_single_domain_name_must_end_with_the_root_label() -> None:
    # found by the property tests: "a.b" without its zero octet lost its last letter
    with pytest.raises(TruncatedOption):
        decode(packet(b"\x89\x04\x01a\x01b\xff"))
    assert decode(packet(b"\x89\x05\x01a\x01b\x00\xff")).options[137] == "a.b"
