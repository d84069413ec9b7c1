/*
 * fws-web.c: main: flags, the configuration, the certificate (made
 * self-signed at a first start without one), the listening socket,
 * leaving root for the fws-web account before any byte of HTTP is
 * read, signals and the event loop.  It runs in the foreground (under
 * systemd, or by hand), logging to stderr.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "fws.h"
#include "log.h"
#include "web.h"

struct event_base	*web_base;
struct web_config	 web_conf;

static void __attribute__((noreturn))
usage(int rc)
{
	fprintf(rc ? stderr : stdout, "usage: fws-web [--foreground] "
	    "[--verbose] [--config FILE]\n"
	    "       fws-web --version\n");
	exit(rc);
}

/* The certificate and key, made self-signed when both are missing. */
static void
web_certificate(void)
{
	const char	*cert = web_conf.wcf_tls_cert, *key = web_conf.wcf_tls_key;
	char		*dir, *cause;
	int		 have_cert = access(cert, F_OK) == 0;
	int		 have_key = access(key, F_OK) == 0;

	if (have_cert && have_key)
		return;
	if (have_cert || have_key)
		fatalx("%s is there but %s is not: give both, or neither for a "
		    "self-signed certificate", have_cert ? cert : key,
		    have_cert ? key : cert);
	dir = xasprintf("%s", cert);
	if (mkdir(dirname(dir), 0750) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
	free(dir);
	if (web_tls_selfsign(cert, key, &cause) == -1)
		fatalx("a self-signed certificate: %s", cause);
	log_warnx("made a self-signed certificate %s (its key %s); browsers "
	    "will warn: give fws-web a real one (tls_cert, tls_key in "
	    "fws-web.conf)", cert, key);
}

static int
web_listen(const char *listen_on)
{
	char		 host[VALIDATE_HOST_MAX + 1], port[VALIDATE_PORT_LEN + 1];
	char		*cause;
	struct addrinfo	 hints, *res;
	int		 s, on = 1, e;

	if (validate_hostport(listen_on, NULL, host, sizeof(host), port,
	    sizeof(port), &cause) == -1)
		fatalx("listen = %s: %s", listen_on, cause);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		fatalx("listen = %s: %s", listen_on, gai_strerror(e));
	s = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (s == -1 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1 || bind(s, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(s, 128) == -1)
		fatal("listen = %s", listen_on);
	freeaddrinfo(res);
	return s;
}

/* Root is left for good: the account's uid, gid and groups (fwsd's). */
static void
web_drop_root(void)
{
	struct passwd	*pw;

	if (geteuid() != 0)
		return;
	if ((pw = getpwnam(web_conf.wcf_user)) == NULL)
		fatalx("user = %s: no such account (contrib/accounts.sh makes "
		    "fws-web)", web_conf.wcf_user);
	if (pw->pw_uid == 0)
		fatalx("user = %s: fws-web does not serve as root",
		    web_conf.wcf_user);
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
		fatal("dropping root for %s", pw->pw_name);
	if (setuid(0) != -1)
		fatalx("root could be taken back after dropping it");
}

static void
web_signal(int sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	log_info("fws-web: signal %d, stopping", sig);
	event_base_loopbreak(web_base);
}

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "foreground",	no_argument,		NULL, 'f' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const char	*config = WEB_CONFIG_DEFAULT;
	struct event	*ev_term, *ev_int;
	SSL_CTX		*ctx;
	char		*cause;
	int		 ch, verbose = 0, given = 0, fd;

	while ((ch = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			given = 1;
			break;
		case 'f':
			break;		/* it always is */
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("fws-web %s\n", FWS_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	log_init(1, verbose);
	web_config_defaults(&web_conf);
	if (web_config_load(&web_conf, config, given, &cause) == -1)
		fatalx("%s", cause);
	signal(SIGPIPE, SIG_IGN);
	web_certificate();
	if ((ctx = web_tls_context(web_conf.wcf_tls_cert, web_conf.wcf_tls_key,
	    &cause)) == NULL)
		fatalx("TLS: %s", cause);
	fd = web_listen(web_conf.wcf_listen);
	web_drop_root();
	if (access(web_conf.wcf_static_dir, R_OK | X_OK) == -1)
		log_warn("static_dir %s: the panel's pages cannot be served",
		    web_conf.wcf_static_dir);
	if ((web_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	ev_term = evsignal_new(web_base, SIGTERM, web_signal, NULL);
	ev_int = evsignal_new(web_base, SIGINT, web_signal, NULL);
	if (ev_term == NULL || ev_int == NULL || evsignal_add(ev_term, NULL) ==
	    -1 || evsignal_add(ev_int, NULL) == -1)
		fatalx("signals");
	web_session_init(web_conf.wcf_session_idle, web_conf.wcf_session_max,
	    NULL);
	web_limit_init(WEB_LOGIN_FAILS, WEB_LOGIN_WINDOW, NULL);
	web_fwsd_init(web_conf.wcf_fwsd_socket);
	web_proxy_init();
	if (web_http_listen(fd, ctx, web_route_dispatch) == -1)
		fatalx("cannot serve on %s", web_conf.wcf_listen);
	log_info("fws-web %s: https on %s, fwsd at %s, as uid %u",
	    FWS_VERSION, web_conf.wcf_listen, web_conf.wcf_fwsd_socket,
	    (unsigned)getuid());
	event_base_dispatch(web_base);
	web_proxy_shutdown();
	web_http_shutdown();
	web_fwsd_shutdown();
	web_session_clear();
	event_free(ev_term);
	event_free(ev_int);
	event_base_free(web_base);
	SSL_CTX_free(ctx);
	web_config_clear(&web_conf);
	return 0;
}
