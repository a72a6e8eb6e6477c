"""ISC perfdhcp against ``dhcpwire serve`` and against ISC Kea, on one namespace link, in one run.

Usage (root; Debian's kea-admin ships perfdhcp, kea-dhcp4-server the server)::

    python benchmarks/perfdhcp.py                         # rates 500..8000/s, 10 s each
    python benchmarks/perfdhcp.py --rates 2000,4000 --duration 20
    python benchmarks/perfdhcp.py --servers dhcpwire --workers 2
    python benchmarks/perfdhcp.py --servers dhcpwire,kea,floor   # with the socket floor

Rules of this script:

* Two network namespaces joined by a veth pair: the server's (10.78.0.1/16)
  and perfdhcp's (10.78.0.2/16). perfdhcp plays a relay agent ('giaddr'
  10.78.0.2), as it does by default, and runs full DORA exchanges from up
  to ``--clients`` distinct hardware addresses; the pool is 10.78.1.0 -
  10.78.254.255 (65,024 addresses), the lease 3,600 s.
* Each (server, rate) pair gets a fresh server with an empty lease
  database, started, measured for ``--duration`` seconds, and stopped.
  ``dhcpwire serve`` runs as shipped: SQLite lease database with WAL and
  ``synchronous=FULL``, every lease change committed before its reply.
  Kea runs with its memfile backend (``persist: true``).
* Logging is the same for both (each to a file). ``--logging shipped``
  (the default): each at its packaged level -- dhcpwire ``info``, Kea
  ``INFO`` as Debian's ``/etc/kea/kea-dhcp4.conf`` has it -- at which both
  write a line per lease offered and per lease allocated (Kea's
  DHCP4_LEASE_ADVERT and DHCP4_LEASE_ALLOC). ``--logging quiet``: both at
  warning level, no line per lease. (Until 2026-12-06 the script ran Kea
  at WARN and dhcpwire at info.)
* Printed per rate: perfdhcp's 4-way exchange rate, the drop ratios of
  DISCOVER-OFFER and REQUEST-ACK, and the server's CPU time (user + system,
  all its processes) per completed exchange -- on a shared machine the
  rates move with the other load, the CPU cost much less; then, per
  server, the highest rate completed with under 1% drops in both, and the
  ratio dhcpwire / Kea. The load average is printed before and after.
* ``--servers floor`` adds ``benchmarks/udp_floor.py``: a Python responder
  that answers with fixed replies and keeps nothing, whose CPU per
  exchange is what the socket calls and the interpreter's loop cost alone
  on this link -- the part of dhcpwire's cost no change to dhcpwire removes.
* Not part of the test suite: it takes minutes and its numbers depend on
  the machine. Every wait is bounded; namespaces are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.interop.harness import Link, Namespace, Process, wait_for  # noqa: E402

SERVER_IP = "10.78.0.1"
CLIENT_IP = "10.78.0.2"
NETWORK = "10.78.0.0/16"
POOL = ("10.78.1.0", "10.78.254.255")
LEASE = 3600


@dataclass
class Result:
    server: str
    offered: int
    rate: float
    drops_do: float
    drops_ra: float
    sent: int
    received: int
    cpu: float = 0.0  # server CPU seconds during the run

    @property
    def cpu_us(self) -> float:
        """Server CPU microseconds per completed exchange."""
        done = self.rate * self.duration
        return 1e6 * self.cpu / done if done else 0.0

    duration: int = 1

    @property
    def clean(self) -> bool:
        return self.drops_do < 1.0 and self.drops_ra < 1.0


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def port_67_bound(ns: Namespace) -> bool:
    """Whether a UDP socket is bound to port 67 in ``ns`` (the server is up: at
    warning level dhcpwire logs nothing when it starts)."""
    return bool(ns.run("ss", "-Huln", "sport = :67", check=False).stdout.strip())


def start_dhcpwire(ns: Namespace, work: Path, workers: int, logging: str) -> Process:
    config = {
        "interface": "eth0", "server_identifier": SERVER_IP, "lease_time": LEASE,
        "log_level": "info" if logging == "shipped" else "warning",
        "lease_database": f"sqlite:///{work / 'leases.sqlite'}",
        "subnets": [{"network": NETWORK, "pools": [f"{POOL[0]}-{POOL[1]}"],
                     "router": [SERVER_IP], "dns_servers": [SERVER_IP]}]}
    if workers > 1:
        config["workers"] = workers
    path = work / "dhcpwire.json"
    path.write_text(json.dumps(config, indent=1))
    proc = ns.start(sys.executable, "-m", "dhcpwire", "serve", "--config", str(path),
                    name="dhcpwire", env=python_env(), cwd=work)
    wait_for(lambda: port_67_bound(ns) or not proc.alive(), 20, "dhcpwire to start")
    if not proc.alive():
        raise SystemExit(f"dhcpwire serve did not start:\n{proc.output()}")
    return proc


def start_kea(ns: Namespace, work: Path, _workers: int, logging: str) -> Process:
    config = {"Dhcp4": {
        "interfaces-config": {"interfaces": ["eth0"], "dhcp-socket-type": "udp"},
        "lease-database": {"type": "memfile", "name": str(work / "kea.leases"),
                           "persist": True, "lfc-interval": 0},
        "valid-lifetime": LEASE,
        "subnet4": [{"id": 1, "subnet": NETWORK, "pools": [{"pool": f"{POOL[0]} - {POOL[1]}"}],
                     "option-data": [{"name": "routers", "data": SERVER_IP},
                                     {"name": "domain-name-servers", "data": SERVER_IP}]}],
        # Debian's /etc/kea/kea-dhcp4.conf ships "severity": "INFO", at which
        # Kea logs each lease it offers and allocates, as dhcpwire does
        "loggers": [{"name": "kea-dhcp4", "severity": "INFO" if logging == "shipped" else "WARN",
                     "output_options": [{"output": "stdout"}]}]}}
    path = work / "kea.json"
    path.write_text(json.dumps(config, indent=1))
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "KEA_PIDFILE_DIR": str(work),
           "KEA_LOCKFILE_DIR": str(work), "KEA_LOGGER_DESTINATION": "stdout"}
    proc = ns.start("kea-dhcp4", "-c", str(path), name="kea", env=env)
    time.sleep(2.0)  # Kea prints nothing at WARN when it is ready
    if not proc.alive():
        raise SystemExit(f"kea-dhcp4 did not start:\n{proc.output()}")
    return proc


def start_floor(ns: Namespace, work: Path, _workers: int, _logging: str) -> Process:
    proc = ns.start(sys.executable, str(ROOT / "benchmarks" / "udp_floor.py"), SERVER_IP,
                    "eth0", name="floor", env=python_env(), cwd=work)
    wait_for(lambda: " start " in proc.output() or not proc.alive(), 20, "the floor to start")
    if not proc.alive():
        raise SystemExit(f"the socket floor did not start:\n{proc.output()}")
    return proc


STARTERS = {"dhcpwire": start_dhcpwire, "kea": start_kea, "floor": start_floor}


def parse(server: str, offered: int, text: str) -> Result:
    rate = re.search(r"Rate:\s*([\d.]+)", text)
    blocks = re.split(r"\*\*\*Statistics for: ", text)
    drops: dict[str, float] = {}
    counts: dict[str, tuple[int, int]] = {}
    for block in blocks[1:]:
        name = block.split("*", 1)[0].strip()
        ratio = re.search(r"drops ratio:\s*([\d.]+)", block)
        sent = re.search(r"sent packets:\s*(\d+)", block)
        received = re.search(r"received packets:\s*(\d+)", block)
        drops[name] = float(ratio.group(1)) if ratio else 100.0
        counts[name] = (int(sent.group(1)) if sent else 0,
                        int(received.group(1)) if received else 0)
    if rate is None or "DISCOVER-OFFER" not in drops:
        raise SystemExit(f"cannot read perfdhcp's output:\n{text}")
    return Result(server, offered, float(rate.group(1)), drops.get("DISCOVER-OFFER", 100.0),
                  drops.get("REQUEST-ACK", 100.0), counts["DISCOVER-OFFER"][0],
                  counts.get("REQUEST-ACK", (0, 0))[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of every process in ``pid``'s process group."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid:  # field 5 of stat: the process group
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def measure(server: str, rate: int, args: argparse.Namespace, base: Path) -> Result:
    work = base / f"{server}-{rate}"
    work.mkdir()
    link = Link(work)
    try:
        srv = link.namespace("ps")
        cli = link.namespace("pc")
        link.connect(srv, "eth0", cli, "eth0", a_addr=f"{SERVER_IP}/16",
                     b_addr=f"{CLIENT_IP}/16")
        proc = STARTERS[server](srv, work, args.workers, args.logging)
        before = cpu_seconds(proc.pid)
        out = cli.run("perfdhcp", "-4", "-r", str(rate), "-R", str(args.clients),
                      "-p", str(args.duration), "-l", CLIENT_IP, SERVER_IP,
                      check=False, timeout=args.duration + 60)
        used = cpu_seconds(proc.pid) - before
        (work / "perfdhcp.out").write_text(out.stdout + out.stderr)
        result = parse(server, rate, out.stdout)
        result.cpu, result.duration = used, args.duration
        return result
    finally:
        link.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="500,1000,2000,4000,8000",
                        help="offered DORA exchanges per second, comma-separated")
    parser.add_argument("--duration", type=int, default=10, help="seconds per rate")
    parser.add_argument("--clients", type=int, default=60000, help="perfdhcp -R")
    parser.add_argument("--servers", default="dhcpwire,kea")
    parser.add_argument("--workers", type=int, default=1,
                        help="dhcpwire worker processes (the 'workers' key)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--logging", choices=("shipped", "quiet"), default="shipped",
                        help="shipped: each server at its packaged log level (dhcpwire info, "
                             "Kea INFO as Debian's kea-dhcp4.conf has it: both log every "
                             "lease); quiet: both at warning level")
    args = parser.parse_args()
    missing = [t for t in ("ip", "perfdhcp", "kea-dhcp4") if shutil.which(t) is None]
    if os.geteuid() != 0 or missing:
        raise SystemExit(f"needs root and {', '.join(missing) or 'nothing else'}")
    rates = [int(r) for r in args.rates.split(",")]
    servers = args.servers.split(",")
    base = Path(tempfile.mkdtemp(prefix="dwperf-"))
    results: list[Result] = []
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; perfdhcp -4 -R "
          f"{args.clients} -p {args.duration} (relayed DORA); pool 65,024; work dir {base}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'server':10} {'offered/s':>10} {'exchanges/s':>12} {'drops D-O':>10} "
          f"{'drops R-A':>10} {'CPU us/exch':>12}")
    try:
        for rate in rates:  # interleaved: noise on the shared machine hits both
            for server in servers:
                r = measure(server, rate, args, base)
                results.append(r)
                print(f"{r.server:10} {r.offered:>10} {r.rate:>12.1f} {r.drops_do:>9.2f}% "
                      f"{r.drops_ra:>9.2f}% {r.cpu_us:>12.0f}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    best: dict[str, float] = {}
    for server in servers:
        clean = [r.rate for r in results if r.server == server and r.clean]
        best[server] = max(clean, default=0.0)
        print(f"{server}: highest rate with < 1% drops: {best[server]:.1f} exchanges/s")
    if "dhcpwire" in best and "kea" in best and not best["kea"]:
        print(f"ratio dhcpwire / kea: Kea completed none of the rates offered "
              f"({args.rates}) with < 1% drops")
    if "dhcpwire" in best and best.get("kea"):
        print(f"ratio dhcpwire / kea: {best['dhcpwire'] / best['kea']:.2f}")
        for rate in rates:
            pair = {r.server: r.rate for r in results if r.offered == rate}
            if pair.get("kea"):
                print(f"  at {rate}/s offered: {pair.get('dhcpwire', 0.0) / pair['kea']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
