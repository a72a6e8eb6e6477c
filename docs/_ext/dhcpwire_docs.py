"""Sphinx directives that generate dhcpwire's tables and diagrams at build time.

``.. dhcpwire-options::`` renders a registry as a table (code, name, Python
type, reference): ``:space: dhcp`` (the default registry) or ``:space:
relay-agent`` (the sub-options of option 82). ``.. dhcpwire-client-diagram::``
renders :func:`dhcpwire.client.diagram` as a Mermaid code block, and with
``:transitions:`` the full table of :func:`dhcpwire.client.transitions`.

Pages named in ``index.rst``'s toctree that do not exist yet (pages written
in parallel) are left out of it with a note in the build log instead of a
warning, so ``-W`` builds pass while they are being written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)


def _rfc_link(reference: str) -> nodes.Node:
    """'RFC 2132 s3.3' as a link to the RFC's section on rfc-editor.org."""
    match = re.fullmatch(r"RFC (\d+)(?: s([\d.]+))?(.*)", reference)
    if match is None:
        return nodes.Text(reference)
    number, section, rest = match.groups()
    url = f"https://www.rfc-editor.org/rfc/rfc{number}"
    text = f"RFC {number}"
    if section:
        url += f"#section-{section.rstrip('.')}"
        text += f" section {section}"
    para = nodes.inline()
    para += nodes.reference(text, text, refuri=url)
    if rest:
        para += nodes.Text(rest)
    return para


def _table(headers: list[str], rows: list[list[nodes.Node]], widths: list[int]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for text in headers:
        row += nodes.entry("", nodes.paragraph(text=text))
    head += row
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph("", "", cell)
            row += entry
        body += row
    return table


class OptionsTable(SphinxDirective):
    """The options of a registry, read from dhcpwire at build time."""

    option_spec: ClassVar[dict[str, Any]] = {
        "space": lambda arg: directives.choice(arg, ("dhcp", "relay-agent"))}

    def run(self) -> list[nodes.Node]:
        from dhcpwire import DEFAULT_REGISTRY, RELAY_AGENT_SPACE

        registry = RELAY_AGENT_SPACE if self.options.get("space") == "relay-agent" \
            else DEFAULT_REGISTRY
        rows: list[list[nodes.Node]] = []
        for spec in sorted(registry, key=lambda s: s.code):
            type_name = getattr(spec.codec, "type_name", type(spec.codec).__name__)
            rows.append([nodes.Text(str(spec.code)), nodes.literal(text=spec.name),
                         nodes.literal(text=str(type_name)), _rfc_link(spec.reference)])
        return [_table(["Code", "Name", "Python type", "Reference"], rows, [6, 30, 30, 30])]


class ClientDiagram(SphinxDirective):
    """Figure 5 from the client's transition table."""

    option_spec: ClassVar[dict[str, Any]] = {"transitions": directives.flag}

    def run(self) -> list[nodes.Node]:
        from dhcpwire import client

        text = client.diagram()
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        out: list[nodes.Node] = [block]
        if "transitions" in self.options:
            rows: list[list[nodes.Node]] = []
            for row in client.transitions():
                labels = "; ".join(f"{label} → {target.value}" for label, target in row.edges)
                rows.append([nodes.literal(text=row.state.value),
                             nodes.literal(text=row.trigger.__name__), nodes.Text(labels)])
            out.append(_table(["State", "Event", "Edges (label → next state)"], rows,
                              [14, 18, 68]))
        return out


def _prune_toctree(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname != app.config.root_doc:
        return
    srcdir = Path(app.srcdir)
    kept = []
    for line in source[0].splitlines(keepends=True):
        name = line.strip()
        if line.startswith("   ") and re.fullmatch(r"[a-z_]+", name) \
                and not (srcdir / f"{name}.rst").exists():
            logger.info("dhcpwire_docs: %s.rst does not exist yet; left out of the toctree",
                        name)
            continue
        kept.append(line)
    source[0] = "".join(kept)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("dhcpwire-options", OptionsTable)
    app.add_directive("dhcpwire-client-diagram", ClientDiagram)
    app.connect("source-read", _prune_toctree)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
