"""Deprecated path of :func:`dhcpwire.decode` and :func:`dhcpwire.encode`
(now :mod:`dhcpwire.wire.decoder` and :mod:`dhcpwire.wire.encoder`).

Kept for one release; importing it warns.
"""

import warnings

from .wire.decoder import decode
from .wire.encoder import encode
from .wire.errors import DhcpwireDeprecationWarning

__all__ = ["decode", "encode"]

warnings.warn("dhcpwire.encoding is deprecated: import decode and encode from dhcpwire",
              DhcpwireDeprecationWarning, stacklevel=2)
