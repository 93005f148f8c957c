/*
 * pbft.c - the PBFT core behind lib/core.h: creation, the event dispatch,
 * client requests and the primary's batching, timers. The protocol's
 * phases live in the other files of this folder (see pbft.h).
 */
#include "pbft.h"

#include "err.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pbft_blob *pbft_blob_new(const uint8_t *data, size_t len)
{
	struct pbft_blob *b = malloc(sizeof *b + len);

	if (!b)
		return NULL;
	b->len = len;
	memcpy(b->data, data, len);
	return b;
}

void pbft_blob_free(struct pbft_blob **b)
{
	free(*b);
	*b = NULL;
}

/* Empty e; its per-sender tables (n slots each, owned by p) stay. */
void pbft_entry_clear(const struct pbft *p, struct pbft_entry *e)
{
	struct pbft_entry keep = {.prep = e->prep,
				  .commit = e->commit,
				  .mark = e->mark,
				  .pc_prep = e->pc_prep,
				  .cc_commit = e->cc_commit};

	pbft_blob_free(&e->pp);
	pbft_blob_free(&e->pc_pp);
	pbft_blob_free(&e->cc_pp);
	for (uint32_t i = 0; i < p->cfg.n; i++) {
		pbft_blob_free(&e->prep[i]);
		pbft_blob_free(&e->commit[i]);
		pbft_blob_free(&e->pc_prep[i]);
		pbft_blob_free(&e->cc_commit[i]);
	}
	memset(e->mark, 0, p->cfg.n);
	*e = keep;
}

/* The log entry of seq, claiming its slot if seq is within the
 * watermarks; NULL outside them. */
struct pbft_entry *pbft_entry(struct pbft *p, uint64_t seq)
{
	struct pbft_entry *e;

	if (!pbft_in_window(p, seq))
		return NULL;
	e = &p->log[seq % p->cfg.window];
	if (e->seq != seq) {
		/* The slot held a number at or below low: garbage. */
		assert(e->seq == 0 || e->seq <= p->low);
		pbft_entry_clear(p, e);
		e->seq = seq;
	}
	return e;
}

int pbft_note(struct pbft *p, struct byz_outbox *ob, const char *fmt, ...)
{
	char line[240];
	va_list ap;

	if (p->replaying)
		return 0;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	return byz_out_note(ob, "%s", line);
}

/* Broadcast the unsigned frame at start to the others, and to ourselves
 * so that we hold it signed (core.h). */
int pbft_send_all(struct pbft *p, struct byz_outbox *ob, size_t start)
{
	struct wire_frame f;
	size_t avail = ob->bytes.len - start;
	int rc;

	/* The frame's extent is its header's, whatever follows it. */
	if (ob->bytes.err)
		return ob->bytes.err;
	if (avail < WIRE_HEADER_BYTES)
		return BYZ_EINVAL;
	avail = WIRE_HEADER_BYTES + ((size_t)ob->bytes.data[start + 10] |
				     (size_t)ob->bytes.data[start + 11] << 8 |
				     (size_t)ob->bytes.data[start + 12] << 16 |
				     (size_t)ob->bytes.data[start + 13] << 24);
	if ((rc = wire_frame_parse(ob->bytes.data + start, avail, false, &f)))
		return rc;
	rc = byz_out_broadcast_at(ob, start, avail);
	return rc ? rc : byz_out_send_at(ob, p->cfg.id, start, avail);
}

/*
 * Send again a message we hold signed (our loopback copy): its unsigned
 * part, which the driver signs again (Ed25519 is deterministic, so the
 * copy is byte for byte the same). to == UINT32_MAX: to all the others.
 */
int pbft_resend(struct pbft *p, struct byz_outbox *ob,
		const struct pbft_blob *signed_frame, uint32_t to)
{
	struct wire_frame f;
	size_t off = ob->bytes.len;
	int rc;

	if (p->replaying)
		return 0;
	if ((rc = wire_frame_parse(signed_frame->data, signed_frame->len, true,
				   &f)))
		return rc;
	wire_put_bytes(&ob->bytes, f.bytes, f.signed_len);
	if (ob->bytes.err)
		return ob->bytes.err;
	return to == UINT32_MAX ? byz_out_broadcast_at(ob, off, f.signed_len)
				: byz_out_send_at(ob, to, off, f.signed_len);
}

/* d = BLAKE2b-256 of the batch as encoded (pbft_wire.h). */
void pbft_batch_digest(const struct pbft_preprepare *pp,
		       uint8_t out[BYZ_DIGEST_BYTES])
{
	byz_digest(out, pp->batch_bytes, pp->batch_len);
}

static void pbft_destroy(void **core)
{
	struct pbft *p = *core;

	if (!p)
		return;
	for (uint32_t i = 0;
	     p->log && p->slots && p->marks && i < p->cfg.window; i++)
		pbft_entry_clear(p, &p->log[i]);
	free(p->log);
	free(p->slots);
	free(p->marks);
	for (uint32_t i = 0; i < p->cfg.n; i++) {
		for (int k = 0; p->early && k < PBFT_EARLY_PER_SENDER; k++)
			pbft_blob_free(&p->early[i][k]);
		pbft_blob_free(&p->vc[i]);
		pbft_blob_free(&p->stable_proof[i]);
		for (int k = 0; p->ckpt && k < PBFT_CKPT_KEEP; k++)
			pbft_blob_free(&p->ckpt[i][k].frame);
	}
	free(p->early);
	free(p->ckpt);
	pbft_blob_free(&p->nv);
	pbft_blob_free(&p->nv_wait);
	for (uint32_t i = 0; p->nv_pps && i < p->cfg.window; i++)
		pbft_blob_free(&p->nv_pps[i]);
	free(p->nv_pps);
	for (uint32_t i = 0; p->own && i < p->nown; i++)
		free(p->own[i].snapshot);
	free(p->own);
	free(p->stable_snapshot);
	for (uint32_t c = 0; p->pending && c < p->cfg.max_clients; c++)
		pbft_blob_free(&p->pending[c].frame);
	free(p->pending);
	free(p->fetch_served);
	app_destroy(&p->app);
	wire_buf_free(&p->scratch);
	free(p);
	*core = NULL;
}

static int pbft_create(const struct byz_config *cfg, const uint8_t *persisted,
		       size_t len, void **core)
{
	struct pbft *p;
	int rc;

	*core = NULL;
	if (byz_limits_check("pbft", &pbft_limits, cfg, NULL, 0))
		return BYZ_EINVAL;
	p = calloc(1, sizeof *p);
	if (!p)
		return BYZ_ENOMEM;
	p->cfg = *cfg;
	p->quorum = 2 * cfg->f + 1;
	p->vc_timeout = cfg->timeout_us;
	p->next_seq = 1;
	/* Own checkpoints above the stable one: at most window / K of them. */
	p->nown = cfg->window / cfg->checkpoint_interval + 1;
	p->log = calloc(cfg->window, sizeof *p->log);
	p->own = calloc(p->nown, sizeof *p->own);
	p->pending = calloc(cfg->max_clients, sizeof *p->pending);
	p->fetch_served = calloc(cfg->n, sizeof *p->fetch_served);
	p->nv_pps = calloc(cfg->window, sizeof *p->nv_pps);
	/* Everything per sender is sized by n, not BYZ_MAX_N: set-up and
	 * teardown cost what the cluster uses. */
	p->slots = calloc((size_t)cfg->window * 4 * cfg->n, sizeof *p->slots);
	p->marks = calloc((size_t)cfg->window, cfg->n);
	p->early = calloc(cfg->n, sizeof *p->early);
	p->ckpt = calloc(cfg->n, sizeof *p->ckpt);
	for (uint32_t i = 0; p->log && p->slots && p->marks && i < cfg->window;
	     i++) {
		struct pbft_blob **s = p->slots + (size_t)i * 4 * cfg->n;
		p->log[i].prep = s;
		p->log[i].commit = s + cfg->n;
		p->log[i].pc_prep = s + 2 * cfg->n;
		p->log[i].cc_commit = s + 3 * cfg->n;
		p->log[i].mark = p->marks + (size_t)i * cfg->n;
	}
	p->fetch_peer = (cfg->id + 1) % cfg->n;
	wire_buf_init(&p->scratch, 64u << 20);
	rc = app_new(&cfg->app, &p->app);
	if (!rc &&
	    (!p->log || !p->own || !p->pending || !p->fetch_served ||
	     !p->nv_pps || !p->slots || !p->marks || !p->early || !p->ckpt))
		rc = BYZ_ENOMEM;
	if (!rc)
		pbft_genesis_digest(p, p->stable_digest);
	if (!rc && persisted)
		rc = pbft_replay(p, persisted, len);
	if (rc) {
		pbft_destroy((void **)&p);
		return rc;
	}
	*core = p;
	return 0;
}

/* §4.4: a backup runs the view-change timer while it waits for a request
 * to execute; it stops when it waits for none and restarts on progress. */
void pbft_view_timer_update(struct pbft *p, struct byz_outbox *ob)
{
	if (p->replaying || p->in_vc)
		return;
	if (p->npending && !p->view_timer_on) {
		byz_out_timer(ob, PBFT_TIMER_VIEW, p->vc_timeout);
		p->view_timer_on = true;
	} else if (!p->npending && p->view_timer_on) {
		byz_out_timer(ob, PBFT_TIMER_VIEW, BYZ_TIMER_CANCEL);
		p->view_timer_on = false;
	}
}

/* The next pending request the primary has not put in a batch in this
 * view, scanning clients round-robin from *cursor. */
static int32_t next_unassigned(struct pbft *p, uint32_t *cursor)
{
	for (uint32_t k = 0; k < p->cfg.max_clients; k++) {
		uint32_t c = (*cursor + k) % p->cfg.max_clients;
		if (p->pending[c].timestamp &&
		    p->pending[c].assigned != p->view + 1) {
			*cursor = c + 1;
			return (int32_t)c;
		}
	}
	return -1;
}

/*
 * §4.2: the primary assigns sequence numbers to batches of pending
 * requests and multicasts PRE-PREPAREs, as many as the high watermark
 * allows (several in flight: pipelining).
 */
int pbft_try_propose(struct pbft *p, struct byz_outbox *ob)
{
	uint32_t cursor = (uint32_t)(p->next_seq % p->cfg.max_clients);

	if (p->replaying || p->in_vc || pbft_primary(p, p->view) != p->cfg.id)
		return 0;
	if (p->next_seq <= p->last_exec)
		p->next_seq = p->last_exec + 1;
	while (pbft_in_window(p, p->next_seq)) {
		const uint8_t *frames[PBFT_MAX_BATCH];
		size_t lens[PBFT_MAX_BATCH], start, len;
		uint32_t count = 0;
		int32_t c;
		int rc;

		while (count < p->cfg.batch &&
		       (c = next_unassigned(p, &cursor)) >= 0) {
			p->pending[c].assigned = p->view + 1;
			frames[count] = p->pending[c].frame->data;
			lens[count] = p->pending[c].frame->len;
			count++;
		}
		if (!count)
			return 0;
		rc = pbft_enc_preprepare(
		    &ob->bytes, &start, p->cfg.id, p->view, p->next_seq,
		    (struct pbft_framev){frames, lens, count});
		if (rc)
			return rc;
		/* Never assign this number twice, even across a crash: persist
		 * the pre-prepare before it leaves (core.h). */
		len = ob->bytes.len - start;
		if ((rc = pbft_persist_sent(p, start, len, ob)) ||
		    (rc = byz_out_broadcast_at(ob, start, len)) ||
		    (rc = byz_out_send_at(ob, p->cfg.id, start, len)))
			return rc;
		p->next_seq++;
	}
	return 0;
}

/* §4.1: a client request. */
static int pbft_on_request(struct pbft *p, const struct wire_msg *m,
			   struct byz_outbox *ob)
{
	uint32_t c = m->u.request.client;
	uint64_t ts = m->u.request.timestamp, last;
	struct pbft_pending *pe;

	if (c >= p->cfg.max_clients)
		return pbft_note(p, ob,
				 "request from client %" PRIu32
				 " beyond max_clients: dropped",
				 c);
	last = app_last_timestamp(p->app, c);
	if (ts <= last) {
		/* Executed already: the cached reply (§4.1). */
		const uint8_t *res;
		size_t reslen, start;
		int rc;
		if (ts < last || app_execute(p->app, c, ts, NULL, 0, &res,
					     &reslen) != APP_DUPLICATE)
			return 0;
		rc = wire_enc_reply(&ob->bytes, &start, p->cfg.id, p->view, c,
				    ts, res, reslen);
		return rc ? rc : byz_out_send(ob, byz_client_addr(c), start);
	}
	pe = &p->pending[c];
	if (pe->timestamp >= ts)
		return 0; /* have it (or a newer one) */
	if (!pe->timestamp)
		p->npending++;
	pbft_blob_free(&pe->frame);
	pe->frame = pbft_blob_new(m->frame.bytes, m->frame.len);
	if (!pe->frame) {
		pe->timestamp = 0;
		p->npending--;
		return BYZ_ENOMEM;
	}
	pe->timestamp = ts;
	pe->assigned = 0;
	pbft_view_timer_update(p, ob);
	return pbft_try_propose(p, ob);
}

static int pbft_on_timer(struct pbft *p, uint32_t timer, struct byz_outbox *ob)
{
	if (timer == PBFT_TIMER_STATUS) {
		int rc = pbft_status_tick(p, ob);
		if (!rc)
			rc = byz_out_timer(ob, PBFT_TIMER_STATUS,
					   p->cfg.timeout_us);
		return rc;
	}
	int rc;

	if (timer != PBFT_TIMER_VIEW)
		return 0;
	p->view_timer_on = false;
	p->vc_timer_on = false;
	if (!p->in_vc && !p->npending)
		return 0;
	/* TOCS'02 §4.5.2: "If the timer expires before it receives a valid
	 * NEW-VIEW message for v+1 or before it executes a request in the new
	 * view that it had not executed previously, it starts the view change
	 * for view v+2 but this time it will wait 2T". So the timeout doubles
	 * when the timer expires while changing view, and also when it
	 * expires in a view entered by a view change with nothing executed
	 * since; only execution brings it back to the base
	 * (pbft_execute_ready). Without the second case a latency the base
	 * timeout does not cover stalls every view for ever. The doubling
	 * stops at PBFT_BACKOFF_CAP times the base, so that once the network
	 * is synchronous again a bound on recovery exists. */
	if ((p->in_vc || p->vc_since_exec) &&
	    p->vc_timeout < p->cfg.timeout_us * PBFT_BACKOFF_CAP)
		p->vc_timeout *= 2;
	/* This replica gives up the view (or the view change into it). */
	if ((rc = byz_out_view(ob, p->view, pbft_primary(p, p->view), true,
			       false)))
		return rc;
	return pbft_start_view_change(p, p->view + 1, ob);
}

/*
 * Keep a normal-case message for a view we have not entered (it overtook
 * the NEW-VIEW, or we lag). Bounded: the newest PBFT_EARLY_PER_SENDER per
 * sender. True if kept.
 */
bool pbft_keep_early(struct pbft *p, const struct wire_msg *m)
{
	uint32_t s = m->frame.sender;
	uint64_t view = m->frame.type == PBFT_PREPREPARE
			    ? pbft_of(m)->pp.view
			    : pbft_of(m)->vote.view;
	struct pbft_blob **slot;

	if (p->replaying || s >= p->cfg.n ||
	    !(view > p->view || (view == p->view && p->in_vc)))
		return false;
	slot = &p->early[s][p->early_next[s]++ % PBFT_EARLY_PER_SENDER];
	pbft_blob_free(slot);
	*slot = pbft_blob_new(m->frame.bytes, m->frame.len);
	return *slot != NULL;
}

/* On entering a view: handle the kept messages for it, drop older ones. */
int pbft_run_early(struct pbft *p, struct byz_outbox *ob)
{
	struct byz_event ev = {.kind = BYZ_EV_MESSAGE, .now = p->now};
	int rc = 0;

	for (uint32_t s = 0; s < p->cfg.n && !rc; s++)
		for (uint32_t k = 0; k < PBFT_EARLY_PER_SENDER && !rc; k++) {
			/* Oldest first. */
			uint32_t i =
			    (p->early_next[s] + k) % PBFT_EARLY_PER_SENDER;
			struct pbft_blob *b = p->early[s][i];
			struct wire_msg m;
			uint64_t view;
			if (!b)
				continue;
			if (wire_decode(b->data, b->len, &m)) {
				pbft_blob_free(&p->early[s][i]);
				continue;
			}
			view = m.frame.type == PBFT_PREPREPARE
				   ? pbft_of(&m)->pp.view
				   : pbft_of(&m)->vote.view;
			if (view > p->view)
				continue; /* still in the future */
			p->early[s][i] = NULL;
			if (view == p->view && !p->in_vc) {
				ev.u.msg = &m;
				rc = pbft_dispatch(p, &ev, ob);
			}
			pbft_blob_free(&b);
		}
	return rc;
}

/* Route one authenticated event. Used by step and by the replay. */
int pbft_dispatch(struct pbft *p, const struct byz_event *ev,
		  struct byz_outbox *ob)
{
	const struct wire_msg *m;

	p->now = ev->now;
	switch (ev->kind) {
	case BYZ_EV_START: {
		int rc;
		if (ev->u.restarted) {
			p->recovering = true;
			p->recover_exec = p->last_exec;
		}
		if ((rc = byz_out_view(ob, p->view, pbft_primary(p, p->view),
				       false, true)))
			return rc;
		pbft_view_timer_update(p, ob);
		if (p->in_vc) {
			/* Restarted in the middle of a view change. */
			p->vc_timer_on = false;
			/* Its own VIEW-CHANGE may never have left: the view is
			 * persisted before the message that announces it
			 * (pbft_start_view_change), and a real process waits
			 * for the disk before it sends, so a crash can come
			 * in between. Nobody would then hear it, and with f
			 * faulty the others wait for it forever (found by
			 * campaigns/real.yaml, crash-restart-pbft-n4-b1).
			 * Announce it again (TOCS'02 §4.4: a replica changing
			 * view keeps sending its VIEW-CHANGE). */
			if (!p->vc[p->cfg.id] ||
			    p->vc_view[p->cfg.id] != p->view) {
				p->in_vc = false;
				if ((rc = pbft_start_view_change(p, p->view,
								 ob)))
					return rc;
			}
			pbft_vc_quorum_timer(p, ob);
			if ((rc = pbft_try_newview(p, ob)))
				return rc;
		}
		return byz_out_timer(ob, PBFT_TIMER_STATUS, p->cfg.timeout_us);
	}
	case BYZ_EV_REQUEST:
		return pbft_on_request(p, ev->u.msg, ob);
	case BYZ_EV_TIMER:
		return pbft_on_timer(p, ev->u.timer, ob);
	case BYZ_EV_PERSISTED:
		return 0;
	case BYZ_EV_MESSAGE:
		break;
	}
	m = ev->u.msg;
	if (m->frame.proto != PBFT_PROTO || m->frame.sender >= p->cfg.n)
		return pbft_note(p, ob,
				 "not a PBFT replica's message: dropped");
	switch (m->frame.type) {
	case PBFT_PREPREPARE:
		return pbft_on_preprepare(p, m, ob);
	case PBFT_PREPARE:
		return pbft_on_prepare(p, m, ob);
	case PBFT_COMMIT:
		return pbft_on_commit(p, m, ob);
	case PBFT_CHECKPOINT:
		return pbft_on_checkpoint(p, m, ob);
	case PBFT_VIEWCHANGE:
		return pbft_on_viewchange(p, m, ob);
	case PBFT_NEWVIEW:
		return pbft_on_newview(p, m, ob);
	case PBFT_FETCH:
		return pbft_on_fetch(p, m, ob);
	case PBFT_STATE:
		return pbft_on_state(p, m, ob);
	case PBFT_CERT:
		return pbft_on_cert(p, m, ob);
	case PBFT_VCS:
		return pbft_on_vcs(p, m, ob);
	}
	return pbft_note(p, ob, "unknown PBFT message type %u: dropped",
			 m->frame.type);
}

static int pbft_step(void *core, const struct byz_event *ev,
		     struct byz_outbox *ob)
{
	struct pbft *p = core;
	int rc;

	assert(!p->in_step);
	p->in_step = true;
	rc = pbft_dispatch(p, ev, ob);
	/* Compact the persisted log: after a stable checkpoint, or when what
	 * was appended since the last base grew past its bound. */
	if (!rc && (p->need_base || p->wal_bytes > PBFT_WAL_MAX))
		rc = pbft_persist_base(p, ob);
	ob->rules |= p->rule_hits;
	p->rule_hits = 0;
	p->in_step = false;
	return rc;
}

/*
 * After GST a request can need f+1 view changes (faulty primaries in a
 * row), each with a doubled timeout, plus a few message delays, plus a
 * status period to catch up.
 */
static uint64_t pbft_liveness_bound(const struct byz_config *cfg,
				    uint64_t max_latency_us)
{
	/* At GST a view-change timer may just have been armed at its cap;
	 * then up to f+1 views with faulty or unreachable primaries, each at
	 * most the cap; then a few message delays, and a status period for a
	 * replica that must fetch what it missed. */
	uint64_t cap = cfg->timeout_us * PBFT_BACKOFF_CAP;

	return (uint64_t)(cfg->f + 2) * cap + 2 * cfg->timeout_us +
	       40 * max_latency_us;
}

static const char *const pbft_timer_names[] = {
    [PBFT_TIMER_VIEW] = "view",
    [PBFT_TIMER_STATUS] = "status",
    NULL,
};

/* OSDI'99 §4.2: committed-local needs 2f+1 COMMITs, each cast after the request
 * was seen. */
static uint32_t pbft_decision_quorum(uint32_t n, uint32_t f)
{
	(void)n;
	return 2 * f + 1;
}

const struct byz_core_ops pbft_core_ops = {
    .name = "pbft",
    .proto = PBFT_PROTO,
    .summary = "PBFT, Castro & Liskov OSDI'99/TOCS'02, with signatures",
    .first_leader = 0, /* OSDI'99 §4.1: p = v mod |R|, v = 0 */
    .decision_quorum = pbft_decision_quorum,
    .timer_names = pbft_timer_names,
    .describe_record = pbft_describe_record,
    .create = pbft_create,
    .destroy = pbft_destroy,
    .step = pbft_step,
    .liveness_bound_us = pbft_liveness_bound,
    .limits = &pbft_limits,
    .check_config = pbft_check_config,
    .mutants = pbft_mutants,
    .audit = pbft_audit,
    .audit_keep = pbft_audit_keep,
    .audit_new_view = pbft_audit_new_view,
    .complexity = &pbft_complexity,
};
