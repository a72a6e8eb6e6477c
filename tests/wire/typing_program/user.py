"""A user's program: what a type checker must know about dhcpwire's options.

Checked by ``mypy --strict`` (and pyright) in tests/wire/test_typing.py and,
from a fresh virtual environment after ``pip install -e .``, in
tests/test_typing.py. Each typed assignment fails the check if the library's
static types are wrong; ``assert_type`` pins the exact type.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import assert_type
else:  # the program also runs, where typing_extensions may not be installed
    def assert_type(value: object, _: object) -> object:
        return value

import dhcpwire
from dhcpwire import (
    DOMAIN_NAME,
    IP_ADDRESS_LEASE_TIME,
    MESSAGE_TYPE,
    RAI_AGENT_CIRCUIT_ID,
    RAI_LINK_SELECTION,
    RELAY_AGENT_INFORMATION,
    ROUTER,
    SERVER_IDENTIFIER,
    Message,
    MessageType,
    OptionMap,
    decode,
    encode,
)

built = Message(
    op=dhcpwire.OpCode.BOOTREPLY, yiaddr="192.0.2.10",
    options={MESSAGE_TYPE: MessageType.ACK, ROUTER: ["192.0.2.1"], IP_ADDRESS_LEASE_TIME: 3600,
             SERVER_IDENTIFIER: IPv4Address("192.0.2.1"), DOMAIN_NAME: "example.org"})
msg = decode(encode(built))

routers: tuple[IPv4Address, ...] = msg.options[ROUTER]
lease: int = msg.options[IP_ADDRESS_LEASE_TIME]
domain: str = msg.options[DOMAIN_NAME]
server: IPv4Address | None = msg.options.get(SERVER_IDENTIFIER)
kind: MessageType = msg.options[MESSAGE_TYPE]
assert_type(msg.options[ROUTER], tuple[IPv4Address, ...])
assert_type(msg.options[MESSAGE_TYPE], MessageType)
assert_type(msg.options.get(SERVER_IDENTIFIER), IPv4Address | None)
assert_type(msg.options.get(IP_ADDRESS_LEASE_TIME, 0), int)
assert_type(msg.options[53], Any)  # a plain int code: the untyped view
relay: OptionMap | None = msg.options.get(RELAY_AGENT_INFORMATION)
if relay is not None:
    link: IPv4Address = relay[RAI_LINK_SELECTION]
    circuit: bytes = relay[RAI_AGENT_CIRCUIT_ID]
first: IPv4Address = routers[0]
print(first, lease, domain, server, kind)
