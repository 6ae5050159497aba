#!/usr/bin/env python3
"""SumServer: Lab 1, exercise 4 (docs/labs/hello.md).

Listens on TCP --host:--port (default 127.0.0.1:65433). Each request is one line of
numbers separated by whitespace; the reply is one line, their sum: an integer when
every number is one (ERR overflow past the 64-bit range), a decimal when any is a
decimal, 0 for an empty line, ERR not a number: <token> for anything else. A
connection carries any number of requests; clients are served one after another.

Run it:   python3 labs/hello/python/SumServer.py
Grade it: cargo grade hello --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The sum server: adds up the numbers on each line.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65433, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: listen on (args.host, args.port) (socket.create_server) and accept clients one
    #         after another, forever.
    # TODO 2: for each client, recv() into a buffer and answer every complete line (up to b"\n")
    #         in order; keep the unfinished end for the next read: a request may be split
    #         across writes, and several may arrive in one.
    # TODO 3: the reply to a line is its numbers' sum and "\n": tokens are split on whitespace
    #         (so \r\n works); all integers: an int (ERR overflow past the 64-bit range);
    #         any decimal: a float; an empty line: 0; a token that is not a number:
    #         ERR not a number: <token>.
    # TODO 4: an error with one client must not stop the server: print it to stderr, go on.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"SumServer: TODO step 1: listen on {args.host}:{args.port} and answer each line with its sum "
        "(see the TODO steps in labs/hello/python/SumServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
