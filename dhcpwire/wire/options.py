"""The options field of a DHCP message: an :class:`~dhcpwire.wire.mapping.OptionMap`
over the DHCP option table unless told otherwise.

Rules of this module:

* :class:`Options` adds one thing to :class:`OptionMap`: without a
  ``registry`` it types codes through :data:`DEFAULT_REGISTRY`, the option
  table. Everything else (immutability, equality by value bytes, lossless
  re-encoding of decoded options) is the OptionMap's.
* The split is what keeps the wire layer free of import circles: the
  sub-option codecs need a mapping type (:class:`OptionMap`, below the
  table), and the default needs the table (so :class:`Options` sits above it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .mapping import OptionMap
from .registry import Registry
from .table import DEFAULT_REGISTRY

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Options"]


class Options(OptionMap):
    """An immutable, ordered mapping from option code to typed value.

    >>> from ipaddress import IPv4Address
    >>> from dhcpwire import Options, ROUTER, MESSAGE_TYPE, MessageType
    >>> opts = Options({MESSAGE_TYPE: MessageType.ACK, ROUTER: (IPv4Address("192.0.2.1"),)})
    >>> opts[ROUTER]
    (IPv4Address('192.0.2.1'),)
    >>> opts.raw(ROUTER)
    b'\\xc0\\x00\\x02\\x01'
    >>> opts.set(ROUTER, (IPv4Address("192.0.2.254"),))[ROUTER]
    (IPv4Address('192.0.2.254'),)
    """

    __slots__ = ()
    default_registry: Registry | None = DEFAULT_REGISTRY

    if TYPE_CHECKING:
        def __init__(
            self, values: Mapping[int, Any] | Iterable[tuple[int, Any]] = (), *,
            registry: Registry | None = None,
        ) -> None: ...

    @classmethod
    def from_raw(
        cls, values: Mapping[int, bytes] | Iterable[tuple[int, bytes]], *,
        registry: Registry | None = None,
    ) -> Self:
        """Options from value bytes (not validated until accessed)."""
        return super().from_raw(
            values, registry=DEFAULT_REGISTRY if registry is None else registry)
