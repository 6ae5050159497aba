#!/usr/bin/env python3
"""UDPPingerServer: Kurose and Ross's UDP Pinger server (docs/labs/pinger.md).

Binds UDP --host:--port (default 127.0.0.1:12000) and replies to each ping with its
text uppercased, to the address it came from, but drops every N-th datagram it
receives (--drop-every N, default 4; 0 drops none), playing a lossy network in a way
that repeats exactly.

Run it:   python3 solutions/pinger/python/UDPPingerServer.py
Grade it: cargo grade pinger --python --solutions
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP Pinger server: replies uppercased, drops every N-th ping.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="port to bind (default: %(default)s)")
    parser.add_argument("--drop-every", type=int, default=4, help="drop every N-th datagram; 0: none (default: %(default)s)")
    parser.add_argument("--bug", default="", help=argparse.SUPPRESS)  # mutants for `grader selftest pinger`
    return parser.parse_args()


def main():
    args = parse_args()
    if args.bug == "ignore-port":
        args.port = 12000  # a port literal: binds the default whatever --port says
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((args.host, args.port))
    except OSError as e:
        print(f"UDPPingerServer: cannot bind {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    received = 0
    with sock:
        while True:
            try:
                data, sender = sock.recvfrom(65535)
                received += 1
                if args.drop_every > 0 and received % args.drop_every == 0 and args.bug != "no-drop":
                    continue  # lost, as the network would lose it
                reply = data if args.bug == "as-is" else data.decode("utf-8", "replace").upper().encode()
                sock.sendto(reply, sender)
            except OSError as e:
                print(f"UDPPingerServer: {e}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
