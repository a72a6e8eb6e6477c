"""Decoding costs work linear in the message's length, whatever a peer sends.

Work is counted, not timed: the number of Python and C function calls a
decode (every value typed) makes, per octet of input, with ``sys.setprofile``.
That count does not depend on the machine's load, so the bounds below are
exact properties, not timing guesses. The worst inputs are those of
``benchmarks/worst_case.py`` (RFC 1035 compression pointer chains in option
119, RFC 3396 concatenation, sub-option repeats, overload), which times them.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhcpwire import MAGIC_COOKIE, decode
from dhcpwire.codecs import DomainListCodec

#: The most calls a decode may make per octet of input (the worst inputs make
#: 7-13); a quadratic walk makes hundreds at 9 KB.
CALLS_PER_OCTET = 25


def _load_worst_case() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "worst_case.py"
    spec = importlib.util.spec_from_file_location("_worst_case", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


worst_case = _load_worst_case()


def calls(fn: Callable[[bytes], object], data: bytes) -> int:
    """Function calls (Python and C) made by ``fn(data)``."""
    count = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        fn(data)
    finally:
        sys.setprofile(None)
    return count


def _typed(data: bytes) -> None:
    options = decode(data).options
    for code in options:
        options[code]


@pytest.mark.parametrize("name", list(worst_case.WORST))
def test_worst_inputs_cost_the_same_work_per_octet_at_1_5_and_9_kb(name: str) -> None:
    build = worst_case.WORST[name]
    small, large = build(1_500), build(9_000)
    per_small = calls(_typed, small) / len(small)
    per_large = calls(_typed, large) / len(large)
    assert per_large <= CALLS_PER_OCTET
    assert per_large <= 1.3 * per_small + 0.5, (per_small, per_large)


def test_a_chain_of_backward_pointers_is_walked_once_per_pointer() -> None:
    # RFC 1035 section 4.1.4: each name a pointer to the previous pointer, so
    # following pointers name by name would walk the whole chain every time.
    codec = DomainListCodec()
    short, long = worst_case._chain(2_000, labels=False), worst_case._chain(8_000, labels=False)
    assert calls(codec.decode, long) / len(long) <= 1.3 * calls(codec.decode, short) / len(short)
    assert calls(codec.validate, long) / len(long) <= 1.3 * calls(
        codec.validate, short) / len(short)


@st.composite
def pointer_lists(draw: st.DrawFn) -> bytes:
    """Option 119 values of names whose suffixes are pointers to any earlier
    name, chosen by hypothesis: chains, fans and everything between."""
    out = bytearray()
    starts: list[int] = []
    for _ in range(draw(st.integers(1, 300))):
        here = len(out)
        label = draw(st.sampled_from([b"", b"\x01x", b"\x03abc"]))
        if starts and draw(st.booleans()):
            out += label + (0xC000 | draw(st.sampled_from(starts))).to_bytes(2, "big")
        else:
            out += label + b"\x00"
        starts.append(here)
    return bytes(out)


@settings(max_examples=60)
@given(value=pointer_lists())
def test_decode_work_per_octet_is_bounded_for_any_pointer_structure(value: bytes) -> None:
    codec = DomainListCodec()
    try:
        codec.validate(value)
    except Exception:
        return  # a name over 255 octets: rejected, which is bounded work too
    payload = (b"\x01\x01\x06" + bytes(233) + MAGIC_COOKIE + worst_case._split(119, value)
               + b"\xff")
    assert calls(_typed, payload) <= CALLS_PER_OCTET * len(payload)
