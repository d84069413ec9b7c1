#!/usr/bin/env python3
# ws-client.py: a WebSocket client for fws-web's tests (RFC 6455 over
# TLS, no certificate check: fws-web's is self-signed), able to send
# what a browser would not.
#
#   ws-client.py [options] HOST:PORT PATH
#
# It asks for the upgrade and prints "status N" (and, when not 101, the
# body); on 101 it checks Sec-WebSocket-Accept, sends what the options
# say, then prints each frame it gets, one a line ("text: ...",
# "binary: <hex of its first 16 bytes>", "close: CODE", "pong: ..."),
# until --expect's bytes have come in the frames' payloads (exit 0),
# the connection closes, or --timeout seconds pass (exit 3).
#   --cookie C       the Cookie header
#   --origin O       the Origin header ("none": no header); by default
#                    https://HOST:PORT
#   --protocol P     Sec-WebSocket-Protocol offered
#   --send TEXT      a masked binary frame with TEXT (\n escapes read)
#   --send-text TEXT the same as a text frame
#   --ping TEXT      a ping
#   --unmasked       a frame without a mask (a browser's must have one)
#   --oversized      a header announcing a 2 MiB frame
#   --close          a close frame (code 1000) after the rest
#   --expect TEXT    bytes to wait for in what comes back
#   --timeout S      (10 by default)
import os
import select
import socket
import ssl
import struct
import sys
import time
import base64
import hashlib


def frame(op, payload, masked=True, fin=True):
    b0 = (0x80 if fin else 0) | op
    n = len(payload)
    mbit = 0x80 if masked else 0
    if n < 126:
        h = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        h = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        h = struct.pack("!BBQ", b0, mbit | 127, n)
    if not masked:
        return h + payload
    key = os.urandom(4)
    return h + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def main():
    args = sys.argv[1:]
    opts = {"--timeout": "10"}
    flags = set()
    sends = []
    pos = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--unmasked", "--oversized", "--close"):
            flags.add(a)
            sends.append((a, None))
        elif a in ("--send", "--send-text", "--ping"):
            sends.append((a, args[i + 1].encode().decode("unicode_escape")
                          .encode("latin-1")))
            i += 1
        elif a.startswith("--"):
            opts[a] = args[i + 1]
            i += 1
        else:
            pos.append(a)
        i += 1
    hostport, path = pos
    host, port = hostport.rsplit(":", 1)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((host, int(port)), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname=host)
    key = base64.b64encode(os.urandom(16)).decode()
    head = ["GET %s HTTP/1.1" % path, "Host: %s" % hostport,
            "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: %s" % key]
    origin = opts.get("--origin", "https://%s" % hostport)
    if origin != "none":
        head.append("Origin: %s" % origin)
    if "--cookie" in opts:
        head.append("Cookie: %s" % opts["--cookie"])
    if "--protocol" in opts:
        head.append("Sec-WebSocket-Protocol: %s" % opts["--protocol"])
    s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            print("status 0")
            return 1
        buf += d
    headtxt, buf = buf.split(b"\r\n\r\n", 1)
    lines = headtxt.decode().split("\r\n")
    status = int(lines[0].split()[1])
    print("status %d" % status)
    hdrs = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    if status != 101:
        n = int(hdrs.get("content-length", "0"))
        while len(buf) < n:
            d = s.recv(65536)
            if not d:
                break
            buf += d
        print(buf[:n].decode(errors="replace"))
        return 1
    want = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    if hdrs.get("sec-websocket-accept", "").encode() != want:
        print("bad accept: %s" % hdrs.get("sec-websocket-accept"))
        return 2
    if "sec-websocket-protocol" in hdrs:
        print("protocol: %s" % hdrs["sec-websocket-protocol"])
    sys.stdout.flush()
    for what, data in sends:
        if what == "--send":
            s.sendall(frame(2, data))
        elif what == "--send-text":
            s.sendall(frame(1, data))
        elif what == "--ping":
            s.sendall(frame(9, data))
        elif what == "--unmasked":
            s.sendall(frame(2, b"hello", masked=False))
        elif what == "--oversized":
            s.sendall(struct.pack("!BBQ", 0x82, 0xff, 2 << 20) + b"abcd")
        elif what == "--close":
            s.sendall(frame(8, struct.pack("!H", 1000)))
    expect = opts.get("--expect", "").encode().decode(
        "unicode_escape").encode("latin-1")
    got = b""
    end = time.time() + float(opts["--timeout"])
    s.setblocking(False)
    while time.time() < end:
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            n = b1 & 0x7f
            o = 2
            if n == 126:
                if len(buf) < 4:
                    break
                n = struct.unpack("!H", buf[2:4])[0]
                o = 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n = struct.unpack("!Q", buf[2:10])[0]
                o = 10
            if len(buf) < o + n:
                break
            p = buf[o:o + n]
            buf = buf[o + n:]
            op = b0 & 0x0f
            if op == 1:
                print("text: %s" % p.decode(errors="replace"))
                got += p
            elif op == 2:
                print("binary: %s" % p[:16].hex())
                got += p
            elif op == 8:
                code = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 0
                print("close: %d %s" % (code, p[2:].decode(errors="replace")))
                return 0 if not expect else 3
            elif op == 10:
                print("pong: %s" % p.decode(errors="replace"))
                got += p
            sys.stdout.flush()
            if expect and expect in got:
                print("found")
                return 0
        r, _, _ = select.select([s], [], [], 0.2)
        if not r and s.pending() == 0:
            continue
        try:
            d = s.recv(65536)
        except (ssl.SSLWantReadError, BlockingIOError):
            continue
        except (ConnectionError, ssl.SSLError):
            print("closed")
            return 3
        if not d:
            print("closed")
            return 3 if expect else 0
        buf += d
    print("timeout")
    return 3


sys.exit(main())
