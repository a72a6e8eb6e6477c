"""A DHCP client for one Linux interface, driving :mod:`dhcpwire.client` with plain sockets.

Run as root (it binds UDP port 68 to the interface and configures it with ``ip``)::

    python examples/client.py eth0 --lease-file /tmp/eth0.lease.json

Rules of this driver:

* It is the loop of ``docs/client.rst``: decode -> step -> act -> encode. Every
  protocol decision (what to send, when, to whom; when the lease ends) is the
  library's; the driver only carries out the actions.
* One socket: UDP port 68 bound to the interface (``SO_BINDTODEVICE``), with
  ``SO_BROADCAST`` and ``SO_REUSEADDR``. Linux sends a broadcast from such a
  socket with source 0.0.0.0 while the interface has no address, as RFC 2131
  section 4.1 asks; once the address is configured the same socket receives
  the unicast replies of renewals.
* ``Configure`` sets the address (``ip addr replace`` with the lease's
  lifetime) and the routes (RFC 3442 routes, else a default route through the
  first router); ``Deconfigure`` removes them. With ``--print-only`` nothing
  is configured: the lease is only printed. DNS servers and the domain are
  printed and saved in the lease file; /etc/resolv.conf is never written.
* ``Probe``: with ``--probe none`` (the default) the client is configured not
  to probe; with ``--probe arping`` an ARP duplicate-address check is run
  with ``arping -D`` (iputils, or busybox's applet) and its answer reported.
* One line on stdout per event, so that a test can follow the run:
  ``send DHCPDISCOVER to 255.255.255.255``, ``recv DHCPACK from 10.77.0.1``,
  ``state SELECTING -> REQUESTING``, ``bound 10.77.0.100 lease=60 t1=30 t2=52``.
* ``--client-id duid`` (the default) sends RFC 4361's identifier (type 255,
  IAID + DUID-LL of the interface's address); ``--client-id hardware`` the
  hardware form (type 1 + MAC) that RFC 2131 suggests.
* Signals: SIGINT and SIGTERM release the lease (DHCPRELEASE) and exit;
  SIGUSR1 stops without releasing (a shutdown: the lease file is kept, and the
  next start goes through INIT-REBOOT); SIGUSR2 renews at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from dhcpwire import (
    CLIENT_PORT,
    SERVER_PORT,
    DecodeError,
    Message,
    MessageType,
    decode,
    encode,
)
from dhcpwire.client import (
    Action,
    Announce,
    Client,
    ClientConfig,
    ClientIdForm,
    Configure,
    Deconfigure,
    Discard,
    Lease,
    MessageReceived,
    Notify,
    Probe,
    ProbeResult,
    ReleaseRequested,
    RenewRequested,
    Send,
    Start,
    State,
    Stop,
    TimerFired,
    V6OnlyWait,
)


def log(text: str) -> None:
    print(text, flush=True)


def kind(message: Message) -> str:
    """``DHCPDISCOVER`` for a DISCOVER, ``BOOTP`` for a message without option 53."""
    mtype = message.message_type
    if mtype is None:
        return "BOOTP"
    return str(mtype) if isinstance(mtype, MessageType) else f"DHCP-TYPE-{mtype}"


def interface_mac(interface: str) -> bytes:
    text = Path(f"/sys/class/net/{interface}/address").read_text().strip()
    return bytes.fromhex(text.replace(":", ""))


def ip(*argv: str) -> None:
    """Run ``ip``; a failure is logged, never fatal (the lease stays valid)."""
    done = subprocess.run(["ip", *argv], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        log(f"error ip {' '.join(argv)}: {done.stderr.strip()}")


def arping() -> list[str] | None:
    if shutil.which("arping"):
        return ["arping"]
    if shutil.which("busybox"):
        return ["busybox", "arping"]
    return None


class Driver:
    """The socket, the clock and the interface around one :class:`Client`."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.interface: str = args.interface
        self.print_only: bool = args.print_only
        self.probe: str = args.probe
        self.lease_file: Path | None = args.lease_file
        chaddr = (bytes.fromhex(args.chaddr.replace(":", "")) if args.chaddr
                  else interface_mac(self.interface))
        config = ClientConfig(
            chaddr=chaddr, client_id_form=ClientIdForm(args.client_id),
            host_name=args.hostname, probe=self.probe != "none",
            startup_delay=(0.0, args.startup_delay), renew_min_interval=args.renew_min_interval,
            requested_lease_time=args.lease_time)
        seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(8), "big")
        self.client = Client(config, rng=random.Random(seed))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE,
                             self.interface.encode())
        self.sock.bind(("0.0.0.0", CLIENT_PORT))
        self.configured: Lease | None = None

    # -- the lease file -------------------------------------------------------
    def load_lease(self) -> Lease | None:
        """The saved lease moved onto this process's clock, or None if absent or expired."""
        if self.lease_file is None or not self.lease_file.exists():
            return None
        try:
            saved = json.loads(self.lease_file.read_text())
            shift = time.monotonic() - (time.time() - saved["wall"]) - saved["mono"]
            lease = Lease.from_json(saved["lease"], shift=shift)
        except (ValueError, KeyError, TypeError) as exc:  # DataError is a ValueError
            log(f"lease-file unreadable: {exc}")
            return None
        if lease.expired(time.monotonic()) or lease.server_identifier is None:
            log(f"lease-file expired {lease.address}")
            return None
        log(f"lease-file loaded {lease.address}")
        return lease

    def save_lease(self, lease: Lease) -> None:
        if self.lease_file is None:
            return
        data = {"interface": self.interface, "wall": time.time(), "mono": time.monotonic(),
                "lease": lease.to_json()}
        tmp = self.lease_file.with_name(self.lease_file.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(self.lease_file)

    def forget_lease(self) -> None:
        if self.lease_file is not None:
            with contextlib.suppress(FileNotFoundError):
                self.lease_file.unlink()

    # -- actions --------------------------------------------------------------
    def handle(self, event: Any) -> None:
        before = self.client.state.phase
        actions = self.client.handle(event, now=time.monotonic())
        after = self.client.state.phase
        if after is not before:
            log(f"state {before.value} -> {after.value}")
        self.act(actions)

    def act(self, actions: tuple[Action, ...]) -> None:
        for action in actions:
            if isinstance(action, Send):
                self.send(action)
            elif isinstance(action, Configure):
                self.configure(action.lease)
            elif isinstance(action, Deconfigure):
                self.deconfigure(action.address)
            elif isinstance(action, Probe):
                conflict = self.arp_probe(action.address)
                log(f"probe {action.address} conflict={'yes' if conflict else 'no'} "
                    f"method={self.probe}")
                self.handle(ProbeResult(conflict=conflict))
            elif isinstance(action, Announce):
                log(f"announce {action.address}")
            elif isinstance(action, Discard):
                what = "" if action.message is None else f" {kind(action.message)}"
                log(f"discard{what}: {action.reason}")
            elif isinstance(action, Notify):
                log(f"notify {action.text}")
            elif isinstance(action, V6OnlyWait):
                log(f"v6only-wait {action.seconds}")

    def send(self, action: Send) -> None:
        data = encode(action.message)
        log(f"send {kind(action.message)} to {action.destination} xid=0x{action.message.xid:08x}")
        try:
            self.sock.sendto(data, (str(action.destination), SERVER_PORT))
        except OSError as exc:  # e.g. no route for a unicast in --print-only mode
            log(f"error send {kind(action.message)}: {exc}")

    def configure(self, lease: Lease) -> None:
        mask = lease.subnet_mask or IPv4Address("255.255.255.255")
        self.save_lease(lease)
        if not self.print_only:
            self.apply(lease, IPv4Network(f"0.0.0.0/{mask}").prefixlen)
        # Logged once the interface has it: whoever reads the log sees it configured.
        t1 = "inf" if lease.renewal_time is None else f"{lease.renewal_time:g}"
        t2 = "inf" if lease.rebinding_time is None else f"{lease.rebinding_time:g}"
        log(f"bound {lease.address} lease={lease.lease_time} t1={t1} t2={t2} "
            f"server={lease.server_identifier}")
        routes = [f"{r.destination}>{r.router}" for r in lease.routes]
        log(f"options mask={mask} routers={','.join(map(str, lease.routers)) or '-'} "
            f"routes={','.join(routes) or '-'} dns={','.join(map(str, lease.dns_servers)) or '-'}"
            f" domain={lease.domain_name or '-'}")

    def apply(self, lease: Lease, prefix: int) -> None:
        """The address (with the lease's lifetime) and the routes, on the interface."""
        lifetime = ("forever" if lease.expires_at is None
                    else str(max(1, int(lease.expires_at - time.monotonic()))))
        if self.configured is not None and self.configured.address != lease.address:
            self.deconfigure(self.configured.address)
        extra = ["broadcast", str(lease.broadcast_address)] if lease.broadcast_address else []
        ip("addr", "replace", f"{lease.address}/{prefix}", *extra, "dev", self.interface,
           "valid_lft", lifetime, "preferred_lft", lifetime)
        for route in lease.routes:
            via = [] if route.router == IPv4Address(0) else ["via", str(route.router)]
            ip("route", "replace", str(route.destination), *via, "dev", self.interface)
        if lease.routers and not any(r.destination.prefixlen == 0 for r in lease.routes):
            ip("route", "replace", "default", "via", str(lease.routers[0]),
               "dev", self.interface)
        self.configured = lease

    def deconfigure(self, address: IPv4Address) -> None:
        log(f"deconfigure {address}")
        if self.print_only or self.configured is None:
            return
        # the routes through the interface go with its address
        ip("addr", "flush", "dev", self.interface, "to", f"{address}/32")
        self.configured = None

    def arp_probe(self, address: IPv4Address) -> bool:
        tool = arping() if self.probe == "arping" else None
        if tool is None:
            return False
        done = subprocess.run([*tool, "-D", "-c", "2", "-w", "2", "-I", self.interface,
                               str(address)], capture_output=True, check=False, timeout=10)
        # -D: exit status 0 when nobody answered for the address
        return done.returncode != 0

    # -- the loop -------------------------------------------------------------
    def receive(self) -> None:
        data, (host, _port) = self.sock.recvfrom(65535)
        try:
            message = decode(data)
        except DecodeError as exc:
            log(f"discard undecodable from {host}: {exc}")
            return
        log(f"recv {kind(message)} from {host} yiaddr={message.yiaddr}")
        self.handle(MessageReceived(message=message))

    def run(self, exit_after: float | None) -> int:
        signals: list[int] = []
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        signal.set_wakeup_fd(wake_w.fileno())
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, lambda n, _f: signals.append(int(n)))
        lease = self.load_lease()
        if lease is None:
            self.forget_lease()
        self.handle(Start(lease=lease))
        stop_at = None if exit_after is None else time.monotonic() + exit_after
        while True:
            deadline = self.client.next_deadline()
            if stop_at is not None:
                deadline = stop_at if deadline is None else min(deadline, stop_at)
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            readable, _, _ = select.select([self.sock, wake_r], [], [], timeout)
            if wake_r in readable:
                with contextlib.suppress(BlockingIOError):
                    wake_r.recv(64)
            while signals:
                got = signals.pop(0)
                if got == signal.SIGUSR2:
                    if self.client.state.phase is State.BOUND:
                        log("signal renew")
                        self.handle(RenewRequested())
                    continue
                return self.finish(release=got != signal.SIGUSR1)
            if self.sock in readable:
                self.receive()
            now = time.monotonic()
            due = self.client.next_deadline()
            if due is not None and now >= due:
                self.handle(TimerFired())
            if stop_at is not None and now >= stop_at:
                return self.finish(release=False)

    def finish(self, *, release: bool) -> int:
        state = self.client.state
        if release and state.configured:
            log("signal release")
            self.handle(ReleaseRequested())
            self.forget_lease()
        elif state.phase is not State.STOPPED:
            log("signal stop")
            self.handle(Stop())
        log("exit")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("interface")
    parser.add_argument("--lease-file", type=Path, help="JSON file keeping the lease")
    parser.add_argument("--print-only", action="store_true",
                        help="print the lease, do not configure the interface")
    parser.add_argument("--probe", choices=("none", "arping"), default="none",
                        help="ARP-probe the offered address (default: none)")
    parser.add_argument("--hostname", help="host name to send (option 12)")
    parser.add_argument("--chaddr", help="hardware address (default: the interface's)")
    parser.add_argument("--client-id", choices=[form.value for form in ClientIdForm],
                        default=ClientIdForm.DUID.value,
                        help="client identifier (option 61): RFC 4361's IAID + DUID "
                             "(default) or the hardware form")
    parser.add_argument("--lease-time", type=int, help="lease time to ask for (option 51)")
    parser.add_argument("--startup-delay", type=float, default=0.0,
                        help="upper bound of the random start-up delay (RFC: 10 s)")
    parser.add_argument("--renew-min-interval", type=float, default=60.0,
                        help="least time between RENEWING/REBINDING retransmissions "
                             "(RFC 2131 section 4.4.5: 60 s)")
    parser.add_argument("--seed", type=int, help="seed of the random generator (replay)")
    parser.add_argument("--exit-after", type=float,
                        help="stop (without release) after this many seconds")
    args = parser.parse_args(argv)
    driver = Driver(args)
    config = driver.client.state.config
    cid = config.identifier
    log(f"start {args.interface} chaddr={config.chaddr.hex(':')} "
        f"client-id={'-' if cid is None else bytes((cid.type,)).hex() + cid.data.hex()}")
    return driver.run(args.exit_after)


if __name__ == "__main__":
    sys.exit(main())
