"""Property tests of the codecs, decode() and encode(), with values derived from the registry.

The strategies live in ``tests/strategies.py``; every option of
DEFAULT_REGISTRY and RELAY_AGENT_SPACE is tested through its codec's
parameters, so a new table line needs no change here.

The dhcpwire bugs these properties found each have a minimal regression
test at the end (``REGRESSION_*`` are their inputs). Hypothesis is
configured once, in ``tests/conftest.py``; a test here only sets how many
examples it is worth.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhcpwire import (
    DEFAULT_REGISTRY,
    MAGIC_COOKIE,
    OPTION_OVERLOAD,
    RELAY_AGENT_INFORMATION,
    RELAY_AGENT_SPACE,
    Codec,
    DecodeError,
    Message,
    MessageTooLarge,
    OptionMap,
    Options,
    OptionSpec,
    OptionValueError,
    Registry,
    Truncated,
    VendorInfo,
    decode,
    encode,
)
from dhcpwire.codecs import (
    DomainListCodec,
    ListOfCodec,
    SipServersCodec,
    SubOptionsCodec,
    TaggedCodec,
    TextCodec,
)
from dhcpwire.wire import decoder as encoding
from dhcpwire.wire.reader import instances
from dhcpwire.wire.registry import Malformed
from tests.strategies import (
    BUILDERS,
    codec_classes,
    long_value_strategy,
    message_strategy,
    mutated,
    option_strategy,
    options_strategy,
    raw_value_strategy,
    unknown_codes,
    value_strategy,
)

#: The DHCP message size every peer accepts (RFC 2131 s2: 576-octet datagram less IP/UDP).
DEFAULT_LIMIT = 548
#: Large enough that no generated message needs option overload.
NO_LIMIT = 65_000
#: Example counts: FAST for tests parametrized over every option, MEDIUM for the rest.
FAST = settings(max_examples=25)
MEDIUM = settings(max_examples=120)
# Strategies built from the whole table are st.deferred: a codec class without a
# value strategy then fails the tests that draw from it (and the coverage test
# names it), instead of stopping the collection of the module.

SPECS: list[tuple[Registry, OptionSpec[Any]]] = [
    (registry, spec) for registry in (DEFAULT_REGISTRY, RELAY_AGENT_SPACE) for spec in registry]


def _spec_id(item: tuple[Registry, OptionSpec[Any]]) -> str:
    registry, spec = item
    return spec.name if registry is DEFAULT_REGISTRY else f"{registry.space}.{spec.name}"


def _packet(options_field: bytes) -> bytes:
    """A BOOTREQUEST header of zeros, the cookie, ``options_field``, END and some padding."""
    return b"\x01" + bytes(235) + MAGIC_COOKIE + options_field + b"\xff" + bytes(60)


def _encode_any_size(m: Message) -> bytes:
    try:
        return encode(m)
    except MessageTooLarge:
        return encode(m, max_size=NO_LIMIT)


# -- regression inputs: what each bug found needed (tests at the end) -----------------

#: A: option 78 is TaggedCodec(IPV4_LIST): a tag and 5 octets pass its length rule
#: (min 5, any multiple) and, the codec not being structured, nothing else is checked.
REGRESSION_A_WIRE = _packet(bytes((78, 6, 0, 192, 0, 2, 1, 9)))
#: B1: a relay sub-option value over 255 octets is split into two instances on encode.
REGRESSION_B1_RELAY = Options({9: (VendorInfo(1, ((1, bytes(250)),)),)}, registry=RELAY_AGENT_SPACE)
#: B2: a fixed-length relay sub-option (5, link-selection) that appears twice.
REGRESSION_B2_WIRE = _packet(bytes((82, 12, 5, 4, 192, 0, 2, 1, 5, 4, 192, 0, 2, 2)))
#: C: an option 82 bigger than the room in the options field.
REGRESSION_C_MESSAGE = Message(options={82: Options({1: bytes(300)}, registry=RELAY_AGENT_SPACE)})
#: E: option 143 with an empty text item (its items are TEXT, min 1 octet).
REGRESSION_E_VALUE = ("",)
#: F: the root domain name, b"\x00", in a domain-name option.
REGRESSION_F_WIRE = _packet(bytes((119, 1, 0)))
#: G: option 57 (minimum 576) of 100.
REGRESSION_G_WIRE = _packet(bytes((57, 2, 0, 100)))
#: H: text that is only NULs: host-name (TEXT, min 1 octet) and status-code (151,
#: TaggedCodec(TextCodec(min_len=0))) of a tag and a NUL.
REGRESSION_H_WIRE = _packet(bytes((12, 1, 0, 151, 2, 5, 0)))


# -- helpers: an independent reading of the options areas ---------------------------

def _tlvs(data: bytes, start: int, end: int) -> tuple[list[tuple[int, bytes]], int]:
    """The (code, value) instances of data[start:end] and the offset of END (-1: none)."""
    out = []
    i = start
    while i < end:
        code = data[i]
        if code == 255:
            return out, i
        if code == 0:
            i += 1
            continue
        assert i + 2 <= end, "option header runs past its area"
        length = data[i + 1]
        assert i + 2 + length <= end, "option runs past its area"
        out.append((code, data[i + 2:i + 2 + length]))
        i += 2 + length
    return out, -1


def _areas(wire: bytes) -> dict[str, list[tuple[int, bytes]]]:
    """Option instances per area: options field, then file and sname when overloaded."""
    assert wire[236:240] == MAGIC_COOKIE
    main, end = _tlvs(wire, 240, len(wire))
    assert end >= 0, "no END in the options field"
    assert not any(wire[end + 1:]), "non-zero bytes after END"
    areas = {"options": main}
    overload = [v for c, v in main if c == OPTION_OVERLOAD]
    mode = overload[0][0] if overload else 0
    for bit, name, start, stop in ((1, "file", 108, 236), (2, "sname", 44, 108)):
        if mode & bit:
            areas[name], end = _tlvs(wire, start, stop)
            assert end >= 0, f"no END in the overloaded {name} field"
    return areas


def _joined(areas: dict[str, list[tuple[int, bytes]]]) -> dict[int, bytes]:
    """RFC 3396 section 5: concatenate in the order options, file, sname."""
    out: dict[int, bytes] = {}
    for name in ("options", "file", "sname"):
        for code, value in areas.get(name, ()):
            out[code] = out.get(code, b"") + value
    return out


def _wire_size(options: Options) -> int:
    """Octets the options take as TLVs, values over 255 split (RFC 3396)."""
    return sum(2 * max(1, -(-len(v) // 255)) + len(v)
               for c, v in options.raw_items() if c != OPTION_OVERLOAD)


def _without_overload(got: Message) -> Message:
    """``got`` without option 52: the encoder writes it when it overloads file/sname,
    and the decoder keeps it (so it is compared separately, by the overload test)."""
    if OPTION_OVERLOAD not in got.options:
        return got
    return got.replace(options=got.options.remove(OPTION_OVERLOAD))


def _assert_same_options(got: Options, want: Options) -> None:
    assert got == want
    assert set(got) == set(want)
    for code in want:
        assert got[code] == want[code], f"option {code}"
        assert got.raw(code) == want.raw(code), f"option {code}"


# -- every option of the table ----------------------------------------------------

def test_value_strategy_covers_every_codec() -> None:
    used = codec_classes([DEFAULT_REGISTRY, RELAY_AGENT_SPACE])
    missing = {cls.__name__: where[:3] for cls, where in used.items() if cls not in BUILDERS}
    assert not missing, f"codec classes without a value strategy: {missing}"
    for _, spec in SPECS:  # and every instance's parameters are understood
        value_strategy(spec.codec)


def test_value_strategy_rejects_an_unknown_codec() -> None:
    class NewCodec(Codec[int]):
        pass

    with pytest.raises(TypeError, match="NewCodec"):
        value_strategy(NewCodec())


@pytest.mark.parametrize("item", SPECS, ids=_spec_id)
@FAST
@given(data=st.data())
def test_every_registry_option_round_trips(
    item: tuple[Registry, OptionSpec[Any]], data: st.DataObject,
) -> None:
    registry, spec = item
    codec = spec.codec
    value = data.draw(value_strategy(codec), label=spec.name)
    raw = codec.encode(value)
    assert isinstance(raw, bytes)
    assert codec.check_length(len(raw)) is None
    assert codec.decode(raw) == value
    assert codec.decode_checked(raw) == value
    # what the strict decoder runs instead of decode
    codec.validate(raw)
    # and through Options, as a message carries it
    opts = Options({spec.code: value}, registry=registry)
    assert opts.raw(spec.code) == raw
    assert Options.from_raw({spec.code: raw}, registry=registry)[spec.code] == value


# -- decode(encode(m)) ------------------------------------------------------------------

@settings(max_examples=300)
@given(m=st.deferred(lambda: st.one_of(message_strategy(), message_strategy(),
                                        message_strategy(bootp=True))))
def test_decode_encode_round_trip(m: Message) -> None:
    wire = _encode_any_size(m)  # (overload is checked in detail by its own test)
    assert len(wire) >= 300
    got = decode(wire)
    assert got.defects == ()
    assert _without_overload(got) == m
    assert got.vend == m.vend
    _assert_same_options(_without_overload(got).options, m.options)
    lenient = decode(wire, strict=False)
    assert lenient.defects == ()
    assert _without_overload(lenient) == m
    # a decoded message re-encodes byte for byte
    assert encode(got) == wire
    if m.vend is None:
        assert _joined(_areas(wire)).keys() - {OPTION_OVERLOAD} == set(m.options)


_OTHERS = st.deferred(lambda: options_strategy(max_size=2))


LONG_SPECS = [item for item in SPECS if long_value_strategy(item[1].codec) is not None]


def _carrying(registry: Registry, code: int, value: Any) -> Options:
    """DHCP options that carry ``code`` of ``registry`` with ``value`` (typed, or
    raw bytes): itself, or, for a relay agent sub-option, inside option 82."""
    if isinstance(value, bytes) and code in registry:
        opts = Options.from_raw({code: value}, registry=registry)
    else:
        opts = Options({code: value}, registry=registry)
    if registry is DEFAULT_REGISTRY:
        return opts
    assert registry is RELAY_AGENT_SPACE
    return Options.from_raw({RELAY_AGENT_INFORMATION: _suboptions_wire(opts)})


def _suboptions_wire(opts: Options) -> bytes:
    """Sub-options as code/length/value, values over 255 octets in 255-octet portions."""
    out = bytearray()
    for code, raw in opts.raw_items():
        for k in range(0, max(1, len(raw)), 255):
            out += bytes((code, len(raw[k:k + 255]))) + raw[k:k + 255]
    return bytes(out)


@pytest.mark.parametrize("item", LONG_SPECS, ids=_spec_id)
@settings(max_examples=10)
@given(data=st.data())
def test_long_values_are_split_and_concatenated(
    item: tuple[Registry, OptionSpec[Any]], data: st.DataObject,
) -> None:
    """RFC 3396: a value over 255 octets goes out as consecutive instances of its
    code (sub-option too), and decode concatenates them back."""
    registry, spec = item
    long_values = long_value_strategy(spec.codec)
    assert long_values is not None
    value = data.draw(long_values, label=spec.name)
    others = data.draw(_OTHERS, label="others")
    carried = _carrying(registry, spec.code, value)
    outer = next(iter(carried))  # the DHCP option that holds the value
    opts = others.remove(outer)
    for code, raw in carried.raw_items():
        opts = opts.set_raw(code, raw)
    m = Message(options=opts)
    raw = Options({spec.code: value}, registry=registry).raw(spec.code)
    assert len(raw) > 255
    wire = encode(m, max_size=NO_LIMIT)
    instances = [v for c, v in _areas(wire)["options"] if c == outer]
    outer_raw = opts.raw(outer)
    assert len(instances) == -(-len(outer_raw) // 255) > 1  # RFC 3396 s6: 255-octet portions
    assert b"".join(instances) == outer_raw  # in order
    if registry is not DEFAULT_REGISTRY:
        subs, _ = _tlvs(outer_raw + b"\xff", 0, len(outer_raw) + 1)
        portions = [v for c, v in subs if c == spec.code]
        assert len(portions) > 1 and b"".join(portions) == raw
    got = decode(wire)
    assert got == m
    if registry is DEFAULT_REGISTRY:
        assert got.options[spec.code] == value
    else:
        assert got.options[outer][spec.code] == value
    # within the default size: overloaded (split across the fields), or too large
    try:
        small = encode(m)
    except MessageTooLarge:
        return
    assert len(small) <= DEFAULT_LIMIT
    assert _joined(_areas(small))[outer] == outer_raw
    assert _without_overload(decode(small)) == m


@settings(max_examples=30)
@given(code=st.sampled_from(unknown_codes(DEFAULT_REGISTRY, {OPTION_OVERLOAD})),
       value=st.binary(min_size=256, max_size=800))
def test_long_unknown_option_is_split_and_concatenated(code: int, value: bytes) -> None:
    m = Message(options=Options.from_raw({code: value}))
    wire = encode(m, max_size=NO_LIMIT)
    instances = [v for c, v in _areas(wire)["options"] if c == code]
    assert len(instances) == -(-len(value) // 255) > 1
    assert b"".join(instances) == value
    assert decode(wire).options[code] == value


# -- option overload ------------------------------------------------------------------

_SITE = unknown_codes(DEFAULT_REGISTRY, {OPTION_OVERLOAD})
_FILLER = st.tuples(st.sampled_from(_SITE), st.binary(min_size=10, max_size=140))


def _crowded_options() -> st.SearchStrategy[Options]:
    relay = DEFAULT_REGISTRY[RELAY_AGENT_INFORMATION].codec
    # option 82 stays in the options field (RFC 3046 s2.2), so its size matters most
    big_relay = long_value_strategy(relay)
    assert big_relay is not None
    relay_pairs = st.tuples(st.just(RELAY_AGENT_INFORMATION),
                            st.one_of(value_strategy(relay), big_relay))
    pairs = st.one_of(option_strategy(DEFAULT_REGISTRY, exclude={OPTION_OVERLOAD}),
                      _FILLER, _FILLER, relay_pairs)
    # a later pair of the same code replaces the earlier one (no unique_by: its
    # filter makes hypothesis print the whole strategy's repr, 32 kB, as a warning)
    return st.lists(pairs, min_size=2, max_size=12).map(lambda ps: Options(dict(ps)))


_CROWDED = st.deferred(_crowded_options)


@st.composite
def crowded_messages(draw: st.DrawFn) -> Message:
    """Messages with options around the 548-octet limit, file and sname usually free."""
    m = draw(message_strategy(options=_CROWDED))
    return m.replace(file=m.file if draw(st.integers(0, 3)) == 0 else b"",
                     sname=m.sname if draw(st.integers(0, 3)) == 0 else b"")


@settings(max_examples=300)
@given(m=crowded_messages())
def test_overload_fills_file_then_sname(m: Message) -> None:
    need = _wire_size(m.options)
    room = DEFAULT_LIMIT - 241  # the options field after the cookie, less END
    # overloaded: 3 octets for option 52; file and sname hold 127 and 63 plus END
    most = room - 3 + (0 if m.file else 127) + (0 if m.sname else 63)
    try:
        wire = encode(m)
    except MessageTooLarge:
        assert need > room, "fits without overload, yet MessageTooLarge"
        return
    assert need <= most, "cannot fit, yet encoded"
    assert len(wire) <= DEFAULT_LIMIT
    areas = _areas(wire)
    overload = [v for c, v in areas["options"] if c == OPTION_OVERLOAD]
    assert len(overload) <= 1
    if need <= room:
        assert not overload
    mode = overload[0][0] if overload else 0
    if overload:
        assert len(overload[0]) == 1 and mode in (1, 2, 3)
    assert set(areas) == {"options"} | ({"file"} if mode & 1 else set()) | (
        {"sname"} if mode & 2 else set())
    assert not mode & 1 or m.file == b""
    assert not mode & 2 or m.sname == b""
    assert mode != 2 or m.file != b"", "sname used while file was free"
    # RFC 3046 s2.2: the relay agent option stays in the options field
    for name in ("file", "sname"):
        assert all(c != RELAY_AGENT_INFORMATION for c, _ in areas.get(name, ()))
    joined = _joined(areas)
    assert {c: v for c, v in joined.items() if c != OPTION_OVERLOAD} == dict(
        m.options.raw_items())
    got = decode(wire)
    if overload:
        # the decoded options hold the 52 the encoder wrote; apart from it, all equal
        assert got.options[OPTION_OVERLOAD] == mode
        got = got.replace(options=got.options.remove(OPTION_OVERLOAD))
    assert got == m
    _assert_same_options(got.options, m.options)


# -- arbitrary and damaged bytes ------------------------------------------------------------

@st.composite
def option_areas(draw: st.DrawFn) -> bytes:
    """A header and the cookie, then options of registry codes with value bytes
    near their formats (valid, damaged, or of lengths around the length rule),
    PAD, unknown codes, END or not, and junk after."""
    header = bytearray(draw(st.one_of(st.binary(min_size=236, max_size=236),
                                      st.just(bytes(236)))))
    # mostly a header strict decoding accepts (op 1 or 2, hlen <= 16; RFC 1542 s2.1)
    header[0] = draw(st.one_of(st.sampled_from([1, 2]), st.integers(0, 255)))
    header[2] = draw(st.one_of(st.integers(0, 16), st.integers(0, 255)))
    out = bytearray(bytes(header) + MAGIC_COOKIE)
    specs = list(DEFAULT_REGISTRY)
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            out.append(0)
        elif kind == 1:
            value = draw(st.binary(max_size=20))
            out += bytes((draw(st.integers(1, 254)), len(value))) + value
        else:
            spec = draw(st.sampled_from(specs))
            value = draw(raw_value_strategy(spec.codec))[:255]
            out += bytes((spec.code, len(value))) + value
    if draw(st.integers(0, 3)):
        out.append(255)
    out += draw(st.one_of(st.just(b""), st.just(bytes(60)), st.binary(max_size=70)))
    return bytes(out)


ANY_BYTES = st.one_of(
    st.binary(max_size=400),
    option_areas(), option_areas(),
    # encoded messages, damaged: mostly in the options field (offset 240 on)
    mutated(st.deferred(lambda: message_strategy().map(_encode_any_size)), low=240),
    mutated(st.deferred(lambda: message_strategy().map(_encode_any_size)), low=44),
)


def _decode_or_none(data: bytes, strict: bool) -> Message | None:
    try:
        return decode(data, strict=strict)
    except DecodeError:
        return None


def _check_any_bytes(data: bytes) -> Message | None:
    """decode() raises nothing but DecodeError, strict or lenient; lenient decodes
    anything with a whole header; decoded values read without raising."""
    m = _decode_or_none(data, strict=True)  # anything but a DecodeError propagates
    lenient = _decode_or_none(data, strict=False)
    if len(data) >= 236:
        # a 236-octet header with the cookie, or a 300-octet BOOTP message, always
        # decodes leniently (and a shorter BOOTP one too, with a TruncatedHeader defect)
        assert lenient is not None
    if lenient is not None:
        # strict raises exactly when lenient has something to forgive
        assert (m is None) == bool(lenient.defects)
        _touch(lenient.options, strict=False, defects=lenient.defects)
    if m is not None:
        assert m.defects == ()
        assert lenient == m
        assert encode(m) == data  # an unchanged decoded message is written back exactly
        _touch(m.options, strict=True)
        if m.vend is None:
            # decode's fast loop and the bounded Reader (which every other walk
            # uses) read the same options on every packet the decoder accepts
            assert dict(m.options.raw_items()) == _read_with_reader(data)
            raw, _, sname, file, defects = encoding._careful(data, True, DEFAULT_REGISTRY)
            assert (raw, sname, file, defects) == (dict(m.options.raw_items()), m.sname, m.file,
                                                   ())
    return m


def _read_with_reader(data: bytes) -> dict[int, bytes]:
    """The options of a payload as the Reader reads them (RFC 3396 section 5's
    order: options field, then the overloaded fields), repeats concatenated."""
    raw: dict[int, bytes] = {}
    for _, code, start, stop in instances(data):
        raw[code] = raw.get(code, b"") + data[start:stop]
    return raw


def _touch(options: OptionMap, strict: bool, defects: tuple[Any, ...] = ()) -> None:
    """Read every typed value (recursively): strict, each is what the codec makes of
    the bytes; lenient, one whose bytes had a defect may be kept as those bytes."""
    for code in options:
        raw = options.raw(code)
        spec = options.registry.get(code)
        try:
            value = options[code]
        except (DecodeError, Malformed) as exc:
            raise AssertionError(f"reading decoded option {code} raised {exc!r}") from exc
        if isinstance(value, OptionMap):
            _touch(value, strict)
        if spec is None:
            assert value == raw
            continue
        if not strict and isinstance(value, bytes) and value == raw and any(
                d.option == code for d in defects):
            continue  # lenient: a value with a defect (bad or truncated) is kept raw
        try:
            typed = spec.codec.decode_checked(raw)
        except Malformed as exc:
            raise AssertionError(f"decode kept option {code}, which its codec rejects: "
                                 f"{exc.message}") from None
        assert value == typed, f"option {code}"


def _rebuilt(options: OptionMap) -> OptionMap:
    """``options`` built again from their typed values (sub-options too)."""
    typed: dict[int, Any] = {}
    for code in options:
        if options.registry is DEFAULT_REGISTRY and code == OPTION_OVERLOAD:
            continue  # the encoder writes 52 when it needs to
        value = options[code]
        if isinstance(value, OptionMap):
            value = _rebuilt(value)
        typed[code] = value
    return type(options)(typed, registry=options.registry)


def _assert_same_values(got: OptionMap, want: OptionMap, skip: frozenset[int]) -> None:
    assert set(got) - skip == set(want) - skip
    for code in set(want) - skip:
        a, b = got[code], want[code]
        if isinstance(b, OptionMap):
            _assert_same_values(a, b, frozenset())
        else:
            assert a == b, f"option {code}: {a!r} != {b!r}"


def _check_rebuild(m: Message) -> None:
    """What the captures test does for real frames: a strictly decoded message,
    built again from its typed values, decodes to the same values."""
    if m.vend is not None:
        return
    again = decode(encode(m.replace(options=_rebuilt(m.options)), max_size=NO_LIMIT))
    _assert_same_values(again.options, m.options, frozenset({OPTION_OVERLOAD}))
    assert again.replace(options=m.options) == m  # the header is unchanged


@settings(max_examples=600)
@given(data=ANY_BYTES)
def test_any_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    m = _check_any_bytes(data)
    if m is not None:
        _check_rebuild(m)


@pytest.mark.parametrize("item", SPECS, ids=_spec_id)
@FAST
@given(data=st.data())
def test_every_registry_option_decodes_any_value_bytes_or_raises(
    item: tuple[Registry, OptionSpec[Any]], data: st.DataObject,
) -> None:
    """The any-bytes property, aimed at each option (or relay sub-option) in turn:
    its value is valid, damaged, or of a length around its rule. What decodes
    strictly rebuilds from its typed values."""
    registry, spec = item
    raw = data.draw(raw_value_strategy(spec.codec), label=spec.name)
    wire = encode(Message(options=_carrying(registry, spec.code, raw)), max_size=NO_LIMIT)
    m = _check_any_bytes(wire)
    if m is not None:
        _check_rebuild(m)


#: Formats whose typed value is exact but whose bytes have more than one form:
#: RFC 1035 compression (119, 120, 88, 141: the names are kept, not the
#: pointers the sender chose).
_COMPRESSED = (DomainListCodec, SipServersCodec)


def _documented_normalisation(codec: Codec[Any], raw: bytes) -> bool:
    """RFC 2132 section 2: NVT ASCII text may end in NULs, which "the receiver
    ... MUST be prepared to delete" -- the one change the typed view makes."""
    inner = codec.inner if isinstance(codec, TaggedCodec) else codec
    return isinstance(inner, (TextCodec, ListOfCodec)) and b"\0" in raw


@pytest.mark.parametrize("item", [i for i in SPECS if i != (DEFAULT_REGISTRY, DEFAULT_REGISTRY[
    OPTION_OVERLOAD])], ids=_spec_id)  # 52 is the encoder's own (RFC 2132 s9.3)
@FAST
@given(data=st.data())
def test_values_from_the_wire_rebuild_to_the_same_bytes_or_are_defects(
    item: tuple[Registry, OptionSpec[Any]], data: st.DataObject,
) -> None:
    """Values true to the wire: bytes that decode strictly, built again from
    their typed value, encode to the same bytes; bytes the typed view cannot
    represent are a defect (strict: an error; lenient: kept raw)."""
    registry, spec = item
    raw = data.draw(raw_value_strategy(spec.codec), label=spec.name)
    wire = encode(Message(options=_carrying(registry, spec.code, raw)), max_size=NO_LIMIT)
    try:
        m = decode(wire)
    except DecodeError:
        lenient = decode(wire, strict=False)
        assert lenient.defects
        return
    opts = m.options if registry is DEFAULT_REGISTRY else m.options[RELAY_AGENT_INFORMATION]
    value = opts[spec.code]
    rebuilt = Options({spec.code: value}, registry=registry).raw(spec.code)
    if isinstance(spec.codec, _COMPRESSED) or (
            isinstance(spec.codec, SubOptionsCodec) and rebuilt != opts.raw(spec.code)):
        # the same names (or sub-options, whose own values hold to this test)
        assert Options.from_raw({spec.code: rebuilt}, registry=registry)[spec.code] == value
    elif _documented_normalisation(spec.codec, opts.raw(spec.code)):
        assert Options.from_raw({spec.code: rebuilt}, registry=registry)[spec.code] == value
    else:
        assert rebuilt == opts.raw(spec.code)


def test_classless_route_bits_past_the_prefix_are_kept_as_sent() -> None:
    # RFC 3442 s2: "the DHCP client MUST zero any bits in the subnet number
    # where the corresponding bit in the mask is zero" -- destination does;
    # sent keeps what the wire said, and the value encodes back to it.
    route = decode(_packet(bytes((121, 8, 20, 10, 1, 0xFF, 192, 0, 2, 1)))).options[121][0]
    assert str(route.destination) == "10.1.240.0/20" and str(route.sent) == "10.1.255.0"
    assert Options({121: (route,)}).raw(121) == bytes((20, 10, 1, 0xFF, 192, 0, 2, 1))


def test_a_flag_octet_other_than_0_or_1_is_a_defect() -> None:
    # RFC 2132 s4.1: "A value of 0 means disable ..., and a value of 1 means enable"
    wire = _packet(bytes((19, 1, 2)))
    with pytest.raises(DecodeError) as exc:
        decode(wire)
    assert (exc.value.option, exc.value.offset) == (19, 242)
    lenient = decode(wire, strict=False)
    assert lenient.options[19] == b"\x02" and lenient.defects[0].option == 19


def test_relay_authentication_mbz_bits_are_kept_not_dropped() -> None:
    # RFC 4030 s4: the four MBZ bits "SHOULD be set to zero and MUST NOT be used"
    value = bytes((1, 0x31)) + bytes(8) + bytes(4)
    sub = bytes((8, len(value))) + value
    got = decode(_packet(bytes((82, len(sub))) + sub)).options[82][8]
    assert (got.rdm, got.reserved) == (1, 3)
    assert Options({8: got}, registry=RELAY_AGENT_SPACE).raw(8) == value


# -- truncation -----------------------------------------------------------------------

@settings(max_examples=100)
@given(m=st.deferred(message_strategy))
def test_every_prefix_of_a_valid_packet_raises_truncation(m: Message) -> None:
    wire = _encode_any_size(m)
    _, end = _tlvs(wire, 240, len(wire))
    assert end >= 240
    for k in range(end + 1):
        with pytest.raises(Truncated):
            decode(wire[:k])
    # up to and including END is the whole message (the padding is optional)
    assert _without_overload(decode(wire[:end + 1])) == m


def test_prefixes_raise_each_kind_of_truncation() -> None:
    wire = encode(Message(options={53: 1, 12: "x"}))
    kinds: Counter[str] = Counter()
    for k in range(wire.index(b"\xff", 240) + 1):
        with pytest.raises(Truncated) as exc:
            decode(wire[:k])
        kinds[type(exc.value).__name__] += 1
    # 0-239 octets: header; then options "" 35 3501 350101 35010 10c 35010 10c01 350101 0c0178
    assert kinds == {"TruncatedHeader": 240, "TruncatedOption": 4, "MissingEnd": 3}


# -- regression tests of the bugs found (see the module docstring) ------------------------

def test_bug_a_strictly_decoded_option_78_is_readable() -> None:
    # fixed by rejecting it: the inner address list's length is checked on decode
    with pytest.raises(DecodeError):
        decode(REGRESSION_A_WIRE)
    m = decode(REGRESSION_A_WIRE, strict=False)  # kept raw, with the defect
    assert m.defects and m.options[78] == m.options.raw(78)
    assert m.options[78] is not None  # raises BadOptionLength: 5 is not a multiple of 4


def test_bug_b1_long_structured_relay_suboption_round_trips() -> None:
    m = Message(options={82: REGRESSION_B1_RELAY})
    assert decode(encode(m, max_size=NO_LIMIT)) == m  # BadOptionLength, offset 499


def test_bug_b2_repeated_fixed_length_suboption_is_rejected_or_readable() -> None:
    try:
        m = decode(REGRESSION_B2_WIRE)
    except DecodeError:
        return  # rejecting the repeat is fine too
    assert m.options[82] is not None  # raises BadOptionLength: sub-option 5 length 8


def test_bug_c_too_large_relay_option_raises_message_too_large() -> None:
    with pytest.raises(MessageTooLarge):
        encode(REGRESSION_C_MESSAGE)  # returns 549 octets


def test_bug_e_option_143_rejects_an_empty_item() -> None:
    with pytest.raises(OptionValueError):
        Options({143: REGRESSION_E_VALUE})


def test_bug_f_root_domain_name_rebuilds() -> None:
    value = decode(REGRESSION_F_WIRE).options[119]
    assert value == (".",)
    assert decode(encode(Message(options={119: value}))).options[119] == value


def test_bug_g_value_under_min_value_is_decoded_and_encoded_alike() -> None:
    try:
        value = decode(REGRESSION_G_WIRE).options[57]
    except DecodeError:
        return  # rejecting it on decode is fine too
    assert Options({57: value})[57] == value


def test_bug_h_nul_only_text_rebuilds_equal() -> None:
    m = decode(REGRESSION_H_WIRE)
    typed = {12: m.options[12], 151: m.options[151]}
    assert typed == {12: "\x00", 151: (5, "\x00")}  # NUL-only text keeps its NULs
    again = decode(encode(Message(options=typed)))  # OptionValueError: host-name length 0
    assert {c: again.options[c] for c in typed} == typed  # 151 comes back (5, None)
