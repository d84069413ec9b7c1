/*
 * qmp-frame.c: cutting a QMP byte stream into messages.  QEMU ends every
 * JSON object it sends with "\r\n", so a message is one line.  This owns
 * the buffering, the line splitting and the cap on one message; it does
 * no I/O and knows nothing of JSON, which is qmp.c's business.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"

/* Keep a buffer this big across messages; give back anything larger. */
#define QMP_FRAME_KEEP	(64 * 1024)

void
qmp_frame_init(struct qmp_frame *f, size_t max_msg)
{
	memset(f, 0, sizeof(*f));
	f->qf_max = max_msg ? max_msg : QMP_MAX_MSG_DEFAULT;
}

void
qmp_frame_clear(struct qmp_frame *f)
{
	free(f->qf_buf);
	f->qf_buf = NULL;
	f->qf_len = f->qf_cap = 0;
}

/*
 * Is a line of len bytes, ending in lastc (its LF not counted), too long?
 * The CR before the LF is no part of the message, so a line may be one
 * byte over the cap when that byte is the CR.  The same test holds for a
 * partial line: its CR may be in, its LF still to come.
 */
static int
qmp_frame_toolong(const struct qmp_frame *f, size_t len, char lastc)
{
	return len > f->qf_max && (len > f->qf_max + 1 || lastc != '\r');
}

/*
 * Every line already buffered was checked by an earlier call, so only
 * the partial line at the end and the new bytes need looking at.  The
 * check comes before the copy, so a flood never grows the buffer.
 */
int
qmp_frame_feed(struct qmp_frame *f, const void *data, size_t len)
{
	const char	*p, *end, *nl, *last;
	size_t		 cur, need, cap;
	char		*nb, lastc;

	if (len == 0)
		return 0;
	/* the partial line: its length and last byte */
	last = f->qf_len ? memrchr(f->qf_buf, '\n', f->qf_len) : NULL;
	cur = last ? f->qf_len - (last - f->qf_buf) - 1 : f->qf_len;
	lastc = cur ? f->qf_buf[f->qf_len - 1] : '\0';

	for (p = data, end = p + len;; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		if (nl > p)
			lastc = nl[-1];
		cur += nl - p;
		if (qmp_frame_toolong(f, cur, lastc)) {
			errno = EMSGSIZE;
			return -1;
		}
		if (nl == end)
			break;
		cur = 0;
		lastc = '\0';
	}

	need = f->qf_len + len;
	if (need > f->qf_cap) {
		cap = f->qf_cap ? f->qf_cap : 4096;
		while (cap < need)
			cap *= 2;
		if ((nb = realloc(f->qf_buf, cap)) == NULL)
			return -1;
		f->qf_buf = nb;
		f->qf_cap = cap;
	}
	memcpy(f->qf_buf + f->qf_len, data, len);
	f->qf_len += len;
	return 0;
}

int
qmp_frame_next(struct qmp_frame *f, char **msg, size_t *lenp)
{
	char	*nl;
	size_t	 len, used;

	for (;;) {
		if (f->qf_len == 0 ||
		    (nl = memchr(f->qf_buf, '\n', f->qf_len)) == NULL)
			return 0;
		used = nl - f->qf_buf + 1;
		len = used - 1;
		if (len > 0 && f->qf_buf[len - 1] == '\r')
			len--;
		if (len > 0) {
			if ((*msg = malloc(len + 1)) == NULL)
				return -1;
			memcpy(*msg, f->qf_buf, len);
			(*msg)[len] = '\0';
			if (lenp != NULL)
				*lenp = len;
		}
		f->qf_len -= used;
		memmove(f->qf_buf, f->qf_buf + used, f->qf_len);
		if (f->qf_len == 0 && f->qf_cap > QMP_FRAME_KEEP)
			qmp_frame_clear(f);
		if (len > 0)
			return 1;
	}
}
