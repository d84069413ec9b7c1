# t-docs.sh: the manual pages, the example configuration and the bash
# completion.  The pages format without a warning.  What they must cover
# is read from the sources, so that a verb, option or key added later
# without its documentation fails here: every verb (the protocol's
# list, fwsctl --verbs) has an entry in fwsctl.1 and is completed, every
# option in a verb's usage is in fwsctl.1 and is completed, every key of
# config.c's config_keys has an entry in fwsd.conf.5 and a line in
# fwsd.conf.example (and nothing else does), every fwsd flag is in
# fwsd.8, and the example's defaults are accepted by fwsd.  Against a
# live fwsd with VMs alpha and beta, completion offers VM names (from
# $FWS_SOCKET or an earlier --socket), verbs, snapshot tags and fixed
# values; with no fwsd to ask it offers and prints nothing.
. "$(dirname "$0")/lib.sh"
MAN=$TOP/contrib/man
COMP=$TOP/contrib/bash-completion/fwsctl
EXAMPLE=$TOP/contrib/fwsd.conf.example

command -v groff >/dev/null 2>&1 || fail "groff is missing (package groff-base)"
command -v bash >/dev/null 2>&1 || fail "bash is missing"
for f in "$MAN/fwsd.8" "$MAN/fwsctl.1" "$MAN/fwsd.conf.5" \
    "$MAN/fws-tls-setup.1" "$MAN/fws-web.8" "$COMP" "$EXAMPLE"; do
	[ -f "$f" ] || fail "$f is missing"
done

# --- the pages format without a warning, for print and for a terminal
for page in fwsd.8 fwsctl.1 fwsd.conf.5 fws-tls-setup.1 fws-web.8; do
	groff -mandoc -ww -z "$MAN/$page" 2>"$T/err" ||
	    fail "groff failed on $page: $(cat "$T/err")"
	[ -s "$T/err" ] && fail "groff warns about $page: $(cat "$T/err")"
	groff -mandoc -ww -Tutf8 -P-cbou "$MAN/$page" 2>"$T/err" >"$T/out" ||
	    fail "groff -Tutf8 failed on $page: $(cat "$T/err")"
	[ -s "$T/err" ] && fail "groff -Tutf8 warns about $page: $(cat "$T/err")"
	grep -q "SEE ALSO" "$T/out" || fail "$page rendered without SEE ALSO"
	if command -v man >/dev/null 2>&1; then
		man --warnings -l "$MAN/$page" >/dev/null 2>"$T/err" ||
		    fail "man -l failed on $page: $(cat "$T/err")"
		[ -s "$T/err" ] && fail "man warns about $page: $(cat "$T/err")"
	fi
done
note "the pages format without warnings"

# --- the completion script parses
bash -n "$COMP" 2>"$T/err" || fail "bash -n $COMP: $(cat "$T/err")"

# comp SOCKET WORD...: run the completion for the command line WORD...,
# its last word the one completed ('' for a new one), with FWS_SOCKET set
# to SOCKET and the built fwsctl first in PATH; COMPREPLY is printed
# sorted, one a line, and its stderr kept in $T/comp.err
comp() {
	csock=$1; shift
	env FWS_SOCKET="$csock" PATH="$BUILD:$PATH" \
	    bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(( $# - 1 ))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_fwsctl
		(( ${#COMPREPLY[@]} )) && printf "%s\n" "${COMPREPLY[@]}"
		exit 0' comp "$COMP" "$@" 2>"$T/comp.err" | sort
}

# expect_comp "WANTED WORDS" SOCKET WORD...: the completion offers
# exactly these words, and prints no error
expect_comp() {
	want=$1; shift
	got=$(comp "$@" | tr '\n' ' ' | sed 's/ $//')
	[ -s "$T/comp.err" ] && fail "completing '$*' printed: $(cat "$T/comp.err")"
	[ "$got" = "$want" ] || fail "completing '$*' offers '$got', not '$want'"
}

# --- verbs: the protocol's list, as fwsctl has them (t-verbs.sh holds
# fwsd, fwsctl's help, the completion and fwsctl.1 to the same list)
verbs=$("$FWSCTL_BIN" --verbs) || fail "fwsctl --verbs failed"
[ -n "$verbs" ] || fail "fwsctl --verbs lists no verbs"
all_verbs=$(comp /nonexistent fwsctl '')
nverbs=0
for v in $verbs; do
	nverbs=$((nverbs + 1))
	grep -Eq "^\.(It )?Cm $v( |\$)" "$MAN/fwsctl.1" ||
	    fail "fwsctl.1 has no entry for the verb $v"
	echo "$all_verbs" | grep -qx -- "$v" ||
	    fail "the completion does not offer the verb $v"
	# every option the verb's usage names
	opts=$("$FWSCTL_BIN" "$v" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u)
	v_opts=$(comp /nonexistent fwsctl "$v" --)
	for o in $opts; do
		grep -Eq "Fl ${o#-}( |\$)" "$MAN/fwsctl.1" ||
		    fail "fwsctl.1 does not name $o of $v"
		echo "$v_opts" | grep -qx -- "$o" ||
		    fail "the completion does not offer $o for $v"
	done
done
note "$nverbs verbs, each with its options, in fwsctl.1 and the completion"

# --- fwsd's flags, from its usage
flags=$("$FWSD" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ -n "$flags" ] || fail "fwsd --help names no flags"
for o in $flags; do
	grep -Eq "Fl ${o#-}( |\$)" "$MAN/fwsd.8" || fail "fwsd.8 does not name $o"
done

# --- configuration keys: config_keys in config.c, fwsd.conf.5 and the
# example, in both directions
keys=$(sed -n '/config_keys\[\] = {/,/^};/s/^[[:space:]]*{ "\([a-z_]*\)", CONFIG_.*/\1/p' \
    "$TOP/supervisor/config.c")
[ -n "$keys" ] || fail "no keys found in supervisor/config.c"
nkeys=0
for k in $keys; do
	nkeys=$((nkeys + 1))
	grep -Eq "^\.It Ic $k( |\$)" "$MAN/fwsd.conf.5" ||
	    fail "fwsd.conf.5 has no entry for the key $k"
	[ "$(grep -c "^#$k = " "$EXAMPLE")" = 1 ] ||
	    fail "fwsd.conf.example lacks (or repeats) '#$k = default'"
done
for k in $(sed -n 's/^\.It Ic \([a-z_]*\) .*/\1/p' "$MAN/fwsd.conf.5") \
    $(sed -n 's/^#\([a-z_]*\) = .*/\1/p' "$EXAMPLE"); do
	echo "$keys" | grep -qx -- "$k" ||
	    fail "the documentation names a key fwsd does not know: $k"
done
note "$nkeys configuration keys in fwsd.conf.5 and fwsd.conf.example"

# --- fws-web's keys (web-config.c) in fws-web.8 and its example, both ways;
# its flags in its page
WEBEX=$TOP/contrib/fws-web.conf.example
wkeys=$(sed -n 's/^[[:space:]]*{ "\([a-z_]*\)",.*offsetof(struct web_config.*/\1/p' \
    "$TOP/supervisor/web/web-config.c"; grep -o '"session_[a-z]*"' \
    "$TOP/supervisor/web/web-config.c" | tr -d '"' | sort -u)
[ "$(echo "$wkeys" | wc -l)" -ge 10 ] || fail "fws-web's keys not found: $wkeys"
for k in $wkeys; do
	grep -Eq "^\.It Ic $k( |\$)" "$MAN/fws-web.8" ||
	    fail "fws-web.8 has no entry for the key $k"
	[ "$(grep -c "^#$k = " "$WEBEX")" = 1 ] ||
	    fail "fws-web.conf.example lacks (or repeats) '#$k = default'"
done
for k in $(sed -n '/^\.Sh CONFIGURATION/,/^\.Sh/s/^\.It Ic \([a-z_]*\) .*/\1/p' \
    "$MAN/fws-web.8") $(sed -n 's/^#\([a-z_]*\) = .*/\1/p' "$WEBEX"); do
	echo "$wkeys" | grep -qx -- "$k" ||
	    fail "the documentation names a key fws-web does not know: $k"
done
for o in $(grep -o '{ "[a-z-]*",[[:space:]]*[a-z_]*argument' \
    "$TOP/supervisor/web/fws-web.c" | sed 's/{ "\([a-z-]*\)".*/\1/'); do
	[ "$o" = help ] && continue
	grep -Eq "Fl -$o( |\$)" "$MAN/fws-web.8" || fail "fws-web.8 does not name --$o"
done
# the example's defaults are fws-web's own
"$BUILD/fws-web" --config "$WEBEX" --version >/dev/null ||
    fail "fws-web --version"
sed -n 's/^#\([a-z_]* = .*\)/\1/p' "$WEBEX" >"$T/fws-web.conf"
python3 - "$T/fws-web.conf" "$TOP/include/web.h" <<'EOP' || fail "fws-web.conf.example's defaults are not fws-web's"
import re, sys
conf = dict(l.split(" = ", 1) for l in open(sys.argv[1]).read().splitlines())
h = open(sys.argv[2]).read()
assert conf["listen"] == re.search(r'WEB_LISTEN_DEFAULT\s+"([^"]*)"', h).group(1)
assert conf["user"] == re.search(r'WEB_USER_DEFAULT\s+"([^"]*)"', h).group(1)
assert conf["novnc_dir"] == re.search(r'WEB_NOVNC_DEFAULT\s+"([^"]*)"', h).group(1)
assert conf["session_idle"] == "30m" and "30 * 60" in h
assert conf["session_max"] == "12h" and "12 * 3600" in h
EOP
note "$(echo "$wkeys" | wc -l) fws-web keys in fws-web.8 and fws-web.conf.example"

# --- the example's defaults, all uncommented, are what fwsd takes: this
# fwsd runs on them (the test's own directories and cgroup after them)
sed -n 's/^#\([a-z_]* = .*\)/\1/p' "$EXAMPLE" >"$T/fwsd.conf"
cat >>"$T/fwsd.conf" <<EOC
accel = tcg
image_dirs = $T/images:$GUEST
stop_timeout = 30
cgroup = $CGROUP_NAME
EOC
start_fwsd
create_guest alpha --disk 16M
create_guest beta
fwsctl snapshot-create alpha before-upgrade >/dev/null ||
    fail "snapshot-create alpha"

# --- completion against the live fwsd
expect_comp "alpha" "$SOCK" fwsctl start a
expect_comp "alpha beta" /nonexistent fwsctl --socket "$SOCK" info ''
expect_comp "alpha beta" /nonexistent fwsctl --socket = "$SOCK" console ''
expect_comp "alpha beta" /nonexistent fwsctl --json --socket "$SOCK" events ''
expect_comp "snapshot-create snapshot-delete snapshot-list snapshot-revert" \
    /nonexistent fwsctl snap
expect_comp "before-upgrade" "$SOCK" fwsctl snapshot-revert alpha ''
expect_comp "before-upgrade" "$SOCK" fwsctl snapshot-delete alpha b
expect_comp "" "$SOCK" fwsctl snapshot-delete beta ''
expect_comp "" "$SOCK" fwsctl snapshot-create alpha ''
expect_comp "off on" "$SOCK" fwsctl autostart beta ''
expect_comp "always cluster never on-failure" "$SOCK" fwsctl create x --restart ''
expect_comp "always cluster never on-failure" "$SOCK" fwsctl create x --restart = ''
expect_comp "alpha beta" "$SOCK" fwsctl stop --timeout 5 ''
expect_comp "--json" "$SOCK" fwsctl list ''
expect_comp "" "$SOCK" fwsctl net-info ''
note "VM names, verbs, snapshot tags and values completed"

# --- no fwsd to ask: nothing offered, nothing printed
gone=$T/run/nosuch.sock
for line in "start ''" "info a" "snapshot-revert alpha ''" "net-start ''" \
    "create x --net ''" "events ''"; do
	eval "set -- $line"
	expect_comp "" "$gone" fwsctl "$@"
	expect_comp "" /nonexistent fwsctl --socket "$gone" "$@"
done
# nor without fwsctl in PATH at all
got=$(env FWS_SOCKET="$SOCK" PATH=/usr/bin:/bin bash --norc --noprofile -c '
	. "$1"; COMP_WORDS=(fwsctl start ""); COMP_CWORD=2; _fwsctl
	echo "${#COMPREPLY[@]}"' comp "$COMP" 2>&1)
[ "$got" = 0 ] || fail "completion without fwsctl in PATH: $got"
note "silent when fwsd cannot be reached"
