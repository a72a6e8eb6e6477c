"""The ``dhcpwire`` command: decode, lint and demo (the top layer; nothing imports it).

:mod:`.main` parses the command line and runs each command; :mod:`.render`
shows messages as text and JSON; :mod:`.demo` runs the client and server
machines against each other on a virtual clock.
"""

from __future__ import annotations

from .main import build_parser, main

__all__ = ["build_parser", "main"]
