import socket

from common import address

HOST, PORT = address(65432)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((HOST, PORT))  # bind the socket to the address
s.listen(1)  # listen to one conn at a time

while True:
    conn, addr = s.accept()
    try:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)  # echo
    finally:
        conn.close()
