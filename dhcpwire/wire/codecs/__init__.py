"""The value codecs: a few shared formats that every line of the option table uses.

Rules of this package:

* Each codec is a small object with a length rule and ``decode``/``encode``
  (see :class:`~dhcpwire.wire.registry.Codec`). Codecs with parameters (a
  sub-option space, whether names may be compressed) take them in ``__init__``.
* ``decode`` raises only :class:`~dhcpwire.wire.registry.Malformed`, with an
  offset relative to the value; ``encode`` raises only ``TypeError`` or
  ``ValueError``.
* Addresses are :class:`ipaddress.IPv4Address`, lists are tuples, text is
  ``str``; structured values are the dataclasses of :mod:`dhcpwire.wire.values`.

The modules: :mod:`.basic` (numbers, text and bytes, addresses, and what
every codec shares), :mod:`.names` (RFC 1035 domain names),
:mod:`.structured` (identifiers, vendor data, authentication) and
:mod:`.suboptions` (encapsulated option spaces).
"""

from __future__ import annotations

from .basic import (
    IPV4,
    IPV4_LIST,
    TEXT,
    AddressPairs,
    BoolCodec,
    BytesCodec,
    ClasslessRoutesCodec,
    EmptyCodec,
    IntCodec,
    IntListCodec,
    IPv4Codec,
    IPv4ListCodec,
    ListOfCodec,
    MessageTypeCodec,
    StructCodec,
    TaggedCodec,
    TextCodec,
    ip4,
)
from .names import ClientFQDNCodec, DomainListCodec, DomainNameCodec, SipServersCodec
from .structured import (
    AuthenticationCodec,
    ClientIdentifierCodec,
    ClientNDICodec,
    MachineIdCodec,
    RadiusAttributesCodec,
    RelayAuthenticationCodec,
    SixRdCodec,
    UserClassCodec,
    VendorClassCodec,
    VendorInfoCodec,
)
from .suboptions import SubOptionsCodec

__all__ = [
    "IPV4",
    "IPV4_LIST",
    "TEXT",
    "AddressPairs",
    "AuthenticationCodec",
    "BoolCodec",
    "BytesCodec",
    "ClasslessRoutesCodec",
    "ClientFQDNCodec",
    "ClientIdentifierCodec",
    "ClientNDICodec",
    "DomainListCodec",
    "DomainNameCodec",
    "EmptyCodec",
    "IPv4Codec",
    "IPv4ListCodec",
    "IntCodec",
    "IntListCodec",
    "ListOfCodec",
    "MachineIdCodec",
    "MessageTypeCodec",
    "RadiusAttributesCodec",
    "RelayAuthenticationCodec",
    "SipServersCodec",
    "SixRdCodec",
    "StructCodec",
    "SubOptionsCodec",
    "TaggedCodec",
    "TextCodec",
    "UserClassCodec",
    "VendorClassCodec",
    "VendorInfoCodec",
    "ip4",
]
