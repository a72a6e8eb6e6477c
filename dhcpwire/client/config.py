"""The client's configuration: who it is and how it behaves (RFC 2131 section 4.4).

Rules of this module:

* A :class:`ClientConfig` is a frozen value, validated when it is built, so
  the state machine never meets a configuration that breaks an RFC rule
  (a parameter request list with 121 after 3, both host name and FQDN ...).
  A value of the wrong type raises ``TypeError``, a bad value ``ValueError``.
* It converts to and from JSON-safe data, so a saved client state carries
  its configuration with it; data that is not a configuration raises
  :class:`~dhcpwire.DataError`.
* The client identifier is RFC 4361's node-specific form by default
  (:attr:`ClientIdForm.DUID`); the hardware form of RFC 2132 is a setting.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field, fields
from typing import Any, Final

from ..wire import codes
from ..wire.constants import HType
from ..wire.errors import DataError
from ..wire.values import ClientFQDN, ClientIdentifier, UserClass

__all__ = ["DEFAULT_PARAMETER_REQUEST_LIST", "MANAGED_OPTIONS", "ClientConfig", "ClientIdForm",
           "OfferPolicy", "default_iaid", "duid_ll"]

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

#: RFC 3315 section 9.1 (RFC 8415 section 11.1): "The length of a DUID (not
#: including the type code) is at least 1 octet and at most 128 octets."
_DUID_MAX: Final = 130


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


class ClientIdForm(enum.Enum):
    """The form of the client identifier (option 61) the client sends."""

    #: RFC 4361 section 6.1: type 255, the IAID, then the DUID ("DHCPv4
    #: clients MUST send a 'client identifier' option containing an Identity
    #: Association Unique Identifier ... and a DHCP Unique Identifier").
    DUID = "duid"
    #: RFC 2132 section 9.14: the hardware type and the hardware address, the
    #: form RFC 2131 suggests and RFC 4361 section 6.1 forbids ("MUST NOT use
    #: client identifiers based solely on layer two addresses").
    HARDWARE = "hardware"


def duid_ll(htype: int, address: bytes) -> bytes:
    """A DUID based on a link-layer address (DUID-LL; RFC 3315 section 9.4,
    RFC 8415 section 11.4): DUID type 3, the 16-bit hardware type, the address.

    >>> duid_ll(1, bytes.fromhex("02005e105301")).hex()
    '0003000102005e105301'
    """
    return (3).to_bytes(2, "big") + int(htype).to_bytes(2, "big") + bytes(address)


def default_iaid(address: bytes) -> int:
    """The IAID used unless one is given: the last four octets of the hardware
    address, as dhcpcd and NetworkManager ("mac") choose it. RFC 4361 section
    6.1: "DHCPv4 clients that support more than one network interface SHOULD
    use a different IAID on each interface."

    >>> hex(default_iaid(bytes.fromhex("02005e105301")))
    '0x5e105301'
    """
    return int.from_bytes(bytes(address)[-4:], "big")


def _number(name: str, value: object, *, integer: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise TypeError(f"{name} must be {'an int' if integer else 'a number'}, "
                        f"not {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be finite")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConfig:
    """Everything about a client that does not change while it runs.

    >>> cfg = ClientConfig(chaddr=bytes.fromhex("02005e105301"), host_name="printer")
    >>> cfg.identifier.type, cfg.identifier.data.hex()   # RFC 4361: IAID + DUID-LL
    (255, '5e1053010003000102005e105301')
    >>> cfg.parameter_request_list[:3]
    (1, 121, 3)
    """

    #: The hardware address ('chaddr'); its length is 'hlen'.
    chaddr: bytes
    #: The hardware type ('htype'), 1 for Ethernet.
    htype: int = HType.ETHERNET
    #: Option 61 exactly as given; ``None`` builds it by ``client_id_form``.
    client_id: ClientIdentifier | None = None
    #: The form of option 61 when ``client_id`` is not given.
    client_id_form: ClientIdForm = ClientIdForm.DUID
    #: The DUID of the RFC 4361 identifier; ``None``: DUID-LL of ``htype`` and
    #: ``chaddr``. RFC 4361 section 6.1: "DHCPv4 clients that support more
    #: than one network interface SHOULD use the same DUID on every
    #: interface": give one DUID (kept in stable storage) to every client.
    duid: bytes | None = None
    #: The IAID of the RFC 4361 identifier; ``None``: :func:`default_iaid`.
    iaid: int | None = None
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
    #: The wait in INIT after a setback (a DHCPNAK, a DECLINE, a REQUEST
    #: nobody answered): uniform in [d, 2d] where d doubles from
    #: ``restart_delay`` with each setback in a row, up to ``max_restart_delay``;
    #: back to the start once bound.
    restart_delay: float = 1.0
    max_restart_delay: float = 120.0
    #: RFC 2131 section 3.1 step 5: the least wait after a DECLINE ("a
    #: minimum of ten seconds").
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
        if not isinstance(chaddr, (bytes, bytearray, memoryview)):
            raise TypeError(f"chaddr must be bytes, not {type(chaddr).__name__}")
        chaddr = bytes(chaddr)
        if len(chaddr) > 16:
            raise ValueError(f"chaddr is {len(chaddr)} octets; the field holds 16")
        object.__setattr__(self, "chaddr", chaddr)
        _number("htype", self.htype, integer=True)
        # Message wants a plain int (an IntEnum such as HType.ETHERNET is refused).
        object.__setattr__(self, "htype", int(self.htype))
        if not 0 <= self.htype <= 255:
            raise ValueError(f"htype={self.htype} does not fit in 8 bits")
        self._check_identity()
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
        self._check_timing()
        extra = tuple((int(c), bytes(v)) for c, v in self.extra_options)
        object.__setattr__(self, "extra_options", extra)
        for code, value in extra:
            if code in MANAGED_OPTIONS or not 0 < code < 255:
                raise ValueError(f"option {code} is written by the client; not an extra option")
            if len(value) > 255:
                raise ValueError(f"extra option {code} is over 255 octets")

    def _check_identity(self) -> None:
        if self.client_id is not None and not isinstance(self.client_id, ClientIdentifier):
            raise TypeError("client_id must be a ClientIdentifier")
        if not isinstance(self.client_id_form, ClientIdForm):
            raise TypeError("client_id_form must be a ClientIdForm")
        if self.duid is not None:
            if not isinstance(self.duid, bytes):
                raise TypeError("duid must be bytes")
            if not 3 <= len(self.duid) <= _DUID_MAX:
                raise ValueError("a DUID is a 2-octet type and 1-128 octets (RFC 3315 9.1)")
        if self.iaid is not None:
            _number("iaid", self.iaid, integer=True)
            if not 0 <= self.iaid <= 0xFFFFFFFF:
                raise ValueError("the IAID is a 32-bit number (RFC 4361 section 6.1)")

    def _check_timing(self) -> None:
        for name in _FLAGS:
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False")
        for f in fields(self):
            if f.name in _TIMES:
                _number(f.name, getattr(self, f.name))
        for name in ("request_tries", "inform_tries"):
            _number(name, getattr(self, name), integer=True)
        low, high = self.startup_delay
        _number("startup_delay", low)
        _number("startup_delay", high)
        object.__setattr__(self, "startup_delay", (float(low), float(high)))
        if not 0 <= low <= high:
            raise ValueError("startup_delay must be (low, high) with 0 <= low <= high")
        if not 0 <= self.jitter < self.initial_timeout <= self.max_timeout:
            raise ValueError("need 0 <= jitter < initial_timeout <= max_timeout")
        if not 0 < self.restart_delay <= self.max_restart_delay:
            raise ValueError("need 0 < restart_delay <= max_restart_delay")
        if self.request_tries < 1 or self.inform_tries < 1 or (
                self.discover_tries is not None and self.discover_tries < 1):
            raise ValueError("tries must be at least 1")
        if self.decline_backoff < 0 or self.selection_window < 0:
            raise ValueError("decline_backoff and selection_window must not be negative")
        if self.renew_min_interval <= 0:
            raise ValueError("renew_min_interval must be positive")

    @property
    def identifier(self) -> ClientIdentifier | None:
        """The option 61 the client sends, or ``None``."""
        if not self.send_client_id:
            return None
        if self.client_id is not None:
            return self.client_id
        if self.client_id_form is ClientIdForm.HARDWARE:
            return ClientIdentifier.from_hardware(self.htype, self.chaddr)
        # RFC 4361 section 6.1: "the type of the 'client identifier' option is
        # set to 255. The type field is immediately followed by the IAID ...
        # The IAID is immediately followed by the DUID".
        iaid = default_iaid(self.chaddr) if self.iaid is None else self.iaid
        duid = duid_ll(self.htype, self.chaddr) if self.duid is None else self.duid
        return ClientIdentifier.from_duid(iaid, duid)

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
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, bytes):
                value = value.hex()
            elif isinstance(value, tuple):
                value = list(value)
            data[f.name] = value
        data.update({
            "client_id": None if cid is None else [cid.type, cid.data.hex()],
            "fqdn": None if fqdn is None else [fqdn.flags, fqdn.rcode1, fqdn.rcode2, fqdn.name],
            "user_class": None if self.user_class is None else {
                "classes": [c.hex() for c in self.user_class.classes],
                "framed": self.user_class.framed},
            "extra_options": [[c, v.hex()] for c, v in self.extra_options],
        })
        return data

    @classmethod
    def from_json(cls, data: Any) -> ClientConfig:
        """The configuration of :meth:`to_json` data.

        Data saved before the identifier settings existed (dhcpwire 0.1) has
        no ``client_id_form``: it is read as the hardware form, the default
        then, so that a restored client keeps its identity with its servers.
        Raises :class:`~dhcpwire.DataError` for anything that is not such data.
        """
        if not isinstance(data, dict):
            raise DataError(f"a client configuration is a JSON object, not "
                            f"{type(data).__name__}")
        try:
            return cls(**_config_arguments(data))
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise DataError(f"client configuration: {type(exc).__name__}: {exc}") from exc


#: The fields that are True or False.
_FLAGS: Final = ("send_client_id", "broadcast", "rapid_commit", "probe", "ipv6_only_preferred",
                 "forcerenew_nonce")
#: The timing fields that must be finite numbers.
_TIMES: Final = frozenset({"initial_timeout", "max_timeout", "jitter", "restart_delay",
                           "max_restart_delay", "decline_backoff", "selection_window",
                           "renew_min_interval"})


def _unhex(text: Any) -> bytes | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError(f"expected hex text, not {type(text).__name__}")
    return bytes.fromhex(text)


def _config_arguments(data: dict[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(ClientConfig)}
    unknown = set(data) - known
    if unknown:
        raise DataError(f"client configuration: unknown keys {sorted(unknown)}")
    args = {key: value for key, value in data.items() if key in known}
    args["chaddr"] = _unhex(data["chaddr"])
    cid = data.get("client_id")
    args["client_id"] = None if cid is None else ClientIdentifier(
        int(cid[0]), _unhex(cid[1]) or b"")
    args["client_id_form"] = ClientIdForm(data.get("client_id_form", ClientIdForm.HARDWARE.value))
    args["duid"] = _unhex(data.get("duid"))
    fqdn = data.get("fqdn")
    args["fqdn"] = None if fqdn is None else ClientFQDN(*fqdn)
    args["vendor_class"] = _unhex(data.get("vendor_class"))
    uc = data.get("user_class")
    args["user_class"] = None if uc is None else UserClass(
        tuple(_unhex(c) or b"" for c in uc["classes"]), framed=uc["framed"])
    if "parameter_request_list" in data:
        args["parameter_request_list"] = tuple(data["parameter_request_list"])
    if "startup_delay" in data:
        low, high = data["startup_delay"]
        args["startup_delay"] = (low, high)
    if "offer_policy" in data:
        args["offer_policy"] = OfferPolicy(data["offer_policy"])
    args["extra_options"] = tuple((c, _unhex(v) or b"") for c, v in data.get("extra_options", ()))
    return args


def _check_prl(prl: tuple[int, ...]) -> None:
    if any(isinstance(c, bool) or not isinstance(c, int) for c in prl):
        raise TypeError("parameter request list codes must be ints")
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
