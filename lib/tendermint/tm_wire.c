/*
 * tm_wire.c - Tendermint's codec (tm_wire.h, docs/wire.md "Tendermint").
 * Every decoder is bounded by the body it is given, and every encoder
 * checks its arguments by decoding what it wrote, so what it encodes
 * always decodes.
 */
#include "tm_wire.h"

#include "err.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct tm_msg) <= WIRE_MSG_BODY_BYTES,
	       "struct tm_msg must fit a wire_msg's body");

#define TM_MAX_SIGNERS 256 /* precommits in a DECISION (BYZ_MAX_N) */

#define TM_VALUE_DOMAIN "byzlab/tm/value/v1" /* hashed with its NUL */

void tm_value_id(uint8_t id[BYZ_DIGEST_BYTES], const uint8_t *value, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, BYZ_DIGEST_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)TM_VALUE_DOMAIN,
				  sizeof TM_VALUE_DOMAIN);
	crypto_generichash_update(&st, value, len);
	crypto_generichash_final(&st, id, BYZ_DIGEST_BYTES);
}

bool tm_is_nil(const uint8_t *id)
{
	for (size_t i = 0; i < BYZ_DIGEST_BYTES; i++)
		if (id[i])
			return false;
	return true;
}

/* A value: height >= 1, prev_state, up to TM_MAX_BATCH requests, nothing
 * after. */
static int dec_value(struct wire_rd *r, struct tm_proposal *p)
{
	int rc;

	p->value = r->p;
	p->value_len = r->left;
	if ((rc = wire_rd_u64(r, &p->height)))
		return rc;
	if (p->height == 0)
		return BYZ_EFIELD;
	if ((rc = wire_rd_bytes(r, BYZ_DIGEST_BYTES, &p->prev_state)) ||
	    (rc = wire_rd_frames(r, BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST,
				 TM_MAX_BATCH, &p->batch)))
		return rc;
	return wire_rd_end(r);
}

static int dec_round(struct wire_rd *r, uint32_t *round)
{
	int rc = wire_rd_u32(r, round);

	if (!rc && *round >= TM_MAX_ROUND)
		return BYZ_EFIELD;
	return rc;
}

static int dec_proposal(struct wire_rd *r, struct tm_proposal *p)
{
	int rc;

	if ((rc = dec_round(r, &p->round)) ||
	    (rc = wire_rd_u32(r, &p->valid_round)))
		return rc;
	if (p->valid_round != TM_NO_ROUND && p->valid_round >= p->round)
		return BYZ_EFIELD; /* Alg. 1 line 28: vr < round */
	if ((rc = wire_rd_frames(r, TM_PROTO, TM_PREVOTE, TM_MAX_SIGNERS,
				 &p->pol)))
		return rc;
	if (p->valid_round == TM_NO_ROUND && p->pol.count)
		return BYZ_EFIELD;
	return dec_value(r, p);
}

static int dec_vote(struct wire_rd *r, struct tm_vote *v)
{
	int rc;

	if ((rc = wire_rd_u64(r, &v->height)))
		return rc;
	if (v->height == 0)
		return BYZ_EFIELD;
	if ((rc = dec_round(r, &v->round)) ||
	    (rc = wire_rd_bytes(r, BYZ_DIGEST_BYTES, &v->id)))
		return rc;
	return wire_rd_end(r);
}

static int dec_decision(struct wire_rd *r, struct tm_decision *d)
{
	int rc;

	if ((rc = wire_rd_u64(r, &d->height)))
		return rc;
	if (d->height == 0)
		return BYZ_EFIELD;
	if ((rc = wire_rd_frame(r, TM_PROTO, TM_PROPOSAL, &d->prop)) ||
	    (rc = wire_rd_frames(r, TM_PROTO, TM_PRECOMMIT, TM_MAX_SIGNERS,
				 &d->precommits)))
		return rc;
	if (d->precommits.count == 0)
		return BYZ_EFIELD;
	return wire_rd_end(r);
}

static int dec_status(struct wire_rd *r, struct tm_status *s)
{
	int rc;

	if ((rc = wire_rd_u64(r, &s->height)))
		return rc;
	if (s->height == 0)
		return BYZ_EFIELD;
	if ((rc = dec_round(r, &s->round)))
		return rc;
	return wire_rd_end(r);
}

static int dec_state(struct wire_rd *r, struct tm_state *s)
{
	int rc;

	if ((rc = wire_rd_u64(r, &s->height)))
		return rc;
	if (s->height == 0)
		return BYZ_EFIELD;
	if ((rc = wire_rd_u32(r, &s->snap_len)))
		return rc;
	if (s->snap_len > TM_MAX_SNAPSHOT)
		return BYZ_ETOOBIG;
	if ((rc = wire_rd_bytes(r, s->snap_len, &s->snap)) ||
	    (rc = wire_rd_frame(r, TM_PROTO, TM_PROPOSAL, &s->prop)) ||
	    (rc = wire_rd_frames(r, TM_PROTO, TM_PRECOMMIT, TM_MAX_SIGNERS,
				 &s->precommits)))
		return rc;
	if (s->precommits.count == 0)
		return BYZ_EFIELD;
	return wire_rd_end(r);
}

static int tm_decode(const struct wire_frame *f, struct wire_msg *out)
{
	struct wire_rd rd = {f->body, f->body_len};
	struct tm_msg *m = tm_of(out);

	switch (f->type) {
	case TM_PROPOSAL:
		return dec_proposal(&rd, &m->prop);
	case TM_PREVOTE:
	case TM_PRECOMMIT:
		return dec_vote(&rd, &m->vote);
	case TM_DECISION:
		return dec_decision(&rd, &m->dec);
	case TM_STATUS:
		return dec_status(&rd, &m->status);
	case TM_STATE:
		return dec_state(&rd, &m->state);
	}
	return BYZ_ETYPE;
}

/* The frames a message embeds, in body order. */
static int tm_embedded(const struct wire_msg *msg, wire_frame_fn fn, void *ctx)
{
	const struct tm_msg *m = tm_of(msg);
	int rc;

	switch (msg->frame.type) {
	case TM_PROPOSAL:
		if ((rc = wire_frames_each(&m->prop.pol, fn, ctx)))
			return rc;
		return wire_frames_each(&m->prop.batch, fn, ctx);
	case TM_DECISION:
		if ((rc = fn(ctx, &m->dec.prop)))
			return rc;
		return wire_frames_each(&m->dec.precommits, fn, ctx);
	case TM_STATE:
		if ((rc = fn(ctx, &m->state.prop)))
			return rc;
		return wire_frames_each(&m->state.precommits, fn, ctx);
	}
	return 0;
}

static bool tm_type_known(uint8_t type)
{
	return type >= TM_PROPOSAL && type <= TM_STATE;
}

static const char *tm_type_name(uint8_t type)
{
	static const char *const names[] = {
	    [TM_PROPOSAL] = "proposal",	  [TM_PREVOTE] = "prevote",
	    [TM_PRECOMMIT] = "precommit", [TM_DECISION] = "decision",
	    [TM_STATUS] = "status",	  [TM_STATE] = "state",
	};
	return tm_type_known(type) ? names[type] : "unknown";
}

/* The view of a message: tm_view(height, round); a DECISION's is its
 * height's round 0, a STATE has none. */
static uint64_t tm_msg_view(const struct wire_msg *m)
{
	const struct tm_msg *t = tm_of(m);

	switch (m->frame.type) {
	case TM_PROPOSAL:
		return tm_view(t->prop.height, t->prop.round);
	case TM_PREVOTE:
	case TM_PRECOMMIT:
		return tm_view(t->vote.height, t->vote.round);
	case TM_DECISION:
		return tm_view(t->dec.height, 0);
	case TM_STATUS:
		return tm_view(t->status.height, t->status.round);
	}
	return 0;
}

/* The round of the attack language's `rounds=` windows: the height (the
 * unit of progress: one decision each). */
static uint64_t tm_msg_round(const struct wire_msg *m)
{
	const struct tm_msg *t = tm_of(m);

	switch (m->frame.type) {
	case TM_PROPOSAL:
		return t->prop.height;
	case TM_PREVOTE:
	case TM_PRECOMMIT:
		return t->vote.height;
	case TM_DECISION:
		return t->dec.height;
	case TM_STATUS:
		return t->status.height;
	case TM_STATE:
		return t->state.height;
	}
	return 0;
}

static int tm_reencode(const struct wire_msg *m, struct wire_buf *b)
{
	const struct tm_msg *t = tm_of(m);
	uint32_t s = m->frame.sender;
	struct wire_framev v;
	int rc;

	switch (m->frame.type) {
	case TM_PROPOSAL:
		if ((rc = wire_frames_gather(&t->prop.pol, &v)))
			return rc;
		rc = tm_enc_proposal(b, NULL, s, t->prop.round,
				     t->prop.valid_round, v.frames, v.lens,
				     v.count, t->prop.value, t->prop.value_len);
		wire_framev_free(&v);
		return rc;
	case TM_PREVOTE:
	case TM_PRECOMMIT:
		return tm_enc_vote(b, NULL, m->frame.type, s, t->vote.height,
				   t->vote.round, t->vote.id);
	case TM_DECISION:
		if ((rc = wire_frames_gather(&t->dec.precommits, &v)))
			return rc;
		rc = tm_enc_decision(b, NULL, s, t->dec.height,
				     t->dec.prop.bytes, t->dec.prop.len,
				     v.frames, v.lens, v.count);
		wire_framev_free(&v);
		return rc;
	case TM_STATUS:
		return tm_enc_status(b, NULL, s, t->status.height,
				     t->status.round);
	case TM_STATE:
		if ((rc = wire_frames_gather(&t->state.precommits, &v)))
			return rc;
		rc = tm_enc_state(b, NULL, s, t->state.height, t->state.snap,
				  t->state.snap_len, t->state.prop.bytes,
				  t->state.prop.len, v.frames, v.lens, v.count);
		wire_framev_free(&v);
		return rc;
	}
	return BYZ_EINVAL;
}

static int tm_describe(const struct wire_msg *m, char *buf, size_t len);

const struct wire_codec tendermint_wire_codec = {
    .name = "tendermint",
    .proto = TM_PROTO,
    .type_known = tm_type_known,
    .type_name = tm_type_name,
    .decode = tm_decode,
    .for_each_embedded = tm_embedded,
    .view = tm_msg_view,
    .round = tm_msg_round,
    .reencode = tm_reencode,
    .describe = tm_describe,
};

int tm_enc_value(struct wire_buf *b, uint64_t height,
		 const uint8_t prev_state[BYZ_DIGEST_BYTES],
		 const uint8_t *const *frames, const size_t *lens, size_t count)
{
	if (b->err)
		return b->err;
	if (height == 0)
		return BYZ_EFIELD;
	if (count > TM_MAX_BATCH)
		return BYZ_ETOOBIG;
	wire_put_u64(b, height);
	wire_put_bytes(b, prev_state, BYZ_DIGEST_BYTES);
	wire_put_u16(b, (uint16_t)count);
	for (size_t i = 0; i < count; i++)
		wire_put_frame(b, frames[i], lens[i]);
	return b->err;
}

int tm_enc_proposal(struct wire_buf *b, size_t *start, uint32_t sender,
		    uint32_t round, uint32_t valid_round,
		    const uint8_t *const *pol, const size_t *pol_lens,
		    size_t pol_count, const uint8_t *value, size_t value_len)
{
	size_t s;

	if (b->err)
		return b->err;
	if (value_len > WIRE_MAX_FRAME)
		return BYZ_ETOOBIG;
	if (pol_count > TM_MAX_SIGNERS)
		return BYZ_ETOOBIG;
	s = wire_begin(b, TM_PROTO, TM_PROPOSAL, sender);
	wire_put_u32(b, round);
	wire_put_u32(b, valid_round);
	wire_put_u16(b, (uint16_t)pol_count);
	for (size_t i = 0; i < pol_count; i++)
		wire_put_frame(b, pol[i], pol_lens[i]);
	wire_put_bytes(b, value, value_len);
	return wire_end_checked(b, s, start);
}

int tm_enc_vote(struct wire_buf *b, size_t *start, uint8_t type,
		uint32_t sender, uint64_t height, uint32_t round,
		const uint8_t id[BYZ_DIGEST_BYTES])
{
	size_t s;

	if (b->err)
		return b->err;
	if (type != TM_PREVOTE && type != TM_PRECOMMIT)
		return BYZ_EINVAL;
	s = wire_begin(b, TM_PROTO, type, sender);
	wire_put_u64(b, height);
	wire_put_u32(b, round);
	wire_put_bytes(b, id, BYZ_DIGEST_BYTES);
	return wire_end_checked(b, s, start);
}

int tm_enc_decision(struct wire_buf *b, size_t *start, uint32_t sender,
		    uint64_t height, const uint8_t *prop, size_t prop_len,
		    const uint8_t *const *pcs, const size_t *pc_lens,
		    size_t count)
{
	size_t s;

	if (b->err)
		return b->err;
	if (count > TM_MAX_SIGNERS)
		return BYZ_ETOOBIG;
	s = wire_begin(b, TM_PROTO, TM_DECISION, sender);
	wire_put_u64(b, height);
	wire_put_frame(b, prop, prop_len);
	wire_put_u16(b, (uint16_t)count);
	for (size_t i = 0; i < count; i++)
		wire_put_frame(b, pcs[i], pc_lens[i]);
	return wire_end_checked(b, s, start);
}

int tm_enc_status(struct wire_buf *b, size_t *start, uint32_t sender,
		  uint64_t height, uint32_t round)
{
	size_t s;

	if (b->err)
		return b->err;
	s = wire_begin(b, TM_PROTO, TM_STATUS, sender);
	wire_put_u64(b, height);
	wire_put_u32(b, round);
	return wire_end_checked(b, s, start);
}

int tm_enc_state(struct wire_buf *b, size_t *start, uint32_t sender,
		 uint64_t height, const uint8_t *snap, size_t snap_len,
		 const uint8_t *prop, size_t prop_len,
		 const uint8_t *const *pcs, const size_t *pc_lens, size_t count)
{
	size_t s;

	if (b->err)
		return b->err;
	if (snap_len > TM_MAX_SNAPSHOT)
		return BYZ_ETOOBIG;
	if (count > TM_MAX_SIGNERS)
		return BYZ_ETOOBIG;
	s = wire_begin(b, TM_PROTO, TM_STATE, sender);
	wire_put_u64(b, height);
	wire_put_u32(b, (uint32_t)snap_len);
	wire_put_bytes(b, snap, snap_len);
	wire_put_frame(b, prop, prop_len);
	wire_put_u16(b, (uint16_t)count);
	for (size_t i = 0; i < count; i++)
		wire_put_frame(b, pcs[i], pc_lens[i]);
	return wire_end_checked(b, s, start);
}

static void hex8(char out[9], const uint8_t *id)
{
	snprintf(out, 9, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
}

/* A Tendermint message's fields for people (struct wire_codec, describe):
 * "h=2 r=0 vr=- pol=0 reqs=3 d=ab12cd34" for a PROPOSAL, "h=2 r=0 d=ab12cd34"
 * (d=nil) for a vote, "h=2 r=1 pcs=3" for a DECISION, "h=2 r=0" for a
 * STATUS, "h=5 snap=120" for a STATE. */
static int tm_describe(const struct wire_msg *m, char *buf, size_t len)
{
	const struct tm_msg *t = tm_of(m);
	struct wire_msg p;
	char d[9], vr[12];

	if (!len || !tm_type_known(m->frame.type))
		return BYZ_EINVAL;
	switch (m->frame.type) {
	case TM_PROPOSAL: {
		uint8_t id[BYZ_DIGEST_BYTES];
		tm_value_id(id, t->prop.value, t->prop.value_len);
		hex8(d, id);
		if (t->prop.valid_round == TM_NO_ROUND)
			snprintf(vr, sizeof vr, "-");
		else
			snprintf(vr, sizeof vr, "%" PRIu32,
				 t->prop.valid_round);
		snprintf(buf, len,
			 "h=%" PRIu64 " r=%" PRIu32
			 " vr=%s pol=%u reqs=%u d=%s",
			 t->prop.height, t->prop.round, vr,
			 (unsigned)t->prop.pol.count,
			 (unsigned)t->prop.batch.count, d);
		break;
	}
	case TM_PREVOTE:
	case TM_PRECOMMIT:
		if (tm_is_nil(t->vote.id))
			snprintf(d, sizeof d, "nil");
		else
			hex8(d, t->vote.id);
		snprintf(buf, len, "h=%" PRIu64 " r=%" PRIu32 " d=%s",
			 t->vote.height, t->vote.round, d);
		break;
	case TM_DECISION:
		if (wire_decode(t->dec.prop.bytes, t->dec.prop.len, &p))
			return BYZ_EINVAL;
		snprintf(buf, len, "h=%" PRIu64 " r=%" PRIu32 " pcs=%u",
			 t->dec.height, tm_of(&p)->prop.round,
			 (unsigned)t->dec.precommits.count);
		break;
	case TM_STATUS:
		snprintf(buf, len, "h=%" PRIu64 " r=%" PRIu32, t->status.height,
			 t->status.round);
		break;
	case TM_STATE:
		snprintf(buf, len, "h=%" PRIu64 " snap=%" PRIu32,
			 t->state.height, t->state.snap_len);
		break;
	}
	return 0;
}
