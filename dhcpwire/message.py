"""The DHCP message: RFC 2131 figure 1 as a frozen dataclass.

Rules of this module:

* Field names are RFC 2131's (table 1); values are typed (``IPv4Address``
  for addresses, ``bytes`` for ``chaddr``/``sname``/``file``, an
  :class:`~dhcpwire.Options` for ``options``).
* Construction validates every field (ranges and sizes) and normalises the
  convenient forms: an address may be given as a string, ``chaddr`` shorter
  than 16 octets is zero-padded, ``sname``/``file`` lose trailing NULs (the
  wire pads them with NULs again), ``options`` may be a plain mapping of
  typed values.
* The decoder builds messages through :func:`message_from_wire`, which
  skips validation: the header struct already guarantees every size.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Any, cast

from .constants import BROADCAST_FLAG, MessageType, OpCode
from .errors import Defect
from .options import Options

__all__ = ["ZERO_ADDRESS", "Message"]

#: 0.0.0.0, the value of every unset address field.
ZERO_ADDRESS = IPv4Address(0)
_EMPTY = Options.from_raw({})
_CHADDR_ZERO = bytes(16)
_set = object.__setattr__

# (field, bits) for the integer header fields.
_INT_FIELDS = (("op", 8), ("htype", 8), ("hlen", 8), ("hops", 8), ("xid", 32),
               ("secs", 16), ("flags", 16))
_OPCODES = {1: OpCode.BOOTREQUEST, 2: OpCode.BOOTREPLY}


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A DHCP (or BOOTP) message.

    >>> from dhcpwire import Message, MessageType, MESSAGE_TYPE
    >>> m = Message(xid=0x1234, chaddr=bytes.fromhex("02005e105301"),
    ...             options={MESSAGE_TYPE: MessageType.DISCOVER})
    >>> m.message_type, m.hwaddr, m.broadcast
    (<MessageType.DISCOVER: 1>, '02:00:5e:10:53:01', False)
    """

    op: int = OpCode.BOOTREQUEST
    htype: int = 1
    hlen: int = 6
    hops: int = 0
    xid: int = 0
    secs: int = 0
    flags: int = 0
    ciaddr: IPv4Address = ZERO_ADDRESS
    yiaddr: IPv4Address = ZERO_ADDRESS
    siaddr: IPv4Address = ZERO_ADDRESS
    giaddr: IPv4Address = ZERO_ADDRESS
    chaddr: bytes = _CHADDR_ZERO
    sname: bytes = b""
    file: bytes = b""
    options: Options = _EMPTY
    #: RFC 951's 64-octet 'vend' area of a BOOTP message that has no DHCP
    #: magic cookie; ``None`` for every message that has one.
    vend: bytes | None = None
    #: What ``decode(..., strict=False)`` forgave; empty otherwise. Not compared.
    defects: tuple[Defect, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        for name, bits in _INT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
            if not 0 <= value < 1 << bits:
                raise ValueError(f"{name}={value} does not fit in {bits} bits")
        _set(self, "op", _OPCODES.get(self.op, self.op))
        for name in ("ciaddr", "yiaddr", "siaddr", "giaddr"):
            value = getattr(self, name)
            if not isinstance(value, IPv4Address):
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    _set(self, name, IPv4Address(value))
                else:
                    raise TypeError(f"{name} must be an IPv4Address, not {type(value).__name__}")
        chaddr = self.chaddr
        if not isinstance(chaddr, bytes):
            if isinstance(chaddr, str):
                chaddr = bytes.fromhex(chaddr.replace(":", "").replace("-", ""))
            else:
                chaddr = bytes(chaddr)
        if len(chaddr) > 16:
            raise ValueError(f"chaddr is {len(chaddr)} octets; the field holds 16")
        _set(self, "chaddr", chaddr.ljust(16, b"\0"))
        for name, size in (("sname", 64), ("file", 128)):
            value = getattr(self, name)
            if isinstance(value, str):
                value = value.encode("utf-8", "surrogateescape")
            elif not isinstance(value, bytes):
                value = bytes(value)
            if len(value) > size:
                raise ValueError(f"{name} is {len(value)} octets; the field holds {size}")
            _set(self, name, value.rstrip(b"\0"))
        if not isinstance(self.options, Options):
            if not isinstance(self.options, Mapping):
                raise TypeError("options must be an Options or a mapping of code to value")
            _set(self, "options", Options(self.options))
        if self.vend is not None:
            if not isinstance(self.vend, bytes):
                _set(self, "vend", bytes(self.vend))
            if len(self.options):
                raise ValueError("a BOOTP message without the cookie (vend set) has no options")

    # -- conveniences ----------------------------------------------------------
    @property
    def message_type(self) -> MessageType | int | None:
        """Option 53, or ``None`` for a BOOTP message (RFC 2131 section 4.1)."""
        if 53 not in self.options:
            return None
        value: MessageType | int = self.options[53]
        return value

    @property
    def broadcast(self) -> bool:
        """The BROADCAST flag (RFC 2131 figure 2)."""
        return bool(self.flags & BROADCAST_FLAG)

    @property
    def hwaddr(self) -> str:
        """The client hardware address, ``chaddr[:hlen]``, as colon-separated hex."""
        return self.chaddr[:min(self.hlen, 16)].hex(":")

    @property
    def client_hwaddr(self) -> bytes:
        """``chaddr[:hlen]`` as bytes."""
        return self.chaddr[:min(self.hlen, 16)]

    @property
    def is_bootp(self) -> bool:
        """True for a BOOTP message: no cookie, or no message type option."""
        return self.vend is not None or 53 not in self.options

    def replace(self, **changes: Any) -> Message:
        """A copy with ``changes`` applied (validated like a new message)."""
        return dataclasses.replace(self, **changes)

    def __str__(self) -> str:
        kind = self.message_type
        name = kind.name if isinstance(kind, MessageType) else (
            "BOOTP" if kind is None else f"type {kind}")
        return f"DHCP{name} xid=0x{self.xid:08x} chaddr={self.hwaddr}"


class _Unfrozen:
    """The decoder's fast way to build a :class:`Message` without validation.

    A frozen dataclass sets each field through ``object.__setattr__``, which
    costs about as much as the rest of decoding. This class has exactly the
    same slots, so it is assigned plainly and then becomes a ``Message`` by
    ``__class__`` assignment (allowed between classes with the same slot
    layout); from then on it is an ordinary, frozen ``Message``.
    """

    __slots__ = Message.__slots__

    def __init__(
        self, op: int, htype: int, hlen: int, hops: int, xid: int, secs: int, flags: int,
        ciaddr: IPv4Address, yiaddr: IPv4Address, siaddr: IPv4Address, giaddr: IPv4Address,
        chaddr: bytes, sname: bytes, file: bytes, options: Options, vend: bytes | None,
        defects: tuple[Defect, ...],
    ) -> None:
        self.op = op
        self.htype = htype
        self.hlen = hlen
        self.hops = hops
        self.xid = xid
        self.secs = secs
        self.flags = flags
        self.ciaddr = ciaddr
        self.yiaddr = yiaddr
        self.siaddr = siaddr
        self.giaddr = giaddr
        self.chaddr = chaddr
        self.sname = sname
        self.file = file
        self.options = options
        self.vend = vend
        self.defects = defects
        self.__class__ = Message  # type: ignore[assignment]


#: Build a :class:`Message` from decoded fields, without validation.
message_from_wire = cast("Callable[..., Message]", _Unfrozen)
