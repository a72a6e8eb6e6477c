"""The registry's per-code functions held to the codecs they stand in for.

The decoder, typed reads and building options use functions the registry
makes once per option spec (:attr:`Registry.scanners`, ``decoders``,
``encoders``): specialised, and cheaper than the codecs' own methods.
These properties hold each of them to the careful path -- the codec's
``validate``/``decode``/``encode`` and its length rule -- for every line of
the option table and of the relay agent sub-option space, so that a fast
path never decides anything the careful one would decide otherwise.
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhcpwire import (
    DEFAULT_REGISTRY,
    RELAY_AGENT_SPACE,
    ClasslessRoute,
    ClientFQDN,
    DecodeError,
    Message,
    OptionMap,
    Options,
    OptionSpec,
    OptionValueError,
    Registry,
    decode,
    encode,
)
from dhcpwire.codecs import SubOptionsCodec
from dhcpwire.wire.codecs import names as name_codecs
from dhcpwire.wire.codecs.basic import ValueCache
from dhcpwire.wire.registry import ENCODE_ERRORS, Malformed
from tests.strategies import domain_lists, raw_value_strategy, value_strategy

FAST = settings(max_examples=40)

SPECS: list[tuple[Registry, OptionSpec[Any]]] = [
    (registry, spec) for registry in (DEFAULT_REGISTRY, RELAY_AGENT_SPACE) for spec in registry]
STRUCTURED = [item for item in SPECS if item[1].codec.structured]


def _spec_id(item: tuple[Registry, OptionSpec[Any]]) -> str:
    registry, spec = item
    return spec.name if registry is DEFAULT_REGISTRY else f"{registry.space}.{spec.name}"


def _careful_accepts(spec: OptionSpec[Any], raw: bytes) -> bool:
    try:
        spec.codec.decode_checked(raw)
        spec.codec.validate(raw)
    except Malformed:
        return False
    return True


def _scan(registry: Registry, code: int, raw: bytes) -> object:
    try:
        registry.scan_table()  # fills the scanners
        return registry.scanners[code](raw)
    except Exception:  # the decoder takes any exception as "not sure"
        return False


@pytest.mark.parametrize("item", STRUCTURED, ids=_spec_id)
@FAST
@given(data=st.data())
def test_a_scanner_says_valid_only_where_the_codec_agrees(
    item: tuple[Registry, OptionSpec[Any]], data: st.DataObject,
) -> None:
    registry, spec = item
    raw = data.draw(raw_value_strategy(spec.codec), label=spec.name)[:255]
    if registry.length_table()[spec.code][len(raw)] != 2:
        return  # a wrong length never reaches the scanner
    if _scan(registry, spec.code, raw) is True:
        assert _careful_accepts(spec, raw), f"scanner of {spec.name} accepted {raw.hex()}"


@pytest.mark.parametrize("item", STRUCTURED, ids=_spec_id)
@FAST
@given(data=st.data())
def test_a_scanner_says_valid_for_every_value_the_library_encodes(
    item: tuple[Registry, OptionSpec[Any]], data: st.DataObject,
) -> None:
    """What a scanner may leave to the careful path is only the unusual: a
    value that passes it is what the library itself writes."""
    registry, spec = item
    raw = Options({spec.code: data.draw(value_strategy(spec.codec), label=spec.name)},
                  registry=registry).raw(spec.code)
    if len(raw) > 255:
        return  # only a concatenation is that long: the careful path reads those
    if isinstance(spec.codec, SubOptionsCodec) and _repeats(raw):
        return  # a sub-option value over 255 octets went out as two instances
    assert _scan(registry, spec.code, raw) is True, f"{spec.name}: {raw.hex()}"


def _repeats(raw: bytes) -> bool:
    seen, i = set(), 0
    while i < len(raw):
        if raw[i] in seen:
            return True
        seen.add(raw[i])
        i += 2 + raw[i + 1]
    return False


@pytest.mark.parametrize("item", SPECS, ids=_spec_id)
@FAST
@given(data=st.data())
def test_a_fast_decoder_reads_validated_bytes_as_the_codec_does(
    item: tuple[Registry, OptionSpec[Any]], data: st.DataObject,
) -> None:
    registry, spec = item
    raw = data.draw(raw_value_strategy(spec.codec), label=spec.name)
    if not _careful_accepts(spec, raw):
        return
    fast = registry.decoder(spec.code)
    assert fast is not None
    got, want = fast(raw), spec.codec.decode(raw)
    assert got == want and type(got) is type(want)
    if isinstance(want, OptionMap):  # sub-options read lazily, to the same values
        assert {c: got[c] for c in got} == {c: want[c] for c in want}


@pytest.mark.parametrize("item", SPECS, ids=_spec_id)
@FAST
@given(data=st.data())
def test_a_fast_encoder_writes_what_the_codec_writes(
    item: tuple[Registry, OptionSpec[Any]], data: st.DataObject,
) -> None:
    registry, spec = item
    value = data.draw(value_strategy(spec.codec), label=spec.name)
    assert registry.encoder_table()[spec.code](value) == spec.codec.encode(value)


#: Values of the wrong type or range for most formats.
JUNK: list[Any] = [None, 1.5, "text", b"\x01\x02", (), [], -1, 1 << 40, object(),
                   IPv4Address("192.0.2.1"), ("a", "b"), (1, 2, 3)]


@pytest.mark.parametrize("item", SPECS, ids=_spec_id)
def test_a_fast_encoder_refuses_what_the_codec_refuses(
    item: tuple[Registry, OptionSpec[Any]],
) -> None:
    registry, spec = item
    for value in JUNK:
        try:
            raw = spec.codec.encode(value)
            careful = spec.codec.check_length(len(raw)) is None
        except (*ENCODE_ERRORS, KeyError, IndexError):
            careful = False
        try:
            fast = Options({spec.code: value}, registry=registry).raw(spec.code)
        except OptionValueError as exc:
            assert not careful, f"{spec.name} refused {value!r}, its codec did not"
            assert exc.option == spec.code
        else:
            assert careful, f"{spec.name} took {value!r}, its codec did not"
            assert fast == raw


@settings(max_examples=200)
@given(names=domain_lists(), compress=st.booleans())
def test_names_without_escapes_are_written_as_the_escaped_writer_does(
    names: tuple[str, ...], compress: bool,
) -> None:
    full = tuple(n if n.endswith(".") else n + "." for n in names)
    fast = name_codecs._write_names(full, compress=compress)
    assert fast == name_codecs._write_escaped(full, compress=compress)


@pytest.mark.parametrize("name", ["a..b.", ".a.", "x" * 64 + ".", "a." * 128,
                                  "b." + "y" * 70 + "."])
@pytest.mark.parametrize("compress", [False, True])
def test_a_bad_name_is_refused_by_both_writers(name: str, compress: bool) -> None:
    # an empty label, a label over 63 octets, a name over 255 octets (RFC 1035 s2.3.4)
    with pytest.raises(ValueError, match=r"empty label|longer than"):
        name_codecs._write_names((name,), compress=compress)
    with pytest.raises(ValueError, match=r"empty label|longer than"):
        name_codecs._write_escaped((name,), compress=compress)


def test_names_with_escaped_dots_take_the_escaped_writer() -> None:
    assert name_codecs._write_names(("a\\.b.c.",), compress=True) == b"\x03a.b\x01c\x00"


def test_a_value_cache_is_bounded_and_keeps_its_pinned_entries() -> None:
    made: list[int] = []
    cache = ValueCache(lambda key: made.append(key) or key * 2, 4, {0: 0})
    for key in range(1, 10):
        assert cache[key] == key * 2
    assert len(cache) <= 4 and cache[0] == 0 and 0 not in made


def test_the_route_encoder_reuses_the_bytes_of_the_same_tuple() -> None:
    routes = (ClasslessRoute(IPv4Network("10.0.0.0/8"), IPv4Address("192.0.2.1")),)
    first = Options({121: routes}).raw(121)
    assert Options({121: routes}).raw(121) == first == bytes((8, 10, 192, 0, 2, 1))
    again = (ClasslessRoute(IPv4Network("10.0.0.0/8"), IPv4Address("192.0.2.1")),)
    assert Options({121: again}).raw(121) == first
    with pytest.raises(OptionValueError):
        Options({121: (*routes, "not a route")})


def test_an_int_format_takes_what_struct_takes_and_names_the_option() -> None:
    assert Options({51: True}).raw(51) == struct.pack("!I", 1)
    with pytest.raises(OptionValueError) as exc:
        Options({51: 1.0})
    assert exc.value.option == 51 and "ip-address-lease-time" in str(exc.value)
    with pytest.raises(OptionValueError):
        Options({57: 575})  # RFC 2132 s9.10: "The minimum legal value is 576"


def test_a_code_that_is_not_0_to_255_is_refused() -> None:
    for code in (-1, 256, "53", (53,)):
        with pytest.raises(OptionValueError):
            Options({code: b"x"})  # type: ignore[dict-item]


def test_a_message_built_by_keyword_equals_the_decoded_one() -> None:
    raw = encode(Message(op=2, xid=7, yiaddr="192.0.2.9", chaddr="02:00:5e:10:53:01",
                         options={53: 5, 51: 3600}))
    m = decode(raw)
    built = Message(op=m.op, htype=m.htype, hlen=m.hlen, hops=m.hops, xid=m.xid, secs=m.secs,
                    flags=m.flags, ciaddr=m.ciaddr, yiaddr=m.yiaddr, siaddr=m.siaddr,
                    giaddr=m.giaddr, chaddr=m.chaddr, sname=m.sname, file=m.file,
                    options=Options({c: m.options[c] for c in m.options}))
    assert built == m and type(built) is Message and encode(built) == raw


def test_a_subclass_of_message_is_built_as_itself_and_validated() -> None:
    class Tagged(Message):
        pass

    m = Tagged(xid=5, ciaddr="192.0.2.1")
    assert type(m) is Tagged and m.ciaddr == IPv4Address("192.0.2.1") and m.xid == 5
    with pytest.raises(ValueError):
        Tagged(xid=-1)


@pytest.mark.parametrize("field,bits", [("op", 8), ("htype", 8), ("hlen", 8), ("hops", 8),
                                        ("xid", 32), ("secs", 16), ("flags", 16)])
def test_each_integer_field_is_checked_for_type_and_range_alone(field: str, bits: int) -> None:
    top = (1 << bits) - 1
    assert getattr(Message(**{field: top}), field) == top  # type: ignore[arg-type]
    for bad, error in ((top + 1, ValueError), (-1, ValueError), (True, TypeError),
                       (1.0, TypeError), ("1", TypeError)):
        with pytest.raises(error, match=field):
            Message(**{field: bad})  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", [
    bytes((5, 0, 0)) + b"\x01a\x03b.c\x02\\x\x00",  # dots and backslashes inside labels
    bytes((5, 0, 0)) + b"\x00",                    # the root name
    bytes((4, 0, 0)) + b"\x08laptop-7",            # a partial name (RFC 4702 s2.3.1)
    bytes((4, 255, 255)),                          # E set, no name
    bytes((1, 0, 0)) + b"host.example\xff",        # the deprecated ASCII form
])
def test_the_fqdn_decoder_reads_names_as_the_codec_does(raw: bytes) -> None:
    spec = DEFAULT_REGISTRY[81]
    assert _careful_accepts(spec, raw)
    fast = DEFAULT_REGISTRY.decoder(81)
    assert fast is not None and fast(raw) == spec.codec.decode(raw)


@pytest.mark.parametrize("raw,valid", [
    (b"\x01\x03abc\x02\x01x\x05\x04\x0a\x14\x1e\x00", True),   # circuit, remote, link-selection
    (b"\x01\x01a\x01\x01b", False),                           # a repeat: concatenated, careful path
    (b"\x97\x00\x01\x01a\x97\x00", False),                    # a repeat of a code over 63
    (b"\x05\x03\x0a\x14\x1e", False),                         # link-selection of 3 octets
    (b"\x01\x05abc", False),                                  # runs past the end
    (b"\x01\x02ab\x02", False),                               # a code with no length octet
    (b"\x13\x00\x98\x00\xfe\x02xy", True),                    # empty flags; an unknown code
])
def test_the_relay_agent_scanner_says_valid_only_for_one_walk_without_repeats(
    raw: bytes, valid: bool,
) -> None:
    assert (_scan(DEFAULT_REGISTRY, 82, raw) is True) is valid
    if valid:
        assert _careful_accepts(DEFAULT_REGISTRY[82], raw)
    else:  # what the scanner leaves, the careful path reads: as the codec does
        careful = _careful_accepts(DEFAULT_REGISTRY[82], raw)
        msg = Message(options=Options.from_raw({82: raw}))
        wire = encode(msg)
        if careful:
            assert decode(wire).options.raw(82) == raw
        else:
            with pytest.raises(DecodeError) as exc:
                decode(wire)
            assert exc.value.option == 82


class _Address(IPv4Address):
    """An IPv4Address subclass: never on the ``type(x) is IPv4Address`` fast paths."""


def test_every_address_form_encodes_to_its_octets() -> None:
    # The encoders' and the header's fast paths test for IPv4Address itself:
    # the shared 0.0.0.0, an address, a subclass and (where accepted) a
    # string must all give the address's own octets.
    from dhcpwire.wire.codecs import basic

    addresses = [IPv4Address(0), IPv4Address("192.0.2.1"), _Address("198.51.100.7"),
                 IPv4Address("255.255.255.255")]
    for a in addresses:
        assert basic.packed(a) == a.packed
        assert basic.packed(str(a)) == a.packed
    for value in ([addresses[1]], (addresses[2],), tuple(addresses[:2]), tuple(addresses[1:3]),
                  tuple(addresses)):
        raw = Options({3: value}).raw(3)
        assert raw == b"".join(a.packed for a in value)
    msg = Message(op=2, xid=7, ciaddr=addresses[1], yiaddr=addresses[2], siaddr=addresses[3],
                  giaddr=addresses[0], options={53: 5})
    wire = encode(msg)
    assert wire[12:28] == b"".join(a.packed for a in (addresses[1], addresses[2],
                                                     addresses[3], addresses[0]))
    assert decode(wire) == msg


@pytest.mark.parametrize("value,wire", [
    # RFC 4702 section 2: flags, RCODE1, RCODE2, then the name; with E (0x04)
    # in wire format (section 2.3.1), a partial name without the root label
    (ClientFQDN(5, 255, 255, "laptop-7.example.com."),
     b"\x05\xff\xff\x08laptop-7\x07example\x03com\x00"),
    (ClientFQDN(4, 0, 0, "host.example."), b"\x04\x00\x00\x04host\x07example\x00"),
    (ClientFQDN(4, 0, 0, "partial"), b"\x04\x00\x00\x07partial"),
    (ClientFQDN(4, 0, 0, ""), b"\x04\x00\x00"),
    (ClientFQDN(4, 0, 0, "."), b"\x04\x00\x00\x00"),
    (ClientFQDN(4, 0, 0, r"a\.b.example."), b"\x04\x00\x00\x03a.b\x07example\x00"),
    (ClientFQDN(1, 0, 0, "ascii.example"), b"\x01\x00\x00ascii.example"),  # E clear
])
def test_option_81_encodes_each_form_to_its_wire_octets(value: ClientFQDN, wire: bytes) -> None:
    assert Options({81: value}).raw(81) == wire
    assert decode(encode(Message(options={81: value}))).options[81] == value


@pytest.mark.parametrize("bad", [ClientFQDN(5, 256, 0, "a.b."), ClientFQDN(5, 0, 0, "a..b."),
                                 ClientFQDN(5, 0, 0, "x" * 64 + ".example."), "a.b."])
def test_option_81_refuses_what_it_cannot_write(bad: object) -> None:
    with pytest.raises(OptionValueError) as exc:
        Options({81: bad})
    assert exc.value.option == 81


@pytest.mark.parametrize("value", [0, 1, 0x7F000001, 0xC0000201, 0xE0000001, 0xFFFFFFFF])
def test_a_decoded_address_is_an_ordinary_ipv4address(value: int) -> None:
    # A decoded address new to the process is made from its integer,
    # without the checks of a bytes argument: it must be indistinguishable
    # from the one IPv4Address makes of the octets.
    import copy
    import pickle
    import weakref

    from dhcpwire.wire.codecs import basic

    octets = value.to_bytes(4, "big")
    made, want = basic._new_address(octets), IPv4Address(octets)
    assert type(made) is IPv4Address
    assert made == want and hash(made) == hash(want) and str(made) == str(want)
    assert repr(made) == repr(want) and int(made) == value and made.packed == want.packed
    assert (made.is_private, made.is_global, made.is_multicast, made.is_loopback) == (
        want.is_private, want.is_global, want.is_multicast, want.is_loopback)
    assert pickle.loads(pickle.dumps(made)) == want and copy.deepcopy(made) == want
    assert weakref.ref(made)() is made
    assert made + 0 == want and IPv4Network(f"{made}/32").network_address == want


@pytest.mark.parametrize("code,bad", [
    (119, b"\x03abc"),                    # a label and no root label
    (121, b"\x21\x0a\x00\x00\x00\x00"),   # a prefix width of 33
])
def test_a_scanner_does_not_take_a_cached_typed_value_as_proof(
    code: int, bad: bytes, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A decode's checks must not depend on what was read before: bytes that
    # the typed-value cache holds (as if read earlier; here planted) are
    # still walked, and a malformed value still fails strict decoding.
    from dhcpwire.wire.codecs import basic

    cache = name_codecs._NAME_LISTS if code == 119 else basic._ROUTES
    monkeypatch.setitem(cache, bad, ())
    assert _scan(DEFAULT_REGISTRY, code, bad) is not True
    with pytest.raises(DecodeError) as exc:
        decode(encode(Message(options=Options.from_raw({code: bad}))))
    assert exc.value.option == code
