"""Network namespaces, veth links and daemons for the interop tests.

Rules of this module:

* Everything a test starts lives in namespaces the test itself creates
  (``ip netns add``), joined by veth pairs, with addresses on those links
  only. Nothing is sent anywhere else.
* Everything is bounded in time and cleaned up, even when the test fails:
  processes are killed (their whole process group), namespaces deleted.
* A missing tool or missing root makes the test fail when the ``CI``
  environment variable is set, and skip with the reason elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

__all__ = ["Link", "Namespace", "Process", "capture", "require", "wait_for"]


def require(*tools: str) -> None:
    """Fail (under CI) or skip (elsewhere) unless root and every tool is present."""
    missing = [t for t in tools if shutil.which(t) is None]
    problems = []
    if os.geteuid() != 0:
        problems.append("root is needed for network namespaces")
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if problems:
        why = "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(f"interop test cannot run in CI: {why} (.ci/run installs them)")
        pytest.skip(why)


def wait_for(check: Callable[[], bool], timeout: float, what: str, step: float = 0.1) -> None:
    """Poll ``check`` until it is true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Process:
    """A process started in a namespace, in its own process group."""

    def __init__(self, argv: Sequence[str], log: Path, popen: subprocess.Popen[bytes]):
        self.argv = list(argv)
        self.log = log
        self.popen = popen

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)

    def pause(self) -> None:
        self.signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.signal(signal.SIGCONT)

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM (after SIGCONT, in case it was paused), then SIGKILL."""
        if self.alive():
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait(timeout)
        return self.popen.returncode


class Namespace:
    """A network namespace; use as a context manager or through :func:`Link`."""

    def __init__(self, tag: str, workdir: Path):
        self.name = f"dw{tag}-{uuid.uuid4().hex[:8]}"
        self.workdir = workdir
        self.processes: list[Process] = []
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.run("ip", "link", "set", "lo", "up")

    def run(self, *argv: str, check: bool = True, timeout: float = 30.0,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.name, *argv], check=check,
                              capture_output=True, text=True, timeout=timeout, env=env)

    def start(self, *argv: str, name: str, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> Process:
        log = self.workdir / f"{name}.log"
        with open(log, "wb") as fh:
            popen = subprocess.Popen(
                ["ip", "netns", "exec", self.name, *argv], stdout=fh, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, env=env, cwd=cwd)
        proc = Process(argv, log, popen)
        self.processes.append(proc)
        return proc

    def close(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()
        # anything else still running in the namespace (daemons that forked)
        pids = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True,
                              text=True, check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", self.name], check=False, capture_output=True)

    def address(self, interface: str) -> list[str]:
        out = self.run("ip", "-4", "-o", "addr", "show", "dev", interface).stdout
        return [field.split("/")[0] for line in out.splitlines()
                for i, field in enumerate(line.split()) if i > 0 and line.split()[i - 1] == "inet"]


class Link:
    """Namespaces joined by veth pairs: one per (namespace, peer) pair added."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.namespaces: list[Namespace] = []

    def namespace(self, tag: str) -> Namespace:
        ns = Namespace(tag, self.workdir)
        self.namespaces.append(ns)
        return ns

    def connect(self, a: Namespace, a_if: str, b: Namespace, b_if: str,
                a_addr: str | None = None, b_addr: str | None = None) -> None:
        """A veth pair a_if (in a) <-> b_if (in b), up, with the given CIDR addresses."""
        tmp_a, tmp_b = f"v{uuid.uuid4().hex[:10]}", f"v{uuid.uuid4().hex[:10]}"
        subprocess.run(["ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b],
                       check=True)
        subprocess.run(["ip", "link", "set", tmp_a, "netns", a.name, "name", a_if], check=True)
        subprocess.run(["ip", "link", "set", tmp_b, "netns", b.name, "name", b_if], check=True)
        for ns, ifname, addr in ((a, a_if, a_addr), (b, b_if, b_addr)):
            if addr:
                ns.run("ip", "addr", "add", addr, "dev", ifname)
            ns.run("ip", "link", "set", ifname, "up")

    def close(self) -> None:
        for ns in reversed(self.namespaces):
            ns.close()


@contextlib.contextmanager
def capture(ns: Namespace, interface: str, path: Path) -> Iterator[Path]:
    """Capture DHCP traffic (UDP 67/68) on ``interface`` into ``path`` (pcapng)."""
    proc = ns.start("dumpcap", "-q", "-i", interface, "-f", "udp port 67 or udp port 68",
                    "-w", str(path), name=f"dumpcap-{interface}")
    wait_for(lambda: path.exists() and path.stat().st_size > 0, 10, "dumpcap to start")
    try:
        yield path
    finally:
        time.sleep(0.3)
        proc.stop()
