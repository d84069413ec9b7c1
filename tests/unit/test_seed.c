/*
 * test_seed.c: what a cloud-init seed may hold (seed.c), as inputs and
 * the verdicts: OpenSSH key lines of the types sshd takes and nothing
 * that could leave its line in the user-data, crypt(3) hashes and no
 * password, user-data of one's own alone; and the user-data and
 * meta-data written from them, parsed back line by line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "fws.h"

/* an ed25519 key's blob: its type, then 32 bytes */
#define ED_BODY	"AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUW" \
		"FxgZGhscHR4f"
#define ED	"ssh-ed25519 " ED_BODY
/* an ecdsa-sha2-nistp256 blob's start is enough: its type is read */
#define EC	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY="
#define H6	"$6$fwssaltx$wGCLInp9g/WFZFEs6wuPHWZTddrzMZH8PpqMDcQxlQmw" \
		"aK5rDs5Uj4oL0hw8B13bVe5IFFlBTLiOkYUNrPkda."

static void
test_keys(void **state)
{
	const char *good[] = { ED, ED " alice@laptop", ED " a: b - [c] {d} #e",
	    EC, EC " work key" };
	const char *bad[] = { "", "ssh-ed25519", ED_BODY,
	    ED " x\nruncmd: [x]", ED " a\"b", ED " a'b", ED " a\\b",
	    ED "\r", "ssh-dss " ED_BODY, "ssh-rsa " ED_BODY,
	    "command=\"x\" " ED, "ssh-ed25519  " ED_BODY,
	    "ssh-ed25519 AAAA!!!!", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAA",
	    ED " \xc3\xa9", ED " a\xe2\x80\xa8" "b" };
	char	*cause, *big;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		cause = NULL;
		if (seed_key_check(good[i], strlen(good[i]), &cause) != 0)
			fail_msg("%s: %s", good[i], cause);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		if (seed_key_check(bad[i], strlen(bad[i]), &cause) != -1)
			fail_msg("taken: \"%s\"", bad[i]);
		assert_non_null(cause);
		free(cause);
	}
	/* a NUL inside: the length says where the key ends */
	assert_int_equal(seed_key_check(ED "\0x", sizeof(ED "\0x") - 1,
	    NULL), -1);
	big = malloc(FWS_SEED_KEY_MAX + 2);
	memset(big, 'x', FWS_SEED_KEY_MAX + 1);
	memcpy(big, ED " ", strlen(ED " "));
	big[FWS_SEED_KEY_MAX] = '\0';
	assert_int_equal(seed_key_check(big, strlen(big), NULL), 0);
	big[FWS_SEED_KEY_MAX] = 'x';
	big[FWS_SEED_KEY_MAX + 1] = '\0';
	assert_int_equal(seed_key_check(big, strlen(big), NULL), -1);
	free(big);
}

static void
test_hashes(void **state)
{
	const char *good[] = { H6,
	    "$6$rounds=5000$fwssaltx$wGCLInp9g/WFZFEs6wuPHWZTddrzMZH8PpqMDcQ"
	    "xlQmwaK5rDs5Uj4oL0hw8B13bVe5IFFlBTLiOkYUNrPkda.",
	    "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA",
	    "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC."
	    "5i5rd.RhAtQ7",
	    "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW" };
	const char *bad[] = { "", "secret", "$1$salt$hash", "$6$", "$6$salt$",
	    H6 "\nruncmd: [x]", H6 " ", "\"" H6, H6 "x",
	    "$6$rounds=0$s$wGCLInp9g/WFZFEs6wuPHWZTddrzMZH8PpqMDcQxlQmwaK5r"
	    "Ds5Uj4oL0hw8B13bVe5IFFlBTLiOkYUNrPkda.",
	    "$6$a:b$wGCLInp9g/WFZFEs6wuPHWZTddrzMZH8PpqMDcQxlQmwaK5rDs5Uj4oL"
	    "0hw8B13bVe5IFFlBTLiOkYUNrPkda.",
	    "$y$j9T$salt$short", "$2b$12$short", "$2a$12$R9h/cIPz0gi.URNNX3kh2"
	    "OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW" };
	char	*cause;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		cause = NULL;
		if (seed_hash_check(good[i], &cause) != 0)
			fail_msg("%s: %s", good[i], cause);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		if (seed_hash_check(bad[i], &cause) != -1)
			fail_msg("taken: \"%s\"", bad[i]);
		assert_non_null(cause);
		free(cause);
	}
}

/* seed_check of JSON text: its verdict, *out the seed (or NULL). */
static int
check(const char *text, json_t **out)
{
	json_t	*in = json_loads(text, JSON_ALLOW_NUL, NULL);
	char	*cause = NULL;
	int	 rc;

	assert_non_null(in);
	rc = seed_check(in, out, &cause);
	if (rc == -1)
		assert_non_null(cause);
	free(cause);
	json_decref(in);
	return rc;
}

static void
test_check(void **state)
{
	json_t	*s;
	char	*many, *text;
	int	 i;

	(void)state;
	assert_int_equal(check("{}", &s), 0);
	assert_null(s);
	assert_int_equal(check("{\"ssh_keys\": [], \"password_hash\": null}",
	    &s), 0);
	assert_null(s);
	assert_int_equal(check("{\"ssh_keys\": [\"" ED "\"], "
	    "\"password_hash\": \"" H6 "\"}", &s), 0);
	assert_int_equal(json_array_size(json_object_get(s, "ssh_keys")), 1);
	json_decref(s);
	assert_int_equal(check("{\"user_data\": \"#cloud-config\\n\"}", &s), 0);
	json_decref(s);
	/* refused, and *out stays NULL */
	assert_int_equal(check("{\"user_data\": \"#cloud-config\\n\", "
	    "\"ssh_keys\": [\"" ED "\"]}", &s), -1);
	assert_null(s);
	assert_int_equal(check("{\"user_data\": \"x\", \"password_hash\": "
	    "\"" H6 "\"}", &s), -1);
	assert_int_equal(check("{\"user_data\": \"a\\u0000b\"}", &s), -1);
	assert_int_equal(check("{\"user_data\": \"\"}", &s), -1);
	assert_int_equal(check("{\"user_data\": 5}", &s), -1);
	assert_int_equal(check("{\"ssh_keys\": \"" ED "\"}", &s), -1);
	assert_int_equal(check("{\"ssh_keys\": [5]}", &s), -1);
	assert_int_equal(check("{\"password_hash\": \"a\\u0000b\"}", &s), -1);
	assert_int_equal(check("{\"other\": 1}", &s), -1);
	assert_int_equal(check("[]", &s), -1);
	/* 16 keys, not 17 */
	many = xasprintf("{\"ssh_keys\": [\"" ED "\"");
	for (i = 1; i <= FWS_SEED_KEYS_MAX; i++) {
		if (i == FWS_SEED_KEYS_MAX) {
			text = xasprintf("%s]}", many);
			assert_int_equal(check(text, &s), 0);
			json_decref(s);
			free(text);
		}
		text = xasprintf("%s, \"" ED "\"", many);
		free(many);
		many = text;
	}
	text = xasprintf("%s]}", many);
	assert_int_equal(check(text, &s), -1);
	free(text);
	free(many);
}

static void
test_text(void **state)
{
	json_t	*s, *sum;
	char	*ud, *md;

	(void)state;
	assert_int_equal(check("{\"ssh_keys\": [\"" ED " a: b\", \"" EC
	    "\"], \"password_hash\": \"" H6 "\"}", &s), 0);
	ud = seed_user_data(s);
	assert_string_equal(ud, "#cloud-config\n"
	    "ssh_authorized_keys:\n"
	    "  - \"" ED " a: b\"\n"
	    "  - \"" EC "\"\n"
	    "user:\n"
	    "  passwd: \"" H6 "\"\n"
	    "  lock_passwd: false\n");
	free(ud);
	json_decref(s);
	assert_int_equal(check("{\"user_data\": \"#!/bin/sh\\necho hi\\n\"}",
	    &s), 0);
	ud = seed_user_data(s);
	assert_string_equal(ud, "#!/bin/sh\necho hi\n");
	free(ud);
	sum = seed_summary(s);
	json_decref(s);
	s = sum;
	assert_int_equal(json_integer_value(json_object_get(s, "ssh_keys")),
	    0);
	assert_true(json_is_true(json_object_get(s, "user_data")));
	assert_true(json_is_false(json_object_get(s, "password")));
	md = seed_meta_data("0b5c8a3e-1f2d-4c5b-9a8e-7d6c5b4a3f2e", "web1");
	assert_string_equal(md, "instance-id: "
	    "\"0b5c8a3e-1f2d-4c5b-9a8e-7d6c5b4a3f2e\"\n"
	    "local-hostname: \"web1\"\n");
	free(md);
	json_decref(s);
	assert_true(json_is_null(seed_summary(NULL)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
