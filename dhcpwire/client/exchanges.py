"""What the client's handlers share: timers, retransmission, restarts, and each exchange's start.

Rules of this module:

* A handler's result is an :data:`Outcome`: a :class:`Move` (a trigger,
  the new state, the actions), a ``Discard`` (peer noise: nothing moves),
  or ``None`` (nothing to do). The move's trigger is looked up in
  :data:`~dhcpwire.client.table.TABLE` by :func:`~dhcpwire.client.step`,
  which refuses a state the table does not lead to.
* Each ``*_move`` function here builds the data of one kind of state --
  the record and the message it sends -- for the trigger it is given.
* Randomness (xids, jitter, waits) comes only from the ``rng`` argument.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from ipaddress import IPv4Address

from ..protocol.actions import BROADCAST
from ..wire.constants import SERVER_PORT
from ..wire.message import ZERO_ADDRESS, Message
from .actions import Action, Announce, Configure, Deconfigure, Discard, Notify, Probe, Send
from .config import ClientConfig
from .events import InformRequested
from .lease import Lease
from .messages import delivery, discover, inform, request
from .records import (
    Bound,
    Checking,
    Detached,
    Informing,
    Init,
    Rebinding,
    Record,
    Renewing,
    Requesting,
    Selecting,
    Stopped,
)
from .replies import Offer, kind_text
from .state import ClientState
from .table import Trigger

__all__ = [
    "Move",
    "Outcome",
    "ack_move",
    "backoff",
    "bind_move",
    "discard",
    "discover_move",
    "expire_move",
    "inform_move",
    "moved",
    "new_xid",
    "rebind_move",
    "renew_move",
    "renewal_retry",
    "renewal_send",
    "request_move",
    "restart_move",
    "restart_wait",
    "secs_since",
    "send",
    "setback_move",
    "startup_delay",
    "stop_move",
    "unexpected",
]


@dataclass(frozen=True, slots=True)
class Move:
    """What an event turned out to mean (``trigger``), the state it leads to, and the actions."""

    trigger: Trigger
    state: ClientState
    actions: tuple[Action, ...] = ()


#: A handler's result: a move, a discarded message, or nothing to do.
Outcome = Move | Discard | None


def discard(message: Message | None, reason: str) -> Discard:
    return Discard(reason=reason, message=message)


def unexpected(state: ClientState, message: Message) -> Discard:
    return discard(message, f"{kind_text(message)} is not expected in {state.phase.value}")


def new_xid(rng: random.Random) -> int:
    # RFC 2131 section 4.1: "A DHCP client MUST choose 'xid's in such a way as
    # to minimize the chance of using an 'xid' identical to one used by
    # another client." A new random xid for each exchange.
    return rng.getrandbits(32)


def secs_since(start: float, now: float) -> int:
    # Table 5: 'secs' is "0 or seconds since DHCP process started".
    return max(0, min(0xFFFF, int(now - start)))


def startup_delay(config: ClientConfig, rng: random.Random) -> float:
    # RFC 2131 section 4.4.1: "The client SHOULD wait a random time between
    # one and ten seconds to desynchronize the use of DHCP at startup."
    low, high = config.startup_delay
    return rng.uniform(low, high) if high > 0 else 0.0


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


def restart_wait(config: ClientConfig, setbacks: int, rng: random.Random) -> float:
    """The wait in INIT after the ``setbacks``-th setback in a row (0: none).

    RFC 2131 section 3.1 step 5 asks for a pause only after a DECLINE ("to
    avoid excessive network traffic in case of looping"); a server that
    NAKs every REQUEST, or offers but never acknowledges, loops the same
    way. The wait is uniform in [d, 2d], d doubling from
    ``config.restart_delay`` up to ``config.max_restart_delay``: random, so
    that clients NAKed together do not come back together.
    """
    if setbacks <= 0:
        return 0.0
    base = min(config.restart_delay * (1 << min(setbacks - 1, 30)), config.max_restart_delay)
    return rng.uniform(base, 2 * base)


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


def send(message: Message, destination: IPv4Address = BROADCAST,
         source: IPv4Address = ZERO_ADDRESS) -> Send:
    return Send(message=message, destination=destination, port=SERVER_PORT, source=source)


def moved(state: ClientState, record: Record, setbacks: int | None = None) -> ClientState:
    """``state`` in ``record``, its setbacks ``setbacks`` (unchanged when ``None``)."""
    return ClientState(config=state.config, record=record,
                       setbacks=state.setbacks if setbacks is None else setbacks)


# -- restarting ---------------------------------------------------------------------------

def restart_move(state: ClientState, trigger: Trigger, now: float, *, wait: float = 0.0,
                 previous: Lease | None = None, setbacks: int | None = None,
                 actions: tuple[Action, ...] = ()) -> Move:
    """-> INIT, to send a DISCOVER ``wait`` seconds from now."""
    return Move(trigger, moved(state, Init(wake_at=now + wait, previous=previous), setbacks),
                actions)


def setback_move(state: ClientState, trigger: Trigger, now: float, rng: random.Random, *,
                 least: float = 0.0, actions: tuple[Action, ...] = ()) -> Move:
    """-> INIT after one more setback in a row: the wait of :func:`restart_wait`."""
    setbacks = state.setbacks + 1
    wait = max(least, restart_wait(state.config, setbacks, rng))
    return restart_move(state, trigger, now, wait=wait, setbacks=setbacks, actions=actions)


def expire_move(state: ClientState, lease: Lease, now: float) -> Move:
    """RFC 2131 section 4.4.5: "If the lease expires before the client
    receives a DHCPACK, the client moves to INIT state, MUST immediately stop
    any other network processing and requests network initialization
    parameters as if the client were uninitialized." Section 3.7: "If the
    lease expires before the client can contact a DHCP server, the client
    must immediately discontinue use of the previous network address and may
    inform local users of the problem."
    """
    actions: list[Action] = []
    if state.configured:
        actions.append(Deconfigure(address=lease.address))
    actions.append(Notify(text=f"the lease of {lease.address} expired"))
    # Section 4.4.5: "If the client then receives a DHCPACK allocating that
    # client its previous network address, the client SHOULD continue network
    # processing": the DISCOVER suggests it again.
    return restart_move(state, Trigger.LEASE_EXPIRED, now, previous=lease,
                        actions=tuple(actions))


# -- starting exchanges -------------------------------------------------------------------

def discover_move(state: ClientState, now: float, rng: random.Random,
                  previous: Lease | None) -> Move:
    """INIT or V6ONLY-WAIT -> SELECTING.

    RFC 2131 section 4.4.1: "The client generates and records a random
    transaction identifier and inserts that identifier into the 'xid' field.
    The client records its own local time for later use in computing the
    lease expiration. The client then broadcasts the DHCPDISCOVER on the local
    hardware broadcast address to the 0xffffffff IP broadcast address".
    "The client MAY suggest a network address": the one it last held.
    """
    xid = new_xid(rng)
    message = discover(state.config, xid=xid, secs=0,
                       requested=None if previous is None else previous.address)
    record = Selecting(xid=xid, sent_at=now, attempts=1,
                       retransmit_at=now + backoff(state.config, 1, rng), previous=previous)
    return Move(Trigger.WAIT_OVER, moved(state, record), (send(message),))


def request_move(state: ClientState, selecting: Selecting, offer: Offer, now: float,
                 rng: random.Random) -> Move:
    """SELECTING -> REQUESTING.

    RFC 2131 section 3.1 step 3: "The client broadcasts a DHCPREQUEST
    message that MUST include the 'server identifier' option to indicate
    which server it has selected ... The 'requested IP address' option MUST
    be set to the value of 'yiaddr' in the DHCPOFFER message from the server
    ... the DHCPREQUEST message MUST use the same value in the DHCP message
    header's 'secs' field and be sent to the same IP broadcast address as the
    original DHCPDISCOVER message." Section 4.4.1: "The DHCPREQUEST message
    contains the same 'xid' as the DHCPOFFER message." The time of this first
    REQUEST is the one the lease will count from.
    """
    message = request(state.config, state="SELECTING", xid=selecting.xid, secs=selecting.secs,
                      address=offer.address, server=offer.server)
    record = Requesting(xid=selecting.xid, sent_at=now, attempts=1,
                        retransmit_at=now + backoff(state.config, 1, rng), offer=offer,
                        secs=selecting.secs, previous=selecting.previous)
    return Move(Trigger.OFFER_SELECTED, moved(state, record), (send(message),))


def renew_move(state: ClientState, trigger: Trigger, lease: Lease, now: float,
               rng: random.Random) -> Move:
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
    record = Renewing(xid=new_xid(rng), sent_at=now, attempts=1,
                      retransmit_at=renewal_retry(state.config, now, lease.rebind_at),
                      lease=lease)
    return Move(trigger, moved(state, record), (renewal_send(state.config, record, now),))


def rebind_move(state: ClientState, lease: Lease, now: float, rng: random.Random) -> Move:
    """BOUND or RENEWING -> REBINDING at T2.

    RFC 2131 section 4.4.5: "If no DHCPACK arrives before time T2, the client
    moves to REBINDING state and sends (via broadcast) a DHCPREQUEST message
    to extend its lease. The client sets the 'ciaddr' field in the
    DHCPREQUEST to its current network address. The client MUST NOT include
    a 'server identifier' in the DHCPREQUEST message." A new xid: the lease
    an ACK brings then counts from this first broadcast REQUEST, which is
    the one it answers.
    """
    record = Rebinding(xid=new_xid(rng), sent_at=now, attempts=1,
                       retransmit_at=renewal_retry(state.config, now, lease.expires_at),
                       lease=lease)
    return Move(Trigger.T2, moved(state, record), (renewal_send(state.config, record, now),))


def renewal_send(config: ClientConfig, record: Renewing | Rebinding, now: float) -> Send:
    """The REQUEST of RENEWING or REBINDING; table 4 says where it goes."""
    lease = record.lease
    row = record.phase.value
    message = request(config, state=row, xid=record.xid, secs=secs_since(record.sent_at, now),
                      address=lease.address)
    unicast = delivery(row) == "unicast" and lease.server_identifier is not None
    destination = lease.server_identifier if unicast else None
    return send(message, destination or BROADCAST, lease.address)


def inform_move(state: ClientState, trigger: Trigger, wish: InformRequested, now: float,
                rng: random.Random) -> Move:
    """-> INFORMING.

    RFC 2131 section 4.4.3: "The client generates and records a random
    transaction identifier and inserts that identifier into the 'xid' field.
    The client places its own network address in the 'ciaddr' field ...
    The client then unicasts the DHCPINFORM to the DHCP server if it knows
    the server's address, otherwise it broadcasts the message to the limited
    (all 1s) broadcast address."
    """
    xid = new_xid(rng)
    message = inform(state.config, xid=xid, secs=0, address=wish.address)
    record = Informing(xid=xid, sent_at=now, attempts=1,
                       retransmit_at=now + backoff(state.config, 1, rng), address=wish.address,
                       server=wish.server)
    return Move(trigger, moved(state, record),
                (send(message, wish.server or BROADCAST, wish.address),))


def stop_move(state: ClientState, trigger: Trigger, record: Stopped | Detached) -> Move:
    """-> STOPPED or LINK-DOWN; the address is given up if it was in use."""
    lease = state.lease
    actions: tuple[Action, ...] = ()
    if state.configured and lease is not None:
        actions = (Deconfigure(address=lease.address),)
    return Move(trigger, moved(state, record), actions)


# -- binding ------------------------------------------------------------------------------

def bind_move(state: ClientState, trigger: Trigger, lease: Lease,
              actions: tuple[Action, ...] = (), *, announce: bool = False) -> Move:
    """-> BOUND with ``lease`` configured; the setbacks count starts again.

    Figure 5: "DHCPACK / Record lease, set timers T1, T2". A lease whose T1
    or T2 has already passed goes on to RENEWING or REBINDING at once: the
    next table lookup, made by :func:`~dhcpwire.client.step`.
    """
    more: tuple[Action, ...] = (Configure(lease=lease),)
    if announce:
        # RFC 2131 section 4.4.1: "The client SHOULD broadcast an ARP reply to
        # announce the client's new IP address and clear any outdated ARP
        # cache entries in hosts on the client's subnet."
        more += (Announce(address=lease.address),)
    return Move(trigger, moved(state, Bound(lease=lease), setbacks=0), actions + more)


def ack_move(state: ClientState, lease: Lease, message: Message, now: float,
             actions: tuple[Action, ...] = ()) -> Move | Discard:
    """A DHCPACK's lease: probed first when it is a new address and the
    client probes, else bound; discarded if it has already expired.

    RFC 2131 section 4.4.1: "The client SHOULD perform a check on the
    suggested address to ensure that the address is not already in use. For
    example, if the client is on a network that supports ARP, the client may
    issue an ARP request for the suggested request."
    """
    if lease.expired(now):
        return discard(message, f"the lease of {lease.address} ended at {lease.expires_at:g}, "
                                f"before its {kind_text(message)} arrived (it counts from "
                                f"{lease.bound_at:g}, when the request was first sent)")
    old = state.lease
    in_use = old if state.configured else None
    if old is not None and old.address != lease.address:
        if in_use is not None:
            # Section 4.4.5: "If the client is given a new network address, it
            # MUST NOT continue using the previous network address and SHOULD
            # notify the local users of the problem."
            actions = (*actions, Deconfigure(address=in_use.address))
        actions = (*actions, Notify(text=f"{lease.address} replaces the address "
                                         f"{old.address} held before"))
    if state.config.probe and (in_use is None or in_use.address != lease.address):
        return Move(Trigger.ACK_PROBE, moved(state, Checking(lease=lease)),
                    (*actions, Probe(address=lease.address)))
    return bind_move(state, Trigger.ACK, lease, actions)
