#!/bin/sh
# t-cloud-init.sh: a VM made with --ssh-key and --password-hash has a
# NoCloud seed: an ISO labelled cidata whose meta-data holds its uuid
# and name and whose user-data (a cloud-config that parses to exactly
# the keys and the hash, each value on its own line) is what was given;
# with --user-data, the owner's own file byte for byte.  info shows what
# the seed gives, never the hash.  The seed is root's, 0600: the VM's
# qemu reads it through a descriptor, and no qemu uid opens it by its
# name.  The guest sees a disc labelled cidata.  The seed outlives a
# restart of fwsd, travels in dump and comes back with define, and
# delete removes it.  Hostile input is refused with a clear error and
# makes nothing: a key with a line break and YAML after it, a comment
# with a quote or a backslash, a key of another type or whose body says
# another type, too many keys, too long a key, user-data with a NUL, a
# hash with a line break or that is no crypt(3) hash, --user-data with
# --ssh-key or --password-hash.
. "$(dirname "$0")/lib.sh"

make_user a; A=$MADE_USER
UA=$(uid_of "$A")
# the test guest reads CDs on the pc machine's IDE (it has no AHCI)
write_config "machine = pc"
start_fwsd

K=$T/keys
mkdir -m 0755 "$K"
# key TYPE [COMMENT]: a key line of OpenSSH's shape, its blob random
key() {
	python3 - "$@" <<'EOP'
import base64, os, struct, sys
t = sys.argv[1].encode()
blob = struct.pack(">I", len(t)) + t + struct.pack(">I", 32) + os.urandom(32)
print(" ".join([t.decode(), base64.b64encode(blob).decode()] + sys.argv[2:]))
EOP
}
K1=$(key ssh-ed25519 alice@laptop)
K2=$(key ecdsa-sha2-nistp256 'work: key - [1] {x} #2')
K3=$(key sk-ssh-ed25519@openssh.com)
printf '# my keys\n%s\n\n%s\r\n' "$K1" "$K2" > "$K/a.pub"
printf '%s\n' "$K3" > "$K/b.pub"
HASH=$(openssl passwd -6 -salt fwssaltx secret)
chmod 0644 "$K"/*

SEED=$T/state/users/$UA/vms/v1/seed.iso
as "$A" fwsctl create v1 --vcpus 1 --memory 256 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" --ssh-key "$K/a.pub" \
    --ssh-key "$K/b.pub" --password-hash "$HASH" >/dev/null ||
    fail "create v1 with a seed: $(cat "$T/err" 2>/dev/null)"
[ -f "$SEED" ] || fail "no seed at $SEED"
UUID=$(as "$A" fwsctl info v1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')

# the seed: root's alone, a cidata volume, the files as given
[ "$(stat -c '%u %g %a' "$SEED")" = "0 0 600" ] ||
    fail "seed mode: $(stat -c '%u %g %a' "$SEED")"
isoinfo -d -i "$SEED" | grep -q '^Volume id: cidata$' ||
    fail "seed label: $(isoinfo -d -i "$SEED" | grep -i volume)"
isoinfo -i "$SEED" -R -f | sort | tr '\n' ' ' | grep -qx '/meta-data /user-data ' ||
    fail "seed files: $(isoinfo -i "$SEED" -R -f)"
isoinfo -i "$SEED" -R -x /meta-data > "$T/md"
isoinfo -i "$SEED" -R -x /user-data > "$T/ud"
python3 - "$T/md" "$T/ud" "$UUID" "$HASH" "$K1" "$K2" "$K3" <<'EOP' ||
import sys, yaml
md, ud, uuid, h, *keys = sys.argv[1:]
m = yaml.safe_load(open(md))
assert m == {"instance-id": uuid, "local-hostname": "v1"}, m
text = open(ud).read()
assert text.startswith("#cloud-config\n"), text
u = yaml.safe_load(text)
want = {"ssh_authorized_keys": keys,
        "user": {"passwd": h, "lock_passwd": False}}
assert u == want, (u, want)
EOP
    fail "seed content: $(cat "$T/md" "$T/ud")"
# info: what the seed gives, never the hash
as "$A" fwsctl info v1 --json > "$T/info"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["seed"]; assert s == {"ssh_keys": 3, "user_data": False, "password": True}, s' "$T/info" ||
    fail "info seed: $(cat "$T/info")"
as "$A" fwsctl info v1 > "$T/info.txt"
grep -q '^seed  *cloud-init, 3 SSH keys, a password hash$' "$T/info.txt" ||
    fail "info text: $(grep seed "$T/info.txt")"
if grep -q 'fwssaltx' "$T/info" "$T/info.txt"; then
	fail "info shows the hash"
fi
note "the seed holds the keys, the hash, uuid and name; info shows counts"

# it outlives fwsd's restart (the store keeps it), and the guest sees it
restart_fwsd
as "$A" fwsctl start v1 >/dev/null || fail "start v1: $(cat "$T/err" 2>/dev/null)"
log=$(user_console "$A" v1)
wait_until "$BOOT_TIMEOUT" grep -q FWS-GUEST-READY "$log" || fail "v1 did not boot"
PID=$(as "$A" fwsctl info v1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
# qemu has it as a descriptor, read-only; its uid cannot open it by name
ls -l /proc/"$PID"/fd | grep -q "$SEED" || fail "qemu holds no seed descriptor"
for fd in /proc/"$PID"/fd/*; do
	[ "$(readlink "$fd")" = "$SEED" ] || continue
	grep -q '^flags:.*0[0-7]*[0-7][0-7][0-7]0$' "/proc/$PID/fdinfo/${fd##*/}" ||
	    fail "the seed's descriptor is not read-only: $(cat "/proc/$PID/fdinfo/${fd##*/}")"
done
QUID=$(awk '/^Uid:/ { print $2 }' /proc/"$PID"/status)
QGID=$(awk '/^Gid:/ { print $2 }' /proc/"$PID"/status)
[ "$QUID" != 0 ] || fail "qemu runs as root"
for u in "$QUID" $((QUID + 1)); do
	if setpriv --reuid="$u" --regid="$QGID" --clear-groups cat "$SEED" >/dev/null 2>&1; then
		fail "qemu uid $u opens the seed by its name"
	fi
done
# the volume label (ISO 9660: byte 32808) of each CD the guest has, as
# lib.sh's guest_answer asks a VM of root's: the echo's own line shows
# "LBL:$(", the answer "LBL:" and a letter
printf '%s\n' 'echo "LBL:$(for d in /dev/sr*; do dd if=$d bs=1 skip=32808 count=6 2>/dev/null; done):"' |
    as "$A" fwsctl console v1 >/dev/null 2>&1 || fail "console to v1"
wait_until 30 grep -aq 'LBL:[0-9A-Za-z]' "$log" || fail "v1 did not answer"
label=$(grep -a 'LBL:[0-9A-Za-z]' "$log" | tail -1 | sed 's/.*LBL:\(.*\):.*/\1/' | tr -d '\r')
[ "$label" = cidata ] || fail "the guest reads no cidata disc: '$label'"
note "the guest sees a disc labelled cidata; only qemu's descriptor reads it"
as "$A" fwsctl destroy v1 >/dev/null || fail "destroy v1"
wait_until 20 sh -c "'$FWSCTL_BIN' --socket '$SOCK' info v1 --owner $UA --json | grep -q '\"state\": \"stopped\"'" ||
    fail "v1 did not stop"

# nothing made: the VMs and their directories before and after each
vms_now() {
	fwsctl list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
dirs_now() {
	ls "$T/state/users/$UA/vms" | tr '\n' ' '
}
VMS=$(vms_now)
DIRS=$(dirs_now)
unchanged() {
	[ "$(vms_now)" = "$VMS" ] || fail "$1: a VM was made"
	[ "$(dirs_now)" = "$DIRS" ] || fail "$1: files were made: $(dirs_now)"
}
# refused_raw WHAT EXPECT SEEDJSON: a create request with SEEDJSON's keys
refused_raw() {
	req=$(python3 - "$KERNEL" "$3" <<'EOP'
import json, sys
args = {"name": "bad", "kernel": sys.argv[1]}
args.update(json.loads(sys.argv[2]))
print(json.dumps({"id": 1, "cmd": "create", "args": args}))
EOP
)
	r=$(raw "$req")
	echo "$r" | grep -q '"ok":false' || fail "$1 accepted: $r"
	echo "$r" | grep -q -- "$2" || fail "$1: the error lacks '$2': $r"
	unchanged "$1"
}
B1=${K1#ssh-ed25519 }; B1=${B1%% *}
refused_raw "a key with a line break" "one line of printable ASCII" \
    "{\"ssh_keys\": [\"ssh-ed25519 $B1 x\\nruncmd: [touch /pwned]\"]}"
refused_raw "a key with a quote" "may not hold quotes" \
    "{\"ssh_keys\": [\"ssh-ed25519 $B1 a\\\"]\"]}"
refused_raw "a key with a quote, on one line" "may not hold quotes" \
    "{\"ssh_keys\": [\"ssh-ed25519 $B1 a\\\", \\\"b: c\"]}"
refused_raw "a key with a backslash" "may not hold quotes or backslashes" \
    "{\"ssh_keys\": [\"ssh-ed25519 $B1 a\\\\\\\\\"]}"
refused_raw "a key with a U+2028" "printable ASCII" \
    "{\"ssh_keys\": [\"ssh-ed25519 $B1 a\\u2028b: c\"]}"
refused_raw "a key of type ssh-dss" 'SSH key type \\"ssh-dss\\" is not one of' \
    "{\"ssh_keys\": [\"$(key ssh-dss)\"]}"
refused_raw "a key whose body is another type's" "not the base64 of a ssh-rsa key" \
    "{\"ssh_keys\": [\"ssh-rsa $B1\"]}"
refused_raw "a key with options" "options before the type" \
    "{\"ssh_keys\": [\"command=\\\\\\\"sh\\\\\\\" $K1\"]}"
refused_raw "a key that is not base64" "not the base64" \
    "{\"ssh_keys\": [\"ssh-ed25519 AAAA!!!!\"]}"
refused_raw "17 keys" "17 SSH keys, at most 16" \
    "{\"ssh_keys\": [$(for i in $(seq 17); do printf '"%s",' "$K1"; done | sed 's/,$//')]}"
LONG=$(python3 -c 'print("x" * 17000)')
refused_raw "a key of 17 KiB" "at most 16384 are allowed" \
    "{\"ssh_keys\": [\"$K1 $LONG\"]}"
refused_raw "a hash with a line break" "not one crypt(3) writes" \
    "{\"password_hash\": \"$HASH\\nruncmd: [x]\"}"
refused_raw "a password for a hash" "never the password itself" \
    "{\"password_hash\": \"secret\"}"
refused_raw "user-data with a NUL" '\\u0000 is not allowed' \
    "{\"user_data\": \"#cloud-config\\n\\u0000runcmd: [x]\\n\"}"
refused_raw "user-data beside keys" "the whole of it" \
    "{\"user_data\": \"#cloud-config\\n\", \"ssh_keys\": [\"$K1\"]}"
refused_raw "keys that are no array" '\\"ssh_keys\\" must be an array' \
    "{\"ssh_keys\": \"$K1\"}"
# through fwsctl: its own refusals, and fwsd's words
printf '#cloud-config\n\000runcmd: [x]\n' > "$K/nul.yaml"
printf 'ssh-ed25519 %s a"b\n' "$B1" > "$K/quote.pub"
chmod 0644 "$K"/*
expect_rc 2 as "$A" fwsctl create bad --kernel "$KERNEL" --user-data "$K/nul.yaml" --ssh-key "$K/a.pub"
expect_err "is the whole user-data"
expect_rc 2 as "$A" fwsctl create bad --kernel "$KERNEL" --user-data "$K/nul.yaml" --password-hash "$HASH"
expect_err "is the whole user-data"
expect_rc 1 as "$A" fwsctl create bad --kernel "$KERNEL" --user-data "$K/nul.yaml"
expect_err "holds a NUL byte"
expect_rc 1 as "$A" fwsctl create bad --kernel "$KERNEL" --ssh-key "$K/quote.pub"
expect_err "may not hold quotes"
expect_rc 1 as "$A" fwsctl create bad --kernel "$KERNEL" --password-hash "$(printf '%s\nx' "$HASH")"
expect_err "not one crypt(3) writes"
unchanged "fwsctl's refusals"
note "hostile keys, hashes and user-data are refused; nothing is made"

# --user-data: the owner's own file, byte for byte; other hash shapes
printf '#cloud-config\nruncmd:\n  - [sh, -c, "echo hi: \\"there\\""]\n' > "$K/ud.yaml"
chmod 0644 "$K/ud.yaml"
as "$A" fwsctl create v2 --kernel "$KERNEL" --user-data "$K/ud.yaml" >/dev/null ||
    fail "create v2 with user-data"
isoinfo -i "$T/state/users/$UA/vms/v2/seed.iso" -R -x /user-data > "$T/ud2"
cmp -s "$T/ud2" "$K/ud.yaml" || fail "v2's user-data: $(cat "$T/ud2")"
[ "$(as "$A" fwsctl info v2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seed"])')" = \
    "{'ssh_keys': 0, 'user_data': True, 'password': False}" ] || fail "v2's seed in info"
Y='$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7'
B='$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'
as "$A" fwsctl create v3 --kernel "$KERNEL" --password-hash "$Y" >/dev/null ||
    fail "a yescrypt hash: $(cat "$T/err" 2>/dev/null)"
as "$A" fwsctl create v4 --kernel "$KERNEL" --password-hash "$B" >/dev/null ||
    fail "a bcrypt hash"
fwsctl create v5 --kernel "$KERNEL" >/dev/null || fail "v5 without a seed"
[ "$(field v5 seed)" = "" ] || fail "v5 has a seed: $(field v5 seed)"
[ ! -e "$T/state/vms/v5/seed.iso" ] || fail "v5 has a seed file"
note "--user-data is the owner's own; yescrypt and bcrypt hashes are taken"

# dump carries it, define makes it again; delete removes it
as "$A" fwsctl dump v1 > "$T/v1.json" || fail "dump v1"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["seed"]["password_hash"] == sys.argv[2] and len(d["seed"]["ssh_keys"]) == 3' \
    "$T/v1.json" "$HASH" || fail "dump lacks the seed: $(cat "$T/v1.json")"
chmod 0644 "$T/v1.json"
as "$A" fwsctl delete v1 >/dev/null || fail "delete v1"
[ ! -e "$SEED" ] || fail "delete left the seed"
[ ! -e "$T/state/users/$UA/vms/v1" ] || fail "delete left v1's directory: $(ls -la "$T/state/users/$UA/vms/v1")"
as "$A" fwsctl define "$T/v1.json" >/dev/null || fail "define v1: $(cat "$T/err" 2>/dev/null)"
isoinfo -i "$SEED" -R -x /user-data > "$T/ud.again"
isoinfo -i "$SEED" -R -x /meta-data > "$T/md.again"
cmp -s "$T/ud" "$T/ud.again" && cmp -s "$T/md" "$T/md.again" ||
    fail "define made another seed: $(cat "$T/md.again" "$T/ud.again")"
# a clone has a seed of its own: the same keys, its own uuid and name
# (a new instance to cloud-init); full and linked alike
for v in v2 v3 v4; do
	as "$A" fwsctl delete "$v" >/dev/null || fail "delete $v"
done
as "$A" fwsctl clone v1 v1c >/dev/null 2>"$T/err" || fail "clone v1: $(cat "$T/err")"
as "$A" fwsctl create v6 --kernel "$KERNEL" --disk 16M --ssh-key "$K/b.pub" \
    >/dev/null || fail "create v6"
as "$A" fwsctl clone v6 v6l --linked >/dev/null 2>"$T/err" || fail "clone --linked v6: $(cat "$T/err")"
for c in v1c:v1 v6l:v6; do
	vm=${c%%:*} src=${c#*:}
	cs=$T/state/users/$UA/vms/$vm/seed.iso
	[ "$(stat -c '%u %g %a' "$cs" 2>&1)" = "0 0 600" ] ||
	    fail "$vm's seed: $(stat -c '%u %g %a' "$cs" 2>&1)"
	isoinfo -i "$cs" -R -x /meta-data > "$T/md.$vm"
	isoinfo -i "$cs" -R -x /user-data > "$T/ud.$vm"
	isoinfo -i "$T/state/users/$UA/vms/$src/seed.iso" -R -x /user-data > "$T/ud.$src"
	cmp -s "$T/ud.$vm" "$T/ud.$src" || fail "$vm's user-data is not $src's"
	cuuid=$(as "$A" fwsctl info "$vm" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')
	python3 - "$T/md.$vm" "$cuuid" "$vm" <<'EOP' || fail "$vm's meta-data: $(cat "$T/md.$vm")"
import sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
assert m == {"instance-id": sys.argv[2], "local-hostname": sys.argv[3]}, m
EOP
done
[ "$(as "$A" fwsctl info v1c --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seed"])')" = \
    "{'ssh_keys': 3, 'user_data': False, 'password': True}" ] || fail "v1c's seed in info"
note "a clone, full or linked, gets a seed of its own with the same keys"
for v in v1 v1c v6l v6; do
	as "$A" fwsctl delete "$v" >/dev/null || fail "delete $v"
done
fwsctl delete v5 >/dev/null || fail "delete v5"
left=$(ls "$T/state/users/$UA/vms")
[ -z "$left" ] || fail "files left: $left"
note "dump and define carry the seed; delete removes it"
