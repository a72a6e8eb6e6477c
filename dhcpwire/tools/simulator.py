"""An in-process DHCP network on a virtual clock: clients, relays and servers, as bytes.

Rules of this module:

* **The machines are the real ones.** Clients are :class:`dhcpwire.client.Client`
  state machines, servers run :func:`dhcpwire.server.handle` and
  :func:`~dhcpwire.server.expire`, relays run :mod:`dhcpwire.relay`. The
  simulator only carries messages and fires timers; it decides nothing.
* **Every message crosses as bytes**: encoded by the sender, decoded
  (strictly) by the receiver, at every hop. A message that does not decode
  is a bug and raises.
* **Time and chance are inputs.** The clock is virtual: a heap of
  ``(time, sequence, callback)`` run in order, so a simulated day takes as
  long as its events. Loss, delay and every client's random generator come
  from one seeded :class:`random.Random`: the same seed replays a run.
* **Observe, do not judge.** The network records what happened (each
  client's configured address and lease history, every server's lease
  actions, counts, optionally every message, address conflicts); the
  tests decide what is right.
"""

from __future__ import annotations

import heapq
import json
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Any, Final

from .. import client as _client
from ..client import (
    Announce,
    Client,
    ClientConfig,
    ClientState,
    Configure,
    Deconfigure,
    LinkDown,
    LinkUp,
    MessageReceived,
    Notify,
    Probe,
    ProbeResult,
    ReleaseRequested,
    RenewRequested,
    Send,
    Start,
    Stop,
    TimerFired,
    V6OnlyWait,
)
from ..relay import relay_reply, relay_request
from ..server import (
    Discard,
    LeaseAction,
    LeaseState,
    ServerConfig,
    ServerState,
    expire,
    forcerenew,
    handle,
    next_deadline,
    restore,
    snapshot,
)
from ..wire.constants import CLIENT_PORT, SERVER_PORT
from ..wire.decoder import decode
from ..wire.encoder import encode
from ..wire.message import Message

__all__ = ["BROADCAST", "Network", "Sent", "SimClient", "SimRelay", "SimServer"]

BROADCAST: Final = IPv4Address("255.255.255.255")


@dataclass(frozen=True, slots=True)
class Sent:
    """One message on one hop, as recorded with ``Network(record_messages=True)``."""

    time: float
    sender: str
    receiver: str
    message: Message
    lost: bool


class SimServer:
    """A server on a segment: its state, and what it did."""

    def __init__(self, network: Network, config: ServerConfig, segment: str, name: str,
                 rng: random.Random | None = None) -> None:
        self.network = network
        self.config = config
        self.segment = segment
        self.name = name
        self.address: IPv4Address = config.server_identifier
        self.state: ServerState = ServerState(config=config)
        #: draws RFC 6704 nonces (only a config with ``forcerenew_nonce`` has one)
        self.rng = rng
        #: False while restarting: messages that arrive are lost.
        self.up: bool = True
        #: Every lease action, with the time it was taken.
        self.lease_actions: list[tuple[float, LeaseAction]] = []
        #: Why messages went unanswered, counted by reason.
        self.discards: Counter[str] = Counter()
        self.replies = 0
        self.restarts = 0
        self._armed: float | None = None

    def leases(self, state: LeaseState | None = None) -> dict[IPv4Address, str]:
        """Address -> client key of every lease record (in ``state``, if given)."""
        return {lease.address: lease.client for lease in self.state.leases()
                if state is None or lease.state is state}

    def restart(self, *, down_for: float = 0.0) -> None:
        """Stop now and come back ``down_for`` seconds later from a JSON snapshot.

        The snapshot goes through ``json.dumps``/``json.loads``, as a file
        would. Messages that arrive while it is down are lost.
        """
        data = json.loads(json.dumps(snapshot(self.state)))
        self.up = False
        self._armed = None

        def back() -> None:
            self.state = restore(self.config, data)
            self.up = True
            self.restarts += 1
            self.network._arm_server(self)

        self.network.at(self.network.now + down_for, back)

    def forcerenew(self, address: IPv4Address | str, *,
                   allow_unauthenticated: bool = False) -> None:
        """Send a DHCPFORCERENEW now to the client of the bound lease at ``address``
        (RFC 3203; :func:`dhcpwire.server.forcerenew`)."""
        self.state, actions = forcerenew(self.state, address, now=self.network.now,
                                         allow_unauthenticated=allow_unauthenticated)
        self.network._server_acts(self, actions)

    def __repr__(self) -> str:
        return f"<SimServer {self.name} {self.address} on {self.segment}>"


class SimRelay:
    """A relay agent: its client-side interface on a segment, and the servers it forwards to."""

    def __init__(self, *, segment: str, address: IPv4Address,
                 servers: tuple[IPv4Address, ...], circuit_id: bytes | None,
                 remote_id: bytes | None, max_hops: int, name: str,
                 port: int = SERVER_PORT) -> None:
        self.segment = segment
        self.address = address
        #: the UDP port it sends to servers from and hears their replies on (RFC 8357)
        self.port = port
        self.servers = servers
        self.circuit_id = circuit_id
        self.remote_id = remote_id
        self.max_hops = max_hops
        self.name = name
        self.relayed_requests = 0
        self.relayed_replies = 0
        self.dropped = 0

    def __repr__(self) -> str:
        return f"<SimRelay {self.name} {self.address} on {self.segment}>"


class SimClient:
    """A client on a segment: the state machine, and what it did."""

    def __init__(self, network: Network, config: ClientConfig, segment: str, name: str,
                 rng: random.Random) -> None:
        self.network = network
        self.segment: str = segment
        self.name = name
        self.machine: Client = Client(config, rng=rng)
        #: The address configured on the interface now, and its lease.
        self.address: IPv4Address | None = None
        self.lease: _client.Lease | None = None
        #: Every Configure: (time, lease). A renewal adds a line with new times.
        self.bindings: list[tuple[float, _client.Lease]] = []
        #: Every Deconfigure: (time, address).
        self.unbindings: list[tuple[float, IPv4Address]] = []
        #: Notify texts, with their time.
        self.notes: list[tuple[float, str]] = []
        self.discards = 0
        self._armed: float | None = None

    @property
    def config(self) -> ClientConfig:
        return self.machine.state.config

    @property
    def chaddr(self) -> bytes:
        return self.config.chaddr

    @property
    def state(self) -> ClientState:
        return self.machine.state

    # -- things a user does, now -------------------------------------------------------
    def release(self) -> None:
        """DHCPRELEASE now (RFC 2131 section 4.4.6)."""
        self.network._step_client(self, ReleaseRequested())

    def renew(self) -> None:
        """Renew now, before T1."""
        self.network._step_client(self, RenewRequested())

    def stop(self) -> None:
        """Stop now, keeping the lease in the state (no RELEASE)."""
        self.network._step_client(self, Stop())

    def start(self, lease: _client.Lease | None = None) -> None:
        """Start now (fresh, or INIT-REBOOT with a remembered lease)."""
        self.network._step_client(self, Start(lease=lease))

    def move(self, segment: str) -> None:
        """Unplug now and plug into ``segment``: LinkDown, then LinkUp there."""
        network = self.network
        network._step_client(self, LinkDown())
        network._segment(self.segment).detach(self)
        self.segment = segment
        network._segment(segment).attach(self)
        network._step_client(self, LinkUp())

    def __repr__(self) -> str:
        return f"<SimClient {self.name} {self.chaddr.hex(':')} {self.address}>"


@dataclass(slots=True)
class _Segment:
    """One link: who hears a broadcast sent on it."""

    servers: list[SimServer] = field(default_factory=list)
    relays: list[SimRelay] = field(default_factory=list)
    #: Clients by hardware address (several when a test gives two the same).
    clients: dict[bytes, list[SimClient]] = field(default_factory=dict)

    def attach(self, client: SimClient) -> None:
        self.clients.setdefault(client.chaddr, []).append(client)

    def detach(self, client: SimClient) -> None:
        self.clients[client.chaddr].remove(client)


_Event = tuple[float, int, Callable[..., None], tuple[Any, ...]]


class Network:
    """Clients, relays and servers on segments, exchanging bytes on a virtual clock.

    ``loss`` is the probability that any one hop loses a message; ``delay``
    the (low, high) range of a hop's uniform delay in seconds; ``probe_time``
    how long a client's ARP probe takes. ``seed`` seeds the one generator
    behind loss, delay and every client's randomness.
    """

    def __init__(self, *, seed: int = 0, loss: float = 0.0,
                 delay: tuple[float, float] = (0.0005, 0.005), probe_time: float = 0.2,
                 record_messages: bool = False) -> None:
        if not 0.0 <= loss < 1.0:
            raise ValueError("loss must be a probability below 1")
        if not 0.0 <= delay[0] <= delay[1]:
            raise ValueError("delay must be a (low, high) range of non-negative seconds")
        self.rng: random.Random = random.Random(seed)
        self.loss = loss
        self.delay = delay
        self.probe_time = probe_time
        self.record_messages = record_messages
        self.now: float = 0.0
        self.servers: list[SimServer] = []
        self.relays: list[SimRelay] = []
        self.clients: list[SimClient] = []
        #: Every message on every hop, when ``record_messages`` is on.
        self.messages: list[Sent] = []
        #: Counts: sent, lost, delivered, unroutable, relay-dropped ...
        self.stats: Counter[str] = Counter()
        #: (time, address, client, other client): a client configured an
        #: address another client had configured.
        self.conflicts: list[tuple[float, IPv4Address, SimClient, SimClient]] = []
        self._heap: list[_Event] = []
        self._seq = 0
        self._segments: dict[str, _Segment] = {}
        #: Who answers unicast to port 67: servers and relays by address.
        self._owners: dict[IPv4Address, SimServer | SimRelay] = {}
        #: Who answers unicast to port 68 (and ARP): configured addresses.
        self._hosts: dict[IPv4Address, SimClient] = {}

    # -- building ----------------------------------------------------------------------
    def _segment(self, name: str) -> _Segment:
        segment = self._segments.get(name)
        if segment is None:
            segment = self._segments[name] = _Segment()
        return segment

    def _own(self, address: IPv4Address, owner: SimServer | SimRelay) -> None:
        if address in self._owners:
            raise ValueError(f"{address} already belongs to {self._owners[address]!r}")
        self._owners[address] = owner

    def add_server(self, config: ServerConfig, *, segment: str = "lan",
                   name: str | None = None) -> SimServer:
        """A server at ``config.server_identifier``, attached to ``segment``.

        Messages that reach it on its segment are handled with
        ``interface=segment`` (so a :class:`~dhcpwire.server.Subnet` with
        that ``interface`` is the directly attached one); relayed ones with
        no interface and the relay's address as source.
        """
        # Only a server that draws nonces takes a generator from the network's,
        # so the runs of every other configuration stay as they were.
        rng = random.Random(self.rng.getrandbits(64)) if config.forcerenew_nonce else None
        server = SimServer(self, config, segment, name or f"server{len(self.servers) + 1}", rng)
        self._own(server.address, server)
        self.servers.append(server)
        self._segment(segment).servers.append(server)
        self._arm_server(server)
        return server

    def add_relay(self, *, segment: str, address: IPv4Address | str,
                  servers: Iterable[IPv4Address | str], circuit_id: bytes | None = None,
                  remote_id: bytes | None = None, max_hops: int = 16,
                  name: str | None = None, port: int = SERVER_PORT) -> SimRelay:
        """A relay whose interface on ``segment`` has ``address`` (its 'giaddr').

        Requests heard on the segment are forwarded by unicast to every
        address in ``servers``, from UDP ``port``; replies come back to
        ``address`` and are heard on ``port`` only (RFC 8357 for a port other
        than 67).
        """
        relay = SimRelay(segment=segment, address=IPv4Address(address),
                         servers=tuple(IPv4Address(s) for s in servers), circuit_id=circuit_id,
                         remote_id=remote_id, max_hops=max_hops,
                         name=name or f"relay{len(self.relays) + 1}", port=port)
        self._own(relay.address, relay)
        self.relays.append(relay)
        self._segment(segment).relays.append(relay)
        return relay

    def add_client(self, config: ClientConfig, *, segment: str = "lan",
                   start: float | None = 0.0, lease: _client.Lease | None = None,
                   name: str | None = None) -> SimClient:
        """A client on ``segment``, started at ``start`` (``None``: not started).

        With ``lease`` it starts in INIT-REBOOT, verifying that lease.
        """
        rng = random.Random(self.rng.getrandbits(64))
        sim = SimClient(self, config, segment, name or f"client{len(self.clients) + 1}", rng)
        self.clients.append(sim)
        self._segment(segment).attach(sim)
        if start is not None:
            self.at(max(start, self.now), self._step_client, sim, Start(lease=lease))
        return sim

    def at(self, time: float, callback: Callable[..., None], *args: Any) -> None:
        """Call ``callback(*args)`` at virtual ``time``."""
        self._seq += 1
        heapq.heappush(self._heap, (time, self._seq, callback, args))

    # -- running -----------------------------------------------------------------------
    def run(self, until: float, *, stop: Callable[[], bool] | None = None) -> bool:
        """Run every event up to virtual time ``until``; the clock ends at ``until``.

        With ``stop``, it is asked after each event and ends the run early
        (the clock stays at that event) when true; the result says whether
        it did.
        """
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] <= until:
            time, _, callback, args = pop(heap)
            self.now = time
            callback(*args)
            if stop is not None and stop():
                return True
        self.now = max(self.now, until)
        return False

    @property
    def configured(self) -> int:
        """How many clients have an address configured now."""
        return len(self._hosts)

    def holder(self, address: IPv4Address) -> SimClient | None:
        """The client that has ``address`` configured now."""
        return self._hosts.get(address)

    # -- carrying bytes ----------------------------------------------------------------
    def _transmit(self, message: Message, data: bytes, sender: str, receiver: str,
                  deliver: Callable[..., None], *args: Any) -> None:
        self.stats["sent"] += 1
        lost = self.loss > 0.0 and self.rng.random() < self.loss
        if self.record_messages:
            self.messages.append(Sent(self.now, sender, receiver, message, lost))
        if lost:
            self.stats["lost"] += 1
            return
        low, high = self.delay
        self.at(self.now + (low if low == high else self.rng.uniform(low, high)),
                deliver, data, *args)

    def _to_clients(self, segment: str, message: Message, data: bytes, sender: str,
                    hardware: bytes) -> None:
        # A broadcast reply reaches every client on the link; all but the ones
        # whose 'chaddr' it names would discard it (RFC 2131 section 4.4.1),
        # so only those are given it: the work of 1,000 clients would
        # otherwise be 1,000 times as much.
        for sim in self._segment(segment).clients.get(hardware, ()):
            self._transmit(message, data, sender, sim.name, self._client_receives, sim)

    # -- clients -----------------------------------------------------------------------
    def _step_client(self, sim: SimClient, event: _client.Event) -> None:
        actions = sim.machine.handle(event, now=self.now)
        self._client_acts(sim, actions)
        self._arm_client(sim)

    def _arm_client(self, sim: SimClient) -> None:
        deadline = sim.machine.next_deadline()
        if deadline is not None and deadline != sim._armed:
            sim._armed = deadline
            self.at(max(deadline, self.now), self._client_timer, sim, deadline)

    def _client_timer(self, sim: SimClient, deadline: float) -> None:
        if sim._armed != deadline:
            return                                  # superseded
        sim._armed = None
        self._step_client(sim, TimerFired())

    def _client_receives(self, data: bytes, sim: SimClient) -> None:
        self.stats["delivered"] += 1
        self._step_client(sim, MessageReceived(message=decode(data)))

    def _probe_answer(self, sim: SimClient, address: IPv4Address) -> None:
        holder = self._hosts.get(address)
        conflict = (holder is not None and holder is not sim) or address in self._owners
        if conflict:
            self.stats["probe-conflicts"] += 1
        self._step_client(sim, ProbeResult(conflict=conflict))

    def _client_acts(self, sim: SimClient, actions: tuple[_client.Action, ...]) -> None:
        now = self.now
        for action in actions:
            if isinstance(action, Send):
                self._client_sends(sim, action)
            elif isinstance(action, Configure):
                lease = action.lease
                address = lease.address
                if sim.address is not None and sim.address != address \
                        and self._hosts.get(sim.address) is sim:
                    del self._hosts[sim.address]
                other = self._hosts.get(address)
                if other is not None and other is not sim:
                    self.conflicts.append((now, address, sim, other))
                self._hosts[address] = sim
                sim.address, sim.lease = address, lease
                sim.bindings.append((now, lease))
            elif isinstance(action, Deconfigure):
                if self._hosts.get(action.address) is sim:
                    del self._hosts[action.address]
                if sim.address == action.address:
                    sim.address, sim.lease = None, None
                sim.unbindings.append((now, action.address))
            elif isinstance(action, Probe):
                self.at(now + self.probe_time, self._probe_answer, sim, action.address)
            elif isinstance(action, Notify):
                sim.notes.append((now, action.text))
            elif isinstance(action, V6OnlyWait):
                sim.notes.append((now, f"IPv6-only for {action.seconds} s"))
            elif isinstance(action, Announce):
                self.stats["announcements"] += 1
            else:
                sim.discards += 1

    def _client_sends(self, sim: SimClient, send: Send) -> None:
        message = send.message
        data = encode(message)
        if send.destination == BROADCAST:
            segment = self._segment(sim.segment)
            for server in segment.servers:
                self._transmit(message, data, sim.name, server.name, self._server_receives,
                               server, send.source, server.segment, CLIENT_PORT)
            for relay in segment.relays:
                self._transmit(message, data, sim.name, relay.name, self._relay_hears, relay)
            return
        owner = self._owners.get(send.destination)
        if isinstance(owner, SimServer):
            # Unicast is routed: it reaches the server from anywhere, not on
            # an attached interface unless the client is on its segment.
            interface = owner.segment if owner.segment == sim.segment else None
            self._transmit(message, data, sim.name, owner.name, self._server_receives,
                           owner, send.source, interface, CLIENT_PORT)
        elif isinstance(owner, SimRelay):
            self._transmit(message, data, sim.name, owner.name, self._relay_hears, owner)
        else:
            self.stats["unroutable"] += 1

    # -- servers -----------------------------------------------------------------------
    def _arm_server(self, server: SimServer) -> None:
        deadline = next_deadline(server.state)
        if deadline is not None and deadline != server._armed and server.up:
            server._armed = deadline
            self.at(max(deadline, self.now), self._server_timer, server, deadline)

    def _server_timer(self, server: SimServer, deadline: float) -> None:
        if server._armed != deadline or not server.up:
            return
        server._armed = None
        server.state, actions = expire(server.state, now=self.now)
        self._server_acts(server, actions)
        self._arm_server(server)

    def _server_receives(self, data: bytes, server: SimServer, source: IPv4Address,
                         interface: str | None, port: int) -> None:
        if not server.up:
            self.stats["server-down"] += 1
            return
        self.stats["delivered"] += 1
        server.state, actions = handle(server.state, decode(data), now=self.now,
                                       interface=interface, source=source, source_port=port,
                                       rng=server.rng)
        self._server_acts(server, actions)
        self._arm_server(server)

    def _server_acts(self, server: SimServer, actions: Iterable[object]) -> None:
        for action in actions:
            if isinstance(action, LeaseAction):
                server.lease_actions.append((self.now, action))
            elif isinstance(action, Send):
                server.replies += 1
                self._server_sends(server, action)
            elif isinstance(action, Discard):
                server.discards[action.reason] += 1

    def _server_sends(self, server: SimServer, reply: Send) -> None:
        message = reply.message
        data = reply.payload()
        relay = self._owners.get(reply.destination)
        if isinstance(relay, SimRelay):             # to a relay, at 'giaddr'
            if reply.port == relay.port:
                self._transmit(message, data, server.name, relay.name, self._relay_replies,
                               relay)
            else:                                   # nobody listens there
                self.stats["wrong-port"] += 1
            return
        if reply.port != CLIENT_PORT:
            self.stats["unroutable"] += 1
            return
        if reply.broadcast or reply.hardware_address is not None:
            # On the link the request came in on: the server's own segment.
            hardware = reply.hardware_address or message.client_hwaddr
            self._to_clients(reply.interface or server.segment, message, data, server.name,
                             hardware)
            return
        holder = self._hosts.get(reply.destination)
        if holder is None:
            self.stats["unroutable"] += 1
        else:
            self._transmit(message, data, server.name, holder.name, self._client_receives,
                           holder)

    # -- relays ------------------------------------------------------------------------
    def _relay_hears(self, data: bytes, relay: SimRelay) -> None:
        self.stats["delivered"] += 1
        forward = relay_request(decode(data), giaddr=relay.address, circuit_id=relay.circuit_id,
                                remote_id=relay.remote_id, max_hops=relay.max_hops,
                                source_port=relay.port)
        if forward is None:
            relay.dropped += 1
            return
        relay.relayed_requests += 1
        out = encode(forward, max_size=max(len(data), 576))
        for address in relay.servers:
            server = self._owners.get(address)
            if isinstance(server, SimServer):
                self._transmit(forward, out, relay.name, server.name, self._server_receives,
                               server, relay.address, None, relay.port)
            else:
                self.stats["unroutable"] += 1

    def _relay_replies(self, data: bytes, relay: SimRelay) -> None:
        self.stats["delivered"] += 1
        result = relay_reply(decode(data), circuit_id=relay.circuit_id,
                             remote_id=relay.remote_id, interfaces=(relay.address,),
                             source_port=relay.port)
        if result is None:
            relay.dropped += 1
            return
        message, destination, hardware = result.message, result.destination, result.hardware_address
        relay.relayed_replies += 1
        out = encode(message, max_size=max(len(data), 576))
        if result.broadcast or hardware is not None:
            self._to_clients(relay.segment, message, out, relay.name,
                             hardware or message.client_hwaddr)
            return
        holder = self._hosts.get(destination)
        if holder is None:
            self.stats["unroutable"] += 1
        else:
            self._transmit(message, out, relay.name, holder.name, self._client_receives, holder)
