/*
 * gen_wire_corpus.c - writes the named frames of tests/corpus/wire and
 * prints the test vector of docs/wire.md.
 *
 * Not built by meson: run it by hand when the format changes, e.g.
 *
 *   gcc -std=c11 -D_POSIX_C_SOURCE=200809L -Ilib -Ibuild \
 *       tests/corpus/gen_wire_corpus.c lib/registry.c build/libbyz.a \
 *       -lsodium -lm -o /tmp/gen && /tmp/gen tests/corpus/wire
 *
 * File names state the expectation (tests/fuzz/corpus_main.c checks it):
 * ok-<what>.bin decodes as a signed frame; err-<errname>-<what>.bin fails
 * with exactly byz_errname(code) == errname. Every signature is real and
 * deterministic (keys from seed 1), so a file fails only for the reason
 * its name gives, and regenerating gives identical bytes.
 */
#include "crypto.h"
#include "toy/toy_wire.h"
#include "pbft/pbft_wire.h"
#include "hotstuff/hs_wire.h"
#include "tendermint/tm_wire.h"
#include "raft/raft_wire.h"
#include "err.h"
#include "wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED 1
#define BIG  (2 * WIRE_MAX_FRAME)

static const char *outdir;
static int nfiles;

/* A frame header with every field settable, including wrong ones. */
struct hdr {
	uint8_t magic0, magic1, version, proto, type, flags;
	uint32_t sender;
	int64_t length; /* -1: the body's real length */
};

static struct hdr hdr_of(uint8_t proto, uint8_t type, uint32_t sender)
{
	struct hdr h = {'B', 'Z', WIRE_VERSION, proto, type, 0, sender, -1};
	return h;
}

static void die(const char *what)
{
	fprintf(stderr, "gen_wire_corpus: %s\n", what);
	exit(1);
}

/* The key a sender of (proto, type) signs with: docs/wire.md "Keys". */
static void key_for(struct byz_keypair *kp, uint8_t proto, uint8_t type,
		    uint32_t sender)
{
	enum byz_role role =
	    proto == BYZ_PROTO_CLIENT && type == WIRE_CLIENT_REQUEST
		? BYZ_ROLE_CLIENT
		: BYZ_ROLE_REPLICA;
	byz_key_derive(kp, SEED, role, sender);
}

/*
 * Append header h, body, and (if sign) a real signature over both as the
 * header's (protocol, type), whatever they hold.
 */
static void raw(struct wire_buf *b, const struct hdr *h, const uint8_t *body,
		size_t body_len, int sign)
{
	size_t start = b->len;
	struct byz_keypair kp;
	uint8_t sig[BYZ_SIG_BYTES];

	wire_put_u8(b, h->magic0);
	wire_put_u8(b, h->magic1);
	wire_put_u8(b, h->version);
	wire_put_u8(b, h->proto);
	wire_put_u8(b, h->type);
	wire_put_u8(b, h->flags);
	wire_put_u32(b, h->sender);
	wire_put_u32(b,
		     h->length < 0 ? (uint32_t)body_len : (uint32_t)h->length);
	wire_put_bytes(b, body, body_len);
	if (b->err)
		die("buffer");
	if (!sign)
		return;
	key_for(&kp, h->proto, h->type, h->sender);
	byz_sign(&kp, h->proto, h->type, b->data + start, b->len - start, sig);
	wire_put_bytes(b, sig, sizeof sig);
}

static void emit(const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.bin", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die(path);
	nfiles++;
}

static void emit_buf(const char *name, const struct wire_buf *b)
{
	emit(name, b->data, b->len);
}

/* A signed CLIENT REQUEST through the real encoder. */
static void good_request(struct wire_buf *b, uint32_t client, uint64_t ts,
			 const char *op, size_t op_len)
{
	struct byz_keypair kp;
	size_t s;

	byz_key_derive(&kp, SEED, BYZ_ROLE_CLIENT, client);
	if (wire_enc_request(b, &s, client, ts, (const uint8_t *)op, op_len) ||
	    wire_sign(b, s, &kp))
		die("request");
}

/* A signed frame through the real encoders' signer. */
static void sign_last(struct wire_buf *b, size_t s, uint8_t proto, uint8_t type,
		      uint32_t sender)
{
	struct byz_keypair kp;

	key_for(&kp, proto, type, sender);
	if (wire_sign(b, s, &kp))
		die("sign");
}

/* Body builders for crafted frames. */
static void body_request(struct wire_buf *b, uint64_t ts, uint16_t op_len,
			 const void *op, size_t op_bytes)
{
	wire_put_u64(b, ts);
	wire_put_u16(b, op_len);
	wire_put_bytes(b, op, op_bytes);
}

static void body_reply(struct wire_buf *b, uint64_t view, uint32_t client,
		       uint64_t ts, uint16_t rlen, const void *r, size_t rbytes)
{
	wire_put_u64(b, view);
	wire_put_u32(b, client);
	wire_put_u64(b, ts);
	wire_put_u16(b, rlen);
	wire_put_bytes(b, r, rbytes);
}

static void body_order(struct wire_buf *b, uint64_t seq, uint32_t req_len,
		       const void *req, size_t req_bytes)
{
	wire_put_u64(b, seq);
	wire_put_u32(b, req_len);
	wire_put_bytes(b, req, req_bytes);
}

/* Emit one crafted signed frame: header h over the body in bb. */
static void crafted(const char *name, const struct hdr *h,
		    const struct wire_buf *bb)
{
	struct wire_buf f;

	wire_buf_init(&f, BIG);
	raw(&f, h, bb->data, bb->len, 1);
	emit_buf(name, &f);
	wire_buf_free(&f);
}

/* An ORDER from replica 0 at seq 1 whose body embeds nested as is. */
static void order_around(const char *name, const struct wire_buf *nested,
			 uint32_t req_len)
{
	struct hdr h = hdr_of(TOY_PROTO, TOY_ORDER, 0);
	struct wire_buf bb;

	wire_buf_init(&bb, BIG);
	body_order(&bb, 1, req_len, nested->data, nested->len);
	crafted(name, &h, &bb);
	wire_buf_free(&bb);
}

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
	char *hex = malloc(2 * n + 1);

	if (!hex)
		die("memory");
	byz_hex(hex, p, n);
	printf("%s (%zu bytes): %s\n", label, n, hex);
	free(hex);
}

/* The docs/wire.md test vector, printed and written as a corpus file. */
static void gen_vector(void)
{
	struct byz_keypair kp;
	struct wire_buf b;

	wire_buf_init(&b, BIG);
	good_request(&b, 0, 1, "put k v", 7);
	byz_key_derive(&kp, SEED, BYZ_ROLE_CLIENT, 0);
	print_hex("public key", kp.pk, sizeof kp.pk);
	print_hex("frame", b.data, b.len);
	emit_buf("ok-client-request-vector", &b);
	wire_buf_free(&b);
}

static void gen_ok(void)
{
	static uint8_t big[WIRE_MAX_OP];
	struct wire_buf b, req;
	size_t s;

	memset(big, 'x', sizeof big);
	wire_buf_init(&b, BIG);
	wire_buf_init(&req, BIG);

	good_request(&b, UINT32_MAX, UINT64_MAX, (const char *)big,
		     WIRE_MAX_OP);
	emit_buf("ok-client-request-max-op", &b);
	wire_buf_reset(&b);
	good_request(&b, 7, 42, "g", 1);
	emit_buf("ok-client-request-one-byte-op", &b);
	wire_buf_reset(&b);

	if (wire_enc_reply(&b, &s, 1, 0, 0, 1, (const uint8_t *)"ok", 2))
		die("reply");
	sign_last(&b, s, BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, 1);
	emit_buf("ok-client-reply", &b);
	wire_buf_reset(&b);
	if (wire_enc_reply(&b, &s, 3, UINT64_MAX, UINT32_MAX, 9, NULL, 0))
		die("reply");
	sign_last(&b, s, BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, 3);
	emit_buf("ok-client-reply-empty-result", &b);
	wire_buf_reset(&b);
	if (wire_enc_reply(&b, &s, 2, 5, 4, 3, big, WIRE_MAX_RESULT))
		die("reply");
	sign_last(&b, s, BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, 2);
	emit_buf("ok-client-reply-max-result", &b);
	wire_buf_reset(&b);

	good_request(&req, 0, 1, "put k v", 7);
	if (toy_enc_order(&b, &s, 0, 1, req.data, req.len))
		die("order");
	sign_last(&b, s, TOY_PROTO, TOY_ORDER, 0);
	emit_buf("ok-toy-order", &b);
	wire_buf_reset(&b);
	wire_buf_reset(&req);
	good_request(&req, 5, 77, (const char *)big, WIRE_MAX_OP);
	if (toy_enc_order(&b, &s, 3, UINT64_MAX, req.data, req.len))
		die("order");
	sign_last(&b, s, TOY_PROTO, TOY_ORDER, 3);
	emit_buf("ok-toy-order-max-op", &b);
	wire_buf_reset(&b);

	if (toy_enc_fetch(&b, &s, 2, 1))
		die("fetch");
	sign_last(&b, s, TOY_PROTO, TOY_FETCH, 2);
	emit_buf("ok-toy-fetch", &b);
	wire_buf_reset(&b);
	if (toy_enc_fetch(&b, &s, UINT32_MAX, UINT64_MAX))
		die("fetch");
	sign_last(&b, s, TOY_PROTO, TOY_FETCH, UINT32_MAX);
	emit_buf("ok-toy-fetch-max-seq", &b);

	wire_buf_free(&b);
	wire_buf_free(&req);
}

/*
 * Re-sign a frame of n bytes (signature last) after its header was
 * altered, so that it fails only for the alteration.
 */
static void resign(uint8_t *p, size_t n)
{
	struct byz_keypair kp;
	uint32_t sender = (uint32_t)p[6] | (uint32_t)p[7] << 8 |
			  (uint32_t)p[8] << 16 | (uint32_t)p[9] << 24;

	key_for(&kp, p[3], p[4], sender);
	byz_sign(&kp, p[3], p[4], p, n - BYZ_SIG_BYTES, p + n - BYZ_SIG_BYTES);
}

/* One valid signed frame of each type, named. */
static const char *const kinds[] = {"request", "reply", "order", "fetch"};

static void good_frame(struct wire_buf *b, int kind)
{
	struct wire_buf req;
	size_t s;

	switch (kind) {
	case 0:
		good_request(b, 0, 1, "put k v", 7);
		break;
	case 1:
		if (wire_enc_reply(b, &s, 1, 0, 0, 1, (const uint8_t *)"ok", 2))
			die("reply");
		sign_last(b, s, BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, 1);
		break;
	case 2:
		wire_buf_init(&req, BIG);
		good_request(&req, 0, 1, "put k v", 7);
		if (toy_enc_order(b, &s, 0, 1, req.data, req.len))
			die("order");
		sign_last(b, s, TOY_PROTO, TOY_ORDER, 0);
		wire_buf_free(&req);
		break;
	default:
		if (toy_enc_fetch(b, &s, 2, 1))
			die("fetch");
		sign_last(b, s, TOY_PROTO, TOY_FETCH, 2);
		break;
	}
}

/* Emit b's frame with byte off set to v, re-signed. */
static void emit_poked(const char *name, const struct wire_buf *b, size_t off,
		       uint8_t v)
{
	uint8_t *p = malloc(b->len);

	if (!p)
		die("memory");
	memcpy(p, b->data, b->len);
	p[off] = v;
	resign(p, b->len);
	emit(name, p, b->len);
	free(p);
}

/* Header faults: each kind on each message type, then special cases. */
static void gen_header_errors(void)
{
	struct wire_buf b, bb;
	struct hdr h;
	char name[128];

	wire_buf_init(&b, BIG);
	wire_buf_init(&bb, BIG);
	for (int k = 0; k < 4; k++) {
		const char *t = kinds[k];

		wire_buf_reset(&b);
		good_frame(&b, k);
		snprintf(name, sizeof name, "err-truncated-%s-header", t);
		emit(name, b.data, WIRE_HEADER_BYTES - 1);
		snprintf(name, sizeof name, "err-truncated-%s-header-only", t);
		emit(name, b.data, WIRE_HEADER_BYTES);
		snprintf(name, sizeof name, "err-truncated-%s-no-signature", t);
		emit(name, b.data, b.len - BYZ_SIG_BYTES);
		snprintf(name, sizeof name, "err-truncated-%s-signature", t);
		emit(name, b.data, b.len - 1);
		snprintf(name, sizeof name, "err-bad-magic-%s", t);
		emit_poked(name, &b, 1, 'Y');
		snprintf(name, sizeof name, "err-bad-version-%s", t);
		emit_poked(name, &b, 2, 2);
		snprintf(name, sizeof name, "err-bad-flags-%s", t);
		emit_poked(name, &b, 5, (uint8_t)(1u << k));
		snprintf(name, sizeof name, "err-too-big-%s-length-field", t);
		emit_poked(name, &b, 13, 0xff);
		snprintf(name, sizeof name, "err-truncated-%s-length-one-more",
			 t);
		emit_poked(name, &b, 10, (uint8_t)(b.data[10] + 1));
		snprintf(name, sizeof name, "err-bad-length-%s-length-one-less",
			 t);
		emit_poked(name, &b, 10, (uint8_t)(b.data[10] - 1));
		wire_put_u8(&b, 0);
		snprintf(name, sizeof name, "err-bad-length-%s-extra-byte", t);
		emit_buf(name, &b);
	}

	wire_buf_reset(&b);
	good_request(&b, 0, 1, "put k v", 7);
	emit("err-truncated-empty", b.data, 0);
	emit("err-truncated-magic-only", b.data, 2);
	emit("err-truncated-header", b.data, WIRE_HEADER_BYTES - 1);

	body_request(&bb, 1, 7, "put k v", 7);
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	h.magic0 = 'b';
	h.magic1 = 'z';
	crafted("err-bad-magic-lowercase", &h, &bb);
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	h.version = 0;
	crafted("err-bad-version-zero", &h, &bb);
	h = hdr_of(6, WIRE_CLIENT_REQUEST, 0); /* 4 is raft's since then */
	crafted("err-bad-protocol-six", &h, &bb);
	h = hdr_of(255, 1, 0);
	crafted("err-bad-protocol-255", &h, &bb);
	h = hdr_of(BYZ_PROTO_CLIENT, 0, 0);
	crafted("err-bad-type-client-zero", &h, &bb);
	h = hdr_of(BYZ_PROTO_CLIENT, 3, 0);
	crafted("err-bad-type-client-three", &h, &bb);
	h = hdr_of(TOY_PROTO, 0, 0);
	crafted("err-bad-type-toy-zero", &h, &bb);
	h = hdr_of(TOY_PROTO, 3, 0);
	crafted("err-bad-type-toy-three", &h, &bb);
	h = hdr_of(PBFT_PROTO, 0, 0);
	crafted("err-bad-type-pbft-zero", &h, &bb);
	h = hdr_of(PBFT_PROTO, PBFT_VCS + 1, 0);
	crafted("err-bad-type-pbft-eleven", &h, &bb);
	h = hdr_of(HS_PROTO, 0, 0);
	crafted("err-bad-type-hotstuff-zero", &h, &bb);
	h = hdr_of(HS_PROTO, HS_STATE + 1, 0);
	crafted("err-bad-type-hotstuff-eight", &h, &bb);
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	h.flags = 0x80;
	crafted("err-bad-flags-high-bit", &h, &bb);
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	h.length = 0xffffffff;
	crafted("err-too-big-request-length-u32-max", &h, &bb);

	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	h = hdr_of(TOY_PROTO, TOY_FETCH, 2);
	h.length = WIRE_MAX_FRAME - WIRE_HEADER_BYTES - BYZ_SIG_BYTES + 1;
	crafted("err-too-big-fetch-length-just-over", &h, &bb);
	h = hdr_of(TOY_PROTO, TOY_FETCH, 2);
	wire_buf_reset(&b);
	raw(&b, &h, bb.data, bb.len, 1);
	wire_put_bytes(&b, b.data + b.len - 64, 64);
	emit_buf("err-bad-length-fetch-two-signatures", &b);

	wire_buf_free(&b);
	wire_buf_free(&bb);
}

/* Body faults, per message type. */
static void gen_body_errors(void)
{
	static uint8_t big[WIRE_MAX_OP + 1];
	struct wire_buf bb;
	struct hdr rq = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	struct hdr rp = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, 1);
	struct hdr fe = hdr_of(TOY_PROTO, TOY_FETCH, 2);

	memset(big, 'y', sizeof big);
	wire_buf_init(&bb, BIG);

	/* request */
	wire_put_u32(&bb, 1);
	crafted("err-truncated-request-timestamp", &rq, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u8(&bb, 7);
	crafted("err-truncated-request-op-length", &rq, &bb);
	wire_buf_reset(&bb);
	body_request(&bb, 1, 7, "put k", 5);
	crafted("err-truncated-request-op", &rq, &bb);
	wire_buf_reset(&bb);
	body_request(&bb, 0, 7, "put k v", 7);
	crafted("err-bad-field-request-timestamp-zero", &rq, &bb);
	wire_buf_reset(&bb);
	body_request(&bb, 1, 0, NULL, 0);
	crafted("err-bad-field-request-empty-op", &rq, &bb);
	wire_buf_reset(&bb);
	body_request(&bb, 1, WIRE_MAX_OP + 1, big, WIRE_MAX_OP + 1);
	crafted("err-too-big-request-op", &rq, &bb);
	wire_buf_reset(&bb);
	body_request(&bb, 1, 0xffff, "x", 1);
	crafted("err-too-big-request-op-length-max", &rq, &bb);
	wire_buf_reset(&bb);
	body_request(&bb, 1, 7, "put k v!", 8);
	crafted("err-trailing-bytes-request", &rq, &bb);

	/* reply */
	wire_buf_reset(&bb);
	body_reply(&bb, 0, 0, 1, 0, NULL, 0);
	bb.len -= 3;
	crafted("err-truncated-reply-fixed-fields", &rp, &bb);
	wire_buf_reset(&bb);
	body_reply(&bb, 0, 0, 1, 5, "ok", 2);
	crafted("err-truncated-reply-result", &rp, &bb);
	wire_buf_reset(&bb);
	body_reply(&bb, 0, 0, 0, 2, "ok", 2);
	crafted("err-bad-field-reply-timestamp-zero", &rp, &bb);
	wire_buf_reset(&bb);
	body_reply(&bb, 0, 0, 1, WIRE_MAX_RESULT + 1, big, WIRE_MAX_RESULT + 1);
	crafted("err-too-big-reply-result", &rp, &bb);
	wire_buf_reset(&bb);
	body_reply(&bb, 0, 0, 1, 2, "ok!", 3);
	crafted("err-trailing-bytes-reply", &rp, &bb);

	/* fetch */
	wire_buf_reset(&bb);
	wire_put_u32(&bb, 1);
	wire_put_u16(&bb, 0);
	wire_put_u8(&bb, 0);
	crafted("err-truncated-fetch-seq", &fe, &bb);
	wire_buf_reset(&bb);
	crafted("err-truncated-fetch-empty-body", &fe, &bb);
	wire_put_u64(&bb, 0);
	crafted("err-bad-field-fetch-seq-zero", &fe, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u8(&bb, 0);
	crafted("err-trailing-bytes-fetch", &fe, &bb);

	wire_buf_free(&bb);
}

/* ORDER faults: its own fields, and the embedded request's. */
static void gen_order_errors(void)
{
	struct wire_buf req, bb, nest;
	struct hdr od = hdr_of(TOY_PROTO, TOY_ORDER, 0);
	struct hdr h;
	size_t s;

	wire_buf_init(&req, BIG);
	wire_buf_init(&bb, BIG);
	wire_buf_init(&nest, BIG);
	good_request(&req, 0, 1, "put k v", 7);

	wire_put_u32(&bb, 1);
	crafted("err-truncated-order-seq", &od, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u16(&bb, 95);
	crafted("err-truncated-order-request-length", &od, &bb);
	wire_buf_reset(&bb);
	body_order(&bb, 1, (uint32_t)req.len, req.data, 50);
	crafted("err-truncated-order-request-bytes", &od, &bb);
	wire_buf_reset(&bb);
	body_order(&bb, 0, (uint32_t)req.len, req.data, req.len);
	crafted("err-bad-field-order-seq-zero", &od, &bb);
	wire_buf_reset(&bb);
	body_order(&bb, 1, 0xffffffff, req.data, req.len);
	crafted("err-too-big-order-request-length", &od, &bb);
	wire_buf_reset(&bb);
	body_order(&bb, 1, (uint32_t)req.len, req.data, req.len);
	wire_put_u8(&bb, 0);
	crafted("err-trailing-bytes-order-after-request", &od, &bb);

	/* The embedded frame is parsed like a top-level one. */
	order_around("err-truncated-order-nested-empty", &nest, 0);
	wire_put_bytes(&nest, req.data, 10);
	order_around("err-truncated-order-nested-short-header", &nest, 10);
	wire_buf_reset(&nest);
	wire_put_bytes(&nest, req.data, req.len - 1);
	order_around("err-truncated-order-nested-signature", &nest,
		     (uint32_t)nest.len);
	wire_buf_reset(&nest);
	wire_put_bytes(&nest, req.data, req.len - 64);
	order_around("err-truncated-order-nested-unsigned", &nest,
		     (uint32_t)nest.len);
	wire_buf_reset(&nest);
	wire_put_bytes(&nest, req.data, req.len);
	wire_put_u8(&nest, 0);
	order_around("err-bad-length-order-nested-extra-byte", &nest,
		     (uint32_t)nest.len);

	wire_buf_reset(&bb);
	body_request(&bb, 1, 7, "put k v", 7);
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	h.magic0 = 'X';
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-bad-magic-order-nested", &nest, (uint32_t)nest.len);
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	h.version = 2;
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-bad-version-order-nested", &nest, (uint32_t)nest.len);
	h = hdr_of(9, WIRE_CLIENT_REQUEST, 0);
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-bad-protocol-order-nested", &nest,
		     (uint32_t)nest.len);
	h = hdr_of(BYZ_PROTO_CLIENT, 7, 0);
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-bad-type-order-nested", &nest, (uint32_t)nest.len);
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	h.flags = 4;
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-bad-flags-order-nested", &nest, (uint32_t)nest.len);
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	h.length = 0xfffffff0;
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-too-big-order-nested-length-field", &nest,
		     (uint32_t)nest.len);

	/* The embedded request's body is checked like a top-level one. */
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	wire_buf_reset(&bb);
	body_request(&bb, 0, 7, "put k v", 7);
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-bad-field-order-nested-timestamp-zero", &nest,
		     (uint32_t)nest.len);
	wire_buf_reset(&bb);
	body_request(&bb, 1, 0, NULL, 0);
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-bad-field-order-nested-empty-op", &nest,
		     (uint32_t)nest.len);
	wire_buf_reset(&bb);
	body_request(&bb, 1, 2000, "x", 1);
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-too-big-order-nested-op", &nest, (uint32_t)nest.len);
	wire_buf_reset(&bb);
	body_request(&bb, 1, 7, "put k v?", 8);
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-trailing-bytes-order-nested-op", &nest,
		     (uint32_t)nest.len);
	wire_buf_reset(&bb);
	body_request(&bb, 1, 7, "put", 3);
	wire_buf_reset(&nest);
	raw(&nest, &h, bb.data, bb.len, 1);
	order_around("err-truncated-order-nested-op", &nest,
		     (uint32_t)nest.len);

	/* Frames of the wrong kind inside an ORDER. */
	wire_buf_reset(&nest);
	if (wire_enc_reply(&nest, &s, 1, 0, 0, 1, (const uint8_t *)"ok", 2))
		die("reply");
	sign_last(&nest, s, BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, 1);
	order_around("err-bad-nested-order-holds-reply", &nest,
		     (uint32_t)nest.len);
	wire_buf_reset(&nest);
	if (toy_enc_fetch(&nest, &s, 0, 1))
		die("fetch");
	sign_last(&nest, s, TOY_PROTO, TOY_FETCH, 0);
	order_around("err-bad-nested-order-holds-fetch", &nest,
		     (uint32_t)nest.len);
	wire_buf_reset(&nest);
	if (toy_enc_order(&nest, &s, 0, 1, req.data, req.len))
		die("order");
	sign_last(&nest, s, TOY_PROTO, TOY_ORDER, 0);
	order_around("err-bad-nested-order-holds-order", &nest,
		     (uint32_t)nest.len);
	wire_buf_reset(&nest);
	if (wire_enc_request(&nest, &s, 0, 1, (const uint8_t *)"put k v", 7))
		die("request");
	order_around("err-truncated-order-holds-unsigned-request", &nest,
		     (uint32_t)nest.len);

	wire_buf_free(&req);
	wire_buf_free(&bb);
	wire_buf_free(&nest);
}

/* ---- HotStuff (docs/wire.md "HotStuff") --------------------------------- */

/* A signed HotStuff frame of replica r through wire_sign. */
static void hs_sign(struct wire_buf *b, size_t s, uint32_t r)
{
	struct byz_keypair kp;

	byz_key_derive(&kp, SEED, BYZ_ROLE_REPLICA, r);
	if (wire_sign(b, s, &kp))
		die("hotstuff sign");
}

/* The signed VOTE of replica r for (view, hash), appended to b. */
static void hs_vote_frame(struct wire_buf *b, uint32_t r, uint64_t view,
			  const uint8_t *hash)
{
	size_t s;

	if (hs_enc_vote(b, &s, r, view, hash))
		die("hotstuff vote");
	hs_sign(b, s, r);
}

/* A QC for (view 1, hash) from replicas 0, 1, 2, encoded into qc. */
static void hs_qc3(struct wire_buf *qc, const uint8_t *hash)
{
	struct wire_buf v[3];
	const uint8_t *fp[3];
	size_t fl[3];

	for (uint32_t i = 0; i < 3; i++) {
		wire_buf_init(&v[i], BIG);
		hs_vote_frame(&v[i], i, 1, hash);
		fp[i] = v[i].data;
		fl[i] = v[i].len;
	}
	if (hs_enc_qc(qc, 1, hash, (struct hs_framev){fp, fl, 3}))
		die("hotstuff qc");
	for (int i = 0; i < 3; i++)
		wire_buf_free(&v[i]);
}

static void gen_hotstuff(void)
{
	static const uint8_t zero[BYZ_DIGEST_BYTES];
	uint8_t hash[BYZ_DIGEST_BYTES];
	struct wire_buf b, qc, g, req, prop, vote, bb;
	struct hdr h;
	size_t s;
	const uint8_t *rp;
	size_t rl;

	memset(hash, 0xab, sizeof hash);
	wire_buf_init(&b, BIG);
	wire_buf_init(&qc, BIG);
	wire_buf_init(&g, BIG);
	wire_buf_init(&req, BIG);
	wire_buf_init(&prop, BIG);
	wire_buf_init(&vote, BIG);
	wire_buf_init(&bb, BIG);
	hs_qc3(&qc, hash);
	if (hs_enc_qc(&g, 0, zero, (struct hs_framev){NULL, NULL, 0}))
		die("genesis qc");
	good_request(&req, 0, 1, "put k v", 7);
	rp = req.data;
	rl = req.len;

	hs_vote_frame(&vote, 1, 1, hash);
	emit_buf("ok-hotstuff-vote", &vote);

	if (hs_enc_proposal(&prop, &s, 2, 2, qc.data, qc.len,
			    (struct hs_framev){NULL, NULL, 0},
			    (struct hs_framev){&rp, &rl, 1}))
		die("proposal");
	hs_sign(&prop, s, 2);
	emit_buf("ok-hotstuff-proposal", &prop);
	/* A vote for that block: its hash covers the batch field as encoded,
	 * count and each element's u32 length and bytes (wire.md §9.1). */
	{
		struct wire_msg pm;
		uint8_t bh[BYZ_DIGEST_BYTES];

		if (wire_decode(prop.data, prop.len, &pm))
			die("proposal");
		hs_block_hash(&hs_of(&pm)->prop, bh);
		hs_vote_frame(&b, 3, 2, bh);
		emit_buf("ok-hotstuff-vote-for-proposal", &b);
		wire_buf_reset(&b);
	}

	if (hs_enc_proposal(&b, &s, 1, 1, g.data, g.len,
			    (struct hs_framev){NULL, NULL, 0},
			    (struct hs_framev){NULL, NULL, 0}))
		die("proposal");
	hs_sign(&b, s, 1);
	emit_buf("ok-hotstuff-proposal-genesis-empty", &b);

	wire_buf_reset(&b);
	if (hs_enc_timeout(&b, &s, 1, 2, qc.data, qc.len, vote.data, vote.len))
		die("timeout");
	hs_sign(&b, s, 1);
	emit_buf("ok-hotstuff-timeout-with-vote", &b);

	wire_buf_reset(&b);
	if (hs_enc_timeout(&b, &s, 3, 5, g.data, g.len, NULL, 0))
		die("timeout");
	hs_sign(&b, s, 3);
	emit_buf("ok-hotstuff-timeout-genesis", &b);

	/* A TIMEOUT carrying a commit certificate (wire.md §9). */
	wire_buf_reset(&b);
	if (hs_enc_timeout_commit(&b, &s, 1, 4, qc.data, qc.len, vote.data,
				  vote.len, qc.data, qc.len))
		die("timeout");
	hs_sign(&b, s, 1);
	emit_buf("ok-hotstuff-timeout-commit-cert", &b);

	wire_buf_reset(&b);
	if (hs_enc_fetch(&b, &s, 0, hash, HS_MAX_FETCH))
		die("fetch");
	hs_sign(&b, s, 0);
	emit_buf("ok-hotstuff-fetch", &b);

	wire_buf_reset(&b);
	{
		const uint8_t *pp = prop.data;
		size_t pl = prop.len;
		if (hs_enc_blocks(&b, &s, 3, (struct hs_framev){&pp, &pl, 1}))
			die("blocks");
	}
	hs_sign(&b, s, 3);
	emit_buf("ok-hotstuff-blocks", &b);

	/* Catch-up by snapshot (wire.md §9): STATE_REQ and STATE. */
	wire_buf_reset(&b);
	if (hs_enc_state_req(&b, &s, 2, 7))
		die("state-req");
	hs_sign(&b, s, 2);
	emit_buf("ok-hotstuff-state-req", &b);
	wire_buf_reset(&b);
	{
		static const uint8_t snap[] = {1, 2, 3, 4, 5};
		if (hs_enc_state(&b, &s, 3, 16, 21, hash, qc.data, qc.len, snap,
				 sizeof snap))
			die("state");
	}
	hs_sign(&b, s, 3);
	emit_buf("ok-hotstuff-state", &b);

	/* Body faults. */
	h = hdr_of(HS_PROTO, HS_VOTE, 1);
	wire_put_u64(&bb, 0);
	wire_put_bytes(&bb, hash, sizeof hash);
	crafted("err-bad-field-hotstuff-vote-view-zero", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_bytes(&bb, hash, 31);
	crafted("err-truncated-hotstuff-vote-hash", &h, &bb);
	wire_put_u8(&bb, 0xab);
	wire_put_u8(&bb, 0);
	crafted("err-trailing-bytes-hotstuff-vote", &h, &bb);

	h = hdr_of(HS_PROTO, HS_FETCH, 0);
	wire_buf_reset(&bb);
	wire_put_bytes(&bb, hash, sizeof hash);
	wire_put_u16(&bb, 0);
	crafted("err-bad-field-hotstuff-fetch-count-zero", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_bytes(&bb, hash, sizeof hash);
	wire_put_u16(&bb, HS_MAX_FETCH + 1);
	crafted("err-too-big-hotstuff-fetch-count", &h, &bb);

	h = hdr_of(HS_PROTO, HS_STATE, 3);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0); /* depth 0 */
	wire_put_u64(&bb, 1);
	wire_put_bytes(&bb, hash, sizeof hash);
	wire_put_u64(&bb, 0); /* the genesis QC */
	wire_put_bytes(&bb, zero, sizeof zero);
	wire_put_u16(&bb, 0);
	wire_put_u32(&bb, 0);
	crafted("err-bad-field-hotstuff-state-depth-zero", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u64(&bb, 1);
	wire_put_bytes(&bb, hash, sizeof hash);
	wire_put_u64(&bb, 0);
	wire_put_bytes(&bb, zero, sizeof zero);
	wire_put_u16(&bb, 0);
	wire_put_u32(&bb, 100); /* a snapshot longer than what follows */
	wire_put_bytes(&bb, hash, sizeof hash);
	crafted("err-truncated-hotstuff-state-snapshot", &h, &bb);
	/* Depth 0 is refused as soon as it is read, before the rest is
	 * looked at (here a snapshot longer than what follows). */
	bb.data[0] = 0;
	crafted("err-bad-field-hotstuff-state-depth-zero-before-snapshot", &h,
		&bb);

	h = hdr_of(HS_PROTO, HS_BLOCKS, 3);
	wire_buf_reset(&bb);
	wire_put_u16(&bb, 0);
	crafted("err-bad-field-hotstuff-blocks-empty", &h, &bb);
	/* Count 0 is refused once the (empty) list is read: before the
	 * bytes after it are looked at. */
	wire_put_u8(&bb, 0);
	crafted("err-bad-field-hotstuff-blocks-empty-then-trailing-bytes", &h,
		&bb);
	wire_buf_reset(&bb);
	wire_put_u16(&bb, 1);
	wire_put_frame(&bb, vote.data, vote.len);
	crafted("err-bad-nested-hotstuff-blocks-holds-vote", &h, &bb);

	/* A TIMEOUT whose vote list holds two votes (at most one). */
	h = hdr_of(HS_PROTO, HS_TIMEOUT, 1);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 2);
	wire_put_bytes(&bb, g.data, g.len);
	wire_put_u16(&bb, 2);
	wire_put_frame(&bb, vote.data, vote.len);
	wire_put_frame(&bb, vote.data, vote.len);
	crafted("err-too-big-hotstuff-timeout-two-votes", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_bytes(&bb, g.data, g.len);
	wire_put_u16(&bb, 0);
	wire_put_bytes(&bb, g.data, g.len);
	crafted("err-bad-field-hotstuff-timeout-view-zero", &h, &bb);
	/* The format before the commit certificate: it ends too soon. */
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 2);
	wire_put_bytes(&bb, g.data, g.len);
	wire_put_u16(&bb, 0);
	crafted("err-truncated-hotstuff-timeout-no-commit-cert", &h, &bb);
	/* A commit certificate whose vote list holds a request. */
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 2);
	wire_put_bytes(&bb, g.data, g.len);
	wire_put_u16(&bb, 0);
	wire_put_u64(&bb, 1);
	wire_put_bytes(&bb, hash, sizeof hash);
	wire_put_u16(&bb, 1);
	wire_put_frame(&bb, req.data, req.len);
	crafted("err-bad-nested-hotstuff-timeout-commit-cert-holds-request", &h,
		&bb);

	/* A proposal whose QC holds a request instead of a vote. */
	h = hdr_of(HS_PROTO, HS_PROPOSAL, 2);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 2);
	wire_put_u64(&bb, 1);
	wire_put_bytes(&bb, hash, sizeof hash);
	wire_put_u16(&bb, 1);
	wire_put_frame(&bb, req.data, req.len);
	wire_put_u16(&bb, 0);
	wire_put_u16(&bb, 0);
	crafted("err-bad-nested-hotstuff-proposal-qc-holds-request", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 2);
	wire_put_bytes(&bb, g.data, g.len);
	wire_put_u16(&bb, 0);
	crafted("err-truncated-hotstuff-proposal-no-batch", &h, &bb);

	wire_buf_free(&b);
	wire_buf_free(&qc);
	wire_buf_free(&g);
	wire_buf_free(&req);
	wire_buf_free(&prop);
	wire_buf_free(&vote);
	wire_buf_free(&bb);
}

/* ---- PBFT (docs/wire.md "PBFT") ----------------------------------------- */

#define PB_MAX_LIST 4

/* A short list of signed frames, each in its own buffer, for a framev. */
struct pb_list {
	struct wire_buf f[PB_MAX_LIST];
	const uint8_t *fp[PB_MAX_LIST];
	size_t fl[PB_MAX_LIST];
	size_t n;
};

static void pb_list_init(struct pb_list *l)
{
	for (int i = 0; i < PB_MAX_LIST; i++)
		wire_buf_init(&l->f[i], BIG);
	l->n = 0;
}

static void pb_list_free(struct pb_list *l)
{
	for (int i = 0; i < PB_MAX_LIST; i++)
		wire_buf_free(&l->f[i]);
}

/* The next empty slot's buffer; pb_list_push takes what was put there. */
static struct wire_buf *pb_slot(struct pb_list *l)
{
	if (l->n == PB_MAX_LIST)
		die("pbft list");
	return &l->f[l->n];
}

static void pb_list_push(struct pb_list *l)
{
	l->fp[l->n] = l->f[l->n].data;
	l->fl[l->n] = l->f[l->n].len;
	l->n++;
}

static struct pbft_framev pb_v(const struct pb_list *l)
{
	return (struct pbft_framev){l->fp, l->fl, l->n};
}

/* Sign the PBFT frame at [s, b->len) as replica r. */
static void pb_sign(struct wire_buf *b, size_t s, uint32_t r)
{
	struct byz_keypair kp;

	byz_key_derive(&kp, SEED, BYZ_ROLE_REPLICA, r);
	if (wire_sign(b, s, &kp))
		die("pbft sign");
}

/* A signed PRE-PREPARE of replica r for (view, seq) over the requests of
 * batch (which may be empty: the null request). */
static void pb_preprepare(struct wire_buf *b, uint32_t r, uint64_t view,
			  uint64_t seq, const struct pb_list *batch)
{
	size_t s;

	if (pbft_enc_preprepare(b, &s, r, view, seq, pb_v(batch)))
		die("pre-prepare");
	pb_sign(b, s, r);
}

static void pb_vote(struct wire_buf *b, uint8_t type, uint32_t r, uint64_t view,
		    uint64_t seq, const uint8_t *d)
{
	size_t s;

	if (pbft_enc_vote(b, &s, type, r, view, seq, d))
		die("vote");
	pb_sign(b, s, r);
}

static void pb_checkpoint(struct wire_buf *b, uint32_t r, uint64_t seq,
			  const uint8_t *d)
{
	size_t s;

	if (pbft_enc_checkpoint(b, &s, r, seq, d))
		die("checkpoint");
	pb_sign(b, s, r);
}

/* A signed VIEW-CHANGE of replica r to view: stable checkpoint seq with
 * proof, and one prepared certificate (pp and its prepares). */
static void pb_viewchange(struct wire_buf *b, uint32_t r, uint64_t view,
			  uint64_t seq, const uint8_t *d,
			  const struct pb_list *proof,
			  const struct wire_buf *pp,
			  const struct pb_list *prepares)
{
	size_t s;

	if (pbft_enc_viewchange_begin(b, &s, r, view, seq, d, pb_v(proof), 1))
		die("view-change");
	pbft_enc_pset_entry(b, pp->data, pp->len, pb_v(prepares));
	if (pbft_enc_end(b, s))
		die("view-change");
	pb_sign(b, s, r);
}

/* A PBFT frame of replica r with a crafted body, signed: it fails only for
 * what the body holds. */
static void pb_crafted(const char *name, uint8_t type, uint32_t r,
		       const struct wire_buf *bb)
{
	struct hdr h = hdr_of(PBFT_PROTO, type, r);

	crafted(name, &h, bb);
}

static void gen_pbft(void)
{
	uint8_t d[BYZ_DIGEST_BYTES], sd[BYZ_DIGEST_BYTES];
	struct pb_list batch, one, none, ckpts, preps, vcs, pps, commits;
	struct wire_buf b, pp, pp1, bb, rep;
	size_t s;

	memset(sd, 0x5d, sizeof sd);
	wire_buf_init(&b, BIG);
	wire_buf_init(&pp, BIG);
	wire_buf_init(&pp1, BIG);
	wire_buf_init(&bb, BIG);
	wire_buf_init(&rep, BIG);
	pb_list_init(&batch);
	pb_list_init(&one);
	pb_list_init(&none);
	pb_list_init(&ckpts);
	pb_list_init(&preps);
	pb_list_init(&vcs);
	pb_list_init(&pps);
	pb_list_init(&commits);

	/* A pre-prepare (view 0, seq 1) of two signed requests. */
	good_request(pb_slot(&batch), 0, 1, "put k v", 7);
	pb_list_push(&batch);
	good_request(pb_slot(&batch), 1, 2, "get k", 5);
	pb_list_push(&batch);
	pb_preprepare(&pp, 0, 0, 1, &batch);
	emit_buf("ok-pbft-preprepare", &pp);
	/* Its digest: the batch bytes (count and frames). */
	byz_digest(d, pp.data + WIRE_HEADER_BYTES + 16,
		   pp.len - WIRE_HEADER_BYTES - 16 - BYZ_SIG_BYTES);

	pb_preprepare(&b, 1, 1, 2, &none);
	emit_buf("ok-pbft-preprepare-null", &b);

	wire_buf_reset(&b);
	pb_vote(&b, PBFT_PREPARE, 1, 0, 1, d);
	emit_buf("ok-pbft-prepare", &b);
	wire_buf_reset(&b);
	pb_vote(&b, PBFT_COMMIT, 2, 0, 1, d);
	emit_buf("ok-pbft-commit", &b);
	wire_buf_reset(&b);
	pb_checkpoint(&b, 3, 128, sd);
	emit_buf("ok-pbft-checkpoint", &b);

	/* The stable checkpoint 128 proved by replicas 0..2, and a request
	 * prepared above it: seq 129 in view 0, prepared by 1 and 2. */
	for (uint32_t i = 0; i < 3; i++) {
		pb_checkpoint(pb_slot(&ckpts), i, 128, sd);
		pb_list_push(&ckpts);
	}
	good_request(pb_slot(&one), 2, 3, "put a b", 7);
	pb_list_push(&one);
	pb_preprepare(&pp1, 0, 0, 129, &one);
	for (uint32_t i = 1; i < 3; i++) {
		pb_vote(pb_slot(&preps), PBFT_PREPARE, i, 0, 129, d);
		pb_list_push(&preps);
	}
	wire_buf_reset(&b);
	pb_viewchange(&b, 1, 1, 128, sd, &ckpts, &pp1, &preps);
	emit_buf("ok-pbft-viewchange", &b);

	/* The new view 1 (leader 1): three view-changes, and the two
	 * pre-prepares they call for (129 again, 130 a null request). */
	for (uint32_t i = 1; i < 4; i++) {
		pb_viewchange(pb_slot(&vcs), i, 1, 128, sd, &ckpts, &pp1,
			      &preps);
		pb_list_push(&vcs);
	}
	pb_preprepare(pb_slot(&pps), 1, 1, 129, &one);
	pb_list_push(&pps);
	pb_preprepare(pb_slot(&pps), 1, 1, 130, &none);
	pb_list_push(&pps);
	/* V names them: sender and digest of each signed frame. */
	{
		uint32_t vs[3];
		uint8_t vd[3][BYZ_DIGEST_BYTES];
		for (uint32_t i = 0; i < 3; i++) {
			vs[i] = i + 1;
			byz_digest(vd[i], vcs.fp[i], vcs.fl[i]);
		}
		wire_buf_reset(&b);
		if (pbft_enc_newview(&b, &s, 1, 1, vs,
				     (const uint8_t(*)[BYZ_DIGEST_BYTES])vd, 3,
				     pb_v(&pps)))
			die("new-view");
		pb_sign(&b, s, 1);
		emit_buf("ok-pbft-newview", &b);
	}

	/* r3's view-change forwarded by the primary (answer to FETCH vc). */
	wire_buf_reset(&b);
	if (pbft_enc_vcs(&b, &s, 1, vcs.fp[2], vcs.fl[2]))
		die("vcs");
	pb_sign(&b, s, 1);
	emit_buf("ok-pbft-vcs", &b);

	wire_buf_reset(&b);
	if (pbft_enc_fetch(&b, &s, 2, PBFT_FETCH_STATE, 128))
		die("fetch");
	pb_sign(&b, s, 2);
	emit_buf("ok-pbft-fetch", &b);

	wire_buf_reset(&b);
	if (pbft_enc_state(&b, &s, 0, 128, sd, pb_v(&ckpts),
			   (const uint8_t *)"snapshot", 8))
		die("state");
	pb_sign(&b, s, 0);
	emit_buf("ok-pbft-state", &b);

	for (uint32_t i = 0; i < 3; i++) {
		pb_vote(pb_slot(&commits), PBFT_COMMIT, i, 0, 1, d);
		pb_list_push(&commits);
	}
	wire_buf_reset(&b);
	if (pbft_enc_cert(&b, &s, 0, pp.data, pp.len, pb_v(&commits)))
		die("cert");
	pb_sign(&b, s, 0);
	emit_buf("ok-pbft-cert", &b);

	/* Body faults. */
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_bytes(&bb, d, sizeof d);
	pb_crafted("err-bad-field-pbft-prepare-seq-zero", PBFT_PREPARE, 1, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u16(&bb, 0);
	pb_crafted("err-bad-field-pbft-preprepare-seq-zero", PBFT_PREPREPARE, 0,
		   &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_bytes(&bb, sd, sizeof sd);
	wire_put_u16(&bb, 0);
	wire_put_u16(&bb, 0);
	pb_crafted("err-bad-field-pbft-viewchange-view-zero", PBFT_VIEWCHANGE,
		   1, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_u16(&bb, 0);
	wire_put_u16(&bb, 0);
	pb_crafted("err-bad-field-pbft-newview-view-zero", PBFT_NEWVIEW, 1,
		   &bb);
	wire_buf_reset(&bb);
	wire_put_u8(&bb, PBFT_FETCH_VC + 1);
	wire_put_u64(&bb, 128);
	pb_crafted("err-bad-field-pbft-fetch-unknown-what", PBFT_FETCH, 2, &bb);

	/* A pre-prepare whose batch holds a reply. */
	if (wire_enc_reply(&rep, &s, 1, 0, 0, 1, (const uint8_t *)"ok", 2))
		die("reply");
	sign_last(&rep, s, BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, 1);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 1);
	wire_put_u16(&bb, 1);
	wire_put_frame(&bb, rep.data, rep.len);
	pb_crafted("err-bad-nested-pbft-preprepare-batch-holds-reply",
		   PBFT_PREPREPARE, 0, &bb);

	/* A view-change whose prepared entry holds a commit where its
	 * pre-prepare belongs. */
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u64(&bb, 128);
	wire_put_bytes(&bb, sd, sizeof sd);
	wire_put_u16(&bb, (uint16_t)ckpts.n);
	for (size_t i = 0; i < ckpts.n; i++)
		wire_put_frame(&bb, ckpts.fp[i], ckpts.fl[i]);
	wire_put_u16(&bb, 1);
	wire_put_frame(&bb, commits.fp[0], commits.fl[0]);
	wire_put_u16(&bb, (uint16_t)preps.n);
	for (size_t i = 0; i < preps.n; i++)
		wire_put_frame(&bb, preps.fp[i], preps.fl[i]);
	pb_crafted("err-bad-nested-pbft-viewchange-prepared-holds-commit",
		   PBFT_VIEWCHANGE, 1, &bb);

	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 1);
	wire_put_bytes(&bb, d, sizeof d);
	wire_put_u8(&bb, 0);
	pb_crafted("err-trailing-bytes-pbft-commit", PBFT_COMMIT, 2, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 128);
	wire_put_bytes(&bb, sd, sizeof sd - 1);
	pb_crafted("err-truncated-pbft-checkpoint-digest", PBFT_CHECKPOINT, 3,
		   &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 1);
	wire_put_u16(&bb, PBFT_MAX_BATCH + 1);
	pb_crafted("err-too-big-pbft-preprepare-batch", PBFT_PREPREPARE, 0,
		   &bb);

	pb_list_free(&batch);
	pb_list_free(&one);
	pb_list_free(&none);
	pb_list_free(&ckpts);
	pb_list_free(&preps);
	pb_list_free(&vcs);
	pb_list_free(&pps);
	pb_list_free(&commits);
	wire_buf_free(&b);
	wire_buf_free(&pp);
	wire_buf_free(&pp1);
	wire_buf_free(&bb);
	wire_buf_free(&rep);
}

/* ---- the rules of embedded frames (docs/wire.md §3, §5, §9, §10) -------- */

/* Sign the unsigned frame at [s, b->len) with the seed-1 key of (role, id),
 * whatever its header says (a frame signed with the wrong key). */
static void sign_as(struct wire_buf *b, size_t s, enum byz_role role,
		    uint32_t id)
{
	struct byz_keypair kp;

	byz_key_derive(&kp, SEED, role, id);
	if (wire_sign(b, s, &kp))
		die("sign as");
}

/* Spoil the signature of the signed frame that ends b: a flipped bit in
 * its R half. */
static void spoil_last_sig(struct wire_buf *b)
{
	b->data[b->len - BYZ_SIG_BYTES] ^= 1;
}

/* A signed CERT of replica 0: inner (whatever it is) in its pre-prepare
 * slot, then the commits. */
static void cert_around(struct wire_buf *b, const uint8_t *inner, size_t len,
			struct pbft_framev commits)
{
	size_t s;

	if (pbft_enc_cert(b, &s, 0, inner, len, commits))
		die("cert");
	pb_sign(b, s, 0);
}

/* inner wrapped in `levels` CERTs, each in the pre-prepare slot of the
 * next: inner ends up at depth `levels` (the outermost CERT is depth 0). */
static void cert_chain(struct wire_buf *out, const struct wire_buf *inner,
		       int levels)
{
	static const struct pbft_framev none = {NULL, NULL, 0};
	struct wire_buf a, c;

	wire_buf_init(&a, BIG);
	wire_buf_init(&c, BIG);
	wire_put_bytes(&a, inner->data, inner->len);
	for (int i = 0; i < levels; i++) {
		wire_buf_reset(&c);
		cert_around(&c, a.data, a.len, none);
		wire_buf_reset(&a);
		wire_put_bytes(&a, c.data, c.len);
	}
	wire_put_bytes(out, a.data, a.len);
	if (out->err)
		die("cert chain");
	wire_buf_free(&a);
	wire_buf_free(&c);
}

static void gen_embedded_rules(void)
{
	static const struct pbft_framev none = {NULL, NULL, 0};
	uint8_t d[BYZ_DIGEST_BYTES];
	struct wire_buf b, bb, x, y, z;
	struct hdr h;
	size_t s;

	memset(d, 0x3c, sizeof d);
	wire_buf_init(&b, BIG);
	wire_buf_init(&bb, BIG);
	wire_buf_init(&x, BIG);
	wire_buf_init(&y, BIG);
	wire_buf_init(&z, BIG);

	/* The u32 length before an embedded frame: above 2^20 too-big,
	 * checked before looking for the bytes; up to 2^20 the bytes must
	 * be there (truncated). */
	wire_put_u32(&bb, WIRE_MAX_FRAME + 1);
	pb_crafted("err-too-big-pbft-cert-pp-length", PBFT_CERT, 0, &bb);
	wire_buf_reset(&bb);
	wire_put_u32(&bb, WIRE_MAX_FRAME);
	wire_put_bytes(&bb, d, sizeof d);
	pb_crafted("err-truncated-pbft-cert-pp-length-max", PBFT_CERT, 0, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1); /* view */
	wire_put_u64(&bb, 0); /* stable seq */
	wire_put_bytes(&bb, d, sizeof d);
	wire_put_u16(&bb, 0); /* C */
	wire_put_u16(&bb, 1); /* P count */
	wire_put_u32(&bb, WIRE_MAX_FRAME + 1);
	pb_crafted("err-too-big-pbft-viewchange-pp-length", PBFT_VIEWCHANGE, 1,
		   &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 1);
	wire_put_u16(&bb, 1);
	wire_put_u32(&bb, 0xffffffff);
	pb_crafted("err-too-big-pbft-preprepare-batch-element-length",
		   PBFT_PREPREPARE, 0, &bb);
	h = hdr_of(HS_PROTO, HS_PROPOSAL, 2);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 2);
	wire_put_u64(&bb, 1);
	wire_put_bytes(&bb, d, sizeof d);
	wire_put_u16(&bb, 1);
	wire_put_u32(&bb, WIRE_MAX_FRAME + 1);
	crafted("err-too-big-hotstuff-proposal-qc-vote-length", &h, &bb);

	/* Counts with a limit: too-big as soon as the count is read. */
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u64(&bb, 0);
	wire_put_bytes(&bb, d, sizeof d);
	wire_put_u16(&bb, 0);
	wire_put_u16(&bb, PBFT_MAX_PSET + 1);
	pb_crafted("err-too-big-pbft-viewchange-p-count", PBFT_VIEWCHANGE, 1,
		   &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u16(&bb, PBFT_MAX_SIGNERS + 1);
	pb_crafted("err-too-big-pbft-newview-v-count", PBFT_NEWVIEW, 1, &bb);

	/* An element of a frame list, or a CERT's pre-prepare, is decoded
	 * whole before its kind is checked: a REPLY with timestamp 0 in a
	 * batch is bad-field; inside an ORDER (kind first) it is
	 * bad-nested. */
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, 1);
	wire_buf_reset(&bb);
	body_reply(&bb, 0, 0, 0, 2, "ok", 2);
	wire_buf_reset(&x);
	raw(&x, &h, bb.data, bb.len, 1);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 1);
	wire_put_u16(&bb, 1);
	wire_put_frame(&bb, x.data, x.len);
	pb_crafted("err-bad-field-pbft-preprepare-batch-holds-bad-reply",
		   PBFT_PREPREPARE, 0, &bb);
	order_around("err-bad-nested-order-holds-bad-reply", &x,
		     (uint32_t)x.len);
	h = hdr_of(PBFT_PROTO, PBFT_COMMIT, 2);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 1);
	wire_put_bytes(&bb, d, sizeof d);
	wire_put_u8(&bb, 0);
	wire_buf_reset(&x);
	raw(&x, &h, bb.data, bb.len, 1);
	wire_buf_reset(&b);
	cert_around(&b, x.data, x.len, none);
	emit_buf("err-trailing-bytes-pbft-cert-pp-slot-holds-bad-commit", &b);

	/* Depth: the outermost frame is depth 0; a frame embedded at depth 7
	 * is not decoded (bad-nested); one at depth 6 is. Here a PRE-PREPARE
	 * with seq 0 under 7 and 6 CERTs. */
	h = hdr_of(PBFT_PROTO, PBFT_PREPREPARE, 0);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u16(&bb, 0);
	wire_buf_reset(&x);
	raw(&x, &h, bb.data, bb.len, 1);
	wire_buf_reset(&b);
	cert_chain(&b, &x, WIRE_MAX_DEPTH + 1);
	emit_buf("err-bad-nested-pbft-cert-chain-depth-7", &b);
	wire_buf_reset(&b);
	cert_chain(&b, &x, WIRE_MAX_DEPTH);
	emit_buf("err-bad-field-pbft-cert-chain-depth-6", &b);
	/* An ORDER's request is decoded whatever its depth: an ORDER at
	 * depth 6 holding a request with timestamp 0 (depth 7). */
	h = hdr_of(BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST, 0);
	wire_buf_reset(&bb);
	body_request(&bb, 0, 7, "put k v", 7);
	wire_buf_reset(&y);
	raw(&y, &h, bb.data, bb.len, 1);
	h = hdr_of(TOY_PROTO, TOY_ORDER, 0);
	wire_buf_reset(&bb);
	body_order(&bb, 1, (uint32_t)y.len, y.data, y.len);
	wire_buf_reset(&x);
	raw(&x, &h, bb.data, bb.len, 1);
	wire_buf_reset(&b);
	cert_chain(&b, &x, WIRE_MAX_DEPTH);
	emit_buf("err-bad-field-pbft-cert-chain-order-request-depth-7", &b);

	/* Signatures (ingress, with the corpus's keys: replicas 0..3 and
	 * clients 0..7 of seed 1). Each is checked with the key of its own
	 * frame's sender, in the name space of its own type. */
	wire_buf_reset(&b);
	if (wire_enc_reply(&b, &s, 1, 0, 0, 1, (const uint8_t *)"ok", 2))
		die("reply");
	sign_as(&b, s, BYZ_ROLE_CLIENT, 1);
	emit_buf("err-bad-signature-reply-signed-with-client-key", &b);
	wire_buf_reset(&y);
	if (wire_enc_request(&y, &s, 0, 1, (const uint8_t *)"put k v", 7))
		die("request");
	sign_as(&y, s, BYZ_ROLE_REPLICA, 0);
	{
		const uint8_t *fp = y.data;
		size_t fl = y.len;
		wire_buf_reset(&x);
		if (pbft_enc_preprepare(&x, &s, 0, 0, 1,
					(struct pbft_framev){&fp, &fl, 1}))
			die("pre-prepare");
		pb_sign(&x, s, 0);
	}
	wire_buf_reset(&b);
	cert_around(&b, x.data, x.len, none);
	emit_buf("err-bad-signature-pbft-cert-request-signed-with-replica-key",
		 &b);

	/* Order: a frame's own signature, then each embedded frame's, each
	 * followed by everything that frame embeds (depth first), in body
	 * order. This CERT's pre-prepare holds a request of client 9 (no
	 * key: unknown-signer) and its commit has a spoilt signature: depth
	 * first meets the request before the commit. */
	wire_buf_reset(&y);
	good_request(&y, 9, 1, "put k v", 7);
	{
		const uint8_t *fp = y.data, *cp;
		size_t fl = y.len, cl;
		wire_buf_reset(&x);
		pb_preprepare(
		    &x, 0, 0, 1,
		    &(struct pb_list){.fp = {fp}, .fl = {fl}, .n = 1});
		wire_buf_reset(&z);
		pb_vote(&z, PBFT_COMMIT, 1, 0, 1, d);
		spoil_last_sig(&z);
		cp = z.data;
		cl = z.len;
		wire_buf_reset(&b);
		cert_around(&b, x.data, x.len,
			    (struct pbft_framev){&cp, &cl, 1});
		emit_buf("err-unknown-signer-pbft-cert-depth-first", &b);
		/* ... and the frame's own signature comes first of all. */
		spoil_last_sig(&b);
		emit_buf("err-bad-signature-pbft-cert-own-first", &b);
	}

	/* HotStuff: a vote inside a PROPOSAL's QC, with a spoilt signature. */
	{
		uint8_t hash[BYZ_DIGEST_BYTES];
		struct wire_buf v[3], qc;
		const uint8_t *fp[3];
		size_t fl[3];

		memset(hash, 0xab, sizeof hash);
		wire_buf_init(&qc, BIG);
		for (uint32_t i = 0; i < 3; i++) {
			wire_buf_init(&v[i], BIG);
			hs_vote_frame(&v[i], i, 1, hash);
			fp[i] = v[i].data;
			fl[i] = v[i].len;
		}
		spoil_last_sig(&v[1]);
		if (hs_enc_qc(&qc, 1, hash, (struct hs_framev){fp, fl, 3}))
			die("hotstuff qc");
		wire_buf_reset(&b);
		if (hs_enc_proposal(&b, &s, 2, 2, qc.data, qc.len,
				    (struct hs_framev){NULL, NULL, 0},
				    (struct hs_framev){NULL, NULL, 0}))
			die("proposal");
		hs_sign(&b, s, 2);
		emit_buf("err-bad-signature-hotstuff-proposal-qc-vote", &b);
		for (int i = 0; i < 3; i++)
			wire_buf_free(&v[i]);
		wire_buf_free(&qc);
	}

	wire_buf_free(&b);
	wire_buf_free(&bb);
	wire_buf_free(&x);
	wire_buf_free(&y);
	wire_buf_free(&z);
}

/* ---- Tendermint (docs/wire.md "Tendermint") ----------------------------- */

/* The signed PREVOTE or PRECOMMIT of replica r for (h, round, id). */
static void tm_vote_frame(struct wire_buf *b, uint8_t type, uint32_t r,
			  uint64_t h, uint32_t round, const uint8_t *id)
{
	size_t s;

	if (tm_enc_vote(b, &s, type, r, h, round, id))
		die("tendermint vote");
	hs_sign(b, s, r);
}

static void gen_tendermint(void)
{
	static const uint8_t zero[BYZ_DIGEST_BYTES];
	struct wire_buf b, bb, req, val, prop, v[3];
	const uint8_t *rp, *fp[3];
	size_t rl, fl[3], s;
	uint8_t id[BYZ_DIGEST_BYTES];
	struct hdr h;

	wire_buf_init(&b, BIG);
	wire_buf_init(&bb, BIG);
	wire_buf_init(&req, BIG);
	wire_buf_init(&val, BIG);
	wire_buf_init(&prop, BIG);
	good_request(&req, 0, 1, "put k v", 7);
	rp = req.data;
	rl = req.len;
	/* The value of height 1 (state digest all zero here), one request. */
	if (tm_enc_value(&val, 1, zero, &rp, &rl, 1))
		die("tendermint value");
	tm_value_id(id, val.data, val.len);

	if (tm_enc_proposal(&prop, &s, 0, 0, TM_NO_ROUND, NULL, NULL, 0,
			    val.data, val.len))
		die("tendermint proposal");
	hs_sign(&prop, s, 0);
	emit_buf("ok-tendermint-proposal", &prop);
	tm_vote_frame(&b, TM_PREVOTE, 1, 1, 0, id);
	emit_buf("ok-tendermint-prevote", &b);
	wire_buf_reset(&b);
	tm_vote_frame(&b, TM_PREVOTE, 2, 1, 0, zero);
	emit_buf("ok-tendermint-prevote-nil", &b);
	for (uint32_t i = 0; i < 3; i++) {
		wire_buf_init(&v[i], BIG);
		tm_vote_frame(&v[i], TM_PREVOTE, i, 1, 0, id);
		fp[i] = v[i].data;
		fl[i] = v[i].len;
	}
	/* Round 1 re-proposes it with the proof of round 0. */
	wire_buf_reset(&b);
	if (tm_enc_proposal(&b, &s, 1, 1, 0, fp, fl, 3, val.data, val.len))
		die("tendermint proposal with proof");
	hs_sign(&b, s, 1);
	emit_buf("ok-tendermint-proposal-valid-round", &b);
	for (uint32_t i = 0; i < 3; i++) {
		wire_buf_reset(&v[i]);
		tm_vote_frame(&v[i], TM_PRECOMMIT, i, 1, 0, id);
		fp[i] = v[i].data;
		fl[i] = v[i].len;
	}
	wire_buf_reset(&b);
	tm_vote_frame(&b, TM_PRECOMMIT, 3, 1, 0, id);
	emit_buf("ok-tendermint-precommit", &b);
	wire_buf_reset(&b);
	if (tm_enc_decision(&b, &s, 2, 1, prop.data, prop.len, fp, fl, 3))
		die("tendermint decision");
	hs_sign(&b, s, 2);
	emit_buf("ok-tendermint-decision", &b);
	wire_buf_reset(&b);
	if (tm_enc_status(&b, &s, 3, 2, 5))
		die("tendermint status");
	hs_sign(&b, s, 3);
	emit_buf("ok-tendermint-status", &b);
	wire_buf_reset(&b);
	if (tm_enc_state(&b, &s, 1, 1, (const uint8_t *)"snap", 4, prop.data,
			 prop.len, fp, fl, 3))
		die("tendermint state");
	hs_sign(&b, s, 1);
	emit_buf("ok-tendermint-state", &b);

	/* Body faults. */
	h = hdr_of(TM_PROTO, TM_PREVOTE, 1);
	wire_put_u64(&bb, 0);
	wire_put_u32(&bb, 0);
	wire_put_bytes(&bb, id, sizeof id);
	crafted("err-bad-field-tendermint-prevote-height-zero", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u32(&bb, TM_MAX_ROUND);
	wire_put_bytes(&bb, id, sizeof id);
	crafted("err-bad-field-tendermint-prevote-round-too-high", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u32(&bb, 0);
	wire_put_bytes(&bb, id, 31);
	crafted("err-truncated-tendermint-prevote-id", &h, &bb);
	wire_put_u8(&bb, id[31]);
	wire_put_u8(&bb, 0);
	crafted("err-trailing-bytes-tendermint-prevote", &h, &bb);

	h = hdr_of(TM_PROTO, TM_PROPOSAL, 0);
	wire_buf_reset(&bb);
	wire_put_u32(&bb, 1);
	wire_put_u32(&bb, 1); /* valid round = round */
	wire_put_u16(&bb, 0);
	wire_put_bytes(&bb, val.data, val.len);
	crafted("err-bad-field-tendermint-proposal-valid-round-not-below", &h,
		&bb);
	wire_buf_reset(&bb);
	wire_put_u32(&bb, 0);
	wire_put_u32(&bb, TM_NO_ROUND);
	wire_put_u16(&bb, 1); /* a proof without a valid round */
	wire_put_frame(&bb, v[0].data, v[0].len);
	wire_put_bytes(&bb, val.data, val.len);
	crafted("err-bad-nested-tendermint-proposal-proof-holds-precommit", &h,
		&bb);
	wire_buf_reset(&bb);
	wire_put_u32(&bb, 0);
	wire_put_u32(&bb, TM_NO_ROUND);
	wire_put_u16(&bb, 0);
	wire_put_u64(&bb, 1);
	wire_put_bytes(&bb, zero, sizeof zero);
	wire_put_u16(&bb, TM_MAX_BATCH + 1);
	crafted("err-too-big-tendermint-proposal-batch", &h, &bb);

	h = hdr_of(TM_PROTO, TM_DECISION, 2);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_frame(&bb, prop.data, prop.len);
	wire_put_u16(&bb, 0);
	crafted("err-bad-field-tendermint-decision-no-precommits", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_frame(&bb, v[0].data, v[0].len); /* not a proposal */
	wire_put_u16(&bb, 0);
	crafted("err-bad-nested-tendermint-decision-holds-precommit", &h, &bb);

	h = hdr_of(TM_PROTO, TM_STATE, 1);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u32(&bb, TM_MAX_SNAPSHOT + 1);
	crafted("err-too-big-tendermint-state-snapshot", &h, &bb);

	for (int i = 0; i < 3; i++)
		wire_buf_free(&v[i]);
	wire_buf_free(&b);
	wire_buf_free(&bb);
	wire_buf_free(&req);
	wire_buf_free(&val);
	wire_buf_free(&prop);
}

/* ---- Raft (docs/wire.md "Raft") ----------------------------------------- */

static void gen_raft(void)
{
	struct wire_buf b, bb, req, ent;
	const uint8_t *rp, *ep[2];
	size_t rl, el[2], s;
	struct hdr h;

	wire_buf_init(&b, BIG);
	wire_buf_init(&bb, BIG);
	wire_buf_init(&req, BIG);
	wire_buf_init(&ent, BIG);
	good_request(&req, 0, 1, "put k v", 7);
	rp = req.data;
	rl = req.len;
	/* An entry of term 1 with one request. */
	if (raft_enc_entry(&ent, 1, &rp, &rl, 1))
		die("raft entry");
	ep[0] = ep[1] = ent.data;
	el[0] = el[1] = ent.len;

	if (raft_enc_vote_req(&b, &s, 1, 2, 1, 1))
		die("raft vote-req");
	hs_sign(&b, s, 1);
	emit_buf("ok-raft-vote-req", &b);
	wire_buf_reset(&b);
	if (raft_enc_vote(&b, &s, 2, 2, 1, true))
		die("raft vote");
	hs_sign(&b, s, 2);
	emit_buf("ok-raft-vote", &b);
	wire_buf_reset(&b);
	if (raft_enc_append(&b, &s, 0, 1, 0, 0, 0, ep, el, 2))
		die("raft append");
	hs_sign(&b, s, 0);
	emit_buf("ok-raft-append", &b);
	wire_buf_reset(&b);
	if (raft_enc_append(&b, &s, 0, 1, 2, 1, 2, NULL, NULL, 0))
		die("raft heartbeat");
	hs_sign(&b, s, 0);
	emit_buf("ok-raft-append-heartbeat", &b);
	wire_buf_reset(&b);
	if (raft_enc_append_ok(&b, &s, 1, 1, true, 2, 2))
		die("raft append-ok");
	hs_sign(&b, s, 1);
	emit_buf("ok-raft-append-ok", &b);
	wire_buf_reset(&b);
	if (raft_enc_snapshot(&b, &s, 0, 1, 2, 1, (const uint8_t *)"snap", 4))
		die("raft snapshot");
	hs_sign(&b, s, 0);
	emit_buf("ok-raft-snapshot", &b);

	/* Body faults. */
	h = hdr_of(RAFT_PROTO, RAFT_VOTE_REQ, 1);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	crafted("err-bad-field-raft-vote-req-term-zero", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 2);
	wire_put_u64(&bb, 5);
	wire_put_u64(&bb, 3);
	crafted("err-bad-field-raft-vote-req-last-term-above-term", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 2);
	wire_put_u64(&bb, 5);
	wire_put_u32(&bb, 1);
	crafted("err-truncated-raft-vote-req", &h, &bb);

	h = hdr_of(RAFT_PROTO, RAFT_VOTE, 2);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 2);
	wire_put_u32(&bb, 1);
	wire_put_u8(&bb, 2);
	crafted("err-bad-field-raft-vote-granted-not-0-or-1", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 2);
	wire_put_u32(&bb, 1);
	wire_put_u8(&bb, 1);
	wire_put_u8(&bb, 0);
	crafted("err-trailing-bytes-raft-vote", &h, &bb);

	h = hdr_of(RAFT_PROTO, RAFT_APPEND, 0);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u16(&bb, RAFT_MAX_ENTRIES + 1);
	crafted("err-too-big-raft-append-entries", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u16(&bb, 3); /* three announced, two there */
	wire_put_bytes(&bb, ent.data, ent.len);
	wire_put_bytes(&bb, ent.data, ent.len);
	crafted("err-truncated-raft-append-count-above-entries", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u64(&bb, 4);
	wire_put_u64(&bb, 0); /* an index without a term */
	wire_put_u64(&bb, 0);
	wire_put_u16(&bb, 0);
	crafted("err-bad-field-raft-append-prev-without-term", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u16(&bb, 1);
	wire_put_u64(&bb, 2); /* an entry of a term above the leader's */
	wire_put_u16(&bb, 0);
	crafted("err-bad-field-raft-append-entry-term-above-term", &h, &bb);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u64(&bb, 0);
	wire_put_u16(&bb, 1);
	wire_put_u64(&bb, 1);
	wire_put_u16(&bb, RAFT_MAX_BATCH + 1);
	crafted("err-too-big-raft-append-entry-batch", &h, &bb);

	h = hdr_of(RAFT_PROTO, RAFT_APPEND_OK, 1);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u8(&bb, 1);
	wire_put_u64(&bb, 5);
	wire_put_u64(&bb, 4);
	crafted("err-bad-field-raft-append-ok-match-above-last", &h, &bb);

	h = hdr_of(RAFT_PROTO, RAFT_SNAPSHOT, 0);
	wire_buf_reset(&bb);
	wire_put_u64(&bb, 1);
	wire_put_u64(&bb, 2);
	wire_put_u64(&bb, 1);
	wire_put_u32(&bb, RAFT_MAX_SNAPSHOT + 1);
	crafted("err-too-big-raft-snapshot", &h, &bb);

	wire_buf_free(&b);
	wire_buf_free(&bb);
	wire_buf_free(&req);
	wire_buf_free(&ent);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_wire_corpus OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	if (byz_crypto_init())
		die("libsodium");
	gen_vector();
	gen_ok();
	gen_header_errors();
	gen_body_errors();
	gen_order_errors();
	gen_hotstuff();
	gen_pbft();
	gen_tendermint();
	gen_raft();
	gen_embedded_rules();
	fprintf(stderr, "gen_wire_corpus: %d files in %s\n", nfiles, outdir);
	return 0;
}
