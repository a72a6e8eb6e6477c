"""Domain-name codecs (RFC 1035 section 3.1 names, section 4.1.4 compression):
lists, single names, option 81, option 120."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from ..errors import BadCompressionPointer, BadOptionLength, TruncatedOption
from ..registry import Codec, Malformed
from .basic import IPV4_LIST, ValueCache, as_tuple, lazy_values

if TYPE_CHECKING:
    from .. import values as _v
else:
    _v = lazy_values(globals())


__all__ = [
    "ClientFQDNCodec",
    "DomainListCodec",
    "DomainNameCodec",
    "SipServersCodec",
]


_OCTETS: Final = tuple(bytes((v,)) for v in range(256))

#: Resolved jump targets of one buffer: offset -> (labels, wire length of the
#: name from there, root label included). Labels are presentation text, or
#: ``None`` entries when only validating.
_Memo = dict[int, tuple[tuple[str | None, ...], int]]


def _read_name(data: bytes, start: int, *, compressed: bool,
               memo: _Memo | None = None) -> tuple[str, int, bool]:
    """Read one DNS name (RFC 1035 section 3.1) at ``start``.

    Returns the name (labels joined by ``.``, with a trailing ``.`` when it
    ends with the root label), the offset just after it, and whether it was
    terminated by the root label (only uncompressed partial names, RFC 4702
    section 2.3.1, end without it, at the end of the data).

    RFC 1035 section 4.1.4: "a pointer to a prior occurrence of the same
    name". Pointers must point strictly before the label that holds them, so
    following them always moves backwards: no loops. ``memo`` (shared by
    the names of one value) resolves each pointer target once, so a value's
    names cost time linear in its length whatever chains of pointers it holds.
    """
    labels, end, terminated = _walk_name(data, start, compressed, True, memo)
    name = ".".join(labels)  # type: ignore[arg-type]  # text labels when asked for
    return (name + "." if terminated else name), end, terminated


def _skip_name(data: bytes, start: int, *, compressed: bool, memo: _Memo | None = None) -> int:
    """Validate one name at ``start`` like :func:`_read_name`, building no
    strings; return the offset just after it."""
    return _walk_name(data, start, compressed, False, memo)[1]


def _run(data: bytes, i: int, floor: int, compressed: bool, text: bool, partial: bool,
         ) -> tuple[list[str | None], int, int, int]:
    """The labels from ``i`` up to the root label or a pointer: (labels, their
    wire length, the offset after the run, the pointer's target or -1 for
    none). A pointer must point before ``floor``; with ``partial`` a run may
    end at the end of the data (an uncompressed partial name)."""
    labels: list[str | None] = []
    total = 0
    n = len(data)
    start = i
    while True:
        if i >= n:
            if partial and i > start:
                return labels, total, i, -2  # -2: a partial name, no root label
            raise Malformed("domain name runs past the end", i, TruncatedOption)
        length = data[i]
        if length == 0:
            return labels, total, i + 1, -1
        if length >= 0xC0:
            if not compressed:
                raise Malformed("compression pointer where compression is not allowed",
                                i, BadCompressionPointer)
            if i + 1 >= n:
                raise Malformed("compression pointer runs past the end", i, TruncatedOption)
            target = ((length & 0x3F) << 8) | data[i + 1]
            if target >= floor:
                raise Malformed(f"compression pointer to {target} does not point backwards",
                                i, BadCompressionPointer)
            return labels, total, i + 2, target
        if length >= 0x40:
            raise Malformed(f"label type 0x{length & 0xC0:02x} is not defined", i)
        if i + 1 + length > n:
            raise Malformed("label runs past the end", i, TruncatedOption)
        total += length + 1
        if total > 255:
            raise Malformed("domain name longer than 255 octets", i)
        if text:
            label = data[i + 1:i + 1 + length].decode("ascii", "surrogateescape")
            if "." in label or "\\" in label:
                label = label.replace("\\", "\\\\").replace(".", "\\.")
            labels.append(label)
        else:
            labels.append(None)
        i += 1 + length


def _walk_name(data: bytes, start: int, compressed: bool, text: bool, memo: _Memo | None,
               ) -> tuple[tuple[str | None, ...], int, bool]:
    """The one walk behind :func:`_read_name` and :func:`_skip_name`: the
    labels, the offset after the name and whether the root label ended it."""
    labels, total, end, target = _run(data, start, start, compressed, text, not compressed)
    if target < 0:
        return tuple(labels), end, target == -1
    suffix, size = _resolve(data, target, compressed, text, {} if memo is None else memo)
    if total + size > 255:
        raise Malformed("domain name longer than 255 octets", start)
    return tuple(labels) + suffix, end, True


def _resolve(data: bytes, target: int, compressed: bool, text: bool, memo: _Memo,
             ) -> tuple[tuple[str | None, ...], int]:
    """The name at a pointer's ``target`` (labels, wire length), each target
    of the buffer walked once: a loop, not recursion, however long the chain."""
    pending: list[tuple[int, list[str | None], int]] = []
    hit = memo.get(target)
    while hit is None:
        # after a jump, the next pointer must point before this target
        labels, total, _, nxt = _run(data, target, target, compressed, text, False)
        if nxt < 0:
            hit = memo[target] = (tuple(labels), total + 1)
            break
        pending.append((target, labels, total))
        target = nxt
        hit = memo.get(target)
    for at, labels, total in reversed(pending):
        size = total + hit[1]
        if size > 255:
            raise Malformed("domain name longer than 255 octets", at)
        hit = memo[at] = (tuple(labels) + hit[0], size)
    return hit


def _name_end(data: bytes, i: int, partial: bool) -> int:
    """The scanners' walk of one uncompressed name at ``i``: the offset just
    after it, or -1 where :func:`_skip_name` would raise (or might: any
    doubt is -1). With ``partial``, a name may end at the end of the data
    without the root label (RFC 4702 section 2.3.1). The labels' wire
    length is ``i - start``: at most 255 octets, as :func:`_run` counts."""
    start, n = i, len(data)
    while i < n:
        length = data[i]
        if not length:
            return i + 1 if i - start <= 255 else -1
        if length >= 0x40:  # a pointer, or a label type RFC 1035 does not define
            return -1
        i += length + 1
    if i > n or i - start > 255 or not partial or i == start:
        return -1
    return i


def _names_valid(data: bytes) -> bool:
    """The scanners' walk of a list of compressed names (RFC 1035 section
    4.1.4): True only where :func:`_skip_name` accepts every name. A pointer
    is taken only to the start of a label of an earlier name, whose suffix
    from there is already known to be valid (and how long it is); any other
    pointer is a doubt, left to the careful walk.

    Each name's labels start at s1 < ... < sk and the name ends at E (after
    its root label, or at its pointer plus the length of the name pointed
    to): the suffix from sj is E - sj octets, at most 255 for s1 (RFC 1035
    section 2.3.4). Running off the end is an IndexError, taken as False.
    """
    known: dict[int, int] = {}  # label start -> wire length of the name from there
    i, n = 0, len(data)
    try:
        while i < n:
            first = i
            starts = []
            while True:
                length = data[i]
                if not length:
                    i += 1
                    end = i
                    break
                if length >= 0x40:
                    if length < 0xC0:
                        return False
                    hit = known.get(((length & 0x3F) << 8) | data[i + 1])
                    if hit is None:
                        return False
                    end = i + hit
                    i += 2
                    break
                starts.append(i)
                i += length + 1
            if end - first > 255:
                return False
            for at in starts:
                known[at] = end - at
    except IndexError:
        return False
    return i == n


def _split_name(name: str) -> list[bytes]:
    """Labels of a presentation-form name (``\\.`` escapes a dot inside a label)."""
    if not isinstance(name, str):
        raise TypeError(f"expected a domain name str, got {type(name).__name__}")
    if "\\" not in name:
        parts = name.split(".")
    else:
        parts, cur, it = [], [], iter(name)
        for ch in it:
            if ch == "\\":
                cur.append(next(it, ""))
            elif ch == ".":
                parts.append("".join(cur))
                cur = []
            else:
                cur.append(ch)
        parts.append("".join(cur))
    labels = [p.encode("ascii", "surrogateescape") for p in parts]
    for label in labels:
        if len(label) > 63:
            raise ValueError(f"label {label[:20]!r}... is longer than 63 octets")
    return labels


def _wire_name(name: str, head: bytes = b"") -> bytes:
    """One name without escapes, ending in ``"."`` (not the root), in wire form
    after ``head``: each label after its length octet, then the root label (0).

    One join of the pieces (half the time of concatenating each label to its
    length first and then joining: the name of option 81 is written for
    every reply that carries one).
    """
    text = name.encode("ascii", "surrogateescape")
    labels = text.split(b".")
    labels.pop()  # the empty label after the final dot
    parts = [head]
    for label in labels:
        size = len(label)
        if not 0 < size < 64:
            if size:
                raise ValueError(f"label {label[:20]!r}... is longer than 63 octets")
            raise ValueError(f"empty label in {name!r}")
        parts.append(_OCTETS[size])
        parts.append(label)
    if len(text) + 1 > 255:
        raise ValueError(f"{name[:30]!r}... is longer than 255 octets")
    parts.append(b"\0")
    return b"".join(parts)


def _write_names(names: tuple[str, ...], *, compress: bool) -> bytes:
    """Encode names in wire form, compressing repeated suffixes when asked
    (RFC 1035 section 4.1.4, as RFC 3397 section 2 requires for option 119).
    Each name is in presentation form and ends with ``"."``."""
    for name in names:
        if type(name) is not str or "\\" in name:
            return _write_escaped(names, compress=compress)
    if not compress:
        if len(names) == 1:  # options 15 and 81: one name
            return b"\0" if names[0] == "." else _wire_name(names[0])
        return b"".join([b"\0" if name == "." else _wire_name(name) for name in names])
    out = bytearray()
    seen: dict[bytes, int] = {}
    for name in names:
        if name == ".":  # the root: just the zero-length label
            out.append(0)
            continue
        # no escapes: the labels are what the dots separate, and a suffix of
        # the text (from a label on) stands for its tuple of labels
        text = name.encode("ascii", "surrogateescape")
        labels = text.split(b".")
        labels.pop()  # the empty label after the final dot
        for label in labels:
            if len(label) > 63:
                raise ValueError(f"label {label[:20]!r}... is longer than 63 octets")
        if b"" in labels:
            raise ValueError(f"empty label in {name!r}")
        if len(text) + 1 > 255:
            raise ValueError(f"{name[:30]!r}... is longer than 255 octets")
        at = 0
        for label in labels:
            if compress:
                suffix = text[at:]
                hit = seen.get(suffix)
                if hit is not None:
                    out += (0xC000 | hit).to_bytes(2, "big")
                    break
                if len(out) < 0x4000:
                    seen[suffix] = len(out)
            out.append(len(label))
            out += label
            at += len(label) + 1
        else:
            out.append(0)
    return bytes(out)


def _write_escaped(names: tuple[str, ...], *, compress: bool) -> bytes:
    """:func:`_write_names` for names with ``\\.`` escapes (or not str: the
    error is raised here), where labels must be split one character at a time."""
    out = bytearray()
    seen: dict[tuple[bytes, ...], int] = {}
    for name in names:
        if name == ".":  # the root: just the zero-length label
            out.append(0)
            continue
        labels = _split_name(name)
        fqdn = labels[-1] == b""
        if fqdn:
            labels.pop()
        if not labels and not fqdn:
            raise ValueError("empty domain name")
        if any(not lab for lab in labels):
            raise ValueError(f"empty label in {name!r}")
        if sum(len(lab) + 1 for lab in labels) + 1 > 255:
            raise ValueError(f"{name[:30]!r}... is longer than 255 octets")
        for k in range(len(labels)):
            suffix = tuple(labels[k:])
            if compress and suffix in seen:
                out += (0xC000 | seen[suffix]).to_bytes(2, "big")
                break
            if compress and len(out) < 0x4000:
                seen[suffix] = len(out)
            out.append(len(labels[k]))
            out += labels[k]
        else:
            out.append(0)
    return bytes(out)


class DomainListCodec(Codec[tuple[str, ...]]):
    """A list of DNS names (RFC 3397 option 119; RFC 3361 encoding 0 of 120).

    RFC 3397 section 2: the names "are encoded as specified in RFC 1035
    section 3.1 ... The compression technique from RFC 1035 section 4.1.4 is
    used", with pointers counted "from the beginning of the first instance
    of the option" -- that is, within the concatenated value. Names are
    written without their trailing dot; encoding compresses.
    """

    min_len = 1
    structured = True
    type_name = "tuple[str, ...]"

    def __init__(self, *, compress: bool = True):
        self.compress = compress

    def validate(self, raw: bytes) -> None:
        i = 0
        memo: _Memo = {}
        while i < len(raw):
            i = _skip_name(raw, i, compressed=self.compress, memo=memo)

    def scanner(self) -> Callable[[bytes], bool]:
        if not self.compress:
            return super().scanner()  # type: ignore[return-value]
        # The walk, every time: not "valid because the typed-value cache has
        # it", which made a decode's cost depend on what was read before
        # (and the codec benchmark's decode figure on its typed reads).
        return _names_valid

    def value_decoder(self) -> Callable[[bytes], tuple[str, ...]]:
        # search lists are configuration, the same in every reply: kept once
        return (_NAME_LISTS if self.compress else _PLAIN_NAME_LISTS).__getitem__

    def decode(self, raw: bytes) -> tuple[str, ...]:
        names = []
        i = 0
        memo: _Memo = {}
        while i < len(raw):
            name, i, _ = _read_name(raw, i, compressed=self.compress, memo=memo)
            names.append(name[:-1] if name.endswith(".") and name != "." else name)
        return tuple(names)

    def encode(self, value: tuple[str, ...]) -> bytes:
        names = as_tuple(value, "domain names")
        return _write_names(tuple(n if n.endswith(".") else n + "." for n in names),
                            compress=self.compress)

    def value_encoder(self) -> Callable[[Any], bytes]:
        # search lists are configuration, the same tuple of names in every
        # reply: each distinct one encoded once (a tuple of str hashes cheaply)
        encode = super().value_encoder()
        cache = ValueCache(encode, 1024)
        lookup = cache.__getitem__

        def encode_names(value: Any) -> bytes:
            return lookup(value) if type(value) is tuple else encode(value)
        return encode_names

    def __repr__(self) -> str:
        return f"DomainListCodec(compress={self.compress})"


class DomainNameCodec(Codec[str]):
    """One uncompressed DNS name in wire form (e.g. option 137, RFC 5223)."""

    __slots__ = ()
    min_len = 1
    structured = True
    type_name = "str"

    def decode(self, raw: bytes) -> str:
        name, end, terminated = _read_name(raw, 0, compressed=False)
        if not terminated:
            # RFC 1035 section 3.1: "each domain name is terminated by a
            # length byte of zero" (only option 81 allows partial names)
            raise Malformed("domain name does not end with the root label", end,
                            TruncatedOption)
        if end != len(raw):
            raise Malformed("bytes after the domain name", end)
        return name[:-1] if name != "." else name

    def encode(self, value: str) -> bytes:
        return _write_names((value if value.endswith(".") else value + ".",), compress=False)

    def scanner(self) -> Callable[[bytes], bool]:
        def one_name(raw: bytes) -> bool:
            return _name_end(raw, 0, False) == len(raw)
        return one_name


class ClientFQDNCodec(Codec["_v.ClientFQDN"]):
    """Option 81 (RFC 4702 section 2): flags, RCODE1, RCODE2, domain name.

    Section 2.3.1: with the E bit set the name "MUST be encoded in the
    canonical wire format ... without compression"; without it, the
    deprecated ASCII encoding that real devices still send.
    """

    __slots__ = ()
    min_len = 3
    structured = True
    type_name = "ClientFQDN"

    def validate(self, raw: bytes) -> None:
        if raw[0] & 0x04 and len(raw) > 3 and _skip_name(raw, 3, compressed=False) != len(raw):
            raise Malformed("bytes after the domain name", 3)

    def value_decoder(self) -> Callable[[bytes], _v.ClientFQDN]:
        # decode() for validated bytes: a wire-format name is its labels up to
        # the root label (or the end: a partial name), no pointer among them
        def decode_fqdn(raw: bytes) -> _v.ClientFQDN:
            flags = raw[0]
            if not flags & 0x04:
                name = raw[3:].decode("ascii", "surrogateescape")
            elif len(raw) == 3:
                name = ""
            else:
                labels = []
                i, n = 3, len(raw)
                while i < n and raw[i]:
                    label = raw[i + 1:i + 1 + raw[i]].decode("ascii", "surrogateescape")
                    if "." in label or "\\" in label:
                        label = label.replace("\\", "\\\\").replace(".", "\\.")
                    labels.append(label)
                    i += 1 + raw[i]
                name = ".".join(labels) + ("." if i < n else "")
            return _v.ClientFQDN(flags, raw[1], raw[2], name)
        return decode_fqdn

    def scanner(self) -> Callable[[bytes], bool]:
        def fqdn_valid(raw: bytes) -> bool:
            # validate(): with the E bit, a name in wire format (a partial one
            # ends at the end, without the root label) and nothing after it
            if not raw[0] & 0x04:
                return True
            i, n = 3, len(raw)
            while i < n:
                length = raw[i]
                if not length:
                    return i + 1 == n and i - 3 <= 255
                if length >= 0x40:
                    return False
                i += length + 1
            return i == n and n - 3 <= 255
        return fqdn_valid

    def decode(self, raw: bytes) -> _v.ClientFQDN:
        flags, rc1, rc2 = raw[0], raw[1], raw[2]
        body = raw[3:]
        if flags & 0x04:
            if not body:
                name = ""
            else:
                name, end, _ = _read_name(raw, 3, compressed=False)
                if end != len(raw):
                    raise Malformed("bytes after the domain name", end)
        else:
            name = body.decode("ascii", "surrogateescape")
        return _v.ClientFQDN(flags, rc1, rc2, name)

    def value_encoder(self) -> Callable[[Any], bytes]:
        # encode() always writes the three octets, which is the whole length
        # rule (at least 3): no check after it
        return self.encode

    def encode(self, value: _v.ClientFQDN) -> bytes:
        if not isinstance(value, _v.ClientFQDN):
            raise TypeError(f"expected ClientFQDN, got {type(value).__name__}")
        flags, name = value.flags, value.name
        head = bytes((flags, value.rcode1, value.rcode2))
        if not flags & 0x04:
            return head + name.encode("ascii", "surrogateescape")
        if not name:
            return head
        if type(name) is str and "\\" not in name and name != ".":
            # no escapes (what a server echoes in every reply to a client that
            # sent option 81): the head and the labels in one join
            if name[-1] == ".":
                return _wire_name(name, head)
            return _wire_name(name + ".", head)[:-1]  # a partial name: no root label
        if name.endswith("."):
            return head + _write_names((name,), compress=False)
        # a partial name: the labels without the terminating root label
        return head + _write_names((name + ".",), compress=False)[:-1]



class SipServersCodec(Codec["_v.SipServers"]):
    """Option 120 (RFC 3361 section 3): an encoding octet, then domain names
    (0; compression allowed: "the domain names ... MAY be compressed") or
    IPv4 addresses (1)."""

    __slots__ = ()
    min_len = 2
    structured = True
    type_name = "SipServers"
    _NAMES: Final = DomainListCodec(compress=True)

    def decode(self, raw: bytes) -> _v.SipServers:
        enc = raw[0]
        if enc == 0:
            try:
                return _v.SipServers(domains=self._NAMES.decode(raw[1:]))
            except Malformed as exc:
                raise Malformed(exc.message, exc.at + 1, exc.kind) from None
        if enc == 1:
            if (len(raw) - 1) % 4 or len(raw) == 1:
                raise Malformed("address list length is not a multiple of 4", 1,
                                BadOptionLength)
            return _v.SipServers(addresses=IPV4_LIST.decode(raw[1:]))
        raise Malformed(f"unknown encoding {enc}", 0)

    def scanner(self) -> Callable[[bytes], bool]:
        def sip_valid(raw: bytes) -> bool:
            if raw[0] == 0:
                return _names_valid(raw[1:])
            return raw[0] == 1 and len(raw) % 4 == 1
        return sip_valid

    def encode(self, value: _v.SipServers) -> bytes:
        if not isinstance(value, _v.SipServers):
            raise TypeError(f"expected SipServers, got {type(value).__name__}")
        if bool(value.domains) == bool(value.addresses):
            raise ValueError("give either domains or addresses")
        if value.domains:
            return b"\x00" + self._NAMES.encode(value.domains)
        return b"\x01" + IPV4_LIST.encode(value.addresses)



_NAME_LISTS: Final = ValueCache(DomainListCodec(compress=True).decode, 1024)
_PLAIN_NAME_LISTS: Final = ValueCache(DomainListCodec(compress=False).decode, 1024)
