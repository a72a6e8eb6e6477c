"""``dhcpwire lint``: RFC 2131 tables 3, 4 and 5 held against the messages of a capture.

Rules of this module:

* Table 5 ("Fields and options used by DHCP clients") is transcribed, row by
  row, into :data:`CLIENT_FIELDS` and :data:`CLIENT_OPTIONS`; table 4
  ("Client messages from different states") into :data:`REQUEST_STATES`.
  The code below only reads the tables.
* Server replies are checked by :func:`dhcpwire.server.check_reply` (table
  3), paired with the request of the same xid and chaddr seen before them.
* A MUST or MUST NOT broken is an ``error``; a SHOULD or SHOULD NOT, or a
  table entry that says "unused", is a ``warning``. Nothing here raises for
  any message: linting never stops at a bad packet.
* A relay agent legitimately changes 'hops' and 'giaddr' and adds option 82
  (RFC 2131 section 4.1, RFC 3046 section 2.1), so a message with a nonzero
  'giaddr' is not faulted for those.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Final

from ..protocol.rfc2131 import (
    ANYWHERE as _ANYWHERE,
)
from ..protocol.rfc2131 import (
    CLIENT_COLUMNS as COLUMNS,
)
from ..protocol.rfc2131 import (
    CLIENT_FIELDS,
    CLIENT_OPTIONS,
    REQUEST_STATES,
    check_reply,
    request_state,
)
from ..protocol.rfc2131 import (
    CLIENT_OTHERS as OTHERS,
)
from ..wire.constants import MessageType, OpCode
from ..wire.message import Message
from ..wire.options import Options

__all__ = ["CLIENT_FIELDS", "CLIENT_OPTIONS", "REQUEST_STATES", "Finding", "check_capture",
           "check_client", "request_state"]

ERROR: Final = "error"
WARNING: Final = "warning"

_T = MessageType
_BROADCAST: Final = IPv4Address("255.255.255.255")


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation: ``level`` is ``"error"`` (MUST) or ``"warning"`` (SHOULD)."""

    level: str
    text: str

    def __str__(self) -> str:
        return f"{self.level}: {self.text}"


def _option_rule(rule: str, code: int, msg: Message, where: str) -> Finding | None:
    present = code in msg.options
    name = f"option {code} ({msg.options.name(code)})"
    if rule == "MUST" and not present:
        return Finding(ERROR, f"{where}: {name} MUST appear")
    if rule == "MUST NOT" and present:
        return Finding(ERROR, f"{where}: {name} MUST NOT appear")
    if rule == "SHOULD" and not present:
        return Finding(WARNING, f"{where}: {name} SHOULD appear")
    if rule == "SHOULD NOT" and present:
        return Finding(WARNING, f"{where}: {name} SHOULD NOT appear")
    return None


def _field_rule(rule: str, field: str, msg: Message, where: str) -> Finding | None:
    value = getattr(msg, field)
    if rule in ("any", "flags", "state"):
        return None
    if rule == "unused":
        overload = msg.options.raw(52) if 52 in msg.options else None
        used = overload is not None and len(overload) == 1 and \
            overload[0] & (1 if field == "file" else 2)
        if value and not used and any(value):
            return Finding(WARNING, f"{where}: '{field}' is not empty; table 5: "
                                    "\"otherwise unused\"")
        return None
    number = value if isinstance(value, int) else int(value)
    if rule == "zero" and number:
        return Finding(ERROR, f"{where}: '{field}' is {_show(field, value)}, not 0")
    if rule == "address" and not number:
        return Finding(ERROR, f"{where}: '{field}' is 0, not the client's network address")
    return None


def _show(field: str, value: object) -> str:
    if field == "flags" and isinstance(value, int):
        return f"0x{value:04x}"
    return str(value)


def check_client(msg: Message, *, dst: IPv4Address | None = None) -> list[Finding]:
    """Every way a client message breaks RFC 2131 tables 4 and 5.

    Messages that are not one of table 5's five types (replies, BOOTP,
    FORCERENEW, leasequery) give no finding. ``dst`` is the IP destination,
    where known: it tells RENEWING from REBINDING.
    """
    kind = msg.message_type
    if kind not in COLUMNS:
        return []
    assert isinstance(kind, MessageType)
    column = COLUMNS.index(kind)
    where = f"DHCP{kind.name}"
    state = request_state(msg, dst) if kind is _T.REQUEST else None
    out: list[Finding] = []
    if msg.op != OpCode.BOOTREQUEST:
        out.append(Finding(ERROR, f"{where}: 'op' is {msg.op}, not BOOTREQUEST"))
    relayed = bool(int(msg.giaddr))
    if kind is _T.REQUEST:
        if state is None:
            out.append(Finding(ERROR, f"{where}: neither option 54, 'ciaddr' nor option 50: "
                                      "no state of table 4 sends it"))
        else:
            where = f"DHCPREQUEST ({state})"
    for field, rules in CLIENT_FIELDS.items():
        if relayed and field in ("hops", "giaddr"):
            continue  # a relay agent's fields (section 4.1)
        rule = rules[column]
        if rule == "state" and state is not None:
            rule = REQUEST_STATES[state][2]
        finding = _field_rule(rule, field, msg, where)
        if finding is not None:
            out.append(finding)
    codes = set(msg.options)
    for code in sorted(codes | set(CLIENT_OPTIONS)):
        if code == 53 or code in _ANYWHERE:
            continue
        rule = CLIENT_OPTIONS.get(code, OTHERS)[column]
        if rule == "state":
            if state is None:
                continue
            rule = REQUEST_STATES[state][0 if code == 54 else 1]
        finding = _option_rule(rule, code, msg, where)
        if finding is not None:
            out.append(finding)
    if state is not None and dst is not None and state != "RENEWING" and dst != _BROADCAST \
            and int(dst) & 0xFF != 0xFF and not relayed:
        # Table 4, "broad/unicast": broadcast in every state but RENEWING.
        out.append(Finding(ERROR, f"{where}: sent to {dst}; table 4 says broadcast"))
    return out


def _reply_request(reply: Message) -> Message:
    """A stand-in request for a reply whose request is not in the capture.

    The fields the reply copies from the request are taken from the reply,
    so only the rules that do not compare with the request can fail.
    """
    kind = reply.message_type
    if kind is _T.OFFER:
        qtype = _T.DISCOVER
    elif kind is _T.ACK and 51 not in reply.options:
        qtype = _T.INFORM
    else:
        qtype = _T.REQUEST
    options = Options({53: qtype})
    for code in (61, 82):
        if code in reply.options:
            options = options.set_raw(code, reply.options.raw(code))
    return Message(op=OpCode.BOOTREQUEST, htype=reply.htype, hlen=reply.hlen, xid=reply.xid,
                   flags=reply.flags, ciaddr=reply.ciaddr, giaddr=reply.giaddr,
                   chaddr=reply.chaddr, options=options)


def check_server(reply: Message, request: Message | None) -> list[Finding]:
    """Table 3 (:func:`~dhcpwire.server.check_reply`): MUST rows as errors, SHOULD as warnings."""
    paired = request if request is not None else _reply_request(reply)
    if not int(paired.giaddr) and int(reply.giaddr):
        # Captured between the relay agent and the client: the server saw the
        # request with the relay's 'giaddr' (RFC 2131 section 4.1), not this copy.
        paired = dataclasses.replace(paired, giaddr=reply.giaddr, hops=min(paired.hops + 1, 255))
    errors = check_reply(paired, reply)
    shoulds = [p for p in check_reply(paired, reply, should=True) if p not in errors]
    out = [Finding(ERROR, p) for p in errors] + [Finding(WARNING, p) for p in shoulds]
    if request is None and out:
        out = [Finding(f.level, f.text + " (its request is not in the capture)") for f in out]
    return out


_REPLIES: Final = frozenset({_T.OFFER, _T.ACK, _T.NAK})


def check_capture(messages: Iterable[tuple[str, Message, IPv4Address | None]]
                  ) -> list[tuple[str, Finding]]:
    """Lint ``(label, message, IP destination)`` triples in capture order.

    A reply is paired with the latest earlier client message of the same xid
    and chaddr (a DISCOVER, REQUEST or INFORM).
    """
    out: list[tuple[str, Finding]] = []
    requests: dict[tuple[int, bytes], Message] = {}
    for label, msg, dst in messages:
        kind = msg.message_type
        if msg.op == OpCode.BOOTREQUEST:
            out.extend((label, f) for f in check_client(msg, dst=dst))
            if kind in (_T.DISCOVER, _T.REQUEST, _T.INFORM):
                requests[(msg.xid, msg.chaddr)] = msg
        elif kind in _REPLIES:
            request = requests.get((msg.xid, msg.chaddr))
            out.extend((label, f) for f in check_server(msg, request))
    return out
