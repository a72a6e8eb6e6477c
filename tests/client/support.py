"""What the client tests share: a fake server's replies, a harness on a fake clock, and
RFC 2131 tables 4 and 5 as a check on every message the client sends.

The table check reads the tables from :mod:`dhcpwire.protocol.rfc2131` (through
``client_option_rule`` and ``client_field_rule``), so a message breaks it exactly
when it breaks the RFC's cell, whichever builder made it.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address
from typing import Any

from dhcpwire import (
    Authentication,
    ClientIdentifier,
    Message,
    MessageType,
    OpCode,
    codes,
    decode,
    encode,
)
from dhcpwire.client import (
    BROADCAST,
    Action,
    ClientConfig,
    ClientState,
    Event,
    MessageReceived,
    Probe,
    ProbeResult,
    Send,
    Start,
    State,
    TimerFired,
    next_deadline,
    step,
)
from dhcpwire.protocol.rfc2131 import (
    CLIENT_OPTIONS,
    REQUEST_STATES,
    client_field_rule,
    client_option_rule,
)
from dhcpwire.protocol.rfc6704 import sign_forcerenew

MAC = bytes.fromhex("02005e105301")
OTHER_MAC = bytes.fromhex("02005e10ffff")
S1 = IPv4Address("192.0.2.1")
S2 = IPv4Address("192.0.2.2")
ADDR = IPv4Address("192.0.2.10")
ADDR2 = IPv4Address("192.0.2.11")
ZERO = IPv4Address(0)
NONCE = bytes(range(16))
LEASE = 3600


def config(**kw: Any) -> ClientConfig:
    """No start-up delay and no probe unless a test asks for them."""
    kw.setdefault("startup_delay", (0.0, 0.0))
    kw.setdefault("probe", False)
    return ClientConfig(chaddr=MAC, **kw)


#: The identifier the default client sends (RFC 4361: IAID + DUID-LL); servers echo it.
CID = config().identifier


def wire(message: Message) -> Message:
    """``message`` as the client receives it: encoded by the server, decoded by the caller."""
    return decode(encode(message, max_size=1500))


# -- the fake server's replies ------------------------------------------------------------

def reply(kind: MessageType, xid: int, *, yiaddr: IPv4Address = ADDR,
          server: IPv4Address | None = S1, chaddr: bytes = MAC, cid: ClientIdentifier | None = CID,
          lease: int | None = LEASE, extra: dict[int, Any] | None = None) -> Message:
    opts: dict[int, Any] = {codes.MESSAGE_TYPE: kind}
    if server is not None:
        opts[codes.SERVER_IDENTIFIER] = server
    if lease is not None and kind in (MessageType.OFFER, MessageType.ACK):
        opts[codes.IP_ADDRESS_LEASE_TIME] = lease
    if kind in (MessageType.OFFER, MessageType.ACK):
        opts[codes.SUBNET_MASK] = IPv4Address("255.255.255.0")
        opts[codes.ROUTER] = (S1,)
        opts[codes.DOMAIN_NAME_SERVER] = (S1, S2)
        opts[codes.DOMAIN_NAME] = "example.org"
    if cid is not None:
        opts[codes.CLIENT_IDENTIFIER] = cid
    for code, value in (extra or {}).items():
        if value is None:
            opts.pop(code, None)
        else:
            opts[code] = value
    if kind == MessageType.NAK:
        yiaddr = ZERO
    return Message(op=OpCode.BOOTREPLY, xid=xid, yiaddr=yiaddr, chaddr=chaddr, options=opts)


def offer(xid: int, **kw: Any) -> Message:
    return reply(MessageType.OFFER, xid, **kw)


def ack(xid: int, **kw: Any) -> Message:
    return reply(MessageType.ACK, xid, **kw)


def nak(xid: int, **kw: Any) -> Message:
    return reply(MessageType.NAK, xid, **kw)


def forcerenew(*, replay: int, nonce: bytes = NONCE, server: IPv4Address = S1,
               cid: ClientIdentifier | None = CID) -> Message:
    opts: dict[int, Any] = {codes.MESSAGE_TYPE: MessageType.FORCERENEW,
                            codes.SERVER_IDENTIFIER: server}
    if cid is not None:
        opts[codes.CLIENT_IDENTIFIER] = cid
    message = Message(op=OpCode.BOOTREPLY, xid=0x5A5A5A5A, chaddr=MAC, options=opts)
    return sign_forcerenew(message, nonce=nonce, replay=replay)


def nonce_option(replay: int = 1, nonce: bytes = NONCE) -> Authentication:
    return Authentication(3, 1, 0, replay, b"\x01" + nonce)


# -- RFC 2131 tables 4 and 5, read from dhcpwire.protocol.rfc2131 -------------------------

#: The client's state -> the table-4 row of the DHCPREQUEST it sends there.
REQUEST_ROW = {State.REQUESTING: "SELECTING", State.REBOOTING: "INIT-REBOOT",
               State.RENEWING: "RENEWING", State.REBINDING: "REBINDING"}


def table5_problems(send: Send, state: State, cfg: ClientConfig) -> list[str]:
    """Every way ``send``, sent by a client now in ``state``, breaks tables 4 and 5.

    Only the MUST and MUST NOT cells (and the fields' zero/address cells) are
    rules a message can break; the SHOULD NOT cells are checked too, since the
    client's builders follow them. ``state`` is where the client is after the
    step that sent the message (a DECLINE leaves it in INIT, a RELEASE in
    STOPPED): the REQUEST is the only message whose cells depend on it.
    """
    m = send.message
    kind = m.message_type
    assert isinstance(kind, MessageType)
    row = REQUEST_ROW.get(state) if kind is MessageType.REQUEST else None
    out: list[str] = []
    if kind is MessageType.REQUEST and row is None:
        out.append(f"a DHCPREQUEST sent from {state}, which sends none")
        return out
    if m.op != OpCode.BOOTREQUEST or m.hops != 0:
        out.append("'op' BOOTREQUEST, 'hops' 0")
    if (m.htype, m.hlen, m.chaddr[:m.hlen]) != (cfg.htype, len(cfg.chaddr), cfg.chaddr):
        out.append("'htype', 'hlen', 'chaddr' are the client's")
    for field in ("secs", "flags", "ciaddr", "yiaddr", "siaddr", "giaddr", "sname", "file"):
        rule = client_field_rule(kind, field, row)
        value = getattr(m, field)
        number = value if isinstance(value, int) else len(value) if isinstance(
            value, bytes) else int(value)
        if rule in ("zero", "unused") and number:
            out.append(f"'{field}' is {value!r}, table 5 says {rule}")
        if rule == "address" and not number:
            out.append(f"'{field}' is 0, table 5 says the client's address")
    for code in sorted(set(m.options) | set(CLIENT_OPTIONS) | {53}):
        rule = client_option_rule(kind, code, row)
        present = code in m.options
        if rule == "MUST" and not present:
            out.append(f"option {code} MUST appear")
        if rule in ("MUST NOT", "SHOULD NOT") and present:
            out.append(f"option {code} {rule} appear")
    if row is not None:
        # Table 4, "broad/unicast": broadcast but in RENEWING.
        broadcast = REQUEST_STATES[row][3] == "broadcast"
        if (send.destination == BROADCAST) != broadcast:
            out.append(f"sent to {send.destination}; table 4 says {REQUEST_STATES[row][3]}")
    return out


def check_table5(send: Send, state: State, cfg: ClientConfig) -> None:
    """Assert tables 4 and 5, and the rules beyond them every message follows."""
    problems = table5_problems(send, state, cfg)
    assert not problems, problems
    m = send.message
    o = m.options
    kind = m.message_type
    assert o.get(codes.CLIENT_IDENTIFIER) == cfg.identifier
    # RFC 4039 section 3: option 80 only in DISCOVER.
    assert (codes.RAPID_COMMIT in o) == (kind == MessageType.DISCOVER and cfg.rapid_commit)
    # RFC 2131 section 4.1: the source is 0.0.0.0 until the client has an address.
    assert send.source == m.ciaddr
    if kind in (MessageType.DISCOVER, MessageType.REQUEST):
        # RFC 6704 section 3.1.4: option 145 "in all DHCP Discover and Request messages".
        assert (codes.FORCERENEW_NONCE_CAPABLE in o) == cfg.forcerenew_nonce
        # RFC 2131 section 4.4.1: "If the client included a list of requested
        # parameters in a DHCPDISCOVER message, it MUST include that list in all
        # subsequent messages".
        assert o[codes.PARAMETER_REQUEST_LIST] == cfg.requested_options
        # Section 4.1: BROADCAST only while the client has no address.
        assert m.broadcast == (cfg.broadcast and m.ciaddr == ZERO)
    if kind in (MessageType.DISCOVER, MessageType.DECLINE):
        assert send.destination == BROADCAST  # section 4.4.4
    if kind == MessageType.INFORM:
        # Section 4.4.3: "The client SHOULD NOT request lease time parameters."
        asked = set(o.get(codes.PARAMETER_REQUEST_LIST, ()))
        assert not asked & {51, 58, 59}
    if kind == MessageType.RELEASE:
        assert send.destination == o[codes.SERVER_IDENTIFIER]  # section 4.4.4: unicast


# -- the harness --------------------------------------------------------------------------

class Harness:
    """A client on a fake clock: ``h(event, at=t)`` steps it and checks every send."""

    def __init__(self, cfg: ClientConfig | None = None, *, seed: int = 2131,
                 state: ClientState | None = None) -> None:
        self.state = state if state is not None else ClientState(config=cfg or config())
        self.rng = random.Random(seed)
        self.now = 0.0

    @property
    def cfg(self) -> ClientConfig:
        return self.state.config

    @property
    def xid(self) -> int:
        """The transaction in progress (0 when there is none: a reply is then noise)."""
        xid = self.state.xid
        return 0 if xid is None else xid

    @property
    def record(self) -> Any:
        return self.state.record

    @property
    def deadline(self) -> float | None:
        return next_deadline(self.state)

    def __call__(self, event: Event, at: float | None = None) -> tuple[Action, ...]:
        if at is not None:
            assert at >= self.now, "the fake clock only goes forward"
            self.now = at
        new, actions = step(self.state, event, now=self.now, rng=self.rng)
        for action in actions:
            if isinstance(action, Send):
                assert decode(encode(action.message)) == action.message
                check_table5(action, new.phase, new.config)
        deadline = next_deadline(new)
        assert deadline is None or deadline >= self.now
        self.state = new
        return actions

    def timer(self, at: float | None = None) -> tuple[Action, ...]:
        when = self.deadline if at is None else at
        assert when is not None
        return self(TimerFired(), when)

    def receive(self, message: Message, at: float | None = None) -> tuple[Action, ...]:
        return self(MessageReceived(message=wire(message)), at)


def sends(actions: tuple[Action, ...]) -> list[Send]:
    return [a for a in actions if isinstance(a, Send)]


def only_send(actions: tuple[Action, ...]) -> Send:
    [send] = sends(actions)
    return send


def only(actions: tuple[Action, ...], kind: type[Any]) -> Any:
    found = [a for a in actions if isinstance(a, kind)]
    assert len(found) == 1, actions
    return found[0]


def bound(cfg: ClientConfig | None = None, *, lease: int = LEASE,
          extra: dict[int, Any] | None = None, seed: int = 2131) -> Harness:
    """A client BOUND to ADDR from S1, its lease counting from t=0.

    DISCOVER at 0, OFFER and REQUEST at 0 (the lease counts from this
    REQUEST), ACK at 1.
    """
    h = Harness(cfg or config(), seed=seed)
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid, lease=lease, extra=extra), 0.0)
    acts = h.receive(ack(h.xid, lease=lease, extra=extra), 1.0)
    if h.cfg.probe:
        assert only(acts, Probe).address == ADDR
        h(ProbeResult(conflict=False), 1.5)
    assert h.state.phase is State.BOUND
    return h
