/*
 * fwsctl.c: the command-line client.  One table of verbs drives option
 * parsing, dispatch and usage; each verb turns its arguments into one
 * control request (proto.c), and prints the reply as a table or
 * sentence, or as JSON with --json.  Exit status: 0 done, 1 refused or
 * unreachable, 2 usage error.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fws.h"
#include "fwsctl.h"
#include "proto.h"

#define MAX_OPTS	32

struct ctx {
	const struct verb *c_verb;
	const char	*c_name;		/* the positional VM name */
	const char	*c_opt[MAX_OPTS];	/* option names, in order */
	const char	*c_val[MAX_OPTS];
	int		 c_nopts;
	int		 c_json;
};

struct verb {
	const char	*v_name;
	int		(*v_fn)(struct ctx *);
	int		 v_needs_name;
	const char	*v_opts;	/* "timeout= keep-disks": '=' takes a value */
	const char	*v_usage;
	const char	*v_help;
};

static int	verb_create(struct ctx *);
static int	verb_simple(struct ctx *);
static int	verb_stop(struct ctx *);
static int	verb_delete(struct ctx *);
static int	verb_list(struct ctx *);
static int	verb_info(struct ctx *);
static int	verb_console(struct ctx *);
static int	verb_version(struct ctx *);

static const struct verb verbs[] = {
	{ "console", verb_console, 1, "", "NAME",
	    "attach to the serial console (leave with Ctrl-])" },
	{ "create", verb_create, 1,
	    "vcpus= memory= disk= iso= kernel= initrd= append= mac= restart=",
	    "NAME [--vcpus N] [--memory MiB|SIZE] [--disk SIZE|PATH[,format=F]]"
	    "...\n\t[--iso PATH] [--kernel PATH [--initrd PATH] "
	    "[--append CMDLINE]]\n\t[--mac MAC] [--restart "
	    "on-failure|always|never]",
	    "define a VM; --disk SIZE makes a new qcow2 disk" },
	{ "delete", verb_delete, 1, "keep-disks", "NAME [--keep-disks]",
	    "delete a stopped VM and the disks fwsd made for it" },
	{ "destroy", verb_simple, 1, "", "NAME",
	    "stop a VM at once (kill its qemu)" },
	{ "info", verb_info, 1, "json", "NAME [--json]",
	    "show a VM's definition and state" },
	{ "list", verb_list, 0, "json", "[--json]", "list VMs" },
	{ "pause", verb_simple, 1, "", "NAME", "pause a running VM" },
	{ "reboot", verb_simple, 1, "", "NAME", "reset a VM" },
	{ "resume", verb_simple, 1, "", "NAME", "resume a paused VM" },
	{ "start", verb_simple, 1, "", "NAME",
	    "start a VM; returns once it runs" },
	{ "stop", verb_stop, 1, "timeout=", "NAME [--timeout SECONDS]",
	    "ask the guest to power off (ACPI), then quit, then kill" },
	{ "version", verb_version, 0, "json", "[--json]",
	    "show fwsctl's and fwsd's versions" },
};

static const char	*socket_path;

static void __attribute__((noreturn))
usage(const struct verb *only)
{
	size_t	 i;

	if (only != NULL) {
		fprintf(stderr, "usage: fwsctl %s %s\n", only->v_name,
		    only->v_usage);
		exit(2);
	}
	fprintf(stderr, "usage: fwsctl [--socket PATH] [--json] VERB ...\n\n");
	for (i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		fprintf(stderr, "  %-8s %s\n           %s\n", verbs[i].v_name,
		    verbs[i].v_usage, verbs[i].v_help);
	fprintf(stderr, "\nThe socket is $FWS_SOCKET, or %s/%s.\n",
	    FWS_RUN_DIR_DEFAULT, FWS_SOCKET_NAME);
	exit(2);
}

void
fwsctl_errx(int code, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "fwsctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(code);
}

static const char *
opt_get(struct ctx *c, const char *name)
{
	int	 i;

	for (i = c->c_nopts - 1; i >= 0; i--)
		if (strcmp(c->c_opt[i], name) == 0)
			return c->c_val[i];
	return NULL;
}

/* Does the verb take --name, and with a value? 0 no, 1 flag, 2 value. */
static int
opt_kind(const struct verb *v, const char *name)
{
	const char	*p = v->v_opts;
	size_t		 len = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == v->v_opts || p[-1] == ' ') &&
		    (p[len] == '\0' || p[len] == ' '))
			return 1;
		if ((p == v->v_opts || p[-1] == ' ') && p[len] == '=')
			return 2;
		p += len;
	}
	return 0;
}

static void
parse(struct ctx *c, int argc, char **argv)
{
	const struct verb	*v = c->c_verb;
	char			*name, *eq;
	int			 i, kind;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			usage(v);
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			if (!v->v_needs_name || c->c_name != NULL)
				usage(v);
			c->c_name = argv[i];
			continue;
		}
		name = argv[i] + 2;
		if (strcmp(name, "json") == 0) {
			c->c_json = 1;
			continue;
		}
		if ((eq = strchr(name, '=')) != NULL)
			*eq = '\0';
		if ((kind = opt_kind(v, name)) == 0) {
			fprintf(stderr, "fwsctl %s: unknown option --%s\n",
			    v->v_name, name);
			usage(v);
		}
		if (c->c_nopts == MAX_OPTS)
			fwsctl_errx(2, "too many options");
		c->c_opt[c->c_nopts] = name;
		if (kind == 1) {
			if (eq != NULL)
				usage(v);
			c->c_val[c->c_nopts++] = "";
		} else if (eq != NULL)
			c->c_val[c->c_nopts++] = eq + 1;
		else if (i + 1 < argc)
			c->c_val[c->c_nopts++] = argv[++i];
		else {
			fprintf(stderr, "fwsctl %s: --%s needs a value\n",
			    v->v_name, name);
			usage(v);
		}
	}
	if (v->v_needs_name && c->c_name == NULL)
		usage(v);
}

int
fwsctl_connect(void)
{
	char	*cause;
	int	 s;

	if ((s = sock_connect(socket_path, 0, &cause)) == -1)
		fwsctl_errx(1, "cannot reach fwsd at %s (is fwsd running? "
		    "--socket or FWS_SOCKET name another socket)", cause);
	return s;
}

/*
 * One request, one reply.  A descriptor passed with the reply lands in
 * *fdp when fdp is given.  Exits 1 with fwsd's message on refusal.
 */
json_t *
fwsctl_call(const char *cmd, json_t *args, int *fdp)
{
	static char	 buf[PROTO_MAX_LINE * 4];
	json_t		*req, *reply, *err;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	char		*line, *nl, *cause;
	size_t		 len, have = 0;
	ssize_t		 n;
	int		 s, fd;

	s = fwsctl_connect();
	req = proto_request_new(1, cmd, args);
	if ((line = proto_encode(req, &len)) == NULL)
		fwsctl_errx(1, "cannot encode the request");
	json_decref(req);
	if (write(s, line, len) != (ssize_t)len)
		fwsctl_errx(1, "write to fwsd: %s", strerror(errno));
	free(line);
	if (fdp != NULL)
		*fdp = -1;
	for (;;) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf + have;
		iov.iov_len = sizeof(buf) - have - 1;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cmsgbuf.buf;
		mh.msg_controllen = sizeof(cmsgbuf.buf);
		n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			fwsctl_errx(1, "fwsd closed the connection without "
			    "replying");
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
			if (fdp != NULL && *fdp == -1)
				*fdp = fd;
			else
				close(fd);
		}
		have += n;
		buf[have] = '\0';
		if ((nl = memchr(buf, '\n', have)) != NULL)
			break;
		if (have == sizeof(buf) - 1)
			fwsctl_errx(1, "reply from fwsd too long");
	}
	close(s);
	if (proto_reply_parse(buf, nl - buf, &reply, &cause) == -1)
		fwsctl_errx(1, "%s", cause);
	if (json_is_false(json_object_get(reply, "ok"))) {
		err = json_object_get(reply, "error");
		fwsctl_errx(1, "%s", json_string_value(json_object_get(err,
		    "message")));
	}
	return reply;
}

static json_t *
name_args(struct ctx *c)
{
	return json_pack("{ss}", "name", c->c_name);
}

static void
print_json(json_t *v)
{
	char	*s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	printf("%s\n", s ? s : "null");
	free(s);
}

/* A path made absolute against our directory; fwsd checks where it is. */
static json_t *
abs_path(const char *p)
{
	char	 cwd[PATH_MAX];
	json_t	*v;
	char	*s;

	if (p[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return json_string(p);
	s = xasprintf("%s/%s", cwd, p);
	v = json_string(s);
	free(s);
	return v;
}

/* --disk SIZE or --disk PATH[,format=F]; the format is never guessed
 * from content: from ,format= or the file name's ending. */
static json_t *
disk_arg(const char *spec)
{
	uint64_t	 size;
	char		*path, *opt, *cause;
	const char	*fmt = NULL, *dot;
	json_t		*d;

	if (*spec >= '0' && *spec <= '9') {
		if (parse_size(spec, &size, &cause) == -1)
			fwsctl_errx(2, "--disk: %s", cause);
		return json_pack("{sI}", "size", (json_int_t)size);
	}
	path = xasprintf("%s", spec);
	if ((opt = strstr(path, ",format=")) != NULL) {
		*opt = '\0';
		fmt = opt + strlen(",format=");
	} else if ((dot = strrchr(path, '.')) != NULL) {
		if (strcmp(dot, ".qcow2") == 0)
			fmt = "qcow2";
		else if (strcmp(dot, ".raw") == 0 || strcmp(dot, ".img") == 0)
			fmt = "raw";
	}
	if (fmt == NULL)
		fwsctl_errx(2, "--disk %s: say its format: %s,format=qcow2 or "
		    ",format=raw", spec, spec);
	d = json_pack("{so ss}", "path", abs_path(path), "format", fmt);
	free(path);
	return d;
}

static int
verb_create(struct ctx *c)
{
	json_t		*args, *disks, *r;
	const char	*v;
	uint64_t	 n;
	char		*cause, *end;
	int		 i;

	if (validate_name(c->c_name, &cause) == -1)
		fwsctl_errx(2, "%s", cause);
	args = name_args(c);
	if ((v = opt_get(c, "vcpus")) != NULL) {
		n = strtoull(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || n > 1024)
			fwsctl_errx(2, "--vcpus %s: not a number of CPUs", v);
		json_object_set_new(args, "vcpus", json_integer(n));
	}
	if ((v = opt_get(c, "memory")) != NULL) {
		if (parse_memory_mib(v, &n, &cause) == -1)
			fwsctl_errx(2, "--memory: %s", cause);
		json_object_set_new(args, "memory_mib", json_integer(n));
	}
	disks = json_array();
	for (i = 0; i < c->c_nopts; i++)
		if (strcmp(c->c_opt[i], "disk") == 0)
			json_array_append_new(disks, disk_arg(c->c_val[i]));
	if (json_array_size(disks) > 0)
		json_object_set(args, "disks", disks);
	json_decref(disks);
	if ((v = opt_get(c, "iso")) != NULL)
		json_object_set_new(args, "iso", abs_path(v));
	if ((v = opt_get(c, "kernel")) != NULL)
		json_object_set_new(args, "kernel", abs_path(v));
	if ((v = opt_get(c, "initrd")) != NULL)
		json_object_set_new(args, "initrd", abs_path(v));
	if ((v = opt_get(c, "append")) != NULL)
		json_object_set_new(args, "append", json_string(v));
	if ((v = opt_get(c, "mac")) != NULL)
		json_object_set_new(args, "mac", json_string(v));
	if ((v = opt_get(c, "restart")) != NULL)
		json_object_set_new(args, "restart", json_string(v));
	r = fwsctl_call("create", args, NULL);
	if (c->c_json)
		print_json(json_object_get(r, "result"));
	else
		printf("created %s (uuid %s)\n", c->c_name,
		    json_string_value(json_object_get(json_object_get(r,
		    "result"), "uuid")));
	json_decref(r);
	return 0;
}

static void
print_state(struct ctx *c, json_t *r)
{
	json_t		*res = json_object_get(r, "result");
	json_t		*pid = json_object_get(res, "pid");

	if (c->c_json) {
		print_json(res);
		return;
	}
	if (json_is_integer(pid))
		printf("%s is %s (pid %lld)\n", c->c_name,
		    json_string_value(json_object_get(res, "state")),
		    (long long)json_integer_value(pid));
	else
		printf("%s is %s\n", c->c_name,
		    json_string_value(json_object_get(res, "state")));
}

/* start, destroy, reboot, pause, resume: the verb is the command */
static int
verb_simple(struct ctx *c)
{
	json_t	*r = fwsctl_call(c->c_verb->v_name, name_args(c), NULL);

	print_state(c, r);
	json_decref(r);
	return 0;
}

static int
verb_stop(struct ctx *c)
{
	json_t		*args = name_args(c), *r;
	const char	*v;
	char		*end;
	unsigned long	 t;

	if ((v = opt_get(c, "timeout")) != NULL) {
		t = strtoul(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || t > 3600)
			fwsctl_errx(2, "--timeout %s: give seconds, 0 to 3600",
			    v);
		json_object_set_new(args, "timeout", json_integer(t));
	}
	r = fwsctl_call("stop", args, NULL);
	print_state(c, r);
	json_decref(r);
	return 0;
}

static int
verb_delete(struct ctx *c)
{
	json_t	*args = name_args(c), *r;
	int	 keep = opt_get(c, "keep-disks") != NULL;

	json_object_set_new(args, "keep_disks", json_boolean(keep));
	r = fwsctl_call("delete", args, NULL);
	if (c->c_json)
		print_json(json_object_get(r, "result"));
	else
		printf("deleted %s%s\n", c->c_name, keep ? " (disks kept)" : "");
	json_decref(r);
	return 0;
}

static const char *
fmt_mib(uint64_t mib, char *buf, size_t len)
{
	if (mib >= 1024 && mib % 1024 == 0)
		snprintf(buf, len, "%lluG", (unsigned long long)(mib / 1024));
	else
		snprintf(buf, len, "%lluM", (unsigned long long)mib);
	return buf;
}

static int
verb_list(struct ctx *c)
{
	json_t	*r = fwsctl_call("list", NULL, NULL), *a, *vm, *pid;
	char	 mem[32], pidbuf[16];
	size_t	 i, w = 4;

	a = json_object_get(r, "result");
	if (c->c_json) {
		print_json(a);
		json_decref(r);
		return 0;
	}
	json_array_foreach(a, i, vm)
		if (strlen(json_string_value(json_object_get(vm, "name"))) > w)
			w = strlen(json_string_value(json_object_get(vm,
			    "name")));
	printf("%-*s  %-8s  %5s  %7s  %7s\n", (int)w, "NAME", "STATE", "VCPUS",
	    "MEMORY", "PID");
	json_array_foreach(a, i, vm) {
		pid = json_object_get(vm, "pid");
		if (json_is_integer(pid))
			snprintf(pidbuf, sizeof(pidbuf), "%lld",
			    (long long)json_integer_value(pid));
		else
			snprintf(pidbuf, sizeof(pidbuf), "-");
		printf("%-*s  %-8s  %5lld  %7s  %7s\n", (int)w,
		    json_string_value(json_object_get(vm, "name")),
		    json_string_value(json_object_get(vm, "state")),
		    (long long)json_integer_value(json_object_get(vm, "vcpus")),
		    fmt_mib(json_integer_value(json_object_get(vm,
		    "memory_mib")), mem, sizeof(mem)), pidbuf);
	}
	json_decref(r);
	return 0;
}

static void
info_line(const char *key, json_t *v)
{
	char	*s;

	if (v == NULL || json_is_null(v))
		return;
	if (json_is_string(v))
		printf("%-12s %s\n", key, json_string_value(v));
	else {
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		printf("%-12s %s\n", key, s ? s : "?");
		free(s);
	}
}

static int
verb_info(struct ctx *c)
{
	json_t		*r = fwsctl_call("info", name_args(c), NULL);
	json_t		*o = json_object_get(r, "result"), *d;
	const char	*keys[] = { "name", "uuid", "state", "pid", "vcpus",
	    "mac", "restart", "iso", "kernel", "initrd", "append",
	    "serial_log", "qemu_log", "last_exit" };
	char		 mem[32], tbuf[64];
	time_t		 t;
	size_t		 i;

	if (c->c_json) {
		print_json(o);
		json_decref(r);
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		info_line(keys[i], json_object_get(o, keys[i]));
		if (strcmp(keys[i], "vcpus") == 0)
			printf("%-12s %s\n", "memory", fmt_mib(
			    json_integer_value(json_object_get(o, "memory_mib")),
			    mem, sizeof(mem)));
	}
	if (json_is_integer(json_object_get(o, "last_exit_time"))) {
		t = json_integer_value(json_object_get(o, "last_exit_time"));
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S",
		    localtime(&t));
		printf("%-12s %s\n", "last_exit_at", tbuf);
	}
	json_array_foreach(json_object_get(o, "disks"), i, d)
		printf("%-12s %s (%s, %s, %lld bytes)\n", i == 0 ? "disks" : "",
		    json_string_value(json_object_get(d, "path")),
		    json_string_value(json_object_get(d, "format")),
		    json_is_true(json_object_get(d, "owned")) ? "made by fwsd" :
		    "attached",
		    (long long)json_integer_value(json_object_get(d, "size")));
	json_decref(r);
	return 0;
}

static int
verb_console(struct ctx *c)
{
	json_t	*r;
	int	 fd;

	r = fwsctl_call("console", name_args(c), &fd);
	json_decref(r);
	if (fd == -1)
		fwsctl_errx(1, "fwsd sent no console connection");
	return fwsctl_console(c->c_name, fd);
}

static int
verb_version(struct ctx *c)
{
	json_t	*r = fwsctl_call("version", NULL, NULL);
	json_t	*o = json_object_get(r, "result");

	if (c->c_json) {
		json_object_set_new(o, "client", json_string(FWS_VERSION));
		print_json(o);
	} else
		printf("fwsctl %s\nfwsd %s (protocol %lld)\n", FWS_VERSION,
		    json_string_value(json_object_get(o, "version")),
		    (long long)json_integer_value(json_object_get(o,
		    "protocol")));
	json_decref(r);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct ctx	 c;
	int		 i = 1;
	size_t		 k;
	char		*def;

	memset(&c, 0, sizeof(c));
	socket_path = getenv("FWS_SOCKET");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			socket_path = argv[++i];
		else if (strncmp(argv[i], "--socket=", 9) == 0)
			socket_path = argv[i] + 9;
		else if (strcmp(argv[i], "--json") == 0)
			c.c_json = 1;
		else if (strcmp(argv[i], "--version") == 0) {
			printf("fwsctl %s\n", FWS_VERSION);
			return 0;
		} else
			usage(NULL);
	}
	if (i == argc)
		usage(NULL);
	if (socket_path == NULL || *socket_path == '\0') {
		def = xasprintf("%s/%s", FWS_RUN_DIR_DEFAULT, FWS_SOCKET_NAME);
		socket_path = def;
	}
	if (strcmp(argv[i], "help") == 0)
		usage(NULL);
	for (k = 0; k < sizeof(verbs) / sizeof(*verbs); k++)
		if (strcmp(verbs[k].v_name, argv[i]) == 0)
			c.c_verb = &verbs[k];
	if (c.c_verb == NULL) {
		fprintf(stderr, "fwsctl: unknown verb \"%s\"\n", argv[i]);
		usage(NULL);
	}
	parse(&c, argc - i - 1, argv + i + 1);
	return c.c_verb->v_fn(&c);
}
