/*
 * test_loan.c: loan_next, a loan's next step and its time, as cases of
 * (loan, expired, policy, now) and the step expected; then whole loans
 * walked through by a clock that goes as loan.c's timer would, that
 * jumps forward past several steps, and that jumps back; and the ends a
 * loan may be given.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "fws.h"

#define DAY	86400
#define END	1796126400	/* 2026-12-01 12:00 UTC */

static const int64_t	 warn2[] = { 7 * DAY, DAY };
static const struct loan_policy keep = { warn2, 2, 30 * DAY, 0 };
static const struct loan_policy del = { warn2, 2, 30 * DAY, 1 };
static const struct loan_policy quiet = { NULL, 0, 10, 1 };

static void
test_steps(void **state)
{
	static const struct {
		int64_t			 end, warned;
		int			 expired;
		const struct loan_policy *lp;
		int64_t			 now;
		enum loan_step		 step;
		int64_t			 when, lead;
	} cases[] = {
		/* no loan: never anything */
		{ 0, 0, 0, &del, END, LOAN_NONE, 0, 0 },
		{ 0, 0, 1, &del, END, LOAN_NONE, 0, 0 },
		/* long before: the first warning, not due */
		{ END, 0, 0, &keep, END - 30 * DAY, LOAN_WARN, END - 7 * DAY,
		    7 * DAY },
		/* the week's warning is due */
		{ END, 0, 0, &keep, END - 7 * DAY, LOAN_WARN, END - 7 * DAY,
		    7 * DAY },
		/* given: the day's is next */
		{ END, 7 * DAY, 0, &keep, END - 7 * DAY, LOAN_WARN, END - DAY,
		    DAY },
		/* both given: the end */
		{ END, DAY, 0, &keep, END - DAY, LOAN_EXPIRE, END, 0 },
		/* both due at once (fwsd was away): only the day's */
		{ END, 0, 0, &keep, END - 3600, LOAN_WARN, END - DAY, DAY },
		/* a loan set shorter than the first warning: that one at once
		 * (its words say what is left), the day's at its time */
		{ END, 0, 0, &keep, END - 2 * DAY, LOAN_WARN, END - 7 * DAY,
		    7 * DAY },
		{ END, 7 * DAY, 0, &keep, END - 2 * DAY, LOAN_WARN, END - DAY,
		    DAY },
		/* the end has come: no warning, whatever was given */
		{ END, 0, 0, &keep, END, LOAN_EXPIRE, END, 0 },
		{ END, 7 * DAY, 0, &keep, END + 5, LOAN_EXPIRE, END, 0 },
		/* no warnings configured */
		{ END, 0, 0, &quiet, END - 30 * DAY, LOAN_EXPIRE, END, 0 },
		/* expired: kept for ever, or deleted after the grace */
		{ END, DAY, 1, &keep, END + 365 * DAY, LOAN_NONE, 0, 0 },
		{ END, DAY, 1, &del, END + 1, LOAN_DELETE, END + 30 * DAY, 0 },
		{ END, DAY, 1, &del, END + 31 * DAY, LOAN_DELETE,
		    END + 30 * DAY, 0 },
		/* an extended loan starts its warnings over (warned 0) */
		{ END + 60 * DAY, 0, 0, &keep, END, LOAN_WARN,
		    END + 53 * DAY, 7 * DAY },
		/* warnings configured anew, longer than the last given */
		{ END, 3600, 0, &keep, END - 10 * DAY, LOAN_EXPIRE, END, 0 },
	};
	int64_t	 when, lead;
	size_t	 i;
	struct vm_loan lo;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		lo.lo_end = cases[i].end;
		lo.lo_warned = cases[i].warned;
		if (loan_next(&lo, cases[i].expired, cases[i].lp, cases[i].now,
		    &when, &lead) != cases[i].step || when != cases[i].when ||
		    lead != cases[i].lead)
			fail_msg("case %zu: %s at %lld lead %lld", i,
			    loan_step_name(loan_next(&lo, cases[i].expired,
			    cases[i].lp, cases[i].now, &when, &lead)),
			    (long long)when, (long long)lead);
	}
}

static void
test_over(void **state)
{
	struct vm_loan	 lo = { 0, 0 };

	(void)state;
	assert_false(loan_over(&lo, END));
	lo.lo_end = END;
	assert_false(loan_over(&lo, END - 1));
	assert_true(loan_over(&lo, END));
	assert_true(loan_over(&lo, END + 1));
}

/*
 * One loan as loan.c's timer lives it: sleep until the next step's
 * time (or to "jump", when the clock is set), do what is due, again.
 * The steps done and their times go into out.
 */
struct done {
	enum loan_step	 d_step;
	int64_t		 d_at;
	int64_t		 d_lead;
};

static int
walk(struct vm_loan *lo, const struct loan_policy *lp, int64_t now,
    int64_t jump_from, int64_t jump_to, struct done *out, int max)
{
	enum loan_step	 step;
	int64_t		 when, lead;
	int		 n = 0, expired = 0;

	while (n < max) {
		step = loan_next(lo, expired, lp, now, &when, &lead);
		if (step == LOAN_NONE)
			break;
		if (when > now) {
			/* the timer sleeps; the clock may be set meanwhile */
			if (jump_from != 0 && now < jump_from &&
			    when > jump_from) {
				now = jump_to;
				jump_from = 0;
				continue;
			}
			now = when;
			continue;
		}
		out[n].d_step = step;
		out[n].d_at = now;
		out[n].d_lead = lead;
		n++;
		if (step == LOAN_WARN)
			lo->lo_warned = lead;
		else if (step == LOAN_EXPIRE)
			expired = 1;
		else
			break;
	}
	return n;
}

static void
test_walk(void **state)
{
	struct vm_loan	 lo;
	struct done	 d[8];
	int		 n;

	(void)state;
	/* as planned: two warnings, the end, the deletion */
	lo.lo_end = END;
	lo.lo_warned = 0;
	n = walk(&lo, &del, END - 60 * DAY, 0, 0, d, 8);
	assert_int_equal(n, 4);
	assert_int_equal(d[0].d_step, LOAN_WARN);
	assert_true(d[0].d_at == END - 7 * DAY && d[0].d_lead == 7 * DAY);
	assert_int_equal(d[1].d_step, LOAN_WARN);
	assert_true(d[1].d_at == END - DAY && d[1].d_lead == DAY);
	assert_int_equal(d[2].d_step, LOAN_EXPIRE);
	assert_true(d[2].d_at == END);
	assert_int_equal(d[3].d_step, LOAN_DELETE);
	assert_true(d[3].d_at == END + 30 * DAY);

	/* the clock jumps forward from before the first warning to an hour
	 * before the end: one warning (the day's), then the end */
	lo.lo_end = END;
	lo.lo_warned = 0;
	n = walk(&lo, &keep, END - 60 * DAY, END - 10 * DAY, END - 3600, d, 8);
	assert_int_equal(n, 2);
	assert_int_equal(d[0].d_step, LOAN_WARN);
	assert_true(d[0].d_at == END - 3600 && d[0].d_lead == DAY);
	assert_int_equal(d[1].d_step, LOAN_EXPIRE);
	assert_true(d[1].d_at == END);

	/* forward past the end and the grace: the end, then the deletion,
	 * at once, in that order, no warning */
	lo.lo_end = END;
	lo.lo_warned = 0;
	n = walk(&lo, &del, END - 60 * DAY, END - 10 * DAY, END + 40 * DAY,
	    d, 8);
	assert_int_equal(n, 2);
	assert_int_equal(d[0].d_step, LOAN_EXPIRE);
	assert_int_equal(d[1].d_step, LOAN_DELETE);
	assert_true(d[0].d_at == END + 40 * DAY && d[1].d_at == END + 40 * DAY);

	/* the clock jumps back after the first warning: nothing is due, the
	 * day's warning comes at its time, given once */
	lo.lo_end = END;
	lo.lo_warned = 0;
	n = walk(&lo, &keep, END - 8 * DAY, END - 2 * DAY, END - 20 * DAY, d,
	    8);
	assert_int_equal(n, 3);
	assert_true(d[0].d_step == LOAN_WARN && d[0].d_lead == 7 * DAY);
	assert_true(d[1].d_step == LOAN_WARN && d[1].d_lead == DAY);
	assert_true(d[1].d_at == END - DAY);
	assert_true(d[2].d_step == LOAN_EXPIRE && d[2].d_at == END);
}

static void
test_end_valid(void **state)
{
	char	*cause = NULL;

	(void)state;
	assert_int_equal(loan_end_valid(END + 1, END, NULL), 0);
	assert_int_equal(loan_end_valid(END + FWS_DURATION_MAX, END, NULL), 0);
	assert_int_equal(loan_end_valid(END, END, &cause), -1);
	assert_non_null(strstr(cause, "which is past"));
	free(cause);
	assert_int_equal(loan_end_valid(0, END, &cause), -1);
	assert_non_null(strstr(cause, "which is past"));
	free(cause);
	assert_int_equal(loan_end_valid(END + FWS_DURATION_MAX + 1, END,
	    &cause), -1);
	assert_non_null(strstr(cause, "more than 36600 days"));
	free(cause);
	assert_int_equal(loan_end_valid(INT64_MAX, END, &cause), -1);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_over),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_end_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
