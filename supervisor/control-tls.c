/*
 * control-tls.c: listen_tls, the remote way in.  It listens on a TCP
 * address, speaks TLS 1.3 only (OpenSSL through bufferevent_openssl,
 * so every handshake runs in the loop without blocking it) and asks
 * every client for a certificate: one that verifies against tls_ca
 * (and tls_crl), is within its validity, and whose common name
 * tls_allowed maps to an admin or a local user.  Any other is refused
 * during the handshake, before a byte of a request is read, and the
 * log says why.  A client whose handshake succeeds is handed to
 * control.c (control_adopt) with the identity its certificate gives: from
 * then on it is a connection like the UNIX socket's, under the same
 * caps and timeouts.
 *
 * Before the handshake nobody is known, so nobody is trusted: an
 * address may have max_clients_per_user handshakes under way, everyone
 * max_clients, each at most FWS_TLS_HANDSHAKE seconds (or
 * client_idle_timeout, when shorter).  Sessions are never resumed:
 * every connection shows its certificate.  The files are read at
 * start-up; new ones take a restart of fwsd (the guests keep running).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define TLS_PAUSE		1	/* s without accepting, out of fds */
#define TLS_LOG_EVERY		10	/* s: a window of refusal lines */
#define TLS_LOG_MAX		20	/* refusal lines in a window */

/* A connection whose handshake is under way. */
struct tls_hs {
	TAILQ_ENTRY(tls_hs)	 hs_entry;
	struct bufferevent	*hs_bev;
	struct event		*hs_timer;
	char			 hs_peer[INET6_ADDRSTRLEN + 8];
	char			 hs_addr[INET6_ADDRSTRLEN];	/* for caps */
	const struct tls_allow	*hs_allow;	/* who the certificate is */
	char			 hs_why[320];	/* why it was refused */
};
TAILQ_HEAD(tls_hss, tls_hs);

static struct tls_hss	 tls_hss = TAILQ_HEAD_INITIALIZER(tls_hss);
static unsigned		 tls_nhs;
static SSL_CTX		*tls_ctx;
static int		 tls_fd = -1;
static struct event	*tls_ev;
static struct event	*tls_resume_ev;
static struct event	*tls_log_ev;	/* the end of a window of refusals */
static unsigned		 tls_logged;	/* refusals logged in the window */
static unsigned		 tls_unlogged;	/* and those not */
static struct timeval	 tls_hs_tv;

/* The end of a window: the refusals not logged, counted. */
static void
tls_log_window(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (tls_unlogged != 0)
		log_warnx("tls: %u more connections refused in %d s",
		    tls_unlogged, TLS_LOG_EVERY);
	tls_logged = tls_unlogged = 0;
}

/* A refused client, a line in the log: TLS_LOG_MAX a window at most. */
static void
tls_log_refusal(const char *peer, const char *why)
{
	struct timeval	 tv = { TLS_LOG_EVERY, 0 };

	if (!evtimer_pending(tls_log_ev, NULL))
		evtimer_add(tls_log_ev, &tv);
	if (tls_logged++ >= TLS_LOG_MAX) {
		tls_unlogged++;
		return;
	}
	log_warnx("tls: %s refused: %s", peer, why);
}

static void
tls_hs_free(struct tls_hs *hs)
{
	TAILQ_REMOVE(&tls_hss, hs, hs_entry);
	tls_nhs--;
	if (hs->hs_bev != NULL)
		bufferevent_free(hs->hs_bev);
	event_free(hs->hs_timer);
	free(hs);
	/* a descriptor is free again */
	if (tls_resume_ev != NULL && evtimer_pending(tls_resume_ev, NULL)) {
		evtimer_del(tls_resume_ev);
		event_add(tls_ev, NULL);
	}
}

/*
 * The certificate's common name into buf: its subject must hold one CN,
 * of printable characters.  -1 and why in buf when it does not.
 */
static int
tls_cn(X509 *x, char *buf, size_t len)
{
	X509_NAME	*name = X509_get_subject_name(x);
	unsigned char	*utf8 = NULL;
	int		 i, n;

	if (name == NULL ||
	    (i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0) {
		snprintf(buf, len, "the certificate has no common name");
		return -1;
	}
	if (X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0) {
		snprintf(buf, len, "the certificate has several common names");
		return -1;
	}
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(name, i)));
	if (n <= 0 || n > FWS_TLS_CN_MAX || (size_t)n >= len) {
		OPENSSL_free(utf8);
		snprintf(buf, len, "the certificate's common name is empty or "
		    "longer than %d bytes", FWS_TLS_CN_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (utf8[i] < 0x20 || utf8[i] == 0x7f) {
			OPENSSL_free(utf8);
			snprintf(buf, len, "a control character in the "
			    "certificate's common name");
			return -1;
		}
	memcpy(buf, utf8, n);
	buf[n] = '\0';
	OPENSSL_free(utf8);
	return 0;
}

/* tls_allowed's entry for a common name, or NULL. */
static const struct tls_allow *
tls_allowed(const char *cn)
{
	int	 i;

	for (i = 0; i < conf.cf_ntls_allowed; i++)
		if (strcmp(conf.cf_tls_allowed[i].ta_cn, cn) == 0)
			return &conf.cf_tls_allowed[i];
	return NULL;
}

/*
 * OpenSSL's verdict on each certificate of the client's chain, and ours
 * on the client's own (depth 0): its common name must be allowed.  A
 * refusal fails the handshake with an alert; its reason is kept for
 * the log.
 */
static int
tls_verify(int ok, X509_STORE_CTX *ctx)
{
	SSL		*ssl;
	struct tls_hs	*hs;
	X509		*x = X509_STORE_CTX_get_current_cert(ctx);
	char		 cn[FWS_TLS_CN_MAX + 1], why[128];
	int		 err = X509_STORE_CTX_get_error(ctx);

	ssl = X509_STORE_CTX_get_ex_data(ctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (hs = SSL_get_app_data(ssl)) == NULL)
		return 0;
	if (!ok) {
		if (x == NULL || tls_cn(x, cn, sizeof(cn)) == -1)
			snprintf(cn, sizeof(cn), "?");
		snprintf(hs->hs_why, sizeof(hs->hs_why), "certificate CN=%s "
		    "(depth %d): %s", cn, X509_STORE_CTX_get_error_depth(ctx),
		    X509_verify_cert_error_string(err));
		return 0;
	}
	if (X509_STORE_CTX_get_error_depth(ctx) != 0)
		return 1;
	if (tls_cn(x, cn, sizeof(cn)) == -1) {
		snprintf(why, sizeof(why), "%s", cn);
		snprintf(hs->hs_why, sizeof(hs->hs_why), "%s", why);
		X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	if ((hs->hs_allow = tls_allowed(cn)) == NULL) {
		snprintf(hs->hs_why, sizeof(hs->hs_why), "certificate CN=%s is "
		    "not in tls_allowed", cn);
		X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return 1;
}

/* The handshake took too long: the peer is gone, or never meant it. */
static void
tls_hs_timeout(int fd, short what, void *arg)
{
	struct tls_hs	*hs = arg;

	(void)fd;
	(void)what;
	tls_log_refusal(hs->hs_peer, "no handshake in time");
	tls_hs_free(hs);
}

/* OpenSSL's reason for a failed handshake, or the socket's. */
static void
tls_hs_error(struct tls_hs *hs, short what)
{
	unsigned long	 e, last = 0;
	char		 buf[200];

	/* libevent queues SSL_get_error's code too: OpenSSL's own are kept */
	while ((e = bufferevent_get_openssl_error(hs->hs_bev)) != 0)
		if (ERR_GET_LIB(e) != 0 && last == 0)
			last = e;
	if (hs->hs_why[0] != '\0')
		return;
	if (last != 0) {
		ERR_error_string_n(last, buf, sizeof(buf));
		snprintf(hs->hs_why, sizeof(hs->hs_why), "handshake: %s", buf);
	} else if (what & BEV_EVENT_EOF)
		snprintf(hs->hs_why, sizeof(hs->hs_why), "closed during the "
		    "handshake");
	else
		snprintf(hs->hs_why, sizeof(hs->hs_why), "handshake: %s",
		    errno != 0 ? strerror(errno) : "failed");
}

/*
 * A certificate's subject, RFC 4514 (most specific first: "CN=hosta" or
 * "CN=hosta,O=Example"), the form GnuTLS gives QEMU's tls-authz: 0, or
 * -1 when it does not fit.
 */
static int
tls_dn(X509 *x, char *buf, size_t len)
{
	BIO	*b;
	int	 n;

	if (x == NULL || (b = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	n = X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
	    XN_FLAG_RFC2253);
	if (n <= 0 || (size_t)n >= len || BIO_read(b, buf, n) != n) {
		BIO_free(b);
		return -1;
	}
	buf[n] = '\0';
	BIO_free(b);
	return 0;
}

static void
tls_hs_event(struct bufferevent *bev, short what, void *arg)
{
	struct tls_hs		*hs = arg;
	const struct tls_allow	*ta;
	SSL			*ssl = bufferevent_openssl_get_ssl(bev);
	char			 subject[FWS_TLS_DN_MAX + 1];

	if (!(what & BEV_EVENT_CONNECTED)) {
		tls_hs_error(hs, what);
		tls_log_refusal(hs->hs_peer, hs->hs_why);
		tls_hs_free(hs);
		return;
	}
	/* verified already: tls_verify said yes to this very chain */
	ta = hs->hs_allow;
	if (ta == NULL || SSL_get_verify_result(ssl) != X509_V_OK ||
	    SSL_get0_peer_certificate(ssl) == NULL) {
		tls_log_refusal(hs->hs_peer, "no verified certificate");
		tls_hs_free(hs);
		return;
	}
	/* its whole subject, as QEMU's tls-authz names a certificate */
	if (tls_dn(SSL_get0_peer_certificate(ssl), subject,
	    sizeof(subject)) == -1)
		snprintf(subject, sizeof(subject), "CN=%s", ta->ta_cn);
	log_info("tls: %s: %s connected as %s", hs->hs_peer, subject,
	    ta->ta_user == NULL ? "admin" : ta->ta_user);
	hs->hs_bev = NULL;
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	tls_hs_free(hs);
	control_adopt(bev, ta->ta_uid, ta->ta_user == NULL, subject);
}

/* Handshakes under way from addr. */
static unsigned
tls_hs_from(const char *addr)
{
	struct tls_hs	*hs;
	unsigned	 n = 0;

	TAILQ_FOREACH(hs, &tls_hss, hs_entry)
		if (strcmp(hs->hs_addr, addr) == 0)
			n++;
	return n;
}

static void
tls_resume(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_add(tls_ev, NULL);
}

static void
tls_accept(int fd, short what, void *arg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	struct timeval		 tv = { TLS_PAUSE, 0 };
	struct tls_hs		*hs;
	char			 addr[INET6_ADDRSTRLEN], port[8];
	SSL			*ssl;
	int			 s, on = 1;

	(void)what;
	(void)arg;
	if ((s = accept4(fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		/* out of descriptors, or worse: it would fail again at once */
		log_warn("tls: accept");
		event_del(tls_ev);
		evtimer_add(tls_resume_ev, &tv);
		return;
	}
	/* a handshake's and a reply's records go at once, not after an ACK */
	(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (getnameinfo((struct sockaddr *)&ss, sslen, addr, sizeof(addr),
	    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(addr, sizeof(addr), "?");
		snprintf(port, sizeof(port), "?");
	}
	if (tls_nhs >= conf.cf_max_clients ||
	    tls_hs_from(addr) >= conf.cf_max_clients_per_user) {
		close(s);
		tls_log_refusal(addr, tls_nhs >= conf.cf_max_clients ?
		    "max_clients handshakes under way" :
		    "max_clients_per_user handshakes under way from there");
		return;
	}
	if ((hs = calloc(1, sizeof(*hs))) == NULL ||
	    (hs->hs_timer = evtimer_new(base, tls_hs_timeout, hs)) == NULL) {
		log_warn("tls: calloc");
		free(hs);
		close(s);
		return;
	}
	snprintf(hs->hs_addr, sizeof(hs->hs_addr), "%s", addr);
	snprintf(hs->hs_peer, sizeof(hs->hs_peer), strchr(addr, ':') != NULL ?
	    "[%s]:%s" : "%s:%s", addr, port);
	TAILQ_INSERT_TAIL(&tls_hss, hs, hs_entry);
	tls_nhs++;
	if ((ssl = SSL_new(tls_ctx)) == NULL) {
		log_warnx("tls: SSL_new failed");
		close(s);
		tls_hs_free(hs);
		return;
	}
	SSL_set_app_data(ssl, hs);
	hs->hs_bev = bufferevent_openssl_socket_new(base, s, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (hs->hs_bev == NULL) {
		log_warnx("tls: bufferevent_openssl_socket_new failed");
		SSL_free(ssl);
		close(s);
		tls_hs_free(hs);
		return;
	}
	/* a peer gone without close_notify is an end, not an error */
	bufferevent_openssl_set_allow_dirty_shutdown(hs->hs_bev, 1);
	bufferevent_setcb(hs->hs_bev, NULL, NULL, tls_hs_event, hs);
	bufferevent_enable(hs->hs_bev, EV_READ | EV_WRITE);
	evtimer_add(hs->hs_timer, &tls_hs_tv);
}

/* OpenSSL's last error, as a cause. */
static int
tls_fail(char **cause, const char *what, const char *path)
{
	char	 buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	ERR_clear_error();
	return cause_fail(cause, "listen_tls: %s %s: %s", what, path, buf);
}

/* fwsd's certificate and key, the CA (and CRL) clients must verify against. */
static SSL_CTX *
tls_ctx_new(char **cause)
{
	SSL_CTX			*ctx;
	STACK_OF(X509_NAME)	*cas;
	X509_STORE		*store;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_fail(cause, "cannot make a context", "");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* every connection shows its certificate: no resumption */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	if (SSL_CTX_use_certificate_chain_file(ctx, conf.cf_tls_cert) != 1) {
		tls_fail(cause, "tls_cert", conf.cf_tls_cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, conf.cf_tls_key,
	    SSL_FILETYPE_PEM) != 1) {
		tls_fail(cause, "tls_key", conf.cf_tls_key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_fail(cause, "tls_key does not match", conf.cf_tls_cert);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, conf.cf_tls_ca, NULL) != 1) {
		tls_fail(cause, "tls_ca", conf.cf_tls_ca);
		goto fail;
	}
	/* the CA is named to clients, which pick their certificate by it */
	if ((cas = SSL_load_client_CA_file(conf.cf_tls_ca)) == NULL) {
		tls_fail(cause, "tls_ca", conf.cf_tls_ca);
		goto fail;
	}
	SSL_CTX_set_client_CA_list(ctx, cas);
	if (conf.cf_tls_crl != NULL) {
		store = SSL_CTX_get_cert_store(ctx);
		if (X509_STORE_load_file(store, conf.cf_tls_crl) != 1) {
			tls_fail(cause, "tls_crl", conf.cf_tls_crl);
			goto fail;
		}
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, tls_verify);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Listen on listen_tls, when it is set; 0 when it is not. */
int
control_tls_listen(char **cause)
{
	struct addrinfo	 hints, *ai = NULL;
	char		 host[VALIDATE_HOST_MAX + 1];
	char		 port[VALIDATE_PORT_LEN + 1];
	int		 on = 1, rc;

	if (conf.cf_listen_tls == NULL)
		return 0;
	if (validate_hostport(conf.cf_listen_tls, FWS_TLS_PORT, host,
	    sizeof(host), port, sizeof(port), cause) == -1)
		return -1;
	if ((tls_ctx = tls_ctx_new(cause)) == NULL)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		cause_fail(cause, "listen_tls %s: %s", conf.cf_listen_tls,
		    gai_strerror(rc));
		goto fail;
	}
	tls_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (tls_fd == -1 ||
	    setsockopt(tls_fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1 ||
	    bind(tls_fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(tls_fd, 128) == -1) {
		cause_fail(cause, "listen_tls %s: %s", conf.cf_listen_tls,
		    strerror(errno));
		goto fail;
	}
	freeaddrinfo(ai);
	ai = NULL;
	tls_hs_tv.tv_sec = FWS_TLS_HANDSHAKE;
	if (conf.cf_client_idle_timeout != 0 &&
	    conf.cf_client_idle_timeout < FWS_TLS_HANDSHAKE)
		tls_hs_tv.tv_sec = conf.cf_client_idle_timeout;
	tls_ev = event_new(base, tls_fd, EV_READ | EV_PERSIST, tls_accept,
	    NULL);
	tls_resume_ev = evtimer_new(base, tls_resume, NULL);
	tls_log_ev = evtimer_new(base, tls_log_window, NULL);
	if (tls_ev == NULL || tls_resume_ev == NULL || tls_log_ev == NULL ||
	    event_add(tls_ev, NULL) == -1) {
		cause_fail(cause, "listen_tls: cannot watch the socket");
		goto fail;
	}
	log_info("tls: listening on %s (TLS 1.3, client certificates of %s, "
	    "%d allowed)", conf.cf_listen_tls, conf.cf_tls_ca,
	    conf.cf_ntls_allowed);
	return 0;
fail:
	if (ai != NULL)
		freeaddrinfo(ai);
	control_tls_shutdown();
	return -1;
}

/* Stop listening; handshakes under way end.  Adopted clients are control.c's. */
void
control_tls_shutdown(void)
{
	struct tls_hs	*hs;

	while ((hs = TAILQ_FIRST(&tls_hss)) != NULL)
		tls_hs_free(hs);
	if (tls_ev != NULL)
		event_free(tls_ev);
	tls_ev = NULL;
	if (tls_resume_ev != NULL)
		event_free(tls_resume_ev);
	tls_resume_ev = NULL;
	if (tls_log_ev != NULL)
		event_free(tls_log_ev);
	tls_log_ev = NULL;
	if (tls_fd != -1)
		close(tls_fd);
	tls_fd = -1;
	if (tls_ctx != NULL)
		SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}
