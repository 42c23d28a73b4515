# target: stdin
# attack: resolve host names, then connect to whatever came back (localhost and the sandbox's own
# name only, so that no query can leave the machine even outside a sandbox)
import socket
for name in ("localhost", socket.gethostname()):
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM):
            with socket.socket(family, kind, proto) as conn:
                conn.settimeout(0.5)
                conn.connect(address)
    except OSError as exc:
        print(name, "failed:", exc)
