# t-screenshot.sh: screenshot hands fwsctl a PNG of the VM's screen,
# which fwsctl writes where its caller asked, with the caller's rights
# (the protocol names no file: fwsd writes only in its run directory,
# and leaves nothing there).  The PNG is whole (every chunk's CRC, the
# pixels inflate to width x height) and as large as the guest's VGA
# text screen; a paused guest has one too; a stopped VM, another
# user's, a file named in the request are refused.
. "$(dirname "$0")/lib.sh"
start_fwsd
create_guest s1
fwsctl start s1 >/dev/null || fail "start s1"
wait_console s1 FWS-GUEST-READY

# png_check FILE W H: a whole PNG of W x H pixels
png_check() {
	python3 - "$@" <<'EOP'
import struct, sys, zlib
path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
off, idat, ihdr, end = 8, b"", None, False
while off < len(data):
    n, kind = struct.unpack(">I4s", data[off:off + 8])
    body = data[off + 8:off + 8 + n]
    crc, = struct.unpack(">I", data[off + 8 + n:off + 12 + n])
    assert zlib.crc32(kind + body) == crc, "bad CRC in %r" % kind
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    elif kind == b"IEND":
        end = True
    off += 12 + n
assert ihdr and end, "no IHDR or IEND"
pw, ph, depth, color = ihdr[:4]
assert (pw, ph) == (w, h), "%dx%d, not %dx%d" % (pw, ph, w, h)
chans = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
row = 1 + (pw * chans * depth + 7) // 8
assert len(zlib.decompress(idat)) == ph * row, "pixels do not fill it"
EOP
}

fwsctl screenshot s1 "$T/s1.png" >"$T/out" 2>"$T/err" ||
    fail "screenshot: $(cat "$T/err")"
grep -q "^s1: 720x400 screenshot in $T/s1.png$" "$T/out" ||
    fail "screenshot said: $(cat "$T/out")"
png_check "$T/s1.png" 720 400 || fail "not a whole 720x400 PNG"
fwsctl screenshot s1 - >"$T/stdout.png" || fail "screenshot to stdout"
png_check "$T/stdout.png" 720 400 || fail "stdout: not a whole PNG"
fwsctl screenshot s1 "$T/j.png" --json | python3 -c '
import json, os, sys
r = json.load(sys.stdin)
ok = (r["name"], r["width"], r["height"]) == ("s1", 720, 400) and \
    r["bytes"] == os.path.getsize(r["file"]) and "fd" not in r
sys.exit(0 if ok else 1)' || fail "screenshot --json"
ls "$T/run" | grep -q screen && fail "a picture left in the run dir: $(ls "$T/run")"
note "a whole PNG of the VGA text screen, as a file, on stdout, in json"

fwsctl pause s1 >/dev/null || fail "pause"
fwsctl screenshot s1 "$T/paused.png" >/dev/null || fail "screenshot of a paused VM"
png_check "$T/paused.png" 720 400 || fail "paused: not a whole PNG"
fwsctl resume s1 >/dev/null || fail "resume"

# refused: a stopped VM, another user's, a file named by the request
fwsctl destroy s1 >/dev/null || fail "destroy"
expect_rc 1 fwsctl screenshot s1 "$T/no.png"
expect_err "s1 is stopped"
test -e "$T/no.png" && fail "a file was made for a refused screenshot"
fwsctl start s1 >/dev/null || fail "start again"
make_user a
expect_rc 1 as "$MADE_USER" fwsctl screenshot s1 /tmp/x.png
expect_err "no VM named \"s1\""
raw '{"id":1,"cmd":"screenshot","args":{"name":"s1","filename":"/etc/fws-x"}}' |
    grep -q 'unknown argument \\"filename\\"' || fail "fwsd took a file name"
test -e /etc/fws-x && fail "fwsd wrote where a request said"
expect_rc 2 fwsctl screenshot s1
ls "$T/run" | grep -q screen && fail "a picture left in the run dir"
note "refused: stopped, another user's VM, a file named by the request"
