"""The writer thread: commit a batch's lease changes, then send its replies.

Rules of this module:

* RFC 2131 section 3.1 step 4: the server "commits the binding for the
  client to persistent storage and responds". A :class:`Job` carries one
  batch: its lease changes (not yet written), its replies and its log
  lines. The writer writes the changes of every job waiting -- several
  batches in one transaction, one fsync -- and only when that write has
  returned sends their replies and logs their lease events. A reply is never
  sent before the change it depends on is durable; a failed write sends
  none of its replies (the clients ask again).
* The loop hands a batch over and goes on to the next one, so the packets
  that arrive during an fsync are answered meanwhile; the fsync itself runs
  outside the interpreter lock. The queue is bounded: a loop faster than the
  disk waits for it.
* A commit costs about the same CPU time whether it holds one lease change
  or a hundred, so the writer waits :data:`GATHER` (2 ms) after the first
  batch for the ones behind it.
* :meth:`Writer.drain` waits until every job handed over is done (before a
  reload rebuilds the state from the database); :meth:`Writer.stop` drains
  and ends the thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from .database import LeaseDatabase, Pending
from .engine import Events, Outgoing, log

__all__ = ["Job", "Writer"]

#: Batches the loop may be ahead of the disk.
QUEUE: Final = 64
#: How long the writer waits for more batches before it commits (seconds).
GATHER: Final = 0.002


@dataclass(slots=True)
class Job:
    """One batch: its lease changes, its replies, its lease log lines."""

    pending: Pending
    outgoing: list[Outgoing] = field(default_factory=list)
    events: Events = field(default_factory=list)


class Writer:
    """The thread that makes batches durable, then sends their replies."""

    def __init__(self, database: LeaseDatabase, send: Callable[[Outgoing], None],
                 written: Callable[[Events], None], flush: Callable[[], None]) -> None:
        self.database = database
        self.send = send
        self.written = written
        self.flush = flush
        self.jobs: queue.Queue[Job | None] = queue.Queue(QUEUE)
        self.failures: int = 0
        self.thread: threading.Thread = threading.Thread(
            target=self._run, name="lease-writer", daemon=True)
        self.thread.start()

    def submit(self, job: Job) -> None:
        self.jobs.put(job)

    def drain(self) -> None:
        """Return when every job submitted so far is written and answered."""
        self.jobs.join()

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join()

    def _run(self) -> None:
        jobs = self.jobs
        while True:
            first = jobs.get()
            batch: list[Job] = []
            last = first is None
            if first is not None:
                batch.append(first)
                # Group commit: a commit costs about as much CPU time whatever it
                # holds (its fsync above all), so the batches of the next moment
                # join this one. A DHCP client waits seconds for its reply.
                time.sleep(GATHER)
            while not last:  # every job already waiting goes into this transaction
                try:
                    job = jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    last = True
                else:
                    batch.append(job)
            try:
                self._write(batch)
            finally:
                for _ in range(len(batch) + (1 if last else 0)):
                    jobs.task_done()
            if last:
                return

    def _write(self, batch: list[Job]) -> None:
        if not batch:
            return
        try:
            self.database.write([job.pending for job in batch])
        except Exception:
            self.failures += 1
            replies = sum(len(job.outgoing) for job in batch)
            log.exception("lease database write failed: %d replies not sent", replies)
            self.flush()
            return
        for job in batch:  # durable: now the replies may go
            for out in job.outgoing:
                self.send(out)
        self.written([event for job in batch for event in job.events])
        self.flush()
