/*
 * web-http.c: fws-web's HTTP/1.1 over TLS (bufferevent_openssl): it
 * accepts connections (WEB_CONNS_MAX in all, WEB_CONNS_PER_ADDR from
 * one address), reads one request at a time (a head of WEB_HEAD_MAX
 * bytes within WEB_HEAD_TIMEOUT seconds, a body by Content-Length of
 * WEB_BODY_MAX at most), hands it to the dispatcher, and writes the one
 * reply with the headers every reply carries, keeping the connection
 * for the next request unless told otherwise.  A WebSocket upgrade
 * hands the connection over whole (web_http_upgrade).  It knows
 * connections and requests, not routes or sessions.
 *
 * libevent 2.1's evhttp is not used: it cannot give a connection up
 * for a WebSocket cleanly (it keeps owning and reading it).
 *
 * Work for a request that waits (fwsd's reply) finds its connection
 * again by id (web_http_find): one that went away meanwhile is simply
 * not found.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "fws.h"
#include "log.h"
#include "web.h"

/* Every reply carries these. */
#define WEB_HTTP_HEADERS						\
	"Content-Security-Policy: default-src 'self'; script-src 'self'; "	\
	"style-src 'self'; img-src 'self' data:; connect-src 'self'; "	\
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'\r\n"	\
	"X-Content-Type-Options: nosniff\r\n"				\
	"Referrer-Policy: no-referrer\r\n"					\
	"X-Frame-Options: DENY\r\n"						\
	"Strict-Transport-Security: max-age=31536000\r\n"

#define WEB_LINGER	2	/* s a refused request's rest is read */

enum web_conn_state {
	CN_HEAD,		/* reading a request's head */
	CN_BODY,		/* reading its body */
	CN_BUSY,		/* the request is being answered */
	CN_CLOSING,		/* the last reply goes out, then close */
};

struct web_conn {
	TAILQ_ENTRY(web_conn)	 cn_entry;
	uint64_t		 cn_id;		/* its request's, while busy */
	struct bufferevent	*cn_bev;
	char			 cn_addr[INET6_ADDRSTRLEN];
	enum web_conn_state	 cn_state;
	struct web_req		 cn_req;
	int			 cn_started;	/* a request's bytes came */
	int			 cn_linger;	/* refused with bytes unread */
	struct event		*cn_timer;	/* head deadline, idleness */
	struct event		*cn_resume;	/* a pipelined request waits */
	char			 cn_user[WEB_NAME_MAX + 1];
};
TAILQ_HEAD(web_conns, web_conn);

static struct web_conns		 web_conns = TAILQ_HEAD_INITIALIZER(web_conns);
static size_t			 web_conn_n;
static uint64_t			 web_conn_next_id = 1;
static struct evconnlistener	*web_listener;
static SSL_CTX			*web_ssl_ctx;
static web_dispatch_fn		 web_dispatch;

static void	web_http_process(struct web_conn *);

static void
web_http_free(struct web_conn *cn)
{
	TAILQ_REMOVE(&web_conns, cn, cn_entry);
	web_conn_n--;
	event_free(cn->cn_timer);
	event_free(cn->cn_resume);
	if (cn->cn_bev != NULL)
		bufferevent_free(cn->cn_bev);
	web_parse_clear(&cn->cn_req);
	free(cn);
}

static void
web_http_arm(struct web_conn *cn, int secs)
{
	struct timeval	 tv = { secs, 0 };

	evtimer_add(cn->cn_timer, &tv);
}

static void
web_http_timeout(int fd, short what, void *arg)
{
	struct web_conn	*cn = arg;

	(void)fd;
	(void)what;
	log_debug("%s: %s: %s, closed", __func__, cn->cn_addr,
	    cn->cn_started ? "request head too slow" : "idle");
	web_http_free(cn);
}

static void
web_http_read(struct bufferevent *bev, void *arg)
{
	struct web_conn	*cn = arg;

	if (cn->cn_state == CN_CLOSING) {
		/* the rest of a refused request: read, not answered */
		evbuffer_drain(bufferevent_get_input(bev),
		    evbuffer_get_length(bufferevent_get_input(bev)));
		return;
	}
	web_http_process(cn);
}

static void
web_http_resume(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	web_http_process(arg);
}

static void
web_http_write(struct bufferevent *bev, void *arg)
{
	struct web_conn	*cn = arg;

	if (cn->cn_state != CN_CLOSING ||
	    evbuffer_get_length(bufferevent_get_output(bev)) != 0)
		return;
	if (!cn->cn_linger) {
		web_http_free(cn);
		return;
	}
	/*
	 * A connection closed with the client's bytes unread is reset,
	 * and the reset can overtake the reply: what comes is read and
	 * dropped for a moment first, until the client closes.
	 */
	cn->cn_linger = 0;
	web_http_arm(cn, WEB_LINGER);
}

static void
web_http_event(struct bufferevent *bev, short what, void *arg)
{
	struct web_conn	*cn = arg;
	unsigned long	 e;

	(void)bev;
	if (what & BEV_EVENT_ERROR) {
		while ((e = bufferevent_get_openssl_error(cn->cn_bev)) != 0)
			if (ERR_reason_error_string(e) != NULL)
				log_debug("%s: %s: TLS: %s", __func__,
				    cn->cn_addr, ERR_reason_error_string(e));
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		web_http_free(cn);
}

/* A reply to a request that cannot be read: said, then closed. */
static void
web_http_refuse(struct web_conn *cn, int status, const char *why)
{
	log_debug("%s: %s: %d: %s", __func__, cn->cn_addr, status, why);
	cn->cn_req.hr_keep_alive = 0;
	cn->cn_linger = 1;
	web_http_error(cn, status, "invalid_argument", "%s", why);
}

static void
web_http_process(struct web_conn *cn)
{
	struct evbuffer		*in = bufferevent_get_input(cn->cn_bev);
	struct evbuffer_ptr	 end;
	struct web_req		*hr = &cn->cn_req;
	size_t			 headlen;
	char			*cause;
	const char		*ct;

	if (cn->cn_state == CN_HEAD) {
		if (evbuffer_get_length(in) == 0)
			return;
		if (!cn->cn_started) {
			cn->cn_started = 1;
			web_http_arm(cn, WEB_HEAD_TIMEOUT);
		}
		end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (end.pos == -1) {
			if (evbuffer_get_length(in) > WEB_HEAD_MAX)
				web_http_refuse(cn, 431, "the request head is too "
				    "long");
			return;
		}
		headlen = end.pos + 4;
		if (headlen > WEB_HEAD_MAX) {
			web_http_refuse(cn, 431, "the request head is too long");
			return;
		}
		if (web_parse_head((const char *)evbuffer_pullup(in, headlen),
		    headlen, hr, &cause) == -1) {
			evbuffer_drain(in, headlen);
			web_http_refuse(cn, 400, cause);
			free(cause);
			return;
		}
		evbuffer_drain(in, headlen);
		if (hr->hr_length > WEB_BODY_MAX) {
			web_http_refuse(cn, 413, "a request body is at most "
			    "64 KiB");
			return;
		}
		cn->cn_state = CN_BODY;
	}
	if (cn->cn_state != CN_BODY ||
	    evbuffer_get_length(in) < hr->hr_length)
		return;
	if ((hr->hr_body = malloc(hr->hr_length + 1)) == NULL) {
		web_http_refuse(cn, 500, "out of memory");
		return;
	}
	evbuffer_remove(in, hr->hr_body, hr->hr_length);
	hr->hr_body[hr->hr_length] = '\0';
	cn->cn_state = CN_BUSY;
	cn->cn_id = web_conn_next_id++;	/* this request's */
	evtimer_del(cn->cn_timer);
	bufferevent_disable(cn->cn_bev, EV_READ);
	if (hr->hr_length > 0 && ((ct = web_parse_header(hr, "content-type")) ==
	    NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';'))) {
		web_http_error(cn, 415, "invalid_argument", "a request body is "
		    "JSON (Content-Type: application/json)");
		return;
	}
	web_dispatch(cn, hr);
}

static size_t
web_http_count(const char *addr)
{
	struct web_conn	*cn;
	size_t		 n = 0;

	TAILQ_FOREACH(cn, &web_conns, cn_entry)
		if (strcmp(cn->cn_addr, addr) == 0)
			n++;
	return n;
}

static void
web_http_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct web_conn		*cn;
	char			 addr[INET6_ADDRSTRLEN] = "?";
	struct timeval		 write_tv = { WEB_IDLE_TIMEOUT, 0 };
	SSL			*ssl;
	int			 one = 1;

	(void)l;
	(void)salen;
	(void)arg;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, addr,
		    sizeof(addr));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr,
		    addr, sizeof(addr));
	if (web_conn_n >= WEB_CONNS_MAX ||
	    web_http_count(addr) >= WEB_CONNS_PER_ADDR) {
		log_debug("%s: %s: over the connection limits, refused",
		    __func__, addr);
		close(fd);
		return;
	}
	/*
	 * A reply goes out as several TLS records: without this, Nagle's
	 * algorithm holds the last until the browser's delayed ACK (40 ms)
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((cn = calloc(1, sizeof(*cn))) == NULL ||
	    (ssl = SSL_new(web_ssl_ctx)) == NULL) {
		free(cn);
		close(fd);
		return;
	}
	cn->cn_bev = bufferevent_openssl_socket_new(web_base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	cn->cn_timer = evtimer_new(web_base, web_http_timeout, cn);
	cn->cn_resume = event_new(web_base, -1, 0, web_http_resume, cn);
	if (cn->cn_bev == NULL || cn->cn_timer == NULL ||
	    cn->cn_resume == NULL) {
		if (cn->cn_bev != NULL)
			bufferevent_free(cn->cn_bev);
		else {
			SSL_free(ssl);
			close(fd);
		}
		if (cn->cn_timer != NULL)
			event_free(cn->cn_timer);
		if (cn->cn_resume != NULL)
			event_free(cn->cn_resume);
		free(cn);
		return;
	}
	snprintf(cn->cn_addr, sizeof(cn->cn_addr), "%s", addr);
	cn->cn_state = CN_HEAD;
	TAILQ_INSERT_TAIL(&web_conns, cn, cn_entry);
	web_conn_n++;
	bufferevent_openssl_set_allow_dirty_shutdown(cn->cn_bev, 1);
	bufferevent_setcb(cn->cn_bev, web_http_read, web_http_write,
	    web_http_event, cn);
	/* a head's bytes at most are read ahead of the request's parse */
	bufferevent_setwatermark(cn->cn_bev, EV_READ, 0,
	    WEB_HEAD_MAX + WEB_BODY_MAX);
	/* a browser that takes no reply is not waited for long */
	bufferevent_set_timeouts(cn->cn_bev, NULL, &write_tv);
	bufferevent_enable(cn->cn_bev, EV_READ | EV_WRITE);
	/* the handshake and the first request: within the head's time */
	web_http_arm(cn, WEB_HEAD_TIMEOUT);
}

static void
web_http_accept_error(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	log_warn("%s: accept", __func__);
}

/* Serve HTTPS on the listening socket fd; requests go to dispatch. */
int
web_http_listen(int fd, SSL_CTX *ctx, web_dispatch_fn dispatch)
{
	web_ssl_ctx = ctx;
	web_dispatch = dispatch;
	web_listener = evconnlistener_new(web_base, web_http_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (web_listener == NULL)
		return -1;
	evconnlistener_set_error_cb(web_listener, web_http_accept_error);
	return 0;
}

void
web_http_shutdown(void)
{
	struct web_conn	*cn;

	if (web_listener != NULL)
		evconnlistener_free(web_listener);
	web_listener = NULL;
	while ((cn = TAILQ_FIRST(&web_conns)) != NULL)
		web_http_free(cn);
}

struct web_conn *
web_http_find(uint64_t id)
{
	struct web_conn	*cn;

	TAILQ_FOREACH(cn, &web_conns, cn_entry)
		if (cn->cn_id == id)
			return cn->cn_state == CN_BUSY ? cn : NULL;
	return NULL;
}

uint64_t
web_http_id(const struct web_conn *cn)
{
	return cn->cn_id;
}

const char *
web_http_addr(const struct web_conn *cn)
{
	return cn->cn_addr;
}

struct web_req *
web_http_req(struct web_conn *cn)
{
	return &cn->cn_req;
}

/* Who the request is for, in its log line. */
void
web_http_set_user(struct web_conn *cn, const char *user)
{
	snprintf(cn->cn_user, sizeof(cn->cn_user), "%s", user);
}

/* One line per request: never a cookie, a token or a password. */
static void
web_http_log(struct web_conn *cn, int status)
{
	struct web_req	*hr = &cn->cn_req;

	log_info("%s %s %.200s %d %s", cn->cn_addr,
	    hr->hr_method ? hr->hr_method : "-",
	    hr->hr_path ? hr->hr_path : "-", status,
	    cn->cn_user[0] ? cn->cn_user : "-");
}

/* The status line and the headers of every reply. */
static void
web_http_head(struct web_conn *cn, int status, const char *extra)
{
	struct evbuffer	*out = bufferevent_get_output(cn->cn_bev);
	const char	*path = cn->cn_req.hr_path;

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n" WEB_HTTP_HEADERS,
	    status, web_status_reason(status));
	if (status != 101)
		evbuffer_add_printf(out, "Cache-Control: %s\r\n",
		    path != NULL && strncmp(path, "/api/", 5) == 0 ?
		    "no-store" : "no-cache");
	if (extra != NULL)
		evbuffer_add(out, extra, strlen(extra));
}

/* The request is answered: the next one is read, or the connection ends. */
static void
web_http_done(struct web_conn *cn, int status)
{
	web_http_log(cn, status);
	if (!cn->cn_req.hr_keep_alive) {
		cn->cn_state = CN_CLOSING;
		if (cn->cn_linger)
			bufferevent_enable(cn->cn_bev, EV_READ);
		else
			bufferevent_disable(cn->cn_bev, EV_READ);
		web_http_write(cn->cn_bev, cn);
		return;
	}
	web_parse_clear(&cn->cn_req);
	cn->cn_state = CN_HEAD;
	cn->cn_started = 0;
	cn->cn_user[0] = '\0';
	web_http_arm(cn, WEB_IDLE_TIMEOUT);
	bufferevent_enable(cn->cn_bev, EV_READ);
	/* a request that came along already is read from the loop */
	event_active(cn->cn_resume, EV_TIMEOUT, 0);
}

/*
 * Answer the request: status, a body of len bytes of content type
 * ctype, extra headers ("Name: value\r\n" each, or NULL).
 */
void
web_http_reply(struct web_conn *cn, int status, const char *ctype,
    const char *body, size_t len, const char *extra)
{
	struct evbuffer	*out = bufferevent_get_output(cn->cn_bev);

	web_http_head(cn, status, extra);
	evbuffer_add_printf(out, "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: %s\r\n\r\n", ctype, len,
	    cn->cn_req.hr_keep_alive ? "keep-alive" : "close");
	if (len > 0 && strcmp(cn->cn_req.hr_method ? cn->cn_req.hr_method :
	    "", "HEAD") != 0)
		evbuffer_add(out, body, len);
	web_http_done(cn, status);
}

/* A file's len bytes from fd (closed here) as the body of a 200. */
void
web_http_reply_file(struct web_conn *cn, const char *ctype, int fd,
    size_t len)
{
	struct evbuffer	*out = bufferevent_get_output(cn->cn_bev);

	web_http_head(cn, 200, NULL);
	evbuffer_add_printf(out, "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: %s\r\n\r\n", ctype, len,
	    cn->cn_req.hr_keep_alive ? "keep-alive" : "close");
	if (len > 0)
		evbuffer_add_file(out, fd, 0, len);
	else
		close(fd);
	web_http_done(cn, 200);
}

/* A JSON body (taken). */
void
web_http_reply_json(struct web_conn *cn, int status, json_t *body,
    const char *extra)
{
	char	*s;

	if (body == NULL || (s = json_dumps(body, JSON_COMPACT |
	    JSON_ENSURE_ASCII)) == NULL) {
		json_decref(body);
		web_http_reply(cn, 500, "application/json",
		    "{\"error\":{\"code\":\"internal\",\"message\":\"out of "
		    "memory\"}}", 61, extra);
		return;
	}
	json_decref(body);
	web_http_reply(cn, status, "application/json", s, strlen(s), extra);
	free(s);
}

/* {"error":{"code":code,"message":...}} with status. */
void
web_http_error(struct web_conn *cn, int status, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *clean;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n == -1)
		msg = NULL;
	clean = msg != NULL ? utf8_clean(msg) : NULL;
	web_http_reply_json(cn, status, json_pack("{s{ss ss}}", "error",
	    "code", code, "message", clean != NULL ? clean : "error"), NULL);
	free(clean);
	free(msg);
}

/*
 * Answer 101 with extra headers and give the connection up: its
 * bufferevent is the caller's from now on (callbacks unset, reading
 * enabled); the connection is gone from the table.
 */
struct bufferevent *
web_http_upgrade(struct web_conn *cn, const char *extra)
{
	struct bufferevent	*bev = cn->cn_bev;

	web_http_head(cn, 101, extra);
	evbuffer_add_printf(bufferevent_get_output(bev), "\r\n");
	web_http_log(cn, 101);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	cn->cn_bev = NULL;
	web_http_free(cn);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return bev;
}
