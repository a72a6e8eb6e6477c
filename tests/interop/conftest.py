"""Fixtures for the interop tests: a fresh set of namespaces per test, always cleaned up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Link


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Link]:
    link = Link(tmp_path)
    try:
        yield link
    finally:
        link.close()
