#!/usr/bin/env python3
"""SumClient: Lab 1, exercise 4 (docs/labs/hello.md).

Connects to the sum server at --host:--port (default 127.0.0.1:65433), sends its
NUMBER arguments as one line, and prints the reply line. Exit 1, with one line on
stderr, when it cannot (no server, no reply).

Run it:   python3 solutions/hello/python/SumClient.py 1 2 3.5
Grade it: cargo grade hello --python --solutions
"""
import argparse
import socket
import sys

TIMEOUT = 5.0  # seconds: a server that never answers must not hang the client


def parse_args():
    parser = argparse.ArgumentParser(description="The sum client: asks the server to add up numbers.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65433, help="server port (default: %(default)s)")
    # argparse takes -5 for a number, not an option, since no option looks like one.
    parser.add_argument("numbers", nargs="*", metavar="NUMBER", help="the numbers to add up")
    return parser.parse_args()


def read_line(sock):
    """The bytes up to the first newline, however many reads they take."""
    with sock.makefile("rb") as reader:
        line = reader.readline()
    if not line.endswith(b"\n"):
        raise ConnectionError("the server closed the connection before a whole reply line")
    return line.rstrip(b"\r\n").decode("utf-8", errors="replace")


def main():
    args = parse_args()
    try:
        with socket.create_connection((args.host, args.port), timeout=TIMEOUT) as sock:
            sock.sendall((" ".join(args.numbers) + "\n").encode())
            print(read_line(sock))
    except OSError as e:
        print(f"SumClient: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
