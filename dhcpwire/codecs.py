"""``dhcpwire.codecs``: the public path of :mod:`dhcpwire.wire.codecs`,
which holds the code."""

from .wire.codecs import *  # noqa: F403
from .wire.codecs import __all__ as __all__
