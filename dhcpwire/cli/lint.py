"""``dhcpwire lint``: the findings of :mod:`dhcpwire.tools.lint` as text or JSON Lines.

Rules of this module:

* Findings are printed in capture order, each with its frame, severity,
  text and RFC section; then a per-rule summary and one closing line that
  says what was counted and what was left out (``--errors-only`` leaves out
  warnings, info is shown only with ``--all``).
* Exit status: 0 when no error (with ``--strict``: no warning either), 1
  when there are (grep's "found"), 2 for a bad command line or an input
  that could not be read. Info never fails a run.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any, TextIO

from ..tools.lint import ERROR, INFO, LEVELS, RULES, WARNING, Finding, Located, Seen, lint
from ..wire.decoder import decode
from ..wire.errors import DecodeError
from .decode import SCHEMA, decode_error_text
from .inputs import Item

__all__ = ["Linter"]


def _plural(count: int, word: str) -> str:
    if word == INFO:
        return f"{count} info"
    return f"{count} {word}" + ("" if count == 1 else "s")


class Linter:
    """One lint run: feed it items, then :meth:`report`."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.found: list[Located] = []
        self.messages: int = 0

    def seen(self, items: Iterator[Item]) -> Iterator[Seen]:
        """Decode each item (strictly, then leniently to go on linting) as lint wants it."""
        for item in items:
            self.messages += 1
            try:
                msg = decode(item.payload)
            except DecodeError as exc:
                text = decode_error_text(item, exc).split(": ", 1)[1]
                rule = RULES["decode"]
                self.found.append(Located(self.messages - 1, item.label, Finding(
                    rule.level, text, rule.name, rule.reference)))
                try:
                    msg = decode(item.payload, strict=False)
                except DecodeError:
                    continue
            yield Seen(item.label, msg, item.src, item.dst, item.dport)

    def run(self, items: Iterator[Item]) -> None:
        """Lint every item; the findings are kept for :meth:`report`."""
        seen = self.seen(items)
        # lint() numbers the messages it sees; map its indexes back to ours.
        order: list[int] = []

        def numbered() -> Iterator[Seen]:
            for s in seen:
                order.append(self.messages - 1)
                yield s

        for located in lint(numbered()):
            self.found.append(Located(order[located.index], located.label, located.finding))

    def shown_levels(self) -> tuple[str, ...]:
        if self.args.errors_only:
            return (ERROR,)
        return LEVELS if self.args.all else (ERROR, WARNING)

    def report(self, out: TextIO) -> int:
        """Print the findings and the summary; returns the exit status (0 or 1)."""
        self.found.sort(key=lambda f: f.index)
        counts = Counter(f.finding.level for f in self.found)
        shown = self.shown_levels()
        visible = [f for f in self.found if f.finding.level in shown]
        rules = Counter(f.finding.rule for f in visible)
        if self.args.json:
            for f in visible:
                out.write(json.dumps({
                    "schema": SCHEMA, "type": "finding", "source": f.label,
                    "level": f.finding.level, "rule": f.finding.rule,
                    "reference": f.finding.reference, "text": f.finding.text}) + "\n")
            summary: dict[str, Any] = {
                "schema": SCHEMA, "type": "summary", "messages": self.messages,
                "errors": counts[ERROR], "warnings": counts[WARNING], "info": counts[INFO],
                "shown": list(shown),
                "rules": {name: {"level": RULES[name].level, "count": n,
                                 "reference": RULES[name].reference}
                          for name, n in sorted(rules.items())}}
            out.write(json.dumps(summary) + "\n")
        else:
            for f in visible:
                out.write(f"{f.label}: {f.finding}\n")
            if rules:
                out.write("rules broken:\n")
                width = max(len(name) for name in rules)
                for name, n in sorted(rules.items(), key=lambda r: (-r[1], r[0])):
                    rule = RULES[name]
                    out.write(f"  {name:<{width}}  {rule.level:<7} {n:>6}  {rule.reference}\n")
            parts = [_plural(counts[level], level) for level in shown]
            hidden = [_plural(counts[level], level) for level in LEVELS
                      if level not in shown and counts[level]]
            line = f"{_plural(self.messages, 'message')}: {', '.join(parts)}"
            if hidden:
                line += f" (not shown: {', '.join(hidden)}"
                line += "; --all shows every level)" if not self.args.errors_only else ")"
            out.write(line + "\n")
        failed = counts[ERROR] > 0 or (self.args.strict and counts[WARNING] > 0)
        return 1 if failed else 0
