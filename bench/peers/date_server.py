import datetime
import socket

from common import address

HOST, PORT = address(6015)

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind((HOST, PORT))
    s.listen()
    while True:
        conn, addr = s.accept()
        with conn:
            conn.recv(1024)  # the request: "What time is it?"
            now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            conn.sendall((now + "\n").encode())
