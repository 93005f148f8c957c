/*
 * tm_persist.c - the write-ahead log: one record, which replaces the log
 * at the end of every step that changed the persisted state (core.h:
 * PERSIST with replace), before any message of that step is sent. So a
 * replica restarted from its log has every vote and proposal it sent in
 * its height: it never prevotes or precommits twice in one round, nor
 * proposes twice, and its lock (lines 38-39) survives.
 *
 * Record (all integers little-endian):
 *   magic u32 "TM01", h u64, round u32, step u8,
 *   locked_round u32, locked value (u32 length, bytes),
 *   valid_round u32, valid value (u32 length, bytes), the valid value's
 *   proof (u32 length, bytes: count u16, (u32 length, PREVOTE) each),
 *   my_prop_round u32, my_prop_vr u32, my proposal's value (u32, bytes),
 *   my_pv_round u32, my_pv_id 32, my_pc_round u32, my_pc_id 32,
 *   the application's snapshot (the rest).
 * Rounds are TM_NO_ROUND (0xffffffff) for none; a value's id is
 * recomputed from its bytes.
 */
#include "tm_core.h"

#include "err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TM_MAGIC 0x31304d54u /* "TM01" */

static void put_value(struct wire_buf *b, const struct byz_bytes *v)
{
	wire_put_u32(b, (uint32_t)v->len);
	if (v->len)
		wire_put_bytes(b, v->p, v->len);
}

int tm_persist(struct tm *t, struct byz_outbox *ob)
{
	struct wire_buf *b = &t->scratch;

	wire_buf_reset(b);
	wire_put_u32(b, TM_MAGIC);
	wire_put_u64(b, t->h);
	wire_put_u32(b, t->round);
	wire_put_u8(b, (uint8_t)t->step);
	wire_put_u32(b, t->locked_round);
	put_value(b, &t->locked);
	wire_put_u32(b, t->valid_round);
	put_value(b, &t->valid);
	put_value(b, &t->valid_pol);
	wire_put_u32(b, t->my_prop_round);
	wire_put_u32(b, t->my_prop_vr);
	put_value(b, &t->my_prop);
	wire_put_u32(b, t->my_pv_round);
	wire_put_bytes(b, t->my_pv_id, BYZ_DIGEST_BYTES);
	wire_put_u32(b, t->my_pc_round);
	wire_put_bytes(b, t->my_pc_id, BYZ_DIGEST_BYTES);
	app_snapshot(t->app, b);
	if (b->err)
		return b->err;
	return byz_out_persist(ob, ++t->token, true, b->data, b->len);
}

static int rd_value(struct wire_rd *r, const uint8_t **p, uint32_t *len)
{
	int rc;

	if ((rc = wire_rd_u32(r, len)))
		return rc;
	if (*len > WIRE_MAX_FRAME)
		return BYZ_ETOOBIG;
	return wire_rd_bytes(r, *len, p);
}

/* The fixed part of a record, read into plain fields. */
struct tm_rec {
	uint64_t h;
	uint32_t round, locked_round, valid_round, prop_round, prop_vr;
	uint32_t pv_round, pc_round;
	uint8_t step;
	const uint8_t *locked, *valid, *pol, *prop, *pv_id, *pc_id, *snap;
	uint32_t locked_len, valid_len, pol_len, prop_len;
	size_t snap_len;
};

static int tm_rec_read(const uint8_t *rec, size_t len, struct tm_rec *x)
{
	struct wire_rd r = {rec, len};
	uint32_t magic;
	int rc;

	if ((rc = wire_rd_u32(&r, &magic)))
		return rc;
	if (magic != TM_MAGIC)
		return BYZ_EFIELD;
	if ((rc = wire_rd_u64(&r, &x->h)) ||
	    (rc = wire_rd_u32(&r, &x->round)) ||
	    (rc = wire_rd_u8(&r, &x->step)) ||
	    (rc = wire_rd_u32(&r, &x->locked_round)) ||
	    (rc = rd_value(&r, &x->locked, &x->locked_len)) ||
	    (rc = wire_rd_u32(&r, &x->valid_round)) ||
	    (rc = rd_value(&r, &x->valid, &x->valid_len)) ||
	    (rc = rd_value(&r, &x->pol, &x->pol_len)) ||
	    (rc = wire_rd_u32(&r, &x->prop_round)) ||
	    (rc = wire_rd_u32(&r, &x->prop_vr)) ||
	    (rc = rd_value(&r, &x->prop, &x->prop_len)) ||
	    (rc = wire_rd_u32(&r, &x->pv_round)) ||
	    (rc = wire_rd_bytes(&r, BYZ_DIGEST_BYTES, &x->pv_id)) ||
	    (rc = wire_rd_u32(&r, &x->pc_round)) ||
	    (rc = wire_rd_bytes(&r, BYZ_DIGEST_BYTES, &x->pc_id)))
		return rc;
	if (x->h == 0 || x->round >= TM_MAX_ROUND ||
	    x->step > TM_STEP_PRECOMMIT)
		return BYZ_EFIELD;
	x->snap = r.p;
	x->snap_len = r.left;
	return 0;
}

static int set_value(struct byz_bytes *b, uint8_t *id, const uint8_t *p,
		     uint32_t len)
{
	if (!len) {
		byz_bytes_free(b);
		return 0;
	}
	if (id)
		tm_value_id(id, p, len);
	return byz_bytes_set(b, p, len);
}

int tm_restore(struct tm *t, const uint8_t *log, size_t len)
{
	const uint8_t *rec = NULL, *r;
	size_t pos = 0, rlen = 0, l;
	struct tm_rec x;
	int rc;

	while ((rc = byz_persist_next(log, len, &pos, &r, &l)) == 1) {
		rec = r;
		rlen = l;
	}
	if (rc < 0)
		return rc;
	if (!rec)
		return 0; /* an empty log: a fresh replica */
	if ((rc = tm_rec_read(rec, rlen, &x)))
		return rc;
	if ((rc = app_restore(t->app, x.snap, x.snap_len)))
		return rc;
	app_state_digest(t->app, t->state_digest);
	t->h = x.h;
	t->round = x.round;
	t->step = (enum tm_step)x.step;
	t->locked_round = x.locked_round;
	t->valid_round = x.valid_round;
	t->my_prop_round = x.prop_round;
	t->my_prop_vr = x.prop_vr;
	t->my_pv_round = x.pv_round;
	t->my_pc_round = x.pc_round;
	memcpy(t->my_pv_id, x.pv_id, BYZ_DIGEST_BYTES);
	memcpy(t->my_pc_id, x.pc_id, BYZ_DIGEST_BYTES);
	if ((rc =
		 set_value(&t->locked, t->locked_id, x.locked, x.locked_len)) ||
	    (rc = set_value(&t->valid, t->valid_id, x.valid, x.valid_len)) ||
	    (rc = set_value(&t->valid_pol, NULL, x.pol, x.pol_len)) ||
	    (rc = set_value(&t->my_prop, NULL, x.prop, x.prop_len)))
		return rc;
	return 0;
}

static const char *step_name(uint8_t s)
{
	return s == TM_STEP_PROPOSE   ? "propose"
	       : s == TM_STEP_PREVOTE ? "prevote"
				      : "precommit";
}

static void round_text(char *buf, size_t cap, uint32_t r)
{
	if (r == TM_NO_ROUND)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%" PRIu32, r);
}

/* "state h=3 r=1 step=prevote locked=- valid=- prop=- pv=1 pc=- app=120". */
void tm_describe_record(const uint8_t *rec, size_t len, char *buf, size_t cap)
{
	struct tm_rec x;
	char lr[12], vr[12], pr[12], pv[12], pc[12];

	if (!cap)
		return;
	if (tm_rec_read(rec, len, &x)) {
		snprintf(buf, cap, "??? (%zu bytes)", len);
		return;
	}
	round_text(lr, sizeof lr, x.locked_round);
	round_text(vr, sizeof vr, x.valid_round);
	round_text(pr, sizeof pr, x.prop_round);
	round_text(pv, sizeof pv, x.pv_round);
	round_text(pc, sizeof pc, x.pc_round);
	snprintf(buf, cap,
		 "state h=%" PRIu64 " r=%" PRIu32
		 " step=%s locked=%s valid=%s prop=%s pv=%s pc=%s app=%zu",
		 x.h, x.round, step_name(x.step), lr, vr, pr, pv, pc,
		 x.snap_len);
}
