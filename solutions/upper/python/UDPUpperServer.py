#!/usr/bin/env python3
"""UDPUpperServer: Kurose and Ross's UDPServer (docs/labs/upper.md).

Binds UDP --host:--port (default 127.0.0.1:12000) and replies each datagram uppercased
(any UTF-8 text) to the address it came from, until Ctrl-C. A datagram that is not
UTF-8 gets an ERR reply, and the server goes on.

Run it:   python3 solutions/upper/python/UDPUpperServer.py
Grade it: cargo grade upper --python --solutions
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP uppercase server: replies each datagram uppercased.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="port to bind (default: %(default)s)")
    return parser.parse_args()


def reply_to(data):
    try:
        return data.decode("utf-8").upper().encode()
    except UnicodeDecodeError:
        return b"ERR not UTF-8"


def main():
    args = parse_args()
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((args.host, args.port))
    except OSError as e:
        print(f"UDPUpperServer: cannot bind {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with sock:
        while True:
            try:
                # Each datagram carries its sender: the reply goes there, not to
                # whoever sent the first one.
                data, sender = sock.recvfrom(65535)
                sock.sendto(reply_to(data), sender)
            except OSError as e:
                print(f"UDPUpperServer: {e}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
