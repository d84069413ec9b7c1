# t-verbs.sh: one list of verbs.  The protocol's commands (proto.h's
# PROTO_CMDS, as the hidden "fwsctl --verbs" prints them, which fails
# when fwsctl's table lacks one) are the verbs fwsctl's help lists; a
# live fwsd serves each of them (none is an unknown command to it, and a
# made-up one is); the bash completion and fwsctl.1 name each and no
# other.  And the completion offers --owner after exactly the verbs
# whose command takes an owner (but quota-set, whose USER is its owner).
# The commands that have no verb (proto.h's PROTO_INTERNAL, of fwsd to
# fwsd, and PROTO_WEB, the web front-end's) are served by fwsd too, and
# named by none of fwsctl, its help, the completion and fwsctl.1.
# No command runs: each request also carries an argument no command
# takes, which fwsd refuses before anything is done.
. "$(dirname "$0")/lib.sh"
MAN=$TOP/contrib/man/fwsctl.1
COMP=$TOP/contrib/bash-completion/fwsctl

# same WHAT WANTED GOT: the word lists hold the same words, else WHAT
# lacks some or has others
same() {
	printf '%s\n' $2 | sort -u >"$T/a"
	printf '%s\n' $3 | sort -u >"$T/b"
	cmp -s "$T/a" "$T/b" && return 0
	fail "$1 lacks '$(comm -23 "$T/a" "$T/b" | tr '\n' ' ')'" \
	    "and has '$(comm -13 "$T/a" "$T/b" | tr '\n' ' ')' besides"
}

verbs=$("$FWSCTL_BIN" --verbs 2>"$T/err") ||
    fail "fwsctl --verbs: $(cat "$T/err")"
n=$(echo "$verbs" | wc -l)
[ "$n" -ge 30 ] || fail "fwsctl --verbs lists $n verbs"

help=$("$FWSCTL_BIN" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
same "fwsctl help" "$verbs" "$help"

comp=$(bash --norc --noprofile -c '. "$1" && echo $_fwsctl_verbs' comp "$COMP") ||
    fail "cannot read the completion's verbs"
same "the bash completion" "$verbs" "$comp"

man=$(awk '/^\.It Xo/ { xo = 1; next }
	xo && /^\.Cm / { print $2; xo = 0; next }
	{ xo = 0 }
	/^\.It Cm / { print $3 }' "$MAN")
same "fwsctl.1" "$verbs" "$man"
note "$n verbs: fwsctl, its help, the completion and fwsctl.1 agree"

# --- fwsd serves each, and knows no other
start_fwsd
code() {
	raw "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["error"]["code"], r["error"]["message"])'
}
owner_verbs=
for v in $verbs; do
	got=$(code "{\"id\":1,\"cmd\":\"$v\",\"args\":{\"owner\":0,\"zz_probe\":1}}")
	case $got in
	'invalid_argument unknown argument "zz_probe"')
		[ "$v" = quota-set ] || owner_verbs="$owner_verbs $v" ;;
	'invalid_argument unknown argument "owner"')
		;;
	*)	fail "fwsd answers $v with '$got', not a refused argument" ;;
	esac
done
# the commands without a verb, from proto.h's list
hidden=$(sed -n 's/^[[:space:]]*X([A-Z_]*,[[:space:]]*"\([a-z-]*\)",.*PROTO_\(INTERNAL\|WEB\).*/\1/p' \
    "$TOP/include/proto.h")
[ "$(echo "$hidden" | wc -w)" -ge 6 ] || fail "proto.h names only '$hidden' without a verb"
for v in $hidden; do
	echo "$verbs $help $comp $man" | tr ' ' '\n' | grep -qx -- "$v" &&
	    fail "$v has no verb, yet fwsctl, its help, the completion or fwsctl.1 names it"
	got=$(code "{\"id\":1,\"cmd\":\"$v\",\"args\":{\"zz_probe\":1}}")
	case $got in
	unknown_command*) fail "fwsd does not know $v" ;;
	esac
done
note "$(echo $hidden | wc -w) commands without a verb ($(echo $hidden)): fwsd's alone"
got=$(code '{"id":1,"cmd":"zz-probe","args":{"zz_probe":1}}')
case $got in
unknown_command*) ;;
*)	fail "fwsd answers a made-up command with '$got'" ;;
esac
note "fwsd serves every verb and knows no other"

comp_owner=$(bash --norc --noprofile -c '. "$1"; shift
	for v in "$@"; do _fwsctl_owner_verb "$v" && echo "$v"; done' \
	comp "$COMP" $verbs)
same "the completion's verbs taking --owner" "$owner_verbs" "$comp_owner"
note "--owner completed after the $(echo $owner_verbs | wc -w) verbs fwsd takes it for"
