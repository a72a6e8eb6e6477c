"""The ``dhcpwire`` command (also ``python -m dhcpwire``).

``dhcpwire decode INPUT`` prints each DHCP message of INPUT: a hex string, a
file holding one raw DHCP payload, or a pcap/pcapng capture (UDP ports 67
and 68), filtered by type, xid or hardware address, grouped by transaction
with ``--follow``. Bad input gets a one-line error with the byte offset and
exit status 1, never a traceback.

``dhcpwire demo`` runs the client and server state machines against each
other on a virtual clock (:mod:`dhcpwire._demo`); ``dhcpwire lint CAPTURE``
holds a capture against RFC 2131 tables 3, 4 and 5 (:mod:`dhcpwire._lint`).
Exit status: 0 success, 1 a failure the output explains, 2 a bad command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import sys
from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address
from typing import Any, TextIO

from ..tools.lint import Finding, check_capture
from ..tools.pcap import is_capture, read_datagrams
from ..wire.constants import MessageType
from ..wire.decoder import decode
from ..wire.errors import DecodeError, DhcpwireError
from ..wire.message import Message
from .demo import SCENARIOS, format_timeline, run_all
from .render import format_message, message_to_jsonable, summary_line

__all__ = ["build_parser", "main"]

@dataclasses.dataclass(frozen=True, slots=True)
class _Item:
    """One payload of the input: where it is, and its IP addresses when a capture says."""

    label: str
    base: int
    payload: bytes
    src: IPv4Address | None = None
    dst: IPv4Address | None = None


def _payloads(arg: str) -> Iterator[_Item]:
    """Each message in ``arg``: hex, a raw payload file, hex text, or a capture."""
    data: bytes | None = None
    if arg == "-":
        data = sys.stdin.buffer.read()
    elif os.path.exists(arg):
        try:
            with open(arg, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise _Fail(f"cannot read {arg}: {exc.strerror}") from None
    if data is None:
        text = "".join(arg.split()).replace(":", "")
        if text.lower().startswith("0x"):
            text = text[2:]
        try:
            yield _Item("message", 0, bytes.fromhex(text))
        except ValueError:
            raise _Fail(f"{arg!r} is neither a file nor hex") from None
        return
    if is_capture(data):
        for dgram in read_datagrams(data):
            yield _Item(f"frame {dgram.number}", dgram.offset, dgram.payload, dgram.src,
                        dgram.dst)
        return
    # a text file of hex, or a raw payload
    try:
        text = data.decode("ascii").strip()
        if text and all(c in "0123456789abcdefABCDEF: \n\r\t" for c in text):
            yield _Item("message", 0, bytes.fromhex("".join(text.split()).replace(":", "")))
            return
    except UnicodeDecodeError:
        pass
    yield _Item("message", 0, data)


class _Fail(Exception):
    pass


class _Progress:
    """A packet count on stderr, redrawn in place, only when stderr is a terminal."""

    def __init__(self, err: TextIO, every: int = 500) -> None:
        isatty = getattr(err, "isatty", None)
        self.on = bool(isatty and isatty())
        self.err = err
        self.every = every
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.on and self.count % self.every == 0:
            self.err.write(f"\r{self.count} packets...")
            self.err.flush()

    def done(self) -> None:
        if self.on and self.count >= self.every:
            self.err.write("\r" + " " * 24 + "\r")
            self.err.flush()


def _decode_error(item: _Item, exc: DecodeError) -> str:
    where = f"offset {exc.offset}"
    if item.base:
        where += f", file offset {item.base + exc.offset}"
    if exc.option is not None:
        where += f", option {exc.option}"
    return f"dhcpwire: {item.label}: {type(exc).__name__}: {exc.message} ({where})\n"


# -- filters -------------------------------------------------------------------------------

def _message_type(text: str) -> int:
    name = text.strip().upper().removeprefix("DHCP")
    if name.isdigit():
        return int(name)
    if name == "BOOTP":
        return -1
    try:
        return int(MessageType[name])
    except KeyError:
        names = ", ".join(t.name for t in MessageType)
        raise argparse.ArgumentTypeError(
            f"unknown message type {text!r} (one of {names}, BOOTP, or a number)") from None


def _types(text: str) -> frozenset[int]:
    return frozenset(_message_type(t) for t in text.split(",") if t.strip())


def _xid(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        try:
            value = int(text, 16)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an xid (0x3903f326 or "
                                             "a decimal number)") from None
    if not 0 <= value <= 0xFFFFFFFF:
        raise argparse.ArgumentTypeError(f"xid {text} does not fit in 32 bits")
    return value


def _chaddr(text: str) -> bytes:
    digits = text.replace(":", "").replace("-", "").replace(".", "")
    try:
        value = bytes.fromhex(digits)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a hardware address "
                                         "(00:0b:82:01:fc:42)") from None
    if not 0 < len(value) <= 16:
        raise argparse.ArgumentTypeError(f"{text!r}: 1 to 16 octets")
    return value


def _wanted(msg: Message, args: argparse.Namespace) -> bool:
    if args.type is not None:
        kind = msg.message_type
        code = -1 if kind is None else int(kind)
        if code not in args.type:
            return False
    if args.xid is not None and msg.xid not in args.xid:
        return False
    return args.chaddr is None or any(
        msg.chaddr[:len(c)] == c and len(msg.chaddr) >= len(c) for c in args.chaddr)


# -- decode --------------------------------------------------------------------------------

def _decode_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    status = 0
    shown: list[tuple[_Item, Message]] = []
    count = 0
    progress = _Progress(err)
    try:
        for item in _payloads(args.input):
            count += 1
            progress.tick()
            try:
                msg = decode(item.payload, strict=not args.lenient)
            except DecodeError as exc:
                status = 1
                err.write(_decode_error(item, exc))
                continue
            if not _wanted(msg, args):
                continue
            if args.follow or args.json:
                shown.append((item, msg))
            else:
                _print_one(item, msg, args, out)
    except DecodeError as exc:  # the capture file itself (CaptureError)
        progress.done()
        err.write(f"dhcpwire: {args.input}: {exc.message} (file offset {exc.offset})\n")
        return 1
    except _Fail as exc:
        err.write(f"dhcpwire: {exc}\n")
        return 1
    progress.done()
    if args.follow:
        groups: dict[int, list[tuple[_Item, Message]]] = {}
        for item, msg in shown:
            groups.setdefault(msg.xid, []).append((item, msg))
        if args.json:
            json.dump([{"xid": f"0x{xid:08x}", "messages": [_json_item(i, m) for i, m in group]}
                       for xid, group in groups.items()], out, indent=2)
            out.write("\n")
        else:
            for n, (xid, group) in enumerate(groups.items()):
                if n:
                    out.write("\n")
                kinds = " ".join(_kind_name(m) for _, m in group)
                out.write(f"transaction 0x{xid:08x} ({len(group)} messages: {kinds})\n")
                for item, msg in group:
                    _print_one(item, msg, args, out, indent="  ")
    elif args.json:
        json.dump([_json_item(i, m) for i, m in shown], out, indent=2)
        out.write("\n")
    if count == 0:
        err.write(f"dhcpwire: {args.input}: no DHCP messages found\n")
        return 1
    return status


def _kind_name(msg: Message) -> str:
    kind = msg.message_type
    return kind.name if isinstance(kind, MessageType) else ("BOOTP" if kind is None
                                                            else str(kind))


def _json_item(item: _Item, msg: Message) -> dict[str, Any]:
    data = message_to_jsonable(msg)
    data["source"] = item.label
    if item.src is not None and item.dst is not None:
        data["ip_src"], data["ip_dst"] = str(item.src), str(item.dst)
    return data


def _print_one(item: _Item, msg: Message, args: argparse.Namespace, out: TextIO,
               indent: str = "") -> None:
    if args.summary:
        out.write(indent + summary_line(item.label, msg, item.src, item.dst) + "\n")
        for defect in msg.defects:
            out.write(f"{indent}  defect: {defect}\n")
        return
    out.write(f"{indent}{item.label}: {msg}\n")
    if indent:
        buf = io.StringIO()
        format_message(msg, buf)
        out.write("".join(indent + line for line in buf.getvalue().splitlines(True)))
    else:
        format_message(msg, out)


# -- demo ----------------------------------------------------------------------------------

def _demo_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    names = SCENARIOS if args.scenario == "all" else (args.scenario,)
    try:
        scenarios = run_all(names, lease_time=args.lease_time, seed=args.seed)
    except ValueError as exc:
        err.write(f"dhcpwire: demo: {exc}\n")
        return 2
    if args.json:
        json.dump({"seed": args.seed, "lease_time": args.lease_time,
                   "scenarios": [s.to_json() for s in scenarios]}, out, indent=2)
        out.write("\n")
        return 0
    out.write(f"# seed {args.seed}, lease time {args.lease_time} s; times in seconds on a "
              "virtual clock\n")
    for n, scenario in enumerate(scenarios):
        if n:
            out.write("\n")
        out.write(format_timeline(scenario))
    return 0


# -- lint ----------------------------------------------------------------------------------

def _lint_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    triples: list[tuple[str, Message, IPv4Address | None]] = []
    problems: list[tuple[str, Finding]] = []
    count = 0
    progress = _Progress(err)
    try:
        for item in _payloads(args.capture):
            count += 1
            progress.tick()
            try:
                msg = decode(item.payload)
            except DecodeError as exc:
                problems.append((item.label, Finding("error", _decode_error(item, exc).split(
                    ": ", 2)[2].rstrip())))
                try:
                    msg = decode(item.payload, strict=False)
                except DecodeError:
                    continue
            triples.append((item.label, msg, item.dst))
    except DecodeError as exc:
        progress.done()
        err.write(f"dhcpwire: {args.capture}: {exc.message} (file offset {exc.offset})\n")
        return 1
    except _Fail as exc:
        err.write(f"dhcpwire: {exc}\n")
        return 1
    progress.done()
    if count == 0:
        err.write(f"dhcpwire: {args.capture}: no DHCP messages found\n")
        return 1
    problems.extend(check_capture(triples))
    order = {label: n for n, (label, _, _) in enumerate(triples)}
    problems.sort(key=lambda p: order.get(p[0], -1))
    if args.errors_only:
        problems = [p for p in problems if p[1].level == "error"]
    errors = sum(1 for _, f in problems if f.level == "error")
    warnings = len(problems) - errors
    if args.json:
        json.dump({"messages": count, "errors": errors, "warnings": warnings,
                   "findings": [{"source": label, "level": f.level, "text": f.text}
                                for label, f in problems]}, out, indent=2)
        out.write("\n")
    else:
        for label, finding in problems:
            out.write(f"{label}: {finding}\n")
        out.write(f"{count} messages: {errors} errors, {warnings} warnings\n")
    failed = errors > 0 or (args.strict and warnings > 0)
    return 1 if failed else 0


_EPILOG_DECODE = """\
examples:
  dhcpwire decode tests/captures/arkime_arkime__wireshark-dhcp.pcap
  dhcpwire decode --summary --follow capture.pcapng
  dhcpwire decode --type offer,ack --chaddr 00:0b:82:01:fc:42 --json capture.pcap
  dhcpwire decode 0101060000003d1d...

exit status: 0 when every message decoded, 1 when one did not (it is reported
on stderr with its byte offset and decoding goes on) or the input is unusable,
2 for a bad command line.
"""

_EPILOG_DEMO = """\
The client is dhcpwire.client, the servers dhcpwire.server; every message goes
through encode() and decode(). The same seed prints the same timeline.

scenarios:
  first      DISCOVER, two servers OFFER, the client takes the first, REQUEST,
             ACK; the other server frees its offer (RFC 2131 section 3.1)
  second     INIT-REBOOT REQUEST and ACK; then, on another network, a NAK and
             the fall back to DISCOVER (section 3.2)
  extension  REQUEST at T1 and ACK; then the server goes away: RENEWING,
             REBINDING at T2, expiry (section 4.4.5)
"""

_EPILOG_LINT = """\
Client messages are held against RFC 2131 table 5 (and table 4 for
DHCPREQUEST, whose state is told by option 54, 'ciaddr' and option 50);
server replies against table 3, paired with the request of the same xid.
A MUST or MUST NOT broken is an error, a SHOULD or SHOULD NOT a warning.

exit status: 0 when no error (warnings too with --strict), 1 otherwise or when
the input is unusable, 2 for a bad command line.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dhcpwire", description="Read, check and simulate DHCPv4 traffic.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    fmt = argparse.RawDescriptionHelpFormatter
    dec = sub.add_parser(
        "decode", help="print DHCP messages from hex, a raw payload file, or a pcap/pcapng",
        description="Print each DHCP message: header fields, then every option by name "
                    "with its typed value.", epilog=_EPILOG_DECODE, formatter_class=fmt)
    dec.add_argument("input", help="hex string, a file (raw payload, hex text, pcap or "
                                   "pcapng), or - for standard input")
    dec.add_argument("--type", type=_types, metavar="TYPE[,TYPE]", action=_Union,
                     help="only these message types (discover, offer, ..., bootp, or a "
                          "number); repeatable")
    dec.add_argument("--xid", type=_xid, action=_Collect,
                     help="only this transaction id (0x3903f326); repeatable")
    dec.add_argument("--chaddr", type=_chaddr, action=_Collect, metavar="HWADDR",
                     help="only this client hardware address (00:0b:82:01:fc:42); repeatable")
    dec.add_argument("--follow", action="store_true",
                     help="group the messages by xid, one transaction after another")
    dec.add_argument("--summary", action="store_true", help="one line per message")
    dec.add_argument("--json", action="store_true", help="machine-readable output")
    mode = dec.add_mutually_exclusive_group()
    mode.add_argument("--strict", dest="lenient", action="store_false",
                      help="stop at the first defect of a message (the default)")
    mode.add_argument("--lenient", action="store_true",
                      help="decode malformed messages as far as possible and list their defects")
    dec.set_defaults(func=_decode_command, lenient=False)

    demo = sub.add_parser(
        "demo", help="run the client and server state machines against each other",
        description="Run dhcpwire's client and servers in one process on a virtual clock "
                    "and print the timeline of RFC 2131's scenarios.",
        epilog=_EPILOG_DEMO, formatter_class=fmt)
    demo.add_argument("--scenario", choices=("first", "second", "extension", "all"),
                      default="all", help="which scenario (default: all)")
    demo.add_argument("--lease-time", type=int, default=3600, metavar="SECONDS",
                      help="the servers' lease time (default: 3600, at least 60)")
    demo.add_argument("--seed", type=int, default=1,
                      help="seed of the client's random generator (default: 1)")
    demo.add_argument("--json", action="store_true", help="the timeline as JSON")
    demo.set_defaults(func=_demo_command)

    lint = sub.add_parser(
        "lint", help="check a capture against RFC 2131 tables 3, 4 and 5",
        description="Check each DHCP message of CAPTURE against RFC 2131 and print "
                    "every violation with its frame number.",
        epilog=_EPILOG_LINT, formatter_class=fmt)
    lint.add_argument("capture", help="a pcap/pcapng capture, a raw payload file, hex, or -")
    lint.add_argument("--errors-only", action="store_true", help="leave out the warnings")
    lint.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    lint.add_argument("--json", action="store_true", help="machine-readable output")
    lint.set_defaults(func=_lint_command)
    from .serve import add_commands  # serve, leases: dhcpwire.cli.serve
    add_commands(sub)
    return parser


class _Collect(argparse.Action):
    """Append to a list (``action="append"`` with a typed value)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        items = list(getattr(namespace, self.dest) or [])
        items.append(values)
        setattr(namespace, self.dest, items)


class _Union(argparse.Action):
    """Union of frozensets over repeated options."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, (getattr(namespace, self.dest) or frozenset()) | values)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    stdout = sys.stdout if out is None else out
    stderr = sys.stderr if err is None else err
    try:
        status: int = args.func(args, stdout, stderr)
    except BrokenPipeError:
        return 1
    except DhcpwireError as exc:
        stderr.write(f"dhcpwire: {exc}\n")
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
