#!/usr/bin/env python3
"""LoggingDateServer: Lab 3, exercise 3 (docs/labs/logging.md).

The date server (it reads one request line, replies the time in RFC 3339, closes), and
for every request a new file log<N>.txt in --log-dir (default: the working directory)
holding one line:  <time> <client-ip>:<client-port> <request text>

N counts up from 0 with no gaps and, after a restart, continues past the highest
log<N>.txt already there: nothing is ever overwritten. The file is complete before the
reply is sent. A connection closed before a request line is no request.

Run it:   python3 solutions/logging/python/LoggingDateServer.py --log-dir logs
Grade it: cargo grade logging --python --solutions
"""
import argparse
import os
import re
import socket
import sys
import threading
from datetime import datetime

LOG_NAME = re.compile(r"log([0-9]+)\.txt")
MAX_REQUEST = 64 * 1024
IDLE_TIMEOUT = 60.0  # seconds a silent client may hold its thread


def parse_args():
    parser = argparse.ArgumentParser(description="The logging date server: tells the time and logs each request.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=6016, help="port to listen on (default: %(default)s)")
    parser.add_argument("--log-dir", default=".", help="folder of the log files (default: the working directory)")
    return parser.parse_args()


class Log:
    """The numbered log files of one folder.

    The next number is taken under a lock, so concurrent requests never share one, and
    each file is created with mode "x", which fails rather than overwrite a file that
    something else made meanwhile: the number is then skipped, never reused.
    """

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        numbers = [int(m.group(1)) for m in map(LOG_NAME.fullmatch, os.listdir(folder)) if m]
        self.next = max(numbers, default=-1) + 1
        self.lock = threading.Lock()

    def write(self, line):
        while True:
            with self.lock:
                n, self.next = self.next, self.next + 1
            try:
                with open(os.path.join(self.folder, f"log{n}.txt"), "x", encoding="utf-8") as f:
                    f.write(line + "\n")
                return
            except FileExistsError:
                continue


def now_rfc3339():
    """The local time with its UTC offset, to the second: 2026-11-21T23:25:51+01:00."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def read_request(conn):
    """The request line, or None when the client closed before sending a whole one."""
    data = b""
    while b"\n" not in data and len(data) < MAX_REQUEST:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data.split(b"\n", 1)[0].rstrip(b"\r")


def serve_client(conn, addr, log):
    with conn:
        try:
            conn.settimeout(IDLE_TIMEOUT)
            request = read_request(conn)
            if request is None:
                return
            now = now_rfc3339()
            # Logged first: when the client has its reply, the file is there, whole.
            log.write(f"{now} {addr[0]}:{addr[1]} {request.decode('utf-8', errors='replace')}")
            conn.sendall(f"{now}\n".encode())
            conn.shutdown(socket.SHUT_WR)
        except OSError as e:
            print(f"LoggingDateServer: {addr[0]}:{addr[1]}: {e}", file=sys.stderr)


def main():
    args = parse_args()
    try:
        log = Log(args.log_dir)
        listener = socket.create_server((args.host, args.port), backlog=128)
    except OSError as e:
        print(f"LoggingDateServer: cannot start on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with listener:
        while True:
            conn, addr = listener.accept()
            threading.Thread(target=serve_client, args=(conn, addr, log), daemon=True).start()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
