"""``dhcpwire serve`` really started, in network namespaces: crash, stop, reload, metrics.

The server runs in one namespace; ``loadgen.py`` (a relay agent's worth of
clients) in another, joined by a veth pair. Every test is bounded in time
and removes its namespaces.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from dhcpwire.serve import Metrics, MetricsServer
from tests.interop.harness import Link, Namespace, Process, require, wait_for

ROOT = Path(__file__).resolve().parents[2]
LOADGEN = Path(__file__).resolve().parent / "loadgen.py"
SERVER_IP, RELAY_IP = "10.79.0.1", "10.79.0.2"


def python_env() -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "PYTHONUNBUFFERED": "1"}


def config(tmp_path: Path, **extra: Any) -> Path:
    data = {"interface": "eth0", "server_identifier": SERVER_IP, "lease_time": 3600,
            "lease_database": f"sqlite:///{tmp_path / 'leases.sqlite'}",
            "subnets": [{"network": "10.79.0.0/20", "pools": ["10.79.1.0-10.79.8.255"],
                         "dns_servers": ["10.79.0.53"]}], **extra}
    path = tmp_path / "server.json"
    path.write_text(json.dumps(data))
    return path


def link(net: Link) -> tuple[Namespace, Namespace]:
    require("ip")
    srv, cli = net.namespace("dsrv"), net.namespace("dcli")
    net.connect(srv, "eth0", cli, "eth0", a_addr=f"{SERVER_IP}/20", b_addr=f"{RELAY_IP}/20")
    return srv, cli


def start(ns: Namespace, path: Path, name: str = "serve") -> Process:
    proc = ns.start(sys.executable, "-m", "dhcpwire", "serve", "--config", str(path),
                    name=name, env=python_env(), cwd=ROOT)
    wait_for(lambda: " start " in proc.output() or not proc.alive(), 20, "the server to start")
    assert proc.alive(), proc.output()
    return proc


def load(ns: Namespace, out: Path, clients: str, *, window: int = 16, tries: int = 3,
         timeout: float = 60.0, name: str = "loadgen") -> Process:
    return ns.start(sys.executable, str(LOADGEN), "--server", SERVER_IP, "--giaddr", RELAY_IP,
                    "--clients", clients, "--window", str(window), "--tries", str(tries),
                    "--timeout", str(timeout), "--out", str(out), name=name,
                    env=python_env(), cwd=ROOT)


def acks(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def bound(db: Path) -> dict[str, str]:
    """address -> hardware address of every bound row of the lease database."""
    with sqlite3.connect(db) as conn:
        return {f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}": bytes(hw).hex(":")
                for a, hw in conn.execute(
                    "SELECT address, hardware_address FROM leases WHERE state = 'bound'")}


@pytest.mark.interop
def test_no_acknowledged_lease_is_lost_and_no_address_given_twice_across_sigkill(
        net: Link, tmp_path: Path) -> None:
    srv, cli = link(net)
    path = config(tmp_path)
    server = start(srv, path, "serve-1")
    first = tmp_path / "acks-1.jsonl"
    gen = load(cli, first, "0:2000", window=32, tries=2, timeout=60)
    # SIGKILL in the middle of the load: some exchanges done, others in flight
    wait_for(lambda: len(acks(first)) >= 300, 30, "300 acknowledged leases", step=0.02)
    server.signal(signal.SIGKILL)
    server.popen.wait(10)
    killed_at = len(acks(first))
    assert killed_at < 2000, "the load ended before the kill"
    gen.stop()  # its clients would only retry against a dead server
    before = acks(first)
    # every lease the clients saw acknowledged is in the database, with its client
    db = bound(tmp_path / "leases.sqlite")
    for ack in before:
        assert db.get(ack["address"]) == ack["chaddr"], ack
    # restarted on the same database, the server serves every client again
    server = start(srv, path, "serve-2")
    second = tmp_path / "acks-2.jsonl"
    gen = load(cli, second, "0:2030", window=32, timeout=90, name="loadgen-2")
    wait_for(lambda: not gen.alive(), 120, "the second load to finish")
    after = acks(second)
    assert len(after) == 2030, f"{len(after)} of 2030 clients bound after the restart"
    again = {a["chaddr"]: a["address"] for a in after}
    for ack in before:  # a client that was acknowledged keeps its address
        assert again[ack["chaddr"]] == ack["address"], ack
    owners: dict[str, set[str]] = {}
    for ack in before + after:
        owners.setdefault(ack["address"], set()).add(ack["chaddr"])
    twice = {a: o for a, o in owners.items() if len(o) > 1}
    assert twice == {}, f"addresses given to two clients: {twice}"
    server.stop()
    assert "lease acked" in server.output()


@pytest.mark.interop
def test_sigterm_finishes_and_exits_zero(net: Link, tmp_path: Path) -> None:
    srv, cli = link(net)
    server = start(srv, config(tmp_path))
    out = tmp_path / "acks.jsonl"
    gen = load(cli, out, "0:20")
    wait_for(lambda: not gen.alive(), 30, "20 clients to bind")
    assert len(acks(out)) == 20
    server.signal(signal.SIGTERM)
    assert server.popen.wait(10) == 0
    assert server.output().rstrip().endswith("INFO exit")
    assert len(bound(tmp_path / "leases.sqlite")) == 20


@pytest.mark.interop
def test_sighup_reloads_the_configuration_and_keeps_the_leases(net: Link,
                                                               tmp_path: Path) -> None:
    srv, cli = link(net)
    path = config(tmp_path)
    server = start(srv, path)
    out = tmp_path / "acks.jsonl"
    gen = load(cli, out, "0:5")
    wait_for(lambda: not gen.alive(), 30, "5 clients to bind")
    old = {a["chaddr"]: a["address"] for a in acks(out)}
    assert {tuple(a["dns"]) for a in acks(out)} == {("10.79.0.53",)}
    path.write_text(path.read_text().replace('"dns_servers": ["10.79.0.53"]',
                                             '"dns_servers": ["10.79.0.54"]'))
    server.signal(signal.SIGHUP)
    wait_for(lambda: "reloaded" in server.output(), 10, "the reload")
    out2 = tmp_path / "acks-2.jsonl"
    gen = load(cli, out2, "0:7", name="loadgen-2")
    wait_for(lambda: not gen.alive(), 30, "7 clients to bind")
    new = acks(out2)
    assert {tuple(a["dns"]) for a in new} == {("10.79.0.54",)}
    assert all(old[a["chaddr"]] == a["address"] for a in new if a["chaddr"] in old)
    # a broken file is refused and the running configuration stays
    path.write_text("{")
    server.signal(signal.SIGHUP)
    wait_for(lambda: "reload of" in server.output(), 10, "the failed reload")
    assert server.alive()
    server.stop()


def test_metrics_are_served_as_prometheus_text_on_the_configured_address() -> None:
    metrics = Metrics()
    metrics.add("dhcpwire_messages_received_total", type="DISCOVER")
    server = MetricsServer(metrics, ("127.0.0.1", 0))
    try:
        host, port = server.address[:2]
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as reply:
            assert reply.status == 200
            assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            body = reply.read().decode()
        assert 'dhcpwire_messages_received_total{type="DISCOVER"} 1\n' in body
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"http://{host}:{port}/other", timeout=5)
        assert info.value.code == 404
    finally:
        server.close()


@pytest.mark.interop
def test_two_workers_split_the_clients_by_chaddr_and_share_one_database(
        net: Link, tmp_path: Path) -> None:
    srv, cli = link(net)
    path = config(tmp_path, workers=2)
    server = start(srv, path)
    assert "worker=0/2" in server.output() and "worker=1/2" in server.output()
    out = tmp_path / "acks.jsonl"
    gen = load(cli, out, "0:40")
    wait_for(lambda: not gen.alive(), 40, "40 clients to bind")
    got = acks(out)
    assert len(got) == 40 and len({a["address"] for a in got}) == 40
    # the kernel steered each client by the last octet of its chaddr: even ones to
    # worker 0, which hands out the first half of the pool (10.79.1.0-10.79.4.255),
    # odd ones to worker 1 (10.79.5.0-10.79.8.255)
    for ack in got:
        third = int(ack["address"].split(".")[2])
        assert (third >= 5) == (ack["n"] % 2 == 1), ack
    assert bound(tmp_path / "leases.sqlite") == {a["address"]: a["chaddr"] for a in got}
    server.signal(signal.SIGTERM)
    assert server.popen.wait(10) == 0


@pytest.mark.interop
def test_two_interfaces_each_serve_their_subnet_to_real_clients_by_unicast_frames(
        net: Link, tmp_path: Path) -> None:
    """udhcpc clears the broadcast bit: its OFFER and ACK reach it only as frames
    addressed to its hardware address (the raw packet path), on either link."""
    require("ip", "udhcpc")
    srv = net.namespace("msrv")
    one, two = net.namespace("mc1"), net.namespace("mc2")
    net.connect(srv, "eth0", one, "eth0", a_addr="10.79.0.1/24")
    net.connect(srv, "eth1", two, "eth0", a_addr="10.80.0.1/24")
    path = tmp_path / "server.json"
    path.write_text(json.dumps({
        "interfaces": ["eth0", "eth1"], "server_identifier": "10.79.0.1", "lease_time": 600,
        "lease_database": f"sqlite:///{tmp_path / 'leases.sqlite'}",
        "subnets": [{"network": "10.79.0.0/24", "pools": ["10.79.0.100-10.79.0.110"],
                     "interface": "eth0"},
                    {"network": "10.80.0.0/24", "pools": ["10.80.0.100-10.80.0.110"],
                     "interface": "eth1", "server_identifier": "10.80.0.1"}]}))
    server = srv.start(sys.executable, "-m", "dhcpwire", "serve", "--config", str(path),
                       "--log-level", "debug", name="serve", env=python_env(), cwd=ROOT)
    wait_for(lambda: " start " in server.output() or not server.alive(), 20, "the server")
    got = {}
    for ns, subnet in ((one, "10.79.0."), (two, "10.80.0.")):
        run = ns.run("udhcpc", "-f", "-q", "-n", "-i", "eth0", "-t", "4", "-T", "1",
                     "-s", "/bin/true", check=False, timeout=30)
        lines = run.stdout + run.stderr
        assert f"lease of {subnet}100 obtained" in lines, lines + server.output()
        got[subnet] = lines
    # both replies went to the client's hardware address, not to a broadcast
    sent = [line for line in server.output().splitlines() if " send DHCP" in line]
    assert sum(" chaddr=" in line for line in sent) == 4, sent
    assert "broadcast" not in server.output()
    server.stop()
