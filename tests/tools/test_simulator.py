"""The simulated network (issue 4): many clients, relays and servers, as bytes on a virtual clock.

Each test builds a network, runs it, and checks one property the issue
names. The relay helper's own rules (RFC 1542 section 4, RFC 3046) come
first.
"""

from __future__ import annotations

from collections import Counter
from ipaddress import IPv4Address, IPv4Network

import pytest

from dhcpwire import (
    RELAY_AGENT_SPACE,
    Message,
    MessageType,
    OpCode,
    Options,
    codes,
    decode,
    encode,
)
from dhcpwire.client import ClientConfig, State
from dhcpwire.relay import relay_reply, relay_request
from dhcpwire.server import (
    LeaseCommitted,
    LeaseExpired,
    LeaseOffered,
    LeaseRenewed,
    LeaseState,
    ServerConfig,
    Subnet,
    client_key,
)
from dhcpwire.simulator import Network, SimClient, SimServer

CORE = IPv4Network("10.0.0.0/24")
ACCESS = IPv4Network("10.1.0.0/22")
OTHER = IPv4Network("10.2.0.0/24")
RELAY = IPv4Address("10.1.0.1")


def mac(i: int) -> bytes:
    return (0x02_00_00_00_00_00 + i).to_bytes(6, "big")


def client_config(i: int, **changes: object) -> ClientConfig:
    return ClientConfig(chaddr=mac(i), **changes)  # type: ignore[arg-type]


def server_config(server_id: str = "10.0.0.1", pool: str = "10.1.0.10-10.1.3.250",
                  **changes: object) -> ServerConfig:
    settings: dict[str, object] = {"default_lease_time": 600, **changes}
    return ServerConfig(
        server_identifier=IPv4Address(server_id),
        subnets=(Subnet(network=CORE, interface="core"),
                 Subnet(network=ACCESS, pools=(pool,), router=(RELAY,)),
                 Subnet(network=OTHER, pools=("10.2.0.10-10.2.0.250",),
                        router=("10.2.0.1",))),
        **settings)  # type: ignore[arg-type]


def relayed_network(n: int, *, seed: int = 1, loss: float = 0.0, servers: int = 1,
                    **server_changes: object) -> tuple[Network, list[SimServer], list[SimClient]]:
    """``n`` clients on segment "access" behind a relay, the server(s) on "core"."""
    net = Network(seed=seed, loss=loss)
    if servers == 1:
        sims = [net.add_server(server_config(**server_changes), segment="core")]
    else:
        sims = [net.add_server(server_config("10.0.0.1", "10.1.0.10-10.1.1.250",
                                             **server_changes), segment="core"),
                net.add_server(server_config("10.0.0.2", "10.1.2.10-10.1.3.250",
                                             **server_changes), segment="core")]
    net.add_relay(segment="access", address=RELAY, servers=[s.address for s in sims],
                  circuit_id=b"access-1")
    clients = [net.add_client(client_config(i), segment="access") for i in range(n)]
    return net, sims, clients


def run_until_all_configured(net: Network, limit: float) -> None:
    n = len(net.clients)
    assert net.run(limit, stop=lambda: net.configured == n), \
        f"only {net.configured} of {n} clients configured by t={limit}"


def key(sim: SimClient) -> str:
    return client_key(Message(chaddr=sim.chaddr, options={
        codes.CLIENT_IDENTIFIER: sim.config.identifier}))


def in_pool(address: IPv4Address, pool: str) -> bool:
    lo, hi = (IPv4Address(a) for a in pool.split("-"))
    return lo <= address <= hi


# -- the relay helper -----------------------------------------------------------------

def _discover(**changes: object) -> Message:
    return Message(op=OpCode.BOOTREQUEST, xid=7, chaddr=mac(1), flags=0, options={
        codes.MESSAGE_TYPE: MessageType.DISCOVER}).replace(**changes)


def test_relay_sets_zero_giaddr_increments_hops_and_adds_option_82_last() -> None:
    out = relay_request(_discover(), giaddr=RELAY, circuit_id=b"c1", remote_id=b"r1")
    assert out is not None
    assert (out.giaddr, out.hops) == (RELAY, 1)
    agent = out.options[codes.RELAY_AGENT_INFORMATION]
    assert (agent[1], agent[2]) == (b"c1", b"r1")
    wire = decode(encode(out))
    assert list(wire.options)[-1] == codes.RELAY_AGENT_INFORMATION


def test_relay_keeps_nonzero_giaddr_and_adds_no_option_82() -> None:
    # RFC 3046 section 2.1.1 and RFC 1542 section 4.1.1.
    far = IPv4Address("10.9.9.9")
    out = relay_request(_discover(giaddr=far, hops=2), giaddr=RELAY, circuit_id=b"c1")
    assert out is not None
    assert (out.giaddr, out.hops) == (far, 3)
    assert codes.RELAY_AGENT_INFORMATION not in out.options
    # ... but a packet spoofing this relay's own giaddr is discarded.
    assert relay_request(_discover(giaddr=RELAY), giaddr=RELAY, circuit_id=b"c1") is None


def test_relay_discards_over_the_hop_limit() -> None:
    assert relay_request(_discover(hops=16), giaddr=RELAY) is not None
    assert relay_request(_discover(hops=17), giaddr=RELAY) is None
    assert relay_request(_discover(hops=4), giaddr=RELAY, max_hops=4) is not None
    assert relay_request(_discover(hops=5), giaddr=RELAY, max_hops=4) is None


def test_relay_keeps_a_trusted_downstream_option_82_and_refuses_an_untrusted_one() -> None:
    theirs = {1: b"dslam"}
    downstream = _discover(options={codes.MESSAGE_TYPE: MessageType.DISCOVER,
                                    codes.RELAY_AGENT_INFORMATION:
                                    Options(theirs, registry=RELAY_AGENT_SPACE)})
    out = relay_request(downstream, giaddr=RELAY, circuit_id=b"c1")
    assert out is not None and out.options[codes.RELAY_AGENT_INFORMATION][1] == b"dslam"
    assert relay_request(downstream, giaddr=RELAY, circuit_id=b"c1", trusted=False) is None
    # The reply keeps the downstream element's option for it to remove.
    reply = out.replace(op=OpCode.BOOTREPLY, yiaddr=IPv4Address("10.1.0.50"))
    result = relay_reply(reply, circuit_id=b"c1")
    assert result is not None
    assert result.message.options[codes.RELAY_AGENT_INFORMATION][1] == b"dslam"


def test_relay_reply_strips_its_option_82_and_picks_the_delivery() -> None:
    request = relay_request(_discover(), giaddr=RELAY, circuit_id=b"c1")
    assert request is not None
    reply = request.replace(op=OpCode.BOOTREPLY, yiaddr=IPv4Address("10.1.0.50"))
    result = relay_reply(reply, circuit_id=b"c1", interfaces=(RELAY,))
    assert result is not None
    assert codes.RELAY_AGENT_INFORMATION not in result.message.options
    assert (result.destination, result.broadcast, result.hardware_address) == (
        IPv4Address("10.1.0.50"), False, mac(1))
    assert result.port == 68  # RFC 1542 section 4.1.2: "UDP destination port set to BOOTPC"
    flagged = relay_reply(reply.replace(flags=0x8000), circuit_id=b"c1")
    assert flagged is not None
    assert (flagged.destination, flagged.broadcast, flagged.hardware_address) == (
        IPv4Address("255.255.255.255"), True, None)
    # RFC 1542 section 4.1.2: a 'giaddr' that is not ours is discarded.
    assert relay_reply(reply, interfaces=(IPv4Address("10.7.7.7"),)) is None
    assert relay_request(reply, giaddr=RELAY) is None       # replies are not relayed up


# -- the scenarios -------------------------------------------------------------

def test_thousand_clients_through_a_relay_on_a_22_get_distinct_addresses() -> None:
    net, (server,), clients = relayed_network(1000)
    run_until_all_configured(net, 120.0)
    addresses = [c.address for c in clients]
    assert len(set(addresses)) == 1000
    assert all(a is not None and a in ACCESS and in_pool(a, "10.1.0.10-10.1.3.250")
               for a in addresses)
    assert not net.conflicts
    bound = server.leases(LeaseState.BOUND)
    assert {bound[c.address] for c in clients if c.address is not None} \
        == {key(c) for c in clients}
    relay = net.relays[0]
    assert relay.dropped == 0 and relay.relayed_replies >= 2000


def test_renewals_extend_the_lease() -> None:
    net, (server,), clients = relayed_network(200)
    run_until_all_configured(net, 120.0)
    first = {c.name: c.lease for c in clients}
    net.run(2000.0)                                   # T1 is 300 s: several renewals
    assert net.configured == 200
    renewed_at = Counter(action.address for _, action in server.lease_actions
                         if isinstance(action, LeaseRenewed))
    for c in clients:
        old, new = first[c.name], c.lease
        assert old is not None and new is not None
        assert new.address == old.address
        assert new.expires_at is not None and old.expires_at is not None
        assert new.expires_at > old.expires_at + 1000
        assert not c.unbindings                       # never without its address
        assert renewed_at[new.address] >= 3
        record = server.state.lease(new.address)
        assert record is not None and record.state is LeaseState.BOUND
        assert record.expires >= new.expires_at       # the server holds it at least as long


def test_releases_and_expiries_free_addresses_for_new_clients() -> None:
    pool = "10.1.0.10-10.1.0.19"                      # ten addresses
    net, (server,), clients = relayed_network(10, pool=pool)
    run_until_all_configured(net, 120.0)
    late = net.add_client(client_config(100), segment="access", start=net.now)
    net.run(net.now + 60.0)
    assert late.address is None                       # the pool is full ...
    assert server.discards                            # ... and the server said so
    released, stopped = clients[:3], clients[3:5]
    by_release = {c.address for c in released}
    by_expiry = {c.address for c in stopped}
    for c in released:
        c.release()                                   # DHCPRELEASE: free at once
    for c in stopped:
        c.stop()                                      # gone without a word: expires
    quit_at = net.now
    newcomers = [net.add_client(client_config(200 + i), segment="access", start=net.now)
                 for i in range(4)]
    waiting = [late, *newcomers]
    net.run(net.now + 90.0)                           # the released ones are taken
    assert {c.address for c in waiting} - {None} == by_release
    net.run(net.now + 700.0)                          # the stopped ones expired and are taken
    expired = {a.address: t for t, a in server.lease_actions
               if isinstance(a, LeaseExpired) and a.lease.state is LeaseState.EXPIRED
               and t > quit_at}
    assert by_expiry <= expired.keys()
    assert {c.address for c in waiting} == by_release | by_expiry
    committed = {a.address: t for t, a in server.lease_actions
                 if isinstance(a, LeaseCommitted) and t > quit_at}
    assert all(committed[a] > expired[a] for a in by_expiry)
    assert {c.address for c in clients[5:]} | by_release | by_expiry == {
        IPv4Address(int(IPv4Address("10.1.0.10")) + i) for i in range(10)}
    assert not net.conflicts


def test_ten_percent_loss_still_binds_everyone_within_bounded_time() -> None:
    net, _, clients = relayed_network(1000, loss=0.10, seed=3)
    # Each hop loses 10%: a DORA through the relay crosses eight hops. The
    # start-up delay is at most 10 s and retransmissions back off to 64 s.
    run_until_all_configured(net, 300.0)
    assert net.stats["lost"] > 0.08 * net.stats["sent"]
    addresses = {c.address for c in clients}
    assert len(addresses) == 1000 and None not in addresses
    assert not net.conflicts


def test_two_servers_nobody_bound_by_both_and_no_offer_leaks() -> None:
    net, (a, b), clients = relayed_network(400, servers=2, loss=0.05, seed=5)
    run_until_all_configured(net, 300.0)
    net.run(net.now + 61.0)                           # offer_time (60 s) later
    pools = {a.address: "10.1.0.10-10.1.1.250", b.address: "10.1.2.10-10.1.3.250"}
    bound = {s.address: s.leases(LeaseState.BOUND) for s in (a, b)}
    for c in clients:
        assert c.lease is not None and c.address is not None
        chosen = c.lease.server_identifier
        assert chosen in pools and in_pool(c.address, pools[chosen])
        assert bound[chosen][c.address] == key(c)
        other = b.address if chosen == a.address else a.address
        assert key(c) not in bound[other].values()    # not bound by both
    # No leak: every offer was taken or freed within the offer time, so the
    # servers hold exactly one address per client.
    for s in (a, b):
        assert not s.leases(LeaseState.OFFERED)
    assert sum(len(v) for v in bound.values()) == 400
    for s in (a, b):
        offered: dict[IPv4Address, float] = {}
        for t, action in s.lease_actions:
            if isinstance(action, LeaseOffered):
                offered[action.address] = t
            elif action.address in offered:
                assert t - offered.pop(action.address) <= 60.0 + 1e-9
    both_offered = sum(1 for s in (a, b) for r in s.discards if "chose server" in r)
    assert both_offered > 0                           # the scenario did arise


def test_server_restarted_from_its_snapshot_keeps_every_binding() -> None:
    net, (server,), clients = relayed_network(300, seed=7)
    run_until_all_configured(net, 120.0)
    net.run(200.0)
    before = {c.name: c.address for c in clients}
    held = server.leases(LeaseState.BOUND)
    server.restart(down_for=5.0)
    net.run(206.0)
    assert server.up and server.restarts == 1
    assert server.leases(LeaseState.BOUND) == held
    net.run(2000.0)                                   # several renewals after the restart
    assert {c.name: c.address for c in clients} == before
    assert all(not c.unbindings for c in clients)
    renewed = Counter(a.address for t, a in server.lease_actions
                      if isinstance(a, LeaseRenewed) and t > 206.0)
    assert all(renewed[c.address] >= 3 for c in clients if c.address is not None)
    assert not net.conflicts


# -- the seed's scenarios, end to end ----------------------------------------------------

def _lan(*server_ids: str, lease_time: int = 3600) -> Network:
    """Servers straight on the clients' segment, with fixed one-millisecond hops."""
    net = Network(seed=11, delay=(0.001, 0.001), record_messages=True)
    for i, sid in enumerate(server_ids):
        net.add_server(ServerConfig(
            server_identifier=IPv4Address(sid),
            subnets=(Subnet(network="192.0.2.0/24",
                            pools=(f"192.0.2.{100 + 50 * i}-192.0.2.{140 + 50 * i}",),
                            interface="lan"),),
            default_lease_time=lease_time), segment="lan")
    return net


def _sent(net: Network, kind: MessageType, sender: str | None = None) -> list[Message]:
    return [s.message for s in net.messages
            if s.message.message_type is kind and (sender is None or s.sender == sender)]


def test_first_access_two_servers_offer_client_takes_first_other_frees_its_offer() -> None:
    net = _lan("192.0.2.1", "192.0.2.2")
    first, second = net.servers
    c = net.add_client(client_config(1))
    net.run(30.0)
    assert c.state.phase is State.BOUND
    assert len(_sent(net, MessageType.OFFER)) == 2    # both offered
    requests = _sent(net, MessageType.REQUEST)        # one broadcast, heard by both
    assert len(requests) == 2 and requests[0] == requests[1]
    request = requests[0]
    # The first OFFER to arrive (server1's, handled first) is taken.
    assert request.options[codes.SERVER_IDENTIFIER] == first.address
    assert c.lease is not None and c.lease.server_identifier == first.address
    assert c.address in first.leases(LeaseState.BOUND)
    # The other server freed its offer when it saw the REQUEST, not 60 s later.
    offered = [(t, a) for t, a in second.lease_actions if isinstance(a, LeaseOffered)]
    freed = [(t, a) for t, a in second.lease_actions if isinstance(a, LeaseExpired)]
    assert len(offered) == 1 and len(freed) == 1
    assert freed[0][1].address == offered[0][1].address
    assert freed[0][0] - offered[0][0] < 1.0
    assert not second.leases(LeaseState.OFFERED)


def test_second_access_init_reboot_gets_an_ack() -> None:
    net = _lan("192.0.2.1")
    c = net.add_client(client_config(1))
    net.run(30.0)
    address = c.address
    c.stop()
    net.messages.clear()
    net.run(100.0)
    c.start()                                         # remembers its lease: INIT-REBOOT
    net.run(130.0)
    assert c.state.phase is State.BOUND and c.address == address
    assert not _sent(net, MessageType.DISCOVER)
    (request,) = _sent(net, MessageType.REQUEST)
    assert request.options[codes.REQUESTED_IP_ADDRESS] == address
    assert codes.SERVER_IDENTIFIER not in request.options
    assert request.ciaddr == IPv4Address("0.0.0.0")
    assert len(_sent(net, MessageType.ACK)) == 1


def test_second_access_init_reboot_on_another_network_gets_a_nak_then_discovers() -> None:
    net = Network(seed=13, delay=(0.001, 0.001), record_messages=True)
    server = net.add_server(server_config(), segment="core")
    net.add_relay(segment="access", address=RELAY, servers=[server.address])
    net.add_relay(segment="other", address="10.2.0.1", servers=[server.address])
    c = net.add_client(client_config(1), segment="access")
    net.run(30.0)
    assert c.address is not None and c.address in ACCESS
    net.messages.clear()
    c.move("other")                                   # plugged into another network
    net.run(net.now + 60.0)
    kinds = [s.message.message_type for s in net.messages if s.sender == c.name]
    assert kinds[0] is MessageType.REQUEST            # INIT-REBOOT first
    assert len(_sent(net, MessageType.NAK)) >= 1
    assert MessageType.DISCOVER in kinds              # the NAK sent it back to INIT
    assert c.state.phase is State.BOUND and c.address is not None and c.address in OTHER
    assert any("NAK" in text or "DHCPNAK" in text for _, text in c.notes)


def test_lease_extension_at_t1() -> None:
    net = _lan("192.0.2.1", lease_time=3600)
    (server,) = net.servers
    c = net.add_client(client_config(1))
    net.run(30.0)
    lease = c.lease
    assert lease is not None and lease.renew_at is not None
    net.messages.clear()
    net.run(lease.renew_at + 1.0)
    (request,) = _sent(net, MessageType.REQUEST)
    sent = net.messages[0]
    assert sent.time == lease.renew_at                # at T1 exactly
    assert request.ciaddr == lease.address            # RENEWING: unicast with ciaddr
    assert codes.SERVER_IDENTIFIER not in request.options
    assert sent.receiver == server.name
    renewed = c.lease
    assert renewed is not None and renewed.address == lease.address
    assert renewed.expires_at == pytest.approx(lease.renew_at + 3600)
    record = server.state.lease(lease.address)
    assert record is not None and record.state is LeaseState.BOUND
    assert record.expires == pytest.approx(lease.renew_at + 0.001 + 3600)
    assert [type(a) for _, a in server.lease_actions][-1] is LeaseRenewed


def test_the_same_seed_replays_the_same_run() -> None:
    def run() -> tuple[list[IPv4Address | None], Counter[str]]:
        net, _, clients = relayed_network(50, loss=0.2, seed=21)
        net.run(900.0)
        return [c.address for c in clients], net.stats
    assert run() == run()


# -- FORCERENEW (RFC 3203, RFC 6704) and a relay on another port (RFC 8357) ----------------

def test_forcerenew_round_trip_server_forcerenew_client_renewing_request_ack() -> None:
    # RFC 3203 section 2.2: "The DHCP server sends a unicast FORCERENEW message
    # to the client. Upon receipt of the unicast FORCERENEW message, the client
    # will change its state to the RENEW state, and will then try to renew its
    # lease according to normal DHCP procedures." RFC 6704 authenticates it
    # with the nonce the server sent in its DHCPACK.
    net = Network(seed=17, delay=(0.001, 0.001), record_messages=True)
    server = net.add_server(ServerConfig(
        server_identifier=IPv4Address("192.0.2.1"),
        subnets=(Subnet(network="192.0.2.0/24", pools=("192.0.2.100-192.0.2.140",),
                        interface="lan"),),
        default_lease_time=3600, forcerenew_nonce=True), segment="lan")
    c = net.add_client(client_config(1, forcerenew_nonce=True))
    net.run(30.0)
    assert c.state.phase is State.BOUND and c.lease is not None and c.lease.nonce is not None
    bound_at = net.now
    record = server.state.lease(c.lease.address)
    assert record is not None and record.nonce == c.lease.nonce
    net.messages.clear()
    server.forcerenew(c.lease.address)
    net.run(bound_at + 1.0)
    kinds = [(s.sender, s.message.message_type) for s in net.messages]
    assert kinds == [(server.name, MessageType.FORCERENEW), (c.name, MessageType.REQUEST),
                     (server.name, MessageType.ACK)]
    request = net.messages[1].message
    assert request.ciaddr == c.lease.address  # RENEWING: unicast with 'ciaddr'
    assert net.messages[1].receiver == server.name
    assert c.state.phase is State.BOUND
    assert c.lease.expires_at == pytest.approx(bound_at + 0.001 + 3600, abs=0.01)
    assert [type(a) for _, a in server.lease_actions][-1] is LeaseRenewed


def test_a_client_without_a_nonce_ignores_an_unsigned_forcerenew() -> None:
    # RFC 3203 section 6: "FORCERENEW messages failing the authentication
    # should be silently discarded by the client."
    net = _lan("192.0.2.1")
    (server,) = net.servers
    c = net.add_client(client_config(1))
    net.run(30.0)
    assert c.lease is not None
    net.messages.clear()
    server.forcerenew(c.lease.address, allow_unauthenticated=True)
    net.run(net.now + 5.0)
    assert [s.message.message_type for s in net.messages] == [MessageType.FORCERENEW]
    assert c.state.phase is State.BOUND and c.discards == 1


def test_a_relay_on_port_1067_is_answered_there_and_its_clients_bind() -> None:
    # RFC 8357: the relay says it sends from another port (sub-option 19), and
    # the server's replies go to that port, where the relay listens.
    net = Network(seed=5)
    server = net.add_server(server_config(), segment="core")
    relay = net.add_relay(segment="access", address=RELAY, servers=[server.address], port=1067)
    clients = [net.add_client(client_config(i), segment="access") for i in range(20)]
    net.run(120.0)
    assert all(c.state.phase is State.BOUND for c in clients)
    assert relay.relayed_replies >= 40 and net.stats["wrong-port"] == 0
    assert len({c.address for c in clients}) == 20


def test_replies_to_the_wrong_relay_port_are_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    # The simulator delivers a reply only to the port its relay listens on: a
    # server that ignored sub-option 19 would answer port 67 and bind nobody.
    import dhcpwire.tools.simulator as simulator
    handle = simulator.handle
    monkeypatch.setattr(simulator, "handle",
                        lambda *a, **kw: handle(*a, **{**kw, "source_port": None}))
    net = Network(seed=5)
    server = net.add_server(server_config(), segment="core")
    net.add_relay(segment="access", address=RELAY, servers=[server.address], port=1067)
    c = net.add_client(client_config(1), segment="access")
    net.run(60.0)
    assert c.state.phase is not State.BOUND and net.stats["wrong-port"] > 0
