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

/* One client core of the process, with its own loop state. */
struct cp_client {
	struct client *core;
	struct byz_keypair key;
	uint32_t id, addr;
	struct prng rng;
	uint8_t *frame; /* its current request, signed */
	size_t frame_len;
	uint8_t op_digest[BYZ_DIGEST_BYTES];
	uint32_t sent, accepted;
	uint64_t retry_at, next_at; /* monotonic µs; 0: none */
	uint64_t *latency, *accepted_at;
	size_t cap; /* of latency and accepted_at */
	uint64_t signatures, verifications, cache_hits;
};

struct cp {
	const struct client_proc_opts *o;
	struct cluster cl;
	struct cp_client *cs;
	uint32_t count;
	struct client_outbox ob;
	struct ingress *ing;
	struct net *net;
	struct proc p;
	struct wire_buf signbuf;
	uint8_t *rbuf;
	uint32_t total;	       /* requests per client; 0: no limit */
	uint64_t submit_until; /* monotonic µs; 0: no duration */
	char err[512];
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

static int send_all(struct cp *c, struct cp_client *k)
{
	for (uint32_t r = 0; r < c->cl.sc.n; r++) {
		struct net_env env = {.from = k->addr, .to = r};
		const char *ep =
		    c->cl.adversary[0] ? c->cl.adversary : c->cl.replica[r];
		uint64_t t = proc_now(&c->p);
		struct wire_frame f;
		int rc;

		env.id = proc_msg_id(&c->p);
		if (wire_frame_parse(k->frame, k->frame_len, true, &f))
			f.proto = f.type = 0xff;
		trace_send(&c->p.tr, t, k->addr, r, f.proto, f.type,
			   k->frame_len, env.id);
		env.lc = c->p.tr.lc;
		rc = net_send(c->net, ep, &env, k->frame, k->frame_len, c->err,
			      sizeof c->err);
		if (rc < 0)
			return cp_fail(c, 3, "client %" PRIu32 ": %s", k->id,
				       c->err);
		if (rc == 1)
			trace_drop(&c->p.tr, t, k->addr, r, env.id,
				   "queue-full");
	}
	return 0;
}

/* Room for one more accepted request's figures. */
static int grow(struct cp *c, struct cp_client *k)
{
	size_t cap = k->cap ? 2 * k->cap : 64;
	uint64_t *l, *a;

	if (k->accepted < k->cap)
		return 0;
	l = realloc(k->latency, cap * sizeof *l);
	if (l)
		k->latency = l;
	a = l ? realloc(k->accepted_at, cap * sizeof *a) : NULL;
	if (a)
		k->accepted_at = a;
	if (!l || !a)
		return cp_fail(c, 3, "out of memory");
	k->cap = cap;
	return 0;
}

static int apply(struct cp *c, struct cp_client *k)
{
	for (size_t i = 0; i < c->ob.count; i++) {
		const struct client_output *o = &c->ob.out[i];
		uint64_t t = proc_now(&c->p);

		switch (o->kind) {
		case CLIENT_OUT_BROADCAST:
			if (!o->again || !k->frame) {
				uint8_t *nf;
				wire_buf_reset(&c->signbuf);
				wire_put_bytes(&c->signbuf,
					       c->ob.bytes.data + o->off,
					       o->len);
				if (wire_sign(&c->signbuf, 0, &k->key))
					return cp_fail(c, 3, "cannot sign");
				c->p.tr.counts.signatures++;
				k->signatures++;
				nf = realloc(k->frame, c->signbuf.len);
				if (!nf)
					return cp_fail(c, 3, "out of memory");
				k->frame = nf;
				memcpy(k->frame, c->signbuf.data,
				       c->signbuf.len);
				k->frame_len = c->signbuf.len;
			}
			if (!o->again)
				trace_submit(&c->p.tr, t, k->id, o->timestamp,
					     k->op_digest);
			if (send_all(c, k))
				return -1;
			break;
		case CLIENT_OUT_TIMER:
			k->retry_at = o->delay_us == CLIENT_TIMER_CANCEL
					  ? 0
					  : clock_mono_us() + o->delay_us;
			break;
		case CLIENT_OUT_ACCEPT:
			trace_accept(&c->p.tr, t, k->id, o->timestamp,
				     c->ob.bytes.data + o->off, o->len);
			if (grow(c, k))
				return -1;
			k->latency[k->accepted] = o->latency_us;
			k->accepted_at[k->accepted++] = t;
			if (!c->o->quiet && !c->o->json)
				printf("c%" PRIu32 " ts=%" PRIu64
				       " %.3f ms (%" PRIu32
				       " retransmissions): %.*s\n",
				       k->id, o->timestamp,
				       (double)o->latency_us / 1000.0,
				       o->retransmissions, (int)o->len,
				       (const char *)c->ob.bytes.data + o->off);
			k->next_at = clock_mono_us() + c->cl.sc.think_us;
			if (!k->next_at)
				k->next_at = 1;
			break;
		}
	}
	return 0;
}

static int feed(struct cp *c, struct cp_client *k, struct client_event *ev)
{
	int rc;

	ev->now = clock_mono_us();
	client_outbox_reset(&c->ob);
	rc = client_step(k->core, ev, &c->ob);
	if (rc)
		return cp_fail(c, 3, "client %" PRIu32 ": its core failed: %s",
			       k->id, byz_strerror(rc));
	return apply(c, k);
}

/* The next operation: the one given, or the workload's (as lib/sim.c's). */
static size_t next_op(struct cp *c, struct cp_client *k, uint8_t *op,
		      size_t cap)
{
	int n;

	if (c->o->nops) {
		size_t len = strlen(c->o->ops[k->sent]);
		memcpy(op, c->o->ops[k->sent], len);
		return len;
	}
	if (prng_below(&k->rng, 10) < 7)
		n = snprintf(
		    (char *)op, cap, "put k%" PRIu64 " c%" PRIu32 ".%" PRIu32,
		    prng_below(&k->rng, c->cl.sc.keys), k->id, k->sent);
	else
		n = snprintf((char *)op, cap, "get k%" PRIu64,
			     prng_below(&k->rng, c->cl.sc.keys));
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Whether client k may submit another request (by count and duration). */
static bool more(const struct cp *c, const struct cp_client *k, uint64_t now)
{
	if (c->total && k->sent >= c->total)
		return false;
	return !c->submit_until || now < c->submit_until;
}

static int submit_next(struct cp *c, struct cp_client *k)
{
	uint8_t op[WIRE_MAX_OP];
	struct client_event ev = {.kind = CLIENT_EV_SUBMIT};
	size_t len = next_op(c, k, op, sizeof op);

	k->next_at = 0;
	k->sent++;
	byz_digest(k->op_digest, op, len);
	ev.u.submit.op = op;
	ev.u.submit.len = len;
	return feed(c, k, &ev);
}

static int on_frame(struct cp *c, const struct net_env *env, size_t len)
{
	struct client_event ev = {.kind = CLIENT_EV_REPLY};
	struct ingress_counts before = ingress_counts(c->ing), after;
	struct cp_client *k = &c->cs[0];
	struct wire_msg m;
	uint32_t addr = env->to;
	bool ours = false;
	uint64_t t;
	int rc;

	proc_received(&c->p, env->lc);
	t = proc_now(&c->p);
	rc = ingress_check(c->ing, c->rbuf, len, &m);
	if (!rc && (m.frame.proto != BYZ_PROTO_CLIENT ||
		    m.frame.type != WIRE_CLIENT_REPLY))
		rc = BYZ_ETYPE;
	/* The client the signed reply names; the envelope is only a claim. */
	if (!rc && m.u.reply.client - c->o->id < c->count) {
		k = &c->cs[m.u.reply.client - c->o->id];
		addr = k->addr;
		ours = true;
	}
	after = ingress_counts(c->ing);
	k->verifications += after.verifications - before.verifications;
	k->cache_hits += after.cache_hits - before.cache_hits;
	if (rc) {
		trace_reject(&c->p.tr, t, env->from, addr, env->id, rc);
		return 0;
	}
	if (env->flags & NET_FORGED) {
		static const char what[] = "forged message passed ingress";
		trace_note(&c->p.tr, t, addr, what, sizeof what - 1);
	}
	trace_deliver(&c->p.tr, t, env->from, addr, env->id);
	if (!ours)
		return 0; /* for no client of this process */
	ev.u.reply = &m;
	return feed(c, k, &ev);
}

static int setup_client(struct cp *c, struct cp_client *k, uint32_t id)
{
	struct client_config cc = {0};
	struct keyfile kf;

	k->id = id;
	k->addr = byz_client_addr(id);
	if (keyfile_load(c->cl.keys, BYZ_ROLE_CLIENT, id, true, &kf, c->err,
			 sizeof c->err))
		return cp_fail(c, 2, "%s", c->err);
	keyfile_keypair(&kf, &k->key);
	keyfile_clear(&kf);
	cc.id = id;
	cc.n = c->cl.sc.n;
	cc.f = c->cl.sc.f;
	cc.retry_us = c->cl.sc.retry_us;
	cc.retry_max_us = c->cl.sc.retry_max_us;
	/* A client process may have run before: its timestamps go on from
	 * the wall clock, above any it used then. */
	cc.first_timestamp = clock_wall_us();
	if (client_new(&cc, &k->core))
		return cp_fail(c, 2, "client %" PRIu32 ": bad configuration",
			       id);
	prng_seed(&k->rng, c->cl.sc.seed, CP_STREAM_BASE + id);
	k->cap = c->total ? c->total : 0;
	if (k->cap) {
		k->latency = calloc(k->cap, sizeof *k->latency);
		k->accepted_at = calloc(k->cap, sizeof *k->accepted_at);
		if (!k->latency || !k->accepted_at)
			return cp_fail(c, 3, "out of memory");
	}
	return 0;
}

/* Bind the endpoints of clients id .. id+count-1, each once. */
static int listen_all(struct cp *c)
{
	const struct client_proc_opts *o = c->o;

	if (net_open(&c->net, c->cl.client[o->id], PROC_MAX_FRAME, c->err,
		     sizeof c->err))
		return cp_fail(c, 2, "client %" PRIu32 ": cannot listen at %s",
			       o->id, c->err);
	for (uint32_t i = 1; i < c->count; i++) {
		const char *ep = c->cl.client[o->id + i];
		bool seen = false;
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = !strcmp(ep, c->cl.client[o->id + j]);
		if (!seen && net_bind(c->net, ep, c->err, sizeof c->err))
			return cp_fail(
			    c, 2, "client %" PRIu32 ": cannot listen at %s",
			    o->id + i, c->err);
	}
	return 0;
}

static int setup(struct cp *c)
{
	const struct client_proc_opts *o = c->o;

	if (cluster_load(o->cluster, &c->cl, c->err, sizeof c->err))
		return cp_fail(c, 2, "%s", c->err);
	c->count = o->count ? o->count : 1;
	if (o->id >= c->cl.nclients && c->count == 1)
		return cp_fail(c, 2,
			       "--id: %" PRIu32 " is not a client of %s "
			       "(0 .. %" PRIu32 ")",
			       o->id, o->cluster, c->cl.nclients - 1);
	if (o->id >= c->cl.nclients || c->count > c->cl.nclients - o->id)
		return cp_fail(c, 2,
			       "--id/--count: clients %" PRIu32 "..%" PRIu64
			       " are not all clients of %s (it has %" PRIu32
			       ")",
			       o->id, (uint64_t)o->id + c->count - 1,
			       o->cluster, c->cl.nclients);
	for (size_t i = 0; i < o->nops; i++)
		if (!o->ops[i][0] || strlen(o->ops[i]) > WIRE_MAX_OP)
			return cp_fail(c, 2,
				       "--op: an operation is 1 to %d bytes "
				       "('%.40s' is not)",
				       WIRE_MAX_OP, o->ops[i]);
	c->total = o->nops	    ? (uint32_t)o->nops
		   : o->requests    ? o->requests
		   : o->duration_us ? 0
				    : c->cl.sc.requests;
	c->cs = calloc(c->count, sizeof *c->cs);
	if (!c->cs)
		return cp_fail(c, 3, "out of memory");
	for (uint32_t i = 0; i < c->count; i++)
		if (setup_client(c, &c->cs[i], o->id + i))
			return -1;
	if (proc_ingress(&c->cl, &c->ing, c->err, sizeof c->err))
		return cp_fail(c, 2, "%s", c->err);
	client_outbox_init(&c->ob);
	wire_buf_init(&c->signbuf, WIRE_MAX_FRAME);
	c->rbuf = malloc(PROC_MAX_FRAME);
	if (!c->rbuf)
		return cp_fail(c, 3, "out of memory");
	if (proc_open(&c->p, &c->cl, proc_tag(c->cs[0].addr), 0, o->trace,
		      c->err, sizeof c->err))
		return cp_fail(c, 2, "%s", c->err);
	return listen_all(c);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void print_list(const uint64_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		printf("%s%" PRIu64, i ? "," : "", v[i]);
}

static void report(struct cp *c, const struct cp_client *k)
{
	uint64_t *s = malloc((k->accepted ? k->accepted : 1) * sizeof *s);
	double p50 = 0, p99 = 0, max = 0;

	if (s && k->accepted) {
		memcpy(s, k->latency, k->accepted * sizeof *s);
		qsort(s, k->accepted, sizeof *s, cmp_u64);
		p50 = (double)s[k->accepted / 2] / 1000.0;
		p99 = (double)s[(k->accepted * 99) / 100 < k->accepted
				    ? (k->accepted * 99) / 100
				    : k->accepted - 1] /
		      1000.0;
		max = (double)s[k->accepted - 1] / 1000.0;
	}
	if (c->o->json) {
		printf("{\"client\":%" PRIu32 ",\"accepted\":%" PRIu32
		       ",\"requests\":%" PRIu32 ",\"latency_ms\":{\"p50\":%.3f"
		       ",\"p99\":%.3f,\"max\":%.3f},\"latencies_us\":[",
		       k->id, k->accepted, k->sent, p50, p99, max);
		print_list(k->latency, k->accepted);
		printf("],\"accepted_at_us\":[");
		print_list(k->accepted_at, k->accepted);
		printf("],\"signatures\":%" PRIu64 ",\"verifications\":%" PRIu64
		       ",\"verify_cache_hits\":%" PRIu64 "}\n",
		       k->signatures, k->verifications, k->cache_hits);
	} else if (!c->o->quiet) {
		printf("client %" PRIu32 ": accepted %" PRIu32 "/%" PRIu32
		       "; latency p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
		       k->id, k->accepted, k->sent, p50, p99, max);
	}
	fflush(stdout);
	free(s);
}

/* One pass over the clients: submit what is due, fire due timers. *soon
 * is lowered to the next thing due; *busy is set while any client has
 * something left to do. */
static int tick(struct cp *c, uint64_t now, uint64_t *soon, bool *busy)
{
	*busy = false;
	for (uint32_t i = 0; i < c->count && !c->fatal; i++) {
		struct cp_client *k = &c->cs[i];
		bool waiting = client_waiting(k->core);

		if (!waiting && k->next_at && more(c, k, now)) {
			if (k->next_at <= now) {
				if (submit_next(c, k))
					return -1;
				waiting = true;
			} else if (k->next_at < *soon) {
				*soon = k->next_at;
			}
		}
		if (k->retry_at && k->retry_at <= now) {
			struct client_event ev = {.kind = CLIENT_EV_TIMER};
			trace_timer(&c->p.tr, proc_now(&c->p), k->addr, 0);
			k->retry_at = 0;
			if (feed(c, k, &ev))
				return -1;
		}
		if (k->retry_at && k->retry_at < *soon)
			*soon = k->retry_at;
		waiting = client_waiting(k->core);
		if (waiting || (k->next_at && more(c, k, now)))
			*busy = true;
	}
	return c->fatal ? -1 : 0;
}

int client_proc_main(const struct client_proc_opts *o)
{
	struct cp *c = calloc(1, sizeof *c);
	struct client_event start = {.kind = CLIENT_EV_START};
	uint64_t deadline, t0;
	uint32_t accepted = 0, sent = 0;
	bool busy = true, short_of = false;
	int status;
	char why[256];

	if (!c) {
		fprintf(stderr, "byzlab client: out of memory\n");
		return 3;
	}
	c->o = o;
	if (setup(c))
		goto out;
	for (uint32_t i = 0; i < c->count; i++) {
		if (feed(c, &c->cs[i], &start))
			goto out;
		c->cs[i].next_at = 1;
	}
	t0 = clock_mono_us();
	deadline = o->deadline_us ? t0 + o->deadline_us : 0;
	c->submit_until = o->duration_us ? t0 + o->duration_us : 0;
	while (!proc_stop && !c->fatal && busy) {
		uint64_t now = clock_mono_us(), soon = now + 100000;
		struct net_env env;
		size_t len;
		int rc;

		if (deadline && now >= deadline)
			break;
		if (tick(c, now, &soon, &busy))
			break;
		if (!busy)
			break;
		if (c->submit_until && c->submit_until > now &&
		    c->submit_until < soon)
			soon = c->submit_until;
		if (deadline && deadline < soon)
			soon = deadline;
		now = clock_mono_us();
		rc = net_recv(
		    c->net, soon <= now ? 0 : (int)((soon - now + 999) / 1000),
		    &env, c->rbuf, &len, c->err, sizeof c->err);
		if (rc < 0) {
			cp_fail(c, 3, "client %" PRIu32 ": %s", o->id, c->err);
			break;
		}
		if (rc == 1 && on_frame(c, &env, len))
			break;
	}
	if (!c->fatal)
		for (uint32_t i = 0; i < c->count; i++)
			report(c, &c->cs[i]);
out:
	if (c->fatal)
		fprintf(stderr, "byzlab client: %s\n", c->err);
	for (uint32_t i = 0; c->cs && i < c->count; i++) {
		accepted += c->cs[i].accepted;
		sent += c->cs[i].sent;
		short_of = short_of || c->cs[i].accepted < c->cs[i].sent ||
			   (c->total && c->cs[i].accepted < c->total);
	}
	status = c->fatal ? c->fatal : short_of ? 1 : 0;
	if (status == 1)
		fprintf(stderr,
			"byzlab client: %" PRIu32 " of %" PRIu64
			" requests accepted before %s\n",
			accepted,
			c->total ? (uint64_t)c->total * c->count : sent,
			proc_stop ? "it was stopped" : "the deadline");
	net_close(&c->net);
	if (c->p.cl && proc_close(&c->p, o->trace, why, sizeof why) &&
	    !status) {
		fprintf(stderr, "byzlab client: %s\n", why);
		status = 3;
	}
	for (uint32_t i = 0; c->cs && i < c->count; i++) {
		struct cp_client *k = &c->cs[i];
		client_destroy(&k->core);
		free(k->frame);
		free(k->latency);
		free(k->accepted_at);
		sodium_memzero(&k->key, sizeof k->key);
	}
	free(c->cs);
	client_outbox_free(&c->ob);
	ingress_destroy(&c->ing);
	wire_buf_free(&c->signbuf);
	free(c->rbuf);
	cluster_free(&c->cl);
	free(c);
	return status;
}
