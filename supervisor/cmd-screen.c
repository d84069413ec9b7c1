/*
 * cmd-screen.c: the guest's screen and keyboard.  "send-key" reads the
 * combinations a request names ("ctrl-alt-delete", "a", "ret": QEMU's
 * key names, those of one combination pressed together, joined by '-'),
 * checks their shape and their number, and hands them to vm.c, which
 * types them on the guest's keyboard in order; qemu says which names it
 * does not know, and that comes back as a bad request.  "screenshot"
 * answers with vm-screen.c's PNG: its size in the reply, the open file
 * attached to it (SCM_RIGHTS), as "console" hands on a socket; over TLS,
 * where no descriptor travels, the bytes themselves, in base64.
 * "screen-connect" hands on the screen itself, a connection to qemu's
 * VNC server (vnc.c), for the web panel.
 */
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "proto.h"

#define SCREEN_INLINE_MAX	(2 << 20)	/* bytes of PNG sent inline */

#define KEYS_COMBOS_MAX	64	/* combinations in one request */
#define KEYS_PER_COMBO	8	/* keys pressed together */
#define KEY_NAME_MAX	24	/* QEMU's longest is 16 */

/* One QEMU key name: lower-case letters, digits, '_'. */
static int
key_name_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > KEY_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* "ctrl-alt-delete" as ["ctrl", "alt", "delete"], or NULL and why. */
static json_t *
keys_combo(const char *combo, char **cause)
{
	json_t		*keys = json_array();
	const char	*p = combo, *end;
	size_t		 len;

	for (;;) {
		end = strchr(p, '-');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (!key_name_ok(p, len)) {
			cause_fail(cause, "bad key combination \"%.64s\": "
			    "QEMU's key names (a, ret, ctrl, alt, delete, f1, "
			    "...), those pressed together joined by '-'", combo);
			json_decref(keys);
			return NULL;
		}
		json_array_append_new(keys, json_stringn(p, len));
		if (json_array_size(keys) > KEYS_PER_COMBO) {
			cause_fail(cause, "\"%.64s\": at most %d keys are "
			    "pressed together", combo, KEYS_PER_COMBO);
			json_decref(keys);
			return NULL;
		}
		if (end == NULL)
			return keys;
		p = end + 1;
	}
}

void
cmd_send_key(struct request *rq, json_t *args, struct vm *vm)
{
	json_t	*keys = json_object_get(args, "keys"), *combos, *c, *k;
	size_t	 i;
	char	*cause;

	if (!json_is_array(keys) || json_array_size(keys) == 0 ||
	    json_array_size(keys) > KEYS_COMBOS_MAX) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "keys: a list of "
		    "1 to %d key combinations", KEYS_COMBOS_MAX);
		return;
	}
	combos = json_array();
	json_array_foreach(keys, i, c) {
		if (!json_is_string(c)) {
			json_decref(combos);
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "keys: "
			    "each key combination is a string");
			return;
		}
		if ((k = keys_combo(json_string_value(c), &cause)) == NULL) {
			json_decref(combos);
			request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
			return;
		}
		json_array_append_new(combos, k);
	}
	vm_send_keys(vm, &rq->rq_caller, combos, request_vm_done, rq);
	json_decref(combos);
}

/*
 * The picture in the reply, for a client no descriptor reaches.  The
 * file is a small one qemu has just written (vm-screen.c): it is read
 * from the page cache, the loop does not wait on a disk.
 */
static void
cmd_screenshot_inline(struct request *rq, json_t *res, int fd)
{
	struct stat	 sb;
	char		*buf, *b64;
	ssize_t		 n;
	size_t		 got = 0;

	if (fstat(fd, &sb) == -1 || sb.st_size <= 0 ||
	    sb.st_size > SCREEN_INLINE_MAX) {
		json_decref(res);
		request_error(rq, PROTO_ERR_FAILED, "the screenshot is larger "
		    "than the %d MiB a reply over TLS may carry",
		    SCREEN_INLINE_MAX >> 20);
		return;
	}
	if ((buf = malloc(sb.st_size)) == NULL) {
		json_decref(res);
		request_error(rq, PROTO_ERR_INTERNAL, "out of memory");
		return;
	}
	while (got < (size_t)sb.st_size && (n = pread(fd, buf + got,
	    sb.st_size - got, got)) > 0)
		got += n;
	if (got != (size_t)sb.st_size || (b64 = proto_b64_encode(buf,
	    got)) == NULL) {
		free(buf);
		json_decref(res);
		request_error(rq, PROTO_ERR_INTERNAL, "cannot read the "
		    "screenshot");
		return;
	}
	free(buf);
	json_object_set_new(res, "png", json_string(b64));
	free(b64);
	request_ok(rq, res);
}

static void
cmd_screenshot_done(void *arg, enum fws_err err, const char *why,
    json_t *res)
{
	struct request	*rq = arg;
	int		 fd;

	if (err != FWS_OK) {
		request_done(rq, err, why, res);
		return;
	}
	fd = (int)json_integer_value(json_object_get(res, "fd"));
	json_object_del(res, "fd");
	if (!control_passes_fds(rq->rq_client)) {
		cmd_screenshot_inline(rq, res, fd);
		close(fd);
		return;
	}
	request_ok_fd(rq, res, fd, "screenshot");
	close(fd);
}

void
cmd_screenshot(struct request *rq, json_t *args, struct vm *vm)
{
	(void)args;
	vm_screenshot(vm, cmd_screenshot_done, rq);
}

static void
cmd_screen_connected(void *arg, enum fws_err err, const char *why,
    json_t *res)
{
	struct request	*rq = arg;
	int		 fd;

	if (err != FWS_OK) {
		request_done(rq, err, why, res);
		return;
	}
	fd = (int)json_integer_value(json_object_get(res, "fd"));
	json_object_del(res, "fd");
	request_ok_fd(rq, res, fd, "screen");
	close(fd);
}

/*
 * screen-connect NAME: the VM's screen, a connection speaking RFB
 * without a password, handed over the UNIX socket as console's is.
 */
void
cmd_screen_connect(struct request *rq, json_t *args, struct vm *vm)
{
	char	*cause;

	(void)args;
	if (!control_passes_fds(rq->rq_client)) {
		request_error(rq, PROTO_ERR_FAILED, "the screen is a connection "
		    "handed over the UNIX socket (SCM_RIGHTS): it cannot travel "
		    "over TLS; use vnc");
		return;
	}
	if (vm_may_look(vm, LOOK_SCREEN, &cause) == -1) {
		request_cause(rq, PROTO_ERR_BAD_STATE, cause);
		return;
	}
	vnc_connect(vm, cmd_screen_connected, rq);
}
