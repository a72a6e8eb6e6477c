"""Every option the client acts on is checked when its message arrives (issue 12 item 6):
a reply with a malformed one is discarded with a reason that names it, and nothing a
server sends raises later, from the caller's own next event."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dhcpwire import Message, MessageType, Options, codes, decode, encode
from dhcpwire.client import (
    ClientState,
    Configure,
    Discard,
    Lease,
    MessageReceived,
    ProbeResult,
    Start,
    State,
    V6OnlyWait,
)

from .support import ADDR, Harness, ack, config, nak, offer, only, only_send

#: Malformed values a lenient decode keeps as raw bytes, for options the client reads.
MALFORMED: list[tuple[int, bytes]] = [
    (codes.IP_ADDRESS_LEASE_TIME, b"\x01"),
    (codes.RENEWAL_TIME, b""),
    (codes.REBINDING_TIME, b"\x00\x01"),
    (codes.SERVER_IDENTIFIER, b"\x01\x02"),
    (codes.SUBNET_MASK, b"\x01"),
    (codes.ROUTER, b"\x0a\x00"),
    (codes.DOMAIN_NAME_SERVER, b"\x01\x02\x03"),
    (codes.DOMAIN_NAME, b""),
    (codes.INTERFACE_MTU, b"\x05"),
    (codes.BROADCAST_ADDRESS, b"\xff"),
    (codes.STATIC_ROUTE, b"\x0a\x00\x00\x00"),
    (codes.NTP_SERVERS, b"\x01"),
    (codes.DOMAIN_SEARCH, b"\x05ab"),
    (codes.CLASSLESS_STATIC_ROUTE, b"\x21\x00"),
    (codes.RAPID_COMMIT, b"\x01"),
    (codes.AUTHENTICATION, b"\x03\x01"),
]


def lenient(message: Message, *junk: tuple[int, bytes]) -> Message:
    """``message`` with ``junk`` option values, as ``decode(strict=False)`` gives it."""
    raw = dict(message.options.raw_items())
    raw.update(junk)
    received = decode(encode(message.replace(options=Options.from_raw(raw)), max_size=1500),
                      strict=False)
    assert received.defects, "the junk must be a defect"
    return received


def rapid_client() -> Harness:
    """SELECTING, with rapid commit, probing and RFC 6704 on: the configuration
    in which the issue saw a malformed option raise from a later ProbeResult."""
    h = Harness(config(rapid_commit=True, probe=True, forcerenew_nonce=True))
    h(Start(), 0.0)
    h.timer()
    return h


@pytest.mark.parametrize(("code", "junk"), MALFORMED, ids=lambda v: str(v))
def test_an_ack_with_a_malformed_option_the_client_uses_is_discarded_on_arrival(
        code: int, junk: bytes) -> None:
    h = rapid_client()
    before = h.state
    message = lenient(ack(h.xid, extra={codes.RAPID_COMMIT: True}), (code, junk))
    acts = h(MessageReceived(message=message), 0.5)
    reason = only(acts, Discard).reason
    assert f"option {code} " in reason and "malformed" in reason
    assert "offset" in reason  # the defect says where
    assert h.state == before
    # And the caller's next events are served as if the ACK never came.
    assert only_send(h.timer()).message.message_type == MessageType.DISCOVER


def test_a_malformed_option_is_caught_even_in_a_message_built_by_hand() -> None:
    h = rapid_client()
    raw = dict(ack(h.xid, extra={codes.RAPID_COMMIT: True}).options.raw_items())
    raw[codes.RENEWAL_TIME] = b"\x00"
    message = ack(h.xid).replace(options=Options.from_raw(raw))   # never decoded
    reason = only(h(MessageReceived(message=message), 0.5), Discard).reason
    assert "option 58" in reason


@pytest.mark.parametrize(("kind", "code", "junk"), [
    (MessageType.OFFER, codes.SERVER_IDENTIFIER, b"\x01"),
    (MessageType.OFFER, codes.IP_ADDRESS_LEASE_TIME, b"\x00"),
    (MessageType.OFFER, codes.IPV6_ONLY_PREFERRED, b"\x00"),
    (MessageType.OFFER, codes.MESSAGE_TYPE, b""),
    (MessageType.OFFER, codes.FORCERENEW_NONCE_CAPABLE, b""),
])
def test_an_offer_with_a_malformed_option_the_client_reads_is_discarded(
        kind: MessageType, code: int, junk: bytes) -> None:
    h = Harness(config(ipv6_only_preferred=True, forcerenew_nonce=True))
    h(Start(), 0.0)
    h.timer()
    before = h.state
    message = lenient(offer(h.xid, extra={codes.IPV6_ONLY_PREFERRED: 900}), (code, junk))
    acts = h(MessageReceived(message=message), 0.5)
    assert only(acts, Discard) and h.state == before


def test_an_option_the_client_does_not_read_is_no_reason_to_discard() -> None:
    # Option 108 is not read when RFC 8925 is off; option 100 (time zone) never.
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    message = lenient(offer(h.xid), (codes.IPV6_ONLY_PREFERRED, b"\x00"), (100, b""))
    assert only_send(h(MessageReceived(message=message), 0.1)).message.message_type == (
        MessageType.REQUEST)
    acts = h(MessageReceived(message=lenient(ack(h.xid), (100, b""))), 0.2)
    lease = only(acts, Configure).lease
    # The lease keeps the well-formed options only, so reading them never raises,
    # before or after a JSON round trip.
    assert 100 not in lease.options and codes.DOMAIN_NAME in lease.options
    again = Lease.from_json(json.loads(json.dumps(lease.to_json())))
    for options in (lease.options, again.options):
        for code in options:
            options[code]
    assert ClientState.from_json(json.loads(json.dumps(h.state.to_json()))) == h.state


def test_a_nak_with_a_malformed_server_identifier_is_discarded() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid), 0.1)
    before = h.state
    acts = h(MessageReceived(message=lenient(nak(h.xid), (codes.SERVER_IDENTIFIER, b""))), 0.2)
    assert "option 54" in only(acts, Discard).reason and h.state == before


def test_a_well_formed_option_108_still_stops_dhcpv4() -> None:
    h = Harness(config(ipv6_only_preferred=True))
    h(Start(), 0.0)
    h.timer()
    message = lenient(offer(h.xid, extra={codes.IPV6_ONLY_PREFERRED: 900}), (100, b""))
    assert only(h(MessageReceived(message=message), 0.1), V6OnlyWait).seconds == 900
    assert h.state.phase is State.V6ONLY


def test_a_lenient_ack_in_checking_never_raises_from_the_probe_result() -> None:
    """The issue's case: a leniently decoded reply reached CHECKING and the client
    raised BadOptionLength from the caller's ProbeResult."""
    h = rapid_client()
    message = lenient(ack(h.xid, extra={codes.RAPID_COMMIT: True}), (100, b""), (43, b""))
    h(MessageReceived(message=message), 0.5)
    assert h.state.phase is State.CHECKING
    acts: Any = h(ProbeResult(conflict=False), 0.6)
    assert only(acts, Configure).lease.address == ADDR
