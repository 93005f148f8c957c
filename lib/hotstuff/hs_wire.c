/*
 * hs_wire.c - chained HotStuff's codec: decoding in place, recursive checks
 * of embedded frames (votes in QCs, timeouts in TCs, requests in batches,
 * proposals in BLOCKS), the signatures they carry, the block hash, and the
 * encoders.
 */
#include "hs_wire.h"

#include "err.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct hs_msg) <= WIRE_MSG_BODY_BYTES,
	       "struct hs_msg must fit a wire_msg's body");

#define HS_BLOCK_DOMAIN "byzlab/hs/block/v1" /* hashed with its NUL */

static bool hs_type_known(uint8_t type)
{
	return type >= HS_PROPOSAL && type <= HS_STATE;
}

static const char *hs_type_name(uint8_t type)
{
	static const char *const names[] = {
	    [HS_PROPOSAL] = "proposal", [HS_VOTE] = "vote",
	    [HS_TIMEOUT] = "timeout",	[HS_FETCH] = "fetch",
	    [HS_BLOCKS] = "blocks",	[HS_STATE_REQ] = "state-req",
	    [HS_STATE] = "state",
	};
	return hs_type_known(type) ? names[type] : "unknown";
}

/* view u64 >= 1 */
static int rd_view(struct wire_rd *r, uint64_t *view)
{
	int rc = wire_rd_u64(r, view);

	if (rc)
		return rc;
	return *view == 0 ? BYZ_EFIELD : 0;
}

/* A QC: view u64 (0 allowed: genesis), hash, list of VOTE frames. */
static int rd_qc(struct wire_rd *r, struct hs_qc *qc)
{
	const uint8_t *start = r->p;
	int rc;

	if ((rc = wire_rd_u64(r, &qc->view)) ||
	    (rc = wire_rd_bytes(r, BYZ_DIGEST_BYTES, &qc->hash)) ||
	    (rc = wire_rd_frames(r, HS_PROTO, HS_VOTE, HS_MAX_SIGNERS,
				 &qc->votes)))
		return rc;
	qc->bytes = start;
	qc->len = (size_t)(r->p - start);
	return 0;
}

int hs_qc_decode(const uint8_t *p, size_t len, struct hs_qc *qc)
{
	struct wire_rd r = {p, len};
	int rc = rd_qc(&r, qc);

	return rc ? rc : wire_rd_end(&r);
}

static int dec_proposal(struct wire_rd *r, struct hs_proposal *p)
{
	int rc;

	if ((rc = rd_view(r, &p->view)) || (rc = rd_qc(r, &p->justify)) ||
	    (rc = wire_rd_frames(r, HS_PROTO, HS_TIMEOUT, HS_MAX_SIGNERS,
				 &p->tc)))
		return rc;
	p->batch_bytes = r->p;
	if ((rc = wire_rd_frames(r, BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST,
				 HS_MAX_BATCH, &p->batch)))
		return rc;
	p->batch_len = (size_t)(r->p - p->batch_bytes);
	return wire_rd_end(r);
}

static int dec_vote(struct wire_rd *r, struct hs_vote *v)
{
	int rc;

	if ((rc = rd_view(r, &v->view)) ||
	    (rc = wire_rd_bytes(r, BYZ_DIGEST_BYTES, &v->hash)))
		return rc;
	return wire_rd_end(r);
}

static int dec_timeout(struct wire_rd *r, struct hs_timeout *t)
{
	int rc;

	if ((rc = rd_view(r, &t->view)) || (rc = rd_qc(r, &t->high)) ||
	    (rc = wire_rd_frames(r, HS_PROTO, HS_VOTE, 1, &t->vote)) ||
	    (rc = rd_qc(r, &t->commit)))
		return rc;
	return wire_rd_end(r);
}

static int dec_fetch(struct wire_rd *r, struct hs_fetch *f)
{
	int rc;

	if ((rc = wire_rd_bytes(r, BYZ_DIGEST_BYTES, &f->hash)) ||
	    (rc = wire_rd_u16(r, &f->count)))
		return rc;
	if (f->count == 0)
		return BYZ_EFIELD;
	if (f->count > HS_MAX_FETCH)
		return BYZ_ETOOBIG;
	return wire_rd_end(r);
}

static int dec_blocks(struct wire_rd *r, struct hs_blocks *b)
{
	int rc;

	if ((rc = wire_rd_frames(r, HS_PROTO, HS_PROPOSAL, HS_MAX_FETCH,
				 &b->blocks)))
		return rc;
	if (b->blocks.count == 0)
		return BYZ_EFIELD;
	return wire_rd_end(r);
}

static int dec_state_req(struct wire_rd *r, struct hs_state_req *q)
{
	int rc = wire_rd_u64(r, &q->depth);

	return rc ? rc : wire_rd_end(r);
}

static int dec_state(struct wire_rd *r, struct hs_state *st)
{
	int rc;

	/* Each field is checked as soon as it is read (docs/wire.md §5). */
	if ((rc = wire_rd_u64(r, &st->depth)))
		return rc;
	if (st->depth == 0)
		return BYZ_EFIELD;
	if ((rc = rd_view(r, &st->view)) ||
	    (rc = wire_rd_bytes(r, BYZ_DIGEST_BYTES, &st->hash)) ||
	    (rc = rd_qc(r, &st->commit)) ||
	    (rc = wire_rd_u32(r, &st->snapshot_len)) ||
	    (rc = wire_rd_bytes(r, st->snapshot_len, &st->snapshot)))
		return rc;
	return wire_rd_end(r);
}

static int hs_decode(const struct wire_frame *f, struct wire_msg *out)
{
	struct wire_rd r = {f->body, f->body_len};
	struct hs_msg *m = hs_of(out);

	switch (f->type) {
	case HS_PROPOSAL:
		return dec_proposal(&r, &m->prop);
	case HS_VOTE:
		return dec_vote(&r, &m->vote);
	case HS_TIMEOUT:
		return dec_timeout(&r, &m->timeout);
	case HS_FETCH:
		return dec_fetch(&r, &m->fetch);
	case HS_BLOCKS:
		return dec_blocks(&r, &m->blocks);
	case HS_STATE_REQ:
		return dec_state_req(&r, &m->state_req);
	case HS_STATE:
		return dec_state(&r, &m->state);
	}
	return BYZ_ETYPE;
}

/* The frames a message embeds, in body order (wire.h, for_each_embedded). */
static int hs_embedded(const struct wire_msg *msg, wire_frame_fn fn, void *ctx)
{
	const struct hs_msg *m = hs_of(msg);
	int rc;

	switch (msg->frame.type) {
	case HS_PROPOSAL:
		if ((rc = wire_frames_each(&m->prop.justify.votes, fn, ctx)) ||
		    (rc = wire_frames_each(&m->prop.tc, fn, ctx)))
			return rc;
		return wire_frames_each(&m->prop.batch, fn, ctx);
	case HS_TIMEOUT:
		if ((rc = wire_frames_each(&m->timeout.high.votes, fn, ctx)) ||
		    (rc = wire_frames_each(&m->timeout.vote, fn, ctx)))
			return rc;
		return wire_frames_each(&m->timeout.commit.votes, fn, ctx);
	case HS_BLOCKS:
		return wire_frames_each(&m->blocks.blocks, fn, ctx);
	case HS_STATE:
		return wire_frames_each(&m->state.commit.votes, fn, ctx);
	}
	return 0;
}

/* The view of a message; a BLOCKS answer's is its first block's; a FETCH,
 * STATE_REQ or STATE has none. In chained HotStuff the view is also the round
 * (PODC'19 §5: one view, one block, one vote), so hs_round is the same. */
static uint64_t hs_view(const struct wire_msg *m)
{
	const struct hs_msg *h = hs_of(m);
	struct wire_msg b;
	size_t pos = 0;

	switch (m->frame.type) {
	case HS_PROPOSAL:
		return h->prop.view;
	case HS_VOTE:
		return h->vote.view;
	case HS_TIMEOUT:
		return h->timeout.view;
	case HS_BLOCKS:
		return wire_frames_next(&h->blocks.blocks, &pos, &b) == 1
			   ? hs_of(&b)->prop.view
			   : 0;
	default:
		return 0;
	}
}

static struct hs_framev fv(const struct wire_framev *v)
{
	return (struct hs_framev){v->frames, v->lens, v->count};
}

/* A QC again, from its fields: it must give back its bytes. */
static int reencode_qc(const struct hs_qc *qc, struct wire_buf *q)
{
	struct wire_framev v;
	int rc;

	if ((rc = wire_frames_gather(&qc->votes, &v)))
		return rc;
	rc = hs_enc_qc(q, qc->view, qc->hash, fv(&v));
	wire_framev_free(&v);
	if (!rc && (q->len != qc->len || memcmp(q->data, qc->bytes, qc->len)))
		rc = BYZ_EFIELD;
	return rc;
}

/* m again, through the encoders (wire.h, reencode). */
static int hs_reencode(const struct wire_msg *m, struct wire_buf *b)
{
	const struct hs_msg *h = hs_of(m);
	uint32_t sender = m->frame.sender;
	struct wire_framev x = {0}, y = {0};
	struct wire_buf q, c;
	int rc = 0;

	wire_buf_init(&q, WIRE_MAX_FRAME);
	wire_buf_init(&c, WIRE_MAX_FRAME);
	switch (m->frame.type) {
	case HS_PROPOSAL:
		if (!(rc = reencode_qc(&h->prop.justify, &q)) &&
		    !(rc = wire_frames_gather(&h->prop.tc, &x)) &&
		    !(rc = wire_frames_gather(&h->prop.batch, &y)))
			rc = hs_enc_proposal(b, NULL, sender, h->prop.view,
					     q.data, q.len, fv(&x), fv(&y));
		break;
	case HS_VOTE:
		rc = hs_enc_vote(b, NULL, sender, h->vote.view, h->vote.hash);
		break;
	case HS_TIMEOUT:
		if (!(rc = reencode_qc(&h->timeout.high, &q)) &&
		    !(rc = reencode_qc(&h->timeout.commit, &c)) &&
		    !(rc = wire_frames_gather(&h->timeout.vote, &y)))
			rc = hs_enc_timeout_commit(
			    b, NULL, sender, h->timeout.view, q.data, q.len,
			    y.count ? y.frames[0] : NULL,
			    y.count ? y.lens[0] : 0, c.data, c.len);
		break;
	case HS_FETCH:
		rc = hs_enc_fetch(b, NULL, sender, h->fetch.hash,
				  h->fetch.count);
		break;
	case HS_STATE_REQ:
		rc = hs_enc_state_req(b, NULL, sender, h->state_req.depth);
		break;
	case HS_STATE:
		if (!(rc = reencode_qc(&h->state.commit, &c)))
			rc = hs_enc_state(b, NULL, sender, h->state.depth,
					  h->state.view, h->state.hash, c.data,
					  c.len, h->state.snapshot,
					  h->state.snapshot_len);
		break;
	default:
		if (!(rc = wire_frames_gather(&h->blocks.blocks, &x)))
			rc = hs_enc_blocks(b, NULL, sender, fv(&x));
		break;
	}
	wire_buf_free(&q);
	wire_buf_free(&c);
	wire_framev_free(&x);
	wire_framev_free(&y);
	return rc;
}

static int hs_describe(const struct wire_msg *m, char *buf, size_t len);

const struct wire_codec hotstuff_wire_codec = {
    .name = "hotstuff",
    .proto = HS_PROTO,
    .type_known = hs_type_known,
    .type_name = hs_type_name,
    .decode = hs_decode,
    .for_each_embedded = hs_embedded,
    .view = hs_view,
    .round = hs_view,
    .reencode = hs_reencode,
    .describe = hs_describe,
};

/* PODC'19 §4.1: a node is named by the hash of its content; its parent
 * (here always the block its justify certifies) is part of that content. */
void hs_block_hash(const struct hs_proposal *p, uint8_t out[BYZ_DIGEST_BYTES])
{
	crypto_generichash_state st;
	uint8_t le[16];

	for (int i = 0; i < 8; i++) {
		le[i] = (uint8_t)(p->view >> (8 * i));
		le[8 + i] = (uint8_t)(p->justify.view >> (8 * i));
	}
	crypto_generichash_init(&st, NULL, 0, BYZ_DIGEST_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)HS_BLOCK_DOMAIN,
				  sizeof HS_BLOCK_DOMAIN);
	crypto_generichash_update(&st, le, sizeof le);
	crypto_generichash_update(&st, p->justify.hash, BYZ_DIGEST_BYTES);
	crypto_generichash_update(&st, p->batch_bytes, p->batch_len);
	crypto_generichash_final(&st, out, BYZ_DIGEST_BYTES);
}

/* ---- encoders --------------------------------------------------------------
 */

static void put_framev(struct wire_buf *b, struct hs_framev v)
{
	if (v.count > UINT16_MAX) {
		b->err = b->err ? b->err : BYZ_ETOOBIG;
		return;
	}
	wire_put_u16(b, (uint16_t)v.count);
	for (size_t i = 0; i < v.count; i++)
		wire_put_frame(b, v.frames[i], v.lens[i]);
}

static int enc_done(struct wire_buf *b, size_t s, size_t *start)
{
	int rc = wire_end(b, s);

	if (!rc && start)
		*start = s;
	return rc;
}

/* A QC given as bytes must be one whole QC encoding. */
static int qc_ok(const uint8_t *qc, size_t len)
{
	struct hs_qc d;

	return qc ? hs_qc_decode(qc, len, &d) : BYZ_EFIELD;
}

int hs_enc_qc(struct wire_buf *b, uint64_t view,
	      const uint8_t hash[BYZ_DIGEST_BYTES], struct hs_framev votes)
{
	if (votes.count > HS_MAX_SIGNERS)
		return BYZ_EFIELD;
	wire_put_u64(b, view);
	wire_put_bytes(b, hash, BYZ_DIGEST_BYTES);
	put_framev(b, votes);
	return b->err;
}

int hs_enc_proposal(struct wire_buf *b, size_t *start, uint32_t sender,
		    uint64_t view, const uint8_t *qc, size_t qc_len,
		    struct hs_framev tc, struct hs_framev batch)
{
	size_t s;
	int rc;

	if (b->err)
		return b->err;
	if (view == 0 || tc.count > HS_MAX_SIGNERS ||
	    batch.count > HS_MAX_BATCH)
		return BYZ_EFIELD;
	if ((rc = qc_ok(qc, qc_len)))
		return rc;
	s = wire_begin(b, HS_PROTO, HS_PROPOSAL, sender);
	wire_put_u64(b, view);
	wire_put_bytes(b, qc, qc_len);
	put_framev(b, tc);
	put_framev(b, batch);
	return enc_done(b, s, start);
}

int hs_enc_vote(struct wire_buf *b, size_t *start, uint32_t sender,
		uint64_t view, const uint8_t hash[BYZ_DIGEST_BYTES])
{
	size_t s;

	if (b->err)
		return b->err;
	if (view == 0)
		return BYZ_EFIELD;
	s = wire_begin(b, HS_PROTO, HS_VOTE, sender);
	wire_put_u64(b, view);
	wire_put_bytes(b, hash, BYZ_DIGEST_BYTES);
	return enc_done(b, s, start);
}

int hs_enc_timeout(struct wire_buf *b, size_t *start, uint32_t sender,
		   uint64_t view, const uint8_t *qc, size_t qc_len,
		   const uint8_t *vote, size_t vote_len)
{
	return hs_enc_timeout_commit(b, start, sender, view, qc, qc_len, vote,
				     vote_len, NULL, 0);
}

/* A commit certificate's encoding, or the genesis QC when there is none
 * yet (TIMEOUT and STATE carry one). */
static void put_commit_qc(struct wire_buf *b, const uint8_t *cqc,
			  size_t cqc_len)
{
	static const uint8_t zero[BYZ_DIGEST_BYTES];

	if (cqc) {
		wire_put_bytes(b, cqc, cqc_len);
		return;
	}
	wire_put_u64(b, 0);
	wire_put_bytes(b, zero, BYZ_DIGEST_BYTES);
	wire_put_u16(b, 0);
}

int hs_enc_timeout_commit(struct wire_buf *b, size_t *start, uint32_t sender,
			  uint64_t view, const uint8_t *qc, size_t qc_len,
			  const uint8_t *vote, size_t vote_len,
			  const uint8_t *cqc, size_t cqc_len)
{
	size_t s;
	int rc;

	if (b->err)
		return b->err;
	if (view == 0)
		return BYZ_EFIELD;
	if ((rc = qc_ok(qc, qc_len)) || (cqc && (rc = qc_ok(cqc, cqc_len))))
		return rc;
	s = wire_begin(b, HS_PROTO, HS_TIMEOUT, sender);
	wire_put_u64(b, view);
	wire_put_bytes(b, qc, qc_len);
	wire_put_u16(b, vote ? 1 : 0);
	if (vote)
		wire_put_frame(b, vote, vote_len);
	put_commit_qc(b, cqc, cqc_len);
	return enc_done(b, s, start);
}

int hs_enc_fetch(struct wire_buf *b, size_t *start, uint32_t sender,
		 const uint8_t hash[BYZ_DIGEST_BYTES], uint16_t count)
{
	size_t s;

	if (b->err)
		return b->err;
	if (count == 0 || count > HS_MAX_FETCH)
		return BYZ_EFIELD;
	s = wire_begin(b, HS_PROTO, HS_FETCH, sender);
	wire_put_bytes(b, hash, BYZ_DIGEST_BYTES);
	wire_put_u16(b, count);
	return enc_done(b, s, start);
}

int hs_enc_state_req(struct wire_buf *b, size_t *start, uint32_t sender,
		     uint64_t depth)
{
	size_t s;

	if (b->err)
		return b->err;
	s = wire_begin(b, HS_PROTO, HS_STATE_REQ, sender);
	wire_put_u64(b, depth);
	return enc_done(b, s, start);
}

int hs_enc_state(struct wire_buf *b, size_t *start, uint32_t sender,
		 uint64_t depth, uint64_t view,
		 const uint8_t hash[BYZ_DIGEST_BYTES], const uint8_t *cqc,
		 size_t cqc_len, const uint8_t *snapshot, size_t snapshot_len)
{
	size_t s;
	int rc;

	if (b->err)
		return b->err;
	if (depth == 0 || view == 0)
		return BYZ_EFIELD;
	if (snapshot_len > WIRE_MAX_FRAME)
		return BYZ_ETOOBIG;
	if (cqc && (rc = qc_ok(cqc, cqc_len)))
		return rc;
	s = wire_begin(b, HS_PROTO, HS_STATE, sender);
	wire_put_u64(b, depth);
	wire_put_u64(b, view);
	wire_put_bytes(b, hash, BYZ_DIGEST_BYTES);
	put_commit_qc(b, cqc, cqc_len);
	wire_put_u32(b, (uint32_t)snapshot_len);
	wire_put_bytes(b, snapshot, snapshot_len);
	return enc_done(b, s, start);
}

int hs_enc_blocks(struct wire_buf *b, size_t *start, uint32_t sender,
		  struct hs_framev blocks)
{
	size_t s;

	if (b->err)
		return b->err;
	if (blocks.count == 0 || blocks.count > HS_MAX_FETCH)
		return BYZ_EFIELD;
	s = wire_begin(b, HS_PROTO, HS_BLOCKS, sender);
	put_framev(b, blocks);
	return enc_done(b, s, start);
}

/* ---- descriptions for people (golden traces) ------------------------------
 */

/* Append to buf at *at, cutting at len (buf stays NUL-terminated). */
static void say(char *buf, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (k > 0)
		*at += (size_t)k;
}

/* A hash by its first 4 bytes, "ab12cd34". */
static const char *short_hex(char hx[9], const uint8_t *h)
{
	byz_hex(hx, h, 4);
	return hx;
}

/* A QC: "v3:ab12cd34" (its view and the block it certifies), or "genesis". */
static void say_qc(char *buf, size_t len, size_t *at, const struct hs_qc *qc)
{
	char hx[9];

	if (qc->view == 0)
		say(buf, len, at, "genesis");
	else
		say(buf, len, at, "v%" PRIu64 ":%s", qc->view,
		    short_hex(hx, qc->hash));
}

/* A PROPOSAL: "v=4 b=ab12cd34 justify=v3:99aa0011 tc=v3x3 batch=c0/t1"
 * (PODC'19 Alg. 4: the block, the QC it extends, the TC that let the
 * leader in, the requests it carries). */
static void say_proposal(const struct hs_proposal *p, char *buf, size_t len,
			 size_t *at)
{
	uint8_t h[BYZ_DIGEST_BYTES];
	char hx[9];
	struct wire_msg r;
	size_t pos = 0;
	int first = 1;

	hs_block_hash(p, h);
	say(buf, len, at, "v=%" PRIu64 " b=%s justify=", p->view,
	    short_hex(hx, h));
	say_qc(buf, len, at, &p->justify);
	if (p->tc.count && wire_frames_next(&p->tc, &pos, &r) == 1)
		say(buf, len, at, " tc=v%" PRIu64 "x%u",
		    hs_of(&r)->timeout.view, p->tc.count);
	say(buf, len, at, " batch=");
	pos = 0;
	while (wire_frames_next(&p->batch, &pos, &r) == 1) {
		say(buf, len, at, "%sc%" PRIu32 "/t%" PRIu64, first ? "" : ",",
		    r.u.request.client, r.u.request.timestamp);
		first = 0;
	}
	if (first)
		say(buf, len, at, "-");
}

/* A HotStuff message's fields for people (struct wire_codec, describe). */
static int hs_describe(const struct wire_msg *m, char *buf, size_t len)
{
	const struct hs_msg *h = hs_of(m);
	struct wire_msg x;
	size_t at = 0, pos = 0;
	char hx[9];
	int first = 1;

	if (!len)
		return BYZ_EINVAL;
	buf[0] = 0;
	switch (m->frame.type) {
	case HS_PROPOSAL:
		say_proposal(&h->prop, buf, len, &at);
		break;
	case HS_VOTE:
		say(buf, len, &at, "v=%" PRIu64 " b=%s", h->vote.view,
		    short_hex(hx, h->vote.hash));
		break;
	case HS_TIMEOUT:
		/* The pacemaker's TIMEOUT: the view given up, the sender's
		 * highQC, and its latest vote if any. */
		say(buf, len, &at, "v=%" PRIu64 " high=", h->timeout.view);
		say_qc(buf, len, &at, &h->timeout.high);
		if (wire_frames_next(&h->timeout.vote, &pos, &x) == 1)
			say(buf, len, &at, " last-vote=v%" PRIu64,
			    hs_of(&x)->vote.view);
		if (h->timeout.commit.view) {
			say(buf, len, &at, " commit=");
			say_qc(buf, len, &at, &h->timeout.commit);
		}
		break;
	case HS_FETCH:
		say(buf, len, &at, "b=%s count=%u",
		    short_hex(hx, h->fetch.hash), h->fetch.count);
		break;
	case HS_BLOCKS:
		say(buf, len, &at, "views=");
		while (wire_frames_next(&h->blocks.blocks, &pos, &x) == 1) {
			say(buf, len, &at, "%s%" PRIu64, first ? "" : ",",
			    hs_of(&x)->prop.view);
			first = 0;
		}
		break;
	case HS_STATE_REQ:
		say(buf, len, &at, "depth=%" PRIu64, h->state_req.depth);
		break;
	case HS_STATE:
		say(buf, len, &at,
		    "depth=%" PRIu64 " v=%" PRIu64 " b=%s commit=",
		    h->state.depth, h->state.view,
		    short_hex(hx, h->state.hash));
		say_qc(buf, len, &at, &h->state.commit);
		say(buf, len, &at, " snapshot=%" PRIu32 "B",
		    h->state.snapshot_len);
		break;
	default:
		return BYZ_EINVAL;
	}
	return 0;
}
