#!/usr/bin/env python3
"""TCPEchoClient: the lecture's first TCP example (docs/labs/echo.md).

Connects to the echo server at --host:--port (default 127.0.0.1:65432), sends each
WORD (default: Mon Tue Wed Thu Fri) in turn on that connection, waits for its whole
echo, and prints  Received: <reply>  for each. Exit 1, with one line on stderr, when
it cannot.

Run it:   python3 labs/echo/python/TCPEchoClient.py hello there
Grade it: cargo grade echo --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The TCP echo client: sends words, prints their echoes.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65432, help="server port (default: %(default)s)")
    parser.add_argument("words", nargs="*", metavar="WORD", help="words to send (default: Mon to Fri)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: connect to (args.host, args.port) (socket.create_connection, timeout=5).
    # TODO 2: for each word (default Mon Tue Wed Thu Fri): sendall() it, then recv() until the
    #         whole echo (as many bytes as you sent) is back: it may come in pieces.
    # TODO 3: print  Received: <reply>  for each.
    # TODO 4: on any OSError, print one line to stderr and return 1.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"TCPEchoClient: TODO step 1: send each word to {args.host}:{args.port} and print each echo "
        "(see the TODO steps in labs/echo/python/TCPEchoClient.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
