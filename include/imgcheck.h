/*
 * imgcheck.h: what fws-image-check reads in a guest's files, as pure
 * functions over lines (imgcheck-parse.c): /etc/passwd and /etc/shadow
 * lines, crypt(3) hashes tried against the well-known passwords,
 * sshd_config directives, authorized_keys lines against the well-known
 * insecure keys.  Nothing here does I/O; the lines come from a guest
 * and are hostile.
 */
#ifndef FWS_IMGCHECK_H
#define FWS_IMGCHECK_H

#include <stddef.h>

/* What one file may be, read whole; larger is reported, not read. */
#define IMGCHECK_FILE_MAX	(1024 * 1024)
#define IMGCHECK_ACCOUNTS_MAX	1024	/* passwd/shadow lines read */
#define IMGCHECK_HOMES_MAX	256	/* authorized_keys looked for */
#define IMGCHECK_HASHES_MAX	128	/* accounts whose hash is tried */
#define IMGCHECK_FINDINGS_MAX	64	/* reported; more are counted */
#define IMGCHECK_NAME_MAX	64	/* an account's name */
#define IMGCHECK_HOME_MAX	256	/* a home directory */
#define IMGCHECK_SSHD_FILES_MAX	16	/* sshd_config and what it includes */

/* One /etc/passwd line: name, password field, uid, home (pointers
 * into the line). */
struct imgcheck_passwd {
	const char	*ip_name;
	const char	*ip_pass;
	long		 ip_uid;
	const char	*ip_home;
};

/* One /etc/shadow line: name and hash field (pointers into the line). */
struct imgcheck_shadow {
	const char	*is_name;
	const char	*is_hash;
};

/* What sshd_config says of logins, the first value of each winning. */
enum imgcheck_root {
	IMGCHECK_ROOT_UNSET,		/* prohibit-password by default */
	IMGCHECK_ROOT_YES,
	IMGCHECK_ROOT_NO,
	IMGCHECK_ROOT_KEYS,		/* prohibit-password, forced-commands */
};
struct imgcheck_sshd {
	enum imgcheck_root	 sc_root;
	int			 sc_password;	/* -1 unset (yes), 0 no, 1 yes */
	int			 sc_kbd;	/* KbdInteractiveAuthentication */
	int			 sc_in_match;	/* past a Match: not global */
};

/* How a hash compares with the well-known passwords. */
enum imgcheck_pw {
	IMGCHECK_PW_OTHER,		/* none of them, or locked */
	IMGCHECK_PW_EMPTY,		/* no password at all */
	IMGCHECK_PW_KNOWN,		/* one of imgcheck_passwords */
	IMGCHECK_PW_COSTLY,		/* a cost too high to try */
};

extern const char *const imgcheck_passwords[];

int	imgcheck_passwd_line(char *, struct imgcheck_passwd *);
int	imgcheck_shadow_line(char *, struct imgcheck_shadow *);
int	imgcheck_name_ok(const char *);
int	imgcheck_home_ok(const char *);
enum imgcheck_pw imgcheck_password(const char *, const char *,
	    const char **);
int	imgcheck_sshd_line(const char *, char *, size_t, char *, size_t);
void	imgcheck_sshd_init(struct imgcheck_sshd *);
void	imgcheck_sshd_apply(struct imgcheck_sshd *, const char *,
	    const char *);
const char *imgcheck_key_line(const char *);
char	*imgcheck_next_line(char **, char *);

#endif
