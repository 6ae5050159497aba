#!/usr/bin/env python3
"""UDPUpperClient: Kurose and Ross's UDPClient (docs/labs/upper.md).

Reads one line from stdin, sends it as one datagram to the server at --host:--port
(default 127.0.0.1:12000), and prints  From Server: <reply>. A datagram may be lost,
so it waits 1 s for the reply, sends again, and gives up after 3 tries: exit 1 with
one line on stderr.

Run it:   echo hello | python3 labs/upper/python/UDPUpperClient.py
Grade it: cargo grade upper --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The UDP uppercase client: sends a line, prints the reply.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12000, help="server port (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=1.0,
                        help="seconds to wait for a reply before sending again (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: read one line from stdin.
    # TODO 2: send it as one datagram to (args.host, args.port) from a connected UDP socket.
    # TODO 3: wait for the reply with a timeout (settimeout(args.timeout): --timeout, 1 s by default), send again, give up after 3 tries.
    # TODO 4: print  From Server: <reply>; giving up or any OSError: one line to stderr, return 1.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"UDPUpperClient: TODO step 1: send a line to {args.host}:{args.port} over UDP "
        "(see the TODO steps in labs/upper/python/UDPUpperClient.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
