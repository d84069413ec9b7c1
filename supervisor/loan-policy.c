/*
 * loan-policy.c: what a loan's next step is, and when.  A pure function
 * of the loan (its end, the warnings given), whether the VM is expired
 * already, the configured warnings, grace and policy, and the wall
 * clock's now: loan.c asks it for every VM, acts on the steps that are
 * due and sleeps until the earliest of the others.  No I/O, no clock
 * read here, so a clock that jumps either way is just another "now".
 */
#include <stdlib.h>

#include "fws.h"

static const char *const loan_step_names[] = {
	[LOAN_NONE] = "none",
	[LOAN_WARN] = "warning",
	[LOAN_EXPIRE] = "expiry",
	[LOAN_DELETE] = "deletion",
};

const char *
loan_step_name(enum loan_step step)
{
	return loan_step_names[step];
}

/* Has the loan ended (by now)?  A VM without a loan never ends. */
int
loan_over(const struct vm_loan *lo, int64_t now)
{
	return lo->lo_end != 0 && lo->lo_end <= now;
}

/*
 * The loan's next step and its time, *when (due when it is now or
 * earlier); for a warning *lead, how long before the end it warns.
 *
 * Before the end: the warnings not given yet (those shorter than the
 * last given), each at the end less its lead, then the end itself.  Of
 * several warnings due at once (fwsd was away, or the loan was set
 * short) only the shortest is given: the others would say less.  Once
 * the end has come, no warning is: the step is the end.  After it, an
 * expired VM is deleted at the end plus the grace when the policy says
 * delete; under keep nothing more happens.
 */
enum loan_step
loan_next(const struct vm_loan *lo, int expired, const struct loan_policy *lp,
    int64_t now, int64_t *when, int64_t *lead)
{
	int64_t	 due = 0, next = 0, l;
	int	 i;

	*when = 0;
	*lead = 0;
	if (lo->lo_end == 0)
		return LOAN_NONE;
	if (expired) {
		if (!lp->lp_delete)
			return LOAN_NONE;
		*when = lo->lo_end + lp->lp_grace;
		return LOAN_DELETE;
	}
	*when = lo->lo_end;
	if (lo->lo_end <= now)
		return LOAN_EXPIRE;
	/* largest first: the due ones come first, the shortest due last */
	for (i = 0; i < lp->lp_nwarn; i++) {
		l = lp->lp_warn[i];
		if (l <= 0 || (lo->lo_warned != 0 && l >= lo->lo_warned))
			continue;
		if (lo->lo_end - l <= now)
			due = l;
		else if (next == 0)
			next = l;
	}
	if (due == 0 && next == 0)
		return LOAN_EXPIRE;
	*lead = due != 0 ? due : next;
	*when = lo->lo_end - *lead;
	return LOAN_WARN;
}

/*
 * May a loan end at end: a time to come, at most FWS_DURATION_MAX from
 * now?  -1 and a sentence when not.
 */
int
loan_end_valid(int64_t end, int64_t now, char **cause)
{
	char	*t;

	if (end <= now) {
		t = date_text(end);
		cause_fail(cause, "the loan would end %s, which is past: "
		    "give a time to come", t);
		free(t);
		return -1;
	}
	if (end - now > FWS_DURATION_MAX)
		return cause_fail(cause, "the loan would end more than %lld "
		    "days from now", (long long)(FWS_DURATION_MAX / 86400));
	return 0;
}
