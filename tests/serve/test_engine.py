"""The daemon's work on one datagram: lenient decoding, lease log lines, counters, classes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from dhcpwire import (
    DOMAIN_NAME,
    RELAY_AGENT_INFORMATION,
    RELAY_AGENT_SPACE,
    Message,
    MessageType,
    OptionMap,
    encode,
)
from dhcpwire.serve import Metrics, render
from dhcpwire.serve.daemon import configure_logging
from dhcpwire.serve.engine import drop_label, log

from .helpers import BASE, chaddr, discover, dora, engine, receive, renew, request


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("text", "info", stream)
    yield stream
    for handler in list(log.handlers):
        log.removeHandler(handler)


def corrupt(data: bytes, code: int, value: bytes) -> bytes:
    """``data`` with option ``code``'s value replaced by ``value`` of another length."""
    i = 240
    while data[i] != code:
        i += 2 + data[i + 1]
    return data[:i] + bytes((code, len(value))) + value + data[i + 2 + data[i + 1]:]


def test_one_log_line_per_lease_event_names_the_address_and_chaddr(
        tmp_path: Path, lines: io.StringIO) -> None:
    eng = engine(tmp_path)
    ack = dora(eng, 1, o12="laptop")
    receive(eng, renew(1, ack.yiaddr), now=1100.0)
    events = [line.split(" ", 3)[3] for line in lines.getvalue().splitlines()]
    assert [e.split()[:3] for e in events] == [
        ["lease", "offered", "10.77.0.100"], ["lease", "acked", "10.77.0.100"],
        ["lease", "renewed", "10.77.0.100"]]
    assert all(f"chaddr={chaddr(1).hex(':')}" in e for e in events)
    assert "hostname=laptop" in events[1]


def test_json_log_lines_carry_the_lease_fields(tmp_path: Path) -> None:
    stream = io.StringIO()
    configure_logging("json", "info", stream)
    try:
        eng = engine(tmp_path)
        eng.structured_logs = True
        dora(eng, 2)
    finally:
        for handler in list(log.handlers):
            log.removeHandler(handler)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(r["event"], r["action"], r["address"]) for r in records] == [
        ("lease", "offered", "10.77.0.100"), ("lease", "acked", "10.77.0.100")]
    assert records[1]["chaddr"] == chaddr(2).hex(":") and records[1]["state"] == "bound"
    assert records[1]["message"].startswith("lease acked 10.77.0.100 chaddr=")


def test_a_malformed_option_the_server_does_not_read_does_not_stop_the_answer(
        tmp_path: Path) -> None:
    eng = engine(tmp_path)
    # option 3 (router) with 3 octets: malformed, and nothing the server reads
    data = corrupt(discover(3, o3=[IPv4Address("1.2.3.4")]), 3, b"\x01\x02\x03")
    [offer] = receive(eng, data)
    assert offer.message_type is MessageType.OFFER


def test_a_malformed_option_the_server_reads_is_treated_as_absent_and_logged(
        tmp_path: Path, lines: io.StringIO) -> None:
    eng = engine(tmp_path)
    # option 50 (requested address) with 3 octets: the offer comes from the pool instead
    data = corrupt(discover(4, o50=IPv4Address("10.77.0.140")), 50, b"\x0a\x4d\x00")
    [offer] = receive(eng, data)
    assert offer.message_type is MessageType.OFFER and str(offer.yiaddr) == "10.77.0.100"
    assert "malformed options [50] treated as absent" in lines.getvalue()
    # option 61 of one octet (its minimum is 2): the client is known by chaddr instead
    data = corrupt(discover(5, o61=b"\x01\x02\x00\x00\x00\x00\x05"), 61, b"\x07")
    [offer] = receive(eng, data)
    assert offer.message_type is MessageType.OFFER and 61 not in offer.options


def test_a_malformed_message_type_is_dropped_and_counted(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    assert receive(eng, corrupt(discover(6), 53, b"\x01\x01")) == []
    assert eng.metrics.get("dhcpwire_messages_dropped_total", reason="malformed option 53") == 1
    assert receive(eng, b"\x01\x02") == []
    assert eng.metrics.get("dhcpwire_messages_dropped_total", reason="undecodable") == 1


def test_counters_count_messages_in_and_out_by_type_and_drops_by_reason(
        tmp_path: Path) -> None:
    eng = engine(tmp_path)
    dora(eng, 7)
    receive(eng, request(8, IPv4Address("10.77.0.120"), o54=IPv4Address("10.77.0.2")))
    m = eng.metrics
    assert m.get("dhcpwire_messages_received_total", type="DISCOVER") == 1
    assert m.get("dhcpwire_messages_received_total", type="REQUEST") == 2
    assert m.get("dhcpwire_messages_sent_total", type="OFFER") == 1
    assert m.get("dhcpwire_messages_sent_total", type="ACK") == 1
    assert m.get("dhcpwire_messages_dropped_total",
                 reason="the client chose server ADDRESS") == 1
    assert m.get("dhcpwire_lease_events_total", event="acked") == 1


def test_drop_labels_have_no_addresses_or_numbers() -> None:
    assert drop_label("no free address on 10.77.0.0/24") == "no free address on ADDRESS"
    assert drop_label("the reply does not fit in 548 octets") == \
        "the reply does not fit in N octets"


def test_prometheus_text_has_help_type_and_one_line_per_series(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    dora(eng, 9)
    text = render(eng.metrics.samples())
    assert "# TYPE dhcpwire_messages_received_total counter" in text
    assert 'dhcpwire_messages_received_total{type="DISCOVER"} 1\n' in text
    assert 'dhcpwire_pool_addresses{subnet="10.77.0.0/24"} 51\n' in text
    assert 'dhcpwire_pool_used{subnet="10.77.0.0/24"} 1\n' in text
    assert 'dhcpwire_leases{state="bound"} 1\n' in text
    assert render({("x_total", (("why", 'a "b"\n'),)): 2.5}) == (
        '# HELP x_total x_total\n# TYPE x_total untyped\nx_total{why="a \\"b\\"\\n"} 2.5\n')


def test_metrics_key_and_inc_count_the_same_series_as_add() -> None:
    m = Metrics()
    m.add("a_total", kind="x")
    m.inc(Metrics.key("a_total", kind="x"))
    assert m.get("a_total", kind="x") == 2 and m.flat() == {'a_total{kind="x"}': 2}


CLASSES = {**BASE, "classes": [
    {"name": "phones", "option": 60, "prefix": "Polycom",
     "pools": ["10.77.0.200-10.77.0.201"], "options": {"domain-name": "phones.test"}},
    {"name": "lab", "hardware_prefix": "02:00:00:00:00",
     "options": {"domain-name": "lab.test", "ntp-servers": ["10.77.0.7"]}},
    {"name": "students", "option": "user-class", "equals": "student",
     "pools": ["10.77.0.210-10.77.0.210"]}]}


def test_a_class_member_gets_an_address_of_its_class_pool(tmp_path: Path) -> None:
    eng = engine(tmp_path, CLASSES)
    ack = dora(eng, 0x100, o60=b"Polycom-VVX-411")
    assert str(ack.yiaddr) == "10.77.0.200"
    assert ack.options[DOMAIN_NAME] == "phones.test"  # asked for (15), the class's value


def test_a_class_pool_goes_to_nobody_else_and_runs_out(tmp_path: Path) -> None:
    eng = engine(tmp_path, CLASSES)
    given = {str(dora(eng, 0x200 + n).yiaddr) for n in range(51)}
    assert given == {f"10.77.0.{a}" for a in range(100, 151)}
    # the pool is used up: nobody gets a phone's address
    assert receive(eng, discover(0x300)) == []
    phones = {str(dora(eng, 0x400 + n, o60=b"Polycom").yiaddr) for n in range(2)}
    assert phones == {"10.77.0.200", "10.77.0.201"}
    assert receive(eng, discover(0x500, o60=b"Polycom")) == []


def test_user_class_matches_any_rfc3004_instance(tmp_path: Path) -> None:
    eng = engine(tmp_path, CLASSES)
    ack = dora(eng, 0x600, o77=b"\x03abc\x07student")
    assert str(ack.yiaddr) == "10.77.0.210"


def test_class_options_go_only_to_members_and_only_when_asked_for(tmp_path: Path) -> None:
    eng = engine(tmp_path, CLASSES)
    lab = dora(eng, 0x000001)  # chaddr 02:00:00:00:00:01: the lab's prefix
    assert lab.options[DOMAIN_NAME] == "lab.test"
    assert 42 not in lab.options  # NTP servers: not in the parameter request list
    other = dora(eng, 0x010001)  # 02:00:00:01:00:01: not the lab's
    assert DOMAIN_NAME not in other.options
    [offer] = receive(eng, encode_without_prl(0x000002))
    assert offer.options[DOMAIN_NAME] == "lab.test" and 42 in offer.options


def encode_without_prl(n: int) -> bytes:
    from dhcpwire import Message
    return encode(Message(xid=n, chaddr=chaddr(n), options={53: MessageType.DISCOVER}))


def test_a_client_keeps_the_state_that_holds_its_address_when_it_stops_matching(
        tmp_path: Path) -> None:
    eng = engine(tmp_path, CLASSES)
    ack = dora(eng, 0x700, o60=b"Polycom")
    # the renewal carries no vendor class: it still reaches the phones' state and is ACKed
    [renewed] = receive(eng, renew(0x700, ack.yiaddr), now=1100.0)
    assert renewed.message_type is MessageType.ACK and renewed.yiaddr == ack.yiaddr


def test_logging_level_warning_keeps_lease_lines_out(tmp_path: Path) -> None:
    stream = io.StringIO()
    configure_logging("text", "warning", stream)
    try:
        dora(engine(tmp_path), 0x800)
    finally:
        for handler in list(log.handlers):
            log.removeHandler(handler)
    assert stream.getvalue() == ""
    assert logging.getLogger("dhcpwire.serve").level == logging.WARNING




def test_bootp_clients_are_answered_only_when_enabled(tmp_path: Path) -> None:
    from dhcpwire import Message
    request = encode(Message(xid=77, chaddr=chaddr(77)))  # no option 53: BOOTP
    off = engine(tmp_path, name="off.sqlite")
    assert receive(off, request) == []
    assert off.metrics.get("dhcpwire_messages_received_total", type="BOOTP") == 1
    on = engine(tmp_path, {**BASE, "bootp": True}, name="on.sqlite")
    [reply] = receive(on, request)
    assert reply.message_type is None and str(reply.yiaddr) == "10.77.0.100"
    assert len(encode(reply)) <= 300  # RFC 1534: within a BOOTREPLY's size


def test_an_exception_inside_the_server_drops_that_message_only(
        tmp_path: Path, lines: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    import dhcpwire.serve.engine as module
    eng = engine(tmp_path)
    real = module.handle

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")
    monkeypatch.setattr(module, "handle", broken)
    assert receive(eng, discover(1)) == []
    assert eng.metrics.get("dhcpwire_messages_dropped_total", reason="internal error") == 1
    assert "internal error answering DHCPDISCOVER" in lines.getvalue()
    monkeypatch.setattr(module, "handle", real)
    assert [m.message_type for m in receive(eng, discover(1))] == [MessageType.OFFER]


def test_a_relay_on_another_port_than_67_is_answered_on_its_port(tmp_path: Path) -> None:
    # RFC 8357 section 5.1: a relay agent that sends from a port other than 67
    # adds the Relay Source Port sub-option (19) to option 82, and the server
    # answers to the UDP port the relayed message came from.
    relay = IPv4Address("10.77.0.1")
    agent = OptionMap.from_raw({1: b"port-7", 19: b""}, registry=RELAY_AGENT_SPACE)
    data = encode(Message(xid=7, hops=1, giaddr=relay, chaddr=chaddr(7), options={
        53: MessageType.DISCOVER, RELAY_AGENT_INFORMATION: agent}))
    eng = engine(tmp_path)
    [out] = eng.receive(data, interface="eth0", source=relay, now=1000.0, source_port=1067)
    assert (out.send.destination, out.send.port) == (relay, 1067)
    # Without sub-option 19 the reply goes to the relay's port 67 (RFC 2131 4.1).
    plain = encode(Message(xid=8, hops=1, giaddr=relay, chaddr=chaddr(8), options={
        53: MessageType.DISCOVER}))
    [out] = eng.receive(plain, interface="eth0", source=relay, now=1000.0, source_port=1067)
    assert out.send.port == 67
