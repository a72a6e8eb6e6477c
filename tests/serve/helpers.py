"""Messages and engines for the tests of dhcpwire.serve."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from dhcpwire import Message, MessageType, Options, decode, encode
from dhcpwire.serve import Engine, Outgoing, SQLiteLeaseDatabase, parse

SERVER = IPv4Address("10.77.0.1")
BASE: dict[str, Any] = {
    "interface": "eth0", "server_identifier": str(SERVER), "lease_time": 600,
    "subnets": [{"network": "10.77.0.0/24", "pools": ["10.77.0.100-10.77.0.150"],
                 "router": [str(SERVER)], "dns_servers": ["10.77.0.53"]}]}


def engine(tmp_path: Path, data: dict[str, Any] | None = None,
           name: str = "leases.sqlite") -> Engine:
    config = parse({**(data or BASE), "lease_database": f"sqlite:///{tmp_path / name}"})
    return Engine(config.configs, config.classes, SQLiteLeaseDatabase(config.lease_database))


def chaddr(n: int) -> bytes:
    return bytes.fromhex("020000") + n.to_bytes(3, "big")


def options(base: dict[int, Any], extra: dict[str, Any]) -> Options:
    """``base`` and ``extra`` (``o60=...``: option 60); bytes values go in as raw octets."""
    values = {**base, **{int(k[1:]): v for k, v in extra.items()}}
    opts = Options({c: v for c, v in values.items() if not isinstance(v, bytes)})
    for code, value in values.items():
        if isinstance(value, bytes):
            opts = opts.set_raw(code, value)
    return opts


def discover(n: int, **extra: Any) -> bytes:
    opts = options({53: MessageType.DISCOVER, 55: (1, 3, 6, 15)}, extra)
    return encode(Message(xid=n, chaddr=chaddr(n), options=opts))


def request(n: int, address: IPv4Address, **extra: Any) -> bytes:
    opts = options({53: MessageType.REQUEST, 50: address, 54: SERVER, 55: (1, 3, 6, 15)},
                   extra)
    return encode(Message(xid=n, chaddr=chaddr(n), options=opts))


def receive(eng: Engine, data: bytes, now: float = 1000.0) -> list[Message]:
    """The replies to ``data``, committed first, as the daemon does; decoded from their bytes."""
    out: list[Outgoing] = eng.receive(data, interface="eth0", source=IPv4Address(0), now=now)
    eng.commit()
    return [decode(o.payload) for o in out]


def dora(eng: Engine, n: int, *, now: float = 1000.0, **options: Any) -> Message:
    [offer] = receive(eng, discover(n, **options), now)
    [ack] = receive(eng, request(n, offer.yiaddr, **options), now)
    assert ack.message_type is MessageType.ACK
    return ack


def renew(n: int, address: IPv4Address) -> bytes:
    """A RENEWING DHCPREQUEST: 'ciaddr' set, no server identifier, no requested address."""
    return encode(Message(xid=n, chaddr=chaddr(n), ciaddr=address,
                          options={53: MessageType.REQUEST, 55: (1, 3, 6, 15)}))
