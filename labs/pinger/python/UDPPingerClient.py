#!/usr/bin/env python3
"""UDPPingerClient: Kurose and Ross's UDP Pinger client (docs/labs/pinger.md).

Sends 10 pings, `Ping <seq> <time>`, one at a time, to --host:--port (default
127.0.0.1:12000), waiting up to --timeout seconds (1 by default) for each reply.
Prints `Ping <seq>: RTT <ms> ms` for each reply (3 decimals), or `Request timed out`,
then `Sent 10, received <m>, <loss>% loss` and, if any reply came,
`RTT min/avg/max = <min>/<avg>/<max> ms`.

Run it:   python3 labs/pinger/python/UDPPingerClient.py
Grade it: cargo grade pinger --python
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
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: make a UDP socket and set its timeout: sock.settimeout(args.timeout).
    # TODO 2: for seq 1 to 10: send f"Ping {seq} {time.time()}", wait for the reply;
    #         print f"Ping {seq}: RTT {ms:.3f} ms", or on socket.timeout "Request timed out".
    # TODO 3: print f"Sent 10, received {m}, {loss}% loss" and, if m > 0,
    #         f"RTT min/avg/max = {lo:.3f}/{avg:.3f}/{hi:.3f} ms".
    raise NotImplementedError(
        f"UDPPingerClient: TODO step 1: ping UDP {args.host}:{args.port} (see the TODO steps in this file)"
    )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
