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


def main():
    args = parse_args()
    # TODO 1: listen on (args.host, args.port) and accept clients one after another, forever.
    # TODO 2: for each client, recv() until b"" and sendall() every read back unchanged.
    # TODO 3: an error with one client must not stop the server.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"TCPEchoServer: TODO step 1: listen on {args.host}:{args.port} and echo "
        "(see the TODO steps in labs/echo/python/TCPEchoServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
