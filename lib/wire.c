/*
 * wire.c - the canonical binary encoding of every byzlab message.
 *
 * docs/wire.md is the specification this file implements; wire.h is its C
 * face. Decoding reads front to back and stops at the first problem, so a
 * malformed input always yields the same error code:
 *
 *   - a fixed-size field, or the bytes a length field declares, that the
 *     input does not contain: BYZ_ETRUNC;
 *   - a field outside its range: BYZ_EFIELD (or BYZ_ETOOBIG for a length
 *     above its limit), checked as soon as the field is read;
 *   - more bytes than a frame header declares: BYZ_ELENGTH; bytes left in a
 *     body after its last field: BYZ_ETRAILING.
 *
 * Every load is bounds-checked against the input length before it happens,
 * and integers are assembled byte by byte (no unaligned casts).
 */
#include "wire.h"

#include "err.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest body: the whole signed frame must fit in WIRE_MAX_FRAME. */
#define WIRE_MAX_BODY (WIRE_MAX_FRAME - WIRE_HEADER_BYTES - BYZ_SIG_BYTES)
/* Header field offsets (wire.h, docs/wire.md "Frame"). */
#define OFF_MAGIC   0
#define OFF_VERSION 2
#define OFF_PROTO   3
#define OFF_TYPE    4
#define OFF_FLAGS   5
#define OFF_SENDER  6
#define OFF_LENGTH  10
#define BUF_MIN_CAP 64

/* Explicit little-endian loads and stores. */
static uint16_t ld_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t ld_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t ld_u64(const uint8_t *p)
{
	return (uint64_t)ld_u32(p) | (uint64_t)ld_u32(p + 4) << 32;
}

static void st_le(uint8_t *p, uint64_t v, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * The body cursor (wire.h): every read first checks that the bytes are
 * there, and answers BYZ_ETRUNC when they are not.
 */
int wire_rd_u8(struct wire_rd *r, uint8_t *v)
{
	if (r->left < 1)
		return BYZ_ETRUNC;
	*v = r->p[0];
	r->p += 1;
	r->left -= 1;
	return 0;
}

int wire_rd_u16(struct wire_rd *r, uint16_t *v)
{
	if (r->left < 2)
		return BYZ_ETRUNC;
	*v = ld_u16(r->p);
	r->p += 2;
	r->left -= 2;
	return 0;
}

int wire_rd_u32(struct wire_rd *r, uint32_t *v)
{
	if (r->left < 4)
		return BYZ_ETRUNC;
	*v = ld_u32(r->p);
	r->p += 4;
	r->left -= 4;
	return 0;
}

int wire_rd_u64(struct wire_rd *r, uint64_t *v)
{
	if (r->left < 8)
		return BYZ_ETRUNC;
	*v = ld_u64(r->p);
	r->p += 8;
	r->left -= 8;
	return 0;
}

int wire_rd_bytes(struct wire_rd *r, size_t n, const uint8_t **out)
{
	if (r->left < n)
		return BYZ_ETRUNC;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

int wire_rd_end(const struct wire_rd *r)
{
	return r->left ? BYZ_ETRAILING : 0;
}

/* The codec registered for a protocol byte (wire_codecs: lib/registry.c). */
const struct wire_codec *wire_codec_of(uint8_t proto)
{
	for (size_t i = 0; wire_codecs[i]; i++)
		if (wire_codecs[i]->proto == proto)
			return wire_codecs[i];
	return NULL;
}

/* Whether proto is the client's or a registered protocol's byte. */
static bool proto_known(uint8_t proto)
{
	return proto == BYZ_PROTO_CLIENT || wire_codec_of(proto) != NULL;
}

/* Whether type is a message type of proto (the client's, or as the
 * protocol's codec says). */
static bool type_known(uint8_t proto, uint8_t type)
{
	const struct wire_codec *c;

	if (proto == BYZ_PROTO_CLIENT)
		return type == WIRE_CLIENT_REQUEST || type == WIRE_CLIENT_REPLY;
	c = wire_codec_of(proto);
	return c && type >= 1 && type <= WIRE_MAX_TYPE && c->type_known(type);
}

/*
 * Check the header and the frame's extent, in the order of docs/wire.md
 * "Frame": length of the header, magic, version, protocol, type, flags,
 * the body length's limit, then that the input holds exactly the frame.
 * Used for top-level and embedded frames alike.
 */
int wire_frame_parse(const uint8_t *buf, size_t len, bool is_signed,
		     struct wire_frame *out)
{
	size_t sig_bytes = is_signed ? BYZ_SIG_BYTES : 0;
	uint32_t body_len;
	size_t extent;

	memset(out, 0, sizeof *out);
	if (!buf || len < WIRE_HEADER_BYTES)
		return BYZ_ETRUNC;
	if (buf[OFF_MAGIC] != 'B' || buf[OFF_MAGIC + 1] != 'Z')
		return BYZ_EMAGIC;
	if (buf[OFF_VERSION] != WIRE_VERSION)
		return BYZ_EVERSION;
	if (!proto_known(buf[OFF_PROTO]))
		return BYZ_EPROTO;
	if (!type_known(buf[OFF_PROTO], buf[OFF_TYPE]))
		return BYZ_ETYPE;
	if (buf[OFF_FLAGS] != 0)
		return BYZ_EFLAGS;
	body_len = ld_u32(buf + OFF_LENGTH);
	if (body_len > WIRE_MAX_BODY)
		return BYZ_ETOOBIG;
	extent = WIRE_HEADER_BYTES + (size_t)body_len + sig_bytes;
	if (len < extent)
		return BYZ_ETRUNC;
	if (len > extent)
		return BYZ_ELENGTH;

	out->proto = buf[OFF_PROTO];
	out->type = buf[OFF_TYPE];
	out->sender = ld_u32(buf + OFF_SENDER);
	out->bytes = buf;
	out->body = buf + WIRE_HEADER_BYTES;
	out->body_len = body_len;
	out->signed_len = WIRE_HEADER_BYTES + (size_t)body_len;
	out->sig = is_signed ? buf + out->signed_len : NULL;
	out->len = extent;
	return 0;
}

/* CLIENT REQUEST body: timestamp u64 >= 1, op length u16 in 1..WIRE_MAX_OP,
 * op bytes. */
static int dec_request(const struct wire_frame *f, struct wire_request *r)
{
	struct wire_rd rd = {f->body, f->body_len};
	int rc;

	r->client = f->sender;
	if ((rc = wire_rd_u64(&rd, &r->timestamp)))
		return rc;
	if (r->timestamp == 0)
		return BYZ_EFIELD;
	if ((rc = wire_rd_u16(&rd, &r->op_len)))
		return rc;
	if (r->op_len == 0)
		return BYZ_EFIELD;
	if (r->op_len > WIRE_MAX_OP)
		return BYZ_ETOOBIG;
	if ((rc = wire_rd_bytes(&rd, r->op_len, &r->op)))
		return rc;
	return rd.left ? BYZ_ETRAILING : 0;
}

/* CLIENT REPLY body: view u64, client u32, timestamp u64 >= 1, result
 * length u16 in 0..WIRE_MAX_RESULT, result bytes. */
static int dec_reply(const struct wire_frame *f, struct wire_reply *r)
{
	struct wire_rd rd = {f->body, f->body_len};
	int rc;

	if ((rc = wire_rd_u64(&rd, &r->view)))
		return rc;
	if ((rc = wire_rd_u32(&rd, &r->client)))
		return rc;
	if ((rc = wire_rd_u64(&rd, &r->timestamp)))
		return rc;
	if (r->timestamp == 0)
		return BYZ_EFIELD;
	if ((rc = wire_rd_u16(&rd, &r->result_len)))
		return rc;
	if (r->result_len > WIRE_MAX_RESULT)
		return BYZ_ETOOBIG;
	if ((rc = wire_rd_bytes(&rd, r->result_len, &r->result)))
		return rc;
	return rd.left ? BYZ_ETRAILING : 0;
}

/* Parse the frame, then decode its body by (protocol, type). */
static int wire_decode_frame(const uint8_t *buf, size_t len, bool is_signed,
			     struct wire_msg *out)
{
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = wire_frame_parse(buf, len, is_signed, &out->frame)))
		return rc;
	switch (out->frame.proto) {
	case BYZ_PROTO_CLIENT:
		if (out->frame.type == WIRE_CLIENT_REQUEST)
			return dec_request(&out->frame, &out->u.request);
		return dec_reply(&out->frame, &out->u.reply);
	default: {
		/* wire_frame_parse admits only types of known protocols. */
		const struct wire_codec *c = wire_codec_of(out->frame.proto);
		return c ? c->decode(&out->frame, out) : BYZ_ETYPE;
	}
	}
}

int wire_decode(const uint8_t *buf, size_t len, struct wire_msg *out)
{
	return wire_decode_frame(buf, len, true, out);
}

int wire_decode_unsigned(const uint8_t *buf, size_t len, struct wire_msg *out)
{
	return wire_decode_frame(buf, len, false, out);
}

struct sig_walk {
	wire_sig_fn fn;
	void *ctx;
};

/*
 * The sigref for a parsed signed frame: a CLIENT REQUEST is signed by a
 * client key, everything else by a replica key (docs/wire.md "Keys").
 */
static void sigref_of(const struct wire_frame *f, struct wire_sigref *ref)
{
	ref->proto = f->proto;
	ref->type = f->type;
	ref->role =
	    f->proto == BYZ_PROTO_CLIENT && f->type == WIRE_CLIENT_REQUEST
		? BYZ_ROLE_CLIENT
		: BYZ_ROLE_REPLICA;
	ref->signer = f->sender;
	ref->content = f->bytes;
	ref->len = f->signed_len;
	ref->sig = f->sig;
}

/* The signatures of one embedded frame: its own, then those it embeds. */
static int embedded_sigs(void *ctx, const struct wire_frame *f)
{
	const struct sig_walk *w = ctx;
	struct wire_msg m;
	int rc = wire_decode(f->bytes, f->len, &m);

	return rc ? rc : wire_for_each_sig(&m, w->fn, w->ctx);
}

/*
 * The frame's own signature (if it was decoded as signed), then those of
 * embedded frames in the order they appear in the body, each with its own
 * embedded ones (the codec names the frames; the recursion is here).
 */
int wire_for_each_sig(const struct wire_msg *m, wire_sig_fn fn, void *ctx)
{
	const struct wire_codec *c;
	struct wire_sigref ref;
	struct sig_walk w = {fn, ctx};
	int rc;

	if (m->frame.sig) {
		sigref_of(&m->frame, &ref);
		if ((rc = fn(ctx, &ref)))
			return rc;
	}
	c = wire_codec_of(m->frame.proto);
	if (c && c->for_each_embedded)
		return c->for_each_embedded(m, embedded_sigs, &w);
	return 0;
}

/* ---- embedded frames and lists of them (wire.h) ------------------------ */

/* Check one embedded frame of exactly len bytes: it decodes completely and
 * is of kind (proto, type). */
static int nested_check(const uint8_t *p, size_t len, uint8_t proto,
			uint8_t type, struct wire_frame *out)
{
	/* Each protocol's types bound the nesting (a NEW-VIEW holds
	 * VIEW-CHANGEs, which hold PRE-PREPAREs, which hold REQUESTs), but a
	 * codec's mistake must not become unbounded recursion on hostile input:
	 * refuse anything nested deeper than WIRE_MAX_DEPTH. */
	static _Thread_local unsigned depth;
	struct wire_msg m;
	int rc;

	if (depth >= WIRE_MAX_DEPTH)
		return BYZ_ENEST;
	depth++;
	rc = wire_decode(p, len, &m);
	depth--;
	if (rc)
		return rc;
	if (m.frame.proto != proto || m.frame.type != type)
		return BYZ_ENEST;
	*out = m.frame;
	return 0;
}

int wire_rd_frame(struct wire_rd *r, uint8_t proto, uint8_t type,
		  struct wire_frame *out)
{
	const uint8_t *p;
	uint32_t len;
	int rc;

	if ((rc = wire_rd_u32(r, &len)))
		return rc;
	if (len > WIRE_MAX_FRAME)
		return BYZ_ETOOBIG;
	if ((rc = wire_rd_bytes(r, len, &p)))
		return rc;
	return nested_check(p, len, proto, type, out);
}

int wire_rd_frames(struct wire_rd *r, uint8_t proto, uint8_t type, uint16_t max,
		   struct wire_frames *out)
{
	struct wire_frame f;
	const uint8_t *start;
	int rc;

	if ((rc = wire_rd_u16(r, &out->count)))
		return rc;
	if (out->count > max)
		return BYZ_ETOOBIG;
	start = r->p;
	for (uint16_t i = 0; i < out->count; i++)
		if ((rc = wire_rd_frame(r, proto, type, &f)))
			return rc;
	out->p = start;
	out->len = (size_t)(r->p - start);
	return 0;
}

int wire_frames_next(const struct wire_frames *l, size_t *pos,
		     struct wire_msg *m)
{
	size_t len;

	if (*pos >= l->len)
		return 0;
	/* Checked by wire_rd_frames: the length is there and the frame
	 * decodes. */
	len = ld_u32(l->p + *pos);
	if (wire_decode(l->p + *pos + 4, len, m))
		return 0;
	*pos += 4 + len;
	return 1;
}

int wire_frames_each(const struct wire_frames *l, wire_frame_fn fn, void *ctx)
{
	struct wire_msg m;
	size_t pos = 0;
	int rc;

	while (wire_frames_next(l, &pos, &m) == 1)
		if ((rc = fn(ctx, &m.frame)))
			return rc;
	return 0;
}

int wire_frames_gather(const struct wire_frames *l, struct wire_framev *v)
{
	struct wire_msg m;
	size_t pos = 0;

	v->count = 0;
	v->frames = calloc(l->count ? l->count : 1, sizeof *v->frames);
	v->lens = calloc(l->count ? l->count : 1, sizeof *v->lens);
	if (!v->frames || !v->lens) {
		wire_framev_free(v);
		return BYZ_ENOMEM;
	}
	while (v->count < l->count && wire_frames_next(l, &pos, &m) == 1) {
		v->frames[v->count] = m.frame.bytes;
		v->lens[v->count++] = m.frame.len;
	}
	if (v->count != l->count || pos != l->len) {
		wire_framev_free(v);
		return BYZ_EFIELD;
	}
	return 0;
}

void wire_framev_free(struct wire_framev *v)
{
	free(v->frames);
	free(v->lens);
	v->frames = NULL;
	v->lens = NULL;
	v->count = 0;
}

void wire_put_frame(struct wire_buf *b, const uint8_t *frame, size_t len)
{
	wire_put_u32(b, (uint32_t)len);
	wire_put_bytes(b, frame, len);
}

const char *wire_proto_name(uint8_t proto)
{
	const struct wire_codec *c = wire_codec_of(proto);

	if (proto == BYZ_PROTO_CLIENT)
		return "client";
	return c ? c->name : "unknown";
}

const char *wire_type_name(uint8_t proto, uint8_t type)
{
	if (!type_known(proto, type))
		return "unknown";
	if (proto == BYZ_PROTO_CLIENT)
		return type == WIRE_CLIENT_REQUEST ? "request" : "reply";
	return wire_codec_of(proto)->type_name(type);
}

void wire_buf_init(struct wire_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->err = 0;
}

void wire_buf_free(struct wire_buf *b)
{
	free(b->data);
	wire_buf_init(b, b->max);
}

void wire_buf_reset(struct wire_buf *b)
{
	b->len = 0;
	b->err = 0;
}

/*
 * Make room for n more bytes. Capacity doubles (from BUF_MIN_CAP) and is
 * clamped to max; growth past max fails with a sticky BYZ_ELIMIT, a failed
 * realloc with a sticky BYZ_ENOMEM. Returns whether the bytes fit.
 */
static bool buf_reserve(struct wire_buf *b, size_t n)
{
	size_t need, ncap;
	uint8_t *p;

	if (b->err)
		return false;
	if (n > b->max || b->len > b->max - n) {
		b->err = BYZ_ELIMIT;
		return false;
	}
	need = b->len + n;
	if (need <= b->cap)
		return true;
	ncap = b->cap ? b->cap : BUF_MIN_CAP;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	p = realloc(b->data, ncap);
	if (!p) {
		b->err = BYZ_ENOMEM;
		return false;
	}
	b->data = p;
	b->cap = ncap;
	return true;
}

/* Append an n-byte little-endian integer. */
static void put_le(struct wire_buf *b, uint64_t v, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	st_le(b->data + b->len, v, n);
	b->len += n;
}

void wire_put_u8(struct wire_buf *b, uint8_t v)
{
	put_le(b, v, 1);
}

void wire_put_u16(struct wire_buf *b, uint16_t v)
{
	put_le(b, v, 2);
}

void wire_put_u32(struct wire_buf *b, uint32_t v)
{
	put_le(b, v, 4);
}

void wire_put_u64(struct wire_buf *b, uint64_t v)
{
	put_le(b, v, 8);
}

/*
 * Append n bytes. p may point into b's own data (an ORDER embedding a
 * request encoded in the same buffer): it is then re-derived after growth,
 * which may move the data.
 */
void wire_put_bytes(struct wire_buf *b, const void *p, size_t n)
{
	uintptr_t src = (uintptr_t)p, base = (uintptr_t)b->data;
	bool inside = b->data && src >= base && src - base < b->len;
	size_t off = inside ? (size_t)(src - base) : 0;

	if (n == 0 || b->err)
		return;
	if (!p) {
		b->err = BYZ_EINVAL;
		return;
	}
	if (inside && n > b->len - off) {
		b->err = BYZ_EINVAL;
		return;
	}
	if (!buf_reserve(b, n))
		return;
	if (inside)
		p = b->data + off;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

size_t wire_begin(struct wire_buf *b, uint8_t proto, uint8_t type,
		  uint32_t sender)
{
	size_t start = b->len;

	wire_put_u8(b, 'B');
	wire_put_u8(b, 'Z');
	wire_put_u8(b, WIRE_VERSION);
	wire_put_u8(b, proto);
	wire_put_u8(b, type);
	wire_put_u8(b, 0); /* flags */
	wire_put_u32(b, sender);
	wire_put_u32(b, 0); /* body length, patched by wire_end */
	return start;
}

/*
 * Patch the body length of the frame begun at start. A body too large for
 * the signed frame to fit WIRE_MAX_FRAME is a sticky BYZ_ETOOBIG.
 */
int wire_end(struct wire_buf *b, size_t start)
{
	size_t body;

	if (b->err)
		return b->err;
	if (start > b->len || b->len - start < WIRE_HEADER_BYTES)
		return BYZ_EINVAL;
	body = b->len - start - WIRE_HEADER_BYTES;
	if (body > WIRE_MAX_BODY) {
		b->err = BYZ_ETOOBIG;
		return b->err;
	}
	st_le(b->data + start + OFF_LENGTH, body, 4);
	return 0;
}

int wire_end_checked(struct wire_buf *b, size_t start, size_t *out_start)
{
	struct wire_msg m;
	int rc;

	if ((rc = wire_end(b, start)))
		return rc;
	if ((rc = wire_decode_unsigned(b->data + start, b->len - start, &m))) {
		b->len = start; /* take it back */
		return rc;
	}
	if (out_start)
		*out_start = start;
	return 0;
}

/*
 * Sign the unsigned frame at [start, b->len) as its own (protocol, type)
 * and append the signature. The frame must parse: signing garbage is a
 * caller's bug and is refused with the parse error.
 */
int wire_sign(struct wire_buf *b, size_t start, const struct byz_keypair *kp)
{
	uint8_t sig[BYZ_SIG_BYTES];
	struct wire_frame f;
	int rc;

	if (b->err)
		return b->err;
	if (start > b->len || b->len - start < WIRE_HEADER_BYTES)
		return BYZ_EINVAL;
	if ((rc = wire_frame_parse(b->data + start, b->len - start, false, &f)))
		return rc;
	/* Sign into a local first: the append may move b->data. */
	byz_sign(kp, f.proto, f.type, f.bytes, f.signed_len, sig);
	wire_put_bytes(b, sig, sizeof sig);
	return b->err;
}

/* Finish an encoder: close the frame and report its start. */
static int enc_finish(struct wire_buf *b, size_t s, size_t *start)
{
	int rc = wire_end(b, s);

	if (rc == 0 && start)
		*start = s;
	return rc;
}

int wire_enc_request(struct wire_buf *b, size_t *start, uint32_t client,
		     uint64_t timestamp, const uint8_t *op, size_t op_len)
{
	size_t s;

	if (b->err)
		return b->err;
	if (timestamp == 0 || op_len == 0)
		return BYZ_EFIELD;
	if (op_len > WIRE_MAX_OP)
		return BYZ_ETOOBIG;
	if (!op)
		return BYZ_EINVAL;
	s = wire_begin(b, BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, client);
	wire_put_u64(b, timestamp);
	wire_put_u16(b, (uint16_t)op_len);
	wire_put_bytes(b, op, op_len);
	return enc_finish(b, s, start);
}

int wire_enc_reply(struct wire_buf *b, size_t *start, uint32_t replica,
		   uint64_t view, uint32_t client, uint64_t timestamp,
		   const uint8_t *result, size_t result_len)
{
	size_t s;

	if (b->err)
		return b->err;
	if (timestamp == 0)
		return BYZ_EFIELD;
	if (result_len > WIRE_MAX_RESULT)
		return BYZ_ETOOBIG;
	if (result_len && !result)
		return BYZ_EINVAL;
	s = wire_begin(b, BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, replica);
	wire_put_u64(b, view);
	wire_put_u32(b, client);
	wire_put_u64(b, timestamp);
	wire_put_u16(b, (uint16_t)result_len);
	wire_put_bytes(b, result, result_len);
	return enc_finish(b, s, start);
}

/* ---- descriptions for people -------------------------------------------- */

/* Up to 24 bytes of op or result, printable, in quotes. */
static void quoted(const uint8_t *p, size_t len, char *buf, size_t cap)
{
	size_t at = 0;

	if (cap < 8) {
		if (cap)
			buf[0] = 0;
		return;
	}
	buf[at++] = '\'';
	for (size_t i = 0; i < len && i < 24 && at + 6 < cap; i++)
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\'')
			buf[at++] = (char)p[i];
		else
			at += (size_t)snprintf(buf + at, cap - at, "\\x%02x",
					       p[i]);
	if (len > 24 && at + 5 < cap) {
		memcpy(buf + at, "...", 3);
		at += 3;
	}
	buf[at++] = '\'';
	buf[at] = 0;
}

void wire_describe(const struct wire_msg *m, char *buf, size_t cap)
{
	const struct wire_codec *c = wire_codec_of(m->frame.proto);
	size_t at;
	char q[128];

	if (!cap)
		return;
	snprintf(buf, cap, "%s/%s ", wire_proto_name(m->frame.proto),
		 wire_type_name(m->frame.proto, m->frame.type));
	at = strlen(buf);
	if (m->frame.proto == BYZ_PROTO_CLIENT &&
	    m->frame.type == WIRE_CLIENT_REQUEST) {
		quoted(m->u.request.op, m->u.request.op_len, q, sizeof q);
		snprintf(buf + at, cap - at, "c%" PRIu32 " t=%" PRIu64 " op=%s",
			 m->u.request.client, m->u.request.timestamp, q);
	} else if (m->frame.proto == BYZ_PROTO_CLIENT) {
		quoted(m->u.reply.result, m->u.reply.result_len, q, sizeof q);
		snprintf(buf + at, cap - at,
			 "v=%" PRIu64 " c%" PRIu32 " t=%" PRIu64 " result=%s",
			 m->u.reply.view, m->u.reply.client,
			 m->u.reply.timestamp, q);
	} else if (!c || !c->describe || c->describe(m, buf + at, cap - at)) {
		snprintf(buf + at, cap - at, "(%" PRIu32 " bytes)",
			 m->frame.body_len);
	}
}

void wire_describe_frame(const uint8_t *frame, size_t len, bool is_signed,
			 char *buf, size_t cap)
{
	struct wire_msg m;
	int rc = is_signed ? wire_decode(frame, len, &m)
			   : wire_decode_unsigned(frame, len, &m);

	if (rc)
		snprintf(buf, cap, "??? (%zu bytes: %s)", len,
			 byz_strerror(rc));
	else
		wire_describe(&m, buf, cap);
}
