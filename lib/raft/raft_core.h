/*
 * raft_core.h - Raft's replica core, shared between its files.
 *
 * Ongaro & Ousterhout, "In Search of an Understandable Consensus
 * Algorithm (Extended Version)", 2014: "§N" in comments is a section of
 * it, "Figure 2" its summary of the rules. One idea per file:
 *
 *   raft_core.c     the step: elections (§5.2, §5.4.1), replication
 *                   (§5.3), the commit rule (§5.4.2), timers
 *   raft_log.c      the log in memory, the write-ahead log (Figure 2's
 *                   persistent state), restart, snapshots (§7)
 *   raft_exec.c     client requests: the pending slots, executing
 *                   committed entries, replies
 *   raft_audit.c    the rules of honest outputs, for byzlab selftest
 *   raft_mutants.c  planted single-rule mistakes
 *   raft_formulas.c its costs for `byzlab report complexity`
 *
 * Every size comes from the configuration (n, window, checkpoint
 * interval, batch, max_clients): nothing a peer sends makes this grow.
 */
#ifndef BYZ_RAFT_CORE_H
#define BYZ_RAFT_CORE_H

#include "reqpool.h"
#include "app.h"
#include "core.h"
#include "raft_wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAFT_TIMER_ELECTION  0 /* election timeout (§5.2) */
#define RAFT_TIMER_HEARTBEAT 1 /* the leader's heartbeats (§5.2) */
#define RAFT_TIMERS	     2

#define RAFT_NOBODY  UINT32_MAX
#define RAFT_REQ_MAX (WIRE_HEADER_BYTES + 10 + WIRE_MAX_OP + BYZ_SIG_BYTES)

enum raft_role {
	RAFT_FOLLOWER = 0,
	RAFT_CANDIDATE,
	RAFT_LEADER,
};

/* The planted mistakes of raft_mutants.c, by their cfg.mutant value. */
enum raft_mutant_id {
	RAFT_MUT_COMMIT_MINORITY = 1, /* n/2 matchIndex suffice (§5.4.2) */
	RAFT_MUT_VOTE_NO_LOG_CHECK,   /* grant without §5.4.1 */
	RAFT_MUT_COMMIT_OLD_TERM,     /* count old-term entries (Fig. 8) */
	RAFT_MUT_VOTE_UNPERSISTED,    /* vote before votedFor is durable */
	RAFT_MUT_COUNT
};
extern const struct byz_mutant raft_mutants[];

/* One entry of the log: its term and its bytes (raft_wire.h, an entry
 * as encoded, term first). */
struct raft_ent {
	uint64_t term;
	struct byz_bytes b;
};

/* An output held back until the end of the step (after its PERSISTs). */
struct raft_send {
	uint32_t to;
	size_t off, len;
};

struct raft {
	struct byz_config cfg;
	uint32_t majority; /* n/2 + 1: from n, never from f */
	struct app *app;
	bool in_step;
	uint64_t now;
	uint64_t rule_hits;
	bool restarted;

	/* Figure 2, persistent state on all servers. */
	uint64_t term;
	uint32_t voted_for; /* RAFT_NOBODY: none */
	/* log[]: entries snap_index+1 .. last, entry i at ring[i % cap]. */
	struct raft_ent *ring;
	uint32_t cap;
	uint64_t snap_index, snap_term, last;
	struct byz_bytes snap; /* the application at snap_index (§7) */

	/* Figure 2, volatile state: commitIndex (= lastApplied: entries are
	 * applied as they are committed; persisted too, see raft_log.c). */
	uint64_t commit;
	enum raft_role role;
	uint32_t leader;    /* of this term, once known; RAFT_NOBODY */
	uint64_t view_term; /* the term of our last VIEW output */
	bool view_late;	    /* the next VIEW is a (re)start's: `late` */
	bool voters[BYZ_MAX_N];
	uint32_t nvoters;
	/* Figure 2, volatile state on leaders. */
	uint64_t next_index[BYZ_MAX_N], match_index[BYZ_MAX_N];
	uint64_t snap_sent_at[BYZ_MAX_N]; /* +1; 0: never */
	uint64_t sent_at[BYZ_MAX_N];	  /* our last AppendEntries to each */
	uint64_t term_start; /* the first index of our term (a leader) */

	/* The write-ahead log. */
	uint64_t token;
	uint32_t wal_records;

	/* Requests. */
	/* Each client's newest unexecuted request (RAFT_REQ_MAX bytes each;
	 * a slot's mark: this leader's log already holds it, not yet
	 * committed), and the clients owed a reply. */
	struct byz_reqpool pool;
	struct byz_commit *commits;
	uint32_t ncommits, commits_cap;

	/* This step's held-back sends. */
	struct raft_send *sends;
	uint32_t nsends, sends_cap;
	struct wire_buf scratch;
};

static inline bool raft_mut(const struct raft *t, enum raft_mutant_id m)
{
	return t->cfg.mutant == (uint32_t)m;
}

static inline void raft_rule(struct raft *t, enum raft_mutant_id m)
{
	t->rule_hits |= 1ull << ((uint32_t)m - 1);
}

/* ---- raft_core.c ---- */
/* Hold the frame just encoded at [off, ob->bytes.len) for `to` until the
 * end of the step (after its PERSISTs). */
int raft_hold(struct raft *t, struct byz_outbox *ob, size_t off, uint32_t to);
/* Leader: append entries of pending requests (§5.3), and replicate. */
int raft_propose(struct raft *t, struct byz_outbox *ob);

/* ---- raft_log.c ---- */
int raft_log_init(struct raft *t);
void raft_log_free(struct raft *t);
/* The term of entry i: snap_term at snap_index, 0 for an index not held
 * (compacted away or beyond the last). */
uint64_t raft_term_at(const struct raft *t, uint64_t i);
const struct raft_ent *raft_ent_at(const struct raft *t, uint64_t i);
/* Room for one more entry. */
bool raft_log_room(const struct raft *t);
/* Append one entry at last + 1 (raft_log_room must hold). */
int raft_log_append(struct raft *t, uint64_t term, const uint8_t *bytes,
		    size_t len);
/* Discard entries from..last (a conflicting suffix, §5.3). */
void raft_log_truncate(struct raft *t, uint64_t from);
/* PERSIST records: term and vote; entries from..last; the commit index. */
int raft_persist_term(struct raft *t, struct byz_outbox *ob);
int raft_persist_entries(struct raft *t, struct byz_outbox *ob, uint64_t from);
int raft_persist_commit(struct raft *t, struct byz_outbox *ob);
/* Replace the log by one record of everything (snapshot, term, vote,
 * entries, commit): at a snapshot, and when the log grew long. */
int raft_persist_all(struct raft *t, struct byz_outbox *ob);
/* §7: a snapshot once checkpoint_interval entries were applied since the
 * last; the log prefix discarded. */
int raft_maybe_snapshot(struct raft *t, struct byz_outbox *ob);
int raft_restore(struct raft *t, const uint8_t *log, size_t len);
void raft_describe_record(const uint8_t *rec, size_t len, char *buf,
			  size_t cap);

/* ---- raft_exec.c ---- */
int raft_pool_init(struct raft *t);
void raft_pool_free(struct raft *t);
int raft_on_request(struct raft *t, struct byz_outbox *ob,
		    const struct wire_msg *m);
/* Mark the pending requests this log holds above commitIndex (a new
 * leader: they are proposed already). */
void raft_pool_mark_logged(struct raft *t);
/* One entry's bytes of up to batch pending requests not yet logged (in
 * t->scratch); *count the requests. */
int raft_pool_take(struct raft *t, size_t *count);
/* Apply entries commit+1 .. upto (§5.3: "apply log[lastApplied] to the
 * state machine"); emit: COMMIT outputs and replies (false when
 * replaying the log after a restart). */
int raft_apply(struct raft *t, struct byz_outbox *ob, uint64_t upto, bool emit);
int raft_commit_later(struct raft *t, const struct byz_commit *c);
/* At the end of a step: the COMMITs and the replies. */
int raft_flush_commits(struct raft *t, struct byz_outbox *ob);

/* ---- raft_formulas.c, raft_audit.c ---- */
extern const struct byz_complexity raft_complexity;
const char *raft_audit(const struct byz_config *cfg, const struct wire_msg *m,
		       struct byz_vote *vote, bool *is_vote);

#endif
