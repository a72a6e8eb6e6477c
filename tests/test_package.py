"""The package surface: every public name resolves, and the lazy parts stay lazy."""

from __future__ import annotations

import subprocess
import sys

import pytest

import dhcpwire


def test_every_name_in_all_resolves() -> None:
    for name in dhcpwire.__all__:
        assert getattr(dhcpwire, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        dhcpwire.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_does_not_build_the_value_classes_until_asked() -> None:
    assert "dhcpwire.wire.values" not in _modules_after("import dhcpwire")
    # a decode that types no structured value does not need them either
    assert "dhcpwire.wire.values" not in _modules_after(
        "import dhcpwire\n"
        "m = dhcpwire.decode(b'\\x01' + bytes(235) + dhcpwire.MAGIC_COOKIE"
        " + b'\\x35\\x01\\x01\\x3d\\x07\\x01\\x02\\x00\\x5e\\x10\\x53\\x01\\xff')\n"
        "m.options.raw(61)")
    assert "dhcpwire.wire.values" in _modules_after("import dhcpwire\ndhcpwire.ClasslessRoute")


def test_a_codec_loads_the_value_classes_on_first_use() -> None:
    code = ("import dhcpwire\n"
            "m = dhcpwire.decode(b'\\x01' + bytes(235) + dhcpwire.MAGIC_COOKIE + b'\\x3d\\x07\\x01"
            "\\x02\\x00\\x5e\\x10\\x53\\x01\\xff')\n"
            "assert type(m.options[61]).__name__ == 'ClientIdentifier', m.options[61]\n"
            "assert m.options[61] == dhcpwire.ClientIdentifier(1, bytes.fromhex('02005e105301'))\n")
    assert "dhcpwire.wire.values" in _modules_after(code)


def test_star_import_gives_the_lazy_names() -> None:
    namespace: dict[str, object] = {}
    exec("from dhcpwire import *", namespace)
    assert namespace["ClasslessRoute"] is dhcpwire.ClasslessRoute
    assert set(dhcpwire.__all__) <= set(namespace)
