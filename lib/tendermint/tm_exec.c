/*
 * tm_exec.c - client requests: the pending pool, getValue() (line 18),
 * valid(v) (lines 23, 29, 36, 50), executing a decided value (line 51) and
 * the replies.
 *
 * Clients broadcast each signed request to every replica, so any proposer
 * can propose it. The pool keeps each client's newest request that the
 * application has not executed (one entry per client). A value is
 * (height, the application's state digest after height - 1, requests):
 * valid(v) holds when its height is ours and its state digest is ours
 * (Tendermint's "app hash" of the previous block), so a value proposed by
 * a replica that is behind or ahead is not voted for, and a state
 * transfer can be checked against a decided value (tm_sync.c). The
 * application's client table makes execution at-most-once whatever a
 * value holds. One COMMIT per executed request: height = the
 * application's height after it, slot = the decided height.
 */
#include "tm_core.h"

#include "err.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int tm_pool_init(struct tm *t)
{
	return byz_reqpool_init(&t->pool, t->cfg.max_clients, TM_REQ_MAX);
}

void tm_pool_free(struct tm *t)
{
	byz_reqpool_free(&t->pool);
	free(t->commits);
	t->commits = NULL;
}

int tm_on_request(struct tm *t, struct byz_outbox *ob, const struct wire_msg *m)
{
	const char *why = NULL;
	int rc = byz_reqpool_offer(&t->pool, t->app, m, &why);

	if (rc == BYZ_OFFER_REFUSED)
		return byz_out_drop(ob, m, why);
	return rc < 0 ? rc : 0;
}

int tm_get_value(struct tm *t, struct wire_buf *b)
{
	const uint8_t *frames[TM_MAX_BATCH];
	size_t lens[TM_MAX_BATCH], k = 0;
	uint32_t nc = t->cfg.max_clients;

	/* Start at a client that rotates with the height, for fairness. */
	for (uint32_t i = 0; i < nc && k < t->cfg.batch && k < TM_MAX_BATCH;
	     i++) {
		uint32_t c = (uint32_t)((t->h + i) % nc);
		if (t->pool.slot[c].ts) {
			frames[k] = t->pool.slot[c].frame;
			lens[k++] = t->pool.slot[c].len;
		}
	}
	return tm_enc_value(b, t->h, t->state_digest, frames, lens, k);
}

const char *tm_valid(const struct tm *t, const struct tm_proposal *p)
{
	struct wire_msg r;
	size_t pos = 0;

	if (p->height != t->h)
		return "value of another height";
	if (memcmp(p->prev_state, t->state_digest, BYZ_DIGEST_BYTES))
		return "value built on another state";
	if (p->batch.count > t->cfg.batch)
		return "more requests than a batch";
	while (wire_frames_next(&p->batch, &pos, &r) == 1)
		if (r.u.request.client >= t->cfg.max_clients)
			return "request of a client beyond max_clients";
	return NULL;
}

int tm_commit_later(struct tm *t, const struct byz_commit *c)
{
	if (t->ncommits == t->commits_cap) {
		uint32_t cap = t->commits_cap ? 2 * t->commits_cap : 16;
		struct byz_commit *x = realloc(t->commits, cap * sizeof *x);
		if (!x)
			return BYZ_ENOMEM;
		t->commits = x;
		t->commits_cap = cap;
	}
	t->commits[t->ncommits++] = *c;
	return 0;
}

int tm_execute(struct tm *t, struct byz_outbox *ob, const struct tm_proposal *p)
{
	struct wire_msg r;
	size_t pos = 0;
	int rc;

	while (wire_frames_next(&p->batch, &pos, &r) == 1) {
		const struct wire_request *q = &r.u.request;
		const uint8_t *res;
		size_t reslen;
		struct byz_commit c;
		int out = app_execute(t->app, q->client, q->timestamp, q->op,
				      q->op_len, &res, &reslen);
		if (out < 0) {
			if ((rc = byz_out_note(ob,
					       "h=%" PRIu64 ": client %" PRIu32
					       " out of range, skipped",
					       t->h, q->client)))
				return rc;
			continue;
		}
		if (out == APP_STALE)
			continue;
		if (out == APP_DUPLICATE) {
			byz_reqpool_want_reply(&t->pool, q->client);
			continue;
		}
		memset(&c, 0, sizeof c);
		c.height = app_height(t->app);
		c.slot = t->h;
		c.client = q->client;
		c.timestamp = q->timestamp;
		byz_digest(c.request_digest, q->op, q->op_len);
		app_state_digest(t->app, c.state_digest);
		if ((rc = tm_commit_later(t, &c)))
			return rc;
		byz_reqpool_done(&t->pool, q->client, q->timestamp);
		byz_reqpool_want_reply(&t->pool, q->client);
	}
	app_state_digest(t->app, t->state_digest);
	t->dirty = true;
	return 0;
}

int tm_flush_commits(struct tm *t, struct byz_outbox *ob)
{
	int rc = 0;

	for (uint32_t i = 0; i < t->ncommits && !rc; i++)
		rc = byz_out_commit(ob, &t->commits[i]);
	t->ncommits = 0;
	if (!rc)
		rc = byz_reqpool_send_replies(&t->pool, t->app, ob, t->cfg.id,
					      tm_view(t->h, t->round));
	t->pool.nreply = 0;
	return rc;
}
