/*
 * reqpool.c - the client requests a replica holds until they execute
 * (reqpool.h). One module for every core that pools requests; each used
 * to carry its own copy.
 */
#include "reqpool.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

int byz_reqpool_init(struct byz_reqpool *p, uint32_t clients, size_t max_frame)
{
	memset(p, 0, sizeof *p);
	p->clients = clients;
	p->max_frame = max_frame;
	p->slot = calloc(clients, sizeof *p->slot);
	p->reply_flag = calloc(clients, sizeof *p->reply_flag);
	p->reply_list = calloc(clients, sizeof *p->reply_list);
	return p->slot && p->reply_flag && p->reply_list ? 0 : BYZ_ENOMEM;
}

void byz_reqpool_free(struct byz_reqpool *p)
{
	if (p->slot)
		for (uint32_t c = 0; c < p->clients; c++)
			free(p->slot[c].frame);
	free(p->slot);
	free(p->reply_flag);
	free(p->reply_list);
	memset(p, 0, sizeof *p);
}

void byz_reqpool_want_reply(struct byz_reqpool *p, uint32_t c)
{
	if (c < p->clients && !p->reply_flag[c]) {
		p->reply_flag[c] = true;
		p->reply_list[p->nreply++] = c;
	}
}

void byz_reqpool_done(struct byz_reqpool *p, uint32_t c, uint64_t ts)
{
	struct byz_request_slot *s;

	if (c >= p->clients)
		return;
	s = &p->slot[c];
	if (s->ts && s->ts <= ts) {
		s->ts = 0;
		s->mark = false;
		p->count--;
	}
}

void byz_reqpool_forget_executed(struct byz_reqpool *p, const struct app *app)
{
	for (uint32_t c = 0; c < p->clients; c++)
		byz_reqpool_done(p, c, app_last_timestamp(app, c));
}

int byz_reqpool_offer(struct byz_reqpool *p, const struct app *app,
		      const struct wire_msg *m, const char **why)
{
	uint32_t c = m->u.request.client;
	uint64_t ts = m->u.request.timestamp, done;
	struct byz_request_slot *s;
	bool added;

	if (c >= p->clients) {
		*why = "client beyond max_clients";
		return BYZ_OFFER_REFUSED;
	}
	done = app_last_timestamp(app, c);
	if (ts <= done) {
		if (ts == done)
			byz_reqpool_want_reply(p, c); /* its reply was lost */
		return BYZ_OFFER_NONE;
	}
	s = &p->slot[c];
	if (ts <= s->ts)
		return BYZ_OFFER_NONE; /* held already */
	if (m->frame.len > p->max_frame) {
		*why = "request too large";
		return BYZ_OFFER_REFUSED;
	}
	if (!s->frame && !(s->frame = malloc(p->max_frame)))
		return BYZ_ENOMEM;
	memcpy(s->frame, m->frame.bytes, m->frame.len);
	s->len = (uint16_t)m->frame.len;
	added = !s->ts;
	p->count += added;
	s->ts = ts;
	s->mark = false;
	return added ? BYZ_OFFER_ADDED : BYZ_OFFER_REPLACED;
}

int byz_reqpool_send_replies(struct byz_reqpool *p, struct app *app,
			     struct byz_outbox *ob, uint32_t id, uint64_t view)
{
	int rc = 0;

	for (uint32_t i = 0; i < p->nreply; i++) {
		uint32_t c = p->reply_list[i];
		uint64_t ts = app_last_timestamp(app, c);
		const uint8_t *res;
		size_t reslen, start;

		p->reply_flag[c] = false;
		if (rc || app_execute(app, c, ts, NULL, 0, &res, &reslen) !=
			      APP_DUPLICATE)
			continue;
		rc = wire_enc_reply(&ob->bytes, &start, id, view, c, ts, res,
				    reslen);
		if (!rc)
			rc = byz_out_send(ob, byz_client_addr(c), start);
	}
	p->nreply = 0;
	return rc;
}
