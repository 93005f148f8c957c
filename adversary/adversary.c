/*
 * adversary.c - carrying out an attack plan on messages in flight
 * (adversary.h). docs/attacks.md describes every attack.
 */
#include "adversary.h"

#include "err.h"
#include "mutate.h"
#include "prng.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_SLOTS 64
#define REPLAY_MAX_BYTES 16384
#define DELAY_CAP_US 10000000u /* no sampled delay exceeds 10 s */
#define NO_NODE UINT32_MAX

struct recorded {
	uint32_t from;
	size_t len;
	uint8_t data[REPLAY_MAX_BYTES];
};

struct adversary {
	struct attack_plan plan;
	uint32_t n, f;
	uint64_t gst_us;
	/* The keys of the replicas it corrupted (adversary_corrupt): only
	 * Byzantine replicas of the plan, never an honest one. */
	bool has_key[BYZ_MAX_N];
	struct byz_keypair keys[BYZ_MAX_N];
	uint64_t now;           /* the port's clock, for the message at hand */
	bool half_b[BYZ_MAX_N]; /* honest replicas of the second half */
	bool need_round;
	bool want_requests;     /* keep client requests for conflicts */
	struct adv_conflicts map;
	struct wire_buf buf[2]; /* rewritten frames, used in turn */
	int cur;
	struct wire_buf tbuf;   /* a tampered copy */
	struct recorded *ring;  /* REPLAY_SLOTS, only with a replay attack */
	uint32_t ring_next, ring_used;
	uint64_t part_epoch[ATK_MAX];
	uint8_t part_group[ATK_MAX][2 * BYZ_MAX_N];
	struct adversary_stats st;
};

/* ---- set-up ------------------------------------------------------------ */

static uint32_t count_byzantine(const struct attack_plan *p, uint32_t n)
{
	uint32_t b = 0;

	for (uint32_t r = 0; r < n; r++)
		b += p->byzantine[r];
	return b;
}

int adversary_check(const struct attack_plan *plan, uint32_t n, uint32_t f,
		    char *why, size_t whylen)
{
	uint32_t b = count_byzantine(plan, n);

	(void)f;
	if (plan->count > ATK_MAX) {
		snprintf(why, whylen, "at most %d attacks", ATK_MAX);
		return -1;
	}
	for (uint32_t r = n; r < BYZ_MAX_N; r++)
		if (plan->byzantine[r]) {
			snprintf(why, whylen,
				 "Byzantine replica %" PRIu32 " is not in the "
				 "cluster (n = %" PRIu32 ")", r, n);
			return -1;
		}
	for (size_t i = 0; i < plan->count; i++) {
		const struct attack *a = &plan->a[i];
		if (attack_is_byzantine(a->kind) && b == 0) {
			snprintf(why, whylen,
				 "attack \"%s\" needs at least one Byzantine "
				 "replica", attack_name(a->kind));
			return -1;
		}
		if (a->kind == ATK_MUTATE && a->replica != UINT32_MAX &&
		    (a->replica >= n || !plan->byzantine[a->replica])) {
			snprintf(why, whylen,
				 "mutate: replica %" PRIu32 " is not Byzantine",
				 a->replica);
			return -1;
		}
		if (a->kind == ATK_PARTITION && a->has_groups)
			for (uint32_t k = 0; k < 2 * BYZ_MAX_N; k++) {
				uint32_t r = k % BYZ_MAX_N;
				bool twin = k >= BYZ_MAX_N;
				if (a->group[k] == ATK_NO_GROUP)
					continue;
				if (r >= n || (twin && !plan->byzantine[r])) {
					snprintf(why, whylen,
						 "partition: node %" PRIu32 "%s is "
						 "not in the cluster", r,
						 twin ? "t (a twin of an honest "
							"replica)" : "");
					return -1;
				}
			}
	}
	return 0;
}

int adversary_new(const struct attack_plan *plan, uint32_t n, uint32_t f,
		  uint64_t gst_us, struct adversary **out)
{
	struct adversary *a;
	uint32_t honest = 0, h = 0;
	char why[160];

	*out = NULL;
	if (n < 1 || n > BYZ_MAX_N || adversary_check(plan, n, f, why, sizeof why))
		return BYZ_EINVAL;
	a = calloc(1, sizeof *a);
	if (!a)
		return BYZ_ENOMEM;
	a->plan = *plan;
	a->n = n;
	a->f = f;
	a->gst_us = gst_us;
	/* Equivocation and twins split the honest replicas in two halves
	 * by id: the first ceil(h/2) and the rest. */
	for (uint32_t r = 0; r < n; r++)
		honest += !plan->byzantine[r];
	for (uint32_t r = 0; r < n; r++)
		if (!plan->byzantine[r])
			a->half_b[r] = h++ >= (honest + 1) / 2;
	adv_conflicts_init(&a->map);
	wire_buf_init(&a->buf[0], WIRE_MAX_FRAME + BYZ_SIG_BYTES);
	wire_buf_init(&a->buf[1], WIRE_MAX_FRAME + BYZ_SIG_BYTES);
	wire_buf_init(&a->tbuf, WIRE_MAX_FRAME + BYZ_SIG_BYTES);
	for (size_t i = 0; i < plan->count; i++) {
		if (plan->a[i].round_lo)
			a->need_round = true;
		if (plan->a[i].kind == ATK_EQUIVOCATE ||
		    plan->a[i].kind == ATK_MUTATE)
			a->want_requests = true;
		if (plan->a[i].kind == ATK_REPLAY && !a->ring) {
			a->ring = calloc(REPLAY_SLOTS, sizeof *a->ring);
			if (!a->ring) {
				adversary_free(&a);
				return BYZ_ENOMEM;
			}
		}
		a->part_epoch[i] = UINT64_MAX;
	}
	*out = a;
	return 0;
}

void adversary_free(struct adversary **ap)
{
	struct adversary *a = *ap;

	if (!a)
		return;
	wire_buf_free(&a->buf[0]);
	wire_buf_free(&a->buf[1]);
	wire_buf_free(&a->tbuf);
	free(a->ring);
	free(a);
	*ap = NULL;
}

int adversary_corrupt(struct adversary *a, uint32_t replica,
		      const struct byz_keypair *kp)
{
	if (!kp || replica >= a->n || !a->plan.byzantine[replica])
		return BYZ_EINVAL;
	a->keys[replica] = *kp;
	a->has_key[replica] = true;
	return 0;
}

/* ---- the simulator's glue ---------------------------------------------- */

int adversary_configure(struct adversary *a, struct sim_config *cfg,
			char *why, size_t whylen)
{
	for (uint32_t r = 0; r < a->n; r++)
		if (a->plan.byzantine[r])
			cfg->byzantine[r] = true;
	for (size_t i = 0; i < a->plan.count; i++) {
		const struct attack *at = &a->plan.a[i];
		for (uint32_t r = 0; r < a->n; r++) {
			struct sim_crash *k;
			if (!a->plan.byzantine[r])
				continue;
			if (at->kind == ATK_TWINS)
				cfg->twin[r] = true;
			if (at->kind != ATK_CRASH && at->kind != ATK_RESTART &&
			    at->kind != ATK_AMNESIA)
				continue;
			if (cfg->ncrashes >= SIM_MAX_CRASHES) {
				snprintf(why, whylen, "more than %d crashes",
					 SIM_MAX_CRASHES);
				return -1;
			}
			k = &cfg->crashes[cfg->ncrashes++];
			memset(k, 0, sizeof *k);
			k->replica = r;
			k->at_us = at->a_us;
			if (at->kind != ATK_CRASH)
				k->restart_at_us = at->b_us;
			k->keep_state = at->kind == ATK_RESTART;
		}
	}
	cfg->hook = adversary_hook;
	cfg->hook_ctx = a;
	return 0;
}

int adversary_attach(struct adversary *a, const struct sim *s)
{
	for (uint32_t r = 0; r < a->n; r++) {
		int rc;
		if (!a->plan.byzantine[r])
			continue;
		rc = adversary_corrupt(a, r, sim_byzantine_key(s, r));
		if (rc)
			return rc; /* s was not configured by adversary_configure */
	}
	return 0;
}

/* The port (adversary.h) over a simulation: ctx is the struct sim. */
static int sim_port_inject(void *ctx, uint32_t from, uint32_t to,
			   const uint8_t *frame, size_t len, uint64_t delay_us)
{
	return sim_inject(ctx, from, to, frame, len, delay_us);
}

static int sim_port_inject_forged(void *ctx, uint32_t from, uint32_t to,
				  const uint8_t *frame, size_t len,
				  uint64_t delay_us)
{
	return sim_inject_forged(ctx, from, to, frame, len, delay_us);
}

static uint64_t sim_port_now(void *ctx)
{
	return sim_now(ctx);
}

enum sim_verdict adversary_hook(void *ctx, struct sim *s, struct sim_flight *fl)
{
	struct adv_port port = {
		.ctx = s,
		.inject = sim_port_inject,
		.inject_forged = sim_port_inject_forged,
		.now = sim_port_now,
		.rng = sim_adversary_prng(s),
	};
	struct adv_msg m = {
		.id = fl->id,
		.from = fl->from,
		.to = fl->to,
		.frame = fl->frame,
		.len = fl->len,
		.delay_us = fl->delay_us,
		.forged = fl->forged,
	};
	enum adv_verdict v = adversary_on_message(ctx, &port, &m);

	fl->frame = m.frame;
	fl->len = m.len;
	fl->delay_us = m.delay_us;
	fl->forged = m.forged;
	return v == ADV_DROP ? SIM_DROP : SIM_DELIVER;
}

/* ---- the port's side: everything below sees only struct adv_port ------- */

struct adversary_stats adversary_stats(const struct adversary *a)
{
	return a->st;
}

/* ---- rounds and nodes ------------------------------------------------ */

uint64_t adversary_frame_round(const uint8_t *frame, size_t len)
{
	const struct wire_codec *c;
	struct wire_msg m;

	if (wire_decode(frame, len, &m))
		return 0;
	c = wire_codec_of(m.frame.proto);
	return c && c->round ? c->round(&m) : 0;
}

/* Instance index of an address: replica r, its twin BYZ_MAX_N + r;
 * NO_NODE for a client. */
static uint32_t instance(uint32_t addr)
{
	if (byz_is_client_addr(addr))
		return NO_NODE;
	if (byz_is_twin_addr(addr))
		return BYZ_MAX_N + byz_addr_replica(addr);
	return addr;
}

/* Which side of the twins' partition an instance is on: the Byzantine
 * originals with the first half of the honest replicas, their twins with
 * the second. */
static int twin_side(const struct adversary *a, uint32_t idx)
{
	if (idx >= BYZ_MAX_N)
		return 1;
	if (a->plan.byzantine[idx])
		return 0;
	return a->half_b[idx] ? 1 : 0;
}

static uint8_t explicit_group(const struct attack *at, uint32_t idx)
{
	uint8_t g = at->group[idx];

	if (g == ATK_NO_GROUP && idx >= BYZ_MAX_N)
		g = at->group[idx - BYZ_MAX_N]; /* a twin goes with its original */
	return g == ATK_NO_GROUP ? 0 : g;
}

/* Random partitions: two groups, drawn again every period. */
static uint8_t random_group(struct adversary *a, struct prng *rng, size_t i,
			    uint64_t now, uint32_t idx)
{
	const struct attack *at = &a->plan.a[i];
	uint64_t epoch = (now - at->from_us) / at->a_us;

	if (a->part_epoch[i] != epoch) {
		a->part_epoch[i] = epoch;
		for (uint32_t k = 0; k < 2 * BYZ_MAX_N; k++)
			a->part_group[i][k] =
				(k % BYZ_MAX_N) < a->n ? (uint8_t)prng_below(rng, 2)
						       : 0;
	}
	return a->part_group[i][idx];
}

/* ---- delays ------------------------------------------------------------ */

static uint64_t sample_delay(const struct attack *at, struct prng *rng)
{
	double u = prng_unit(rng), d;

	switch (at->dist) {
	case DIST_EXP:
		d = -(double)at->a_us * log(1.0 - u);
		break;
	case DIST_PARETO:
		d = (double)at->a_us * pow(1.0 - u, -1.0 / at->alpha);
		break;
	default:
		return at->a_us + prng_below(rng, at->b_us - at->a_us + 1);
	}
	return d > DELAY_CAP_US ? DELAY_CAP_US : (uint64_t)d;
}

/* ---- the hook ---------------------------------------------------------- */

/* Is attack i active on this message? Network attacks end at GST. */
static bool active(struct adversary *a, const struct attack *at, uint64_t now,
		   uint64_t round)
{
	if (now < at->from_us || now >= at->until_us)
		return false;
	if (!attack_is_byzantine(at->kind) && now >= a->gst_us)
		return false;
	if (at->round_lo && (round < at->round_lo || round > at->round_hi))
		return false;
	return true;
}

/* The key of a replica the adversary corrupted; NULL for any other
 * sender (an honest replica, a client): it cannot sign as them. */
static const struct byz_keypair *key_of(const struct adversary *a,
					uint32_t from)
{
	uint32_t r;

	if (byz_is_client_addr(from))
		return NULL;
	r = byz_addr_replica(from);
	return r < a->n && a->has_key[r] ? &a->keys[r] : NULL;
}

/* Rewrite the current frame of m by mut as its (Byzantine) sender; true
 * if it changed. Refused (and counted) without the sender's key. */
static bool rewrite(struct adversary *a, struct adv_msg *m,
		    enum adv_mutation mut)
{
	const struct byz_keypair *key = key_of(a, m->from);
	struct wire_buf *out = &a->buf[a->cur];
	int rc;

	if (!key) {
		a->st.refused++;
		return false;
	}
	rc = adv_mutate(mut, m->frame, m->len, key, a->n, a->f, &a->map, out);
	if (rc)
		return false;
	m->frame = out->data;
	m->len = out->len;
	a->cur ^= 1;
	a->st.rewritten++;
	return true;
}

int adversary_forge(struct adversary *a, const struct adv_port *port,
		    const struct adv_msg *m, enum adv_mutation mut,
		    uint64_t delay_us)
{
	const struct byz_keypair *key = key_of(a, m->from);
	struct wire_buf *out = &a->buf[a->cur];
	int rc;

	if (!key) {
		a->st.refused++;
		return BYZ_ENOKEY;
	}
	rc = adv_mutate(mut, m->frame, m->len, key, a->n, a->f, &a->map, out);
	if (rc)
		return rc;
	rc = port->inject(port->ctx, m->from, m->to, out->data, out->len,
			  delay_us);
	if (!rc)
		a->st.injected++;
	return rc;
}

static bool to_half_b(const struct adversary *a, uint32_t to_idx)
{
	if (to_idx == NO_NODE)
		return false;
	if (to_idx >= BYZ_MAX_N)
		return true;
	return !a->plan.byzantine[to_idx] && a->half_b[to_idx];
}

/* The behaviours of Byzantine replicas on one of their messages. Returns
 * false to drop it. */
static bool byzantine_send(struct adversary *a, const struct adv_port *p,
			   struct adv_msg *m, uint32_t to_idx,
			   uint64_t round, struct prng *rng)
{
	for (size_t i = 0; i < a->plan.count; i++) {
		const struct attack *at = &a->plan.a[i];
		uint32_t to_id;
		bool touched = false;

		if (!attack_is_byzantine(at->kind) ||
		    !active(a, at, a->now, round))
			continue;
		switch (at->kind) {
		case ATK_SILENT:
			a->st.per_attack[i]++;
			return false;
		case ATK_EQUIVOCATE:
			if (!to_half_b(a, to_idx))
				break;
			touched = rewrite(a, m, ADV_MUT_CONFLICT) ||
				  rewrite(a, m, ADV_MUT_FOLLOW) ||
				  rewrite(a, m, ADV_MUT_WITHHOLD);
			break;
		case ATK_DOUBLE_VOTE:
			adversary_forge(a, p, m, ADV_MUT_OTHER_DIGEST,
					m->delay_us);
			touched = true;
			break;
		case ATK_CERT_DUP:
			touched = rewrite(a, m, ADV_MUT_CERT_DUP);
			break;
		case ATK_CERT_SHORT:
			touched = rewrite(a, m, ADV_MUT_CERT_SHORT);
			break;
		case ATK_WITHHOLD:
			touched = rewrite(a, m, ADV_MUT_WITHHOLD);
			break;
		case ATK_STALE:
			if (prng_chance(rng, at->p)) {
				adversary_forge(a, p, m, ADV_MUT_STALE,
						m->delay_us + 1000);
				touched = true;
			}
			break;
		case ATK_MUTATE:
			to_id = to_idx == NO_NODE ? NO_NODE : to_idx % BYZ_MAX_N;
			if (at->replica != UINT32_MAX &&
			    at->replica != byz_addr_replica(m->from))
				break;
			if (at->to_mask && (to_id == NO_NODE ||
					    to_id >= ATK_TO_MAX ||
					    !(at->to_mask >> to_id & 1)))
				break;
			touched = rewrite(a, m,
					  (enum adv_mutation)at->mutation);
			break;
		default:
			break;
		}
		if (touched)
			a->st.per_attack[i]++;
	}
	return true;
}

static void record(struct adversary *a, const struct adv_msg *m)
{
	struct recorded *r;

	if (!a->ring || m->len > REPLAY_MAX_BYTES)
		return;
	r = &a->ring[a->ring_next];
	r->from = m->from;
	r->len = m->len;
	memcpy(r->data, m->frame, m->len);
	a->ring_next = (a->ring_next + 1) % REPLAY_SLOTS;
	if (a->ring_used < REPLAY_SLOTS)
		a->ring_used++;
}

/* A copy of m, injected as forged if m's bytes were tampered with (so
 * that a copy passing ingress is counted like the original would be). */
static int duplicate(const struct adv_port *p, const struct adv_msg *m,
		     uint64_t delay_us)
{
	if (m->forged)
		return p->inject_forged(p->ctx, m->from, m->to, m->frame,
					m->len, delay_us);
	return p->inject(p->ctx, m->from, m->to, m->frame, m->len, delay_us);
}

/* The network's attacks on one message. Returns false to drop it. */
static bool network(struct adversary *a, const struct adv_port *p,
		    struct adv_msg *m,
		    uint32_t from_idx, uint32_t to_idx, uint64_t round,
		    struct prng *rng)
{
	for (size_t i = 0; i < a->plan.count; i++) {
		const struct attack *at = &a->plan.a[i];
		bool touched = false;

		if (attack_is_byzantine(at->kind) && at->kind != ATK_TWINS)
			continue;
		if (!active(a, at, a->now, round))
			continue;
		switch (at->kind) {
		case ATK_TWINS:
			/* The twins' partition is the network's part of the
			 * attack: it ends at GST like any network fault. */
			if (a->now >= a->gst_us || at->nosplit)
				break;
			if (from_idx != NO_NODE && to_idx != NO_NODE &&
			    twin_side(a, from_idx) != twin_side(a, to_idx)) {
				a->st.partitioned++;
				a->st.per_attack[i]++;
				return false;
			}
			if (from_idx == NO_NODE && to_idx != NO_NODE &&
			    twin_side(a, to_idx) == 1 && at->a_us) {
				/* Clients' requests reach the two sides in
				 * different orders. */
				m->delay_us += prng_below(rng, at->a_us + 1);
				touched = true;
			}
			break;
		case ATK_PARTITION: {
			uint8_t gf, gt;
			if (from_idx == NO_NODE || to_idx == NO_NODE)
				break;
			gf = at->has_groups ? explicit_group(at, from_idx)
					    : random_group(a, rng, i, a->now,
							   from_idx);
			gt = at->has_groups ? explicit_group(at, to_idx)
					    : random_group(a, rng, i, a->now,
							   to_idx);
			if (gf != gt) {
				a->st.partitioned++;
				a->st.per_attack[i]++;
				return false;
			}
			break;
		}
		case ATK_DROP:
			if (prng_chance(rng, at->p)) {
				a->st.dropped++;
				a->st.per_attack[i]++;
				return false;
			}
			break;
		case ATK_DELAY:
			m->delay_us += sample_delay(at, rng);
			a->st.delayed++;
			touched = true;
			break;
		case ATK_REORDER:
			if (prng_chance(rng, at->p)) {
				m->delay_us += 1 + prng_below(rng, at->a_us);
				a->st.delayed++;
				touched = true;
			}
			break;
		case ATK_DUPLICATE:
			if (prng_chance(rng, at->p)) {
				for (uint32_t c = 0; c < at->copies; c++)
					if (!duplicate(p, m, m->delay_us + 1 +
						       prng_below(rng, 2000)))
						a->st.duplicated++;
				touched = true;
			}
			break;
		case ATK_REPLAY:
			if (a->ring_used && prng_chance(rng, at->p)) {
				const struct recorded *r =
					&a->ring[prng_below(rng, a->ring_used)];
				if (!p->inject(p->ctx, r->from, m->to, r->data,
					       r->len, m->delay_us))
					a->st.replayed++;
				touched = true;
			}
			break;
		case ATK_TAMPER:
			if (m->len && prng_chance(rng, at->p)) {
				size_t at_byte = prng_below(rng, m->len);
				wire_buf_reset(&a->tbuf);
				wire_put_bytes(&a->tbuf, m->frame, m->len);
				if (a->tbuf.len == m->len) {
					a->tbuf.data[at_byte] ^=
						(uint8_t)(1 + prng_below(rng, 255));
					m->frame = a->tbuf.data;
					m->forged = true;
					a->st.tampered++;
					touched = true;
				}
			}
			break;
		default:
			break;
		}
		if (touched)
			a->st.per_attack[i]++;
	}
	return true;
}

enum adv_verdict adversary_on_message(struct adversary *a,
				      const struct adv_port *port,
				      struct adv_msg *m)
{
	struct prng *rng = port->rng;
	uint32_t from_idx = instance(m->from), to_idx = instance(m->to);
	uint64_t round = a->need_round ? adversary_frame_round(m->frame, m->len)
				       : 0;
	bool byz_sender = from_idx != NO_NODE &&
			  a->plan.byzantine[from_idx % BYZ_MAX_N];

	a->now = port->now(port->ctx);
	if (from_idx == NO_NODE && a->want_requests) {
		struct wire_frame f;
		if (!wire_frame_parse(m->frame, m->len, true, &f) &&
		    f.proto == BYZ_PROTO_CLIENT && f.type == WIRE_CLIENT_REQUEST)
			adv_conflicts_offer(&a->map, m->frame, m->len);
	}

	if (byz_sender && !byzantine_send(a, port, m, to_idx, round, rng))
		return ADV_DROP;
	if (!network(a, port, m, from_idx, to_idx, round, rng))
		return ADV_DROP;
	record(a, m);
	return ADV_DELIVER;
}
