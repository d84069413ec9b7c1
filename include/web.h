/*
 * web.h: fws-web, the web panel's daemon (supervisor/web/).  It serves
 * the panel's pages and a JSON API over HTTPS, and proxies WebSockets,
 * acting for each logged-in user through fwsd's control socket with
 * "as": fwsd alone decides what the user may see and do.  Limits,
 * configuration, and the prototypes its modules share, by file.
 */
#ifndef FWS_WEB_H
#define FWS_WEB_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define WEB_CONFIG_DEFAULT	"/etc/fws/fws-web.conf"
#define WEB_STATE_DIR		"/var/lib/fws-web"
#define WEB_LISTEN_DEFAULT	"0.0.0.0:8443"
#define WEB_USER_DEFAULT	"fws-web"
#define WEB_NOVNC_DEFAULT	"/usr/share/novnc"
#ifndef WEB_PREFIX
#define WEB_PREFIX		"/usr/local"
#endif
#define WEB_STATIC_DEFAULT	WEB_PREFIX "/share/fws/web"
#define WEB_XTERM_DEFAULT	WEB_PREFIX "/share/fws/xterm"
#define WEB_SESSION_IDLE	(30 * 60)	/* s without a request */
#define WEB_SESSION_MAX		(12 * 3600)	/* s after the login */

#define WEB_HEAD_MAX		(16 * 1024)	/* request line and headers */
#define WEB_HEADERS_MAX		64
#define WEB_BODY_MAX		(64 * 1024)
#define WEB_FILE_MAX		(32 * 1024 * 1024)	/* a static file */
#define WEB_CONNS_MAX		1024	/* connections, all clients */
#define WEB_CONNS_PER_ADDR	64	/* connections of one address */
#define WEB_HEAD_TIMEOUT	20	/* s to send a whole request head */
#define WEB_IDLE_TIMEOUT	60	/* s a kept-alive connection waits */
#define WEB_ID_HEX		64	/* session id, CSRF token, login token */
#define WEB_SESSIONS_MAX	4096
#define WEB_SESSIONS_PER_UID	32	/* a 33rd login drops the oldest */
#define WEB_LOGIN_FAILS		10	/* failed logins of one address ... */
#define WEB_LOGIN_WINDOW	300	/* ... in this many s: then 429 */
#define WEB_LIMIT_ADDRS		4096	/* addresses remembered */
#define WEB_NAME_MAX		32	/* a login name */
#define WEB_PASSWORD_MAX	512
#define WEB_WS_FRAME_MAX	(1024 * 1024)	/* a frame, or a message */
#define WEB_WS_BUFFERED		(1024 * 1024)	/* queued one way, then
						   the other side waits */
#define WEB_WS_EVENTS_BUFFERED	(4 * 1024 * 1024) /* events a browser
						   leaves unread: closed */
#define WEB_WS_CHECK		30	/* s between checks of sessions */
#define WEB_FWSD_LINE_MAX	(32 * 1024 * 1024) /* a reply from fwsd */
#define WEB_FWSD_IDLE		30	/* s before the shared connection
					   to fwsd is closed when idle */
#define WEB_COOKIE		"fws_session"

struct web_config {
	char		*wcf_listen;		/* ADDRESS:PORT */
	char		*wcf_tls_cert;
	char		*wcf_tls_key;
	char		*wcf_fwsd_socket;
	char		*wcf_static_dir;
	char		*wcf_novnc_dir;
	char		*wcf_xterm_dir;
	char		*wcf_user;		/* dropped to when started as root */
	int64_t		 wcf_session_idle;	/* s */
	int64_t		 wcf_session_max;	/* s */
};

/* One HTTP request as read (web-parse.c); everything points into hr_buf. */
struct web_header {
	const char	*wh_name;	/* lower case */
	const char	*wh_value;	/* blanks trimmed */
};

struct web_req {
	char		*hr_buf;	/* the head, a copy, NUL-separated */
	const char	*hr_method;
	const char	*hr_path;	/* the target without its query */
	const char	*hr_query;	/* after '?', or "" */
	int		 hr_minor;	/* HTTP/1.x */
	struct web_header hr_headers[WEB_HEADERS_MAX];
	int		 hr_nheaders;
	size_t		 hr_length;	/* Content-Length, 0 if none */
	int		 hr_keep_alive;
	char		*hr_body;	/* NUL-terminated, hr_length bytes */
};

/* WebSocket frames (web-ws.c), RFC 6455 */
#define WS_OP_CONT		0x0
#define WS_OP_TEXT		0x1
#define WS_OP_BINARY		0x2
#define WS_OP_CLOSE		0x8
#define WS_OP_PING		0x9
#define WS_OP_PONG		0xa
#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING		1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_TOO_BIG	1009
#define WS_HEADER_MAX		14
#define WS_ACCEPT_LEN		28	/* base64 of a SHA-1 */

struct web_ws_frame {
	int		 wf_fin;
	int		 wf_opcode;
	int		 wf_masked;
	uint8_t		 wf_mask[4];
	size_t		 wf_hdr;	/* bytes of the header */
	uint64_t	 wf_len;	/* of the payload */
};

/* A message across fragments: what the next data frame must be. */
struct web_ws_msg {
	int		 wm_in;		/* a fragmented message is open */
	int		 wm_opcode;	/* its opcode */
	uint64_t	 wm_len;	/* its bytes so far */
};

struct web_session {
	char		 ss_id[WEB_ID_HEX + 1];
	char		 ss_csrf[WEB_ID_HEX + 1];
	uid_t		 ss_uid;
	int		 ss_admin;
	char		*ss_user;
	int64_t		 ss_created;
	int64_t		 ss_used;
};

struct web_conn;
struct bufferevent;

/* fws-web.c */
extern struct event_base	*web_base;
extern struct web_config	 web_conf;

/* web-config.c */
void	 web_config_defaults(struct web_config *);
int	 web_config_set(struct web_config *, const char *, const char *,
	    char **);
int	 web_config_load(struct web_config *, const char *, int, char **);
void	 web_config_clear(struct web_config *);

/* web-tls.c */
struct ssl_ctx_st;
struct ssl_ctx_st *web_tls_context(const char *, const char *, char **);
int	 web_tls_selfsign(const char *, const char *, char **);

/* web-parse.c: pure, unit-tested */
int	 web_parse_head(const char *, size_t, struct web_req *, char **);
void	 web_parse_clear(struct web_req *);
const char *web_parse_header(const struct web_req *, const char *);
int	 web_parse_cookie(const char *, const char *, char *, size_t);
int	 web_parse_has_token(const char *, const char *);
int	 web_parse_origin_ok(const char *, const char *);
int	 web_parse_hex_id(const char *);
int	 web_parse_query(const char *, const char *, char *, size_t);
int	 web_parse_login_name(const char *);

/* web-ws.c: pure, unit-tested */
int	 web_ws_parse(const uint8_t *, size_t, int, struct web_ws_frame *,
	    int *);
int	 web_ws_sequence(struct web_ws_msg *, const struct web_ws_frame *,
	    int *);
void	 web_ws_unmask(uint8_t *, size_t, const uint8_t *);
size_t	 web_ws_header(uint8_t *, int, int, uint64_t, const uint8_t *);
int	 web_ws_accept(const char *, char *);

/* web-status.c */
int	 web_status_of(const char *);
const char *web_status_reason(int);

/* web-session.c */
void	 web_session_init(int64_t, int64_t, int64_t (*)(void));
struct web_session *web_session_new(uid_t, int, const char *);
struct web_session *web_session_find(const char *, int);
void	 web_session_delete(struct web_session *);
void	 web_session_expire(void);
void	 web_session_clear(void);
size_t	 web_session_count(void);
json_t	*web_session_json(const struct web_session *);
int	 web_session_csrf_ok(const struct web_session *, const char *);
int64_t	 web_clock(void);

/* web-limit.c */
void	 web_limit_init(int, int64_t, int64_t (*)(void));
int	 web_limit_check(const char *, int64_t *);
void	 web_limit_fail(const char *);

/* web-http.c */
typedef void (*web_dispatch_fn)(struct web_conn *, struct web_req *);
int	 web_http_listen(int, struct ssl_ctx_st *, web_dispatch_fn);
struct web_conn *web_http_find(uint64_t);
uint64_t web_http_id(const struct web_conn *);
const char *web_http_addr(const struct web_conn *);
struct web_req *web_http_req(struct web_conn *);
void	 web_http_set_user(struct web_conn *, const char *);
void	 web_http_reply(struct web_conn *, int, const char *, const char *,
	    size_t, const char *);
void	 web_http_reply_file(struct web_conn *, const char *, int, size_t);
void	 web_http_reply_json(struct web_conn *, int, json_t *, const char *);
void	 web_http_error(struct web_conn *, int, const char *, const char *,
	    ...) __attribute__((format(printf, 4, 5)));
struct bufferevent *web_http_upgrade(struct web_conn *, const char *);
void	 web_http_shutdown(void);

/* web-fwsd.c: fwsd's control socket, never waited on */
typedef void (*web_fwsd_fn)(void *, json_t *, int, const char *);
typedef void (*web_fwsd_line_fn)(void *, json_t *);
typedef void (*web_fwsd_end_fn)(void *);
struct web_fwsd_stream;
void	 web_fwsd_init(const char *);
void	 web_fwsd_call(const char *, int64_t, json_t *, web_fwsd_fn, void *);
struct web_fwsd_stream *web_fwsd_open(const char *, int64_t, json_t *, int,
	    web_fwsd_fn, web_fwsd_line_fn, web_fwsd_end_fn, void *);
void	 web_fwsd_close(struct web_fwsd_stream *);
void	 web_fwsd_shutdown(void);

/* web-static.c */
int	 web_static_path(const char *, char *, size_t);
const char *web_static_type(const char *);
void	 web_static_serve(struct web_conn *, const char *, const char *);

/* web-route.c */
void	 web_route_dispatch(struct web_conn *, struct web_req *);

/* web-login.c: /api/session */
void	 web_login_post(struct web_conn *, struct web_req *);
void	 web_login_get(struct web_conn *, struct web_session *);
void	 web_login_delete(struct web_conn *, struct web_session *);

/* web-api.c: /api/... to fwsd's verbs */
void	 web_api_call(struct web_conn *, struct web_session *, const char *,
	    json_t *);
void	 web_api_reply(struct web_conn *, json_t *, int, const char *);

/* web-proxy.c: /ws/... */
enum web_proxy_kind {
	WEB_PROXY_EVENTS,
	WEB_PROXY_CONSOLE,
	WEB_PROXY_SCREEN,
};
void	 web_proxy_open(struct web_conn *, struct web_session *,
	    enum web_proxy_kind, const char *, int64_t);
void	 web_proxy_init(void);
void	 web_proxy_shutdown(void);

#endif
