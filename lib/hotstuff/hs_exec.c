/*
 * hs_exec.c - client requests: the pending pool, batches for new blocks,
 * executing the decided prefix in order, and the replies.
 *
 * Clients broadcast each signed request to every replica, so any leader
 * can propose it. The pool keeps each client's newest request that the
 * application has not executed (one entry per client: max_clients
 * entries). A leader leaves out requests already on the chain it extends;
 * the application's client table (TOCS'02 §4.1) makes execution
 * at-most-once whatever a block holds. One COMMIT per executed request:
 * height = the application's height after it, slot = the block's view.
 */
#include "hs_core.h"

#include "err.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int hs_pool_init(struct hs *h)
{
	return byz_reqpool_init(&h->pool, h->cfg.max_clients, HS_REQ_MAX);
}

void hs_pool_free(struct hs *h)
{
	byz_reqpool_free(&h->pool);
	free(h->commits);
	h->commits = NULL;
}

/*
 * A client's request. Executed already: answer again from the client
 * table. New: pool it (replacing an older one of the same client), start
 * the view timer if it is the first work, and propose if we lead.
 */
int hs_on_request(struct hs *h, struct byz_outbox *ob, const struct wire_msg *m)
{
	const char *why = NULL;
	int rc = byz_reqpool_offer(&h->pool, h->app, m, &why);

	if (rc < 0)
		return rc;
	if (rc == BYZ_OFFER_REFUSED)
		return byz_out_drop(ob, m, why);
	if (rc == BYZ_OFFER_NONE)
		return 0;
	if (rc == BYZ_OFFER_ADDED && h->pool.count == 1 &&
	    (rc = hs_arm_timer(h, ob)))
		return rc;
	return hs_try_propose(h, ob);
}

/*
 * The requests on the undecided chain ending at block `parent`: for each
 * client, the newest timestamp there (in ts[], max_clients entries).
 */
static void hs_inflight(struct hs *h, const uint8_t *parent, uint64_t *ts)
{
	const struct hs_block *b = hs_store_find(&h->store, parent);

	memset(ts, 0, h->cfg.max_clients * sizeof *ts);
	for (uint32_t k = 0; b && !b->committed && k < h->store.cap; k++) {
		struct wire_msg m, r;
		size_t pos = 0;
		if (wire_decode(b->frame.p, b->frame.len, &m))
			break;
		while (wire_frames_next(&hs_of(&m)->prop.batch, &pos, &r) == 1)
			if (r.u.request.client < h->cfg.max_clients &&
			    r.u.request.timestamp > ts[r.u.request.client])
				ts[r.u.request.client] = r.u.request.timestamp;
		b = hs_store_find(&h->store, b->parent);
	}
}

size_t hs_make_batch(struct hs *h, const uint8_t *parent,
		     const uint8_t **frames, size_t *lens, size_t max)
{
	uint32_t nc = h->cfg.max_clients;
	uint64_t *ts = calloc(nc, sizeof *ts);
	size_t k = 0;

	if (!ts)
		return 0; /* an empty block still moves the chain */
	hs_inflight(h, parent, ts);
	/* Start at a client that rotates with the view, for fairness. */
	for (uint32_t i = 0; i < nc && k < max; i++) {
		uint32_t c = (uint32_t)((h->cur_view + i) % nc);
		if (h->pool.slot[c].ts && h->pool.slot[c].ts > ts[c]) {
			frames[k] = h->pool.slot[c].frame;
			lens[k++] = h->pool.slot[c].len;
		}
	}
	free(ts);
	return k;
}

/* Keep a COMMIT until the STATE record holding its effect is written: a
 * replica that crashed between the two would report the height again
 * after the restart, or report a state it cannot show (core.h: an output
 * after a PERSIST is carried out once that PERSIST is durable). */
int hs_commit_later(struct hs *h, const struct byz_commit *c)
{
	if (h->ncommits == h->commits_cap) {
		uint32_t cap = h->commits_cap ? 2 * h->commits_cap : 16;
		struct byz_commit *nc = realloc(h->commits, cap * sizeof *nc);
		if (!nc)
			return BYZ_ENOMEM;
		h->commits = nc;
		h->commits_cap = cap;
	}
	h->commits[h->ncommits++] = *c;
	return 0;
}

int hs_send_commits(struct hs *h, struct byz_outbox *ob)
{
	int rc = 0;

	for (uint32_t i = 0; i < h->ncommits && !rc; i++)
		rc = byz_out_commit(ob, &h->commits[i]);
	h->ncommits = 0;
	return rc;
}

/* Execute one block's batch in order. */
static int hs_execute_block(struct hs *h, struct byz_outbox *ob,
			    struct hs_block *b)
{
	struct wire_msg m, r;
	size_t pos = 0;
	int rc = wire_decode(b->frame.p, b->frame.len, &m);

	assert(rc == 0); /* authenticated when it arrived; our own copy */
	if (rc)
		return rc;
	while (wire_frames_next(&hs_of(&m)->prop.batch, &pos, &r) == 1) {
		const struct wire_request *q = &r.u.request;
		const uint8_t *res;
		size_t reslen;
		struct byz_commit c;
		int out = app_execute(h->app, q->client, q->timestamp, q->op,
				      q->op_len, &res, &reslen);

		if (out < 0) {
			if ((rc = byz_out_note(ob,
					       "view %" PRIu64
					       ": client %" PRIu32
					       " out of range, skipped",
					       b->view, q->client)))
				return rc;
			continue;
		}
		byz_reqpool_done(&h->pool, q->client, q->timestamp);
		if (out == APP_STALE)
			continue;
		byz_reqpool_want_reply(&h->pool, q->client);
		if (out != APP_EXECUTED)
			continue;
		memset(&c, 0, sizeof c);
		c.height = app_height(h->app);
		c.slot = b->view;
		c.client = q->client;
		c.timestamp = q->timestamp;
		byz_digest(c.request_digest, q->op, q->op_len);
		app_state_digest(h->app, c.state_digest);
		if ((rc = hs_commit_later(h, &c)))
			return rc;
	}
	b->committed = true;
	h->store.ncommitted++;
	h->exec_view = b->view;
	h->exec_depth++;
	memcpy(h->exec_hash, b->hash, BYZ_DIGEST_BYTES);
	return hs_checkpoint_take(h);
}

/*
 * Execute the decided block and its undecided ancestors, oldest first
 * (Alg. 4 onCommit: commit the parent first). A missing ancestor is
 * fetched and execution waits for it. An ancestor at or below the
 * executed view that is not the executed block means we were asked to
 * commit a block that conflicts with one we committed: a safety breach
 * that more than f faulty replicas could cause. Say so loudly and refuse:
 * the conflicting block is never executed.
 */
int hs_try_execute(struct hs *h, struct byz_outbox *ob)
{
	struct hs_block **chain;
	const uint8_t *hash;
	uint32_t n = 0;
	int rc = 0;

	if (!h->commit_pending)
		return 0;
	if (h->commit_view <= h->exec_view &&
	    !memcmp(h->commit_hash, h->exec_hash, BYZ_DIGEST_BYTES)) {
		h->commit_pending = false;
		return 0;
	}
	chain = malloc(h->store.cap * sizeof *chain);
	if (!chain)
		return BYZ_ENOMEM;
	hash = h->commit_hash;
	while (memcmp(hash, h->exec_hash, BYZ_DIGEST_BYTES)) {
		struct hs_block *b = hs_store_find(&h->store, hash);
		char hx[9], he[9];

		if (!b && !hs_is_genesis(hash)) {
			rc = hs_fetch_want(h, ob, hash, UINT32_MAX);
			if (!rc)
				rc = hs_state_maybe_ask(h, ob);
			goto out;
		}
		/* Genesis, or a block at or below the executed view, on the
		 * way down: the chain forks off below what we executed. */
		if (!b || b->view <= h->exec_view || n == h->store.cap) {
			hs_hex8(hx, h->commit_hash);
			hs_hex8(he, h->exec_hash);
			h->conflicts++;
			h->commit_pending = false;
			rc = byz_out_note(ob,
					  "SAFETY: refusing to commit "
					  "block %s (view %" PRIu64
					  "): it conflicts with committed "
					  "block %s (view %" PRIu64 ")",
					  hx, h->commit_view, he, h->exec_view);
			goto out;
		}
		chain[n++] = b;
		hash = b->parent;
	}
	while (n > 0 && !rc)
		rc = hs_execute_block(h, ob, chain[--n]);
	if (rc)
		goto out;
	h->commit_pending = false;
	h->pending_since = h->now;
	h->backoff = 0;
	h->dirty_state = true;
	hs_store_prune(h);
out:
	free(chain);
	return rc;
}
