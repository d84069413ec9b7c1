/*
 * fuzz_qmp_frame.c: qmp-frame.c, the cutting of QEMU's byte stream into
 * lines, against a model kept here: the stream goes in pieces of sizes
 * the input chooses, messages are taken out between pieces, and each
 * must be the model's next line (its CR/LF gone, empty lines skipped).
 * A piece must be refused exactly when it makes a line outgrow the cap,
 * and then change nothing.  JSON is no concern of the frame, nor of this.
 *
 * Input: byte 0 the cap (0: the default), byte 1 the seed of the piece
 * sizes and of when messages are taken, the rest the stream.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "qmp.h"

/* What the frame must hold: the bytes fed and not yet taken. */
struct model {
	char	*m_buf;
	size_t	 m_len;
	size_t	 m_max;
};

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Does a line of len bytes ending in lastc (LF not counted) break the cap? */
static int
model_toolong(const struct model *m, size_t len, char lastc)
{
	if (len <= m->m_max)
		return 0;
	return !(len == m->m_max + 1 && lastc == '\r');
}

/* Would the model, with data appended, hold a line over the cap? */
static int
model_refuses(const struct model *m, const char *data, size_t len)
{
	char	*all;
	size_t	 i, start = 0;
	int	 bad = 0;

	if ((all = malloc(m->m_len + len + 1)) == NULL)
		abort();
	memcpy(all, m->m_buf, m->m_len);
	memcpy(all + m->m_len, data, len);
	for (i = 0; i <= m->m_len + len && !bad; i++) {
		if (i < m->m_len + len && all[i] != '\n')
			continue;
		/* a line, or the partial line at the end */
		if (i > start)
			bad = model_toolong(m, i - start, all[i - 1]);
		start = i + 1;
	}
	free(all);
	return bad;
}

static void
model_append(struct model *m, const char *data, size_t len)
{
	if ((m->m_buf = realloc(m->m_buf, m->m_len + len + 1)) == NULL)
		abort();
	memcpy(m->m_buf + m->m_len, data, len);
	m->m_len += len;
}

/* The next message the frame must give, or none (-1). */
static ssize_t
model_next(struct model *m, char **msg)
{
	char	*nl;
	size_t	 used, len;

	while ((nl = memchr(m->m_buf, '\n', m->m_len)) != NULL) {
		used = nl - m->m_buf + 1;
		len = used - 1;
		if (len > 0 && m->m_buf[len - 1] == '\r')
			len--;
		*msg = NULL;
		if (len > 0) {
			if ((*msg = malloc(len)) == NULL)
				abort();
			memcpy(*msg, m->m_buf, len);
		}
		m->m_len -= used;
		memmove(m->m_buf, m->m_buf + used, m->m_len);
		if (len > 0)
			return len;
	}
	return -1;
}

/* Take one message from the frame; it must be the model's. */
static int
take(struct qmp_frame *f, struct model *m)
{
	char	*msg = NULL, *want = NULL;
	size_t	 len = (size_t)-1;
	ssize_t	 wlen;
	int	 rv;

	rv = qmp_frame_next(f, &msg, &len);
	wlen = model_next(m, &want);
	FUZZ_ASSERT(rv == 0 || rv == 1);
	if (wlen == -1) {
		FUZZ_ASSERT(rv == 0);
		return 0;
	}
	FUZZ_ASSERT(rv == 1);
	FUZZ_ASSERT(len == (size_t)wlen);
	FUZZ_ASSERT(len > 0 && len <= m->m_max);
	FUZZ_ASSERT(memcmp(msg, want, len) == 0);
	FUZZ_ASSERT(msg[len] == '\0');
	FUZZ_ASSERT(memchr(msg, '\n', len) == NULL);
	free(msg);
	free(want);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp_frame	 f;
	struct model		 m;
	const char		*p, *end;
	size_t			 n, before;
	uint32_t		 seed;
	int			 rv, refuses;

	if (size < 2)
		return 0;
	qmp_frame_init(&f, data[0]);
	memset(&m, 0, sizeof(m));
	if ((m.m_buf = malloc(1)) == NULL)
		abort();
	m.m_max = f.qf_max;
	FUZZ_ASSERT(m.m_max == (data[0] ? data[0] : QMP_MAX_MSG_DEFAULT));
	seed = 0x9e3779b9u ^ data[1];
	p = (const char *)data + 2;
	end = (const char *)data + size;
	while (p < end) {
		/* pieces of 0 to 64 bytes, a whole line at times */
		n = next_rand(&seed) % 65;
		if (n > (size_t)(end - p))
			n = end - p;
		before = f.qf_len;
		refuses = model_refuses(&m, p, n);
		errno = 0;
		rv = qmp_frame_feed(&f, p, n);
		if (refuses) {
			FUZZ_ASSERT(rv == -1 && errno == EMSGSIZE);
			FUZZ_ASSERT(f.qf_len == before);
			break;	/* qmp.c drops the connection */
		}
		FUZZ_ASSERT(rv == 0);
		model_append(&m, p, n);
		FUZZ_ASSERT(f.qf_len == m.m_len);
		p += n;
		/* take none, one or all that are there */
		switch (next_rand(&seed) % 3) {
		case 0:
			break;
		case 1:
			take(&f, &m);
			break;
		default:
			while (take(&f, &m))
				;
		}
		FUZZ_ASSERT(f.qf_len == m.m_len);
	}
	while (take(&f, &m))
		;
	FUZZ_ASSERT(f.qf_len == m.m_len);
	FUZZ_ASSERT(memchr(m.m_buf, '\n', m.m_len) == NULL);
	qmp_frame_clear(&f);
	free(m.m_buf);
	return 0;
}
