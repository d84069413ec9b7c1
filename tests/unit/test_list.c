/*
 * test_list.c: fwsctl list's reading of fwsd's reply line.  Lines of
 * fwsd's shape give the rows a parse of the whole line gives; any other
 * line (a refusal, an escape in a name, a fraction, a line cut short) is
 * left to that parse.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "fws.h"
#include "fwsctl.h"

/* What fwsctl-list.c takes from the rest of fwsctl. */
uid_t
fwsctl_uid(void)
{
	return 0;
}

const char *
fwsctl_uid_name(uid_t uid)
{
	(void)uid;
	return "root";
}

void
fwsctl_errx(int code, const char *fmt, ...)
{
	(void)code;
	(void)fmt;
	fail_msg("fwsctl_errx");
	abort();
}

json_t *
fwsctl_call_list(struct ctx *c, enum proto_cmd cmd, json_t *args,
    json_t **rp)
{
	(void)c;
	(void)cmd;
	(void)args;
	(void)rp;
	return NULL;
}

json_t *
fwsctl_call_scan(enum proto_cmd cmd, json_t *args,
    int (*scan)(const char *, size_t, void *), void *arg)
{
	(void)cmd;
	(void)args;
	(void)scan;
	(void)arg;
	return NULL;
}

static const char *const taken[] = {
	"{\"id\":1,\"ok\":true,\"result\":[]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"name\":\"web\",\"uuid\":"
	    "\"47b975ad-bd40-44db-ac7e-e1341ead93ef\",\"state\":\"running\","
	    "\"vcpus\":2,\"memory_mib\":2048,\"owner\":1001,\"pid\":4242,"
	    "\"loan_end\":1767225600,\"addresses\":[\"fe80::1\","
	    "\"10.0.0.5\",\"10.0.0.6\"]},{\"name\":\"db\",\"state\":"
	    "\"stopped\",\"vcpus\":1,\"memory_mib\":512,\"owner\":0,\"pid\":"
	    "null,\"loan_end\":null,\"addresses\":[]}]}",
	/* another order, spaces, what the table does not show */
	" { \"result\" : [ { \"addresses\" : null , \"job\" : { \"kind\" : "
	    "\"snapshot\", \"since\": 1.5e3, \"progress\": [1, -2, {}] }, "
	    "\"note\": \"a \\\"quoted\\\" \\\\ word\", \"flag\": true, "
	    "\"off\": false, \"name\": \"x.y-z_1\" } ], \"ok\" : true , "
	    "\"id\" : \"req-7\" } ",
	"{\"ok\":true,\"result\":[{}],\"id\":null}",
	"{\"ok\":true,\"result\":[{\"name\":\"a\",\"owner\":-1,"
	    "\"memory_mib\":null,\"addresses\":[\"::1\"]}]}",
};

static const char *const left[] = {
	"",
	"{}",
	"[]",
	"{\"id\":1,\"ok\":false,\"error\":{\"code\":\"not_found\","
	    "\"message\":\"no\"}}",
	"{\"id\":1,\"progress\":{\"percent\":5,\"step\":\"reading\"}}",
	"{\"id\":1,\"result\":[]}",
	"{\"id\":1,\"ok\":true}",
	"{\"id\":1,\"ok\":true,\"result\":{}}",
	"{\"id\":1,\"ok\":true,\"result\":[]}x",
	"{\"id\":1,\"ok\":true,\"result\":[]",
	"{\"id\":1,\"ok\":true,\"result\":[{\"name\":\"a\"",
	"{\"id\":1,\"ok\":true,\"result\":[{\"name\":\"a\\\"b\"}]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"name\":\"a\\u0041\"}]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"vcpus\":1.5}]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"vcpus\":1e3}]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"vcpus\":\"2\"}]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"state\":7}]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"pid\":99999999999999999999}]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"addresses\":[1]}]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"note\":\"caf\xc3\xa9\"}]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"note\":nul}]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"note\":[\"a\"}]}",
	"{\"id\":1,\"ok\":true,\"result\":[],\"result\":[]}",
	"{\"id\":1,\"ok\":true,\"result\":[{\"name\":\"a\"},]}",
};

static void
same_str(const struct list_str *a, const struct list_str *b)
{
	assert_int_equal(a->ls_len, b->ls_len);
	if (a->ls_len > 0)
		assert_memory_equal(a->ls_s, b->ls_s, a->ls_len);
	assert_true((a->ls_s == NULL) == (b->ls_s == NULL));
}

static void
test_taken(void **state)
{
	struct list_rows s, j;
	struct list_row	*x, *y;
	json_error_t	 jerr;
	json_t		*r;
	size_t		 i, k;

	(void)state;
	for (i = 0; i < sizeof(taken) / sizeof(*taken); i++) {
		memset(&s, 0, sizeof(s));
		memset(&j, 0, sizeof(j));
		if (list_scan(taken[i], strlen(taken[i]), &s) != 0)
			fail_msg("not taken: %s", taken[i]);
		assert_non_null(r = json_loads(taken[i], 0, &jerr));
		list_from_json(json_object_get(r, "result"), &j);
		assert_int_equal(s.lrs_n, j.lrs_n);
		for (k = 0; k < s.lrs_n; k++) {
			x = &s.lrs_rows[k];
			y = &j.lrs_rows[k];
			same_str(&x->lr_name, &y->lr_name);
			same_str(&x->lr_state, &y->lr_state);
			same_str(&x->lr_addr, &y->lr_addr);
			assert_true(x->lr_vcpus == y->lr_vcpus);
			assert_true(x->lr_memory_mib == y->lr_memory_mib);
			assert_true(x->lr_owner == y->lr_owner);
			assert_true(x->lr_has_owner == y->lr_has_owner);
			assert_true(x->lr_has_pid == y->lr_has_pid);
			if (x->lr_has_pid)
				assert_true(x->lr_pid == y->lr_pid);
			assert_true(x->lr_has_loan_end == y->lr_has_loan_end);
			if (x->lr_has_loan_end)
				assert_true(x->lr_loan_end == y->lr_loan_end);
		}
		json_decref(r);
		free(s.lrs_rows);
		free(j.lrs_rows);
	}
}

static void
test_sample(void **state)
{
	struct list_rows l = { NULL, 0, 0 };

	(void)state;
	assert_int_equal(list_scan(taken[1], strlen(taken[1]), &l), 0);
	assert_int_equal(l.lrs_n, 2);
	assert_int_equal(l.lrs_rows[0].lr_name.ls_len, 3);
	assert_memory_equal(l.lrs_rows[0].lr_name.ls_s, "web", 3);
	assert_memory_equal(l.lrs_rows[0].lr_addr.ls_s, "10.0.0.5", 8);
	assert_true(l.lrs_rows[0].lr_pid == 4242);
	assert_true(l.lrs_rows[0].lr_owner == 1001);
	assert_null(l.lrs_rows[1].lr_addr.ls_s);
	assert_false(l.lrs_rows[1].lr_has_pid);
	free(l.lrs_rows);
}

static void
test_left(void **state)
{
	struct list_rows l;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(left) / sizeof(*left); i++) {
		memset(&l, 0, sizeof(l));
		if (list_scan(left[i], strlen(left[i]), &l) != -1)
			fail_msg("taken: %s", left[i]);
		free(l.lrs_rows);
	}
	/* a NUL inside the line */
	memset(&l, 0, sizeof(l));
	assert_int_equal(list_scan("{\"ok\":true,\"result\":[]}\0x", 26, &l),
	    -1);
	free(l.lrs_rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_taken),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
