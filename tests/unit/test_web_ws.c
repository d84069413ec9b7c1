/*
 * test_web_ws.c: WebSocket framing (web-ws.c): headers of each length
 * form read back, masking both ways, the RFC's own handshake example,
 * and refusals: unmasked frames from a browser, reserved bits, unknown
 * opcodes, fragmented or long control frames, non-minimal lengths,
 * frames and messages over 1 MiB, continuations out of place.
 */
#include <string.h>

#include "unit.h"
#include "web.h"

static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* A browser's frame: header then masked payload, into out; its length. */
static size_t
client_frame(uint8_t *out, int opcode, int fin, const void *p, size_t len)
{
	size_t	 h = web_ws_header(out, opcode, fin, len, mask);

	memcpy(out + h, p, len);
	web_ws_unmask(out + h, len, mask);
	return h + len;
}

static void
test_accept(void **state)
{
	char	 out[WS_ACCEPT_LEN + 1];

	(void)state;
	/* RFC 6455, section 1.3 */
	assert_int_equal(web_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(web_ws_accept(NULL, out), -1);
	assert_int_equal(web_ws_accept("", out), -1);
	assert_int_equal(web_ws_accept("dGhlIHNhbXBsZSBub25jZQ=", out), -1);
	assert_int_equal(web_ws_accept("dGhlIHNhbXBsZSBub25j!Q==", out), -1);
	assert_int_equal(web_ws_accept("dGhlIHNhbXBsZSBub25jZQ==x", out), -1);
}

static void
test_roundtrip(void **state)
{
	static uint8_t		 buf[70000 + WS_HEADER_MAX], payload[70000];
	struct web_ws_frame	 f;
	size_t			 lens[] = { 0, 5, 125, 126, 65535, 65536, 69999 };
	size_t			 i, n;
	int			 code;

	(void)state;
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = i * 7;
	for (i = 0; i < sizeof(lens) / sizeof(*lens); i++) {
		n = client_frame(buf, WS_OP_BINARY, 1, payload, lens[i]);
		assert_int_equal(web_ws_parse(buf, n, 1, &f, &code), 1);
		assert_int_equal(f.wf_opcode, WS_OP_BINARY);
		assert_true(f.wf_fin);
		assert_true(f.wf_masked);
		assert_int_equal(f.wf_len, lens[i]);
		assert_int_equal(f.wf_hdr + f.wf_len, n);
		web_ws_unmask(buf + f.wf_hdr, f.wf_len, f.wf_mask);
		assert_memory_equal(buf + f.wf_hdr, payload, lens[i] ? lens[i] : 1
		    /* cmocka compares at least a byte */);
		/* every prefix of the header asks for more */
		for (n = 0; n < f.wf_hdr; n++)
			assert_int_equal(web_ws_parse(buf, n, 1, &f, &code), 0);
	}
	/* the server's frames are unmasked */
	n = web_ws_header(buf, WS_OP_TEXT, 1, 300, NULL);
	assert_int_equal(n, 4);
	assert_int_equal(buf[0], 0x81);
	assert_int_equal(buf[1], 126);
	assert_int_equal(web_ws_parse(buf, n, 0, &f, &code), 1);
	assert_false(f.wf_masked);
	assert_int_equal(f.wf_len, 300);
}

static void
test_refused(void **state)
{
	uint8_t			 buf[64];
	struct web_ws_frame	 f;
	int			 code;
	size_t			 n;

	(void)state;
	/* unmasked from a browser */
	n = web_ws_header(buf, WS_OP_TEXT, 1, 3, NULL);
	memcpy(buf + n, "abc", 3);
	assert_int_equal(web_ws_parse(buf, n + 3, 1, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_PROTOCOL);
	/* a reserved bit */
	n = client_frame(buf, WS_OP_TEXT, 1, "abc", 3);
	buf[0] |= 0x40;
	assert_int_equal(web_ws_parse(buf, n, 1, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_PROTOCOL);
	/* unknown opcodes */
	n = client_frame(buf, 0x3, 1, "abc", 3);
	assert_int_equal(web_ws_parse(buf, n, 1, &f, &code), -1);
	n = client_frame(buf, 0xb, 1, "abc", 3);
	assert_int_equal(web_ws_parse(buf, n, 1, &f, &code), -1);
	/* a fragmented ping, a long one */
	n = client_frame(buf, WS_OP_PING, 0, "abc", 3);
	assert_int_equal(web_ws_parse(buf, n, 1, &f, &code), -1);
	buf[0] = 0x80 | WS_OP_PING;
	buf[1] = 0x80 | 126;
	buf[2] = 0;
	buf[3] = 200;
	assert_int_equal(web_ws_parse(buf, 8, 1, &f, &code), -1);
	/* 16-bit length for what 7 bits hold; 64-bit for 16 */
	buf[0] = 0x82;
	buf[1] = 0x80 | 126;
	buf[2] = 0;
	buf[3] = 100;
	assert_int_equal(web_ws_parse(buf, 8, 1, &f, &code), -1);
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x82;
	buf[1] = 0x80 | 127;
	buf[8] = 0x01;		/* 256 */
	assert_int_equal(web_ws_parse(buf, 14, 1, &f, &code), -1);
	/* the top bit of a 64-bit length */
	buf[2] = 0x80;
	assert_int_equal(web_ws_parse(buf, 14, 1, &f, &code), -1);
	/* over 1 MiB: too big, said before its bytes come */
	n = web_ws_header(buf, WS_OP_BINARY, 1, WEB_WS_FRAME_MAX + 1, mask);
	assert_int_equal(web_ws_parse(buf, n, 1, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_TOO_BIG);
	n = web_ws_header(buf, WS_OP_BINARY, 1, WEB_WS_FRAME_MAX, mask);
	assert_int_equal(web_ws_parse(buf, n, 1, &f, &code), 1);
}

static void
test_fragments(void **state)
{
	struct web_ws_msg	 m;
	struct web_ws_frame	 f;
	int			 code;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&f, 0, sizeof(f));
	/* a continuation with no message open */
	f.wf_opcode = WS_OP_CONT;
	f.wf_fin = 1;
	assert_int_equal(web_ws_sequence(&m, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_PROTOCOL);
	/* text, a ping between, continuation, end */
	f.wf_opcode = WS_OP_TEXT;
	f.wf_fin = 0;
	f.wf_len = 10;
	assert_int_equal(web_ws_sequence(&m, &f, &code), 0);
	assert_true(m.wm_in);
	f.wf_opcode = WS_OP_PING;
	f.wf_fin = 1;
	assert_int_equal(web_ws_sequence(&m, &f, &code), 0);
	assert_true(m.wm_in);
	/* a new message while one is open */
	f.wf_opcode = WS_OP_BINARY;
	f.wf_fin = 1;
	assert_int_equal(web_ws_sequence(&m, &f, &code), -1);
	f.wf_opcode = WS_OP_CONT;
	f.wf_fin = 1;
	assert_int_equal(web_ws_sequence(&m, &f, &code), 0);
	assert_false(m.wm_in);
	assert_int_equal(m.wm_len, 20);
	/* a message over 1 MiB in fragments of 600 KiB */
	f.wf_opcode = WS_OP_BINARY;
	f.wf_fin = 0;
	f.wf_len = 600 * 1024;
	assert_int_equal(web_ws_sequence(&m, &f, &code), 0);
	f.wf_opcode = WS_OP_CONT;
	assert_int_equal(web_ws_sequence(&m, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_TOO_BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_fragments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
