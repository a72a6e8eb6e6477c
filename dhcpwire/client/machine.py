"""The RFC 2131 client state machine (section 4.4, figure 5), sans-IO.

Rules of this module (and of the client package):

1. Everything that decides is in :func:`step`, a pure function:
   ``step(state, event, *, now, rng) -> (state, actions)``. It reads no
   clock, opens no socket and draws no randomness but from ``rng``; the
   same seed, events and ``now`` values replay a run exactly.
2. Which event is legal in which state is said once, by :data:`TABLE`,
   keyed by (state, event type). An event the table does not list raises
   :class:`~dhcpwire.StateError` and the state is untouched (it is an
   immutable value). :func:`transitions` and :func:`diagram` are made from
   the same table.
3. Peer noise is an ordinary output: a message with the wrong xid, chaddr or
   client identifier, or of a type unexpected in the state, gives back the
   same state and a :class:`Discard` with the reason.
4. Time is an input. The caller asks :func:`next_deadline` when to feed
   :class:`TimerFired`; deadlines come from the state, never from commands.
   A lease is never used past its expiry: an event that arrives after it
   (the caller missed the deadline) first takes the expiry transition.
5. Each rule of the RFCs is quoted above the code that carries it out.
"""

from __future__ import annotations

import random
from typing import Any

from ..wire.errors import StateError
from .actions import Action
from .config import ClientConfig
from .events import Event, TimerFired
from .exchanges import Result, expire, lease_expired
from .state import ClientState, next_deadline
from .table import TABLE

__all__ = ["Client", "step"]


def step(state: ClientState, event: Event, *, now: float, rng: random.Random) -> Result:
    """Feed ``event`` at time ``now``; get the next state and the actions to carry out.

    ``now`` is the caller's monotonic clock in seconds; ``rng`` is the only
    source of randomness (xids, jitter, the start-up delay), so the same
    seed with the same events and ``now`` values replays a run exactly.
    Raises :class:`~dhcpwire.StateError` when ``event`` is not legal in the
    state (see :data:`TABLE`); nothing changes then.
    """
    now = float(now)
    before: tuple[Action, ...] = ()
    if not isinstance(event, TimerFired) and lease_expired(state, now):
        # Rule 4 of this module: the caller missed the expiry deadline; the
        # lease ends before anything else happens.
        state, before = expire(state, now)
    rule = TABLE.get((state.phase, type(event)))
    if rule is None:
        raise StateError(f"{type(event).__name__} is not allowed in state {state.phase.value}")
    new, actions = rule.handler(state, event, now, rng)
    return new, before + actions



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
