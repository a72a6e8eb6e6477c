"""The documentation: doctests of every docs/*.rst page, and a ``sphinx -W`` build.

Under CI a missing Sphinx fails the build test; elsewhere it skips and says why.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_the_docs_build_with_sphinx_and_no_warning(tmp_path: Path) -> None:
    if importlib.util.find_spec("sphinx") is None:
        if os.environ.get("CI"):
            pytest.fail("Sphinx is required in CI: pip install -e '.[docs]'")
        pytest.skip("Sphinx is not installed (pip install -e '.[docs]')")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    options = (tmp_path / "html" / "options.html").read_text()
    # the option table is generated from the registry
    assert "domain-search" in options and "agent-circuit-id" in options
    diagrams = (tmp_path / "html" / "diagrams.html").read_text()
    assert "stateDiagram-v2" in diagrams and "REBINDING" in diagrams
