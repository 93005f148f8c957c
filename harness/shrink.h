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

#include <stdbool.h>
#include <stdint.h>
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
 * not NULL, gets one line per candidate. 0, -1 if sc does not fail, or
 * -2 when out of memory.
 * Serial, in this process (shrinker_* below, one candidate at a time). */
int shrink_scenario(const struct scenario *sc,
		    const struct scenario_result *res, FILE *progress,
		    struct shrink_result *out);

/*
 * The shrink as a state machine, so that its candidates can run anywhere
 * (shrinkpool.h: on worker processes) while the result stays that of the
 * serial greedy algorithm above, whatever runs them and in which order
 * their results come.
 *
 * The serial algorithm is a sequence of candidates, each built from the
 * smallest failing scenario so far; a candidate that still fails is kept
 * and the next ones are built from it. A shrinker hands out the next
 * candidates in that order before the earlier ones' results are in,
 * assuming none of them is kept (up to `window` at once). It takes the
 * results in the serial order only: the first candidate that still fails
 * is kept exactly as the serial algorithm keeps it, every candidate
 * handed out after it is dropped (its result, when it comes, is ignored),
 * and the next candidates are built from the kept one. tries, kept,
 * steps, the progress lines and the result are those of the serial
 * algorithm; only the runs thrown away are extra.
 */

/* Where the serial order is (shrink.c's loops). */
struct shrink_cursor {
	int stage;
	size_t i;
	int sub;
	bool any; /* a candidate was kept in this pass */
};

/* A candidate handed out and not yet taken into account. */
struct shrink_slot {
	uint64_t ticket;
	bool have; /* its result came */
	bool in_pass;
	int rc; /* scenario_run's return */
	struct shrink_cursor after;
	char what[700];
	struct scenario cand;
	struct scenario_result r;
};

#define SHRINK_WINDOW_MAX 64

enum shrink_phase {
	SHRINK_RERUN,	    /* run the failure again first */
	SHRINK_GOING,	    /* handing out candidates */
	SHRINK_DONE,	    /* out holds the shrunk failure */
	SHRINK_NOT_FAILING, /* it did not fail when run again (out->res) */
};

struct shrinker {
	struct shrink_result *out;
	enum shrink_kind kind;
	FILE *progress;
	enum shrink_phase phase;
	struct shrink_cursor gen; /* after the last candidate handed out */
	bool gen_end;		  /* ... which was the serial order's last */
	/* The candidates out, in the serial order (malloc'd one by one). */
	struct shrink_slot *win[SHRINK_WINDOW_MAX];
	size_t window, len;
	uint64_t next_ticket;
	unsigned handed, thrown; /* runs handed out; of them dropped */
	bool oom;		 /* ended for want of memory (not shrunk) */
};

/* Start shrinking sc into out. res: the result of a run of sc, or NULL
 * to run sc again first (then the first candidate handed out is sc
 * itself). window: how many candidates may be out at once (1 to
 * SHRINK_WINDOW_MAX; 1 is the serial algorithm step by step). Then:
 * phase SHRINK_NOT_FAILING if res does not fail. */
void shrinker_init(struct shrinker *k, const struct scenario *sc,
		   const struct scenario_result *res, size_t window,
		   FILE *progress, struct shrink_result *out);
/* Free what k holds (the candidates out). */
void shrinker_free(struct shrinker *k);
/* The next candidate to run (its ticket in *ticket), or NULL when none
 * can be handed out now: the window is full, the order waits for results
 * (the end of a pass), or it has ended (shrinker_done). The candidate
 * stays valid until its result is given or it is dropped. */
const struct scenario *shrinker_next(struct shrinker *k, uint64_t *ticket);
/* The candidate with this ticket if k still wants its result, else NULL
 * (to run it again after its worker died). */
const struct scenario *shrinker_wanted(const struct shrinker *k,
				       uint64_t ticket);
/* The result of the candidate with this ticket (rc: scenario_run's
 * return); ignored if k no longer wants it. */
void shrinker_result(struct shrinker *k, uint64_t ticket, int rc,
		     const struct scenario_result *r);
/* Whether k has ended: SHRINK_DONE (out of memory if k->oom: then out
 * is not the shrunk failure) or SHRINK_NOT_FAILING. */
bool shrinker_done(const struct shrinker *k);

#endif
