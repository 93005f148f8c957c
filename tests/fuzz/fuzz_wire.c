/*
 * fuzz_wire.c - libFuzzer target for lib/wire.
 *
 * Every input is decoded as a signed and as an unsigned frame. Whatever
 * decodes must re-encode, through the wire_enc_* / pbft_enc_* / hs_enc_*
 * encoders, to exactly the input bytes (the format is canonical): lists of
 * embedded frames are rebuilt by walking them (wire_frames_next,
 * pbft_pset_next), and every embedded frame is checked the same way on
 * its own, recursively. wire_for_each_sig must visit exactly the
 * signatures those walks count, and every signature reference must lie
 * inside the input (each byte is read, so ASan catches a stray pointer).
 * Any difference aborts.
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

/*
 * The frames of one embedded list, gathered for an encoder's framev. Two
 * are enough: no encoder takes more than two lists at once (a QC is
 * encoded on its own first). Sized for the longest list any codec admits
 * (a NEW-VIEW's O, PBFT_MAX_PSET); used only inside reencode, which does
 * not recurse, so static storage serves (no allocation per list).
 */
#define VEC_MAX PBFT_MAX_PSET

struct vec {
	const uint8_t *frames[VEC_MAX];
	size_t lens[VEC_MAX];
	size_t count;
};

static struct vec vec_a, vec_b;

/* Walk l with wire_frames_next into v; it must yield exactly l->count
 * frames spanning exactly l->len bytes. */
static struct vec *gather(struct vec *v, const struct wire_frames *l)
{
	struct wire_msg x;
	size_t pos = 0;

	v->count = 0;
	while (wire_frames_next(l, &pos, &x) == 1) {
		if (v->count == VEC_MAX)
			fail("a list longer than any codec admits");
		v->frames[v->count] = x.frame.bytes;
		v->lens[v->count++] = x.frame.len;
	}
	if (v->count != l->count || pos != l->len)
		fail("wire_frames_next does not walk the whole list");
	return v;
}

static struct pbft_framev pv(const struct vec *v)
{
	return (struct pbft_framev){v->frames, v->lens, v->count};
}

static struct hs_framev hv(const struct vec *v)
{
	return (struct hs_framev){v->frames, v->lens, v->count};
}

/* A VIEW-CHANGE: begin, then each P-set entry as pbft_pset_next walks it. */
static int reencode_viewchange(const struct wire_msg *m, struct wire_buf *b)
{
	const struct pbft_viewchange *vc = &m->u.pbft.vc;
	struct wire_frame pp;
	struct wire_frames prep;
	size_t s, pos = 0;
	unsigned n = 0;
	int rc;

	if ((rc = pbft_enc_viewchange_begin(b, &s, m->frame.sender, vc->view,
					    vc->stable_seq, vc->stable_digest,
					    pv(gather(&vec_a, &vc->proof)),
					    vc->prepared.count)))
		return rc;
	while (pbft_pset_next(&vc->prepared, &pos, &pp, &prep) == 1) {
		pbft_enc_pset_entry(b, pp.bytes, pp.len,
				    pv(gather(&vec_b, &prep)));
		n++;
	}
	if (n != vc->prepared.count || pos != vc->prepared.len)
		fail("pbft_pset_next does not walk the whole P set");
	return pbft_enc_end(b, s);
}

static int reencode_pbft(const struct wire_msg *m, struct wire_buf *b)
{
	const struct pbft_msg *p = &m->u.pbft;
	uint32_t sender = m->frame.sender;

	switch (m->frame.type) {
	case PBFT_PREPREPARE:
		return pbft_enc_preprepare(b, NULL, sender, p->pp.view,
					   p->pp.seq,
					   pv(gather(&vec_a, &p->pp.batch)));
	case PBFT_PREPARE:
	case PBFT_COMMIT:
		return pbft_enc_vote(b, NULL, m->frame.type, sender,
				     p->vote.view, p->vote.seq, p->vote.digest);
	case PBFT_CHECKPOINT:
		return pbft_enc_checkpoint(b, NULL, sender, p->ckpt.seq,
					   p->ckpt.digest);
	case PBFT_VIEWCHANGE:
		return reencode_viewchange(m, b);
	case PBFT_NEWVIEW:
		return pbft_enc_newview(b, NULL, sender, p->nv.view,
					pv(gather(&vec_a, &p->nv.vcs)),
					pv(gather(&vec_b, &p->nv.pps)));
	case PBFT_FETCH:
		return pbft_enc_fetch(b, NULL, sender, p->fetch.what,
				      p->fetch.seq);
	case PBFT_STATE:
		return pbft_enc_state(b, NULL, sender, p->state.seq,
				      p->state.digest,
				      pv(gather(&vec_a, &p->state.proof)),
				      p->state.snapshot, p->state.snapshot_len);
	default:
		return pbft_enc_cert(b, NULL, sender, p->cert.pp.bytes,
				     p->cert.pp.len,
				     pv(gather(&vec_a, &p->cert.commits)));
	}
}

/* Re-encode a QC from its fields with hs_enc_qc; it must give its bytes. */
static void reencode_qc(const struct hs_qc *qc, struct wire_buf *q)
{
	if (hs_enc_qc(q, qc->view, qc->hash, hv(gather(&vec_a, &qc->votes))))
		fail("a decoded QC does not re-encode");
	if (q->len != qc->len || memcmp(q->data, qc->bytes, qc->len) != 0)
		fail("QC re-encoding differs from the input");
}

static int reencode_hs(const struct wire_msg *m, struct wire_buf *b)
{
	const struct hs_msg *h = &m->u.hs;
	uint32_t sender = m->frame.sender;
	struct wire_buf q;
	int rc;

	switch (m->frame.type) {
	case HS_PROPOSAL:
		wire_buf_init(&q, WIRE_MAX_FRAME);
		reencode_qc(&h->prop.justify, &q);
		rc = hs_enc_proposal(b, NULL, sender, h->prop.view, q.data,
				     q.len, hv(gather(&vec_a, &h->prop.tc)),
				     hv(gather(&vec_b, &h->prop.batch)));
		wire_buf_free(&q);
		return rc;
	case HS_VOTE:
		return hs_enc_vote(b, NULL, sender, h->vote.view, h->vote.hash);
	case HS_TIMEOUT:
		wire_buf_init(&q, WIRE_MAX_FRAME);
		reencode_qc(&h->timeout.high, &q);
		gather(&vec_b, &h->timeout.vote);
		rc = hs_enc_timeout(b, NULL, sender, h->timeout.view, q.data,
				    q.len, vec_b.count ? vec_b.frames[0] : NULL,
				    vec_b.count ? vec_b.lens[0] : 0);
		wire_buf_free(&q);
		return rc;
	case HS_FETCH:
		return hs_enc_fetch(b, NULL, sender, h->fetch.hash,
				    h->fetch.count);
	default:
		return hs_enc_blocks(b, NULL, sender,
				     hv(gather(&vec_a, &h->blocks.blocks)));
	}
}

/* Re-encode m's unsigned frame into b: 0 or the encoder's error. */
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
	case BYZ_PROTO_PBFT:
		return reencode_pbft(m, b);
	default:
		return reencode_hs(m, b);
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

static unsigned list_sigs(const struct wire_frames *l)
{
	struct wire_msg x;
	size_t pos = 0;
	unsigned n = 0;

	while (wire_frames_next(l, &pos, &x) == 1)
		n += embedded(&x.frame);
	return n;
}

/* The signatures of every frame m embeds, counted by walking m's fields
 * (independently of wire_for_each_sig). */
static unsigned nested_sigs(const struct wire_msg *m)
{
	const struct pbft_msg *p = &m->u.pbft;
	const struct hs_msg *h = &m->u.hs;
	struct wire_frame pp;
	struct wire_frames prep;
	size_t pos = 0;
	unsigned n = 0;

	switch (m->frame.proto) {
	case BYZ_PROTO_CLIENT:
		return 0;
	case BYZ_PROTO_TOY:
		return m->frame.type == WIRE_TOY_ORDER
			   ? embedded(&m->u.order.req_frame)
			   : 0;
	case BYZ_PROTO_PBFT:
		switch (m->frame.type) {
		case PBFT_PREPREPARE:
			return list_sigs(&p->pp.batch);
		case PBFT_VIEWCHANGE:
			n = list_sigs(&p->vc.proof);
			while (pbft_pset_next(&p->vc.prepared, &pos, &pp,
					      &prep) == 1)
				n += embedded(&pp) + list_sigs(&prep);
			return n;
		case PBFT_NEWVIEW:
			return list_sigs(&p->nv.vcs) + list_sigs(&p->nv.pps);
		case PBFT_STATE:
			return list_sigs(&p->state.proof);
		case PBFT_CERT:
			return embedded(&p->cert.pp) +
			       list_sigs(&p->cert.commits);
		default:
			return 0;
		}
	default:
		switch (m->frame.type) {
		case HS_PROPOSAL:
			return list_sigs(&h->prop.justify.votes) +
			       list_sigs(&h->prop.tc) +
			       list_sigs(&h->prop.batch);
		case HS_TIMEOUT:
			return list_sigs(&h->timeout.high.votes) +
			       list_sigs(&h->timeout.vote);
		case HS_BLOCKS:
			return list_sigs(&h->blocks.blocks);
		default:
			return 0;
		}
	}
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

	/* First the embedded frames: reencode's static lists are free again
	 * once this returns. */
	expect = (is_signed ? 1u : 0u) + nested_sigs(&m);

	wire_buf_init(&b, 2 * WIRE_MAX_FRAME);
	if (reencode(&m, &b))
		fail("a decoded message does not re-encode");
	if (is_signed)
		wire_put_bytes(&b, m.frame.sig, BYZ_SIG_BYTES);
	if (b.err || b.len != size || memcmp(b.data, data, size) != 0)
		fail("re-encoding differs from the input");
	wire_buf_free(&b);

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
