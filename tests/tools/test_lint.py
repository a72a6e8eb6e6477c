"""dhcpwire.tools.lint: pairing replies with their requests, severities, and the rules' RFCs."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from dhcpwire import Message, MessageType
from dhcpwire.tools.lint import (
    ERROR,
    INFO,
    RULES,
    WARNING,
    Seen,
    check_client,
    check_server,
    lint,
    request_state,
)
from dhcpwire.wire.options import Options

CHADDR = bytes.fromhex("02005e100001")
SERVER = IPv4Address("192.0.2.1")
RELAY = IPv4Address("198.51.100.1")
ADDR = IPv4Address("198.51.100.10")
BCAST = IPv4Address("255.255.255.255")
CLIENT_ID = b"\x01" + CHADDR
AGENT = bytes.fromhex("0104000000070206020000000001")  # circuit-id 7, remote-id


def request(kind: MessageType, *, xid: int = 1, giaddr: IPv4Address | None = None, hops: int = 0,
            agent: bool = False, ciaddr: IPv4Address | None = None, **options: object
            ) -> Message:
    opts = Options({53: kind, **{int(k[1:]): v for k, v in options.items()}})
    opts = opts.set_raw(61, CLIENT_ID)
    if agent:
        opts = opts.set_raw(82, AGENT)
    return Message(xid=xid, chaddr=CHADDR, hops=hops, giaddr=giaddr or IPv4Address(0),
                   ciaddr=ciaddr or IPv4Address(0), options=opts)


def reply(kind: MessageType, req: Message, *, echo_82: bool = True, **changes: object) -> Message:
    opts: dict[int, object] = {53: kind, 54: SERVER}
    if kind is not MessageType.NAK and req.message_type is not MessageType.INFORM:
        opts[51] = 3600
    msg = Message(op=2, xid=req.xid, chaddr=req.chaddr, giaddr=req.giaddr, flags=req.flags,
                  yiaddr=IPv4Address(0) if kind is MessageType.NAK or
                  req.message_type is MessageType.INFORM else ADDR,
                  ciaddr=req.ciaddr if req.message_type is MessageType.INFORM else
                  IPv4Address(0), options=Options(opts))
    if 61 in req.options:
        msg = msg.replace(options=msg.options.set_raw(61, req.options.raw(61)))
    if echo_82 and 82 in req.options:
        msg = msg.replace(options=msg.options.set_raw(82, req.options.raw(82)))
    return msg.replace(**changes) if changes else msg


def without(msg: Message, code: int) -> Message:
    opts = Options({})
    for c in msg.options:
        if c != code:
            opts = opts.set_raw(c, msg.options.raw(c))
    return msg.replace(options=opts)


def rules(items: list[Seen]) -> list[tuple[str, str]]:
    return [(f.label, f.finding.rule) for f in sorted(lint(items), key=lambda f: f.index)
            if f.finding.level != INFO]


DISCOVER = request(MessageType.DISCOVER)
SELECTING = request(MessageType.REQUEST, o50=ADDR, o54=SERVER)


def test_a_conforming_exchange_gives_no_finding_but_info() -> None:
    items = [Seen("1", DISCOVER), Seen("2", reply(MessageType.OFFER, DISCOVER)),
             Seen("3", SELECTING, dst=BCAST), Seen("4", reply(MessageType.ACK, SELECTING))]
    found = list(lint(items))
    assert {f.finding.rule for f in found} == {"reply-message-should"}
    assert {f.finding.level for f in found} == {INFO}


def test_a_late_offer_to_a_retransmitted_discover_is_not_an_answer_to_the_request() -> None:
    # DISCOVER, OFFER, REQUEST, then the OFFER to the DISCOVER's retransmission
    again = DISCOVER.replace(secs=4)
    items = [Seen("1", DISCOVER), Seen("2", again), Seen("3", reply(MessageType.OFFER, DISCOVER)),
             Seen("4", SELECTING, dst=BCAST), Seen("5", reply(MessageType.OFFER, again)),
             Seen("6", reply(MessageType.ACK, SELECTING))]
    assert rules(items) == []


def test_a_reply_to_the_direct_copy_is_not_checked_against_the_relayed_copy() -> None:
    # A capture on a link that sees both legs: client -> relay, relay -> server with 82,
    # server -> relay with 82 echoed, relay -> client without it (RFC 3046 section 2.1).
    relayed = request(MessageType.DISCOVER, giaddr=RELAY, hops=1, agent=True)
    to_relay = reply(MessageType.OFFER, relayed)
    to_client = without(to_relay, 82)
    items = [Seen("1", DISCOVER, dst=BCAST, dport=67),
             Seen("2", relayed, src=RELAY, dst=SERVER, dport=67),
             Seen("3", to_relay, src=SERVER, dst=RELAY, dport=67),
             Seen("4", to_client, src=RELAY, dst=ADDR, dport=68)]
    assert rules(items) == []


def test_hops_copied_into_a_relayed_reply_is_an_error_with_its_section() -> None:
    relayed = request(MessageType.DISCOVER, giaddr=RELAY, hops=1)
    bad = reply(MessageType.OFFER, relayed, hops=1)
    [finding] = [f.finding for f in lint([Seen("1", relayed), Seen("2", bad, dport=67)])
                 if f.finding.level == ERROR]
    assert (finding.rule, finding.text) == ("reply-field", "DHCPOFFER: 'hops' is 1, not 0")
    assert str(finding) == ("error: DHCPOFFER: 'hops' is 1, not 0 [RFC 2131 section 4.3.1, "
                            "table 3]")


def test_secs_copied_into_a_reply_is_an_error() -> None:
    req = DISCOVER.replace(secs=8)
    assert rules([Seen("1", req), Seen("2", reply(MessageType.OFFER, req, secs=8))]) == [
        ("2", "reply-field")]


def test_client_identifier_not_echoed_is_an_rfc_6842_error() -> None:
    bad = reply(MessageType.OFFER, DISCOVER)
    bad = without(bad, 61)
    [finding] = [f.finding for f in lint([Seen("1", DISCOVER), Seen("2", bad)])
                 if f.finding.level == ERROR]
    assert finding.rule == "client-id-echo" and finding.reference == "RFC 6842 section 3"


def test_option_82_is_not_required_from_a_server_that_never_echoes_it() -> None:
    relayed = request(MessageType.DISCOVER, giaddr=RELAY, hops=1, agent=True)
    silent = reply(MessageType.OFFER, relayed, echo_82=False)
    assert rules([Seen("1", relayed), Seen("2", silent, dport=67)]) == []


def test_option_82_missing_from_a_server_that_echoes_it_elsewhere_is_an_error() -> None:
    first = request(MessageType.DISCOVER, giaddr=RELAY, hops=1, agent=True)
    second = request(MessageType.DISCOVER, xid=2, giaddr=RELAY, hops=1, agent=True)
    items = [Seen("1", first), Seen("2", reply(MessageType.OFFER, first, echo_82=False),
                                    dport=67),
             Seen("3", second), Seen("4", reply(MessageType.OFFER, second), dport=67)]
    found = [f for f in lint(items) if f.finding.level == ERROR]
    assert [(f.label, f.finding.rule, f.finding.reference) for f in found] == [
        ("2", "relay-agent-echo", "RFC 3046 section 2.2")]


def test_option_82_altered_is_an_error() -> None:
    relayed = request(MessageType.DISCOVER, giaddr=RELAY, hops=1, agent=True)
    altered = reply(MessageType.OFFER, relayed)
    altered = altered.replace(options=altered.options.set_raw(82, AGENT[:6]))
    assert rules([Seen("1", relayed), Seen("2", altered, dport=67)]) == [
        ("2", "relay-agent-echo")]


def test_an_ack_to_an_inform_sent_straight_to_ciaddr_is_not_faulted_for_its_82() -> None:
    inform = request(MessageType.INFORM, giaddr=RELAY, hops=1, agent=True, ciaddr=ADDR)
    ack = reply(MessageType.ACK, inform, echo_82=False)
    echoing = request(MessageType.DISCOVER, xid=9, giaddr=RELAY, hops=1, agent=True)
    items = [Seen("1", inform), Seen("2", ack, src=SERVER, dst=ADDR, dport=68),
             Seen("3", echoing), Seen("4", reply(MessageType.OFFER, echoing), dport=67)]
    assert rules(items) == []


def test_option_56_in_replies_is_info_not_a_warning() -> None:
    assert RULES["reply-message-should"].level == INFO
    assert RULES["client-message-should"].level == INFO
    assert RULES["inform-yiaddr"].level == WARNING


def test_every_rule_cites_an_rfc_section_and_a_level() -> None:
    for rule in RULES.values():
        assert rule.reference.startswith("RFC ") and "section" in rule.reference
        assert rule.level in (ERROR, WARNING, INFO)


def test_a_reply_without_its_request_is_checked_on_what_needs_no_request() -> None:
    lonely = reply(MessageType.OFFER, DISCOVER, hops=1)
    [finding] = [f for f in check_server(lonely, None) if f.level != INFO]
    assert finding.text == "DHCPOFFER: 'hops' is 1, not 0 (its request is not in the capture)"
    # 56 absent: info only
    assert all(f.level == INFO for f in check_server(reply(MessageType.OFFER, DISCOVER), None)
               if "hops" not in f.text)


def test_bootp_reply_with_option_53_is_an_rfc_1534_error() -> None:
    bootp = Message(xid=5, chaddr=CHADDR)
    answer = Message(op=2, xid=5, chaddr=CHADDR, options=Options({53: MessageType.ACK}))
    assert [f.rule for f in check_server(answer, bootp)] == ["bootp-reply"]


def test_nak_through_a_relay_may_add_the_broadcast_flag() -> None:
    req = request(MessageType.REQUEST, giaddr=RELAY, hops=1, o50=ADDR)
    nak = reply(MessageType.NAK, req, flags=0x8000)
    assert [f for f in check_server(nak, req) if f.level == ERROR] == []


def test_table_5_request_states_follow_table_4() -> None:
    def req(**kw: object) -> Message:
        options = {53: MessageType.REQUEST, **kw.pop("options", {})}  # type: ignore[dict-item]
        return Message(xid=1, chaddr=CHADDR, options=options, **kw)  # type: ignore[arg-type]
    selecting = req(options={50: ADDR, 54: SERVER})
    assert request_state(selecting) == "SELECTING" and check_client(selecting) == []
    reboot = req(options={50: ADDR})
    assert request_state(reboot) == "INIT-REBOOT" and check_client(reboot) == []
    renew = req(ciaddr=ADDR)
    assert request_state(renew, SERVER) == "RENEWING"
    assert request_state(renew, BCAST) == "REBINDING"
    assert check_client(renew, dst=SERVER) == []
    bad = req(ciaddr=ADDR, options={50: ADDR})
    assert [str(f) for f in check_client(bad)] == [
        "error: DHCPREQUEST (RENEWING): option 50 (requested-ip-address) MUST NOT appear "
        "[RFC 2131 section 4.3.6, table 4]"]
    assert [str(f) for f in check_client(req())] == [
        "error: DHCPREQUEST: neither option 54, 'ciaddr' nor option 50: no state of table 4 "
        "sends it [RFC 2131 section 4.3.6, table 4]"]


def test_a_selecting_request_unicast_breaks_table_4() -> None:
    assert [f.rule for f in check_client(SELECTING, dst=SERVER)] == ["request-delivery"]


@pytest.mark.parametrize("raw53", [b"", b"\x01\x02", b"\x63"])
def test_odd_option_53_never_raises(raw53: bytes) -> None:
    odd = Message(xid=1, chaddr=CHADDR, options=Options({}).set_raw(53, raw53))
    answer = Message(op=2, xid=1, chaddr=CHADDR, options=Options({}).set_raw(53, raw53))
    list(lint([Seen("1", odd), Seen("2", answer)]))
