"""Scenario tests of the RFC 2131 client (dhcpwire.client) on a fake clock with a seeded Random.

Every message the client sends goes through encode/decode (the harness checks
the round trip) and through ``check_table5``, which holds it against RFC 2131
tables 4 and 5 as :mod:`dhcpwire.protocol.rfc2131` states them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest

from dhcpwire import (
    Authentication,
    ClasslessRoute,
    ClientFQDN,
    ClientIdentifier,
    MessageType,
    OpCode,
    UserClass,
    codes,
)
from dhcpwire.client import (
    BROADCAST,
    MIN_V6ONLY_WAIT,
    Announce,
    ClientConfig,
    ClientState,
    Configure,
    Deconfigure,
    Discard,
    InformRequested,
    Init,
    LinkDown,
    LinkUp,
    Notify,
    OfferPolicy,
    Probe,
    ProbeResult,
    ReleaseRequested,
    RenewRequested,
    Send,
    Start,
    State,
    Stop,
    V6OnlyWait,
)

from .support import (
    ADDR,
    ADDR2,
    LEASE,
    MAC,
    NONCE,
    OTHER_MAC,
    S1,
    S2,
    ZERO,
    Harness,
    ack,
    bound,
    config,
    forcerenew,
    nak,
    nonce_option,
    offer,
    only,
    only_send,
    sends,
)

# == the three seed scenarios ===========================================================

def test_first_access_discover_two_offers_request_the_first_ack() -> None:
    h = Harness(config())
    assert h(Start(), 0.0) == ()
    assert h.state.phase is State.INIT and h.deadline == 0.0

    discover = only_send(h.timer())
    assert h.state.phase is State.SELECTING
    assert discover.message.message_type == MessageType.DISCOVER
    assert discover.message.xid == h.xid and discover.message.secs == 0
    assert 3.0 <= h.deadline <= 5.0  # 4 s +/- 1 s (section 4.1)

    # Two servers offer; the first acceptable OFFER wins.
    request = only_send(h.receive(offer(h.xid, server=S1, yiaddr=ADDR), 0.2))
    assert h.state.phase is State.REQUESTING
    m = request.message
    assert m.message_type == MessageType.REQUEST
    assert m.xid == discover.message.xid
    assert m.secs == discover.message.secs
    assert m.options[codes.SERVER_IDENTIFIER] == S1
    assert m.options[codes.REQUESTED_IP_ADDRESS] == ADDR
    late = h.receive(offer(h.xid, server=S2, yiaddr=ADDR2), 0.3)
    assert only(late, Discard).reason == "DHCPOFFER is not expected in REQUESTING"
    assert h.state.phase is State.REQUESTING

    configure = only(h.receive(ack(h.xid), 0.4), Configure)
    lease = configure.lease
    assert h.state.phase is State.BOUND and h.state.lease == lease
    assert lease.address == ADDR and lease.server_identifier == S1
    assert lease.subnet_mask == IPv4Address("255.255.255.0")
    assert lease.routers == (S1,) and lease.dns_servers == (S1, S2)
    assert lease.domain_name == "example.org"
    # Section 4.4.1: "the sum of the time at which the original request was
    # sent and the duration of the lease": the REQUEST went at 0.2. T1/T2
    # default to 0.5 and 0.875 of the lease (section 4.4.5).
    assert (lease.bound_at, lease.renew_at, lease.rebind_at, lease.expires_at) == (
        0.2, 1800.2, 3150.2, 3600.2)
    assert h.deadline == 1800.2


def test_second_access_reuses_the_address_with_init_reboot() -> None:
    lease = bound().state.lease
    assert lease is not None
    h = Harness(config())
    h(Start(lease=lease), 5000.0)
    assert h.state.phase is State.INIT_REBOOT and h.deadline == 5000.0
    request = only_send(h.timer())
    assert h.state.phase is State.REBOOTING
    m = request.message
    assert m.options[codes.REQUESTED_IP_ADDRESS] == ADDR
    assert codes.SERVER_IDENTIFIER not in m.options and m.ciaddr == ZERO
    configure = only(h.receive(ack(h.xid), 5000.5), Configure)
    assert configure.lease.address == ADDR and h.state.phase is State.BOUND
    assert configure.lease.bound_at == 5000.0 and h.deadline == 5000.0 + 1800


def test_second_access_nak_leads_to_discover() -> None:
    lease = bound().state.lease
    assert lease is not None
    h = Harness(config())
    h(Start(lease=lease), 5000.0)
    h.timer()
    acts = h.receive(nak(h.xid, extra={codes.MESSAGE: "wrong network"}), 5000.5)
    assert "wrong network" in only(acts, Notify).text
    assert not any(isinstance(a, Deconfigure) for a in acts)  # never configured
    assert h.state.phase is State.INIT and h.deadline == 5000.5 and h.state.lease is None
    discover = only_send(h.timer())
    assert discover.message.message_type == MessageType.DISCOVER
    assert codes.REQUESTED_IP_ADDRESS not in discover.message.options


def test_lease_extension_at_half_the_lease() -> None:
    h = bound()
    assert h.deadline == LEASE / 2
    renew = only_send(h.timer())
    assert h.state.phase is State.RENEWING
    m = renew.message
    assert renew.destination == S1 and renew.source == ADDR and m.ciaddr == ADDR
    # Section 4.4.5: wait half the time to T2, at least 60 s.
    assert h.deadline == 1800.0 + (3150.0 - 1800.0) / 2
    acts = h.receive(ack(h.xid, lease=7200), 1800.5)
    lease = only(acts, Configure).lease
    assert h.state.phase is State.BOUND
    assert (lease.bound_at, lease.renew_at, lease.rebind_at, lease.expires_at) == (
        1800.0, 5400.0, 1800.0 + 6300.0, 9000.0)
    assert h.deadline == 5400.0


# == received messages that are not for us ===============================================

@pytest.mark.parametrize(("mutate", "reason"), [
    (lambda m: m.replace(xid=m.xid ^ 1), "xid"),
    (lambda m: m.replace(chaddr=OTHER_MAC), "chaddr"),
    (lambda m: m.replace(op=OpCode.BOOTREQUEST), "BOOTREPLY"),
    (lambda m: m.replace(options=m.options.remove(codes.SERVER_IDENTIFIER)), "server identifier"),
    (lambda m: m.replace(options=m.options.set(codes.SERVER_IDENTIFIER, ZERO)),
     "server identifier"),
    (lambda m: m.replace(options=m.options.set(
        codes.CLIENT_IDENTIFIER, ClientIdentifier(0, b"someone else"))), "RFC 6842"),
    (lambda m: m.replace(options=m.options.remove(codes.MESSAGE_TYPE)), "BOOTP"),
    (lambda m: m.replace(yiaddr=ZERO), "not an address"),
    (lambda m: m.replace(yiaddr=IPv4Address("224.0.0.1")), "not an address"),
])
def test_offer_that_is_not_for_us_is_discarded(mutate: Any, reason: str) -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    before = h.state
    acts = h.receive(mutate(offer(h.xid)), 0.5)
    discard = only(acts, Discard)
    assert reason in discard.reason
    assert discard.message is not None
    assert h.state == before


def test_offer_without_client_identifier_echo_is_accepted() -> None:
    # RFC 6842 only rejects a *different* identifier; old servers send none.
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    assert only_send(h.receive(offer(h.xid, cid=None), 0.5)).message.message_type == (
        MessageType.REQUEST)


def test_client_sending_no_identifier_rejects_replies_that_carry_one() -> None:
    h = Harness(config(send_client_id=False))
    h(Start(), 0.0)
    discover = only_send(h.timer())
    assert codes.CLIENT_IDENTIFIER not in discover.message.options
    assert "RFC 6842" in only(h.receive(offer(h.xid), 0.5), Discard).reason
    assert sends(h.receive(offer(h.xid, cid=None), 0.6))


def test_ack_in_selecting_without_rapid_commit_is_discarded() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    assert "SELECTING" in only(h.receive(ack(h.xid), 0.5), Discard).reason
    assert h.state.phase is State.SELECTING


def test_unexpected_messages_in_bound_are_discarded() -> None:
    h = bound()
    before = h.state
    for message in (offer(h.xid), ack(h.xid), nak(h.xid)):
        only(h.receive(message, 2.0), Discard)
        assert h.state == before


# == retransmission (section 4.1) ===========================================================

def test_discover_retransmits_with_randomised_exponential_backoff() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    first = only_send(h.timer())
    xid = first.message.xid
    sent_at = 0.0
    for n, base in enumerate((4, 8, 16, 32, 64, 64, 64), start=1):
        deadline = h.deadline
        assert deadline is not None
        assert base - 1 <= deadline - sent_at <= base + 1, (n, deadline - sent_at)
        again = only_send(h.timer())
        sent_at = deadline
        assert again.message.xid == xid  # the same transaction
        assert again.message.secs == int(deadline)  # 'secs' counts from the start
    assert h.record.attempts == 8


def test_discover_tries_limit_restarts_from_init_with_a_new_xid() -> None:
    h = Harness(config(discover_tries=2))
    h(Start(), 0.0)
    first = only_send(h.timer()).message.xid
    h.timer()
    acts = h.timer()
    assert "DHCPDISCOVER" in only(acts, Notify).text
    assert h.state.phase is State.INIT and h.deadline == h.now
    assert only_send(h.timer()).message.xid != first


def test_request_retransmits_then_restarts_from_init() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    discover = only_send(h.timer())
    h.receive(offer(h.xid), 1.0)
    sent_at = 1.0
    for base in (4, 8, 16):
        deadline = h.deadline
        assert deadline is not None and base - 1 <= deadline - sent_at <= base + 1
        again = only_send(h.timer())
        sent_at = deadline
        # Section 3.1 step 3: the REQUEST keeps the DISCOVER's 'secs'.
        assert again.message.secs == discover.message.secs
        assert again.message.options[codes.SERVER_IDENTIFIER] == S1
    deadline = h.deadline
    assert deadline is not None and 31 <= deadline - sent_at <= 33
    acts = h.timer()  # four REQUESTs, about 60 s: give up (section 3.1 step 5)
    assert "restarting" in only(acts, Notify).text
    assert h.state.phase is State.INIT and h.state.lease is None
    assert only_send(h.timer()).message.message_type == MessageType.DISCOVER


def test_secs_counts_in_rebooting_retransmissions() -> None:
    lease = bound().state.lease
    h = Harness(config())
    h(Start(lease=lease), 100.0)
    assert only_send(h.timer()).message.secs == 0
    again = only_send(h.timer())
    assert again.message.secs == int(h.now - 100.0) and again.message.secs >= 3


def test_startup_delay_is_one_to_ten_seconds_by_default() -> None:
    for seed in range(20):
        h = Harness(ClientConfig(chaddr=MAC), seed=seed)
        h(Start(), 50.0)
        assert h.deadline is not None and 51.0 <= h.deadline <= 60.0
        assert h.timer(h.deadline - 0.5) == ()  # early: nothing happens
        assert only_send(h.timer()).message.message_type == MessageType.DISCOVER


# == REQUESTING ---------------------------------------------------------------------------

def test_nak_in_requesting_restarts_with_discover_after_a_short_wait() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid), 0.5)
    acts = h.receive(nak(h.xid), 0.6)
    assert only(acts, Notify) and not sends(acts)
    # The first setback waits 1-2 s (restart_delay), not 0: a server that
    # NAKs everything gets no storm.
    assert h.state.phase is State.INIT and h.state.setbacks == 1
    assert h.deadline is not None and 1.6 <= h.deadline <= 2.6
    assert only_send(h.timer()).message.message_type == MessageType.DISCOVER


def test_ack_or_nak_from_a_server_not_selected_is_discarded() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid, server=S1), 0.5)
    assert "not 192.0.2.1" in only(h.receive(nak(h.xid, server=S2), 0.6), Discard).reason
    assert "not 192.0.2.1" in only(h.receive(ack(h.xid, server=S2), 0.7), Discard).reason
    assert h.state.phase is State.REQUESTING


def test_probe_then_bound_and_announce() -> None:
    h = Harness(config(probe=True))
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid), 0.5)
    acts = h.receive(ack(h.xid), 0.6)
    assert only(acts, Probe).address == ADDR and not any(isinstance(a, Configure) for a in acts)
    assert h.state.phase is State.CHECKING
    only(h.receive(ack(h.xid), 0.7), Discard)  # "Subsequent DHCPACKs ignored"
    acts = h(ProbeResult(conflict=False), 1.5)
    assert [type(a) for a in acts] == [Configure, Announce]
    # The lease counts from the REQUEST (0.5), not from the probe's end.
    assert h.state.phase is State.BOUND and h.deadline == 1800.5


def test_probe_conflict_declines_and_waits_ten_seconds() -> None:
    h = Harness(config(probe=True))
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid), 0.5)
    h.receive(ack(h.xid), 0.6)
    acts = h(ProbeResult(conflict=True), 1.5)
    decline = only_send(acts)
    m = decline.message
    assert m.message_type == MessageType.DECLINE
    assert m.options[codes.REQUESTED_IP_ADDRESS] == ADDR
    assert m.options[codes.SERVER_IDENTIFIER] == S1
    assert h.state.phase is State.INIT and h.deadline == 11.5  # section 3.1 step 5
    discover = only_send(h.timer())
    # The declined address is not suggested again.
    assert codes.REQUESTED_IP_ADDRESS not in discover.message.options


# == BOUND, RENEWING, REBINDING -----------------------------------------------------------

def test_renewing_retransmits_at_half_the_time_to_t2_not_below_60_s() -> None:
    h = bound()
    h.timer()  # T1 = 1800: RENEWING
    expected = [1800.0 + 675.0, 2475.0 + 337.5, 2812.5 + 168.75, 2981.25 + 84.375,
                3065.625 + 60.0]  # half of 84.375 is below 60: wait 60 s
    for at in expected:
        assert h.deadline == at
        send = only_send(h.timer())
        assert send.destination == S1
    # 3125.625 + 60 would pass T2, so T2 comes first.
    assert h.deadline == 3150.0
    rebind = only_send(h.timer())
    assert h.state.phase is State.REBINDING and rebind.destination == BROADCAST
    # A new transaction: the ACK answers this broadcast REQUEST, and the lease
    # it brings counts from its first transmission.
    assert rebind.message.xid == h.xid != send.message.xid
    assert h.deadline == 3150.0 + (3600.0 - 3150.0) / 2
    only_send(h.timer())
    assert h.deadline == 3375.0 + 112.5
    only_send(h.timer())
    assert h.deadline == 3487.5 + 60.0  # half of 112.5 is below 60
    only_send(h.timer())
    assert h.deadline == 3600.0  # the minimum would pass expiry
    acts = h.timer()
    assert only(acts, Deconfigure).address == ADDR and "expired" in only(acts, Notify).text
    assert h.state.phase is State.INIT and h.deadline == 3600.0
    discover = only_send(h.timer())
    # "If the client then receives a DHCPACK allocating that client its
    # previous network address": suggest it.
    assert discover.message.options[codes.REQUESTED_IP_ADDRESS] == ADDR


def test_ack_in_rebinding_binds_with_the_answering_server() -> None:
    h = bound()
    h.timer()
    h.timer(3150.0)
    assert h.state.phase is State.REBINDING
    acts = h.receive(ack(h.xid, server=S2), 3200.0)
    lease = only(acts, Configure).lease
    assert h.state.phase is State.BOUND and lease.server_identifier == S2
    # Times count from the first REQUEST of the rebinding (T2), the one it answers.
    assert lease.bound_at == 3150.0 and lease.expires_at == 3150.0 + LEASE


def test_nak_in_renewing_deconfigures_and_restarts() -> None:
    h = bound()
    h.timer()
    acts = h.receive(nak(h.xid), 1801.0)
    assert only(acts, Deconfigure).address == ADDR
    assert h.state.phase is State.INIT and h.state.lease is None


def test_nak_in_rebinding_deconfigures_and_restarts() -> None:
    h = bound()
    h.timer(3150.0)  # late: straight to REBINDING
    assert h.state.phase is State.REBINDING
    acts = h.receive(nak(h.xid, server=S2), 3151.0)
    assert only(acts, Deconfigure).address == ADDR and h.state.phase is State.INIT


def test_renewal_ack_with_a_new_address_deconfigures_the_old_one() -> None:
    h = bound(config(probe=True))
    h.timer()
    acts = h.receive(ack(h.xid, yiaddr=ADDR2), 1801.0)
    assert only(acts, Deconfigure).address == ADDR and only(acts, Probe).address == ADDR2
    assert "replaces" in only(acts, Notify).text
    assert h.state.phase is State.CHECKING
    assert [type(a) for a in h(ProbeResult(conflict=False), 1802.0)] == [Configure, Announce]


def test_late_timer_in_bound_goes_to_the_right_state() -> None:
    h = bound()
    acts = h.timer(3700.0)  # past expiry
    assert only(acts, Deconfigure) and h.state.phase is State.INIT


def test_event_after_expiry_first_expires_the_lease() -> None:
    h = bound()
    # The caller missed every deadline; a message then arrives.
    acts = h.receive(ack(h.xid), 4000.0)
    assert [type(a) for a in acts] == [Deconfigure, Notify, Discard]
    assert h.state.phase is State.INIT


def test_release_unicasts_to_the_server_then_deconfigures() -> None:
    h = bound()
    acts = h(ReleaseRequested(), 100.0)
    release = only_send(acts)
    assert acts.index(release) < acts.index(only(acts, Deconfigure))
    m = release.message
    assert m.message_type == MessageType.RELEASE and m.ciaddr == ADDR
    assert (release.destination, release.source) == (S1, ADDR)
    assert h.state.phase is State.STOPPED and h.state.lease is None


def test_release_while_renewing() -> None:
    h = bound()
    h.timer()
    assert only_send(h(ReleaseRequested(), 1900.0)).destination == S1
    assert h.state.phase is State.STOPPED


def test_renew_requested_before_t1() -> None:
    h = bound()
    send = only_send(h(RenewRequested(), 10.0))
    assert h.state.phase is State.RENEWING and send.destination == S1
    lease = only(h.receive(ack(h.xid), 11.0), Configure).lease
    assert lease.bound_at == 10.0 and h.state.phase is State.BOUND


# == lease times (sections 3.3, 4.4.5) ----------------------------------------------------

@pytest.mark.parametrize(("t1", "t2", "renew", "rebind"), [
    (None, None, 1800.0, 3150.0),
    (600, 1200, 600.0, 1200.0),
    (3000, 2000, 1800.0, 2000.0),    # T1 after T2: T1's default
    (1000, 4000, 1000.0, 3150.0),    # T2 after expiry: default T2
    (0, 0, 1800.0, 3150.0),          # zero is not a time to renew at
    (None, 1000, 4000 / 7, 1000.0),  # default T1 would follow T2: keep the ratio
    (3599, None, 1800.0, 3150.0),    # T1 after the default T2
])
def test_t1_and_t2_are_validated(t1: int | None, t2: int | None, renew: float,
                                 rebind: float) -> None:
    extra = {codes.RENEWAL_TIME: t1, codes.REBINDING_TIME: t2}
    lease = bound(extra={k: v for k, v in extra.items() if v is not None}).state.lease
    assert lease is not None
    assert lease.renew_at == pytest.approx(renew) and lease.rebind_at == pytest.approx(rebind)
    assert lease.renew_at < lease.rebind_at < lease.expires_at  # type: ignore[operator]


@pytest.mark.parametrize(("changes", "reason"), [
    ({"lease": None}, "no lease time"),
    ({"lease": 0}, "0 seconds"),
    ({"yiaddr": ZERO}, "yiaddr 0.0.0.0"),
    ({"yiaddr": BROADCAST}, "yiaddr 255.255.255.255"),
])
def test_ack_without_a_usable_lease_is_discarded(changes: dict[str, Any], reason: str) -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid), 0.5)
    acts = h.receive(ack(h.xid, **changes), 0.6)
    assert reason in only(acts, Discard).reason
    assert h.state.phase is State.REQUESTING


def test_infinite_lease_has_no_deadline() -> None:
    h = bound(lease=0xFFFFFFFF)
    lease = h.state.lease
    assert lease is not None and lease.lease_time == 0xFFFFFFFF
    assert (lease.renew_at, lease.rebind_at, lease.expires_at) == (None, None, None)
    assert h.deadline is None


# == RFC 3442 routes ----------------------------------------------------------------------

def test_classless_routes_replace_router_and_static_routes() -> None:
    routes = (ClasslessRoute(IPv4Network("0.0.0.0/0"), S2),
              ClasslessRoute(IPv4Network("10.0.0.0/8"), IPv4Address("192.0.2.254")),
              ClasslessRoute(IPv4Network("198.51.100.0/24"), ZERO))
    extra = {codes.CLASSLESS_STATIC_ROUTE: routes,
             codes.STATIC_ROUTE: ((IPv4Address("172.16.0.0"), S1),)}
    lease = bound(extra=extra).state.lease
    assert lease is not None
    assert lease.routers == () and lease.routes == routes


def test_static_routes_are_classful_without_option_121() -> None:
    pairs = ((IPv4Address("10.0.0.0"), S1), (IPv4Address("172.16.0.0"), S1),
             (IPv4Address("192.168.7.0"), S1), (IPv4Address("10.1.2.3"), S1),
             (IPv4Address("0.0.0.0"), S1))
    lease = bound(extra={codes.STATIC_ROUTE: pairs}).state.lease
    assert lease is not None
    assert lease.routers == (S1,)
    assert [str(r.destination) for r in lease.routes] == [
        "10.0.0.0/8", "172.16.0.0/16", "192.168.7.0/24", "10.1.2.3/32"]


def test_prl_puts_121_before_router() -> None:
    prl = config().requested_options
    assert prl.index(codes.CLASSLESS_STATIC_ROUTE) < prl.index(codes.ROUTER)


# == INIT-REBOOT / REBOOTING --------------------------------------------------------------

def test_rebooting_without_answer_keeps_the_unexpired_lease() -> None:
    lease = bound().state.lease
    assert lease is not None
    h = Harness(config())
    h(Start(lease=lease), 100.0)
    for _ in range(4):
        only_send(h.timer())
    acts = h.timer()
    assert only(acts, Configure).lease == lease
    assert "remembered lease" in only(acts, Notify).text
    assert h.state.phase is State.BOUND and h.deadline == 1800.0


def test_rebooting_without_answer_and_expired_lease_restarts() -> None:
    lease = bound().state.lease
    h = Harness(config())
    h(Start(lease=lease), 10_000.0)
    for _ in range(4):
        h.timer()
    acts = h.timer()
    assert not any(isinstance(a, Configure) for a in acts)
    assert h.state.phase is State.INIT


def test_rebooting_fallback_past_t1_renews_at_once() -> None:
    lease = bound().state.lease
    h = Harness(config())
    h(Start(lease=lease), 2000.0)
    for _ in range(4):
        h.timer()
    acts = h.timer()
    assert [type(a) for a in acts] == [Notify, Configure, Send]
    assert h.state.phase is State.RENEWING


def test_stop_and_start_again_goes_through_init_reboot() -> None:
    h = bound()
    acts = h(Stop(), 10.0)
    assert only(acts, Deconfigure).address == ADDR
    assert h.state.phase is State.STOPPED and h.state.lease is not None
    h(Start(), 20.0)
    assert h.state.phase is State.INIT_REBOOT
    assert only_send(h.timer()).message.options[codes.REQUESTED_IP_ADDRESS] == ADDR


def test_restart_from_saved_json_goes_through_init_reboot() -> None:
    saved = json.loads(json.dumps(bound().state.to_json()))
    restored = ClientState.from_json(saved, shift=-1000.0)
    assert restored.lease is not None and restored.lease.expires_at == 3600.0 - 1000.0
    h = Harness(config())
    h(Start(lease=restored.lease), 0.0)
    request = only_send(h.timer())
    assert request.message.options[codes.REQUESTED_IP_ADDRESS] == ADDR


# == link ---------------------------------------------------------------------------------

def test_link_down_and_up_goes_through_init_reboot() -> None:
    h = bound()
    acts = h(LinkDown(), 100.0)
    assert only(acts, Deconfigure).address == ADDR
    assert h.state.phase is State.LINK_DOWN and h.deadline is None
    only(h.receive(ack(h.xid), 101.0), Discard)
    assert h(LinkUp(), 200.0) == ()
    assert h.state.phase is State.INIT_REBOOT and h.deadline == 200.0
    request = only_send(h.timer())
    assert request.message.options[codes.REQUESTED_IP_ADDRESS] == ADDR
    assert only(h.receive(ack(h.xid), 200.5), Configure).lease.address == ADDR


def test_link_up_without_a_lease_discovers() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    assert h(LinkDown(), 1.0) == ()
    h(LinkUp(), 2.0)
    assert h.state.phase is State.INIT
    assert only_send(h.timer()).message.message_type == MessageType.DISCOVER


# == INFORM (sections 3.4, 4.4.3) ---------------------------------------------------------

def test_inform_unicast_to_known_server_then_broadcast() -> None:
    external = IPv4Address("198.51.100.7")
    h = Harness(config())
    first = only_send(h(InformRequested(address=external, server=S1), 0.0))
    assert (first.destination, first.source) == (S1, external)
    assert first.message.ciaddr == external
    second = only_send(h.timer())
    assert second.destination == BROADCAST and second.message.xid == first.message.xid
    answer = ack(h.xid, yiaddr=ZERO, extra={codes.IP_ADDRESS_LEASE_TIME: 60})
    lease = only(h.receive(answer, 5.0), Configure).lease
    assert h.state.phase is State.INFORMED and h.deadline is None
    assert lease.address == external and lease.dns_servers == (S1, S2)
    # "without ... including lease time parameters": none is used.
    assert (lease.lease_time, lease.expires_at, lease.renew_at) == (None, None, None)
    assert h(Stop(), 6.0) == ()  # the address is not DHCP's to remove


def test_inform_gives_up_after_four_tries() -> None:
    h = Harness(config())
    h(InformRequested(address=IPv4Address("198.51.100.7")), 0.0)
    for _ in range(3):
        only_send(h.timer())
    acts = h.timer()
    assert "defaults" in only(acts, Notify).text and h.state.phase is State.STOPPED


def test_inform_after_link_down_and_up() -> None:
    external = IPv4Address("198.51.100.7")
    h = Harness(config())
    h(InformRequested(address=external), 0.0)
    h.receive(ack(h.xid, yiaddr=ZERO), 1.0)
    h(LinkDown(), 2.0)
    send = only_send(h(LinkUp(), 3.0))
    assert send.message.message_type == MessageType.INFORM and send.message.ciaddr == external


# == rapid commit (RFC 4039) --------------------------------------------------------------

def test_rapid_commit_ack_binds_directly() -> None:
    h = Harness(config(rapid_commit=True))
    h(Start(), 0.0)
    discover = only_send(h.timer())
    assert codes.RAPID_COMMIT in discover.message.options
    acts = h.receive(ack(h.xid, extra={codes.RAPID_COMMIT: True}), 0.3)
    assert only(acts, Configure).lease.address == ADDR
    assert h.state.phase is State.BOUND
    renew = only_send(h.timer())
    assert codes.RAPID_COMMIT not in renew.message.options


def test_rapid_commit_client_still_takes_offers() -> None:
    h = Harness(config(rapid_commit=True))
    h(Start(), 0.0)
    h.timer()
    request = only_send(h.receive(offer(h.xid), 0.3))
    assert codes.RAPID_COMMIT not in request.message.options


def test_ack_with_rapid_commit_is_discarded_when_not_enabled() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    only(h.receive(ack(h.xid, extra={codes.RAPID_COMMIT: True}), 0.3), Discard)


# == FORCERENEW (RFC 3203, RFC 6704) ------------------------------------------------------

def nonce_bound() -> Harness:
    cfg = config(forcerenew_nonce=True)
    h = Harness(cfg)
    h(Start(), 0.0)
    discover = only_send(h.timer())
    assert discover.message.options[codes.FORCERENEW_NONCE_CAPABLE] == (1,)
    request = only_send(h.receive(offer(h.xid, extra={codes.FORCERENEW_NONCE_CAPABLE: (1,)}), 0.2))
    assert request.message.options[codes.FORCERENEW_NONCE_CAPABLE] == (1,)
    h.receive(ack(h.xid, extra={codes.AUTHENTICATION: nonce_option(replay=5)}), 0.3)
    lease = h.state.lease
    assert lease is not None and (lease.nonce, lease.replay) == (NONCE, 5)
    return h


def test_unauthenticated_forcerenew_is_discarded() -> None:
    h = bound()
    before = h.state
    message = forcerenew(replay=9).replace(
        options=forcerenew(replay=9).options.remove(codes.AUTHENTICATION))
    reason = only(h.receive(message, 10.0), Discard).reason
    assert "unauthenticated" in reason and "CVE-2020-13529" in reason
    assert h.state == before


def test_forcerenew_authenticated_by_nonce_starts_renewing() -> None:
    h = nonce_bound()
    request = only_send(h.receive(forcerenew(replay=6), 10.0))
    assert h.state.phase is State.RENEWING and request.destination == S1
    assert h.state.lease is not None and h.state.lease.replay == 6
    only(h.receive(forcerenew(replay=7), 11.0), Discard)  # already renewing
    lease = only(h.receive(ack(h.xid), 12.0), Configure).lease
    assert lease.nonce == NONCE  # kept: the server sent no new one


def test_forcerenew_relayed_with_hops_and_giaddr_still_verifies() -> None:
    h = nonce_bound()
    relayed = forcerenew(replay=6).replace(hops=1, giaddr=IPv4Address("203.0.113.1"))
    assert sends(h.receive(relayed, 10.0))


@pytest.mark.parametrize(("message", "reason"), [
    (lambda: forcerenew(replay=6, nonce=bytes(16)), "HMAC-MD5 does not match"),
    (lambda: forcerenew(replay=5), "replay"),
    (lambda: forcerenew(replay=6, server=S2), "from server 192.0.2.2"),
    (lambda: forcerenew(replay=6).replace(xid=1, secs=7), "HMAC-MD5 does not match"),
    (lambda: forcerenew(replay=6).replace(options=forcerenew(replay=6).options.set(
        codes.AUTHENTICATION, Authentication(2, 1, 0, 6, bytes(17)))), "protocol 2"),
])
def test_forcerenew_failing_authentication_is_discarded(message: Any, reason: str) -> None:
    h = nonce_bound()
    before = h.state
    assert reason in only(h.receive(message(), 10.0), Discard).reason
    assert h.state == before


def test_ack_without_the_offered_nonce_returns_to_init() -> None:
    h = Harness(config(forcerenew_nonce=True))
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid, extra={codes.FORCERENEW_NONCE_CAPABLE: (1,)}), 0.2)
    acts = h.receive(ack(h.xid), 0.3)
    assert "RFC 6704" in only(acts, Discard).reason and h.state.phase is State.INIT


def test_nonce_is_ignored_when_not_negotiated() -> None:
    h = bound(extra={codes.AUTHENTICATION: nonce_option()})
    assert h.state.lease is not None and h.state.lease.nonce is None
    assert "unauthenticated" in only(h.receive(forcerenew(replay=9), 10.0), Discard).reason


# == IPv6-only preferred (RFC 8925) -------------------------------------------------------

def test_offer_with_option_108_stops_dhcpv4_for_at_least_300_seconds() -> None:
    h = Harness(config(ipv6_only_preferred=True))
    h(Start(), 0.0)
    discover = only_send(h.timer())
    assert discover.message.options[codes.PARAMETER_REQUEST_LIST][-1] == (
        codes.IPV6_ONLY_PREFERRED)
    acts = h.receive(offer(h.xid, extra={codes.IPV6_ONLY_PREFERRED: 60}), 1.0)
    assert acts == (V6OnlyWait(seconds=MIN_V6ONLY_WAIT),)
    assert h.state.phase is State.V6ONLY and h.deadline == 301.0
    assert only_send(h.timer()).message.message_type == MessageType.DISCOVER
    acts = h.receive(offer(h.xid, extra={codes.IPV6_ONLY_PREFERRED: 1800}), 302.0)
    assert acts == (V6OnlyWait(seconds=1800),)


def test_option_108_is_ignored_when_not_supported() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    discover = only_send(h.timer())
    assert codes.IPV6_ONLY_PREFERRED not in discover.message.options[
        codes.PARAMETER_REQUEST_LIST]
    assert sends(h.receive(offer(h.xid, extra={codes.IPV6_ONLY_PREFERRED: 60}), 1.0))


def test_link_up_ends_the_v6only_wait() -> None:
    h = Harness(config(ipv6_only_preferred=True))
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid, extra={codes.IPV6_ONLY_PREFERRED: 900}), 1.0)
    h(LinkDown(), 2.0)
    h(LinkUp(), 3.0)
    assert h.state.phase is State.INIT and h.deadline == 3.0


# == selection window and policies --------------------------------------------------------

@pytest.mark.parametrize(("policy", "chosen"), [
    (OfferPolicy.FIRST, S1), (OfferPolicy.LONGEST_LEASE, S2), (OfferPolicy.PREVIOUS, S2)])
def test_selection_window_collects_offers_and_applies_the_policy(
        policy: OfferPolicy, chosen: IPv4Address) -> None:
    previous = bound().state.lease
    assert previous is not None
    previous = replace(previous, address=ADDR2, server_identifier=S2)
    # INIT with a lease held before (as after an expiry): PREVIOUS prefers it.
    cfg = config(selection_window=2.0, offer_policy=policy)
    h = Harness(state=ClientState(config=cfg, record=Init(wake_at=0.0, previous=previous)))
    h.timer()
    assert h.receive(offer(h.xid, server=S1, yiaddr=ADDR), 0.5) == ()
    assert h.deadline == 2.5
    assert h.receive(offer(h.xid, server=S2, yiaddr=ADDR2, lease=7200), 1.0) == ()
    request = only_send(h.timer())
    assert request.message.options[codes.SERVER_IDENTIFIER] == chosen
    assert h.state.phase is State.REQUESTING


def test_rapid_commit_ack_during_the_window_binds_at_once() -> None:
    h = Harness(config(selection_window=5.0, rapid_commit=True))
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid, server=S1), 0.5)
    only(h.receive(ack(h.xid, server=S2, extra={codes.RAPID_COMMIT: True}), 0.6), Configure)
    assert h.state.phase is State.BOUND


# == the options a client sends -----------------------------------------------------------

def test_identity_options_are_sent_in_every_message() -> None:
    cfg = config(
        client_id=ClientIdentifier.from_duid(7, bytes.fromhex("00030001") + MAC),
        fqdn=ClientFQDN(ClientFQDN.S | ClientFQDN.E, 0, 0, "host.example.org."),
        vendor_class=b"dhcpwire", user_class=UserClass((b"lab",)), requested_lease_time=600,
        extra_options=((93, b"\x00\x07"),))
    h = Harness(cfg)
    h(Start(), 0.0)
    discover = only_send(h.timer()).message.options
    request = only_send(h.receive(offer(h.xid, cid=cfg.identifier), 0.5)).message.options
    for opts in (discover, request):
        assert opts[codes.CLIENT_IDENTIFIER].type == 255  # RFC 4361 IAID + DUID
        assert opts[codes.CLIENT_IDENTIFIER].iaid == 7
        assert opts[codes.CLIENT_FQDN].name == "host.example.org."
        assert codes.HOST_NAME not in opts  # RFC 4702 section 3.1
        assert opts[codes.VENDOR_CLASS_IDENTIFIER] == b"dhcpwire"
        assert opts[codes.USER_CLASS] == UserClass((b"lab",))
        assert opts[codes.IP_ADDRESS_LEASE_TIME] == 600
        assert opts.raw(93) == b"\x00\x07"
    assert next(iter(discover)) == codes.MESSAGE_TYPE


def test_broadcast_flag_follows_the_configuration() -> None:
    h = Harness(config(broadcast=False))
    h(Start(), 0.0)
    assert not only_send(h.timer()).message.broadcast


@pytest.mark.parametrize("kwargs", [
    {"host_name": "a", "fqdn": ClientFQDN(0, 0, 0, "a")},
    {"parameter_request_list": (3, 121)},
    {"parameter_request_list": (121, 6)},
    {"parameter_request_list": (1, 80)},
    {"max_message_size": 500},
    {"jitter": 5.0},
    {"request_tries": 0},
    {"extra_options": ((53, b"\x01"),)},
    {"chaddr": bytes(17)},
    {"startup_delay": (3.0, 1.0)},
])
def test_config_rejects_what_the_rfcs_forbid(kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("chaddr", MAC)
    with pytest.raises(ValueError):
        ClientConfig(**kwargs)



# -- option 54 missing from an ACK (restored from the flat suite's scenarios) -------------

@pytest.mark.parametrize("where", ["rapid", "rebooting", "rebinding"])
def test_ack_without_server_identifier_is_discarded_when_nobody_was_asked(where: str) -> None:
    # Table 3 makes 'server identifier' MUST in a DHCPACK; without it a lease
    # could not be renewed by unicast (table 4, RENEWING), and where the
    # client asked no particular server there is nobody to stand in for it.
    if where == "rapid":
        h = Harness(config(rapid_commit=True))
        h(Start(), 0.0)
        h.timer()
        message = ack(h.xid, server=None, extra={codes.RAPID_COMMIT: True})
    elif where == "rebooting":
        h = Harness(config())
        h(Start(lease=bound().state.lease), 0.0)
        h.timer()
        message = ack(h.xid, server=None)
    else:
        h = bound()
        h.timer(3150.0)
        assert h.state.phase is State.REBINDING
        message = ack(h.xid, server=None)
    before = h.state
    assert "option 54" in only(h.receive(message, h.now + 0.5), Discard).reason
    assert h.state == before


def test_ack_without_server_identifier_is_taken_from_the_server_asked() -> None:
    # REQUESTING and RENEWING ask one server (option 54 of the OFFER, the
    # lease's server): an ACK without option 54 is taken as that server's.
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid), 0.5)
    lease = only(h.receive(ack(h.xid, server=None), 0.6), Configure).lease
    assert lease.server_identifier == S1
    h.timer()
    assert h.state.phase is State.RENEWING
    lease = only(h.receive(ack(h.xid, server=None), 1801.0), Configure).lease
    assert lease.server_identifier == S1
