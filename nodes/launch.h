/*
 * launch.h - a whole local cluster for one scenario (`byzlab run --driver
 * zmq`, campaigns with `driver: zmq`): key files, a cluster file, one
 * process per replica (and twin), the adversary process when the scenario
 * has attacks, Byzantine replicas or loss, and one process per client, on
 * loopback; crashes and restarts as the scenario schedules them, carried
 * out with SIGKILL and a fresh start from the data folder (or, for
 * amnesia, from an emptied one); then every process's trace merged into
 * one (nodes/merge.h), ready for the checkers. A few options serve
 * measurements (`byzlab bench zmq`): many clients per process, an
 * adversary that only forwards, clients that run for a time, no merge.
 *
 * Every process it starts is reaped on every way out: a normal end, an
 * error, SIGINT or SIGTERM (it stops them with SIGTERM, then SIGKILL after
 * two seconds), and its own death (each child asks the kernel for SIGKILL
 * when its parent dies, PR_SET_PDEATHSIG). Endpoints are Linux abstract
 * ipc names by default, which leave no socket file behind.
 */
#ifndef BYZ_NODES_LAUNCH_H
#define BYZ_NODES_LAUNCH_H

#include "scenario.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define LAUNCH_PATH_MAX 4096

struct launch_opts {
	const struct scenario *sc;
	const char *dir;   /* the run folder (created); NULL: a fresh one in
			    * $TMPDIR or /tmp, removed afterwards unless keep */
	const char *trace; /* the merged trace; NULL: DIR/trace.jsonl */
	bool keep;
	bool tcp;	   /* tcp://127.0.0.1:PORT.. instead of ipc://@ */
	uint16_t port;	   /* the first port with tcp */
	uint64_t limit_us; /* wall-clock limit of the run; 0: the scenario's
			    * max_time, at most LAUNCH_DEFAULT_LIMIT_US */
	const volatile sig_atomic_t *stop; /* set: stop now (interrupted) */
	bool quiet;
	/* For measurements (`byzlab bench zmq`); all off by default. */
	uint32_t clients_per_process; /* 0, 1: one process per client; K:
				       * clients in groups of K, one process
				       * each (byzlab client --count K), a
				       * group sharing one endpoint */
	bool force_adversary;	      /* an adversary process even when the
				       * scenario needs none: it forwards
				       * every frame unchanged */
	uint64_t client_duration_us;  /* clients submit for this long
				       * (byzlab client --duration) instead
				       * of the scenario's requests; the run
				       * is done when they have all stopped */
	bool client_json;	      /* clients write their --json summary
				       * lines to their log, DIR/cI.log (I:
				       * the group's first client) */
	bool no_merge;		      /* leave the per-process traces as they
				       * are (res->trace is ""); DIR keeps
				       * them, and the replicas' status files
				       * in DIR/data/replica-R/status */
};

#define LAUNCH_DEFAULT_LIMIT_US (60ull * 1000 * 1000)
/* Added to the protocol's liveness bound in real mode: the processes of
 * a loaded machine are scheduled late. */
#define LAUNCH_SLACK_US (1000ull * 1000)

/* CPU seconds some processes of the run used and the context switches
 * they went through (wait4: voluntary and not), restarts included. */
struct launch_cpu {
	double user, sys;
	uint64_t switches;
};

struct launch_result {
	char dir[LAUNCH_PATH_MAX];   /* the run folder (removed if temporary
				      * and not kept) */
	char trace[LAUNCH_PATH_MAX]; /* the merged trace */
	char stop[16];		     /* why the run ended (docs/trace.md) */
	uint32_t processes;	     /* started, restarts included */
	uint64_t torn;		     /* trace lines cut by a kill */
	bool temp;		     /* the run folder is temporary */
	uint64_t rules; /* rule coverage of the honest replicas (core.h) */
	double wall_seconds;
	struct launch_cpu cpu_replicas; /* replicas and twins */
	struct launch_cpu cpu_clients, cpu_adversary;
};

/* Run sc as processes. 0 once the merged trace is written (the verdict is
 * for the checkers), or -1 with why: the run could not be carried out
 * (bad scenario for this driver, a process that could not start). */
int launch_run(const struct launch_opts *o, struct launch_result *res,
	       char *why, size_t whylen);

/* The lines that frame a merged trace of real processes (malloc'd, no
 * newline; NULL without memory): the run line of sc run with cfg (after
 * the adversary's changes) by the zmq driver, and the end line at t, with
 * a Lamport clock lc above every line merged (docs/trace.md). */
char *launch_run_line(const struct scenario *sc, const struct sim_config *cfg,
		      uint64_t bound_us, bool no_gst);
char *launch_end_line(const struct scenario *sc, uint64_t t, uint64_t lc,
		      const char *stop, uint64_t forged, int core_error,
		      uint32_t core_replica);

/* Remove a temporary run folder (after its trace was judged, when the
 * trace is in it); nothing for a folder the user named or kept. */
void launch_remove(struct launch_result *res);

#endif
