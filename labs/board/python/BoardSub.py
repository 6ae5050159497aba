#!/usr/bin/env python3
"""BoardSub: Assignment 3, the board's subscriber (docs/labs/board.md).

JOINs <topic> at the board server (--host:--port, default 127.0.0.1:10000), joins the
topic's multicast group on --iface, prints  joined <topic> <group>:<port>  once it can
receive, then  [<topic>] <message>  for each post, flushed line by line. A gap in seq
is reported on stderr, and the missed posts are fetched with HISTORY and printed in
order (the bonus).

Run it:   python3 labs/board/python/BoardSub.py news
Grade it: cargo grade board --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The message board subscriber: prints a topic's posts.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=10000, help="server control port (default: %(default)s)")
    parser.add_argument("--iface", default="127.0.0.1", help="interface to join the group on (default: %(default)s)")
    parser.add_argument("topic")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: send JOIN <topic> to the server; the reply OK <group> <port> says where the posts
    #         go (ERR: one line to stderr, return 1).
    # TODO 2: make a UDP socket with SO_REUSEADDR (two subscribers on one host), bind it to
    #         (group, port), and join the group on args.iface with IP_ADD_MEMBERSHIP
    #         (inet_aton(group) + inet_aton(iface)).
    # TODO 3: print  joined <topic> <group>:<port>  (flush=True), then for each datagram
    #         <seq> <topic> <message> of this topic print  [<topic>] <message>  (flush=True).
    # TODO 4: a jump in seq is a gap: say so on stderr (bonus: fetch the missed posts with
    #         HISTORY <topic> <from-seq> and print them in order first).
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"BoardSub: TODO step 1: subscribe to {args.topic} at {args.host}:{args.port} "
        "(see the TODO steps in labs/board/python/BoardSub.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
