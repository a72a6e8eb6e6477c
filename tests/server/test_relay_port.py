"""RFC 8357: a relay that sends from a port other than 67, and the server that answers there.

RFC 8357 is not in the project's reference set; its DHCPv4 rule is used as
the rest of the project states it (sub-option 19 of option 82 is an empty
flag, ``dhcpwire/wire/table.py``): a relay agent that uses a UDP source port
other than 67 towards the server includes the Relay Source Port sub-option,
and the server sends its reply to that port, the UDP source port of the
relayed message (issue 12 item 11).
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from dhcpwire import (
    RELAY_AGENT_SPACE,
    ClientIdentifier,
    Message,
    MessageType,
    OpCode,
    Options,
    decode,
    encode,
)
from dhcpwire import codes as c
from dhcpwire.relay import agent_information, relay_reply, relay_request
from dhcpwire.server import Send, ServerConfig, ServerState, Subnet, handle

A = IPv4Address
SERVER = A("192.0.2.1")
RELAY = A("198.51.100.1")
T0 = 100.0
MAC = bytes.fromhex("02000000bb01")


def config() -> ServerConfig:
    return ServerConfig(
        server_identifier=SERVER,
        subnets=(Subnet(network="198.51.100.0/24", pools=(("198.51.100.10", "198.51.100.19"),)),),
        authoritative=True)


def discover(**options: Any) -> Message:
    opts: dict[int, Any] = {c.MESSAGE_TYPE: MessageType.DISCOVER,
                            c.CLIENT_IDENTIFIER: ClientIdentifier(1, MAC)}
    for name, value in options.items():
        opts[getattr(c, name.upper())] = value
    return Message(xid=5, chaddr=MAC, options=opts)


def suboptions(message: Message) -> dict[int, bytes]:
    relay = message.options.encapsulated(c.RELAY_AGENT_INFORMATION, RELAY_AGENT_SPACE)
    return dict(relay.raw_items())


def test_a_relay_on_another_port_adds_sub_option_19_and_only_then() -> None:
    forwarded = relay_request(discover(), giaddr=RELAY, source_port=1067)
    assert forwarded is not None and forwarded.giaddr == RELAY
    assert suboptions(decode(encode(forwarded))) == {c.RAI_RELAY_SOURCE_PORT: b""}
    # with its circuit id, the same option carries both
    both = relay_request(discover(), giaddr=RELAY, circuit_id=b"port-1", source_port=1067)
    assert both is not None and suboptions(both) == {
        c.RAI_AGENT_CIRCUIT_ID: b"port-1", c.RAI_RELAY_SOURCE_PORT: b""}
    # on port 67 nothing is added (RFC 3046 section 2.1: adding option 82
    # "SHOULD be disabled by default")
    plain = relay_request(discover(), giaddr=RELAY)
    assert plain is not None and c.RELAY_AGENT_INFORMATION not in plain.options


def test_a_relay_does_not_add_a_second_option_82_to_say_its_port() -> None:
    # RFC 3046 section 2.1: on a trusted circuit, an element that added the
    # option but not 'giaddr': "the relay agent does NOT add a "second" relay
    # agent option". The request goes as it came, and its reply to port 67.
    downstream = Options({c.RAI_AGENT_REMOTE_ID: b"olt-7"}, registry=RELAY_AGENT_SPACE)
    forwarded = relay_request(discover(relay_agent_information=downstream), giaddr=RELAY,
                              source_port=1067)
    assert forwarded is not None and suboptions(forwarded) == {c.RAI_AGENT_REMOTE_ID: b"olt-7"}


def test_the_relay_takes_its_own_option_82_off_the_reply() -> None:
    # RFC 3046 section 2.1: "The Relay Agent Information option echoed by a
    # server MUST be removed by either the relay agent or the trusted
    # downstream network element which added it".
    forwarded = relay_request(discover(), giaddr=RELAY, source_port=1067)
    assert forwarded is not None
    _, actions = handle(ServerState(config=config()), decode(encode(forwarded)), now=T0,
                            source=RELAY, source_port=1067)
    reply = actions[-1]
    assert isinstance(reply, Send) and c.RELAY_AGENT_INFORMATION in reply.message.options
    delivered = relay_reply(decode(reply.payload()), interfaces=(RELAY,), source_port=1067)
    assert delivered is not None
    assert c.RELAY_AGENT_INFORMATION not in delivered.message.options
    # a relay on port 67 would not recognise it as its own, and leaves it
    kept = relay_reply(decode(reply.payload()), interfaces=(RELAY,))
    assert kept is not None and c.RELAY_AGENT_INFORMATION in kept.message.options


def test_the_server_answers_a_relay_at_the_port_it_said_it_sends_from() -> None:
    # RFC 8357 section 5.1 (paraphrased): the server sends the reply to the
    # UDP source port of a relayed message that carries sub-option 19.
    forwarded = relay_request(discover(), giaddr=RELAY, source_port=1067)
    assert forwarded is not None
    request = decode(encode(forwarded))
    _, actions = handle(ServerState(config=config()), request, now=T0, source=RELAY,
                        source_port=1067)
    reply = actions[-1]
    assert isinstance(reply, Send) and reply.message.op == OpCode.BOOTREPLY
    assert (reply.destination, reply.port) == (RELAY, 1067)
    # a NAK through that relay goes there too
    nak_request = Message(xid=6, chaddr=MAC, giaddr=RELAY, hops=1, options={
        c.MESSAGE_TYPE: MessageType.REQUEST, c.REQUESTED_IP_ADDRESS: A("203.0.113.4"),
        c.CLIENT_IDENTIFIER: ClientIdentifier(1, MAC),
        c.RELAY_AGENT_INFORMATION: agent_information(source_port=1067)})
    _, actions = handle(ServerState(config=config()), decode(encode(nak_request)), now=T0,
                        source_port=1067)
    nak = actions[-1]
    assert isinstance(nak, Send) and nak.message.message_type == MessageType.NAK
    assert (nak.destination, nak.port) == (RELAY, 1067)


@pytest.mark.parametrize(("forwarded_port", "source_port"), [
    (67, 1067),      # no sub-option 19: RFC 2131 section 4.1, the 'DHCP server' port
    (1067, None),    # the caller did not say where the message came from
    (1067, 67),      # it came from port 67 after all
])
def test_the_server_answers_on_port_67_unless_both_the_relay_and_the_caller_say_otherwise(
        forwarded_port: int, source_port: int | None) -> None:
    forwarded = relay_request(discover(), giaddr=RELAY, circuit_id=b"x",
                              source_port=forwarded_port)
    assert forwarded is not None
    _, actions = handle(ServerState(config=config()), decode(encode(forwarded)), now=T0,
                        source=RELAY, source_port=source_port)
    reply = actions[-1]
    assert isinstance(reply, Send) and (reply.destination, reply.port) == (RELAY, 67)


def test_an_unrelayed_message_with_sub_option_19_is_answered_as_section_4_1_says() -> None:
    # Sub-option 19 speaks for the relay in 'giaddr'; a message with no relay
    # is answered to the client's port (68), whatever its source port.
    cfg = ServerConfig(server_identifier=SERVER, subnets=(Subnet(
        network="198.51.100.0/24", pools=(("198.51.100.10", "198.51.100.19"),)),))
    message = discover(relay_agent_information=agent_information(source_port=1067))
    _, actions = handle(ServerState(config=cfg), decode(encode(message)), now=T0,
                        source_port=1067)
    reply = actions[-1]
    assert isinstance(reply, Send) and reply.port == 68


@pytest.mark.parametrize(("port", "error"), [(0, ValueError), (70000, ValueError),
                                              ("67", TypeError), (True, TypeError)])
def test_a_relay_port_that_is_not_a_port_is_refused(port: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        relay_request(discover(), giaddr=RELAY, source_port=port)
    with pytest.raises(error):
        relay_reply(discover().replace(op=OpCode.BOOTREPLY), source_port=port)
