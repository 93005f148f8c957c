/*
 * adversary.h - the adversary at run time: one object a driver calls for
 * every message in flight (the simulator through its hook; the ZeroMQ proxy
 * later through the same adversary_on_message), carrying out an
 * attack_plan (attack.h).
 *
 * It is deterministic: every choice it makes draws from the PRNG stream
 * the driver gives it (PRNG_ADVERSARY in the simulator), and it keeps only
 * bounded state (a conflict map, a ring of recorded frames for replays).
 * It signs only as the Byzantine replicas of its plan, with their keys.
 */
#ifndef BYZ_ADVERSARY_H
#define BYZ_ADVERSARY_H

#include "attack.h"
#include "sim.h"

#include <stdbool.h>
#include <stdint.h>

struct adversary;

/* What the adversary did, for the run's results. */
struct adversary_stats {
	uint64_t dropped, delayed, duplicated, replayed, tampered;
	uint64_t rewritten;      /* Byzantine messages re-signed with changes */
	uint64_t injected;       /* extra Byzantine messages (double votes,
				  * stale copies) */
	uint64_t partitioned;    /* dropped by a partition or the twins' one */
	uint64_t per_attack[ATK_MAX]; /* messages each attack touched */
};

/* Check a plan against a cluster; 0 or -1 with why (e.g. "equivocate
 * needs at least one Byzantine replica"). */
int adversary_check(const struct attack_plan *plan, uint32_t n, uint32_t f,
		    char *why, size_t whylen);

int adversary_new(const struct attack_plan *plan, uint32_t n, uint32_t f,
		  uint64_t gst_us, struct adversary **out);
void adversary_free(struct adversary **a);

/* Set what the plan changes in a simulation: the Byzantine set, twins,
 * crashes and restarts, and the hook. 0 or -1 with why (too many crashes). */
int adversary_configure(struct adversary *a, struct sim_config *cfg,
			char *why, size_t whylen);

/* The simulator's hook (sim.h); ctx is the struct adversary. */
enum sim_verdict adversary_hook(void *ctx, struct sim *s, struct sim_flight *m);

struct adversary_stats adversary_stats(const struct adversary *a);

/* The protocol round of a frame, for `rounds=` windows: HotStuff, the
 * view; PBFT, the sequence number of PRE-PREPARE, PREPARE, COMMIT and
 * CHECKPOINT, and ATK_VIEW_ROUND + v for VIEW-CHANGE and NEW-VIEW into
 * view v. 0 for anything else (such frames match no round window). */
uint64_t adversary_frame_round(const uint8_t *frame, size_t len);

#endif
