#!/usr/bin/env python3
"""VarSizeServer: Lab 1, exercise 5, messages of any size (docs/labs/varsize.md).

Listens on TCP --host:--port (default 127.0.0.1:65434). A message is any bytes followed
by the token <EOF>; for each complete message the server replies the same bytes and
<EOF>. With --framing length a message is a 4-byte big-endian length and that many
bytes instead, and so is the reply. Any number of messages per connection, in any
fragmentation, up to 64 MiB each, in time and memory linear in their size.

Run it:   python3 solutions/varsize/python/VarSizeServer.py [--framing eof|length]
Grade it: cargo grade varsize --python --solutions
"""
import argparse
import socket
import struct
import sys

TOKEN = b"<EOF>"
LENGTH = struct.Struct(">I")  # the length prefix: 4 bytes, big-endian (network order)
READ_SIZE = 256 * 1024


def parse_args():
    parser = argparse.ArgumentParser(description="The variable-size message server: echoes framed messages.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65434, help="port to listen on (default: %(default)s)")
    parser.add_argument("--framing", choices=["eof", "length"], default="eof",
                        help="how a message ends: the <EOF> token, or a length prefix (default: %(default)s)")
    return parser.parse_args()


class EofFramer:
    """Cuts a byte stream into messages that end with <EOF>.

    The search for the token starts where the last one stopped (less the token's length,
    since a token may be split across reads), so a 64 MiB message is searched once,
    not once per read: linear time.
    """

    def __init__(self):
        self.searched = 0

    def messages(self, buf):
        found, start = [], 0
        at = buf.find(TOKEN, max(self.searched - len(TOKEN) + 1, 0))
        while at >= 0:
            found.append(bytes(buf[start:at]))
            start = at + len(TOKEN)
            at = buf.find(TOKEN, start)
        del buf[:start]  # what is left is the beginning of the next message
        self.searched = len(buf)
        return found

    @staticmethod
    def frame(payload):
        return payload + TOKEN


class LengthFramer:
    """Cuts a byte stream into messages that start with their length."""

    @staticmethod
    def messages(buf):
        found, start = [], 0
        while len(buf) - start >= LENGTH.size:
            (size,) = LENGTH.unpack_from(buf, start)
            end = start + LENGTH.size + size
            if len(buf) < end:
                break  # the rest of this message is still on its way
            found.append(bytes(buf[start + LENGTH.size:end]))
            start = end
        del buf[:start]
        return found

    @staticmethod
    def frame(payload):
        return LENGTH.pack(len(payload)) + payload


def serve_client(conn, framer):
    """Answers every complete message as soon as its end has come, in order.

    A read may hold part of a message, several messages, or the end of one and the
    start of the next: bytes are kept in a buffer until a message is whole.
    """
    buf = bytearray()
    while True:
        data = conn.recv(READ_SIZE)
        if not data:
            return  # the client left; a message it did not finish is dropped
        buf += data
        replies = [framer.frame(m) for m in framer.messages(buf)]
        if replies:
            conn.sendall(b"".join(replies))


def main():
    args = parse_args()
    try:
        listener = socket.create_server((args.host, args.port))
    except OSError as e:
        print(f"VarSizeServer: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with listener:
        while True:
            conn, addr = listener.accept()
            with conn:
                try:
                    serve_client(conn, EofFramer() if args.framing == "eof" else LengthFramer())
                except OSError as e:
                    print(f"VarSizeServer: {addr[0]}:{addr[1]}: {e}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
