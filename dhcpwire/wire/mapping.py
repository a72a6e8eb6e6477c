"""The immutable, ordered mapping of option code to value, over one registry.

Rules of this module:

* The canonical content of an :class:`OptionMap` is the *value bytes* of each
  option (RFC 3396: all instances of a code already concatenated), in the
  order the options first appeared. Typed values are views of those bytes,
  converted through the registry on first access and then cached.
* Equality and hashing use the value bytes, so an :class:`OptionMap` decoded
  from the wire and one built from typed values are equal exactly when they
  put the same bytes on the wire for every code.
* Unknown codes keep their bytes and give them back as ``bytes``.
* Building from typed values validates each value at once (by encoding it)
  and raises :class:`~dhcpwire.errors.OptionValueError` naming the code.
  The caller's objects are not kept: the typed value read back is made
  from the bytes, so it is the library's own immutable object (a tuple
  where a list was given, an ``IPv4Address`` where a string was) and always
  equals what ``decode(encode(...))`` gives.
* Options decoded from a packet remember that packet's option area, so an
  unchanged message re-encodes byte for byte (PAD, split points, what
  follows END). Every change returns a new :class:`OptionMap` without it.
* A decoded :class:`OptionMap` starts with a shared, never-written empty
  cache of typed values (``NO_TYPED``); the first conversion gives it
  its own. Decoding is hot, and most messages have no value typed at once.
* Reading a typed value raises nothing but
  :class:`~dhcpwire.errors.DecodeError`, whatever the codec raises, with the
  offset from the start of the payload the options were decoded from (for
  options made with :meth:`OptionMap.from_raw`, which have no payload,
  from the start of the value).
* :meth:`OptionMap._make` is the one package-internal constructor (the
  decoder's, and the server's replies'): it takes the parts as they are.
  Other modules read an OptionMap through its public methods
  (:meth:`~OptionMap.raw_items`, :attr:`~OptionMap.raw_map`,
  :attr:`~OptionMap.payload` ...), never its slots.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .errors import BadOptionValue, DecodeError, OptionValueError
from .reader import collect_suboptions, locate, value_offset
from .registry import ENCODE_ERRORS, Malformed, Registry

if TYPE_CHECKING:
    from typing_extensions import Self

    from .codes import OptionCode
    from .registry import OptionSpec

T = TypeVar("T")
D = TypeVar("D")

__all__ = ["NO_TYPED", "OptionMap", "parse_suboptions"]

_new = object.__new__
#: The typed-value cache of a freshly decoded OptionMap: shared, so it is
#: never written to (``__getitem__`` replaces it before caching).
NO_TYPED: dict[int, Any] = {}



class OptionMap(Mapping[int, Any]):
    """An immutable, ordered mapping from option code to typed value, over ``registry``.

    The values of an encapsulating option (82's sub-options, RFC 3046; 43's
    vendor sub-options, RFC 2132 section 8.4) are OptionMaps over their own
    space; a message's options field is an :class:`~dhcpwire.Options`, the
    OptionMap whose registry defaults to the DHCP option table.
    """

    __slots__ = ("_raw", "_registry", "_typed", "payload")

    _raw: dict[int, bytes]
    _typed: dict[int, Any]
    _registry: Registry
    #: The whole payload these options were decoded from (so that an unchanged
    #: message re-encodes byte for byte: its option area and, with option 52,
    #: 'file'/'sname'), or ``None`` for options built or changed by hand.
    #: Read-only.
    payload: bytes | None

    #: The registry a subclass uses when none is given (:class:`~dhcpwire.Options`:
    #: the option table); an OptionMap itself needs one.
    default_registry: Registry | None = None

    if TYPE_CHECKING:
        def __init__(
            self, values: Mapping[int, Any] | Iterable[tuple[int, Any]] = (), *,
            registry: Registry,
        ) -> None: ...
    else:
        def __init__(self, values=(), *, registry=None):
            # each value encoded once, by the registry's function for its
            # code, and kept as bytes (the hot half of every message built)
            reg = self.default_registry if registry is None else registry
            if reg is None:
                raise TypeError(f"{type(self).__name__}() needs a registry")
            encoders = reg.encoders or reg.encoder_table()
            raw = {}
            items = values.items() if type(values) is dict or isinstance(values, Mapping) \
                else values
            for code, value in items:
                try:
                    raw[code] = encoders[code](value)
                except ENCODE_ERRORS as exc:
                    raise reg.value_error(code, exc) from None
                except KeyError as exc:  # not a code 0-255, or a codec's own bug
                    if code in encoders:
                        raise
                    raise reg.value_error(code, exc) from None
            self._raw = raw
            self._typed = NO_TYPED
            self._registry = reg
            self.payload = None

    @classmethod
    def from_raw(
        cls, values: Mapping[int, bytes] | Iterable[tuple[int, bytes]], *,
        registry: Registry,
    ) -> Self:
        """An OptionMap of value bytes (not validated until accessed)."""
        items = values.items() if isinstance(values, Mapping) else values
        raw: dict[int, bytes] = {}
        for code, value in items:
            if not 0 <= code <= 255:
                raise OptionValueError("option code outside 0-255", option=code)
            raw[code] = bytes(value)
        return cls._make(raw, NO_TYPED, registry, None)

    @classmethod
    def _make(
        cls, raw: dict[int, bytes], typed: dict[int, Any], registry: Registry,
        wire: bytes | None,
    ) -> Self:
        """Package-internal: an OptionMap of these parts, taken as they are.

        ``raw`` is the value bytes by code (owned by the new map from now
        on), ``typed`` the typed values already known (:data:`NO_TYPED` for
        none: it is never written to), ``wire`` the payload the options
        were decoded from, or ``None``. Nothing is checked: the decoder and
        the server's reply builder, its callers, make the parts right.
        """
        self = _new(cls)
        self._raw = raw
        self._typed = typed
        self._registry = registry
        self.payload = wire
        return self

    # -- Mapping ---------------------------------------------------------
    @overload
    def __getitem__(self, code: OptionCode[T]) -> T: ...
    @overload
    def __getitem__(self, code: int) -> Any: ...

    def __getitem__(self, code: int) -> Any:
        """The typed value of ``code``: with a constant of :mod:`dhcpwire.codes`
        (an :class:`~dhcpwire.codes.OptionCode`), of that option's type for a
        type checker too; with a plain ``int``, ``Any``."""
        typed = self._typed
        if code in typed:
            return typed[code]
        raw = self._raw[code]
        try:
            if self.payload is not None:
                # decoded: lengths and structure are already validated, so the
                # registry's function for validated bytes (decode() filled the
                # table; ``bytes`` for a code the registry does not define)
                value = self._registry.decoders[code](raw)
            else:
                spec = self._registry.get(code)
                value = raw if spec is None else spec.codec.decode_checked(raw)
        except Malformed as exc:  # a codec whose validate() missed something
            raise self._error(code, exc.kind, exc.message, exc.at) from None
        except Exception as exc:  # a codec's own bug is reported as the bytes' defect
            raise self._error(code, BadOptionValue,
                              f"its codec raised {type(exc).__name__}: {exc}", 0) from exc
        if typed is NO_TYPED:
            self._typed = {code: value}
        else:
            typed[code] = value
        return value

    def _error(self, code: int, kind: type[DecodeError], message: str, at: int) -> DecodeError:
        wire = self.payload
        where = at if wire is None else value_offset(wire, code, at)
        return kind(f"{self._registry.name(code)}: {message}", offset=where, option=code)

    @overload  # type: ignore[override]
    def get(self, code: OptionCode[T], /) -> T | None: ...
    @overload
    def get(self, code: OptionCode[T], /, default: D) -> T | D: ...
    @overload
    def get(self, code: int, /, default: Any = None) -> Any: ...

    def get(self, code: int, /, default: Any = None) -> Any:
        """The typed value of ``code``, or ``default`` when it is absent."""
        if code in self._raw:
            return self[code]
        return default

    def __iter__(self) -> Iterator[int]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, code: object) -> bool:
        return code in self._raw

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OptionMap):
            return self._raw == other._raw
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._raw.items()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{code}: {self[code]!r}" for code in self._raw)
        return f"{type(self).__name__}({{{inner}}})"

    # -- beyond Mapping ----------------------------------------------------
    @property
    def registry(self) -> Registry:
        """The registry that gives the codes their types."""
        return self._registry

    @property
    def raw_map(self) -> Mapping[int, bytes]:
        """Every option's value bytes by code, in order: a read-only view."""
        return MappingProxyType(self._raw)

    def raw_get(self, code: int) -> bytes | None:
        """The option's value bytes, or ``None`` when it is absent."""
        return self._raw.get(code)

    def raw_items(self) -> Iterator[tuple[int, bytes]]:
        """(code, value bytes) pairs in order."""
        return iter(self._raw.items())

    def raw(self, code: int) -> bytes:
        """The option's value bytes (all instances concatenated)."""
        return self._raw[code]

    def spec(self, code: int) -> OptionSpec[Any] | None:
        return self._registry.get(code)

    def name(self, code: int) -> str:
        return self._registry.name(code)

    def set(self, code: int, value: Any) -> Self:
        """A new OptionMap with ``code`` set to the typed ``value`` (kept in place, or appended)."""
        raw = dict(self._raw)
        raw.update(OptionMap(((code, value),), registry=self._registry)._raw)
        typed = {c: v for c, v in self._typed.items() if c != code}
        return self._make(raw, typed or NO_TYPED, self._registry, None)

    def set_raw(self, code: int, value: bytes) -> Self:
        """A new OptionMap with ``code`` set to the value bytes ``value``."""
        raw = dict(self._raw)
        raw[code] = bytes(value)
        typed = {c: v for c, v in self._typed.items() if c != code}
        return self._make(raw, typed or NO_TYPED, self._registry, None)

    def remove(self, *codes: int) -> Self:
        """A new OptionMap without ``codes`` (codes not present are ignored)."""
        gone = set(codes)
        raw = {c: v for c, v in self._raw.items() if c not in gone}
        typed = {c: v for c, v in self._typed.items() if c not in gone}
        return self._make(raw, typed or NO_TYPED, self._registry, None)

    def update(self, values: Mapping[int, Any]) -> Self:
        """A new OptionMap with every typed value of ``values`` set."""
        raw = dict(self._raw)
        raw.update(OptionMap(values, registry=self._registry)._raw)
        typed = {c: v for c, v in self._typed.items() if c not in values}
        return self._make(raw, typed or NO_TYPED, self._registry, None)

    def with_registry(self, registry: Registry) -> Self:
        """The same bytes, typed through another registry."""
        return self._make(dict(self._raw), NO_TYPED, registry, None)

    def encapsulated(self, code: int, space: Registry) -> OptionMap:
        """Decode option ``code`` (e.g. 43) as sub-options of ``space`` (RFC 2132 s8.4)."""
        try:
            return parse_suboptions(self._raw[code], space)
        except Malformed as exc:
            raise self._error(code, exc.kind, exc.message, exc.at) from None


def parse_suboptions(data: bytes, space: Registry) -> OptionMap:
    """Split ``data`` into code/length/value sub-options of ``space``, typed.

    Sub-option spaces (RFC 3046 section 2.0, RFC 2132 section 8.4) have no
    PAD or END: every code is an ordinary code. Repeated codes concatenate
    (RFC 3396 section 7). Raises :class:`Malformed` with an offset in
    ``data``: ``TruncatedOption`` when a sub-option runs past the end, and
    the sub-option codec's error (its length rule, its structure, or
    whatever else it raised) at the offset of the octet it names.
    """
    raw, spans = collect_suboptions(data)
    typed: dict[int, Any] = {}
    for code, value in raw.items():
        spec = space.get(code)
        if spec is not None:
            try:
                typed[code] = spec.codec.decode_checked(value)
            except Malformed as exc:
                raise Malformed(f"sub-option {code}: {exc.message}",
                                locate(spans[code], exc.at), exc.kind) from None
            except Exception as exc:
                raise Malformed(f"sub-option {code}: its codec raised {type(exc).__name__}: "
                                f"{exc}", spans[code][0][0], BadOptionValue) from exc
    return OptionMap._make(raw, typed, space, None)

