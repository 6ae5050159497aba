#!/usr/bin/env python3
"""BoardServer: Assignment 3, the multicast message board (docs/labs/board.md).

Listens on TCP --host:--port (default 127.0.0.1:10000) for line commands, one reply
line each:
  CREATE <topic>          -> OK <group> <port>   (ERR exists)
  JOIN <topic>            -> OK <group> <port>   (ERR no such topic)
  POST <topic> <message>  -> OK <seq>, and one datagram <seq> <topic> <message> to the
                             topic's group and port
  LIST                    -> OK <topic> <topic> ...
  HISTORY <topic> <from>  -> OK <n>, then n lines <seq> <message> (the bonus)
Each topic gets its own group, counted up from --group-base, and its own port.
Datagrams go out with TTL 1 on the interface --iface, loopback delivery on.

Run it:   python3 labs/board/python/BoardServer.py
Grade it: cargo grade board --python
"""
import argparse
import ipaddress
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The message board server: topics, posts, multicast.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=10000, help="control port (default: %(default)s)")
    parser.add_argument("--group-base", default="239.255.77.1", type=ipaddress.IPv4Address,
                        help="the first topic's multicast group (default: %(default)s)")
    parser.add_argument("--iface", default="127.0.0.1", help="interface to send multicast on (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: keep the topics in a dict shared by every thread, under one threading.Lock:
    #         each has its group (args.group_base + the number of topics before it), its own
    #         UDP port, its seq counter and its last 1000 posts.
    # TODO 2: make one UDP socket to send multicast: IP_MULTICAST_IF args.iface, TTL 1,
    #         IP_MULTICAST_LOOP on.
    # TODO 3: listen on (args.host, args.port); a thread per client; answer each command line
    #         (\n or \r\n): CREATE, JOIN, POST, LIST (and the bonus HISTORY), one reply line each,
    #         as docs/labs/board.md says; anything else gets ERR.
    # TODO 4: POST: seq += 1 for the topic, send the datagram  <seq> <topic> <message>  to its
    #         group and port, reply  OK <seq>.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"BoardServer: TODO step 1: run the board on {args.host}:{args.port} "
        "(see the TODO steps in labs/board/python/BoardServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
