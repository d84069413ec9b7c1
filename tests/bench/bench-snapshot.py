#!/usr/bin/env python3
"""bench-snapshot.py: snapshot-save and snapshot-delete latency through
fwsd against the same QMP jobs sent directly, in one run.

  direct  a bare qemu started with the argv fwsd used for the VM (on a
          copy of its disk): QMP snapshot-save (or snapshot-delete) job,
          until it concludes, then query-jobs and job-dismiss, as fwsd
          does;
  fwsd    the control request snapshot-create (snapshot-delete), to its
          reply: the tag checked on the store's index, the same job, the
          disk read back (query-block), the store and the event written
          in one transaction.

Rounds interleave the two; each snapshot is deleted before the next.
"""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))


def main():
    f = benchlib.Fwsd()
    bare = None
    try:
        info = f.guest("s1", "--disk", "64M")
        disk = info["disks"][0]["path"]
        time.sleep(3)                     # let the guest boot
        argv = benchlib.qemu_argv(info["pid"])
        own = benchlib.qemu_dir(f.tmp)
        copy = os.path.join(own, "bare.qcow2")
        shutil.copy(disk, copy)
        benchlib.give_qemu(copy)
        argv = benchlib.bare_argv(argv, [
            (disk, copy), (f.run + "/" + info["uuid"] + ".pid",
             benchlib.bare_pidfile(f.tmp)),
            (f.state + "/vms/s1/console.log", own + "/bare.log")])
        bare, qmp_path, _ = benchlib.bare_qemu(argv, f.tmp)
        q = benchlib.Qmp(qmp_path)
        q.cmd("cont")
        time.sleep(3)

        direct, via, direct_del, via_del = [], [], [], []
        for i in range(ROUNDS):
            tag = "b%d" % i
            t0 = time.monotonic()
            q.cmd("snapshot-save", {"job-id": "j" + tag, "tag": tag,
                                    "vmstate": "fws-disk0",
                                    "devices": ["fws-disk0"]})
            q.wait_job("j" + tag)
            q.cmd("query-jobs")
            q.cmd("job-dismiss", {"id": "j" + tag})
            direct.append(time.monotonic() - t0)
            t0 = time.monotonic()
            q.cmd("snapshot-delete", {"job-id": "d" + tag, "tag": tag,
                                      "devices": ["fws-disk0"]})
            q.wait_job("d" + tag)
            q.cmd("query-jobs")
            q.cmd("job-dismiss", {"id": "d" + tag})
            direct_del.append(time.monotonic() - t0)

            via.append(f.request("snapshot-create",
                                 {"name": "s1", "tag": tag}))
            via_del.append(f.request("snapshot-delete",
                                     {"name": "s1", "tag": tag}))
        q.close()
    finally:
        f.close()
    print("snapshot-save of a running guest (256 MiB, TCG): fwsd vs direct"
          " QMP")
    benchlib.show("direct", direct)
    benchlib.show("fwsd", via)
    print("  ratio fwsd/direct (medians): %.2f" % benchlib.ratio(via, direct))
    print("snapshot-delete of a running guest's snapshot: fwsd vs direct QMP")
    benchlib.show("direct", direct_del)
    benchlib.show("fwsd", via_del)
    print("  ratio fwsd/direct (medians): %.2f" %
          benchlib.ratio(via_del, direct_del))


if __name__ == "__main__":
    sys.exit(main())
