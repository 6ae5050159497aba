#!/usr/bin/env python3
"""HelloServer: Lab 1, exercises 1 and 3 (docs/labs/hello.md).

Listens on TCP --host:--port (default 127.0.0.1:65432) and, for every read that
returns data, replies  I got "<data>" from you and I am sending it back.  It serves
one client after another and keeps running after each, until Ctrl-C.

Run it:   python3 labs/hello/python/HelloServer.py
Grade it: cargo grade hello --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The Hello World server: replies to every message it reads.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65432, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: make a listening TCP socket bound to (args.host, args.port): socket.create_server().
    #         If that fails (OSError), print one line to stderr and return 1.
    # TODO 2: loop forever around accept(): each call gives one client's connection. Exercise 3:
    #         the loop is what keeps the server running after a client leaves.
    # TODO 3: for each client, recv() until it returns b"" (the client closed). For every read
    #         of data, sendall() the reply  I got "<data>" from you and I am sending it back.
    #         (build it from bytes: b'I got "' + data + b'" from you and I am sending it back.')
    # TODO 4: an error with one client (OSError: a reset connection) must not stop the server:
    #         print it to stderr and go on to the next client.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"HelloServer: TODO step 1: listen on {args.host}:{args.port} and reply to every read "
        "(see the TODO steps in labs/hello/python/HelloServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
