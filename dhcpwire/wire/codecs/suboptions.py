"""The codec of encapsulated sub-option spaces (RFC 3046 option 82, RFC 2132 section 8.4)."""

from __future__ import annotations

import struct
from collections.abc import Callable

from ..errors import BadOptionValue
from ..mapping import NO_TYPED, OptionMap, parse_suboptions
from ..reader import MAX_PORTION, collect_suboptions, locate, tlv
from ..registry import Codec, Malformed, Registry, trusted
from .basic import raise_length

__all__ = [
    "SubOptionsCodec",
]

_CODE_LENGTH = struct.Struct("BB").pack


class SubOptionsCodec(Codec[OptionMap]):
    """Encapsulated sub-options of a named space (RFC 3046 option 82, RFC 2132
    section 8.4 for 43): the value is an
    :class:`~dhcpwire.wire.mapping.OptionMap` over that space."""

    min_len: int = 2
    structured = True
    type_name = "OptionMap"

    def __init__(self, space: Registry, *, min_len: int = 2):
        self.space = space
        self.min_len = min_len

    def validate(self, raw: bytes) -> None:
        # RFC 3046 section 2.0: sub-options are code/length/value with no
        # PAD or END; known sub-options are checked against their format,
        # repeated ones after concatenation, as parse_suboptions reads them.
        # The space's length table says which need a closer look (nonzero).
        space = self.space
        table = space.length_table()
        values, spans = collect_suboptions(raw)
        for code, value in values.items():
            size = len(value)
            if size < 256 and not table[code][size]:
                continue
            spec = space.get(code)
            if spec is None:
                continue
            check = space.checker(code)
            try:
                raise_length(spec.codec, size)
                if check is not None:
                    check(value)
            except Malformed as exc:
                raise Malformed(f"sub-option {code}: {exc.message}",
                                locate(spans[code], exc.at), exc.kind) from None
            except Exception as exc:
                raise Malformed(f"sub-option {code}: its codec raised {type(exc).__name__}: "
                                f"{exc}", spans[code][0][0], BadOptionValue) from exc

    def decode(self, raw: bytes) -> OptionMap:
        return parse_suboptions(raw, self.space)

    def scanner(self) -> Callable[[bytes], bool]:
        # validate()'s walk for the common value: every sub-option once, each
        # length right by the space's table and each structure by its
        # scanner; anything else (a repeat, a codec from outside the package)
        # is left to validate() on the careful path. The walk costs ~45 ns a
        # step on CPython 3.11, so each step does the least: a repeat shows
        # at the end as fewer bits in ``seen`` than sub-options counted, an
        # overrun as a walk that does not end at the end (or an IndexError,
        # which the decoder takes as "not sure"); a scanner given a cut-short
        # value by an overrun only wastes its answer.
        rows = self.space.scan_table()

        def scan(raw: bytes) -> bool:
            seen = count = i = 0
            n = len(raw)
            while i < n:
                code = raw[i]
                size = raw[i + 1]
                check = rows[code][size]
                if check and check(raw[i + 2:i + 2 + size]) is not True:  # type: ignore[operator]
                    return False
                seen |= 1 << code
                count += 1
                i += 2 + size
            return i == n and seen.bit_count() == count
        return scan

    def value_decoder(self) -> Callable[[bytes], OptionMap]:
        # validated bytes: the sub-options are typed when read, as the
        # options are; a space with a codec from outside the package
        # decodes at once (see registry: such codecs are not trusted)
        space = self.space
        if not all(trusted(spec.codec) for spec in space):
            return self.decode
        decode = self.decode

        def parse_validated(raw: bytes) -> OptionMap:
            values: dict[int, bytes] = {}
            i, n = 0, len(raw)
            while i < n:
                code = raw[i]
                if code in values:  # repeats concatenate: the general parse
                    return decode(raw)
                stop = i + 2 + raw[i + 1]
                values[code] = raw[i + 2:stop]
                i = stop
            return OptionMap._make(values, NO_TYPED, space, None)
        return parse_validated

    def encode(self, value: OptionMap) -> bytes:
        if not isinstance(value, OptionMap):
            value = OptionMap(value, registry=self.space)
        # RFC 3396 section 6, applied to sub-options as to options: a value
        # over 255 octets goes out as consecutive 255-octet portions.
        out = []
        for code, data in value.raw_items():
            if len(data) > MAX_PORTION:
                out.append(tlv(code, data))
            else:
                out.append(_CODE_LENGTH(code, len(data)))
                out.append(data)
        return b"".join(out)

    def __repr__(self) -> str:
        return f"SubOptionsCodec({self.space.space!r})"
