"""The client's transition table: (state, trigger) -> next state, and the figures drawn from it.

Rules of this module (h11's ``_state.py`` is the model):

* :data:`TABLE` is the one statement of where the client goes: each
  :class:`Trigger` -- a named reason to move, such as ``offer-selected``,
  ``ack``, ``nak``, ``t1`` or ``lease-expired`` -- leads from a state to
  exactly one state. :func:`~dhcpwire.client.step` classifies each event
  into a trigger and obeys this table; a handler computes the new state's
  data and the actions, never the target.
* Which event is legal in which state follows from the same table: an
  event is legal where some trigger it can cause leaves from (timers and
  received messages are legal everywhere: a timer that is not due does
  nothing, and a message nobody waits for is discarded).
* :func:`transitions` lists it, :func:`diagram` draws it (Graphviz DOT or
  Mermaid); nothing else describes the machine.
"""

from __future__ import annotations

import enum
import warnings
from dataclasses import dataclass
from typing import Final, Literal

from ..wire.errors import DhcpwireDeprecationWarning
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
from .records import State

__all__ = ["EVENTS", "TABLE", "Transition", "TransitionError", "Trigger", "diagram",
           "legal_events", "transitions"]


class Trigger(enum.Enum):
    """A named reason for the client to move: what an event turned out to mean."""

    START = "start"
    START_WITH_LEASE = "start-with-lease"
    WAIT_OVER = "wait-over"
    REBOOT = "reboot"
    RETRANSMIT = "retransmit"
    OUT_OF_TRIES = "out-of-tries"
    OFFER_COLLECTED = "offer-collected"
    OFFER_SELECTED = "offer-selected"
    V6ONLY = "v6only"
    ACK = "ack"
    ACK_PROBE = "ack-probe"
    INFORM_ACK = "inform-ack"
    NAK = "nak"
    NONCE_MISSING = "nonce-missing"
    PROBE_CLEAR = "probe-clear"
    PROBE_CONFLICT = "probe-conflict"
    T1 = "t1"
    T2 = "t2"
    LEASE_EXPIRED = "lease-expired"
    FORCERENEW = "forcerenew"
    RENEW = "renew"
    RELEASE = "release"
    INFORM = "inform"
    LINK_DOWN = "link-down"
    LINK_UP = "link-up"
    LINK_UP_WITH_LEASE = "link-up-with-lease"
    LINK_UP_INFORM = "link-up-inform"
    STOP = "stop"

    @property
    def label(self) -> str:
        """The arrow's label in the diagrams (figure 5's words where it has them)."""
        return _INFO[self][0]

    @property
    def events(self) -> tuple[type[Event], ...]:
        """The event types that can turn out to be this trigger."""
        return _INFO[self][1]


_T = TimerFired
_M = MessageReceived
T = Trigger
_INFO: Final[dict[Trigger, tuple[str, tuple[type[Event], ...]]]] = {
    T.START: ("start", (Start,)),
    T.START_WITH_LEASE: ("start with a lease", (Start,)),
    T.WAIT_OVER: ("wait over / send DHCPDISCOVER", (_T,)),
    T.REBOOT: ("wait over / send DHCPREQUEST", (_T,)),
    T.RETRANSMIT: ("timeout / send again", (_T,)),
    T.OUT_OF_TRIES: ("out of tries", (_T,)),
    T.OFFER_COLLECTED: ("DHCPOFFER / collect replies", (_M,)),
    T.OFFER_SELECTED: ("select offer / send DHCPREQUEST", (_M, _T)),
    T.V6ONLY: ("DHCPOFFER with option 108 / stop DHCPv4", (_M,)),
    T.ACK: ("DHCPACK / record lease, set timers T1, T2", (_M,)),
    T.ACK_PROBE: ("DHCPACK / probe the address", (_M,)),
    T.INFORM_ACK: ("DHCPACK / configure", (_M,)),
    T.NAK: ("DHCPNAK / halt network, restart", (_M,)),
    T.NONCE_MISSING: ("DHCPACK without the offered nonce / restart", (_M,)),
    T.PROBE_CLEAR: ("no conflict / record lease, set timers T1, T2", (ProbeResult,)),
    T.PROBE_CONFLICT: ("conflict / send DHCPDECLINE", (ProbeResult,)),
    T.T1: ("T1 expires / send DHCPREQUEST to leasing server", (_T,)),
    T.T2: ("T2 expires / broadcast DHCPREQUEST", (_T,)),
    T.LEASE_EXPIRED: ("lease expired / halt network", (_T,)),
    T.FORCERENEW: ("authenticated DHCPFORCERENEW / send DHCPREQUEST", (_M,)),
    T.RENEW: ("renew requested / send DHCPREQUEST", (RenewRequested,)),
    T.RELEASE: ("release / send DHCPRELEASE", (ReleaseRequested,)),
    T.INFORM: ("inform requested / send DHCPINFORM", (InformRequested,)),
    T.LINK_DOWN: ("link down", (LinkDown,)),
    T.LINK_UP: ("link up", (LinkUp,)),
    T.LINK_UP_WITH_LEASE: ("link up / verify the lease", (LinkUp,)),
    T.LINK_UP_INFORM: ("link up / send DHCPINFORM", (LinkUp,)),
    T.STOP: ("stop", (Stop,)),
}

S = State
#: The states in which the client runs (Stop and LinkDown are legal in each).
RUNNING: Final = tuple(s for s in State if s not in (S.STOPPED, S.LINK_DOWN))
_HOLDING: Final = (S.BOUND, S.RENEWING, S.REBINDING)
_ASKING: Final = (S.REQUESTING, S.REBOOTING, S.RENEWING, S.REBINDING)


def _rows(trigger: Trigger, target: State, *sources: State) -> dict[tuple[State, Trigger], State]:
    return {(source, trigger): target for source in sources}


#: The transition table: (state, trigger) -> the state it leads to. A pair
#: that is not here never happens; an event none of whose triggers leaves
#: a state is illegal there (:func:`legal_events`).
TABLE: Final[dict[tuple[State, Trigger], State]] = {
    **_rows(T.START, S.INIT, S.STOPPED),
    **_rows(T.START_WITH_LEASE, S.INIT_REBOOT, S.STOPPED),
    **_rows(T.WAIT_OVER, S.SELECTING, S.INIT, S.V6ONLY),
    **_rows(T.REBOOT, S.REBOOTING, S.INIT_REBOOT),
    **{(s, T.RETRANSMIT): s for s in (S.SELECTING, *_ASKING, S.INFORMING)},
    **_rows(T.OUT_OF_TRIES, S.INIT, S.SELECTING, S.REQUESTING),
    # Section 3.2 step 3: no answer in INIT-REBOOT, "the client MAY choose to
    # use the previously allocated network address ... This corresponds to
    # moving to BOUND state".
    **_rows(T.OUT_OF_TRIES, S.BOUND, S.REBOOTING),
    **_rows(T.OUT_OF_TRIES, S.STOPPED, S.INFORMING),
    **_rows(T.OFFER_COLLECTED, S.SELECTING, S.SELECTING),
    **_rows(T.OFFER_SELECTED, S.REQUESTING, S.SELECTING),
    **_rows(T.V6ONLY, S.V6ONLY, S.SELECTING),
    **_rows(T.ACK, S.BOUND, S.SELECTING, *_ASKING),
    **_rows(T.INFORM_ACK, S.INFORMED, S.INFORMING),
    **_rows(T.ACK_PROBE, S.CHECKING, S.SELECTING, *_ASKING),
    **_rows(T.NAK, S.INIT, *_ASKING),
    **_rows(T.NONCE_MISSING, S.INIT, S.REQUESTING),
    **_rows(T.PROBE_CLEAR, S.BOUND, S.CHECKING),
    **_rows(T.PROBE_CONFLICT, S.INIT, S.CHECKING),
    **_rows(T.T1, S.RENEWING, S.BOUND),
    **_rows(T.T2, S.REBINDING, S.BOUND, S.RENEWING),
    **_rows(T.LEASE_EXPIRED, S.INIT, S.CHECKING, *_HOLDING, S.REBOOTING),
    **_rows(T.FORCERENEW, S.RENEWING, S.BOUND),
    **_rows(T.RENEW, S.RENEWING, S.BOUND),
    **_rows(T.RELEASE, S.STOPPED, *_HOLDING),
    **_rows(T.INFORM, S.INFORMING, S.STOPPED, S.INFORMED),
    **_rows(T.LINK_DOWN, S.LINK_DOWN, *RUNNING),
    **_rows(T.LINK_UP, S.INIT, S.LINK_DOWN),
    **_rows(T.LINK_UP_WITH_LEASE, S.INIT_REBOOT, S.LINK_DOWN),
    **_rows(T.LINK_UP_INFORM, S.INFORMING, S.LINK_DOWN),
    **_rows(T.STOP, S.STOPPED, *RUNNING, S.LINK_DOWN),
}
del S, T

#: Events legal in every state: a timer that is not due does nothing, and a
#: message is discarded with the reason when nothing waits for it.
ALWAYS: Final[tuple[type[Event], ...]] = (TimerFired, MessageReceived)


def _legal() -> dict[State, frozenset[type[Event]]]:
    legal: dict[State, set[type[Event]]] = {state: set(ALWAYS) for state in State}
    for (state, trigger) in TABLE:
        legal[state].update(trigger.events)
    return {state: frozenset(events) for state, events in legal.items()}


#: State -> the event types legal in it, derived from :data:`TABLE`.
EVENTS: Final[dict[State, frozenset[type[Event]]]] = _legal()


def legal_events(state: State) -> frozenset[type[Event]]:
    """The event types :func:`~dhcpwire.client.step` takes in ``state``."""
    return EVENTS[state]


class TransitionError(RuntimeError):
    """A handler built a state :data:`TABLE` does not lead to (a bug in the client)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """The (state, event) pairs of the machine, for documentation: in ``state``,
    ``event`` leads to one of ``targets``; ``edges`` are (label, next state)."""

    state: State
    event: type[Event]
    targets: tuple[State, ...]
    edges: tuple[tuple[str, State], ...]

    @property
    def trigger(self) -> type[Event]:
        """Deprecated: the event type is :attr:`event` (a trigger is a :class:`Trigger`)."""
        warnings.warn("Transition.trigger is deprecated: use Transition.event",
                      DhcpwireDeprecationWarning, stacklevel=2)
        return self.event


#: The labels of the pairs that leave the state as it is.
_NOTHING_DUE: Final = "nothing due"
_DISCARD: Final = "unexpected message / discard"


def transitions() -> tuple[Transition, ...]:
    """Every legal (state, event) pair with the edges its triggers take (from :data:`TABLE`)."""
    rows = []
    for state in State:
        for event in sorted(EVENTS[state], key=_EVENT_ORDER.index):
            edges = [(trigger.label, target) for (source, trigger), target in TABLE.items()
                     if source is state and event in trigger.events]
            if event is TimerFired:
                edges.append((_NOTHING_DUE, state))
            elif event is MessageReceived:
                edges.append((_DISCARD, state))
            targets = tuple(dict.fromkeys(target for _, target in edges))
            rows.append(Transition(state=state, event=event, targets=targets,
                                   edges=tuple(edges)))
    return tuple(rows)


_EVENT_ORDER: Final[list[type[Event]]] = [
    Start, TimerFired, MessageReceived, ProbeResult, RenewRequested, ReleaseRequested,
    InformRequested, LinkUp, LinkDown, Stop]


def _arrows(complete: bool) -> dict[tuple[State, State], list[str]]:
    arrows: dict[tuple[State, State], list[str]] = {}
    for (source, trigger), target in TABLE.items():
        if not complete and trigger in (Trigger.STOP, Trigger.LINK_DOWN):
            continue
        labels = arrows.setdefault((source, target), [])
        if trigger.label not in labels:
            labels.append(trigger.label)
    return arrows


_NOTE: Final = "Stop and LinkDown lead here from every state"


def diagram(format: Literal["mermaid", "dot"] = "mermaid", *, complete: bool = False) -> str:
    """RFC 2131 figure 5, drawn from :data:`TABLE`.

    ``format="dot"`` gives Graphviz DOT source (``dot -Tsvg`` draws it);
    ``"mermaid"`` a Mermaid ``stateDiagram-v2``. Arrows between the same two
    states are merged. The Stop and LinkDown arrows (from every running
    state) are left out unless ``complete``; a note says so.
    """
    arrows = _arrows(complete)
    if format == "dot":
        return _dot(arrows, complete)
    if format != "mermaid":
        raise ValueError(f"unknown diagram format {format!r}: 'dot' or 'mermaid'")
    lines = ["stateDiagram-v2"]
    lines.extend(f'    state "{s.value}" as {s.name}' for s in State if s.value != s.name)
    lines.append(f"    [*] --> {State.STOPPED.name}")
    for (source, target), labels in arrows.items():
        lines.append(f"    {source.name} --> {target.name}: {'; '.join(labels)}")
    if not complete:
        lines.append(f"    note right of {State.LINK_DOWN.name} : {_NOTE}")
    return "\n".join(lines) + "\n"


def _dot(arrows: dict[tuple[State, State], list[str]], complete: bool) -> str:
    def quote(*texts: str) -> str:
        escaped = (t.replace("\\", "\\\\").replace('"', '\\"') for t in texts)
        return '"' + "\\n".join(escaped) + '"'
    lines = ["digraph dhcp_client {", "    rankdir=TB;",
             '    node [shape=box, style=rounded, fontname="sans-serif"];',
             '    edge [fontname="sans-serif", fontsize=10];',
             '    start [shape=point, label=""];']
    lines.extend(f"    {s.name} [label={quote(s.value)}];" for s in State)
    lines.append(f"    start -> {State.STOPPED.name};")
    for (source, target), labels in arrows.items():
        lines.append(f"    {source.name} -> {target.name} [label={quote(*labels)}];")
    if not complete:
        lines.append(f"    note [shape=note, label={quote(_NOTE)}];")
        lines.append(f"    note -> {State.LINK_DOWN.name} [style=dotted, arrowhead=none];")
    lines.append("}")
    return "\n".join(lines) + "\n"
