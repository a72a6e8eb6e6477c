"""``dhcpwire serve`` and ``dhcpwire leases``: run the server, list its lease database.

``dhcpwire serve --config FILE`` runs the daemon of :mod:`dhcpwire.serve`
until SIGTERM; ``--check`` only checks the file and prints every problem
with its key path. ``dhcpwire leases --config FILE`` lists the active
leases of the configuration's lease database (``--json``, ``--all`` for
every record), and ``--stats`` the pool use per subnet and the counters
the daemon last saved. Exit status: 0 success, 1 a problem the output
explains, 2 a bad command line.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..serve import SQLiteLeaseDatabase

__all__ = ["add_commands"]

_EPILOG_SERVE = """\
examples:
  dhcpwire serve --check --config /etc/dhcpwire/server.toml
  dhcpwire serve --config /etc/dhcpwire/server.toml
  dhcpwire serve --config server.toml --interface eth1 --log-format json

signals: SIGHUP reloads the file (leases are kept); SIGTERM finishes the
packets in hand and exits. Needs root (UDP port 67, raw packets).
"""

_EPILOG_LEASES = """\
examples:
  dhcpwire leases --config /etc/dhcpwire/server.toml
  dhcpwire leases --config server.toml --json
  dhcpwire leases --config server.toml --stats
"""


def add_commands(sub: Any) -> None:
    """Register ``serve`` and ``leases`` on the ``dhcpwire`` command's subparsers."""
    fmt = argparse.RawDescriptionHelpFormatter
    srv = sub.add_parser(
        "serve", help="run a DHCP server from a TOML configuration",
        description="Serve DHCP on the configured interfaces, with a durable SQLite lease "
                    "database, until SIGTERM.", epilog=_EPILOG_SERVE, formatter_class=fmt)
    srv.add_argument("--config", type=Path, required=True, metavar="FILE",
                     help="the configuration (TOML; JSON for a .json file)")
    srv.add_argument("--check", action="store_true",
                     help="check the configuration, print every problem, and exit")
    srv.add_argument("--interface", action="append", default=[], metavar="NAME",
                     help="serve this interface instead of the file's (repeatable)")
    srv.add_argument("--log-format", choices=("text", "json"),
                     help="log lines as text or JSON objects (default: the file's, or text)")
    srv.add_argument("--log-level", choices=("debug", "info", "warning", "error"),
                     help="debug adds a line per message received and sent")
    srv.set_defaults(func=_serve_command)

    lst = sub.add_parser(
        "leases", help="list the leases of a server's lease database",
        description="List the active leases (offered, bound or declined, not yet ended) "
                    "of the lease database a configuration names.",
        epilog=_EPILOG_LEASES, formatter_class=fmt)
    lst.add_argument("--config", type=Path, required=True, metavar="FILE")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.add_argument("--all", action="store_true",
                     help="every record, also released, expired and free addresses")
    lst.add_argument("--stats", action="store_true",
                     help="pool use per subnet and the daemon's counters instead")
    lst.set_defaults(func=_leases_command)


def _serve_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # imported here: the other commands need neither sqlite3 nor sockets
    from ..serve import ConfigError, load, serve
    try:
        if args.check:
            config = load(args.config)
            interfaces = tuple(args.interface) or config.interfaces
            subnets = len(config.server.subnets)
            classes = len(config.classes.classes)
            out.write(f"{args.config}: OK: {subnets} subnet{'s' * (subnets != 1)}, "
                      f"{classes} class{'es' * (classes != 1)}, interfaces "
                      f"{', '.join(interfaces) or '(none: give --interface)'}, "
                      f"lease database {config.lease_database}\n")
            return 0 if interfaces else 1
        return serve(args.config, interfaces=tuple(args.interface),
                     log_format=args.log_format, log_level=args.log_level,
                     stream=None if err is sys.stderr else err)
    except ConfigError as exc:
        for path, message in exc.problems:
            err.write(f"dhcpwire: {args.config}: {path + ': ' if path else ''}{message}\n")
        return 1
    except (OSError, sqlite3.Error) as exc:
        err.write(f"dhcpwire: serve: {exc}\n")
        return 1


def _when(expires: float | None) -> str:
    if expires is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(expires))


def _leases_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..serve import ConfigError, SQLiteLeaseDatabase, load
    try:
        config = load(args.config)
        database = SQLiteLeaseDatabase(config.lease_database, create=False)
    except ConfigError as exc:
        for path, message in exc.problems:
            err.write(f"dhcpwire: {args.config}: {path + ': ' if path else ''}{message}\n")
        return 1
    except (OSError, ValueError, sqlite3.Error) as exc:
        err.write(f"dhcpwire: leases: {exc}\n")
        return 1
    try:
        if args.stats:
            return _stats(config.configs, config.classes, database, args.json, out)
        rows = database.rows(everything=args.all)
        if args.json:
            json.dump([r.to_json() for r in rows], out, indent=1)
            out.write("\n")
            return 0
        header = ("ADDRESS", "HARDWARE ADDRESS", "CLIENT ID", "HOSTNAME", "STATE", "EXPIRES")
        table = [header] + [(str(r.address), r.hardware_address, r.client_id or "-",
                             r.hostname or "-", r.state, _when(r.expires)) for r in rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                      + "\n")
        return 0
    finally:
        database.db.close()


def _stats(configs: Any, classes: Any, database: SQLiteLeaseDatabase, as_json: bool,
           out: TextIO) -> int:
    from ..serve import Engine
    gauges = Engine(configs, classes, database).gauges()
    counters = database.counters()
    subnets: dict[str, dict[str, float]] = {}
    states: dict[str, float] = {}
    for (name, labels), value in gauges.items():
        label = dict(labels)
        if name == "dhcpwire_leases":
            states[label["state"]] = value
        else:
            key = "size" if name == "dhcpwire_pool_addresses" else "used"
            subnets.setdefault(label["subnet"], {})[key] = value
    if as_json:
        json.dump({"subnets": subnets, "leases": states, "counters": counters}, out, indent=1)
        out.write("\n")
        return 0
    for subnet, use in sorted(subnets.items()):
        size = int(use.get("size", 0))
        used = int(use.get("used", 0))
        share = f" ({100 * used / size:.1f}%)" if size else ""
        out.write(f"subnet {subnet}: {used} of {size} pool addresses in use{share}\n")
    out.write("lease records: " + (", ".join(f"{k} {int(v)}" for k, v in sorted(states.items()))
                                   or "none") + "\n")
    out.write("counters (as the daemon last saved them):\n" if counters else "no counters yet\n")
    for name, value in counters.items():
        out.write(f"  {name} {int(value) if value == int(value) else value}\n")
    return 0
