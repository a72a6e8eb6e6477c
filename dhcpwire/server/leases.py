"""The server's data: lease records, the actions that report their changes, and the store.

Rules of this module:

* One :class:`Lease` per address ever used; a record is replaced, never
  removed, so the addresses a pool has handed out are exactly the keys of
  ``leases`` (the fresh-address cursor relies on it).
* :func:`put` is the only writer of lease records. It keeps the client
  index, the expiry timers and the free-address heaps in step, and returns
  the :class:`LeaseAction` that reports the change: replaying those actions
  through :func:`put` rebuilds the same data.
* Every write goes through the journal of :mod:`.store`, so the version
  that was current before a step stays valid.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any, Final

from ..protocol.actions import Discard, Send
from ..wire.constants import INFINITE
from .config import Plan
from .store import (
    MISSING,
    Journal,
    Queue,
    Store,
    heap_pop,
    heap_push,
    new_queue,
    queue_push,
)

__all__ = [
    "AVAILABLE",
    "BOUND",
    "DECLINED",
    "EXPIRED",
    "FREE",
    "HELD",
    "LEASE_ACTIONS",
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
    "put",
    "schedule",
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
#: What a state becomes when its time runs out (the timer table).
ON_EXPIRY: Final = {OFFERED: EXPIRED, BOUND: EXPIRED, DECLINED: FREE}


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseRecord:
    """One address and what it is doing: the server's record, one per address ever used.

    ``client`` is the client key (:func:`client_key`); ``expires`` is on the
    caller's clock: the end of the offer, lease or quarantine for OFFERED,
    BOUND and DECLINED, the moment the address became free for the others
    (``math.inf`` for an infinite lease). ``lease_time`` is the duration
    granted or offered, in seconds (``INFINITE`` = 0xffffffff).
    """

    address: IPv4Address
    client: str
    hardware_address: bytes
    state: LeaseState
    expires: float
    lease_time: int

    def to_json(self) -> dict[str, Any]:
        """JSON-safe data (infinity is ``null``)."""
        return {"address": str(self.address), "client": self.client,
                "hardware_address": self.hardware_address.hex(), "state": self.state.value,
                "expires": None if self.expires == math.inf else self.expires,
                "lease_time": self.lease_time}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LeaseRecord:
        """The inverse of :meth:`to_json`; ``ValueError`` for anything else."""
        try:
            expires = data["expires"]
            lease = cls(address=IPv4Address(data["address"]), client=str(data["client"]),
                        hardware_address=bytes.fromhex(data["hardware_address"]),
                        state=LeaseState(data["state"]),
                        expires=math.inf if expires is None else float(expires),
                        lease_time=int(data["lease_time"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a lease record: {data!r} ({exc})") from None
        if math.isnan(lease.expires) or not 0 <= lease.lease_time <= INFINITE:
            raise ValueError(f"not a lease record: {data!r}")
        return lease


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
        """The action :meth:`to_json` gave; ``ValueError`` for anything else."""
        try:
            kind = _ACTIONS[data["action"]]
            lease = data["lease"]
        except (KeyError, TypeError):
            raise ValueError(f"not a lease action: {data!r}") from None
        return kind(lease=LeaseRecord.from_json(lease))


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



# -- the state ----------------------------------------------------------------------

class Data(Store):
    """The containers of every version of one server's state.

    * ``leases``: address (int) -> :class:`Lease`; an address, once used, is never removed.
    * ``clients``: client key -> the address of its current or latest lease
      (always a lease of that client).
    * ``timers`` and ``theap``: the expiry heap of (deadline, address) and,
      per address, the deadline of its one live heap entry. Entries are
      lazy: an extended lease keeps its earlier entry, which reschedules it
      when it comes up.
    * ``free``: per subnet, a heap of (freed at, address) of the addresses
      given back, least recently freed first; entries are checked against
      ``leases`` when popped.
    * ``cursors``: per subnet, (range index, address) of the next address
      never handed out.
    """

    __slots__ = ("clients", "cursors", "free", "leases", "theap", "timers")

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.leases: dict[int, LeaseRecord] = {}
        self.clients: dict[str, int] = {}
        self.timers: dict[int, float] = {}
        self.theap: list[tuple[float, int]] = []
        self.free: list[Queue] = [new_queue([]) for _ in plan.subnets]
        self.cursors: dict[int, tuple[int, int]] = {p.index: (0, 0) for p in plan.subnets}



# -- writing leases: the only place the lease table changes ----------------------------

def schedule(j: Journal, d: Data, address: int, at: float) -> None:
    """Make sure a timer fires for ``address`` no later than ``at``."""
    if at == math.inf:
        return
    timers = d.timers
    current = timers.get(address)
    if current is not None and current <= at:
        return  # the earlier entry reschedules itself when it comes up
    j.append((timers, address, MISSING if current is None else current))
    timers[address] = at
    heap_push(j, d.theap, (at, address))


def put(j: Journal, d: Data, plan: Plan, address: int, lease: LeaseRecord,
         kind: type[LeaseAction]) -> LeaseAction:
    """Write ``lease``, keep the indexes and timers right, and return its action."""
    leases = d.leases
    old = leases.get(address, MISSING)
    j.append((leases, address, old))
    leases[address] = lease
    clients = d.clients
    key = lease.client
    if old is not MISSING and old.client != key and clients.get(old.client) == address:
        j.append((clients, old.client, address))
        del clients[old.client]
    if kind in INDEXED:
        current = clients.get(key, MISSING)
        if current != address:
            j.append((clients, key, current))
            clients[key] = address
    state = lease.state
    if state in ON_EXPIRY:
        schedule(j, d, address, lease.expires)
    elif state in AVAILABLE:
        sp = plan.dynamic(address)
        if sp is not None and address not in plan.reserved:
            queue_push(j, d.free[sp.index], (lease.expires, address))
    return kind(lease=lease)




def expire_due(j: Journal, d: Data, plan: Plan, now: float) -> list[Action]:
    """Fire every timer due at ``now``: the LeaseExpired actions, in deadline order."""
    out: list[Action] = []
    heap, timers, leases = d.theap, d.timers, d.leases
    while heap and heap[0][0] <= now:
        due: tuple[float, int] = heap_pop(j, heap)
        at, address = due
        if timers.get(address) != at:
            continue  # superseded by an earlier entry
        j.append((timers, address, at))
        del timers[address]
        lease = leases[address]
        after = ON_EXPIRY.get(lease.state)
        if after is None:
            continue  # released (or expired) since: nothing to do
        if lease.expires > at:
            schedule(j, d, address, lease.expires)  # extended since
            continue
        ended = LeaseRecord(address=lease.address,
                      client="" if after is FREE else lease.client,
                      hardware_address=b"" if after is FREE else lease.hardware_address,
                      state=after, expires=lease.expires, lease_time=lease.lease_time)
        out.append(put(j, d, plan, address, ended, LeaseExpired))
    return out
