import socket
import threading

from common import address

host, port = address(2004)
ThreadCount = 0
serverSocket = socket.socket()
serverSocket.bind((host, port))
serverSocket.listen(5)


def handle_request(sock_client):
    data = sock_client.recv(2048)
    while data:
        response = "Server message: " + data.decode("utf-8")
        sock_client.sendall(str.encode(response))  # echo
        data = sock_client.recv(2048)
    sock_client.close()


while True:
    client, addr = serverSocket.accept()
    thrd = threading.Thread(target=handle_request, args=(client,))
    thrd.start()
    ThreadCount += 1
