"""Deprecated path of :mod:`dhcpwire.wire.constants`:
import from ``dhcpwire`` or ``dhcpwire.wire.constants``.

Kept for one release; importing it warns.
"""

import warnings

from .wire.constants import *  # noqa: F403
from .wire.constants import __all__ as __all__
from .wire.errors import DhcpwireDeprecationWarning

warnings.warn("dhcpwire.constants is deprecated: import from dhcpwire or dhcpwire.wire.constants",
              DhcpwireDeprecationWarning, stacklevel=2)
