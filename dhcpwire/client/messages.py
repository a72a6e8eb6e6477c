"""The messages a client sends (RFC 2131 table 5) and the checks on those it receives.

Rules of this module:

* One builder per message, each following RFC 2131 table 5 (fields and
  options a client uses) and table 4 (how a REQUEST differs by state). The
  table's MUST NOT cells are the reason each builder starts from nothing
  and adds only what its column allows.
* Options go in one order: 53 first, then the identity options, then what
  is asked for, so the messages are easy to read in a capture.
* :func:`reply_problem` says why a received message is not for this client,
  or ``None``; it never raises.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any, Final

from ..wire import codes
from ..wire.constants import BROADCAST_FLAG, MessageType, OpCode
from ..wire.message import ZERO_ADDRESS, Message
from ..wire.options import Options
from .config import ClientConfig

__all__ = ["decline", "discover", "inform", "release", "reply_problem", "request"]

#: RFC 6704 section 3.1.2: algorithm 1 (HMAC-MD5) is the one defined.
NONCE_ALGORITHMS: Final = (1,)


def _identity(config: ClientConfig) -> dict[int, Any]:
    """Option 61, which (when used) every message must carry the same.

    RFC 2131 section 4.3.2: "If the client uses a 'client identifier' in a
    DHCPREQUEST message, it MUST use that same 'client identifier' in all
    subsequent messages."
    """
    cid = config.identifier
    return {} if cid is None else {codes.CLIENT_IDENTIFIER: cid}


def _asks(config: ClientConfig, *, lease_time: bool) -> dict[int, Any]:
    """The options of DISCOVER, REQUEST and INFORM beyond the identity.

    RFC 2131 section 4.4.1: "If the client included a list of requested
    parameters in a DHCPDISCOVER message, it MUST include that list in all
    subsequent messages." RFC 2131 section 3.5: "The client SHOULD include the
    'maximum DHCP message size' option".
    """
    opts: dict[int, Any] = {}
    if lease_time and config.requested_lease_time is not None:
        opts[codes.IP_ADDRESS_LEASE_TIME] = config.requested_lease_time
    if config.max_message_size is not None:
        opts[codes.MAXIMUM_MESSAGE_SIZE] = config.max_message_size
    if config.requested_options:
        opts[codes.PARAMETER_REQUEST_LIST] = config.requested_options
    if config.host_name is not None:
        opts[codes.HOST_NAME] = config.host_name
    if config.fqdn is not None:
        opts[codes.CLIENT_FQDN] = config.fqdn
    if config.vendor_class is not None:
        opts[codes.VENDOR_CLASS_IDENTIFIER] = config.vendor_class
    if config.user_class is not None:
        opts[codes.USER_CLASS] = config.user_class
    return opts


def _message(config: ClientConfig, *, xid: int, secs: int, flags: int,
             ciaddr: IPv4Address, options: dict[int, Any]) -> Message:
    # Table 5: 'op' BOOTREQUEST, 'hops' 0, 'yiaddr' 'siaddr' 'giaddr' 0,
    # 'chaddr' the client's hardware address.
    opts = Options(options)
    for code, value in config.extra_options:
        opts = opts.set_raw(code, value)
    return Message(op=OpCode.BOOTREQUEST, htype=config.htype, hlen=len(config.chaddr),
                   xid=xid, secs=secs, flags=flags, ciaddr=ciaddr, chaddr=config.chaddr,
                   options=opts)


def discover(config: ClientConfig, *, xid: int, secs: int,
             requested: IPv4Address | None = None) -> Message:
    """DHCPDISCOVER (table 5, first column).

    'ciaddr' 0; 'requested IP address' MAY (the address last held); 'server
    identifier' MUST NOT. RFC 4039 section 4: "A client MUST include this
    option in a DHCPDISCOVER message if the client is prepared to perform the
    DHCPDISCOVER-DHCPACK message exchange". RFC 6704 section 3.1.4: "MUST
    indicate Forcerenew nonce Capability by including the
    FORCERENEW_NONCE_CAPABLE (145) DHCP option ... in all DHCP Discover and
    Request messages."
    """
    opts: dict[int, Any] = {codes.MESSAGE_TYPE: MessageType.DISCOVER, **_identity(config)}
    if requested is not None:
        opts[codes.REQUESTED_IP_ADDRESS] = requested
    opts.update(_asks(config, lease_time=True))
    if config.rapid_commit:
        opts[codes.RAPID_COMMIT] = True
    if config.forcerenew_nonce:
        opts[codes.FORCERENEW_NONCE_CAPABLE] = NONCE_ALGORITHMS
    return _message(config, xid=xid, secs=secs, flags=_flags(config), ciaddr=ZERO_ADDRESS,
                    options=opts)


def request(config: ClientConfig, *, xid: int, secs: int, ciaddr: IPv4Address = ZERO_ADDRESS,
            requested: IPv4Address | None = None, server: IPv4Address | None = None) -> Message:
    """DHCPREQUEST (table 5, second column; table 4 by state).

    ============  ===========  ==============  ============  ============
    state         server-ip    requested-ip    ciaddr        flags
    ============  ===========  ==============  ============  ============
    SELECTING     MUST         MUST (yiaddr)   zero          B if needed
    INIT-REBOOT   MUST NOT     MUST            zero          B if needed
    RENEWING      MUST NOT     MUST NOT        IP address    0
    REBINDING     MUST NOT     MUST NOT        IP address    0
    ============  ===========  ==============  ============  ============

    With ``ciaddr`` set the client has its address and can take unicast
    replies, so the BROADCAST flag is clear (RFC 2131 section 4.1: "A client
    that can receive unicast IP datagrams ... SHOULD clear the BROADCAST
    bit"). RFC 4039 section 3: option 80 "MUST NOT" be in any message but
    DISCOVER.
    """
    bound = ciaddr != ZERO_ADDRESS
    if bound and (requested is not None or server is not None):
        raise ValueError("a REQUEST with ciaddr carries neither option 50 nor 54 (table 4)")
    if not bound and requested is None:
        raise ValueError("a REQUEST without ciaddr must carry option 50 (table 4)")
    opts: dict[int, Any] = {codes.MESSAGE_TYPE: MessageType.REQUEST, **_identity(config)}
    if requested is not None:
        opts[codes.REQUESTED_IP_ADDRESS] = requested
    if server is not None:
        opts[codes.SERVER_IDENTIFIER] = server
    opts.update(_asks(config, lease_time=True))
    if config.forcerenew_nonce:
        opts[codes.FORCERENEW_NONCE_CAPABLE] = NONCE_ALGORITHMS
    return _message(config, xid=xid, secs=secs, flags=0 if bound else _flags(config),
                    ciaddr=ciaddr, options=opts)


def inform(config: ClientConfig, *, xid: int, secs: int, address: IPv4Address) -> Message:
    """DHCPINFORM (table 5, first column; RFC 2131 section 4.4.3).

    "The client places its own network address in the 'ciaddr' field. The
    client SHOULD NOT request lease time parameters." Table 5: 'requested IP
    address' and 'IP address lease time' MUST NOT, 'server identifier' MUST
    NOT.
    """
    opts: dict[int, Any] = {codes.MESSAGE_TYPE: MessageType.INFORM, **_identity(config)}
    opts.update(_asks(config, lease_time=False))
    return _message(config, xid=xid, secs=secs, flags=0, ciaddr=address, options=opts)


def decline(config: ClientConfig, *, xid: int, address: IPv4Address,
            server: IPv4Address | None) -> Message:
    """DHCPDECLINE (table 5, third column).

    'secs' 0, 'flags' 0, 'ciaddr' 0; 'requested IP address' MUST, 'server
    identifier' MUST, 'message' SHOULD; lease time, vendor class, parameter
    request list, maximum message size and all others MUST NOT.
    """
    opts: dict[int, Any] = {
        codes.MESSAGE_TYPE: MessageType.DECLINE, **_identity(config),
        codes.REQUESTED_IP_ADDRESS: address,
    }
    if server is not None:
        opts[codes.SERVER_IDENTIFIER] = server
    opts[codes.MESSAGE] = "address in use"
    return Message(op=OpCode.BOOTREQUEST, htype=config.htype, hlen=len(config.chaddr),
                   xid=xid, chaddr=config.chaddr, options=Options(opts))


def release(config: ClientConfig, *, xid: int, address: IPv4Address,
            server: IPv4Address | None) -> Message:
    """DHCPRELEASE (table 5, third column).

    'ciaddr' the client's address, 'secs' 0, 'flags' 0; 'server identifier'
    MUST, 'requested IP address' MUST NOT, 'message' SHOULD. RFC 2131
    section 3.1 step 6: "If the client used a 'client identifier' when it
    obtained the lease, it MUST use the same 'client identifier' in the
    DHCPRELEASE message."
    """
    opts: dict[int, Any] = {codes.MESSAGE_TYPE: MessageType.RELEASE, **_identity(config)}
    if server is not None:
        opts[codes.SERVER_IDENTIFIER] = server
    opts[codes.MESSAGE] = "released by the client"
    return Message(op=OpCode.BOOTREQUEST, htype=config.htype, hlen=len(config.chaddr),
                   xid=xid, ciaddr=address, chaddr=config.chaddr, options=Options(opts))


def _flags(config: ClientConfig) -> int:
    # RFC 2131 section 4.1: "A client that cannot receive unicast IP datagrams
    # until its protocol software has been configured with an IP address
    # SHOULD set the BROADCAST bit in the 'flags' field to 1 in any
    # DHCPDISCOVER or DHCPREQUEST messages that client sends."
    return BROADCAST_FLAG if config.broadcast else 0


def reply_problem(config: ClientConfig, message: Message, *, xid: int | None) -> str | None:
    """Why ``message`` is not a server's reply to this client, or ``None``.

    ``xid=None`` skips the xid check (FORCERENEW is not a reply).
    """
    if message.op != OpCode.BOOTREPLY:
        return "not a BOOTREPLY (op is not 2)"
    if message.message_type is None:
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
