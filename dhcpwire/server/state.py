"""The server's state and its pure functions: ``handle(state, message, *, now)``.

Rules of this module:

* **Pure core.** :func:`handle` (a received message), :func:`expire` (the
  clock), :func:`forcerenew` (the administrator) and :func:`replay` (lease
  actions) take a :class:`ServerState` and return the state to use next
  with the actions to carry out. No sockets, no clock, no hidden
  randomness: the same inputs give the same outputs, byte for byte.
* **Versions are linear.** A state that a call has replaced is superseded:
  using it again -- to step, to read or to snapshot -- raises
  :class:`~dhcpwire.StateError` and changes nothing. Reading never changes
  anything, and a server holds exactly what is live. :func:`fork` copies a
  state (O(n)) for a caller that wants to branch. Why linear and not
  persistent: see ``docs/server.rst``, "Versions of a state".
* **Peer noise is output, caller misuse is an exception.** Anything a peer
  sends gives actions, at worst a :class:`Discard` with the reason. An
  argument of the wrong type raises ``TypeError``; misuse of the machine
  (a superseded state, a ``now`` that is not a time this server can hold,
  time going backwards) raises :class:`~dhcpwire.StateError`; bad external
  data (a snapshot, a journal) raises :class:`~dhcpwire.DataError`. Each
  changes nothing.
* **Every lease change is an action**, made by one function alone and
  allowed by the life-cycle table (:data:`~.leases.LIFECYCLE`), so feeding
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

import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Any, Final

from ..wire.errors import DataError, StateError
from ..wire.message import Message
from .config import ServerConfig
from .facts import MAX_NOW
from .leases import (
    AVAILABLE,
    BOUND,
    LEASE_ACTIONS,
    ON_EXPIRY,
    Action,
    Data,
    LeaseRecord,
    expire_due,
    put,
)
from .replies import forcerenew_message
from .rules import answer
from .store import FreeQueue, Journal, Timers, rollback

__all__ = ["MAX_NOW", "Server", "ServerState", "expire", "forcerenew", "fork", "handle",
           "next_deadline", "replay", "restore", "snapshot"]

_set = object.__setattr__


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ServerState:
    """The server's whole state: its configuration and every lease.

    ``ServerState(config=...)`` is a server with no leases. Each call
    returns the state to use next; the state it was given is then
    superseded (unless it is the one returned), and using it raises
    :class:`~dhcpwire.StateError`. :func:`fork` makes an independent copy.
    Compare states by their :func:`snapshot`.
    """

    config: ServerConfig
    _data: Data = field(init=False, repr=False)
    _gen: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.config, ServerConfig):
            raise TypeError(f"config must be a ServerConfig, not {type(self.config).__name__}")
        _set(self, "_data", Data(self.config._plan))
        _set(self, "_gen", 0)

    @property
    def current(self) -> bool:
        """Whether this state may still be used (no later call has replaced it)."""
        return self._data.gen == self._gen

    @property
    def now(self) -> float:
        """The latest ``now`` this server was given (0.0 at first): no call may go earlier."""
        d = _open(self)
        try:
            return d.now
        finally:
            d.lock.release()

    def lease(self, address: IPv4Address | str) -> LeaseRecord | None:
        """The record of ``address``, or ``None`` if it was never used."""
        key = int(IPv4Address(address))
        d = _open(self)
        try:
            return d.leases.get(key)
        finally:
            d.lock.release()

    def leases(self) -> tuple[LeaseRecord, ...]:
        """Every lease record, in address order (O(n log n))."""
        d = _open(self)
        try:
            leases = d.leases
            return tuple(leases[a] for a in sorted(leases))
        finally:
            d.lock.release()

    def sizes(self) -> dict[str, Any]:
        """How big the state's structures are (O(subnets)): for metrics, and to check
        that memory follows what is live.

        ``records`` (lease records, one per address ever used), ``clients``
        (the client index), ``timers`` (addresses with a live expiry timer)
        and ``timer_entries`` (heap entries, stale ones included: at most
        ``2 * timers + 64``), and per subnet, in configuration order,
        ``pool`` (dynamic addresses) and ``free`` (addresses given back and
        queued for reuse: never more than ``pool``).
        """
        d = _open(self)
        try:
            plan = self.config._plan
            return {"records": len(d.leases), "clients": len(d.clients),
                    "timers": len(d.timers), "timer_entries": len(d.timers.heap),
                    "subnets": [{"network": str(sp.subnet.network), "pool": sp.size,
                                 "free": len(d.free[sp.index])} for sp in plan.subnets]}
        finally:
            d.lock.release()


def _state_at(config: ServerConfig, d: Data) -> ServerState:
    state = object.__new__(ServerState)
    _set(state, "config", config)
    _set(state, "_data", d)
    _set(state, "_gen", d.gen)
    return state


# -- the guards: every entry point opens the state through them ------------------------

def _open(state: object) -> Data:
    """The data of ``state``, locked for this call; StateError if superseded or busy."""
    if not isinstance(state, ServerState):
        raise TypeError(f"expected a ServerState, not {type(state).__name__}")
    d = state._data
    if not d.lock.acquire(blocking=False):
        raise StateError(_BUSY)
    if d.gen != state._gen:
        d.lock.release()
        raise StateError(_SUPERSEDED)
    return d


_BUSY: Final = ("this server state is in use by another call (another thread?): use one "
                "state from one thread at a time, or fork() it")
_SUPERSEDED: Final = ("this server state was superseded by a later call: use the state that "
                      "call returned (states are linear; fork() to branch)")


def _check_now(now: object, latest: float) -> float:
    """``now`` as a float: TypeError for a non-number, StateError for a time it cannot use."""
    if isinstance(now, bool) or not isinstance(now, (int, float)):
        raise TypeError(f"now must be a number of seconds, not {type(now).__name__}")
    # NaN fails both comparisons; an int too large for a float is compared exactly.
    if not 0 <= now <= MAX_NOW:
        raise StateError(f"now must be a finite number of seconds from 0 to 2**44, "
                         f"not {now!r}")
    value = float(now)
    if value < latest:
        raise StateError(f"time went backwards: now={value!r} after now={latest!r}")
    return value


def _step(state: ServerState, now: float, work: Callable[..., list[Action]],
          *args: Any) -> tuple[ServerState, tuple[Action, ...]]:
    """One call that may change the state: ``work(plan, data, journal, now, *args)``
    on the current version at ``now``, undone exactly if it raises.

    (:func:`_open` and :func:`_check_now` written out: this is every message's path.)
    """
    if not isinstance(state, ServerState):
        raise TypeError(f"expected a ServerState, not {type(state).__name__}")
    d = state._data
    if not d.lock.acquire(blocking=False):
        raise StateError(_BUSY)
    try:
        if d.gen != state._gen:
            raise StateError(_SUPERSEDED)
        if type(now) is not float or not d.now <= now <= MAX_NOW:
            now = _check_now(now, d.now)
        j: Journal = []
        try:
            actions = work(state.config._plan, d, j, now, *args)
        except BaseException:
            rollback(j)
            raise
        d.now = now
        if j:
            state = _advance(state, d)
    finally:
        d.lock.release()
    return state, tuple(actions)


def _advance(state: ServerState, d: Data) -> ServerState:
    """The new version after a call that wrote to ``d``; ``state`` is superseded."""
    timers = d.timers
    if len(timers.heap) > 2 * len(timers.due) + timers.SLACK:
        timers.compact()  # between steps: this one is done and needs no undo
    d.gen += 1
    return _state_at(state.config, d)


# -- the entry points -----------------------------------------------------------------

def handle(state: ServerState, message: Message, *, now: float,
           interface: str | None = None, source: IPv4Address | None = None,
           source_port: int | None = None,
           rng: random.Random | None = None) -> tuple[ServerState, tuple[Action, ...]]:
    """Answer ``message``, received at ``now``: the state to use next and what to do.

    ``interface`` names the interface it arrived on, ``source`` and
    ``source_port`` are its IP source address and UDP source port, where
    the caller knows them: the interface and address pick the subnet of a
    message that no relay forwarded, and a relay that says it sends from
    another port than 67 (RFC 8357) is answered on that port. ``rng``
    draws the RFC 6704 Forcerenew nonces and is needed only when
    ``config.forcerenew_nonce`` is on (pass a :class:`random.SystemRandom`:
    the RFC asks for "a cryptographically strong random or pseudo-random
    number"); the server draws nothing else.

    The actions are lease actions (to persist, first), then a :class:`Send`
    or a :class:`Discard` saying why there is no reply.
    """
    if not isinstance(message, Message):
        raise TypeError(f"expected a Message, not {type(message).__name__}")
    if interface is not None and not isinstance(interface, str):
        raise TypeError("interface must be a str or None")
    if source is not None and not isinstance(source, IPv4Address):
        raise TypeError("source must be an IPv4Address or None")
    if source_port is not None and (isinstance(source_port, bool)
                                    or not isinstance(source_port, int)):
        raise TypeError("source_port must be an int or None")
    if source_port is not None and not 0 < source_port <= 0xFFFF:
        raise StateError(f"source_port must be a UDP port (1-65535), not {source_port}")
    if rng is not None and not isinstance(rng, random.Random):
        raise TypeError("rng must be a random.Random or None")
    if not isinstance(state, ServerState):
        raise TypeError(f"expected a ServerState, not {type(state).__name__}")
    if rng is None and state.config.forcerenew_nonce:
        raise StateError("config.forcerenew_nonce is on: handle() needs an rng to draw "
                         "RFC 6704 nonces from (random.SystemRandom())")
    return _step(state, now, answer, message, interface, source, source_port, rng)


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
    return _step(state, now, expire_due)


def forcerenew(state: ServerState, address: IPv4Address | str, *, now: float,
               allow_unauthenticated: bool = False,
               ) -> tuple[ServerState, tuple[Action, ...]]:
    """The DHCPFORCERENEW to unicast to the client of the bound lease at ``address``.

    RFC 3203 section 2.2: "The DHCP server sends a unicast FORCERENEW
    message to the client. Upon receipt of the unicast FORCERENEW message,
    the client will change its state to the RENEW state". The action is one
    :class:`Send` to the client's address, port 68; the lease is not
    changed (the client's DHCPREQUEST renews it, or is NAKed to move it).

    RFC 3203 section 6: "the FORCERENEW message MUST be authenticated". The
    message is signed with the lease's RFC 6704 nonce (sent to the client in
    its DHCPACK, see ``ServerConfig.forcerenew_nonce``). A lease without a
    nonce raises :class:`~dhcpwire.StateError` unless
    ``allow_unauthenticated`` is set, which sends the message unsigned (for
    clients that accept that; a deviation from the RFC's MUST). So does an
    address without a current bound lease. Retransmitting when no
    DHCPREQUEST follows (RFC 3203: "using an exponential backoff
    algorithm") is the caller's.
    """
    key = int(IPv4Address(address)) if isinstance(address, (IPv4Address, str)) else None
    if key is None:
        raise TypeError(f"address must be an IPv4Address or str, not {type(address).__name__}")
    d = _open(state)
    try:
        now = _check_now(now, d.now)
        lease = d.leases.get(key)
        if lease is None or lease.state is not BOUND or lease.expires <= now:
            raise StateError(f"{IPv4Address(key)} has no bound lease to force a renewal of")
        if lease.nonce is None and not allow_unauthenticated:
            raise StateError(
                f"the client of {lease.address} did not negotiate an RFC 6704 nonce, and "
                "RFC 3203 section 6 requires FORCERENEW to be authenticated "
                "(allow_unauthenticated=True sends it unsigned)")
        send = forcerenew_message(state.config._plan, lease, now)
        d.now = now
    finally:
        d.lock.release()
    return state, (send,)


def next_deadline(state: ServerState) -> float | None:
    """When to call :func:`expire` next (``None``: nothing is pending).

    No lease changes before this time. Timers are lazy: a lease extended
    since its timer was set keeps the earlier timer, so ``expire`` at that
    time may only reschedule it and return no action.
    """
    d = _open(state)
    try:
        return d.timers.first()
    finally:
        d.lock.release()


def fork(state: ServerState) -> ServerState:
    """An independent copy of ``state`` (O(n)): both may be stepped from here on."""
    d = _open(state)
    try:
        copy = d.copy(state.config._plan)
    finally:
        d.lock.release()
    return _state_at(state.config, copy)


def replay(state: ServerState, actions: Iterable[object]) -> ServerState:
    """``state`` with the lease actions among ``actions`` applied, in order.

    Feeding a server's lease actions, as persisted, to ``replay`` on the
    state they started from (a restored snapshot, or an empty state) gives
    back that server's leases: a restart loses no lease. Other actions are
    skipped. An action that the life cycle does not allow from the record
    it finds (:data:`~.leases.LIFECYCLE`: a journal that is not this
    server's, or out of order) raises :class:`~dhcpwire.DataError` naming
    it, and nothing is applied.
    """
    d = _open(state)
    try:
        plan = state.config._plan
        j: Journal = []
        n = 0
        try:
            for n, action in enumerate(actions):  # noqa: B007 - reported below
                if isinstance(action, LEASE_ACTIONS):
                    lease = action.lease
                    put(j, d, plan, int(lease.address), lease, type(action), DataError)
        except DataError as exc:
            rollback(j)
            raise DataError(f"lease action {n}: {exc}") from None
        except BaseException:
            rollback(j)
            raise
        new = _advance(state, d) if j else state
    finally:
        d.lock.release()
    return new


_FORMAT: Final = "dhcpwire-server-state"


def snapshot(state: ServerState) -> dict[str, Any]:
    """The state's leases as JSON-safe data (O(n log n)); :func:`restore` reads it back.

    ``leases`` lists every record in address order; ``clients`` maps each
    client key to the address of its current or latest lease (which of a
    client's several records it is cannot be told from the records alone).
    The configuration is not included: restore with the same one.
    """
    d = _open(state)
    try:
        leases = d.leases
        return {"format": _FORMAT, "version": 1,
                "leases": [leases[a].to_json() for a in sorted(leases)],
                "clients": {k: str(IPv4Address(d.clients[k])) for k in sorted(d.clients)}}
    finally:
        d.lock.release()


def restore(config: ServerConfig, data: Mapping[str, Any]) -> ServerState:
    """The state a :func:`snapshot` was taken of, under ``config`` (O(n log n)).

    Raises :class:`~dhcpwire.DataError` for data that is not a snapshot.
    The restored state answers every message exactly as the original would.
    """
    if not isinstance(config, ServerConfig):
        raise TypeError(f"config must be a ServerConfig, not {type(config).__name__}")
    if not isinstance(data, Mapping) or data.get("format") != _FORMAT \
            or data.get("version") != 1:
        raise DataError("not a dhcpwire server snapshot (format/version)")
    state = ServerState(config=config)
    d = state._data
    plan = config._plan
    leases = d.leases
    records = data.get("leases", [])
    if not isinstance(records, list):
        raise DataError("leases must be a list of lease records")
    for item in records:
        lease = LeaseRecord.from_json(item)
        address = int(lease.address)
        if address in leases:
            raise DataError(f"address {lease.address} appears twice")
        leases[address] = lease
    clients = data.get("clients", {})
    if not isinstance(clients, Mapping):
        raise DataError("clients must map client keys to addresses")
    for key, text in clients.items():
        try:
            address = int(IPv4Address(text))
        except ValueError:
            raise DataError(f"client {key}: {text!r} is not an address") from None
        if address not in leases or leases[address].client != key:
            raise DataError(f"client {key} points at {text}, which is not its lease")
        d.clients[key] = address
    # The derived structures, built directly from the records.
    free: list[list[tuple[float, int]]] = [[] for _ in plan.subnets]
    timers: list[tuple[float, int]] = []
    for address, lease in leases.items():
        if lease.state in ON_EXPIRY and lease.expires != math.inf:
            timers.append((lease.expires, address))
        elif lease.state in AVAILABLE:
            sp = plan.dynamic(address)
            if sp is not None and address not in plan.reserved:
                free[sp.index].append((lease.expires, address))
    d.timers = Timers(timers)
    d.free = [FreeQueue(items) for items in free]
    for sp in plan.subnets:
        fresh, after = sp.next_fresh((0, 0), leases)
        d.cursors[sp.index] = after if fresh is None else (after[0], fresh)
    return state


# -- the convenience class ----------------------------------------------------------------

class Server:
    """A server holding its state; a thin shell over :func:`handle` and :func:`expire`,
    as :class:`dhcpwire.client.Client` is over :func:`dhcpwire.client.step`.

    ``rng`` draws RFC 6704 nonces (``config.forcerenew_nonce``); it defaults
    to :class:`random.SystemRandom`.

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
                 state: ServerState | None = None, rng: random.Random | None = None) -> None:
        if state is None:
            if config is None:
                raise TypeError("Server needs a config or a state")
            state = ServerState(config=config)
        self._state = state
        self._rng = rng if rng is not None else random.SystemRandom()

    @property
    def state(self) -> ServerState:
        return self._state

    def handle(self, message: Message, *, now: float, interface: str | None = None,
               source: IPv4Address | None = None,
               source_port: int | None = None) -> tuple[Action, ...]:
        """Answer ``message``; the state is kept only when the call succeeds."""
        self._state, actions = handle(self._state, message, now=now, interface=interface,
                                      source=source, source_port=source_port, rng=self._rng)
        return actions

    def expire(self, *, now: float) -> tuple[Action, ...]:
        """Run the clock to ``now`` (see :func:`expire`)."""
        self._state, actions = expire(self._state, now=now)
        return actions

    def forcerenew(self, address: IPv4Address | str, *, now: float,
                   allow_unauthenticated: bool = False) -> tuple[Action, ...]:
        """The FORCERENEW for the client of ``address`` (see :func:`forcerenew`)."""
        self._state, actions = forcerenew(self._state, address, now=now,
                                          allow_unauthenticated=allow_unauthenticated)
        return actions

    def next_deadline(self) -> float | None:
        return next_deadline(self._state)

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self._state)

