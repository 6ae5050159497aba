#!/usr/bin/env python3
"""HelloServer: Lab 1, exercises 1 and 3 (docs/labs/hello.md).

Listens on TCP --host:--port (default 127.0.0.1:65432) and, for every read that
returns data, replies  I got "<data>" from you and I am sending it back.  It serves
one client after another and keeps running after each, until Ctrl-C.

Run it:   python3 solutions/hello/python/HelloServer.py
Grade it: cargo grade hello --python --solutions
"""
import argparse
import socket
import sys

PREFIX = b'I got "'
SUFFIX = b'" from you and I am sending it back.'


def parse_args():
    parser = argparse.ArgumentParser(description="The Hello World server: replies to every message it reads.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65432, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def serve_client(conn):
    """Replies to every read until the client closes its side.

    The reply is built from bytes, not text: a UTF-8 character that a read cut in two
    goes back whole, byte for byte, as the two halves come in.
    """
    while True:
        data = conn.recv(4096)
        if not data:  # the client closed: this conversation is over
            return
        conn.sendall(PREFIX + data + SUFFIX)


def main():
    args = parse_args()
    try:
        listener = socket.create_server((args.host, args.port))
    except OSError as e:
        print(f"HelloServer: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with listener:
        # Exercise 3: the loop around accept() is what keeps the server running.
        while True:
            conn, addr = listener.accept()
            with conn:
                try:
                    serve_client(conn)
                except OSError as e:
                    # One client's trouble (a reset connection) never stops the server.
                    print(f"HelloServer: {addr[0]}:{addr[1]}: {e}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
