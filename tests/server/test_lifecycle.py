"""The lease life cycle as a table that the store and ``replay`` enforce (issue 10 item 3).

``LIFECYCLE`` maps (state before, lease action) to the state after; the only
writer of lease records refuses any other change -- inside ``handle`` as a
``StateError`` (a bug of the server), in ``replay`` as a ``DataError`` (a
journal that is not this server's) -- and the docs' diagram is drawn from
the same table.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address
from typing import Any

import pytest

from dhcpwire import ClientIdentifier, DataError, Message, MessageType, StateError
from dhcpwire import codes as c
from dhcpwire.server import (
    LIFECYCLE,
    LeaseAction,
    LeaseCommitted,
    LeaseDeclined,
    LeaseExpired,
    LeaseOffered,
    LeaseRecord,
    LeaseReleased,
    LeaseRenewed,
    LeaseState,
    ServerConfig,
    ServerState,
    Subnet,
    expire,
    handle,
    lifecycle_diagram,
    replay,
    snapshot,
)
from dhcpwire.server.leases import put

A = IPv4Address
SERVER = A("192.0.2.1")
T0 = 1000.0
ALL_ACTIONS = (LeaseOffered, LeaseCommitted, LeaseRenewed, LeaseReleased, LeaseDeclined,
               LeaseExpired)


def config() -> ServerConfig:
    return ServerConfig(
        server_identifier=SERVER,
        subnets=(Subnet(network="192.0.2.0/24", pools=(("192.0.2.10", "192.0.2.12"),)),),
        default_lease_time=100, min_lease_time=10, offer_time=10.0, decline_time=20.0)


def msg(kind: MessageType, i: int, **options: Any) -> Message:
    mac = bytes.fromhex(f"0200000000{i:02x}")
    opts: dict[int, Any] = {c.MESSAGE_TYPE: kind, c.CLIENT_IDENTIFIER: ClientIdentifier(1, mac)}
    ciaddr = options.pop("ciaddr", A(0))
    for name, value in options.items():
        opts[getattr(c, name.upper())] = value
    return Message(xid=i, chaddr=mac, ciaddr=ciaddr, options=opts)


def every_change() -> list[LeaseAction]:
    """A history that takes every row of the table at least once."""
    state = ServerState(config=config())
    log: list[LeaseAction] = []

    def step(message: Message, now: float) -> Any:
        nonlocal state
        state, actions = handle(state, message, now=now)
        log.extend(a for a in actions if isinstance(a, LeaseAction))
        return actions[-1] if actions else None

    def tick(now: float) -> None:
        nonlocal state
        state, actions = expire(state, now=now)
        log.extend(a for a in actions if isinstance(a, LeaseAction))

    # client 0: offered (new), offered again, bound, renewed, released
    offer = step(msg(MessageType.DISCOVER, 0), T0)
    step(msg(MessageType.DISCOVER, 0), T0 + 1)
    a0 = offer.message.yiaddr
    step(msg(MessageType.REQUEST, 0, server_identifier=SERVER, requested_ip_address=a0), T0 + 2)
    step(msg(MessageType.REQUEST, 0, ciaddr=a0), T0 + 3)
    step(msg(MessageType.RELEASE, 0, ciaddr=a0, server_identifier=SERVER), T0 + 4)
    # client 1: offered, declined while offered; client 2: bound, then declined
    a1 = step(msg(MessageType.DISCOVER, 1), T0 + 5).message.yiaddr
    step(msg(MessageType.DECLINE, 1, requested_ip_address=a1, server_identifier=SERVER), T0 + 6)
    a2 = step(msg(MessageType.DISCOVER, 2), T0 + 7).message.yiaddr
    step(msg(MessageType.REQUEST, 2, server_identifier=SERVER, requested_ip_address=a2), T0 + 8)
    step(msg(MessageType.DECLINE, 2, requested_ip_address=a2, server_identifier=SERVER), T0 + 9)
    # client 0 again: its released address offered, then released while offered
    step(msg(MessageType.DISCOVER, 0), T0 + 10)
    step(msg(MessageType.RELEASE, 0, ciaddr=a0, server_identifier=SERVER), T0 + 11)
    # client 0 rebinds the released address at once (a commit from RELEASED)
    step(msg(MessageType.REQUEST, 0, ciaddr=a0), T0 + 12)
    tick(T0 + 40)  # quarantines end (FREE); client 0's lease runs on
    # client 3 is offered a FREE address and lets it lapse; client 4 binds a FREE one
    a3 = step(msg(MessageType.DISCOVER, 3), T0 + 41).message.yiaddr
    tick(T0 + 60)  # offer expired
    step(msg(MessageType.REQUEST, 3, server_identifier=SERVER, requested_ip_address=a3), T0 + 61)
    step(msg(MessageType.DISCOVER, 4), T0 + 62)
    tick(T0 + 200)  # bound leases and client 4's offer expire
    step(msg(MessageType.DISCOVER, 4), T0 + 200)  # an EXPIRED address offered
    step(msg(MessageType.REQUEST, 0, server_identifier=SERVER, requested_ip_address=a0), T0 + 201)
    return log


def test_every_change_the_server_makes_is_a_row_of_the_table() -> None:
    log = every_change()
    before: dict[IPv4Address, LeaseState | None] = {}
    taken = set()
    for action in log:
        was = before.get(action.address)
        assert LIFECYCLE[(was, type(action))] is action.lease.state, (was, action)
        taken.add((was, type(action)))
        before[action.address] = action.lease.state
    # the history walks the table but for the rows only rapid commit, BOOTP and
    # reservations take (an address committed without an offer: from nothing or FREE)
    assert set(LIFECYCLE) - taken == {(None, LeaseCommitted),
                                      (LeaseState.FREE, LeaseCommitted)}


def test_the_table_has_every_state_and_every_action() -> None:
    assert {after for after in LIFECYCLE.values()} == set(LeaseState)
    assert {kind for _, kind in LIFECYCLE} == set(ALL_ACTIONS)
    # LeaseRenewed and LeaseReleased never start from an address never used
    assert (None, LeaseRenewed) not in LIFECYCLE and (None, LeaseReleased) not in LIFECYCLE


def record(state: LeaseState, address: str = "192.0.2.10") -> LeaseRecord:
    return LeaseRecord(address=A(address), client="id:0102", hardware_address=b"\x02" * 6,
                       state=state, expires=T0 + 50, lease_time=100)


@pytest.mark.parametrize("before", [None, *LeaseState])
@pytest.mark.parametrize("kind", ALL_ACTIONS)
@pytest.mark.parametrize("after", list(LeaseState))
def test_put_writes_a_change_the_table_allows_and_refuses_any_other(
        before: LeaseState | None, kind: type[LeaseAction], after: LeaseState) -> None:
    state = ServerState(config=config())
    d, plan = state._data, state.config._plan
    address = int(A("192.0.2.10"))
    if before is not None:
        d.leases[address] = record(before)
    journal: list[Any] = []
    if LIFECYCLE.get((before, kind)) is after:
        action = put(journal, d, plan, address, record(after), kind)
        assert type(action) is kind and d.leases[address].state is after
        return
    with pytest.raises(StateError, match="life cycle"):
        put(journal, d, plan, address, record(after), kind)
    assert journal == []  # nothing was written
    assert (d.leases.get(address) is None) if before is None else (
        d.leases[address].state is before)


def test_replay_refuses_an_illegal_change_with_a_data_error_and_applies_nothing() -> None:
    log = every_change()
    state = ServerState(config=config())
    state = replay(state, log[:3])
    before = snapshot(state)
    # a renewal of an address never bound, after two good actions
    bad = [log[3], log[4], LeaseRenewed(lease=record(LeaseState.BOUND, "192.0.2.12"))]
    with pytest.raises(DataError, match="lease action 2: LeaseRenewed"):
        replay(state, bad)
    assert state.current and snapshot(state) == before
    # the whole journal, in order, is fine; out of order, it is not
    assert snapshot(replay(ServerState(config=config()), log))["leases"]
    with pytest.raises(DataError):
        replay(ServerState(config=config()), log[::-1])


def test_the_diagram_draws_exactly_the_rows_of_the_table() -> None:
    dot = lifecycle_diagram()
    assert dot.startswith("digraph lease_lifecycle {") and dot.rstrip().endswith("}")
    edges = set()
    for src, dst, label in re.findall(r"^\s+(\w+) -> (\w+) \[label=\"([^\"]+)\"\];$", dot,
                                      re.MULTILINE):
        for kind in label.split("\\n"):
            edges.add((None if src == "unused" else LeaseState(src), kind, LeaseState(dst)))
    assert edges == {(before, kind.__name__, after)
                     for (before, kind), after in LIFECYCLE.items()}

