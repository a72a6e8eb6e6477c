"""``dhcpwire.codes``: the public path of :mod:`dhcpwire.wire.codes`,
which holds the code."""

from .wire.codes import *  # noqa: F403
from .wire.codes import __all__ as __all__
