"""The client's state: one immutable value holding its configuration and where it is.

Rules of this module:

* A :class:`ClientState` is a value; :func:`~dhcpwire.client.step` returns a
  new one and never changes the one it was given. It holds the
  configuration, the record of the state the client is in (one small
  frozen record per state, :mod:`.records`) and the count of setbacks in a
  row that spaces restarts out.
* :func:`next_deadline` derives the next timer from the state alone
  (aioquic's ``get_timer()``): nothing is set or cancelled by commands.
* :meth:`ClientState.to_json` writes version 2 of the saved form;
  :meth:`ClientState.from_json` reads version 2 and version 1 (dhcpwire
  0.1's flat form) and raises :class:`~dhcpwire.DataError` for anything else.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any, Final

from ..wire.errors import DataError, DhcpwireDeprecationWarning
from .config import ClientConfig
from .lease import Lease
from .records import (
    RECORDS,
    Bound,
    Checking,
    Detached,
    Informed,
    Init,
    InitReboot,
    Rebinding,
    Rebooting,
    Record,
    Renewing,
    State,
    Stopped,
    record_from_json,
    record_to_json,
)

__all__ = ["CONFIGURED", "ClientState", "State", "next_deadline"]

#: The states in which the lease's address is configured on the interface.
CONFIGURED: Final = frozenset({State.BOUND, State.RENEWING, State.REBINDING})
#: Where a new client is.
_STOPPED: Final = Stopped()
#: The version :meth:`ClientState.to_json` writes.
JSON_VERSION: Final = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientState:
    """The whole of a client: its configuration, and where it is with that state's data.

    Build the first one with ``ClientState(config=...)`` (STOPPED).
    """

    config: ClientConfig
    #: Where the client is, with the data of that state (:mod:`.records`).
    record: Record = _STOPPED
    #: Setbacks in a row (DHCPNAKs, DECLINEs, REQUESTs nobody answered):
    #: the next restart waits longer. Zero once bound.
    setbacks: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.config, ClientConfig):
            raise TypeError(f"config must be a ClientConfig, not {type(self.config).__name__}")
        if type(self.record) not in RECORDS.values():
            raise TypeError(f"record must be a client record, not {type(self.record).__name__}")
        if isinstance(self.setbacks, bool) or not isinstance(self.setbacks, int):
            raise TypeError("setbacks must be an int")
        if self.setbacks < 0:
            raise ValueError("setbacks must not be negative")

    @property
    def phase(self) -> State:
        """Where the client is in RFC 2131 figure 5 (derived from :attr:`record`)."""
        return self.record.phase

    @property
    def name(self) -> State:
        """Deprecated: the state is :attr:`phase` (``name`` is kept for one release)."""
        warnings.warn("ClientState.name is deprecated: use ClientState.phase",
                      DhcpwireDeprecationWarning, stacklevel=2)
        return self.phase

    @property
    def lease(self) -> Lease | None:
        """The lease in use (BOUND, RENEWING, REBINDING), being checked
        (CHECKING) or verified (INIT-REBOOT, REBOOTING), the parameters of a
        DHCPINFORM (INFORMED), or the one held before (to suggest its
        address again, or to verify at the next start)."""
        record = self.record
        if isinstance(record, (Checking, Bound, Renewing, Rebinding, InitReboot, Rebooting)):
            return record.lease
        if isinstance(record, Informed):
            return record.configuration
        if isinstance(record, Detached):
            return record.resume if isinstance(record.resume, Lease) else None
        return getattr(record, "previous", None)

    @property
    def xid(self) -> int | None:
        """The transaction in progress, or ``None``."""
        return getattr(self.record, "xid", None)

    @property
    def configured(self) -> bool:
        """True when the lease's address is in use on the interface."""
        return self.phase in CONFIGURED

    # -- JSON ----------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Plain JSON-safe data; :meth:`from_json` gives back an equal state.

        Times are on the caller's clock; after a restart of the host pass
        ``shift`` to :meth:`from_json`, or better, start afresh with
        ``Start(lease=saved.lease)`` (the interface lost its address).
        """
        return {"version": JSON_VERSION, "config": self.config.to_json(),
                "setbacks": self.setbacks, "record": record_to_json(self.record)}

    @classmethod
    def from_json(cls, data: Any, *, shift: float = 0.0) -> ClientState:
        """The state of ``to_json`` data (version 2, or dhcpwire 0.1's version 1),
        every time moved by ``shift`` seconds.

        Raises :class:`~dhcpwire.DataError` for data that is not a saved state.
        """
        if not isinstance(data, dict):
            raise DataError(f"a client state is a JSON object, not {type(data).__name__}")
        version = data.get("version")
        record: Any
        setbacks: Any
        if version == 1:
            record, setbacks = _record_of_v1(data), 0
        elif version == JSON_VERSION:
            record = data.get("record")
            setbacks = data.get("setbacks")
        else:
            raise DataError(f"unknown client state version {version!r}")
        config = ClientConfig.from_json(data.get("config"))
        try:
            return cls(config=config, record=record_from_json(record, shift=shift),
                       setbacks=setbacks)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"client state: {exc}") from exc


def _record_of_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 state (one flat object of optional fields) as version 2's record.

    Version 1 did not record when a REQUEST was first sent; the start of the
    exchange ('started_at') stands in, the earlier and so the safer time.
    """
    try:
        phase = State(data["phase"] if "phase" in data else data["name"])
        lease = data["lease"]
        held = lease if isinstance(lease, dict) and lease.get("lease_time") is not None else None
        inform = data["inform_address"]
        candidates: dict[str, Any] = {
            "xid": data["xid"], "sent_at": data["started_at"], "started_at": data["started_at"],
            "attempts": data["attempts"], "retransmit_at": data["retransmit_at"],
            "secs": data["secs"], "wake_at": data["wake_at"], "offers": data["offers"],
            "window_end": data["window_end"], "offer": data["offer"],
            "address": inform, "server": data["inform_server"],
            "lease": None if lease is None else {"lease": lease},
            "previous": None if held is None else {"lease": held},
            "configuration": None if lease is None else {"lease": lease},
        }
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError(f"client state version 1: {type(exc).__name__}: {exc}") from exc
    cls = RECORDS[phase]
    if cls is Informed and candidates["address"] is None and isinstance(lease, dict):
        candidates["address"] = lease.get("address")
    if cls is Detached:
        candidates["resume"] = candidates["previous"] if held is not None else (
            None if inform is None else {"address": inform, "server": data["inform_server"]})
    names = {f.name for f in dataclasses.fields(cls)}
    record: dict[str, Any] = {"phase": phase.value}
    record.update({k: v for k, v in candidates.items()
                   if k in names and (v is not None or k == "server")})
    if cls is Init and record.get("wake_at") is None:
        record["wake_at"] = data.get("started_at") or 0.0
    return record


def next_deadline(state: ClientState) -> float | None:
    """When to feed :class:`~dhcpwire.client.TimerFired` next (the caller's clock), or ``None``.

    Derived from the state alone. After any :func:`~dhcpwire.client.step`
    it is never earlier than that step's ``now``: a deadline that passed
    unfired is handled by the next step, whatever its event.
    """
    return state.record.deadline
