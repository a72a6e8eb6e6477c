"""The daemon's counters, as Prometheus text on an optional HTTP address.

Rules of this module:

* :class:`Metrics` holds plain counters, keyed by a metric name and its
  labels, that the daemon's loop increments: messages received and sent by
  type, messages dropped by reason, lease events by kind. Gauges (pool use
  per subnet) are computed when asked for, by a callback.
* :func:`render` writes the Prometheus text exposition format (version
  0.0.4: ``# HELP``, ``# TYPE``, then ``name{label="value"} number``).
* :class:`MetricsServer` serves it at ``/metrics`` from the standard
  library's ``http.server``, on a thread, bound to the configured address
  only. Reading counters from that thread while the loop writes them is
  safe: each read of a dict is atomic under the interpreter lock, and a
  scrape needs no more than a consistent-enough copy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final

__all__ = ["HELP", "Metrics", "MetricsServer", "Sample", "render"]

#: (name, labels as sorted (key, value) pairs) -> value
Sample = tuple[str, tuple[tuple[str, str], ...]]

#: Every metric the daemon exports: name -> (type, help).
HELP: Final = {
    "dhcpwire_messages_received_total": ("counter", "DHCP messages received, by type"),
    "dhcpwire_messages_sent_total": ("counter", "DHCP messages sent, by type"),
    "dhcpwire_messages_dropped_total": ("counter",
                                        "messages received and not answered, by reason"),
    "dhcpwire_lease_events_total": ("counter", "lease changes, by event"),
    "dhcpwire_database_commits_total": ("counter", "lease database commits"),
    "dhcpwire_pool_addresses": ("gauge", "addresses in the configured pools, by subnet"),
    "dhcpwire_pool_used": ("gauge", "pool addresses offered, bound or declined, by subnet"),
    "dhcpwire_leases": ("gauge", "lease records, by state"),
}


class Metrics:
    """Counters the daemon increments; gauges from ``gauges()`` when rendered."""

    def __init__(self, gauges: Callable[[], Mapping[Sample, float]] | None = None, *,
                 constant: Mapping[str, str] | None = None) -> None:
        self.counts: dict[Sample, float] = {}
        self.gauges = gauges
        #: labels every series carries on output (a worker's number, say)
        self.constant: tuple[tuple[str, str], ...] = tuple(sorted((constant or {}).items()))

    def add(self, name: str, value: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        counts = self.counts
        counts[key] = counts.get(key, 0.0) + value

    @staticmethod
    def key(name: str, **labels: str) -> Sample:
        """The key of one series, to pass to :meth:`inc` on a hot path."""
        return (name, tuple(sorted(labels.items())))

    def inc(self, key: Sample) -> None:
        counts = self.counts
        counts[key] = counts.get(key, 0.0) + 1.0

    def get(self, name: str, **labels: str) -> float:
        return self.counts.get((name, tuple(sorted(labels.items()))), 0.0)

    def _label(self, samples: Mapping[Sample, float]) -> dict[Sample, float]:
        if not self.constant:
            return dict(samples)
        return {(name, tuple(sorted(labels + self.constant))): value
                for (name, labels), value in samples.items()}

    def samples(self) -> dict[Sample, float]:
        out = dict(self.counts)
        if self.gauges is not None:
            out.update(self.gauges())
        return self._label(out)

    def flat(self) -> dict[str, float]:
        """Counters as ``name{labels}`` -> value (as kept in the lease database)."""
        return {_series(name, labels): value
                for (name, labels), value in self._label(self.counts).items()}

    def render(self) -> str:
        return render(self.samples())


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _series(name: str, labels: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return f"{name}{{{inner}}}" if inner else name


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def render(samples: Mapping[Sample, float]) -> str:
    """The Prometheus text format of ``samples``, grouped by metric name."""
    by_name: dict[str, list[tuple[tuple[tuple[str, str], ...], float]]] = {}
    for (name, labels), value in samples.items():
        by_name.setdefault(name, []).append((labels, value))
    lines = []
    for name in sorted(by_name):
        kind, text = HELP.get(name, ("untyped", name))
        lines.append(f"# HELP {name} {text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in sorted(by_name[name]):
            lines.append(f"{_series(name, labels)} {_number(value)}")
    return "\n".join(lines) + "\n"


class MetricsServer:
    """``GET /metrics`` on ``(host, port)``, served from a daemon thread."""

    def __init__(self, metrics: Metrics, address: tuple[str, int]) -> None:
        owner = metrics

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404, "only /metrics is served")
                    return
                body = owner.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # scrapes are not lease events

        self.httpd: ThreadingHTTPServer = ThreadingHTTPServer(address, Handler)
        self.httpd.daemon_threads = True
        #: the address the listener is bound to: (host, port) for IPv4
        self.address: tuple[str | bytes | bytearray, int] | tuple[
            str | bytes | bytearray, int, int, int] = self.httpd.server_address
        self.thread: threading.Thread = threading.Thread(
            target=self.httpd.serve_forever, name="metrics", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
