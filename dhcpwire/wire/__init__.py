"""The wire format: bytes to typed, immutable messages and back (RFC 2131, RFC 2132 and companions).

The bottom layer of dhcpwire; it imports nothing from the layers above it.
Its modules, from the bottom up:

* :mod:`.errors` (the exception tree), :mod:`.constants` (ports, the cookie,
  the enums), :mod:`.codes` (option codes by name), :mod:`.values` (the
  typed values of structured options);
* :mod:`.registry` (codecs, option specs, registries), :mod:`.codecs` (the
  shared value formats), :mod:`.mapping` (an immutable mapping of codes to
  values over one registry), :mod:`.table` (THE option table, one line per
  option);
* :mod:`.options` (a message's options field), :mod:`.message` (RFC 2131
  figure 1), :mod:`.decoder` and :mod:`.encoder` (the payload).
"""

from __future__ import annotations

from .constants import (
    BROADCAST_FLAG,
    CLIENT_PORT,
    INFINITE,
    MAGIC_COOKIE,
    SERVER_PORT,
    HType,
    MessageType,
    OpCode,
)
from .decoder import decode
from .encoder import encode
from .mapping import OptionMap
from .message import ZERO_ADDRESS, Message
from .options import Options
from .registry import Codec, OptionSpec, Registry
from .table import DEFAULT_REGISTRY, OPAQUE_SPACE, RELAY_AGENT_SPACE

__all__ = [
    "BROADCAST_FLAG",
    "CLIENT_PORT",
    "DEFAULT_REGISTRY",
    "INFINITE",
    "MAGIC_COOKIE",
    "OPAQUE_SPACE",
    "RELAY_AGENT_SPACE",
    "SERVER_PORT",
    "ZERO_ADDRESS",
    "Codec",
    "HType",
    "Message",
    "MessageType",
    "OpCode",
    "OptionMap",
    "OptionSpec",
    "Options",
    "Registry",
    "decode",
    "encode",
]
