/*
 * tm_audit.c - the rules an honest Tendermint replica's outputs keep
 * (core.h, audit; lib/audit.h), judged from outside the core and blind to
 * mutants:
 *   vote-once     a PROPOSAL, PREVOTE and PRECOMMIT are votes: one of each
 *                 kind per (height, round), kind = the type, view =
 *                 tm_view(height, round), slot = height;
 *   certificates  a PROPOSAL's proof of its valid round, if it carries
 *                 one, is 2f+1 PREVOTEs from distinct replicas for (h, vr,
 *                 id(v)) (line 28); a DECISION or STATE carries a proposal of
 * proposer(h, r) for height h and at least 2f+1 PRECOMMITs from distinct
 *                 replicas, every one for (h, r, id(v)) (Alg. 1 line 49).
 */
#include "tm_core.h"

#include <string.h>

static const char *cert_ok(const struct byz_config *cfg, uint64_t height,
			   const struct wire_frame *pf,
			   const struct wire_frames *pcs)
{
	uint8_t id[BYZ_DIGEST_BYTES];
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg p, v;
	size_t pos = 0;
	uint32_t k = 0;

	if (wire_decode(pf->bytes, pf->len, &p))
		return "decision whose proposal does not decode";
	if (tm_of(&p)->prop.height != height)
		return "decision whose proposal is of another height";
	if (p.frame.sender !=
	    byz_leader(cfg, height - 1 + tm_of(&p)->prop.round))
		return "decision whose proposal is not the proposer's";
	tm_value_id(id, tm_of(&p)->prop.value, tm_of(&p)->prop.value_len);
	while (wire_frames_next(pcs, &pos, &v) == 1) {
		const struct tm_vote *x = &tm_of(&v)->vote;
		if (v.frame.sender >= cfg->n || seen[v.frame.sender])
			return "decision with a repeated or unknown signer";
		seen[v.frame.sender] = true;
		if (x->height != height || x->round != tm_of(&p)->prop.round ||
		    memcmp(x->id, id, BYZ_DIGEST_BYTES))
			return "decision with a precommit for something else";
		k++;
	}
	return k >= 2 * cfg->f + 1 ? NULL
				   : "decision with fewer than 2f+1 precommits";
}

/* A proposal's proof, if it carries one: 2f+1 PREVOTEs from distinct
 * replicas for (h, vr, id(v)). */
static const char *pol_ok(const struct byz_config *cfg,
			  const struct tm_proposal *p)
{
	uint8_t id[BYZ_DIGEST_BYTES];
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg v;
	size_t pos = 0;
	uint32_t k = 0;

	if (!p->pol.count)
		return NULL;
	tm_value_id(id, p->value, p->value_len);
	while (wire_frames_next(&p->pol, &pos, &v) == 1) {
		const struct tm_vote *x = &tm_of(&v)->vote;
		if (v.frame.sender >= cfg->n || seen[v.frame.sender])
			return "proposal proof with a repeated or unknown "
			       "signer";
		seen[v.frame.sender] = true;
		if (x->height != p->height || x->round != p->valid_round ||
		    memcmp(x->id, id, BYZ_DIGEST_BYTES))
			return "proposal proof with a prevote for something "
			       "else";
		k++;
	}
	return k >= 2 * cfg->f + 1
		   ? NULL
		   : "proposal proof with fewer than 2f+1 prevotes";
}

const char *tm_audit(const struct byz_config *cfg, const struct wire_msg *m,
		     struct byz_vote *vote, bool *is_vote)
{
	const struct tm_msg *t = tm_of(m);
	const char *why;

	*is_vote = false;
	switch (m->frame.type) {
	case TM_PROPOSAL:
		if ((why = pol_ok(cfg, &t->prop)))
			return why;
		*is_vote = true;
		*vote = (struct byz_vote){
		    .kind = TM_PROPOSAL,
		    .view = tm_view(t->prop.height, t->prop.round),
		    .slot = t->prop.height};
		tm_value_id(vote->digest, t->prop.value, t->prop.value_len);
		return NULL;
	case TM_PREVOTE:
	case TM_PRECOMMIT:
		*is_vote = true;
		*vote = (struct byz_vote){
		    .kind = m->frame.type,
		    .view = tm_view(t->vote.height, t->vote.round),
		    .slot = t->vote.height};
		memcpy(vote->digest, t->vote.id, BYZ_DIGEST_BYTES);
		return NULL;
	case TM_DECISION:
		return cert_ok(cfg, t->dec.height, &t->dec.prop,
			       &t->dec.precommits);
	case TM_STATE:
		return cert_ok(cfg, t->state.height, &t->state.prop,
			       &t->state.precommits);
	}
	return NULL;
}
