#!/usr/bin/env python3
"""SumClient: Lab 1, exercise 4 (docs/labs/hello.md).

Connects to the sum server at --host:--port (default 127.0.0.1:65433), sends its
NUMBER arguments as one line, and prints the reply line. Exit 1, with one line on
stderr, when it cannot (no server, no reply).

Run it:   python3 labs/hello/python/SumClient.py 1 2 3.5
Grade it: cargo grade hello --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The sum client: asks the server to add up numbers.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65433, help="server port (default: %(default)s)")
    # argparse takes -5 for a number, not an option, since no option looks like one.
    parser.add_argument("numbers", nargs="*", metavar="NUMBER", help="the numbers to add up")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: connect to (args.host, args.port) (socket.create_connection, timeout=5).
    # TODO 2: send the numbers joined by spaces, followed by "\n".
    # TODO 3: read the reply up to its "\n" (sock.makefile("rb").readline()) and print it
    #         without the newline.
    # TODO 4: on any OSError, or no reply, print one line to stderr and return 1.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"SumClient: TODO step 1: send {args.numbers} to {args.host}:{args.port} and print the reply "
        "(see the TODO steps in labs/hello/python/SumClient.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
