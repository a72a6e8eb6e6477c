"""Versions of one mutable store that all stay valid: the server's persistence engine.

Rules of this module:

* A :class:`Store` holds plain mutable containers (dicts and lists) with the
  data of exactly one :class:`Version`, its *root*. Every other version of
  the same store is a chain of diffs that ends at the root: ``version.diff``
  is the list of writes that turns the data of ``version.next`` back into the
  data of ``version``.
* Nothing writes to a container except through a journal (a list of
  ``(container, key, old value)`` records) opened on the root by
  :func:`begin`; :func:`commit` turns that journal into the diff of the old
  root and makes a new root. The old version is then one diff away.
* Reading any version first moves the root to it (:func:`reroot`): the
  diffs on the path are applied, and each is replaced by its inverse on the
  other side, so the version that was left is still reachable. This is the
  "rerooting" technique for fully persistent arrays (H. G. Baker, 1978):
  linear use -- always continuing from the newest version -- costs O(1) per
  write and nothing to read; going back to an old version costs the number
  of writes in between.
* Diffs point from old versions to newer ones only, so a version nobody
  holds is garbage collected with its diff.
* A store is not thread-safe: two threads must not use versions of the same
  store at the same time (reading reroots).
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["MISSING", "Journal", "Queue", "Store", "Version", "begin", "commit", "heap_pop",
           "heap_push", "new_queue", "queue_pop", "queue_push", "reroot", "rollback"]

#: The "old value" of a key that was absent (dict) or an index past the end (list).
MISSING: Final[Any] = object()

#: One write: (container, key or index, the value before the write).
Record = tuple[Any, Any, Any]
Journal = list[Record]


class Version:
    """One version of a store: the root (``next is None``) or a diff towards it."""

    __slots__ = ("diff", "next", "store")

    def __init__(self, store: Store) -> None:
        self.store = store
        self.diff: Journal | None = None
        self.next: Version | None = None


class Store:
    """The mutable containers of every version; subclasses add them as slots."""

    __slots__ = ("root",)

    def __init__(self) -> None:
        self.root = Version(self)


def _apply(records: Journal) -> Journal:
    """Undo ``records`` (last first) on their containers; return the inverse records."""
    inverse: Journal = []
    append = inverse.append
    for container, key, old in reversed(records):
        if type(container) is dict:
            current = container.get(key, MISSING)
            if old is MISSING:
                del container[key]
            else:
                container[key] = old
        else:  # a list: only appends and pops at the end, and writes in place
            n = len(container)
            current = container[key] if key < n else MISSING
            if old is MISSING:
                container.pop()
            elif key == n:
                container.append(old)
            else:
                container[key] = old
        append((container, key, current))
    return inverse


def reroot(version: Version) -> None:
    """Make ``version`` the root of its store, so the containers hold its data."""
    if version.next is None:
        return
    path: list[Version] = []
    node = version
    while node.next is not None:
        path.append(node)
        node = node.next
    for node in reversed(path):  # the node nearest the root first
        newer = node.next
        assert newer is not None and node.diff is not None
        newer.diff = _apply(node.diff)
        newer.next = node
        node.diff = None
        node.next = None
    version.store.root = version


def begin(version: Version) -> Journal:
    """Reroot to ``version`` and open a journal for writes that make a new version."""
    reroot(version)
    return []


def commit(version: Version, journal: Journal) -> Version:
    """The new version made by the writes in ``journal`` (``version`` when there were none)."""
    if not journal:
        return version
    store = version.store
    new = Version(store)
    version.diff = journal
    version.next = new
    store.root = new
    return new


def rollback(journal: Journal) -> None:
    """Undo the writes of an uncommitted journal (an exception interrupted them)."""
    _apply(journal)
    journal.clear()


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


# -- a priority queue for keys that mostly arrive in order -----------------------------

#: (sorted run: position -> item, [head, tail] of the run, heap of the items that
#: arrived out of order). The run only grows at the tail with items no smaller
#: than the last, so its head is its minimum.
Queue = tuple[dict[int, Any], list[int], list[Any]]


def new_queue(items: list[Any]) -> Queue:
    """A queue holding ``items`` (sorted here), built without a journal."""
    items = sorted(items)
    return dict(enumerate(items)), [0, len(items)], []


def queue_push(journal: Journal, queue: Queue, item: Any) -> None:
    """Add ``item``: O(1) when it is no smaller than the last one added, else O(log n)."""
    run, ends, late = queue
    head, tail = ends
    if tail > head and item < run[tail - 1]:
        heap_push(journal, late, item)
        return
    journal.append((run, tail, MISSING))
    run[tail] = item
    journal.append((ends, 1, tail))
    ends[1] = tail + 1


def queue_pop(journal: Journal, queue: Queue) -> Any:
    """Remove and return the smallest item, or ``MISSING`` when the queue is empty.

    The same items in, the same items out in the same order, as from any
    priority queue: the layout never shows.
    """
    run, ends, late = queue
    head, tail = ends
    if head < tail and (not late or not late[0] < run[head]):
        item = run.pop(head)
        journal.append((run, head, item))
        journal.append((ends, 0, head))
        ends[0] = head + 1
        return item
    if late:
        return heap_pop(journal, late)
    return MISSING
