"""Hypothesis stateful tests of the client: random events and server messages.

A rule-based machine drives one client with every kind of event (legal or
not) and with server messages drawn from a space that includes wrong xids,
foreign chaddrs and client identifiers, zero and absurd lease times,
malformed options, option 108, rapid commit, nonces and signed or forged
FORCERENEWs. Time only moves forward, and the timer fires when due (the
caller's contract). After every step the invariants below are checked:

* the deadline never lies in the past;
* the new state is one the transition table lists for (state, trigger);
* the client is never BOUND, RENEWING, REBINDING or CHECKING past expiry;
* every message sent round-trips through encode/decode and obeys RFC 2131
  table 5 (a REQUEST in RENEWING/REBINDING has ciaddr and no option 50/54);
* retransmission delays are within RFC 2131 section 4.1's bounds (and at
  least 60 s in RENEWING/REBINDING, section 4.4.5);
* the state survives a JSON round trip;
* an event illegal in the state raises StateError and changes nothing
  (not even the random generator).
"""

from __future__ import annotations

import json
import random
from ipaddress import IPv4Address
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from dhcpwire import (
    ClientIdentifier,
    Message,
    MessageType,
    OpCode,
    Options,
    StateError,
    codes,
    decode,
    encode,
)
from dhcpwire.client import (
    TABLE,
    ClientConfig,
    ClientState,
    Configure,
    Event,
    InformRequested,
    Lease,
    LinkDown,
    LinkUp,
    MessageReceived,
    ProbeResult,
    ReleaseRequested,
    RenewRequested,
    Send,
    Start,
    State,
    Stop,
    TimerFired,
    next_deadline,
    step,
    transitions,
)
from tests.client.test_client import (
    ADDR,
    ADDR2,
    CID,
    MAC,
    NONCE,
    OTHER_MAC,
    S1,
    S2,
    ZERO,
    check_table5,
    forcerenew,
    nonce_option,
    reply,
)

TARGETS = {(row.state, row.trigger): set(row.targets) for row in transitions()}
HOLDING = {State.BOUND, State.RENEWING, State.REBINDING, State.CHECKING}
BACKOFF_STATES = {State.SELECTING, State.REQUESTING, State.REBOOTING, State.INFORMING}
#: (now + delay) - now is not exactly delay in floating point.
EPS = 1e-6

LEASE_TIMES = st.sampled_from([None, 0, 1, 30, 600, 3600, 86400, 0xFFFFFFFF])
T_TIMES = st.sampled_from([None, None, 0, 10, 300, 1800, 3000, 5000, 0xFFFFFFFF])
# Malformed values a lenient decode keeps as raw bytes.
JUNK = st.sampled_from([
    (codes.IP_ADDRESS_LEASE_TIME, b"\x01"), (codes.SERVER_IDENTIFIER, b"\x01\x02"),
    (codes.RENEWAL_TIME, b""), (codes.CLASSLESS_STATIC_ROUTE, b"\x21\x00"),
    (codes.IPV6_ONLY_PREFERRED, b"\x00"), (codes.AUTHENTICATION, b"\x03\x01"),
    (codes.ROUTER, b"\x0a\x00"), (codes.CLIENT_IDENTIFIER, b""), (codes.MESSAGE_TYPE, b""),
])


class ClientMachine(RuleBasedStateMachine):
    state: ClientState
    rng: random.Random
    now: float

    def __init__(self) -> None:
        super().__init__()
        self.leases: list[Lease] = []
        self.replay = 10

    @initialize(seed=st.integers(0, 2**32 - 1), probe=st.booleans(), rapid=st.booleans(),
                window=st.sampled_from([0.0, 3.0]), v6=st.booleans(), nonce=st.booleans(),
                delay=st.sampled_from([(0.0, 0.0), (1.0, 10.0)]), broadcast=st.booleans(),
                discover_tries=st.sampled_from([None, 2]), started=st.integers(0, 4))
    def setup(self, seed: int, probe: bool, rapid: bool, window: float, v6: bool, nonce: bool,
              delay: tuple[float, float], broadcast: bool, discover_tries: int | None,
              started: int = 1) -> None:
        config = ClientConfig(
            chaddr=MAC, probe=probe, rapid_commit=rapid, selection_window=window,
            ipv6_only_preferred=v6, forcerenew_nonce=nonce, startup_delay=delay,
            broadcast=broadcast, discover_tries=discover_tries)
        self.state = ClientState(config=config)
        self.rng = random.Random(seed)
        self.now = 0.0
        if started:  # most runs begin running; the rest test STOPPED
            self.feed(Start())

    # -- the step, with every invariant --------------------------------------------
    def feed(self, event: Event) -> None:
        before = self.state
        if (before.phase, type(event)) not in TABLE:
            rng_before = self.rng.getstate()
            with pytest.raises(StateError):
                step(before, event, now=self.now, rng=self.rng)
            assert self.state is before
            assert self.rng.getstate() == rng_before
            return
        new, actions = step(before, event, now=self.now, rng=self.rng)
        now = self.now
        deadline = next_deadline(new)
        assert deadline is None or deadline >= now, (before.phase, new.phase, deadline, now)
        assert new.phase in TARGETS[(before.phase, type(event))], (
            before.phase, type(event).__name__, new.phase)
        if new.phase in HOLDING:
            assert new.lease is not None
            assert new.lease.expires_at is None or now < new.lease.expires_at
        for action in actions:
            if isinstance(action, Send):
                assert decode(encode(action.message)) == action.message
                check_table5(action, new.phase, new.config)
                if new.phase in (State.RENEWING, State.REBINDING):
                    assert new.lease is not None
                    assert action.message.ciaddr == new.lease.address
            if isinstance(action, Configure):
                assert new.phase in (State.BOUND, State.RENEWING, State.REBINDING,
                                    State.INFORMED)
                if action.lease.lease_time is not None:
                    self.leases.append(action.lease)
        if any(isinstance(a, Send) for a in actions) and new.retransmit_at is not None:
            delay = new.retransmit_at - now
            config = new.config
            if new.phase in BACKOFF_STATES:
                base = min(config.initial_timeout * 2 ** (new.attempts - 1), config.max_timeout)
                assert base - config.jitter - EPS <= delay <= base + config.jitter + EPS, (
                    delay, base)
            elif new.phase in (State.RENEWING, State.REBINDING):
                assert delay >= config.renew_min_interval - EPS
        assert ClientState.from_json(json.loads(json.dumps(new.to_json()))) == new
        self.state = new

    # -- time ---------------------------------------------------------------------------
    @rule(dt=st.floats(0.0, 600.0, allow_nan=False, allow_infinity=False))
    def time_passes(self, dt: float) -> None:
        deadline = next_deadline(self.state)
        if deadline is not None and self.now + dt >= deadline:
            self.now = max(self.now, deadline)
            self.feed(TimerFired())
        else:
            self.now += dt

    @rule()
    def deadline_comes(self) -> None:
        deadline = next_deadline(self.state)
        if deadline is not None:
            self.now = max(self.now, deadline)
        self.feed(TimerFired())

    def before_deadline(self, dt: float) -> None:
        """Move time forward for a non-timer event, staying before the deadline."""
        deadline = next_deadline(self.state)
        if deadline is None or self.now + dt < deadline:
            self.now += dt

    # -- messages from servers ---------------------------------------------------------------
    @rule(data=st.data())
    def server_message(self, data: st.DataObject) -> None:
        draw = data.draw
        kind = draw(st.sampled_from([MessageType.OFFER, MessageType.ACK, MessageType.NAK,
                                     MessageType.ACK, MessageType.OFFER, MessageType.INFORM]))
        xid = self.state.xid if draw(st.integers(0, 9)) else draw(st.integers(0, 2**32 - 1))
        extra: dict[int, Any] = {}
        for code, values in ((codes.RENEWAL_TIME, T_TIMES), (codes.REBINDING_TIME, T_TIMES)):
            value = draw(values)
            if value is not None:
                extra[code] = value
        if draw(st.integers(0, 5)) == 0:
            extra[codes.IPV6_ONLY_PREFERRED] = draw(st.sampled_from([0, 299, 900]))
        if draw(st.booleans()):
            extra[codes.RAPID_COMMIT] = True
        if draw(st.booleans()):
            extra[codes.FORCERENEW_NONCE_CAPABLE] = (1,)
        if draw(st.booleans()):
            extra[codes.AUTHENTICATION] = nonce_option(replay=draw(st.integers(0, 20)))
        message = reply(
            kind, xid,
            yiaddr=draw(st.sampled_from([ADDR, ADDR, ADDR2, ZERO, IPv4Address("255.255.255.255")])),
            server=draw(st.sampled_from([S1, S1, S2, None, ZERO])),
            chaddr=MAC if draw(st.integers(0, 9)) else OTHER_MAC,
            cid=draw(st.sampled_from([CID, CID, None, ClientIdentifier(0, b"other")])),
            lease=draw(LEASE_TIMES), extra=extra)
        if not draw(st.integers(0, 19)):
            message = message.replace(op=OpCode.BOOTREQUEST)
        self.before_deadline(draw(st.floats(0.0, 5.0)))
        self.feed(MessageReceived(message=decode(encode(message, max_size=1500))))

    @rule(data=st.data(), junk=st.lists(JUNK, min_size=1, max_size=3))
    def malformed_message(self, data: st.DataObject, junk: list[tuple[int, bytes]]) -> None:
        """Options a lenient decode forgave: the client must read them as absent."""
        kind = data.draw(st.sampled_from([MessageType.OFFER, MessageType.ACK, MessageType.NAK]))
        good = reply(kind, self.state.xid)
        raw = dict(good.options.raw_items())
        raw.update(junk)
        message = good.replace(options=Options.from_raw(raw))
        received = decode(encode(message, max_size=1500), strict=False)
        self.feed(MessageReceived(message=received))

    @rule(genuine=st.booleans(), bump=st.integers(-2, 3))
    def forcerenew_arrives(self, genuine: bool, bump: int) -> None:
        self.replay += bump
        message = forcerenew(replay=max(self.replay, 0), nonce=NONCE if genuine else bytes(16))
        self.feed(MessageReceived(message=decode(encode(message))))

    @rule()
    def bootp_noise(self) -> None:
        noise = Message(op=OpCode.BOOTREPLY, xid=self.state.xid, chaddr=MAC)
        self.feed(MessageReceived(message=noise))

    @rule(data=st.data())
    def cooperative_server(self, data: st.DataObject) -> None:
        """The reply the state waits for, with lease times mostly sane."""
        draw = data.draw
        name = self.state.phase
        extra: dict[int, Any] = {}
        lease = draw(st.sampled_from([3600, 3600, 600, 120, 86400, 0xFFFFFFFF, 0, None]))
        if draw(st.integers(0, 3)) == 0:
            extra[codes.RENEWAL_TIME] = draw(T_TIMES.filter(lambda t: t is not None))
        if self.state.config.forcerenew_nonce and draw(st.booleans()):
            extra[codes.FORCERENEW_NONCE_CAPABLE] = (1,)
            extra[codes.AUTHENTICATION] = nonce_option(replay=draw(st.integers(0, 12)))
        if name is State.SELECTING:
            if self.state.config.rapid_commit and draw(st.booleans()):
                kind = MessageType.ACK
                extra[codes.RAPID_COMMIT] = True
            else:
                kind = MessageType.OFFER
                if draw(st.integers(0, 7)) == 0:
                    extra[codes.IPV6_ONLY_PREFERRED] = draw(st.sampled_from([0, 900]))
        elif name in (State.REQUESTING, State.REBOOTING, State.RENEWING, State.REBINDING,
                      State.INFORMING):
            kind = MessageType.NAK if draw(st.integers(0, 7)) == 0 else MessageType.ACK
        else:
            kind = draw(st.sampled_from([MessageType.OFFER, MessageType.ACK]))
        yiaddr = ZERO if name is State.INFORMING else (
            ADDR if draw(st.integers(0, 5)) else ADDR2)
        message = reply(kind, self.state.xid, yiaddr=yiaddr, lease=lease, extra=extra)
        self.before_deadline(draw(st.floats(0.0, 2.0)))
        self.feed(MessageReceived(message=decode(encode(message, max_size=1500))))

    # -- the caller's events ----------------------------------------------------------------------
    @rule(data=st.data())
    def caller_event(self, data: st.DataObject) -> None:
        draw = data.draw
        choices = ["start", "start-lease", "probe-ok", "probe-ok", "probe-conflict",
                   "release", "renew", "inform", "link-down", "link-up", "stop"]
        if self.state.phase in (State.STOPPED, State.LINK_DOWN):
            choices += ["start", "start-lease", "link-up"] * 3
        choice = draw(st.sampled_from(choices))
        event: Event
        if choice == "start":
            event = Start()
        elif choice == "start-lease":
            event = Start(lease=self.leases[-1] if self.leases else None)
        elif choice.startswith("probe"):
            event = ProbeResult(conflict=choice == "probe-conflict")
        elif choice == "release":
            event = ReleaseRequested()
        elif choice == "renew":
            event = RenewRequested()
        elif choice == "inform":
            event = InformRequested(address=IPv4Address("198.51.100.7"),
                                    server=draw(st.sampled_from([None, S1])))
        elif choice == "link-down":
            event = LinkDown()
        elif choice == "link-up":
            event = LinkUp()
        else:
            event = Stop()
        self.before_deadline(draw(st.floats(0.0, 30.0)))
        self.feed(event)

    @invariant()
    def deadline_is_not_in_the_past(self) -> None:
        deadline = next_deadline(self.state)
        assert deadline is None or deadline >= self.now


ClientMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=50)
test_client_machine = ClientMachine.TestCase


def test_the_machine_reaches_every_state() -> None:
    """A directed walk through the machine's rules visits every state, so the
    invariants are checked in all of them (the random runs are not relied on
    for coverage)."""
    machine = ClientMachine()
    machine.setup(seed=1, probe=True, rapid=False, window=0.0, v6=True, nonce=True,
                  delay=(0.0, 0.0), broadcast=True, discover_tries=None, started=0)
    seen = {machine.state.phase}

    def go(event: Event | None = None, message: Message | None = None) -> None:
        if message is not None:
            machine.feed(MessageReceived(message=decode(encode(message, max_size=1500))))
        elif event is not None:
            machine.feed(event)
        else:
            machine.deadline_comes()
        seen.add(machine.state.phase)

    go(Start())
    go()
    go(message=reply(MessageType.OFFER, machine.state.xid,
                     extra={codes.FORCERENEW_NONCE_CAPABLE: (1,)}))
    go(message=reply(MessageType.ACK, machine.state.xid,
                     extra={codes.AUTHENTICATION: nonce_option(replay=1)}))
    go(ProbeResult(conflict=False))
    machine.forcerenew_arrives(genuine=True, bump=1)
    seen.add(machine.state.phase)
    while machine.state.phase is State.RENEWING:  # retransmissions, then T2
        go()
    while machine.state.phase is State.REBINDING:  # retransmissions, then expiry
        go()
    assert machine.state.phase is State.INIT
    go(LinkDown())
    go(LinkUp())
    go()
    go(message=reply(MessageType.NAK, machine.state.xid))
    go()
    go(message=reply(MessageType.OFFER, machine.state.xid,
                     extra={codes.IPV6_ONLY_PREFERRED: 300}))
    go(Stop())
    go(InformRequested(address=IPv4Address("198.51.100.7")))
    go(message=reply(MessageType.ACK, machine.state.xid, yiaddr=ZERO))
    go(Stop())
    go(Start(lease=machine.leases[0]))
    assert seen == set(State), set(State) - seen
