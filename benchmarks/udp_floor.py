"""The socket floor for ``benchmarks/perfdhcp.py``: the least a Python DHCP responder does.

Run by ``perfdhcp.py --servers floor`` inside the server's namespace; not a
DHCP server. It answers perfdhcp's relayed DISCOVERs and REQUESTs with a
fixed OFFER or ACK -- no state, no lease database, no logging, no option
parsing beyond what perfdhcp needs -- from one blocking UDP socket on port
67, so that its CPU time per exchange is what the receive and send system
calls and the interpreter's loop cost by themselves on the same link.

* The reply is the request's header with 'op' 2 and 'yiaddr' set, then
  option 53 (OFFER or ACK), 54 (server identifier), 51 (lease time), 1, 3
  and 6, END, padded to 300 octets; it goes to the relay ('giaddr'), port 67.
* 'yiaddr' of an OFFER is made from the last two octets of 'chaddr' (so
  each of perfdhcp's clients gets its own); an ACK repeats the address the
  REQUEST asks for (option 50). perfdhcp puts option 53 first.
"""

from __future__ import annotations

import socket
import sys

SERVER = socket.inet_aton(sys.argv[1] if len(sys.argv) > 1 else "10.78.0.1")
INTERFACE = (sys.argv[2] if len(sys.argv) > 2 else "eth0").encode()
COOKIE = bytes.fromhex("63825363")
OPTIONS = (bytes((54, 4)) + SERVER + bytes((51, 4, 0, 0, 14, 16, 1, 4, 255, 255, 0, 0, 3, 4))
           + SERVER + bytes((6, 4)) + SERVER + b"\xff")


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, INTERFACE)
    sock.bind(("0.0.0.0", 67))
    print(" start ", flush=True)
    buffer = bytearray(2048)
    view = memoryview(buffer)
    while True:
        n, _ = sock.recvfrom_into(buffer)
        data = bytes(view[:n])
        if n < 243 or data[240] != 53:
            continue
        if data[242] == 1:  # DISCOVER
            chaddr = data[28:44]
            yiaddr = bytes((SERVER[0], SERVER[1], 1 + chaddr[4] % 254, chaddr[5]))
            kind = 2
        else:
            at = data.find(b"\x32\x04", 240)
            if at < 0:
                continue
            yiaddr, kind = data[at + 2:at + 6], 5
        reply = b"\x02" + data[1:16] + yiaddr + data[20:236] + COOKIE + bytes((53, 1, kind)) \
            + OPTIONS
        sock.sendto(reply + bytes(300 - len(reply)), (socket.inet_ntoa(data[24:28]), 67))


if __name__ == "__main__":
    main()
