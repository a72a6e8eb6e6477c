"""The hand-written records and the per-message constructors behave as the
dataclasses they stand for.

``Defect`` and ``OptionSpec`` are :class:`~dhcpwire.wire.errors.FrozenRecord`
subclasses (not dataclasses: the decorator costs ~0.45 ms per class at every
``import dhcpwire``); ``send_action``, ``lease_record`` and ``lease_action``
build a ``Send``, a ``LeaseRecord`` and a lease action on the server's
per-message path without the frozen dataclass ``__init__``. Each must be
indistinguishable from the public way of making the same object.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
from ipaddress import IPv4Address

import pytest

from dhcpwire import (
    DEFAULT_REGISTRY,
    BadOptionLength,
    DecodeError,
    Defect,
    Message,
    OptionSpec,
    decode,
)
from dhcpwire.protocol.actions import Send, send_action
from dhcpwire.server import (
    LeaseCommitted,
    LeaseDeclined,
    LeaseExpired,
    LeaseOffered,
    LeaseRecord,
    LeaseReleased,
    LeaseRenewed,
    LeaseState,
)
from dhcpwire.server.leases import lease_action, lease_record
from dhcpwire.wire.codecs import TextCodec


def test_defect_compares_hashes_and_prints_like_the_dataclass_it_was() -> None:
    one = Defect(BadOptionLength, "too short", 12, 3)
    same = Defect(kind=BadOptionLength, message="too short", offset=12, option=3)
    assert one == same and hash(one) == hash(same)
    assert one != Defect(BadOptionLength, "too short", 12)
    assert Defect(DecodeError, "x", 0).option is None
    assert repr(one) == ("Defect(kind=<class 'dhcpwire.BadOptionLength'>, "
                         "message='too short', offset=12, option=3)")
    assert str(one) == "BadOptionLength: too short (offset 12, option 3)"
    assert one != ("too short", 12)  # not equal to a tuple of its fields


def test_defect_is_immutable_picklable_and_matchable() -> None:
    one = Defect(BadOptionLength, "too short", 12, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.offset = 13  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del one.message
    assert pickle.loads(pickle.dumps(one)) == one
    assert copy.copy(one) == one and copy.deepcopy(one) == one
    match one:
        case Defect(kind, message, offset, option):
            assert (kind, message, offset, option) == (BadOptionLength, "too short", 12, 3)
        case _:
            pytest.fail("Defect did not match positionally")
    with pytest.raises(AttributeError):
        one.extra = 1  # type: ignore[attr-defined]


def test_a_decoded_defect_is_a_defect_record() -> None:
    # option 51 with one octet: a lenient decode keeps it and says so
    payload = bytearray(300)
    payload[0], payload[1], payload[2] = 1, 1, 6
    payload[236:240] = b"\x63\x82\x53\x63"
    payload[240:246] = bytes((53, 1, 1, 51, 1, 0))
    payload[246] = 255
    msg = decode(bytes(payload), strict=False)
    (defect,) = msg.defects
    assert isinstance(defect, Defect) and defect.option == 51 and defect.offset == 243
    assert pickle.loads(pickle.dumps(defect)) == defect


def test_option_spec_validates_compares_and_is_frozen() -> None:
    spec = OptionSpec(224, "site-motd", TextCodec(), "site-local")
    assert spec == OptionSpec(code=224, name="site-motd", codec=spec.codec, reference="site-local")
    assert hash(spec) == hash(OptionSpec(224, "site-motd", spec.codec, "site-local"))
    assert spec != OptionSpec(224, "site-motd", spec.codec, "elsewhere")
    assert repr(spec).startswith("OptionSpec(code=224, name='site-motd', codec=")
    with pytest.raises(ValueError, match="outside 0-255"):
        OptionSpec(256, "big", TextCodec(), "x")
    with pytest.raises(ValueError, match="needs a name"):
        OptionSpec(224, "", TextCodec(), "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.code = 225  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(spec)).code == 224
    match DEFAULT_REGISTRY.derive(spec)[224]:
        case OptionSpec(code=224, name="site-motd"):
            pass
        case _:
            pytest.fail("OptionSpec did not match by keyword")


def _message() -> Message:
    return Message(xid=7, chaddr=bytes.fromhex("020000000001"))


@pytest.mark.parametrize("fields", [
    (IPv4Address("10.0.0.9"), 68, None, b"\x02\x00\x00\x00\x00\x01", "eth0", 1472),
    (IPv4Address("255.255.255.255"), 67, IPv4Address("10.0.0.1"), None, None, None),
])
def test_send_action_equals_the_keyword_construction(fields: tuple[object, ...]) -> None:
    destination, port, source, hw, interface, max_size = fields
    msg = _message()
    fast = send_action(msg, destination, port, source, hw, interface, max_size)  # type: ignore[arg-type]
    slow = Send(message=msg, destination=destination, port=port, source=source,  # type: ignore[arg-type]
                hardware_address=hw, interface=interface, max_size=max_size)  # type: ignore[arg-type]
    assert type(fast) is Send and fast == slow and hash(fast) == hash(slow)
    assert repr(fast) == repr(slow)
    assert fast.payload() == slow.payload()
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.port = 1  # type: ignore[misc]


@pytest.mark.parametrize("state", list(LeaseState))
def test_lease_record_equals_the_keyword_construction(state: LeaseState) -> None:
    expires = math.inf if state is LeaseState.BOUND else 1_700_000_000.5
    args = (IPv4Address("10.0.0.9"), "id:01020000000001", b"\x02\x00\x00\x00\x00\x01", state,
            expires, 3600, b"n" * 16 if state is LeaseState.BOUND else None)
    fast = lease_record(*args)
    slow = LeaseRecord(address=args[0], client=args[1], hardware_address=args[2], state=state,
                       expires=expires, lease_time=3600, nonce=args[6])
    assert type(fast) is LeaseRecord and fast == slow and hash(fast) == hash(slow)
    assert fast.to_json() == slow.to_json()
    assert LeaseRecord.from_json(fast.to_json()) == slow
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.state = LeaseState.FREE  # type: ignore[misc]


@pytest.mark.parametrize("kind", [LeaseOffered, LeaseCommitted, LeaseRenewed, LeaseReleased,
                                  LeaseDeclined, LeaseExpired])
def test_lease_action_equals_the_keyword_construction(kind: type[LeaseOffered]) -> None:
    lease = LeaseRecord(address=IPv4Address("10.0.0.9"), client="hw:1:02:00:00:00:00:01",
                        hardware_address=b"\x02\x00\x00\x00\x00\x01", state=LeaseState.BOUND,
                        expires=1_700_000_000.0, lease_time=3600)
    fast = lease_action(kind, lease)
    slow = kind(lease=lease)
    assert type(fast) is kind and fast == slow and repr(fast) == repr(slow)
    assert fast.to_json() == slow.to_json() and fast.address == lease.address
