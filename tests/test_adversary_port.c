/*
 * test_adversary_port.c - the adversary's port: it sees the world only
 * through struct adv_port (inject, its PRNG, the clock), and it can sign
 * only as the replicas it corrupted. A forgery asked for as an honest
 * replica (or a client) is refused, and no setup call accepts an honest
 * replica's key; in the simulator it gets exactly the Byzantine keys.
 */
#include "adversary.h"
#include "pbft/pbft_wire.h"
#include "hotstuff/hs_wire.h"
#include "err.h"
#include "ingress.h"
#include "sim.h"

#include <criterion/criterion.h>
#include <string.h>

#define SEED 21
#define N    4
#define F    1
#define BYZ  1 /* the Byzantine replica */

static struct byz_keypair rk[N];
static struct ingress *ing;

/* A port that records what the adversary injects. */
struct fake {
	uint64_t now;
	struct prng rng;
	unsigned plain, forged;
	uint32_t from, to;
	uint8_t last[4096];
	size_t last_len;
};

static int keep(struct fake *f, uint32_t from, uint32_t to,
		const uint8_t *frame, size_t len)
{
	cr_assert_leq(len, sizeof f->last);
	f->from = from;
	f->to = to;
	memcpy(f->last, frame, len);
	f->last_len = len;
	return 0;
}

static int fake_inject(void *ctx, uint32_t from, uint32_t to,
		       const uint8_t *frame, size_t len, uint64_t delay_us)
{
	struct fake *f = ctx;

	(void)delay_us;
	f->plain++;
	return keep(f, from, to, frame, len);
}

static int fake_inject_forged(void *ctx, uint32_t from, uint32_t to,
			      const uint8_t *frame, size_t len,
			      uint64_t delay_us)
{
	struct fake *f = ctx;

	(void)delay_us;
	f->forged++;
	return keep(f, from, to, frame, len);
}

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static struct fake fk;
static struct adv_port port;
static struct wire_buf vote;

static void setup(void)
{
	uint8_t pk[N][BYZ_PK_BYTES];
	struct ingress_keys keys = {.n = N,
				    .replica = (const uint8_t(*)[32])pk};

	cr_assert_eq(byz_crypto_init(), 0);
	for (uint32_t r = 0; r < N; r++) {
		byz_key_derive(&rk[r], SEED, BYZ_ROLE_REPLICA, r);
		memcpy(pk[r], rk[r].pk, BYZ_PK_BYTES);
	}
	cr_assert_eq(ingress_new(&keys, 8, &ing), 0);
	memset(&fk, 0, sizeof fk);
	fk.now = 1000;
	prng_seed(&fk.rng, SEED, PRNG_ADVERSARY);
	port = (struct adv_port){.ctx = &fk,
				 .inject = fake_inject,
				 .inject_forged = fake_inject_forged,
				 .now = fake_now,
				 .rng = &fk.rng};
	wire_buf_init(&vote, WIRE_MAX_FRAME);
}

static void teardown(void)
{
	ingress_destroy(&ing);
	wire_buf_free(&vote);
}

TestSuite(adversary_port, .init = setup, .fini = teardown);

/* A plan with the Byzantine replica BYZ and the given attacks. */
static struct attack_plan plan_of(const char *const *attacks, size_t k)
{
	struct attack_plan p;
	char why[160];

	memset(&p, 0, sizeof p);
	p.byzantine[BYZ] = true;
	for (size_t i = 0; i < k; i++)
		cr_assert_eq(attack_parse(attacks[i], N, &p.a[p.count++], why,
					  sizeof why),
			     0, "%s: %s", attacks[i], why);
	return p;
}

static struct adversary *adv_of(const struct attack_plan *p)
{
	struct adversary *a;

	cr_assert_eq(adversary_new(p, N, F, UINT64_MAX, &a), 0);
	return a;
}

/* Replica `from`'s signed PBFT PREPARE for (view 0, seq 1), in flight to
 * replica 2. */
static struct adv_msg prepare_from(uint32_t from)
{
	uint8_t d[BYZ_DIGEST_BYTES];

	byz_digest(d, "batch", 5);
	wire_buf_reset(&vote);
	cr_assert_eq(pbft_enc_vote(&vote, NULL, PBFT_PREPARE, from, 0, 1, d),
		     0);
	cr_assert_eq(wire_sign(&vote, 0, &rk[from]), 0);
	return (struct adv_msg){.id = 7,
				.from = from,
				.to = 2,
				.frame = vote.data,
				.len = vote.len,
				.delay_us = 1000};
}

Test(adversary_port, an_honest_replicas_key_is_refused_at_setup)
{
	struct attack_plan p = plan_of(NULL, 0);
	struct adversary *a = adv_of(&p);

	for (uint32_t r = 0; r < N; r++)
		cr_assert_eq(adversary_corrupt(a, r, &rk[r]),
			     r == BYZ ? 0 : BYZ_EINVAL, "replica %u", r);
	cr_assert_eq(adversary_corrupt(a, N, &rk[0]), BYZ_EINVAL);
	cr_assert_eq(adversary_corrupt(a, BYZ, NULL), BYZ_EINVAL);
	adversary_free(&a);
}

Test(adversary_port, forging_as_an_honest_replica_is_refused)
{
	struct attack_plan p = plan_of(NULL, 0);
	struct adversary *a = adv_of(&p);
	struct adv_msg m;
	struct wire_msg w;

	/* It holds replica BYZ's key; even handing it more changes nothing. */
	cr_assert_eq(adversary_corrupt(a, BYZ, &rk[BYZ]), 0);
	cr_assert_neq(adversary_corrupt(a, 0, &rk[0]), 0);
	for (uint32_t r = 0; r < N; r++) {
		if (r == BYZ)
			continue;
		m = prepare_from(r);
		cr_assert_eq(
		    adversary_forge(a, &port, &m, ADV_MUT_OTHER_DIGEST, 10),
		    BYZ_ENOKEY, "replica %u", r);
	}
	m = prepare_from(0);
	m.from = byz_client_addr(0); /* nor as a client */
	cr_assert_eq(adversary_forge(a, &port, &m, ADV_MUT_OTHER_DIGEST, 10),
		     BYZ_ENOKEY);
	cr_assert_eq(fk.plain + fk.forged, 0, "nothing was injected");
	cr_assert_eq(adversary_stats(a).refused, N);

	/* As the Byzantine replica: a conflicting vote that passes ingress
	 * as BYZ's own. */
	m = prepare_from(BYZ);
	cr_assert_eq(adversary_forge(a, &port, &m, ADV_MUT_OTHER_DIGEST, 10),
		     0);
	cr_assert_eq(fk.plain, 1);
	cr_assert_eq(fk.from, BYZ);
	cr_assert_eq(fk.to, 2);
	cr_assert(fk.last_len != vote.len ||
		  memcmp(fk.last, vote.data, vote.len) != 0);
	cr_assert_eq(ingress_check(ing, fk.last, fk.last_len, &w), 0);
	cr_assert_eq(w.frame.sender, BYZ);
	adversary_free(&a);
}

Test(adversary_port,
     a_byzantine_replica_whose_key_was_not_handed_over_forges_nothing)
{
	static const char *const atk[] = {"double-vote"};
	struct attack_plan p = plan_of(atk, 1);
	struct adversary *a = adv_of(&p);
	struct adv_msg m = prepare_from(BYZ);

	cr_assert_eq(adversary_on_message(a, &port, &m), ADV_DELIVER);
	cr_assert_eq(fk.plain + fk.forged, 0);
	cr_assert_eq(adversary_stats(a).refused, 1);
	cr_assert_eq(adversary_stats(a).injected, 0);

	cr_assert_eq(adversary_corrupt(a, BYZ, &rk[BYZ]), 0);
	m = prepare_from(BYZ);
	cr_assert_eq(adversary_on_message(a, &port, &m), ADV_DELIVER);
	cr_assert_eq(fk.plain, 1, "the double vote, once the key is held");
	cr_assert_eq(adversary_stats(a).injected, 1);
	adversary_free(&a);
}

Test(adversary_port, byzantine_attacks_leave_honest_messages_alone)
{
	static const char *const atk[] = {"double-vote", "equivocate",
					  "cert-dup", "mutate"};
	struct attack_plan p = plan_of(atk, 4);
	struct adversary *a = adv_of(&p);

	cr_assert_eq(adversary_corrupt(a, BYZ, &rk[BYZ]), 0);
	for (uint32_t r = 0; r < N; r++) {
		struct adv_msg m;
		if (r == BYZ)
			continue;
		m = prepare_from(r);
		cr_assert_eq(adversary_on_message(a, &port, &m), ADV_DELIVER);
		cr_assert_eq(m.frame, vote.data, "replica %u's frame replaced",
			     r);
		cr_assert_eq(m.len, vote.len);
		cr_assert_not(m.forged);
	}
	cr_assert_eq(fk.plain + fk.forged, 0);
	cr_assert_eq(adversary_stats(a).rewritten, 0);
	cr_assert_eq(adversary_stats(a).refused, 0);
	adversary_free(&a);
}

Test(adversary_port, copies_of_a_tampered_frame_are_injected_as_forged)
{
	static const char *const atk[] = {"tamper:p=1", "duplicate:p=1"};
	struct attack_plan p = plan_of(atk, 2);
	struct adversary *a = adv_of(&p);
	struct adv_msg m = prepare_from(0);
	struct wire_msg w;

	cr_assert_eq(adversary_on_message(a, &port, &m), ADV_DELIVER);
	cr_assert(m.forged);
	cr_assert_gt(fk.forged, 0);
	cr_assert_eq(fk.plain, 0, "a tampered copy went in as genuine");
	cr_assert_neq(ingress_check(ing, fk.last, fk.last_len, &w), 0);
	adversary_free(&a);
}

Test(adversary_port, the_simulator_hands_out_byzantine_keys_only)
{
	static const char *const atk[] = {"equivocate"};
	struct attack_plan p = plan_of(atk, 1), p2;
	struct adversary *a = adv_of(&p), *a2;
	struct sim_config cfg;
	struct trace tr;
	struct sim *s;
	char why[160];

	memset(&cfg, 0, sizeof cfg);
	cfg.ops = byz_core_find("toy");
	cfg.core =
	    (struct byz_config){.n = N,
				.f = F,
				.max_clients = 1,
				.batch = 1,
				.window = 64,
				.timeout_us = 20000,
				.app = {.max_keys = 64, .max_clients = 1}};
	cfg.seed = SEED;
	cfg.net.latency_us = 1000;
	cfg.work = (struct sim_workload){.clients = 1,
					 .requests = 1,
					 .keys = 4,
					 .retry_us = 50000,
					 .retry_max_us = 400000};
	cfg.max_time_us = 1000000;
	cr_assert_eq(adversary_configure(a, &cfg, why, sizeof why), 0, "%s",
		     why);
	trace_init(&tr, N, F, NULL);
	cr_assert_eq(sim_new(&cfg, &tr, &s), 0);
	for (uint32_t r = 0; r < N; r++) {
		const struct byz_keypair *k = sim_byzantine_key(s, r);
		if (r != BYZ) {
			cr_assert_null(k, "replica %u's key handed out", r);
			continue;
		}
		cr_assert_not_null(k);
		cr_assert_eq(memcmp(k->pk, rk[r].pk, BYZ_PK_BYTES), 0);
	}
	cr_assert_null(sim_byzantine_key(s, N));
	cr_assert_eq(adversary_attach(a, s), 0);

	/* A plan claiming a replica the simulation runs honestly gets no key.
	 */
	p2 = p;
	p2.byzantine[0] = true;
	a2 = adv_of(&p2);
	cr_assert_eq(adversary_attach(a2, s), BYZ_EINVAL);
	adversary_free(&a2);

	cr_assert_eq(sim_run(s), 0);
	cr_assert(sim_stats(s).done);
	cr_assert_eq(adversary_stats(a).refused, 0);
	sim_destroy(&s);
	trace_free(&tr);
	adversary_free(&a);
}

/* ---- the equivocating coalition on HotStuff ------------------------------ */

/* A port that checks every injected frame at ingress and counts them by
 * signer. */
struct co_fake {
	unsigned by[N], bad, forged;
};

static int co_inject(void *ctx, uint32_t from, uint32_t to,
		     const uint8_t *frame, size_t len, uint64_t delay_us)
{
	struct co_fake *c = ctx;
	struct wire_msg w;

	(void)to;
	(void)delay_us;
	if (ingress_check(ing, frame, len, &w) || w.frame.sender != from ||
	    from >= N)
		c->bad++;
	else
		c->by[from]++;
	return 0;
}

static int co_inject_forged(void *ctx, uint32_t from, uint32_t to,
			    const uint8_t *frame, size_t len, uint64_t delay_us)
{
	(void)from;
	(void)to;
	(void)frame;
	(void)len;
	(void)delay_us;
	((struct co_fake *)ctx)->forged++;
	return 0;
}

static uint64_t co_now(void *ctx)
{
	(void)ctx;
	return 1000;
}

/*
 * With replicas 0 and 1 Byzantine (b = f+1 at n = 4; halves A = {2},
 * B = {3}), leader 1's proposal reaches replica 2 as it is and replica 3
 * as a conflicting block, re-signed by 1; the coalition's votes for each
 * are signed by 0 and 1 only; replica 3's honest vote for its block is
 * not altered, only held until GST on its way to replica 2 (the other
 * half), and its copies are its own bytes.
 */
Test(adversary_port, hotstuff_coalition_signs_only_as_its_members)
{
	static const char *const atk[] = {"equivocate"};
	struct attack_plan p = plan_of(atk, 1);
	struct co_fake cf = {0};
	struct adv_port cp = {.ctx = &cf,
			      .inject = co_inject,
			      .inject_forged = co_inject_forged,
			      .now = co_now,
			      .rng = &fk.rng};
	struct adversary *a;
	struct wire_buf qc, prop, hv;
	struct adv_msg m;
	struct wire_msg w;
	uint8_t hash[BYZ_DIGEST_BYTES], zero[BYZ_DIGEST_BYTES] = {0};
	uint8_t *vote3;
	size_t vote3_len;

	p.byzantine[0] = true;
	cr_assert_eq(adversary_new(&p, N, F, 300000, &a), 0);
	cr_assert_eq(adversary_corrupt(a, 0, &rk[0]), 0);
	cr_assert_eq(adversary_corrupt(a, BYZ, &rk[BYZ]), 0);
	cr_assert_eq(adversary_corrupt(a, 2, &rk[2]), BYZ_EINVAL);
	wire_buf_init(&qc, WIRE_MAX_FRAME);
	wire_buf_init(&prop, WIRE_MAX_FRAME);
	wire_buf_init(&hv, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_qc(&qc, 0, zero, (struct hs_framev){NULL, NULL, 0}),
		     0);
	/* Leader 1's view-1 proposal with one request (none seen in flight:
	 * the conflicting batch is empty). */
	{
		struct wire_buf rq;
		const uint8_t *rf[1];
		size_t rl[1];
		struct byz_keypair ck;
		byz_key_derive(&ck, SEED, BYZ_ROLE_CLIENT, 0);
		wire_buf_init(&rq, WIRE_MAX_FRAME);
		cr_assert_eq(wire_enc_request(&rq, NULL, 0, 1,
					      (const uint8_t *)"put a 1", 7),
			     0);
		cr_assert_eq(wire_sign(&rq, 0, &ck), 0);
		rf[0] = rq.data;
		rl[0] = rq.len;
		cr_assert_eq(hs_enc_proposal(&prop, NULL, BYZ, 1, qc.data,
					     qc.len,
					     (struct hs_framev){NULL, NULL, 0},
					     (struct hs_framev){rf, rl, 1}),
			     0);
		wire_buf_free(&rq);
	}
	cr_assert_eq(wire_sign(&prop, 0, &rk[BYZ]), 0);

	/* To half A (replica 2): the original; the coalition's votes for it
	 * go to replica 2, signed by 0 and 1. */
	m = (struct adv_msg){.id = 1,
			     .from = BYZ,
			     .to = 2,
			     .frame = prop.data,
			     .len = prop.len,
			     .delay_us = 1000};
	cr_assert_eq(adversary_on_message(a, &cp, &m), ADV_DELIVER);
	cr_assert_eq(m.frame, prop.data);
	cr_assert_eq(cf.by[0], 1);
	cr_assert_eq(cf.by[1], 1);

	/* To half B (replica 3): a conflicting block of the same view,
	 * signed by 1; and the coalition's votes for that one. */
	m = (struct adv_msg){.id = 2,
			     .from = BYZ,
			     .to = 3,
			     .frame = prop.data,
			     .len = prop.len,
			     .delay_us = 1000};
	cr_assert_eq(adversary_on_message(a, &cp, &m), ADV_DELIVER);
	cr_assert_neq(m.len == prop.len &&
			  !memcmp(m.frame, prop.data, prop.len),
		      true, "half B got the same block");
	cr_assert_not(m.forged);
	/* (ingress here knows no client keys: the signature is checked by
	 * hand) */
	cr_assert_eq(wire_decode(m.frame, m.len, &w), 0);
	cr_assert_eq(w.frame.sender, BYZ);
	cr_assert_eq(byz_verify(rk[BYZ].pk, w.frame.proto, w.frame.type,
				w.frame.bytes, w.frame.signed_len, w.frame.sig),
		     0);
	cr_assert_eq(hs_of(&w)->prop.view, 1);
	hs_block_hash(&hs_of(&w)->prop, hash);
	cr_assert_eq(cf.by[0], 2);
	cr_assert_eq(cf.by[1], 2);

	/* Replica 3's own vote for its block, to leader 2 (half A): the
	 * same bytes, held until GST (300 ms). */
	cr_assert_eq(hs_enc_vote(&hv, NULL, 3, 1, hash), 0);
	cr_assert_eq(wire_sign(&hv, 0, &rk[3]), 0);
	vote3 = hv.data;
	vote3_len = hv.len;
	m = (struct adv_msg){.id = 3,
			     .from = 3,
			     .to = 2,
			     .frame = vote3,
			     .len = vote3_len,
			     .delay_us = 1000};
	cr_assert_eq(adversary_on_message(a, &cp, &m), ADV_DELIVER);
	cr_assert_eq(m.frame, vote3);
	cr_assert_eq(m.len, vote3_len);
	cr_assert_not(m.forged);
	cr_assert_eq(m.delay_us, 1000 + 300000 - 1000);

	cr_assert_eq(cf.bad, 0, "an injected frame failed ingress");
	cr_assert_eq(cf.forged, 0);
	cr_assert_eq(cf.by[2] + cf.by[3], 0, "signed as an honest replica");
	cr_assert_eq(adversary_stats(a).refused, 0);
	wire_buf_free(&qc);
	wire_buf_free(&prop);
	wire_buf_free(&hv);
	adversary_free(&a);
}
