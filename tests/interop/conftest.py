"""Fixtures for the interop tests: a fresh set of namespaces per test, always cleaned up.

Every test here is marked ``interop`` (select them with ``-m interop``, or leave
them out with ``-m "not interop"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Link

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "interop: runs real DHCP peers in network namespaces (needs root)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.interop)


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Link]:
    link = Link(tmp_path)
    try:
        yield link
    finally:
        link.close()
