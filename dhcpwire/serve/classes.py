"""Client classes: which clients get which pool and which extra options.

Rules of this module:

* A class matches on an option's value (``equals``, ``prefix`` or
  ``contains``, on the value's octets) and/or on a hardware-address prefix;
  every condition of a class must hold. A client is a member of every
  class that matches it, as with Kea's client classes and dnsmasq's tags.
* Pools: a class with pools serves its members from those pools only (ISC
  dhcpd's ``allow members of``), and nobody else gets them. It is built
  from what the pure server already understands: the class has a
  :class:`~dhcpwire.server.ServerConfig` of its own (the same subnets,
  handing out only its pools), and :meth:`ClassTable.route` says which
  server state a message goes to. A client keeps the state its address is
  in for as long as it holds it, so its REQUEST, RELEASE and DECLINE reach
  the state that knows it even if they no longer carry what matched.
* Options: a class's options go into the OFFERs and ACKs of its members,
  for the codes the client asks for (option 55), or all of them when it
  asks for none; they replace the subnet's value of the same code. The
  first matching class wins a code.
* Reading a class never raises, whatever the client sent: a malformed
  option simply does not match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Final

from ..server import ServerConfig, client_key
from ..wire.codes import USER_CLASS
from ..wire.message import Message

__all__ = ["ClassTable", "ClientClass", "Condition"]

_HOW: Final = ("equals", "prefix", "contains")


def _user_classes(raw: bytes) -> list[bytes]:
    """The instances of an option 77 value, or the value itself if it is not RFC 3004's form.

    RFC 3004 section 3: "Value consists of one or more instances of User
    Class Data", each "UC_Len_i User_Class_Data_i". (Some clients send one
    bare string instead; it is then one instance.)
    """
    out, i = [], 0
    while i < len(raw):
        end = i + 1 + raw[i]
        if raw[i] == 0 or end > len(raw):
            return [raw]
        out.append(raw[i + 1:end])
        i = end
    return out or [raw]


@dataclass(frozen=True, slots=True)
class Condition:
    """One test: option ``option``'s octets (``None``: the hardware address) against ``value``."""

    option: int | None
    how: str
    value: bytes

    def __post_init__(self) -> None:
        if self.how not in _HOW:
            raise ValueError(f"how must be one of {_HOW}")

    def _test(self, data: bytes) -> bool:
        if self.how == "equals":
            return data == self.value
        if self.how == "prefix":
            return data.startswith(self.value)
        return self.value in data

    def holds(self, message: Message) -> bool:
        if self.option is None:
            return self._test(message.client_hwaddr)
        raw = message.options.raw_map.get(self.option)
        if raw is None:
            return False
        if self.option == USER_CLASS:
            return any(self._test(instance) for instance in _user_classes(raw))
        return self._test(raw)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientClass:
    """A named class: its conditions, the options (code, value octets) it adds, its pools."""

    name: str
    conditions: tuple[Condition, ...]
    options: tuple[tuple[int, bytes], ...] = ()
    pools: tuple[tuple[IPv4Address, IPv4Address], ...] = ()

    def matches(self, message: Message) -> bool:
        return bool(self.conditions) and all(c.holds(message) for c in self.conditions)


class ClassTable:
    """The classes of a configuration and the server states they route to.

    State 0 is the default configuration; each class with pools has the
    state numbered by its position in :attr:`configs` plus one.
    """

    __slots__ = ("_reserved", "classes", "configs", "ranges", "states")

    def __init__(self, classes: tuple[ClientClass, ...],
                 configs: tuple[ServerConfig | None, ...],
                 reserved_keys: Iterable[Iterable[str]] = ()) -> None:
        if len(classes) != len(configs):
            raise ValueError("one configuration (or None) per class")
        self.classes: tuple[ClientClass, ...] = classes
        self.configs: tuple[ServerConfig, ...] = tuple(c for c in configs if c is not None)
        states: list[int] = []
        n = 0
        for config in configs:
            if config is None:
                states.append(0)
            else:
                n += 1
                states.append(n)
        #: per class, the state its members are served from (0: the default)
        self.states: tuple[int, ...] = tuple(states)
        #: (first, last, state) of every class pool, as ints
        self.ranges: tuple[tuple[int, int, int], ...] = tuple(
            (int(lo), int(hi), state)
            for cls, state in zip(classes, states, strict=True) for lo, hi in cls.pools)
        self._reserved = frozenset(k for keys in reserved_keys for k in keys)

    def __bool__(self) -> bool:
        return bool(self.classes)

    @property
    def reserved(self) -> frozenset[str]:
        """The client keys that have a reservation (served by the default state)."""
        return self._reserved

    def match(self, message: Message) -> tuple[int, ...]:
        """The indexes of the classes ``message``'s client is a member of."""
        return tuple(i for i, cls in enumerate(self.classes) if cls.matches(message))

    def names(self, matched: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(self.classes[i].name for i in matched)

    def route(self, message: Message, matched: tuple[int, ...],
              held: Mapping[str, int]) -> int:
        """The server state that answers ``message`` (see the module's rules).

        ``held`` maps each client key that holds an address (offered or
        bound) to the state that address is in.
        """
        key = client_key(message)
        if key is None:
            return 0
        state = held.get(key)
        if state is not None:
            return state
        # A reservation lives in the default configuration: its client is served there.
        if self._reserved and (key in self._reserved or client_key(Message(
                htype=message.htype, hlen=message.hlen, chaddr=message.chaddr)) in self._reserved):
            return 0
        for i in matched:
            if self.states[i]:
                return self.states[i]
        return 0

    def state_of(self, address: IPv4Address | int) -> int:
        """The state whose pools hold ``address`` (0 when no class pool does)."""
        a = int(address)
        for lo, hi, state in self.ranges:
            if lo <= a <= hi:
                return state
        return 0

    def options(self, matched: tuple[int, ...]) -> dict[int, bytes]:
        """The options the classes add: code -> value octets, the first class winning."""
        out: dict[int, bytes] = {}
        for i in matched:
            for code, value in self.classes[i].options:
                out.setdefault(code, value)
        return out
