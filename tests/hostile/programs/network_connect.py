# target: stdin
# attack: open TCP and UDP sockets to the loopback address (only loopback: nothing may leave the host)
import socket
found = []
for port in (80, 2375, 8080):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            found.append(conn.recv(100))
    except OSError as exc:
        found.append(str(exc))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    udp.sendto(b"ping", ("127.0.0.1", 9))
except OSError as exc:
    found.append(str(exc))
print(found)
