#!/usr/bin/env python3
"""UDPPingerClient: Kurose and Ross's UDP Pinger client (docs/labs/pinger.md).

Sends --count pings (10 by default), `Ping <seq> <time>`, one at a time, to
--host:--port (default 127.0.0.1:12000), waiting up to --timeout seconds (1 by
default) for each reply. Prints `Ping <seq>: RTT <ms> ms` for each reply, or
`Request timed out`, then `Sent <n>, received <m>, <loss>% loss` and, if any reply
came, `RTT min/avg/max = <min>/<avg>/<max> ms`.

Run it:   python3 solutions/pinger/python/UDPPingerClient.py
Grade it: cargo grade pinger --python --solutions
"""
import argparse
import socket
import sys
import time


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP Pinger client: 10 pings, their RTTs, and the loss.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="server port (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each reply (default: %(default)s)")
    parser.add_argument("--count", type=int, default=10, help="how many pings (default: %(default)s)")
    parser.add_argument("--bug", default="", help=argparse.SUPPRESS)  # mutants for `grader selftest pinger`
    return parser.parse_args()


def main():
    args = parse_args()
    if args.timeout <= 0:
        print("UDPPingerClient: --timeout must be a positive number of seconds", file=sys.stderr)
        return 1
    rtts = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        if args.bug != "no-timeout":
            sock.settimeout(args.timeout)
        for seq in range(1, args.count + 1):
            sent = time.time()
            ping = f"Ping {seq} {sent:.6f}"
            sock.sendto(ping.encode(), (args.host, args.port))
            deadline = time.monotonic() + args.timeout
            started = time.monotonic()
            reply = None
            try:
                while reply is None:
                    data, _ = sock.recvfrom(65535)
                    # A late reply to an earlier ping is not this ping's reply.
                    words = data.decode("utf-8", "replace").split()
                    if len(words) >= 2 and words[1] == str(seq):
                        reply = data
                    elif args.bug != "no-timeout":
                        sock.settimeout(max(deadline - time.monotonic(), 0.001))
                    if args.bug != "no-timeout":
                        sock.settimeout(args.timeout)
            except socket.timeout:
                print("Request timed out", flush=True)
                continue
            except OSError:
                # Port unreachable from an earlier ping: no server there.
                print("Request timed out", flush=True)
                continue
            rtt = (time.monotonic() - started) * 1000
            rtts.append(rtt)
            print(f"Ping {seq}: RTT {rtt:.3f} ms", flush=True)
    received = len(rtts)
    loss = round(100 * (args.count - received) / args.count) if args.count else 0
    print(f"Sent {args.count}, received {received}, {loss}% loss")
    if rtts and args.bug != "no-summary":
        print(f"RTT min/avg/max = {min(rtts):.3f}/{sum(rtts) / received:.3f}/{max(rtts):.3f} ms")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
