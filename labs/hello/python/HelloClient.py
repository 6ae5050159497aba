#!/usr/bin/env python3
"""HelloClient: Lab 1, exercises 2 (docs/labs/hello.md).

Connects to the Hello World server at --host:--port (default 127.0.0.1:65432), sends
each MESSAGE (default: Hello world) on that one connection, waits for its reply, and
prints  Server says: <reply>  for each. Exit 1, with one line on stderr, when it
cannot.

Run it:   python3 labs/hello/python/HelloClient.py Hello again
Grade it: cargo grade hello --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The Hello World client: sends messages, prints the replies.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65432, help="server port (default: %(default)s)")
    parser.add_argument("messages", nargs="*", metavar="MESSAGE", help="messages to send (default: Hello world)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: connect to (args.host, args.port) with socket.create_connection(..., timeout=5).
    # TODO 2: for each message (default: Hello world), sendall() it encoded as UTF-8, then wait
    #         for its reply before the next (exercise 2). The reply is
    #         I got "<message>" from you and I am sending it back.  so you know its length:
    #         recv() until you have that many bytes.
    # TODO 3: print  Server says: <reply>  for each reply.
    # TODO 4: on any OSError (no server, timeout), print one line to stderr and return 1.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"HelloClient: TODO step 1: connect to {args.host}:{args.port}, send each message and print each reply "
        "(see the TODO steps in labs/hello/python/HelloClient.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
