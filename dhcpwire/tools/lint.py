"""``dhcpwire lint``: a capture's messages held against RFC 2131 and the RFCs that amend it.

Rules of this module:

* The tables are read, not transcribed: RFC 2131 table 3 (replies), table 4
  (the state of a DHCPREQUEST) and table 5 (client messages) come from
  :mod:`dhcpwire.protocol.rfc2131`. What a later RFC changes (RFC 6842's
  client identifier, RFC 3046's relay agent information, RFC 4039's rapid
  commit, RFC 1534's BOOTP replies) is a separate, quoted check here.
* Every finding names its rule (:data:`RULES`) and the RFC section it comes
  from, and takes its severity from the RFC's words: MUST, MUST NOT, SHALL
  and the values of the tables are ``error``; SHOULD and SHOULD NOT are
  ``warning``; a SHOULD that no mainstream implementation follows (option 56
  in every reply, in every DHCPDECLINE and DHCPRELEASE) is ``info``, shown
  only on request.
* A reply is checked against the request it answers: the latest earlier
  client message with the same xid and chaddr, of a type that this reply
  answers (table 3's columns: a DHCPOFFER answers a DHCPDISCOVER, never a
  DHCPREQUEST), on the same leg of the path. A reply the server sent to a
  relay agent (nonzero 'giaddr', to port 67) answers the relayed copy of
  the request (same 'giaddr'); a reply going to the client answers the
  client's own copy. Retransmitted requests replace the earlier copy.
* The option 82 echo is checked only for a server that shows, somewhere in
  the capture, that it implements option 82 by echoing it: RFC 3046 section
  2.2 lets servers "unaware of the Relay Agent Information option" leave it
  out. Replies on the client's leg are not checked for it (the relay agent
  removes it, RFC 3046 section 2.1), nor is a DHCPACK to a DHCPINFORM that
  goes straight to 'ciaddr' (RFC 2131 section 4.3.5), which no relay sees.
* Nothing here raises for any message: linting never stops at a bad packet.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Final

from ..protocol.rfc2131 import (
    ACK,
    ANYWHERE,
    CLIENT_COLUMNS,
    CLIENT_FIELDS,
    CLIENT_OPTIONS,
    CLIENT_OTHERS,
    FIELD_RULES,
    INFORM_ACK,
    NAK,
    OFFER,
    OPTION_RULES,
    REPLY_COLUMN,
    REQUEST_STATES,
    request_state,
)
from ..wire.constants import BROADCAST_FLAG, MessageType, OpCode
from ..wire.message import Message
from ..wire.options import Options

__all__ = ["ERROR", "INFO", "LEVELS", "RULES", "WARNING", "Finding", "Located", "Rule",
           "Seen", "check_capture", "check_client", "check_server", "lint", "message_kind",
           "request_state"]

ERROR: Final = "error"
WARNING: Final = "warning"
INFO: Final = "info"
#: The severities, most severe first.
LEVELS: Final = (ERROR, WARNING, INFO)

_T = MessageType
_BROADCAST: Final = IPv4Address("255.255.255.255")
_ZERO: Final = IPv4Address(0)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule that lint checks: its name, severity and where the RFC says it."""

    name: str
    level: str
    reference: str
    summary: str


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {r.name: r for r in rules}


_T3: Final = "RFC 2131 section 4.3.1, table 3"
_T4: Final = "RFC 2131 section 4.3.6, table 4"
_T5: Final = "RFC 2131 section 4.4.1, table 5"

#: Every rule, by name.
RULES: Final = _rules(
    Rule("decode", ERROR, "RFC 2131 section 2, RFC 2132 section 2",
         "the message is not well-formed (strict decoding fails)"),
    Rule("client-field", ERROR, _T5, "a field of a client message has a value table 5 rules out"),
    Rule("client-unused", WARNING, _T5,
         "'sname' or 'file' of a client message is used without option 52 (\"otherwise unused\")"),
    Rule("client-option", ERROR, _T5, "an option table 5 says MUST or MUST NOT about"),
    Rule("client-option-should", WARNING, _T5, "an option table 5 says SHOULD NOT about"),
    Rule("client-message-should", INFO, _T5,
         "option 56 (message) SHOULD appear in a DHCPDECLINE or DHCPRELEASE"),
    Rule("request-state", ERROR, _T4,
         "a DHCPREQUEST that no state of table 4 sends (no option 54, 'ciaddr' or option 50)"),
    Rule("request-option", ERROR, _T4,
         "options 54 and 50 of a DHCPREQUEST as its state requires (MUST, MUST NOT)"),
    Rule("request-delivery", ERROR, _T4, "a DHCPREQUEST unicast from a state that broadcasts"),
    Rule("reply-field", ERROR, _T3, "a field of a reply has a value table 3 rules out"),
    Rule("reply-option", ERROR, _T3, "an option table 3 says MUST or MUST NOT about"),
    Rule("reply-message-should", INFO, _T3, "option 56 (message) SHOULD appear in every reply"),
    Rule("inform-yiaddr", WARNING, "RFC 2131 section 4.3.5",
         "the server SHOULD NOT fill in 'yiaddr' in a DHCPACK to a DHCPINFORM"),
    Rule("client-id-echo", ERROR, "RFC 6842 section 3",
         "the server MUST return option 61 unaltered (and MUST NOT add one)"),
    Rule("relay-agent-echo", ERROR, "RFC 3046 section 2.2",
         "a server that implements option 82 SHALL echo it whole in all replies"),
    Rule("rapid-commit", ERROR, "RFC 4039 sections 3 and 4",
         "option 80 MUST be in a DHCPACK to a DHCPDISCOVER and MUST NOT be anywhere else"),
    Rule("bootp-reply", ERROR, "RFC 1534 section 2",
         "a reply to a BOOTP client MUST NOT carry option 53; fields as table 3 says"),
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One way a message breaks a rule: its severity, the rule, and what is wrong."""

    level: str
    text: str
    rule: str = ""
    reference: str = ""

    def __str__(self) -> str:
        tail = f" [{self.reference}]" if self.reference else ""
        return f"{self.level}: {self.text}{tail}"


def _finding(rule: str, text: str) -> Finding:
    r = RULES[rule]
    return Finding(r.level, text, r.name, r.reference)


@dataclass(frozen=True, slots=True)
class Seen:
    """A message as a capture shows it: where it is, and what the IP and UDP headers say."""

    label: str
    message: Message
    src: IPv4Address | None = None
    dst: IPv4Address | None = None
    dport: int | None = None


@dataclass(frozen=True, slots=True)
class Located:
    """A finding with the message it is about: its place in the input and its label."""

    index: int
    label: str
    finding: Finding


def message_kind(msg: Message) -> MessageType | int | None:
    """Option 53 read from its bytes: the type, the odd number, ``-1`` for a value of the
    wrong length (lenient decoding keeps those), ``None`` for BOOTP. Never raises."""
    raw = msg.options.raw_get(53) if msg.vend is None else None
    if raw is None:
        return None
    if len(raw) != 1:
        return -1
    return _TYPES.get(raw[0], raw[0])


_TYPES: Final = {int(t): t for t in MessageType}


# -- client messages: tables 5 and 4 --------------------------------------------------------

def _client_option(rule: str, code: int, msg: Message, where: str, table4: bool
                   ) -> Finding | None:
    present = code in msg.options
    name = f"option {code} ({msg.options.name(code)})"
    hard = "request-option" if table4 else "client-option"
    if rule == "MUST" and not present:
        return _finding(hard, f"{where}: {name} MUST appear")
    if rule == "MUST NOT" and present:
        return _finding(hard, f"{where}: {name} MUST NOT appear")
    if rule == "SHOULD" and not present:
        return _finding("client-message-should" if code == 56 else "client-option-should",
                        f"{where}: {name} SHOULD appear")
    if rule == "SHOULD NOT" and present:
        return _finding("client-option-should", f"{where}: {name} SHOULD NOT appear")
    return None


def _client_field(rule: str, field: str, msg: Message, where: str) -> Finding | None:
    value = getattr(msg, field)
    if rule == "unused":
        overload = msg.options.raw_get(52)
        used = overload is not None and len(overload) == 1 and \
            overload[0] & (1 if field == "file" else 2)
        if value and not used and any(value):
            return _finding("client-unused", f"{where}: '{field}' is not empty")
        return None
    number = value if isinstance(value, int) else int(value)
    if rule == "zero" and number:
        shown = f"0x{value:04x}" if field == "flags" else str(value)
        return _finding("client-field", f"{where}: '{field}' is {shown}, not 0")
    if rule == "address" and not number:
        return _finding("client-field", f"{where}: '{field}' is 0, not the client's address")
    return None


def check_client(msg: Message, *, dst: IPv4Address | None = None) -> list[Finding]:
    """Every way a client message breaks RFC 2131 tables 4 and 5.

    Messages that are not one of table 5's five types (replies, BOOTP,
    FORCERENEW, leasequery) give no finding. ``dst`` is the IP destination,
    where known: it tells RENEWING from REBINDING.
    """
    kind = message_kind(msg)
    if not isinstance(kind, MessageType) or kind not in CLIENT_COLUMNS:
        return []
    column = CLIENT_COLUMNS.index(kind)
    where = str(kind)
    state = request_state(msg, dst) if kind is _T.REQUEST else None
    out: list[Finding] = []
    relayed = bool(int(msg.giaddr))
    if kind is _T.REQUEST:
        if state is None:
            out.append(_finding("request-state", f"{where}: neither option 54, 'ciaddr' nor "
                                                 "option 50: no state of table 4 sends it"))
        else:
            where = f"DHCPREQUEST ({state})"
    for field, rules in CLIENT_FIELDS.items():
        if relayed and field in ("hops", "giaddr"):
            continue  # a relay agent's fields (RFC 2131 section 4.1, RFC 1542 section 4.1.1)
        rule = rules[column]
        if rule == "state" and state is not None:
            rule = REQUEST_STATES[state][2]
        finding = _client_field(rule, field, msg, where)
        if finding is not None:
            out.append(finding)
    for code in sorted(set(msg.options) | set(CLIENT_OPTIONS)):
        if code == 53 or code in ANYWHERE:
            continue
        rule = CLIENT_OPTIONS.get(code, CLIENT_OTHERS)[column]
        table4 = rule == "state"
        if table4:
            if state is None:
                continue
            rule = REQUEST_STATES[state][0 if code == 54 else 1]
        finding = _client_option(rule, code, msg, where, table4)
        if finding is not None:
            out.append(finding)
    # Table 4, "broad/unicast": broadcast in every state but RENEWING.
    if state is not None and dst is not None and state != "RENEWING" and dst != _BROADCAST \
            and int(dst) & 0xFF != 0xFF and not relayed:
        out.append(_finding("request-delivery", f"{where}: sent to {dst}; table 4 says "
                                                "broadcast"))
    return out


# -- replies: table 3 and its amendments -----------------------------------------------------

#: Table 3's columns, in the order of the rows of FIELD_RULES and OPTION_RULES.
_COLUMNS: Final = (OFFER, ACK, INFORM_ACK, NAK)
#: Options whose rules are not table 3's own: 53 by type; 61, 80 and 82 by later RFCs.
_OWN_RULES: Final = frozenset({53, 61, 80, 82})
_OTHERS: Final = ("MAY", "MAY", "MAY", "MUST NOT")


def _reply_field(rule: str, name: str, req: Message, rep: Message, nak: bool) -> str | None:
    got = getattr(rep, name)
    want = getattr(req, name)
    if rule == "bootreply":
        return None if got == OpCode.BOOTREPLY else f"'op' is {got}, not BOOTREPLY"
    if rule == "request":
        return None if got == want else f"'{name}' is {_shown(name, got)}, not the " \
                                        f"request's {_shown(name, want)}"
    if rule == "zero":
        return None if not int(got) else f"'{name}' is {got}, not 0"
    if rule == "request-or-zero":
        return None if got in (want, _ZERO) else f"'{name}' is {got}, neither the " \
                                                 f"request's {want} nor 0"
    if rule == "nonzero":
        return None if int(got) else f"'{name}' is 0"
    if rule == "flags":
        # RFC 2131 section 4.3.2: through a relay, "the server MUST set the broadcast
        # bit in the DHCPNAK".
        if got == want or (nak and int(req.giaddr) and got == want | BROADCAST_FLAG):
            return None
        return f"'flags' is {got:#06x}, not the request's {want:#06x}"
    if rule == "unused":
        return None if not any(got) else f"'{name}' is used"
    return None


def _shown(name: str, value: object) -> str:
    if isinstance(value, bytes):
        return value.hex(":") if name == "chaddr" else repr(value)
    return f"0x{value:08x}" if name == "xid" and isinstance(value, int) else str(value)


def _stand_in(reply: Message, kind: MessageType | int | None) -> Message:
    """A request for a reply whose request is not in the capture: the fields the reply
    copies are taken from the reply, so only the rules that need no request can fail."""
    if kind is None:
        options = Options({})
    else:
        if kind is _T.OFFER or (kind is _T.ACK and 80 in reply.options):
            qtype = _T.DISCOVER
        elif kind is _T.ACK and 51 not in reply.options:
            qtype = _T.INFORM
        else:
            qtype = _T.REQUEST
        options = Options({53: qtype})
    for code in (61, 82):
        raw = reply.options.raw_get(code)
        if raw is not None and kind is not None:
            options = options.set_raw(code, raw)
    return Message(op=OpCode.BOOTREQUEST, htype=reply.htype, hlen=reply.hlen, xid=reply.xid,
                   flags=reply.flags & ~BROADCAST_FLAG if kind is _T.NAK else reply.flags,
                   ciaddr=reply.ciaddr, giaddr=reply.giaddr, chaddr=reply.chaddr,
                   options=options)


def check_server(reply: Message, request: Message | None, *, echo_82: bool = True
                 ) -> list[Finding]:
    """Every way ``reply`` breaks table 3 and its amendments as an answer to ``request``.

    ``request`` is ``None`` when it is not in the capture: then only the rules
    that need no request are checked. ``echo_82=False`` leaves out the option
    82 echo (a server that does not implement 82, or a reply on the client's
    leg, where the relay agent has removed it).
    """
    rkind = message_kind(reply)
    paired = request if request is not None else _stand_in(reply, rkind)
    qkind = message_kind(paired)
    out: list[Finding] = []
    if qkind is None:
        # RFC 1534 section 2: "the server MUST NOT include the 'DHCP message type' option"
        # in a reply to a BOOTP client; the fields follow table 3.
        if rkind is not None:
            out.append(_finding("bootp-reply", "BOOTREPLY: a reply to a BOOTP client carries "
                                               "option 53"))
        for name in ("op", "htype", "hlen", "xid", "chaddr", "giaddr"):
            problem = _reply_field(FIELD_RULES[name][0], name, paired, reply, False)
            if problem:
                out.append(_finding("bootp-reply", f"BOOTREPLY: {problem}"))
        return _unpaired(out, request)
    column = REPLY_COLUMN.get((qkind, rkind))  # type: ignore[arg-type]
    if column is None:
        return []  # not an answer to this request: pairing never gives one
    col = _COLUMNS.index(column)
    nak = rkind is _T.NAK
    for name, rules in FIELD_RULES.items():
        problem = _reply_field(rules[col], name, paired, reply, nak)
        if problem:
            out.append(_finding("reply-field", f"{column}: {problem}"))
    # RFC 2131 section 4.3.5: the server "SHOULD NOT fill in 'yiaddr'".
    if column == INFORM_ACK and int(reply.yiaddr):
        out.append(_finding("inform-yiaddr", f"{column}: 'yiaddr' is {reply.yiaddr}"))
    opts = reply.options
    for code in sorted(set(opts) | set(OPTION_RULES)):
        if code in _OWN_RULES:
            continue
        rule = OPTION_RULES.get(code, _OTHERS)[col]
        present = code in opts
        name = f"option {code} ({opts.name(code)})"
        if rule == "MUST" and not present:
            out.append(_finding("reply-option", f"{column}: {name} MUST appear"))
        elif rule == "MUST NOT" and present:
            out.append(_finding("reply-option", f"{column}: {name} MUST NOT appear"))
        elif rule == "SHOULD" and not present:
            out.append(_finding("reply-message-should", f"{column}: {name} SHOULD appear"))
    # RFC 6842 section 3: "If the 'client identifier' option is present in a message
    # received from a client, the server MUST return the 'client identifier' option,
    # unaltered, in its response message" (and its table: MUST NOT if not sent).
    sent = paired.options.raw_get(61)
    got = opts.raw_get(61)
    if sent != got:
        problem = "is missing" if got is None else (
            "is not the client's, unaltered" if sent is not None
            else "is there though the client sent none")
        out.append(_finding("client-id-echo", f"{column}: option 61 (client-identifier) "
                                              f"{problem}"))
    # RFC 3046 section 2.2: "DHCP servers claiming to support the Relay Agent
    # Information option SHALL echo the entire contents of the Relay Agent
    # Information option in all replies."
    sent = paired.options.raw_get(82)
    got = opts.raw_get(82)
    if echo_82 and sent is not None and got != sent:
        problem = "is not echoed" if got is None else "is not the request's, echoed whole"
        out.append(_finding("relay-agent-echo", f"{column}: option 82 {problem}"))
    # RFC 4039 section 4: "A server MUST include this option in a DHCPACK message sent
    # in a response to a DHCPDISCOVER message"; section 3: "A server MUST NOT include
    # the Rapid Commit option in any other messages."
    rapid = qkind is _T.DISCOVER and rkind is _T.ACK
    if rapid and 80 not in opts:
        out.append(_finding("rapid-commit", f"{column}: a DHCPACK to a DHCPDISCOVER without "
                                            "option 80"))
    elif not rapid and 80 in opts:
        out.append(_finding("rapid-commit", f"{column}: option 80 outside a rapid-commit "
                                            "DHCPACK"))
    return _unpaired(out, request)


def _unpaired(out: list[Finding], request: Message | None) -> list[Finding]:
    if request is not None:
        return out
    return [dataclasses.replace(f, text=f.text + " (its request is not in the capture)")
            for f in out]


# -- pairing ----------------------------------------------------------------------------------

#: The request types each reply type answers (table 3's columns; RFC 4039 for the
#: DHCPACK to a DHCPDISCOVER; RFC 1534: a BOOTREPLY answers a BOOTREQUEST).
_ANSWERS: Final[dict[object, tuple[object, ...]]] = {
    _T.OFFER: (_T.DISCOVER,),
    _T.ACK: (_T.REQUEST, _T.INFORM, _T.DISCOVER),
    _T.NAK: (_T.REQUEST,),
    None: (None,),
}
_REQUESTS: Final = frozenset({_T.DISCOVER, _T.REQUEST, _T.INFORM, None})
_MEMORY: Final = 65536  # requests remembered for pairing


def _server_of(item: Seen) -> bytes:
    """Who sent a reply: option 54's bytes, else the IP source."""
    sid = item.message.options.raw_get(54) if item.message.vend is None else None
    if sid is not None:
        return sid
    return item.src.packed if item.src is not None else b""


def lint(items: Iterable[Seen]) -> Iterator[Located]:
    """Lint messages in capture order; yields each finding with its message's index.

    Findings come in the order of their messages, except the option 82 echo,
    which can only be judged once the capture has shown which servers echo
    option 82: those findings come at the end (sort by :attr:`Located.index`
    for capture order). Memory grows with the requests remembered for
    pairing (at most 65,536), not with the capture.
    """
    requests: OrderedDict[tuple[int, bytes, object, int], Message] = OrderedDict()
    echoing: set[bytes] = set()  # servers seen echoing option 82
    pending: list[tuple[bytes, Located]] = []
    for index, item in enumerate(items):
        msg = item.message
        kind = message_kind(msg)
        if msg.op == OpCode.BOOTREQUEST:
            for f in check_client(msg, dst=item.dst):
                yield Located(index, item.label, f)
            if kind in _REQUESTS:
                key = (msg.xid, msg.chaddr, kind, int(msg.giaddr))
                requests.pop(key, None)
                requests[key] = msg
                if len(requests) > _MEMORY:
                    requests.popitem(last=False)
            continue
        if msg.op != OpCode.BOOTREPLY or kind not in _ANSWERS:
            continue
        relay = int(msg.giaddr)
        to_client = relay and item.dport == 68
        # The leg: a reply to a relay agent answers the relayed copy; a reply to the
        # client answers the client's own copy, or the relayed one if that is all there is.
        legs = (0, relay) if to_client else ((relay, 0) if relay else (0,))
        request = None
        for leg in legs:
            request = next((r for r in (requests.get((msg.xid, msg.chaddr, q, leg))
                                        for q in _ANSWERS[kind]) if r is not None), None)
            if request is not None:
                break
        if request is not None and relay and not int(request.giaddr):
            # The server saw the relay agent's copy (RFC 2131 section 4.1: the relay
            # fills in 'giaddr'), not this one.
            request = request.replace(giaddr=msg.giaddr, hops=0)
        server = _server_of(item)
        if 82 in msg.options:
            echoing.add(server)
        # RFC 2131 section 4.3.5: the DHCPACK to a DHCPINFORM goes "directly to the
        # address given in the 'ciaddr' field", past any relay agent.
        straight = request is not None and message_kind(request) is _T.INFORM and \
            int(request.ciaddr) != 0 and item.dst == request.ciaddr
        echo = bool(relay) and not to_client and not straight
        for f in check_server(msg, request, echo_82=echo):
            located = Located(index, item.label, f)
            if f.rule == "relay-agent-echo":
                pending.append((server, located))
            else:
                yield located
    for server, located in pending:
        if server in echoing:
            yield located


def check_capture(messages: Iterable[tuple[str, Message, IPv4Address | None]]
                  ) -> list[tuple[str, Finding]]:
    """Lint ``(label, message, IP destination)`` triples; findings in capture order."""
    found = sorted(lint(Seen(label, msg, dst=dst) for label, msg, dst in messages),
                   key=lambda f: f.index)
    return [(f.label, f.finding) for f in found]
