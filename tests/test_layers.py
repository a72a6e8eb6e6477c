"""The package's layers, as docs/architecture.rst draws them, held against its imports.

Every import counts, deferred ones inside functions too (a deferred import
hides a circle from the interpreter, not from a reader); only imports under
``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dhcpwire"

#: The layers, bottom first: a module may import from its own layer's part
#: and from the layers below, never from above. The agents share a layer but
#: not their code: client, server and relay never import one another.
LAYERS: dict[str, int] = {
    "dhcpwire.wire": 0,
    "dhcpwire.protocol": 1,
    "dhcpwire.client": 2,
    "dhcpwire.server": 2,
    "dhcpwire.relay": 2,
    "dhcpwire.tools": 3,
    "dhcpwire.serve": 3,
    "dhcpwire.cli": 4,
}
#: The package itself and the public paths at its top (``dhcpwire.codes`` ...):
#: they re-export, and nothing inside the layers imports them.
FACE = 5
MAX_LINES = 900


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _part(module: str) -> str:
    """The layer part a module belongs to (``dhcpwire.client``), or the package face."""
    for part in LAYERS:
        if module == part or module.startswith(part + "."):
            return part
    return "dhcpwire"


def _rank(module: str) -> int:
    return LAYERS.get(_part(module), FACE)


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and name.startswith("dhcpwire"):
                found.add(name)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def test_the_layers_cover_the_package() -> None:
    assert {_part(m) for m in MODULES} <= set(LAYERS) | {"dhcpwire"}
    assert {"dhcpwire.wire", "dhcpwire.protocol", "dhcpwire.client", "dhcpwire.server",
            "dhcpwire.relay", "dhcpwire.tools", "dhcpwire.cli"} <= {_part(m) for m in MODULES}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_from_its_layer_and_below(module: str) -> None:
    rank, part = _rank(module), _part(module)
    for target in sorted(GRAPH[module]):
        if target == "dhcpwire":
            continue  # the package root: imported by the interpreter first anyway
        assert _rank(target) <= rank, f"{module} imports {target}, a layer above it"
        if _rank(target) == rank and rank != FACE:
            assert _part(target) == part, f"{module} imports {target}, another agent"


def test_no_module_imports_another_in_a_circle() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v] - {"dhcpwire"}:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert circles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_longer_than_a_reader_holds_in_mind(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


#: The private attributes of :mod:`ipaddress`'s classes. Issue 10 item 7: no
#: module reads or writes CPython's private attributes (``IPv4Address._ip``
#: was one such back door); the public ``int()``, ``__int__`` and
#: ``.packed`` say the same.
IPADDRESS_PRIVATE = frozenset({"_ip", "_prefixlen", "_netmask", "_hostmask", "_scope_id",
                               "_max_prefixlen", "_ALL_ONES"})


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_touches_a_private_attribute_of_ipaddress(module: str) -> None:
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    found = [f"line {node.lineno}: .{node.attr}" for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr in IPADDRESS_PRIVATE]
    found += [f"line {node.lineno}: {node.value!r}" for node in ast.walk(tree)
              if isinstance(node, ast.Constant) and node.value in IPADDRESS_PRIVATE]
    assert found == [], f"{module}: {found}"
