/*
 * pbft_mutate.c - the adversary's rewrites of PBFT frames (adv_mutate,
 * adversary/mutate.h) (Castro & Liskov, OSDI'99).
 *
 * Each function rewrites one message type into an unsigned frame at offset
 * 0 of c->out; mutate.c checks the key, signs, and records conflicts. Only
 * the sender's own content is changed: embedded frames (requests in a
 * batch, checkpoints, prepares, commits, view-changes, pre-prepares) are
 * copied verbatim, duplicated or dropped, never altered.
 *
 * Which message types each mutation touches (anything else: ADV_MUT_SKIP):
 *   conflict      PRE-PREPARE (digest: BLAKE2b-256 of the batch bytes)
 *   follow        PREPARE, COMMIT
 *   other-digest  PREPARE, COMMIT, CHECKPOINT
 *   stale         PRE-PREPARE, PREPARE, COMMIT (view >= 1), VIEW-CHANGE
 *                 (view >= 2: its view must stay >= 1)
 *   cert-dup,     VIEW-CHANGE (C, each P entry's prepares), NEW-VIEW (V),
 *   cert-short    CERT (commits), STATE (proof)
 *   withhold      VIEW-CHANGE (P emptied)
 *   (usurp)       PRE-PREPARE of another replica, made a backup's own for
 *                 the same (v, n) (adv_usurp)
 *
 * What the honest side must enforce against each mutation (the comments
 * at each case say which rule):
 *   conflict      §4.2: a backup accepts a PRE-PREPARE for (v, n) only if
 *                 it accepted none with another digest; prepared(m, v, n)
 *                 needs 2f matching PREPAREs, so two digests cannot both
 *                 prepare in one view (quorum intersection).
 *   follow,       §4.2: prepared / committed-local count PREPAREs / COMMITs
 *   other-digest  that match (v, n, d) exactly, each signer once; §4.3: a
 *                 checkpoint is stable with 2f+1 matching state digests.
 *   stale         §4.2: accept PRE-PREPARE/PREPARE/COMMIT only in view v;
 *                 §4.4: a VIEW-CHANGE only for a view above the current.
 *   cert-dup,     §4.3/§4.4: C holds 2f+1 CHECKPOINTs, each P entry 2f
 *   cert-short    PREPAREs, V 2f+1 VIEW-CHANGEs, a CERT 2f+1 COMMITs, all
 *                 from distinct replicas and matching.
 *   withhold      §4.4: the new primary builds O from 2f+1 VIEW-CHANGEs and
 *                 the backups recompute it: a request committed at an
 *                 honest replica is prepared at f+1 honest ones, one of
 *                 which is in any V, so f withheld P sets cannot hide it.
 */
#include "mutate.h"
#include "pbft_wire.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

static struct pbft_framev fv(const struct adv_list *l)
{
	return (struct pbft_framev){l->frames, l->lens, l->count};
}

static bool is_cert(enum adv_mutation mut)
{
	return mut == ADV_MUT_CERT_DUP || mut == ADV_MUT_CERT_SHORT;
}

/* PRE-PREPARE (sent by the primary of its view). */
static int preprepare(struct adv_ctx *c)
{
	const struct pbft_preprepare *pp = &pbft_of(c->m)->pp;
	uint32_t sender = c->m->frame.sender;
	struct adv_list batch;
	struct wire_msg nm;
	int rc;

	if (c->mut != ADV_MUT_CONFLICT && c->mut != ADV_MUT_STALE)
		return ADV_MUT_SKIP;
	if ((rc = adv_list_gather(&batch, &pp->batch)))
		return rc;
	switch (c->mut) {
	case ADV_MUT_CONFLICT:
		/* Equivocation by the primary. §4.2: a backup accepts it only
		 * if it has not accepted a PRE-PREPARE for view v and number n
		 * with another digest; prepared needs 2f matching PREPAREs. */
		if (!adv_list_conflict(&batch, c->map))
			return ADV_MUT_SKIP;
		if ((rc = pbft_enc_preprepare(c->out, NULL, sender, pp->view,
					      pp->seq, fv(&batch))))
			return rc;
		if ((rc = wire_decode_unsigned(c->out->data, c->out->len, &nm)))
			return rc;
		byz_digest(c->rec_from, pp->batch_bytes, pp->batch_len);
		byz_digest(c->rec_to, pbft_of(&nm)->pp.batch_bytes,
			   pbft_of(&nm)->pp.batch_len);
		c->record = true;
		return 0;
	case ADV_MUT_STALE:
		/* §4.2: a PRE-PREPARE is accepted only in the current view. */
		if (pp->view == 0)
			return ADV_MUT_SKIP;
		return pbft_enc_preprepare(c->out, NULL, sender, pp->view - 1,
					   pp->seq, fv(&batch));
	default:
		return ADV_MUT_SKIP;
	}
}

/* PREPARE and COMMIT. */
static int vote(struct adv_ctx *c)
{
	const struct pbft_vote *v = &pbft_of(c->m)->vote;
	uint8_t type = c->m->frame.type;
	uint32_t sender = c->m->frame.sender;
	uint8_t d[BYZ_DIGEST_BYTES];
	const uint8_t *to;

	switch (c->mut) {
	case ADV_MUT_FOLLOW:
		/* A vote for the primary's other batch. §4.2: prepared and
		 * committed-local need 2f / 2f+1 votes matching (v, n, d) from
		 * distinct replicas; f of them cannot make a quorum alone. */
		if (!(to = adv_conflicts_get(c->map, v->digest)))
			return ADV_MUT_SKIP;
		return pbft_enc_vote(c->out, NULL, type, sender, v->view,
				     v->seq, to);
	case ADV_MUT_OTHER_DIGEST:
		/* Double voting; the same §4.2 rule: one replica is counted
		 * once, for the digest the certificate is about. */
		adv_other_digest(c->map, v->digest, d);
		return pbft_enc_vote(c->out, NULL, type, sender, v->view,
				     v->seq, d);
	case ADV_MUT_STALE:
		/* §4.2: PREPARE/COMMIT are accepted only for the current view
		 * (and a COMMIT counts only with the others of its view). */
		if (v->view == 0)
			return ADV_MUT_SKIP;
		return pbft_enc_vote(c->out, NULL, type, sender, v->view - 1,
				     v->seq, v->digest);
	default:
		return ADV_MUT_SKIP;
	}
}

static int checkpoint(struct adv_ctx *c)
{
	const struct pbft_checkpoint *ck = &pbft_of(c->m)->ckpt;
	uint8_t d[BYZ_DIGEST_BYTES];

	if (c->mut != ADV_MUT_OTHER_DIGEST)
		return ADV_MUT_SKIP;
	/* A checkpoint for another state. §4.3: a checkpoint is stable (and
	 * a proof C valid) only with 2f+1 CHECKPOINTs of one (n, d). */
	adv_other_digest(c->map, ck->digest, d);
	return pbft_enc_checkpoint(c->out, NULL, c->m->frame.sender, ck->seq,
				   d);
}

/* VIEW-CHANGE: stale, cert-dup / cert-short (C and each P entry's
 * PREPAREs), withhold (P emptied). The P set is rewritten entry by entry
 * as pbft_pset_next walks it. */
static int viewchange(struct adv_ctx *c)
{
	const struct pbft_viewchange *vc = &pbft_of(c->m)->vc;
	struct adv_list proof, prep;
	struct wire_frame pp;
	struct wire_frames prepares;
	uint64_t view = vc->view;
	uint16_t npset = vc->prepared.count;
	bool changed = false;
	size_t s, pos = 0;
	int rc;

	switch (c->mut) {
	case ADV_MUT_STALE:
		/* §4.4: a VIEW-CHANGE counts only for a view above the
		 * replica's (and only 2f+1 for one view v+1 start it). */
		if (view < 2)
			return ADV_MUT_SKIP;
		view--;
		changed = true;
		break;
	case ADV_MUT_WITHHOLD:
		/* §4.4: O is computed from 2f+1 VIEW-CHANGEs, any of which
		 * intersects the f+1 honest replicas that prepared a committed
		 * request; the backups check the NEW-VIEW's O against V. */
		if (npset == 0)
			return ADV_MUT_SKIP;
		npset = 0;
		changed = true;
		break;
	case ADV_MUT_CERT_DUP:
	case ADV_MUT_CERT_SHORT:
		/* §4.3/§4.4: C is 2f+1 CHECKPOINTs and each P entry a
		 * PRE-PREPARE with 2f PREPAREs, from distinct replicas. */
		break;
	default:
		return ADV_MUT_SKIP;
	}
	if ((rc = adv_list_gather(&proof, &vc->proof)))
		return rc;
	if (is_cert(c->mut))
		changed |= adv_list_cert(&proof, c->mut);
	if ((rc = pbft_enc_viewchange_begin(
		 c->out, &s, c->m->frame.sender, view, vc->stable_seq,
		 vc->stable_digest, fv(&proof), npset)))
		return rc;
	for (uint16_t i = 0; i < npset; i++) {
		if (pbft_pset_next(&vc->prepared, &pos, &pp, &prepares) != 1)
			return BYZ_EINVAL; /* the decoder walked it */
		if ((rc = adv_list_gather(&prep, &prepares)))
			return rc;
		if (is_cert(c->mut))
			changed |= adv_list_cert(&prep, c->mut);
		pbft_enc_pset_entry(c->out, pp.bytes, pp.len, fv(&prep));
	}
	if (!changed)
		return ADV_MUT_SKIP;
	return pbft_enc_end(c->out, s);
}

/* NEW-VIEW: cert-dup / cert-short on V (references to VIEW-CHANGEs: the
 * last replaced by the first, or dropped, as adv_list_cert does); O is the
 * primary's own list of PRE-PREPAREs, not a certificate, and stays. */
/* fork: the same NEW-VIEW with every pre-prepare of O replaced by a null
 * request (an empty batch) for the same view and number, signed by the
 * sender (the new primary, whose key this is). §4.4: a backup recomputes O
 * from V and refuses a NEW-VIEW whose O differs, so a prepared (perhaps
 * committed) request cannot be dropped. */
static int newview_fork(struct adv_ctx *c, uint32_t *senders,
			uint8_t (*digests)[BYZ_DIGEST_BYTES], uint16_t count)
{
	const struct pbft_newview *nv = &pbft_of(c->m)->nv;
	struct wire_buf nulls;
	struct wire_msg pp;
	const uint8_t *frames[PBFT_MAX_PSET];
	size_t lens[PBFT_MAX_PSET], offs[PBFT_MAX_PSET], pos = 0, k = 0;
	bool changed = false;
	int rc = 0;

	wire_buf_init(&nulls, WIRE_MAX_FRAME);
	while (!rc && k < PBFT_MAX_PSET &&
	       wire_frames_next(&nv->pps, &pos, &pp) == 1) {
		size_t s;
		changed |= pbft_of(&pp)->pp.batch.count > 0;
		if (!(rc = pbft_enc_preprepare(
			  &nulls, &s, c->m->frame.sender, pbft_of(&pp)->pp.view,
			  pbft_of(&pp)->pp.seq,
			  (struct pbft_framev){NULL, NULL, 0})) &&
		    !(rc = wire_sign(&nulls, s, c->key))) {
			offs[k] = s;
			lens[k++] = nulls.len - s;
		}
	}
	for (size_t i = 0; i < k; i++)
		frames[i] = nulls.data + offs[i];
	if (!rc && !changed)
		rc = ADV_MUT_SKIP;
	if (!rc)
		rc = pbft_enc_newview(
		    c->out, NULL, c->m->frame.sender, nv->view, senders,
		    (const uint8_t(*)[BYZ_DIGEST_BYTES])digests, count,
		    (struct pbft_framev){frames, lens, k});
	wire_buf_free(&nulls);
	return rc;
}

static int newview(struct adv_ctx *c)
{
	const struct pbft_newview *nv = &pbft_of(c->m)->nv;
	uint32_t senders[PBFT_MAX_SIGNERS];
	uint8_t(*digests)[BYZ_DIGEST_BYTES];
	struct adv_list pps;
	uint16_t count = nv->nvrefs;
	int rc;

	if ((!is_cert(c->mut) && c->mut != ADV_MUT_FORK) || count == 0)
		return ADV_MUT_SKIP;
	if ((rc = adv_list_gather(&pps, &nv->pps)))
		return rc;
	digests = malloc((size_t)count * sizeof *digests);
	if (!digests)
		return BYZ_ENOMEM;
	for (uint16_t i = 0; i < count; i++) {
		const uint8_t *d;
		pbft_vref_at(nv, i, &senders[i], &d);
		memcpy(digests[i], d, BYZ_DIGEST_BYTES);
	}
	if (c->mut == ADV_MUT_FORK) {
		rc = newview_fork(c, senders, digests, count);
		free(digests);
		return rc;
	}
	/* §4.4: V must name 2f+1 valid VIEW-CHANGEs for v+1 from distinct
	 * replicas, and O must be what V gives. */
	if (c->mut == ADV_MUT_CERT_DUP) {
		if (count < 2) {
			free(digests);
			return ADV_MUT_SKIP;
		}
		senders[count - 1] = senders[0];
		memcpy(digests[count - 1], digests[0], BYZ_DIGEST_BYTES);
	} else {
		count--;
	}
	rc = pbft_enc_newview(
	    c->out, NULL, c->m->frame.sender, nv->view, senders,
	    (const uint8_t(*)[BYZ_DIGEST_BYTES])digests, count, fv(&pps));
	free(digests);
	return rc;
}

static int state(struct adv_ctx *c)
{
	const struct pbft_state *st = &pbft_of(c->m)->state;
	struct adv_list proof;
	int rc;

	if (!is_cert(c->mut))
		return ADV_MUT_SKIP;
	if ((rc = adv_list_gather(&proof, &st->proof)))
		return rc;
	/* §4.3: a stable checkpoint's proof is 2f+1 matching CHECKPOINTs
	 * from distinct replicas; state is adopted only with one. */
	if (!adv_list_cert(&proof, c->mut))
		return ADV_MUT_SKIP;
	return pbft_enc_state(c->out, NULL, c->m->frame.sender, st->seq,
			      st->digest, fv(&proof), st->snapshot,
			      st->snapshot_len);
}

static int cert(struct adv_ctx *c)
{
	const struct pbft_cert *ce = &pbft_of(c->m)->cert;
	struct adv_list commits;
	int rc;

	if (!is_cert(c->mut))
		return ADV_MUT_SKIP;
	if ((rc = adv_list_gather(&commits, &ce->commits)))
		return rc;
	/* §4.2: committed means 2f+1 COMMITs matching the pre-prepare's
	 * (v, n, d) from distinct replicas. */
	if (!adv_list_cert(&commits, c->mut))
		return ADV_MUT_SKIP;
	return pbft_enc_cert(c->out, NULL, c->m->frame.sender, ce->pp.bytes,
			     ce->pp.len, fv(&commits));
}

static int adv_mutate_pbft(struct adv_ctx *c)
{
	switch (c->m->frame.type) {
	case PBFT_PREPREPARE:
		return preprepare(c);
	case PBFT_PREPARE:
	case PBFT_COMMIT:
		return vote(c);
	case PBFT_CHECKPOINT:
		return checkpoint(c);
	case PBFT_VIEWCHANGE:
		return viewchange(c);
	case PBFT_NEWVIEW:
		return newview(c);
	case PBFT_STATE:
		return state(c);
	case PBFT_CERT:
		return cert(c);
	default: /* FETCH */
		return ADV_MUT_SKIP;
	}
}

/* This protocol's half of adv_mutate (mutate.h), for the adversary's
 * registry. Compiled into the adversary library, never into libbyz. */
/* adv_usurp: a backup's PRE-PREPARE for the primary's (v, n), with a
 * conflicting batch. §4.2: a backup accepts a PRE-PREPARE only if it is
 * signed by the primary of view v; without that rule a Byzantine backup is
 * a second primary, and with f Byzantine replicas voting for both batches
 * each half of the honest replicas it reaches first prepares and commits
 * its own (the adversary rushes it there and lets the votes follow). */
static int usurp(struct adv_ctx *c)
{
	const struct pbft_preprepare *pp = &pbft_of(c->m)->pp;
	struct adv_list batch;
	struct wire_msg nm;
	int rc;

	if (c->m->frame.type != PBFT_PREPREPARE)
		return ADV_MUT_SKIP;
	if ((rc = adv_list_gather(&batch, &pp->batch)))
		return rc;
	if (!adv_list_conflict(&batch, c->map))
		return ADV_MUT_SKIP;
	if ((rc = pbft_enc_preprepare(c->out, NULL, c->voter, pp->view, pp->seq,
				      fv(&batch))) ||
	    (rc = wire_decode_unsigned(c->out->data, c->out->len, &nm)))
		return rc;
	byz_digest(c->rec_from, pp->batch_bytes, pp->batch_len);
	byz_digest(c->rec_to, pbft_of(&nm)->pp.batch_bytes,
		   pbft_of(&nm)->pp.batch_len);
	c->record = true;
	return 0;
}

const struct adv_rewrites pbft_adv_rewrites = {
    .proto = PBFT_PROTO,
    .mutate = adv_mutate_pbft,
    .usurp = usurp,
};
