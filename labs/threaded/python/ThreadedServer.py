#!/usr/bin/env python3
"""ThreadedServer: the lecture's multithreaded TCP server (docs/labs/threaded.md).

Listens on TCP --host:--port (default 127.0.0.1:2004) and, for every read, replies
Server message: <data>. Each client has a thread of its own, so many are served at
once: one that is silent, stalls half way, or vanishes delays nobody else.

Run it:   python3 labs/threaded/python/ThreadedServer.py
Grade it: cargo grade threaded --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The multithreaded server: replies to many clients at once.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=2004, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: listen on (args.host, args.port) with a long accept queue (backlog=512).
    # TODO 2: accept forever; start a daemon thread per client, so a silent, slow or vanishing
    #         client never holds up the others.
    # TODO 3: in the thread: for every read, sendall(b"Server message: " + data) until the client
    #         closes; an OSError ends this client only.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"ThreadedServer: TODO step 1: listen on {args.host}:{args.port} and serve many clients at once "
        "(see the TODO steps in labs/threaded/python/ThreadedServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
