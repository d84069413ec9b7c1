#!/usr/bin/env python3
"""bench-web.py: the web panel over HTTPS on loopback.

One fwsd trusting one fws-web (web_user), both private to this run; a
user with 4 VMs, an admin (admin_group) with BENCH_WEB_ADMIN_VMS
(default 500) of their own, all defined, one of the user's running the
test guest.  Each logs in with a one-time link (fwsctl web-login run as
them).  Then:

  page load   in headless Chromium (tests/web/webdriver.py), the panel
              loaded BENCH_WEB_PAGES times (20) for each: from the
              navigation's start to the page's "fws-ready" mark (its
              HTML, CSS and JavaScript, the session, the first list,
              quota, templates, images and networks shown), read from
              the page's own performance timeline;
  API list    GET /api/vms on one kept-alive HTTPS connection,
              BENCH_WEB_RUNS times (500) each, beside the same list
              asked of fwsd's UNIX socket by root (owner given for the
              user's): what the front-end adds;
  console     a keystroke's round trip to the guest's shell and its
              echo back, BENCH_WEB_KEYS times (200): through
              /ws/console (TLS, WebSocket frames, fws-web's proxy)
              beside fwsctl console (stdin and stdout pipes).

p50 and p99 of each.  The accounts made (the front-end's, the user's,
the admin's and their group) are removed at the end.
"""
import base64
import http.client
import json
import os
import pwd
import select
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "web"))
import benchlib  # noqa: E402
import webdriver  # noqa: E402

ADMIN_VMS = int(os.environ.get("BENCH_WEB_ADMIN_VMS", "500"))
PAGES = int(os.environ.get("BENCH_WEB_PAGES", "20"))
RUNS = int(os.environ.get("BENCH_WEB_RUNS", "500"))
KEYS = int(os.environ.get("BENCH_WEB_KEYS", "200"))
WEB = os.path.join(benchlib.TOP, "build", "fws-web")
PANEL = os.path.join(benchlib.TOP, "supervisor", "web", "panel")
XTERM = os.environ.get("FWS_XTERM_DIR", "/usr/local/share/fws/xterm")
NOVNC = os.environ.get("FWS_NOVNC_DIR", "/usr/share/novnc")
PAM_HELPER = os.path.join(benchlib.TOP, "build", "fws-pam-check")


class Accounts:
    """Accounts of this run's own, removed by close()."""

    def __init__(self, tag):
        self.tag = tag
        self.users, self.groups = [], []

    def group(self, suffix):
        name = "fwb%s%s" % (self.tag, suffix)
        subprocess.run(["groupadd", name], check=True)
        self.groups.append(name)
        return name

    def user(self, suffix, groups):
        name = "fwb%s%s" % (self.tag, suffix)
        subprocess.run(["useradd", "--no-create-home", "--home-dir",
                        "/nonexistent", "--shell", "/bin/sh", "--groups",
                        groups, name], check=True)
        self.users.append(name)
        return name, pwd.getpwnam(name).pw_uid

    def close(self):
        for u in self.users:
            subprocess.run(["userdel", u], stderr=subprocess.DEVNULL)
        for g in self.groups:
            subprocess.run(["groupdel", g], stderr=subprocess.DEVNULL)


class Https:
    """A session's kept-alive HTTPS connection to fws-web."""

    def __init__(self, port, token=None):
        self.port = port
        self.ctx = ssl._create_unverified_context()
        self.c = http.client.HTTPSConnection("127.0.0.1", port,
                                             context=self.ctx, timeout=60)
        self.cookie = None
        if token is not None:
            r = self.call("POST", "/api/session", {"token": token})
            self.csrf = r["csrf"]

    def call(self, method, path, body=None):
        h = {"Content-Type": "application/json"}
        if self.cookie:
            h["Cookie"] = self.cookie
        self.c.request(method, path, json.dumps(body) if body else None, h)
        r = self.c.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError("%s %s: %d %s" % (method, path, r.status,
                                                 data[:200]))
        sc = r.getheader("Set-Cookie")
        if sc:
            self.cookie = sc.split(";")[0]
        r = json.loads(data)
        # the session's routes answer with the session alone
        return r["result"] if isinstance(r, dict) and "result" in r else r


class WsConsole:
    """/ws/console/NAME as a browser opens it: TLS, the upgrade with the
    session's cookie and our Origin, masked binary frames."""

    def __init__(self, port, cookie, name):
        ctx = ssl._create_unverified_context()
        raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s = ctx.wrap_socket(raw)
        key = base64.b64encode(os.urandom(16)).decode()
        host = "127.0.0.1:%d" % port
        self.s.sendall(("GET /ws/console/%s HTTP/1.1\r\nHost: %s\r\n"
                        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13"
                        "\r\nOrigin: https://%s\r\nCookie: %s\r\n\r\n" %
                        (name, host, key, host, cookie)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            d = self.s.recv(1)
            if not d:
                raise RuntimeError("no upgrade")
            head += d
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError("upgrade refused: %r" % head[:100])
        self.buf = b""

    def send(self, data):
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.s.sendall(bytes([0x82, 0x80 | len(data)]) + mask + body)

    def _need(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise RuntimeError("closed")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """The next data frame's payload."""
        while True:
            b0, b1 = self._need(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack(">H", self._need(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._need(8))[0]
            data = self._need(n)
            if b0 & 0x0f in (1, 2, 0):
                return data
            if b0 & 0x0f == 8:
                raise RuntimeError("closed by fws-web")

    def close(self):
        self.s.close()


def until(read, want, timeout=10):
    """Read chunks until want arrived; what came with it is dropped."""
    got = b""
    end = time.monotonic() + timeout
    while want not in got:
        if time.monotonic() > end:
            raise RuntimeError("no echo of %r (got %r)" % (want, got[-80:]))
        got += read()


def keystrokes(send, read, n):
    """n keystrokes, each timed from its send to its echo; a line kill
    (Ctrl-U) every 40 keeps the shell's line short."""
    out = []
    letters = b"abcdefghijklmnopqrstuvwxyz"
    for i in range(n):
        if i % 40 == 39:
            send(b"\x15")
            time.sleep(0.05)
        k = letters[i % 26:i % 26 + 1]
        t0 = time.monotonic()
        send(k)
        until(read, k)
        out.append(time.monotonic() - t0)
    send(b"\x15")
    return out


def page_loads(b, url, n):
    """n loads of the panel: ms from the navigation to its ready mark."""
    out = []
    for _ in range(n):
        b.get("about:blank")
        b.get(url + "/")
        b.wait_css('body[data-ready="1"]', 60)
        out.append(b.js("return performance.getEntriesByName('fws-ready')"
                        "[0].startTime") / 1000.0)
    return out


def main():
    for need in (WEB, PAM_HELPER, os.path.join(XTERM, "xterm.js")):
        if not os.path.exists(need):
            sys.exit("bench-web: %s is missing (make all; make deps or "
                     "FWS_XTERM_DIR)" % need)
    acc = Accounts(os.urandom(3).hex())
    f = web = b = None
    try:
        admins = acc.group("g")
        front, _ = acc.user("w", "fws")
        user, uid = acc.user("u", "fws")
        admin, aid = acc.user("a", "fws," + admins)
        port = webdriver.free_port()
        url = "https://127.0.0.1:%d" % port
        f = benchlib.Fwsd("web_user = %s\nweb_url = %s\npam_helper = %s\n"
                          "admin_group = %s\nclient_idle_timeout = 0\n" %
                          (front, url, PAM_HELPER, admins))
        static = PANEL
        wdir = os.path.join(f.tmp, "web")
        os.mkdir(wdir)
        shutil.chown(wdir, front)
        conf = os.path.join(f.tmp, "fws-web.conf")
        with open(conf, "w") as fh:
            fh.write("listen = 127.0.0.1:%d\nuser = %s\ntls_cert = %s/cert.pem"
                     "\ntls_key = %s/key.pem\nfwsd_socket = %s\nstatic_dir = "
                     "%s\nnovnc_dir = %s\nxterm_dir = %s\n" %
                     (port, front, wdir, wdir, f.sock, static, NOVNC, XTERM))
        web = subprocess.Popen([WEB, "--foreground", "--config", conf],
                               stdout=subprocess.DEVNULL,
                               stderr=open(os.path.join(f.tmp, "fws-web.log"),
                                           "a"))
        c = benchlib.Conn(f.sock)
        for i in range(4):
            c.call("create", f.create_args("u%d" % i, memory=128,
                                           owner=uid))
        # the admin's VMs are made by root for them: within a quota
        c.call("quota-set", {"owner": aid, "vms": ADMIN_VMS,
                             "vcpus": ADMIN_VMS, "memory_mib":
                             16 * ADMIN_VMS})
        for i in range(ADMIN_VMS):
            c.call("create", f.create_args("a%04d" % i, memory=16,
                   owner=aid, mac="02:fb:03:00:%02x:%02x" % (i >> 8,
                                                              i & 0xff)))
        c.call("start", {"name": "u0", "owner": uid})
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("fws-web does not answer")
                time.sleep(0.1)

        def link(who):
            r = subprocess.run(["runuser", "-u", who, "--", benchlib.FWSCTL,
                                "--socket", f.sock, "web-login", "--json"],
                               check=True, stdout=subprocess.PIPE)
            return json.loads(r.stdout)

        print("  a user with 4 VMs, an admin with %d (sees %d)" %
              (ADMIN_VMS, ADMIN_VMS + 4))

        # the API's list, and the same of fwsd straight
        for who, n, owner in ((user, 4, uid), (admin, ADMIN_VMS + 4, None)):
            h = Https(port, link(who)["token"])
            assert len(h.call("GET", "/api/vms")) == n
            api, direct = [], []
            for _ in range(RUNS):
                t0 = time.monotonic()
                h.call("GET", "/api/vms")
                api.append(time.monotonic() - t0)
                t0 = time.monotonic()
                c.call("list", {"owner": owner} if owner else None)
                direct.append(time.monotonic() - t0)
            label = "user (4)" if owner else "admin (%d)" % n
            benchlib.show_pct("list, HTTPS, " + label, api)
            benchlib.show_pct("list, fwsd, " + label, direct)
            print("  %-22s HTTPS/fwsd %.2fx (medians)" %
                  ("", benchlib.ratio(api, direct)))

        # page loads in Chromium
        b = webdriver.Browser()
        for who, n in ((user, 4), (admin, ADMIN_VMS + 4)):
            b.get("about:blank")
            b.get(link(who)["url"])
            b.wait(lambda: b.url.rstrip("/") == url, "the panel")
            b.wait_css('body[data-ready="1"]', 60)
            assert len(b.find_all("#vm-rows tr")) == n
            loads = page_loads(b, url, PAGES)
            benchlib.show_pct("page load, %s" % ("user (4)" if n == 4 else
                                                 "admin (%d)" % n), loads)
            b.find("#logout").click()
            b.wait_url("/login")
        b.close()
        b = None

        # console keystrokes, once the guest's shell is up
        log = os.path.join(f.state, "users", str(uid), "vms", "u0",
                           "console.log")
        deadline = time.monotonic() + 180
        while b"FWS-GUEST-READY" not in open(log, "rb").read():
            if time.monotonic() > deadline:
                raise RuntimeError("the guest did not boot")
            time.sleep(0.5)
        time.sleep(1)
        h = Https(port, link(user)["token"])
        ws = WsConsole(port, h.cookie, "u0")
        ws.send(b"\x15")
        time.sleep(0.3)
        web_keys = keystrokes(ws.send, ws.recv, KEYS)
        ws.close()
        ctl_keys = fwsctl_console(f.sock, user, "u0", KEYS)
        benchlib.show_pct("keystroke, WebSocket", web_keys)
        benchlib.show_pct("keystroke, fwsctl", ctl_keys)
        print("  %-22s WebSocket/fwsctl %.2fx (medians)" %
              ("", benchlib.ratio(web_keys, ctl_keys)))
    finally:
        if b is not None:
            b.close()
        if web is not None:
            web.kill()
            web.wait()
        if f is not None:
            f.close()
        acc.close()


def fwsctl_console(sock, user, name, n):
    """fwsctl console run by the VM's owner, as they would."""
    p = subprocess.Popen(["runuser", "-u", user, "--", benchlib.FWSCTL,
                          "--socket", sock, "console", name],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, bufsize=0)

    def read():
        r, _, _ = select.select([p.stdout], [], [], 10)
        if not r:
            raise RuntimeError("fwsctl console is silent")
        d = os.read(p.stdout.fileno(), 65536)
        if not d:
            raise RuntimeError("fwsctl console ended")
        return d

    def send(b):
        p.stdin.write(b)

    try:
        send(b"\x15")
        time.sleep(0.3)
        return keystrokes(send, read, n)
    finally:
        p.stdin.close()
        p.kill()
        p.wait()


if __name__ == "__main__":
    main()
