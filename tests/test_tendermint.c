/*
 * test_tendermint.c - Tendermint (lib/tendermint): one core driven by
 * hand-made signed messages, for the rules of Algorithm 1 (Buchman, Kwon,
 * Milosevic 2018) that decide safety: the lock (lines 22-33), the decision
 * on 2f+1 PRECOMMITs (line 49), the f+1 round skip (line 55), and the
 * persistence rule (a replica restarted from its log never votes twice
 * differently in one round, and keeps its lock). Each rule's test also
 * runs the core with the mutant that breaks that rule (tm_mutants.c) and
 * checks the test's own assertion then fails: the test can fail.
 * Then simulator runs at n = 4, 7, 10 with the message counts per decision
 * against the paper's O(n^2) (docs/tendermint.md).
 */
#include "app.h"
#include "check.h"
#include "core.h"
#include "err.h"
#include "scenario.h"
#include "sim.h"
#include "tendermint/tm_core.h"
#include "tendermint/tm_wire.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED 7
#define N    4

static uint8_t *arena[4096];
static size_t narena;

static void *keep(const void *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	cr_assert_not_null(q);
	cr_assert_lt(narena, sizeof arena / sizeof arena[0]);
	memcpy(q, p, len);
	arena[narena++] = q;
	return q;
}

static void setup(void)
{
	cr_assert_eq(byz_crypto_init(), 0);
}

static void teardown(void)
{
	while (narena)
		free(arena[--narena]);
}

TestSuite(tendermint, .init = setup, .fini = teardown);

static const struct byz_core_ops *ops(void)
{
	const struct byz_core_ops *o = byz_core_find("tendermint");

	cr_assert_not_null(o);
	return o;
}

struct fr {
	const uint8_t *p;
	size_t len;
};

static struct fr sign(struct wire_buf *b, size_t s, enum byz_role role,
		      uint32_t id)
{
	struct byz_keypair kp;
	struct fr f;

	byz_key_derive(&kp, SEED, role, id);
	cr_assert_eq(wire_sign(b, s, &kp), 0);
	f.p = keep(b->data + s, b->len - s);
	f.len = b->len - s;
	return f;
}

static const uint8_t nil[BYZ_DIGEST_BYTES];

/* The state digest of an empty application: every value of height 1
 * names it. */
static void empty_state(uint8_t d[BYZ_DIGEST_BYTES])
{
	struct app_limits lim = {.max_keys = 64, .max_clients = 4};
	struct app *a;

	cr_assert_eq(app_new(&lim, &a), 0);
	app_state_digest(a, d);
	app_destroy(&a);
}

/* A value of height 1 with one request of client c ("put k <op>"). */
struct val {
	struct fr bytes;
	uint8_t id[BYZ_DIGEST_BYTES];
};

/* A value of height h on state st with one request of client c (op,
 * timestamp 1). */
static struct val mk_value_on(uint64_t h, const uint8_t *st, uint32_t c,
			      const char *op)
{
	struct wire_buf b, v;
	const uint8_t *rp;
	size_t s, rl;
	struct fr req;
	struct val out;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	wire_buf_init(&v, WIRE_MAX_FRAME);
	cr_assert_eq(
	    wire_enc_request(&b, &s, c, 1, (const uint8_t *)op, strlen(op)), 0);
	req = sign(&b, s, BYZ_ROLE_CLIENT, c);
	rp = req.p;
	rl = req.len;
	cr_assert_eq(tm_enc_value(&v, h, st, &rp, &rl, 1), 0);
	out.bytes.p = keep(v.data, v.len);
	out.bytes.len = v.len;
	tm_value_id(out.id, v.data, v.len);
	wire_buf_free(&b);
	wire_buf_free(&v);
	return out;
}

static struct val mk_value(uint32_t c, const char *op)
{
	uint8_t st[BYZ_DIGEST_BYTES];

	empty_state(st);
	return mk_value_on(1, st, c, op);
}

static struct fr mk_vote(uint8_t type, uint32_t r, uint32_t round,
			 const uint8_t *id)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(tm_enc_vote(&b, &s, type, r, 1, round, id), 0);
	f = sign(&b, s, BYZ_ROLE_REPLICA, r);
	wire_buf_free(&b);
	return f;
}

/* A PROPOSAL of height 1 by proposer(1, round) = round mod 4, with valid
 * round vr and, if vr is a round, the PREVOTEs for v of replicas 0..2 in
 * vr as its proof. */
static struct fr mk_proposal(uint32_t round, uint32_t vr, const struct val *v)
{
	const uint8_t *pol[3];
	size_t lens[3], npol = 0, s;
	struct wire_buf b;
	struct fr f;

	if (vr != TM_NO_ROUND)
		for (uint32_t i = 0; i < 3; i++) {
			struct fr x = mk_vote(TM_PREVOTE, i, vr, v->id);
			pol[npol] = x.p;
			lens[npol++] = x.len;
		}
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(tm_enc_proposal(&b, &s, round % N, round, vr, pol, lens,
				     npol, v->bytes.p, v->bytes.len),
		     0);
	f = sign(&b, s, BYZ_ROLE_REPLICA, round % N);
	wire_buf_free(&b);
	return f;
}

/* ---- a driver for one core ------------------------------------------- */

struct sent {
	uint8_t type;
	uint32_t round;
	uint8_t id[BYZ_DIGEST_BYTES];
	size_t persists_before; /* PERSISTs earlier in the same step */
};

struct drv {
	void *core;
	struct byz_config cfg;
	struct byz_outbox ob;
	uint8_t *log;
	size_t loglen;
	struct sent sent[256]; /* votes broadcast, in order */
	size_t nsent;
	size_t commits, persists;
	uint64_t last_view;
	bool entered;
};

static void deliver(struct drv *d, struct fr f);

/* Carry out a step's outputs: keep PERSISTs in the log, note votes and
 * commits, deliver loopback sends signed. */
static void outputs(struct drv *d)
{
	struct fr loop[16];
	size_t nloop = 0, persists = 0;

	for (size_t i = 0; i < d->ob.count; i++) {
		const struct byz_output *o = &d->ob.out[i];
		const uint8_t *r = d->ob.bytes.data + o->off;
		struct wire_msg m;

		switch (o->kind) {
		case BYZ_OUT_PERSIST:
			if (o->replace)
				d->loglen = 0;
			d->log = realloc(d->log, d->loglen + 4 + o->len);
			for (int k = 0; k < 4; k++)
				d->log[d->loglen + k] =
				    (uint8_t)(o->len >> (8 * k));
			memcpy(d->log + d->loglen + 4, r, o->len);
			d->loglen += 4 + o->len;
			persists++;
			d->persists++;
			break;
		case BYZ_OUT_COMMIT:
			d->commits++;
			break;
		case BYZ_OUT_VIEW:
			if (!o->view.gave_up) {
				d->last_view = o->view.view;
				d->entered = true;
			}
			break;
		case BYZ_OUT_BROADCAST:
			cr_assert_eq(wire_decode_unsigned(r, o->len, &m), 0);
			if (m.frame.type == TM_PREVOTE ||
			    m.frame.type == TM_PRECOMMIT) {
				struct sent *s = &d->sent[d->nsent++];
				cr_assert_lt(d->nsent, 256);
				s->type = m.frame.type;
				s->round = tm_of(&m)->vote.round;
				memcpy(s->id, tm_of(&m)->vote.id,
				       BYZ_DIGEST_BYTES);
				s->persists_before = persists;
			}
			break;
		case BYZ_OUT_SEND:
			if (o->to == d->cfg.id) {
				struct wire_buf b;
				cr_assert_lt(nloop, 16);
				wire_buf_init(&b, WIRE_MAX_FRAME + 64);
				wire_put_bytes(&b, r, o->len);
				loop[nloop++] =
				    sign(&b, 0, BYZ_ROLE_REPLICA, d->cfg.id);
				wire_buf_free(&b);
			}
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < nloop; i++)
		deliver(d, loop[i]);
}

static void step(struct drv *d, const struct byz_event *ev)
{
	byz_outbox_reset(&d->ob);
	cr_assert_eq(ops()->step(d->core, ev, &d->ob), 0);
	outputs(d);
}

static void deliver(struct drv *d, struct fr f)
{
	struct wire_msg m;
	struct byz_event ev = {.now = 1000};

	cr_assert_eq(wire_decode(f.p, f.len, &m), 0);
	ev.kind =
	    m.frame.proto == BYZ_PROTO_CLIENT ? BYZ_EV_REQUEST : BYZ_EV_MESSAGE;
	ev.u.msg = &m;
	step(d, &ev);
}

static void fire(struct drv *d, uint32_t timer)
{
	struct byz_event ev = {.kind = BYZ_EV_TIMER, .now = 2000};

	ev.u.timer = timer;
	step(d, &ev);
}

/* Replica 3 of 4, fresh or from log, with mutant mut planted (0: none). */
static void drv_open(struct drv *d, uint32_t mut, bool restarted)
{
	struct byz_event ev = {.kind = BYZ_EV_START};

	d->cfg = (struct byz_config){.n = N,
				     .f = 1,
				     .id = 3,
				     .max_clients = 4,
				     .batch = 4,
				     .window = 16,
				     .timeout_us = 20000,
				     .mutant = mut,
				     .app = {.max_keys = 64, .max_clients = 4}};
	cr_assert_eq(ops()->create(&d->cfg, d->log, d->loglen, &d->core), 0);
	byz_outbox_init(&d->ob, 4096, 64u << 20);
	ev.u.restarted = restarted;
	step(d, &ev);
}

static void drv_crash(struct drv *d)
{
	ops()->destroy(&d->core);
	byz_outbox_free(&d->ob);
}

static void drv_close(struct drv *d)
{
	drv_crash(d);
	free(d->log);
	d->log = NULL;
	d->loglen = 0;
}

/* The last vote of type broadcast in round, or NULL. */
static const struct sent *vote_in(const struct drv *d, uint8_t type,
				  uint32_t round)
{
	for (size_t i = d->nsent; i-- > 0;)
		if (d->sent[i].type == type && d->sent[i].round == round)
			return &d->sent[i];
	return NULL;
}

/* How many different votes of type it broadcast in round. */
static size_t distinct_votes(const struct drv *d, uint8_t type, uint32_t round)
{
	size_t k = 0;

	for (size_t i = 0; i < d->nsent; i++) {
		bool seen = false;
		if (d->sent[i].type != type || d->sent[i].round != round)
			continue;
		for (size_t j = 0; j < i; j++)
			seen |= d->sent[j].type == type &&
				d->sent[j].round == round &&
				!memcmp(d->sent[j].id, d->sent[i].id,
					BYZ_DIGEST_BYTES);
		k += !seen;
	}
	return k;
}

static bool voted(const struct drv *d, uint8_t type, uint32_t round,
		  const uint8_t *id)
{
	const struct sent *s = vote_in(d, type, round);

	return s && !memcmp(s->id, id, BYZ_DIGEST_BYTES);
}

/* End the current round r without a decision: 2f+1 PRECOMMITs (ours and
 * two nil), then timeoutPrecommit (lines 47-48, 65-67). If we have not
 * precommitted, two nil PREVOTEs first (line 44). */
static void end_round(struct drv *d, uint32_t r)
{
	if (!vote_in(d, TM_PREVOTE, r)) {
		/* A request makes an idle replica start its timer (line
		 * 21), which then fires: prevote nil. */
		struct wire_buf b;
		size_t s;
		wire_buf_init(&b, WIRE_MAX_FRAME);
		cr_assert_eq(wire_enc_request(&b, &s, 3, r + 1,
					      (const uint8_t *)"get z", 5),
			     0);
		deliver(d, sign(&b, s, BYZ_ROLE_CLIENT, 3));
		wire_buf_free(&b);
		fire(d, TM_TIMER_PROPOSE);
	}
	if (!vote_in(d, TM_PRECOMMIT, r)) {
		deliver(d, mk_vote(TM_PREVOTE, 0, r, nil));
		deliver(d, mk_vote(TM_PREVOTE, 1, r, nil));
		if (!vote_in(d, TM_PRECOMMIT, r))
			fire(d, TM_TIMER_PREVOTE);
	}
	deliver(d, mk_vote(TM_PRECOMMIT, 0, r, nil));
	deliver(d, mk_vote(TM_PRECOMMIT, 1, r, nil));
	fire(d, TM_TIMER_PRECOMMIT); /* StartRound(r + 1) */
	cr_assert_eq(d->last_view, tm_view(1, r + 1), "round %u did not end",
		     r);
}

/* Lock on v in round r (lines 36-41): its proposal (vr -1), our prevote,
 * PREVOTEs for it from replicas 0 and 1: we precommit v. */
static void lock_in(struct drv *d, uint32_t r, const struct val *v)
{
	deliver(d, mk_proposal(r, TM_NO_ROUND, v));
	cr_assert(voted(d, TM_PREVOTE, r, v->id));
	deliver(d, mk_vote(TM_PREVOTE, 0, r, v->id));
	deliver(d, mk_vote(TM_PREVOTE, 1, r, v->id));
	cr_assert(voted(d, TM_PRECOMMIT, r, v->id), "no lock in round %u", r);
}

/* ---- the lock (lines 22-33) ------------------------------------------ */

/* Locked on v in round 0: in round 1 a proposal of another value (no
 * valid round) gets a nil PREVOTE (line 23, 26); in round 2 the same
 * value with 2f+1 PREVOTEs for it from round 1 >= lockedRound gets our
 * PREVOTE (line 29, 30). Returns whether round 1's prevote was nil. */
static bool lock_scenario(uint32_t mut, bool *unlocked)
{
	struct drv d = {0};
	struct val v = mk_value(0, "put k v"), w = mk_value(1, "put k w");
	bool held;

	drv_open(&d, mut, false);
	lock_in(&d, 0, &v);
	end_round(&d, 0);
	deliver(&d, mk_proposal(1, TM_NO_ROUND, &w));
	held = voted(&d, TM_PREVOTE, 1, nil);
	end_round(&d, 1);
	deliver(&d, mk_proposal(2, 1, &w)); /* proof: round 1 >= lock 0 */
	*unlocked = voted(&d, TM_PREVOTE, 2, w.id);
	drv_close(&d);
	return held;
}

Test(tendermint, locked_replica_prevotes_nil_for_another_value)
{
	bool unlocked;

	cr_assert(lock_scenario(0, &unlocked),
		  "locked on v, it prevoted another value");
	cr_assert(unlocked, "2f+1 prevotes at a round >= the lock: it must "
			    "prevote the value");
	/* The test can fail: with the lock ignored it prevotes w. */
	cr_assert_not(lock_scenario(
	    byz_mutant_find(ops(), "prevote-ignores-lock"), &unlocked));
}

/* Locked on v in round 1: a proposal of w with a proof from round 0 <
 * lockedRound gets nil (line 29: lockedRound <= vr fails). */
static bool old_proof_scenario(uint32_t mut)
{
	struct drv d = {0};
	struct val v = mk_value(0, "put k v"), w = mk_value(1, "put k w");
	bool held;

	drv_open(&d, mut, false);
	end_round(&d, 0);
	lock_in(&d, 1, &v);
	end_round(&d, 1);
	deliver(&d, mk_proposal(2, 0, &w));
	held = voted(&d, TM_PREVOTE, 2, nil);
	drv_close(&d);
	return held;
}

Test(tendermint, proof_from_below_the_lock_does_not_unlock)
{
	cr_assert(old_proof_scenario(0));
	cr_assert_not(
	    old_proof_scenario(byz_mutant_find(ops(), "prevote-ignores-lock")));
}

/* ---- the decision (line 49) ------------------------------------------ */

static size_t commits_after(uint32_t mut, int precommits)
{
	struct drv d = {0};
	struct val v = mk_value(2, "put a 1");
	size_t c;

	drv_open(&d, mut, false);
	deliver(&d, mk_proposal(0, TM_NO_ROUND, &v));
	for (int i = 0; i < precommits; i++)
		deliver(&d, mk_vote(TM_PRECOMMIT, (uint32_t)i, 0, v.id));
	c = d.commits;
	drv_close(&d);
	return c;
}

Test(tendermint, decides_on_2f_plus_1_precommits_not_fewer)
{
	cr_assert_eq(commits_after(0, 2), 0, "decided on f+1 = 2 precommits");
	cr_assert_eq(commits_after(0, 3), 1, "no decision on 2f+1 = 3");
	cr_assert_eq(commits_after(
			 byz_mutant_find(ops(), "decide-on-f+1-precommits"), 2),
		     1);
}

/* 2f+1 PRECOMMITs for a value whose PROPOSAL came from a replica that is
 * not proposer(h, r) decide nothing (line 49: from proposer(h_p, r)). */
Test(tendermint, decision_needs_the_proposers_proposal)
{
	struct drv d = {0};
	struct val v = mk_value(2, "put a 1");
	struct wire_buf b;
	size_t s;

	drv_open(&d, 0, false);
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(tm_enc_proposal(&b, &s, 1, 0, TM_NO_ROUND, NULL, NULL, 0,
				     v.bytes.p, v.bytes.len),
		     0);
	deliver(&d, sign(&b, s, BYZ_ROLE_REPLICA, 1)); /* round 0 is r0's */
	wire_buf_free(&b);
	for (uint32_t i = 0; i < 3; i++)
		deliver(&d, mk_vote(TM_PRECOMMIT, i, 0, v.id));
	cr_assert_eq(d.commits, 0);
	drv_close(&d);
}

/* ---- the f+1 round skip (line 55) ------------------------------------ */

Test(tendermint, f_plus_1_messages_of_a_higher_round_start_it)
{
	struct drv d = {0};

	drv_open(&d, 0, false);
	cr_assert_eq(d.last_view, tm_view(1, 0));
	deliver(&d, mk_vote(TM_PREVOTE, 0, 5, nil));
	cr_assert_eq(d.last_view, tm_view(1, 0), "f messages moved it");
	deliver(&d, mk_vote(TM_PRECOMMIT, 0, 7, nil)); /* the same sender */
	cr_assert_eq(d.last_view, tm_view(1, 0), "one sender counted twice");
	deliver(&d, mk_vote(TM_PREVOTE, 1, 5, nil));
	/* r0's highest is 7, r1's 5: the (f+1)-th highest is 5. */
	cr_assert_eq(d.last_view, tm_view(1, 5), "f+1 did not move it");
	drv_close(&d);
}

/* ---- persistence: never two different votes in one round -------------- */

/* Prevote v in round 0 (PERSIST before the broadcast), crash, restart
 * from the log, then meet the proposer's other value for round 0 (an
 * equivocation) and 2f+1 PREVOTEs for it: no prevote for w; the prevote
 * it sends again is v's. (It may precommit w: line 36 asks only for the
 * proposal and 2f+1 PREVOTEs for it, f+1 of them honest.) Returns the
 * number of different prevotes it sent in round 0. */
static size_t restart_scenario(uint32_t mut, bool *persisted_first)
{
	struct drv d = {0};
	struct val v = mk_value(0, "put k v"), w = mk_value(1, "put k w");
	const struct sent *s;
	size_t k;

	drv_open(&d, mut, false);
	deliver(&d, mk_proposal(0, TM_NO_ROUND, &v));
	s = vote_in(&d, TM_PREVOTE, 0);
	cr_assert_not_null(s);
	*persisted_first = s->persists_before > 0;
	drv_crash(&d);
	drv_open(&d, mut, true);
	deliver(&d, mk_proposal(0, TM_NO_ROUND, &w));
	deliver(&d, mk_vote(TM_PREVOTE, 0, 0, w.id));
	deliver(&d, mk_vote(TM_PREVOTE, 1, 0, w.id));
	deliver(&d, mk_vote(TM_PREVOTE, 2, 0, w.id));
	k = distinct_votes(&d, TM_PREVOTE, 0);
	drv_close(&d);
	return k;
}

Test(tendermint, restart_from_log_never_votes_twice_in_a_round)
{
	bool first;

	cr_assert_eq(restart_scenario(0, &first), 1,
		     "two different prevotes in round 0");
	cr_assert(first, "the prevote went out before its PERSIST");
	cr_assert_eq(restart_scenario(
			 byz_mutant_find(ops(), "vote-not-persisted"), &first),
		     2);
}

/* The lock survives a restart: locked on v in round 0, crashed and back,
 * a proposal of w in round 1 still gets nil. */
Test(tendermint, restart_keeps_the_lock)
{
	struct drv d = {0};
	struct val v = mk_value(0, "put k v"), w = mk_value(1, "put k w");

	drv_open(&d, 0, false);
	lock_in(&d, 0, &v);
	drv_crash(&d);
	drv_open(&d, 0, true);
	cr_assert_eq(d.last_view, tm_view(1, 0));
	end_round(&d, 0);
	deliver(&d, mk_proposal(1, TM_NO_ROUND, &w));
	cr_assert(voted(&d, TM_PREVOTE, 1, nil));
	drv_close(&d);
}

/* ---- the early proposal (tm_keep_early) ------------------------------ */

/* A value of height 2 with client c's request op (timestamp 1), on the
 * state client c1's op1 left at height 1. */
static struct val mk_value_2(uint32_t c1, const char *op1, uint32_t c,
			     const char *op)
{
	struct app_limits lim = {.max_keys = 64, .max_clients = 4};
	uint8_t st[BYZ_DIGEST_BYTES];
	const uint8_t *res;
	size_t resl;
	struct app *a;

	cr_assert_eq(app_new(&lim, &a), 0);
	cr_assert_geq(app_execute(a, c1, 1, (const uint8_t *)op1, strlen(op1),
				  &res, &resl),
		      0);
	app_state_digest(a, st);
	app_destroy(&a);
	return mk_value_on(2, st, c, op);
}

/* A PROPOSAL of round 0 of height 2 by sender (proposer(2, 0) = 1). */
static struct fr mk_proposal_2(uint32_t sender, const struct val *v)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(tm_enc_proposal(&b, &s, sender, 0, TM_NO_ROUND, NULL, NULL,
				     0, v->bytes.p, v->bytes.len),
		     0);
	f = sign(&b, s, BYZ_ROLE_REPLICA, sender);
	wire_buf_free(&b);
	return f;
}

/* Decide height 1 on v: its proposal, PREVOTEs and PRECOMMITs of 0, 1. */
static void decide_1(struct drv *d, const struct val *v)
{
	lock_in(d, 0, v);
	deliver(d, mk_vote(TM_PRECOMMIT, 0, 0, v->id));
	deliver(d, mk_vote(TM_PRECOMMIT, 1, 0, v->id));
	cr_assert_eq(d->commits, 1, "height 1 not decided");
	cr_assert_eq(d->last_view, tm_view(2, 0));
}

/* Height 2's proposal comes while we are still at height 1 (the others
 * decided a moment before us): it is kept and prevoted for on entering
 * height 2, as if it came then; without that, round 0 of height 2 was
 * lost to timeoutPropose (the progress checker's find, ci.yaml run
 * attacks-tendermint-n4-b0-a4-s1). A proposal for height 2 from a
 * replica that is not its proposer, or a second one from the proposer
 * (equivocation), is not kept. */
Test(tendermint, an_early_proposal_is_handled_at_its_height)
{
	struct drv d = {0};
	struct val v = mk_value(0, "put k v");
	struct val w = mk_value_2(0, "put k v", 1, "put k w");
	struct val x = mk_value_2(0, "put k v", 2, "put k x");

	drv_open(&d, 0, false);
	deliver(&d, mk_proposal_2(2, &x)); /* not proposer(2, 0) */
	deliver(&d, mk_proposal_2(1, &w));
	deliver(&d, mk_proposal_2(1, &x)); /* its second: not kept */
	cr_assert_eq(d.nsent, 0, "voted at a height it has not reached");
	decide_1(&d, &v);
	cr_assert(voted(&d, TM_PREVOTE, 0, w.id),
		  "height 2's early proposal was not prevoted");
	cr_assert_eq(distinct_votes(&d, TM_PREVOTE, 0), 2); /* v, then w */
	drv_close(&d);
}

/* ---- simulator runs: message counts per decision --------------------- */

/*
 * Fault-free, batch 1: one height per request, and each height is one
 * round: PROPOSAL to n-1, PREVOTE and PRECOMMIT from each of n replicas
 * to n-1 (the paper's O(n^2)), nothing else between replicas.
 */
Test(tendermint, fault_free_counts_are_the_papers, .timeout = 300)
{
	static const uint32_t ns[] = {4, 7, 10};

	for (size_t i = 0; i < 3; i++) {
		struct scenario sc;
		struct scenario_result r;
		uint64_t n, d;

		scenario_defaults(&sc);
		sc.ops = ops();
		sc.n = ns[i];
		sc.f = (sc.n - 1) / 3;
		sc.clients = 4;
		sc.requests = 10;
		n = sc.n;
		d = (uint64_t)sc.clients * sc.requests;
		cr_assert_eq(scenario_run(&sc, NULL, &r), 0);
		cr_assert_eq(r.verdict, VERDICT_PASS, "n=%u: %s", sc.n, r.why);
		cr_assert_eq(r.min_height, d);
		cr_assert_eq(r.counts.sent[TM_PROTO][TM_PROPOSAL], d * (n - 1));
		cr_assert_eq(r.counts.sent[TM_PROTO][TM_PREVOTE],
			     d * n * (n - 1));
		cr_assert_eq(r.counts.sent[TM_PROTO][TM_PRECOMMIT],
			     d * n * (n - 1));
		for (uint8_t t = TM_DECISION; t <= TM_STATE; t++)
			cr_assert_eq(r.counts.sent[TM_PROTO][t], 0, "n=%u",
				     sc.n);
	}
}
