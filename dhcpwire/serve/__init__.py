"""``dhcpwire serve``: the DHCP server as a daemon people run (layer 3, beside the tools).

The pure server (:mod:`dhcpwire.server`) decides; this package owns what it
must not: sockets, the clock, files. Its modules: :mod:`.config` (the TOML
file, checked, with key paths in its errors), :mod:`.classes` (client
classes as per-class server configurations), :mod:`.database` (the SQLite
lease database every lease action is committed to before the reply goes
out), :mod:`.engine` (one datagram: decode leniently, route, handle,
record, log), :mod:`.rawpacket` (frames to a client's hardware address),
:mod:`.metrics` (counters as Prometheus text) and :mod:`.daemon` (the
sockets, the batch loop, SIGHUP and SIGTERM).
"""

from __future__ import annotations

from .classes import ClassTable, ClientClass, Condition
from .config import ConfigError, ServeConfig, load, parse
from .daemon import Daemon, configure_logging, serve
from .database import LeaseDatabase, LeaseRow, SQLiteLeaseDatabase
from .engine import Engine, Outgoing
from .metrics import Metrics, MetricsServer, render
from .rawpacket import RawSender, checksum, udp_frame

__all__ = [
    "ClassTable",
    "ClientClass",
    "Condition",
    "ConfigError",
    "Daemon",
    "Engine",
    "LeaseDatabase",
    "LeaseRow",
    "Metrics",
    "MetricsServer",
    "Outgoing",
    "RawSender",
    "SQLiteLeaseDatabase",
    "ServeConfig",
    "checksum",
    "configure_logging",
    "load",
    "parse",
    "render",
    "serve",
    "udp_frame",
]
