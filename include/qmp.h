/*
 * qmp.h: the asynchronous QMP client library (qmp/).
 *
 * A struct qmp owns one connected stream socket to a QEMU monitor.  It
 * waits for the greeting, negotiates capabilities, then runs commands,
 * each with a unique id, a timeout and a callback, and hands events to
 * an event handler; a command may carry a descriptor.  Nothing here
 * blocks and nothing here knows about VMs: the caller decides what a
 * reply or an event means.
 */
#ifndef FWS_QMP_H
#define FWS_QMP_H

#include <stddef.h>
#include <jansson.h>

struct event_base;
struct qmp;

/* Error classes the library makes up itself (QEMU's own pass through). */
#define QMP_ERR_DISCONNECTED	"Disconnected"
#define QMP_ERR_TIMEOUT		"Timeout"

#define QMP_MAX_MSG_DEFAULT	(1024 * 1024)

/*
 * Called exactly once per qmp_execute(), never from inside qmp_execute().
 * On success ret is the "return" value (borrowed) and err_class is NULL.
 * On failure ret is NULL and err_class/err_desc say why: QEMU's error
 * class and description verbatim, or QMP_ERR_TIMEOUT/QMP_ERR_DISCONNECTED.
 */
typedef void (*qmp_reply_fn)(struct qmp *, json_t *ret,
    const char *err_class, const char *err_desc, void *arg);

struct qmp_handlers {
	/* capabilities negotiated: commands may be sent (they may be queued before) */
	void	(*qh_ready)(struct qmp *, void *arg);
	/* an asynchronous event; data may be NULL; both borrowed */
	void	(*qh_event)(struct qmp *, const char *name, json_t *data,
		    void *arg);
	/*
	 * The connection is gone (EOF, error, oversized or malformed message).
	 * Every pending command has already been failed with
	 * QMP_ERR_DISCONNECTED.  The struct stays allocated until qmp_free().
	 */
	void	(*qh_closed)(struct qmp *, const char *cause, void *arg);
};

/*
 * Take ownership of the connected socket fd (it is made non-blocking)
 * and start the handshake.  max_msg caps one message (0: default).
 * Returns NULL with errno set on failure (fd is then closed).
 */
struct qmp	*qmp_open(struct event_base *, int fd, const struct qmp_handlers *,
		    void *arg, size_t max_msg);
/*
 * Queue a command.  args is stolen (may be NULL).  timeout_ms <= 0 means
 * no timeout.  Returns 0, or -1 when the connection is already closed
 * (the callback is then not called and args is released).  Commands
 * issued before the handshake completes are sent after it, in order.
 */
int		 qmp_execute(struct qmp *, const char *cmd, json_t *args,
		    int timeout_ms, qmp_reply_fn, void *arg);
/*
 * qmp_execute, with a descriptor passed along (SCM_RIGHTS), as QEMU's
 * getfd and add-fd take one.  The library sends a copy of fd: the
 * caller keeps (and closes) its own.  The command waits until every
 * command before it is answered, and holds back every command after it
 * until it is answered itself, so that no other command can take the
 * descriptor.  It is sent from the event loop, never from inside this
 * call.  Returns 0, or -1 as qmp_execute does (EBADF: fd < 0).
 */
int		 qmp_execute_fd(struct qmp *, const char *cmd, json_t *args,
		    int fd, int timeout_ms, qmp_reply_fn, void *arg);
/* Is the handshake done and the connection still up? */
int		 qmp_is_ready(const struct qmp *);
/*
 * The peer was killed: let go of the socket now, so that its end wakes
 * nobody.  The connection counts as closed (qmp_execute refuses, and
 * qh_closed is not called); what is pending stays so until its timeout,
 * or until qmp_free fails it with QMP_ERR_DISCONNECTED.
 */
void		 qmp_peer_killed(struct qmp *);
/*
 * Close and free.  Pending commands are failed with QMP_ERR_DISCONNECTED
 * first (qh_closed is not called).  Safe to call from inside any of the
 * library's callbacks for this same struct qmp.
 */
void		 qmp_free(struct qmp *);

/* qmp-frame.c: splitting a byte stream into messages, no I/O */
struct qmp_frame {
	char	*qf_buf;
	size_t	 qf_len;
	size_t	 qf_cap;
	size_t	 qf_max;
};
void	 qmp_frame_init(struct qmp_frame *, size_t max_msg);
void	 qmp_frame_clear(struct qmp_frame *);
/* Append bytes; -1 when the pending partial message exceeds the cap. */
int	 qmp_frame_feed(struct qmp_frame *, const void *, size_t);
/*
 * Take the next complete message (one line, without its CR/LF, empty lines
 * skipped) into *msg (malloc'd, NUL terminated) and return 1; 0 when no
 * complete message is buffered.
 */
int	 qmp_frame_next(struct qmp_frame *, char **msg, size_t *len);

#endif
