/*
 * log.c: the one logging module.  Lines go to stderr: plain in the
 * foreground, with <N> syslog priority prefixes when stderr is journald's
 * (JOURNAL_STREAM is set), to syslog when detached.  Debug lines only
 * with --verbose.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int	log_to_stderr = 1;
static int	log_prefix_prio;
static int	log_verbose;

void
log_init(int foreground, int verbose)
{
	log_verbose = verbose;
	log_prefix_prio = getenv("JOURNAL_STREAM") != NULL;
	log_to_stderr = foreground || log_prefix_prio;
	if (!log_to_stderr)
		openlog("fwsd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void
log_vwrite(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char	 msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!log_to_stderr) {
		if (suffix != NULL)
			syslog(prio, "%s: %s", msg, suffix);
		else
			syslog(prio, "%s", msg);
		return;
	}
	if (log_prefix_prio)
		fprintf(stderr, "<%d>", prio);
	if (suffix != NULL)
		fprintf(stderr, "%s: %s\n", msg, suffix);
	else
		fprintf(stderr, "%s\n", msg);
	fflush(stderr);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
