/*
 * tm_core.c - Tendermint's step and the upon rules of Algorithm 1
 * (Buchman, Kwon, Milosevic 2018; "line N" is a line of Algorithm 1).
 *
 * Deviations from the paper (docs/tendermint.md says why):
 *  - gossip is not assumed: a replica resends its own messages of the
 *    current round when the round makes no progress (TM_TIMER_GOSSIP), and
 *    one that is behind gets decisions (tm_sync.c);
 *  - an idle replica (no pending request, nothing heard for its height)
 *    does not start its timers or propose, so an idle cluster is quiet;
 *  - timeouts grow with the round as in the paper, timeout(r) = base +
 *    r x base/2, but stop growing at round TM_ROUND_CAP;
 *  - the f+1 rule (line 55) counts each sender's highest round: the
 *    (f+1)-th highest, if above round_p, is the round started.
 */
#include "tm_core.h"

#include "err.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int tm_hold(struct tm *t, struct byz_outbox *ob, size_t off, bool bcast,
	    uint32_t to)
{
	if (ob->bytes.err)
		return ob->bytes.err;
	if (t->nsends == t->sends_cap) {
		uint32_t cap = t->sends_cap ? 2 * t->sends_cap : 16;
		struct tm_send *s = realloc(t->sends, cap * sizeof *s);
		if (!s)
			return BYZ_ENOMEM;
		t->sends = s;
		t->sends_cap = cap;
	}
	t->sends[t->nsends++] = (struct tm_send){
	    .bcast = bcast, .to = to, .off = off, .len = ob->bytes.len - off};
	return 0;
}

uint64_t tm_timeout(const struct tm *t, uint32_t round)
{
	uint32_t r = round < TM_ROUND_CAP ? round : TM_ROUND_CAP;

	return t->cfg.timeout_us + (uint64_t)r * (t->cfg.timeout_us / 2);
}

static int tm_arm(struct tm *t, struct byz_outbox *ob, uint32_t timer,
		  uint64_t delay)
{
	t->tmr_h[timer] = t->h;
	t->tmr_r[timer] = t->round;
	return byz_out_timer(ob, timer, delay);
}

/* The gossip timer: twice the round's timeout from now. */
static int tm_arm_gossip(struct tm *t, struct byz_outbox *ob)
{
	return tm_arm(t, ob, TM_TIMER_GOSSIP, 2 * tm_timeout(t, t->round));
}

/* ---- the message log --------------------------------------------------- */

static void tm_slot_clear(struct tm *t, struct tm_round *s)
{
	uint32_t n = t->cfg.n;

	s->used = false;
	s->have_prop = false;
	s->pol_ok = false;
	byz_bytes_free(&s->prop);
	memset(s->pv_have, 0, n * sizeof *s->pv_have);
	memset(s->pc_have, 0, n * sizeof *s->pc_have);
	s->prevote_timer = s->precommit_timer = s->line36 = false;
}

static int tm_slots_init(struct tm *t)
{
	uint32_t n = t->cfg.n;
	size_t per = n * (2 * sizeof(bool) + 2 * BYZ_DIGEST_BYTES +
			  2 * TM_VOTE_FRAME + 2 * sizeof(uint16_t));
	uint8_t *p;

	t->slot_mem = calloc(TM_SLOTS, per);
	if (!t->slot_mem)
		return BYZ_ENOMEM;
	p = t->slot_mem;
	for (int i = 0; i < TM_SLOTS; i++) {
		struct tm_round *s = &t->slot[i];
		s->pv_id = (void *)p;
		p += n * BYZ_DIGEST_BYTES;
		s->pc_id = (void *)p;
		p += n * BYZ_DIGEST_BYTES;
		s->pc_frame = (void *)p;
		p += n * TM_VOTE_FRAME;
		s->pv_frame = (void *)p;
		p += n * TM_VOTE_FRAME;
		s->pc_len = (void *)p;
		p += n * sizeof(uint16_t);
		s->pv_len = (void *)p;
		p += n * sizeof(uint16_t);
		s->pv_have = (void *)p;
		p += n * sizeof(bool);
		s->pc_have = (void *)p;
		p += n * sizeof(bool);
	}
	return 0;
}

/* The slot of round r of this height if r is within the rounds kept
 * (round_p - TM_BEHIND .. round_p + TM_SLOTS - TM_BEHIND - 1), else NULL.
 * A slot still holding an older round is emptied. */
static struct tm_round *tm_slot(struct tm *t, uint32_t r, bool create)
{
	struct tm_round *s;

	if ((uint64_t)r + TM_BEHIND < t->round ||
	    r >= (uint64_t)t->round + TM_SLOTS - TM_BEHIND)
		return NULL;
	s = &t->slot[r % TM_SLOTS];
	if (s->used && s->round == r)
		return s;
	if (!create)
		return NULL;
	tm_slot_clear(t, s);
	s->used = true;
	s->round = r;
	return s;
}

static uint32_t tm_count(const struct tm *t, const bool *have,
			 uint8_t (*ids)[BYZ_DIGEST_BYTES], const uint8_t *id)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < t->cfg.n; i++)
		k += have[i] && (!id || !memcmp(ids[i], id, BYZ_DIGEST_BYTES));
	return k;
}

static void tm_log_reset(struct tm *t)
{
	for (int i = 0; i < TM_SLOTS; i++)
		tm_slot_clear(t, &t->slot[i]);
	memset(t->hi_round, 0, sizeof t->hi_round);
	memset(t->heard_from, 0, sizeof t->heard_from);
	t->heard = 0;
}

/* ---- sending ---------------------------------------------------------- */

static int tm_send_vote(struct tm *t, struct byz_outbox *ob, uint8_t type,
			const uint8_t *id)
{
	size_t off;
	int rc;

	if (type == TM_PREVOTE) {
		t->my_pv_round = t->round;
		memcpy(t->my_pv_id, id, BYZ_DIGEST_BYTES);
	} else {
		t->my_pc_round = t->round;
		memcpy(t->my_pc_id, id, BYZ_DIGEST_BYTES);
	}
	/* Persisted before it is sent (the driver writes the PERSIST of
	 * this step before any held send). */
	if (!tm_mut(t, TM_MUT_VOTE_UNPERSISTED))
		t->dirty = true;
	else
		tm_rule(t, TM_MUT_VOTE_UNPERSISTED);
	if ((rc = tm_enc_vote(&ob->bytes, &off, type, t->cfg.id, t->h, t->round,
			      id)))
		return rc;
	return tm_hold(t, ob, off, true, 0);
}

static int tm_prevote(struct tm *t, struct byz_outbox *ob, const uint8_t *id)
{
	t->step = TM_STEP_PREVOTE;
	return tm_send_vote(t, ob, TM_PREVOTE, id);
}

static int tm_precommit(struct tm *t, struct byz_outbox *ob, const uint8_t *id)
{
	t->step = TM_STEP_PRECOMMIT;
	return tm_send_vote(t, ob, TM_PRECOMMIT, id);
}

static const uint8_t tm_nil[BYZ_DIGEST_BYTES];

/* Lines 14-19: the proposer's proposal, validValue if it has one, with
 * the 2f+1 PREVOTEs of its valid round we hold (the proof of line 28,
 * which a replica that missed them needs: they are not resent). */
static int tm_propose(struct tm *t, struct byz_outbox *ob)
{
	const uint8_t *pol[BYZ_MAX_N], *value;
	size_t lens[BYZ_MAX_N], npol = 0, off, vlen;
	int rc;

	t->propose_armed = true;
	if (t->valid_round != TM_NO_ROUND) {
		/* Line 16: proposal <- validValue, with its proof. */
		struct wire_rd rd = {t->valid_pol.p, t->valid_pol.len};
		uint16_t k = 0;
		if (t->valid_pol.len && !wire_rd_u16(&rd, &k))
			for (uint16_t i = 0; i < k && npol < BYZ_MAX_N; i++) {
				uint32_t l;
				if (wire_rd_u32(&rd, &l) ||
				    wire_rd_bytes(&rd, l, &pol[npol]))
					break;
				lens[npol++] = l;
			}
		if (npol < t->quorum)
			npol = 0; /* not whole: no proof */
		value = t->valid.p;
		vlen = t->valid.len;
		t->my_prop_vr = t->valid_round;
	} else {
		/* Line 18: proposal <- getValue(). */
		wire_buf_reset(&t->scratch);
		if ((rc = tm_get_value(t, &t->scratch)))
			return rc;
		value = t->scratch.data;
		vlen = t->scratch.len;
		t->my_prop_vr = TM_NO_ROUND;
	}
	/* Line 19. */
	if ((rc = tm_enc_proposal(&ob->bytes, &off, t->cfg.id, t->round,
				  t->my_prop_vr, pol, lens, npol, value,
				  vlen)) ||
	    (rc = byz_bytes_set(&t->my_prop, ob->bytes.data + off,
				ob->bytes.len - off)))
		return rc;
	t->my_prop_round = t->round;
	t->dirty = true; /* an honest proposer never proposes twice */
	return tm_hold(t, ob, off, true, 0);
}

/* Whether this replica has something to decide at its height: a pending
 * request, a proposal or votes of f+1 replicas, or a round past 0. */
static bool tm_active(const struct tm *t)
{
	return t->pool.count > 0 || t->heard > t->cfg.f || t->round > 0 ||
	       t->step != TM_STEP_PROPOSE;
}

/* Line 14 or 21 of StartRound, once the replica has work (an idle
 * replica neither proposes nor waits). */
static int tm_kick(struct tm *t, struct byz_outbox *ob)
{
	int rc;

	if (t->step != TM_STEP_PROPOSE || t->propose_armed || !tm_active(t))
		return 0;
	if ((rc = tm_arm_gossip(t, ob)))
		return rc;
	if (tm_proposer(t, t->h, t->round) == t->cfg.id &&
	    (rc = tm_propose(t, ob)))
		return rc;
	t->propose_armed = true;
	/* Line 21: schedule OnTimeoutPropose(h_p, round_p). The proposer
	 * too (a deviation): a restarted one may lack the PREVOTEs of its
	 * own proposal's valid round, and must not wait for ever. */
	return tm_arm(t, ob, TM_TIMER_PROPOSE, tm_timeout(t, t->round));
}

/* Line 11: StartRound(round). late: not by a decision (struct byz_view). */
int tm_start_round(struct tm *t, struct byz_outbox *ob, uint32_t round,
		   bool late)
{
	int rc;

	t->round = round;	   /* line 12 */
	t->step = TM_STEP_PROPOSE; /* line 13 */
	t->propose_armed = false;
	if ((rc = byz_out_view(ob, tm_view(t->h, round),
			       tm_proposer(t, t->h, round), false, late)))
		return rc;
	/* Rounds now below the kept window are forgotten by tm_slot. */
	return tm_kick(t, ob);
}

static int tm_on_consensus(struct tm *t, struct byz_outbox *ob,
			   const struct wire_msg *m);

/* A proposal for round 0 of the height after ours, from its proposer,
 * reaches a replica that has not decided ours yet when the others
 * decided a moment before it (their PRECOMMITs are still on the way):
 * Algorithm 1's gossip would deliver it again once we are there, our
 * network does not, and without it round 0 of that height is lost to
 * timeoutPropose although its proposer is correct (the progress checker
 * saw this; docs/tendermint.md). Keep the first one, the frame ingress
 * verified, until we enter that height. */
static int tm_keep_early(struct tm *t, const struct wire_msg *m,
			 uint64_t height, uint32_t round)
{
	if (m->frame.type != TM_PROPOSAL || height != t->h + 1 || round ||
	    m->frame.sender != tm_proposer(t, height, 0) ||
	    (t->early_h == height && t->early.len))
		return 0;
	if (byz_bytes_set(&t->early, m->frame.bytes, m->frame.len))
		return BYZ_ENOMEM;
	t->early_h = height;
	return 0;
}

/* On entering a height: the proposal kept for it, as if it came now. */
static int tm_take_early(struct tm *t, struct byz_outbox *ob)
{
	struct wire_msg m;
	int rc = 0;

	if (t->early_h == t->h && t->early.len &&
	    !wire_decode(t->early.p, t->early.len, &m))
		rc = tm_on_consensus(t, ob, &m);
	byz_bytes_free(&t->early);
	t->early_h = 0;
	return rc;
}

/* Lines 52-54: the next height, its variables reset, round 0. */
int tm_next_height(struct tm *t, struct byz_outbox *ob)
{
	int rc;

	t->h++;
	t->locked_round = t->valid_round = TM_NO_ROUND;
	byz_bytes_free(&t->locked);
	byz_bytes_free(&t->valid);
	byz_bytes_free(&t->valid_pol);
	t->my_prop_round = t->my_pv_round = t->my_pc_round = TM_NO_ROUND;
	byz_bytes_free(&t->my_prop);
	t->beacons = 0;
	t->round = 0;
	tm_log_reset(t);
	t->dirty = true;
	if ((rc = tm_start_round(t, ob, 0, false)))
		return rc;
	return tm_take_early(t, ob);
}

/* ---- the upon rules ---------------------------------------------------- */

/* Line 49: a proposal of some round r with 2f+1 PRECOMMITs for its value
 * decides it. Returns 1 if it decided. */
static int tm_rule_decide(struct tm *t, struct byz_outbox *ob)
{
	for (int i = 0; i < TM_SLOTS; i++) {
		struct tm_round *s = &t->slot[i];
		uint32_t need = t->quorum, k;
		struct wire_msg m;
		int rc;

		if (!s->used || !s->have_prop)
			continue;
		k = tm_count(t, s->pc_have, s->pc_id, s->prop_id);
		if (tm_mut(t, TM_MUT_COMMIT_F1))
			need = t->cfg.f + 1;
		if (k >= t->cfg.f + 1 && k < t->quorum)
			tm_rule(t, TM_MUT_COMMIT_F1);
		if (k < need)
			continue;
		if (wire_decode(s->prop.p, s->prop.len, &m))
			continue;
		if (tm_valid(t, &tm_of(&m)->prop)) /* line 50 */
			continue;
		if ((rc = tm_decide(t, ob, s->prop.p, s->prop.len, s)))
			return rc;
		return 1;
	}
	return 0;
}

/* Line 55: f+1 replicas in a higher round: start the (f+1)-th highest. */
static int tm_rule_skip(struct tm *t, struct byz_outbox *ob)
{
	uint32_t top[BYZ_MAX_N], k = 0, f1 = t->cfg.f + 1;

	for (uint32_t i = 0; i < t->cfg.n; i++)
		if (t->hi_round[i] > (uint64_t)t->round + 1)
			top[k++] = t->hi_round[i] - 1;
	if (k < f1)
		return 0;
	/* The (f+1)-th highest: partial selection, k <= n. */
	for (uint32_t i = 0; i < f1; i++)
		for (uint32_t j = i + 1; j < k; j++)
			if (top[j] > top[i]) {
				uint32_t x = top[i];
				top[i] = top[j];
				top[j] = x;
			}
	{
		int rc = tm_start_round(t, ob, top[f1 - 1], true);
		return rc ? rc : 1;
	}
}

/* Lines 22-33: the proposal of round_p while step = propose. */
static int tm_rule_prevote(struct tm *t, struct byz_outbox *ob)
{
	struct tm_round *s = tm_slot(t, t->round, false);
	struct wire_msg m;
	bool ok;

	if (t->step != TM_STEP_PROPOSE || !s || !s->have_prop)
		return 0;
	if (wire_decode(s->prop.p, s->prop.len, &m))
		return 0;
	if (s->prop_vr == TM_NO_ROUND) {
		/* Line 23: valid(v) and (lockedRound = -1 or lockedValue =
		 * v). */
		bool lock_ok =
		    t->locked_round == TM_NO_ROUND ||
		    !memcmp(t->locked_id, s->prop_id, BYZ_DIGEST_BYTES);
		if (!lock_ok)
			tm_rule(t, TM_MUT_IGNORE_LOCK);
		if (tm_mut(t, TM_MUT_IGNORE_LOCK))
			lock_ok = true;
		ok = !tm_valid(t, &tm_of(&m)->prop) && lock_ok;
	} else {
		/* Line 28: 2f+1 PREVOTEs for id(v) in round vr < round_p. */
		struct tm_round *v = tm_slot(t, s->prop_vr, false);
		bool lock_ok;
		if (!s->pol_ok && (!v || tm_count(t, v->pv_have, v->pv_id,
						  s->prop_id) < t->quorum))
			return 0; /* wait for them */
		/* Line 29: lockedRound <= vr or lockedValue = v. */
		lock_ok = t->locked_round == TM_NO_ROUND ||
			  t->locked_round <= s->prop_vr ||
			  !memcmp(t->locked_id, s->prop_id, BYZ_DIGEST_BYTES);
		if (!lock_ok)
			tm_rule(t, TM_MUT_IGNORE_LOCK);
		if (tm_mut(t, TM_MUT_IGNORE_LOCK))
			lock_ok = true;
		ok = !tm_valid(t, &tm_of(&m)->prop) && lock_ok;
	}
	/* Lines 24/26, 30/32, and 27/33. */
	{
		int rc = tm_prevote(t, ob, ok ? s->prop_id : tm_nil);
		return rc ? rc : 1;
	}
}

/* The proof of validValue: the PREVOTEs for it in round s. */
static int tm_keep_pol(struct tm *t, const struct tm_round *s)
{
	struct wire_buf *b = &t->scratch;
	uint16_t k = 0;

	wire_buf_reset(b);
	wire_put_u16(b, 0);
	for (uint32_t i = 0; i < t->cfg.n; i++)
		if (s->pv_have[i] &&
		    !memcmp(s->pv_id[i], s->prop_id, BYZ_DIGEST_BYTES)) {
			wire_put_frame(b, s->pv_frame[i], s->pv_len[i]);
			k++;
		}
	if (b->err)
		return b->err;
	b->data[0] = (uint8_t)k;
	b->data[1] = (uint8_t)(k >> 8);
	return byz_bytes_set(&t->valid_pol, b->data, b->len);
}

/* Lines 34-48 for round_p. */
static int tm_rule_votes(struct tm *t, struct byz_outbox *ob)
{
	struct tm_round *s = tm_slot(t, t->round, false);
	uint32_t need = t->quorum;
	int rc;

	if (!s)
		return 0;
	/* Line 34: 2f+1 PREVOTEs of any kind, step = prevote, first time. */
	if (t->step == TM_STEP_PREVOTE && !s->prevote_timer &&
	    tm_count(t, s->pv_have, s->pv_id, NULL) >= t->quorum) {
		s->prevote_timer = true;
		/* Line 35. */
		if ((rc = tm_arm(t, ob, TM_TIMER_PREVOTE,
				 tm_timeout(t, t->round))))
			return rc;
		return 1;
	}
	/* Line 36: the proposal and 2f+1 PREVOTEs for it, valid, step >=
	 * prevote, for the first time. */
	if (tm_mut(t, TM_MUT_QUORUM_2F))
		need = 2 * t->cfg.f;
	if (t->step >= TM_STEP_PREVOTE && !s->line36 && s->have_prop) {
		uint32_t k = tm_count(t, s->pv_have, s->pv_id, s->prop_id);
		struct wire_msg m;
		if (k == 2 * t->cfg.f)
			tm_rule(t, TM_MUT_QUORUM_2F);
		if (k >= need && !wire_decode(s->prop.p, s->prop.len, &m) &&
		    !tm_valid(t, &tm_of(&m)->prop)) {
			s->line36 = true;
			if (t->step == TM_STEP_PREVOTE) {
				/* Lines 38-41. */
				if ((rc = byz_bytes_set(
					 &t->locked, tm_of(&m)->prop.value,
					 tm_of(&m)->prop.value_len)))
					return rc;
				memcpy(t->locked_id, s->prop_id,
				       BYZ_DIGEST_BYTES);
				t->locked_round = t->round;
				if ((rc = tm_precommit(t, ob, s->prop_id)))
					return rc;
			}
			/* Lines 42-43. */
			if ((rc =
				 byz_bytes_set(&t->valid, tm_of(&m)->prop.value,
					       tm_of(&m)->prop.value_len)) ||
			    (rc = tm_keep_pol(t, s)))
				return rc;
			memcpy(t->valid_id, s->prop_id, BYZ_DIGEST_BYTES);
			t->valid_round = t->round;
			t->dirty = true;
			return 1;
		}
	}
	/* Line 44: 2f+1 PREVOTEs for nil while step = prevote. */
	if (t->step == TM_STEP_PREVOTE &&
	    tm_count(t, s->pv_have, s->pv_id, tm_nil) >= t->quorum) {
		if ((rc = tm_precommit(t, ob, tm_nil))) /* lines 45-46 */
			return rc;
		return 1;
	}
	/* Line 47: 2f+1 PRECOMMITs of any kind, for the first time. */
	if (!s->precommit_timer &&
	    tm_count(t, s->pc_have, s->pc_id, NULL) >= t->quorum) {
		s->precommit_timer = true;
		/* Line 48. */
		if ((rc = tm_arm(t, ob, TM_TIMER_PRECOMMIT,
				 tm_timeout(t, t->round))))
			return rc;
		return 1;
	}
	return 0;
}

int tm_progress(struct tm *t, struct byz_outbox *ob)
{
	/* Each rule that fires changes the state monotonically (a step, a
	 * round, a height, a first-time flag); the bound is a guard. */
	for (int guard = 0; guard < 64 * TM_SLOTS; guard++) {
		int rc;
		if ((rc = tm_rule_decide(t, ob)) ||
		    (rc = tm_rule_skip(t, ob)) ||
		    (rc = tm_rule_prevote(t, ob)) ||
		    (rc = tm_rule_votes(t, ob))) {
			if (rc < 0)
				return rc;
			if ((rc = tm_arm_gossip(t, ob)))
				return rc;
			continue;
		}
		return tm_kick(t, ob);
	}
	return 0;
}

/* ---- messages ---------------------------------------------------------- */

/* Whether a proposal's proof holds 2f+1 PREVOTEs from distinct replicas
 * for (h, vr, id(v)): the condition of line 28, carried with it. */
static bool tm_pol_ok(const struct tm *t, const struct tm_proposal *p,
		      const uint8_t *id)
{
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg v;
	size_t pos = 0;
	uint32_t k = 0;

	if (p->valid_round == TM_NO_ROUND)
		return false;
	while (wire_frames_next(&p->pol, &pos, &v) == 1) {
		const struct tm_vote *x = &tm_of(&v)->vote;
		uint32_t s = v.frame.sender;
		if (s >= t->cfg.n || seen[s] || x->height != p->height ||
		    x->round != p->valid_round ||
		    memcmp(x->id, id, BYZ_DIGEST_BYTES))
			continue;
		seen[s] = true;
		k++;
	}
	return k >= t->quorum;
}

/* Replica `to` is in an earlier round r of our height (the highest round
 * we have seen from it): it has not seen the 2f+1 PRECOMMITs of r that
 * moved us on (lost before GST, and not resent: we resend only our
 * current round's). Send it our own PREVOTE and PRECOMMIT of r again, at
 * most once per half timeout: the gossip of the paper, which Algorithm 1
 * assumes, for the round it is stuck in. A message of an earlier round
 * from a replica we know to be in ours (our own help coming back, a
 * Byzantine replica's stale messages) is not a reason: the rate limit
 * and the highest round keep two replicas from helping each other for
 * ever. */
static int tm_help(struct tm *t, struct byz_outbox *ob, uint32_t to)
{
	uint32_t r, me = t->cfg.id;
	const struct tm_round *s;
	size_t off;
	int rc;

	if (to == me || !t->hi_round[to] || t->hi_round[to] - 1 >= t->round ||
	    (t->helped_at[to] &&
	     t->now < t->helped_at[to] + t->cfg.timeout_us / 2))
		return 0;
	r = t->hi_round[to] - 1;
	if (!(s = tm_slot(t, r, false)))
		return 0;
	t->helped_at[to] = t->now + 1;
	if (s->pv_have[me] && ((rc = tm_enc_vote(&ob->bytes, &off, TM_PREVOTE,
						 me, t->h, r, s->pv_id[me])) ||
			       (rc = tm_hold(t, ob, off, false, to))))
		return rc;
	if (s->pc_have[me] && ((rc = tm_enc_vote(&ob->bytes, &off, TM_PRECOMMIT,
						 me, t->h, r, s->pc_id[me])) ||
			       (rc = tm_hold(t, ob, off, false, to))))
		return rc;
	return 0;
}

/* A PROPOSAL, PREVOTE or PRECOMMIT of our height: into the log. */
static int tm_on_consensus(struct tm *t, struct byz_outbox *ob,
			   const struct wire_msg *m)
{
	const struct tm_msg *x = tm_of(m);
	uint32_t from = m->frame.sender;
	uint64_t height;
	uint32_t round;
	struct tm_round *s;

	if (m->frame.type == TM_PROPOSAL) {
		height = x->prop.height;
		round = x->prop.round;
	} else {
		height = x->vote.height;
		round = x->vote.round;
	}
	if (from >= t->cfg.n)
		return byz_out_drop(ob, m, "sender is not a replica");
	if (height != t->h) {
		int rc = tm_keep_early(t, m, height, round);
		return rc ? rc : tm_other_height(t, ob, from, height, false);
	}
	if (!t->heard_from[from]) {
		t->heard_from[from] = true;
		t->heard++;
	}
	if ((uint64_t)round + 1 > t->hi_round[from])
		t->hi_round[from] = round + 1;
	if (round < t->round) {
		int rc = tm_help(t, ob, from);
		if (rc)
			return rc;
	}
	if (!(s = tm_slot(t, round, true)))
		return 0; /* outside the rounds kept (line 55 counted it) */
	switch (m->frame.type) {
	case TM_PROPOSAL:
		if (from != tm_proposer(t, height, round))
			return byz_out_drop(ob, m, "not from proposer(h, r)");
		if (s->have_prop)
			return 0; /* the first one counts */
		if (byz_bytes_set(&s->prop, m->frame.bytes, m->frame.len))
			return BYZ_ENOMEM;
		s->have_prop = true;
		s->prop_vr = x->prop.valid_round;
		tm_value_id(s->prop_id, x->prop.value, x->prop.value_len);
		s->pol_ok = tm_pol_ok(t, &x->prop, s->prop_id);
		break;
	case TM_PREVOTE:
		if (s->pv_have[from] || m->frame.len > TM_VOTE_FRAME)
			return 0;
		s->pv_have[from] = true;
		memcpy(s->pv_id[from], x->vote.id, BYZ_DIGEST_BYTES);
		memcpy(s->pv_frame[from], m->frame.bytes, m->frame.len);
		s->pv_len[from] = (uint16_t)m->frame.len;
		break;
	case TM_PRECOMMIT:
		if (s->pc_have[from] || m->frame.len > TM_VOTE_FRAME)
			return 0;
		s->pc_have[from] = true;
		memcpy(s->pc_id[from], x->vote.id, BYZ_DIGEST_BYTES);
		memcpy(s->pc_frame[from], m->frame.bytes, m->frame.len);
		s->pc_len[from] = (uint16_t)m->frame.len;
		break;
	}
	return 0;
}

/* Lines 57-67. */
static int tm_on_timer(struct tm *t, struct byz_outbox *ob, uint32_t timer)
{
	bool now = timer < TM_TIMERS && t->tmr_h[timer] == t->h &&
		   t->tmr_r[timer] == t->round;
	int rc;

	switch (timer) {
	case TM_TIMER_PROPOSE: /* lines 57-60 */
		if (now && t->step == TM_STEP_PROPOSE)
			return tm_prevote(t, ob, tm_nil);
		return 0;
	case TM_TIMER_PREVOTE: /* lines 61-64 */
		if (now && t->step == TM_STEP_PREVOTE)
			return tm_precommit(t, ob, tm_nil);
		return 0;
	case TM_TIMER_PRECOMMIT: /* lines 65-67 */
		if (!now)
			return 0;
		if ((rc = byz_out_view(ob, tm_view(t->h, t->round),
				       tm_proposer(t, t->h, t->round), true,
				       false)))
			return rc;
		return tm_start_round(t, ob, t->round + 1, true);
	case TM_TIMER_GOSSIP:
		break;
	default:
		return 0;
	}
	/* Gossip: no progress for two timeouts. Resend what we sent in this
	 * round (a message lost before GST is not lost for ever), or tell
	 * where we are. Idle: a few STATUS beacons after a decision, so a
	 * replica that missed it hears of it. */
	if (!tm_active(t) && t->beacons >= TM_BEACONS)
		return 0;
	if (!tm_active(t))
		t->beacons++;
	{
		bool sent = false;
		size_t off;
		if (t->my_prop_round == t->round && t->my_prop.p) {
			off = ob->bytes.len;
			wire_put_bytes(&ob->bytes, t->my_prop.p,
				       t->my_prop.len);
			if ((rc = tm_hold(t, ob, off, true, 0)))
				return rc;
			sent = true;
		}
		if (t->my_pv_round == t->round) {
			if ((rc = tm_enc_vote(&ob->bytes, &off, TM_PREVOTE,
					      t->cfg.id, t->h, t->round,
					      t->my_pv_id)) ||
			    (rc = tm_hold(t, ob, off, true, 0)))
				return rc;
			sent = true;
		}
		if (t->my_pc_round == t->round) {
			if ((rc = tm_enc_vote(&ob->bytes, &off, TM_PRECOMMIT,
					      t->cfg.id, t->h, t->round,
					      t->my_pc_id)) ||
			    (rc = tm_hold(t, ob, off, true, 0)))
				return rc;
			sent = true;
		}
		if (!sent && ((rc = tm_enc_status(&ob->bytes, &off, t->cfg.id,
						  t->h, t->round)) ||
			      (rc = tm_hold(t, ob, off, true, 0))))
			return rc;
	}
	return tm_arm_gossip(t, ob);
}

/* A restart from the log: resend what we sent in this round (the same
 * messages: the persisted state says we sent them), tell the others
 * where we are, and wait for the round again. */
static int tm_on_restart(struct tm *t, struct byz_outbox *ob)
{
	int rc;

	if ((rc = byz_out_view(ob, tm_view(t->h, t->round),
			       tm_proposer(t, t->h, t->round), false, true)))
		return rc;
	t->propose_armed = t->my_prop_round == t->round;
	t->tmr_h[TM_TIMER_GOSSIP] = t->h;
	t->tmr_r[TM_TIMER_GOSSIP] = t->round;
	if ((rc = tm_on_timer(t, ob, TM_TIMER_GOSSIP)))
		return rc;
	if (t->step == TM_STEP_PROPOSE && !t->propose_armed)
		return tm_kick(t, ob);
	if (t->step == TM_STEP_PROPOSE)
		return tm_arm(t, ob, TM_TIMER_PROPOSE, tm_timeout(t, t->round));
	return 0;
}

static int tm_dispatch(struct tm *t, const struct byz_event *ev,
		       struct byz_outbox *ob)
{
	const struct wire_msg *m;
	int rc;

	switch (ev->kind) {
	case BYZ_EV_START:
		if (ev->u.restarted || t->restarted)
			return tm_on_restart(t, ob);
		return tm_start_round(t, ob, 0, false); /* line 10 */
	case BYZ_EV_REQUEST:
		if ((rc = tm_on_request(t, ob, ev->u.msg)))
			return rc;
		return tm_progress(t, ob);
	case BYZ_EV_TIMER:
		if ((rc = tm_on_timer(t, ob, ev->u.timer)))
			return rc;
		return tm_progress(t, ob);
	case BYZ_EV_PERSISTED:
		return 0;
	case BYZ_EV_MESSAGE:
		break;
	default:
		return 0;
	}
	m = ev->u.msg;
	if (m->frame.proto != TM_PROTO)
		return byz_out_drop(ob, m, "not a tendermint message");
	switch (m->frame.type) {
	case TM_PROPOSAL:
	case TM_PREVOTE:
	case TM_PRECOMMIT:
		rc = tm_on_consensus(t, ob, m);
		break;
	case TM_DECISION:
		rc = tm_on_decision(t, ob, m);
		break;
	case TM_STATUS:
		rc = tm_on_status(t, ob, m);
		break;
	case TM_STATE:
		rc = tm_on_state(t, ob, m);
		break;
	default:
		rc = byz_out_drop(ob, m, "unknown type");
	}
	return rc ? rc : tm_progress(t, ob);
}

static int tm_step(void *core, const struct byz_event *ev,
		   struct byz_outbox *ob)
{
	struct tm *t = core;
	int rc;

	assert(!t->in_step);
	t->in_step = true;
	t->now = ev->now;
	t->rule_hits = 0;
	t->nsends = 0;
	rc = tm_dispatch(t, ev, ob);
	/* The order of core.h: the PERSIST of what this step changed, then
	 * what it backs (commits, replies, votes). */
	if (!rc && t->dirty) {
		rc = tm_persist(t, ob);
		t->dirty = false;
	}
	if (!rc)
		rc = tm_flush_commits(t, ob);
	for (uint32_t i = 0; i < t->nsends && !rc; i++) {
		struct tm_send *s = &t->sends[i];
		if (s->bcast) {
			rc = byz_out_broadcast_at(ob, s->off, s->len);
			if (!rc)
				rc = byz_out_send_at(ob, t->cfg.id, s->off,
						     s->len);
		} else
			rc = byz_out_send_at(ob, s->to, s->off, s->len);
	}
	t->nsends = 0;
	ob->rules |= t->rule_hits;
	t->restarted = false;
	t->in_step = false;
	return rc;
}

/* ---- create, destroy, the ops table ------------------------------------ */

static void tm_destroy(void **core)
{
	struct tm *t = *core;

	if (!t)
		return;
	app_destroy(&t->app);
	for (int i = 0; i < TM_SLOTS; i++)
		byz_bytes_free(&t->slot[i].prop);
	free(t->slot_mem);
	if (t->kept)
		for (uint32_t i = 0; i < t->nkept; i++)
			byz_bytes_free(&t->kept[i].frame);
	free(t->kept);
	byz_bytes_free(&t->prev_snap);
	byz_bytes_free(&t->early);
	byz_bytes_free(&t->locked);
	byz_bytes_free(&t->valid);
	byz_bytes_free(&t->valid_pol);
	byz_bytes_free(&t->my_prop);
	tm_pool_free(t);
	free(t->sends);
	wire_buf_free(&t->scratch);
	free(t);
	*core = NULL;
}

/* What tm_create accepts: any n from 1 (3f + 1); a window (decisions
 * kept to serve replicas that are behind) of 1..4096; batches up to
 * TM_MAX_BATCH; no checkpoints; a timeout. */
static const struct byz_limits tm_limits = {
    .n_min = 1,
    .n_max = BYZ_MAX_N,
    .window_min = 1,
    .window_max = 4096,
    .batch_min = 1,
    .batch_max = TM_MAX_BATCH,
    .timeout_needed = true,
};

static int tm_create(const struct byz_config *cfg, const uint8_t *persisted,
		     size_t len, void **core)
{
	struct tm *t;
	int rc;

	*core = NULL;
	if (byz_limits_check("tendermint", &tm_limits, cfg, NULL, 0))
		return BYZ_EINVAL;
	if (!(t = calloc(1, sizeof *t)))
		return BYZ_ENOMEM;
	t->cfg = *cfg;
	t->quorum = 2 * cfg->f + 1;
	t->h = 1;
	t->locked_round = t->valid_round = TM_NO_ROUND;
	t->my_prop_round = t->my_pv_round = t->my_pc_round = TM_NO_ROUND;
	t->nkept = cfg->window;
	wire_buf_init(&t->scratch, 64u << 20);
	if (!(rc = app_new(&cfg->app, &t->app)) && !(rc = tm_slots_init(t)) &&
	    !(rc = tm_pool_init(t)) &&
	    !(t->kept = calloc(t->nkept, sizeof *t->kept)))
		rc = BYZ_ENOMEM;
	if (!rc)
		app_state_digest(t->app, t->state_digest);
	if (!rc && persisted && len) {
		rc = tm_restore(t, persisted, len);
		t->restarted = true;
	}
	if (rc) {
		tm_destroy((void **)&t);
		return rc;
	}
	*core = t;
	return 0;
}

/* After GST: at most f proposers in a row are faulty and the replicas
 * meet in one round within a few rounds, each at most three timeouts
 * (capped at round TM_ROUND_CAP) and the gossip delay; a request may
 * wait a few heights for a batch, and one behind catches up by DECISIONs
 * of the window. */
static uint64_t tm_liveness_bound(const struct byz_config *cfg,
				  uint64_t max_latency_us)
{
	uint64_t tmax =
	    cfg->timeout_us + (uint64_t)TM_ROUND_CAP * (cfg->timeout_us / 2);
	uint64_t rounds = 2ull * cfg->f + 8;

	return rounds * (5 * tmax + 8 * max_latency_us) +
	       (uint64_t)cfg->window * 4 * max_latency_us;
}

static const char *const tm_timer_names[] = {
    [TM_TIMER_PROPOSE] = "propose",
    [TM_TIMER_PREVOTE] = "prevote",
    [TM_TIMER_PRECOMMIT] = "precommit",
    [TM_TIMER_GOSSIP] = "gossip",
    NULL,
};

/* Algorithm 1 line 49: a decision needs 2f+1 PRECOMMITs, each cast after
 * the proposal of the value was seen (lib/causal.h). */
static uint32_t tm_decision_quorum(uint32_t n, uint32_t f)
{
	(void)n;
	return 2 * f + 1;
}

const struct byz_core_ops tendermint_core_ops = {
    .name = "tendermint",
    .proto = TM_PROTO,
    .summary = "Tendermint (Buchman, Kwon, Milosevic 2018, Algorithm 1)",
    .first_leader = 0,
    .decision_quorum = tm_decision_quorum,
    .first_view = 0,
    .timer_names = tm_timer_names,
    .describe_record = tm_describe_record,
    .create = tm_create,
    .destroy = tm_destroy,
    .step = tm_step,
    .liveness_bound_us = tm_liveness_bound,
    .limits = &tm_limits,
    .mutants = tm_mutants,
    .audit = tm_audit,
    .audit_lock_st = sizeof(struct tm_audit_lock),
    .audit_lock = tm_audit_lock,
    .audit_decide = tm_audit_decide,
    .complexity = &tendermint_complexity,
};
