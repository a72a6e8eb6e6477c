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
* :func:`message_from_wire` is the one package-internal constructor: the
  public constructor calls it once every field is validated, and the
  decoder (and the server's replies) call it directly, since the header
  struct already guarantees every size.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any, Final

from .codecs.basic import ZERO_ADDRESS as _ZERO
from .constants import BROADCAST_FLAG, MessageType, OpCode
from .errors import Defect
from .options import Options

__all__ = ["ZERO_ADDRESS", "Message"]

#: 0.0.0.0, the value of every unset address field.
ZERO_ADDRESS: Final = _ZERO
_EMPTY = Options.from_raw({})
_CHADDR_ZERO = bytes(16)
_set = object.__setattr__

_OPCODES = {1: OpCode.BOOTREQUEST, 2: OpCode.BOOTREPLY}


def _is_int(value: object) -> bool:
    """An int or int subclass (an IntEnum such as HType), but not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _bad_int(name: str, value: object, bits: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    raise ValueError(f"{name}={value} does not fit in {bits} bits")


def _check_ints(htype: object, hlen: object, hops: object, xid: object, secs: object,
                flags: object) -> None:
    """Raise for the first of the integer fields that is not an int (an IntEnum
    such as HType is one) in its range."""
    for name, value, bits in (("htype", htype, 8), ("hlen", hlen, 8), ("hops", hops, 8),
                              ("xid", xid, 32), ("secs", secs, 16), ("flags", flags, 16)):
        if not _is_int(value) or not 0 <= value < 1 << bits:  # type: ignore[operator]
            _bad_int(name, value, bits)


def _address(name: str, value: object) -> IPv4Address:
    if isinstance(value, IPv4Address):
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return IPv4Address(value)
    raise TypeError(f"{name} must be an IPv4Address, not {type(value).__name__}")


def _chaddr(value: object) -> bytes:
    if isinstance(value, str):
        data = bytes.fromhex(value.replace(":", "").replace("-", ""))
    elif isinstance(value, bytes):
        data = value
    else:
        data = bytes(value)  # type: ignore[call-overload]
    if len(data) > 16:
        raise ValueError(f"chaddr is {len(data)} octets; the field holds 16")
    return data.ljust(16, b"\0")


def _text_field(name: str, value: object, size: int) -> bytes:
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
    elif isinstance(value, bytes):
        data = value
    else:
        data = bytes(value)  # type: ignore[call-overload]
    if len(data) > size:
        raise ValueError(f"{name} is {len(data)} octets; the field holds {size}")
    return data.rstrip(b"\0")


class _Fields:
    """The slots of a :class:`Message`, in a base class of their own.

    ``Message`` declares no slots itself (the dataclass machinery leaves out
    the ones a base already has), so an instance of this class becomes a
    ``Message`` by ``__class__`` assignment, from a base to its subclass of
    the same layout (the cheapest case CPython checks). Only
    :func:`message_from_wire` makes one: it writes the slots plainly, then
    the object is an ordinary, frozen ``Message``.
    """

    __slots__ = (
        "chaddr",
        "ciaddr",
        "defects",
        "file",
        "flags",
        "giaddr",
        "hlen",
        "hops",
        "htype",
        "op",
        "options",
        "secs",
        "siaddr",
        "sname",
        "vend",
        "xid",
        "yiaddr",
    )


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class Message(_Fields):
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

    if TYPE_CHECKING:
        # What a type checker sees of the constructor (__new__ below): the
        # convenient forms it normalises (a mapping of typed option values,
        # address strings) are accepted; the fields themselves hold the
        # normalised values.
        def __init__(
            self, *, op: int = OpCode.BOOTREQUEST, htype: int = 1, hlen: int = 6,
            hops: int = 0, xid: int = 0, secs: int = 0, flags: int = 0,
            ciaddr: IPv4Address | str = ZERO_ADDRESS, yiaddr: IPv4Address | str = ZERO_ADDRESS,
            siaddr: IPv4Address | str = ZERO_ADDRESS, giaddr: IPv4Address | str = ZERO_ADDRESS,
            chaddr: bytes | str = _CHADDR_ZERO, sname: bytes | str = b"",
            file: bytes | str = b"", options: Options | Mapping[int, Any] = _EMPTY,
            vend: bytes | None = None, defects: tuple[Defect, ...] = (),
        ) -> None: ...
    else:
        def __new__(cls, *, op=OpCode.BOOTREQUEST, htype=1, hlen=6, hops=0, xid=0, secs=0,
                    flags=0, ciaddr=ZERO_ADDRESS, yiaddr=ZERO_ADDRESS, siaddr=ZERO_ADDRESS,
                    giaddr=ZERO_ADDRESS, chaddr=_CHADDR_ZERO, sname=b"", file=b"",
                    options=_EMPTY, vend=None, defects=()):
            # Validates and normalises every field, then builds the message
            # with the one internal constructor, message_from_wire() -- a
            # frozen dataclass's own __init__ sets each of the 17 fields
            # through object.__setattr__, which costs more than all of this.
            # Unrolled, with the common types tested first: a server builds
            # a Message per reply, so this is hot.
            if type(op) is not OpCode:
                if (type(op) is not int and not _is_int(op)) or not 0 <= op <= 255:
                    _bad_int("op", op, 8)
                op = _OPCODES.get(op, op)
            # the common case in one test: plain ints, in range (the OR of
            # non-negative ints is below 2**k exactly when each of them is)
            if not (type(htype) is int and type(hlen) is int and type(hops) is int
                    and type(xid) is int and type(secs) is int and type(flags) is int
                    and 0 <= htype | hlen | hops <= 255 and 0 <= secs | flags <= 0xFFFF
                    and 0 <= xid <= 0xFFFFFFFF):
                _check_ints(htype, hlen, hops, xid, secs, flags)
            if type(ciaddr) is not IPv4Address:
                ciaddr = _address("ciaddr", ciaddr)
            if type(yiaddr) is not IPv4Address:
                yiaddr = _address("yiaddr", yiaddr)
            if type(siaddr) is not IPv4Address:
                siaddr = _address("siaddr", siaddr)
            if type(giaddr) is not IPv4Address:
                giaddr = _address("giaddr", giaddr)
            if type(chaddr) is not bytes or len(chaddr) != 16:
                chaddr = _chaddr(chaddr)
            if type(sname) is not bytes or (sname and (len(sname) > 64 or sname[-1] == 0)):
                sname = _text_field("sname", sname, 64)
            if type(file) is not bytes or (file and (len(file) > 128 or file[-1] == 0)):
                file = _text_field("file", file, 128)
            if type(options) is not Options and not isinstance(options, Options):
                if not isinstance(options, Mapping):
                    raise TypeError("options must be an Options or a mapping of code to value")
                options = Options(options)
            if vend is not None:
                if not isinstance(vend, bytes):
                    vend = bytes(vend)
                if len(options):
                    raise ValueError("a BOOTP message without the cookie (vend set) has no "
                                     "options")
            if cls is not Message:  # a subclass: its own layout, set field by field
                return _subclassed(cls, (op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr,
                                         siaddr, giaddr, chaddr, sname, file, options, vend,
                                         defects))
            return message_from_wire(op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr,
                                     siaddr, giaddr, chaddr, sname, file, options, vend, defects)

    # -- conveniences ----------------------------------------------------------
    @property
    def message_type(self) -> MessageType | None:
        """Option 53, or ``None`` for a BOOTP message (RFC 2131 section 4.1)."""
        if 53 not in self.options:
            return None
        value: MessageType = self.options[53]
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
        # option 53 read from its bytes: a lenient decode may have kept a
        # malformed one, and printing a message never raises
        raw = self.options.raw_map.get(53) if self.vend is None else None
        if raw is None:
            name = "BOOTP message"
        elif len(raw) == 1:
            name = str(MessageType(raw[0]))
        else:
            name = f"message with a malformed type (option 53 is {raw.hex() or 'empty'})"
        return f"{name} xid=0x{self.xid:08x} chaddr={self.hwaddr}"


_new = object.__new__


def _subclassed(cls: type[Message], values: tuple[Any, ...]) -> Message:
    m = _new(cls)
    for f, value in zip(dataclasses.fields(Message), values, strict=True):
        _set(m, f.name, value)
    return m


def message_from_wire(
    op: int, htype: int, hlen: int, hops: int, xid: int, secs: int, flags: int,
    ciaddr: IPv4Address, yiaddr: IPv4Address, siaddr: IPv4Address, giaddr: IPv4Address,
    chaddr: bytes, sname: bytes, file: bytes, options: Options, vend: bytes | None,
    defects: tuple[Defect, ...],
) -> Message:
    """The package-internal constructor of :class:`Message`, without
    validation: for ``Message(...)`` once it has validated the fields, and
    for the decoder and the server's reply builder, whose fields are right
    by construction (each has its type, and its size or range).

    A frozen dataclass sets each field through ``object.__setattr__``, which
    costs about as much as the rest of decoding; this writes the slots of a
    :class:`_Fields` and then makes it a ``Message``.
    """
    m: Any = _Fields()  # a class call: cheaper than object.__new__(_Fields)
    m.op = op
    m.htype = htype
    m.hlen = hlen
    m.hops = hops
    m.xid = xid
    m.secs = secs
    m.flags = flags
    m.ciaddr = ciaddr
    m.yiaddr = yiaddr
    m.siaddr = siaddr
    m.giaddr = giaddr
    m.chaddr = chaddr
    m.sname = sname
    m.file = file
    m.options = options
    m.vend = vend
    m.defects = defects
    m.__class__ = Message
    return m  # type: ignore[no-any-return]
