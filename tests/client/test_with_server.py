"""The client against dhcpwire's own server, both sans-IO machines in one process."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from dhcpwire import decode, encode
from dhcpwire.client import (
    Action,
    Configure,
    MessageReceived,
    ReleaseRequested,
    Send,
    Start,
    State,
    Stop,
)

from .support import ADDR, LEASE, S1, S2, Harness, config, only


def test_client_and_server_in_one_process() -> None:
    """The two sans-IO machines against each other, every message as bytes."""
    server_mod = pytest.importorskip("dhcpwire.server")
    net = IPv4Network("192.0.2.0/24")
    srv_config = server_mod.ServerConfig(
        server_identifier=S1, default_lease_time=LEASE,
        subnets=(server_mod.Subnet(network=net, pools=((ADDR, IPv4Address("192.0.2.20")),),
                                   router=(S1,), dns_servers=(S2,)),))
    server = server_mod.ServerState(config=srv_config)
    h = Harness(config())

    def deliver(actions: tuple[Action, ...]) -> tuple[Action, ...]:
        """Carry each Send to the server, and each reply back to the client."""
        nonlocal server
        out: list[Action] = []
        for action in actions:
            out.append(action)
            if not isinstance(action, Send):
                continue
            server, replies = server_mod.handle(server, decode(encode(action.message)),
                                                now=h.now, source=action.source)
            for r in replies:
                if isinstance(r, server_mod.Send):
                    out.extend(deliver(h(MessageReceived(message=decode(r.payload())))))
        return tuple(out)

    deliver(h(Start(), 0.0))
    acts = deliver(h.timer())
    lease = only(acts, Configure).lease
    assert h.state.phase is State.BOUND
    assert lease.address in net and lease.server_identifier == S1
    assert lease.routers == (S1,) and lease.dns_servers == (S2,)
    assert (lease.renew_at, lease.expires_at) == (LEASE / 2, LEASE)
    # Lease extension at T1.
    renewed = only(deliver(h.timer()), Configure).lease
    assert h.state.phase is State.BOUND and renewed.address == lease.address
    assert renewed.expires_at == LEASE / 2 + LEASE
    # Restart with the remembered lease: INIT-REBOOT, the same address.
    h(Stop(), 2000.0)
    h(Start(), 2000.0)
    again = only(deliver(h.timer()), Configure).lease
    assert again.address == lease.address and again.bound_at == 2000.0
    # Release: the server takes the address back.
    deliver(h(ReleaseRequested(), 2100.0))
    record = server.lease(lease.address)
    assert record is not None and record.state != server_mod.LeaseState.BOUND
