/*
 * reqpool.h - the client requests a replica holds until they execute, and
 * the clients it owes a reply.
 *
 * Clients broadcast each signed request to every replica (client.h), so
 * whichever replica leads next can propose it. A replica keeps, for each
 * client, the newest request the application has not executed: one slot
 * per client, its frame copied into a buffer of max_frame bytes allocated
 * on first use. So what a pool holds is bounded by max_clients x
 * max_frame, whatever clients send. A request already executed is not
 * kept; the newest executed one marks its client as owed a reply again
 * (the reply was lost), in a list each client is on at most once.
 *
 * What a core does with the slots (which go into a batch, a block, a log
 * entry) is its own: it reads slot[c] and calls byz_reqpool_done when a
 * request executes. Plain memory, no clock, no I/O.
 */
#ifndef BYZ_REQPOOL_H
#define BYZ_REQPOOL_H

#include "app.h"
#include "core.h"
#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct byz_request_slot {
	uint64_t ts; /* the request's timestamp; 0: the slot is empty */
	uint16_t len;
	/* The core's own mark on this request (e.g. "in my log already");
	 * cleared whenever the slot is emptied or takes a newer request. */
	bool mark;
	uint8_t *frame; /* max_frame bytes, allocated on first use */
};

struct byz_reqpool {
	uint32_t clients;	       /* slots: client ids 0..clients-1 */
	size_t max_frame;	       /* the largest request frame kept */
	struct byz_request_slot *slot; /* clients */
	uint32_t count;		       /* slots holding a request */
	/* Clients owed a reply, each once: reply_list[0..nreply). */
	bool *reply_flag;
	uint32_t *reply_list;
	uint32_t nreply;
};

/* What byz_reqpool_offer did with a request. */
enum byz_offer {
	BYZ_OFFER_NONE = 0, /* nothing new: executed, or not newer */
	BYZ_OFFER_ADDED,    /* kept in its client's empty slot */
	BYZ_OFFER_REPLACED, /* kept in place of its client's older one */
	BYZ_OFFER_REFUSED,  /* not kept: *why says why (for a NOTE) */
};

/* 0, or BYZ_ENOMEM. A zeroed pool may be freed. */
int byz_reqpool_init(struct byz_reqpool *p, uint32_t clients, size_t max_frame);
void byz_reqpool_free(struct byz_reqpool *p);

/*
 * A client REQUEST m that passed ingress, against the application's
 * client table: a client beyond the pool or a frame above max_frame is
 * REFUSED (*why set); one no newer than what executed is NONE (the newest
 * executed one puts its client on the reply list); one no newer than its
 * slot's is NONE; else it is kept (ADDED or REPLACED). A negative err.h
 * code if memory runs out.
 */
int byz_reqpool_offer(struct byz_reqpool *p, const struct app *app,
		      const struct wire_msg *m, const char **why);

/* Client c's request with timestamp ts (or a newer one) executed: empty
 * its slot if it holds one no newer. */
void byz_reqpool_done(struct byz_reqpool *p, uint32_t c, uint64_t ts);

/* Empty every slot whose request the application has executed (after a
 * state transfer replaced the application). */
void byz_reqpool_forget_executed(struct byz_reqpool *p, const struct app *app);

/* Put client c on the reply list (once). */
void byz_reqpool_want_reply(struct byz_reqpool *p, uint32_t c);

/* Send each client on the reply list the reply its newest executed
 * request has in the application's client table (a CLIENT REPLY from
 * replica `id` in `view`, one SEND each, in list order), then empty the
 * list. 0, or the first error appending to ob (the list is emptied
 * anyway). */
int byz_reqpool_send_replies(struct byz_reqpool *p, struct app *app,
			     struct byz_outbox *ob, uint32_t id, uint64_t view);

#endif
