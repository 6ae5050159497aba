#!/usr/bin/env python3
"""CalcClient: Assignment 3, the calculate clients (docs/labs/calc.md).

Sends each REQUEST (or, with none, each line of stdin) to the calculate server at
--host:--port (default 127.0.0.1:50007), over TCP or with --udp over UDP, and prints
each reply as it is (an ERR reply too: it is the server's answer). Over UDP it waits
1 s for each reply and tries up to 4 times in all. Exit 1, with one line on stderr,
when it cannot.

Run it:   python3 solutions/calc/python/CalcClient.py "+ 4 5" "/ 7 2"
Grade it: cargo grade calc --python --solutions
"""
import argparse
import socket
import sys

TIMEOUT = 5.0  # seconds a TCP read may take
WAIT = 1.0  # seconds to wait for a UDP reply before sending again
TRIES = 4  # the first send and 3 retries


def parse_args():
    parser = argparse.ArgumentParser(description="The calculate client: sends requests, prints the results.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=50007, help="server port (default: %(default)s)")
    parser.add_argument("--udp", action="store_true", help="send datagrams over UDP instead of TCP")
    parser.add_argument("--timeout", type=float, default=1.0,
                        help="seconds to wait for a reply before sending again (default: %(default)s)")
    parser.add_argument("requests", nargs="*", metavar="REQUEST", help='requests such as "+ 4 5" (default: stdin)')
    return parser.parse_args()


def ask_tcp(host, port, requests):
    """One connection, one request at a time: each reply is read before the next."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock, sock.makefile("rb") as reader:
        for request in requests:
            sock.sendall(f"{request}\n".encode())
            reply = reader.readline()  # gathers a reply cut into pieces
            if not reply.endswith(b"\n"):
                raise ConnectionError("the server closed the connection before replying")
            yield reply.rstrip(b"\r\n").decode("utf-8", errors="replace")


def ask_udp(host, port, requests):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        # Connected: only the server's datagrams come in, and "no server" comes back
        # as ConnectionRefusedError rather than four seconds of silence.
        sock.connect((host, port))
        sock.settimeout(WAIT)
        for request in requests:
            for _ in range(TRIES):
                sock.send(request.encode())
                try:
                    reply = sock.recv(65535)
                    break
                except socket.timeout:
                    continue  # lost on the way there or back: send it again
            else:
                raise TimeoutError(f"no reply to {request!r} after {TRIES} tries, {WAIT:g} s apart")
            yield reply.rstrip(b"\r\n").decode("utf-8", errors="replace")


def main():
    global WAIT
    args = parse_args()
    WAIT = args.timeout  # the contract's --timeout
    requests = args.requests or [line.strip() for line in sys.stdin if line.strip()]
    ask = ask_udp if args.udp else ask_tcp
    try:
        for reply in ask(args.host, args.port, requests):
            print(reply, flush=True)
    except OSError as e:
        print(f"CalcClient: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
