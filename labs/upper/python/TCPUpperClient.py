#!/usr/bin/env python3
"""TCPUpperClient: Kurose and Ross's TCPClient (docs/labs/upper.md).

Reads one line from stdin, sends it with a newline to the server at --host:--port
(default 127.0.0.1:12000), and prints  From Server: <reply>. Exit 1, with one line on
stderr, when there is no server or no reply.

Run it:   echo hello | python3 labs/upper/python/TCPUpperClient.py
Grade it: cargo grade upper --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The TCP uppercase client: sends a line, prints the reply.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="server port (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: read one line from stdin (sys.stdin.readline()), no prompt.
    # TODO 2: connect to (args.host, args.port) and send it with "\n".
    # TODO 3: read the reply line (it may come in pieces) and print  From Server: <reply>.
    # TODO 4: no server, or a close without a reply: one line to stderr and return 1.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"TCPUpperClient: TODO step 1: send a line to {args.host}:{args.port} and print the reply "
        "(see the TODO steps in labs/upper/python/TCPUpperClient.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
