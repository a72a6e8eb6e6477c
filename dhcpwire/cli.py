"""The ``dhcpwire`` command (also ``python -m dhcpwire``).

``dhcpwire decode INPUT`` prints each DHCP message of INPUT: a hex string, a
file holding one raw DHCP payload, or a pcap/pcapng capture (UDP ports 67
and 68). Bad input gets a one-line error with the byte offset and exit
status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import os
import sys
from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address
from typing import Any, TextIO

from .encoding import decode
from .errors import DecodeError, DhcpwireError
from .message import Message
from .options import Options
from .pcap import is_capture, read_datagrams

__all__ = ["main", "to_jsonable"]

_HEADER_FIELDS = ("op", "htype", "hlen", "hops", "xid", "secs", "flags", "ciaddr",
                  "yiaddr", "siaddr", "giaddr", "chaddr", "sname", "file")


def to_jsonable(value: Any) -> Any:
    """A typed option value (or message) as plain JSON data.

    Addresses and networks become strings, bytes become hex strings, enums
    their names, dataclasses and :class:`Options` objects become objects.
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (int, float, str)):
        return value
    if isinstance(value, (IPv4Address, IPv4Network, IPv6Address)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, Options):
        return {value.name(c): to_jsonable(value[c]) for c in value}
    if isinstance(value, Message):
        return message_to_jsonable(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [to_jsonable(v) for v in value]
    return repr(value)


def message_to_jsonable(msg: Message) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _HEADER_FIELDS:
        out[name] = to_jsonable(getattr(msg, name))
    out["chaddr"] = msg.hwaddr
    out["message_type"] = to_jsonable(msg.message_type)
    out["options"] = [
        {"code": code, "name": msg.options.name(code), "value": to_jsonable(msg.options[code])}
        for code in msg.options
    ]
    if msg.vend is not None:
        out["vend"] = msg.vend.hex()
    if msg.defects:
        out["defects"] = [{"kind": d.kind.__name__, "message": d.message, "offset": d.offset,
                           "option": d.option} for d in msg.defects]
    return out


def _show(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value)
        if text and all(32 <= b < 127 for b in text):
            return repr(text.decode("ascii"))
        if len(text) == 1:
            return f"0x{text[0]:02x}"
        return text.hex(":") if text else "(empty)"
    if isinstance(value, (IPv4Address, IPv4Network, IPv6Address)):
        return str(value)
    if isinstance(value, tuple):
        return ", ".join(_show(v) for v in value) if value else "(none)"
    if isinstance(value, Options):
        return "; ".join(f"{value.name(c)}={_show(value[c])}" for c in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        inner = ", ".join(f"{f.name}={_show(getattr(value, f.name))}"
                          for f in dataclasses.fields(value))
        return f"{type(value).__name__}({inner})"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def format_message(msg: Message, out: TextIO) -> None:
    """Print the header fields, then every option by name with its typed value."""
    op = msg.op.name if isinstance(msg.op, enum.Enum) else str(msg.op)
    rows = [
        ("op", op), ("htype", str(msg.htype)), ("hlen", str(msg.hlen)),
        ("hops", str(msg.hops)), ("xid", f"0x{msg.xid:08x}"), ("secs", str(msg.secs)),
        ("flags", f"0x{msg.flags:04x}" + (" (broadcast)" if msg.broadcast else "")),
        ("ciaddr", str(msg.ciaddr)), ("yiaddr", str(msg.yiaddr)),
        ("siaddr", str(msg.siaddr)), ("giaddr", str(msg.giaddr)),
        ("chaddr", msg.hwaddr), ("sname", _show(msg.sname) if msg.sname else ""),
        ("file", _show(msg.file) if msg.file else ""),
    ]
    for name, value in rows:
        out.write(f"  {name:<8} {value}\n")
    if msg.vend is not None:
        out.write(f"  vend     {msg.vend.hex()} (BOOTP: no DHCP magic cookie)\n")
    for code in msg.options:
        name = msg.options.name(code)
        out.write(f"  {code:>3} {name:<28} {_show(msg.options[code])}\n")
    for defect in msg.defects:
        out.write(f"  defect: {defect}\n")


def _payloads(arg: str) -> Iterator[tuple[str, int, bytes]]:
    """(label, base offset, payload) for each message in ``arg``."""
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
            yield "message", 0, bytes.fromhex(text)
        except ValueError:
            raise _Fail(f"{arg!r} is neither a file nor hex") from None
        return
    if is_capture(data):
        for dgram in read_datagrams(data):
            yield f"frame {dgram.number}", dgram.offset, dgram.payload
        return
    # a text file of hex, or a raw payload
    try:
        text = data.decode("ascii").strip()
        if text and all(c in "0123456789abcdefABCDEF: \n\r\t" for c in text):
            yield "message", 0, bytes.fromhex("".join(text.split()).replace(":", ""))
            return
    except UnicodeDecodeError:
        pass
    yield "message", 0, data


class _Fail(Exception):
    pass


def _decode_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    status = 0
    results: list[dict[str, Any]] = []
    count = 0
    try:
        for label, base, payload in _payloads(args.input):
            count += 1
            try:
                msg = decode(payload, strict=not args.lenient)
            except DecodeError as exc:
                status = 1
                where = f"offset {exc.offset}"
                if base:
                    where += f", file offset {base + exc.offset}"
                if exc.option is not None:
                    where += f", option {exc.option}"
                err.write(f"dhcpwire: {label}: {type(exc).__name__}: {exc.message} ({where})\n")
                continue
            if args.json:
                item = message_to_jsonable(msg)
                item["source"] = label
                results.append(item)
            else:
                out.write(f"{label}: {msg}\n")
                format_message(msg, out)
    except DecodeError as exc:  # the capture file itself (CaptureError)
        err.write(f"dhcpwire: {args.input}: {exc.message} (file offset {exc.offset})\n")
        return 1
    except _Fail as exc:
        err.write(f"dhcpwire: {exc}\n")
        return 1
    if args.json:
        json.dump(results, out, indent=2)
        out.write("\n")
    if count == 0:
        err.write(f"dhcpwire: {args.input}: no DHCP messages found\n")
        return 1
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dhcpwire", description="Read and reason about DHCPv4 traffic.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dec = sub.add_parser(
        "decode", help="print DHCP messages from hex, a raw payload file, or a pcap/pcapng",
        description="Print each DHCP message: header fields, then every option by name "
                    "with its typed value.")
    dec.add_argument("input", help="hex string, a file (raw payload, hex text, pcap or "
                                   "pcapng), or - for standard input")
    dec.add_argument("--json", action="store_true", help="machine-readable output")
    dec.add_argument("--lenient", action="store_true",
                     help="decode malformed messages as far as possible and list their defects")
    dec.set_defaults(func=_decode_command)
    return parser


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
