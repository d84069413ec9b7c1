/*
 * log.h: the one logging module (supervisor/log.c).
 *
 * Operator-facing lines start with the VM's name; diagnostics start with
 * __func__.  log_warn appends strerror(errno).  fatal/fatalx exit and are
 * only for start-up or a broken internal invariant.
 */
#ifndef FWS_LOG_H
#define FWS_LOG_H

#include <stdarg.h>

void	log_init(int foreground, int verbose);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
