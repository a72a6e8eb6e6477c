"""Where RFC 2131 section 4.3 (and section 3 that it rests on) has the server say nothing.

One test per rule, the rule quoted above it (issue 12 item 3: "Review every
'MUST remain silent' and 'SHOULD NOT respond' of 4.3 against the code").
A message the server does not answer gives a ``Discard`` with the reason and
no ``Send``; where a lease changes anyway, the lease action comes first.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

from dhcpwire import ClientIdentifier, Message, MessageType
from dhcpwire import codes as c
from dhcpwire.server import (
    Discard,
    LeaseAction,
    LeaseDeclined,
    LeaseExpired,
    LeaseReleased,
    Send,
    ServerConfig,
    ServerState,
    Subnet,
    handle,
)

A = IPv4Address
SERVER = A("192.0.2.1")
RELAY = A("192.0.2.254")
T0 = 5000.0


def config(**kw: Any) -> ServerConfig:
    base: dict[str, Any] = dict(
        server_identifier=SERVER,
        subnets=(Subnet(network="192.0.2.0/24", pools=(("192.0.2.10", "192.0.2.19"),),
                        interface="eth0"),
                 Subnet(network="198.51.100.0/24", pools=(("198.51.100.10", "198.51.100.19"),))),
        default_lease_time=600)
    base.update(kw)
    return ServerConfig(**base)


ZERO = A(0)


def msg(kind: MessageType | None, i: int, *, giaddr: IPv4Address = ZERO,
        **options: Any) -> Message:
    mac = bytes.fromhex(f"0200000001{i:02x}")
    ciaddr = options.pop("ciaddr", ZERO)
    if kind is None:
        return Message(xid=i, chaddr=mac, giaddr=giaddr, ciaddr=ciaddr, vend=bytes(64))
    opts: dict[int, Any] = {c.MESSAGE_TYPE: kind, c.CLIENT_IDENTIFIER: ClientIdentifier(1, mac)}
    for name, value in options.items():
        opts[getattr(c, name.upper())] = value
    return Message(xid=i, chaddr=mac, giaddr=giaddr, ciaddr=ciaddr,
                   hops=1 if int(giaddr) else 0, options=opts)


class Server:
    def __init__(self, **kw: Any) -> None:
        self.state = ServerState(config=config(**kw))
        self.now = T0

    def send(self, message: Message) -> tuple[object, ...]:
        self.now += 1
        self.state, actions = handle(self.state, message, now=self.now, interface="eth0")
        return actions

    def bind(self, i: int, giaddr: IPv4Address = ZERO) -> IPv4Address:
        offer = self.send(msg(MessageType.DISCOVER, i, giaddr=giaddr))[-1]
        assert isinstance(offer, Send)
        ack = self.send(msg(MessageType.REQUEST, i, giaddr=giaddr, server_identifier=SERVER,
                            requested_ip_address=offer.message.yiaddr))[-1]
        assert isinstance(ack, Send) and ack.message.message_type == MessageType.ACK
        return ack.message.yiaddr


def silent(actions: tuple[object, ...]) -> Discard:
    assert not any(isinstance(a, Send) for a in actions), actions
    assert isinstance(actions[-1], Discard)
    return actions[-1]


def nak(actions: tuple[object, ...]) -> Message:
    assert isinstance(actions[-1], Send), actions
    assert actions[-1].message.message_type == MessageType.NAK
    return actions[-1].message


# -- section 4.3.2, INIT-REBOOT: "it MUST remain silent" ----------------------------------

def test_init_reboot_from_a_client_with_no_record_is_silent() -> None:
    # Section 4.3.2: "If the DHCP server has no record of this client, then it
    # MUST remain silent, and MAY output a warning to the network
    # administrator." The Discard is that warning.
    srv = Server()
    why = silent(srv.send(msg(MessageType.REQUEST, 1, requested_ip_address=A("192.0.2.15"))))
    assert "no record" in why.reason and "4.3.2" in why.reason


def test_init_reboot_from_a_stranger_on_the_wrong_network_is_silent_unless_authoritative(
        ) -> None:
    # Section 3.2: "Servers SHOULD NOT respond if their information is not
    # guaranteed to be accurate" -- a server that is not authoritative does
    # not know its configuration is all of the network -- while section 4.3.2
    # says "If the DHCP server detects that the client is on the wrong net
    # ... then the server SHOULD send a DHCPNAK": the authoritative one does.
    stray = msg(MessageType.REQUEST, 1, requested_ip_address=A("203.0.113.7"))
    silent(Server().send(stray))
    assert nak(Server(authoritative=True).send(stray)).options[c.MESSAGE] == (
        "the requested address is not on the client's network")


def test_init_reboot_from_a_known_client_on_the_wrong_network_is_naked() -> None:
    # Section 4.3.2: "If the DHCP server detects that the client is on the
    # wrong net ... then the server SHOULD send a DHCPNAK message to the
    # client": it has a record of this client, so what it knows is accurate.
    srv = Server()
    srv.bind(1)
    assert nak(srv.send(msg(MessageType.REQUEST, 1, giaddr=A("198.51.100.1"),
                            requested_ip_address=A("192.0.2.10"))))


def test_init_reboot_from_a_stranger_is_naked_by_an_authoritative_server() -> None:
    # An authoritative server is configured as the only one on the network:
    # "peaceful coexistence of non-communicating DHCP servers" does not apply.
    msg_ = msg(MessageType.REQUEST, 1, requested_ip_address=A("192.0.2.15"))
    assert nak(Server(authoritative=True).send(msg_)).options[c.MESSAGE] == (
        "no record of this client at requested address 192.0.2.15")


# -- section 3.2 and 4.3.2, RENEWING and REBINDING: "SHOULD NOT respond" -------------------

def test_rebinding_for_a_lease_this_server_has_no_record_of_is_silent() -> None:
    # Section 3.2: "a server that identifies a request for an expired binding
    # that is owned by another server SHOULD NOT respond with a DHCPNAK unless
    # the servers are using an explicit mechanism to maintain coherency among
    # the servers"; section 4.3.2: "A DHCP server MAY extend a client's lease
    # only if it has local administrative authority to do so."
    srv = Server()
    for address in ("192.0.2.17", "203.0.113.9"):
        silent(srv.send(msg(MessageType.REQUEST, 2, ciaddr=A(address))))
    assert nak(Server(authoritative=True).send(msg(MessageType.REQUEST, 2,
                                                   ciaddr=A("192.0.2.17"))))


# -- section 4.3.2, SELECTING another server -----------------------------------------------

def test_a_request_that_selects_another_server_gets_no_reply_and_frees_the_offer() -> None:
    # Section 3.1 step 4: "Those servers not selected by the DHCPREQUEST
    # message use the message as notification that the client has declined
    # that server's offer."
    srv = Server()
    offer = srv.send(msg(MessageType.DISCOVER, 3))[-1]
    assert isinstance(offer, Send)
    actions = srv.send(msg(MessageType.REQUEST, 3, server_identifier=A("192.0.2.2"),
                           requested_ip_address=offer.message.yiaddr))
    silent(actions)
    assert isinstance(actions[0], LeaseExpired) and actions[0].address == offer.message.yiaddr


# -- sections 4.3.3 and 4.3.4: DECLINE and RELEASE are not answered -----------------------

def test_decline_and_release_change_the_lease_and_send_nothing() -> None:
    # Section 4.3.3: "The server MUST mark the network address as not
    # available"; section 4.3.4: "the server marks the network address as not
    # allocated". Neither section has the server send anything.
    srv = Server()
    one, two = srv.bind(4), srv.bind(5)
    declined = srv.send(msg(MessageType.DECLINE, 4, requested_ip_address=one,
                            server_identifier=SERVER))
    released = srv.send(msg(MessageType.RELEASE, 5, ciaddr=two, server_identifier=SERVER))
    assert [type(a) for a in declined] == [LeaseDeclined]
    assert [type(a) for a in released] == [LeaseReleased]


# -- section 4.3.1: no address, no offer ---------------------------------------------------

def test_a_discover_with_no_address_left_gets_no_offer() -> None:
    # Section 4.3.1: "If no address is available, the server may choose to
    # report the problem to the system administrator."
    srv = Server(subnets=(Subnet(network="192.0.2.0/24", pools=(("192.0.2.10", "192.0.2.10"),),
                                 interface="eth0"),))
    srv.bind(6)
    why = silent(srv.send(msg(MessageType.DISCOVER, 7)))
    assert why.reason == "no free address on 192.0.2.0/24"


# -- section 4.3 and RFC 1534: what a server does not take -----------------------------------

def test_messages_that_are_not_client_messages_and_bootp_when_off_are_dropped() -> None:
    # Section 4.3: "A DHCP server can receive the following messages from a
    # client: DHCPDISCOVER, DHCPREQUEST, DHCPDECLINE, DHCPRELEASE,
    # DHCPINFORM"; RFC 1534 section 2: a server "that is not configured to
    # support BOOTP clients ... silently discards the BOOTREQUEST message."
    srv = Server()
    for kind in (MessageType.OFFER, MessageType.ACK, MessageType.NAK, MessageType.FORCERENEW,
                 MessageType.LEASEQUERY):
        silent(srv.send(msg(kind, 8)))
    assert "BOOTP is off" in silent(srv.send(msg(None, 8))).reason
    assert not any(isinstance(a, LeaseAction) for a in srv.send(msg(None, 8)))
