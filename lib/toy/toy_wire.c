/*
 * toy_wire.c - the toy protocol's codec (toy_wire.h, docs/wire.md "Toy").
 */
#include "toy_wire.h"

#include "err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct toy_msg) <= WIRE_MSG_BODY_BYTES,
	       "struct toy_msg must fit a wire_msg's body");

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
static int dec_order(const struct wire_frame *f, struct toy_order *o)
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
static int dec_fetch(const struct wire_frame *f, struct toy_fetch *x)
{
	struct wire_rd rd = {f->body, f->body_len};
	int rc;

	if ((rc = wire_rd_u64(&rd, &x->seq)))
		return rc;
	if (x->seq == 0)
		return BYZ_EFIELD;
	return wire_rd_end(&rd);
}

static int toy_decode(const struct wire_frame *f, struct wire_msg *out)
{
	if (f->type == TOY_ORDER)
		return dec_order(f, &toy_of(out)->order);
	return dec_fetch(f, &toy_of(out)->fetch);
}

/* An ORDER embeds its request. */
static int toy_embedded(const struct wire_msg *m, wire_frame_fn fn, void *ctx)
{
	return m->frame.type == TOY_ORDER ? fn(ctx, &toy_of(m)->order.req_frame)
					  : 0;
}

static bool toy_type_known(uint8_t type)
{
	return type == TOY_ORDER || type == TOY_FETCH;
}

static const char *toy_type_name(uint8_t type)
{
	return type == TOY_ORDER ? "order" : "fetch";
}

/* The sequence number: the toy's only notion of progress. */
static uint64_t toy_round(const struct wire_msg *m)
{
	return m->frame.type == TOY_ORDER ? toy_of(m)->order.seq
					  : toy_of(m)->fetch.seq;
}

/* The toy has no views. */
static uint64_t toy_view(const struct wire_msg *m)
{
	(void)m;
	return 0;
}

static int toy_reencode(const struct wire_msg *m, struct wire_buf *b)
{
	const struct toy_msg *t = toy_of(m);

	if (m->frame.type == TOY_ORDER)
		return toy_enc_order(b, NULL, m->frame.sender, t->order.seq,
				     t->order.req_frame.bytes,
				     t->order.req_frame.len);
	return toy_enc_fetch(b, NULL, m->frame.sender, t->fetch.seq);
}

static int toy_describe(const struct wire_msg *m, char *buf, size_t len);

const struct wire_codec toy_wire_codec = {
    .name = "toy",
    .proto = TOY_PROTO,
    .type_known = toy_type_known,
    .type_name = toy_type_name,
    .decode = toy_decode,
    .for_each_embedded = toy_embedded,
    .view = toy_view,
    .round = toy_round,
    .reencode = toy_reencode,
    .describe = toy_describe,
};

int toy_enc_order(struct wire_buf *b, size_t *start, uint32_t leader,
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
	s = wire_begin(b, TOY_PROTO, TOY_ORDER, leader);
	wire_put_u64(b, seq);
	wire_put_u32(b, (uint32_t)req_len);
	wire_put_bytes(b, req_frame, req_len);
	if ((rc = wire_end(b, s)))
		return rc;
	if (start)
		*start = s;
	return 0;
}

int toy_enc_fetch(struct wire_buf *b, size_t *start, uint32_t sender,
		  uint64_t seq)
{
	size_t s;
	int rc;

	if (b->err)
		return b->err;
	if (seq == 0)
		return BYZ_EFIELD;
	s = wire_begin(b, TOY_PROTO, TOY_FETCH, sender);
	wire_put_u64(b, seq);
	if ((rc = wire_end(b, s)))
		return rc;
	if (start)
		*start = s;
	return 0;
}

/* A toy message's fields for people (struct wire_codec, describe):
 * "n=3 req=c0/t1" for an ORDER, "n=3" for a FETCH. */
static int toy_describe(const struct wire_msg *m, char *buf, size_t len)
{
	const struct toy_msg *t = toy_of(m);

	if (!len)
		return BYZ_EINVAL;
	if (m->frame.type == TOY_ORDER)
		snprintf(buf, len, "n=%" PRIu64 " req=c%" PRIu32 "/t%" PRIu64,
			 t->order.seq, t->order.req.client,
			 t->order.req.timestamp);
	else
		snprintf(buf, len, "n=%" PRIu64, t->fetch.seq);
	return 0;
}
