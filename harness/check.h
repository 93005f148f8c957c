/*
 * check.h - the safety and liveness checkers.
 *
 * They read a trace_log (trace.h): what clients submitted and what every
 * replica committed, with who was Byzantine (ignored) and who was down at
 * the end. ARCHITECTURE.md, "The harness":
 *
 *   agreement     no two honest replicas commit different requests at the
 *                 same height;
 *   prefix        each honest replica's log is 1, 2, 3, ... in the order it
 *                 committed: no gap, no height committed twice, no going back;
 *   validity      every executed request is one a client signed and
 *                 submitted (same client, timestamp and op digest);
 *   no-duplicate  no honest replica executes one (client, timestamp) twice;
 *   digests       honest replicas at equal heights have equal state digests;
 *   vote-once     no honest replica sends two different votes of one kind
 *                 for one view and slot (lib/audit.h: its `fault` lines);
 *   certificates  no honest replica sends a certificate without a quorum
 *                 of distinct signers for one thing (the same);
 *   new-view      no honest new leader proposes other than what the
 *                 messages it cites prescribe (the same);
 *   lock          no honest replica votes below the lock its own earlier
 *                 votes imply (the same);
 *   decide        no honest replica commits what its protocol's commit
 *                 rule does not allow on what it has seen (the same);
 *   progress      timely progress after GST: no honest replica gives up
 *                 (times out) a view led by an honest replica that every
 *                 honest replica entered in step after GST (the `view`
 *                 lines);
 *   liveness      every submitted request is committed at every honest
 *                 replica that is up at the end, by max(submit time, GST) +
 *                 the bound.
 */
#ifndef BYZ_CHECK_H
#define BYZ_CHECK_H

#include "trace.h"

#include <stddef.h>
#include <stdint.h>

enum check_id {
	CHECK_AGREEMENT = 0,
	CHECK_PREFIX,
	CHECK_VALIDITY,
	CHECK_NO_DUPLICATE,
	CHECK_DIGESTS,
	CHECK_VOTE_ONCE,
	CHECK_CERTIFICATES,
	CHECK_NEW_VIEW,
	CHECK_LOCK,
	CHECK_DECIDE,
	CHECK_CAUSALITY,
	CHECK_PROGRESS,
	CHECK_LIVENESS,
	CHECK_COUNT
};

#define CHECK_ALL ((1u << CHECK_COUNT) - 1)
/* Liveness-class checkers: judged only after a GST, and not safety. */
#define CHECK_LIVE_CLASS (1u << CHECK_LIVENESS | 1u << CHECK_PROGRESS)
#define CHECK_SAFETY	 (CHECK_ALL & ~CHECK_LIVE_CLASS)
#define CHECK_KEEP	 16 /* violations kept verbatim; the rest are counted */

struct check_violation {
	enum check_id check;
	uint32_t replica; /* the replica it was seen at (or UINT32_MAX) */
	uint64_t height;  /* or 0 */
	char detail[240]; /* one line for people, e.g. "replica 2 committed
			   * c1/t5 at height 7 but replica 0 committed c3/t2" */
};

struct check_result {
	size_t total;		       /* violations found */
	size_t per_check[CHECK_COUNT]; /* of which, per checker */
	size_t kept;		       /* entries used in v[] */
	struct check_violation v[CHECK_KEEP];
};

/* "agreement", "prefix", "validity", "no-duplicate", "digests",
 * "vote-once", "certificates", "new-view", "lock", "decide", "progress",
 * "liveness" */
const char *check_name(enum check_id id);

/*
 * Run the checkers in mask (bits 1u << enum check_id) over log.
 * liveness_bound_us is the bound after GST. Fills *out; returns 0, or
 * BYZ_ENOMEM. Deterministic: the same log gives the same result, in the
 * same order.
 */
int check_run(const struct trace_log *log, unsigned mask,
	      uint64_t liveness_bound_us, struct check_result *out);

#endif
