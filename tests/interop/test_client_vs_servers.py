"""The dhcpwire client (examples/client.py) against dnsmasq, ISC Kea and ISC dhcpd.

One scenario per server and per form of the client identifier (RFC 4361's
IAID + DUID, the default, and the hardware form), in two namespaces (server |
client) on one veth link, lease 30 s with T1 = 10 s and T2 = 20 s (dnsmasq:
its minimum lease of 2 minutes, with T1 and T2 set by options 58 and 59):

1. DORA binds the address the server leased (its lease file says so, under
   the client identifier the client sent);
2. the renewal at T1 is a unicast REQUEST answered by an ACK;
3. the server is paused (SIGSTOP) after that renewal: at the next T1 the
   client retransmits unicast REQUESTs, at T2 it broadcasts (REBINDING), and
   when the server resumes (SIGCONT) before expiry it binds again;
4. stopped without release and started again with its lease file, the client
   goes through INIT-REBOOT and keeps the address;
5. released (SIGTERM), the server frees the address;
6. every captured packet decodes strictly and passes Wireshark's dissector.
"""

from __future__ import annotations

import codecs
import json
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .harness import Link, Namespace, Process, capture, require, wait_for
from .peers import check_capture, start_client

SERVER_IP = "10.77.0.1"
LEASE, T1, T2 = 30, 10, 20


@dataclass
class Peer:
    name: str
    tools: tuple[str, ...]
    start: Callable[[Namespace, Path], Process]
    #: is ``address`` leased (in the server's own records)?
    leased: Callable[[Path, Process, str], bool]
    #: has the server freed ``address`` after a DHCPRELEASE?
    released: Callable[[Path, Process, str], bool]
    #: the client identifier (option 61, hex) the server recorded for ``address``
    identifier: Callable[[Path, str], str | None]


# -- dnsmasq --------------------------------------------------------------------------------

def start_dnsmasq(ns: Namespace, tmp: Path) -> Process:
    return ns.start("dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
                    "--interface=eth0", "--bind-interfaces", "--log-dhcp",
                    "--dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,2m",
                    f"--dhcp-leasefile={tmp}/dnsmasq.leases", f"--pid-file={tmp}/dnsmasq.pid",
                    f"--dhcp-option=option:router,{SERVER_IP}",
                    f"--dhcp-option=option:T1,{T1}", f"--dhcp-option=option:T2,{T2}",
                    name="dnsmasq")


def dnsmasq_leased(tmp: Path, _p: Process, address: str) -> bool:
    leases = tmp / "dnsmasq.leases"
    return leases.exists() and f" {address} " in leases.read_text()


def dnsmasq_released(tmp: Path, p: Process, address: str) -> bool:
    return not dnsmasq_leased(tmp, p, address) and f"DHCPRELEASE(eth0) {address}" in p.output()


def dnsmasq_identifier(tmp: Path, address: str) -> str | None:
    # "expiry hwaddr address hostname client-id", the client id as colon hex
    for line in (tmp / "dnsmasq.leases").read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[2] == address and fields[4] != "*":
            return fields[4].replace(":", "")
    return None


# -- Kea ------------------------------------------------------------------------------------

def start_kea(ns: Namespace, tmp: Path) -> Process:
    config = {"Dhcp4": {
        "interfaces-config": {"interfaces": ["eth0"]},
        "lease-database": {"type": "memfile", "name": str(tmp / "kea.leases"),
                           "persist": True, "lfc-interval": 0},
        "valid-lifetime": LEASE, "renew-timer": T1, "rebind-timer": T2,
        "subnet4": [{"id": 1, "subnet": "10.77.0.0/24",
                     "pools": [{"pool": "10.77.0.100 - 10.77.0.150"}],
                     "option-data": [{"name": "routers", "data": SERVER_IP}]}],
        "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                     "output_options": [{"output": "stdout"}]}]}}
    conf = tmp / "kea.json"
    conf.write_text(json.dumps(config, indent=1))
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "KEA_PIDFILE_DIR": str(tmp),
           "KEA_LOCKFILE_DIR": str(tmp), "KEA_LOGGER_DESTINATION": "stdout"}
    return ns.start("kea-dhcp4", "-c", str(conf), name="kea", env=env)


def kea_rows(tmp: Path, address: str) -> list[list[str]]:
    leases = tmp / "kea.leases"
    if not leases.exists():
        return []
    return [row.split(",") for row in leases.read_text().splitlines()
            if row.startswith(address + ",")]


def kea_leased(tmp: Path, _p: Process, address: str) -> bool:
    rows = kea_rows(tmp, address)
    # address,hwaddr,client_id,valid_lifetime,...: the last row is the lease's current state
    return bool(rows) and rows[-1][3] != "0"


def kea_identifier(tmp: Path, address: str) -> str | None:
    rows = kea_rows(tmp, address)
    return rows[-1][2].replace(":", "") or None if rows else None


def kea_released(tmp: Path, p: Process, address: str) -> bool:
    rows = kea_rows(tmp, address)
    return (bool(re.search(rf"DHCP4_RELEASE .*address {re.escape(address)} was released",
                           p.output()))
            and bool(rows) and rows[-1][3] == "0")


# -- ISC dhcpd ------------------------------------------------------------------------------

def start_dhcpd(ns: Namespace, tmp: Path) -> Process:
    conf = tmp / "dhcpd.conf"
    conf.write_text(f"""
default-lease-time {LEASE};
max-lease-time {LEASE};
min-lease-time {LEASE};
ping-check false;
authoritative;
option dhcp-renewal-time {T1};
option dhcp-rebinding-time {T2};
subnet 10.77.0.0 netmask 255.255.255.0 {{
  range 10.77.0.100 10.77.0.150;
  option routers {SERVER_IP};
}}
""")
    (tmp / "dhcpd.leases").touch()
    return ns.start("dhcpd", "-f", "-d", "-4", "-cf", str(conf), "-lf",
                    str(tmp / "dhcpd.leases"), "-pf", str(tmp / "dhcpd.pid"), "eth0",
                    name="dhcpd")


def dhcpd_state(tmp: Path, address: str) -> str | None:
    """The binding state of the last record of ``address`` in dhcpd's lease file."""
    text = (tmp / "dhcpd.leases").read_text()
    blocks = re.findall(rf"lease {re.escape(address)} \{{(.*?)\}}", text, re.S)
    if not blocks:
        return None
    found = re.search(r"^\s*binding state (\w+);", blocks[-1], re.M)
    return found.group(1) if found else None


def dhcpd_leased(tmp: Path, _p: Process, address: str) -> bool:
    return dhcpd_state(tmp, address) == "active"


def dhcpd_identifier(tmp: Path, address: str) -> str | None:
    # uid "\377^\020S..."; a C string with octal escapes
    text = (tmp / "dhcpd.leases").read_text()
    blocks = re.findall(rf"lease {re.escape(address)} \{{(.*?)\}}", text, re.S)
    found = re.search(r'^\s*uid "((?:[^"\\]|\\.)*)";', blocks[-1], re.M) if blocks else None
    if found is None:
        return None
    raw: bytes = codecs.escape_decode(found.group(1).encode("latin-1"))[0]
    return raw.hex()


def dhcpd_released(tmp: Path, p: Process, address: str) -> bool:
    return (f"DHCPRELEASE of {address}" in p.output()
            and dhcpd_state(tmp, address) in ("free", "released"))


PEERS = [
    Peer("dnsmasq", ("dnsmasq",), start_dnsmasq, dnsmasq_leased, dnsmasq_released,
         dnsmasq_identifier),
    Peer("kea", ("kea-dhcp4",), start_kea, kea_leased, kea_released, kea_identifier),
    Peer("dhcpd", ("dhcpd",), start_dhcpd, dhcpd_leased, dhcpd_released, dhcpd_identifier),
]
#: ``--client-id`` of examples/client.py: RFC 4361's form (the default) and the hardware form.
FORMS = ["duid", "hardware"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("peer", PEERS, ids=[p.name for p in PEERS])
def test_dhcpwire_client_against_server(peer: Peer, form: str, net: Link,
                                        tmp_path: Path) -> None:
    require("ip", "dumpcap", "tshark", *peer.tools)
    server_ns = net.namespace("srv")
    client_ns = net.namespace("cli")
    net.connect(server_ns, "eth0", client_ns, "eth0", a_addr=f"{SERVER_IP}/24")
    lease_file = tmp_path / "client.lease.json"
    bound = r"^bound (\S+) lease=(\d+) t1=(\S+) t2=(\S+) server=(\S+)"
    with capture(server_ns, "eth0", tmp_path / f"{peer.name}.pcapng") as pcap:
        server = peer.start(server_ns, tmp_path)
        time.sleep(1.0)  # let it open its sockets (else the first DISCOVER waits 4 s more)
        assert server.alive(), server.output()
        client = start_client(client_ns, tmp_path, "--lease-file", str(lease_file),
                              "--client-id", form)

        # 1. DORA
        first = client.wait(bound, 30)
        address = first.group(1)
        assert first.group(5) == SERVER_IP
        assert (float(first.group(3)), float(first.group(4))) == (T1, T2)
        assert client.matching(r"^send DHCPDISCOVER to 255\.255\.255\.255")
        assert client_ns.address("eth0") == [address]
        wait_for(lambda: peer.leased(tmp_path, server, address), 5,
                 f"{peer.name} to record the lease of {address}\n{server.output()}")
        # The server knows the client by the identifier it sent: RFC 4361's
        # type 255 (IAID + DUID-LL) or type 1 and the MAC.
        sent = client.wait(r"^start \S+ chaddr=(\S+) client-id=(\S+)", 1)
        mac = sent.group(1).replace(":", "")
        expected = ("ff" + mac[-8:] + "00030001" + mac) if form == "duid" else ("01" + mac)
        assert sent.group(2) == expected
        assert peer.identifier(tmp_path, address) == expected

        # 2. renewal at T1: unicast REQUEST, ACK
        client.wait(r"^state BOUND -> RENEWING", T1 + 5)
        client.wait(bound, 10, count=2)
        assert client.matching(rf"^send DHCPREQUEST to {re.escape(SERVER_IP)}")
        assert client.matching(r"^state RENEWING -> BOUND")

        # 3. server paused: unicast retries, then REBINDING broadcasts, then bound again
        server.pause()
        renewals = len(client.matching(rf"^send DHCPREQUEST to {re.escape(SERVER_IP)}"))
        client.wait(r"^state BOUND -> RENEWING", T1 + 5, count=2)
        client.wait(r"^state RENEWING -> REBINDING", T2 - T1 + 5)
        retries = client.matching(rf"^send DHCPREQUEST to {re.escape(SERVER_IP)}")
        assert len(retries) >= renewals + 2, "the client should retry its unicast renewal"
        # the first broadcast REQUEST was DORA's; the second is REBINDING's
        client.wait(r"^send DHCPREQUEST to 255\.255\.255\.255", 5, count=2)
        server.resume()
        # The ACK binds (Configure: "bound"). Lease times count from the first REQUEST
        # of the exchange, sent at T1 (RFC 2131 section 4.4.5): after this long a pause a
        # server's T1 may have passed already, and the client goes on to RENEWING at once.
        left = client.wait(r"^state REBINDING -> (BOUND|RENEWING)", LEASE - T2)
        assert client.wait(bound, 1, count=3).group(1) == address
        if left.group(1) == "RENEWING":  # and then BOUND, after the renewal's ACK
            lines = client.lines()
            upto = lines.index(left.group(0)) + 1
            client.wait(r"^state \S+ -> BOUND", 10,
                        count=sum(line.endswith("-> BOUND") for line in lines[:upto]) + 1)
        assert client_ns.address("eth0") == [address]

        # 4. stop without release, start again: INIT-REBOOT keeps the address
        client.process.signal(signal.SIGUSR1)
        wait_for(lambda: not client.process.alive(), 10, "the client to stop")
        assert client_ns.address("eth0") == []
        assert json.loads(lease_file.read_text())["lease"]["address"] == address
        again = start_client(client_ns, tmp_path, "--lease-file", str(lease_file),
                             "--client-id", form, name="dwclient-2")
        assert again.wait(bound, 15).group(1) == address
        assert again.matching(r"^state STOPPED -> INIT-REBOOT")
        assert not again.matching(r"^send DHCPDISCOVER")
        assert client_ns.address("eth0") == [address]

        # 5. release: the server frees the address
        again.process.signal(signal.SIGTERM)
        again.wait(rf"^send DHCPRELEASE to {re.escape(SERVER_IP)}", 5)
        wait_for(lambda: peer.released(tmp_path, server, address), 10,
                 f"{peer.name} to free {address}\n{server.output()}")
        wait_for(lambda: not again.process.alive(), 10, "the client to exit")
        assert client_ns.address("eth0") == []
        assert not lease_file.exists()
    check_capture(pcap, min_packets=8)
