/*
 * web-limit.c: failed logins per client address.  WEB_LOGIN_FAILS
 * failures within a window of WEB_LOGIN_WINDOW seconds (from the first
 * of them) and the address is refused until the window ends; a
 * success does not wipe the count.  fwsd keeps its own count per user
 * name besides.  At most WEB_LIMIT_ADDRS addresses are remembered: the
 * oldest window makes room.  The clock is given at init.
 */
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "web.h"

struct web_limit {
	TAILQ_ENTRY(web_limit)	 li_entry;
	char			 li_addr[64];
	int			 li_fails;
	int64_t			 li_since;
};
TAILQ_HEAD(web_limits, web_limit);

static struct web_limits	 web_limits = TAILQ_HEAD_INITIALIZER(web_limits);
static size_t			 web_limit_n;
static int			 web_limit_max = WEB_LOGIN_FAILS;
static int64_t			 web_limit_window = WEB_LOGIN_WINDOW;
static int64_t			(*web_limit_clock)(void) = web_clock;

void
web_limit_init(int max, int64_t window, int64_t (*clock)(void))
{
	web_limit_max = max;
	web_limit_window = window;
	web_limit_clock = clock != NULL ? clock : web_clock;
}

static void
web_limit_free(struct web_limit *li)
{
	TAILQ_REMOVE(&web_limits, li, li_entry);
	web_limit_n--;
	free(li);
}

/* The address's entry, windows that have ended forgotten on the way. */
static struct web_limit *
web_limit_find(const char *addr)
{
	struct web_limit	*li, *next, *found = NULL;
	int64_t			 now = web_limit_clock();

	TAILQ_FOREACH_SAFE(li, &web_limits, li_entry, next) {
		if (now - li->li_since >= web_limit_window)
			web_limit_free(li);
		else if (strcmp(li->li_addr, addr) == 0)
			found = li;
	}
	return found;
}

/*
 * May addr try to log in?  0, or -1 with *retry the seconds until it
 * may again.
 */
int
web_limit_check(const char *addr, int64_t *retry)
{
	struct web_limit	*li;

	if ((li = web_limit_find(addr)) == NULL || li->li_fails < web_limit_max)
		return 0;
	*retry = li->li_since + web_limit_window - web_limit_clock();
	if (*retry < 1)
		*retry = 1;
	return -1;
}

void
web_limit_fail(const char *addr)
{
	struct web_limit	*li;

	if ((li = web_limit_find(addr)) != NULL) {
		li->li_fails++;
		return;
	}
	if (web_limit_n >= WEB_LIMIT_ADDRS)
		web_limit_free(TAILQ_FIRST(&web_limits));
	if ((li = calloc(1, sizeof(*li))) == NULL)
		return;
	snprintf(li->li_addr, sizeof(li->li_addr), "%s", addr);
	li->li_fails = 1;
	li->li_since = web_limit_clock();
	TAILQ_INSERT_TAIL(&web_limits, li, li_entry);
	web_limit_n++;
}
