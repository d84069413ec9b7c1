/*
 * web-ws.c: WebSocket framing (RFC 6455) without I/O: a frame's header
 * read and checked (reserved bits, opcodes, control frames' limits, the
 * browser's mask, WEB_WS_FRAME_MAX), the order of a fragmented
 * message's frames, masking, a header written, and the handshake's
 * Sec-WebSocket-Accept.  web-proxy.c moves the bytes.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "web.h"

static const char web_ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static int
web_ws_control(int op)
{
	return op >= 0x8;
}

/*
 * The frame header at buf (len bytes there so far): 1 with *f filled,
 * 0 when more bytes are needed, -1 when the frame is refused, *code
 * saying with which close code.  Frames from a browser must be masked
 * (must_mask).
 */
int
web_ws_parse(const uint8_t *buf, size_t len, int must_mask,
    struct web_ws_frame *f, int *code)
{
	size_t		 need = 2, i;
	uint64_t	 plen;

	memset(f, 0, sizeof(*f));
	if (len < 2)
		return 0;
	f->wf_fin = (buf[0] & 0x80) != 0;
	f->wf_opcode = buf[0] & 0x0f;
	f->wf_masked = (buf[1] & 0x80) != 0;
	*code = WS_CLOSE_PROTOCOL;
	if (buf[0] & 0x70)
		return -1;		/* no extension was agreed */
	switch (f->wf_opcode) {
	case WS_OP_CONT:
	case WS_OP_TEXT:
	case WS_OP_BINARY:
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		break;
	default:
		return -1;
	}
	if (must_mask && !f->wf_masked)
		return -1;
	plen = buf[1] & 0x7f;
	if (web_ws_control(f->wf_opcode) && (!f->wf_fin || plen > 125))
		return -1;
	if (plen == 126)
		need += 2;
	else if (plen == 127)
		need += 8;
	if (f->wf_masked)
		need += 4;
	if (len < need)
		return 0;
	if (plen == 126) {
		plen = (uint64_t)buf[2] << 8 | buf[3];
		if (plen < 126)
			return -1;	/* not the shortest form */
		i = 4;
	} else if (plen == 127) {
		if (buf[2] & 0x80)
			return -1;
		for (plen = 0, i = 2; i < 10; i++)
			plen = plen << 8 | buf[i];
		if (plen <= 0xffff)
			return -1;
	} else
		i = 2;
	if (plen > WEB_WS_FRAME_MAX) {
		*code = WS_CLOSE_TOO_BIG;
		return -1;
	}
	if (f->wf_masked) {
		memcpy(f->wf_mask, buf + i, 4);
		i += 4;
	}
	f->wf_hdr = i;
	f->wf_len = plen;
	*code = 0;
	return 1;
}

/*
 * Check a data or control frame against the message in progress: a
 * continuation only inside a fragmented message, a new data frame only
 * outside one, the whole message WEB_WS_FRAME_MAX at most.  0, or -1
 * with *code.
 */
int
web_ws_sequence(struct web_ws_msg *m, const struct web_ws_frame *f,
    int *code)
{
	*code = WS_CLOSE_PROTOCOL;
	if (web_ws_control(f->wf_opcode))
		return 0;
	if (f->wf_opcode == WS_OP_CONT) {
		if (!m->wm_in)
			return -1;
	} else {
		if (m->wm_in)
			return -1;
		m->wm_opcode = f->wf_opcode;
		m->wm_len = 0;
	}
	m->wm_len += f->wf_len;
	if (m->wm_len > WEB_WS_FRAME_MAX) {
		*code = WS_CLOSE_TOO_BIG;
		return -1;
	}
	m->wm_in = !f->wf_fin;
	*code = 0;
	return 0;
}

/* Mask or unmask len bytes (the same operation), from the payload's start. */
void
web_ws_unmask(uint8_t *p, size_t len, const uint8_t *mask)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] ^= mask[i & 3];
}

/*
 * Write a frame's header to out (WS_HEADER_MAX bytes of room): the
 * server's frames go unmasked (mask NULL); a browser's carry a mask
 * (the unit tests play the browser).  Its length.
 */
size_t
web_ws_header(uint8_t *out, int opcode, int fin, uint64_t len,
    const uint8_t *mask)
{
	size_t	 i = 2;
	int	 b;

	out[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
	out[1] = mask != NULL ? 0x80 : 0;
	if (len < 126)
		out[1] |= len;
	else if (len <= 0xffff) {
		out[1] |= 126;
		out[2] = len >> 8;
		out[3] = len & 0xff;
		i = 4;
	} else {
		out[1] |= 127;
		for (b = 7; b >= 0; b--)
			out[i++] = (len >> (b * 8)) & 0xff;
	}
	if (mask != NULL) {
		memcpy(out + i, mask, 4);
		i += 4;
	}
	return i;
}

/*
 * Sec-WebSocket-Accept for a Sec-WebSocket-Key into out (WS_ACCEPT_LEN
 * + 1 bytes): -1 when the key is not 16 bytes in base64.
 */
int
web_ws_accept(const char *key, char *out)
{
	unsigned char	 raw[24], digest[SHA_DIGEST_LENGTH];
	char		 buf[64];
	size_t		 klen;

	if (key == NULL || (klen = strlen(key)) != 24 || key[22] != '=' ||
	    key[23] != '=' || strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/") != 22)
		return -1;
	if (EVP_DecodeBlock(raw, (const unsigned char *)key, 24) != 18)
		return -1;
	snprintf(buf, sizeof(buf), "%s%s", key, web_ws_guid);
	SHA1((const unsigned char *)buf, strlen(buf), digest);
	if (EVP_EncodeBlock((unsigned char *)out, digest, sizeof(digest)) !=
	    WS_ACCEPT_LEN)
		return -1;
	return 0;
}
