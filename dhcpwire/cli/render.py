"""How the command line shows a message: text lines and plain JSON data."""

from __future__ import annotations

import dataclasses
import enum
from ipaddress import IPv4Address, IPv4Network, IPv6Address
from typing import Any, TextIO

from ..tools.lint import message_kind
from ..wire.constants import MessageType
from ..wire.errors import DhcpwireError
from ..wire.mapping import OptionMap
from ..wire.message import Message

__all__ = ["describe", "format_message", "headline", "kind_name", "message_to_jsonable",
           "summary_fields", "summary_line", "to_jsonable"]

_HEADER_FIELDS = ("op", "htype", "hlen", "hops", "xid", "secs", "flags", "ciaddr",
                  "yiaddr", "siaddr", "giaddr", "chaddr", "sname", "file")


def to_jsonable(value: Any) -> Any:
    """A typed option value (or message) as plain JSON data.

    Addresses and networks become strings, bytes become hex strings, enums
    their names, dataclasses and :class:`~dhcpwire.wire.mapping.OptionMap` objects become objects.
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, MessageType):
        return str(value)
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


def _typed(options: OptionMap, code: int) -> tuple[bool, Any]:
    """``(True, value)``, or ``(False, the error)`` for a value a lenient decode kept raw."""
    try:
        return True, options[code]
    except (DhcpwireError, ValueError) as exc:
        return False, exc


def kind_name(msg: Message) -> str:
    """``DHCPOFFER``, ``BOOTP``, ``type 42``, or ``type ?`` for an option 53 of a bad
    length (a lenient decode keeps one); read from the bytes, so it never raises."""
    return _kind(msg) or "BOOTP"


def headline(msg: Message) -> str:
    """``DHCPOFFER xid=0x00003d1d chaddr=00:0b:82:01:fc:42``, for any message."""
    return f"{kind_name(msg)} xid=0x{msg.xid:08x} chaddr={msg.hwaddr}"


def _kind(msg: Message) -> str | None:
    kind = message_kind(msg)
    if kind is None:
        return None
    if isinstance(kind, MessageType):
        return str(kind)
    return "type ?" if kind < 0 else f"type {kind}"


def message_to_jsonable(msg: Message) -> dict[str, Any]:
    """A message as plain JSON data: header fields (xid as ``0x`` hex), type, options."""
    out: dict[str, Any] = {}
    for name in _HEADER_FIELDS:
        out[name] = to_jsonable(getattr(msg, name))
    out["xid"] = f"0x{msg.xid:08x}"
    out["chaddr"] = msg.hwaddr
    out["message_type"] = _kind(msg)
    options = []
    for code in msg.options:
        ok, value = _typed(msg.options, code)
        entry: dict[str, Any] = {"code": code, "name": msg.options.name(code)}
        if ok:
            entry["value"] = to_jsonable(value)
        else:
            entry["raw"] = msg.options.raw(code).hex()
            entry["error"] = str(value)
        options.append(entry)
    out["options"] = options
    if msg.vend is not None:
        out["vend"] = msg.vend.hex()
    if msg.defects:
        out["defects"] = [{"kind": d.kind.__name__, "message": d.message, "offset": d.offset,
                           "option": d.option} for d in msg.defects]
    return out


def summary_fields(msg: Message) -> dict[str, Any]:
    """The fields of ``--summary`` as JSON data: type, xid, addresses, lease facts."""
    out: dict[str, Any] = {"message_type": _kind(msg), "xid": f"0x{msg.xid:08x}",
                           "chaddr": msg.hwaddr}
    for name in ("ciaddr", "yiaddr", "giaddr"):
        value = getattr(msg, name)
        if int(value):
            out[name] = str(value)
    for code, label in _SUMMARY_OPTIONS.items():
        if code in msg.options:
            ok, value = _typed(msg.options, code)
            if ok:
                out[label] = to_jsonable(value)
    if msg.defects:
        out["defects"] = [str(d) for d in msg.defects]
    return out


_SUMMARY_OPTIONS = {50: "requested", 54: "server", 51: "lease", 58: "T1", 59: "T2",
                    56: "text"}


def _show(value: Any) -> str:
    if isinstance(value, MessageType):
        return str(value)
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
        ok, value = _typed(msg.options, code)
        shown = _show(value) if ok else f"{msg.options.raw(code).hex(':') or '(empty)'} " \
                                        f"(not a valid value: {value})"
        out.write(f"  {code:>3} {name:<28} {shown}\n")
    for defect in msg.defects:
        out.write(f"  defect: {defect}\n")


def summary_line(item_label: str, msg: Message, src: IPv4Address | None = None,
                 dst: IPv4Address | None = None) -> str:
    """One line for a message: where it is, IP addresses if known, then its key facts."""
    route = f" {src} > {dst}" if src is not None and dst is not None else ""
    return f"{item_label}:{route} {describe(msg)}"


def describe(msg: Message) -> str:
    """A message in one line: type, xid and the fields that matter for its type."""
    facts = summary_fields(msg)
    parts = [headline(msg)]
    for name in ("ciaddr", "yiaddr", "giaddr"):
        if name in facts:
            parts.append(f"{name}={facts[name]}")
    for label in _SUMMARY_OPTIONS.values():
        if label in facts:
            value = facts[label]
            parts.append(f"{label}={value!r}" if label == "text" else f"{label}={value}")
    return " ".join(parts)
