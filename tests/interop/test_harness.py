"""The harness itself, with two real peers: dnsmasq serves busybox udhcpc."""

from __future__ import annotations

import stat
from pathlib import Path

from dhcpwire import MessageType, decode
from dhcpwire.pcap import read_datagrams

from .harness import Link, capture, require, wait_for


def udhcpc_script(path: Path, out: Path) -> Path:
    """A udhcpc hook script that appends what udhcpc reports to ``out``."""
    path.write_text("#!/bin/sh\n"
                    f'echo "$1 ip=$ip subnet=$subnet router=$router dns=$dns '
                    f'domain=$domain lease=$lease serverid=$serverid" >> {out}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_dnsmasq_serves_udhcpc_in_namespaces(net: Link, tmp_path: Path) -> None:
    require("ip", "dnsmasq", "udhcpc", "dumpcap")
    server = net.namespace("srv")
    client = net.namespace("cli")
    net.connect(server, "eth0", client, "eth0", a_addr="10.77.0.1/24")
    leases = tmp_path / "dnsmasq.leases"
    server.start("dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
                 "--interface=eth0", "--bind-interfaces", "--log-dhcp",
                 "--dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,2m",
                 f"--dhcp-leasefile={leases}", f"--pid-file={tmp_path}/dnsmasq.pid",
                 "--dhcp-option=option:router,10.77.0.1", name="dnsmasq")
    events = tmp_path / "udhcpc.events"
    script = udhcpc_script(tmp_path / "udhcpc.sh", events)
    with capture(client, "eth0", tmp_path / "dora.pcapng") as pcap:
        proc = client.start("udhcpc", "-f", "-q", "-n", "-i", "eth0", "-t", "5", "-T", "1",
                            "-s", str(script), name="udhcpc")
        wait_for(lambda: not proc.alive(), 20, "udhcpc to get a lease and quit")
    assert proc.popen.returncode == 0, proc.output()
    bound = [line for line in events.read_text().splitlines() if line.startswith("bound")]
    assert bound, events.read_text()
    address = bound[0].split("ip=")[1].split()[0]
    assert address.startswith("10.77.0.") and "router=10.77.0.1" in bound[0]
    assert address in leases.read_text()
    # every packet on the wire decodes strictly, and the exchange is DORA
    kinds = [decode(d.payload).message_type for d in read_datagrams(pcap.read_bytes())]
    # (udhcpc may retransmit DISCOVER before dnsmasq answers)
    assert kinds[0] is MessageType.DISCOVER and kinds[-2:] == [MessageType.REQUEST,
                                                               MessageType.ACK]
    assert MessageType.OFFER in kinds
