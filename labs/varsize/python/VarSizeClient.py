#!/usr/bin/env python3
"""VarSizeClient: Lab 1, exercise 5, messages of any size (docs/labs/varsize.md).

Reads stdin to its end, sends it as one message to the server at --host:--port
(default 127.0.0.1:65434), followed by <EOF> (or, with --framing length, after a 4-byte
big-endian length), and writes the reply's payload to stdout byte for byte. Exit 1,
with one line on stderr, when it cannot.

Run it:   echo hello | python3 labs/varsize/python/VarSizeClient.py
Grade it: cargo grade varsize --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The variable-size message client: sends stdin, prints the reply.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65434, help="server port (default: %(default)s)")
    parser.add_argument("--framing", choices=["eof", "length"], default="eof",
                        help="how a message ends: the <EOF> token, or a length prefix (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: read all of stdin as bytes: sys.stdin.buffer.read().
    # TODO 2: connect to (args.host, args.port) and send it framed: followed by b"<EOF>", or
    #         with --framing length after its 4-byte big-endian length.
    # TODO 3: recv() until the reply is whole (its <EOF>, or as many bytes as its length says):
    #         it may come in many pieces.
    # TODO 4: write the reply's payload to sys.stdout.buffer byte for byte.
    # TODO 5: on any OSError, print one line to stderr and return 1.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"VarSizeClient: TODO step 1: send stdin to {args.host}:{args.port} as one message and print the reply "
        "(see the TODO steps in labs/varsize/python/VarSizeClient.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
