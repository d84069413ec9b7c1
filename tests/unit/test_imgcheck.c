/*
 * test_imgcheck.c: what fws-image-check makes of a guest's lines
 * (imgcheck-parse.c): /etc/passwd and /etc/shadow lines, well formed or
 * not; hashes of each method crypt(3) takes, tried against the
 * well-known passwords and the account's name, locked and empty ones,
 * costs too high to try; sshd_config directives as sshd reads them
 * (first value wins, "=" and quotes, Match); authorized_keys lines with
 * and without options, Vagrant's keys and near misses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "imgcheck.h"

#define VAGRANT_RSA "AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ=="
#define VAGRANT_ED "AAAAC3NzaC1lZDI1NTE5AAAAIN1YdxBpNlzxDqfJyw/QKow1F+wvG9hXGoqiysfJOn5Y"

/* crypt(3) hashes made with Python's crypt module */
#define H_VAGRANT "$6$fwssalt1$7LR7UZggyUGybkGZ8T1y.shjjSwqBldq3ePZNcBiY/" \
		"gTvlv1UATLD86MKYqfTgIVfyJw3NQT9wpIqLMcGNeW1."
#define H_ROOT_Y "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$7sns0mBDIWgdwoL7WtVeg8Op" \
		"RLmM3pIF24UUv.9/Cu."
#define H_BOB	"$6$fwssalt2$rHUk48Mg4Gz7YFNeCFPEkqHZwyAlBxgbV9dTz0Vs1zrWu35" \
		"1l1RuvdPjZecaXhpKmYIvOG5Y9xJty76JAfXku1"
#define H_DES	"abJnggxhB/yWI"		/* "password" */
#define H_OTHER	"$6$fwssalt3$zuahOHsgKzepNfnehsf8I7n2KXEsxff.NrazYZJDc16rid" \
		"1k6/Nz.U9RdZdLpMbevJeOYTymicA9g1WcGQuTD0"
#define H_5	"$5$rounds=10000$fwssalt4$KJAHdFWDMVdXG9MhWebOkXnYxNHG9dwCGG" \
		"F2017tup7"		/* "123456" */

static void
test_passwd(void **state)
{
	struct imgcheck_passwd	 pw;
	char			 buf[512];
	const char *bad[] = { "", "#root:x:0:0::/root:/bin/sh",
	    "+:::::", "root", "root:x", "root:x:0:0", "root:x:zero:0::/r:/s",
	    "root:x:-1:0::/r:/s", "root:x:0x1:0::/r:/s", ":x:0:0::/r:/s",
	    "ro ot:x:0:0::/r:/s" };
	size_t	 i;

	(void)state;
	snprintf(buf, sizeof(buf), "vagrant:x:1000:1000:Vagrant,,,:"
	    "/home/vagrant:/bin/bash");
	assert_int_equal(imgcheck_passwd_line(buf, &pw), 0);
	assert_string_equal(pw.ip_name, "vagrant");
	assert_string_equal(pw.ip_pass, "x");
	assert_int_equal(pw.ip_uid, 1000);
	assert_string_equal(pw.ip_home, "/home/vagrant");
	/* a home without a shell field, and an empty password field */
	snprintf(buf, sizeof(buf), "toor::0:0::/root");
	assert_int_equal(imgcheck_passwd_line(buf, &pw), 0);
	assert_string_equal(pw.ip_pass, "");
	assert_string_equal(pw.ip_home, "/root");
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		if (imgcheck_passwd_line(buf, &pw) != -1)
			fail_msg("taken: \"%s\"", bad[i]);
	}
	/* homes worth a look */
	assert_true(imgcheck_home_ok("/home/vagrant"));
	assert_true(imgcheck_home_ok("/"));
	assert_false(imgcheck_home_ok(""));
	assert_false(imgcheck_home_ok("home/x"));
	assert_false(imgcheck_home_ok("/home/../etc"));
	assert_false(imgcheck_home_ok("/home/.."));
	assert_false(imgcheck_home_ok("/home/a b"));
	assert_false(imgcheck_home_ok("/home/\x1b[2J"));
	assert_false(imgcheck_home_ok("/home/{x}"));
	assert_false(imgcheck_home_ok("/home/\"x"));
	memset(buf, 'a', sizeof(buf));
	buf[0] = '/';
	buf[IMGCHECK_HOME_MAX + 1] = '\0';
	assert_false(imgcheck_home_ok(buf));
	buf[IMGCHECK_HOME_MAX] = '\0';
	assert_true(imgcheck_home_ok(buf));
	/* names: printable, short */
	assert_false(imgcheck_name_ok(""));
	assert_false(imgcheck_name_ok("a\x01"));
	assert_false(imgcheck_name_ok("-x"));
	assert_false(imgcheck_name_ok("a{b}"));
	assert_false(imgcheck_name_ok("a\"b"));
	assert_false(imgcheck_name_ok("a$b"));
	assert_true(imgcheck_name_ok("host1$"));
	assert_true(imgcheck_name_ok("J.Doe_2-x"));
	memset(buf, 'n', sizeof(buf));
	buf[IMGCHECK_NAME_MAX + 1] = '\0';
	assert_false(imgcheck_name_ok(buf));
}

static void
test_shadow(void **state)
{
	struct imgcheck_shadow	 sh;
	char			 buf[256];

	(void)state;
	snprintf(buf, sizeof(buf), "vagrant:%s:19000:0:99999:7:::", H_VAGRANT);
	assert_int_equal(imgcheck_shadow_line(buf, &sh), 0);
	assert_string_equal(sh.is_name, "vagrant");
	assert_string_equal(sh.is_hash, H_VAGRANT);
	/* a hash field alone, without the rest */
	snprintf(buf, sizeof(buf), "root:!");
	assert_int_equal(imgcheck_shadow_line(buf, &sh), 0);
	assert_string_equal(sh.is_hash, "!");
	snprintf(buf, sizeof(buf), "root");
	assert_int_equal(imgcheck_shadow_line(buf, &sh), -1);
	snprintf(buf, sizeof(buf), "#root::1::::::");
	assert_int_equal(imgcheck_shadow_line(buf, &sh), -1);
	snprintf(buf, sizeof(buf), ":$6$x$y:1::::::");
	assert_int_equal(imgcheck_shadow_line(buf, &sh), -1);
}

static void
test_passwords(void **state)
{
	const char	*which;
	char		 big[600];

	(void)state;
	assert_int_equal(imgcheck_password(H_VAGRANT, "vagrant", &which),
	    IMGCHECK_PW_KNOWN);
	assert_string_equal(which, "vagrant");
	assert_int_equal(imgcheck_password(H_ROOT_Y, "admin", &which),
	    IMGCHECK_PW_KNOWN);
	assert_string_equal(which, "root");
	assert_int_equal(imgcheck_password(H_DES, "x", &which),
	    IMGCHECK_PW_KNOWN);
	assert_string_equal(which, "password");
	assert_int_equal(imgcheck_password(H_5, "x", &which),
	    IMGCHECK_PW_KNOWN);
	assert_string_equal(which, "123456");
	/* the account's own name */
	assert_int_equal(imgcheck_password(H_BOB, "bob", &which),
	    IMGCHECK_PW_KNOWN);
	assert_string_equal(which, "bob");
	assert_int_equal(imgcheck_password(H_BOB, "alice", &which),
	    IMGCHECK_PW_OTHER);
	assert_null(which);
	assert_int_equal(imgcheck_password(H_OTHER, "vagrant", &which),
	    IMGCHECK_PW_OTHER);
	/* none at all, and locked ones (a locked well-known one too) */
	assert_int_equal(imgcheck_password("", "x", &which),
	    IMGCHECK_PW_EMPTY);
	assert_int_equal(imgcheck_password("!", "x", &which),
	    IMGCHECK_PW_OTHER);
	assert_int_equal(imgcheck_password("*", "x", &which),
	    IMGCHECK_PW_OTHER);
	assert_int_equal(imgcheck_password("!" H_VAGRANT, "x", &which),
	    IMGCHECK_PW_OTHER);
	assert_int_equal(imgcheck_password("x", "x", &which),
	    IMGCHECK_PW_OTHER);
	assert_int_equal(imgcheck_password("$6$", "x", &which),
	    IMGCHECK_PW_OTHER);
	/* costs a guest may ask for: never tried */
	assert_int_equal(imgcheck_password("$6$rounds=999999999$salt$abc",
	    "x", &which), IMGCHECK_PW_COSTLY);
	assert_int_equal(imgcheck_password("$5$rounds=99999999999999999999$"
	    "s$abc", "x", &which), IMGCHECK_PW_COSTLY);
	assert_int_equal(imgcheck_password("$6$rounds=$salt$abc", "x", &which),
	    IMGCHECK_PW_COSTLY);
	assert_int_equal(imgcheck_password("$2b$31$R9h/cIPz0gi.URNNX3kh2OPST9"
	    "/PgBkqquzi.Ss7KIUgO2t0jWMUW", "x", &which), IMGCHECK_PW_COSTLY);
	/* too long to be a hash */
	memset(big, 'a', sizeof(big));
	big[0] = '$';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(imgcheck_password(big, "x", &which),
	    IMGCHECK_PW_OTHER);
}

static void
sshd(struct imgcheck_sshd *sc, const char *const *lines)
{
	char	 kw[64], arg[256];

	imgcheck_sshd_init(sc);
	for (; *lines != NULL; lines++)
		if (imgcheck_sshd_line(*lines, kw, sizeof(kw), arg,
		    sizeof(arg)))
			imgcheck_sshd_apply(sc, kw, arg);
}

static void
test_sshd(void **state)
{
	struct imgcheck_sshd	 sc;
	char			 kw[8], arg[8];
	const char *debian[] = { "# the default", "Include "
	    "/etc/ssh/sshd_config.d/*.conf", "#PermitRootLogin "
	    "prohibit-password", "KbdInteractiveAuthentication no",
	    "UsePAM yes", NULL };
	const char *vagrant[] = { "  PermitRootLogin   yes", "PermitRootLogin no",
	    "PasswordAuthentication yes", NULL };
	const char *eq[] = { "permitrootlogin=YES", "PASSWORDAUTHENTICATION = "
	    "\"no\"", NULL };
	const char *match[] = { "PasswordAuthentication no", "Match User "
	    "vagrant", "PermitRootLogin yes", "PasswordAuthentication yes",
	    NULL };
	const char *odd[] = { "PermitRootLogin", "PermitRootLogin maybe",
	    "PasswordAuthentication", "\tPermitRootLogin\twithout-password\r",
	    NULL };

	(void)state;
	sshd(&sc, debian);
	assert_int_equal(sc.sc_root, IMGCHECK_ROOT_UNSET);
	assert_int_equal(sc.sc_password, -1);
	assert_int_equal(sc.sc_kbd, 0);
	sshd(&sc, vagrant);
	assert_int_equal(sc.sc_root, IMGCHECK_ROOT_YES);	/* the first */
	assert_int_equal(sc.sc_password, 1);
	sshd(&sc, eq);
	assert_int_equal(sc.sc_root, IMGCHECK_ROOT_YES);
	assert_int_equal(sc.sc_password, 0);
	sshd(&sc, match);
	assert_int_equal(sc.sc_root, IMGCHECK_ROOT_UNSET);
	assert_int_equal(sc.sc_password, 0);
	assert_true(sc.sc_in_match);
	sshd(&sc, odd);
	assert_int_equal(sc.sc_root, IMGCHECK_ROOT_KEYS);
	assert_int_equal(sc.sc_password, -1);
	/* blank and comment lines are none; long words are cut */
	assert_int_equal(imgcheck_sshd_line("", kw, sizeof(kw), arg,
	    sizeof(arg)), 0);
	assert_int_equal(imgcheck_sshd_line("   # x", kw, sizeof(kw), arg,
	    sizeof(arg)), 0);
	assert_int_equal(imgcheck_sshd_line("PermitRootLogin "
	    "prohibit-password", kw, sizeof(kw), arg, sizeof(arg)), 1);
	assert_string_equal(kw, "permitr");
	assert_string_equal(arg, "prohibi");
	assert_int_equal(imgcheck_sshd_line("X \"unterminated", kw,
	    sizeof(kw), arg, sizeof(arg)), 1);
	assert_string_equal(arg, "untermi");
}

static void
test_keys(void **state)
{
	const char *rsa[] = { "ssh-rsa " VAGRANT_RSA,
	    "ssh-rsa " VAGRANT_RSA " vagrant insecure public key",
	    "  ssh-rsa\t" VAGRANT_RSA "\r",
	    "no-pty,from=\"10.0.0.1\" ssh-rsa " VAGRANT_RSA,
	    "command=\"echo a b c\",no-agent-forwarding ssh-rsa " VAGRANT_RSA
	    " x" };
	const char *ed[] = { "ssh-ed25519 " VAGRANT_ED " vagrant",
	    "restrict ssh-ed25519 " VAGRANT_ED };
	const char *none[] = { "", "# ssh-rsa " VAGRANT_RSA,
	    "ssh-rsa " VAGRANT_RSA "x", "ssh-rsa x" VAGRANT_RSA,
	    "ssh-ed25519 " VAGRANT_RSA, "ssh-rsa " VAGRANT_ED,
	    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC", "ssh-rsa",
	    "command=\"ssh-rsa " VAGRANT_RSA "\" ssh-ed25519 AAAAC3Nza x",
	    "a b ssh-rsa " VAGRANT_RSA };
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(rsa) / sizeof(*rsa); i++)
		if (imgcheck_key_line(rsa[i]) == NULL ||
		    strstr(imgcheck_key_line(rsa[i]), "RSA") == NULL)
			fail_msg("missed: \"%.60s\"", rsa[i]);
	for (i = 0; i < sizeof(ed) / sizeof(*ed); i++)
		if (imgcheck_key_line(ed[i]) == NULL ||
		    strstr(imgcheck_key_line(ed[i]), "ed25519") == NULL)
			fail_msg("missed: \"%.60s\"", ed[i]);
	for (i = 0; i < sizeof(none) / sizeof(*none); i++)
		if (imgcheck_key_line(none[i]) != NULL)
			fail_msg("taken: \"%.60s\"", none[i]);
}

static void
test_lines(void **state)
{
	char	 buf[] = "a\n\nb\nc", *p = buf, *end = buf + strlen(buf);
	char	*l;

	(void)state;
	l = imgcheck_next_line(&p, end);
	assert_string_equal(l, "a");
	l = imgcheck_next_line(&p, end);
	assert_string_equal(l, "");
	l = imgcheck_next_line(&p, end);
	assert_string_equal(l, "b");
	l = imgcheck_next_line(&p, end);
	assert_string_equal(l, "c");
	assert_null(imgcheck_next_line(&p, end));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwd),
		cmocka_unit_test(test_shadow),
		cmocka_unit_test(test_passwords),
		cmocka_unit_test(test_sshd),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
