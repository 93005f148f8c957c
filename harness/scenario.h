/*
 * scenario.h - one scenario: protocol, n, faults, workload, seed, driver;
 * run it in the simulator and check the invariants on the trace.
 */
#ifndef BYZ_SCENARIO_H
#define BYZ_SCENARIO_H

#include "adversary.h"
#include "attack.h"
#include "check.h"
#include "sim.h"
#include "trace.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct scenario {
	const struct byz_core_ops *ops;
	uint32_t n, f;
	uint64_t seed;
	uint32_t clients, requests, keys;
	uint64_t latency_us, jitter_us, gst_us;
	double loss;
	uint64_t timeout_us;
	uint32_t batch, window, checkpoint_interval;
	uint64_t retry_us, retry_max_us, think_us;
	uint64_t max_time_us;
	/* Stop after this many simulator events (0: scenario_max_events's
	 * default for n), so that a run that loops at one virtual instant
	 * ends with a verdict instead of hanging its campaign. */
	uint64_t max_events;
	/* A planted mistake of the protocol (byzlab selftest): one of its
	 * ops->mutants by name; "" (the default) for none. */
	char mutant[48];
	/* A leader schedule (core.h, byz_config.leaders; Twins): view v <
	 * nleaders is led by leaders[v]. 0: the protocol's rotation. */
	uint32_t nleaders;
	uint16_t leaders[BYZ_MAX_LEADERS];
	struct sim_crash crashes[SIM_MAX_CRASHES];
	size_t ncrashes;
	bool byzantine[BYZ_MAX_N];
	uint64_t liveness_bound_us; /* 0: the protocol's default */
	const volatile int *stop;   /* see sim_config.stop */
	/* The adversary: its Byzantine replicas (joined to byzantine[]) and
	 * attacks. With any, scenario_run installs adversary_hook; otherwise
	 * hook/hook_ctx (a test's own hook) are used as given. */
	struct attack_plan plan;
	bool stop_on_violation; /* end the run at the first agreement
				 * violation (liveness is then not judged) */
	/* How nodes sign (crypto.h; field "crypto": ed25519 or fast): fast
	 * explores with keyed hashes, and scenario_run_confirmed replays
	 * what fails with Ed25519 before it is reported. Simulator only. */
	enum byz_scheme crypto;
	sim_hook_fn hook; /* the adversary's hook, or NULL (sim.h) */
	void *hook_ctx;
	/* The simulator's side channel of frames (sim.h, sim_frame_fn), for
	 * the charts; NULL: none (it does not change the run). */
	sim_frame_fn on_frame;
	void *on_frame_ctx;
};

enum verdict {
	VERDICT_PASS = 0, /* every invariant held and every request committed */
	VERDICT_FAIL = 1, /* a checker fired, or the run did not finish */
	VERDICT_ERROR = 2, /* the run could not be carried out */
	VERDICT_WALL = 3,  /* it hit its wall-clock limit (wall.h) before
			    * any safety finding: no verdict */
};

struct scenario_result {
	enum verdict verdict;
	char why[320]; /* the first reason for FAIL or ERROR */
	/* errno of a failed write to the trace file (ERROR), else 0 */
	int trace_errno;
	struct check_result checks;
	struct sim_stats sim;
	struct trace_counts counts;
	uint64_t trace_lines;
	char trace_hash[2 * BYZ_DIGEST_BYTES + 1];
	uint64_t liveness_bound_us;
	uint64_t min_height;	    /* lowest height among honest replicas up */
	uint64_t height[BYZ_MAX_N]; /* each replica's last height (commit or
				     * state transfer) */
	/* Over the honest replicas up at the end: the requests they executed
	 * and the decisions those came in (distinct slots: a batch, a block),
	 * so committed / decisions is the mean batch (byzlab bench sim). */
	uint64_t committed, decisions;
	bool safe;		/* no safety checker fired, no forged
				 * message passed ingress, no core failed */
	bool live_judged, live; /* liveness (every request accepted and
				 * committed in the bound) when judged */
	bool timely;		/* when live is judged: no honest view
				 * given up in step after GST (progress) */
	bool no_gst;		/* GST 0 with loss, network attacks or the
				 * twins' split: they act for the whole run
				 * and liveness is not judged */
	uint64_t violation_us;	/* first agreement violation (virtual) */
	struct adversary_stats adv;
	double wall_seconds;
	/* It was stopped by its wall-clock limit (set by whoever armed it,
	 * before verdict_judge). */
	bool wall_limited;
	uint64_t max_wall_us;
	/* The driver that ran it ("sim" when NULL), and for a real run its
	 * folder when kept (its evidence), else "". */
	const char *driver;
	char run_folder[512];
	/* scenario_run_confirmed: the run failed with fast crypto and this
	 * result is its replay with Ed25519 (what the fast run said: its
	 * verdict and trace hash). */
	bool confirmed;
	enum verdict fast_verdict;
	bool fast_safe;
	char fast_trace_hash[2 * BYZ_DIGEST_BYTES + 1];
};

/* A small fault-free cluster: n = 4, 4 clients, 25 requests each, 1 ms
 * latency, 0.5 ms jitter, no loss. */
void scenario_defaults(struct scenario *sc);
/* The event cap of a run: sc->max_events, or the default for its n. */
uint64_t scenario_max_events(const struct scenario *sc);

/* Everything a run of sc needs of its configuration, checked before it
 * starts, by every driver (the simulator, `byzlab run`, campaigns when
 * they load, the real driver's launcher and cluster files): the
 * protocol's limits and its own check (core.h, byz_config_check: n >= 3f+1,
 * window against checkpoint interval, sizes, messages that fit a frame),
 * Byzantine replicas of the cluster with at least one honest replica,
 * mutant, leaders, crashes, attacks (sim_config_check after the
 * adversary's changes). 0, or BYZ_EINVAL with why naming the option and
 * what is valid. */
int scenario_check_config(const struct scenario *sc, char *why, size_t whylen);

/* The simulator's configuration for sc (before the adversary's changes):
 * its core configuration (cfg->core, id 0) is what every replica of the
 * run gets, in either driver. */
void scenario_sim_config(const struct scenario *sc, struct sim_config *cfg);

/* Clock faults (attack clock) run in the simulator only: 0, or -1 with
 * why for a driver of real processes, whose cores read their host's
 * monotonic clock. */
int scenario_check_sim_only(const struct scenario *sc, const char *driver,
			    char *why, size_t whylen);

/* Whether sc has no GST although something acts only before it (loss,
 * network attacks, the twins' split): liveness is then not judged. */
bool scenario_no_gst(const struct scenario *sc);
/* Whether sc has an adversary: Byzantine replicas or attacks. */
bool scenario_has_adversary(const struct scenario *sc);
/* The checks scenario_run makes before a run (mutant, leaders, crashes of
 * twins); 0, or BYZ_EINVAL with why. */
int scenario_check_run(const struct scenario *sc, char *why, size_t whylen);
/* The liveness bound after GST: sc's own, or the protocol's for cfg with
 * the scenario's latency (or latency_us if larger), plus the clients'
 * backoff cap. */
uint64_t scenario_bound(const struct scenario *sc, const struct sim_config *cfg,
			uint64_t latency_us);
/* The trace's first line (docs/trace.md, `run`) for a run of sc with cfg
 * (after the adversary's changes) by driver ("sim", "zmq"). */
void scenario_trace_run(const struct scenario *sc, const struct sim_config *cfg,
			uint64_t bound_us, bool no_gst, const char *driver,
			struct trace *tr);

/* Run sc in the simulator; the trace's lines go to trace_file if not NULL.
 * Returns 0 (the verdict is in *res) or an error code with res->why set. */
int scenario_run(const struct scenario *sc, FILE *trace_file,
		 struct scenario_result *res);

/*
 * scenario_run, and for a scenario with fast crypto whose run did not pass
 * (a safety or liveness finding), the same scenario again with Ed25519:
 * a finding is reported only as Ed25519 shows it. *sc is then switched to
 * Ed25519 (what a failure file must replay), res is the Ed25519 run's with
 * res->confirmed set, and when the two runs disagree on the verdict or on
 * safety the verdict is ERROR ("did not reproduce with Ed25519"): the two
 * schemes must decide alike, so that is a bug of byzlab. A trace file is
 * rewritten with the Ed25519 run.
 */
int scenario_run_confirmed(struct scenario *sc, FILE *trace_file,
			   struct scenario_result *res);

/* What the fast run of a confirmed result said (its verdict, safe and
 * trace hash), as a JSON object (a new reference). */
json_t *scenario_confirmed_json(const struct scenario_result *res);

/* "ed25519" or "fast" */
const char *scenario_crypto_name(enum byz_scheme s);

/* "pass", "fail", "error", "wall-limit" */
const char *verdict_name(enum verdict v);

/* The scenario's parameters and its result as a JSON object (a new
 * reference): verdict, safe, live, counters, rejections, trace hash. */
json_t *scenario_result_json(const struct scenario *sc,
			     const struct scenario_result *res);

/* One JSON object (one line) with the scenario and its result. */
void scenario_print_json(FILE *out, const struct scenario *sc,
			 const struct scenario_result *res);

#endif
