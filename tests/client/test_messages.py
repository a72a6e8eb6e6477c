"""The messages the client builds, held against RFC 2131 tables 4 and 5 as
dhcpwire.protocol.rfc2131 transcribes them: one test per message type.

Each test builds the message from a configuration that wants to say everything
the client can say (host name, vendor and user class, a lease time, PXE
options, rapid commit, nonce capability ...) and checks, cell by cell of the
table, that what the column forbids is gone and what it requires is there.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from dhcpwire import MessageType, UserClass, codes
from dhcpwire.client import BROADCAST, ClientConfig, Send, State
from dhcpwire.client.messages import (
    LEASE_TIME_OPTIONS,
    TableViolation,
    build,
    decline,
    discover,
    inform,
    release,
    request,
)
from dhcpwire.protocol.rfc2131 import (
    CLIENT_COLUMNS,
    CLIENT_OPTIONS,
    REQUEST_STATES,
    client_field_rule,
    client_option_rule,
)

from .support import ADDR, MAC, REQUEST_ROW, S1, ZERO, table5_problems

#: Everything a client can be told to say.
TALKATIVE: dict[str, Any] = dict(
    chaddr=MAC, host_name="box", vendor_class=b"dhcpwire", user_class=UserClass((b"lab",)),
    requested_lease_time=600, rapid_commit=True, forcerenew_nonce=True,
    ipv6_only_preferred=True, extra_options=((93, b"\x00\x07"), (224, b"site")))
EXTERNAL = IPv4Address("198.51.100.7")


#: Every option code the TALKATIVE client puts in some message of its own.
WANTED = (53, 61, 12, 60, 77, 51, 57, 55, 80, 145, 93, 224, 50, 54, 56)


def _column_holds(kind: MessageType, message: Any, row: str | None) -> None:
    """Every code the client wants is present exactly when table 5's cell allows it."""
    for code in WANTED:
        rule = client_option_rule(kind, code, row)
        if rule in ("MUST NOT", "SHOULD NOT"):
            assert code not in message.options, (kind, code, rule)
        if rule == "MUST":
            assert code in message.options, (kind, code, rule)


def _send(message: Any, destination: IPv4Address, source: IPv4Address = ZERO) -> Send:
    return Send(message=message, destination=destination, port=67, source=source)


def test_discover_follows_table_5() -> None:
    cfg = ClientConfig(**TALKATIVE)
    m = discover(cfg, xid=1, secs=3, requested=ADDR)
    assert table5_problems(_send(m, BROADCAST), State.SELECTING, cfg) == []
    _column_holds(MessageType.DISCOVER, m, None)
    # The MAYs it takes: a suggested address and lease time (section 4.4.1).
    assert m.options[codes.REQUESTED_IP_ADDRESS] == ADDR
    assert m.options[codes.IP_ADDRESS_LEASE_TIME] == 600
    assert m.options.raw(224) == b"site" and m.secs == 3


@pytest.mark.parametrize("row", list(REQUEST_STATES))
def test_request_follows_tables_4_and_5_in_each_state(row: str) -> None:
    cfg = ClientConfig(**TALKATIVE)
    m = request(cfg, state=row, xid=1, secs=3, address=ADDR, server=S1)
    state = {v: k for k, v in REQUEST_ROW.items()}[row]
    unicast = REQUEST_STATES[row][3] == "unicast"
    source = ADDR if REQUEST_STATES[row][2] == "address" else ZERO
    send = _send(m, S1 if unicast else BROADCAST, source)
    assert table5_problems(send, state, cfg) == []
    _column_holds(MessageType.REQUEST, m, row)
    # Table 4: where the address goes, and whether option 54 stays.
    server_cell, requested_cell, ciaddr_cell, _ = REQUEST_STATES[row]
    assert (codes.SERVER_IDENTIFIER in m.options) == (server_cell == "MUST")
    assert (codes.REQUESTED_IP_ADDRESS in m.options) == (requested_cell == "MUST")
    assert m.ciaddr == (ADDR if ciaddr_cell == "address" else ZERO)
    # RFC 4039 section 3: option 80 "MUST NOT appear in any other message".
    assert codes.RAPID_COMMIT not in m.options


def test_inform_follows_table_5_and_asks_for_no_lease_time() -> None:
    cfg = ClientConfig(**TALKATIVE)
    assert set(cfg.requested_options) >= LEASE_TIME_OPTIONS  # the default list asks for them
    m = inform(cfg, xid=1, secs=0, address=EXTERNAL)
    assert table5_problems(_send(m, BROADCAST, EXTERNAL), State.INFORMING, cfg) == []
    _column_holds(MessageType.INFORM, m, None)
    # Section 4.4.3: "The client SHOULD NOT request lease time parameters."
    prl = m.options[codes.PARAMETER_REQUEST_LIST]
    assert not set(prl) & {51, 58, 59}
    assert prl == tuple(c for c in cfg.requested_options if c not in (51, 58, 59))
    assert codes.IP_ADDRESS_LEASE_TIME not in m.options  # table 5: MUST NOT
    assert m.ciaddr == EXTERNAL


def test_decline_follows_table_5() -> None:
    cfg = ClientConfig(**TALKATIVE)
    m = decline(cfg, xid=1, address=ADDR, server=S1)
    assert table5_problems(_send(m, BROADCAST), State.INIT, cfg) == []
    _column_holds(MessageType.DECLINE, m, None)
    # "All others: MUST NOT": what is left is 53, 61, 50, 54 and 56.
    assert set(m.options) == {53, 61, 50, 54, 56}
    assert (m.secs, m.flags, m.ciaddr) == (0, 0, ZERO)


def test_release_follows_table_5() -> None:
    cfg = ClientConfig(**TALKATIVE)
    m = release(cfg, xid=1, address=ADDR, server=S1)
    assert table5_problems(_send(m, S1, ADDR), State.STOPPED, cfg) == []
    _column_holds(MessageType.RELEASE, m, None)
    assert set(m.options) == {53, 61, 54, 56}
    assert (m.secs, m.flags, m.ciaddr) == (0, 0, ADDR)


def test_a_missing_must_is_a_bug_the_builder_reports() -> None:
    cfg = ClientConfig(chaddr=MAC)
    with pytest.raises(TableViolation, match="option 54 MUST appear"):
        decline(cfg, xid=1, address=ADDR, server=None)
    with pytest.raises(TableViolation, match="option 54 MUST appear"):
        request(cfg, state="SELECTING", xid=1, secs=0, address=ADDR)
    with pytest.raises(TableViolation, match="ciaddr"):
        build(cfg, MessageType.INFORM, xid=1, options={codes.MESSAGE_TYPE: MessageType.INFORM})
    with pytest.raises(TableViolation, match="option 53"):
        build(cfg, MessageType.DISCOVER, xid=1, options={codes.MESSAGE_TYPE: MessageType.INFORM})


def test_the_table_helpers_read_tables_4_and_5() -> None:
    # Table 5, "Requested IP address": "MAY (DISCOVER) MUST NOT (INFORM)",
    # "MUST (in SELECTING or INIT-REBOOT) MUST NOT (in BOUND or RENEWING)",
    # "MUST (DHCPDECLINE), MUST NOT (DHCPRELEASE)".
    assert [client_option_rule(k, 50, "SELECTING" if k is MessageType.REQUEST else None)
            for k in CLIENT_COLUMNS] == ["MAY", "MUST NOT", "MUST", "MUST", "MUST NOT"]
    assert client_option_rule(MessageType.REQUEST, 50, "RENEWING") == "MUST NOT"
    assert client_option_rule(MessageType.REQUEST, 54, "INIT-REBOOT") == "MUST NOT"
    assert client_option_rule(MessageType.DECLINE, 12) == "MUST NOT"  # "All others"
    assert client_option_rule(MessageType.RELEASE, 82) == "MAY"  # a relay's (RFC 3046)
    assert client_field_rule(MessageType.RELEASE, "ciaddr") == "address"
    assert client_field_rule(MessageType.REQUEST, "ciaddr", "INIT-REBOOT") == "zero"
    assert client_field_rule(MessageType.DECLINE, "secs") == "zero"
    with pytest.raises(ValueError):
        client_option_rule(MessageType.REQUEST, 54)  # the cell needs a state
    with pytest.raises(ValueError):
        client_option_rule(MessageType.OFFER, 54)  # not a client message
    assert set(CLIENT_OPTIONS) <= set(range(1, 255))
