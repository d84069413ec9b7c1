# web-client.py SOCKET REQUEST...: send each request (a JSON line) on
# one connection to fwsd's UNIX socket and print each reply, one a line,
# in the order sent.  A reply carrying a descriptor (console,
# screen-connect) gets "fd" added: what the descriptor said first, up
# to 12 bytes (a VNC server's "RFB 003.008\n"; "" when it is silent), and, for a screen, the
# security types it offers after our version ("fd_security": a list).
# "--tls HOST:PORT CERT KEY CA" in place of SOCKET speaks TLS instead.
# "--pipeline" sends every request before reading any reply; "--stay"
# goes on printing what comes after the replies (events) until killed.
import array, json, socket, ssl, sys

args = sys.argv[1:]
pipeline = stay = False
while args[0] in ("--pipeline", "--stay"):
    pipeline |= args[0] == "--pipeline"
    stay |= args[0] == "--stay"
    args = args[1:]
if args[0] == "--tls":
    host, port = args[1].rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=args[4])
    ctx.load_cert_chain(args[2], args[3])
    ctx.check_hostname = False
    s = ctx.wrap_socket(socket.create_connection((host, int(port)), 10))
    reqs = args[5:]
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(None if stay else 30)
    s.connect(args[0])
    reqs = args[1:]
buf = b""
fds = []


def line():
    global buf
    while b"\n" not in buf:
        if isinstance(s, ssl.SSLSocket):
            data = s.recv(65536)
        else:
            data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(4 * 4))
            for level, kind, raw in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    a = array.array("i")
                    a.frombytes(raw[:len(raw) - len(raw) % 4])
                    fds.extend(a)
        if not data:
            sys.exit("fwsd closed the connection")
        buf += data
    out, buf = buf.split(b"\n", 1)
    return json.loads(out)


def answer():
    r = line()
    if fds:
        fd = socket.socket(fileno=fds.pop(0))
        fd.settimeout(10)
        got = b""
        while len(got) < 12:
            try:
                more = fd.recv(12 - len(got))
            except socket.timeout:
                break   # a console may say nothing
            if not more:
                break
            got += more
            fd.settimeout(2)
        r["fd"] = got.decode("latin-1")
        if got.startswith(b"RFB 003.008"):
            fd.sendall(b"RFB 003.008\n")
            n = fd.recv(1)
            r["fd_security"] = list(fd.recv(n[0])) if n else []
        fd.close()
    print(json.dumps(r), flush=True)


if pipeline:
    for q in reqs:
        s.sendall(q.encode() + b"\n")
    for q in reqs:
        answer()
else:
    for q in reqs:
        s.sendall(q.encode() + b"\n")
        answer()
while stay:
    print(json.dumps(line()), flush=True)
