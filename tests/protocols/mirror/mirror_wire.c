/*
 * mirror_wire.c - the mirror protocol's codec (mirror_wire.h, docs/wire.md
 * "Mirror").
 */
#include "mirror_wire.h"

#include "err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct mirror_msg) <= WIRE_MSG_BODY_BYTES,
	       "struct mirror_msg must fit a wire_msg's body");

/*
 * An embedded signed CLIENT REQUEST of exactly len bytes: parsed by the
 * same code as a top-level frame, then its kind is checked (BYZ_ENEST),
 * then its body is decoded. Shared by the ORDER decoder and encoder.
 */
static int dec_nested_request(const uint8_t *p, size_t len,
			      struct wire_frame *f, struct wire_request *r)
{
	struct wire_msg m;
	int rc;

	if ((rc = wire_frame_parse(p, len, true, f)))
		return rc;
	if (f->proto != BYZ_PROTO_CLIENT || f->type != WIRE_CLIENT_REQUEST)
		return BYZ_ENEST;
	if ((rc = wire_decode(p, len, &m)))
		return rc;
	*r = m.u.request;
	return 0;
}

/* ORDER body: seq u64 >= 1, request frame length u32, the request. */
static int dec_order(const struct wire_frame *f, struct mirror_order *o)
{
	struct wire_rd rd = {f->body, f->body_len};
	const uint8_t *req;
	uint32_t req_len;
	int rc;

	if ((rc = wire_rd_u64(&rd, &o->seq)))
		return rc;
	if (o->seq == 0)
		return BYZ_EFIELD;
	if ((rc = wire_rd_u32(&rd, &req_len)))
		return rc;
	if (req_len > WIRE_MAX_FRAME)
		return BYZ_ETOOBIG;
	if ((rc = wire_rd_bytes(&rd, req_len, &req)))
		return rc;
	if ((rc = dec_nested_request(req, req_len, &o->req_frame, &o->req)))
		return rc;
	return wire_rd_end(&rd);
}

/* FETCH body: seq u64 >= 1. */
static int dec_fetch(const struct wire_frame *f, struct mirror_fetch *x)
{
	struct wire_rd rd = {f->body, f->body_len};
	int rc;

	if ((rc = wire_rd_u64(&rd, &x->seq)))
		return rc;
	if (x->seq == 0)
		return BYZ_EFIELD;
	return wire_rd_end(&rd);
}

static int mirror_decode(const struct wire_frame *f, struct wire_msg *out)
{
	if (f->type == MIRROR_ORDER)
		return dec_order(f, &mirror_of(out)->order);
	return dec_fetch(f, &mirror_of(out)->fetch);
}

/* An ORDER embeds its request. */
static int mirror_embedded(const struct wire_msg *m, wire_frame_fn fn,
			   void *ctx)
{
	return m->frame.type == MIRROR_ORDER
		   ? fn(ctx, &mirror_of(m)->order.req_frame)
		   : 0;
}

static bool mirror_type_known(uint8_t type)
{
	return type == MIRROR_ORDER || type == MIRROR_FETCH;
}

static const char *mirror_type_name(uint8_t type)
{
	return type == MIRROR_ORDER ? "order" : "fetch";
}

/* The sequence number: the mirror's only notion of progress. */
static uint64_t mirror_round(const struct wire_msg *m)
{
	return m->frame.type == MIRROR_ORDER ? mirror_of(m)->order.seq
					     : mirror_of(m)->fetch.seq;
}

/* The mirror has no views. */
static uint64_t mirror_view(const struct wire_msg *m)
{
	(void)m;
	return 0;
}

static int mirror_reencode(const struct wire_msg *m, struct wire_buf *b)
{
	const struct mirror_msg *t = mirror_of(m);

	if (m->frame.type == MIRROR_ORDER)
		return mirror_enc_order(b, NULL, m->frame.sender, t->order.seq,
					t->order.req_frame.bytes,
					t->order.req_frame.len);
	return mirror_enc_fetch(b, NULL, m->frame.sender, t->fetch.seq);
}

static int mirror_describe(const struct wire_msg *m, char *buf, size_t len);

const struct wire_codec mirror_wire_codec = {
    .name = "mirror",
    .proto = MIRROR_PROTO,
    .type_known = mirror_type_known,
    .type_name = mirror_type_name,
    .decode = mirror_decode,
    .for_each_embedded = mirror_embedded,
    .view = mirror_view,
    .round = mirror_round,
    .reencode = mirror_reencode,
    .describe = mirror_describe,
};

int mirror_enc_order(struct wire_buf *b, size_t *start, uint32_t leader,
		     uint64_t seq, const uint8_t *req_frame, size_t req_len)
{
	struct wire_frame f;
	struct wire_request r;
	size_t s;
	int rc;

	if (b->err)
		return b->err;
	if (seq == 0)
		return BYZ_EFIELD;
	if (req_len > WIRE_MAX_FRAME)
		return BYZ_ETOOBIG;
	if ((rc = dec_nested_request(req_frame, req_len, &f, &r)))
		return rc;
	s = wire_begin(b, MIRROR_PROTO, MIRROR_ORDER, leader);
	wire_put_u64(b, seq);
	wire_put_u32(b, (uint32_t)req_len);
	wire_put_bytes(b, req_frame, req_len);
	if ((rc = wire_end(b, s)))
		return rc;
	if (start)
		*start = s;
	return 0;
}

int mirror_enc_fetch(struct wire_buf *b, size_t *start, uint32_t sender,
		     uint64_t seq)
{
	size_t s;
	int rc;

	if (b->err)
		return b->err;
	if (seq == 0)
		return BYZ_EFIELD;
	s = wire_begin(b, MIRROR_PROTO, MIRROR_FETCH, sender);
	wire_put_u64(b, seq);
	if ((rc = wire_end(b, s)))
		return rc;
	if (start)
		*start = s;
	return 0;
}

/* A mirror message's fields for people (struct wire_codec, describe):
 * "n=3 req=c0/t1" for an ORDER, "n=3" for a FETCH. */
static int mirror_describe(const struct wire_msg *m, char *buf, size_t len)
{
	const struct mirror_msg *t = mirror_of(m);

	if (!len)
		return BYZ_EINVAL;
	if (m->frame.type == MIRROR_ORDER)
		snprintf(buf, len, "n=%" PRIu64 " req=c%" PRIu32 "/t%" PRIu64,
			 t->order.seq, t->order.req.client,
			 t->order.req.timestamp);
	else
		snprintf(buf, len, "n=%" PRIu64, t->fetch.seq);
	return 0;
}
