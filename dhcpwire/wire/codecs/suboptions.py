"""The codec of encapsulated sub-option spaces (RFC 3046 option 82, RFC 2132 section 8.4)."""

from __future__ import annotations

from ..errors import TruncatedOption
from ..mapping import OptionMap, parse_suboptions
from ..registry import Codec, Malformed, Registry
from .common import raise_length

__all__ = [
    "SubOptionsCodec",
]


def _first_suboption(raw: bytes, code: int) -> int:
    """Offset of the first sub-option ``code`` in ``raw`` (error path only)."""
    i = 0
    while raw[i] != code:
        i += 2 + raw[i + 1]
    return i


class SubOptionsCodec(Codec[OptionMap]):
    """Encapsulated sub-options of a named space (RFC 3046 option 82, RFC 2132
    section 8.4 for 43): the value is an
    :class:`~dhcpwire.wire.mapping.OptionMap` over that space."""

    min_len = 2
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
        table = space._lengths or space.length_table()
        values: dict[int, bytes] = {}
        i, n = 0, len(raw)
        while i < n:
            if i + 2 > n:
                raise Malformed("sub-option header runs past the end", i, TruncatedOption)
            code = raw[i]
            j = i + 2 + raw[i + 1]
            if j > n:
                raise Malformed(f"sub-option {code} runs past the end", i, TruncatedOption)
            if code in values:
                values[code] += raw[i + 2:j]
            else:
                values[code] = raw[i + 2:j]
            i = j
        for code, value in values.items():
            size = len(value)
            if size < 256 and not table[code][size]:
                continue
            spec = space.get(code)
            if spec is None:
                continue
            try:
                raise_length(spec.codec, size)
                if spec.codec.structured:
                    spec.codec.validate(value)
            except Malformed as exc:
                raise Malformed(f"sub-option {code}: {exc.message}",
                                _first_suboption(raw, code) + 2 + exc.at, exc.kind) from None

    def decode(self, raw: bytes) -> OptionMap:
        return parse_suboptions(raw, self.space)

    def encode(self, value: OptionMap) -> bytes:
        if not isinstance(value, OptionMap):
            value = OptionMap(value, registry=self.space)
        out = []
        for code, data in value.raw_items():
            if not data:
                out.append(bytes((code, 0)))
            for k in range(0, len(data), 255):
                chunk = data[k:k + 255]
                out.append(bytes((code, len(chunk))) + chunk)
        return b"".join(out)

    def __repr__(self) -> str:
        return f"SubOptionsCodec({self.space.space!r})"



