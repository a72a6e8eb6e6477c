"""The raw packet path: a reply to a client that has no IP address yet, as a whole frame.

Rules of this module:

* RFC 2131 section 4.1: "If the broadcast bit is not set and 'giaddr' is
  zero and 'ciaddr' is zero, then the server unicasts DHCPOFFER and DHCPACK
  messages to the client's hardware address and 'yiaddr' address." The
  kernel's UDP path cannot do that: it would ask ARP for 'yiaddr', which
  nobody answers yet. :func:`udp_frame` builds the Ethernet II / IPv4 / UDP
  frame by hand, addressed to 'chaddr', and :class:`RawSender` writes it to
  an ``AF_PACKET`` socket bound to the interface (Linux).
* Both checksums are computed, never left zero: the IPv4 header checksum
  (RFC 791 section 3.1) and the UDP checksum over the pseudo-header (RFC
  768). RFC 951 section 3 allows a zero UDP checksum, but a frame whose
  checksums are right is accepted by every receiver.
* Pure functions build the bytes; only :class:`RawSender` touches a socket,
  so the frame is tested without one.
"""

from __future__ import annotations

import fcntl
import socket
import struct
from ipaddress import IPv4Address
from typing import Final

__all__ = ["ETH_P_IP", "RawSender", "checksum", "interface_address", "interface_mac",
           "ipv4_header", "udp_frame"]

#: EtherType of IPv4 (IEEE 802.3, "Ethernet II").
ETH_P_IP: Final = 0x0800
#: ioctl numbers of Linux's <linux/sockios.h>.
SIOCGIFADDR: Final = 0x8915
SIOCGIFHWADDR: Final = 0x8927
#: Linux's AF_PACKET family (socket.AF_PACKET exists only on Linux builds).
AF_PACKET: Final = getattr(socket, "AF_PACKET", 17)
_TTL: Final = 64
_UDP: Final = 17


def checksum(data: bytes) -> int:
    """The Internet checksum: the 16-bit one's complement of the one's complement sum.

    RFC 791 section 3.1 (header checksum): "The checksum field is the 16 bit
    one's complement of the one's complement sum of all 16 bit words in the
    header." RFC 768 uses the same sum over the pseudo-header, the UDP
    header and the data, padded with a zero octet to a whole number of
    16-bit words.
    """
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_header(source: IPv4Address, destination: IPv4Address, payload_length: int,
                ident: int = 0) -> bytes:
    """A 20-octet IPv4 header (no options) for a UDP datagram of ``payload_length`` octets."""
    total = 20 + payload_length
    if total > 0xFFFF:
        raise ValueError(f"an IPv4 datagram holds at most 65,535 octets, not {total}")
    # version 4, IHL 5 (20 octets); TOS 0; no fragmentation (DF clear, offset 0)
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident & 0xFFFF, 0, _TTL, _UDP, 0,
                       source.packed, destination.packed)
    return head[:10] + struct.pack("!H", checksum(head)) + head[12:]


def udp_frame(*, source_mac: bytes, destination_mac: bytes, source: IPv4Address,
              destination: IPv4Address, source_port: int, destination_port: int,
              payload: bytes, ident: int = 0) -> bytes:
    """The Ethernet II frame that carries ``payload`` as one UDP datagram, checksums set."""
    if len(source_mac) != 6 or len(destination_mac) != 6:
        raise ValueError("Ethernet addresses are 6 octets")
    length = 8 + len(payload)
    udp = struct.pack("!HHHH", source_port, destination_port, length, 0)
    # RFC 768: the checksum covers "a pseudo header of information from the IP
    # header" (source, destination, zero, protocol, UDP length), the header and
    # the data; a computed 0 is sent as all ones (0 means "no checksum").
    pseudo = source.packed + destination.packed + struct.pack("!BBH", 0, _UDP, length)
    value = checksum(pseudo + udp + payload) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", value)
    ip = ipv4_header(source, destination, length, ident)
    return destination_mac + source_mac + struct.pack("!H", ETH_P_IP) + ip + udp + payload


def _ifreq(sock: socket.socket, request: int, interface: str) -> bytes:
    name = interface.encode()
    if not 0 < len(name) < 16:
        raise OSError(f"bad interface name {interface!r}")
    return fcntl.ioctl(sock.fileno(), request, struct.pack("256s", name))


def interface_mac(interface: str) -> bytes:
    """The hardware address of ``interface`` (``OSError`` if it has none or is absent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        info = _ifreq(sock, SIOCGIFHWADDR, interface)
    return info[18:24]


def interface_address(interface: str) -> IPv4Address | None:
    """The primary IPv4 address of ``interface``, or ``None`` when it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            info = _ifreq(sock, SIOCGIFADDR, interface)
        except OSError:
            return None
    return IPv4Address(info[20:24])


class RawSender:
    """Frames to hardware addresses on one interface, through an ``AF_PACKET`` socket.

    Built lazily by the daemon the first time a reply must go to a
    'chaddr'; ``OSError`` when the platform or the interface cannot do it
    (the daemon then broadcasts, RFC 2131 section 4.1: "If unicasting is not
    possible, the message MAY be sent as an IP broadcast").
    """

    def __init__(self, interface: str) -> None:
        self.interface = interface
        self.mac: bytes = interface_mac(interface)
        self._ident = 0
        self.sock: socket.socket = socket.socket(AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        try:
            self.sock.bind((interface, ETH_P_IP))
        except OSError:
            self.sock.close()
            raise

    def send(self, payload: bytes, *, destination_mac: bytes, destination: IPv4Address,
             source: IPv4Address, source_port: int, destination_port: int) -> None:
        self._ident = (self._ident + 1) & 0xFFFF
        frame = udp_frame(source_mac=self.mac, destination_mac=destination_mac,
                          source=source, destination=destination, source_port=source_port,
                          destination_port=destination_port, payload=payload,
                          ident=self._ident)
        self.sock.send(frame)

    def close(self) -> None:
        self.sock.close()
