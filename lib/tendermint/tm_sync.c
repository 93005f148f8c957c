/*
 * tm_sync.c - deciding, and catch-up for a replica that is behind.
 *
 * Algorithm 1 assumes gossip: every message a correct process receives
 * eventually reaches every correct process, so one behind sees the 2f+1
 * PRECOMMITs of each height it missed (line 49). Here a replica keeps
 * each decided value with its 2f+1 signed PRECOMMITs (a DECISION: the
 * certificate the line-49 rule checks) for the last `window` heights, and:
 *
 *   - one that hears a message of a higher height from a replica asks it
 *     with a STATUS (its own height and round);
 *   - one that hears a message of a lower height (a STATUS, a vote, a
 *     proposal) answers with the DECISIONs from that height on (up to
 *     TM_PUSH of them), or, if that height is no longer kept, a STATE: the
 *     snapshot of the application before its newest decided height and
 *     that height's decision, whose value names the snapshot's state
 *     digest (tm_exec.c), so the snapshot is checked against a decision
 *     2f+1 replicas precommitted;
 *   - each replica is asked at most once per half timeout and height of
 *     ours, and told at most once per half timeout unless it asks from a
 *     higher height than we last told it about, so duplicated, replayed
 *     or stale frames cannot multiply answers.
 */
#include "tm_core.h"

#include "err.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* NULL if (height, prop, precommits) certify that prop's value was decided
 * at height: prop is from proposer(height, r) and 2f+1 distinct replicas
 * precommitted id(v) in round r of that height; every precommit listed
 * must be such a one. */
static const char *tm_cert_check(const struct byz_config *cfg, uint64_t height,
				 const struct wire_frame *propf,
				 const struct wire_frames *pcs,
				 struct wire_msg *prop)
{
	uint8_t seen[BYZ_MAX_N / 8] = {0}, id[BYZ_DIGEST_BYTES];
	const struct tm_proposal *p;
	struct wire_msg v;
	size_t pos = 0;
	uint32_t k = 0;

	if (wire_decode(propf->bytes, propf->len, prop))
		return "proposal does not decode";
	p = &tm_of(prop)->prop;
	if (p->height != height)
		return "proposal of another height";
	if (prop->frame.sender != byz_leader(cfg, height - 1 + p->round))
		return "proposal not from proposer(h, r)";
	tm_value_id(id, p->value, p->value_len);
	while (wire_frames_next(pcs, &pos, &v) == 1) {
		const struct tm_vote *x = &tm_of(&v)->vote;
		uint32_t s = v.frame.sender;
		if (s >= cfg->n || s >= BYZ_MAX_N)
			return "precommit of a non-replica";
		if (x->height != height || x->round != p->round ||
		    memcmp(x->id, id, BYZ_DIGEST_BYTES))
			return "precommit for something else";
		if (seen[s / 8] & (1u << (s % 8)))
			return "precommits with a duplicate signer";
		seen[s / 8] |= (uint8_t)(1u << (s % 8));
		k++;
	}
	if (k < 2 * cfg->f + 1)
		return "fewer than 2f+1 precommits";
	return NULL;
}

const char *tm_decision_check(const struct byz_config *cfg,
			      const struct wire_msg *m, struct wire_msg *prop)
{
	const struct tm_decision *d = &tm_of(m)->dec;

	return tm_cert_check(cfg, d->height, &d->prop, &d->precommits, prop);
}

static int tm_keep(struct tm *t, uint64_t h, const uint8_t *prop,
		   size_t prop_len, const uint8_t *const *pcs,
		   const size_t *lens, size_t count)
{
	struct tm_decided *k = &t->kept[h % t->nkept];
	int rc;

	wire_buf_reset(&t->scratch);
	if ((rc = tm_enc_decision(&t->scratch, NULL, t->cfg.id, h, prop,
				  prop_len, pcs, lens, count)))
		return rc;
	if ((rc = byz_bytes_set(&k->frame, t->scratch.data, t->scratch.len)))
		return rc;
	k->height = h;
	return 0;
}

int tm_keep_decision(struct tm *t, uint64_t h, const struct tm_round *s)
{
	const uint8_t *pcs[BYZ_MAX_N];
	size_t lens[BYZ_MAX_N], k = 0;

	for (uint32_t i = 0; i < t->cfg.n && k < t->quorum; i++)
		if (s->pc_have[i] &&
		    !memcmp(s->pc_id[i], s->prop_id, BYZ_DIGEST_BYTES)) {
			pcs[k] = s->pc_frame[i];
			lens[k++] = s->pc_len[i];
		}
	return tm_keep(t, h, s->prop.p, s->prop.len, pcs, lens, k);
}

/* Lines 49-54: decide the value of the PROPOSAL frame prop at our height,
 * execute it, keep it for others, and move to the next height. Either s
 * (the round whose precommits decided it) or dec (a DECISION received)
 * gives the certificate. */
static int tm_decide_with(struct tm *t, struct byz_outbox *ob,
			  const uint8_t *prop, size_t prop_len,
			  const struct tm_round *s, const struct wire_msg *dec)
{
	struct wire_msg m;
	int rc;

	if ((rc = wire_decode(prop, prop_len, &m)))
		return rc;
	/* The snapshot before this height, for a STATE answer. */
	wire_buf_reset(&t->scratch);
	if ((rc = app_snapshot(t->app, &t->scratch)) ||
	    (rc =
		 byz_bytes_set(&t->prev_snap, t->scratch.data, t->scratch.len)))
		return rc;
	if (s)
		rc = tm_keep_decision(t, t->h, s);
	else {
		struct wire_framev v;
		if (!(rc = wire_frames_gather(&tm_of(dec)->dec.precommits,
					      &v))) {
			rc = tm_keep(t, t->h, prop, prop_len, v.frames, v.lens,
				     v.count);
			wire_framev_free(&v);
		}
	}
	if (rc)
		return rc;
	/* No id(v) in the note: it covers the requests' signatures, which
	 * fast crypto makes other bytes (docs/crypto.md: the same trace). */
	if ((rc = byz_out_note(
		 ob, "decide h=%" PRIu64 " r=%" PRIu32 " reqs=%u%s", t->h,
		 tm_of(&m)->prop.round, (unsigned)tm_of(&m)->prop.batch.count,
		 s ? "" : " (by a decision)")))
		return rc;
	t->decided_at = t->now;
	/* Line 51: decision_p[h_p] = v, executed in height order. */
	if ((rc = tm_execute(t, ob, &tm_of(&m)->prop)))
		return rc;
	return tm_next_height(t, ob); /* lines 52-54 */
}

int tm_decide(struct tm *t, struct byz_outbox *ob, const uint8_t *prop,
	      size_t prop_len, const struct tm_round *s)
{
	return tm_decide_with(t, ob, prop, prop_len, s, NULL);
}

static int tm_send_decision(struct tm *t, struct byz_outbox *ob, uint32_t to,
			    const struct tm_decided *k)
{
	size_t off = ob->bytes.len;

	wire_put_bytes(&ob->bytes, k->frame.p, k->frame.len);
	return tm_hold(t, ob, off, false, to);
}

/* A STATE for one behind the decisions we keep: the snapshot before our
 * newest decided height and that height's decision. */
static int tm_send_state(struct tm *t, struct byz_outbox *ob, uint32_t to)
{
	uint64_t last = t->h - 1;
	const struct tm_decided *k = &t->kept[last % t->nkept];
	struct wire_msg d;
	struct wire_framev v;
	size_t off;
	int rc;

	if (last == 0 || k->height != last || !t->prev_snap.p ||
	    t->prev_snap.len > TM_MAX_SNAPSHOT)
		return 0;
	if (wire_decode_unsigned(k->frame.p, k->frame.len, &d))
		return 0;
	if ((rc = wire_frames_gather(&tm_of(&d)->dec.precommits, &v)))
		return rc;
	rc = tm_enc_state(&ob->bytes, &off, t->cfg.id, last, t->prev_snap.p,
			  t->prev_snap.len, tm_of(&d)->dec.prop.bytes,
			  tm_of(&d)->dec.prop.len, v.frames, v.lens, v.count);
	wire_framev_free(&v);
	if (rc)
		return rc == BYZ_ETOOBIG ? 0 : rc;
	return tm_hold(t, ob, off, false, to);
}

int tm_other_height(struct tm *t, struct byz_outbox *ob, uint32_t sender,
		    uint64_t height, bool asked)
{
	uint64_t half = t->cfg.timeout_us / 2;
	size_t off;
	int rc;

	if (sender >= t->cfg.n || sender == t->cfg.id || height == t->h)
		return 0;
	if (height > t->h) {
		/* Behind: ask it. */
		if (t->asked_h[sender] == t->h &&
		    t->now < t->asked_at[sender] + half)
			return 0;
		t->asked_h[sender] = t->h;
		t->asked_at[sender] = t->now;
		if ((rc = tm_enc_status(&ob->bytes, &off, t->cfg.id, t->h,
					t->round)))
			return rc;
		return tm_hold(t, ob, off, false, sender);
	}
	/* It is behind: tell it. Not when it is one height behind, we
	 * decided just now and it does not ask: the precommits that
	 * decided it for us are on their way to it too. */
	if (!asked && height + 1 == t->h &&
	    t->now < t->decided_at + t->cfg.timeout_us)
		return 0;
	if (height <= t->told_h[sender] && t->now < t->told_at[sender] + half)
		return 0; /* once per half timeout, unless it moved on */
	t->told_h[sender] = height;
	t->told_at[sender] = t->now;
	if (t->kept[height % t->nkept].height != height)
		return tm_send_state(t, ob, sender);
	for (uint64_t x = height; x < t->h && x < height + TM_PUSH; x++) {
		const struct tm_decided *k = &t->kept[x % t->nkept];
		if (k->height != x)
			break;
		if ((rc = tm_send_decision(t, ob, sender, k)))
			return rc;
	}
	return 0;
}

int tm_on_status(struct tm *t, struct byz_outbox *ob, const struct wire_msg *m)
{
	return tm_other_height(t, ob, m->frame.sender, tm_of(m)->status.height,
			       true);
}

int tm_on_decision(struct tm *t, struct byz_outbox *ob,
		   const struct wire_msg *m)
{
	const struct tm_decision *d = &tm_of(m)->dec;
	struct wire_msg prop;
	const char *why;

	if (d->height < t->h)
		return 0; /* decided already */
	if (d->height > t->h)
		return tm_other_height(t, ob, m->frame.sender, d->height,
				       false);
	if ((why = tm_decision_check(&t->cfg, m, &prop)))
		return byz_out_drop(ob, m, why);
	if ((why = tm_valid(t, &tm_of(&prop)->prop)))
		return byz_out_drop(ob, m, why);
	return tm_decide_with(t, ob, d->prop.bytes, d->prop.len, NULL, m);
}

int tm_on_state(struct tm *t, struct byz_outbox *ob, const struct wire_msg *m)
{
	const struct tm_state *st = &tm_of(m)->state;
	struct wire_msg prop, dec;
	struct app *a = NULL;
	struct byz_commit c;
	uint8_t digest[BYZ_DIGEST_BYTES];
	const char *why;
	size_t off;
	int rc;

	if (st->height <= t->h)
		return 0; /* the DECISIONs do, or nothing is missing */
	if ((why = tm_cert_check(&t->cfg, st->height, &st->prop,
				 &st->precommits, &prop)))
		return byz_out_drop(ob, m, why);
	if ((rc = app_new(&t->cfg.app, &a)))
		return rc;
	if (app_restore(a, st->snap, st->snap_len)) {
		app_destroy(&a);
		return byz_out_drop(ob, m, "snapshot does not restore");
	}
	app_state_digest(a, digest);
	if (memcmp(digest, tm_of(&prop)->prop.prev_state, BYZ_DIGEST_BYTES)) {
		app_destroy(&a);
		return byz_out_drop(ob, m, "snapshot is not the decided state");
	}
	/* Adopt it: the state before height st->height. */
	app_destroy(&t->app);
	t->app = a;
	memcpy(t->state_digest, digest, BYZ_DIGEST_BYTES);
	byz_reqpool_forget_executed(&t->pool, t->app);
	memset(&c, 0, sizeof c);
	c.restored = true;
	c.height = app_height(t->app);
	c.slot = st->height - 1;
	memcpy(c.state_digest, digest, BYZ_DIGEST_BYTES);
	if ((rc = tm_commit_later(t, &c)))
		return rc;
	t->h = st->height - 1;
	if ((rc = tm_next_height(t, ob)))
		return rc;
	/* Now decide the height the snapshot precedes, by its certificate
	 * (re-encoded as a DECISION: the same frames). */
	{
		struct wire_framev v;
		struct wire_buf tmp;
		wire_buf_init(&tmp, 2 * WIRE_MAX_FRAME);
		if (!(rc = wire_frames_gather(&st->precommits, &v))) {
			rc = tm_enc_decision(&tmp, &off, m->frame.sender,
					     st->height, st->prop.bytes,
					     st->prop.len, v.frames, v.lens,
					     v.count);
			wire_framev_free(&v);
		}
		if (!rc)
			rc = wire_decode_unsigned(tmp.data, tmp.len, &dec);
		if (!rc)
			rc = tm_decide_with(t, ob, tm_of(&dec)->dec.prop.bytes,
					    tm_of(&dec)->dec.prop.len, NULL,
					    &dec);
		wire_buf_free(&tmp);
		return rc;
	}
}
