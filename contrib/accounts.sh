#!/bin/sh
# accounts.sh: the accounts fws needs on a host, made if missing (as
# root): group fws (may use fwsctl), group fws-admin (its members are
# fwsd admins) and the unprivileged user fws-qemu that every qemu runs
# as (in group kvm too, where /dev/kvm is kvm's).  Idempotent.
set -e
getent group fws >/dev/null || groupadd --system fws
getent group fws-admin >/dev/null || groupadd --system fws-admin
getent passwd fws-qemu >/dev/null || useradd --system --user-group \
    --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    fws-qemu
if getent group kvm >/dev/null && ! id -nG fws-qemu | grep -qw kvm; then
	usermod -a -G kvm fws-qemu
fi
