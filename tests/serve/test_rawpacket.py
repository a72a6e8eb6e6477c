"""The raw packet path: frames to a client's hardware address, with correct checksums."""

from __future__ import annotations

import struct
import sys
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhcpwire.serve.rawpacket import checksum, ipv4_header, udp_frame
from tests.interop.harness import Link, require, wait_for

ROOT = Path(__file__).resolve().parents[2]
SRC, DST = IPv4Address("10.77.0.1"), IPv4Address("10.77.0.100")
MAC_A, MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


def ones_sum(data: bytes) -> int:
    """The 16-bit one's complement sum (a second, independent reading of RFC 791/768)."""
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return total


def test_checksum_of_a_known_ipv4_header() -> None:
    # 192.168.0.1 -> 192.168.0.199, UDP, 115 octets, DF: the checksum field zeroed ...
    header = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
    assert checksum(header) == 0xB861
    # ... and with 0xb861 written in, the header sums to all ones
    assert ones_sum(header[:10] + b"\xb8\x61" + header[12:]) == 0xFFFF


@settings(max_examples=200)
@given(st.binary(max_size=1500), st.integers(0, 0xFFFF))
def test_a_frame_verifies_ip_and_udp_checksums(payload: bytes, ident: int) -> None:
    frame = udp_frame(source_mac=MAC_A, destination_mac=MAC_B, source=SRC, destination=DST,
                      source_port=67, destination_port=68, payload=payload, ident=ident)
    assert frame[:6] == MAC_B and frame[6:12] == MAC_A and frame[12:14] == b"\x08\x00"
    ip, udp = frame[14:34], frame[34:]
    # RFC 791: the sum over a header, its checksum included, is all ones
    assert ones_sum(ip) == 0xFFFF
    version_ihl, _, total, _, _, ttl, proto = struct.unpack("!BBHHHBB", ip[:10])
    assert (version_ihl, total, proto) == (0x45, 20 + 8 + len(payload), 17) and ttl > 0
    assert ip[12:16] == SRC.packed and ip[16:20] == DST.packed
    sport, dport, length, value = struct.unpack("!HHHH", udp[:8])
    assert (sport, dport, length) == (67, 68, 8 + len(payload)) and value != 0
    pseudo = SRC.packed + DST.packed + struct.pack("!BBH", 0, 17, length)
    assert ones_sum(pseudo + udp) == 0xFFFF
    assert udp[8:] == payload


def test_an_ipv4_header_refuses_a_datagram_too_long() -> None:
    with pytest.raises(ValueError, match="65,535"):
        ipv4_header(SRC, DST, 0xFFFF)


SENDER = """
import sys
from ipaddress import IPv4Address
from dhcpwire.serve.rawpacket import RawSender, interface_mac
sender = RawSender("eth0")
mac = bytes.fromhex(sys.argv[1])
payload = bytes.fromhex(sys.argv[2])
if sys.argv[3] == "bad":  # a frame with a wrong UDP checksum, to show the receiver checks
    from dhcpwire.serve.rawpacket import udp_frame
    frame = bytearray(udp_frame(source_mac=sender.mac, destination_mac=mac,
                                source=IPv4Address("10.77.0.1"),
                                destination=IPv4Address("10.77.0.100"), source_port=67,
                                destination_port=68, payload=payload))
    frame[40] ^= 0xFF
    sender.sock.send(bytes(frame))
else:
    sender.send(payload, destination_mac=mac, destination=IPv4Address("10.77.0.100"),
                source=IPv4Address("10.77.0.1"), source_port=67, destination_port=68)
"""

RECEIVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 68))
s.settimeout(float(sys.argv[1]))
print("ready", flush=True)
try:
    data, peer = s.recvfrom(4096)
    print(peer[0], peer[1], data.hex(), flush=True)
except socket.timeout:
    print("nothing", flush=True)
"""


@pytest.mark.interop
@pytest.mark.parametrize("kind", ["good", "bad"])
def test_the_kernel_of_the_receiver_takes_the_frame_only_with_right_checksums(
        net: Link, tmp_path: Path, kind: str) -> None:
    require("ip")
    a, b = net.namespace("rawa"), net.namespace("rawb")
    net.connect(a, "eth0", b, "eth0", a_addr="10.77.0.1/24", b_addr="10.77.0.100/24")
    mac = b.run("cat", "/sys/class/net/eth0/address").stdout.strip().replace(":", "")
    (tmp_path / "send.py").write_text(SENDER)
    (tmp_path / "recv.py").write_text(RECEIVER)
    receiver = b.start(sys.executable, str(tmp_path / "recv.py"), "3", name="recv")
    wait_for(lambda: "ready" in receiver.output(), 10, "the receiver")
    payload = b"dhcpwire raw path " * 20 + b"odd"
    sent = a.run(sys.executable, str(tmp_path / "send.py"), mac, payload.hex(), kind,
                 env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert sent.returncode == 0, sent.stderr
    wait_for(lambda: not receiver.alive(), 10, "the receiver to finish")
    last = receiver.output().splitlines()[-1]
    if kind == "good":
        assert last == f"10.77.0.1 67 {payload.hex()}"
    else:
        assert last == "nothing"
