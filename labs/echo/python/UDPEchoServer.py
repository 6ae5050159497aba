#!/usr/bin/env python3
"""UDPEchoServer: the lecture's first UDP example (docs/labs/echo.md).

Binds UDP --host:--port (default 127.0.0.1:6789) and sends every datagram back to the
address it came from, until Ctrl-C.

Run it:   python3 labs/echo/python/UDPEchoServer.py
Grade it: cargo grade echo --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP echo server: sends each datagram back.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=6789, help="port to bind (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: make a UDP socket (socket.SOCK_DGRAM) and bind it to (args.host, args.port).
    # TODO 2: loop: data, sender = recvfrom(65535) (smaller buffers cut big datagrams), then
    #         sendto(data, sender): each reply goes to its own datagram's sender.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"UDPEchoServer: TODO step 1: bind UDP {args.host}:{args.port} and echo datagrams "
        "(see the TODO steps in labs/echo/python/UDPEchoServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
