#!/usr/bin/env python3
"""UDPEchoClient: the lecture's first UDP example (docs/labs/echo.md).

Sends each WORD (default: Mon Tue Wed Thu Fri) as one datagram to the echo server at
--host:--port (default 127.0.0.1:6789), waits for its echo, and prints
Received: <reply>  for each. UDP loses datagrams without telling anyone, so it waits
1 s for each echo, sends the word again, and gives up after 3 tries: exit 1 with one
line on stderr.

Run it:   python3 labs/echo/python/UDPEchoClient.py hello there
Grade it: cargo grade echo --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP echo client: sends words, prints their echoes.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=6789, help="server port (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=1.0,
                        help="seconds to wait for a reply before sending again (default: %(default)s)")
    parser.add_argument("words", nargs="*", metavar="WORD", help="words to send (default: Mon to Fri)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: make a UDP socket and connect() it to (args.host, args.port): it then hears only
    #         the server, and no server shows as ConnectionRefusedError.
    # TODO 2: for each word (default Mon to Fri): send it, wait for its echo with a timeout
    #         (settimeout(args.timeout): --timeout, 1 s by default); on socket.timeout send it again; give up after 3 tries.
    # TODO 3: print  Received: <reply>  for each.
    # TODO 4: giving up, or any OSError: one line to stderr and return 1.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"UDPEchoClient: TODO step 1: send each word to {args.host}:{args.port} over UDP "
        "(see the TODO steps in labs/echo/python/UDPEchoClient.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
