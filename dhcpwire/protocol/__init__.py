"""The protocol's shared rules: RFC 2131's tables as data, and the actions every agent returns.

This layer sits between the wire format (:mod:`dhcpwire.wire`) and the
agents (:mod:`dhcpwire.client`, :mod:`dhcpwire.server`, :mod:`dhcpwire.relay`):
what RFC 2131 says about which fields and options each message carries is
written down once here, in :mod:`.rfc2131`, and read by every agent and by
``dhcpwire lint``; :mod:`.actions` is the one family of "send" actions.
"""

from __future__ import annotations

from .actions import BROADCAST, Discard, Send
from .rfc2131 import check_reply, request_state

__all__ = ["BROADCAST", "Discard", "Send", "check_reply", "request_state"]
