#!/usr/bin/env python3
"""UDPEchoClient: the lecture's first UDP example (docs/labs/echo.md).

Sends each WORD (default: Mon Tue Wed Thu Fri) as one datagram to the echo server at
--host:--port (default 127.0.0.1:6789), waits for its echo, and prints
Received: <reply>  for each. UDP loses datagrams without telling anyone, so it waits
1 s for each echo, sends the word again, and gives up after 3 tries: exit 1 with one
line on stderr.

Run it:   python3 solutions/echo/python/UDPEchoClient.py hello there
Grade it: cargo grade echo --python --solutions
"""
import argparse
import socket
import sys
import time

DEFAULT_WORDS = ["Mon", "Tue", "Wed", "Thu", "Fri"]
WAIT = 1.0  # seconds to wait for an echo before sending again
TRIES = 3


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP echo client: sends words, prints their echoes.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=6789, help="server port (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=1.0,
                        help="seconds to wait for a reply before sending again (default: %(default)s)")
    parser.add_argument("words", nargs="*", metavar="WORD", help="words to send (default: Mon to Fri)")
    return parser.parse_args()


def ask(sock, data):
    """Sends `data` until its echo comes back, at most TRIES times.

    A datagram that is not this word's echo (a late echo of an earlier word, sent again
    after a timeout) is dropped, and the wait goes on to the same deadline.
    """
    for _ in range(TRIES):
        sock.send(data)
        deadline = time.monotonic() + WAIT
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                reply = sock.recv(65535)
            except socket.timeout:
                break
            if reply == data:
                return reply
    raise TimeoutError(f"no echo of {data.decode(errors='replace')!r} after {TRIES} tries, {WAIT:g} s apart")


def main():
    global WAIT
    args = parse_args()
    WAIT = args.timeout  # the contract's --timeout
    words = args.words or DEFAULT_WORDS
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            # connect() on UDP only fixes the peer: datagrams from anyone else are
            # filtered out, and an ICMP "port unreachable" (no server) comes back as
            # ConnectionRefusedError instead of a silent timeout.
            sock.connect((args.host, args.port))
            for word in words:
                reply = ask(sock, word.encode())
                print(f"Received: {reply.decode('utf-8', errors='replace')}", flush=True)
    except OSError as e:  # TimeoutError and ConnectionRefusedError are OSErrors
        print(f"UDPEchoClient: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
