"""The outputs of the client machine: commands the caller carries out.

:class:`~dhcpwire.protocol.actions.Send` and
:class:`~dhcpwire.protocol.actions.Discard` are the family every agent
shares; the rest are the client's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from ..protocol.actions import Discard, Send
from .lease import Lease

__all__ = ["Action", "Announce", "Configure", "Deconfigure", "Discard", "Notify", "Probe",
           "Send", "V6OnlyWait"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """Check that nobody uses ``address`` (ARP probe, sender IP 0; RFC 2131
    sections 2.2 and 4.4.1), then report :class:`ProbeResult`."""

    address: IPv4Address


@dataclass(frozen=True, slots=True, kw_only=True)
class Announce:
    """Broadcast an ARP announcement for ``address`` (RFC 2131 section 4.4.1:
    "The client SHOULD broadcast an ARP reply to announce the client's new IP
    address")."""

    address: IPv4Address


@dataclass(frozen=True, slots=True, kw_only=True)
class Configure:
    """Configure the interface with ``lease`` (again, with new times, after a renewal)."""

    lease: Lease


@dataclass(frozen=True, slots=True, kw_only=True)
class Deconfigure:
    """Stop using ``address`` and the parameters that came with it."""

    address: IPv4Address



@dataclass(frozen=True, slots=True, kw_only=True)
class V6OnlyWait:
    """RFC 8925: the network prefers IPv6-only; DHCPv4 is stopped for ``seconds``."""

    seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Notify:
    """Tell the user something the RFC says they should hear about."""

    text: str



#: Every output of :func:`~dhcpwire.client.step`.
Action = Send | Probe | Announce | Configure | Deconfigure | Discard | V6OnlyWait | Notify
