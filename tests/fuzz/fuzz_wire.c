/*
 * fuzz_wire.c - libFuzzer target for lib/wire.
 *
 * Every input is decoded as a signed and as an unsigned frame. Whatever
 * decodes must re-encode, through the wire_enc_* encoders, to exactly the
 * input bytes (the format is canonical), and every signature reference
 * must lie inside the input (each byte is read, so ASan catches a stray
 * pointer). Any difference aborts.
 *
 * Built with -fsanitize=fuzzer for fuzzing, or linked to corpus_main.c to
 * replay tests/corpus/wire as an ordinary test.
 */
#include "err.h"
#include "wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the bytes a sigref points at are folded, so reads are not elided. */
static volatile uint8_t fuzz_sink;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_wire: %s\n", what);
	abort();
}

/* What reencode answers for a protocol this target has no encoders for. */
#define NO_ENCODER 1

/*
 * Re-encode m's unsigned frame into b: 0, the encoder's error, or
 * NO_ENCODER for protocols whose encoders are not wired in here yet (add
 * them here when their types start to decode: until then a valid frame of
 * theirs is only checked for bounds).
 */
static int reencode(const struct wire_msg *m, struct wire_buf *b)
{
	const struct wire_frame *f = &m->frame;

	switch (f->proto) {
	case BYZ_PROTO_CLIENT:
		if (f->type == WIRE_CLIENT_REQUEST)
			return wire_enc_request(b, NULL, m->u.request.client,
						m->u.request.timestamp,
						m->u.request.op,
						m->u.request.op_len);
		return wire_enc_reply(b, NULL, f->sender, m->u.reply.view,
				      m->u.reply.client, m->u.reply.timestamp,
				      m->u.reply.result,
				      m->u.reply.result_len);
	case BYZ_PROTO_TOY:
		if (f->type == WIRE_TOY_ORDER)
			return wire_enc_toy_order(b, NULL, f->sender,
						  m->u.order.seq,
						  m->u.order.req_frame.bytes,
						  m->u.order.req_frame.len);
		return wire_enc_toy_fetch(b, NULL, f->sender, m->u.fetch.seq);
	default:
		return NO_ENCODER;
	}
}

struct walk {
	const uint8_t *lo, *hi;
	unsigned n;
	uint8_t acc;
};

/* Read every byte a sigref points at, and check it lies in the input. */
static int touch(void *ctx, const struct wire_sigref *ref)
{
	struct walk *w = ctx;

	if (!ref->content || !ref->sig || ref->len < WIRE_HEADER_BYTES)
		fail("sigref without content or signature");
	if (ref->content < w->lo || ref->content > w->hi ||
	    ref->len > (size_t)(w->hi - ref->content))
		fail("sigref content outside the input");
	if (ref->sig < w->lo || ref->sig > w->hi ||
	    BYZ_SIG_BYTES > (size_t)(w->hi - ref->sig))
		fail("sigref signature outside the input");
	if (ref->role != BYZ_ROLE_CLIENT && ref->role != BYZ_ROLE_REPLICA)
		fail("sigref role");
	for (size_t i = 0; i < ref->len; i++)
		w->acc ^= ref->content[i];
	for (size_t i = 0; i < BYZ_SIG_BYTES; i++)
		w->acc ^= ref->sig[i];
	w->n++;
	return 0;
}

/* Decode one way; on success check re-encoding and the signatures. */
static void check(const uint8_t *data, size_t size, bool is_signed)
{
	struct wire_msg m;
	struct wire_buf b;
	struct walk w = {data, data + size, 0, 0};
	unsigned expect;
	bool known;
	int rc;

	rc = is_signed ? wire_decode(data, size, &m)
		       : wire_decode_unsigned(data, size, &m);
	if (rc > 0 || strcmp(byz_errname(rc), "unknown-error") == 0)
		fail("decode returned a code outside err.h");
	if (rc)
		return;
	if (m.frame.len != size || m.frame.bytes != data)
		fail("decoded frame does not span the input");

	wire_buf_init(&b, 2 * WIRE_MAX_FRAME);
	rc = reencode(&m, &b);
	known = rc != NO_ENCODER;
	if (known && rc)
		fail("a decoded message does not re-encode");
	if (known && is_signed)
		wire_put_bytes(&b, m.frame.sig, BYZ_SIG_BYTES);
	if (known &&
	    (b.err || b.len != size || memcmp(b.data, data, size) != 0))
		fail("re-encoding differs from the input");
	wire_buf_free(&b);

	/* Own signature, then the embedded request of an ORDER. */
	expect = (is_signed ? 1u : 0u) +
		 (m.frame.proto == BYZ_PROTO_TOY &&
		  m.frame.type == WIRE_TOY_ORDER);
	if (wire_for_each_sig(&m, touch, &w) != 0 ||
	    (known ? w.n != expect : w.n < expect))
		fail("wire_for_each_sig");
	fuzz_sink = w.acc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, true);
	check(data, size, false);
	return 0;
}
