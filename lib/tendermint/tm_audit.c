/*
 * tm_audit.c - the rules an honest Tendermint replica's outputs keep
 * (core.h, audit; lib/audit.h), judged from outside the core and blind to
 * mutants:
 *   vote-once     a PROPOSAL, PREVOTE and PRECOMMIT are votes: one of each
 *                 kind per (height, round), kind = the type, view =
 *                 tm_view(height, round), slot = height;
 *   certificates  a PROPOSAL's proof of its valid round, if it carries
 *                 one, is 2f+1 PREVOTEs from distinct replicas for (h, vr,
 *                 id(v)) (line 28); a DECISION or STATE carries a proposal of
 * proposer(h, r) for height h and at least 2f+1 PRECOMMITs from distinct
 *                 replicas, every one for (h, r, id(v)) (Alg. 1 line 49);
 *   lock          tm_audit_lock, below;
 *   decide        tm_audit_decide, below: a height decided on what line 49
 *                 allows.
 */
#include "tm_core.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *cert_ok(const struct byz_config *cfg, uint64_t height,
			   const struct wire_frame *pf,
			   const struct wire_frames *pcs)
{
	uint8_t id[BYZ_DIGEST_BYTES];
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg p, v;
	size_t pos = 0;
	uint32_t k = 0;

	if (wire_decode(pf->bytes, pf->len, &p))
		return "decision whose proposal does not decode";
	if (tm_of(&p)->prop.height != height)
		return "decision whose proposal is of another height";
	if (p.frame.sender !=
	    byz_leader(cfg, height - 1 + tm_of(&p)->prop.round))
		return "decision whose proposal is not the proposer's";
	tm_value_id(id, tm_of(&p)->prop.value, tm_of(&p)->prop.value_len);
	while (wire_frames_next(pcs, &pos, &v) == 1) {
		const struct tm_vote *x = &tm_of(&v)->vote;
		if (v.frame.sender >= cfg->n || seen[v.frame.sender])
			return "decision with a repeated or unknown signer";
		seen[v.frame.sender] = true;
		if (x->height != height || x->round != tm_of(&p)->prop.round ||
		    memcmp(x->id, id, BYZ_DIGEST_BYTES))
			return "decision with a precommit for something else";
		k++;
	}
	return k >= 2 * cfg->f + 1 ? NULL
				   : "decision with fewer than 2f+1 precommits";
}

/* A proposal's proof, if it carries one: 2f+1 PREVOTEs from distinct
 * replicas for (h, vr, id(v)). */
static const char *pol_ok(const struct byz_config *cfg,
			  const struct tm_proposal *p)
{
	uint8_t id[BYZ_DIGEST_BYTES];
	bool seen[BYZ_MAX_N] = {false};
	struct wire_msg v;
	size_t pos = 0;
	uint32_t k = 0;

	if (!p->pol.count)
		return NULL;
	tm_value_id(id, p->value, p->value_len);
	while (wire_frames_next(&p->pol, &pos, &v) == 1) {
		const struct tm_vote *x = &tm_of(&v)->vote;
		if (v.frame.sender >= cfg->n || seen[v.frame.sender])
			return "proposal proof with a repeated or unknown "
			       "signer";
		seen[v.frame.sender] = true;
		if (x->height != p->height || x->round != p->valid_round ||
		    memcmp(x->id, id, BYZ_DIGEST_BYTES))
			return "proposal proof with a prevote for something "
			       "else";
		k++;
	}
	return k >= 2 * cfg->f + 1
		   ? NULL
		   : "proposal proof with fewer than 2f+1 prevotes";
}

const char *tm_audit(const struct byz_config *cfg, const struct wire_msg *m,
		     struct byz_vote *vote, bool *is_vote)
{
	const struct tm_msg *t = tm_of(m);
	const char *why;

	*is_vote = false;
	switch (m->frame.type) {
	case TM_PROPOSAL:
		if ((why = pol_ok(cfg, &t->prop)))
			return why;
		*is_vote = true;
		*vote = (struct byz_vote){
		    .kind = TM_PROPOSAL,
		    .view = tm_view(t->prop.height, t->prop.round),
		    .slot = t->prop.height};
		tm_value_id(vote->digest, t->prop.value, t->prop.value_len);
		return NULL;
	case TM_PREVOTE:
	case TM_PRECOMMIT:
		*is_vote = true;
		*vote = (struct byz_vote){
		    .kind = m->frame.type,
		    .view = tm_view(t->vote.height, t->vote.round),
		    .slot = t->vote.height};
		memcpy(vote->digest, t->vote.id, BYZ_DIGEST_BYTES);
		return NULL;
	case TM_DECISION:
		return cert_ok(cfg, t->dec.height, &t->dec.prop,
			       &t->dec.precommits);
	case TM_STATE:
		return cert_ok(cfg, t->state.height, &t->state.prop,
			       &t->state.precommits);
	}
	return NULL;
}

/*
 * The lock rule (core.h, audit_lock; Alg. 1 lines 22-33 and 36-41),
 * judged from outside the core. An honest replica's own non-nil
 * PRECOMMIT for id in round r of height h locks it on (r, id) (lines
 * 38-40: it precommits a value only when it locks on it). From then on,
 * in that height, a PREVOTE it sends for another value id' (not nil) must
 * rest on 2f+1 PREVOTEs for id' in some round vr with r <= vr (line 29),
 * which it received one by one, sent itself, or found as the proof of a
 * PROPOSAL it received. The audit remembers, per replica, the distinct
 * prevoters of the TM_AUDIT_POL most recent (height, round, id) it saw;
 * what it has forgotten it does not judge (a prevote it cannot explain
 * after forgetting is let pass).
 */
/* Count the sender of vote v (not nil, from a replica) in ring, the
 * TM_AUDIT_POL most recent (height, round, id) with their distinct
 * senders; next is the ring's cursor. A new (height, round, id) takes the
 * oldest entry: returns the height it held (0 if none was lost). The lock
 * rule counts PREVOTEs so, the decide rule PRECOMMITs. */
static uint64_t tally_add(struct tm_audit_pol *ring, uint32_t *next,
			  const struct wire_msg *v)
{
	const struct tm_vote *x = &tm_of(v)->vote;
	uint32_t s = v->frame.sender;
	struct tm_audit_pol *p = NULL;
	uint64_t lost = 0;

	for (uint32_t i = 0; i < TM_AUDIT_POL && !p; i++)
		if (ring[i].used && ring[i].h == x->height &&
		    ring[i].round == x->round &&
		    !memcmp(ring[i].id, x->id, BYZ_DIGEST_BYTES))
			p = &ring[i];
	if (!p) {
		p = &ring[*next];
		*next = (*next + 1) % TM_AUDIT_POL;
		if (p->used)
			lost = p->h;
		memset(p, 0, sizeof *p);
		p->used = true;
		p->h = x->height;
		p->round = x->round;
		memcpy(p->id, x->id, BYZ_DIGEST_BYTES);
	}
	if (!(p->who[s / 8] & (1u << (s % 8)))) {
		p->who[s / 8] |= (uint8_t)(1u << (s % 8));
		p->count++;
	}
	return lost;
}

static void pol_add(struct tm_audit_lock *st, const struct wire_msg *v,
		    uint32_t n)
{
	if (v->frame.sender >= n || tm_is_nil(tm_of(v)->vote.id))
		return;
	if (tally_add(st->pol, &st->next, v))
		st->forgot = true;
}

/*
 * The decide rule (core.h, audit_decide; Alg. 1 line 49), judged from
 * outside the core: an honest replica decides height h only if it saw
 * (received or sent) a PROPOSAL of proposer(h, r) for some value v and
 * 2f+1 PRECOMMITs from distinct replicas for (h, r, id(v)), or received a
 * DECISION or STATE for h whose certificate is just that (lines 49-54 of
 * another replica, carried to one that is behind). It sees the messages
 * of each step before the step's COMMITs (audit.h). Entries are kept in
 * rings of TM_AUDIT_DEC; a height that lost one to a newer entry is not
 * judged (no false alarm from a flood of votes).
 */
static void dec_forget(struct tm_audit_lock *st, uint64_t h)
{
	if (h > st->forgot_h)
		st->forgot_h = h;
}

static void dec_precommit(struct tm_audit_lock *st, const struct wire_msg *v,
			  uint32_t n)
{
	const struct tm_vote *x = &tm_of(v)->vote;

	if (v->frame.sender >= n || tm_is_nil(x->id) ||
	    x->height <= st->forgot_h)
		return;
	dec_forget(st, tally_add(st->pc, &st->pc_next, v));
}

static void dec_proposal(const struct byz_config *cfg, struct tm_audit_lock *st,
			 const struct wire_msg *m)
{
	const struct tm_proposal *x = &tm_of(m)->prop;
	struct tm_audit_prop *p;
	uint8_t id[BYZ_DIGEST_BYTES];

	if (x->height <= st->forgot_h ||
	    m->frame.sender != byz_leader(cfg, x->height - 1 + x->round))
		return;
	tm_value_id(id, x->value, x->value_len);
	for (uint32_t i = 0; i < TM_AUDIT_DEC; i++)
		if (st->props[i].used && st->props[i].h == x->height &&
		    st->props[i].round == x->round &&
		    !memcmp(st->props[i].id, id, BYZ_DIGEST_BYTES))
			return;
	p = &st->props[st->prop_next];
	st->prop_next = (st->prop_next + 1) % TM_AUDIT_DEC;
	if (p->used)
		dec_forget(st, p->h);
	p->used = true;
	p->h = x->height;
	p->round = x->round;
	memcpy(p->id, id, BYZ_DIGEST_BYTES);
}

static void dec_certified(struct tm_audit_lock *st, uint64_t h)
{
	uint64_t *c = &st->certified[st->cert_next];

	for (uint32_t i = 0; i < TM_AUDIT_DEC; i++)
		if (st->certified[i] == h)
			return;
	st->cert_next = (st->cert_next + 1) % TM_AUDIT_DEC;
	if (*c)
		dec_forget(st, *c);
	*c = h;
}

static void dec_observe(const struct byz_config *cfg, struct tm_audit_lock *st,
			const struct wire_msg *m)
{
	const struct tm_msg *t = tm_of(m);

	switch (m->frame.type) {
	case TM_PROPOSAL:
		dec_proposal(cfg, st, m);
		break;
	case TM_PRECOMMIT:
		dec_precommit(st, m, cfg->n);
		break;
	case TM_DECISION:
		if (!cert_ok(cfg, t->dec.height, &t->dec.prop,
			     &t->dec.precommits))
			dec_certified(st, t->dec.height);
		break;
	case TM_STATE:
		if (!cert_ok(cfg, t->state.height, &t->state.prop,
			     &t->state.precommits))
			dec_certified(st, t->state.height);
		break;
	}
}

int tm_audit_decide(const struct byz_config *cfg, void *shared, void *state,
		    const struct byz_commit *c, char *why, size_t whylen)
{
	struct tm_audit_lock *st = state;
	uint32_t best = 0, best_round = 0;
	uint64_t h = c->slot;

	(void)shared;
	if (c->restored || h == st->judged_h || h <= st->forgot_h)
		return 0;
	st->judged_h = h;
	for (uint32_t i = 0; i < TM_AUDIT_DEC; i++)
		if (st->certified[i] == h)
			return 0;
	for (uint32_t i = 0; i < TM_AUDIT_POL; i++) {
		const struct tm_audit_pol *p = &st->pc[i];
		if (!p->used || p->h != h)
			continue;
		if (p->count > best) {
			best = p->count;
			best_round = p->round;
		}
		if (p->count < 2 * cfg->f + 1)
			continue;
		for (uint32_t j = 0; j < TM_AUDIT_DEC; j++)
			if (st->props[j].used && st->props[j].h == h &&
			    st->props[j].round == p->round &&
			    !memcmp(st->props[j].id, p->id, BYZ_DIGEST_BYTES))
				return 0;
	}
	snprintf(why, whylen,
		 "decided height %" PRIu64
		 " without the proposal of proposer(h, r) and 2f+1 "
		 "PRECOMMITs for it in one round r, or a certified DECISION: "
		 "it saw at most %" PRIu32 " PRECOMMITs for one value (round "
		 "%" PRIu32 ")",
		 h, best, best_round);
	return 1;
}

int tm_audit_lock(const struct byz_config *cfg, void *shared, void *state,
		  const struct wire_msg *m, bool sent, char *why, size_t whylen)
{
	struct tm_audit_lock *st = state;
	const struct tm_msg *t = tm_of(m);
	struct wire_msg v;
	size_t pos = 0;

	(void)shared;
	dec_observe(cfg, st, m);
	switch (m->frame.type) {
	case TM_PROPOSAL:
		while (wire_frames_next(&t->prop.pol, &pos, &v) == 1)
			pol_add(st, &v, cfg->n);
		return 0;
	case TM_PREVOTE:
		break;
	case TM_PRECOMMIT:
		if (sent && !tm_is_nil(t->vote.id) &&
		    (!st->locked || t->vote.height > st->h ||
		     (t->vote.height == st->h && t->vote.round > st->round))) {
			st->locked = true;
			st->h = t->vote.height;
			st->round = t->vote.round;
			memcpy(st->id, t->vote.id, BYZ_DIGEST_BYTES);
		}
		return 0;
	default:
		return 0;
	}
	pol_add(st, m, cfg->n);
	/* A prevote of a round up to the lock's is one sent before the lock
	 * (sent again: gossip, or for a replica in that round). */
	if (!sent || !st->locked || t->vote.height != st->h ||
	    t->vote.round <= st->round || tm_is_nil(t->vote.id) ||
	    !memcmp(t->vote.id, st->id, BYZ_DIGEST_BYTES) || st->forgot)
		return 0;
	for (uint32_t i = 0; i < TM_AUDIT_POL; i++) {
		const struct tm_audit_pol *p = &st->pol[i];
		if (p->used && p->h == st->h && p->round >= st->round &&
		    p->round < t->vote.round &&
		    !memcmp(p->id, t->vote.id, BYZ_DIGEST_BYTES) &&
		    p->count >= 2 * cfg->f + 1)
			return 0;
	}
	snprintf(why, whylen,
		 "prevote in round %" PRIu32 " of height %" PRIu64
		 " for another value than the one locked in round %" PRIu32
		 ", without 2f+1 prevotes for it in a round from %" PRIu32
		 " on",
		 t->vote.round, t->vote.height, st->round, st->round);
	return 1;
}
