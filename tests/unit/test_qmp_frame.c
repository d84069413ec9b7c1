/*
 * test_qmp_frame.c: qmp-frame.c, the splitting of QEMU's byte stream
 * into one message per line.  Streams go in whole, in pieces or a byte
 * at a time; what must come out is the same list of messages, or a
 * refusal once a message outgrows the cap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "qmp.h"

/* Take the next message and check it is want (NULL: none buffered). */
static void
expect_msg(struct qmp_frame *f, const char *want)
{
	char	*msg = NULL;
	size_t	 len = 0;
	int	 rv;

	rv = qmp_frame_next(f, &msg, &len);
	if (want == NULL) {
		assert_int_equal(rv, 0);
		return;
	}
	assert_int_equal(rv, 1);
	assert_non_null(msg);
	assert_int_equal(len, strlen(want));
	assert_int_equal(strlen(msg), len);	/* NUL terminated, no NUL in */
	assert_string_equal(msg, want);
	free(msg);
}

static void
feed_str(struct qmp_frame *f, const char *s)
{
	assert_int_equal(qmp_frame_feed(f, s, strlen(s)), 0);
}

static void
test_several_in_one_feed(void **state)
{
	struct qmp_frame	 f;

	(void)state;
	qmp_frame_init(&f, 0);
	assert_int_equal(f.qf_max, QMP_MAX_MSG_DEFAULT);
	feed_str(&f, "{\"QMP\": {}}\r\n{\"return\": {}, \"id\": 1}\r\n"
	    "{\"event\": \"STOP\"}\r\n{\"ret");
	expect_msg(&f, "{\"QMP\": {}}");
	expect_msg(&f, "{\"return\": {}, \"id\": 1}");
	expect_msg(&f, "{\"event\": \"STOP\"}");
	expect_msg(&f, NULL);			/* the tail is partial */
	feed_str(&f, "urn\": 2}\r\n");
	expect_msg(&f, "{\"return\": 2}");
	expect_msg(&f, NULL);
	qmp_frame_clear(&f);
}

/* Cut the same stream at every byte: the messages must not change. */
static void
test_byte_by_byte(void **state)
{
	const char		*in = "{\"a\": 1}\r\n\r\n"
				    "{\"b\": \"x\\r\\ny\"}\n{\"c\": []}\r\n";
	struct qmp_frame	 f;
	size_t			 i;

	(void)state;
	qmp_frame_init(&f, 64);
	for (i = 0; in[i] != '\0'; i++) {
		assert_int_equal(qmp_frame_feed(&f, in + i, 1), 0);
		if (in[i] != '\n')
			expect_msg(&f, NULL);
		else if (i == 9)
			expect_msg(&f, "{\"a\": 1}");
		else if (i == 11)
			expect_msg(&f, NULL);	/* the empty line */
		else if (i == 27)
			expect_msg(&f, "{\"b\": \"x\\r\\ny\"}");
		else if (i == 38)
			expect_msg(&f, "{\"c\": []}");
		else
			fail_msg("unexpected LF at %zu", i);
	}
	assert_int_equal(f.qf_len, 0);
	qmp_frame_clear(&f);
}

static void
test_split_anywhere(void **state)
{
	const char		*in = "{\"x\": 1}\r\n{\"y\": 2}\n"
				    "{\"z\": 3}\r\n";
	struct qmp_frame	 f;
	size_t			 cut, n = strlen(in);

	(void)state;
	for (cut = 0; cut <= n; cut++) {
		qmp_frame_init(&f, 16);
		assert_int_equal(qmp_frame_feed(&f, in, cut), 0);
		assert_int_equal(qmp_frame_feed(&f, in + cut, n - cut), 0);
		expect_msg(&f, "{\"x\": 1}");
		expect_msg(&f, "{\"y\": 2}");
		expect_msg(&f, "{\"z\": 3}");
		expect_msg(&f, NULL);
		qmp_frame_clear(&f);
	}
}

static void
test_line_endings(void **state)
{
	struct qmp_frame	 f;

	(void)state;
	qmp_frame_init(&f, 0);
	feed_str(&f, "crlf\r\nlf\ncr in\rside\r\n\r\r\n");
	expect_msg(&f, "crlf");
	expect_msg(&f, "lf");
	expect_msg(&f, "cr in\rside");		/* only a CR before LF goes */
	expect_msg(&f, "\r");			/* and only one */
	expect_msg(&f, NULL);
	/* a CR on its own ends nothing */
	feed_str(&f, "abc\r");
	expect_msg(&f, NULL);
	feed_str(&f, "\n");
	expect_msg(&f, "abc");
	qmp_frame_clear(&f);
}

static void
test_empty_lines(void **state)
{
	struct qmp_frame	 f;

	(void)state;
	qmp_frame_init(&f, 0);
	feed_str(&f, "\n\r\n\n\r\n");
	expect_msg(&f, NULL);
	assert_int_equal(f.qf_len, 0);		/* consumed, not kept */
	feed_str(&f, "\r\n\nx\n\r\n\r\ny\r\n\n");
	expect_msg(&f, "x");
	expect_msg(&f, "y");
	expect_msg(&f, NULL);
	assert_int_equal(f.qf_len, 0);
	qmp_frame_clear(&f);
}

/* A line of n bytes of 'a' then end (NULL: none); returns malloc'd. */
static char *
mkline(size_t n, const char *end)
{
	char	*s;

	s = malloc(n + 3);
	assert_non_null(s);
	memset(s, 'a', n);
	strcpy(s + n, end ? end : "");
	return s;
}

static void
test_cap_exact(void **state)
{
	struct qmp_frame	 f;
	const char		*ends[] = { "\r\n", "\n" };
	char			*s, *want = mkline(16, NULL);
	size_t			 i, j;

	(void)state;
	for (i = 0; i < 2; i++) {
		/* whole */
		qmp_frame_init(&f, 16);
		s = mkline(16, ends[i]);
		feed_str(&f, s);
		expect_msg(&f, want);
		/* byte by byte, twice over, so the tail of one is kept */
		for (j = 0; s[j] != '\0'; j++)
			assert_int_equal(qmp_frame_feed(&f, s + j, 1), 0);
		for (j = 0; s[j] != '\0'; j++)
			assert_int_equal(qmp_frame_feed(&f, s + j, 1), 0);
		expect_msg(&f, want);
		expect_msg(&f, want);
		expect_msg(&f, NULL);
		free(s);
		qmp_frame_clear(&f);
	}
	free(want);
}

static void
test_cap_one_over(void **state)
{
	struct qmp_frame	 f;
	char			*s;
	size_t			 j;

	(void)state;
	/* a complete line one over, with either ending */
	qmp_frame_init(&f, 16);
	s = mkline(17, "\r\n");
	errno = 0;
	assert_int_equal(qmp_frame_feed(&f, s, strlen(s)), -1);
	assert_int_equal(errno, EMSGSIZE);
	free(s);
	qmp_frame_clear(&f);

	qmp_frame_init(&f, 16);
	s = mkline(17, "\n");
	assert_int_equal(qmp_frame_feed(&f, s, strlen(s)), -1);
	free(s);
	qmp_frame_clear(&f);

	/* a partial one over fails the feed that makes it so, not before */
	qmp_frame_init(&f, 16);
	s = mkline(17, NULL);
	for (j = 0; j < 16; j++)
		assert_int_equal(qmp_frame_feed(&f, s + j, 1), 0);
	assert_int_equal(qmp_frame_feed(&f, s + 16, 1), -1);
	free(s);
	qmp_frame_clear(&f);

	/* 16 bytes and a CR may still be a message at the cap ... */
	qmp_frame_init(&f, 16);
	s = mkline(16, "\r");
	feed_str(&f, s);
	/* ... but not once anything else follows the CR */
	assert_int_equal(qmp_frame_feed(&f, "x", 1), -1);
	free(s);
	qmp_frame_clear(&f);

	/* the line that straddles feeds counts from its true start */
	qmp_frame_init(&f, 16);
	feed_str(&f, "short\naaaaaaaaaa");
	expect_msg(&f, "short");
	assert_int_equal(qmp_frame_feed(&f, "aaaaaaa\r\n", 9), -1);
	qmp_frame_clear(&f);

	/* many short lines add up to more than the cap: fine */
	qmp_frame_init(&f, 4);
	feed_str(&f, "abcd\r\nefgh\nijkl\r\n");
	expect_msg(&f, "abcd");
	expect_msg(&f, "efgh");
	expect_msg(&f, "ijkl");
	qmp_frame_clear(&f);

	/* one too long among short ones */
	qmp_frame_init(&f, 4);
	assert_int_equal(qmp_frame_feed(&f, "abcd\r\nefghi\r\nj\n", 15), -1);
	qmp_frame_clear(&f);
}

/* The frame splits lines; it leaves judging the content to qmp.c. */
static void
test_garbage(void **state)
{
	const unsigned char	 bin[] = { 0x00, 0xff, 0x7b, 0x0a, 0x80, 0x00,
				    0x0d, 0x0a, 0x0d, 0x0a };
	struct qmp_frame	 f;
	char			*msg;
	size_t			 len;

	(void)state;
	qmp_frame_init(&f, 16);
	assert_int_equal(qmp_frame_feed(&f, bin, sizeof(bin)), 0);
	assert_int_equal(qmp_frame_next(&f, &msg, &len), 1);
	assert_int_equal(len, 3);
	assert_memory_equal(msg, "\x00\xff\x7b", 3);
	assert_int_equal(msg[3], '\0');
	free(msg);
	assert_int_equal(qmp_frame_next(&f, &msg, &len), 1);
	assert_int_equal(len, 2);
	assert_memory_equal(msg, "\x80\x00", 2);
	free(msg);
	expect_msg(&f, NULL);
	feed_str(&f, "}}}not json{{{\n");
	expect_msg(&f, "}}}not json{{{");
	qmp_frame_clear(&f);

	/* binary garbage with no LF is just a long partial line */
	qmp_frame_init(&f, 8);
	assert_int_equal(qmp_frame_feed(&f, "\xff\xfe\x01\x02", 4), 0);
	assert_int_equal(qmp_frame_feed(&f, "\x03\x04\x05\x06\x07", 5), -1);
	qmp_frame_clear(&f);
}

static void
test_empty_feed_and_clear(void **state)
{
	struct qmp_frame	 f;

	(void)state;
	qmp_frame_init(&f, 8);
	assert_int_equal(qmp_frame_feed(&f, NULL, 0), 0);
	expect_msg(&f, NULL);
	feed_str(&f, "abc");
	qmp_frame_clear(&f);
	/* cleared: the partial line is gone, the cap stays */
	assert_int_equal(f.qf_len, 0);
	assert_int_equal(f.qf_max, 8);
	feed_str(&f, "def\n");
	expect_msg(&f, "def");
	qmp_frame_clear(&f);
	qmp_frame_clear(&f);			/* twice is harmless */
}

/* A big message, then small ones: the buffer need not stay big. */
static void
test_large_message(void **state)
{
	struct qmp_frame	 f;
	char			*s, *want;
	size_t			 n = 300 * 1000, off, step;

	(void)state;
	qmp_frame_init(&f, 0);
	s = mkline(n, "\r\n");
	want = mkline(n, NULL);
	for (off = 0, step = 1; off < n + 2; off += step, step = step * 3 + 1) {
		if (step > n + 2 - off)
			step = n + 2 - off;
		assert_int_equal(qmp_frame_feed(&f, s + off, step), 0);
	}
	expect_msg(&f, want);
	expect_msg(&f, NULL);
	assert_true(f.qf_cap <= 64 * 1024);
	feed_str(&f, "{}\n");
	expect_msg(&f, "{}");
	free(s);
	free(want);
	qmp_frame_clear(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_several_in_one_feed),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_split_anywhere),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_empty_lines),
		cmocka_unit_test(test_cap_exact),
		cmocka_unit_test(test_cap_one_over),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_empty_feed_and_clear),
		cmocka_unit_test(test_large_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
