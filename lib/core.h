/*
 * core.h - the replica contract.
 *
 * A replica core is a pure, deterministic state machine (ARCHITECTURE.md,
 * "One rule above all"). A driver (the simulator in lib/sim, or a process
 * over ZeroMQ in nodes/) feeds it one event at a time through
 * ops->step(core, &event, &outbox); the core answers by appending outputs to
 * the outbox and returns. A core never does I/O, never reads a clock (time
 * arrives in the event), never draws randomness, and never calls back into
 * its driver; step asserts it is not re-entered.
 *
 * The order of outputs is a contract the driver keeps (as etcd's Ready
 * does): outputs are carried out in the order they were appended, and
 * a PERSIST is durable before any output after it is carried out. So a core
 * writes PERSIST before the vote or message that the persisted state
 * guards. The driver answers each PERSIST with a PERSISTED event carrying
 * its token once it is durable.
 *
 * Persistence is a write-ahead log: a PERSIST either appends a record to
 * the replica's durable log or (replace) discards the log and makes its
 * bytes the first record. A core bounds its log by replacing it now and
 * then (at a stable checkpoint, say). After a crash the driver hands the
 * log back to create(): the records in order, each as a u32 little-endian
 * length and that many bytes (byz_persist_next reads them).
 *
 * A message a core sends to itself (SEND with to == its own id) is signed
 * by the driver and delivered back to it locally, without the network or
 * the adversary, and is not counted as replica-to-replica traffic. This is
 * how a core obtains its own messages signed, to embed in certificates.
 *
 * Messages a core sees are authenticated: the driver has decoded the frame
 * (lib/wire) and verified every signature it carries, its own and any
 * embedded ones, before the step. A core still checks quorum semantics
 * (distinct signers, views, digests, counts). A decoded message points into
 * the driver's buffer and is valid only during the step: a core copies what
 * it keeps.
 */
#ifndef BYZ_CORE_H
#define BYZ_CORE_H

#include "app.h"
#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BYZ_MAX_N	 256 /* largest cluster a core accepts */
#define BYZ_MAX_LEADERS	 32  /* views a leader schedule names */
#define BYZ_MAX_TIMERS	 16  /* timer ids are 0 .. BYZ_MAX_TIMERS-1 */
#define BYZ_CLIENT_BASE	 0x80000000u
#define BYZ_TWIN_BASE	 0x40000000u
#define BYZ_TIMER_CANCEL UINT64_MAX

/* A destination id: replicas are 0..n-1, clients BYZ_CLIENT_BASE + c. */
static inline uint32_t byz_client_addr(uint32_t client)
{
	return BYZ_CLIENT_BASE + client;
}
static inline bool byz_is_client_addr(uint32_t addr)
{
	return addr >= BYZ_CLIENT_BASE;
}

/* A driver's address for the second instance of a Byzantine replica run as
 * twins (Twins, Bano et al. 2022): the same id and key, another node. Cores
 * never see these addresses; only the network and the adversary do. */
static inline uint32_t byz_twin_addr(uint32_t replica)
{
	return BYZ_TWIN_BASE + replica;
}
static inline bool byz_is_twin_addr(uint32_t addr)
{
	return addr >= BYZ_TWIN_BASE && addr < BYZ_CLIENT_BASE;
}
/* The replica id behind a replica or twin address. */
static inline uint32_t byz_addr_replica(uint32_t addr)
{
	return byz_is_twin_addr(addr) ? addr - BYZ_TWIN_BASE : addr;
}

/* What a core is configured with. Sizes of everything it keeps come from
 * here, so a sender cannot make it grow. */
struct byz_config {
	uint32_t n, f; /* n >= 3f + 1, or 2f + 1 (struct byz_limits.faults) */
	uint32_t id;   /* this replica, 0..n-1 */
	uint32_t max_clients; /* client ids are 0..max_clients-1 */
	uint32_t batch;	      /* requests per batch/block */
	uint32_t window;      /* sequence numbers in flight */
	uint32_t checkpoint_interval;
	uint64_t timeout_us;   /* base request/view timeout */
	struct app_limits app; /* the replicated application's bounds */
	/* A planted mistake (byzlab selftest, never on by default): 0 for
	 * none, k for the core's mutants[k-1] (struct byz_mutant). */
	uint32_t mutant;
	/* A leader schedule (Twins, OPODIS'21 §4: the scenario picks each
	 * round's leader): view v < nleaders is led by leaders[v]; later
	 * views by the protocol's rotation (v mod n). Every replica of a run
	 * has the same. nleaders 0: the rotation throughout. */
	uint32_t nleaders;
	uint16_t leaders[BYZ_MAX_LEADERS];
};

/* The leader of view v under cfg's schedule (leader-based protocols). */
static inline uint32_t byz_leader(const struct byz_config *cfg, uint64_t v)
{
	return v < cfg->nleaders ? cfg->leaders[v] : (uint32_t)(v % cfg->n);
}

/* A vote, for the vote-once rule: kind (the message type), view and slot
 * (sequence number, height; 0 when the view is the slot), and the digest
 * of what it is for. */
struct byz_vote {
	uint8_t kind;
	uint64_t view, slot;
	uint8_t digest[BYZ_DIGEST_BYTES];
};

/*
 * A mutant: one safety (or liveness) rule of a protocol deliberately
 * broken, to measure whether the campaigns catch such a bug (issue #11).
 * The core tests cfg.mutant at the one place the rule is enforced; that
 * test is the only code a mutant adds.
 */
struct byz_mutant {
	const char *name; /* "prepared-quorum-2f-1" */
	const char *rule; /* the rule it breaks, with its paper reference */
};

enum byz_event_kind {
	BYZ_EV_START = 1, /* first event after create (also after restart) */
	BYZ_EV_MESSAGE,	  /* an authenticated replica-to-replica message */
	BYZ_EV_REQUEST,	  /* an authenticated client REQUEST */
	BYZ_EV_TIMER,	  /* a timer the core set has fired */
	BYZ_EV_PERSISTED, /* a PERSIST with this token is durable */
};

struct byz_event {
	enum byz_event_kind kind;
	uint64_t now; /* microseconds; virtual (sim) or monotonic (zmq) */
	union {
		const struct wire_msg *msg; /* MESSAGE, REQUEST */
		uint32_t timer;		    /* TIMER: the id that fired */
		uint64_t token;		    /* PERSISTED */
		/* START: the replica ran before (a crash and restart), even
		 * if its log is empty: what it missed while down no one may
		 * tell it unasked. */
		bool restarted;
	} u;
};

enum byz_output_kind {
	BYZ_OUT_PERSIST = 1, /* bytes = a log record; replace: a new log */
	BYZ_OUT_SEND,	     /* bytes = an unsigned frame for `to` */
	BYZ_OUT_BROADCAST, /* bytes = an unsigned frame for every other replica
			    */
	BYZ_OUT_TIMER,	   /* (re)arm timer `timer` after delay_us, or cancel */
	BYZ_OUT_COMMIT,	   /* a request was executed at `commit.height` */
	BYZ_OUT_NOTE,	   /* bytes = a line of text for the trace */
	BYZ_OUT_VIEW,	   /* view: the replica entered a view, or gave it up */
};

/* A VIEW output (the timely-progress check, check.h "progress"): the
 * replica now works in view `view`, led by `leader` (for a view-change
 * protocol, from the moment it starts the view change into it), or it gives
 * that view up (gave_up: its own timeout; it moves on to a later one). late: it
 * entered out of step with the others (by a timeout certificate, by
 * joining those who gave up, on a (re)start), as opposed to the path
 * that follows a view that completed (a chained protocol: a QC of the view
 * before, or its vote there; a view-change protocol: the view change). */
struct byz_view {
	uint64_t view;
	uint32_t leader;
	bool gave_up, late;
};

/* What a COMMIT reports: the height (1, 2, ...) in this replica's log of
 * executed requests, which request, and the application's state digest
 * right after executing it. */
struct byz_commit {
	/* A state transfer: the replica now holds the state at `height`
	 * (with state_digest) without having executed the requests up to it
	 * one by one; client, timestamp and request_digest are zero. */
	bool restored;
	uint64_t height;
	uint64_t slot; /* the protocol's own position (sequence number, view) */
	uint32_t client;
	uint64_t timestamp;
	uint8_t request_digest[BYZ_DIGEST_BYTES]; /* BLAKE2b of the op */
	uint8_t state_digest[BYZ_DIGEST_BYTES];
};

struct byz_output {
	enum byz_output_kind kind;
	uint32_t to;	   /* SEND */
	uint32_t timer;	   /* TIMER */
	uint64_t delay_us; /* TIMER; BYZ_TIMER_CANCEL cancels */
	uint64_t token;	   /* PERSIST */
	bool replace;	   /* PERSIST: discard the log before this record */
	size_t off, len;   /* PERSIST, SEND, BROADCAST, NOTE: in outbox bytes */
	struct byz_commit commit; /* COMMIT */
	struct byz_view view;	  /* VIEW */
};

/*
 * The outbox a step appends to. Owned by the driver, reused across steps
 * (byz_outbox_reset). Bounded: appending past max_outputs outputs or
 * max_bytes bytes fails with BYZ_ELIMIT, and the error is sticky.
 */
struct byz_outbox {
	struct byz_output *out;
	size_t count, cap, max_outputs;
	struct wire_buf bytes;
	int err;
	/* Rule coverage (issue #11): bit k-1 set when, in this step, the
	 * rule that mutant k breaks decided something (the mutant would
	 * have acted otherwise). Not an output: drivers read and count it. */
	uint64_t rules;
};

void byz_outbox_init(struct byz_outbox *ob, size_t max_outputs,
		     size_t max_bytes);
void byz_outbox_free(struct byz_outbox *ob);
void byz_outbox_reset(struct byz_outbox *ob);

/* Append outputs. SEND and BROADCAST take the unsigned frame already in
 * ob->bytes at [start, ob->bytes.len) (written with wire_enc_*). */
int byz_out_persist(struct byz_outbox *ob, uint64_t token, bool replace,
		    const void *blob, size_t len);
int byz_out_send(struct byz_outbox *ob, uint32_t to, size_t start);
int byz_out_broadcast(struct byz_outbox *ob, size_t start);
/* The same, for a frame at an explicit range of ob->bytes (when other
 * bytes, such as a PERSIST record, were appended after it). */
int byz_out_send_at(struct byz_outbox *ob, uint32_t to, size_t off, size_t len);
int byz_out_broadcast_at(struct byz_outbox *ob, size_t off, size_t len);
int byz_out_timer(struct byz_outbox *ob, uint32_t timer, uint64_t delay_us);
int byz_out_commit(struct byz_outbox *ob, const struct byz_commit *c);
int byz_out_view(struct byz_outbox *ob, uint64_t view, uint32_t leader,
		 bool gave_up, bool late);
int byz_out_note(struct byz_outbox *ob, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A NOTE that m was dropped and why: "drop TYPE from rS: why" (a core's
 * answer to bad input from the network, core.h's step). */
int byz_out_drop(struct byz_outbox *ob, const struct wire_msg *m,
		 const char *why);

/* Bytes a core owns (a copy of what a step's message pointed to). */
struct byz_bytes {
	uint8_t *p;
	size_t len;
};
/* Make b a copy of p[0..len) (p may point into b itself): 0 or
 * BYZ_ENOMEM, b unchanged then. */
int byz_bytes_set(struct byz_bytes *b, const uint8_t *p, size_t len);
void byz_bytes_free(struct byz_bytes *b);

/*
 * The failure model a protocol tolerates f faults of (issue #16): what its
 * f means, and so how many replicas it needs for f. Crash faults are a
 * replica that stops (and may come back from its log); omission faults
 * are messages lost, late or out of order (the network's attacks, a
 * partition). A Byzantine replica may do anything, lie and equivocate
 * included; a protocol of the crash model is not expected to survive one.
 */
enum byz_fault_model {
	BYZ_FAULTS_BYZANTINE = 0, /* crash, omission and Byzantine: 3f+1 */
	BYZ_FAULTS_CRASH,	  /* crash and omission only: 2f+1 */
};

/*
 * What a protocol's create accepts, declared once (issue #13 item 4): its
 * create refuses what is outside (as a defence), byz_config_check reports
 * it before a run, and help texts print it (byz_limits_text). A field the
 * protocol does not use has max 0. Every protocol also needs n >= 3f + 1
 * (n >= 2f + 1 in the crash model: byz_faults_min_n), id < n, n <= BYZ_MAX_N
 * and max_clients >= 1 (byz_limits_check).
 */
struct byz_limits {
	uint32_t n_min, n_max;		 /* replicas */
	uint32_t window_min, window_max; /* sequence numbers in flight */
	uint32_t checkpoint_min, checkpoint_max;
	/* window >= window_checkpoints x checkpoint_interval; 0: no such
	 * relation. */
	uint32_t window_checkpoints;
	uint32_t batch_min, batch_max; /* requests per batch */
	bool timeout_needed;	       /* timeout_us must be above 0 */
	/* What f counts, and so n >= 3f+1 or n >= 2f+1 (zero: Byzantine). */
	enum byz_fault_model faults;
};

/* The fields of struct byz_limits, for byz_limits_text. */
enum byz_limit_field {
	BYZ_LIMIT_N = 0,
	BYZ_LIMIT_WINDOW,
	BYZ_LIMIT_CHECKPOINT,
	BYZ_LIMIT_BATCH,
};

/*
 * A formula of a protocol's paper (or of its implementation here) for one
 * cost, set beside what `byzlab report complexity` measures (issue #15).
 * Costs are per decision (setting "normal": fault-free, batch 1, counted
 * at the sender, replica-to-replica protocol messages only, loopback not
 * counted; "view-change": once, what replacing a faulty first leader
 * costs on top of the fault-free run).
 */
struct byz_formula {
	const char *metric;  /* "messages", "bytes", "signatures",
			      * "verifications" */
	const char *setting; /* "normal" or "view-change" */
	const char *text;    /* for people: "2n(n-1)", "O(n^2)" */
	const char *source;  /* where it comes from: paper and section */
	/* Its value at n (NULL for an O() formula, which has no constant:
	 * it is drawn as c x n^exponent with c fitted to the measurement). */
	double (*value)(uint32_t n);
	double exponent; /* the power of n it grows with */
	/* The measurement must equal value(n) exactly (the report says
	 * whether it does); false: a bound or the paper's count of another
	 * variant, shown beside. */
	bool exact;
	const char *note; /* where this implementation differs, or NULL */
};

/* What the complexity report needs of a protocol: the Byzantine
 * behaviour that makes a leader faulty for one view (docs/attacks.md, on
 * replica leader(n), or first_leader when leader is NULL), and its
 * formulas, ended by one with a NULL metric. */
struct byz_complexity {
	const char *leader_attack; /* "silent" */
	const char *leader_attack_why;
	uint32_t (*leader)(uint32_t n); /* the replica it makes Byzantine */
	const struct byz_formula *formulas;
};

/* One table of operations per protocol. */
struct byz_core_ops {
	const char *name; /* as users write it; the folder's name */
	uint8_t proto;	  /* its frames' protocol byte (its codec's) */
	const char *summary;
	/* A test fixture that tolerates no Byzantine fault (the toy): left
	 * out where "every protocol" means the fault-tolerant ones (bench). */
	bool fixture;
	/* The replica that leads the first view, for people reading which
	 * Byzantine sets include it (summaries, docs). */
	uint32_t first_leader;
	/* The number of the first view a leader leads (a leader schedule,
	 * byz_config.leaders, starts to matter there): 0 by default. */
	uint32_t first_view;
	/* How many distinct replicas a decision needs to have heard of a
	 * request before an honest replica executes it (2f+1 for a BFT
	 * core): what the causality check asks of every commit (causal.h,
	 * docs/trace.md). NULL: not checked (a test fixture). */
	uint32_t (*decision_quorum)(uint32_t n, uint32_t f);
	/* A new core; persisted is its persisted log (NULL, 0 for a fresh
	 * replica), see byz_persist_next. Returns 0, or an error code (also
	 * for a log it cannot read). */
	int (*create)(const struct byz_config *cfg, const uint8_t *persisted,
		      size_t persisted_len, void **core);
	void (*destroy)(void **core);
	/* Handle one event. Returns 0, or an error code for a driver bug or
	 * a full outbox; bad input from the network is never an error here:
	 * the core drops it with a NOTE saying why. */
	int (*step)(void *core, const struct byz_event *ev,
		    struct byz_outbox *out);
	/* For people reading a core's outputs (golden traces, interaction
	 * scripts): the name of each timer id, NULL-terminated; and one
	 * record of its write-ahead log described ("view v=3"), or NULL to
	 * show records by size. */
	const char *const *timer_names;
	void (*describe_record)(const uint8_t *rec, size_t len, char *buf,
				size_t cap);
	/* The default liveness bound after GST for this configuration. */
	uint64_t (*liveness_bound_us)(const struct byz_config *cfg,
				      uint64_t max_latency_us);
	/* What its create accepts (struct byz_limits); required. */
	const struct byz_limits *limits;
	/* Can every message the protocol may build at this configuration
	 * (n, f, window, batch) be sent, each in one frame? 0, or BYZ_EINVAL
	 * with a sentence in why saying what does not fit and what to
	 * change. NULL: no protocol-specific check. Called by
	 * byz_config_check (after the limits), which drivers call before a
	 * run starts (sim_config_check). */
	int (*check_config)(const struct byz_config *cfg, char *why,
			    size_t whylen);
	/* Its mutants, ended by one with a NULL name; NULL: none. */
	const struct byz_mutant *mutants;
	/* The rules every honest replica's outputs keep, judged by the
	 * checkers from outside the core (issue #11; lib/audit.h): for one
	 * decoded message m an honest replica sends, return NULL if every
	 * certificate it embeds is well formed for cfg (a quorum of
	 * distinct signers, all for the same thing), else why not; and if m
	 * is a vote (a statement its sender makes at most once per kind,
	 * view and slot, such as a prepare or a vote), describe it
	 * in *vote and return with *is_vote set. Written apart from the
	 * core's own checks, and blind to mutants. NULL: no rules. */
	const char *(*audit)(const struct byz_config *cfg,
			     const struct wire_msg *m, struct byz_vote *vote,
			     bool *is_vote);
	/* The new-view rule (lib/audit.h, rule "new-view"): what a new
	 * leader proposes first is what the messages it cites prescribe. A
	 * protocol may cite them by the digest of their signed frames
	 * rather than embed them; audit_keep says which frame a message m
	 * that an honest replica received or sent is, or carries, that a
	 * later message may cite so (*keep; false: none), and the audit
	 * remembers it (bounded). audit_new_view judges a message m an
	 * honest replica sends: 0 if it keeps the rule, is not such a
	 * message, or cites a frame the audit no longer holds (not judged);
	 * else 1, with why saying how it breaks it. find gives a remembered
	 * frame by its sender and digest (0, or 1 with *bytes and *len).
	 * Written apart from the core, blind to mutants. NULL: no rule. */
	bool (*audit_keep)(const struct wire_msg *m, struct wire_frame *keep);
	int (*audit_new_view)(const struct byz_config *cfg,
			      const struct wire_msg *m,
			      int (*find)(void *ctx, uint32_t sender,
					  const uint8_t *digest,
					  const uint8_t **bytes, size_t *len),
			      void *ctx, char *why, size_t whylen);
	/* The lock rule (lib/audit.h, rule "lock"; issue #11 item 3): the
	 * votes of an honest replica respect the lock its own earlier votes
	 * imply, and that lock never goes back. audit_lock sees every
	 * message an honest replica receives (sent false: it passed ingress)
	 * or sends (sent true), with the run's shared state (audit_shared
	 * bytes, zeroed at the start) and the replica's own (audit_lock_st
	 * bytes, zeroed at the start and when it restarts without its
	 * state); it updates them and returns 0, or 1 with why when m breaks
	 * the rule. Written apart from the core, blind to mutants; what it
	 * cannot judge (a block it has not seen) it does not. NULL: no
	 * rule. */
	size_t audit_shared, audit_lock_st;
	int (*audit_lock)(const struct byz_config *cfg, void *shared, void *st,
			  const struct wire_msg *m, bool sent, char *why,
			  size_t whylen);
	/* The decide rule (rule "decide"): an honest replica decides only
	 * what its protocol's commit rule allows, judged with the same state
	 * on each commit c it makes (after the messages of the same step).
	 * 0, or 1 with why. NULL: no rule. */
	int (*audit_decide)(const struct byz_config *cfg, void *shared,
			    void *st, const struct byz_commit *c, char *why,
			    size_t whylen);
	/* Its formulas for the complexity report (struct byz_complexity);
	 * NULL: it has none (the report leaves it out). */
	const struct byz_complexity *complexity;
};

/* Mutant `name` of ops: its cfg.mutant value (1..), or 0 if it has none
 * by that name. */
uint32_t byz_mutant_find(const struct byz_core_ops *ops, const char *name);
/* The mutant of ops with cfg.mutant value k, or NULL. */
const struct byz_mutant *byz_mutant_at(const struct byz_core_ops *ops,
				       uint32_t k);

/*
 * Iterate over a persisted log: *pos starts at 0; each call sets *rec and
 * *len to the next record and returns 1, returns 0 at the end, or
 * BYZ_ETRUNC if the log is cut short.
 */
int byz_persist_next(const uint8_t *log, size_t loglen, size_t *pos,
		     const uint8_t **rec, size_t *len);

/*
 * The registered protocols (registry.c, from lib/protocols.list),
 * NULL-terminated, in the list's order.
 */
extern const struct byz_core_ops *const byz_core_registry[];
/* A protocol by name; NULL if unknown. */
const struct byz_core_ops *byz_core_find(const char *name);
const struct byz_core_ops *const *byz_core_all(void);
/* The first of the list: what a scenario runs when it names none. */
const struct byz_core_ops *byz_core_default(void);
/* The registered names, "a, b, c": for help texts and error messages. */
const char *byz_core_names(void);
/*
 * Is cfg within the limits of protocol `name` (and the rules every
 * protocol has: n <= BYZ_MAX_N, n >= 3f + 1 (2f + 1 when lim->faults is
 * the crash model), id < n, max_clients >= 1)?
 * 0, or BYZ_EINVAL with every rule it breaks in why, a sentence each
 * naming the option and the valid range ("--window 2000: NAME accepts
 * 8..1024 (at least 2 x --checkpoint 4)"), joined by "; ". why may be
 * NULL (a core's create, which refuses the same). lim NULL: only the
 * rules every protocol has.
 */
int byz_limits_check(const char *name, const struct byz_limits *lim,
		     const struct byz_config *cfg, char *why, size_t whylen);
/* Everything ops refuses before a run: byz_limits_check with its limits,
 * then its check_config (messages that must fit a frame). */
int byz_config_check(const struct byz_core_ops *ops,
		     const struct byz_config *cfg, char *why, size_t whylen);
/* The valid range of one field for ops, for people: "4..256",
 * "2 x --checkpoint..1024", or "-" for a field it does not use. */
void byz_limits_text(const struct byz_core_ops *ops, enum byz_limit_field fld,
		     char *buf, size_t cap);

/* ops's failure model (NULL: Byzantine, the rule every driver assumed
 * before protocols could say otherwise). */
enum byz_fault_model byz_faults(const struct byz_core_ops *ops);
/* The most faults ops tolerates with n replicas: (n-1)/3 in the Byzantine
 * model, (n-1)/2 in the crash model (0 for n = 0). */
uint32_t byz_faults_max(const struct byz_core_ops *ops, uint32_t n);
/* The fewest replicas that tolerate f faults: 3f+1, or 2f+1. */
uint64_t byz_faults_min_n(const struct byz_core_ops *ops, uint32_t f);
/* For people: the model's name ("Byzantine", "crash"), what it covers
 * ("crash, omission and Byzantine") and its rule ("n >= 3f+1"). */
const char *byz_faults_name(const struct byz_core_ops *ops);
const char *byz_faults_covers(const struct byz_core_ops *ops);
const char *byz_faults_rule(const struct byz_core_ops *ops);

/* Check the registry is coherent (names and protocol bytes unique and in
 * range, a codec for every core under the same name): 0, or BYZ_EINVAL
 * with a sentence in why. The test suite and `byzlab` at start call it. */
int byz_registry_check(char *why, size_t whylen);

#endif
