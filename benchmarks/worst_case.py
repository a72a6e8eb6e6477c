#!/usr/bin/env python3
"""Decode time of the worst inputs a peer can send, against their size.

Every decode must cost time linear in the message's length, whatever a peer
sends (a DHCP message may be far larger than 1,500 octets: RFC 3396 long
options, IP fragments). This script builds, for each kind of input that
makes a decoder expand or re-walk what it reads, one message of about 1.5,
9 and 64 KB, and prints the time per octet of a strict decode, a lenient
decode and a decode that reads every typed value, with the ratio of each
size's per-octet time to the 1.5 KB one (linear work: about 1.0)::

    python benchmarks/worst_case.py [--repeats R]

The inputs (``WORST`` maps each name to its builder):

* ``pointer-chain`` -- option 119 (RFC 3397, RFC 1035 section 4.1.4): each
  name is one label and a pointer to the name before it, so a name walked
  pointer by pointer costs as much as all the names before it (quadratic
  before pointer targets were resolved once per offset).
* ``pointer-to-pointer`` -- option 119: each name is a pointer to the
  previous pointer, a chain with no labels at all (the 255-octet name limit
  never stops it).
* ``split-119`` -- the same chain split into 255-octet instances of 119
  that the decoder concatenates (RFC 3396 section 7).
* ``split-unknown`` -- one unknown code in 255-octet instances (concatenation
  alone).
* ``relay-repeats`` -- option 82 in many instances, holding one sub-option
  code repeated (sub-option concatenation, RFC 3046 and RFC 3396).
* ``routes`` -- option 121 (RFC 3442) with as many routes as fit.
* ``overloaded`` -- option 52 and options in 'file' and 'sname' too.

Times are the best of the repeats; the machine is shared, so only the
ratios between sizes in one run mean something.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

import dhcpwire  # noqa: E402

#: The message sizes (octets) each input is built at.
SIZES = (1_500, 9_000, 64_000)
_COOKIE = bytes((99, 130, 83, 99))


def _header(sname: bytes = b"", file: bytes = b"") -> bytes:
    """A BOOTREQUEST header (op 1, htype 1, hlen 6) and the magic cookie."""
    return (bytes((1, 1, 6, 0)) + bytes(24) + bytes.fromhex("02005e102030").ljust(16, b"\0")
            + sname.ljust(64, b"\0") + file.ljust(128, b"\0") + _COOKIE)


def _split(code: int, value: bytes) -> bytes:
    """``value`` as 255-octet instances of ``code`` (RFC 3396 section 6)."""
    return b"".join(bytes((code, len(value[k:k + 255]))) + value[k:k + 255]
                    for k in range(0, len(value), 255))


def _message(options: bytes, **fields: bytes) -> bytes:
    return _header(**fields) + options + b"\xff"


def _chain(size: int, labels: bool) -> bytes:
    """Option 119's value: names each pointing one name back, with a
    one-octet label first when ``labels``. A new chain starts (with a root
    name) where a name would grow past 255 octets (RFC 1035 section 3.1:
    with labels, after 126 names) or a pointer past its 14 bits."""
    out = bytearray()
    last, depth = -1, 0
    while len(out) + 4 <= size:
        here = len(out)
        if last < 0 or here > 0x3FFF or (labels and depth >= 126):
            out += b"\x01a\x00"  # a name of its own: "a"
            last, depth = here, 1
            continue
        if labels:
            out += b"\x01b"
        out += (0xC000 | last).to_bytes(2, "big")
        last, depth = here, depth + 1
    return bytes(out + bytes(size - len(out)))  # the rest: root names, one octet each


def _fit(value_size: int) -> int:
    # the octets of 255-octet instances (2 header octets each) in a message
    return value_size - 2 * (value_size // 257 + 1)


def pointer_chain(total: int) -> bytes:
    return _message(_split(119, _chain(_fit(total - 241), labels=True)))


def pointer_to_pointer(total: int) -> bytes:
    return _message(_split(119, _chain(_fit(total - 241), labels=False)))


def split_119(total: int) -> bytes:
    # the same chain, but cut into 255-octet portions at odd places
    return pointer_chain(total)


def split_unknown(total: int) -> bytes:
    return _message(_split(224, bytes(range(256)) * (_fit(total - 241) // 256)))


def relay_repeats(total: int) -> bytes:
    sub = b"".join(b"\x01\x03abc" for _ in range(_fit(total - 241) // 5))
    return _message(_split(82, sub))


def routes(total: int) -> bytes:
    route = b"\x18\x0a\x01\x02" + b"\xc0\x00\x02\x01"  # 10.1.2.0/24 via 192.0.2.1
    return _message(_split(121, route * (_fit(total - 241) // len(route))))


def overloaded(total: int) -> bytes:
    options = b"\x34\x01\x03" + _split(224, bytes(_fit(total - 244)))
    return _message(options, sname=b"\x0c\x02ab\xff", file=b"\x0c\x02cd\xff")


#: name -> builder of a message of about the given size.
WORST: dict[str, Callable[[int], bytes]] = {
    "pointer-chain": pointer_chain,
    "pointer-to-pointer": pointer_to_pointer,
    "split-119": split_119,
    "split-unknown": split_unknown,
    "relay-repeats": relay_repeats,
    "routes": routes,
    "overloaded": overloaded,
}


def _typed(data: bytes) -> None:
    options = dhcpwire.decode(data).options
    for code in options:
        options[code]


MODES: dict[str, Callable[[bytes], object]] = {
    "strict": dhcpwire.decode,
    "lenient": lambda data: dhcpwire.decode(data, strict=False),
    "typed": _typed,
}


def best_time(fn: Callable[[bytes], object], data: bytes, repeats: int) -> float:
    """Best seconds per call, each repeat at least 20 ms long."""
    fn(data)
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn(data)
        if time.perf_counter() - start >= 0.02:
            break
        number *= 2
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn(data)
        best = min(best, (time.perf_counter() - start) / number)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="repeats per timing (best kept)")
    args = parser.parse_args(argv)
    print(f"decode time per octet, best of {args.repeats}; ratio: per-octet time over the "
          f"{SIZES[0]:,}-octet one (linear work: about 1)")
    worst = 1.0
    for name, build in WORST.items():
        print(f"\n{name}")
        for mode, fn in MODES.items():
            cells = []
            first = 0.0
            for size in SIZES:
                data = build(size)
                per_octet = best_time(fn, data, args.repeats) / len(data)
                first = first or per_octet
                ratio = per_octet / first
                worst = max(worst, ratio)
                cells.append(f"{len(data):>6,} B {per_octet * 1e9:7.1f} ns/B {ratio:5.2f}x")
            print(f"  {mode:<8}" + "   ".join(cells))
    print(f"\nlargest per-octet ratio to the smallest size: {worst:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
