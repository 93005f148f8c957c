/*
 * fuzz_wire.c - libFuzzer target for lib/wire.
 *
 * Every input is decoded as a signed and as an unsigned frame. Whatever
 * decodes must re-encode, through the client's encoders or its protocol
 * codec's reencode (wire.h), to exactly the input bytes (the format is
 * canonical), and every frame it embeds (the codec's for_each_embedded)
 * is checked the same way on its own, recursively. wire_for_each_sig must
 * visit exactly the signatures that walk counts, and every signature
 * reference must lie inside the input (each byte is read, so ASan catches
 * a stray pointer). Any difference aborts. It knows no protocol: every
 * registered one (lib/protocols.list) is fuzzed through the registry.
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

/* Re-encode m's unsigned frame into b: 0 or the encoder's error. The
 * client's messages here; a protocol's through its codec (wire.h). */
static int reencode(const struct wire_msg *m, struct wire_buf *b)
{
	const struct wire_frame *f = &m->frame;
	const struct wire_codec *c = wire_codec_of(f->proto);

	if (f->proto == BYZ_PROTO_CLIENT && f->type == WIRE_CLIENT_REQUEST)
		return wire_enc_request(b, NULL, m->u.request.client,
					m->u.request.timestamp, m->u.request.op,
					m->u.request.op_len);
	if (f->proto == BYZ_PROTO_CLIENT)
		return wire_enc_reply(b, NULL, f->sender, m->u.reply.view,
				      m->u.reply.client, m->u.reply.timestamp,
				      m->u.reply.result, m->u.reply.result_len);
	if (!c || !c->reencode)
		fail("a protocol's codec has no reencode");
	return c->reencode(m, b);
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

static long check(const uint8_t *data, size_t size, bool is_signed);

/* An embedded frame is checked like a top-level one (it must decode on its
 * own); its signatures, with those it embeds, are counted. */
static unsigned embedded(const struct wire_frame *f)
{
	long n = check(f->bytes, f->len, true);

	if (n < 1)
		fail("an embedded frame does not decode on its own");
	return (unsigned)n;
}

/* Every frame m embeds (its codec's walk) must decode on its own; its
 * signatures, with those it embeds, are counted. */
static int count_embedded(void *ctx, const struct wire_frame *f)
{
	*(unsigned *)ctx += embedded(f);
	return 0;
}

static unsigned nested_sigs(const struct wire_msg *m)
{
	const struct wire_codec *c = wire_codec_of(m->frame.proto);
	unsigned n = 0;

	if (c && c->for_each_embedded &&
	    c->for_each_embedded(m, count_embedded, &n) != 0)
		fail("for_each_embedded stopped without being asked to");
	return n;
}

/* A decoded message describes itself for people (the golden traces,
 * tests/golden.c): 0 and a NUL-terminated text, also when cut short. */
static void check_describe(const struct wire_msg *m)
{
	const struct wire_codec *c = wire_codec_of(m->frame.proto);
	char small[16], big[1024];

	if (!c || !c->describe)
		return;
	memset(small, 'x', sizeof small);
	memset(big, 'x', sizeof big);
	if (c->describe(m, small, sizeof small) ||
	    !memchr(small, 0, sizeof small) ||
	    c->describe(m, big, sizeof big) || !memchr(big, 0, sizeof big))
		fail("describe");
}

/*
 * Decode one way; on success check the embedded frames (recursively), the
 * re-encoding and the signatures. Returns how many signatures the frame
 * carries, or -1 if it does not decode.
 */
static long check(const uint8_t *data, size_t size, bool is_signed)
{
	struct wire_msg m;
	struct wire_buf b;
	struct walk w = {data, data + size, 0, 0};
	unsigned expect;
	int rc;

	rc = is_signed ? wire_decode(data, size, &m)
		       : wire_decode_unsigned(data, size, &m);
	if (rc > 0 || strcmp(byz_errname(rc), "unknown-error") == 0)
		fail("decode returned a code outside err.h");
	if (rc)
		return -1;
	if (m.frame.len != size || m.frame.bytes != data)
		fail("decoded frame does not span the input");

	expect = (is_signed ? 1u : 0u) + nested_sigs(&m);

	wire_buf_init(&b, 2 * WIRE_MAX_FRAME);
	if (reencode(&m, &b))
		fail("a decoded message does not re-encode");
	if (is_signed)
		wire_put_bytes(&b, m.frame.sig, BYZ_SIG_BYTES);
	if (b.err || b.len != size || memcmp(b.data, data, size) != 0)
		fail("re-encoding differs from the input");
	wire_buf_free(&b);
	check_describe(&m);

	/* Own signature, then every embedded frame's, recursively. */
	if (wire_for_each_sig(&m, touch, &w) != 0 || w.n != expect)
		fail("wire_for_each_sig");
	fuzz_sink = w.acc;
	return (long)w.n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)check(data, size, true);
	(void)check(data, size, false);
	return 0;
}
