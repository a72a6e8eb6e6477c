"""Time on the virtual clock: lease arithmetic from the REQUEST (issue 12 item 1),
backoff after setbacks (item 2) and late callers (item 7)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from dhcpwire import MessageType, codes
from dhcpwire.client import (
    Configure,
    Deconfigure,
    Discard,
    Notify,
    ProbeResult,
    ReleaseRequested,
    RenewRequested,
    Send,
    Start,
    State,
    Stop,
    TimerFired,
    advance,
)

from .support import (
    ADDR,
    ADDR2,
    LEASE,
    S1,
    S2,
    Harness,
    ack,
    bound,
    config,
    nak,
    offer,
    only,
    only_send,
    sends,
)

# == issue 12 item 1: the lease counts from the first REQUEST it answers ==================
# RFC 2131 section 4.4.1: "The client records the lease expiration time as the
# sum of the time at which the original request was sent and the duration of
# the lease from the DHCPACK message." Section 4.4.2 (INIT-REBOOT) and 4.4.5
# (RENEWING, REBINDING) say the same of the DHCPREQUEST "sent".


def test_a_long_selection_does_not_shorten_the_lease() -> None:
    h = Harness(config(selection_window=30.0))
    h(Start(), 0.0)
    h.timer()                                       # DISCOVER at 0
    while h.deadline is not None and h.deadline < 60.0:
        h.timer()                                   # nobody answers for a minute
    h.receive(offer(h.xid, lease=60), 61.0)         # the window opens at 61 ...
    request = only_send(h.timer())                  # ... and closes at 91: REQUEST
    assert request.message.message_type == MessageType.REQUEST and h.now == 91.0
    only_send(h.timer())                            # retransmitted once
    lease = only(h.receive(ack(h.xid, lease=60), h.now + 1.0), Configure).lease
    # From the first REQUEST (91), not the DISCOVER (0): counted from the
    # DISCOVER this 60 s lease would have ended before it arrived.
    assert (lease.bound_at, lease.renew_at, lease.expires_at) == (91.0, 121.0, 151.0)
    assert h.state.phase is State.BOUND


def test_init_reboot_lease_counts_from_the_first_request() -> None:
    remembered = bound().state.lease
    h = Harness(config())
    h(Start(lease=remembered), 100.0)
    first = only_send(h.timer())
    assert h.now == 100.0
    only_send(h.timer())
    only_send(h.timer())                            # two retransmissions, about 12 s
    lease = only(h.receive(ack(first.message.xid), h.now + 0.5), Configure).lease
    assert lease.bound_at == 100.0 and lease.expires_at == 100.0 + LEASE


def test_renewal_lease_counts_from_the_first_renewing_request() -> None:
    h = bound()
    h.timer()                                       # T1: REQUEST at 1800
    h.timer()                                       # retransmitted at 2475
    lease = only(h.receive(ack(h.xid), 2500.0), Configure).lease
    assert lease.bound_at == 1800.0 and lease.expires_at == 1800.0 + LEASE


def test_a_late_rebinding_ack_with_a_shorter_lease_keeps_the_address() -> None:
    h = bound()
    h.timer()                                       # RENEWING at 1800, no answer
    while h.state.phase is State.RENEWING:
        h.timer()
    assert h.state.phase is State.REBINDING and h.now == 3150.0
    h.timer()                                       # a broadcast retransmission at 3375
    acts = h.receive(ack(h.xid, server=S2, lease=1500), 3400.0)
    # Counted from T1 (1800) this lease would have ended at 3300, before it
    # arrived, and the working address would have been dropped; it counts
    # from the first REBINDING REQUEST (3150): 4650.
    lease = only(acts, Configure).lease
    assert lease.bound_at == 3150.0 and lease.expires_at == 4650.0
    assert h.state.phase is State.BOUND and not any(isinstance(a, Deconfigure) for a in acts)


def test_rapid_commit_lease_counts_from_the_first_discover() -> None:
    h = Harness(config(rapid_commit=True))
    h(Start(), 10.0)
    h.timer()                                       # DISCOVER at 10
    h.timer()                                       # retransmitted about 4 s later
    acts = h.receive(ack(h.xid, extra={codes.RAPID_COMMIT: True}), h.now + 1.0)
    lease = only(acts, Configure).lease
    assert lease.bound_at == 10.0 and lease.expires_at == 10.0 + LEASE


@pytest.mark.parametrize("where", ["requesting", "rebooting", "renewing", "rapid"])
def test_a_lease_already_expired_when_recorded_is_discarded(where: str) -> None:
    """"A lease already expired when recorded is discarded with a reason, never
    configured": a 2-second lease whose ACK comes 2.5 s after the request (and
    before any retransmission, at 3 s at the earliest)."""
    if where == "renewing":
        h = bound()
        h.timer()
    else:
        h = Harness(config(rapid_commit=where == "rapid"))
        h(Start(lease=bound().state.lease if where == "rebooting" else None), 0.0)
        h.timer()
        if where == "requesting":
            h.receive(offer(h.xid), 0.0)
    extra = {codes.RAPID_COMMIT: True} if where == "rapid" else None
    before = h.state
    acts = h.receive(ack(h.xid, lease=2, extra=extra), h.now + 2.5)
    discard = only(acts, Discard)
    assert "ended at" in discard.reason and "first sent" in discard.reason
    assert not any(isinstance(a, Configure) for a in acts)
    assert h.state == before


# == issue 12 item 2: backoff after setbacks ================================================
# RFC 2131 section 3.1 step 5: "The client SHOULD wait a minimum of ten seconds
# before restarting the configuration process to avoid excessive network
# traffic in case of looping."


def _nak_round(h: Harness) -> float:
    """One DISCOVER/OFFER/REQUEST/NAK round; returns the wait it left in INIT."""
    h.timer()
    h.receive(offer(h.xid), h.now)
    h.receive(nak(h.xid), h.now)
    assert h.state.phase is State.INIT and h.deadline is not None
    return h.deadline - h.now


def test_a_server_that_naks_everything_gets_no_storm() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    waits = [_nak_round(h) for _ in range(10)]
    for n, wait in enumerate(waits, start=1):
        base = min(1.0 * 2 ** (n - 1), 120.0)      # doubles from 1 s, capped at 120 s
        assert base <= wait <= 2 * base, (n, wait)
    assert h.state.setbacks == 10
    # Five rounds took seconds, not the 100 ms of a client that restarts at once.
    assert sum(waits[:5]) >= 31.0
    assert len({round(w, 6) for w in waits}) == len(waits)  # jittered


def test_the_backoff_is_configurable_and_reset_once_bound() -> None:
    h = Harness(config(restart_delay=3.0, max_restart_delay=5.0))
    h(Start(), 0.0)
    waits = [_nak_round(h) for _ in range(4)]
    assert 3.0 <= waits[0] <= 6.0 and all(5.0 <= w <= 10.0 for w in waits[2:])
    h.timer()
    h.receive(offer(h.xid), h.now)
    h.receive(ack(h.xid), h.now)
    assert h.state.phase is State.BOUND and h.state.setbacks == 0
    h.timer()                                       # RENEWING: a NAK there is a first setback
    h.receive(nak(h.xid), h.now)
    assert h.state.setbacks == 1 and 3.0 <= (h.deadline or 0.0) - h.now <= 6.0


def test_a_new_start_forgets_the_setbacks() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    _nak_round(h)
    _nak_round(h)
    h(Stop(), h.now)
    h(Start(), h.now)
    assert h.state.setbacks == 0 and h.deadline == h.now


def test_a_decline_waits_at_least_ten_seconds_then_longer() -> None:
    h = Harness(config(probe=True, restart_delay=8.0))
    h(Start(), 0.0)
    waits = []
    for _ in range(3):
        h.timer()
        h.receive(offer(h.xid), h.now)
        h.receive(ack(h.xid), h.now)
        decline = only_send(h(ProbeResult(conflict=True), h.now))
        assert decline.message.message_type == MessageType.DECLINE
        waits.append((h.deadline or 0.0) - h.now)
    assert 10.0 <= waits[0] <= 16.0                 # max(10, 8-16)
    assert 16.0 <= waits[1] <= 32.0 and 32.0 <= waits[2] <= 64.0


def test_a_server_that_offers_but_never_acks_backs_off() -> None:
    h = Harness(config(request_tries=2))
    h(Start(), 0.0)
    waits = []
    for _ in range(3):
        h.timer()
        h.receive(offer(h.xid), h.now)
        h.timer()                                   # the REQUEST again; no answer
        acts = h.timer()                            # out of tries: restart, later
        assert "restarting" in only(acts, Notify).text
        waits.append((h.deadline or 0.0) - h.now)
    for n, wait in enumerate(waits, start=1):
        assert 2 ** (n - 1) <= wait <= 2 ** n


def test_a_nak_to_init_reboot_restarts_at_once() -> None:
    """A NAK in INIT-REBOOT says the network changed (section 3.2): no setback."""
    h = Harness(config())
    h(Start(lease=bound().state.lease), 0.0)
    h.timer()
    h.receive(nak(h.xid), 0.5)
    assert h.state.phase is State.INIT and h.deadline == 0.5 and h.state.setbacks == 0


# == issue 12 item 7: late callers ============================================================

def test_release_after_a_missed_expiry_returns_the_deconfigure_and_does_not_raise() -> None:
    """The issue's case: BOUND with a 60 s lease, ReleaseRequested at t=500 and no
    timer fired. The expiry comes first (its Deconfigure is not lost); the
    release then has nothing to release."""
    h = bound(lease=60)
    acts = h(ReleaseRequested(), 500.0)
    assert [type(a) for a in acts] == [Deconfigure, Notify, Discard]
    assert only(acts, Deconfigure).address == ADDR
    assert "ReleaseRequested came after" in only(acts, Discard).reason
    assert h.state.phase is State.INIT and not sends(acts)


def test_a_late_event_gets_the_due_timers_actions_first() -> None:
    h = bound()
    done = advance(h.state, ReleaseRequested(), now=1900.0, rng=h.rng)  # T1 (1800) unfired
    kinds = [a.message.message_type for a in done.actions if isinstance(a, Send)]
    assert kinds == [MessageType.REQUEST, MessageType.RELEASE]
    assert [trigger.value for _, trigger, _ in done.path] == ["t1", "release"]
    assert isinstance(done.actions[-1], Deconfigure)
    assert done.state.phase is State.STOPPED


def test_renew_requested_after_an_unfired_t1_is_served_not_refused() -> None:
    h = bound()
    acts = h(RenewRequested(), 1850.0)
    # T1 renewed already (its REQUEST first); asking again means nothing more.
    assert only_send(acts).destination == S1 and h.state.phase is State.RENEWING
    assert "RENEWING" in only(acts, Discard).reason


def test_a_probe_result_after_the_lease_expired_is_no_error() -> None:
    h = Harness(config(probe=True))
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid, lease=30), 0.0)
    h.receive(ack(h.xid, lease=30), 0.5)
    assert h.state.phase is State.CHECKING
    acts = h(ProbeResult(conflict=False), 45.0)      # the probe took too long
    assert not any(isinstance(a, Configure) for a in acts)
    assert "expired" in only(acts, Notify).text and h.state.phase is State.INIT


def test_a_late_message_comes_after_the_retransmission_it_missed() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    late = (h.deadline or 0.0) + 0.5
    acts = h.receive(offer(h.xid), late)
    assert [a.message.message_type for a in sends(acts)] == [MessageType.DISCOVER,
                                                            MessageType.REQUEST]


def test_a_timer_fired_a_day_late_takes_the_client_where_the_lease_is() -> None:
    h = bound()
    acts = h(TimerFired(), 86400.0)
    assert [type(a) for a in acts] == [Deconfigure, Notify]
    assert h.state.phase is State.INIT and h.deadline == 86400.0
    assert only_send(h.timer()).message.options[codes.REQUESTED_IP_ADDRESS] == ADDR


def test_an_early_timer_does_nothing() -> None:
    h = bound()
    before = h.state
    assert h(TimerFired(), 100.0) == () and h.state == before
    h2 = Harness(config(selection_window=5.0))
    h2(Start(), 0.0)
    h2.timer()
    h2.receive(offer(h2.xid, yiaddr=ADDR2), 1.0)
    assert h2(TimerFired(), 2.0) == () and h2.state.phase is State.SELECTING


def test_an_ack_whose_t2_has_passed_binds_then_rebinds_at_once() -> None:
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    h.receive(offer(h.xid), 0.0)
    times = {codes.RENEWAL_TIME: 1, codes.REBINDING_TIME: 2}
    acts = h.receive(ack(h.xid, lease=200, extra=times), 2.5)
    assert [type(a) for a in acts] == [Configure, Send]
    assert only_send(acts).destination == IPv4Address("255.255.255.255")
    assert h.state.phase is State.REBINDING
