#!/usr/bin/env python3
"""UDPUpperServer: Kurose and Ross's UDPServer (docs/labs/upper.md).

Binds UDP --host:--port (default 127.0.0.1:12000) and replies each datagram uppercased
(any UTF-8 text) to the address it came from, until Ctrl-C. A datagram that is not
UTF-8 gets an ERR reply, and the server goes on.

Run it:   python3 labs/upper/python/UDPUpperServer.py
Grade it: cargo grade upper --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP uppercase server: replies each datagram uppercased.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="port to bind (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: make a UDP socket and bind it to (args.host, args.port).
    # TODO 2: loop: data, sender = recvfrom(65535); reply data.decode().upper() to sender
    #         (ERR for bytes that are not UTF-8).
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"UDPUpperServer: TODO step 1: bind UDP {args.host}:{args.port} and reply datagrams uppercased "
        "(see the TODO steps in labs/upper/python/UDPUpperServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
