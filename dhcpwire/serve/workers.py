"""Worker processes: one server per CPU, each with its share of every pool, one database.

Rules of this module:

* With ``workers = N`` in the configuration, ``dhcpwire serve`` starts N
  processes. Each is a whole :class:`~.daemon.Daemon` -- its own server
  states, its own loop, its own connection to the one lease database
  (SQLite serialises their commits; each commit is durable before that
  worker's replies go out, as with one process).
* The kernel steers each client to one worker, always the same: every
  worker's socket on an interface joins one ``SO_REUSEPORT`` group, and a
  classic BPF program attached to the group picks the socket by the last
  octet of 'chaddr' (the program sees the UDP payload; 'chaddr' starts at
  octet 28) modulo N. The parent process opens the sockets in worker
  order before it forks, so socket k of a group is worker k's.
* Worker k hands out only its share of each pool (:func:`share`): the k-th
  of N consecutive pieces of every range. A client's worker owns the
  client's address, so no two workers ever give out the same address. A
  record outside every share (a reservation) belongs to the worker its
  hardware address steers to.
* The parent forwards SIGHUP, SIGTERM and SIGINT to the workers. If a
  worker dies, the parent stops the others and exits with status 1, so a
  supervisor (systemd's ``Restart=``) starts them all again on the same
  database.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import signal
import socket
import struct
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Final

from ..server import LeaseRecord, ServerConfig, Subnet
from .classes import ClassTable
from .config import ServeConfig
from .engine import log

__all__ = ["CHADDR_LAST", "owner", "run_workers", "share", "steer", "worker_config"]

#: Linux's SO_REUSEPORT and SO_ATTACH_REUSEPORT_CBPF (<asm-generic/socket.h>).
SO_REUSEPORT: Final = getattr(socket, "SO_REUSEPORT", 15)
SO_ATTACH_REUSEPORT_CBPF: Final = 51
#: Offset of the last octet of an Ethernet 'chaddr' in the DHCP message
#: (op, htype, hlen, hops: 4; xid 4; secs, flags 4; four addresses 16: 28).
CHADDR_LAST: Final = 28 + 5

Range = tuple[IPv4Address, IPv4Address]


def share(ranges: tuple[Range, ...], k: int, n: int) -> tuple[Range, ...]:
    """Worker ``k``'s part of ``ranges``: the k-th of ``n`` consecutive pieces of each."""
    out = []
    for lo, hi in ranges:
        first, size = int(lo), int(hi) - int(lo) + 1
        start = first + size * k // n
        end = first + size * (k + 1) // n - 1
        if start <= end:
            out.append((IPv4Address(start), IPv4Address(end)))
    return tuple(out)


def _subnet_share(subnet: Subnet, k: int, n: int) -> Subnet:
    return dataclasses.replace(subnet, pools=share(subnet.pools, k, n))


def _config_share(config: ServerConfig, k: int, n: int) -> ServerConfig:
    return dataclasses.replace(config, subnets=tuple(_subnet_share(s, k, n)
                                                     for s in config.subnets))


def worker_config(config: ServeConfig, k: int, n: int) -> ServeConfig:
    """The configuration worker ``k`` of ``n`` serves: its share of every pool."""
    classes = config.classes
    configs: list[ServerConfig | None] = []
    it = iter(classes.configs)
    for state in classes.states:
        configs.append(_config_share(next(it), k, n) if state else None)
    table = ClassTable(tuple(dataclasses.replace(c, pools=share(c.pools, k, n))
                             for c in classes.classes), tuple(configs), [classes.reserved])
    metrics = config.metrics_listen
    if metrics is not None:
        metrics = (metrics[0], metrics[1] + k)
    return dataclasses.replace(config, server=_config_share(config.server, k, n),
                               classes=table, metrics_listen=metrics)


def owner(record: LeaseRecord, n: int, shares: list[tuple[Range, ...]]) -> int:
    """The worker a stored record belongs to (see the module's rules)."""
    address = int(record.address)
    for k, ranges in enumerate(shares):
        if any(int(lo) <= address <= int(hi) for lo, hi in ranges):
            return k
    hw = record.hardware_address
    return hw[5] % n if len(hw) > 5 else 0


def shares(config: ServeConfig, n: int) -> list[tuple[Range, ...]]:
    """Every worker's ranges, over the default configuration and the class pools."""
    out = []
    for k in range(n):
        ranges: list[Range] = []
        for subnet in config.server.subnets:
            ranges.extend(share(subnet.pools, k, n))
        for cls in config.classes.classes:
            ranges.extend(share(cls.pools, k, n))
        out.append(tuple(ranges))
    return out


def steer(sock: socket.socket, n: int) -> None:
    """Attach the program that picks socket ``chaddr[5] % n`` of the socket's group."""
    # classic BPF: A = payload[33] (one octet); A = A % n; return A
    program = [(0x00 | 0x10 | 0x20, 0, 0, CHADDR_LAST),  # BPF_LD | BPF_B | BPF_ABS
               (0x04 | 0x90 | 0x00, 0, 0, n),            # BPF_ALU | BPF_MOD | BPF_K
               (0x06 | 0x10, 0, 0, 0)]                   # BPF_RET | BPF_A
    code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in program))
    fprog = struct.pack("HL", len(program), ctypes.addressof(code))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)


def run_workers(config: ServeConfig, n: int, make: Callable[[ServeConfig, int,
                                                            dict[str, socket.socket]], int],
                open_socket: Callable[[str], socket.socket],
                flush: Callable[[], None] | None = None) -> int:
    """Fork ``n`` workers, each running ``make(its config, k, its sockets)``; wait for them."""
    groups: dict[str, list[socket.socket]] = {}
    for name in config.interfaces:
        groups[name] = [open_socket(name) for _ in range(n)]
        steer(groups[name][0], n)
    children: dict[int, int] = {}
    for k in range(n):
        pid = os.fork()
        if pid == 0:  # the worker
            status = 1
            try:
                for socks in groups.values():
                    for j, sock in enumerate(socks):
                        if j != k:
                            sock.close()
                status = make(worker_config(config, k, n), k,
                              {name: socks[k] for name, socks in groups.items()})
            except BaseException:
                log.exception("worker %d failed", k)
            finally:
                if flush is not None:
                    with contextlib.suppress(Exception):
                        flush()
                os._exit(status)
        children[pid] = k
    for socks in groups.values():
        for sock in socks:
            sock.close()
    log.info("started %d workers: %s", n, ", ".join(str(p) for p in children))
    if flush is not None:
        flush()

    def forward(signum: int, _frame: object) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    status = 0
    stopping = False
    while children:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            break
        if pid not in children:
            continue
        k = children.pop(pid)
        exit_code = os.waitstatus_to_exitcode(code)
        if exit_code != 0 and not stopping:
            log.error("worker %d (pid %d) ended with status %d: stopping the others", k,
                      pid, exit_code)
            status = 1
            stopping = True
            forward(signal.SIGTERM, None)
        if flush is not None:
            flush()
    return status
