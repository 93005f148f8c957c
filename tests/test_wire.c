/*
 * test_wire.c - the wire format (lib/wire, docs/wire.md): round trips,
 * one crafted input per error code, truncation, signatures, the test
 * vector of docs/wire.md, and wire_buf's bound.
 */
#include "core.h"
#include "crypto.h"
#include "toy/toy_wire.h"
#include "pbft/pbft_wire.h"
#include "hotstuff/hs_wire.h"
#include "err.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SEED	 1
#define BIG	 (2 * WIRE_MAX_FRAME)
#define MAX_BODY (WIRE_MAX_FRAME - WIRE_HEADER_BYTES - BYZ_SIG_BYTES)

static void setup(void)
{
	cr_assert_eq(byz_crypto_init(), 0);
}

TestSuite(wire, .init = setup);

/* ---- helpers ---------------------------------------------------------- */

/* The key of (role, id) in the test cluster. */
static struct byz_keypair key(enum byz_role role, uint32_t id)
{
	struct byz_keypair kp;

	byz_key_derive(&kp, SEED, role, id);
	return kp;
}

/* Sign the frame at [s, b->len) with the key its sender should use. */
static void sign_as(struct wire_buf *b, size_t s, enum byz_role role,
		    uint32_t id)
{
	struct byz_keypair kp = key(role, id);

	cr_assert_eq(wire_sign(b, s, &kp), 0);
}

/* A signed CLIENT REQUEST appended to b. */
static void signed_request(struct wire_buf *b, uint32_t client, uint64_t ts,
			   const char *op)
{
	size_t s;

	cr_assert_eq(wire_enc_request(b, &s, client, ts, (const uint8_t *)op,
				      strlen(op)),
		     0);
	sign_as(b, s, BYZ_ROLE_CLIENT, client);
}

/* A frame header with every field settable, including wrong ones. */
struct hdr {
	uint8_t m0, m1, version, proto, type, flags;
	uint32_t sender;
	int64_t length; /* -1: the body's real length */
};

static struct hdr hdr_of(uint8_t proto, uint8_t type, uint32_t sender)
{
	struct hdr h = {'B', 'Z', WIRE_VERSION, proto, type, 0, sender, -1};
	return h;
}

/* Append header h and body, then a real signature (by a replica key). */
static void craft(struct wire_buf *b, const struct hdr *h, const void *body,
		  size_t body_len)
{
	struct byz_keypair kp = key(BYZ_ROLE_REPLICA, h->sender);
	uint8_t sig[BYZ_SIG_BYTES];
	size_t s = b->len;

	wire_put_u8(b, h->m0);
	wire_put_u8(b, h->m1);
	wire_put_u8(b, h->version);
	wire_put_u8(b, h->proto);
	wire_put_u8(b, h->type);
	wire_put_u8(b, h->flags);
	wire_put_u32(b, h->sender);
	wire_put_u32(b,
		     h->length < 0 ? (uint32_t)body_len : (uint32_t)h->length);
	wire_put_bytes(b, body, body_len);
	byz_sign(&kp, h->proto, h->type, b->data + s, b->len - s, sig);
	wire_put_bytes(b, sig, sizeof sig);
	cr_assert_eq(b->err, 0);
}

/* Decode a copy of p in a buffer of exactly n bytes (ASan sees overreads). */
static int decode_exact(const uint8_t *p, size_t n, bool is_signed)
{
	uint8_t *copy = malloc(n ? n : 1);
	struct wire_msg m;
	int rc;

	cr_assert_not_null(copy);
	if (n)
		memcpy(copy, p, n);
	rc = is_signed ? wire_decode(copy, n, &m)
		       : wire_decode_unsigned(copy, n, &m);
	free(copy);
	return rc;
}

/* Decode the signed frame in b and expect code. */
static void expect_decode(const struct wire_buf *b, int code, const char *what)
{
	int rc = decode_exact(b->data, b->len, true);

	cr_expect_eq(rc, code, "%s: expected %s, got %s", what,
		     byz_errname(code), byz_errname(rc));
}

/* A crafted signed frame (header h, body) must fail with code. */
static void expect_crafted(const struct hdr *h, const struct wire_buf *body,
			   int code, const char *what)
{
	struct wire_buf b;

	wire_buf_init(&b, BIG);
	craft(&b, h, body->data, body->len);
	expect_decode(&b, code, what);
	wire_buf_free(&b);
}

/* An ORDER (seq 1, from replica 0) whose body holds nested, length req_len. */
static void expect_order_around(const uint8_t *nested, size_t n,
				uint32_t req_len, int code, const char *what)
{
	struct hdr h = hdr_of(TOY_PROTO, TOY_ORDER, 0);
	struct wire_buf body;

	wire_buf_init(&body, BIG);
	wire_put_u64(&body, 1);
	wire_put_u32(&body, req_len);
	wire_put_bytes(&body, nested, n);
	expect_crafted(&h, &body, code, what);
	wire_buf_free(&body);
}

/* Re-encode a decoded message's unsigned frame. */
static int reencode(const struct wire_msg *m, struct wire_buf *b)
{
	const struct wire_frame *f = &m->frame;

	if (f->proto == BYZ_PROTO_CLIENT && f->type == WIRE_CLIENT_REQUEST)
		return wire_enc_request(b, NULL, m->u.request.client,
					m->u.request.timestamp, m->u.request.op,
					m->u.request.op_len);
	if (f->proto == BYZ_PROTO_CLIENT && f->type == WIRE_CLIENT_REPLY)
		return wire_enc_reply(b, NULL, f->sender, m->u.reply.view,
				      m->u.reply.client, m->u.reply.timestamp,
				      m->u.reply.result, m->u.reply.result_len);
	if (f->proto == TOY_PROTO && f->type == TOY_ORDER)
		return toy_enc_order(b, NULL, f->sender, toy_of(m)->order.seq,
				     toy_of(m)->order.req_frame.bytes,
				     toy_of(m)->order.req_frame.len);
	return toy_enc_fetch(b, NULL, f->sender, toy_of(m)->fetch.seq);
}

/* Decode [p, p+n) signed and unsigned-prefix; both must re-encode to it. */
static void expect_canonical(const uint8_t *p, size_t n)
{
	struct wire_msg m;
	struct wire_buf b;

	cr_assert_eq(wire_decode(p, n, &m), 0);
	cr_assert_eq(m.frame.len, n);
	wire_buf_init(&b, BIG);
	cr_assert_eq(reencode(&m, &b), 0);
	cr_assert_eq(b.len, m.frame.signed_len);
	cr_assert_eq(memcmp(b.data, p, b.len), 0);
	wire_put_bytes(&b, m.frame.sig, BYZ_SIG_BYTES);
	cr_assert_eq(b.len, n);
	cr_assert_eq(memcmp(b.data, p, n), 0);

	cr_assert_eq(wire_decode_unsigned(p, m.frame.signed_len, &m), 0);
	cr_assert_null(m.frame.sig);
	wire_buf_reset(&b);
	cr_assert_eq(reencode(&m, &b), 0);
	cr_assert_eq(b.len, m.frame.signed_len);
	cr_assert_eq(memcmp(b.data, p, b.len), 0);
	wire_buf_free(&b);
}

/* Verify one sigref with the test cluster's key for its role and signer. */
static int verify_ref(void *ctx, const struct wire_sigref *ref)
{
	struct byz_keypair kp = key(ref->role, ref->signer);
	unsigned *count = ctx;

	(*count)++;
	return byz_verify(kp.pk, ref->proto, ref->type, ref->content, ref->len,
			  ref->sig);
}

/* 0 if every signature p carries verifies; BYZ_EBADSIG or a decode error
 * otherwise. */
static int decode_and_verify(const uint8_t *p, size_t n)
{
	struct wire_msg m;
	unsigned count = 0;
	int rc = wire_decode(p, n, &m);

	if (rc)
		return rc;
	return wire_for_each_sig(&m, verify_ref, &count);
}

/* One valid signed frame of each message type, from real encoders. */
enum { F_REQUEST, F_REPLY, F_ORDER, F_FETCH, F_COUNT };

static void sample_frame(struct wire_buf *b, int which)
{
	struct wire_buf req;
	size_t s;

	switch (which) {
	case F_REQUEST:
		signed_request(b, 3, 17, "put k v");
		break;
	case F_REPLY:
		cr_assert_eq(wire_enc_reply(b, &s, 2, 9, 3, 17,
					    (const uint8_t *)"ok", 2),
			     0);
		sign_as(b, s, BYZ_ROLE_REPLICA, 2);
		break;
	case F_ORDER:
		wire_buf_init(&req, BIG);
		signed_request(&req, 3, 17, "put k v");
		cr_assert_eq(toy_enc_order(b, &s, 1, 5, req.data, req.len), 0);
		sign_as(b, s, BYZ_ROLE_REPLICA, 1);
		wire_buf_free(&req);
		break;
	default:
		cr_assert_eq(toy_enc_fetch(b, &s, 0, 5), 0);
		sign_as(b, s, BYZ_ROLE_REPLICA, 0);
		break;
	}
}

/* ---- round trips ------------------------------------------------------ */

Test(wire, request_round_trip)
{
	static uint8_t op[WIRE_MAX_OP];
	struct wire_buf b;
	struct wire_msg m;
	size_t s;

	for (size_t i = 0; i < sizeof op; i++)
		op[i] = (uint8_t)(i * 7);
	wire_buf_init(&b, BIG);
	cr_assert_eq(
	    wire_enc_request(&b, &s, UINT32_MAX, UINT64_MAX, op, sizeof op), 0);
	cr_assert_eq(s, 0);
	sign_as(&b, s, BYZ_ROLE_CLIENT, UINT32_MAX);
	cr_assert_eq(wire_decode(b.data, b.len, &m), 0);
	cr_assert_eq(m.frame.proto, BYZ_PROTO_CLIENT);
	cr_assert_eq(m.frame.type, WIRE_CLIENT_REQUEST);
	cr_assert_eq(m.frame.sender, UINT32_MAX);
	cr_assert_eq(m.frame.bytes, b.data);
	cr_assert_eq(m.frame.body, b.data + WIRE_HEADER_BYTES);
	cr_assert_eq(m.frame.body_len, 8 + 2 + WIRE_MAX_OP);
	cr_assert_eq(m.frame.signed_len,
		     WIRE_HEADER_BYTES + 8 + 2 + WIRE_MAX_OP);
	cr_assert_eq(m.frame.sig, b.data + m.frame.signed_len);
	cr_assert_eq(m.frame.len, b.len);
	cr_assert_eq(m.u.request.client, UINT32_MAX);
	cr_assert_eq(m.u.request.timestamp, UINT64_MAX);
	cr_assert_eq(m.u.request.op_len, WIRE_MAX_OP);
	cr_assert_eq(memcmp(m.u.request.op, op, sizeof op), 0);
	cr_assert(m.u.request.op >= b.data && m.u.request.op < b.data + b.len,
		  "decoding works in place");
	expect_canonical(b.data, b.len);

	wire_buf_reset(&b);
	signed_request(&b, 0, 1, "x");
	cr_assert_eq(wire_decode(b.data, b.len, &m), 0);
	cr_assert_eq(m.u.request.op_len, 1);
	cr_assert_eq(m.u.request.op[0], 'x');
	expect_canonical(b.data, b.len);
	wire_buf_free(&b);
}

Test(wire, reply_round_trip)
{
	static uint8_t res[WIRE_MAX_RESULT];
	const size_t lens[] = {0, 1, 2, WIRE_MAX_RESULT};
	struct wire_buf b;
	struct wire_msg m;
	size_t s;

	memset(res, 'r', sizeof res);
	wire_buf_init(&b, BIG);
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		wire_buf_reset(&b);
		cr_assert_eq(wire_enc_reply(&b, &s, 6, UINT64_MAX - i, 40 + i,
					    1 + i, lens[i] ? res : NULL,
					    lens[i]),
			     0);
		sign_as(&b, s, BYZ_ROLE_REPLICA, 6);
		cr_assert_eq(wire_decode(b.data, b.len, &m), 0);
		cr_assert_eq(m.frame.proto, BYZ_PROTO_CLIENT);
		cr_assert_eq(m.frame.type, WIRE_CLIENT_REPLY);
		cr_assert_eq(m.frame.sender, 6);
		cr_assert_eq(m.u.reply.view, UINT64_MAX - i);
		cr_assert_eq(m.u.reply.client, 40 + i);
		cr_assert_eq(m.u.reply.timestamp, 1 + i);
		cr_assert_eq(m.u.reply.result_len, lens[i]);
		cr_assert_eq(memcmp(m.u.reply.result, res, lens[i]), 0);
		expect_canonical(b.data, b.len);
	}
	wire_buf_free(&b);
}

Test(wire, toy_order_round_trip)
{
	struct wire_buf b, req;
	struct wire_msg m;
	size_t s;

	wire_buf_init(&b, BIG);
	wire_buf_init(&req, BIG);
	signed_request(&req, 9, 123, "put key value");
	wire_put_u8(&b, 0xee); /* the frame need not start at offset 0 */
	cr_assert_eq(toy_enc_order(&b, &s, 2, UINT64_MAX, req.data, req.len),
		     0);
	cr_assert_eq(s, 1);
	sign_as(&b, s, BYZ_ROLE_REPLICA, 2);
	cr_assert_eq(wire_decode(b.data + s, b.len - s, &m), 0);
	cr_assert_eq(m.frame.proto, TOY_PROTO);
	cr_assert_eq(m.frame.type, TOY_ORDER);
	cr_assert_eq(m.frame.sender, 2);
	cr_assert_eq(toy_of(&m)->order.seq, UINT64_MAX);
	cr_assert_eq(toy_of(&m)->order.req_frame.len, req.len);
	cr_assert_eq(toy_of(&m)->order.req_frame.bytes, b.data + s + 14 + 12);
	cr_assert_eq(
	    memcmp(toy_of(&m)->order.req_frame.bytes, req.data, req.len), 0);
	cr_assert_eq(toy_of(&m)->order.req_frame.sender, 9);
	cr_assert_not_null(toy_of(&m)->order.req_frame.sig);
	cr_assert_eq(toy_of(&m)->order.req.client, 9);
	cr_assert_eq(toy_of(&m)->order.req.timestamp, 123);
	cr_assert_eq(toy_of(&m)->order.req.op_len, 13);
	cr_assert_eq(memcmp(toy_of(&m)->order.req.op, "put key value", 13), 0);
	expect_canonical(b.data + s, b.len - s);
	wire_buf_free(&b);
	wire_buf_free(&req);
}

Test(wire, toy_fetch_round_trip)
{
	const uint64_t seqs[] = {1, 2, 0x0102030405060708ull, UINT64_MAX};
	struct wire_buf b;
	struct wire_msg m;
	size_t s;

	wire_buf_init(&b, BIG);
	for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
		wire_buf_reset(&b);
		cr_assert_eq(toy_enc_fetch(&b, &s, (uint32_t)i, seqs[i]), 0);
		sign_as(&b, s, BYZ_ROLE_REPLICA, (uint32_t)i);
		cr_assert_eq(b.len, 14 + 8 + 64);
		cr_assert_eq(wire_decode(b.data, b.len, &m), 0);
		cr_assert_eq(m.frame.sender, i);
		cr_assert_eq(toy_of(&m)->fetch.seq, seqs[i]);
		expect_canonical(b.data, b.len);
		if (i == 2) {
			/* Little-endian, byte by byte. */
			cr_assert_eq(b.data[14], 0x08);
			cr_assert_eq(b.data[21], 0x01);
		}
	}
	wire_buf_free(&b);
}

Test(wire, order_embeds_request_from_same_buffer)
{
	struct wire_buf b;
	struct wire_msg m;
	size_t s, req_start, req_len;

	/* Appending the copy outgrows the capacity, so the data moves. */
	wire_buf_init(&b, BIG);
	signed_request(&b, 1, 2, "put a b");
	req_start = 0;
	req_len = b.len;
	cr_assert_eq(toy_enc_order(&b, &s, 0, 1, b.data + req_start, req_len),
		     0);
	sign_as(&b, s, BYZ_ROLE_REPLICA, 0);
	cr_assert_eq(wire_decode(b.data + s, b.len - s, &m), 0);
	cr_assert_eq(memcmp(toy_of(&m)->order.req_frame.bytes, b.data, req_len),
		     0);
	wire_buf_free(&b);
}

Test(wire, test_vector)
{
	/* docs/wire.md, "Test vector": client 0, timestamp 1, op "put k v",
	 * key byz_key_derive(seed 1, BYZ_ROLE_CLIENT, 0). */
	static const char pk_hex[] = "1fe516bf7d54279242d70e2501c1c2a8"
				     "b95c8422d5b50230e9327e285191f2a9";
	static const char frame_hex[] = "425a0100010000000000110000000100"
					"0000000000000700707574206b20761c"
					"c26c073c99c1e4287fcc8e225bc8ee68"
					"448b50405082b6f976f43b9f5a0f11b0"
					"1583772a13625721b957a2d23371ed7d"
					"13ef48b10e4fa944f47db85ecd5405";
	struct byz_keypair kp = key(BYZ_ROLE_CLIENT, 0);
	char hex[2 * 95 + 1];
	struct wire_buf b;
	struct wire_msg m;

	byz_hex(hex, kp.pk, sizeof kp.pk);
	cr_assert_str_eq(hex, pk_hex);
	wire_buf_init(&b, BIG);
	signed_request(&b, 0, 1, "put k v");
	cr_assert_eq(b.len, 95);
	byz_hex(hex, b.data, b.len);
	cr_assert_str_eq(hex, frame_hex);
	cr_assert_eq(wire_decode(b.data, b.len, &m), 0);
	cr_assert_eq(byz_verify(kp.pk, BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST,
				b.data, 31, b.data + 31),
		     0);
	wire_buf_free(&b);
}

/* ---- malformed input: one code per kind ------------------------------- */

Test(wire, header_errors)
{
	struct wire_buf body, b;
	struct hdr h;

	wire_buf_init(&body, BIG);
	wire_buf_init(&b, BIG);
	wire_put_u64(&body, 1); /* a valid FETCH body */

	h = hdr_of(TOY_PROTO, TOY_FETCH, 0);
	expect_crafted(&h, &body, 0, "valid fetch");
	h.m0 = 'b';
	expect_crafted(&h, &body, BYZ_EMAGIC, "magic byte 0");
	h = hdr_of(TOY_PROTO, TOY_FETCH, 0);
	h.m1 = 'z';
	expect_crafted(&h, &body, BYZ_EMAGIC, "magic byte 1");
	h = hdr_of(TOY_PROTO, TOY_FETCH, 0);
	h.version = 0;
	expect_crafted(&h, &body, BYZ_EVERSION, "version 0");
	h.version = 2;
	expect_crafted(&h, &body, BYZ_EVERSION, "version 2");
	h = hdr_of(6, 1, 0);
	expect_crafted(&h, &body, BYZ_EPROTO, "protocol 6");
	h = hdr_of(0xff, 1, 0);
	expect_crafted(&h, &body, BYZ_EPROTO, "protocol 255");
	h = hdr_of(BYZ_PROTO_CLIENT, 0, 0);
	expect_crafted(&h, &body, BYZ_ETYPE, "client type 0");
	h = hdr_of(BYZ_PROTO_CLIENT, 3, 0);
	expect_crafted(&h, &body, BYZ_ETYPE, "client type 3");
	h = hdr_of(TOY_PROTO, 0, 0);
	expect_crafted(&h, &body, BYZ_ETYPE, "toy type 0");
	h = hdr_of(TOY_PROTO, 0xff, 0);
	expect_crafted(&h, &body, BYZ_ETYPE, "toy type 255");
	for (unsigned t = 0; t < 256; t++) {
		if (t == 0 || t > PBFT_VCS) {
			h = hdr_of(PBFT_PROTO, (uint8_t)t, 0);
			expect_crafted(&h, &body, BYZ_ETYPE,
				       "pbft types are 1..10");
		}
		if (t == 0 || t > HS_STATE) {
			h = hdr_of(HS_PROTO, (uint8_t)t, 0);
			expect_crafted(&h, &body, BYZ_ETYPE,
				       "hotstuff types are 1..7");
		}
	}
	for (unsigned bit = 0; bit < 8; bit++) {
		h = hdr_of(TOY_PROTO, TOY_FETCH, 0);
		h.flags = (uint8_t)(1u << bit);
		expect_crafted(&h, &body, BYZ_EFLAGS, "a flag bit");
	}
	h = hdr_of(TOY_PROTO, TOY_FETCH, 0);
	h.length = 0xffffffff;
	expect_crafted(&h, &body, BYZ_ETOOBIG, "length u32 max");
	h.length = MAX_BODY + 1;
	expect_crafted(&h, &body, BYZ_ETOOBIG, "length just over the limit");
	h.length = 9;
	expect_crafted(&h, &body, BYZ_ETRUNC, "length one more than input");
	h.length = 7;
	expect_crafted(&h, &body, BYZ_ELENGTH, "length one less than input");

	/* Extra bytes after a whole signed frame. */
	h = hdr_of(TOY_PROTO, TOY_FETCH, 0);
	craft(&b, &h, body.data, body.len);
	wire_put_u8(&b, 0);
	expect_decode(&b, BYZ_ELENGTH, "a byte after the signature");
	/* A signed frame read as unsigned has 64 bytes too many. */
	cr_assert_eq(decode_exact(b.data, b.len - 1, false), BYZ_ELENGTH);
	/* An unsigned frame read as signed lacks its signature. */
	cr_assert_eq(decode_exact(b.data, b.len - 65, true), BYZ_ETRUNC);

	/* Checks run in header order: the first fault found wins. */
	h = hdr_of(9, 9, 0);
	h.version = 7;
	h.flags = 1;
	expect_crafted(&h, &body, BYZ_EVERSION, "version before protocol");
	h.version = 1;
	expect_crafted(&h, &body, BYZ_EPROTO, "protocol before type");
	h = hdr_of(TOY_PROTO, 9, 0);
	h.flags = 1;
	expect_crafted(&h, &body, BYZ_ETYPE, "type before flags");
	h = hdr_of(TOY_PROTO, TOY_FETCH, 0);
	h.flags = 1;
	h.length = 0xffffffff;
	expect_crafted(&h, &body, BYZ_EFLAGS, "flags before length");

	cr_assert_eq(wire_decode(NULL, 0, &(struct wire_msg){0}), BYZ_ETRUNC);
	wire_buf_free(&body);
	wire_buf_free(&b);
}

Test(wire, request_body_errors)
{
	static uint8_t big[WIRE_MAX_OP + 1];
	struct hdr h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	struct wire_buf body;

	wire_buf_init(&body, BIG);
	expect_crafted(&h, &body, BYZ_ETRUNC, "empty body");
	wire_put_u32(&body, 1);
	expect_crafted(&h, &body, BYZ_ETRUNC, "half a timestamp");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u8(&body, 1);
	expect_crafted(&h, &body, BYZ_ETRUNC, "half an op length");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u16(&body, 3);
	wire_put_bytes(&body, "ab", 2);
	expect_crafted(&h, &body, BYZ_ETRUNC, "op shorter than its length");
	wire_put_bytes(&body, "c", 1);
	expect_crafted(&h, &body, 0, "op of its length");
	wire_put_bytes(&body, "d", 1);
	expect_crafted(&h, &body, BYZ_ETRAILING, "op longer than its length");

	wire_buf_reset(&body);
	wire_put_u64(&body, 0);
	wire_put_u16(&body, 1);
	wire_put_u8(&body, 'x');
	expect_crafted(&h, &body, BYZ_EFIELD, "timestamp 0");
	wire_buf_reset(&body);
	wire_put_u64(&body, 0);
	expect_crafted(&h, &body, BYZ_EFIELD, "timestamp 0, checked first");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u16(&body, 0);
	expect_crafted(&h, &body, BYZ_EFIELD, "op length 0");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u16(&body, WIRE_MAX_OP + 1);
	memset(big, 'o', sizeof big);
	wire_put_bytes(&body, big, sizeof big);
	expect_crafted(&h, &body, BYZ_ETOOBIG, "op over WIRE_MAX_OP");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u16(&body, 0xffff);
	expect_crafted(&h, &body, BYZ_ETOOBIG, "limit checked before bytes");
	wire_buf_free(&body);
}

Test(wire, reply_body_errors)
{
	static uint8_t big[WIRE_MAX_RESULT + 1];
	struct hdr h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, 1);
	struct wire_buf body;

	wire_buf_init(&body, BIG);
	wire_put_u64(&body, 0);
	wire_put_u32(&body, 0);
	expect_crafted(&h, &body, BYZ_ETRUNC, "no timestamp");
	wire_put_u64(&body, 1);
	expect_crafted(&h, &body, BYZ_ETRUNC, "no result length");
	wire_put_u16(&body, 0);
	expect_crafted(&h, &body, 0, "empty result");
	wire_put_u8(&body, 0);
	expect_crafted(&h, &body, BYZ_ETRAILING, "byte after empty result");

	wire_buf_reset(&body);
	wire_put_u64(&body, 0);
	wire_put_u32(&body, 0);
	wire_put_u64(&body, 0);
	wire_put_u16(&body, 0);
	expect_crafted(&h, &body, BYZ_EFIELD, "timestamp 0");

	wire_buf_reset(&body);
	wire_put_u64(&body, 0);
	wire_put_u32(&body, 0);
	wire_put_u64(&body, 1);
	wire_put_u16(&body, 4);
	wire_put_bytes(&body, "abc", 3);
	expect_crafted(&h, &body, BYZ_ETRUNC, "result shorter than length");

	wire_buf_reset(&body);
	wire_put_u64(&body, 0);
	wire_put_u32(&body, 0);
	wire_put_u64(&body, 1);
	wire_put_u16(&body, WIRE_MAX_RESULT + 1);
	wire_put_bytes(&body, big, sizeof big);
	expect_crafted(&h, &body, BYZ_ETOOBIG, "result over WIRE_MAX_RESULT");
	wire_buf_free(&body);
}

Test(wire, fetch_body_errors)
{
	struct hdr h = hdr_of(TOY_PROTO, TOY_FETCH, 1);
	struct wire_buf body;

	wire_buf_init(&body, BIG);
	expect_crafted(&h, &body, BYZ_ETRUNC, "empty body");
	wire_put_u32(&body, 1);
	wire_put_u16(&body, 0);
	wire_put_u8(&body, 0);
	expect_crafted(&h, &body, BYZ_ETRUNC, "7-byte seq");
	wire_buf_reset(&body);
	wire_put_u64(&body, 0);
	expect_crafted(&h, &body, BYZ_EFIELD, "seq 0");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u8(&body, 0);
	expect_crafted(&h, &body, BYZ_ETRAILING, "byte after seq");
	wire_buf_free(&body);
}

Test(wire, order_body_errors)
{
	struct hdr h = hdr_of(TOY_PROTO, TOY_ORDER, 0);
	struct wire_buf body, req;

	wire_buf_init(&body, BIG);
	wire_buf_init(&req, BIG);
	signed_request(&req, 4, 8, "put k v");

	wire_put_u32(&body, 1);
	expect_crafted(&h, &body, BYZ_ETRUNC, "half a seq");
	wire_buf_reset(&body);
	wire_put_u64(&body, 0);
	wire_put_u32(&body, (uint32_t)req.len);
	wire_put_bytes(&body, req.data, req.len);
	expect_crafted(&h, &body, BYZ_EFIELD, "seq 0");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u16(&body, 1);
	expect_crafted(&h, &body, BYZ_ETRUNC, "half a request length");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u32(&body, (uint32_t)req.len);
	wire_put_bytes(&body, req.data, req.len - 1);
	expect_crafted(&h, &body, BYZ_ETRUNC, "request cut short");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u32(&body, WIRE_MAX_FRAME + 1);
	wire_put_bytes(&body, req.data, req.len);
	expect_crafted(&h, &body, BYZ_ETOOBIG, "request length over limit");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u32(&body, (uint32_t)req.len);
	wire_put_bytes(&body, req.data, req.len);
	expect_crafted(&h, &body, 0, "valid order");
	wire_put_u8(&body, 0);
	expect_crafted(&h, &body, BYZ_ETRAILING, "byte after the request");

	wire_buf_free(&body);
	wire_buf_free(&req);
}

/* The embedded request goes through the same checks as a top-level one. */
Test(wire, nested_errors)
{
	struct wire_buf req, n, body;
	struct hdr h;
	size_t s;

	wire_buf_init(&req, BIG);
	wire_buf_init(&n, BIG);
	wire_buf_init(&body, BIG);
	signed_request(&req, 4, 8, "put k v");

	expect_order_around(req.data, req.len, (uint32_t)req.len, 0, "valid");
	expect_order_around(req.data, 0, 0, BYZ_ETRUNC, "empty request");
	expect_order_around(req.data, 13, 13, BYZ_ETRUNC, "13-byte request");
	expect_order_around(req.data, req.len - 1, (uint32_t)req.len - 1,
			    BYZ_ETRUNC, "request without its last byte");
	expect_order_around(req.data, req.len - 64, (uint32_t)req.len - 64,
			    BYZ_ETRUNC, "unsigned request");
	wire_put_bytes(&n, req.data, req.len);
	wire_put_u8(&n, 0);
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_ELENGTH,
			    "request length one more than the frame");

	/* Header faults inside. */
	wire_buf_reset(&n);
	wire_put_bytes(&n, req.data, req.len);
	n.data[0] = 'X';
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_EMAGIC,
			    "magic");
	n.data[0] = 'B';
	n.data[2] = 2;
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_EVERSION,
			    "version");
	n.data[2] = 1;
	n.data[3] = 200;
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_EPROTO,
			    "protocol");
	n.data[3] = 0;
	n.data[4] = 9;
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_ETYPE, "type");
	n.data[4] = 1;
	n.data[5] = 1;
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_EFLAGS,
			    "flags");
	n.data[5] = 0;
	n.data[13] = 0xff;
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_ETOOBIG,
			    "length field");

	/* Body faults inside. */
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 4);
	wire_put_u64(&body, 0);
	wire_put_u16(&body, 1);
	wire_put_u8(&body, 'x');
	wire_buf_reset(&n);
	craft(&n, &h, body.data, body.len);
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_EFIELD,
			    "timestamp 0");
	wire_buf_reset(&body);
	wire_put_u64(&body, 1);
	wire_put_u16(&body, 1);
	wire_put_bytes(&body, "xy", 2);
	wire_buf_reset(&n);
	craft(&n, &h, body.data, body.len);
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_ETRAILING,
			    "trailing op byte");

	/* Frames of the wrong kind. */
	wire_buf_reset(&n);
	cr_assert_eq(wire_enc_reply(&n, &s, 1, 0, 4, 8, NULL, 0), 0);
	sign_as(&n, s, BYZ_ROLE_REPLICA, 1);
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_ENEST,
			    "reply inside");
	wire_buf_reset(&n);
	cr_assert_eq(toy_enc_fetch(&n, &s, 1, 1), 0);
	sign_as(&n, s, BYZ_ROLE_REPLICA, 1);
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_ENEST,
			    "fetch inside");
	wire_buf_reset(&n);
	cr_assert_eq(toy_enc_order(&n, &s, 1, 1, req.data, req.len), 0);
	sign_as(&n, s, BYZ_ROLE_REPLICA, 1);
	expect_order_around(n.data, n.len, (uint32_t)n.len, BYZ_ENEST,
			    "order inside");

	wire_buf_free(&req);
	wire_buf_free(&n);
	wire_buf_free(&body);
}

Test(wire, error_names_are_distinct)
{
	const int codes[] = {BYZ_ETRUNC,  BYZ_EMAGIC,  BYZ_EVERSION,
			     BYZ_EPROTO,  BYZ_ETYPE,   BYZ_EFLAGS,
			     BYZ_ELENGTH, BYZ_ETOOBIG, BYZ_ETRAILING,
			     BYZ_EFIELD,  BYZ_ENEST};
	const size_t n = sizeof codes / sizeof codes[0];

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			cr_assert_str_neq(byz_errname(codes[i]),
					  byz_errname(codes[j]));
}

Test(wire, every_prefix_is_truncated)
{
	struct wire_buf b;

	wire_buf_init(&b, BIG);
	for (int which = 0; which < F_COUNT; which++) {
		wire_buf_reset(&b);
		sample_frame(&b, which);
		cr_assert_eq(decode_exact(b.data, b.len, true), 0);
		for (size_t n = 0; n < b.len; n++)
			cr_assert_eq(decode_exact(b.data, n, true), BYZ_ETRUNC,
				     "frame %d, prefix %zu", which, n);
		for (size_t n = 0; n < b.len - BYZ_SIG_BYTES; n++)
			cr_assert_eq(decode_exact(b.data, n, false), BYZ_ETRUNC,
				     "frame %d, prefix %zu", which, n);
		cr_assert_eq(decode_exact(b.data, b.len - BYZ_SIG_BYTES, false),
			     0);
	}
	wire_buf_free(&b);
}

/* ---- signatures ------------------------------------------------------- */

struct seen {
	struct wire_sigref refs[4];
	unsigned n;
	int stop_at;
};

static int record(void *ctx, const struct wire_sigref *ref)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, 4);
	s->refs[s->n++] = *ref;
	return (int)s->n == s->stop_at ? 42 : 0;
}

Test(wire, for_each_sig_order_and_roles)
{
	struct wire_buf b;
	struct wire_msg m;
	struct seen seen = {.n = 0};

	wire_buf_init(&b, BIG);
	sample_frame(&b, F_ORDER);
	cr_assert_eq(wire_decode(b.data, b.len, &m), 0);
	cr_assert_eq(wire_for_each_sig(&m, record, &seen), 0);
	cr_assert_eq(seen.n, 2);
	cr_assert_eq(seen.refs[0].role, BYZ_ROLE_REPLICA);
	cr_assert_eq(seen.refs[0].signer, 1);
	cr_assert_eq(seen.refs[0].proto, TOY_PROTO);
	cr_assert_eq(seen.refs[0].type, TOY_ORDER);
	cr_assert_eq(seen.refs[0].content, b.data);
	cr_assert_eq(seen.refs[0].len, b.len - BYZ_SIG_BYTES);
	cr_assert_eq(seen.refs[0].sig, b.data + b.len - BYZ_SIG_BYTES);
	cr_assert_eq(seen.refs[1].role, BYZ_ROLE_CLIENT);
	cr_assert_eq(seen.refs[1].signer, 3);
	cr_assert_eq(seen.refs[1].proto, BYZ_PROTO_CLIENT);
	cr_assert_eq(seen.refs[1].type, WIRE_CLIENT_REQUEST);
	cr_assert_eq(seen.refs[1].content, b.data + 14 + 12);
	cr_assert_eq(seen.refs[1].len, toy_of(&m)->order.req_frame.signed_len);

	/* Stops at, and returns, the first non-zero answer. */
	seen = (struct seen){.stop_at = 1};
	cr_assert_eq(wire_for_each_sig(&m, record, &seen), 42);
	cr_assert_eq(seen.n, 1);

	/* An unsigned ORDER still carries the embedded request's signature. */
	seen = (struct seen){.n = 0};
	cr_assert_eq(wire_decode_unsigned(b.data, b.len - 64, &m), 0);
	cr_assert_eq(wire_for_each_sig(&m, record, &seen), 0);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(seen.refs[0].role, BYZ_ROLE_CLIENT);

	/* A request is signed by a client, a reply or fetch by a replica. */
	for (int which = 0; which < F_COUNT; which++) {
		if (which == F_ORDER)
			continue;
		wire_buf_reset(&b);
		sample_frame(&b, which);
		seen = (struct seen){.n = 0};
		cr_assert_eq(wire_decode(b.data, b.len, &m), 0);
		cr_assert_eq(wire_for_each_sig(&m, record, &seen), 0);
		cr_assert_eq(seen.n, 1);
		cr_assert_eq(seen.refs[0].role, which == F_REQUEST
						    ? BYZ_ROLE_CLIENT
						    : BYZ_ROLE_REPLICA);
	}
	wire_buf_free(&b);
}

Test(wire, signatures_verify_and_any_bit_flip_breaks_them)
{
	struct wire_buf b;

	wire_buf_init(&b, BIG);
	for (int which = 0; which < F_COUNT; which++) {
		wire_buf_reset(&b);
		sample_frame(&b, which);
		cr_assert_eq(decode_and_verify(b.data, b.len), 0);
		for (size_t bit = 0; bit < 8 * b.len; bit++) {
			b.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			cr_assert_neq(decode_and_verify(b.data, b.len), 0,
				      "frame %d: flipping bit %zu went unseen",
				      which, bit);
			b.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		cr_assert_eq(decode_and_verify(b.data, b.len), 0);
	}
	wire_buf_free(&b);
}

Test(wire, domain_separation)
{
	struct byz_keypair kp = key(BYZ_ROLE_CLIENT, 0);
	struct byz_keypair rk = key(BYZ_ROLE_REPLICA, 0);
	uint8_t sig[BYZ_SIG_BYTES];
	struct wire_buf b;
	size_t s;

	/* The same bytes signed as another (protocol, type) do not verify. */
	wire_buf_init(&b, BIG);
	cr_assert_eq(
	    wire_enc_request(&b, &s, 0, 1, (const uint8_t *)"put k v", 7), 0);
	byz_sign(&kp, BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, b.data, b.len, sig);
	wire_put_bytes(&b, sig, sizeof sig);
	cr_assert_eq(decode_and_verify(b.data, b.len), BYZ_EBADSIG);
	b.len = s + 31;
	byz_sign(&kp, TOY_PROTO, WIRE_CLIENT_REQUEST, b.data, b.len, sig);
	wire_put_bytes(&b, sig, sizeof sig);
	cr_assert_eq(decode_and_verify(b.data, b.len), BYZ_EBADSIG);
	cr_assert_eq(byz_verify(kp.pk, TOY_PROTO, WIRE_CLIENT_REQUEST, b.data,
				31, b.data + 31),
		     0, "the signature is good for the type it was made for");

	/* Replica 0's key does not speak for client 0. */
	b.len = s + 31;
	byz_sign(&rk, BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, b.data, b.len,
		 sig);
	wire_put_bytes(&b, sig, sizeof sig);
	cr_assert_eq(decode_and_verify(b.data, b.len), BYZ_EBADSIG);

	/* Plain Ed25519 over the content (no domain) does not verify. */
	b.len = s + 31;
	crypto_sign_detached(sig, NULL, b.data, b.len, kp.sk);
	wire_put_bytes(&b, sig, sizeof sig);
	cr_assert_eq(decode_and_verify(b.data, b.len), BYZ_EBADSIG);
	b.len = s + 31;
	cr_assert_eq(wire_sign(&b, s, &kp), 0);
	cr_assert_eq(decode_and_verify(b.data, b.len), 0);
	wire_buf_free(&b);
}

/* ---- encoders and wire_buf -------------------------------------------- */

Test(wire, encoder_argument_errors)
{
	static uint8_t big[WIRE_MAX_OP + 1];
	struct wire_buf b, req;
	size_t s = 77;

	wire_buf_init(&b, BIG);
	wire_buf_init(&req, BIG);
	cr_assert_eq(wire_enc_request(&b, &s, 0, 0, big, 1), BYZ_EFIELD);
	cr_assert_eq(wire_enc_request(&b, &s, 0, 1, big, 0), BYZ_EFIELD);
	cr_assert_eq(wire_enc_request(&b, &s, 0, 1, big, WIRE_MAX_OP + 1),
		     BYZ_ETOOBIG);
	cr_assert_eq(wire_enc_reply(&b, &s, 0, 0, 0, 0, NULL, 0), BYZ_EFIELD);
	cr_assert_eq(
	    wire_enc_reply(&b, &s, 0, 0, 0, 1, big, WIRE_MAX_RESULT + 1),
	    BYZ_ETOOBIG);
	cr_assert_eq(toy_enc_fetch(&b, &s, 0, 0), BYZ_EFIELD);
	signed_request(&req, 0, 1, "put k v");
	cr_assert_eq(toy_enc_order(&b, &s, 0, 0, req.data, req.len),
		     BYZ_EFIELD);
	cr_assert_eq(toy_enc_order(&b, &s, 0, 1, req.data, req.len - 64),
		     BYZ_ETRUNC, "the embedded request must be signed");
	req.data[5] = 1;
	cr_assert_eq(toy_enc_order(&b, &s, 0, 1, req.data, req.len),
		     BYZ_EFLAGS);
	cr_assert_eq(b.len, 0, "a refused message writes nothing");
	cr_assert_eq(b.err, 0, "argument errors are not sticky");
	cr_assert_eq(s, 77, "start is untouched on error");

	wire_buf_reset(&req);
	cr_assert_eq(toy_enc_fetch(&req, &s, 0, 1), 0);
	sign_as(&req, s, BYZ_ROLE_REPLICA, 0);
	cr_assert_eq(toy_enc_order(&b, &s, 0, 1, req.data, req.len), BYZ_ENEST);
	wire_buf_free(&b);
	wire_buf_free(&req);
}

Test(wire, buf_max_is_enforced_and_sticky)
{
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, 16);
	wire_put_u64(&b, 1);
	wire_put_u64(&b, 2);
	cr_assert_eq(b.err, 0);
	cr_assert_eq(b.len, 16, "exactly max bytes fit");
	cr_assert_leq(b.cap, 16);
	wire_put_u8(&b, 3);
	cr_assert_eq(b.err, BYZ_ELIMIT);
	cr_assert_eq(b.len, 16);
	wire_buf_reset(&b);
	cr_assert_eq(b.err, 0);
	cr_assert_eq(b.len, 0);

	/* A frame that does not fit: the encoder reports the sticky error
	 * and every later append is ignored. */
	cr_assert_eq(toy_enc_fetch(&b, &s, 0, 1), BYZ_ELIMIT);
	cr_assert_eq(b.err, BYZ_ELIMIT);
	cr_assert_eq(toy_enc_fetch(&b, &s, 0, 1), BYZ_ELIMIT);
	wire_put_u8(&b, 1);
	cr_assert_leq(b.len, 16);
	cr_assert_eq(b.err, BYZ_ELIMIT);
	cr_assert_eq(wire_end(&b, 0), BYZ_ELIMIT);
	wire_buf_free(&b);

	/* A frame fits when max is its exact size, signature included. */
	wire_buf_init(&b, 14 + 8 + 64);
	cr_assert_eq(toy_enc_fetch(&b, &s, 0, 1), 0);
	sign_as(&b, s, BYZ_ROLE_REPLICA, 0);
	cr_assert_eq(b.len, 14 + 8 + 64);
	cr_assert_eq(decode_and_verify(b.data, b.len), 0);
	wire_buf_free(&b);

	/* max 0 holds nothing. */
	wire_buf_init(&b, 0);
	wire_put_u8(&b, 1);
	cr_assert_eq(b.err, BYZ_ELIMIT);
	cr_assert_null(b.data);
	wire_buf_free(&b);
}

Test(wire, buf_grows_geometrically_and_reset_keeps_memory)
{
	struct wire_buf b;
	uint8_t *data;
	size_t cap;

	wire_buf_init(&b, BIG);
	for (unsigned i = 0; i < 100000; i++)
		wire_put_u8(&b, (uint8_t)i);
	cr_assert_eq(b.err, 0);
	cr_assert_eq(b.len, 100000);
	cr_assert_geq(b.cap, 100000);
	cr_assert_lt(b.cap, 200000, "capacity at most doubles");
	for (unsigned i = 0; i < 100000; i++)
		cr_assert_eq(b.data[i], (uint8_t)i);
	data = b.data;
	cap = b.cap;
	wire_buf_reset(&b);
	cr_assert_eq(b.data, data);
	cr_assert_eq(b.cap, cap);
	wire_buf_free(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.cap, 0);

	/* Growth is clamped to max, not doubled past it. */
	wire_buf_init(&b, 100);
	wire_put_bytes(&b, (uint8_t[70]){0}, 70);
	cr_assert_eq(b.err, 0);
	cr_assert_eq(b.cap, 100);
	wire_buf_free(&b);
}

Test(wire, frame_over_max_frame_is_too_big)
{
	struct wire_buf b;
	uint8_t *zeros = calloc(1, MAX_BODY + 1);
	size_t s;

	cr_assert_not_null(zeros);
	wire_buf_init(&b, BIG);
	s = wire_begin(&b, TOY_PROTO, TOY_FETCH, 0);
	wire_put_bytes(&b, zeros, MAX_BODY);
	cr_assert_eq(wire_end(&b, s), 0, "the largest body fits");
	cr_assert_eq((unsigned)(b.data[10] | b.data[11] << 8 |
				b.data[12] << 16 | b.data[13] << 24),
		     MAX_BODY);
	sign_as(&b, s, BYZ_ROLE_REPLICA, 0);
	cr_assert_eq(b.len, WIRE_MAX_FRAME);
	cr_assert_eq(decode_exact(b.data, b.len, true), BYZ_EFIELD,
		     "it parses as a frame; its body is a seq 0 fetch");

	wire_buf_reset(&b);
	s = wire_begin(&b, TOY_PROTO, TOY_FETCH, 0);
	wire_put_bytes(&b, zeros, MAX_BODY + 1);
	cr_assert_eq(wire_end(&b, s), BYZ_ETOOBIG);
	cr_assert_eq(b.err, BYZ_ETOOBIG, "sticky");
	cr_assert_eq(toy_enc_fetch(&b, &s, 0, 1), BYZ_ETOOBIG);
	wire_buf_free(&b);
	free(zeros);
}

Test(wire, sign_refuses_what_is_not_a_frame)
{
	struct byz_keypair kp = key(BYZ_ROLE_REPLICA, 0);
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, BIG);
	cr_assert_eq(wire_sign(&b, 0, &kp), BYZ_EINVAL);
	cr_assert_eq(toy_enc_fetch(&b, &s, 0, 1), 0);
	cr_assert_eq(wire_sign(&b, s + 1, &kp), BYZ_EMAGIC);
	cr_assert_eq(wire_sign(&b, s + 9, &kp), BYZ_EINVAL);
	cr_assert_eq(wire_sign(&b, b.len + 1, &kp), BYZ_EINVAL);
	b.data[0] = 'X';
	cr_assert_eq(wire_sign(&b, s, &kp), BYZ_EMAGIC);
	cr_assert_eq(b.len, 14 + 8, "nothing appended");
	cr_assert_eq(b.err, 0);
	wire_buf_free(&b);
}

Test(wire, names)
{
	cr_assert_str_eq(wire_proto_name(BYZ_PROTO_CLIENT), "client");
	cr_assert_str_eq(wire_proto_name(TOY_PROTO), "toy");
	cr_assert_str_eq(wire_proto_name(PBFT_PROTO), "pbft");
	cr_assert_str_eq(wire_proto_name(HS_PROTO), "hotstuff");
	cr_assert_str_eq(wire_proto_name(6), "unknown");
	cr_assert_str_eq(wire_type_name(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST),
			 "request");
	cr_assert_str_eq(wire_type_name(BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY),
			 "reply");
	cr_assert_str_eq(wire_type_name(TOY_PROTO, TOY_ORDER), "order");
	cr_assert_str_eq(wire_type_name(TOY_PROTO, TOY_FETCH), "fetch");
	cr_assert_str_eq(wire_type_name(PBFT_PROTO, 1), "pre-prepare");
	cr_assert_str_eq(wire_type_name(PBFT_PROTO, 10), "vcs");
	cr_assert_str_eq(wire_type_name(PBFT_PROTO, 11), "unknown");
	cr_assert_str_eq(wire_type_name(HS_PROTO, HS_PROPOSAL), "proposal");
	cr_assert_str_eq(wire_type_name(HS_PROTO, HS_VOTE), "vote");
	cr_assert_str_eq(wire_type_name(HS_PROTO, HS_TIMEOUT), "timeout");
	cr_assert_str_eq(wire_type_name(HS_PROTO, HS_FETCH), "fetch");
	cr_assert_str_eq(wire_type_name(HS_PROTO, HS_BLOCKS), "blocks");
	cr_assert_str_eq(wire_type_name(HS_PROTO, 0), "unknown");
	cr_assert_str_eq(wire_type_name(HS_PROTO, HS_STATE_REQ), "state-req");
	cr_assert_str_eq(wire_type_name(HS_PROTO, HS_STATE), "state");
	cr_assert_str_eq(wire_type_name(HS_PROTO, 8), "unknown");
	cr_assert_str_eq(wire_type_name(BYZ_PROTO_CLIENT, 0), "unknown");
}

/* Count the signatures a message carries. */
static int count_sig(void *ctx, const struct wire_sigref *ref)
{
	(void)ref;
	++*(unsigned *)ctx;
	return 0;
}

/* HotStuff (docs/wire.md "HotStuff"): a proposal with a QC of three votes
 * and one request decodes to what was encoded, re-encodes to the same
 * bytes, and lists its five signatures; a TIMEOUT and BLOCKS nest it. */
Test(wire, hotstuff_round_trip)
{
	uint8_t hash[BYZ_DIGEST_BYTES], bh[BYZ_DIGEST_BYTES];
	struct wire_buf v, qc, req, p, again, t;
	const uint8_t *vf[3], *rf;
	size_t vl[3], rl, s, vo[3];
	struct wire_msg m, tm;
	unsigned nsig = 0;

	memset(hash, 7, sizeof hash);
	wire_buf_init(&v, BIG);
	wire_buf_init(&qc, BIG);
	wire_buf_init(&req, BIG);
	wire_buf_init(&p, BIG);
	wire_buf_init(&again, BIG);
	wire_buf_init(&t, BIG);
	for (uint32_t i = 0; i < 3; i++) {
		cr_assert_eq(hs_enc_vote(&v, &vo[i], i, 4, hash), 0);
		sign_as(&v, vo[i], BYZ_ROLE_REPLICA, i);
		vl[i] = v.len - vo[i];
	}
	for (int i = 0; i < 3; i++)
		vf[i] = v.data + vo[i];
	cr_assert_eq(hs_enc_qc(&qc, 4, hash, (struct hs_framev){vf, vl, 3}), 0);
	signed_request(&req, 2, 9, "put k v");
	rf = req.data;
	rl = req.len;
	cr_assert_eq(hs_enc_proposal(&p, &s, 1, 5, qc.data, qc.len,
				     (struct hs_framev){NULL, NULL, 0},
				     (struct hs_framev){&rf, &rl, 1}),
		     0);
	sign_as(&p, s, BYZ_ROLE_REPLICA, 1);
	cr_assert_eq(wire_decode(p.data, p.len, &m), 0);
	cr_assert_eq(hs_of(&m)->prop.view, 5);
	cr_assert_eq(hs_of(&m)->prop.justify.view, 4);
	cr_assert_eq(memcmp(hs_of(&m)->prop.justify.hash, hash, 32), 0);
	cr_assert_eq(hs_of(&m)->prop.justify.votes.count, 3);
	cr_assert_eq(hs_of(&m)->prop.justify.len, qc.len);
	cr_assert_eq(hs_of(&m)->prop.batch.count, 1);
	cr_assert_eq(wire_for_each_sig(&m, count_sig, &nsig), 0);
	cr_assert_eq(nsig, 5, "proposal, three votes, one request");
	cr_assert_eq(hs_enc_proposal(&again, &s, 1, hs_of(&m)->prop.view,
				     hs_of(&m)->prop.justify.bytes,
				     hs_of(&m)->prop.justify.len,
				     (struct hs_framev){NULL, NULL, 0},
				     (struct hs_framev){&rf, &rl, 1}),
		     0);
	cr_assert_eq(again.len + 64, p.len);
	cr_assert_eq(memcmp(again.data, p.data, again.len), 0, "canonical");
	hs_block_hash(&hs_of(&m)->prop, bh);

	/* A TIMEOUT carrying the QC and one vote; BLOCKS carrying the
	 * proposal (and all it nests). */
	cr_assert_eq(
	    hs_enc_timeout(&t, &s, 2, 6, qc.data, qc.len, vf[2], vl[2]), 0);
	sign_as(&t, s, BYZ_ROLE_REPLICA, 2);
	cr_assert_eq(wire_decode(t.data + s, t.len - s, &tm), 0);
	cr_assert_eq(hs_of(&tm)->timeout.view, 6);
	cr_assert_eq(hs_of(&tm)->timeout.vote.count, 1);
	nsig = 0;
	cr_assert_eq(wire_for_each_sig(&tm, count_sig, &nsig), 0);
	cr_assert_eq(nsig, 5, "timeout, three in the QC, its vote");
	wire_buf_reset(&t);
	{
		const uint8_t *pp = p.data;
		size_t pl = p.len;
		cr_assert_eq(
		    hs_enc_blocks(&t, &s, 3, (struct hs_framev){&pp, &pl, 1}),
		    0);
	}
	sign_as(&t, s, BYZ_ROLE_REPLICA, 3);
	cr_assert_eq(wire_decode(t.data, t.len, &tm), 0);
	nsig = 0;
	cr_assert_eq(wire_for_each_sig(&tm, count_sig, &nsig), 0);
	cr_assert_eq(nsig, 6);
	/* Encoders refuse what the decoder would. */
	cr_assert_eq(hs_enc_vote(&t, NULL, 0, 0, hash), BYZ_EFIELD);
	cr_assert_eq(hs_enc_fetch(&t, NULL, 0, hash, 0), BYZ_EFIELD);
	cr_assert_eq(hs_enc_fetch(&t, NULL, 0, hash, HS_MAX_FETCH + 1),
		     BYZ_EFIELD);
	cr_assert_eq(hs_enc_proposal(&t, NULL, 0, 1, qc.data, qc.len - 1,
				     (struct hs_framev){NULL, NULL, 0},
				     (struct hs_framev){NULL, NULL, 0}),
		     BYZ_ETRUNC);
	wire_buf_free(&v);
	wire_buf_free(&qc);
	wire_buf_free(&req);
	wire_buf_free(&p);
	wire_buf_free(&again);
	wire_buf_free(&t);
}

/* ---- PBFT (docs/wire.md "PBFT") ---------------------------------------- */

#define PB_LIST_MAX 8

/* Signed frames appended to one buffer, as a framev. */
struct pb_list {
	struct wire_buf b;
	size_t off[PB_LIST_MAX], len[PB_LIST_MAX];
	const uint8_t *fp[PB_LIST_MAX];
	size_t n;
};

static void pb_list_init(struct pb_list *l)
{
	wire_buf_init(&l->b, BIG);
	l->n = 0;
}

/* Record the frame appended at [s, l->b.len). */
static void pb_list_add(struct pb_list *l, size_t s)
{
	cr_assert_lt(l->n, PB_LIST_MAX);
	l->off[l->n] = s;
	l->len[l->n++] = l->b.len - s;
}

/* The list as a framev (pointers computed now: the buffer may have moved). */
static struct pbft_framev pb_v(struct pb_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		l->fp[i] = l->b.data + l->off[i];
	return (struct pbft_framev){l->fp, l->len, l->n};
}

/* Rebuild a decoded list's framev by walking it (wire_frames_next). */
struct pb_walked {
	const uint8_t *fp[PB_LIST_MAX];
	size_t fl[PB_LIST_MAX];
	struct wire_msg m[PB_LIST_MAX];
	size_t n;
};

static struct pbft_framev pb_walk(const struct wire_frames *l,
				  struct pb_walked *w)
{
	size_t pos = 0;

	w->n = 0;
	while (w->n < PB_LIST_MAX && wire_frames_next(l, &pos, &w->m[w->n])) {
		w->fp[w->n] = w->m[w->n].frame.bytes;
		w->fl[w->n] = w->m[w->n].frame.len;
		w->n++;
	}
	cr_assert_eq(w->n, l->count);
	cr_assert_eq(pos, l->len, "the walk spans the list");
	return (struct pbft_framev){w->fp, w->fl, w->n};
}

/* Sign the PBFT frame at [s, b->len) as replica r. */
static void pb_sign(struct wire_buf *b, size_t s, uint32_t r)
{
	sign_as(b, s, BYZ_ROLE_REPLICA, r);
}

/* Decode the signed frame at [s, b->len) into m; it must carry nsig
 * signatures. */
static void pb_decode(const struct wire_buf *b, size_t s, unsigned nsig,
		      struct wire_msg *m)
{
	unsigned n = 0;

	cr_assert_eq(wire_decode(b->data + s, b->len - s, m), 0);
	cr_assert_eq(m->frame.proto, PBFT_PROTO);
	cr_assert_eq(m->frame.len, b->len - s);
	cr_assert_eq(wire_for_each_sig(m, count_sig, &n), 0);
	cr_assert_eq(n, nsig, "%s: %u signatures, expected %u",
		     wire_type_name(PBFT_PROTO, m->frame.type), n, nsig);
	n = 0;
	cr_assert_eq(wire_for_each_sig(m, verify_ref, &n), 0, "all verify");
}

/* The unsigned re-encoding in again must be m's frame without its
 * signature; again is reset for the next one. */
static void pb_same(struct wire_buf *again, const struct wire_msg *m)
{
	cr_assert_eq(again->err, 0);
	cr_assert_eq(again->len, m->frame.signed_len,
		     "%s re-encodes to %zu bytes, not %zu",
		     wire_type_name(PBFT_PROTO, m->frame.type), again->len,
		     m->frame.signed_len);
	cr_assert_eq(memcmp(again->data, m->frame.bytes, again->len), 0,
		     "canonical");
	wire_buf_reset(again);
}

/* A signed PRE-PREPARE of replica r over nreq fresh requests. */
static size_t pb_preprepare(struct wire_buf *b, uint32_t r, uint64_t view,
			    uint64_t seq, unsigned nreq)
{
	struct pb_list reqs;
	size_t s;

	pb_list_init(&reqs);
	for (unsigned i = 0; i < nreq; i++) {
		s = reqs.b.len;
		signed_request(&reqs.b, i, seq + i, "put k v");
		pb_list_add(&reqs, s);
	}
	cr_assert_eq(pbft_enc_preprepare(b, &s, r, view, seq, pb_v(&reqs)), 0);
	pb_sign(b, s, r);
	wire_buf_free(&reqs.b);
	return s;
}

/* Three CHECKPOINTs (replicas 0..2) of (seq, d). */
static void pb_ckpts(struct pb_list *l, uint64_t seq, const uint8_t *d)
{
	size_t s;

	for (uint32_t i = 0; i < 3; i++) {
		cr_assert_eq(pbft_enc_checkpoint(&l->b, &s, i, seq, d), 0);
		pb_sign(&l->b, s, i);
		pb_list_add(l, s);
	}
}

/* A signed VIEW-CHANGE of replica r to view 1: stable checkpoint 10 with
 * three CHECKPOINTs, one prepared certificate (a PRE-PREPARE of seq 11 with
 * one request, PREPAREs of replicas 1 and 2): 8 signatures. */
static size_t pb_viewchange(struct wire_buf *b, uint32_t r, const uint8_t *d)
{
	struct pb_list ck, prep;
	struct wire_buf pp;
	size_t s, ps;

	pb_list_init(&ck);
	pb_list_init(&prep);
	wire_buf_init(&pp, BIG);
	pb_ckpts(&ck, 10, d);
	pb_preprepare(&pp, 0, 0, 11, 1);
	for (uint32_t i = 1; i < 3; i++) {
		cr_assert_eq(
		    pbft_enc_vote(&prep.b, &ps, PBFT_PREPARE, i, 0, 11, d), 0);
		pb_sign(&prep.b, ps, i);
		pb_list_add(&prep, ps);
	}
	cr_assert_eq(
	    pbft_enc_viewchange_begin(b, &s, r, 1, 10, d, pb_v(&ck), 1), 0);
	pbft_enc_pset_entry(b, pp.data, pp.len, pb_v(&prep));
	cr_assert_eq(pbft_enc_end(b, s), 0);
	pb_sign(b, s, r);
	wire_buf_free(&ck.b);
	wire_buf_free(&prep.b);
	wire_buf_free(&pp);
	return s;
}

/* PRE-PREPARE: a batch of two requests, and the null request. */
Test(wire, pbft_round_trip_preprepare)
{
	struct wire_buf b, again;
	struct pb_walked w;
	struct wire_msg m;
	size_t s;

	wire_buf_init(&b, BIG);
	wire_buf_init(&again, BIG);
	s = pb_preprepare(&b, 3, 5, 42, 2);
	pb_decode(&b, s, 3, &m);
	cr_assert_eq(m.frame.type, PBFT_PREPREPARE);
	cr_assert_eq(m.frame.sender, 3);
	cr_assert_eq(pbft_of(&m)->pp.view, 5);
	cr_assert_eq(pbft_of(&m)->pp.seq, 42);
	cr_assert_eq(pbft_of(&m)->pp.batch.count, 2);
	cr_assert_eq(pbft_of(&m)->pp.batch_bytes, m.frame.body + 16);
	cr_assert_eq(pbft_of(&m)->pp.batch_len, m.frame.body_len - 16);
	cr_assert_eq(pbft_enc_preprepare(&again, NULL, 3, 5, 42,
					 pb_walk(&pbft_of(&m)->pp.batch, &w)),
		     0);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_eq(w.m[i].frame.proto, BYZ_PROTO_CLIENT);
		cr_assert_eq(w.m[i].u.request.client, i);
		cr_assert_eq(w.m[i].u.request.timestamp, 42 + i);
	}
	pb_same(&again, &m);

	s = pb_preprepare(&b, 1, 2, 3, 0);
	pb_decode(&b, s, 1, &m);
	cr_assert_eq(pbft_of(&m)->pp.batch.count, 0);
	cr_assert_eq(pbft_of(&m)->pp.batch_len, 2, "the null request: count 0");
	cr_assert_eq(pbft_enc_preprepare(&again, NULL, 1, 2, 3,
					 pb_walk(&pbft_of(&m)->pp.batch, &w)),
		     0);
	pb_same(&again, &m);
	cr_assert_eq(pbft_enc_preprepare(&again, NULL, 1, 2, 0,
					 pb_walk(&pbft_of(&m)->pp.batch, &w)),
		     BYZ_EFIELD, "seq 0");
	wire_buf_free(&b);
	wire_buf_free(&again);
}

/* PREPARE, COMMIT and CHECKPOINT: fixed fields and a digest. */
Test(wire, pbft_round_trip_votes)
{
	static const uint8_t types[] = {PBFT_PREPARE, PBFT_COMMIT};
	uint8_t d[BYZ_DIGEST_BYTES];
	struct wire_buf b, again;
	struct wire_msg m;
	size_t s;

	byz_digest(d, "batch", 5);
	wire_buf_init(&b, BIG);
	wire_buf_init(&again, BIG);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(
		    pbft_enc_vote(&b, &s, types[i], 2, UINT64_MAX, 9, d), 0);
		pb_sign(&b, s, 2);
		pb_decode(&b, s, 1, &m);
		cr_assert_eq(m.frame.type, types[i]);
		cr_assert_eq(m.frame.body_len, 8 + 8 + 32);
		cr_assert_eq(pbft_of(&m)->vote.view, UINT64_MAX);
		cr_assert_eq(pbft_of(&m)->vote.seq, 9);
		cr_assert_eq(memcmp(pbft_of(&m)->vote.digest, d, sizeof d), 0);
		cr_assert_eq(pbft_enc_vote(&again, NULL, m.frame.type, 2,
					   pbft_of(&m)->vote.view,
					   pbft_of(&m)->vote.seq,
					   pbft_of(&m)->vote.digest),
			     0);
		pb_same(&again, &m);
	}
	cr_assert_eq(pbft_enc_vote(&again, NULL, PBFT_CHECKPOINT, 2, 0, 1, d),
		     BYZ_EFIELD, "a vote is a prepare or a commit");
	cr_assert_eq(pbft_enc_vote(&again, NULL, PBFT_PREPARE, 2, 0, 0, d),
		     BYZ_EFIELD, "seq 0");

	cr_assert_eq(pbft_enc_checkpoint(&b, &s, 4, 128, d), 0);
	pb_sign(&b, s, 4);
	pb_decode(&b, s, 1, &m);
	cr_assert_eq(m.frame.type, PBFT_CHECKPOINT);
	cr_assert_eq(pbft_of(&m)->ckpt.seq, 128);
	cr_assert_eq(memcmp(pbft_of(&m)->ckpt.digest, d, sizeof d), 0);
	cr_assert_eq(pbft_enc_checkpoint(&again, NULL, 4, pbft_of(&m)->ckpt.seq,
					 pbft_of(&m)->ckpt.digest),
		     0);
	pb_same(&again, &m);
	cr_assert_eq(pbft_enc_checkpoint(&again, NULL, 4, 0, d), BYZ_EFIELD);
	wire_buf_free(&b);
	wire_buf_free(&again);
}

/* VIEW-CHANGE: C of three checkpoints, P of one prepared certificate. */
Test(wire, pbft_round_trip_viewchange)
{
	uint8_t d[BYZ_DIGEST_BYTES];
	struct wire_buf b, again;
	struct pb_walked wc, wp;
	struct wire_frames prep;
	struct wire_frame pp;
	struct wire_msg m, ppm;
	size_t s, pos = 0;

	memset(d, 0x5d, sizeof d);
	wire_buf_init(&b, BIG);
	wire_buf_init(&again, BIG);
	s = pb_viewchange(&b, 2, d);
	pb_decode(&b, s, 8, &m);
	cr_assert_eq(m.frame.type, PBFT_VIEWCHANGE);
	cr_assert_eq(pbft_of(&m)->vc.view, 1);
	cr_assert_eq(pbft_of(&m)->vc.stable_seq, 10);
	cr_assert_eq(memcmp(pbft_of(&m)->vc.stable_digest, d, sizeof d), 0);
	cr_assert_eq(pbft_of(&m)->vc.proof.count, 3);
	cr_assert_eq(pbft_of(&m)->vc.prepared.count, 1);

	cr_assert_eq(
	    pbft_enc_viewchange_begin(&again, &s, 2, pbft_of(&m)->vc.view,
				      pbft_of(&m)->vc.stable_seq,
				      pbft_of(&m)->vc.stable_digest,
				      pb_walk(&pbft_of(&m)->vc.proof, &wc),
				      pbft_of(&m)->vc.prepared.count),
	    0);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(wc.m[i].frame.type, PBFT_CHECKPOINT);
		cr_assert_eq(wc.m[i].frame.sender, i);
		cr_assert_eq(pbft_of(&wc.m[i])->ckpt.seq, 10);
	}
	cr_assert_eq(
	    pbft_pset_next(&pbft_of(&m)->vc.prepared, &pos, &pp, &prep), 1);
	cr_assert_eq(wire_decode(pp.bytes, pp.len, &ppm), 0);
	cr_assert_eq(ppm.frame.type, PBFT_PREPREPARE);
	cr_assert_eq(pbft_of(&ppm)->pp.seq, 11);
	cr_assert_eq(pbft_of(&ppm)->pp.batch.count, 1);
	cr_assert_eq(prep.count, 2);
	pbft_enc_pset_entry(&again, pp.bytes, pp.len, pb_walk(&prep, &wp));
	cr_assert_eq(wp.m[0].frame.type, PBFT_PREPARE);
	cr_assert_eq(wp.m[1].frame.sender, 2);
	cr_assert_eq(
	    pbft_pset_next(&pbft_of(&m)->vc.prepared, &pos, &pp, &prep), 0,
	    "one entry");
	cr_assert_eq(pbft_enc_end(&again, s), 0);
	pb_same(&again, &m);
	cr_assert_eq(
	    pbft_enc_viewchange_begin(&again, &s, 2, 0, 0, d,
				      pb_walk(&pbft_of(&m)->vc.proof, &wc), 0),
	    BYZ_EFIELD, "view 0");
	wire_buf_free(&b);
	wire_buf_free(&again);
}

/* NEW-VIEW: V names three view-changes (sender and frame digest, no
 * frames: it stays small at any n) and two pre-prepares (one request;
 * null): 1 + 2 + 1 signatures. */
Test(wire, pbft_round_trip_newview)
{
	uint8_t d[BYZ_DIGEST_BYTES], vd[3][BYZ_DIGEST_BYTES];
	uint32_t vs[3];
	struct wire_buf b, again;
	struct pb_list vcs, pps;
	struct pb_walked wp;
	struct pbft_framev v2;
	struct wire_msg m;
	size_t s;

	memset(d, 0x5d, sizeof d);
	wire_buf_init(&b, BIG);
	wire_buf_init(&again, BIG);
	pb_list_init(&vcs);
	pb_list_init(&pps);
	for (uint32_t i = 1; i < 4; i++)
		pb_list_add(&vcs, pb_viewchange(&vcs.b, i, d));
	for (uint32_t i = 0; i < 3; i++) {
		vs[i] = i + 1;
		byz_digest(vd[i], vcs.b.data + vcs.off[i], vcs.len[i]);
	}
	pb_list_add(&pps, pb_preprepare(&pps.b, 1, 1, 11, 1));
	pb_list_add(&pps, pb_preprepare(&pps.b, 1, 1, 12, 0));
	cr_assert_eq(pbft_enc_newview(&b, &s, 1, 1, vs,
				      (const uint8_t(*)[BYZ_DIGEST_BYTES])vd, 3,
				      pb_v(&pps)),
		     0);
	pb_sign(&b, s, 1);
	pb_decode(&b, s, 4, &m);
	cr_assert_eq(m.frame.type, PBFT_NEWVIEW);
	cr_assert_eq(pbft_of(&m)->nv.view, 1);
	cr_assert_eq(pbft_of(&m)->nv.nvrefs, 3);
	cr_assert_eq(pbft_of(&m)->nv.pps.count, 2);
	for (uint16_t i = 0; i < 3; i++) {
		uint32_t sender;
		const uint8_t *dig;
		pbft_vref_at(&pbft_of(&m)->nv, i, &sender, &dig);
		cr_assert_eq(sender, i + 1);
		cr_assert_arr_eq(dig, vd[i], BYZ_DIGEST_BYTES);
	}
	v2 = pb_walk(&pbft_of(&m)->nv.pps, &wp);
	cr_assert_eq(pbft_of(&wp.m[0])->pp.seq, 11);
	cr_assert_eq(pbft_of(&wp.m[1])->pp.batch.count, 0);
	cr_assert_eq(pbft_enc_newview(&again, NULL, 1, pbft_of(&m)->nv.view, vs,
				      (const uint8_t(*)[BYZ_DIGEST_BYTES])vd, 3,
				      v2),
		     0);
	pb_same(&again, &m);
	cr_assert_eq(pbft_enc_newview(&again, NULL, 1, 0, vs,
				      (const uint8_t(*)[BYZ_DIGEST_BYTES])vd, 3,
				      v2),
		     BYZ_EFIELD);
	cr_assert_eq(pbft_enc_newview(&again, NULL, 1, 1, vs,
				      (const uint8_t(*)[BYZ_DIGEST_BYTES])vd,
				      PBFT_MAX_SIGNERS + 1, v2),
		     BYZ_ETOOBIG);
	wire_buf_free(&vcs.b);
	wire_buf_free(&pps.b);
	wire_buf_free(&b);
	wire_buf_free(&again);
}

/* FETCH, STATE and CERT: state transfer. */
Test(wire, pbft_round_trip_state_transfer)
{
	static const uint8_t whats[] = {PBFT_FETCH_STATE, PBFT_FETCH_LOG,
					PBFT_FETCH_VC};
	uint8_t d[BYZ_DIGEST_BYTES];
	struct wire_buf b, again, pp;
	struct pb_list ck, commits;
	struct pb_walked w;
	struct wire_msg m, ppm;
	size_t s;

	memset(d, 0x77, sizeof d);
	wire_buf_init(&b, BIG);
	wire_buf_init(&again, BIG);
	wire_buf_init(&pp, BIG);
	pb_list_init(&ck);
	pb_list_init(&commits);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(pbft_enc_fetch(&b, &s, 3, whats[i], 0), 0);
		pb_sign(&b, s, 3);
		pb_decode(&b, s, 1, &m);
		cr_assert_eq(m.frame.type, PBFT_FETCH);
		cr_assert_eq(pbft_of(&m)->fetch.what, whats[i]);
		cr_assert_eq(pbft_of(&m)->fetch.seq, 0);
		cr_assert_eq(pbft_enc_fetch(&again, NULL, 3,
					    pbft_of(&m)->fetch.what,
					    pbft_of(&m)->fetch.seq),
			     0);
		pb_same(&again, &m);
	}
	cr_assert_eq(pbft_enc_fetch(&again, NULL, 3, 4, 1), BYZ_EFIELD);

	pb_ckpts(&ck, 256, d);
	cr_assert_eq(pbft_enc_state(&b, &s, 0, 256, d, pb_v(&ck),
				    (const uint8_t *)"snapshot", 8),
		     0);
	pb_sign(&b, s, 0);
	pb_decode(&b, s, 4, &m);
	cr_assert_eq(m.frame.type, PBFT_STATE);
	cr_assert_eq(pbft_of(&m)->state.seq, 256);
	cr_assert_eq(memcmp(pbft_of(&m)->state.digest, d, sizeof d), 0);
	cr_assert_eq(pbft_of(&m)->state.proof.count, 3);
	cr_assert_eq(pbft_of(&m)->state.snapshot_len, 8);
	cr_assert_eq(memcmp(pbft_of(&m)->state.snapshot, "snapshot", 8), 0);
	cr_assert_eq(pbft_enc_state(&again, NULL, 0, pbft_of(&m)->state.seq,
				    pbft_of(&m)->state.digest,
				    pb_walk(&pbft_of(&m)->state.proof, &w),
				    pbft_of(&m)->state.snapshot,
				    pbft_of(&m)->state.snapshot_len),
		     0);
	pb_same(&again, &m);
	cr_assert_eq(pbft_enc_state(&b, &s, 0, 1, d, pb_v(&ck), NULL, 0), 0,
		     "an empty snapshot");
	pb_sign(&b, s, 0);
	pb_decode(&b, s, 4, &m);
	cr_assert_eq(pbft_of(&m)->state.snapshot_len, 0);

	pb_preprepare(&pp, 0, 0, 7, 2);
	for (uint32_t i = 0; i < 3; i++) {
		cr_assert_eq(
		    pbft_enc_vote(&commits.b, &s, PBFT_COMMIT, i, 0, 7, d), 0);
		pb_sign(&commits.b, s, i);
		pb_list_add(&commits, s);
	}
	cr_assert_eq(pbft_enc_cert(&b, &s, 2, pp.data, pp.len, pb_v(&commits)),
		     0);
	pb_sign(&b, s, 2);
	pb_decode(&b, s, 7, &m);
	cr_assert_eq(m.frame.type, PBFT_CERT);
	cr_assert_eq(pbft_of(&m)->cert.pp.len, pp.len);
	cr_assert_eq(memcmp(pbft_of(&m)->cert.pp.bytes, pp.data, pp.len), 0);
	cr_assert_eq(wire_decode(pbft_of(&m)->cert.pp.bytes,
				 pbft_of(&m)->cert.pp.len, &ppm),
		     0);
	cr_assert_eq(pbft_of(&ppm)->pp.seq, 7);
	cr_assert_eq(pbft_of(&m)->cert.commits.count, 3);
	cr_assert_eq(pbft_enc_cert(&again, NULL, 2, pbft_of(&m)->cert.pp.bytes,
				   pbft_of(&m)->cert.pp.len,
				   pb_walk(&pbft_of(&m)->cert.commits, &w)),
		     0);
	cr_assert_eq(w.m[2].frame.type, PBFT_COMMIT);
	cr_assert_eq(pbft_of(&w.m[2])->vote.seq, 7);
	pb_same(&again, &m);
	wire_buf_free(&ck.b);
	wire_buf_free(&commits.b);
	wire_buf_free(&pp);
	wire_buf_free(&b);
	wire_buf_free(&again);
}

/* wire_end_checked: a frame its decoder refuses is taken back, and the
 * decoder's reason returned; a good one is kept and its start given. */
Test(wire, end_checked_takes_back_a_frame_the_decoder_refuses)
{
	struct wire_buf b;
	size_t s, start = 99;

	wire_buf_init(&b, 4096);
	wire_put_u8(&b, 0xee); /* something before, kept */
	s = wire_begin(&b, BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	wire_put_u64(&b, 0); /* timestamp 0: refused */
	wire_put_u16(&b, 1);
	wire_put_u8(&b, 'x');
	cr_assert_eq(wire_end_checked(&b, s, &start), BYZ_EFIELD);
	cr_assert_eq(b.len, 1);
	cr_assert_eq(start, 99);
	s = wire_begin(&b, BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	wire_put_u64(&b, 1);
	wire_put_u16(&b, 1);
	wire_put_u8(&b, 'x');
	cr_assert_eq(wire_end_checked(&b, s, &start), 0);
	cr_assert_eq(start, 1);
	cr_assert_eq(b.len, 1 + WIRE_HEADER_BYTES + 11);
	wire_buf_free(&b);
}

/* byz_bytes_set copies, also from inside its own bytes. */
Test(wire, owned_bytes_copy_from_anywhere)
{
	struct byz_bytes b = {0};

	cr_assert_eq(byz_bytes_set(&b, (const uint8_t *)"abcdef", 6), 0);
	cr_assert_eq(byz_bytes_set(&b, b.p + 2, 3), 0);
	cr_assert_eq(b.len, 3);
	cr_assert_eq(memcmp(b.p, "cde", 3), 0);
	cr_assert_eq(byz_bytes_set(&b, b.p, b.len), 0);
	cr_assert_eq(memcmp(b.p, "cde", 3), 0);
	byz_bytes_free(&b);
	cr_assert_null(b.p);
}
