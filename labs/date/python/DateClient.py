#!/usr/bin/env python3
"""DateClient: Lab 3, exercise 2 (docs/labs/date.md).

Connects to the date server at --host:--port (default 127.0.0.1:6015), sends the line
"What time is it?", and prints the reply line as it is. Exit 1, with one line on
stderr, when it cannot.

Run it:   python3 labs/date/python/DateClient.py
Grade it: cargo grade date --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The date client: asks the server for the time.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=6015, help="server port (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: connect to (args.host, args.port) (socket.create_connection, timeout=5).
    # TODO 2: send the line  What time is it?\n
    # TODO 3: read the reply line (sock.makefile("rb").readline()) and print it as it is.
    # TODO 4: on any OSError, or no reply, print one line to stderr and return 1.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"DateClient: TODO step 1: ask {args.host}:{args.port} for the time "
        "(see the TODO steps in labs/date/python/DateClient.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
