# t-not-in-group.sh: a user who may not use fwsd is told why and what
# to do, not "Permission denied (is fwsd running?)": not in the socket's
# group, with the usermod line an admin runs; in it since the login
# session began, to log in again.  Once in, fwsctl works.
. "$(dirname "$0")/lib.sh"
make_user out ""; U=$MADE_USER
start_fwsd
[ "$(stat -c '%a %G' "$T/run")" = "711 root" ] ||
    fail "the run directory is $(stat -c '%a %G' "$T/run")"

expect_rc 1 as "$U" fwsctl list
[ "$(cat "$T/err")" = "fwsctl: you are not in group fws, which may use fwsd (ask an admin: usermod -a -G fws $U)" ] ||
    fail "not in the group: $(cat "$T/err")"
note "not in the group: says so, and the usermod line"

# the admin adds them; a session from before does not have the group yet
usermod -a -G fws "$U" || fail "usermod"
expect_rc 1 setpriv --reuid "$U" --regid "$(id -g "$U")" --clear-groups \
    "$FWSCTL_BIN" --socket "$SOCK" list
expect_err "^fwsctl: you are in group fws, which may use fwsd, but this login session is not yet: log in again (or run newgrp fws)$"
note "in the group since the session began: log in again"

# a new session has it
as "$U" fwsctl list >/dev/null || fail "fwsctl in the group: $(as "$U" fwsctl list 2>&1)"
# a socket that is not there is not a question of groups
expect_rc 1 as "$U" fwsctl --socket "$T/run/nosuch.sock" list
expect_err "cannot reach fwsd"
note "once in the group, fwsctl works"
