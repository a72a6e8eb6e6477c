"""The server's data: lease records, the actions that report their changes, and their life cycle.

Rules of this module:

* One :class:`LeaseRecord` per address ever used; a record is replaced,
  never removed, so the addresses a pool has handed out are exactly the
  keys of ``leases`` (the fresh-address cursor relies on it).
* A record changes only as :data:`LIFECYCLE` allows: the table of
  ``(state before, lease action) -> state after`` is the one statement of
  the life cycle. :func:`put`, the only writer of records, refuses any
  other change (inside ``handle`` that is a bug: ``StateError``; in
  ``replay`` it is bad persisted data: ``DataError``), and the docs draw
  the life cycle from the table (:func:`lifecycle_diagram`).
* :func:`put` keeps the client index, the expiry timers and the free-address
  queues in step, and returns the :class:`LeaseAction` that reports the
  change: replaying those actions through :func:`put` rebuilds the same data.
* Every write goes through a journal (:mod:`.store`), so a step that raises
  is undone exactly.
"""

from __future__ import annotations

import enum
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any, Final

from ..protocol.actions import Discard, Send
from ..wire.constants import INFINITE
from ..wire.errors import DataError, DhcpwireError, StateError
from .config import Plan
from .store import MISSING, FreeQueue, Journal, Timers

__all__ = [
    "AVAILABLE",
    "BOUND",
    "DECLINED",
    "EXPIRED",
    "FREE",
    "HELD",
    "LEASE_ACTIONS",
    "LIFECYCLE",
    "OFFERED",
    "ON_EXPIRY",
    "RELEASED",
    "Action",
    "Data",
    "Discard",
    "LeaseAction",
    "LeaseCommitted",
    "LeaseDeclined",
    "LeaseExpired",
    "LeaseOffered",
    "LeaseRecord",
    "LeaseReleased",
    "LeaseRenewed",
    "LeaseState",
    "Send",
    "expire_due",
    "lifecycle_diagram",
    "put",
]


class LeaseState(str, enum.Enum):
    """Where an address stands (RFC 2131 section 4.3: "the current state of the binding")."""

    #: held for a client that was sent a DHCPOFFER, until ``expires``.
    OFFERED = "offered"
    #: committed to a client (DHCPACK sent), until ``expires``.
    BOUND = "bound"
    #: free again; the client let it go at ``expires`` and is remembered.
    RELEASED = "released"
    #: free again; the lease or offer ran out at ``expires``; the client is remembered.
    EXPIRED = "expired"
    #: reported in use by a DHCPDECLINE; out of use until ``expires``.
    DECLINED = "declined"
    #: free again after a decline's quarantine, remembered for no client.
    FREE = "free"


OFFERED, BOUND, RELEASED, EXPIRED, DECLINED, FREE = LeaseState
#: States in which the address belongs to its client.
HELD: Final = frozenset({OFFERED, BOUND})
#: States in which the address can be given out again.
AVAILABLE: Final = frozenset({RELEASED, EXPIRED, FREE})

#: RFC 6704 section 3.1.3: "The Forcerenew nonce is 128 bits long".
NONCE_SIZE: Final = 16


def _data_error(what: str, data: object, why: str) -> DataError:
    return DataError(f"not a {what}: {data!r} ({why})")


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseRecord:
    """One address and what it is doing: the server's record, one per address ever used.

    ``client`` is the client key (:func:`client_key`); ``expires`` is on the
    caller's clock: the end of the offer, lease or quarantine for OFFERED,
    BOUND and DECLINED, the moment the address became free for the others
    (``math.inf`` for an infinite lease). ``lease_time`` is the duration
    granted or offered, in seconds (``INFINITE`` = 0xffffffff). ``nonce`` is
    the RFC 6704 Forcerenew nonce sent to the client of a BOUND lease, which
    authenticates a later FORCERENEW (see :func:`forcerenew`).
    """

    address: IPv4Address
    client: str
    hardware_address: bytes
    state: LeaseState
    expires: float
    lease_time: int
    nonce: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-safe data (infinity is ``null``; ``nonce`` only when there is one)."""
        out: dict[str, Any] = {
            "address": str(self.address), "client": self.client,
            "hardware_address": self.hardware_address.hex(), "state": self.state.value,
            "expires": None if self.expires == math.inf else self.expires,
            "lease_time": self.lease_time}
        if self.nonce is not None:
            out["nonce"] = self.nonce.hex()
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LeaseRecord:
        """The inverse of :meth:`to_json`; :class:`~dhcpwire.DataError` for anything else."""
        if not isinstance(data, Mapping):
            raise _data_error("lease record", data, "not a mapping")
        try:
            expires = data["expires"]
            client = data["client"]
            lease_time = data["lease_time"]
            nonce = data.get("nonce")
            if not isinstance(client, str):
                raise TypeError("client must be a string")
            if expires is not None and (isinstance(expires, bool)
                                        or not isinstance(expires, (int, float))):
                raise TypeError("expires must be a number or null")
            if isinstance(lease_time, bool) or not isinstance(lease_time, int):
                raise TypeError("lease_time must be an integer")
            lease = cls(address=IPv4Address(data["address"]), client=client,
                        hardware_address=bytes.fromhex(data["hardware_address"]),
                        state=LeaseState(data["state"]),
                        expires=math.inf if expires is None else float(expires),
                        lease_time=lease_time,
                        nonce=None if nonce is None else bytes.fromhex(nonce))
        except (KeyError, TypeError, ValueError, DhcpwireError) as exc:
            raise _data_error("lease record", data, str(exc)) from None
        if math.isnan(lease.expires) or not 0 <= lease.lease_time <= INFINITE:
            raise _data_error("lease record", data, "expires or lease_time out of range")
        if lease.nonce is not None and len(lease.nonce) != NONCE_SIZE:
            raise _data_error("lease record", data, "a nonce is 16 octets (RFC 6704)")
        return lease


_new = object.__new__
_RECORD_SLOTS: Final = tuple(
    LeaseRecord.__dict__[name].__set__
    for name in ("address", "client", "hardware_address", "state", "expires", "lease_time",
                 "nonce"))


def lease_record(address: IPv4Address, client: str, hardware_address: bytes,
                 state: LeaseState, expires: float, lease_time: int,
                 nonce: bytes | None) -> LeaseRecord:
    """``LeaseRecord(address=..., ...)`` with every field given, for the per-message
    path (package-internal): the slots written directly, ~0.5 us instead of the
    frozen dataclass ``__init__``'s ~1.1 us. Equal to the keyword construction
    (a test compares them)."""
    r = _new(LeaseRecord)
    a_, c_, hw_, st_, ex_, lt_, n_ = _RECORD_SLOTS
    a_(r, address)
    c_(r, client)
    hw_(r, hardware_address)
    st_(r, state)
    ex_(r, expires)
    lt_(r, lease_time)
    n_(r, nonce)
    return r


# -- actions --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseAction:
    """A lease changed: ``lease`` is its new record. Persist it; :func:`replay` reads it back."""

    lease: LeaseRecord

    @property
    def address(self) -> IPv4Address:
        return self.lease.address

    @property
    def client(self) -> str:
        return self.lease.client

    @property
    def expires(self) -> float:
        return self.lease.expires

    def to_json(self) -> dict[str, Any]:
        """JSON-safe data: ``{"action": "committed", "lease": {...}}``."""
        return {"action": _ACTION_NAMES[type(self)], "lease": self.lease.to_json()}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> LeaseAction:
        """The action :meth:`to_json` gave; :class:`~dhcpwire.DataError` for anything else."""
        try:
            kind = _ACTIONS[data["action"]]
            lease = data["lease"]
        except (KeyError, TypeError):
            raise _data_error("lease action", data, "needs 'action' and 'lease'") from None
        return kind(lease=LeaseRecord.from_json(lease))


_ACTION_SLOT: Final = LeaseAction.__dict__["lease"].__set__


def lease_action(kind: type[LeaseAction], lease: LeaseRecord) -> LeaseAction:
    """``kind(lease=lease)`` for the per-message path (package-internal): the one
    slot, which every action class inherits from :class:`LeaseAction`, written
    directly."""
    action = _new(kind)
    _ACTION_SLOT(action, lease)
    return action


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseOffered(LeaseAction):
    """An address is held for a client that was sent a DHCPOFFER."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseCommitted(LeaseAction):
    """A client was given a lease (a DHCPACK, or a BOOTP reply)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseRenewed(LeaseAction):
    """A bound client's lease was extended."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseReleased(LeaseAction):
    """A client released its address (DHCPRELEASE)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseDeclined(LeaseAction):
    """A client reported its address in use (DHCPDECLINE): quarantined until ``expires``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseExpired(LeaseAction):
    """An offer, lease or quarantine ran out, or an offer was turned down: the address is free."""


#: Every output of the server's functions.
Action = Send | LeaseAction | Discard
_ACTION_NAMES: Final[dict[type[LeaseAction], str]] = {
    LeaseOffered: "offered", LeaseCommitted: "committed", LeaseRenewed: "renewed",
    LeaseReleased: "released", LeaseDeclined: "declined", LeaseExpired: "expired"}
_ACTIONS: Final = {name: kind for kind, name in _ACTION_NAMES.items()}
#: The lease actions that point the client index at their address (see :func:`put`).
INDEXED: Final = frozenset({LeaseOffered, LeaseCommitted, LeaseRenewed})
LEASE_ACTIONS: Final = (LeaseOffered, LeaseCommitted, LeaseRenewed, LeaseReleased,
                         LeaseDeclined, LeaseExpired)


# -- the life cycle -------------------------------------------------------------------

#: The lease life cycle, the one table of it: (state before -- ``None`` for an
#: address never used -- and the action) -> the state after. Any other change
#: is refused by :func:`put`. The rows, with the rules they carry out:
LIFECYCLE: Final[Mapping[tuple[LeaseState | None, type[LeaseAction]], LeaseState]] = {
    # Section 4.3.1: an OFFER holds a new address, one given back, or the
    # client's own offer again ("The server may choose to record the address
    # as offered to the client").
    (None, LeaseOffered): OFFERED,
    (OFFERED, LeaseOffered): OFFERED,
    (RELEASED, LeaseOffered): OFFERED,
    (EXPIRED, LeaseOffered): OFFERED,
    (FREE, LeaseOffered): OFFERED,
    # Section 3.1 step 4: the server "commits the binding for the client"
    # (an offer taken, a reservation or free address confirmed, rapid commit
    # and BOOTP without an offer).
    (None, LeaseCommitted): BOUND,
    (OFFERED, LeaseCommitted): BOUND,
    (RELEASED, LeaseCommitted): BOUND,
    (EXPIRED, LeaseCommitted): BOUND,
    (FREE, LeaseCommitted): BOUND,
    # Section 4.3.2, RENEWING/REBINDING: a bound lease extended.
    (BOUND, LeaseRenewed): BOUND,
    # Section 4.3.4: the client gives back what it holds.
    (OFFERED, LeaseReleased): RELEASED,
    (BOUND, LeaseReleased): RELEASED,
    # Section 4.3.3: "The server MUST mark the network address as not available".
    (OFFERED, LeaseDeclined): DECLINED,
    (BOUND, LeaseDeclined): DECLINED,
    # Section 4.3.1 ("mark an address offered ... as available" when no
    # DHCPREQUEST comes) and section 2.2 (expired leases are reused); a
    # quarantine that ends frees the address for everyone.
    (OFFERED, LeaseExpired): EXPIRED,
    (BOUND, LeaseExpired): EXPIRED,
    (DECLINED, LeaseExpired): FREE,
}
#: What a state becomes when its time runs out (the rows of LeaseExpired).
ON_EXPIRY: Final = {before: after for (before, kind), after in LIFECYCLE.items()
                    if kind is LeaseExpired and before is not None}


def lifecycle_diagram() -> str:
    """The lease life cycle as Graphviz DOT text, drawn from :data:`LIFECYCLE`.

    >>> print(lifecycle_diagram().splitlines()[0])
    digraph lease_lifecycle {
    """
    edges: dict[tuple[str, str], list[str]] = {}
    for (before, kind), after in LIFECYCLE.items():
        src = "unused" if before is None else before.value
        edges.setdefault((src, after.value), []).append(kind.__name__)
    lines = ["digraph lease_lifecycle {", "  rankdir=LR;",
             '  node [shape=box, style=rounded, fontname="sans-serif"];',
             '  edge [fontname="sans-serif", fontsize=10];',
             '  unused [label="(never used)", shape=plaintext];']
    for state in LeaseState:
        lines.append(f'  {state.value} [label="{state.name}"];')
    for (src, dst), kinds in edges.items():
        label = "\\n".join(kinds)
        lines.append(f'  {src} -> {dst} [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- the state ----------------------------------------------------------------------

class Data:
    """The containers of one server's state, changed in place by the step that owns them.

    * ``leases``: address (int) -> :class:`LeaseRecord`; an address, once used, is never removed.
    * ``clients``: client key -> the address of its current or latest lease
      (always a lease of that client).
    * ``timers``: at most one live expiry timer per address, set for every
      OFFERED, BOUND (finite) or DECLINED record (:class:`~.store.Timers`).
      Timers are lazy: an extended lease keeps its earlier timer, which
      reschedules it when it comes up.
    * ``free``: per subnet, the dynamic addresses that are free again, each
      once, least recently freed (``expires``) first (:class:`~.store.FreeQueue`).
    * ``cursors``: per subnet, (range index, address) of the next address
      never handed out.
    * ``gen``: the generation of the current version (see :mod:`.state`);
      ``now``: the latest time a call brought; ``lock``: held by the call
      using the data, so that a concurrent call fails instead of corrupting it.
    """

    __slots__ = ("clients", "cursors", "free", "gen", "leases", "lock", "now", "timers")

    def __init__(self, plan: Plan) -> None:
        self.leases: dict[int, LeaseRecord] = {}
        self.clients: dict[str, int] = {}
        self.timers: Timers = Timers()
        self.free: list[FreeQueue] = [FreeQueue() for _ in plan.subnets]
        self.cursors: dict[int, tuple[int, int]] = {p.index: (0, 0) for p in plan.subnets}
        self.gen: int = 0
        self.now: float = 0.0
        self.lock: threading.Lock = threading.Lock()

    def copy(self, plan: Plan) -> Data:
        """An independent copy (the records are immutable and shared)."""
        new = Data(plan)
        new.leases = dict(self.leases)
        new.clients = dict(self.clients)
        new.timers = self.timers.copy()
        new.free = [q.copy() for q in self.free]
        new.cursors = dict(self.cursors)
        new.now = self.now
        return new


# -- writing leases: the only place the lease table changes ----------------------------

def put(j: Journal, d: Data, plan: Plan, address: int, lease: LeaseRecord,
         kind: type[LeaseAction], error: type[DhcpwireError] = StateError) -> LeaseAction:
    """Write ``lease``, keep the indexes, timers and queues right, and return its action.

    Raises ``error`` (nothing written) for a change :data:`LIFECYCLE` does not allow.
    """
    leases = d.leases
    old = leases.get(address)
    before = None if old is None else old.state
    state = lease.state
    if LIFECYCLE.get((before, kind)) is not state:
        was = "an address never used" if before is None else before.name
        raise error(f"{kind.__name__} cannot take {IPv4Address(address)} from {was} to "
                    f"{state.name} (the lease life cycle, dhcpwire.server.LIFECYCLE)")
    j.append((leases, address, MISSING if old is None else old))
    leases[address] = lease
    clients = d.clients
    key = lease.client
    if old is not None and old.client != key and clients.get(old.client) == address:
        j.append((clients, old.client, address))
        del clients[old.client]
    if kind in INDEXED:
        current = clients.get(key, MISSING)
        if current != address:
            j.append((clients, key, current))
            clients[key] = address
    if state in ON_EXPIRY:
        if lease.expires != math.inf:
            d.timers.set(j, address, lease.expires)
    elif state in AVAILABLE:
        sp = plan.dynamic(address)
        if sp is not None and address not in plan.reserved:
            d.free[sp.index].push(j, lease.expires, address)
    if before in AVAILABLE and state not in AVAILABLE:
        # Taken again without going through the queue (the client's own
        # address, a requested one): its entry goes, so the queue holds each
        # free address once and nothing else.
        sp = plan.dynamic(address)
        if sp is not None:
            d.free[sp.index].remove(j, address)
    return lease_action(kind, lease)


def expire_due(plan: Plan, d: Data, j: Journal, now: float) -> list[Action]:
    """Fire every timer due at ``now``: the LeaseExpired actions, in deadline order."""
    out: list[Action] = []
    timers, leases = d.timers, d.leases
    while True:
        due = timers.pop(j, now)
        if due is None:
            break
        at, address = due
        lease = leases[address]
        after = ON_EXPIRY.get(lease.state)
        if after is None:
            continue  # released (or expired) since: nothing to do
        if lease.expires > at:
            if lease.expires != math.inf:
                timers.set(j, address, lease.expires)  # extended since
            continue
        free = after is FREE
        ended = lease_record(lease.address, "" if free else lease.client,
                             b"" if free else lease.hardware_address, after, lease.expires,
                             lease.lease_time, None)
        out.append(put(j, d, plan, address, ended, LeaseExpired))
    return out
