/*
 * web-config.c: fws-web.conf, "key = value" lines ('#' starts a
 * comment) as in fwsd.conf, and the defaults behind them.  It knows the
 * keys and their types; fws-web.c opens what they name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "web.h"

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xasprintf("%s", v);
}

void
web_config_defaults(struct web_config *cf)
{
	memset(cf, 0, sizeof(*cf));
	set_str(&cf->wcf_listen, WEB_LISTEN_DEFAULT);
	set_str(&cf->wcf_tls_cert, WEB_STATE_DIR "/cert.pem");
	set_str(&cf->wcf_tls_key, WEB_STATE_DIR "/key.pem");
	set_str(&cf->wcf_fwsd_socket, FWS_RUN_DIR_DEFAULT "/" FWS_SOCKET_NAME);
	set_str(&cf->wcf_static_dir, WEB_STATIC_DEFAULT);
	set_str(&cf->wcf_novnc_dir, WEB_NOVNC_DEFAULT);
	set_str(&cf->wcf_xterm_dir, WEB_XTERM_DEFAULT);
	set_str(&cf->wcf_user, WEB_USER_DEFAULT);
	cf->wcf_session_idle = WEB_SESSION_IDLE;
	cf->wcf_session_max = WEB_SESSION_MAX;
}

/* Every key, once: fws-web(8) documents each (t-web.sh checks). */
static const struct {
	const char	*key;
	size_t		 off;		/* a string's, or -1 */
} web_config_paths[] = {
	{ "listen",	 offsetof(struct web_config, wcf_listen) },
	{ "tls_cert",	 offsetof(struct web_config, wcf_tls_cert) },
	{ "tls_key",	 offsetof(struct web_config, wcf_tls_key) },
	{ "fwsd_socket", offsetof(struct web_config, wcf_fwsd_socket) },
	{ "static_dir",	 offsetof(struct web_config, wcf_static_dir) },
	{ "novnc_dir",	 offsetof(struct web_config, wcf_novnc_dir) },
	{ "xterm_dir",	 offsetof(struct web_config, wcf_xterm_dir) },
	{ "user",	 offsetof(struct web_config, wcf_user) },
};

int
web_config_set(struct web_config *cf, const char *key, const char *v,
    char **cause)
{
	char	 host[VALIDATE_HOST_MAX + 1], port[VALIDATE_PORT_LEN + 1];
	char	*why;
	size_t	 i;

	for (i = 0; i < sizeof(web_config_paths) / sizeof(*web_config_paths);
	    i++) {
		if (strcmp(key, web_config_paths[i].key) != 0)
			continue;
		if (strcmp(key, "listen") == 0 &&
		    validate_hostport(v, NULL, host, sizeof(host), port,
		    sizeof(port), &why) == -1) {
			cause_fail(cause, "listen = %s: give ADDRESS:PORT (%s)",
			    v, why);
			free(why);
			return -1;
		}
		if (strcmp(key, "user") != 0 && strcmp(key, "listen") != 0 &&
		    *v != '/')
			return cause_fail(cause, "%s = %s: an absolute path is "
			    "needed", key, v);
		set_str((char **)((char *)cf + web_config_paths[i].off), v);
		return 0;
	}
	if (strcmp(key, "session_idle") == 0 || strcmp(key, "session_max") == 0) {
		if (parse_duration(v, strcmp(key, "session_idle") == 0 ?
		    &cf->wcf_session_idle : &cf->wcf_session_max, &why) == -1) {
			cause_fail(cause, "%s = %s", key, why);
			free(why);
			return -1;
		}
		return 0;
	}
	return cause_fail(cause, "unknown key \"%s\"", key);
}

/* web_config_set, as conf_file_read calls it */
static int
web_config_set_pair(void *cf, const char *key, const char *v, char **why)
{
	return web_config_set(cf, key, v, why);
}

/*
 * Read path into cf.  A missing file is fine unless must_exist (given
 * with --config).  Errors name the file and the line.
 */
int
web_config_load(struct web_config *cf, const char *path, int must_exist,
    char **cause)
{
	if (conf_file_read(path, must_exist, web_config_set_pair, cf,
	    cause) == -1)
		return -1;
	if (cf->wcf_session_idle > cf->wcf_session_max)
		return cause_fail(cause, "%s: session_idle is longer than "
		    "session_max", path);
	return 0;
}

void
web_config_clear(struct web_config *cf)
{
	size_t	 i;

	for (i = 0; i < sizeof(web_config_paths) / sizeof(*web_config_paths);
	    i++)
		free(*(char **)((char *)cf + web_config_paths[i].off));
	memset(cf, 0, sizeof(*cf));
}
