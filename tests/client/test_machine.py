"""The machine itself: the one transition table, what step() does with it, caller misuse,
the state records, saving and restoring, the diagrams, and the Client class."""

from __future__ import annotations

import ast
import doctest
import json
import random
import re
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from dhcpwire import ClasslessRoute, DataError, StateError, UserClass, codes
from dhcpwire.client import (
    TABLE,
    Bound,
    Client,
    ClientConfig,
    ClientState,
    Event,
    InformRequested,
    Init,
    Lease,
    LinkDown,
    LinkUp,
    MessageReceived,
    ProbeResult,
    ReleaseRequested,
    RenewRequested,
    Selecting,
    Send,
    Start,
    State,
    Stop,
    TimerFired,
    TransitionError,
    Trigger,
    advance,
    diagram,
    legal_events,
    next_deadline,
    step,
    transitions,
)
from dhcpwire.client import handlers as client_handlers
from dhcpwire.client.exchanges import Move

from .support import (
    ADDR,
    ADDR2,
    MAC,
    ZERO,
    Harness,
    ack,
    bound,
    config,
    nonce_option,
    offer,
)

PACKAGE = Path(__file__).resolve().parents[2] / "dhcpwire" / "client"


# == one table, obeyed ==================================================================

def test_every_trigger_of_the_table_leads_to_one_state() -> None:
    # A dict cannot hold two targets for one (state, trigger); the table also
    # names every state and every trigger at least once.
    assert {state for state, _ in TABLE} | set(TABLE.values()) == set(State)
    assert {trigger for _, trigger in TABLE} == set(Trigger)


def test_legal_events_are_the_events_of_the_triggers_leaving_the_state() -> None:
    for state in State:
        expected = {TimerFired, MessageReceived}
        expected.update(e for (source, trigger) in TABLE if source is state
                        for e in trigger.events)
        assert legal_events(state) == expected
    assert ReleaseRequested in legal_events(State.BOUND)
    assert ReleaseRequested not in legal_events(State.INIT)
    assert ProbeResult in legal_events(State.CHECKING)
    assert Start not in legal_events(State.BOUND)


def test_a_handler_that_picks_a_state_the_table_does_not_name_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Handlers compute data; the table decides where a trigger leads. A handler
    whose new state is not the table's target is a bug, and step() says so."""
    h = bound()
    wrong = ClientState(config=h.cfg, record=Init(wake_at=0.0))

    def renew_to_init(*_: Any) -> Move:
        return Move(Trigger.RENEW, wrong)

    monkeypatch.setitem(client_handlers.HANDLERS, (State.BOUND, RenewRequested), renew_to_init)
    with pytest.raises(TransitionError, match="renew in BOUND leads to RENEWING"):
        step(h.state, RenewRequested(), now=10.0, rng=random.Random(1))


def test_an_ack_whose_t1_has_passed_is_a_chain_of_two_table_lookups() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid), 0.0)
    late = h.record.retransmit_at - 0.01  # the ACK comes just before a retransmission
    times = {codes.RENEWAL_TIME: 1, codes.REBINDING_TIME: 100}
    done = advance(h.state, MessageReceived(message=ack(h.xid, lease=200, extra=times)),
                   now=late, rng=h.rng)
    # The lease counts from the REQUEST at 0: T1 (1) has passed, T2 (100) not.
    assert done.path == ((State.REQUESTING, Trigger.ACK, State.BOUND),
                         (State.BOUND, Trigger.T1, State.RENEWING))
    assert done.state.phase is State.RENEWING
    for source, trigger, target in done.path:
        assert TABLE[(source, trigger)] is target


def _representatives() -> dict[State, ClientState]:
    """One reachable state for each State, built by scenarios."""
    found: dict[State, ClientState] = {}

    def keep(h: Harness) -> None:
        found.setdefault(h.state.phase, h.state)

    h = Harness(config(probe=True, ipv6_only_preferred=True))
    keep(h)
    h(Start(), 0.0)
    keep(h)
    h.timer()
    keep(h)
    h.receive(offer(h.xid), 0.5)
    keep(h)
    h.receive(ack(h.xid), 0.6)
    keep(h)
    h(ProbeResult(conflict=False), 0.7)
    keep(h)
    h.timer()
    keep(h)
    h.timer(3150.5)
    keep(h)
    h(LinkDown(), 3160.0)
    keep(h)
    h(LinkUp(), 3161.0)
    keep(h)
    h.timer()
    keep(h)
    h2 = Harness(config())
    h2(InformRequested(address=ADDR), 0.0)
    keep(h2)
    h2.receive(ack(h2.xid, yiaddr=ZERO), 1.0)
    keep(h2)
    h3 = Harness(config(ipv6_only_preferred=True))
    h3(Start(), 0.0)
    h3.timer()
    h3.receive(offer(h3.xid, extra={codes.IPV6_ONLY_PREFERRED: 300}), 1.0)
    keep(h3)
    return found


EVENTS: list[Event] = [
    Start(), MessageReceived(message=offer(1)), TimerFired(), ProbeResult(conflict=False),
    ReleaseRequested(), RenewRequested(), InformRequested(address=ADDR2), LinkDown(), LinkUp(),
    Stop()]


def test_every_state_is_reached_by_the_representatives() -> None:
    assert set(_representatives()) == set(State)


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("late", [False, True], ids=["on-time", "late"])
def test_every_state_and_event_either_steps_along_the_table_or_raises(
        event: Event, late: bool) -> None:
    """h2's test_state_machines.py, for the client: every (state, event) pair
    either steps -- along edges of TABLE only -- or raises StateError with the
    state and the random generator untouched. Late: the caller let every
    deadline pass by a day, which must never turn a legal event into an error."""
    for name, state in _representatives().items():
        deadline = next_deadline(state)
        now = (deadline or 0.0) + (86400.0 if late else 0.0)
        rng = random.Random(1)
        if type(event) in legal_events(name):
            done = advance(state, event, now=now, rng=rng)
            phase = name
            for source, trigger, target in done.path:
                assert source is phase and TABLE[(source, trigger)] is target
                phase = target
            assert phase is done.state.phase
            assert (next_deadline(done.state) or now) >= now
        else:
            before = rng.getstate()
            with pytest.raises(StateError):
                step(state, event, now=now, rng=rng)
            assert rng.getstate() == before


# == caller misuse is an exception; the state is untouched --------------------------------

@pytest.mark.parametrize(("make", "event"), [
    (lambda: Harness(config()), ReleaseRequested()),
    (lambda: Harness(config()), ProbeResult(conflict=False)),
    (lambda: Harness(config()), LinkUp()),
    (lambda: Harness(config()), Stop()),
    (bound, Start()),
    (bound, ProbeResult(conflict=True)),
    (bound, LinkUp()),
    (bound, InformRequested(address=ADDR2)),
])
def test_illegal_event_raises_and_changes_nothing(make: Any, event: Event) -> None:
    h = make()
    before = h.state
    with pytest.raises(StateError):
        step(h.state, event, now=h.now + 1, rng=h.rng)
    assert h.state is before


@pytest.mark.parametrize(("args", "error"), [
    ({"state": "BOUND"}, TypeError),
    ({"event": "TimerFired"}, TypeError),
    ({"event": TimerFired}, TypeError),
    ({"now": "10"}, TypeError),
    ({"now": None}, TypeError),
    ({"now": True}, TypeError),
    ({"rng": 7}, TypeError),
    ({"now": float("nan")}, StateError),
    ({"now": float("inf")}, StateError),
])
def test_wrong_arguments_raise_and_change_nothing(args: dict[str, Any],
                                                  error: type[Exception]) -> None:
    h = bound()
    rng = random.Random(3)
    before = rng.getstate()
    call: dict[str, Any] = {"state": h.state, "event": TimerFired(), "now": 10.0, "rng": rng}
    call.update(args)
    with pytest.raises(error):
        step(call.pop("state"), call.pop("event"), **call)
    assert rng.getstate() == before


def test_events_refuse_values_of_the_wrong_type() -> None:
    with pytest.raises(TypeError):
        MessageReceived(message=b"\x02")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ProbeResult(conflict="no")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Start(lease="192.0.2.10")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        InformRequested(address=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        InformRequested(address=ADDR, server=b"\xc0\x00\x02\x01")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        InformRequested(address="224.0.0.1")
    with pytest.raises(ValueError):
        Start(lease=Lease(address=ADDR))
    with pytest.raises(ValueError):
        Start(lease=Lease(address=ADDR, lease_time=60))


# == the records ==========================================================================

def test_the_phase_is_derived_from_the_record() -> None:
    h = bound()
    assert isinstance(h.state.record, Bound) and h.state.phase is State.BOUND
    assert h.state.lease is h.state.record.lease
    assert h.state.configured and h.state.xid is None


@pytest.mark.parametrize("make", [
    lambda lease: Bound(lease=Lease(address=ADDR)),  # no lease time, no server
    lambda lease: Selecting(xid=1, sent_at=0.0, attempts=1, retransmit_at=4.0,
                            window_end=3.0),  # a window without offers
    lambda lease: Selecting(xid=1, sent_at=0.0, attempts=0, retransmit_at=4.0),
    lambda lease: Selecting(xid=2**32, sent_at=0.0, attempts=1, retransmit_at=4.0),
    lambda lease: Init(wake_at=float("nan")),
])
def test_records_refuse_what_their_state_cannot_be(make: Any) -> None:
    with pytest.raises(ValueError):
        make(bound().state.lease)


def test_a_state_refuses_a_record_or_config_of_the_wrong_type() -> None:
    with pytest.raises(TypeError):
        ClientState(config=config(), record="BOUND")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ClientState(config={"chaddr": MAC})  # type: ignore[arg-type]


def test_no_assert_statement_carries_an_invariant_in_the_client() -> None:
    """``python -O`` strips asserts: the client states its invariants in its types
    and records, and checks them with real exceptions."""
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assert):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_no_module_of_the_client_reads_a_private_name_of_another() -> None:
    """Issue 10 item 7: imports of ``_names`` across modules, and reads of
    ``obj._attribute`` on anything but ``self``, are back doors."""
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                found += [f"{path.name}: import {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                    and not node.attr.startswith("__"):
                owner = node.value
                if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                    found.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert found == []


# == replay, JSON -----------------------------------------------------------------------

def _run(seed: int) -> list[Any]:
    h = Harness(ClientConfig(chaddr=MAC, probe=False), seed=seed)
    out: list[Any] = [h(Start(), 0.0)]
    for _ in range(3):
        out.append(h.timer())
    out.append(h.receive(offer(h.xid), h.now + 0.1))
    out.append(h.timer())
    out.append(h.receive(ack(h.xid), h.now + 0.1))
    out.append(h.state)
    return out


def test_same_seed_same_events_same_run() -> None:
    assert _run(5) == _run(5)
    assert _run(5) != _run(6)


def test_state_json_round_trips_in_every_state() -> None:
    states = list(_representatives().values())
    h = Harness(config(probe=True, selection_window=3.0, forcerenew_nonce=True,
                       host_name="box", user_class=UserClass((b"a", b"b"))))
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid, extra={codes.FORCERENEW_NONCE_CAPABLE: (1,)}), 0.5)
    states.append(h.state)  # an offer collected
    h.timer()
    states.append(h.state)
    h.receive(ack(h.xid, extra={codes.AUTHENTICATION: nonce_option(),
                                codes.CLASSLESS_STATIC_ROUTE: (
                                    ClasslessRoute(IPv4Network("0.0.0.0/0"), ADDR),)}), 4.0)
    states.append(h.state)
    h(ProbeResult(conflict=False), 4.5)
    states.append(h.state)
    for state in states:
        data = json.loads(json.dumps(state.to_json()))
        assert data["version"] == 2
        assert ClientState.from_json(data) == state
        moved = ClientState.from_json(data, shift=100.0)
        deadline = next_deadline(state)
        assert next_deadline(moved) == (None if deadline is None else deadline + 100.0)
    lease = h.state.lease
    assert lease is not None
    assert Lease.from_json(json.loads(json.dumps(lease.to_json()))) == lease
    assert Lease.from_json(lease.to_json(), shift=10.0) == lease.shifted(10.0)


#: A BOUND state saved by dhcpwire 0.1 (version 1: one flat object).
V1_BOUND: dict[str, Any] = {
    "version": 1,
    "config": {
        "chaddr": "02005e105301", "htype": 1, "client_id": None, "send_client_id": True,
        "host_name": None, "fqdn": None, "vendor_class": None, "user_class": None,
        "parameter_request_list": [1, 121, 3, 6, 15, 28, 26, 119, 42, 51, 58, 59],
        "max_message_size": 1500, "requested_lease_time": None, "broadcast": True,
        "rapid_commit": False, "probe": False, "ipv6_only_preferred": False,
        "forcerenew_nonce": False, "startup_delay": [0.0, 0.0], "initial_timeout": 4.0,
        "max_timeout": 64.0, "jitter": 1.0, "request_tries": 4, "discover_tries": None,
        "inform_tries": 4, "decline_backoff": 10.0, "selection_window": 0.0,
        "offer_policy": "first", "renew_min_interval": 60.0, "extra_options": []},
    "phase": "BOUND",
    "lease": {
        "address": "192.0.2.10", "server_identifier": "192.0.2.1",
        "subnet_mask": "255.255.255.0", "broadcast_address": None, "routers": ["192.0.2.1"],
        "routes": [], "dns_servers": [], "domain_name": None, "domain_search": [],
        "ntp_servers": [], "mtu": None, "lease_time": 3600, "renewal_time": 1800.0,
        "rebinding_time": 3150.0, "bound_at": 0.0, "renew_at": 1800.0, "rebind_at": 3150.0,
        "expires_at": 3600.0, "options": [[53, "05"], [51, "00000e10"]], "nonce": None,
        "replay": None},
    "xid": 0, "started_at": None, "secs": 0, "attempts": 0, "retransmit_at": None,
    "wake_at": None, "offer": None, "offers": [], "window_end": None,
    "inform_address": None, "inform_server": None,
}


def test_a_version_1_state_is_read_and_keeps_its_identity() -> None:
    state = ClientState.from_json(json.loads(json.dumps(V1_BOUND)))
    assert isinstance(state.record, Bound) and state.record.lease.expires_at == 3600.0
    # 0.1 sent the hardware form by default: a restored client keeps it, so its
    # servers still know it.
    cid = state.config.identifier
    assert cid is not None and (cid.type, cid.data) == (1, MAC)
    selecting = dict(V1_BOUND, phase="SELECTING", lease=None, xid=7, started_at=1.0, secs=3,
                     attempts=2, retransmit_at=9.0)
    assert ClientState.from_json(selecting).record == Selecting(
        xid=7, sent_at=1.0, attempts=2, retransmit_at=9.0, secs=3)


@pytest.mark.parametrize("data", [
    None, [], "BOUND", {}, {"version": 3},
    {"version": 2, "config": {"chaddr": "02005e105301"}, "setbacks": 0,
     "record": {"phase": "NOWHERE"}},
    {"version": 2, "config": {"chaddr": "02005e105301"}, "setbacks": 0,
     "record": {"phase": "INIT", "wake_at": "soon"}},
    {"version": 2, "config": {"chaddr": "02005e105301"}, "setbacks": 0,
     "record": {"phase": "INIT"}},
    {"version": 2, "config": {"chaddr": "02005e105301"}, "setbacks": -1,
     "record": {"phase": "STOPPED"}},
    {"version": 2, "config": {"chaddr": "02005e105301"}, "setbacks": 0,
     "record": {"phase": "STOPPED", "colour": "red"}},
    {"version": 2, "config": {"chaddr": "zz"}, "setbacks": 0, "record": {"phase": "STOPPED"}},
    {"version": 2, "config": {"chaddr": "02005e105301", "probe": "yes"}, "setbacks": 0,
     "record": {"phase": "STOPPED"}},
    {"version": 2, "config": {"chaddr": "02005e105301"}, "setbacks": 0,
     "record": {"phase": "SELECTING", "xid": 1, "sent_at": 0, "attempts": 1,
                "retransmit_at": 4, "offers": [{"message": "ff"}]}},
    dict(V1_BOUND, lease=None),
    dict(V1_BOUND, phase="WHATEVER"),
])
def test_bad_saved_state_raises_data_error(data: Any) -> None:
    with pytest.raises(DataError):
        ClientState.from_json(data)


@pytest.mark.parametrize("change", [
    {"address": "192.0.2.300"}, {"address": None}, {"routers": ["x"]}, {"routers": [1]},
    {"lease_time": "3600"}, {"expires_at": "later"}, {"renew_at": 5000.0},
    {"options": [[51, "0e10"]]}, {"options": [[3, "zz"]]}, {"nonce": 5},
])
def test_bad_saved_lease_raises_data_error(change: dict[str, Any]) -> None:
    lease = bound().state.lease
    assert lease is not None
    with pytest.raises(DataError):
        Lease.from_json({**lease.to_json(), **change})
    with pytest.raises(DataError):
        Lease.from_json([1, 2])


@pytest.mark.parametrize("data", [
    None, {}, {"chaddr": 5}, {"chaddr": "02005e105301", "client_id_form": "mac"},
    {"chaddr": "02005e105301", "parameter_request_list": [3, 121]},
    {"chaddr": "02005e105301", "startup_delay": [1]},
    {"chaddr": "02005e105301", "nonsense": 1},
])
def test_bad_saved_config_raises_data_error(data: Any) -> None:
    with pytest.raises(DataError):
        ClientConfig.from_json(data)


# == the diagrams -----------------------------------------------------------------------

def test_transitions_list_every_legal_pair_with_the_table_s_edges() -> None:
    rows = {(row.state, row.event): row for row in transitions()}
    assert set(rows) == {(s, e) for s in State for e in legal_events(s)}
    assert State.REQUESTING in rows[(State.SELECTING, MessageReceived)].targets
    assert State.BOUND in rows[(State.REQUESTING, MessageReceived)].targets
    assert State.RENEWING in rows[(State.BOUND, TimerFired)].targets
    assert State.REBINDING in rows[(State.RENEWING, TimerFired)].targets
    assert State.INIT in rows[(State.REBINDING, TimerFired)].targets
    assert State.REBOOTING in rows[(State.INIT_REBOOT, TimerFired)].targets
    for (state, trigger), target in TABLE.items():
        for event in trigger.events:
            assert (trigger.label, target) in rows[(state, event)].edges


def test_transition_trigger_is_the_deprecated_name_of_its_event() -> None:
    from dhcpwire import DhcpwireDeprecationWarning
    row = transitions()[0]
    with pytest.warns(DhcpwireDeprecationWarning):
        assert row.trigger is row.event


def test_the_dot_diagram_draws_every_edge_of_the_table() -> None:
    text = diagram(format="dot", complete=True)
    assert text.startswith("digraph dhcp_client {") and text.rstrip().endswith("}")
    arrows = re.findall(r"^    (\w+) -> (\w+) \[label=\"(.*)\"\];$", text, re.M)
    drawn = {(State[a], State[b]): label.split("\\n") for a, b, label in arrows}
    for (source, trigger), target in TABLE.items():
        assert trigger.label in drawn[(source, target)]
    assert len(drawn) == len({(s, t) for (s, _), t in TABLE.items()})
    assert 'INIT_REBOOT [label="INIT-REBOOT"];' in text
    # Without ``complete`` the Stop and LinkDown arrows give way to a note.
    short = diagram(format="dot")
    assert "BOUND -> LINK_DOWN" not in short and "note ->" in short


def test_the_mermaid_diagram_is_drawn_from_the_same_table() -> None:
    text = diagram()
    assert text.startswith("stateDiagram-v2\n")
    for name in ("INIT", "SELECTING", "REQUESTING", "BOUND", "RENEWING", "REBINDING",
                 "INIT_REBOOT", "REBOOTING"):
        assert f"\n    {name} -->" in text
    assert 'state "INIT-REBOOT" as INIT_REBOOT' in text
    assert "BOUND --> RENEWING: T1 expires" in text
    with pytest.raises(ValueError):
        diagram(format="svg")  # type: ignore[arg-type]


# == the class --------------------------------------------------------------------------

def test_client_class_keeps_state_only_on_success() -> None:
    c = Client(config(), rng=random.Random(1))
    assert c.handle(Start(), now=0.0) == ()
    assert c.next_deadline() == 0.0
    before = c.state
    with pytest.raises(StateError):
        c.handle(ReleaseRequested(), now=0.0)
    assert c.state is before
    assert isinstance(c.handle(TimerFired(), now=0.0)[0], Send)
    assert ClientState.from_json(c.to_json()) == c.state
    with pytest.raises(TypeError):
        Client()


def test_client_state_name_is_deprecated_for_phase() -> None:
    from dhcpwire import DhcpwireDeprecationWarning
    with pytest.warns(DhcpwireDeprecationWarning):
        assert ClientState(config=config()).name is State.STOPPED


def test_the_docs_page_examples_run() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "client.rst"
    result = doctest.testfile(str(page), module_relative=False)
    assert result.failed == 0 and result.attempted >= 15
