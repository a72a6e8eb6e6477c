"""Names and paths of 0.1 that still work for one release, each with a DhcpwireDeprecationWarning.

Each test checks both halves: the old name still gives the new thing, and using
it warns with :class:`dhcpwire.DhcpwireDeprecationWarning` (which the suite
otherwise turns into an error, so nothing in the project uses them).
"""

from __future__ import annotations

import importlib
import sys

import pytest

import dhcpwire
from dhcpwire import DhcpwireDeprecationWarning
from dhcpwire.wire import constants, decoder, encoder, errors, message, options, registry

#: old module path -> (the module that holds the code now, a name it still gives)
MOVED = {
    "dhcpwire.message": (message, "Message"),
    "dhcpwire.options": (options, "Options"),
    "dhcpwire.registry": (registry, "Registry"),
    "dhcpwire.constants": (constants, "MessageType"),
    "dhcpwire.errors": (errors, "DecodeError"),
}


@pytest.mark.parametrize("path", sorted(MOVED))
def test_a_flat_module_path_of_0_1_warns_and_gives_the_same_names(path: str) -> None:
    sys.modules.pop(path, None)
    with pytest.warns(DhcpwireDeprecationWarning, match=path.replace(".", r"\.")):
        old = importlib.import_module(path)
    home, name = MOVED[path]
    assert getattr(old, name) is getattr(home, name)
    assert set(old.__all__) == set(home.__all__)


def test_dhcpwire_encoding_warns_and_gives_decode_and_encode() -> None:
    sys.modules.pop("dhcpwire.encoding", None)
    with pytest.warns(DhcpwireDeprecationWarning, match=r"dhcpwire\.encoding"):
        old = importlib.import_module("dhcpwire.encoding")
    assert old.decode is decoder.decode and old.encode is encoder.encode


def test_server_send_reply_is_send_and_warns() -> None:
    from dhcpwire import server

    with pytest.warns(DhcpwireDeprecationWarning, match="SendReply"):
        old = server.SendReply  # type: ignore[attr-defined]
    assert old is server.Send


def test_server_lease_is_the_lease_record_and_warns() -> None:
    from dhcpwire import server

    with pytest.warns(DhcpwireDeprecationWarning, match="LeaseRecord"):
        old = server.Lease  # type: ignore[attr-defined]
    assert old is server.LeaseRecord


def test_client_sign_forcerenew_is_the_servers_and_warns() -> None:
    from dhcpwire import client, server

    with pytest.warns(DhcpwireDeprecationWarning, match="sign_forcerenew"):
        old = client.sign_forcerenew  # type: ignore[attr-defined]
    assert old is server.sign_forcerenew


def test_the_public_paths_are_no_deprecations() -> None:
    # dhcpwire.codes, .codecs, .values, .pcap and .simulator are the names to use
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DhcpwireDeprecationWarning)
        for path in ("codes", "codecs", "values", "pcap", "simulator"):
            sys.modules.pop(f"dhcpwire.{path}", None)
            module = importlib.import_module(f"dhcpwire.{path}")
            assert module.__all__ and all(hasattr(module, n) for n in module.__all__)
    assert dhcpwire.codes.ROUTER == 3
