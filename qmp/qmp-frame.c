/*
 * qmp-frame.c: cutting a QMP byte stream into messages.  QEMU ends every
 * JSON object it sends with "\r\n"; this buffers bytes, yields complete
 * lines and enforces the cap on one message.  No I/O and no JSON here.
 */
#include <stdlib.h>
#include <string.h>

#include "qmp.h"

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
	memset(f, 0, sizeof(*f));
}

/*
 * Append bytes.  -1 when the buffered data holds a message (complete or
 * not) longer than the cap: the stream cannot be trusted any more.
 */
int
qmp_frame_feed(struct qmp_frame *f, const void *data, size_t len)
{
	size_t	 cap, start, i;
	char	*nb;

	if (len == 0)
		return 0;
	if (f->qf_len + len + 1 > f->qf_cap) {
		cap = f->qf_cap ? f->qf_cap : 4096;
		while (cap < f->qf_len + len + 1)
			cap *= 2;
		if ((nb = realloc(f->qf_buf, cap)) == NULL)
			return -1;
		f->qf_buf = nb;
		f->qf_cap = cap;
	}
	memcpy(f->qf_buf + f->qf_len, data, len);
	f->qf_len += len;
	/* every line buffered, and the partial one at the end, within the cap */
	for (start = 0, i = 0; i < f->qf_len; i++) {
		if (f->qf_buf[i] == '\n') {
			if (i - start > f->qf_max + 1)	/* + the CR */
				return -1;
			start = i + 1;
		}
	}
	if (f->qf_len - start > f->qf_max)
		return -1;
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
		len = nl - f->qf_buf;
		if (len > 0 && f->qf_buf[len - 1] == '\r')
			len--;
		if (len > 0) {
			if ((*msg = malloc(len + 1)) == NULL)
				return 0;
			memcpy(*msg, f->qf_buf, len);
			(*msg)[len] = '\0';
			if (lenp != NULL)
				*lenp = len;
		}
		memmove(f->qf_buf, f->qf_buf + used, f->qf_len - used);
		f->qf_len -= used;
		if (len > 0)
			return 1;
	}
}
