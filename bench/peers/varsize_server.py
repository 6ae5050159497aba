import socket

from common import address

HOST, PORT = address(65434)
TOKEN = b"<EOF>"

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind((HOST, PORT))
    s.listen()
    while True:
        conn, addr = s.accept()
        with conn:
            data = b""
            while True:
                chunk = conn.recv(1024)
                if not chunk:
                    break
                data += chunk
                while TOKEN in data:  # a complete message: send it back
                    message, data = data.split(TOKEN, 1)
                    conn.sendall(message + TOKEN)
