#!/usr/bin/env python3
"""TCPEchoServer: the lecture's first TCP example (docs/labs/echo.md).

Listens on TCP --host:--port (default 127.0.0.1:65432) and sends back every byte it
reads, to one client after another, until Ctrl-C.

Run it:   python3 labs/echo/python/TCPEchoServer.py
Grade it: cargo grade echo --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The TCP echo server: sends back what it reads.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65432, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def todo(what):
    """Stops the program with one clear line: what is still to be written."""
    print(f"TCPEchoServer: TODO step 1: {what} (see the TODO steps in labs/echo/python/TCPEchoServer.py)", file=sys.stderr)
    sys.exit(1)


def main():
    args = parse_args()
    # TODO 1: listen on (args.host, args.port) and accept clients one after another, forever.
    # TODO 2: for each client, recv() until b"" and sendall() every read back unchanged.
    # TODO 3: an error with one client must not stop the server.
    todo(f"listen on {args.host}:{args.port} and echo")


if __name__ == "__main__":
    sys.exit(main())
