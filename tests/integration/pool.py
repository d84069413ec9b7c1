#!/usr/bin/env python3
"""pool.py [--jobs N] [--reports DIR] TEST...: run integration tests a few
at a time, and sum up.

Each test has its own fwsd, directories, users, namespaces and cgroups
(lib.sh names them after its temporary directory), so tests run side by
side; most of their time is spent waiting for guests.  A test that
changes what every test shares (the fws accounts, say) says so with a
line "# integration: alone" and runs after the others, by itself.  A
test's output is printed whole when it ends, then "ok" or "FAIL" with
its time; at the end "N passed, N failed" and the failed ones' names.

--reports DIR: the sanitizers' reports of each test go to DIR/TEST/
(ASan and UBSan log_path), for run-sanitized.sh to look at.
--jobs N: tests at a time (INTEGRATION_JOBS, else 2).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ASAN = ("log_path=%s/asan:detect_leaks=1:fast_unwind_on_malloc=0:"
        "detect_stack_use_after_return=1:check_initialization_order=1:"
        "strict_string_checks=1")
UBSAN = "log_path=%s/ubsan:print_stacktrace=1:halt_on_error=1"


def alone(test):
    with open(test) as f:
        return any(line.startswith("# integration: alone") for line in f)


def start(test, reports):
    env = dict(os.environ)
    if reports:
        d = os.path.join(reports, test[:-3])
        os.makedirs(d, exist_ok=True)
        env["ASAN_OPTIONS"] = ASAN % d
        env["UBSAN_OPTIONS"] = UBSAN % d
    out = tempfile.TemporaryFile()
    proc = subprocess.Popen(["sh", test], stdout=out,
                            stderr=subprocess.STDOUT, env=env,
                            stdin=subprocess.DEVNULL)
    return proc, out, time.monotonic()


def finish(test, proc, out, t0):
    out.seek(0)
    sys.stdout.flush()
    sys.stdout.buffer.write(out.read())
    out.close()
    ok = proc.returncode == 0
    print("%-5s %s (%d s)" % ("ok" if ok else "FAIL", test,
                              round(time.monotonic() - t0)), flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int,
                    default=int(os.environ.get("INTEGRATION_JOBS", "2")))
    ap.add_argument("--reports")
    ap.add_argument("tests", nargs="+")
    a = ap.parse_args()
    together = [t for t in a.tests if not alone(t)]
    by_itself = [t for t in a.tests if alone(t)]
    failed, passed = [], 0
    running = {}
    queue = list(together)
    while queue or running:
        while queue and len(running) < max(1, a.jobs):
            t = queue.pop(0)
            running[t] = start(t, a.reports)
        pid, status = os.wait()
        for t, (proc, out, t0) in list(running.items()):
            if proc.pid == pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                del running[t]
                if finish(t, proc, out, t0):
                    passed += 1
                else:
                    failed.append(t)
    for t in by_itself:
        proc, out, t0 = start(t, a.reports)
        proc.wait()
        if finish(t, proc, out, t0):
            passed += 1
        else:
            failed.append(t)
    if failed:
        print("failed: " + " ".join(failed))
    print("integration: %d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
