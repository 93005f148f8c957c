/*
 * hs_audit.c - the rules an honest HotStuff replica's outputs keep
 * (core.h, audit; issue #11), judged from outside the core: a second,
 * plain implementation of the certificate rules of PODC'19, blind to
 * mutants, so that a core that forms or adopts a bad QC is seen the
 * moment it passes it on.
 *
 *   votes  PROPOSAL (kind 1, the block hash) and VOTE (kind 2) for a view:
 *          an honest leader proposes once per view, an honest replica
 *          votes once per view (Alg. 4: height > vheight);
 *   QCs    every QC a message carries (a proposal's justify, a TIMEOUT's
 *          highQC and commit certificate, the TIMEOUTs of a TC, the
 *          blocks of BLOCKS, a STATE's commit certificate) is the genesis
 *          QC or holds 2f+1 VOTEs from distinct replicas for its view and
 *          block (Alg. 2, matchingQC);
 *   TCs    a proposal's TC holds 2f+1 TIMEOUTs from distinct replicas for
 *          views at or above the one before it, each well formed;
 *   TIMEOUT  the vote it carries is its sender's own.
 */
#include "hs_core.h"

#include <string.h>

static const uint8_t zero[BYZ_DIGEST_BYTES];

static const char *qc_ok(const struct byz_config *cfg, const struct hs_qc *qc)
{
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg v;
	size_t pos = 0;
	uint32_t count = 0;

	if (qc->view == 0)
		return qc->votes.count == 0 &&
			       !memcmp(qc->hash, zero, BYZ_DIGEST_BYTES)
			   ? NULL
			   : "a view-0 QC that is not the genesis QC";
	while (wire_frames_next(&qc->votes, &pos, &v) == 1) {
		uint32_t s = v.frame.sender;
		if (s >= cfg->n || seen[s])
			return "a QC with a repeated or unknown signer";
		if (hs_of(&v)->vote.view != qc->view ||
		    memcmp(hs_of(&v)->vote.hash, qc->hash, BYZ_DIGEST_BYTES))
			return "a QC with a vote for another view or block";
		seen[s] = true;
		count++;
	}
	return count >= 2 * cfg->f + 1 ? NULL
				       : "a QC with fewer than 2f+1 votes";
}

static const char *timeout_ok(const struct byz_config *cfg,
			      const struct wire_msg *m)
{
	const struct hs_timeout *t = &hs_of(m)->timeout;
	struct wire_msg v;
	size_t pos = 0;
	const char *why;

	if ((why = qc_ok(cfg, &t->high)) || (why = qc_ok(cfg, &t->commit)))
		return why;
	if (wire_frames_next(&t->vote, &pos, &v) == 1 &&
	    v.frame.sender != m->frame.sender)
		return "a TIMEOUT carrying another replica's vote";
	return NULL;
}

static const char *proposal_ok(const struct byz_config *cfg,
			       const struct hs_proposal *p)
{
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg t;
	size_t pos = 0;
	uint32_t count = 0;
	const char *why;

	if ((why = qc_ok(cfg, &p->justify)))
		return why;
	if (!p->tc.count)
		return NULL;
	while (wire_frames_next(&p->tc, &pos, &t) == 1) {
		uint32_t s = t.frame.sender;
		if (s >= cfg->n || seen[s])
			return "a TC with a repeated or unknown signer";
		if (hs_of(&t)->timeout.view + 1 < p->view)
			return "a TC with a TIMEOUT for an older view";
		if ((why = timeout_ok(cfg, &t)))
			return why;
		seen[s] = true;
		count++;
	}
	return count >= 2 * cfg->f + 1 ? NULL
				       : "a TC with fewer than 2f+1 TIMEOUTs";
}

const char *hs_audit(const struct byz_config *cfg, const struct wire_msg *m,
		     struct byz_vote *vote, bool *is_vote)
{
	const struct hs_msg *h = hs_of(m);
	struct wire_msg b;
	size_t pos = 0;
	const char *why;

	*is_vote = false;
	switch (m->frame.type) {
	case HS_PROPOSAL:
		*is_vote = true;
		*vote = (struct byz_vote){.kind = HS_PROPOSAL,
					  .view = h->prop.view};
		hs_block_hash(&h->prop, vote->digest);
		return proposal_ok(cfg, &h->prop);
	case HS_VOTE:
		*is_vote = true;
		*vote =
		    (struct byz_vote){.kind = HS_VOTE, .view = h->vote.view};
		memcpy(vote->digest, h->vote.hash, BYZ_DIGEST_BYTES);
		return NULL;
	case HS_TIMEOUT:
		return timeout_ok(cfg, m);
	case HS_BLOCKS:
		while (wire_frames_next(&h->blocks.blocks, &pos, &b) == 1)
			if ((why = proposal_ok(cfg, &hs_of(&b)->prop)))
				return why;
		return NULL;
	case HS_STATE:
		return qc_ok(cfg, &h->state.commit);
	}
	return NULL;
}
