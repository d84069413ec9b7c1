#!/bin/sh
# t-image-check.sh: images are checked for well-known credentials before
# they may reach a public network.  Images built here with real tools
# (mkfs.ext4 -d from a tree, qemu-img convert) and read by the real
# fws-image-check (libguestfs's appliance, under TCG):
#   - a Vagrant-like image: vagrant's password (openssl passwd -6), its
#     insecure key in /home/vagrant/.ssh/authorized_keys, sshd_config with
#     PermitRootLogin yes: each reported, after an import (the check
#     follows it) and by image-check (waiting for the check under way);
#   - the same image packed in a Vagrant box (.box), imported again:
#     checked anew;
#   - the same tree without them: clean;
#   - a filesystem whose superblock is random bytes: nothing could be
#     checked, a finding; fwsd up;
#   - hostile trees (a library's, checked by an admin): /etc/shadow a
#     symbolic link to a device node, an authorized_keys that is a FIFO,
#     one a link to an absolute path, a 2 MiB sshd_config; a 3 MiB
#     shadow: each file reported as not checked, nothing read past its
#     cap, fwsd up;
#   - a checker that says too much, or hangs: killed, the check failed;
#   - a check killed (its image deleted, fwsd ending) leaves nothing in
#     /tmp (libguestfs's sockets and overlays live in the checker's own
#     mount namespace), nor anything mounted on the host.
# Who may: a user checks their own images, not another's nor the
# library's; only an admin accepts one.  The policy: a public network
# (net-create --public, net-public) refuses a VM whose disk comes from an
# image with findings, or not checked, at create, nic-add, disk-add and
# start (the network became public later), naming each finding; net-public
# refuses while such a VM runs on the network; image-accept lets it in; a
# deleted and re-imported image keeps neither findings nor acceptance.
. "$(dirname "$0")/lib.sh"
use_netns
# libguestfs's directories in /tmp before: no check may add one
guestfs_tmp() { ls -d /tmp/libguestfs* 2>/dev/null | sort; }
GUESTFS_TMP_BEFORE=$(guestfs_tmp)
make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
write_config "quota_vms = 20"
L=$T/images

# --- the images ---------------------------------------------------------
VKEY='ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ== vagrant insecure public key'
W=$T/work
mkdir -p "$W"

# tree DIR: a small Debian-like tree: root, vagrant, bob, sshd_config
tree() {
	mkdir -p "$1/etc/ssh/sshd_config.d" "$1/root" "$1/home/vagrant/.ssh" \
	    "$1/home/bob/.ssh" "$1/dev"
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	    'vagrant:x:1000:1000::/home/vagrant:/bin/sh' \
	    'bob:x:1001:1001::/home/bob:/bin/sh' > "$1/etc/passwd"
	echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f bob' \
	    > "$1/home/bob/.ssh/authorized_keys"
}
# image NAME DIR: DIR as an ext4 filesystem in NAME.qcow2 (under $W)
image() {
	truncate -s 32M "$W/$1.raw" &&
	    mkfs.ext4 -q -F -d "$2" "$W/$1.raw" &&
	    qemu-img convert -f raw -O qcow2 "$W/$1.raw" "$W/$1.qcow2" &&
	    rm -f "$W/$1.raw" || fail "cannot make image $1"
}

# the Vagrant-like one
V=$W/vagrant
tree "$V"
vhash=$(openssl passwd -6 vagrant)
printf '%s\n' 'root:*:19000:0:99999:7:::' \
    "vagrant:$vhash:19000:0:99999:7:::" 'bob:!:19000::::::' > "$V/etc/shadow"
echo "$VKEY" > "$V/home/vagrant/.ssh/authorized_keys"
printf 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n' \
    > "$V/etc/ssh/sshd_config"
image vagrant "$V"

# the same without them: a password nobody knows, bob's own key, no
# root logins, no passwords over SSH
C=$W/clean
tree "$C"
chash=$(openssl passwd -6 "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')")
printf '%s\n' 'root:*:19000:0:99999:7:::' \
    "vagrant:$chash:19000:0:99999:7:::" 'bob:!:19000::::::' > "$C/etc/shadow"
printf 'PermitRootLogin prohibit-password\n' > "$C/etc/ssh/sshd_config"
echo 'PasswordAuthentication no' > "$C/etc/ssh/sshd_config.d/10-no.conf"
image clean "$C"

# random bytes over the superblock (and the group descriptors after it)
cp "$W/clean.qcow2" "$W/corrupt.qcow2"
qemu-img convert -f qcow2 -O raw "$W/clean.qcow2" "$W/corrupt.raw"
dd if=/dev/urandom of="$W/corrupt.raw" bs=1024 seek=1 count=8 conv=notrunc \
    status=none
qemu-img convert -f raw -O qcow2 "$W/corrupt.raw" "$W/corrupt.qcow2"
rm -f "$W/corrupt.raw"

# hostile: shadow a link to a device node, keys a FIFO and a link to an
# absolute path, a 2 MiB sshd_config
X=$W/hostile
tree "$X"
mknod "$X/dev/zero" c 1 5
ln -s /dev/zero "$X/etc/shadow"
rm -f "$X/home/bob/.ssh/authorized_keys"
mkfifo "$X/home/bob/.ssh/authorized_keys"
mkdir -p "$X/root/.ssh"
ln -s /etc/passwd "$X/root/.ssh/authorized_keys"
head -c 2M /dev/zero | tr '\0' '#' > "$X/etc/ssh/sshd_config"
image hostile "$X"
# a 3 MiB shadow (lines of vagrant's hash, over and over)
S=$W/bigshadow
tree "$S"
yes "vagrant:$vhash:19000:0:99999:7:::" | head -c 3M > "$S/etc/shadow"
image bigshadow "$S"
cp "$W/hostile.qcow2" "$W/bigshadow.qcow2" "$L/"
chmod 0644 "$L"/*.qcow2

# A's files, read with A's rights
H=$T/home-a
mkdir -p "$H"
cp "$W/vagrant.qcow2" "$W/clean.qcow2" "$W/corrupt.qcow2" "$H/"
# the same image as a Vagrant box (libvirt provider), as users bring it
mkdir "$W/box"
cp "$W/vagrant.qcow2" "$W/box/box.img"
echo '{"provider": "libvirt", "format": "qcow2"}' > "$W/box/metadata.json"
(cd "$W/box" && tar -czf "$H/vagrant.box" metadata.json box.img)
chown -R "$A" "$H"
chmod 0700 "$H"
note "images made"

start_fwsd
area=$T/state/users/$(uid_of "$A")/images

# check_json NAME [fwsctl ARGS...]: image-check's reply as JSON, by A
# unless told
kinds() {
	python3 -c 'import json,sys
o = json.load(sys.stdin)
print(o["state"], " ".join(sorted(f["kind"] for f in o["findings"])))'
}

# --- the Vagrant-like image: the import's check, then image-check ------
as "$A" fwsctl image-import vagrant "$H/vagrant.qcow2" > "$T/out" 2>&1 ||
    fail "import vagrant: $(cat "$T/out")"
grep -q "being checked for well-known credentials" "$T/out" ||
    fail "the import does not say a check follows: $(cat "$T/out")"
# under way (or done already), never clean before it ends
st=$(as "$A" fwsctl image-list --json | python3 -c 'import json,sys
print([i["check"]["state"] for i in json.load(sys.stdin) if i["name"] == "vagrant"][0])')
case $st in queued|checking|findings) ;; *) fail "vagrant is $st after import" ;; esac
as "$A" fwsctl image-check vagrant --json > "$T/vagrant.json" 2>"$T/err" ||
    fail "image-check vagrant: $(cat "$T/err")"
got=$(kinds < "$T/vagrant.json")
[ "$got" = "findings insecure-key known-password sshd-password-login sshd-root-login" ] ||
    fail "vagrant: $got: $(cat "$T/vagrant.json")"
grep -q "well-known password 'vagrant'" "$T/vagrant.json" ||
    fail "the password is not named"
grep -q "/home/vagrant/.ssh/authorized_keys" "$T/vagrant.json" ||
    fail "the key's file is not named"
note "vagrant's password, key, root login and password logins found"

# the words a terminal gets
as "$A" fwsctl image-check vagrant > "$T/out" 2>&1 || fail "image-check text"
grep -q "image vagrant: 4 findings" "$T/out" || fail "text: $(cat "$T/out")"
grep -q "kept off public networks" "$T/out" || fail "text: $(cat "$T/out")"

# --- clean and corrupt --------------------------------------------------
as "$A" fwsctl image-import clean "$H/clean.qcow2" >/dev/null 2>&1 ||
    fail "import clean"
as "$A" fwsctl image-import corrupt "$H/corrupt.qcow2" >/dev/null 2>&1 ||
    fail "import corrupt"
got=$(as "$A" fwsctl image-check clean --json | kinds)
[ "$got" = "clean " ] || fail "clean: $got"
got=$(as "$A" fwsctl image-check corrupt --json | kinds)
[ "$got" = "findings unchecked" ] || fail "corrupt: $got"
kill -0 "$FWSD_PID" || fail "fwsd died"
note "a clean image is clean; a corrupt one could not be checked"

# image-list shows each, as JSON and in its table
as "$A" fwsctl image-list --json | python3 -c 'import json,sys
want = {"vagrant": "findings", "clean": "clean", "corrupt": "findings"}
have = {i["name"]: i["check"]["state"] for i in json.load(sys.stdin)
        if i["owner"] is not None}
assert have == want, have' || fail "image-list --json"
as "$A" fwsctl image-list > "$T/out" || fail "image-list"
grep -q "^clean .* clean " "$T/out" || fail "table: $(cat "$T/out")"
grep -q "^vagrant .* 4 found " "$T/out" || fail "table: $(cat "$T/out")"

# --- who may check what ---------------------------------------------------
expect_rc 1 as "$B" fwsctl image-check vagrant --owner "$A"
expect_err "only admins act for another user"
expect_rc 1 as "$B" fwsctl image-check vagrant
expect_err 'no image named "vagrant"'
expect_rc 1 as "$A" fwsctl image-check hostile
expect_err "library's: an admin checks it"
expect_rc 1 as "$A" fwsctl image-accept vagrant
expect_err "admins only"
expect_rc 1 as "$A" fwsctl image-check '../../etc/passwd'
note "users check their own images alone; only admins accept"

# --- hostile library images, by an admin ---------------------------------
fwsctl image-check hostile --json > "$T/hostile.json" 2>"$T/err" ||
    fail "image-check hostile: $(cat "$T/err")"
python3 - "$T/hostile.json" <<'EOP' || fail "hostile: $(cat "$T/hostile.json")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["state"] == "findings", o
by = {(f["kind"], f.get("file")) for f in o["findings"]}
for want in [("unreadable", "/etc/shadow"),
             ("unreadable", "/home/bob/.ssh/authorized_keys"),
             ("unreadable", "/etc/ssh/sshd_config")]:
    assert want in by, (want, by)
# the link to an absolute path is read inside the guest's tree: its
# /etc/passwd, which holds no key
assert not any(k == "insecure-key" for k, f in by), by
EOP
fwsctl image-check bigshadow --json > "$T/big.json" 2>"$T/err" ||
    fail "image-check bigshadow: $(cat "$T/err")"
python3 - "$T/big.json" <<'EOP' || fail "bigshadow: $(cat "$T/big.json")"
import json, sys
o = json.load(open(sys.argv[1]))
f = [(f["kind"], f.get("file"), f["detail"]) for f in o["findings"]]
assert f == [("unreadable", "/etc/shadow",
              "3145728 bytes, more than the 1048576 checked")], f
EOP
kill -0 "$FWSD_PID" || fail "fwsd died"
note "links, a device, a FIFO, files too large: reported, not read"

# --- the policy ----------------------------------------------------------
fwsctl net-create pub --bridge fwsbrp --address 10.91.0.1/24 --public \
    --open >/dev/null || fail "net-create pub"
fwsctl net-create lan --bridge fwsbrl --address 10.92.0.1/24 --open \
    >/dev/null || fail "net-create lan"
fwsctl net-list --json | python3 -c 'import json,sys
n = {x["name"]: x["public"] for x in json.load(sys.stdin)}
assert n == {"pub": True, "lan": False}, n' || fail "net-list public"
fwsctl net-list | grep -q "^pub .* yes " || fail "net-list table"

# acreate NAME ARGS...: A's VM on the test guest's kernel
acreate() {
	n=$1; shift
	as "$A" fwsctl create "$n" --memory 128 --kernel "$KERNEL" \
	    --initrd "$INITRD" --append "$GUEST_APPEND" "$@"
}
# refused_for_vagrant: the refusal in $T/err names each finding
refused_for_vagrant() {
	for w in "network pub is public" "image vagrant holds" \
	    "well-known password 'vagrant'" "insecure RSA key" \
	    "PermitRootLogin yes" "image-accept"; do
		expect_err "$w"
	done
}

expect_rc 1 acreate v1 --base vagrant --net pub
refused_for_vagrant
expect_rc 1 acreate c1 --base corrupt --net pub
expect_err "image corrupt holds well-known credentials: no filesystem"
acreate ok1 --base clean --net pub >/dev/null || fail "clean on pub: $(cat "$T/err")"
note "create: refused for the findings, a clean image welcome"

# nic-add, disk-add: the same door
acreate v3 --base vagrant >/dev/null || fail "create v3"
expect_rc 1 as "$A" fwsctl nic-add v3 pub
refused_for_vagrant
as "$A" fwsctl nic-add v3 lan >/dev/null || fail "nic-add lan"
expect_rc 1 as "$A" fwsctl disk-add ok1 "$area/vagrant.qcow2,format=qcow2"
refused_for_vagrant
note "nic-add and disk-add refused"

# a network made public later: start refused; net-public refused while
# such a VM runs on it
acreate v2 --base vagrant --net lan >/dev/null || fail "create v2"
as "$A" fwsctl start v2 >/dev/null || fail "start v2 on lan"
expect_rc 1 fwsctl net-public lan on
expect_err "cannot become public while VM v2 .*runs on it"
expect_err "well-known password 'vagrant'"
as "$A" fwsctl destroy v2 >/dev/null || fail "destroy v2"
fwsctl net-public lan on >/dev/null || fail "net-public lan on"
expect_rc 1 as "$A" fwsctl start v2
expect_err "network lan is public"
expect_err "well-known password 'vagrant'"
state=$(as "$A" fwsctl info v2 --json | python3 -c 'import json,sys
print(json.load(sys.stdin)["state"])')
[ "$state" = stopped ] || fail "v2 is $state after the refused start"
note "start refused once the network is public; net-public refused while it ran"

# an admin accepts the image: in it goes
fwsctl image-accept vagrant --owner "$A" > "$T/out" || fail "image-accept"
grep -q "accepted for public networks" "$T/out" || fail "accept: $(cat "$T/out")"
as "$A" fwsctl image-list | grep -q "^vagrant .* accepted " ||
    fail "image-list after accept"
as "$A" fwsctl start v2 >/dev/null || fail "start v2 accepted: $(cat "$T/err")"
acreate v1 --base vagrant --net pub >/dev/null || fail "create v1 accepted"
as "$A" fwsctl nic-add v3 pub >/dev/null || fail "nic-add accepted"
as "$A" fwsctl destroy v2 >/dev/null || fail "destroy v2"
note "image-accept lets it in"

# deleted and imported again: neither findings nor acceptance kept
for v in v1 v2 v3; do
	as "$A" fwsctl delete "$v" >/dev/null || fail "delete $v"
done
as "$A" fwsctl image-delete vagrant >/dev/null || fail "image-delete"
as "$A" fwsctl image-import vagrant "$H/vagrant.box" >/dev/null 2>&1 ||
    fail "import vagrant again, from its box"
expect_rc 1 acreate v1 --base vagrant --net pub
expect_err "image vagrant"
as "$A" fwsctl image-check vagrant --json | python3 -c 'import json,sys
o = json.load(sys.stdin)
assert o["state"] == "findings" and o["accepted"] is None, o' ||
    fail "the re-imported image kept its acceptance"
note "a re-imported image (from a Vagrant box) is checked anew, not accepted"
kill -0 "$FWSD_PID" || fail "fwsd died"

# check_group IMAGE: the process group of the check of IMAGE under way
check_group() {
	wait_until 30 pgrep -f "fws-image-check --tcg --scratch $T/run/image-check qcow2 $1\$" ||
	    fail "no check of $1 runs"
	ps -o pgid= -p "$(pgrep -f "fws-image-check --tcg --scratch $T/run/image-check qcow2 $1\$" |
	    head -1)" | tr -d ' '
}
# deleted while it is checked: the check ends, its appliance with it;
# and so when fwsd ends during one
as "$A" fwsctl image-import gone "$H/clean.qcow2" >/dev/null 2>&1 ||
    fail "import gone"
pg=$(check_group "$area/gone.qcow2")
as "$A" fwsctl image-delete gone >/dev/null || fail "image-delete gone"
wait_until 10 sh -c "! pgrep -g $pg" ||
    fail "a deleted image's check left $(pgrep -a -g "$pg")"
as "$A" fwsctl image-import late "$H/clean.qcow2" >/dev/null 2>&1 ||
    fail "import late"
pg=$(check_group "$area/late.qcow2")
stop_fwsd
wait_until 10 sh -c "! pgrep -g $pg" ||
    fail "fwsd's end left $(pgrep -a -g "$pg")"
[ "$(guestfs_tmp)" = "$GUESTFS_TMP_BEFORE" ] ||
    fail "checks left in /tmp: $(guestfs_tmp)"
[ -z "$(ls -A "$T/run/image-check")" ] ||
    fail "the checks' scratch holds $(ls -A "$T/run/image-check")"
! grep -q " $T/run/image-check " /proc/self/mountinfo ||
    fail "a check's tmpfs is mounted on the host"
note "a check is killed with its appliance: image deleted, fwsd ending; nothing is left in /tmp"


# --- a checker that misbehaves -------------------------------------------
cat > "$T/flood-checker" <<'EOS'
#!/bin/sh
while :; do echo "progress 5 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; done
EOS
# (not exec: its own command line is what pgrep looks for)
no_checker() { ! pgrep -f "$T/hang-checker" >/dev/null; }
cat > "$T/hang-checker" <<'EOS'
#!/bin/sh
echo "progress 5 starting"
sleep 1000
EOS
chmod 0755 "$T/flood-checker" "$T/hang-checker"
write_config "image_checker = $T/flood-checker
image_check_timeout = 10"
start_fwsd
expect_rc 1 as "$A" fwsctl image-check clean
expect_err "said more than 262144 bytes: killed"
got=$(as "$A" fwsctl image-list --json | python3 -c 'import json,sys
print([i["check"]["state"] for i in json.load(sys.stdin) if i["name"] == "clean"][0])')
[ "$got" = failed ] || fail "clean after a flood: $got"
expect_rc 1 acreate c2 --base clean --net pub
expect_err "could not be checked"
stop_fwsd
write_config "image_checker = $T/hang-checker
image_check_timeout = 10"
start_fwsd
expect_rc 1 as "$A" fwsctl image-check clean
expect_err "took longer than 10 s (image_check_timeout): killed"
kill -0 "$FWSD_PID" || fail "fwsd died"
[ -z "$(pgrep -f "$T/hang-checker")" ] || fail "the hung checker is left"
note "a flooding or hung checker is killed; the image is not cleared"

# --- one user's checks take a few places, never the whole queue; checks
# owed are taken up after a restart and as the queue empties -----------
# (the hung checker: each check holds its place until killed)
stop_fwsd
write_config "image_checker = $T/hang-checker
image_check_timeout = 300
quota_images = 20"
start_fwsd
for i in 1 2 3 4 5; do
	as "$A" fwsctl image-import "q$i" "$H/clean.qcow2" >/dev/null 2>&1 ||
	    fail "import q$i"
done
# states USER NAME...: each image's check state, in order
states() {
	u=$1
	shift
	as "$u" fwsctl image-list --json | python3 -c 'import json,sys
s = {i["name"]: i["check"]["state"] for i in json.load(sys.stdin)
     if "check" in i}
print(" ".join(s.get(n, "none") for n in sys.argv[1:]))' "$@"
}
check_is() { [ "$(states "$1" "$2")" = "$3" ]; }
got=$(states "$A" q1 q2 q3 q4 q5)
[ "$got" = "checking queued queued queued queued" ] ||
    fail "one user's five imports' checks: $got"
[ "$(pgrep -fc "$T/hang-checker")" = 1 ] || fail "not one check runs"
expect_rc 1 as "$A" fwsctl image-check q5
expect_err "4 checks of this user's images are under way or waiting"
mkdir -p "$T/home-b"
cp "$W/clean.qcow2" "$T/home-b/"
chown -R "$B" "$T/home-b"
as "$B" fwsctl image-import bq "$T/home-b/clean.qcow2" >/dev/null 2>&1 ||
    fail "import bq"
[ "$(states "$B" bq)" = queued ] ||
    fail "another user's check behind A's four: $(states "$B" bq)"
note "one user's checks take four places at most: another user's still queue"
# fwsd ends during them: each is taken up again when it starts
stop_fwsd
wait_until 10 no_checker ||
    fail "fwsd's end left a check: $(ps -eo pid,pgid,ppid,stat,etimes,args | grep "[h]ang-checker")"
start_fwsd
got=$(states "$A" q1 q2 q3 q4 q5)
[ "$got" = "checking queued queued queued queued" ] ||
    fail "after a restart, A's checks: $got"
[ "$(states "$B" bq)" = queued ] || fail "after a restart, bq: $(states "$B" bq)"
grep -q "image q1 .*its check owed is taken up" "$T/fwsd.log" ||
    fail "fwsd did not say it took q1's check up again"
# the queue empties: the fifth, owed all along, runs
for i in 1 2 3 4; do
	as "$A" fwsctl image-delete "q$i" >/dev/null || fail "image-delete q$i"
done
wait_until 10 check_is "$B" bq checking ||
    fail "bq does not run: $(states "$B" bq)"
as "$B" fwsctl image-delete bq >/dev/null || fail "image-delete bq"
wait_until 10 check_is "$A" q5 checking ||
    fail "the owed check of q5 is not taken up: $(states "$A" q5)"
as "$A" fwsctl image-delete q5 >/dev/null || fail "image-delete q5"
wait_until 10 no_checker ||
    fail "a deleted image's check is left"
kill -0 "$FWSD_PID" || fail "fwsd died"
note "checks owed are taken up after a restart, and as the queue empties"
