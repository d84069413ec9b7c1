/*
 * fwsctl-define.c: fwsctl's side of definitions that travel: dump
 * prints a VM's definition as JSON (with its owner's user name here, for
 * reading: fwsd looks up no names), define reads one from a file or
 * standard input and sends it as it is; fwsd checks every field.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "fwsctl.h"

/* dump NAME [--compact]: always JSON */
int
verb_dump(struct ctx *c)
{
	json_t		*r, *res, *out, *v;
	struct passwd	*pw;
	const char	*key;
	char		*s;

	r = fwsctl_call(PROTO_CMD_DUMP, fwsctl_name_args(c), NULL);
	res = json_object_get(r, "result");
	/* the owner's name beside the uid, which is what define reads */
	out = json_object();
	json_object_foreach(res, key, v) {
		json_object_set(out, key, v);
		if (strcmp(key, "owner") == 0 && json_is_integer(v) &&
		    json_integer_value(v) >= 0 &&
		    json_integer_value(v) <= UINT32_MAX &&
		    (pw = getpwuid((uid_t)json_integer_value(v))) != NULL)
			json_object_set_new(out, "owner_name",
			    json_string(pw->pw_name));
	}
	s = json_dumps(out, fwsctl_opt(c, "compact") != NULL ? JSON_COMPACT :
	    JSON_INDENT(2));
	printf("%s\n", s != NULL ? s : "null");
	free(s);
	json_decref(out);
	json_decref(r);
	return 0;
}

/* A definition's file at most: far more than one can hold. */
#define DEFINE_FILE_MAX	(1024 * 1024)

/* The definition in path ("-": standard input), parsed; exits when bad. */
static json_t *
define_read(const char *path)
{
	json_error_t	 jerr;
	json_t		*def;
	FILE		*f;
	char		*buf, *line;
	size_t		 n;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL)
		fwsctl_errx(1, "%s: %s", path, strerror(errno));
	if ((buf = malloc(DEFINE_FILE_MAX + 1)) == NULL)
		fwsctl_errx(1, "out of memory");
	n = fread(buf, 1, DEFINE_FILE_MAX + 1, f);
	if (ferror(f))
		fwsctl_errx(1, "%s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	if (n > DEFINE_FILE_MAX)
		fwsctl_errx(1, "%s: larger than %d KiB: not a definition",
		    path, DEFINE_FILE_MAX / 1024);
	if ((def = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		fwsctl_errx(1, "%s: not JSON: %s (line %d)", path, jerr.text,
		    jerr.line);
	free(buf);
	if (!json_is_object(def))
		fwsctl_errx(1, "%s: a definition is a JSON object", path);
	/* it travels on one request line */
	line = json_dumps(def, JSON_COMPACT);
	if (line == NULL || strlen(line) > PROTO_MAX_LINE - 1024)
		fwsctl_errx(1, "%s: too large for a definition (%d KiB at "
		    "most)", path, (PROTO_MAX_LINE - 1024) / 1024);
	free(line);
	return def;
}

/* define FILE|- [--new-disks] [--json] */
int
verb_define(struct ctx *c)
{
	json_t	*args, *r, *res, *end;
	char	*s;

	args = json_pack("{so}", "definition", define_read(c->c_name));
	if (fwsctl_opt(c, "new-disks") != NULL)
		json_object_set_new(args, "new_disks", json_true());
	r = fwsctl_call(PROTO_CMD_DEFINE, args, NULL);
	res = json_object_get(r, "result");
	end = json_object_get(res, "loan_end");
	if (c->c_json)
		fwsctl_print_json(res);
	else if (json_is_integer(end)) {
		s = date_text(json_integer_value(end));
		printf("defined %s (uuid %s), lent until %s\n",
		    json_string_value(json_object_get(res, "name")),
		    json_string_value(json_object_get(res, "uuid")), s);
		free(s);
	} else
		printf("defined %s (uuid %s)\n",
		    json_string_value(json_object_get(res, "name")),
		    json_string_value(json_object_get(res, "uuid")));
	json_decref(r);
	return 0;
}
