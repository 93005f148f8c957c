/*
 * toy.c - a deliberately simple test protocol, NOT Byzantine fault tolerant.
 *
 * It exists so the foundation (contract, simulator, trace, checkers) can be
 * exercised end to end before the fault-tolerant protocols landed, and it
 * stays as a test fixture. Replica 0 is a fixed sequencer: it orders each
 * new client request by broadcasting ORDER(seq, signed request) and
 * executes it; the others execute ORDERs in sequence order. A replica that
 * sees a gap, or has heard nothing for a while, asks the sequencer with
 * FETCH(seq). A faulty sequencer can break it at will; a crashed one stops
 * it. That is the point: the checkers must catch what it gets wrong.
 *
 * Persistence: after every step that executed something, a replica
 * persists (next sequence number to execute, next to assign, application
 * snapshot), so a restart with state resumes where it stopped.
 */
#include "app.h"
#include "core.h"
#include "err.h"
#include "toy_wire.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TOY_LEADER	  0
#define TOY_TIMER_FETCH	  0
#define TOY_REQ_MAX	  (WIRE_HEADER_BYTES + 10 + WIRE_MAX_OP + BYZ_SIG_BYTES)
#define TOY_PERSIST_MAGIC 0x31594f54u /* "TOY1" */

struct toy_slot {
	uint64_t seq; /* 0: empty */
	uint16_t len;
	uint8_t frame[TOY_REQ_MAX];
};

struct toy {
	struct byz_config cfg;
	struct app *app;
	uint64_t exec_seq; /* next sequence number to execute */
	uint64_t next_seq; /* leader: next to assign */
	uint32_t
	    ring_size; /* slots kept: window for followers, 4x for the leader */
	struct toy_slot *ring; /* slot of seq s: ring[s % ring_size] */
	uint64_t *ordered_ts; /* leader: highest timestamp ordered per client */
	uint64_t *ordered_seq;	/* leader: its sequence number */
	uint64_t last_progress; /* when exec_seq last moved */
	bool in_step;
	struct wire_buf snap; /* scratch for persistence */
	uint32_t *replies;    /* clients executed this step, to answer after
			       * the PERSIST that covers them */
	uint32_t nreplies;
};

static bool toy_is_leader(const struct toy *t)
{
	return t->cfg.id == TOY_LEADER;
}

static void toy_destroy(void **core)
{
	struct toy *t = *core;

	if (!t)
		return;
	app_destroy(&t->app);
	free(t->ring);
	free(t->ordered_ts);
	free(t->ordered_seq);
	free(t->replies);
	wire_buf_free(&t->snap);
	free(t);
	*core = NULL;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* What toy_create accepts (core.h, struct byz_limits): a window of
 * 1..4096 (the sequencer's ring holds 4 of them); it has no checkpoints
 * and orders requests one at a time (no batches). */
static const struct byz_limits toy_limits = {
    .n_min = 1,
    .n_max = BYZ_MAX_N,
    .window_min = 1,
    .window_max = 4096,
};

static int toy_create(const struct byz_config *cfg, const uint8_t *persisted,
		      size_t len, void **core)
{
	struct toy *t;
	int rc;

	*core = NULL;
	if (byz_limits_check("toy", &toy_limits, cfg, NULL, 0))
		return BYZ_EINVAL;
	t = calloc(1, sizeof *t);
	if (!t)
		return BYZ_ENOMEM;
	t->cfg = *cfg;
	t->exec_seq = 1;
	t->next_seq = 1;
	t->ring_size = cfg->id == TOY_LEADER ? 4 * cfg->window : cfg->window;
	t->ring = calloc(t->ring_size, sizeof *t->ring);
	t->ordered_ts = calloc(cfg->max_clients, sizeof *t->ordered_ts);
	t->ordered_seq = calloc(cfg->max_clients, sizeof *t->ordered_seq);
	t->replies = calloc(t->ring_size, sizeof *t->replies);
	wire_buf_init(&t->snap, 64u << 20);
	rc = app_new(&cfg->app, &t->app);
	if (!rc &&
	    (!t->ring || !t->ordered_ts || !t->ordered_seq || !t->replies))
		rc = BYZ_ENOMEM;
	if (!rc && persisted) {
		/* One record (toy always replaces its log): magic u32,
		 * exec_seq u64, next_seq u64, app snapshot. */
		const uint8_t *rec;
		size_t pos = 0, rlen;
		if (byz_persist_next(persisted, len, &pos, &rec, &rlen) != 1 ||
		    rlen < 20 || (uint32_t)rd64(rec) != TOY_PERSIST_MAGIC)
			rc = BYZ_EINVAL;
		else {
			t->exec_seq = rd64(rec + 4);
			t->next_seq = rd64(rec + 12);
			rc = app_restore(t->app, rec + 20, rlen - 20);
		}
	}
	if (rc) {
		toy_destroy((void **)&t);
		return rc;
	}
	*core = t;
	return 0;
}

static int toy_persist(struct toy *t, struct byz_outbox *ob)
{
	wire_buf_reset(&t->snap);
	wire_put_u32(&t->snap, TOY_PERSIST_MAGIC);
	wire_put_u64(&t->snap, t->exec_seq);
	wire_put_u64(&t->snap, t->next_seq);
	app_snapshot(t->app, &t->snap);
	if (t->snap.err)
		return t->snap.err;
	return byz_out_persist(ob, t->exec_seq, true, t->snap.data,
			       t->snap.len);
}

/* Send client c the reply for the result of its request `ts`. */
static int toy_reply(struct toy *t, struct byz_outbox *ob, uint32_t client,
		     uint64_t ts, const uint8_t *res, size_t reslen)
{
	size_t start;
	int rc = wire_enc_reply(&ob->bytes, &start, t->cfg.id, 0, client, ts,
				res, reslen);

	return rc ? rc : byz_out_send(ob, byz_client_addr(client), start);
}

/* Execute every consecutive filled slot from exec_seq on. */
static int toy_execute_ready(struct toy *t, const struct byz_event *ev,
			     struct byz_outbox *ob, bool *executed)
{
	for (;;) {
		struct toy_slot *sl = &t->ring[t->exec_seq % t->ring_size];
		struct wire_msg m;
		struct byz_commit c;
		const uint8_t *res;
		size_t reslen;
		int rc, out;

		if (sl->seq != t->exec_seq)
			return 0;
		/* The frame was authenticated when it arrived; decode again
		 * to read it (it is our own copy). */
		rc = wire_decode(sl->frame, sl->len, &m);
		assert(rc == 0);
		if (rc)
			return rc;
		out = app_execute(t->app, m.u.request.client,
				  m.u.request.timestamp, m.u.request.op,
				  m.u.request.op_len, &res, &reslen);
		if (!toy_is_leader(t))
			sl->seq = 0; /* followers free the slot */
		t->exec_seq++;
		t->last_progress = ev->now;
		if (out < 0) {
			byz_out_note(ob,
				     "seq %" PRIu64 ": client %" PRIu32
				     " out of range, skipped",
				     t->exec_seq - 1, m.u.request.client);
			continue;
		}
		if (out == APP_STALE)
			continue;
		if (out == APP_EXECUTED) {
			memset(&c, 0, sizeof c);
			c.height = app_height(t->app);
			c.slot = t->exec_seq - 1;
			c.client = m.u.request.client;
			c.timestamp = m.u.request.timestamp;
			byz_digest(c.request_digest, m.u.request.op,
				   m.u.request.op_len);
			app_state_digest(t->app, c.state_digest);
			if ((rc = byz_out_commit(ob, &c)))
				return rc;
			*executed = true;
			/* Answered after the PERSIST (core.h's order). */
			if (t->nreplies < t->ring_size)
				t->replies[t->nreplies++] = c.client;
			continue;
		}
		if ((rc = toy_reply(t, ob, m.u.request.client,
				    m.u.request.timestamp, res, reslen)))
			return rc;
	}
}

static int toy_send_order(struct toy *t, struct byz_outbox *ob,
			  const struct toy_slot *sl, uint32_t to, bool bcast)
{
	size_t start;
	int rc = toy_enc_order(&ob->bytes, &start, t->cfg.id, sl->seq,
			       sl->frame, sl->len);

	if (rc)
		return rc;
	return bcast ? byz_out_broadcast(ob, start)
		     : byz_out_send(ob, to, start);
}

/* Leader: order a new client request (or answer a retransmission). */
static int toy_on_request(struct toy *t, const struct byz_event *ev,
			  struct byz_outbox *ob, bool *executed)
{
	const struct wire_msg *m = ev->u.msg;
	uint32_t c = m->u.request.client;
	uint64_t ts = m->u.request.timestamp;
	struct toy_slot *sl;
	int rc;

	if (c >= t->cfg.max_clients)
		return byz_out_note(ob,
				    "request from client %" PRIu32
				    " beyond max_clients, dropped",
				    c);
	if (ts <= app_last_timestamp(t->app, c)) {
		/* Executed already: resend the cached reply (TOCS'02 §4.1). */
		const uint8_t *res;
		size_t reslen;
		if (app_execute(t->app, c, ts, m->u.request.op,
				m->u.request.op_len, &res,
				&reslen) == APP_DUPLICATE)
			rc = toy_reply(t, ob, c, ts, res, reslen);
		else
			rc = 0;
		/* The followers may have missed its ORDER: send it again. */
		if (!rc && toy_is_leader(t) && t->ordered_ts[c] == ts) {
			sl = &t->ring[t->ordered_seq[c] % t->ring_size];
			if (sl->seq == t->ordered_seq[c])
				rc = toy_send_order(t, ob, sl, 0, true);
		}
		return rc;
	}
	if (!toy_is_leader(t) || ts <= t->ordered_ts[c])
		return 0; /* only the sequencer orders; in flight already */
	if (m->frame.len > TOY_REQ_MAX)
		return byz_out_note(ob, "request too large to order");
	sl = &t->ring[t->next_seq % t->ring_size];
	sl->seq = t->next_seq++;
	sl->len = (uint16_t)m->frame.len;
	memcpy(sl->frame, m->frame.bytes, m->frame.len);
	t->ordered_ts[c] = ts;
	t->ordered_seq[c] = sl->seq;
	if ((rc = toy_send_order(t, ob, sl, 0, true)))
		return rc;
	return toy_execute_ready(t, ev, ob, executed);
}

static int toy_on_order(struct toy *t, const struct byz_event *ev,
			struct byz_outbox *ob, bool *executed)
{
	const struct wire_msg *m = ev->u.msg;
	uint64_t seq = toy_of(m)->order.seq;
	struct toy_slot *sl;

	if (m->frame.sender != TOY_LEADER)
		return byz_out_note(
		    ob, "order from r%" PRIu32 ", not the sequencer: dropped",
		    m->frame.sender);
	if (toy_is_leader(t))
		return 0;
	if (seq < t->exec_seq)
		return 0; /* executed already */
	if (seq >= t->exec_seq + t->ring_size)
		return byz_out_note(ob,
				    "order %" PRIu64
				    " beyond the window (next %" PRIu64
				    "): dropped",
				    seq, t->exec_seq);
	if (toy_of(m)->order.req_frame.len > TOY_REQ_MAX)
		return byz_out_note(ob, "ordered request too large: dropped");
	sl = &t->ring[seq % t->ring_size];
	if (sl->seq == seq)
		return 0; /* a duplicate */
	sl->seq = seq;
	sl->len = (uint16_t)toy_of(m)->order.req_frame.len;
	memcpy(sl->frame, toy_of(m)->order.req_frame.bytes, sl->len);
	return toy_execute_ready(t, ev, ob, executed);
}

/* Leader: resend what a follower asks for, up to a window's worth. */
static int toy_on_fetch(struct toy *t, const struct byz_event *ev,
			struct byz_outbox *ob)
{
	const struct wire_msg *m = ev->u.msg;
	uint64_t seq = toy_of(m)->fetch.seq;
	int rc = 0;

	if (!toy_is_leader(t) || m->frame.sender >= t->cfg.n)
		return 0;
	for (uint64_t s = seq;
	     s < seq + t->cfg.window && s < t->next_seq && !rc; s++) {
		const struct toy_slot *sl = &t->ring[s % t->ring_size];
		if (sl->seq == s)
			rc = toy_send_order(t, ob, sl, m->frame.sender, false);
	}
	return rc;
}

/* Follower's timer: ask for the next sequence number if we hold later
 * ones (a gap) or have not progressed for a while. */
static int toy_on_timer(struct toy *t, const struct byz_event *ev,
			struct byz_outbox *ob)
{
	bool gap = false;
	int rc;

	for (uint32_t i = 1; i < t->ring_size && !gap; i++)
		gap = t->ring[(t->exec_seq + i) % t->ring_size].seq ==
		      t->exec_seq + i;
	if (gap || ev->now - t->last_progress >= 4 * t->cfg.timeout_us) {
		size_t start;
		rc = toy_enc_fetch(&ob->bytes, &start, t->cfg.id, t->exec_seq);
		if (!rc)
			rc = byz_out_send(ob, TOY_LEADER, start);
		if (rc)
			return rc;
	}
	return byz_out_timer(ob, TOY_TIMER_FETCH, t->cfg.timeout_us);
}

static int toy_step(void *core, const struct byz_event *ev,
		    struct byz_outbox *ob)
{
	struct toy *t = core;
	bool executed = false;
	int rc = 0;

	assert(!t->in_step);
	t->in_step = true;
	switch (ev->kind) {
	case BYZ_EV_START:
		t->last_progress = ev->now;
		if (!toy_is_leader(t))
			rc = byz_out_timer(ob, TOY_TIMER_FETCH,
					   t->cfg.timeout_us);
		break;
	case BYZ_EV_REQUEST:
		rc = toy_on_request(t, ev, ob, &executed);
		break;
	case BYZ_EV_MESSAGE:
		if (ev->u.msg->frame.type == TOY_ORDER)
			rc = toy_on_order(t, ev, ob, &executed);
		else if (ev->u.msg->frame.type == TOY_FETCH)
			rc = toy_on_fetch(t, ev, ob);
		break;
	case BYZ_EV_TIMER:
		if (ev->u.timer == TOY_TIMER_FETCH && !toy_is_leader(t))
			rc = toy_on_timer(t, ev, ob);
		break;
	case BYZ_EV_PERSISTED:
		break;
	}
	if (!rc && executed)
		rc = toy_persist(t, ob);
	/* Now the replies the persisted state backs. */
	for (uint32_t i = 0; i < t->nreplies && !rc; i++) {
		uint32_t c = t->replies[i];
		uint64_t ts = app_last_timestamp(t->app, c);
		const uint8_t *res;
		size_t reslen;
		if (app_execute(t->app, c, ts, NULL, 0, &res, &reslen) ==
		    APP_DUPLICATE)
			rc = toy_reply(t, ob, c, ts, res, reslen);
	}
	t->nreplies = 0;
	t->in_step = false;
	return rc;
}

static uint64_t toy_liveness_bound(const struct byz_config *cfg,
				   uint64_t max_latency_us)
{
	/* A request lost before GST is re-sent by its client; an ORDER lost
	 * is fetched within 4 timeouts of no progress, plus two round trips. */
	return 5 * cfg->timeout_us + 6 * max_latency_us;
}

static const char *const toy_timer_names[] = {
    [TOY_TIMER_FETCH] = "fetch",
    NULL,
};

const struct byz_core_ops toy_core_ops = {
    .name = "toy",
    .proto = TOY_PROTO,
    .summary = "test protocol: fixed sequencer, not fault tolerant",
    .fixture = true,
    .first_leader = TOY_LEADER,
    .timer_names = toy_timer_names,
    .create = toy_create,
    .destroy = toy_destroy,
    .step = toy_step,
    .liveness_bound_us = toy_liveness_bound,
    .limits = &toy_limits,
};
