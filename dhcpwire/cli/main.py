"""The ``dhcpwire`` command (also ``python -m dhcpwire``).

``dhcpwire decode INPUT`` prints each DHCP message of INPUT: a hex string, a
file holding one raw DHCP payload or its hex, or a pcap/pcapng capture (UDP
ports 67 and 68), filtered by type, xid or hardware address, grouped by
transaction with ``--follow``, as text or JSON Lines. ``dhcpwire lint
CAPTURE`` holds a capture against RFC 2131 and the RFCs that amend it
(:mod:`dhcpwire.tools.lint`). ``dhcpwire demo`` runs the client and server
state machines against each other on a virtual clock (:mod:`.demo`).

Rules of this module:

* No traceback from any input: every failure is one line on stderr that
  says what and where (input, frame, byte offset, option).
* Exit status follows grep: 0 success, 1 findings or no match, 2 a bad
  command line or an input that could not be read or decoded. A closed
  standard output ends the command quietly with status 1.
* Each subcommand is registered in one place, :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, TextIO

from ..wire.constants import MessageType
from ..wire.errors import CaptureError, DecodeError, DhcpwireError
from .decode import Decoder, decode_error_text, item_to_jsonable
from .demo import SCENARIOS, format_timeline, run_all
from .inputs import InputError, Item, open_input
from .lint import Linter

__all__ = ["build_parser", "main"]


def _version() -> str:
    """The package's own ``__version__`` (the wheel's metadata is made from it)."""
    from .. import __version__

    return __version__


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


class _Reader:
    """The items of one input, with every problem written to ``err`` as one line.

    Iterate once; afterwards :attr:`count` is the payloads seen and
    :attr:`failed` whether the input itself could not be read to its end.
    IPv4 fragments are reported and skipped.
    """

    def __init__(self, arg: str, stdin: BinaryIO | None, err: TextIO) -> None:
        self.arg = arg
        self.stdin = stdin
        self.err = err
        self.name = "<stdin>" if arg == "-" else arg
        self.count = 0
        self.failed = False

    def _fail(self, text: str) -> None:
        self.err.write(f"dhcpwire: {self.name}: {text}\n")
        self.failed = True

    def __iter__(self) -> Iterator[Item]:
        try:
            opened = open_input(self.arg, self.stdin)
        except InputError as exc:
            self._fail(str(exc))
            return
        except CaptureError as exc:
            self._fail(f"not a readable capture: {exc.message} (file offset {exc.offset})")
            return
        except OSError as exc:
            self._fail(f"cannot read: {exc.strerror or exc}")
            return
        self.name = opened.name
        progress = _Progress(self.err)
        try:
            for item in opened.items:
                self.count += 1
                progress.tick()
                if item.fragment_offset is not None:
                    self.err.write(f"dhcpwire: {self.name}: {item.label}: an IPv4 fragment "
                                   f"(octet {item.fragment_offset} of a UDP datagram), not "
                                   "reassembled: not decoded\n")
                    continue
                yield item
        except CaptureError as exc:
            progress.done()
            self._fail(f"damaged capture after {self.count} DHCP datagrams: {exc.message} "
                       f"(file offset {exc.offset})")
            return
        except OSError as exc:
            progress.done()
            self._fail(f"read error after {self.count} DHCP datagrams: {exc.strerror or exc}")
            return
        finally:
            close = getattr(opened.items, "close", None)
            if close is not None:
                close()
        progress.done()


# -- decode --------------------------------------------------------------------------------

def _decode_command(args: argparse.Namespace, out: TextIO, err: TextIO,
                    stdin: BinaryIO | None) -> int:
    decoder = Decoder(args, out)
    reader = _Reader(args.input, stdin, err)
    bad = 0
    for item in reader:
        try:
            msg = decoder.decode(item)
        except DecodeError as exc:
            bad += 1
            err.write(f"dhcpwire: {reader.name}: {decode_error_text(item, exc)}\n")
            if args.json and not args.follow:
                data = item_to_jsonable(item, None)
                data["error"] = {"kind": type(exc).__name__, "message": exc.message,
                                 "offset": exc.offset, "option": exc.option}
                out.write(json.dumps(data) + "\n")
            continue
        decoder.show(item, msg)
    decoder.finish()
    if reader.failed or bad:
        return 2
    if reader.count == 0:
        err.write(f"dhcpwire: {reader.name}: no DHCP messages found\n")
        return 1
    return 0 if decoder.shown else 1


# -- lint ----------------------------------------------------------------------------------

def _lint_command(args: argparse.Namespace, out: TextIO, err: TextIO,
                  stdin: BinaryIO | None) -> int:
    linter = Linter(args)
    reader = _Reader(args.capture, stdin, err)
    linter.run(iter(reader))
    if not reader.failed and reader.count == 0:
        err.write(f"dhcpwire: {reader.name}: no DHCP messages found\n")
        return 1
    status = linter.report(out)
    return 2 if reader.failed else status


# -- demo ----------------------------------------------------------------------------------

def _demo_command(args: argparse.Namespace, out: TextIO, err: TextIO,
                  stdin: BinaryIO | None) -> int:
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


# -- the command line ----------------------------------------------------------------------

def _message_type(text: str) -> int:
    name = text.strip().upper().removeprefix("DHCP")
    if name.isdigit():
        return int(name)
    if name == "BOOTP":
        return -1
    try:
        return int(MessageType[name])
    except KeyError:
        names = ", ".join(t.name.lower() for t in MessageType)
        raise argparse.ArgumentTypeError(
            f"unknown message type {text!r} (one of {names}, bootp, or a number)") from None


def _types(text: str) -> frozenset[int]:
    return frozenset(_message_type(t) for t in text.split(",") if t.strip())


def _xid(text: str) -> int:
    """``0x`` and hex digits, or decimal digits without a leading zero (``010`` is refused:
    octal to C's strtol, ten to a person, sixteen to the old dhcpwire)."""
    body = text.strip()
    try:
        if body[:2].lower() == "0x":
            value = int(body[2:], 16) if body[2:] and all(
                c in "0123456789abcdefABCDEF" for c in body[2:]) else -1
        elif body.isdigit() and body.isascii():
            if len(body) > 1 and body[0] == "0":
                raise argparse.ArgumentTypeError(
                    f"xid {text!r} has a leading zero: write {int(body)} (decimal) or "
                    f"0x{body.lstrip('0') or '0'} (hex)")
            value = int(body)
        else:
            value = -1
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an xid: 0x and hex digits (0x3903f326) or a decimal number")
    if value > 0xFFFFFFFF:
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


_EPILOG_DECODE = """\
INPUT is told by its bytes: a pcap or pcapng capture (read as it streams, so
a pipe from tcpdump -w - works), hex text (one message; spaces, newlines and
colons are ignored), or one raw DHCP payload. Anything else is refused.

filters (repeatable; all must match):
  --type    message types: discover, offer, ..., bootp, or numbers
  --xid     0x and hex digits (0x3903f326) or decimal digits (956560166);
            a leading zero (010) is refused as ambiguous
  --chaddr  the client hardware address, exactly (chaddr[:hlen]); no prefixes

--json writes JSON Lines: one object per message, flushed as it is read, with
"schema", "frame", "time" (ISO 8601 UTC), "epoch", "interface" (pcapng),
addresses and ports, then the message (xid as "0x" and 8 hex digits).

examples:
  dhcpwire decode tests/captures/arkime_arkime__wireshark-dhcp.pcap
  dhcpwire decode --summary --follow capture.pcapng
  dhcpwire decode --type offer,ack --chaddr 00:0b:82:01:fc:42 --json capture.pcap
  tcpdump -i eth0 -w - port 67 or port 68 | dhcpwire decode --summary -

exit status: 0 messages shown and every one decoded; 1 no message matched;
2 a bad command line, or an input (or a message in it) that could not be read
or decoded -- each problem is one line on stderr, and decoding goes on.
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
DHCPREQUEST), replies against table 3 and its amendments (RFC 6842 client
identifier, RFC 3046 relay agent information, RFC 4039 rapid commit, RFC 1534
BOOTP). A reply is paired with the request it answers: same xid, chaddr and
leg of the path, of a type it answers. Severities follow the RFC's words:
MUST, MUST NOT and table values are errors, SHOULD a warning, and a SHOULD
that no mainstream implementation follows is info (shown with --all). Each
finding names its RFC section; a per-rule summary follows.

exit status: 0 no error (with --strict: no warning either); 1 errors (or
warnings with --strict); 2 a bad command line or an unreadable input.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dhcpwire", description="Read, check, simulate and serve DHCPv4.")
    parser.add_argument("--version", action="version", version=f"dhcpwire {_version()}")
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
                     help="only this transaction id (0x3903f326 or decimal); repeatable")
    dec.add_argument("--chaddr", type=_chaddr, action=_Collect, metavar="HWADDR",
                     help="only this client hardware address, exactly "
                          "(00:0b:82:01:fc:42); repeatable")
    dec.add_argument("--follow", action="store_true",
                     help="group the messages by xid, one transaction after another "
                          "(holds the matching messages until the end)")
    dec.add_argument("--summary", action="store_true",
                     help="one line (with --json: one short object) per message")
    dec.add_argument("--json", action="store_true",
                     help="JSON Lines, one object per message, written as it is read")
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
        "lint", help="check a capture against RFC 2131 and its amendments",
        description="Check each DHCP message of CAPTURE against RFC 2131 and print "
                    "every finding with its frame number and RFC section.",
        epilog=_EPILOG_LINT, formatter_class=fmt)
    lint.add_argument("capture", help="a pcap/pcapng capture, a raw payload file, hex, or -")
    levels = lint.add_mutually_exclusive_group()
    levels.add_argument("--errors-only", action="store_true",
                        help="show only errors (MUST and MUST NOT)")
    levels.add_argument("--all", action="store_true",
                        help="show info findings too (SHOULDs that implementations ignore)")
    lint.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    lint.add_argument("--json", action="store_true",
                      help="JSON Lines: one object per finding, then a summary object")
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


def _quiet_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's last flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None, stdin: BinaryIO | None = None) -> int:
    """Run the command line; returns the exit status (argparse exits 2 itself on a bad
    command line, and 0 for ``--help`` and ``--version``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    stdout = sys.stdout if out is None else out
    stderr = sys.stderr if err is None else err
    if out is None:
        # a text option need not be UTF-8, nor the terminal: escape what cannot be written
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    if stdin is None:
        stdin = getattr(sys.stdin, "buffer", None)
    func = args.func
    try:
        if func in (_decode_command, _lint_command, _demo_command):
            status: int = func(args, stdout, stderr, stdin)
        else:
            status = func(args, stdout, stderr)
        stdout.flush()
    except BrokenPipeError:
        if out is None:
            _quiet_stdout()
        return 1
    except KeyboardInterrupt:
        stderr.write("dhcpwire: interrupted\n")
        return 130
    except DhcpwireError as exc:
        stderr.write(f"dhcpwire: {exc}\n")
        return 2
    except Exception as exc:  # a bug, said in one line rather than a traceback
        stderr.write(f"dhcpwire: internal error: {type(exc).__name__}: {exc} "
                     "(please report it with the input)\n")
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
