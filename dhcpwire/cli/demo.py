"""``dhcpwire demo``: the client and server state machines talking, on a virtual clock.

Rules of this module:

* Nothing here decides anything: :mod:`dhcpwire.client` and
  :mod:`dhcpwire.server` do. This is the caller's loop of the sans-IO design
  (``decode -> step/handle -> encode``) with a list instead of sockets.
* Every message crosses the virtual link as bytes: the sender's message is
  encoded and the receiver decodes it, as with real sockets.
* Time and chance are inputs: one ``random.Random(seed)`` drives the client
  (xids, jitter, start-up delay), the clock is a number. The same seed and
  lease time print the same timeline, byte for byte.

The three scenarios are RFC 2131's: section 3.1 (first access: DISCOVER, two
OFFERs, REQUEST, ACK, and the server not chosen frees its offer), section
3.2 (second access: INIT-REBOOT, and a NAK that sends the client back to
DISCOVER) and section 4.4.5 (extension: RENEWING at T1, then REBINDING at T2
and expiry when the server has gone away).
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any, Final

from .. import client as cl
from .. import server as sv
from ..wire.decoder import decode
from ..wire.encoder import encode
from ..wire.message import Message
from .render import describe, message_to_jsonable

__all__ = ["SCENARIOS", "Entry", "Scenario", "format_timeline", "run", "run_all"]

SCENARIOS: Final = ("first", "second", "extension")
_TITLES: Final = {
    "first": "first access (RFC 2131 section 3.1): DISCOVER, two OFFERs, REQUEST, ACK",
    "second": "second access (RFC 2131 section 3.2): INIT-REBOOT, ACK; then a NAK",
    "extension": "lease extension (RFC 2131 section 4.4.5): RENEWING, REBINDING, expiry",
}
_CHADDR: Final = bytes.fromhex("02005e100001")
#: One-way delay of each server's replies, so that the first server answers first.
_LATENCY: Final = {"A": 0.004, "B": 0.009, "C": 0.004}


_VERBS: Final = {
    "LeaseOffered": "held for the client (offered)", "LeaseCommitted": "leased (committed)",
    "LeaseRenewed": "lease extended", "LeaseReleased": "released",
    "LeaseDeclined": "declined (quarantined)", "LeaseExpired": "free again (offer or lease ended)",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a timeline: at ``time``, ``actor`` did ``text``."""

    time: float
    actor: str
    text: str
    kind: str = "note"
    message: Message | None = None
    size: int | None = None

    def to_json(self) -> dict[str, Any]:

        out: dict[str, Any] = {"time": round(self.time, 6), "actor": self.actor,
                               "kind": self.kind, "text": self.text}
        if self.message is not None:
            out["octets"] = self.size
            out["message"] = message_to_jsonable(self.message)
        return out


@dataclass(slots=True)
class Scenario:
    """The timeline of one scenario."""

    name: str
    title: str
    entries: list[Entry] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.name, "title": self.title,
                "timeline": [e.to_json() for e in self.entries]}


def _subnet(network: str, first: str, last: str, router: str) -> sv.Subnet:
    gateway = IPv4Address(router)
    return sv.Subnet(network=IPv4Network(network),
                     pools=((IPv4Address(first), IPv4Address(last)),),
                     router=(gateway,), dns_servers=(gateway,), domain_name="example.test")


def _server(ident: str, network: str, first: str, last: str, lease_time: int,
            *, authoritative: bool = False) -> sv.ServerState:
    gateway = network.split("/")[0].rsplit(".", 1)[0] + ".1"
    return sv.ServerState(config=sv.ServerConfig(
        server_identifier=IPv4Address(ident),
        subnets=(_subnet(network, first, last, gateway),),
        default_lease_time=lease_time, min_lease_time=min(60, lease_time),
        max_lease_time=max(lease_time, 86400), offer_time=30.0,
        authoritative=authoritative))


class _Link:
    """The virtual link: one client, named servers, a queue of datagrams in flight."""

    def __init__(self, scenario: Scenario, client: cl.ClientState, rng: random.Random,
                 servers: dict[str, sv.ServerState]) -> None:
        self.out = scenario.entries
        self.client = client
        self.rng = rng
        self.servers = servers
        self.up = set(servers)
        self.now = 0.0
        self._queue: list[tuple[float, int, str, bytes]] = []
        self._seq = 0

    # -- logging ------------------------------------------------------------
    def log(self, actor: str, text: str, kind: str = "note", message: Message | None = None,
            size: int | None = None) -> None:
        self.out.append(Entry(self.now, actor, text, kind, message, size))

    def _name_of(self, ident: IPv4Address) -> str | None:
        for name, state in self.servers.items():
            if state.config.server_identifier == ident:
                return name
        return None

    # -- the client ---------------------------------------------------------
    def client_event(self, event: cl.Event) -> None:
        before = self.client.phase
        self.client, actions = cl.step(self.client, event, now=self.now, rng=self.rng)
        if self.client.phase is not before:
            self.log("client", f"{before.value} -> {self.client.phase.value}", "state")
        for action in actions:
            self._client_action(action)

    def _client_action(self, action: cl.Action) -> None:
        if isinstance(action, cl.Send):
            wire = encode(action.message)
            where = "broadcast" if action.destination == cl.BROADCAST else str(action.destination)
            self.log("client", f"sends {describe(action.message)} to {where}", "send",
                     action.message, len(wire))
            for name in self.servers:
                if action.destination == cl.BROADCAST or \
                        self.servers[name].config.server_identifier == action.destination:
                    self._push(self.now, name, wire)
        elif isinstance(action, cl.Probe):
            self.log("client", f"probes {action.address} (ARP): nobody answers", "probe")
            self.client_event(cl.ProbeResult(conflict=False))
        elif isinstance(action, cl.Configure):
            lease = action.lease
            ident = lease.server_identifier
            source = self._name_of(ident) if ident is not None else "?"
            self.log("client", f"configures {lease.address} from server {source}: lease "
                     f"{lease.lease_time}s, T1 at {_t(lease.renew_at)}, "
                     f"T2 at {_t(lease.rebind_at)}, expiry at {_t(lease.expires_at)}",
                     "configure")
        elif isinstance(action, cl.Deconfigure):
            self.log("client", f"stops using {action.address}", "deconfigure")
        elif isinstance(action, cl.Announce):
            self.log("client", f"announces {action.address} (ARP)", "announce")
        elif isinstance(action, cl.Discard):
            what = describe(action.message) if action.message is not None else "event"
            self.log("client", f"ignores {what}: {action.reason}", "discard")
        elif isinstance(action, cl.Notify):
            self.log("client", action.text, "notify")
        else:
            self.log("client", type(action).__name__, "other")

    # -- the servers --------------------------------------------------------
    def _server_actions(self, name: str, actions: tuple[sv.Action, ...]) -> None:
        for action in actions:
            if isinstance(action, sv.Send):
                wire = action.payload()
                where = "broadcast" if action.broadcast else str(action.destination)
                self.log(f"server {name}", f"sends {describe(action.message)} to {where}",
                         "send", action.message, len(wire))
                self._push(self.now + _LATENCY[name], "client", wire)
            elif isinstance(action, sv.Discard):
                self.log(f"server {name}", f"ignores the message: {action.reason}", "discard")
            else:
                verb = _VERBS.get(type(action).__name__, type(action).__name__)
                self.log(f"server {name}", f"{action.address}: {verb}", "lease")

    def _push(self, at: float, to: str, wire: bytes) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, to, wire))

    # -- the clock ----------------------------------------------------------
    def run_until(self, end: float, *, stop: cl.State | None = None) -> None:
        """Deliver datagrams and fire timers in time order until ``end`` (or ``stop``)."""
        while True:
            if stop is not None and self.client.phase is stop and not self._queue:
                return
            candidates: list[tuple[float, int, str]] = []
            if self._queue:
                candidates.append((self._queue[0][0], 0, "datagram"))
            deadline = cl.next_deadline(self.client)
            if deadline is not None:
                candidates.append((max(deadline, self.now), 1, "client"))
            for name in sorted(self.up):
                due = sv.next_deadline(self.servers[name])
                if due is not None:
                    candidates.append((max(due, self.now), 2, name))
            if not candidates:
                return
            at, _, what = min(candidates)
            if at > end:
                self.now = max(self.now, end)
                return
            self.now = at
            if what == "datagram":
                _, _, to, wire = heapq.heappop(self._queue)
                self._deliver(to, wire)
            elif what == "client":
                self.client_event(cl.TimerFired())
            else:
                self.servers[what], actions = sv.expire(self.servers[what], now=self.now)
                self._server_actions(what, actions)

    def _deliver(self, to: str, wire: bytes) -> None:
        msg = decode(wire)
        if to == "client":
            self.client_event(cl.MessageReceived(message=msg))
        elif to in self.up:
            self.servers[to], actions = sv.handle(self.servers[to], msg, now=self.now)
            self._server_actions(to, actions)
        else:
            self.log(f"server {to}", f"is down: {msg} is lost", "lost")


def _t(at: float | None) -> str:
    return "never" if at is None else f"{at:.1f}s"


def _client(rng: random.Random) -> cl.ClientState:
    del rng  # the state holds no randomness; it is drawn at each step
    return cl.ClientState(config=cl.ClientConfig(chaddr=_CHADDR, host_name="demo-client"))


def _first(sc: Scenario, lease_time: int, rng: random.Random) -> None:
    link = _Link(sc, _client(rng), rng, {
        "A": _server("192.0.2.1", "192.0.2.0/24", "192.0.2.10", "192.0.2.19", lease_time),
        "B": _server("192.0.2.2", "192.0.2.0/24", "192.0.2.20", "192.0.2.29", lease_time)})
    link.log("demo", "two servers, A (192.0.2.1) and B (192.0.2.2), share 192.0.2.0/24")
    link.client_event(cl.Start())
    link.run_until(120.0, stop=cl.State.BOUND)
    # B's offer: freed by the REQUEST naming A, or else by its offer timer.
    link.run_until(link.now + 60.0)


def _bound(link: _Link) -> None:
    link.client_event(cl.Start())
    link.run_until(120.0, stop=cl.State.BOUND)


def _second(sc: Scenario, lease_time: int, rng: random.Random) -> None:
    home = _server("192.0.2.1", "192.0.2.0/24", "192.0.2.10", "192.0.2.19", lease_time)
    link = _Link(sc, _client(rng), rng, {"A": home})
    link.log("demo", "the client gets a lease from server A, then restarts")
    _bound(link)
    link.client_event(cl.Stop())
    link.now += 30.0
    link.log("demo", "restart with the remembered lease (INIT-REBOOT)")
    link.client_event(cl.Start())
    link.run_until(link.now + 120.0, stop=cl.State.BOUND)
    link.client_event(cl.Stop())
    link.now += 30.0
    link.log("demo", "the client moved to another network: server C (198.51.100.1) "
             "is authoritative for 198.51.100.0/24 and NAKs the old address")
    link.servers = {"C": _server("198.51.100.1", "198.51.100.0/24", "198.51.100.10",
                                 "198.51.100.19", lease_time, authoritative=True)}
    link.up = {"C"}
    link.client_event(cl.Start())
    link.run_until(link.now + 120.0, stop=cl.State.BOUND)


def _extension(sc: Scenario, lease_time: int, rng: random.Random) -> None:
    link = _Link(sc, _client(rng), rng, {
        "A": _server("192.0.2.1", "192.0.2.0/24", "192.0.2.10", "192.0.2.19", lease_time)})
    _bound(link)
    lease = link.client.lease
    assert lease is not None and lease.renew_at is not None
    link.log("demo", "wait for T1")
    link.run_until(lease.renew_at + 1.0, stop=None)
    link.run_until(link.now + 60.0, stop=cl.State.BOUND)
    link.log("demo", "server A goes away")
    link.up.clear()
    lease = link.client.lease
    assert lease is not None and lease.expires_at is not None
    end = lease.expires_at
    while link.now < end and link.client.phase is not cl.State.INIT:
        link.run_until(end + 1.0, stop=cl.State.INIT)
    link.log("demo", "the lease has expired; the client starts over with DISCOVER")
    link.run_until(link.now + 5.0, stop=cl.State.SELECTING)


_RUNNERS: Final = {"first": _first, "second": _second, "extension": _extension}


def run(name: str, *, lease_time: int = 3600, seed: int = 1) -> Scenario:
    """Run scenario ``name`` (one of :data:`SCENARIOS`) and return its timeline."""
    if name not in _RUNNERS:
        raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    if lease_time < 60:
        raise ValueError("the lease time must be at least 60 seconds")
    scenario = Scenario(name, _TITLES[name])
    _RUNNERS[name](scenario, lease_time, random.Random(seed))
    return scenario


def run_all(names: tuple[str, ...] = SCENARIOS, *, lease_time: int = 3600,
            seed: int = 1) -> list[Scenario]:
    """Each scenario of ``names``, every one with its own ``Random(seed)``."""
    return [run(n, lease_time=lease_time, seed=seed) for n in names]


def format_timeline(scenario: Scenario) -> str:
    """The timeline as text: one line per entry, time in seconds on the virtual clock."""
    lines = [f"== {scenario.name}: {scenario.title}"]
    for e in scenario.entries:
        if e.actor == "demo":
            lines.append(f"{e.time:10.3f}  -- {e.text}")
        else:
            extra = f" ({e.size} octets)" if e.size is not None else ""
            lines.append(f"{e.time:10.3f}  {e.actor:<9} {e.text}{extra}")
    return "\n".join(lines) + "\n"

