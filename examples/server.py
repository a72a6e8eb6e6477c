"""A DHCP server from Python: what ``dhcpwire serve`` does, in a few lines.

Run as root (UDP port 67 and raw frames on the interface)::

    python examples/server.py --config server.toml --interface eth0

The daemon is :mod:`dhcpwire.serve`, the same one the ``dhcpwire serve``
command runs: the configuration file of docs/serve.rst (checked, with the key
path of every problem), a durable SQLite lease database that every lease
change is committed to before its reply goes out, replies to clients without
an address as frames addressed to their hardware address, a log line per
lease event, SIGHUP to reload and SIGTERM to stop. This example only shows
the three calls a program of your own makes; for a loop of your own around
the pure server, see the socket example in docs/server.rst.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dhcpwire.serve import ConfigError, Daemon, configure_logging, load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="TOML (or .json) file")
    parser.add_argument("--interface", action="append", default=[],
                        help="interface to serve (repeatable; default: the file's)")
    args = parser.parse_args(argv)
    try:
        config = load(args.config)  # every problem, each with its key path
    except ConfigError as exc:
        print(f"{args.config}:\n{exc}", file=sys.stderr)
        return 1
    handler = configure_logging(config.log_format, config.log_level)
    return Daemon(config, interfaces=tuple(args.interface), handler=handler).run()


if __name__ == "__main__":
    sys.exit(main())
