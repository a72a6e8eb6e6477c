"""Deprecated path of :mod:`dhcpwire.wire.errors`:
import from ``dhcpwire`` or ``dhcpwire.wire.errors``.

Kept for one release; importing it warns.
"""

import warnings

from .wire.errors import *  # noqa: F403
from .wire.errors import DhcpwireDeprecationWarning
from .wire.errors import __all__ as __all__

warnings.warn("dhcpwire.errors is deprecated: import from dhcpwire or dhcpwire.wire.errors",
              DhcpwireDeprecationWarning, stacklevel=2)
