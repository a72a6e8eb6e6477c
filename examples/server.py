"""A DHCP server on one Linux interface, driving :mod:`dhcpwire.server` with plain sockets.

Run as root (it binds UDP port 67 to the interface)::

    python examples/server.py --config server.toml --lease-file leases.jsonl

Rules of this driver:

* It is the loop of ``docs/server.rst``: decode -> handle -> act -> encode, and
  ``expire`` when ``next_deadline`` passes. Which subnet, which address, which
  options and where the reply goes are all the library's decisions.
* Lease actions are appended to a JSON-lines journal (one ``action.to_json()``
  a line, flushed and fsynced) before the reply is sent, and replayed at
  start, so a restart loses no lease.
* Replies go exactly where :class:`~dhcpwire.server.Send` says: to a relay
  (``giaddr``:67), to ``ciaddr``, broadcast to 255.255.255.255, or, when the
  client has no address yet, to its hardware address. For the last, the
  driver adds a static ARP entry (``ip neigh replace <yiaddr> lladdr <chaddr>
  dev <if> nud stale``) and sends an ordinary unicast: the kernel then
  addresses the frame to ``chaddr`` without asking ARP. (A raw AF_PACKET
  socket would do the same without touching the neighbour table.)
* One line on stdout per event (``recv DHCPDISCOVER ...``, ``lease offered
  10.77.0.100 ...``, ``send DHCPOFFER to 10.77.0.100:68 chaddr=...``).

The configuration file is TOML (Python 3.11+) or JSON, by its suffix::

    interface = "eth0"                  # optional; --interface overrides
    server_identifier = "10.77.0.1"
    lease_time = 60                     # default_lease_time; min/max_lease_time optional
    authoritative = false

    [[subnets]]
    network = "10.77.0.0/24"
    pools = ["10.77.0.100-10.77.0.150"]
    router = ["10.77.0.1"]
    dns_servers = ["10.77.0.53"]
    domain_name = "example.test"
    classless_routes = [["10.99.0.0/16", "10.77.0.1"]]

    [[reservations]]
    hardware_address = "02:00:00:00:00:01"
    address = "10.77.0.10"
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from dhcpwire import SERVER_PORT, DecodeError, Message, MessageType, decode
from dhcpwire.server import (
    Action,
    Discard,
    LeaseAction,
    Reservation,
    Send,
    ServerConfig,
    ServerState,
    Subnet,
    expire,
    handle,
    next_deadline,
    replay,
)
from dhcpwire.values import ClasslessRoute

#: Keys of a subnet table passed to :class:`Subnet` as they are.
SUBNET_KEYS = ("network", "pools", "excluded", "router", "dns_servers", "domain_name",
               "domain_search", "mtu", "ntp_servers", "interface", "link",
               "server_identifier", "next_server")
#: Keys of the top level passed to :class:`ServerConfig` as they are.
CONFIG_KEYS = ("min_lease_time", "max_lease_time", "renewal_fraction", "rebinding_fraction",
               "offer_time", "decline_time", "authoritative", "rapid_commit", "bootp")


def log(text: str) -> None:
    print(text, flush=True)


def kind(message: Message) -> str:
    mtype = message.message_type
    if mtype is None:
        return "BOOTP"
    return f"DHCP{mtype.name}" if isinstance(mtype, MessageType) else f"DHCP-TYPE-{mtype}"


def read_config(path: Path) -> dict[str, Any]:
    if path.suffix == ".toml":
        if sys.version_info < (3, 11):
            raise SystemExit("TOML needs Python 3.11 (tomllib); use a .json file")
        tomllib = importlib.import_module("tomllib")  # 3.11+; mypy targets 3.10
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise SystemExit(f"{path}: the configuration must be an object")
    return data


def build_config(data: dict[str, Any]) -> ServerConfig:
    """A :class:`ServerConfig` from the file's data (``ValueError``/``TypeError`` if bad)."""
    subnets = []
    for item in data["subnets"]:
        fields = {k: item[k] for k in SUBNET_KEYS if k in item}
        if "pool" in item:  # one range, as a shorthand
            fields["pools"] = [item["pool"]]
        fields["classless_routes"] = tuple(
            ClasslessRoute(IPv4Network(dest), IPv4Address(router))
            for dest, router in item.get("classless_routes", ()))
        subnets.append(Subnet(**fields))
    reservations = [Reservation(address=r["address"],
                                hardware_address=r.get("hardware_address"),
                                client_id=(bytes.fromhex(r["client_id"].replace(":", ""))
                                           if "client_id" in r else None))
                    for r in data.get("reservations", ())]
    lease_time = int(data.get("lease_time", 3600))
    extra = {k: data[k] for k in CONFIG_KEYS if k in data}
    extra.setdefault("min_lease_time", min(60, lease_time))
    return ServerConfig(server_identifier=data["server_identifier"], subnets=tuple(subnets),
                        reservations=tuple(reservations), default_lease_time=lease_time,
                        **extra)


class Journal:
    """The JSON-lines lease journal: appended to as actions come, replayed at start."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def load(self) -> Iterator[LeaseAction]:
        if self.path is None or not self.path.exists():
            return
        for number, line in enumerate(self.path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                yield LeaseAction.from_json(json.loads(line))
            except ValueError as exc:  # a torn last line after a crash, say
                log(f"journal line {number} skipped: {exc}")

    def append(self, action: LeaseAction) -> None:
        if self.path is None:
            return
        with self.path.open("a") as fh:
            fh.write(json.dumps(action.to_json()) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


class Driver:
    def __init__(self, interface: str, config: ServerConfig, journal: Journal) -> None:
        self.interface = interface
        self.journal = journal
        self.state = replay(ServerState(config=config), journal.load())
        loaded = sum(1 for _ in self.state.leases())
        log(f"start {interface} server={config.server_identifier} records={loaded}")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        self.sock.bind(("0.0.0.0", SERVER_PORT))

    def act(self, actions: tuple[Action, ...]) -> None:
        for action in actions:
            if isinstance(action, LeaseAction):
                lease = action.lease
                self.journal.append(action)  # persist first (RFC 2131 section 3.1 step 4)
                name = action.to_json()["action"]
                log(f"lease {name} {lease.address} client={lease.client} "
                    f"time={lease.lease_time}")
            elif isinstance(action, Send):
                self.send(action)
            elif isinstance(action, Discard):
                log(f"discard: {action.reason}")

    def send(self, reply: Send) -> None:
        destination = str(reply.destination)
        how = ""
        if reply.hardware_address is not None:
            mac = reply.hardware_address.hex(":")
            how = f" chaddr={mac}"
            subprocess.run(["ip", "neigh", "replace", destination, "lladdr", mac,
                            "dev", self.interface, "nud", "stale"], check=False,
                           capture_output=True)
        elif reply.broadcast:
            how = " broadcast"
        log(f"send {kind(reply.message)} to {destination}:{reply.port}{how} "
            f"yiaddr={reply.message.yiaddr}")
        try:
            self.sock.sendto(reply.payload(), (destination, reply.port))
        except OSError as exc:
            log(f"error send {kind(reply.message)} to {destination}: {exc}")

    def receive(self) -> None:
        data, (host, _port) = self.sock.recvfrom(65535)
        try:
            message = decode(data)
        except DecodeError as exc:
            log(f"discard undecodable from {host}: {exc}")
            return
        log(f"recv {kind(message)} from {host} chaddr={message.hwaddr} "
            f"xid=0x{message.xid:08x} giaddr={message.giaddr}")
        self.state, actions = handle(self.state, message, now=time.time(),
                                     interface=self.interface, source=IPv4Address(host))
        self.act(actions)

    def run(self) -> int:
        stop: list[int] = []
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        signal.set_wakeup_fd(wake_w.fileno())
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda n, _f: stop.append(n))
        self.state, actions = expire(self.state, now=time.time())
        self.act(actions)
        while not stop:
            deadline = next_deadline(self.state)
            timeout = None if deadline is None else max(0.0, deadline - time.time())
            readable, _, _ = select.select([self.sock, wake_r], [], [], timeout)
            if wake_r in readable:
                with contextlib.suppress(BlockingIOError):
                    wake_r.recv(64)
            if self.sock in readable:
                self.receive()
            deadline = next_deadline(self.state)
            if deadline is not None and time.time() >= deadline:
                self.state, actions = expire(self.state, now=time.time())
                self.act(actions)
        log("exit")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="TOML or JSON file")
    parser.add_argument("--interface", help="interface to serve (default: the config's)")
    parser.add_argument("--lease-file", type=Path, help="JSON-lines lease journal")
    args = parser.parse_args(argv)
    data = read_config(args.config)
    interface = args.interface or data.get("interface")
    if not interface:
        parser.error("no interface: give --interface or 'interface' in the config")
    lease_file = args.lease_file or (Path(data["lease_file"]) if "lease_file" in data else None)
    return Driver(interface, build_config(data), Journal(lease_file)).run()


if __name__ == "__main__":
    sys.exit(main())
