"""benchlib.py: what the benchmarks share: a private fwsd with the test
guest, a raw control-socket client, a bare qemu started with the argv
fwsd used (its QMP and serial sockets passed as fds 3 and 4, as fwsd
does), and a small QMP client."""
import fcntl
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FWSD = os.path.join(TOP, "build", "fwsd")
FWSCTL = os.path.join(TOP, "build", "fwsctl")
GUEST = os.path.join(TOP, "tests", "guest", "out")
APPEND = "console=ttyS0 quiet panic=-1"


def lines(sock):
    """The JSON messages arriving on a socket, one per line."""
    buf = b""
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield json.loads(line)
        data = sock.recv(65536)
        if not data:
            return
        buf += data


class Qmp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(120)
        self.s.connect(path)
        self.msgs = lines(self.s)
        next(self.msgs)                       # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, args=None):
        m = {"execute": name}
        if args:
            m["arguments"] = args
        self.s.sendall(json.dumps(m).encode() + b"\n")
        for msg in self.msgs:
            if "return" in msg or "error" in msg:
                return msg
        raise RuntimeError("QMP closed")

    def wait_job(self, job):
        for msg in self.msgs:
            if (msg.get("event") == "JOB_STATUS_CHANGE" and
                    msg["data"]["id"] == job and
                    msg["data"]["status"] == "concluded"):
                return

    def close(self):
        self.s.close()


class Fwsd:
    """A private fwsd in a temporary directory, killed on close."""

    def __init__(self, conf_extra=""):
        self.tmp = tempfile.mkdtemp(prefix="fws-bench.")
        self.state = os.path.join(self.tmp, "state")
        self.run = os.path.join(self.tmp, "run")
        conf = os.path.join(self.tmp, "fwsd.conf")
        with open(conf, "w") as f:
            f.write("image_dirs = %s\n%s" % (GUEST, conf_extra))
        self.sock = os.path.join(self.run, "fwsd.sock")
        self.proc = subprocess.Popen(
            [FWSD, "--foreground", "--config", conf, "--state-dir",
             self.state, "--run-dir", self.run],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.tmp, "fwsd.log"), "w"))
        for _ in range(200):
            if os.path.exists(self.sock):
                break
            time.sleep(0.05)

    def ctl(self, *args):
        return subprocess.run([FWSCTL, "--socket", self.sock] + list(args),
                              check=True, capture_output=True,
                              text=True).stdout

    def info(self, name):
        return json.loads(self.ctl("info", name, "--json"))

    def guest(self, name, *extra):
        self.ctl("create", name, "--vcpus", "1", "--memory", "256",
                 "--kernel", os.path.join(GUEST, "vmlinuz"),
                 "--initrd", os.path.join(GUEST, "initrd.img"),
                 "--append", APPEND, *extra)
        self.ctl("start", name)
        return self.info(name)

    def request(self, cmd, args):
        """One request on a fresh control connection, timed to its reply."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.sock)
        t0 = time.monotonic()
        s.sendall(json.dumps({"id": 1, "cmd": cmd, "args": args}).encode()
                  + b"\n")
        reply = next(lines(s))
        t1 = time.monotonic()
        s.close()
        if not reply.get("ok"):
            raise RuntimeError(reply)
        return t1 - t0

    def close(self):
        """End fwsd and every process it or we started: each names our
        temporary directory on its command line."""
        self.proc.kill()
        self.proc.wait()
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    mine = self.tmp.encode() + b"/" in f.read()
                if mine:
                    os.kill(int(pid), 9)
            except (OSError, ProcessLookupError):
                pass
        subprocess.run(["rm", "-rf", self.tmp])


def qemu_argv(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return [a.decode() for a in f.read().split(b"\0") if a]


def bare_qemu(argv, tmp, tag="bare"):
    """Spawn qemu with argv, QMP and serial as fds 3 and 4, as fwsd does.
    Returns (process, path of its QMP socket, monotonic spawn time)."""
    qmp_path = os.path.join(tmp, tag + ".qmp")
    serial_path = os.path.join(tmp, tag + ".serial")
    socks = []
    for p in (qmp_path, serial_path):
        if os.path.exists(p):
            os.unlink(p)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(p)
        s.listen(1)
        socks.append(s)

    def child_fds():
        # move both out of the way first: either may sit on 3 or 4
        high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 100) for s in socks]
        os.dup2(high[0], 3)
        os.dup2(high[1], 4)
        os.setsid()

    t0 = time.monotonic()
    # subprocess closes fds after preexec_fn: keep all, ours are CLOEXEC
    proc = subprocess.Popen(argv, preexec_fn=child_fds, close_fds=False,
                            stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, tag + ".err"),
                                        "w"))
    # our copies go, so a dead qemu refuses the connection, never hangs
    for s in socks:
        s.close()
    return proc, qmp_path, t0


def show(name, xs):
    xs = sorted(x * 1000 for x in xs)
    print("  %-5s n=%d  min %.1f  median %.1f  max %.1f ms" %
          (name, len(xs), xs[0], statistics.median(xs), xs[-1]))


def ratio(a, b):
    return statistics.median(a) / statistics.median(b)
