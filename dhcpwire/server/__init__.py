"""The RFC 2131 DHCP server (section 4.3) as pure functions, sans-IO.

``handle(state, message, *, now) -> (state, actions)`` answers one message;
``expire(state, *, now)`` runs the clock; ``forcerenew(state, address, *,
now)`` asks a bound client to renew (RFC 3203); :class:`Server` holds a
state around them. The package's modules: :mod:`.state` (the state value
and the entry points), :mod:`.rules` (what each client message gets, RFC
2131 section 4.3 and table 4), :mod:`.facts` (who and where the client is),
:mod:`.replies` (table 3 and section 4.1 delivery), :mod:`.leases` (lease
records, the actions that report their changes, and the life-cycle table),
:mod:`.store` (the journaled containers), and :mod:`.config` (what an
administrator sets).
"""

from __future__ import annotations

import warnings
from typing import Any

from ..protocol.actions import Discard, Send
from ..protocol.rfc2131 import check_reply
from ..protocol.rfc6704 import sign_forcerenew
from ..wire.constants import INFINITE
from ..wire.errors import DhcpwireDeprecationWarning
from .config import Reservation, ServerConfig, Subnet
from .facts import client_key
from .leases import (
    LIFECYCLE,
    Action,
    LeaseAction,
    LeaseCommitted,
    LeaseDeclined,
    LeaseExpired,
    LeaseOffered,
    LeaseRecord,
    LeaseReleased,
    LeaseRenewed,
    LeaseState,
    lifecycle_diagram,
)
from .replies import DELIVERY_RULES
from .rules import HANDLERS, REQUEST_KINDS
from .state import (
    MAX_NOW,
    Server,
    ServerState,
    expire,
    forcerenew,
    fork,
    handle,
    next_deadline,
    replay,
    restore,
    snapshot,
)

__all__ = [
    "DELIVERY_RULES",
    "HANDLERS",
    "INFINITE",
    "LIFECYCLE",
    "MAX_NOW",
    "REQUEST_KINDS",
    "Action",
    "Discard",
    "LeaseAction",
    "LeaseCommitted",
    "LeaseDeclined",
    "LeaseExpired",
    "LeaseOffered",
    "LeaseRecord",
    "LeaseReleased",
    "LeaseRenewed",
    "LeaseState",
    "Reservation",
    "Send",
    "Server",
    "ServerConfig",
    "ServerState",
    "Subnet",
    "check_reply",
    "client_key",
    "expire",
    "forcerenew",
    "fork",
    "handle",
    "lifecycle_diagram",
    "next_deadline",
    "replay",
    "restore",
    "sign_forcerenew",
    "snapshot",
]


def __getattr__(name: str) -> Any:
    if name == "Lease":
        warnings.warn("dhcpwire.server.Lease is deprecated: the server's record of an "
                      "address is dhcpwire.server.LeaseRecord (dhcpwire.client.Lease is "
                      "the lease a client holds)", DhcpwireDeprecationWarning, stacklevel=2)
        return LeaseRecord
    if name == "SendReply":
        warnings.warn("dhcpwire.server.SendReply is deprecated: replies are "
                      "dhcpwire.server.Send (the action every agent returns)",
                      DhcpwireDeprecationWarning, stacklevel=2)
        return Send
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
