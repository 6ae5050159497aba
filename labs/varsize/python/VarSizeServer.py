#!/usr/bin/env python3
"""VarSizeServer: Lab 1, exercise 5, messages of any size (docs/labs/varsize.md).

Listens on TCP --host:--port (default 127.0.0.1:65434). A message is any bytes followed
by the token <EOF>; for each complete message the server replies the same bytes and
<EOF>. With --framing length a message is a 4-byte big-endian length and that many
bytes instead, and so is the reply. Any number of messages per connection, in any
fragmentation, up to 64 MiB each, in time and memory linear in their size.

Run it:   python3 labs/varsize/python/VarSizeServer.py [--framing eof|length]
Grade it: cargo grade varsize --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The variable-size message server: echoes framed messages.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=65434, help="port to listen on (default: %(default)s)")
    parser.add_argument("--framing", choices=["eof", "length"], default="eof",
                        help="how a message ends: the <EOF> token, or a length prefix (default: %(default)s)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: listen on (args.host, args.port) and accept clients one after another, forever.
    # TODO 2: for each client, recv() and append to a bytearray buffer; a read may hold part of
    #         a message, or several messages, or the end of one and the start of the next.
    # TODO 3: --framing eof: while the buffer holds b"<EOF>", cut the message before it and
    #         sendall(message + b"<EOF>"). Search only the new bytes (and 4 before them, as the
    #         token may be split across reads), or a 64 MiB message takes quadratic time.
    # TODO 4: --framing length: a message is a 4-byte big-endian length (struct ">I"), then that
    #         many bytes; reply with the same framing.
    # TODO 5: a client that leaves mid-message is forgotten: serve the next one.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"VarSizeServer: TODO step 1: listen on {args.host}:{args.port} and echo each framed message "
        "(see the TODO steps in labs/varsize/python/VarSizeServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
