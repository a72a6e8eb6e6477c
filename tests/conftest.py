"""Shared test settings.

Hypothesis: under CI (the ``CI`` environment variable set) every property
test is derandomized, so a CI run is reproducible; elsewhere examples vary
from run to run and find more.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
