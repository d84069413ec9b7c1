/*
 * test_conn.c: fwsctl's --connect targets: tls://HOST[:PORT] and
 * unix:PATH, and what is neither.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "fws.h"
#include "fwsctl.h"

/* fwsctl.c's, which fwsctl-conn.c calls: never reached here */
void
fwsctl_errx(int code, const char *fmt, ...)
{
	(void)fmt;
	fail_msg("fwsctl_errx %d", code);
	exit(code);
}

int
fwsctl_connect(void)
{
	return -1;
}

static void
test_targets(void **state)
{
	static const struct {
		const char	*in;
		int		 tls;
		const char	*host_or_path, *port;
	} good[] = {
		{ "tls://gate", 1, "gate", "16514" },
		{ "tls://gate.example.org:7000", 1, "gate.example.org", "7000" },
		{ "tls://127.0.0.1:1", 1, "127.0.0.1", "1" },
		{ "tls://[::1]:9", 1, "::1", "9" },
		{ "tls://[fe80::1]", 1, "fe80::1", "16514" },
		{ "unix:/run/fws/fwsd.sock", 0, "/run/fws/fwsd.sock", NULL },
	};
	static const struct {
		const char	*in, *error;
	} bad[] = {
		{ "gate", "expected tls://HOST[:PORT] or unix:PATH" },
		{ "https://gate", "expected tls://" },
		{ "tls://", "must not be empty" },
		{ "tls://gate:0", "the port is a number" },
		{ "tls://gate/path", "takes no path" },
		{ "tls://user@gate", "a name or an address" },
		{ "unix:fwsd.sock", "absolute path" },
		{ "unix:", "absolute path" },
	};
	struct conn_target	 t;
	char			*cause;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		if (conn_parse(good[i].in, &t, &cause) == -1)
			fail_msg("\"%s\": %s", good[i].in, cause);
		assert_int_equal(t.ct_tls, good[i].tls);
		if (t.ct_tls) {
			assert_string_equal(t.ct_host, good[i].host_or_path);
			assert_string_equal(t.ct_port, good[i].port);
		} else
			assert_string_equal(t.ct_path, good[i].host_or_path);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		assert_int_equal(conn_parse(bad[i].in, &t, &cause), -1);
		if (cause == NULL || strstr(cause, bad[i].error) == NULL)
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].in,
			    cause ? cause : "(null)", bad[i].error);
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_targets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
