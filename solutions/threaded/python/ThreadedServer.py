#!/usr/bin/env python3
"""ThreadedServer: the lecture's multithreaded TCP server (docs/labs/threaded.md).

Listens on TCP --host:--port (default 127.0.0.1:2004) and, for every read, replies
Server message: <data>. Each client has a thread of its own, so many are served at
once: one that is silent, stalls half way, or vanishes delays nobody else.

Run it:   python3 solutions/threaded/python/ThreadedServer.py
Grade it: cargo grade threaded --python --solutions
"""
import argparse
import socket
import sys
import threading

PREFIX = b"Server message: "


def parse_args():
    parser = argparse.ArgumentParser(description="The multithreaded server: replies to many clients at once.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=2004, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def serve_client(conn, addr):
    """Replies to every read of one client until it closes or vanishes.

    Only this thread waits on this client; an error here ends this conversation and
    nothing else.
    """
    with conn:
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall(PREFIX + data)  # bytes: UTF-8 goes back byte for byte
        except OSError as e:
            print(f"ThreadedServer: {addr[0]}:{addr[1]}: {e}", file=sys.stderr)


def main():
    args = parse_args()
    try:
        # A long accept queue: hundreds of clients may connect in the same instant.
        listener = socket.create_server((args.host, args.port), backlog=512)
    except OSError as e:
        print(f"ThreadedServer: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with listener:
        while True:
            conn, addr = listener.accept()
            threading.Thread(target=serve_client, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
