/*
 * trace.h - the record of a run.
 *
 * Two parts. The *stream* is every event of the run (send, deliver, drop,
 * reject, timer, commit, note, crash, restart, submit, accept) as one JSON
 * line each, between a first `run` line and a last `end` line that let the
 * checkers judge the file alone (`byzlab check`, harness/trace_read.h);
 * written to a file when asked (--trace FILE) and always hashed (BLAKE2b-256
 * over the exact bytes of the lines, so the same run gives the same hash).
 * The *log* keeps only what the checkers read — client submits and replica
 * commits, and who was Byzantine or down — so memory grows with the number
 * of decisions, not of messages.
 */
#ifndef BYZ_TRACE_H
#define BYZ_TRACE_H

#include "core.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A client submitted (signed and sent) a request for the first time. */
struct trace_submit {
	uint64_t t;
	uint32_t client;
	uint64_t timestamp;
	uint8_t request_digest[BYZ_DIGEST_BYTES];
};

/* A replica executed a request. */
struct trace_commit {
	uint64_t t;
	uint32_t replica;
	struct byz_commit c;
};

/* A replica entered a view or gave it up (core.h, struct byz_view). */
struct trace_view {
	uint64_t t;
	uint32_t replica;
	struct byz_view v;
};

/* The output rules an honest replica broke (lib/audit.h): which rule,
 * and a line for people. */
enum trace_rule {
	TRACE_RULE_VOTE_ONCE = 0, /* "vote-once": two votes, one slot */
	TRACE_RULE_CERTIFICATE,	  /* "certificates": a bad certificate */
	TRACE_RULE_NEW_VIEW,	  /* "new-view": proposals V does not imply */
	TRACE_RULE_LOCK,	  /* "lock": a vote below the replica's lock */
	TRACE_RULE_DECIDE, /* "decide": a commit its rule does not allow */
	TRACE_RULE_COUNT
};
#define TRACE_FAULT_TEXT 200
struct trace_fault {
	uint64_t t;
	uint32_t replica;
	enum trace_rule rule;
	char text[TRACE_FAULT_TEXT];
};
/* "vote-once", "certificates", "new-view", "lock", "decide"; NULL for
 * another value. */
const char *trace_rule_name(enum trace_rule rule);

/* A causality violation (lib/causal.h): a receipt before its send, or a
 * commit without the quorum that justifies it before it. replica is the
 * one that committed, or UINT32_MAX. */
#define TRACE_CAUSAL_TEXT 240
struct trace_causal {
	uint64_t t;
	uint32_t replica;
	uint64_t height;
	char text[TRACE_CAUSAL_TEXT];
};

/* What the checkers read. */
struct trace_log {
	uint32_t n, f;
	uint64_t gst_us;	     /* global stabilisation time */
	uint64_t end_us;	     /* when the run ended */
	bool byzantine[BYZ_MAX_N];   /* excluded from every check */
	bool down_at_end[BYZ_MAX_N]; /* crashed and not restarted */
	struct trace_submit *submits;
	size_t nsubmits, cap_submits;
	struct trace_commit *commits; /* in the order they happened */
	size_t ncommits, cap_commits;
	struct trace_fault *faults; /* output rules broken, in order */
	size_t nfaults, cap_faults;
	struct trace_view *views; /* replicas' views, in order */
	size_t nviews, cap_views;
	/* causality violations (causal.h): the first TRACE_CAUSAL_KEEP, and
	 * how many more there were */
	struct trace_causal *causal;
	size_t ncausal, cap_causal, causal_more;
	/* Watched as commits arrive, so a run can stop at the first safety
	 * violation: the first honest commit at each height, and whether
	 * another honest replica committed a different request there. */
	struct trace_first *first;
	size_t nfirst;
	bool conflict;
	uint64_t conflict_us;
};

struct trace_first {
	bool set;
	uint32_t client;
	uint64_t timestamp;
};

/* The name of a node as people read it: "r3" (replica 3), "r3t" (its
 * twin), "c7" (client 7). buf is returned. */
const char *trace_node_name(char buf[16], uint32_t addr);
/* Its inverse: the address of "r3", "r3t" or "c7" (replicas below
 * BYZ_MAX_N, clients below 2^20), or false if s is no node's name. */
bool trace_node_parse(const char *s, uint32_t *addr);

void trace_log_init(struct trace_log *log, uint32_t n, uint32_t f);
void trace_log_free(struct trace_log *log);
int trace_log_add_submit(struct trace_log *log, const struct trace_submit *s);
/* Commits of nodes that are not replicas 0..n-1 (twin instances) are not
 * kept: a twin is Byzantine by definition. */
int trace_log_add_commit(struct trace_log *log, const struct trace_commit *c);
int trace_log_add_fault(struct trace_log *log, const struct trace_fault *f);
/* Views of twin instances are not kept (as commits). */
int trace_log_add_view(struct trace_log *log, const struct trace_view *v);
#define TRACE_CAUSAL_KEEP 4096
int trace_log_add_causal(struct trace_log *log, const struct trace_causal *v);

/* Per-type message counters, indexed [proto][type]: every protocol byte
 * and type a frame may have (wire.h), so no registered protocol's
 * messages go uncounted. */
#define TRACE_PROTOS (WIRE_MAX_PROTO + 1)
#define TRACE_TYPES  (WIRE_MAX_TYPE + 1)
struct trace_counts {
	uint64_t sent[TRACE_PROTOS][TRACE_TYPES];
	uint64_t bytes[TRACE_PROTOS][TRACE_TYPES];
	uint64_t delivered, dropped, rejected, timers, notes;
	uint64_t signatures, verifications;
	uint64_t verify_cache_hits;	 /* verifications the cache answered */
	uint64_t rejected_by_reason[64]; /* index: -code (err.h) */
};

struct trace {
	FILE *file; /* JSON Lines output, or NULL */
	crypto_generichash_state hash;
	uint64_t lines;
	struct trace_log log;
	struct trace_counts counts;
	int err;	 /* first write error, sticky */
	int write_errno; /* errno of the failed write to file, if that was it */
	/* Real processes (the zmq driver, docs/trace.md "Traces of real
	 * processes"): when set, every line also carries "lc", a Lamport clock
	 * (lc is incremented before each line; a driver raises it to a
	 * received message's clock before the line that receives it), and
	 * "wall", the wall-clock time in microseconds since the Unix epoch
	 * (the driver sets wall before each event). */
	bool stamp;
	uint64_t lc, wall;
	/* lc is a hybrid logical clock (Kulkarni et al., "Logical physical
	 * clocks", OPODIS 2014): each line's is max(lc + 1, (wall - epoch)
	 * << TRACE_HLC_BITS), so it is a Lamport clock that also keeps up with
	 * physical time: the high bits the microseconds since the run's epoch
	 * (the largest any process has seen), the low bits a counter */
	uint64_t epoch;
	/* happened-before over the run (causal.h), from its run line on;
	 * NULL in a process's own trace (judged once merged) */
	struct causal *causal;
};

/* The counter bits of a hybrid logical clock (struct trace, lc). */
#define TRACE_HLC_BITS 13

/* The physical floor of a hybrid logical clock at wall (µs since the
 * Unix epoch) for a run whose epoch is epoch; none (a plain Lamport
 * clock) without an epoch. */
static inline uint64_t trace_hlc_floor(uint64_t wall, uint64_t epoch)
{
	return epoch && wall > epoch ? (wall - epoch) << TRACE_HLC_BITS : 0;
}

/* file may be NULL (hash only). The trace does not own file. */
void trace_init(struct trace *tr, uint32_t n, uint32_t f, FILE *file);
void trace_free(struct trace *tr);
/* The hash of every line so far, as 64 hex digits + NUL. */
void trace_hash_hex(struct trace *tr, char out[2 * BYZ_DIGEST_BYTES + 1]);

/*
 * What a trace must say for the checkers to judge it alone (`byzlab check`,
 * docs/trace.md): the first line of the trace, `run`. Lists are indexed by
 * replica id.
 */
struct trace_run_info {
	const char *protocol; /* its name, as users write it */
	const char *driver;   /* "sim" */
	uint64_t seed;
	uint64_t requests;	   /* the workload: requests in all */
	uint64_t gst_us;	   /* global stabilisation time */
	bool no_gst;		   /* none: network faults act for the whole
				    * run and liveness is not judged */
	const char *faults;	   /* the faults for people ("byzantine r0;
				    * attacks ...; crashes 0"), or NULL */
	uint64_t bound_us;	   /* liveness bound after GST */
	bool byzantine[BYZ_MAX_N]; /* declared Byzantine */
	bool twin[BYZ_MAX_N];	   /* runs a second instance (twins) */
	bool amnesia[BYZ_MAX_N];   /* a restart without its state is planned */
};

/* The longest line a trace holds (a run line with long lists), bytes. */
#define TRACE_LINE_MAX 16384

/* The first line of a trace (before any other). */
void trace_run(struct trace *tr, const struct trace_run_info *info);
/* The last line: the run ended at t for the reason `stop` (a word, see
 * docs/trace.md); `forged` frames passed ingress; a core failed with
 * core_error (0: none) at core_replica. */
void trace_end(struct trace *tr, uint64_t t, const char *stop, uint64_t forged,
	       int core_error, uint32_t core_replica);

/* Emit one line. Each appends to the stream; the ones the checkers need
 * also append to the log. `from`/`to` are node addresses (core.h). */
/* Replica `replica` (honest) broke an output rule (lib/audit.h). */
void trace_fault(struct trace *tr, uint64_t t, uint32_t replica,
		 enum trace_rule rule, const char *text);
void trace_send(struct trace *tr, uint64_t t, uint32_t from, uint32_t to,
		uint8_t proto, uint8_t type, size_t len, uint64_t id);
/* A replica's message to itself (core.h): not counted as traffic. */
void trace_loopback(struct trace *tr, uint64_t t, uint32_t replica,
		    uint64_t id);
void trace_deliver(struct trace *tr, uint64_t t, uint32_t from, uint32_t to,
		   uint64_t id);
void trace_drop(struct trace *tr, uint64_t t, uint32_t from, uint32_t to,
		uint64_t id, const char *why);
void trace_reject(struct trace *tr, uint64_t t, uint32_t from, uint32_t to,
		  uint64_t id, int code);
/* The adversary process (the zmq driver) let a frame through to `to`
 * after delay_us: what it did to it ("forward", or the attacks' effects:
 * "delayed", "tampered", "rewritten", ...). */
void trace_relay(struct trace *tr, uint64_t t, uint32_t from, uint32_t to,
		 uint64_t id, const char *what, uint64_t delay_us);
void trace_timer(struct trace *tr, uint64_t t, uint32_t node, uint32_t timer);
void trace_commit(struct trace *tr, uint64_t t, uint32_t replica,
		  const struct byz_commit *c);
void trace_view(struct trace *tr, uint64_t t, uint32_t replica,
		const struct byz_view *v);
void trace_note(struct trace *tr, uint64_t t, uint32_t node, const char *text,
		size_t len);
void trace_crash(struct trace *tr, uint64_t t, uint32_t replica);
void trace_restart(struct trace *tr, uint64_t t, uint32_t replica,
		   bool with_state);
void trace_submit(struct trace *tr, uint64_t t, uint32_t client,
		  uint64_t timestamp, const uint8_t digest[BYZ_DIGEST_BYTES]);
void trace_accept(struct trace *tr, uint64_t t, uint32_t client,
		  uint64_t timestamp, const uint8_t *result, size_t len);

#endif
