/*
 * client.h - the client as a pure core: the same contract as a replica
 * (core.h), for the other end of the protocol.
 *
 * A client submits one operation at a time (TOCS'02 §4.1: a client has at
 * most one request outstanding), broadcasts it to every replica,
 * retransmits it with doubling backoff while it goes unanswered, and
 * accepts a result once f+1 distinct replicas sent replies with the same
 * result for its current timestamp: at least one of them is honest, so
 * the result is one the replicated service really produced.
 *
 * A driver (the simulator in lib/sim, the ZeroMQ client process) feeds it
 * one event at a time through client_step(c, &event, &outbox); the client
 * answers by appending outputs to the outbox and returns. Like a replica
 * core it never does I/O, never reads a clock (time arrives in the event),
 * never draws randomness, never calls back into its driver, and asserts it
 * is not re-entered. It holds no key: its BROADCAST is an unsigned REQUEST
 * frame, which the driver signs with the client's key at egress, exactly
 * as it signs a replica core's output. A REPLY event must carry a message
 * that passed ingress (ingress.h): decoded, and its signature verified.
 *
 * What to submit next, and when (the workload, think time), is the
 * driver's business: the client only says when a request was accepted.
 *
 * Outputs are carried out in the order they were appended.
 */
#ifndef BYZ_CLIENT_H
#define BYZ_CLIENT_H

#include "core.h"
#include "crypto.h"
#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIENT_MAX_OUTPUTS  4 /* a step appends at most this many outputs */
#define CLIENT_TIMER_CANCEL UINT64_MAX

struct client_config {
	uint32_t id; /* this client, 0..max_clients-1 */
	/* The cluster: replicas 0..n-1; f as the protocol counts it (core.h,
	 * enum byz_fault_model), so n >= 2f+1 at least: f+1 matching
	 * replies hold one from a replica that did not fail. */
	uint32_t n, f;
	uint64_t retry_us;     /* first retransmission timeout (> 0) */
	uint64_t retry_max_us; /* backoff cap (>= retry_us) */
	/* Its requests are numbered from first_timestamp + 1 on. 0 for a
	 * client that never ran before; a client process that may have
	 * (a restart) starts above any timestamp it used, as replicas
	 * ignore a request no newer than the last they executed. */
	uint64_t first_timestamp;
};

enum client_event_kind {
	CLIENT_EV_START = 1, /* first event after create: nothing is pending */
	CLIENT_EV_SUBMIT,    /* send this operation (only when idle) */
	CLIENT_EV_REPLY,     /* an authenticated CLIENT REPLY */
	CLIENT_EV_TIMER,     /* the timer the client set has fired */
};

struct client_event {
	enum client_event_kind kind;
	uint64_t now; /* microseconds; virtual (sim) or monotonic (zmq) */
	union {
		struct {
			const uint8_t *op; /* 1..WIRE_MAX_OP bytes, copied */
			size_t len;
		} submit;
		const struct wire_msg *reply; /* REPLY: valid during the step */
	} u;
};

enum client_output_kind {
	/* bytes = an unsigned CLIENT REQUEST frame: sign it with the
	 * client's key and send it to every replica 0..n-1. */
	CLIENT_OUT_BROADCAST = 1,
	/* (re)arm the client's one timer after delay_us, or cancel it
	 * (CLIENT_TIMER_CANCEL); only the newest setting may fire. */
	CLIENT_OUT_TIMER,
	/* bytes = the accepted result of the request with this timestamp. */
	CLIENT_OUT_ACCEPT,
};

struct client_output {
	enum client_output_kind kind;
	uint64_t timestamp;  /* BROADCAST, ACCEPT: the request's */
	bool again;	     /* BROADCAST: a retransmission, the same bytes as
			      * the previous BROADCAST (a driver may resend
			      * the copy it signed then) */
	uint64_t delay_us;   /* TIMER */
	size_t off, len;     /* BROADCAST, ACCEPT: in the outbox's bytes */
	uint64_t latency_us; /* ACCEPT: from the SUBMIT to this reply */
	uint32_t retransmissions; /* ACCEPT: broadcasts after the first */
};

/* The outbox a step appends to; owned by the driver, reset before each
 * step (client_outbox_reset). Bytes stay valid until the next reset. */
struct client_outbox {
	struct client_output out[CLIENT_MAX_OUTPUTS];
	size_t count;
	struct wire_buf bytes;
};

void client_outbox_init(struct client_outbox *ob);
void client_outbox_free(struct client_outbox *ob);
void client_outbox_reset(struct client_outbox *ob);

struct client;

/* A new client; BYZ_EINVAL for a configuration outside the ranges above,
 * BYZ_ENOMEM. */
int client_new(const struct client_config *cfg, struct client **out);
/* Free it and clear the caller's pointer; NULL is allowed. */
void client_destroy(struct client **c);

/*
 * Handle one event. Returns 0, or an error code for a driver bug: a
 * SUBMIT while a request is outstanding (BYZ_ESTATE), an operation of the
 * wrong size (BYZ_ETOOBIG, BYZ_EINVAL), a REPLY event without a CLIENT
 * REPLY (BYZ_EINVAL), or a failed outbox (its code). A reply that does not
 * count (another client's, another timestamp, nothing outstanding) is not
 * an error: it is ignored.
 */
int client_step(struct client *c, const struct client_event *ev,
		struct client_outbox *ob);

/* True while a request is outstanding (submitted, not yet accepted). */
bool client_waiting(const struct client *c);
/* The timestamp of the newest request (0 before the first). */
uint64_t client_timestamp(const struct client *c);

#endif
