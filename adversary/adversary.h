/*
 * adversary.h - the adversary at run time: one object a driver calls for
 * every message in flight, carrying out an attack_plan (attack.h).
 *
 * It sees the world only through its port (struct adv_port): inject a
 * frame, its seeded random stream, the clock; and it holds the private
 * keys of the replicas it corrupted, handed to it once at setup
 * (adversary_corrupt, which refuses an honest replica). It never sees a
 * driver's internals, and no function gives it an honest replica's key:
 * it can forge (re-sign) only as a Byzantine replica of its plan; what it
 * does to honest messages (tampering) is caught at ingress. The simulator
 * reaches it through adversary_hook (the glue at the end of this file);
 * the ZeroMQ proxy will build a port over its sockets and call
 * adversary_on_message the same way.
 *
 * It is deterministic: every choice it makes draws from the port's PRNG
 * stream (PRNG_ADVERSARY in the simulator), and it keeps only bounded
 * state (a conflict map, a ring of recorded frames for replays).
 */
#ifndef BYZ_ADVERSARY_H
#define BYZ_ADVERSARY_H

#include "attack.h"
#include "crypto.h"
#include "mutate.h"
#include "prng.h"
#include "sim.h"

#include <stdbool.h>
#include <stdint.h>

struct adversary;

/* What the adversary did, for the run's results. */
struct adversary_stats {
	uint64_t dropped, delayed, duplicated, replayed, tampered;
	uint64_t rewritten;   /* Byzantine messages re-signed with changes */
	uint64_t refused;     /* re-signings refused: no key for the sender */
	uint64_t injected;    /* extra Byzantine messages (double votes,
			       * stale copies) */
	uint64_t partitioned; /* dropped by a partition or the twins' one */
	uint64_t per_attack[ATK_MAX]; /* messages each attack touched */
};

/* Check a plan against a cluster; 0 or -1 with why (e.g. "equivocate
 * needs at least one Byzantine replica"). */
int adversary_check(const struct attack_plan *plan, uint32_t n, uint32_t f,
		    char *why, size_t whylen);

int adversary_new(const struct attack_plan *plan, uint32_t n, uint32_t f,
		  uint64_t gst_us, struct adversary **out);
void adversary_free(struct adversary **a);

/* Hand the adversary the key pair of a replica it corrupted. Returns 0,
 * or BYZ_EINVAL if replica is not a Byzantine replica of the plan (an
 * honest replica's key is refused) or kp is NULL. Called once per
 * Byzantine replica, at setup. */
int adversary_corrupt(struct adversary *a, uint32_t replica,
		      const struct byz_keypair *kp);

struct adversary_stats adversary_stats(const struct adversary *a);

/* ---- the port: the adversary's whole view of the world ------------------ */

/* A message in flight, as the adversary sees it. */
struct adv_msg {
	uint64_t id;	      /* the send's id in the trace */
	uint32_t from, to;    /* node addresses (core.h) */
	const uint8_t *frame; /* the signed frame; the adversary may point this
			       * at its own bytes, valid until its next call */
	size_t len;
	uint64_t
	    delay_us; /* the network's delay; the adversary may change it */
	bool forged;  /* set when the bytes were changed without the
		       * sender's key (tampering): ingress must reject
		       * such a frame */
};

enum adv_verdict {
	ADV_DELIVER =
	    0,	      /* deliver (the possibly replaced) frame after delay_us */
	ADV_DROP = 1, /* drop it */
};

/* What a driver lends the adversary. inject puts another message in
 * flight (it does not pass the adversary again) and returns 0 or an error
 * code; inject_forged does the same for bytes the adversary altered
 * without the sender's key. now is the driver's clock (microseconds:
 * virtual in the simulator). rng is the adversary's own seeded stream. */
struct adv_port {
	void *ctx;
	int (*inject)(void *ctx, uint32_t from, uint32_t to,
		      const uint8_t *frame, size_t len, uint64_t delay_us);
	int (*inject_forged)(void *ctx, uint32_t from, uint32_t to,
			     const uint8_t *frame, size_t len,
			     uint64_t delay_us);
	uint64_t (*now)(void *ctx);
	struct prng *rng;
};

/* Carry out the plan on one message in flight: it may change its delay,
 * replace its frame, drop it, or inject more through the port. */
enum adv_verdict adversary_on_message(struct adversary *a,
				      const struct adv_port *port,
				      struct adv_msg *m);

/*
 * Forge a variant of m: apply mutation mut (mutate.h) and re-sign it with
 * the key of m's sender, then inject it from m->from to m->to after
 * delay_us. Returns 0 once injected; BYZ_ENOKEY if the adversary does not
 * hold the sender's key (an honest replica, a client: refused, and
 * counted in stats.refused); ADV_MUT_SKIP if the mutation does not apply
 * to m; or adv_mutate's or inject's error.
 */
int adversary_forge(struct adversary *a, const struct adv_port *port,
		    const struct adv_msg *m, enum adv_mutation mut,
		    uint64_t delay_us);

/* ---- the simulator's glue ----------------------------------------------- */

/* Set what the plan changes in a simulation: the Byzantine set, twins,
 * crashes and restarts, and the hook. 0 or -1 with why (too many crashes). */
int adversary_configure(struct adversary *a, struct sim_config *cfg, char *why,
			size_t whylen);
/* The same without an adversary (no hook): what a plan for n replicas
 * changes in a configuration, for checking it before any run. */
int adversary_plan_config(const struct attack_plan *plan, uint32_t n,
			  struct sim_config *cfg, char *why, size_t whylen);

/* Hand the adversary the keys of its plan's Byzantine replicas from a
 * simulation made with a configuration adversary_configure set up
 * (sim_byzantine_key). Call once, after sim_new and before sim_run.
 * Returns 0, or BYZ_EINVAL if the simulation does not count one of them
 * as Byzantine. */
int adversary_attach(struct adversary *a, const struct sim *s);

/* The simulator's hook (sim.h); ctx is the struct adversary. It lends the
 * adversary a port over the simulation and calls adversary_on_message. */
enum sim_verdict adversary_hook(void *ctx, struct sim *s, struct sim_flight *m);

/* The protocol round of a frame, for `rounds=` windows, as its codec says
 * (wire.h, round; WIRE_VIEW_ROUND + v for view-change traffic into view
 * v). 0 for anything else (such frames match no round window). */
uint64_t adversary_frame_round(const uint8_t *frame, size_t len);

#endif
