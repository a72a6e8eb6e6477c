"""The daemon runs Python's cyclic garbage collector its own way, and gives it back.

``Daemon.run`` sets the collector's thresholds to ``GC_THRESHOLDS`` and
freezes what is alive at start (``gc.freeze``): the per-packet work makes no
reference cycles, and with the default thresholds the collector walked the
lease tables often enough to cost about a fifth of the daemon's CPU time under
perfdhcp (docs/benchmarks.rst). When ``run`` returns, the interpreter's own
settings are back, so a daemon run in-process leaves nothing behind.
"""

from __future__ import annotations

import gc
import socket
from pathlib import Path

from dhcpwire.serve.config import parse
from dhcpwire.serve.daemon import GC_THRESHOLDS, Daemon


def test_run_uses_the_daemon_thresholds_and_frozen_start_then_restores_both(
        tmp_path: Path) -> None:
    config = parse({"interface": "lo", "server_identifier": "10.80.0.1",
                    "lease_database": f"sqlite:///{tmp_path / 'leases.sqlite'}",
                    "subnets": [{"network": "10.80.0.0/24", "pools": ["10.80.0.10-10.80.0.20"]}]})
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))  # loopback only: no datagram is sent
    sock.setblocking(False)
    daemon = Daemon(config, sockets={"lo": sock})
    seen: list[tuple[tuple[int, int, int], int]] = []

    def one_step(timeout: float | None) -> int:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        daemon._stop = True
        return 0

    daemon.step = one_step  # type: ignore[method-assign]
    before = gc.get_threshold()
    assert before != GC_THRESHOLDS
    assert daemon.run() == 0
    (thresholds, frozen), = seen
    assert thresholds == GC_THRESHOLDS
    assert frozen > 0  # the start's objects are out of every collection
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
