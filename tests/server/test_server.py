"""Scenario tests of the RFC 2131 server (dhcpwire.server), with a fake clock.

Every message goes through the wire (encode, then decode) on the way in and
every reply on the way out, and every reply is held against RFC 2131 table
3 by ``check_reply``. Replies are compared whole, field by field and option
by option, with the delivery decision.
"""

from __future__ import annotations

import doctest
import json
import math
import random
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dhcpwire import (
    BROADCAST_FLAG,
    ClasslessRoute,
    ClientIdentifier,
    DataError,
    Message,
    MessageType,
    OpCode,
    Options,
    StateError,
    decode,
    encode,
)
from dhcpwire import codes as c
from dhcpwire.protocol.rfc2131 import REQUEST_STATES, request_state
from dhcpwire.server import (
    DELIVERY_RULES,
    INFINITE,
    REQUEST_KINDS,
    Discard,
    LeaseAction,
    LeaseCommitted,
    LeaseDeclined,
    LeaseExpired,
    LeaseOffered,
    LeaseRecord,
    LeaseReleased,
    LeaseState,
    Reservation,
    Send,
    ServerConfig,
    ServerState,
    Subnet,
    check_reply,
    client_key,
    expire,
    handle,
    next_deadline,
    replay,
    restore,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[2]
A = IPv4Address
SERVER = A("192.0.2.1")
OTHER_SERVER = A("192.0.2.2")
T0 = 1_000_000.0
MAC = [bytes.fromhex(f"02000000{i:04x}") for i in range(64)]
ZERO = A(0)
BCAST = A("255.255.255.255")


def cid(i: int) -> ClientIdentifier:
    return ClientIdentifier(1, MAC[i])


def subnet(**kw: Any) -> Subnet:
    """192.0.2.0/24 with a pool of ten; another network starts with no pool."""
    base: dict[str, Any] = dict(
        network="192.0.2.0/24", pools=(("192.0.2.10", "192.0.2.19"),), router=("192.0.2.1",),
        dns_servers=("192.0.2.53",), domain_name="example.org")
    if "network" in kw:
        base = {}
    base.update(kw)
    return Subnet(**base)


def config(**kw: Any) -> ServerConfig:
    base: dict[str, Any] = dict(server_identifier=SERVER, subnets=(subnet(),),
                                default_lease_time=3600, min_lease_time=60,
                                max_lease_time=86400, offer_time=30.0, decline_time=600.0)
    base.update(kw)
    return ServerConfig(**base)


PRL = (c.SUBNET_MASK, c.ROUTER, c.DOMAIN_NAME_SERVER, c.DOMAIN_NAME)


def client_msg(kind: MessageType | None, i: int = 0, *, xid: int = 0x1000, flags: int = 0,
               ciaddr: IPv4Address = ZERO, giaddr: IPv4Address = ZERO, with_cid: bool = True,
               prl: tuple[int, ...] | None = PRL, **options: Any) -> Message:
    opts: dict[int, Any] = {}
    if kind is not None:
        opts[c.MESSAGE_TYPE] = kind
    if with_cid:
        opts[c.CLIENT_IDENTIFIER] = cid(i)
    if prl is not None:
        opts[c.PARAMETER_REQUEST_LIST] = prl
    for name, value in options.items():
        if value is not None:
            opts[getattr(c, name.upper())] = value
    return Message(xid=xid + i, flags=flags, ciaddr=ciaddr, giaddr=giaddr, chaddr=MAC[i],
                   hops=1 if int(giaddr) else 0, options=opts)


def discover(i: int = 0, **kw: Any) -> Message:
    return client_msg(MessageType.DISCOVER, i, **kw)


def selecting(i: int, address: IPv4Address, server: IPv4Address = SERVER, **kw: Any) -> Message:
    return client_msg(MessageType.REQUEST, i, requested_ip_address=address,
                      server_identifier=server, **kw)


def init_reboot(i: int, address: IPv4Address, **kw: Any) -> Message:
    return client_msg(MessageType.REQUEST, i, requested_ip_address=address, **kw)


def renewing(i: int, address: IPv4Address, **kw: Any) -> Message:
    return client_msg(MessageType.REQUEST, i, ciaddr=address, **kw)


class Server:
    """A server driven through bytes, with a fake clock; checks every reply."""

    def __init__(self, cfg: ServerConfig | None = None, now: float = T0) -> None:
        self.state = ServerState(config=cfg or config())
        self.now = now
        self.rng = random.Random(4)
        self.log: list[object] = []

    def send(self, msg: Message, *, after: float = 0.0, **kw: Any) -> tuple[object, ...]:
        self.now += after
        request = decode(encode(msg))
        old = self.state
        self.state, actions = handle(self.state, request, now=self.now, rng=self.rng, **kw)
        if self.state is not old:  # versions are linear: the old one is superseded
            with pytest.raises(StateError, match="superseded"):
                snapshot(old)
        for action in actions:
            if isinstance(action, Send):
                assert check_reply(request, action.message) == [], check_reply(
                    request, action.message)
                wire = action.payload()
                assert len(wire) <= action.max_size
                back = decode(wire)
                assert back.replace(options=back.options.remove(c.OPTION_OVERLOAD)) \
                    == action.message
        kinds = [type(a) for a in actions]
        assert actions and kinds.count(Send) + kinds.count(Discard) <= 1, kinds
        self.log.extend(actions)
        return actions

    def reply(self, msg: Message, **kw: Any) -> Send:
        actions = self.send(msg, **kw)
        assert isinstance(actions[-1], Send), actions
        return actions[-1]

    def silent(self, msg: Message, **kw: Any) -> Discard:
        actions = self.send(msg, **kw)
        assert isinstance(actions[-1], Discard), actions
        return actions[-1]

    def tick(self, seconds: float) -> tuple[object, ...]:
        self.now += seconds
        self.state, actions = expire(self.state, now=self.now)
        self.log.extend(actions)
        return actions

    def bind(self, i: int, **kw: Any) -> IPv4Address:
        offer = self.reply(discover(i, **kw)).message
        ack = self.reply(selecting(i, offer.yiaddr, **kw)).message
        assert ack.message_type == MessageType.ACK
        return ack.yiaddr


def lease_actions(actions: tuple[object, ...]) -> list[tuple[str, str, LeaseState]]:
    return [(type(a).__name__, str(a.address), a.lease.state)
            for a in actions if isinstance(a, LeaseAction)]


# -- DHCPDISCOVER and DHCPOFFER ----------------------------------------------------------

def test_offer_has_exactly_the_table_3_fields_and_options() -> None:
    srv = Server()
    actions = srv.send(discover(0))
    assert actions[0] == LeaseOffered(lease=LeaseRecord(
        address=A("192.0.2.10"), client="id:01" + MAC[0].hex(), hardware_address=MAC[0],
        state=LeaseState.OFFERED, expires=T0 + 30, lease_time=3600))
    send = actions[1]
    assert isinstance(send, Send)
    assert send.message == Message(
        op=OpCode.BOOTREPLY, xid=0x1000, yiaddr="192.0.2.10", chaddr=MAC[0], options={
            c.MESSAGE_TYPE: MessageType.OFFER, c.SERVER_IDENTIFIER: SERVER,
            c.IP_ADDRESS_LEASE_TIME: 3600, c.RENEWAL_TIME: 1800, c.REBINDING_TIME: 3150,
            c.SUBNET_MASK: A("255.255.255.0"), c.ROUTER: (SERVER,),
            c.DOMAIN_NAME_SERVER: (A("192.0.2.53"),), c.DOMAIN_NAME: "example.org",
            c.CLIENT_IDENTIFIER: cid(0)})
    # Section 4.1: no giaddr, no ciaddr, no BROADCAST bit: unicast to yiaddr at chaddr.
    assert (send.destination, send.port, send.broadcast, send.hardware_address,
            send.max_size) == (A("192.0.2.10"), 68, False, MAC[0], 548)


def test_offer_to_a_client_that_sets_the_broadcast_bit_is_broadcast() -> None:
    send = Server().reply(discover(0, flags=BROADCAST_FLAG))
    assert (send.destination, send.port, send.broadcast, send.hardware_address) == (
        BCAST, 68, True, None)
    assert send.message.flags == BROADCAST_FLAG


def test_offer_without_a_usable_chaddr_is_broadcast() -> None:
    # RFC 4390: IPoIB clients send hlen 0; the reply cannot go to chaddr.
    msg = discover(0).replace(hlen=0, htype=32)
    send = Server().reply(msg)
    assert (send.destination, send.broadcast, send.hardware_address) == (BCAST, True, None)


def test_relayed_discover_is_answered_to_the_relay_on_port_67_with_option_82_echoed() -> None:
    cfg = config(subnets=(subnet(), subnet(network="198.51.100.0/24",
                                           pools=(("198.51.100.100", "198.51.100.109"),),
                                           router=("198.51.100.1",))))
    agent = Options({c.RAI_AGENT_CIRCUIT_ID: b"port-7", c.RAI_AGENT_REMOTE_ID: b"\x01\x02"},
                    registry=c_registry())
    msg = discover(0, giaddr=A("198.51.100.1"), relay_agent_information=agent)
    send = Server(cfg).reply(msg)
    assert send.message.yiaddr == A("198.51.100.100")
    assert send.message.giaddr == A("198.51.100.1")
    assert (send.destination, send.port, send.broadcast, send.hardware_address) == (
        A("198.51.100.1"), 67, False, None)
    assert send.message.options.raw(c.RELAY_AGENT_INFORMATION) == msg.options.raw(
        c.RELAY_AGENT_INFORMATION)
    assert send.message.options[c.ROUTER] == (A("198.51.100.1"),)
    # RFC 3046 section 2.2: "as the last DHCP option"
    assert option_codes(send.payload())[-1] == c.RELAY_AGENT_INFORMATION


def option_codes(wire: bytes) -> list[int]:
    """The option codes of an encoded message's options field, in wire order."""
    out, i = [], 240
    while wire[i] != 255:
        if wire[i]:
            out.append(wire[i])
            i += 2 + wire[i + 1]
        else:
            i += 1
    return out


def c_registry() -> Any:
    from dhcpwire import RELAY_AGENT_SPACE
    return RELAY_AGENT_SPACE


def test_link_selection_suboption_chooses_the_subnet_over_giaddr() -> None:
    cfg = config(subnets=(subnet(), subnet(network="198.51.100.0/24",
                                           pools=(("198.51.100.100", "198.51.100.109"),))))
    agent = Options({c.RAI_LINK_SELECTION: A("198.51.100.0")}, registry=c_registry())
    send = Server(cfg).reply(discover(0, giaddr=A("192.0.2.254"),
                                      relay_agent_information=agent))
    assert send.message.yiaddr == A("198.51.100.100")
    # RFC 3527 section 3: "The IP address to which a DHCP server sends a reply
    # MUST be the same as it would choose when this sub-option is not present."
    assert send.destination == A("192.0.2.254") and send.port == 67


def test_subnet_selection_option_is_ignored_unless_enabled_and_echoed_when_used() -> None:
    two = (subnet(), subnet(network="198.51.100.0/24",
                            pools=(("198.51.100.100", "198.51.100.109"),)))
    msg = discover(0, subnet_selection=A("198.51.100.0"))
    off = Server(config(subnets=two)).reply(msg, source=A("192.0.2.99"))
    assert off.message.yiaddr == A("192.0.2.10")
    assert c.SUBNET_SELECTION not in off.message.options
    on = Server(config(subnets=two, subnet_selection=True)).reply(msg)
    assert on.message.yiaddr == A("198.51.100.100")
    assert on.message.options[c.SUBNET_SELECTION] == A("198.51.100.0")


def test_interface_picks_the_subnet_of_a_local_client() -> None:
    cfg = config(subnets=(subnet(interface="eth0"),
                          subnet(network="198.51.100.0/24", interface="eth1",
                                 pools=(("198.51.100.100", "198.51.100.109"),))))
    srv = Server(cfg)
    assert srv.reply(discover(0), interface="eth1").message.yiaddr == A("198.51.100.100")
    assert srv.reply(discover(1), interface="eth0").message.yiaddr == A("192.0.2.10")
    assert srv.silent(discover(2), interface="eth9").reason.startswith("no subnet")
    assert srv.reply(discover(3), interface="eth1").interface == "eth1"


def test_a_server_with_several_subnets_and_no_way_to_tell_stays_silent() -> None:
    cfg = config(subnets=(subnet(), subnet(network="198.51.100.0/24")))
    assert "no subnet" in Server(cfg).silent(discover(0)).reason


def test_shared_network_serves_from_the_next_subnet_when_the_first_is_full() -> None:
    cfg = config(subnets=(subnet(pools=(("192.0.2.10", "192.0.2.10"),), link="lan"),
                          subnet(network="198.51.100.0/24", link="lan",
                                 pools=(("198.51.100.100", "198.51.100.100"),))))
    srv = Server(cfg)
    assert srv.reply(discover(0), source=A("192.0.2.77")).message.yiaddr == A("192.0.2.10")
    second = srv.reply(discover(1), source=A("192.0.2.78")).message
    assert second.yiaddr == A("198.51.100.100")
    # the options are those of the subnet the address is on
    assert second.options[c.SUBNET_MASK] == A("255.255.255.0")


def test_offers_go_to_different_clients_while_held() -> None:
    srv = Server()
    got = [srv.reply(discover(i)).message.yiaddr for i in range(5)]
    assert got == [A(f"192.0.2.{n}") for n in range(10, 15)]


def test_a_retransmitted_discover_gets_the_same_offer_held_longer() -> None:
    srv = Server()
    first = srv.reply(discover(0)).message.yiaddr
    actions = srv.send(discover(0), after=5)
    assert actions[-1].message.yiaddr == first
    assert actions[0].lease.expires == srv.now + 30


def test_no_free_address_is_a_discard_and_no_lease_change() -> None:
    srv = Server(config(subnets=(subnet(pools=(("192.0.2.10", "192.0.2.11"),)),)))
    srv.reply(discover(0))
    srv.reply(discover(1))
    before = snapshot(srv.state)
    actions = srv.send(discover(2))
    assert len(actions) == 1 and actions[0].reason == "no free address on 192.0.2.0/24"
    assert snapshot(srv.state) == before


def test_excluded_network_broadcast_server_and_router_addresses_are_never_offered() -> None:
    cfg = config(subnets=(subnet(network="192.0.2.0/29", pools=(("192.0.2.0", "192.0.2.7"),),
                                 excluded=("192.0.2.3", ("192.0.2.5", "192.0.2.5")),
                                 router=("192.0.2.6",)),))
    srv = Server(cfg)
    got = [srv.send(discover(i))[-1] for i in range(4)]
    assert [g.message.yiaddr for g in got[:2]] == [A("192.0.2.2"), A("192.0.2.4")]
    assert all(isinstance(g, Discard) for g in got[2:])


def test_address_order_current_binding_then_previous_then_requested_then_new() -> None:
    srv = Server()
    bound = srv.bind(0)
    # 1. the current binding, whatever option 50 says
    assert srv.reply(discover(0, requested_ip_address=A("192.0.2.15"))).message.yiaddr == bound
    # 2. the previous address, once released
    srv.send(client_msg(MessageType.RELEASE, 0, ciaddr=bound, server_identifier=SERVER))
    assert srv.reply(discover(0, requested_ip_address=A("192.0.2.15"))).message.yiaddr == bound
    # 3. the requested address, when valid and free
    assert srv.reply(discover(1, requested_ip_address=A("192.0.2.15"))).message.yiaddr == A(
        "192.0.2.15")
    # ... not when it is held by another client, nor outside the pool
    assert srv.reply(discover(2, requested_ip_address=A("192.0.2.15"))).message.yiaddr == A(
        "192.0.2.11")
    assert srv.reply(discover(3, requested_ip_address=A("192.0.2.200"))).message.yiaddr == A(
        "192.0.2.12")


def test_a_released_address_stays_its_clients_while_fresh_addresses_remain() -> None:
    srv = Server()
    first = srv.bind(0)
    srv.send(client_msg(MessageType.RELEASE, 0, ciaddr=first, server_identifier=SERVER))
    others = {srv.bind(i) for i in range(1, 10)}
    assert first not in others  # nine fresh addresses went first
    assert srv.reply(discover(0)).message.yiaddr == first  # and it is still there


def test_freed_addresses_are_reused_least_recently_freed_first() -> None:
    srv = Server(config(subnets=(subnet(pools=(("192.0.2.10", "192.0.2.12"),)),)))
    got = [srv.bind(i) for i in range(3)]
    for i in (2, 0, 1):
        srv.send(client_msg(MessageType.RELEASE, i, ciaddr=got[i], server_identifier=SERVER),
                 after=1)
    assert [srv.bind(i) for i in (10, 11, 12)] == [got[2], got[0], got[1]]


def test_lease_time_requested_is_honoured_within_the_bounds() -> None:
    srv = Server()
    assert srv.reply(discover(0, ip_address_lease_time=600)).message.options[51] == 600
    assert srv.reply(discover(1, ip_address_lease_time=5)).message.options[51] == 60
    assert srv.reply(discover(2, ip_address_lease_time=10**6)).message.options[51] == 86400
    assert srv.reply(discover(3)).message.options[51] == 3600


def test_rediscover_of_a_current_binding_offers_the_time_left_and_changes_nothing() -> None:
    srv = Server()
    bound = srv.bind(0)
    actions = srv.send(discover(0), after=1000)
    assert [type(a) for a in actions] == [Send]
    assert actions[0].message.yiaddr == bound
    assert actions[0].message.options[51] == 2600
    assert actions[0].message.options[58] == 1300


def test_infinite_lease_has_no_t1_t2_and_never_expires() -> None:
    srv = Server(config(max_lease_time=INFINITE))
    offer = srv.reply(discover(0, ip_address_lease_time=INFINITE)).message
    assert offer.options[51] == INFINITE and 58 not in offer.options and 59 not in offer.options
    actions = srv.send(selecting(0, offer.yiaddr, ip_address_lease_time=INFINITE))
    assert actions[0].lease.expires == math.inf
    assert srv.tick(10**9) == ()
    assert snapshot(srv.state)["leases"][0]["expires"] is None


def test_t1_and_t2_follow_the_configured_fractions() -> None:
    srv = Server(config(renewal_fraction=0.25, rebinding_fraction=0.5))
    offer = srv.reply(discover(0)).message
    assert (offer.options[58], offer.options[59]) == (900, 1800)


# -- parameters ----------------------------------------------------------------------

def test_only_requested_parameters_and_always_send_are_returned_in_request_order() -> None:
    cfg = config(subnets=(subnet(ntp_servers=("192.0.2.123",), mtu=1400,
                                 options={c.TIME_OFFSET: -3600}),))
    offer = Server(cfg).reply(discover(0, prl=(c.NTP_SERVERS, c.ROUTER, 250))).message
    assert list(offer.options) == [c.MESSAGE_TYPE, c.SERVER_IDENTIFIER, c.IP_ADDRESS_LEASE_TIME,
                                   c.RENEWAL_TIME, c.REBINDING_TIME, c.NTP_SERVERS, c.ROUTER,
                                   c.SUBNET_MASK, c.CLIENT_IDENTIFIER]


def test_without_a_parameter_request_list_every_configured_option_is_sent() -> None:
    cfg = config(subnets=(subnet(mtu=1400, domain_search=("example.org", "example.com")),),
                 options={c.NTP_SERVERS: (A("192.0.2.123"),)})
    offer = Server(cfg).reply(discover(0, prl=None)).message
    for code in (c.SUBNET_MASK, c.ROUTER, c.DOMAIN_NAME_SERVER, c.DOMAIN_NAME, c.INTERFACE_MTU,
                 c.DOMAIN_SEARCH, c.NTP_SERVERS):
        assert code in offer.options
    assert offer.options[c.DOMAIN_SEARCH] == ("example.org", "example.com")


def test_classless_routes_requested_suppress_router_and_static_routes() -> None:
    routes = (ClasslessRoute(IPv4Network("0.0.0.0/0"), SERVER),
              ClasslessRoute(IPv4Network("10.0.0.0/8"), A("192.0.2.254")))
    cfg = config(subnets=(subnet(classless_routes=routes),))
    offer = Server(cfg).reply(discover(0, prl=(c.CLASSLESS_STATIC_ROUTE, c.ROUTER))).message
    assert offer.options[c.CLASSLESS_STATIC_ROUTE] == routes
    assert c.ROUTER not in offer.options
    plain = Server(cfg).reply(discover(0, prl=(c.ROUTER,))).message
    assert plain.options[c.ROUTER] == (SERVER,)


def test_subnet_options_override_global_ones_and_reservation_options_override_both() -> None:
    cfg = config(options={c.DOMAIN_NAME: "global.example", c.NTP_SERVERS: (A("192.0.2.5"),)},
                 reservations=(Reservation(address="192.0.2.100", hardware_address=MAC[1],
                                           options={c.HOST_NAME: "printer",
                                                    c.NTP_SERVERS: (A("192.0.2.6"),)}),))
    srv = Server(cfg)
    prl = (c.DOMAIN_NAME, c.NTP_SERVERS, c.HOST_NAME)
    plain = srv.reply(discover(0, prl=prl)).message.options
    assert (plain[c.DOMAIN_NAME], plain[c.NTP_SERVERS]) == ("example.org", (A("192.0.2.5"),))
    assert c.HOST_NAME not in plain
    special = srv.reply(discover(1, prl=prl)).message.options
    assert (special[c.NTP_SERVERS], special[c.HOST_NAME]) == ((A("192.0.2.6"),), "printer")


def test_next_server_boot_file_and_server_name_fill_siaddr_file_and_sname() -> None:
    cfg = config(subnets=(subnet(next_server="192.0.2.69", boot_file="pxelinux.0",
                                 server_name="boot"),))
    offer = Server(cfg).reply(discover(0)).message
    assert (offer.siaddr, offer.file, offer.sname) == (A("192.0.2.69"), b"pxelinux.0", b"boot")


def test_a_big_reply_overloads_file_and_sname_within_the_client_maximum() -> None:
    many = tuple(A(f"10.0.{i // 256}.{i % 256}") for i in range(70))
    cfg = config(subnets=(subnet(options={c.NIS_SERVERS: many, c.LOG_SERVER: many[:30]}),))
    srv = Server(cfg)
    prl = (*PRL, c.NIS_SERVERS, c.LOG_SERVER)
    small = srv.reply(discover(0, prl=prl))
    assert small.max_size == 548
    wire = small.payload()
    assert len(wire) <= 548
    assert decode(wire).options[c.NIS_SERVERS] == many  # overloaded into file/sname
    assert decode(wire).options[c.LOG_SERVER] == many[:30]
    big = srv.reply(discover(1, prl=prl, maximum_message_size=1500))
    assert big.max_size == 1472 and len(big.payload()) <= 1472
    assert c.OPTION_OVERLOAD not in decode(big.payload()).options


def test_options_that_cannot_fit_are_left_out_last_requested_first() -> None:
    many = tuple(A(f"10.0.{i // 256}.{i % 256}") for i in range(120))
    cfg = config(subnets=(subnet(options={c.NIS_SERVERS: many, c.LOG_SERVER: many[:2]}),))
    reply = Server(cfg).reply(discover(0, prl=(c.LOG_SERVER, c.NIS_SERVERS)))
    assert reply.message.options[c.LOG_SERVER] == many[:2]
    assert c.NIS_SERVERS not in reply.message.options


def test_an_undersized_maximum_message_size_counts_as_576() -> None:
    # RFC 2132 section 9.10: "The minimum legal value is 576 octets."
    bad = decode(encode(discover(0).replace(
        options=discover(0).options.set_raw(57, b"\x00\x10"))), strict=False)
    assert bad.defects
    reply = handle(ServerState(config=config()), bad, now=T0)[1][-1]
    assert isinstance(reply, Send) and reply.max_size == 548


# -- DHCPREQUEST -----------------------------------------------------------------------

def test_selecting_request_for_our_offer_is_acked_and_committed() -> None:
    srv = Server()
    offer = srv.reply(discover(0)).message
    actions = srv.send(selecting(0, offer.yiaddr), after=2)
    assert lease_actions(actions) == [("LeaseCommitted", "192.0.2.10", LeaseState.BOUND)]
    assert actions[0].lease.expires == T0 + 2 + 3600
    ack = actions[1]
    assert ack.message == Message(
        op=OpCode.BOOTREPLY, xid=0x1000, yiaddr="192.0.2.10", chaddr=MAC[0], options={
            c.MESSAGE_TYPE: MessageType.ACK, c.SERVER_IDENTIFIER: SERVER,
            c.IP_ADDRESS_LEASE_TIME: 3600, c.RENEWAL_TIME: 1800, c.REBINDING_TIME: 3150,
            c.SUBNET_MASK: A("255.255.255.0"), c.ROUTER: (SERVER,),
            c.DOMAIN_NAME_SERVER: (A("192.0.2.53"),), c.DOMAIN_NAME: "example.org",
            c.CLIENT_IDENTIFIER: cid(0)})
    assert (ack.destination, ack.port, ack.hardware_address) == (A("192.0.2.10"), 68, MAC[0])


def test_the_offered_lease_time_is_the_one_acked() -> None:
    srv = Server()
    offer = srv.reply(discover(0, ip_address_lease_time=900)).message
    ack = srv.reply(selecting(0, offer.yiaddr)).message
    assert ack.options[51] == 900


def test_selecting_another_server_frees_our_offer_at_once() -> None:
    srv = Server(config(subnets=(subnet(pools=(("192.0.2.10", "192.0.2.10"),)),)))
    offer = srv.reply(discover(0)).message
    actions = srv.send(selecting(0, A("192.0.2.200"), server=OTHER_SERVER), after=1)
    assert lease_actions(actions) == [("LeaseExpired", "192.0.2.10", LeaseState.EXPIRED)]
    assert actions[-1].reason == "the client chose server 192.0.2.2"
    # the only address goes to the next client at once, well within the offer time
    assert srv.reply(discover(1)).message.yiaddr == offer.yiaddr


def test_two_servers_with_disjoint_pools_both_offer_and_the_loser_lets_go() -> None:
    a = Server(config(subnets=(subnet(pools=(("192.0.2.10", "192.0.2.19"),)),)))
    b = Server(config(server_identifier=OTHER_SERVER,
                      subnets=(subnet(pools=(("192.0.2.100", "192.0.2.109"),)),)))
    msg = discover(0, flags=BROADCAST_FLAG)
    offer_a, offer_b = a.reply(msg).message, b.reply(msg).message
    assert (offer_a.yiaddr, offer_b.yiaddr) == (A("192.0.2.10"), A("192.0.2.100"))
    # the client takes the first offer, A's, and broadcasts its choice
    choice = selecting(0, offer_a.yiaddr, server=SERVER, flags=BROADCAST_FLAG)
    assert a.reply(choice).message.message_type == MessageType.ACK
    dropped = b.send(choice)
    assert lease_actions(dropped) == [("LeaseExpired", "192.0.2.100", LeaseState.EXPIRED)]
    assert b.state.lease("192.0.2.100").state is LeaseState.EXPIRED  # type: ignore[union-attr]
    assert a.state.lease("192.0.2.10").state is LeaseState.BOUND  # type: ignore[union-attr]
    # B has no record of the client's binding: its INIT-REBOOT gets silence from B
    b.silent(init_reboot(0, offer_a.yiaddr, flags=BROADCAST_FLAG))
    assert a.reply(init_reboot(0, offer_a.yiaddr)).message.message_type == MessageType.ACK


def test_selecting_request_after_the_address_went_elsewhere_is_naked() -> None:
    srv = Server(config(subnets=(subnet(pools=(("192.0.2.10", "192.0.2.10"),)),)))
    offer = srv.reply(discover(0)).message
    srv.tick(31)
    srv.bind(1)
    nak = srv.reply(selecting(0, offer.yiaddr))
    assert nak.message.message_type == MessageType.NAK
    assert nak.message.options[c.MESSAGE] == "the offer no longer stands"


def test_selecting_request_after_the_offer_lapsed_but_the_address_is_free_is_acked() -> None:
    srv = Server()
    offer = srv.reply(discover(0)).message
    assert lease_actions(srv.tick(31)) == [("LeaseExpired", "192.0.2.10", LeaseState.EXPIRED)]
    assert srv.reply(selecting(0, offer.yiaddr)).message.message_type == MessageType.ACK


def test_nak_has_no_lease_and_is_broadcast_without_a_relay() -> None:
    srv = Server()
    srv.bind(0)  # a client the server has a record of (RFC 2131 section 4.3.2)
    nak = srv.reply(init_reboot(0, A("203.0.113.5")))
    assert nak.message == Message(
        op=OpCode.BOOTREPLY, xid=0x1000, chaddr=MAC[0], options={
            c.MESSAGE_TYPE: MessageType.NAK, c.SERVER_IDENTIFIER: SERVER,
            c.MESSAGE: "the requested address is not on the client's network",
            c.CLIENT_IDENTIFIER: cid(0)})
    assert (nak.destination, nak.port, nak.broadcast, nak.hardware_address) == (
        BCAST, 68, True, None)


def test_nak_through_a_relay_goes_to_the_relay_with_the_broadcast_bit_set() -> None:
    srv = Server()
    srv.bind(0)
    nak = srv.reply(init_reboot(0, A("203.0.113.5"), giaddr=A("192.0.2.254")))
    assert nak.message.message_type == MessageType.NAK
    assert nak.message.flags == BROADCAST_FLAG
    assert (nak.destination, nak.port, nak.broadcast) == (A("192.0.2.254"), 67, False)


def test_init_reboot_with_a_known_binding_is_acked_and_renewed() -> None:
    srv = Server()
    bound = srv.bind(0)
    actions = srv.send(init_reboot(0, bound), after=100)
    assert lease_actions(actions) == [("LeaseRenewed", str(bound), LeaseState.BOUND)]
    assert actions[-1].message.yiaddr == bound
    assert actions[-1].destination == bound  # not broadcast: unicast to yiaddr at chaddr


def test_init_reboot_for_someone_elses_address_is_naked() -> None:
    srv = Server()
    bound = srv.bind(0)
    srv.bind(1)  # client 1 is known here, at another address
    nak = srv.reply(init_reboot(1, bound))
    assert nak.message.options[c.MESSAGE] == (
        "requested address 192.0.2.10 belongs to another client")


def test_init_reboot_for_a_different_address_than_the_clients_binding_is_naked() -> None:
    srv = Server()
    srv.bind(0)
    nak = srv.reply(init_reboot(0, A("192.0.2.15")))
    assert nak.message.message_type == MessageType.NAK


def test_init_reboot_of_an_unknown_client_is_silent_unless_authoritative() -> None:
    silent = Server().silent(init_reboot(0, A("192.0.2.15")))
    assert "not authoritative" in silent.reason
    nak = Server(config(authoritative=True)).reply(init_reboot(0, A("192.0.2.15")))
    assert nak.message.message_type == MessageType.NAK


def test_init_reboot_after_the_lease_expired_gets_the_address_back_if_still_free() -> None:
    srv = Server()
    bound = srv.bind(0)
    srv.tick(4000)
    assert srv.state.lease(bound).state is LeaseState.EXPIRED  # type: ignore[union-attr]
    actions = srv.send(init_reboot(0, bound))
    assert lease_actions(actions) == [("LeaseCommitted", str(bound), LeaseState.BOUND)]


def test_renewing_request_is_acked_by_unicast_to_ciaddr_and_extends_the_lease() -> None:
    srv = Server()
    bound = srv.bind(0)
    actions = srv.send(renewing(0, bound), after=1800)
    assert lease_actions(actions) == [("LeaseRenewed", str(bound), LeaseState.BOUND)]
    assert actions[0].lease.expires == srv.now + 3600
    ack = actions[1]
    assert ack.message.ciaddr == bound and ack.message.yiaddr == bound
    assert (ack.destination, ack.port, ack.broadcast, ack.hardware_address) == (
        bound, 68, False, None)


def test_rebinding_request_for_a_lease_we_do_not_hold_is_silent() -> None:
    srv = Server()
    srv.silent(renewing(0, A("192.0.2.150"), flags=BROADCAST_FLAG))
    auth = Server(config(authoritative=True))
    assert auth.reply(renewing(0, A("192.0.2.150"))).message.message_type == MessageType.NAK


def test_renewing_someone_elses_lease_is_naked() -> None:
    srv = Server()
    bound = srv.bind(0)
    nak = srv.reply(renewing(1, bound))
    assert nak.message.message_type == MessageType.NAK
    assert nak.destination == BCAST  # section 4.1: a NAK without giaddr is broadcast


def test_relayed_rebinding_from_another_network_is_naked() -> None:
    srv = Server()
    bound = srv.bind(0)
    cfg_two = config(subnets=(subnet(), subnet(network="198.51.100.0/24")))
    srv2 = Server(cfg_two)
    srv2.state = restore(cfg_two, snapshot(srv.state))
    nak = srv2.reply(renewing(0, bound, giaddr=A("198.51.100.1")))
    assert nak.message.options[c.MESSAGE] == "ciaddr is not on the client's network"


def test_request_with_no_server_id_no_requested_address_and_no_ciaddr_is_discarded() -> None:
    assert "table 4" in Server().silent(client_msg(MessageType.REQUEST, 0)).reason


def test_request_kinds_are_the_states_of_rfc_2131_table_4() -> None:
    # Table 4's DHCPREQUEST rows, as protocol.rfc2131 holds them, and the
    # message that matches none of them.
    assert set(REQUEST_KINDS) == set(REQUEST_STATES) | {None}
    assert REQUEST_KINDS["RENEWING"] is REQUEST_KINDS["REBINDING"]


@pytest.mark.parametrize(("sid", "ciaddr", "requested", "kind"), [
    (True, False, False, "SELECTING"), (True, False, True, "SELECTING"),
    (True, True, False, "SELECTING"), (True, True, True, "SELECTING"),
    (False, False, True, "INIT-REBOOT"), (False, True, False, "RENEWING"),
    (False, True, True, "RENEWING"), (False, False, False, None)])
def test_a_request_is_dispatched_by_its_table_4_state(
        monkeypatch: pytest.MonkeyPatch, sid: bool, ciaddr: bool, requested: bool,
        kind: str | None) -> None:
    # Section 4.3.2: "If the DHCPREQUEST message contains a 'server identifier'
    # option, the message is in response to a DHCPOFFER message. Otherwise, the
    # message is a request to verify or extend an existing lease."
    import dhcpwire.server.rules as rules
    msg = client_msg(MessageType.REQUEST, 0, ciaddr=A("192.0.2.10") if ciaddr else ZERO,
                     server_identifier=SERVER if sid else None,
                     requested_ip_address=A("192.0.2.10") if requested else None)
    assert request_state(msg) == kind
    seen: list[str | None] = []

    def spy(state: str | None, handler: Any) -> Any:
        return lambda cx: seen.append(state) or handler(cx)
    monkeypatch.setattr(rules, "REQUEST_KINDS",
                        {state: spy(state, h) for state, h in REQUEST_KINDS.items()})
    Server().send(msg)
    assert seen == [kind]


def test_server_identifier_override_is_sent_and_accepted() -> None:
    agent = Options({c.RAI_SERVER_ID_OVERRIDE: A("192.0.2.254")}, registry=c_registry())
    srv = Server()
    offer = srv.reply(discover(0, giaddr=A("192.0.2.254"), relay_agent_information=agent))
    assert offer.message.options[c.SERVER_IDENTIFIER] == A("192.0.2.254")
    ack = srv.reply(selecting(0, offer.message.yiaddr, server=A("192.0.2.254"),
                              giaddr=A("192.0.2.254"), relay_agent_information=agent))
    assert ack.message.message_type == MessageType.ACK
    assert ack.message.options[c.SERVER_IDENTIFIER] == A("192.0.2.254")
    off = Server(config(server_id_override=False)).reply(
        discover(0, giaddr=A("192.0.2.254"), relay_agent_information=agent))
    assert off.message.options[c.SERVER_IDENTIFIER] == SERVER


def test_subnet_server_identifier_is_used_for_its_clients_and_accepted() -> None:
    cfg = config(subnets=(subnet(server_identifier="192.0.2.3"),))
    srv = Server(cfg)
    offer = srv.reply(discover(0)).message
    assert offer.options[c.SERVER_IDENTIFIER] == A("192.0.2.3")
    assert srv.reply(selecting(0, offer.yiaddr, server=A("192.0.2.3"))).message.message_type \
        == MessageType.ACK


# -- rapid commit, DECLINE, RELEASE, INFORM, BOOTP ------------------------------------------

def test_rapid_commit_acks_a_discover_with_option_80_when_enabled() -> None:
    srv = Server(config(rapid_commit=True))
    actions = srv.send(discover(0, rapid_commit=True))
    assert lease_actions(actions) == [("LeaseCommitted", "192.0.2.10", LeaseState.BOUND)]
    ack = actions[1].message
    assert ack.message_type == MessageType.ACK and ack.options[c.RAPID_COMMIT] is True
    off = Server().reply(discover(0, rapid_commit=True)).message
    assert off.message_type == MessageType.OFFER and c.RAPID_COMMIT not in off.options


def test_decline_quarantines_the_address_then_frees_it() -> None:
    srv = Server(config(subnets=(subnet(pools=(("192.0.2.10", "192.0.2.11"),)),)))
    bound = srv.bind(0)
    actions = srv.send(client_msg(MessageType.DECLINE, 0, requested_ip_address=bound,
                                  server_identifier=SERVER, prl=None))
    assert lease_actions(actions) == [("LeaseDeclined", str(bound), LeaseState.DECLINED)]
    assert actions[0].lease.expires == srv.now + 600
    assert len(actions) == 1  # section 4.3.3: no reply
    # the client starts over and gets another address; the declined one is out of use
    assert srv.bind(0) == A("192.0.2.11")
    assert isinstance(srv.send(discover(1))[-1], Discard)
    assert lease_actions(srv.tick(601)) == [("LeaseExpired", str(bound), LeaseState.FREE)]
    assert srv.reply(discover(1)).message.yiaddr == bound


def test_decline_from_a_client_that_does_not_hold_the_address_is_ignored() -> None:
    srv = Server()
    bound = srv.bind(0)
    discard = srv.silent(client_msg(MessageType.DECLINE, 1, requested_ip_address=bound,
                                    server_identifier=SERVER))
    assert "does not hold" in discard.reason
    assert srv.state.lease(bound).state is LeaseState.BOUND  # type: ignore[union-attr]


def test_release_frees_the_address_and_sends_nothing() -> None:
    srv = Server()
    bound = srv.bind(0)
    actions = srv.send(client_msg(MessageType.RELEASE, 0, ciaddr=bound,
                                  server_identifier=SERVER), after=10)
    assert lease_actions(actions) == [("LeaseReleased", str(bound), LeaseState.RELEASED)]
    assert actions[0].lease.expires == srv.now
    assert len(actions) == 1  # section 4.3.4: no reply


def test_release_for_another_server_or_by_another_client_is_ignored() -> None:
    srv = Server()
    bound = srv.bind(0)
    srv.silent(client_msg(MessageType.RELEASE, 0, ciaddr=bound, server_identifier=OTHER_SERVER))
    srv.silent(client_msg(MessageType.RELEASE, 1, ciaddr=bound, server_identifier=SERVER))
    assert srv.state.lease(bound).state is LeaseState.BOUND  # type: ignore[union-attr]


def test_inform_is_acked_to_ciaddr_with_parameters_and_no_lease() -> None:
    srv = Server()
    actions = srv.send(client_msg(MessageType.INFORM, 0, ciaddr=A("192.0.2.77")))
    assert len(actions) == 1
    ack = actions[0]
    assert ack.message == Message(
        op=OpCode.BOOTREPLY, xid=0x1000, ciaddr="192.0.2.77", chaddr=MAC[0], options={
            c.MESSAGE_TYPE: MessageType.ACK, c.SERVER_IDENTIFIER: SERVER,
            c.SUBNET_MASK: A("255.255.255.0"), c.ROUTER: (SERVER,),
            c.DOMAIN_NAME_SERVER: (A("192.0.2.53"),), c.DOMAIN_NAME: "example.org",
            c.CLIENT_IDENTIFIER: cid(0)})
    assert (ack.destination, ack.port, ack.broadcast) == (A("192.0.2.77"), 68, False)
    assert snapshot(srv.state)["leases"] == []


def test_inform_without_ciaddr_is_discarded() -> None:
    Server().silent(client_msg(MessageType.INFORM, 0))


def test_bootp_clients_are_ignored_unless_enabled() -> None:
    assert "RFC 1534" in Server().silent(client_msg(None, 0, with_cid=False, prl=None)).reason


def test_bootp_client_gets_an_infinite_lease_in_a_300_octet_bootreply() -> None:
    srv = Server(config(bootp=True, subnets=(subnet(next_server="192.0.2.69",
                                                    boot_file="boot.img"),)))
    bootp = Message(xid=9, chaddr=MAC[5], vend=bytes(64))
    actions = srv.send(bootp)
    assert lease_actions(actions) == [("LeaseCommitted", "192.0.2.10", LeaseState.BOUND)]
    assert actions[0].lease.expires == math.inf and actions[0].lease.lease_time == INFINITE
    reply = actions[1]
    assert reply.message.message_type is None and reply.max_size == 300
    assert len(reply.payload()) == 300
    assert (reply.message.yiaddr, reply.message.siaddr, reply.message.file) == (
        A("192.0.2.10"), A("192.0.2.69"), b"boot.img")
    assert reply.message.options[c.SUBNET_MASK] == A("255.255.255.0")
    # the same client again: the same binding, no change
    again = srv.send(bootp)
    assert [type(a) for a in again] == [Send]


def test_bootp_client_with_ciaddr_is_answered_at_ciaddr_first() -> None:
    srv = Server(config(bootp=True))
    reply = srv.reply(Message(xid=9, chaddr=MAC[5], ciaddr="192.0.2.10", giaddr="192.0.2.254",
                              vend=bytes(64)))
    assert (reply.destination, reply.port) == (A("192.0.2.10"), 68)


# -- reservations ------------------------------------------------------------------------

def test_reservation_by_hardware_address_is_given_to_its_client_only() -> None:
    cfg = config(reservations=(Reservation(address="192.0.2.15", hardware_address=MAC[3]),))
    srv = Server(cfg)
    # nobody else gets it: not by asking, not from the pool
    got = {srv.reply(discover(i, requested_ip_address=A("192.0.2.15"))).message.yiaddr
           for i in (0, 1, 2)}
    assert A("192.0.2.15") not in got
    assert srv.bind(3) == A("192.0.2.15")
    srv.bind(4)
    nak = srv.reply(init_reboot(4, A("192.0.2.15")))
    assert nak.message.options[c.MESSAGE] == (
        "requested address 192.0.2.15 is reserved for another client")


def test_reservation_by_client_identifier_and_outside_the_pool() -> None:
    cfg = config(reservations=(Reservation(address="192.0.2.200", client_id=cid(7)),))
    srv = Server(cfg)
    assert srv.bind(7) == A("192.0.2.200")
    # a client with the same chaddr but no identifier is someone else
    other = srv.reply(discover(7, with_cid=False)).message
    assert other.yiaddr == A("192.0.2.10")


def test_reserved_client_whose_address_is_held_by_a_spoofer_gets_a_dynamic_one() -> None:
    cfg = config(reservations=(Reservation(address="192.0.2.15", hardware_address=MAC[3]),))
    srv = Server(cfg)
    spoof = discover(3).replace(options=discover(3).options.set(c.CLIENT_IDENTIFIER, cid(9)))
    assert srv.reply(spoof).message.yiaddr == A("192.0.2.15")  # matches by chaddr
    assert srv.reply(discover(3)).message.yiaddr == A("192.0.2.10")


# -- expiry and the clock -------------------------------------------------------------------

def test_unanswered_offer_expires_and_returns_the_address() -> None:
    srv = Server(config(subnets=(subnet(pools=(("192.0.2.10", "192.0.2.10"),)),)))
    srv.reply(discover(0))
    assert next_deadline(srv.state) == T0 + 30
    assert srv.tick(29) == ()
    assert lease_actions(srv.tick(1)) == [("LeaseExpired", "192.0.2.10", LeaseState.EXPIRED)]
    assert next_deadline(srv.state) is None
    assert srv.reply(discover(1)).message.yiaddr == A("192.0.2.10")


def test_lease_expires_and_the_old_client_gets_its_address_back() -> None:
    srv = Server()
    bound = srv.bind(0)
    srv.tick(30)  # the offer's timer comes up, finds the lease bound, reschedules
    assert next_deadline(srv.state) == T0 + 3600
    assert lease_actions(srv.tick(3570)) == [("LeaseExpired", str(bound), LeaseState.EXPIRED)]
    srv.bind(1)
    assert srv.bind(0) == bound


def test_renewed_lease_does_not_expire_at_the_old_time() -> None:
    srv = Server()
    bound = srv.bind(0)
    srv.send(renewing(0, bound), after=1800)
    assert srv.tick(1800) == ()
    assert lease_actions(srv.tick(1800)) == [("LeaseExpired", str(bound), LeaseState.EXPIRED)]


def test_expiries_come_out_in_deadline_order() -> None:
    srv = Server()
    for i, seconds in enumerate((900, 300, 600)):
        srv.bind(i, ip_address_lease_time=seconds)
    assert [a.lease.client[-2:] for a in srv.tick(1000) if isinstance(a, LeaseExpired)] == [
        "01", "02", "00"]


# -- garbage, misuse, persistence -------------------------------------------------------------

def test_messages_a_server_does_not_take_are_discarded() -> None:
    srv = Server()
    offer = srv.reply(discover(0)).message
    assert srv.silent(offer).reason == "not a BOOTREQUEST"
    stray = client_msg(MessageType.OFFER, 0)
    assert srv.silent(stray).reason == "DHCPOFFER is not a client message this server answers"
    odd = discover(0).replace(options=Options.from_raw({53: b"\x01\x01"}))
    assert handle(srv.state, odd, now=T0)[1][0].reason == "option 53 is not one octet"
    anonymous = discover(0, with_cid=False).replace(chaddr=bytes(16))
    assert "no client identifier" in srv.silent(anonymous).reason


def test_lenient_decoded_garbage_never_raises() -> None:
    srv = Server()
    good = encode(discover(0, requested_ip_address=A("192.0.2.12")))
    rng = random.Random(7)
    for _ in range(300):
        data = bytearray(good)
        for _ in range(rng.randrange(1, 8)):
            data[rng.randrange(236, len(data))] = rng.randrange(256)
        msg = decode(bytes(data), strict=False)
        srv.state, actions = handle(srv.state, msg, now=srv.now)
        assert actions


def test_an_interrupted_step_leaves_the_state_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    import dhcpwire.server.rules as rules
    srv = Server()
    srv.bind(0)
    before = snapshot(srv.state)

    def boom(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("disk full")
    monkeypatch.setattr(rules, "grant", boom)
    with pytest.raises(RuntimeError):
        handle(srv.state, discover(1), now=T0)
    assert snapshot(srv.state) == before
    monkeypatch.undo()
    assert handle(srv.state, discover(1), now=T0)[1][-1].message.yiaddr == A("192.0.2.11")


def busy_server() -> Server:
    cfg = config(reservations=(Reservation(address="192.0.2.15", hardware_address=MAC[3]),))
    srv = Server(cfg)
    for i in range(6):
        srv.bind(i)
    srv.send(client_msg(MessageType.RELEASE, 1, ciaddr=A("192.0.2.11"), server_identifier=SERVER))
    srv.send(client_msg(MessageType.DECLINE, 2, requested_ip_address=A("192.0.2.12"),
                        server_identifier=SERVER))
    srv.reply(discover(8))
    srv.reply(discover(9, ip_address_lease_time=100))
    srv.tick(31)
    srv.reply(discover(10))
    return srv


def test_snapshot_is_json_and_restores_to_a_state_that_answers_identically() -> None:
    srv = busy_server()
    data = json.loads(json.dumps(snapshot(srv.state)))
    twin = restore(srv.state.config, data)
    assert snapshot(twin) == snapshot(srv.state)
    assert next_deadline(twin) >= next_deadline(srv.state)  # type: ignore[operator]
    for msg in (discover(20), discover(1), discover(2), init_reboot(3, A("192.0.2.15")),
                renewing(4, A("192.0.2.14")), discover(21), discover(22)):
        a = handle(srv.state, msg, now=srv.now + 5)
        b = handle(twin, msg, now=srv.now + 5)
        assert a[1] == b[1]
        srv.state, twin = a[0], b[0]
    for later in (100.0, 700.0, 5000.0):
        a2, b2 = expire(srv.state, now=srv.now + later), expire(twin, now=srv.now + later)
        assert a2[1] == b2[1]
        srv.state, twin = a2[0], b2[0]
        assert snapshot(srv.state) == snapshot(twin)


def test_replaying_the_lease_actions_rebuilds_the_leases() -> None:
    srv = busy_server()
    rebuilt = replay(ServerState(config=srv.state.config), srv.log)
    assert snapshot(rebuilt) == snapshot(srv.state)
    # a checkpoint plus the actions after it works too
    half = len(srv.log) // 2
    early = replay(ServerState(config=srv.state.config), srv.log[:half])
    again = replay(restore(srv.state.config, snapshot(early)), srv.log[half:])
    assert snapshot(again) == snapshot(srv.state)


def test_lease_actions_round_trip_through_json() -> None:
    srv = busy_server()
    actions = [a for a in srv.log if isinstance(a, LeaseAction)]
    assert {type(a) for a in actions} == {LeaseOffered, LeaseCommitted, LeaseReleased,
                                          LeaseDeclined, LeaseExpired}
    back = [LeaseAction.from_json(json.loads(json.dumps(a.to_json()))) for a in actions]
    assert back == actions
    # Issue 11 item 7: bad external data raises DataError, not a bare ValueError.
    for bad in ({"action": "stolen", "lease": actions[0].lease.to_json()},
                {"action": "committed", "lease": {"address": "x"}},
                {"action": "committed", "lease": {**actions[0].lease.to_json(), "client": 7}},
                {"action": "committed", "lease": {**actions[0].lease.to_json(),
                                                  "lease_time": "60"}},
                {"action": "committed", "lease": {**actions[0].lease.to_json(),
                                                  "nonce": "00"}},
                {"action": "committed", "lease": "not a mapping"}, [], None):
        with pytest.raises(DataError):
            LeaseAction.from_json(bad)  # type: ignore[arg-type]


def test_restore_rejects_what_is_not_a_snapshot() -> None:
    cfg = config()
    good = snapshot(busy_server().state)
    for bad in ({}, {**good, "version": 2},
                {**good, "leases": [{"address": "192.0.2.10"}]},
                {**good, "leases": good["leases"] * 2},
                {**good, "clients": {"id:00": "192.0.2.10"}}):
        with pytest.raises(DataError):
            restore(cfg, bad)


# -- the table 3 checker, and configuration ---------------------------------------------------

def test_check_reply_finds_every_kind_of_table_3_violation() -> None:
    req = selecting(0, A("192.0.2.10"), giaddr=A("192.0.2.254"),
                    relay_agent_information=Options({1: b"x"}, registry=c_registry()))
    bad = Message(op=OpCode.BOOTREQUEST, xid=1, hops=2, secs=3, chaddr=MAC[1],
                  flags=BROADCAST_FLAG, giaddr="192.0.2.254", file=b"boot", options={
                      c.MESSAGE_TYPE: MessageType.NAK, c.REQUESTED_IP_ADDRESS: A("192.0.2.10"),
                      c.IP_ADDRESS_LEASE_TIME: 60, c.PARAMETER_REQUEST_LIST: (1,),
                      c.MAXIMUM_MESSAGE_SIZE: 1500, c.ROUTER: (SERVER,),
                      c.CLIENT_IDENTIFIER: cid(1), c.RAPID_COMMIT: True})
    assert check_reply(req, bad) == [
        "DHCPNAK: 'op' is 1, not BOOTREPLY",
        "DHCPNAK: 'hops' is 2, not 0",
        "DHCPNAK: 'xid' is 1, not the request's 4096",
        "DHCPNAK: 'secs' is 3, not 0",
        "DHCPNAK: 'chaddr' is b'\\x02\\x00\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
        "\\x00\\x00\\x00', not the request's b'\\x02\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
        "\\x00\\x00\\x00\\x00\\x00\\x00'",
        "DHCPNAK: 'file' is used",
        "DHCPNAK: option 3 (router) MUST NOT appear",
        "DHCPNAK: option 50 (requested-ip-address) MUST NOT appear",
        "DHCPNAK: option 51 (ip-address-lease-time) MUST NOT appear",
        "DHCPNAK: option 54 (server-identifier) MUST appear",
        "DHCPNAK: option 55 (parameter-request-list) MUST NOT appear",
        "DHCPNAK: option 57 (maximum-message-size) MUST NOT appear",
        "DHCPNAK: option 61 (client-identifier) is not the client's, unaltered (RFC 6842)",
        "DHCPNAK: option 82 is not echoed (RFC 3046 section 2.2)",
        "DHCPNAK: option 80 appears outside a rapid-commit ACK (RFC 4039)",
    ]


def test_check_reply_knows_which_replies_a_request_may_get() -> None:
    offer = Message(op=2, options={c.MESSAGE_TYPE: MessageType.OFFER})
    assert check_reply(client_msg(MessageType.REQUEST, 0), offer) == [
        "a DHCPREQUEST is never answered with DHCPOFFER (RFC 2131 section 4.3, RFC 4039)"]
    assert check_reply(client_msg(None, 0, with_cid=False, prl=None), offer)[0].startswith(
        "BOOTREPLY: a reply to a BOOTP client MUST NOT carry option 53")
    missing = Message(op=2, xid=0x1000, chaddr=MAC[0], yiaddr="192.0.2.10",
                      options={c.MESSAGE_TYPE: MessageType.OFFER, c.SERVER_IDENTIFIER: SERVER,
                               c.IP_ADDRESS_LEASE_TIME: 60})
    assert check_reply(discover(0), missing) == [
        "DHCPOFFER: option 61 (client-identifier) is missing (RFC 6842)"]
    assert check_reply(discover(0, with_cid=False), missing) == []
    assert check_reply(discover(0, with_cid=False), missing, should=True) == [
        "DHCPOFFER: option 56 (message) SHOULD appear"]


def test_delivery_rules_are_rfc_2131_section_4_1_in_order() -> None:
    assert [r[0] for r in DELIVERY_RULES["dhcp"]] == [
        "relayed", "nak", "ciaddr", "broadcast-flag", "no-unicast", "always"]
    assert [r[0] for r in DELIVERY_RULES["bootp"]][:2] == ["ciaddr", "relayed"]


def test_client_key_prefers_the_client_identifier() -> None:
    assert client_key(discover(0)) == "id:01" + MAC[0].hex()
    assert client_key(discover(0, with_cid=False)) == "hw:1:" + MAC[0].hex(":")
    assert client_key(Message()) is None


@pytest.mark.parametrize("bad", [
    dict(subnets=()),
    dict(default_lease_time=10, min_lease_time=60),
    dict(renewal_fraction=0.9),
    dict(offer_time=0),
    dict(options={c.SERVER_IDENTIFIER: SERVER}),
    dict(subnets=(subnet(), subnet(network="192.0.2.128/25"))),

    dict(reservations=(Reservation(address="203.0.113.1", hardware_address=MAC[0]),)),
    dict(reservations=(Reservation(address="192.0.2.30", hardware_address=MAC[0]),
                       Reservation(address="192.0.2.31", hardware_address=MAC[0]))),
    dict(reservations=(Reservation(address="192.0.2.30", hardware_address=MAC[0]),
                       Reservation(address="192.0.2.30", hardware_address=MAC[1]))),
])
def test_bad_configuration_is_refused_when_built(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        config(**bad)


def test_subnet_and_reservation_validate_their_fields() -> None:
    with pytest.raises(ValueError):
        subnet(mtu=20)
    with pytest.raises(ValueError):
        subnet(pools=(("192.0.2.10", "192.0.3.10"),))
    with pytest.raises(ValueError):
        config(subnets=(subnet(options={c.ROUTER: (SERVER,)}),))
    with pytest.raises(ValueError):
        Reservation(address="192.0.2.5")
    with pytest.raises(ValueError):
        Reservation(address="192.0.2.5", client_id=b"\x01")
    with pytest.raises(ValueError):
        subnet(options={c.CLIENT_IDENTIFIER: cid(0)})
    assert subnet(pools=("192.0.2.10-192.0.2.12",)).pools == ((A("192.0.2.10"),
                                                              A("192.0.2.12")),)


@given(st.dictionaries(st.integers(1, 254).filter(lambda code: code not in (52, 82)),
                       st.binary(max_size=700), max_size=6))
def test_reply_size_estimate_is_the_encoded_size(raw: dict[int, bytes]) -> None:
    from dhcpwire.server.replies import size as _size
    msg = Message(op=OpCode.BOOTREPLY, options=Options.from_raw(raw))
    assert max(_size(raw), 300) == len(encode(msg, max_size=65535))


def test_server_docs_examples_run() -> None:
    failures, tried = doctest.testfile(str(ROOT / "docs" / "server.rst"), module_relative=False,
                                     optionflags=doctest.ELLIPSIS)
    assert failures == 0 and tried > 20
