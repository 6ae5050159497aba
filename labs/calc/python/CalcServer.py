#!/usr/bin/env python3
"""CalcServer: Assignment 3, the calculate servers (docs/labs/calc.md).

Listens on TCP --host:--port (default 127.0.0.1:50007), or with --udp binds UDP there.
A request is  <op> <a> <b>  with op one of + - * / % ^ and decimal numbers; the reply
is the result (a whole result below 2^53 as an integer: 9, else a decimal: 3.5), or
ERR <reason> for a division by zero, an unknown operator, something that is not a
number, or the wrong number of operands.

TCP: one request per line, many per connection, many connections at once (a thread
each). UDP: one request per datagram, one reply datagram to its sender.

Run it:   python3 labs/calc/python/CalcServer.py [--udp]
Grade it: cargo grade calc --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The calculate server: computes <op> <a> <b>.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=50007, help="port to listen on (default: %(default)s)")
    parser.add_argument("--udp", action="store_true", help="serve datagrams over UDP instead of TCP")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: answer(request): split on whitespace into <op> <a> <b>; op one of + - * / % ^;
    #         numbers parsed as floats (only decimal numbers: not nan, inf). The reply is the
    #         result: a whole result below 2**53 as an int (9), else a float (3.5); or ERR
    #         <reason>: division by zero, unknown operator, not a number, wrong operand count.
    # TODO 2: TCP (the default): listen, a thread per connection; answer every complete line
    #         (up to \n, with or without \r) in order, many per connection.
    # TODO 3: --udp: bind a UDP socket; for each datagram (recvfrom(1025): a full buffer means
    #         too long, reply ERR) reply one datagram to its sender; strip a trailing \n;
    #         an empty datagram gets ERR too.
    # TODO 4: nothing a client sends may stop the server: bad requests get ERR replies.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"CalcServer: TODO step 1: serve the calculator on {args.host}:{args.port} "
        "(see the TODO steps in labs/calc/python/CalcServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
