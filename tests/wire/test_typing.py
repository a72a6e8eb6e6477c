"""Static types a user's checker sees: option constants carry their value's type.

The constants of dhcpwire.codes are generated from THE option table by
``python -m dhcpwire.wire.gen_codes``; the first test holds the committed file
to the generator's output, so the table stays the one list. The others run
mypy --strict (and pyright, when it is installed) over a small user program,
``typing_program/user.py``, whose typed assignments fail if a type is wrong.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dhcpwire.wire import gen_codes

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = Path(__file__).resolve().parent / "typing_program" / "user.py"


def test_codes_module_is_the_generators_output() -> None:
    assert gen_codes.TARGET.read_text() == gen_codes.render(), (
        "dhcpwire/wire/codes.py is stale: run python -m dhcpwire.wire.gen_codes")


def test_every_constant_is_a_plain_int_at_run_time() -> None:
    from dhcpwire import codes

    for name in codes.__all__:
        if name != "OptionCode":
            assert type(getattr(codes, name)) is int, name


def test_the_user_program_runs() -> None:
    subprocess.run([sys.executable, str(PROGRAM)], check=True, capture_output=True, cwd=ROOT)


def test_mypy_strict_sees_the_option_types() -> None:
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                          str(PROGRAM)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def _mypy_on(name: str, program: str) -> subprocess.CompletedProcess[str]:
    """mypy --strict's verdict on ``program``, written beside the user program."""
    path = PROGRAM.with_name(name)
    path.write_text(program)
    try:
        return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                               str(path)], capture_output=True, text=True, cwd=ROOT)
    finally:
        path.unlink()


def test_mypy_rejects_a_wrong_option_type() -> None:
    # the check can fail: a str where the table says tuple[IPv4Address, ...]
    out = _mypy_on("wrong.py", "from dhcpwire import ROUTER, decode\n"
                               "routers: str = decode(b'').options[ROUTER]\n")
    assert out.returncode == 1
    assert "tuple[IPv4Address, ...]" in out.stdout


def test_pyright_sees_the_option_types() -> None:
    # tests/test_typing.py installs pyright into a fresh venv and runs it under
    # CI; here it runs when the developer has it
    pyright = shutil.which("pyright")
    if pyright is None:
        pytest.skip("pyright is not installed here (pip install pyright)")
    out = subprocess.run([pyright, "--pythonpath", sys.executable, str(PROGRAM)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_sees_the_records_as_frozen() -> None:
    # Defect and OptionSpec are hand-written records, not dataclasses; a
    # checker still refuses assignment to their fields (PEP 681's
    # dataclass_transform on their base), as it does for Message.
    out = _mypy_on("frozen.py", "from dhcpwire import DecodeError, Defect, OptionSpec\n"
                                "from dhcpwire.codecs import TextCodec\n"
                                "d = Defect(DecodeError, 'm', 1)\n"
                                "d.offset = 2\n"
                                "s = OptionSpec(224, 'x', TextCodec(), 'site')\n"
                                "s.name = 'y'\n"
                                "n: int = d.offset + s.code\n")
    assert out.returncode == 1, out.stdout
    assert ':4: error: Property "offset" defined in "Defect" is read-only' in out.stdout
    assert ':6: error: Property "name" defined in "OptionSpec" is read-only' in out.stdout
    assert "Found 2 errors" in out.stdout
