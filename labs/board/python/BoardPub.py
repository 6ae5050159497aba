#!/usr/bin/env python3
"""BoardPub: Assignment 3, the board's publisher (docs/labs/board.md).

  BoardPub.py create <topic>             sends CREATE <topic>
  BoardPub.py post <topic> <message>...  sends POST <topic> <message> (words joined
                                         by spaces)
to the board server at --host:--port (default 127.0.0.1:10000) and prints its reply
line. Exit 1 on an ERR reply, or with one line on stderr when there is no server.

Run it:   python3 labs/board/python/BoardPub.py post news hello world
Grade it: cargo grade board --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The message board publisher: creates topics and posts.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=10000, help="server control port (default: %(default)s)")
    parser.add_argument("--iface", default="127.0.0.1", help="accepted for symmetry with the others; unused")
    parser.add_argument("action", choices=["create", "post"])
    parser.add_argument("topic")
    parser.add_argument("message", nargs="*", help="the words of the message (post)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: build the command: CREATE <topic>, or POST <topic> <the message words joined by
    #         spaces>.
    # TODO 2: connect to (args.host, args.port), send it with \n, read the reply line.
    # TODO 3: print the reply; return 1 if it starts with ERR, else 0.
    # TODO 4: no server, no reply: one line to stderr and return 1.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"BoardPub: TODO step 1: send {args.action} {args.topic} to {args.host}:{args.port} "
        "(see the TODO steps in labs/board/python/BoardPub.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
