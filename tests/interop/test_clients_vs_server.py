"""Real clients against the dhcpwire server (``dhcpwire serve``).

For each of busybox udhcpc, ISC dhclient and dhcpcd, in two namespaces
(server | client), lease 20 s (T1 10 s): the client obtains an address from
the pool, and its hook script receives the configured router, DNS server,
domain and classless routes; it renews at T1 (the server logs a
renewal); it releases (the server logs the release); a second run gets
the same address back. Then REBINDING: unicast renewals lost on the link, each
client broadcasts its DHCPREQUEST after T2 and the server extends the lease.
Every captured packet is then checked.
"""

from __future__ import annotations

import os
import signal
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dhcpwire import REQUESTED_IP_ADDRESS, SERVER_IDENTIFIER, MessageType
from dhcpwire.pcap import read_datagrams

from .harness import Link, Namespace, Process, capture, require, wait_for
from .peers import check_capture, journal_actions, start_server

SERVER_IP = "10.77.0.1"
LEASE = 20
SERVER_CONFIG = {
    "server_identifier": SERVER_IP, "lease_time": LEASE,
    "subnets": [{"network": "10.77.0.0/24", "pools": ["10.77.0.100-10.77.0.150"],
                 "router": [SERVER_IP], "dns_servers": ["10.77.0.53"],
                 "domain_name": "interop.test",
                 "classless_routes": [["10.99.0.0/16", "10.77.0.254"],
                                      ["0.0.0.0/0", SERVER_IP]]}],
}


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@dataclass
class RealClient:
    name: str
    tools: tuple[str, ...]
    #: start the client; returns the process and the file its hook writes
    start: Callable[[Namespace, Path, int], Process]
    #: make the running client release its lease
    release: Callable[[Namespace, Path, Process], None]
    #: the hook lines: (event, {variable: value})
    bound_events: tuple[str, ...]
    renew_events: tuple[str, ...]


def events(tmp: Path) -> list[tuple[str, dict[str, str]]]:
    path = tmp / "hook.events"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        event, *pairs = line.split("|")
        out.append((event, dict(p.split("=", 1) for p in pairs if "=" in p)))
    return out


# -- busybox udhcpc -------------------------------------------------------------------------

def start_udhcpc(ns: Namespace, tmp: Path, run: int) -> Process:
    hook = script(tmp / "udhcpc.sh", f"""
echo "$1|ip=$ip|mask=$subnet|router=$router|dns=$dns|domain=$domain|routes=$staticroutes" \
  >> {tmp}/hook.events
case "$1" in
  bound|renew) ip addr replace "$ip/$mask" dev "$interface" ;;
  deconfig) ip addr flush dev "$interface" ;;
esac
""".replace("$mask", "$subnet"))
    return ns.start("udhcpc", "-f", "-R", "-i", "eth0", "-t", "5", "-T", "1", "-A", "1",
                    "-O", "staticroutes", "-s", str(hook), name=f"udhcpc-{run}")


def release_udhcpc(_ns: Namespace, _tmp: Path, proc: Process) -> None:
    proc.signal(signal.SIGTERM)  # -R: release on exit


# -- ISC dhclient ---------------------------------------------------------------------------

def dhclient_files(tmp: Path) -> list[str]:
    conf = tmp / "dhclient.conf"
    conf.write_text("option rfc3442-classless-static-routes code 121 = "
                    "array of unsigned integer 8;\n"
                    "request subnet-mask, broadcast-address, routers, domain-name, "
                    "domain-name-servers, rfc3442-classless-static-routes;\n"
                    "timeout 20;\n"
                    # retransmit every second or two: with 20-second leases the default
                    # (10 s, backing off) sends nothing between T2 and expiry
                    "initial-interval 1;\nbackoff-cutoff 2;\n")
    hook = script(tmp / "dhclient.sh", f"""
echo "$reason|ip=$new_ip_address|mask=$new_subnet_mask|router=$new_routers\
|dns=$new_domain_name_servers|domain=$new_domain_name\
|routes=$new_rfc3442_classless_static_routes" >> {tmp}/hook.events
case "$reason" in
  BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/24" dev "$interface" ;;
  RELEASE|EXPIRE|STOP) ip addr flush dev "$interface" ;;
esac
""")
    return ["-cf", str(conf), "-sf", str(hook), "-lf", str(tmp / "dhclient.leases"),
            "-pf", str(tmp / "dhclient.pid")]


def start_dhclient(ns: Namespace, tmp: Path, run: int) -> Process:
    return ns.start("dhclient", "-d", "-1", "-v", *dhclient_files(tmp), "eth0",
                    name=f"dhclient-{run}")


def release_dhclient(ns: Namespace, tmp: Path, _proc: Process) -> None:
    ns.run("dhclient", "-r", "-v", *dhclient_files(tmp), "eth0", timeout=20)


# -- dhcpcd ---------------------------------------------------------------------------------

def start_dhcpcd(ns: Namespace, tmp: Path, run: int) -> Process:
    hook = script(tmp / "dhcpcd.sh", f"""
echo "$reason|ip=$new_ip_address|mask=$new_subnet_mask|router=$new_routers\
|dns=$new_domain_name_servers|domain=$new_domain_name\
|routes=$new_classless_static_routes" >> {tmp}/hook.events
""")
    # dhcpcd keeps its pid file, control socket and leases in /run/dhcpcd and
    # /var/lib/dhcpcd: give it private, empty ones (ip netns exec runs the
    # command in its own mount namespace, so these mounts stay there).
    return ns.start("sh", "-c",
                    "mount -t tmpfs none /run && mount -t tmpfs none /var/lib/dhcpcd "
                    f"&& mkdir -p /run/dhcpcd && cp -a {tmp}/dhcpcd-db/. /var/lib/dhcpcd/ "
                    "2>/dev/null; trap 'cp -a /var/lib/dhcpcd/. "
                    f"{tmp}/dhcpcd-db/' EXIT; dhcpcd -B -4 -f /dev/null -c {hook} "
                    "-o domain_name_servers -o domain_name -o classless_static_routes "
                    "-o routers -t 20 --noipv4ll --nolink eth0",
                    name=f"dhcpcd-{run}")


def release_dhcpcd(_ns: Namespace, _tmp: Path, proc: Process) -> None:
    # dhcpcd: SIGALRM releases the lease and exits
    for pid in _children(proc.pid):
        os.kill(pid, signal.SIGALRM)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


CLIENTS = [
    RealClient("udhcpc", ("udhcpc",), start_udhcpc, release_udhcpc, ("bound",), ("renew",)),
    RealClient("dhclient", ("dhclient",), start_dhclient, release_dhclient,
               ("BOUND", "REBOOT"), ("RENEW",)),
    RealClient("dhcpcd", ("dhcpcd",), start_dhcpcd, release_dhcpcd,
               ("BOUND", "REBOOT"), ("RENEW",)),
]


@pytest.mark.parametrize("real", CLIENTS, ids=[c.name for c in CLIENTS])
def test_real_client_against_dhcpwire_server(real: RealClient, net: Link,
                                             tmp_path: Path) -> None:
    require("ip", "dumpcap", "tshark", *real.tools)
    (tmp_path / "dhcpcd-db").mkdir()
    server_ns = net.namespace("srv")
    client_ns = net.namespace("cli")
    net.connect(server_ns, "eth0", client_ns, "eth0", a_addr=f"{SERVER_IP}/24")
    with capture(server_ns, "eth0", tmp_path / f"{real.name}.pcapng") as pcap:
        server = start_server(server_ns, tmp_path, SERVER_CONFIG)

        def seen(kinds: tuple[str, ...], count: int = 1) -> bool:
            return sum(1 for e, _ in events(tmp_path) if e in kinds) >= count

        proc = real.start(client_ns, tmp_path, 1)
        wait_for(lambda: seen(real.bound_events), 20,
                 f"{real.name} to bind\n{proc.output()}\n{server.text()}")
        [(_, env)] = [e for e in events(tmp_path) if e[0] in real.bound_events]
        address = env["ip"]
        assert address.startswith("10.77.0.1"), env
        # RFC 3442: with classless routes asked for and sent, no Router option is sent
        assert env["router"] in (SERVER_IP, ""), env
        assert env["dns"] == "10.77.0.53" and env["domain"] == "interop.test", env
        assert "10.99.0.0/16" in env["routes"] or "16 10 99 10 77 0 254" in env["routes"] \
            or "16.10.99.10.77.0.254" in env["routes"], env
        committed = [a for a in journal_actions(server) if a["action"] == "acked"]
        assert committed and committed[-1]["lease"]["address"] == address

        # renewal at T1
        wait_for(lambda: seen(real.renew_events), LEASE,
                 f"{real.name} to renew\n{proc.output()}\n{server.text()}")
        assert any(a["action"] == "renewed" for a in journal_actions(server))

        # release
        real.release(client_ns, tmp_path, proc)
        wait_for(lambda: any(a["action"] == "released" for a in journal_actions(server)),
                 15, f"the server to log the release\n{server.text()}")
        wait_for(lambda: not proc.alive(), 10, f"{real.name} to exit")

        # a second run gets the same address back
        before = len(events(tmp_path))
        proc = real.start(client_ns, tmp_path, 2)
        wait_for(lambda: any(e in real.bound_events for e, _ in events(tmp_path)[before:]),
                 20, f"{real.name} to bind again\n{proc.output()}\n{server.text()}")
        again = next(env for e, env in events(tmp_path)[before:] if e in real.bound_events)
        assert again["ip"] == address
        proc.stop()
        time.sleep(0.2)
    check_capture(pcap, min_packets=6)


REBIND_EVENTS = ("renew", "RENEW", "REBIND")


@pytest.mark.parametrize("real", CLIENTS, ids=[c.name for c in CLIENTS])
def test_real_client_rebinds_with_dhcpwire_server(real: RealClient, net: Link,
                                                  tmp_path: Path) -> None:
    """RFC 2131 section 4.4.5: a client whose unicast renewals go unanswered
    broadcasts its DHCPREQUEST (REBINDING: 'ciaddr' set, no server identifier)
    once T2 has passed, and the server extends the lease.

    Right after the client binds, its neighbour entry for the server is
    pointed at a MAC address nobody has, so its unicast DHCPREQUESTs are lost
    on the link; broadcasts still reach the server.
    """
    require("ip", "dumpcap", "tshark", *real.tools)
    (tmp_path / "dhcpcd-db").mkdir()
    server_ns = net.namespace("srv")
    client_ns = net.namespace("cli")
    net.connect(server_ns, "eth0", client_ns, "eth0", a_addr=f"{SERVER_IP}/24")
    with capture(server_ns, "eth0", tmp_path / f"{real.name}-rebind.pcapng") as pcap:
        server = start_server(server_ns, tmp_path, SERVER_CONFIG)
        proc = real.start(client_ns, tmp_path, 1)
        wait_for(lambda: any(e in real.bound_events for e, _ in events(tmp_path)), 20,
                 f"{real.name} to bind\n{proc.output()}\n{server.text()}")
        address = next(env["ip"] for e, env in events(tmp_path) if e in real.bound_events)
        client_ns.run("ip", "neigh", "replace", SERVER_IP, "dev", "eth0",
                      "lladdr", "02:00:00:00:de:ad", "nud", "permanent")
        bound_at, journaled = len(events(tmp_path)), len(journal_actions(server))
        wait_for(lambda: any(e in REBIND_EVENTS for e, _ in events(tmp_path)[bound_at:]),
                 LEASE + 5, f"{real.name} to rebind\n{proc.output()}\n{server.text()}")
        extended = next(env for e, env in events(tmp_path)[bound_at:] if e in REBIND_EVENTS)
        assert extended["ip"] == address
        # The server extends the binding ("renewed"), or -- when the client's
        # clock for the lease started later than the server's, as dhcpcd's does
        # after its ARP probe, and the REBINDING request came after the
        # server's expiry -- binds the same address again ("acked").
        after = journal_actions(server)[journaled:]
        assert any(a["action"] in ("renewed", "acked") and a["lease"]["address"] == address
                   for a in after), after
        assert proc.alive()
        proc.stop()
        time.sleep(0.2)
    messages = check_capture(pcap, min_packets=4)
    datagrams = list(read_datagrams(pcap.read_bytes()))
    rebinding = [m for m, d in zip(messages, datagrams, strict=True)
                 if m.message_type is MessageType.REQUEST and str(m.ciaddr) == address
                 and str(d.dst) == "255.255.255.255"]
    assert rebinding, "no broadcast DHCPREQUEST with ciaddr set (REBINDING) was captured"
    assert all(SERVER_IDENTIFIER not in m.options and REQUESTED_IP_ADDRESS not in m.options
               for m in rebinding)
    acked = {m.xid for m in messages if m.message_type is MessageType.ACK}
    assert any(m.xid in acked for m in rebinding), "the server did not ACK the REBINDING request"
