"""``dhcpwire decode --json`` on a large capture, against ``tshark -T ek`` on the same file.

Run: ``python benchmarks/capture.py [--messages 40000] [--runs 3]``. It writes a pcap of
``--messages`` DHCP frames (the Ethernet frames of the captures in tests/captures,
repeated, each with its own timestamp) to a temporary directory, then times, each in a
fresh process with its output going to /dev/null:

* ``dhcpwire decode --json FILE`` -- JSON Lines, every option typed;
* ``dhcpwire decode --summary FILE`` -- one line per message;
* ``tshark -r FILE -T ek`` -- Wireshark's dissector, newline-delimited JSON (needs the
  Debian package tshark);

and prints the best wall time of ``--runs``, messages per second, the peak resident memory
of each process, and the ratio to tshark. ``--sizes`` repeats the dhcpwire JSON run at
several sizes to show that its memory does not grow with the capture.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dhcpwire import DecodeError, decode  # noqa: E402
from dhcpwire.pcap import open_capture  # noqa: E402

CAPTURES = ROOT / "tests" / "captures"


def dhcp_frames() -> list[bytes]:
    """The Ethernet frames of the repository's classic pcap captures that carry a
    well-formed DHCP message (the deliberately malformed test frames are left out)."""
    frames = []
    for path in sorted(CAPTURES.glob("*.pcap")):
        with open_capture(path) as capture:
            for frame in capture.frames():
                datagram = frame.datagram()
                if frame.linktype != 1 or datagram is None or datagram.truncated:
                    continue
                try:
                    decode(datagram.payload)
                except DecodeError:
                    continue
                frames.append(frame.data)
    return frames


def write_capture(path: Path, count: int) -> None:
    frames = dhcp_frames()
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        start = 1_700_000_000
        for n in range(count):
            frame = frames[n % len(frames)]
            out.write(struct.pack("<IIII", start + n // 1000, (n % 1000) * 1000, len(frame),
                                  len(frame)))
            out.write(frame)


def timed(argv: list[str], runs: int) -> tuple[float, int]:
    """Best wall time over ``runs`` and the peak RSS (kB) of the slowest-growing run."""
    best, peak = float("inf"), 0
    for _ in range(runs):
        code = ("import resource, subprocess, sys, time\n"
                "t = time.perf_counter()\n"
                f"p = subprocess.run({argv!r}, stdout=subprocess.DEVNULL)\n"
                "t = time.perf_counter() - t\n"
                "print(p.returncode, t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        status, seconds, rss = out.stdout.split()
        if int(status) not in (0, 1):
            raise SystemExit(f"{argv[0]} failed with status {status}")
        best = min(best, float(seconds))
        peak = max(peak, int(rss))
    return best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", action="store_true",
                        help="also dhcpwire's JSON run at 1/4, 1/2 and 1x the size (memory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        capture = Path(tmp) / "large.pcap"
        write_capture(capture, args.messages)
        size = capture.stat().st_size
        print(f"capture: {args.messages} DHCP frames, {size / 1e6:.1f} MB; best of {args.runs}")
        dhcpwire = [sys.executable, "-m", "dhcpwire", "decode"]
        rows = [("dhcpwire decode --json", [*dhcpwire, "--json", str(capture)]),
                ("dhcpwire decode --summary", [*dhcpwire, "--summary", str(capture)])]
        tshark = shutil.which("tshark")
        if tshark:
            rows.append(("tshark -T ek", [tshark, "-n", "-r", str(capture), "-T", "ek"]))
        results = {}
        for name, argv in rows:
            seconds, rss = timed(argv, args.runs)
            results[name] = seconds
            print(f"  {name:<28} {seconds:7.2f} s  {args.messages / seconds:9,.0f} msg/s  "
                  f"peak RSS {rss / 1024:6.1f} MB")
        if tshark:
            base = results["tshark -T ek"]
            for name in results:
                print(f"  {name:<28} {results[name] / base:5.2f}x tshark's time")
        else:
            print("  (tshark is not installed: apt-get install tshark)")
        if args.sizes:
            for fraction in (4, 2, 1):
                count = args.messages // fraction
                write_capture(capture, count)
                seconds, rss = timed([*dhcpwire, "--json", str(capture)], 1)
                print(f"  --json, {count:>7} messages: {seconds:6.2f} s, peak RSS "
                      f"{rss / 1024:6.1f} MB")


if __name__ == "__main__":
    main()
