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

#include <inttypes.h>
#include <stdio.h>
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

/*
 * The lock rule (PODC'19 Alg. 4), judged from outside the core. A replica
 * that votes for b* has run update(b*): with b'' = b*.justify.node and
 * b' = b''.justify.node, its lock is at least b' (b_lock <- b' when b' is
 * higher). And it votes only if safeNode(b*): b* extends the lock or its
 * justify is newer (with parent = justify.node, extends means its justify
 * is the lock itself). So each honest replica's lock is bounded below by
 * what its own votes imply; a vote for a block whose justify is below
 * that bound, and not the bound itself, breaks the rule. The bound is
 * only a lower one (a core also moves its lock on QCs it learns from
 * TIMEOUTs), so a correct core never breaks it. Blocks are known from the
 * proposals and fetched blocks honest replicas receive or send (a shared
 * table of HS_AUDIT_BLOCKS, by hash, the oldest replaced); a vote for a
 * block not in it is not judged.
 */
static uint32_t blk_slot(const uint8_t *hash)
{
	return ((uint32_t)hash[0] | (uint32_t)hash[1] << 8 |
		(uint32_t)hash[2] << 16 | (uint32_t)hash[3] << 24) %
	       HS_AUDIT_BLOCKS;
}

static const struct hs_audit_block *blk_find(const struct hs_audit_shared *s,
					     const uint8_t *hash)
{
	uint32_t h = blk_slot(hash);

	for (uint32_t k = 0; k < HS_AUDIT_PROBE; k++) {
		const struct hs_audit_block *b =
		    &s->b[(h + k) % HS_AUDIT_BLOCKS];
		if (b->used && !memcmp(b->hash, hash, BYZ_DIGEST_BYTES))
			return b;
	}
	return NULL;
}

static void blk_add(struct hs_audit_shared *s, const struct hs_proposal *p)
{
	uint8_t hash[BYZ_DIGEST_BYTES];
	struct hs_audit_block *b = NULL;
	uint32_t h;

	hs_block_hash(p, hash);
	if (blk_find(s, hash))
		return;
	h = blk_slot(hash);
	for (uint32_t k = 0; k < HS_AUDIT_PROBE && !b; k++)
		if (!s->b[(h + k) % HS_AUDIT_BLOCKS].used)
			b = &s->b[(h + k) % HS_AUDIT_BLOCKS];
	if (!b) /* all probed slots taken: replace one in turn */
		b = &s->b[(h + s->clock++ % HS_AUDIT_PROBE) % HS_AUDIT_BLOCKS];
	b->used = true;
	memcpy(b->hash, hash, BYZ_DIGEST_BYTES);
	b->view = p->view;
	b->jview = p->justify.view;
	memcpy(b->jhash, p->justify.hash, BYZ_DIGEST_BYTES);
}

/*
 * The decide rule (PODC'19 Alg. 4: onCommit(b) when b'' and b' are direct
 * children, b''.parent = b' and b'.parent = b, here consecutive views). A
 * well-formed QC for b'' that the replica received or sent is evidence
 * that it may decide b = b'.justify.node if b'' and b' each sit one view
 * above their justify; the decision covers b and its ancestors.
 */
static void qc_follow(const struct hs_audit_shared *s, struct hs_audit_lock *lk,
		      uint64_t view, const uint8_t *hash)
{
	const struct hs_audit_block *b2, *b1;

	if (!(b2 = blk_find(s, hash)) || b2->view != view ||
	    !(b1 = blk_find(s, b2->jhash))) {
		if (view > lk->unknown)
			lk->unknown = view; /* cannot follow: not judged */
		return;
	}
	if (b2->view == b2->jview + 1 && b1->view == b1->jview + 1 &&
	    b1->jview > lk->decided)
		lk->decided = b1->jview;
}

static void qc_seen(const struct byz_config *cfg,
		    const struct hs_audit_shared *s, struct hs_audit_lock *lk,
		    const struct hs_qc *qc)
{
	if (qc->view == 0 || qc_ok(cfg, qc))
		return; /* the genesis QC, or no proof (ingress let it by) */
	qc_follow(s, lk, qc->view, qc->hash);
}

/* A vote the replica received: with 2f+1 distinct ones for a (view,
 * block) it holds the QC a leader forms (Alg. 4 onReceiveVote). */
static void vote_seen(const struct byz_config *cfg,
		      const struct hs_audit_shared *s, struct hs_audit_lock *lk,
		      const struct wire_msg *v)
{
	const struct hs_vote *hv = &hs_of(v)->vote;
	uint32_t who = v->frame.sender;
	struct hs_audit_agg *a = NULL;

	if (v->frame.type != HS_VOTE || who >= cfg->n)
		return;
	for (uint32_t i = 0; i < HS_AUDIT_AGG && !a; i++)
		if (lk->agg[i].view == hv->view &&
		    !memcmp(lk->agg[i].hash, hv->hash, BYZ_DIGEST_BYTES))
			a = &lk->agg[i];
	if (!a) {
		a = &lk->agg[lk->agg_next];
		lk->agg_next = (lk->agg_next + 1) % HS_AUDIT_AGG;
		memset(a, 0, sizeof *a);
		a->view = hv->view;
		memcpy(a->hash, hv->hash, BYZ_DIGEST_BYTES);
	}
	if (a->who[who / 8] >> (who % 8) & 1)
		return;
	a->who[who / 8] |= (uint8_t)(1u << (who % 8));
	if (++a->count == 2 * cfg->f + 1)
		qc_follow(s, lk, hv->view, hv->hash);
}

int hs_audit_decide(const struct byz_config *cfg, void *shared, void *st,
		    const struct byz_commit *c, char *why, size_t whylen)
{
	struct hs_audit_lock *lk = st;

	(void)cfg;
	(void)shared;
	if (c->restored || c->slot <= lk->decided || c->slot < lk->unknown)
		return 0;
	snprintf(why, whylen,
		 "decided the block of view %" PRIu64 " (height %" PRIu64
		 ") without a three-chain of consecutive views over it: the "
		 "highest it has seen decides view %" PRIu64,
		 c->slot, c->height, lk->decided);
	return 1;
}

int hs_audit_lock(const struct byz_config *cfg, void *shared, void *st,
		  const struct wire_msg *m, bool sent, char *why, size_t whylen)
{
	struct hs_audit_shared *s = shared;
	struct hs_audit_lock *lk = st;
	const struct hs_audit_block *b, *b2;
	struct wire_msg x;
	size_t pos = 0;
	char h1[9], h2[9];

	switch (m->frame.type) {
	case HS_PROPOSAL:
		blk_add(s, &hs_of(m)->prop);
		qc_seen(cfg, s, lk, &hs_of(m)->prop.justify);
		return 0;
	case HS_BLOCKS:
		while (wire_frames_next(&hs_of(m)->blocks.blocks, &pos, &x) ==
		       1)
			blk_add(s, &hs_of(&x)->prop);
		pos = 0;
		while (wire_frames_next(&hs_of(m)->blocks.blocks, &pos, &x) ==
		       1)
			qc_seen(cfg, s, lk, &hs_of(&x)->prop.justify);
		return 0;
	case HS_TIMEOUT:
		qc_seen(cfg, s, lk, &hs_of(m)->timeout.high);
		qc_seen(cfg, s, lk, &hs_of(m)->timeout.commit);
		if (!sent &&
		    wire_frames_next(&hs_of(m)->timeout.vote, &pos, &x) == 1)
			vote_seen(cfg, s, lk, &x);
		return 0;
	case HS_STATE:
		qc_seen(cfg, s, lk, &hs_of(m)->state.commit);
		return 0;
	case HS_VOTE:
		break;
	default:
		return 0;
	}
	if (!sent) {
		vote_seen(cfg, s, lk, m);
		return 0;
	}
	if (!(b = blk_find(s, hs_of(m)->vote.hash)))
		return 0;
	/* safeNode(b*, b*.justify) against the lock before update(b*). */
	if (b->jview < lk->view ||
	    (b->jview == lk->view &&
	     memcmp(b->jhash, lk->hash, BYZ_DIGEST_BYTES))) {
		byz_hex(h1, b->jhash, 4);
		byz_hex(h2, lk->hash, 4);
		snprintf(why, whylen,
			 "for view %" PRIu64 ": its block's justify (view "
			 "%" PRIu64 ", %s) neither is nor is newer than the "
			 "lock its votes imply (view %" PRIu64 ", %s)",
			 hs_of(m)->vote.view, b->jview, h1, lk->view, h2);
		return 1;
	}
	/* update(b*): b'' = b*.justify.node; the lock becomes b' =
	 * b''.justify.node when it is higher. */
	if ((b2 = blk_find(s, b->jhash)) && b2->jview > lk->view) {
		lk->view = b2->jview;
		memcpy(lk->hash, b2->jhash, BYZ_DIGEST_BYTES);
	}
	return 0;
}
