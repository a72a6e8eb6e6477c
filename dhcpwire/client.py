"""The RFC 2131 client state machine (section 4.4, figure 5), sans-IO.

Rules of this module:

1. Everything that decides is in :func:`step`, a pure function:
   ``step(state, event, *, now, rng) -> (state, actions)``. It reads no
   clock, opens no socket and draws no randomness but from ``rng``; the
   same seed, events and ``now`` values replay a run exactly.
2. Which event is legal in which state is said once, by :data:`TABLE`,
   keyed by (state, event type). An event the table does not list raises
   :class:`~dhcpwire.StateError` and the state is untouched (it is an
   immutable value). :func:`transitions` and :func:`diagram` are made from
   the same table.
3. Peer noise is an ordinary output: a message with the wrong xid, chaddr or
   client identifier, or of a type unexpected in the state, gives back the
   same state and a :class:`Discard` with the reason.
4. Time is an input. The caller asks :func:`next_deadline` when to feed
   :class:`TimerFired`; deadlines come from the state, never from commands.
   A lease is never used past its expiry: an event that arrives after it
   (the caller missed the deadline) first takes the expiry transition.
5. Each rule of the RFCs is quoted above the code that carries it out.
"""

from __future__ import annotations

import dataclasses
import enum
import random
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any, Final

from . import codes
from ._client_auth import forcerenew_problem, nonce_from, sign_forcerenew
from ._client_config import DEFAULT_PARAMETER_REQUEST_LIST, ClientConfig, OfferPolicy
from ._client_lease import (
    INFINITE,
    Lease,
    lease_from_ack,
    lease_from_inform,
    option,
    server_identifier,
    usable_address,
)
from ._client_messages import decline, discover, inform, release, reply_problem, request
from .constants import MessageType
from .encoding import decode, encode
from .errors import StateError
from .message import ZERO_ADDRESS, Message

__all__ = [
    "BROADCAST",
    "DEFAULT_PARAMETER_REQUEST_LIST",
    "INFINITE",
    "MIN_V6ONLY_WAIT",
    "TABLE",
    "Action",
    "Announce",
    "Client",
    "ClientConfig",
    "ClientState",
    "Configure",
    "Deconfigure",
    "Discard",
    "Event",
    "InformRequested",
    "Lease",
    "LinkDown",
    "LinkUp",
    "MessageReceived",
    "Notify",
    "OfferPolicy",
    "Probe",
    "ProbeResult",
    "ReleaseRequested",
    "RenewRequested",
    "Rule",
    "Send",
    "Start",
    "State",
    "Stop",
    "TimerFired",
    "Transition",
    "V6OnlyWait",
    "diagram",
    "next_deadline",
    "sign_forcerenew",
    "step",
    "transitions",
]

#: The limited broadcast address, destination of every broadcast message.
BROADCAST: Final = IPv4Address("255.255.255.255")
#: RFC 8925 section 3.4: MIN_V6ONLY_WAIT, the least time to stop DHCPv4.
MIN_V6ONLY_WAIT: Final = 300


class State(enum.Enum):
    """The client's states: figure 5's eight, and six the figure leaves implicit."""

    #: Not running (before Start, after Stop or RELEASE).
    STOPPED = "STOPPED"
    INIT = "INIT"
    SELECTING = "SELECTING"
    REQUESTING = "REQUESTING"
    #: Waiting for the caller's probe of an ACKed address (RFC 2131 section 4.4.1).
    CHECKING = "CHECKING"
    BOUND = "BOUND"
    RENEWING = "RENEWING"
    REBINDING = "REBINDING"
    INIT_REBOOT = "INIT-REBOOT"
    REBOOTING = "REBOOTING"
    #: DHCPINFORM sent, waiting for the ACK (RFC 2131 section 4.4.3).
    INFORMING = "INFORMING"
    #: Configured by DHCPINFORM's ACK; no lease.
    INFORMED = "INFORMED"
    #: DHCPv4 stopped because an OFFER said IPv6-only is preferred (RFC 8925).
    V6ONLY = "V6ONLY-WAIT"
    #: The link is down; nothing is sent until LinkUp.
    LINK_DOWN = "LINK-DOWN"


# -- events: facts the caller reports -----------------------------------------------------

class Event:
    """Base class of the inputs of :func:`step`."""

    __slots__ = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Start(Event):
    """Start the client: fresh (INIT), or with a remembered lease (INIT-REBOOT).

    Without ``lease``, a lease remembered in the state (from before a Stop,
    or a saved state) is used.
    """

    lease: Lease | None = None

    def __post_init__(self) -> None:
        if self.lease is not None and self.lease.lease_time is None:
            raise ValueError("a DHCPINFORM configuration is not a lease to reboot with")
        if self.lease is not None and self.lease.server_identifier is None:
            raise ValueError("a lease to reboot with needs its server identifier")


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceived(Event):
    """A DHCP message arrived on the client port (decoded by the caller)."""

    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired(Event):
    """The deadline of :func:`next_deadline` has come."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult(Event):
    """The outcome of the :class:`Probe` the client asked for."""

    conflict: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRequested(Event):
    """Give the lease back (RFC 2131 section 4.4.6)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RenewRequested(Event):
    """Renew now, before T1 (RFC 2131 section 4.4.5: "A client MAY choose to
    renew or extend its lease prior to T1")."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InformRequested(Event):
    """Ask for parameters for an externally configured ``address`` (DHCPINFORM).

    ``server``: a known server to unicast to first (RFC 2131 section 4.4.3).
    """

    address: IPv4Address
    server: IPv4Address | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.address, IPv4Address):
            object.__setattr__(self, "address", IPv4Address(self.address))
        if self.server is not None and not isinstance(self.server, IPv4Address):
            object.__setattr__(self, "server", IPv4Address(self.server))
        if not usable_address(self.address):
            raise ValueError(f"{self.address} is not a host address")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkDown(Event):
    """The link went down: stop sending and drop the address until LinkUp."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkUp(Event):
    """The link came back: verify the lease (INIT-REBOOT) or start afresh."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop(Event):
    """Stop the client, keeping the lease in the state (no RELEASE)."""


# -- actions: commands the caller carries out ---------------------------------------------

class Action:
    """Base class of the outputs of :func:`step`."""

    __slots__ = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Send(Action):
    """Send ``message`` (encode it) from UDP port 68 to ``destination`` port 67.

    ``destination`` is :data:`BROADCAST` or a server's address; ``source`` is
    the IP source address: 0.0.0.0 before the client has an address (RFC 2131
    section 4.1: "DHCP messages broadcast by a client prior to that client
    obtaining its IP address must have the source address field in the IP
    header set to 0").
    """

    message: Message
    destination: IPv4Address
    source: IPv4Address


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe(Action):
    """Check that nobody uses ``address`` (ARP probe, sender IP 0; RFC 2131
    sections 2.2 and 4.4.1), then report :class:`ProbeResult`."""

    address: IPv4Address


@dataclass(frozen=True, slots=True, kw_only=True)
class Announce(Action):
    """Broadcast an ARP announcement for ``address`` (RFC 2131 section 4.4.1:
    "The client SHOULD broadcast an ARP reply to announce the client's new IP
    address")."""

    address: IPv4Address


@dataclass(frozen=True, slots=True, kw_only=True)
class Configure(Action):
    """Configure the interface with ``lease`` (again, with new times, after a renewal)."""

    lease: Lease


@dataclass(frozen=True, slots=True, kw_only=True)
class Deconfigure(Action):
    """Stop using ``address`` and the parameters that came with it."""

    address: IPv4Address


@dataclass(frozen=True, slots=True, kw_only=True)
class Discard(Action):
    """A message was ignored, and why (or an event had nothing to act on)."""

    reason: str
    message: Message | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class V6OnlyWait(Action):
    """RFC 8925: the network prefers IPv6-only; DHCPv4 is stopped for ``seconds``."""

    seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Notify(Action):
    """Tell the user something the RFC says they should hear about."""

    text: str


Result = tuple["ClientState", tuple[Action, ...]]

#: The states in which the lease's address is configured on the interface.
_CONFIGURED: Final = frozenset({State.BOUND, State.RENEWING, State.REBINDING})
#: The states in which a lease's expiry ends it.
_HOLDING: Final = _CONFIGURED | {State.CHECKING}


# -- the state ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class ClientState:
    """The whole of a client: its configuration, state and exchange in progress.

    Build the first one with ``ClientState(config=...)`` (STOPPED).
    """

    config: ClientConfig
    name: State = State.STOPPED
    #: The lease in use (BOUND, RENEWING, REBINDING), being checked (CHECKING),
    #: being verified (INIT-REBOOT, REBOOTING), the parameters of DHCPINFORM
    #: (INFORMED), or the last one held (to suggest its address again).
    lease: Lease | None = None
    #: The transaction of the exchange in progress.
    xid: int = 0
    #: When the exchange began: 'secs' counts from it, and lease times too.
    started_at: float | None = None
    #: 'secs' of the last DISCOVER; the REQUEST of SELECTING repeats it.
    secs: int = 0
    #: Transmissions of the current message so far.
    attempts: int = 0
    retransmit_at: float | None = None
    #: End of a wait: INIT, INIT-REBOOT (first message), V6ONLY-WAIT.
    wake_at: float | None = None
    #: The OFFER being requested (REQUESTING).
    offer: Message | None = None
    #: OFFERs collected in the selection window (SELECTING), and its end.
    offers: tuple[Message, ...] = ()
    window_end: float | None = None
    #: DHCPINFORM: the external address, and the server to ask first.
    inform_address: IPv4Address | None = None
    inform_server: IPv4Address | None = None

    @property
    def configured(self) -> bool:
        """True when the lease's address is in use on the interface."""
        return self.name in _CONFIGURED

    # -- JSON ----------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Plain JSON-safe data; :meth:`from_json` gives back an equal state.

        Times are on the caller's clock; after a restart of the host pass
        ``shift`` to :meth:`from_json`, or better, start afresh with
        ``Start(lease=saved.lease)`` (the interface lost its address).
        """
        def hexed(m: Message | None) -> str | None:
            return None if m is None else encode(m, max_size=65535).hex()
        def addr(a: IPv4Address | None) -> str | None:
            return None if a is None else str(a)
        return {
            "version": 1,
            "config": self.config.to_json(),
            "name": self.name.value,
            "lease": None if self.lease is None else self.lease.to_json(),
            "xid": self.xid,
            "started_at": self.started_at,
            "secs": self.secs,
            "attempts": self.attempts,
            "retransmit_at": self.retransmit_at,
            "wake_at": self.wake_at,
            "offer": hexed(self.offer),
            "offers": [hexed(m) for m in self.offers],
            "window_end": self.window_end,
            "inform_address": addr(self.inform_address),
            "inform_server": addr(self.inform_server),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, shift: float = 0.0) -> ClientState:
        """The state of ``to_json`` data, every time moved by ``shift`` seconds."""
        if data.get("version") != 1:
            raise ValueError(f"unknown client state version {data.get('version')!r}")
        def move(t: float | None) -> float | None:
            return None if t is None else t + shift
        def addr(a: str | None) -> IPv4Address | None:
            return None if a is None else IPv4Address(a)
        def message(h: str | None) -> Message | None:
            return None if h is None else decode(bytes.fromhex(h), strict=False)
        offers = tuple(m for m in (message(h) for h in data["offers"]) if m is not None)
        return cls(
            config=ClientConfig.from_json(data["config"]),
            name=State(data["name"]),
            lease=None if data["lease"] is None else Lease.from_json(data["lease"], shift=shift),
            xid=data["xid"],
            started_at=move(data["started_at"]),
            secs=data["secs"],
            attempts=data["attempts"],
            retransmit_at=move(data["retransmit_at"]),
            wake_at=move(data["wake_at"]),
            offer=message(data["offer"]),
            offers=offers,
            window_end=move(data["window_end"]),
            inform_address=addr(data["inform_address"]),
            inform_server=addr(data["inform_server"]),
        )


# -- deadlines ----------------------------------------------------------------------------

def next_deadline(state: ClientState) -> float | None:
    """When to feed :class:`TimerFired` next (the caller's clock), or ``None``.

    Derived from the state alone. It is never earlier than the ``now`` of the
    step that made the state, as long as the caller fires the timer when due.
    """
    name = state.name
    lease = state.lease
    if name in (State.INIT, State.INIT_REBOOT, State.V6ONLY):
        return state.wake_at
    if name in (State.REQUESTING, State.REBOOTING, State.INFORMING):
        return state.retransmit_at
    if name is State.SELECTING:
        return _earliest(state.retransmit_at, state.window_end)
    if lease is None:
        return None
    if name is State.CHECKING:
        return lease.expires_at
    if name is State.BOUND:
        return _earliest(lease.renew_at, lease.rebind_at, lease.expires_at)
    if name is State.RENEWING:
        return _earliest(state.retransmit_at, lease.rebind_at, lease.expires_at)
    if name is State.REBINDING:
        return _earliest(state.retransmit_at, lease.expires_at)
    return None


def _earliest(*times: float | None) -> float | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def _due(at: float | None, now: float) -> bool:
    return at is not None and now >= at


# -- helpers ------------------------------------------------------------------------------

def _xid(rng: random.Random) -> int:
    # RFC 2131 section 4.1: "A DHCP client MUST choose 'xid's in such a way as
    # to minimize the chance of using an 'xid' identical to one used by
    # another client." A new random xid for each exchange.
    return rng.getrandbits(32)


def _secs(state: ClientState, now: float) -> int:
    # Table 5: 'secs' is "0 or seconds since DHCP process started".
    if state.started_at is None:
        return 0
    return max(0, min(0xFFFF, int(now - state.started_at)))


def _backoff(config: ClientConfig, attempts: int, rng: random.Random) -> float:
    """The wait after the ``attempts``-th transmission.

    RFC 2131 section 4.1: "the delay before the first retransmission SHOULD
    be 4 seconds randomized by the value of a uniform random number chosen
    from the range -1 to +1 ... The delay before the next retransmission
    SHOULD be 8 seconds randomized by the value of a uniform number chosen
    from the range -1 to +1. The retransmission delay SHOULD be doubled with
    subsequent retransmissions up to a maximum of 64 seconds."
    """
    base = min(config.initial_timeout * (1 << min(attempts - 1, 30)), config.max_timeout)
    return base + rng.uniform(-config.jitter, config.jitter)


def _renewal_retry(config: ClientConfig, now: float, target: float | None) -> float:
    """RFC 2131 section 4.4.5: "In both RENEWING and REBINDING states, if the
    client receives no response to its DHCPREQUEST message, the client SHOULD
    wait one-half of the remaining time until T2 (in RENEWING state) and
    one-half of the remaining lease time (in REBINDING state), down to a
    minimum of 60 seconds, before retransmitting the DHCPREQUEST message."
    """
    if target is None:
        return now + config.renew_min_interval
    return now + max(config.renew_min_interval, (target - now) / 2)


def _kind(message: Message) -> str:
    kind = message.message_type
    if isinstance(kind, MessageType):
        return f"DHCP{kind.name}"
    return "a BOOTP message" if kind is None else f"message type {kind}"


def _discard(state: ClientState, message: Message, reason: str) -> Result:
    return state, (Discard(reason=reason, message=message),)


def _unexpected(state: ClientState, message: Message) -> Result:
    return _discard(state, message, f"{_kind(message)} is not expected in {state.name.value}")


def _quiet(state: ClientState) -> ClientState:
    """The state without an exchange in progress."""
    return dataclasses.replace(
        state, xid=0, started_at=None, secs=0, attempts=0, retransmit_at=None, wake_at=None,
        offer=None, offers=(), window_end=None)


def _server_text(message: Message) -> str:
    text = option(message.options, codes.MESSAGE)
    return f": {text!r}" if isinstance(text, str) and text else ""


def _send(message: Message, destination: IPv4Address = BROADCAST,
          source: IPv4Address = ZERO_ADDRESS) -> Send:
    return Send(message=message, destination=destination, source=source)


def _restart(state: ClientState, now: float, *, after: float = 0.0,
             keep_lease: bool = True) -> ClientState:
    """INIT, to send a DISCOVER ``after`` seconds from now."""
    return dataclasses.replace(
        _quiet(state), name=State.INIT, wake_at=now + after,
        lease=state.lease if keep_lease else None)


def _expire(state: ClientState, now: float) -> Result:
    """RFC 2131 section 4.4.5: "If the lease expires before the client
    receives a DHCPACK, the client moves to INIT state, MUST immediately stop
    any other network processing and requests network initialization
    parameters as if the client were uninitialized." Section 3.7: "If the
    lease expires before the client can contact a DHCP server, the client
    must immediately discontinue use of the previous network address and may
    inform local users of the problem."
    """
    lease = state.lease
    assert lease is not None
    actions: list[Action] = []
    if state.configured:
        actions.append(Deconfigure(address=lease.address))
    actions.append(Notify(text=f"the lease of {lease.address} expired"))
    return _restart(state, now), tuple(actions)


def _lease_expired(state: ClientState, now: float) -> bool:
    return (state.name in _HOLDING and state.lease is not None
            and state.lease.expired(now))


# -- starting exchanges -------------------------------------------------------------------

def _start_discover(state: ClientState, now: float, rng: random.Random) -> Result:
    """INIT -> SELECTING.

    RFC 2131 section 4.4.1: "The client generates and records a random
    transaction identifier and inserts that identifier into the 'xid' field.
    The client records its own local time for later use in computing the
    lease expiration. The client then broadcasts the DHCPDISCOVER on the local
    hardware broadcast address to the 0xffffffff IP broadcast address".
    "The client MAY suggest a network address": the one it last held.
    """
    xid = _xid(rng)
    previous = state.lease.address if state.lease is not None else None
    message = discover(state.config, xid=xid, secs=0, requested=previous)
    new = dataclasses.replace(
        _quiet(state), name=State.SELECTING, xid=xid, started_at=now, secs=0, attempts=1,
        retransmit_at=now + _backoff(state.config, 1, rng))
    return new, (_send(message),)


def _start_request(state: ClientState, offer: Message, now: float,
                   rng: random.Random) -> Result:
    """SELECTING -> REQUESTING.

    RFC 2131 section 3.1 step 3: "The client broadcasts a DHCPREQUEST
    message that MUST include the 'server identifier' option to indicate
    which server it has selected ... The 'requested IP address' option MUST
    be set to the value of 'yiaddr' in the DHCPOFFER message from the server
    ... the DHCPREQUEST message MUST use the same value in the DHCP message
    header's 'secs' field and be sent to the same IP broadcast address as the
    original DHCPDISCOVER message." Section 4.4.1: "The DHCPREQUEST message
    contains the same 'xid' as the DHCPOFFER message." Section 4.3.2: "'ciaddr'
    MUST be zero".
    """
    server = server_identifier(offer.options)
    message = request(state.config, xid=state.xid, secs=state.secs,
                      requested=offer.yiaddr, server=server)
    new = dataclasses.replace(
        state, name=State.REQUESTING, offer=offer, offers=(), window_end=None, attempts=1,
        retransmit_at=now + _backoff(state.config, 1, rng))
    return new, (_send(message),)


def _start_reboot(state: ClientState, now: float, rng: random.Random) -> Result:
    """INIT-REBOOT -> REBOOTING.

    RFC 2131 section 4.4.2: "The client MUST insert its known network address
    as a 'requested IP address' option in the DHCPREQUEST message ... The
    client generates and records a random transaction identifier ... The
    client MUST NOT include a 'server identifier' in the DHCPREQUEST message.
    The client then broadcasts the DHCPREQUEST". Section 3.2 step 1: "it MUST
    NOT fill in the 'ciaddr' field."
    """
    lease = state.lease
    assert lease is not None
    xid = _xid(rng)
    message = request(state.config, xid=xid, secs=0, requested=lease.address)
    new = dataclasses.replace(
        _quiet(state), name=State.REBOOTING, xid=xid, started_at=now, attempts=1,
        retransmit_at=now + _backoff(state.config, 1, rng))
    return new, (_send(message),)


def _renewal_message(state: ClientState, now: float) -> Message:
    lease = state.lease
    assert lease is not None
    # Table 4: RENEWING and REBINDING: 'server identifier' MUST NOT,
    # 'requested IP address' MUST NOT, 'ciaddr' the client's IP address.
    return request(state.config, xid=state.xid, secs=_secs(state, now), ciaddr=lease.address)


def _start_renewing(state: ClientState, now: float, rng: random.Random) -> Result:
    """BOUND -> RENEWING (T1, FORCERENEW, or the caller's wish).

    RFC 2131 section 4.4.5: "At time T1 the client moves to RENEWING state and
    sends (via unicast) a DHCPREQUEST message to the server to extend its
    lease. The client sets the 'ciaddr' field in the DHCPREQUEST to its
    current network address. The client records the local time at which the
    DHCPREQUEST message is sent for computation of the lease expiration
    time. The client MUST NOT include a 'server identifier' in the
    DHCPREQUEST message." Section 4.1: "DHCP clients MUST use the IP address
    provided in the 'server identifier' option for any unicast requests to
    the DHCP server."
    """
    lease = state.lease
    assert lease is not None
    new = dataclasses.replace(
        _quiet(state), name=State.RENEWING, xid=_xid(rng), started_at=now, attempts=1,
        retransmit_at=_renewal_retry(state.config, now, lease.rebind_at))
    destination = lease.server_identifier or BROADCAST
    return new, (_send(_renewal_message(new, now), destination, lease.address),)


def _start_rebinding(state: ClientState, now: float, rng: random.Random) -> Result:
    """BOUND or RENEWING -> REBINDING at T2.

    RFC 2131 section 4.4.5: "If no DHCPACK arrives before time T2, the client
    moves to REBINDING state and sends (via broadcast) a DHCPREQUEST message
    to extend its lease. The client sets the 'ciaddr' field in the
    DHCPREQUEST to its current network address. The client MUST NOT include
    a 'server identifier' in the DHCPREQUEST message." Section 4.3.2: "This
    message MUST be broadcast to the 0xffffffff IP broadcast address."
    Coming from RENEWING the xid stays, so a late answer to the unicast
    REQUEST is still taken.
    """
    lease = state.lease
    assert lease is not None
    base = state if state.name is State.RENEWING else dataclasses.replace(
        _quiet(state), xid=_xid(rng), started_at=now)
    new = dataclasses.replace(
        base, name=State.REBINDING, attempts=1,
        retransmit_at=_renewal_retry(state.config, now, lease.expires_at))
    return new, (_send(_renewal_message(new, now), BROADCAST, lease.address),)


def _start_inform(state: ClientState, address: IPv4Address, server: IPv4Address | None,
                  now: float, rng: random.Random) -> Result:
    """-> INFORMING.

    RFC 2131 section 4.4.3: "The client generates and records a random
    transaction identifier and inserts that identifier into the 'xid' field.
    The client places its own network address in the 'ciaddr' field ...
    The client then unicasts the DHCPINFORM to the DHCP server if it knows
    the server's address, otherwise it broadcasts the message to the limited
    (all 1s) broadcast address."
    """
    xid = _xid(rng)
    message = inform(state.config, xid=xid, secs=0, address=address)
    new = dataclasses.replace(
        _quiet(state), name=State.INFORMING, lease=None, xid=xid, started_at=now, attempts=1,
        retransmit_at=now + _backoff(state.config, 1, rng), inform_address=address,
        inform_server=server)
    return new, (_send(message, server or BROADCAST, address),)


# -- binding ------------------------------------------------------------------------------

def _enter_bound(state: ClientState, lease: Lease, now: float, rng: random.Random,
                 actions: tuple[Action, ...] = ()) -> Result:
    """-> BOUND with ``lease`` configured, or further when its times have passed.

    Figure 5: "DHCPACK / Record lease, set timers T1, T2". A lease whose T1
    or T2 has already passed (a slow probe, a remembered lease) goes on to
    RENEWING or REBINDING at once; an expired one is not used.
    """
    if lease.expired(now):
        gone = list(actions)
        old = state.lease
        if state.configured and old is not None and not any(
                isinstance(a, Deconfigure) for a in gone):
            gone.append(Deconfigure(address=old.address))
        gone.append(Notify(text=f"the lease of {lease.address} expired before it was used"))
        return _restart(dataclasses.replace(state, lease=lease), now), tuple(gone)
    bound = dataclasses.replace(_quiet(state), name=State.BOUND, lease=lease)
    actions = (*actions, Configure(lease=lease))
    if _due(lease.rebind_at, now):
        new, more = _start_rebinding(bound, now, rng)
        return new, actions + more
    if _due(lease.renew_at, now):
        new, more = _start_renewing(bound, now, rng)
        return new, actions + more
    return bound, actions


def _bind_new(state: ClientState, lease: Lease, now: float, rng: random.Random,
              actions: tuple[Action, ...] = ()) -> Result:
    """A new address: probe it first when configured to.

    RFC 2131 section 4.4.1: "The client SHOULD perform a check on the
    suggested address to ensure that the address is not already in use. For
    example, if the client is on a network that supports ARP, the client may
    issue an ARP request for the suggested request."
    """
    old = state.lease
    if old is not None and old.address != lease.address:
        # Section 4.4.5: "If the client is given a new network address, it
        # MUST NOT continue using the previous network address and SHOULD
        # notify the local users of the problem."
        actions = (*actions, Notify(text=f"{lease.address} replaces the address "
                                         f"{old.address} held before"))
    if state.config.probe and not lease.expired(now):
        new = dataclasses.replace(_quiet(state), name=State.CHECKING, lease=lease)
        return new, (*actions, Probe(address=lease.address))
    return _enter_bound(state, lease, now, rng, actions)


def _with_nonce(state: ClientState, lease: Lease, ack: Message) -> Lease:
    """RFC 6704 section 3.1.4: "The client MUST record the Forcerenew Nonce
    from any valid ACK it receives, if the ACK contains one." Section 3.1.3:
    the server "SHOULD NOT include the nonce in an ACK when responding to a
    renew unless a new nonce was generated", so an ACK without one from the
    same server keeps the nonce recorded before."""
    if not state.config.forcerenew_nonce:
        return lease
    found = nonce_from(ack)
    if found is not None:
        nonce, replay = found
        return dataclasses.replace(lease, nonce=nonce, replay=replay)
    old = state.lease
    if old is not None and old.nonce is not None and (
            old.server_identifier == lease.server_identifier):
        return dataclasses.replace(lease, nonce=old.nonce, replay=old.replay)
    return lease


def _lease_of(state: ClientState, ack: Message, server: IPv4Address | None) -> Lease | str:
    """The lease of ``ack``; ``server`` stands in for a missing option 54
    only where the client knows whom it asked (REQUESTING, RENEWING)."""
    assert state.started_at is not None
    if server is None and server_identifier(ack.options) is None:
        # Table 3 makes 'server identifier' MUST in a DHCPACK; without it the
        # lease could not be renewed by unicast (table 4, RENEWING).
        return f"{_kind(ack)} without a server identifier (option 54)"
    found = lease_from_ack(ack, bound_at=state.started_at, server=server)
    if isinstance(found, str):
        # Section 4.4.5: "T1 MUST be earlier than T2, which, in turn, MUST be
        # earlier than the time at which the client's lease will expire."
        return f"{_kind(ack)} gives no usable lease: {found}"
    return _with_nonce(state, found, ack)


def _server_mismatch(message: Message, expected: IPv4Address | None) -> str | None:
    sid = option(message.options, codes.SERVER_IDENTIFIER)
    if expected is not None and isinstance(sid, IPv4Address) and sid != expected:
        return f"{_kind(message)} from server {sid}, not {expected}"
    return None


# -- handlers: STOPPED --------------------------------------------------------------------

def _startup_delay(config: ClientConfig, rng: random.Random) -> float:
    # RFC 2131 section 4.4.1: "The client SHOULD wait a random time between
    # one and ten seconds to desynchronize the use of DHCP at startup."
    low, high = config.startup_delay
    return rng.uniform(low, high) if high > 0 else 0.0


def _stopped_start(state: ClientState, event: Start, now: float, rng: random.Random) -> Result:
    lease = event.lease or state.lease
    if lease is not None and lease.lease_time is None:
        lease = None
    wake = now + _startup_delay(state.config, rng)
    if lease is not None:
        # Section 3.2: "If a client remembers and wishes to reuse a previously
        # allocated network address, a client may choose to omit some of the
        # steps described in the previous section."
        return dataclasses.replace(_quiet(state), name=State.INIT_REBOOT, lease=lease,
                                   wake_at=wake, inform_address=None, inform_server=None), ()
    return dataclasses.replace(_quiet(state), name=State.INIT, lease=None, wake_at=wake,
                               inform_address=None, inform_server=None), ()


def _inform_requested(state: ClientState, event: InformRequested, now: float,
                      rng: random.Random) -> Result:
    return _start_inform(state, event.address, event.server, now, rng)


def _idle_timer(state: ClientState, event: TimerFired, now: float,
                rng: random.Random) -> Result:
    return state, ()


def _idle_message(state: ClientState, event: MessageReceived, now: float,
                  rng: random.Random) -> Result:
    return _discard(state, event.message,
                    f"{_kind(event.message)} while {state.name.value}: no exchange in progress")


# -- handlers: INIT, INIT-REBOOT, V6ONLY-WAIT ---------------------------------------------

def _init_timer(state: ClientState, event: TimerFired, now: float, rng: random.Random) -> Result:
    if not _due(state.wake_at, now):
        return state, ()
    return _start_discover(state, now, rng)


def _init_reboot_timer(state: ClientState, event: TimerFired, now: float,
                       rng: random.Random) -> Result:
    if not _due(state.wake_at, now):
        return state, ()
    return _start_reboot(state, now, rng)


# -- handlers: SELECTING ------------------------------------------------------------------

def _choose(state: ClientState) -> Message:
    offers = state.offers
    policy = state.config.offer_policy
    if policy is OfferPolicy.PREVIOUS and state.lease is not None:
        for offer in offers:
            if offer.yiaddr == state.lease.address:
                return offer
        for offer in offers:
            sid = server_identifier(offer.options)
            if sid == state.lease.server_identifier:
                return offer
    if policy is OfferPolicy.LONGEST_LEASE:
        def length(offer: Message) -> int:
            value = option(offer.options, codes.IP_ADDRESS_LEASE_TIME)
            return value if isinstance(value, int) else 0
        return max(offers, key=length)  # max keeps the first of equals
    return offers[0]


def _selecting_timer(state: ClientState, event: TimerFired, now: float,
                     rng: random.Random) -> Result:
    config = state.config
    if state.offers and _due(state.window_end, now):
        return _start_request(state, _choose(state), now, rng)
    if not _due(state.retransmit_at, now):
        return state, ()
    if config.discover_tries is not None and state.attempts >= config.discover_tries:
        return _restart(state, now), (
            Notify(text=f"no usable DHCPOFFER after {state.attempts} DHCPDISCOVERs; "
                        "starting again"),)
    # Section 3.1 step 3: "The client times out and retransmits the
    # DHCPDISCOVER message if the client receives no DHCPOFFER messages."
    # The xid stays (section 4.1: "A client may choose to reuse the same
    # 'xid' ... for each retransmitted message"); 'secs' counts on.
    secs = _secs(state, now)
    attempts = state.attempts + 1
    previous = state.lease.address if state.lease is not None else None
    message = discover(config, xid=state.xid, secs=secs, requested=previous)
    new = dataclasses.replace(state, secs=secs, attempts=attempts,
                              retransmit_at=now + _backoff(config, attempts, rng))
    return new, (_send(message),)


def _offer_problem(offer: Message) -> str | None:
    if server_identifier(offer.options) is None:
        # Section 4.4.1: the client "extracts the server address from the
        # 'server identifier' option in the DHCPOFFER message"; table 3 makes
        # it MUST in an OFFER. Without it there is nobody to request from.
        return "DHCPOFFER without a server identifier (option 54)"
    if not usable_address(offer.yiaddr):
        return f"DHCPOFFER of {offer.yiaddr}, not an address a host can use"
    return None


def _selecting_message(state: ClientState, event: MessageReceived, now: float,
                       rng: random.Random) -> Result:
    message = event.message
    config = state.config
    problem = reply_problem(config, message, xid=state.xid)
    if problem is not None:
        return _discard(state, message, problem)
    kind = message.message_type
    if kind == MessageType.OFFER:
        problem = _offer_problem(message)
        if problem is not None:
            return _discard(state, message, problem)
        wait = option(message.options, codes.IPV6_ONLY_PREFERRED)
        if config.ipv6_only_preferred and isinstance(wait, int):
            # RFC 8925 section 3.2: if the OFFER carries the IPv6-Only
            # Preferred option, the client SHOULD NOT request the offered
            # address and SHOULD stop the DHCPv4 configuration process for
            # V6ONLY_WAIT seconds, at least MIN_V6ONLY_WAIT (section 3.4).
            seconds = max(wait, MIN_V6ONLY_WAIT)
            new = dataclasses.replace(_quiet(state), name=State.V6ONLY, wake_at=now + seconds)
            return new, (V6OnlyWait(seconds=seconds),)
        if config.selection_window <= 0:
            # Section 4.4.1: "e.g., the first DHCPOFFER message".
            return _start_request(state, message, now, rng)
        # Section 4.4.1: "The client collects DHCPOFFER messages over a period
        # of time"; figure 5: "DHCPOFFER / Collect replies".
        window_end = state.window_end if state.window_end is not None else (
            now + config.selection_window)
        return dataclasses.replace(state, offers=(*state.offers, message),
                                   window_end=window_end), ()
    if kind == MessageType.ACK:
        if not (config.rapid_commit and codes.RAPID_COMMIT in message.options):
            # Section 4.4.1: "Any arriving DHCPACK messages must be silently
            # discarded."
            return _discard(state, message, "DHCPACK in SELECTING (no rapid commit)")
        # RFC 4039 section 3: "if the client receives a DHCPACK message with a
        # Rapid Commit option, it SHOULD process the DHCPACK immediately
        # (without waiting for additional DHCPOFFER or DHCPACK messages) and use
        # the address and configuration information contained therein."
        lease = _lease_of(state, message, None)
        if isinstance(lease, str):
            return _discard(state, message, lease)
        return _bind_new(state, lease, now, rng)
    return _unexpected(state, message)


# -- handlers: REQUESTING -----------------------------------------------------------------

def _requesting_timer(state: ClientState, event: TimerFired, now: float,
                      rng: random.Random) -> Result:
    if not _due(state.retransmit_at, now):
        return state, ()
    config = state.config
    if state.attempts >= config.request_tries:
        # Section 3.1 step 5: "If the client receives neither a DHCPACK or a
        # DHCPNAK message after employing the retransmission algorithm, the
        # client reverts to INIT state and restarts the initialization
        # process. The client SHOULD notify the user that the initialization
        # process has failed and is restarting."
        return _restart(state, now), (
            Notify(text="no answer to DHCPREQUEST; initialization failed, restarting"),)
    offer = state.offer
    assert offer is not None
    attempts = state.attempts + 1
    message = request(config, xid=state.xid, secs=state.secs, requested=offer.yiaddr,
                      server=server_identifier(offer.options))
    new = dataclasses.replace(state, attempts=attempts,
                              retransmit_at=now + _backoff(config, attempts, rng))
    return new, (_send(message),)


def _requesting_message(state: ClientState, event: MessageReceived, now: float,
                        rng: random.Random) -> Result:
    message = event.message
    config = state.config
    problem = reply_problem(config, message, xid=state.xid)
    if problem is not None:
        return _discard(state, message, problem)
    offer = state.offer
    assert offer is not None
    selected = server_identifier(offer.options)
    kind = message.message_type
    if kind in (MessageType.ACK, MessageType.NAK):
        mismatch = _server_mismatch(message, selected)
        if mismatch is not None:
            return _discard(state, message, mismatch)
    if kind == MessageType.NAK:
        # Section 3.1 step 5: "If the client receives a DHCPNAK message, the
        # client restarts the configuration process." Figure 5: REQUESTING
        # --DHCPNAK--> INIT.
        return _restart(state, now, keep_lease=False), (
            Notify(text=f"DHCPNAK from {selected}{_server_text(message)}; restarting"),)
    if kind != MessageType.ACK:
        # Figure 5: REQUESTING, "DHCPOFFER / Discard".
        return _unexpected(state, message)
    lease = _lease_of(state, message, selected)
    if isinstance(lease, str):
        return _discard(state, message, lease)
    if (config.forcerenew_nonce and codes.FORCERENEW_NONCE_CAPABLE in offer.options
            and nonce_from(message) is None):
        # RFC 6704 section 3.1.4: "If the server has indicated capability for
        # Forcerenew Nonce Authentication protocol in the DHCP OFFER and the
        # subsequent ACK received by the client while in the selecting state
        # omits a valid DHCP authentication option for the Forcerenew Nonce
        # Authentication protocol, the client MUST discard the message and
        # return to the INIT state."
        reason = "DHCPACK without the Forcerenew nonce its server offered (RFC 6704)"
        return _restart(state, now, keep_lease=False), (
            Discard(reason=reason, message=message),)
    return _bind_new(state, lease, now, rng)


# -- handlers: CHECKING -------------------------------------------------------------------

def _checking_probe(state: ClientState, event: ProbeResult, now: float,
                    rng: random.Random) -> Result:
    lease = state.lease
    assert lease is not None
    if not event.conflict:
        new, actions = _enter_bound(state, lease, now, rng)
        if new.name is State.INIT:
            return new, actions
        return new, (*actions, Announce(address=lease.address))
    # Section 4.4.1: "If the network address appears to be in use, the client
    # MUST send a DHCPDECLINE message to the server." Section 4.4.4: "the
    # client broadcasts DHCPDECLINE messages." Section 3.1 step 5: "The client
    # SHOULD wait a minimum of ten seconds before restarting the configuration
    # process to avoid excessive network traffic in case of looping."
    message = decline(state.config, xid=_xid(rng), address=lease.address,
                      server=lease.server_identifier)
    new = _restart(state, now, after=state.config.decline_backoff, keep_lease=False)
    return new, (_send(message), Notify(text=f"{lease.address} is in use; declined it"))


def _holding_timer(state: ClientState, event: TimerFired, now: float,
                   rng: random.Random) -> Result:
    if _lease_expired(state, now):
        return _expire(state, now)
    return state, ()


# -- handlers: BOUND, RENEWING, REBINDING -------------------------------------------------

def _bound_timer(state: ClientState, event: TimerFired, now: float,
                 rng: random.Random) -> Result:
    lease = state.lease
    assert lease is not None
    if lease.expired(now):
        return _expire(state, now)
    if _due(lease.rebind_at, now):
        return _start_rebinding(state, now, rng)
    if _due(lease.renew_at, now):
        # Figure 5: "T1 expires / Send DHCPREQUEST to leasing server".
        return _start_renewing(state, now, rng)
    return state, ()


def _bound_message(state: ClientState, event: MessageReceived, now: float,
                   rng: random.Random) -> Result:
    message = event.message
    if message.message_type != MessageType.FORCERENEW:
        # Figure 5: BOUND, "DHCPOFFER, DHCPACK, DHCPNAK / Discard".
        return _unexpected(state, message)
    problem = reply_problem(state.config, message, xid=None)
    if problem is not None:
        return _discard(state, message, problem)
    lease = state.lease
    assert lease is not None
    mismatch = _server_mismatch(message, lease.server_identifier)
    if mismatch is not None:
        return _discard(state, message, mismatch)
    # RFC 3203 section 6: "the FORCERENEW message MUST be authenticated ...
    # FORCERENEW messages failing the authentication should be silently
    # discarded by the client." RFC 6704 section 3.1.4 gives the check.
    problem, replay = forcerenew_problem(message, nonce=lease.nonce, replay=lease.replay)
    if problem is not None:
        return _discard(state, message, problem)
    # RFC 3203 section 2.1: "Upon receipt of the unicast FORCERENEW message,
    # the client will change its state to the RENEW state, and will then try
    # to renew its lease according to normal DHCP procedures."
    renewed = dataclasses.replace(state, lease=dataclasses.replace(lease, replay=replay))
    return _start_renewing(renewed, now, rng)


def _bound_renew(state: ClientState, event: RenewRequested, now: float,
                 rng: random.Random) -> Result:
    return _start_renewing(state, now, rng)


def _renewing_timer(state: ClientState, event: TimerFired, now: float,
                    rng: random.Random) -> Result:
    lease = state.lease
    assert lease is not None
    if lease.expired(now):
        return _expire(state, now)
    if _due(lease.rebind_at, now):
        # Figure 5: "T2 expires / Broadcast DHCPREQUEST".
        return _start_rebinding(state, now, rng)
    if not _due(state.retransmit_at, now):
        return state, ()
    new = dataclasses.replace(state, attempts=state.attempts + 1,
                              retransmit_at=_renewal_retry(state.config, now, lease.rebind_at))
    destination = lease.server_identifier or BROADCAST
    return new, (_send(_renewal_message(new, now), destination, lease.address),)


def _rebinding_timer(state: ClientState, event: TimerFired, now: float,
                     rng: random.Random) -> Result:
    lease = state.lease
    assert lease is not None
    if lease.expired(now):
        # Figure 5: REBINDING, "Lease expired / Halt network".
        return _expire(state, now)
    if not _due(state.retransmit_at, now):
        return state, ()
    new = dataclasses.replace(state, attempts=state.attempts + 1,
                              retransmit_at=_renewal_retry(state.config, now, lease.expires_at))
    return new, (_send(_renewal_message(new, now), BROADCAST, lease.address),)


def _renewal_message_received(state: ClientState, event: MessageReceived, now: float,
                              rng: random.Random) -> Result:
    message = event.message
    problem = reply_problem(state.config, message, xid=state.xid)
    if problem is not None:
        # Section 4.4.5: "Any DHCPACK messages that arrive with an 'xid' that
        # does not match the 'xid' of the client's DHCPREQUEST message are
        # silently discarded."
        return _discard(state, message, problem)
    lease = state.lease
    assert lease is not None
    kind = message.message_type
    if kind in (MessageType.ACK, MessageType.NAK) and state.name is State.RENEWING:
        mismatch = _server_mismatch(message, lease.server_identifier)
        if mismatch is not None:
            return _discard(state, message, mismatch)
    if kind == MessageType.NAK:
        # Figure 5: RENEWING and REBINDING, "DHCPNAK / Halt network" -> INIT.
        new = _restart(state, now, keep_lease=False)
        return new, (Deconfigure(address=lease.address),
                     Notify(text=f"DHCPNAK while {state.name.value}{_server_text(message)}; "
                                 f"{lease.address} is no longer ours"))
    if kind != MessageType.ACK:
        return _unexpected(state, message)
    asked = lease.server_identifier if state.name is State.RENEWING else None
    found = _lease_of(state, message, asked)
    if isinstance(found, str):
        return _discard(state, message, found)
    if found.address == lease.address:
        # Section 4.4.5: "When the client receives a DHCPACK from the server,
        # the client computes the lease expiration time as the sum of the time
        # at which the client sent the DHCPREQUEST message and the duration of
        # the lease in the DHCPACK message. The client has successfully
        # reacquired its network address, returns to BOUND state".
        return _enter_bound(state, found, now, rng)
    # Section 4.4.5: "If the client is given a new network address, it MUST
    # NOT continue using the previous network address".
    return _bind_new(state, found, now, rng, (Deconfigure(address=lease.address),))


def _release(state: ClientState, event: ReleaseRequested, now: float,
             rng: random.Random) -> Result:
    """Section 4.4.6: "If the client no longer requires use of its assigned
    network address ... the client sends a DHCPRELEASE message to the
    server." Section 4.4.4: "The client unicasts DHCPRELEASE messages to the
    server.\""""
    lease = state.lease
    assert lease is not None
    message = release(state.config, xid=_xid(rng), address=lease.address,
                      server=lease.server_identifier)
    new = dataclasses.replace(_quiet(state), name=State.STOPPED, lease=None)
    return new, (_send(message, lease.server_identifier or BROADCAST, lease.address),
                 Deconfigure(address=lease.address))


# -- handlers: REBOOTING ------------------------------------------------------------------

def _rebooting_timer(state: ClientState, event: TimerFired, now: float,
                     rng: random.Random) -> Result:
    if not _due(state.retransmit_at, now):
        return state, ()
    config = state.config
    lease = state.lease
    assert lease is not None
    if state.attempts >= config.request_tries:
        if not lease.expired(now):
            # Section 3.2 step 3: "If the client receives neither a DHCPACK or
            # a DHCPNAK message after employing the retransmission algorithm,
            # the client MAY choose to use the previously allocated network
            # address and configuration parameters for the remainder of the
            # unexpired lease. This corresponds to moving to BOUND state".
            note = Notify(text=f"no answer to DHCPREQUEST; using the remembered lease of "
                               f"{lease.address} until it expires")
            return _enter_bound(state, lease, now, rng, (note,))
        return _restart(state, now), (
            Notify(text=f"no answer to DHCPREQUEST and the lease of {lease.address} has "
                        "expired; restarting"),)
    attempts = state.attempts + 1
    message = request(config, xid=state.xid, secs=_secs(state, now), requested=lease.address)
    new = dataclasses.replace(state, attempts=attempts,
                              retransmit_at=now + _backoff(config, attempts, rng))
    return new, (_send(message),)


def _rebooting_message(state: ClientState, event: MessageReceived, now: float,
                       rng: random.Random) -> Result:
    message = event.message
    problem = reply_problem(state.config, message, xid=state.xid)
    if problem is not None:
        return _discard(state, message, problem)
    kind = message.message_type
    if kind == MessageType.NAK:
        # Section 3.2 step 3: "If the client receives a DHCPNAK message, it
        # cannot reuse its remembered network address. It must instead request
        # a new address by restarting the configuration process ... This action
        # also corresponds to the client moving to the INIT state".
        return _restart(state, now, keep_lease=False), (
            Notify(text=f"DHCPNAK{_server_text(message)}; the remembered address is "
                        "not valid here; restarting"),)
    if kind != MessageType.ACK:
        return _unexpected(state, message)
    # Section 4.4.2: "Once a DHCPACK message with an 'xid' field matching that
    # in the client's DHCPREQUEST message arrives from any server, the client
    # is initialized and moves to BOUND state." Section 3.2 step 3: "The client
    # performs a final check on the parameters (as in section 3.1)".
    lease = _lease_of(state, message, None)
    if isinstance(lease, str):
        return _discard(state, message, lease)
    return _bind_new(state, lease, now, rng)


# -- handlers: INFORMING, INFORMED --------------------------------------------------------

def _informing_timer(state: ClientState, event: TimerFired, now: float,
                     rng: random.Random) -> Result:
    if not _due(state.retransmit_at, now):
        return state, ()
    config = state.config
    address = state.inform_address
    assert address is not None
    if state.attempts >= config.inform_tries:
        # Section 4.4.3: "If the client does not receive a DHCPACK within a
        # reasonable period of time (60 seconds or 4 tries if using timeout
        # suggested in section 4.1), then it SHOULD display a message
        # informing the user of the problem, and then SHOULD begin network
        # processing using suitable defaults as per Appendix A."
        new = dataclasses.replace(_quiet(state), name=State.STOPPED, inform_address=None,
                                  inform_server=None)
        return new, (Notify(text=f"no DHCPACK to DHCPINFORM for {address}; use defaults"),)
    attempts = state.attempts + 1
    message = inform(config, xid=state.xid, secs=_secs(state, now), address=address)
    new = dataclasses.replace(state, attempts=attempts,
                              retransmit_at=now + _backoff(config, attempts, rng))
    # Section 4.4.4: "If the client receives no response to DHCP messages sent
    # to the IP address of a known DHCP server, the DHCP client reverts to
    # using the IP broadcast address."
    return new, (_send(message, BROADCAST, address),)


def _informing_message(state: ClientState, event: MessageReceived, now: float,
                       rng: random.Random) -> Result:
    message = event.message
    problem = reply_problem(state.config, message, xid=state.xid)
    if problem is not None:
        return _discard(state, message, problem)
    if message.message_type != MessageType.ACK:
        return _unexpected(state, message)
    address = state.inform_address
    assert address is not None and state.started_at is not None
    # Section 4.4.3: "Once a DHCPACK message with an 'xid' field matching that
    # in the client's DHCPINFORM message arrives from any server, the client is
    # initialized." Section 4.4: "Once the client has selected its parameters,
    # it has completed the configuration process."
    lease = lease_from_inform(message, address=address, bound_at=state.started_at)
    new = dataclasses.replace(_quiet(state), name=State.INFORMED, lease=lease)
    return new, (Configure(lease=lease),)


# -- handlers: link, stop -----------------------------------------------------------------

def _link_down(state: ClientState, event: LinkDown, now: float, rng: random.Random) -> Result:
    actions: tuple[Action, ...] = ()
    lease = state.lease
    if state.configured and lease is not None:
        actions = (Deconfigure(address=lease.address),)
    informing = state.name in (State.INFORMING, State.INFORMED)
    keep = lease if lease is not None and lease.lease_time is not None else None
    new = dataclasses.replace(
        _quiet(state), name=State.LINK_DOWN, lease=keep,
        inform_address=state.inform_address if informing else None,
        inform_server=state.inform_server if informing else None)
    return new, actions


def _link_up(state: ClientState, event: LinkUp, now: float, rng: random.Random) -> Result:
    # Section 3.7: "A client SHOULD use DHCP to reacquire or verify its IP
    # address and network parameters whenever the local network parameters
    # may have changed; e.g., at system boot time or after a disconnection
    # from the local network".
    if state.inform_address is not None:
        return _start_inform(state, state.inform_address, state.inform_server, now, rng)
    if state.lease is not None:
        return dataclasses.replace(_quiet(state), name=State.INIT_REBOOT, wake_at=now), ()
    return _restart(state, now), ()


def _stop(state: ClientState, event: Stop, now: float, rng: random.Random) -> Result:
    """Section 3.2 step 4: "the client will not normally relinquish its lease
    during a graceful shutdown": no RELEASE; the lease stays in the state for
    the next Start (INIT-REBOOT)."""
    actions: tuple[Action, ...] = ()
    lease = state.lease
    if state.configured and lease is not None:
        actions = (Deconfigure(address=lease.address),)
    keep = lease if lease is not None and lease.lease_time is not None else None
    new = dataclasses.replace(_quiet(state), name=State.STOPPED, lease=keep,
                              inform_address=None, inform_server=None)
    return new, actions


# -- the table ----------------------------------------------------------------------------

Handler = Callable[[ClientState, Any, float, random.Random], Result]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One row of :data:`TABLE`: what handles the event, and where it can lead.

    ``edges`` are (label, next state) pairs; they are the diagram's arrows
    and the complete list of states the handler may return.
    """

    handler: Handler
    edges: tuple[tuple[str, State], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """A row of :func:`transitions`: in ``state``, ``trigger`` leads to one of ``targets``."""

    state: State
    trigger: type[Event]
    targets: tuple[State, ...]
    edges: tuple[tuple[str, State], ...]


S = State
_NOOP = "timer not due"
_DISCARD = "message / discard"
_DOWN = (("link down", S.LINK_DOWN),)
_STOP = (("stop", S.STOPPED),)


def _running(state: State, timer: tuple[Handler, tuple[tuple[str, State], ...]],
             message: tuple[Handler, tuple[tuple[str, State], ...]],
             **more: tuple[Handler, tuple[tuple[str, State], ...]]
             ) -> dict[tuple[State, type[Event]], Rule]:
    rows: dict[tuple[State, type[Event]], Rule] = {
        (state, TimerFired): Rule(handler=timer[0], edges=timer[1]),
        (state, MessageReceived): Rule(handler=message[0], edges=message[1]),
        (state, Stop): Rule(handler=_stop, edges=_STOP),
        (state, LinkDown): Rule(handler=_link_down, edges=_DOWN),
    }
    events: dict[str, type[Event]] = {
        "release": ReleaseRequested, "renew": RenewRequested, "probe": ProbeResult,
        "inform": InformRequested}
    for key, (handler, edges) in more.items():
        rows[(state, events[key])] = Rule(handler=handler, edges=edges)
    return rows


_EXPIRE = ("lease expires / halt network", S.INIT)

#: The transition table: (state, event type) -> :class:`Rule`. A pair that is
#: not here is an illegal event in that state.
TABLE: Final[dict[tuple[State, type[Event]], Rule]] = {
    (S.STOPPED, Start): Rule(handler=_stopped_start, edges=(
        ("start", S.INIT), ("start with a lease", S.INIT_REBOOT))),
    (S.STOPPED, InformRequested): Rule(handler=_inform_requested, edges=(
        ("inform requested / send DHCPINFORM", S.INFORMING),)),
    (S.STOPPED, TimerFired): Rule(handler=_idle_timer, edges=((_NOOP, S.STOPPED),)),
    (S.STOPPED, MessageReceived): Rule(handler=_idle_message, edges=((_DISCARD, S.STOPPED),)),
    **_running(
        S.INIT,
        timer=(_init_timer, (("- / send DHCPDISCOVER", S.SELECTING), (_NOOP, S.INIT))),
        message=(_idle_message, ((_DISCARD, S.INIT),))),
    **_running(
        S.SELECTING,
        timer=(_selecting_timer, (
            ("window over / select offer, send DHCPREQUEST", S.REQUESTING),
            ("timeout / resend DHCPDISCOVER", S.SELECTING),
            ("out of tries / restart", S.INIT))),
        message=(_selecting_message, (
            ("DHCPOFFER / send DHCPREQUEST", S.REQUESTING),
            ("DHCPOFFER / collect replies", S.SELECTING),
            ("DHCPOFFER with option 108 / stop DHCPv4", S.V6ONLY),
            ("DHCPACK with rapid commit / probe", S.CHECKING),
            ("DHCPACK with rapid commit / record lease", S.BOUND),
            ("DHCPACK with rapid commit, T1 past", S.RENEWING),
            ("DHCPACK with rapid commit, T2 past", S.REBINDING),
            ("DHCPACK with rapid commit, expired", S.INIT),
            (_DISCARD, S.SELECTING)))),
    **_running(
        S.REQUESTING,
        timer=(_requesting_timer, (
            ("timeout / resend DHCPREQUEST", S.REQUESTING),
            ("out of tries / restart", S.INIT))),
        message=(_requesting_message, (
            ("DHCPACK / probe", S.CHECKING),
            ("DHCPACK / record lease, set timers T1, T2", S.BOUND),
            ("DHCPACK, T1 past", S.RENEWING),
            ("DHCPACK, T2 past", S.REBINDING),
            ("DHCPNAK / restart", S.INIT),
            ("DHCPACK without the offered nonce / restart", S.INIT),
            ("DHCPOFFER / discard", S.REQUESTING)))),
    **_running(
        S.CHECKING,
        timer=(_holding_timer, (_EXPIRE, (_NOOP, S.CHECKING))),
        message=(_idle_message, ((_DISCARD, S.CHECKING),)),
        probe=(_checking_probe, (
            ("no conflict / record lease, set timers T1, T2", S.BOUND),
            ("no conflict, T1 past", S.RENEWING),
            ("no conflict, T2 past", S.REBINDING),
            ("conflict / send DHCPDECLINE", S.INIT)))),
    **_running(
        S.BOUND,
        timer=(_bound_timer, (
            ("T1 expires / send DHCPREQUEST to leasing server", S.RENEWING),
            ("T2 expires / broadcast DHCPREQUEST", S.REBINDING),
            _EXPIRE, (_NOOP, S.BOUND))),
        message=(_bound_message, (
            ("DHCPOFFER, DHCPACK, DHCPNAK / discard", S.BOUND),
            ("authenticated DHCPFORCERENEW / send DHCPREQUEST", S.RENEWING))),
        release=(_release, (("release / send DHCPRELEASE", S.STOPPED),)),
        renew=(_bound_renew, (("renew requested / send DHCPREQUEST", S.RENEWING),))),
    **_running(
        S.RENEWING,
        timer=(_renewing_timer, (
            ("timeout / resend DHCPREQUEST", S.RENEWING),
            ("T2 expires / broadcast DHCPREQUEST", S.REBINDING),
            _EXPIRE)),
        message=(_renewal_message_received, (
            ("DHCPACK / record lease, set timers T1, T2", S.BOUND),
            ("DHCPACK, new address / probe", S.CHECKING),
            ("DHCPACK, T1 past", S.RENEWING),
            ("DHCPACK, T2 past", S.REBINDING),
            ("DHCPNAK / halt network", S.INIT),
            (_DISCARD, S.RENEWING))),
        release=(_release, (("release / send DHCPRELEASE", S.STOPPED),))),
    **_running(
        S.REBINDING,
        timer=(_rebinding_timer, (("timeout / resend DHCPREQUEST", S.REBINDING), _EXPIRE)),
        message=(_renewal_message_received, (
            ("DHCPACK / record lease, set timers T1, T2", S.BOUND),
            ("DHCPACK, new address / probe", S.CHECKING),
            ("DHCPACK, T1 past", S.RENEWING),
            ("DHCPACK, T2 past", S.REBINDING),
            ("DHCPNAK / halt network", S.INIT),
            (_DISCARD, S.REBINDING))),
        release=(_release, (("release / send DHCPRELEASE", S.STOPPED),))),
    **_running(
        S.INIT_REBOOT,
        timer=(_init_reboot_timer, (
            ("- / send DHCPREQUEST", S.REBOOTING), (_NOOP, S.INIT_REBOOT))),
        message=(_idle_message, ((_DISCARD, S.INIT_REBOOT),))),
    **_running(
        S.REBOOTING,
        timer=(_rebooting_timer, (
            ("timeout / resend DHCPREQUEST", S.REBOOTING),
            ("out of tries / use the remembered lease", S.BOUND),
            ("out of tries, T1 past", S.RENEWING),
            ("out of tries, T2 past", S.REBINDING),
            ("out of tries, lease expired / restart", S.INIT))),
        message=(_rebooting_message, (
            ("DHCPACK / probe", S.CHECKING),
            ("DHCPACK / record lease, set timers T1, T2", S.BOUND),
            ("DHCPACK, T1 past", S.RENEWING),
            ("DHCPACK, T2 past", S.REBINDING),
            ("DHCPNAK / restart", S.INIT),
            (_DISCARD, S.REBOOTING)))),
    **_running(
        S.INFORMING,
        timer=(_informing_timer, (
            ("timeout / resend DHCPINFORM", S.INFORMING),
            ("out of tries / use defaults", S.STOPPED))),
        message=(_informing_message, (
            ("DHCPACK / configure", S.INFORMED), (_DISCARD, S.INFORMING)))),
    **_running(
        S.INFORMED,
        timer=(_idle_timer, ((_NOOP, S.INFORMED),)),
        message=(_idle_message, ((_DISCARD, S.INFORMED),)),
        inform=(_inform_requested, (("inform requested / send DHCPINFORM", S.INFORMING),))),
    **_running(
        S.V6ONLY,
        timer=(_init_timer, (
            ("V6ONLY_WAIT over / send DHCPDISCOVER", S.SELECTING), (_NOOP, S.V6ONLY))),
        message=(_idle_message, ((_DISCARD, S.V6ONLY),))),
    (S.LINK_DOWN, LinkUp): Rule(handler=_link_up, edges=(
        ("link up / verify the lease", S.INIT_REBOOT), ("link up", S.INIT),
        ("link up / send DHCPINFORM", S.INFORMING))),
    (S.LINK_DOWN, TimerFired): Rule(handler=_idle_timer, edges=((_NOOP, S.LINK_DOWN),)),
    (S.LINK_DOWN, MessageReceived): Rule(handler=_idle_message,
                                         edges=((_DISCARD, S.LINK_DOWN),)),
    (S.LINK_DOWN, Stop): Rule(handler=_stop, edges=_STOP),
}
del S


# -- the core -----------------------------------------------------------------------------

def step(state: ClientState, event: Event, *, now: float, rng: random.Random) -> Result:
    """Feed ``event`` at time ``now``; get the next state and the actions to carry out.

    ``now`` is the caller's monotonic clock in seconds; ``rng`` is the only
    source of randomness (xids, jitter, the start-up delay), so the same
    seed with the same events and ``now`` values replays a run exactly.
    Raises :class:`~dhcpwire.StateError` when ``event`` is not legal in the
    state (see :data:`TABLE`); nothing changes then.
    """
    now = float(now)
    before: tuple[Action, ...] = ()
    if not isinstance(event, TimerFired) and _lease_expired(state, now):
        # Rule 4 of this module: the caller missed the expiry deadline; the
        # lease ends before anything else happens.
        state, before = _expire(state, now)
    rule = TABLE.get((state.name, type(event)))
    if rule is None:
        raise StateError(f"{type(event).__name__} is not allowed in state {state.name.value}")
    new, actions = rule.handler(state, event, now, rng)
    return new, before + actions


def transitions() -> tuple[Transition, ...]:
    """Every row of :data:`TABLE`: state, trigger, the states it can lead to."""
    rows = []
    for (state, trigger), rule in TABLE.items():
        targets = tuple(dict.fromkeys(target for _, target in rule.edges))
        rows.append(Transition(state=state, trigger=trigger, targets=targets, edges=rule.edges))
    return tuple(rows)


def diagram() -> str:
    """Figure 5 as a Mermaid ``stateDiagram-v2``, drawn from :data:`TABLE`.

    Arrows between the same two states are merged. Stop and LinkDown (legal
    in every running state), timers that are not due and messages simply
    discarded are left out so the figure stays readable; :func:`transitions`
    lists them all.
    """
    def ident(state: State) -> str:
        return state.name
    lines = ["stateDiagram-v2"]
    lines.extend(f'    state "{s.value}" as {ident(s)}' for s in State if s.value != s.name)
    lines.append(f"    [*] --> {ident(State.STOPPED)}")
    arrows: dict[tuple[State, State], list[str]] = {}
    for row in transitions():
        if row.trigger in (Stop, LinkDown):
            continue
        for label, target in row.edges:
            if label in (_NOOP, _DISCARD):
                continue
            labels = arrows.setdefault((row.state, target), [])
            if label not in labels:
                labels.append(label)
    for (source, target), labels in arrows.items():
        lines.append(f"    {ident(source)} --> {ident(target)}: {'; '.join(labels)}")
    lines.append("    note right of LINK_DOWN : Stop and LinkDown lead here from every state")
    return "\n".join(lines) + "\n"


# -- the convenience class ----------------------------------------------------------------

class Client:
    """A client holding its state and random generator; a thin shell over :func:`step`.

    >>> import random
    >>> from dhcpwire.client import Client, ClientConfig, Start, TimerFired
    >>> c = Client(ClientConfig(chaddr=bytes.fromhex("02005e105301"), startup_delay=(0, 0)),
    ...            rng=random.Random(7))
    >>> c.handle(Start(), now=0.0)
    ()
    >>> c.next_deadline()
    0.0
    >>> [type(a).__name__ for a in c.handle(TimerFired(), now=0.0)]
    ['Send']
    >>> c.state.name
    <State.SELECTING: 'SELECTING'>
    """

    def __init__(self, config: ClientConfig | None = None, *, state: ClientState | None = None,
                 rng: random.Random | None = None) -> None:
        if state is None:
            if config is None:
                raise TypeError("Client needs a config or a state")
            state = ClientState(config=config)
        self._state = state
        self._rng = rng if rng is not None else random.Random()

    @property
    def state(self) -> ClientState:
        return self._state

    def handle(self, event: Event, now: float) -> tuple[Action, ...]:
        """Step the machine; the state is kept only when the step succeeds."""
        self._state, actions = step(self._state, event, now=now, rng=self._rng)
        return actions

    def next_deadline(self) -> float | None:
        return next_deadline(self._state)

    def to_json(self) -> dict[str, Any]:
        return self._state.to_json()
