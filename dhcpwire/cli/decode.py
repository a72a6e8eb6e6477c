"""``dhcpwire decode``: every DHCP message of the input, as text or JSON Lines, as it is read.

Rules of this module:

* Output streams: each message is written (and with ``--json`` flushed) as
  soon as it is decoded, so memory stays constant however large the
  capture. Only ``--follow`` holds messages back, to group them by xid.
* One JSON object per line (JSON Lines), each with ``"schema"``
  (:data:`SCHEMA`), the frame number, capture time (ISO 8601 UTC and epoch
  seconds), interface (pcapng), addresses and ports, then the message.
  xid is written one way everywhere: ``0x`` and eight hex digits.
* Exit status (grep's convention): 0 when a message was shown and every
  message decoded; 1 when no message matched; 2 for a bad command line or
  an input that could not be read or decoded (each problem one line on
  stderr, and decoding goes on where it can).
"""

from __future__ import annotations

import argparse
import io
import json
from typing import Any, TextIO

from ..tools.lint import message_kind
from ..wire.decoder import decode
from ..wire.errors import DecodeError
from ..wire.message import Message
from .inputs import Item
from .render import (
    format_message,
    headline,
    kind_name,
    message_to_jsonable,
    summary_fields,
    summary_line,
)

__all__ = ["SCHEMA", "Decoder", "decode_error_text", "item_to_jsonable"]

#: The version of the JSON Lines objects ``decode --json`` writes; it changes when a
#: field changes meaning or goes away (new fields may appear without a change).
SCHEMA = 1


def item_to_jsonable(item: Item, msg: Message | None, *, summary: bool = False
                     ) -> dict[str, Any]:
    """The JSON Lines object of one message (``msg`` None: the item alone)."""
    data: dict[str, Any] = {"schema": SCHEMA, "frame": item.frame}
    if item.frame is not None:
        data["time"] = item.time_iso()
        data["epoch"] = item.timestamp
        if item.interface is not None:
            data["interface"] = item.interface
        data.update(ip_src=str(item.src), ip_dst=str(item.dst), sport=item.sport,
                    dport=item.dport)
    if msg is not None:
        data.update(summary_fields(msg) if summary else message_to_jsonable(msg))
    return data


class Decoder:
    """The decode command over one input: filters, counters and the writers."""

    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args = args
        self.out = out
        self.shown: int = 0
        self.groups: dict[int, list[tuple[Item, Message]]] = {}

    def wanted(self, msg: Message) -> bool:
        args = self.args
        if args.type is not None:
            kind = message_kind(msg)
            if (-1 if kind is None else int(kind)) not in args.type:
                return False
        if args.xid is not None and msg.xid not in args.xid:
            return False
        return args.chaddr is None or msg.client_hwaddr in args.chaddr

    def decode(self, item: Item) -> Message:
        """The message of ``item`` (raises :class:`DecodeError`)."""
        return decode(item.payload, strict=not self.args.lenient)

    def show(self, item: Item, msg: Message) -> None:
        if not self.wanted(msg):
            return
        self.shown += 1
        if self.args.follow:
            self.groups.setdefault(msg.xid, []).append((item, msg))
        elif self.args.json:
            self.out.write(json.dumps(item_to_jsonable(item, msg, summary=self.args.summary))
                           + "\n")
            self.out.flush()
        else:
            self._text(item, msg, self.out)

    def _text(self, item: Item, msg: Message, out: TextIO, indent: str = "") -> None:
        if self.args.summary:
            out.write(indent + summary_line(item.label, msg, item.src, item.dst) + "\n")
            for defect in msg.defects:
                out.write(f"{indent}  defect: {defect}\n")
            return
        when = f" at {item.time_iso()}" if item.timestamp is not None else ""
        out.write(f"{indent}{item.label}: {headline(msg)}{when}\n")
        if indent:
            buf = io.StringIO()
            format_message(msg, buf)
            out.write("".join(indent + line for line in buf.getvalue().splitlines(True)))
        else:
            format_message(msg, out)

    def finish(self) -> None:
        """Write the transactions of ``--follow``."""
        out = self.out
        for n, (xid, group) in enumerate(self.groups.items()):
            if self.args.json:
                out.write(json.dumps({"schema": SCHEMA, "xid": f"0x{xid:08x}", "messages": [
                    item_to_jsonable(i, m, summary=self.args.summary) for i, m in group]})
                    + "\n")
                continue
            if n:
                out.write("\n")
            kinds = " ".join(kind_name(m) for _, m in group)
            count = f"{len(group)} message" + ("" if len(group) == 1 else "s")
            out.write(f"transaction 0x{xid:08x} ({count}: {kinds})\n")
            for item, msg in group:
                self._text(item, msg, out, indent="  ")
        self.groups.clear()


def decode_error_text(item: Item, exc: DecodeError) -> str:
    """``frame 3: TruncatedOption: ... (offset 249, file offset 331, option 58)``."""
    where = f"offset {exc.offset}"
    if item.base:
        where += f", file offset {item.base + exc.offset}"
    if exc.option is not None:
        where += f", option {exc.option}"
    return f"{item.label}: {type(exc).__name__}: {exc.message} ({where})"
