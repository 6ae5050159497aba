#!/usr/bin/env python3
"""DateClient: Lab 3, exercise 2 (docs/labs/date.md).

Connects to the date server at --host:--port (default 127.0.0.1:6015), sends the line
"What time is it?", and prints the reply line as it is. Exit 1, with one line on
stderr, when it cannot.

Run it:   python3 solutions/date/python/DateClient.py
Grade it: cargo grade date --python --solutions
"""
import argparse
import socket
import sys

REQUEST = b"What time is it?\n"
TIMEOUT = 5.0  # seconds: a server that never answers must not hang the client


def parse_args():
    parser = argparse.ArgumentParser(description="The date client: asks the server for the time.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=6015, help="server port (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    try:
        with socket.create_connection((args.host, args.port), timeout=TIMEOUT) as sock:
            sock.sendall(REQUEST)
            # readline() gathers the reply however many reads it takes.
            with sock.makefile("rb") as reader:
                line = reader.readline()
        if not line.endswith(b"\n"):
            raise ConnectionError("the server closed the connection before a whole reply line")
        print(line.rstrip(b"\r\n").decode("utf-8", errors="replace"))
    except OSError as e:
        print(f"DateClient: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
