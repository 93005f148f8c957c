/*
 * raft_core.c - Raft's step: leader election (§5.2) with the election
 * restriction (§5.4.1), log replication (§5.3), the commit rule
 * (§5.4.2), InstallSnapshot (§7), timers. Figure 2 is the summary every
 * rule here cites.
 *
 * Deviations from the paper (docs/raft.md says why):
 *  - a core draws no randomness: the election timeout of replica i in
 *    term t is T + h(i, t) mod T, h a fixed hash, so replicas' timeouts
 *    differ and a split vote is not repeated; on a fresh start replica 0
 *    waits T/2 only, so it is the likeliest first leader;
 *  - a follower whose log disagrees answers with a hint (its commit
 *    index, or its last index when it lacks prev_index), and the leader
 *    retries from there at once instead of one index at a time;
 *  - replies to clients come from every replica that executes (the
 *    client accepts f+1 matching replies), so the leader tells the
 *    followers of a new commit index at once (an AppendEntries that may
 *    carry no entry) rather than at its next heartbeat;
 *  - messages are signed (byzlab's frames), which Raft does not need.
 */
#include "raft_core.h"

#include "err.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int raft_hold(struct raft *t, struct byz_outbox *ob, size_t off, uint32_t to)
{
	if (ob->bytes.err)
		return ob->bytes.err;
	if (t->nsends == t->sends_cap) {
		uint32_t cap = t->sends_cap ? 2 * t->sends_cap : 16;
		struct raft_send *s = realloc(t->sends, cap * sizeof *s);
		if (!s)
			return BYZ_ENOMEM;
		t->sends = s;
		t->sends_cap = cap;
	}
	t->sends[t->nsends++] = (struct raft_send){
	    .to = to, .off = off, .len = ob->bytes.len - off};
	return 0;
}

/* ---- timers ------------------------------------------------------------- */

/* A fixed mix of (replica, term): splitmix64's finaliser. */
static uint64_t raft_hash(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* §5.2: "election timeouts are chosen randomly from a fixed interval";
 * here [T, 2T) by a hash of (id, term), T = timeout_us. A fresh replica
 * 0 in term 0 waits T/2: the first leader, unless it is down. */
static uint64_t raft_election_timeout(const struct raft *t)
{
	uint64_t T = t->cfg.timeout_us;

	if (t->term == 0 && t->cfg.id == 0 && !t->restarted)
		return T / 2 ? T / 2 : 1;
	return T + raft_hash(((uint64_t)t->cfg.id << 40) ^ t->term) % T;
}

/* Heartbeats at a quarter of the shortest election timeout. */
static uint64_t raft_heartbeat(const struct raft *t)
{
	uint64_t h = t->cfg.timeout_us / 4;

	return h ? h : 1;
}

static int raft_arm_election(struct raft *t, struct byz_outbox *ob)
{
	return byz_out_timer(ob, RAFT_TIMER_ELECTION, raft_election_timeout(t));
}

/* ---- roles -------------------------------------------------------------- */

/* Figure 2, all servers: "If RPC request or response contains term T >
 * currentTerm: set currentTerm = T, convert to follower". */
static int raft_new_term(struct raft *t, struct byz_outbox *ob, uint64_t term)
{
	int rc;

	if (term <= t->term)
		return 0;
	t->term = term;
	t->voted_for = RAFT_NOBODY;
	t->leader = RAFT_NOBODY;
	if ((rc = raft_persist_term(t, ob)))
		return rc;
	if (t->role == RAFT_LEADER &&
	    (rc = byz_out_timer(ob, RAFT_TIMER_HEARTBEAT, BYZ_TIMER_CANCEL)))
		return rc;
	t->role = RAFT_FOLLOWER;
	return raft_arm_election(t, ob);
}

/* The leader of our term is known: tell the trace (a VIEW: view = term).
 * A term is entered in step (core.h, struct byz_view) when its election
 * is what tells us its leader: we won it, or its winner's APPEND or
 * SNAPSHOT came, the path every replica that took part follows. The
 * first one after a (re)start is `late`: we may have slept through the
 * term's election. The progress checker then judges a term whose leader
 * and the leader of the term before are honest and that every honest
 * replica up entered in step after GST: no follower may time it out
 * (§5.2: the leader's heartbeats reach it well inside its election
 * timeout). */
static int raft_saw_leader(struct raft *t, struct byz_outbox *ob,
			   uint32_t leader)
{
	bool late = t->view_late;

	t->leader = leader;
	if (t->view_term == t->term)
		return 0;
	t->view_term = t->term;
	t->view_late = false;
	return byz_out_view(ob, t->term, leader, false, late);
}

static int raft_send_append(struct raft *t, struct byz_outbox *ob, uint32_t to);

static int raft_replicate(struct raft *t, struct byz_outbox *ob)
{
	int rc;

	for (uint32_t i = 0; i < t->cfg.n; i++)
		if (i != t->cfg.id && (rc = raft_send_append(t, ob, i)))
			return rc;
	return 0;
}

/* §5.4.2 and Figure 2, rules for leaders: "If there exists an N such
 * that N > commitIndex, a majority of matchIndex[i] >= N, and
 * log[N].term == currentTerm: set commitIndex = N". */
static int raft_advance_commit(struct raft *t, struct byz_outbox *ob)
{
	uint32_t need = t->majority;
	int rc;

	if (t->role != RAFT_LEADER)
		return 0;
	if (raft_mut(t, RAFT_MUT_COMMIT_MINORITY))
		need = t->cfg.n / 2;
	for (uint64_t N = t->last; N > t->commit; N--) {
		uint32_t k = 0;
		bool old = raft_term_at(t, N) != t->term;
		for (uint32_t i = 0; i < t->cfg.n; i++)
			k += t->match_index[i] >= N;
		if (!old && k < t->majority && k >= t->cfg.n / 2)
			raft_rule(t, RAFT_MUT_COMMIT_MINORITY);
		if (old && k >= need) {
			/* Figure 8: an entry of an earlier term is committed
			 * only by a later entry of ours, never by counting
			 * replicas. */
			raft_rule(t, RAFT_MUT_COMMIT_OLD_TERM);
			if (!raft_mut(t, RAFT_MUT_COMMIT_OLD_TERM))
				continue;
		}
		if (k < need)
			continue;
		if ((rc = raft_apply(t, ob, N, true)))
			return rc;
		/* Tell the followers now: they execute and reply too. */
		return raft_replicate(t, ob);
	}
	return 0;
}

/* Figure 2, rules for leaders: "Upon election: send initial empty
 * AppendEntries RPCs (heartbeat) to each server". §8: a new leader
 * appends an entry of its own term at once (here with the pending
 * requests, a no-op if there are none), which commits its log. */
static int raft_become_leader(struct raft *t, struct byz_outbox *ob)
{
	size_t k;
	int rc;

	t->role = RAFT_LEADER;
	if ((rc = raft_saw_leader(t, ob, t->cfg.id)) ||
	    (rc = byz_out_note(ob,
			       "leader of term %" PRIu64 " (last %" PRIu64
			       "/%" PRIu64 ")",
			       t->term, t->last, raft_term_at(t, t->last))))
		return rc;
	for (uint32_t i = 0; i < t->cfg.n; i++) {
		t->next_index[i] = t->last + 1;
		t->match_index[i] = 0;
		t->snap_sent_at[i] = 0;
		t->sent_at[i] = 0;
	}
	raft_pool_mark_logged(t);
	t->term_start = t->last + 1;
	if (!raft_log_room(t)) /* cannot be: a follower keeps the slot */
		return byz_out_note(ob, "no room for an entry of term %" PRIu64,
				    t->term);
	if ((rc = raft_pool_take(t, &k)) ||
	    (rc = raft_log_append(t, t->term, t->scratch.data,
				  t->scratch.len)) ||
	    (rc = raft_persist_entries(t, ob, t->last)))
		return rc;
	t->match_index[t->cfg.id] = t->last;
	if ((rc = byz_out_timer(ob, RAFT_TIMER_ELECTION, BYZ_TIMER_CANCEL)) ||
	    (rc = byz_out_timer(ob, RAFT_TIMER_HEARTBEAT, raft_heartbeat(t))))
		return rc;
	if ((rc = raft_replicate(t, ob)))
		return rc;
	if ((rc = raft_advance_commit(t, ob)))
		return rc; /* n = 1 */
	return raft_propose(t, ob);
}

int raft_propose(struct raft *t, struct byz_outbox *ob)
{
	uint64_t first = t->last + 1;
	size_t k;
	int rc;

	if (t->role != RAFT_LEADER)
		return 0;
	/* At most window uncommitted entries (bounded memory). */
	while (t->pool.count && t->last - t->commit < t->cfg.window &&
	       raft_log_room(t)) {
		if ((rc = raft_pool_take(t, &k)))
			return rc;
		if (!k)
			break;
		if ((rc = raft_log_append(t, t->term, t->scratch.data,
					  t->scratch.len)))
			return rc;
	}
	if (t->last < first)
		return 0;
	if ((rc = raft_persist_entries(t, ob, first)))
		return rc;
	/* Counted once durable: the PERSIST precedes every message that
	 * could let a commit out. */
	t->match_index[t->cfg.id] = t->last;
	for (uint32_t i = 0; i < t->cfg.n; i++)
		if (i != t->cfg.id && t->next_index[i] == first &&
		    (rc = raft_send_append(t, ob, i)))
			return rc;
	return raft_advance_commit(t, ob);
}

/* §5.2: a follower that hears nothing for an election timeout becomes a
 * candidate: a new term, a vote for itself, RequestVote to all. */
static int raft_start_election(struct raft *t, struct byz_outbox *ob)
{
	size_t off;
	int rc;

	if (t->view_term == t->term && t->leader != RAFT_NOBODY &&
	    (rc = byz_out_view(ob, t->term, t->leader, true, false)))
		return rc;
	t->term++;
	t->role = RAFT_CANDIDATE;
	t->voted_for = t->cfg.id;
	t->leader = RAFT_NOBODY;
	memset(t->voters, 0, sizeof t->voters);
	t->voters[t->cfg.id] = true;
	t->nvoters = 1;
	if ((rc = raft_persist_term(t, ob)) || (rc = raft_arm_election(t, ob)))
		return rc;
	if (t->nvoters >= t->majority)
		return raft_become_leader(t, ob); /* n = 1 */
	if ((rc = raft_enc_vote_req(&ob->bytes, &off, t->cfg.id, t->term,
				    t->last, raft_term_at(t, t->last))))
		return rc;
	/* One frame, held for each of the others. */
	for (uint32_t i = 0; i < t->cfg.n; i++)
		if (i != t->cfg.id && (rc = raft_hold(t, ob, off, i)))
			return rc;
	return 0;
}

/* ---- AppendEntries and InstallSnapshot, leader side -------------------- */

static int raft_send_snapshot(struct raft *t, struct byz_outbox *ob,
			      uint32_t to)
{
	size_t off;
	int rc;

	if (t->snap_sent_at[to] &&
	    t->now < t->snap_sent_at[to] - 1 + raft_heartbeat(t))
		return 0; /* once per heartbeat: it is large */
	if (t->snap.len > RAFT_MAX_SNAPSHOT)
		return byz_out_note(ob,
				    "snapshot of %zu bytes does not fit a "
				    "frame: r%" PRIu32 " stays behind",
				    t->snap.len, to);
	t->snap_sent_at[to] = t->now + 1;
	t->sent_at[to] = t->now;
	if ((rc = raft_enc_snapshot(&ob->bytes, &off, t->cfg.id, t->term,
				    t->snap_index, t->snap_term, t->snap.p,
				    t->snap.len)))
		return rc;
	t->next_index[to] = t->snap_index + 1;
	return raft_hold(t, ob, off, to);
}

/* AppendEntries to `to` (Figure 2): the entries from nextIndex on (up to
 * RAFT_MAX_ENTRIES and RAFT_APPEND_BUDGET bytes), none if it has them
 * all (a heartbeat, or news of the commit index); nextIndex then moves
 * past them (pipelining; a failure or a heartbeat brings it back). */
static int raft_send_append(struct raft *t, struct byz_outbox *ob, uint32_t to)
{
	const uint8_t *ents[RAFT_MAX_ENTRIES];
	size_t lens[RAFT_MAX_ENTRIES], k = 0, bytes = 0, off;
	uint64_t next = t->next_index[to], prev;
	int rc;

	if (next <= t->snap_index)
		return raft_send_snapshot(t, ob, to); /* §7 */
	if (next > t->last + 1)
		next = t->last + 1;
	prev = next - 1;
	for (uint64_t i = next; i <= t->last && k < RAFT_MAX_ENTRIES; i++) {
		const struct raft_ent *e = raft_ent_at(t, i);
		if (k && bytes + e->b.len > RAFT_APPEND_BUDGET)
			break;
		ents[k] = e->b.p;
		lens[k++] = e->b.len;
		bytes += e->b.len;
	}
	if ((rc = raft_enc_append(&ob->bytes, &off, t->cfg.id, t->term, prev,
				  raft_term_at(t, prev), t->commit, ents, lens,
				  k)))
		return rc;
	t->next_index[to] = next + k;
	t->sent_at[to] = t->now;
	return raft_hold(t, ob, off, to);
}

/* Figure 2, rules for leaders: "If successful: update nextIndex and
 * matchIndex for follower; if AppendEntries fails because of log
 * inconsistency: decrement nextIndex and retry" (to the hint). */
static int raft_on_append_ok(struct raft *t, struct byz_outbox *ob,
			     const struct wire_msg *m)
{
	const struct raft_append_ok *o = &raft_of(m)->ok;
	uint32_t from = m->frame.sender;
	int rc;

	if (o->term > t->term)
		return raft_new_term(t, ob, o->term);
	if (o->term < t->term || t->role != RAFT_LEADER || from == t->cfg.id)
		return 0;
	if (o->success) {
		if (o->match > t->last)
			return byz_out_drop(ob, m,
					    "acknowledges entries we lack");
		if (o->match > t->match_index[from]) {
			t->match_index[from] = o->match;
			if (t->next_index[from] <= o->match)
				t->next_index[from] = o->match + 1;
			if ((rc = raft_advance_commit(t, ob)))
				return rc;
		}
		return 0;
	}
	{
		uint64_t next = o->match + 1;
		if (next > t->last + 1)
			next = t->last + 1;
		if (next <= t->match_index[from])
			next = t->match_index[from] + 1;
		if (next >= t->next_index[from] && o->last + 1 != next)
			return 0; /* not behind what we sent it */
		t->next_index[from] = next;
		return raft_send_append(t, ob, from);
	}
}

/* ---- AppendEntries and InstallSnapshot, follower side ------------------ */

/* A leader's message of term >= ours: it leads this term. */
static int raft_follow(struct raft *t, struct byz_outbox *ob, uint64_t term,
		       uint32_t leader)
{
	int rc;

	if (term > t->term && (rc = raft_new_term(t, ob, term)))
		return rc;
	if (t->role == RAFT_LEADER)
		return 0; /* two leaders of one term: cannot be (§5.2) */
	t->role = RAFT_FOLLOWER;
	if ((rc = raft_saw_leader(t, ob, leader)))
		return rc;
	return raft_arm_election(t, ob);
}

static int raft_reply_append(struct raft *t, struct byz_outbox *ob, uint32_t to,
			     bool success, uint64_t match, uint64_t last)
{
	size_t off;
	int rc;

	if ((rc = raft_enc_append_ok(&ob->bytes, &off, t->cfg.id, t->term,
				     success, match, last)))
		return rc;
	return raft_hold(t, ob, off, to);
}

/* Figure 2, AppendEntries RPC, receiver implementation. */
static int raft_on_append(struct raft *t, struct byz_outbox *ob,
			  const struct wire_msg *m)
{
	const struct raft_append *a = &raft_of(m)->app;
	uint32_t from = m->frame.sender;
	uint64_t last = a->prev_index + a->count, i, changed = 0, match;
	struct raft_entry e;
	size_t pos = 0;
	int rc;

	/* Rule 1: reply false if term < currentTerm. */
	if (a->term < t->term)
		return raft_reply_append(t, ob, from, false, t->commit, last);
	if (a->term == t->term && t->role == RAFT_LEADER)
		return byz_out_drop(ob, m, "another leader of our term");
	if ((rc = raft_follow(t, ob, a->term, from)))
		return rc;
	/* Rule 2: reply false if log doesn't contain an entry at prevLogIndex
	 * whose term matches prevLogTerm. Below our snapshot the entries
	 * are committed, and a leader holds them (§5.4.1): they match. */
	if (a->prev_index > t->last)
		return raft_reply_append(t, ob, from, false, t->last, last);
	if (a->prev_index >= t->snap_index &&
	    raft_term_at(t, a->prev_index) != a->prev_term)
		return raft_reply_append(
		    t, ob, from, false,
		    t->commit < a->prev_index ? t->commit : a->prev_index - 1,
		    last);
	match = a->prev_index;
	for (i = a->prev_index + 1; raft_entries_next(a, &pos, &e) == 1; i++) {
		if (i <= t->snap_index) {
			match = i;
			continue;
		}
		if (i <= t->last) {
			if (raft_term_at(t, i) == e.term) {
				match = i;
				continue;
			}
			/* Rule 3: an existing entry conflicts with a new one
			 * (same index, different terms): delete it and all
			 * that follow. Never a committed one. */
			if (i <= t->commit)
				return byz_out_drop(
				    ob, m,
				    "conflicts with a committed "
				    "entry");
			raft_log_truncate(t, i);
		}
		/* Rule 4: append any new entries not already in the log.
		 * One slot stays free: the entry of our own term we append
		 * if we are elected (§8), without which nothing we hold
		 * could commit. */
		if (t->last - t->snap_index + 1 >= t->cap)
			break; /* full: the rest later */
		if ((rc = raft_log_append(t, e.term, e.bytes, e.len)))
			return rc;
		if (!changed)
			changed = i;
		match = i;
	}
	/* Persisted before the success reply (held to the end of the
	 * step, after this PERSIST). */
	if (changed && (rc = raft_persist_entries(t, ob, changed)))
		return rc;
	/* Rule 5: if leaderCommit > commitIndex, set commitIndex =
	 * min(leaderCommit, index of last new entry). */
	if (a->commit > t->commit) {
		uint64_t c = a->commit < match ? a->commit : match;
		if (c > t->commit && (rc = raft_apply(t, ob, c, true)))
			return rc;
	}
	return raft_reply_append(t, ob, from, true, match, last);
}

/* §7, InstallSnapshot RPC, receiver implementation (in one piece). */
static int raft_on_snapshot(struct raft *t, struct byz_outbox *ob,
			    const struct wire_msg *m)
{
	const struct raft_snapshot *s = &raft_of(m)->snap;
	uint32_t from = m->frame.sender;
	struct app *a = NULL;
	struct byz_commit c;
	int rc;

	/* 1. Reply immediately if term < currentTerm. */
	if (s->term < t->term)
		return raft_reply_append(t, ob, from, false, t->commit,
					 s->last_index);
	if (s->term == t->term && t->role == RAFT_LEADER)
		return byz_out_drop(ob, m, "another leader of our term");
	if ((rc = raft_follow(t, ob, s->term, from)))
		return rc;
	if (s->last_index <= t->commit)
		return raft_reply_append(t, ob, from, true, s->last_index,
					 s->last_index);
	if ((rc = app_new(&t->cfg.app, &a)))
		return rc;
	if (app_restore(a, s->snap, s->snap_len)) {
		app_destroy(&a);
		return byz_out_drop(ob, m, "snapshot does not restore");
	}
	if ((rc = byz_bytes_set(&t->snap, s->snap, s->snap_len))) {
		app_destroy(&a);
		return rc;
	}
	app_destroy(&t->app);
	t->app = a;
	/* 6. If an existing entry has the same index and term as the
	 * snapshot's last included entry, retain the entries following it;
	 * 7. else discard the entire log. */
	if (raft_term_at(t, s->last_index) == s->last_term) {
		for (uint64_t i = t->snap_index + 1; i <= s->last_index; i++)
			byz_bytes_free(&t->ring[i % t->cap].b);
	} else {
		raft_log_truncate(t, t->snap_index + 1);
		t->last = s->last_index;
	}
	t->snap_index = s->last_index;
	t->snap_term = s->last_term;
	t->commit = s->last_index;
	byz_reqpool_forget_executed(&t->pool, t->app);
	memset(&c, 0, sizeof c);
	c.restored = true;
	c.height = app_height(t->app);
	c.slot = s->last_index;
	app_state_digest(t->app, c.state_digest);
	if ((rc = byz_out_note(ob, "snapshot installed at index %" PRIu64,
			       s->last_index)) ||
	    (rc = raft_persist_all(t, ob)) || (rc = raft_commit_later(t, &c)))
		return rc;
	return raft_reply_append(t, ob, from, true, s->last_index,
				 s->last_index);
}

/* ---- RequestVote -------------------------------------------------------- */

/* Figure 2, RequestVote RPC, receiver implementation. */
static int raft_on_vote_req(struct raft *t, struct byz_outbox *ob,
			    const struct wire_msg *m)
{
	const struct raft_vote_req *v = &raft_of(m)->vreq;
	uint32_t from = m->frame.sender;
	uint64_t my_term = raft_term_at(t, t->last);
	bool up_to_date, grant = false;
	size_t off;
	int rc;

	if (v->term > t->term && (rc = raft_new_term(t, ob, v->term)))
		return rc;
	/* 1. Reply false if term < currentTerm. 2. If votedFor is null or
	 * candidateId, and candidate's log is at least as up-to-date as
	 * receiver's log, grant vote. §5.4.1: the log with the later last
	 * term is more up-to-date; with equal terms, the longer one. */
	if (v->term == t->term &&
	    (t->voted_for == RAFT_NOBODY || t->voted_for == from)) {
		up_to_date =
		    v->last_term > my_term ||
		    (v->last_term == my_term && v->last_index >= t->last);
		if (!up_to_date) {
			raft_rule(t, RAFT_MUT_VOTE_NO_LOG_CHECK);
			if (raft_mut(t, RAFT_MUT_VOTE_NO_LOG_CHECK))
				up_to_date = true;
		}
		grant = up_to_date;
	}
	if (grant && t->voted_for != from) {
		t->voted_for = from;
		/* Durable before the vote goes out (Figure 2). */
		raft_rule(t, RAFT_MUT_VOTE_UNPERSISTED);
		if (!raft_mut(t, RAFT_MUT_VOTE_UNPERSISTED) &&
		    (rc = raft_persist_term(t, ob)))
			return rc;
	}
	/* §5.2: a follower that grants a vote restarts its timer. */
	if (grant && (rc = raft_arm_election(t, ob)))
		return rc;
	if ((rc = raft_enc_vote(&ob->bytes, &off, t->cfg.id, t->term, from,
				grant)))
		return rc;
	return raft_hold(t, ob, off, from);
}

/* §5.2: a candidate wins with votes from a majority of the servers. */
static int raft_on_vote(struct raft *t, struct byz_outbox *ob,
			const struct wire_msg *m)
{
	const struct raft_vote *v = &raft_of(m)->vote;
	uint32_t from = m->frame.sender;

	if (v->term > t->term)
		return raft_new_term(t, ob, v->term);
	if (v->term < t->term || t->role != RAFT_CANDIDATE || !v->granted ||
	    v->candidate != t->cfg.id || t->voters[from])
		return 0;
	t->voters[from] = true;
	if (++t->nvoters < t->majority)
		return 0;
	return raft_become_leader(t, ob);
}

/* ---- timers ------------------------------------------------------------- */

/* The leader's heartbeat (§5.2): AppendEntries to each follower it sent
 * nothing to for a heartbeat interval (any AppendEntries is one), from
 * matchIndex + 1 for one that has not acknowledged everything (what was
 * lost is sent again). */
static int raft_on_heartbeat(struct raft *t, struct byz_outbox *ob)
{
	int rc;

	if (t->role != RAFT_LEADER)
		return 0;
	for (uint32_t i = 0; i < t->cfg.n; i++) {
		if (i == t->cfg.id ||
		    t->now < t->sent_at[i] + raft_heartbeat(t))
			continue;
		if (t->match_index[i] < t->last)
			t->next_index[i] = t->match_index[i] + 1;
		if ((rc = raft_send_append(t, ob, i)))
			return rc;
	}
	return byz_out_timer(ob, RAFT_TIMER_HEARTBEAT, raft_heartbeat(t));
}

static int raft_on_timer(struct raft *t, struct byz_outbox *ob, uint32_t timer)
{
	switch (timer) {
	case RAFT_TIMER_ELECTION:
		if (t->role == RAFT_LEADER)
			return 0;
		return raft_start_election(t, ob);
	case RAFT_TIMER_HEARTBEAT:
		return raft_on_heartbeat(t, ob);
	}
	return 0;
}

/* ---- the step ----------------------------------------------------------- */

static int raft_dispatch(struct raft *t, const struct byz_event *ev,
			 struct byz_outbox *ob)
{
	const struct wire_msg *m;
	int rc;

	switch (ev->kind) {
	case BYZ_EV_START:
		if (ev->u.restarted)
			t->restarted = true;
		t->view_late = t->restarted;
		if (t->restarted && app_height(t->app) > 0) {
			/* Back from the log, the committed entries replayed
			 * silently (raft_log.c): say where the state is, as a
			 * state transfer from our own log (no COMMIT twice). */
			struct byz_commit c;
			memset(&c, 0, sizeof c);
			c.restored = true;
			c.height = app_height(t->app);
			c.slot = t->commit;
			app_state_digest(t->app, c.state_digest);
			if ((rc = raft_commit_later(t, &c)))
				return rc;
		}
		return raft_arm_election(t, ob);
	case BYZ_EV_REQUEST:
		if ((rc = raft_on_request(t, ob, ev->u.msg)))
			return rc;
		return raft_propose(t, ob);
	case BYZ_EV_TIMER:
		return raft_on_timer(t, ob, ev->u.timer);
	case BYZ_EV_PERSISTED:
		return 0;
	case BYZ_EV_MESSAGE:
		break;
	default:
		return 0;
	}
	m = ev->u.msg;
	if (m->frame.proto != RAFT_PROTO)
		return byz_out_drop(ob, m, "not a raft message");
	if (m->frame.sender >= t->cfg.n)
		return byz_out_drop(ob, m, "sender is not a replica");
	if (m->frame.sender == t->cfg.id)
		return 0;
	switch (m->frame.type) {
	case RAFT_VOTE_REQ:
		return raft_on_vote_req(t, ob, m);
	case RAFT_VOTE:
		return raft_on_vote(t, ob, m);
	case RAFT_APPEND:
		return raft_on_append(t, ob, m);
	case RAFT_APPEND_OK:
		if ((rc = raft_on_append_ok(t, ob, m)))
			return rc;
		return raft_propose(t, ob); /* room in the window */
	case RAFT_SNAPSHOT:
		return raft_on_snapshot(t, ob, m);
	}
	return byz_out_drop(ob, m, "unknown type");
}

static int raft_step(void *core, const struct byz_event *ev,
		     struct byz_outbox *ob)
{
	struct raft *t = core;
	int rc;

	assert(!t->in_step);
	t->in_step = true;
	t->now = ev->now;
	t->rule_hits = 0;
	t->nsends = 0;
	rc = raft_dispatch(t, ev, ob);
	/* The PERSISTs of this step are out already; then what they back
	 * (core.h): the COMMITs and replies, then the messages. */
	if (!rc)
		rc = raft_flush_commits(t, ob);
	for (uint32_t i = 0; i < t->nsends && !rc; i++)
		rc = byz_out_send_at(ob, t->sends[i].to, t->sends[i].off,
				     t->sends[i].len);
	t->nsends = 0;
	ob->rules |= t->rule_hits;
	t->in_step = false;
	return rc;
}

/* ---- create, destroy, the ops table ------------------------------------ */

static void raft_destroy(void **core)
{
	struct raft *t = *core;

	if (!t)
		return;
	raft_log_free(t);
	app_destroy(&t->app);
	raft_pool_free(t);
	free(t->sends);
	wire_buf_free(&t->scratch);
	free(t);
	*core = NULL;
}

/* What raft_create accepts: n from 1 (2f + 1: crash faults); a window
 * (uncommitted entries at the leader) of 1..4096; a checkpoint interval
 * (entries between snapshots) of 1..512; batches up to RAFT_MAX_BATCH;
 * a timeout. */
static const struct byz_limits raft_limits = {
    .n_min = 1,
    .n_max = BYZ_MAX_N,
    .window_min = 1,
    .window_max = 4096,
    .checkpoint_min = 1,
    .checkpoint_max = 512,
    .batch_min = 1,
    .batch_max = RAFT_MAX_BATCH,
    .timeout_needed = true,
    .faults = BYZ_FAULTS_CRASH,
};

static int raft_create(const struct byz_config *cfg, const uint8_t *persisted,
		       size_t len, void **core)
{
	struct raft *t;
	int rc;

	*core = NULL;
	if (byz_limits_check("raft", &raft_limits, cfg, NULL, 0))
		return BYZ_EINVAL;
	if (!(t = calloc(1, sizeof *t)))
		return BYZ_ENOMEM;
	t->cfg = *cfg;
	t->majority = cfg->n / 2 + 1;
	t->voted_for = RAFT_NOBODY;
	t->leader = RAFT_NOBODY;
	t->view_term = UINT64_MAX;
	wire_buf_init(&t->scratch, 64u << 20);
	if (!(rc = app_new(&cfg->app, &t->app)) && !(rc = raft_pool_init(t)))
		rc = raft_log_init(t);
	if (!rc && persisted && len) {
		rc = raft_restore(t, persisted, len);
		t->restarted = true;
	}
	if (rc) {
		raft_destroy((void **)&t);
		return rc;
	}
	*core = t;
	return 0;
}

/* After GST an election needs a timeout (up to 2T) and a round trip; a
 * split vote or a candidate with a stale log costs another; a crashed
 * leader (f of them in turn) one more each. Then a request waits for
 * the window and the entries before it, and one behind catches up by a
 * snapshot. Generous, finite. */
static uint64_t raft_liveness_bound(const struct byz_config *cfg,
				    uint64_t max_latency_us)
{
	uint64_t T = cfg->timeout_us;
	uint64_t elections = 2ull * cfg->f + 8;

	return elections * (2 * T + 8 * max_latency_us) +
	       ((uint64_t)cfg->window + cfg->checkpoint_interval) * 4 *
		   max_latency_us +
	       8 * T;
}

static const char *const raft_timer_names[] = {
    [RAFT_TIMER_ELECTION] = "election",
    [RAFT_TIMER_HEARTBEAT] = "heartbeat",
    NULL,
};

/* §5.4.2: an entry is committed once a majority of the servers stored
 * it, n/2 + 1 of n (the leader among them). */
static uint32_t raft_decision_quorum(uint32_t n, uint32_t f)
{
	(void)f;
	return n / 2 + 1;
}

/* Every message fits a frame: an entry of batch requests is at most
 * RAFT_MAX_BATCH x RAFT_REQ_MAX bytes and an APPEND carries one entry at
 * least and entries up to RAFT_APPEND_BUDGET bytes. A snapshot may not
 * fit (lib/app.h: max_keys entries of up to 323 bytes): the leader then
 * says so in a NOTE, and that follower stays behind (docs/raft.md). */
static int raft_check_config(const struct byz_config *cfg, char *why,
			     size_t whylen)
{
	uint64_t entry = 8 + 2 + (uint64_t)cfg->batch * (4 + RAFT_REQ_MAX);

	if (WIRE_HEADER_BYTES + 34 + RAFT_APPEND_BUDGET + entry +
		BYZ_SIG_BYTES >
	    WIRE_MAX_FRAME) {
		snprintf(why, whylen,
			 "raft: --batch %" PRIu32 ": an AppendEntries could "
			 "outgrow a frame; use a smaller --batch",
			 cfg->batch);
		return BYZ_EINVAL;
	}
	return 0;
}

const struct byz_core_ops raft_core_ops = {
    .name = "raft",
    .proto = RAFT_PROTO,
    .summary = "Raft (Ongaro & Ousterhout 2014; crash faults only, n >= "
	       "2f+1)",
    .first_leader = 0,
    .decision_quorum = raft_decision_quorum,
    .first_view = 1,
    .timer_names = raft_timer_names,
    .describe_record = raft_describe_record,
    .create = raft_create,
    .destroy = raft_destroy,
    .step = raft_step,
    .liveness_bound_us = raft_liveness_bound,
    .limits = &raft_limits,
    .check_config = raft_check_config,
    .mutants = raft_mutants,
    .audit = raft_audit,
    .complexity = &raft_complexity,
};
