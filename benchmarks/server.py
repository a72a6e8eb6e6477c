#!/usr/bin/env python3
"""Server benchmark: full DHCP exchanges per second through ``dhcpwire.server.handle``.

Run from the repository root::

    python benchmarks/server.py            # 256, 65,536 and 1,048,576 addresses, ~4 minutes
    python benchmarks/server.py --quick    # smaller repeats, a smoke test
    python benchmarks/server.py --json     # machine-readable results on stdout
    python benchmarks/server.py --tree /tmp/oldtree   # the same, on another checkout

What one "exchange" is: a new client's DHCPDISCOVER as bytes, decoded,
answered by ``handle``, the DHCPOFFER encoded to bytes; then its
DHCPREQUEST as bytes, decoded, answered, the DHCPACK encoded. Everything a
server process does per exchange except the socket calls. A renewal is one
DHCPREQUEST from a bound client (RENEWING: 'ciaddr' set) and its DHCPACK.
An expiry is one lease that ``expire`` returns to the pool as the clock
passes its end (a LeaseExpired action).

Each pool size starts from a server whose pool is full: 90% of the
addresses are bound to clients, 10% are free again (expired leases, so
every new client is given a reused address from the free-address heap and
its timers go into a heap holding a timer for every lease). The server
state is restored from a snapshot, which is also timed. Every repeat of
the measured loop starts again from that state, on a ``fork()`` of it made
before the clock starts (versions are linear: a state that was stepped on
is superseded).

Memory: the bytes per lease of a restored state, and of a state after a
million mixed steps (``--churn``): clients on a 4,096-address pool doing
DORA, renewals, releases, declines, INIT-REBOOTs, DISCOVERs they never
follow up, and one client cycling DISCOVER/offer-expiry, with the clock
moving and ``expire`` called at each deadline. It is the memory the state
holds at the end (tracemalloc: traced bytes with the state, less without
it), per lease record, with the sizes of its timer heap and free queues
against the pool.

The machine is shared and noisy: the sizes are measured in interleaved
repeats and each figure is the best repeat; the ratios printed are taken
within this one run. The cyclic garbage collector stays on (as in a real
server); the loaded state is moved out of its reach with ``gc.freeze()``,
as a long-running server should do after loading its leases.

Targets: at least 10,000 exchanges per second at the largest size, and the
cost per exchange at the largest size within 1.5x of the smallest; after
the churn, no more free-queue entries than pool addresses and no more
timers than lease records.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# --tree PATH measures the dhcpwire of another checkout (read before the imports).
TREE = Path(sys.argv[sys.argv.index("--tree") + 1]) if "--tree" in sys.argv[:-1] else ROOT
if str(TREE) not in sys.path:
    sys.path.insert(0, str(TREE))

import random  # noqa: E402

from dhcpwire import ClientIdentifier, Message, MessageType, decode, encode  # noqa: E402
from dhcpwire import codes as c  # noqa: E402
from dhcpwire import server as _server  # noqa: E402
from dhcpwire.server import (  # noqa: E402
    ServerConfig,
    ServerState,
    Subnet,
    expire,
    handle,
    next_deadline,
    restore,
)

_fork = getattr(_server, "fork", None)
#: The reply action (``SendReply`` before the 0.2 layout).
Send: Any = _server.__dict__.get("Send") or _server.__dict__["SendReply"]


def branch(base: ServerState) -> ServerState:
    """A state to step from ``base`` on, leaving ``base`` usable (untimed).

    A tree with linear versions forks; an older one, whose versions all
    stay valid, moves its shared store back to ``base`` by reading it. A
    full collection then moves the fork's new containers to the oldest
    generation, where a long-running server's tables live, so that the
    young-generation collections of the timed loop do not walk them.
    """
    if _fork is None:
        next_deadline(base)
        state = base
    else:
        state = _fork(base)
    gc.collect()
    return state

SIZES = (256, 65_536, 1_048_576)
SERVER = IPv4Address("10.0.0.1")
FIRST = int(IPv4Address("10.1.0.0"))
NOW = 1_700_000_000.0
LEASE = 3600
PRL = (c.SUBNET_MASK, c.ROUTER, c.DOMAIN_NAME_SERVER, c.DOMAIN_NAME, c.DOMAIN_SEARCH,
       c.NTP_SERVERS, c.INTERFACE_MTU)
#: A repeat times at least this many exchanges (in several passes on a small pool).
PER_REPEAT_MIN = 500
TARGET_RATE = 10_000
TARGET_RATIO = 1.5


def make_config(size: int) -> ServerConfig:
    return ServerConfig(
        server_identifier=SERVER,
        subnets=(Subnet(network="10.0.0.0/8",
                        pools=((IPv4Address(FIRST), IPv4Address(FIRST + size - 1)),),
                        router=("10.0.0.1",), dns_servers=("10.0.0.53", "10.0.0.54"),
                        domain_name="example.net", domain_search=("example.net", "example.org"),
                        ntp_servers=("10.0.0.123",), mtu=1500),),
        default_lease_time=LEASE, offer_time=60.0)


def mac(n: int) -> bytes:
    return (0x02_00_00_00_00_00 + n).to_bytes(6, "big")


def base_snapshot(size: int) -> dict[str, Any]:
    """A full pool: every tenth address expired (free again), the rest bound."""
    leases = []
    clients = {}
    for i in range(size):
        hw = mac(i)
        key = "id:01" + hw.hex()
        free = i % 10 == 9
        address = str(IPv4Address(FIRST + i))
        leases.append({"address": address, "client": key, "hardware_address": hw.hex(),
                       "state": "expired" if free else "bound",
                       "expires": NOW - 3600 + i % 1000 if free else NOW + 60 + i % 3000,
                       "lease_time": LEASE})
        clients[key] = address
    return {"format": "dhcpwire-server-state", "version": 1, "leases": leases,
            "clients": clients}


def message(kind: MessageType, n: int, **options: Any) -> bytes:
    hw = mac(n)
    opts: dict[int, Any] = {c.MESSAGE_TYPE: kind, c.CLIENT_IDENTIFIER: ClientIdentifier(1, hw),
                            c.PARAMETER_REQUEST_LIST: PRL, c.MAXIMUM_MESSAGE_SIZE: 1500,
                            c.HOST_NAME: f"host-{n}", c.VENDOR_CLASS_IDENTIFIER: b"bench 1.0"}
    ciaddr = options.pop("ciaddr", IPv4Address(0))
    for code, value in options.items():
        opts[getattr(c, code.upper())] = value
    return encode(Message(xid=0x10000 + n, chaddr=hw, ciaddr=ciaddr, options=opts))


class Case:
    """One pool size: its base state and the request bytes of the measured loops."""

    def __init__(self, size: int, per_repeat: int) -> None:
        self.size = size
        self.config = make_config(size)
        data = base_snapshot(size)
        started = time.perf_counter()
        self.base = restore(self.config, data)
        self.restore_seconds = time.perf_counter() - started
        del data
        free = size // 10
        self.count = min(per_repeat, free)
        # new clients: DISCOVERs, and REQUESTs for the address each is offered
        self.discovers = [message(MessageType.DISCOVER, size + n) for n in range(self.count)]
        self.requests = []
        state = branch(self.base)
        for n, wire in enumerate(self.discovers):
            state, actions = handle(state, decode(wire), now=NOW)
            offer = actions[-1]
            assert isinstance(offer, Send), actions
            self.requests.append(message(
                MessageType.REQUEST, size + n, requested_ip_address=offer.message.yiaddr,
                server_identifier=SERVER))
            state, actions = handle(state, decode(self.requests[-1]), now=NOW)
            ack = actions[-1]
            assert isinstance(ack, Send) and ack.message.message_type == MessageType.ACK
        # bound clients renewing (RENEWING: unicast, 'ciaddr' set)
        step = max(1, size // self.count)
        bound = [i for i in range(0, size, step) if i % 10 != 9][:self.count]
        self.renewals = [message(MessageType.REQUEST, i, ciaddr=IPv4Address(FIRST + i))
                         for i in bound]
        state, actions = handle(branch(self.base), decode(self.renewals[0]), now=NOW)
        assert isinstance(actions[-1], Send)
        assert actions[-1].message.message_type == MessageType.ACK

    def exchanges(self) -> float:
        """Seconds per full DORA exchange, over one repeat from the base state.

        A small pool has few free addresses, so its repeat is several passes,
        each from the base state, to time as many exchanges as a large pool's.
        """
        discovers, requests = self.discovers, self.requests
        elapsed = 0.0
        passes = -(-PER_REPEAT_MIN // self.count)
        for _ in range(passes):
            state = branch(self.base)
            started = time.perf_counter()
            for n in range(self.count):
                state, actions = handle(state, decode(discovers[n]), now=NOW)
                reply = actions[-1]
                encode(reply.message, max_size=reply.max_size)  # type: ignore[union-attr]
                state, actions = handle(state, decode(requests[n]), now=NOW)
                reply = actions[-1]
                encode(reply.message, max_size=reply.max_size)  # type: ignore[union-attr]
            elapsed += time.perf_counter() - started
        return elapsed / (passes * self.count)

    def expiring(self) -> float:
        """Seconds per lease expired by ``expire``, for one repeat from the base state.

        The base state's leases end at NOW + 60 .. NOW + 3060, evenly; the
        clock is run forward over enough of them to expire ``count`` leases.
        """
        state = branch(self.base)
        window = 3000 * self.count / (self.size * 0.9)
        started = time.perf_counter()
        _, actions = expire(state, now=NOW + 60 + window)
        elapsed = time.perf_counter() - started
        return elapsed / max(1, len(actions))

    def renewing(self) -> float:
        """Seconds per renewal, for one repeat from the base state."""
        state = branch(self.base)
        started = time.perf_counter()
        for wire in self.renewals:
            state, actions = handle(state, decode(wire), now=NOW + 1800)
            reply = actions[-1]
            encode(reply.message, max_size=reply.max_size)  # type: ignore[union-attr]
        return (time.perf_counter() - started) / len(self.renewals)


def memory_per_lease(size: int) -> float:
    """Bytes per lease of a restored state (lease records, indexes, timers), by tracemalloc."""
    cfg = make_config(size)
    data = base_snapshot(size)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    state = restore(cfg, data)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del state
    return (after - before) / size


ZERO = IPv4Address(0)
CHURN_POOL = 4096
CHURN_CLIENTS = 6144


class Churn:
    """Clients on a small pool doing everything clients do, and one hostile client."""

    def __init__(self, seed: int) -> None:
        self.config = make_config(CHURN_POOL)
        self.rng = random.Random(seed)
        self.state = ServerState(config=self.config)
        self.now = NOW
        self.offered: dict[int, IPv4Address] = {}
        self.bound: dict[int, IPv4Address] = {}
        self.discovers = [self.build(MessageType.DISCOVER, n) for n in range(CHURN_CLIENTS)]

    def build(self, kind: MessageType, n: int, ciaddr: IPv4Address = ZERO,
              **options: Any) -> Message:
        hw = mac(n)
        opts: dict[int, Any] = {c.MESSAGE_TYPE: kind, c.CLIENT_IDENTIFIER: ClientIdentifier(1, hw)}
        for code, value in options.items():
            opts[getattr(c, code.upper())] = value
        return Message(xid=n, chaddr=hw, ciaddr=ciaddr, options=opts)

    def handle(self, message: Message) -> tuple[object, ...]:
        self.state, actions = handle(self.state, message, now=self.now)
        return actions

    def step(self) -> None:
        rng = self.rng
        self.now += rng.random() * 0.2
        deadline = next_deadline(self.state)
        if deadline is not None and deadline <= self.now:
            self.state, _ = expire(self.state, now=self.now)
        roll = rng.random()
        n = rng.randrange(CHURN_CLIENTS)
        if roll < 0.05:
            # the hostile client: a DISCOVER it never follows up, again and again
            self.handle(self.discovers[0])
            return
        if roll < 0.35:
            last = self.handle(self.discovers[n])[-1]
            if isinstance(last, Send):
                self.offered[n] = last.message.yiaddr
        elif roll < 0.60:
            address = self.offered.pop(n, None)
            if address is None:
                return
            last = self.handle(self.build(MessageType.REQUEST, n, requested_ip_address=address,
                                          server_identifier=SERVER))[-1]
            if isinstance(last, Send) and last.message.message_type == MessageType.ACK:
                self.bound[n] = address
        elif roll < 0.75:
            if n in self.bound:
                self.handle(self.build(MessageType.REQUEST, n, ciaddr=self.bound[n]))
        elif roll < 0.85:
            if n in self.bound:
                self.handle(self.build(MessageType.RELEASE, n, ciaddr=self.bound.pop(n),
                                       server_identifier=SERVER))
        elif roll < 0.90:
            if n in self.bound:
                self.handle(self.build(MessageType.DECLINE, n, server_identifier=SERVER,
                                       requested_ip_address=self.bound.pop(n)))
        elif roll < 0.95:
            if n in self.bound:
                self.handle(self.build(MessageType.REQUEST, n,
                                       requested_ip_address=self.bound[n]))
        else:
            self.now += rng.random() * 120  # a quiet spell: leases and offers run out


def internals(state: ServerState) -> dict[str, int] | None:
    """The sizes of the timer heap and the free queues, where the tree shows them."""
    data = getattr(state, "_data", None)
    if data is None or not hasattr(data, "timers"):
        return None
    return {"records": len(data.leases), "timers": len(data.timers),
            "free_entries": sum(len(q) for q in data.free)}


def churn_memory(steps: int, seed: int = 1) -> dict[str, Any]:
    """Run the churn, then measure what the state holds (see the module docstring)."""
    gc.collect()
    tracemalloc.start()
    run = Churn(seed)
    started = time.perf_counter()
    for _ in range(steps):
        run.step()
    seconds = time.perf_counter() - started
    records = len(run.state.leases())
    sizes = internals(run.state)
    gc.collect()
    with_state = tracemalloc.get_traced_memory()[0]
    run.state = ServerState(config=run.config)
    gc.collect()
    without = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    held = with_state - without
    return {"steps": steps, "seconds": seconds, "pool": CHURN_POOL, "records": records,
            "state_bytes": held, "bytes_per_lease": held / max(1, records), "sizes": sizes}


def best(run: Callable[[], float], into: list[float]) -> None:
    into.append(run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few short repeats (smoke test)")
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")),
                        default=SIZES, help="pool sizes, comma-separated")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--churn", type=int, default=None, metavar="STEPS",
                        help="mixed steps before measuring memory (default 1,000,000; "
                             "100,000 with --quick; 0 skips)")
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="the checkout whose dhcpwire to measure (default: this one)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 9)
    per_repeat = 500 if args.quick else 4000
    out = sys.stderr if args.json else sys.stdout

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    say(f"python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {repeats} repeats; dhcpwire from {TREE}")
    cases = []
    for size in args.sizes:
        case = Case(size, per_repeat)
        cases.append(case)
        passes = -(-PER_REPEAT_MIN // case.count)
        say(f"  pool {size:>9,}: restored {size:,} leases in {case.restore_seconds:.2f} s; "
            f"a repeat is {passes} x {case.count} exchanges")
    gc.collect()
    gc.freeze()
    times: dict[int, list[float]] = {case.size: [] for case in cases}
    renew: dict[int, list[float]] = {case.size: [] for case in cases}
    ends: dict[int, list[float]] = {case.size: [] for case in cases}
    for _ in range(repeats):  # interleaved, so noise hits every size alike
        for case in cases:
            best(case.exchanges, times[case.size])
            best(case.renewing, renew[case.size])
            best(case.expiring, ends[case.size])
    memory_size = min(max(args.sizes), 65_536)
    per_lease = memory_per_lease(memory_size)

    smallest, largest = min(args.sizes), max(args.sizes)
    base_cost = min(times[smallest])
    say("")
    say(f"{'pool':>11}  {'exchange':>10}  {'exchanges/s':>12}  {'vs smallest':>11}  "
        f"{'renewal':>9}  {'renewals/s':>11}  {'expiry':>8}  {'expiries/s':>10}")
    results = []
    for case in cases:
        cost = min(times[case.size])
        renewal = min(renew[case.size])
        ending = min(ends[case.size])
        results.append({"pool": case.size, "exchange_us": cost * 1e6,
                        "exchanges_per_s": 1 / cost, "ratio_to_smallest": cost / base_cost,
                        "renewal_us": renewal * 1e6, "renewals_per_s": 1 / renewal,
                        "expiry_us": ending * 1e6, "expiries_per_s": 1 / ending,
                        "restore_s": case.restore_seconds})
        say(f"{case.size:>11,}  {cost * 1e6:>8.1f}us  {1 / cost:>12,.0f}  "
            f"{cost / base_cost:>10.2f}x  {renewal * 1e6:>7.1f}us  {1 / renewal:>11,.0f}  "
            f"{ending * 1e6:>6.1f}us  {1 / ending:>10,.0f}")
    say(f"\nmemory per lease (restored state of {memory_size:,} leases): {per_lease:,.0f} bytes")
    steps = args.churn if args.churn is not None else (100_000 if args.quick else 1_000_000)
    churned: dict[str, Any] | None = None
    churn_ok = True
    if steps:
        churned = churn_memory(steps)
        sizes = churned["sizes"]
        say(f"memory per lease after {steps:,} mixed steps on a {CHURN_POOL:,}-address pool: "
            f"{churned['bytes_per_lease']:,.0f} bytes ({churned['state_bytes'] / 1e6:.1f} MB "
            f"for {churned['records']:,} lease records; {churned['seconds']:.0f} s)")
        if sizes is not None:
            churn_ok = (sizes["free_entries"] <= CHURN_POOL
                        and sizes["timers"] <= sizes["records"])
            say(f"  free-queue entries {sizes['free_entries']:,} (pool {CHURN_POOL:,}), "
                f"timers {sizes['timers']:,} (records {sizes['records']:,}): "
                f"{'PASS' if churn_ok else 'MISS'}")
    top = min(times[largest])
    rate_ok = 1 / top >= TARGET_RATE
    ratio_ok = top / base_cost <= TARGET_RATIO
    say(f"targets: {1 / top:,.0f} exchanges/s at {largest:,} (>= {TARGET_RATE:,}): "
        f"{'PASS' if rate_ok else 'MISS'}; cost at {largest:,} / cost at {smallest:,} = "
        f"{top / base_cost:.2f}x (<= {TARGET_RATIO}x): {'PASS' if ratio_ok else 'MISS'}")
    say("(context: ISC Kea's published single-threaded memfile figure is about 11,700 "
        "leases per second)")
    if args.json:
        print(json.dumps({"python": platform.python_version(), "repeats": repeats,
                          "results": results, "memory_per_lease_bytes": per_lease,
                          "memory_measured_at": memory_size, "churn": churned,
                          "targets": {"rate": rate_ok, "ratio": ratio_ok,
                                      "churn": churn_ok}}, indent=2))
    return 0 if math.isfinite(top) else 1


if __name__ == "__main__":
    sys.exit(main())
