# fws: fwsd (the daemon), fwsctl (its client), fws-pam-check (fwsd's
# helper for the web panel's password logins), fws-image-check (fwsd's
# helper that checks images for well-known credentials) and fws-web (the
# web panel's daemon).
#
#   make demo    build, start fwsd on ./demo-state, start a VM, and the
#                web panel (fws-web) on https://127.0.0.1:8443
#   make check   install what is missing, build, run every test
#   make check-asan  the integration suite against fwsd and fwsctl built
#                with ASan and UBSan (in build-asan/)
#   make check-cluster  install Ceph, Corosync and Pacemaker, run the
#                cluster tests (RBD disks on a one-node Ceph; two nodes
#                in namespaces driving VMs through ocf:fws:vm)
#   make deps    install build and runtime dependencies (apt-get)
#   make fuzz    install clang, run each fuzz target FUZZ_TIME seconds

PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	 = $(PREFIX)/bin
SBINDIR	 = $(PREFIX)/sbin
MANDIR	 = $(PREFIX)/share/man
DOCDIR	 = $(PREFIX)/share/doc/fws
COMPDIR	 = $(PREFIX)/share/bash-completion/completions
# systemd's own units are in /lib/systemd/system (PREFIX=/usr); others
# under PREFIX, which systemd reads too (/usr/local/lib/systemd/system)
UNITDIR	?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
# the resource agent ocf:fws:vm, where Pacemaker looks for agents
OCFDIR	?= /usr/lib/ocf/resource.d/fws
SYSCONFDIR ?= /etc
STATEDIR ?= /var/lib/fws
# fwsd's helpers (fws-pam-check, fws-image-check), run by fwsd alone;
# fwsd finds them from its own binary: SBINDIR/../lib/fws
LIBDIR	 = $(PREFIX)/lib/fws

CC	?= cc
PKGS	 = libevent libevent_openssl openssl jansson libnl-3.0 libnl-route-3.0 \
	   sqlite3 libnftables
WARN	 = -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wshadow
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 $(WARN) -Iinclude -D_GNU_SOURCE
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
SAN	 = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

B	 = build
# extra flags for every object and binary in $(B): check-asan sets $(SAN)
BUILD_SAN =

QMP_SRCS	= qmp/qmp.c qmp/qmp-frame.c
NETSETUP_SRCS	= netsetup/nl.c netsetup/link.c netsetup/bridge.c \
		  netsetup/addr.c netsetup/tap.c netsetup/shape.c
COMMON_SRCS	= supervisor/cause.c supervisor/log.c supervisor/proto.c \
		  supervisor/sock.c supervisor/validate.c supervisor/disk-io.c
FWSD_SRCS	= supervisor/fwsd.c supervisor/access.c supervisor/accel.c \
		  supervisor/caller.c supervisor/cgroup.c supervisor/cgroup-layout.c \
		  supervisor/config.c supervisor/conf-file.c \
		  supervisor/control.c supervisor/control-tls.c \
		  supervisor/cmd.c supervisor/cmd-clone.c supervisor/cmd-create.c \
		  supervisor/cmd-image.c supervisor/cmd-loan.c \
		  supervisor/cmd-screen.c supervisor/cmd-media.c supervisor/cmd-net.c \
		  supervisor/cmd-set.c supervisor/cmd-disk.c supervisor/cmd-pin.c \
		  supervisor/cmd-nic.c supervisor/cmd-define.c \
		  supervisor/cmd-migrate.c supervisor/migrate.c \
		  supervisor/migrate-in.c supervisor/peer.c \
		  supervisor/cmd-user.c \
		  supervisor/clone.c supervisor/create.c supervisor/image.c supervisor/image-import.c \
		  supervisor/image-creds.c supervisor/public-policy.c \
		  supervisor/events.c supervisor/loan.c supervisor/loan-policy.c \
		  supervisor/logcap.c supervisor/media.c \
		  supervisor/net.c supervisor/net-def.c \
		  supervisor/net-dhcp.c supervisor/net-dns.c supervisor/net-lease.c \
		  supervisor/net-nat.c supervisor/notify.c \
		  supervisor/pidfile.c supervisor/request.c \
		  supervisor/seed.c supervisor/seed-iso.c supervisor/snapshot.c \
		  supervisor/spice.c supervisor/vnc.c \
		  supervisor/vm.c supervisor/vm-adopt.c supervisor/vm-agent.c \
		  supervisor/vm-def.c supervisor/vm-define.c \
		  supervisor/vm-dump.c \
		  supervisor/vm-json.c supervisor/vm-paths.c \
		  supervisor/vm-qemu.c supervisor/vm-remove.c supervisor/vm-screen.c \
		  supervisor/vm-set.c supervisor/vm-disk.c supervisor/vm-disk-plug.c \
		  supervisor/vm-nic.c \
		  supervisor/vm-plug.c supervisor/vm-stats.c supervisor/vm-save.c \
		  supervisor/vm-rename.c supervisor/vm-pin.c supervisor/vm-img.c \
		  supervisor/vm-restart.c supervisor/vm-run.c \
		  supervisor/web.c supervisor/web-auth.c supervisor/web-token.c \
		  supervisor/cmd-web.c \
		  supervisor/proc.c supervisor/quota.c supervisor/rbd.c supervisor/store.c \
		  $(COMMON_SRCS) $(QMP_SRCS) $(NETSETUP_SRCS)
FWSCTL_SRCS	= supervisor/fwsctl.c supervisor/fwsctl-conn.c \
		  supervisor/fwsctl-console.c \
		  supervisor/fwsctl-list.c supervisor/fwsctl-loan.c \
		  supervisor/fwsctl-stats.c supervisor/fwsctl-pin.c \
		  supervisor/fwsctl-user.c supervisor/fwsctl-archive.c \
		  supervisor/fwsctl-define.c \
		  supervisor/fwsctl-migrate.c supervisor/fwsctl-seed.c \
		  $(COMMON_SRCS)

# fws-web: the web panel's daemon, and the pages it serves
WEB_SRCS	= supervisor/web/fws-web.c supervisor/web/web-api.c \
		  supervisor/web/web-config.c supervisor/conf-file.c \
		  supervisor/web/web-fwsd.c \
		  supervisor/web/web-http.c supervisor/web/web-limit.c \
		  supervisor/web/web-login.c supervisor/web/web-parse.c \
		  supervisor/web/web-proxy.c supervisor/web/web-route.c \
		  supervisor/web/web-session.c supervisor/web/web-static.c \
		  supervisor/web/web-status.c supervisor/web/web-tls.c \
		  supervisor/web/web-ws.c \
		  supervisor/cause.c supervisor/log.c supervisor/proto.c \
		  supervisor/sock.c supervisor/validate.c
WEB_PKGS	= libevent libevent_openssl openssl jansson
WEBDIR		= $(PREFIX)/share/fws/web
XTERMDIR	= $(PREFIX)/share/fws/xterm

HDRS		= $(wildcard include/*.h)

# unit tests: each is tests/unit/NAME.c plus the sources it tests, built
# with ASan and UBSan
UNIT_TESTS	= test_qmp_frame test_qmp test_proto test_validate test_store \
		  test_argv test_config test_netsetup test_image test_accel \
		  test_logcap test_loan test_dns test_vm test_sock test_list \
		  test_cgroup test_disk_io test_proc test_conn \
		  test_web_ws test_web_parse test_web_session test_seed \
		  test_imgcheck
test_qmp_frame_SRCS	= qmp/qmp-frame.c
test_imgcheck_SRCS	= supervisor/imgcheck-parse.c
test_imgcheck_LIBS	= -lcrypt
test_web_ws_SRCS	= supervisor/web/web-ws.c
test_web_parse_SRCS	= supervisor/web/web-parse.c supervisor/web/web-static.c \
			  supervisor/web/web-status.c supervisor/validate.c \
			  supervisor/cause.c
test_web_session_SRCS	= supervisor/web/web-session.c supervisor/web/web-limit.c \
			  supervisor/web/web-parse.c supervisor/cause.c
test_qmp_SRCS		= $(QMP_SRCS)
test_proto_SRCS		= supervisor/proto.c supervisor/validate.c supervisor/cause.c
test_validate_SRCS	= supervisor/validate.c supervisor/cause.c
test_seed_SRCS		= supervisor/seed.c supervisor/validate.c supervisor/cause.c
test_sock_SRCS		= supervisor/sock.c supervisor/cause.c
test_conn_SRCS		= supervisor/fwsctl-conn.c supervisor/sock.c \
			  supervisor/validate.c supervisor/cause.c
test_cgroup_SRCS	= supervisor/cgroup-layout.c supervisor/validate.c \
			  supervisor/cause.c
test_disk_io_SRCS	= supervisor/disk-io.c supervisor/validate.c supervisor/cause.c
test_list_SRCS		= supervisor/fwsctl-list.c supervisor/validate.c \
			  supervisor/cause.c
test_store_SRCS		= supervisor/store.c supervisor/vm-def.c supervisor/net-def.c \
			  supervisor/disk-io.c supervisor/validate.c supervisor/log.c supervisor/cause.c
test_argv_SRCS		= supervisor/vm-qemu.c supervisor/vm-def.c supervisor/disk-io.c \
			  supervisor/validate.c \
			  supervisor/cause.c
test_config_SRCS	= supervisor/config.c supervisor/conf-file.c supervisor/validate.c supervisor/log.c supervisor/cause.c
test_netsetup_SRCS	= $(NETSETUP_SRCS)
test_logcap_SRCS	= supervisor/logcap.c supervisor/log.c supervisor/cause.c
test_loan_SRCS		= supervisor/loan-policy.c supervisor/validate.c supervisor/cause.c
test_dns_SRCS		= supervisor/net-dns.c supervisor/net-def.c supervisor/vm-def.c \
			  supervisor/log.c supervisor/cause.c
test_vm_SRCS		= supervisor/vm.c supervisor/vm-def.c supervisor/vm-restart.c \
			  supervisor/loan-policy.c supervisor/validate.c \
			  supervisor/log.c supervisor/cause.c
test_image_SRCS		= supervisor/image.c supervisor/access.c supervisor/validate.c \
			  supervisor/log.c supervisor/cause.c
test_proc_SRCS		= supervisor/proc.c supervisor/log.c supervisor/cause.c
test_accel_SRCS		= supervisor/accel.c supervisor/proc.c supervisor/access.c \
			  $(QMP_SRCS) supervisor/log.c supervisor/cause.c

.PHONY: all check check-asan check-cluster cluster-deps unit integration \
	demo demo-stop deps install uninstall clean guest bench fuzz \
	fuzz-build fuzz-deps
.DEFAULT_GOAL := all

all: $(B)/fwsd $(B)/fwsctl $(B)/fws-pam-check $(B)/fws-image-check \
    $(B)/fws-web

$(B)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BUILD_SAN) $(PKG_CFLAGS) -c -o $@ $<

$(B)/fwsd: $(FWSD_SRCS:%.c=$(B)/obj/%.o)
	$(CC) $(CFLAGS) $(BUILD_SAN) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

# the client needs JSON, and OpenSSL for --connect tls://
$(B)/fwsctl: $(FWSCTL_SRCS:%.c=$(B)/obj/%.o)
	$(CC) $(CFLAGS) $(BUILD_SAN) -o $@ $^ \
	    $(shell pkg-config --libs jansson openssl) $(LDFLAGS)

# where its pages and xterm.js are installed, its defaults
$(B)/obj/supervisor/web/web-config.o: CFLAGS += -DWEB_PREFIX='"$(PREFIX)"'

$(B)/fws-web: $(WEB_SRCS:%.c=$(B)/obj/%.o)
	$(CC) $(CFLAGS) $(BUILD_SAN) -o $@ $^ \
	    $(shell pkg-config --libs $(WEB_PKGS)) $(LDFLAGS)

# PAM has no pkg-config file on Debian 12.  libcrypt is linked in (and
# kept) for ASan's sake: its crypt interceptor finds the real crypt at
# start, and pam_unix, loaded later, would call a null one.
$(B)/fws-pam-check: $(B)/obj/supervisor/fws-pam-check.o
	$(CC) $(CFLAGS) $(BUILD_SAN) -o $@ $^ -lpam \
	    -Wl,--push-state,--no-as-needed -lcrypt -Wl,--pop-state $(LDFLAGS)

# libguestfs reads an image's filesystems in its appliance; crypt(3)
# tries the well-known passwords against the guest's hashes.  Built
# without the sanitizers even in build-asan: libguestfs's own string
# handling trips ASan's interceptors (its parsing, imgcheck-parse.c, is
# unit-tested with them)
$(B)/obj/supervisor/fws-image-check.o: CFLAGS += \
    $(shell pkg-config --cflags libguestfs)
$(B)/fws-image-check $(B)/obj/supervisor/fws-image-check.o \
    $(B)/obj/supervisor/imgcheck-parse.o: override BUILD_SAN =
$(B)/fws-image-check: $(B)/obj/supervisor/fws-image-check.o \
    $(B)/obj/supervisor/imgcheck-parse.o
	$(CC) $(CFLAGS) $(BUILD_SAN) -o $@ $^ \
	    $(shell pkg-config --libs libguestfs jansson) -lcrypt $(LDFLAGS)

define unit_rule
$(B)/unit/$(1): tests/unit/$(1).c $$($(1)_SRCS) $$(HDRS) tests/unit/unit.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $$(SAN) $$(PKG_CFLAGS) -Itests/unit -o $$@ \
	    tests/unit/$(1).c $$($(1)_SRCS) $$(PKG_LIBS) -lcmocka $$($(1)_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

# fuzz targets: each is tests/fuzz/NAME.c plus the sources it tests,
# built with clang's libFuzzer, ASan and UBSan; the seeds are in
# tests/fuzz/corpus/NAME, a dictionary (if any) in tests/fuzz/NAME.dict
FUZZ_CC		?= clang
FUZZ_TIME	?= 60
FUZZ_SAN	 = -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
FUZZ_TARGETS	= fuzz_proto fuzz_qmp_frame fuzz_qmp fuzz_config fuzz_validate
fuzz_proto_SRCS		= supervisor/proto.c supervisor/validate.c supervisor/cause.c
fuzz_qmp_frame_SRCS	= qmp/qmp-frame.c
fuzz_qmp_SRCS		= $(QMP_SRCS)
fuzz_config_SRCS	= supervisor/config.c supervisor/conf-file.c supervisor/validate.c supervisor/cause.c
fuzz_validate_SRCS	= supervisor/validate.c supervisor/cause.c

define fuzz_rule
$(B)/fuzz/$(1): tests/fuzz/$(1).c $$($(1)_SRCS) $$(HDRS) tests/fuzz/fuzz.h
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(CFLAGS) $$(FUZZ_SAN) $$(PKG_CFLAGS) -Itests/fuzz -o $$@ \
	    tests/fuzz/$(1).c $$($(1)_SRCS) $$(PKG_LIBS) -lm
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

# check installs what it needs first, then builds with the found flags
check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all unit integration

unit: $(UNIT_TESTS:%=$(B)/unit/%)
	@sh tests/unit/run.sh $(UNIT_TESTS:%=$(B)/unit/%)

guest:
	@sh tests/guest/build.sh

# three tests at a time on two CPUs: most of a test's time is spent
# waiting for its guests (INTEGRATION_JOBS=N for more or fewer)
INTEGRATION_JOBS ?= 3
integration: all guest
	@INTEGRATION_JOBS=$(INTEGRATION_JOBS) sh tests/integration/run.sh

# The integration suite with fwsd and fwsctl built with ASan and UBSan in
# build-asan/; fails on any sanitizer report, leaks at exit included.
# build/ is made too: valgrind runs the plain fwsctl.
check-asan:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all guest
	@$(MAKE) --no-print-directory B=build-asan BUILD_SAN="$(SAN)" all
	@sh tests/integration/run-sanitized.sh build-asan $(TESTS)

# The cluster tests, which make check does without: tests/cluster (each
# starts a Ceph monitor, manager and OSD of its own, ceph.sh) and the
# tests marked "# integration: cluster" (t-pacemaker.sh), which run.sh
# leaves out: a Corosync and Pacemaker cluster of two nodes, each in
# namespaces of its own, driving VMs through the resource agent.  Their
# packages are installed first (deps.sh cluster).
CLUSTER_TESTS = $(notdir $(shell grep -l '^\# integration: cluster' \
		  tests/integration/t-*.sh))
check-cluster:
	@$(MAKE) --no-print-directory deps cluster-deps
	@$(MAKE) --no-print-directory all guest
	@sh tests/cluster/run.sh
	@sh tests/integration/run.sh $(CLUSTER_TESTS)

cluster-deps:
	@sh contrib/deps.sh cluster

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all guest
	@sh contrib/demo.sh start

demo-stop:
	@sh contrib/demo.sh stop

deps:
	@XTERM_DIR=$(XTERMDIR) sh contrib/deps.sh

# like check: install clang first, then build with the found flags
fuzz-deps:
	@sh contrib/deps.sh fuzz

fuzz-build:
	@$(MAKE) --no-print-directory fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(B)/fuzz/%)

# each target FUZZ_TIME seconds over a copy of its seeds; fails on a crash
fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_TARGETS:%=$(B)/fuzz/%)

bench: all guest
	@sh tests/bench/run.sh

# Groups and the qemu user are made only when installing to the real root.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPDIR) $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/fws
	install -d -m 0710 $(DESTDIR)$(STATEDIR)
	# the library: qemu (as fws-qemu) reads its ISOs and base images
	install -d -m 0755 $(DESTDIR)$(STATEDIR)/images
	install -m 0755 $(B)/fwsd $(DESTDIR)$(SBINDIR)/fwsd
	install -m 0755 $(B)/fwsctl $(DESTDIR)$(BINDIR)/fwsctl
	# the web panel: fws-web, its pages (xterm.js: make deps)
	install -m 0755 $(B)/fws-web $(DESTDIR)$(SBINDIR)/fws-web
	install -d $(DESTDIR)$(WEBDIR)/static
	if [ -d supervisor/web/panel ]; then \
		find supervisor/web/panel -maxdepth 1 -type f -exec \
		    install -m 0644 {} $(DESTDIR)$(WEBDIR)/ \; ; \
		find supervisor/web/panel/static -maxdepth 1 -type f -exec \
		    install -m 0644 {} $(DESTDIR)$(WEBDIR)/static/ \; ; \
	fi
	sed 's|@SBINDIR@|$(SBINDIR)|' contrib/fws-web.service > $(B)/fws-web.service
	install -m 0644 $(B)/fws-web.service $(DESTDIR)$(UNITDIR)/fws-web.service
	install -m 0644 contrib/man/fws-web.8 $(DESTDIR)$(MANDIR)/man8/fws-web.8
	install -m 0644 contrib/fws-web.conf.example \
	    $(DESTDIR)$(DOCDIR)/fws-web.conf.example
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SYSCONFDIR)/pam.d
	install -m 0700 $(B)/fws-pam-check $(DESTDIR)$(LIBDIR)/fws-pam-check
	install -m 0700 $(B)/fws-image-check $(DESTDIR)$(LIBDIR)/fws-image-check
	[ -e $(DESTDIR)$(SYSCONFDIR)/pam.d/fws-web ] || \
	    install -m 0644 contrib/pam.d/fws-web $(DESTDIR)$(SYSCONFDIR)/pam.d/fws-web
	sed 's|@SBINDIR@|$(SBINDIR)|' contrib/fwsd.service > $(B)/fwsd.service
	install -m 0644 $(B)/fwsd.service $(DESTDIR)$(UNITDIR)/fwsd.service
	install -m 0644 contrib/man/fwsctl.1 $(DESTDIR)$(MANDIR)/man1/fwsctl.1
	install -m 0755 contrib/fws-tls-setup $(DESTDIR)$(BINDIR)/fws-tls-setup
	install -m 0644 contrib/man/fws-tls-setup.1 \
	    $(DESTDIR)$(MANDIR)/man1/fws-tls-setup.1
	install -m 0644 contrib/man/fwsd.conf.5 $(DESTDIR)$(MANDIR)/man5/fwsd.conf.5
	install -m 0644 contrib/man/fwsd.8 $(DESTDIR)$(MANDIR)/man8/fwsd.8
	install -m 0644 contrib/bash-completion/fwsctl $(DESTDIR)$(COMPDIR)/fwsctl
	install -m 0644 contrib/fwsd.conf.example $(DESTDIR)$(DOCDIR)/fwsd.conf.example
	install -m 0755 contrib/fws-snapshot-prune $(DESTDIR)$(DOCDIR)/fws-snapshot-prune
	install -d $(DESTDIR)$(OCFDIR)
	install -m 0755 contrib/ocf/fws $(DESTDIR)$(OCFDIR)/vm
	[ -e $(DESTDIR)$(SYSCONFDIR)/fws/fwsd.conf ] || \
	    install -m 0640 contrib/fwsd.conf.example $(DESTDIR)$(SYSCONFDIR)/fws/fwsd.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/fws/fws-web.conf ] || \
	    install -m 0644 contrib/fws-web.conf.example \
	    $(DESTDIR)$(SYSCONFDIR)/fws/fws-web.conf
	if [ -z "$(DESTDIR)" ]; then \
		sh contrib/accounts.sh; \
		systemctl daemon-reload 2>/dev/null || true; \
	fi

# Leaves the configuration (the PAM service too), the state (VMs, disks)
# and the groups.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/fwsd $(DESTDIR)$(BINDIR)/fwsctl \
	    $(DESTDIR)$(BINDIR)/fws-tls-setup \
	    $(DESTDIR)$(MANDIR)/man1/fws-tls-setup.1 \
	    $(DESTDIR)$(UNITDIR)/fwsd.service $(DESTDIR)$(MANDIR)/man1/fwsctl.1 \
	    $(DESTDIR)$(MANDIR)/man5/fwsd.conf.5 $(DESTDIR)$(MANDIR)/man8/fwsd.8 \
	    $(DESTDIR)$(COMPDIR)/fwsctl $(DESTDIR)$(DOCDIR)/fwsd.conf.example \
	    $(DESTDIR)$(DOCDIR)/fws-snapshot-prune $(DESTDIR)$(OCFDIR)/vm \
	    $(DESTDIR)$(LIBDIR)/fws-pam-check $(DESTDIR)$(LIBDIR)/fws-image-check \
	    $(DESTDIR)$(SBINDIR)/fws-web $(DESTDIR)$(UNITDIR)/fws-web.service \
	    $(DESTDIR)$(MANDIR)/man8/fws-web.8 $(DESTDIR)$(DOCDIR)/fws-web.conf.example
	rm -rf $(DESTDIR)$(WEBDIR)
	-rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(OCFDIR) $(DESTDIR)$(LIBDIR) 2>/dev/null

clean:
	rm -rf $(B) build-asan
