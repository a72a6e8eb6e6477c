"""How the command line shows a message: text lines and plain JSON data."""

from __future__ import annotations

import dataclasses
import enum
from ipaddress import IPv4Address, IPv4Network, IPv6Address
from typing import Any, TextIO

from ..wire.mapping import OptionMap
from ..wire.message import Message

__all__ = ["describe", "format_message", "message_to_jsonable", "summary_line", "to_jsonable"]

_HEADER_FIELDS = ("op", "htype", "hlen", "hops", "xid", "secs", "flags", "ciaddr",
                  "yiaddr", "siaddr", "giaddr", "chaddr", "sname", "file")


def to_jsonable(value: Any) -> Any:
    """A typed option value (or message) as plain JSON data.

    Addresses and networks become strings, bytes become hex strings, enums
    their names, dataclasses and :class:`~dhcpwire.wire.mapping.OptionMap` objects become objects.
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
    if isinstance(value, OptionMap):
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
    if isinstance(value, OptionMap):
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




def summary_line(item_label: str, msg: Message, src: IPv4Address | None = None,
                 dst: IPv4Address | None = None) -> str:
    """One line for a message: where it is, IP addresses if known, then its key facts."""
    route = f" {src} > {dst}" if src is not None and dst is not None else ""
    return f"{item_label}:{route} {describe(msg)}"




def describe(msg: Message) -> str:
    """A message in one line: type, xid and the fields that matter for its type."""
    parts = [str(msg)]
    for name in ("ciaddr", "yiaddr", "giaddr"):
        value = getattr(msg, name)
        if int(value):
            parts.append(f"{name}={value}")
    opts = msg.options
    labels = {50: "requested", 54: "server", 51: "lease", 58: "T1", 59: "T2", 56: "text"}
    for code, label in labels.items():
        if code in opts:
            try:
                value = opts[code]
            except Exception:  # a lenient decode may leave a value that will not type
                continue
            parts.append(f"{label}={value!r}" if isinstance(value, str) else f"{label}={value}")
    return " ".join(parts)
