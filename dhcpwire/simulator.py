"""``dhcpwire.simulator``: the public path of :mod:`dhcpwire.tools.simulator`,
which holds the code."""

from .tools.simulator import *  # noqa: F403
from .tools.simulator import __all__ as __all__
