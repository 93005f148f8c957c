/*
 * client_proc.c - a client process (client_proc.h).
 */
#include "client_proc.h"

#include "client.h"
#include "clock.h"
#include "cluster.h"
#include "err.h"
#include "keyfile.h"
#include "net.h"
#include "prng.h"
#include "proc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CP_STREAM_BASE 0x100 /* PRNG streams of client workloads */

struct cp {
	const struct client_proc_opts *o;
	struct cluster cl;
	struct client *core;
	struct client_outbox ob;
	struct ingress *ing;
	struct byz_keypair key;
	uint32_t id, addr;
	struct net *net;
	struct proc p;
	struct prng rng;
	struct wire_buf signbuf;
	uint8_t *frame; /* the current request, signed */
	size_t frame_len;
	uint8_t *rbuf;
	uint8_t op_digest[BYZ_DIGEST_BYTES];
	uint32_t total, sent, accepted;
	uint64_t retry_at, next_at; /* monotonic µs; 0: none */
	uint64_t *latency;
	char why[512], err[512];
	int fatal;
};

__attribute__((format(printf, 3, 4))) static int
cp_fail(struct cp *c, int status, const char *fmt, ...)
{
	char buf[sizeof c->err];
	va_list ap;

	/* Through a copy: callers often pass c->err itself as an argument,
	 * and vsnprintf's source and destination must not overlap. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	memcpy(c->err, buf, sizeof buf);
	if (!c->fatal)
		c->fatal = status;
	return -1;
}

static int send_all(struct cp *c)
{
	for (uint32_t r = 0; r < c->cl.sc.n; r++) {
		struct net_env env = {.from = c->addr, .to = r};
		const char *ep =
		    c->cl.adversary[0] ? c->cl.adversary : c->cl.replica[r];
		uint64_t t = proc_now(&c->p);
		struct wire_frame f;
		int rc;

		env.id = proc_msg_id(&c->p);
		if (wire_frame_parse(c->frame, c->frame_len, true, &f))
			f.proto = f.type = 0xff;
		trace_send(&c->p.tr, t, c->addr, r, f.proto, f.type,
			   c->frame_len, env.id);
		env.lc = c->p.tr.lc;
		rc = net_send(c->net, ep, &env, c->frame, c->frame_len, c->err,
			      sizeof c->err);
		if (rc < 0)
			return cp_fail(c, 3, "client %" PRIu32 ": %s", c->id,
				       c->err);
		if (rc == 1)
			trace_drop(&c->p.tr, t, c->addr, r, env.id,
				   "queue-full");
	}
	return 0;
}

static int apply(struct cp *c)
{
	for (size_t i = 0; i < c->ob.count; i++) {
		const struct client_output *o = &c->ob.out[i];
		uint64_t t = proc_now(&c->p);

		switch (o->kind) {
		case CLIENT_OUT_BROADCAST:
			if (!o->again || !c->frame) {
				uint8_t *nf;
				wire_buf_reset(&c->signbuf);
				wire_put_bytes(&c->signbuf,
					       c->ob.bytes.data + o->off,
					       o->len);
				if (wire_sign(&c->signbuf, 0, &c->key))
					return cp_fail(c, 3, "cannot sign");
				c->p.tr.counts.signatures++;
				nf = realloc(c->frame, c->signbuf.len);
				if (!nf)
					return cp_fail(c, 3, "out of memory");
				c->frame = nf;
				memcpy(c->frame, c->signbuf.data,
				       c->signbuf.len);
				c->frame_len = c->signbuf.len;
			}
			if (!o->again)
				trace_submit(&c->p.tr, t, c->id, o->timestamp,
					     c->op_digest);
			if (send_all(c))
				return -1;
			break;
		case CLIENT_OUT_TIMER:
			c->retry_at = o->delay_us == CLIENT_TIMER_CANCEL
					  ? 0
					  : clock_mono_us() + o->delay_us;
			break;
		case CLIENT_OUT_ACCEPT:
			trace_accept(&c->p.tr, t, c->id, o->timestamp,
				     c->ob.bytes.data + o->off, o->len);
			c->latency[c->accepted++] = o->latency_us;
			if (!c->o->quiet && !c->o->json)
				printf("c%" PRIu32 " ts=%" PRIu64
				       " %.3f ms (%" PRIu32
				       " retransmissions): %.*s\n",
				       c->id, o->timestamp,
				       (double)o->latency_us / 1000.0,
				       o->retransmissions, (int)o->len,
				       (const char *)c->ob.bytes.data + o->off);
			c->next_at = clock_mono_us() + c->cl.sc.think_us;
			if (!c->next_at)
				c->next_at = 1;
			break;
		}
	}
	return 0;
}

static int feed(struct cp *c, struct client_event *ev)
{
	int rc;

	ev->now = clock_mono_us();
	client_outbox_reset(&c->ob);
	rc = client_step(c->core, ev, &c->ob);
	if (rc)
		return cp_fail(c, 3, "client %" PRIu32 ": its core failed: %s",
			       c->id, byz_strerror(rc));
	return apply(c);
}

/* The next operation: the one given, or the workload's (as lib/sim.c's). */
static size_t next_op(struct cp *c, uint8_t *op, size_t cap)
{
	int n;

	if (c->o->nops) {
		size_t len = strlen(c->o->ops[c->sent]);
		memcpy(op, c->o->ops[c->sent], len);
		return len;
	}
	if (prng_below(&c->rng, 10) < 7)
		n = snprintf(
		    (char *)op, cap, "put k%" PRIu64 " c%" PRIu32 ".%" PRIu32,
		    prng_below(&c->rng, c->cl.sc.keys), c->id, c->sent);
	else
		n = snprintf((char *)op, cap, "get k%" PRIu64,
			     prng_below(&c->rng, c->cl.sc.keys));
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int submit_next(struct cp *c)
{
	uint8_t op[WIRE_MAX_OP];
	struct client_event ev = {.kind = CLIENT_EV_SUBMIT};
	size_t len = next_op(c, op, sizeof op);

	c->next_at = 0;
	c->sent++;
	byz_digest(c->op_digest, op, len);
	ev.u.submit.op = op;
	ev.u.submit.len = len;
	return feed(c, &ev);
}

static int on_frame(struct cp *c, const struct net_env *env, size_t len)
{
	struct client_event ev = {.kind = CLIENT_EV_REPLY};
	struct wire_msg m;
	uint64_t t;
	int rc;

	proc_received(&c->p, env->lc);
	t = proc_now(&c->p);
	rc = ingress_check(c->ing, c->rbuf, len, &m);
	if (!rc && (m.frame.proto != BYZ_PROTO_CLIENT ||
		    m.frame.type != WIRE_CLIENT_REPLY))
		rc = BYZ_ETYPE;
	if (rc) {
		trace_reject(&c->p.tr, t, env->from, c->addr, env->id, rc);
		return 0;
	}
	if (env->flags & NET_FORGED) {
		static const char what[] = "forged message passed ingress";
		trace_note(&c->p.tr, t, c->addr, what, sizeof what - 1);
	}
	trace_deliver(&c->p.tr, t, env->from, c->addr, env->id);
	ev.u.reply = &m;
	return feed(c, &ev);
}

static int setup(struct cp *c)
{
	const struct client_proc_opts *o = c->o;
	struct client_config cc = {0};
	struct keyfile kf;

	if (cluster_load(o->cluster, &c->cl, c->err, sizeof c->err))
		return cp_fail(c, 2, "%s", c->err);
	if (o->id >= c->cl.nclients)
		return cp_fail(c, 2,
			       "--id: %" PRIu32 " is not a client of %s "
			       "(it has %" PRIu32 ")",
			       o->id, o->cluster, c->cl.nclients);
	for (size_t i = 0; i < o->nops; i++)
		if (!o->ops[i][0] || strlen(o->ops[i]) > WIRE_MAX_OP)
			return cp_fail(c, 2,
				       "--op: an operation is 1 to %d bytes "
				       "('%.40s' is not)",
				       WIRE_MAX_OP, o->ops[i]);
	c->id = o->id;
	c->addr = byz_client_addr(o->id);
	c->total = o->nops	 ? (uint32_t)o->nops
		   : o->requests ? o->requests
				 : c->cl.sc.requests;
	if (keyfile_load(c->cl.keys, BYZ_ROLE_CLIENT, c->id, true, &kf, c->err,
			 sizeof c->err))
		return cp_fail(c, 2, "%s", c->err);
	keyfile_keypair(&kf, &c->key);
	keyfile_clear(&kf);
	if (proc_ingress(&c->cl, &c->ing, c->err, sizeof c->err))
		return cp_fail(c, 2, "%s", c->err);
	cc.id = c->id;
	cc.n = c->cl.sc.n;
	cc.f = c->cl.sc.f;
	cc.retry_us = c->cl.sc.retry_us;
	cc.retry_max_us = c->cl.sc.retry_max_us;
	/* A client process may have run before: its timestamps go on from
	 * the wall clock, above any it used then. */
	cc.first_timestamp = clock_wall_us();
	if (client_new(&cc, &c->core))
		return cp_fail(c, 2, "client %" PRIu32 ": bad configuration",
			       c->id);
	client_outbox_init(&c->ob);
	wire_buf_init(&c->signbuf, WIRE_MAX_FRAME);
	prng_seed(&c->rng, c->cl.sc.seed, CP_STREAM_BASE + c->id);
	c->rbuf = malloc(PROC_MAX_FRAME);
	c->latency = calloc(c->total ? c->total : 1, sizeof *c->latency);
	if (!c->rbuf || !c->latency)
		return cp_fail(c, 3, "out of memory");
	if (proc_open(&c->p, &c->cl, proc_tag(c->addr), 0, o->trace, c->err,
		      sizeof c->err))
		return cp_fail(c, 2, "%s", c->err);
	if (net_open(&c->net, c->cl.client[c->id], PROC_MAX_FRAME, c->err,
		     sizeof c->err))
		return cp_fail(c, 2, "client %" PRIu32 ": cannot listen at %s",
			       c->id, c->err);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(struct cp *c)
{
	uint64_t *s = malloc((c->accepted ? c->accepted : 1) * sizeof *s);
	double p50 = 0, p99 = 0, max = 0;

	if (s && c->accepted) {
		memcpy(s, c->latency, c->accepted * sizeof *s);
		qsort(s, c->accepted, sizeof *s, cmp_u64);
		p50 = (double)s[c->accepted / 2] / 1000.0;
		p99 = (double)s[(c->accepted * 99) / 100 < c->accepted
				    ? (c->accepted * 99) / 100
				    : c->accepted - 1] /
		      1000.0;
		max = (double)s[c->accepted - 1] / 1000.0;
	}
	if (c->o->json) {
		printf("{\"client\":%" PRIu32 ",\"accepted\":%" PRIu32
		       ",\"requests\":%" PRIu32 ",\"latency_ms\":{\"p50\":%.3f"
		       ",\"p99\":%.3f,\"max\":%.3f},\"latencies_us\":[",
		       c->id, c->accepted, c->total, p50, p99, max);
		for (uint32_t i = 0; i < c->accepted; i++)
			printf("%s%" PRIu64, i ? "," : "", c->latency[i]);
		printf("]}\n");
	} else if (!c->o->quiet) {
		printf("client %" PRIu32 ": accepted %" PRIu32 "/%" PRIu32
		       "; latency p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
		       c->id, c->accepted, c->total, p50, p99, max);
	}
	fflush(stdout);
	free(s);
}

int client_proc_main(const struct client_proc_opts *o)
{
	struct cp *c = calloc(1, sizeof *c);
	struct client_event start = {.kind = CLIENT_EV_START};
	uint64_t deadline;
	int status;
	char why[256];

	if (!c) {
		fprintf(stderr, "byzlab client: out of memory\n");
		return 3;
	}
	c->o = o;
	if (setup(c) || feed(c, &start))
		goto out;
	deadline = o->deadline_us ? clock_mono_us() + o->deadline_us : 0;
	c->next_at = c->total ? 1 : 0;
	while (!proc_stop && !c->fatal && c->accepted < c->total) {
		uint64_t now = clock_mono_us(), soon = now + 100000;
		struct net_env env;
		size_t len;
		int rc;

		if (deadline && now >= deadline)
			break;
		if (c->next_at && c->next_at <= now &&
		    !client_waiting(c->core)) {
			if (submit_next(c))
				break;
			continue;
		}
		if (c->retry_at && c->retry_at <= now) {
			struct client_event ev = {.kind = CLIENT_EV_TIMER};
			trace_timer(&c->p.tr, proc_now(&c->p), c->addr, 0);
			c->retry_at = 0;
			if (feed(c, &ev))
				break;
			continue;
		}
		if (c->retry_at && c->retry_at < soon)
			soon = c->retry_at;
		if (c->next_at && c->next_at < soon)
			soon = c->next_at;
		if (deadline && deadline < soon)
			soon = deadline;
		rc = net_recv(c->net, (int)((soon - now + 999) / 1000), &env,
			      c->rbuf, &len, c->err, sizeof c->err);
		if (rc < 0) {
			cp_fail(c, 3, "client %" PRIu32 ": %s", c->id, c->err);
			break;
		}
		if (rc == 1 && on_frame(c, &env, len))
			break;
	}
	if (!c->fatal)
		report(c);
out:
	if (c->fatal)
		fprintf(stderr, "byzlab client: %s\n", c->err);
	status = c->fatal ? c->fatal : c->accepted < c->total ? 1 : 0;
	if (status == 1)
		fprintf(stderr,
			"byzlab client: %" PRIu32 " of %" PRIu32
			" requests accepted before %s\n",
			c->accepted, c->total,
			proc_stop ? "it was stopped" : "the deadline");
	net_close(&c->net);
	if (c->p.cl && proc_close(&c->p, o->trace, why, sizeof why) &&
	    !status) {
		fprintf(stderr, "byzlab client: %s\n", why);
		status = 3;
	}
	client_destroy(&c->core);
	client_outbox_free(&c->ob);
	ingress_destroy(&c->ing);
	wire_buf_free(&c->signbuf);
	free(c->frame);
	free(c->rbuf);
	free(c->latency);
	sodium_memzero(&c->key, sizeof c->key);
	cluster_free(&c->cl);
	free(c);
	return status;
}
