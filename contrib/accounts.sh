#!/bin/sh
# accounts.sh: the accounts fws needs on a host, made if missing (as
# root): group fws (may use fwsctl), group fws-admin (its members are
# fwsd admins), the unprivileged user fws-web that the web panel runs
# as (in group fws, to reach fwsd's socket: fwsd.conf's web_user), and
# the unprivileged user fws-qemu whose groups every qemu runs with (in
# group kvm too, where /dev/kvm is kvm's).  Each VM's qemu runs as a uid
# of its own from fwsd.conf's qemu_uids (by default
# 1879048192-1879113727), which no account has: it is recorded as
# fws-qemu's subordinate ids, so that useradd and newusers never hand
# it out.  Idempotent.
set -e
getent group fws >/dev/null || groupadd --system fws
getent group fws-admin >/dev/null || groupadd --system fws-admin
getent passwd fws-web >/dev/null || useradd --system --user-group \
    --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    fws-web
id -nG fws-web | tr ' ' '\n' | grep -qx fws || usermod -a -G fws fws-web
getent passwd fws-qemu >/dev/null || useradd --system --user-group \
    --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    fws-qemu
if getent group kvm >/dev/null && ! id -nG fws-qemu | grep -qw kvm; then
	usermod -a -G kvm fws-qemu
fi
# the default qemu_uids (a range set in fwsd.conf is the admin's to reserve)
first=1879048192 count=65536
for f in /etc/subuid /etc/subgid; do
	grep -q "^fws-qemu:$first:$count\$" "$f" 2>/dev/null ||
	    echo "fws-qemu:$first:$count" >> "$f"
done
