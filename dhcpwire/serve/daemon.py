"""The daemon: sockets on each interface, the receive loop, signals, logging.

Rules of this module:

* One loop, in batches: read every datagram waiting on every interface
  (up to :data:`BATCH`), answer each through the :class:`~.engine.Engine`,
  run the clock, and hand the batch's lease changes and replies to the
  :class:`~.writer.Writer`, which commits them in one transaction and only
  then sends the replies. No reply leaves before the lease change it
  depends on is durable.
* Replies go where :class:`~dhcpwire.server.Send` says, from the socket of
  the interface the request came in on: to a relay, to 'ciaddr', as an IP
  broadcast, or -- for a client that has no address yet -- as a frame
  addressed to its hardware address through :class:`~.rawpacket.RawSender`.
  Where no raw socket can be had (not Linux, not Ethernet), the reply is
  broadcast instead, as RFC 2131 section 4.1 allows.
* Signals: SIGHUP reloads the configuration (a bad file is logged and the
  old one kept; leases are rebuilt from the database, so none is lost);
  SIGTERM and SIGINT finish the batch in hand -- its commit and its
  replies -- and exit with status 0.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import logging
import selectors
import signal
import socket
import sys
import time
from collections.abc import Callable
from functools import partial
from ipaddress import IPv4Address
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from ..server import LeaseRecord
from ..wire.codes import SERVER_IDENTIFIER
from ..wire.constants import SERVER_PORT
from .config import ConfigError, ServeConfig, load
from .database import SQLiteLeaseDatabase
from .engine import Engine, Outgoing, log, type_name
from .metrics import Metrics, MetricsServer
from .rawpacket import RawSender, interface_address
from .workers import SO_REUSEPORT, owner, run_workers, shares, worker_config
from .writer import Writer

__all__ = ["BATCH", "Daemon", "JsonFormatter", "configure_logging", "serve"]

#: The most datagrams read before the batch is answered and committed.
BATCH: Final = 256
#: How often the counters are written to the lease database (seconds).
COUNTER_INTERVAL: Final = 5.0
#: The cyclic garbage collector's thresholds while the daemon runs (Python's
#: default is (700, 10, 10)). The per-packet work makes no reference cycles:
#: its objects die by reference counting, and the collector only walks the
#: lease tables again and again. Measured with benchmarks/perfdhcp.py at
#: 5,000 exchanges/s offered (four runs each, this project's 2-CPU machine):
#: default thresholds completed 4,038-4,363/s with 5-12% drops at 186-207 us
#: of CPU per exchange; these thresholds 4,614-4,951/s at 0.4-4% (154-179 us);
#: the collector switched off entirely 4,855-4,886/s (163-168 us).
GC_THRESHOLDS: Final = (20_000, 50, 100)
_RCVBUF: Final = 256 << 10
#: Linux's SO_RCVBUFFORCE (<asm-generic/socket.h>); the socket module lacks the name.
_SO_RCVBUFFORCE: Final = 33


def _events(record: logging.LogRecord) -> list[tuple[str, dict[str, object] | None]] | None:
    """The lease events a record carries, one per line (see ``Engine.commit``)."""
    events = getattr(record, "events", None)
    return events if isinstance(events, list) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, message, and each lease event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        base: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z", "level": record.levelname.lower()}
        events = _events(record)
        if events is None:
            return json.dumps({**base, "message": record.getMessage()}, separators=(",", ":"))
        return "\n".join(json.dumps({**base, "message": text, **(fields or {})},
                                    separators=(",", ":")) for text, fields in events)


class TextFormatter(logging.Formatter):
    """``2026-12-06 14:31:55,941 INFO message``, with the date part made once a second.

    A record with lease events gets the prefix on each of its lines.
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self._second = -1
        self._text = ""

    def formatTime(self, record: logging.LogRecord,
                   datefmt: str | None = None) -> str:
        second = int(record.created)
        if second != self._second:
            self._second = second
            self._text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._text},{int(record.msecs):03d}"

    def format(self, record: logging.LogRecord) -> str:
        events = _events(record)
        if events is None:
            return super().format(record)
        prefix = f"{self.formatTime(record)} {record.levelname} "
        return "\n".join(prefix + text for text, _ in events)


if TYPE_CHECKING:
    _StreamHandler = logging.StreamHandler[TextIO]
else:  # the type argument is for checkers; run time needs none
    _StreamHandler = logging.StreamHandler


class BatchHandler(_StreamHandler):
    """A stream handler that writes each line at once but flushes once per batch.

    The loop calls :meth:`flush_batch` after each batch's replies are sent:
    one write system call per batch instead of one per lease event.
    """

    def flush(self) -> None:
        return

    def flush_batch(self) -> None:
        super().flush()


def configure_logging(fmt: str, level: str, stream: TextIO | None = None) -> BatchHandler:
    """Log lines of the ``dhcpwire.serve`` logger to ``stream`` (stderr), as text or JSON."""
    # The logging HOWTO's "Optimization": a daemon logging a line per lease
    # event needs no caller, thread or process information in its records.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    if stream is None:
        # Standard error, block-buffered (Python makes it line-buffered): the
        # loop flushes once per batch, after the batch's replies.
        stream = open(sys.stderr.fileno(), "w", buffering=1 << 16, encoding="utf-8",  # noqa: SIM115
                      errors="replace", closefd=False)
    handler = BatchHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    for old in list(log.handlers):
        log.removeHandler(old)
    log.addHandler(handler)
    log.setLevel(level.upper())
    log.propagate = False
    return handler


def udp_socket(interface: str, *, reuseport: bool = False) -> socket.socket:
    """A non-blocking UDP socket on port 67 of ``interface`` (in a workers' group)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuseport:
            sock.setsockopt(socket.SOL_SOCKET, SO_REUSEPORT, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        # A burst waits in the socket while a batch is answered, so the buffer
        # is set (SO_RCVBUFFORCE, as root, past net.core.rmem_max) -- but kept
        # small: overloaded, a server with a deep queue answers only requests
        # their clients gave up on. 256 KiB (a few hundred datagrams, well under
        # 100 ms of work) did best under perfdhcp at and above saturation: at
        # 4,000/s offered 3,996/s with 0.04% drops, 1 MiB 3,349/s with 9%.
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, _RCVBUF)
        except OSError:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        # Linux: the socket takes and sends datagrams of this interface only, so
        # several interfaces each have a socket on port 67.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        sock.bind(("0.0.0.0", SERVER_PORT))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class Daemon:
    """``dhcpwire serve``: the engine on real interfaces, until SIGTERM."""

    def __init__(self, config: ServeConfig, *, interfaces: tuple[str, ...] = (),
                 handler: BatchHandler | None = None,
                 sockets: dict[str, socket.socket] | None = None,
                 worker: tuple[int, int] = (0, 1), full: ServeConfig | None = None) -> None:
        self.handler = handler
        #: (k, n): this process is worker k of n, serving ``config`` (its share of
        #: ``full``) on ``sockets`` that the parent opened (see :mod:`.workers`)
        self.worker = worker
        self.fixed_sockets: bool = sockets is not None
        #: interfaces given on the command line: they win over the file's, on reload too
        self.forced = interfaces
        if interfaces:
            config = _with_interfaces(config, interfaces)
        if not config.interfaces:
            raise ConfigError([("interfaces", "no interface to serve: set interface or "
                                              "interfaces, or give --interface")])
        self.config: ServeConfig = config
        self.database: SQLiteLeaseDatabase = SQLiteLeaseDatabase(config.lease_database)
        k, n = worker
        self.metrics: Metrics = Metrics(constant={"worker": str(k)} if n > 1 else None)
        self.engine: Engine = Engine(config.configs, config.classes, self.database, self.metrics,
                             structured_logs=config.log_format == "json",
                             owns=_owns(full or config, k, n))
        self.sockets: dict[str, socket.socket] = {}
        self.raw: dict[str, RawSender | None] = {}
        self.sources: dict[str, IPv4Address | None] = {}
        self.selector: selectors.DefaultSelector = selectors.DefaultSelector()
        self.metrics_server: MetricsServer | None = None
        self._stop = False
        self._reload = False
        self._saved = 0.0
        self._now = 0.0
        self._buffer = bytearray(65536)
        #: text <-> IPv4Address of the peers seen (bounded): parsing and printing
        #: an address costs more than the rest of a datagram's socket work
        self._hosts: dict[str, IPv4Address] = {}
        self._texts: dict[IPv4Address, str] = {}
        if sockets is not None:
            for name, sock in sockets.items():
                self.sockets[name] = sock
                self.selector.register(sock, selectors.EVENT_READ, name)
        else:
            self._open(config.interfaces)
        if config.metrics_listen is not None:
            self.metrics_server = MetricsServer(self.metrics, config.metrics_listen)
        self.writer: Writer = Writer(self.database, self.transmit, self.engine.written,
                             handler.flush_batch if handler is not None else _nothing)

    # -- sockets ----------------------------------------------------------------------------
    def _open(self, interfaces: tuple[str, ...]) -> None:
        for name in interfaces:
            if name not in self.sockets:
                sock = udp_socket(name)
                self.sockets[name] = sock
                self.selector.register(sock, selectors.EVENT_READ, name)
        for name in [n for n in self.sockets if n not in interfaces]:
            sock = self.sockets.pop(name)
            self.selector.unregister(sock)
            sock.close()
            sender = self.raw.pop(name, None)
            if sender is not None:
                sender.close()
            self.sources.pop(name, None)

    def _raw(self, interface: str) -> RawSender | None:
        if interface not in self.raw:
            try:
                self.raw[interface] = RawSender(interface)
            except OSError as exc:
                log.warning("no raw packet path on %s (%s): replies to clients without an "
                            "address are broadcast", interface, exc)
                self.raw[interface] = None
        return self.raw[interface]

    def _source(self, interface: str, out: Outgoing) -> IPv4Address:
        if interface not in self.sources:
            self.sources[interface] = interface_address(interface)
        address = self.sources[interface]
        if address is None:
            sid = out.send.message.options.raw_map.get(SERVER_IDENTIFIER, b"")
            address = IPv4Address(sid) if len(sid) == 4 else IPv4Address(0)
        return address

    def transmit(self, out: Outgoing) -> None:
        send = out.send
        interface = send.interface or self.config.interfaces[0]
        sock = self.sockets.get(interface) or next(iter(self.sockets.values()))
        destination = send.destination
        hw = send.hardware_address
        kind = send.message.options.raw_map.get(53, b"")
        try:
            if hw is not None:
                sender = self._raw(interface) if len(hw) == 6 and send.message.htype == 1 \
                    else None
                if sender is not None:
                    sender.send(out.payload, destination_mac=hw, destination=destination,
                                source=self._source(interface, out), source_port=SERVER_PORT,
                                destination_port=send.port)
                    self._sent(kind, destination, send.port, hw)
                    return
                destination = IPv4Address("255.255.255.255")
            text = self._texts.get(destination)
            if text is None:
                if len(self._texts) > 4096:
                    self._texts.clear()
                text = self._texts[destination] = str(destination)
            sock.sendto(out.payload, (text, send.port))
            self._sent(kind, text, send.port, None)
        except OSError as exc:
            self.metrics.add("dhcpwire_send_errors_total")
            log.warning("send to %s:%d on %s failed: %s", destination, send.port, interface,
                        exc)

    @staticmethod
    def _sent(kind: bytes, destination: object, port: int, hw: bytes | None) -> None:
        # the arguments as they are: formatting them (str of an IPv4Address is
        # built in Python) is for when the line is written
        if log.isEnabledFor(logging.DEBUG):
            log.debug("send DHCP%s to %s:%d%s", type_name(kind or None), destination, port,
                      "" if hw is None else f" chaddr={hw.hex(':')}")

    # -- the loop ---------------------------------------------------------------------------
    def _signals(self) -> tuple[socket.socket, socket.socket]:
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)

        def stop(_n: int, _f: object) -> None:
            self._stop = True

        def reload(_n: int, _f: object) -> None:
            self._reload = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)
        self.selector.register(wake_r, selectors.EVENT_READ, None)
        return wake_r, wake_w

    def step(self, timeout: float | None) -> int:
        """One batch: read, answer, run the clock, commit, send. Returns the datagrams read."""
        engine = self.engine
        batch: list[tuple[bytes, str, IPv4Address, int]] = []
        buffer = memoryview(self._buffer)
        hosts = self._hosts
        for key, _ in self.selector.select(timeout):
            if key.data is None:  # the signal wake-up socket
                with contextlib.suppress(OSError):
                    key.fileobj.recv(512)  # type: ignore[union-attr]
                continue
            sock: socket.socket = key.fileobj  # type: ignore[assignment]
            while len(batch) < BATCH:
                try:
                    n, (host, port) = sock.recvfrom_into(buffer)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:
                    log.warning("receive on %s failed: %s", key.data, exc)
                    break
                source = hosts.get(host)
                if source is None:
                    if len(hosts) > 4096:
                        hosts.clear()
                    source = hosts[host] = IPv4Address(host)
                batch.append((buffer[:n].tobytes(), key.data, source, port))
        # The server takes no step back in time (a clock set back by NTP would be
        # caller misuse): the wall clock, never less than the last batch's.
        now = self._now = max(time.time(), self._now)
        outgoing: list[Outgoing] = []
        for data, interface, source, port in batch:
            outgoing += engine.receive(data, interface=interface, source=source, now=now,
                                       source_port=port)
        engine.tick(now)
        if now - self._saved >= COUNTER_INTERVAL:
            self.database.save_counters(self.metrics.flat())
            self._saved = now
        pending, events = engine.detach()
        if pending or outgoing or events:
            # durable first, then the replies (see .writer)
            self.writer.submit(pending, outgoing, events)
        return len(batch)

    def reload(self) -> bool:
        """Read the configuration file again; keep the old one if the new is bad."""
        source = self.config.source
        if source is None:
            return False
        try:
            config = load(source)
            if self.forced or not config.interfaces:
                config = _with_interfaces(config, self.forced or self.config.interfaces)
            if config.lease_database != self.config.lease_database:
                raise ConfigError([("lease_database", "cannot change on reload; restart")])
            k, n = self.worker
            if n > 1 or config.workers != n:
                if config.workers != n or set(config.interfaces) != set(self.sockets):
                    raise ConfigError([("workers", "workers and interfaces change only "
                                                   "with a restart")])
                self.engine.owns = _owns(config, k, n)
                config = worker_config(config, k, n)
            self.engine.commit()
            if not self.fixed_sockets:
                self._open(config.interfaces)
            records = self.engine.rebuild(config.configs, config.classes)
        except (ConfigError, OSError, ValueError) as exc:
            log.error("reload of %s failed, the running configuration stays:\n%s", source, exc)
            return False
        self.config = config
        self.sources.clear()
        log.info("reloaded %s: %d lease records", source, records)
        return True

    def run(self) -> int:
        wake_r, wake_w = self._signals()
        k, n = self.worker
        log.info("start %s server=%s records=%d database=%s%s",
                 ",".join(self.config.interfaces), self.config.server.server_identifier,
                 len(self.engine.status), self.config.lease_database,
                 f" worker={k}/{n}" if n > 1 else "")
        if self.handler is not None:
            self.handler.flush_batch()
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        _settle()
        try:
            while not self._stop:
                deadline = self.engine.next_deadline()
                timeout = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.time()))
                self.step(timeout)
                if self._reload:
                    self._reload = False
                    self.reload()
                    _settle()
                    if self.handler is not None:
                        self.handler.flush_batch()
        finally:
            gc.unfreeze()
            gc.set_threshold(*thresholds)
            self.close()
            signal.set_wakeup_fd(-1)
            wake_r.close()
            wake_w.close()
        log.info("exit")
        if self.handler is not None:
            self.handler.flush_batch()
        return 0

    def close(self) -> None:
        self.database.save_counters(self.metrics.flat())
        self.database.close()
        for sock in self.sockets.values():
            sock.close()
        for sender in self.raw.values():
            if sender is not None:
                sender.close()
        if self.metrics_server is not None:
            self.metrics_server.close()


def _nothing() -> None:
    return


def _settle() -> None:
    """Collect once, then leave what is alive now (modules, configuration, the
    lease tables rebuilt from the database) out of every later collection
    (:func:`gc.freeze`): a restart with a million leases would otherwise walk
    them in each full collection. They are still freed when no longer used."""
    gc.collect()
    gc.freeze()


def _owns(config: ServeConfig, k: int, n: int) -> Callable[[LeaseRecord], bool] | None:
    """Worker k's test of a stored record (None: a lone process owns them all)."""
    if n == 1:
        return None
    ranges = shares(config, n)
    return lambda record: owner(record, n, ranges) == k


def _with_interfaces(config: ServeConfig, interfaces: tuple[str, ...]) -> ServeConfig:
    return dataclasses.replace(config, interfaces=interfaces)


def serve(path: Path, *, interfaces: tuple[str, ...] = (), log_format: str | None = None,
          log_level: str | None = None, stream: TextIO | None = None) -> int:
    """Load ``path`` and serve until SIGTERM (the ``dhcpwire serve`` command)."""
    config = load(path)
    fmt = log_format or config.log_format
    if fmt != config.log_format:
        config = dataclasses.replace(config, log_format=fmt)
    handler = configure_logging(fmt, log_level or config.log_level, stream)
    if config.workers == 1:
        return Daemon(config, interfaces=interfaces, handler=handler).run()
    if interfaces:
        config = _with_interfaces(config, interfaces)
    if not config.interfaces:
        raise ConfigError([("interfaces", "no interface to serve")])
    n = config.workers
    full = config
    # the schema and the WAL mode are set once, here, before the workers open the file
    SQLiteLeaseDatabase(config.lease_database).close()

    def work(share: ServeConfig, k: int, sockets: dict[str, socket.socket]) -> int:
        return Daemon(share, handler=handler, sockets=sockets, worker=(k, n), full=full).run()

    return run_workers(config, n, work, partial(udp_socket, reuseport=True),
                       handler.flush_batch)
