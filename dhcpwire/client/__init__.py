"""The RFC 2131 client state machine (section 4.4, figure 5), sans-IO.

``step(state, event, *, now, rng) -> (state, actions)`` is the whole
machine; :class:`Client` holds a state and a random generator around it.
The package's modules: :mod:`.state` (the state value and its deadline),
:mod:`.events` and :mod:`.actions` (what goes in and out), :mod:`.table`
(which event is legal where, and where it leads), :mod:`.handlers` and
:mod:`.exchanges` (what each row does), :mod:`.machine` (:func:`step` and
:class:`Client`), and the helpers :mod:`.config`, :mod:`.lease`,
and :mod:`.messages` (RFC 2131 table 5).
"""

from __future__ import annotations

import warnings
from typing import Any

from ..protocol.actions import BROADCAST
from ..wire.errors import DhcpwireDeprecationWarning
from .actions import (
    Action,
    Announce,
    Configure,
    Deconfigure,
    Discard,
    Notify,
    Probe,
    Send,
    V6OnlyWait,
)
from .config import DEFAULT_PARAMETER_REQUEST_LIST, ClientConfig, OfferPolicy
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
from .handlers import MIN_V6ONLY_WAIT
from .lease import INFINITE, Lease
from .machine import Client, step
from .state import ClientState, State, next_deadline
from .table import TABLE, Rule, Transition, diagram, transitions

__all__ = [
    "BROADCAST",
    "DEFAULT_PARAMETER_REQUEST_LIST",
    "INFINITE",
    "MIN_V6ONLY_WAIT",
    "TABLE",
    "Action",
    "Announce",
    "Client",
    "ClientConfig",
    "ClientState",
    "Configure",
    "Deconfigure",
    "Discard",
    "Event",
    "InformRequested",
    "Lease",
    "LinkDown",
    "LinkUp",
    "MessageReceived",
    "Notify",
    "OfferPolicy",
    "Probe",
    "ProbeResult",
    "ReleaseRequested",
    "RenewRequested",
    "Rule",
    "Send",
    "Start",
    "State",
    "Stop",
    "TimerFired",
    "Transition",
    "V6OnlyWait",
    "diagram",
    "next_deadline",
    "step",
    "transitions",
]


def __getattr__(name: str) -> Any:
    if name == "sign_forcerenew":
        # Deprecated here: the server signs FORCERENEW messages.
        warnings.warn("dhcpwire.client.sign_forcerenew is deprecated: use "
                      "dhcpwire.server.sign_forcerenew", DhcpwireDeprecationWarning, stacklevel=2)
        from ..protocol.rfc6704 import sign_forcerenew

        return sign_forcerenew
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
