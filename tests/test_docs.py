"""The documentation: doctests of every docs/*.rst page, a ``sphinx -W`` build, and checks
of the built HTML: tables are tables, the state diagrams are SVG drawn by Graphviz, and the
option table's Python types are those decoding gives.

Under CI a missing Sphinx or Graphviz ``dot`` fails the build test; elsewhere it skips and
says why.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhcpwire import DEFAULT_REGISTRY, RELAY_AGENT_SPACE

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: Pages whose examples are not doctest-clean yet: name -> reason. Keep it short.
NOT_DOCTESTED: dict[str, str] = {}
PAGES = sorted(DOCS.glob("*.rst"))


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_doctests_of_the_page_pass(page: Path) -> None:
    if page.name in NOT_DOCTESTED:
        pytest.skip(NOT_DOCTESTED[page.name])
    result = doctest.testfile(str(page), module_relative=False, verbose=False, report=True,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                              raise_on_error=False, globs={})
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"


def test_the_pages_of_the_toctree_are_listed() -> None:
    index = (DOCS / "index.rst").read_text()
    for name in ("quickstart", "wire", "options", "client", "server", "simulator", "interop",
                 "diagrams", "conformance", "benchmarks", "api"):
        assert f"\n   {name}\n" in index


def _need(module: str | None = None, program: str | None = None) -> None:
    missing = (module is not None and importlib.util.find_spec(module) is None) or (
        program is not None and shutil.which(program) is None)
    if missing:
        what = module or program
        hint = "pip install -e '.[docs]'" if module else "apt-get install graphviz"
        if os.environ.get("CI"):
            pytest.fail(f"{what} is required in CI: {hint}")
        pytest.skip(f"{what} is not installed ({hint})")


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need(module="sphinx")
    _need(program="dot")
    tmp_path = tmp_path_factory.mktemp("docs")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tmp_path / "html"


def test_the_docs_build_with_sphinx_and_no_warning(html: Path) -> None:
    options = (html / "options.html").read_text()
    # the option table is generated from the registry
    assert "domain-search" in options and "agent-circuit-id" in options


def test_the_state_diagrams_are_svg_drawn_at_build_time(html: Path) -> None:
    page = (html / "diagrams.html").read_text()
    images = re.findall(r'data="(_images/graphviz-[0-9a-f]+\.svg)"', page)
    assert len(images) == 2, "the client and the lease diagrams"
    client, lease = (unescape((html / image).read_text()) for image in images)
    for state in ("SELECTING", "REQUESTING", "BOUND", "RENEWING", "REBINDING", "INIT-REBOOT"):
        assert f">{state}</text>" in client
    assert client.startswith("<?xml") and "<svg" in client
    assert ">OFFERED</text>" in lease and ">BOUND</text>" in lease and "LeaseDeclined" in lease
    assert "stateDiagram-v2" not in page  # no Mermaid text left for the reader's browser


def test_the_new_pages_are_built(html: Path) -> None:
    assert "open_capture" in (html / "captures.html").read_text()
    cli = (html / "cli.html").read_text()
    assert "relay-agent-echo" in cli and "RFC 3046 section 2.2" in cli


class _Tables(HTMLParser):
    """The body rows of every table of a page, as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.body = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tbody":
            self.body = True
        elif tag == "tr" and self.body:
            self.row = []
            self.tables[-1].append(self.row)
        elif tag == "td" and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.row is not None and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr":
            self.row = None
        elif tag == "tbody":
            self.body = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


#: Pages whose tables still break (a first column that wraps starts a new row in an RST
#: simple table), with who fixes them: name -> reason. Keep it short.
def test_tables_render_as_tables(html: Path) -> None:
    """A simple table whose first column wraps becomes two rows: the first ends its list
    with a comma, or the continuation row has empty cells. None may do that."""
    broken = {}
    for page in sorted(html.glob("*.html")):
        parser = _Tables()
        parser.feed(page.read_text())
        for number, table in enumerate(parser.tables):
            for row in table:
                if len(row) >= 2 and (not row[0] or not any(row[1:])
                                      or row[0].endswith((",", " and", " or"))):
                    broken.setdefault(page.name, []).append((number, row[:2]))
    assert broken == {}, broken


# -- the option table's Python types ----------------------------------------------------------

sys.path.insert(0, str(DOCS / "_ext"))
from dhcpwire_docs import python_type  # noqa: E402

from .strategies import value_strategy  # noqa: E402

SPECS = [*DEFAULT_REGISTRY, *RELAY_AGENT_SPACE]
_NAMES = {"int": int, "str": str, "bytes": bytes, "bool": bool}


def _matches(value: Any, text: str) -> bool:
    """Whether ``value`` is of the type ``text`` (the option table's notation)."""
    text = text.strip()
    if " | " in text:
        return any(_matches(value, part) for part in text.split(" | "))
    if text == "True":
        return value is True
    if text.startswith("tuple[") and text.endswith("]"):
        inner = _split(text[6:-1])
        if not isinstance(value, tuple):
            return False
        if inner[-1] == "...":
            return all(_matches(v, inner[0]) for v in value)
        return len(value) == len(inner) and all(
            _matches(v, t) for v, t in zip(value, inner, strict=True))
    if text in _NAMES:
        return type(value) is _NAMES[text] or (text == "int" and isinstance(value, int)
                                               and not isinstance(value, bool))
    return any(cls.__name__ == text for cls in type(value).__mro__)


def _split(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return [*parts, text[start:].strip()]


def test_every_option_has_a_python_type() -> None:
    assert all(python_type(spec.codec) for spec in SPECS)
    assert python_type(DEFAULT_REGISTRY[78].codec) == "tuple[int, tuple[IPv4Address, ...]]"
    assert python_type(DEFAULT_REGISTRY[79].codec) == "tuple[int, str]"


@settings(max_examples=400)
@given(st.data())
def test_the_option_table_types_are_what_decoding_gives(data: st.DataObject) -> None:
    spec = data.draw(st.sampled_from(SPECS))
    value = data.draw(value_strategy(spec.codec))
    decoded = spec.codec.decode(spec.codec.encode(value))
    assert _matches(decoded, python_type(spec.codec)), (spec.code, spec.name, decoded)


def test_the_option_table_shows_the_codec_types(html: Path) -> None:
    parser = _Tables()
    parser.feed((html / "options.html").read_text())
    rows = {row[0]: row for row in parser.tables[0]}
    for code in ("78", "79", "151"):
        assert rows[code][2] == python_type(DEFAULT_REGISTRY[int(code)].codec)
