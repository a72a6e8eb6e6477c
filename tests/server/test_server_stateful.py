"""Stateful property tests of the server: random message sequences, hostile clients included.

A Hypothesis rule-based machine plays clients (some spoofing each other's
'chaddr' and client identifier, some sending garbage) against one server
and keeps a model of what the server promised through its replies. After
every step it checks:

* no address is held by two clients at once: an OFFER or ACK never names an
  address that another client was offered (within the offer time) or
  acknowledged (within its lease), unless that client gave it back;
* no address outside every pool, inside an exclusion, or reserved for
  another client is ever offered or acknowledged; no declined address is
  handed out during its quarantine;
* every reply passes RFC 2131 table 3 (``check_reply``) and fits the
  client's maximum message size;
* the state survives a JSON snapshot/restore round trip unchanged, replaying
  every lease action from an empty server rebuilds it (the life-cycle table
  allows every change the server made), the state a step started from is
  superseded by the step, and a restored twin fed the same inputs gives the
  same outputs;
* memory follows what is live (issue 12 item 8): the free-address queues
  hold exactly the free addresses of the pools, each once, and the timer
  heap at most twice the live timers;
* FORCERENEW (RFC 3203) goes only to a bound lease, signed with the nonce
  the client was given (RFC 6704) unless the caller allows it unsigned.
"""

from __future__ import annotations

import json
import math
import random
from ipaddress import IPv4Address
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from dhcpwire import (
    BROADCAST_FLAG,
    RELAY_AGENT_SPACE,
    ClientIdentifier,
    DecodeError,
    Message,
    MessageType,
    Options,
    StateError,
    decode,
    encode,
)
from dhcpwire import codes as c
from dhcpwire.protocol.rfc6704 import forcerenew_problem
from dhcpwire.server import (
    INFINITE,
    Discard,
    LeaseAction,
    LeaseDeclined,
    LeaseExpired,
    LeaseReleased,
    Reservation,
    Send,
    ServerConfig,
    ServerState,
    Subnet,
    check_reply,
    client_key,
    expire,
    forcerenew,
    handle,
    next_deadline,
    replay,
    restore,
    snapshot,
)

A = IPv4Address
SERVER = A("192.0.2.1")
ZERO = A(0)
RELAY = A("198.51.100.1")
MACS = [bytes.fromhex(f"0200000000{i:02x}") for i in range(6)]
CIDS = [ClientIdentifier(1, m) for m in MACS] + [ClientIdentifier(0, b"shared-id")]
OFFER_TIME = 10.0

#: The addresses a pool may hand out (pools less exclusions, routers, server
#: ids, network and broadcast addresses, reserved addresses).
#: The pools are small, so that addresses are reused within a run.
POOL_A = {A(f"192.0.2.{n}") for n in range(2, 7)} - {A("192.0.2.5")}
POOL_B = {A(f"198.51.100.{n}") for n in range(2, 8)} - {A("198.51.100.3"), A("198.51.100.4"),
                                                         A("198.51.100.6")}
RESERVED = {A("192.0.2.14"): "hw:1:" + MACS[1].hex(":"),
            A("198.51.100.6"): "id:" + bytes((1, *MACS[2])).hex()}
UNIVERSE = sorted(POOL_A | POOL_B | set(RESERVED) | {
    A("192.0.2.0"), A("192.0.2.1"), A("192.0.2.5"), A("192.0.2.15"), A("198.51.100.3"),
    A("198.51.100.15"), A("203.0.113.9"), A("0.0.0.0")})


def make_config(authoritative: bool, rapid: bool, bootp: bool, nonce: bool) -> ServerConfig:
    return ServerConfig(
        server_identifier=SERVER,
        subnets=(
            Subnet(network="192.0.2.0/28", pools=(("192.0.2.2", "192.0.2.6"),),
                   excluded=("192.0.2.5",), router=("192.0.2.1",), interface="eth0",
                   dns_servers=("192.0.2.53",)),
            Subnet(network="198.51.100.0/28", pools=(("198.51.100.2", "198.51.100.7"),),
                   excluded=(("198.51.100.3", "198.51.100.4"),), router=("198.51.100.1",),
                   domain_name="b.example"),
        ),
        reservations=(Reservation(address="192.0.2.14", hardware_address=MACS[1]),
                      Reservation(address="198.51.100.6", client_id=CIDS[2])),
        default_lease_time=100, min_lease_time=30, max_lease_time=300, offer_time=OFFER_TIME,
        decline_time=50.0, authoritative=authoritative, rapid_commit=rapid, bootp=bootp,
        forcerenew_nonce=nonce)


identities = st.tuples(st.integers(0, len(MACS) - 1),
                       st.one_of(st.none(), st.integers(0, len(CIDS) - 1)))
places = st.sampled_from(["local", "relayed", "linksel"])
addresses = st.sampled_from(UNIVERSE)


class ServerMachine(RuleBasedStateMachine):
    """One server, many clients, and a model of the promises made."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0
        self.state: ServerState
        self.twin: ServerState | None = None
        self.log: list[object] = []
        #: address -> (client key, until, "offer" | "lease"): promises made by replies
        self.held: dict[IPv4Address, tuple[str, float, str]] = {}
        #: address -> the end of its quarantine
        self.quarantine: dict[IPv4Address, float] = {}
        self.offered: dict[int, IPv4Address] = {}

    @initialize(authoritative=st.booleans(), rapid=st.booleans(), bootp=st.booleans(),
                nonce=st.booleans(), seed=st.integers(0, 2**32))
    def start(self, authoritative: bool, rapid: bool, bootp: bool, nonce: bool,
              seed: int) -> None:
        self.config = make_config(authoritative, rapid, bootp, nonce)
        self.state = ServerState(config=self.config)
        #: the nonces drawn: the twin gets a generator in the same state
        self.rng = random.Random(seed)
        self.twin_rng: random.Random | None = None
        #: address -> the nonce its client was sent in an ACK
        self.nonces: dict[IPv4Address, bytes] = {}

    # -- building client messages ----------------------------------------------------
    def message(self, kind: MessageType | None, who: tuple[int, int | None], where: str,
                flags: int = 0, ciaddr: IPv4Address = ZERO, **options: Any) -> Message:
        mac, cid = who
        opts: dict[int, Any] = {}
        if kind is not None:
            opts[c.MESSAGE_TYPE] = kind
            opts[c.PARAMETER_REQUEST_LIST] = (1, 3, 6, 15)
            if mac % 2:  # RFC 6704: these clients are capable
                opts[c.FORCERENEW_NONCE_CAPABLE] = (1,)
        if cid is not None:
            opts[c.CLIENT_IDENTIFIER] = CIDS[cid]
        for code, value in options.items():
            if value is not None:
                opts[getattr(c, code.upper())] = value
        giaddr = A(0)
        if where != "local":
            giaddr = RELAY if where == "relayed" else A("192.0.2.77")
            sub: dict[int, Any] = {c.RAI_AGENT_CIRCUIT_ID: b"port-%d" % mac}
            if where == "linksel":
                sub[c.RAI_LINK_SELECTION] = A("198.51.100.0")
            opts[c.RELAY_AGENT_INFORMATION] = Options(sub, registry=RELAY_AGENT_SPACE)
        if kind is None:
            return Message(xid=mac, chaddr=MACS[mac], giaddr=giaddr, ciaddr=ciaddr,
                           vend=bytes(64))
        return Message(xid=0x100 + mac, flags=flags, chaddr=MACS[mac], giaddr=giaddr,
                       ciaddr=ciaddr, hops=int(where != "local"), options=opts)

    # -- driving the server -------------------------------------------------------------
    def feed(self, msg: Message, after: float, *, lenient: bool = False) -> tuple[object, ...]:
        self.now += after
        request = decode(encode(msg), strict=not lenient)
        start = self.state
        self.state, actions = handle(self.state, request, now=self.now, interface="eth0",
                                     rng=self.rng)
        assert self.state.current and (self.state is start or not start.current)
        if self.twin is not None:
            self.twin, twin_actions = handle(self.twin, request, now=self.now,
                                             interface="eth0", rng=self.twin_rng)
            assert twin_actions == actions
        self.log.extend(actions)
        self.check(request, actions)
        return actions

    def check(self, request: Message, actions: tuple[object, ...]) -> None:
        assert actions
        assert sum(isinstance(a, (Send, Discard)) for a in actions) <= 1
        key = client_key(request)
        for action in actions:
            if isinstance(action, LeaseAction):
                if action.lease.nonce is not None:
                    self.nonces[action.address] = action.lease.nonce
                else:
                    self.nonces.pop(action.address, None)
            if isinstance(action, (LeaseReleased, LeaseDeclined)):
                assert action.client == key
                self.held.pop(action.address, None)
                if isinstance(action, LeaseDeclined):
                    self.quarantine[action.address] = action.expires
            elif isinstance(action, LeaseExpired):
                # only an offer the client turned down is freed by a message
                held = self.held.get(action.address)
                assert held is None or (held[2] == "offer" and held[0] == action.client)
                self.held.pop(action.address, None)
            if not isinstance(action, Send):
                continue
            reply = action.message
            assert check_reply(request, reply) == []
            wire = action.payload()
            assert len(wire) <= action.max_size
            decode(wire)
            kind = reply.message_type if reply.vend is None else None
            if kind not in (MessageType.OFFER, MessageType.ACK, None) or not int(reply.yiaddr):
                continue
            address = reply.yiaddr
            assert key is not None
            owner = RESERVED.get(address)
            if owner is not None:
                assert owner in (key, "hw:1:" + request.chaddr[:6].hex(":")), \
                    f"reserved {address} given to {key}"
            else:
                assert address in POOL_A | POOL_B, f"{address} is not in a pool"
            assert self.quarantine.get(address, -1.0) <= self.now, f"{address} is quarantined"
            held = self.held.get(address)
            if held is not None and held[0] != key:
                assert held[1] <= self.now, f"{address} is still {held[0]}'s"
            if kind == MessageType.OFFER:
                if held is None or held[0] != key or held[2] == "offer":
                    self.held[address] = (key, self.now + OFFER_TIME, "offer")
            else:
                seconds = reply.options[c.IP_ADDRESS_LEASE_TIME] if kind else INFINITE
                until = math.inf if seconds == INFINITE else self.now + seconds
                self.held[address] = (key, until, "lease")

    def remember(self, who: tuple[int, int | None], actions: tuple[object, ...]) -> None:
        last = actions[-1]
        if isinstance(last, Send) and int(last.message.yiaddr):
            self.offered[who[0]] = last.message.yiaddr

    # -- the rules -------------------------------------------------------------------
    @rule(who=identities, where=places, asked=st.one_of(st.none(), addresses),
          lease=st.one_of(st.none(), st.integers(0, 400)), rapid=st.booleans(),
          bcast=st.booleans(), after=st.floats(0, 5))
    def discover(self, who: tuple[int, int | None], where: str, asked: IPv4Address | None,
                 lease: int | None, rapid: bool, bcast: bool, after: float) -> None:
        actions = self.feed(self.message(
            MessageType.DISCOVER, who, where, BROADCAST_FLAG if bcast else 0,
            requested_ip_address=asked, ip_address_lease_time=lease,
            rapid_commit=True if rapid else None), after)
        self.remember(who, actions)

    @rule(who=identities, where=places, lease=st.one_of(st.none(), st.integers(0, 400)),
          after=st.floats(0, 5))
    def dora(self, who: tuple[int, int | None], where: str, lease: int | None,
             after: float) -> None:
        """A whole DISCOVER-OFFER-REQUEST-ACK exchange, as a well-behaved client does it."""
        actions = self.feed(self.message(MessageType.DISCOVER, who, where,
                                         ip_address_lease_time=lease), after)
        if isinstance(actions[-1], Send):
            offer = actions[-1].message
            self.remember(who, self.feed(self.message(
                MessageType.REQUEST, who, where, requested_ip_address=offer.yiaddr,
                server_identifier=offer.options[c.SERVER_IDENTIFIER],
                ip_address_lease_time=lease), 0.5))

    @rule(who=identities, where=places, ours=st.sampled_from([SERVER, A("192.0.2.2")]),
          asked=st.one_of(st.none(), addresses), use_offer=st.booleans(), after=st.floats(0, 5))
    def select(self, who: tuple[int, int | None], where: str, ours: IPv4Address,
               asked: IPv4Address | None, use_offer: bool, after: float) -> None:
        if use_offer and who[0] in self.offered:
            asked = self.offered[who[0]]
        self.remember(who, self.feed(self.message(
            MessageType.REQUEST, who, where, server_identifier=ours, requested_ip_address=asked),
            after))

    def own(self, who: tuple[int, int | None], address: IPv4Address, use_own: bool,
            ) -> IPv4Address:
        """The address the client was last given, when it has one and ``use_own``."""
        return self.offered.get(who[0], address) if use_own else address

    @rule(who=identities, where=places, asked=addresses, use_own=st.booleans(),
          after=st.floats(0, 5))
    def init_reboot(self, who: tuple[int, int | None], where: str, asked: IPv4Address,
                    use_own: bool, after: float) -> None:
        asked = self.own(who, asked, use_own)
        self.feed(self.message(MessageType.REQUEST, who, where, requested_ip_address=asked),
                  after)

    @rule(who=identities, where=places, ciaddr=addresses, bcast=st.booleans(),
          use_own=st.booleans(), after=st.floats(0, 60))
    def renew(self, who: tuple[int, int | None], where: str, ciaddr: IPv4Address, bcast: bool,
              use_own: bool, after: float) -> None:
        ciaddr = self.own(who, ciaddr, use_own)
        self.feed(self.message(MessageType.REQUEST, who, where, BROADCAST_FLAG if bcast else 0,
                               ciaddr=ciaddr), after)

    @rule(who=identities, address=addresses, use_own=st.booleans(), after=st.floats(0, 5))
    def decline(self, who: tuple[int, int | None], address: IPv4Address, use_own: bool,
                after: float) -> None:
        address = self.own(who, address, use_own)
        self.feed(self.message(MessageType.DECLINE, who, "local", requested_ip_address=address,
                               server_identifier=SERVER), after)

    @rule(who=identities, address=addresses, use_own=st.booleans(), after=st.floats(0, 5))
    def release(self, who: tuple[int, int | None], address: IPv4Address, use_own: bool,
                after: float) -> None:
        address = self.own(who, address, use_own)
        self.feed(self.message(MessageType.RELEASE, who, "local", ciaddr=address,
                               server_identifier=SERVER), after)

    @rule(who=identities, where=places, address=addresses)
    def inform(self, who: tuple[int, int | None], where: str, address: IPv4Address) -> None:
        self.feed(self.message(MessageType.INFORM, who, where, ciaddr=address), 0.5)

    @rule(who=identities, where=places, ciaddr=st.sampled_from([A(0), A("192.0.2.14")]))
    def bootp(self, who: tuple[int, int | None], where: str, ciaddr: IPv4Address) -> None:
        self.feed(self.message(None, who, where, ciaddr=ciaddr), 0.5)

    @rule(who=identities, where=places, noise=st.lists(
        st.tuples(st.integers(236, 299), st.integers(0, 255)), min_size=1, max_size=6))
    def garbage(self, who: tuple[int, int | None], where: str,
                noise: list[tuple[int, int]]) -> None:
        data = bytearray(encode(self.message(MessageType.REQUEST, who, where,
                                             requested_ip_address=A("192.0.2.9"),
                                             server_identifier=SERVER)))
        for at, value in noise:
            if at < len(data):
                data[at] = value
        try:
            msg = decode(bytes(data), strict=False)
        except DecodeError:
            return
        self.feed(msg, 0.1, lenient=True)

    @rule(address=addresses, unsigned=st.booleans(), after=st.floats(0, 5))
    def force_renew(self, address: IPv4Address, unsigned: bool, after: float) -> None:
        """RFC 3203: the administrator asks the client of ``address`` to renew."""
        self.now += after
        record = self.state.lease(address) if int(address) else None
        live = record is not None and record.state.value == "bound" and record.expires > self.now
        before = snapshot(self.state)
        if not live or (record is not None and record.nonce is None and not unsigned):
            with pytest.raises(StateError):
                forcerenew(self.state, address, now=self.now, allow_unauthenticated=unsigned)
            assert snapshot(self.state) == before
            return
        assert record is not None
        self.state, actions = forcerenew(self.state, address, now=self.now,
                                         allow_unauthenticated=unsigned)
        if self.twin is not None:
            self.twin, twin_actions = forcerenew(self.twin, address, now=self.now,
                                                 allow_unauthenticated=unsigned)
            assert twin_actions == actions
        assert snapshot(self.state) == before
        (send,) = actions
        assert isinstance(send, Send)
        message = decode(send.payload())
        assert (send.destination, send.port) == (address, 68)
        assert message.message_type == MessageType.FORCERENEW
        assert message.chaddr[:len(record.hardware_address)] == record.hardware_address
        # RFC 6704 section 3.1.4: the client checks the HMAC with the nonce it
        # was given: here, the one the model saw in the lease action.
        if record.nonce is not None:
            assert self.nonces[address] == record.nonce
            problem, _ = forcerenew_problem(message, nonce=record.nonce, replay=None)
            assert problem is None
        else:
            assert c.AUTHENTICATION not in message.options

    @rule(seconds=st.sampled_from([1.0, OFFER_TIME, 20.0, 30.0, 45.0, 60.0, 120.0, 400.0]))
    def tick(self, seconds: float) -> None:
        self.now += seconds
        start = self.state
        self.state, actions = expire(self.state, now=self.now)
        assert self.state is start or not start.current
        if self.twin is not None:
            self.twin, twin_actions = expire(self.twin, now=self.now)
            assert twin_actions == actions
        for action in actions:
            assert isinstance(action, LeaseExpired)
            assert action.expires <= self.now
            held = self.held.get(action.address)
            if held is not None and held[0] == action.client:
                assert held[1] <= action.expires or held[2] == "offer"
                del self.held[action.address]
        self.log.extend(actions)

    @rule()
    def restart(self) -> None:
        """Snapshot to JSON and restore; from here on a twin shadows the live state."""
        data = json.loads(json.dumps(snapshot(self.state)))
        self.twin = restore(self.config, data)
        assert snapshot(self.twin) == snapshot(self.state)
        self.twin_rng = random.Random()
        self.twin_rng.setstate(self.rng.getstate())

    # -- invariants --------------------------------------------------------------------
    @invariant()
    def snapshot_round_trips_and_replay_rebuilds(self) -> None:
        if not hasattr(self, "config"):
            return
        data = snapshot(self.state)
        assert snapshot(restore(self.config, json.loads(json.dumps(data)))) == data
        assert snapshot(replay(ServerState(config=self.config), self.log)) == data

    @invariant()
    def memory_follows_what_is_live(self) -> None:
        # Issue 12 item 8: "the free-address queue ... never holds more entries
        # than the pool has addresses, whatever clients do". Here, exactly the
        # free addresses of the pools, each once.
        if not hasattr(self, "config"):
            return
        for state in (self.state, self.twin):
            if state is None:
                continue
            sizes = state.sizes()
            free = [r for r in snapshot(state)["leases"]
                    if r["state"] in ("released", "expired", "free")]
            for net, pool, sub in zip(("192.0.2.", "198.51.100."), (POOL_A, POOL_B),
                                      sizes["subnets"], strict=True):
                assert sub["free"] <= sub["pool"] == len(pool)
                assert sub["free"] == sum(1 for r in free if r["address"].startswith(net)
                                          and A(r["address"]) in pool)
            assert sizes["timers"] <= sizes["records"]
            assert sizes["timer_entries"] <= 2 * sizes["timers"] + 64

    @invariant()
    def one_record_per_address_and_held_leases_are_in_the_model(self) -> None:
        if not hasattr(self, "config"):
            return
        data = snapshot(self.state)
        for record in data["leases"]:
            if record["state"] in ("offered", "bound"):
                address = A(record["address"])
                held = self.held.get(address)
                # the server holds nothing for a client it did not promise it to
                assert held is not None and held[0] == record["client"], record
        # next_deadline is never later than the next lease change
        pending = [r["expires"] for r in data["leases"]
                   if r["state"] in ("offered", "bound", "declined") and r["expires"] is not None]
        for state in (self.state, self.twin):
            if state is not None and pending:
                deadline = next_deadline(state)
                assert deadline is not None and deadline <= min(pending)


ServerMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40)
TestServerMachine = ServerMachine.TestCase
