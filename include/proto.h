/*
 * proto.h: the control protocol between fwsctl (or any script) and fwsd.
 *
 * A UNIX stream socket, RUN_DIR/fwsd.sock, carrying newline-delimited
 * JSON, one object per line, shaped like QMP:
 *
 *   request  {"id":N,"cmd":"start","args":{"name":"web1"}}
 *   reply    {"id":N,"ok":true,"result":...}
 *            {"id":N,"ok":false,"error":{"code":"not_found","message":"..."}}
 *
 * "id" is echoed as sent (any JSON scalar; null when the request had
 * none or could not be parsed).  "args" may be omitted when a command
 * takes none; unknown argument names are refused.  Requests on one
 * connection may be pipelined; replies to slow commands (start, stop)
 * may come back after replies to later requests, matched by id.
 *
 * After its reply, an "events" request with "follow":true keeps the
 * connection and sends one line per lifecycle event as it happens:
 *
 *   event    {"id":N,"event":{"seq":S,"time":T,"vm":"web1","owner":U,
 *                             "event":"crashed","reason":"...",
 *                             "actor":A}}
 *
 * "actor" is the uid that asked for what the event tells, null when
 * nobody did (a crash, fwsd's own restart).  Messages name another
 * user's VM "web (uid 1001)": fwsd looks up no user names.
 *
 * A long job (image-import, clone) sends its progress before its reply:
 *
 *   progress {"id":N,"progress":{"percent":P,"step":"reading"}}
 *
 * The "console" command's successful reply carries, as SCM_RIGHTS
 * ancillary data on the reply's first byte, a connected socket to the
 * VM's serial port; "screenshot"'s a file open for reading, the PNG.
 *
 * fwsd knows the caller by the socket's peer credentials: a user sees
 * and acts on their own VMs only (another user's VM is "not_found"),
 * an admin (root, or the admin group) on all, naming another owner with
 * "owner":UID where a name alone is ambiguous.
 *
 * The web front-end (fwsd.conf's web_user, on the UNIX socket alone)
 * names the user it acts for in the envelope, and the request is then
 * that user's, as if they had sent it themselves:
 *
 *   request  {"id":N,"cmd":"list","as":1001,"args":{}}
 *
 * Bump PROTO_VERSION whenever the wire format changes incompatibly.
 */
#ifndef FWS_PROTO_H
#define FWS_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define PROTO_VERSION		1
#define PROTO_MAX_LINE		(64 * 1024)	/* one request, bytes */

/* Stable error codes: scripts match on these strings. */
enum proto_err {
	PROTO_ERR_INVALID_ARGUMENT,	/* malformed request, bad value */
	PROTO_ERR_UNKNOWN_COMMAND,	/* no such "cmd" */
	PROTO_ERR_NOT_FOUND,		/* no such VM */
	PROTO_ERR_EXISTS,		/* name (or file) already taken */
	PROTO_ERR_BUSY,			/* another operation is under way */
	PROTO_ERR_BAD_STATE,		/* not possible in the VM's state */
	PROTO_ERR_FAILED,		/* qemu or qemu-img refused; message says why */
	PROTO_ERR_INTERNAL,		/* a bug or a host failure (disk, store) */
	PROTO_ERR_PERMISSION,		/* an admin's verb, or another's area */
	PROTO_ERR_QUOTA,		/* over a user's limit; message says which */
	PROTO_ERR_LOGGED_OUT,		/* "as" a user who has not logged in with
					   fwsd since it started */
};

/*
 * Every command, once, kept sorted: its "cmd" on the wire, which is the
 * fwsctl verb of the same name.  fwsd's command table (cmd.c) and
 * fwsctl's verb table (fwsctl.c) are arrays indexed by enum proto_cmd;
 * t-verbs.sh checks that both serve every command, and that the bash
 * completion and fwsctl(1) name each and no other.
 *
 * PROTO_SLOW: the reply may take seconds (a VM boots or powers off, a
 * snapshot or an import runs): fwsctl says on a terminal what it waits
 * for.  PROTO_INTERNAL: one fwsd asks another (a migration's steps,
 * migrate-in.c): no fwsctl verb, not in --verbs, the help, the manual
 * or the completion; admins only.  PROTO_WEB: the web front-end's own
 * (web.c): no fwsctl verb either, nor in --verbs, the help, the manual
 * or the completion.
 */
#define PROTO_SLOW		0x01
#define PROTO_INTERNAL		0x02
#define PROTO_WEB		0x04
#define PROTO_NO_VERB		(PROTO_INTERNAL | PROTO_WEB)

#define PROTO_CMDS(X)							\
	X(AUTOSTART,		"autostart",		0)		\
	X(CLONE,		"clone",		PROTO_SLOW)	\
	X(CONSOLE,		"console",		0)		\
	X(CREATE,		"create",		PROTO_SLOW)	\
	X(DEFINE,		"define",		PROTO_SLOW)	\
	X(DELETE,		"delete",		0)		\
	X(DESTROY,		"destroy",		0)		\
	X(DISK_ADD,		"disk-add",		PROTO_SLOW)	\
	X(DISK_REMOVE,		"disk-remove",		PROTO_SLOW)	\
	X(DISK_RESIZE,		"disk-resize",		PROTO_SLOW)	\
	X(DISPLAY,		"display",		0)		\
	X(DUMP,			"dump",			0)		\
	X(EMULATOR_PIN,		"emulator-pin",		0)		\
	X(EVENTS,		"events",		0)		\
	X(IMAGE_ACCEPT,		"image-accept",		0)		\
	X(IMAGE_CHECK,		"image-check",		PROTO_SLOW)	\
	X(IMAGE_DELETE,		"image-delete",		0)		\
	X(IMAGE_IMPORT,		"image-import",		PROTO_SLOW)	\
	X(IMAGE_LIST,		"image-list",		0)		\
	X(INFO,			"info",			0)		\
	X(LIST,			"list",			0)		\
	X(LOAN,			"loan",			0)		\
	X(LOANS,		"loans",		0)		\
	X(MEDIA,		"media",		PROTO_SLOW)	\
	X(MIGRATE,		"migrate",		PROTO_SLOW)	\
	X(MIGRATE_ABORT,	"migrate-abort",	PROTO_INTERNAL)	\
	X(MIGRATE_FINISH,	"migrate-finish",	PROTO_INTERNAL)	\
	X(MIGRATE_INCOMING,	"migrate-incoming",	PROTO_INTERNAL)	\
	X(NET_CREATE,		"net-create",		0)		\
	X(NET_DELETE,		"net-delete",		0)		\
	X(NET_INFO,		"net-info",		0)		\
	X(NET_LEASES,		"net-leases",		0)		\
	X(NET_LIST,		"net-list",		0)		\
	X(NET_OPEN,		"net-open",		0)		\
	X(NET_PUBLIC,		"net-public",		0)		\
	X(NET_START,		"net-start",		0)		\
	X(NET_STOP,		"net-stop",		0)		\
	X(NIC_ADD,		"nic-add",		PROTO_SLOW)	\
	X(NIC_REMOVE,		"nic-remove",		PROTO_SLOW)	\
	X(PAUSE,		"pause",		0)		\
	X(QUOTA,		"quota",		0)		\
	X(QUOTA_SET,		"quota-set",		0)		\
	X(REBOOT,		"reboot",		0)		\
	X(RENAME,		"rename",		0)		\
	X(RESUME,		"resume",		0)		\
	X(SAVE,			"save",			PROTO_SLOW)	\
	X(SCREEN_CONNECT,	"screen-connect",	PROTO_WEB)	\
	X(SCREENSHOT,		"screenshot",		0)		\
	X(SEND_KEY,		"send-key",		0)		\
	X(SET,			"set",			0)		\
	X(SHUTDOWN_ALL,		"shutdown-all",		PROTO_SLOW)	\
	X(SNAPSHOT_CREATE,	"snapshot-create",	PROTO_SLOW)	\
	X(SNAPSHOT_DELETE,	"snapshot-delete",	PROTO_SLOW)	\
	X(SNAPSHOT_LIST,	"snapshot-list",	PROTO_SLOW)	\
	X(SNAPSHOT_REVERT,	"snapshot-revert",	PROTO_SLOW)	\
	X(START,		"start",		PROTO_SLOW)	\
	X(STATS,		"stats",		0)		\
	X(STOP,			"stop",			PROTO_SLOW)	\
	X(TEMPLATES,		"templates",		0)		\
	X(VCPU_INFO,		"vcpu-info",		0)		\
	X(VCPU_PIN,		"vcpu-pin",		0)		\
	X(VERSION,		"version",		0)		\
	X(VNC,			"vnc",			0)		\
	X(WEB_AUTH,		"web-auth",		PROTO_WEB)	\
	X(WEB_LOGIN,		"web-login",		0)		\
	X(WEB_REDEEM,		"web-redeem",		PROTO_WEB)

enum proto_cmd {
#define PROTO_CMD_ENUM(id, name, flags)	PROTO_CMD_##id,
	PROTO_CMDS(PROTO_CMD_ENUM)
#undef PROTO_CMD_ENUM
	PROTO_NCMDS
};

struct proto_cmd_info {
	const char	*pc_name;
	int		 pc_flags;	/* PROTO_SLOW, PROTO_INTERNAL,
					   PROTO_WEB */
};

/* A parsed request; everything points into pr_root. */
struct proto_request {
	json_t		*pr_root;
	json_t		*pr_id;		/* borrowed; JSON null if absent */
	const char	*pr_cmd;
	json_t		*pr_args;	/* borrowed; an object, maybe empty */
	int64_t		 pr_as;		/* "as": a uid; -1: absent */
};

/* proto.c */
extern const struct proto_cmd_info proto_cmds[PROTO_NCMDS];
int		 proto_cmd_find(const char *);
const char	*proto_err_code(enum proto_err);
int		 proto_request_parse(const char *, size_t,
		    struct proto_request *, char **);
void		 proto_request_clear(struct proto_request *);
json_t		*proto_request_new(json_int_t, const char *, json_t *);
json_t		*proto_reply_ok(json_t *, json_t *);
json_t		*proto_reply_error(json_t *, enum proto_err, const char *);
char		*proto_encode(json_t *, size_t *);
int		 proto_reply_parse(const char *, size_t, json_t **, char **);
int		 proto_args_allowed(json_t *, const char *const *, char **);
int		 proto_arg_string(json_t *, const char *, int, const char **,
		    char **);
int		 proto_arg_uint(json_t *, const char *, int, uint64_t,
		    uint64_t, uint64_t *, char **);
int		 proto_arg_bool(json_t *, const char *, int *, char **);
int		 proto_arg_cpus(json_t *, const char *, int64_t *, char **);
char		*proto_b64_encode(const void *, size_t);
void		*proto_b64_decode(const char *, size_t *);

#endif
