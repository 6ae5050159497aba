#!/usr/bin/env python3
"""LoggingDateServer: Lab 3, exercise 3 (docs/labs/logging.md).

The date server (it reads one request line, replies the time in RFC 3339, closes), and
for every request a new file log<N>.txt in --log-dir (default: the working directory)
holding one line:  <time> <client-ip>:<client-port> <request text>

N counts up from 0 with no gaps and, after a restart, continues past the highest
log<N>.txt already there: nothing is ever overwritten. The file is complete before the
reply is sent. A connection closed before a request line is no request.

Run it:   python3 labs/logging/python/LoggingDateServer.py --log-dir logs
Grade it: cargo grade logging --python
"""
import argparse
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="The logging date server: tells the time and logs each request.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=6016, help="port to listen on (default: %(default)s)")
    parser.add_argument("--log-dir", default=".", help="folder of the log files (default: the working directory)")
    return parser.parse_args()


def main():
    args = parse_args()
    # TODO 1: at start, find the highest N of the log<N>.txt files already in args.log_dir: the
    #         next file is N + 1 (0 when there is none). Nothing is ever overwritten.
    # TODO 2: listen on (args.host, args.port); give each client a thread (as DateServer.py).
    # TODO 3: read the request line; a client that closes before one is no request: no reply,
    #         no file.
    # TODO 4: take the next N under a threading.Lock (concurrent requests never share one), and
    #         write log<N>.txt holding  <time> <client-ip>:<client-port> <request>  (open mode
    #         "x" fails rather than overwrite).
    # TODO 5: only then reply the time (RFC 3339, as DateServer.py) and close.
    # Like Rust's todo!(): the program stops here, with a traceback whose last line
    # says what is left to write. Delete this line once the steps above are done.
    raise NotImplementedError(
        f"LoggingDateServer: TODO step 1: serve the time on {args.host}:{args.port} and log each request in {args.log_dir} "
        "(see the TODO steps in labs/logging/python/LoggingDateServer.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
