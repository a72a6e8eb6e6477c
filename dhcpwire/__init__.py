"""dhcpwire: DHCPv4 messages, options and the RFC 2131 protocol, in pure Python.

The public names are re-exported here; see the docs for the guide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# dhcpwire.codes is the public path of these constants; the package binds the
# module itself (one module fewer to load at import)
from .wire import codes
from .wire.codes import *  # noqa: F403 - the option code constants are public API
from .wire.constants import (
    BROADCAST_FLAG,
    CLIENT_PORT,
    MAGIC_COOKIE,
    SERVER_PORT,
    HType,
    MessageType,
    OpCode,
)
from .wire.decoder import decode
from .wire.encoder import encode
from .wire.errors import (
    BadCompressionPointer,
    BadHeader,
    BadOptionLength,
    BadOptionValue,
    CaptureError,
    DataError,
    DecodeError,
    Defect,
    DhcpwireDeprecationWarning,
    DhcpwireError,
    DuplicateOption,
    EncodeError,
    MessageTooLarge,
    MissingEnd,
    OptionClash,
    OptionValueError,
    StateError,
    TrailingData,
    Truncated,
    TruncatedHeader,
    TruncatedOption,
)
from .wire.mapping import OptionMap
from .wire.message import ZERO_ADDRESS, Message
from .wire.options import Options
from .wire.registry import Codec, OptionSpec, Registry
from .wire.table import DEFAULT_REGISTRY, OPAQUE_SPACE, RELAY_AGENT_SPACE

if TYPE_CHECKING:
    from .wire.values import (
        Authentication,
        ClasslessRoute,
        ClientFQDN,
        ClientIdentifier,
        ClientNDI,
        MachineIdentifier,
        RelayAuthentication,
        SipServers,
        SixRd,
        UserClass,
        VendorClass,
        VendorInfo,
    )

def __getattr__(name: str) -> Any:
    # PEP 562: the value classes (``dhcpwire.ClasslessRoute`` and friends) are
    # the public names not bound here; they import dhcpwire.values when first
    # asked for, so ``import dhcpwire`` does not build a dozen dataclasses that
    # a program may never use.
    if name in _VALUES:
        from .wire import values

        return getattr(values, name)
    raise AttributeError(f"module 'dhcpwire' has no attribute {name!r}")

_VALUES = frozenset({
    "Authentication", "ClasslessRoute", "ClientFQDN", "ClientIdentifier", "ClientNDI",
    "MachineIdentifier", "RelayAuthentication", "SipServers", "SixRd", "UserClass",
    "VendorClass", "VendorInfo"})

__version__ = "0.2.0"

__all__ = [
    "BROADCAST_FLAG",
    "CLIENT_PORT",
    "DEFAULT_REGISTRY",
    "MAGIC_COOKIE",
    "OPAQUE_SPACE",
    "RELAY_AGENT_SPACE",
    "SERVER_PORT",
    "ZERO_ADDRESS",
    "Authentication",
    "BadCompressionPointer",
    "BadHeader",
    "BadOptionLength",
    "BadOptionValue",
    "CaptureError",
    "DataError",
    "ClasslessRoute",
    "ClientFQDN",
    "ClientIdentifier",
    "ClientNDI",
    "Codec",
    "DecodeError",
    "Defect",
    "DhcpwireDeprecationWarning",
    "DhcpwireError",
    "DuplicateOption",
    "EncodeError",
    "HType",
    "MachineIdentifier",
    "Message",
    "MessageTooLarge",
    "MessageType",
    "MissingEnd",
    "OpCode",
    "OptionClash",
    "OptionSpec",
    "OptionValueError",
    "OptionMap",
    "Options",
    "Registry",
    "RelayAuthentication",
    "SipServers",
    "SixRd",
    "StateError",
    "TrailingData",
    "Truncated",
    "TruncatedHeader",
    "TruncatedOption",
    "UserClass",
    "VendorClass",
    "VendorInfo",
    "codes",
    "decode",
    "encode",
    *codes.__all__,
]
