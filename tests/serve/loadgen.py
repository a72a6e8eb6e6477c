"""A relay agent's worth of DHCP clients, for the daemon's namespace tests (run as a script).

``python loadgen.py --server 10.79.0.1 --giaddr 10.79.0.2 --clients 0:200 --out acks.jsonl``
runs a full DORA for clients ``0..199`` (hardware address 02:00:00 + the
number), up to ``--window`` at a time, as a relay agent would: from UDP
port 67 with 'giaddr' set, so the server answers to port 67 here. Each
DHCPACK received is appended to ``--out`` at once, as one JSON line
(``{"n": 7, "chaddr": "...", "address": "10.79.0.17", "dns": [...]}``),
so the lines are exactly the acknowledgements this side saw, whatever
happens to the server. A client without an answer is retried ``--tries``
times, one second apart, then given up. Bounded: it stops after
``--timeout`` seconds whatever happens.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import sys
import time
from ipaddress import IPv4Address

from dhcpwire import Message, MessageType, decode, encode


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--giaddr", required=True)
    parser.add_argument("--clients", required=True, help="FIRST:COUNT")
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    first, count = (int(x) for x in args.clients.split(":"))
    server, giaddr = IPv4Address(args.server), IPv4Address(args.giaddr)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((str(giaddr), 67))
    out = open(args.out, "a", buffering=1)  # noqa: SIM115 (kept open for the whole run)
    todo = list(range(first, first + count))
    #: xid -> [n, phase ("discover"/"request"), sent at, tries, offered address]
    open_: dict[int, list[object]] = {}
    end = time.monotonic() + args.timeout

    def chaddr(n: int) -> bytes:
        return bytes.fromhex("020000") + n.to_bytes(3, "big")

    def send(xid: int) -> None:
        n, phase, _, tries, offered = open_[xid]
        assert isinstance(n, int) and isinstance(tries, int)
        options: dict[int, object] = {53: MessageType.DISCOVER, 55: (1, 3, 6)}
        if phase == "request":
            options = {53: MessageType.REQUEST, 50: offered, 54: server, 55: (1, 3, 6)}
        message = Message(xid=xid, hops=1, giaddr=giaddr, chaddr=chaddr(n), options=options)
        sock.sendto(encode(message), (str(server), 67))
        open_[xid][2] = time.monotonic()
        open_[xid][3] = tries + 1

    while (todo or open_) and time.monotonic() < end:
        while todo and len(open_) < args.window:
            n = todo.pop(0)
            xid = 0x10000000 + n
            open_[xid] = [n, "discover", 0.0, 0, None]
            send(xid)
        ready, _, _ = select.select([sock], [], [], 0.1)
        if ready:
            data = sock.recv(4096)
            try:
                reply = decode(data, strict=False)
            except ValueError:
                continue
            entry = open_.get(reply.xid)
            if entry is None:
                continue
            if reply.message_type is MessageType.OFFER and entry[1] == "discover":
                entry[1], entry[3], entry[4] = "request", 0, reply.yiaddr
                send(reply.xid)
            elif reply.message_type is MessageType.ACK and entry[1] == "request":
                dns = [str(a) for a in reply.options.get(6, ())]
                out.write(json.dumps({"n": entry[0], "chaddr": reply.hwaddr,
                                      "address": str(reply.yiaddr), "dns": dns}) + "\n")
                del open_[reply.xid]
            elif reply.message_type is MessageType.NAK:
                del open_[reply.xid]
        now = time.monotonic()
        for xid, entry in list(open_.items()):
            sent, tries = entry[2], entry[3]
            assert isinstance(sent, float) and isinstance(tries, int)
            if now - sent > 1.0:
                if tries >= args.tries:
                    del open_[xid]
                else:
                    send(xid)
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
