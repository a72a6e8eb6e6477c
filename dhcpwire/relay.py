"""A BOOTP/DHCP relay agent (RFC 1542 section 4, RFC 3046, RFC 8357), as two pure functions.

Rules of this module:

* **Pure, sans-IO.** :func:`relay_request` and :func:`relay_reply` take a
  :class:`~dhcpwire.Message` and return what to forward, or ``None`` for a
  message the RFCs say to discard silently. Sockets, interfaces and the
  list of servers to forward to are the caller's.
* **Nothing but the RFC's fields change.** A request gets 'giaddr' (when
  zero), 'hops' and, when asked (or when the relay sends from a port other
  than 67, RFC 8357), option 82; a reply loses only the option 82 this
  relay added. Every other field is kept intact (RFC 1542 section
  4.1.1: "All other BOOTP fields MUST be preserved intact").
* **Each rule is quoted above the code that carries it out.**
"""

from __future__ import annotations

from collections.abc import Collection
from ipaddress import IPv4Address
from typing import Final

from .protocol.actions import BROADCAST, Send
from .wire.codes import RAI_RELAY_SOURCE_PORT, RELAY_AGENT_INFORMATION
from .wire.constants import CLIENT_PORT, SERVER_PORT, OpCode
from .wire.mapping import OptionMap
from .wire.message import ZERO_ADDRESS, Message
from .wire.options import Options
from .wire.table import RELAY_AGENT_SPACE

__all__ = ["BROADCAST", "DEFAULT_MAX_HOPS", "agent_information", "relay_reply", "relay_request"]

#: RFC 1542 section 4.1.1: "The relay agent MUST silently discard BOOTREQUEST
#: messages whose 'hops' field exceeds the value 16."
DEFAULT_MAX_HOPS: Final = 16

_AGENT_CIRCUIT_ID: Final = 1
_AGENT_REMOTE_ID: Final = 2


def agent_information(circuit_id: bytes | None = None, remote_id: bytes | None = None,
                      source_port: int = SERVER_PORT) -> OptionMap | None:
    """The option 82 value a relay adds: sub-options 1 and 2 (RFC 3046 section
    2.0), and 19 when the relay sends from ``source_port`` other than 67 (RFC 8357).

    ``None`` when there is none to add: RFC 3046 section 2.0, "at least one
    sub-option must be defined".
    """
    subs: dict[int, bytes] = {}
    if circuit_id is not None:
        subs[_AGENT_CIRCUIT_ID] = bytes(circuit_id)
    if remote_id is not None:
        subs[_AGENT_REMOTE_ID] = bytes(remote_id)
    if source_port != SERVER_PORT:
        # RFC 8357 section 5.1 (paraphrased; the RFC's text is not in this
        # project's reference set): a relay agent that uses a UDP source port
        # other than 67 towards the server includes the Relay Source Port
        # sub-option (19, no value), so that the server replies to that port.
        subs[RAI_RELAY_SOURCE_PORT] = b""
    return OptionMap(subs, registry=RELAY_AGENT_SPACE) if subs else None


def _check_port(source_port: int) -> None:
    if isinstance(source_port, bool) or not isinstance(source_port, int):
        raise TypeError(f"source_port must be an int, not {type(source_port).__name__}")
    if not 0 < source_port <= 0xFFFF:
        raise ValueError(f"source_port must be a UDP port (1-65535), not {source_port}")


def relay_request(message: Message, *, giaddr: IPv4Address, circuit_id: bytes | None = None,
                  remote_id: bytes | None = None, max_hops: int = DEFAULT_MAX_HOPS,
                  trusted: bool = True, source_port: int = SERVER_PORT) -> Message | None:
    """The BOOTREQUEST ``message`` as this relay forwards it to the server(s), or ``None``.

    ``giaddr`` is the address of the interface the request arrived on;
    ``circuit_id``/``remote_id`` the option 82 sub-options to add (none by
    default: RFC 3046 section 2.1, adding the option "SHOULD be disabled by
    default"); ``trusted`` says whether the circuit may carry an option 82
    that a downstream element added. ``max_hops`` is 16, the hard limit;
    RFC 1542 section 4.1.1 suggests 4 as the default of a configured
    threshold, which a caller that wants it passes. ``source_port`` is the
    UDP port this relay sends to servers from (and hears their replies on):
    when it is not 67, the option 82 this relay adds carries sub-option 19
    (RFC 8357), so a first-hop relay then always adds option 82. A request
    that already carries a downstream element's option 82 cannot say so (RFC
    3046 section 2.1: no "second" option), and its server replies to port 67.
    """
    _check_port(source_port)
    if not isinstance(giaddr, IPv4Address):
        giaddr = IPv4Address(giaddr)
    if giaddr in (ZERO_ADDRESS, BROADCAST):
        # RFC 1542 section 4.1.1: "The relay agent MUST NOT, under any
        # circumstances, fill the 'giaddr' field with a broadcast address".
        raise ValueError(f"giaddr must be the relay's interface address, not {giaddr}")
    if not 0 <= max_hops <= DEFAULT_MAX_HOPS:
        raise ValueError("max_hops must be from 0 to 16 (RFC 1542 section 4.1.1)")
    # RFC 1542 section 4.1: "A relay agent MUST silently discard any received
    # UDP messages whose UDP destination port number is BOOTPC (68)." Only
    # requests are relayed towards servers.
    if message.op != OpCode.BOOTREQUEST:
        return None
    # RFC 1542 section 4.1.1: "The relay agent MUST silently discard
    # BOOTREQUEST messages whose 'hops' field exceeds the value 16. A
    # configuration option SHOULD be provided to set this threshold to a
    # smaller value".
    if message.hops > max_hops:
        return None
    ours = agent_information(circuit_id, remote_id, source_port)
    present = RELAY_AGENT_INFORMATION in message.options
    options = message.options
    if message.giaddr == ZERO_ADDRESS:
        # RFC 3046 section 2.1: "Relay agents receiving a DHCP packet from an
        # untrusted circuit with giaddr set to zero (indicating that they are
        # the first-hop router) but with a Relay Agent Information option
        # already present in the packet SHALL discard the packet".
        if present and not trusted:
            return None
        # RFC 3046 section 2.1: on a trusted circuit, an element that added
        # the option but not 'giaddr': "the relay agent does NOT add a
        # "second" relay agent option, but forwards the DHCP packet per
        # normal DHCP relay agent operations". Otherwise: "A DHCP relay agent
        # adding a Relay Agent Information field SHALL add it as the last
        # option" (the encoder always writes 82 last).
        if ours is not None and not present:
            options = options.set(RELAY_AGENT_INFORMATION, ours)
        # RFC 1542 section 4.1.1: "If this field is zero, the relay agent MUST
        # fill this field with the IP address of the interface on which the
        # request was received."
        new_giaddr = giaddr
    else:
        # RFC 3046 section 2.1.1: "Relay agents configured to add a Relay
        # Agent option which receive a client DHCP packet with a nonzero
        # giaddr SHALL discard the packet if the giaddr spoofs a giaddr
        # address implemented by the local agent itself. Otherwise, the relay
        # agent SHALL forward any received DHCP packet with a valid non-zero
        # giaddr WITHOUT adding any relay agent options." RFC 1542 section
        # 4.1.1: "If the 'giaddr' field contains some non-zero value, the
        # 'giaddr' field MUST NOT be modified."
        if ours is not None and message.giaddr == giaddr:
            return None
        new_giaddr = message.giaddr
    # RFC 1542 section 4.1.1: "The value of the 'hops' field MUST be incremented."
    return message.replace(giaddr=new_giaddr, hops=message.hops + 1, options=options)


def relay_reply(message: Message, *, circuit_id: bytes | None = None,
                remote_id: bytes | None = None,
                interfaces: Collection[IPv4Address] | None = None,
                source_port: int = SERVER_PORT) -> Send | None:
    """How to deliver the BOOTREPLY ``message`` from a server to the client, or ``None``.

    Returns the :class:`~dhcpwire.protocol.actions.Send` of the message to
    UDP port 68 (RFC 1542 section 4.1.2: "The reply MUST have its UDP
    destination port set to BOOTPC (68)"): its IP destination (a broadcast,
    or a unicast), and for a unicast to a client without an address, the
    client hardware address to address the frame to. ``circuit_id``/``remote_id``
    are what this relay adds to requests (the same values as given to
    :func:`relay_request`), so that it removes its own option 82 and no
    other (with ``source_port``, the sub-option 19 it adds). ``interfaces``,
    when given, are this relay's addresses: a reply whose 'giaddr' is none of
    them is discarded.
    """
    _check_port(source_port)
    # RFC 1542 section 4.1.2: "BOOTP relay agents relay BOOTREPLY messages
    # only to BOOTP clients."
    if message.op != OpCode.BOOTREPLY:
        return None
    # RFC 1542 section 4.1.2: "If the content of the 'giaddr' field does not
    # match one of the relay agent's directly-connected logical interfaces,
    # the BOOTREPLY messsage MUST be silently discarded."
    if interfaces is not None and message.giaddr not in interfaces:
        return None
    # RFC 3046 section 2.1: "The Relay Agent Information option echoed by a
    # server MUST be removed by either the relay agent or the trusted
    # downstream network element which added it when forwarding a
    # server-to-client response back to the client." Only the option this
    # relay added is removed; one a downstream element added stays for it.
    # (RFC 1542 section 4.1.2's "The relay agent MUST NOT modify any BOOTP
    # field" predates option 82; this removal is the one change RFC 3046 asks.)
    ours = agent_information(circuit_id, remote_id, source_port)
    if ours is not None and RELAY_AGENT_INFORMATION in message.options:
        values: dict[int, OptionMap] = {RELAY_AGENT_INFORMATION: ours}
        expected = Options(values).raw(RELAY_AGENT_INFORMATION)
        if message.options.raw(RELAY_AGENT_INFORMATION) == expected:
            message = message.replace(options=message.options.remove(RELAY_AGENT_INFORMATION))
    # RFC 1542 section 4.1.2: "If this flag is set to 1, the reply SHOULD be
    # sent as an IP broadcast using the IP limited broadcast address
    # 255.255.255.255 as the IP destination address and the link-layer
    # broadcast address as the link-layer destination address."
    if message.broadcast:
        return Send(message=message, destination=BROADCAST, port=CLIENT_PORT)
    # "If the BROADCAST flag is cleared (0), the reply SHOULD be sent as an
    # IP unicast to the IP address specified by the 'yiaddr' field and the
    # link-layer address specified in the 'chaddr' field."
    hardware = message.client_hwaddr if 0 < message.hlen <= 16 else None
    if message.yiaddr != ZERO_ADDRESS and hardware is not None:
        return Send(message=message, destination=message.yiaddr, port=CLIENT_PORT,
                    hardware_address=hardware)
    # A DHCPACK to a DHCPINFORM has no 'yiaddr' (RFC 2131 table 3): the
    # client has its address in 'ciaddr' and can take an ordinary unicast.
    if message.ciaddr != ZERO_ADDRESS:
        return Send(message=message, destination=message.ciaddr, port=CLIENT_PORT)
    # "If unicasting is not possible, the reply MAY be sent as a broadcast,
    # in which case it SHOULD be sent to the link-layer broadcast address
    # using the IP limited broadcast address 255.255.255.255".
    return Send(message=message, destination=BROADCAST, port=CLIENT_PORT)
