"""The server's replies: RFC 2131 table 3 for their contents, section 4.1 for their delivery.

Rules of this module:

* :func:`grant` builds a DHCPOFFER or DHCPACK, :func:`nak` a DHCPNAK; both
  go through :func:`send`, which takes the header fields and the allowed
  options from RFC 2131 table 3 as :mod:`dhcpwire.protocol.rfc2131` holds
  it (:data:`~dhcpwire.protocol.rfc2131.REPLY_RULES`), fits the reply to the
  client's size and picks its delivery from :data:`DELIVERY_RULES`.
* A reply echoes what RFC 6842 (client identifier), RFC 3046 (relay agent
  information) and RFC 3011 (subnet selection) ask to be echoed.
* :func:`forcerenew_message` is the one message the server sends unasked
  (RFC 3203), signed by RFC 6704.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from ipaddress import IPv4Address
from itertools import product
from typing import Final

from ..protocol import rfc6704
from ..protocol.actions import BROADCAST, Discard, Send, send_action
from ..protocol.rfc2131 import ACK as ACK_COLUMN
from ..protocol.rfc2131 import REPLY_COLUMN, REPLY_RULES, ReplyRules
from ..protocol.rfc6704 import sign_forcerenew
from ..wire.codes import (
    AUTHENTICATION,
    CLIENT_IDENTIFIER,
    FORCERENEW_NONCE_CAPABLE,
    IP_ADDRESS_LEASE_TIME,
    MAXIMUM_MESSAGE_SIZE,
    MESSAGE,
    MESSAGE_TYPE,
    PARAMETER_REQUEST_LIST,
    RAPID_COMMIT,
    REBINDING_TIME,
    RELAY_AGENT_INFORMATION,
    RENEWAL_TIME,
    SERVER_IDENTIFIER,
    SUBNET_SELECTION,
)
from ..wire.constants import (
    BOOTP_MIN_SIZE,
    BROADCAST_FLAG,
    CLIENT_PORT,
    INFINITE,
    SERVER_PORT,
    MessageType,
    OpCode,
)
from ..wire.encoder import encode
from ..wire.errors import MessageTooLarge, StateError
from ..wire.mapping import NO_TYPED
from ..wire.message import ZERO_ADDRESS, message_from_wire
from ..wire.options import Options
from ..wire.values import Authentication
from .config import OptionPlan, Plan, ServerConfig, SubnetPlan
from .facts import IP_UDP, MIN_DATAGRAM, Facts, replay_stamp
from .leases import Action, LeaseRecord

__all__ = ["ACK", "DELIVERY_RULES", "NAK", "OFFER", "TYPE_RAW", "discard", "forcerenew_message",
           "grant", "lease_times", "nak", "nonce_option", "options_for", "send", "silent_or_nak",
           "size"]

# -- replies ------------------------------------------------------------------------

#: How a reply travels: section 4.1 for DHCP, RFC 1542 section 5.4 for
#: BOOTP. The first row whose condition holds is used. Each row is
#: (condition, destination, UDP port, broadcast, addressed by 'chaddr').
DELIVERY_RULES: Final[dict[str, tuple[_Row, ...]]] = {
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


def delivery_table() -> dict[tuple[bool, ...], _Row]:
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


_DELIVERY: Final = delivery_table()


def size(raw: Mapping[int, bytes]) -> int:
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


#: Table 3's column of each (request type, reply type) a server sends.
_RULES: Final[dict[tuple[int | None, MessageType | None], ReplyRules]] = {
    (int(request), reply): REPLY_RULES[column]
    for (request, reply), column in REPLY_COLUMN.items()}


def send(cx: Facts, *, kind: MessageType | None, yiaddr: IPv4Address, siaddr: IPv4Address,
          sname: bytes, file: bytes, raw: dict[int, bytes],
          optional: Sequence[int]) -> Action:
    """Build the reply by table 3, fit it to the client's size, and decide its delivery.

    ``kind`` is the reply's type (``None``: a BOOTP reply). The header comes
    from :class:`~dhcpwire.protocol.rfc2131.ReplyRules` of the reply's
    column, which also drops the options the column forbids and checks the
    ones it requires. ``optional`` lists the codes that may be left out when
    the reply does not fit (configured options, last first); option 82 goes
    only after them.
    """
    msg = cx.msg
    nak = kind is NAK
    bootp = kind is None
    flags = msg.flags
    if nak and cx.giaddr:
        # Section 4.3.2: "If 'giaddr' is set in the DHCPREQUEST message, the
        # client is on a different subnet. The server MUST set the broadcast bit
        # in the DHCPNAK, so that the relay agent will broadcast the DHCPNAK".
        flags |= BROADCAST_FLAG
    if bootp:
        # RFC 1534 section 2: a BOOTREPLY to a BOOTP client has the fields of
        # the DHCPACK it stands for ("The server marks a binding for a BOOTP
        # client as BOUND after sending the BOOTP BOOTREPLY"), and the server
        # "MUST NOT exceed the size limit for BOOTREPLY messages": RFC 951's
        # 300 octets, so no overload either.
        rules = REPLY_RULES[ACK_COLUMN]
        limit, overload = BOOTP_MIN_SIZE, False
    else:
        rules = _RULES[(cx.kind, kind)]
        raw = rules.options(raw)
        raw_57 = cx.raw.get(MAXIMUM_MESSAGE_SIZE)
        asked = int.from_bytes(raw_57, "big") if raw_57 is not None and len(raw_57) == 2 else 0
        # RFC 2132 section 9.10: "The minimum legal value is 576 octets"; the
        # value counts the IP datagram, so the DHCP message is 28 octets less.
        limit = max(asked, MIN_DATAGRAM) - IP_UDP
        # Table 3: "Use 'file'/'sname' fields": MAY (DHCPOFFER, DHCPACK), MUST NOT (DHCPNAK).
        overload = rules.overload
    header = rules.header(msg, yiaddr, siaddr, sname, file, flags)
    ciaddr, yiaddr = header[7], header[8]
    registry = cx.cfg.registry
    left: list[int] | None = None
    while True:
        reply = message_from_wire(*header, Options._make(raw, NO_TYPED, registry, None),
                                  None, ())
        if size(raw) <= limit:
            break
        if overload:
            try:
                encode(reply, max_size=limit)
                break
            except MessageTooLarge:
                pass
        if left is None:
            left = list(optional)
        if not left:
            return Discard(reason=f"the reply does not fit in {limit} octets", message=msg)
        raw = dict(raw)
        # RFC 3046 section 2.2: "If a server is unable to copy a full Relay
        # Agent Information field into a response, it SHALL send the response
        # without the Relay Information Field".
        del raw[left.pop()]
    hlen = msg.hlen
    row = _DELIVERY[(bootp, bool(cx.giaddr), nak, bool(int(ciaddr)),
                     bool(flags & BROADCAST_FLAG), not (0 < hlen <= 16 and int(yiaddr)))]
    _, dest, port, _, by_chaddr = row
    if dest == "giaddr":
        destination = msg.giaddr
        port = cx.relay_port
    else:
        destination = (ciaddr if dest == "ciaddr" else
                       yiaddr if dest == "yiaddr" else BROADCAST)
    return send_action(reply, destination, port, None,
                       msg.chaddr[:hlen] if by_chaddr else None, cx.interface, limit)


TYPE_RAW: Final = {t: bytes((t,)) for t in MessageType}
#: The replies' types, read once (an enum member lookup is not free on a hot path).
OFFER, ACK, NAK = MessageType.OFFER, MessageType.ACK, MessageType.NAK


def server_id(cx: Facts, sp: SubnetPlan | None) -> bytes:
    if cx.override is not None:
        return cx.override
    return sp.server_id_raw if sp is not None else cx.cfg.server_identifier.packed


def echo(cx: Facts, raw: dict[int, bytes]) -> None:
    # RFC 6842 section 3: "If the 'client identifier' option is present in a
    # message received from a client, the server MUST return the 'client
    # identifier' option, unaltered, in its response message."
    cid = cx.cid
    if cid is not None:
        raw[CLIENT_IDENTIFIER] = cid
    # RFC 3046 section 2.2: servers "SHALL echo the entire contents of the
    # Relay Agent Information option in all replies" (the encoder puts it last:
    # "Servers SHOULD copy the Relay Agent Information option as the last DHCP option").
    relay = cx.relay
    if relay is not None:
        raw[RELAY_AGENT_INFORMATION] = relay


def options_for(cx: Facts, sp: SubnetPlan) -> OptionPlan:
    res = cx.res
    return res.options if res is not None and res.subnet == sp.index else sp.options


def grant(cx: Facts, kind: MessageType, address: int, lease_time: int | None,
           rapid: bool = False) -> Action:
    """A DHCPOFFER or DHCPACK (section 4.3.1 and table 3); ``lease_time`` None: to an INFORM."""
    sp = (cx.plan.subnet_of(address) if address else None) or cx.subnet
    if sp is None:  # every caller has found the client's subnet first
        raise StateError("bug: a grant outside every subnet")
    raw: dict[int, bytes] = {MESSAGE_TYPE: TYPE_RAW[kind], SERVER_IDENTIFIER: server_id(cx, sp)}
    if lease_time is not None:
        times = cx.plan.times.get(lease_time)
        if times is None:
            times = lease_times(cx.cfg, lease_time)
            if len(cx.plan.times) < 256:  # a few distinct lease times, memoised
                cx.plan.times[lease_time] = times
        raw.update(times)
    chosen, codes = options_for(cx, sp).choose(cx.raw.get(PARAMETER_REQUEST_LIST))
    raw.update(chosen)
    if cx.cfg.forcerenew_nonce and FORCERENEW_NONCE_CAPABLE in cx.raw:
        if kind is OFFER:
            # RFC 6704 section 3.1.4: "DHCP servers that support Forcerenew
            # nonce Protocol authentication MUST include the
            # FORCERENEW_NONCE_CAPABLE (145) DHCP option in all DHCP Offers";
            # section 3.1.3: "The server SHOULD NOT include this option unless
            # the client has indicated its capability in a DHCP Discovery
            # message." Its value lists the algorithms: 1, HMAC-MD5.
            raw[FORCERENEW_NONCE_CAPABLE] = NONCE_ALGORITHMS
        elif cx.new_nonce is not None:
            # Section 3.1.3: "The server records the Forcerenew nonce and
            # transmits that nonce to the client in an Authentication option
            # in the DHCP ACK message."
            raw[AUTHENTICATION] = nonce_option(cx.new_nonce, cx.now)
    if rapid:
        # RFC 4039 section 4: "A server MUST include this option in a DHCPACK
        # message sent in a response to a DHCPDISCOVER message when completing
        # the DHCPDISCOVER-DHCPACK message exchange."
        raw[RAPID_COMMIT] = b""
    if cx.by_118:
        # RFC 3011 section 2: "Servers configured to support this option MUST
        # return an identical copy of the option to any client that sends it".
        raw[SUBNET_SELECTION] = cx.raw[SUBNET_SELECTION]
    echo(cx, raw)
    optional = (RELAY_AGENT_INFORMATION, *codes) if cx.relay is not None else codes
    return send(
        cx, kind=kind,
        # Section 4.3.5: for a DHCPINFORM the server "SHOULD NOT fill in 'yiaddr'".
        yiaddr=cx.d.leases[address].address if lease_time is not None else ZERO_ADDRESS,
        siaddr=sp.next_server or ZERO_ADDRESS, sname=sp.sname, file=sp.file, raw=raw,
        optional=optional)


def lease_times(cfg: ServerConfig, lease_time: int) -> tuple[tuple[int, bytes], ...]:
    """Options 51, 58 and 59 of a lease of ``lease_time`` seconds, as value bytes."""
    # Table 3: "IP address lease time: MUST (DHCPOFFER), MUST (DHCPACK to a DHCPREQUEST)".
    out = [(IP_ADDRESS_LEASE_TIME, lease_time.to_bytes(4, "big"))]
    if lease_time != INFINITE:
        # Section 4.4.5: "T1 defaults to (0.5 * duration_of_lease). T2 defaults
        # to (0.875 * duration_of_lease)"; sent, with the configured fractions.
        out.append((RENEWAL_TIME, int(lease_time * cfg.renewal_fraction).to_bytes(4, "big")))
        out.append((REBINDING_TIME,
                    int(lease_time * cfg.rebinding_fraction).to_bytes(4, "big")))
    return tuple(out)


def nak(cx: Facts, why: str) -> list[Action]:
    """A DHCPNAK (table 3): type, server identifier, message; no lease, no 'file'/'sname'."""
    raw: dict[int, bytes] = {
        MESSAGE_TYPE: TYPE_RAW[NAK], SERVER_IDENTIFIER: server_id(cx, cx.subnet),
        MESSAGE: why.encode("ascii", "replace")}
    echo(cx, raw)
    optional: list[int] = [RELAY_AGENT_INFORMATION] if RELAY_AGENT_INFORMATION in raw else []
    return [send(cx, kind=NAK, yiaddr=ZERO_ADDRESS, siaddr=ZERO_ADDRESS,
                 sname=b"", file=b"", raw=raw, optional=optional)]


def silent_or_nak(cx: Facts, why: str) -> list[Action]:
    # Section 4.3.2: "If the DHCP server has no record of this client, then it
    # MUST remain silent ... This behavior is necessary for peaceful coexistence
    # of non-communicating DHCP servers on the same wire." An authoritative
    # server is configured as the only one, and says no.
    if cx.cfg.authoritative:
        return nak(cx, why)
    return discard(cx, f"{why}; not authoritative, so silent (RFC 2131 section 4.3.2)")


def discard(cx: Facts, why: str) -> list[Action]:
    return [Discard(reason=why, message=cx.msg)]



#: RFC 6704 section 3.1.1: option 145 lists "a sequence of algorithms"; 1 is HMAC-MD5.
NONCE_ALGORITHMS: Final = bytes((rfc6704.ALGORITHM,))


def nonce_option(nonce: bytes, now: float) -> bytes:
    """Option 90's value carrying an RFC 6704 Forcerenew nonce (section 3.1.2).

    "Protocol: 3 (Reconfigure Key) ... Algorithm: 1 (HMAC-MD5) ... Replay
    Detection Method (RDM): 0"; the information is "Type: ... 1 Forcerenew
    nonce Value (used in ACK message)" and the 128-bit value.
    """
    value = Authentication(rfc6704.PROTOCOL, rfc6704.ALGORITHM, rfc6704.RDM,
                           replay_stamp(now), bytes((rfc6704.NONCE_VALUE,)) + nonce)
    values: dict[int, Authentication] = {AUTHENTICATION: value}
    return Options(values).raw(AUTHENTICATION)


def forcerenew_message(plan: Plan, lease: LeaseRecord, now: float) -> Send:
    """The DHCPFORCERENEW for the client of ``lease`` (bound), signed with its nonce if any.

    RFC 3203 section 4: "The FORCERENEW message makes use of the normal DHCP
    message layout with the introduction of a new DHCP message type"; the
    RFC says nothing of the header, so this one is a reply's addressed to
    the bound client: 'op' BOOTREPLY, its hardware address in 'chaddr', its
    address in 'ciaddr', 'xid' 0. The options are the message type, the
    server identifier the client holds its lease from (the client checks
    it) and, for a client known by option 61, that identifier (RFC 6842
    section 3: clients compare it with theirs).
    """
    address = int(lease.address)
    sp = plan.subnet_of(address)
    sid = sp.server_id_raw if sp is not None else plan.config.server_identifier.packed
    raw: dict[int, bytes] = {MESSAGE_TYPE: TYPE_RAW[MessageType.FORCERENEW],
                             SERVER_IDENTIFIER: sid}
    key = lease.client
    htype = 1
    if key.startswith("id:"):
        raw[CLIENT_IDENTIFIER] = bytes.fromhex(key[3:])
    elif key.startswith("hw:"):
        htype = int(key.split(":", 2)[1])
    hw = lease.hardware_address
    message = message_from_wire(
        OpCode.BOOTREPLY, htype, len(hw), 0, 0, 0, 0, lease.address, ZERO_ADDRESS,
        ZERO_ADDRESS, ZERO_ADDRESS, hw.ljust(16, b"\0"), b"", b"",
        Options._make(raw, NO_TYPED, plan.config.registry, None), None, ())
    if lease.nonce is not None:
        # RFC 6704 section 3.1.3: "the server selects a replay detection value
        # according to the RDM selected by the server and computes an HMAC-MD5
        # of the Forcerenew message ... using the Forcerenew Nonce for the
        # client."
        message = sign_forcerenew(message, nonce=lease.nonce, replay=replay_stamp(now))
    # RFC 3203 section 2.2: "The DHCP server sends a unicast FORCERENEW message
    # to the client."
    return Send(message=message, destination=lease.address, port=CLIENT_PORT)
