# t-structure.sh: the shape of the daemon's code, as the objects built
# from it have it.  No circle of files calls each other (a file's
# functions called by another, from nm: fwsd.c and fws-web.c, which
# start everything, aside; fws-web's files in supervisor/web/ too); the
# core (vm, snapshot, create, image-import, quota, events, loan)
# includes no proto.h, the reply layer's; one place writes a VM's
# state; netsetup/ includes no fws.h.
. "$(dirname "$0")/lib.sh"
command -v nm >/dev/null 2>&1 || fail "nm is missing (package binutils)"
[ -d "$BUILD/obj/supervisor" ] || fail "no objects in $BUILD/obj"

python3 - "$BUILD/obj" >"$T/cycles" 2>&1 <<'EOP' || fail "circles of files: $(cat "$T/cycles")"
import collections, glob, os, subprocess, sys
obj = sys.argv[1]
defs, used = {}, collections.defaultdict(set)
for o in glob.glob(obj + "/supervisor/*.o") + glob.glob(obj + "/qmp/*.o") + \
        glob.glob(obj + "/netsetup/*.o") + glob.glob(obj + "/supervisor/web/*.o"):
    f = os.path.basename(o)[:-2]
    if f.startswith("fwsctl") or f in ("fwsd", "fws-web"):
        continue
    for line in subprocess.run(["nm", o], capture_output=True,
                               text=True, check=True).stdout.splitlines():
        w = line.split()
        if len(w) == 3 and w[1] == "T":
            defs[w[2]] = f
        elif len(w) == 2 and w[0] == "U":
            used[f].add(w[1])
calls = {f: {defs[s] for s in syms if s in defs and defs[s] != f}
         for f, syms in used.items()}
# a circle: a file that reaches itself again
bad = []
for start in calls:
    seen, todo = set(), [(start, [start])]
    while todo:
        f, path = todo.pop()
        for g in calls.get(f, ()):
            if g == start:
                bad.append(" -> ".join(path + [g]))
            elif g not in seen:
                seen.add(g)
                todo.append((g, path + [g]))
if bad:
    print("\n".join(sorted(set(bad))[:10]))
    sys.exit(1)
print("%d files, no circle" % len(calls))
EOP
note "$(cat "$T/cycles")"

cd "$TOP" || fail "cd $TOP"
core="vm.c vm-run.c vm-adopt.c vm-restart.c vm-def.c vm-json.c vm-paths.c
    vm-remove.c snapshot.c create.c clone.c image-import.c quota.c events.c
    loan.c media.c vm-save.c"
for f in $core; do
	grep -q '#include "proto.h"' "supervisor/$f" &&
	    fail "supervisor/$f includes proto.h: the core speaks no protocol"
	grep -q 'request_\(ok\|error\|cause\)' "supervisor/$f" &&
	    fail "supervisor/$f answers requests itself"
done
n=$(grep -n 'vm_state = ' supervisor/*.c | grep -vc '==')
[ "$n" = 1 ] || fail "a VM's state is written in $n places: $(grep -n 'vm_state = ' supervisor/*.c)"
grep -l 'fws.h' netsetup/*.c && fail "netsetup/ includes fws.h"
note "the core speaks no protocol; one write of a VM's state; netsetup apart"
