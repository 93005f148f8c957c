/*
 * hs_core.c - chained HotStuff: the step, and what a replica does with a
 * proposal (PODC'19 Alg. 4: onReceiveProposal, safeNode, update).
 *
 * A block's parent is always the block its justify QC certifies, so the
 * chain of justify links is the chain of parent links; "direct parent"
 * (Alg. 3/4) is then a matter of views: a three-chain b <- b' <- b''
 * commits b when view(b'') = view(b') + 1 = view(b) + 2.
 */
#include "hs_core.h"

#include "err.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t hs_zero[BYZ_DIGEST_BYTES];

bool hs_is_genesis(const uint8_t *hash)
{
	return memcmp(hash, hs_zero, BYZ_DIGEST_BYTES) == 0;
}

void hs_hex8(char out[9], const uint8_t *hash)
{
	byz_hex(out, hash, 4);
}

static void hs_destroy(void **core)
{
	struct hs *h = *core;

	if (!h)
		return;
	app_destroy(&h->app);
	byz_bytes_free(&h->locked);
	byz_bytes_free(&h->high);
	byz_bytes_free(&h->commit_qc);
	byz_bytes_free(&h->my_vote);
	byz_bytes_free(&h->ckpt);
	for (uint32_t i = 0; i < h->tc_used; i++)
		byz_bytes_free(&h->tc[i]);
	for (uint32_t r = 0; r < h->cfg.n; r++)
		byz_bytes_free(&h->last_timeout[r]);
	free(h->votes);
	free(h->vote_mem);
	hs_store_free(&h->store);
	hs_pool_free(h);
	wire_buf_free(&h->scratch);
	free(h);
	*core = NULL;
}

/* The genesis QC (view 0, the zero hash, no votes) as lockedQC and highQC. */
static int hs_genesis(struct hs *h)
{
	struct hs_framev none = {NULL, NULL, 0};
	int rc;

	wire_buf_reset(&h->scratch);
	if ((rc = hs_enc_qc(&h->scratch, 0, hs_zero, none)) ||
	    (rc = byz_bytes_set(&h->locked, h->scratch.data, h->scratch.len)) ||
	    (rc = byz_bytes_set(&h->high, h->scratch.data, h->scratch.len)))
		return rc;
	h->locked_view = h->high_view = 0;
	memset(h->locked_hash, 0, BYZ_DIGEST_BYTES);
	memset(h->high_hash, 0, BYZ_DIGEST_BYTES);
	memset(h->exec_hash, 0, BYZ_DIGEST_BYTES);
	h->exec_view = 0;
	return 0;
}

/* The vote slots, their tables sized by n (not BYZ_MAX_N): set-up and
 * the per-view reset cost what the cluster uses. */
static int hs_votes_init(struct hs *h)
{
	size_t n = h->cfg.n,
	       per = n * (sizeof(bool) + BYZ_DIGEST_BYTES + HS_VOTE_FRAME);

	h->votes = calloc(HS_VIEW_SLOTS, sizeof *h->votes);
	h->vote_mem = calloc(HS_VIEW_SLOTS, per);
	if (!h->votes || !h->vote_mem)
		return BYZ_ENOMEM;
	for (size_t i = 0; i < HS_VIEW_SLOTS; i++) {
		uint8_t *m = h->vote_mem + i * per;
		h->votes[i].have = (bool *)m;
		h->votes[i].hash = (uint8_t(*)[BYZ_DIGEST_BYTES])(m + n);
		h->votes[i].frame =
		    (uint8_t(*)[HS_VOTE_FRAME])(m + n + n * BYZ_DIGEST_BYTES);
	}
	return 0;
}

static int hs_create(const struct byz_config *cfg, const uint8_t *persisted,
		     size_t len, void **core)
{
	struct hs *h;
	int rc;

	*core = NULL;
	if (byz_limits_check("hotstuff", &hs_limits, cfg, NULL, 0))
		return BYZ_EINVAL;
	h = calloc(1, sizeof *h);
	if (!h)
		return BYZ_ENOMEM;
	h->cfg = *cfg;
	h->quorum = 2 * cfg->f + 1 - (cfg->mutant == HS_MUT_QUORUM);
	wire_buf_init(&h->scratch, 64u << 20);
	rc = hs_votes_init(h);
	if (!rc)
		rc = app_new(&cfg->app, &h->app);
	if (!rc)
		rc = hs_store_init(&h->store, cfg->window);
	if (!rc)
		rc = hs_pool_init(h);
	if (!rc)
		rc = hs_genesis(h);
	if (!rc && persisted && len)
		rc = hs_persist_restore(h, persisted, len);
	if (rc) {
		hs_destroy((void **)&h);
		return rc;
	}
	/* A restarted replica resumes after the view it last voted in; it
	 * does not propose there (it may have before the crash). */
	h->cur_view = h->voted_view + 1;
	h->proposed = persisted && len;
	*core = h;
	return 0;
}

/*
 * Alg. 4 update(b*): b'' = b*.justify.node, b' = b''.justify.node,
 * b = b'.justify.node. Lock on b' when it is higher than the lock (the
 * two-chain), and decide b when b'' and b' are its direct descendants in
 * consecutive views (the three-chain). Missing links are fetched; update
 * runs again when they arrive.
 */
/*
 * Keep qc (an encoding, or else bs's justify) as our highest commit
 * certificate if it is higher: a QC whose three-chain decided a block, which
 * our TIMEOUTs carry so that a replica that missed it decides too (DiemBFT
 * v4 §4, SyncInfo's highest_commit_cert).
 */
static int hs_keep_commit_qc(struct hs *h, uint64_t qc_view,
			     const struct hs_block *bs, const uint8_t *qc,
			     size_t qc_len)
{
	struct wire_msg m;
	int rc;

	if (qc_view <= h->commit_qc_view)
		return 0;
	if (!qc) {
		rc = wire_decode(bs->frame.p, bs->frame.len, &m);
		assert(rc == 0); /* authenticated when it arrived */
		if (rc)
			return rc;
		qc = hs_of(&m)->prop.justify.bytes;
		qc_len = hs_of(&m)->prop.justify.len;
	}
	if ((rc = byz_bytes_set(&h->commit_qc, qc, qc_len)))
		return rc;
	h->commit_qc_view = qc_view;
	return 0;
}

/*
 * Alg. 4 update(b*) for a b* known by its justify QC (view, hash): the rule
 * reads nothing else of b*, so a QC alone (a highQC or a commit certificate
 * learnt from a TIMEOUT) decides as much as a proposal carrying it would.
 * b'' = b*.justify.node, b' = b''.justify.node, b = b'.justify.node. Lock
 * on b' when it is higher than the lock (the two-chain), and decide b when
 * b'' and b' are its direct descendants in consecutive views (the
 * three-chain). Missing links are fetched; update runs again when they
 * arrive. The QC's encoding is qc (or, if NULL, the justify of bs).
 */
static int hs_update_chain(struct hs *h, struct byz_outbox *ob,
			   uint64_t qc_view, const uint8_t *qc_hash,
			   const struct hs_block *bs, const uint8_t *qc,
			   size_t qc_len)
{
	const struct hs_block *b2, *b1;
	int rc;

	if (qc_view <= h->exec_view)
		return 0; /* nothing here above what we executed */
	b2 = hs_store_find(&h->store, qc_hash);
	if (!b2)
		return hs_fetch_want(h, ob, qc_hash, UINT32_MAX);
	if (b2->justify_view > h->locked_view)
		hs_rule(h, HS_MUT_LOCK_FROZEN);
	if (b2->justify_view > h->locked_view &&
	    !hs_mut(h, HS_MUT_LOCK_FROZEN)) {
		struct wire_msg m;
		rc = wire_decode(b2->frame.p, b2->frame.len, &m);
		assert(rc == 0);
		if (rc)
			return rc;
		/* PODC'19 Alg. 4: b_lock <- b' (lockedQC = b''.justify). */
		if ((rc = byz_bytes_set(&h->locked,
					hs_of(&m)->prop.justify.bytes,
					hs_of(&m)->prop.justify.len)))
			return rc;
		h->locked_view = b2->justify_view;
		memcpy(h->locked_hash, b2->parent, BYZ_DIGEST_BYTES);
		h->dirty_lock = true;
	}
	if (b2->justify_view > h->exec_view &&
	    !(h->commit_pending && h->commit_view >= b2->justify_view))
		hs_rule(h, HS_MUT_TWO_CHAIN);
	if (hs_mut(h, HS_MUT_TWO_CHAIN)) {
		/* The mutant: b' decided on the two-chain b' <- b''. */
		if (b2->justify_view <= h->exec_view ||
		    (h->commit_pending && h->commit_view >= b2->justify_view))
			return 0;
		if (!h->commit_pending)
			h->pending_since = h->now;
		h->commit_pending = true;
		h->commit_view = b2->justify_view;
		memcpy(h->commit_hash, b2->parent, BYZ_DIGEST_BYTES);
		return 0;
	}
	if (b2->view != b2->justify_view + 1 && b2->justify_view > h->exec_view)
		hs_rule(h, HS_MUT_NONCONSECUTIVE);
	if ((b2->view != b2->justify_view + 1 &&
	     !hs_mut(h, HS_MUT_NONCONSECUTIVE)) ||
	    b2->justify_view <= h->exec_view)
		return 0;
	b1 = hs_store_find(&h->store, b2->parent);
	if (!b1)
		return hs_fetch_want(h, ob, b2->parent, UINT32_MAX);
	/* Alg. 4: (b''.parent = b') and (b'.parent = b): onCommit(b). */
	if (b1->view != b1->justify_view + 1 && b1->justify_view > h->exec_view)
		hs_rule(h, HS_MUT_NONCONSECUTIVE);
	if ((b1->view != b1->justify_view + 1 &&
	     !hs_mut(h, HS_MUT_NONCONSECUTIVE)) ||
	    b1->justify_view <= h->exec_view)
		return 0;
	if ((rc = hs_keep_commit_qc(h, qc_view, bs, qc, qc_len)))
		return rc;
	if (h->commit_pending && h->commit_view >= b1->justify_view)
		return 0;
	if (!h->commit_pending)
		h->pending_since = h->now;
	h->commit_pending = true;
	h->commit_view = b1->justify_view;
	memcpy(h->commit_hash, b1->parent, BYZ_DIGEST_BYTES);
	return 0;
}

int hs_update(struct hs *h, struct byz_outbox *ob, const struct hs_block *bs)
{
	return hs_update_chain(h, ob, bs->justify_view, bs->parent, bs, NULL,
			       0);
}

int hs_update_qc(struct hs *h, struct byz_outbox *ob, const struct hs_qc *qc)
{
	return hs_update_chain(h, ob, qc->view, qc->hash, NULL, qc->bytes,
			       qc->len);
}

/*
 * PODC'19 Alg. 4 safeNode(b, qc): b extends the locked block, or its
 * justify is newer than the lock (the liveness rule). With parent =
 * justify.node, b extends the lock iff its justify is the lock or a QC
 * above it, so no walk is needed.
 */
static bool hs_safe_node(const struct hs *h, const struct hs_proposal *p)
{
	if (p->justify.view > h->locked_view)
		return true;
	if (p->justify.view == h->locked_view &&
	    memcmp(p->justify.hash, h->locked_hash, BYZ_DIGEST_BYTES) == 0)
		return true;
	hs_rule(h, HS_MUT_SAFENODE);
	return hs_mut(h, HS_MUT_SAFENODE);
}

/* Check a proposal's content and proofs; NULL if fine, else why not. */
static const char *hs_proposal_invalid(const struct hs *h,
				       const struct wire_msg *m)
{
	const struct hs_proposal *p = &hs_of(m)->prop;
	const char *why;

	if (m->frame.sender != hs_leader(h, p->view))
		hs_rule(h, HS_MUT_LEADER);
	if (m->frame.sender != hs_leader(h, p->view) &&
	    !hs_mut(h, HS_MUT_LEADER))
		return "not the leader of its view";
	if (p->view <= p->justify.view)
		return "view not above its justify";
	if ((why = hs_qc_check(h, &p->justify)))
		return why;
	if (p->tc.count && (why = hs_tc_check(h, &p->tc, p->view - 1))) {
		hs_rule(h, HS_MUT_TC_UNCHECKED);
		if (!hs_mut(h, HS_MUT_TC_UNCHECKED))
			return why;
	}
	return NULL;
}

/*
 * A proposal for view v (from its leader; our own comes back by loopback,
 * signed). Check it, store the block, let its QC or TC move us to v,
 * run update, and vote if safeNode holds and we have not voted in v.
 * The vote goes to the next leader, after the PERSIST that records it.
 */
static int hs_on_proposal(struct hs *h, struct byz_outbox *ob,
			  const struct wire_msg *m)
{
	const struct hs_proposal *p = &hs_of(m)->prop;
	uint8_t hash[BYZ_DIGEST_BYTES];
	struct hs_block *b;
	const char *why;
	size_t start;
	uint32_t next;
	int rc;

	if ((why = hs_proposal_invalid(h, m)))
		return byz_out_drop(ob, m, why);
	hs_block_hash(p, hash);
	b = hs_store_find(&h->store, hash);
	if (!b && p->view <= h->exec_view)
		return 0; /* below what we executed: nothing to learn */
	if (!b) {
		/* One direct proposal per view: a second is equivocation. */
		for (uint32_t i = 0; i < h->store.cap; i++) {
			const struct hs_block *o = &h->store.b[i];
			if (o->used && o->view == p->view)
				hs_rule(h, HS_MUT_VOTE_TWICE);
			if (o->used && o->view == p->view &&
			    !hs_mut(h, HS_MUT_VOTE_TWICE))
				return byz_out_drop(ob, m,
						    "equivocation: a second "
						    "block for its view");
		}
		if (p->view > h->cur_view && p->justify.view + 1 != p->view &&
		    !p->tc.count)
			return byz_out_drop(ob, m,
					    "view ahead without a QC or TC "
					    "for the view before");
		rc = hs_store_add(h, hash, p->view, p->justify.view,
				  p->justify.hash, m->frame.bytes, m->frame.len,
				  &b);
		if (rc == BYZ_ELIMIT)
			return byz_out_drop(ob, m, "block store full");
		if (rc)
			return rc;
	}
	if ((rc = hs_high_qc(h, &p->justify)))
		return rc;
	if (p->tc.count && p->view - 1 > h->tc_view) {
		/* Keep the TC: we may lead a later view and need a proof. */
		size_t pos = 0;
		struct wire_msg t;
		h->tc_count = 0;
		h->tc_view = p->view - 1;
		while (wire_frames_next(&p->tc, &pos, &t) == 1 &&
		       h->tc_count < HS_MAX_SIGNERS) {
			if (h->tc_count >= h->tc_used)
				h->tc_used = h->tc_count + 1;
			if ((rc = byz_bytes_set(&h->tc[h->tc_count++],
						t.frame.bytes, t.frame.len)))
				return rc;
		}
	}
	/* In step: on a QC of the view before, whose block it holds (else
	 * it cannot vote yet, see below). */
	if (p->view > h->cur_view &&
	    (rc = hs_enter_view(
		 h, ob, p->view,
		 p->justify.view + 1 == p->view &&
		     (p->justify.view <= h->exec_view ||
		      hs_store_find(&h->store, p->justify.hash)))))
		return rc;
	if ((rc = hs_update(h, ob, b)) || (rc = hs_try_execute(h, ob)))
		return rc;
	/* It came after a descendant (reordered, or fetched around): that
	 * descendant's update may now find its links. */
	for (uint32_t i = 0; i < h->store.cap; i++)
		if (h->store.b[i].used && h->store.b[i].view > p->view) {
			if ((rc = hs_reupdate(h, ob)))
				return rc;
			break;
		}
	if (p->view == h->cur_view && !h->timed_out && p->view <= h->voted_view)
		hs_rule(h, HS_MUT_VOTE_TWICE);
	if (p->view != h->cur_view || h->timed_out ||
	    (p->view <= h->voted_view && !hs_mut(h, HS_MUT_VOTE_TWICE)))
		return 0; /* not ours to vote on now */
	/* Alg. 4 runs update(b*) with the chain in hand before the vote: a
	 * vote for b* is a promise to be locked on b' = b*.justify.node's
	 * justify. Without b*.justify.node (being fetched) update could not
	 * move the lock, so no vote yet; the fetched block brings the
	 * proposal back (hs_vote_deferred). Found by the lock oracle: a
	 * replica voted without the block, then for a fork below b'. */
	if (p->justify.view > h->exec_view &&
	    !hs_store_find(&h->store, p->justify.hash)) {
		h->deferred_view = p->view;
		memcpy(h->deferred_hash, hash, BYZ_DIGEST_BYTES);
		return byz_out_note(ob,
				    "vote in view %" PRIu64
				    " deferred: its justify's block is "
				    "being fetched",
				    p->view);
	}
	if (!hs_safe_node(h, p)) {
		char hx[9];
		hs_hex8(hx, h->locked_hash);
		return byz_out_note(ob,
				    "safeNode rejects block view %" PRIu64
				    ": justify view %" PRIu64
				    " neither extends the lock (view %" PRIu64
				    ", %s) nor is higher",
				    p->view, p->justify.view, h->locked_view,
				    hx);
	}
	/* Vote: persist the voted view (and lock) first (core.h). */
	h->voted_view = p->view;
	h->dirty_vote = !hs_mut(h, HS_MUT_VOTE_NOT_PERSISTED);
	if ((rc = hs_persist_flush(h, ob)))
		return rc;
	next = hs_leader(h, p->view + 1);
	if ((rc = hs_enc_vote(&ob->bytes, &start, h->cfg.id, p->view, hash)) ||
	    (rc = byz_out_send(ob, next, start)))
		return rc;
	/* A signed copy of our own vote, for our TIMEOUTs. */
	if (next != h->cfg.id && (rc = byz_out_send(ob, h->cfg.id, start)))
		return rc;
	/* Done with this view: wait for the next one's proposal. (The
	 * mutant stays, to vote again.) */
	if (hs_mut(h, HS_MUT_VOTE_TWICE))
		return 0;
	return hs_enter_view(h, ob, p->view + 1, true);
}

int hs_vote_deferred(struct hs *h, struct byz_outbox *ob)
{
	const struct hs_block *b;
	struct wire_msg m;

	if (!h->deferred_view)
		return 0;
	if (h->deferred_view != h->cur_view || h->timed_out ||
	    h->voted_view >= h->deferred_view) {
		h->deferred_view = 0; /* the view moved on: nothing to vote */
		return 0;
	}
	if (!(b = hs_store_find(&h->store, h->deferred_hash)) ||
	    !hs_store_find(&h->store, b->parent))
		return 0; /* still fetching */
	h->deferred_view = 0;
	if (wire_decode(b->frame.p, b->frame.len, &m))
		return 0;
	return hs_on_proposal(h, ob, &m);
}

static int hs_on_message(struct hs *h, struct byz_outbox *ob,
			 const struct wire_msg *m)
{
	if (m->frame.sender >= h->cfg.n)
		return byz_out_drop(ob, m, "sender is not a replica");
	switch (m->frame.type) {
	case HS_PROPOSAL: {
		/* It may be the block a deferred vote waits for. */
		int rc = hs_on_proposal(h, ob, m);
		return rc ? rc : hs_vote_deferred(h, ob);
	}
	case HS_VOTE:
		return hs_on_vote(h, ob, m);
	case HS_TIMEOUT:
		return hs_on_timeout(h, ob, m);
	case HS_FETCH:
		return hs_on_fetch(h, ob, m);
	case HS_BLOCKS:
		return hs_on_blocks(h, ob, m);
	case HS_STATE_REQ:
		return hs_on_state_req(h, ob, m);
	case HS_STATE:
		return hs_on_state(h, ob, m);
	}
	return byz_out_drop(ob, m, "unknown type");
}

static int hs_step(void *core, const struct byz_event *ev,
		   struct byz_outbox *ob)
{
	struct hs *h = core;
	int rc = 0;

	assert(!h->in_step);
	h->in_step = true;
	h->now = ev->now;
	switch (ev->kind) {
	case BYZ_EV_START:
		rc = byz_out_view(ob, h->cur_view, hs_leader(h, h->cur_view),
				  false, true);
		if (!rc)
			rc = hs_arm_timer(h, ob);
		if (!rc)
			rc = hs_try_propose(h, ob);
		break;
	case BYZ_EV_MESSAGE:
		if (ev->u.msg->frame.proto == HS_PROTO)
			rc = hs_on_message(h, ob, ev->u.msg);
		break;
	case BYZ_EV_REQUEST:
		rc = hs_on_request(h, ob, ev->u.msg);
		break;
	case BYZ_EV_TIMER:
		if (ev->u.timer == HS_TIMER_VIEW)
			rc = hs_on_view_timer(h, ob);
		else if (ev->u.timer == HS_TIMER_FETCH)
			rc = hs_on_fetch_timer(h, ob);
		break;
	case BYZ_EV_PERSISTED:
		break;
	}
	/* What changed and is not yet durable, then the replies it backs. */
	if (!rc)
		rc = hs_persist_flush(h, ob);
	if (!rc)
		rc = byz_reqpool_send_replies(&h->pool, h->app, ob, h->cfg.id,
					      h->cur_view);
	ob->rules |= h->rule_hits;
	h->rule_hits = 0;
	h->pool.nreply = 0;
	h->in_step = false;
	return rc;
}

/*
 * After GST a request commits once three consecutive views with honest
 * leaders (and an honest fourth to collect the last QC) follow it. With
 * at most f failed leaders in a row, each costing one view timer (at most
 * timeout << HS_BACKOFF_MAX before progress resets it) plus a TC round,
 * and a few network rounds per view, this bound holds with room.
 */
static uint64_t hs_liveness_bound(const struct byz_config *cfg,
				  uint64_t max_latency_us)
{
	uint64_t views = 2ull * cfg->f + 8;

	return views *
		   ((cfg->timeout_us << HS_BACKOFF_MAX) + 4 * max_latency_us) +
	       (uint64_t)cfg->window * 4 * max_latency_us;
}

static const char *const hs_timer_names[] = {
    [HS_TIMER_VIEW] = "view",
    [HS_TIMER_FETCH] = "fetch",
    NULL,
};

/* PODC'19 §4: a QC holds n-f = 2f+1 votes, each cast after the request was
 * seen. */
static uint32_t hs_decision_quorum(uint32_t n, uint32_t f)
{
	(void)n;
	return 2 * f + 1;
}

const struct byz_core_ops hotstuff_core_ops = {
    .name = "hotstuff",
    .proto = HS_PROTO,
    .summary = "chained HotStuff (PODC'19), TIMEOUT/TC pacemaker",
    .first_leader = 1, /* hs_leader(1): view 1 is the first */
    .decision_quorum = hs_decision_quorum,
    .first_view = 1,
    .audit_shared = sizeof(struct hs_audit_shared),
    .audit_lock_st = sizeof(struct hs_audit_lock),
    .audit_lock = hs_audit_lock,
    .audit_decide = hs_audit_decide,
    .timer_names = hs_timer_names,
    .describe_record = hs_describe_record,
    .create = hs_create,
    .destroy = hs_destroy,
    .step = hs_step,
    .liveness_bound_us = hs_liveness_bound,
    .limits = &hs_limits,
    .check_config = hs_check_config,
    .mutants = hs_mutants,
    .audit = hs_audit,
    .complexity = &hotstuff_complexity,
};
