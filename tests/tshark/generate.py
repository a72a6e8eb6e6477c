"""Write the Wireshark fixtures that tests/test_captures.py compares dhcpwire against.

For every capture in ``tests/captures`` this asks tshark, Wireshark's command-line
dissector, for the DHCP fields listed in :data:`FIELDS` of every frame it
dissects as DHCP (``-Y dhcp``), and writes them to
``tests/tshark/<capture file name>.json``.  The test suite reads these files, so
it runs where tshark is not installed; ``test_tshark_fixtures_are_current``
regenerates them when tshark is there and checks that nothing changed.

Regenerate (after adding a capture, changing :data:`FIELDS`, or upgrading tshark)::

    python tests/tshark/generate.py            # every capture
    python tests/tshark/generate.py NAME...    # only these capture files

then review the diff and commit it with the change that caused it.

Fixture format: one JSON object with

* ``"capture"``: the capture's file name;
* ``"tshark"``: the first line of ``tshark --version`` that wrote it (for the
  reader only: the currency test does not compare it);
* ``"fields"``: :data:`FIELDS`;
* ``"frames"``: frame number (a string, in increasing order) -> field name ->
  list of the values tshark shows, as strings, in dissection-tree order.  A
  field tshark did not produce for that frame is absent.  A frame tshark
  counts as DHCP but could not dissect at all has an empty or near-empty object.

tshark is run with ``-n`` (no name resolution) and with an empty, private
configuration directory, so that a user's Wireshark preferences cannot change
the output.  Only the standard library is used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CAPTURES = HERE.parent / "captures"
CAPTURE_SUFFIXES = (".pcap", ".pcapng")

#: The tshark fields recorded, besides frame.number.  Header fields first,
#: then the option codes seen, then option values, then tshark's verdicts.
FIELDS: tuple[str, ...] = (
    "dhcp.type",  # op: 1 Boot Request, 2 Boot Reply
    "dhcp.hw.type",
    "dhcp.hw.len",
    "dhcp.hops",
    "dhcp.id",
    "dhcp.secs",
    "dhcp.flags",
    "dhcp.ip.client",
    "dhcp.ip.your",
    "dhcp.ip.server",
    "dhcp.ip.relay",
    "dhcp.hw.mac_addr",  # chaddr when htype 1 / hlen 6; also option 61's MAC
    "dhcp.hw.addr",  # chaddr[:hlen] otherwise
    "dhcp.server",
    "dhcp.file",
    "dhcp.cookie",
    "dhcp.option.type",
    "dhcp.option.dhcp",
    "dhcp.option.subnet_mask",
    "dhcp.option.time_offset",
    "dhcp.option.router",
    "dhcp.option.domain_name_server",
    "dhcp.option.hostname",
    "dhcp.option.domain_name",
    "dhcp.option.broadcast_address",
    "dhcp.option.ntp_server",
    "dhcp.option.requested_ip_address",
    "dhcp.option.ip_address_lease_time",
    "dhcp.option.option_overload",
    "dhcp.option.dhcp_server_id",
    "dhcp.option.request_list_item",
    "dhcp.option.message",
    "dhcp.option.dhcp_max_message_size",
    "dhcp.option.renewal_time_value",
    "dhcp.option.rebinding_time_value",
    "dhcp.option.vendor_class_id",
    "_ws.malformed",  # "[Malformed Packet: ...]": the dissector hit the end of the data
    "_ws.short",  # "[Packet size limited during capture: ...]"
    "_ws.expert.message",
)


def captures() -> list[Path]:
    """The capture files, sorted by name."""
    return sorted(p for p in CAPTURES.iterdir() if p.suffix in CAPTURE_SUFFIXES)


def tshark_version(tshark: str = "tshark") -> str:
    out = subprocess.run([tshark, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0].strip()


def fixture(capture: Path, tshark: str = "tshark") -> dict[str, Any]:
    """Run tshark on ``capture`` and return the fixture object (see the module doc)."""
    args = [tshark, "-n", "-r", str(capture), "-Y", "dhcp", "-T", "json", "-e", "frame.number"]
    for name in FIELDS:
        args += ["-e", name]
    with tempfile.TemporaryDirectory() as config:
        env = dict(os.environ, WIRESHARK_CONFIG_DIR=config, LC_ALL="C.UTF-8")
        out = subprocess.run(args, capture_output=True, check=True, env=env)
    packets = json.loads(out.stdout.decode("utf-8")) if out.stdout.strip() else []
    frames: dict[str, dict[str, list[str]]] = {}
    for packet in packets:
        layers = packet["_source"]["layers"]
        (number,) = layers.pop("frame.number")
        frames[str(int(number))] = {name: list(layers[name]) for name in FIELDS if name in layers}
    return {
        "capture": capture.name,
        "tshark": tshark_version(tshark),
        "fields": list(FIELDS),
        "frames": dict(sorted(frames.items(), key=lambda item: int(item[0]))),
    }


def render(obj: dict[str, Any]) -> str:
    """The fixture as text: one line per frame, so that diffs show what changed."""
    head = ",\n".join(
        f" {json.dumps(key)}: {json.dumps(obj[key], ensure_ascii=True)}"
        for key in ("capture", "tshark", "fields")
    )
    frames = ",\n".join(
        f"  {json.dumps(number)}: {json.dumps(fields, ensure_ascii=True, sort_keys=True)}"
        for number, fields in obj["frames"].items()
    )
    frames = f"{{\n{frames}\n }}" if frames else "{}"
    return f'{{\n{head},\n "frames": {frames}\n}}\n'


def fixture_path(capture: Path, directory: Path = HERE) -> Path:
    return directory / f"{capture.name}.json"


def main(argv: list[str]) -> int:
    wanted = set(argv)
    files = [p for p in captures() if not wanted or p.name in wanted]
    missing = wanted - {p.name for p in files}
    if missing:
        print(f"no such capture in {CAPTURES}: {', '.join(sorted(missing))}", file=sys.stderr)
        return 2
    for capture in files:
        obj = fixture(capture)
        fixture_path(capture).write_text(render(obj), encoding="utf-8")
        print(f"{fixture_path(capture).name}: {len(obj['frames'])} DHCP frames")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
