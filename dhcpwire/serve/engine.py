"""The daemon's work on one datagram, without sockets: decode, route, handle, record, log.

Rules of this module:

* :class:`Engine` owns the server states (one per configuration: the
  default one and one per client class with pools), the lease database and
  the counters. :meth:`Engine.receive` takes a datagram's bytes and returns
  the replies to send, as :class:`Outgoing` (the ``Send`` and its payload);
  :meth:`Engine.commit` makes the lease changes durable. The caller sends
  nothing before ``commit`` returns: that is the durability rule of
  :mod:`.database`.
* Client messages are decoded leniently. A malformed option the server
  does not read never makes it ignore the client; one it reads is taken
  out of the message (treated as absent) and the reason is logged. Only a
  malformed message type (option 53) leaves the message unanswered: what
  the client asked for cannot be told.
* One log line per lease event: ``lease offered|acked|renewed|released|
  declined|expired ADDRESS chaddr=...``; other events are logged at debug
  level. Nothing here raises for anything a peer sends.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from socket import inet_ntoa
from typing import Final

from ..server import (
    Discard,
    LeaseAction,
    LeaseCommitted,
    LeaseDeclined,
    LeaseExpired,
    LeaseOffered,
    LeaseRecord,
    LeaseReleased,
    LeaseRenewed,
    LeaseState,
    Send,
    ServerConfig,
    ServerState,
    expire,
    handle,
    next_deadline,
    restore,
    snapshot,
)
from ..wire.codes import (
    CLIENT_IDENTIFIER,
    HOST_NAME,
    IP_ADDRESS_LEASE_TIME,
    MAXIMUM_MESSAGE_SIZE,
    MESSAGE_TYPE,
    PARAMETER_REQUEST_LIST,
    RAPID_COMMIT,
    RELAY_AGENT_INFORMATION,
    REQUESTED_IP_ADDRESS,
    SERVER_IDENTIFIER,
    SUBNET_SELECTION,
)
from ..wire.constants import MessageType
from ..wire.decoder import decode
from ..wire.errors import DecodeError, EncodeError
from ..wire.message import Message
from ..wire.options import Options
from .classes import ClassTable
from .database import LeaseDatabase, Pending, Stored
from .metrics import Metrics, Sample

__all__ = ["EVENTS", "NEEDED_OPTIONS", "Engine", "Outgoing", "drop_label", "log"]

log: logging.Logger = logging.getLogger("dhcpwire.serve")

#: The log word of each lease action.
EVENTS: Final[dict[type[LeaseAction], str]] = {
    LeaseOffered: "offered", LeaseCommitted: "acked", LeaseRenewed: "renewed",
    LeaseReleased: "released", LeaseDeclined: "declined", LeaseExpired: "expired"}
_EVENT_KEYS: Final = {event: Metrics.key("dhcpwire_lease_events_total", event=event)
                      for event in EVENTS.values()}
_HOLDS: Final = (LeaseOffered, LeaseCommitted, LeaseRenewed)
_COMMITS: Final = Metrics.key("dhcpwire_database_commits_total")
#: The lease log lines of a batch: (text, the JSON fields or None).
Events = list[tuple[str, dict[str, object] | None]]
#: The options the server reads from a client's message: one of these that is
#: malformed is taken out (treated as absent). Others are never read.
NEEDED_OPTIONS: Final = frozenset({
    CLIENT_IDENTIFIER, REQUESTED_IP_ADDRESS, IP_ADDRESS_LEASE_TIME, SERVER_IDENTIFIER,
    PARAMETER_REQUEST_LIST, MAXIMUM_MESSAGE_SIZE, RAPID_COMMIT, RELAY_AGENT_INFORMATION,
    SUBNET_SELECTION})
_IN_USE: Final = frozenset({"offered", "bound", "declined"})
_REPLY_TYPES: Final = frozenset({b"\x02", b"\x05"})  # DHCPOFFER, DHCPACK
_ADDRESS: Final = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?\b")
_NUMBER: Final = re.compile(r"\b\d+\b")


def drop_label(reason: str) -> str:
    """A discard reason without its addresses and numbers: a bounded set of labels."""
    return _NUMBER.sub("N", _ADDRESS.sub("ADDRESS", reason))


_TYPE_NAMES: Final[dict[bytes | None, str]] = {
    None: "BOOTP", **{bytes((t,)): t.name for t in MessageType}}


def type_name(raw: bytes | None) -> str:
    """Option 53's value as the message type's name (BOOTP without one)."""
    return _TYPE_NAMES.get(raw, "UNKNOWN")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply to send: the action and its datagram's bytes."""

    send: Send
    payload: bytes


class Engine:
    """Server states, lease database and counters: the daemon without its sockets."""

    def __init__(self, configs: tuple[ServerConfig, ...], classes: ClassTable,
                 database: LeaseDatabase, metrics: Metrics | None = None, *,
                 structured_logs: bool = False,
                 owns: Callable[[LeaseRecord], bool] | None = None) -> None:
        self.database = database
        #: which stored records are this engine's (a worker's share); None: all
        self.owns = owns
        #: add the lease fields to each lease log record (for JSON lines)
        self.structured_logs = structured_logs
        self._keys: dict[tuple[str, str | bytes | None], Sample] = {}
        #: the lease log lines (text, JSON fields) of the batch in hand
        self._events: Events = []
        self._when_second = -1
        self._when_text = ""
        self.metrics: Metrics = metrics if metrics is not None else Metrics()
        self.metrics.gauges = self.gauges
        self.configs: tuple[ServerConfig, ...] = configs
        self.classes: ClassTable = classes
        self.states: list[ServerState] = []
        #: client key -> the state (index) where it holds an address
        self.held: dict[str, int] = {}
        #: address -> lease state, for the pool gauges
        self.status: dict[int, str] = {}
        self._networks: list[tuple[IPv4Network, int]] = []
        self.rebuild(configs, classes)

    # -- start and reload ----------------------------------------------------------------
    def rebuild(self, configs: tuple[ServerConfig, ...], classes: ClassTable) -> int:
        """The states rebuilt from the database under ``configs``; returns the record count.

        Used at start and on reload: whatever the database holds (everything
        committed) is what the new states know.
        """
        stored = self.database.load()
        if self.owns is not None:
            # (the client index is cut to each state's own records by _restore)
            stored = Stored(tuple(r for r in stored.records if self.owns(r)), stored.clients)
        self.configs, self.classes = configs, classes
        self.states = [_restore(config, stored, i, classes) for i, config in enumerate(configs)]
        self.held = {r.client: classes.state_of(r.address) for r in stored.records
                     if r.state in (LeaseState.OFFERED, LeaseState.BOUND)}
        self.status = {int(r.address): r.state.value for r in stored.records}
        sizes: dict[IPv4Network, int] = {}
        for config in configs:
            for subnet in config.subnets:
                sizes[subnet.network] = sizes.get(subnet.network, 0) + sum(
                    int(hi) - int(lo) + 1 for lo, hi in subnet.pools)
        self._networks = sorted(sizes.items(), key=lambda item: item[0].prefixlen,
                                reverse=True)
        return len(stored.records)

    # -- one datagram ---------------------------------------------------------------------
    def receive(self, data: bytes, *, interface: str | None, source: IPv4Address | None,
                now: float, source_port: int | None = None) -> list[Outgoing]:
        """Answer one datagram: lease changes recorded (not committed), replies returned.

        ``source_port`` is the datagram's UDP source port: a relay agent that
        says it sends from another port than 67 (RFC 8357) is answered there.
        """
        metrics = self.metrics
        try:
            message = decode(data, strict=False)
        except DecodeError as exc:
            metrics.add("dhcpwire_messages_dropped_total", reason="undecodable")
            log.debug("drop undecodable datagram from %s: %s", source, exc)
            return []
        raw = message.options.raw_map
        raw_kind = raw.get(MESSAGE_TYPE)
        kind = type_name(raw_kind)
        metrics.inc(self._key("dhcpwire_messages_received_total", raw_kind))
        if message.defects:
            forgiven = self._forgive(message, source)
            if forgiven is None:
                return []
            message = forgiven
        if log.isEnabledFor(logging.DEBUG):
            log.debug("recv DHCP%s from %s chaddr=%s xid=0x%08x giaddr=%s", kind, source,
                      message.hwaddr, message.xid, message.giaddr)
        classes = self.classes
        matched = classes.match(message) if classes else ()
        index = classes.route(message, matched, self.held) if classes.configs else 0
        try:
            state, actions = handle(self.states[index], message, now=now,
                                    interface=interface, source=source,
                                    source_port=source_port)
        except Exception:
            # The server is a pure function: when it raises, its state is as it
            # was. One message must not take the daemon down; it is logged.
            metrics.add("dhcpwire_messages_dropped_total", reason="internal error")
            log.exception("internal error answering DHCP%s chaddr=%s", kind, message.hwaddr)
            return []
        self.states[index] = state
        out: list[Outgoing] = []
        hostname: str | None = None
        for action in actions:
            if isinstance(action, Send):
                extra = classes.options(matched) if matched else None
                out.append(self._outgoing(action, message, extra))
            elif isinstance(action, Discard):
                metrics.add("dhcpwire_messages_dropped_total", reason=drop_label(action.reason))
                log.debug("discard DHCP%s chaddr=%s: %s", kind, message.hwaddr, action.reason)
            else:
                if hostname is None and HOST_NAME in raw:
                    hostname = raw[HOST_NAME].decode("utf-8", "replace").rstrip("\0")
                self._lease(action, index, hostname if isinstance(action, _HOLDS) else None)
        return out

    def _forgive(self, message: Message, source: IPv4Address | None) -> Message | None:
        """``message`` without the malformed options the server reads (``None``: drop it)."""
        bad = {d.option for d in message.defects if d.option in NEEDED_OPTIONS}
        why = "; ".join(str(d) for d in message.defects)
        if any(d.option == MESSAGE_TYPE for d in message.defects):
            self.metrics.add("dhcpwire_messages_dropped_total", reason="malformed option 53")
            log.info("drop message from %s chaddr=%s: its message type is malformed (%s)",
                     source, message.hwaddr, why)
            return None
        if not bad:
            log.debug("message from %s chaddr=%s has defects the server does not read: %s",
                      source, message.hwaddr, why)
            return message
        log.info("message from %s chaddr=%s: malformed options %s treated as absent (%s)",
                 source, message.hwaddr, sorted(bad), why)
        return message.replace(options=message.options.remove(*bad),
                               defects=tuple(d for d in message.defects if d.option not in bad))

    def _outgoing(self, send: Send, request: Message,
                  extra: Mapping[int, bytes] | None) -> Outgoing:
        """The reply's bytes, with the client's classes' options added where asked for."""
        reply = send.message
        raw = reply.options.raw_map
        kind = raw.get(MESSAGE_TYPE)
        if extra and (kind is None or kind in _REPLY_TYPES):
            prl = request.options.raw_map.get(PARAMETER_REQUEST_LIST)
            values = dict(raw)
            for code, value in extra.items():
                # RFC 2131 section 4.3.1: "The server MUST supply as many of the
                # requested parameters as possible and MUST omit any parameters it
                # cannot provide." Without a list, every configured parameter.
                if prl is None or code in prl:
                    values[code] = value
            if values != raw:
                richer = dataclasses.replace(send, message=reply.replace(
                    options=Options.from_raw(values, registry=reply.options.registry)))
                try:
                    return self._count(Outgoing(richer, richer.payload()))
                except EncodeError as exc:
                    log.warning("class options left out of a reply to %s: %s",
                                reply.hwaddr, exc)
        return self._count(Outgoing(send, send.payload()))

    def _count(self, out: Outgoing) -> Outgoing:
        self.metrics.inc(self._key("dhcpwire_messages_sent_total",
                                   out.send.message.options.raw_map.get(MESSAGE_TYPE)))
        return out

    def _key(self, name: str, raw_kind: bytes | None) -> Sample:
        key = self._keys.get((name, raw_kind))
        if key is None:
            key = self._keys[(name, raw_kind)] = Metrics.key(name, type=type_name(raw_kind))
        return key

    def _lease(self, action: LeaseAction, index: int, hostname: str | None) -> None:
        lease = action.lease
        self.database.record(action, hostname)
        key = lease.client
        if isinstance(action, _HOLDS):
            self.held[key] = index
        elif key and self.held.get(key) == index:
            del self.held[key]
        self.status[int(lease.address)] = lease.state.value
        event = EVENTS[type(action)]
        self.metrics.inc(_EVENT_KEYS[event])
        if not log.isEnabledFor(logging.INFO):
            return
        expires = None if lease.expires == math.inf else lease.expires
        hw = lease.hardware_address.hex(":")
        # the dotted quad by the C library: str(IPv4Address) builds it in
        # Python, about a microsecond, once or twice per lease event
        address = inet_ntoa(lease.address.packed)
        fields: dict[str, object] | None = {
            "event": "lease", "action": event, "address": address, "chaddr": hw,
            "client": key, "state": lease.state.value, "lease_time": lease.lease_time,
            "expires": expires, "hostname": hostname} if self.structured_logs else None
        when = "never" if expires is None else self._when(expires)
        name = f" hostname={hostname}" if hostname else ""
        self._events.append((f"lease {event} {address} chaddr={hw} client={key} "
                             f"lease_time={lease.lease_time} expires={when}{name}", fields))

    def _when(self, expires: float) -> str:
        """``expires`` as UTC text; the leases of a batch mostly share it, so it is kept."""
        second = int(expires)
        if second != self._when_second:
            self._when_second = second
            self._when_text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        return self._when_text

    # -- the clock ------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        deadlines = [d for d in map(next_deadline, self.states) if d is not None]
        return min(deadlines) if deadlines else None

    def tick(self, now: float) -> None:
        """Run every state's clock to ``now`` (offers, leases, quarantines that ended)."""
        for index, state in enumerate(self.states):
            deadline = next_deadline(state)
            if deadline is not None and deadline <= now:
                self.states[index], actions = expire(state, now=now)
                for action in actions:
                    if isinstance(action, LeaseAction):
                        self._lease(action, index, None)

    def commit(self) -> None:
        """Make every recorded lease change durable (then the replies may go), and log them."""
        pending, events = self.detach()
        self.database.write([pending])
        self.written(events)

    def detach(self) -> tuple[Pending, Events]:
        """The batch's lease changes and log lines, handed over to be written elsewhere.

        The daemon's :class:`~.writer.Writer` writes them: ``database.write``,
        then the replies, then :meth:`written`.
        """
        events, self._events = self._events, []
        return self.database.take(), events

    def written(self, events: Events) -> None:
        """Log the lease events of a batch that is durable now.

        They go to the log as one record whose message has a line per event
        (the formatters of :mod:`.daemon` write each line with its own time
        and level prefix, or as its own JSON object): one record per batch
        costs a fraction of one per event.
        """
        self.metrics.inc(_COMMITS)
        if events:
            log.info("\n".join(text for text, _ in events), extra={"events": events})

    # -- gauges ---------------------------------------------------------------------------
    def gauges(self) -> dict[Sample, float]:
        out: dict[Sample, float] = {}
        used: dict[IPv4Network, int] = dict.fromkeys((n for n, _ in self._networks), 0)
        states: dict[str, int] = {}
        networks = self._networks
        for address, value in list(self.status.items()):
            states[value] = states.get(value, 0) + 1
            if value in _IN_USE:
                for network, _ in networks:
                    if int(network.network_address) == address & int(network.netmask):
                        used[network] += 1
                        break
        for network, size in networks:
            label = (("subnet", str(network)),)
            out[("dhcpwire_pool_addresses", label)] = size
            out[("dhcpwire_pool_used", label)] = used[network]
        for value, count in states.items():
            out[("dhcpwire_leases", (("state", value),))] = count
        return out


def _restore(config: ServerConfig, stored: Stored, index: int,
             classes: ClassTable) -> ServerState:
    """State ``index`` as the database has it: its share of the records and client index."""
    mine = [r for r in stored.records if classes.state_of(r.address) == index]
    if not mine:
        return ServerState(config=config)
    addresses = {r.address for r in mine}
    data = snapshot(ServerState(config=config))  # the format restore() reads, empty
    data["leases"] = [r.to_json() for r in mine]
    data["clients"] = {k: str(a) for k, a in stored.clients.items() if a in addresses}
    return restore(config, data)


def sent_types(outgoing: Iterable[Outgoing]) -> list[str]:
    """The message type names of ``outgoing`` (for logs and tests)."""
    return [type_name(o.send.message.options.raw_map.get(MESSAGE_TYPE)) for o in outgoing]
