"""The lease database: the server's lease actions, made durable before the replies go out.

Rules of this module:

* RFC 2131 section 3.1 step 4: "The server selected in the DHCPREQUEST
  message commits the binding for the client to persistent storage and
  responds with a DHCPACK message". The daemon feeds every lease action
  the state machine returns to :meth:`LeaseDatabase.record`, calls
  :meth:`LeaseDatabase.commit` (durable when it returns), and only then
  sends the replies. Actions of packets that arrived together share one
  commit (group commit): durable before the reply is the rule, not one
  transaction per packet.
* The database holds the server's own records, one row per address ever
  used (:class:`~dhcpwire.server.LeaseRecord`), and the client index (which
  address each client key last held): exactly what
  :func:`~dhcpwire.server.restore` needs, so a restart rebuilds the state
  the server had at its last commit.
* :class:`SQLiteLeaseDatabase` is the implementation: the standard
  library's sqlite3, write-ahead log, ``synchronous=FULL`` (a commit is on
  disk when it returns, also across a power cut), one writer.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path
from typing import Final, Protocol

from ..server import (
    LeaseAction,
    LeaseCommitted,
    LeaseOffered,
    LeaseRecord,
    LeaseRenewed,
    LeaseState,
)

__all__ = ["LeaseDatabase", "LeaseRow", "Pending", "SQLiteLeaseDatabase", "Stored"]

SCHEMA_VERSION: Final = 1
#: The actions after which the client index points at the action's address
#: (as the server's own index does).
_INDEXED: Final = (LeaseOffered, LeaseCommitted, LeaseRenewed)

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (
    address INTEGER PRIMARY KEY,        -- IPv4 address as an int
    client TEXT NOT NULL,               -- the server's client key (id:... or hw:...)
    hardware_address BLOB NOT NULL,
    state TEXT NOT NULL,                -- offered, bound, released, expired, declined, free
    expires REAL,                       -- NULL: never (an infinite lease)
    lease_time INTEGER NOT NULL,
    hostname TEXT,                      -- option 12 of the client's last message
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (client TEXT PRIMARY KEY, address INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value REAL NOT NULL);
"""

_UPSERT: Final = """
INSERT INTO leases (address, client, hardware_address, state, expires, lease_time, hostname,
                    updated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (address) DO UPDATE SET
    client = excluded.client, hardware_address = excluded.hardware_address,
    state = excluded.state, expires = excluded.expires, lease_time = excluded.lease_time,
    hostname = COALESCE(excluded.hostname,
                        CASE WHEN leases.client = excluded.client THEN leases.hostname END),
    updated = excluded.updated
"""


@dataclass(frozen=True, slots=True)
class Pending:
    """Changes recorded and not yet written: lease rows, client index rows, counters."""

    rows: list[tuple[object, ...]]
    clients: dict[str, int | None]
    counters: dict[str, float] | None

    def __bool__(self) -> bool:
        return bool(self.rows or self.clients or self.counters is not None)


@dataclass(frozen=True, slots=True)
class Stored:
    """What a database gives back at start: every record and the client index."""

    records: tuple[LeaseRecord, ...]
    clients: dict[str, IPv4Address]


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseRow:
    """One row, as ``dhcpwire leases`` shows it."""

    address: IPv4Address
    hardware_address: str
    client_id: str | None
    hostname: str | None
    state: str
    expires: float | None
    lease_time: int
    client: str

    def to_json(self) -> dict[str, object]:
        return {"address": str(self.address), "hardware_address": self.hardware_address,
                "client_id": self.client_id, "hostname": self.hostname, "state": self.state,
                "expires": self.expires, "lease_time": self.lease_time}


class LeaseDatabase(Protocol):
    """What the daemon needs of a lease database."""

    def load(self) -> Stored:
        """Every record and the client index, as of the last commit."""

    def record(self, action: LeaseAction, hostname: str | None = None) -> None:
        """Write ``action``'s record (not durable until :meth:`commit`)."""

    def commit(self) -> None:
        """Make every recorded action durable; returns when it is."""

    def take(self) -> Pending:
        """The recorded actions, handed over to :meth:`write`."""

    def write(self, batches: Iterable[Pending]) -> None:
        """Make ``batches`` durable, in one transaction; returns when they are."""

    def save_counters(self, counters: Mapping[str, float]) -> None:
        """Keep the daemon's counters (written with the next commit)."""

    def close(self) -> None:
        """Commit what is pending and close."""


class SQLiteLeaseDatabase:
    """:class:`LeaseDatabase` in one SQLite file (WAL, ``synchronous=FULL``)."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        self.path: Path = Path(path)
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise FileNotFoundError(f"no lease database at {self.path}")
        self.db: sqlite3.Connection = sqlite3.connect(str(self.path), isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA busy_timeout = 5000")
        if create:
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)",
                            (str(SCHEMA_VERSION),))
        version = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if version is None or int(version[0]) != SCHEMA_VERSION:
            raise ValueError(f"{self.path}: not a dhcpwire lease database of schema "
                             f"{SCHEMA_VERSION}")
        self._rows: list[tuple[object, ...]] = []
        self._client_rows: dict[str, int | None] = {}
        self._counters: dict[str, float] | None = None
        #: address -> client key and client key -> address, as committed or recorded
        self._owner: dict[int, str] = {}
        self._clients: dict[str, int] = {}

    # -- reading ------------------------------------------------------------------------
    def load(self) -> Stored:
        records = []
        owner: dict[int, str] = {}
        for address, client, hw, state, expires, lease_time in self.db.execute(
                "SELECT address, client, hardware_address, state, expires, lease_time "
                "FROM leases ORDER BY address"):
            records.append(LeaseRecord(
                address=IPv4Address(address), client=client, hardware_address=bytes(hw),
                state=LeaseState(state), expires=math.inf if expires is None else expires,
                lease_time=lease_time))
            owner[address] = client
        clients = {}
        for client, address in self.db.execute("SELECT client, address FROM clients"):
            if owner.get(address) == client:  # the index only ever points at the client's own
                clients[client] = address
        self._owner = owner
        self._clients = dict(clients)
        return Stored(tuple(records), {k: IPv4Address(a) for k, a in clients.items()})

    def rows(self, *, everything: bool = False, now: float | None = None) -> list[LeaseRow]:
        """The active leases (offered, bound or declined, not yet ended), or every record."""
        now = time.time() if now is None else now
        query = ("SELECT address, client, hardware_address, state, expires, lease_time, "
                 "hostname FROM leases")
        if not everything:
            query += (" WHERE state IN ('offered', 'bound', 'declined')"
                      " AND (expires IS NULL OR expires > ?)")
        query += " ORDER BY address"
        out = []
        for address, client, hw, state, expires, lease_time, hostname in self.db.execute(
                query, () if everything else (now,)):
            out.append(LeaseRow(
                address=IPv4Address(address), hardware_address=bytes(hw).hex(":"),
                client_id=client[3:] if client.startswith("id:") else None,
                hostname=hostname, state=state, expires=expires, lease_time=lease_time,
                client=client))
        return out

    def counters(self) -> dict[str, float]:
        return dict(self.db.execute("SELECT name, value FROM counters ORDER BY name"))

    # -- writing ------------------------------------------------------------------------
    def record(self, action: LeaseAction, hostname: str | None = None) -> None:
        lease = action.lease
        address = int(lease.address)
        self._rows.append((address, lease.client, lease.hardware_address, lease.state.value,
                           None if lease.expires == math.inf else lease.expires,
                           lease.lease_time, hostname, time.time()))
        # The client index, kept as the server keeps its own: a record that
        # changes hands drops its old client's pointer; an offer, a commit or a
        # renewal points its client at the address.
        old = self._owner.get(address)
        key = lease.client
        if old is not None and old != key and self._clients.get(old) == address:
            del self._clients[old]
            self._client_rows[old] = None
        self._owner[address] = key
        if isinstance(action, _INDEXED) and self._clients.get(key) != address:
            self._clients[key] = address
            self._client_rows[key] = address

    def save_counters(self, counters: Mapping[str, float]) -> None:
        self._counters = dict(counters)

    @property
    def pending(self) -> int:
        """Records written since the last commit."""
        return len(self._rows)

    def take(self) -> Pending:
        """What was recorded since the last take, handed over to be written (by :meth:`write`).

        The daemon takes a batch's changes with its replies and log lines and
        hands them to its :class:`~.writer.Writer` together.
        """
        pending = Pending(self._rows, self._client_rows, self._counters)
        self._rows, self._client_rows, self._counters = [], {}, None
        return pending

    def write(self, batches: Iterable[Pending]) -> None:
        """Write ``batches``, oldest first, in one transaction: durable when this returns."""
        batches = [b for b in batches if b]
        if not batches:
            return
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for batch in batches:
                if batch.rows:
                    db.executemany(_UPSERT, batch.rows)
                if batch.clients:
                    gone = [(k,) for k, a in batch.clients.items() if a is None]
                    kept = [(k, a) for k, a in batch.clients.items() if a is not None]
                    if gone:
                        db.executemany("DELETE FROM clients WHERE client = ?", gone)
                    if kept:
                        db.executemany("INSERT OR REPLACE INTO clients VALUES (?, ?)", kept)
                if batch.counters is not None:
                    db.executemany("INSERT OR REPLACE INTO counters VALUES (?, ?)",
                                   batch.counters.items())
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def commit(self) -> None:
        self.write([self.take()])

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.db.close()

