"""The distributions: ``python -m build`` makes an sdist and a wheel from it, ``twine check``
passes, and the sdist carries what its tests need (the captures, the docs), so they run
from it.

Needs ``build`` and ``twine`` (the ``lint`` extra) and the package index for the build's
isolated environment; under CI a missing tool fails, elsewhere the tests skip and say why.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import dhcpwire

ROOT = Path(__file__).resolve().parents[1]


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is required in CI: pip install -e '.[lint]'")
        pytest.skip(f"{module} is not installed (pip install -e '.[lint]')")


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    _need("build")
    out = tmp_path_factory.mktemp("dist")
    # the default: the sdist first, then the wheel built from the unpacked sdist
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [sdist] = out.glob("*.tar.gz")
    [wheel] = out.glob("*.whl")
    return sdist, wheel


def test_twine_check_passes(dists: tuple[Path, Path]) -> None:
    _need("twine")
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dists)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2


def test_the_version_is_the_package_s(dists: tuple[Path, Path]) -> None:
    sdist, wheel = dists
    assert sdist.name == f"dhcpwire-{dhcpwire.__version__}.tar.gz"
    assert wheel.name == f"dhcpwire-{dhcpwire.__version__}-py3-none-any.whl"


def test_the_wheel_holds_the_package_its_types_license_and_command(
        dists: tuple[Path, Path]) -> None:
    _, wheel = dists
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = f"dhcpwire-{dhcpwire.__version__}.dist-info"
        metadata = zf.read(f"{info}/METADATA").decode()
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
    assert {"dhcpwire/__init__.py", "dhcpwire/py.typed", "dhcpwire/cli/main.py",
            "dhcpwire/tools/pcap.py", f"{info}/licenses/LICENSE"} <= names
    assert not any(n.startswith(("tests/", "docs/", "benchmarks/")) for n in names)
    assert "License-Expression: MIT" in metadata and "Requires-Dist: pytest" in metadata
    assert "dhcpwire = dhcpwire.cli:main" in entry_points


def test_the_sdist_holds_the_tests_with_their_captures(dists: tuple[Path, Path]) -> None:
    sdist, _ = dists
    top = f"dhcpwire-{dhcpwire.__version__}"
    with tarfile.open(sdist) as tf:
        names = {n.removeprefix(top + "/") for n in tf.getnames()}
    captures = {f"tests/captures/{p.name}" for p in (ROOT / "tests" / "captures").glob("*.pcap*")}
    assert captures and captures <= names
    assert {"tests/captures/SOURCES.tsv", "LICENSE", "CHANGELOG.md", "README.md",
            "docs/conf.py", "docs/_ext/dhcpwire_docs.py", "examples/client.py",
            "tests/conftest.py"} <= names
    assert not any(n.startswith((".ci/", "docs/_build", "dist/")) or n.endswith(".pyc")
                   for n in names)


def test_tests_run_from_the_unpacked_sdist(dists: tuple[Path, Path], tmp_path: Path) -> None:
    sdist, _ = dists
    with tarfile.open(sdist) as tf:
        tf.extractall(tmp_path, filter="data")
    tree = tmp_path / f"dhcpwire-{dhcpwire.__version__}"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "tests/tools/test_pcap.py", "tests/cli/test_cli.py", "tests/tools/test_lint.py"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and " failed" not in proc.stdout
