/*
 * fwsctl.h: what fwsctl's files share (supervisor/fwsctl*.c).
 */
#ifndef FWS_FWSCTL_H
#define FWS_FWSCTL_H

#include <jansson.h>

/* fwsctl.c */
void	 fwsctl_errx(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
int	 fwsctl_connect(void);
json_t	*fwsctl_call(const char *, json_t *, int *);

/* fwsctl-console.c */
int	 fwsctl_console(const char *, int);

#endif
