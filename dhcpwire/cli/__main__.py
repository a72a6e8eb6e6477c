"""``python -m dhcpwire.cli``: the same as the ``dhcpwire`` command."""

import sys

from .main import main

sys.exit(main())
