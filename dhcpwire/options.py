"""Deprecated path of :mod:`dhcpwire.wire.options`:
import from ``dhcpwire`` or ``dhcpwire.wire.options``.

Kept for one release; importing it warns.
"""

import warnings

from .wire.errors import DhcpwireDeprecationWarning
from .wire.options import *  # noqa: F403
from .wire.options import __all__ as __all__

warnings.warn("dhcpwire.options is deprecated: import from dhcpwire or dhcpwire.wire.options",
              DhcpwireDeprecationWarning, stacklevel=2)
