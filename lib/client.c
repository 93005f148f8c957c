/*
 * client.c - the client core (client.h): submit, retransmit with backoff,
 * accept on f+1 matching replies (TOCS'02 §4.1).
 */
#include "client.h"

#include "err.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A request frame: header, timestamp, op length, op. */
#define CLIENT_FRAME_MAX (WIRE_HEADER_BYTES + 8 + 2 + WIRE_MAX_OP)

struct client {
	struct client_config cfg;
	uint64_t timestamp;    /* of the current request */
	bool waiting;	       /* a request is outstanding */
	uint64_t submitted_at; /* when it was submitted */
	uint64_t retry_us;     /* the timeout armed now */
	uint32_t retransmissions;
	uint8_t op[WIRE_MAX_OP];
	size_t op_len;
	/* The replies to the current request: the digest of the result each
	 * replica sent last (TOCS'02 §4.1: the client waits for f+1 replies
	 * from different replicas with the same result). */
	bool have[BYZ_MAX_N];
	uint8_t result_digest[BYZ_MAX_N][BYZ_DIGEST_BYTES];
	bool in_step; /* asserts the no-re-entry rule */
};

void client_outbox_init(struct client_outbox *ob)
{
	ob->count = 0;
	/* A request frame or a result, whichever is larger, per output. */
	wire_buf_init(&ob->bytes, CLIENT_MAX_OUTPUTS * CLIENT_FRAME_MAX);
}

void client_outbox_free(struct client_outbox *ob)
{
	wire_buf_free(&ob->bytes);
	ob->count = 0;
}

void client_outbox_reset(struct client_outbox *ob)
{
	wire_buf_reset(&ob->bytes);
	ob->count = 0;
}

int client_new(const struct client_config *cfg, struct client **out)
{
	struct client *c;

	*out = NULL;
	if (cfg->n < 1 || cfg->n > BYZ_MAX_N || 2ull * cfg->f + 1 > cfg->n ||
	    cfg->id >= BYZ_CLIENT_BASE || cfg->retry_us == 0 ||
	    cfg->retry_max_us < cfg->retry_us)
		return BYZ_EINVAL;
	c = calloc(1, sizeof *c);
	if (!c)
		return BYZ_ENOMEM;
	c->cfg = *cfg;
	c->timestamp = cfg->first_timestamp;
	*out = c;
	return 0;
}

void client_destroy(struct client **cp)
{
	free(*cp);
	*cp = NULL;
}

bool client_waiting(const struct client *c)
{
	return c->waiting;
}

uint64_t client_timestamp(const struct client *c)
{
	return c->timestamp;
}

/* Append an output; the outbox holds every step's few outputs. */
static struct client_output *out_add(struct client_outbox *ob,
				     enum client_output_kind kind)
{
	struct client_output *o;

	assert(ob->count < CLIENT_MAX_OUTPUTS);
	o = &ob->out[ob->count++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	return o;
}

static void out_timer(struct client_outbox *ob, uint64_t delay_us)
{
	out_add(ob, CLIENT_OUT_TIMER)->delay_us = delay_us;
}

/* Append the current request, unsigned, for every replica. */
static int out_request(struct client *c, struct client_outbox *ob, bool again)
{
	struct client_output *o;
	size_t start;
	int rc;

	rc = wire_enc_request(&ob->bytes, &start, c->cfg.id, c->timestamp,
			      c->op, c->op_len);
	if (rc)
		return rc;
	o = out_add(ob, CLIENT_OUT_BROADCAST);
	o->timestamp = c->timestamp;
	o->again = again;
	o->off = start;
	o->len = ob->bytes.len - start;
	return 0;
}

/* A new request: the next timestamp, sent to every replica, with the
 * first retransmission timeout. */
static int on_submit(struct client *c, const struct client_event *ev,
		     struct client_outbox *ob)
{
	int rc;

	if (c->waiting)
		return BYZ_ESTATE;
	if (ev->u.submit.len == 0 || !ev->u.submit.op)
		return BYZ_EINVAL;
	if (ev->u.submit.len > WIRE_MAX_OP)
		return BYZ_ETOOBIG;
	memcpy(c->op, ev->u.submit.op, ev->u.submit.len);
	c->op_len = ev->u.submit.len;
	c->timestamp++;
	c->waiting = true;
	c->submitted_at = ev->now;
	c->retry_us = c->cfg.retry_us;
	c->retransmissions = 0;
	memset(c->have, 0, sizeof c->have);
	rc = out_request(c, ob, false);
	if (rc)
		return rc;
	out_timer(ob, c->retry_us);
	return 0;
}

/* The timeout: the request went unanswered; broadcast it again and wait
 * twice as long, up to the cap (TOCS'02 §4.1: a client that does not
 * receive its replies soon enough broadcasts the request to all
 * replicas). */
static int on_timer(struct client *c, struct client_outbox *ob)
{
	int rc;

	if (!c->waiting)
		return 0; /* a timer the driver failed to cancel */
	rc = out_request(c, ob, true);
	if (rc)
		return rc;
	c->retransmissions++;
	c->retry_us = c->retry_us > c->cfg.retry_max_us / 2
			  ? c->cfg.retry_max_us
			  : c->retry_us * 2;
	out_timer(ob, c->retry_us);
	return 0;
}

/* A reply: count it for its replica, and accept the result once f+1
 * distinct replicas sent it for the current timestamp (TOCS'02 §4.1). A
 * replica's later reply replaces its earlier one, so one replica never
 * counts twice. */
static int on_reply(struct client *c, const struct client_event *ev,
		    struct client_outbox *ob)
{
	const struct wire_msg *m = ev->u.reply;
	struct client_output *o;
	uint8_t d[BYZ_DIGEST_BYTES];
	uint32_t r, same = 0;
	size_t start;

	if (!m || m->frame.proto != BYZ_PROTO_CLIENT ||
	    m->frame.type != WIRE_CLIENT_REPLY)
		return BYZ_EINVAL;
	r = m->frame.sender;
	if (!c->waiting || m->u.reply.client != c->cfg.id ||
	    m->u.reply.timestamp != c->timestamp || r >= c->cfg.n)
		return 0; /* stale or misaddressed */
	byz_digest(d, m->u.reply.result, m->u.reply.result_len);
	c->have[r] = true;
	memcpy(c->result_digest[r], d, sizeof d);
	for (uint32_t i = 0; i < c->cfg.n; i++)
		same +=
		    c->have[i] && memcmp(c->result_digest[i], d, sizeof d) == 0;
	if (same < c->cfg.f + 1)
		return 0;
	c->waiting = false;
	out_timer(ob, CLIENT_TIMER_CANCEL);
	start = ob->bytes.len;
	wire_put_bytes(&ob->bytes, m->u.reply.result, m->u.reply.result_len);
	if (ob->bytes.err)
		return ob->bytes.err;
	o = out_add(ob, CLIENT_OUT_ACCEPT);
	o->timestamp = c->timestamp;
	o->off = start;
	o->len = m->u.reply.result_len;
	o->latency_us = ev->now - c->submitted_at;
	o->retransmissions = c->retransmissions;
	return 0;
}

int client_step(struct client *c, const struct client_event *ev,
		struct client_outbox *ob)
{
	int rc = 0;

	assert(!c->in_step);
	c->in_step = true;
	switch (ev->kind) {
	case CLIENT_EV_START:
		break;
	case CLIENT_EV_SUBMIT:
		rc = on_submit(c, ev, ob);
		break;
	case CLIENT_EV_REPLY:
		rc = on_reply(c, ev, ob);
		break;
	case CLIENT_EV_TIMER:
		rc = on_timer(c, ob);
		break;
	default:
		rc = BYZ_EINVAL;
	}
	c->in_step = false;
	return rc;
}
