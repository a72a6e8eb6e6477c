"""The protocol: how the server answers each client message (RFC 2131 section 4.3).

Rules of this module:

* :func:`answer` is the whole decision for one message: read the facts
  (:class:`Facts`), dispatch on the message type (:data:`HANDLERS`) and,
  for a DHCPREQUEST, on the client's state (:data:`REQUEST_KINDS`, RFC
  2131 table 4), then build the reply by table 3 and deliver it by
  :data:`DELIVERY_RULES` (section 4.1).
* It writes only through ``_server_leases.put`` on the journal it is given,
  and returns the actions; it never raises for anything a peer sends.
* Each rule is quoted above the code that implements it; section numbers
  are RFC 2131's unless another RFC is named.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from ipaddress import IPv4Address
from itertools import product
from typing import Final

from ._server_config import (
    INFINITE,
    OptionPlan,
    Plan,
    ReservationPlan,
    SubnetPlan,
    hw_key,
    id_key,
)
from ._server_leases import (
    AVAILABLE,
    BOUND,
    DECLINED,
    EXPIRED,
    HELD,
    OFFERED,
    RELEASED,
    Action,
    Data,
    Discard,
    Lease,
    LeaseAction,
    LeaseCommitted,
    LeaseDeclined,
    LeaseExpired,
    LeaseOffered,
    LeaseReleased,
    LeaseRenewed,
    LeaseState,
    SendReply,
    put,
)
from ._server_store import MISSING, Journal, queue_pop
from .codes import (
    CLIENT_IDENTIFIER,
    IP_ADDRESS_LEASE_TIME,
    MAXIMUM_MESSAGE_SIZE,
    MESSAGE,
    MESSAGE_TYPE,
    PARAMETER_REQUEST_LIST,
    RAI_LINK_SELECTION,
    RAI_SERVER_ID_OVERRIDE,
    RAPID_COMMIT,
    REBINDING_TIME,
    RELAY_AGENT_INFORMATION,
    RENEWAL_TIME,
    REQUESTED_IP_ADDRESS,
    SERVER_IDENTIFIER,
    SUBNET_SELECTION,
)
from .constants import BOOTP_MIN_SIZE, BROADCAST_FLAG, CLIENT_PORT, SERVER_PORT, MessageType, OpCode
from .encoding import encode
from .errors import MessageTooLarge
from .message import ZERO_ADDRESS, Message, message_from_wire
from .options import Options

__all__ = ["DELIVERY_RULES", "HANDLERS", "REQUEST_KINDS", "answer", "client_key"]

_BROADCAST: Final = IPv4Address("255.255.255.255")
#: The options a reply copies from the request (RFC 6842, RFC 3046, RFC 3011).
_ECHOED: Final = frozenset({CLIENT_IDENTIFIER, RELAY_AGENT_INFORMATION, SUBNET_SELECTION})
#: IP (20) and UDP (8) headers: option 57 and RFC 2131's 576 count the IP datagram.
_IP_UDP: Final = 28
_MIN_DATAGRAM: Final = 576


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


def _int4(raw: bytes | None) -> int | None:
    """A 4-octet option value as an int, or ``None`` when absent or malformed."""
    if raw is None or len(raw) != 4:
        return None
    return int.from_bytes(raw, "big")


def _suboptions(data: bytes) -> dict[int, bytes] | None:
    """RFC 3046 section 2.0 sub-options (code, length, value), or ``None`` if malformed."""
    out: dict[int, bytes] = {}
    i, n = 0, len(data)
    while i < n:
        if i + 2 > n:
            return None
        code = data[i]
        end = i + 2 + data[i + 1]
        if end > n:
            return None
        out[code] = out.get(code, b"") + data[i + 2:end]
        i = end
    return out


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
            sub = _suboptions(relay)
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
            link = _int4(sub.get(RAI_LINK_SELECTION))
            if link is not None:
                return plan.subnet_of(link)
        # RFC 3011 section 2: "When the DHCP server is configured to respond to
        # this option, is allocating an address, and this option is present
        # then the DHCP server MUST allocate the address on either: the subnet
        # specified in the subnet selection option, or; a subnet on the same
        # network segment".
        if cfg.subnet_selection:
            chosen = _int4(self.raw.get(SUBNET_SELECTION))
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

    def kept(self, lease: Lease | None) -> int | None:
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

    def lease_time(self, lease: Lease | None) -> int:
        """The lease time of a new or extended lease (section 4.3.1)."""
        cfg = self.cfg
        asked = _int4(self.raw.get(IP_ADDRESS_LEASE_TIME))
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


def _allocate(cx: Facts, sp: SubnetPlan) -> int | None:
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


def _new_lease(cx: Facts, address: int, state: LeaseState, expires: float,
               lease_time: int) -> Lease:
    old = cx.d.leases.get(address)
    assert cx.key is not None
    return Lease(address=old.address if old is not None else IPv4Address(address),
                 client=cx.key, hardware_address=cx.hw, state=state, expires=expires,
                 lease_time=lease_time)


def _until(now: float, seconds: int) -> float:
    return math.inf if seconds == INFINITE else now + seconds


def _commit(cx: Facts, address: int, lease_time: int) -> LeaseAction:
    """Bind ``address`` to the client for ``lease_time`` (a DHCPACK goes with it)."""
    old = cx.d.leases.get(address)
    kind = LeaseRenewed if old is not None and old.state is BOUND and old.client == cx.key \
        else LeaseCommitted
    lease = _new_lease(cx, address, BOUND, _until(cx.now, lease_time), lease_time)
    return put(cx.j, cx.d, cx.plan, address, lease, kind)


# -- replies ------------------------------------------------------------------------

#: How a reply travels: section 4.1 for DHCP, RFC 1542 section 5.4 for
#: BOOTP. The first row whose condition holds is used. Each row is
#: (condition, destination, UDP port, broadcast, addressed by 'chaddr').
DELIVERY_RULES: Final = {
    "dhcp": (
        # "If the 'giaddr' field in a DHCP message from a client is non-zero,
        # the server sends any return messages to the 'DHCP server' port on the
        # BOOTP relay agent whose address appears in 'giaddr'."
        ("relayed", "giaddr", SERVER_PORT, False, False),
        # "In all cases, when 'giaddr' is zero, the server broadcasts any
        # DHCPNAK messages to 0xffffffff."
        ("nak", "255.255.255.255", CLIENT_PORT, True, False),
        # "If the 'giaddr' field is zero and the 'ciaddr' field is nonzero, then
        # the server unicasts DHCPOFFER and DHCPACK messages to the address in 'ciaddr'."
        ("ciaddr", "ciaddr", CLIENT_PORT, False, False),
        # "If 'giaddr' is zero and 'ciaddr' is zero, and the broadcast bit is
        # set, then the server broadcasts DHCPOFFER and DHCPACK messages to 0xffffffff."
        ("broadcast-flag", "255.255.255.255", CLIENT_PORT, True, False),
        # "If unicasting is not possible, the message MAY be sent as an IP
        # broadcast" (no usable 'chaddr', e.g. 'hlen' 0 on InfiniBand, RFC 4390).
        ("no-unicast", "255.255.255.255", CLIENT_PORT, True, False),
        # "... the server unicasts DHCPOFFER and DHCPACK messages to the
        # client's hardware address and 'yiaddr' address."
        ("always", "yiaddr", CLIENT_PORT, False, True),
    ),
    # RFC 1542 section 5.4: "The server SHOULD first check the 'ciaddr' field.
    # ... The server SHOULD next check the 'giaddr' field." The rest as for DHCP.
    "bootp": (
        ("ciaddr", "ciaddr", CLIENT_PORT, False, False),
        ("relayed", "giaddr", SERVER_PORT, False, False),
        ("broadcast-flag", "255.255.255.255", CLIENT_PORT, True, False),
        ("no-unicast", "255.255.255.255", CLIENT_PORT, True, False),
        ("always", "yiaddr", CLIENT_PORT, False, True),
    ),
}
_CONDITIONS: Final = ("relayed", "nak", "ciaddr", "broadcast-flag", "no-unicast")
_Row = tuple[str, str, int, bool, bool]


def _delivery_table() -> dict[tuple[bool, ...], _Row]:
    """Every combination of the conditions -> its row, so delivery is one dict probe."""
    table: dict[tuple[bool, ...], _Row] = {}
    for bootp in (False, True):
        rules = DELIVERY_RULES["bootp" if bootp else "dhcp"]
        for facts in product((False, True), repeat=len(_CONDITIONS)):
            holds = dict(zip(_CONDITIONS, facts, strict=True))
            holds["always"] = True
            key = (bootp, *facts)
            table[key] = next(r for r in rules if holds[r[0]])
    return table


_DELIVERY: Final = _delivery_table()


def _size(raw: Mapping[int, bytes]) -> int:
    """The encoded size of a reply with these options, without overload.

    Header, cookie and END (241), two octets per option and the values; a
    value over 255 octets is split into instances of two octets more each
    (RFC 3396 section 6), counted only when there is one.
    """
    body = sum(map(len, raw.values()))
    size = 241 + 2 * len(raw) + body
    if body > 255:
        size += sum(2 * ((len(v) - 1) // 255) for v in raw.values() if len(v) > 255)
    return size


def _send(cx: Facts, *, kind: MessageType | None, ciaddr: IPv4Address, yiaddr: IPv4Address,
          siaddr: IPv4Address, sname: bytes, file: bytes, raw: dict[int, bytes],
          optional: list[int]) -> Action:
    """Build the reply, fit it to the client's size, and decide its delivery.

    ``optional`` lists the codes that may be left out when the reply does not
    fit (configured options, last first); option 82 goes only after them.
    """
    msg = cx.msg
    nak = kind is MessageType.NAK
    bootp = kind is None
    flags = msg.flags
    if nak and cx.giaddr:
        # Section 4.3.2: "If 'giaddr' is set in the DHCPREQUEST message, the
        # client is on a different subnet. The server MUST set the broadcast bit
        # in the DHCPNAK, so that the relay agent will broadcast the DHCPNAK".
        flags |= BROADCAST_FLAG
    if bootp:
        # RFC 1534 section 2: the server "MUST NOT exceed the size limit for
        # BOOTREPLY messages": RFC 951's 300 octets, so no overload either.
        limit, overload = BOOTP_MIN_SIZE, False
    else:
        raw_57 = cx.raw.get(MAXIMUM_MESSAGE_SIZE)
        asked = int.from_bytes(raw_57, "big") if raw_57 is not None and len(raw_57) == 2 else 0
        # RFC 2132 section 9.10: "The minimum legal value is 576 octets"; the
        # value counts the IP datagram, so the DHCP message is 28 octets less.
        limit = max(asked, _MIN_DATAGRAM) - _IP_UDP
        # Table 3: "Use 'file'/'sname' fields": MAY (DHCPOFFER, DHCPACK), MUST NOT (DHCPNAK).
        overload = not nak
    registry = cx.cfg.registry
    optional = list(optional)
    while True:
        reply = message_from_wire(
            OpCode.BOOTREPLY, msg.htype, msg.hlen, 0, msg.xid, 0, flags, ciaddr, yiaddr,
            siaddr, msg.giaddr, msg.chaddr, sname, file, Options._make(raw, {}, registry, None),
            None, ())
        if _size(raw) <= limit:
            break
        if overload:
            try:
                encode(reply, max_size=limit)
                break
            except MessageTooLarge:
                pass
        if not optional:
            return Discard(reason=f"the reply does not fit in {limit} octets", message=msg)
        raw = dict(raw)
        # RFC 3046 section 2.2: "If a server is unable to copy a full Relay
        # Agent Information field into a response, it SHALL send the response
        # without the Relay Information Field".
        del raw[optional.pop()]
    hlen = msg.hlen
    row = _DELIVERY[(bootp, bool(cx.giaddr), nak, bool(int(ciaddr)), bool(flags & BROADCAST_FLAG),
                     not (0 < hlen <= 16 and int(yiaddr)))]
    _, dest, port, broadcast, by_chaddr = row
    destination = (msg.giaddr if dest == "giaddr" else ciaddr if dest == "ciaddr"
                   else yiaddr if dest == "yiaddr" else _BROADCAST)
    return SendReply(message=reply, destination=destination, port=port, broadcast=broadcast,
                     hardware_address=msg.chaddr[:hlen] if by_chaddr else None,
                     max_size=limit, interface=cx.interface)


_TYPE_RAW: Final = {t: bytes((t,)) for t in MessageType}


def _server_id(cx: Facts, sp: SubnetPlan | None) -> bytes:
    if cx.override is not None:
        return cx.override
    return sp.server_id_raw if sp is not None else cx.cfg.server_identifier.packed


def _echo(cx: Facts, raw: dict[int, bytes]) -> None:
    req = cx.raw
    # RFC 6842 section 3: "If the 'client identifier' option is present in a
    # message received from a client, the server MUST return the 'client
    # identifier' option, unaltered, in its response message."
    cid = req.get(CLIENT_IDENTIFIER)
    if cid is not None:
        raw[CLIENT_IDENTIFIER] = cid
    # RFC 3046 section 2.2: servers "SHALL echo the entire contents of the
    # Relay Agent Information option in all replies" (the encoder puts it last:
    # "Servers SHOULD copy the Relay Agent Information option as the last DHCP option").
    relay = req.get(RELAY_AGENT_INFORMATION)
    if relay is not None:
        raw[RELAY_AGENT_INFORMATION] = relay


def _options_for(cx: Facts, sp: SubnetPlan) -> OptionPlan:
    res = cx.res
    return res.options if res is not None and res.subnet == sp.index else sp.options


def _grant(cx: Facts, kind: MessageType, address: int, lease_time: int | None,
           rapid: bool = False) -> Action:
    """A DHCPOFFER or DHCPACK (section 4.3.1 and table 3); ``lease_time`` None: to an INFORM."""
    sp = cx.plan.subnet_of(address) if address else None
    if sp is None:
        sp = cx.subnet
    assert sp is not None
    raw = {MESSAGE_TYPE: _TYPE_RAW[kind], SERVER_IDENTIFIER: _server_id(cx, sp)}
    if lease_time is not None:
        # Table 3: "IP address lease time: MUST (DHCPOFFER), MUST (DHCPACK to a DHCPREQUEST)".
        raw[IP_ADDRESS_LEASE_TIME] = lease_time.to_bytes(4, "big")
        if lease_time != INFINITE:
            # Section 4.4.5: "T1 defaults to (0.5 * duration_of_lease). T2
            # defaults to (0.875 * duration_of_lease)"; sent, with the configured fractions.
            cfg = cx.cfg
            raw[RENEWAL_TIME] = int(lease_time * cfg.renewal_fraction).to_bytes(4, "big")
            raw[REBINDING_TIME] = int(lease_time * cfg.rebinding_fraction).to_bytes(4, "big")
    chosen = _options_for(cx, sp).select(cx.raw.get(PARAMETER_REQUEST_LIST))
    raw.update(chosen)
    if rapid:
        # RFC 4039 section 4: "A server MUST include this option in a DHCPACK
        # message sent in a response to a DHCPDISCOVER message when completing
        # the DHCPDISCOVER-DHCPACK message exchange."
        raw[RAPID_COMMIT] = b""
    if cx.by_118:
        # RFC 3011 section 2: "Servers configured to support this option MUST
        # return an identical copy of the option to any client that sends it".
        raw[SUBNET_SELECTION] = cx.raw[SUBNET_SELECTION]
    _echo(cx, raw)
    optional = [c for c, _ in chosen]
    if RELAY_AGENT_INFORMATION in raw:
        optional.insert(0, RELAY_AGENT_INFORMATION)
    msg = cx.msg
    return _send(
        cx, kind=kind,
        # Table 3: 'ciaddr' is 0 in a DHCPOFFER, "'ciaddr' from DHCPREQUEST or 0" in a DHCPACK.
        ciaddr=msg.ciaddr if kind is MessageType.ACK else ZERO_ADDRESS,
        # Section 4.3.5: for a DHCPINFORM the server "SHOULD NOT fill in 'yiaddr'".
        yiaddr=cx.d.leases[address].address if lease_time is not None else ZERO_ADDRESS,
        siaddr=sp.next_server or ZERO_ADDRESS, sname=sp.sname, file=sp.file, raw=raw,
        optional=optional)


def _nak(cx: Facts, why: str) -> list[Action]:
    """A DHCPNAK (table 3): type, server identifier, message; no lease, no 'file'/'sname'."""
    raw = {MESSAGE_TYPE: _TYPE_RAW[MessageType.NAK], SERVER_IDENTIFIER: _server_id(cx, cx.subnet),
           MESSAGE: why.encode("ascii", "replace")}
    _echo(cx, raw)
    optional = [RELAY_AGENT_INFORMATION] if RELAY_AGENT_INFORMATION in raw else []
    return [_send(cx, kind=MessageType.NAK, ciaddr=ZERO_ADDRESS, yiaddr=ZERO_ADDRESS,
                  siaddr=ZERO_ADDRESS, sname=b"", file=b"", raw=raw, optional=optional)]


def _silent_or_nak(cx: Facts, why: str) -> list[Action]:
    # Section 4.3.2: "If the DHCP server has no record of this client, then it
    # MUST remain silent ... This behavior is necessary for peaceful coexistence
    # of non-communicating DHCP servers on the same wire." An authoritative
    # server is configured as the only one, and says no.
    if cx.cfg.authoritative:
        return _nak(cx, why)
    return _discard(cx, f"{why}; not authoritative, so silent (RFC 2131 section 4.3.2)")


def _discard(cx: Facts, why: str) -> list[Action]:
    return [Discard(reason=why, message=cx.msg)]


# -- the messages (section 4.3) ---------------------------------------------------------

def _choose(cx: Facts) -> int | None:
    """The address to offer, in the order of section 4.3.1."""
    d = cx.d
    leases = d.leases
    key = cx.key
    sp = cx.subnet
    assert sp is not None and key is not None
    res = cx.res
    if res is not None:
        # Section 4.3.1, "Any parameters specific to this client": a
        # reservation names the address (RFC 2131 section 2: "manual allocation").
        held = leases.get(res.address)
        if held is None or held.state in AVAILABLE or (held.client == key and
                                                        held.state in HELD):
            return res.address
    # "The client's current address as recorded in the client's current
    # binding, ELSE The client's previous address as recorded in the client's
    # (now expired or released) binding, if that address is in the server's
    # pool of available addresses and not already allocated, ELSE"
    current = d.clients.get(key)
    if current is not None and cx.on_link(current):
        lease = leases[current]
        reserved = cx.plan.reserved.get(current)
        if (reserved is None or reserved is res) and (
                lease.state in HELD or (lease.state in AVAILABLE and cx.assignable(current))):
            return current
    # "The address requested in the 'Requested IP Address' option, if that
    # address is valid and not already allocated, ELSE"
    asked = _int4(cx.raw.get(REQUESTED_IP_ADDRESS))
    if asked is not None and cx.on_link(asked) and cx.assignable(asked):
        there = leases.get(asked)
        if there is None or there.state in AVAILABLE or (there.client == key and
                                                          there.state in HELD):
            return asked
    # "A new address allocated from the server's pool of available addresses;
    # the address is selected based on the subnet from which the message was received".
    return _allocate(cx, sp)


def _discover(cx: Facts) -> list[Action]:
    """Section 4.3.1 (and RFC 4039 for rapid commit)."""
    if cx.subnet is None:
        return _discard(cx, "no subnet is configured for this client's network")
    address = _choose(cx)
    if address is None:
        # "If no address is available, the server may choose to report the
        # problem to the system administrator."
        return _discard(cx, f"no free address on {cx.subnet.subnet.network}")
    lease = cx.d.leases.get(address)
    kept = cx.kept(lease)
    lease_time = cx.lease_time(lease) if kept is None else kept
    out: list[Action] = []
    # RFC 4039 section 3: "A server that supports the Rapid Commit option MAY
    # respond to a DHCPDISCOVER message that included the Rapid Commit option
    # with a DHCPACK that includes the Rapid Commit option and fully committed
    # address and configuration information."
    if cx.cfg.rapid_commit and RAPID_COMMIT in cx.raw:
        if kept is None:
            out.append(_commit(cx, address, lease_time))
        out.append(_grant(cx, MessageType.ACK, address, lease_time, rapid=True))
        return out
    if lease is None or lease.client != cx.key or lease.state is not BOUND:
        # "the server SHOULD NOT reuse the selected network address before the
        # client responds to the server's DHCPOFFER message. The server may
        # choose to record the address as offered to the client." (A binding
        # the client already has stays bound: the offer cannot shorten it.)
        held = _new_lease(cx, address, OFFERED, cx.now + cx.cfg.offer_time, lease_time)
        out.append(put(cx.j, cx.d, cx.plan, address, held, LeaseOffered))
    out.append(_grant(cx, MessageType.OFFER, address, lease_time))
    return out


def _request(cx: Facts) -> list[Action]:
    """Section 4.3.2: tell the client's state from the message (table 4), then answer."""
    facts = (SERVER_IDENTIFIER in cx.raw, bool(cx.ciaddr), REQUESTED_IP_ADDRESS in cx.raw)
    return REQUEST_KINDS[facts][1](cx)


def _selecting(cx: Facts) -> list[Action]:
    """A DHCPREQUEST that answers a DHCPOFFER (it names a server)."""
    d, key = cx.d, cx.key
    sid = _int4(cx.raw[SERVER_IDENTIFIER])
    # RFC 5107 section 4: "If both the Server Identifier Override suboption and
    # the Server Identifier option specify the same address, then the server
    # should accept the DHCPREQUEST message for processing".
    ours = sid is not None and (sid in cx.plan.server_ids or (
        cx.override is not None and sid == int.from_bytes(cx.override, "big")))
    if not ours:
        # Section 3.1 step 4: "Those servers not selected by the DHCPREQUEST
        # message use the message as notification that the client has declined
        # that server's offer." Step 3: the server "SHOULD mark an address
        # offered to a client in a DHCPOFFER message as available if the server
        # receives no DHCPREQUEST message from that client": ours is free now.
        out: list[Action] = []
        assert key is not None
        current = d.clients.get(key)
        offered = d.leases[current] if current is not None else None
        if current is not None and offered is not None and offered.state is OFFERED:
            freed = Lease(address=offered.address, client=key,
                          hardware_address=offered.hardware_address, state=EXPIRED,
                          expires=cx.now, lease_time=offered.lease_time)
            out.append(put(cx.j, d, cx.plan, current, freed, LeaseExpired))
        who = "an unreadable server identifier" if sid is None else f"server {IPv4Address(sid)}"
        out.extend(_discard(cx, f"the client chose {who}"))
        return out
    # Section 4.3.2: "'requested IP address' MUST be filled in with the yiaddr
    # value from the chosen DHCPOFFER."
    address = _int4(cx.raw.get(REQUESTED_IP_ADDRESS)) or cx.ciaddr
    if not address:
        return _nak(cx, "no requested address")
    lease = d.leases.get(address)
    reserved = cx.plan.reserved.get(address)
    if (lease is not None and lease.client == key and (reserved is None or reserved is cx.res)
            and (lease.state in HELD or (lease.state in AVAILABLE and cx.assignable(address)))):
        kept = cx.kept(lease)
        out = []
        if kept is None:
            lease_time = cx.lease_time(lease)
            out.append(_commit(cx, address, lease_time))
        else:
            lease_time = kept
        out.append(_grant(cx, MessageType.ACK, address, lease_time))
        return out
    # Section 3.1 step 4: "If the selected server is unable to satisfy the
    # DHCPREQUEST message (e.g., the requested network address has been
    # allocated), the server SHOULD respond with a DHCPNAK message."
    return _nak(cx, "the offer no longer stands")


def _verify(cx: Facts, address: int, what: str) -> list[Action]:
    """Confirm or refuse the client's own notion of its address (INIT-REBOOT,
    RENEWING, REBINDING), extending the lease when it is right."""
    d, key = cx.d, cx.key
    lease = d.leases.get(address)
    reserved = cx.plan.reserved.get(address)
    if reserved is not None and reserved is not cx.res:
        return _nak(cx, f"{what} is reserved for another client")
    if lease is not None and lease.client == key:
        if lease.state in HELD or (lease.state in AVAILABLE and cx.assignable(address)):
            lease_time = cx.lease_time(lease)
            return [_commit(cx, address, lease_time),
                    _grant(cx, MessageType.ACK, address, lease_time)]
        return _nak(cx, f"{what} was declined" if lease.state is DECLINED
                    else f"{what} is no longer in a pool")
    if lease is not None and lease.state not in AVAILABLE:
        return _nak(cx, f"{what} belongs to another client")
    if reserved is not None:  # this client's reservation, never used yet
        lease_time = cx.lease_time(None)
        return [_commit(cx, address, lease_time),
                _grant(cx, MessageType.ACK, address, lease_time)]
    assert key is not None
    current = d.clients.get(key)
    if current is not None and d.leases[current].state in HELD:
        # Section 4.3.2: "the DHCP server should check if the client's notion
        # of its IP address is correct. If not, then the server SHOULD send a
        # DHCPNAK message to the client." (Only when the server holds a binding
        # for it: a stale record says nothing of what the client has now.)
        return _nak(cx, f"the client's address is {IPv4Address(current)}, not {what}")
    return _silent_or_nak(cx, f"no record of this client at {what}")


def _init_reboot(cx: Facts) -> list[Action]:
    """A DHCPREQUEST that checks a remembered address (no server id, 'ciaddr' zero)."""
    address = _int4(cx.raw[REQUESTED_IP_ADDRESS])
    if cx.subnet is None:
        return _discard(cx, "no subnet is configured for this client's network")
    # Section 4.3.2: "If the DHCP server detects that the client is on the
    # wrong net (i.e., the result of applying the local subnet mask or remote
    # subnet mask (if 'giaddr' is not zero) to 'requested IP address' option
    # value doesn't match reality), then the server SHOULD send a DHCPNAK".
    if address is None or not cx.on_link(address):
        return _nak(cx, "the requested address is not on the client's network")
    return _verify(cx, address, f"requested address {IPv4Address(address)}")


def _renewing(cx: Facts) -> list[Action]:
    """A DHCPREQUEST that extends a lease ('ciaddr' set): RENEWING or REBINDING.

    RENEWING: "the DHCP server will trust the value in 'ciaddr'"; REBINDING:
    "The DHCP server SHOULD check 'ciaddr' for correctness before replying".
    The server checks it in both, against its lease records.
    """
    address = cx.ciaddr
    if cx.giaddr and cx.subnet is not None and not cx.on_link(address):
        # a relayed request from a network the address is not on: the client moved
        return _nak(cx, "ciaddr is not on the client's network")
    return _verify(cx, address, f"ciaddr {IPv4Address(address)}")


def _bad_request(cx: Facts) -> list[Action]:
    return _discard(cx, "a DHCPREQUEST with no server identifier, no requested address and "
                        "no ciaddr (RFC 2131 table 4)")


#: RFC 2131 table 4, read by the server: (server identifier present, 'ciaddr'
#: set, requested IP address present) -> (client state, handler). Section
#: 4.3.2: "If the DHCPREQUEST message contains a 'server identifier' option,
#: the message is in response to a DHCPOFFER message. Otherwise, the message
#: is a request to verify or extend an existing lease."
REQUEST_KINDS: Final = {
    **{(True, ci, rq): ("SELECTING", _selecting) for ci in (False, True) for rq in (False, True)},
    (False, False, True): ("INIT-REBOOT", _init_reboot),
    (False, True, False): ("RENEWING/REBINDING", _renewing),
    (False, True, True): ("RENEWING/REBINDING", _renewing),
    (False, False, False): ("invalid", _bad_request),
}


def _decline(cx: Facts) -> list[Action]:
    """Section 4.3.3: "The server MUST mark the network address as not available"."""
    d = cx.d
    address = _int4(cx.raw.get(REQUESTED_IP_ADDRESS))
    sid = _int4(cx.raw.get(SERVER_IDENTIFIER))
    if sid is not None and sid not in cx.plan.server_ids:
        return _discard(cx, "a DHCPDECLINE for another server")
    lease = d.leases.get(address) if address is not None else None
    # Only the client the address was given to can decline it: anyone else's
    # DHCPDECLINE would let a stranger take addresses out of use.
    if lease is None or lease.client != cx.key or lease.state not in HELD:
        return _discard(cx, "a DHCPDECLINE for an address this client does not hold")
    # "... and SHOULD notify the local system administrator of a possible
    # configuration problem": the LeaseDeclined action is that notice.
    assert address is not None
    quarantined = _new_lease(cx, address, DECLINED, cx.now + cx.cfg.decline_time,
                             lease.lease_time)
    return [put(cx.j, d, cx.plan, address, quarantined, LeaseDeclined)]


def _release(cx: Facts) -> list[Action]:
    """Section 4.3.4: "Upon receipt of a DHCPRELEASE message, the server marks the
    network address as not allocated. The server SHOULD retain a record of the
    client's initialization parameters for possible reuse"."""
    d = cx.d
    sid = _int4(cx.raw.get(SERVER_IDENTIFIER))
    if sid is not None and sid not in cx.plan.server_ids:
        return _discard(cx, "a DHCPRELEASE for another server")
    address = cx.ciaddr
    lease = d.leases.get(address) if address else None
    if lease is None or lease.client != cx.key or lease.state not in HELD:
        return _discard(cx, "a DHCPRELEASE for an address this client does not hold")
    released = _new_lease(cx, address, RELEASED, cx.now, lease.lease_time)
    return [put(cx.j, d, cx.plan, address, released, LeaseReleased)]


def _inform(cx: Facts) -> list[Action]:
    """Section 4.3.5: "The server responds to a DHCPINFORM message by sending a
    DHCPACK message directly to the address given in the 'ciaddr' field ... The
    server MUST NOT send a lease expiration time to the client and SHOULD NOT
    fill in 'yiaddr'."

    Section 3.4: "The server SHOULD check the network address in a DHCPINFORM
    message for consistency, but MUST NOT check for an existing lease": the
    parameters are those of the subnet 'ciaddr' is on.
    """
    if not cx.ciaddr:
        return _discard(cx, "a DHCPINFORM without ciaddr")
    own = cx.plan.subnet_of(cx.ciaddr)
    if own is not None:
        cx.subnet = own
    if cx.subnet is None:
        return _discard(cx, "no subnet is configured for this client's network")
    return [_grant(cx, MessageType.ACK, 0, None)]


def _bootp(cx: Facts) -> list[Action]:
    """RFC 1534 section 2: BOOTP clients, when the configuration allows them."""
    cfg = cx.cfg
    if not cfg.bootp:
        # "If a DHCP server that is not configured to support BOOTP clients
        # receives a BOOTREQUEST message from a BOOTP client, that server
        # silently discards the BOOTREQUEST message."
        return _discard(cx, "a BOOTP request, and BOOTP is off (RFC 1534)")
    if cx.subnet is None:
        return _discard(cx, "no subnet is configured for this client's network")
    address = _choose(cx)
    if address is None:
        return _discard(cx, f"no free address on {cx.subnet.subnet.network}")
    out: list[Action] = []
    lease = cx.d.leases.get(address)
    # "the DHCP server must assign an infinite lease duration to for automatic
    # addresses assigned to BOOTP clients ... The server marks a binding for a
    # BOOTP client as BOUND after sending the BOOTP BOOTREPLY".
    if lease is None or lease.client != cx.key or lease.state is not BOUND \
            or lease.lease_time != INFINITE:
        out.append(_commit(cx, address, INFINITE))
    sp = cx.plan.subnet_of(address)
    assert sp is not None
    # "the server MUST NOT include the 'DHCP message type' option"; other
    # options MAY go to a BOOTP client.
    raw: dict[int, bytes] = {}
    chosen = _options_for(cx, sp).select(cx.raw.get(PARAMETER_REQUEST_LIST))
    raw.update(chosen)
    out.append(_send(cx, kind=None, ciaddr=cx.msg.ciaddr, yiaddr=cx.d.leases[address].address,
                     siaddr=sp.next_server or ZERO_ADDRESS, sname=sp.sname, file=sp.file,
                     raw=raw, optional=[c for c, _ in chosen]))
    return out


def _not_for_server(cx: Facts) -> list[Action]:
    kind = cx.raw[MESSAGE_TYPE][0]
    name = MessageType(kind).name if kind in _TYPE_RAW else str(kind)
    return _discard(cx, f"DHCP{name} is not a client message this server answers")


#: Section 4.3: "A DHCP server can receive the following messages from a
#: client: DHCPDISCOVER, DHCPREQUEST, DHCPDECLINE, DHCPRELEASE, DHCPINFORM".
#: ``None`` is a message without option 53: RFC 1534 section 2, "Messages
#: without the DHCP Message Type option are assumed to have been sent by a
#: BOOTP client."
HANDLERS: Final[dict[int | None, Callable[[Facts], list[Action]]]] = {
    MessageType.DISCOVER: _discover,
    MessageType.REQUEST: _request,
    MessageType.DECLINE: _decline,
    MessageType.RELEASE: _release,
    MessageType.INFORM: _inform,
    None: _bootp,
}


def answer(plan: Plan, d: Data, j: Journal, msg: Message, now: float,
            interface: str | None, source: IPv4Address | None) -> list[Action]:
    if msg.op != OpCode.BOOTREQUEST:
        # RFC 1542 section 2.1 and RFC 2131 section 4.1: servers take BOOTREQUESTs.
        return [Discard(reason="not a BOOTREQUEST", message=msg)]
    raw = msg.options._raw
    kind = raw.get(MESSAGE_TYPE)
    if kind is None:
        handler = HANDLERS[None]
    elif len(kind) != 1:
        return [Discard(reason="option 53 is not one octet", message=msg)]
    else:
        handler = HANDLERS.get(kind[0], _not_for_server)
    cx = Facts(plan, d, j, msg, now, interface, source)
    if cx.key is None:
        # RFC 6842 section 2: servers "MAY drop the DHCP packets in the absence
        # of both the 'client identifier' and 'chaddr' option."
        return [Discard(reason="no client identifier and an all-zero chaddr", message=msg)]
    # The options a reply echoes must be well formed, or the reply would not
    # be: a lenient decode lets malformed values through, and says so in
    # ``defects``. RFC 2132 section 9.14: option 61's "minimum length is 2";
    # RFC 3046 section 2.0: option 82 is a sequence of sub-options.
    cid = raw.get(CLIENT_IDENTIFIER)
    bad = sorted(d.option for d in msg.defects if d.option in _ECHOED) if msg.defects else []
    if cx.relay_malformed:
        bad.append(RELAY_AGENT_INFORMATION)
    if cid is not None and len(cid) < 2:
        bad.append(CLIENT_IDENTIFIER)
    if bad:
        return [Discard(reason=f"option {bad[0]}, which a reply echoes, is malformed",
                        message=msg)]
    return handler(cx)


