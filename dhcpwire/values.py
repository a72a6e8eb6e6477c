"""``dhcpwire.values``: the public path of :mod:`dhcpwire.wire.values`,
which holds the code."""

from .wire.values import *  # noqa: F403
from .wire.values import __all__ as __all__
