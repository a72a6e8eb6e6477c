"""The daemon's configuration file: TOML (or JSON) to checked values, errors with key paths.

Rules of this module:

* :func:`load` reads a file and :func:`parse` checks its data. Every problem
  found is reported, not only the first, as a :class:`ConfigError` whose
  lines start with the key path (``subnets[1].pools[0]: ...``), so an
  administrator sees what to fix before the server starts.
* Unknown keys are errors: a misspelt key is never silently ignored.
* The result, :class:`ServeConfig`, holds the library's own
  :class:`~dhcpwire.server.ServerConfig` values: the daemon makes no
  protocol decision that the state machine could make.
* Client classes are compiled here (see :mod:`.classes`): a class with
  pools gets a :class:`~dhcpwire.server.ServerConfig` of its own whose
  subnets hand out only those pools, and the other configurations exclude
  them. The pure server needs no notion of classes.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any, Final, TypeVar

from ..server import Reservation, ServerConfig, Subnet
from ..wire.options import Options
from ..wire.table import DEFAULT_REGISTRY
from ..wire.values import ClasslessRoute
from .classes import ClassTable, ClientClass, Condition

__all__ = ["DEFAULT_STATE_DIRECTORY", "ConfigError", "ServeConfig", "database_path", "load",
           "parse"]

DEFAULT_STATE_DIRECTORY: Final = "/var/lib/dhcpwire"
T = TypeVar("T")

#: Top-level keys passed to :class:`ServerConfig` under the same name.
_SERVER_KEYS: Final = {
    "min_lease_time": int, "max_lease_time": int, "renewal_fraction": float,
    "rebinding_fraction": float, "offer_time": float, "decline_time": float,
    "authoritative": bool, "rapid_commit": bool, "bootp": bool,
    "subnet_selection": bool, "link_selection": bool, "server_id_override": bool,
}
#: Keys of the daemon itself.
_DAEMON_KEYS: Final = frozenset({
    "interface", "interfaces", "server_identifier", "lease_time", "lease_database",
    "state_directory", "log_format", "log_level", "metrics_listen", "options", "subnets",
    "reservations", "classes", "workers"})
#: Subnet keys passed to :class:`Subnet` as they are.
_SUBNET_PLAIN: Final = ("router", "dns_servers", "domain_name", "domain_search", "mtu",
                        "ntp_servers", "interface", "link", "server_identifier",
                        "next_server", "boot_file", "server_name")
_SUBNET_KEYS: Final = frozenset({*_SUBNET_PLAIN, "network", "pools", "pool", "excluded",
                                 "classless_routes", "options"})
_RESERVATION_KEYS: Final = frozenset({"address", "hardware_address", "client_id", "options"})
_CLASS_KEYS: Final = frozenset({"name", "option", "equals", "prefix", "contains",
                                "hardware_prefix", "pools", "options"})


class ConfigError(ValueError):
    """One or more problems in a configuration, each ``(key path, message)``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems: list[tuple[str, str]] = list(problems)
        super().__init__("\n".join(f"{p}: {m}" if p else m for p, m in self.problems))


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeConfig:
    """A checked configuration: the server's and the daemon's settings.

    ``server`` is the configuration of every client outside a class with
    pools (it excludes their pools); ``classes`` matches clients to classes
    and holds the configuration of each class with pools.
    """

    interfaces: tuple[str, ...]
    server: ServerConfig
    classes: ClassTable
    lease_database: Path
    log_format: str = "text"
    log_level: str = "info"
    metrics_listen: tuple[str, int] | None = None
    #: processes serving (see :mod:`.workers`); 1: this process alone
    workers: int = 1
    source: Path | None = None

    @property
    def configs(self) -> tuple[ServerConfig, ...]:
        """Every server configuration: the default one first, then one per pool class."""
        return (self.server, *self.classes.configs)


def load(path: Path) -> ServeConfig:
    """Read and check ``path`` (``.toml``, or ``.json``); :class:`ConfigError` when bad."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([("", f"cannot read {path}: {exc.strerror}")]) from None
    if path.suffix == ".json":
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ConfigError([("", f"{path}: not JSON: {exc}")]) from None
    else:
        if sys.version_info < (3, 11):
            raise ConfigError([("", f"{path}: TOML needs Python 3.11 or later (tomllib); "
                                    "on Python 3.10 write the same keys as a .json file")])
        tomllib = importlib.import_module("tomllib")  # 3.11+; mypy checks 3.10
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ConfigError([("", f"{path}: not TOML: {exc}")]) from None
    return parse(data, base=path.parent.resolve(), source=path)


def database_path(url: str, base: Path) -> Path:
    """The file of a ``sqlite:`` URL: ``sqlite:///abs/path`` or ``sqlite:relative``."""
    if not url.startswith("sqlite:"):
        raise ValueError(f"{url!r}: only sqlite: lease databases are supported "
                         "(sqlite:///var/lib/dhcpwire/leases.sqlite)")
    rest = url[len("sqlite:"):]
    if rest.startswith("///"):
        return Path(rest[2:])
    if rest.startswith("//"):
        raise ValueError(f"{url!r}: write sqlite:///ABSOLUTE/PATH or sqlite:RELATIVE/PATH")
    if not rest:
        raise ValueError(f"{url!r} names no file")
    return base / rest


class _Checker:
    """Collects problems with their key paths while the data is read."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def table(self, path: str, value: object) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, f"must be a table, not {_kind(value)}")
            return None
        return dict(value)

    def keys(self, path: str, table: Mapping[str, Any], allowed: frozenset[str]) -> None:
        for key in table:
            if key not in allowed:
                self.add(_join(path, key), "unknown key")

    def attempt(self, path: str, build: Callable[..., T], *args: Any) -> T | None:
        """``build(*args)``, or ``None`` with its ValueError/TypeError recorded at ``path``."""
        try:
            return build(*args)
        except (ValueError, TypeError) as exc:
            self.add(path, str(exc))
            return None


def _kind(value: object) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean",
            int: "an integer", float: "a float"}.get(type(value), type(value).__name__)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _list(check: _Checker, path: str, value: object) -> list[Any]:
    if isinstance(value, (str, int)):
        return [value]
    if not isinstance(value, list):
        check.add(path, f"must be an array, not {_kind(value)}")
        return []
    return value


def _range(value: object) -> tuple[IPv4Address, IPv4Address]:
    """A pool range: ``"first-last"``, ``["first", "last"]`` or one address."""
    if isinstance(value, list) and len(value) == 2:
        first, last = value
    elif isinstance(value, str) and "-" in value:
        first, _, last = value.partition("-")
    elif isinstance(value, str):
        first = last = value
    else:
        raise ValueError(f"a range is \"FIRST-LAST\" or [FIRST, LAST], not {value!r}")
    lo, hi = IPv4Address(str(first).strip()), IPv4Address(str(last).strip())
    if hi < lo:
        raise ValueError(f"range {lo}-{hi} ends before it starts")
    return lo, hi


def _ranges(check: _Checker, path: str, value: object,
            network: IPv4Network | None) -> list[tuple[IPv4Address, IPv4Address]]:
    out = []
    for j, item in enumerate(_list(check, path, value)):
        where = f"{path}[{j}]"
        pair = check.attempt(where, _range, item)
        if pair is None:
            continue
        if network is not None and (pair[0] not in network or pair[1] not in network):
            check.add(where, f"{pair[0]}-{pair[1]} is not inside {network}")
            continue
        out.append(pair)
    return out


def option_code(name: object) -> int:
    """An option code from a TOML key: a number (``"150"``) or a registry name."""
    text = str(name)
    if text.isdigit():
        code = int(text)
        if not 1 <= code <= 254:
            raise ValueError(f"option code {code} is outside 1-254")
        return code
    try:
        return DEFAULT_REGISTRY.by_name(text).code
    except KeyError:
        raise ValueError(f"no option is named {text!r}") from None


def option_value(value: object) -> object:
    """A TOML value as the option's typed value; ``{hex = "..."}`` gives raw bytes."""
    if isinstance(value, Mapping):
        if set(value) != {"hex"} or not isinstance(value["hex"], str):
            raise ValueError("a raw option value is written {hex = \"0a0b...\"}")
        return bytes.fromhex(value["hex"].replace(":", "").replace(" ", ""))
    if isinstance(value, list):
        return tuple(value)
    return value


def _option_raw(code: int, value: object) -> bytes:
    return Options({code: option_value(value)}).raw(code)


def _route(item: object) -> ClasslessRoute:
    if not isinstance(item, list) or len(item) != 2:
        raise ValueError("a route is [\"DESTINATION/PREFIX\", \"ROUTER\"]")
    return ClasslessRoute(IPv4Network(str(item[0])), IPv4Address(str(item[1])))


def _options(check: _Checker, path: str, value: object) -> Options:
    table = check.table(path, value)
    if table is None:
        return Options()
    raw: dict[int, bytes] = {}
    for key, item in table.items():
        where = _join(path, key)
        code = check.attempt(where, option_code, key)
        if code is None:
            continue
        data = check.attempt(where, _option_raw, code, item)
        if data is not None:
            raw[code] = data
    return Options.from_raw(raw, registry=DEFAULT_REGISTRY)


def _subnet(check: _Checker, path: str, value: object) -> Subnet | None:
    table = check.table(path, value)
    if table is None:
        return None
    check.keys(path, table, _SUBNET_KEYS)
    if "network" not in table:
        check.add(_join(path, "network"), "missing (e.g. \"10.77.0.0/24\")")
        return None
    network = check.attempt(_join(path, "network"), IPv4Network, str(table["network"]))
    if network is None:
        return None
    fields: dict[str, Any] = {}
    for key in _SUBNET_PLAIN:
        if key not in table:
            continue
        item = table[key]
        if key in ("router", "dns_servers", "ntp_servers", "domain_search") and isinstance(
                item, list):
            item = tuple(item)
        # each field checked on its own first, so that a bad value is reported
        # at its own key path (subnets[0].router), not the subnet's
        if check.attempt(_join(path, key), partial(Subnet, network=network, **{key: item})):
            fields[key] = item
    pools = _ranges(check, _join(path, "pools"), table.get("pools", []), network)
    if "pool" in table:
        pools += _ranges(check, _join(path, "pool"), [table["pool"]], network)
    excluded = _ranges(check, _join(path, "excluded"), table.get("excluded", []), None)
    routes = []
    for j, item in enumerate(_list(check, _join(path, "classless_routes"),
                                   table.get("classless_routes", []))):
        where = f"{path}.classless_routes[{j}]"
        route = check.attempt(where, _route, item)
        if route is not None:
            routes.append(route)
    options = _options(check, _join(path, "options"), table.get("options", {}))
    return check.attempt(path, partial(
        Subnet, network=network, pools=tuple(pools), excluded=tuple(excluded),
        classless_routes=tuple(routes), options=options, **fields))


def _reservation(check: _Checker, path: str, value: object) -> Reservation | None:
    table = check.table(path, value)
    if table is None:
        return None
    check.keys(path, table, _RESERVATION_KEYS)
    options = _options(check, _join(path, "options"), table.get("options", {}))
    if "address" not in table:
        check.add(_join(path, "address"), "missing")
        return None
    client_id = check.attempt(_join(path, "client_id"), _hex, table.get("client_id"))
    # the fields that can be told apart checked on their own first, so that a
    # bad value is reported at its own key path
    if check.attempt(_join(path, "address"), IPv4Address, str(table["address"])) is None:
        return None
    hardware = table.get("hardware_address")
    if isinstance(hardware, str):  # parsed here, once: Reservation takes the bytes
        hardware = check.attempt(_join(path, "hardware_address"), _hex, hardware)
        if hardware is None:
            return None
    return check.attempt(path, partial(
        Reservation, address=table["address"], hardware_address=hardware,
        client_id=client_id, options=options))


def _hex(value: object) -> bytes | None:
    if value is None:
        return None
    return bytes.fromhex(str(value).replace(":", "").replace("-", "").replace(" ", ""))


def _class(check: _Checker, path: str, value: object, names: set[str],
           ) -> tuple[ClientClass, list[tuple[IPv4Address, IPv4Address]]] | None:
    table = check.table(path, value)
    if table is None:
        return None
    check.keys(path, table, _CLASS_KEYS)
    name = table.get("name")
    if not isinstance(name, str) or not name:
        check.add(_join(path, "name"), "a class needs a name")
        return None
    if name in names:
        check.add(_join(path, "name"), f"class {name!r} is defined twice")
    names.add(name)
    conditions: list[Condition] = []
    if "option" in table:
        code = check.attempt(_join(path, "option"), option_code, table["option"])
        tests = [k for k in ("equals", "prefix", "contains") if k in table]
        if len(tests) != 1:
            check.add(path, "an option match needs exactly one of equals, prefix, contains")
        elif code is not None:
            how = tests[0]
            text = check.attempt(_join(path, how), _match_bytes, table[how])
            if text is not None:
                conditions.append(Condition(option=code, how=how, value=text))
    elif any(k in table for k in ("equals", "prefix", "contains")):
        check.add(path, "equals/prefix/contains need an option to compare")
    if "hardware_prefix" in table:
        prefix = check.attempt(_join(path, "hardware_prefix"), _hex, table["hardware_prefix"])
        if prefix is not None:
            conditions.append(Condition(option=None, how="prefix", value=prefix))
    if not conditions and not any(p.startswith(path) for p, _ in check.problems):
        check.add(path, "a class needs a match: option with equals/prefix/contains, "
                        "or hardware_prefix")
    pools = _ranges(check, _join(path, "pools"), table.get("pools", []), None)
    options = _options(check, _join(path, "options"), table.get("options", {}))
    return ClientClass(name=name, conditions=tuple(conditions),
                       options=tuple(options.raw_items()), pools=tuple(pools)), pools


def _match_bytes(value: object) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, Mapping) and set(value) == {"hex"}:
        return bytes.fromhex(str(value["hex"]).replace(":", "").replace(" ", ""))
    raise ValueError("compare with a string or {hex = \"...\"}")


def _listen(value: object) -> tuple[str, int]:
    text = str(value)
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: write HOST:PORT, e.g. \"127.0.0.1:9267\"")
    IPv4Address(host)
    return host, int(port)


def parse(data: object, *, base: Path = Path("."), source: Path | None = None) -> ServeConfig:
    """Check a configuration's data (the parsed TOML or JSON); :class:`ConfigError` if bad."""
    check = _Checker()
    top = check.table("", data)
    if top is None:
        raise ConfigError(check.problems)
    check.keys("", top, _DAEMON_KEYS | frozenset(_SERVER_KEYS))
    # -- the daemon -------------------------------------------------------------
    interfaces: list[str] = []
    if "interfaces" in top:
        interfaces = [str(i) for i in _list(check, "interfaces", top["interfaces"])]
    if "interface" in top:
        interfaces.insert(0, str(top["interface"]))
    log_format = str(top.get("log_format", "text"))
    if log_format not in ("text", "json"):
        check.add("log_format", "must be \"text\" or \"json\"")
    log_level = str(top.get("log_level", "info")).lower()
    if log_level not in ("debug", "info", "warning", "error"):
        check.add("log_level", "must be debug, info, warning or error")
    metrics = None
    if "metrics_listen" in top:
        metrics = check.attempt("metrics_listen", _listen, top["metrics_listen"])
    # Default: leases.sqlite in the state directory (relative to the file's folder).
    workers = top.get("workers", 1)
    if type(workers) is not int or not 1 <= workers <= 64:
        check.add("workers", "must be an integer from 1 to 64")
        workers = 1
    state_dir = base / str(top.get("state_directory", DEFAULT_STATE_DIRECTORY))
    database: Path | None = state_dir / "leases.sqlite"
    if "lease_database" in top:
        database = check.attempt("lease_database", database_path,
                                 str(top["lease_database"]), base)
    # -- classes: their pools are cut out of every other configuration ---------------
    classes: list[tuple[ClientClass, list[tuple[IPv4Address, IPv4Address]]]] = []
    names: set[str] = set()
    for i, item in enumerate(_list(check, "classes", top.get("classes", []))):
        compiled = _class(check, f"classes[{i}]", item, names)
        if compiled is not None:
            classes.append(compiled)
    taken: list[tuple[IPv4Address, IPv4Address, str]] = []
    for i, (cls, pools) in enumerate(classes):
        for j, (lo, hi) in enumerate(pools):
            for olo, ohi, other in taken:
                if lo <= ohi and olo <= hi:
                    check.add(f"classes[{i}].pools[{j}]",
                              f"{lo}-{hi} overlaps a pool of class {other!r}")
            taken.append((lo, hi, cls.name))

    def class_ranges(network: IPv4Network) -> list[tuple[IPv4Address, IPv4Address]]:
        return [(lo, hi) for lo, hi, _ in taken if lo in network]

    # -- the server ---------------------------------------------------------------------
    subnet_tables = _list(check, "subnets", top.get("subnets", []))
    if not subnet_tables:
        check.add("subnets", "at least one [[subnets]] table is needed")
    subnets = [_subnet(check, f"subnets[{i}]", item)
               for i, item in enumerate(subnet_tables)]
    reservations = [_reservation(check, f"reservations[{i}]", item)
                    for i, item in enumerate(_list(check, "reservations",
                                                   top.get("reservations", [])))]
    for i, (_cls, pools) in enumerate(classes):
        for j, (lo, _hi) in enumerate(pools):
            if not any(s is not None and lo in s.network for s in subnets):
                check.add(f"classes[{i}].pools[{j}]", f"{lo} is in no configured subnet")
    extra: dict[str, Any] = {}
    for key, kind in _SERVER_KEYS.items():
        if key in top:
            value = top[key]
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
                  if kind is float else type(value) is kind)
            if not ok:
                check.add(key, f"must be {'a number' if kind is float else _kind(kind())}")
            else:
                extra[key] = value
    if "server_identifier" not in top:
        check.add("server_identifier", "missing (the server's address, e.g. \"10.77.0.1\")")
    lease_time = top.get("lease_time", 3600)
    if type(lease_time) is not int:
        check.add("lease_time", "must be an integer number of seconds")
        lease_time = 3600
    extra.setdefault("min_lease_time", min(60, lease_time))
    options = _options(check, "options", top.get("options", {}))
    if check.problems:
        raise ConfigError(check.problems)
    good_subnets = tuple(s for s in subnets if s is not None)
    # ISC dhcpd's "allow members of" / "deny members of" pools: a class's pools
    # go to its members only, so every other configuration excludes them.
    default_subnets = tuple(
        dataclasses.replace(s, excluded=s.excluded + tuple(class_ranges(s.network)))
        if class_ranges(s.network) else s for s in good_subnets)
    good_reservations = tuple(r for r in reservations if r is not None)

    def server_config(subnets: tuple[Subnet, ...],
                      reservations: tuple[Reservation, ...]) -> ServerConfig:
        return ServerConfig(server_identifier=top["server_identifier"], subnets=subnets,
                            reservations=reservations, options=options,
                            default_lease_time=lease_time, **extra)

    server = _server_attempt(check, "", server_config, default_subnets, good_reservations)
    reserved = [(r.address, r.address) for r in good_reservations]
    configs: list[ServerConfig | None] = []
    for i, (_cls, pools) in enumerate(classes):
        if not pools:
            configs.append(None)
            continue
        # The class's own configuration: every subnet as configured, but handing
        # out only the class's pools (and never a reserved address).
        own = tuple(_only(s, pools, reserved) for s in good_subnets)
        configs.append(_server_attempt(check, f"classes[{i}]", server_config, own, ()))
    if check.problems or server is None or database is None:
        raise ConfigError(check.problems)
    table = ClassTable(tuple(cls for cls, _ in classes), tuple(configs),
                       tuple(r.keys() for r in good_reservations))
    return ServeConfig(interfaces=tuple(dict.fromkeys(interfaces)), server=server,
                       classes=table, lease_database=database, log_format=log_format,
                       log_level=log_level, metrics_listen=metrics, workers=workers,
                       source=source)


#: ServerConfig's own names for the top-level keys they come from (the
#: file's ``lease_time`` is ServerConfig's ``default_lease_time``).
_SERVER_NAMES: Final = {"default_lease_time": "lease_time",
                        **{key: key for key in _SERVER_KEYS}}


def _server_attempt(check: _Checker, path: str, build: Callable[..., T],
                    *args: Any) -> T | None:
    """``build(*args)`` (a ServerConfig), or ``None`` with its error recorded at
    the key its message names: ServerConfig checks the top-level values
    together (the lease times against each other, T1 against T2), so a
    problem there belongs to the first key it names, in the file's words."""
    try:
        return build(*args)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        named = [(message.find(field), field) for field in _SERVER_NAMES if field in message]
        if not named:
            check.add(path, message)
            return None
        field = min(named)[1]
        key = _SERVER_NAMES[field]
        check.add(_join(path, key), message.replace(field, key))
        return None


def _only(subnet: Subnet, pools: list[tuple[IPv4Address, IPv4Address]],
          reserved: list[tuple[IPv4Address, IPv4Address]]) -> Subnet:
    """``subnet`` handing out only those of ``pools`` inside it."""
    inside = tuple((lo, hi) for lo, hi in pools if lo in subnet.network)
    return dataclasses.replace(subnet, pools=inside,
                               excluded=subnet.excluded + tuple(reserved))
