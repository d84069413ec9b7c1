/*
 * fwsctl-conn.c: fwsctl's connection to fwsd, whichever way it goes:
 * the UNIX socket (descriptors may come with a reply), or TLS to a
 * remote fwsd's listen_tls, with a client certificate and the server's
 * checked against the CA and the host name (or address) connected to.
 * The target is "unix:PATH" or "tls://HOST[:PORT]" (conn_parse, a pure
 * function).  fwsctl is synchronous: everything here blocks.  The JSON
 * is fwsctl.c's; this moves bytes.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "fws.h"
#include "fwsctl.h"

static int	 conn_fd = -1;
static SSL_CTX	*conn_ctx;
static SSL	*conn_ssl;
static struct conn_target conn_to;
static const char *conn_file[3];	/* --cert, --key, --ca */
static const char *const conn_file_name[3] = { "cert.pem", "key.pem",
    "ca.pem" };

/*
 * "unix:PATH" (an absolute path) or "tls://HOST[:PORT]" into t (PORT
 * defaults to FWS_TLS_PORT).  -1 and why when it is neither.
 */
int
conn_parse(const char *s, struct conn_target *t, char **cause)
{
	memset(t, 0, sizeof(*t));
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/')
			return cause_fail(cause, "%.64s: unix:PATH takes an "
			    "absolute path", s);
		t->ct_tls = 0;
		t->ct_path = s + 5;
		return 0;
	}
	if (strncmp(s, "tls://", 6) == 0) {
		t->ct_tls = 1;
		if (strchr(s + 6, '/') != NULL)
			return cause_fail(cause, "%.64s: tls://HOST[:PORT] "
			    "takes no path", s);
		return validate_hostport(s + 6, FWS_TLS_PORT, t->ct_host,
		    sizeof(t->ct_host), t->ct_port, sizeof(t->ct_port), cause);
	}
	return cause_fail(cause, "%.64s: expected tls://HOST[:PORT] or "
	    "unix:PATH", s);
}

/* Where fwsctl connects from now on. */
void
conn_target(const struct conn_target *t)
{
	conn_to = *t;
}

/* --cert, --key and --ca: NULL for the default. */
void
conn_tls_files(const char *cert, const char *key, const char *ca)
{
	conn_file[0] = cert;
	conn_file[1] = key;
	conn_file[2] = ca;
}

int
conn_is_tls(void)
{
	return conn_to.ct_tls;
}

/*
 * The directory of the certificate files not named: $FWS_TLS_DIR, else
 * ~/.config/fws/tls when it holds cert.pem, else /etc/fws/tls.
 */
static char *
conn_tls_dir(void)
{
	const char	*env = getenv("FWS_TLS_DIR"), *home = getenv("HOME");
	struct passwd	*pw;
	char		*dir, *cert;

	if (env != NULL && *env != '\0')
		return xasprintf("%s", env);
	if ((home == NULL || *home == '\0') && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home != NULL && *home != '\0') {
		dir = xasprintf("%s/.config/fws/tls", home);
		cert = xasprintf("%s/cert.pem", dir);
		if (access(cert, F_OK) == 0) {
			free(cert);
			return dir;
		}
		free(cert);
		free(dir);
	}
	return xasprintf("/etc/fws/tls");
}

/* OpenSSL's last error as words, the queue emptied. */
static const char *
conn_ssl_error(void)
{
	static char	 buf[256];
	unsigned long	 e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last == 0)
		return errno != 0 ? strerror(errno) : "connection closed";
	ERR_error_string_n(last, buf, sizeof(buf));
	return buf;
}

/* The client's context: TLS 1.3, our certificate, the CA we trust. */
static void
conn_tls_ctx(void)
{
	char	*dir = NULL, *path[3];
	int	 i;

	for (i = 0; i < 3; i++) {
		if (conn_file[i] != NULL) {
			path[i] = xasprintf("%s", conn_file[i]);
			continue;
		}
		if (dir == NULL)
			dir = conn_tls_dir();
		path[i] = xasprintf("%s/%s", dir, conn_file_name[i]);
	}
	free(dir);
	if ((conn_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		fwsctl_errx(1, "TLS: %s", conn_ssl_error());
	SSL_CTX_set_min_proto_version(conn_ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(conn_ctx, TLS1_3_VERSION);
	if (SSL_CTX_load_verify_locations(conn_ctx, path[2], NULL) != 1)
		fwsctl_errx(1, "CA %s (--ca): %s", path[2], conn_ssl_error());
	if (SSL_CTX_use_certificate_chain_file(conn_ctx, path[0]) != 1)
		fwsctl_errx(1, "certificate %s (--cert): %s", path[0],
		    conn_ssl_error());
	if (SSL_CTX_use_PrivateKey_file(conn_ctx, path[1],
	    SSL_FILETYPE_PEM) != 1)
		fwsctl_errx(1, "key %s (--key): %s", path[1], conn_ssl_error());
	if (SSL_CTX_check_private_key(conn_ctx) != 1)
		fwsctl_errx(1, "key %s does not match certificate %s", path[1],
		    path[0]);
	SSL_CTX_set_verify(conn_ctx, SSL_VERIFY_PEER, NULL);
	for (i = 0; i < 3; i++)
		free(path[i]);
}

/* A TCP connection to HOST:PORT, the first address that answers. */
static int
conn_tcp(const char *where)
{
	struct addrinfo	 hints, *res, *ai;
	int		 s = -1, rc, saved = 0, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(conn_to.ct_host, conn_to.ct_port, &hints,
	    &res)) != 0)
		fwsctl_errx(1, "cannot reach fwsd at %s: %s", where,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1) {
			saved = errno;
			continue;
		}
		/* the handshake's records go at once, not after an ACK */
		(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(s);
		s = -1;
	}
	freeaddrinfo(res);
	if (s == -1)
		fwsctl_errx(1, "cannot reach fwsd at %s: %s", where,
		    strerror(saved));
	return s;
}

/* A TLS connection to the target, its certificate checked. */
static void
conn_tls_open(void)
{
	X509_VERIFY_PARAM	*vp;
	struct in6_addr		 in6;
	struct in_addr		 in4;
	char			 where[VALIDATE_HOST_MAX + 16];
	long			 v;
	int			 ip;

	snprintf(where, sizeof(where), strchr(conn_to.ct_host, ':') ?
	    "tls://[%s]:%s" : "tls://%s:%s", conn_to.ct_host, conn_to.ct_port);
	if (conn_ctx == NULL)
		conn_tls_ctx();
	/* a peer gone mid-write is an error to report, not a signal */
	signal(SIGPIPE, SIG_IGN);
	conn_fd = conn_tcp(where);
	if ((conn_ssl = SSL_new(conn_ctx)) == NULL ||
	    SSL_set_fd(conn_ssl, conn_fd) != 1)
		fwsctl_errx(1, "TLS: %s", conn_ssl_error());
	ip = inet_pton(AF_INET, conn_to.ct_host, &in4) == 1 ||
	    inet_pton(AF_INET6, conn_to.ct_host, &in6) == 1;
	vp = SSL_get0_param(conn_ssl);
	if (ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, conn_to.ct_host) != 1 :
	    X509_VERIFY_PARAM_set1_host(vp, conn_to.ct_host, 0) != 1)
		fwsctl_errx(1, "TLS: %s", conn_ssl_error());
	if (!ip)
		SSL_set_tlsext_host_name(conn_ssl, conn_to.ct_host);
	errno = 0;
	if (SSL_connect(conn_ssl) != 1) {
		if ((v = SSL_get_verify_result(conn_ssl)) != X509_V_OK)
			fwsctl_errx(1, "%s: the server's certificate: %s", where,
			    X509_verify_cert_error_string(v));
		fwsctl_errx(1, "%s: TLS handshake: %s", where,
		    conn_ssl_error());
	}
}

/* Connect to fwsd; exits 1 with the reason when it cannot. */
void
conn_open(void)
{
	if (conn_to.ct_tls)
		conn_tls_open();
	else
		conn_fd = fwsctl_connect();
}

/* Send all of buf; -1 (errno set) when the connection is gone. */
ssize_t
conn_send(const void *buf, size_t len)
{
	int	 n;

	if (conn_ssl == NULL)
		return send(conn_fd, buf, len, MSG_NOSIGNAL);
	if (len == 0)
		return 0;
	errno = 0;
	if ((n = SSL_write(conn_ssl, buf, (int)len)) <= 0) {
		if (errno == 0)
			errno = EPIPE;
		return -1;
	}
	return n;
}

/*
 * Read what came, up to len bytes: 0 at the end, -1 when the connection
 * failed.  A TLS refusal (fwsd's alert: no certificate, not allowed)
 * exits with its words.  A descriptor passed along (the UNIX socket
 * only) lands in *fdp when fdp is given.
 */
ssize_t
conn_recv(void *buf, size_t len, int *fdp)
{
	int	 n, err;

	if (conn_ssl == NULL)
		return sock_recv_fd(conn_fd, buf, len, fdp);
	errno = 0;
	if ((n = SSL_read(conn_ssl, buf, (int)len)) > 0)
		return n;
	err = SSL_get_error(conn_ssl, n);
	if (err == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (err == SSL_ERROR_SSL)
		fwsctl_errx(1, "fwsd refused this client: %s",
		    conn_ssl_error());
	ERR_clear_error();
	if (errno == ECONNRESET)
		fwsctl_errx(1, "fwsd reset the TLS connection (did it refuse "
		    "this client's certificate?)");
	return errno == 0 ? 0 : -1;
}

/*
 * Wait up to ms for something to read: 1 when it came (or the end),
 * 0 when the time ran out.
 */
int
conn_wait(int ms)
{
	struct pollfd	 pfd;

	if (conn_ssl != NULL && SSL_pending(conn_ssl) > 0)
		return 1;
	pfd.fd = conn_fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, ms) != 0;
}

void
conn_close(void)
{
	if (conn_ssl != NULL) {
		SSL_shutdown(conn_ssl);
		SSL_free(conn_ssl);
		conn_ssl = NULL;
	}
	if (conn_fd != -1)
		close(conn_fd);
	conn_fd = -1;
}

/* At exit: what the client's context holds. */
void
conn_release(void)
{
	conn_close();
	if (conn_ctx != NULL)
		SSL_CTX_free(conn_ctx);
	conn_ctx = NULL;
}
