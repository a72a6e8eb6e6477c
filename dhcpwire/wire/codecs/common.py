"""What the codecs share: the address cache, argument checks and lazy value classes.

Rules of this module:

* Decoded address objects are shared through a bounded cache (:func:`ip4`),
  since a server sees the same few thousand addresses again and again; the
  codecs keep other immutable values that real traffic repeats in caches
  of the same kind (:class:`ValueCache`).
* The value classes of structured options (:mod:`dhcpwire.wire.values`, a
  dozen dataclasses that take ~4 ms to create) are imported on first use:
  each codec module binds ``_v`` to :func:`lazy_values`, which puts the real
  module in its place on first attribute access, so ``import dhcpwire``
  stays fast for tools that never type them.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Any, Final

from ..errors import BadOptionLength
from ..registry import Codec, Malformed

__all__ = [
    "ZERO_ADDRESS", "ValueCache", "as_tuple", "empty_caches", "ip4", "lazy_values", "packed",
    "raise_length",
]


class _LazyValues:
    """Stands in for :mod:`dhcpwire.wire.values` in one module's globals until a
    codec there first needs it, then puts the module itself in its place."""

    __slots__ = ("_namespace",)

    def __init__(self, namespace: dict[str, Any]) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> Any:
        import dhcpwire.wire.values as values

        self._namespace["_v"] = values
        return getattr(values, name)


def lazy_values(namespace: dict[str, Any]) -> Any:
    """A stand-in for the values module, to bind to ``_v`` in ``namespace``."""
    return _LazyValues(namespace)


class ValueCache(dict[Any, Any]):
    """A bounded cache of immutable typed values by their wire bytes: reading
    a value that is in it is one C-level dict lookup (``cache.get`` or
    ``cache[key]``, :meth:`__missing__` making what is not there yet).

    For values that real traffic repeats -- addresses, address lists,
    routes, search lists: a server's configuration, seen by every client
    and in every reply -- and that are immutable, so that sharing one is
    invisible. Cleared when full, so memory stays bounded whatever a peer
    sends.
    """

    __slots__ = ("_keep", "_make", "_size")

    def __init__(self, make: Callable[[Any], Any], size: int,
                 keep: dict[Any, Any] | None = None) -> None:
        super().__init__(keep or ())
        self._make = make
        self._size = size
        self._keep = keep
        _CACHES.append(self)

    def empty(self) -> None:
        """Forget every value (but the kept ones)."""
        self.clear()
        if self._keep:
            self.update(self._keep)

    def __missing__(self, key: Any) -> Any:
        if len(self) >= self._size:
            self.empty()
        value = self[key] = self._make(key)
        return value

    def remember(self, key: Any, value: Any) -> None:
        """Keep ``value`` for ``key`` (a memo filled by its user, not by ``make``)."""
        if len(self) >= self._size:
            self.empty()
        self[key] = value


#: Every ValueCache made, for :func:`empty_caches`.
_CACHES: list[ValueCache] = []


def empty_caches() -> None:
    """Empty every cache of typed values and encodings (the benchmarks' cold
    runs measure what a value costs the first time it is seen)."""
    for cache in _CACHES:
        cache.empty()


def _new_address(packed: bytes) -> IPv4Address:
    # IPv4Address(int) skips the checks of a bytes argument; 4 octets from
    # the decoder are always in range. (No private attribute is touched.)
    return IPv4Address(_from_bytes(packed, "big"))


_from_bytes = int.from_bytes
#: 0.0.0.0, the value of every unset address field: decoded ones are this
#: object too, so that the encoder knows them by identity.
ZERO_ADDRESS: Final = IPv4Address(0)
_IP_CACHE: Final = ValueCache(_new_address, 1 << 16, {bytes(4): ZERO_ADDRESS})
#: The :class:`IPv4Address` for 4 packed octets, from a bounded cache.
ip4: Final[Callable[[bytes], IPv4Address]] = _IP_CACHE.__getitem__


def packed(value: Any) -> bytes:
    if type(value) is IPv4Address:
        # int(address) is a plain read of the address's integer; .packed is a
        # slower property over the same conversion.
        return value.__int__().to_bytes(4, "big")
    if isinstance(value, IPv4Address):
        return value.packed
    if isinstance(value, str):
        return IPv4Address(value).packed
    raise TypeError(f"expected an IPv4Address, got {type(value).__name__}")


def as_tuple(value: Any, what: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"expected a tuple of {what}, got {type(value).__name__}")
    return tuple(value)



def raise_length(codec: Codec[Any], n: int) -> None:
    """Raise :class:`Malformed` when ``n`` octets break ``codec``'s length rule."""
    why = codec.check_length(n)
    if why is not None:
        raise Malformed(why, 0, BadOptionLength)
