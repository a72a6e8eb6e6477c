"""``python -m dhcpwire``: the same as the ``dhcpwire`` command."""

import sys

from .cli import main

sys.exit(main())
