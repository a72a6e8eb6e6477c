"""Sample DHCPv4 packets for the codec benchmark, built by hand with ``struct``.

Each packet is the UDP payload of a DHCP message: it starts at ``op`` and has
the magic cookie 99.130.83.99 at offset 236, followed by the options.  The
values are realistic for a small office network and are documented next to
each field.  Addresses come from the documentation ranges of RFC 5737
(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) or from RFC 1918 where a
private network is what a real deployment would use; MAC addresses use the
locally administered prefix 02:00:5e (no real vendor).

``PACKETS`` maps a short name to the payload bytes, in the order the
benchmark prints them; ``OPTION_CODES`` maps the same names to the option
codes each packet carries, in wire order, without PAD and END.  No packet
repeats an option code, so the number of options a decoder reports must equal
``len(OPTION_CODES[name])``.
"""

from __future__ import annotations

import struct

__all__ = ["MAGIC_COOKIE", "OPTION_CODES", "PACKETS", "TYPICAL_ACK"]

#: The magic cookie 99.130.83.99 (RFC 2131, section 3).
MAGIC_COOKIE = bytes((99, 130, 83, 99))

#: The fixed BOOTP header: op, htype, hlen, hops, xid, secs, flags, ciaddr,
#: yiaddr, siaddr, giaddr, chaddr (16), sname (64), file (128), cookie.
_HEADER = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s4s")

#: The smallest BOOTP message (RFC 1542, section 2.1); servers pad to it.
_BOOTP_MIN = 300

#: The name of the packet the summary table is about.
TYPICAL_ACK = "ack"


def _ip(text: str) -> bytes:
    """A dotted-quad IPv4 address as its 4 network-order octets."""
    octets = bytes(int(part) for part in text.split("."))
    if len(octets) != 4:
        raise ValueError(text)
    return octets


def _mac(text: str) -> bytes:
    """A colon-separated MAC address as 6 octets."""
    return bytes.fromhex(text.replace(":", ""))


def _header(
    *,
    op: int,
    xid: int,
    chaddr: bytes,
    secs: int = 0,
    flags: int = 0,
    hops: int = 0,
    ciaddr: str = "0.0.0.0",
    yiaddr: str = "0.0.0.0",
    siaddr: str = "0.0.0.0",
    giaddr: str = "0.0.0.0",
    sname: bytes = b"",
    file: bytes = b"",
) -> bytes:
    """The 240-octet fixed header plus cookie; Ethernet (htype 1, hlen 6)."""
    return _HEADER.pack(
        op,
        1,  # htype: Ethernet
        len(chaddr),  # hlen: 6
        hops,
        xid,
        secs,
        flags,
        _ip(ciaddr),
        _ip(yiaddr),
        _ip(siaddr),
        _ip(giaddr),
        chaddr,  # struct pads to 16 octets with zeros
        sname,  # zero-padded to 64
        file,  # zero-padded to 128
        MAGIC_COOKIE,
    )


def _opt(code: int, payload: bytes) -> bytes:
    """One option: code, length, payload (the payload must fit one TLV)."""
    if len(payload) > 255:
        raise ValueError(f"option {code} is {len(payload)} octets")
    return struct.pack("!BB", code, len(payload)) + payload


def _u8(value: int) -> bytes:
    return struct.pack("!B", value)


def _u16(value: int) -> bytes:
    return struct.pack("!H", value)


def _u32(value: int) -> bytes:
    return struct.pack("!I", value)


def _i32(value: int) -> bytes:
    return struct.pack("!i", value)


def _ips(*texts: str) -> bytes:
    return b"".join(_ip(text) for text in texts)


def _labels(name: str) -> bytes:
    """A domain name in DNS wire format, uncompressed, with the root label."""
    out = b""
    for label in name.split("."):
        out += _u8(len(label)) + label.encode("ascii")
    return out + b"\x00"


def _route(prefix: str, width: int, router: str) -> bytes:
    """One RFC 3442 classless route: width, significant octets, router."""
    significant = (width + 7) // 8
    return _u8(width) + _ip(prefix)[:significant] + _ip(router)


def _packet(header: bytes, options: list[bytes], *, pad: bool) -> bytes:
    """Header, options and END; PAD octets to 300 when ``pad`` (as servers do)."""
    data = header + b"".join(options) + b"\xff"
    if pad and len(data) < _BOOTP_MIN:
        data += bytes(_BOOTP_MIN - len(data))
    return data


# ---------------------------------------------------------------------------
# The client and the network every sample shares.

#: The client's NIC: a locally administered MAC.
CLIENT_MAC = _mac("02:00:5e:10:20:30")
#: The server, also the default router of the client's subnet.
SERVER = "192.0.2.1"
#: The address the server hands out.
LEASED = "192.0.2.57"
#: One transaction, the same xid in all four DORA messages.
XID = 0x3903F326

#: Option 61: hardware type 1 (Ethernet) followed by the MAC, as dhclient,
#: NetworkManager and Windows send it.
CLIENT_ID = _u8(1) + CLIENT_MAC
#: Option 55 as a current Linux client (NetworkManager's internal client)
#: asks: mask, time offset, routers, DNS, host name, domain, MTU, broadcast,
#: NTP, domain search, classless routes, WPAD, captive portal.
PARAMETER_REQUEST = bytes((1, 2, 3, 6, 12, 15, 26, 28, 42, 119, 121, 252, 114))
#: Option 60: dhcpcd's vendor class (program, OS, release, machine).
VENDOR_CLASS = b"dhcpcd-10.0.6:Linux-6.8.0:x86_64:GenuineIntel"
#: Option 12: the client's host name.
HOSTNAME = b"laptop-7"

# ---------------------------------------------------------------------------
# DISCOVER: a client with no address broadcasts it (RFC 2131, 4.4.1).
# op 1 BOOTREQUEST, secs 0 (first try), flags 0 (the client can take unicast),
# every address field 0.  Options 53, 61, 57, 55, 60, 12, END; not padded
# (dhcpcd sends only what it needs).

DISCOVER = _packet(
    _header(op=1, xid=XID, chaddr=CLIENT_MAC),
    [
        _opt(53, _u8(1)),  # DHCP message type: DHCPDISCOVER
        _opt(61, CLIENT_ID),  # client identifier: htype 1 + MAC
        _opt(57, _u16(1500)),  # maximum DHCP message size: an Ethernet MTU
        _opt(55, PARAMETER_REQUEST),  # parameter request list
        _opt(60, VENDOR_CLASS),  # vendor class identifier
        _opt(12, HOSTNAME),  # host name
    ],
    pad=False,
)

# ---------------------------------------------------------------------------
# OFFER and ACK: the server's answers (RFC 2131, 4.3.1 and 4.3.2), as a
# home router's server (dnsmasq on OpenWrt) sends them: op 2 BOOTREPLY, the
# client's xid and chaddr echoed, yiaddr the leased address, siaddr the next
# server (the router itself), giaddr 0 (no relay).  Options 53, 54, 51, 58,
# 59, 1, 3, 6, 15, 28, END, then PAD octets to the 300-octet BOOTP minimum
# (three PADs here: END is octet 296).


def _server_reply(message_type: int) -> bytes:
    return _packet(
        _header(op=2, xid=XID, chaddr=CLIENT_MAC, yiaddr=LEASED, siaddr=SERVER),
        [
            _opt(53, _u8(message_type)),  # DHCP message type
            _opt(54, _ip(SERVER)),  # server identifier
            _opt(51, _u32(86400)),  # lease time: one day
            _opt(58, _u32(43200)),  # T1 renewal: half the lease
            _opt(59, _u32(75600)),  # T2 rebinding: 7/8 of the lease
            _opt(1, _ip("255.255.255.0")),  # subnet mask: a /24
            _opt(3, _ip(SERVER)),  # router
            _opt(6, _ip(SERVER)),  # DNS server: the router's forwarder
            _opt(15, b"lan"),  # domain name: OpenWrt's default
            _opt(28, _ip("192.0.2.255")),  # broadcast address
        ],
        pad=True,
    )


OFFER = _server_reply(2)  # DHCPOFFER
ACK = _server_reply(5)  # DHCPACK

# ---------------------------------------------------------------------------
# REQUEST in the SELECTING state (RFC 2131, 4.3.2): broadcast, ciaddr 0,
# secs 2 (the client has been at it two seconds), the offered address in
# option 50 and the chosen server in option 54.  Options 53, 61, 50, 54, 12,
# 81, 55, 60, END; not padded.

#: Option 81 (RFC 4702) from the client: flags S (0x01, the server should do
#: the A update) and E (0x04, the name is in DNS wire format), both RCODEs 0
#: as a client must send them, then the fully qualified name.
CLIENT_FQDN = _u8(0x05) + _u8(0) + _u8(0) + _labels("laptop-7.example.com")

REQUEST = _packet(
    _header(op=1, xid=XID, chaddr=CLIENT_MAC, secs=2),
    [
        _opt(53, _u8(3)),  # DHCP message type: DHCPREQUEST
        _opt(61, CLIENT_ID),  # client identifier
        _opt(50, _ip(LEASED)),  # requested IP address: the offered one
        _opt(54, _ip(SERVER)),  # server identifier: the chosen server
        _opt(12, HOSTNAME),  # host name
        _opt(81, CLIENT_FQDN),  # client FQDN, wire format
        _opt(55, PARAMETER_REQUEST),  # parameter request list
        _opt(60, VENDOR_CLASS),  # vendor class identifier
    ],
    pad=False,
)

# ---------------------------------------------------------------------------
# A DISCOVER as the relay agent forwards it to the server (RFC 1542, RFC
# 3046): hops 1, giaddr the relay's address on the client's subnet, and
# option 82 appended as the last option before END.

#: The relay agent's address on the client's segment (an RFC 1918 subnet the
#: server manages remotely).
RELAY = "10.20.30.1"

#: Option 82 (RFC 3046) as a switch inserts it.  Sub-option 1, circuit-id:
#: the ingress port and VLAN as text, as Cisco IOS writes it.  Sub-option 2,
#: remote-id: the relay's own MAC.  Sub-option 5, link-selection (RFC 3527):
#: the client's subnet, so the server picks the pool by it rather than by
#: giaddr.  Link-selection comes last.
RELAY_AGENT_INFO = (
    _u8(1)
    + _u8(len(b"Gi1/0/24:100"))
    + b"Gi1/0/24:100"
    + _u8(2)
    + _u8(6)
    + _mac("02:00:5e:aa:bb:cc")
    + _u8(5)
    + _u8(4)
    + _ip("10.20.30.0")
)

RELAYED_DISCOVER = _packet(
    _header(op=1, xid=XID, chaddr=CLIENT_MAC, hops=1, giaddr=RELAY),
    [
        _opt(53, _u8(1)),  # DHCP message type: DHCPDISCOVER
        _opt(61, CLIENT_ID),  # client identifier
        _opt(57, _u16(1500)),  # maximum DHCP message size
        _opt(55, PARAMETER_REQUEST),  # parameter request list
        _opt(60, VENDOR_CLASS),  # vendor class identifier
        _opt(12, HOSTNAME),  # host name
        _opt(82, RELAY_AGENT_INFO),  # relay agent information, last
    ],
    pad=False,
)

# ---------------------------------------------------------------------------
# A big ACK: 30 options, the kind a well-configured enterprise server sends
# to a relayed client.  It is 545 octets, just inside the 548 every DHCP
# client must accept (RFC 2131, section 2: a 576-octet IP datagram less the
# IP and UDP headers), so no encoder needs to overload sname or file.  The
# reply goes back through the relay: giaddr is the relay, hops 0, and option
# 82 is echoed (RFC 3046, 2.2).

#: Option 121 (RFC 3442): four routes, one for each destination width class:
#: the default route (width 0, no destination octets), 10.0.0.0/8 (1 octet),
#: 172.16.32.0/20 (3 octets) and 198.51.100.128/25 (4 octets).
CLASSLESS_ROUTES = (
    _route("0.0.0.0", 0, "10.20.30.1")
    + _route("10.0.0.0", 8, "10.20.30.254")
    + _route("172.16.32.0", 20, "10.20.30.253")
    + _route("198.51.100.128", 25, "10.20.30.252")
)

#: Option 119 (RFC 3397): the search list "eng.example.com", "example.com",
#: "lab.eng.example.com", with DNS compression pointers whose offsets count
#: from the start of the option's data: the second name is a pointer to
#: offset 4 (the "example" label of the first), the third is the label "lab"
#: then a pointer to offset 0.
DOMAIN_SEARCH = (
    _labels("eng.example.com")  # offsets 0..16
    + b"\xc0\x04"  # example.com -> offset 4
    + _u8(3)
    + b"lab"
    + b"\xc0\x00"  # lab + eng.example.com -> offset 0
)

#: Option 43 (RFC 2132, 8.4): vendor-specific information as encapsulated
#: sub-options, here Cisco's lightweight-AP discovery (sub-option 241, the
#: wireless controllers' addresses), as a campus network sends to its APs and
#: every other client ignores.
VENDOR_INFO = _u8(241) + _u8(8) + _ips("10.1.0.10", "10.1.0.11")

#: Option 81 (RFC 4702) from the server: flags S|E (it did the A update, wire
#: format), both RCODEs 255 as a server must send them, the client's name.
SERVER_FQDN = _u8(0x05) + _u8(255) + _u8(255) + _labels("laptop-7.example.com")

#: Option 82 echoed: the server copies the relay's option back unchanged
#: (RFC 3046, 2.2), link-selection sub-option included.
ECHOED_RELAY_INFO = RELAY_AGENT_INFO

BIG_ACK = _packet(
    _header(
        op=2,
        xid=XID,
        chaddr=CLIENT_MAC,
        yiaddr="10.20.30.57",  # the address leased on the relay's subnet
        siaddr="10.1.0.20",  # next server: the PXE/TFTP host
        giaddr=RELAY,  # back through the relay
    ),
    [
        _opt(53, _u8(5)),  # DHCP message type: DHCPACK
        _opt(54, _ip("10.1.0.2")),  # server identifier
        _opt(51, _u32(28800)),  # lease time: 8 hours
        _opt(58, _u32(14400)),  # T1
        _opt(59, _u32(25200)),  # T2
        _opt(1, _ip("255.255.255.0")),  # subnet mask
        _opt(3, _ip("10.20.30.1")),  # router
        _opt(6, _ips("10.1.0.53", "10.1.1.53")),  # two DNS servers
        _opt(15, b"example.com"),  # domain name
        _opt(28, _ip("10.20.30.255")),  # broadcast address
        _opt(2, _i32(-18000)),  # time offset: UTC-5, a negative int32
        _opt(12, HOSTNAME),  # host name, as the server assigned it
        _opt(42, _ip("10.1.0.123")),  # NTP server
        _opt(44, _ip("10.1.0.137")),  # NetBIOS name server (WINS)
        _opt(46, _u8(0x08)),  # NetBIOS node type: H-node
        _opt(26, _u16(1500)),  # interface MTU
        _opt(23, _u8(64)),  # default IP TTL
        _opt(19, _u8(0)),  # IP forwarding: off (a boolean)
        _opt(35, _u32(60)),  # ARP cache timeout: 60 s
        _opt(121, CLASSLESS_ROUTES),  # classless static routes
        _opt(119, DOMAIN_SEARCH),  # domain search, compressed
        _opt(43, VENDOR_INFO),  # vendor-specific information
        _opt(81, SERVER_FQDN),  # client FQDN, wire format
        _opt(66, b"10.1.0.20"),  # TFTP server name, as an address in text
        _opt(67, b"pxelinux.0"),  # boot file name
        _opt(150, _ip("10.1.0.20")),  # TFTP server address (Cisco phones)
        _opt(252, b"http://wpad/wpad.dat"),  # WPAD URL, short host name
        _opt(69, _ip("10.1.0.25")),  # SMTP server
        _opt(108, _u32(1800)),  # IPv6-only preferred: 30 min (RFC 8925)
        _opt(82, ECHOED_RELAY_INFO),  # relay agent information, echoed, last
    ],
    pad=False,
)

#: The samples by name, in the order they are printed.
PACKETS: dict[str, bytes] = {
    "discover": DISCOVER,
    "offer": OFFER,
    "request": REQUEST,
    "ack": ACK,
    "relayed": RELAYED_DISCOVER,
    "big_ack": BIG_ACK,
}


def _codes(data: bytes) -> tuple[int, ...]:
    """The option codes in ``data``, in order, PAD and END left out."""
    codes = []
    i = 240
    while data[i] != 255:
        if data[i] == 0:
            i += 1
            continue
        codes.append(data[i])
        i += 2 + data[i + 1]
    return tuple(codes)


#: The option codes of each sample, in wire order.
OPTION_CODES: dict[str, tuple[int, ...]] = {name: _codes(data) for name, data in PACKETS.items()}

for _name, _data in PACKETS.items():
    if _data[236:240] != MAGIC_COOKIE:
        raise AssertionError(f"{_name}: no magic cookie at offset 236")
    if len(set(OPTION_CODES[_name])) != len(OPTION_CODES[_name]):
        raise AssertionError(f"{_name}: an option code repeats")
if len(OPTION_CODES["big_ack"]) != 30:
    raise AssertionError("big_ack must carry 30 options")
if len(BIG_ACK) > 548:
    raise AssertionError("big_ack must fit the 548 octets every client accepts")
