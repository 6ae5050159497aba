#!/usr/bin/env python3
"""DateServer: Lab 3, exercise 1 (docs/labs/date.md).

Listens on TCP --host:--port (default 127.0.0.1:6015). For each connection it reads one
request line (any text; DateClient sends "What time is it?"), replies one line, the
current date and time in RFC 3339 (2026-11-21T23:25:51+01:00), and closes the
connection. Every client has a thread of its own, so one that connects and stays
silent delays nobody else.

Run it:   python3 solutions/date/python/DateServer.py
Grade it: cargo grade date --python --solutions
"""
import argparse
import socket
import sys
import threading
from datetime import datetime

MAX_REQUEST = 64 * 1024  # a request line longer than this is not waited for
IDLE_TIMEOUT = 60.0  # seconds a silent client may hold its thread


def parse_args():
    parser = argparse.ArgumentParser(description="The date server: tells each client the time.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=6015, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def now_rfc3339():
    """The local time with its UTC offset, to the second: 2026-11-21T23:25:51+01:00."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def read_request(conn):
    """The request line, or None when the client closed before sending a whole one.

    A line may arrive in pieces: bytes are gathered until the newline.
    """
    data = b""
    while b"\n" not in data and len(data) < MAX_REQUEST:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data.split(b"\n", 1)[0].rstrip(b"\r")


def serve_client(conn, addr):
    """Answers one client, then closes: the reply is the whole conversation."""
    with conn:
        try:
            conn.settimeout(IDLE_TIMEOUT)
            if read_request(conn) is None:
                return
            conn.sendall(f"{now_rfc3339()}\n".encode())
            # Half-close first: the client reads the reply, then the end of the stream.
            conn.shutdown(socket.SHUT_WR)
        except OSError as e:
            print(f"DateServer: {addr[0]}:{addr[1]}: {e}", file=sys.stderr)


def main():
    args = parse_args()
    try:
        listener = socket.create_server((args.host, args.port), backlog=128)
    except OSError as e:
        print(f"DateServer: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with listener:
        while True:
            conn, addr = listener.accept()
            # A thread per client: accept() comes round again at once, whatever this
            # client does. Daemon threads end with the server.
            threading.Thread(target=serve_client, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
