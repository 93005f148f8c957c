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
	uint32_t c = t->cfg.max_clients;

	t->pool = calloc(c, sizeof *t->pool);
	t->reply_flag = calloc(c, sizeof *t->reply_flag);
	t->reply_list = calloc(c, sizeof *t->reply_list);
	return t->pool && t->reply_flag && t->reply_list ? 0 : BYZ_ENOMEM;
}

void raft_pool_free(struct raft *t)
{
	if (t->pool)
		for (uint32_t c = 0; c < t->cfg.max_clients; c++)
			free(t->pool[c].frame);
	free(t->pool);
	free(t->reply_flag);
	free(t->reply_list);
	free(t->commits);
	t->pool = NULL;
	t->reply_flag = NULL;
	t->reply_list = NULL;
	t->commits = NULL;
}

static void want_reply(struct raft *t, uint32_t c)
{
	if (!t->reply_flag[c]) {
		t->reply_flag[c] = true;
		t->reply_list[t->nreply++] = c;
	}
}

static void pool_done(struct raft *t, uint32_t c, uint64_t ts)
{
	struct raft_pending *p = &t->pool[c];

	if (p->ts && p->ts <= ts) {
		p->ts = 0;
		p->logged = false;
		t->pool_count--;
	}
}

int raft_on_request(struct raft *t, struct byz_outbox *ob,
		    const struct wire_msg *m)
{
	uint32_t c = m->u.request.client;
	uint64_t ts = m->u.request.timestamp;
	struct raft_pending *p;

	if (c >= t->cfg.max_clients)
		return raft_drop(ob, m, "client beyond max_clients");
	if (ts <= app_last_timestamp(t->app, c)) {
		if (ts == app_last_timestamp(t->app, c))
			want_reply(t, c); /* its reply was lost */
		return 0;
	}
	p = &t->pool[c];
	if (ts <= p->ts)
		return 0; /* pending already */
	if (m->frame.len > RAFT_REQ_MAX)
		return raft_drop(ob, m, "request too large");
	if (!p->frame && !(p->frame = malloc(RAFT_REQ_MAX)))
		return BYZ_ENOMEM;
	memcpy(p->frame, m->frame.bytes, m->frame.len);
	p->len = (uint16_t)m->frame.len;
	if (!p->ts)
		t->pool_count++;
	p->ts = ts;
	p->logged = false;
	return 0;
}

void raft_pool_mark_logged(struct raft *t)
{
	for (uint32_t c = 0; c < t->cfg.max_clients; c++)
		t->pool[c].logged = false;
	for (uint64_t i = t->commit + 1; i <= t->last; i++) {
		const struct raft_ent *e = raft_ent_at(t, i);
		struct raft_entry x;
		struct wire_msg r;
		size_t pos = 0;
		if (!e || raft_entry_decode(e->b.p, e->b.len, &x))
			continue;
		while (wire_frames_next(&x.batch, &pos, &r) == 1) {
			uint32_t c = r.u.request.client;
			if (c < t->cfg.max_clients && t->pool[c].ts &&
			    r.u.request.timestamp >= t->pool[c].ts)
				t->pool[c].logged = true;
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
		struct raft_pending *p = &t->pool[c];
		if (p->ts && !p->logged) {
			frames[k] = p->frame;
			lens[k++] = p->len;
			p->logged = true;
		}
	}
	*count = k;
	wire_buf_reset(&t->scratch);
	return raft_enc_entry(&t->scratch, t->term, frames, lens, k);
}

void raft_pool_after_restore(struct raft *t)
{
	for (uint32_t c = 0; c < t->cfg.max_clients; c++)
		pool_done(t, c, app_last_timestamp(t->app, c));
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
		pool_done(t, q->client, q->timestamp);
		if (!emit)
			continue;
		want_reply(t, q->client);
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
	for (uint32_t i = 0; i < t->nreply && !rc; i++) {
		uint32_t c = t->reply_list[i];
		uint64_t ts = app_last_timestamp(t->app, c);
		const uint8_t *res;
		size_t reslen, start;
		t->reply_flag[c] = false;
		if (app_execute(t->app, c, ts, NULL, 0, &res, &reslen) !=
		    APP_DUPLICATE)
			continue;
		rc = wire_enc_reply(&ob->bytes, &start, t->cfg.id, t->term, c,
				    ts, res, reslen);
		if (!rc)
			rc = byz_out_send(ob, byz_client_addr(c), start);
	}
	t->nreply = 0;
	return rc;
}
