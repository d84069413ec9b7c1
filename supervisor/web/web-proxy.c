/*
 * web-proxy.c: the WebSockets.  Before the upgrade fwsd is asked, as
 * the session's user, on a connection of the proxy's own: "events"
 * (follow, from now on), "console" or "screen-connect" (whose reply
 * brings a connected socket); its refusal is the HTTP reply (another
 * user's VM: 404), its yes the 101.  Then each event fwsd pushes goes
 * to the browser as a text frame, and a console's or a screen's bytes
 * go both ways, as binary frames to the browser and as plain bytes to
 * the socket, each way waiting while WEB_WS_BUFFERED bytes are queued
 * the other.  Frames from the browser are checked by web-ws.c; pings
 * are answered; a close is answered and the connection ends.  Every
 * WEB_WS_CHECK seconds a proxy whose session has ended (logout,
 * expiry) is closed; data the browser sends counts as the session's
 * use.
 */
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "fws.h"
#include "log.h"
#include "web.h"

#define WEB_PROXY_PER_UID	32	/* WebSockets of one user */
#define WEB_PROXY_LINGER	5	/* s for a closing handshake */
#define WEB_PROXY_CHUNK		(64 * 1024)	/* bytes a frame carries */

struct web_proxy {
	TAILQ_ENTRY(web_proxy)	 px_entry;
	enum web_proxy_kind	 px_kind;
	uint64_t		 px_conn;	/* the request, until the 101 */
	char			 px_session[WEB_ID_HEX + 1];
	uid_t			 px_uid;
	char			 px_vm[FWS_NAME_MAX + 1];
	char			 px_accept[WS_ACCEPT_LEN + 1];
	int			 px_binary;	/* "binary" was offered */
	struct web_fwsd_stream	*px_stream;
	struct bufferevent	*px_bev;	/* the browser's */
	struct bufferevent	*px_sock;	/* a console's or a screen's */
	struct web_ws_msg	 px_msg;
	int64_t			 px_touched;
	int			 px_closing;
	struct event		*px_linger;
};
TAILQ_HEAD(web_proxies, web_proxy);

static struct web_proxies	 web_proxies = TAILQ_HEAD_INITIALIZER(web_proxies);
static size_t			 web_proxy_n;
static struct event		*web_proxy_check_ev;

static const char *const web_proxy_verbs[] = {
	[WEB_PROXY_EVENTS] = "events",
	[WEB_PROXY_CONSOLE] = "console",
	[WEB_PROXY_SCREEN] = "screen-connect",
};

static void
web_proxy_free(struct web_proxy *px)
{
	TAILQ_REMOVE(&web_proxies, px, px_entry);
	web_proxy_n--;
	web_fwsd_close(px->px_stream);
	if (px->px_bev != NULL)
		bufferevent_free(px->px_bev);
	if (px->px_sock != NULL)
		bufferevent_free(px->px_sock);
	if (px->px_linger != NULL)
		event_free(px->px_linger);
	free(px);
}

static void
web_proxy_send(struct web_proxy *px, int opcode, const void *data,
    size_t len)
{
	uint8_t		 hdr[WS_HEADER_MAX];
	struct evbuffer	*out = bufferevent_get_output(px->px_bev);

	evbuffer_add(out, hdr, web_ws_header(hdr, opcode, 1, len, NULL));
	if (len > 0)
		evbuffer_add(out, data, len);
}

static void
web_proxy_linger(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	web_proxy_free(arg);
}

/*
 * End the proxy: a close frame with code (0: none) to the browser, the
 * other side let go at once; freed once the frame is out, or after
 * WEB_PROXY_LINGER seconds.  Never frees: safe inside any callback.
 */
static void
web_proxy_end(struct web_proxy *px, int code, const char *why)
{
	struct timeval	 tv = { WEB_PROXY_LINGER, 0 };
	uint8_t		 payload[2 + 64];
	size_t		 len = 0;

	if (px->px_closing)
		return;
	px->px_closing = 1;
	log_debug("%s: uid %u %s%s%s: %s", __func__, (unsigned)px->px_uid,
	    web_proxy_verbs[px->px_kind], px->px_vm[0] ? " " : "",
	    px->px_vm, why);
	web_fwsd_close(px->px_stream);
	px->px_stream = NULL;
	if (px->px_sock != NULL) {
		bufferevent_disable(px->px_sock, EV_READ | EV_WRITE);
	}
	if (code != 0) {
		payload[0] = code >> 8;
		payload[1] = code & 0xff;
		len = 2 + snprintf((char *)payload + 2, sizeof(payload) - 2,
		    "%.60s", why);
		if (len > sizeof(payload) - 1)
			len = sizeof(payload) - 1;
	}
	if (code != -1)
		web_proxy_send(px, WS_OP_CLOSE, payload, len);
	bufferevent_disable(px->px_bev, EV_READ);
	bufferevent_setwatermark(px->px_bev, EV_WRITE, 0, 0);
	bufferevent_enable(px->px_bev, EV_WRITE);
	evtimer_add(px->px_linger, &tv);
}

/* The browser's frames, each checked, unmasked and acted on. */
static void
web_proxy_client_read(struct bufferevent *bev, void *arg)
{
	struct web_proxy	*px = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct web_ws_frame	 f;
	struct web_session	*s;
	uint8_t			*p;
	size_t			 avail, total;
	int			 rc, code;

	while (!px->px_closing && (avail = evbuffer_get_length(in)) > 0) {
		p = evbuffer_pullup(in, avail < WS_HEADER_MAX ? avail :
		    WS_HEADER_MAX);
		rc = web_ws_parse(p, avail < WS_HEADER_MAX ? avail :
		    WS_HEADER_MAX, 1, &f, &code);
		if (rc == 0)
			return;
		if (rc == 1 && avail < f.wf_hdr + f.wf_len)
			return;		/* the whole frame first */
		if (rc == -1 || web_ws_sequence(&px->px_msg, &f, &code) == -1) {
			web_proxy_end(px, code, code == WS_CLOSE_TOO_BIG ?
			    "a frame over 1 MiB" : "a malformed frame");
			return;
		}
		total = f.wf_hdr + f.wf_len;
		p = evbuffer_pullup(in, total) + f.wf_hdr;
		web_ws_unmask(p, f.wf_len, f.wf_mask);
		switch (f.wf_opcode) {
		case WS_OP_PING:
			web_proxy_send(px, WS_OP_PONG, p, f.wf_len);
			break;
		case WS_OP_PONG:
			break;
		case WS_OP_CLOSE:
			/* the browser's code said back, then the end */
			web_proxy_send(px, WS_OP_CLOSE, p, f.wf_len >= 2 ? 2 : 0);
			web_proxy_end(px, -1, "closed by the browser");
			break;
		default:
			if (px->px_sock == NULL)
				break;	/* an events stream reads nothing */
			if (web_clock() != px->px_touched) {
				px->px_touched = web_clock();
				if ((s = web_session_find(px->px_session, 1)) ==
				    NULL) {
					web_proxy_end(px, 1008, "the session has "
					    "ended");
					break;
				}
			}
			bufferevent_write(px->px_sock, p, f.wf_len);
			if (evbuffer_get_length(bufferevent_get_output(
			    px->px_sock)) > WEB_WS_BUFFERED)
				bufferevent_disable(px->px_bev, EV_READ);
			break;
		}
		evbuffer_drain(in, total);
	}
}

/* The browser has taken what was queued: the socket may be read again. */
static void
web_proxy_client_write(struct bufferevent *bev, void *arg)
{
	struct web_proxy	*px = arg;

	if (px->px_closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			web_proxy_free(px);
		return;
	}
	if (px->px_sock != NULL)
		bufferevent_enable(px->px_sock, EV_READ);
}

static void
web_proxy_client_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		web_proxy_free(arg);
}

/* The VM's bytes, in binary frames. */
static void
web_proxy_sock_read(struct bufferevent *bev, void *arg)
{
	struct web_proxy	*px = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	uint8_t			 buf[WEB_PROXY_CHUNK];
	int			 n;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0)
		web_proxy_send(px, WS_OP_BINARY, buf, n);
	if (evbuffer_get_length(bufferevent_get_output(px->px_bev)) >
	    WEB_WS_BUFFERED)
		bufferevent_disable(bev, EV_READ);
}

/* The socket has taken what the browser sent: the browser is read again. */
static void
web_proxy_sock_write(struct bufferevent *bev, void *arg)
{
	struct web_proxy	*px = arg;

	(void)bev;
	if (!px->px_closing)
		bufferevent_enable(px->px_bev, EV_READ);
}

static void
web_proxy_sock_event(struct bufferevent *bev, short what, void *arg)
{
	struct web_proxy	*px = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		web_proxy_end(px, WS_CLOSE_NORMAL, px->px_kind ==
		    WEB_PROXY_CONSOLE ? "the console closed" :
		    "the screen closed");
}

/* An event fwsd pushed: the event's object, one text frame. */
static void
web_proxy_event(void *arg, json_t *msg)
{
	struct web_proxy	*px = arg;
	char			*s;

	if (px->px_bev == NULL || px->px_closing)
		return;
	if (evbuffer_get_length(bufferevent_get_output(px->px_bev)) >
	    WEB_WS_EVENTS_BUFFERED) {
		web_proxy_end(px, 1008, "events left unread");
		return;
	}
	if ((s = json_dumps(json_object_get(msg, "event"), JSON_COMPACT |
	    JSON_ENSURE_ASCII)) == NULL)
		return;
	web_proxy_send(px, WS_OP_TEXT, s, strlen(s));
	free(s);
}

static void
web_proxy_stream_end(void *arg)
{
	web_proxy_end(arg, WS_CLOSE_GOING, "fwsd closed the events stream");
}

/* fwsd's reply to the proxy's request: the upgrade, or the refusal. */
static void
web_proxy_reply(void *arg, json_t *reply, int fd, const char *why)
{
	struct web_proxy	*px = arg;
	struct web_conn		*cn = web_http_find(px->px_conn);
	char			 extra[256];

	if (cn == NULL || reply == NULL ||
	    !json_is_true(json_object_get(reply, "ok")) ||
	    (px->px_kind != WEB_PROXY_EVENTS && fd == -1)) {
		if (cn != NULL) {
			if (reply != NULL && json_is_true(json_object_get(reply,
			    "ok")))
				web_http_error(cn, 502, "internal", "fwsd handed "
				    "over no connection");
			else
				web_api_reply(cn, reply, -1, why);
		}
		if (fd != -1)
			close(fd);
		web_proxy_free(px);	/* the stream is closed after this */
		return;
	}
	snprintf(extra, sizeof(extra), "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s",
	    px->px_accept, px->px_binary ? "Sec-WebSocket-Protocol: binary\r\n" :
	    "");
	if (px->px_kind != WEB_PROXY_EVENTS) {
		web_fwsd_close(px->px_stream);
		px->px_stream = NULL;
		evutil_make_socket_nonblocking(fd);
		if ((px->px_sock = bufferevent_socket_new(web_base, fd,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
			close(fd);
			web_http_error(cn, 500, "internal", "out of memory");
			web_proxy_free(px);
			return;
		}
		bufferevent_setcb(px->px_sock, web_proxy_sock_read,
		    web_proxy_sock_write, web_proxy_sock_event, px);
		bufferevent_setwatermark(px->px_sock, EV_WRITE,
		    WEB_WS_BUFFERED / 2, 0);
	}
	px->px_bev = web_http_upgrade(cn, extra);
	bufferevent_setcb(px->px_bev, web_proxy_client_read,
	    web_proxy_client_write, web_proxy_client_event, px);
	/* a whole frame may wait in the buffer, and no more */
	bufferevent_setwatermark(px->px_bev, EV_READ, 0,
	    WEB_WS_FRAME_MAX + WS_HEADER_MAX);
	bufferevent_setwatermark(px->px_bev, EV_WRITE, WEB_WS_BUFFERED / 2, 0);
	if (px->px_sock != NULL)
		bufferevent_enable(px->px_sock, EV_READ | EV_WRITE);
	/* frames the browser sent along with its request */
	web_proxy_client_read(px->px_bev, px);
}

static size_t
web_proxy_count(uid_t uid)
{
	struct web_proxy	*px;
	size_t			 n = 0;

	TAILQ_FOREACH(px, &web_proxies, px_entry)
		if (px->px_uid == uid)
			n++;
	return n;
}

/*
 * GET /ws/...: checked as a WebSocket handshake, then fwsd is asked;
 * a VM's by its name and, when owner is not -1, its owner's uid (an
 * admin's view of another user's VM of a name they may have too).
 */
void
web_proxy_open(struct web_conn *cn, struct web_session *s,
    enum web_proxy_kind kind, const char *vm, int64_t owner)
{
	struct web_req		*hr = web_http_req(cn);
	struct web_proxy	*px;
	const char		*v;
	json_t			*args;

	if (!web_parse_has_token(web_parse_header(hr, "upgrade"), "websocket") ||
	    !web_parse_has_token(web_parse_header(hr, "connection"),
	    "upgrade")) {
		web_http_error(cn, 400, "invalid_argument", "a WebSocket's "
		    "address: ask for the upgrade");
		return;
	}
	if ((v = web_parse_header(hr, "sec-websocket-version")) == NULL ||
	    strcmp(v, "13") != 0) {
		hr->hr_keep_alive = 0;
		web_http_reply_json(cn, 426, json_pack("{s{ss ss}}", "error",
		    "code", "invalid_argument", "message", "WebSocket version "
		    "13 only"), "Sec-WebSocket-Version: 13\r\n");
		return;
	}
	if (web_proxy_n >= WEB_CONNS_MAX ||
	    web_proxy_count(s->ss_uid) >= WEB_PROXY_PER_UID) {
		web_http_error(cn, 429, "busy", "too many WebSockets open");
		return;
	}
	if ((px = calloc(1, sizeof(*px))) == NULL ||
	    (px->px_linger = evtimer_new(web_base, web_proxy_linger, px)) ==
	    NULL) {
		free(px);
		web_http_error(cn, 500, "internal", "out of memory");
		return;
	}
	TAILQ_INSERT_TAIL(&web_proxies, px, px_entry);
	web_proxy_n++;
	if (web_ws_accept(web_parse_header(hr, "sec-websocket-key"),
	    px->px_accept) == -1) {
		web_proxy_free(px);
		web_http_error(cn, 400, "invalid_argument", "a malformed "
		    "Sec-WebSocket-Key");
		return;
	}
	px->px_kind = kind;
	px->px_conn = web_http_id(cn);
	px->px_uid = s->ss_uid;
	px->px_touched = web_clock();
	memcpy(px->px_session, s->ss_id, sizeof(px->px_session));
	px->px_binary = web_parse_has_token(web_parse_header(hr,
	    "sec-websocket-protocol"), "binary");
	if (vm != NULL)
		snprintf(px->px_vm, sizeof(px->px_vm), "%s", vm);
	if (kind == WEB_PROXY_EVENTS)
		args = json_pack("{sb si}", "follow", 1, "limit", 0);
	else
		args = json_pack("{ss}", "name", vm);
	if (kind != WEB_PROXY_EVENTS && owner >= 0)
		json_object_set_new(args, "owner", json_integer(owner));
	px->px_stream = web_fwsd_open(web_proxy_verbs[kind], s->ss_uid, args,
	    kind != WEB_PROXY_EVENTS, web_proxy_reply,
	    kind == WEB_PROXY_EVENTS ? web_proxy_event : NULL,
	    web_proxy_stream_end, px);
	if (px->px_stream == NULL) {
		web_proxy_free(px);
		web_http_error(cn, 502, "internal", "fwsd cannot be reached");
	}
}

/* Proxies whose session has ended are closed. */
static void
web_proxy_check(int fd, short what, void *arg)
{
	struct web_proxy	*px;
	struct timeval		 tv = { WEB_WS_CHECK, 0 };

	(void)fd;
	(void)what;
	(void)arg;
	web_session_expire();
	TAILQ_FOREACH(px, &web_proxies, px_entry)
		if (px->px_bev != NULL && !px->px_closing &&
		    web_session_find(px->px_session, 0) == NULL)
			web_proxy_end(px, 1008, "the session has ended");
	evtimer_add(web_proxy_check_ev, &tv);
}

void
web_proxy_init(void)
{
	struct timeval	 tv = { WEB_WS_CHECK, 0 };

	if ((web_proxy_check_ev = evtimer_new(web_base, web_proxy_check,
	    NULL)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	evtimer_add(web_proxy_check_ev, &tv);
}

void
web_proxy_shutdown(void)
{
	struct web_proxy	*px;

	while ((px = TAILQ_FIRST(&web_proxies)) != NULL)
		web_proxy_free(px);
	if (web_proxy_check_ev != NULL)
		event_free(web_proxy_check_ev);
	web_proxy_check_ev = NULL;
}
