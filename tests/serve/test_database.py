"""The lease database: what is committed survives, a restart rebuilds the server's state."""

from __future__ import annotations

import io
import json
import math
import sqlite3
from ipaddress import IPv4Address
from pathlib import Path

from dhcpwire import MessageType
from dhcpwire.cli import main
from dhcpwire.serve import SQLiteLeaseDatabase
from dhcpwire.server import LeaseCommitted, LeaseRecord, LeaseState

from .helpers import BASE, chaddr, discover, dora, engine, receive, renew


def test_a_restart_rebuilds_every_lease_from_the_database(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    acks = {n: dora(eng, n).yiaddr for n in range(1, 11)}
    eng.database.close()
    again = engine(tmp_path)
    for n, address in acks.items():
        # INIT-REBOOT-style check through a RENEWING request: the rebuilt server knows it
        [ack] = receive(again, renew(n, address), now=1100.0)
        assert ack.message_type is MessageType.ACK and ack.yiaddr == address
    # and a new client never gets an address that is bound to another
    [offer] = receive(again, discover(99), now=1100.0)
    assert offer.yiaddr not in acks.values()


def test_a_returning_client_gets_its_address_back_after_a_restart(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    first = dora(eng, 5).yiaddr
    dora(eng, 6)
    eng.database.close()
    again = engine(tmp_path)
    [offer] = receive(again, discover(5), now=1200.0)
    assert offer.yiaddr == first  # the client index came back too


def test_what_was_not_committed_is_not_there_after_a_crash(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    dora(eng, 1)
    out = eng.receive(discover(2), interface="eth0", source=None, now=1000.0)
    assert out  # the offer exists, its lease change is recorded but not committed
    # a crash now: another process opens the file and sees only committed data
    other = sqlite3.connect(tmp_path / "leases.sqlite")
    states = sorted(s for (s,) in other.execute("SELECT state FROM leases"))
    assert states == ["bound"]
    eng.commit()
    assert sorted(s for (s,) in other.execute("SELECT state FROM leases")) == [
        "bound", "offered"]


def test_the_database_uses_a_write_ahead_log_and_full_sync(tmp_path: Path) -> None:
    db = SQLiteLeaseDatabase(tmp_path / "x.sqlite")
    assert db.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    db.close()


def test_record_and_load_give_back_the_records_and_the_client_index(tmp_path: Path) -> None:
    db = SQLiteLeaseDatabase(tmp_path / "x.sqlite")
    lease = LeaseRecord(address=IPv4Address("10.0.0.5"), client="id:01aa",
                        hardware_address=b"\xaa" * 6, state=LeaseState.BOUND,
                        expires=math.inf, lease_time=0xFFFFFFFF)
    db.record(LeaseCommitted(lease=lease), "printer")
    assert db.pending == 1
    db.commit()
    db.close()
    stored = SQLiteLeaseDatabase(tmp_path / "x.sqlite").load()
    assert stored.records == (lease,)
    assert stored.clients == {"id:01aa": IPv4Address("10.0.0.5")}


def test_the_hostname_stays_with_its_client(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    ack = dora(eng, 1, o12="laptop")
    receive(eng, renew(1, ack.yiaddr), now=1100.0)  # no option 12 this time
    db = eng.database
    assert isinstance(db, SQLiteLeaseDatabase)
    [row] = db.rows(now=1100.0)
    assert row.hostname == "laptop" and row.state == "bound"
    assert row.hardware_address == chaddr(1).hex(":") and row.client_id is None


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "server.json"
    path.write_text(json.dumps({**BASE, "lease_database": "sqlite:leases.sqlite"}))
    return path


def test_leases_lists_the_active_leases(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    ack = dora(eng, 1, o12="laptop", o61=b"\x01\x02\x00\x00\x00\x00\x01", now=4.0e9)
    receive(eng, discover(2), now=4.0e9)  # an offer: active too
    eng.database.close()
    out, err = io.StringIO(), io.StringIO()
    assert main(["leases", "--config", str(write_config(tmp_path))], out=out, err=err) == 0
    header, *rows = out.getvalue().splitlines()
    assert header.split() == ["ADDRESS", "HARDWARE", "ADDRESS", "CLIENT", "ID", "HOSTNAME",
                              "STATE", "EXPIRES"]
    assert rows[0].split()[:5] == [str(ack.yiaddr), chaddr(1).hex(":"), "01020000000001",
                                   "laptop", "bound"]
    assert rows[1].split()[4] == "offered"
    out = io.StringIO()
    assert main(["leases", "--config", str(write_config(tmp_path)), "--json"], out=out,
                err=err) == 0
    first = json.loads(out.getvalue())[0]
    assert first["address"] == str(ack.yiaddr) and first["hostname"] == "laptop"
    assert first["client_id"] == "01020000000001" and first["expires"] == 4.0e9 + 600


def test_leases_leaves_out_ended_leases_unless_asked_for_all(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    dora(eng, 1, now=1000.0)  # ended long ago
    eng.database.close()
    config = str(write_config(tmp_path))
    out = io.StringIO()
    assert main(["leases", "--config", config, "--json"], out=out, err=io.StringIO()) == 0
    assert json.loads(out.getvalue()) == []
    out = io.StringIO()
    assert main(["leases", "--config", config, "--json", "--all"], out=out,
                err=io.StringIO()) == 0
    assert [r["state"] for r in json.loads(out.getvalue())] == ["bound"]


def test_leases_stats_shows_pool_use_and_the_saved_counters(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    for n in range(3):
        dora(eng, n + 1, now=4.0e9)
    eng.database.save_counters(eng.metrics.flat())
    eng.database.close()
    out = io.StringIO()
    assert main(["leases", "--config", str(write_config(tmp_path)), "--stats"], out=out,
                err=io.StringIO()) == 0
    text = out.getvalue()
    assert "subnet 10.77.0.0/24: 3 of 51 pool addresses in use (5.9%)" in text
    assert "lease records: bound 3" in text
    assert 'dhcpwire_messages_received_total{type="DISCOVER"} 3' in text
    out = io.StringIO()
    main(["leases", "--config", str(write_config(tmp_path)), "--stats", "--json"], out=out,
         err=io.StringIO())
    data = json.loads(out.getvalue())
    assert data["subnets"]["10.77.0.0/24"] == {"size": 51, "used": 3}


def test_leases_without_a_database_says_so(tmp_path: Path) -> None:
    err = io.StringIO()
    assert main(["leases", "--config", str(write_config(tmp_path))], out=io.StringIO(),
                err=err) == 1
    assert "no lease database at" in err.getvalue()


