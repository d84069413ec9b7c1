/*
 * cause.c: building the sentences that fallible functions hand back to
 * their callers through a char **cause (see STYLE: the caller decides
 * whether to log it or reply with it), and formatted allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fws.h"

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		abort();	/* out of memory: nothing sensible is left */
	return s;
}

/* Set *cause (when cause is not NULL) and return -1, for "return fail(...)" */
int
cause_fail(char **cause, const char *fmt, ...)
{
	va_list	 ap;

	if (cause == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
	return -1;
}
