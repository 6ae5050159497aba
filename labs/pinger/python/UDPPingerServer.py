#!/usr/bin/env python3
"""UDPPingerServer: Kurose and Ross's UDP Pinger server (docs/labs/pinger.md).

Binds UDP --host:--port (default 127.0.0.1:12000) and replies to each ping with its
text uppercased, to the address it came from, but drops every N-th datagram it
receives (--drop-every N, default 4; 0 drops none).

Run it:   python3 labs/pinger/python/UDPPingerServer.py
Grade it: cargo grade pinger --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP Pinger server: replies uppercased, drops every N-th ping.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="port to bind (default: %(default)s)")
    parser.add_argument("--drop-every", type=int, default=4, help="drop every N-th datagram; 0: none (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: make a UDP socket (socket.SOCK_DGRAM) and bind it to (args.host, args.port).
    # TODO 2: loop: data, sender = recvfrom(65535); count the datagram; if the count is a
    #         multiple of args.drop_every (and drop_every > 0), send nothing (it is lost);
    #         else sendto(data uppercased, sender).
    raise NotImplementedError(
        f"UDPPingerServer: TODO step 1: bind UDP {args.host}:{args.port} and answer pings "
        "(see the TODO steps in this file)"
    )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
