/*
 * pbft_viewchange.c - view changes (OSDI'99 §4.4).
 *
 * A replica whose timer expires in view v moves to v+1 and multicasts
 * VIEW-CHANGE(v+1, n, C, P): its stable checkpoint n with proof C, and a
 * prepared certificate for every number above n that prepared. The primary
 * of v+1, with 2f+1 valid view-changes (V), computes O: for each number
 * between min-s (the latest stable checkpoint in V) and max-s (the highest
 * prepared number in V), a pre-prepare for v+1 carrying the batch of the
 * prepared certificate with the highest view, or the null request. Backups
 * check NEW-VIEW(v+1, V, O) by recomputing O.
 */
#include "pbft.h"

#include "err.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Check a VIEW-CHANGE's content: its checkpoint proof and each prepared
 * certificate in P. NULL if it holds, else why not. */
static const char *check_viewchange(const struct pbft *p,
				    const struct pbft_viewchange *vc)
{
	struct wire_frame pp;
	struct wire_frames prep;
	size_t pos = 0;
	const char *why;

	why = pbft_check_ckpt_proof(p, vc->stable_seq, vc->stable_digest,
				    &vc->proof);
	if (why)
		return why;
	while (!pbft_mut(p, PBFT_MUT_VC_UNCHECKED) &&
	       pbft_pset_next(&vc->prepared, &pos, &pp, &prep) == 1) {
		uint8_t d[BYZ_DIGEST_BYTES];
		uint64_t view, seq;
		why = pbft_check_cert(p, &pp, &prep, 2 * p->cfg.f, true, &view,
				      &seq, d);
		if (why) {
			pbft_rule(p, PBFT_MUT_VC_UNCHECKED);
			return why;
		}
		if (view >= vc->view)
			return "a prepared certificate from a view not below "
			       "the new one";
		if (seq <= vc->stable_seq ||
		    seq > vc->stable_seq + p->cfg.window)
			return "a prepared certificate outside the watermarks";
	}
	return NULL;
}

/* The pre-prepares O of §4.4 for the view-changes in vcs[0..n): for every
 * number in (min_s, max_s], the frame of the prepared certificate with the
 * highest view (best[i] for number min_s+1+i), or NULL for a null request.
 * best has window slots. */
static void compute_o(const struct pbft *p, const struct wire_msg *vcs,
		      uint32_t nvcs, uint64_t *min_s, uint64_t *max_s,
		      struct wire_frame *best)
{
	uint64_t *best_view = calloc(p->cfg.window, sizeof *best_view);

	*min_s = 0;
	for (uint32_t i = 0; i < nvcs; i++)
		if (pbft_of(&vcs[i])->vc.stable_seq > *min_s)
			*min_s = pbft_of(&vcs[i])->vc.stable_seq;
	*max_s = *min_s;
	memset(best, 0, p->cfg.window * sizeof *best);
	for (uint32_t i = 0; i < nvcs && best_view; i++) {
		struct wire_frame ppf;
		struct wire_frames prep;
		size_t pos = 0;
		while (pbft_pset_next(&pbft_of(&vcs[i])->vc.prepared, &pos,
				      &ppf, &prep) == 1) {
			struct wire_msg pp;
			uint64_t seq, k;
			if (wire_decode(ppf.bytes, ppf.len, &pp))
				continue;
			seq = pbft_of(&pp)->pp.seq;
			if (seq <= *min_s || seq > *min_s + p->cfg.window)
				continue;
			k = seq - *min_s - 1;
			/* Views start at 0: store view + 1 so 0 means none.
			 * (The mutant keeps the lowest instead.) */
			if (best_view[k] &&
			    best_view[k] != pbft_of(&pp)->pp.view + 1)
				pbft_rule(p, PBFT_MUT_O_LOWEST);
			if (pbft_mut(p, PBFT_MUT_O_LOWEST)
				? !best_view[k] ||
				      pbft_of(&pp)->pp.view + 1 < best_view[k]
				: pbft_of(&pp)->pp.view + 1 > best_view[k]) {
				best_view[k] = pbft_of(&pp)->pp.view + 1;
				best[k] = ppf;
			}
			if (seq > *max_s)
				*max_s = seq;
		}
	}
	free(best_view);
}

/* The batch digest of the pre-prepare frame f (or of the empty batch). */
static void batch_digest_of(const struct wire_frame *f,
			    uint8_t d[BYZ_DIGEST_BYTES])
{
	struct wire_msg m;
	static const uint8_t empty[2] = {0, 0};

	if (f && f->bytes && wire_decode(f->bytes, f->len, &m) == 0)
		pbft_batch_digest(&pbft_of(&m)->pp, d);
	else
		byz_digest(d, empty, sizeof empty);
}

/* Feed checkpoint frames from a proof we were shown into our store, so
 * the status timer knows there is a stable checkpoint to fetch. */
void pbft_absorb_proof(struct pbft *p, const struct wire_frames *proof)
{
	struct wire_msg m;
	size_t pos = 0;
	bool was = p->replaying;

	/* Through the handler, without persisting: the message that carried
	 * the proof is persisted itself. */
	p->replaying = true;
	while (wire_frames_next(proof, &pos, &m) == 1)
		pbft_on_checkpoint(p, &m, NULL);
	p->replaying = was;
}

/* §4.4: move to `view` and multicast VIEW-CHANGE. */
int pbft_start_view_change(struct pbft *p, uint64_t view, struct byz_outbox *ob)
{
	const uint8_t *frames[BYZ_MAX_N], *prep[BYZ_MAX_N];
	size_t lens[BYZ_MAX_N], plens[BYZ_MAX_N], start;
	uint32_t nproof = 0;
	uint16_t npset = 0;
	int rc;

	if (view < p->view || (view == p->view && p->in_vc))
		return 0;
	p->view = view;
	p->in_vc = true;
	p->vc_since_exec = true;
	p->nv_building = false;
	/* The request timer stops; the view timer starts only once 2f+1
	 * view-changes for this view are in (§4.4), see vc_quorum_timer. */
	p->view_timer_on = false;
	p->vc_timer_on = false;
	if (p->replaying)
		return 0;
	byz_out_timer(ob, PBFT_TIMER_VIEW, BYZ_TIMER_CANCEL);
	/* It works in `view` now: the view change its primary leads. */
	if ((rc = byz_out_view(ob, view, pbft_primary(p, view), false, false)))
		return rc;
	/* Persist the view before the message that announces it. */
	if ((rc = pbft_persist_view(p, ob)))
		return rc;
	pbft_note(p, ob, "view change to %" PRIu64 " (timeout %" PRIu64 " us)",
		  view, p->vc_timeout);
	/* C needs 2f+1 CHECKPOINTs and each P entry 2f PREPAREs (§4.4):
	 * no more, so a VIEW-CHANGE's size is bounded by the configuration
	 * (pbft_limits.c). */
	for (uint32_t s = 0; s < p->cfg.n && nproof < p->quorum; s++)
		if (p->stable_proof[s]) {
			frames[nproof] = p->stable_proof[s]->data;
			lens[nproof++] = p->stable_proof[s]->len;
		}
	for (uint32_t i = 0; i < p->cfg.window; i++)
		npset += p->log[i].seq > p->low && p->log[i].pc_pp != NULL &&
			 !pbft_mut(p, PBFT_MUT_VC_FORGETS);
	if (npset)
		pbft_rule(p, PBFT_MUT_VC_FORGETS);
	rc = pbft_enc_viewchange_begin(
	    &ob->bytes, &start, p->cfg.id, view, p->low, p->stable_digest,
	    (struct pbft_framev){frames, lens, nproof}, npset);
	if (rc)
		return rc;
	/* P in sequence-number order, so the message is canonical. */
	for (uint64_t seq = p->low + 1; seq <= p->low + p->cfg.window; seq++) {
		const struct pbft_entry *e = &p->log[seq % p->cfg.window];
		uint32_t k = 0;
		if (e->seq != seq || !e->pc_pp ||
		    pbft_mut(p, PBFT_MUT_VC_FORGETS))
			continue;
		for (uint32_t s = 0; s < p->cfg.n && k < 2 * p->cfg.f; s++)
			if (e->pc_prep[s]) {
				prep[k] = e->pc_prep[s]->data;
				plens[k++] = e->pc_prep[s]->len;
			}
		pbft_enc_pset_entry(&ob->bytes, e->pc_pp->data, e->pc_pp->len,
				    (struct pbft_framev){prep, plens, k});
	}
	if ((rc = pbft_enc_end(&ob->bytes, start)))
		return rc;
	return pbft_send_all(p, ob, start);
}

/* The stored view-changes for `view`, decoded, in sender order. */
static uint32_t vcs_for(struct pbft *p, uint64_t view, struct wire_msg *out)
{
	uint32_t k = 0;

	for (uint32_t s = 0; s < p->cfg.n; s++)
		if (p->vc[s] && p->vc_view[s] == view &&
		    wire_decode(p->vc[s]->data, p->vc[s]->len, &out[k]) == 0)
			k++;
	return k;
}

/*
 * New primary: with 2f+1 view-changes for its view, compute O and send
 * its pre-prepares to itself; NEW-VIEW leaves once they are all back
 * signed (pbft_nv_collect).
 */
int pbft_try_newview(struct pbft *p, struct byz_outbox *ob)
{
	struct wire_msg *vcs;
	struct wire_frame *best;
	uint32_t n;
	int rc = 0;

	if (p->replaying || !p->in_vc || p->nv_building ||
	    pbft_primary(p, p->view) != p->cfg.id)
		return 0;
	vcs = calloc(p->cfg.n, sizeof *vcs); /* one per sender */
	best = calloc(p->cfg.window, sizeof *best);
	if (!vcs || !best) {
		rc = BYZ_ENOMEM;
		goto out;
	}
	n = vcs_for(p, p->view, vcs);
	if (n + 1 == p->quorum)
		pbft_rule(p, PBFT_MUT_NV_QUORUM);
	if (n < p->quorum - pbft_mut(p, PBFT_MUT_NV_QUORUM))
		goto out;
	/* V: the first 2f+1 by sender */
	n = p->quorum - pbft_mut(p, PBFT_MUT_NV_QUORUM);
	compute_o(p, vcs, n, &p->nv_min_s, &p->nv_max_s, best);
	memset(p->nv_senders, 0, sizeof p->nv_senders);
	for (uint32_t i = 0; i < n; i++)
		p->nv_senders[vcs[i].frame.sender] = 1;
	for (uint32_t i = 0; i < p->cfg.window; i++)
		pbft_blob_free(&p->nv_pps[i]);
	p->nv_building = true;
	for (uint64_t seq = p->nv_min_s + 1; seq <= p->nv_max_s && !rc; seq++) {
		const struct wire_frame *f = &best[seq - p->nv_min_s - 1];
		const uint8_t *frames[PBFT_MAX_BATCH];
		size_t lens[PBFT_MAX_BATCH], pos = 0, start;
		uint32_t k = 0;
		struct wire_msg pp, req;
		if (f->bytes && wire_decode(f->bytes, f->len, &pp) == 0)
			while (k < PBFT_MAX_BATCH &&
			       wire_frames_next(&pbft_of(&pp)->pp.batch, &pos,
						&req) == 1) {
				frames[k] = req.frame.bytes;
				lens[k++] = req.frame.len;
			}
		rc = pbft_enc_preprepare(&ob->bytes, &start, p->cfg.id, p->view,
					 seq,
					 (struct pbft_framev){frames, lens, k});
		if (!rc)
			rc = byz_out_send(ob, p->cfg.id, start);
	}
	if (!rc)
		rc = pbft_nv_collect(p, NULL, ob);
out:
	free(vcs);
	free(best);
	return rc;
}

/* New primary: one of its O pre-prepares came back signed (or m is NULL
 * to check); when all have, multicast NEW-VIEW(v, V, O). */
int pbft_nv_collect(struct pbft *p, const struct wire_msg *m,
		    struct byz_outbox *ob)
{
	uint32_t vs[BYZ_MAX_N];
	uint8_t(*vd)[BYZ_DIGEST_BYTES] = NULL;
	const uint8_t **of = NULL;
	size_t *ol = NULL, start;
	uint32_t nv = 0, no = 0;
	uint64_t count = p->nv_max_s - p->nv_min_s;
	int rc = BYZ_ENOMEM;

	if (!p->nv_building)
		return 0;
	if (m) {
		uint64_t seq = pbft_of(m)->pp.seq;
		if (pbft_of(m)->pp.view != p->view || seq <= p->nv_min_s ||
		    seq > p->nv_max_s)
			return 0;
		pbft_blob_free(&p->nv_pps[seq - p->nv_min_s - 1]);
		p->nv_pps[seq - p->nv_min_s - 1] =
		    pbft_blob_new(m->frame.bytes, m->frame.len);
	}
	for (uint64_t i = 0; i < count; i++)
		if (!p->nv_pps[i])
			return 0;
	vd = malloc(BYZ_MAX_N * sizeof *vd);
	if (!vd)
		goto out;
	/* V by reference: each view-change's sender and frame digest. Every
	 * replica was sent them; one that lacks some fetches them (TOCS'02
	 * §4.4 and libbyz name V by digest too), so NEW-VIEW stays small
	 * whatever n is. */
	for (uint32_t s = 0; s < p->cfg.n; s++)
		if (p->nv_senders[s] && p->vc[s]) {
			vs[nv] = s;
			byz_digest(vd[nv++], p->vc[s]->data, p->vc[s]->len);
		}
	if (count) {
		of = calloc(count, sizeof *of);
		ol = calloc(count, sizeof *ol);
		if (!of || !ol)
			goto out;
		for (uint64_t i = 0; i < count; i++) {
			of[no] = p->nv_pps[i]->data;
			ol[no++] = p->nv_pps[i]->len;
		}
	}
	p->nv_building = false;
	pbft_note(p, ob,
		  "new-view %" PRIu64 ": min-s %" PRIu64 ", max-s %" PRIu64,
		  p->view, p->nv_min_s, p->nv_max_s);
	rc = pbft_enc_newview(&ob->bytes, &start, p->cfg.id, p->view, vs,
			      (const uint8_t(*)[BYZ_DIGEST_BYTES])vd,
			      (uint16_t)nv, (struct pbft_framev){of, ol, no});
	if (!rc)
		rc = pbft_send_all(p, ob, start);
out:
	free(vd);
	free(of);
	free(ol);
	return rc;
}

/*
 * §4.4: "If a replica receives 2f+1 VIEW-CHANGE messages for view v+1 it
 * starts its timer"; if it expires before a valid NEW-VIEW, the replica
 * moves on to v+2. Starting it any earlier lets a replica that is one view
 * ahead stay ahead for ever, one timeout at a time.
 *
 * A view-change for a view above v counts too (Castro's libbyz starts the
 * timer on max_maj_view: 2f+1 view-changes for views >= v). We keep only
 * the newest view-change per sender, so one that moved on to v+1 replaced
 * the one it sent for v; counting only view v, a replica whose quorum for
 * v was completed by it never starts the timer, and with fewer than f+1
 * replicas ahead nobody ever moves again (found by the partition + silent
 * cases in tests/test_adversary.c).
 */
void pbft_vc_quorum_timer(struct pbft *p, struct byz_outbox *ob)
{
	uint32_t count = 0;

	if (p->replaying || !p->in_vc || p->vc_timer_on)
		return;
	for (uint32_t s = 0; s < p->cfg.n; s++)
		count += p->vc[s] && p->vc_view[s] >= p->view;
	if (count < p->quorum)
		return;
	p->vc_timer_on = true;
	byz_out_timer(ob, PBFT_TIMER_VIEW, p->vc_timeout);
}

/* Does the NEW-VIEW we wait on name the VIEW-CHANGE m (its sender and
 * the digest of its frame)? Then m replaces what we hold from its sender:
 * a faulty sender may have sent us another one for the same view. */
static bool nv_wait_names(const struct pbft *p, const struct wire_msg *m)
{
	struct wire_msg w;
	const struct pbft_newview *nv;
	uint8_t d[BYZ_DIGEST_BYTES];

	if (!p->nv_wait ||
	    wire_decode(p->nv_wait->data, p->nv_wait->len, &w) != 0)
		return false;
	nv = &pbft_of(&w)->nv;
	if (nv->view != pbft_of(m)->vc.view)
		return false;
	if (p->vc[m->frame.sender] &&
	    p->vc[m->frame.sender]->len == m->frame.len &&
	    !memcmp(p->vc[m->frame.sender]->data, m->frame.bytes, m->frame.len))
		return false; /* the one we hold */
	byz_digest(d, m->frame.bytes, m->frame.len);
	for (uint16_t i = 0; i < nv->nvrefs; i++) {
		uint32_t s;
		const uint8_t *rd;
		pbft_vref_at(nv, i, &s, &rd);
		if (s == m->frame.sender && !memcmp(rd, d, sizeof d))
			return true;
	}
	return false;
}

static int on_newview(struct pbft *p, const struct wire_msg *m,
		      struct byz_outbox *ob, bool from_wait);

/* Look at the waiting NEW-VIEW again (a view-change came in). */
static int nv_wait_retry(struct pbft *p, struct byz_outbox *ob)
{
	struct pbft_blob *b = p->nv_wait;
	struct wire_msg w;
	int rc = 0;

	if (!b)
		return 0;
	p->nv_wait = NULL;
	if (wire_decode(b->data, b->len, &w) == 0)
		rc = on_newview(p, &w, ob, true);
	pbft_blob_free(&b);
	return rc;
}

/* Ask the primary of `view` for the view-changes its NEW-VIEW names. */
static int fetch_vcs(struct pbft *p, struct byz_outbox *ob, uint64_t view)
{
	size_t start;
	int rc;

	if (p->replaying)
		return 0;
	rc = pbft_enc_fetch(&ob->bytes, &start, p->cfg.id, PBFT_FETCH_VC, view);
	return rc ? rc : byz_out_send(ob, pbft_primary(p, view), start);
}

/* Status tick: still waiting for a NEW-VIEW's view-changes (the answer or
 * the FETCH may have been lost): ask again. */
int pbft_nv_wait_tick(struct pbft *p, struct byz_outbox *ob)
{
	struct wire_msg w;

	if (!p->nv_wait || !p->in_vc ||
	    wire_decode(p->nv_wait->data, p->nv_wait->len, &w) != 0 ||
	    pbft_of(&w)->nv.view != p->view)
		return 0;
	return fetch_vcs(p, ob, p->view);
}

/* FETCH(vc, view) from `to`: forward each view-change that the NEW-VIEW
 * which started `view` names, in a VCS message (the sender's signature is
 * inside; ours only says we sent it). */
int pbft_serve_vcs(struct pbft *p, struct byz_outbox *ob, uint32_t to,
		   uint64_t view)
{
	struct wire_msg w;
	const struct pbft_newview *nv;
	int rc = 0;

	if (!p->nv || wire_decode(p->nv->data, p->nv->len, &w) != 0)
		return 0;
	nv = &pbft_of(&w)->nv;
	if (nv->view != view)
		return 0;
	for (uint16_t i = 0; i < nv->nvrefs && !rc; i++) {
		uint8_t d[BYZ_DIGEST_BYTES];
		const uint8_t *want;
		uint32_t s;
		size_t start;
		pbft_vref_at(nv, i, &s, &want);
		if (s >= p->cfg.n || !p->vc[s])
			continue;
		byz_digest(d, p->vc[s]->data, p->vc[s]->len);
		if (memcmp(d, want, sizeof d))
			continue;
		rc = pbft_enc_vcs(&ob->bytes, &start, p->cfg.id, p->vc[s]->data,
				  p->vc[s]->len);
		if (!rc)
			rc = byz_out_send(ob, to, start);
	}
	return rc;
}

/* VCS: a view-change forwarded by a peer; its sender signed it, so it is
 * handled as if it came from its sender. */
int pbft_on_vcs(struct pbft *p, const struct wire_msg *m, struct byz_outbox *ob)
{
	struct wire_msg vc;

	if (wire_decode(pbft_of(m)->vcs.vc.bytes, pbft_of(m)->vcs.vc.len,
			&vc) != 0)
		return pbft_note(p, ob,
				 "vcs from r%" PRIu32
				 " that does not decode: dropped",
				 m->frame.sender);
	if (vc.frame.sender >= p->cfg.n) /* ingress rejects it already */
		return pbft_note(p, ob,
				 "vcs from r%" PRIu32
				 " naming an unknown replica: dropped",
				 m->frame.sender);
	return pbft_on_viewchange(p, &vc, ob);
}

/*
 * A VIEW-CHANGE: kept (the newest per sender) once its content checks.
 * f+1 of them for views above ours make us join the smallest (§4.4's
 * liveness rule); 2f+1 for our view make its primary build NEW-VIEW.
 */
int pbft_on_viewchange(struct pbft *p, const struct wire_msg *m,
		       struct byz_outbox *ob)
{
	const struct pbft_viewchange *vc = &pbft_of(m)->vc;
	uint32_t s = m->frame.sender, higher = 0;
	uint64_t smallest = UINT64_MAX;
	const char *why;
	int rc;

	if (vc->view == p->view && !p->in_vc && p->nv &&
	    pbft_primary(p, p->view) == p->cfg.id && s != p->cfg.id)
		/* It is still changing to the view we started: it missed our
		 * NEW-VIEW. */
		return pbft_resend(p, ob, p->nv, s);
	if (vc->view < p->view || (vc->view == p->view && !p->in_vc))
		return 0; /* that view has started, or is past */
	if (p->vc[s] && p->vc_view[s] >= vc->view && !nv_wait_names(p, m))
		return 0;
	why = check_viewchange(p, vc);
	if (why)
		return pbft_note(p, ob,
				 "view-change %" PRIu64 " from r%" PRIu32
				 " with %s: dropped",
				 vc->view, s, why);
	if ((rc = pbft_persist_msg(p, m, ob)))
		return rc;
	pbft_blob_free(&p->vc[s]);
	p->vc[s] = pbft_blob_new(m->frame.bytes, m->frame.len);
	if (!p->vc[s])
		return BYZ_ENOMEM;
	p->vc_view[s] = vc->view;
	/* A stable checkpoint above ours: make it ours (we may have executed
	 * past it but missed its checkpoint messages), or fetch its state. */
	if (vc->stable_seq > p->low)
		pbft_absorb_proof(p, &vc->proof);
	for (uint32_t i = 0; i < p->cfg.n; i++)
		if (p->vc[i] && (p->vc_view[i] > p->view ||
				 (!p->in_vc && p->vc_view[i] == p->view + 1))) {
			higher++;
			if (p->vc_view[i] < smallest)
				smallest = p->vc_view[i];
		}
	if (higher >= p->cfg.f + 1 && (smallest > p->view || !p->in_vc)) {
		rc = pbft_start_view_change(p, smallest, ob);
		if (rc)
			return rc;
	}
	pbft_vc_quorum_timer(p, ob);
	if ((rc = pbft_try_newview(p, ob)))
		return rc;
	return nv_wait_retry(p, ob);
}

/*
 * NEW-VIEW (§4.4): from the new view's primary, naming 2f+1 valid
 * view-changes for it from distinct replicas, and an O that we compute
 * the same from V. Then enter the view and prepare every pre-prepare in O.
 * V names each view-change by its frame's digest: we use the ones we hold
 * (each checked when it came); one we lack, or hold in another version (a
 * faulty sender may send different ones), we fetch from the primary and
 * keep the NEW-VIEW until it comes (nv_wait).
 */
int pbft_on_newview(struct pbft *p, const struct wire_msg *m,
		    struct byz_outbox *ob)
{
	return on_newview(p, m, ob, false);
}

static int on_newview(struct pbft *p, const struct wire_msg *m,
		      struct byz_outbox *ob, bool from_wait)
{
	const struct pbft_newview *nv = &pbft_of(m)->nv;
	struct wire_msg *vcs = NULL, pp, req;
	struct wire_frame *best = NULL;
	bool seen[BYZ_MAX_N] = {false};
	uint64_t min_s, max_s, expect;
	uint32_t n = 0, missing = 0;
	size_t pos = 0;
	const char *why = NULL;
	int rc = 0;

	if (nv->view < p->view || (nv->view == p->view && !p->in_vc))
		return 0;
	if (m->frame.sender != pbft_primary(p, nv->view))
		return pbft_note(p, ob,
				 "new-view %" PRIu64 " from r%" PRIu32
				 ", not its primary: dropped",
				 nv->view, m->frame.sender);
	vcs = calloc(p->cfg.n, sizeof *vcs); /* one per sender */
	best = calloc(p->cfg.window, sizeof *best);
	if (!vcs || !best) {
		rc = BYZ_ENOMEM;
		goto out;
	}
	for (uint16_t i = 0; !why && i < nv->nvrefs; i++) {
		uint8_t have[BYZ_DIGEST_BYTES];
		const uint8_t *want;
		uint32_t s;
		pbft_vref_at(nv, i, &s, &want);
		if (s >= p->cfg.n || seen[s]) {
			why = "V with a repeated or unknown signer";
			break;
		}
		seen[s] = true;
		if (p->vc[s])
			byz_digest(have, p->vc[s]->data, p->vc[s]->len);
		if (!p->vc[s] || memcmp(have, want, sizeof have) ||
		    wire_decode(p->vc[s]->data, p->vc[s]->len, &vcs[n]) != 0) {
			missing++;
			continue;
		}
		/* Checked when it came (check_viewchange); its view: */
		if (pbft_of(&vcs[n])->vc.view != nv->view)
			why = "V with a view-change for another view";
		n++;
	}
	if (!why && (uint32_t)nv->nvrefs + 1 == p->quorum)
		pbft_rule(p, PBFT_MUT_NV_QUORUM);
	if (!why && nv->nvrefs < p->quorum - pbft_mut(p, PBFT_MUT_NV_QUORUM))
		why = "fewer than 2f+1 view-changes in V";
	if (!why && missing) {
		bool known =
		    p->nv_wait && p->nv_wait->len == m->frame.len &&
		    !memcmp(p->nv_wait->data, m->frame.bytes, m->frame.len);
		/* Not persisted until it is accepted: a faulty primary could
		 * otherwise fill the log with NEW-VIEWs naming nothing. After
		 * a restart the primary sends it again (it re-sends its
		 * NEW-VIEW to a replica still sending view-changes). */
		if (!known) {
			pbft_blob_free(&p->nv_wait);
			p->nv_wait =
			    pbft_blob_new(m->frame.bytes, m->frame.len);
			if (!p->nv_wait) {
				rc = BYZ_ENOMEM;
				goto out;
			}
		}
		if (!from_wait && !known && !p->replaying) {
			pbft_note(p, ob,
				  "new-view %" PRIu64 " names %" PRIu32
				  " view-changes we lack: fetching them from "
				  "r%" PRIu32,
				  nv->view, missing, m->frame.sender);
			rc = fetch_vcs(p, ob, nv->view);
		}
		goto out;
	}

	if (!why) {
		/* Recompute O and compare, number by number (§4.4); the
		 * mutant takes O as sent. */
		compute_o(p, vcs, n, &min_s, &max_s, best);
		expect = min_s + 1;
		pos = 0;
		while (!why && !pbft_mut(p, PBFT_MUT_O_UNCHECKED) &&
		       wire_frames_next(&nv->pps, &pos, &pp) == 1) {
			uint8_t want[BYZ_DIGEST_BYTES], got[BYZ_DIGEST_BYTES];
			const struct wire_frame *b;
			if (pp.frame.sender != m->frame.sender ||
			    pbft_of(&pp)->pp.view != nv->view ||
			    pbft_of(&pp)->pp.seq != expect || expect > max_s) {
				why = "O out of order or not from the primary";
				break;
			}
			b = &best[expect - min_s - 1];
			batch_digest_of(b->bytes ? b : NULL, want);
			pbft_batch_digest(&pbft_of(&pp)->pp, got);
			if (memcmp(want, got, sizeof want)) {
				why = "O that differs from the one V implies";
				pbft_rule(p, PBFT_MUT_O_UNCHECKED);
			}
			expect++;
		}
		if (!why && expect != max_s + 1 &&
		    !pbft_mut(p, PBFT_MUT_O_UNCHECKED))
			why = "O that is missing numbers";
	}
	if (why) {
		rc = pbft_note(p, ob, "new-view %" PRIu64 " with %s: dropped",
			       nv->view, why);
		goto out;
	}
	if ((rc = pbft_persist_msg(p, m, ob)))
		goto out;
	/* Enter the view. */
	pbft_blob_free(&p->nv_wait);
	p->view = nv->view;
	p->in_vc = false;
	p->nv_building = false;
	pbft_blob_free(&p->nv);
	p->nv = pbft_blob_new(m->frame.bytes, m->frame.len);
	if (!p->replaying) {
		byz_out_timer(ob, PBFT_TIMER_VIEW, BYZ_TIMER_CANCEL);
		pbft_note(p, ob, "entered view %" PRIu64, p->view);
	}
	p->view_timer_on = false;
	p->vc_timer_on = false;
	for (uint32_t i = 0; i < n; i++)
		if (pbft_of(&vcs[i])->vc.stable_seq == min_s && min_s > p->low)
			pbft_absorb_proof(p, &pbft_of(&vcs[i])->vc.proof);
	if (p->next_seq <= max_s)
		p->next_seq = max_s + 1;
	pos = 0;
	while (!rc && wire_frames_next(&nv->pps, &pos, &pp) == 1) {
		size_t rpos = 0;
		/* Requests in O are in flight in this view. */
		while (wire_frames_next(&pbft_of(&pp)->pp.batch, &rpos, &req) ==
		       1) {
			struct pbft_pending *pe =
			    &p->pending[req.u.request.client];
			if (req.u.request.client < p->cfg.max_clients &&
			    pe->timestamp == req.u.request.timestamp)
				pe->assigned = p->view + 1;
		}
		if (pbft_in_window(p, pbft_of(&pp)->pp.seq))
			rc = pbft_accept_preprepare(p, &pp, ob);
	}
	if (rc)
		goto out;
	/* Messages of this view that overtook the NEW-VIEW. */
	if ((rc = pbft_run_early(p, ob)))
		goto out;
	pbft_view_timer_update(p, ob);
	rc = pbft_try_propose(p, ob);
out:
	free(vcs);
	free(best);
	return rc;
}
