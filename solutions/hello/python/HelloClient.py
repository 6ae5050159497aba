#!/usr/bin/env python3
"""HelloClient: Lab 1, exercises 2 (docs/labs/hello.md).

Connects to the Hello World server at --host:--port (default 127.0.0.1:65432), sends
each MESSAGE (default: Hello world) on that one connection, waits for its reply, and
prints  Server says: <reply>  for each. Exit 1, with one line on stderr, when it
cannot.

Run it:   python3 solutions/hello/python/HelloClient.py Hello again
Grade it: cargo grade hello --python --solutions
"""
import argparse
import socket
import sys

PREFIX = b'I got "'
SUFFIX = b'" from you and I am sending it back.'
TIMEOUT = 5.0  # seconds: a server that never answers must not hang the client


def parse_args():
    parser = argparse.ArgumentParser(description="The Hello World client: sends messages, prints the replies.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65432, help="server port (default: %(default)s)")
    parser.add_argument("messages", nargs="*", metavar="MESSAGE", help="messages to send (default: Hello world)")
    return parser.parse_args()


def receive_reply(sock, size):
    """Reads the reply to one message: `size` bytes, however many reads they take.

    The protocol has no framing, but the reply to a message is known in advance, so
    its length says when it is complete; a reply that arrives in pieces is joined.
    """
    reply = bytearray()
    while len(reply) < size:
        chunk = sock.recv(size - len(reply))
        if not chunk:
            if reply:
                break  # a shorter reply than expected: print what came
            raise ConnectionError("the server closed the connection without replying")
        reply += chunk
    return bytes(reply)


def main():
    args = parse_args()
    messages = args.messages or ["Hello world"]
    try:
        with socket.create_connection((args.host, args.port), timeout=TIMEOUT) as sock:
            for message in messages:
                data = message.encode()
                sock.sendall(data)
                # Exercise 2: wait for each reply before sending the next message.
                reply = receive_reply(sock, len(PREFIX) + len(data) + len(SUFFIX))
                print(f"Server says: {reply.decode('utf-8', errors='replace')}", flush=True)
    except OSError as e:
        print(f"HelloClient: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
