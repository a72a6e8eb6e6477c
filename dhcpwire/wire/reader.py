"""The one bounded option reader, and the one 255-octet splitter.

Rules of this module:

* Every code/length/value walk of the wire layer goes through :class:`Reader`
  -- the options field and the overloaded 'file'/'sname' fields (RFC 2132
  section 2 and 9.3), sub-option spaces (RFC 3046 section 2.0, RFC 2132
  section 8.4), vendor blocks (RFC 3925) -- except the decoder's measured
  fast loop, which a property test holds to this reader's answers.
* A reader reads ``data[pos:end]`` and never past ``end``;
  :meth:`Reader.restrict_to` narrows ``end`` for a nested structure and
  puts it back after (dnspython's ``Parser.restrict_to`` is the model), so
  nothing is sliced to be walked and every offset is a position in ``data``:
  from the start of the payload when ``data`` is the payload, from the start
  of the value when it is an option's value.
* One error convention: running past ``end`` raises :class:`Overrun` (a
  :class:`~dhcpwire.wire.registry.Malformed`) with the kind of
  :class:`~dhcpwire.errors.DecodeError` to raise, the offset of the item
  that overran, and, for an option, its code and where its value began.
  No ``None`` or ``-1`` stands for an error.
* RFC 3396 section 6: "No split portion of an option that has been split
  can contain more than 255 octets" -- :func:`tlv` is the one place that
  splits a value, for the encoder and for sub-option spaces alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from .errors import DecodeError, TruncatedOption
from .registry import Malformed

__all__ = [
    "MAX_PORTION",
    "Overrun",
    "Reader",
    "collect_suboptions",
    "instances",
    "locate",
    "option_offset",
    "overload_mode",
    "split_suboptions",
    "tlv",
    "value_offset",
]

#: RFC 3396 section 6: the most octets one instance of an option carries.
MAX_PORTION: Final = 255
_PAD: Final = 0
_END: Final = 255
_OVERLOAD: Final = 52


class Overrun(Malformed):
    """An item whose header or value runs past the end of the reader's range.

    ``at`` is where the item starts; for an option, ``code`` is its code and
    ``start`` where its value starts (what there is of the value is
    ``data[start:end]``, which a lenient decoder keeps).
    """

    def __init__(self, message: str, at: int, kind: type[DecodeError] = TruncatedOption,
                 code: int | None = None, start: int = 0) -> None:
        super().__init__(message, at, kind)
        self.code = code
        self.start = start


class Reader:
    """A cursor over ``data[start:end]`` that never reads past ``end``.

    >>> r = Reader(bytes.fromhex("0102abcd" "0500"))
    >>> [(at, code, r.data[s:e]) for at, code, s, e in r.tlvs("sub-option")]
    [(0, 1, b'\\xab\\xcd'), (4, 5, b'')]
    """

    __slots__ = ("data", "end", "ended", "pos")

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data: bytes = data
        self.pos: int = start
        self.end: int = len(data) if end is None else end
        #: True once :meth:`options` has stopped at an END option (``pos`` is on it).
        self.ended: bool = False

    def remaining(self) -> int:
        return self.end - self.pos

    def _need(self, size: int, what: str, kind: type[DecodeError]) -> int:
        at = self.pos
        if at + size > self.end:
            raise Overrun(f"{what} runs past the end", at, kind)
        self.pos = at + size
        return at

    def get_u8(self, what: str, kind: type[DecodeError] = TruncatedOption) -> int:
        return self.data[self._need(1, what, kind)]

    def get_uint(self, size: int, what: str, kind: type[DecodeError] = TruncatedOption) -> int:
        """A big-endian unsigned integer of ``size`` octets."""
        at = self._need(size, what, kind)
        return int.from_bytes(self.data[at:at + size], "big")

    def get_bytes(self, size: int, what: str, kind: type[DecodeError] = TruncatedOption) -> bytes:
        at = self._need(size, what, kind)
        return self.data[at:at + size]

    @contextmanager
    def restrict_to(self, size: int, what: str,
                    kind: type[DecodeError] = TruncatedOption) -> Iterator[None]:
        """Read the next ``size`` octets as a structure of their own: inside the
        block the reader ends where the structure does; after it, the reader
        stands just past the structure, whatever the block read of it."""
        if self.pos + size > self.end:
            raise Overrun(f"{what} runs past the end", self.pos, kind)
        saved = self.end
        self.end = stop = self.pos + size
        try:
            yield
        finally:
            self.end = saved
        self.pos = stop

    def tlv(self, what: str, field: str) -> tuple[int, int, int]:
        """The code/length/value item at ``pos``: (code, value start, value end)."""
        data, at = self.data, self.pos
        code = data[at]
        if at + 1 >= self.end:
            raise Overrun(f"{what} {code} has no length octet in {field}", at, TruncatedOption,
                          code, self.end)
        start = at + 2
        stop = start + data[at + 1]
        if stop > self.end:
            raise Overrun(f"{what} {code} of length {data[at + 1]} runs past the end of {field}",
                          at, TruncatedOption, code, start)
        self.pos = stop
        return code, start, stop

    def tlvs(self, what: str, field: str = "its option") -> Iterator[tuple[int, int, int, int]]:
        """Every item to the end, as (offset, code, value start, value end): a
        sub-option space, where there is no PAD or END (RFC 3046 section 2.0)."""
        while self.pos < self.end:
            at = self.pos
            code, start, stop = self.tlv(what, field)
            yield at, code, start, stop

    def options(self, field: str) -> Iterator[tuple[int, int, int, int]]:
        """The options of a DHCP options area (RFC 2132 section 2), as
        :meth:`tlvs` gives them: PAD skipped, and the walk stops at END with
        :attr:`ended` set and ``pos`` on the END octet."""
        data = self.data
        while self.pos < self.end:
            at = self.pos
            code = data[at]
            if code == _END:
                self.ended = True
                return
            if code == _PAD:
                self.pos = at + 1
                continue
            code, start, stop = self.tlv("option", field)
            yield at, code, start, stop


Spans = dict[int, list[tuple[int, int]]]


def collect_suboptions(data: bytes) -> tuple[dict[int, bytes], Spans]:
    """Sub-options (RFC 3046 section 2.0) by code, the instances of a code
    concatenated in order (RFC 3396 section 7), and where each instance's
    value lies in ``data`` (for error offsets: see :func:`locate`). Raises
    :class:`Overrun` with offsets in ``data``. Each octet is copied once,
    however many instances a code has.

    The walk is :meth:`Reader.tlv`'s, inlined for the common case (this runs
    for every option 82 a strict decode checks); any item that would run
    past the end is handed to :meth:`Reader.tlv` to raise.
    """
    values: dict[int, bytes] = {}
    spans: Spans = {}
    i, n = 0, len(data)
    while i < n:
        if i + 1 >= n or i + 2 + data[i + 1] > n:
            reader = Reader(data, i)
            reader.tlv("sub-option", "its option")  # raises the Overrun
        code = data[i]
        stop = i + 2 + data[i + 1]
        if code in spans:
            spans[code].append((i + 2, stop))
            values[code] = b""  # joined below
        else:
            spans[code] = [(i + 2, stop)]
            values[code] = data[i + 2:stop]
        i = stop
    for code, value in values.items():
        if not value and len(spans[code]) > 1:
            values[code] = b"".join([data[a:b] for a, b in spans[code]])
    return values, spans


def split_suboptions(data: bytes) -> dict[int, bytes]:
    """:func:`collect_suboptions` without the spans."""
    return collect_suboptions(data)[0]


def locate(spans: list[tuple[int, int]], at: int) -> int:
    """The offset of octet ``at`` of a value made of the ``spans`` (start,
    end) concatenated in order; the end of the last span when ``at`` is past it."""
    for start, stop in spans:
        if at < stop - start:
            return start + at
        at -= stop - start
    return spans[-1][1]


def tlv(code: int, value: bytes) -> bytes:
    """``value`` as instances of ``code``: one, or (RFC 3396 section 6) as many
    255-octet portions as it takes, "in sequential order"."""
    n = len(value)
    if n <= MAX_PORTION:
        return bytes((code, n)) + value
    return b"".join([bytes((code, len(value[k:k + MAX_PORTION]))) + value[k:k + MAX_PORTION]
                     for k in range(0, n, MAX_PORTION)])


def overload_mode(value: bytes) -> int:
    """Option 52's value as a mode: 1 'file', 2 'sname', 3 both (RFC 2132
    section 9.3); 0 for anything else."""
    mode = value[0] if len(value) == 1 else 0
    return mode if mode in (1, 2, 3) else 0


#: RFC 3396 section 5: options are read from "the optional parameters field,
#: the file field, and the sname field, in that order" -- (mode bit, start, end).
_OVERLOADED_FIELDS: Final = ((1, 108, 236, "the file field"), (2, 44, 108, "the sname field"))


def instances(payload: bytes) -> Iterator[tuple[int, int, int, int]]:
    """Every option instance of a DHCP payload, as :meth:`Reader.options`
    gives them, in RFC 3396 section 5's order (the options field, then the
    fields option 52 overloads). For error messages: it stops quietly where
    the bytes stop making sense, since the error being reported says why."""
    mode = 0
    areas = [(240, len(payload), "the options field")]
    k = 0
    while k < len(areas):
        start, end, field = areas[k]
        reader = Reader(payload, start, end)
        try:
            for at, code, vstart, vstop in reader.options(field):
                if k == 0 and code == _OVERLOAD and not mode:
                    mode = overload_mode(payload[vstart:vstop])
                yield at, code, vstart, vstop
        except Malformed:
            return
        if k == 0:
            areas += [(s, e, f) for bit, s, e, f in _OVERLOADED_FIELDS if mode & bit]
        k += 1


def value_offset(payload: bytes, code: int, at: int) -> int:
    """The payload offset of octet ``at`` of option ``code``'s value (all its
    instances concatenated, RFC 3396 section 7); the error path's map from a
    codec's offset to the payload's. 240 when the code is not found."""
    last = -1
    for _, c, start, stop in instances(payload):
        if c != code:
            continue
        if at < stop - start:
            return start + at
        at -= stop - start
        last = stop
    return last if last >= 0 else 240


def option_offset(payload: bytes, code: int) -> int:
    """The payload offset of the first instance of ``code`` (its code octet);
    240 when it is not found."""
    for at, c, _, _ in instances(payload):
        if c == code:
            return at
    return 240

