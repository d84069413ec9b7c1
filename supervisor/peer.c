/*
 * peer.c: a connection to another fwsd, as its client.  fwsd connects
 * to the other's listen_tls with its own certificate (tls_cert,
 * tls_key), checks the other's against tls_ca and the host name or
 * address it was given (as fwsctl --connect does), and speaks the
 * control protocol's JSON lines: a request with an id, its reply routed
 * back by that id to its callback, which runs exactly once (the reply,
 * or why there is none: a timeout, the connection lost).  Progress
 * lines are skipped.  Everything runs in the event loop: the name is
 * resolved by evdns, the TLS handshake by bufferevent_openssl.  What
 * the requests mean is the caller's (migrate.c).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "fws.h"
#include "log.h"
#include "proto.h"

#define PEER_LINE_MAX	(4 * 1024 * 1024)	/* one reply, bytes */

struct peer_call {
	TAILQ_ENTRY(peer_call)	 pc_entry;
	struct peer		*pc_peer;
	json_int_t		 pc_id;
	struct event		*pc_timer;
	peer_reply_fn		 pc_fn;
	void			*pc_arg;
};
TAILQ_HEAD(peer_calls, peer_call);

struct peer {
	struct bufferevent	*p_bev;
	struct event		*p_timer;	/* the connection's deadline */
	char			 p_where[VALIDATE_HOST_MAX + 16];
	int			 p_up;		/* the handshake is done */
	int			 p_heard;	/* a line came from it */
	int			 p_closing;	/* told the owner: no more */
	int			 p_closed;	/* the owner let it go (its
						   free comes from the loop) */
	json_int_t		 p_next_id;
	struct peer_calls	 p_calls;
	peer_up_fn		 p_up_fn;	/* connected, or why not */
	peer_gone_fn		 p_gone_fn;	/* lost, once up */
	void			*p_arg;
};

/*
 * Closed before a word came: TLS 1.3 has the other end refuse our
 * certificate after our side of the handshake looked done.
 */
#define PEER_REFUSED	" (did it refuse this host's certificate? it must " \
			"be of its tls_ca, and in its tls_allowed)"

static SSL_CTX			*peer_ctx;
static struct evdns_base	*peer_dns;

/* OpenSSL's last error, in words, the queue emptied. */
static void
peer_ssl_words(char *buf, size_t len)
{
	unsigned long	 e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last != 0)
		ERR_error_string_n(last, buf, len);
	else
		snprintf(buf, len, "%s", errno != 0 ? strerror(errno) :
		    "failed");
}

/* The client's context: TLS 1.3, fwsd's certificate, the CA it trusts. */
static int
peer_ctx_init(char **cause)
{
	char	 buf[256];

	if (peer_ctx != NULL)
		return 0;
	if ((peer_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(peer_ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(peer_ctx, TLS1_3_VERSION);
	if (SSL_CTX_load_verify_locations(peer_ctx, conf.cf_tls_ca,
	    NULL) != 1 ||
	    SSL_CTX_use_certificate_chain_file(peer_ctx,
	    conf.cf_tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(peer_ctx, conf.cf_tls_key,
	    SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(peer_ctx) != 1)
		goto fail;
	SSL_CTX_set_verify(peer_ctx, SSL_VERIFY_PEER, NULL);
	return 0;
fail:
	peer_ssl_words(buf, sizeof(buf));
	if (peer_ctx != NULL)
		SSL_CTX_free(peer_ctx);
	peer_ctx = NULL;
	return cause_fail(cause, "this host's certificate (tls_cert %s, "
	    "tls_key %s, tls_ca %s): %s", conf.cf_tls_cert, conf.cf_tls_key,
	    conf.cf_tls_ca, buf);
}

static void
peer_call_free(struct peer_call *pc)
{
	TAILQ_REMOVE(&pc->pc_peer->p_calls, pc, pc_entry);
	if (pc->pc_timer != NULL)
		event_free(pc->pc_timer);
	free(pc);
}

/* Every call waiting is failed with why; the connection is dead. */
static void
peer_fail_calls(struct peer *p, const char *why)
{
	struct peer_call	*pc;
	peer_reply_fn		 fn;
	void			*arg;

	while ((pc = TAILQ_FIRST(&p->p_calls)) != NULL) {
		fn = pc->pc_fn;
		arg = pc->pc_arg;
		peer_call_free(pc);
		fn(arg, NULL, NULL, why);
	}
}

/*
 * The connection is lost, or never came: the owner is told once (by
 * p_up_fn before the handshake ended, else p_gone_fn), after the calls.
 */
static void
peer_lost(struct peer *p, const char *why)
{
	char	 buf[512];

	if (p->p_closing)
		return;
	p->p_closing = 1;
	snprintf(buf, sizeof(buf), "%s: %s", p->p_where, why);
	if (p->p_bev != NULL) {
		bufferevent_free(p->p_bev);
		p->p_bev = NULL;
	}
	peer_fail_calls(p, buf);
	/* a call's owner may have let the peer go, and be gone itself */
	if (p->p_closed)
		return;
	if (!p->p_up)
		p->p_up_fn(p->p_arg, buf);
	else if (p->p_gone_fn != NULL)
		p->p_gone_fn(p->p_arg, buf);
}

static void
peer_call_timeout(int fd, short what, void *arg)
{
	struct peer_call	*pc = arg;
	struct peer		*p = pc->pc_peer;
	char			 why[64];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), "no answer in %d s", FWS_MIG_PEER_TIMEOUT);
	/* one late answer: the connection cannot be trusted any more */
	peer_lost(p, why);
}

static void
peer_connect_timeout(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	peer_lost(arg, "no connection in time");
}

/* A line from the other fwsd: a reply to one of ours, else skipped. */
static void
peer_line(struct peer *p, const char *line, size_t len)
{
	struct peer_call	*pc;
	json_t			*msg, *id, *err;
	peer_reply_fn		 fn;
	void			*arg;
	char			*cause;

	if (proto_reply_parse(line, len, &msg, &cause) == -1) {
		log_warnx("%s: %s: %s", __func__, p->p_where, cause);
		free(cause);
		return;
	}
	id = json_object_get(msg, "id");
	if (json_object_get(msg, "ok") == NULL || !json_is_integer(id)) {
		json_decref(msg);	/* progress, or an event */
		return;
	}
	TAILQ_FOREACH(pc, &p->p_calls, pc_entry)
		if (pc->pc_id == json_integer_value(id))
			break;
	if (pc == NULL) {
		json_decref(msg);
		return;
	}
	fn = pc->pc_fn;
	arg = pc->pc_arg;
	peer_call_free(pc);
	if (json_is_true(json_object_get(msg, "ok")))
		fn(arg, json_object_get(msg, "result"), NULL, NULL);
	else {
		err = json_object_get(msg, "error");
		fn(arg, NULL, json_string_value(json_object_get(err, "code")),
		    json_string_value(json_object_get(err, "message")));
	}
	json_decref(msg);
}

static void
peer_read(struct bufferevent *bev, void *arg)
{
	struct peer	*p = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 len;
	char		*line;

	while (!p->p_closing && (line = evbuffer_readln(in, &len,
	    EVBUFFER_EOL_LF)) != NULL) {
		p->p_heard = 1;
		peer_line(p, line, len);
		free(line);
	}
	if (!p->p_closing && evbuffer_get_length(in) > PEER_LINE_MAX)
		peer_lost(p, "a reply too long");
}

static void
peer_event(struct bufferevent *bev, short what, void *arg)
{
	struct peer	*p = arg;
	SSL		*ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long	 e, last = 0;
	long		 v;
	char		 buf[256], why[448];
	int		 fd, on = 1;

	if (what & BEV_EVENT_CONNECTED) {
		p->p_up = 1;
		evtimer_del(p->p_timer);
		if ((fd = bufferevent_getfd(bev)) != -1)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
			    sizeof(on));
		p->p_up_fn(p->p_arg, NULL);
		return;
	}
	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		if (ERR_GET_LIB(e) != 0 && last == 0)
			last = e;
	if (!p->p_up && ssl != NULL &&
	    (v = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(why, sizeof(why), "its certificate: %s",
		    X509_verify_cert_error_string(v));
	else if (last != 0) {
		ERR_error_string_n(last, buf, sizeof(buf));
		snprintf(why, sizeof(why), "%s%s%s", p->p_up ? "" :
		    "TLS handshake: ", buf, p->p_heard ? "" : PEER_REFUSED);
	} else if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "%s%s", p->p_up ?
		    "connection closed" : "closed during the TLS handshake",
		    p->p_heard ? "" : PEER_REFUSED);
	else if (bufferevent_socket_get_dns_error(bev) != 0)
		snprintf(why, sizeof(why), "%s", evutil_gai_strerror(
		    bufferevent_socket_get_dns_error(bev)));
	else
		snprintf(why, sizeof(why), "%s", errno != 0 ? strerror(errno) :
		    "connection failed");
	peer_lost(p, why);
}

/*
 * Connect to the fwsd at tls://host:port.  up(arg, NULL) once it is
 * connected and verified, or up(arg, why) once it cannot be (never from
 * inside peer_open); gone(arg, why) if it is lost after that.  NULL and
 * *cause when nothing could be started.
 */
struct peer *
peer_open(const char *host, const char *port, peer_up_fn up,
    peer_gone_fn gone, void *arg, char **cause)
{
	struct timeval		 tv = { FWS_MIG_PEER_TIMEOUT, 0 };
	struct peer		*p;
	X509_VERIFY_PARAM	*vp;
	struct in6_addr		 in6;
	struct in_addr		 in4;
	SSL			*ssl;
	int			 ip;

	if (peer_ctx_init(cause) == -1)
		return NULL;
	if (peer_dns == NULL && (peer_dns = evdns_base_new(base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (peer_dns = evdns_base_new(base, 0)) == NULL) {
		cause_fail(cause, "cannot resolve host names (evdns)");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		cause_fail(cause, "out of memory");
		return NULL;
	}
	TAILQ_INIT(&p->p_calls);
	p->p_up_fn = up;
	p->p_gone_fn = gone;
	p->p_arg = arg;
	p->p_next_id = 1;
	snprintf(p->p_where, sizeof(p->p_where), strchr(host, ':') != NULL ?
	    "tls://[%s]:%s" : "tls://%s:%s", host, port);
	if ((ssl = SSL_new(peer_ctx)) == NULL)
		goto fail;
	ip = inet_pton(AF_INET, host, &in4) == 1 ||
	    inet_pton(AF_INET6, host, &in6) == 1;
	vp = SSL_get0_param(ssl);
	if ((ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) :
	    X509_VERIFY_PARAM_set1_host(vp, host, 0)) != 1) {
		SSL_free(ssl);
		goto fail;
	}
	if (!ip)
		SSL_set_tlsext_host_name(ssl, host);
	p->p_bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (p->p_bev == NULL) {
		SSL_free(ssl);
		goto fail;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(p->p_bev, 1);
	bufferevent_setcb(p->p_bev, peer_read, NULL, peer_event, p);
	bufferevent_enable(p->p_bev, EV_READ | EV_WRITE);
	if ((p->p_timer = evtimer_new(base, peer_connect_timeout, p)) == NULL)
		goto fail;
	if (bufferevent_socket_connect_hostname(p->p_bev, peer_dns, AF_UNSPEC,
	    host, atoi(port)) == -1) {
		cause_fail(cause, "%s: %s", p->p_where, strerror(errno));
		goto fail_quiet;
	}
	evtimer_add(p->p_timer, &tv);
	return p;
fail:
	cause_fail(cause, "%s: cannot set up the connection", p->p_where);
fail_quiet:
	if (p->p_bev != NULL)
		bufferevent_free(p->p_bev);
	if (p->p_timer != NULL)
		event_free(p->p_timer);
	free(p);
	return NULL;
}

/* "tls://host:port", for messages. */
const char *
peer_where(const struct peer *p)
{
	return p->p_where;
}

/*
 * Send cmd with args (consumed) to the other fwsd: fn(arg, result, NULL,
 * NULL) with its result, or fn(arg, NULL, code, message) with its
 * refusal, or fn(arg, NULL, NULL, why) when no answer came in timeout
 * seconds or the connection was lost.  -1 when it is lost already (fn
 * is not called).
 */
int
peer_request(struct peer *p, const char *cmd, json_t *args, int timeout,
    peer_reply_fn fn, void *arg)
{
	struct timeval		 tv = { timeout, 0 };
	struct peer_call	*pc;
	json_t			*req;
	char			*line;
	size_t			 len;

	if (p->p_closing || !p->p_up || (pc = calloc(1, sizeof(*pc))) ==
	    NULL) {
		json_decref(args);
		return -1;
	}
	pc->pc_peer = p;
	pc->pc_id = p->p_next_id++;
	pc->pc_fn = fn;
	pc->pc_arg = arg;
	req = proto_request_new(pc->pc_id, cmd, args);
	line = proto_encode(req, &len);
	json_decref(req);
	if (line == NULL || bufferevent_write(p->p_bev, line, len) == -1) {
		free(line);
		free(pc);
		return -1;
	}
	free(line);
	TAILQ_INSERT_TAIL(&p->p_calls, pc, pc_entry);
	if (timeout > 0) {
		pc->pc_timer = evtimer_new(base, peer_call_timeout, pc);
		if (pc->pc_timer != NULL)
			evtimer_add(pc->pc_timer, &tv);
	}
	return 0;
}

static void
peer_free(int fd, short what, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)what;
	if (p->p_timer != NULL)
		event_free(p->p_timer);
	free(p);
}

/*
 * Close the connection: calls waiting are dropped, never called.  May
 * be called from any of its callbacks: p is freed from the loop, later.
 */
void
peer_close(struct peer *p)
{
	struct peer_call	*pc;
	struct timeval		 tv = { 0, 0 };

	if (p == NULL)
		return;
	p->p_closing = 1;
	p->p_closed = 1;
	while ((pc = TAILQ_FIRST(&p->p_calls)) != NULL)
		peer_call_free(pc);
	if (p->p_bev != NULL)
		bufferevent_free(p->p_bev);
	p->p_bev = NULL;
	if (p->p_timer != NULL)
		evtimer_del(p->p_timer);
	if (event_base_once(base, -1, EV_TIMEOUT, peer_free, p, &tv) == -1)
		log_warnx("%s: %s is not freed", __func__, p->p_where);
}

/* fwsd is exiting. */
void
peer_release(void)
{
	if (peer_dns != NULL)
		evdns_base_free(peer_dns, 0);
	peer_dns = NULL;
	if (peer_ctx != NULL)
		SSL_CTX_free(peer_ctx);
	peer_ctx = NULL;
}
