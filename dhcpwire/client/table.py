"""The client's transition table: (state, event type) -> handler and the states it may lead to.

Rules of this module:

* :data:`TABLE` is the one statement of which event is legal in which
  state; :func:`transitions` and :func:`diagram` are made from it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from .events import (
    Event,
    InformRequested,
    LinkDown,
    LinkUp,
    MessageReceived,
    ProbeResult,
    ReleaseRequested,
    RenewRequested,
    Start,
    Stop,
    TimerFired,
)
from .exchanges import Result
from .handlers import (
    bound_message,
    bound_renew,
    bound_timer,
    checking_probe,
    holding_timer,
    idle_message,
    idle_timer,
    inform_requested,
    informing_message,
    informing_timer,
    init_reboot_timer,
    init_timer,
    link_down,
    link_up,
    rebinding_timer,
    rebooting_message,
    rebooting_timer,
    release_requested,
    renewal_message_received,
    renewing_timer,
    requesting_message,
    requesting_timer,
    selecting_message,
    selecting_timer,
    stop,
    stopped_start,
)
from .state import ClientState, State

__all__ = ["TABLE", "Rule", "Transition", "diagram", "transitions"]

Handler = Callable[[ClientState, Any, float, random.Random], Result]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One row of :data:`TABLE`: what handles the event, and where it can lead.

    ``edges`` are (label, next state) pairs; they are the diagram's arrows
    and the complete list of states the handler may return.
    """

    handler: Handler
    edges: tuple[tuple[str, State], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """A row of :func:`transitions`: in ``state``, ``trigger`` leads to one of ``targets``."""

    state: State
    trigger: type[Event]
    targets: tuple[State, ...]
    edges: tuple[tuple[str, State], ...]


S = State
_NOOP = "timer not due"
_DISCARD = "message / discard"
_DOWN = (("link down", S.LINK_DOWN),)
_STOP = (("stop", S.STOPPED),)


def _running(state: State, timer: tuple[Handler, tuple[tuple[str, State], ...]],
             message: tuple[Handler, tuple[tuple[str, State], ...]],
             **more: tuple[Handler, tuple[tuple[str, State], ...]]
             ) -> dict[tuple[State, type[Event]], Rule]:
    rows: dict[tuple[State, type[Event]], Rule] = {
        (state, TimerFired): Rule(handler=timer[0], edges=timer[1]),
        (state, MessageReceived): Rule(handler=message[0], edges=message[1]),
        (state, Stop): Rule(handler=stop, edges=_STOP),
        (state, LinkDown): Rule(handler=link_down, edges=_DOWN),
    }
    events: dict[str, type[Event]] = {
        "release": ReleaseRequested, "renew": RenewRequested, "probe": ProbeResult,
        "inform": InformRequested}
    for key, (handler, edges) in more.items():
        rows[(state, events[key])] = Rule(handler=handler, edges=edges)
    return rows


_EXPIRE = ("lease expires / halt network", S.INIT)

#: The transition table: (state, event type) -> :class:`Rule`. A pair that is
#: not here is an illegal event in that state.
TABLE: Final[dict[tuple[State, type[Event]], Rule]] = {
    (S.STOPPED, Start): Rule(handler=stopped_start, edges=(
        ("start", S.INIT), ("start with a lease", S.INIT_REBOOT))),
    (S.STOPPED, InformRequested): Rule(handler=inform_requested, edges=(
        ("inform requested / send DHCPINFORM", S.INFORMING),)),
    (S.STOPPED, TimerFired): Rule(handler=idle_timer, edges=((_NOOP, S.STOPPED),)),
    (S.STOPPED, MessageReceived): Rule(handler=idle_message, edges=((_DISCARD, S.STOPPED),)),
    **_running(
        S.INIT,
        timer=(init_timer, (("- / send DHCPDISCOVER", S.SELECTING), (_NOOP, S.INIT))),
        message=(idle_message, ((_DISCARD, S.INIT),))),
    **_running(
        S.SELECTING,
        timer=(selecting_timer, (
            ("window over / select offer, send DHCPREQUEST", S.REQUESTING),
            ("timeout / resend DHCPDISCOVER", S.SELECTING),
            ("out of tries / restart", S.INIT))),
        message=(selecting_message, (
            ("DHCPOFFER / send DHCPREQUEST", S.REQUESTING),
            ("DHCPOFFER / collect replies", S.SELECTING),
            ("DHCPOFFER with option 108 / stop DHCPv4", S.V6ONLY),
            ("DHCPACK with rapid commit / probe", S.CHECKING),
            ("DHCPACK with rapid commit / record lease", S.BOUND),
            ("DHCPACK with rapid commit, T1 past", S.RENEWING),
            ("DHCPACK with rapid commit, T2 past", S.REBINDING),
            ("DHCPACK with rapid commit, expired", S.INIT),
            (_DISCARD, S.SELECTING)))),
    **_running(
        S.REQUESTING,
        timer=(requesting_timer, (
            ("timeout / resend DHCPREQUEST", S.REQUESTING),
            ("out of tries / restart", S.INIT))),
        message=(requesting_message, (
            ("DHCPACK / probe", S.CHECKING),
            ("DHCPACK / record lease, set timers T1, T2", S.BOUND),
            ("DHCPACK, T1 past", S.RENEWING),
            ("DHCPACK, T2 past", S.REBINDING),
            ("DHCPNAK / restart", S.INIT),
            ("DHCPACK without the offered nonce / restart", S.INIT),
            ("DHCPOFFER / discard", S.REQUESTING)))),
    **_running(
        S.CHECKING,
        timer=(holding_timer, (_EXPIRE, (_NOOP, S.CHECKING))),
        message=(idle_message, ((_DISCARD, S.CHECKING),)),
        probe=(checking_probe, (
            ("no conflict / record lease, set timers T1, T2", S.BOUND),
            ("no conflict, T1 past", S.RENEWING),
            ("no conflict, T2 past", S.REBINDING),
            ("conflict / send DHCPDECLINE", S.INIT)))),
    **_running(
        S.BOUND,
        timer=(bound_timer, (
            ("T1 expires / send DHCPREQUEST to leasing server", S.RENEWING),
            ("T2 expires / broadcast DHCPREQUEST", S.REBINDING),
            _EXPIRE, (_NOOP, S.BOUND))),
        message=(bound_message, (
            ("DHCPOFFER, DHCPACK, DHCPNAK / discard", S.BOUND),
            ("authenticated DHCPFORCERENEW / send DHCPREQUEST", S.RENEWING))),
        release=(release_requested, (("release / send DHCPRELEASE", S.STOPPED),)),
        renew=(bound_renew, (("renew requested / send DHCPREQUEST", S.RENEWING),))),
    **_running(
        S.RENEWING,
        timer=(renewing_timer, (
            ("timeout / resend DHCPREQUEST", S.RENEWING),
            ("T2 expires / broadcast DHCPREQUEST", S.REBINDING),
            _EXPIRE)),
        message=(renewal_message_received, (
            ("DHCPACK / record lease, set timers T1, T2", S.BOUND),
            ("DHCPACK, new address / probe", S.CHECKING),
            ("DHCPACK, T1 past", S.RENEWING),
            ("DHCPACK, T2 past", S.REBINDING),
            ("DHCPNAK / halt network", S.INIT),
            (_DISCARD, S.RENEWING))),
        release=(release_requested, (("release / send DHCPRELEASE", S.STOPPED),))),
    **_running(
        S.REBINDING,
        timer=(rebinding_timer, (("timeout / resend DHCPREQUEST", S.REBINDING), _EXPIRE)),
        message=(renewal_message_received, (
            ("DHCPACK / record lease, set timers T1, T2", S.BOUND),
            ("DHCPACK, new address / probe", S.CHECKING),
            ("DHCPACK, T1 past", S.RENEWING),
            ("DHCPACK, T2 past", S.REBINDING),
            ("DHCPNAK / halt network", S.INIT),
            (_DISCARD, S.REBINDING))),
        release=(release_requested, (("release / send DHCPRELEASE", S.STOPPED),))),
    **_running(
        S.INIT_REBOOT,
        timer=(init_reboot_timer, (
            ("- / send DHCPREQUEST", S.REBOOTING), (_NOOP, S.INIT_REBOOT))),
        message=(idle_message, ((_DISCARD, S.INIT_REBOOT),))),
    **_running(
        S.REBOOTING,
        timer=(rebooting_timer, (
            ("timeout / resend DHCPREQUEST", S.REBOOTING),
            ("out of tries / use the remembered lease", S.BOUND),
            ("out of tries, T1 past", S.RENEWING),
            ("out of tries, T2 past", S.REBINDING),
            ("out of tries, lease expired / restart", S.INIT))),
        message=(rebooting_message, (
            ("DHCPACK / probe", S.CHECKING),
            ("DHCPACK / record lease, set timers T1, T2", S.BOUND),
            ("DHCPACK, T1 past", S.RENEWING),
            ("DHCPACK, T2 past", S.REBINDING),
            ("DHCPNAK / restart", S.INIT),
            (_DISCARD, S.REBOOTING)))),
    **_running(
        S.INFORMING,
        timer=(informing_timer, (
            ("timeout / resend DHCPINFORM", S.INFORMING),
            ("out of tries / use defaults", S.STOPPED))),
        message=(informing_message, (
            ("DHCPACK / configure", S.INFORMED), (_DISCARD, S.INFORMING)))),
    **_running(
        S.INFORMED,
        timer=(idle_timer, ((_NOOP, S.INFORMED),)),
        message=(idle_message, ((_DISCARD, S.INFORMED),)),
        inform=(inform_requested, (("inform requested / send DHCPINFORM", S.INFORMING),))),
    **_running(
        S.V6ONLY,
        timer=(init_timer, (
            ("V6ONLY_WAIT over / send DHCPDISCOVER", S.SELECTING), (_NOOP, S.V6ONLY))),
        message=(idle_message, ((_DISCARD, S.V6ONLY),))),
    (S.LINK_DOWN, LinkUp): Rule(handler=link_up, edges=(
        ("link up / verify the lease", S.INIT_REBOOT), ("link up", S.INIT),
        ("link up / send DHCPINFORM", S.INFORMING))),
    (S.LINK_DOWN, TimerFired): Rule(handler=idle_timer, edges=((_NOOP, S.LINK_DOWN),)),
    (S.LINK_DOWN, MessageReceived): Rule(handler=idle_message,
                                         edges=((_DISCARD, S.LINK_DOWN),)),
    (S.LINK_DOWN, Stop): Rule(handler=stop, edges=_STOP),
}
del S


def transitions() -> tuple[Transition, ...]:
    """Every row of :data:`TABLE`: state, trigger, the states it can lead to."""
    rows = []
    for (state, trigger), rule in TABLE.items():
        targets = tuple(dict.fromkeys(target for _, target in rule.edges))
        rows.append(Transition(state=state, trigger=trigger, targets=targets, edges=rule.edges))
    return tuple(rows)


def diagram() -> str:
    """Figure 5 as a Mermaid ``stateDiagram-v2``, drawn from :data:`TABLE`.

    Arrows between the same two states are merged. Stop and LinkDown (legal
    in every running state), timers that are not due and messages simply
    discarded are left out so the figure stays readable; :func:`transitions`
    lists them all.
    """
    def ident(state: State) -> str:
        return state.name
    lines = ["stateDiagram-v2"]
    lines.extend(f'    state "{s.value}" as {ident(s)}' for s in State if s.value != s.name)
    lines.append(f"    [*] --> {ident(State.STOPPED)}")
    arrows: dict[tuple[State, State], list[str]] = {}
    for row in transitions():
        if row.trigger in (Stop, LinkDown):
            continue
        for label, target in row.edges:
            if label in (_NOOP, _DISCARD):
                continue
            labels = arrows.setdefault((row.state, target), [])
            if label not in labels:
                labels.append(label)
    for (source, target), labels in arrows.items():
        lines.append(f"    {ident(source)} --> {ident(target)}: {'; '.join(labels)}")
    lines.append("    note right of LINK_DOWN : Stop and LinkDown lead here from every state")
    return "\n".join(lines) + "\n"

