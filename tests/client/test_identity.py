"""The client identifier (issue 12 item 5): RFC 4361's IAID + DUID by default, the
hardware form as a setting, the same option 61 in every message."""

from __future__ import annotations

import pytest

from dhcpwire import ClientIdentifier, codes
from dhcpwire.client import (
    ClientConfig,
    ClientIdForm,
    Discard,
    ReleaseRequested,
    Start,
    default_iaid,
    duid_ll,
)

from .support import MAC, Harness, ack, config, offer, only, only_send


def test_the_default_identifier_is_rfc_4361_iaid_and_duid_ll() -> None:
    """RFC 4361 section 6.1: "the type of the 'client identifier' option is set to
    255. The type field is immediately followed by the IAID ... The IAID is
    immediately followed by the DUID". The DUID is a DUID-LL (RFC 3315 section
    9.4: type 3, hardware type, link-layer address) of chaddr."""
    cid = ClientConfig(chaddr=MAC).identifier
    assert cid is not None and cid.type == 255
    assert cid.iaid == int.from_bytes(MAC[-4:], "big") == default_iaid(MAC)
    assert cid.duid == bytes.fromhex("00030001") + MAC == duid_ll(1, MAC)


def test_a_given_duid_and_iaid_are_used_so_the_identity_can_outlive_the_interface() -> None:
    """RFC 4361 section 6.1: "DHCPv4 clients that support more than one network
    interface SHOULD use the same DUID on every interface" -- and "a different
    IAID on each interface"."""
    duid = bytes.fromhex("0004") + bytes(range(16))   # a DUID-UUID kept by the host
    one = ClientConfig(chaddr=MAC, duid=duid, iaid=1).identifier
    two = ClientConfig(chaddr=bytes.fromhex("02005e10aaaa"), duid=duid, iaid=2).identifier
    assert one is not None and two is not None
    assert one.duid == two.duid == duid and (one.iaid, two.iaid) == (1, 2)


def test_the_hardware_form_is_a_setting() -> None:
    cid = ClientConfig(chaddr=MAC, client_id_form=ClientIdForm.HARDWARE).identifier
    assert cid == ClientIdentifier.from_hardware(1, MAC)
    explicit = ClientIdentifier(0, b"opaque")
    assert ClientConfig(chaddr=MAC, client_id=explicit).identifier == explicit
    assert ClientConfig(chaddr=MAC, send_client_id=False).identifier is None


@pytest.mark.parametrize("form", list(ClientIdForm))
def test_every_message_carries_the_same_identifier(form: ClientIdForm) -> None:
    """RFC 2131 section 4.3.2: "If the client uses a 'client identifier' in a
    DHCPREQUEST message, it MUST use that same 'client identifier' in all
    subsequent messages"; section 3.1 step 6, the same in the DHCPRELEASE."""
    cfg = config(client_id_form=form)
    h = Harness(cfg)
    h(Start(), 0.0)
    sent = [only_send(h.timer()), only_send(h.receive(offer(h.xid, cid=cfg.identifier), 0.1))]
    h.receive(ack(h.xid, cid=cfg.identifier), 0.2)
    sent.append(only_send(h.timer()))
    h.receive(ack(h.xid, cid=cfg.identifier), h.now)
    sent.append(only_send(h(ReleaseRequested(), h.now)))
    assert {s.message.options[codes.CLIENT_IDENTIFIER] for s in sent} == {cfg.identifier}


def test_a_reply_echoing_another_form_of_identifier_is_not_ours() -> None:
    """RFC 6842 section 3: a reply whose client identifier "does not match" is
    silently discarded -- the hardware form is another identifier than RFC 4361's."""
    h = Harness(config())
    h(Start(), 0.0)
    h.timer()
    hardware = ClientIdentifier.from_hardware(1, MAC)
    assert "RFC 6842" in only(h.receive(offer(h.xid, cid=hardware), 0.1), Discard).reason


@pytest.mark.parametrize("kwargs", [
    {"duid": b"\x00"}, {"duid": bytes(131)}, {"iaid": -1}, {"iaid": 2**32},
])
def test_bad_identifier_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ClientConfig(chaddr=MAC, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [
    {"duid": "0003"}, {"iaid": "1"}, {"client_id_form": "duid"}, {"client_id": b"\x01"},
])
def test_identifier_settings_of_the_wrong_type_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        ClientConfig(chaddr=MAC, **kwargs)  # type: ignore[arg-type]
