"""The exception tree of dhcpwire.

Rules of this module:

* It imports nothing from the package, so every other module can import it.
* Every error a caller can see derives from :class:`DhcpwireError`.
* Errors about bytes say *where*: a byte offset from the start of the DHCP
  payload (or of the file, for capture files) and, when an option is at fault,
  its code.
* Errors are also :class:`ValueError` so that code which already catches
  ``ValueError`` around parsing keeps working.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_: object) -> Any:  # typing has it from 3.11 only
        return lambda cls: cls

__all__ = [
    "BadCompressionPointer",
    "BadHeader",
    "BadOptionLength",
    "BadOptionValue",
    "CaptureError",
    "DataError",
    "DecodeError",
    "Defect",
    "DhcpwireDeprecationWarning",
    "DhcpwireError",
    "DuplicateOption",
    "EncodeError",
    "MessageTooLarge",
    "MissingEnd",
    "OptionClash",
    "OptionValueError",
    "StateError",
    "TrailingData",
    "Truncated",
    "TruncatedHeader",
    "TruncatedOption",
]


# For type checkers, a subclass is a frozen dataclass (PEP 681): assigning to a
# field is an error there too.
@dataclass_transform(frozen_default=True)
class FrozenRecord:
    """Package-internal base of the small immutable records (``Defect``,
    ``OptionSpec``): what a frozen, slotted dataclass gives (keyword or
    positional construction, ``==``, ``hash``, the dataclass ``repr``, match
    arguments, pickling, :class:`dataclasses.FrozenInstanceError` on
    assignment), written once by hand.

    Why not ``@dataclass``: the decorator writes and compiles its methods when
    the class is made, about 0.45 ms per class on every ``import dhcpwire``;
    these two records are made at import and are not message types. ``Message``
    stays a dataclass. A subclass lists its fields in ``__slots__`` and
    ``__match_args__`` (the same names, in order) and sets them in its
    ``__init__`` with ``object.__setattr__``.
    """

    __slots__ = ()
    # __match_args__ (set by each subclass, at run time only: a checker makes
    # its own from the fields, as for a dataclass) names the fields in order.

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__match_args__)  # type: ignore[attr-defined]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenRecord) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}"
                          for name in self.__match_args__)  # type: ignore[attr-defined]
        return f"{type(self).__qualname__}({inner})"

    if not TYPE_CHECKING:  # a checker that saw these would allow any assignment
        def __setattr__(self, name: str, value: object) -> None:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")

        def __delattr__(self, name: str) -> None:
            raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._fields())


class DhcpwireError(Exception):
    """Base class of every error raised by dhcpwire."""


class DecodeError(DhcpwireError, ValueError):
    """Bytes that are not a well-formed DHCP message.

    ``offset`` is the byte offset from the start of the payload where the
    problem was found; ``option`` is the option code involved, or ``None``.
    """

    def __init__(self, message: str, *, offset: int, option: int | None = None) -> None:
        self.message = message
        self.offset = offset
        self.option = option
        where = f"offset {offset}"
        if option is not None:
            where += f", option {option}"
        super().__init__(f"{message} ({where})")


class Truncated(DecodeError):
    """The message stops before its end: the base of the three truncation errors."""


class TruncatedHeader(Truncated):
    """Fewer bytes than the fixed header: 236 octets (op to file) plus the cookie,
    or 300 octets for a BOOTP message without the cookie (RFC 951 'vend' is 64)."""


class TruncatedOption(Truncated):
    """An option's length runs past the end of the field that holds it."""


class BadOptionLength(DecodeError):
    """An option's length is not one its format allows (e.g. 3 for a 4-octet address)."""


class BadOptionValue(DecodeError):
    """An option's bytes have the right length but not a valid structure."""


class BadCompressionPointer(BadOptionValue):
    """A domain-name compression pointer that points forward, loops, or out of range."""


class MissingEnd(Truncated):
    """The options field ends without an END (255) option."""


class TrailingData(DecodeError):
    """Non-zero bytes after the END option."""


class DuplicateOption(DecodeError):
    """A fixed-length option that appears more than once (not concatenable, RFC 3396)."""


class BadHeader(DecodeError):
    """A fixed-header field outside what the format allows: 'op' other than
    BOOTREQUEST (1) or BOOTREPLY (2) at offset 0, or 'hlen' over the 16 octets
    of 'chaddr' at offset 2."""


class CaptureError(DhcpwireError, ValueError):
    """A pcap or pcapng file that cannot be read; ``offset`` is in the *file*.

    Not a :class:`DecodeError`: a bad capture file and a bad packet inside a
    good one are different failures, caught apart.
    """

    def __init__(self, message: str, *, offset: int) -> None:
        self.message = message
        self.offset = offset
        super().__init__(f"{message} (offset {offset})")


class Defect(FrozenRecord):
    """A problem that ``decode(..., strict=False)`` forgave.

    ``kind`` is the :class:`DecodeError` subclass strict mode would have
    raised; ``offset`` and ``option`` say where, as in that error. Immutable,
    compared and hashed by its four fields.
    """

    __slots__ = ("kind", "message", "offset", "option")
    if not TYPE_CHECKING:  # a checker makes them from the fields (see FrozenRecord)
        __match_args__ = ("kind", "message", "offset", "option")

    kind: type[DecodeError]
    message: str
    offset: int
    option: int | None

    def __init__(self, kind: type[DecodeError], message: str, offset: int,
                 option: int | None = None) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "option", option)

    def __str__(self) -> str:
        where = f"offset {self.offset}" + (
            "" if self.option is None else f", option {self.option}")
        return f"{self.kind.__name__}: {self.message} ({where})"

    def to_error(self) -> DecodeError:
        return self.kind(self.message, offset=self.offset, option=self.option)


class EncodeError(DhcpwireError, ValueError):
    """A :class:`~dhcpwire.Message` or option value that cannot be encoded."""

    def __init__(self, message: str, *, option: int | None = None) -> None:
        self.message = message
        self.option = option
        super().__init__(message if option is None else f"{message} (option {option})")


class OptionValueError(EncodeError):
    """A typed option value that does not fit its option's format."""


class MessageTooLarge(EncodeError):
    """The options do not fit the maximum message size, even with overload (option 52)."""


class OptionClash(DhcpwireError, ValueError):
    """A registry was asked to define an option code or name it already has."""


class DhcpwireDeprecationWarning(DeprecationWarning):
    """A name or path of dhcpwire that still works for one release, and then goes.

    Not an error: every use warns with this category, so a program (or a
    test suite) can turn exactly these warnings into errors.
    """


class DataError(DhcpwireError, ValueError):
    """External data that is not what it claims to be: a saved client state, a
    server snapshot, a lease record or action read back from JSON, a file."""


class StateError(DhcpwireError, RuntimeError):
    """An event fed to a state machine that is illegal in its current state.

    The state machine's state is left exactly as it was.
    """


# The classes above are dhcpwire's public exceptions: they are reached as
# ``dhcpwire.DecodeError`` and so on, so tracebacks and reprs name them there.
for _name in __all__:
    globals()[_name].__module__ = "dhcpwire"
del _name
