/*
 * test_web_session.c: fws-web's sessions (web-session.c) and its count
 * of failed logins (web-limit.c) on a clock the test moves: idle and
 * absolute expiry, use that keeps a session and checks that do not,
 * the per-user cap, ids and CSRF tokens random and checked whole; ten
 * failures refuse an address until its window ends, and no other.
 */
#include <string.h>

#include "unit.h"
#include "fws.h"
#include "web.h"

static int64_t	 now = 1000;

static int64_t
test_clock(void)
{
	return now;
}

static void
test_expiry(void **state)
{
	struct web_session	*s, *t;
	char			 id[WEB_ID_HEX + 1];
	int64_t			 created;

	(void)state;
	now = 1000;
	web_session_init(30 * 60, 12 * 3600, test_clock);
	s = web_session_new(1001, 0, "alice");
	assert_non_null(s);
	assert_true(web_parse_hex_id(s->ss_id));
	assert_true(web_parse_hex_id(s->ss_csrf));
	assert_string_not_equal(s->ss_id, s->ss_csrf);
	memcpy(id, s->ss_id, sizeof(id));
	assert_ptr_equal(web_session_find(id, 1), s);

	/* used every 29 minutes: alive; a check is no use */
	now += 29 * 60;
	assert_ptr_equal(web_session_find(id, 1), s);
	now += 29 * 60;
	assert_ptr_equal(web_session_find(id, 0), s);
	now += 2 * 60;
	assert_null(web_session_find(id, 1));
	assert_int_equal(web_session_count(), 0);

	/* used all the time, still ended at session_max */
	s = web_session_new(1001, 0, "alice");
	created = now;
	memcpy(id, s->ss_id, sizeof(id));
	for (t = s; t != NULL && now < created + 13 * 3600; now += 20 * 60)
		t = web_session_find(id, 1);
	assert_null(t);
	/* the check that failed was the first at or after 12 hours */
	assert_true(now - 20 * 60 >= created + 12 * 3600);
	assert_true(now - 20 * 60 < created + 12 * 3600 + 20 * 60);
	assert_int_equal(web_session_count(), 0);
}

static void
test_ids(void **state)
{
	struct web_session	*a, *b;
	char			 id[WEB_ID_HEX + 1];

	(void)state;
	now = 5000;
	web_session_init(60, 3600, test_clock);
	a = web_session_new(1001, 0, "alice");
	b = web_session_new(1002, 1, "bob");
	assert_string_not_equal(a->ss_id, b->ss_id);
	/* nearly right is wrong: one digit changed, upper case, short */
	memcpy(id, a->ss_id, sizeof(id));
	id[WEB_ID_HEX - 1] = id[WEB_ID_HEX - 1] == '0' ? '1' : '0';
	assert_null(web_session_find(id, 1));
	memcpy(id, a->ss_id, sizeof(id));
	id[0] = id[0] >= 'a' ? id[0] - 32 : 'A';
	assert_null(web_session_find(id, 1));
	assert_null(web_session_find("", 1));
	assert_null(web_session_find(NULL, 1));
	/* CSRF: the session's own, whole */
	assert_true(web_session_csrf_ok(a, a->ss_csrf));
	assert_false(web_session_csrf_ok(a, b->ss_csrf));
	assert_false(web_session_csrf_ok(a, ""));
	memcpy(id, a->ss_csrf, sizeof(id));
	id[10] = id[10] == 'f' ? 'e' : 'f';
	assert_false(web_session_csrf_ok(a, id));
	/* logout: gone */
	memcpy(id, a->ss_id, sizeof(id));
	web_session_delete(a);
	assert_null(web_session_find(id, 1));
	assert_ptr_equal(web_session_find(b->ss_id, 1), b);
	web_session_clear();
	assert_int_equal(web_session_count(), 0);
}

static void
test_per_uid(void **state)
{
	struct web_session	*s;
	char			 first[WEB_ID_HEX + 1];
	int			 i;

	(void)state;
	now = 9000;
	web_session_init(60, 3600, test_clock);
	s = web_session_new(1001, 0, "alice");
	memcpy(first, s->ss_id, sizeof(first));
	for (i = 1; i < WEB_SESSIONS_PER_UID; i++)
		assert_non_null(web_session_new(1001, 0, "alice"));
	assert_non_null(web_session_find(first, 0));
	assert_non_null(web_session_new(1002, 0, "bob"));
	/* the 33rd of alice's drops her oldest, not bob's */
	assert_non_null(web_session_new(1001, 0, "alice"));
	assert_null(web_session_find(first, 0));
	assert_int_equal(web_session_count(), WEB_SESSIONS_PER_UID + 1);
	web_session_clear();
}

static void
test_limit(void **state)
{
	int64_t	 retry = 0;
	int	 i;

	(void)state;
	now = 100;
	web_limit_init(10, 300, test_clock);
	for (i = 0; i < 9; i++)
		web_limit_fail("192.0.2.1");
	assert_int_equal(web_limit_check("192.0.2.1", &retry), 0);
	now += 10;
	web_limit_fail("192.0.2.1");
	assert_int_equal(web_limit_check("192.0.2.1", &retry), -1);
	assert_int_equal(retry, 290);
	/* another address is not held back */
	assert_int_equal(web_limit_check("192.0.2.2", &retry), 0);
	now += 289;
	assert_int_equal(web_limit_check("192.0.2.1", &retry), -1);
	assert_int_equal(retry, 1);
	now += 1;
	assert_int_equal(web_limit_check("192.0.2.1", &retry), 0);
	/* a new window */
	web_limit_fail("192.0.2.1");
	assert_int_equal(web_limit_check("192.0.2.1", &retry), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_per_uid),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
