#!/usr/bin/env python3
"""The least dhcpwire's decode can cost, against codec.py's floor.

``decode`` does what the floor does (split the header, cut the options into
a dict of bytes) and three things the floor does not, each required by the
project's rules:

* it validates the values whose length alone does not say they are valid
  (strict decoding raises for a malformed value: option 82's sub-options,
  RFC 3046; option 81's wire-format name, RFC 4702; option 57's minimum);
* it builds an :class:`~dhcpwire.Options` over those bytes;
* it builds the :class:`~dhcpwire.Message` (issue 10: through its one
  package-internal constructor).

This script times each of the three alone, with the package's own functions
on each sample packet's own values, interleaved with the floor and with
``decode`` itself (codec.py's ``measure``), and prints the floor plus the
three as a ratio to the floor. That sum leaves out everything else decode
does (the opcode, hlen, END and zero-padding checks, the address objects,
the loop's table lookups), so it is a lower bound: when it is over a target
ratio, no change that keeps validation and the two objects meets it::

    python benchmarks/decode_bound.py [--timer cpu] [--repeats N] [--min-time S]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for _path in (str(HERE), str(HERE.parent)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from codec import TARGETS, TIMERS, Op, Settings, floor_decode, measure  # noqa: E402
from packets import PACKETS  # noqa: E402

import dhcpwire  # noqa: E402
from dhcpwire.wire.message import message_from_wire  # noqa: E402
from dhcpwire.wire.options import Options  # noqa: E402
from dhcpwire.wire.table import DEFAULT_REGISTRY  # noqa: E402


def _scanners(data: bytes) -> list[tuple[Any, bytes]]:
    """The scanner the decode loop calls for each option of ``data`` (those
    whose length alone does not decide), with the option's value bytes."""
    table = DEFAULT_REGISTRY.decode_table or DEFAULT_REGISTRY.fast_table()
    raw = dhcpwire.decode(data).options.raw_map
    return [(table[code][len(value)], value) for code, value in raw.items()
            if len(value) < 256 and table[code][len(value)]]


def _scan_all(scans: list[tuple[Any, bytes]]) -> None:
    for scan, value in scans:
        scan(value)


def ops_for(data: bytes) -> dict[str, Op]:
    msg = dhcpwire.decode(data)
    raw = dict(msg.options.raw_map)
    scans = _scanners(data)
    zero = msg.ciaddr
    return {
        "floor": Op("f(d)", {"f": floor_decode, "d": data}),
        "decode": Op("f(d)", {"f": dhcpwire.decode, "d": data}),
        # the loop of _scan_all is counted too: a slight overestimate of the
        # scanners, which the empty loop beside it measures
        "scanners": Op("f(s)", {"f": _scan_all, "s": scans}),
        "no scanners": Op("f(s)", {"f": _scan_all, "s": []}),
        "Options": Op("f(r, {}, g, d)", {"f": Options._make, "r": raw, "g": DEFAULT_REGISTRY,
                                          "d": data}),
        "Message": Op("f(1, 1, 6, 0, 1, 0, 0, z, z, z, z, c, b'', b'', o, None, ())",
                      {"f": message_from_wire, "z": zero, "c": msg.chaddr,
                       "o": msg.options}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="repeats; the best is kept")
    parser.add_argument("--min-time", type=float, default=0.02, help="seconds per repeat")
    parser.add_argument("--timer", choices=list(TIMERS), default="wall",
                        help="as codec.py's --timer")
    args = parser.parse_args()
    settings = Settings(repeats=args.repeats, min_time=args.min_time, import_runs=1,
                        timer=args.timer)
    target = TARGETS["decode", None]
    print("us per call, best of the repeats; bound = floor + scanners + Options + Message "
          f"(decode's target: {target}x the floor)")
    print(f"  {'packet':9} {'floor':>6} {'decode':>13} {'scanners':>9} {'Options':>8} "
          f"{'Message':>8} {'bound':>13}")
    for name, data in PACKETS.items():
        t = {key: best * 1e6 for key, (best, _) in measure(ops_for(data), settings).items()}
        scanners = max(t["scanners"] - t["no scanners"], 0.0)
        floor = t["floor"]
        bound = floor + scanners + t["Options"] + t["Message"]
        print(f"  {name:9} {floor:6.2f} {t['decode']:6.2f} {t['decode'] / floor:5.2f}x "
              f"{scanners:9.2f} {t['Options']:8.2f} {t['Message']:8.2f} "
              f"{bound:6.2f} {bound / floor:5.2f}x")
    print("the bound leaves out decode's other work (header checks, END and padding, the "
          "address objects, the loop's table lookups): decode cannot be under it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
