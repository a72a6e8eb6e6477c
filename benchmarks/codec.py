#!/usr/bin/env python3
"""Codec benchmark: dhcpwire and other pure-Python DHCPv4 libraries against a floor.

Run from the repository root::

    python benchmarks/codec.py            # full run, about a minute
    python benchmarks/codec.py --quick    # smoke test, a few seconds
    python benchmarks/codec.py --json     # machine-readable results on stdout

The machine this runs on is shared and noisy, so no absolute number is
compared with anything: every time is divided by the time of the "floor" (a
minimal ``struct.unpack_from`` parser and its matching builder, below)
measured in the same run, on the same packet, interleaved with the library
being measured.  See ``benchmarks/README.md`` for what each operation means.

Exit status: 0 when every library that loaded passed its start-up checks,
1 when a check failed (the results of that library and packet are then left
out and the failure is printed); 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import importlib.metadata
import json
import math
import os
import platform
import struct
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The sample packets live beside this file; dhcpwire is imported from this
# checkout, before any installed copy.
for _path in (str(HERE), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from packets import MAGIC_COOKIE, OPTION_CODES, PACKETS  # noqa: E402

OPS = ("decode", "decode+typed", "encode", "build+encode")

#: Which floor operation each operation's ratio is taken against.
BASELINE = {
    "decode": "decode",
    "decode+typed": "decode",
    "encode": "encode",
    "build+encode": "encode",
}

#: Targets for dhcpwire (issue 11 item 6): (operation, packet) -> the largest
#: ratio to the floor; packet None means every sample packet.
TARGETS: dict[tuple[str, str | None], float] = {
    ("decode", None): 1.5,
    ("decode+typed", "ack"): 3.0,
    ("decode+typed", "big_ack"): 4.0,
    ("build+encode", "ack"): 3.0,
    ("build+encode", "big_ack"): 3.0,
}
#: Target for ``python -c "import dhcpwire"``, less the interpreter start.
IMPORT_TARGET_MS = 15.0


# ---------------------------------------------------------------------------
# The floor: the least a pure-Python codec can do.  It splits the fixed
# header with one unpack_from and the options into raw bytes, joining the
# pieces of a repeated code (RFC 3396), and checks the cookie and the option
# lengths; the builder is its inverse and pads to 300 octets.  Every ratio
# printed is a library's time over the floor's.

_HEADER = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s4s")
_unpack_header = _HEADER.unpack_from
_pack_header = _HEADER.pack
_pack_tl = struct.Struct("BB").pack


def floor_decode(data: bytes) -> tuple[tuple[Any, ...], dict[int, bytes]]:
    """The fixed header's 15 fields (cookie last) and a dict code -> payload."""
    header = _unpack_header(data)
    if header[14] != MAGIC_COOKIE:
        raise ValueError("no magic cookie at offset 236")
    options: dict[int, bytes] = {}
    end = len(data)
    i = 240
    while i < end:
        code = data[i]
        if code == 255:
            break
        if code:
            start = i + 2
            i = start + data[i + 1]
            if i > end:
                raise ValueError(f"option {code} runs past the end")
            if code in options:
                options[code] += data[start:i]
            else:
                options[code] = data[start:i]
        else:
            i += 1
    return header, options


def floor_encode(header: tuple[Any, ...], options: dict[int, bytes]) -> bytes:
    """The payload for 14 header fields (no cookie) and raw options, padded to 300."""
    parts = [_pack_header(*header, MAGIC_COOKIE)]
    append = parts.append
    for code, value in options.items():
        size = len(value)
        if size < 256:
            append(_pack_tl(code, size))
            append(value)
        else:  # RFC 3396: split into 255-octet pieces of the same code
            for at in range(0, size, 255):
                piece = value[at : at + 255]
                append(_pack_tl(code, len(piece)))
                append(piece)
    append(b"\xff")
    out = b"".join(parts)
    if len(out) < 300:
        out += bytes(300 - len(out))
    return out


# ---------------------------------------------------------------------------
# What a library contributes for one packet.


@dataclasses.dataclass
class Op:
    """One timed statement and the names it uses: ``timeit`` runs ``stmt``."""

    stmt: str
    env: dict[str, Any]


@dataclasses.dataclass
class Case:
    """A library on one packet: its timed operations and the footnotes.

    ``na`` maps an operation the library cannot do to why; ``notes`` maps a
    measured operation to a caveat printed as a footnote.
    """

    ops: dict[str, Op] = dataclasses.field(default_factory=dict)
    na: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: dict[str, str] = dataclasses.field(default_factory=dict)


class CheckFailed(Exception):
    """A library's result on a sample packet is not what the packet holds."""


def check(condition: bool, message: str) -> None:
    """Like ``assert``, but also under ``python -O``."""
    if not condition:
        raise CheckFailed(message)


def check_codes(seen: Iterable[int], name: str, what: str) -> None:
    """The option codes a decoder reports must be the packet's, each once."""
    seen = list(seen)
    expected = list(OPTION_CODES[name])
    check(
        sorted(seen) == sorted(expected),
        f"{what} sees {len(seen)} options {sorted(seen)}, "
        f"the packet has {len(expected)}: {sorted(expected)}",
    )


def check_encoded(out: bytes, name: str, what: str, case: Case, op: str = "encode") -> None:
    """What an encoder wrote must carry the packet's header and option codes.

    Options whose octets differ from the sample's (a library normalising a
    value) are allowed and become a footnote; a missing or extra option, or a
    different header, fails the check.
    """
    header, options = floor_decode(bytes(out))
    want_header, want = floor_decode(PACKETS[name])
    hlen = want_header[2]
    check(
        header[:11] == want_header[:11] and header[11][:hlen] == want_header[11][:hlen],
        f"{what} wrote a different fixed header",
    )
    check(
        sorted(options) == sorted(want),
        f"{what} wrote options {sorted(options)}, the packet has {sorted(want)}",
    )
    changed = [code for code in want if options[code] != want[code]]
    if changed:
        note = f"its output differs from the sample in options {changed}"
        case.notes[op] = f"{case.notes[op]}; {note}" if op in case.notes else note


# ---------------------------------------------------------------------------
# The adapters.  Each returns a Case for one packet, after checking that the
# library sees what the packet holds; each uses the library's documented,
# fastest way to do the operation (read from its installed source).


def prepare_floor(name: str, data: bytes) -> Case:
    header, options = floor_decode(data)
    check_codes(options, name, "the floor")
    fields = header[:14]
    out = floor_encode(fields, options)
    check(floor_decode(out) == (header, options), "the floor does not round-trip")
    return Case(
        ops={
            "decode": Op("f(d)", {"f": floor_decode, "d": data}),
            "encode": Op("f(h, o)", {"f": floor_encode, "h": fields, "o": options}),
        }
    )


def prepare_dhcpwire(name: str, data: bytes) -> Case:
    dw: Any = importlib.import_module("dhcpwire")
    decode, encode, Message, Options = dw.decode, dw.encode, dw.Message, dw.Options
    msg = decode(data)
    check_codes(msg.options, name, "dhcpwire.decode")

    def typed(data: bytes) -> None:
        options = decode(data).options
        for code in options:
            options[code]

    typed(data)
    values = {code: msg.options[code] for code in msg.options}
    # A message built from the typed values, so nothing from the decode (such
    # as the original octets) can be reused by encode.
    msg2 = dataclasses.replace(msg, options=Options(values))
    out = encode(msg2)
    back = decode(out)
    for field in dataclasses.fields(msg):
        if field.name != "options":
            check(
                getattr(back, field.name) == getattr(msg, field.name),
                f"dhcpwire: {field.name} changed in an encode/decode round trip",
            )
    check_codes(back.options, name, "dhcpwire.decode(dhcpwire.encode(...))")
    for code, value in values.items():
        check(
            back.options[code] == value,
            f"dhcpwire: option {code} changed in an encode/decode round trip: "
            f"{value!r} -> {back.options[code]!r}",
        )
    case = Case()
    check_encoded(out, name, "dhcpwire.encode", case)

    # build+encode: the statement a caller writes, keyword arguments and a
    # dict display of the typed option values, compiled into the timing loop.
    env: dict[str, Any] = {"e": encode, "M": Message, "O": Options}
    keywords = []
    for field in dataclasses.fields(msg):
        if field.name != "options":
            env[f"h_{field.name}"] = getattr(msg, field.name)
            keywords.append(f"{field.name}=h_{field.name}")
    items = []
    for code, value in values.items():
        env[f"v{code}"] = value
        items.append(f"{code}: v{code}")
    build = f"e(M({', '.join(keywords)}, options=O({{{', '.join(items)}}})))"
    check_encoded(eval(build, env), name, "dhcpwire build+encode", case, "build+encode")

    case.ops.update(
        {
            "decode": Op("f(d)", {"f": decode, "d": data}),
            "decode+typed": Op("f(d)", {"f": typed, "d": data}),
            "encode": Op("f(m)", {"f": encode, "m": msg2}),
            "build+encode": Op(build, env),
        }
    )
    return case


def prepare_dpkt(name: str, data: bytes) -> Case:
    DHCP: Any = importlib.import_module("dpkt.dhcp").DHCP
    msg = DHCP(data)
    check_codes([code for code, _ in msg.opts], name, "dpkt.dhcp.DHCP")
    # dpkt's own constructor with the header fields, the (code, bytes) option
    # list and the PAD octets after END as its data.
    fields = {field: getattr(msg, field) for field in DHCP.__hdr_fields__}
    built = DHCP(**fields, opts=list(msg.opts), data=msg.data)
    case = Case(
        na={
            "decode+typed": "dpkt keeps options as raw (code, bytes) pairs: "
            "it has no typed option values",
        },
        notes={
            "encode": "dpkt: the message holds raw option bytes (no typed values)",
        },
    )
    check_encoded(bytes(built), name, "dpkt", case)
    case.ops.update(
        {
            "decode": Op("f(d)", {"f": DHCP, "d": data}),
            "encode": Op("bytes(m)", {"m": built}),
        }
    )
    return case


def prepare_scapy(name: str, data: bytes) -> Case:
    dhcp: Any = importlib.import_module("scapy.layers.dhcp")
    BOOTP, DHCP = dhcp.BOOTP, dhcp.DHCP
    pkt = BOOTP(data)
    options = pkt[DHCP].options
    # Dissection yields ("name", value, ...) tuples, (code, bytes) for codes
    # scapy has no field for, and the strings "end" and "pad".
    codes = []
    for opt in options:
        if isinstance(opt, tuple):
            key = opt[0]
            codes.append(key if isinstance(key, int) else dhcp.DHCPRevOptions[key][0])
        else:
            check(opt in ("end", "pad"), f"scapy could not dissect: {opt!r}")
    check_codes(codes, name, "scapy BOOTP/DHCP")

    def typed(data: bytes) -> None:
        # scapy converts option values while it dissects, so this only walks
        # the list of (name, value...) tuples it already built.
        for opt in BOOTP(data)[DHCP].options:
            opt[1:]

    typed(data)

    # encode: a BOOTP/DHCP built from the header's field values and the typed
    # option list.  An option whose typed value scapy cannot turn back into
    # the same octets is given as (code, raw bytes), which scapy accepts.
    field = DHCP().fields_desc[0]
    _, raw = floor_decode(data)
    opt_list: list[Any] = []
    as_raw = []
    tuples = iter(codes)
    for opt in options:
        if isinstance(opt, tuple):
            code = next(tuples)
            wire = _pack_tl(code, len(raw[code])) + raw[code]
            try:
                same = field.i2m(None, [opt]) == wire
            except Exception:
                same = False
            if not same:
                opt = (code, raw[code])
                as_raw.append(code)
        opt_list.append(opt)
    fields = {key: value for key, value in pkt.fields.items()}
    built = BOOTP(**fields) / DHCP(options=opt_list)
    case = Case()
    if as_raw:
        case.notes["encode"] = (
            f"scapy: options {as_raw} given as raw bytes: scapy's decoded value "
            "does not encode back to the same octets"
        )
    check_encoded(bytes(built), name, "scapy", case)
    case.ops.update(
        {
            "decode": Op("f(d)", {"f": BOOTP, "d": data}),
            "decode+typed": Op("f(d)", {"f": typed, "d": data}),
            "encode": Op("bytes(m)", {"m": built}),
        }
    )
    return case


def prepare_pydhcp(name: str, data: bytes) -> Case:
    DHCPMessage: Any = importlib.import_module("pydhcp.packet").DHCPMessage
    DHCPOptions: Any = importlib.import_module("pydhcp.options").DHCPOptions
    decode = DHCPMessage.decode
    msg = decode(data)
    check_codes(msg.options, name, "pydhcp DHCPMessage.decode")

    # `options.get(code)` decodes, `options[code]` gives the raw bytearray
    # (pydhcp/options/AGENTS.md); `options.items()` decodes them all and
    # measured the same.
    def typed(data: bytes) -> None:
        options = decode(data).options
        get = options.get
        for code in options:
            get(code)

    typed(data)

    # encode: a new message from typed values.  pydhcp stores each option's
    # octets as it is set, so encode is the layout and the header.
    options = DHCPOptions()
    as_raw = []
    for code in msg.options:
        try:
            options[code] = msg.options.get(code)
            same = options[code] == msg.options[code]
        except Exception:
            same = False
        if not same:
            options[code] = bytes(msg.options[code])
            as_raw.append(code)
    built = DHCPMessage(
        msg.op,
        htype=msg.htype,
        hlen=msg.hlen,
        hops=msg.hops,
        xid=msg.xid,
        secs=msg.secs,
        flags=msg.flags,
        ciaddr=msg.ciaddr,
        yiaddr=msg.yiaddr,
        siaddr=msg.siaddr,
        giaddr=msg.giaddr,
        chaddr=msg.chaddr,
        sname=msg.sname,
        file=msg.file,
        options=options,
    )
    case = Case()
    if as_raw:
        case.notes["encode"] = (
            f"pydhcp: options {as_raw} set as raw bytes (their typed values encode to other octets)"
        )
    check_encoded(built.encode(), name, "pydhcp", case)
    case.ops.update(
        {
            "decode": Op("f(d)", {"f": decode, "d": data}),
            "decode+typed": Op("f(d)", {"f": typed, "d": data}),
            "encode": Op("m.encode()", {"m": built}),
        }
    )
    return case


def prepare_dhcplib(name: str, data: bytes) -> Case:
    packet_mod: Any = importlib.import_module("dhcplib.packet")
    constants: Any = importlib.import_module("dhcplib.constants")
    DHCPPacket = packet_mod.DHCPPacket
    pkt = DHCPPacket(data)
    # dhcplib silently drops codes its table does not know, and has no public
    # way to list the options a packet holds; the check reads its dict.
    check_codes(pkt._options, name, "dhcplib DHCPPacket")
    codes = OPTION_CODES[name]
    # Each converted read uses a packet of its own: reading option 82
    # converted changes the stored option (rfc3046_decode pops from the list
    # it is handed), so a later read of the same packet sees other octets.
    typed_values: dict[int, Any] = {}
    raw_codes = []
    for code in codes:
        try:
            typed_values[code] = DHCPPacket(data).get_option(code, convert=True)
        except Exception:
            raw_codes.append(code)
    typed_codes = list(typed_values)

    def typed(data: bytes) -> None:
        # No public iteration over a packet's options: ask for each code the
        # packet carries, converted where dhcplib has a conversion.
        get = DHCPPacket(data).get_option
        for code in typed_codes:
            get(code, True)
        for code in raw_codes:
            get(code)

    typed(data)
    case = Case()
    if raw_codes:
        case.notes["decode+typed"] = (
            f"dhcplib has no typed value for options {raw_codes}: "
            "those are read as its raw list of ints"
        )

    # encode: a fresh DHCPPacket, header fields set as dhcplib keeps them
    # (lists of ints), options set from their typed values.  set_option's
    # length check refuses valid values (it finds a fixed length of 0 for
    # variable-length types), so it is skipped with its `validate=False`.
    built = DHCPPacket()
    for field in constants.DHCP_FIELDS:
        built.set_option(field, pkt.get_option(field))
    refused = []
    as_raw = []
    for code in codes:
        raw = DHCPPacket(data).get_option(code)
        try:
            built.set_option(code, typed_values.get(code, raw), validate=False)
            same = list(built.get_option(code)) == raw
        except LookupError:
            refused.append(code)
            continue
        except Exception:
            same = False
        if not same:
            built.set_option(code, raw, validate=False)
            as_raw.append(code)
    if refused:
        case.na["encode"] = (
            f"dhcplib refuses to set options {refused} (set_option: "
            "'Unsupported option'), so it cannot build this message"
        )
    else:
        if as_raw:
            case.notes["encode"] = (
                f"dhcplib: options {as_raw} set as raw lists of ints "
                "(their typed values encode to other octets)"
            )
        check_encoded(built.encode_packet(), name, "dhcplib", case)
        case.ops["encode"] = Op("m.encode_packet()", {"m": built})
    case.ops.update(
        {
            "decode": Op("f(d)", {"f": DHCPPacket, "d": data}),
            "decode+typed": Op("f(d)", {"f": typed, "d": data}),
        }
    )
    return case


def prepare_dhcppython(name: str, data: bytes) -> Case:
    DHCPPacket: Any = importlib.import_module("dhcppython.packet").DHCPPacket
    directory: Any = importlib.import_module("dhcppython.options").options
    OptionList: Any = importlib.import_module("dhcppython.options").OptionList
    from_bytes = DHCPPacket.from_bytes
    pkt = from_bytes(data)
    check_codes([o.code for o in pkt.options if o.code not in (0, 255)], name, "dhcppython")
    untyped = set()
    for opt in pkt.options:
        try:
            opt.value  # noqa: B018 - the property computes the value
        except Exception:
            untyped.add(opt.code)

    # `.value` is computed on first access (and then cached on the option).
    def typed(data: bytes) -> None:
        for opt in from_bytes(data).options:
            opt.value  # noqa: B018

    def typed_some(data: bytes) -> None:
        for opt in from_bytes(data).options:
            if opt.code in untyped:
                opt.data  # noqa: B018
            else:
                opt.value  # noqa: B018

    case = Case()
    if untyped:
        case.notes["decode+typed"] = (
            f"dhcppython raises on .value of options {sorted(untyped)}: those are read as raw .data"
        )

    # encode: a DHCPPacket from the header's values and an OptionList of
    # options made from their typed values (options.value_to_object).
    opts = []
    as_raw = []
    for opt in pkt.options:
        try:
            made = directory.value_to_object(opt.value)
            same = made.asbytes == opt.asbytes
        except Exception:
            same = False
        if not same:
            made = type(opt)(opt.code, opt.length, opt.data)
            as_raw.append(opt.code)
        opts.append(made)
    built = DHCPPacket(
        pkt.op,
        pkt.htype,
        pkt.hlen,
        pkt.hops,
        pkt.xid,
        pkt.secs,
        pkt.flags,
        pkt.ciaddr,
        pkt.yiaddr,
        pkt.siaddr,
        pkt.giaddr,
        pkt.chaddr,
        pkt.sname,
        pkt.file,
        OptionList(opts),
    )
    if as_raw:
        case.notes["encode"] = (
            f"dhcppython: options {as_raw} made from raw bytes "
            "(their typed values do not encode to the same octets)"
        )
    check_encoded(built.asbytes, name, "dhcppython", case)
    case.ops.update(
        {
            "decode": Op("f(d)", {"f": from_bytes, "d": data}),
            "decode+typed": Op("f(d)", {"f": typed_some if untyped else typed, "d": data}),
            "encode": Op("m.asbytes", {"m": built}),
        }
    )
    return case


@dataclasses.dataclass(frozen=True)
class Library:
    """A library under test: how to import it, find its version, prepare it."""

    name: str
    modules: tuple[str, ...]  # what must import for the adapter to work
    dist: str | None  # the PyPI distribution, for the version
    import_stmt: str  # what the import-time measurement runs
    prepare: Callable[[str, bytes], Case]


LIBRARIES = (
    Library("dhcpwire", ("dhcpwire",), None, "import dhcpwire", prepare_dhcpwire),
    Library("dpkt", ("dpkt.dhcp",), "dpkt", "import dpkt.dhcp", prepare_dpkt),
    Library(
        "scapy",
        ("scapy.layers.dhcp",),
        "scapy",
        "import scapy.layers.dhcp",
        prepare_scapy,
    ),
    Library(
        "pydhcp",
        ("pydhcp.packet", "pydhcp.options"),
        "pydhcp",
        "import pydhcp.packet",
        prepare_pydhcp,
    ),
    Library(
        "dhcplib",
        ("dhcplib.packet", "dhcplib.constants"),
        "dhcplib",
        "import dhcplib.packet",
        prepare_dhcplib,
    ),
    Library(
        "dhcppython",
        ("dhcppython.packet", "dhcppython.options"),
        "dhcppython",
        "import dhcppython.packet",
        prepare_dhcppython,
    ),
)
FLOOR = "floor"


def load(lib: Library) -> tuple[str | None, str | None]:
    """Import a library: (version or None, None) or (None, why it failed)."""
    try:
        for module in lib.modules:
            importlib.import_module(module)
    except Exception as exc:  # ImportError, or anything a broken install raises
        return None, f"{type(exc).__name__}: {exc}"
    version = None
    if lib.dist is not None:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            version = importlib.metadata.version(lib.dist)
    else:
        version = str(getattr(sys.modules[lib.modules[0]], "__version__", "checkout"))
    return version or "?", None


# ---------------------------------------------------------------------------
# Timing.


@dataclasses.dataclass
class Settings:
    repeats: int
    min_time: float  # seconds per repeat
    import_runs: int
    #: "wall" (time.perf_counter, as timeit) or "cpu" (time.thread_time: the
    #: time this thread ran, so that another process's turn on a shared CPU
    #: is not counted; what it cannot remove is that process's cache traffic).
    timer: str = "wall"
    #: the checkout whose dhcpwire is measured (this one unless --tree says)
    tree: Path = ROOT


TIMERS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.thread_time}


def loops_for(timer: timeit.Timer, min_time: float) -> int:
    """Like ``Timer.autorange``: the loop count that takes ``min_time`` or more."""
    number = 1
    while True:
        took = timer.timeit(number)
        if took >= min_time:
            return number
        # Aim 20% past the target, growing at most 100-fold per step.
        number = min(
            number * 100,
            max(number + 1, int(number * min_time * 1.2 / max(took, 1e-9))),
        )


def measure(ops: dict[str, Op], settings: Settings) -> dict[str, tuple[float, int]]:
    """Best seconds per call of each op, repeats interleaved across the ops.

    Interleaving (floor, lib1, lib2, ..., floor, lib1, ...) spreads the noise
    of a shared machine over all of them alike, so the ratios hold up better
    than the times.
    """
    clock = TIMERS[settings.timer]
    timers = {key: timeit.Timer(op.stmt, globals=op.env, timer=clock) for key, op in ops.items()}
    loops = {key: loops_for(timer, settings.min_time) for key, timer in timers.items()}
    best = dict.fromkeys(timers, math.inf)
    for _ in range(settings.repeats):
        for key, timer in timers.items():
            best[key] = min(best[key], timer.timeit(loops[key]) / loops[key])
    return {key: (best[key], loops[key]) for key in timers}


_PYCACHE = tempfile.mkdtemp(prefix="dhcpwire-bench-pycache-")


def import_ms(stmt: str, runs: int, *, compiled: bool = True, cwd: Path = ROOT,
              beside: Path | None = None) -> float | tuple[float, float]:
    """Best time ``python -c stmt`` spends importing what ``stmt`` imports,
    run from ``cwd``, in ms, as ``python -X importtime`` reports it (the
    cumulative time of each module the statement imports at the top; the
    interpreter's own start-up, which on a shared machine varies by more
    than an import costs, is not in it). With ``beside``, the same from that
    directory too, the runs alternating: (``cwd``'s, ``beside``'s).

    ``compiled`` (the default) measures an import as an installed package
    is imported: with its bytecode already compiled. The environment may set
    PYTHONDONTWRITEBYTECODE (this machine does), which would make every run
    compile every module from source, so these runs use a private bytecode
    cache (PYTHONPYCACHEPREFIX), filled by one untimed run first. With
    ``compiled=False`` every run compiles from source (a fresh, empty cache
    that is never written): what ``import`` costs on such a machine.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    dirs = [cwd] if beside is None else [cwd, beside]
    if compiled:
        env["PYTHONPYCACHEPREFIX"] = _PYCACHE
        for where in dirs:
            subprocess.run([sys.executable, "-c", stmt], cwd=where, check=True,
                           stdout=subprocess.DEVNULL, env=env)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="dhcpwire-bench-nocache-")
    startup = _top_imports("pass", cwd, env)
    best = [math.inf] * len(dirs)
    for _ in range(runs):
        for k, where in enumerate(dirs):
            took = _top_imports(stmt, where, env)
            best[k] = min(best[k], sum(us for name, us in took.items() if name not in startup))
    if beside is None:
        return best[0] / 1000
    return best[0] / 1000, best[1] / 1000


def _top_imports(stmt: str, cwd: Path, env: dict[str, str]) -> dict[str, int]:
    """``python -X importtime -c stmt``: the modules imported at the top level
    (not by another module), with their cumulative microseconds."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", stmt], cwd=cwd, check=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                         text=True).stderr
    top = {}
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[0].startswith("import time:") and parts[1].strip().isdigit():
            name = parts[2][1:]
            if not name.startswith(" "):
                top[name] = int(parts[1])
    return top


# ---------------------------------------------------------------------------
# Output.


class Footnotes:
    """Numbers each distinct footnote text once, in order of first use."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def mark(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        return f"[{self.texts.index(text) + 1}]"


def fmt_us(seconds: float) -> str:
    us = seconds * 1e6
    if us >= 1000:
        return f"{us:,.0f} us"
    if us >= 100:
        return f"{us:.0f} us"
    if us >= 10:
        return f"{us:.1f} us"
    return f"{us:.2f} us"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main(argv: list[str] | None = None) -> int:
    names = [lib.name for lib in LIBRARIES]
    parser = argparse.ArgumentParser(
        description="Time DHCPv4 codecs against a minimal struct-based floor.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats: a smoke test")
    parser.add_argument(
        "--packet",
        action="append",
        choices=list(PACKETS),
        metavar="NAME",
        help=f"only this packet (repeatable): {', '.join(PACKETS)}",
    )
    parser.add_argument(
        "--lib",
        action="append",
        choices=names,
        metavar="NAME",
        help=f"only this library (repeatable; the floor always runs): {', '.join(names)}",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    parser.add_argument("--repeats", type=int, help="repeats per measurement (default 7, quick 3)")
    parser.add_argument(
        "--min-time",
        type=float,
        help="seconds per repeat; loops are sized to it (default 0.05, quick 0.005)",
    )
    parser.add_argument(
        "--import-runs",
        type=int,
        help="subprocess runs per import-time measurement (default 10, quick 3)",
    )
    parser.add_argument(
        "--timer",
        choices=list(TIMERS),
        default="wall",
        help="wall: elapsed time (timeit's); cpu: the time this thread ran, which a "
        "shared machine's other processes disturb less (default wall)",
    )
    parser.add_argument(
        "--tree",
        type=Path,
        help="measure the dhcpwire of another checkout (e.g. an older commit's), with "
        "this script and these packets",
    )
    parser.add_argument(
        "--import-beside",
        type=Path,
        metavar="DIR",
        help="also time 'import dhcpwire' from DIR (another checkout), the runs alternating "
        "with this one's, so that both see the same load",
    )
    args = parser.parse_args(argv)
    settings = Settings(
        repeats=args.repeats or (3 if args.quick else 7),
        min_time=args.min_time or (0.005 if args.quick else 0.05),
        import_runs=args.import_runs or (3 if args.quick else 10),
        timer=args.timer,
        tree=(args.tree or ROOT).resolve(),
    )
    if "dhcpwire" in sys.modules and settings.tree != ROOT:
        parser.error("--tree: dhcpwire is already imported")
    sys.path.insert(0, str(settings.tree))
    if settings.repeats < 1 or settings.min_time <= 0 or settings.import_runs < 1:
        parser.error("--repeats, --min-time and --import-runs must be positive")
    packets = args.packet or list(PACKETS)
    chosen = [lib for lib in LIBRARIES if not args.lib or lib.name in args.lib]

    def say(text: str = "") -> None:
        print(text, file=sys.stderr if args.json else sys.stdout, flush=True)

    notes = Footnotes()
    say(
        f"DHCPv4 codec benchmark: Python {platform.python_version()} "
        f"({platform.python_implementation()}) on {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    say(
        f"best of {settings.repeats} repeats of >= {settings.min_time * 1000:g} ms "
        f"each ({settings.timer} time); ratios are to the floor on the same packet, "
        "measured interleaved in this run"
    )
    if settings.tree != ROOT:
        say(f"dhcpwire from {settings.tree}")
    say()

    versions: dict[str, str] = {}
    missing: dict[str, str] = {}
    for lib in chosen:
        version, why = load(lib)
        if version is None:
            missing[lib.name] = why or "?"
            if lib.name == "dhcpwire":
                say(f"dhcpwire: not importable yet ({why})")
            else:
                say(f"{lib.name}: missing ({why}); skipped")
        else:
            versions[lib.name] = version
            say(f"{lib.name} {version}")
    loaded = [lib for lib in chosen if lib.name in versions]
    say()

    failures: list[str] = []
    results: list[dict[str, Any]] = []
    ratios: dict[tuple[str, str], list[float]] = {}
    for pname in packets:
        data = PACKETS[pname]
        cases: dict[str, Case] = {FLOOR: prepare_floor(pname, data)}
        for lib in loaded:
            try:
                cases[lib.name] = lib.prepare(pname, data)
            except CheckFailed as exc:
                failures.append(f"{lib.name} on {pname}: {exc}")
                say(f"CHECK FAILED: {lib.name} on {pname}: {exc}")
            except Exception as exc:
                failure = f"{lib.name} on {pname}: {type(exc).__name__}: {exc}"
                failures.append(failure)
                say(f"CHECK FAILED: {failure}")
        rows: dict[str, dict[str, str]] = {key: {} for key in cases}
        for op in OPS:
            for key, case in cases.items():
                if op in case.na:
                    rows[key][op] = "n/a " + notes.mark(case.na[op])
                    results.append({"library": key, "packet": pname, "op": op, "na": case.na[op]})
            ops = {
                key: case.ops[op] for key, case in cases.items() if key != FLOOR and op in case.ops
            }
            if not ops:
                continue
            base_key = BASELINE[op]
            ops[FLOOR] = cases[FLOOR].ops[base_key]
            timed = measure(ops, settings)
            base, base_loops = timed.pop(FLOOR)
            if op == base_key:
                rows[FLOOR][op] = f"{fmt_us(base)}  1.00x"
            results.append(
                {
                    "library": FLOOR,
                    "packet": pname,
                    "op": op,
                    "usec": base * 1e6,
                    "ratio": 1.0,
                    "loops": base_loops,
                    "note": None if op == base_key else f"the floor's {base_key}",
                }
            )
            for key, (seconds, loops) in timed.items():
                ratio = seconds / base
                note = cases[key].notes.get(op)
                mark = notes.mark(note) if note else ""
                rows[key][op] = f"{fmt_us(seconds)}  {fmt_ratio(ratio)} {mark}".rstrip()
                ratios.setdefault((key, op), []).append(ratio)
                results.append(
                    {
                        "library": key,
                        "packet": pname,
                        "op": op,
                        "usec": seconds * 1e6,
                        "ratio": ratio,
                        "floor_usec": base * 1e6,
                        "loops": loops,
                        "note": note,
                    }
                )
        if not args.json:
            print_packet(pname, data, rows)

    import_times: dict[str, float] = {}
    if not args.json:
        say(
            "import time: what python -X importtime -c 'import X' reports for the modules "
            f"the statement imports, best of {settings.import_runs} runs; bytecode compiled "
            "first into a private cache (as a pip install has it) unless said otherwise"
        )
    for lib in loaded:
        if lib.name != "dhcpwire":
            took = import_ms(lib.import_stmt, settings.import_runs)
            assert isinstance(took, float)
            import_times[lib.name] = took
            say(f"  {lib.import_stmt:<28} {took:7.1f} ms (compiled bytecode)")
            continue
        for compiled, how in ((True, "compiled bytecode"), (False, "every module compiled "
                              "from source, as with PYTHONDONTWRITEBYTECODE and no cache")):
            key = "dhcpwire" if compiled else "dhcpwire (from source)"
            both = import_ms(lib.import_stmt, settings.import_runs, compiled=compiled,
                             cwd=settings.tree, beside=args.import_beside)
            ours, theirs = both if isinstance(both, tuple) else (both, None)
            import_times[key] = ours
            say(f"  {lib.import_stmt:<28} {ours:7.1f} ms ({how})")
            if theirs is not None:
                import_times[f"{key}, {args.import_beside}"] = theirs
                say(f"  {'  ' + str(args.import_beside):<28} {theirs:7.1f} ms (the same, runs "
                    "alternating with the line above)")
    for name in missing:
        say(f"  {name:<35} not importable")
    say()

    if ratios:
        say("geometric mean of the ratios over the packets measured:")
        say(f"  {'library':<12}" + "".join(f"{op:>15}" for op in OPS))
        for lib in loaded:
            cells = [
                fmt_ratio(geomean(ratios[(lib.name, op)])) if (lib.name, op) in ratios else "-"
                for op in OPS
            ]
            say(f"  {lib.name:<12}" + "".join(f"{cell:>15}" for cell in cells))
        say()

    targets = target_table(
        any(lib.name == "dhcpwire" for lib in chosen),
        results,
        import_times,
        missing,
        packets,
    )
    say("dhcpwire targets (issue 11 item 6); informational only:")
    for line in targets["lines"]:
        say("  " + line)
    say()

    if notes.texts and not args.json:
        say("notes:")
        for number, text in enumerate(notes.texts, 1):
            say(f"  [{number}] {text}")
        say()
    say(
        "legend: decode+typed is divided by the floor's decode and build+encode by "
        "its encode; build+encode is measured for dhcpwire only; '-' not measured."
    )
    for failure in failures:
        say(f"CHECK FAILED: {failure}")

    if args.json:
        doc = {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "machine": platform.machine(),
            "settings": {**dataclasses.asdict(settings), "tree": str(settings.tree)},
            "versions": versions,
            "missing": missing,
            "packets": {
                name: {
                    "octets": len(PACKETS[name]),
                    "options": list(OPTION_CODES[name]),
                }
                for name in packets
            },
            "results": results,
            "import_ms": import_times,
            "targets": targets["results"],
            "failures": failures,
        }
        print(json.dumps(doc, indent=2))
    return 1 if failures else 0


def print_packet(pname: str, data: bytes, rows: dict[str, dict[str, str]]) -> None:
    width = 22
    print(f"{pname}: {len(data)} octets, {len(OPTION_CODES[pname])} options")
    print((f"  {'':<12}" + "".join(f"{op:<{width}}" for op in OPS)).rstrip())
    for key, cells in rows.items():
        print(f"  {key:<12}" + "".join(f"{cells.get(op, '-'):<{width}}" for op in OPS).rstrip())
    print()


def target_table(
    selected: bool,
    results: list[dict[str, Any]],
    import_times: dict[str, float],
    missing: dict[str, str],
    packets: list[str],
) -> dict[str, Any]:
    """PASS/MISS lines for the targets, and the same as data."""
    lines = []
    out = []
    if "dhcpwire" in missing:
        return {"lines": ["n/a: dhcpwire is not importable yet"], "results": []}
    if not selected:
        return {"lines": ["not measured: --lib leaves out dhcpwire"], "results": []}
    found = {
        (r["op"], r["packet"]): r["ratio"]
        for r in results
        if r["library"] == "dhcpwire" and "ratio" in r
    }
    for (op, packet), limit in TARGETS.items():
        names = [p for p in packets if packet in (None, p)]
        ratios = {p: found[op, p] for p in names if (op, p) in found}
        where = packet or "every packet"
        if not ratios:
            lines.append(f"{op:<14} {where:<13} {'-':>7}  target <= {limit:g}x  not measured")
            continue
        worst = max(ratios, key=lambda p: ratios[p])
        ratio = ratios[worst]
        verdict = "PASS" if ratio <= limit else "MISS"
        label = f"{ratio:.2f}x" + (f" ({worst})" if packet is None else "")
        lines.append(f"{op:<14} {where:<13} {label:>17}  target <= {limit:g}x  {verdict}")
        out.append({"target": op, "packet": packet, "worst_packet": worst, "value": ratio,
                    "limit": limit, "pass": ratio <= limit})
    if "dhcpwire" in import_times:
        ms = import_times["dhcpwire"]
        verdict = "PASS" if ms < IMPORT_TARGET_MS else "MISS"
        lines.append(f"{'import':<28} {ms:7.1f} ms  target < {IMPORT_TARGET_MS:g} ms   {verdict}")
        out.append(
            {
                "target": "import_ms",
                "value": ms,
                "limit": IMPORT_TARGET_MS,
                "pass": ms < IMPORT_TARGET_MS,
            }
        )
    else:
        lines.append("import         not measured")
    return {"lines": lines, "results": out}


if __name__ == "__main__":
    sys.exit(main())
