"""The client's configuration: who it is and how it behaves (RFC 2131 section 4.4).

Rules of this module:

* A :class:`ClientConfig` is a frozen value, validated when it is built, so
  the state machine never meets a configuration that breaks an RFC rule
  (a parameter request list with 121 after 3, both host name and FQDN ...).
* It converts to and from JSON-safe data, so a saved client state carries
  its configuration with it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Final

from ..wire import codes
from ..wire.constants import HType
from ..wire.values import ClientFQDN, ClientIdentifier, UserClass

__all__ = ["DEFAULT_PARAMETER_REQUEST_LIST", "MANAGED_OPTIONS", "ClientConfig", "OfferPolicy"]

#: What the client asks for unless told otherwise: mask, classless routes
#: *before* router (RFC 3442: "The Classless Static Routes option code MUST
#: appear in the parameter request list prior to both the Router option code
#: and the Static Routes option code"), DNS, domain name, broadcast address,
#: MTU, domain search, NTP, lease time, T1 and T2.
DEFAULT_PARAMETER_REQUEST_LIST: Final[tuple[int, ...]] = (
    codes.SUBNET_MASK, codes.CLASSLESS_STATIC_ROUTE, codes.ROUTER, codes.DOMAIN_NAME_SERVER,
    codes.DOMAIN_NAME, codes.BROADCAST_ADDRESS, codes.INTERFACE_MTU, codes.DOMAIN_SEARCH,
    codes.NTP_SERVERS, codes.IP_ADDRESS_LEASE_TIME, codes.RENEWAL_TIME, codes.REBINDING_TIME,
)

#: Options the client writes itself; ``extra_options`` may not carry them.
MANAGED_OPTIONS: Final = frozenset({
    codes.PAD, codes.END, codes.HOST_NAME, codes.REQUESTED_IP_ADDRESS,
    codes.IP_ADDRESS_LEASE_TIME, codes.OPTION_OVERLOAD, codes.MESSAGE_TYPE,
    codes.SERVER_IDENTIFIER, codes.PARAMETER_REQUEST_LIST, codes.MESSAGE,
    codes.MAXIMUM_MESSAGE_SIZE, codes.VENDOR_CLASS_IDENTIFIER, codes.CLIENT_IDENTIFIER,
    codes.USER_CLASS, codes.RAPID_COMMIT, codes.CLIENT_FQDN, codes.RELAY_AGENT_INFORMATION,
    codes.AUTHENTICATION, codes.FORCERENEW_NONCE_CAPABLE,
})


class OfferPolicy(enum.Enum):
    """How to choose among the OFFERs collected in a selection window.

    RFC 2131 section 4.4.1: the client "selects one DHCPOFFER message from
    the (possibly many) incoming DHCPOFFER messages (e.g., the first
    DHCPOFFER message or the DHCPOFFER message from the previously used
    server)".
    """

    #: The first acceptable OFFER.
    FIRST = "first"
    #: The OFFER of the address the client last held, else one from the server
    #: that leased it, else the first.
    PREVIOUS = "previous"
    #: The OFFER with the longest lease (option 51); ties go to the earliest.
    LONGEST_LEASE = "longest-lease"


def _hex(data: bytes | None) -> str | None:
    return None if data is None else data.hex()


def _unhex(text: Any) -> bytes | None:
    return None if text is None else bytes.fromhex(str(text))


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConfig:
    """Everything about a client that does not change while it runs.

    >>> cfg = ClientConfig(chaddr=bytes.fromhex("02005e105301"), host_name="printer")
    >>> cfg.identifier
    ClientIdentifier(type=1, data=b'\\x02\\x00^\\x10S\\x01')
    >>> cfg.parameter_request_list[:3]
    (1, 121, 3)
    """

    #: The hardware address ('chaddr'); its length is 'hlen'.
    chaddr: bytes
    #: The hardware type ('htype'), 1 for Ethernet.
    htype: int = HType.ETHERNET
    #: Option 61. ``None`` means the hardware form (htype + chaddr, RFC 2132
    #: section 9.14); use :meth:`ClientIdentifier.from_duid` for RFC 4361.
    client_id: ClientIdentifier | None = None
    #: Send option 61 at all (RFC 2131 section 4.4.1: the client "MAY").
    send_client_id: bool = True
    #: Option 12. RFC 4702 section 3.1: not together with ``fqdn``.
    host_name: str | None = None
    #: Option 81 (RFC 4702).
    fqdn: ClientFQDN | None = None
    #: Option 60.
    vendor_class: bytes | None = None
    #: Option 77 (RFC 3004).
    user_class: UserClass | None = None
    #: Option 55. Option 108 is added when ``ipv6_only_preferred`` is on.
    parameter_request_list: tuple[int, ...] = DEFAULT_PARAMETER_REQUEST_LIST
    #: Option 57: the largest DHCP message (IP datagram) the client accepts;
    #: set it to the interface MTU. ``None`` leaves the option out.
    max_message_size: int | None = 1500
    #: Option 51 in DISCOVER and REQUEST: the lease time to ask for.
    requested_lease_time: int | None = None
    #: Set the BROADCAST flag: true when the caller cannot receive unicast
    #: before the address is configured (a plain UDP socket).
    broadcast: bool = True
    #: Send option 80 in DISCOVER and accept an ACK carrying it (RFC 4039).
    rapid_commit: bool = False
    #: Ask the caller to probe (ARP) an address before using it.
    probe: bool = True
    #: RFC 8925: ask for option 108 and stop DHCPv4 when an OFFER carries it.
    ipv6_only_preferred: bool = False
    #: RFC 6704: send option 145 and accept FORCERENEW authenticated by nonce.
    forcerenew_nonce: bool = False
    #: RFC 2131 section 4.4.1: wait a random time in this range before the
    #: first message after Start ("between one and ten seconds").
    startup_delay: tuple[float, float] = (1.0, 10.0)
    #: RFC 2131 section 4.1: first retransmission delay, the cap, and the
    #: randomisation (uniform in -jitter..+jitter).
    initial_timeout: float = 4.0
    max_timeout: float = 64.0
    jitter: float = 1.0
    #: Transmissions of a REQUEST (REQUESTING, REBOOTING) before giving up;
    #: RFC 2131 section 3.1 step 5's example is four, 60 seconds in all.
    request_tries: int = 4
    #: Transmissions of a DISCOVER before starting afresh with a new xid;
    #: ``None`` keeps retransmitting (every 64 seconds at most).
    discover_tries: int | None = None
    #: Transmissions of an INFORM before giving up (RFC 2131 section 4.4.3).
    inform_tries: int = 4
    #: RFC 2131 section 3.1 step 5: wait after a DECLINE ("a minimum of ten
    #: seconds").
    decline_backoff: float = 10.0
    #: Seconds to collect OFFERs after the first one; 0 takes the first.
    selection_window: float = 0.0
    #: How to choose among the OFFERs of the window.
    offer_policy: OfferPolicy = OfferPolicy.FIRST
    #: RFC 2131 section 4.4.5: the least wait between retransmissions in
    #: RENEWING and REBINDING ("down to a minimum of 60 seconds").
    renew_min_interval: float = 60.0
    #: Further options, as (code, value bytes), for DISCOVER, REQUEST and
    #: INFORM (e.g. 93, 94, 97 for PXE). Not the codes the client manages.
    extra_options: tuple[tuple[int, bytes], ...] = field(default=())

    def __post_init__(self) -> None:
        chaddr = self.chaddr
        if isinstance(chaddr, str):
            chaddr = bytes.fromhex(chaddr.replace(":", "").replace("-", ""))
        if not isinstance(chaddr, bytes):
            chaddr = bytes(chaddr)
        if len(chaddr) > 16:
            raise ValueError(f"chaddr is {len(chaddr)} octets; the field holds 16")
        object.__setattr__(self, "chaddr", chaddr)
        # Message wants a plain int (an IntEnum such as HType.ETHERNET is refused).
        object.__setattr__(self, "htype", int(self.htype))
        if not 0 <= self.htype <= 255:
            raise ValueError(f"htype={self.htype} does not fit in 8 bits")
        # RFC 4702 section 3.1: "clients that send the Client FQDN option in
        # their messages MUST NOT also send the Host Name option."
        if self.host_name is not None and self.fqdn is not None:
            raise ValueError("host_name and fqdn are exclusive (RFC 4702 section 3.1)")
        prl = tuple(self.parameter_request_list)
        object.__setattr__(self, "parameter_request_list", prl)
        _check_prl(prl)
        if self.max_message_size is not None and not 576 <= self.max_message_size <= 0xFFFF:
            # RFC 2132 section 9.10: "The minimum legal value is 576 octets."
            raise ValueError("max_message_size must be 576-65535 (RFC 2132 section 9.10)")
        if self.requested_lease_time is not None and not (
                0 < self.requested_lease_time <= 0xFFFFFFFF):
            raise ValueError("requested_lease_time must be 1-0xFFFFFFFF seconds")
        low, high = self.startup_delay
        object.__setattr__(self, "startup_delay", (float(low), float(high)))
        if not 0 <= low <= high:
            raise ValueError("startup_delay must be (low, high) with 0 <= low <= high")
        if not 0 <= self.jitter < self.initial_timeout <= self.max_timeout:
            raise ValueError("need 0 <= jitter < initial_timeout <= max_timeout")
        if self.request_tries < 1 or self.inform_tries < 1 or (
                self.discover_tries is not None and self.discover_tries < 1):
            raise ValueError("tries must be at least 1")
        if self.decline_backoff < 0 or self.selection_window < 0:
            raise ValueError("decline_backoff and selection_window must not be negative")
        if self.renew_min_interval <= 0:
            raise ValueError("renew_min_interval must be positive")
        extra = tuple((int(c), bytes(v)) for c, v in self.extra_options)
        object.__setattr__(self, "extra_options", extra)
        for code, value in extra:
            if code in MANAGED_OPTIONS or not 0 < code < 255:
                raise ValueError(f"option {code} is written by the client; not an extra option")
            if len(value) > 255:
                raise ValueError(f"extra option {code} is over 255 octets")

    @property
    def identifier(self) -> ClientIdentifier | None:
        """The option 61 the client sends, or ``None``."""
        if not self.send_client_id:
            return None
        if self.client_id is not None:
            return self.client_id
        return ClientIdentifier.from_hardware(self.htype, self.chaddr)

    @property
    def requested_options(self) -> tuple[int, ...]:
        """The parameter request list as sent (with 108 when RFC 8925 is on)."""
        prl = self.parameter_request_list
        if self.ipv6_only_preferred and codes.IPV6_ONLY_PREFERRED not in prl:
            # RFC 8925 section 3.2: a client that supports the option includes
            # its code in the parameter request list.
            prl = (*prl, codes.IPV6_ONLY_PREFERRED)
        return prl

    # -- JSON --------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Plain JSON-safe data (``from_json`` gives back an equal config)."""
        cid = self.client_id
        fqdn = self.fqdn
        return {
            "chaddr": self.chaddr.hex(),
            "htype": self.htype,
            "client_id": None if cid is None else [cid.type, cid.data.hex()],
            "send_client_id": self.send_client_id,
            "host_name": self.host_name,
            "fqdn": None if fqdn is None else [fqdn.flags, fqdn.rcode1, fqdn.rcode2, fqdn.name],
            "vendor_class": _hex(self.vendor_class),
            "user_class": None if self.user_class is None else {
                "classes": [c.hex() for c in self.user_class.classes],
                "framed": self.user_class.framed},
            "parameter_request_list": list(self.parameter_request_list),
            "max_message_size": self.max_message_size,
            "requested_lease_time": self.requested_lease_time,
            "broadcast": self.broadcast,
            "rapid_commit": self.rapid_commit,
            "probe": self.probe,
            "ipv6_only_preferred": self.ipv6_only_preferred,
            "forcerenew_nonce": self.forcerenew_nonce,
            "startup_delay": list(self.startup_delay),
            "initial_timeout": self.initial_timeout,
            "max_timeout": self.max_timeout,
            "jitter": self.jitter,
            "request_tries": self.request_tries,
            "discover_tries": self.discover_tries,
            "inform_tries": self.inform_tries,
            "decline_backoff": self.decline_backoff,
            "selection_window": self.selection_window,
            "offer_policy": self.offer_policy.value,
            "renew_min_interval": self.renew_min_interval,
            "extra_options": [[c, v.hex()] for c, v in self.extra_options],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClientConfig:
        cid = data["client_id"]
        fqdn = data["fqdn"]
        uc = data["user_class"]
        low, high = data["startup_delay"]
        return cls(
            chaddr=bytes.fromhex(data["chaddr"]),
            htype=data["htype"],
            client_id=None if cid is None else ClientIdentifier(cid[0], bytes.fromhex(cid[1])),
            send_client_id=data["send_client_id"],
            host_name=data["host_name"],
            fqdn=None if fqdn is None else ClientFQDN(*fqdn),
            vendor_class=_unhex(data["vendor_class"]),
            user_class=None if uc is None else UserClass(
                tuple(bytes.fromhex(c) for c in uc["classes"]), framed=uc["framed"]),
            parameter_request_list=tuple(data["parameter_request_list"]),
            max_message_size=data["max_message_size"],
            requested_lease_time=data["requested_lease_time"],
            broadcast=data["broadcast"],
            rapid_commit=data["rapid_commit"],
            probe=data["probe"],
            ipv6_only_preferred=data["ipv6_only_preferred"],
            forcerenew_nonce=data["forcerenew_nonce"],
            startup_delay=(low, high),
            initial_timeout=data["initial_timeout"],
            max_timeout=data["max_timeout"],
            jitter=data["jitter"],
            request_tries=data["request_tries"],
            discover_tries=data["discover_tries"],
            inform_tries=data["inform_tries"],
            decline_backoff=data["decline_backoff"],
            selection_window=data["selection_window"],
            offer_policy=OfferPolicy(data["offer_policy"]),
            renew_min_interval=data["renew_min_interval"],
            extra_options=tuple((c, bytes.fromhex(v)) for c, v in data["extra_options"]),
        )


def _check_prl(prl: tuple[int, ...]) -> None:
    if any(not 0 < c < 255 for c in prl):
        raise ValueError("parameter request list codes must be 1-254")
    # RFC 4039 section 3: "The Rapid Commit option MUST NOT appear in a
    # Parameter Request List option".
    if codes.RAPID_COMMIT in prl:
        raise ValueError("option 80 must not be requested (RFC 4039 section 3)")
    if codes.CLASSLESS_STATIC_ROUTE in prl:
        # RFC 3442: clients that send a parameter request list "MUST request
        # both this option and the Router option"; 121 "MUST appear in the
        # parameter request list prior to both the Router option code and the
        # Static Routes option code, if present."
        if codes.ROUTER not in prl:
            raise ValueError("requesting 121 requires requesting 3 too (RFC 3442)")
        at = prl.index(codes.CLASSLESS_STATIC_ROUTE)
        for code in (codes.ROUTER, codes.STATIC_ROUTE):
            if code in prl and prl.index(code) < at:
                raise ValueError(f"121 must come before {code} in the list (RFC 3442)")
