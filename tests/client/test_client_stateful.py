"""Hypothesis stateful tests of the client: random events, hostile servers, a careless clock.

A rule-based machine drives one client, in a configuration drawn from every
setting that changes its behaviour (probe, rapid commit, selection window,
RFC 8925, RFC 6704 authentication, the identifier's form, tries), with:

* every kind of caller event, legal or not, at any time -- timers fired on
  time, late (by up to a day), early, or never;
* server messages from a space that includes wrong xids, foreign chaddrs and
  client identifiers, zero and absurd lease times, option 108, rapid commit,
  nonces and signed or forged FORCERENEWs;
* malformed replies: options a lenient decode forgave, and byte-flipped
  packets decoded leniently.

After every step the invariants below hold:

* an event the caller may send (legal in the state it last saw) never
  raises, whenever it comes; one it may not send raises StateError and
  changes nothing, not even the random generator;
* every transition is an edge of TABLE: the path step() took runs from the
  old state to the new one through (state, trigger) -> state pairs of the table;
* the deadline never lies before ``now``;
* the client is never BOUND, RENEWING, REBINDING or CHECKING past expiry,
  and every lease it configures counts from a time already past and ends
  after ``now``;
* every message sent round-trips through encode/decode and obeys RFC 2131
  tables 4 and 5;
* retransmission delays are within RFC 2131 section 4.1's bounds (and at
  least 60 s in RENEWING/REBINDING, section 4.4.5);
* the state survives a JSON round trip.
"""

from __future__ import annotations

import json
import random
from ipaddress import IPv4Address
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from dhcpwire import (
    ClientIdentifier,
    DecodeError,
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
    ClientIdForm,
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
    advance,
    legal_events,
    next_deadline,
    step,
)

from .support import (
    ADDR,
    ADDR2,
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

HOLDING = {State.BOUND, State.RENEWING, State.REBINDING, State.CHECKING}
BACKOFF_STATES = {State.SELECTING, State.REQUESTING, State.REBOOTING, State.INFORMING}
#: (now + delay) - now is not exactly delay in floating point.
EPS = 1e-6

LEASE_TIMES = st.sampled_from([None, 0, 1, 30, 600, 3600, 86400, 0xFFFFFFFF])
T_TIMES = st.sampled_from([None, None, 0, 10, 300, 1800, 3000, 5000, 0xFFFFFFFF])
# Malformed values a lenient decode keeps as raw bytes (options the client reads, and not).
JUNK = st.sampled_from([
    (codes.IP_ADDRESS_LEASE_TIME, b"\x01"), (codes.SERVER_IDENTIFIER, b"\x01\x02"),
    (codes.RENEWAL_TIME, b""), (codes.REBINDING_TIME, b"\x07"),
    (codes.CLASSLESS_STATIC_ROUTE, b"\x21\x00"), (codes.IPV6_ONLY_PREFERRED, b"\x00"),
    (codes.AUTHENTICATION, b"\x03\x01"), (codes.ROUTER, b"\x0a\x00"),
    (codes.CLIENT_IDENTIFIER, b""), (codes.MESSAGE_TYPE, b""), (codes.MESSAGE, b""),
    (codes.SUBNET_MASK, b"\x01"), (codes.DOMAIN_SEARCH, b"\x05ab"), (codes.RAPID_COMMIT, b"\x01"),
    (codes.FORCERENEW_NONCE_CAPABLE, b""), (codes.INTERFACE_MTU, b"\x01"), (100, b""),
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
                discover_tries=st.sampled_from([None, 2]), request_tries=st.sampled_from([1, 4]),
                form=st.sampled_from(list(ClientIdForm)), started=st.integers(0, 4))
    def setup(self, seed: int, probe: bool, rapid: bool, window: float, v6: bool, nonce: bool,
              delay: tuple[float, float], broadcast: bool, discover_tries: int | None,
              request_tries: int = 4, form: ClientIdForm = ClientIdForm.DUID,
              started: int = 1) -> None:
        config = ClientConfig(
            chaddr=MAC, probe=probe, rapid_commit=rapid, selection_window=window,
            ipv6_only_preferred=v6, forcerenew_nonce=nonce, startup_delay=delay,
            broadcast=broadcast, discover_tries=discover_tries, request_tries=request_tries,
            client_id_form=form)
        self.state = ClientState(config=config)
        self.rng = random.Random(seed)
        self.now = 0.0
        if started:  # most runs begin running; the rest test STOPPED
            self.feed(Start())

    @property
    def cid(self) -> ClientIdentifier | None:
        return self.state.config.identifier

    @property
    def xid(self) -> int:
        xid = self.state.xid
        return 0 if xid is None else xid

    # -- the step, with every invariant --------------------------------------------
    def feed(self, event: Event) -> None:
        before = self.state
        now = self.now
        if type(event) not in legal_events(before.phase):
            rng_before = self.rng.getstate()
            try:
                step(before, event, now=now, rng=self.rng)
            except StateError:
                pass
            else:
                raise AssertionError(f"{type(event).__name__} stepped in {before.phase}")
            assert self.state is before
            assert self.rng.getstate() == rng_before
            return
        twin = random.Random()
        twin.setstate(self.rng.getstate())
        done = advance(before, event, now=now, rng=self.rng)  # never raises: legal
        if not isinstance(event, TimerFired):
            self._check_timers_come_first(before, event, now, twin, done.state, done.actions)
        new, actions = done.state, done.actions
        phase = before.phase
        for source, trigger, target in done.path:
            assert source is phase and TABLE[(source, trigger)] is target, done.path
            phase = target
        assert phase is new.phase
        deadline = next_deadline(new)
        assert deadline is None or deadline >= now, (before.phase, new.phase, deadline, now)
        if new.phase in HOLDING:
            lease = new.lease
            assert lease is not None
            assert lease.expires_at is None or now < lease.expires_at
        for action in actions:
            if isinstance(action, Send):
                assert decode(encode(action.message)) == action.message
            if isinstance(action, Configure):
                lease = action.lease
                if lease.lease_time is not None:
                    assert lease.bound_at <= now
                    assert lease.expires_at is None or lease.expires_at > now
                    self.leases.append(lease)
        sends = [a for a in actions if isinstance(a, Send)]
        if sends and len(done.path) == 1:
            # One move: the state the messages were sent from is the new one.
            for send in sends:
                check_table5(send, new.phase, new.config)
            if hasattr(new.record, "retransmit_at"):
                self._check_retransmission(new, now)
        assert ClientState.from_json(json.loads(json.dumps(new.to_json()))) == new
        self.state = new

    @staticmethod
    def _check_timers_come_first(before: ClientState, event: Event, now: float,
                                 rng: random.Random, new: ClientState,
                                 actions: tuple[Any, ...]) -> None:
        """Issue 12 item 7: a late event is handled as if the caller had fired the
        due timer first -- the timers' actions, then the event's, together."""
        caught = advance(before, TimerFired(), now=now, rng=rng)
        deadline = next_deadline(caught.state)
        if type(event) not in legal_events(caught.state.phase) or (
                deadline is not None and deadline <= now):
            return  # the event means nothing there, or a restart is due at once
        then = advance(caught.state, event, now=now, rng=rng)
        assert then.state == new
        assert caught.actions + then.actions == actions

    def _check_retransmission(self, new: ClientState, now: float) -> None:
        record: Any = new.record
        delay = record.retransmit_at - now
        config = new.config
        if new.phase in BACKOFF_STATES:
            base = min(config.initial_timeout * 2 ** (record.attempts - 1), config.max_timeout)
            assert base - config.jitter - EPS <= delay <= base + config.jitter + EPS, (
                delay, base)
        elif new.phase in (State.RENEWING, State.REBINDING):
            assert delay >= config.renew_min_interval - EPS

    # -- time: timers on time, late, early, or never ------------------------------------
    @rule(dt=st.floats(0.0, 600.0, allow_nan=False, allow_infinity=False))
    def time_passes(self, dt: float) -> None:
        """Time moves and the caller fires nothing: deadlines may pass unfired."""
        self.now += dt

    @rule()
    def timer_on_time(self) -> None:
        deadline = next_deadline(self.state)
        if deadline is not None:
            self.now = max(self.now, deadline)
        self.feed(TimerFired())

    @rule(lateness=st.floats(0.001, 86400.0, allow_nan=False, allow_infinity=False))
    def timer_late(self, lateness: float) -> None:
        deadline = next_deadline(self.state)
        self.now = max(self.now, (deadline or self.now) + lateness)
        self.feed(TimerFired())

    @rule(fraction=st.floats(0.0, 0.99))
    def timer_early(self, fraction: float) -> None:
        deadline = next_deadline(self.state)
        if deadline is None or deadline <= self.now:
            return
        early = self.now + (deadline - self.now) * fraction
        if early >= deadline:
            return  # rounding made it the deadline itself
        self.now = early
        before = self.state
        self.feed(TimerFired())
        assert self.state == before  # firing early does nothing

    # -- messages from servers ---------------------------------------------------------------
    @rule(data=st.data())
    def server_message(self, data: st.DataObject) -> None:
        self.feed(MessageReceived(message=decode(encode(self._message(data), max_size=1500))))

    def _message(self, data: st.DataObject) -> Message:
        draw = data.draw
        kind = draw(st.sampled_from([MessageType.OFFER, MessageType.ACK, MessageType.NAK,
                                     MessageType.ACK, MessageType.OFFER, MessageType.INFORM]))
        xid = self.xid if draw(st.integers(0, 9)) else draw(st.integers(0, 2**32 - 1))
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
            cid=draw(st.sampled_from([self.cid, self.cid, None, ClientIdentifier(0, b"other")])),
            lease=draw(LEASE_TIMES), extra=extra)
        if not draw(st.integers(0, 19)):
            message = message.replace(op=OpCode.BOOTREQUEST)
        return message

    @rule(data=st.data(), junk=st.lists(JUNK, min_size=1, max_size=3))
    def malformed_message(self, data: st.DataObject, junk: list[tuple[int, bytes]]) -> None:
        """Options a lenient decode forgave, in a reply the client would otherwise take."""
        kind = data.draw(st.sampled_from([MessageType.OFFER, MessageType.ACK, MessageType.NAK]))
        extra = {codes.RAPID_COMMIT: True} if data.draw(st.booleans()) else None
        good = reply(kind, self.xid, cid=self.cid, extra=extra)
        raw = dict(good.options.raw_items())
        raw.update(junk)
        message = good.replace(options=Options.from_raw(raw))
        received = decode(encode(message, max_size=1500), strict=False)
        self.feed(MessageReceived(message=received))

    @rule(data=st.data(), flips=st.lists(st.tuples(st.integers(0, 599), st.integers(1, 255)),
                                          min_size=1, max_size=4))
    def byte_flipped_message(self, data: st.DataObject, flips: list[tuple[int, int]]) -> None:
        """A plausible reply with a few bytes flipped, decoded leniently."""
        wire = bytearray(encode(self._message(data), max_size=1500))
        for at, mask in flips:
            wire[at % len(wire)] ^= mask
        try:
            received = decode(bytes(wire), strict=False)
        except DecodeError:
            return  # not even a lenient decode takes it: the caller drops it
        self.feed(MessageReceived(message=received))

    @rule(genuine=st.booleans(), bump=st.integers(-2, 3))
    def forcerenew_arrives(self, genuine: bool, bump: int) -> None:
        self.replay += bump
        message = forcerenew(replay=max(self.replay, 0), nonce=NONCE if genuine else bytes(16),
                             cid=self.cid)
        self.feed(MessageReceived(message=decode(encode(message))))

    @rule()
    def bootp_noise(self) -> None:
        noise = Message(op=OpCode.BOOTREPLY, xid=self.xid, chaddr=MAC)
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
        message = reply(kind, self.xid, yiaddr=yiaddr, lease=lease, cid=self.cid, extra=extra)
        self.now += draw(st.floats(0.0, 2.0))
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
        self.now += draw(st.floats(0.0, 30.0))  # whatever deadline this passes
        self.feed(event)



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
    cid = machine.cid

    def go(event: Event | None = None, message: Message | None = None) -> None:
        if message is not None:
            machine.feed(MessageReceived(message=decode(encode(message, max_size=1500))))
        elif event is not None:
            machine.feed(event)
        else:
            machine.timer_on_time()
        seen.add(machine.state.phase)

    go(Start())
    go()
    go(message=reply(MessageType.OFFER, machine.xid, cid=cid,
                     extra={codes.FORCERENEW_NONCE_CAPABLE: (1,)}))
    go(message=reply(MessageType.ACK, machine.xid, cid=cid,
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
    go(message=reply(MessageType.NAK, machine.xid, cid=cid))
    go()
    go(message=reply(MessageType.OFFER, machine.xid, cid=cid,
                     extra={codes.IPV6_ONLY_PREFERRED: 300}))
    go(Stop())
    go(InformRequested(address=IPv4Address("198.51.100.7")))
    go(message=reply(MessageType.ACK, machine.xid, yiaddr=ZERO, cid=cid))
    go(Stop())
    go(Start(lease=machine.leases[0]))
    assert seen == set(State), set(State) - seen
