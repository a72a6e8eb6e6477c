"""The messages a client sends, built by RFC 2131 tables 4 and 5.

Rules of this module:

* The builders do not transcribe the tables: each offers everything the
  client would like to say, and :func:`build` keeps what table 5
  (:data:`~dhcpwire.protocol.rfc2131.CLIENT_OPTIONS`, read through
  :func:`~dhcpwire.protocol.rfc2131.client_option_rule`) allows in its
  column -- for a DHCPREQUEST, the column as table 4
  (:data:`~dhcpwire.protocol.rfc2131.REQUEST_STATES`) resolves it for the
  client's state. An option the column says MUST NOT (or SHOULD NOT) is
  dropped; a MUST missing, or a header field against its cell, raises
  :class:`TableViolation`: a bug in the client, never the peer's doing.
* Options go in one order: 53 first, then the identity options, then what
  is asked for, so the messages are easy to read in a capture.
"""

from __future__ import annotations

from functools import cache
from ipaddress import IPv4Address
from typing import Any, Final

from ..protocol.rfc2131 import (
    CLIENT_OPTIONS,
    REQUEST_STATES,
    client_field_rule,
    client_option_rule,
)
from ..wire import codes
from ..wire.constants import BROADCAST_FLAG, MessageType, OpCode
from ..wire.message import ZERO_ADDRESS, Message
from ..wire.options import Options
from .config import ClientConfig

__all__ = ["LEASE_TIME_OPTIONS", "TableViolation", "build", "decline", "delivery", "discover",
           "inform", "release", "request"]

#: RFC 6704 section 3.1.2: algorithm 1 (HMAC-MD5) is the one defined.
NONCE_ALGORITHMS: Final = (1,)
#: The lease-time parameters: 51, 58 (T1) and 59 (T2).
LEASE_TIME_OPTIONS: Final = frozenset({codes.IP_ADDRESS_LEASE_TIME, codes.RENEWAL_TIME,
                                       codes.REBINDING_TIME})
_DROPPED: Final = frozenset({"MUST NOT", "SHOULD NOT"})


class TableViolation(RuntimeError):
    """A message the client built breaks a MUST of RFC 2131 table 4 or 5 (a bug)."""


#: The tables' cells, read once per (message type, code or field, state).
_option_rule: Final = cache(client_option_rule)
_field_rule: Final = cache(client_field_rule)


@cache
def _musts(kind: MessageType, state: str | None) -> tuple[int, ...]:
    """The codes table 5 makes MUST in the column of ``kind`` (and ``state``)."""
    return tuple(code for code in (codes.MESSAGE_TYPE, *CLIENT_OPTIONS)
                 if _option_rule(kind, code, state) == "MUST")


def build(config: ClientConfig, kind: MessageType, *, xid: int, secs: int = 0,
          ciaddr: IPv4Address = ZERO_ADDRESS, state: str | None = None,
          options: dict[int, Any], raw: tuple[tuple[int, bytes], ...] = ()) -> Message:
    """A client message of ``kind`` holding what table 5 allows of ``options``
    (typed values) and ``raw`` (value bytes), in that order.

    ``state`` is the table-4 row of a DHCPREQUEST ("SELECTING",
    "INIT-REBOOT", "RENEWING", "REBINDING"). 'secs' and 'flags' follow their
    cells ('secs' and 'flags' are 0 in DHCPDECLINE and DHCPRELEASE); 'ciaddr'
    must match its cell; 'yiaddr', 'siaddr', 'giaddr' and 'hops' are 0.
    """
    def allowed(code: int) -> bool:
        return _option_rule(kind, code, state) not in _DROPPED
    kept = {code: value for code, value in options.items() if allowed(code)}
    for code in _musts(kind, state):
        if code not in kept:
            raise TableViolation(f"{kind}: table 5 says option {code} MUST appear")
    if kept.get(codes.MESSAGE_TYPE) != kind:
        raise TableViolation(f"{kind}: option 53 must say so")
    ciaddr_rule = _field_rule(kind, "ciaddr", state)
    if (ciaddr_rule == "zero") != (ciaddr == ZERO_ADDRESS):
        raise TableViolation(f"{kind}: 'ciaddr' {ciaddr} breaks table 5's "
                             f"{ciaddr_rule!r} ({state or 'any state'})")
    # Table 5, 'secs': "0 or seconds since DHCP process started" ("0" in
    # DHCPDECLINE and DHCPRELEASE). 'flags': "Set 'BROADCAST' flag if client
    # requires broadcast reply" ("0" in DHCPDECLINE and DHCPRELEASE); RFC 2131
    # section 4.1: "A client that cannot receive unicast IP datagrams until
    # its protocol software has been configured with an IP address SHOULD set
    # the BROADCAST bit". With 'ciaddr' set, the address is configured.
    if _field_rule(kind, "secs", state) == "zero":
        secs = 0
    broadcast = config.broadcast and ciaddr == ZERO_ADDRESS
    flags = BROADCAST_FLAG if broadcast and _field_rule(kind, "flags", state) == "flags" \
        else 0
    opts = Options(kept)
    for code, value in raw:
        if allowed(code):
            opts = opts.set_raw(code, value)
    # Table 5: 'op' BOOTREQUEST, 'hops' 0, 'yiaddr' 'siaddr' 'giaddr' 0,
    # 'chaddr' the client's hardware address.
    return Message(op=OpCode.BOOTREQUEST, htype=config.htype, hlen=len(config.chaddr),
                   xid=xid, secs=max(0, min(0xFFFF, secs)), flags=flags, ciaddr=ciaddr,
                   chaddr=config.chaddr, options=opts)


def _wishes(config: ClientConfig, kind: MessageType) -> dict[int, Any]:
    """Everything the client would say in a ``kind`` message, before table 5.

    RFC 2131 section 4.4.1: "If the client included a list of requested
    parameters in a DHCPDISCOVER message, it MUST include that list in all
    subsequent messages." Section 4.3.2: "If the client uses a 'client
    identifier' in a DHCPREQUEST message, it MUST use that same 'client
    identifier' in all subsequent messages." Section 3.5: "The client SHOULD
    include the 'maximum DHCP message size' option".
    """
    opts: dict[int, Any] = {codes.MESSAGE_TYPE: kind}
    cid = config.identifier
    if cid is not None:
        opts[codes.CLIENT_IDENTIFIER] = cid
    if config.requested_lease_time is not None:
        opts[codes.IP_ADDRESS_LEASE_TIME] = config.requested_lease_time
    if config.max_message_size is not None:
        opts[codes.MAXIMUM_MESSAGE_SIZE] = config.max_message_size
    prl = config.requested_options
    if kind is MessageType.INFORM:
        # Section 4.4.3: "The client SHOULD NOT request lease time
        # parameters" in a DHCPINFORM (section 3.4: the server answers
        # "without allocating a new address ... and without including lease
        # time parameters").
        prl = tuple(code for code in prl if code not in LEASE_TIME_OPTIONS)
    if prl:
        opts[codes.PARAMETER_REQUEST_LIST] = prl
    if config.host_name is not None:
        opts[codes.HOST_NAME] = config.host_name
    if config.fqdn is not None:
        opts[codes.CLIENT_FQDN] = config.fqdn
    if config.vendor_class is not None:
        opts[codes.VENDOR_CLASS_IDENTIFIER] = config.vendor_class
    if config.user_class is not None:
        opts[codes.USER_CLASS] = config.user_class
    if config.forcerenew_nonce and kind in (MessageType.DISCOVER, MessageType.REQUEST):
        # RFC 6704 section 3.1.4: "MUST indicate Forcerenew nonce Capability
        # by including the FORCERENEW_NONCE_CAPABLE (145) DHCP option ... in
        # all DHCP Discover and Request messages."
        opts[codes.FORCERENEW_NONCE_CAPABLE] = NONCE_ALGORITHMS
    return opts


def discover(config: ClientConfig, *, xid: int, secs: int,
             requested: IPv4Address | None = None) -> Message:
    """DHCPDISCOVER: RFC 2131 section 4.4.1, "The client MAY suggest a network
    address and/or lease time by including the 'requested IP address' and 'IP
    address lease time' options." RFC 4039 section 4: "A client MUST include
    this option in a DHCPDISCOVER message if the client is prepared to
    perform the DHCPDISCOVER-DHCPACK message exchange"; section 3: "The
    Rapid Commit option MUST NOT appear in any other message"."""
    opts = _wishes(config, MessageType.DISCOVER)
    if requested is not None:
        opts[codes.REQUESTED_IP_ADDRESS] = requested
    if config.rapid_commit:
        opts[codes.RAPID_COMMIT] = True
    return build(config, MessageType.DISCOVER, xid=xid, secs=secs, options=opts,
                 raw=config.extra_options)


def request(config: ClientConfig, *, state: str, xid: int, secs: int, address: IPv4Address,
            server: IPv4Address | None = None) -> Message:
    """DHCPREQUEST from ``state`` (a table-4 row) for ``address``.

    Table 4 decides where the address goes: option 50 ('requested IP
    address': MUST in SELECTING and INIT-REBOOT, MUST NOT in RENEWING and
    REBINDING) or 'ciaddr' (the client's address in RENEWING and
    REBINDING), and whether option 54 (``server``, MUST after SELECTING
    only) stays.
    """
    opts = _wishes(config, MessageType.REQUEST)
    opts[codes.REQUESTED_IP_ADDRESS] = address
    if server is not None:
        opts[codes.SERVER_IDENTIFIER] = server
    ciaddr = address if REQUEST_STATES[state][2] == "address" else ZERO_ADDRESS
    return build(config, MessageType.REQUEST, xid=xid, secs=secs, ciaddr=ciaddr, state=state,
                 options=opts, raw=config.extra_options)


def delivery(state: str) -> str:
    """Table 4's "broad/unicast" cell for a DHCPREQUEST from ``state``."""
    return REQUEST_STATES[state][3]


def inform(config: ClientConfig, *, xid: int, secs: int, address: IPv4Address) -> Message:
    """DHCPINFORM: RFC 2131 section 4.4.3, "The client places its own network
    address in the 'ciaddr' field." Table 5 drops options 50, 51 and 54."""
    return build(config, MessageType.INFORM, xid=xid, secs=secs, ciaddr=address,
                 options=_wishes(config, MessageType.INFORM), raw=config.extra_options)


def decline(config: ClientConfig, *, xid: int, address: IPv4Address,
            server: IPv4Address | None) -> Message:
    """DHCPDECLINE: table 5 asks option 50 and 54 (MUST), option 56 (SHOULD),
    and drops everything else the client might say."""
    opts = _wishes(config, MessageType.DECLINE)
    opts[codes.REQUESTED_IP_ADDRESS] = address
    if server is not None:
        opts[codes.SERVER_IDENTIFIER] = server
    opts[codes.MESSAGE] = "address in use"
    return build(config, MessageType.DECLINE, xid=xid, options=opts)


def release(config: ClientConfig, *, xid: int, address: IPv4Address,
            server: IPv4Address | None) -> Message:
    """DHCPRELEASE: 'ciaddr' the address, option 54 (MUST), option 56
    (SHOULD). RFC 2131 section 3.1 step 6: "If the client used a 'client
    identifier' when it obtained the lease, it MUST use the same 'client
    identifier' in the DHCPRELEASE message.\""""
    opts = _wishes(config, MessageType.RELEASE)
    if server is not None:
        opts[codes.SERVER_IDENTIFIER] = server
    opts[codes.MESSAGE] = "released by the client"
    return build(config, MessageType.RELEASE, xid=xid, ciaddr=address, options=opts)
