#!/usr/bin/env python3
"""CalcClient: Assignment 3, the calculate clients (docs/labs/calc.md).

Sends each REQUEST (or, with none, each line of stdin) to the calculate server at
--host:--port (default 127.0.0.1:50007), over TCP or with --udp over UDP, and prints
each reply as it is (an ERR reply too: it is the server's answer). Over UDP it waits
1 s for each reply and tries up to 4 times in all. Exit 1, with one line on stderr,
when it cannot.

Run it:   python3 labs/calc/python/CalcClient.py "+ 4 5" "/ 7 2"
Grade it: cargo grade calc --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The calculate client: sends requests, prints the results.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=50007, help="server port (default: %(default)s)")
    parser.add_argument("--udp", action="store_true", help="send datagrams over UDP instead of TCP")
    parser.add_argument("--timeout", type=float, default=1.0,
                        help="seconds to wait for a reply before sending again (default: %(default)s)")
    parser.add_argument("requests", nargs="*", metavar="REQUEST", help='requests such as "+ 4 5" (default: stdin)')
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: the requests are the arguments, or with none, each non-empty line of stdin.
    # TODO 2: TCP: one connection; for each request send it with \n, read the reply line, print
    #         it as it is (an ERR reply too).
    # TODO 3: --udp: send each request as one datagram; wait args.timeout seconds (--timeout, 1 s by default) for the reply and send again,
    #         4 tries in all, then give up.
    # TODO 4: no server, no reply, giving up: one line to stderr and return 1.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"CalcClient: TODO step 1: send the requests to {args.host}:{args.port} "
        "(see the TODO steps in labs/calc/python/CalcClient.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
