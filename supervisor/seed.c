/*
 * seed.c: a VM's cloud-init seed, so that its guest is given the
 * owner's SSH keys (and a password hash, or the owner's own user-data)
 * and never needs a default password.  The seed is a NoCloud one: an
 * ISO 9660 image labelled "cidata" holding "meta-data" (the VM's uuid
 * as its instance-id, its name as its host name) and "user-data".
 *
 * What the owner gives is checked here in full before anything is
 * written: each key one line of OpenSSH's public key shape, a type
 * among those sshd takes, a base64 body that says the same type, a
 * comment of printable ASCII without quotes or backslashes; a password
 * hash of crypt(3)'s shapes ($6$, $5$, $y$, $2b$) and nothing else; a
 * user-data of the owner's own (instead of keys and hash) text without
 * NUL.  The user-data fwsd writes quotes every value, and no value can
 * hold a quote, a backslash or a line break: none leaves its line.
 *
 * The image is seed-iso.c's.  The store keeps the content (vms.seed),
 * so that dump carries it and define makes it again.  Nothing here
 * touches a file: it is unit-tested (test_seed.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"

/* The key types sshd takes for authorized_keys, in OpenSSH's spelling. */
static const char *const seed_key_types[] = {
	"ssh-ed25519",
	"ssh-rsa",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
	NULL
};

static int
seed_b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode len bytes of base64 (padded, a multiple of 4) into out (len /
 * 4 * 3 bytes at least); the decoded length, or -1 when it is not.
 */
static ssize_t
seed_b64_decode(const char *s, size_t len, unsigned char *out)
{
	size_t	 i, n = 0;
	int	 v[4], k, pad = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[k] = seed_b64_value(
			    (unsigned char)s[i + k])) == -1)
				return -1;
		}
		out[n++] = (v[0] << 2) | (v[1] >> 4);
		out[n++] = ((v[1] & 15) << 4) | (v[2] >> 2);
		out[n++] = ((v[2] & 3) << 6) | v[3];
	}
	return n - pad;
}

/*
 * One OpenSSH public key: "TYPE BASE64[ COMMENT]" on one line, len
 * bytes (a JSON string may hold a NUL: len says where it ends).
 */
int
seed_key_check(const char *key, size_t len, char **cause)
{
	const char	*body, *end, *p;
	unsigned char	*blob;
	size_t		 tlen, blen, i;
	ssize_t		 n;
	uint32_t	 l = 0;
	int		 t;

	if (len == 0)
		return cause_fail(cause, "an SSH key is empty");
	if (len > FWS_SEED_KEY_MAX)
		return cause_fail(cause, "an SSH key is %zu bytes long, at "
		    "most %d are allowed", len, FWS_SEED_KEY_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)key[i] < 0x20 ||
		    (unsigned char)key[i] > 0x7e)
			return cause_fail(cause, "an SSH key is one line of "
			    "printable ASCII: byte %zu is 0x%02x", i,
			    (unsigned char)key[i]);
	if ((body = memchr(key, ' ', len)) == NULL)
		return cause_fail(cause, "SSH key \"%.32s\": not \"TYPE "
		    "BASE64 [COMMENT]\" (a line of a .pub file)", key);
	tlen = body - key;
	for (t = 0; seed_key_types[t] != NULL; t++)
		if (strlen(seed_key_types[t]) == tlen &&
		    strncmp(seed_key_types[t], key, tlen) == 0)
			break;
	if (seed_key_types[t] == NULL)
		return cause_fail(cause, "SSH key type \"%.*s\" is not one of "
		    "ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521, "
		    "sk-ssh-ed25519@openssh.com, "
		    "sk-ecdsa-sha2-nistp256@openssh.com (options before the "
		    "type are not taken)", (int)(tlen > 40 ? 40 : tlen), key);
	body++;
	end = memchr(body, ' ', len - (body - key));
	blen = end != NULL ? (size_t)(end - body) : len - (body - key);
	if ((blob = malloc(blen / 4 * 3 + 3)) == NULL)
		return cause_fail(cause, "out of memory");
	n = seed_b64_decode(body, blen, blob);
	/* the blob starts with its type again: a string, 4 bytes of length */
	if (n >= 4)
		l = (uint32_t)blob[0] << 24 | blob[1] << 16 | blob[2] << 8 |
		    blob[3];
	if (n < 4 || l != tlen || (size_t)n < 4 + tlen ||
	    memcmp(blob + 4, key, tlen) != 0) {
		free(blob);
		return cause_fail(cause, "%s key: its body is not the base64 "
		    "of a %s key", seed_key_types[t], seed_key_types[t]);
	}
	free(blob);
	if (end == NULL)
		return 0;
	/* the comment goes between double quotes in the user-data */
	for (p = end + 1; p < key + len; p++)
		if (*p == '"' || *p == '\'' || *p == '\\')
			return cause_fail(cause, "%s key: its comment may not "
			    "hold quotes or backslashes", seed_key_types[t]);
	return 0;
}

/* n characters of crypt(3)'s alphabet from *p; -1 when not (n 0: 1+). */
static int
seed_hash_chars(const char **p, size_t n, int upto)
{
	size_t	 i = 0;

	while ((*p)[i] != '\0' && (*p)[i] != '$' &&
	    strchr("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz", (*p)[i]) != NULL)
		i++;
	if (i == 0 || (n > 0 && !upto && i != n) || (upto && i > n))
		return -1;
	*p += i;
	return 0;
}

/*
 * A password hash as crypt(3) writes it: $6$[rounds=N$]SALT$HASH (SHA-
 * 512), $5$... (SHA-256), $y$PARAMS$SALT$HASH (yescrypt), $2b$NN$...
 * (bcrypt).  Never a password itself.
 */
int
seed_hash_check(const char *h, char **cause)
{
	const char	*p = h;
	size_t		 len = strlen(h);
	int		 ok = 0;

	if (len > FWS_SEED_HASH_MAX)
		return cause_fail(cause, "a password hash is at most %d "
		    "bytes", FWS_SEED_HASH_MAX);
	if (strncmp(p, "$6$", 3) == 0 || strncmp(p, "$5$", 3) == 0) {
		p += 3;
		if (strncmp(p, "rounds=", 7) == 0) {
			p += 7;
			if (*p < '1' || *p > '9')
				goto bad;
			while (*p >= '0' && *p <= '9')
				p++;
			if (*p++ != '$')
				goto bad;
		}
		ok = seed_hash_chars(&p, 16, 1) == 0 && *p++ == '$' &&
		    seed_hash_chars(&p, h[1] == '6' ? 86 : 43, 0) == 0 &&
		    *p == '\0';
	} else if (strncmp(p, "$y$", 3) == 0) {
		p += 3;
		ok = seed_hash_chars(&p, 0, 0) == 0 && *p++ == '$' &&
		    seed_hash_chars(&p, 0, 0) == 0 && *p++ == '$' &&
		    seed_hash_chars(&p, 43, 0) == 0 && *p == '\0';
	} else if (strncmp(p, "$2b$", 4) == 0) {
		p += 4;
		ok = p[0] >= '0' && p[0] <= '3' && p[1] >= '0' &&
		    p[1] <= '9' && p[2] == '$' && (p += 3,
		    seed_hash_chars(&p, 53, 0) == 0) && *p == '\0';
	}
	if (ok)
		return 0;
bad:
	return cause_fail(cause, "the password hash is not one crypt(3) "
	    "writes ($6$..., $5$..., $y$... or $2b$...: e.g. from mkpasswd): "
	    "a hash, never the password itself");
}

/*
 * The seed args asks for ({"ssh_keys": [KEY...], "password_hash": H,
 * "user_data": U}, each optional), checked, into *out: a copy with
 * what was given, or NULL when nothing was.
 */
int
seed_check(json_t *args, json_t **out, char **cause)
{
	json_t		*keys, *hash, *ud, *k, *copy;
	const char	*what;
	char		*s;
	size_t		 i, len;

	*out = NULL;
	if (args == NULL || json_is_null(args))
		return 0;
	if (!json_is_object(args))
		return cause_fail(cause, "the seed must be an object");
	json_object_foreach(args, what, k)
		if (strcmp(what, "ssh_keys") != 0 &&
		    strcmp(what, "password_hash") != 0 &&
		    strcmp(what, "user_data") != 0)
			return cause_fail(cause, "the seed has no \"%.32s\"",
			    what);
	keys = json_object_get(args, "ssh_keys");
	hash = json_object_get(args, "password_hash");
	ud = json_object_get(args, "user_data");
	if (keys != NULL && json_is_null(keys))
		keys = NULL;
	if (hash != NULL && json_is_null(hash))
		hash = NULL;
	if (ud != NULL && json_is_null(ud))
		ud = NULL;
	if (keys != NULL && !json_is_array(keys))
		return cause_fail(cause, "\"ssh_keys\" must be an array of "
		    "strings");
	if (keys != NULL && json_array_size(keys) > FWS_SEED_KEYS_MAX)
		return cause_fail(cause, "%zu SSH keys, at most %d are allowed",
		    json_array_size(keys), FWS_SEED_KEYS_MAX);
	json_array_foreach(keys, i, k) {
		if (!json_is_string(k))
			return cause_fail(cause, "\"ssh_keys\" must be an "
			    "array of strings");
		if (seed_key_check(json_string_value(k),
		    json_string_length(k), &s) == -1) {
			cause_fail(cause, "SSH key %zu: %s", i + 1, s);
			free(s);
			return -1;
		}
	}
	if (hash != NULL && (!json_is_string(hash) ||
	    strlen(json_string_value(hash)) != json_string_length(hash)))
		return cause_fail(cause, "\"password_hash\" must be a string");
	if (hash != NULL && seed_hash_check(json_string_value(hash),
	    cause) == -1)
		return -1;
	if (ud != NULL) {
		if (!json_is_string(ud))
			return cause_fail(cause, "\"user_data\" must be a "
			    "string");
		len = json_string_length(ud);
		if (len == 0)
			return cause_fail(cause, "the user-data is empty");
		if (len > FWS_SEED_USER_DATA_MAX)
			return cause_fail(cause, "the user-data is %zu bytes, "
			    "at most %d are allowed", len,
			    FWS_SEED_USER_DATA_MAX);
		if (memchr(json_string_value(ud), '\0', len) != NULL)
			return cause_fail(cause, "the user-data holds a NUL "
			    "byte: it must be text");
		if (keys != NULL || hash != NULL)
			return cause_fail(cause, "a user-data of your own is "
			    "the whole of it: put the SSH keys and the "
			    "password hash in it (ssh_authorized_keys, "
			    "passwd), not beside it");
	}
	if (keys == NULL && hash == NULL && ud == NULL)
		return 0;
	copy = json_object();
	if (keys != NULL && json_array_size(keys) > 0)
		json_object_set(copy, "ssh_keys", keys);
	if (hash != NULL)
		json_object_set(copy, "password_hash", hash);
	if (ud != NULL)
		json_object_set(copy, "user_data", ud);
	if (json_object_size(copy) == 0) {
		json_decref(copy);
		return 0;
	}
	if ((s = json_dumps(copy, JSON_COMPACT)) == NULL) {
		json_decref(copy);
		return cause_fail(cause, "out of memory");
	}
	len = strlen(s);
	free(s);
	if (len > FWS_SEED_JSON_MAX) {
		json_decref(copy);
		return cause_fail(cause, "the seed is %zu bytes as JSON, at "
		    "most %d KiB are allowed (a VM's definition fits in one "
		    "request)", len, FWS_SEED_JSON_MAX / 1024);
	}
	*out = copy;
	return 0;
}

/*
 * The user-data of a checked seed: the owner's own, or a cloud-config
 * with the keys for the default user and its password hash.  Every
 * value is double-quoted; seed_check let none hold a quote, a
 * backslash or a line break.
 */
char *
seed_user_data(const json_t *seed)
{
	json_t		*ud, *keys, *hash, *k;
	char		*s, *t;
	size_t		 i;

	if ((ud = json_object_get(seed, "user_data")) != NULL)
		return xasprintf("%s", json_string_value(ud));
	s = xasprintf("#cloud-config\n");
	keys = json_object_get(seed, "ssh_keys");
	if (json_array_size(keys) > 0) {
		t = xasprintf("%sssh_authorized_keys:\n", s);
		free(s);
		s = t;
	}
	json_array_foreach(keys, i, k) {
		t = xasprintf("%s  - \"%s\"\n", s, json_string_value(k));
		free(s);
		s = t;
	}
	/*
	 * "user" overrides the image's default user (cloud-init makes it
	 * on the first boot, with useradd -p HASH); any crypt(3) hash
	 */
	if ((hash = json_object_get(seed, "password_hash")) != NULL) {
		t = xasprintf("%suser:\n  passwd: \"%s\"\n  lock_passwd: "
		    "false\n", s, json_string_value(hash));
		free(s);
		s = t;
	}
	return s;
}

/* meta-data: the instance (the uuid: a new one is a new instance). */
char *
seed_meta_data(const char *uuid, const char *name)
{
	return xasprintf("instance-id: \"%s\"\nlocal-hostname: \"%s\"\n",
	    uuid, name);
}

/* What info says of a seed: never its content (a hash stays put). */
json_t *
seed_summary(const json_t *seed)
{
	if (seed == NULL)
		return json_null();
	return json_pack("{sI sb sb}", "ssh_keys",
	    (json_int_t)json_array_size(json_object_get(seed, "ssh_keys")),
	    "user_data", json_object_get(seed, "user_data") != NULL,
	    "password", json_object_get(seed, "password_hash") != NULL);
}
