"""What the client's handlers share: timers, retransmission, and starting each exchange.

Rules of this module:

* Each ``start_*`` function begins one exchange of RFC 2131 figure 5 and
  returns the new state with the message to send.
* Randomness (xids, jitter) comes only from the ``rng`` argument.
"""

from __future__ import annotations

import dataclasses
import random
from ipaddress import IPv4Address

from ..protocol.actions import BROADCAST
from ..protocol.rfc6704 import nonce_from
from ..wire import codes
from ..wire.constants import SERVER_PORT, MessageType
from ..wire.message import ZERO_ADDRESS, Message
from .actions import Action, Configure, Deconfigure, Discard, Notify, Probe, Send
from .config import ClientConfig
from .lease import Lease, lease_from_ack, option, server_identifier
from .messages import discover, inform, request
from .state import HOLDING, ClientState, State

Result = tuple[ClientState, tuple[Action, ...]]


def earliest(*times: float | None) -> float | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def due(at: float | None, now: float) -> bool:
    return at is not None and now >= at


def new_xid(rng: random.Random) -> int:
    # RFC 2131 section 4.1: "A DHCP client MUST choose 'xid's in such a way as
    # to minimize the chance of using an 'xid' identical to one used by
    # another client." A new random xid for each exchange.
    return rng.getrandbits(32)


def secs_since(state: ClientState, now: float) -> int:
    # Table 5: 'secs' is "0 or seconds since DHCP process started".
    if state.started_at is None:
        return 0
    return max(0, min(0xFFFF, int(now - state.started_at)))


def backoff(config: ClientConfig, attempts: int, rng: random.Random) -> float:
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


def renewal_retry(config: ClientConfig, now: float, target: float | None) -> float:
    """RFC 2131 section 4.4.5: "In both RENEWING and REBINDING states, if the
    client receives no response to its DHCPREQUEST message, the client SHOULD
    wait one-half of the remaining time until T2 (in RENEWING state) and
    one-half of the remaining lease time (in REBINDING state), down to a
    minimum of 60 seconds, before retransmitting the DHCPREQUEST message."
    """
    if target is None:
        return now + config.renew_min_interval
    return now + max(config.renew_min_interval, (target - now) / 2)


def kind(message: Message) -> str:
    kind = message.message_type
    if isinstance(kind, MessageType):
        return f"DHCP{kind.name}"
    return "a BOOTP message" if kind is None else f"message type {kind}"


def discard(state: ClientState, message: Message, reason: str) -> Result:
    return state, (Discard(reason=reason, message=message),)


def unexpected(state: ClientState, message: Message) -> Result:
    return discard(state, message, f"{kind(message)} is not expected in {state.phase.value}")


def quiet(state: ClientState) -> ClientState:
    """The state without an exchange in progress."""
    return dataclasses.replace(
        state, xid=0, started_at=None, secs=0, attempts=0, retransmit_at=None, wake_at=None,
        offer=None, offers=(), window_end=None)


def server_text(message: Message) -> str:
    text = option(message.options, codes.MESSAGE)
    return f": {text!r}" if isinstance(text, str) and text else ""


def send(message: Message, destination: IPv4Address = BROADCAST,
          source: IPv4Address = ZERO_ADDRESS) -> Send:
    return Send(message=message, destination=destination, port=SERVER_PORT, source=source)


def restart(state: ClientState, now: float, *, after: float = 0.0,
             keep_lease: bool = True) -> ClientState:
    """INIT, to send a DISCOVER ``after`` seconds from now."""
    return dataclasses.replace(
        quiet(state), phase=State.INIT, wake_at=now + after,
        lease=state.lease if keep_lease else None)


def expire(state: ClientState, now: float) -> Result:
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
    return restart(state, now), tuple(actions)


def lease_expired(state: ClientState, now: float) -> bool:
    return (state.phase in HOLDING and state.lease is not None
            and state.lease.expired(now))


# -- starting exchanges -------------------------------------------------------------------

def start_discover(state: ClientState, now: float, rng: random.Random) -> Result:
    """INIT -> SELECTING.

    RFC 2131 section 4.4.1: "The client generates and records a random
    transaction identifier and inserts that identifier into the 'xid' field.
    The client records its own local time for later use in computing the
    lease expiration. The client then broadcasts the DHCPDISCOVER on the local
    hardware broadcast address to the 0xffffffff IP broadcast address".
    "The client MAY suggest a network address": the one it last held.
    """
    xid = new_xid(rng)
    previous = state.lease.address if state.lease is not None else None
    message = discover(state.config, xid=xid, secs=0, requested=previous)
    new = dataclasses.replace(
        quiet(state), phase=State.SELECTING, xid=xid, started_at=now, secs=0, attempts=1,
        retransmit_at=now + backoff(state.config, 1, rng))
    return new, (send(message),)


def start_request(state: ClientState, offer: Message, now: float,
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
        state, phase=State.REQUESTING, offer=offer, offers=(), window_end=None, attempts=1,
        retransmit_at=now + backoff(state.config, 1, rng))
    return new, (send(message),)


def start_reboot(state: ClientState, now: float, rng: random.Random) -> Result:
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
    xid = new_xid(rng)
    message = request(state.config, xid=xid, secs=0, requested=lease.address)
    new = dataclasses.replace(
        quiet(state), phase=State.REBOOTING, xid=xid, started_at=now, attempts=1,
        retransmit_at=now + backoff(state.config, 1, rng))
    return new, (send(message),)


def renewal_message(state: ClientState, now: float) -> Message:
    lease = state.lease
    assert lease is not None
    # Table 4: RENEWING and REBINDING: 'server identifier' MUST NOT,
    # 'requested IP address' MUST NOT, 'ciaddr' the client's IP address.
    return request(state.config, xid=state.xid, secs=secs_since(state, now), ciaddr=lease.address)


def start_renewing(state: ClientState, now: float, rng: random.Random) -> Result:
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
        quiet(state), phase=State.RENEWING, xid=new_xid(rng), started_at=now, attempts=1,
        retransmit_at=renewal_retry(state.config, now, lease.rebind_at))
    destination = lease.server_identifier or BROADCAST
    return new, (send(renewal_message(new, now), destination, lease.address),)


def start_rebinding(state: ClientState, now: float, rng: random.Random) -> Result:
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
    base = state if state.phase is State.RENEWING else dataclasses.replace(
        quiet(state), xid=new_xid(rng), started_at=now)
    new = dataclasses.replace(
        base, phase=State.REBINDING, attempts=1,
        retransmit_at=renewal_retry(state.config, now, lease.expires_at))
    return new, (send(renewal_message(new, now), BROADCAST, lease.address),)


def start_inform(state: ClientState, address: IPv4Address, server: IPv4Address | None,
                  now: float, rng: random.Random) -> Result:
    """-> INFORMING.

    RFC 2131 section 4.4.3: "The client generates and records a random
    transaction identifier and inserts that identifier into the 'xid' field.
    The client places its own network address in the 'ciaddr' field ...
    The client then unicasts the DHCPINFORM to the DHCP server if it knows
    the server's address, otherwise it broadcasts the message to the limited
    (all 1s) broadcast address."
    """
    xid = new_xid(rng)
    message = inform(state.config, xid=xid, secs=0, address=address)
    new = dataclasses.replace(
        quiet(state), phase=State.INFORMING, lease=None, xid=xid, started_at=now, attempts=1,
        retransmit_at=now + backoff(state.config, 1, rng), inform_address=address,
        inform_server=server)
    return new, (send(message, server or BROADCAST, address),)


# -- binding ------------------------------------------------------------------------------

def enter_bound(state: ClientState, lease: Lease, now: float, rng: random.Random,
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
        return restart(dataclasses.replace(state, lease=lease), now), tuple(gone)
    bound = dataclasses.replace(quiet(state), phase=State.BOUND, lease=lease)
    actions = (*actions, Configure(lease=lease))
    if due(lease.rebind_at, now):
        new, more = start_rebinding(bound, now, rng)
        return new, actions + more
    if due(lease.renew_at, now):
        new, more = start_renewing(bound, now, rng)
        return new, actions + more
    return bound, actions


def bind_new(state: ClientState, lease: Lease, now: float, rng: random.Random,
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
        new = dataclasses.replace(quiet(state), phase=State.CHECKING, lease=lease)
        return new, (*actions, Probe(address=lease.address))
    return enter_bound(state, lease, now, rng, actions)


def with_nonce(state: ClientState, lease: Lease, ack: Message) -> Lease:
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


def lease_of(state: ClientState, ack: Message, server: IPv4Address | None) -> Lease | str:
    """The lease of ``ack``; ``server`` stands in for a missing option 54
    only where the client knows whom it asked (REQUESTING, RENEWING)."""
    assert state.started_at is not None
    if server is None and server_identifier(ack.options) is None:
        # Table 3 makes 'server identifier' MUST in a DHCPACK; without it the
        # lease could not be renewed by unicast (table 4, RENEWING).
        return f"{kind(ack)} without a server identifier (option 54)"
    found = lease_from_ack(ack, bound_at=state.started_at, server=server)
    if isinstance(found, str):
        # Section 4.4.5: "T1 MUST be earlier than T2, which, in turn, MUST be
        # earlier than the time at which the client's lease will expire."
        return f"{kind(ack)} gives no usable lease: {found}"
    return with_nonce(state, found, ack)


def server_mismatch(message: Message, expected: IPv4Address | None) -> str | None:
    sid = option(message.options, codes.SERVER_IDENTIFIER)
    if expected is not None and isinstance(sid, IPv4Address) and sid != expected:
        return f"{kind(message)} from server {sid}, not {expected}"
    return None

