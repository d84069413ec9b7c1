"""benchlib.py: what the benchmarks share: a private fwsd with the test
guest, a raw control-socket client, a bare qemu started with the argv
fwsd used (its QMP and serial sockets passed as fds 3 and 4, as the
same unprivileged user, as fwsd does), a small QMP client, and the
figures read from /proc.

qemu runs as the qemu user (fwsd's qemu_user, fws-qemu): everything it
opens by name must be reachable by that user, wherever the tree was
cloned.  So the temporary directory is 0755 and the test guest is copied
into it, as tests/integration/lib.sh does."""
import atexit
import ctypes
import fcntl
import json
import math
import os
import pwd
import select
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FWSD = os.path.join(TOP, "build", "fwsd")
FWSCTL = os.path.join(TOP, "build", "fwsctl")
GUEST_BUILT = os.path.join(TOP, "tests", "guest", "out")
QEMU_USER = "fws-qemu"
APPEND = "console=ttyS0 quiet panic=-1"
TICK = os.sysconf("SC_CLK_TCK")
SHM = "/dev/shm"


def lines(sock):
    """The JSON messages arriving on a socket, one per line."""
    buf = b""
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield json.loads(line)
        data = sock.recv(1 << 20)
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


class Conn:
    """One control connection to fwsd, kept open: requests one after
    the other, or pipelined (several sent before their replies)."""

    def __init__(self, path, timeout=120):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.msgs = lines(self.s)
        self.next_id = 1

    def send(self, cmd, args=None):
        rid = self.next_id
        self.next_id += 1
        m = {"id": rid, "cmd": cmd}
        if args:
            m["args"] = args
        self.s.sendall(json.dumps(m).encode() + b"\n")
        return rid

    def reply(self):
        msg = next(self.msgs, None)
        if msg is None:
            raise ConnectionError("fwsd closed the connection")
        return msg

    def call(self, cmd, args=None):
        rid = self.send(cmd, args)
        msg = self.reply()
        if msg.get("id") != rid:
            raise RuntimeError("reply to %r, not %r" % (msg.get("id"), rid))
        if not msg.get("ok"):
            raise RuntimeError("%s: %s" % (cmd, msg.get("error")))
        return msg["result"]

    def close(self):
        self.s.close()


class Fwsd:
    """A private fwsd in a temporary directory, killed on close; wrap, a
    command fwsd runs under that execs it (e.g. ip netns exec NS)."""

    def __init__(self, conf_extra="", wrap=()):
        self.tmp = tempfile.mkdtemp(prefix="fws-bench.")
        self.proc = None
        self.wrap = list(wrap)
        try:
            self._setup(conf_extra)
        except BaseException:
            self.close()
            raise

    def _setup(self, conf_extra):
        # the qemu user passes through it to the guest and the state
        os.chmod(self.tmp, 0o755)
        self.guest_dir = os.path.join(self.tmp, "guest")
        os.mkdir(self.guest_dir)
        os.chmod(self.guest_dir, 0o755)
        for f in ("vmlinuz", "initrd.img"):
            shutil.copy(os.path.join(GUEST_BUILT, f), self.guest_dir)
            os.chmod(os.path.join(self.guest_dir, f), 0o644)
        self.kernel = os.path.join(self.guest_dir, "vmlinuz")
        self.initrd = os.path.join(self.guest_dir, "initrd.img")
        self.state = os.path.join(self.tmp, "state")
        self.run = os.path.join(run_base(self.tmp), "run")
        self.conf = os.path.join(self.tmp, "fwsd.conf")
        # screens on a loopback address of our own: the displays (ports
        # 5900-5999) of another fwsd on this machine are not in the way
        self.vnc = "127.%d.%d.%d" % tuple(os.urandom(3))
        if self.vnc.endswith(".0") or self.vnc.endswith(".255"):
            self.vnc = self.vnc.rsplit(".", 1)[0] + ".1"
        # the VMs' cgroups in a subtree of this bench's own, removed
        # with it (unless conf_extra says otherwise)
        self.cgroup = os.path.basename(self.tmp).replace(".", "-")
        # (conf_extra may say cgroup = none: then the VMs have none)
        own = "" if "cgroup =" in conf_extra else \
            "cgroup = %s\n" % self.cgroup
        with open(self.conf, "w") as f:
            # the accelerator is pinned: bare qemu runs with the same
            f.write("accel = tcg\nimage_dirs = %s\nvnc_listen = %s\n"
                    "%s%s" % (self.guest_dir, self.vnc, own, conf_extra))
        self.sock = os.path.join(self.run, "fwsd.sock")
        self.start()
        self.wait_serving()

    def start(self):
        """Start fwsd (again); returns the monotonic time of the spawn."""
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            self.wrap + [FWSD, "--foreground", "--config", self.conf, "--state-dir",
             self.state, "--run-dir", self.run],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.tmp, "fwsd.log"), "a"))
        return t0

    def wait_serving(self, timeout=30):
        """Until fwsd answers a request; returns the monotonic time of
        its first answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("fwsd exited: see its log:\n" +
                                   self.log_tail())
            try:
                c = Conn(self.sock, timeout=timeout)
                try:
                    c.call("version")
                    return time.monotonic()
                finally:
                    c.close()
            except (FileNotFoundError, ConnectionRefusedError,
                    ConnectionError):
                time.sleep(0.002)
        raise RuntimeError("fwsd does not answer:\n" + self.log_tail())

    def kill(self):
        """kill -9 of fwsd alone: its guests keep running."""
        self.proc.kill()
        self.proc.wait()

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.tmp, "fwsd.log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def ctl(self, *args):
        r = subprocess.run([FWSCTL, "--socket", self.sock] + list(args),
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("fwsctl %s: exit %d: %s\n%s" %
                               (" ".join(args), r.returncode,
                                r.stderr.strip(), self.log_tail()))
        return r.stdout

    def info(self, name):
        return json.loads(self.ctl("info", name, "--json"))

    def create_args(self, name, memory=256, **extra):
        """The create request's arguments for a VM on the test guest."""
        args = {"name": name, "vcpus": 1, "memory_mib": memory,
                "kernel": self.kernel, "initrd": self.initrd,
                "append": APPEND}
        args.update(extra)
        return args

    def guest(self, name, *extra, memory="256", start=True):
        self.ctl("create", name, "--vcpus", "1", "--memory", memory,
                 "--kernel", self.kernel, "--initrd", self.initrd,
                 "--append", APPEND, *extra)
        if start:
            self.ctl("start", name)
        return self.info(name)

    def request(self, cmd, args):
        """One request on a fresh control connection, timed from its
        write to its reply's last byte read: Python's encoding of the
        one and decoding of the other are not fwsd's time."""
        msg = json.dumps({"id": 1, "cmd": cmd, "args": args}).encode() + \
            b"\n"
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.sock)
        buf = b""
        t0 = time.monotonic()
        s.sendall(msg)
        while not buf.endswith(b"\n"):
            data = s.recv(65536)
            if not data:
                break
            buf += data
        t1 = time.monotonic()
        s.close()
        if not buf.endswith(b"\n"):
            raise RuntimeError("%s: fwsd closed the connection" % cmd)
        reply = json.loads(buf.split(b"\n", 1)[0])
        if not reply.get("ok"):
            raise RuntimeError(reply)
        return t1 - t0

    def ours(self):
        """Every live process naming our temporary directory."""
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if self.tmp.encode() + b"/" in f.read() and \
                            proc_state(int(pid)) != "Z":
                        found.append(int(pid))
            except OSError:
                pass
        return found

    def close(self):
        """End fwsd and every process it or we started: each names our
        temporary directory on its command line.  fwsd first asks its
        guests' qemus to quit, so that it reaps them itself."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                c = Conn(self.sock, timeout=60)
                c.call("shutdown-all", {"timeout": 0})
                c.close()
            except Exception:
                pass
            self.proc.kill()
            self.proc.wait()
        pids = self.ours()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        reap(pids)
        reap_orphans()
        remove_cgroups(self.cgroup)
        subprocess.run(["rm", "-rf", self.tmp, run_base(self.tmp)])


class Dynmods:
    """The kernel's favordynmods switch, through the first cgroup2 mount
    (fwsd's cgroup_favordynmods): set(True/False) remounts it with or
    without, every other flag and option kept; close() puts back what
    was there.  usable is False (and nothing is touched) when there is
    no cgroup2 mount, the switch was on already, or we are not root."""

    def __init__(self):
        self.path = self.mntopts = None
        self.opts = []
        self.usable = False
        if os.geteuid() != 0:
            return
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, right = line.split(" - ", 1)
                fstype, _, sup = right.split()[:3]
                if fstype == "cgroup2":
                    self.path, self.mntopts = left.split()[4:6]
                    self.opts = [o for o in sup.split(",")
                                 if o not in ("rw", "ro")]
                    break
        self.usable = self.path is not None and \
            "favordynmods" not in self.opts
        self.on = False

    def set(self, on):
        opts = ["remount", self.mntopts] + self.opts + \
            (["favordynmods"] if on else [])
        subprocess.run(["mount", "-t", "cgroup2", "-o", ",".join(opts),
                        "none", self.path], check=True)
        self.on = on

    def close(self):
        if self.usable and self.on:
            self.set(False)


def remove_cgroups(name):
    """The cgroup subtrees called name (one per v1 hierarchy), their
    VMs' cgroups first; a cgroup is busy until its dead are reaped, so
    a few tries."""
    found = []
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        if os.path.basename(top) == name:
            found.append(top)
            dirs[:] = []
    for d in found:
        for _ in range(50):
            try:
                for sub in os.listdir(d):
                    if os.path.isdir(os.path.join(d, sub)):
                        os.rmdir(os.path.join(d, sub))
                os.rmdir(d)
                break
            except OSError:
                time.sleep(0.1)


def proc_state(pid):
    """The state letter of /proc/PID/stat ("Z": a zombie, as good as dead;
    None: gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def proc_status(pid):
    """/proc/PID/status as a dict of strings."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def proc_kib(pid, key="VmRSS"):
    return int(proc_status(pid)[key].split()[0])


def proc_cpu(pid):
    """utime + stime of a process, in seconds, to the tick."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_cpu_ns(pid):
    """Time every thread of a process spent on a CPU, in seconds, to the
    nanosecond (/proc/PID/task/TID/schedstat)."""
    ns = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
            ns += int(f.read().split()[0])
    return ns / 1e9


def proc_switches(pid):
    """Context switches of every thread of a process: (voluntary,
    involuntary)."""
    vol = invol = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches"):
                    vol += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    invol += int(line.split()[1])
    return vol, invol


def cpu_busy():
    """The machine's CPU time so far, (busy, total), in ticks of every
    CPU (/proc/stat): the share of busy over a window says how quiet the
    machine was."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]                  # idle, iowait
    return sum(v) - idle, sum(v)


_subreaper = False


def become_subreaper():
    """Orphans of our children (the guests of a killed fwsd) become ours,
    so that they are reaped at the end, not left as zombies."""
    global _subreaper
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0:
        _subreaper = True


def reap_orphans():
    """As a subreaper: reap every child that has ended (the orphaned
    qemus a later fwsd adopted, and stopped)."""
    while _subreaper:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def reap(pids, timeout=5):
    """Wait for those of pids that are our children (or orphans given to
    us), so none stays a zombie."""
    deadline = time.monotonic() + timeout
    left = set(pids)
    while left and time.monotonic() < deadline:
        for pid in list(left):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    left.discard(pid)
            except ChildProcessError:
                left.discard(pid)     # not ours: its parent reaps it
        if left:
            time.sleep(0.01)


def qemu_argv(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return [a.decode() for a in f.read().split(b"\0") if a]


def free_vnc_display(host, first=100):
    """A VNC display above fwsd's range (0-99) whose port is free."""
    for d in range(first, first + 400):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, 5900 + d))
            return d
        except OSError:
            pass
        finally:
            s.close()
    raise RuntimeError("no free VNC port")


def bare_argv(argv, swap, display=None):
    """fwsd's qemu argv for a bare qemu: each (old, new) of swap replaced
    in every argument (its pidfile, its log, its disks), and the VNC
    screen moved to a display of its own (the VM's is taken)."""
    out = []
    for i, a in enumerate(argv):
        for old, new in swap:
            a = a.replace(old, new)
        if i > 0 and argv[i - 1] == "-vnc":
            host, rest = a.rsplit(":", 1)
            opts = rest.split(",", 1)[1:]
            d = display if display is not None else free_vnc_display(host)
            a = ",".join(["%s:%d" % (host, d)] + opts)
        out.append(a)
    return out


def run_base(tmp):
    """Where the run files (sockets, pidfiles) of a bench's fwsd and
    bare qemus go: a tmpfs, as /run is on a Debian host, named after
    the bench's temporary directory (removed with it); else in it."""
    if not os.path.isdir(SHM):
        return tmp
    d = os.path.join(SHM, os.path.basename(tmp))
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    return d


def qemu_dir(tmp, tag="bare"):
    """A directory of the qemu user's for a bare qemu's own files (its
    sockets, pidfile, serial log, a copy of a disk), as fwsd gives it
    the VM's."""
    d = os.path.join(tmp, tag + ".files")
    os.makedirs(d, exist_ok=True)
    pw = pwd.getpwnam(QEMU_USER)
    os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o700)
    return d


def bare_pidfile(tmp, tag="bare"):
    """The bare qemu's pidfile, beside its sockets, as fwsd's qemus'
    are in its run directory."""
    return os.path.join(qemu_dir(run_base(tmp), tag), "bare.pid")


def give_qemu(path):
    """Hand a file to the qemu user, as fwsd does with a VM's disks."""
    pw = pwd.getpwnam(QEMU_USER)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, 0o600)


class Spawner:
    """A process of the qemu user's, forked once, that starts bare qemus
    for us: posix_spawn (vfork and exec, as cheap as a start gets) of
    qemu in a session of its own, stdin /dev/null, stdout and stderr to a
    file, the QMP, serial and guest agent sockets as fds 3, 4 and 5, as
    fwsd gives them, signals at their defaults.  So a bare start pays no
    fork of this Python process and no change of user on our side; it
    runs as the very user fwsd's qemus run as.  Its children are reaped at once (SIGCHLD ignored); we learn
    of their end through a pidfd, as fwsd does."""

    def __init__(self):
        pw = pwd.getpwnam(QEMU_USER)
        groups = os.getgrouplist(pw.pw_name, pw.pw_gid)
        ours, theirs = socket.socketpair(socket.AF_UNIX,
                                         socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ours.close()
                keep = theirs.fileno()
                for fd in [int(x) for x in os.listdir("/proc/self/fd")]:
                    if fd > 2 and fd != keep:
                        try:
                            os.close(fd)
                        except OSError:
                            pass
                os.setgroups(groups)
                os.setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid)
                os.setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid)
                signal.signal(signal.SIGCHLD, signal.SIG_IGN)
                Spawner._serve(theirs)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        self.chan = ours
        self.pid = pid

    @staticmethod
    def _serve(chan):
        sigdef = [s for s in signal.valid_signals()
                  if s not in (signal.SIGKILL, signal.SIGSTOP)]
        while True:
            msg = chan.recv(1 << 20)
            if not msg:
                return
            req = json.loads(msg)
            fds = []
            try:
                socks = []
                for p in (req["qmp"], req["serial"], req["agent"]):
                    if os.path.exists(p):
                        os.unlink(p)
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.bind(p)
                    s.listen(16)
                    socks.append(s)
                # above 5: dup2 onto 3, 4 and 5 must not find them there
                fds = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, 10)
                       for s in socks]
                for s in socks:
                    s.close()
                null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
                err = os.open(req["err"], os.O_WRONLY | os.O_CREAT |
                              os.O_APPEND | os.O_CLOEXEC, 0o600)
                fds += [null, err]
                actions = [(os.POSIX_SPAWN_DUP2, null, 0),
                           (os.POSIX_SPAWN_DUP2, err, 1),
                           (os.POSIX_SPAWN_DUP2, err, 2),
                           (os.POSIX_SPAWN_DUP2, fds[0], 3),
                           (os.POSIX_SPAWN_DUP2, fds[1], 4),
                           (os.POSIX_SPAWN_DUP2, fds[2], 5)]
                argv = req["argv"]
                pid = os.posix_spawn(argv[0], argv, dict(os.environ),
                                     file_actions=actions, setsid=True,
                                     setsigmask=[], setsigdef=sigdef)
                pidfd = os.pidfd_open(pid)
                socket.send_fds(chan, [json.dumps({"pid": pid}).encode()],
                                [pidfd])
                os.close(pidfd)
            except Exception as e:   # noqa: BLE001: told to the caller
                chan.send(json.dumps({"error": str(e)}).encode())
            finally:
                for fd in fds:
                    os.close(fd)

    def spawn(self, argv, qmp, serial, err):
        self.chan.send(json.dumps({"argv": argv, "qmp": qmp,
                                   "serial": serial, "agent": qmp + ".agent",
                                   "err": err}).encode())
        msg, fds, _, _ = socket.recv_fds(self.chan, 65536, 1)
        rep = json.loads(msg)
        if "error" in rep:
            raise RuntimeError("bare qemu: " + rep["error"])
        return BareProc(rep["pid"], fds[0])

    def close(self):
        self.chan.close()
        os.waitpid(self.pid, 0)


class BareProc:
    """A bare qemu, known by a pidfd."""

    def __init__(self, pid, pidfd):
        self.pid = pid
        self.pidfd = pidfd

    def kill(self, sig=signal.SIGKILL):
        try:
            signal.pidfd_send_signal(self.pidfd, sig)
        except ProcessLookupError:
            pass

    def wait(self, timeout=None):
        """True once the process has ended (within timeout seconds)."""
        r, _, _ = select.select([self.pidfd], [], [], timeout)
        return bool(r)

    def close(self):
        if self.pidfd >= 0:
            os.close(self.pidfd)
        self.pidfd = -1


_spawner = None


def spawner():
    global _spawner
    if _spawner is None:
        _spawner = Spawner()
        atexit.register(_spawner.close)
    return _spawner


def bare_qemu(argv, tmp, tag="bare"):
    """Spawn qemu with argv, QMP and serial as fds 3 and 4, as fwsd does,
    as the qemu user with its groups, as fwsd does.  Returns (process,
    path of its QMP socket, monotonic spawn time)."""
    own = qemu_dir(tmp, tag)
    socks = qemu_dir(run_base(tmp), tag)
    qmp_path = os.path.join(socks, "qmp")
    t0 = time.monotonic()
    proc = spawner().spawn(argv, qmp_path, os.path.join(socks, "serial"),
                           os.path.join(own, "err"))
    return proc, qmp_path, t0


def bare_start(argv, tmp, tag="bare"):
    """A bare qemu (bare_qemu) taken from spawn to QMP "running".
    Returns (process, its Qmp, seconds)."""
    proc, qmp_path, t0 = bare_qemu(argv, tmp, tag)
    q = Qmp(qmp_path)
    q.cmd("cont")
    st = q.cmd("query-status")
    t1 = time.monotonic()
    assert st["return"]["status"] == "running", st
    return proc, q, t1 - t0


def list_latency(sock, n, runs):
    """A fresh connection, "list", the whole reply of n VMs: seconds for
    each of runs runs."""
    out = []
    for _ in range(runs):
        t0 = time.monotonic()
        c = Conn(sock)
        vms = c.call("list")
        out.append(time.monotonic() - t0)
        c.close()
        if len(vms) != n:
            raise RuntimeError("list shows %d VMs, not %d" % (len(vms), n))
    return out


def stop_bare(proc):
    """Kill a bare qemu and wait for its end."""
    proc.kill()
    proc.wait(30)
    proc.close()


def pct(xs, p):
    """The p-th percentile (nearest rank) of xs."""
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, math.ceil(p / 100.0 * len(xs)) - 1))
    return xs[k]


def show(name, xs):
    xs = sorted(x * 1000 for x in xs)
    print("  %-13s n=%-3d min %7.1f  median %7.1f  max %7.1f ms" %
          (name, len(xs), xs[0], statistics.median(xs), xs[-1]))


def show_pct(name, xs, unit="ms", scale=1000):
    xs = [x * scale for x in xs]
    print("  %-22s n=%-5d p50 %8.3f  p90 %8.3f  p99 %8.3f  max %8.3f %s" %
          (name, len(xs), pct(xs, 50), pct(xs, 90), pct(xs, 99), max(xs),
           unit))


def parse_rate(text):
    """A size the way fwsctl takes one (16M, 1G: powers of 1024)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * units[text[-1].upper()])


def ratio(a, b):
    return statistics.median(a) / statistics.median(b)


def ratio_ci(a, b, level=0.95, draws=4000):
    """The ratio of medians median(a)/median(b) with a bootstrap
    interval: each sample drawn again with replacement, draws times (a
    fixed seed: the same samples give the same interval); (low, high).
    An interval holding 1 says the two cannot be told apart at that
    sample size."""
    import random
    rng = random.Random(20261130)
    rs = []
    for _ in range(draws):
        ma = statistics.median(rng.choices(a, k=len(a)))
        mb = statistics.median(rng.choices(b, k=len(b)))
        if mb > 0:
            rs.append(ma / mb)
    rs.sort()
    cut = (1 - level) / 2
    return rs[int(cut * len(rs))], rs[min(len(rs) - 1,
                                           int((1 - cut) * len(rs)))]


def rank_sum_p(a, b):
    """Two-sided p of the Mann-Whitney U test (normal approximation,
    ties averaged and corrected for): how likely samples as far apart
    as a and b are if both came from one distribution."""
    both = sorted([(x, 0) for x in a] + [(x, 1) for x in b])
    ranks = [0.0] * len(both)
    ties = 0.0
    i = 0
    while i < len(both):
        j = i
        while j + 1 < len(both) and both[j + 1][0] == both[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    n1, n2 = len(a), len(b)
    r1 = sum(r for r, (_, g) in zip(ranks, both) if g == 0)
    u = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return 1.0
    z = (abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(var)
    return math.erfc(max(z, 0) / math.sqrt(2))


def ratio_line(what, a, b):
    """'WHAT fwsd/bare (medians): R [95 % interval LO-HI], rank-sum
    p P (n A and B)'."""
    lo, hi = ratio_ci(a, b)
    return ("%s (medians): %.2f [95%% bootstrap interval %.2f-%.2f], "
            "rank-sum p %.2f (n %d and %d)" % (what, ratio(a, b), lo, hi,
                                               rank_sum_p(a, b), len(a),
                                               len(b)))


def line_fit(xs, ys):
    """Least squares y = a + b*x: (a, b); b 0 when xs do not vary."""
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0
    return my - b * mx, b


def fitted_ratio(xa, ya, xb, yb, at, level=0.95, draws=2000):
    """a's and b's y, each fitted as a line of its x, compared at one x
    (at): when y is mostly what x makes it (a downtime, of the bytes
    sent in it), the ratio of what a and b do with the same x.  The
    ratio and a bootstrap interval (the (x, y) pairs drawn again):
    (ratio, low, high)."""
    import random

    def at_x(xs, ys):
        a, b = line_fit(xs, ys)
        return a + b * at

    rng = random.Random(20261201)
    rs = []
    pa, pb = list(zip(xa, ya)), list(zip(xb, yb))
    for _ in range(draws):
        da = rng.choices(pa, k=len(pa))
        db = rng.choices(pb, k=len(pb))
        yb_at = at_x([x for x, _ in db], [y for _, y in db])
        if yb_at > 0:
            rs.append(at_x([x for x, _ in da], [y for _, y in da]) / yb_at)
    rs.sort()
    cut = (1 - level) / 2
    return (at_x(xa, ya) / at_x(xb, yb), rs[int(cut * len(rs))],
            rs[min(len(rs) - 1, int((1 - cut) * len(rs)))])
