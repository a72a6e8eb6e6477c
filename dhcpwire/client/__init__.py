"""The RFC 2131 client state machine (section 4.4, figure 5), sans-IO.

``step(state, event, *, now, rng) -> (state, actions)`` is the whole
machine; :class:`Client` holds a state and a random generator around it.
The package's modules: :mod:`.state` (the state value and its deadline)
and :mod:`.records` (one record per state, with that state's data),
:mod:`.events` and :mod:`.actions` (what goes in and out), :mod:`.table`
(the one transition table, (state, trigger) -> state, and the diagrams),
:mod:`.handlers` and :mod:`.exchanges` (what each event means, and the
data of each new state), :mod:`.machine` (:func:`step` and :class:`Client`),
and the helpers :mod:`.config`, :mod:`.lease`, :mod:`.replies` (what the
client reads from a server, checked on arrival) and :mod:`.messages` (what
it sends, by RFC 2131 tables 4 and 5).
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
from .config import (
    DEFAULT_PARAMETER_REQUEST_LIST,
    ClientConfig,
    ClientIdForm,
    OfferPolicy,
    default_iaid,
    duid_ll,
)
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
from .machine import Advance, Client, advance, step
from .records import (
    Bound,
    Checking,
    Detached,
    Informed,
    Informing,
    Init,
    InitReboot,
    Rebinding,
    Rebooting,
    Record,
    Renewing,
    Requesting,
    Selecting,
    State,
    Stopped,
    V6Only,
)
from .replies import Offer
from .state import ClientState, next_deadline
from .table import TABLE, Transition, TransitionError, Trigger, diagram, legal_events, transitions

__all__ = [
    "BROADCAST",
    "DEFAULT_PARAMETER_REQUEST_LIST",
    "INFINITE",
    "MIN_V6ONLY_WAIT",
    "TABLE",
    "Action",
    "Advance",
    "Announce",
    "Bound",
    "Checking",
    "Client",
    "ClientConfig",
    "ClientIdForm",
    "ClientState",
    "Configure",
    "Deconfigure",
    "Detached",
    "Discard",
    "Event",
    "InformRequested",
    "Informed",
    "Informing",
    "Init",
    "InitReboot",
    "Lease",
    "LinkDown",
    "LinkUp",
    "MessageReceived",
    "Notify",
    "Offer",
    "OfferPolicy",
    "Probe",
    "ProbeResult",
    "Rebinding",
    "Rebooting",
    "Record",
    "ReleaseRequested",
    "RenewRequested",
    "Renewing",
    "Requesting",
    "Selecting",
    "Send",
    "Start",
    "State",
    "Stop",
    "Stopped",
    "TimerFired",
    "Transition",
    "TransitionError",
    "Trigger",
    "V6Only",
    "V6OnlyWait",
    "advance",
    "default_iaid",
    "diagram",
    "duid_ll",
    "legal_events",
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
