"""Every Python example of README.md and docs/ passes ``mypy --strict`` (issue 11 item 4).

The doctests of a page run in order, so they are checked as one module;
each Python block without ``>>>`` (``code-block:: python`` in the docs, a
fenced block in the README) is a module of its own. The doctests themselves run through pytest's
``--doctest-glob`` (README.md and docs/*.rst, see pyproject.toml); the
blocks that are not doctests are socket drivers, which ``examples/`` holds
runnable and the interop tests run. Under CI a missing mypy fails; elsewhere
the test skips and says why.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.rst"))]


def examples(page: Path) -> list[str]:
    """The page's doctests as one module, then each Python code block (non-empty only)."""
    text = page.read_text()
    doctests = "".join(e.source for e in doctest.DocTestParser().get_examples(text))
    if page.suffix == ".md":
        blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if ">>>" not in b]
    else:
        blocks = [textwrap.dedent(m.group(1)).strip() + "\n"
                  for m in re.finditer(r"^\.\. code-block:: python\n\n((?: +.*\n|\n)+)",
                                       text, re.M) if ">>>" not in m.group(1)]
    return [source for source in (doctests, *blocks) if source.strip()]


def test_the_examples_are_found() -> None:
    found = {page.name: examples(page) for page in PAGES}
    assert "decode(offer)" in found["README.md"][0]
    assert "server.handle(state" in found["server.rst"][0]
    assert any("select.select" in block for block in found["client.rst"][1:])
    assert any("routers: tuple[IPv4Address, ...]" in block for block in found["wire.rst"])
    assert sum(len(v) for v in found.values()) >= 12


def test_every_example_of_the_readme_and_the_docs_passes_mypy_strict(tmp_path: Path) -> None:
    if shutil.which("mypy") is None:
        if os.environ.get("CI"):
            pytest.fail("mypy is required in CI: pip install -e '.[lint]'")
        pytest.skip("mypy is not installed (pip install -e '.[lint]')")
    files = []
    for page in PAGES:
        for n, source in enumerate(examples(page)):
            path = tmp_path / f"{page.stem.lower()}_example_{n}.py"
            path.write_text(source)
            files.append(str(path))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *files],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
