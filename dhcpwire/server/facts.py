"""The facts of one client message: who the client is, where it is, its lease (RFC 2131 4.3).

Rules of this module:

* :class:`Facts` reads everything the server's decision needs from one
  message once: the client key (section 4.2), the subnet (section 4.3.1,
  RFC 3011, RFC 3527), the reservation, and the open journal to write with.
* :func:`allocate` and :func:`commit` are the only ways a new address or a
  binding is made; they write through ``leases.put``.
"""

from __future__ import annotations

import math
from ipaddress import IPv4Address
from typing import Final

from ..wire.codes import (
    CLIENT_IDENTIFIER,
    IP_ADDRESS_LEASE_TIME,
    RAI_LINK_SELECTION,
    RAI_SERVER_ID_OVERRIDE,
    RELAY_AGENT_INFORMATION,
    SUBNET_SELECTION,
)
from ..wire.constants import (
    INFINITE,
)
from ..wire.message import Message
from ..wire.reader import split_suboptions
from ..wire.registry import Malformed
from .config import Plan, ReservationPlan, SubnetPlan, hw_key, id_key
from .leases import (
    AVAILABLE,
    BOUND,
    OFFERED,
    Data,
    LeaseAction,
    LeaseCommitted,
    LeaseRecord,
    LeaseRenewed,
    LeaseState,
    put,
)
from .store import MISSING, Journal, queue_pop

__all__ = ["Facts", "allocate", "client_key", "commit", "int4", "new_lease", "until"]

#: IP (20) and UDP (8) headers: option 57 and RFC 2131's 576 count the IP datagram.
IP_UDP: Final = 28
MIN_DATAGRAM: Final = 576

# -- who the client is, and where it is ------------------------------------------------

def client_key(message: Message) -> str | None:
    """The key that names the client of ``message``, or ``None`` if it has none.

    Section 4.2: "If the client supplies a 'client identifier', ... the
    server MUST use that identifier to identify the client. If the client
    does not provide a 'client identifier' option, the server MUST use the
    contents of the 'chaddr' field to identify the client." The key is
    ``"id:"`` and option 61's value in hex, or ``"hw:"``, 'htype' and
    'chaddr'. A message with neither (no option 61 and a 'chaddr' of zeros)
    names no client.

    >>> from dhcpwire import Message
    >>> client_key(Message(chaddr=bytes.fromhex("020000000001")))
    'hw:1:02:00:00:00:00:01'
    """
    cid = message.options._raw.get(CLIENT_IDENTIFIER)
    if cid:
        return id_key(cid)
    hw = message.chaddr[:min(message.hlen, 16)]
    if not hw.strip(b"\0"):
        return None
    return hw_key(message.htype, hw)


def int4(raw: bytes | None) -> int | None:
    """A 4-octet option value as an int, or ``None`` when absent or malformed."""
    if raw is None or len(raw) != 4:
        return None
    return int.from_bytes(raw, "big")


def suboptions(data: bytes) -> dict[int, bytes] | None:
    """RFC 3046 section 2.0 sub-options (code, length, value), or ``None`` if malformed."""
    try:
        return split_suboptions(data)
    except Malformed:
        return None


class Facts:
    """One message being answered: the facts read from it, and the open journal."""

    __slots__ = ("by_118", "cfg", "ciaddr", "d", "giaddr", "hw", "interface", "j", "key", "msg",
                 "now", "override", "plan", "raw", "relay_malformed", "res", "subnet")

    def __init__(self, plan: Plan, d: Data, j: Journal, msg: Message, now: float,
                 interface: str | None, source: IPv4Address | None) -> None:
        self.plan = plan
        self.cfg = cfg = plan.config
        self.d = d
        self.j = j
        self.msg = msg
        self.now = now
        self.interface = interface
        self.raw = raw = msg.options._raw
        self.key = client_key(msg)
        self.hw = msg.chaddr[:min(msg.hlen, 16)]
        self.giaddr = int(msg.giaddr)
        self.ciaddr = int(msg.ciaddr)
        sub = None
        relay = raw.get(RELAY_AGENT_INFORMATION)
        if relay is not None:
            sub = suboptions(relay)
        self.relay_malformed = relay is not None and (sub is None or not relay)
        # RFC 5107 section 4: the value of sub-option 11 "MUST be inserted into
        # the Server Identifier option by the DHCP Server upon reply".
        self.override = (sub.get(RAI_SERVER_ID_OVERRIDE) if sub is not None
                         and cfg.server_id_override else None)
        if self.override is not None and len(self.override) != 4:
            self.override = None
        self.by_118 = False
        self.subnet = self._select(sub, interface, source)
        self.res = self._reservation()

    def _select(self, sub: dict[int, bytes] | None, interface: str | None,
                source: IPv4Address | None) -> SubnetPlan | None:
        """The subnet the request belongs to (section 4.3.1, RFC 3527, RFC 3011)."""
        plan, cfg = self.plan, self.cfg
        # RFC 3527 section 3: "In the event that a DHCP server receives a packet
        # that contains both a subnet-selection option [RFC 3011], as well as a
        # link-selection sub-option, the information contained in the
        # link-selection sub-option MUST be used".
        if sub is not None and cfg.link_selection:
            link = int4(sub.get(RAI_LINK_SELECTION))
            if link is not None:
                return plan.subnet_of(link)
        # RFC 3011 section 2: "When the DHCP server is configured to respond to
        # this option, is allocating an address, and this option is present
        # then the DHCP server MUST allocate the address on either: the subnet
        # specified in the subnet selection option, or; a subnet on the same
        # network segment".
        if cfg.subnet_selection:
            chosen = int4(self.raw.get(SUBNET_SELECTION))
            if chosen is not None:
                self.by_118 = True
                return plan.subnet_of(chosen)
        # Section 4.3.1: "the address is selected based on the subnet from which
        # the message was received (if 'giaddr' is 0) or on the address of the
        # relay agent that forwarded the message ('giaddr' when not 0)."
        if self.giaddr:
            return plan.subnet_of(self.giaddr)
        if interface is not None and plan.by_interface:
            idx = plan.by_interface.get(interface)
            return None if idx is None else plan.subnets[idx]
        for address in (int(source) if source is not None else 0, self.ciaddr):
            if address:
                found = plan.subnet_of(address)
                if found is not None:
                    return found
        return plan.subnets[0] if len(plan.subnets) == 1 else None

    def _reservation(self) -> ReservationPlan | None:
        by_key = self.plan.by_key
        if not by_key or self.key is None or self.subnet is None:
            return None
        rp = by_key.get(self.key)
        if rp is None and self.key.startswith("id:"):
            rp = by_key.get(hw_key(self.msg.htype, self.hw))
        if rp is None or rp.subnet not in self.subnet.link:
            return None
        return rp

    # -- facts about addresses, for this client --------------------------------------
    def on_link(self, address: int) -> bool:
        sp = self.plan.subnet_of(address)
        return sp is not None and self.subnet is not None and sp.index in self.subnet.link

    def assignable(self, address: int) -> bool:
        """Whether the address may be this client's: dynamic, or reserved for it."""
        rp = self.plan.reserved.get(address)
        if rp is not None:
            return rp is self.res
        return self.plan.dynamic(address) is not None

    def kept(self, lease: LeaseRecord | None) -> int | None:
        """The time left on the client's current binding, when that is what to report.

        Section 4.3.1: "IF the client has not requested a specific lease in
        the DHCPDISCOVER message and the client already has an assigned
        network address, the server returns the lease expiration time
        previously assigned to that address (note that the client must
        explicitly request a specific lease to extend the expiration time on
        a previously assigned address)". The binding then stays as it is.
        """
        if (lease is None or lease.state is not BOUND or lease.client != self.key
                or IP_ADDRESS_LEASE_TIME in self.raw):
            return None
        if lease.lease_time == INFINITE:
            return INFINITE
        left = int(lease.expires - self.now)
        return left if left >= self.cfg.min_lease_time else None

    def lease_time(self, lease: LeaseRecord | None) -> int:
        """The lease time of a new or extended lease (section 4.3.1)."""
        cfg = self.cfg
        asked = int4(self.raw.get(IP_ADDRESS_LEASE_TIME))
        # "IF the client has requested a specific lease ... the server may choose
        # either to return the requested lease (if the lease is acceptable to
        # local policy) or select another lease."
        if asked is not None:
            return min(max(asked, cfg.min_lease_time), cfg.max_lease_time)
        # What was offered is what is acknowledged (section 4.3.2: "Any
        # configuration parameters in the DHCPACK message SHOULD NOT conflict
        # with those in the earlier DHCPOFFER message").
        if lease is not None and lease.client == self.key and lease.state is OFFERED:
            return lease.lease_time
        # "... the server assigns a locally configured default lease time".
        return cfg.default_lease_time


def allocate(cx: Facts, sp: SubnetPlan) -> int | None:
    """A new address for the link of ``sp``: never used before, else least recently freed.

    Section 2.2: "the allocation mechanism will reuse addresses whose lease
    has expired. ... For example, the server may choose the least recently
    assigned address." Fresh addresses go first, so a returned address
    stays its old client's for as long as possible (section 4.3.1, bullet 2).
    """
    d, j, plan = cx.d, cx.j, cx.plan
    leases = d.leases
    cursors = d.cursors
    for idx in sp.link:
        member = plan.subnets[idx]
        cursor = cursors[idx]
        if cursor[0] < len(member.ranges):
            address, after = member.next_fresh(cursor, leases)
            j.append((cursors, idx, cursor))
            cursors[idx] = after
            if address is not None:
                return address
        free = d.free[idx]
        while True:
            freed = queue_pop(j, free)
            if freed is MISSING:
                break
            at, address = freed
            lease = leases.get(address)
            if lease is not None and lease.state in AVAILABLE and lease.expires == at:
                return address  # type: ignore[no-any-return]
    return None


def new_lease(cx: Facts, address: int, state: LeaseState, expires: float,
               lease_time: int) -> LeaseRecord:
    old = cx.d.leases.get(address)
    assert cx.key is not None
    return LeaseRecord(address=old.address if old is not None else IPv4Address(address),
                 client=cx.key, hardware_address=cx.hw, state=state, expires=expires,
                 lease_time=lease_time)


def until(now: float, seconds: int) -> float:
    return math.inf if seconds == INFINITE else now + seconds


def commit(cx: Facts, address: int, lease_time: int) -> LeaseAction:
    """Bind ``address`` to the client for ``lease_time`` (a DHCPACK goes with it)."""
    old = cx.d.leases.get(address)
    kind = LeaseRenewed if old is not None and old.state is BOUND and old.client == cx.key \
        else LeaseCommitted
    lease = new_lease(cx, address, BOUND, until(cx.now, lease_time), lease_time)
    return put(cx.j, cx.d, cx.plan, address, lease, kind)

