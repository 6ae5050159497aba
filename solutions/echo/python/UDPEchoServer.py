#!/usr/bin/env python3
"""UDPEchoServer: the lecture's first UDP example (docs/labs/echo.md).

Binds UDP --host:--port (default 127.0.0.1:6789) and sends every datagram back to the
address it came from, until Ctrl-C.

Run it:   python3 solutions/echo/python/UDPEchoServer.py
Grade it: cargo grade echo --python --solutions
"""
import argparse
import socket
import sys

MAX_DATAGRAM = 65535  # the largest UDP payload: a smaller buffer cuts datagrams short


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP echo server: sends each datagram back.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=6789, help="port to bind (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((args.host, args.port))
    except OSError as e:
        print(f"UDPEchoServer: cannot bind {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with sock:
        while True:
            try:
                # UDP has no connection: each datagram says who sent it, and the
                # echo goes to that address, whoever sent the one before.
                data, sender = sock.recvfrom(MAX_DATAGRAM)
                sock.sendto(data, sender)
            except OSError as e:
                print(f"UDPEchoServer: {e}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
