import argparse


def address(default_port):
    """--host/--port, the only change made to the seeds' servers."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    args = parser.parse_args()
    return args.host, args.port
