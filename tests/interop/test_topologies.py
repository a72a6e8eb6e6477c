"""The dhcpwire client and server through a real relay, and two dhcpwire servers on one link.

* Relay: three namespaces, client | relay | server. ISC dhcrelay (with
  ``-a``: it adds option 82) forwards between the dhcpwire client and the
  dhcpwire server; the server picks the subnet by 'giaddr', echoes option 82
  unchanged in its replies, and the client binds an address of the relay's
  subnet.
* Two servers: two dhcpwire servers with disjoint pools of one subnet and
  four busybox udhcpc clients (which take the first offer) on one bridged
  link: every client gets a distinct address, committed by exactly the server
  it chose; the other server's offer goes back to its pool (nothing leaked,
  nothing given twice).
"""

from __future__ import annotations

from pathlib import Path

from dhcpwire import MessageType, codes, decode
from dhcpwire.pcap import read_datagrams

from .harness import Link, capture, require, wait_for
from .peers import check_capture, journal_actions, start_client, start_server
from .test_harness import udhcpc_script


def test_relay_between_dhcpwire_client_and_server(net: Link, tmp_path: Path) -> None:
    require("ip", "dumpcap", "tshark", "dhcrelay")
    server_ns = net.namespace("srv")
    relay_ns = net.namespace("rly")
    client_ns = net.namespace("cli")
    net.connect(server_ns, "eth0", relay_ns, "up0", a_addr="10.77.1.1/24",
                b_addr="10.77.1.2/24")
    net.connect(relay_ns, "down0", client_ns, "eth0", a_addr="10.77.2.1/24")
    server_ns.run("ip", "route", "add", "10.77.2.0/24", "via", "10.77.1.2")
    config = {
        "server_identifier": "10.77.1.1", "lease_time": 60,
        "subnets": [
            {"network": "10.77.1.0/24", "pools": ["10.77.1.100-10.77.1.150"],
             "interface": "eth0"},
            {"network": "10.77.2.0/24", "pools": ["10.77.2.100-10.77.2.150"],
             "router": ["10.77.2.1"], "domain_name": "relayed.test"}]}
    with capture(server_ns, "eth0", tmp_path / "upstream.pcapng") as up, \
            capture(client_ns, "eth0", tmp_path / "downstream.pcapng") as down:
        server = start_server(server_ns, tmp_path, config)
        relay_ns.start("dhcrelay", "-d", "-4", "-a", "-i", "down0", "-i", "up0", "10.77.1.1",
                       name="dhcrelay")
        client = start_client(client_ns, tmp_path)
        bound = client.wait(r"^bound (\S+) .* server=(\S+)", 30)
        address = bound.group(1)
        assert address.startswith("10.77.2.1") and bound.group(2) == "10.77.1.1"
        assert client.matching(r"^options .*routers=10\.77\.2\.1 .*domain=relayed\.test")
        assert client_ns.address("eth0") == [address]
        assert journal_actions(server)[-1]["lease"]["address"] == address
        assert server.matching(r" recv DHCPREQUEST from 10\.77\.1\.2 .* giaddr=10\.77\.2\.1$")
        assert server.matching(r" send DHCPACK to 10\.77\.2\.1:67$")
    check_capture(down, min_packets=4)
    check_capture(up, min_packets=4)
    # option 82 as the relay added it, echoed whole in every reply to the same transaction
    requests: dict[int, bytes] = {}
    replies = 0
    for d in read_datagrams(up.read_bytes()):
        message = decode(d.payload)
        agent = message.options.raw(codes.RELAY_AGENT_INFORMATION)
        assert agent, f"frame {d.number} has no option 82"
        if message.op == 1:
            requests[message.xid] = agent
        else:
            replies += 1
            assert agent == requests[message.xid], f"frame {d.number}: option 82 changed"
            assert message.giaddr.exploded == "10.77.2.1"
    assert replies >= 2


def test_two_dhcpwire_servers_with_disjoint_pools(net: Link, tmp_path: Path) -> None:
    require("ip", "dumpcap", "tshark", "udhcpc")
    switch = net.namespace("sw")
    server_a, server_b, clients = (net.namespace(t) for t in ("sa", "sb", "cl"))
    switch.run("ip", "link", "add", "br0", "type", "bridge")
    switch.run("ip", "link", "set", "br0", "up")
    ports = [("pa", server_a, "eth0", "10.77.0.1/24"), ("pb", server_b, "eth0", "10.77.0.2/24")]
    ports += [(f"pc{i}", clients, f"eth{i}", None) for i in range(4)]
    for port, ns, ifname, addr in ports:
        net.connect(switch, port, ns, ifname, b_addr=addr)
        switch.run("ip", "link", "set", port, "master", "br0")
    base = {"lease_time": 60, "subnets": [{"network": "10.77.0.0/24"}]}
    config_a = {**base, "server_identifier": "10.77.0.1",
                "subnets": [{"network": "10.77.0.0/24", "pools": ["10.77.0.100-10.77.0.119"]}]}
    config_b = {**base, "server_identifier": "10.77.0.2",
                "subnets": [{"network": "10.77.0.0/24", "pools": ["10.77.0.120-10.77.0.139"]}]}
    with capture(switch, "br0", tmp_path / "link.pcapng") as pcap:
        log_a = start_server(server_a, tmp_path, config_a, name="server-a")
        log_b = start_server(server_b, tmp_path, config_b, name="server-b")
        procs = []
        for i in range(4):
            hook = udhcpc_script(tmp_path / f"udhcpc{i}.sh", tmp_path / f"udhcpc{i}.events")
            procs.append(clients.start("udhcpc", "-f", "-q", "-n", "-i", f"eth{i}", "-t", "5",
                                       "-T", "1", "-s", str(hook), name=f"udhcpc{i}"))
        for proc in procs:
            wait_for(lambda p=proc: not p.alive(), 20, "udhcpc to get a lease and quit")
            assert proc.popen.returncode == 0, proc.output()
    got: dict[str, str] = {}
    for i in range(4):
        [line] = [x for x in (tmp_path / f"udhcpc{i}.events").read_text().splitlines()
                  if x.startswith("bound")]
        got[line.split("ip=")[1].split()[0]] = line.split("serverid=")[1].split()[0]
    assert len(got) == 4, f"an address was given twice: {got}"
    journals = {"10.77.0.1": journal_actions(log_a), "10.77.0.2": journal_actions(log_b)}
    for server, actions in journals.items():
        last: dict[str, str] = {}
        for action in actions:
            last[action["lease"]["address"]] = action["action"]
        committed = {a for a, what in last.items() if what == "acked"}
        assert committed == {a for a, s in got.items() if s == server}, (server, actions)
        # an offer the client turned down is freed at once (RFC 2131 section 3.1 step 4)
        assert "offered" not in last.values(), f"{server} still holds an offer: {last}"
    kinds = [decode(d.payload).message_type for d in read_datagrams(pcap.read_bytes())]
    assert kinds.count(MessageType.OFFER) >= 8  # both servers offered to each client
    check_capture(pcap, min_packets=16)
