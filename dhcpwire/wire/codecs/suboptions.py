"""The codec of encapsulated sub-option spaces (RFC 3046 option 82, RFC 2132 section 8.4)."""

from __future__ import annotations

from ..errors import BadOptionValue
from ..mapping import OptionMap, parse_suboptions
from ..reader import collect_suboptions, locate, tlv
from ..registry import Codec, Malformed, Registry
from .common import raise_length

__all__ = [
    "SubOptionsCodec",
]


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

    def encode(self, value: OptionMap) -> bytes:
        if not isinstance(value, OptionMap):
            value = OptionMap(value, registry=self.space)
        # RFC 3396 section 6, applied to sub-options as to options: a value
        # over 255 octets goes out as consecutive 255-octet portions.
        return b"".join([tlv(code, data) for code, data in value.raw_items()])

    def __repr__(self) -> str:
        return f"SubOptionsCodec({self.space.space!r})"
