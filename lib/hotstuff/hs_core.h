/*
 * hs_core.h - chained HotStuff's replica core, shared between its files.
 *
 * Yin, Malkhi, Reiter, Gueta, Abraham, "HotStuff: BFT Consensus with
 * Linearity and Responsiveness", PODC'19 (arXiv 1803.05069, "in the Lens
 * of Blockchain"): the event-driven chained protocol of Algorithms 4 and
 * 5, with a pacemaker of signed TIMEOUTs (docs/hotstuff.md). One idea per
 * file:
 *
 *   hs_core.c       the step, proposals: safeNode, vote, update (Alg. 4)
 *   hs_cert.c       QCs and TCs: checking them, assembling QCs from votes
 *   hs_pacemaker.c  views, leaders, timers, TIMEOUTs, TCs (Alg. 5)
 *   hs_blocks.c     the bounded block store
 *   hs_fetch.c      catch-up: FETCH and BLOCKS
 *   hs_state.c      catch-up by snapshot: checkpoints, STATE_REQ, STATE
 *   hs_exec.c       client requests: pool, batches, execution, replies
 *   hs_persist.c    the write-ahead log: records, compaction, restore
 *
 * Every size comes from the configuration (n, window, batch,
 * max_clients): nothing a peer sends makes this grow without bound.
 */
#ifndef BYZ_HS_CORE_H
#define BYZ_HS_CORE_H

#include "reqpool.h"
#include "app.h"
#include "core.h"
#include "hs_wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_TIMER_VIEW	0  /* the view timer (and TIMEOUT rebroadcast) */
#define HS_TIMER_FETCH	1  /* outstanding fetches: retry elsewhere */
#define HS_VIEW_SLOTS	8  /* views whose votes are kept */
#define HS_VIEWS_BEHIND 3  /* votes kept for views cur-3 .. cur+4 */
#define HS_FETCH_SLOTS	4  /* outstanding fetches */
#define HS_FETCH_COUNT	16 /* blocks asked for in one FETCH */
#define HS_BACKOFF_MAX	6  /* view timer: timeout_us << min(k, 6) */
#define HS_LOG_APPENDS	64 /* appended records before a compaction */
#define HS_VOTE_FRAME	(WIRE_HEADER_BYTES + 8 + BYZ_DIGEST_BYTES + BYZ_SIG_BYTES)
#define HS_REQ_MAX	(WIRE_HEADER_BYTES + 10 + WIRE_MAX_OP + BYZ_SIG_BYTES)
#define HS_BLOCKS_BYTES (WIRE_MAX_FRAME / 2) /* a BLOCKS answer, at most */
#define HS_MAX_WINDOW	4096 /* blocks kept: 4 x window (hs_store_init) */

/* The planted mistakes of hs_mutants.c (byzlab selftest), by their
 * cfg.mutant value. */
enum hs_mutant_id {
	HS_MUT_SAFENODE = 1,
	HS_MUT_LOCK_FROZEN,
	HS_MUT_TWO_CHAIN,
	HS_MUT_NONCONSECUTIVE,
	HS_MUT_QUORUM,
	HS_MUT_QC_SIGNERS,
	HS_MUT_QC_BLOCK,
	HS_MUT_VOTE_TWICE,
	HS_MUT_LEADER,
	HS_MUT_TC_UNCHECKED,
	HS_MUT_VOTE_NOT_PERSISTED,
	HS_MUT_SNAPSHOT_CLAIMS,
	HS_MUT_COUNT /* one past the last; the table's terminator */
};
extern const struct byz_mutant hs_mutants[];
/* hs_audit.c: the lock rule's state (core.h, audit_lock). */
#define HS_AUDIT_BLOCKS 1024
#define HS_AUDIT_PROBE	8
#define HS_AUDIT_AGG	32

struct hs_audit_block {
	bool used;
	uint8_t hash[BYZ_DIGEST_BYTES];
	uint64_t view;
	uint64_t jview; /* its justify: view and block */
	uint8_t jhash[BYZ_DIGEST_BYTES];
};

struct hs_audit_shared {
	struct hs_audit_block b[HS_AUDIT_BLOCKS];
	uint32_t clock; /* the next victim among the probed slots */
};

struct hs_audit_lock {
	uint64_t view; /* the lock implied: b' of the last update, view */
	uint8_t hash[BYZ_DIGEST_BYTES];
	/* The decide rule: the highest view of a block b with a three-chain
	 * b <- b' <- b'' of consecutive views and a QC for b'' among what the
	 * replica received or sent; and the highest view of a QC whose chain
	 * the audit could not follow (a block it has not seen): commits
	 * below it are not judged. */
	uint64_t decided, unknown;
	/* Votes it received (directly or in TIMEOUTs), for the QCs it may
	 * form itself as a leader: the HS_AUDIT_AGG most recent (view,
	 * block) pairs, each with its distinct voters. */
	struct hs_audit_agg {
		uint64_t view;
		uint8_t hash[BYZ_DIGEST_BYTES];
		uint8_t who[BYZ_MAX_N / 8];
		uint32_t count;
	} agg[HS_AUDIT_AGG];
	uint32_t agg_next;
};

int hs_audit_lock(const struct byz_config *cfg, void *shared, void *st,
		  const struct wire_msg *m, bool sent, char *why,
		  size_t whylen);
int hs_audit_decide(const struct byz_config *cfg, void *shared, void *st,
		    const struct byz_commit *c, char *why, size_t whylen);

/* hs_audit.c: the rules of an honest replica's outputs (core.h). */
const char *hs_audit(const struct byz_config *cfg, const struct wire_msg *m,
		     struct byz_vote *vote, bool *is_vote);

/* An owned copy of some bytes. */
/* A block we hold: its identity, its links, and the signed PROPOSAL frame
 * it came in (owned), to serve to peers that fetch it. */
struct hs_block {
	bool used, committed;
	uint64_t view, justify_view;
	uint8_t hash[BYZ_DIGEST_BYTES];
	uint8_t parent[BYZ_DIGEST_BYTES]; /* = the justify QC's block */
	struct byz_bytes frame;
};

struct hs_store {
	struct hs_block *b;
	uint32_t cap;  /* 4 * window blocks */
	uint32_t keep; /* committed blocks kept for catch-up: 2 * window */
	uint32_t count, ncommitted;
};

/* The votes seen for one view: each sender's first, as a signed frame.
 * n entries per table; hash[r] and frame[r] mean something only when
 * have[r]. The tables are slices of struct hs's vote_mem (the owner). */
struct hs_vote_slot {
	uint64_t view; /* 0: empty */
	bool done;     /* a QC was formed */
	bool *have;
	uint8_t (*hash)[BYZ_DIGEST_BYTES];
	uint8_t (*frame)[HS_VOTE_FRAME];
};

struct hs_fetch_slot {
	bool used;
	uint8_t hash[BYZ_DIGEST_BYTES];
	uint64_t asked_at;
	uint32_t peer, tries;
};

/* What a replica claims in its newest STATE (hs_state.c): the block at a
 * depth and the digest of the snapshot it sent. depth 0: none. */
struct hs_claim {
	uint64_t depth, view;
	uint8_t hash[BYZ_DIGEST_BYTES];
	uint8_t digest[BYZ_DIGEST_BYTES];
};

/* A client's newest request not yet executed: the signed frame. */
struct hs {
	struct byz_config cfg;
	/* Rule coverage of this step (core.h, byz_outbox.rules): bit k-1
	 * when the rule of mutant k decided something (hs_rule). */
	uint64_t rule_hits;
	uint32_t quorum; /* 2f + 1 */
	struct app *app;
	bool in_step;
	uint64_t now;

	/* Safety state (persisted before the vote it guards). */
	uint64_t voted_view;
	/* A proposal of cur_view not voted on yet because its justify's
	 * block is being fetched (hs_vote_deferred): its view (0: none) and
	 * block hash. */
	uint64_t deferred_view;
	uint8_t deferred_hash[BYZ_DIGEST_BYTES];
	struct byz_bytes locked; /* lockedQC, encoded */
	uint64_t locked_view;
	uint8_t locked_hash[BYZ_DIGEST_BYTES];

	/* Executed prefix (persisted with the app snapshot). */
	uint64_t exec_view;
	uint8_t exec_hash[BYZ_DIGEST_BYTES];
	bool commit_pending; /* decided, not yet executed (missing blocks) */
	uint64_t commit_view;
	uint8_t commit_hash[BYZ_DIGEST_BYTES];
	uint64_t conflicts;	/* conflicting commits refused */
	uint64_t exec_depth;	/* blocks executed from genesis (persisted) */
	uint64_t pending_since; /* when commit_pending last made progress */
	/* Highest commit certificate: the QC whose three-chain decided the
	 * newest block we decided (genesis: none); TIMEOUTs carry it. */
	struct byz_bytes commit_qc;
	uint64_t commit_qc_view;

	/* Pacemaker. */
	uint64_t cur_view;
	bool timed_out;	  /* sent TIMEOUT for cur_view: no vote, no proposal */
	bool proposed;	  /* proposed in cur_view (or may not) */
	uint32_t backoff; /* local timeouts since the last commit */
	struct byz_bytes high; /* highQC, encoded */
	uint64_t high_view;
	uint8_t high_hash[BYZ_DIGEST_BYTES];
	uint64_t tc_view; /* the newest TC held, for view tc_view */
	uint32_t tc_count;
	struct byz_bytes tc[HS_MAX_SIGNERS];
	uint32_t tc_used;		/* tc[0..tc_used) may hold memory */
	uint64_t hi_timeout[BYZ_MAX_N]; /* view of each one's newest TIMEOUT */
	uint32_t idle_beacons; /* highQC beacons sent since there was work */
	/* When we last answered each replica's stale TIMEOUT (+1; 0: never):
	 * at most one answer per half timeout, so two replicas whose
	 * TIMEOUTs each look stale to the other (a Byzantine one rewrites
	 * its highQC to genesis) cannot answer each other for ever, and
	 * duplicated frames cannot multiply the answers. */
	uint64_t told_at[BYZ_MAX_N];
	struct byz_bytes my_vote; /* my newest vote, signed (loopback) */
	uint64_t my_vote_view;
	struct hs_vote_slot *votes; /* HS_VIEW_SLOTS */
	uint8_t *vote_mem;	    /* the slots' tables, n entries each */
	struct byz_bytes last_timeout[BYZ_MAX_N]; /* each replica's newest */

	/* Catch-up by snapshot (hs_state.c): our newest checkpoint, each
	 * replica's newest claim, when we last asked and answered. */
	struct byz_bytes ckpt;
	uint64_t ckpt_depth, ckpt_view;
	uint8_t ckpt_hash[BYZ_DIGEST_BYTES];
	struct hs_claim claim[BYZ_MAX_N];
	uint64_t state_asked_at;	   /* +1; 0: never */
	uint64_t state_told_at[BYZ_MAX_N]; /* +1; 0: never */

	struct hs_store store;
	struct hs_fetch_slot fetch[HS_FETCH_SLOTS];
	uint32_t fetch_rr; /* round-robin over peers for retries */

	/* Requests. */
	/* Each client's newest unexecuted request (HS_REQ_MAX bytes each),
	 * and the clients owed a reply, answered after the PERSIST. */
	struct byz_reqpool pool;
	/* COMMITs of what executed in this step, reported after the PERSIST
	 * of the state they depend on (hs_persist_flush). Grows to the most
	 * requests one step executes: the block store times the batch. */
	struct byz_commit *commits;
	uint32_t ncommits, commits_cap;

	/* Persistence. */
	uint64_t token;
	uint32_t appended;
	bool dirty_state, dirty_vote, dirty_lock;
	struct wire_buf scratch;
};

/* ---- hs_core.c ---- */
/* Whether hash is the genesis block's (all zero). */
bool hs_is_genesis(const uint8_t *hash);
/* Note a dropped message: "drop <type> from r<i>: <why>". */
/* First 4 bytes of a hash in hex (8 chars + NUL), for notes. */
void hs_hex8(char out[9], const uint8_t *hash);
/* Alg. 4 update(b*): highQC, lock, and the three-chain commit rule. */
int hs_update(struct hs *h, struct byz_outbox *ob, const struct hs_block *bs);
/* update() for a b* known only by its justify QC (a valid QC). */
int hs_update_qc(struct hs *h, struct byz_outbox *ob, const struct hs_qc *qc);

/* ---- hs_limits.c ---- */
/* Worst-case sizes, the configuration check (core.h,
 * check_config), and whether a proposal with this TC would outgrow a
 * BLOCKS answer. */
uint64_t hs_proposal_max(uint32_t f, uint32_t batch);
uint64_t hs_timeout_max(uint32_t f);
int hs_check_config(const struct byz_config *cfg, char *why, size_t whylen);
/* What hs_create accepts (core.h, struct byz_limits). */
extern const struct byz_limits hs_limits;
/* hs_formulas.c: the report complexity's formulas (core.h). */
extern const struct byz_complexity hotstuff_complexity;
bool hs_tc_too_big(const struct hs *h, struct hs_framev tc,
		   struct hs_framev batch);

/* ---- hs_cert.c ---- */
/* NULL if qc is a valid QC for this cluster, else why not. */
const char *hs_qc_check(const struct hs *h, const struct hs_qc *qc);
/* NULL if a TIMEOUT's nested QCs and vote hold, else why not. */
const char *hs_timeout_invalid(const struct hs *h, const struct wire_msg *m);
/* NULL if tc is a valid TC for view (2f+1 TIMEOUTs from distinct
 * replicas for views >= view), else why not. */
const char *hs_tc_check(const struct hs *h, const struct wire_frames *tc,
			uint64_t view);
/* A vote (signed frame m) from m's sender: keep it, and form a QC when
 * 2f+1 agree. */
int hs_on_vote(struct hs *h, struct byz_outbox *ob, const struct wire_msg *m);
/* Adopt a valid QC as highQC if it is higher. */
int hs_high_qc(struct hs *h, const struct hs_qc *qc);

/* ---- hs_pacemaker.c ---- */
/* Whether this run plants mutant m (hs_mutants.c): the mark of a
 * mutant's one change to a rule. */
static inline bool hs_mut(const struct hs *h, enum hs_mutant_id m)
{
	return h->cfg.mutant == (uint32_t)m;
}

/* The rule that mutant m breaks decided something (rule coverage); a
 * counter, so const checks may set it. */
static inline void hs_rule(const struct hs *h, enum hs_mutant_id m)
{
	((struct hs *)h)->rule_hits |= 1ull << ((uint32_t)m - 1);
}

static inline uint32_t hs_leader(const struct hs *h, uint64_t view)
{
	return byz_leader(&h->cfg, view); /* view mod n, or the schedule */
}
/* Enter view v (> cur_view): reset the view's flags, arm the timer,
 * propose if this replica leads it and may. step: in step with the
 * others (on a QC of the view before, or after voting there), not by a
 * TC (struct byz_view). */
int hs_enter_view(struct hs *h, struct byz_outbox *ob, uint64_t v, bool step);
/* A QC for view v exists: move past v. */
int hs_on_qc(struct hs *h, struct byz_outbox *ob, uint64_t v);
/* Propose if this replica leads cur_view, holds its proof, and has work. */
int hs_try_propose(struct hs *h, struct byz_outbox *ob);
/* (Re)arm the view timer if there is work and it is not running. */
int hs_arm_timer(struct hs *h, struct byz_outbox *ob);
int hs_on_view_timer(struct hs *h, struct byz_outbox *ob);
int hs_on_timeout(struct hs *h, struct byz_outbox *ob,
		  const struct wire_msg *m);
uint64_t hs_view_delay(const struct hs *h);

/* ---- hs_blocks.c ---- */
int hs_store_init(struct hs_store *s, uint32_t window);
void hs_store_free(struct hs_store *s);
struct hs_block *hs_store_find(struct hs_store *s, const uint8_t *hash);
/* Add a block (copying frame); *out is the stored block. BYZ_ELIMIT when
 * the store is full of blocks it may not evict. */
int hs_store_add(struct hs *h, const uint8_t *hash, uint64_t view,
		 uint64_t justify_view, const uint8_t *parent,
		 const uint8_t *frame, size_t len, struct hs_block **out);
/* After a commit: drop forks at or below the executed view and committed
 * blocks beyond the number kept. */
void hs_store_prune(struct hs *h);

/* ---- hs_fetch.c ---- */
/* Ask for the block `hash` (and its ancestors), first from peer. */
int hs_fetch_want(struct hs *h, struct byz_outbox *ob, const uint8_t *hash,
		  uint32_t peer);
int hs_on_fetch(struct hs *h, struct byz_outbox *ob, const struct wire_msg *m);
int hs_on_blocks(struct hs *h, struct byz_outbox *ob, const struct wire_msg *m);
int hs_on_fetch_timer(struct hs *h, struct byz_outbox *ob);
/* Blocks arrived out of order: run update (Alg. 4) again over the
 * undecided blocks, in view order, then execute what is decided. */
int hs_reupdate(struct hs *h, struct byz_outbox *ob);
/* The proposal whose vote waited for its justify's block: vote now if
 * that block has come and the view is still the one to vote in. */
int hs_vote_deferred(struct hs *h, struct byz_outbox *ob);

/* ---- hs_exec.c ---- */
int hs_pool_init(struct hs *h);
void hs_pool_free(struct hs *h);
int hs_on_request(struct hs *h, struct byz_outbox *ob,
		  const struct wire_msg *m);
/* The batch for a new block extending the block `parent`: up to batch
 * pooled requests not already in that chain. Pointers into the pool. */
size_t hs_make_batch(struct hs *h, const uint8_t *parent,
		     const uint8_t **frames, size_t *lens, size_t max);
/* Execute the decided prefix as far as the blocks we hold allow. */
int hs_try_execute(struct hs *h, struct byz_outbox *ob);
/* Keep a COMMIT until the STATE record holding its effect is written. */
int hs_commit_later(struct hs *h, const struct byz_commit *c);
/* Report the COMMITs kept back until their state is persisted. */
int hs_send_commits(struct hs *h, struct byz_outbox *ob);
/* Answer the clients whose requests executed (after the PERSIST). */

/* ---- hs_state.c ---- */
/* K: a checkpoint every K executed blocks, min(checkpoint, window). */
uint32_t hs_snapshot_interval(const struct hs *h);
/* After executing a block: keep the snapshot if its depth is due. */
int hs_checkpoint_take(struct hs *h);
/* A decided block unreachable for two timeouts: ask for a snapshot. */
int hs_state_maybe_ask(struct hs *h, struct byz_outbox *ob);
int hs_on_state_req(struct hs *h, struct byz_outbox *ob,
		    const struct wire_msg *m);
int hs_on_state(struct hs *h, struct byz_outbox *ob, const struct wire_msg *m);

/* ---- hs_persist.c ---- */
/* Write what changed: appends (VOTE, LOCK) or a compact STATE. */
int hs_persist_flush(struct hs *h, struct byz_outbox *ob);
/* One log record for people (core.h, describe_record). */
void hs_describe_record(const uint8_t *rec, size_t len, char *buf, size_t cap);
/* Restore from a persisted log (create). */
int hs_persist_restore(struct hs *h, const uint8_t *log, size_t len);

#endif
