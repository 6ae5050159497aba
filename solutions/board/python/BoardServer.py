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

Run it:   python3 solutions/board/python/BoardServer.py
Grade it: cargo grade board --python --solutions
"""
import argparse
import collections
import ipaddress
import re
import socket
import sys
import threading

TOPIC = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_MESSAGE = 1000  # bytes of UTF-8
KEEP = 1000  # posts kept per topic for HISTORY
MAX_LINE = 64 * 1024


def parse_args():
    parser = argparse.ArgumentParser(description="The message board server: topics, posts, multicast.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=10000, help="control port (default: %(default)s)")
    parser.add_argument("--group-base", default="239.255.77.1", type=ipaddress.IPv4Address,
                        help="the first topic's multicast group (default: %(default)s)")
    parser.add_argument("--iface", default="127.0.0.1", help="interface to send multicast on (default: %(default)s)")
    return parser.parse_args()


class Topic:
    def __init__(self, group, port):
        self.group, self.port = group, port
        self.seq = 0
        self.kept = collections.deque(maxlen=KEEP)  # (seq, message), oldest first


class Board:
    """The topics, shared by every connection's thread: one lock guards them all, so
    two posts to one topic never get the same seq and go out in seq order."""

    def __init__(self, group_base, iface):
        self.group_base = group_base
        self.topics = {}
        self.lock = threading.Lock()
        self.sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Out through --iface only, never the default route; one hop; and delivered
        # to this host's own subscribers as well.
        self.sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(iface))
        self.sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        self.sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)

    def answer(self, line):
        """The reply to one command line (it may be several lines: HISTORY)."""
        command, _, rest = line.partition(" ")
        with self.lock:
            if command == "CREATE":
                return self.create(rest)
            if command == "JOIN":
                topic = self.topics.get(rest)
                return f"OK {topic.group} {topic.port}" if topic else "ERR no such topic"
            if command == "POST":
                name, _, message = rest.partition(" ")
                return self.post(name, message)
            if command == "LIST" and not rest:
                return " ".join(["OK", *self.topics])
            if command == "HISTORY":
                name, _, start = rest.partition(" ")
                return self.history(name, start)
        return f"ERR unknown command: {command}"

    def create(self, name):
        if not TOPIC.fullmatch(name):
            return "ERR bad topic name: 1 to 64 of A-Z a-z 0-9 _ -"
        if name in self.topics:
            return "ERR exists"
        group = self.group_base + len(self.topics)
        topic = self.topics[name] = Topic(str(group), free_udp_port())
        return f"OK {topic.group} {topic.port}"

    def post(self, name, message):
        topic = self.topics.get(name)
        if topic is None:
            return "ERR no such topic"
        if not message:
            return "ERR no message"
        data = message.encode()
        if len(data) > MAX_MESSAGE:
            return f"ERR message longer than {MAX_MESSAGE} bytes"
        topic.seq += 1
        topic.kept.append((topic.seq, message))
        try:
            self.sender.sendto(f"{topic.seq} {name} ".encode() + data, (topic.group, topic.port))
        except OSError as e:
            print(f"BoardServer: cannot send to {topic.group}:{topic.port}: {e}", file=sys.stderr)
        return f"OK {topic.seq}"

    def history(self, name, start):
        topic = self.topics.get(name)
        if topic is None:
            return "ERR no such topic"
        if not re.fullmatch(r"[0-9]+", start):
            return "ERR HISTORY takes a topic and a seq"
        kept = [f"{seq} {message}" for seq, message in topic.kept if seq >= int(start)]
        return "\n".join([f"OK {len(kept)}", *kept])


def free_udp_port():
    """A port no socket of this host holds now, for a topic's datagrams."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


def serve_client(conn, addr, board):
    """Answers every command line of one connection, in order, as lines complete."""
    with conn:
        try:
            pending = b""
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                pending += data
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    reply = board.answer(line.rstrip(b"\r").decode("utf-8", errors="replace"))
                    conn.sendall(f"{reply}\n".encode())
                if len(pending) > MAX_LINE:
                    conn.sendall(b"ERR line too long\n")
                    return
        except OSError as e:
            print(f"BoardServer: {addr[0]}:{addr[1]}: {e}", file=sys.stderr)


def main():
    args = parse_args()
    try:
        board = Board(args.group_base, args.iface)
        listener = socket.create_server((args.host, args.port), backlog=128)
    except OSError as e:
        print(f"BoardServer: cannot start on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with listener:
        while True:
            conn, addr = listener.accept()
            # A thread per client: a publisher that stays connected blocks no one.
            threading.Thread(target=serve_client, args=(conn, addr, board), daemon=True).start()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
