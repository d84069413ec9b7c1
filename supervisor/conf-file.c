/*
 * conf-file.c: the "key = value" file that fwsd.conf and fws-web.conf
 * share: '#' starts a comment, blanks around keys and values go, and an
 * error names the file and the line.  What a key means is the caller's
 * (config.c, web-config.c): it gets each pair in turn.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"

/* s without its leading and trailing blanks (and line end), in place. */
char *
conf_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * Each pair of path to set(arg, key, value, &why), until one fails.  A
 * missing file is fine unless must_exist (a path given with --config).
 */
int
conf_file_read(const char *path, int must_exist, conf_set_fn set, void *arg,
    char **cause)
{
	FILE	*f;
	char	*line = NULL, *p, *eq, *key, *val, *why;
	size_t	 cap = 0;
	int	 lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return cause_fail(cause, "%s: %s", path, strerror(errno));
	}
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = conf_trim(line);
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			rc = cause_fail(cause, "%s:%d: expected \"key = value\"",
			    path, lineno);
			break;
		}
		*eq = '\0';
		key = conf_trim(p);
		val = conf_trim(eq + 1);
		if (*val == '\0') {
			rc = cause_fail(cause, "%s:%d: %s has no value", path,
			    lineno, key);
			break;
		}
		if (set(arg, key, val, &why) == -1) {
			rc = cause_fail(cause, "%s:%d: %s", path, lineno, why);
			free(why);
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}
