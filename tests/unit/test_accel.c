/*
 * test_accel.c: accel.c's choice, against fake qemus in a temporary
 * directory driven by a real event loop: one that answers query-kvm
 * (KVM works, whatever this host's /dev/kvm can do), one that aborts
 * as qemu does on a host whose KVM cannot set an MSR, one whose KVM is
 * there but off; a qemu binary that changes is probed again, in the
 * background; "kvm" and "tcg" in fwsd.conf spawn nothing.  And which
 * line of qemu's output is taken as its reason.
 */
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "unit.h"
#include "fws.h"

struct fws_config	 conf;
struct event_base	*base;

static char	 dir[] = "/tmp/fws-accel-test.XXXXXX";

/* A qemu speaking QMP on fd 3; query-kvm answers with these values. */
static const char fake_qmp[] =
    "#!/usr/bin/python3\n"
    "import json, os, socket, sys\n"
    "open(os.path.join(os.path.dirname(sys.argv[0]), 'calls'), 'a')"
    ".write(' '.join(sys.argv[1:]) + '\\n')\n"
    "s = socket.socket(fileno=3)\n"
    "f = s.makefile('rw')\n"
    "f.write('{\"QMP\": {\"version\": {}, \"capabilities\": []}}\\n')\n"
    "f.flush()\n"
    "for line in f:\n"
    "    m = json.loads(line)\n"
    "    r = {}\n"
    "    if m['execute'] == 'query-kvm':\n"
    "        r = {'enabled': %s, 'present': True}\n"
    "    f.write(json.dumps({'return': r, 'id': m.get('id')}) + '\\n')\n"
    "    f.flush()\n";

/* What qemu says and does on a host whose KVM cannot set an MSR. */
static const char fake_msr[] =
    "#!/bin/sh\n"
    "echo \"$*\" >> \"$(dirname \"$0\")/calls\"\n"
    "echo 'qemu-system-x86_64: warning: host lacks a feature' >&2\n"
    "echo 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0' >&2\n"
    "echo \"qemu-system-x86_64: kvm.c:3007: kvm_buf_set_msrs: Assertion "
    "'ret == cpu->kvm_msr_buf->nmsrs' failed.\" >&2\n"
    "kill -ABRT $$\n";

/* Write the fake qemu (a new file each time: a new binary). */
static void
fake(const char *text, const char *arg)
{
	char	*tmp = xasprintf("%s/qemu.new", dir);
	FILE	*f;

	assert_non_null(f = fopen(tmp, "w"));
	fprintf(f, text, arg);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(tmp, 0755), 0);
	assert_int_equal(rename(tmp, conf.cf_qemu), 0);
	free(tmp);
}

/* How many times a probe qemu was run. */
static int
calls(void)
{
	char	*path = xasprintf("%s/calls", dir), line[1024];
	FILE	*f;
	int	 n = 0;

	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			assert_non_null(strstr(line, "-machine q35,accel=kvm "
			    "-cpu host -S"));
			n++;
		}
		fclose(f);
	}
	free(path);
	return n;
}

static void
settle(void)
{
	while (accel_probing())
		event_base_loop(base, EVLOOP_ONCE);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	memset(&conf, 0, sizeof(conf));
	conf.cf_qemu = xasprintf("%s/qemu", dir);
	conf.cf_run_dir = dir;
	conf.cf_machine = "q35";
	conf.cf_accel = "auto";
	base = event_base_new();
	return base == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	*cmd = xasprintf("rm -rf %s", dir);

	(void)state;
	(void)!system(cmd);
	free(cmd);
	free(conf.cf_qemu);
	event_base_free(base);
	return 0;
}

static void
test_words(void **state)
{
	static const struct {
		const char	*out, *words;
	} cases[] = {
		{ "", NULL },
		{ "\n\r\n", NULL },
		{ "a: error: it broke\nAssertion failed\n", "a: error: it broke" },
		{ "a: warning: odd\na: fatal\n", "a: fatal" },
		{ "a: warning: odd\n", "a: warning: odd" },
		{ "\nCould not access KVM kernel module: Permission denied\r\n"
		    "qemu: failed to initialize kvm\n",
		    "Could not access KVM kernel module: Permission denied" },
		{ "caf\xe9\tbar", "caf??bar" },
	};
	char	*w, big[600];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		w = accel_qemu_words(cases[i].out);
		if (cases[i].words == NULL)
			assert_null(w);
		else
			assert_string_equal(w, cases[i].words);
		free(w);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	w = accel_qemu_words(big);
	assert_true(strlen(w) < 300);
	free(w);
}

static void
test_kvm_works(void **state)
{
	(void)state;
	fake(fake_qmp, "True");
	accel_init();
	assert_true(accel_probing());
	settle();
	assert_string_equal(accel_name(), "kvm");
	assert_non_null(strstr(accel_reason(), "KVM works"));
	assert_int_equal(calls(), 1);
	/* the same binary: no probe */
	assert_string_equal(accel_for_start(), "kvm");
	assert_false(accel_probing());
	accel_release();
}

static void
test_msr_abort(void **state)
{
	(void)state;
	fake(fake_msr, "");
	accel_init();
	settle();
	assert_string_equal(accel_name(), "tcg");
	assert_non_null(strstr(accel_reason(), "KVM cannot run guests here: "
	    "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0; "
	    "qemu was killed by signal 6"));
	accel_release();
}

static void
test_kvm_off(void **state)
{
	(void)state;
	fake(fake_qmp, "False");
	accel_init();
	settle();
	assert_string_equal(accel_name(), "tcg");
	assert_non_null(strstr(accel_reason(), "enabled false"));
	accel_release();
}

/* An upgrade: the start in hand keeps the old answer, the next the new. */
static void
test_binary_changes(void **state)
{
	int	 n;

	(void)state;
	fake(fake_msr, "");
	accel_init();
	settle();
	assert_string_equal(accel_name(), "tcg");
	n = calls();
	fake(fake_qmp, "True");
	assert_string_equal(accel_for_start(), "tcg");
	assert_true(accel_probing());
	/* a start while the probe runs starts no other */
	assert_string_equal(accel_for_start(), "tcg");
	settle();
	assert_int_equal(calls(), n + 1);
	assert_string_equal(accel_name(), "kvm");
	assert_string_equal(accel_for_start(), "kvm");
	assert_false(accel_probing());
	accel_release();
}

/* fwsd exits while the probe runs: it is killed and reaped. */
static void
test_release_probing(void **state)
{
	(void)state;
	fake(fake_qmp, "True");
	accel_init();
	assert_true(accel_probing());
	accel_release();
	assert_false(accel_probing());
}

static void
test_missing(void **state)
{
	(void)state;
	unlink(conf.cf_qemu);
	accel_init();
	assert_false(accel_probing());
	assert_string_equal(accel_name(), "tcg");
	assert_non_null(strstr(accel_reason(), "No such file or directory"));
	accel_release();
}

static void
test_configured(void **state)
{
	static const char *const names[] = { "kvm", "tcg" };
	size_t	 i;
	int	 n;

	(void)state;
	fake(fake_qmp, "True");
	n = calls();
	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		conf.cf_accel = (char *)names[i];
		accel_init();
		assert_false(accel_probing());
		assert_string_equal(accel_name(), names[i]);
		assert_string_equal(accel_reason(), "set in fwsd.conf");
		fake(fake_msr, "");
		assert_string_equal(accel_for_start(), names[i]);
		assert_false(accel_probing());
		accel_release();
	}
	assert_int_equal(calls(), n);
	conf.cf_accel = "auto";
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_kvm_works),
		cmocka_unit_test(test_msr_abort),
		cmocka_unit_test(test_kvm_off),
		cmocka_unit_test(test_binary_changes),
		cmocka_unit_test(test_release_probing),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_configured),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
