#!/usr/bin/env python3
"""DateServer: Lab 3, exercise 1 (docs/labs/date.md).

Listens on TCP --host:--port (default 127.0.0.1:6015). For each connection it reads one
request line (any text; DateClient sends "What time is it?"), replies one line, the
current date and time in RFC 3339 (2026-11-21T23:25:51+01:00), and closes the
connection. Every client has a thread of its own, so one that connects and stays
silent delays nobody else.

Run it:   python3 labs/date/python/DateServer.py
Grade it: cargo grade date --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The date server: tells each client the time.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=6015, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: listen on (args.host, args.port) and accept clients forever.
    # TODO 2: give each client a thread of its own (threading.Thread(..., daemon=True)): a
    #         client that connects and stays silent must not delay anyone else.
    # TODO 3: in the thread: read the request line (recv until b"\n"; any text). A client that
    #         closes first gets nothing.
    # TODO 4: reply one line, the time in RFC 3339 with seconds:
    #         datetime.now().astimezone().isoformat(timespec="seconds") + "\n", then close.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"DateServer: TODO step 1: listen on {args.host}:{args.port} and tell each client the time "
        "(see the TODO steps in labs/date/python/DateServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
