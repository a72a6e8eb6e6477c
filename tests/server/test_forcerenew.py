"""FORCERENEW from the server (RFC 3203), authenticated by RFC 6704 nonces (issue 12 item 11).

The server offers option 145 to a client that sends it, gives it a 128-bit
nonce drawn from the caller's ``rng`` in the DHCPACK, records the nonce in
the lease, and signs a FORCERENEW for that lease with it. The client's own
check (``protocol.rfc6704.forcerenew_problem``) accepts the signed message.
"""

from __future__ import annotations

import json
import random
from ipaddress import IPv4Address
from typing import Any

import pytest

from dhcpwire import (
    Authentication,
    ClientIdentifier,
    Message,
    MessageType,
    StateError,
    decode,
    encode,
)
from dhcpwire import codes as c
from dhcpwire.protocol.rfc6704 import forcerenew_problem, nonce_from
from dhcpwire.server import (
    LeaseAction,
    LeaseCommitted,
    LeaseRenewed,
    Send,
    ServerConfig,
    ServerState,
    Subnet,
    check_reply,
    forcerenew,
    handle,
    replay,
    restore,
    snapshot,
)

A = IPv4Address
SERVER = A("192.0.2.1")
T0 = 1_700_000_000.0


def config(**kw: Any) -> ServerConfig:
    base: dict[str, Any] = dict(
        server_identifier=SERVER,
        subnets=(Subnet(network="192.0.2.0/24", pools=(("192.0.2.10", "192.0.2.19"),)),),
        default_lease_time=3600, forcerenew_nonce=True)
    base.update(kw)
    return ServerConfig(**base)


def msg(kind: MessageType, i: int = 0, *, capable: bool = True, **options: Any) -> Message:
    mac = bytes.fromhex(f"02000000aa{i:02x}")
    opts: dict[int, Any] = {c.MESSAGE_TYPE: kind, c.CLIENT_IDENTIFIER: ClientIdentifier(1, mac)}
    if capable:
        # RFC 6704 section 3.1.1: "A DHCP client indicates DHCP Forcerenew Nonce
        # Protocol capability by including a FORCERENEW_NONCE_CAPABLE (145)
        # option in DHCP Discover and Request messages".
        opts[c.FORCERENEW_NONCE_CAPABLE] = (1,)
    ciaddr = options.pop("ciaddr", A(0))
    for name, value in options.items():
        opts[getattr(c, name.upper())] = value
    return Message(xid=0x77 + i, chaddr=mac, ciaddr=ciaddr, options=opts)


class Server:
    def __init__(self, seed: int = 1, **kw: Any) -> None:
        self.state = ServerState(config=config(**kw))
        self.rng = random.Random(seed)
        self.now = T0
        self.log: list[object] = []

    def send(self, message: Message, after: float = 1.0) -> tuple[object, ...]:
        self.now += after
        request = decode(encode(message))
        self.state, actions = handle(self.state, request, now=self.now, rng=self.rng)
        for action in actions:
            if isinstance(action, Send):
                assert check_reply(request, action.message) == []
        self.log.extend(actions)
        return actions

    def bind(self, i: int = 0, capable: bool = True) -> tuple[Message, Message, tuple[object, ...]]:
        offer = self.send(msg(MessageType.DISCOVER, i, capable=capable))[-1]
        assert isinstance(offer, Send)
        actions = self.send(msg(MessageType.REQUEST, i, capable=capable,
                                server_identifier=SERVER,
                                requested_ip_address=offer.message.yiaddr))
        ack = actions[-1]
        assert isinstance(ack, Send) and ack.message.message_type == MessageType.ACK
        return offer.message, decode(ack.payload()), actions


def test_the_offer_carries_option_145_only_to_a_client_that_sent_it() -> None:
    # RFC 6704 section 3.1.4: servers that support the protocol "MUST include
    # the FORCERENEW_NONCE_CAPABLE (145) DHCP option in all DHCP Offers";
    # section 3.1.3: "The server SHOULD NOT include this option unless the
    # client has indicated its capability in a DHCP Discovery message."
    srv = Server()
    offer = srv.send(msg(MessageType.DISCOVER, 0))[-1]
    assert isinstance(offer, Send) and offer.message.options[c.FORCERENEW_NONCE_CAPABLE] == (1,)
    plain = srv.send(msg(MessageType.DISCOVER, 1, capable=False))[-1]
    assert isinstance(plain, Send) and c.FORCERENEW_NONCE_CAPABLE not in plain.message.options
    off = Server(forcerenew_nonce=False).send(msg(MessageType.DISCOVER, 0))[-1]
    assert isinstance(off, Send) and c.FORCERENEW_NONCE_CAPABLE not in off.message.options


def test_the_ack_carries_a_new_nonce_which_the_lease_records() -> None:
    # RFC 6704 section 3.1.3: "If a capable server receives a DISCOVER or
    # REQUEST (any type) that indicates the client is capable, and the server
    # has no previous nonce recorded, it MUST generate a nonce and include it
    # in the ACK." Section 3.1.2: protocol 3, algorithm 1, RDM 0; type 1.
    srv = Server()
    _, ack, actions = srv.bind()
    auth = ack.options[c.AUTHENTICATION]
    assert isinstance(auth, Authentication)
    assert (auth.protocol, auth.algorithm, auth.rdm) == (3, 1, 0)
    assert auth.information[0] == 1 and len(auth.information) == 17
    found = nonce_from(ack)  # the client's reading of it
    assert found is not None
    committed = actions[0]
    assert isinstance(committed, LeaseCommitted) and committed.lease.nonce == found[0]
    # the replay counter is the server's clock in microseconds (RFC 3118 section 2)
    assert found[1] == int(srv.now * 1_000_000)


def test_nonces_are_drawn_from_the_rng() -> None:
    def nonce(seed: int) -> bytes:
        ack = Server(seed).bind()[1]
        found = nonce_from(ack)
        assert found is not None
        return found[0]
    assert nonce(1) == nonce(1) != nonce(2)
    expected = random.Random(1).getrandbits(128).to_bytes(16, "big")
    assert nonce(1) == expected


def test_no_nonce_for_a_client_that_did_not_ask() -> None:
    # RFC 6704 section 3.1.3: "The absence of the FORCERENEW_NONCE_CAPABLE
    # (145) option indicates to the server that the Forcerenew Nonce
    # Authentication protocol is not supported; thus, the server MUST NOT
    # include a Forcerenew Nonce Protocol Authentication option in the DHCP ACK."
    _, ack, actions = Server().bind(capable=False)
    assert c.AUTHENTICATION not in ack.options
    assert isinstance(actions[0], LeaseAction) and actions[0].lease.nonce is None


def test_a_renewal_ack_does_not_send_the_nonce_again_and_the_lease_keeps_it() -> None:
    # RFC 6704 section 3.1.3: "The server SHOULD NOT include the nonce in an
    # ACK when responding to a renew unless a new nonce was generated."
    srv = Server()
    _, ack, actions = srv.bind()
    nonce = actions[0].lease.nonce  # type: ignore[attr-defined]
    renewed = srv.send(msg(MessageType.REQUEST, 0, ciaddr=ack.yiaddr), after=1800)
    assert isinstance(renewed[0], LeaseRenewed) and renewed[0].lease.nonce == nonce
    assert isinstance(renewed[-1], Send) and c.AUTHENTICATION not in renewed[-1].message.options


def test_init_reboot_and_a_rediscovered_binding_get_a_new_nonce() -> None:
    srv = Server(rapid_commit=True)
    _, ack, actions = srv.bind()
    first = actions[0].lease.nonce  # type: ignore[attr-defined]
    again = srv.send(msg(MessageType.REQUEST, 0, requested_ip_address=ack.yiaddr))
    assert isinstance(again[-1], Send)
    found = nonce_from(again[-1].message)
    assert found is not None and found[0] != first
    assert again[0].lease.nonce == found[0]  # type: ignore[attr-defined]
    # a rapid-commit DISCOVER of the same client keeps its binding's times and
    # records only the new nonce (a LeaseRenewed with the same end)
    end = again[0].lease.expires  # type: ignore[attr-defined]
    rapid = srv.send(msg(MessageType.DISCOVER, 0, rapid_commit=True))
    assert isinstance(rapid[0], LeaseRenewed) and rapid[0].lease.expires == end
    assert nonce_from(rapid[-1].message) is not None  # type: ignore[union-attr]


def test_forcerenew_is_a_signed_unicast_that_the_client_accepts() -> None:
    # RFC 3203 section 2.2: "The DHCP server sends a unicast FORCERENEW message
    # to the client." RFC 6704 section 3.1.4: the client computes the HMAC-MD5
    # "using the Forcerenew Nonce received from the server. If this computed
    # HMAC-MD5 matches the value in the Authentication option, the client
    # accepts the FORCERENEW message."
    srv = Server()
    _, ack, _ = srv.bind()
    found = nonce_from(ack)
    assert found is not None
    nonce, acked_replay = found
    srv.now += 60
    state = srv.state
    srv.state, (send,) = forcerenew(srv.state, ack.yiaddr, now=srv.now)
    assert srv.state is state and state.current  # no lease changes
    assert isinstance(send, Send)
    assert (send.destination, send.port, send.broadcast) == (ack.yiaddr, 68, False)
    message = decode(send.payload())
    assert message.message_type == MessageType.FORCERENEW
    assert message.chaddr == ack.chaddr and message.ciaddr == ack.yiaddr
    assert message.options[c.SERVER_IDENTIFIER] == SERVER
    assert message.options[c.CLIENT_IDENTIFIER] == ack.options[c.CLIENT_IDENTIFIER]
    problem, replay_value = forcerenew_problem(message, nonce=nonce, replay=acked_replay)
    assert problem is None and replay_value is not None and replay_value > acked_replay
    # a forged or altered one is refused by the same check
    altered = message.replace(ciaddr=A("192.0.2.99"))
    assert forcerenew_problem(altered, nonce=nonce, replay=acked_replay)[0] is not None
    assert forcerenew_problem(message, nonce=bytes(16), replay=acked_replay)[0] is not None


def test_forcerenew_needs_a_bound_lease_and_a_nonce_unless_allowed_unsigned() -> None:
    srv = Server()
    _, ack, _ = srv.bind(0)
    _, plain, _ = srv.bind(1, capable=False)
    offer = srv.send(msg(MessageType.DISCOVER, 2))[-1]
    assert isinstance(offer, Send)
    before = snapshot(srv.state)
    for address in (offer.message.yiaddr, A("192.0.2.19"), A("203.0.113.1")):
        with pytest.raises(StateError, match="no bound lease"):
            forcerenew(srv.state, address, now=srv.now)
    # RFC 3203 section 6: "the FORCERENEW message MUST be authenticated"
    with pytest.raises(StateError, match="RFC 3203 section 6"):
        forcerenew(srv.state, plain.yiaddr, now=srv.now)
    assert snapshot(srv.state) == before
    _, (send,) = forcerenew(srv.state, plain.yiaddr, now=srv.now, allow_unauthenticated=True)
    assert isinstance(send, Send) and c.AUTHENTICATION not in send.message.options
    # an expired lease is not bound any more
    with pytest.raises(StateError):
        forcerenew(srv.state, ack.yiaddr, now=srv.now + 4000)


def test_the_nonce_survives_a_restart_from_snapshot_or_journal() -> None:
    srv = Server()
    _, ack, _ = srv.bind()
    found = nonce_from(ack)
    assert found is not None
    data = json.loads(json.dumps(snapshot(srv.state)))
    assert data["leases"][0]["nonce"] == found[0].hex()
    journal = [LeaseAction.from_json(json.loads(json.dumps(a.to_json())))
               for a in srv.log if isinstance(a, LeaseAction)]
    for state in (restore(srv.state.config, data),
                  replay(ServerState(config=srv.state.config), journal)):
        _, (send,) = forcerenew(state, ack.yiaddr, now=srv.now + 5)
        assert isinstance(send, Send)
        assert forcerenew_problem(send.message, nonce=found[0], replay=found[1])[0] is None
