"""Hypothesis strategies for dhcpwire, derived from the option registries.

Every strategy here is computed from a :class:`~dhcpwire.Registry` and the
parameters of its codecs, so a new line in ``dhcpwire/_table.py`` is tested
with no change to this file. A new *codec class* is different: it needs a
builder in ``_BUILDERS`` below, and :func:`value_strategy` raises until it
has one (the property tests fail loudly, naming the class).

The values generated are canonical: each is exactly what its codec decodes
from the bytes it encodes it to (no trailing NULs in text, domain names in
the presentation form the decoder produces, networks with their host bits
clear, ...), so ``codec.decode(codec.encode(v)) == v`` is the property.
"""

from __future__ import annotations

import re
import string
import struct
from collections.abc import Callable, Collection, Iterable
from functools import cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address
from itertools import chain
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from dhcpwire import (
    DEFAULT_REGISTRY,
    MAGIC_COOKIE,
    OPTION_OVERLOAD,
    Codec,
    Message,
    MessageType,
    Options,
    Registry,
)
from dhcpwire.codecs import (
    AddressPairs,
    AuthenticationCodec,
    BoolCodec,
    BytesCodec,
    ClasslessRoutesCodec,
    ClientFQDNCodec,
    ClientIdentifierCodec,
    ClientNDICodec,
    DomainListCodec,
    DomainNameCodec,
    EmptyCodec,
    IntCodec,
    IntListCodec,
    IPv4Codec,
    IPv4ListCodec,
    ListOfCodec,
    MachineIdCodec,
    MessageTypeCodec,
    RadiusAttributesCodec,
    RelayAuthenticationCodec,
    SipServersCodec,
    SixRdCodec,
    StructCodec,
    SubOptionsCodec,
    TaggedCodec,
    TextCodec,
    UserClassCodec,
    VendorClassCodec,
    VendorInfoCodec,
)
from dhcpwire.values import (
    Authentication,
    ClasslessRoute,
    ClientFQDN,
    ClientIdentifier,
    ClientNDI,
    MachineIdentifier,
    RelayAuthentication,
    SipServers,
    SixRd,
    UserClass,
    VendorClass,
    VendorInfo,
)

__all__ = [
    "BUILDERS",
    "addresses",
    "canonical_text",
    "codec_classes",
    "domain_lists",
    "domain_names",
    "long_value_strategy",
    "message_strategy",
    "mutated",
    "option_strategy",
    "options_strategy",
    "raw_value_strategy",
    "unknown_codes",
    "value_strategy",
]

#: The longest value generated for an option without an upper length bound:
#: a little over 255, so RFC 3396 splitting is exercised now and then.
LONG = 300

Builder = Callable[[Any], SearchStrategy[Any]]
_BUILDERS: dict[type[Codec[Any]], Builder] = {}
#: Codec class -> the function that builds a strategy from an instance's parameters.
BUILDERS = _BUILDERS
_CACHE: dict[int, tuple[Codec[Any], SearchStrategy[Any]]] = {}


def value_strategy(codec: Codec[Any]) -> SearchStrategy[Any]:
    """Canonical typed values of ``codec``: ones it encodes and decodes back equal.

    Dispatches on the exact class of ``codec`` (a subclass is a new format and
    needs its own builder); raises ``TypeError`` for a class without one.
    """
    hit = _CACHE.get(id(codec))
    if hit is not None and hit[0] is codec:
        return hit[1]
    builder = _BUILDERS.get(type(codec))
    if builder is None:
        raise TypeError(
            f"no value strategy for codec class {type(codec).__name__} ({codec!r}): "
            "add a builder to tests/strategies.py")
    strategy = builder(codec)
    _CACHE[id(codec)] = (codec, strategy)
    return strategy


def _builds(*classes: type[Codec[Any]]) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        for cls in classes:
            _BUILDERS[cls] = fn
        return fn
    return register


def codec_classes(registries: Iterable[Registry]) -> dict[type[Codec[Any]], list[str]]:
    """Every codec class the registries use (following sub-option spaces and
    inner codecs), with where each is used."""
    found: dict[type[Codec[Any]], list[str]] = {}

    def visit(codec: Codec[Any], where: str) -> None:
        found.setdefault(type(codec), []).append(where)
        if isinstance(codec, SubOptionsCodec):
            walk(codec.space, where)
        inner = getattr(codec, "inner", None)
        if isinstance(inner, Codec):
            visit(inner, where + " (inner)")

    def walk(registry: Registry, prefix: str) -> None:
        for spec in registry:
            visit(spec.codec, f"{prefix}{registry.space}:{spec.code} {spec.name}")

    for registry in registries:
        walk(registry, "")
    return found


# -- shared building blocks -----------------------------------------------------

def _uint(octets: int) -> SearchStrategy[int]:
    top = (1 << (8 * octets)) - 1
    return st.one_of(st.integers(0, top), st.sampled_from(sorted({0, 1, top})))


U8 = _uint(1)
U16 = _uint(2)
U32 = _uint(4)


def addresses() -> SearchStrategy[IPv4Address]:
    """IPv4 addresses, with the special ones (0.0.0.0, broadcast ...) now and then."""
    return st.one_of(
        st.builds(IPv4Address, st.integers(0, 2**32 - 1)),
        st.sampled_from([IPv4Address(x) for x in
                         ("0.0.0.0", "255.255.255.255", "192.0.2.1", "10.0.0.1")]),
    )


def _address_tuples(min_size: int, max_size: int = 12) -> SearchStrategy[tuple[IPv4Address, ...]]:
    return st.lists(addresses(), min_size=min_size, max_size=max(min_size, max_size)).map(tuple)


def canonical_text(min_len: int = 0, max_len: int = LONG) -> SearchStrategy[str]:
    """``str`` values of NVT ASCII/UTF-8 options as :class:`TextCodec` decodes them:
    no trailing NUL, and any non-UTF-8 byte as its ``surrogateescape`` surrogate
    (so no other lone surrogates, and no escaped bytes that form valid UTF-8)."""
    def encoded_len(s: str) -> int:
        return len(s.encode("utf-8", "surrogateescape"))

    from_bytes = st.binary(max_size=max_len).map(
        lambda b: b.rstrip(b"\0").decode("utf-8", "surrogateescape"))
    ascii_text = st.text(string.printable, max_size=max_len).map(lambda s: s.rstrip("\0"))
    unicode_text = st.text(st.characters(codec="utf-8"), max_size=max_len // 4).map(
        lambda s: s.rstrip("\0"))
    return st.one_of(ascii_text, from_bytes, unicode_text).filter(
        lambda s: min_len <= encoded_len(s) <= max_len)


# Domain names (RFC 1035 section 3.1) in the presentation form the decoder
# gives: labels joined by ".", a "." or "\" inside a label escaped by "\", and
# bytes over 0x7f as surrogateescape surrogates.
_HOST_LABEL = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=63).map(
    lambda s: s.encode("ascii"))
_ANY_LABEL = st.binary(min_size=1, max_size=63)
_LABEL = st.one_of(_HOST_LABEL, _HOST_LABEL, _HOST_LABEL, _ANY_LABEL)


def _label_text(label: bytes) -> str:
    return label.decode("ascii", "surrogateescape").replace("\\", "\\\\").replace(".", "\\.")


def _fit(labels: list[bytes]) -> list[bytes]:
    # a name's wire form (a length octet per label, then the root) is <= 255 octets
    while len(labels) > 1 and sum(len(x) + 1 for x in labels) + 1 > 255:
        labels = labels[1:]
    return labels


def _name(labels: list[bytes]) -> str:
    return ".".join(_label_text(x) for x in labels)


def domain_names(max_labels: int = 6) -> SearchStrategy[str]:
    """One domain name without the trailing dot: 1-63 octet labels, <= 255 octets."""
    return st.lists(_LABEL, min_size=1, max_size=max_labels).map(_fit).map(_name)


@st.composite
def domain_lists(draw: st.DrawFn, *, min_size: int = 1, max_size: int = 6,
                 shared_suffixes: bool = True) -> tuple[str, ...]:
    """Tuples of domain names; with ``shared_suffixes`` they often share suffixes
    (and repeat), so that RFC 1035 compression has something to compress."""
    if not shared_suffixes:
        return tuple(draw(st.lists(domain_names(), min_size=min_size, max_size=max_size)))
    suffixes = draw(st.lists(st.lists(_LABEL, min_size=1, max_size=3), min_size=1, max_size=3))
    count = draw(st.integers(min_size, max_size))
    names = []
    for _ in range(count):
        head = draw(st.lists(_LABEL, max_size=3))
        names.append(_name(_fit(head + draw(st.sampled_from(suffixes)))))
    return tuple(names)


def _frames(raw: bytes) -> bool:
    """Whether ``raw`` is a sequence of 1-255 octet length-prefixed items, exactly."""
    i = 0
    while i < len(raw):
        if raw[i] == 0 or i + 1 + raw[i] > len(raw):
            return False
        i += 1 + raw[i]
    return True


def _length_prefixed(item: SearchStrategy[bytes], limit: int, per_item: int
                     ) -> SearchStrategy[tuple[bytes, ...]]:
    """Tuples of items whose total size, counting ``per_item`` octets each, is <= ``limit``."""
    return st.lists(item, max_size=8).map(lambda items: _take(items, limit, per_item))


def _take(items: list[Any], limit: int, per_item: int) -> tuple[Any, ...]:
    out, total = [], 0
    for x in items:
        size = per_item + len(x if isinstance(x, bytes) else x[1])
        if total + size > limit:
            break
        out.append(x)
        total += size
    return tuple(out)


def _non_empty_encoding(codec: Codec[Any]) -> SearchStrategy[Any]:
    return value_strategy(codec).filter(lambda v: len(codec.encode(v)) > 0)


# -- one builder per codec class ---------------------------------------------------

@_builds(IntCodec)
def _int(codec: IntCodec) -> SearchStrategy[int]:
    bits = 8 * codec.size
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if codec.signed else (0, (1 << bits) - 1)
    if codec.min_value is not None:
        lo = max(lo, codec.min_value)
    return st.one_of(st.integers(lo, hi), st.sampled_from(sorted({lo, hi, max(lo, min(0, hi))})))


@_builds(BoolCodec)
def _bool(codec: BoolCodec) -> SearchStrategy[bool]:
    return st.booleans()


@_builds(EmptyCodec)
def _empty(codec: EmptyCodec) -> SearchStrategy[bool]:
    return st.just(True)


@_builds(MessageTypeCodec)
def _message_type(codec: MessageTypeCodec) -> SearchStrategy[MessageType | int]:
    return st.one_of(st.sampled_from(MessageType), U8)


@_builds(IntListCodec)
def _int_list(codec: IntListCodec) -> SearchStrategy[tuple[int, ...]]:
    min_count = codec.min_len // codec.size
    return st.lists(_uint(codec.size), min_size=min_count,
                    max_size=min_count + LONG // codec.size).map(tuple)


@_builds(IPv4Codec)
def _ipv4(codec: IPv4Codec) -> SearchStrategy[IPv4Address]:
    return addresses()


@_builds(IPv4ListCodec)
def _ipv4_list(codec: IPv4ListCodec) -> SearchStrategy[tuple[IPv4Address, ...]]:
    min_count = codec.min_len // 4
    return _address_tuples(min_count, min_count + LONG // 4)


@_builds(AddressPairs)
def _address_pairs(codec: AddressPairs) -> SearchStrategy[tuple[tuple[IPv4Address, ...], ...]]:
    return st.lists(st.tuples(addresses(), addresses()), min_size=max(1, codec.min_len // 8),
                    max_size=LONG // 8).map(tuple)


@st.composite
def _networks(draw: st.DrawFn) -> IPv4Network:
    width = draw(st.integers(0, 32))
    return IPv4Network((draw(addresses()), width), strict=False)


@st.composite
def _classless_route(draw: st.DrawFn) -> ClasslessRoute:
    net = draw(_networks())
    router = draw(addresses())
    if net.prefixlen % 8 == 0 or not draw(st.booleans()):
        return ClasslessRoute(net, router)
    # RFC 3442 s2: bits past the prefix, within its significant octets, as sent
    spare = (1 << (32 - net.prefixlen)) - 1
    within = spare & ~((1 << (32 - (net.prefixlen + 7) // 8 * 8)) - 1)
    bits = draw(st.integers(1, within)) & within if within else 0
    sent = IPv4Address(int(net.network_address) | bits) if bits else None
    return ClasslessRoute(net, router, sent)


@_builds(ClasslessRoutesCodec)
def _classless_routes(codec: ClasslessRoutesCodec) -> SearchStrategy[tuple[ClasslessRoute, ...]]:
    return st.lists(_classless_route(), min_size=1, max_size=LONG // 6).map(tuple)


@_builds(TextCodec)
def _text(codec: TextCodec) -> SearchStrategy[str]:
    return canonical_text(codec.min_len, max(codec.min_len, LONG))


@_builds(BytesCodec)
def _bytes(codec: BytesCodec) -> SearchStrategy[bytes]:
    top = codec.max_len if codec.max_len is not None else codec.min_len + LONG
    return st.binary(min_size=codec.min_len, max_size=top)


@_builds(DomainListCodec)
def _domain_list(codec: DomainListCodec) -> SearchStrategy[tuple[str, ...]]:
    # Compression only changes the bytes, never the names; with compress set
    # the names share suffixes so that the pointers are exercised.
    return domain_lists(shared_suffixes=codec.compress)


@_builds(DomainNameCodec)
def _domain_name(codec: DomainNameCodec) -> SearchStrategy[str]:
    return domain_names()


@st.composite
def _client_fqdn(draw: st.DrawFn) -> ClientFQDN:
    flags = draw(st.one_of(st.sampled_from([0, 1, 4, 5, 8, 12, 0x0F]), U8))
    if flags & ClientFQDN.E:
        # canonical wire format: empty, fully qualified ("...".) or partial
        name = draw(st.one_of(st.just(""), domain_names(), domain_names().map(lambda n: n + ".")))
    else:
        # the deprecated ASCII form: the bytes as they are
        name = draw(st.binary(max_size=80)).decode("ascii", "surrogateescape")
    return ClientFQDN(flags, draw(U8), draw(U8), name)


@_builds(ClientFQDNCodec)
def _client_fqdn_codec(codec: ClientFQDNCodec) -> SearchStrategy[ClientFQDN]:
    return _client_fqdn()


@_builds(ClientIdentifierCodec)
def _client_id(codec: ClientIdentifierCodec) -> SearchStrategy[ClientIdentifier]:
    data = st.binary(min_size=max(0, codec.min_len - 1), max_size=64)
    return st.one_of(
        st.builds(ClientIdentifier, U8, data),
        st.builds(ClientIdentifier.from_hardware, st.just(1), st.binary(min_size=6, max_size=6)),
        st.builds(ClientIdentifier.from_duid, U32, st.binary(min_size=1, max_size=40)),
    )


@_builds(UserClassCodec)
def _user_class(codec: UserClassCodec) -> SearchStrategy[UserClass]:
    framed = st.lists(st.binary(min_size=1, max_size=255), min_size=1, max_size=6).map(
        lambda cs: UserClass(tuple(cs)))
    # a bare string is only read back as unframed when it does not frame exactly
    unframed = st.binary(min_size=max(1, codec.min_len), max_size=80).filter(
        lambda b: not _frames(b)).map(lambda b: UserClass((b,), framed=False))
    return st.one_of(framed, unframed)


@_builds(VendorClassCodec)
def _vendor_class(codec: VendorClassCodec) -> SearchStrategy[tuple[VendorClass, ...]]:
    # RFC 3925 section 3: each enterprise's data (length-prefixed classes) is <= 255
    block = st.builds(VendorClass, U32, _length_prefixed(st.binary(max_size=80), 255, 1))
    return st.lists(block, min_size=1, max_size=4).map(tuple)


@_builds(VendorInfoCodec)
def _vendor_info(codec: VendorInfoCodec) -> SearchStrategy[tuple[VendorInfo, ...]]:
    pair = st.tuples(U8, st.binary(max_size=80))
    block = st.builds(VendorInfo, U32, _length_prefixed(pair, 255, 2))
    return st.lists(block, min_size=1, max_size=4).map(tuple)


def _suboptions_length(value: Options) -> int:
    total = 0
    for _, data in value.raw_items():
        chunks = max(1, -(-len(data) // 255))
        total += 2 * chunks + len(data)
    return total


@_builds(SubOptionsCodec)
def _suboptions(codec: SubOptionsCodec) -> SearchStrategy[Options]:
    return options_strategy(codec.space, min_size=1, max_size=4, exclude=()).filter(
        lambda o: _suboptions_length(o) >= codec.min_len)


@_builds(AuthenticationCodec)
def _authentication(codec: AuthenticationCodec) -> SearchStrategy[Authentication]:
    return st.builds(Authentication, U8, U8, U8, _uint(8), st.binary(max_size=64))


@_builds(RelayAuthenticationCodec)
def _relay_authentication(codec: RelayAuthenticationCodec) -> SearchStrategy[RelayAuthentication]:
    # RFC 4030 s4: RDM is the low 4 bits of its octet (the high 4 are MBZ)
    return st.builds(RelayAuthentication, U8, st.integers(0, 15), _uint(8), U32,
                     st.binary(min_size=max(0, codec.min_len - 14), max_size=64),
                     st.one_of(st.just(0), st.integers(0, 15)))


@_builds(RadiusAttributesCodec)
def _radius_attributes(codec: RadiusAttributesCodec) -> SearchStrategy[tuple[Any, ...]]:
    # RFC 2865 s5: type, length (counting the 2 header octets, so <= 253 of value), value
    attribute = st.tuples(U8, st.one_of(st.binary(max_size=40), st.binary(max_size=253)))
    return st.lists(attribute, min_size=max(1, codec.min_len // 2), max_size=4).map(tuple)


@_builds(SipServersCodec)
def _sip_servers(codec: SipServersCodec) -> SearchStrategy[SipServers]:
    return st.one_of(
        st.builds(SipServers, domains=domain_lists()),
        st.builds(SipServers, addresses=_address_tuples(1)),
    )


@_builds(ClientNDICodec)
def _client_ndi(codec: ClientNDICodec) -> SearchStrategy[ClientNDI]:
    return st.builds(ClientNDI, U8, U8, U8)


@_builds(MachineIdCodec)
def _machine_id(codec: MachineIdCodec) -> SearchStrategy[MachineIdentifier]:
    return st.builds(MachineIdentifier, U8, st.binary(min_size=16, max_size=16))


_STRUCT_INTS = {"B": 1, "H": 2, "I": 4, "L": 4, "Q": 8}


def _struct_fields(fmt: str) -> list[SearchStrategy[Any]]:
    """One strategy per value of a struct format (no byte order character)."""
    tokens = re.findall(r"(\d*)(\D)", fmt)
    if "".join(n + c for n, c in tokens) != fmt:
        raise TypeError(f"cannot read the struct format {fmt!r}")
    fields: list[SearchStrategy[Any]] = []
    for count, char in tokens:
        n = int(count) if count else 1
        if char == "s":
            # the codec reads a 4-octet string as an IPv4 address
            fields.append(addresses() if n == 4 else st.binary(min_size=n, max_size=n))
        elif char == "x":
            continue
        elif char == "?":
            fields += [st.booleans()] * n
        elif char.upper() in _STRUCT_INTS:
            bits = 8 * _STRUCT_INTS[char.upper()]
            field = (st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if char.islower()
                     else _uint(bits // 8))
            fields += [field] * n
        else:
            raise TypeError(f"no value strategy for struct format character {char!r} in {fmt!r}")
    return fields


@_builds(StructCodec)
def _struct(codec: StructCodec) -> SearchStrategy[tuple[Any, ...]]:
    fields = _struct_fields(codec.fmt)
    assert struct.calcsize("!" + codec.fmt) == codec.min_len
    return st.tuples(*fields)


@_builds(TaggedCodec)
def _tagged(codec: TaggedCodec) -> SearchStrategy[tuple[int, Any]]:
    # A tag, then a value of the inner format (which may be empty when the
    # inner format allows zero octets: a lone tag decodes as (tag, "")).
    return st.tuples(U8, value_strategy(codec.inner))


@_builds(ListOfCodec)
def _list_of(codec: ListOfCodec) -> SearchStrategy[tuple[Any, ...]]:
    limit = 1 << (8 * codec.prefix)
    item = value_strategy(codec.inner).filter(lambda v: len(codec.inner.encode(v)) < limit)
    return st.lists(item, min_size=1, max_size=5).map(tuple)


@_builds(SixRdCodec)
def _six_rd(codec: SixRdCodec) -> SearchStrategy[SixRd]:
    min_relays = max(1, (codec.min_len - 18) // 4)
    return st.builds(SixRd, U8, U8, st.builds(IPv6Address, st.integers(0, 2**128 - 1)),
                     _address_tuples(min_relays, min_relays + 8))


# -- long values and raw bytes ------------------------------------------------------

def _join_tuples(values: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(chain.from_iterable(values))


def _join_user_classes(values: list[UserClass]) -> UserClass:
    return UserClass(tuple(chain.from_iterable(v.classes for v in values if v.framed)))


def _join_text(values: list[str]) -> str:
    # joined as bytes: escaped octets of two values may form one UTF-8 character
    joined = b"".join(v.encode("utf-8", "surrogateescape") for v in values)
    return joined.rstrip(b"\0").decode("utf-8", "surrogateescape")


#: Codec class -> how several canonical values make one longer canonical value.
_JOINERS: dict[type[Codec[Any]], Callable[[list[Any]], Any]] = {
    cls: _join_tuples for cls in (
        IntListCodec, IPv4ListCodec, AddressPairs, ClasslessRoutesCodec, DomainListCodec,
        VendorClassCodec, VendorInfoCodec, RadiusAttributesCodec, ListOfCodec)
}
_JOINERS[BytesCodec] = b"".join
_JOINERS[TextCodec] = _join_text
_JOINERS[UserClassCodec] = _join_user_classes


@st.composite
def _long_values(draw: st.DrawFn, codec: Codec[Any], part: SearchStrategy[Any],
                 join: Callable[[list[Any]], Any]) -> Any:
    values = [draw(part)]
    while len(codec.encode(join(values))) <= 255:
        if len(values) > 300:
            reject()  # e.g. only unframed user classes, which do not join
        values.append(draw(part))
    return join(values)


def _long_suboptions(codec: SubOptionsCodec) -> SearchStrategy[Options] | None:
    # one sub-option over 255 octets (so it is split too), with a few others
    space = codec.space
    longs = []
    for spec in space:
        value = long_value_strategy(spec.codec)
        if value is not None:
            longs.append(st.tuples(st.just(spec.code), value))
    unknown = unknown_codes(space)
    if unknown:
        longs.append(st.tuples(st.sampled_from(unknown), st.binary(min_size=256, max_size=600)))
    if not longs:
        return None

    def build(pair: tuple[tuple[int, Any], Options]) -> Options:
        (code, value), others = pair
        return Options([(code, value), *((c, others[c]) for c in others if c != code)],
                       registry=space)
    return st.tuples(st.one_of(longs), value_strategy(codec)).map(build)


@cache
def long_value_strategy(codec: Codec[Any]) -> SearchStrategy[Any] | None:
    """Canonical values of ``codec`` that encode to more than 255 octets (so an
    option, or sub-option, of them is split in two or more instances, RFC 3396),
    or ``None`` when the format cannot be that long or values do not join."""
    if not codec.concatenates or (codec.max_len is not None and codec.max_len <= 255):
        return None
    if type(codec) is SubOptionsCodec:
        return _long_suboptions(codec)
    join = _JOINERS.get(type(codec))
    return None if join is None else _long_values(codec, _non_empty_encoding(codec), join)


@st.composite
def mutated(draw: st.DrawFn, data: SearchStrategy[bytes], *, max_changes: int = 3,
            low: int = 0) -> bytes:
    """``data`` with a few octets changed, flipped, zeroed, inserted or removed, or
    cut short (at offsets from ``low`` on, mostly)."""
    out = bytearray(draw(data))
    for _ in range(draw(st.integers(1, max_changes))):
        at = draw(st.integers(min(draw(st.sampled_from([0, low, low])), len(out)), len(out)))
        op = draw(st.integers(0, 5))
        if op == 0 and at < len(out):
            out[at] = draw(st.sampled_from([0, 1, 0x3F, 0x40, 0xC0, 0xFF])) if draw(
                st.booleans()) else draw(st.integers(0, 255))
        elif op == 1 and at < len(out):
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == 2:
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == 3:
            del out[at:at + draw(st.integers(1, 8))]
        elif op == 4:
            del out[at:]
        else:
            n = len(out[at:at + draw(st.integers(1, 8))])
            out[at:at + n] = bytes(n)
    return bytes(out)


def _sized_binary(codec: Codec[Any]) -> SearchStrategy[bytes]:
    # lengths around the codec's length rule, mostly zeros and small values
    lo = codec.min_len
    hi = codec.max_len if codec.max_len is not None else lo + 24
    size = st.one_of(st.just(lo), st.integers(max(0, lo - 2), min(255, hi + 2)))
    octet = st.one_of(st.just(0), st.integers(0, 7), st.integers(0, 255))
    return size.flatmap(lambda n: st.lists(octet, min_size=n, max_size=n).map(bytes))


def _suboption_bytes(space: Registry) -> SearchStrategy[bytes]:
    """Sub-options of ``space`` (from a small pool of codes, so they repeat), each
    of raw value bytes."""
    codes = [spec.code for spec in space]
    code = st.one_of(st.sampled_from(codes), st.integers(0, 255)) if codes else st.integers(
        0, 255)

    def subs(pool: list[int]) -> SearchStrategy[list[tuple[int, bytes]]]:
        sub = st.sampled_from(pool).flatmap(lambda c: st.tuples(st.just(c), (
            raw_value_strategy(space[c].codec) if c in space else st.binary(max_size=20))))
        return st.lists(sub, min_size=1, max_size=4)
    return st.lists(code, min_size=1, max_size=3).flatmap(subs).map(
        lambda pairs: b"".join(bytes((c, len(v[:255]))) + v[:255] for c, v in pairs))


@cache
def raw_value_strategy(codec: Codec[Any]) -> SearchStrategy[bytes]:
    """Value bytes for ``codec``: valid encodings, damaged encodings, and bytes of
    lengths around its length rule (sub-option spaces: sub-options of such bytes)."""
    valid = st.deferred(lambda: value_strategy(codec)).map(codec.encode)
    sources = [valid, mutated(valid), mutated(valid), _sized_binary(codec)]
    if isinstance(codec, SubOptionsCodec):
        sources += [_suboption_bytes(codec.space)] * 2
    return st.one_of(sources)


# -- options and messages -------------------------------------------------------

def unknown_codes(registry: Registry, exclude: Collection[int] = ()) -> list[int]:
    """Codes the registry does not define and does not reserve (so: raw bytes)."""
    return [c for c in range(256)
            if c not in registry and c not in registry.reserved and c not in exclude]


def option_strategy(registry: Registry = DEFAULT_REGISTRY, *, exclude: Collection[int] = (),
                    structured_weight: int = 1) -> SearchStrategy[tuple[int, Any]]:
    """(code, typed value) for every code of ``registry`` (but ``exclude``); codes
    whose format has structure (``codec.structured``) come ``structured_weight``
    times as often, since most of what can go wrong is there."""
    pairs = []
    for spec in registry:
        if spec.code not in exclude:
            pair = st.tuples(st.just(spec.code), value_strategy(spec.codec))
            pairs += [pair] * (structured_weight if spec.codec.structured else 1)
    return st.one_of(pairs) if pairs else st.nothing()


def _default_exclude(registry: Registry) -> frozenset[int]:
    # in the DHCP space the encoder writes option 52 itself (RFC 2132 s9.3)
    return frozenset({OPTION_OVERLOAD}) if registry.space == DEFAULT_REGISTRY.space else frozenset()


def options_strategy(registry: Registry = DEFAULT_REGISTRY, *, min_size: int = 0,
                     max_size: int = 5, exclude: Collection[int] | None = None,
                     extra: SearchStrategy[tuple[int, Any]] | None = None,
                     ) -> SearchStrategy[Options]:
    """:class:`Options` of a few options of ``registry`` with random values,
    and now and then a code the registry does not know, with raw bytes.

    ``exclude`` defaults to option 52 in the DHCP space (the encoder manages
    it); ``extra`` adds another source of (code, value) pairs.
    """
    skip = _default_exclude(registry) if exclude is None else frozenset(exclude)
    sources = [option_strategy(registry, exclude=skip, structured_weight=4)] * 3
    unknown = unknown_codes(registry, skip)
    if unknown:
        sources.append(st.tuples(st.sampled_from(unknown), st.binary(max_size=64)))
    if extra is not None:
        sources.append(extra)
    return st.lists(st.one_of(sources), min_size=min_size, max_size=max_size,
                    unique_by=lambda pair: pair[0]).map(
        lambda items: Options(items, registry=registry))


def message_strategy(options: SearchStrategy[Options] | None = None, *,
                     bootp: bool = False) -> SearchStrategy[Message]:
    """DHCP messages with random header fields (RFC 2131 figure 1) and options.

    With ``bootp`` the messages are instead BOOTP messages without the magic
    cookie: a 'vend' area of at least 64 octets that does not start with it.
    """
    sname = st.one_of(st.just(b""), st.binary(max_size=63))
    file = st.one_of(st.just(b""), st.binary(max_size=127).map(lambda b: b.replace(b"\0", b"")))
    if bootp:
        body: dict[str, SearchStrategy[Any]] = {
            "vend": st.binary(min_size=64, max_size=100).filter(lambda v: v[:4] != MAGIC_COOKIE)}
    else:
        body = {"options": options_strategy() if options is None else options}
    return st.builds(
        Message,
        op=st.sampled_from([1, 2]),
        htype=st.one_of(st.just(1), U8),
        hlen=st.integers(0, 16),
        hops=U8,
        xid=U32,
        secs=U16,
        flags=st.one_of(st.sampled_from([0, 0x8000]), U16),
        ciaddr=addresses(),
        yiaddr=addresses(),
        siaddr=addresses(),
        giaddr=addresses(),
        chaddr=st.binary(min_size=16, max_size=16),
        sname=sname,
        file=file,
        **body,
    )
