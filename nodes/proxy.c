/*
 * proxy.c - the adversary process (proxy.h).
 */
#include "proxy.h"

#include "adversary.h"
#include "clock.h"
#include "cluster.h"
#include "err.h"
#include "keyfile.h"
#include "net.h"
#include "prng.h"
#include "proc.h"
#include "scenario_io.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROXY_MAX_PENDING 65536
#define PROXY_MAX_BYTES	  (256u << 20)

struct pending {
	uint64_t at, seq; /* monotonic µs; insertion order breaks ties */
	uint32_t from, to, flags;
	uint64_t id;
	uint8_t *frame;
	size_t len;
};

struct proxy {
	const struct proxy_opts *o;
	struct cluster cl;
	struct scenario sc; /* the attacks */
	struct adversary *adv;
	struct net *net;
	struct proc p;
	struct prng adv_rng, net_rng;
	uint64_t gst_us;
	struct pending *heap;
	size_t nheap, bytes;
	uint64_t seq;
	uint8_t *rbuf;
	uint64_t relayed, dropped, overflow;
	char err[512]; /* the message of the failure that stopped it */
	int fatal;
};

__attribute__((format(printf, 3, 4))) static int
px_fail(struct proxy *px, int status, const char *fmt, ...)
{
	char buf[sizeof px->err];
	va_list ap;

	/* Through a copy: callers often pass px->err itself as an argument,
	 * and vsnprintf's source and destination must not overlap. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	memcpy(px->err, buf, sizeof buf);
	if (!px->fatal)
		px->fatal = status;
	return -1;
}

static bool before(const struct pending *a, const struct pending *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_up(struct proxy *px, size_t i)
{
	while (i && before(&px->heap[i], &px->heap[(i - 1) / 2])) {
		struct pending t = px->heap[i];
		px->heap[i] = px->heap[(i - 1) / 2];
		px->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct pending heap_pop(struct proxy *px)
{
	struct pending top = px->heap[0];
	size_t i = 0;

	px->heap[0] = px->heap[--px->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < px->nheap && before(&px->heap[l], &px->heap[m]))
			m = l;
		if (r < px->nheap && before(&px->heap[r], &px->heap[m]))
			m = r;
		if (m == i)
			break;
		struct pending t = px->heap[i];
		px->heap[i] = px->heap[m];
		px->heap[m] = t;
		i = m;
	}
	px->bytes -= top.len;
	return top;
}

/* Send a frame on to its recipient now. */
static int forward(struct proxy *px, uint32_t from, uint32_t to, uint64_t id,
		   uint32_t flags, const uint8_t *frame, size_t len)
{
	const char *ep = cluster_endpoint(&px->cl, to);
	struct net_env env = {.flags = flags,
			      .from = from,
			      .to = to,
			      .id = id,
			      .lc = px->p.tr.lc};
	int rc;

	if (!ep) {
		trace_drop(&px->p.tr, proc_now(&px->p), from, to, id,
			   byz_is_client_addr(to) ? "no-such-client"
						  : "no-such-replica");
		return 0;
	}
	rc = net_send(px->net, ep, &env, frame, len, px->err, sizeof px->err);
	if (rc < 0)
		return px_fail(px, 3, "%s", px->err);
	if (rc == 1)
		trace_drop(&px->p.tr, proc_now(&px->p), from, to, id,
			   "queue-full");
	return 0;
}

/* Hold a frame until at (monotonic µs), or send it now. */
static int schedule(struct proxy *px, uint64_t delay_us, uint32_t from,
		    uint32_t to, uint64_t id, uint32_t flags,
		    const uint8_t *frame, size_t len)
{
	struct pending p = {.from = from, .to = to, .id = id, .flags = flags};

	if (!delay_us)
		return forward(px, from, to, id, flags, frame, len);
	if (px->nheap == PROXY_MAX_PENDING ||
	    px->bytes + len > PROXY_MAX_BYTES) {
		px->overflow++;
		trace_drop(&px->p.tr, proc_now(&px->p), from, to, id,
			   "adversary-queue-full");
		return 0;
	}
	p.frame = malloc(len);
	if (!p.frame)
		return px_fail(px, 3, "out of memory");
	memcpy(p.frame, frame, len);
	p.len = len;
	{
		uint64_t mono = clock_mono_us();
		/* saturating: a delay past the end of time is never */
		p.at =
		    delay_us > UINT64_MAX - mono ? UINT64_MAX : mono + delay_us;
	}
	p.seq = px->seq++;
	px->heap[px->nheap++] = p;
	px->bytes += len;
	heap_up(px, px->nheap - 1);
	return 0;
}

/* The port (adversary.h) over this process. */
static int port_inject_flags(struct proxy *px, uint32_t from, uint32_t to,
			     const uint8_t *frame, size_t len,
			     uint64_t delay_us, uint32_t flags)
{
	uint64_t id = proc_msg_id(&px->p);

	if (len > PROC_MAX_FRAME)
		return BYZ_ETOOBIG;
	trace_send(&px->p.tr, proc_now(&px->p), from, to, 0xfe, 0xfe, len, id);
	return schedule(px, delay_us, from, to, id, flags, frame, len) ? BYZ_EIO
								       : 0;
}

static int port_inject(void *ctx, uint32_t from, uint32_t to,
		       const uint8_t *frame, size_t len, uint64_t delay_us)
{
	return port_inject_flags(ctx, from, to, frame, len, delay_us, 0);
}

static int port_inject_forged(void *ctx, uint32_t from, uint32_t to,
			      const uint8_t *frame, size_t len,
			      uint64_t delay_us)
{
	return port_inject_flags(ctx, from, to, frame, len, delay_us,
				 NET_FORGED);
}

static uint64_t port_now(void *ctx)
{
	return proc_now(&((struct proxy *)ctx)->p);
}

/* What the adversary did, from its counters before and after. */
static void what_it_did(const struct adversary_stats *a,
			const struct adversary_stats *b, char *out, size_t cap)
{
	static const char *names[] = {"delayed",  "duplicated", "replayed",
				      "tampered", "rewritten",	"refused",
				      "injected"};
	const uint64_t before[] = {a->delayed,	a->duplicated, a->replayed,
				   a->tampered, a->rewritten,  a->refused,
				   a->injected};
	const uint64_t after[] = {b->delayed,  b->duplicated, b->replayed,
				  b->tampered, b->rewritten,  b->refused,
				  b->injected};
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (after[i] > before[i] && at < cap)
			at += (size_t)snprintf(out + at, cap - at, "%s%s",
					       at ? "+" : "", names[i]);
	if (!at)
		snprintf(out, cap, "forward");
}

/* One frame in flight to one recipient instance. */
static int relay_one(struct proxy *px, const struct net_env *env, uint32_t to,
		     const uint8_t *frame, size_t len)
{
	struct adv_port port = {.ctx = px,
				.inject = port_inject,
				.inject_forged = port_inject_forged,
				.now = port_now,
				.rng = &px->adv_rng};
	struct adv_msg m = {.id = env->id,
			    .from = env->from,
			    .to = to,
			    .frame = frame,
			    .len = len};
	struct adversary_stats s0, s1;
	uint64_t t = proc_now(&px->p);
	char what[128];

	if (t < px->gst_us && px->sc.loss > 0.0 &&
	    prng_chance(&px->net_rng, px->sc.loss)) {
		trace_drop(&px->p.tr, t, env->from, to, env->id, "loss");
		px->dropped++;
		return 0;
	}
	s0 = adversary_stats(px->adv);
	if (adversary_on_message(px->adv, &port, &m) == ADV_DROP) {
		s1 = adversary_stats(px->adv);
		trace_drop(&px->p.tr, t, env->from, to, env->id, "adversary");
		px->dropped++;
		return 0;
	}
	s1 = adversary_stats(px->adv);
	what_it_did(&s0, &s1, what, sizeof what);
	if (m.forged && !strstr(what, "tampered"))
		strncat(what, "+forged", sizeof what - strlen(what) - 1);
	trace_relay(&px->p.tr, t, env->from, to, env->id, what, m.delay_us);
	px->relayed++;
	if (m.len > PROC_MAX_FRAME)
		return px_fail(px, 3, "the adversary made a frame too large");
	return schedule(px, m.delay_us, env->from, to, env->id,
			(env->flags & NET_FORGED) | (m.forged ? NET_FORGED : 0),
			m.frame, m.len);
}

static int relay(struct proxy *px, const struct net_env *env, size_t len)
{
	proc_received(&px->p, env->lc);
	if (relay_one(px, env, env->to, px->rbuf, len))
		return -1;
	/* Twins: a message to replica r reaches each of its instances. */
	if (env->to < px->cl.sc.n && px->cl.twin[env->to][0])
		return relay_one(px, env, byz_twin_addr(env->to), px->rbuf,
				 len);
	return 0;
}

static int load_scenario(struct proxy *px)
{
	struct scenario_text st;

	if (!px->o->scenario) {
		px->sc = px->cl.sc;
		return 0;
	}
	scenario_text_init(&st, &px->sc);
	if (scenario_text_load(&st, px->o->scenario, px->err, sizeof px->err) ||
	    scenario_text_finish(&st, px->err, sizeof px->err))
		return px_fail(px, 2, "%s", px->err);
	if (px->sc.n != px->cl.sc.n || px->sc.ops != px->cl.sc.ops)
		return px_fail(px, 2,
			       "%s: the scenario is %s with n = %" PRIu32
			       ", the cluster %s with n = %" PRIu32,
			       px->o->scenario, px->sc.ops->name, px->sc.n,
			       px->cl.sc.ops->name, px->cl.sc.n);
	return 0;
}

static int setup(struct proxy *px)
{
	const struct attack_plan *plan;

	if (cluster_load(px->o->cluster, &px->cl, px->err, sizeof px->err))
		return px_fail(px, 2, "%s", px->err);
	if (!px->cl.adversary[0])
		return px_fail(px, 2,
			       "%s names no adversary endpoint "
			       "(cluster.adversary)",
			       px->o->cluster);
	if (load_scenario(px))
		return -1;
	plan = &px->sc.plan;
	if (adversary_check(plan, px->sc.n, px->sc.f, px->err, sizeof px->err))
		return px_fail(px, 2, "%s", px->err);
	/* GST as the simulator and the launcher have it (scenario.h): none
	 * only when network faults act for the whole run; a GST of 0 with
	 * none of them is synchronous from the start */
	px->gst_us = scenario_no_gst(&px->sc) ? UINT64_MAX : px->sc.gst_us;
	if (adversary_new(plan, px->sc.n, px->sc.f, px->gst_us, &px->adv))
		return px_fail(px, 3, "out of memory");
	/* The keys of the replicas it corrupted, and no others. */
	for (uint32_t r = 0; r < px->sc.n; r++) {
		struct keyfile kf;
		struct byz_keypair kp;
		if (!plan->byzantine[r])
			continue;
		if (keyfile_load(px->cl.keys, BYZ_ROLE_REPLICA, r, true, &kf,
				 px->err, sizeof px->err))
			return px_fail(px, 2, "%s", px->err);
		keyfile_keypair(&kf, &kp);
		keyfile_clear(&kf);
		if (adversary_corrupt(px->adv, r, &kp)) {
			sodium_memzero(&kp, sizeof kp);
			return px_fail(px, 3,
				       "replica %" PRIu32 ": key refused", r);
		}
		sodium_memzero(&kp, sizeof kp);
	}
	prng_seed(&px->adv_rng, px->sc.seed, PRNG_ADVERSARY);
	prng_seed(&px->net_rng, px->sc.seed, PRNG_NETWORK);
	px->heap = calloc(PROXY_MAX_PENDING, sizeof *px->heap);
	px->rbuf = malloc(PROC_MAX_FRAME);
	if (!px->heap || !px->rbuf)
		return px_fail(px, 3, "out of memory");
	if (proc_open(&px->p, &px->cl, PROC_ADVERSARY_TAG, 0, px->o->trace,
		      px->err, sizeof px->err))
		return px_fail(px, 2, "%s", px->err);
	if (net_open(&px->net, px->cl.adversary, PROC_MAX_FRAME, px->err,
		     sizeof px->err))
		return px_fail(px, 2, "adversary: cannot listen at %s",
			       px->err);
	return 0;
}

int proxy_main(const struct proxy_opts *o)
{
	struct proxy *px = calloc(1, sizeof *px);
	int status;
	char why[256];

	if (!px) {
		fprintf(stderr, "byzlab adversary: out of memory\n");
		return 3;
	}
	px->o = o;
	if (setup(px))
		goto out;
	if (!o->quiet)
		fprintf(stderr,
			"byzlab adversary: listening at %s; %zu attack(s)\n",
			px->cl.adversary, px->sc.plan.count);
	while (!proc_stop && !px->fatal) {
		uint64_t now = clock_mono_us();
		int wait = 100, rc;
		struct net_env env;
		size_t len;

		while (px->nheap && px->heap[0].at <= now && !px->fatal) {
			struct pending p = heap_pop(px);
			proc_now(&px->p);
			forward(px, p.from, p.to, p.id, p.flags, p.frame,
				p.len);
			free(p.frame);
		}
		if (px->nheap)
			wait = px->heap[0].at <= now
				   ? 0
				   : (int)((px->heap[0].at - now + 999) / 1000);
		if (wait > 100)
			wait = 100;
		rc = net_recv(px->net, wait, &env, px->rbuf, &len, px->err,
			      sizeof px->err);
		if (rc < 0) {
			px_fail(px, 3, "%s", px->err);
			break;
		}
		if (rc == 1 && relay(px, &env, len))
			break;
	}
out:
	if (px->fatal)
		fprintf(stderr, "byzlab adversary: %s\n", px->err);
	status = px->fatal;
	while (px->heap && px->nheap) {
		struct pending p = heap_pop(px);
		free(p.frame);
	}
	net_close(&px->net);
	if (px->p.cl && proc_close(&px->p, o->trace, why, sizeof why) &&
	    !status) {
		fprintf(stderr, "byzlab adversary: %s\n", why);
		status = 3;
	}
	adversary_free(&px->adv);
	free(px->heap);
	free(px->rbuf);
	cluster_free(&px->cl);
	free(px);
	return status;
}
