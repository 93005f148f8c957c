/*
 * hs_mutate.c - the adversary's rewrites of chained HotStuff frames
 * (adv_mutate, adversary/mutate.h) (Yin et al.,
 * PODC'19, Alg. 4; the pacemaker's TIMEOUT is lib/hotstuff's, see
 * hs_pacemaker.c).
 *
 * Each function rewrites one message type into an unsigned frame at offset
 * 0 of c->out; mutate.c checks the key, signs, and records conflicts. The
 * votes of a QC and the timeouts of a TC are other replicas' frames: they
 * are copied verbatim, duplicated or dropped, never altered. The one
 * embedded frame that is re-signed is a TIMEOUT's last vote, and only when
 * its sender is the TIMEOUT's sender (the key's owner).
 *
 * Which message types each mutation touches (anything else: ADV_MUT_SKIP):
 *   conflict      PROPOSAL (digest: hs_block_hash)
 *   follow        VOTE, TIMEOUT (its own last vote)
 *   other-digest  VOTE, STATE (another snapshot: the catch-up rule, f+1
 *                 matching claims, hs_state.c)
 *   stale         PROPOSAL, VOTE, TIMEOUT (view >= 2)
 *   cert-dup,     PROPOSAL (justify QC, TC), TIMEOUT (high QC)
 *   cert-short
 *   withhold      TIMEOUT (genesis high QC, no last vote)
 *   fork          PROPOSAL (justified by the genesis QC)
 *   cert-mix      PROPOSAL (the leader's own vote in the justify QC
 *                 re-signed for another block)
 *   jump          PROPOSAL (64 n views ahead, with a TC of the leader's
 *                 own TIMEOUT)
 *   (usurp)       PROPOSAL of the leader, made a non-leader's own for the
 *                 next view (adv_usurp)
 *
 * What the honest side must enforce against each mutation (the comments
 * at each case say which rule):
 *   conflict      Alg. 4 onReceiveProposal: vote only for a block of a
 *                 view above the last voted one (vheight), so at most once
 *                 per view; two blocks of one view cannot both get n-f
 *                 votes (quorum intersection), and safeNode keeps to the lock.
 *   follow,       Alg. 4 onReceiveVote: a QC is n-f votes from distinct
 *   other-digest  replicas over one (view, block hash); a vote for another
 *                 hash is another certificate's.
 *   stale         Alg. 4: votes and proposals count only for the current
 *                 view (vheight; matchingQC/matchingMsg on viewNumber); a
 *                 TIMEOUT for an old view must not move anyone back.
 *   cert-dup,     Alg. 4 onReceiveVote / the TC rule: n-f (= 2f+1) distinct
 *   cert-short    signers, all for the QC's (view, hash) / TC's views.
 *   cert-mix      Alg. 2 matchingQC: a QC's votes are all for its view and
 *                 block.
 *   fork          Alg. 4 safeNode: a replica locked on a block votes only
 *                 for blocks that extend it or carry a newer QC.
 *   withhold      Alg. 4 safeNode and the leader's highQC choice (Alg. 5
 *                 onReceiveNewView: the highest of n-f): a low high QC
 *                 from f replicas can neither unlock anyone nor hide the
 *                 highest QC, which some honest timeout carries.
 */
#include "mutate.h"
#include "hs_wire.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

static struct hs_framev fv(const struct adv_list *l)
{
	return (struct hs_framev){l->frames, l->lens, l->count};
}

/* Re-encode QC q into the scratch buffer b, its votes passed through the
 * certificate mutation mut; *changed tells whether they changed. */
static int qc_mutated(struct wire_buf *b, const struct hs_qc *q,
		      enum adv_mutation mut, bool *changed)
{
	struct adv_list votes;
	int rc;

	if ((rc = adv_list_gather(&votes, &q->votes)))
		return rc;
	*changed = adv_list_cert(&votes, mut);
	return hs_enc_qc(b, q->view, q->hash, fv(&votes));
}

/* cert-mix: QC q again into b, with the vote of the sender (c's key) in
 * it re-signed for another block (adv_other_digest); nv holds that vote.
 * SKIP if the sender's own vote is not in q. */
static int qc_mixed(struct adv_ctx *c, struct wire_buf *b, struct wire_buf *nv,
		    const struct hs_qc *q)
{
	uint32_t sender = c->m->frame.sender;
	struct adv_list votes;
	uint8_t other[BYZ_DIGEST_BYTES];
	size_t s;
	int rc;

	if ((rc = adv_list_gather(&votes, &q->votes)))
		return rc;
	for (size_t i = 0; i < votes.count; i++) {
		struct wire_msg v;
		if (wire_decode(votes.frames[i], votes.lens[i], &v) ||
		    v.frame.sender != sender)
			continue;
		adv_other_digest(c->map, q->hash, other);
		if ((rc = hs_enc_vote(nv, &s, sender, q->view, other)) ||
		    (rc = wire_sign(nv, s, c->key)))
			return rc;
		votes.frames[i] = nv->data + s;
		votes.lens[i] = nv->len - s;
		return hs_enc_qc(b, q->view, q->hash, fv(&votes));
	}
	return ADV_MUT_SKIP;
}

/* PROPOSAL (sent by the leader of its view). */
static int proposal(struct adv_ctx *c)
{
	const struct hs_proposal *p = &hs_of(c->m)->prop;
	uint32_t sender = c->m->frame.sender;
	struct adv_list tc, batch;
	struct wire_buf qc;
	struct wire_msg nm;
	bool changed = false;
	int rc;

	if (c->mut != ADV_MUT_CONFLICT && c->mut != ADV_MUT_STALE &&
	    c->mut != ADV_MUT_CERT_DUP && c->mut != ADV_MUT_CERT_SHORT &&
	    c->mut != ADV_MUT_FORK && c->mut != ADV_MUT_CERT_MIX &&
	    c->mut != ADV_MUT_JUMP)
		return ADV_MUT_SKIP;
	if ((rc = adv_list_gather(&tc, &p->tc)) ||
	    (rc = adv_list_gather(&batch, &p->batch)))
		return rc;
	switch (c->mut) {
	case ADV_MUT_CONFLICT:
		/* Leader equivocation. Alg. 4 onReceiveProposal: a replica
		 * votes only for b_new.height > vheight (once per view), so two
		 * blocks of one view cannot both collect n-f votes. */
		if (!adv_list_conflict(&batch, c->map))
			return ADV_MUT_SKIP;
		if ((rc = hs_enc_proposal(c->out, NULL, sender, p->view,
					  p->justify.bytes, p->justify.len,
					  fv(&tc), fv(&batch))))
			return rc;
		if ((rc = wire_decode_unsigned(c->out->data, c->out->len, &nm)))
			return rc;
		hs_block_hash(p, c->rec_from);
		hs_block_hash(&hs_of(&nm)->prop, c->rec_to);
		c->record = true;
		return 0;
	case ADV_MUT_FORK: {
		/* Alg. 4 safeNode: a block must extend the locked block or
		 * carry a newer QC than the lock; one justified by the genesis
		 * QC forks below every decided block, and a replica locked on
		 * anything refuses it. */
		static const uint8_t zero[BYZ_DIGEST_BYTES];
		if (p->justify.view == 0)
			return ADV_MUT_SKIP;
		wire_buf_init(&qc, 256);
		rc = hs_enc_qc(&qc, 0, zero, (struct hs_framev){NULL, NULL, 0});
		if (!rc)
			rc = hs_enc_proposal(c->out, NULL, sender, p->view,
					     qc.data, qc.len, fv(&tc),
					     fv(&batch));
		wire_buf_free(&qc);
		return rc;
	}
	case ADV_MUT_STALE:
		/* Alg. 4: a proposal of a view the replica has voted in or
		 * left (height <= vheight) gets no vote. */
		if (p->view < 2)
			return ADV_MUT_SKIP;
		return hs_enc_proposal(c->out, NULL, sender, p->view - 1,
				       p->justify.bytes, p->justify.len,
				       fv(&tc), fv(&batch));
	case ADV_MUT_CERT_DUP:
	case ADV_MUT_CERT_SHORT:
		/* Alg. 4 onReceiveVote: the justify QC holds n-f votes from
		 * distinct replicas for its (view, hash); a TC likewise n-f
		 * distinct TIMEOUTs. The block hash does not cover them. */
		wire_buf_init(&qc, WIRE_MAX_FRAME);
		rc = qc_mutated(&qc, &p->justify, c->mut, &changed);
		changed |= adv_list_cert(&tc, c->mut);
		if (!rc && !changed)
			rc = ADV_MUT_SKIP;
		if (!rc)
			rc = hs_enc_proposal(c->out, NULL, sender, p->view,
					     qc.data, qc.len, fv(&tc),
					     fv(&batch));
		wire_buf_free(&qc);
		return rc;
	case ADV_MUT_JUMP: {
		/* The pacemaker: a proposal enters a view other than the one
		 * after its justify's only with a TC of 2f+1 TIMEOUTs for the
		 * view before; one TIMEOUT (the leader's own) is no proof that
		 * the honest replicas gave up the views in between. */
		uint64_t to = p->view + 64 * (uint64_t)c->n;
		struct wire_buf t;
		size_t s;
		if (to < p->view || to - 1 <= p->justify.view)
			return ADV_MUT_SKIP;
		wire_buf_init(&t, WIRE_MAX_FRAME);
		rc = hs_enc_timeout(&t, &s, sender, to - 1, p->justify.bytes,
				    p->justify.len, NULL, 0);
		if (!rc)
			rc = wire_sign(&t, s, c->key);
		if (!rc)
			rc = hs_enc_proposal(
			    c->out, NULL, sender, to, p->justify.bytes,
			    p->justify.len,
			    (struct hs_framev){(const uint8_t *[]){t.data + s},
					       (size_t[]){t.len - s}, 1},
			    fv(&batch));
		wire_buf_free(&t);
		return rc;
	}
	case ADV_MUT_CERT_MIX: {
		/* Alg. 2 matchingQC: every vote of the justify QC is for its
		 * view and block; the leader's own, re-signed for another
		 * block, makes it one genuine vote short. */
		struct wire_buf nv;
		wire_buf_init(&qc, WIRE_MAX_FRAME);
		wire_buf_init(&nv, WIRE_MAX_FRAME);
		rc = qc_mixed(c, &qc, &nv, &p->justify);
		if (!rc)
			rc = hs_enc_proposal(c->out, NULL, sender, p->view,
					     qc.data, qc.len, fv(&tc),
					     fv(&batch));
		wire_buf_free(&nv);
		wire_buf_free(&qc);
		return rc;
	}
	default:
		return ADV_MUT_SKIP;
	}
}

static int vote(struct adv_ctx *c)
{
	const struct hs_vote *v = &hs_of(c->m)->vote;
	uint32_t sender = c->m->frame.sender;
	uint8_t d[BYZ_DIGEST_BYTES];
	const uint8_t *to;

	switch (c->mut) {
	case ADV_MUT_FOLLOW:
		/* A vote for the leader's other block. Alg. 4 onReceiveVote:
		 * a QC needs n-f distinct votes for one (view, hash). */
		if (!(to = adv_conflicts_get(c->map, v->hash)))
			return ADV_MUT_SKIP;
		return hs_enc_vote(c->out, NULL, sender, v->view, to);
	case ADV_MUT_OTHER_DIGEST:
		/* Double voting: the same rule, each voter counted once. */
		adv_other_digest(c->map, v->hash, d);
		return hs_enc_vote(c->out, NULL, sender, v->view, d);
	case ADV_MUT_STALE:
		/* Alg. 4: a vote counts only with the others of its view
		 * (matchingMsg on viewNumber). */
		if (v->view < 2)
			return ADV_MUT_SKIP;
		return hs_enc_vote(c->out, NULL, sender, v->view - 1, v->hash);
	default:
		return ADV_MUT_SKIP;
	}
}

/* A TIMEOUT whose last vote follows the conflict: the vote is rewritten and
 * re-signed only if it is the sender's own. */
static int timeout_follow(struct adv_ctx *c)
{
	const struct hs_timeout *t = &hs_of(c->m)->timeout;
	struct wire_msg v;
	struct wire_buf nv;
	const uint8_t *to;
	size_t pos = 0, s;
	int rc;

	if (wire_frames_next(&t->vote, &pos, &v) != 1 ||
	    v.frame.sender != c->m->frame.sender ||
	    !(to = adv_conflicts_get(c->map, hs_of(&v)->vote.hash)))
		return ADV_MUT_SKIP;
	/* The pacemaker counts the votes timeouts carry like any vote
	 * (Alg. 4 onReceiveVote): the same rule as for VOTE. */
	wire_buf_init(&nv, WIRE_MAX_FRAME);
	if (!(rc = hs_enc_vote(&nv, &s, v.frame.sender, hs_of(&v)->vote.view,
			       to)) &&
	    !(rc = wire_sign(&nv, s, c->key)))
		rc = hs_enc_timeout_commit(c->out, NULL, c->m->frame.sender,
					   t->view, t->high.bytes, t->high.len,
					   nv.data, nv.len, t->commit.bytes,
					   t->commit.len);
	wire_buf_free(&nv);
	return rc;
}

static int timeout(struct adv_ctx *c)
{
	const struct hs_timeout *t = &hs_of(c->m)->timeout;
	uint32_t sender = c->m->frame.sender;
	static const uint8_t zero[BYZ_DIGEST_BYTES];
	struct adv_list last;
	struct wire_buf qc;
	bool changed = false;
	int rc;

	if ((rc = adv_list_gather(&last, &t->vote)))
		return rc;
	switch (c->mut) {
	case ADV_MUT_FOLLOW:
		return timeout_follow(c);
	case ADV_MUT_STALE:
		/* A TIMEOUT gives up its view and those below; an old one
		 * must not count towards a TC for a later view. */
		if (t->view < 2)
			return ADV_MUT_SKIP;
		return hs_enc_timeout_commit(c->out, NULL, sender, t->view - 1,
					     t->high.bytes, t->high.len,
					     last.count ? last.frames[0] : NULL,
					     last.count ? last.lens[0] : 0,
					     t->commit.bytes, t->commit.len);
	case ADV_MUT_CERT_DUP:
	case ADV_MUT_CERT_SHORT:
		/* The high QC is checked like any QC (Alg. 4 onReceiveVote:
		 * n-f distinct votes for its view and hash). */
		wire_buf_init(&qc, WIRE_MAX_FRAME);
		rc = qc_mutated(&qc, &t->high, c->mut, &changed);
		if (!rc && !changed)
			rc = ADV_MUT_SKIP;
		if (!rc)
			rc = hs_enc_timeout_commit(
			    c->out, NULL, sender, t->view, qc.data, qc.len,
			    last.count ? last.frames[0] : NULL,
			    last.count ? last.lens[0] : 0, t->commit.bytes,
			    t->commit.len);
		wire_buf_free(&qc);
		return rc;
	case ADV_MUT_WITHHOLD:
		/* Withheld progress: the genesis QC, no vote, and the
		 * genesis QC as commit certificate. Safe because
		 * the next leader extends the highest QC of n-f timeouts
		 * (Alg. 5 onReceiveNewView) and safeNode keeps the lock. */
		wire_buf_init(&qc, WIRE_MAX_FRAME);
		rc = hs_enc_qc(&qc, 0, zero, (struct hs_framev){NULL, NULL, 0});
		if (!rc)
			rc = hs_enc_timeout(c->out, NULL, sender, t->view,
					    qc.data, qc.len, NULL, 0);
		wire_buf_free(&qc);
		return rc;
	default:
		return ADV_MUT_SKIP;
	}
}

/* A STATE claiming another state (other-digest: a vote on state, as a
 * checkpoint is): the same depth, block and commit certificate, the
 * snapshot with the first byte of its first stored value changed (app.c's
 * format: magic 4, version 1, height 8, entries 4 (LE), then key length
 * 1, key, value length 2 (LE), value), so that it still restores. No
 * value: SKIP. The catch-up rule (hs_state.c): a snapshot is installed
 * only on f+1 matching claims, so the f Byzantine replicas' never is. */
static int state(struct adv_ctx *c)
{
	const struct hs_state *st = &hs_of(c->m)->state;
	const uint8_t *sn = st->snapshot;
	size_t len = st->snapshot_len, at = 4 + 1 + 8 + 4, vlen;
	uint8_t *snap;
	int rc;

	if (c->mut != ADV_MUT_OTHER_DIGEST || len < at + 1 ||
	    !(sn[13] | sn[14] | sn[15] | sn[16]))
		return ADV_MUT_SKIP; /* no entries */
	at += 1 + (size_t)sn[at];
	if (at + 2 > len)
		return ADV_MUT_SKIP;
	vlen = (size_t)sn[at] | (size_t)sn[at + 1] << 8;
	at += 2;
	if (!vlen || at >= len)
		return ADV_MUT_SKIP;
	if (!(snap = malloc(len)))
		return BYZ_ENOMEM;
	memcpy(snap, sn, len);
	snap[at] ^= 0x01;
	rc =
	    hs_enc_state(c->out, NULL, c->m->frame.sender, st->depth, st->view,
			 st->hash, st->commit.bytes, st->commit.len, snap, len);
	free(snap);
	return rc;
}

static int adv_mutate_hotstuff(struct adv_ctx *c)
{
	switch (c->m->frame.type) {
	case HS_PROPOSAL:
		return proposal(c);
	case HS_VOTE:
		return vote(c);
	case HS_TIMEOUT:
		return timeout(c);
	case HS_STATE:
		return state(c);
	default: /* FETCH, BLOCKS, STATE_REQ */
		return ADV_MUT_SKIP;
	}
}

/* ---- the coalition's hooks (equivocate; adversary.c) ------------------- */

/* The links of a frame: a proposal's block and parent (its justify's
 * block), a vote's block, a timeout's high QC block. */
static int hs_links(const struct wire_msg *m, struct adv_links *l)
{
	const struct hs_msg *u = hs_of(m);

	l->sender = m->frame.sender;
	switch (m->frame.type) {
	case HS_PROPOSAL:
		l->kind = ADV_LINK_PROPOSAL;
		l->view = u->prop.view;
		l->parent_view = u->prop.justify.view;
		l->has_tc = u->prop.tc.count > 0;
		hs_block_hash(&u->prop, l->hash);
		memcpy(l->parent, u->prop.justify.hash, BYZ_DIGEST_BYTES);
		return 0;
	case HS_VOTE:
		l->kind = ADV_LINK_VOTE;
		l->view = u->vote.view;
		memcpy(l->hash, u->vote.hash, BYZ_DIGEST_BYTES);
		return 0;
	case HS_TIMEOUT:
		l->kind = ADV_LINK_TIMEOUT;
		l->view = u->timeout.view;
		l->parent_view = u->timeout.high.view;
		memcpy(l->parent, u->timeout.high.hash, BYZ_DIGEST_BYTES);
		return 0;
	default:
		return ADV_MUT_SKIP;
	}
}

/* c->voter's own message siding with c->m: for a proposal, the vote an
 * honest replica's Alg. 4 onReceiveProposal sends, without its safeNode
 * and vheight checks (the coalition votes for both branches); for a
 * TIMEOUT, a TIMEOUT for the same view with c->cert (or the genesis QC)
 * as high QC and no vote (the pacemaker counts it towards a TC like any). */
static int hs_endorse(struct adv_ctx *c)
{
	static const uint8_t zero[BYZ_DIGEST_BYTES];
	const struct adv_cert *q = c->cert;
	uint8_t hash[BYZ_DIGEST_BYTES];
	struct wire_buf qc;
	int rc;

	switch (c->m->frame.type) {
	case HS_PROPOSAL:
		hs_block_hash(&hs_of(c->m)->prop, hash);
		return hs_enc_vote(c->out, NULL, c->voter,
				   hs_of(c->m)->prop.view, hash);
	case HS_TIMEOUT:
		wire_buf_init(&qc, WIRE_MAX_FRAME);
		rc = q ? hs_enc_qc(
			     &qc, q->view, q->hash,
			     (struct hs_framev){(const uint8_t **)q->frames,
						q->lens, q->count})
		       : hs_enc_qc(&qc, 0, zero,
				   (struct hs_framev){NULL, NULL, 0});
		if (!rc)
			rc = hs_enc_timeout(c->out, NULL, c->voter,
					    hs_of(c->m)->timeout.view, qc.data,
					    qc.len, NULL, 0);
		wire_buf_free(&qc);
		return rc;
	default:
		return ADV_MUT_SKIP;
	}
}

/* The proposal c->m justified by c->cert instead: a block of the same view
 * on the other branch. Alg. 4 onReceiveProposal accepts it (the QC holds
 * n-f distinct valid votes); only quorum intersection, which f+1 double
 * voters break, kept such a QC from existing. */
static int hs_extend(struct adv_ctx *c)
{
	const struct hs_proposal *p = &hs_of(c->m)->prop;
	const struct adv_cert *q = c->cert;
	struct hs_framev votes = {(const uint8_t **)q->frames, q->lens,
				  q->count};
	struct adv_list tc, batch;
	struct wire_buf qc;
	struct wire_msg nm;
	int rc;

	if (c->m->frame.type != HS_PROPOSAL || q->view >= p->view)
		return ADV_MUT_SKIP;
	if ((rc = adv_list_gather(&tc, &p->tc)) ||
	    (rc = adv_list_gather(&batch, &p->batch)))
		return rc;
	adv_list_conflict(&batch, c->map);
	wire_buf_init(&qc, WIRE_MAX_FRAME);
	rc = hs_enc_qc(&qc, q->view, q->hash, votes);
	if (!rc)
		rc = hs_enc_proposal(c->out, NULL, c->m->frame.sender, p->view,
				     qc.data, qc.len, fv(&tc), fv(&batch));
	wire_buf_free(&qc);
	if (!rc)
		rc = wire_decode_unsigned(c->out->data, c->out->len, &nm);
	if (rc)
		return rc;
	hs_block_hash(p, c->rec_from);
	hs_block_hash(&hs_of(&nm)->prop, c->rec_to);
	c->record = true;
	return 0;
}

/* adv_usurp: a non-leader's PROPOSAL for the view after c->m's, on the same
 * justify, with a conflicting batch, to reach the replicas that voted in
 * c->m's view (and so wait in the next) ahead of the next leader's.
 * Alg. 4-5: a replica takes a proposal of view v only from leader(v);
 * without that rule every view an honest leader should lead is taken
 * over by a block that abandons the one before, and no three-chain of
 * consecutive views ever forms. (The same view would not do: a replica
 * has voted in it by the time a copy could arrive, and votes once.) */
static int hs_usurp(struct adv_ctx *c)
{
	const struct hs_proposal *p = &hs_of(c->m)->prop;
	struct adv_list batch;
	int rc;

	if (c->m->frame.type != HS_PROPOSAL || p->view == UINT64_MAX)
		return ADV_MUT_SKIP;
	if ((rc = adv_list_gather(&batch, &p->batch)))
		return rc;
	adv_list_conflict(&batch, c->map);
	return hs_enc_proposal(c->out, NULL, c->voter, p->view + 1,
			       p->justify.bytes, p->justify.len,
			       (struct hs_framev){NULL, NULL, 0}, fv(&batch));
}

/* This protocol's half of adv_mutate (mutate.h), for the adversary's
 * registry. Compiled into the adversary library, never into libbyz. */
const struct adv_rewrites hotstuff_adv_rewrites = {
    .proto = HS_PROTO,
    .mutate = adv_mutate_hotstuff,
    .links = hs_links,
    .endorse = hs_endorse,
    .extend = hs_extend,
    .usurp = hs_usurp,
};
