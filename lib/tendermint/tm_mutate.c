/*
 * tm_mutate.c - the adversary's rewrites of Tendermint frames (adv_mutate,
 * adversary/mutate.h). Votes are broadcast to every replica, so the
 * plain rewrites already show each half of the honest replicas its own
 * value (docs/attacks.md, equivocate): no coalition hooks.
 *
 * Only the sender's own content is changed: embedded frames (requests in
 * a value, the proposal and precommits of a DECISION or STATE) are copied
 * verbatim, duplicated or dropped, never altered.
 *
 * Which message types each mutation touches (anything else: ADV_MUT_SKIP),
 * and the rule of Algorithm 1 that stops it:
 *   conflict      PROPOSAL: the same (h, r, valid round and its proof,
 *                 state) with the
 *                 conflicting batch (digest: id(v)). Line 36 and 49 need
 *                 2f+1 PREVOTEs / PRECOMMITs for one id(v) in a round:
 *                 two values cannot both get them (quorum intersection).
 *   follow        PREVOTE, PRECOMMIT for a value the map has a conflict
 *                 for: the same vote for the conflicting id.
 *   other-digest  PREVOTE, PRECOMMIT: the same vote for another id (a
 *                 double vote); each replica counts once per round and
 *                 kind (its first vote).
 *   stale         PROPOSAL, PREVOTE, PRECOMMIT of round >= 1: the round
 *                 before (a valid round not below it is dropped). A
 *                 round's messages count only in that round.
 *   cert-dup,     DECISION, STATE: the precommits with a duplicate signer
 *   cert-short    or one fewer (line 49: 2f+1 distinct).
 *   (usurp)       another replica's PROPOSAL made the usurper's own, for
 *                 the same (h, r) with a conflicting batch: only
 *                 proposer(h, r)'s proposal counts (lines 22, 28, 36, 49).
 */
#include "mutate.h"
#include "tm_wire.h"

#include "err.h"

#include <string.h>

static int rebuild_value(const struct tm_proposal *p, struct adv_list *batch,
			 struct wire_buf *v)
{
	return tm_enc_value(v, p->height, p->prev_state, batch->frames,
			    batch->lens, batch->count);
}

/* A conflicting PROPOSAL from `sender` (the original's, or a usurper). */
static int conflicting(struct adv_ctx *c, uint32_t sender)
{
	const struct tm_proposal *p = &tm_of(c->m)->prop;
	static _Thread_local struct adv_list batch, pol;
	struct wire_buf v;
	int rc;

	if ((rc = adv_list_gather(&batch, &p->batch)))
		return rc;
	if (!adv_list_conflict(&batch, c->map))
		return ADV_MUT_SKIP;
	if ((rc = adv_list_gather(&pol, &p->pol)))
		return rc;
	wire_buf_init(&v, WIRE_MAX_FRAME);
	if (!(rc = rebuild_value(p, &batch, &v)))
		rc = tm_enc_proposal(c->out, NULL, sender, p->round,
				     p->valid_round, pol.frames, pol.lens,
				     pol.count, v.data, v.len);
	if (!rc) {
		tm_value_id(c->rec_from, p->value, p->value_len);
		tm_value_id(c->rec_to, v.data, v.len);
		c->record = true;
	}
	wire_buf_free(&v);
	return rc;
}

static int proposal(struct adv_ctx *c)
{
	const struct tm_proposal *p = &tm_of(c->m)->prop;
	static _Thread_local struct adv_list pol;
	uint32_t vr;
	int rc;

	switch (c->mut) {
	case ADV_MUT_CONFLICT:
		return conflicting(c, c->m->frame.sender);
	case ADV_MUT_STALE:
		if (p->round == 0)
			return ADV_MUT_SKIP;
		vr = p->valid_round != TM_NO_ROUND &&
			     p->valid_round < p->round - 1
			 ? p->valid_round
			 : TM_NO_ROUND;
		if ((rc = adv_list_gather(&pol, &p->pol)))
			return rc;
		if (vr == TM_NO_ROUND)
			pol.count = 0; /* no proof without a valid round */
		return tm_enc_proposal(c->out, NULL, c->m->frame.sender,
				       p->round - 1, vr, pol.frames, pol.lens,
				       pol.count, p->value, p->value_len);
	default:
		return ADV_MUT_SKIP;
	}
}

static int vote(struct adv_ctx *c)
{
	const struct tm_vote *v = &tm_of(c->m)->vote;
	uint8_t type = c->m->frame.type, d[BYZ_DIGEST_BYTES];
	uint32_t s = c->m->frame.sender;
	const uint8_t *to;

	switch (c->mut) {
	case ADV_MUT_FOLLOW:
		if (tm_is_nil(v->id) ||
		    !(to = adv_conflicts_get(c->map, v->id)))
			return ADV_MUT_SKIP;
		return tm_enc_vote(c->out, NULL, type, s, v->height, v->round,
				   to);
	case ADV_MUT_OTHER_DIGEST:
		adv_other_digest(c->map, v->id, d);
		return tm_enc_vote(c->out, NULL, type, s, v->height, v->round,
				   d);
	case ADV_MUT_STALE:
		if (v->round == 0)
			return ADV_MUT_SKIP;
		return tm_enc_vote(c->out, NULL, type, s, v->height,
				   v->round - 1, v->id);
	default:
		return ADV_MUT_SKIP;
	}
}

/* DECISION and STATE: their precommits, duplicated or one short. */
static int cert(struct adv_ctx *c)
{
	const struct tm_msg *t = tm_of(c->m);
	bool dec = c->m->frame.type == TM_DECISION;
	const struct wire_frames *src =
	    dec ? &t->dec.precommits : &t->state.precommits;
	static _Thread_local struct adv_list pcs;
	int rc;

	if (c->mut != ADV_MUT_CERT_DUP && c->mut != ADV_MUT_CERT_SHORT)
		return ADV_MUT_SKIP;
	if ((rc = adv_list_gather(&pcs, src)))
		return rc;
	if (!adv_list_cert(&pcs, c->mut) || pcs.count == 0)
		return ADV_MUT_SKIP; /* unchanged, or nothing left to send */
	if (dec)
		return tm_enc_decision(c->out, NULL, c->m->frame.sender,
				       t->dec.height, t->dec.prop.bytes,
				       t->dec.prop.len, pcs.frames, pcs.lens,
				       pcs.count);
	return tm_enc_state(c->out, NULL, c->m->frame.sender, t->state.height,
			    t->state.snap, t->state.snap_len,
			    t->state.prop.bytes, t->state.prop.len, pcs.frames,
			    pcs.lens, pcs.count);
}

static int tm_mutate(struct adv_ctx *c)
{
	switch (c->m->frame.type) {
	case TM_PROPOSAL:
		return proposal(c);
	case TM_PREVOTE:
	case TM_PRECOMMIT:
		return vote(c);
	case TM_DECISION:
	case TM_STATE:
		return cert(c);
	}
	return ADV_MUT_SKIP;
}

/* adv_usurp: another replica's PROPOSAL made the usurper's own, for the
 * same (h, r), with a conflicting batch. */
static int usurp(struct adv_ctx *c)
{
	if (c->m->frame.type != TM_PROPOSAL)
		return ADV_MUT_SKIP;
	return conflicting(c, c->voter);
}

const struct adv_rewrites tendermint_adv_rewrites = {
    .proto = TM_PROTO,
    .mutate = tm_mutate,
    .usurp = usurp,
};
