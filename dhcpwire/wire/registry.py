"""Option specs and registries.

Rules of this module:

* A :class:`Registry` is an immutable value. The package never mutates one at
  import time or later; a user who needs vendor or site-specific options
  derives a new registry (:meth:`Registry.derive`) and passes it to
  :func:`~dhcpwire.decode` / :func:`~dhcpwire.encode`.
* Defining a code or a name twice raises :class:`~dhcpwire.errors.OptionClash`,
  unless the caller says ``replace=True`` for that derivation.
* A :class:`Codec` turns an option's value bytes into a typed value and back.
  ``decode`` reports malformed bytes by raising :class:`Malformed` with an
  offset *relative to the value*; the caller turns that into a
  :class:`~dhcpwire.errors.DecodeError` with the absolute offset and the code.
* The length rule of a codec (``min_len``, ``max_len``, ``multiple``) is
  checked by the decoder before the codec runs. A codec of this package
  that is not ``structured`` guarantees that ``decode`` cannot fail on bytes
  that pass its length rule, so the decoder may convert it lazily, on first
  access. A codec from outside the package (a user's, in a derived
  registry) is not trusted with that promise: the decoder runs its
  ``decode`` at once and keeps the result, so whatever it raises is a
  :class:`~dhcpwire.errors.DecodeError` (strict) or a defect (lenient) of
  ``decode()``, never a surprise when the value is read.
* Other modules read a registry through its methods and its documented
  read-only attributes only. Everything the hot paths need is computed once
  per option spec, not once per value: the decoder's tables
  (:meth:`Registry.length_table`, :meth:`Registry.fast_table`) and, per
  code, the functions :attr:`Registry.scanners` (the fast strict check),
  :attr:`Registry.decoders` (validated bytes to a typed value) and
  :attr:`Registry.encoders` (a typed value to bytes), each made on first
  use of its code and specialised by the codec's parameters.
* A fast function never decides alone what the careful path would decide
  otherwise: a scanner may only say "valid" where the codec's own
  ``validate`` agrees (a property test holds each scanner to it) and sends
  everything else to the careful path, which names the problem.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from .errors import (
    BadOptionLength,
    BadOptionValue,
    DecodeError,
    FrozenRecord,
    OptionClash,
    OptionValueError,
)

__all__ = ["ENCODE_ERRORS", "Codec", "Malformed", "OptionSpec", "Registry", "Scanner", "trusted"]

T = TypeVar("T")

#: What a scanner returns: True (valid, nothing to keep), False (not sure:
#: ask the careful path), or a 1-tuple holding the typed value a codec from
#: outside the package made (the decoder keeps it).
Scanner = Callable[[bytes], "bool | tuple[Any]"]


class Malformed(Exception):
    """Raised by :meth:`Codec.decode`: ``at`` is relative to the value's first byte."""

    def __init__(self, message: str, at: int = 0, kind: type[DecodeError] = BadOptionValue):
        super().__init__(message)
        self.message = message
        self.at = at
        self.kind = kind


class Codec(Generic[T]):
    """Converts an option value between bytes and a typed Python value.

    Subclasses set the length rule and implement :meth:`decode` and
    :meth:`encode`. ``encode`` raises ``TypeError`` or ``ValueError`` for a
    value it cannot represent; the encoder wraps that in
    :class:`~dhcpwire.errors.OptionValueError` naming the option.
    """

    __slots__ = ()

    #: smallest and largest valid value length (``None``: no upper bound).
    min_len: int = 0
    max_len: int | None = None
    #: the value length must be a multiple of this.
    multiple: int = 1
    #: True when valid lengths do not guarantee valid contents, so a strict
    #: decoder must run :meth:`decode` to validate.
    structured: bool = False
    #: whether two instances of the option concatenate (RFC 3396 section 7).
    #: False for fixed-length options, where a repeat is a defect instead.
    concatenates: bool = True
    #: a short description of the Python type, for docs and ``--help``.
    type_name: str = "bytes"

    def decode(self, raw: bytes) -> T:
        raise NotImplementedError

    def encode(self, value: T) -> bytes:
        raise NotImplementedError

    def check_length(self, n: int) -> str | None:
        """Return why ``n`` is not a valid value length, or ``None`` when it is."""
        if n < self.min_len:
            return f"length {n} is below the minimum {self.min_len}"
        if self.max_len is not None and n > self.max_len:
            if self.min_len == self.max_len:
                return f"length {n}, expected {self.max_len}"
            return f"length {n} is above the maximum {self.max_len}"
        if n % self.multiple:
            return f"length {n} is not a multiple of {self.multiple}"
        return None

    def validate(self, raw: bytes) -> None:
        """Raise :class:`Malformed` when ``decode`` would; build nothing if it can.

        A strict decoder validates structured values at decode time and
        converts them only when they are read. The default decodes; codecs
        with a cheaper structural walk override it.
        """
        self.decode(raw)

    def decode_checked(self, raw: bytes) -> T:
        """:meth:`decode` after checking the length rule (raises :class:`Malformed`)."""
        why = self.check_length(len(raw))
        if why is not None:
            raise Malformed(why, 0, BadOptionLength)
        return self.decode(raw)

    # -- package-internal: the per-spec functions a registry precomputes ------
    # The registry asks the codecs of this package (see trusted()) for these,
    # once per option spec; a codec from elsewhere is used through decode and
    # encode alone. Overrides specialise them by the codec's parameters.

    def scanner(self) -> Callable[[bytes], bool] | None:
        """A function that says, building nothing, whether value bytes that
        passed the length rule are valid: True only where :meth:`validate`
        accepts them; False (or any exception) when not, or when not sure --
        the strict decoder then reads the packet on its careful path, which
        asks :meth:`validate`. ``None`` when the length rule decides alone
        (a codec that is not ``structured``)."""
        if not self.structured:
            return None
        validate = self.validate

        def scan(raw: bytes) -> bool:
            validate(raw)
            return True
        return scan

    def value_decoder(self) -> Callable[[bytes], T]:
        """:meth:`decode` for bytes the strict decoder has validated (length
        rule, and :meth:`validate` when ``structured``): it may skip checks."""
        return self.decode

    def value_encoder(self) -> Callable[[Any], bytes]:
        """:meth:`encode` followed by the length rule: value bytes that meet
        the rule, or ``TypeError``/``ValueError`` (an override that knows
        its output meets the rule skips the check)."""
        encode, check = self.encode, self.check_length
        if (self.max_len is None and self.multiple == 1
                and type(self).check_length is Codec.check_length):
            low = self.min_len  # the one rule there is to break

            def encode_long_enough(value: Any) -> bytes:
                raw = encode(value)
                if len(raw) < low:
                    raise ValueError(check(len(raw)))
                return raw
            return encode_long_enough

        def encode_checked(value: Any) -> bytes:
            raw = encode(value)
            why = check(len(raw))
            if why is not None:
                raise ValueError(why)
            return raw
        return encode_checked

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    if not TYPE_CHECKING:
        def __class_getitem__(cls, item):
            # ``Codec[T]`` is for type checkers: at run time it is the class
            # itself, so that the three dozen codec classes of the option
            # table do not each build a typing alias when dhcpwire is
            # imported (``import dhcpwire`` is measured: benchmarks/codec.py)
            return cls


_OWN_CODECS: Final = "dhcpwire.wire."


def trusted(codec: Codec[Any]) -> bool:
    """Whether ``codec`` is one of this package's, whose ``decode`` cannot fail
    on bytes that passed its length rule and (if structured) ``validate``."""
    return type(codec).__module__.startswith(_OWN_CODECS)


def _checker(codec: Codec[Any]) -> Callable[[bytes], object]:
    # trusted codecs validate with their cheap structural walk; a user's codec
    # is decoded (and the decoder keeps what it made)
    return codec.validate if trusted(codec) else codec.decode


def _valid(raw: bytes) -> bool:
    return True


#: The scanner of a wrong length: says False, so the careful path names it.
_wrong: Final[Scanner] = frozenset[bytes]().__contains__


def _keeping(decode: Callable[[bytes], Any]) -> Scanner:
    """The scanner of a codec from outside the package: it decodes, and the
    value it made is kept (so that reading it later cannot raise)."""
    def scan(raw: bytes) -> tuple[Any]:
        return (decode(raw),)
    return scan


class OptionSpec(FrozenRecord, Generic[T]):
    """One line of an option table: code, name, codec and the defining document.

    ``name`` is the lower-case, dash-separated name used in output
    (``"domain-name-servers"``); ``reference`` cites the RFC ("RFC 2132 s3.8").
    Immutable, compared and hashed by its four fields.
    """

    __slots__ = ("code", "codec", "name", "reference")
    if not TYPE_CHECKING:  # a checker makes them from the fields (see FrozenRecord)
        __match_args__ = ("code", "name", "codec", "reference")

    code: int
    name: str
    codec: Codec[T]
    reference: str

    def __init__(self, code: int, name: str, codec: Codec[T], reference: str) -> None:
        if not 0 <= code <= 255:
            raise ValueError(f"option code {code} is outside 0-255")
        if not name:
            raise ValueError("an option needs a name")
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "codec", codec)
        object.__setattr__(self, "reference", reference)


class Registry:
    """An immutable table of :class:`OptionSpec`, indexed by code and by name.

    ``space`` names what the codes are codes of: ``"dhcp"`` for the DHCP
    options, or a sub-option space such as ``"relay-agent"`` (RFC 3046).
    ``reserved`` are codes a space gives fixed meaning outside the table
    (PAD and END in the DHCP space).
    """

    __slots__ = ("_by_code", "_by_name", "_checkers", "_concat", "_lengths", "_rows", "_rules",
                 "decode_table", "decoders", "encoders", "reserved", "scanners", "space")

    def __init__(
        self, specs: Iterable[OptionSpec[Any]] = (), *, space: str = "dhcp",
        reserved: frozenset[int] = frozenset(),
    ) -> None:
        by_code: dict[int, OptionSpec[Any]] = {}
        by_name: dict[str, OptionSpec[Any]] = {}
        for spec in specs:
            _add(by_code, by_name, spec, reserved, replace=False)
        self._freeze(by_code, by_name, space, reserved)

    def _freeze(
        self, by_code: dict[int, OptionSpec[Any]], by_name: dict[str, OptionSpec[Any]],
        space: str, reserved: frozenset[int],
    ) -> None:
        self._by_code = by_code
        self._by_name = by_name
        self.space: str = space
        self.reserved: frozenset[int] = reserved
        # Precomputed per-code length rules for the decoder's hot loop:
        # (min_len, max_len or -1, multiple, structured, concatenates).
        self._rules = {
            c: (s.codec.min_len, -1 if s.codec.max_len is None else s.codec.max_len,
                s.codec.multiple, s.codec.structured, s.codec.concatenates)
            for c, s in by_code.items()
        }
        self._lengths: list[bytes] | None = None
        self._rows: tuple[tuple[Scanner | int, ...], ...] | None = None
        #: Package-internal, read by the decoder's hot loop: :meth:`fast_table`
        #: once it has been built, ``None`` before (read-only).
        self.decode_table: tuple[tuple[Scanner | int, ...] | None, ...] | None = None
        self._checkers = {c: _checker(s.codec) for c, s in by_code.items()
                          if s.codec.structured or not trusted(s.codec)}
        self._concat = frozenset(c for c, s in by_code.items() if not s.codec.concatenates)
        #: Package-internal, read-only: code (0-255) -> the strict decoder's
        #: fast check of value bytes whose length is right (see
        #: :data:`Scanner`); a function that says True where the length
        #: decides alone. Empty until :meth:`scan_table` fills it.
        self.scanners: dict[int, Scanner] = {}
        #: Package-internal, read-only: code (0-255) -> a function from
        #: *validated* value bytes to the typed value (``bytes``, which gives
        #: the bytes back, for a code not defined here). Empty until
        #: :meth:`decoder_table` fills it; :meth:`fast_table` does, so it is
        #: full for every registry that has decoded a message.
        self.decoders: dict[int, Callable[[bytes], Any]] = {}
        #: Package-internal, read-only: code (0-255) -> a function from a
        #: typed value to value bytes that meet the code's length rule. For
        #: a value it cannot encode it raises one of :data:`ENCODE_ERRORS`,
        #: which the caller turns into an OptionValueError with
        #: :meth:`value_error` (for a code not defined here, anything but
        #: bytes is refused). Empty until :meth:`encoder_table` fills it.
        self.encoders: dict[int, Callable[[Any], bytes]] = {}

    def decoder_table(self) -> dict[int, Callable[[bytes], Any]]:
        """:attr:`decoders`, filled for every code on first use (plain dicts
        are the cheapest lookup on the hot paths)."""
        if not self.decoders:
            self.decoders.update({code: self._decoder(code) for code in range(256)})
        return self.decoders

    def encoder_table(self) -> dict[int, Callable[[Any], bytes]]:
        """:attr:`encoders`, filled for every code on first use."""
        if not self.encoders:
            self.encoders.update({code: self._encoder(code) for code in range(256)})
        return self.encoders

    def _scanner(self, code: int) -> Scanner:
        spec = self._by_code.get(code)
        if spec is None:
            return _valid
        if not trusted(spec.codec):
            return _keeping(spec.codec.decode)
        return spec.codec.scanner() or _valid

    def _decoder(self, code: int) -> Callable[[bytes], Any]:
        spec = self._by_code.get(code)
        if spec is None:
            return bytes  # the value bytes themselves (bytes(b) is b)
        return spec.codec.value_decoder() if trusted(spec.codec) else spec.codec.decode

    def _encoder(self, code: int) -> Callable[[Any], bytes]:
        spec = self._by_code.get(code)
        if spec is None:
            return _raw_encoder(self, code)
        codec = spec.codec
        return codec.value_encoder() if trusted(codec) else Codec.value_encoder(codec)

    def checker(self, code: int) -> Callable[[bytes], object] | None:
        """What a strict decoder runs on the value bytes of ``code`` once their
        length is right: the codec's ``validate`` (a structured codec of this
        package), its ``decode`` (a codec from elsewhere: the result is the
        typed value), or ``None`` (length alone decides)."""
        return self._checkers.get(code)

    def decoder(self, code: int) -> Callable[[bytes], Any] | None:
        """The function from validated value bytes of ``code`` to its typed
        value; ``None`` for a code not defined here."""
        return self.decoder_table()[code] if code in self._by_code else None

    def value_error(self, code: int, exc: Exception) -> OptionValueError:
        """The :class:`~dhcpwire.errors.OptionValueError` for ``exc``, raised by
        :attr:`encoders` ``[code]`` (itself, when it is one already)."""
        if isinstance(exc, OptionValueError):
            return exc
        if type(code) is not int and not isinstance(code, int):
            return OptionValueError(f"option codes are ints, not {type(code).__name__}")
        if not 0 <= code <= 255:
            return OptionValueError("not an option code that can carry a value", option=code)
        return OptionValueError(f"bad value for {self.name(code)}: {exc}", option=code)

    def concatenates(self, code: int) -> bool:
        """Whether instances of ``code`` concatenate (RFC 3396 section 7):
        False for fixed-length formats, where a repeat is a defect."""
        return code not in self._concat

    def length_error(self, code: int, n: int) -> str | None:
        """Why ``n`` octets is not a valid length for ``code`` (``None``: it is,
        or the code is not defined here)."""
        rule = self._rules.get(code)
        if rule is None:
            return None
        lo, hi, mult, _, _ = rule
        if n < lo or (hi >= 0 and n > hi) or n % mult:
            return self._by_code[code].codec.check_length(n)
        return None

    def length_table(self) -> list[bytes]:
        """For the decoder: ``table[code][n]`` is 0 when a value of ``n`` octets
        (n < 256) is fine, 1 when its length is wrong, and 2 when the length is
        fine but a strict decoder must run :meth:`checker` on it."""
        table = self._lengths
        if table is None:
            table = self._lengths = [self._length_row(c) for c in range(256)]
        return table

    def scan_table(self) -> tuple[tuple[Scanner | int, ...], ...]:
        """By code then value length (< 256): 0 when the length alone says
        the value is valid, else the code's scanner (see :data:`Scanner`);
        a wrong length has a scanner that says False. Rows are tuples
        (indexing a tuple is the cheapest lookup CPython has), identical
        rows shared. For walks of a sub-option space, where every code is
        an ordinary code; the options field's is :meth:`fast_table`."""
        rows = self._rows
        if rows is None:
            if not self.scanners:
                self.scanners.update({code: self._scanner(code) for code in range(256)})
            shared: dict[tuple[Any, ...], tuple[Any, ...]] = {}
            made = []
            for code, lengths in enumerate(self.length_table()):
                scan = self.scanners[code] if 2 in lengths else _valid
                row = tuple(_wrong if flag == 1 else scan if flag == 2 else 0
                            for flag in lengths)
                made.append(shared.setdefault(row, row))
            rows = self._rows = tuple(made)
        return rows

    def fast_table(self) -> tuple[tuple[Scanner | int, ...] | None, ...]:
        """For the decoder's hot loop: :meth:`scan_table`, with ``None`` for
        the rows of PAD (0) and END (255), and option overload (52) saying
        False at every length, so that a packet that has it is read on the
        careful path (it changes how the packet is read)."""
        fast = self.decode_table
        if fast is None:
            self.decoder_table()  # what reads the values of what is decoded
            rows: list[tuple[Scanner | int, ...] | None] = list(self.scan_table())
            rows[0] = rows[255] = None
            rows[52] = (_wrong,) * 256
            fast = self.decode_table = tuple(rows)
        return fast

    def _length_row(self, code: int) -> bytes:
        spec = self._by_code.get(code)
        if spec is None:
            return bytes(256)
        c = spec.codec
        row = bytearray(b"\x01" * 256)
        top = 255 if c.max_len is None else min(c.max_len, 255)
        check = c.structured or not trusted(c)
        for n in range(c.min_len, top + 1, 1):
            if n % c.multiple == 0:
                row[n] = 2 if check else 0
        return bytes(row)

    def derive(self, *specs: OptionSpec[Any], replace: bool = False) -> Registry:
        """A new registry with ``specs`` added; this one is unchanged.

        Raises :class:`~dhcpwire.errors.OptionClash` when a code or name is
        already defined, unless ``replace`` is true (then the new spec wins,
        e.g. to decode option 43 with a vendor's sub-option space).
        """
        by_code = dict(self._by_code)
        by_name = dict(self._by_name)
        for spec in specs:
            _add(by_code, by_name, spec, self.reserved, replace=replace)
        new = Registry.__new__(Registry)
        new._freeze(by_code, by_name, self.space, self.reserved)
        return new

    def __getitem__(self, code: int) -> OptionSpec[Any]:
        return self._by_code[code]

    def get(self, code: int) -> OptionSpec[Any] | None:
        return self._by_code.get(code)

    def by_name(self, name: str) -> OptionSpec[Any]:
        """The spec called ``name`` (dashes or underscores, any case)."""
        return self._by_name[name.lower().replace("_", "-")]

    def name(self, code: int) -> str:
        """The option's name, or ``option-N`` for a code the registry lacks."""
        spec = self._by_code.get(code)
        return spec.name if spec is not None else f"option-{code}"

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[OptionSpec[Any]]:
        return iter(sorted(self._by_code.values(), key=lambda s: s.code))

    def __len__(self) -> int:
        return len(self._by_code)

    def __repr__(self) -> str:
        return f"<Registry {self.space!r} with {len(self._by_code)} options>"


#: What an encoder raises for a value it cannot represent (``struct.error``
#: from the struct-based ones; OptionValueError is a ValueError), which the
#: caller turns into an OptionValueError naming the option
#: (:meth:`Registry.value_error`).
ENCODE_ERRORS: Final = (TypeError, ValueError, OverflowError, AttributeError, struct.error)


def _raw_encoder(registry: Registry, code: int) -> Callable[[Any], bytes]:
    """The encoder of a code the registry does not define: bytes only."""
    if code in registry.reserved:
        def reserved(value: Any) -> bytes:
            raise OptionValueError("not an option code that can carry a value", option=code)
        return reserved
    space = registry.space

    def raw_bytes(value: Any) -> bytes:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        raise OptionValueError(
            f"option {code} is not in the {space!r} registry, so its value must be "
            f"bytes, not {type(value).__name__}", option=code)
    return raw_bytes


def _add(
    by_code: dict[int, OptionSpec[Any]], by_name: dict[str, OptionSpec[Any]],
    spec: OptionSpec[Any], reserved: frozenset[int], *, replace: bool,
) -> None:
    if spec.code in reserved:
        raise OptionClash(f"code {spec.code} is reserved in this space")
    old = by_code.get(spec.code)
    clash = by_name.get(spec.name)
    if not replace:
        if old is not None:
            raise OptionClash(f"code {spec.code} is already defined as {old.name!r}")
        if clash is not None:
            raise OptionClash(f"name {spec.name!r} is already used by code {clash.code}")
    else:
        if clash is not None and clash.code != spec.code:
            raise OptionClash(f"name {spec.name!r} is already used by code {clash.code}")
        if old is not None:
            del by_name[old.name]
    by_code[spec.code] = spec
    by_name[spec.name] = spec
