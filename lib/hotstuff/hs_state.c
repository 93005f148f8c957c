/*
 * hs_state.c - catch-up by snapshot (issue #10 item 2): a replica any
 * distance behind, whose missing blocks the others no longer hold (they
 * keep 2 x window committed blocks, hs_blocks.c), installs a snapshot of
 * the application state instead of executing those blocks.
 *
 * Checkpoints. A block's depth is the number of blocks executed from
 * genesis up to and including it: every honest replica executes the same
 * chain (the three-chain commit rule, PODC'19 Alg. 4), so the same depth
 * names the same block and, executed deterministically, the same state.
 * After executing a block whose depth is a multiple of K = min(checkpoint
 * interval, window), a replica keeps the application snapshot there (one,
 * the newest). K <= window < 2 x window keeps the blocks above a checkpoint
 * in the servers' stores, so a replica that installs one fetches the rest.
 *
 * Asking. A replica that knows of a decided block it cannot execute
 * (commit_pending) and has made no progress on it for two timeouts
 * broadcasts STATE_REQ(its depth), at most once per timeout. A replica
 * whose checkpoint is deeper answers with STATE: the checkpoint's depth,
 * block view and hash, the snapshot, and its highest commit certificate
 * (so that the asker goes on from there); at most one answer per peer per
 * half timeout.
 *
 * Trusting. A snapshot is not bound by any certificate: chained HotStuff
 * blocks and votes do not sign application state. So the receiver keeps
 * each sender's newest claim (depth, block, digest of the snapshot it
 * sent, computed by restoring it) and installs a snapshot only when f+1
 * distinct replicas claim the same: then at least one honest replica
 * executed up to that block, which is therefore decided, and holds that
 * state (Castro and Liskov's state transfer trusts f+1 matching replies
 * the same way, TOCS'02 §6.2.2). The commit certificate each STATE carries is
 * checked like any QC; it speaks only to what was decided above the checkpoint.
 */
#include "hs_core.h"

#include "err.h"

#include <inttypes.h>
#include <string.h>

uint32_t hs_snapshot_interval(const struct hs *h)
{
	uint32_t k = h->cfg.checkpoint_interval;

	return k && k < h->cfg.window ? k : h->cfg.window;
}

int hs_checkpoint_take(struct hs *h)
{
	struct wire_buf b;
	int rc;

	if (h->exec_depth % hs_snapshot_interval(h))
		return 0;
	wire_buf_init(&b, WIRE_MAX_FRAME);
	rc = app_snapshot(h->app, &b);
	if (!rc)
		rc = b.err;
	if (!rc)
		rc = byz_bytes_set(&h->ckpt, b.data, b.len);
	wire_buf_free(&b);
	if (rc)
		return rc;
	h->ckpt_depth = h->exec_depth;
	h->ckpt_view = h->exec_view;
	memcpy(h->ckpt_hash, h->exec_hash, BYZ_DIGEST_BYTES);
	return 0;
}

int hs_state_maybe_ask(struct hs *h, struct byz_outbox *ob)
{
	size_t start;
	int rc;

	if (!h->commit_pending || h->cfg.n < 2 ||
	    h->now < h->pending_since + 2 * h->cfg.timeout_us ||
	    (h->state_asked_at &&
	     h->now < h->state_asked_at - 1 + h->cfg.timeout_us))
		return 0;
	h->state_asked_at = h->now + 1;
	if ((rc = byz_out_note(ob,
			       "decided view %" PRIu64
			       " unreachable from depth %" PRIu64
			       ": ask for a snapshot",
			       h->commit_view, h->exec_depth)) ||
	    (rc = hs_enc_state_req(&ob->bytes, &start, h->cfg.id,
				   h->exec_depth)))
		return rc;
	return byz_out_broadcast(ob, start);
}

int hs_on_state_req(struct hs *h, struct byz_outbox *ob,
		    const struct wire_msg *m)
{
	uint32_t s = m->frame.sender;
	size_t start;
	int rc;

	if (s == h->cfg.id || !h->ckpt.p ||
	    h->ckpt_depth <= hs_of(m)->state_req.depth)
		return 0; /* nothing deeper to give */
	if (h->state_told_at[s] &&
	    h->now < h->state_told_at[s] - 1 + h->cfg.timeout_us / 2)
		return byz_out_drop(ob, m,
				    "answered this replica a moment ago");
	h->state_told_at[s] = h->now + 1;
	if ((rc = hs_enc_state(&ob->bytes, &start, h->cfg.id, h->ckpt_depth,
			       h->ckpt_view, h->ckpt_hash, h->commit_qc.p,
			       h->commit_qc.len, h->ckpt.p, h->ckpt.len)))
		return rc == BYZ_ETOOBIG
			   ? byz_out_drop(ob, m, "snapshot too big to send")
			   : rc;
	return byz_out_send(ob, s, start);
}

/* How many replicas claim exactly what replica s claims. */
static uint32_t hs_claims_matching(const struct hs *h, uint32_t s)
{
	const struct hs_claim *c = &h->claim[s];
	uint32_t k = 0;

	for (uint32_t r = 0; r < h->cfg.n; r++)
		k += h->claim[r].depth == c->depth &&
		     h->claim[r].view == c->view &&
		     !memcmp(h->claim[r].hash, c->hash, BYZ_DIGEST_BYTES) &&
		     !memcmp(h->claim[r].digest, c->digest, BYZ_DIGEST_BYTES);
	return k;
}

/* Install the snapshot `fresh` (its claim is claim[s]): the executed
 * prefix jumps to the checkpoint's block; the COMMIT that reports it (a
 * restore) follows the STATE record that holds it. */
static int hs_install(struct hs *h, struct byz_outbox *ob, uint32_t s,
		      struct app **fresh, const struct hs_state *st)
{
	const struct hs_claim *c = &h->claim[s];
	struct byz_commit rec;
	struct app *old = h->app;
	int rc;

	h->app = *fresh;
	*fresh = old;
	h->exec_depth = c->depth;
	h->exec_view = c->view;
	memcpy(h->exec_hash, c->hash, BYZ_DIGEST_BYTES);
	if (h->commit_pending && h->commit_view <= h->exec_view)
		h->commit_pending = false;
	h->pending_since = h->now;
	h->dirty_state = true;
	for (uint32_t cl = 0; cl < h->cfg.max_clients; cl++)
		byz_reqpool_done(&h->pool, cl, app_last_timestamp(h->app, cl));
	/* Blocks at or below the checkpoint are of no more use, nor are
	 * the fetches for them; what lies above is asked for again. */
	hs_store_prune(h);
	memset(h->fetch, 0, sizeof h->fetch);
	if ((rc = byz_bytes_set(&h->ckpt, st->snapshot, st->snapshot_len)))
		return rc;
	h->ckpt_depth = c->depth;
	h->ckpt_view = c->view;
	memcpy(h->ckpt_hash, c->hash, BYZ_DIGEST_BYTES);
	memset(&rec, 0, sizeof rec);
	rec.restored = true;
	rec.height = app_height(h->app);
	rec.slot = c->view;
	memcpy(rec.state_digest, c->digest, BYZ_DIGEST_BYTES);
	memset(h->claim, 0, sizeof h->claim);
	if ((rc = byz_out_note(ob,
			       "installed the snapshot at depth %" PRIu64
			       " (view %" PRIu64 ", height %" PRIu64
			       "): f+1 replicas sent it",
			       h->exec_depth, h->exec_view, rec.height)) ||
	    (rc = hs_commit_later(h, &rec)))
		return rc;
	/* Go on from the commit certificate that came with it. */
	if (st->commit.view > h->exec_view &&
	    (rc = hs_update_qc(h, ob, &st->commit)))
		return rc;
	return hs_try_execute(h, ob);
}

int hs_on_state(struct hs *h, struct byz_outbox *ob, const struct wire_msg *m)
{
	const struct hs_state *st = &hs_of(m)->state;
	uint32_t s = m->frame.sender, k;
	struct app *fresh = NULL;
	struct hs_claim *c;
	const char *why;
	int rc;

	if (s == h->cfg.id)
		return 0;
	if ((why = hs_qc_check(h, &st->commit)))
		return byz_out_drop(ob, m, why);
	if (st->depth <= h->exec_depth || st->view <= h->exec_view)
		return 0; /* not ahead of us: nothing to learn */
	if ((rc = app_new(&h->cfg.app, &fresh)))
		return rc;
	if (app_restore(fresh, st->snapshot, st->snapshot_len)) {
		app_destroy(&fresh);
		return byz_out_drop(ob, m, "a snapshot that does not restore");
	}
	c = &h->claim[s];
	c->depth = st->depth;
	c->view = st->view;
	memcpy(c->hash, st->hash, BYZ_DIGEST_BYTES);
	app_state_digest(fresh, c->digest);
	k = hs_claims_matching(h, s);
	if (k < h->cfg.f + 1)
		hs_rule(h, HS_MUT_SNAPSHOT_CLAIMS);
	if (k < (hs_mut(h, HS_MUT_SNAPSHOT_CLAIMS) ? 1 : h->cfg.f + 1)) {
		app_destroy(&fresh);
		return byz_out_note(ob,
				    "snapshot at depth %" PRIu64
				    " from r%" PRIu32 ": %" PRIu32
				    " of the f+1 matching "
				    "claims it needs",
				    st->depth, s, k);
	}
	rc = hs_install(h, ob, s, &fresh, st);
	app_destroy(&fresh);
	return rc;
}
