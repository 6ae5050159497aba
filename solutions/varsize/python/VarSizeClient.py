#!/usr/bin/env python3
"""VarSizeClient: Lab 1, exercise 5, messages of any size (docs/labs/varsize.md).

Reads stdin to its end, sends it as one message to the server at --host:--port
(default 127.0.0.1:65434), followed by <EOF> (or, with --framing length, after a 4-byte
big-endian length), and writes the reply's payload to stdout byte for byte. Exit 1,
with one line on stderr, when it cannot.

Run it:   echo hello | python3 solutions/varsize/python/VarSizeClient.py
Grade it: cargo grade varsize --python --solutions
"""
import argparse
import socket
import struct
import sys

TOKEN = b"<EOF>"
LENGTH = struct.Struct(">I")
TIMEOUT = 10.0  # seconds any one read or write may take
READ_SIZE = 256 * 1024


def parse_args():
    parser = argparse.ArgumentParser(description="The variable-size message client: sends stdin, prints the reply.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65434, help="server port (default: %(default)s)")
    parser.add_argument("--framing", choices=["eof", "length"], default="eof",
                        help="how a message ends: the <EOF> token, or a length prefix (default: %(default)s)")
    return parser.parse_args()


def receive(sock, want_more):
    """Reads until `want_more(buf)` is False; the reply may come in any pieces."""
    buf = bytearray()
    while want_more(buf):
        chunk = sock.recv(READ_SIZE)
        if not chunk:
            raise ConnectionError(f"the server closed the connection after {len(buf)} bytes of its reply")
        buf += chunk
    return buf


def exchange_eof(sock, payload):
    sock.sendall(payload + TOKEN)
    searched = [0]

    def no_token_yet(buf):
        # Search only the new bytes (and a token's length before them): linear time.
        found = buf.find(TOKEN, max(searched[0] - len(TOKEN) + 1, 0)) >= 0
        searched[0] = len(buf)
        return not found

    buf = receive(sock, no_token_yet)
    return bytes(buf[:buf.find(TOKEN)])


def exchange_length(sock, payload):
    sock.sendall(LENGTH.pack(len(payload)) + payload)

    def incomplete(buf):
        return len(buf) < LENGTH.size or len(buf) < LENGTH.size + LENGTH.unpack_from(buf)[0]

    buf = receive(sock, incomplete)
    (size,) = LENGTH.unpack_from(buf)
    return bytes(buf[LENGTH.size:LENGTH.size + size])


def main():
    args = parse_args()
    payload = sys.stdin.buffer.read()
    try:
        with socket.create_connection((args.host, args.port), timeout=TIMEOUT) as sock:
            exchange = exchange_eof if args.framing == "eof" else exchange_length
            reply = exchange(sock, payload)
    except OSError as e:
        print(f"VarSizeClient: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(reply)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
