/*
 * tm_core.h - Tendermint's replica core, shared between its files.
 *
 * Buchman, Kwon, Milosevic, "The latest gossip on BFT consensus" (arXiv
 * 1807.04938, 2018), Algorithm 1; "line N" in comments is a line of that
 * algorithm. One idea per file:
 *
 *   tm_core.c     the step and the upon rules of Algorithm 1 (lines 10-67)
 *   tm_exec.c     client requests: pool, getValue, valid(v), executing a
 *                 decision, replies
 *   tm_sync.c     catch-up: STATUS, DECISION (a decided value with its
 *                 2f+1 PRECOMMITs), STATE (a snapshot for one far behind)
 *   tm_persist.c  the write-ahead log: one record, replaced before every
 *                 vote and proposal
 *   tm_audit.c    the rules of honest outputs, for byzlab selftest
 *   tm_mutants.c  planted single-rule mistakes
 *
 * Every size comes from the configuration (n, window, batch,
 * max_clients): nothing a peer sends makes this grow without bound.
 */
#ifndef BYZ_TM_CORE_H
#define BYZ_TM_CORE_H

#include "reqpool.h"
#include "app.h"
#include "core.h"
#include "tm_wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TM_TIMER_PROPOSE   0 /* timeoutPropose (line 21) */
#define TM_TIMER_PREVOTE   1 /* timeoutPrevote (line 35) */
#define TM_TIMER_PRECOMMIT 2 /* timeoutPrecommit (line 48) */
#define TM_TIMER_GOSSIP	   3 /* resend our messages of the round; beacons */
#define TM_TIMERS	   4

#define TM_SLOTS     16 /* rounds whose messages are kept */
#define TM_BEHIND    12 /* ... round_p - 12 .. round_p + 3 */
#define TM_ROUND_CAP 16 /* timeouts stop growing at this round */
#define TM_BEACONS   3	/* STATUS beacons once idle after a decision */
#define TM_PUSH	     8	/* DECISIONs sent at once to one behind */
#define TM_VOTE_FRAME                                                          \
	(WIRE_HEADER_BYTES + 8 + 4 + BYZ_DIGEST_BYTES + BYZ_SIG_BYTES)
#define TM_REQ_MAX (WIRE_HEADER_BYTES + 10 + WIRE_MAX_OP + BYZ_SIG_BYTES)

enum tm_step {
	TM_STEP_PROPOSE = 0,
	TM_STEP_PREVOTE = 1,
	TM_STEP_PRECOMMIT = 2,
};

/* The planted mistakes of tm_mutants.c, by their cfg.mutant value. */
enum tm_mutant_id {
	TM_MUT_QUORUM_2F = 1,	 /* 2f prevotes lock and precommit (line 36) */
	TM_MUT_IGNORE_LOCK,	 /* prevote any proposal (line 23) */
	TM_MUT_COMMIT_F1,	 /* decide on f+1 precommits (line 49) */
	TM_MUT_VOTE_UNPERSISTED, /* votes not persisted before sending */
	TM_MUT_COUNT
};
extern const struct byz_mutant tm_mutants[];

/* The messages of one round of the current height (the message log of
 * line 53): the proposal of proposer(h, r) (the first one), each
 * replica's first PREVOTE and PRECOMMIT. */
struct tm_round {
	bool used;
	uint32_t round;
	bool have_prop;
	uint32_t prop_vr;
	uint8_t prop_id[BYZ_DIGEST_BYTES];
	struct byz_bytes prop; /* the signed PROPOSAL frame */
	bool *pv_have, *pc_have;
	uint8_t (*pv_id)[BYZ_DIGEST_BYTES];
	uint8_t (*pc_id)[BYZ_DIGEST_BYTES];
	uint8_t (*pc_frame)[TM_VOTE_FRAME]; /* signed, for DECISIONs */
	uint16_t *pc_len;
	uint8_t (*pv_frame)[TM_VOTE_FRAME]; /* signed, for proofs (pol) */
	uint16_t *pv_len;
	bool pol_ok; /* the proposal carries 2f+1 PREVOTEs of its vr */
	bool prevote_timer, precommit_timer, line36; /* "for the first time" */
};

/* A decision kept for catch-up: the unsigned DECISION frame we send. */
struct tm_decided {
	uint64_t height; /* 0: empty */
	struct byz_bytes frame;
};

/* A client's newest request not yet executed: the signed frame. */
/* An output held back until the PERSIST of this step is written. */
struct tm_send {
	bool bcast;
	uint32_t to;
	size_t off, len;
};

struct tm {
	struct byz_config cfg;
	uint32_t quorum; /* 2f + 1 */
	struct app *app;
	uint8_t state_digest[BYZ_DIGEST_BYTES]; /* app's, after h - 1 */
	bool in_step;
	uint64_t now;
	uint64_t rule_hits;

	/* Algorithm 1's variables (lines 2-9), persisted. */
	uint64_t h;	/* h_p: the height being decided, from 1 */
	uint32_t round; /* round_p */
	enum tm_step step;
	uint32_t locked_round, valid_round; /* TM_NO_ROUND: -1 */
	struct byz_bytes locked, valid;	    /* the values' bytes */
	/* The 2f+1 signed PREVOTEs that made validValue valid (line 36):
	 * count u16, then (u32 length, frame) each; the proof our proposal
	 * of it carries (persisted: a restarted proposer still has it). */
	struct byz_bytes valid_pol;
	uint8_t locked_id[BYZ_DIGEST_BYTES], valid_id[BYZ_DIGEST_BYTES];
	/* What we sent in this height (persisted before it is sent): our
	 * proposal (round, valid round, the unsigned PROPOSAL frame),
	 * prevote, precommit. */
	uint32_t my_prop_round, my_prop_vr, my_pv_round, my_pc_round;
	struct byz_bytes my_prop;
	uint8_t my_pv_id[BYZ_DIGEST_BYTES], my_pc_id[BYZ_DIGEST_BYTES];

	/* The message log of this height (not persisted). */
	struct tm_round slot[TM_SLOTS];
	uint8_t *slot_mem;
	uint32_t hi_round[BYZ_MAX_N]; /* +1: each sender's highest round */
	bool heard_from[BYZ_MAX_N];   /* sent something for this height */
	uint32_t heard;		      /* how many */
	bool propose_armed;	      /* line 21 done in this round */
	uint64_t tmr_h[TM_TIMERS];    /* the (h, r) each timer was armed for */
	uint32_t tmr_r[TM_TIMERS];
	uint32_t beacons;
	bool restarted;
	/* The PROPOSAL of round 0 of the next height, if it came before we
	 * decided this one (tm_keep_early): handled when we get there. One
	 * frame, not persisted. */
	struct byz_bytes early;
	uint64_t early_h;

	/* Catch-up: decisions kept (window of them, by height), the
	 * snapshot taken before the newest one was executed, when we last
	 * asked and told each replica. */
	struct tm_decided *kept;
	uint32_t nkept;
	struct byz_bytes prev_snap;
	uint64_t asked_h[BYZ_MAX_N], asked_at[BYZ_MAX_N];
	uint64_t told_h[BYZ_MAX_N], told_at[BYZ_MAX_N];
	uint64_t decided_at; /* when we last decided */
	/* When we last helped each replica in an earlier round of our
	 * height (tm_help), +1; 0: never. */
	uint64_t helped_at[BYZ_MAX_N];

	/* Requests. */
	/* Each client's newest unexecuted request (TM_REQ_MAX bytes each),
	 * and the clients owed a reply. */
	struct byz_reqpool pool;
	struct byz_commit *commits;
	uint32_t ncommits, commits_cap;
	uint64_t reply_view;

	/* This step's held-back sends, and persistence. */
	struct tm_send *sends;
	uint32_t nsends, sends_cap;
	bool dirty;
	uint64_t token;
	struct wire_buf scratch;
};

static inline bool tm_mut(const struct tm *t, enum tm_mutant_id m)
{
	return t->cfg.mutant == (uint32_t)m;
}

static inline void tm_rule(const struct tm *t, enum tm_mutant_id m)
{
	((struct tm *)t)->rule_hits |= 1ull << ((uint32_t)m - 1);
}

/* proposer(h, r): the rotation (h - 1 + r) mod n, or the scenario's
 * leader schedule for its first entries (core.h, byz_leader). */
static inline uint32_t tm_proposer(const struct tm *t, uint64_t h, uint32_t r)
{
	return byz_leader(&t->cfg, h - 1 + r);
}

/* ---- tm_core.c ---- */
/* Hold a frame just encoded at [off, ob->bytes.len) for after the
 * PERSIST: to one replica, or to every replica and ourselves (bcast). */
int tm_hold(struct tm *t, struct byz_outbox *ob, size_t off, bool bcast,
	    uint32_t to);
/* StartRound(round) (line 11). */
int tm_start_round(struct tm *t, struct byz_outbox *ob, uint32_t round,
		   bool late);
/* A new height after a decision (lines 52-54). */
int tm_next_height(struct tm *t, struct byz_outbox *ob);
/* Run the upon rules until none applies. */
int tm_progress(struct tm *t, struct byz_outbox *ob);
uint64_t tm_timeout(const struct tm *t, uint32_t round);

/* ---- tm_exec.c ---- */
int tm_pool_init(struct tm *t);
void tm_pool_free(struct tm *t);
int tm_on_request(struct tm *t, struct byz_outbox *ob,
		  const struct wire_msg *m);
/* getValue() (line 18): a value of up to batch pooled requests. */
int tm_get_value(struct tm *t, struct wire_buf *b);
/* valid(v): NULL, or why not. p is a decoded PROPOSAL's. */
const char *tm_valid(const struct tm *t, const struct tm_proposal *p);
/* Execute a decided value (line 51). */
int tm_execute(struct tm *t, struct byz_outbox *ob,
	       const struct tm_proposal *p);
/* Keep a COMMIT until the PERSIST of this step is written. */
int tm_commit_later(struct tm *t, const struct byz_commit *c);
/* After the PERSIST: the COMMITs and the replies of this step. */
int tm_flush_commits(struct tm *t, struct byz_outbox *ob);

/* ---- tm_sync.c ---- */
/* Keep the DECISION of height h: the proposal frame and the signed
 * precommits for it in its round. */
int tm_keep_decision(struct tm *t, uint64_t h, const struct tm_round *s);
/* A message of another height from sender: help it or ask it (asked:
 * a STATUS, which asks). */
int tm_other_height(struct tm *t, struct byz_outbox *ob, uint32_t sender,
		    uint64_t height, bool asked);
int tm_on_status(struct tm *t, struct byz_outbox *ob, const struct wire_msg *m);
int tm_on_decision(struct tm *t, struct byz_outbox *ob,
		   const struct wire_msg *m);
int tm_on_state(struct tm *t, struct byz_outbox *ob, const struct wire_msg *m);
/* Decide the value of PROPOSAL frame prop (already checked). */
int tm_decide(struct tm *t, struct byz_outbox *ob, const uint8_t *prop,
	      size_t prop_len, const struct tm_round *s);
/* NULL if m (a decoded DECISION) certifies a decision of its height,
 * else why not; *prop is its decoded proposal. */
const char *tm_decision_check(const struct byz_config *cfg,
			      const struct wire_msg *m, struct wire_msg *prop);

/* ---- tm_persist.c ---- */
int tm_persist(struct tm *t, struct byz_outbox *ob);
int tm_restore(struct tm *t, const uint8_t *log, size_t len);
void tm_describe_record(const uint8_t *rec, size_t len, char *buf, size_t cap);

/* ---- tm_formulas.c ---- */
extern const struct byz_complexity tendermint_complexity;

/* ---- tm_audit.c ---- */
/* The lock rule's state per replica (core.h, audit_lock). */
#define TM_AUDIT_POL 64
struct tm_audit_pol {
	bool used;
	uint64_t h;
	uint32_t round, count;
	uint8_t id[BYZ_DIGEST_BYTES];
	uint8_t who[BYZ_MAX_N / 8];
};
/* The decide rule's (tm_audit_decide): a proposal of proposer(h, r). */
#define TM_AUDIT_DEC 64
struct tm_audit_prop {
	bool used;
	uint64_t h;
	uint32_t round;
	uint8_t id[BYZ_DIGEST_BYTES];
};
struct tm_audit_lock {
	bool locked, forgot;
	uint64_t h;
	uint32_t round;
	uint8_t id[BYZ_DIGEST_BYTES];
	struct tm_audit_pol pol[TM_AUDIT_POL];
	uint32_t next;
	/* The decide rule: the distinct non-nil PRECOMMITs per (h, r, id)
	 * and the proposers' PROPOSALs it received or sent, the heights a
	 * DECISION or STATE with a valid certificate vouched for; heights up
	 * to forgot_h lost an entry to a newer one and are not judged;
	 * judged_h is the last height judged (one COMMIT per request). */
	struct tm_audit_pol pc[TM_AUDIT_POL];
	struct tm_audit_prop props[TM_AUDIT_DEC];
	uint64_t certified[TM_AUDIT_DEC];
	uint32_t pc_next, prop_next, cert_next;
	uint64_t forgot_h, judged_h;
};
int tm_audit_lock(const struct byz_config *cfg, void *shared, void *st,
		  const struct wire_msg *m, bool sent, char *why,
		  size_t whylen);
int tm_audit_decide(const struct byz_config *cfg, void *shared, void *st,
		    const struct byz_commit *c, char *why, size_t whylen);
const char *tm_audit(const struct byz_config *cfg, const struct wire_msg *m,
		     struct byz_vote *vote, bool *is_vote);

#endif
