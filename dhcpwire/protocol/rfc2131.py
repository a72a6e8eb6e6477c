"""RFC 2131 tables 3, 4 and 5 as data: the one transcription every part of dhcpwire reads.

Rules of this module:

* Each table is transcribed once, row by row: table 3 ("Fields and options
  used by DHCP servers") into :data:`FIELD_RULES` and :data:`OPTION_RULES`;
  table 4 ("Client messages from different states") into
  :data:`REQUEST_STATES`; table 5 ("Fields and options used by DHCP
  clients") into :data:`CLIENT_FIELDS` and :data:`CLIENT_OPTIONS`. The
  client's message builders, the server's replies, ``dhcpwire lint`` and the
  tests read them from here.
* The later RFCs that amend table 3 (RFC 6842 for the client identifier,
  RFC 3046 for relay agent information, RFC 4039 for rapid commit, RFC 1534
  for BOOTP replies) are separate, quoted checks.
* :func:`check_reply` and :func:`request_state` never raise for any
  message, so linters and tests can run them on anything.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Final

from ..wire.constants import BROADCAST_FLAG, MessageType, OpCode
from ..wire.message import Message

__all__ = [
    "ANYWHERE",
    "CHOSEN",
    "CLIENT_COLUMNS",
    "CLIENT_FIELDS",
    "CLIENT_OPTIONS",
    "CLIENT_OTHERS",
    "FIELD_RULES",
    "HEADER",
    "OPTION_RULES",
    "REPLY_COLUMN",
    "REPLY_RULES",
    "REQUEST_STATES",
    "Header",
    "ReplyRules",
    "check_reply",
    "client_field_rule",
    "client_option_rule",
    "request_state",
]

OFFER, ACK, INFORM_ACK, NAK = "DHCPOFFER", "DHCPACK", "DHCPACK (to DHCPINFORM)", "DHCPNAK"
_COLUMNS: Final = (OFFER, ACK, INFORM_ACK, NAK)

#: The reply each request may get: (request type, reply type) -> table 3 column.
#: RFC 4039 section 3: a server "MAY respond to a DHCPDISCOVER message that
#: included the Rapid Commit option with a DHCPACK".
REPLY_COLUMN: Final = {
    (MessageType.DISCOVER, MessageType.OFFER): OFFER,
    (MessageType.DISCOVER, MessageType.ACK): ACK,
    (MessageType.REQUEST, MessageType.ACK): ACK,
    (MessageType.REQUEST, MessageType.NAK): NAK,
    (MessageType.INFORM, MessageType.ACK): INFORM_ACK,
}

#: RFC 2131 table 3, the fields: field -> the rule in each column
#: (DHCPOFFER, DHCPACK, DHCPACK to DHCPINFORM, DHCPNAK). The rules:
#: ``bootreply``; ``request`` (the request's value); ``zero``;
#: ``request-or-zero``; ``nonzero``; ``flags`` (the request's, and a NAK
#: through a relay may add BROADCAST: RFC 2131 section 4.3.2 "The server MUST
#: set the broadcast bit in the DHCPNAK"); ``unused`` (empty); ``any``.
FIELD_RULES: Final[dict[str, tuple[str, str, str, str]]] = {
    "op": ("bootreply", "bootreply", "bootreply", "bootreply"),
    "htype": ("request", "request", "request", "request"),
    "hlen": ("request", "request", "request", "request"),
    "hops": ("zero", "zero", "zero", "zero"),
    "xid": ("request", "request", "request", "request"),
    "secs": ("zero", "zero", "zero", "zero"),
    "ciaddr": ("zero", "request-or-zero", "request-or-zero", "zero"),
    # RFC 2131 section 4.3.5: the server "SHOULD NOT fill in 'yiaddr'" (a SHOULD: 'any' here)
    "yiaddr": ("nonzero", "nonzero", "any", "zero"),
    "siaddr": ("any", "any", "any", "zero"),
    "flags": ("flags", "flags", "flags", "flags"),
    "giaddr": ("request", "request", "request", "request"),
    "chaddr": ("request", "request", "request", "request"),
    "sname": ("any", "any", "any", "unused"),
    "file": ("any", "any", "any", "unused"),
}

#: RFC 2131 table 3, the options: code -> requirement in each column. The
#: DHCPACK column splits as the table does: "MUST (DHCPREQUEST) MUST NOT
#: (DHCPINFORM)". 52 stands for "Use 'file'/'sname' fields". Codes not
#: listed are "All others": MAY, MAY, MAY, MUST NOT. 53 is checked by type;
#: 61, 80 and 82 by their own RFCs (below).
OPTION_RULES: Final[dict[int, tuple[str, str, str, str]]] = {
    50: ("MUST NOT", "MUST NOT", "MUST NOT", "MUST NOT"),  # requested IP address
    51: ("MUST", "MUST", "MUST NOT", "MUST NOT"),  # IP address lease time
    52: ("MAY", "MAY", "MAY", "MUST NOT"),  # use 'file'/'sname' fields
    55: ("MUST NOT", "MUST NOT", "MUST NOT", "MUST NOT"),  # parameter request list
    56: ("SHOULD", "SHOULD", "SHOULD", "SHOULD"),  # message
    60: ("MAY", "MAY", "MAY", "MAY"),  # vendor class identifier
    54: ("MUST", "MUST", "MUST", "MUST"),  # server identifier
    57: ("MUST NOT", "MUST NOT", "MUST NOT", "MUST NOT"),  # maximum message size
}
_OWN_RULES: Final = frozenset({53, 61, 80, 82})
_OTHERS: Final = ("MAY", "MAY", "MAY", "MUST NOT")

_ZERO: Final = 0
_BROADCAST: Final = IPv4Address("255.255.255.255")


def _field_problem(rule: str, name: str, req: Message, rep: Message) -> str | None:
    got = getattr(rep, name)
    want = getattr(req, name)
    if rule == "bootreply":
        return None if got == OpCode.BOOTREPLY else f"'op' is {got}, not BOOTREPLY"
    if rule == "request":
        return None if got == want else f"'{name}' is {got!r}, not the request's {want!r}"
    if rule == "zero":
        return None if not int(got) else f"'{name}' is {got}, not 0"
    if rule == "request-or-zero":
        return None if got == want or not int(got) else (
            f"'{name}' is {got}, neither the request's {want} nor 0")
    if rule == "nonzero":
        return None if int(got) else f"'{name}' is 0"
    if rule == "flags":
        if got == want or (_kind(rep) == MessageType.NAK and int(req.giaddr)
                           and got == want | BROADCAST_FLAG):
            return None
        return f"'flags' is {got:#06x}, not the request's {want:#06x}"
    if rule == "unused":
        return None if not got else f"'{name}' is used"
    return None


def check_reply(request: Message, reply: Message, *, should: bool = False) -> list[str]:
    """Every way ``reply`` breaks RFC 2131 table 3 as an answer to ``request``.

    Table 3 ("Fields and options used by DHCP servers") with its amendments:
    RFC 6842 (client identifier echo), RFC 3046 section 2.2 (relay agent
    information echo), RFC 4039 (rapid commit) and RFC 1534 (replies to
    BOOTP clients carry no message type). MUST and MUST NOT rows are always
    checked; ``should=True`` adds the SHOULD rows. An empty list is a
    conforming reply.

    >>> from dhcpwire import Message, MessageType, MESSAGE_TYPE, SERVER_IDENTIFIER
    >>> req = Message(xid=7, chaddr=b"\\x02" * 6, options={MESSAGE_TYPE: MessageType.REQUEST})
    >>> nak = Message(op=2, xid=7, chaddr=b"\\x02" * 6, yiaddr="192.0.2.9",
    ...               options={MESSAGE_TYPE: MessageType.NAK})
    >>> for problem in check_reply(req, nak):
    ...     print(problem)
    DHCPNAK: 'yiaddr' is 192.0.2.9, not 0
    DHCPNAK: option 54 (server-identifier) MUST appear
    """
    out: list[str] = []
    opts = reply.options
    qtype = _kind(request)
    rtype = _kind(reply)
    if request.op != OpCode.BOOTREQUEST:
        return [f"the request's 'op' is {request.op}, not BOOTREQUEST: nothing answers it"]
    if qtype is None:
        # RFC 1534 section 2: "the server MUST NOT include the 'DHCP message type' option"
        if rtype is not None:
            out.append("BOOTREPLY: a reply to a BOOTP client MUST NOT carry option 53")
        for name in ("op", "htype", "hlen", "xid", "chaddr", "giaddr"):
            problem = _field_problem(FIELD_RULES[name][0], name, request, reply)
            if problem:
                out.append(f"BOOTREPLY: {problem}")
        return out
    column = REPLY_COLUMN.get((qtype, rtype))  # type: ignore[arg-type]
    if column is None:
        return [f"a {_name(qtype)} is never answered with {_name(rtype)} "
                "(RFC 2131 section 4.3, RFC 4039)"]
    col = _COLUMNS.index(column)
    for name, rules in FIELD_RULES.items():
        problem = _field_problem(rules[col], name, request, reply)
        if problem:
            out.append(f"{column}: {problem}")
    codes = set(opts)
    for code in sorted(codes | set(OPTION_RULES)):
        if code in _OWN_RULES:
            continue
        rule = OPTION_RULES.get(code, _OTHERS)[col]
        present = code in codes
        if rule == "MUST" and not present:
            out.append(f"{column}: option {code} ({opts.name(code)}) MUST appear")
        elif rule == "MUST NOT" and present:
            out.append(f"{column}: option {code} ({opts.name(code)}) MUST NOT appear")
        elif rule == "SHOULD" and should and not present:
            out.append(f"{column}: option {code} ({opts.name(code)}) SHOULD appear")
    # RFC 6842 section 3: "If the 'client identifier' option is present in a
    # message received from a client, the server MUST return the 'client
    # identifier' option, unaltered, in its response message." And MUST NOT
    # when the client sent none.
    sent = request.options.raw(61) if 61 in request.options else None
    got = opts.raw(61) if 61 in opts else None
    if sent != got:
        out.append(f"{column}: option 61 (client-identifier) is "
                   + ("missing" if got is None else "not the client's, unaltered"
                      if sent is not None else "present though the client sent none")
                   + " (RFC 6842)")
    # RFC 3046 section 2.2: servers "SHALL echo the entire contents of the
    # Relay Agent Information option in all replies".
    sent = request.options.raw(82) if 82 in request.options else None
    got = opts.raw(82) if 82 in opts else None
    if got is not None and got != sent:
        out.append(f"{column}: option 82 is not the request's, echoed whole (RFC 3046)")
    elif sent is not None and got is None:
        out.append(f"{column}: option 82 is not echoed (RFC 3046 section 2.2)")
    # RFC 4039 section 4: "A server MUST include this option in a DHCPACK
    # message sent in a response to a DHCPDISCOVER message"; section 3: "A
    # server MUST NOT include the Rapid Commit option in any other messages."
    rapid = qtype == MessageType.DISCOVER and rtype == MessageType.ACK
    if rapid and 80 not in opts:
        out.append(f"{column}: an ACK to a DISCOVER MUST carry option 80 (RFC 4039)")
    elif not rapid and 80 in opts:
        out.append(f"{column}: option 80 appears outside a rapid-commit ACK (RFC 4039)")
    return out


def _kind(message: Message) -> MessageType | int | None:
    """Option 53 read from its bytes (a lenient decode may leave the typed value raw)."""
    raw = message.options.raw_map.get(53) if message.vend is None else None
    if raw is None or len(raw) != 1:
        return None if raw is None else -1
    return MessageType(raw[0]) if raw[0] in _TYPES else raw[0]


_TYPES: Final = frozenset(MessageType)


def _name(kind: object) -> str:
    if kind is None:
        return "BOOTP message"
    return str(kind) if isinstance(kind, MessageType) else f"message type {kind}"


# -- table 3 for the reply builders ------------------------------------------------------

#: The header fields of a :class:`Message` in constructor order, and the zero of each.
HEADER: Final = ("op", "htype", "hlen", "hops", "xid", "secs", "flags", "ciaddr", "yiaddr",
                 "siaddr", "giaddr", "chaddr", "sname", "file")
_ZEROS: Final[dict[str, object]] = {
    "ciaddr": IPv4Address(0), "yiaddr": IPv4Address(0), "siaddr": IPv4Address(0),
    "giaddr": IPv4Address(0), "chaddr": bytes(16), "sname": b"", "file": b""}
#: What a reply builder chooses itself: the fields table 3 leaves to the server.
CHOSEN: Final = ("yiaddr", "siaddr", "sname", "file", "flags")
#: A reply's header fields, in :data:`HEADER` order.
Header = tuple[int, int, int, int, int, int, int, IPv4Address, IPv4Address, IPv4Address,
               IPv4Address, bytes, bytes, bytes]


class ReplyRules:
    """One column of table 3, in the form a server's reply builder reads it.

    :attr:`header` is a function ``header(request, yiaddr, siaddr, sname,
    file, flags)`` compiled from the column's :data:`FIELD_RULES`: it returns
    the reply's header fields in :data:`HEADER` order, each by its rule --
    BOOTREPLY, the request's value ("request", and "request-or-zero", which
    the server echoes), zero, empty ("unused"), or the server's choice
    ("any", "nonzero", "flags"). A "nonzero" field chosen zero raises
    ``ValueError``: a builder's bug.

    :meth:`options` drops the codes whose rule in :data:`OPTION_RULES` (or
    "All others") is MUST NOT and raises ``ValueError`` when a MUST code is
    missing; the codes with rules of their own (53, 61, 80, 82: see
    :func:`check_reply`) pass through. ``overload`` says whether the column
    allows "Use 'file'/'sname' fields" (option 52).
    """

    __slots__ = ("_keep", "column", "drop", "header", "must", "overload", "should")

    def __init__(self, column: str) -> None:
        self.column: str = column
        col = _COLUMNS.index(column)
        rules = {code: row[col] for code, row in OPTION_RULES.items()}
        self.must: frozenset[int] = frozenset(c for c, r in rules.items() if r == "MUST")
        self.should: frozenset[int] = frozenset(c for c, r in rules.items() if r == "SHOULD")
        self.overload: bool = rules[52] != "MUST NOT"
        if _OTHERS[col] == "MUST NOT":
            # "All others: MUST NOT": only the listed codes that are allowed, and
            # the codes with their own rules, may appear.
            self._keep: frozenset[int] | None = frozenset(
                {c for c, r in rules.items() if r != "MUST NOT"} | _OWN_RULES)
            self.drop: frozenset[int] = frozenset()
        else:
            self._keep = None
            self.drop = frozenset(c for c, r in rules.items() if r == "MUST NOT")
        self.header: Callable[..., Header] = self._compile(
            {name: row[col] for name, row in FIELD_RULES.items()})

    def _compile(self, rules: dict[str, str]) -> Callable[..., Header]:
        """The header function of ``rules``, as straight-line code (a reply is built
        for every exchange, so the table is read once, here, and not per reply)."""
        names: dict[str, object] = {"BOOTREPLY": OpCode.BOOTREPLY}
        checks: list[str] = []
        values: list[str] = []
        for name in HEADER:
            rule = rules[name]
            if rule == "bootreply":
                values.append("BOOTREPLY")
            elif rule in ("request", "request-or-zero"):
                values.append(f"request.{name}")
            elif rule in ("zero", "unused"):
                names[f"ZERO_{name}"] = _ZEROS.get(name, 0)
                values.append(f"ZERO_{name}")
            elif name in CHOSEN:  # "any", "nonzero", "flags"
                values.append(name)
                if rule == "nonzero":
                    checks.append(f"    if not {name}:\n        raise ValueError("
                                  f"\"table 3: '{name}' of a {self.column} is 0\")\n")
            else:
                raise ValueError(f"table 3: no builder for '{name}' by rule {rule!r}")
        source = (f"def header(request, {', '.join(CHOSEN)}):\n" + "".join(checks)
                  + f"    return ({', '.join(values)})\n")
        exec(source, names)  # the code generated from FIELD_RULES, above
        return names["header"]  # type: ignore[return-value]

    def options(self, raw: dict[int, bytes]) -> dict[int, bytes]:
        """``raw`` without the codes this column forbids (the same dict when none).

        Raises ``ValueError`` when a code the column makes MUST is missing.
        """
        if not raw.keys() >= self.must:
            raise ValueError(f"table 3: a {self.column} MUST carry option(s) "
                             f"{sorted(self.must - raw.keys())}")
        keep = self._keep
        if keep is None:
            if self.drop.isdisjoint(raw):
                return raw
            return {c: v for c, v in raw.items() if c not in self.drop}
        if keep.issuperset(raw):
            return raw
        return {c: v for c, v in raw.items() if c in keep}


#: Table 3 by column, for builders: ``REPLY_RULES[REPLY_COLUMN[(request type, reply type)]]``.
REPLY_RULES: Final = {column: ReplyRules(column) for column in _COLUMNS}


# -- table 5 and table 4: the client's side ----------------------------------------------

#: The columns of table 5, in the RFC's order.
CLIENT_COLUMNS: Final = (MessageType.DISCOVER, MessageType.INFORM, MessageType.REQUEST,
                         MessageType.DECLINE, MessageType.RELEASE)

#: RFC 2131 table 5, the fields: field -> rule in each column (DHCPDISCOVER,
#: DHCPINFORM, DHCPREQUEST, DHCPDECLINE, DHCPRELEASE). Rules: ``zero``;
#: ``address`` (the client's network address: nonzero); ``state`` (table 4
#: decides, see :data:`REQUEST_STATES`); ``flags`` ("Set 'BROADCAST' flag if
#: client requires broadcast reply": any); ``unused`` ("options, if indicated
#: in 'sname/file' option; otherwise unused"); ``any``.
#:
#: 'secs' is "0 or seconds since DHCP process started" (any) in the first
#: three columns and "0" for DHCPDECLINE and DHCPRELEASE; 'xid' is "selected
#: by client" (or "'xid' from server DHCPOFFER message"), which one capture
#: cannot check.
CLIENT_FIELDS: Final[dict[str, tuple[str, str, str, str, str]]] = {
    "hops": ("zero", "zero", "zero", "zero", "zero"),
    "secs": ("any", "any", "any", "zero", "zero"),
    "flags": ("flags", "flags", "flags", "zero", "zero"),
    # "0 (DHCPDISCOVER) client's network address (DHCPINFORM)";
    # "0 or client's network address (BOUND/RENEW/REBIND)"; "0 (DHCPDECLINE)
    # client's network address (DHCPRELEASE)"
    "ciaddr": ("zero", "address", "state", "zero", "address"),
    "yiaddr": ("zero", "zero", "zero", "zero", "zero"),
    "siaddr": ("zero", "zero", "zero", "zero", "zero"),
    "giaddr": ("zero", "zero", "zero", "zero", "zero"),
    "sname": ("unused", "unused", "unused", "unused", "unused"),
    "file": ("unused", "unused", "unused", "unused", "unused"),
}

#: RFC 2131 table 5, the options: code -> requirement in each column
#: (DHCPDISCOVER, DHCPINFORM, DHCPREQUEST, DHCPDECLINE, DHCPRELEASE).
#: ``state``: the DHCPREQUEST requirement depends on the client's state
#: (table 4, :data:`REQUEST_STATES`). Codes not listed are "All others"
#: (:data:`CLIENT_OTHERS`); 53 is the message type itself.
CLIENT_OPTIONS: Final[dict[int, tuple[str, str, str, str, str]]] = {
    50: ("MAY", "MUST NOT", "state", "MUST", "MUST NOT"),  # requested IP address
    51: ("MAY", "MUST NOT", "MAY", "MUST NOT", "MUST NOT"),  # IP address lease time
    52: ("MAY", "MAY", "MAY", "MAY", "MAY"),  # use 'file'/'sname' fields
    61: ("MAY", "MAY", "MAY", "MAY", "MAY"),  # client identifier
    60: ("MAY", "MAY", "MAY", "MUST NOT", "MUST NOT"),  # vendor class identifier
    54: ("MUST NOT", "MUST NOT", "state", "MUST", "MUST"),  # server identifier
    55: ("MAY", "MAY", "MAY", "MUST NOT", "MUST NOT"),  # parameter request list
    57: ("MAY", "MAY", "MAY", "MUST NOT", "MUST NOT"),  # maximum message size
    56: ("SHOULD NOT", "SHOULD NOT", "SHOULD NOT", "SHOULD", "SHOULD"),  # message
}
#: "Site-specific" and "All others".
CLIENT_OTHERS: Final = ("MAY", "MAY", "MAY", "MUST NOT", "MUST NOT")
#: Options a later RFC allows in every client message: 82 is added by relays
#: (RFC 3046 section 2.1), 90 "MAY be included in any DHCP message" (RFC 3118
#: section 2 wording: authentication is per message).
ANYWHERE: Final = frozenset({82, 90})

#: RFC 2131 table 4 ("Client messages from different states"), the
#: DHCPREQUEST rows: state -> (server-ip, requested-ip, ciaddr, delivery).
REQUEST_STATES: Final[dict[str, tuple[str, str, str, str]]] = {
    "INIT-REBOOT": ("MUST NOT", "MUST", "zero", "broadcast"),
    "SELECTING": ("MUST", "MUST", "zero", "broadcast"),
    "RENEWING": ("MUST NOT", "MUST NOT", "address", "unicast"),
    "REBINDING": ("MUST NOT", "MUST NOT", "address", "broadcast"),
}


def request_state(msg: Message, dst: IPv4Address | None = None) -> str | None:
    """The client state a DHCPREQUEST was sent from, told apart as table 4 does.

    Section 4.3.2: a server tells them apart by option 54 (SELECTING), then
    'ciaddr' (RENEWING, REBINDING: unicast or broadcast, which only the IP
    destination ``dst`` shows; RENEWING when unknown), then option 50
    (INIT-REBOOT). ``None`` when none of them is there.
    """
    if 54 in msg.options:
        return "SELECTING"
    if int(msg.ciaddr):
        if dst is not None and (dst == _BROADCAST or int(dst) & 0xFF == 0xFF):
            return "REBINDING"
        return "RENEWING"
    if 50 in msg.options:
        return "INIT-REBOOT"
    return None


def _client_column(kind: MessageType) -> int:
    if kind not in CLIENT_COLUMNS:
        raise ValueError(f"table 5 has no column for {kind!r}")
    return CLIENT_COLUMNS.index(kind)


def _request_row(kind: MessageType, state: str | None) -> tuple[str, str, str, str]:
    if kind is not MessageType.REQUEST or state not in REQUEST_STATES:
        raise ValueError(f"table 4 has no DHCPREQUEST row {state!r} (for {kind!r})")
    return REQUEST_STATES[state]


def client_option_rule(kind: MessageType, code: int, state: str | None = None) -> str:
    """Table 5's cell for option ``code`` in a client's ``kind`` message.

    One of ``"MUST"``, ``"MUST NOT"``, ``"SHOULD"``, ``"SHOULD NOT"`` or
    ``"MAY"``. The DHCPREQUEST cells that table 5 leaves to the state
    ("MUST (after SELECTING) MUST NOT (after INIT-REBOOT, BOUND, RENEWING
    or REBINDING)") are read from table 4's row ``state`` (a key of
    :data:`REQUEST_STATES`). 53, the message type itself, is ``"MUST"``;
    the :data:`ANYWHERE` codes are ``"MAY"``. Raises ``ValueError`` for a
    message type table 5 has no column for, or a state cell without a state.

    >>> client_option_rule(MessageType.INFORM, 51)
    'MUST NOT'
    >>> client_option_rule(MessageType.REQUEST, 54, "SELECTING")
    'MUST'
    """
    column = _client_column(kind)
    if code == 53:
        return "MUST"
    if code in ANYWHERE:
        return "MAY"
    rule = CLIENT_OPTIONS.get(code, CLIENT_OTHERS)[column]
    if rule == "state":
        row = _request_row(kind, state)
        rule = row[0] if code == 54 else row[1]
    return rule


def client_field_rule(kind: MessageType, name: str, state: str | None = None) -> str:
    """Table 5's cell for header field ``name`` in a client's ``kind`` message.

    One of the rules of :data:`CLIENT_FIELDS` (``"zero"``, ``"address"``,
    ``"flags"``, ``"unused"``, ``"any"``); the DHCPREQUEST's 'ciaddr' ("0 or
    client's network address") is read from table 4's row ``state``. Fields
    table 5 does not constrain ('op', 'htype', 'hlen', 'xid', 'chaddr') are
    ``"any"`` here.

    >>> client_field_rule(MessageType.REQUEST, "ciaddr", "RENEWING")
    'address'
    """
    column = _client_column(kind)
    rules = CLIENT_FIELDS.get(name)
    if rules is None:
        return "any"
    rule = rules[column]
    if rule == "state":
        rule = _request_row(kind, state)[2]
    return rule
