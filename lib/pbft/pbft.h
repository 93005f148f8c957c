/*
 * pbft.h - the PBFT core's internal state, shared by the files of lib/pbft.
 *
 * Castro and Liskov, "Practical Byzantine Fault Tolerance", OSDI'99, and
 * "Practical Byzantine Fault Tolerance and Proactive Recovery", TOCS'02.
 * Section numbers below are OSDI'99's (§4.1 client, §4.2 normal case, §4.3
 * garbage collection, §4.4 view changes) unless marked TOCS'02.
 *
 * Unlike the papers' MAC-based variant, every message is an Ed25519-signed
 * frame (the signature variant of §4), and every certificate is a list of
 * such frames, so a certificate proves itself to anyone.
 *
 * Files: pbft.c (events, requests, timers), pbft_normal.c (pre-prepare,
 * prepare, commit, execution), pbft_checkpoint.c (checkpoints, watermarks,
 * garbage collection, state transfer), pbft_viewchange.c (view-change,
 * new-view), pbft_persist.c (the write-ahead log and its replay).
 */
#ifndef BYZ_PBFT_H
#define BYZ_PBFT_H

#include "app.h"
#include "core.h"
#include "pbft_wire.h"

#include <stdbool.h>
#include <stdint.h>

/* The planted mistakes of pbft_mutants.c (byzlab selftest), by their
 * cfg.mutant value. */
enum pbft_mutant_id {
	PBFT_MUT_PREPARED_QUORUM = 1,
	PBFT_MUT_COMMITTED_QUORUM,
	PBFT_MUT_SECOND_PREPREPARE,
	PBFT_MUT_PREPREPARE_SENDER,
	PBFT_MUT_VOTE_DIGEST,
	PBFT_MUT_CERT_SIGNERS,
	PBFT_MUT_VC_UNCHECKED,
	PBFT_MUT_VC_FORGETS,
	PBFT_MUT_O_LOWEST,
	PBFT_MUT_O_UNCHECKED,
	PBFT_MUT_NV_QUORUM,
	PBFT_MUT_CERT_QUORUM,
	PBFT_MUT_CKPT_QUORUM,
	PBFT_MUT_EXECUTE_EARLY,
	PBFT_MUT_COUNT /* one past the last; the table's terminator */
};
extern const struct byz_mutant pbft_mutants[];
/* pbft_audit.c: the rules of an honest replica's outputs (core.h). */
const char *pbft_audit(const struct byz_config *cfg, const struct wire_msg *m,
		       struct byz_vote *vote, bool *is_vote);
/* The new-view rule: the frames V may cite, and O from V (§4.4). */
bool pbft_audit_keep(const struct wire_msg *m, struct wire_frame *keep);
int pbft_audit_new_view(const struct byz_config *cfg, const struct wire_msg *m,
			int (*find)(void *ctx, uint32_t sender,
				    const uint8_t *digest,
				    const uint8_t **bytes, size_t *len),
			void *ctx, char *why, size_t whylen);

#define PBFT_TIMER_VIEW	  0 /* §4.4: a request waits too long -> view change */
#define PBFT_TIMER_STATUS 1 /* catch-up: fetch what we are missing */
#define PBFT_CKPT_KEEP	  4 /* checkpoint messages kept per sender */
#define PBFT_WAL_MAX	  (8u << 20) /* appended bytes before a new base */
#define PBFT_BACKOFF_CAP  64 /* view-change timeout: at most 64x the base */
/* Messages kept per sender for a view not entered yet. */
#define PBFT_EARLY_PER_SENDER 64

/* An owned copy of a signed frame. */
struct pbft_blob {
	size_t len;
	uint8_t data[];
};

/* What a stored PREPARE or COMMIT counts for (pbft_entry.mark, one byte
 * per sender): OK, a vote for the entry's (view, seq), from a backup if it
 * is a PREPARE; MATCH, and for the entry's digest too. */
#define PBFT_MARK_PREP_OK      0x01
#define PBFT_MARK_PREP_MATCH   0x02
#define PBFT_MARK_COMMIT_OK    0x04
#define PBFT_MARK_COMMIT_MATCH 0x08

/* One sequence number of the log, within the watermarks (§4.2, §4.3).
 * The per-sender tables (prep, commit, mark, pc_prep, cc_commit) have n
 * slots each; they are slices of struct pbft's `slots` and `marks`, which
 * own them, and stay with the entry when it is cleared. */
struct pbft_entry {
	uint64_t seq; /* 0: unused slot */
	/* The pre-prepare accepted for (view, seq), and its digest. */
	uint64_t view;
	struct pbft_blob *pp;
	uint8_t digest[BYZ_DIGEST_BYTES];
	/* PREPAREs and COMMITs received in `view`, one per sender. */
	struct pbft_blob **prep;
	struct pbft_blob **commit;
	/* The votes counted as they are stored (pbft_normal.c): each
	 * sender's PBFT_MARK_* bits, and how many senders have each bit. */
	uint8_t *mark;
	uint32_t prep_ok, prep_match, commit_ok, commit_match;
	bool sent_prepare, sent_commit;
	bool prepared;	/* prepared(m, v, n, i) in `view` */
	bool committed; /* committed-local, or a committed certificate */
	/* The prepared certificate of the highest view this replica saw
	 * (P in a view-change, §4.4): a pre-prepare and 2f prepares. */
	uint64_t pc_view;
	struct pbft_blob *pc_pp;
	struct pbft_blob **pc_prep;
	/* A committed certificate (a pre-prepare and 2f+1 commits of one
	 * view), kept to serve replicas that catch up. */
	struct pbft_blob *cc_pp;
	struct pbft_blob **cc_commit;
	uint8_t cc_digest[BYZ_DIGEST_BYTES];
};

/* A checkpoint this replica took and has not yet seen become stable. */
struct pbft_own_ckpt {
	uint64_t seq; /* 0: unused */
	uint8_t digest[BYZ_DIGEST_BYTES];
	uint8_t *snapshot;
	size_t snapshot_len;
};

/* A CHECKPOINT message received (§4.3). */
struct pbft_ckpt_msg {
	uint64_t seq; /* 0: unused */
	uint8_t digest[BYZ_DIGEST_BYTES];
	struct pbft_blob *frame;
};

/* A client request waiting to execute. */
struct pbft_pending {
	uint64_t timestamp; /* 0: none */
	uint64_t
	    assigned; /* primary: the view+1 it was put in a batch in, or 0 */
	struct pbft_blob *frame;
};

struct pbft {
	struct byz_config cfg;
	/* Rule coverage of this step (core.h, byz_outbox.rules): bit k-1
	 * when the rule of mutant k decided something; a counter, so
	 * const checks may set it (pbft_rule). */
	uint64_t rule_hits;
	uint32_t quorum; /* 2f+1 */
	struct app *app;

	/* Views (§4.4). */
	uint64_t view;
	bool in_vc;	     /* changing to `view`, no new-view yet */
	uint64_t vc_timeout; /* current view-change timeout, doubles */
	bool vc_since_exec;  /* changed view since the last execution */
	bool view_timer_on;  /* the request timer of §4.4 */
	bool vc_timer_on;    /* waiting for NEW-VIEW, 2f+1 VCs seen */
	struct pbft_blob *vc[BYZ_MAX_N]; /* latest VIEW-CHANGE per sender */
	uint64_t vc_view[BYZ_MAX_N];
	struct pbft_blob *nv; /* the NEW-VIEW that started `view` */
	/* A NEW-VIEW naming view-changes we do not hold (by digest): kept
	 * until they come, directly or fetched from its primary (PBFT_VCS). */
	struct pbft_blob *nv_wait;
	/* New primary: NEW-VIEW being built while its O pre-prepares come
	 * back signed through loopback (core.h). */
	bool nv_building;
	uint64_t nv_min_s, nv_max_s;
	uint8_t nv_senders[BYZ_MAX_N]; /* the V chosen, by sender */
	struct pbft_blob **nv_pps;     /* window slots: O, signed */
	/* Pre-prepares, prepares and commits for a view this replica has not
	 * entered yet (they can overtake the NEW-VIEW): a ring per sender,
	 * processed when the view starts. */
	struct pbft_blob *(*early)[PBFT_EARLY_PER_SENDER]; /* n rings */
	uint32_t early_next[BYZ_MAX_N];

	/* The log and its watermarks (§4.3): sequence numbers in
	 * (low, low + window] are accepted; low = the stable checkpoint. */
	struct pbft_entry *log; /* window entries; seq s at log[s % window] */
	/* The entries' per-sender tables: 4 * n pointers and n marks per
	 * entry (struct pbft_entry). */
	struct pbft_blob **slots;
	uint8_t *marks;
	uint64_t low;
	uint64_t last_exec; /* last sequence number executed */
	uint64_t next_seq;  /* primary: next sequence number to assign */

	/* Checkpoints (§4.3). */
	uint8_t stable_digest[BYZ_DIGEST_BYTES];
	struct pbft_blob *stable_proof[BYZ_MAX_N]; /* 2f+1 CHECKPOINTs */
	uint8_t *stable_snapshot;
	size_t stable_snapshot_len;
	struct pbft_own_ckpt *own; /* own checkpoints above low */
	uint32_t nown;		   /* slots in own */
	struct pbft_ckpt_msg (*ckpt)[PBFT_CKPT_KEEP]; /* n rows */

	/* Requests (§4.1). */
	struct pbft_pending *pending; /* per client */
	uint32_t npending;

	/* Catch-up. */
	uint64_t status_exec; /* last_exec at the previous status tick */
	uint32_t fetch_peer;  /* whom we ask next */
	/* Restarted from the persisted log and nothing executed since: the
	 * others may have decided while we were down and gone idle, and
	 * nothing would tell us (TOCS'02 §6.2: a recovering replica asks the
	 * others where they are). recover_exec is last_exec at the restart;
	 * the beacon period doubles up to 16 status ticks. */
	bool recovering;
	uint64_t recover_exec;
	uint32_t recover_beacons, recover_skip;
	uint64_t *fetch_served; /* per replica: when we last answered it */
	uint64_t now;

	/* Persistence (pbft_persist.c). */
	bool replaying;	    /* outputs go nowhere while the log replays */
	bool need_base;	    /* write a new base at the end of the step */
	uint64_t wal_bytes; /* appended since the last base */
	uint64_t persist_token;
	struct wire_buf scratch;

	bool in_step;
};

/* Whether this run plants mutant m (pbft_mutants.c): the mark of a
 * mutant's one change to a rule. */
static inline bool pbft_mut(const struct pbft *p, enum pbft_mutant_id m)
{
	return p->cfg.mutant == (uint32_t)m;
}

/* The rule that mutant m breaks decided something (rule coverage). */
static inline void pbft_rule(const struct pbft *p, enum pbft_mutant_id m)
{
	((struct pbft *)p)->rule_hits |= 1ull << ((uint32_t)m - 1);
}

/* The quorum of CHECKPOINTs that makes one stable (2f+1; a mutant's f+1). */
static inline uint32_t pbft_ckpt_quorum(const struct pbft *p)
{
	return pbft_mut(p, PBFT_MUT_CKPT_QUORUM) ? p->cfg.f + 1 : p->quorum;
}

static inline uint32_t pbft_primary(const struct pbft *p, uint64_t view)
{
	return byz_leader(&p->cfg, view); /* v mod |R|, or the schedule */
}

static inline bool pbft_in_window(const struct pbft *p, uint64_t seq)
{
	return seq > p->low && seq <= p->low + p->cfg.window;
}

/* pbft.c */
struct pbft_blob *pbft_blob_new(const uint8_t *data, size_t len);
void pbft_blob_free(struct pbft_blob **b);
struct pbft_entry *pbft_entry(struct pbft *p,
			      uint64_t seq); /* NULL if outside */
void pbft_entry_clear(const struct pbft *p, struct pbft_entry *e);
void pbft_view_timer_update(struct pbft *p, struct byz_outbox *ob);
int pbft_try_propose(struct pbft *p, struct byz_outbox *ob);
int pbft_send_all(struct pbft *p, struct byz_outbox *ob, size_t start);
int pbft_resend(struct pbft *p, struct byz_outbox *ob,
		const struct pbft_blob *signed_frame, uint32_t to);
int pbft_note(struct pbft *p, struct byz_outbox *ob, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool pbft_keep_early(struct pbft *p, const struct wire_msg *m);
int pbft_run_early(struct pbft *p, struct byz_outbox *ob);
void pbft_batch_digest(const struct pbft_preprepare *pp,
		       uint8_t out[BYZ_DIGEST_BYTES]);

/* pbft_normal.c */
int pbft_on_preprepare(struct pbft *p, const struct wire_msg *m,
		       struct byz_outbox *ob);
int pbft_accept_preprepare(struct pbft *p, const struct wire_msg *m,
			   struct byz_outbox *ob);
int pbft_on_prepare(struct pbft *p, const struct wire_msg *m,
		    struct byz_outbox *ob);
int pbft_on_commit(struct pbft *p, const struct wire_msg *m,
		   struct byz_outbox *ob);
int pbft_on_cert(struct pbft *p, const struct wire_msg *m,
		 struct byz_outbox *ob);
int pbft_execute_ready(struct pbft *p, struct byz_outbox *ob);
void pbft_entry_recount(const struct pbft *p, struct pbft_entry *e);
const char *pbft_check_cert(const struct pbft *p, const struct wire_frame *ppf,
			    const struct wire_frames *votes, uint32_t need,
			    bool exclude_primary, uint64_t *view, uint64_t *seq,
			    uint8_t digest[BYZ_DIGEST_BYTES]);

/* pbft_checkpoint.c */
int pbft_take_checkpoint(struct pbft *p, struct byz_outbox *ob);
int pbft_on_checkpoint(struct pbft *p, const struct wire_msg *m,
		       struct byz_outbox *ob);
const char *pbft_check_ckpt_proof(const struct pbft *p, uint64_t seq,
				  const uint8_t digest[BYZ_DIGEST_BYTES],
				  const struct wire_frames *proof);
int pbft_on_fetch(struct pbft *p, const struct wire_msg *m,
		  struct byz_outbox *ob);
int pbft_on_state(struct pbft *p, const struct wire_msg *m,
		  struct byz_outbox *ob);
int pbft_status_tick(struct pbft *p, struct byz_outbox *ob);
int pbft_set_stable(struct pbft *p, uint64_t seq,
		    const uint8_t digest[BYZ_DIGEST_BYTES],
		    const struct wire_frames *proof, const uint8_t *snapshot,
		    size_t snapshot_len, struct byz_outbox *ob);
void pbft_genesis_digest(struct pbft *p, uint8_t out[BYZ_DIGEST_BYTES]);

/* pbft_viewchange.c */
int pbft_start_view_change(struct pbft *p, uint64_t view,
			   struct byz_outbox *ob);
int pbft_on_viewchange(struct pbft *p, const struct wire_msg *m,
		       struct byz_outbox *ob);
int pbft_on_newview(struct pbft *p, const struct wire_msg *m,
		    struct byz_outbox *ob);
int pbft_nv_collect(struct pbft *p, const struct wire_msg *m,
		    struct byz_outbox *ob);
int pbft_try_newview(struct pbft *p, struct byz_outbox *ob);
void pbft_vc_quorum_timer(struct pbft *p, struct byz_outbox *ob);
void pbft_absorb_proof(struct pbft *p, const struct wire_frames *proof);
int pbft_on_vcs(struct pbft *p, const struct wire_msg *m,
		struct byz_outbox *ob);
int pbft_serve_vcs(struct pbft *p, struct byz_outbox *ob, uint32_t to,
		   uint64_t view);
int pbft_nv_wait_tick(struct pbft *p, struct byz_outbox *ob);

/* pbft_limits.c: worst-case sizes of a VIEW-CHANGE and a NEW-VIEW frame,
 * and the configuration check (core.h, check_config). */
uint64_t pbft_viewchange_max(uint32_t n, uint32_t f, uint32_t window,
			     uint32_t batch);
uint64_t pbft_newview_max(uint32_t n, uint32_t f, uint32_t window,
			  uint32_t batch);
int pbft_check_config(const struct byz_config *cfg, char *why, size_t whylen);
/* What pbft_create accepts (core.h, struct byz_limits). */
extern const struct byz_limits pbft_limits;
/* pbft_formulas.c: the report complexity's formulas (core.h). */
extern const struct byz_complexity pbft_complexity;

/* pbft_persist.c */
int pbft_persist_msg(struct pbft *p, const struct wire_msg *m,
		     struct byz_outbox *ob);
int pbft_persist_sent(struct pbft *p, size_t off, size_t len,
		      struct byz_outbox *ob);
int pbft_persist_view(struct pbft *p, struct byz_outbox *ob);
int pbft_persist_base(struct pbft *p, struct byz_outbox *ob);
/* One log record for people (core.h, describe_record). */
void pbft_describe_record(const uint8_t *rec, size_t len, char *buf,
			  size_t cap);
int pbft_replay(struct pbft *p, const uint8_t *log, size_t len);
int pbft_dispatch(struct pbft *p, const struct byz_event *ev,
		  struct byz_outbox *ob);

#endif
