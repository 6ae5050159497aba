#!/usr/bin/env python3
"""TCPUpperClient: Kurose and Ross's TCPClient (docs/labs/upper.md).

Reads one line from stdin, sends it with a newline to the server at --host:--port
(default 127.0.0.1:12000), and prints  From Server: <reply>. Exit 1, with one line on
stderr, when there is no server or no reply.

Run it:   echo hello | python3 solutions/upper/python/TCPUpperClient.py
Grade it: cargo grade upper --python --solutions
"""
import argparse
import socket
import sys

TIMEOUT = 5.0  # seconds: a server that never answers must not hang the client


def parse_args():
    parser = argparse.ArgumentParser(description="The TCP uppercase client: sends a line, prints the reply.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="server port (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # No prompt: stdout holds the result alone.
    sentence = sys.stdin.readline().rstrip("\r\n")
    try:
        with socket.create_connection((args.host, args.port), timeout=TIMEOUT) as sock:
            sock.sendall(f"{sentence}\n".encode())
            # The reply may come in pieces: readline() gathers it up to its newline,
            # or to the server's close.
            with sock.makefile("rb") as reader:
                reply = reader.readline()
        if not reply:
            raise ConnectionError("the server closed the connection without a reply")
        text = reply.rstrip(b"\r\n").decode("utf-8", errors="replace")
        print(f"From Server: {text}")
    except OSError as e:
        print(f"TCPUpperClient: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
