/*
 * pbft_audit.c - the rules an honest PBFT replica's outputs keep (core.h,
 * audit; issue #11), judged from outside the core: a second, plain
 * implementation of OSDI'99's certificate rules, blind to mutants, so
 * that a core that accepts or builds a bad certificate is seen the moment
 * it passes one on, before it forks any log.
 *
 *   votes      PRE-PREPARE (kind 1, its batch digest), PREPARE (2) and
 *              COMMIT (3) for (v, n), CHECKPOINT (4) for n (view 0): an
 *              honest replica says each at most once with one digest
 *              (§4.2: a replica accepts one pre-prepare per (v, n); §4.3
 *              a checkpoint is the state there, deterministic);
 *   prepared   in a VIEW-CHANGE (and one forwarded in a VCS): the
 *              pre-prepare from the primary of its view, 2f PREPAREs from
 *              distinct backups for its view, number and digest, the view
 *              below the new one (§4.4, the set P);
 *   committed  a CERT: the pre-prepare and 2f+1 COMMITs from distinct
 *              replicas for its view, number and digest (§4.2);
 *   stable     the checkpoint proof of a VIEW-CHANGE or a STATE: 2f+1
 *              CHECKPOINTs from distinct replicas for its number and digest
 *              (§4.3), none needed for the initial state (number 0);
 *   V          a NEW-VIEW names 2f+1 distinct VIEW-CHANGEs, and its O holds
 *              pre-prepares signed by its sender for its view (§4.4);
 *   O          (rule new-view) a NEW-VIEW's O is the one its V prescribes
 *              (§4.4): see pbft_audit_new_view.
 */
#include "pbft.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char too_few[] = "too few votes";

/* n votes of `type` from distinct replicas < n for (view, seq, digest);
 * with `not_from`, none from that replica. NULL, or why not. */
static const char *votes_ok(const struct byz_config *cfg,
			    const struct wire_frames *votes, uint8_t type,
			    uint32_t need, uint64_t view, uint64_t seq,
			    const uint8_t *digest, uint32_t not_from)
{
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg v;
	size_t pos = 0;
	uint32_t count = 0;

	while (wire_frames_next(votes, &pos, &v) == 1) {
		uint32_t s = v.frame.sender;
		if (v.frame.type != type)
			return "a vote of another type";
		if (s >= cfg->n || seen[s])
			return "a repeated or unknown signer";
		if (s == not_from)
			return "a PREPARE from the primary";
		if (pbft_of(&v)->vote.view != view ||
		    pbft_of(&v)->vote.seq != seq ||
		    memcmp(pbft_of(&v)->vote.digest, digest, BYZ_DIGEST_BYTES))
			return "a vote for another view, number or digest";
		seen[s] = true;
		count++;
	}
	return count >= need ? NULL : too_few;
}

/* A certificate: a pre-prepare frame and its votes. */
static const char *cert_ok(const struct byz_config *cfg,
			   const struct wire_frame *ppf,
			   const struct wire_frames *votes, uint8_t type,
			   uint32_t need, bool exclude_primary, uint64_t *view)
{
	struct wire_msg pp;
	uint8_t d[BYZ_DIGEST_BYTES];
	uint32_t primary;

	if (wire_decode(ppf->bytes, ppf->len, &pp) ||
	    pp.frame.type != PBFT_PREPREPARE)
		return "no pre-prepare";
	primary = byz_leader(cfg, pbft_of(&pp)->pp.view);
	if (pp.frame.sender != primary)
		return "a pre-prepare not from its view's primary";
	pbft_batch_digest(&pbft_of(&pp)->pp, d);
	*view = pbft_of(&pp)->pp.view;
	return votes_ok(cfg, votes, type, need, pbft_of(&pp)->pp.view,
			pbft_of(&pp)->pp.seq, d,
			exclude_primary ? primary : UINT32_MAX);
}

/* A checkpoint proof for (seq, digest). */
static const char *stable_ok(const struct byz_config *cfg, uint64_t seq,
			     const uint8_t *digest,
			     const struct wire_frames *proof)
{
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg c;
	size_t pos = 0;
	uint32_t count = 0;

	if (seq == 0)
		return NULL; /* the initial state needs no proof */
	while (wire_frames_next(proof, &pos, &c) == 1) {
		uint32_t s = c.frame.sender;
		if (s >= cfg->n || seen[s])
			return "a checkpoint proof with a repeated or unknown "
			       "signer";
		if (pbft_of(&c)->ckpt.seq != seq ||
		    memcmp(pbft_of(&c)->ckpt.digest, digest, BYZ_DIGEST_BYTES))
			return "a checkpoint proof for another state";
		seen[s] = true;
		count++;
	}
	return count >= 2 * cfg->f + 1
		   ? NULL
		   : "a checkpoint proof with fewer than 2f+1 signers";
}

static const char *viewchange_ok(const struct byz_config *cfg,
				 const struct pbft_viewchange *vc)
{
	struct wire_frame pp;
	struct wire_frames prep;
	size_t pos = 0;
	const char *why;

	if ((why =
		 stable_ok(cfg, vc->stable_seq, vc->stable_digest, &vc->proof)))
		return why;
	while (pbft_pset_next(&vc->prepared, &pos, &pp, &prep) == 1) {
		uint64_t view = 0;
		if ((why = cert_ok(cfg, &pp, &prep, PBFT_PREPARE, 2 * cfg->f,
				   true, &view)))
			return why == too_few ? "a prepared certificate with "
						"fewer than 2f PREPAREs"
					      : why;
		if (view >= vc->view)
			return "a prepared certificate from a view not below "
			       "the new one";
	}
	return NULL;
}

static const char *newview_ok(const struct byz_config *cfg,
			      const struct wire_msg *m)
{
	const struct pbft_newview *nv = &pbft_of(m)->nv;
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg pp;
	size_t pos = 0;

	for (uint16_t i = 0; i < nv->nvrefs; i++) {
		const uint8_t *d;
		uint32_t s;
		pbft_vref_at(nv, i, &s, &d);
		if (s >= cfg->n || seen[s])
			return "V with a repeated or unknown signer";
		seen[s] = true;
	}
	if (nv->nvrefs < 2 * cfg->f + 1)
		return "V with fewer than 2f+1 view-changes";
	while (wire_frames_next(&nv->pps, &pos, &pp) == 1)
		if (pp.frame.sender != m->frame.sender ||
		    pbft_of(&pp)->pp.view != nv->view)
			return "O with a pre-prepare of another view or sender";
	return NULL;
}

const char *pbft_audit(const struct byz_config *cfg, const struct wire_msg *m,
		       struct byz_vote *vote, bool *is_vote)
{
	const struct pbft_msg *b = pbft_of(m);
	struct wire_msg vc;
	uint64_t view;
	const char *why;

	*is_vote = false;
	switch (m->frame.type) {
	case PBFT_PREPREPARE:
		*is_vote = true;
		*vote = (struct byz_vote){.kind = PBFT_PREPREPARE,
					  .view = b->pp.view,
					  .slot = b->pp.seq};
		pbft_batch_digest(&b->pp, vote->digest);
		return NULL;
	case PBFT_PREPARE:
	case PBFT_COMMIT:
		*is_vote = true;
		*vote = (struct byz_vote){.kind = m->frame.type,
					  .view = b->vote.view,
					  .slot = b->vote.seq};
		memcpy(vote->digest, b->vote.digest, BYZ_DIGEST_BYTES);
		return NULL;
	case PBFT_CHECKPOINT:
		*is_vote = true;
		*vote = (struct byz_vote){.kind = PBFT_CHECKPOINT,
					  .slot = b->ckpt.seq};
		memcpy(vote->digest, b->ckpt.digest, BYZ_DIGEST_BYTES);
		return NULL;
	case PBFT_VIEWCHANGE:
		return viewchange_ok(cfg, &b->vc);
	case PBFT_VCS:
		if (wire_decode(b->vcs.vc.bytes, b->vcs.vc.len, &vc))
			return "a forwarded view-change that does not decode";
		return viewchange_ok(cfg, &pbft_of(&vc)->vc);
	case PBFT_NEWVIEW:
		return newview_ok(cfg, m);
	case PBFT_CERT:
		why = cert_ok(cfg, &b->cert.pp, &b->cert.commits, PBFT_COMMIT,
			      2 * cfg->f + 1, false, &view);
		return why == too_few ? "a committed certificate with fewer "
					"than 2f+1 COMMITs"
				      : why;
	case PBFT_STATE:
		return stable_ok(cfg, b->state.seq, b->state.digest,
				 &b->state.proof);
	}
	return NULL;
}

/* A NEW-VIEW cites its VIEW-CHANGEs by the digest of their frames
 * (pbft_wire.h): the audit keeps the ones honest replicas receive or
 * send, on their own or forwarded in a VCS. */
bool pbft_audit_keep(const struct wire_msg *m, struct wire_frame *keep)
{
	if (m->frame.type == PBFT_VIEWCHANGE) {
		*keep = m->frame;
		return true;
	}
	if (m->frame.type == PBFT_VCS &&
	    pbft_of(m)->vcs.vc.proto == PBFT_PROTO &&
	    pbft_of(m)->vcs.vc.type == PBFT_VIEWCHANGE) {
		*keep = pbft_of(m)->vcs.vc;
		return true;
	}
	return false;
}

/* The i-th VIEW-CHANGE of a NEW-VIEW's V, decoded: 1, or 0 if the audit
 * does not hold it. */
static int cited_vc(const struct pbft_newview *nv, uint16_t i,
		    int (*find)(void *, uint32_t, const uint8_t *,
				const uint8_t **, size_t *),
		    void *ctx, struct wire_msg *vc)
{
	const uint8_t *d, *bytes;
	size_t len;
	uint32_t s;

	pbft_vref_at(nv, i, &s, &d);
	return find(ctx, s, d, &bytes, &len) &&
	       wire_decode(bytes, len, vc) == 0 &&
	       vc->frame.type == PBFT_VIEWCHANGE;
}

/* For one number of O: the highest view among V's prepared certificates
 * for it (plus one; 0: none) and that certificate's batch digest. Two of
 * one view with different digests cannot both be valid (§4.2: quorums
 * intersect in an honest replica); if V shows them, the number is not
 * judged. */
struct nv_best {
	uint64_t view1;
	bool tie;
	uint8_t digest[BYZ_DIGEST_BYTES];
};

/*
 * OSDI'99 §4.4 (TOCS'02 §4.4), the new primary of view v+1 computes O from
 * V: min-s is the latest stable checkpoint in V, max-s the highest number
 * in a prepared certificate in V; for every n in (min-s, max-s], O holds a
 * PRE-PREPARE for v+1 whose batch is that of the prepared certificate for n
 * of the highest view in V, or the null request (an empty batch) if V has
 * none for n. Recomputed here from the view-changes V cites, plainly, and
 * compared number by number: the range exactly, each digest. Certificates
 * above min-s + window (none is valid, §4.3 watermarks) are left out, as
 * the core does. Not judged if the audit no longer holds one of V.
 */
int pbft_audit_new_view(const struct byz_config *cfg, const struct wire_msg *m,
			int (*find)(void *ctx, uint32_t sender,
				    const uint8_t *digest,
				    const uint8_t **bytes, size_t *len),
			void *ctx, char *why, size_t whylen)
{
	static const uint8_t empty_batch[2] = {0, 0}; /* count 0 */
	const struct pbft_newview *nv;
	struct nv_best *best;
	struct wire_msg vc, pp;
	uint64_t min_s = 0, max_s, expect;
	uint8_t null_d[BYZ_DIGEST_BYTES];
	size_t pos = 0;
	int broken = 0;

	if (m->frame.type != PBFT_NEWVIEW || !cfg->window)
		return 0;
	nv = &pbft_of(m)->nv;
	for (uint16_t i = 0; i < nv->nvrefs; i++) {
		if (!cited_vc(nv, i, find, ctx, &vc))
			return 0; /* not held: not judged */
		if (pbft_of(&vc)->vc.view != nv->view) {
			snprintf(why, whylen,
				 "with V citing a view-change of replica "
				 "%" PRIu32 " for view %" PRIu64,
				 vc.frame.sender, pbft_of(&vc)->vc.view);
			return 1;
		}
		if (pbft_of(&vc)->vc.stable_seq > min_s)
			min_s = pbft_of(&vc)->vc.stable_seq;
	}
	best = calloc(cfg->window, sizeof *best);
	if (!best)
		return 0;
	max_s = min_s;
	for (uint16_t i = 0; i < nv->nvrefs; i++) {
		struct wire_frame ppf;
		struct wire_frames prep;
		size_t ppos = 0;
		if (!cited_vc(nv, i, find, ctx, &vc))
			continue;
		while (pbft_pset_next(&pbft_of(&vc)->vc.prepared, &ppos, &ppf,
				      &prep) == 1) {
			struct nv_best *b;
			uint8_t d[BYZ_DIGEST_BYTES];
			uint64_t seq, view;
			if (wire_decode(ppf.bytes, ppf.len, &pp) ||
			    pp.frame.type != PBFT_PREPREPARE)
				continue;
			seq = pbft_of(&pp)->pp.seq;
			view = pbft_of(&pp)->pp.view;
			if (seq <= min_s || seq - min_s > cfg->window)
				continue;
			b = &best[seq - min_s - 1];
			pbft_batch_digest(&pbft_of(&pp)->pp, d);
			if (view + 1 > b->view1) {
				b->view1 = view + 1;
				b->tie = false;
				memcpy(b->digest, d, sizeof d);
			} else if (view + 1 == b->view1 &&
				   memcmp(b->digest, d, sizeof d)) {
				b->tie = true;
			}
			if (seq > max_s)
				max_s = seq;
		}
	}
	byz_digest(null_d, empty_batch, sizeof empty_batch);
	expect = min_s + 1;
	while (!broken && wire_frames_next(&nv->pps, &pos, &pp) == 1) {
		const struct nv_best *b;
		uint8_t got[BYZ_DIGEST_BYTES];
		char gh[9], wh[9];
		uint64_t seq = pbft_of(&pp)->pp.seq;
		if (expect > max_s) {
			snprintf(why, whylen,
				 "with O holding number %" PRIu64
				 " above max-s %" PRIu64 " (min-s %" PRIu64 ")",
				 seq, max_s, min_s);
			broken = 1;
			break;
		}
		if (seq != expect) {
			snprintf(why, whylen,
				 "with O holding number %" PRIu64
				 " where %" PRIu64 " was due (min-s %" PRIu64
				 ", max-s %" PRIu64 ")",
				 seq, expect, min_s, max_s);
			broken = 1;
			break;
		}
		b = &best[seq - min_s - 1];
		pbft_batch_digest(&pbft_of(&pp)->pp, got);
		if (!b->tie &&
		    memcmp(got, b->view1 ? b->digest : null_d, sizeof got)) {
			byz_hex(gh, got, 4);
			byz_hex(wh, b->view1 ? b->digest : null_d, 4);
			if (b->view1)
				snprintf(why, whylen,
					 "with O's number %" PRIu64
					 " batch %s, not %s of the prepared "
					 "certificate of the highest view in "
					 "V (%" PRIu64 ")",
					 seq, gh, wh, b->view1 - 1);
			else
				snprintf(why, whylen,
					 "with O's number %" PRIu64
					 " batch %s, not the null request "
					 "(none prepared in V)",
					 seq, gh);
			broken = 1;
		}
		expect++;
	}
	if (!broken && expect != max_s + 1) {
		snprintf(why, whylen,
			 "with O ending at number %" PRIu64
			 ", not at max-s %" PRIu64 " (min-s %" PRIu64 ")",
			 expect - 1, max_s, min_s);
		broken = 1;
	}
	free(best);
	return broken;
}
