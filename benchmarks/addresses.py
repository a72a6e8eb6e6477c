#!/usr/bin/env python3
"""Decode with cold address caches: what codec.py's repeated packet hides.

codec.py decodes the same packet again and again, so dhcpwire's bounded
caches of ``IPv4Address`` objects (one per 4 octets, one per 16-octet block
of ciaddr/yiaddr/siaddr/giaddr) always hit. This script decodes a run of
ACKs that differ only in 'yiaddr', each address new to the process, and
prints the time per decode against the floor of codec.py on the same
packets, interleaved, next to the warm figure::

    python benchmarks/addresses.py [--packets N] [--repeats R]

Each repeat starts from empty caches, so every packet of the run misses.
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

from codec import floor_decode  # noqa: E402
from packets import PACKETS, TYPICAL_ACK  # noqa: E402

import dhcpwire  # noqa: E402
from dhcpwire.wire import decoder as encoding  # noqa: E402
from dhcpwire.wire.codecs import common as codecs  # noqa: E402


def _per_packet(decode: Callable[[bytes], object], packets: list[bytes], cold: bool) -> float:
    """Microseconds per decode over ``packets``; ``cold`` empties the caches first."""
    if cold:
        encoding._ADDRESSES.clear()
        codecs._IP_CACHE.clear()
    else:
        decode(packets[0])
    start = time.perf_counter()
    for data in packets:
        decode(data)
    return (time.perf_counter() - start) / len(packets) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=50_000, help="packets per run")
    parser.add_argument("--repeats", type=int, default=7, help="runs; the best is kept")
    args = parser.parse_args()
    base = PACKETS[TYPICAL_ACK]
    rng = random.Random(8357)
    addresses = rng.sample(range(1, 1 << 32), args.packets)
    runs = {
        # name: (packets, caches emptied first)
        "the same packet": ([base] * args.packets, False),
        "a new yiaddr each": ([base[:16] + a.to_bytes(4, "big") + base[20:]
                               for a in addresses], True),
    }
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.repeats):
        for name, (packets, cold) in runs.items():
            for lib, decode in (("floor", floor_decode), ("dhcpwire", dhcpwire.decode)):
                took = _per_packet(decode, packets, cold)
                best[lib, name] = min(best.get((lib, name), took), took)
    print(f"{TYPICAL_ACK}: best of {args.repeats} runs of {args.packets:,} decodes; "
          "ratios to the floor on the same packets")
    for name in runs:
        floor, ours = best["floor", name], best["dhcpwire", name]
        print(f"  {name:18s}  floor {floor:5.2f} us  dhcpwire {ours:5.2f} us  {ours / floor:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
