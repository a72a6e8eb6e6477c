"""``dhcpwire.pcap``: the public path of :mod:`dhcpwire.tools.pcap`,
which holds the code."""

from .tools.pcap import *  # noqa: F403
from .tools.pcap import __all__ as __all__
