"""Where the client is, with exactly the data of that place: one small frozen record per state.

Rules of this module:

* A record holds the data of one state of RFC 2131 figure 5 (and of the
  states the figure leaves implicit) and nothing else, so an illegal
  combination -- a REQUESTING client without the offer it requests, a
  BOUND one without a lease -- cannot be built. Each record knows its
  :class:`State` (``phase``) and its next deadline (``deadline``).
* Records validate what they are given (``TypeError`` for a wrong type,
  ``ValueError`` for a value that breaks the state's invariant); no
  ``assert`` carries an invariant.
* :func:`record_to_json` and :func:`record_from_json` convert any record
  to and from plain JSON data, field by field from the record's own type
  annotations.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any, ClassVar, Final, get_type_hints

from ..wire.decoder import decode
from ..wire.encoder import encode
from ..wire.errors import DataError, DecodeError
from ..wire.message import Message
from .events import InformRequested
from .lease import Lease
from .replies import Offer

__all__ = [
    "Bound",
    "Checking",
    "Detached",
    "Informed",
    "Informing",
    "Init",
    "InitReboot",
    "Rebinding",
    "Rebooting",
    "Record",
    "Renewing",
    "Requesting",
    "Selecting",
    "State",
    "Stopped",
    "V6Only",
    "record_from_json",
    "record_to_json",
]


class State(enum.Enum):
    """The client's states: figure 5's eight, and six the figure leaves implicit."""

    #: Not running (before Start, after Stop or RELEASE).
    STOPPED = "STOPPED"
    INIT = "INIT"
    SELECTING = "SELECTING"
    REQUESTING = "REQUESTING"
    #: Waiting for the caller's probe of an ACKed address (RFC 2131 section 4.4.1).
    CHECKING = "CHECKING"
    BOUND = "BOUND"
    RENEWING = "RENEWING"
    REBINDING = "REBINDING"
    INIT_REBOOT = "INIT-REBOOT"
    REBOOTING = "REBOOTING"
    #: DHCPINFORM sent, waiting for the ACK (RFC 2131 section 4.4.3).
    INFORMING = "INFORMING"
    #: Configured by DHCPINFORM's ACK; no lease.
    INFORMED = "INFORMED"
    #: DHCPv4 stopped because an OFFER said IPv6-only is preferred (RFC 8925).
    V6ONLY = "V6ONLY-WAIT"
    #: The link is down; nothing is sent until LinkUp.
    LINK_DOWN = "LINK-DOWN"


def _earliest(*times: float | None) -> float | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _held(lease: Lease, where: str) -> None:
    if not isinstance(lease, Lease):
        raise TypeError(f"{where}: a Lease, not {type(lease).__name__}")
    if not lease.held:
        raise ValueError(f"{where}: a lease with a lease time and a server identifier")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Record:
    phase: ClassVar[State]

    def __post_init__(self) -> None:
        where = type(self).__name__
        for name in _field_names(type(self)):
            value = getattr(self, name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{where}.{name} must be finite")
            # A lease in use, checked, verified or to resume has a lease time
            # and a server identifier (a DHCPINFORM's configuration has neither).
            if name == "lease" or (name == "resume" and isinstance(value, Lease)):
                _held(value, where)

    @property
    def deadline(self) -> float | None:
        """When the record's timer fires next, or ``None``."""
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Exchange(_Record):
    """A transaction in progress: its xid, first transmission and retransmissions."""

    xid: int
    #: When the first message of the transaction was sent.
    sent_at: float
    #: Transmissions so far, and when to retransmit.
    attempts: int
    retransmit_at: float

    def __post_init__(self) -> None:
        _Record.__post_init__(self)
        if not 0 <= self.xid <= 0xFFFFFFFF or self.attempts < 1:
            raise ValueError(f"{type(self).__name__}: xid is 32 bits, attempts at least 1")

    @property
    def deadline(self) -> float | None:
        return self.retransmit_at


@dataclass(frozen=True, slots=True, kw_only=True)
class Stopped(_Record):
    """Not running; ``previous`` is the lease to verify at the next Start."""

    phase: ClassVar[State] = State.STOPPED
    previous: Lease | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Waiting(_Record):
    """Waiting until ``wake_at`` to send a DISCOVER; ``previous`` is the lease
    held before, whose address the DISCOVER suggests."""

    wake_at: float
    previous: Lease | None = None

    @property
    def deadline(self) -> float | None:
        return self.wake_at


@dataclass(frozen=True, slots=True, kw_only=True)
class Init(_Waiting):
    """Waiting until ``wake_at`` to send a DISCOVER (the start-up delay, the
    wait after a setback); ``previous`` is the lease held before, whose
    address the DISCOVER suggests."""

    phase: ClassVar[State] = State.INIT


@dataclass(frozen=True, slots=True, kw_only=True)
class Selecting(_Exchange):
    """DISCOVER sent at ``sent_at``; ``offers`` collected until ``window_end``."""

    phase: ClassVar[State] = State.SELECTING
    #: 'secs' of the last DISCOVER; the REQUEST repeats it.
    secs: int = 0
    offers: tuple[Offer, ...] = ()
    window_end: float | None = None
    previous: Lease | None = None

    def __post_init__(self) -> None:
        _Exchange.__post_init__(self)
        if (self.window_end is None) != (not self.offers):
            raise ValueError("Selecting: a selection window exactly when offers are held")

    @property
    def deadline(self) -> float | None:
        return _earliest(self.retransmit_at, self.window_end)


@dataclass(frozen=True, slots=True, kw_only=True)
class Requesting(_Exchange):
    """REQUEST for ``offer`` first sent at ``sent_at`` (the lease will count from it)."""

    phase: ClassVar[State] = State.REQUESTING
    offer: Offer
    #: 'secs' of the last DISCOVER, which every REQUEST repeats.
    secs: int = 0
    previous: Lease | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Checking(_Record):
    """``lease`` ACKed; waiting for the caller's probe of its address."""

    phase: ClassVar[State] = State.CHECKING
    lease: Lease

    @property
    def deadline(self) -> float | None:
        return self.lease.expires_at


@dataclass(frozen=True, slots=True, kw_only=True)
class Bound(_Record):
    """``lease`` in use."""

    phase: ClassVar[State] = State.BOUND
    lease: Lease

    @property
    def deadline(self) -> float | None:
        lease = self.lease
        return _earliest(lease.renew_at, lease.rebind_at, lease.expires_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class Renewing(_Exchange):
    """``lease`` in use; REQUESTs unicast to its server since ``sent_at`` (T1)."""

    phase: ClassVar[State] = State.RENEWING
    lease: Lease

    @property
    def deadline(self) -> float | None:
        return _earliest(self.retransmit_at, self.lease.rebind_at, self.lease.expires_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rebinding(_Exchange):
    """``lease`` in use; REQUESTs broadcast since ``sent_at`` (T2)."""

    phase: ClassVar[State] = State.REBINDING
    lease: Lease

    @property
    def deadline(self) -> float | None:
        return _earliest(self.retransmit_at, self.lease.expires_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class InitReboot(_Record):
    """Waiting until ``wake_at`` to ask for the remembered ``lease`` again."""

    phase: ClassVar[State] = State.INIT_REBOOT
    lease: Lease
    wake_at: float

    @property
    def deadline(self) -> float | None:
        return self.wake_at


@dataclass(frozen=True, slots=True, kw_only=True)
class Rebooting(_Exchange):
    """REQUEST for the remembered ``lease``'s address first sent at ``sent_at``."""

    phase: ClassVar[State] = State.REBOOTING
    lease: Lease


@dataclass(frozen=True, slots=True, kw_only=True)
class Informing(_Exchange):
    """DHCPINFORM for the external ``address`` sent; ``server`` is asked first."""

    phase: ClassVar[State] = State.INFORMING
    address: IPv4Address
    server: IPv4Address | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Informed(_Record):
    """Configured by the ACK to a DHCPINFORM for ``address``; no lease."""

    phase: ClassVar[State] = State.INFORMED
    address: IPv4Address
    server: IPv4Address | None
    configuration: Lease


@dataclass(frozen=True, slots=True, kw_only=True)
class V6Only(_Waiting):
    """RFC 8925: DHCPv4 stopped until ``wake_at``, then a DISCOVER."""

    phase: ClassVar[State] = State.V6ONLY


@dataclass(frozen=True, slots=True, kw_only=True)
class Detached(_Record):
    """The link is down. ``resume`` says what LinkUp does: verify a lease
    (INIT-REBOOT), ask again for an external address's parameters
    (DHCPINFORM), or, when ``None``, start afresh."""

    phase: ClassVar[State] = State.LINK_DOWN
    resume: Lease | InformRequested | None = None



#: Every record: where the client is.
Record = (Stopped | Init | Selecting | Requesting | Checking | Bound | Renewing | Rebinding
          | InitReboot | Rebooting | Informing | Informed | V6Only | Detached)

RECORDS: Final[dict[State, type[_Record]]] = {
    cls.phase: cls for cls in (Stopped, Init, Selecting, Requesting, Checking, Bound, Renewing,
                               Rebinding, InitReboot, Rebooting, Informing, Informed, V6Only,
                               Detached)}


# -- JSON -----------------------------------------------------------------------------------

def _hexed(message: Message) -> str:
    return encode(message, max_size=65535).hex()


def _dump(value: Any) -> Any:
    if isinstance(value, Lease):
        return {"lease": value.to_json()}
    if isinstance(value, Message):
        return _hexed(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, IPv4Address):
        return str(value)
    if isinstance(value, tuple):
        return [_dump(item) for item in value]
    return value


def record_to_json(record: Record) -> dict[str, Any]:
    """``record`` as plain JSON data: its phase and its fields."""
    data: dict[str, Any] = {"phase": record.phase.value}
    for f in dataclasses.fields(record):
        data[f.name] = _dump(getattr(record, f.name))
    return data


def _message(text: Any) -> Message:
    if not isinstance(text, str):
        raise TypeError(f"a message is hex text, not {type(text).__name__}")
    try:
        return decode(bytes.fromhex(text), strict=False)
    except DecodeError as exc:
        raise DataError(f"a saved message does not decode: {exc}") from exc


def _load(hint: Any, value: Any, shift: float) -> Any:
    """``value`` read back as the annotation ``hint`` says."""
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, not {type(value).__name__}")
        return value
    if hint in (float, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"expected a number, not {type(value).__name__}")
        if hint is int and not isinstance(value, int):
            raise TypeError("expected an integer")
        return float(value) + shift if hint is float else value
    if hint is IPv4Address:
        if not isinstance(value, str):
            raise TypeError(f"an address is text, not {type(value).__name__}")
        return IPv4Address(value)
    if hint is Message:
        return _message(value)
    if hint is Lease:
        if not isinstance(value, dict) or set(value) != {"lease"}:
            raise TypeError("expected a saved lease")
        return Lease.from_json(value["lease"], shift=shift)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        names = [f.name for f in dataclasses.fields(hint)]
        if not isinstance(value, dict) or set(value) != set(names):
            raise TypeError(f"expected a saved {hint.__name__}")
        hints = get_type_hints(hint)
        return hint(**{name: _load(hints[name], value[name], shift) for name in names})
    args: tuple[Any, ...] = getattr(hint, "__args__", ())
    if getattr(hint, "__origin__", None) is tuple:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, not {type(value).__name__}")
        return tuple(_load(args[0], item, shift) for item in value)
    if args:  # a union: None or one of its members, told apart by the data's shape
        if value is None and type(None) in args:
            return None
        for member in args:
            if member is type(None):
                continue
            if member is Lease and not (isinstance(value, dict) and "lease" in value):
                continue
            return _load(member, value, shift)
    raise TypeError(f"unexpected saved value {value!r}")


def record_from_json(data: Any, *, shift: float = 0.0) -> Record:
    """The record of :func:`record_to_json` data, every time moved by ``shift``.

    Raises :class:`~dhcpwire.DataError` for anything else.
    """
    if not isinstance(data, dict):
        raise DataError(f"a client record is a JSON object, not {type(data).__name__}")
    try:
        cls = RECORDS[State(data["phase"])]
        hints = get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls)}
        if set(data) - {"phase"} - names:
            raise DataError(f"client record {cls.__name__}: unknown keys "
                            f"{sorted(set(data) - {'phase'} - names)}")
        args = {name: _load(hints[name], data[name], shift)
                for name in names if name in data}
        record = cls(**args)
    except DataError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise DataError(f"client record: {type(exc).__name__}: {exc}") from exc
    return record  # type: ignore[return-value]
