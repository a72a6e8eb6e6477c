"""Versions of the server state, the caller's contract, and memory that follows what is live.

* Versions are linear: a state a call replaced is superseded, and using it
  again raises ``StateError`` without reading or changing anything; ``fork``
  branches (issue 12 item 8).
* Wrong argument types raise ``TypeError``, misuse of the machine (a ``now``
  the server cannot hold, time going backwards, a superseded or busy
  state) ``StateError``, bad external data ``DataError``; each changes
  nothing (issue 11 item 7, issue 12 item 10).
* Whatever clients do, the free-address queues hold each free address at
  most once and the timer heap at most twice the live timers (issue 12
  item 8).
"""

from __future__ import annotations

import gc
import math
import random
import threading
import tracemalloc
from ipaddress import IPv4Address
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dhcpwire import (
    ClientIdentifier,
    DataError,
    Message,
    MessageType,
    StateError,
)
from dhcpwire import codes as c
from dhcpwire.server import (
    MAX_NOW,
    Send,
    ServerConfig,
    ServerState,
    Subnet,
    expire,
    forcerenew,
    fork,
    handle,
    next_deadline,
    replay,
    restore,
    snapshot,
)
from dhcpwire.server.store import FreeQueue, Timers, rollback

A = IPv4Address
SERVER = A("192.0.2.1")
T0 = 1_000_000.0


def config(**kw: Any) -> ServerConfig:
    base: dict[str, Any] = dict(
        server_identifier=SERVER,
        subnets=(Subnet(network="192.0.2.0/24", pools=(("192.0.2.10", "192.0.2.19"),)),),
        default_lease_time=3600, offer_time=30.0)
    base.update(kw)
    return ServerConfig(**base)


def mac(i: int) -> bytes:
    return bytes.fromhex(f"02000000{i:04x}")


def message(kind: MessageType, i: int = 0, **options: Any) -> Message:
    opts: dict[int, Any] = {c.MESSAGE_TYPE: kind, c.CLIENT_IDENTIFIER: ClientIdentifier(1, mac(i))}
    ciaddr = options.pop("ciaddr", A(0))
    for name, value in options.items():
        opts[getattr(c, name.upper())] = value
    return Message(xid=i, chaddr=mac(i), ciaddr=ciaddr, options=opts)


def bound(state: ServerState, i: int, now: float = T0) -> tuple[ServerState, IPv4Address]:
    """``state`` with client ``i`` bound by a whole DORA exchange at ``now``."""
    state, actions = handle(state, message(MessageType.DISCOVER, i), now=now)
    offer = actions[-1]
    assert isinstance(offer, Send)
    state, actions = handle(state, message(MessageType.REQUEST, i, server_identifier=SERVER,
                                           requested_ip_address=offer.message.yiaddr), now=now)
    ack = actions[-1]
    assert isinstance(ack, Send) and ack.message.message_type == MessageType.ACK
    return state, ack.message.yiaddr


# -- the caller's contract -------------------------------------------------------------

WRONG_TYPES = [
    lambda s: handle(s, b"not a message", now=T0),
    lambda s: handle(s, message(MessageType.DISCOVER), now="soon"),
    lambda s: handle(s, message(MessageType.DISCOVER), now=None),
    lambda s: handle(s, message(MessageType.DISCOVER), now=True),
    lambda s: handle(s, message(MessageType.DISCOVER), now=T0, interface=3),
    lambda s: handle(s, message(MessageType.DISCOVER), now=T0, source="192.0.2.5"),
    lambda s: handle(s, message(MessageType.DISCOVER), now=T0, source_port="67"),
    lambda s: handle(s, message(MessageType.DISCOVER), now=T0, rng=4),
    lambda s: handle("state", message(MessageType.DISCOVER), now=T0),
    lambda s: expire("state", now=T0),
    lambda s: expire(s, now="later"),
    lambda s: next_deadline(None),
    lambda s: snapshot(3),
    lambda s: replay({}, []),
    lambda s: fork(s.config),
    lambda s: forcerenew(s, 3232236042, now=T0),
    lambda s: restore("config", snapshot(s)),
]


@pytest.mark.parametrize("call", WRONG_TYPES)
def test_arguments_of_the_wrong_type_raise_type_error_and_change_nothing(call: Any) -> None:
    # Issue 11 item 7: "wrong argument types raise TypeError".
    state, _ = bound(ServerState(config=config()), 0)
    before = snapshot(state)
    with pytest.raises(TypeError):
        call(state)
    assert state.current and snapshot(state) == before
    assert isinstance(handle(state, message(MessageType.DISCOVER, 1), now=T0)[1][-1], Send)


MISUSE = [
    lambda s: handle(s, message(MessageType.DISCOVER, 1), now=math.nan),
    lambda s: handle(s, message(MessageType.DISCOVER, 1), now=math.inf),
    lambda s: handle(s, message(MessageType.DISCOVER, 1), now=-1.0),
    lambda s: handle(s, message(MessageType.DISCOVER, 1), now=10**400),
    lambda s: handle(s, message(MessageType.DISCOVER, 1), now=2.0**45),
    lambda s: handle(s, message(MessageType.DISCOVER, 1), now=T0 - 0.5),
    lambda s: handle(s, message(MessageType.DISCOVER, 1), now=T0, source_port=0),
    lambda s: handle(s, message(MessageType.DISCOVER, 1), now=T0, source_port=65536),
    lambda s: expire(s, now=math.inf),
    lambda s: expire(s, now=T0 - 1),
    lambda s: expire(s, now=-math.inf),
    lambda s: forcerenew(s, "192.0.2.19", now=T0),
    lambda s: forcerenew(s, "192.0.2.10", now=T0 - 1),
]


@pytest.mark.parametrize("call", MISUSE)
def test_caller_misuse_raises_state_error_and_changes_nothing(call: Any) -> None:
    # Issue 12 item 10: "Caller misuse of the server (a non-finite, negative or
    # unrepresentable now, time going backwards) raises StateError and changes
    # nothing."
    state, _ = bound(ServerState(config=config()), 0)
    before = snapshot(state)
    with pytest.raises(StateError):
        call(state)
    assert state.current and snapshot(state) == before and state.now == T0
    assert isinstance(handle(state, message(MessageType.DISCOVER, 1), now=T0)[1][-1], Send)


def test_a_now_too_large_for_a_float_is_a_state_error_not_an_overflow_error() -> None:
    state = ServerState(config=config())
    with pytest.raises(StateError, match="2\\*\\*44"):
        handle(state, message(MessageType.DISCOVER), now=10**400)
    # the largest time the server takes is accepted, and time may stand still
    state, _ = handle(state, message(MessageType.DISCOVER), now=MAX_NOW)
    state, _ = handle(state, message(MessageType.DISCOVER, 1), now=int(MAX_NOW))
    assert state.now == MAX_NOW


def test_time_going_backwards_raises_and_the_state_goes_on_at_the_later_time() -> None:
    state, _ = bound(ServerState(config=config()), 0, now=T0)
    state, _ = expire(state, now=T0 + 10)
    with pytest.raises(StateError, match="backwards"):
        handle(state, message(MessageType.DISCOVER, 1), now=T0 + 9)
    with pytest.raises(StateError, match="backwards"):
        expire(state, now=T0 + 9.999)
    state, actions = handle(state, message(MessageType.DISCOVER, 1), now=T0 + 10)
    assert isinstance(actions[-1], Send)


def test_forcerenew_nonce_without_an_rng_is_misuse() -> None:
    state = ServerState(config=config(forcerenew_nonce=True))
    with pytest.raises(StateError, match="rng"):
        handle(state, message(MessageType.DISCOVER), now=T0)
    assert snapshot(state)["leases"] == []
    handle(state, message(MessageType.DISCOVER), now=T0, rng=random.Random(1))


@pytest.mark.parametrize("bad", [
    None, [], {"format": "dhcpwire-server-state", "version": 2},
    {"format": "dhcpwire-server-state", "version": 1, "leases": {}},
    {"format": "dhcpwire-server-state", "version": 1, "leases": [{"address": "x"}]},
    {"format": "dhcpwire-server-state", "version": 1, "leases": [],
     "clients": {"id:01": "192.0.2.10"}},
    {"format": "dhcpwire-server-state", "version": 1, "leases": [],
     "clients": {"id:01": "not an address"}},
])
def test_restore_raises_data_error_for_what_is_not_a_snapshot(bad: Any) -> None:
    # Issue 11 item 7: bad external data raises a documented DhcpwireError
    # subclass, never a bare ValueError.
    with pytest.raises(DataError):
        restore(config(), bad)


# -- linear versions ----------------------------------------------------------------------

def test_a_superseded_state_raises_on_every_use_and_changes_nothing() -> None:
    start = ServerState(config=config())
    state, address = bound(start, 0)
    assert not start.current and state.current
    before = snapshot(state)
    for use in (lambda: handle(start, message(MessageType.DISCOVER, 1), now=T0),
                lambda: expire(start, now=T0), lambda: next_deadline(start),
                lambda: snapshot(start), lambda: start.lease(address), lambda: start.leases(),
                lambda: start.sizes(), lambda: fork(start), lambda: replay(start, []),
                lambda: forcerenew(start, address, now=T0, allow_unauthenticated=True)):
        with pytest.raises(StateError, match="superseded"):
            use()
    assert snapshot(state) == before


def test_a_call_that_changes_nothing_returns_the_same_state_still_current() -> None:
    state, _ = bound(ServerState(config=config()), 0)
    same, actions = handle(state, message(MessageType.INFORM, 5, ciaddr=A("192.0.2.77")),
                           now=T0 + 1)
    assert same is state and state.current and isinstance(actions[-1], Send)
    same, actions = expire(state, now=T0 + 2)
    assert same is state and actions == ()


def test_fork_makes_two_states_that_step_independently() -> None:
    state, _ = bound(ServerState(config=config()), 0)
    other = fork(state)
    left, _ = bound(state, 1)
    right, _ = bound(other, 2)
    clients = [{r["client"] for r in snapshot(s)["leases"]} for s in (left, right)]
    assert clients == [{"id:01" + mac(0).hex(), "id:01" + mac(1).hex()},
                       {"id:01" + mac(0).hex(), "id:01" + mac(2).hex()}]
    assert left.current and right.current


def test_holding_a_superseded_state_keeps_nothing_alive() -> None:
    # Issue 12 item 8: "holding one costs only what differs" -- a superseded
    # state is three references, and the steps after it are not kept for it.
    start = ServerState(config=config(offer_time=1.0))
    state = start
    gc.collect()
    tracemalloc.start()
    try:
        for n in range(2000):
            state, _ = handle(state, message(MessageType.DISCOVER, n % 7), now=T0 + n)
            state, _ = expire(state, now=T0 + n + 0.5)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
        del start
        gc.collect()
        released = held - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert released < 1024


def test_a_state_used_from_two_threads_at_once_raises_instead_of_corrupting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import dhcpwire.server.state as state_module
    state, _ = bound(ServerState(config=config()), 0)
    entered, go_on = threading.Event(), threading.Event()
    answer = state_module.answer

    def slow(*args: Any) -> Any:
        entered.set()
        go_on.wait(5)
        return answer(*args)
    monkeypatch.setattr(state_module, "answer", slow)
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(
        handle(state, message(MessageType.DISCOVER, 1), now=T0)))
    worker.start()
    assert entered.wait(5)
    for use in (lambda: handle(state, message(MessageType.DISCOVER, 2), now=T0),
                lambda: snapshot(state), lambda: next_deadline(state)):
        with pytest.raises(StateError, match="in use"):
            use()
    go_on.set()
    worker.join(5)
    new, actions = results[0]
    assert isinstance(actions[-1], Send) and new.current and not state.current


def test_forks_stepped_in_two_threads_give_what_they_give_one_after_the_other() -> None:
    base, _ = bound(ServerState(config=config()), 0)

    def run(state: ServerState, first: int) -> list[Any]:
        out = []
        for n in range(300):
            state, actions = handle(state, message(MessageType.DISCOVER, first + n % 5),
                                    now=T0 + n)
            out.append(actions)
            state, actions = expire(state, now=T0 + n + 0.5)
            out.append(actions)
        return out
    expected = [run(fork(base), 1), run(fork(base), 10)]
    got: dict[int, list[Any]] = {}
    threads = [threading.Thread(target=lambda i=i, f=f: got.__setitem__(i, run(f, 1 + 9 * i)))
               for i, f in enumerate((fork(base), fork(base)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [got[0], got[1]] == expected


# -- memory follows what is live ----------------------------------------------------------

def test_one_client_cycling_discover_and_offer_expiry_leaves_one_entry_per_free_address() -> None:
    # Issue 12 item 8: "one client doing 100,000 DISCOVER/offer-expiry cycles
    # on a 3-address pool leaves ~100,000 entries today"; the queue now holds
    # each free address at most once.
    cfg = config(subnets=(Subnet(network="192.0.2.0/24", pools=(("192.0.2.10", "192.0.2.12"),)),),
                 offer_time=1.0)
    state = ServerState(config=cfg)
    now = T0
    for _ in range(20_000):
        state, actions = handle(state, message(MessageType.DISCOVER, 0), now=now)
        now += 2.0
        state, actions = expire(state, now=now)
        assert actions  # the offer ran out
    sizes = state.sizes()
    assert sizes["subnets"][0]["free"] <= sizes["subnets"][0]["pool"] == 3
    assert sizes["records"] == 1 and sizes["timer_entries"] <= 2 * sizes["timers"] + 64


def test_timers_moved_earlier_again_and_again_leave_a_bounded_heap() -> None:
    # A bound lease released, offered again for a shorter time, and bound
    # again: each round moves its timer earlier, which leaves a stale entry.
    cfg = config(offer_time=5.0, default_lease_time=86400, max_lease_time=86400)
    state, address = bound(ServerState(config=cfg), 0)
    now = T0
    for _ in range(3000):
        now += 1.0
        state, _ = handle(state, message(MessageType.RELEASE, 0, ciaddr=address,
                                         server_identifier=SERVER), now=now)
        state, address = bound(state, 0, now=now)
    sizes = state.sizes()
    assert sizes["timers"] == 1 and sizes["timer_entries"] <= 2 * sizes["timers"] + 64


# -- the journaled structures -----------------------------------------------------------

@given(st.lists(st.one_of(st.none(), st.tuples(st.integers(0, 30), st.integers(0, 30)),
                         st.integers(-30, -1)), max_size=80))
def test_free_queue_pops_least_recently_freed_each_address_once_and_undoes_exactly(
        ops: list[tuple[int, int] | int | None]) -> None:
    queue = FreeQueue([(5.0, 7), (2.0, 3)])
    model = {7: 5.0, 3: 2.0}
    journal: list[Any] = []
    for op in ops:
        if op is None:  # allocation: the least recently freed address
            got = queue.pop(journal)
            first = min(((at, a) for a, at in model.items()), default=None)
            assert got == (None if first is None else first[1])
            if first is not None:
                del model[first[1]]
        elif isinstance(op, tuple):  # freed at a time, in or out of order
            at, address = op
            queue.push(journal, float(at), address)
            model[address] = float(at)
        else:  # taken by another path
            queue.remove(journal, -op)
            model.pop(-op, None)
        assert list(queue) == sorted((at, a) for a, at in model.items())
        assert len(queue) == len(model)
    rollback(journal)
    assert list(queue) == [(2.0, 3), (5.0, 7)] and journal == []
    assert queue.pop([]) == 3


@given(st.lists(st.tuples(st.integers(0, 20), st.floats(0, 100)), max_size=80), st.floats(0, 100))
def test_timers_fire_in_deadline_order_stay_bounded_and_undo_exactly(
        sets: list[tuple[int, float]], now: float) -> None:
    timers = Timers([(50.0, 1)])
    model = {1: 50.0}
    journal: list[Any] = []
    for address, at in sets:
        timers.set(journal, address, at)
        model[address] = min(at, model.get(address, math.inf))
    assert dict(timers.due) == model
    fired = []
    while (item := timers.pop(journal, now)) is not None:
        fired.append(item)
    assert fired == sorted((at, a) for a, at in model.items() if at <= now)
    rollback(journal)
    assert timers.heap == [(50.0, 1)] and timers.due == {1: 50.0}
