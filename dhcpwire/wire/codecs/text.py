"""Text and opaque codecs, and the two wrappers: a tagged value and a length-prefixed list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from ..errors import BadOptionLength
from ..registry import Codec, Malformed
from .common import as_tuple

__all__ = [
    "TEXT",
    "BytesCodec",
    "ListOfCodec",
    "TaggedCodec",
    "TextCodec",
]


class TextCodec(Codec[str]):
    """NVT ASCII text (RFC 2132 section 2).

    "Options containing NVT ASCII data SHOULD NOT include a trailing NULL;
    however, the receiver of such options MUST be prepared to delete trailing
    nulls if they exist." Decoding drops trailing NULs (the value bytes keep
    them, so the packet still re-encodes exactly). Bytes that are not UTF-8
    decode with ``surrogateescape`` and encode back unchanged.
    """

    type_name = "str"

    def __init__(self, min_len: int = 1):
        self.min_len = min_len

    def decode(self, raw: bytes) -> str:
        if raw[-1:] == b"\0":
            # only trailing NULs go: a value of nothing but NULs stays as it
            # is, since an empty text option cannot be written back
            raw = raw.rstrip(b"\0") or raw
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "surrogateescape")

    def encode(self, value: str) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"expected a str, got {type(value).__name__}")
        return value.encode("utf-8", "surrogateescape")

    def value_encoder(self) -> Callable[[Any], bytes]:
        minimum, check = self.min_len, self.check_length

        def encode_text(value: Any) -> bytes:
            if not isinstance(value, str):
                raise TypeError(f"expected a str, got {type(value).__name__}")
            raw = value.encode("utf-8", "surrogateescape")
            if len(raw) < minimum:
                raise ValueError(check(len(raw)))
            return raw
        return encode_text




class BytesCodec(Codec[bytes]):
    """Opaque octets (e.g. option 43 by default, 60 is text but often binary)."""

    type_name = "bytes"

    def __init__(self, min_len: int = 1, max_len: int | None = None):
        self.min_len = min_len
        self.max_len = max_len
        self.concatenates = max_len is None or max_len != min_len

    def decode(self, raw: bytes) -> bytes:
        return raw

    def encode(self, value: bytes) -> bytes:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"expected bytes, got {type(value).__name__}")
        return bytes(value)

    def value_decoder(self) -> Callable[[bytes], bytes]:
        return bytes  # the value bytes themselves (bytes(b) is b)

    def value_encoder(self) -> Callable[[Any], bytes]:
        low, high, check = self.min_len, self.max_len, self.check_length
        top = 1 << 62 if high is None else high

        def encode_bytes(value: Any) -> bytes:
            raw: bytes = value
            if type(value) is not bytes:
                if not isinstance(value, (bytes, bytearray, memoryview)):
                    raise TypeError(f"expected bytes, got {type(value).__name__}")
                raw = bytes(value)
            if not low <= len(raw) <= top:
                raise ValueError(check(len(raw)))
            return raw
        return encode_bytes

    def __repr__(self) -> str:
        return f"BytesCodec(min_len={self.min_len}, max_len={self.max_len})"




class TaggedCodec(Codec[tuple[int, Any]]):
    """A one-octet tag then a value of another codec (e.g. status code 151, RFC 4388)."""

    type_name = "tuple[int, Any]"

    #: the inner value's own length rule is not expressible as the outer
    #: one's, so a strict decoder always validates
    structured = True

    def __init__(self, inner: Codec[Any]):
        self.inner = inner
        self.min_len = 1 + inner.min_len
        self.type_name = f"tuple[int, {inner.type_name}]"

    def validate(self, raw: bytes) -> None:
        inner = raw[1:]
        why = self.inner.check_length(len(inner))
        if why is not None:
            raise Malformed(why, 1, BadOptionLength)
        try:
            self.inner.validate(inner)
        except Malformed as exc:
            raise Malformed(exc.message, exc.at + 1, exc.kind) from None

    def decode(self, raw: bytes) -> tuple[int, Any]:
        try:
            return (raw[0], self.inner.decode_checked(raw[1:]))
        except Malformed as exc:
            raise Malformed(exc.message, exc.at + 1, exc.kind) from None

    def encode(self, value: tuple[int, Any]) -> bytes:
        tag, inner = value
        data = self.inner.encode(inner)
        why = self.inner.check_length(len(data))
        if why is not None:
            raise ValueError(why)
        return bytes((tag,)) + data

    def __repr__(self) -> str:
        return f"TaggedCodec({self.inner!r})"




class ListOfCodec(Codec[tuple[Any, ...]]):
    """Length-prefixed items of another codec: 1-octet (e.g. option 158, RFC 7291)
    or 2-octet lengths (option 143, RFC 8572)."""

    min_len = 1
    structured = True
    type_name = "tuple"

    def __init__(self, inner: Codec[Any], prefix: int = 1):
        self.inner = inner
        self.prefix = prefix
        self.type_name = f"tuple[{inner.type_name}, ...]"

    def decode(self, raw: bytes) -> tuple[Any, ...]:
        out = []
        i, n, p = 0, len(raw), self.prefix
        while i < n:
            if i + p > n:
                raise Malformed("item length runs past the end", i, BadOptionLength)
            length = int.from_bytes(raw[i:i + p], "big")
            if i + p + length > n:
                raise Malformed("item runs past the end", i, BadOptionLength)
            try:
                out.append(self.inner.decode_checked(raw[i + p:i + p + length]))
            except Malformed as exc:
                raise Malformed(exc.message, i + p + exc.at, exc.kind) from None
            i += p + length
        return tuple(out)

    def encode(self, value: tuple[Any, ...]) -> bytes:
        out = []
        for item in as_tuple(value, "items"):
            data = self.inner.encode(item)
            why = self.inner.check_length(len(data))
            if why is not None:
                raise ValueError(f"item {item!r}: {why}")
            if len(data) >= 1 << (8 * self.prefix):
                raise ValueError(f"item {item!r} is too long for a {self.prefix}-octet length")
            out.append(len(data).to_bytes(self.prefix, "big") + data)
        return b"".join(out)

    def __repr__(self) -> str:
        return f"ListOfCodec({self.inner!r}, prefix={self.prefix})"



#: The shared instance for the table.
TEXT: Final = TextCodec()
