"""Deprecated path of :mod:`dhcpwire.wire.registry`:
import from ``dhcpwire`` or ``dhcpwire.wire.registry``.

Kept for one release; importing it warns.
"""

import warnings

from .wire.errors import DhcpwireDeprecationWarning
from .wire.registry import *  # noqa: F403
from .wire.registry import __all__ as __all__

warnings.warn("dhcpwire.registry is deprecated: import from dhcpwire or dhcpwire.wire.registry",
              DhcpwireDeprecationWarning, stacklevel=2)
