"""Enums and constants of RFC 951, RFC 1542, RFC 2131 and RFC 2132."""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "BOOTP_MIN_SIZE",
    "BROADCAST_FLAG",
    "CLIENT_PORT",
    "DEFAULT_MAX_SIZE",
    "HEADER_SIZE",
    "INFINITE",
    "MAGIC_COOKIE",
    "OPTIONS_OFFSET",
    "SERVER_PORT",
    "HType",
    "MessageType",
    "OpCode",
]

#: RFC 2131 section 4.1: "DHCP messages from a client to a server are sent to
#: the 'DHCP server' port (67), and DHCP messages from a server to a client are
#: sent to the 'DHCP client' port (68)."
SERVER_PORT: Final = 67
CLIENT_PORT: Final = 68

#: RFC 2131 section 3: "The first four octets of the 'options' field of the DHCP
#: message contain the (decimal) values 99, 130, 83 and 99, respectively".
MAGIC_COOKIE: Final = b"\x63\x82\x53\x63"

#: op..file: the fixed BOOTP header of RFC 951 (236 octets); the options field
#: (RFC 2131 figure 1) starts after the cookie.
HEADER_SIZE: Final = 236
OPTIONS_OFFSET: Final = 240

#: RFC 1542 section 3.1.1 (the BOOTP minimum): "the BOOTP server ... SHOULD
#: append padding to reach a total length of 300 octets" -- clients and relays
#: built for BOOTP discard shorter messages.
BOOTP_MIN_SIZE: Final = 300

#: RFC 2131 section 2: "A DHCP client must be prepared to receive DHCP messages
#: with an 'options' field of at least length 312 octets" -- that is a 576-octet
#: IP datagram, the size every peer accepts unless it says more with option 57.
DEFAULT_MAX_SIZE: Final = 576

#: RFC 2131 section 3.3: "The time value of 0xffffffff is reserved to
#: represent 'infinity'." (option 51, 58, 59).
INFINITE: Final = 0xFFFFFFFF

#: RFC 2131 figure 2: the leftmost bit of 'flags' is the BROADCAST (B) flag.
BROADCAST_FLAG: Final = 0x8000


class OpCode(enum.IntEnum):
    """RFC 951 'op': the message direction."""

    BOOTREQUEST = 1
    BOOTREPLY = 2


class HType(enum.IntEnum):
    """The commonest ARP hardware types ('htype'); any 0-255 value is accepted."""

    ETHERNET = 1
    IEEE802 = 6
    FDDI = 8
    INFINIBAND = 32


class MessageType(enum.IntEnum):
    """Option 53 values: RFC 2132 section 9.6, RFC 3203 (9), RFC 4388 (10-13),
    RFC 6926 (14-17) and RFC 7724 (18).

    Option 53 is one octet, and its list of types is open (IANA adds to
    it): a value no RFC above names is a member too, made on demand and
    named by its number, so that every option 53 is a ``MessageType``:

    >>> MessageType(5), MessageType(200)
    (<MessageType.ACK: 5>, <MessageType.TYPE_200: 200>)
    >>> MessageType(200) is MessageType(200), MessageType(200).assigned
    (True, False)
    >>> str(MessageType(200)), [t.name for t in MessageType][:2]
    ('message type 200', ['DISCOVER', 'OFFER'])

    Iterating over the class gives the named types only. Anything but an
    int 0-255 raises ``ValueError``, as for any enum.
    """

    DISCOVER = 1
    OFFER = 2
    REQUEST = 3
    DECLINE = 4
    ACK = 5
    NAK = 6
    RELEASE = 7
    INFORM = 8
    FORCERENEW = 9
    LEASEQUERY = 10
    LEASEUNASSIGNED = 11
    LEASEUNKNOWN = 12
    LEASEACTIVE = 13
    BULKLEASEQUERY = 14
    LEASEQUERYDONE = 15
    ACTIVELEASEQUERY = 16
    LEASEQUERYSTATUS = 17
    TLS = 18

    def __str__(self) -> str:
        """The RFC's name: ``str(MessageType.OFFER)`` is ``'DHCPOFFER'`` (RFC 2131 table 2);
        ``'message type 200'`` for a type no RFC names."""
        if self._value_ in _UNASSIGNED:
            return f"message type {self._value_}"
        return f"DHCP{self._name_}"

    @property
    def assigned(self) -> bool:
        """Whether an RFC names this type (False for one made from another octet)."""
        return self._value_ not in _UNASSIGNED

    @classmethod
    def _missing_(cls, value: object) -> MessageType | None:
        # enum's hook for a value that is not a member: an octet gets its
        # member, made once and kept (it is not added to the named types)
        if type(value) is not int or not 0 <= value <= 255:
            return None
        member = _UNASSIGNED.get(value)
        if member is None:
            member = int.__new__(cls, value)
            member._name_ = f"TYPE_{value}"
            member._value_ = value
            _UNASSIGNED[value] = member
        return member


#: The MessageType members of the octets no RFC names, made on first use.
_UNASSIGNED: dict[int, MessageType] = {}
