"""The client's handlers: what each event means in each state.

Each handler takes ``(state, record, event, now, rng)`` -- ``record`` is
``state.record``, of the one record type of that state -- and returns an
:data:`~dhcpwire.client.exchanges.Outcome`: a move named by its trigger, a
``Discard``, or ``None``. :data:`HANDLERS` says which handler takes which
(state, event type); :data:`~dhcpwire.client.table.TABLE` alone says where
a trigger leads. The RFC's rule is quoted above the code that carries it out.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any, Final, TypeVar

from ..protocol.actions import BROADCAST
from ..protocol.rfc6704 import forcerenew_problem
from ..wire.constants import MessageType
from ..wire.message import Message
from .actions import Configure, Deconfigure, Notify, Send, V6OnlyWait
from .config import ClientConfig, OfferPolicy
from .events import (
    Event,
    InformRequested,
    LinkDown,
    LinkUp,
    MessageReceived,
    ProbeResult,
    ReleaseRequested,
    RenewRequested,
    Start,
    Stop,
    TimerFired,
)
from .exchanges import (
    Move,
    Outcome,
    ack_move,
    backoff,
    bind_move,
    discard,
    discover_move,
    expire_move,
    inform_move,
    moved,
    new_xid,
    rebind_move,
    renew_move,
    renewal_retry,
    renewal_send,
    request_move,
    restart_move,
    secs_since,
    send,
    setback_move,
    startup_delay,
    stop_move,
    unexpected,
)
from .lease import Lease
from .messages import decline, discover, inform, release, request
from .records import (
    Bound,
    Checking,
    Detached,
    Informed,
    Informing,
    Init,
    InitReboot,
    Rebinding,
    Rebooting,
    Renewing,
    Requesting,
    Selecting,
    State,
    Stopped,
    V6Only,
)
from .replies import Offer, Reply, kind_text, read_inform_ack, read_lease, read_offer, read_reply
from .state import ClientState
from .table import RUNNING, Trigger

__all__ = ["HANDLERS", "MIN_V6ONLY_WAIT", "Handler"]

#: RFC 8925 section 3.4: "MIN_V6ONLY_WAIT ... 300 seconds".
MIN_V6ONLY_WAIT: Final = 300

Handler = Callable[[ClientState, Any, Any, float, random.Random], Outcome]
#: A record of a transaction in progress.
RecordT = TypeVar("RecordT", Selecting, Requesting, Rebooting, Informing)


def _due(at: float | None, now: float) -> bool:
    return at is not None and now >= at


def _idle_message(state: ClientState, record: object, event: MessageReceived, now: float,
                  rng: random.Random) -> Outcome:
    message = event.message
    return discard(message, f"{kind_text(message)} while {state.phase.value}: "
                            "no exchange in progress")


def _nothing(state: ClientState, record: object, event: TimerFired, now: float,
             rng: random.Random) -> Outcome:
    return None


# -- STOPPED, INIT, V6ONLY-WAIT, INIT-REBOOT ----------------------------------------------

def _start(state: ClientState, record: Stopped, event: Start, now: float,
           rng: random.Random) -> Outcome:
    lease = event.lease or record.previous
    wake = now + startup_delay(state.config, rng)
    # A new run starts without the setbacks of the last one.
    if lease is not None and lease.held:
        # Section 3.2: "If a client remembers and wishes to reuse a previously
        # allocated network address, a client may choose to omit some of the
        # steps described in the previous section."
        return Move(Trigger.START_WITH_LEASE,
                    moved(state, InitReboot(lease=lease, wake_at=wake), setbacks=0))
    return Move(Trigger.START, moved(state, Init(wake_at=wake), setbacks=0))


def _inform(state: ClientState, record: object, event: InformRequested, now: float,
            rng: random.Random) -> Outcome:
    return inform_move(state, Trigger.INFORM, event, now, rng)


def _wake(state: ClientState, record: Init | V6Only, event: TimerFired, now: float,
          rng: random.Random) -> Outcome:
    if not _due(record.wake_at, now):
        return None
    return discover_move(state, now, rng, record.previous)


def _reboot(state: ClientState, record: InitReboot, event: TimerFired, now: float,
            rng: random.Random) -> Outcome:
    """INIT-REBOOT -> REBOOTING.

    RFC 2131 section 4.4.2: "The client MUST insert its known network address
    as a 'requested IP address' option in the DHCPREQUEST message ... The
    client generates and records a random transaction identifier ... The
    client MUST NOT include a 'server identifier' in the DHCPREQUEST message.
    The client then broadcasts the DHCPREQUEST". Section 3.2 step 1: "it MUST
    NOT fill in the 'ciaddr' field."
    """
    if not _due(record.wake_at, now):
        return None
    xid = new_xid(rng)
    message = request(state.config, state="INIT-REBOOT", xid=xid, secs=0,
                      address=record.lease.address)
    new = Rebooting(xid=xid, sent_at=now, attempts=1,
                    retransmit_at=now + backoff(state.config, 1, rng), lease=record.lease)
    return Move(Trigger.REBOOT, moved(state, new), (send(message),))


# -- SELECTING ----------------------------------------------------------------------------

def _choose(record: Selecting, offers: tuple[Offer, ...], policy: OfferPolicy) -> Offer:
    previous = record.previous
    if policy is OfferPolicy.PREVIOUS and previous is not None:
        for offer in offers:
            if offer.address == previous.address:
                return offer
        for offer in offers:
            if offer.server == previous.server_identifier:
                return offer
    if policy is OfferPolicy.LONGEST_LEASE:
        return max(offers, key=lambda o: o.lease_time or 0)  # max keeps the first of equals
    return offers[0]


def _selecting_timer(state: ClientState, record: Selecting, event: TimerFired, now: float,
                     rng: random.Random) -> Outcome:
    config = state.config
    if record.offers and _due(record.window_end, now):
        # Section 4.4.1: the client "selects one DHCPOFFER message from the
        # (possibly many) incoming DHCPOFFER messages".
        return request_move(state, record, _choose(record, record.offers, config.offer_policy),
                            now, rng)
    if not _due(record.retransmit_at, now):
        return None
    if config.discover_tries is not None and record.attempts >= config.discover_tries:
        return restart_move(state, Trigger.OUT_OF_TRIES, now, previous=record.previous,
                            actions=(Notify(text=f"no usable DHCPOFFER after {record.attempts} "
                                                 "DHCPDISCOVERs; starting again"),))
    # Section 3.1 step 3: "The client times out and retransmits the
    # DHCPDISCOVER message if the client receives no DHCPOFFER messages."
    # The xid stays (section 4.1: "A client may choose to reuse the same
    # 'xid' ... for each retransmitted message"); 'secs' counts on.
    secs = secs_since(record.sent_at, now)
    previous = record.previous
    message = discover(config, xid=record.xid, secs=secs,
                       requested=None if previous is None else previous.address)
    new = dataclasses.replace(_again(record, config, now, rng), secs=secs)
    return Move(Trigger.RETRANSMIT, moved(state, new), (send(message),))


def _again(record: RecordT, config: ClientConfig, now: float, rng: random.Random) -> RecordT:
    """``record`` after one more transmission (RFC 2131 section 4.1's backoff)."""
    attempts = record.attempts + 1
    return dataclasses.replace(record, attempts=attempts,
                               retransmit_at=now + backoff(config, attempts, rng))


def _selecting_message(state: ClientState, record: Selecting, event: MessageReceived,
                       now: float, rng: random.Random) -> Outcome:
    config = state.config
    reply = read_reply(config, event.message, xid=record.xid)
    if isinstance(reply, str):
        return discard(event.message, reply)
    message = reply.message
    if reply.kind == MessageType.OFFER:
        offer = read_offer(config, reply)
        if isinstance(offer, str):
            return discard(message, offer)
        if offer.v6only_wait is not None:
            # RFC 8925 section 3.2: if the OFFER carries the IPv6-Only
            # Preferred option, the client SHOULD NOT request the offered
            # address and SHOULD stop the DHCPv4 configuration process for
            # V6ONLY_WAIT seconds, at least MIN_V6ONLY_WAIT (section 3.4).
            seconds = max(offer.v6only_wait, MIN_V6ONLY_WAIT)
            return Move(Trigger.V6ONLY,
                        moved(state, V6Only(wake_at=now + seconds, previous=record.previous)),
                        (V6OnlyWait(seconds=seconds),))
        if config.selection_window <= 0:
            # Section 4.4.1: "e.g., the first DHCPOFFER message".
            return request_move(state, record, offer, now, rng)
        # Section 4.4.1: "The client collects DHCPOFFER messages over a period
        # of time"; figure 5: "DHCPOFFER / Collect replies".
        window_end = record.window_end if record.window_end is not None else (
            now + config.selection_window)
        new = dataclasses.replace(record, offers=(*record.offers, offer), window_end=window_end)
        return Move(Trigger.OFFER_COLLECTED, moved(state, new))
    if reply.kind == MessageType.ACK:
        if not (config.rapid_commit and _has_rapid_commit(message)):
            # Section 4.4.1: "Any arriving DHCPACK messages must be silently
            # discarded."
            return discard(message, "DHCPACK in SELECTING (no rapid commit)")
        # RFC 4039 section 3: "if the client receives a DHCPACK message with a
        # Rapid Commit option, it SHOULD process the DHCPACK immediately
        # (without waiting for additional DHCPOFFER or DHCPACK messages) and use
        # the address and configuration information contained therein." The
        # DISCOVER is the request it answers: the lease counts from its first
        # transmission.
        lease = read_lease(config, reply, sent_at=record.sent_at, asked=None,
                           previous=record.previous)
        if isinstance(lease, str):
            return discard(message, lease)
        return ack_move(state, lease, message, now)
    return unexpected(state, message)


def _has_rapid_commit(message: Message) -> bool:
    return 80 in message.options


# -- REQUESTING ---------------------------------------------------------------------------

def _requesting_timer(state: ClientState, record: Requesting, event: TimerFired, now: float,
                      rng: random.Random) -> Outcome:
    if not _due(record.retransmit_at, now):
        return None
    config = state.config
    if record.attempts >= config.request_tries:
        # Section 3.1 step 5: "If the client receives neither a DHCPACK or a
        # DHCPNAK message after employing the retransmission algorithm, the
        # client reverts to INIT state and restarts the initialization
        # process. The client SHOULD notify the user that the initialization
        # process has failed and is restarting." A server that offers but
        # never acknowledges is a setback: the restarts space out.
        return setback_move(state, Trigger.OUT_OF_TRIES, now, rng, actions=(
            Notify(text="no answer to DHCPREQUEST; initialization failed, restarting"),))
    offer = record.offer
    message = request(config, state="SELECTING", xid=record.xid, secs=record.secs,
                      address=offer.address, server=offer.server)
    return Move(Trigger.RETRANSMIT, moved(state, _again(record, config, now, rng)),
                (send(message),))


def _server_mismatch(reply: Reply, expected: Any) -> str | None:
    if expected is not None and reply.server is not None and reply.server != expected:
        return f"{kind_text(reply.message)} from server {reply.server}, not {expected}"
    return None


def _server_text(reply: Reply) -> str:
    return f": {reply.text!r}" if reply.text else ""


def _requesting_message(state: ClientState, record: Requesting, event: MessageReceived,
                        now: float, rng: random.Random) -> Outcome:
    config = state.config
    reply = read_reply(config, event.message, xid=record.xid)
    if isinstance(reply, str):
        return discard(event.message, reply)
    message = reply.message
    offer = record.offer
    if reply.kind not in (MessageType.ACK, MessageType.NAK):
        # Figure 5: REQUESTING, "DHCPOFFER / Discard".
        return unexpected(state, message)
    mismatch = _server_mismatch(reply, offer.server)
    if mismatch is not None:
        return discard(message, mismatch)
    if reply.kind == MessageType.NAK:
        # Section 3.1 step 5: "If the client receives a DHCPNAK message, the
        # client restarts the configuration process." Figure 5: REQUESTING
        # --DHCPNAK--> INIT, after the wait that grows with each setback.
        return setback_move(state, Trigger.NAK, now, rng, actions=(
            Notify(text=f"DHCPNAK from {offer.server}{_server_text(reply)}; restarting"),))
    lease = read_lease(config, reply, sent_at=record.sent_at, asked=offer.server,
                       previous=record.previous)
    if isinstance(lease, str):
        return discard(message, lease)
    if offer.nonce_capable and lease.nonce is None:
        # RFC 6704 section 3.1.4: "If the server has indicated capability for
        # Forcerenew Nonce Authentication protocol in the DHCP OFFER and the
        # subsequent ACK received by the client while in the selecting state
        # omits a valid DHCP authentication option for the Forcerenew Nonce
        # Authentication protocol, the client MUST discard the message and
        # return to the INIT state."
        reason = "DHCPACK without the Forcerenew nonce its server offered (RFC 6704)"
        return setback_move(state, Trigger.NONCE_MISSING, now, rng,
                            actions=(discard(message, reason),))
    return ack_move(state, lease, message, now)


# -- CHECKING -----------------------------------------------------------------------------

def _checking_probe(state: ClientState, record: Checking, event: ProbeResult, now: float,
                    rng: random.Random) -> Outcome:
    lease = record.lease
    if not event.conflict:
        return bind_move(state, Trigger.PROBE_CLEAR, lease, announce=True)
    # Section 4.4.1: "If the network address appears to be in use, the client
    # MUST send a DHCPDECLINE message to the server." Section 4.4.4: "the
    # client broadcasts DHCPDECLINE messages." Section 3.1 step 5: "The client
    # SHOULD wait a minimum of ten seconds before restarting the configuration
    # process to avoid excessive network traffic in case of looping."
    message = decline(state.config, xid=new_xid(rng), address=lease.address,
                      server=lease.server_identifier)
    return setback_move(state, Trigger.PROBE_CONFLICT, now, rng,
                        least=state.config.decline_backoff,
                        actions=(send(message),
                                 Notify(text=f"{lease.address} is in use; declined it")))


def _lease_timer(state: ClientState, record: Checking | Bound | Renewing | Rebinding,
                 event: TimerFired, now: float, rng: random.Random) -> Outcome:
    """CHECKING, BOUND, RENEWING, REBINDING: the lease's own times first.

    The latest of them that is due wins (a late caller goes straight to
    where the lease is now): figure 5's "Lease expired / Halt network",
    "T2 expires / Broadcast DHCPREQUEST", "T1 expires / Send DHCPREQUEST to
    leasing server".
    """
    lease = record.lease
    if lease.expired(now):
        return expire_move(state, lease, now)
    if isinstance(record, Checking):
        return None
    if isinstance(record, (Bound, Renewing)) and _due(lease.rebind_at, now):
        return rebind_move(state, lease, now, rng)
    if isinstance(record, Bound):
        if _due(lease.renew_at, now):
            return renew_move(state, Trigger.T1, lease, now, rng)
        return None
    if not _due(record.retransmit_at, now):
        return None
    target = lease.rebind_at if isinstance(record, Renewing) else lease.expires_at
    new = dataclasses.replace(record, attempts=record.attempts + 1,
                              retransmit_at=renewal_retry(state.config, now, target))
    return Move(Trigger.RETRANSMIT, moved(state, new), (renewal_send(state.config, new, now),))


# -- BOUND, RENEWING, REBINDING -----------------------------------------------------------

def _bound_message(state: ClientState, record: Bound, event: MessageReceived, now: float,
                   rng: random.Random) -> Outcome:
    message = event.message
    reply = read_reply(state.config, message, xid=None)
    if isinstance(reply, str):
        return discard(message, reply)
    if reply.kind != MessageType.FORCERENEW:
        # Figure 5: BOUND, "DHCPOFFER, DHCPACK, DHCPNAK / Discard".
        return unexpected(state, message)
    lease = record.lease
    mismatch = _server_mismatch(reply, lease.server_identifier)
    if mismatch is not None:
        return discard(message, mismatch)
    # RFC 3203 section 6: "the FORCERENEW message MUST be authenticated ...
    # FORCERENEW messages failing the authentication should be silently
    # discarded by the client." RFC 6704 section 3.1.4 gives the check.
    problem, replay = forcerenew_problem(message, nonce=lease.nonce, replay=lease.replay)
    if problem is not None:
        return discard(message, problem)
    # RFC 3203 section 2.1: "Upon receipt of the unicast FORCERENEW message,
    # the client will change its state to the RENEW state, and will then try
    # to renew its lease according to normal DHCP procedures."
    return renew_move(state, Trigger.FORCERENEW, _replace_replay(lease, replay), now, rng)


def _replace_replay(lease: Lease, replay: int | None) -> Lease:
    return dataclasses.replace(lease, replay=replay)


def _renew(state: ClientState, record: Bound, event: RenewRequested, now: float,
           rng: random.Random) -> Outcome:
    # Section 4.4.5: "A client MAY choose to renew or extend its lease prior to T1."
    return renew_move(state, Trigger.RENEW, record.lease, now, rng)


def _renewal_message(state: ClientState, record: Renewing | Rebinding, event: MessageReceived,
                     now: float, rng: random.Random) -> Outcome:
    config = state.config
    reply = read_reply(config, event.message, xid=record.xid)
    if isinstance(reply, str):
        # Section 4.4.5: "Any DHCPACK messages that arrive with an 'xid' that
        # does not match the 'xid' of the client's DHCPREQUEST message are
        # silently discarded."
        return discard(event.message, reply)
    message = reply.message
    lease = record.lease
    if reply.kind not in (MessageType.ACK, MessageType.NAK):
        return unexpected(state, message)
    renewing = isinstance(record, Renewing)
    if renewing:
        mismatch = _server_mismatch(reply, lease.server_identifier)
        if mismatch is not None:
            return discard(message, mismatch)
    if reply.kind == MessageType.NAK:
        # Figure 5: RENEWING and REBINDING, "DHCPNAK / Halt network" -> INIT.
        return setback_move(state, Trigger.NAK, now, rng, actions=(
            Deconfigure(address=lease.address),
            Notify(text=f"DHCPNAK while {state.phase.value}{_server_text(reply)}; "
                        f"{lease.address} is no longer ours")))
    # Section 4.4.5: "When the client receives a DHCPACK from the server, the
    # client computes the lease expiration time as the sum of the time at
    # which the client sent the DHCPREQUEST message and the duration of the
    # lease in the DHCPACK message. The client has successfully reacquired
    # its network address, returns to BOUND state". The REQUEST it answers
    # carries this exchange's xid: its first transmission is 'sent_at'.
    found = read_lease(config, reply, sent_at=record.sent_at,
                       asked=lease.server_identifier if renewing else None, previous=lease)
    if isinstance(found, str):
        return discard(message, found)
    return ack_move(state, found, message, now)


def _release(state: ClientState, record: Bound | Renewing | Rebinding, event: ReleaseRequested,
             now: float, rng: random.Random) -> Outcome:
    """Section 4.4.6: "If the client no longer requires use of its assigned
    network address ... the client sends a DHCPRELEASE message to the
    server." Section 4.4.4: "The client unicasts DHCPRELEASE messages to the
    server.\""""
    lease = record.lease
    message = release(state.config, xid=new_xid(rng), address=lease.address,
                      server=lease.server_identifier)
    actions: tuple[Send | Deconfigure, ...] = (
        send(message, lease.server_identifier or BROADCAST, lease.address),
        Deconfigure(address=lease.address))
    return Move(Trigger.RELEASE, moved(state, Stopped()), actions)


# -- REBOOTING ----------------------------------------------------------------------------

def _rebooting_timer(state: ClientState, record: Rebooting, event: TimerFired, now: float,
                     rng: random.Random) -> Outcome:
    if not _due(record.retransmit_at, now):
        return None
    config = state.config
    lease = record.lease
    if record.attempts >= config.request_tries:
        if lease.expired(now):
            return restart_move(state, Trigger.LEASE_EXPIRED, now, previous=lease, actions=(
                Notify(text=f"no answer to DHCPREQUEST and the lease of {lease.address} has "
                            "expired; restarting"),))
        # Section 3.2 step 3: "If the client receives neither a DHCPACK or a
        # DHCPNAK message after employing the retransmission algorithm, the
        # client MAY choose to use the previously allocated network address
        # and configuration parameters for the remainder of the unexpired
        # lease. This corresponds to moving to BOUND state".
        return bind_move(state, Trigger.OUT_OF_TRIES, lease, (
            Notify(text=f"no answer to DHCPREQUEST; using the remembered lease of "
                        f"{lease.address} until it expires"),))
    message = request(config, state="INIT-REBOOT", xid=record.xid,
                      secs=secs_since(record.sent_at, now), address=lease.address)
    return Move(Trigger.RETRANSMIT, moved(state, _again(record, config, now, rng)),
                (send(message),))


def _rebooting_message(state: ClientState, record: Rebooting, event: MessageReceived,
                       now: float, rng: random.Random) -> Outcome:
    config = state.config
    reply = read_reply(config, event.message, xid=record.xid)
    if isinstance(reply, str):
        return discard(event.message, reply)
    message = reply.message
    if reply.kind == MessageType.NAK:
        # Section 3.2 step 3: "If the client receives a DHCPNAK message, it
        # cannot reuse its remembered network address. It must instead request
        # a new address by restarting the configuration process ... This action
        # also corresponds to the client moving to the INIT state". A NAK here
        # says the network changed: the DISCOVER goes at once (systemd-networkd
        # does the same), and it is no setback.
        return restart_move(state, Trigger.NAK, now, actions=(
            Notify(text=f"DHCPNAK{_server_text(reply)}; the remembered address is not "
                        "valid here; restarting"),))
    if reply.kind != MessageType.ACK:
        return unexpected(state, message)
    # Section 4.4.2: "Once a DHCPACK message with an 'xid' field matching that
    # in the client's DHCPREQUEST message arrives from any server, the client
    # is initialized and moves to BOUND state. The client records the lease
    # expiration time as the sum of the time at which the DHCPREQUEST message
    # was sent and the duration of the lease from the DHCPACK message."
    lease = read_lease(config, reply, sent_at=record.sent_at, asked=None, previous=record.lease)
    if isinstance(lease, str):
        return discard(message, lease)
    return ack_move(state, lease, message, now)


# -- INFORMING, INFORMED ------------------------------------------------------------------

def _informing_timer(state: ClientState, record: Informing, event: TimerFired, now: float,
                     rng: random.Random) -> Outcome:
    if not _due(record.retransmit_at, now):
        return None
    config = state.config
    if record.attempts >= config.inform_tries:
        # Section 4.4.3: "If the client does not receive a DHCPACK within a
        # reasonable period of time (60 seconds or 4 tries if using timeout
        # suggested in section 4.1), then it SHOULD display a message
        # informing the user of the problem, and then SHOULD begin network
        # processing using suitable defaults as per Appendix A."
        return Move(Trigger.OUT_OF_TRIES, moved(state, Stopped()), (
            Notify(text=f"no DHCPACK to DHCPINFORM for {record.address}; use defaults"),))
    message = inform(config, xid=record.xid, secs=secs_since(record.sent_at, now),
                     address=record.address)
    new = _again(record, config, now, rng)
    # Section 4.4.4: "If the client receives no response to DHCP messages sent
    # to the IP address of a known DHCP server, the DHCP client reverts to
    # using the IP broadcast address."
    return Move(Trigger.RETRANSMIT, moved(state, new), (send(message, BROADCAST, record.address),))


def _informing_message(state: ClientState, record: Informing, event: MessageReceived,
                       now: float, rng: random.Random) -> Outcome:
    reply = read_reply(state.config, event.message, xid=record.xid)
    if isinstance(reply, str):
        return discard(event.message, reply)
    if reply.kind != MessageType.ACK:
        return unexpected(state, reply.message)
    # Section 4.4.3: "Once a DHCPACK message with an 'xid' field matching that
    # in the client's DHCPINFORM message arrives from any server, the client is
    # initialized." Section 4.4: "Once the client has selected its parameters,
    # it has completed the configuration process."
    found = read_inform_ack(reply, address=record.address, bound_at=record.sent_at)
    if isinstance(found, str):
        return discard(reply.message, found)
    return Move(Trigger.INFORM_ACK, moved(state, Informed(address=record.address,
                                                          server=record.server,
                                                          configuration=found)),
                (Configure(lease=found),))


# -- link, stop ---------------------------------------------------------------------------

def _resume(state: ClientState) -> Lease | InformRequested | None:
    record = state.record
    if isinstance(record, (Informing, Informed)):
        return InformRequested(address=record.address, server=record.server)
    lease = state.lease
    return lease if lease is not None and lease.held else None


def _link_down(state: ClientState, record: object, event: LinkDown, now: float,
               rng: random.Random) -> Outcome:
    return stop_move(state, Trigger.LINK_DOWN, Detached(resume=_resume(state)))


def _link_up(state: ClientState, record: Detached, event: LinkUp, now: float,
             rng: random.Random) -> Outcome:
    # Section 3.7: "A client SHOULD use DHCP to reacquire or verify its IP
    # address and network parameters whenever the local network parameters
    # may have changed; e.g., at system boot time or after a disconnection
    # from the local network".
    resume = record.resume
    if isinstance(resume, InformRequested):
        return inform_move(state, Trigger.LINK_UP_INFORM, resume, now, rng)
    if isinstance(resume, Lease):
        return Move(Trigger.LINK_UP_WITH_LEASE,
                    moved(state, InitReboot(lease=resume, wake_at=now)))
    return restart_move(state, Trigger.LINK_UP, now)


def _stop(state: ClientState, record: object, event: Stop, now: float,
          rng: random.Random) -> Outcome:
    """Section 3.2 step 4: "the client will not normally relinquish its lease
    during a graceful shutdown": no RELEASE; the lease stays in the state for
    the next Start (INIT-REBOOT)."""
    resume = _resume(state)
    return stop_move(state, Trigger.STOP,
                     Stopped(previous=resume if isinstance(resume, Lease) else None))


# -- the dispatch -------------------------------------------------------------------------

S = State
_T, _M = TimerFired, MessageReceived
#: (state, event type) -> the handler that tells what the event means there.
#: Its keys are exactly the legal pairs of :data:`~dhcpwire.client.table.TABLE`.
HANDLERS: Final[dict[tuple[State, type[Event]], Handler]] = {
    **{(s, _M): _idle_message for s in State},
    **{(s, _T): _nothing for s in State},
    **{(s, LinkDown): _link_down for s in RUNNING},
    **{(s, Stop): _stop for s in (*RUNNING, S.LINK_DOWN)},
    (S.STOPPED, Start): _start,
    (S.STOPPED, InformRequested): _inform,
    (S.INIT, _T): _wake,
    (S.V6ONLY, _T): _wake,
    (S.INIT_REBOOT, _T): _reboot,
    (S.SELECTING, _T): _selecting_timer,
    (S.SELECTING, _M): _selecting_message,
    (S.REQUESTING, _T): _requesting_timer,
    (S.REQUESTING, _M): _requesting_message,
    (S.CHECKING, _T): _lease_timer,
    (S.CHECKING, ProbeResult): _checking_probe,
    (S.BOUND, _T): _lease_timer,
    (S.BOUND, _M): _bound_message,
    (S.BOUND, RenewRequested): _renew,
    **{(s, ReleaseRequested): _release for s in (S.BOUND, S.RENEWING, S.REBINDING)},
    **{(s, _T): _lease_timer for s in (S.RENEWING, S.REBINDING)},
    **{(s, _M): _renewal_message for s in (S.RENEWING, S.REBINDING)},
    (S.REBOOTING, _T): _rebooting_timer,
    (S.REBOOTING, _M): _rebooting_message,
    (S.INFORMING, _T): _informing_timer,
    (S.INFORMING, _M): _informing_message,
    (S.INFORMED, InformRequested): _inform,
    (S.LINK_DOWN, LinkUp): _link_up,
}
del S
