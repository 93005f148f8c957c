/*
 * sim.c - the deterministic discrete-event simulator. See sim.h.
 */
#include "sim.h"

#include "audit.h"

#include "client.h"
#include "err.h"
#include "ingress.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_OUTBOX_MAX_OUTPUTS 65536
#define SIM_OUTBOX_MAX_BYTES   (64u << 20)
#define SIM_SIGN_MAX	       (WIRE_MAX_FRAME)
#define SIM_PERSIST_MAX	       (256u << 20) /* a replica's persisted log, bytes */

/* A frame shared by every event that carries it (a broadcast is one blob).
 * Its bytes never change, so ingress checks it once for all its receivers
 * (ingress_memo); a frame the adversary alters is a new blob. */
struct sim_blob {
	uint32_t refs;
	size_t len;
	struct ingress_memo memo;
	uint8_t data[];
};

enum sim_ev_kind {
	EV_DELIVER = 1, /* a = from, b = to, blob, x = message id */
	EV_TIMER,	/* a = replica, b = timer id, x = generation */
	EV_CLIENT,  /* a = client, b = enum sim_client_timer, x = generation */
	EV_CRASH,   /* a = index into cfg.crashes */
	EV_RESTART, /* a = index into cfg.crashes */
	EV_PERSISTED, /* a = replica, x = token, b = replica epoch */
	EV_START,     /* a = replica */
};

struct sim_ev {
	uint64_t t, seq;
	enum sim_ev_kind kind;
	uint32_t a, b;
	uint64_t x;
	uint32_t flags; /* EV_DELIVER: SIM_FORGED */
	struct sim_blob *blob;
};

#define SIM_FORGED 1u /* the adversary altered it without its sender's key */

struct sim_replica {
	void *core;
	bool up;
	uint32_t epoch;			    /* bumped at every crash */
	uint64_t timer_gen[BYZ_MAX_TIMERS]; /* only the newest setting fires */
	uint8_t *persisted; /* the persisted log (owned): records
			     * as u32 length + bytes (core.h) */
	size_t persisted_len, persisted_cap;
	const struct sim_clock *clock; /* its faulty clock, or NULL */
	uint64_t commits;	       /* COMMIT outputs since last start */
	uint64_t height;	       /* highest height committed */
};

/* A client's two timers: its core's (retransmission) and the workload's
 * (think time, then the next request). */
enum sim_client_timer {
	SIM_CLIENT_RETRY = 0,
	SIM_CLIENT_NEXT = 1,
};

/* A simulated client: its core (client.h), driven like a replica's, and
 * the workload's state around it. */
struct sim_client {
	struct byz_keypair key;
	struct client *core;	/* owned */
	uint32_t sent;		/* requests started */
	uint64_t gen[2];	/* of each timer's pending EV_CLIENT */
	struct sim_blob *frame; /* the current request, signed */
	uint8_t op_digest[BYZ_DIGEST_BYTES]; /* of the current operation */
};

struct sim {
	struct sim_config cfg;
	struct trace *tr;
	uint64_t now, seq, next_msg_id, events;
	struct prng net_rng, work_rng, adv_rng;
	struct ingress *ing;
	struct byz_keypair rkeys[BYZ_MAX_N];
	/* Instances: rep[r] is replica r, rep[BYZ_MAX_N + r] its twin. */
	struct sim_replica rep[2 * BYZ_MAX_N];
	struct sim_client *clients;
	struct sim_ev *heap;
	size_t nheap, capheap;
	struct byz_outbox ob;
	struct audit *audit; /* honest replicas' output rules (audit.h) */
	struct client_outbox cob;
	struct wire_buf signbuf;
	struct sim_stats st;
	bool in_step; /* asserts the no-re-entry rule */
};

/* ---- blobs ---------------------------------------------------------- */

static struct sim_blob *blob_new(const uint8_t *data, size_t len)
{
	struct sim_blob *b = malloc(sizeof *b + len);

	if (!b)
		return NULL;
	b->refs = 1;
	b->len = len;
	memset(&b->memo, 0, sizeof b->memo);
	memcpy(b->data, data, len);
	return b;
}

static void blob_put(struct sim_blob **b)
{
	if (*b && --(*b)->refs == 0)
		free(*b);
	*b = NULL;
}

/* ---- the event heap: ordered by (t, seq), seq unique ---------------- */

static bool ev_less(const struct sim_ev *x, const struct sim_ev *y)
{
	return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static int heap_push(struct sim *s, struct sim_ev ev)
{
	size_t i;

	if (s->nheap == s->capheap) {
		size_t ncap = s->capheap ? s->capheap * 2 : 1024;
		struct sim_ev *nh = realloc(s->heap, ncap * sizeof *nh);
		if (!nh) {
			blob_put(&ev.blob);
			return BYZ_ENOMEM;
		}
		s->heap = nh;
		s->capheap = ncap;
	}
	ev.seq = s->seq++;
	i = s->nheap++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_less(&ev, &s->heap[parent]))
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i] = ev;
	return 0;
}

static struct sim_ev heap_pop(struct sim *s)
{
	struct sim_ev top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct sim_ev *cand = &last;
		if (l < s->nheap && ev_less(&s->heap[l], cand)) {
			m = l;
			cand = &s->heap[l];
		}
		if (r < s->nheap && ev_less(&s->heap[r], cand))
			m = r;
		if (m == i)
			break;
		s->heap[i] = s->heap[m];
		i = m;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

static int schedule(struct sim *s, uint64_t at, enum sim_ev_kind kind,
		    uint32_t a, uint32_t b, uint64_t x, struct sim_blob *blob)
{
	struct sim_ev ev = {
	    .t = at, .kind = kind, .a = a, .b = b, .x = x, .blob = blob};
	return heap_push(s, ev);
}

/* now + delay, saturating: a delay past the end of time is never, not a
 * time that wrapped around into the past. */
static uint64_t sim_later(uint64_t now, uint64_t delay)
{
	return delay > UINT64_MAX - now ? UINT64_MAX : now + delay;
}

static int schedule_deliver(struct sim *s, uint64_t at, uint32_t from,
			    uint32_t to, uint64_t id, struct sim_blob *blob,
			    uint32_t flags)
{
	struct sim_ev ev = {.t = at,
			    .kind = EV_DELIVER,
			    .a = from,
			    .b = to,
			    .x = id,
			    .flags = flags,
			    .blob = blob};
	return heap_push(s, ev);
}

/* ---- nodes: replicas and their twins ----------------------------------- */

#define NO_NODE UINT32_MAX

/* The instance index of a replica or twin address, or NO_NODE. */
static uint32_t node_index(const struct sim *s, uint32_t addr)
{
	if (addr < s->cfg.core.n)
		return addr;
	if (byz_is_twin_addr(addr)) {
		uint32_t r = byz_addr_replica(addr);
		if (r < s->cfg.core.n && s->cfg.twin[r])
			return BYZ_MAX_N + r;
	}
	return NO_NODE;
}

static uint32_t node_addr(uint32_t ni)
{
	return ni < BYZ_MAX_N ? ni : byz_twin_addr(ni - BYZ_MAX_N);
}

static uint32_t node_id(uint32_t ni)
{
	return ni % BYZ_MAX_N;
}

/* ---- configuration --------------------------------------------------- */

int sim_config_check(const struct sim_config *cfg, char *why, size_t whylen)
{
	const struct byz_config *c = &cfg->core;

#define BAD(...)                                                               \
	do {                                                                   \
		snprintf(why, whylen, __VA_ARGS__);                            \
		return BYZ_EINVAL;                                             \
	} while (0)
	uint32_t b = 0;

	if (!cfg->ops)
		BAD("no protocol");
	if (cfg->crypto != BYZ_SCHEME_ED25519 && cfg->crypto != BYZ_SCHEME_FAST)
		BAD("unknown signature scheme %d", (int)cfg->crypto);
	/* The protocol's limits and its own check, every rule it breaks
	 * (core.h, byz_config_check). */
	if (byz_config_check(cfg->ops, c, why, whylen))
		return BYZ_EINVAL;
	for (uint32_t r = 0; r < BYZ_MAX_N; r++) {
		if (cfg->byzantine[r] && r >= c->n)
			BAD("replica %" PRIu32 " is Byzantine, but there is no "
			    "such replica (n = %" PRIu32 ")",
			    r, c->n);
		b += cfg->byzantine[r];
	}
	if (b >= c->n)
		BAD("every replica is Byzantine (b = n = %" PRIu32
		    "): no honest replica is left to check; at most %" PRIu32
		    " (n - 1)",
		    c->n, c->n - 1);
	if (cfg->work.clients < 1 || cfg->work.clients > c->max_clients)
		BAD("clients = %" PRIu32 " is outside 1..%" PRIu32,
		    cfg->work.clients, c->max_clients);
	if (c->app.max_clients != c->max_clients)
		BAD("the application's client table must match max_clients");
	if (cfg->work.keys < 1)
		BAD("the workload needs at least one key");
	if (cfg->work.retry_us == 0 ||
	    cfg->work.retry_max_us < cfg->work.retry_us)
		BAD("client retry timeouts must be positive and retry_max >= "
		    "retry");
	if (cfg->net.loss < 0.0 || cfg->net.loss > 1.0)
		BAD("loss must be a probability");
	if (cfg->ncrashes > SIM_MAX_CRASHES)
		BAD("at most %d crashes", SIM_MAX_CRASHES);
	for (size_t i = 0; i < cfg->ncrashes; i++) {
		const struct sim_crash *k = &cfg->crashes[i];
		if (k->replica >= c->n)
			BAD("crash of replica %" PRIu32
			    ": no such replica (n = %" PRIu32 ")",
			    k->replica, c->n);
		if (k->restart_at_us && k->restart_at_us <= k->at_us)
			BAD("replica %" PRIu32 " restarts before it crashes",
			    k->replica);
	}
	if (cfg->nclocks > SIM_MAX_CLOCKS)
		BAD("at most %d faulty clocks", SIM_MAX_CLOCKS);
	for (size_t i = 0; i < cfg->nclocks; i++) {
		const struct sim_clock *k = &cfg->clocks[i];
		if (k->replica >= c->n)
			BAD("clock of replica %" PRIu32
			    ": no such replica (n = %" PRIu32 ")",
			    k->replica, c->n);
		for (size_t j = 0; j < i; j++)
			if (cfg->clocks[j].replica == k->replica)
				BAD("replica %" PRIu32 " has two clocks",
				    k->replica);
		if (k->rate_ppm < SIM_RATE_MIN || k->rate_ppm > SIM_RATE_MAX)
			BAD("clock of replica %" PRIu32 ": rate %" PRIu32
			    " millionths is outside %u..%u",
			    k->replica, k->rate_ppm, SIM_RATE_MIN,
			    SIM_RATE_MAX);
		if (k->offset_us < -(int64_t)SIM_SHIFT_MAX_US ||
		    k->offset_us > (int64_t)SIM_SHIFT_MAX_US ||
		    k->jump_us < -(int64_t)SIM_SHIFT_MAX_US ||
		    k->jump_us > (int64_t)SIM_SHIFT_MAX_US)
			BAD("clock of replica %" PRIu32
			    ": offset and jump are at most %llu us either way",
			    k->replica, (unsigned long long)SIM_SHIFT_MAX_US);
	}
	for (uint32_t r = 0; r < BYZ_MAX_N; r++)
		if (cfg->twin[r] && (r >= c->n || !cfg->byzantine[r]))
			BAD("replica %" PRIu32
			    " has a twin but is not a Byzantine "
			    "replica of the cluster",
			    r);
	if (c->nleaders > BYZ_MAX_LEADERS)
		BAD("a leader schedule of more than %d views", BYZ_MAX_LEADERS);
	for (uint32_t v = 0; v < c->nleaders; v++)
		if (c->leaders[v] >= c->n)
			BAD("view %" PRIu32 " is led by replica %u: no such "
			    "replica (n = %" PRIu32 ")",
			    v, (unsigned)c->leaders[v], c->n);
#undef BAD
	return 0;
}

/* ---- construction ---------------------------------------------------- */

static int client_apply(struct sim *s, uint32_t c);

/* The verified-signature cache's size for n replicas: what a run keeps
 * verifying is mostly the signatures embedded in certificates and
 * requests, about n per decision in flight; 2^12 slots (132 KiB) up to
 * n = 8, 2^16 (2.1 MiB) from n = 128. A smaller cache only costs
 * verifications; it never changes an answer. */
static unsigned cache_slots_log2(uint32_t n)
{
	unsigned l = 9;

	while (l < 16 && ((uint32_t)1 << (l - 9)) < n)
		l++;
	return l < 12 ? 12 : l;
}

/* Ingress (ingress.h) with the public keys the simulation derived. */
static int sim_ingress_new(struct sim *s)
{
	uint32_t n = s->cfg.core.n, nc = s->cfg.work.clients;
	uint8_t(*pk)[BYZ_PK_BYTES] = malloc(((size_t)n + nc) * sizeof *pk);
	struct ingress_keys keys = {.n = n, .clients = nc};
	int rc;

	if (!pk)
		return BYZ_ENOMEM;
	for (uint32_t r = 0; r < n; r++)
		memcpy(pk[r], s->rkeys[r].pk, BYZ_PK_BYTES);
	for (uint32_t c = 0; c < nc; c++)
		memcpy(pk[n + c], s->clients[c].key.pk, BYZ_PK_BYTES);
	if (s->cfg.crypto == BYZ_SCHEME_FAST) {
		/* Fast mode: ingress checks with the signers' secrets. */
		for (uint32_t r = 0; r < n; r++)
			memcpy(pk[r], s->rkeys[r].sk, BYZ_FAST_KEY_BYTES);
		for (uint32_t c = 0; c < nc; c++)
			memcpy(pk[n + c], s->clients[c].key.sk,
			       BYZ_FAST_KEY_BYTES);
	}
	keys.replica = (const uint8_t(*)[BYZ_PK_BYTES])pk;
	keys.client = (const uint8_t(*)[BYZ_PK_BYTES])(pk + n);
	keys.scheme = s->cfg.crypto;
	rc = ingress_new(&keys, cache_slots_log2(n), &s->ing);
	free(pk);
	return rc;
}

/* One client core (client.h) per simulated client, started. */
static int sim_clients_new(struct sim *s)
{
	struct client_config cc = {
	    .n = s->cfg.core.n,
	    .f = s->cfg.core.f,
	    .retry_us = s->cfg.work.retry_us,
	    .retry_max_us = s->cfg.work.retry_max_us,
	};
	struct client_event ev = {.kind = CLIENT_EV_START, .now = 0};
	int rc;

	for (uint32_t c = 0; c < s->cfg.work.clients; c++) {
		cc.id = c;
		rc = client_new(&cc, &s->clients[c].core);
		if (rc)
			return rc;
		client_outbox_reset(&s->cob);
		rc = client_step(s->clients[c].core, &ev, &s->cob);
		if (!rc)
			rc = client_apply(s, c);
		if (rc)
			return rc;
	}
	return 0;
}

/* The keypair of (role, id) in the run's scheme. */
static void sim_key(const struct sim_config *cfg, struct byz_keypair *kp,
		    enum byz_role role, uint32_t id)
{
	if (cfg->crypto == BYZ_SCHEME_FAST)
		byz_key_derive_fast(kp, cfg->seed, role, id);
	else
		byz_key_derive(kp, cfg->seed, role, id);
}

int sim_new(const struct sim_config *cfg, struct trace *tr, struct sim **out)
{
	struct sim *s;
	char why[160];
	int rc;

	*out = NULL;
	if (sim_config_check(cfg, why, sizeof why))
		return BYZ_EINVAL;
	s = calloc(1, sizeof *s);
	if (!s)
		return BYZ_ENOMEM;
	s->cfg = *cfg;
	s->tr = tr;
	prng_seed(&s->net_rng, cfg->seed, PRNG_NETWORK);
	prng_seed(&s->work_rng, cfg->seed, PRNG_WORKLOAD);
	prng_seed(&s->adv_rng, cfg->seed, PRNG_ADVERSARY);
	s->clients = calloc(cfg->work.clients, sizeof *s->clients);
	if (!s->clients) {
		rc = BYZ_ENOMEM;
		goto fail;
	}
	byz_outbox_init(&s->ob, SIM_OUTBOX_MAX_OUTPUTS, SIM_OUTBOX_MAX_BYTES);
	client_outbox_init(&s->cob);
	wire_buf_init(&s->signbuf, SIM_SIGN_MAX);
	for (uint32_t r = 0; r < cfg->core.n; r++)
		sim_key(cfg, &s->rkeys[r], BYZ_ROLE_REPLICA, r);
	for (uint32_t c = 0; c < cfg->work.clients; c++)
		sim_key(cfg, &s->clients[c].key, BYZ_ROLE_CLIENT, c);
	if ((rc = sim_ingress_new(s)) || (rc = sim_clients_new(s)) ||
	    (rc = audit_new(cfg->ops, &cfg->core, &s->audit)))
		goto fail;
	/* The checkers leave out Byzantine replicas, and replicas restarted
	 * without their state: amnesia is a Byzantine behaviour
	 * (ARCHITECTURE.md), since such a replica may execute again what it
	 * executed before. The run still waits for the latter to catch up. */
	for (uint32_t r = 0; r < cfg->core.n; r++)
		tr->log.byzantine[r] = cfg->byzantine[r];
	/* A faulty clock is its replica's and its twin's (same id). */
	for (size_t i = 0; i < cfg->nclocks; i++) {
		uint32_t r = cfg->clocks[i].replica;
		s->rep[r].clock = s->rep[BYZ_MAX_N + r].clock =
		    &s->cfg.clocks[i];
	}
	for (size_t i = 0; i < cfg->ncrashes; i++)
		if (cfg->crashes[i].restart_at_us &&
		    !cfg->crashes[i].keep_state)
			tr->log.byzantine[cfg->crashes[i].replica] = true;
	tr->log.gst_us = cfg->net.gst_us;
	s->st.requests = (uint64_t)cfg->work.clients * cfg->work.requests;

	/* Every replica starts at 0; clients start one after another, 1 µs
	 * apart, so their first requests have a fixed order. */
	for (uint32_t r = 0; r < cfg->core.n; r++)
		if ((rc = schedule(s, 0, EV_START, r, 0, 0, NULL)))
			goto fail;
	for (uint32_t r = 0; r < cfg->core.n; r++)
		if (cfg->twin[r] &&
		    (rc = schedule(s, 0, EV_START, BYZ_MAX_N + r, 0, 0, NULL)))
			goto fail;
	for (uint32_t c = 0; c < cfg->work.clients; c++)
		if ((rc = schedule(s, 1 + c, EV_CLIENT, c, SIM_CLIENT_NEXT, 0,
				   NULL)))
			goto fail;
	for (size_t i = 0; i < cfg->ncrashes; i++) {
		if ((rc = schedule(s, cfg->crashes[i].at_us, EV_CRASH,
				   (uint32_t)i, 0, 0, NULL)))
			goto fail;
		if (cfg->crashes[i].restart_at_us &&
		    (rc = schedule(s, cfg->crashes[i].restart_at_us, EV_RESTART,
				   (uint32_t)i, 0, 0, NULL)))
			goto fail;
	}
	*out = s;
	return 0;
fail:
	sim_destroy(&s);
	return rc;
}

void sim_destroy(struct sim **sp)
{
	struct sim *s = *sp;

	if (!s)
		return;
	for (size_t i = 0; i < s->nheap; i++)
		blob_put(&s->heap[i].blob);
	free(s->heap);
	audit_free(&s->audit);
	/* Instances r and BYZ_MAX_N + r (its twin) for r < n: no other is
	 * used. */
	for (uint32_t r = 0; r < s->cfg.core.n && r < BYZ_MAX_N; r++)
		for (uint32_t i = r; i < 2 * BYZ_MAX_N; i += BYZ_MAX_N) {
			if (s->rep[i].core)
				s->cfg.ops->destroy(&s->rep[i].core);
			free(s->rep[i].persisted);
		}
	if (s->clients)
		for (uint32_t c = 0; c < s->cfg.work.clients; c++) {
			blob_put(&s->clients[c].frame);
			client_destroy(&s->clients[c].core);
		}
	free(s->clients);
	ingress_destroy(&s->ing);
	byz_outbox_free(&s->ob);
	client_outbox_free(&s->cob);
	wire_buf_free(&s->signbuf);
	free(s);
	*sp = NULL;
}

struct sim_stats sim_stats(const struct sim *s)
{
	struct sim_stats st = s->st;

	st.now = s->now;
	st.events = s->events;
	return st;
}

uint64_t sim_now(const struct sim *s)
{
	return s->now;
}

struct prng *sim_adversary_prng(struct sim *s)
{
	return &s->adv_rng;
}

uint32_t sim_n(const struct sim *s)
{
	return s->cfg.core.n;
}

uint32_t sim_f(const struct sim *s)
{
	return s->cfg.core.f;
}

const struct byz_keypair *sim_byzantine_key(const struct sim *s, uint32_t id)
{
	return id < s->cfg.core.n && s->cfg.byzantine[id] ? &s->rkeys[id]
							  : NULL;
}

/* ---- faulty clocks (struct sim_clock) ----------------------------------- */

#define MILLION 1000000u

/* floor(t * rate / 1e6), exactly, saturating at UINT64_MAX. */
static uint64_t clock_scale(uint64_t t, uint32_t rate)
{
	uint64_t q = t / MILLION, hi, lo;

	if (q > UINT64_MAX / rate)
		return UINT64_MAX;
	hi = q * rate;
	lo = (t % MILLION) * rate / MILLION; /* < 1e6 * 1e7: no overflow */
	return hi > UINT64_MAX - lo ? UINT64_MAX : hi + lo;
}

/* The least t with floor(t * rate / 1e6) >= k: ceil(k * 1e6 / rate),
 * saturating. */
static uint64_t clock_unscale(uint64_t k, uint32_t rate)
{
	uint64_t q = k / rate, r = k % rate;
	uint64_t hi, lo = (r * MILLION + rate - 1) / rate; /* r < 1e7 */

	if (q > UINT64_MAX / MILLION)
		return UINT64_MAX;
	hi = q * MILLION;
	return hi > UINT64_MAX - lo ? UINT64_MAX : hi + lo;
}

/* The clock's shift at real time t: offset, plus the jump once made.
 * Both are bounded by SIM_SHIFT_MAX_US (sim_config_check): no overflow. */
static int64_t clock_shift(const struct sim_clock *c, uint64_t t)
{
	return c->offset_us +
	       (c->jump_us && t >= c->jump_at_us ? c->jump_us : 0);
}

/* v + d, clamped to 0..UINT64_MAX. */
static uint64_t add_signed(uint64_t v, int64_t d)
{
	uint64_t m;

	if (d >= 0)
		return v > UINT64_MAX - (uint64_t)d ? UINT64_MAX
						    : v + (uint64_t)d;
	m = (uint64_t)(-(d + 1)) + 1;
	return v < m ? 0 : v - m;
}

uint64_t sim_clock_local(const struct sim_clock *c, uint64_t t)
{
	if (!c)
		return t;
	return add_signed(clock_scale(t, c->rate_ppm), clock_shift(c, t));
}

/* The least t >= from with floor(t * rate / 1e6) + shift >= deadline
 * (deadline >= 1, so the clamp at 0 does not matter). */
static uint64_t clock_reach(const struct sim_clock *c, int64_t shift,
			    uint64_t from, uint64_t deadline)
{
	uint64_t k = add_signed(deadline, -shift), t;

	if (k == UINT64_MAX)
		return UINT64_MAX;
	t = clock_unscale(k, c->rate_ppm);
	return t > from ? t : from;
}

uint64_t sim_clock_fire(const struct sim_clock *c, uint64_t now,
			uint64_t deadline)
{
	uint64_t t;

	if (!c)
		return deadline;
	if (deadline == UINT64_MAX)
		return UINT64_MAX;
	if (sim_clock_local(c, now) >= deadline)
		return now;
	if (!c->jump_us || now >= c->jump_at_us)
		return clock_reach(c, clock_shift(c, now), now, deadline);
	/* before the jump, then from the jump on */
	t = clock_reach(c, c->offset_us, now, deadline);
	if (t < c->jump_at_us)
		return t;
	return clock_reach(c, c->offset_us + c->jump_us, c->jump_at_us,
			   deadline);
}

/* What instance ni's clock reads now. */
static uint64_t local_now(const struct sim *s, uint32_t ni)
{
	return sim_clock_local(s->rep[ni].clock, s->now);
}

/* ---- the network ------------------------------------------------------ */

/* Send a signed frame from one node to another through the network model
 * and the adversary hook. The blob is shared; this takes a reference. */
static int net_send_one(struct sim *s, uint32_t from, uint32_t to,
			struct sim_blob *blob)
{
	const struct sim_network *net = &s->cfg.net;
	struct wire_frame f;
	uint64_t id = s->next_msg_id++;
	struct sim_flight fl;

	if (wire_frame_parse(blob->data, blob->len, true, &f) == 0)
		trace_send(s->tr, s->now, from, to, f.proto, f.type, blob->len,
			   id);
	else /* only an adversary's injection can be malformed */
		trace_send(s->tr, s->now, from, to, 0xff, 0xff, blob->len, id);
	if (s->cfg.on_frame)
		s->cfg.on_frame(s->cfg.on_frame_ctx, id, SIM_FRAME_SENT,
				blob->data, blob->len);

	fl.delay_us = net->latency_us;
	if (net->jitter_us)
		fl.delay_us += prng_below(&s->net_rng, net->jitter_us + 1);
	if (s->now < net->gst_us && net->loss > 0.0 &&
	    prng_chance(&s->net_rng, net->loss)) {
		trace_drop(s->tr, s->now, from, to, id, "loss");
		return 0;
	}
	if (s->cfg.hook) {
		fl.id = id;
		fl.now = s->now;
		fl.from = from;
		fl.to = to;
		fl.frame = blob->data;
		fl.len = blob->len;
		fl.forged = false;
		if (s->cfg.hook(s->cfg.hook_ctx, s, &fl) == SIM_DROP) {
			trace_drop(s->tr, s->now, from, to, id, "adversary");
			return 0;
		}
		if (fl.frame != blob->data || fl.len != blob->len ||
		    fl.forged) {
			struct sim_blob *nb;
			if (fl.len > WIRE_MAX_FRAME + BYZ_SIG_BYTES)
				return BYZ_ETOOBIG;
			if (s->cfg.on_frame &&
			    (fl.forged || fl.len != blob->len ||
			     memcmp(fl.frame, blob->data, fl.len)))
				s->cfg.on_frame(s->cfg.on_frame_ctx, id,
						fl.forged ? SIM_FRAME_FORGED
							  : SIM_FRAME_CHANGED,
						fl.frame, fl.len);
			nb = blob_new(fl.frame, fl.len);
			if (!nb)
				return BYZ_ENOMEM;
			return schedule_deliver(
			    s, sim_later(s->now, fl.delay_us), from, to, id, nb,
			    fl.forged ? SIM_FORGED : 0);
		}
	}
	blob->refs++;
	return schedule_deliver(s, sim_later(s->now, fl.delay_us), from, to, id,
				blob, 0);
}

/* A message to a replica reaches each of its instances (twins). */
static int net_send(struct sim *s, uint32_t from, uint32_t to,
		    struct sim_blob *blob)
{
	int rc = net_send_one(s, from, to, blob);

	if (!rc && to < s->cfg.core.n && s->cfg.twin[to])
		rc = net_send_one(s, from, byz_twin_addr(to), blob);
	return rc;
}

/* A replica's message to itself: signed like any other, delivered locally
 * right after the current step (core.h), not through the network. */
static int loopback(struct sim *s, uint32_t addr, struct sim_blob *blob)
{
	uint64_t id = s->next_msg_id++;

	trace_loopback(s->tr, s->now, addr, id);
	blob->refs++;
	return schedule_deliver(s, s->now, addr, addr, id, blob, 0);
}

static int inject(struct sim *s, uint32_t from, uint32_t to,
		  const uint8_t *frame, size_t len, uint64_t delay_us,
		  uint32_t flags)
{
	struct sim_blob *b;
	uint64_t id = s->next_msg_id++;

	if (len > WIRE_MAX_FRAME + BYZ_SIG_BYTES)
		return BYZ_ETOOBIG;
	b = blob_new(frame, len);
	if (!b)
		return BYZ_ENOMEM;
	trace_send(s->tr, s->now, from, to, 0xfe, 0xfe, len, id);
	if (s->cfg.on_frame)
		s->cfg.on_frame(s->cfg.on_frame_ctx, id,
				(flags & SIM_FORGED) ? SIM_FRAME_INJECTED_FORGED
						     : SIM_FRAME_INJECTED,
				frame, len);
	return schedule_deliver(s, sim_later(s->now, delay_us), from, to, id, b,
				flags);
}

int sim_inject(struct sim *s, uint32_t from, uint32_t to, const uint8_t *frame,
	       size_t len, uint64_t delay_us)
{
	return inject(s, from, to, frame, len, delay_us, 0);
}

int sim_inject_forged(struct sim *s, uint32_t from, uint32_t to,
		      const uint8_t *frame, size_t len, uint64_t delay_us)
{
	return inject(s, from, to, frame, len, delay_us, SIM_FORGED);
}

/* Sign the unsigned frame at ob bytes [off, off+len) as replica r. */
static struct sim_blob *sign_frame(struct sim *s, uint32_t r,
				   const uint8_t *unsigned_frame, size_t len)
{
	wire_buf_reset(&s->signbuf);
	wire_put_bytes(&s->signbuf, unsigned_frame, len);
	if (wire_sign(&s->signbuf, 0, &s->rkeys[r]))
		return NULL;
	s->tr->counts.signatures++;
	/* The simulator made this signature with r's key: no receiver need
	 * verify it again (its embedded signatures are checked as always). */
	ingress_trust_signed(s->ing, BYZ_ROLE_REPLICA, r, s->signbuf.data,
			     s->signbuf.len);
	return blob_new(s->signbuf.data, s->signbuf.len);
}

/* The frames one step has signed so far: a core that sends the same bytes
 * twice (a broadcast and its own loopback copy, core.h) gets one signature
 * and one shared frame, as a real node signs it once (nodes/node.c). */
#define SIM_ONCE_MAX 8
struct sim_once {
	size_t n;
	struct {
		const uint8_t *bytes; /* in the step's outbox */
		size_t len;
		struct sim_blob *blob; /* a reference held */
	} e[SIM_ONCE_MAX];
};

static void once_put(struct sim_once *once)
{
	for (size_t i = 0; i < once->n; i++)
		blob_put(&once->e[i].blob);
	once->n = 0;
}

/* The signed frame of these unsigned bytes as replica r: the one this step
 * already made, or a new one. A new reference, or NULL (no memory). */
static struct sim_blob *sign_once(struct sim *s, struct sim_once *once,
				  uint32_t r, const uint8_t *bytes, size_t len)
{
	struct sim_blob *b;

	for (size_t i = 0; i < once->n; i++)
		if (once->e[i].len == len &&
		    memcmp(once->e[i].bytes, bytes, len) == 0) {
			once->e[i].blob->refs++;
			return once->e[i].blob;
		}
	b = sign_frame(s, r, bytes, len);
	if (b && once->n < SIM_ONCE_MAX) {
		once->e[once->n].bytes = bytes;
		once->e[once->n].len = len;
		once->e[once->n].blob = b;
		once->n++;
		b->refs++;
	}
	return b;
}

/* ---- ingress ------------------------------------------------------------ */

/* Decode and authenticate a delivered frame (ingress.h), keeping the
 * trace's counts current; 0 or the rejection code. */
static int ingress(struct sim *s, struct sim_blob *b, struct wire_msg *m)
{
	int rc = ingress_check_memo(s->ing, b->data, b->len, m, &b->memo);

	s->tr->counts.verifications = ingress_counts(s->ing).verifications;
	return rc;
}

/* ---- replicas ------------------------------------------------------------ */

static void mark_core_error(struct sim *s, uint32_t r, int rc)
{
	if (!s->st.core_error) {
		s->st.core_error = rc;
		s->st.core_error_replica = r;
	}
}

/* Carry out a step's outputs in order (core.h: persist before what
 * follows it). ni is the instance (a replica or its twin). */
static int apply_step_outputs(struct sim *s, uint32_t ni, struct sim_once *once)
{
	struct sim_replica *rep = &s->rep[ni];
	uint32_t r = node_id(ni), addr = node_addr(ni);
	const uint8_t *bytes = s->ob.bytes.data;

	for (size_t i = 0; i < s->ob.count; i++) {
		const struct byz_output *o = &s->ob.out[i];
		struct sim_blob *blob;
		int rc = 0;

		switch (o->kind) {
		case BYZ_OUT_PERSIST: {
			size_t need =
			    (o->replace ? 0 : rep->persisted_len) + 4 + o->len;
			if (need > SIM_PERSIST_MAX) {
				/* The core never compacts its log: its bug. */
				mark_core_error(s, addr, BYZ_ELIMIT);
				return 0;
			}
			if (o->replace)
				rep->persisted_len = 0;
			if (need > rep->persisted_cap) {
				size_t ncap = rep->persisted_cap
						  ? rep->persisted_cap
						  : 4096;
				uint8_t *np;
				while (ncap < need)
					ncap *= 2;
				np = realloc(rep->persisted, ncap);
				if (!np)
					return BYZ_ENOMEM;
				rep->persisted = np;
				rep->persisted_cap = ncap;
			}
			for (int k = 0; k < 4; k++)
				rep->persisted[rep->persisted_len + k] =
				    (uint8_t)(o->len >> (8 * k));
			memcpy(rep->persisted + rep->persisted_len + 4,
			       bytes + o->off, o->len);
			rep->persisted_len = need;
			rc = schedule(s, s->now, EV_PERSISTED, ni, rep->epoch,
				      o->token, NULL);
			break;
		}
		case BYZ_OUT_SEND:
		case BYZ_OUT_BROADCAST: {
			struct wire_frame f;
			rc =
			    wire_frame_parse(bytes + o->off, o->len, false, &f);
			if (rc || f.sender != r) {
				/* A core's own output is malformed: its bug. */
				mark_core_error(s, addr, rc ? rc : BYZ_EFIELD);
				return 0;
			}
			blob = sign_once(s, once, r, bytes + o->off, o->len);
			if (!blob)
				return BYZ_ENOMEM;
			/* An honest replica's output keeps its protocol's
			 * rules (audit.h); a twin is Byzantine. */
			if (ni < BYZ_MAX_N && !s->tr->log.byzantine[r])
				audit_output(s->audit, s->tr, s->now, r,
					     blob->data, blob->len);
			if (o->kind == BYZ_OUT_SEND && o->to == r) {
				rc = loopback(s, addr, blob);
			} else if (o->kind == BYZ_OUT_SEND) {
				rc = net_send(s, addr, o->to, blob);
			} else {
				for (uint32_t to = 0; to < s->cfg.core.n && !rc;
				     to++)
					if (to != r)
						rc =
						    net_send(s, addr, to, blob);
			}
			blob_put(&blob);
			break;
		}
		case BYZ_OUT_TIMER: {
			uint64_t at = s->now + o->delay_us;
			rep->timer_gen[o->timer]++;
			if (o->delay_us == BYZ_TIMER_CANCEL)
				break;
			/* A faulty clock: the deadline is on its own clock. */
			if (rep->clock)
				at = sim_clock_fire(
				    rep->clock, s->now,
				    add_signed(local_now(s, ni),
					       o->delay_us > INT64_MAX
						   ? INT64_MAX
						   : (int64_t)o->delay_us));
			if (at != UINT64_MAX)
				rc = schedule(s, at, EV_TIMER, ni, o->timer,
					      rep->timer_gen[o->timer], NULL);
			break;
		}
		case BYZ_OUT_COMMIT:
			rep->commits++;
			if (o->commit.height > rep->height)
				rep->height = o->commit.height;
			trace_commit(s->tr, s->now, addr, &o->commit);
			break;
		case BYZ_OUT_NOTE:
			trace_note(s->tr, s->now, addr,
				   (const char *)bytes + o->off, o->len);
			break;
		case BYZ_OUT_VIEW:
			trace_view(s->tr, s->now, addr, &o->view);
			break;
		}
		if (rc)
			return rc;
	}
	/* Its commits, judged once what it sent with them was seen. */
	for (size_t i = 0;
	     ni < BYZ_MAX_N && !s->tr->log.byzantine[r] && i < s->ob.count; i++)
		if (s->ob.out[i].kind == BYZ_OUT_COMMIT)
			audit_commit(s->audit, s->tr, s->now, r,
				     &s->ob.out[i].commit);
	return 0;
}

static int apply_outputs(struct sim *s, uint32_t ni)
{
	struct sim_once once = {0};
	int rc = apply_step_outputs(s, ni, &once);

	once_put(&once);
	return rc;
}

/* Feed one event to instance ni's core and carry out what it answers. */
static int replica_step(struct sim *s, uint32_t ni, const struct byz_event *ev)
{
	struct sim_replica *rep = &s->rep[ni];
	int rc;

	assert(!s->in_step);
	if (!rep->up || !rep->core)
		return 0;
	byz_outbox_reset(&s->ob);
	s->in_step = true;
	rc = s->cfg.ops->step(rep->core, ev, &s->ob);
	s->in_step = false;
	if (rc) {
		mark_core_error(s, node_addr(ni), rc);
		return 0;
	}
	/* Rule coverage: what honest replicas' rules decided. */
	if (ni < BYZ_MAX_N && !s->tr->log.byzantine[node_id(ni)])
		s->st.rules |= s->ob.rules;
	return apply_outputs(s, ni);
}

static int replica_start(struct sim *s, uint32_t ni, const uint8_t *persisted,
			 size_t len, bool restarted)
{
	struct sim_replica *rep = &s->rep[ni];
	struct byz_config c = s->cfg.core;
	struct byz_event ev = {.kind = BYZ_EV_START,
			       .now = local_now(s, ni),
			       .u.restarted = restarted};
	int rc;

	c.id = node_id(ni);
	rc = s->cfg.ops->create(&c, persisted, len, &rep->core);
	if (rc) {
		mark_core_error(s, node_addr(ni), rc);
		return 0;
	}
	rep->up = true;
	rep->commits = 0;
	return replica_step(s, ni, &ev);
}

static void replica_crash(struct sim *s, uint32_t r)
{
	struct sim_replica *rep = &s->rep[r];

	if (!rep->up)
		return;
	rep->up = false;
	rep->epoch++;
	for (int t = 0; t < BYZ_MAX_TIMERS; t++)
		rep->timer_gen[t]++; /* its pending timers die with it */
	s->cfg.ops->destroy(&rep->core);
	trace_crash(s->tr, s->now, r);
}

static int replica_restart(struct sim *s, uint32_t r, bool keep_state)
{
	struct sim_replica *rep = &s->rep[r];

	if (rep->up)
		return 0;
	if (!keep_state) {
		audit_forget(s->audit, r);
		free(rep->persisted);
		rep->persisted = NULL;
		rep->persisted_len = rep->persisted_cap = 0;
	}
	rep->height = 0;
	trace_restart(s->tr, s->now, r, keep_state);
	return replica_start(s, r, rep->persisted, rep->persisted_len, true);
}

static int deliver_to_replica(struct sim *s, const struct sim_ev *ev,
			      uint32_t ni)
{
	uint32_t to = ev->b;
	struct wire_msg m;
	struct byz_event e = {.now = local_now(s, ni)};
	int rc;

	if (!s->rep[ni].up) {
		trace_drop(s->tr, s->now, ev->a, to, ev->x, "down");
		return 0;
	}
	rc = ingress(s, ev->blob, &m);
	if (!rc) {
		if (m.frame.proto == BYZ_PROTO_CLIENT &&
		    m.frame.type == WIRE_CLIENT_REQUEST)
			e.kind = BYZ_EV_REQUEST;
		else if (m.frame.proto == s->cfg.ops->proto)
			e.kind = BYZ_EV_MESSAGE;
		else
			rc = BYZ_EPROTO; /* e.g. a reply sent to a replica */
	}
	if (rc) {
		trace_reject(s->tr, s->now, ev->a, to, ev->x, rc);
		return 0;
	}
	if (ev->flags & SIM_FORGED) {
		static const char what[] = "forged message passed ingress";
		s->st.forged_accepted++;
		trace_note(s->tr, s->now, to, what, sizeof what - 1);
	}
	trace_deliver(s->tr, s->now, ev->a, to, ev->x);
	/* What an honest replica was sent, a later message of its may cite
	 * by digest (audit.h). */
	if (ni < BYZ_MAX_N && !s->tr->log.byzantine[node_id(ni)] &&
	    e.kind == BYZ_EV_MESSAGE)
		audit_input(s->audit, node_id(ni), &m);
	e.u.msg = &m;
	return replica_step(s, ni, &e);
}

/* ---- clients ------------------------------------------------------------- */

/* The workload's next operation: put or get on a key of the space. */
static size_t make_op(struct sim *s, uint32_t c, uint8_t *op, size_t cap)
{
	uint64_t key = prng_below(&s->work_rng, s->cfg.work.keys);
	int n;

	if (prng_below(&s->work_rng, 10) < 7)
		n = snprintf((char *)op, cap,
			     "put k%" PRIu64 " c%" PRIu32 ".%" PRIu32, key, c,
			     s->clients[c].sent);
	else
		n = snprintf((char *)op, cap, "get k%" PRIu64, key);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Arm one of client c's timers (only the newest setting of each fires). */
static int client_arm(struct sim *s, uint32_t c, enum sim_client_timer t,
		      uint64_t delay)
{
	struct sim_client *cl = &s->clients[c];

	cl->gen[t]++;
	if (delay == CLIENT_TIMER_CANCEL)
		return 0;
	return schedule(s, s->now + delay, EV_CLIENT, c, t, cl->gen[t], NULL);
}

/* Sign a request at egress with client c's key, and send it to every
 * replica. A retransmission resends the copy signed the first time. */
static int client_broadcast(struct sim *s, uint32_t c,
			    const struct client_output *o)
{
	struct sim_client *cl = &s->clients[c];
	int rc = 0;

	if (!o->again || !cl->frame) {
		wire_buf_reset(&s->signbuf);
		wire_put_bytes(&s->signbuf, s->cob.bytes.data + o->off, o->len);
		rc = wire_sign(&s->signbuf, 0, &cl->key);
		if (rc)
			return rc;
		s->tr->counts.signatures++;
		ingress_trust_signed(s->ing, BYZ_ROLE_CLIENT, c,
				     s->signbuf.data, s->signbuf.len);
		blob_put(&cl->frame);
		cl->frame = blob_new(s->signbuf.data, s->signbuf.len);
		if (!cl->frame)
			return BYZ_ENOMEM;
	}
	if (!o->again) {
		trace_submit(s->tr, s->now, c, o->timestamp, cl->op_digest);
		s->st.submitted++;
	}
	for (uint32_t r = 0; r < s->cfg.core.n && !rc; r++)
		rc = net_send(s, byz_client_addr(c), r, cl->frame);
	return rc;
}

/* Carry out client c's outputs in order (client.h). */
static int client_apply(struct sim *s, uint32_t c)
{
	for (size_t i = 0; i < s->cob.count; i++) {
		const struct client_output *o = &s->cob.out[i];
		int rc = 0;

		switch (o->kind) {
		case CLIENT_OUT_BROADCAST:
			rc = client_broadcast(s, c, o);
			break;
		case CLIENT_OUT_TIMER:
			rc = client_arm(s, c, SIM_CLIENT_RETRY, o->delay_us);
			break;
		case CLIENT_OUT_ACCEPT:
			/* The workload thinks, then sends its next request. */
			s->st.accepted++;
			trace_accept(s->tr, s->now, c, o->timestamp,
				     s->cob.bytes.data + o->off, o->len);
			rc = client_arm(s, c, SIM_CLIENT_NEXT,
					s->cfg.work.think_us);
			break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Feed one event to client c's core and carry out what it answers. */
static int client_feed(struct sim *s, uint32_t c, struct client_event *ev)
{
	int rc;

	ev->now = s->now;
	client_outbox_reset(&s->cob);
	rc = client_step(s->clients[c].core, ev, &s->cob);
	return rc ? rc : client_apply(s, c);
}

/* One of client c's timers: its core's retransmission timeout, or the
 * workload's next request. */
static int client_tick(struct sim *s, uint32_t c, enum sim_client_timer t,
		       uint64_t gen)
{
	struct sim_client *cl = &s->clients[c];
	struct client_event ev = {.kind = CLIENT_EV_TIMER};
	uint8_t op[WIRE_MAX_OP];
	size_t oplen;

	if (gen != cl->gen[t])
		return 0; /* superseded or cancelled */
	if (t == SIM_CLIENT_RETRY)
		return client_feed(s, c, &ev);
	if (cl->sent >= s->cfg.work.requests)
		return 0;
	oplen = make_op(s, c, op, sizeof op);
	cl->sent++;
	byz_digest(cl->op_digest, op, oplen);
	ev.kind = CLIENT_EV_SUBMIT;
	ev.u.submit.op = op;
	ev.u.submit.len = oplen;
	return client_feed(s, c, &ev);
}

/* A reply reached client c: authenticate it at ingress, then hand it to
 * the client's core, which accepts a result on f+1 matching replies. */
static int deliver_to_client(struct sim *s, const struct sim_ev *ev)
{
	uint32_t c = ev->b - BYZ_CLIENT_BASE;
	struct client_event e = {.kind = CLIENT_EV_REPLY};
	struct wire_msg m;
	int rc;

	if (c >= s->cfg.work.clients) {
		trace_drop(s->tr, s->now, ev->a, ev->b, ev->x,
			   "no-such-client");
		return 0;
	}
	rc = ingress(s, ev->blob, &m);
	if (!rc && (m.frame.proto != BYZ_PROTO_CLIENT ||
		    m.frame.type != WIRE_CLIENT_REPLY))
		rc = BYZ_ETYPE;
	if (rc) {
		trace_reject(s->tr, s->now, ev->a, ev->b, ev->x, rc);
		return 0;
	}
	if (ev->flags & SIM_FORGED) {
		static const char what[] = "forged message passed ingress";
		s->st.forged_accepted++;
		trace_note(s->tr, s->now, ev->b, what, sizeof what - 1);
	}
	trace_deliver(s->tr, s->now, ev->a, ev->b, ev->x);
	e.u.reply = &m;
	return client_feed(s, c, &e);
}

/* ---- the loop -------------------------------------------------------- */

/* Every request accepted, and committed by every honest replica that is up. */
static bool sim_done(const struct sim *s)
{
	if (s->st.accepted < s->st.requests)
		return false;
	for (uint32_t r = 0; r < s->cfg.core.n; r++)
		if (!s->cfg.byzantine[r] && s->rep[r].up &&
		    s->rep[r].height < s->st.requests)
			return false;
	return true;
}

static int sim_handle(struct sim *s, struct sim_ev *ev)
{
	struct byz_event e = {.now = s->now};

	switch (ev->kind) {
	case EV_DELIVER: {
		uint32_t ni;
		if (byz_is_client_addr(ev->b))
			return deliver_to_client(s, ev);
		ni = node_index(s, ev->b);
		if (ni == NO_NODE) {
			trace_drop(s->tr, s->now, ev->a, ev->b, ev->x,
				   "no-such-replica");
			return 0;
		}
		return deliver_to_replica(s, ev, ni);
	}
	case EV_TIMER:
		if (!s->rep[ev->a].up ||
		    s->rep[ev->a].timer_gen[ev->b] != ev->x)
			return 0; /* cancelled, re-armed, or died with a crash
				   */
		trace_timer(s->tr, s->now, node_addr(ev->a), ev->b);
		e.now = local_now(s, ev->a);
		e.kind = BYZ_EV_TIMER;
		e.u.timer = ev->b;
		return replica_step(s, ev->a, &e);
	case EV_CLIENT:
		return client_tick(s, ev->a, (enum sim_client_timer)ev->b,
				   ev->x);
	case EV_CRASH:
		replica_crash(s, s->cfg.crashes[ev->a].replica);
		return 0;
	case EV_RESTART:
		return replica_restart(s, s->cfg.crashes[ev->a].replica,
				       s->cfg.crashes[ev->a].keep_state);
	case EV_PERSISTED:
		if (s->rep[ev->a].epoch != ev->b)
			return 0; /* it crashed in between */
		e.now = local_now(s, ev->a);
		e.kind = BYZ_EV_PERSISTED;
		e.u.token = ev->x;
		return replica_step(s, ev->a, &e);
	case EV_START:
		return replica_start(s, ev->a, NULL, 0, false);
	}
	return 0;
}

int sim_run(struct sim *s)
{
	int rc = 0;

	while (s->nheap && !rc && !s->st.core_error) {
		struct sim_ev ev;

		if (s->heap[0].t > s->cfg.max_time_us) {
			s->st.hit_time_limit = true;
			s->now = s->cfg.max_time_us;
			break;
		}
		if (s->cfg.stop && *s->cfg.stop) {
			s->st.interrupted = true;
			break;
		}
		if (s->cfg.max_events && s->events >= s->cfg.max_events) {
			s->st.hit_event_limit = true;
			break;
		}
		ev = heap_pop(s);
		s->now = ev.t;
		s->events++;
		rc = sim_handle(s, &ev);
		blob_put(&ev.blob);
		if (!rc && sim_done(s)) {
			s->st.done = true;
			break;
		}
		if (s->cfg.stop_on_violation && s->tr->log.conflict) {
			s->st.stopped_on_violation = true;
			break;
		}
	}
	if (!rc && s->tr->err)
		rc = s->tr->err;
	s->tr->log.end_us = s->now;
	s->tr->counts.verify_cache_hits = ingress_counts(s->ing).cache_hits;
	return rc;
}
