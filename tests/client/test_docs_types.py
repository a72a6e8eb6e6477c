"""Every Python example of docs/client.rst passes ``mypy --strict`` (issue 11 item 7).

The doctest examples run in order, so they are checked as one module; each
``code-block:: python`` is a module of its own. Under CI a missing mypy fails;
elsewhere the test skips and says why.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "client.rst"


def examples(text: str) -> list[str]:
    """The page's doctests as one module, then each Python code block."""
    parser = doctest.DocTestParser()
    doctests = "".join(e.source for e in parser.get_examples(text))
    blocks = []
    for match in re.finditer(r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text, re.M):
        lines = [line[4:] for line in match.group(1).splitlines()]
        blocks.append("\n".join(lines).strip() + "\n")
    return [doctests, *blocks]


def test_the_examples_are_found() -> None:
    found = examples(PAGE.read_text())
    assert len(found) >= 4 and "step(state, Start()" in found[0]
    assert any("select.select" in block for block in found[1:])


def test_every_example_of_the_client_page_passes_mypy_strict(tmp_path: Path) -> None:
    if shutil.which("mypy") is None:
        if os.environ.get("CI"):
            pytest.fail("mypy is required in CI: pip install -e '.[lint]'")
        pytest.skip("mypy is not installed (pip install -e '.[lint]')")
    files = []
    for n, source in enumerate(examples(PAGE.read_text())):
        path = tmp_path / f"client_example_{n}.py"
        path.write_text(source)
        files.append(str(path))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *files],
        cwd=PAGE.parents[1], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
