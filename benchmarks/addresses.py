#!/usr/bin/env python3
"""Cold caches: what codec.py's repeated packet hides.

codec.py runs the same statement on the same packet again and again, so
dhcpwire's bounded caches always hit: the ``IPv4Address`` objects (one per
4 octets, one per 16-octet block of ciaddr/yiaddr/siaddr/giaddr), and the
typed values and encodings that real traffic repeats (address lists,
routes and their networks, search lists; a route tuple encoded before).
This script measures the same operations when nothing is in them, against
the floor of codec.py on the same packets, interleaved::

    python benchmarks/addresses.py [--packets N] [--repeats R] [--loops L]

Two parts:

* ``ack`` decoded as a run of packets that differ only in 'yiaddr', each
  address new to the process, from empty caches (every packet misses), next
  to the same packet again (every packet hits);
* every sample packet's decode, decode+typed and build+encode with every
  cache emptied before each call (``dhcpwire.wire.codecs.basic.empty_caches``).
  The figure includes the emptying itself (its cost on empty caches is
  printed): an upper bound of the cold cost.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _path in (str(HERE), str(HERE.parent)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from codec import (  # noqa: E402
    BASELINE,
    TIMERS,
    Op,
    Settings,
    floor_decode,
    measure,
    prepare_dhcpwire,
    prepare_floor,
)
from packets import PACKETS, TYPICAL_ACK  # noqa: E402

import dhcpwire  # noqa: E402
from dhcpwire.wire.codecs.basic import empty_caches  # noqa: E402

COLD_OPS = ("decode", "decode+typed", "build+encode")


def _per_packet(decode: Callable[[bytes], object], packets: list[bytes], cold: bool) -> float:
    """Microseconds per decode over ``packets``; ``cold`` empties the caches first."""
    if cold:
        empty_caches()
    else:
        decode(packets[0])
    start = time.perf_counter()
    for data in packets:
        decode(data)
    return (time.perf_counter() - start) / len(packets) * 1e6


def new_addresses(count: int, repeats: int) -> None:
    base = PACKETS[TYPICAL_ACK]
    rng = random.Random(8357)
    addresses = rng.sample(range(1, 1 << 32), count)
    runs = {
        # name: (packets, caches emptied first)
        "the same packet": ([base] * count, False),
        "a new yiaddr each": ([base[:16] + a.to_bytes(4, "big") + base[20:]
                               for a in addresses], True),
    }
    best: dict[tuple[str, str], float] = {}
    for _ in range(repeats):
        for name, (packets, cold) in runs.items():
            for lib, decode in (("floor", floor_decode), ("dhcpwire", dhcpwire.decode)):
                took = _per_packet(decode, packets, cold)
                best[lib, name] = min(best.get((lib, name), took), took)
    print(f"{TYPICAL_ACK}: best of {repeats} runs of {count:,} decodes; "
          "ratios to the floor on the same packets")
    for name in runs:
        floor, ours = best["floor", name], best["dhcpwire", name]
        print(f"  {name:18s}  floor {floor:5.2f} us  dhcpwire {ours:5.2f} us  {ours / floor:.2f}x")


def _cold(op: Op) -> Op:
    """``op`` with every cache emptied before each run of its statement."""
    env = dict(op.env)
    env["_empty"] = empty_caches
    return Op(f"_empty(); {op.stmt}", env)


def all_packets(settings: Settings) -> None:
    print()
    print("every cache emptied before each call, less the time of emptying empty caches "
          "(measured beside); ratios to the floor, warm (codec.py's) figures beside")
    print(f"  {'packet':9}" + "".join(f"{op:>30}" for op in COLD_OPS))
    emptying = Op("e()", {"e": empty_caches})
    for name, data in PACKETS.items():
        floor, ours = prepare_floor(name, data), prepare_dhcpwire(name, data)
        cells = []
        for op in COLD_OPS:
            timed = measure({"floor": floor.ops[BASELINE[op]], "warm": ours.ops[op],
                             "cold": _cold(ours.ops[op]), "empty": emptying}, settings)
            base = timed["floor"][0]
            cold = (timed["cold"][0] - timed["empty"][0]) / base
            cells.append(f"cold {cold:5.2f}x  warm {timed['warm'][0] / base:5.2f}x")
        print(f"  {name:9}" + "".join(f"{cell:>30}" for cell in cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=50_000, help="packets per run")
    parser.add_argument("--repeats", type=int, default=7, help="runs; the best is kept")
    parser.add_argument("--min-time", type=float, default=0.05,
                        help="seconds per repeat of the per-packet part")
    parser.add_argument("--timer", choices=list(TIMERS), default="wall",
                        help="the per-packet part's clock, as codec.py's --timer")
    args = parser.parse_args()
    new_addresses(args.packets, args.repeats)
    all_packets(Settings(repeats=args.repeats, min_time=args.min_time, import_runs=1,
                         timer=args.timer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
