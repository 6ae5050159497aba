#!/usr/bin/env python3
"""UDPUpperClient: Kurose and Ross's UDPClient (docs/labs/upper.md).

Reads one line from stdin, sends it as one datagram to the server at --host:--port
(default 127.0.0.1:12000), and prints  From Server: <reply>. A datagram may be lost,
so it waits 1 s for the reply, sends again, and gives up after 3 tries: exit 1 with
one line on stderr.

Run it:   echo hello | python3 solutions/upper/python/UDPUpperClient.py
Grade it: cargo grade upper --python --solutions
"""
import argparse
import socket
import sys

WAIT = 1.0  # seconds to wait for the reply before sending again
TRIES = 3


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP uppercase client: sends a line, prints the reply.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="server port (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=1.0,
                        help="seconds to wait for a reply before sending again (default: %(default)s)")
    return parser.parse_args()


def ask(sock, data):
    for _ in range(TRIES):
        sock.send(data)
        try:
            return sock.recv(65535)
        except socket.timeout:
            continue
    raise TimeoutError(f"no reply after {TRIES} tries, {WAIT:g} s apart")


def main():
    global WAIT
    args = parse_args()
    WAIT = args.timeout  # the contract's --timeout
    sentence = sys.stdin.readline().rstrip("\r\n")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            # A connected UDP socket hears only the server, and learns of "no server"
            # from the ICMP reply (ConnectionRefusedError) instead of a long silence.
            sock.connect((args.host, args.port))
            sock.settimeout(WAIT)
            reply = ask(sock, sentence.encode())
        print(f"From Server: {reply.decode('utf-8', errors='replace')}")
    except OSError as e:
        print(f"UDPUpperClient: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
