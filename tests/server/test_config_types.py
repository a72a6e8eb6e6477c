"""The configuration classes' checker-visible constructors match their fields.

``Subnet``, ``Reservation`` and ``ServerConfig`` accept the forms a person
writes (address strings, ``"first-last"`` ranges, lists, mappings of options)
and normalise them in ``__post_init__``. For type checkers each declares, under
``if TYPE_CHECKING:``, an ``__init__`` with those wider parameter types; at run
time the dataclass makes the real one. This test keeps the two in step: same
names, same order, same defaults (for a default factory, a module-level value
equal to what the factory makes: type checkers and the package's type
completeness report take no ``...`` default outside a stub).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from typing import Any

import pytest

from dhcpwire.server import config
from dhcpwire.server.config import Reservation, ServerConfig, Subnet

SOURCE = ast.parse(inspect.getsource(config))


def _declared_init(cls: type[Any]) -> ast.FunctionDef:
    for node in SOURCE.body:
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            for stmt in node.body:
                if isinstance(stmt, ast.If) and ast.unparse(stmt.test) == "TYPE_CHECKING":
                    for inner in stmt.body:
                        if isinstance(inner, ast.FunctionDef) and inner.name == "__init__":
                            return inner
    raise AssertionError(f"{cls.__name__} declares no __init__ for type checkers")


@pytest.mark.parametrize("cls", [Subnet, Reservation, ServerConfig])
def test_the_checker_signature_names_every_field_with_its_default(cls: type[Any]) -> None:
    init = _declared_init(cls)
    args = init.args.kwonlyargs
    defaults = init.args.kw_defaults
    fields = [f for f in dataclasses.fields(cls) if f.init]
    assert [a.arg for a in args] == [f.name for f in fields]
    for arg, default, field in zip(args, defaults, fields, strict=True):
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            assert default is None, f"{arg.arg} is required"
        elif field.default_factory is not dataclasses.MISSING:
            assert default is not None, arg.arg
            assert eval(ast.unparse(default), vars(config)) == field.default_factory(), arg.arg
        else:
            assert default is not None, arg.arg
            assert eval(ast.unparse(default), vars(config)) == field.default, arg.arg


def test_strings_and_lists_are_normalised_to_the_field_types() -> None:
    subnet = Subnet(network="192.0.2.0/24", pools=["192.0.2.10-192.0.2.20"],
                    router="192.0.2.1", dns_servers=["192.0.2.53"], domain_search="example.org")
    cfg = ServerConfig(server_identifier="192.0.2.1", subnets=[subnet], always_send=[1, 3])
    assert str(cfg.server_identifier) == "192.0.2.1" and cfg.subnets == (subnet,)
    assert [(str(lo), str(hi)) for lo, hi in subnet.pools] == [("192.0.2.10", "192.0.2.20")]
    assert subnet.router == (cfg.server_identifier,)
    assert subnet.domain_search == ("example.org",) and cfg.always_send == (1, 3)
