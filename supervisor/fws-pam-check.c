/*
 * fws-pam-check.c: fws-pam-check NAME, fwsd's helper for the web
 * panel's password logins.  It reads the password from stdin (at most
 * 512 bytes, to end of file), asks PAM (service fws-web: authenticate,
 * then account) whether NAME may log in with it, and prints the user's
 * uid on stdout: exit 0; 1 when PAM says no (for whatever reason), 2 on
 * a usage error.  It runs as root, a child of fwsd, which kills it when
 * it takes too long.  Nothing goes to stderr or a log here, the password
 * least of all; PAM's modules log as they do (the name, never the
 * password).  What the modules print is thrown away: stdout carries the
 * uid alone.
 */
#include <sys/mman.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define PAM_CHECK_SERVICE	"fws-web"
#define PAM_CHECK_PASSWORD_MAX	512
#define PAM_CHECK_NAME_MAX	32

static char	 password[PAM_CHECK_PASSWORD_MAX + 2];

/* [a-z_][a-z0-9_-]{0,31}, as fwsd checked it */
static int
name_ok(const char *name)
{
	size_t	 len = strlen(name);

	return len >= 1 && len <= PAM_CHECK_NAME_MAX &&
	    strchr("abcdefghijklmnopqrstuvwxyz_", name[0]) != NULL &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

/* PAM's questions: the password for a hidden one, nothing else. */
static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *arg)
{
	struct pam_response	*r;
	int			 i;

	(void)arg;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	if ((r = calloc(n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
			if ((r[i].resp = strdup(password)) == NULL)
				goto fail;
		} else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			goto fail;
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++)
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	free(r);
	return PAM_CONV_ERR;
}

/* The password, stdin to its end; -1 when too long or holding a NUL. */
static int
read_password(void)
{
	size_t	 len = 0;
	ssize_t	 n;

	for (;;) {
		n = read(0, password + len, sizeof(password) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		len += n;
		if (len > PAM_CHECK_PASSWORD_MAX)
			return -1;
	}
	password[len] = '\0';
	return strlen(password) == len ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	struct pam_conv	 pc = { conv, NULL };
	pam_handle_t	*ph = NULL;
	struct passwd	*pw;
	const void	*item;
	const char	*user;
	int		 rc, out, null;

	if (argc != 2 || !name_ok(argv[1]))
		return 2;
	/* the password stays in memory, never in swap */
	(void)mlockall(MCL_CURRENT | MCL_FUTURE);
	if (read_password() == -1) {
		explicit_bzero(password, sizeof(password));
		return 2;
	}
	/* stdout is the answer's alone; what modules print goes nowhere */
	if ((out = dup(1)) == -1 ||
	    (null = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(null, 1) == -1 || dup2(null, 2) == -1)
		return 1;
	rc = pam_start(PAM_CHECK_SERVICE, argv[1], &pc, &ph);
	if (rc == PAM_SUCCESS)
		rc = pam_authenticate(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	explicit_bzero(password, sizeof(password));
	/* the user PAM settled on (a module may map the name) */
	if (rc == PAM_SUCCESS)
		rc = pam_get_item(ph, PAM_USER, &item);
	user = rc == PAM_SUCCESS ? item : NULL;
	pw = user != NULL ? getpwnam(user) : NULL;
	if (ph != NULL)
		pam_end(ph, rc);
	if (rc != PAM_SUCCESS || pw == NULL)
		return 1;
	if (dprintf(out, "%u\n", (unsigned)pw->pw_uid) < 0)
		return 1;
	return 0;
}
