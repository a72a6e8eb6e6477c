"""The RFC 2131 client state machine (section 4.4, figure 5), sans-IO.

Rules of this module (and of the client package):

1. Everything that decides is in :func:`step`, a pure function:
   ``step(state, event, *, now, rng) -> (state, actions)``. It reads no
   clock, opens no socket and draws no randomness but from ``rng``; the
   same seed, events and ``now`` values replay a run exactly.
2. Where the client goes is said once, by :data:`TABLE`: a handler tells
   what the event means (a :class:`Trigger`) and builds the new state's
   data; ``step`` looks the trigger up and refuses a state the table does
   not lead to. A compound move (an ACK whose T1 has already passed) is a
   chain of such lookups.
3. Caller misuse is an exception, and changes nothing: an event illegal in
   the state raises :class:`~dhcpwire.StateError`, an argument of the wrong
   type ``TypeError``, a ``now`` that is not finite ``StateError``. Peer
   noise is an ordinary output: a message with the wrong xid, chaddr or
   client identifier, of a type the state does not expect, or with a
   malformed option the client would act on, gives back the same state and
   a :class:`Discard` with the reason.
4. Time is an input, and a late caller is served. Deadlines that passed
   unfired are handled first, in order, each at ``now`` (their actions come
   first); then the event. An event that was legal in the state the caller
   last saw never raises because time moved: when the deadlines took the
   client somewhere the event means nothing, it gives a :class:`Discard`
   saying so.
5. Each rule of the RFCs is quoted above the code that carries it out.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Final

from ..wire.errors import StateError
from .actions import Action, Discard
from .config import ClientConfig
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
from .exchanges import Move, Outcome
from .handlers import HANDLERS
from .records import State
from .state import ClientState, next_deadline
from .table import TABLE, TransitionError, Trigger, legal_events

__all__ = ["Advance", "Client", "advance", "step"]

_EVENTS: Final = (Start, MessageReceived, TimerFired, ProbeResult, ReleaseRequested,
                  RenewRequested, InformRequested, LinkDown, LinkUp, Stop)
_TIMER: Final = TimerFired()
#: More moves than this in one step is a loop (a bug), not a late caller.
_MOST_MOVES: Final = 64


@dataclass(frozen=True, slots=True)
class Advance:
    """What one :func:`advance` did: the new state, the actions in order, and
    the path taken, one (state, trigger, next state) per table lookup."""

    state: ClientState
    actions: tuple[Action, ...]
    path: tuple[tuple[State, Trigger, State], ...]


def step(state: ClientState, event: Event, *, now: float,
         rng: random.Random) -> tuple[ClientState, tuple[Action, ...]]:
    """Feed ``event`` at time ``now``; get the next state and the actions to carry out.

    ``now`` is the caller's monotonic clock in seconds; ``rng`` is the only
    source of randomness (xids, jitter, waits), so the same seed with the
    same events and ``now`` values replays a run exactly. Raises
    :class:`~dhcpwire.StateError` when ``event`` is not legal in the state
    (see :data:`TABLE`) and ``TypeError`` for arguments of the wrong type;
    nothing changes then.
    """
    done = advance(state, event, now=now, rng=rng)
    return done.state, done.actions


def _check(state: Any, event: Any, now: Any, rng: Any) -> float:
    if not isinstance(state, ClientState):
        raise TypeError(f"state must be a ClientState, not {type(state).__name__}")
    if not isinstance(event, _EVENTS):
        raise TypeError(f"event must be a client event, not {type(event).__name__}")
    if isinstance(now, bool) or not isinstance(now, (int, float)):
        raise TypeError(f"now must be a number of seconds, not {type(now).__name__}")
    if not isinstance(rng, random.Random):
        raise TypeError(f"rng must be a random.Random, not {type(rng).__name__}")
    if not math.isfinite(now):
        raise StateError(f"now={now!r} is not a time on any clock")
    return float(now)


def advance(state: ClientState, event: Event, *, now: float, rng: random.Random) -> Advance:
    """:func:`step`, with the path it took through :data:`TABLE`."""
    now = _check(state, event, now, rng)
    seen = state.phase
    if type(event) not in legal_events(seen):
        raise StateError(f"{type(event).__name__} is not allowed in state {seen.value}")
    path: list[tuple[State, Trigger, State]] = []
    actions: list[Action] = []
    # Rule 4: the deadlines that passed unfired come first (for TimerFired,
    # they are the event).
    current = _fire_due(state, now, rng, path, actions, inclusive=True)
    if not isinstance(event, TimerFired):
        if type(event) in legal_events(current.phase):
            handler = HANDLERS[(current.phase, type(event))]
            current = _apply(current, handler(current, current.record, event, now, rng),
                             path, actions)
        else:
            moved = ", ".join(trigger.value for _, trigger, _ in path)
            actions.append(Discard(reason=(
                f"{type(event).__name__} came after deadlines that had passed ({moved}) took "
                f"the client from {seen.value} to {current.phase.value}; nothing to do")))
    # Rule 2: a state whose own deadlines have already passed (a lease whose
    # T1 is over when it is recorded) moves on at once.
    current = _fire_due(current, now, rng, path, actions, inclusive=False)
    return Advance(current, tuple(actions), tuple(path))


def _apply(current: ClientState, outcome: Outcome, path: list[tuple[State, Trigger, State]],
           actions: list[Action]) -> ClientState:
    if outcome is None:
        return current
    if isinstance(outcome, Discard):
        actions.append(outcome)
        return current
    target = TABLE.get((current.phase, outcome.trigger))
    if target is None or outcome.state.phase is not target:
        raise TransitionError(
            f"{outcome.trigger.value} in {current.phase.value} leads to "
            f"{'nowhere' if target is None else target.value} by the table, "
            f"not {outcome.state.phase.value}")
    path.append((current.phase, outcome.trigger, target))
    actions.extend(outcome.actions)
    return outcome.state


def _fire_due(current: ClientState, now: float, rng: random.Random,
              path: list[tuple[State, Trigger, State]], actions: list[Action], *,
              inclusive: bool) -> ClientState:
    """Fire the deadlines that are due at ``now``, each at ``now``, until none is.

    ``inclusive``: the first deadline may be exactly ``now`` (the caller's
    timer, or one it did not fire). Deadlines the firing itself sets at
    ``now`` (a restart with no wait) are left for the caller's next
    :class:`TimerFired`, so an event is never preceded by messages it did
    not ask for.
    """
    for _ in range(_MOST_MOVES):
        deadline = next_deadline(current)
        if deadline is None or deadline > now or (deadline == now and not inclusive):
            return current
        inclusive = False
        outcome = HANDLERS[(current.phase, TimerFired)](current, current.record, _TIMER, now, rng)
        if not isinstance(outcome, Move):
            raise TransitionError(f"the deadline {deadline} of {current.phase.value} is due at "
                                  f"{now} but firing it does nothing")
        current = _apply(current, outcome, path, actions)
    raise TransitionError(f"more than {_MOST_MOVES} moves in one step")


# -- the convenience class ----------------------------------------------------------------

class Client:
    """A client holding its state and random generator; a thin shell over :func:`step`.

    >>> import random
    >>> from dhcpwire.client import Client, ClientConfig, Start, TimerFired
    >>> c = Client(ClientConfig(chaddr=bytes.fromhex("02005e105301"), startup_delay=(0, 0)),
    ...            rng=random.Random(7))
    >>> c.handle(Start(), now=0.0)
    ()
    >>> c.next_deadline()
    0.0
    >>> [type(a).__name__ for a in c.handle(TimerFired(), now=0.0)]
    ['Send']
    >>> c.state.phase
    <State.SELECTING: 'SELECTING'>
    """

    def __init__(self, config: ClientConfig | None = None, *, state: ClientState | None = None,
                 rng: random.Random | None = None) -> None:
        if state is None:
            if config is None:
                raise TypeError("Client needs a config or a state")
            state = ClientState(config=config)
        if not isinstance(state, ClientState):
            raise TypeError(f"state must be a ClientState, not {type(state).__name__}")
        self._state = state
        self._rng = rng if rng is not None else random.Random()

    @property
    def state(self) -> ClientState:
        return self._state

    def handle(self, event: Event, *, now: float) -> tuple[Action, ...]:
        """Step the machine; the state is kept only when the step succeeds."""
        self._state, actions = step(self._state, event, now=now, rng=self._rng)
        return actions

    def next_deadline(self) -> float | None:
        return next_deadline(self._state)

    def to_json(self) -> dict[str, Any]:
        return self._state.to_json()
