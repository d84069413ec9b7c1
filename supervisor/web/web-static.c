/*
 * web-static.c: files served as they are, from the configured
 * directories only: the path is percent-decoded once and refused with
 * an empty, hidden, "." or ".." segment, a backslash or a NUL; what it
 * names must resolve (symbolic links followed) to a regular file inside
 * the directory; its type comes from a fixed table of extensions, and
 * a file of any other extension is not served.  Files are read from
 * the page cache through the reply's buffer (small, read-only pages).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "web.h"

static const struct {
	const char	*ext;
	const char	*type;
} web_static_types[] = {
	{ ".html",	"text/html; charset=utf-8" },
	{ ".js",	"text/javascript; charset=utf-8" },
	{ ".mjs",	"text/javascript; charset=utf-8" },
	{ ".css",	"text/css; charset=utf-8" },
	{ ".json",	"application/json" },
	{ ".png",	"image/png" },
	{ ".svg",	"image/svg+xml" },
	{ ".ico",	"image/x-icon" },
	{ ".woff",	"font/woff" },
	{ ".woff2",	"font/woff2" },
	{ ".ttf",	"font/ttf" },
	{ ".txt",	"text/plain; charset=utf-8" },
};

/* The content type for a file's name, or NULL: not served. */
const char *
web_static_type(const char *path)
{
	const char	*dot, *slash;
	size_t		 i;

	slash = strrchr(path, '/');
	if ((dot = strrchr(path, '.')) == NULL || (slash != NULL && dot < slash))
		return NULL;
	for (i = 0; i < sizeof(web_static_types) / sizeof(*web_static_types);
	    i++)
		if (strcmp(dot, web_static_types[i].ext) == 0)
			return web_static_types[i].type;
	return NULL;
}

/*
 * A path below a directory (no leading '/'), percent-decoded into out:
 * 0, or -1 when it is not one fws-web serves.
 */
int
web_static_path(const char *rel, char *out, size_t outlen)
{
	const char	*p;
	char		*seg, *q = out;
	int		 hi, lo;

	for (p = rel; *p != '\0'; p++) {
		if ((size_t)(q - out) + 1 >= outlen)
			return -1;
		if (*p == '%') {
			if ((hi = validate_hexval((unsigned char)p[1])) == -1 ||
			    (lo = validate_hexval((unsigned char)p[2])) == -1)
				return -1;
			*q++ = hi << 4 | lo;
			p += 2;
		} else
			*q++ = *p;
	}
	*q = '\0';
	if (*out == '\0' || memchr(out, '\0', q - out) != NULL ||
	    strchr(out, '\\') != NULL)
		return -1;
	for (seg = out; seg != NULL; seg = (seg = strchr(seg, '/')) ? seg + 1 :
	    NULL) {
		/* empty, ".", "..", and hidden files alike */
		if (*seg == '/' || *seg == '\0' || *seg == '.')
			return -1;
	}
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return -1;
	return 0;
}

/* rel (as in the request's path) from dir, or 404. */
void
web_static_serve(struct web_conn *cn, const char *dir, const char *rel)
{
	char		 path[PATH_MAX], full[PATH_MAX + 64];
	char		*real = NULL, *root = NULL;
	const char	*type;
	struct stat	 st;
	size_t		 rlen;
	int		 fd = -1;

	if (web_static_path(rel, path, sizeof(path)) == -1 ||
	    (type = web_static_type(path)) == NULL ||
	    (size_t)snprintf(full, sizeof(full), "%s/%s", dir, path) >=
	    sizeof(full))
		goto notfound;
	if ((root = realpath(dir, NULL)) == NULL ||
	    (real = realpath(full, NULL)) == NULL)
		goto notfound;
	rlen = strlen(root);
	if (strncmp(real, root, rlen) != 0 || real[rlen] != '/')
		goto notfound;	/* a link out of the directory */
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > WEB_FILE_MAX)
		goto notfound;
	free(real);
	free(root);
	web_http_reply_file(cn, type, fd, (size_t)st.st_size);
	return;
notfound:
	if (fd != -1)
		close(fd);
	free(real);
	free(root);
	web_http_error(cn, 404, "not_found", "no such file");
}
