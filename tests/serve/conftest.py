"""Fixtures of the daemon's tests: the interop tests' namespaces, for the ones that run it."""

from __future__ import annotations

import pytest

from tests.interop.conftest import net

__all__ = ["net"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "interop: runs real DHCP peers in network namespaces (needs root)")
