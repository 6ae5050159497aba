#!/usr/bin/env python3
"""CalcServer: Assignment 3, the calculate servers (docs/labs/calc.md).

Listens on TCP --host:--port (default 127.0.0.1:50007), or with --udp binds UDP there.
A request is  <op> <a> <b>  with op one of + - * / % ^ and decimal numbers; the reply
is the result (a whole result below 2^53 as an integer: 9, else a decimal: 3.5), or
ERR <reason> for a division by zero, an unknown operator, something that is not a
number, or the wrong number of operands.

TCP: one request per line, many per connection, many connections at once (a thread
each). UDP: one request per datagram, one reply datagram to its sender.

Run it:   python3 solutions/calc/python/CalcServer.py [--udp]
Grade it: cargo grade calc --python --solutions
"""
import argparse
import math
import re
import socket
import sys
import threading

NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
EXACT = 2**53  # below this, a float holds every whole number exactly
MAX_LINE = 64 * 1024  # the longest TCP request line
MAX_DATAGRAM = 1024  # the longest UDP request


def parse_args():
    parser = argparse.ArgumentParser(description="The calculate server: computes <op> <a> <b>.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=50007, help="port to listen on (default: %(default)s)")
    parser.add_argument("--udp", action="store_true", help="serve datagrams over UDP instead of TCP")
    return parser.parse_args()


class CalcError(Exception):
    """A request that has no result: its message is the reason after ERR."""


def number(token):
    # float() alone would also take nan, inf and 1_000, which are no decimal numbers.
    if not NUMBER.fullmatch(token):
        raise CalcError(f"not a number: {token}")
    return float(token)


def calculate(op, a, b):
    """The result of one operation, in 64-bit floats, as the contract computes it."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0:
            raise CalcError("division by zero")
        return a / b
    if op == "%":
        if b == 0:
            raise CalcError("remainder by zero")
        # fmod keeps the sign of a, as C, Java and Rust do; Python's % takes b's.
        return math.fmod(a, b)
    try:
        return math.pow(a, b)
    except ValueError:
        raise CalcError("the result is not a real number") from None
    except OverflowError:
        raise CalcError("the result is too large") from None


def answer(request):
    """The reply to one request (text without its line end), without a newline."""
    tokens = request.split()
    if not tokens:
        return "ERR empty request"
    op, operands = tokens[0], tokens[1:]
    try:
        if op not in ("+", "-", "*", "/", "%", "^"):
            raise CalcError(f"unknown operator: {op}")
        if len(operands) != 2:
            raise CalcError(f"{'too few' if len(operands) < 2 else 'too many'} operands: {op} takes two")
        result = calculate(op, number(operands[0]), number(operands[1]))
    except CalcError as e:
        return f"ERR {e}"
    if not math.isfinite(result):
        return "ERR the result is too large"
    if result == int(result) and abs(result) < EXACT:
        return str(int(result))
    return repr(result)


def answer_bytes(data):
    try:
        return answer(data.decode("utf-8"))
    except UnicodeDecodeError:
        return "ERR the request is not UTF-8 text"


def serve_connection(conn):
    """Answers every line of one TCP connection, in order, until the client closes.

    Bytes are kept until a newline completes a request, however the writes cut them.
    A line longer than MAX_LINE gets one ERR and is skipped to its end, so a client
    cannot make the server buffer without bound.
    """
    pending, skipping = b"", False
    while True:
        data = conn.recv(65536)
        if not data:
            return
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if skipping:
                skipping = False  # the end of the overlong line
                continue
            reply = answer_bytes(line.rstrip(b"\r"))
            conn.sendall(f"{reply}\n".encode())
        if len(pending) > MAX_LINE:
            if not skipping:
                conn.sendall(b"ERR request too long\n")
            pending, skipping = b"", True


def handle(conn, addr):
    with conn:
        try:
            serve_connection(conn)
        except OSError as e:
            print(f"CalcServer: {addr[0]}:{addr[1]}: {e}", file=sys.stderr)


def serve_tcp(host, port):
    with socket.create_server((host, port), backlog=128) as listener:
        while True:
            conn, addr = listener.accept()
            threading.Thread(target=handle, args=(conn, addr), daemon=True).start()


def serve_udp(host, port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, port))
        while True:
            try:
                # One byte more than the longest request: recvfrom() silently cuts a
                # longer datagram, and a full buffer is how to tell it was cut.
                data, sender = sock.recvfrom(MAX_DATAGRAM + 1)
                if not data:
                    reply = "ERR empty request"
                elif len(data) > MAX_DATAGRAM:
                    reply = "ERR request too long"
                else:
                    reply = answer_bytes(data.rstrip(b"\r\n"))
                sock.sendto(reply.encode(), sender)
            except OSError as e:
                print(f"CalcServer: {e}", file=sys.stderr)


def main():
    args = parse_args()
    try:
        (serve_udp if args.udp else serve_tcp)(args.host, args.port)
    except OSError as e:
        print(f"CalcServer: cannot serve on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
