# spice-link.py ADDRESS PORT PASSWORD: a SPICE client's link to the main
# channel with that password (its ticket sealed with the server's RSA
# key, OAEP, by openssl): exits 0 when the server lets it in, 1 when it
# answers with an error (7: permission denied), 2 on anything else.
# No capabilities are offered, so the server takes the ticket alone
# (SPICE's own authentication, no SASL).
import base64, socket, struct, subprocess, sys, tempfile

addr, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
s = socket.create_connection((addr, port), timeout=10)


def recv(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            print("connection closed", file=sys.stderr)
            sys.exit(2)
        b += c
    return b


# SpiceLinkHeader ("REDQ", protocol 2.2, size), SpiceLinkMess: connection
# 0, channel type 1 (main), id 0, no capabilities
mess = struct.pack("<IBBIII", 0, 1, 0, 0, 0, 18)
s.sendall(b"REDQ" + struct.pack("<III", 2, 2, len(mess)) + mess)
magic, major, minor, size = struct.unpack("<4sIII", recv(16))
if magic != b"REDQ" or major != 2:
    print("not a SPICE server: %r %d" % (magic, major), file=sys.stderr)
    sys.exit(2)
reply = recv(size)
if struct.unpack("<I", reply[:4])[0] != 0:
    print("link refused: %d" % struct.unpack("<I", reply[:4]), file=sys.stderr)
    sys.exit(2)
# the server's public key: 1024-bit RSA, DER SubjectPublicKeyInfo
pem = (b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(reply[4:166]) +
       b"-----END PUBLIC KEY-----\n")
with tempfile.NamedTemporaryFile(suffix=".pem") as f:
    f.write(pem)
    f.flush()
    ticket = subprocess.run(["openssl", "pkeyutl", "-encrypt", "-pubin",
                             "-inkey", f.name, "-pkeyopt",
                             "rsa_padding_mode:oaep"],
                            input=password + b"\0", capture_output=True,
                            check=True).stdout
s.sendall(ticket)
result = struct.unpack("<I", recv(4))[0]
print("link result %d" % result)
sys.exit(0 if result == 0 else 1)
