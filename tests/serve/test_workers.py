"""Worker processes: each worker's share of the pools, and who owns a stored record."""

from __future__ import annotations

from ipaddress import IPv4Address

from dhcpwire.serve import parse
from dhcpwire.serve.workers import owner, share, shares, worker_config
from dhcpwire.server import LeaseRecord, LeaseState

A = IPv4Address


def test_shares_are_consecutive_pieces_that_cover_each_range_once() -> None:
    ranges = ((A("10.0.0.10"), A("10.0.0.20")), (A("10.0.1.0"), A("10.0.1.1")))
    pieces = [share(ranges, k, 3) for k in range(3)]
    covered = [int(a) for p in pieces for lo, hi in p for a in range(int(lo), int(hi) + 1)]
    expected = [a for lo, hi in ranges for a in range(int(lo), int(hi) + 1)]
    assert sorted(covered) == expected  # every address once, in exactly one share
    assert pieces[0][0] == (A("10.0.0.10"), A("10.0.0.12"))
    assert share(((A("10.0.0.5"), A("10.0.0.5")),), 0, 2) == ()  # too small to split


def test_a_workers_configuration_hands_out_only_its_share() -> None:
    config = parse({"server_identifier": "10.0.0.1", "workers": 2, "interface": "eth0",
                    "subnets": [{"network": "10.0.0.0/24", "pools": ["10.0.0.100-10.0.0.199"]}],
                    "classes": [{"name": "c", "hardware_prefix": "02",
                                 "pools": ["10.0.0.200-10.0.0.203"]}],
                    "metrics_listen": "127.0.0.1:9300"})
    one = worker_config(config, 1, 2)
    assert one.server.subnets[0].pools == ((A("10.0.0.150"), A("10.0.0.199")),)
    assert one.classes.configs[0].subnets[0].pools == ((A("10.0.0.202"), A("10.0.0.203")),)
    assert one.metrics_listen == ("127.0.0.1", 9301)


def test_a_record_belongs_to_the_worker_of_its_share_else_of_its_chaddr() -> None:
    config = parse({"server_identifier": "10.0.0.1",
                    "subnets": [{"network": "10.0.0.0/24", "pools": ["10.0.0.100-10.0.0.199"]}]})
    ranges = shares(config, 2)

    def record(address: str, hw: bytes) -> LeaseRecord:
        return LeaseRecord(address=A(address), client="hw:1:x", hardware_address=hw,
                           state=LeaseState.BOUND, expires=1.0, lease_time=1)
    assert owner(record("10.0.0.120", b"\x02\0\0\0\0\x01"), 2, ranges) == 0
    assert owner(record("10.0.0.180", b"\x02\0\0\0\0\x02"), 2, ranges) == 1
    # outside every share (a reservation, say): the worker its chaddr is steered to
    assert owner(record("10.0.0.10", b"\x02\0\0\0\0\x03"), 2, ranges) == 1
    assert owner(record("10.0.0.10", b""), 2, ranges) == 0
