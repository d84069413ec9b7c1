/*
 * fwsctl-seed.c: create's cloud-init options.  --ssh-key FILE (each
 * line of FILE one OpenSSH public key; blank lines and '#' lines are
 * skipped, as in authorized_keys), --password-hash HASH and
 * --user-data FILE: fwsctl reads the files, as the user who runs it, and
 * sends their content ("ssh_keys", "password_hash", "user_data"); fwsd
 * checks every byte of it (seed.c) and makes the seed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwsctl.h"

/* A file the user names, whole: at most max bytes, else refused. */
static char *
seed_file(const char *opt, const char *path, size_t max, size_t *len)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		fwsctl_errx(1, "--%s %s: %s", opt, path, strerror(errno));
	if ((buf = malloc(max + 2)) == NULL)
		fwsctl_errx(1, "out of memory");
	n = fread(buf, 1, max + 1, f);
	if (ferror(f))
		fwsctl_errx(1, "--%s %s: %s", opt, path, strerror(errno));
	fclose(f);
	if (n > max)
		fwsctl_errx(1, "--%s %s: larger than %zu KiB", opt, path,
		    max / 1024);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Each key line of FILE into keys. */
static void
seed_keys_file(const char *path, json_t *keys)
{
	char	*buf, *p, *line, *end;
	size_t	 len;
	json_t	*k;

	buf = seed_file("ssh-key", path, FWS_SEED_KEYS_MAX *
	    (FWS_SEED_KEY_MAX + 2), &len);
	if (memchr(buf, '\0', len) != NULL)
		fwsctl_errx(1, "--ssh-key %s: not a text file", path);
	p = buf;
	while ((line = strsep(&p, "\n")) != NULL) {
		end = line + strlen(line);
		while (end > line && (end[-1] == '\r' || end[-1] == ' ' ||
		    end[-1] == '\t'))
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		/* fwsd says what is wrong with a key: one place checks */
		if ((k = json_string(line)) == NULL)
			fwsctl_errx(1, "--ssh-key %s: a key is not UTF-8 text",
			    path);
		json_array_append_new(keys, k);
	}
	free(buf);
}

/* --ssh-key, --password-hash and --user-data into create's args. */
void
fwsctl_seed_args(struct ctx *c, json_t *args)
{
	const char	*ud, *hash;
	json_t		*keys = json_array(), *v;
	char		*buf;
	size_t		 len;
	int		 i;

	for (i = 0; i < c->c_nopts; i++)
		if (strcmp(c->c_opt[i], "ssh-key") == 0)
			seed_keys_file(c->c_val[i], keys);
	hash = fwsctl_opt(c, "password-hash");
	ud = fwsctl_opt(c, "user-data");
	if (ud != NULL && (hash != NULL || fwsctl_opt(c, "ssh-key") != NULL))
		fwsctl_errx(2, "--user-data is the whole user-data: put the "
		    "SSH keys and the password hash in it (ssh_authorized_keys, "
		    "passwd), not in --ssh-key or --password-hash beside it");
	if (fwsctl_opt(c, "ssh-key") != NULL && json_array_size(keys) == 0)
		fwsctl_errx(1, "--ssh-key: no key in the file(s) given");
	if (json_array_size(keys) > 0)
		json_object_set(args, "ssh_keys", keys);
	json_decref(keys);
	if (hash != NULL && (v = json_string(hash)) == NULL)
		fwsctl_errx(1, "--password-hash: not UTF-8 text");
	if (hash != NULL)
		json_object_set_new(args, "password_hash", v);
	if (ud != NULL) {
		buf = seed_file("user-data", ud, FWS_SEED_USER_DATA_MAX, &len);
		/* fwsd's JSON takes no \u0000: said here in its words */
		if (memchr(buf, '\0', len) != NULL)
			fwsctl_errx(1, "--user-data %s: holds a NUL byte: the "
			    "user-data must be text", ud);
		if ((v = json_stringn(buf, len)) == NULL)
			fwsctl_errx(1, "--user-data %s: not UTF-8 text", ud);
		json_object_set_new(args, "user_data", v);
		free(buf);
	}
}
