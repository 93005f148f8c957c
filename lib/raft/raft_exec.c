/*
 * raft_exec.c - client requests: the pending slots, the entries a leader
 * builds of them, executing committed entries, replies.
 *
 * Clients broadcast each signed request to every replica (lib/client.h),
 * so every replica keeps each client's newest request not yet executed
 * (one slot per client: bounded), and whichever replica leads appends
 * the pending ones to its log (§5.3: "the leader appends the command to
 * its log as a new entry"), a new leader too. Every replica executes an
 * entry once it knows it committed (§5.3, Figure 2 "If commitIndex >
 * lastApplied: ... apply log[lastApplied] to state machine") and replies
 * to the client, which accepts f+1 matching replies. The application's
 * client table makes execution at-most-once per client timestamp,
 * whatever entries hold (a request may be in two entries: one a deposed
 * leader appended, one its successor appended again). One COMMIT per
 * executed request: height = the application's height after it, slot =
 * the log index.
 */
#include "raft_core.h"

#include "err.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int raft_pool_init(struct raft *t)
{
	return byz_reqpool_init(&t->pool, t->cfg.max_clients, RAFT_REQ_MAX);
}

void raft_pool_free(struct raft *t)
{
	byz_reqpool_free(&t->pool);
	free(t->commits);
	t->commits = NULL;
}

int raft_on_request(struct raft *t, struct byz_outbox *ob,
		    const struct wire_msg *m)
{
	const char *why = NULL;
	int rc = byz_reqpool_offer(&t->pool, t->app, m, &why);

	if (rc == BYZ_OFFER_REFUSED)
		return byz_out_drop(ob, m, why);
	return rc < 0 ? rc : 0;
}

void raft_pool_mark_logged(struct raft *t)
{
	for (uint32_t c = 0; c < t->cfg.max_clients; c++)
		t->pool.slot[c].mark = false;
	for (uint64_t i = t->commit + 1; i <= t->last; i++) {
		const struct raft_ent *e = raft_ent_at(t, i);
		struct raft_entry x;
		struct wire_msg r;
		size_t pos = 0;
		if (!e || raft_entry_decode(e->b.p, e->b.len, &x))
			continue;
		while (wire_frames_next(&x.batch, &pos, &r) == 1) {
			uint32_t c = r.u.request.client;
			if (c < t->cfg.max_clients && t->pool.slot[c].ts &&
			    r.u.request.timestamp >= t->pool.slot[c].ts)
				t->pool.slot[c].mark = true;
		}
	}
}

int raft_pool_take(struct raft *t, size_t *count)
{
	const uint8_t *frames[RAFT_MAX_BATCH];
	size_t lens[RAFT_MAX_BATCH], k = 0;
	uint32_t nc = t->cfg.max_clients;

	/* Start at a client that rotates with the index, for fairness. */
	for (uint32_t i = 0; i < nc && k < t->cfg.batch && k < RAFT_MAX_BATCH;
	     i++) {
		uint32_t c = (uint32_t)((t->last + i) % nc);
		struct byz_request_slot *p = &t->pool.slot[c];
		if (p->ts && !p->mark) {
			frames[k] = p->frame;
			lens[k++] = p->len;
			p->mark = true;
		}
	}
	*count = k;
	wire_buf_reset(&t->scratch);
	return raft_enc_entry(&t->scratch, t->term, frames, lens, k);
}

int raft_commit_later(struct raft *t, const struct byz_commit *c)
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

/* Execute entry i's requests. */
static int exec_entry(struct raft *t, struct byz_outbox *ob, uint64_t i,
		      bool emit)
{
	const struct raft_ent *e = raft_ent_at(t, i);
	struct raft_entry x;
	struct wire_msg r;
	size_t pos = 0;
	int rc;

	if (!e || (rc = raft_entry_decode(e->b.p, e->b.len, &x)))
		return BYZ_ESTATE; /* committed entries are held */
	while (wire_frames_next(&x.batch, &pos, &r) == 1) {
		const struct wire_request *q = &r.u.request;
		const uint8_t *res;
		size_t reslen;
		struct byz_commit c;
		int out = app_execute(t->app, q->client, q->timestamp, q->op,
				      q->op_len, &res, &reslen);
		if (out < 0) {
			if (emit && (rc = byz_out_note(ob,
						       "index %" PRIu64
						       ": client %" PRIu32
						       " out of range, skipped",
						       i, q->client)))
				return rc;
			continue;
		}
		if (out == APP_STALE)
			continue;
		byz_reqpool_done(&t->pool, q->client, q->timestamp);
		if (!emit)
			continue;
		byz_reqpool_want_reply(&t->pool, q->client);
		if (out == APP_DUPLICATE)
			continue;
		memset(&c, 0, sizeof c);
		c.height = app_height(t->app);
		c.slot = i;
		c.client = q->client;
		c.timestamp = q->timestamp;
		byz_digest(c.request_digest, q->op, q->op_len);
		app_state_digest(t->app, c.state_digest);
		if ((rc = raft_commit_later(t, &c)))
			return rc;
	}
	return 0;
}

int raft_apply(struct raft *t, struct byz_outbox *ob, uint64_t upto, bool emit)
{
	int rc;

	if (upto <= t->commit)
		return 0;
	if (upto > t->last)
		return BYZ_ESTATE;
	for (uint64_t i = t->commit + 1; i <= upto; i++) {
		if ((rc = exec_entry(t, ob, i, emit)))
			return rc;
		t->commit = i;
	}
	if (!emit)
		return 0;
	/* Durable before the COMMITs (held to the end of the step). */
	if ((rc = raft_persist_commit(t, ob)))
		return rc;
	return raft_maybe_snapshot(t, ob);
}

int raft_flush_commits(struct raft *t, struct byz_outbox *ob)
{
	int rc = 0;

	for (uint32_t i = 0; i < t->ncommits && !rc; i++)
		rc = byz_out_commit(ob, &t->commits[i]);
	t->ncommits = 0;
	if (!rc)
		rc = byz_reqpool_send_replies(&t->pool, t->app, ob, t->cfg.id,
					      t->term);
	t->pool.nreply = 0;
	return rc;
}
