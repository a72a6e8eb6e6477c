"""The server's state and its pure functions: ``handle(state, message, *, now)``.

Rules of this module:

* **Pure core.** :func:`handle` (a received message), :func:`expire` (the
  clock) and :func:`replay` (lease actions) take a :class:`ServerState` and
  return a new one with the actions to carry out. No sockets, no clock, no
  hidden randomness: the same inputs give the same outputs, byte for byte.
* **States are values.** The state passed in is never observably changed:
  it still answers, snapshots and steps exactly as before. New states share
  structure with old ones (see :mod:`.store`), so a step costs O(1) or
  O(log n) in the size of the pool and the lease table, never a copy.
* **Peer noise is output, caller misuse is an exception.** Anything a peer
  sends gives actions, at worst a :class:`Discard` with the reason; calling
  with a wrong type or a time that is not a number raises
  :class:`~dhcpwire.StateError` and changes nothing.
* **Every lease change is an action**, made by one function alone, so feeding
  the lease actions to :func:`replay` rebuilds the state: a caller that
  persists them as they happen loses no lease on restart. Lease actions come
  before the reply they belong to (RFC 2131 section 3.1 step 4: the server
  "commits the binding for the client to persistent storage and responds").
* **Options are read as raw bytes** with their lengths checked, so whatever
  a lenient decode let through never reaches typed code.
* **Each rule is quoted above the code that implements it**; the section
  numbers are RFC 2131's unless another RFC is named.
"""

from __future__ import annotations

import heapq
import math
import random
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Any, Final

from ..wire.errors import DhcpwireDeprecationWarning, StateError
from ..wire.message import Message
from .config import ServerConfig
from .leases import (
    AVAILABLE,
    LEASE_ACTIONS,
    ON_EXPIRY,
    Action,
    Data,
    LeaseRecord,
    expire_due,
    put,
)
from .rules import answer
from .store import Version, begin, commit, new_queue
from .store import reroot as _reroot
from .store import rollback as _rollback

__all__ = ["Server", "ServerState", "expire", "handle", "next_deadline", "replay", "restore",
           "snapshot"]

_set = object.__setattr__


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ServerState:
    """The server's whole state: its configuration and every lease.

    ``ServerState(config=...)`` is a server with no leases. A state is a
    value: :func:`handle` and friends return new states and leave this one
    as it was. Compare states by their :func:`snapshot`. Versions of one
    state must not be used from two threads at once.
    """

    config: ServerConfig
    _version: Version = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.config, ServerConfig):
            raise TypeError("config must be a ServerConfig")
        _set(self, "_version", Data(self.config._plan).root)

    def _data(self) -> Data:
        _reroot(self._version)
        data = self._version.store
        assert isinstance(data, Data)
        return data

    def lease(self, address: IPv4Address | str) -> LeaseRecord | None:
        """The record of ``address``, or ``None`` if it was never used."""
        return self._data().leases.get(int(IPv4Address(address)))

    def leases(self) -> tuple[LeaseRecord, ...]:
        """Every lease record, in address order (O(n log n))."""
        leases = self._data().leases
        return tuple(leases[a] for a in sorted(leases))


def _state_at(config: ServerConfig, version: Version) -> ServerState:
    state = object.__new__(ServerState)
    _set(state, "config", config)
    _set(state, "_version", version)
    return state


# -- the entry points -----------------------------------------------------------------

def _check_state(state: object) -> ServerState:
    if not isinstance(state, ServerState):
        raise StateError(f"expected a ServerState, not {type(state).__name__}")
    return state


def _check_now(now: object) -> float:
    if isinstance(now, bool) or not isinstance(now, (int, float)) or math.isnan(now) \
            or math.isinf(now):
        raise StateError(f"now must be a finite number of seconds, not {now!r}")
    return float(now)


def handle(state: ServerState, message: Message, *, now: float,
           interface: str | None = None, source: IPv4Address | None = None,
           rng: random.Random | None = None) -> tuple[ServerState, tuple[Action, ...]]:
    """Answer ``message``, received at ``now``: the new state and what to do.

    ``interface`` names the interface it arrived on and ``source`` is the IP
    source address, where the caller knows them: they pick the subnet of a
    message that no relay forwarded. The server's decisions draw no
    randomness; ``rng`` is deprecated and ignored.

    The actions are lease actions (to persist, first), then a
    :class:`SendReply` or a :class:`Discard` saying why there is no reply.
    ``state`` itself is left as it was.
    """
    _check_state(state)
    if not isinstance(message, Message):
        raise StateError(f"expected a Message, not {type(message).__name__}")
    now = _check_now(now)
    if interface is not None and not isinstance(interface, str):
        raise StateError("interface must be a str or None")
    if source is not None and not isinstance(source, IPv4Address):
        raise StateError("source must be an IPv4Address or None")
    if rng is not None and not isinstance(rng, random.Random):
        raise StateError("rng must be a random.Random or None")
    if rng is not None:
        warnings.warn("server.handle(rng=...) is deprecated and ignored: the server draws "
                      "no randomness", DhcpwireDeprecationWarning, stacklevel=2)
    version = state._version
    journal = begin(version)
    data = version.store
    assert isinstance(data, Data)
    try:
        actions = answer(state.config._plan, data, journal, message, now, interface, source)
    except BaseException:
        _rollback(journal)
        raise
    new = commit(version, journal)
    return (state if new is version else _state_at(state.config, new)), tuple(actions)


def expire(state: ServerState, *, now: float) -> tuple[ServerState, tuple[Action, ...]]:
    """Run the clock to ``now``: offers, leases and quarantines that ended return to the pool.

    Section 4.3.1: the server "SHOULD mark an address offered to a client in
    a DHCPOFFER message as available if the server receives no DHCPREQUEST
    message from that client"; section 2.2: "the allocation mechanism will
    reuse addresses whose lease has expired". The actions are
    :class:`LeaseExpired`, in deadline order. An expired lease remembers its
    client, which gets the address back if it returns before another client
    takes it (section 4.3.1, bullet 2).
    """
    _check_state(state)
    now = _check_now(now)
    version = state._version
    j = begin(version)
    d = version.store
    assert isinstance(d, Data)
    try:
        out = expire_due(j, d, state.config._plan, now)
    except BaseException:
        _rollback(j)
        raise
    new = commit(version, j)
    return (state if new is version else _state_at(state.config, new)), tuple(out)


def next_deadline(state: ServerState) -> float | None:
    """When to call :func:`expire` next (``None``: nothing is pending).

    No lease changes before this time. Timers are lazy: a lease extended
    since its timer was set keeps the earlier timer, so ``expire`` at that
    time may only reschedule it and return no action.
    """
    heap = _check_state(state)._data().theap
    return heap[0][0] if heap else None


def replay(state: ServerState, actions: Iterable[object]) -> ServerState:
    """``state`` with the lease actions among ``actions`` applied, in order.

    Feeding a server's lease actions, as persisted, to ``replay`` on the
    state they started from (a restored snapshot, or an empty state) gives
    back that server's leases: a restart loses no lease. Other actions are
    skipped.
    """
    _check_state(state)
    version = state._version
    j = begin(version)
    d = version.store
    assert isinstance(d, Data)
    plan = state.config._plan
    try:
        for action in actions:
            if isinstance(action, LEASE_ACTIONS):
                lease = action.lease
                put(j, d, plan, int(lease.address), lease, type(action))
    except BaseException:
        _rollback(j)
        raise
    new = commit(version, j)
    return state if new is version else _state_at(state.config, new)


_FORMAT: Final = "dhcpwire-server-state"


def snapshot(state: ServerState) -> dict[str, Any]:
    """The state's leases as JSON-safe data (O(n log n)); :func:`restore` reads it back.

    ``leases`` lists every record in address order; ``clients`` maps each
    client key to the address of its current or latest lease (which of a
    client's several records it is cannot be told from the records alone).
    The configuration is not included: restore with the same one.
    """
    d = _check_state(state)._data()
    leases = d.leases
    return {"format": _FORMAT, "version": 1,
            "leases": [leases[a].to_json() for a in sorted(leases)],
            "clients": {k: str(IPv4Address(d.clients[k])) for k in sorted(d.clients)}}


def restore(config: ServerConfig, data: Mapping[str, Any]) -> ServerState:
    """The state a :func:`snapshot` was taken of, under ``config`` (O(n log n)).

    Raises ``ValueError`` for data that is not a snapshot. The restored
    state answers every message exactly as the original would.
    """
    if not isinstance(data, Mapping) or data.get("format") != _FORMAT \
            or data.get("version") != 1:
        raise ValueError("not a dhcpwire server snapshot (format/version)")
    state = ServerState(config=config)
    d = state._data()
    plan = config._plan
    leases = d.leases
    records = data.get("leases", [])
    if not isinstance(records, list):
        raise ValueError("leases must be a list of lease records")
    for item in records:
        lease = LeaseRecord.from_json(item)
        address = int(lease.address)
        if address in leases:
            raise ValueError(f"address {lease.address} appears twice")
        leases[address] = lease
    clients = data.get("clients", {})
    if not isinstance(clients, Mapping):
        raise ValueError("clients must map client keys to addresses")
    for key, text in clients.items():
        address = int(IPv4Address(text))
        if address not in leases or leases[address].client != key:
            raise ValueError(f"client {key} points at {text}, which is not its lease")
        d.clients[key] = address
    # The derived structures, built directly: no earlier version exists to keep.
    free: list[list[tuple[float, int]]] = [[] for _ in plan.subnets]
    for address, lease in leases.items():
        if lease.state in ON_EXPIRY and lease.expires != math.inf:
            d.timers[address] = lease.expires
            d.theap.append((lease.expires, address))
        elif lease.state in AVAILABLE:
            sp = plan.dynamic(address)
            if sp is not None and address not in plan.reserved:
                free[sp.index].append((lease.expires, address))
    heapq.heapify(d.theap)
    d.free = [new_queue(items) for items in free]
    for sp in plan.subnets:
        fresh, after = sp.next_fresh((0, 0), leases)
        d.cursors[sp.index] = after if fresh is None else (after[0], fresh)
    return state


# -- the convenience class ----------------------------------------------------------------

class Server:
    """A server holding its state; a thin shell over :func:`handle` and :func:`expire`,
    as :class:`dhcpwire.client.Client` is over :func:`dhcpwire.client.step`.

    >>> from ipaddress import IPv4Address
    >>> from dhcpwire import Message, MessageType, MESSAGE_TYPE
    >>> from dhcpwire.server import Server, ServerConfig, Subnet
    >>> server = Server(ServerConfig(
    ...     server_identifier="192.0.2.1",
    ...     subnets=[Subnet(network="192.0.2.0/24", pools=[("192.0.2.10", "192.0.2.20")])]))
    >>> discover = Message(xid=1, chaddr=bytes.fromhex("02005e100001"),
    ...                    options={MESSAGE_TYPE: MessageType.DISCOVER})
    >>> [type(a).__name__ for a in server.handle(discover, now=0.0)]
    ['LeaseOffered', 'Send']
    """

    def __init__(self, config: ServerConfig | None = None, *,
                 state: ServerState | None = None) -> None:
        if state is None:
            if config is None:
                raise TypeError("Server needs a config or a state")
            state = ServerState(config=config)
        self._state = state

    @property
    def state(self) -> ServerState:
        return self._state

    def handle(self, message: Message, *, now: float, interface: str | None = None,
               source: IPv4Address | None = None) -> tuple[Action, ...]:
        """Answer ``message``; the state is kept only when the call succeeds."""
        self._state, actions = handle(self._state, message, now=now, interface=interface,
                                      source=source)
        return actions

    def expire(self, *, now: float) -> tuple[Action, ...]:
        """Run the clock to ``now`` (see :func:`expire`)."""
        self._state, actions = expire(self._state, now=now)
        return actions

    def next_deadline(self) -> float | None:
        return next_deadline(self._state)

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self._state)
