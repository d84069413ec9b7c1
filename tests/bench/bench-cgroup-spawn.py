#!/usr/bin/env python3
"""bench-cgroup-spawn.py: what putting a new process in a cgroup of its
own costs its start, the ways fwsd does it, side by side in one run.

  plain   clone3() (as fork) and exec of /bin/true, until it has ended;
  joined  the same, the child writing itself into a cgroup.procs file
          before exec (fwsd on cgroup v1: one cgroup in each of the cpu,
          cpuacct and memory hierarchies, made below this process's own);
  born    clone3() with CLONE_INTO_CGROUP into a v2 cgroup, then exec
          (fwsd on cgroup v2; here in any cgroup2 mount, even one
          without controllers, as the question is the move, not them);
  joined+dynmods  joined, with the kernel's favordynmods switched on
          (fwsd's cgroup_favordynmods = yes): the cgroup2 mount
          remounted with it, when it was not on already, after the
          rounds of the other modes, against plain again; the mount is
          put back at the end.  Linux 6.18 keeps a part of the switch
          after it is turned off (cgroup.procs writers keep the
          per-process lock it brought) until the next boot: so these
          rounds come last, and a "joined" as fast as "plain" says
          the switch was on before (in whole or in that part).

Each spawn comes BENCH_SPAWN_PAUSE seconds (0.3) after the last, as a
VM's start comes long after any other move between cgroups: a move then
waits for an RCU grace period (the kernel's cgroup_threadgroup_rwsem),
and moves right after it do not.  BENCH_SPAWN_ROUNDS rounds (20)
interleave the modes.  Needs root; a mode whose hierarchy is not
mounted is skipped, and said so.
"""
import ctypes
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_SPAWN_ROUNDS", "20"))
PAUSE = float(os.environ.get("BENCH_SPAWN_PAUSE", "0.3"))
CLONE_INTO_CGROUP = 0x200000000
SYS_CLONE3 = 435
TRUE = "/bin/true"


class CloneArgs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in (
        "flags", "pidfd", "child_tid", "parent_tid", "exit_signal",
        "stack", "stack_size", "tls", "set_tid", "set_tid_size",
        "cgroup")]


libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def mounts():
    """{v1 controller or "cgroup2": mount point} from mountinfo."""
    found = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            mnt = left.split()[4]
            fstype, _, sup = right.split()[:3]
            if fstype == "cgroup2":
                found.setdefault("cgroup2", mnt)
            elif fstype == "cgroup":
                for c in sup.split(","):
                    found.setdefault(c, mnt)
    return found


def own_v1(controller):
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(","):
                return path
    return "/"


def spawn(flags=0, dirfd=0, procs=()):
    """clone3() (fork's equivalent, for all three modes alike), the
    child joining procs' cgroups, exec; seconds until it has ended."""
    args = CloneArgs(flags=flags, exit_signal=17, cgroup=dirfd)
    t0 = time.monotonic()
    pid = libc.syscall(SYS_CLONE3, ctypes.byref(args),
                       ctypes.c_size_t(ctypes.sizeof(args)))
    if pid == 0:
        try:
            for fd in procs:
                os.write(fd, b"0")
            os.execv(TRUE, [TRUE])
        finally:
            os._exit(126)
    if pid < 0:
        raise OSError(ctypes.get_errno(), "clone3")
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError("the child failed: status %d" % status)
    return time.monotonic() - t0


def main():
    if os.geteuid() != 0:
        print("  skipped: needs root")
        return 0
    m = mounts()
    name = "fws-bench-spawn-%d" % os.getpid()
    made, fds, procs = [], [], []
    modes = {"plain": spawn}
    dyn = benchlib.Dynmods()
    try:
        if all(c in m for c in ("cpu", "cpuacct", "memory")):
            seen = set()
            for c in ("cpu", "cpuacct", "memory"):
                d = os.path.join(m[c] + own_v1(c), name)
                if d in seen:
                    continue
                seen.add(d)
                os.mkdir(d)
                made.append(d)
                procs.append(os.open(os.path.join(d, "cgroup.procs"),
                                     os.O_WRONLY | os.O_CLOEXEC))
            fds.extend(procs)
            modes["joined"] = lambda: spawn(procs=procs)
            if not dyn.usable:
                print("  joined+dynmods: skipped (no cgroup2 mount, or "
                      "favordynmods on already)")
        else:
            print("  joined: skipped (no v1 cpu, cpuacct and memory)")
        if "cgroup2" in m:
            d = os.path.join(m["cgroup2"], name)
            os.mkdir(d)
            made.append(d)
            dirfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            fds.append(dirfd)
            modes["born"] = lambda: spawn(CLONE_INTO_CGROUP, dirfd)
        else:
            print("  born: skipped (no cgroup2 mount)")
        times = {k: [] for k in modes}
        for _ in range(ROUNDS):
            for k, fn in modes.items():
                time.sleep(PAUSE)
                times[k].append(fn())
        print("%d rounds, a spawn every %.1f s:" % (ROUNDS, PAUSE))
        for k in modes:
            benchlib.show(k, times[k])
        for k in ("joined", "born"):
            if k in times:
                print("  ratio %s / plain (medians): %.2f (%+.1f ms)" % (
                    k, benchlib.ratio(times[k], times["plain"]),
                    1000 * (statistics.median(times[k]) -
                            statistics.median(times["plain"]))))
        if "joined" in modes and dyn.usable:
            dyn.set(True)
            late = {"plain": [], "joined+dynmods": []}
            for _ in range(ROUNDS):
                time.sleep(PAUSE)
                late["plain"].append(spawn())
                time.sleep(PAUSE)
                late["joined+dynmods"].append(spawn(procs=procs))
            dyn.set(False)
            print("then %d rounds with favordynmods on:" % ROUNDS)
            for k in late:
                benchlib.show(k, late[k])
            print("  ratio joined+dynmods / plain (medians): %.2f "
                  "(%+.1f ms)" % (
                      benchlib.ratio(late["joined+dynmods"], late["plain"]),
                      1000 * (statistics.median(late["joined+dynmods"]) -
                              statistics.median(late["plain"]))))
    finally:
        dyn.close()
        for fd in fds:
            os.close(fd)
        for d in reversed(made):
            os.rmdir(d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
