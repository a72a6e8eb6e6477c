"""The protocol: how the server answers each client message (RFC 2131 section 4.3).

Rules of this module:

* :func:`answer` is the whole decision for one message: read the facts
  (:class:`Facts`), dispatch on the message type (:data:`HANDLERS`) and,
  for a DHCPREQUEST, on the client's state (:data:`REQUEST_KINDS`, RFC
  2131 table 4), then build the reply by table 3 and deliver it by
  :data:`DELIVERY_RULES` (section 4.1).
* It writes only through ``leases.put`` on the journal it is given,
  and returns the actions; it never raises for anything a peer sends.
* Each rule is quoted above the code that implements it; section numbers
  are RFC 2131's unless another RFC is named.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Final

from ..protocol.actions import Discard
from ..protocol.rfc2131 import REQUEST_STATES, request_state
from ..wire.codes import (
    CLIENT_IDENTIFIER,
    MESSAGE_TYPE,
    PARAMETER_REQUEST_LIST,
    RAPID_COMMIT,
    RELAY_AGENT_INFORMATION,
    REQUESTED_IP_ADDRESS,
    SERVER_IDENTIFIER,
    SUBNET_SELECTION,
)
from ..wire.constants import (
    INFINITE,
    MessageType,
    OpCode,
)
from ..wire.message import ZERO_ADDRESS, Message
from .config import Plan, SubnetPlan
from .facts import Facts, allocate, commit, int4, keep, key_of, new_lease
from .leases import (
    AVAILABLE,
    BOUND,
    DECLINED,
    EXPIRED,
    HELD,
    OFFERED,
    RELEASED,
    Action,
    Data,
    LeaseDeclined,
    LeaseExpired,
    LeaseOffered,
    LeaseRecord,
    LeaseReleased,
    put,
)
from .replies import ACK, OFFER, TYPE_RAW, discard, grant, nak, options_for, send, silent_or_nak
from .store import Journal

__all__ = ["HANDLERS", "REQUEST_KINDS", "answer"]

#: The options a reply copies from the request (RFC 6842, RFC 3046, RFC 3011).
_ECHOED: Final = frozenset({CLIENT_IDENTIFIER, RELAY_AGENT_INFORMATION, SUBNET_SELECTION})


# -- the messages (section 4.3) ---------------------------------------------------------

def _choose(cx: Facts, sp: SubnetPlan) -> int | None:
    """The address to offer on the link of ``sp``, in the order of section 4.3.1."""
    d = cx.d
    leases = d.leases
    key = cx.key
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
    asked = int4(cx.raw.get(REQUESTED_IP_ADDRESS))
    if asked is not None and cx.on_link(asked) and cx.assignable(asked):
        there = leases.get(asked)
        if there is None or there.state in AVAILABLE or (there.client == key and
                                                          there.state in HELD):
            return asked
    # "A new address allocated from the server's pool of available addresses;
    # the address is selected based on the subnet from which the message was received".
    return allocate(cx, sp)


def _discover(cx: Facts) -> list[Action]:
    """Section 4.3.1 (and RFC 4039 for rapid commit)."""
    sp = cx.subnet
    if sp is None:
        return discard(cx, "no subnet is configured for this client's network")
    address = _choose(cx, sp)
    if address is None:
        # "If no address is available, the server may choose to report the
        # problem to the system administrator."
        return discard(cx, f"no free address on {sp.subnet.network}")
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
            out.append(commit(cx, address, lease_time))
        else:
            out.extend(keep(cx, address))
        out.append(grant(cx, ACK, address, lease_time, rapid=True))
        return out
    if lease is None or lease.client != cx.key or lease.state is not BOUND:
        # "the server SHOULD NOT reuse the selected network address before the
        # client responds to the server's DHCPOFFER message. The server may
        # choose to record the address as offered to the client." (A binding
        # the client already has stays bound: the offer cannot shorten it.)
        held = new_lease(cx, address, OFFERED, cx.now + cx.cfg.offer_time, lease_time)
        out.append(put(cx.j, cx.d, cx.plan, address, held, LeaseOffered))
    out.append(grant(cx, OFFER, address, lease_time))
    return out


def _request(cx: Facts) -> list[Action]:
    """Section 4.3.2: tell the client's state from the message (table 4), then answer.

    "If the DHCPREQUEST message contains a 'server identifier' option, the
    message is in response to a DHCPOFFER message. Otherwise, the message is
    a request to verify or extend an existing lease." The state is
    :func:`~dhcpwire.protocol.rfc2131.request_state`'s reading of table 4.
    """
    state = request_state(cx.msg)
    cx.renewal = state in _RENEWAL
    return REQUEST_KINDS[state](cx)


def _selecting(cx: Facts) -> list[Action]:
    """A DHCPREQUEST that answers a DHCPOFFER (it names a server)."""
    d, key = cx.d, cx.key
    sid = int4(cx.raw[SERVER_IDENTIFIER])
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
        current = d.clients.get(key)
        offered = d.leases[current] if current is not None else None
        if current is not None and offered is not None and offered.state is OFFERED:
            freed = LeaseRecord(address=offered.address, client=key,
                          hardware_address=offered.hardware_address, state=EXPIRED,
                          expires=cx.now, lease_time=offered.lease_time)
            out.append(put(cx.j, d, cx.plan, current, freed, LeaseExpired))
        who = "an unreadable server identifier" if sid is None else f"server {IPv4Address(sid)}"
        out.extend(discard(cx, f"the client chose {who}"))
        return out
    # Section 4.3.2: "'requested IP address' MUST be filled in with the yiaddr
    # value from the chosen DHCPOFFER."
    address = int4(cx.raw.get(REQUESTED_IP_ADDRESS)) or cx.ciaddr
    if not address:
        return nak(cx, "no requested address")
    lease = d.leases.get(address)
    reserved = cx.plan.reserved.get(address)
    if (lease is not None and lease.client == key and (reserved is None or reserved is cx.res)
            and (lease.state in HELD or (lease.state in AVAILABLE and cx.assignable(address)))):
        kept = cx.kept(lease)
        out = []
        if kept is None:
            lease_time = cx.lease_time(lease)
            out.append(commit(cx, address, lease_time))
        else:
            lease_time = kept
            out.extend(keep(cx, address))
        out.append(grant(cx, ACK, address, lease_time))
        return out
    # Section 3.1 step 4: "If the selected server is unable to satisfy the
    # DHCPREQUEST message (e.g., the requested network address has been
    # allocated), the server SHOULD respond with a DHCPNAK message."
    return nak(cx, "the offer no longer stands")


def _verify(cx: Facts, address: int, what: str) -> list[Action]:
    """Confirm or refuse the client's own notion of its address (INIT-REBOOT,
    RENEWING, REBINDING), extending the lease when it is right."""
    d, key = cx.d, cx.key
    lease = d.leases.get(address)
    reserved = cx.plan.reserved.get(address)
    if reserved is not None and reserved is not cx.res:
        return nak(cx, f"{what} is reserved for another client")
    if lease is not None and lease.client == key:
        if lease.state in HELD or (lease.state in AVAILABLE and cx.assignable(address)):
            lease_time = cx.lease_time(lease)
            return [commit(cx, address, lease_time),
                    grant(cx, ACK, address, lease_time)]
        return nak(cx, f"{what} was declined" if lease.state is DECLINED
                    else f"{what} is no longer in a pool")
    if lease is not None and lease.state not in AVAILABLE:
        return nak(cx, f"{what} belongs to another client")
    if reserved is not None:  # this client's reservation, never used yet
        lease_time = cx.lease_time(None)
        return [commit(cx, address, lease_time),
                grant(cx, ACK, address, lease_time)]
    current = d.clients.get(key)
    if current is not None and d.leases[current].state in HELD:
        # Section 4.3.2: "the DHCP server should check if the client's notion
        # of its IP address is correct. If not, then the server SHOULD send a
        # DHCPNAK message to the client." (Only when the server holds a binding
        # for it: a stale record says nothing of what the client has now.)
        return nak(cx, f"the client's address is {IPv4Address(current)}, not {what}")
    return silent_or_nak(cx, f"no record of this client at {what}")


def _init_reboot(cx: Facts) -> list[Action]:
    """A DHCPREQUEST that checks a remembered address (no server id, 'ciaddr' zero)."""
    address = int4(cx.raw.get(REQUESTED_IP_ADDRESS))
    if cx.subnet is None:
        return discard(cx, "no subnet is configured for this client's network")
    if not cx.cfg.authoritative and cx.res is None and cx.key not in cx.d.clients:
        # Section 4.3.2: "If the DHCP server has no record of this client,
        # then it MUST remain silent, and MAY output a warning to the network
        # administrator. This behavior is necessary for peaceful coexistence
        # of non-communicating DHCP servers on the same wire." Section 3.2:
        # "Servers SHOULD NOT respond if their information is not guaranteed
        # to be accurate": a server that is not authoritative does not know
        # that its configuration is all of the network, so it does not NAK a
        # stranger for being on the wrong network either.
        return discard(cx, "an INIT-REBOOT request from a client this server has no "
                           "record of; not authoritative, so silent (RFC 2131 section 4.3.2)")
    # Section 4.3.2: "If the DHCP server detects that the client is on the
    # wrong net (i.e., the result of applying the local subnet mask or remote
    # subnet mask (if 'giaddr' is not zero) to 'requested IP address' option
    # value doesn't match reality), then the server SHOULD send a DHCPNAK".
    if address is None or not cx.on_link(address):
        return nak(cx, "the requested address is not on the client's network")
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
        return nak(cx, "ciaddr is not on the client's network")
    return _verify(cx, address, f"ciaddr {IPv4Address(address)}")


def _bad_request(cx: Facts) -> list[Action]:
    return discard(cx, "a DHCPREQUEST with no server identifier, no requested address and "
                        "no ciaddr (RFC 2131 table 4)")


_BY_STATE: Final = {"SELECTING": _selecting, "INIT-REBOOT": _init_reboot,
                    "RENEWING": _renewing, "REBINDING": _renewing}
_RENEWAL: Final = frozenset({"RENEWING", "REBINDING"})

#: RFC 2131 table 4, read by the server: the client state of a DHCPREQUEST,
#: as :func:`~dhcpwire.protocol.rfc2131.request_state` tells it from the
#: rows of :data:`~dhcpwire.protocol.rfc2131.REQUEST_STATES` (``None``: none
#: of them) -> its handler. RENEWING and REBINDING differ only in the IP
#: destination, which the server does not need: both extend a lease.
REQUEST_KINDS: Final[dict[str | None, Callable[[Facts], list[Action]]]] = {
    **{state: _BY_STATE[state] for state in REQUEST_STATES}, None: _bad_request}


def _decline(cx: Facts) -> list[Action]:
    """Section 4.3.3: "The server MUST mark the network address as not available"."""
    d = cx.d
    address = int4(cx.raw.get(REQUESTED_IP_ADDRESS))
    sid = int4(cx.raw.get(SERVER_IDENTIFIER))
    if sid is not None and sid not in cx.plan.server_ids:
        return discard(cx, "a DHCPDECLINE for another server")
    if address is None:
        return discard(cx, "a DHCPDECLINE without a readable requested address (option 50)")
    lease = d.leases.get(address)
    # Only the client the address was given to can decline it: anyone else's
    # DHCPDECLINE would let a stranger take addresses out of use.
    if lease is None or lease.client != cx.key or lease.state not in HELD:
        return discard(cx, "a DHCPDECLINE for an address this client does not hold")
    # "... and SHOULD notify the local system administrator of a possible
    # configuration problem": the LeaseDeclined action is that notice.
    quarantined = new_lease(cx, address, DECLINED, cx.now + cx.cfg.decline_time,
                             lease.lease_time)
    return [put(cx.j, d, cx.plan, address, quarantined, LeaseDeclined)]


def _release(cx: Facts) -> list[Action]:
    """Section 4.3.4: "Upon receipt of a DHCPRELEASE message, the server marks the
    network address as not allocated. The server SHOULD retain a record of the
    client's initialization parameters for possible reuse"."""
    d = cx.d
    sid = int4(cx.raw.get(SERVER_IDENTIFIER))
    if sid is not None and sid not in cx.plan.server_ids:
        return discard(cx, "a DHCPRELEASE for another server")
    address = cx.ciaddr
    lease = d.leases.get(address) if address else None
    if lease is None or lease.client != cx.key or lease.state not in HELD:
        return discard(cx, "a DHCPRELEASE for an address this client does not hold")
    released = new_lease(cx, address, RELEASED, cx.now, lease.lease_time)
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
        return discard(cx, "a DHCPINFORM without ciaddr")
    own = cx.plan.subnet_of(cx.ciaddr)
    if own is not None:
        cx.subnet = own
    if cx.subnet is None:
        return discard(cx, "no subnet is configured for this client's network")
    return [grant(cx, ACK, 0, None)]


def _bootp(cx: Facts) -> list[Action]:
    """RFC 1534 section 2: BOOTP clients, when the configuration allows them."""
    cfg = cx.cfg
    if not cfg.bootp:
        # "If a DHCP server that is not configured to support BOOTP clients
        # receives a BOOTREQUEST message from a BOOTP client, that server
        # silently discards the BOOTREQUEST message."
        return discard(cx, "a BOOTP request, and BOOTP is off (RFC 1534)")
    here = cx.subnet
    if here is None:
        return discard(cx, "no subnet is configured for this client's network")
    address = _choose(cx, here)
    if address is None:
        return discard(cx, f"no free address on {here.subnet.network}")
    out: list[Action] = []
    lease = cx.d.leases.get(address)
    # "the DHCP server must assign an infinite lease duration to for automatic
    # addresses assigned to BOOTP clients ... The server marks a binding for a
    # BOOTP client as BOUND after sending the BOOTP BOOTREPLY".
    if lease is None or lease.client != cx.key or lease.state is not BOUND \
            or lease.lease_time != INFINITE:
        out.append(commit(cx, address, INFINITE))
    sp = cx.plan.subnet_of(address) or here
    # "the server MUST NOT include the 'DHCP message type' option"; other
    # options MAY go to a BOOTP client.
    raw: dict[int, bytes] = {}
    chosen = options_for(cx, sp).select(cx.raw.get(PARAMETER_REQUEST_LIST))
    raw.update(chosen)
    out.append(send(cx, kind=None, yiaddr=cx.d.leases[address].address,
                    siaddr=sp.next_server or ZERO_ADDRESS, sname=sp.sname, file=sp.file,
                    raw=raw, optional=[c for c, _ in chosen]))
    return out


def _not_for_server(cx: Facts) -> list[Action]:
    kind = cx.kind
    name = MessageType(kind).name if kind in TYPE_RAW else str(kind)
    return discard(cx, f"DHCP{name} is not a client message this server answers")


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


def answer(plan: Plan, d: Data, j: Journal, now: float, msg: Message,
            interface: str | None = None, source: IPv4Address | None = None,
            source_port: int | None = None, rng: random.Random | None = None) -> list[Action]:
    if msg.op != OpCode.BOOTREQUEST:
        # RFC 1542 section 2.1 and RFC 2131 section 4.1: servers take BOOTREQUESTs.
        return [Discard(reason="not a BOOTREQUEST", message=msg)]
    raw = msg.options.raw_map
    type_raw = raw.get(MESSAGE_TYPE)
    kind: int | None = None
    if type_raw is None:
        handler = HANDLERS[None]
    elif len(type_raw) != 1:
        return [Discard(reason="option 53 is not one octet", message=msg)]
    else:
        kind = type_raw[0]
        handler = HANDLERS.get(kind, _not_for_server)
    cid = raw.get(CLIENT_IDENTIFIER)
    key = key_of(msg, cid)
    if key is None:
        # RFC 6842 section 2: servers "MAY drop the DHCP packets in the absence
        # of both the 'client identifier' and 'chaddr' option."
        return [Discard(reason="no client identifier and an all-zero chaddr", message=msg)]
    cx = Facts(plan, d, j, msg, raw, kind, cid, key, now, interface, source, source_port, rng)
    # The options a reply echoes must be well formed, or the reply would not
    # be: a lenient decode lets malformed values through, and says so in
    # ``defects``. RFC 2132 section 9.14: option 61's "minimum length is 2";
    # RFC 3046 section 2.0: option 82 is a sequence of sub-options.
    bad = sorted(d.option for d in msg.defects if d.option in _ECHOED) if msg.defects else []
    if cx.relay_malformed:
        bad.append(RELAY_AGENT_INFORMATION)
    if cid is not None and len(cid) < 2:
        bad.append(CLIENT_IDENTIFIER)
    if bad:
        return [Discard(reason=f"option {bad[0]}, which a reply echoes, is malformed",
                        message=msg)]
    return handler(cx)


