#!/usr/bin/env python3
"""BoardSub: Assignment 3, the board's subscriber (docs/labs/board.md).

JOINs <topic> at the board server (--host:--port, default 127.0.0.1:10000), joins the
topic's multicast group on --iface, prints  joined <topic> <group>:<port>  once it can
receive, then  [<topic>] <message>  for each post, flushed line by line. A gap in seq
is reported on stderr, and the missed posts are fetched with HISTORY and printed in
order (the bonus).

Run it:   python3 solutions/board/python/BoardSub.py news
Grade it: cargo grade board --python --solutions
"""
import argparse
import socket
import sys

TIMEOUT = 5.0


def parse_args():
    parser = argparse.ArgumentParser(description="The message board subscriber: prints a topic's posts.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=10000, help="server control port (default: %(default)s)")
    parser.add_argument("--iface", default="127.0.0.1", help="interface to join the group on (default: %(default)s)")
    parser.add_argument("topic")
    return parser.parse_args()


class Server:
    """The board server's control port: one connection per command."""

    def __init__(self, host, port):
        self.address = (host, port)

    def ask(self, command):
        """The reply's first line, and a reader for the lines after it."""
        sock = socket.create_connection(self.address, timeout=TIMEOUT)
        sock.sendall(f"{command}\n".encode())
        reader = sock.makefile("rb")
        sock.close()  # the file object keeps the connection open until it is closed
        return self.line(reader), reader

    @staticmethod
    def line(reader):
        line = reader.readline()
        if not line.endswith(b"\n"):
            raise ConnectionError("the server closed the connection before a whole reply line")
        return line.rstrip(b"\r\n").decode("utf-8", errors="replace")

    def join(self, topic):
        reply, reader = self.ask(f"JOIN {topic}")
        reader.close()
        words = reply.split(" ")
        if len(words) != 3 or words[0] != "OK":
            raise ConnectionError(f"cannot join {topic}: the server says {reply!r}")
        return words[1], int(words[2])

    def history(self, topic, start):
        """The kept posts of `topic` from seq `start` on, as (seq, message)."""
        head, reader = self.ask(f"HISTORY {topic} {start}")
        with reader:
            if not head.startswith("OK "):
                raise ConnectionError(f"HISTORY: the server says {head!r}")
            posts = []
            for _ in range(int(head[3:])):
                seq, _, message = self.line(reader).partition(" ")
                posts.append((int(seq), message))
            return posts


def subscribe(group, port, iface):
    """A UDP socket that receives the group's datagrams on `iface`.

    SO_REUSEADDR lets several subscribers on one host bind the same port; binding the
    group's address (not 0.0.0.0) keeps other groups' datagrams on that port out.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((group, port))
    membership = socket.inet_aton(group) + socket.inet_aton(iface)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    return sock


def show(topic, message):
    print(f"[{topic}] {message}", flush=True)


def follow(server, topic, sock):
    """Prints each post of `topic` in seq order, fetching the ones that were lost."""
    expected = None  # the next seq; the first post seen sets it (a late joiner)
    while True:
        data = sock.recv(65535)
        seq, name, message = (data.decode("utf-8", errors="replace").split(" ", 2) + ["", ""])[:3]
        if name != topic or not seq.isdigit():
            continue  # another board's topic that shares the group, or noise
        seq = int(seq)
        if expected is not None and seq < expected:
            continue  # a duplicate or a post already fetched with HISTORY
        if expected is not None and seq > expected:
            print(f"BoardSub: gap in {topic}: missed {expected} to {seq - 1}", file=sys.stderr, flush=True)
            try:
                for old_seq, old_message in server.history(topic, expected):
                    if expected <= old_seq < seq:
                        show(topic, old_message)
            except (OSError, ValueError) as e:
                print(f"BoardSub: cannot fetch the missed posts: {e}", file=sys.stderr, flush=True)
        show(topic, message)
        expected = seq + 1


def main():
    args = parse_args()
    server = Server(args.host, args.port)
    try:
        group, port = server.join(args.topic)
        sock = subscribe(group, port, args.iface)
    except OSError as e:
        print(f"BoardSub: {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    print(f"joined {args.topic} {group}:{port}", flush=True)
    with sock:
        follow(server, args.topic, sock)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
