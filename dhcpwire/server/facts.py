"""The facts of one client message: who the client is, where it is, its lease (RFC 2131 4.3).

Rules of this module:

* :class:`Facts` reads everything the server's decision needs from one
  message once: the client key (section 4.2), the subnet (section 4.3.1,
  RFC 3011, RFC 3527), the reservation, and the open journal to write with.
* :func:`allocate` and :func:`commit` are the only ways a new address or a
  binding is made; they write through ``leases.put``.
* Options are read from ``options.raw_map``, the value bytes: what a
  lenient decode let through is checked here, never typed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from ipaddress import IPv4Address
from typing import Final

from ..wire.codes import (
    CLIENT_IDENTIFIER,
    FORCERENEW_NONCE_CAPABLE,
    IP_ADDRESS_LEASE_TIME,
    RAI_LINK_SELECTION,
    RAI_RELAY_SOURCE_PORT,
    RAI_SERVER_ID_OVERRIDE,
    RELAY_AGENT_INFORMATION,
    SUBNET_SELECTION,
)
from ..wire.constants import (
    INFINITE,
    SERVER_PORT,
)
from ..wire.errors import StateError
from ..wire.message import Message
from ..wire.reader import split_suboptions
from ..wire.registry import Malformed
from .config import Plan, ReservationPlan, ServerConfig, SubnetPlan, hw_key, id_key
from .leases import (
    BOUND,
    NONCE_SIZE,
    OFFERED,
    Data,
    LeaseAction,
    LeaseCommitted,
    LeaseRecord,
    LeaseRenewed,
    LeaseState,
    lease_record,
    put,
)
from .store import Journal

__all__ = [
    "MAX_NOW",
    "Facts",
    "allocate",
    "client_key",
    "commit",
    "int4",
    "keep",
    "key_of",
    "new_lease",
    "replay_stamp",
    "until",
]

#: IP (20) and UDP (8) headers: option 57 and RFC 2131's 576 count the IP datagram.
IP_UDP: Final = 28
MIN_DATAGRAM: Final = 576
#: The latest ``now`` the server takes: 2**44 seconds (about 557,000 years), so
#: that lease ends in whole seconds stay exact in a float and an RFC 6704
#: replay counter in microseconds (:func:`replay_stamp`) fits its 64 bits.
MAX_NOW: Final = float(2**44)


def replay_stamp(now: float) -> int:
    """The RFC 3118 replay detection value for a message sent at ``now``.

    RFC 3118 section 2: with RDM 0 "the replay detection field MUST be set
    to the value of a monotonically increasing counter. Using a counter
    value such as the current time of day (e.g., an NTP-format timestamp)
    can reduce the danger of replay attacks." The server's counter is its
    clock in microseconds, which never goes backwards (``handle`` refuses a
    ``now`` earlier than the last).
    """
    return int(now * 1_000_000)

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
    return key_of(message, message.options.raw_map.get(CLIENT_IDENTIFIER))


def key_of(message: Message, cid: bytes | None) -> str | None:
    """:func:`client_key` with option 61's value bytes (``cid``) already at hand."""
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

    __slots__ = ("by_118", "cfg", "ciaddr", "cid", "d", "giaddr", "hw", "interface", "j", "key",
                 "kind", "msg", "new_nonce", "now", "override", "plan", "raw", "relay",
                 "relay_malformed", "relay_port", "renewal", "res", "rng", "subnet")

    def __init__(self, plan: Plan, d: Data, j: Journal, msg: Message, raw: Mapping[int, bytes],
                 kind: int | None, cid: bytes | None, key: str, now: float,
                 interface: str | None, source: IPv4Address | None,
                 source_port: int | None = None, rng: random.Random | None = None) -> None:
        self.plan: Plan = plan
        cfg = plan.config
        self.cfg: ServerConfig = cfg
        self.d: Data = d
        self.j: Journal = j
        self.msg: Message = msg
        self.now: float = now
        self.interface: str | None = interface
        self.rng: random.Random | None = rng
        #: the RFC 6704 nonce drawn for this exchange's DHCPACK, if one was
        self.new_nonce: bytes | None = None
        #: a DHCPREQUEST from RENEWING or REBINDING (set by the REQUEST handler)
        self.renewal: bool = False
        #: the message's option value bytes (``msg.options.raw_map``), and the
        #: three read by every answer: the message type (53, an int), the
        #: client identifier (61) and the relay agent information (82)
        self.raw: Mapping[int, bytes] = raw
        self.kind: int | None = kind
        self.cid: bytes | None = cid
        #: the client key (section 4.2), never None: answer() drops a nameless message
        self.key: str = key
        self.hw: bytes = msg.chaddr[:min(msg.hlen, 16)]
        self.giaddr: int = int(msg.giaddr)
        self.ciaddr: int = int(msg.ciaddr)
        sub = None
        relay = raw.get(RELAY_AGENT_INFORMATION)
        self.relay: bytes | None = relay
        if relay is not None:
            sub = suboptions(relay)
        self.relay_malformed: bool = relay is not None and (sub is None or not relay)
        # RFC 5107 section 4: the value of sub-option 11 "MUST be inserted into
        # the Server Identifier option by the DHCP Server upon reply".
        self.override = (sub.get(RAI_SERVER_ID_OVERRIDE) if sub is not None
                         and cfg.server_id_override else None)
        if self.override is not None and len(self.override) != 4:
            self.override = None
        # RFC 8357 section 5.1 (paraphrased; the RFC's text is not in this
        # project's reference set): a relay that sends from a UDP port other
        # than 67 says so with the empty sub-option 19, and the server sends
        # its reply to the relay's port, the UDP source port of the request.
        self.relay_port: int = SERVER_PORT
        if (sub is not None and self.giaddr and source_port is not None
                and sub.get(RAI_RELAY_SOURCE_PORT) == b""):
            self.relay_port = source_port
        self.by_118: bool = False
        self.subnet: SubnetPlan | None = self._select(sub, interface, source)
        self.res: ReservationPlan | None = self._reservation()

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
        subnets = plan.subnets
        if len(subnets) == 1:
            return subnets[0]  # what the search below ends with, whatever it finds
        for address in (int(source) if source is not None else 0, self.ciaddr):
            if address:
                found = plan.subnet_of(address)
                if found is not None:
                    return found
        return None

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
        # Every queued address is free (an address leaves the queue when it
        # is taken by any path: see leases.put).
        address = d.free[idx].pop(j)
        if address is not None:
            return address
    return None


def new_lease(cx: Facts, address: int, state: LeaseState, expires: float,
               lease_time: int, nonce: bytes | None = None) -> LeaseRecord:
    old = cx.d.leases.get(address)
    return lease_record(old.address if old is not None else IPv4Address(address),
                        cx.key, cx.hw, state, expires, lease_time, nonce)


def until(now: float, seconds: int) -> float:
    return math.inf if seconds == INFINITE else now + seconds


def nonce_capable(cx: Facts) -> bool:
    """RFC 6704 section 3.1.3: the nonce protocol is used only with a client that
    asks for it: "The DHCP Discovery or Request message from the client MUST
    contain the FORCERENEW_NONCE_CAPABLE (145) option if the Forcerenew Nonce
    Protocol is to be used by the server."""
    return cx.cfg.forcerenew_nonce and FORCERENEW_NONCE_CAPABLE in cx.raw


def nonce_for(cx: Facts, bound: LeaseRecord | None) -> bytes | None:
    """The RFC 6704 nonce of the binding a DHCPACK confirms (``bound``: the
    client's bound record of that address, if it has one)."""
    if not nonce_capable(cx):
        # Section 3.1.3: "The absence of the FORCERENEW_NONCE_CAPABLE (145)
        # option indicates to the server that the Forcerenew Nonce
        # Authentication protocol is not supported; thus, the server MUST NOT
        # include a Forcerenew Nonce Protocol Authentication option in the DHCP
        # ACK." The binding keeps no nonce then.
        return None
    if bound is not None and bound.nonce is not None and cx.renewal:
        # "The server SHOULD NOT include the nonce in an ACK when responding to
        # a renew unless a new nonce was generated."
        return bound.nonce
    # "If a capable server receives a DISCOVER or REQUEST (any type) that
    # indicates the client is capable, and the server has no previous nonce
    # recorded, it MUST generate a nonce and include it in the ACK." A client
    # that is not renewing (SELECTING, INIT-REBOOT, rapid commit) has no
    # nonce of ours it is sure to keep: it gets a new one. "The Forcerenew
    # nonce is 128 bits long, and it MUST be a cryptographically strong
    # random or pseudo-random number": drawn from the caller's rng.
    if cx.new_nonce is None:
        rng = cx.rng
        if rng is None:  # handle() refuses forcerenew_nonce without an rng
            raise StateError("bug: a nonce is due and there is no rng")
        cx.new_nonce = rng.getrandbits(8 * NONCE_SIZE).to_bytes(NONCE_SIZE, "big")
    return cx.new_nonce


def commit(cx: Facts, address: int, lease_time: int) -> LeaseAction:
    """Bind ``address`` to the client for ``lease_time`` (a DHCPACK goes with it)."""
    old = cx.d.leases.get(address)
    bound = old if old is not None and old.state is BOUND and old.client == cx.key else None
    kind = LeaseRenewed if bound is not None else LeaseCommitted
    nonce = nonce_for(cx, bound) if cx.cfg.forcerenew_nonce else None
    lease = new_lease(cx, address, BOUND, until(cx.now, lease_time), lease_time, nonce)
    return put(cx.j, cx.d, cx.plan, address, lease, kind)


def keep(cx: Facts, address: int) -> list[LeaseAction]:
    """The client's binding at ``address`` stays as it is (section 4.3.1: the
    lease time "previously assigned"); only a nonce the DHCPACK must carry
    is recorded (a LeaseRenewed with the same times)."""
    lease = cx.d.leases[address]
    if not nonce_capable(cx) and lease.nonce is None:
        return []
    nonce = nonce_for(cx, lease)
    if nonce == lease.nonce:
        return []
    changed = LeaseRecord(address=lease.address, client=lease.client,
                          hardware_address=lease.hardware_address, state=BOUND,
                          expires=lease.expires, lease_time=lease.lease_time, nonce=nonce)
    return [put(cx.j, cx.d, cx.plan, address, changed, LeaseRenewed)]

