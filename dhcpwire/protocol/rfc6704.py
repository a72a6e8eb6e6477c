"""FORCERENEW authentication by nonce (RFC 6704): the server signs, the client checks.

It is the only FORCERENEW authentication the client accepts.

Rules of this module:

* RFC 3203 section 6: "the FORCERENEW message MUST be authenticated ...
  FORCERENEW messages failing the authentication should be silently
  discarded by the client." A FORCERENEW that does not pass every check
  here is discarded; accepting one unauthenticated is CVE-2020-13529.
* The HMAC covers the message's bytes. The state machine works on
  ``Message`` values, so the bytes are the message re-encoded: a decoded,
  unchanged message encodes back byte for byte (see docs/wire.rst), which
  are exactly the bytes the server signed.
* RFC 3118 delayed authentication (protocol 2) needs keys shared out of band
  and is not supported: such a FORCERENEW is discarded with that reason.
"""

from __future__ import annotations

import hmac
from typing import Final

from ..wire import codes
from ..wire.encoder import encode
from ..wire.errors import DhcpwireError
from ..wire.message import Message
from ..wire.values import Authentication

__all__ = ["forcerenew_problem", "nonce_from", "sign_forcerenew"]

#: RFC 6704 section 3.1.2: "Protocol: 3 (Reconfigure Key) ... Algorithm: 1
#: (HMAC-MD5) ... Replay Detection Method (RDM): 0".
PROTOCOL: Final = 3
ALGORITHM: Final = 1
RDM: Final = 0
#: Figure 4's Type: "1 Forcerenew nonce Value (used in ACK message) 2 HMAC-MD5
#: digest of the message (Forcerenew message)"; the value is 128 bits.
NONCE_VALUE: Final = 1
HMAC_DIGEST: Final = 2
_SIZE: Final = 16
_ANY_SIZE: Final = 65535


def _auth(message: Message, kind: int) -> Authentication | str:
    try:
        value = message.options.get(codes.AUTHENTICATION)
    except DhcpwireError:  # malformed in a leniently decoded message
        value = None
    if not isinstance(value, Authentication):
        return "no authentication option (90)"
    if (value.protocol, value.algorithm, value.rdm) != (PROTOCOL, ALGORITHM, RDM):
        return (f"authentication protocol {value.protocol} algorithm {value.algorithm} "
                f"rdm {value.rdm} is not RFC 6704's (3, 1, 0)")
    info = value.information
    if len(info) != 1 + _SIZE or info[0] != kind:
        return f"authentication information is not an RFC 6704 type {kind} value"
    return value


def nonce_from(ack: Message) -> tuple[bytes, int] | None:
    """(nonce, replay detection) of an ACK's RFC 6704 option, or ``None``.

    RFC 6704 section 3.1.4: "The client MUST record the Forcerenew Nonce from
    any valid ACK it receives, if the ACK contains one."
    """
    auth = _auth(ack, NONCE_VALUE)
    if isinstance(auth, str):
        return None
    return auth.information[1:], auth.replay_detection


def _signed_bytes(message: Message) -> bytes | None:
    """The message's bytes with the HMAC, 'hops' and 'giaddr' zeroed.

    RFC 6704 section 3.1.4: the client computes the HMAC-MD5 "over the DHCP
    Forcerenew message (after setting the HMAC-MD5 field in the
    Authentication option to zero)". RFC 3118 section 5.3, whose option this
    is: "because a DHCP relay agent may alter the values of the 'giaddr' and
    'hops' fields in the DHCP message, the contents of those two fields MUST
    also be set to zero for the computation of the MAC."
    """
    wire = bytearray(encode(message, max_size=_ANY_SIZE))
    raw = message.options.raw(codes.AUTHENTICATION)
    needle = bytes((codes.AUTHENTICATION, len(raw))) + raw
    at = wire.find(needle, 44)
    if at < 0 or wire.find(needle, at + 1) >= 0:
        return None
    end = at + len(needle)
    wire[end - _SIZE:end] = bytes(_SIZE)
    wire[3] = 0
    wire[24:28] = bytes(4)
    return bytes(wire)


def _digest(nonce: bytes, data: bytes) -> bytes:
    return hmac.new(nonce, data, "md5").digest()


def forcerenew_problem(message: Message, *, nonce: bytes | None,
                       replay: int | None) -> tuple[str, None] | tuple[None, int]:
    """(reason, None) when a FORCERENEW fails authentication, else (None, replay value).

    RFC 6704 section 3.1.4: "If this computed HMAC-MD5 matches the value in
    the Authentication option, the client accepts the FORCERENEW message."
    RFC 3118 section 5.3: "the receiver first checks that the value in the
    replay detection field is acceptable according to the replay detection
    method"; for RDM 0 "a monotonically increasing counter", so it must
    exceed the last value accepted from the server.
    """
    if nonce is None:
        return ("unauthenticated FORCERENEW: no RFC 6704 nonce was negotiated with the "
                "server, and RFC 3203 section 6 requires authentication (CVE-2020-13529)",
                None)
    auth = _auth(message, HMAC_DIGEST)
    if isinstance(auth, str):
        return f"unauthenticated FORCERENEW: {auth}", None
    if replay is not None and auth.replay_detection <= replay:
        return (f"FORCERENEW replay detection {auth.replay_detection} does not exceed "
                f"{replay} (a replay)", None)
    data = _signed_bytes(message)
    if data is None:
        return "FORCERENEW authentication option cannot be located in the message", None
    try:
        expected = _digest(nonce, data)
    except ValueError:  # MD5 unavailable (a FIPS build of OpenSSL)
        return "FORCERENEW cannot be checked: HMAC-MD5 is unavailable here", None
    if not hmac.compare_digest(expected, auth.information[1:]):
        return "FORCERENEW HMAC-MD5 does not match (RFC 6704 section 3.1.4)", None
    return None, auth.replay_detection


def sign_forcerenew(message: Message, *, nonce: bytes, replay: int) -> Message:
    """``message`` with an RFC 6704 authentication option signed with ``nonce``.

    The server's side of :func:`forcerenew_problem` (section 3.1.3: the
    server "computes the HMAC-MD5 over the entire DHCP Forcerenew message,
    including the Authentication option; the HMAC-MD5 field in the
    Authentication option is set to zero for the HMAC-MD5 computation").
    Send the returned message as it is: encoding it gives the signed bytes.
    """
    if len(nonce) != _SIZE:
        raise ValueError("an RFC 6704 nonce is 128 bits")
    blank = Authentication(PROTOCOL, ALGORITHM, RDM, replay, bytes((HMAC_DIGEST,)) + bytes(_SIZE))
    unsigned = message.replace(options=message.options.set(codes.AUTHENTICATION, blank))
    data = _signed_bytes(unsigned)
    if data is None:  # pragma: no cover - a fresh option of zeros is found
        raise ValueError("cannot place the authentication option")
    digest = _digest(nonce, data)
    signed = Authentication(PROTOCOL, ALGORITHM, RDM, replay, bytes((HMAC_DIGEST,)) + digest)
    return unsigned.replace(options=unsigned.options.set(codes.AUTHENTICATION, signed))
