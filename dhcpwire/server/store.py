"""The server's mutable containers, written through a journal: its persistence engine.

Rules of this module:

* The server's data lives in ordinary dicts and lists, changed in place by
  the step that owns them (versions are linear: see :mod:`.state`). Nothing
  writes to a container except through a *journal*, a list of
  ``(container, key or index, old value)`` records, so that a step that
  raises half-way is undone exactly by :func:`rollback`: no state is lost
  or half-changed.
* Two structures are built on the journal, both sized by what is live and
  never by what happened: :class:`Timers`, a binary min-heap of (deadline,
  address) that holds at most twice the live timers, and
  :class:`FreeQueue`, the addresses given back to a pool, least recently
  freed first, each at most once, from which any address can be taken out.
"""

from __future__ import annotations

import heapq
from typing import Any, Final

__all__ = ["MISSING", "FreeQueue", "Journal", "Timers", "heap_pop", "heap_push", "rollback"]

#: The "old value" of a key that was absent (dict) or an index past the end (list).
MISSING: Final[Any] = object()

#: One write: (container, key or index, the value before the write).
Record = tuple[Any, Any, Any]
Journal = list[Record]


def rollback(journal: Journal) -> None:
    """Undo the writes of ``journal`` (last first) on their containers, and empty it."""
    for container, key, old in reversed(journal):
        if type(container) is dict:
            if old is MISSING:
                del container[key]
            else:
                container[key] = old
        else:  # a list: appends and pops at the end, and writes in place
            if old is MISSING:
                container.pop()
            elif key == len(container):
                container.append(old)
            else:
                container[key] = old
    journal.clear()


class Timers:
    """A min-heap of ``(deadline, address)`` timers, every write journaled.

    ``due`` maps each address with a timer to the deadline of its one live
    heap entry. :meth:`set` leaves a later deadline alone (the entry fires
    early and its owner reschedules it: a renewal costs nothing here) and
    pushes an earlier one, which turns the old entry stale; stale entries
    are skipped when they come up. So that they never outnumber the live
    ones, :meth:`compact` rebuilds the heap from ``due`` once they do: the
    heap holds at most twice the live timers (plus :data:`SLACK`), at O(1)
    amortised per stale entry.
    """

    __slots__ = ("due", "heap")

    #: Stale entries tolerated before a compaction, whatever the live count.
    SLACK: Final = 64

    def __init__(self, items: list[tuple[float, int]] | None = None) -> None:
        self.heap: list[tuple[float, int]] = list(items) if items else []
        # heapify, not sort: a sorted list is a heap too, but its pops walk
        # tuples scattered in memory and measure slower (and sorting is O(n log n))
        heapq.heapify(self.heap)
        self.due: dict[int, float] = {address: at for at, address in self.heap}

    def __len__(self) -> int:
        """How many addresses have a timer."""
        return len(self.due)

    def first(self) -> float | None:
        """The earliest entry's deadline (perhaps a stale one's: never later than a live one)."""
        heap = self.heap
        return heap[0][0] if heap else None

    def copy(self) -> Timers:
        new = Timers()
        new.heap = list(self.heap)
        new.due = dict(self.due)
        return new

    def set(self, j: Journal, address: int, deadline: float) -> None:
        """Make sure ``address`` has a timer no later than ``deadline``."""
        due = self.due
        current = due.get(address)
        if current is not None and current <= deadline:
            return  # the earlier entry fires first and is rescheduled then
        j.append((due, address, MISSING if current is None else current))
        due[address] = deadline
        heap_push(j, self.heap, (deadline, address))

    def pop(self, j: Journal, now: float) -> tuple[float, int] | None:
        """Remove and return the earliest live timer due at ``now``, or ``None``."""
        heap, due = self.heap, self.due
        while heap and heap[0][0] <= now:
            at, address = heap_pop(j, heap)
            if due.get(address) == at:
                j.append((due, address, at))
                del due[address]
                return at, address
        return None

    def compact(self) -> None:
        """Drop the stale entries once they outnumber the live ones (not journaled:
        call it between steps, never inside one)."""
        if len(self.heap) > 2 * len(self.due) + self.SLACK:
            heap = [(at, address) for address, at in self.due.items()]
            heapq.heapify(heap)
            self.heap = heap


# -- a binary min-heap on a list, every write journaled ------------------------------

def heap_push(journal: Journal, heap: list[Any], item: Any) -> None:
    """Push ``item`` onto ``heap`` (sift up: usually one comparison for a late deadline)."""
    i = len(heap)
    heap.append(item)
    journal.append((heap, i, MISSING))
    while i:
        parent = (i - 1) >> 1
        above = heap[parent]
        if not item < above:
            break
        journal.append((heap, i, heap[i]))
        heap[i] = above
        i = parent
    if heap[i] is not item:
        journal.append((heap, i, heap[i]))
        heap[i] = item


def heap_pop(journal: Journal, heap: list[Any]) -> Any:
    """Remove and return the smallest item of a non-empty ``heap`` (sift down: O(log n))."""
    last = heap.pop()
    n = len(heap)
    journal.append((heap, n, last))
    if not n:
        return last
    top = heap[0]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        right = child + 1
        if right < n and heap[right] < heap[child]:
            child = right
        below = heap[child]
        if not below < last:
            break
        journal.append((heap, i, heap[i]))
        heap[i] = below
        i = child
    journal.append((heap, i, heap[i]))
    heap[i] = last
    return top


class FreeQueue:
    """The addresses of one pool that are free again, least recently freed first.

    Items are ``(freed at, address)``, popped in that order (whatever order
    they came in, so a restored or replayed state pops exactly what the
    original would), each address at most once: the queue never holds more
    entries than the pool has addresses, and any address can be taken out.

    Layout: most items come in time order and go to ``run``, a sorted run
    (position -> item) between ``ends = [head, tail]``; the few that come
    late go to ``late``, a binary heap. ``where`` maps each address to its
    run position, or to ``-1 - i`` for heap index ``i``. Removing from the
    run leaves a gap that :meth:`pop` steps over once. O(1) amortised for
    items in time order, O(log n) for late ones.

    Two fields are not journaled, because an undone write leaves them where
    the order of what :meth:`pop` gives is the same: ``tail`` (an undone
    append leaves a gap) and ``last``, the largest item ever appended (the
    run stays sorted as long as what is appended is no smaller).
    """

    __slots__ = ("ends", "last", "late", "run", "where")

    def __init__(self, items: list[tuple[float, int]] | None = None) -> None:
        items = sorted(items) if items else []
        self.run: dict[int, tuple[float, int]] = dict(enumerate(items))
        self.where: dict[int, int] = {address: i for i, (_, address) in enumerate(items)}
        self.ends: list[int] = [0, len(items)]
        self.last: tuple[float, int] | None = items[-1] if items else None
        self.late: list[tuple[float, int]] = []

    def __len__(self) -> int:
        return len(self.where)

    def __contains__(self, address: int) -> bool:
        return address in self.where

    def __iter__(self) -> Any:
        """The items in the order :meth:`pop` would give them."""
        return iter(sorted([*self.run.values(), *self.late]))

    def copy(self) -> FreeQueue:
        new = FreeQueue()
        new.run = dict(self.run)
        new.where = dict(self.where)
        new.ends = list(self.ends)
        new.last = self.last
        new.late = list(self.late)
        return new

    def push(self, j: Journal, at: float, address: int) -> None:
        """Queue ``address``, freed at ``at`` (replacing its entry if it has one)."""
        if address in self.where:
            self.remove(j, address)
        item = (at, address)
        where = self.where
        last = self.last
        if last is None or not item < last:
            run, ends = self.run, self.ends
            tail = ends[1]
            j.append((run, tail, MISSING))
            run[tail] = item
            j.append((where, address, MISSING))
            where[address] = tail
            ends[1] = tail + 1
            self.last = item
            return
        late = self.late
        i = len(late)
        late.append(item)
        j.append((late, i, MISSING))
        j.append((where, address, MISSING))
        where[address] = -1 - i
        self._up(j, i)

    def remove(self, j: Journal, address: int) -> None:
        """Take ``address`` out, if it is queued."""
        where = self.where
        n = where.get(address)
        if n is None:
            return
        j.append((where, address, n))
        del where[address]
        if n >= 0:
            run = self.run
            j.append((run, n, run[n]))
            del run[n]
        else:
            self._cut(j, -1 - n)

    def pop(self, j: Journal) -> int | None:
        """Take out and return the address freed longest ago, or ``None``."""
        where = self.where
        if not where:
            return None
        run, ends, late = self.run, self.ends, self.late
        head, tail = ends[0], ends[1]
        while head < tail and head not in run:  # gaps left by remove(); each passed once
            head += 1
        if head != ends[0]:
            j.append((ends, 0, ends[0]))
            ends[0] = head
        if head < tail and (not late or run[head] < late[0]):
            item = run[head]
            j.append((run, head, item))
            del run[head]
            j.append((ends, 0, head))
            ends[0] = head + 1
        else:
            item = late[0]
            self._cut(j, 0)
        address = item[1]
        j.append((where, address, where[address]))
        del where[address]
        return address

    # -- the late heap, each item's index kept in ``where`` as -1 - i ---------------
    def _put(self, j: Journal, i: int, item: tuple[float, int]) -> None:
        late, where = self.late, self.where
        j.append((late, i, late[i]))
        late[i] = item
        j.append((where, item[1], where[item[1]]))
        where[item[1]] = -1 - i

    def _up(self, j: Journal, i: int) -> None:
        late = self.late
        item = late[i]
        while i:
            parent = (i - 1) >> 1
            if not item < late[parent]:
                break
            self._put(j, i, late[parent])
            i = parent
        if late[i] is not item:
            self._put(j, i, item)

    def _down(self, j: Journal, i: int) -> None:
        late = self.late
        n = len(late)
        item = late[i]
        while True:
            child = 2 * i + 1
            if child >= n:
                break
            if child + 1 < n and late[child + 1] < late[child]:
                child += 1
            if not late[child] < item:
                break
            self._put(j, i, late[child])
            i = child
        if late[i] is not item:
            self._put(j, i, item)

    def _cut(self, j: Journal, i: int) -> None:
        """Take the item at heap index ``i`` out (``where`` is the caller's)."""
        late = self.late
        last = late.pop()
        n = len(late)
        j.append((late, n, last))
        if i == n:
            return
        self._put(j, i, last)
        self._up(j, i)
        self._down(j, i)
