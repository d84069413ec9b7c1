/*
 * fwsctl-loan.c: fwsctl's side of loans.  --until DATE and --for
 * DURATION (create, loan) are read here, in the caller's time zone,
 * into the absolute time fwsd is sent; loan shows or changes a VM's
 * loan, loans lists what ends when.  fwsd decides what may be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fws.h"
#include "fwsctl.h"

/*
 * --until DATE or --for DURATION, as the time the loan ends: 0 and
 * *until untouched when neither is given, 1 when one is; exits 2 on a
 * bad one or on both.
 */
int
fwsctl_until(struct ctx *c, int64_t *until)
{
	const char	*u = fwsctl_opt(c, "until"), *f = fwsctl_opt(c, "for");
	int64_t		 v;
	char		*cause;

	if (u != NULL && f != NULL)
		fwsctl_errx(2, "give --until or --for, not both");
	if (u != NULL) {
		if (parse_date(u, &v, &cause) == -1)
			fwsctl_errx(2, "--until: %s", cause);
		*until = v;
		return 1;
	}
	if (f != NULL) {
		if (parse_duration(f, &v, &cause) == -1)
			fwsctl_errx(2, "--for: %s", cause);
		*until = time(NULL) + v;
		return 1;
	}
	return 0;
}

/* "2026-12-01 12:00 (in 3 days)", or "-" for no loan. */
static char *
loan_when(json_t *t)
{
	int64_t	 end, now = time(NULL);
	char	*date, *left, *s;

	if (!json_is_integer(t))
		return xasprintf("-");
	end = json_integer_value(t);
	date = date_text(end);
	left = duration_words(end > now ? end - now : now - end);
	s = xasprintf("%s (%s%s%s)", date, end > now ? "in " : "",
	    left, end > now ? "" : " ago");
	free(date);
	free(left);
	return s;
}

/* The loan of a VM in a sentence, and its next step. */
static void
loan_print(json_t *o)
{
	const char	*name = json_string_value(json_object_get(o, "name"));
	const char	*next = json_string_value(json_object_get(o,
			    "loan_next"));
	char		*when, *at;

	if (!json_is_integer(json_object_get(o, "loan_end"))) {
		printf("%s has no loan: it never ends\n", name);
		return;
	}
	when = loan_when(json_object_get(o, "loan_end"));
	printf("%s is %s: lent until %s\n", name,
	    json_string_value(json_object_get(o, "state")), when);
	free(when);
	if (next != NULL) {
		at = loan_when(json_object_get(o, "loan_next_at"));
		printf("next: %s at %s\n", next, at);
		free(at);
	}
}

/* loan NAME [--extend DURATION | --until DATE | --for DURATION | --remove] */
int
verb_loan(struct ctx *c)
{
	json_t		*args, *r;
	const char	*ext = fwsctl_opt(c, "extend");
	int64_t		 until, secs;
	char		*cause;
	int		 n, remove = fwsctl_opt(c, "remove") != NULL;

	if (validate_name(c->c_name, &cause) == -1)
		fwsctl_errx(2, "%s", cause);
	args = fwsctl_name_args(c);
	n = fwsctl_until(c, &until);
	if (n + (ext != NULL) + remove > 1)
		fwsctl_errx(2, "loan %s: give one of --extend, --until, --for "
		    "and --remove", c->c_name);
	if (n)
		json_object_set_new(args, "until", json_integer(until));
	if (ext != NULL) {
		if (parse_duration(ext, &secs, &cause) == -1)
			fwsctl_errx(2, "--extend: %s", cause);
		json_object_set_new(args, "extend", json_integer(secs));
	}
	if (remove)
		json_object_set_new(args, "remove", json_true());
	r = fwsctl_call(PROTO_CMD_LOAN, args, NULL);
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else
		loan_print(json_object_get(r, "result"));
	json_decref(r);
	return 0;
}

/* loans: what ends when, soonest first */
int
verb_loans(struct ctx *c)
{
	json_t	*r, *a, *o;
	char	*end, *at, user[64];
	size_t	 i, w = 4, we = 4;
	int	 others = 0;

	if ((a = fwsctl_call_list(c, PROTO_CMD_LOANS, NULL, &r)) == NULL)
		return 0;
	json_array_foreach(a, i, o) {
		if (strlen(json_string_value(json_object_get(o, "name"))) > w)
			w = strlen(json_string_value(json_object_get(o,
			    "name")));
		end = loan_when(json_object_get(o, "loan_end"));
		if (strlen(end) > we)
			we = strlen(end);
		free(end);
		if (json_integer_value(json_object_get(o, "owner")) !=
		    (json_int_t)fwsctl_uid())
			others = 1;
	}
	if (others)
		printf("%-12s  ", "OWNER");
	printf("%-*s  %-8s  %-*s  %s\n", (int)w, "NAME", "STATE", (int)we,
	    "ENDS", "NEXT");
	json_array_foreach(a, i, o) {
		if (others)
			printf("%-12s  ", fwsctl_user_name(json_object_get(o,
			    "owner"), user, sizeof(user)));
		end = loan_when(json_object_get(o, "loan_end"));
		at = loan_when(json_object_get(o, "loan_next_at"));
		printf("%-*s  %-8s  %-*s  %s%s%s\n", (int)w,
		    json_string_value(json_object_get(o, "name")),
		    json_string_value(json_object_get(o, "state")), (int)we, end,
		    json_is_string(json_object_get(o, "loan_next")) ?
		    json_string_value(json_object_get(o, "loan_next")) : "-",
		    json_is_string(json_object_get(o, "loan_next")) ? " at " :
		    "", json_is_string(json_object_get(o, "loan_next")) ? at :
		    "");
		free(end);
		free(at);
	}
	json_decref(r);
	return 0;
}
