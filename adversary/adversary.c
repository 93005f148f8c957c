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

#define REPLAY_SLOTS	 64
#define REPLAY_MAX_BYTES 16384
#define DELAY_CAP_US	 10000000u /* no sampled delay exceeds 10 s */
#define NO_NODE		 UINT32_MAX

struct recorded {
	uint32_t from;
	size_t len;
	uint8_t data[REPLAY_MAX_BYTES];
};

/*
 * The coalition of equivocate on a protocol whose votes go to one replica
 * (its rewrites answer adv_links: a chained protocol whose leader collects
 * the votes). It shows each half of the honest replicas its own branch: which
 * branch each block is on (side: 1 = the first half's, 2 = the second's, 0 =
 * not forked), the votes seen for blocks on a branch (to assemble
 * certificates), and the highest block of each branch with a quorum of them.
 */
#define CO_SIDES      2048
#define CO_VOTES      1024
#define CO_VOTE_BYTES 256

struct co_side {
	uint8_t hash[BYZ_DIGEST_BYTES];
	uint8_t side;
};

struct co_vote {
	uint8_t hash[BYZ_DIGEST_BYTES];
	uint64_t view;
	uint32_t sender;
	uint16_t len;
	uint8_t frame[CO_VOTE_BYTES];
};

struct coalition {
	size_t attack; /* the equivocate attack's index */
	struct co_side side[CO_SIDES];
	uint32_t side_next, side_used;
	struct co_vote vote[CO_VOTES];
	uint32_t vote_next, vote_used;
	bool best_set[3];
	uint64_t best_view[3];
	uint8_t best_hash[3][BYZ_DIGEST_BYTES];
	/* The last proposal moved onto each branch, to send the same bytes
	 * to every replica of the half. */
	uint8_t moved_from[3][BYZ_DIGEST_BYTES];
	struct wire_buf moved[3];
	struct wire_buf vbuf;  /* an endorsement */
	uint64_t timed_out[3]; /* the last view each half timed out with */
};

struct adversary {
	struct attack_plan plan;
	uint32_t n, f;
	uint64_t gst_us;
	/* The keys of the replicas it corrupted (adversary_corrupt): only
	 * Byzantine replicas of the plan, never an honest one. */
	bool has_key[BYZ_MAX_N];
	struct byz_keypair keys[BYZ_MAX_N];
	uint64_t now;		/* the port's clock, for the message at hand */
	bool half_b[BYZ_MAX_N]; /* honest replicas of the second half */
	bool need_round;
	bool want_requests; /* keep client requests for conflicts */
	struct adv_conflicts map;
	struct wire_buf buf[2]; /* rewritten frames, used in turn */
	int cur;
	struct wire_buf tbuf;  /* a tampered copy */
	struct recorded *ring; /* REPLAY_SLOTS, only with a replay attack */
	uint32_t ring_next, ring_used;
	uint64_t part_epoch[ATK_MAX];
	uint8_t part_group[ATK_MAX][2 * BYZ_MAX_N];
	struct adversary_stats st;
	struct coalition *co; /* only with equivocate */
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
	const struct attack *twins = NULL, *down = NULL;

	(void)f;
	for (size_t i = 0; i < plan->count && i < ATK_MAX; i++) {
		if (plan->a[i].kind == ATK_TWINS)
			twins = &plan->a[i];
		else if (plan->a[i].kind == ATK_CRASH ||
			 plan->a[i].kind == ATK_RESTART ||
			 plan->a[i].kind == ATK_AMNESIA)
			down = &plan->a[i];
	}
	if (twins && down) {
		/* The simulator crashes replica ids, not instances: the twin
		 * would keep running, which is not what a crash means. */
		snprintf(why, whylen,
			 "%s cannot be combined with twins: it would take down "
			 "the original replica only, and its twin would go on",
			 attack_name(down->kind));
		return -1;
	}
	if (plan->count > ATK_MAX) {
		snprintf(why, whylen, "at most %d attacks", ATK_MAX);
		return -1;
	}
	for (uint32_t r = n; r < BYZ_MAX_N; r++)
		if (plan->byzantine[r]) {
			snprintf(why, whylen,
				 "Byzantine replica %" PRIu32 " is not in the "
				 "cluster (n = %" PRIu32 ")",
				 r, n);
			return -1;
		}
	for (size_t i = 0; i < plan->count; i++) {
		const struct attack *a = &plan->a[i];
		if (attack_is_byzantine(a->kind) && b == 0) {
			snprintf(why, whylen,
				 "attack \"%s\" needs at least one Byzantine "
				 "replica",
				 attack_name(a->kind));
			return -1;
		}
		if (a->kind == ATK_CLOCK) {
			if (a->replica >= n) {
				snprintf(why, whylen,
					 "clock: replica %" PRIu32
					 " is not in the cluster (n = %" PRIu32
					 ")",
					 a->replica, n);
				return -1;
			}
			for (size_t j = 0; j < i; j++)
				if (plan->a[j].kind == ATK_CLOCK &&
				    plan->a[j].replica == a->replica) {
					snprintf(why, whylen,
						 "clock: replica %" PRIu32
						 " has two clock faults (one "
						 "clock per replica)",
						 a->replica);
					return -1;
				}
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
					snprintf(
					    why, whylen,
					    "partition: node %" PRIu32 "%s is "
					    "not in the cluster",
					    r,
					    twin ? "t (a twin of an honest "
						   "replica)"
						 : "");
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
	if (n < 1 || n > BYZ_MAX_N ||
	    adversary_check(plan, n, f, why, sizeof why))
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
		    plan->a[i].kind == ATK_MUTATE ||
		    plan->a[i].kind == ATK_USURP)
			a->want_requests = true;
		if (plan->a[i].kind == ATK_EQUIVOCATE && !a->co) {
			a->co = calloc(1, sizeof *a->co);
			if (!a->co) {
				adversary_free(&a);
				return BYZ_ENOMEM;
			}
			a->co->attack = i;
			for (int k = 0; k < 3; k++)
				wire_buf_init(&a->co->moved[k],
					      WIRE_MAX_FRAME + BYZ_SIG_BYTES);
			wire_buf_init(&a->co->vbuf, WIRE_MAX_FRAME);
		}
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
	if (a->co) {
		for (int k = 0; k < 3; k++)
			wire_buf_free(&a->co->moved[k]);
		wire_buf_free(&a->co->vbuf);
		free(a->co);
	}
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

int adversary_configure(struct adversary *a, struct sim_config *cfg, char *why,
			size_t whylen)
{
	if (adversary_plan_config(&a->plan, a->n, cfg, why, whylen))
		return -1;
	cfg->hook = adversary_hook;
	cfg->hook_ctx = a;
	return 0;
}

int adversary_plan_config(const struct attack_plan *plan, uint32_t n,
			  struct sim_config *cfg, char *why, size_t whylen)
{
	for (uint32_t r = 0; r < n; r++)
		if (plan->byzantine[r])
			cfg->byzantine[r] = true;
	for (size_t i = 0; i < plan->count; i++) {
		const struct attack *at = &plan->a[i];
		if (at->kind == ATK_CLOCK) {
			/* A timing fault of a replica that may be honest:
			 * the simulator runs its clock (sim.h). */
			struct sim_clock *k;
			if (cfg->nclocks >= SIM_MAX_CLOCKS) {
				snprintf(why, whylen,
					 "more than %d clock faults",
					 SIM_MAX_CLOCKS);
				return -1;
			}
			k = &cfg->clocks[cfg->nclocks++];
			memset(k, 0, sizeof *k);
			k->replica = at->replica;
			k->rate_ppm = at->rate_ppm;
			k->offset_us = at->offset_us;
			k->jump_us = at->jump_us;
			k->jump_at_us = at->a_us;
			continue;
		}
		for (uint32_t r = 0; r < n; r++) {
			struct sim_crash *k;
			if (!plan->byzantine[r])
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
			return rc; /* s was not configured by
				      adversary_configure */
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
		g = at->group[idx -
			      BYZ_MAX_N]; /* a twin goes with its original */
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
			a->part_group[i][k] = (k % BYZ_MAX_N) < a->n
						  ? (uint8_t)prng_below(rng, 2)
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

/* ---- the coalition (equivocate where votes go to the next leader) ----- */

/*
 * With a protocol whose votes go to the next leader only (adv_links
 * answers), equivocation needs the whole coalition, as in PODC'19's
 * safety argument read backwards (quorum intersection: two QCs for
 * conflicting blocks exist only if f+1 replicas vote for both): the
 * Byzantine leader's block goes to one half of the honest replicas and a
 * conflicting one to the other; the Byzantine replicas vote for both,
 * and relay each half's votes within the half, so each half forms its
 * branch's QCs itself; a Byzantine leader's later proposals are moved onto
 * each half's branch (justified by the QC the coalition assembled from the
 * votes it saw). Before GST the network holds messages between the two
 * halves back until GST (asynchrony, not loss). With b <= f the votes of
 * one half and the coalition stay short of 2f+1, and the protocol's rules
 * stop it.
 */

/* The half an honest replica is in: 1 (the first) or 2; 0 for anything
 * else (a Byzantine replica, a twin, a client). */
static uint8_t co_half(const struct adversary *a, uint32_t idx)
{
	if (idx >= a->n || a->plan.byzantine[idx])
		return 0;
	return a->half_b[idx] ? 2 : 1;
}

static uint8_t co_side(const struct coalition *c, const uint8_t *hash)
{
	for (uint32_t i = 0; i < c->side_used; i++) {
		const struct co_side *e =
		    &c->side[(c->side_next + CO_SIDES - 1 - i) % CO_SIDES];
		if (!memcmp(e->hash, hash, BYZ_DIGEST_BYTES))
			return e->side;
	}
	return 0;
}

static void co_set_side(struct coalition *c, const uint8_t *hash, uint8_t side)
{
	struct co_side *e;

	if (co_side(c, hash) == side)
		return;
	e = &c->side[c->side_next];
	memcpy(e->hash, hash, BYZ_DIGEST_BYTES);
	e->side = side;
	c->side_next = (c->side_next + 1) % CO_SIDES;
	if (c->side_used < CO_SIDES)
		c->side_used++;
}

/* Gather up to max votes for hash from distinct senders; their count. */
static size_t co_votes(const struct coalition *c, const uint8_t *hash,
		       const uint8_t **frames, size_t *lens, uint32_t *senders,
		       size_t max)
{
	size_t k = 0;

	for (uint32_t i = 0; i < c->vote_used && k < max; i++) {
		const struct co_vote *v = &c->vote[i];
		bool dup = false;
		if (memcmp(v->hash, hash, BYZ_DIGEST_BYTES))
			continue;
		for (size_t j = 0; j < k; j++)
			dup |= senders[j] == v->sender;
		if (dup)
			continue;
		senders[k] = v->sender;
		if (frames) {
			frames[k] = v->frame;
			lens[k] = v->len;
		}
		k++;
	}
	return k;
}

static bool co_has_vote(const struct coalition *c, const uint8_t *hash,
			uint32_t sender)
{
	for (uint32_t i = 0; i < c->vote_used; i++)
		if (c->vote[i].sender == sender &&
		    !memcmp(c->vote[i].hash, hash, BYZ_DIGEST_BYTES))
			return true;
	return false;
}

/* Keep a signed vote for a block on a branch; a quorum of them makes that
 * block the branch's highest certified one if it is higher. */
static void co_keep_vote(struct adversary *a, const struct adv_links *l,
			 const uint8_t *frame, size_t len)
{
	struct coalition *c = a->co;
	uint8_t side = co_side(c, l->hash);
	uint32_t senders[BYZ_MAX_N];
	struct co_vote *v;

	if (!side || len > CO_VOTE_BYTES || co_has_vote(c, l->hash, l->sender))
		return;
	v = &c->vote[c->vote_next];
	memcpy(v->hash, l->hash, BYZ_DIGEST_BYTES);
	v->view = l->view;
	v->sender = l->sender;
	v->len = (uint16_t)len;
	memcpy(v->frame, frame, len);
	c->vote_next = (c->vote_next + 1) % CO_VOTES;
	if (c->vote_used < CO_VOTES)
		c->vote_used++;
	if (co_votes(c, l->hash, NULL, NULL, senders, BYZ_MAX_N) >=
		2 * a->f + 1 &&
	    (!c->best_set[side] || l->view > c->best_view[side])) {
		c->best_set[side] = true;
		c->best_view[side] = l->view;
		memcpy(c->best_hash[side], l->hash, BYZ_DIGEST_BYTES);
	}
}

/* Send a frame from `from` to every honest replica of half `side` except
 * `skip1` and `skip2`. */
static void co_to_half(struct adversary *a, const struct adv_port *p,
		       uint32_t from, const uint8_t *frame, size_t len,
		       uint8_t side, uint32_t skip1, uint32_t skip2,
		       uint64_t delay_us)
{
	for (uint32_t r = 0; r < a->n; r++)
		if (co_half(a, r) == side && r != skip1 && r != skip2 &&
		    !p->inject(p->ctx, from, r, frame, len, delay_us))
			a->st.injected++;
}

/* The coalition votes for a proposal on branch `side`: each Byzantine
 * replica's vote, kept and sent to every replica of that half (once per
 * block). */
static void co_endorse(struct adversary *a, const struct adv_port *p,
		       const uint8_t *prop, size_t len, uint8_t side,
		       uint64_t delay_us)
{
	struct coalition *c = a->co;
	struct adv_links l;

	if (adv_links(prop, len, &l) || l.kind != ADV_LINK_PROPOSAL)
		return;
	for (uint32_t b = 0; b < a->n; b++) {
		struct adv_links vl;
		if (!a->has_key[b] || co_has_vote(c, l.hash, b))
			continue;
		if (adv_endorse(prop, len, b, &a->keys[b], NULL, &c->vbuf) ||
		    adv_links(c->vbuf.data, c->vbuf.len, &vl))
			continue;
		co_set_side(c, l.hash, side);
		co_keep_vote(a, &vl, c->vbuf.data, c->vbuf.len);
		co_to_half(a, p, b, c->vbuf.data, c->vbuf.len, side, NO_NODE,
			   NO_NODE, delay_us);
	}
}

/* The certificate of half `side`'s highest certified block, from the
 * votes kept (frames and lens: 2f+1 slots). False if there is none. */
static bool co_cert(struct adversary *a, uint8_t side, struct adv_cert *cert,
		    const uint8_t **frames, size_t *lens)
{
	struct coalition *c = a->co;
	uint32_t senders[BYZ_MAX_N];

	if (!c->best_set[side])
		return false;
	cert->view = c->best_view[side];
	memcpy(cert->hash, c->best_hash[side], BYZ_DIGEST_BYTES);
	cert->count =
	    co_votes(c, cert->hash, frames, lens, senders, 2 * a->f + 1);
	cert->frames = frames;
	cert->lens = lens;
	return true;
}

/* An honest replica of half `side` timed out (its TIMEOUT is msg): the
 * coalition times out in the same view with that half, each Byzantine
 * replica's TIMEOUT carrying the half's highest QC the coalition holds,
 * to every replica of the half (once per view). */
static void co_time_out(struct adversary *a, const struct adv_port *p,
			const struct adv_msg *m, const struct adv_links *l,
			uint8_t side)
{
	struct coalition *c = a->co;
	const uint8_t *frames[BYZ_MAX_N];
	size_t lens[BYZ_MAX_N];
	struct adv_cert cert;
	bool have;

	if (l->view <= c->timed_out[side])
		return;
	c->timed_out[side] = l->view;
	have = co_cert(a, side, &cert, frames, lens);
	for (uint32_t b = 0; b < a->n; b++) {
		if (!a->has_key[b] ||
		    adv_endorse(m->frame, m->len, b, &a->keys[b],
				have ? &cert : NULL, &c->vbuf))
			continue;
		co_to_half(a, p, b, c->vbuf.data, c->vbuf.len, side, NO_NODE,
			   NO_NODE, m->delay_us);
	}
}

/* What the coalition learns from any message in flight: the branch of a
 * new block (its parent's), the votes for blocks on a branch (kept, and
 * an honest one relayed to its half); an honest proposal on a branch gets
 * the coalition's votes, and an honest TIMEOUT the coalition's. False if
 * the frame is not one it reads. */
static bool co_observe(struct adversary *a, const struct adv_port *p,
		       const struct adv_msg *m, uint32_t from_idx,
		       uint32_t to_idx)
{
	struct coalition *c = a->co;
	struct adv_links l;
	uint8_t side;

	if (adv_links(m->frame, m->len, &l))
		return false;
	if (l.kind == ADV_LINK_PROPOSAL) {
		side = co_side(c, l.hash);
		if (!side && (side = co_side(c, l.parent)))
			co_set_side(c, l.hash, side);
		if (side && co_half(a, from_idx) == side)
			co_endorse(a, p, m->frame, m->len, side, m->delay_us);
	} else if (l.kind == ADV_LINK_VOTE && (side = co_side(c, l.hash))) {
		co_keep_vote(a, &l, m->frame, m->len);
		if (co_half(a, from_idx))
			co_to_half(a, p, m->from, m->frame, m->len, side,
				   from_idx, to_idx, m->delay_us);
	} else if (l.kind == ADV_LINK_TIMEOUT &&
		   (side = co_half(a, from_idx))) {
		uint8_t hs = co_side(c, l.parent);
		if (!hs || hs == side)
			co_time_out(a, p, m, &l, side);
	}
	return true;
}

/* A Byzantine leader's proposal for the half `side` that is not on its
 * branch: moved onto the branch's highest certified block (needing the
 * timeout certificate the original carries unless that block is of the
 * view before), or, where the fork starts, the plain conflicting
 * proposal. False: nothing to send that half. */
static bool co_move(struct adversary *a, struct adv_msg *m,
		    const struct adv_links *l, uint8_t side)
{
	struct coalition *c = a->co;
	const struct byz_keypair *key = key_of(a, m->from);
	const uint8_t *frames[BYZ_MAX_N];
	size_t lens[BYZ_MAX_N];
	struct adv_cert cert;
	struct adv_links nl;
	int rc;

	if (!key)
		return false;
	if (c->moved[side].len &&
	    !memcmp(c->moved_from[side], l->hash, BYZ_DIGEST_BYTES))
		goto send;
	if (!co_side(c, l->parent) && !c->best_set[side]) {
		/* The fork: another block on the same parent. */
		rc = adv_mutate(ADV_MUT_CONFLICT, m->frame, m->len, key, a->n,
				a->f, &a->map, &c->moved[side]);
	} else {
		if (!co_cert(a, side, &cert, frames, lens) ||
		    (cert.view + 1 != l->view && !l->has_tc))
			return false;
		rc = adv_extend(m->frame, m->len, key, &cert, &a->map,
				&c->moved[side]);
	}
	if (rc || adv_links(c->moved[side].data, c->moved[side].len, &nl)) {
		wire_buf_reset(&c->moved[side]);
		return false;
	}
	memcpy(c->moved_from[side], l->hash, BYZ_DIGEST_BYTES);
	if (!co_side(c, l->hash))
		co_set_side(c, l->hash, 3 - side);
	co_set_side(c, nl.hash, side);
	a->st.rewritten++;
send:
	m->frame = c->moved[side].data;
	m->len = c->moved[side].len;
	return true;
}

/* A Byzantine replica's message to an honest one, in the coalition's
 * equivocation: each half sees its own branch only. False to drop it. */
static bool co_send(struct adversary *a, const struct adv_port *p,
		    struct adv_msg *m, uint32_t to_idx)
{
	struct coalition *c = a->co;
	uint8_t half = co_half(a, to_idx), side;
	struct adv_links l;

	if (!half || adv_links(m->frame, m->len, &l))
		return true;
	switch (l.kind) {
	case ADV_LINK_PROPOSAL:
		side = co_side(c, l.hash);
		if (!side && half == 1) {
			/* The first half gets the leader's own block. */
			co_set_side(c, l.hash, 1);
			side = 1;
		}
		if (side != half && !co_move(a, m, &l, half))
			return false;
		co_endorse(a, p, m->frame, m->len, half, m->delay_us);
		return true;
	case ADV_LINK_VOTE:
		side = co_side(c, l.hash);
		return !side || side == half;
	case ADV_LINK_TIMEOUT:
		/* A TIMEOUT carrying the other branch's QC is not sent:
		 * the coalition times out with each half instead
		 * (co_time_out). (Withholding its QC instead made the
		 * recipient answer with its own, older than the Byzantine
		 * core's, which answered that, and so on forever.) */
		side = co_side(c, l.parent);
		return !side || side == half;
	default:
		return true;
	}
}

/* Is the coalition at work on this message? */
static bool co_active(struct adversary *a, uint64_t round)
{
	return a->co && active(a, &a->plan.a[a->co->attack], a->now, round);
}

/* The behaviours of Byzantine replicas on one of their messages. Returns
 * false to drop it. */
static bool byzantine_send(struct adversary *a, const struct adv_port *p,
			   struct adv_msg *m, uint32_t to_idx, uint64_t round,
			   struct prng *rng)
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
			if (co_active(a, round) &&
			    !adv_links(m->frame, m->len,
				       &(struct adv_links){0})) {
				if (!co_send(a, p, m, to_idx))
					return false;
				touched = true;
				break;
			}
			if (!to_half_b(a, to_idx))
				break;
			touched = rewrite(a, m, ADV_MUT_CONFLICT) ||
				  rewrite(a, m, ADV_MUT_FOLLOW) ||
				  rewrite(a, m, ADV_MUT_WITHHOLD);
			break;
		case ATK_DOUBLE_VOTE:
			if (adversary_forge(a, p, m, ADV_MUT_OTHER_DIGEST,
					    m->delay_us) == BYZ_ENOKEY)
				break; /* refused once, counted once */
			/* A leader's proposal gets a conflicting twin to the
			 * same replica, `lag` before it for odd replicas and
			 * after it for even ones: both orders (OSDI'99 §4.2,
			 * Alg. 4: one pre-prepare, one vote per view and
			 * number). A long lag reaches a replica that restarted
			 * meanwhile: what it voted must have been durable. */
			adversary_forge(a, p, m, ADV_MUT_CONFLICT,
					to_idx % 2
					    ? (m->delay_us > at->a_us
						   ? m->delay_us - at->a_us
						   : 0)
					    : m->delay_us + at->a_us);
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
		case ATK_FORK:
			touched = rewrite(a, m, ADV_MUT_FORK);
			break;
		case ATK_CERT_MIX:
			touched = rewrite(a, m, ADV_MUT_CERT_MIX);
			break;
		case ATK_JUMP:
			/* The pacemaker's TC check (mutate.h, jump): half
			 * the honest replicas are asked to leave for a view
			 * far ahead on a proof of one TIMEOUT. */
			touched =
			    to_half_b(a, to_idx) && rewrite(a, m, ADV_MUT_JUMP);
			break;
		case ATK_USURP:
			/* The coalition sides with each "primary" where it
			 * reached first: votes to the half the usurper's
			 * proposal went to follow it (usurp, below). */
			touched = to_half_b(a, to_idx) &&
				  rewrite(a, m, ADV_MUT_FOLLOW);
			break;
		case ATK_STALE:
			if (prng_chance(rng, at->p)) {
				adversary_forge(a, p, m, ADV_MUT_STALE,
						m->delay_us + 1000);
				touched = true;
			}
			break;
		case ATK_MUTATE:
			to_id =
			    to_idx == NO_NODE ? NO_NODE : to_idx % BYZ_MAX_N;
			if (at->replica != UINT32_MAX &&
			    at->replica != byz_addr_replica(m->from))
				break;
			if (at->to_mask &&
			    (to_id == NO_NODE || to_id >= ATK_TO_MAX ||
			     !(at->to_mask >> to_id & 1)))
				break;
			touched =
			    rewrite(a, m, (enum adv_mutation)at->mutation);
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
		    struct adv_msg *m, uint32_t from_idx, uint32_t to_idx,
		    uint64_t round, struct prng *rng)
{
	for (size_t i = 0; i < a->plan.count; i++) {
		const struct attack *at = &a->plan.a[i];
		bool touched = false;

		if (!attack_is_network(at->kind) && at->kind != ATK_TWINS)
			continue; /* Byzantine behaviours, clock faults */
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
			gf = at->has_groups
				 ? explicit_group(at, from_idx)
				 : random_group(a, rng, i, a->now, from_idx);
			gt = at->has_groups
				 ? explicit_group(at, to_idx)
				 : random_group(a, rng, i, a->now, to_idx);
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
					if (!duplicate(
						p, m,
						m->delay_us + 1 +
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

/*
 * usurp: a proposal of an honest leader reaching a Byzantine replica is
 * made that replica's own (adv_usurp). A proposal for the same slot is
 * rushed to the second half of the honest replicas (no delay: it overtakes
 * the leader's, still in flight), and the coalition's votes to that half
 * follow it (byzantine_send); one for the next slot goes to every honest
 * replica USURP_AFTER_US after the leader's reached the usurper, once the
 * others have voted on the leader's and wait for the next view, ahead of
 * its leader's proposal, which needs a round of votes first.
 */
#define USURP_AFTER_US 1000

static void usurp(struct adversary *a, const struct adv_port *p,
		  const struct adv_msg *m, uint32_t from_idx, uint32_t to_idx)
{
	struct wire_buf *out = &a->tbuf;
	bool same;

	if (to_idx >= a->n || !a->plan.byzantine[to_idx] || from_idx >= a->n ||
	    a->plan.byzantine[from_idx] || !a->has_key[to_idx])
		return;
	if (adv_usurp(m->frame, m->len, to_idx, &a->keys[to_idx], &a->map, out))
		return;
	same = adversary_frame_round(out->data, out->len) ==
		   adversary_frame_round(m->frame, m->len) &&
	       adv_frame_view(out->data, out->len) ==
		   adv_frame_view(m->frame, m->len);
	for (uint32_t r = 0; r < a->n; r++) {
		if (a->plan.byzantine[r] || (same && !a->half_b[r]))
			continue;
		if (!p->inject(p->ctx, to_idx, r, out->data, out->len,
			       same ? 0 : m->delay_us + USURP_AFTER_US))
			a->st.injected++;
	}
}

static bool usurp_active(struct adversary *a, uint64_t round, size_t *which)
{
	for (size_t i = 0; i < a->plan.count; i++)
		if (a->plan.a[i].kind == ATK_USURP &&
		    active(a, &a->plan.a[i], a->now, round)) {
			*which = i;
			return true;
		}
	return false;
}

enum adv_verdict adversary_on_message(struct adversary *a,
				      const struct adv_port *port,
				      struct adv_msg *m)
{
	struct prng *rng = port->rng;
	uint32_t from_idx = instance(m->from), to_idx = instance(m->to);
	uint64_t round =
	    a->need_round ? adversary_frame_round(m->frame, m->len) : 0;
	bool byz_sender =
	    from_idx != NO_NODE && a->plan.byzantine[from_idx % BYZ_MAX_N];
	size_t ui;

	a->now = port->now(port->ctx);
	if (from_idx == NO_NODE && a->want_requests) {
		struct wire_frame f;
		if (!wire_frame_parse(m->frame, m->len, true, &f) &&
		    f.proto == BYZ_PROTO_CLIENT &&
		    f.type == WIRE_CLIENT_REQUEST)
			adv_conflicts_offer(&a->map, m->frame, m->len);
	}

	if (co_active(a, round) && co_observe(a, port, m, from_idx, to_idx)) {
		/* Asynchrony before GST: the halves hear each other late. */
		if (a->now < a->gst_us && co_half(a, from_idx) &&
		    co_half(a, to_idx) &&
		    co_half(a, from_idx) != co_half(a, to_idx)) {
			/* With no GST they never do: held until GST would
			 * be a delay past the end of time, which wrapped
			 * around to a delivery in the past. */
			if (a->gst_us == UINT64_MAX) {
				a->st.partitioned++;
				return ADV_DROP;
			}
			m->delay_us += a->gst_us - a->now;
			a->st.delayed++;
		}
	}
	if (to_idx < a->n && a->plan.byzantine[to_idx] &&
	    usurp_active(a, round, &ui)) {
		uint64_t before = a->st.injected;
		usurp(a, port, m, from_idx, to_idx);
		if (a->st.injected != before)
			a->st.per_attack[ui]++;
	}
	if (byz_sender && !byzantine_send(a, port, m, to_idx, round, rng))
		return ADV_DROP;
	if (!network(a, port, m, from_idx, to_idx, round, rng))
		return ADV_DROP;
	record(a, m);
	return ADV_DELIVER;
}
