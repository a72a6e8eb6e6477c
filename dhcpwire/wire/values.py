"""Typed values of the structured options.

Each is a frozen, slotted dataclass named after what its RFC calls it; the
codec that reads and writes it lives in :mod:`dhcpwire.codecs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address

__all__ = [
    "Authentication",
    "ClasslessRoute",
    "ClientFQDN",
    "ClientIdentifier",
    "ClientNDI",
    "MachineIdentifier",
    "RelayAuthentication",
    "SipServers",
    "SixRd",
    "UserClass",
    "VendorClass",
    "VendorInfo",
]


@dataclass(frozen=True, slots=True)
class ClasslessRoute:
    """One route of option 121/249 (RFC 3442): destination network and router.

    A router of 0.0.0.0 means the destination is on-link (RFC 3442 section 2).

    RFC 3442 section 2: "the DHCP client MUST zero any bits in the subnet
    number where the corresponding bit in the mask is zero" -- so
    ``destination`` has them zeroed; when the wire had such bits set,
    ``sent`` keeps the subnet number exactly as sent (``None`` otherwise),
    so that the value still says what the wire said and encodes back to it.
    """

    destination: IPv4Network
    router: IPv4Address
    sent: IPv4Address | None = None


@dataclass(frozen=True, slots=True)
class ClientIdentifier:
    """Option 61 (RFC 2132 section 9.14): a type octet and identifier bytes.

    Type 0 is an opaque identifier, types 1-254 a hardware type followed by
    the hardware address, and type 255 RFC 4361's IAID (4 octets) + DUID.
    """

    type: int
    data: bytes

    @classmethod
    def from_hardware(cls, htype: int, address: bytes) -> ClientIdentifier:
        """The usual form: hardware type (1 for Ethernet) and the MAC address."""
        return cls(htype, bytes(address))

    @classmethod
    def from_duid(cls, iaid: int, duid: bytes) -> ClientIdentifier:
        """RFC 4361 section 6.1: type 255, a 32-bit IAID, then the DUID."""
        return cls(255, iaid.to_bytes(4, "big") + bytes(duid))

    @property
    def iaid(self) -> int | None:
        """The IAID of an RFC 4361 identifier (type 255), else ``None``."""
        if self.type != 255 or len(self.data) < 4:
            return None
        return int.from_bytes(self.data[:4], "big")

    @property
    def duid(self) -> bytes | None:
        """The DUID of an RFC 4361 identifier (type 255), else ``None``."""
        return self.data[4:] if self.type == 255 and len(self.data) >= 4 else None

    @property
    def hardware_address(self) -> bytes | None:
        """The hardware address when ``type`` is a hardware type (1-254)."""
        return self.data if 0 < self.type < 255 else None


@dataclass(frozen=True, slots=True)
class ClientFQDN:
    """Option 81 (RFC 4702 section 2).

    ``flags`` holds S (0x01), O (0x02), E (0x04) and N (0x08). With E set the
    name is in DNS wire format: a name ending with ``"."`` is fully
    qualified, one without is a partial name (no terminating root label,
    section 2.3.1). With E clear the name is the deprecated ASCII form.
    """

    flags: int
    rcode1: int
    rcode2: int
    name: str

    S = 0x01
    O = 0x02  # noqa: E741 - the RFC's name for the bit
    E = 0x04
    N = 0x08

    @property
    def wire_format(self) -> bool:
        return bool(self.flags & 0x04)

    @property
    def server_updates(self) -> bool:
        """S: the client asks the server to perform the A RR update."""
        return bool(self.flags & 0x01)

    @property
    def no_updates(self) -> bool:
        """N: the client asks the server to perform no DNS updates."""
        return bool(self.flags & 0x08)


@dataclass(frozen=True, slots=True)
class UserClass:
    """Option 77 (RFC 3004): the user class instances.

    ``framed`` is False for the unframed form some clients send (a bare
    string, not length-prefixed instances); it is then one instance.
    """

    classes: tuple[bytes, ...]
    framed: bool = True


@dataclass(frozen=True, slots=True)
class VendorClass:
    """One enterprise's block in option 124 (RFC 3925 section 3)."""

    enterprise: int
    classes: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class VendorInfo:
    """One enterprise's block in option 125 (RFC 3925 section 4) or relay sub-option 9
    (RFC 4243): its sub-options as (code, bytes) pairs in wire order."""

    enterprise: int
    suboptions: tuple[tuple[int, bytes], ...]


@dataclass(frozen=True, slots=True)
class Authentication:
    """Option 90 (RFC 3118 section 2)."""

    protocol: int
    algorithm: int
    rdm: int
    replay_detection: int
    information: bytes


@dataclass(frozen=True, slots=True)
class SipServers:
    """Option 120 (RFC 3361): SIP servers as domain names (encoding 0) or
    addresses (encoding 1); exactly one of the two is non-empty."""

    domains: tuple[str, ...] = ()
    addresses: tuple[IPv4Address, ...] = ()


@dataclass(frozen=True, slots=True)
class ClientNDI:
    """Option 94 (RFC 4578 section 2.2): network interface type and UNDI version."""

    interface_type: int
    major: int
    minor: int


@dataclass(frozen=True, slots=True)
class MachineIdentifier:
    """Option 97 (RFC 4578 section 2.3): type 0 and a 16-octet UUID/GUID."""

    type: int
    guid: bytes


@dataclass(frozen=True, slots=True)
class SixRd:
    """Option 212 (RFC 5969 section 7.1.1): IPv4 mask length, 6rd prefix and
    its length, and the 6rd border relay addresses."""

    ipv4_mask_len: int
    prefix_len: int
    prefix: IPv6Address
    border_relays: tuple[IPv4Address, ...]


@dataclass(frozen=True, slots=True)
class RelayAuthentication:
    """Relay agent sub-option 8 (RFC 4030 section 4): algorithm, replay
    detection method and value, the relay identifier, and the MAC.

    ``reserved`` is the 4-bit MBZ field as sent: RFC 4030 section 4, "These
    bits SHOULD be set to zero and MUST NOT be used when the suboption is
    processed" -- kept, not used, so the value encodes back to the wire.
    """

    algorithm: int
    rdm: int
    replay_detection: int
    relay_identifier: int
    information: bytes
    reserved: int = 0
