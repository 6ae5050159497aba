#!/usr/bin/env python3
"""SumServer: Lab 1, exercise 4 (docs/labs/hello.md).

Listens on TCP --host:--port (default 127.0.0.1:65433). Each request is one line of
numbers separated by whitespace; the reply is one line, their sum: an integer when
every number is one (ERR overflow past the 64-bit range), a decimal when any is a
decimal, 0 for an empty line, ERR not a number: <token> for anything else. A
connection carries any number of requests; clients are served one after another.

Run it:   python3 solutions/hello/python/SumServer.py
Grade it: cargo grade hello --python --solutions
"""
import argparse
import re
import socket
import sys

INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
MAX_LINE = 64 * 1024  # a client cannot make the server buffer without end


def parse_args():
    parser = argparse.ArgumentParser(description="The sum server: adds up the numbers on each line.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65433, help="port to listen on (default: %(default)s)")
    return parser.parse_args()


def total(line):
    """The reply to one request line (without its newline).

    Integers are added as Python ints, which are exact at any size (a float would
    round 9007199254740993 to ...992), and checked against the 64-bit range after each
    addition, as a server in C or Rust overflows there. The regular expressions keep
    what float() would also take (nan, inf, 1_000) out of the numbers.
    """
    int_total, float_total, any_decimal, overflow = 0, 0.0, False, False
    for token in line.split():
        if INTEGER.fullmatch(token) and I64_MIN <= int(token) <= I64_MAX:
            int_total += int(token)
            float_total += int(token)
            overflow = overflow or not I64_MIN <= int_total <= I64_MAX
        elif DECIMAL.fullmatch(token):
            any_decimal = True
            float_total += float(token)
        else:
            return f"ERR not a number: {token}"
    if any_decimal:
        return repr(float_total)
    return "ERR overflow" if overflow else str(int_total)


def serve_client(conn):
    """Answers every line of one connection, in order.

    TCP is a byte stream: a request ends at its newline, not at the end of a read, so
    bytes are kept until the newline comes (a request split across writes), and every
    complete line of a read is answered (requests sent in one write).
    """
    pending = b""
    while True:
        data = conn.recv(65536)
        if not data:
            if pending.strip():
                answer(conn, pending)  # a last line the client ended by closing
            return
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            answer(conn, line)
        if len(pending) > MAX_LINE:
            conn.sendall(b"ERR line too long\n")
            return


def answer(conn, line):
    try:
        reply = total(line.decode("utf-8"))  # split() drops a \r before the \n too
    except UnicodeDecodeError:
        reply = "ERR not UTF-8 text"
    conn.sendall(f"{reply}\n".encode())


def main():
    args = parse_args()
    try:
        listener = socket.create_server((args.host, args.port))
    except OSError as e:
        print(f"SumServer: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    with listener:
        while True:
            conn, addr = listener.accept()
            with conn:
                try:
                    serve_client(conn)
                except OSError as e:
                    print(f"SumServer: {addr[0]}:{addr[1]}: {e}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
