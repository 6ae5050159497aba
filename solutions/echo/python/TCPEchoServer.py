#!/usr/bin/env python3
"""TCPEchoServer: the lecture's first TCP example (docs/labs/echo.md).

Listens on TCP --host:--port (default 127.0.0.1:65432) and sends back every byte it
reads, to one client after another, until Ctrl-C.

Run it:   python3 solutions/echo/python/TCPEchoServer.py
Grade it: cargo grade echo --python --solutions
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The TCP echo server: sends back what it reads.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65432, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def echo(conn):
    """Sends back each read as it is, bytes and all, until the client closes.

    sendall(), not send(): send() may write only part of what it is given.
    """
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


def main():
    args = parse_args()
    try:
        listener = socket.create_server((args.host, args.port))
    except OSError as e:
        print(f"TCPEchoServer: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with listener:
        while True:
            conn, addr = listener.accept()
            with conn:
                try:
                    echo(conn)
                except OSError as e:
                    print(f"TCPEchoServer: {addr[0]}:{addr[1]}: {e}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
