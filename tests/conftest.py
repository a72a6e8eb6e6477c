"""Shared test settings: the one place Hypothesis is configured.

Two profiles, both with the example database on (``.hypothesis/`` in the
working directory, so a failure found once is tried first next time):

* ``dev`` (the default): examples vary from run to run and find more;
* ``ci`` (when the ``CI`` environment variable is set): derandomized, so a
  CI run is reproducible.

``HYPOTHESIS_PROFILE`` picks one by name. A test sets only how many
examples it is worth (``@settings(max_examples=...)``), never the rest.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.large_base_example, HealthCheck.data_too_large])
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
