"""Sphinx directives that generate dhcpwire's tables and diagrams at build time.

``.. dhcpwire-options::`` renders a registry as a table (code, name, Python
type, reference): ``:space: dhcp`` (the default registry) or ``:space:
relay-agent`` (the sub-options of option 82). The Python type is worked out
from the option's codec by :func:`python_type` (composite codecs from their
parts), and the test suite checks it against decoded values.

``.. dhcpwire-dot:: module:function`` calls a function that returns Graphviz
DOT text and renders it with ``sphinx.ext.graphviz`` (SVG): ``:keywords:
format=dot`` passes keyword arguments, ``:caption:`` and ``:alt:`` as for
``graphviz``: the client's transition table
(``dhcpwire.client:diagram`` with ``format=dot``) and the server's lease
life cycle (``dhcpwire.server:lifecycle_diagram``).
``.. dhcpwire-client-diagram:: :transitions:`` is the full table of
:func:`dhcpwire.client.transitions`; ``.. dhcpwire-lint-rules::`` the rules of
``dhcpwire lint``.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.ext.graphviz import figure_wrapper, graphviz
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)


def _rfc_link(reference: str) -> nodes.Node:
    """'RFC 2132 s3.3' (or 'RFC 2132 section 3.3') as a link to the RFC's section on
    rfc-editor.org."""
    match = re.fullmatch(r"RFC (\d+)(?: s([\d.]+)| section ([\d.]+))?(.*)", reference)
    if match is None:
        return nodes.Text(reference)
    number, short, long, rest = match.groups()
    section = short or long
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


def python_type(codec: Any) -> str:
    """The Python type of the values ``codec`` decodes, from the codec itself.

    Composite codecs are described from their parts: a tagged value is
    ``tuple[int, <inner>]``, a list of length-prefixed items ``tuple[<inner>,
    ...]``, a fixed record the tuple of its fields; the others name their type
    in ``type_name``.
    """
    from dhcpwire.wire.codecs.basic import ListOfCodec, MessageTypeCodec, StructCodec, TaggedCodec

    if isinstance(codec, MessageTypeCodec):  # a number with no name stays an int
        return "MessageType | int"
    if isinstance(codec, TaggedCodec):
        return f"tuple[int, {python_type(codec.inner)}]"
    if isinstance(codec, ListOfCodec):
        return f"tuple[{python_type(codec.inner)}, ...]"
    if isinstance(codec, StructCodec):
        fields = re.findall(r"(\d*)([a-zA-Z])", codec.fmt)
        names = []
        for count, code in fields:
            if code == "s":
                names.append("IPv4Address")
            else:
                names.extend(["int"] * int(count or 1))
        return f"tuple[{', '.join(names)}]"
    name = getattr(codec, "type_name", None)
    if not name or name == "tuple":
        raise ExtensionError(f"dhcpwire_docs: no Python type for {codec!r}")
    return str(name)


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
            rows.append([nodes.Text(str(spec.code)), nodes.literal(text=spec.name),
                         nodes.literal(text=python_type(spec.codec)),
                         _rfc_link(spec.reference)])
        return [_table(["Code", "Name", "Python type", "Reference"], rows, [6, 30, 30, 30])]


def _keywords(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in text.replace(",", " ").split():
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"{pair!r} is not key=value")
        out[key] = {"true": True, "false": False}.get(value.lower(), value)
    return out


class DotDiagram(SphinxDirective):
    """``.. dhcpwire-dot:: module:function``: the DOT text a function returns, drawn."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {
        "keywords": _keywords, "caption": directives.unchanged, "alt": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        module_name, _, function_name = self.arguments[0].partition(":")
        try:
            function = getattr(importlib.import_module(module_name), function_name)
            dot = function(**self.options.get("keywords", {}))
        except Exception as exc:
            raise self.error(f"dhcpwire-dot: {self.arguments[0]}: {exc}") from exc
        if not isinstance(dot, str) or ("digraph" not in dot and "graph" not in dot):
            raise self.error(f"dhcpwire-dot: {self.arguments[0]} did not return DOT text")
        node = graphviz()
        node["code"] = dot
        node["options"] = {"docname": self.env.docname}
        node["alt"] = self.options.get("alt", self.arguments[0])
        if "caption" in self.options:
            return [figure_wrapper(self, node, self.options["caption"])]
        return [node]


def _quote(*lines: str) -> str:
    escaped = (t.replace("\\", "\\\\").replace('"', '\\"') for t in lines)
    return '"' + "\\n".join(escaped) + '"'


class ClientDiagram(SphinxDirective):
    """Every row of the client's transition table (:func:`dhcpwire.client.transitions`)."""

    option_spec: ClassVar[dict[str, Any]] = {"transitions": directives.flag}

    def run(self) -> list[nodes.Node]:
        from dhcpwire import client

        rows: list[list[nodes.Node]] = []
        for row in client.transitions():
            labels = "; ".join(f"{label} → {target.value}" for label, target in row.edges)
            rows.append([nodes.literal(text=row.state.value),
                         nodes.literal(text=row.event.__name__), nodes.Text(labels)])
        return [_table(["State", "Event", "Edges (label → next state)"], rows, [14, 18, 68])]


class LintRules(SphinxDirective):
    """The rules of ``dhcpwire lint`` (:data:`dhcpwire.tools.lint.RULES`) as a table."""

    def run(self) -> list[nodes.Node]:
        from dhcpwire.tools.lint import RULES

        rows: list[list[nodes.Node]] = [
            [nodes.literal(text=rule.name), nodes.Text(rule.level), _rfc_link(rule.reference),
             nodes.Text(rule.summary)] for rule in RULES.values()]
        return [_table(["Rule", "Level", "Reference", "What it checks"], rows,
                       [16, 8, 26, 50])]


def _need_dot(app: Sphinx) -> None:
    """The diagrams are drawn by Graphviz's ``dot`` at build time; under CI its absence
    fails the build (apt-get install graphviz), elsewhere sphinx.ext.graphviz warns."""
    dot = app.config.graphviz_dot
    if shutil.which(dot) is None and os.environ.get("CI"):
        raise ExtensionError(f"dhcpwire_docs: Graphviz's {dot!r} is required in CI "
                             "(Debian package graphviz)")


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.graphviz")
    app.add_directive("dhcpwire-options", OptionsTable)
    app.add_directive("dhcpwire-dot", DotDiagram)
    app.add_directive("dhcpwire-client-diagram", ClientDiagram)
    app.add_directive("dhcpwire-lint-rules", LintRules)
    app.connect("builder-inited", _need_dot)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
