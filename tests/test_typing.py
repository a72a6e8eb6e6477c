"""The README's install, as a user runs it, gives type checkers the types.

A fresh virtual environment (no site packages), the README's install command
``python3 -m pip install -e .`` run there with that environment's python,
then ``mypy --strict`` (and pyright, installed into the same environment)
on a small user program outside the checkout, and ``pyright --verifytypes``
on the package (every exported symbol's type known: 100%), ``tests/wire/typing_program/
user.py``, whose typed assignments fail if a type is wrong or if the checker
cannot find dhcpwire and its ``py.typed`` (issue 11: setuptools' PEP 660
editable finder is invisible to type checkers; the project's package-dir
makes the editable install a path entry).

It needs PyPI (pip builds the project with setuptools, and installs
pyright). Under ``CI`` anything missing is a failure; elsewhere the test
skips, saying why, when the network or venv is not there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "tests" / "wire" / "typing_program" / "user.py"


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def test_readme_install_in_a_fresh_venv_gives_mypy_and_pyright_the_types(
        tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    try:
        venv.create(env_dir, with_pip=True)
    except Exception as exc:  # no ensurepip on this Python
        _unavailable(f"cannot make a virtual environment: {exc}")
    python = env_dir / "bin" / "python"
    # the README's install command, exactly, from the checkout
    install = _run([str(python), "-m", "pip", "install", "-e", "."], cwd=ROOT)
    if install.returncode:
        _unavailable(f"pip install -e . failed (no network?): {install.stderr[-2000:]}")
    project = tmp_path / "user_project"
    project.mkdir()
    program = project / "user.py"
    shutil.copy(PROGRAM, program)
    # the program runs in the venv, importing dhcpwire through the editable install
    ran = _run([str(python), str(program)], cwd=project)
    assert ran.returncode == 0, ran.stderr
    # mypy (this environment's) resolves dhcpwire from the venv's site-packages
    mypy = _run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                 "--python-executable", str(python), str(program)], cwd=project)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    assert "Success" in mypy.stdout
    got = _run([str(python), "-m", "pip", "install", "pyright"], cwd=project)
    if got.returncode:
        _unavailable(f"pip install pyright failed: {got.stderr[-2000:]}")
    pyright = _run([str(env_dir / "bin" / "pyright"), "--pythonpath", str(python), str(program)],
                   cwd=project)
    assert pyright.returncode == 0, pyright.stdout + pyright.stderr
    assert "0 errors" in pyright.stdout
    # every symbol the package exports has a type a checker knows, the same for
    # every checker: no public attribute left to inference, no Any leaking out
    # of a signature (pyright's "type completeness" of a py.typed package)
    complete = _run([str(env_dir / "bin" / "pyright"), "--pythonpath", str(python),
                     "--verifytypes", "dhcpwire", "--ignoreexternal"], cwd=project)
    assert "Type completeness score: 100%" in complete.stdout, complete.stdout[-4000:]
