/*
 * fwsctl-define.c: fwsctl's side of definitions that travel: dump
 * prints a VM's definition as JSON (with its owner's user name here, for
 * reading: fwsd looks up no names), define reads one from a file or
 * standard input and sends it as it is; fwsd checks every field.
 */
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
