/*
 * raft_mutate.c - the adversary's rewrites of Raft frames (adv_mutate,
 * adversary/mutate.h). Raft tolerates crashes, not lies: every rule below
 * trusts the sender, so each rewrite is a way one Byzantine replica
 * breaks it (docs/raft.md, "What a Byzantine replica does to it").
 * Embedded frames (the client requests of an entry) are copied verbatim,
 * moved or dropped, never altered. No coalition hooks: every message goes
 * to one replica, and rewriting each copy is already enough.
 *
 * Which message types each mutation touches (anything else: ADV_MUT_SKIP)
 * and why Raft cannot stop it:
 *   conflict      APPEND with entries: the same term, prevLogIndex,
 *                 prevLogTerm and commit index, each entry's requests
 *                 replaced (mutate.h's conflicting batch; digest: the
 *                 first entry's). With `equivocate` a leader sends one
 *                 log to half of the followers and another to the rest;
 *                 both halves acknowledge (the consistency check of
 *                 Figure 2 compares terms only, and the terms are the
 *                 leader's own), the leader counts a majority (§5.4.2),
 *                 and its next commit index makes each half execute its
 *                 own entry at the same index. Nothing in Raft compares
 *                 what two followers hold.
 *   other-digest  the lying replica. VOTE refused: granted (a vote
 *                 §5.4.1 forbids). VOTE_REQ: its log claimed as up-to-date
 *                 as can be (lastLogTerm = its term, lastLogIndex 64 more):
 *                 the election restriction (§5.4.1) trusts the claim, so a
 *                 candidate missing committed entries can win and
 *                 overwrite them. APPEND_OK failed or short: success up to
 *                 the last entry sent (entries it does not hold): the
 *                 leader's count of a majority (§5.4.2) trusts it.
 *   stale         every type of term >= 2: the same message from the
 *                 term before (an entry of the sender's term, or a log
 *                 claim of it, that the term before cannot hold: SKIP).
 *                 Figure 2's term checks drop it: stale rewrites are
 *                 harmless, as in the BFT protocols.
 *   follow        SKIP: no Raft message names a digest to follow.
 */
#include "mutate.h"
#include "raft_wire.h"

#include "err.h"

#include <string.h>

/* The APPEND of c->m with every entry's requests conflicting. */
static int conflicting(struct adv_ctx *c)
{
	const struct raft_append *a = &raft_of(c->m)->app;
	static _Thread_local struct adv_list batch;
	const uint8_t *ents[RAFT_MAX_ENTRIES];
	size_t lens[RAFT_MAX_ENTRIES], offs[RAFT_MAX_ENTRIES], k = 0, pos = 0;
	struct raft_entry e;
	struct wire_buf v;
	bool changed = false;
	int rc = 0;

	if (a->count == 0)
		return ADV_MUT_SKIP;
	wire_buf_init(&v, WIRE_MAX_FRAME);
	while (!rc && k < RAFT_MAX_ENTRIES &&
	       raft_entries_next(a, &pos, &e) == 1) {
		if ((rc = adv_list_gather(&batch, &e.batch)))
			break;
		changed |= adv_list_conflict(&batch, c->map);
		offs[k] = v.len;
		rc = raft_enc_entry(&v, e.term, batch.frames, batch.lens,
				    batch.count);
		lens[k] = v.len - offs[k];
		if (k == 0 && !rc)
			raft_entry_digest(c->rec_from, e.bytes, e.len);
		k++;
	}
	if (!rc && !changed)
		rc = ADV_MUT_SKIP;
	if (!rc) {
		for (size_t i = 0; i < k; i++)
			ents[i] = v.data + offs[i];
		raft_entry_digest(c->rec_to, ents[0], lens[0]);
		rc = raft_enc_append(c->out, NULL, c->m->frame.sender, a->term,
				     a->prev_index, a->prev_term, a->commit,
				     ents, lens, k);
		if (!rc)
			c->record = true;
	}
	wire_buf_free(&v);
	return rc;
}

/* The lying replica (other-digest). */
static int lie(struct adv_ctx *c)
{
	const struct raft_msg *r = raft_of(c->m);
	uint32_t s = c->m->frame.sender;

	switch (c->m->frame.type) {
	case RAFT_VOTE:
		if (r->vote.granted)
			return ADV_MUT_SKIP;
		return raft_enc_vote(c->out, NULL, s, r->vote.term,
				     r->vote.candidate, true);
	case RAFT_VOTE_REQ:
		return raft_enc_vote_req(c->out, NULL, s, r->vreq.term,
					 r->vreq.last_index + RAFT_MAX_ENTRIES,
					 r->vreq.term);
	case RAFT_APPEND_OK:
		if (r->ok.success && r->ok.match == r->ok.last)
			return ADV_MUT_SKIP;
		return raft_enc_append_ok(c->out, NULL, s, r->ok.term, true,
					  r->ok.last, r->ok.last);
	}
	return ADV_MUT_SKIP;
}

static int stale(struct adv_ctx *c)
{
	const struct raft_msg *r = raft_of(c->m);
	uint32_t s = c->m->frame.sender;
	uint64_t t = adv_msg_view(c->m);
	int rc = ADV_MUT_SKIP;

	if (t < 2)
		return ADV_MUT_SKIP;
	switch (c->m->frame.type) {
	case RAFT_VOTE_REQ:
		rc = raft_enc_vote_req(c->out, NULL, s, t - 1,
				       r->vreq.last_index, r->vreq.last_term);
		break;
	case RAFT_VOTE:
		rc = raft_enc_vote(c->out, NULL, s, t - 1, r->vote.candidate,
				   r->vote.granted);
		break;
	case RAFT_APPEND: {
		const uint8_t *ents[RAFT_MAX_ENTRIES];
		size_t lens[RAFT_MAX_ENTRIES], k = 0, pos = 0;
		struct raft_entry e;
		while (k < RAFT_MAX_ENTRIES &&
		       raft_entries_next(&r->app, &pos, &e) == 1) {
			ents[k] = e.bytes;
			lens[k++] = e.len;
		}
		rc = raft_enc_append(c->out, NULL, s, t - 1, r->app.prev_index,
				     r->app.prev_term, r->app.commit, ents,
				     lens, k);
		break;
	}
	case RAFT_APPEND_OK:
		rc = raft_enc_append_ok(c->out, NULL, s, t - 1, r->ok.success,
					r->ok.match, r->ok.last);
		break;
	case RAFT_SNAPSHOT:
		rc = raft_enc_snapshot(c->out, NULL, s, t - 1,
				       r->snap.last_index, r->snap.last_term,
				       r->snap.snap, r->snap.snap_len);
		break;
	}
	if (rc == BYZ_EFIELD) {
		/* The term before cannot hold it. */
		c->out->len = 0;
		c->out->err = 0;
		return ADV_MUT_SKIP;
	}
	return rc;
}

static int raft_mutate(struct adv_ctx *c)
{
	switch (c->mut) {
	case ADV_MUT_CONFLICT:
		return c->m->frame.type == RAFT_APPEND ? conflicting(c)
						       : ADV_MUT_SKIP;
	case ADV_MUT_OTHER_DIGEST:
		return lie(c);
	case ADV_MUT_STALE:
		return stale(c);
	default:
		return ADV_MUT_SKIP;
	}
}

const struct adv_rewrites raft_adv_rewrites = {
    .proto = RAFT_PROTO,
    .mutate = raft_mutate,
};
