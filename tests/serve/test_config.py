"""The daemon's configuration file: what it accepts, and errors that name the key path."""

from __future__ import annotations

import io
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from dhcpwire.cli import main
from dhcpwire.codes import DOMAIN_NAME_SERVER, TFTP_SERVER_NAME
from dhcpwire.serve import ConfigError, load, parse
from dhcpwire.serve.config import database_path

GOOD = """\
interfaces = ["eth0", "eth1"]
server_identifier = "10.77.0.1"
lease_time = 600
authoritative = true
bootp = true
lease_database = "sqlite:leases.sqlite"
log_format = "json"
metrics_listen = "127.0.0.1:9267"

[[subnets]]
network = "10.77.0.0/24"
pools = ["10.77.0.100-10.77.0.150"]
router = ["10.77.0.1"]
dns_servers = ["10.77.0.53"]
domain_name = "example.test"
classless_routes = [["10.99.0.0/16", "10.77.0.1"]]
options = { "tftp-server-name" = "boot.example.test", 150 = ["10.77.0.9"] }

[[subnets]]
network = "10.88.0.0/24"
pool = "10.88.0.10-10.88.0.20"
interface = "eth1"

[[reservations]]
hardware_address = "02:00:00:00:00:01"
address = "10.77.0.10"

[[classes]]
name = "phones"
option = "vendor-class-identifier"
prefix = "Polycom"
pools = ["10.77.0.200-10.77.0.210"]
options = { "domain-name" = "phones.example.test" }
"""


def write(tmp_path: Path, text: str, name: str = "server.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(text: str, tmp_path: Path) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        load(write(tmp_path, text))
    return info.value.problems


def test_a_full_configuration_is_read_into_the_servers_own_values(tmp_path: Path) -> None:
    config = load(write(tmp_path, GOOD))
    assert config.interfaces == ("eth0", "eth1")
    assert config.lease_database == tmp_path.resolve() / "leases.sqlite"
    assert config.log_format == "json" and config.metrics_listen == ("127.0.0.1", 9267)
    server = config.server
    assert server.server_identifier == IPv4Address("10.77.0.1")
    assert server.default_lease_time == 600 and server.authoritative and server.bootp
    first, second = server.subnets
    assert first.network == IPv4Network("10.77.0.0/24")
    assert first.dns_servers == (IPv4Address("10.77.0.53"),)
    assert first.options.raw(TFTP_SERVER_NAME) == b"boot.example.test"
    assert first.options.raw(150) == IPv4Address("10.77.0.9").packed
    assert second.pools == ((IPv4Address("10.88.0.10"), IPv4Address("10.88.0.20")),)
    assert second.interface == "eth1"
    assert server.reservations[0].address == IPv4Address("10.77.0.10")


def test_a_class_pool_is_cut_out_of_the_default_configuration_and_is_the_classs_only_pool(
        tmp_path: Path) -> None:
    config = load(write(tmp_path, GOOD))
    phones = (IPv4Address("10.77.0.200"), IPv4Address("10.77.0.210"))
    assert phones in config.server.subnets[0].excluded
    [own] = config.classes.configs
    assert own.subnets[0].pools == (phones,)
    assert own.subnets[1].pools == ()
    assert own.reservations == ()
    assert len(config.configs) == 2


def test_every_problem_is_reported_with_its_key_path(tmp_path: Path) -> None:
    found = problems("""\
server_identifier = "10.77.0.1"
lease_tme = 60
[[subnets]]
network = "10.77.0.0/24"
pools = ["10.77.0.100-10.77.0.150"]
[[subnets]]
network = "10.78.0.0/24"
pools = ["10.78.0.100-10.78.0.150", "10.99.0.1-10.99.0.5", "x"]
options = { "no-such-option" = 1, "router" = "not-a-list", 6 = ["10.78.0.300"] }
""", tmp_path)
    paths = [p for p, _ in found]
    assert paths == ["lease_tme", "subnets[1].pools[1]", "subnets[1].pools[2]",
                     "subnets[1].options.no-such-option", "subnets[1].options.router",
                     "subnets[1].options.6"]
    assert dict(found)["subnets[1].pools[1]"] == "10.99.0.1-10.99.0.5 is not inside 10.78.0.0/24"
    assert dict(found)["lease_tme"] == "unknown key"


@pytest.mark.parametrize(("text", "path", "words"), [
    ('lease_time = 60\n[[subnets]]\nnetwork = "10.0.0.0/24"\n', "server_identifier", "missing"),
    ('server_identifier = "10.0.0.1"\n', "subnets", "at least one"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\npools = ["10.0.0.5-10.0.0.9"]\n',
     "subnets[0].network", "missing"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\nnetwork = "10.0.0.0/24"\n'
     'pools = ["10.0.0.9-10.0.0.5"]\n', "subnets[0].pools[0]", "ends before it starts"),
    ('server_identifier = "10.0.0.1"\nlog_format = "xml"\n[[subnets]]\nnetwork = "10.0.0.0/24"\n',
     "log_format", "text"),
    ('server_identifier = "10.0.0.1"\nmetrics_listen = "9267"\n'
     '[[subnets]]\nnetwork = "10.0.0.0/24"\n', "metrics_listen", "HOST:PORT"),
    ('server_identifier = "10.0.0.1"\nlease_database = "postgres://x"\n'
     '[[subnets]]\nnetwork = "10.0.0.0/24"\n', "lease_database", "only sqlite"),
    ('server_identifier = "10.0.0.1"\nauthoritative = "yes"\n'
     '[[subnets]]\nnetwork = "10.0.0.0/24"\n', "authoritative", "a boolean"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\nnetwork = "10.0.0.0/24"\n'
     '[[reservations]]\nhardware_address = "02:00:00:00:00:01"\n', "reservations[0].address",
     "missing"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\nnetwork = "10.0.0.0/24"\nrouter = "x"\n',
     "subnets[0].router", "'x'"),
    ('server_identifier = "10.0.0.1"\nlease_time = -5\n[[subnets]]\nnetwork = "10.0.0.0/24"\n',
     "lease_time", "lease_time must be an int from 1"),
    ('server_identifier = "10.0.0.1"\nrenewal_fraction = 2\n[[subnets]]\n'
     'network = "10.0.0.0/24"\n', "renewal_fraction", "renewal_fraction < rebinding_fraction"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\nnetwork = "10.0.0.0/24"\n'
     'dns_servers = ["10.0.0.1", "bogus"]\n', "subnets[0].dns_servers", "'bogus'"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\nnetwork = "10.0.0.0/24"\nmtu = 20\n',
     "subnets[0].mtu", "68 to 65535"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\nnetwork = "10.0.0.0/24"\n'
     '[[reservations]]\naddress = "10.0.0.300"\nhardware_address = "02:00:00:00:00:01"\n',
     "reservations[0].address", "300"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\nnetwork = "10.0.0.0/24"\n'
     '[[reservations]]\naddress = "10.0.0.30"\nhardware_address = "zz"\n',
     "reservations[0].hardware_address", "hexadecimal"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\nnetwork = "10.0.0.0/24"\n'
     '[[classes]]\nname = "x"\npools = ["10.0.0.5-10.0.0.6"]\n', "classes[0]", "needs a match"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\nnetwork = "10.0.0.0/24"\n'
     '[[classes]]\nname = "x"\noption = 60\nprefix = "a"\npools = ["10.9.0.5-10.9.0.6"]\n',
     "classes[0].pools[0]", "in no configured subnet"),
    ('server_identifier = "10.0.0.1"\n[[subnets]]\nnetwork = "10.0.0.0/24"\n'
     '[[classes]]\nname = "a"\noption = 60\nequals = "a"\npools = ["10.0.0.5-10.0.0.9"]\n'
     '[[classes]]\nname = "b"\noption = 60\nequals = "b"\npools = ["10.0.0.9-10.0.0.12"]\n',
     "classes[1].pools[0]", "overlaps a pool of class 'a'"),
])
def test_a_bad_value_is_named_by_its_key_path(tmp_path: Path, text: str, path: str,
                                              words: str) -> None:
    found = problems(text, tmp_path)
    assert any(p == path and words in m for p, m in found), found


def test_a_file_that_is_not_toml_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    [(path, message)] = problems("server_identifier = \n", tmp_path)
    assert path == "" and "not TOML" in message and "server.toml" in message


def test_json_is_read_with_the_same_keys(tmp_path: Path) -> None:
    path = write(tmp_path, '{"server_identifier": "10.0.0.1", "interface": "eth9", '
                           '"subnets": [{"network": "10.0.0.0/24"}]}', "server.json")
    config = load(path)
    assert config.interfaces == ("eth9",)
    assert config.lease_database == Path("/var/lib/dhcpwire/leases.sqlite")


def test_sqlite_urls_name_absolute_and_relative_files() -> None:
    assert database_path("sqlite:///var/lib/x.sqlite", Path("/etc")) == Path("/var/lib/x.sqlite")
    assert database_path("sqlite:data/x.sqlite", Path("/etc/dw")) == Path("/etc/dw/data/x.sqlite")
    with pytest.raises(ValueError, match="only sqlite"):
        database_path("mysql://h/db", Path("/"))


def test_parse_takes_already_parsed_data() -> None:
    config = parse({"server_identifier": "10.0.0.1", "subnets": [{"network": "10.0.0.0/24"}],
                    "options": {"domain-name-server": ["10.0.0.53"]}})
    assert config.server.options.raw(DOMAIN_NAME_SERVER) == IPv4Address("10.0.0.53").packed


def test_serve_check_prints_ok_and_exits_zero_for_a_good_file(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(["serve", "--check", "--config", str(write(tmp_path, GOOD))], out=out, err=err)
    assert status == 0, err.getvalue()
    assert "OK: 2 subnets, 1 class, interfaces eth0, eth1" in out.getvalue()


def test_serve_check_prints_each_problem_with_its_path_and_exits_one(tmp_path: Path) -> None:
    path = write(tmp_path, 'server_identifier = "10.0.0.1"\n[[subnets]]\n'
                           'network = "10.0.0.0/24"\npools = ["10.1.0.1-10.1.0.2"]\nfoo = 1\n')
    out, err = io.StringIO(), io.StringIO()
    assert main(["serve", "--check", "--config", str(path)], out=out, err=err) == 1
    lines = err.getvalue().splitlines()
    assert lines == [f"dhcpwire: {path}: subnets[0].foo: unknown key",
                     f"dhcpwire: {path}: subnets[0].pools[0]: 10.1.0.1-10.1.0.2 is not "
                     "inside 10.0.0.0/24"]
    assert out.getvalue() == ""


def test_serve_check_without_an_interface_says_so_and_fails(tmp_path: Path) -> None:
    path = write(tmp_path, 'server_identifier = "10.0.0.1"\n[[subnets]]\n'
                           'network = "10.0.0.0/24"\n')
    out = io.StringIO()
    assert main(["serve", "--check", "--config", str(path)], out=out, err=io.StringIO()) == 1
    assert "(none: give --interface)" in out.getvalue()
    out = io.StringIO()
    assert main(["serve", "--check", "--config", str(path), "--interface", "eth3"], out=out,
                err=io.StringIO()) == 0


def test_the_bundled_example_configuration_checks_clean() -> None:
    # README.md shows `dhcpwire serve --check --config examples/server.toml`
    example = Path(__file__).resolve().parents[2] / "examples" / "server.toml"
    out, err = io.StringIO(), io.StringIO()
    assert main(["serve", "--check", "--config", str(example)], out=out, err=err) == 0, \
        err.getvalue()
    assert "1 subnet, 1 class" in out.getvalue()
