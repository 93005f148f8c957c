/*
 * sim.h - the deterministic discrete-event simulator (the `sim` driver).
 *
 * It owns a virtual clock (microseconds), one seeded PRNG per purpose
 * (prng.h), a network model, the replicas' cores, their timers and
 * persisted state, crash/restart, and simulated clients (client cores,
 * client.h, driven like replicas, with a workload around them). Every
 * message a node sends takes the path of ARCHITECTURE.md: sign at egress,
 * the network model (loss, latency, jitter), the adversary hook, then
 * decode and verify every signature at ingress (ingress.h) before the core
 * sees it.
 *
 * Determinism: events are ordered by (time, insertion number); nothing
 * reads the wall clock or the OS; the same configuration and seed give a
 * byte-identical trace.
 */
#ifndef BYZ_SIM_H
#define BYZ_SIM_H

#include "core.h"
#include "prng.h"
#include "trace.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_CRASHES 16
#define SIM_MAX_CLOCKS	16
#define SIM_RATE_ONE	1000000u  /* a clock's rate 1, in millionths */
#define SIM_RATE_MIN	100000u	  /* 0.1 */
#define SIM_RATE_MAX	10000000u /* 10 */
#define SIM_SHIFT_MAX_US                                                       \
	(1000ull * 1000 * 1000 * 1000) /* |offset|, |jump|: 1e12 us */

struct sim;

/* A message in flight, as the adversary hook sees it. */
struct sim_flight {
	uint64_t id;	      /* the send's id in the trace */
	uint64_t now;	      /* when it was sent */
	uint32_t from, to;    /* node addresses (core.h) */
	const uint8_t *frame; /* the signed frame; the hook may point this at
			       * other bytes, valid until it returns */
	size_t len;
	uint64_t
	    delay_us; /* the network model's delay; the hook may change it */
	bool forged;  /* the hook sets it when it changed the frame
		       * without the sender's key (tampering): such a
		       * frame must be rejected at ingress, and one that
		       * is not is counted in sim_stats.forged_accepted */
};

enum sim_verdict {
	SIM_DELIVER =
	    0,	      /* deliver (the possibly replaced) frame after delay_us */
	SIM_DROP = 1, /* drop it */
};

/*
 * The hook on the network: called for every message in flight that the
 * network model did not lose. It may change the delay, replace the frame,
 * drop it, or add copies and other messages with sim_inject. The adversary
 * library installs adversary_hook here, which lends the adversary a narrow
 * port (inject, the clock, its PRNG) rather than this struct sim; tests
 * install their own.
 */
typedef enum sim_verdict (*sim_hook_fn)(void *ctx, struct sim *s,
					struct sim_flight *m);

/*
 * A side channel for tools that show runs (byzlab report chart): the bytes
 * of each message, which the trace does not hold (it has their type and
 * length). Not part of the trace nor of its hash, and it changes nothing
 * in the run: NULL in every run but those a tool draws.
 */
enum sim_frame_what {
	SIM_FRAME_SENT = 0, /* a node sent it (the frame it signed) */
	SIM_FRAME_CHANGED,  /* the hook replaced the frame with other bytes
			     * (a Byzantine sender's re-signed content) */
	SIM_FRAME_FORGED,   /* the hook tampered with it (sim_flight.forged) */
	SIM_FRAME_INJECTED, /* sim_inject: a copy, a replay, a re-signed one */
	SIM_FRAME_INJECTED_FORGED, /* sim_inject_forged */
};
typedef void (*sim_frame_fn)(void *ctx, uint64_t id, enum sim_frame_what what,
			     const uint8_t *frame, size_t len);

struct sim_network {
	uint64_t latency_us; /* base one-way delay */
	uint64_t jitter_us;  /* plus uniform [0, jitter_us] */
	double loss;	     /* per-message loss on every link before GST */
	uint64_t gst_us; /* from GST on: no loss (the network is synchronous) */
};

struct sim_workload {
	uint32_t clients;      /* 1..max_clients */
	uint32_t requests;     /* per client, sent one after another */
	uint32_t keys;	       /* key space of the generated operations */
	uint64_t think_us;     /* pause between a reply and the next request */
	uint64_t retry_us;     /* first retransmission timeout */
	uint64_t retry_max_us; /* backoff cap */
};

struct sim_crash {
	uint32_t replica;
	uint64_t at_us;
	uint64_t restart_at_us; /* 0: stays down */
	bool keep_state; /* restart from its persisted log, or from nothing
			  * (amnesia: the checkers then count the replica
			  * as faulty, though the run waits for it) */
};

/*
 * A faulty local clock of one replica (a timing fault of an otherwise
 * correct replica: it is neither crashed nor Byzantine). At real (virtual)
 * time t its clock reads
 *
 *     local(t) = max(0, floor(t * rate_ppm / 1e6) + offset_us
 *                       + (jump_us if t >= jump_at_us))
 *
 * in integers, exactly. Every event the replica steps sees now = local(t);
 * a timer it arms with delay d at local time L fires at the first real time
 * at which its clock reads L + d or more (a deadline on its own clock): at
 * rate 2 after d/2, at a forward jump at once if the jump passes the
 * deadline, after a backward jump later. A replica (and its twin) without
 * one reads real time.
 */
struct sim_clock {
	uint32_t replica;
	uint32_t rate_ppm;   /* SIM_RATE_MIN..SIM_RATE_MAX; SIM_RATE_ONE: 1 */
	int64_t offset_us;   /* |offset| <= SIM_SHIFT_MAX_US */
	int64_t jump_us;     /* 0: no jump; |jump| <= SIM_SHIFT_MAX_US */
	uint64_t jump_at_us; /* real time of the jump */
};

/* local(t) of clock c (NULL: t), and the first real time >= now at which
 * c reads deadline or more (UINT64_MAX: never, the deadline saturated).
 * c must be within the bounds sim_config_check enforces. */
uint64_t sim_clock_local(const struct sim_clock *c, uint64_t t);
uint64_t sim_clock_fire(const struct sim_clock *c, uint64_t now,
			uint64_t deadline);

struct sim_config {
	const struct byz_core_ops *ops;
	struct byz_config
	    core; /* n, f and the protocol's sizes; id is set per replica */
	uint64_t seed;
	struct sim_network net;
	struct sim_workload work;
	struct sim_crash crashes[SIM_MAX_CRASHES];
	size_t ncrashes;
	/* Faulty clocks, at most one per replica (struct sim_clock). */
	struct sim_clock clocks[SIM_MAX_CLOCKS];
	size_t nclocks;
	bool byzantine[BYZ_MAX_N]; /* excluded from checks and from "done" */
	uint64_t max_time_us;	   /* the run stops here at the latest */
	uint64_t max_events;	   /* and after this many events (0: no cap) */
	/* Twins: replica r (which must be Byzantine) runs a second instance
	 * at byz_twin_addr(r), with the same id and key. A message addressed
	 * to r goes to both instances, each through the network model and
	 * the hook, which decides (by partition) which instance hears it. */
	bool twin[BYZ_MAX_N];
	/* Stop as soon as two honest replicas commit different requests at one
	 * height (an agreement violation; trace_log.conflict). */
	bool stop_on_violation;
	/* How nodes sign (crypto.h): Ed25519 (the default, 0), or the fast
	 * keyed hash for exploration. The trace is the same but for what
	 * digests of signed bytes show (docs/crypto.md). */
	enum byz_scheme crypto;
	sim_hook_fn hook; /* NULL: no adversary */
	void *hook_ctx;
	/* The side channel above, or NULL (the run is the same either way). */
	sim_frame_fn on_frame;
	void *on_frame_ctx;
	/* If set, checked between events: non-zero stops the run (an
	 * interrupted run; its trace so far stays valid). */
	const volatile int *stop;
};

struct sim_stats {
	uint64_t now;	    /* virtual time at the end */
	uint64_t events;    /* events processed */
	uint64_t submitted; /* requests clients submitted */
	uint64_t accepted;  /* requests clients accepted (f+1 replies) */
	uint64_t requests;  /* requests the workload asked for */
	bool done;	    /* every request accepted and committed */
	bool hit_time_limit, hit_event_limit, interrupted;
	bool stopped_on_violation; /* cfg.stop_on_violation fired */
	uint64_t forged_accepted;  /* forged frames that passed ingress: must
				    * be 0, or ingress is broken */
	int core_error;		   /* a core's step failed (a bug): its code */
	uint64_t rules; /* rule coverage: bit k-1, the rule mutant k breaks
			 * decided something at an honest replica (core.h) */
	uint32_t core_error_replica;
};

/* Check cfg: the protocol's limits (core.h, byz_config_check), Byzantine
 * replicas in the cluster and fewer than n, the workload, crashes, twins,
 * leaders. On error returns BYZ_EINVAL and a sentence in why. */
int sim_config_check(const struct sim_config *cfg, char *why, size_t whylen);

/* A new simulation writing to tr (which the caller owns, and must have
 * initialised with the same n and f). */
int sim_new(const struct sim_config *cfg, struct trace *tr, struct sim **out);
void sim_destroy(struct sim **s);

/* Run until every request is accepted and committed at every honest
 * replica that is up, or a limit is reached. Returns 0 or an error code
 * (BYZ_ENOMEM; a core failure is reported in the stats, not here). */
int sim_run(struct sim *s);

struct sim_stats sim_stats(const struct sim *s);
uint64_t sim_now(const struct sim *s);
/* The PRNG stream reserved for the adversary. */
struct prng *sim_adversary_prng(struct sim *s);

/* Put a message in flight from `from` to `to` (node addresses), arriving
 * after delay_us; it does not pass the hook again. For the adversary's
 * port (duplicates, replays, re-signed messages of Byzantine replicas). */
int sim_inject(struct sim *s, uint32_t from, uint32_t to, const uint8_t *frame,
	       size_t len, uint64_t delay_us);
/* The same for a frame the adversary forged or tampered with (it is
 * counted in forged_accepted if ingress lets it through). */
int sim_inject_forged(struct sim *s, uint32_t from, uint32_t to,
		      const uint8_t *frame, size_t len, uint64_t delay_us);
/* n and f of the simulated cluster. */
uint32_t sim_n(const struct sim *s);
uint32_t sim_f(const struct sim *s);

/* The key pair the simulation derived for replica id, if id is one of the
 * configuration's Byzantine replicas (cfg.byzantine); NULL for an honest
 * replica. This is how the adversary's setup obtains the keys of the
 * replicas it corrupted, and no function hands out an honest replica's
 * (or a client's) private key: honest messages cannot be forged. */
const struct byz_keypair *sim_byzantine_key(const struct sim *s, uint32_t id);

#endif
