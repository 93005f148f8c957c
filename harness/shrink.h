/*
 * shrink.h - minimise a failing scenario: remove faults and shorten the
 * schedule while the same kind of failure (a safety violation, or else a
 * liveness failure) persists.
 *
 * Greedy, to a fixpoint, in this order: stop at the first violation;
 * drop whole attacks; drop crashes; drop Byzantine replicas no attack
 * needs; halve the workload; end every attack at the violation; halve
 * attack windows, round ranges and probabilities. Every candidate is run
 * in full; only candidates that still fail are kept, so the result is a
 * real, replayable failure.
 */
#ifndef BYZ_SHRINK_H
#define BYZ_SHRINK_H

#include "scenario.h"

#include <stdio.h>

#define SHRINK_MAX_TRIES 300

struct shrink_result {
	struct scenario sc;	    /* the smallest failing scenario found */
	struct scenario_result res; /* its result */
	unsigned tries, kept;
	char steps[2048]; /* "dropped attack drop:p=0.1; ..." */
};

/* The kind of failure a shrink keeps: a safety violation, else a failing
 * verdict (liveness), else a run that is not timely (check.h, progress:
 * a `timely` expectation missed with a passing verdict). */
enum shrink_kind { SHRINK_UNSAFE, SHRINK_FAIL, SHRINK_UNTIMELY };

/* The kind of failure res is; SHRINK_FAIL also for a run that did not
 * fail at all (shrink_still_fails then says no). */
enum shrink_kind shrink_kind_of(const struct scenario_result *res);
/* Whether res is a failure of that kind. */
bool shrink_still_fails(const struct scenario_result *res,
			enum shrink_kind kind);

/* Shrink sc, whose run gave res (which must be a failure). progress, if
 * not NULL, gets one line per candidate. 0, or -1 if sc does not fail. */
int shrink_scenario(const struct scenario *sc,
		    const struct scenario_result *res, FILE *progress,
		    struct shrink_result *out);

#endif
