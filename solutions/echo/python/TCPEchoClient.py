#!/usr/bin/env python3
"""TCPEchoClient: the lecture's first TCP example (docs/labs/echo.md).

Connects to the echo server at --host:--port (default 127.0.0.1:65432), sends each
WORD (default: Mon Tue Wed Thu Fri) in turn on that connection, waits for its whole
echo, and prints  Received: <reply>  for each. Exit 1, with one line on stderr, when
it cannot.

Run it:   python3 solutions/echo/python/TCPEchoClient.py hello there
Grade it: cargo grade echo --python --solutions
"""
import argparse
import socket
import sys

DEFAULT_WORDS = ["Mon", "Tue", "Wed", "Thu", "Fri"]
TIMEOUT = 5.0  # seconds: a server that never answers must not hang the client


def parse_args():
    parser = argparse.ArgumentParser(description="The TCP echo client: sends words, prints their echoes.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65432, help="server port (default: %(default)s)")
    parser.add_argument("words", nargs="*", metavar="WORD", help="words to send (default: Mon to Fri)")
    return parser.parse_args()


def receive_exactly(sock, size):
    """Reads `size` bytes: an echo may come back in several pieces."""
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"the server closed the connection after {len(data)} of {size} bytes")
        data += chunk
    return bytes(data)


def main():
    args = parse_args()
    words = args.words or DEFAULT_WORDS
    try:
        with socket.create_connection((args.host, args.port), timeout=TIMEOUT) as sock:
            for word in words:
                data = word.encode()
                sock.sendall(data)
                reply = receive_exactly(sock, len(data))
                print(f"Received: {reply.decode('utf-8', errors='replace')}", flush=True)
    except OSError as e:
        print(f"TCPEchoClient: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
