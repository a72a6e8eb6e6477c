"""The dhcpwire drivers as namespace processes, and checks of what they did.

Rules of this module:

* The drivers run as subprocesses (``python examples/client.py ...``,
  ``python -m dhcpwire serve ...``) in a namespace the test made, with this
  checkout first on ``PYTHONPATH``; they log one line per event, and
  :class:`DriverLog` reads those lines.
* :func:`check_capture` is the wire check every interop test ends with: each
  captured DHCP datagram decodes in dhcpwire's strict mode, and Wireshark's
  dissector finds no malformed packet and no expert error in the file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from dhcpwire import decode
from dhcpwire.pcap import read_datagrams

from .harness import Namespace, Process, wait_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


class DriverLog:
    """The stdout lines of a driver process, for waiting on and asserting about."""

    def __init__(self, process: Process) -> None:
        self.process = process

    def lines(self) -> list[str]:
        return self.process.output().splitlines()

    def matching(self, pattern: str) -> list[re.Match[str]]:
        rx = re.compile(pattern)
        return [m for m in (rx.search(line) for line in self.lines()) if m]

    def wait(self, pattern: str, timeout: float, count: int = 1) -> re.Match[str]:
        """The ``count``-th line matching ``pattern``, waiting up to ``timeout`` seconds."""
        def enough() -> bool:
            if not self.process.alive() and len(self.matching(pattern)) < count:
                raise AssertionError(f"process exited before {pattern!r}:\n{self.text()}")
            return len(self.matching(pattern)) >= count
        try:
            wait_for(enough, timeout, f"{pattern!r} x{count}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- log ---\n{self.text()}") from None
        return self.matching(pattern)[count - 1]

    def text(self) -> str:
        return self.process.output()


def start_client(ns: Namespace, workdir: Path, *args: str, name: str = "dwclient",
                 interface: str = "eth0") -> DriverLog:
    """examples/client.py on ``interface`` of ``ns``, fast retransmissions for tests."""
    proc = ns.start(sys.executable, str(EXAMPLES / "client.py"), interface,
                    "--renew-min-interval", "2", *args, name=name, env=python_env(),
                    cwd=workdir)
    return DriverLog(proc)


def write_server_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, indent=1))
    return path


def start_server(ns: Namespace, workdir: Path, config: dict[str, Any], *,
                 name: str = "dwserver", interface: str = "eth0") -> DriverLog:
    """``dhcpwire serve`` with ``config`` (JSON), its lease database in ``workdir``.

    Logs at debug level (a line per message received and sent, besides the
    lease events); waits until it serves.
    """
    data = {"lease_database": f"sqlite:///{workdir / (name + '.sqlite')}", **config}
    conf = write_server_config(workdir / f"{name}.json", data)
    proc = ns.start(sys.executable, "-m", "dhcpwire", "serve", "--config", str(conf),
                    "--interface", interface, "--log-level", "debug", name=name,
                    env=python_env(), cwd=workdir)
    log = DriverLog(proc)
    log.wait(r" INFO start ", 10)
    return log


#: A lease event line of ``dhcpwire serve``: its event, address and hardware address.
LEASE_LINE = re.compile(r" INFO lease (\w+) (\S+) chaddr=(\S*)")


def journal_actions(server: DriverLog) -> list[dict[str, Any]]:
    """The server's lease events so far, in order: ``{"action": "acked", "lease": {...}}``."""
    return [{"action": m.group(1), "lease": {"address": m.group(2),
                                              "hardware_address": m.group(3)}}
            for m in server.matching(LEASE_LINE.pattern)]


def check_capture(pcap: Path, min_packets: int = 2) -> list[Any]:
    """Decode every DHCP datagram of ``pcap`` strictly, have tshark find no error in it,
    and have ``dhcpwire lint`` find nothing at error or warning level but the findings
    listed here (each a real departure of a real daemon, listed with its clause in
    docs/cli.rst, "Findings on real daemons").

    Returns the decoded messages, in capture order.
    """
    from dhcpwire.tools.lint import INFO, Seen, lint

    datagrams = list(read_datagrams(pcap.read_bytes()))
    assert len(datagrams) >= min_packets, f"{pcap.name}: only {len(datagrams)} DHCP datagrams"
    messages = []
    for d in datagrams:
        assert not d.truncated, f"{pcap.name} frame {d.number} truncated"
        messages.append(decode(d.payload))  # strict: raises DecodeError on any defect
    # (rule, words of the finding) -> who and why; docs/cli.rst lists the same
    known: dict[tuple[str, str], str] = {
        ("client-id-echo", "option 61 (client-identifier) is missing"):
            "dnsmasq and ISC dhcpd do not return option 61 (RFC 6842 section 3: MUST)",
        ("reply-field", "DHCPACK: 'secs' is"):
            "dnsmasq and ISC dhcpd copy a retransmitted request's 'secs' into the DHCPACK "
            "(RFC 2131 table 3: 'secs' 0)",
        ("client-field", "DHCPRELEASE: 'secs' is"):
            "udhcpc's DHCPRELEASE carries 'secs' (RFC 2131 table 5: 0)",
    }
    found = [f for f in lint(Seen(f"frame {d.number}", m, d.src, d.dst, d.dport)
                             for d, m in zip(datagrams, messages, strict=True))
             if f.finding.level != INFO]
    unexpected = [f"{f.label}: {f.finding}" for f in found
                  if not any(rule == f.finding.rule and words in f.finding.text
                             for rule, words in known)]
    assert unexpected == [], f"{pcap.name}: dhcpwire lint:\n" + "\n".join(unexpected)
    confdir = pcap.parent / "wireshark-config"
    confdir.mkdir(exist_ok=True)
    env = {**os.environ, "WIRESHARK_CONFIG_DIR": str(confdir), "HOME": str(confdir)}
    bad = subprocess.run(
        ["tshark", "-n", "-r", str(pcap), "-Y", "_ws.malformed || _ws.expert.severity == error",
         "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message"],
        capture_output=True, text=True, timeout=60, env=env, check=True)
    assert bad.stdout.strip() == "", f"{pcap.name}: tshark found errors:\n{bad.stdout}"
    dhcp = subprocess.run(["tshark", "-n", "-r", str(pcap), "-Y", "dhcp", "-T", "fields",
                           "-e", "frame.number"], capture_output=True, text=True, timeout=60,
                          env=env, check=True)
    assert len(dhcp.stdout.split()) == len(datagrams), "tshark saw other DHCP frames"
    return messages
