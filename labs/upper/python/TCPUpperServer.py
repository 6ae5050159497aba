#!/usr/bin/env python3
"""TCPUpperServer: Kurose and Ross's TCPServer (docs/labs/upper.md).

Listens on TCP --host:--port (default 127.0.0.1:12000). For each connection it reads
one line, replies it uppercased (any UTF-8 text, not only a to z) with a newline, and
closes the connection; then it serves the next client, until Ctrl-C.

Run it:   python3 labs/upper/python/TCPUpperServer.py
Grade it: cargo grade upper --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The TCP uppercase server: replies each line uppercased.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: listen on (args.host, args.port) and accept clients one after another, forever.
    # TODO 2: for each client, recv() until the line's b"\n" (or the client's close): a line,
    #         even a UTF-8 character, may be split across reads. Decode it only when whole.
    # TODO 3: reply it .upper()ed with "\n", then close; bytes that are not UTF-8 get an ERR
    #         reply, and the server goes on.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"TCPUpperServer: TODO step 1: listen on {args.host}:{args.port} and reply lines uppercased "
        "(see the TODO steps in labs/upper/python/TCPUpperServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
