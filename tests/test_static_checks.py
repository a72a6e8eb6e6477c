"""ruff and mypy --strict are part of the test suite (the lint extra installs them).

Under CI a missing tool fails; elsewhere the test skips and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI: pip install -e '.[lint]'")
        pytest.skip(f"{name} is not installed (pip install -e '.[lint]')")
    return path


def test_ruff_is_clean() -> None:
    proc = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_is_clean() -> None:
    _tool("mypy")
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "dhcpwire", "examples"],
                          cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_py_typed_ships_with_the_package() -> None:
    assert (ROOT / "dhcpwire" / "py.typed").exists()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"py.typed"' in pyproject
