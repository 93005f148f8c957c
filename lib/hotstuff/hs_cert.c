/*
 * hs_cert.c - quorum certificates: checking a QC or a TC someone sent
 * (their signatures were verified at ingress; the quorum semantics are
 * checked here), and assembling a QC from the votes a next leader collects
 * (PODC'19 Alg. 4: onReceiveVote; a QC is 2f+1 votes from distinct
 * replicas over one (view, block hash)).
 */
#include "hs_core.h"

#include "err.h"

#include <inttypes.h>
#include <string.h>

static const uint8_t hs_zero[BYZ_DIGEST_BYTES];

/*
 * A QC holds: view 0 with the zero hash and no votes (genesis), or at
 * least 2f+1 VOTE frames, from distinct replicas, each for exactly the
 * QC's view and hash.
 */
const char *hs_qc_check(const struct hs *h, const struct hs_qc *qc)
{
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg v;
	size_t pos = 0;
	uint32_t count = 0;

	if (qc->view == 0)
		return qc->votes.count == 0 &&
			       memcmp(qc->hash, hs_zero, BYZ_DIGEST_BYTES) == 0
			   ? NULL
			   : "a view-0 QC that is not the genesis QC";
	if (qc->votes.count == 2 * h->cfg.f)
		hs_rule(h, HS_MUT_QUORUM);
	if (qc->votes.count < h->quorum)
		return "a QC with fewer than 2f+1 votes";
	while (wire_frames_next(&qc->votes, &pos, &v) == 1) {
		uint32_t s = v.frame.sender;
		if (s >= h->cfg.n)
			return "a QC with an unknown signer";
		if (seen[s])
			hs_rule(h, HS_MUT_QC_SIGNERS);
		if (seen[s] && !hs_mut(h, HS_MUT_QC_SIGNERS))
			return "a QC with a repeated signer";
		seen[s] = true;
		if (hs_of(&v)->vote.view != qc->view)
			return "a QC with a vote for another view";
		if (memcmp(hs_of(&v)->vote.hash, qc->hash, BYZ_DIGEST_BYTES))
			hs_rule(h, HS_MUT_QC_BLOCK);
		if (memcmp(hs_of(&v)->vote.hash, qc->hash, BYZ_DIGEST_BYTES) &&
		    !hs_mut(h, HS_MUT_QC_BLOCK))
			return "a QC with a vote for another block";
		count++;
	}
	return count >= h->quorum ? NULL : "a QC with fewer than 2f+1 votes";
}

/*
 * What a TIMEOUT nests must hold like anything else a replica sent: its
 * highQC and commit certificate are QCs (hs_qc_check), and the vote it
 * carries is its sender's own. Checked for a TIMEOUT received directly and
 * for every TIMEOUT inside a TC (issue #10 item 2c: a TC is no better than
 * the QCs it holds, and a leader that stored it would pass it on).
 */
const char *hs_timeout_invalid(const struct hs *h, const struct wire_msg *m)
{
	const struct hs_timeout *t = &hs_of(m)->timeout;
	struct wire_msg v;
	size_t pos = 0;

	if (hs_qc_check(h, &t->high))
		return "a timeout whose highQC does not hold";
	if (hs_qc_check(h, &t->commit))
		return "a timeout whose commit certificate does not hold";
	if (wire_frames_next(&t->vote, &pos, &v) == 1 &&
	    v.frame.sender != m->frame.sender)
		return "a timeout carrying another replica's vote";
	return NULL;
}

/* A TC for view: at least 2f+1 TIMEOUT frames from distinct replicas, for
 * that view or later ones (TIMEOUT(w) gives up every view up to w: a
 * replica that moved on by voting still helps the others out of v), each
 * of which holds (hs_timeout_invalid). */
const char *hs_tc_check(const struct hs *h, const struct wire_frames *tc,
			uint64_t view)
{
	bool seen[BYZ_MAX_N] = {false};
	const char *why;
	struct wire_msg t;
	size_t pos = 0;
	uint32_t count = 0;

	if (tc->count < h->quorum)
		return "a TC with fewer than 2f+1 timeouts";
	while (wire_frames_next(tc, &pos, &t) == 1) {
		uint32_t s = t.frame.sender;
		if (s >= h->cfg.n)
			return "a TC with an unknown signer";
		if (seen[s])
			return "a TC with a repeated signer";
		seen[s] = true;
		if (hs_of(&t)->timeout.view < view)
			return "a TC with a timeout for an earlier view";
		if ((why = hs_timeout_invalid(h, &t)))
			return why;
		count++;
	}
	return count >= h->quorum ? NULL : "a TC with fewer than 2f+1 timeouts";
}

int hs_high_qc(struct hs *h, const struct hs_qc *qc)
{
	int rc;

	if (qc->view <= h->high_view)
		return 0;
	if ((rc = byz_bytes_set(&h->high, qc->bytes, qc->len)))
		return rc;
	h->high_view = qc->view;
	memcpy(h->high_hash, qc->hash, BYZ_DIGEST_BYTES);
	return 0;
}

/* Build the QC of slot sl for hash from the first 2f+1 matching votes (in
 * replica order), adopt it and move past its view. */
static int hs_form_qc(struct hs *h, struct byz_outbox *ob,
		      struct hs_vote_slot *sl, const uint8_t *hash)
{
	const uint8_t *frames[BYZ_MAX_N];
	size_t lens[BYZ_MAX_N];
	struct hs_framev v = {frames, lens, 0};
	struct hs_qc qc;
	int rc;

	for (uint32_t r = 0; r < h->cfg.n && v.count < h->quorum; r++)
		if (sl->have[r] &&
		    memcmp(sl->hash[r], hash, BYZ_DIGEST_BYTES) == 0) {
			frames[v.count] = sl->frame[r];
			lens[v.count++] = HS_VOTE_FRAME;
		}
	sl->done = true;
	wire_buf_reset(&h->scratch);
	if ((rc = hs_enc_qc(&h->scratch, sl->view, hash, v)) ||
	    (rc = hs_qc_decode(h->scratch.data, h->scratch.len, &qc)))
		return rc;
	/* scratch is reused below: adopt the QC (a copy) first. */
	if ((rc = hs_high_qc(h, &qc)))
		return rc;
	return hs_on_qc(h, ob, sl->view);
}

/*
 * A VOTE, sent to us as the next leader, or our own (loopback), or
 * embedded in a TIMEOUT. Keep each replica's first vote per view for
 * views near ours; a second, different one is a double vote and dropped.
 * 2f+1 for one hash make a QC.
 */
int hs_on_vote(struct hs *h, struct byz_outbox *ob, const struct wire_msg *m)
{
	const struct hs_vote *vt = &hs_of(m)->vote;
	uint32_t s = m->frame.sender, same = 0;
	struct hs_vote_slot *sl;
	int rc;

	if (s == h->cfg.id && vt->view >= h->my_vote_view) {
		if ((rc = byz_bytes_set(&h->my_vote, m->frame.bytes,
					m->frame.len)))
			return rc;
		h->my_vote_view = vt->view;
	}
	if (vt->view <= h->high_view)
		return 0; /* we hold a QC at least this high */
	if (vt->view + HS_VIEWS_BEHIND < h->cur_view ||
	    vt->view >= h->cur_view + HS_VIEW_SLOTS - HS_VIEWS_BEHIND)
		return byz_out_drop(ob, m, "vote outside the view window");
	if (m->frame.len != HS_VOTE_FRAME)
		return byz_out_drop(ob, m, "vote of the wrong size");
	sl = &h->votes[vt->view % HS_VIEW_SLOTS];
	if (sl->view != vt->view) {
		memset(sl->have, 0, h->cfg.n * sizeof *sl->have);
		sl->done = false;
		sl->view = vt->view;
	}
	if (sl->have[s]) {
		if (memcmp(sl->hash[s], vt->hash, BYZ_DIGEST_BYTES))
			return byz_out_drop(ob, m,
					    "a second vote in one view "
					    "for another block");
		return 0; /* a duplicate */
	}
	sl->have[s] = true;
	memcpy(sl->hash[s], vt->hash, BYZ_DIGEST_BYTES);
	memcpy(sl->frame[s], m->frame.bytes, HS_VOTE_FRAME);
	if (sl->done)
		return 0;
	for (uint32_t r = 0; r < h->cfg.n; r++)
		same += sl->have[r] &&
			memcmp(sl->hash[r], vt->hash, BYZ_DIGEST_BYTES) == 0;
	if (same < h->quorum)
		return 0;
	return hs_form_qc(h, ob, sl, vt->hash);
}
