#!/usr/bin/env python3
"""BoardPub: Assignment 3, the board's publisher (docs/labs/board.md).

  BoardPub.py create <topic>             sends CREATE <topic>
  BoardPub.py post <topic> <message>...  sends POST <topic> <message> (words joined
                                         by spaces)
to the board server at --host:--port (default 127.0.0.1:10000) and prints its reply
line. Exit 1 on an ERR reply, or with one line on stderr when there is no server.

Run it:   python3 solutions/board/python/BoardPub.py post news hello world
Grade it: cargo grade board --python --solutions
"""
import argparse
import socket
import sys

TIMEOUT = 5.0


def parse_args():
    parser = argparse.ArgumentParser(description="The message board publisher: creates topics and posts.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=10000, help="server control port (default: %(default)s)")
    parser.add_argument("--iface", default="127.0.0.1", help="accepted for symmetry with the others; unused")
    parser.add_argument("action", choices=["create", "post"])
    parser.add_argument("topic")
    parser.add_argument("message", nargs="*", help="the words of the message (post)")
    return parser.parse_args()


def command_of(args):
    if args.action == "create":
        return f"CREATE {args.topic}"
    return f"POST {args.topic} {' '.join(args.message)}"


def main():
    args = parse_args()
    try:
        with socket.create_connection((args.host, args.port), timeout=TIMEOUT) as sock:
            sock.sendall(f"{command_of(args)}\n".encode())
            with sock.makefile("rb") as reader:
                reply = reader.readline()
        if not reply.endswith(b"\n"):
            raise ConnectionError("the server closed the connection without a reply")
    except OSError as e:
        print(f"BoardPub: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    reply = reply.rstrip(b"\r\n").decode("utf-8", errors="replace")
    print(reply)
    return 1 if reply.startswith("ERR") else 0


if __name__ == "__main__":
    sys.exit(main())
