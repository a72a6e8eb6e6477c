"""Sphinx configuration of dhcpwire's documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's dhcpwire
sys.path.insert(0, str(HERE / "_ext"))

project = "dhcpwire"
author = "the dhcpwire authors"
copyright = "the dhcpwire authors"

import dhcpwire  # noqa: E402

release = version = getattr(dhcpwire, "__version__", "0.1.0")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "sphinx.ext.graphviz",
    "dhcpwire_docs",
]

# The state diagrams are drawn by Graphviz's dot (Debian package graphviz) at build
# time, as SVG; under CI a missing dot fails the build (docs/_ext/dhcpwire_docs.py).
graphviz_output_format = "svg"

root_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []
nitpicky = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
