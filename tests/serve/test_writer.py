"""The writer: a batch's lease changes are durable before its replies go; a
failed write sends none of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dhcpwire.serve.database import Pending
from dhcpwire.serve.writer import Writer


class Recording:
    """A lease database that records its writes in a shared event list."""

    def __init__(self, events: list[Any], *, fail: bool = False) -> None:
        self.events = events
        self.fail = fail

    def write(self, batches: Iterable[Pending]) -> None:
        if self.fail:
            raise OSError("disk full")
        self.events.append(("write", list(batches)))


def writer(events: list[Any], *, fail: bool = False) -> Writer:
    return Writer(Recording(events, fail=fail),  # type: ignore[arg-type]
                  send=lambda out: events.append(("send", out)),
                  written=lambda lines: events.append(("written", lines)),
                  flush=lambda: events.append(("flush",)))


PENDING = Pending([("row",)], {}, None)


def test_the_write_comes_before_every_reply_then_the_log_lines() -> None:
    events: list[Any] = []
    w = writer(events)
    w.submit(PENDING, ["reply 1", "reply 2"], [("lease acked", None)])  # type: ignore[list-item]
    assert events == [("write", [PENDING]), ("send", "reply 1"), ("send", "reply 2"),
                      ("written", [("lease acked", None)]), ("flush",)]
    assert w.failures == 0


def test_a_failed_write_sends_no_reply_and_logs_no_lease_event() -> None:
    events: list[Any] = []
    w = writer(events, fail=True)
    w.submit(PENDING, ["reply 1"], [("lease acked", None)])  # type: ignore[list-item]
    assert events == [("flush",)]
    assert w.failures == 1
