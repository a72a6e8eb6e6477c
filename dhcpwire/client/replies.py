"""What the client reads from a server's message, checked when the message arrives.

Rules of this module:

* Every option the client acts on is read here, once, when its message
  arrives. A malformed one -- a defect a lenient decode forgave, a value
  that cannot be decoded, a value of the wrong type -- makes the whole
  message a ``Discard`` whose reason names the option (and, for a defect,
  the byte offset). Nothing is read from a peer's message later, so nothing
  a peer sends can raise from the caller's next event.
* The functions here never raise for any message: each returns what it
  read, or the reason (a ``str``) the message is not for this client.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any, Final

from ..protocol.rfc6704 import nonce_from
from ..wire import codes
from ..wire.constants import INFINITE, MessageType, OpCode
from ..wire.errors import DhcpwireError
from ..wire.message import Message
from ..wire.options import Options
from ..wire.values import Authentication, ClasslessRoute
from .config import ClientConfig
from .lease import Lease, lease_times, usable_address

__all__ = ["Offer", "Reply", "kind_text", "read_inform_ack", "read_lease", "read_offer",
           "read_reply", "reply_problem"]

#: The options a lease is made of, with the type each must decode to.
_ADDRESS: Final = (IPv4Address,)
_ADDRESSES: Final = (tuple, IPv4Address)
_PARAMETERS: Final[dict[int, tuple[type, ...]]] = {
    codes.SUBNET_MASK: _ADDRESS,
    codes.BROADCAST_ADDRESS: _ADDRESS,
    codes.ROUTER: _ADDRESSES,
    codes.DOMAIN_NAME_SERVER: _ADDRESSES,
    codes.NTP_SERVERS: _ADDRESSES,
    codes.DOMAIN_NAME: (str,),
    codes.DOMAIN_SEARCH: (tuple, str),
    codes.INTERFACE_MTU: (int,),
    codes.STATIC_ROUTE: (tuple, tuple),
    codes.CLASSLESS_STATIC_ROUTE: (tuple, ClasslessRoute),
}


class _Malformed(Exception):
    """An option the client reads is malformed (caught in this module only)."""


def kind_text(message: Message) -> str:
    """``DHCPOFFER`` for an OFFER, and so on; never raises."""
    try:
        kind = message.message_type
    except DhcpwireError:
        return "a message with a malformed type (option 53)"
    if isinstance(kind, MessageType):
        return str(kind)  # DHCPOFFER, or "message type 200" for one no RFC names
    if kind is None:
        return "a BOOTP message"
    return f"message type {kind!r}"


def _defects(message: Message) -> dict[int, str]:
    return {d.option: str(d) for d in message.defects if d.option is not None}


def _read(message: Message, code: int, expected: tuple[type, ...],
          defects: dict[int, str]) -> Any:
    """Option ``code`` typed, ``None`` when absent; ``_Malformed`` when it is not
    a value of ``expected`` (a tuple type is followed by its items' type)."""
    options = message.options
    if code not in options:
        return None
    name = f"option {code} ({options.name(code)})"
    if code in defects:
        raise _Malformed(f"{name} is malformed: {defects[code]}")
    try:
        value = options[code]
    except DhcpwireError as exc:
        raise _Malformed(f"{name} is malformed: {exc}") from None
    outer, *inner = expected
    good = (isinstance(value, outer) and not isinstance(value, bool)) or (
        outer is bool and isinstance(value, bool))
    if good and inner:
        good = all(isinstance(item, inner[0]) for item in value)
    if not good:
        raise _Malformed(f"{name} is malformed: a {type(value).__name__} value")
    return value


def reply_problem(config: ClientConfig, message: Message, *, xid: int | None) -> str | None:
    """Why ``message`` is not a server's reply to this client, or ``None``.

    ``xid=None`` skips the xid check (FORCERENEW is not a reply).
    """
    if message.op != OpCode.BOOTREPLY:
        return "not a BOOTREPLY (op is not 2)"
    if codes.MESSAGE_TYPE not in message.options:
        return "a BOOTP reply (no DHCP message type)"
    if xid is not None and message.xid != xid:
        # RFC 2131 section 4.4.1: "If the 'xid' of an arriving DHCPOFFER
        # message does not match the 'xid' of the most recent DHCPDISCOVER
        # message, the DHCPOFFER message must be silently discarded." Section
        # 4.4.5 says the same of DHCPACK.
        return f"xid 0x{message.xid:08x} is not ours (0x{xid:08x})"
    if message.chaddr[:len(config.chaddr)] != config.chaddr:
        return f"chaddr {message.hwaddr} is not ours"
    if codes.CLIENT_IDENTIFIER in message.options:
        # RFC 6842 section 3: "When a client receives a DHCP message containing
        # a 'client identifier' option, the client MUST compare that client
        # identifier to the one it is configured to send. If the two client
        # identifiers do not match, the client MUST silently discard the
        # message."
        cid = config.identifier
        mine = None if cid is None else bytes((cid.type,)) + cid.data
        if message.options.raw(codes.CLIENT_IDENTIFIER) != mine:
            return "client identifier (option 61) is not ours (RFC 6842)"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """A server's message to this client, its common options checked."""

    message: Message
    #: Option 53 (an ``int`` for a type this library does not name).
    kind: MessageType | int
    #: Option 54, when it is an address the client can send to.
    server: IPv4Address | None
    #: Option 56 of a DHCPNAK.
    text: str | None


def read_reply(config: ClientConfig, message: Message, *, xid: int | None) -> Reply | str:
    """``message`` as a reply to this client's transaction ``xid``, or why it is not one."""
    problem = reply_problem(config, message, xid=xid)
    if problem is not None:
        return problem
    defects = _defects(message)
    try:
        kind = _read(message, codes.MESSAGE_TYPE, (int,), defects)
        sid = _read(message, codes.SERVER_IDENTIFIER, _ADDRESS, defects)
        text = _read(message, codes.MESSAGE, (str,), defects) \
            if kind == MessageType.NAK else None
    except _Malformed as exc:
        return str(exc)
    # RFC 2131 section 4.1: "DHCP clients MUST use the IP address provided in
    # the 'server identifier' option for any unicast requests to the DHCP
    # server", so 0.0.0.0, broadcast or multicast there counts as no server
    # identifier at all.
    server = sid if sid is not None and usable_address(sid) else None
    return Reply(message=message, kind=kind, server=server, text=text or None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    """A DHCPOFFER the client may request, its options checked."""

    message: Message
    #: 'yiaddr'.
    address: IPv4Address
    #: Option 54: whom to request from.
    server: IPv4Address
    #: Option 51, when present.
    lease_time: int | None
    #: Option 108 (RFC 8925), when the client supports it and it is present.
    v6only_wait: int | None
    #: Option 145 (RFC 6704): the server offers Forcerenew nonce authentication.
    nonce_capable: bool


def read_offer(config: ClientConfig, reply: Reply) -> Offer | str:
    """The offer of ``reply`` (a DHCPOFFER), or why it cannot be requested."""
    message = reply.message
    if reply.server is None:
        # Section 4.4.1: the client "extracts the server address from the
        # 'server identifier' option in the DHCPOFFER message"; table 3 makes
        # it MUST in an OFFER. Without it there is nobody to request from.
        return "DHCPOFFER without a server identifier (option 54)"
    if not usable_address(message.yiaddr):
        return f"DHCPOFFER of {message.yiaddr}, not an address a host can use"
    defects = _defects(message)
    try:
        lease_time = _read(message, codes.IP_ADDRESS_LEASE_TIME, (int,), defects)
        wait = _read(message, codes.IPV6_ONLY_PREFERRED, (int,), defects) \
            if config.ipv6_only_preferred else None
        capable = config.forcerenew_nonce and _read(
            message, codes.FORCERENEW_NONCE_CAPABLE, (tuple, int), defects) is not None
    except _Malformed as exc:
        return f"DHCPOFFER: {exc}"
    return Offer(message=message, address=message.yiaddr, server=reply.server,
                 lease_time=lease_time, v6only_wait=wait, nonce_capable=capable)


def _classful(destination: IPv4Address) -> IPv4Network:
    # Option 33 has no masks: "it is assumed that the subnet mask is implicit
    # in whatever network number is specified" (RFC 3442, introduction), i.e.
    # the class of the address; host bits beyond it make a host route.
    first = int(destination) >> 24
    width = 8 if first < 128 else 16 if first < 192 else 24 if first < 224 else 32
    net = IPv4Network((int(destination), width), strict=False)
    if net.network_address != destination:
        return IPv4Network((int(destination), 32))
    return net


def _parameters(message: Message, defects: dict[int, str]) -> dict[str, Any]:
    """The configuration parameters of an ACK, typed; ``_Malformed`` when one is bad."""
    values = {code: _read(message, code, kinds, defects) for code, kinds in _PARAMETERS.items()}
    classless = values[codes.CLASSLESS_STATIC_ROUTE]
    routers: tuple[IPv4Address, ...] = values[codes.ROUTER] or ()
    routes: tuple[ClasslessRoute, ...]
    if classless is not None:
        # RFC 3442: "If the DHCP server returns both a Classless Static Routes
        # option and a Router option, the DHCP client MUST ignore the Router
        # option. Similarly, ... MUST ignore the Static Routes option." "the
        # DHCP client MUST zero any bits in the subnet number where the
        # corresponding bit in the mask is zero" (the codec's IPv4Network does).
        routers, routes = (), classless
    else:
        # RFC 2132 section 5.8: "The default route (0.0.0.0) is an illegal
        # destination for a static route."
        routes = tuple(ClasslessRoute(_classful(dest), router)
                       for dest, router in values[codes.STATIC_ROUTE] or () if int(dest))
    return {
        "subnet_mask": values[codes.SUBNET_MASK],
        "broadcast_address": values[codes.BROADCAST_ADDRESS],
        "routers": routers,
        "routes": routes,
        "dns_servers": values[codes.DOMAIN_NAME_SERVER] or (),
        "domain_name": values[codes.DOMAIN_NAME],
        "domain_search": values[codes.DOMAIN_SEARCH] or (),
        "ntp_servers": values[codes.NTP_SERVERS] or (),
        "mtu": values[codes.INTERFACE_MTU],
        "options": _well_formed(message.options, defects),
    }


def _well_formed(options: Options, defects: dict[int, str]) -> Options:
    """``options`` without any that cannot be decoded (so a lease's options never raise)."""
    keep = []
    for code, raw in options.raw_items():
        if code in defects:
            continue
        try:
            options[code]
        except DhcpwireError:
            continue
        keep.append((code, raw))
    return options if len(keep) == len(options) else Options.from_raw(keep)


def read_lease(config: ClientConfig, reply: Reply, *, sent_at: float,
               asked: IPv4Address | None, previous: Lease | None) -> Lease | str:
    """The lease a DHCPACK gives, or why it gives none.

    ``sent_at`` is when the message it answers was first sent: RFC 2131
    section 4.4.1, "The client records the lease expiration time as the sum
    of the time at which the original request was sent and the duration of
    the lease from the DHCPACK message." ``asked`` is the server identifier
    to assume when the ACK has none: the server the client asked (the one
    selected, or the leasing server when renewing). ``previous`` is the
    lease held before, whose Forcerenew nonce carries over.
    """
    message = reply.message
    kind = kind_text(message)
    server = reply.server or asked
    if server is None:
        # Table 3 makes 'server identifier' MUST in a DHCPACK; without it the
        # lease could not be renewed by unicast (table 4, RENEWING).
        return f"{kind} without a server identifier (option 54)"
    address = message.yiaddr
    if not usable_address(address):
        return f"{kind} gives yiaddr {address}, not an address a host can use"
    defects = _defects(message)
    try:
        lease_time = _read(message, codes.IP_ADDRESS_LEASE_TIME, (int,), defects)
        t1 = _read(message, codes.RENEWAL_TIME, (int,), defects)
        t2 = _read(message, codes.REBINDING_TIME, (int,), defects)
        if config.rapid_commit:
            _read(message, codes.RAPID_COMMIT, (bool,), defects)
        if config.forcerenew_nonce:
            _read(message, codes.AUTHENTICATION, (Authentication,), defects)
        parameters = _parameters(message, defects)
    except _Malformed as exc:
        return f"{kind}: {exc}"
    if lease_time is None:
        # RFC 2131 table 3: 'IP address lease time' is MUST in a DHCPACK to a
        # DHCPREQUEST.
        return f"{kind} gives no usable lease: no lease time (option 51)"
    times = lease_times(lease_time, t1, t2)
    if isinstance(times, str):
        # Section 4.4.5: "T1 MUST be earlier than T2, which, in turn, MUST be
        # earlier than the time at which the client's lease will expire."
        return f"{kind} gives no usable lease: {times}"
    renew, rebind = times
    nonce, replay = _nonce(config, message, server, previous)
    return Lease(
        address=address, server_identifier=server, lease_time=lease_time,
        renewal_time=renew, rebinding_time=rebind, bound_at=sent_at,
        renew_at=None if renew is None else sent_at + renew,
        rebind_at=None if rebind is None else sent_at + rebind,
        expires_at=None if lease_time == INFINITE else sent_at + lease_time,
        nonce=nonce, replay=replay, **parameters)


def _nonce(config: ClientConfig, ack: Message, server: IPv4Address,
           previous: Lease | None) -> tuple[bytes | None, int | None]:
    """RFC 6704 section 3.1.4: "The client MUST record the Forcerenew Nonce
    from any valid ACK it receives, if the ACK contains one." Section 3.1.3:
    the server "SHOULD NOT include the nonce in an ACK when responding to a
    renew unless a new nonce was generated", so an ACK without one from the
    same server keeps the nonce recorded before."""
    if not config.forcerenew_nonce:
        return None, None
    found = nonce_from(ack)
    if found is not None:
        return found
    if previous is not None and previous.nonce is not None and (
            previous.server_identifier == server):
        return previous.nonce, previous.replay
    return None, None


def read_inform_ack(reply: Reply, *, address: IPv4Address, bound_at: float) -> Lease | str:
    """The configuration an ACK to a DHCPINFORM gives: parameters for
    ``address`` (the client's own, externally configured), and no lease times
    (RFC 2131 section 3.4: the server answers "without ... including lease
    time parameters"; any it sends are ignored)."""
    try:
        parameters = _parameters(reply.message, _defects(reply.message))
    except _Malformed as exc:
        return f"DHCPACK: {exc}"
    return Lease(address=address, server_identifier=reply.server, bound_at=bound_at,
                 **parameters)
