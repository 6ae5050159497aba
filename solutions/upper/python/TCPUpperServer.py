#!/usr/bin/env python3
"""TCPUpperServer: Kurose and Ross's TCPServer (docs/labs/upper.md).

Listens on TCP --host:--port (default 127.0.0.1:12000). For each connection it reads
one line, replies it uppercased (any UTF-8 text, not only a to z) with a newline, and
closes the connection; then it serves the next client, until Ctrl-C.

Run it:   python3 solutions/upper/python/TCPUpperServer.py
Grade it: cargo grade upper --python --solutions
"""
import argparse
import socket
import sys

MAX_LINE = 64 * 1024
IDLE_TIMEOUT = 10.0  # seconds: a silent client must not hold this one-at-a-time server


def parse_args():
    parser = argparse.ArgumentParser(description="The TCP uppercase server: replies each line uppercased.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def read_line(conn):
    """The bytes of one line, without its end, gathered across reads.

    The bytes are decoded only once the line is whole: a read may end in the middle
    of a character, and decoding each read apart would break it. A client that closes
    without a newline has sent its line all the same.
    """
    data = b""
    while b"\n" not in data and len(data) < MAX_LINE:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].rstrip(b"\r")


def serve_client(conn):
    line = read_line(conn)
    try:
        reply = line.decode("utf-8").upper()
    except UnicodeDecodeError:
        reply = "ERR not UTF-8"
    conn.sendall(f"{reply}\n".encode())
    conn.shutdown(socket.SHUT_WR)  # the reply is all: the client reads it, then the end


def main():
    args = parse_args()
    try:
        listener = socket.create_server((args.host, args.port))
    except OSError as e:
        print(f"TCPUpperServer: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with listener:
        while True:
            conn, addr = listener.accept()
            with conn:
                try:
                    conn.settimeout(IDLE_TIMEOUT)
                    serve_client(conn)
                except OSError as e:
                    print(f"TCPUpperServer: {addr[0]}:{addr[1]}: {e}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
