/*
 * test_client.c - lib/client: the client as a pure core. Replies are real
 * frames, signed with simulation keys and passed through ingress, as a
 * driver would hand them over. The tests assert what a user of the client
 * sees: what it sends, when it retransmits, and which result it accepts.
 */
#include "client.h"
#include "err.h"
#include "ingress.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#define SEED	  3
#define NMAX	  7
#define NCLIENTS  2
#define RETRY	  10000
#define RETRY_MAX 35000

static struct byz_keypair rk[NMAX], ck[NCLIENTS];
static struct ingress *ing;
static struct client_outbox ob;

static void setup(void)
{
	uint8_t rpk[NMAX][BYZ_PK_BYTES], cpk[NCLIENTS][BYZ_PK_BYTES];
	struct ingress_keys keys = {.n = NMAX,
				    .clients = NCLIENTS,
				    .replica = (const uint8_t(*)[32])rpk,
				    .client = (const uint8_t(*)[32])cpk};

	cr_assert_eq(byz_crypto_init(), 0);
	for (uint32_t r = 0; r < NMAX; r++) {
		byz_key_derive(&rk[r], SEED, BYZ_ROLE_REPLICA, r);
		memcpy(rpk[r], rk[r].pk, BYZ_PK_BYTES);
	}
	for (uint32_t c = 0; c < NCLIENTS; c++) {
		byz_key_derive(&ck[c], SEED, BYZ_ROLE_CLIENT, c);
		memcpy(cpk[c], ck[c].pk, BYZ_PK_BYTES);
	}
	cr_assert_eq(ingress_new(&keys, 8, &ing), 0);
	client_outbox_init(&ob);
}

static void teardown(void)
{
	ingress_destroy(&ing);
	client_outbox_free(&ob);
}

TestSuite(client, .init = setup, .fini = teardown);

static struct client *mk(uint32_t id, uint32_t n, uint32_t f)
{
	struct client_config cfg = {.id = id,
				    .n = n,
				    .f = f,
				    .retry_us = RETRY,
				    .retry_max_us = RETRY_MAX};
	struct client *c;

	cr_assert_eq(client_new(&cfg, &c), 0);
	return c;
}

static int step(struct client *c, const struct client_event *ev)
{
	client_outbox_reset(&ob);
	return client_step(c, ev, &ob);
}

static void submit(struct client *c, uint64_t now, const char *op)
{
	struct client_event ev = {.kind = CLIENT_EV_SUBMIT, .now = now};

	ev.u.submit.op = (const uint8_t *)op;
	ev.u.submit.len = strlen(op);
	cr_assert_eq(step(c, &ev), 0);
}

static void fire(struct client *c, uint64_t now)
{
	struct client_event ev = {.kind = CLIENT_EV_TIMER, .now = now};

	cr_assert_eq(step(c, &ev), 0);
}

/* Replica r's signed REPLY to client `to` for timestamp ts, through
 * ingress, handed to the client. */
static void reply(struct client *c, uint64_t now, uint32_t r, uint32_t to,
		  uint64_t ts, const char *result)
{
	struct client_event ev = {.kind = CLIENT_EV_REPLY, .now = now};
	struct wire_buf b;
	struct wire_msg m;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(wire_enc_reply(&b, NULL, r, 1, to, ts,
				    (const uint8_t *)result, strlen(result)),
		     0);
	cr_assert_eq(wire_sign(&b, 0, &rk[r]), 0);
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), 0);
	ev.u.reply = &m;
	cr_assert_eq(step(c, &ev), 0);
	wire_buf_free(&b);
}

static const struct client_output *find(enum client_output_kind kind)
{
	for (size_t i = 0; i < ob.count; i++)
		if (ob.out[i].kind == kind)
			return &ob.out[i];
	return NULL;
}

static void assert_accepted(const char *result, uint64_t ts)
{
	const struct client_output *a = find(CLIENT_OUT_ACCEPT), *t;

	cr_assert_not_null(a, "no acceptance");
	cr_assert_eq(a->timestamp, ts);
	cr_assert_eq(a->len, strlen(result));
	cr_assert_eq(memcmp(ob.bytes.data + a->off, result, a->len), 0);
	t = find(CLIENT_OUT_TIMER);
	cr_assert_not_null(t, "the retransmission timer is not cancelled");
	cr_assert_eq(t->delay_us, CLIENT_TIMER_CANCEL);
}

Test(client, submit_broadcasts_an_unsigned_request_and_arms_the_timeout)
{
	struct client *c = mk(1, 4, 1);
	const struct client_output *o;
	struct wire_frame f;
	struct wire_buf b;
	struct wire_msg m;

	submit(c, 100, "put k1 v");
	cr_assert_eq(ob.count, 2);
	o = &ob.out[0];
	cr_assert_eq(o->kind, CLIENT_OUT_BROADCAST);
	cr_assert_not(o->again);
	cr_assert_eq(o->timestamp, 1);
	/* Unsigned: the driver signs it at egress with the client's key. */
	cr_assert_eq(
	    wire_frame_parse(ob.bytes.data + o->off, o->len, false, &f), 0);
	cr_assert_eq(f.proto, BYZ_PROTO_CLIENT);
	cr_assert_eq(f.type, WIRE_CLIENT_REQUEST);
	wire_buf_init(&b, WIRE_MAX_FRAME);
	wire_put_bytes(&b, ob.bytes.data + o->off, o->len);
	cr_assert_eq(wire_sign(&b, 0, &ck[1]), 0);
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), 0);
	cr_assert_eq(m.u.request.client, 1);
	cr_assert_eq(m.u.request.timestamp, 1);
	cr_assert_eq(m.u.request.op_len, 8);
	cr_assert_eq(memcmp(m.u.request.op, "put k1 v", 8), 0);
	wire_buf_free(&b);
	cr_assert_eq(ob.out[1].kind, CLIENT_OUT_TIMER);
	cr_assert_eq(ob.out[1].delay_us, RETRY);
	cr_assert(client_waiting(c));
	client_destroy(&c);
	cr_assert_null(c);
}

Test(client, accepts_on_f_plus_1_matching_replies_from_distinct_replicas)
{
	struct client *c = mk(0, 4, 1);

	submit(c, 1000, "get k1");
	reply(c, 1500, 0, 0, 1, "v1");
	cr_assert_null(find(CLIENT_OUT_ACCEPT), "one reply is not f+1");
	reply(c, 1600, 0, 0, 1, "v1");
	cr_assert_null(find(CLIENT_OUT_ACCEPT), "a duplicate counted twice");
	reply(c, 1700, 1, 0, 1, "v2");
	cr_assert_null(find(CLIENT_OUT_ACCEPT), "a mismatching result counted");
	cr_assert(client_waiting(c));
	reply(c, 1800, 2, 0, 1, "v1");
	assert_accepted("v1", 1);
	cr_assert_eq(find(CLIENT_OUT_ACCEPT)->latency_us, 800);
	cr_assert_eq(find(CLIENT_OUT_ACCEPT)->retransmissions, 0);
	cr_assert_not(client_waiting(c));
	/* Once accepted, later replies change nothing. */
	reply(c, 1900, 3, 0, 1, "v1");
	cr_assert_eq(ob.count, 0);
	client_destroy(&c);
}

Test(client, needs_f_plus_1_with_f_2)
{
	struct client *c = mk(0, 7, 2);

	submit(c, 0, "put k2 x");
	reply(c, 10, 4, 0, 1, "ok");
	reply(c, 20, 4, 0, 1, "ok");
	reply(c, 30, 6, 0, 1, "ok");
	reply(c, 40, 6, 0, 1, "ok");
	reply(c, 50, 0, 0, 1, "bad");
	reply(c, 60, 1, 0, 1, "bad");
	cr_assert_null(find(CLIENT_OUT_ACCEPT),
		       "two replicas with duplicates are not f+1 = 3");
	reply(c, 70, 2, 0, 1, "ok");
	assert_accepted("ok", 1);
	client_destroy(&c);
}

Test(client, a_replicas_later_reply_replaces_its_earlier_one)
{
	struct client *c = mk(0, 4, 1);

	submit(c, 0, "get k3");
	reply(c, 10, 0, 0, 1, "a");
	reply(c, 20, 0, 0, 1, "b");
	reply(c, 30, 1, 0, 1, "a");
	cr_assert_null(find(CLIENT_OUT_ACCEPT),
		       "replica 0 took back \"a\": only replica 1 says it");
	reply(c, 40, 2, 0, 1, "b");
	assert_accepted("b", 1);
	client_destroy(&c);
}

Test(client, ignores_replies_for_other_timestamps_and_clients)
{
	struct client *c = mk(0, 4, 1);

	submit(c, 0, "put k4 y");
	for (uint32_t r = 0; r < 4; r++)
		reply(c, 10, r, 0, 2, "ok"); /* a future timestamp */
	for (uint32_t r = 0; r < 4; r++)
		reply(c, 20, r, 1, 1, "ok"); /* another client's */
	cr_assert_null(find(CLIENT_OUT_ACCEPT));
	cr_assert(client_waiting(c));
	reply(c, 30, 0, 0, 1, "ok");
	reply(c, 40, 1, 0, 1, "ok");
	assert_accepted("ok", 1);

	/* The next request: replies to the first no longer count. */
	submit(c, 50, "get k4");
	cr_assert_eq(client_timestamp(c), 2);
	for (uint32_t r = 0; r < 4; r++)
		reply(c, 60, r, 0, 1, "ok");
	cr_assert_null(find(CLIENT_OUT_ACCEPT));
	reply(c, 70, 2, 0, 2, "y");
	reply(c, 80, 3, 0, 2, "y");
	assert_accepted("y", 2);
	client_destroy(&c);
}

Test(client, retransmits_with_doubling_backoff_up_to_the_cap)
{
	struct client *c = mk(0, 4, 1);
	uint8_t first[256];
	size_t first_len;
	const uint64_t want[] = {2 * RETRY, RETRY_MAX, RETRY_MAX, RETRY_MAX};
	uint64_t now = 0;

	submit(c, now, "put k5 z");
	first_len = ob.out[0].len;
	cr_assert_leq(first_len, sizeof first);
	memcpy(first, ob.bytes.data + ob.out[0].off, first_len);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		now += i ? want[i - 1] : RETRY;
		fire(c, now);
		cr_assert_eq(ob.count, 2);
		cr_assert_eq(ob.out[0].kind, CLIENT_OUT_BROADCAST);
		cr_assert(ob.out[0].again);
		cr_assert_eq(ob.out[0].timestamp, 1);
		cr_assert_eq(ob.out[0].len, first_len);
		cr_assert_eq(
		    memcmp(ob.bytes.data + ob.out[0].off, first, first_len), 0,
		    "a retransmission changed");
		cr_assert_eq(ob.out[1].kind, CLIENT_OUT_TIMER);
		cr_assert_eq(ob.out[1].delay_us, want[i], "retry %zu: %" PRIu64,
			     i, ob.out[1].delay_us);
	}
	reply(c, now + 5, 0, 0, 1, "z");
	reply(c, now + 6, 1, 0, 1, "z");
	assert_accepted("z", 1);
	cr_assert_eq(find(CLIENT_OUT_ACCEPT)->retransmissions, 4);
	cr_assert_eq(find(CLIENT_OUT_ACCEPT)->latency_us, now + 6);
	/* A timer that fires after acceptance sends nothing. */
	fire(c, now + 100000);
	cr_assert_eq(ob.count, 0);
	client_destroy(&c);
}

Test(client, refuses_driver_mistakes)
{
	struct client *c = mk(0, 4, 1);
	struct client_event ev = {.kind = CLIENT_EV_SUBMIT};
	static uint8_t big[WIRE_MAX_OP + 1];
	/* n >= 2f+1 is the least any failure model allows (a crash-fault
	 * protocol's n = 3, f = 1 is a cluster): n = 2, f = 1 is not. */
	struct client_config bad = {
	    .id = 0, .n = 2, .f = 1, .retry_us = 1, .retry_max_us = 1};
	struct client *none = NULL;

	ev.u.submit.op = big;
	ev.u.submit.len = 0;
	cr_assert_eq(step(c, &ev), BYZ_EINVAL);
	ev.u.submit.len = sizeof big;
	cr_assert_eq(step(c, &ev), BYZ_ETOOBIG);
	cr_assert_not(client_waiting(c));
	ev.kind = CLIENT_EV_START;
	cr_assert_eq(step(c, &ev), 0);
	cr_assert_eq(ob.count, 0);
	submit(c, 0, "get k6");
	ev.kind = CLIENT_EV_SUBMIT;
	ev.u.submit.len = 3;
	cr_assert_eq(step(c, &ev), BYZ_ESTATE,
		     "a second request while one is outstanding");
	cr_assert_eq(client_new(&bad, &none), BYZ_EINVAL, "n < 2f+1");
	bad.n = 3;
	cr_assert_eq(client_new(&bad, &none), 0, "n = 2f+1");
	client_destroy(&none);
	bad.n = 4;
	bad.retry_max_us = 0;
	cr_assert_eq(client_new(&bad, &none), BYZ_EINVAL, "cap below retry");
	cr_assert_null(none);
	client_destroy(&c);
}

Test(client, the_same_events_give_the_same_outputs)
{
	struct client *a = mk(0, 4, 1), *b = mk(0, 4, 1);
	uint8_t out_a[1024];
	size_t len_a;

	submit(a, 5, "put k7 w");
	fire(a, 10005);
	len_a = ob.bytes.len;
	memcpy(out_a, ob.bytes.data, len_a);
	submit(b, 5, "put k7 w");
	fire(b, 10005);
	cr_assert_eq(ob.bytes.len, len_a);
	cr_assert_eq(memcmp(ob.bytes.data, out_a, len_a), 0);
	client_destroy(&a);
	client_destroy(&b);
}
