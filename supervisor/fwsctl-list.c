/*
 * fwsctl-list.c: fwsctl list, the table of VMs.  A host may hold
 * hundreds of them, and the list is the verb run most: its table is
 * made from fwsd's reply line as it came, without a JSON tree of it
 * (jansson reads some 25 ns a byte and allocates every value: 3 ms
 * for 500 VMs, more than fwsd takes to answer).  The reading here
 * takes fwsd's own shape alone: {"id":..,"ok":true,"result":[{..},..]}
 * with plain strings, whole numbers, null and arrays of strings.  Any
 * other line (a refusal, an escape in a name, a number with a fraction)
 * is parsed as every reply is, and the same table made from the tree.
 * With --json the reply is printed as it is parsed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "fwsctl.h"

static struct list_row *
list_add(struct list_rows *l)
{
	struct list_row	*r;
	void		*p;

	if (l->lrs_n == l->lrs_size) {
		l->lrs_size = l->lrs_size == 0 ? 64 : l->lrs_size * 2;
		if ((p = reallocarray(l->lrs_rows, l->lrs_size,
		    sizeof(*l->lrs_rows))) == NULL)
			fwsctl_errx(1, "out of memory");
		l->lrs_rows = p;
	}
	r = &l->lrs_rows[l->lrs_n++];
	memset(r, 0, sizeof(*r));
	r->lr_name.ls_s = r->lr_state.ls_s = "";
	r->lr_memory_mib = -1;
	return r;
}

/* An address of IPv4's (no ':'), taken when none was yet. */
static void
list_addr(struct list_row *r, const char *s, int len)
{
	if (r->lr_addr.ls_s == NULL && memchr(s, ':', len) == NULL) {
		r->lr_addr.ls_s = s;
		r->lr_addr.ls_len = len;
	}
}

/*
 * The reading of the line: each function takes what it names at *pp,
 * moves *pp past it, and returns -1 when the line is not of the shape
 * it takes (then the line is parsed in full instead).
 */
static void
list_scan_ws(const char **pp)
{
	while (**pp == ' ' || **pp == '\t' || **pp == '\r' || **pp == '\n')
		(*pp)++;
}

static int
list_scan_char(const char **pp, char c)
{
	list_scan_ws(pp);
	if (**pp != c)
		return -1;
	(*pp)++;
	return 0;
}

/*
 * The string at p (its opening quote) passed over, escapes and all: what
 * follows it, or NULL when it is not a string of ASCII text (fwsd sends
 * no other).
 */
static const char *
list_scan_over_str(const char *p)
{
	for (p++; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x80)
			return NULL;	/* the NUL at the end too */
		if (*p == '\\' && *++p == '\0')
			return NULL;
	}
	return p + 1;
}

/* A string without escapes (fwsd's names, states and addresses). */
static int
list_scan_str(const char **pp, struct list_str *out)
{
	const char	*end;

	list_scan_ws(pp);
	if (**pp != '"' || (end = list_scan_over_str(*pp)) == NULL ||
	    memchr(*pp, '\\', end - *pp) != NULL)
		return -1;
	out->ls_s = *pp + 1;
	out->ls_len = end - *pp - 2;
	*pp = end;
	return 0;
}

/* Is the string s the word w? */
static int
list_scan_is(const struct list_str *s, const char *w)
{
	return (size_t)s->ls_len == strlen(w) && memcmp(s->ls_s, w,
	    s->ls_len) == 0;
}

static int
list_scan_word(const char **pp, const char *w)
{
	size_t	 len = strlen(w);

	list_scan_ws(pp);
	if (strncmp(*pp, w, len) != 0)
		return -1;
	*pp += len;
	return 0;
}

/* A whole number, or null (*has 0). */
static int
list_scan_int(const char **pp, long long *v, int *has)
{
	char	*end;

	if (list_scan_word(pp, "null") == 0) {
		*has = 0;
		return 0;
	}
	if (**pp != '-' && (**pp < '0' || **pp > '9'))
		return -1;
	errno = 0;
	*v = strtoll(*pp, &end, 10);
	if (errno != 0 || *end == '.' || *end == 'e' || *end == 'E')
		return -1;
	*pp = end;
	*has = 1;
	return 0;
}

/*
 * Any value passed over: a string, an object or array with all in it, a
 * number, true, false or null.
 */
static int
list_scan_skip(const char **pp)
{
	const char	*p;
	char		*end;
	int		 depth = 0;

	list_scan_ws(pp);
	p = *pp;
	if (*p == '"')
		p = list_scan_over_str(p);
	else if (*p == '{' || *p == '[') {
		do {
			if (*p == '"') {
				if ((p = list_scan_over_str(p)) == NULL)
					return -1;
				continue;
			}
			if (*p == '\0')
				return -1;
			if (*p == '{' || *p == '[')
				depth++;
			else if (*p == '}' || *p == ']')
				depth--;
			p++;
		} while (depth > 0);
	} else if (list_scan_word(&p, "true") == -1 &&
	    list_scan_word(&p, "false") == -1 &&
	    list_scan_word(&p, "null") == -1) {
		if (*p != '-' && (*p < '0' || *p > '9'))
			return -1;
		strtod(p, &end);
		if (strspn(p, "0123456789+-.eE") < (size_t)(end - p))
			return -1;
		p = end;
	}
	if (p == NULL)
		return -1;
	*pp = p;
	return 0;
}

/* ["a","b",...]: each string an address, the first IPv4 one kept. */
static int
list_scan_addrs(const char **pp, struct list_row *r)
{
	struct list_str	 s;

	list_scan_ws(pp);
	if (list_scan_word(pp, "null") == 0)
		return 0;
	if (list_scan_char(pp, '[') == -1)
		return -1;
	if (list_scan_char(pp, ']') == 0)
		return 0;
	do {
		if (list_scan_str(pp, &s) == -1)
			return -1;
		list_addr(r, s.ls_s, s.ls_len);
	} while (list_scan_char(pp, ',') == 0);
	return list_scan_char(pp, ']');
}

static int
list_scan_vm(const char **pp, struct list_row *r)
{
	struct list_str	 key;
	int		 has, rc;

	if (list_scan_char(pp, '{') == -1)
		return -1;
	if (list_scan_char(pp, '}') == 0)
		return 0;
	do {
		if (list_scan_str(pp, &key) == -1 ||
		    list_scan_char(pp, ':') == -1)
			return -1;
		if (list_scan_is(&key, "name"))
			rc = list_scan_str(pp, &r->lr_name);
		else if (list_scan_is(&key, "state"))
			rc = list_scan_str(pp, &r->lr_state);
		else if (list_scan_is(&key, "vcpus"))
			rc = list_scan_int(pp, &r->lr_vcpus, &has);
		else if (list_scan_is(&key, "memory_mib")) {
			if ((rc = list_scan_int(pp, &r->lr_memory_mib,
			    &has)) == 0 && !has)
				r->lr_memory_mib = -1;
		} else if (list_scan_is(&key, "owner"))
			rc = list_scan_int(pp, &r->lr_owner, &r->lr_has_owner);
		else if (list_scan_is(&key, "pid"))
			rc = list_scan_int(pp, &r->lr_pid, &r->lr_has_pid);
		else if (list_scan_is(&key, "loan_end"))
			rc = list_scan_int(pp, &r->lr_loan_end,
			    &r->lr_has_loan_end);
		else if (list_scan_is(&key, "addresses"))
			rc = list_scan_addrs(pp, r);
		else
			rc = list_scan_skip(pp);
		if (rc == -1)
			return -1;
	} while (list_scan_char(pp, ',') == 0);
	return list_scan_char(pp, '}');
}

/* The reply line, {"id":..,"ok":true,"result":[VM,...]}, into rows. */
int
list_scan(const char *line, size_t len, struct list_rows *l)
{
	struct list_str	 key;
	const char	*p = line;
	int		 ok = 0, result = 0;

	if (strlen(line) != len || list_scan_char(&p, '{') == -1)
		return -1;
	do {
		if (list_scan_str(&p, &key) == -1 ||
		    list_scan_char(&p, ':') == -1)
			return -1;
		if (list_scan_is(&key, "ok")) {
			if (list_scan_word(&p, "true") == -1)
				return -1;
			ok = 1;
		} else if (list_scan_is(&key, "result")) {
			if (result++ || list_scan_char(&p, '[') == -1)
				return -1;
			if (list_scan_char(&p, ']') == 0)
				continue;
			do {
				if (list_scan_vm(&p, list_add(l)) == -1)
					return -1;
			} while (list_scan_char(&p, ',') == 0);
			if (list_scan_char(&p, ']') == -1)
				return -1;
		} else if (list_scan_skip(&p) == -1)
			return -1;
	} while (list_scan_char(&p, ',') == 0);
	if (list_scan_char(&p, '}') == -1 || !ok || !result)
		return -1;
	list_scan_ws(&p);
	return *p == '\0' ? 0 : -1;
}

/* A JSON string of the tree as a row's string: "" when not a string. */
static struct list_str
list_json_str(json_t *v)
{
	struct list_str	 s = { "", 0 };

	if (json_is_string(v)) {
		s.ls_s = json_string_value(v);
		s.ls_len = json_string_length(v);
	}
	return s;
}

/* The same rows from a parsed reply's result. */
void
list_from_json(json_t *a, struct list_rows *l)
{
	struct list_row	*r;
	json_t		*vm, *v;
	size_t		 i, k;

	json_array_foreach(a, i, vm) {
		r = list_add(l);
		r->lr_name = list_json_str(json_object_get(vm, "name"));
		r->lr_state = list_json_str(json_object_get(vm, "state"));
		r->lr_vcpus = json_integer_value(json_object_get(vm, "vcpus"));
		if (json_is_integer(v = json_object_get(vm, "memory_mib")))
			r->lr_memory_mib = json_integer_value(v);
		r->lr_owner = json_integer_value(v = json_object_get(vm,
		    "owner"));
		r->lr_has_owner = json_is_integer(v);
		r->lr_pid = json_integer_value(v = json_object_get(vm, "pid"));
		r->lr_has_pid = json_is_integer(v);
		r->lr_loan_end = json_integer_value(v = json_object_get(vm,
		    "loan_end"));
		r->lr_has_loan_end = json_is_integer(v);
		json_array_foreach(json_object_get(vm, "addresses"), k, v)
			if (json_is_string(v))
				list_addr(r, json_string_value(v),
				    json_string_length(v));
	}
}

/*
 * The table: an OWNER column when another's VM is in it (an admin's
 * list), the names as wide as the widest.
 */
static void
list_print(struct list_rows *l)
{
	struct list_row	*r;
	char		 mem[32], pid[24], *ends;
	size_t		 i;
	int		 w = 4, others = 0;
	uid_t		 me = fwsctl_uid();

	for (i = 0; i < l->lrs_n; i++) {
		r = &l->lrs_rows[i];
		if (r->lr_name.ls_len > w)
			w = r->lr_name.ls_len;
		if (r->lr_owner != (long long)me)
			others = 1;
	}
	if (others)
		printf("%-12s  ", "OWNER");
	printf("%-*s  %-8s  %5s  %7s  %7s  %-15s  %s\n", w, "NAME", "STATE",
	    "VCPUS", "MEMORY", "PID", "ADDRESS", "LOAN ENDS");
	for (i = 0; i < l->lrs_n; i++) {
		r = &l->lrs_rows[i];
		if (others && !r->lr_has_owner)
			printf("%-12s  ", "-");
		else if (others && (r->lr_owner < 0 ||
		    r->lr_owner > UINT32_MAX))
			printf("%-12lld  ", r->lr_owner);
		else if (others)
			printf("%-12s  ", fwsctl_uid_name(r->lr_owner));
		if (r->lr_memory_mib < 0 ||
		    r->lr_memory_mib > (long long)(UINT64_MAX >> 20))
			snprintf(mem, sizeof(mem), "-");
		else
			format_size((uint64_t)r->lr_memory_mib << 20, mem,
			    sizeof(mem));
		if (r->lr_has_pid)
			snprintf(pid, sizeof(pid), "%lld", r->lr_pid);
		else
			snprintf(pid, sizeof(pid), "-");
		ends = r->lr_has_loan_end ? date_text(r->lr_loan_end) :
		    NULL;
		printf("%-*.*s  %-8.*s  %5lld  %7s  %7s  %-15.*s  %s\n", w,
		    r->lr_name.ls_len, r->lr_name.ls_s, r->lr_state.ls_len,
		    r->lr_state.ls_s, r->lr_vcpus, mem, pid,
		    r->lr_addr.ls_s != NULL ? r->lr_addr.ls_len : 1,
		    r->lr_addr.ls_s != NULL ? r->lr_addr.ls_s : "-",
		    ends != NULL ? ends : "-");
		free(ends);
	}
}

/*
 * The line is read before anything is printed: a line the reading does
 * not take has printed nothing, and is parsed instead.
 */
static int
list_scan_print(const char *line, size_t len, void *arg)
{
	struct list_rows *l = arg;

	if (list_scan(line, len, l) == -1) {
		l->lrs_n = 0;
		return -1;
	}
	list_print(l);
	return 0;
}

int
verb_list(struct ctx *c)
{
	struct list_rows l = { NULL, 0, 0 };
	json_t		*r;

	if (c->c_json) {
		/* printed there */
		(void)fwsctl_call_list(c, PROTO_CMD_LIST, NULL, &r);
		return 0;
	}
	/* the table in one buffer, written at the end */
	setvbuf(stdout, NULL, _IOFBF, 64 * 1024);
	if ((r = fwsctl_call_scan(PROTO_CMD_LIST, NULL, list_scan_print,
	    &l)) != NULL) {
		list_from_json(json_object_get(r, "result"), &l);
		list_print(&l);
		json_decref(r);
	}
	free(l.lrs_rows);
	return 0;
}
