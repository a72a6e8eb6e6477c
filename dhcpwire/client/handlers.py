"""The client's handlers: one per (state, event) row of :data:`~dhcpwire.client.TABLE`.

Each takes ``(state, event, now, rng)`` and returns the new state and the
actions; the RFC's rule is quoted above the code that carries it out.
"""

from __future__ import annotations

import dataclasses
import random

from ..protocol.actions import BROADCAST
from ..protocol.rfc6704 import forcerenew_problem, nonce_from
from ..wire import codes
from ..wire.constants import MessageType
from ..wire.message import Message
from .actions import Action, Announce, Configure, Deconfigure, Discard, Notify, V6OnlyWait
from .config import ClientConfig, OfferPolicy
from .events import (
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
    Result,
    backoff,
    bind_new,
    discard,
    due,
    enter_bound,
    expire,
    kind,
    lease_expired,
    lease_of,
    new_xid,
    quiet,
    renewal_message,
    renewal_retry,
    restart,
    secs_since,
    send,
    server_mismatch,
    server_text,
    start_discover,
    start_inform,
    start_rebinding,
    start_reboot,
    start_renewing,
    start_request,
    unexpected,
)
from .lease import lease_from_inform, option, server_identifier, usable_address
from .messages import decline, discover, inform, release, reply_problem, request
from .state import ClientState, State

MIN_V6ONLY_WAIT = 300


def _startup_delay(config: ClientConfig, rng: random.Random) -> float:
    # RFC 2131 section 4.4.1: "The client SHOULD wait a random time between
    # one and ten seconds to desynchronize the use of DHCP at startup."
    low, high = config.startup_delay
    return rng.uniform(low, high) if high > 0 else 0.0


def stopped_start(state: ClientState, event: Start, now: float, rng: random.Random) -> Result:
    lease = event.lease or state.lease
    if lease is not None and lease.lease_time is None:
        lease = None
    wake = now + _startup_delay(state.config, rng)
    if lease is not None:
        # Section 3.2: "If a client remembers and wishes to reuse a previously
        # allocated network address, a client may choose to omit some of the
        # steps described in the previous section."
        return dataclasses.replace(quiet(state), phase=State.INIT_REBOOT, lease=lease,
                                   wake_at=wake, inform_address=None, inform_server=None), ()
    return dataclasses.replace(quiet(state), phase=State.INIT, lease=None, wake_at=wake,
                               inform_address=None, inform_server=None), ()


def inform_requested(state: ClientState, event: InformRequested, now: float,
                      rng: random.Random) -> Result:
    return start_inform(state, event.address, event.server, now, rng)


def idle_timer(state: ClientState, event: TimerFired, now: float,
                rng: random.Random) -> Result:
    return state, ()


def idle_message(state: ClientState, event: MessageReceived, now: float,
                  rng: random.Random) -> Result:
    return discard(state, event.message,
                    f"{kind(event.message)} while {state.phase.value}: no exchange in progress")


# -- handlers: INIT, INIT-REBOOT, V6ONLY-WAIT ---------------------------------------------

def init_timer(state: ClientState, event: TimerFired, now: float, rng: random.Random) -> Result:
    if not due(state.wake_at, now):
        return state, ()
    return start_discover(state, now, rng)


def init_reboot_timer(state: ClientState, event: TimerFired, now: float,
                       rng: random.Random) -> Result:
    if not due(state.wake_at, now):
        return state, ()
    return start_reboot(state, now, rng)


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


def selecting_timer(state: ClientState, event: TimerFired, now: float,
                     rng: random.Random) -> Result:
    config = state.config
    if state.offers and due(state.window_end, now):
        return start_request(state, _choose(state), now, rng)
    if not due(state.retransmit_at, now):
        return state, ()
    if config.discover_tries is not None and state.attempts >= config.discover_tries:
        return restart(state, now), (
            Notify(text=f"no usable DHCPOFFER after {state.attempts} DHCPDISCOVERs; "
                        "starting again"),)
    # Section 3.1 step 3: "The client times out and retransmits the
    # DHCPDISCOVER message if the client receives no DHCPOFFER messages."
    # The xid stays (section 4.1: "A client may choose to reuse the same
    # 'xid' ... for each retransmitted message"); 'secs' counts on.
    secs = secs_since(state, now)
    attempts = state.attempts + 1
    previous = state.lease.address if state.lease is not None else None
    message = discover(config, xid=state.xid, secs=secs, requested=previous)
    new = dataclasses.replace(state, secs=secs, attempts=attempts,
                              retransmit_at=now + backoff(config, attempts, rng))
    return new, (send(message),)


def _offer_problem(offer: Message) -> str | None:
    if server_identifier(offer.options) is None:
        # Section 4.4.1: the client "extracts the server address from the
        # 'server identifier' option in the DHCPOFFER message"; table 3 makes
        # it MUST in an OFFER. Without it there is nobody to request from.
        return "DHCPOFFER without a server identifier (option 54)"
    if not usable_address(offer.yiaddr):
        return f"DHCPOFFER of {offer.yiaddr}, not an address a host can use"
    return None


def selecting_message(state: ClientState, event: MessageReceived, now: float,
                       rng: random.Random) -> Result:
    message = event.message
    config = state.config
    problem = reply_problem(config, message, xid=state.xid)
    if problem is not None:
        return discard(state, message, problem)
    kind = message.message_type
    if kind == MessageType.OFFER:
        problem = _offer_problem(message)
        if problem is not None:
            return discard(state, message, problem)
        wait = option(message.options, codes.IPV6_ONLY_PREFERRED)
        if config.ipv6_only_preferred and isinstance(wait, int):
            # RFC 8925 section 3.2: if the OFFER carries the IPv6-Only
            # Preferred option, the client SHOULD NOT request the offered
            # address and SHOULD stop the DHCPv4 configuration process for
            # V6ONLY_WAIT seconds, at least MIN_V6ONLY_WAIT (section 3.4).
            seconds = max(wait, MIN_V6ONLY_WAIT)
            new = dataclasses.replace(quiet(state), phase=State.V6ONLY, wake_at=now + seconds)
            return new, (V6OnlyWait(seconds=seconds),)
        if config.selection_window <= 0:
            # Section 4.4.1: "e.g., the first DHCPOFFER message".
            return start_request(state, message, now, rng)
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
            return discard(state, message, "DHCPACK in SELECTING (no rapid commit)")
        # RFC 4039 section 3: "if the client receives a DHCPACK message with a
        # Rapid Commit option, it SHOULD process the DHCPACK immediately
        # (without waiting for additional DHCPOFFER or DHCPACK messages) and use
        # the address and configuration information contained therein."
        lease = lease_of(state, message, None)
        if isinstance(lease, str):
            return discard(state, message, lease)
        return bind_new(state, lease, now, rng)
    return unexpected(state, message)


# -- handlers: REQUESTING -----------------------------------------------------------------

def requesting_timer(state: ClientState, event: TimerFired, now: float,
                      rng: random.Random) -> Result:
    if not due(state.retransmit_at, now):
        return state, ()
    config = state.config
    if state.attempts >= config.request_tries:
        # Section 3.1 step 5: "If the client receives neither a DHCPACK or a
        # DHCPNAK message after employing the retransmission algorithm, the
        # client reverts to INIT state and restarts the initialization
        # process. The client SHOULD notify the user that the initialization
        # process has failed and is restarting."
        return restart(state, now), (
            Notify(text="no answer to DHCPREQUEST; initialization failed, restarting"),)
    offer = state.offer
    assert offer is not None
    attempts = state.attempts + 1
    message = request(config, xid=state.xid, secs=state.secs, requested=offer.yiaddr,
                      server=server_identifier(offer.options))
    new = dataclasses.replace(state, attempts=attempts,
                              retransmit_at=now + backoff(config, attempts, rng))
    return new, (send(message),)


def requesting_message(state: ClientState, event: MessageReceived, now: float,
                        rng: random.Random) -> Result:
    message = event.message
    config = state.config
    problem = reply_problem(config, message, xid=state.xid)
    if problem is not None:
        return discard(state, message, problem)
    offer = state.offer
    assert offer is not None
    selected = server_identifier(offer.options)
    kind = message.message_type
    if kind in (MessageType.ACK, MessageType.NAK):
        mismatch = server_mismatch(message, selected)
        if mismatch is not None:
            return discard(state, message, mismatch)
    if kind == MessageType.NAK:
        # Section 3.1 step 5: "If the client receives a DHCPNAK message, the
        # client restarts the configuration process." Figure 5: REQUESTING
        # --DHCPNAK--> INIT.
        return restart(state, now, keep_lease=False), (
            Notify(text=f"DHCPNAK from {selected}{server_text(message)}; restarting"),)
    if kind != MessageType.ACK:
        # Figure 5: REQUESTING, "DHCPOFFER / Discard".
        return unexpected(state, message)
    lease = lease_of(state, message, selected)
    if isinstance(lease, str):
        return discard(state, message, lease)
    if (config.forcerenew_nonce and codes.FORCERENEW_NONCE_CAPABLE in offer.options
            and nonce_from(message) is None):
        # RFC 6704 section 3.1.4: "If the server has indicated capability for
        # Forcerenew Nonce Authentication protocol in the DHCP OFFER and the
        # subsequent ACK received by the client while in the selecting state
        # omits a valid DHCP authentication option for the Forcerenew Nonce
        # Authentication protocol, the client MUST discard the message and
        # return to the INIT state."
        reason = "DHCPACK without the Forcerenew nonce its server offered (RFC 6704)"
        return restart(state, now, keep_lease=False), (
            Discard(reason=reason, message=message),)
    return bind_new(state, lease, now, rng)


# -- handlers: CHECKING -------------------------------------------------------------------

def checking_probe(state: ClientState, event: ProbeResult, now: float,
                    rng: random.Random) -> Result:
    lease = state.lease
    assert lease is not None
    if not event.conflict:
        new, actions = enter_bound(state, lease, now, rng)
        if new.phase is State.INIT:
            return new, actions
        return new, (*actions, Announce(address=lease.address))
    # Section 4.4.1: "If the network address appears to be in use, the client
    # MUST send a DHCPDECLINE message to the server." Section 4.4.4: "the
    # client broadcasts DHCPDECLINE messages." Section 3.1 step 5: "The client
    # SHOULD wait a minimum of ten seconds before restarting the configuration
    # process to avoid excessive network traffic in case of looping."
    message = decline(state.config, xid=new_xid(rng), address=lease.address,
                      server=lease.server_identifier)
    new = restart(state, now, after=state.config.decline_backoff, keep_lease=False)
    return new, (send(message), Notify(text=f"{lease.address} is in use; declined it"))


def holding_timer(state: ClientState, event: TimerFired, now: float,
                   rng: random.Random) -> Result:
    if lease_expired(state, now):
        return expire(state, now)
    return state, ()


# -- handlers: BOUND, RENEWING, REBINDING -------------------------------------------------

def bound_timer(state: ClientState, event: TimerFired, now: float,
                 rng: random.Random) -> Result:
    lease = state.lease
    assert lease is not None
    if lease.expired(now):
        return expire(state, now)
    if due(lease.rebind_at, now):
        return start_rebinding(state, now, rng)
    if due(lease.renew_at, now):
        # Figure 5: "T1 expires / Send DHCPREQUEST to leasing server".
        return start_renewing(state, now, rng)
    return state, ()


def bound_message(state: ClientState, event: MessageReceived, now: float,
                   rng: random.Random) -> Result:
    message = event.message
    if message.message_type != MessageType.FORCERENEW:
        # Figure 5: BOUND, "DHCPOFFER, DHCPACK, DHCPNAK / Discard".
        return unexpected(state, message)
    problem = reply_problem(state.config, message, xid=None)
    if problem is not None:
        return discard(state, message, problem)
    lease = state.lease
    assert lease is not None
    mismatch = server_mismatch(message, lease.server_identifier)
    if mismatch is not None:
        return discard(state, message, mismatch)
    # RFC 3203 section 6: "the FORCERENEW message MUST be authenticated ...
    # FORCERENEW messages failing the authentication should be silently
    # discarded by the client." RFC 6704 section 3.1.4 gives the check.
    problem, replay = forcerenew_problem(message, nonce=lease.nonce, replay=lease.replay)
    if problem is not None:
        return discard(state, message, problem)
    # RFC 3203 section 2.1: "Upon receipt of the unicast FORCERENEW message,
    # the client will change its state to the RENEW state, and will then try
    # to renew its lease according to normal DHCP procedures."
    renewed = dataclasses.replace(state, lease=dataclasses.replace(lease, replay=replay))
    return start_renewing(renewed, now, rng)


def bound_renew(state: ClientState, event: RenewRequested, now: float,
                 rng: random.Random) -> Result:
    return start_renewing(state, now, rng)


def renewing_timer(state: ClientState, event: TimerFired, now: float,
                    rng: random.Random) -> Result:
    lease = state.lease
    assert lease is not None
    if lease.expired(now):
        return expire(state, now)
    if due(lease.rebind_at, now):
        # Figure 5: "T2 expires / Broadcast DHCPREQUEST".
        return start_rebinding(state, now, rng)
    if not due(state.retransmit_at, now):
        return state, ()
    new = dataclasses.replace(state, attempts=state.attempts + 1,
                              retransmit_at=renewal_retry(state.config, now, lease.rebind_at))
    destination = lease.server_identifier or BROADCAST
    return new, (send(renewal_message(new, now), destination, lease.address),)


def rebinding_timer(state: ClientState, event: TimerFired, now: float,
                     rng: random.Random) -> Result:
    lease = state.lease
    assert lease is not None
    if lease.expired(now):
        # Figure 5: REBINDING, "Lease expired / Halt network".
        return expire(state, now)
    if not due(state.retransmit_at, now):
        return state, ()
    new = dataclasses.replace(state, attempts=state.attempts + 1,
                              retransmit_at=renewal_retry(state.config, now, lease.expires_at))
    return new, (send(renewal_message(new, now), BROADCAST, lease.address),)


def renewal_message_received(state: ClientState, event: MessageReceived, now: float,
                              rng: random.Random) -> Result:
    message = event.message
    problem = reply_problem(state.config, message, xid=state.xid)
    if problem is not None:
        # Section 4.4.5: "Any DHCPACK messages that arrive with an 'xid' that
        # does not match the 'xid' of the client's DHCPREQUEST message are
        # silently discarded."
        return discard(state, message, problem)
    lease = state.lease
    assert lease is not None
    kind = message.message_type
    if kind in (MessageType.ACK, MessageType.NAK) and state.phase is State.RENEWING:
        mismatch = server_mismatch(message, lease.server_identifier)
        if mismatch is not None:
            return discard(state, message, mismatch)
    if kind == MessageType.NAK:
        # Figure 5: RENEWING and REBINDING, "DHCPNAK / Halt network" -> INIT.
        new = restart(state, now, keep_lease=False)
        return new, (Deconfigure(address=lease.address),
                     Notify(text=f"DHCPNAK while {state.phase.value}{server_text(message)}; "
                                 f"{lease.address} is no longer ours"))
    if kind != MessageType.ACK:
        return unexpected(state, message)
    asked = lease.server_identifier if state.phase is State.RENEWING else None
    found = lease_of(state, message, asked)
    if isinstance(found, str):
        return discard(state, message, found)
    if found.address == lease.address:
        # Section 4.4.5: "When the client receives a DHCPACK from the server,
        # the client computes the lease expiration time as the sum of the time
        # at which the client sent the DHCPREQUEST message and the duration of
        # the lease in the DHCPACK message. The client has successfully
        # reacquired its network address, returns to BOUND state".
        return enter_bound(state, found, now, rng)
    # Section 4.4.5: "If the client is given a new network address, it MUST
    # NOT continue using the previous network address".
    return bind_new(state, found, now, rng, (Deconfigure(address=lease.address),))


def release_requested(state: ClientState, event: ReleaseRequested, now: float,
             rng: random.Random) -> Result:
    """Section 4.4.6: "If the client no longer requires use of its assigned
    network address ... the client sends a DHCPRELEASE message to the
    server." Section 4.4.4: "The client unicasts DHCPRELEASE messages to the
    server.\""""
    lease = state.lease
    assert lease is not None
    message = release(state.config, xid=new_xid(rng), address=lease.address,
                      server=lease.server_identifier)
    new = dataclasses.replace(quiet(state), phase=State.STOPPED, lease=None)
    return new, (send(message, lease.server_identifier or BROADCAST, lease.address),
                 Deconfigure(address=lease.address))


# -- handlers: REBOOTING ------------------------------------------------------------------

def rebooting_timer(state: ClientState, event: TimerFired, now: float,
                     rng: random.Random) -> Result:
    if not due(state.retransmit_at, now):
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
            return enter_bound(state, lease, now, rng, (note,))
        return restart(state, now), (
            Notify(text=f"no answer to DHCPREQUEST and the lease of {lease.address} has "
                        "expired; restarting"),)
    attempts = state.attempts + 1
    message = request(config, xid=state.xid, secs=secs_since(state, now), requested=lease.address)
    new = dataclasses.replace(state, attempts=attempts,
                              retransmit_at=now + backoff(config, attempts, rng))
    return new, (send(message),)


def rebooting_message(state: ClientState, event: MessageReceived, now: float,
                       rng: random.Random) -> Result:
    message = event.message
    problem = reply_problem(state.config, message, xid=state.xid)
    if problem is not None:
        return discard(state, message, problem)
    kind = message.message_type
    if kind == MessageType.NAK:
        # Section 3.2 step 3: "If the client receives a DHCPNAK message, it
        # cannot reuse its remembered network address. It must instead request
        # a new address by restarting the configuration process ... This action
        # also corresponds to the client moving to the INIT state".
        return restart(state, now, keep_lease=False), (
            Notify(text=f"DHCPNAK{server_text(message)}; the remembered address is "
                        "not valid here; restarting"),)
    if kind != MessageType.ACK:
        return unexpected(state, message)
    # Section 4.4.2: "Once a DHCPACK message with an 'xid' field matching that
    # in the client's DHCPREQUEST message arrives from any server, the client
    # is initialized and moves to BOUND state." Section 3.2 step 3: "The client
    # performs a final check on the parameters (as in section 3.1)".
    lease = lease_of(state, message, None)
    if isinstance(lease, str):
        return discard(state, message, lease)
    return bind_new(state, lease, now, rng)


# -- handlers: INFORMING, INFORMED --------------------------------------------------------

def informing_timer(state: ClientState, event: TimerFired, now: float,
                     rng: random.Random) -> Result:
    if not due(state.retransmit_at, now):
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
        new = dataclasses.replace(quiet(state), phase=State.STOPPED, inform_address=None,
                                  inform_server=None)
        return new, (Notify(text=f"no DHCPACK to DHCPINFORM for {address}; use defaults"),)
    attempts = state.attempts + 1
    message = inform(config, xid=state.xid, secs=secs_since(state, now), address=address)
    new = dataclasses.replace(state, attempts=attempts,
                              retransmit_at=now + backoff(config, attempts, rng))
    # Section 4.4.4: "If the client receives no response to DHCP messages sent
    # to the IP address of a known DHCP server, the DHCP client reverts to
    # using the IP broadcast address."
    return new, (send(message, BROADCAST, address),)


def informing_message(state: ClientState, event: MessageReceived, now: float,
                       rng: random.Random) -> Result:
    message = event.message
    problem = reply_problem(state.config, message, xid=state.xid)
    if problem is not None:
        return discard(state, message, problem)
    if message.message_type != MessageType.ACK:
        return unexpected(state, message)
    address = state.inform_address
    assert address is not None and state.started_at is not None
    # Section 4.4.3: "Once a DHCPACK message with an 'xid' field matching that
    # in the client's DHCPINFORM message arrives from any server, the client is
    # initialized." Section 4.4: "Once the client has selected its parameters,
    # it has completed the configuration process."
    lease = lease_from_inform(message, address=address, bound_at=state.started_at)
    new = dataclasses.replace(quiet(state), phase=State.INFORMED, lease=lease)
    return new, (Configure(lease=lease),)


# -- handlers: link, stop -----------------------------------------------------------------

def link_down(state: ClientState, event: LinkDown, now: float, rng: random.Random) -> Result:
    actions: tuple[Action, ...] = ()
    lease = state.lease
    if state.configured and lease is not None:
        actions = (Deconfigure(address=lease.address),)
    informing = state.phase in (State.INFORMING, State.INFORMED)
    keep = lease if lease is not None and lease.lease_time is not None else None
    new = dataclasses.replace(
        quiet(state), phase=State.LINK_DOWN, lease=keep,
        inform_address=state.inform_address if informing else None,
        inform_server=state.inform_server if informing else None)
    return new, actions


def link_up(state: ClientState, event: LinkUp, now: float, rng: random.Random) -> Result:
    # Section 3.7: "A client SHOULD use DHCP to reacquire or verify its IP
    # address and network parameters whenever the local network parameters
    # may have changed; e.g., at system boot time or after a disconnection
    # from the local network".
    if state.inform_address is not None:
        return start_inform(state, state.inform_address, state.inform_server, now, rng)
    if state.lease is not None:
        return dataclasses.replace(quiet(state), phase=State.INIT_REBOOT, wake_at=now), ()
    return restart(state, now), ()


def stop(state: ClientState, event: Stop, now: float, rng: random.Random) -> Result:
    """Section 3.2 step 4: "the client will not normally relinquish its lease
    during a graceful shutdown": no RELEASE; the lease stays in the state for
    the next Start (INIT-REBOOT)."""
    actions: tuple[Action, ...] = ()
    lease = state.lease
    if state.configured and lease is not None:
        actions = (Deconfigure(address=lease.address),)
    keep = lease if lease is not None and lease.lease_time is not None else None
    new = dataclasses.replace(quiet(state), phase=State.STOPPED, lease=keep,
                              inform_address=None, inform_server=None)
    return new, actions

