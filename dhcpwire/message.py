"""Deprecated path of :mod:`dhcpwire.wire.message`:
import from ``dhcpwire`` or ``dhcpwire.wire.message``.

Kept for one release; importing it warns.
"""

import warnings

from .wire.errors import DhcpwireDeprecationWarning
from .wire.message import *  # noqa: F403
from .wire.message import __all__ as __all__

warnings.warn("dhcpwire.message is deprecated: import from dhcpwire or dhcpwire.wire.message",
              DhcpwireDeprecationWarning, stacklevel=2)
