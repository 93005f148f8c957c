/*
 * pbft_wire.c - PBFT's codec: decoding in place, recursive checks of
 * embedded frames, the signatures they carry, and the encoders.
 */
#include "pbft_wire.h"

#include "err.h"

#include <string.h>

static bool pbft_type_known(uint8_t type)
{
	return type >= PBFT_PREPREPARE && type <= PBFT_CERT;
}

static const char *pbft_type_name(uint8_t type)
{
	static const char *const names[] = {
		[PBFT_PREPREPARE] = "pre-prepare", [PBFT_PREPARE] = "prepare",
		[PBFT_COMMIT] = "commit",          [PBFT_CHECKPOINT] = "checkpoint",
		[PBFT_VIEWCHANGE] = "view-change", [PBFT_NEWVIEW] = "new-view",
		[PBFT_FETCH] = "fetch",            [PBFT_STATE] = "state",
		[PBFT_CERT] = "cert",
	};
	return pbft_type_known(type) ? names[type] : "unknown";
}

static int rd_digest(struct wire_rd *r, const uint8_t **d)
{
	return wire_rd_bytes(r, BYZ_DIGEST_BYTES, d);
}

/* view u64, seq u64 >= 1 */
static int rd_view_seq(struct wire_rd *r, uint64_t *view, uint64_t *seq)
{
	int rc;

	if ((rc = wire_rd_u64(r, view)) || (rc = wire_rd_u64(r, seq)))
		return rc;
	return *seq == 0 ? BYZ_EFIELD : 0;
}

static int dec_preprepare(struct wire_rd *r, struct pbft_preprepare *pp)
{
	int rc;

	if ((rc = rd_view_seq(r, &pp->view, &pp->seq)))
		return rc;
	pp->batch_bytes = r->p;
	if ((rc = wire_rd_frames(r, BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST,
				 PBFT_MAX_BATCH, &pp->batch)))
		return rc;
	pp->batch_len = (size_t)(r->p - pp->batch_bytes);
	return wire_rd_end(r);
}

static int dec_vote(struct wire_rd *r, struct pbft_vote *v)
{
	int rc;

	if ((rc = rd_view_seq(r, &v->view, &v->seq)) ||
	    (rc = rd_digest(r, &v->digest)))
		return rc;
	return wire_rd_end(r);
}

static int dec_checkpoint(struct wire_rd *r, struct pbft_checkpoint *c)
{
	int rc;

	if ((rc = wire_rd_u64(r, &c->seq)))
		return rc;
	if (c->seq == 0)
		return BYZ_EFIELD;
	if ((rc = rd_digest(r, &c->digest)))
		return rc;
	return wire_rd_end(r);
}

/* One P-set entry: an embedded PRE-PREPARE and its PREPAREs. */
static int rd_pset_entry(struct wire_rd *r, struct wire_frame *pp,
			 struct wire_frames *prepares)
{
	int rc;

	if ((rc = wire_rd_frame(r, BYZ_PROTO_PBFT, PBFT_PREPREPARE, pp)))
		return rc;
	return wire_rd_frames(r, BYZ_PROTO_PBFT, PBFT_PREPARE,
			      PBFT_MAX_SIGNERS, prepares);
}

static int dec_viewchange(struct wire_rd *r, struct pbft_viewchange *vc)
{
	struct wire_frame pp;
	struct wire_frames prep;
	const uint8_t *start;
	int rc;

	if ((rc = wire_rd_u64(r, &vc->view)))
		return rc;
	if (vc->view == 0)
		return BYZ_EFIELD;
	if ((rc = wire_rd_u64(r, &vc->stable_seq)) ||
	    (rc = rd_digest(r, &vc->stable_digest)) ||
	    (rc = wire_rd_frames(r, BYZ_PROTO_PBFT, PBFT_CHECKPOINT,
				 PBFT_MAX_SIGNERS, &vc->proof)) ||
	    (rc = wire_rd_u16(r, &vc->prepared.count)))
		return rc;
	if (vc->prepared.count > PBFT_MAX_PSET)
		return BYZ_ETOOBIG;
	start = r->p;
	for (uint16_t i = 0; i < vc->prepared.count; i++)
		if ((rc = rd_pset_entry(r, &pp, &prep)))
			return rc;
	vc->prepared.p = start;
	vc->prepared.len = (size_t)(r->p - start);
	return wire_rd_end(r);
}

static int dec_newview(struct wire_rd *r, struct pbft_newview *nv)
{
	int rc;

	if ((rc = wire_rd_u64(r, &nv->view)))
		return rc;
	if (nv->view == 0)
		return BYZ_EFIELD;
	if ((rc = wire_rd_frames(r, BYZ_PROTO_PBFT, PBFT_VIEWCHANGE,
				 PBFT_MAX_SIGNERS, &nv->vcs)) ||
	    (rc = wire_rd_frames(r, BYZ_PROTO_PBFT, PBFT_PREPREPARE,
				 PBFT_MAX_PSET, &nv->pps)))
		return rc;
	return wire_rd_end(r);
}

static int dec_fetch(struct wire_rd *r, struct pbft_fetch *f)
{
	int rc;

	if ((rc = wire_rd_u8(r, &f->what)))
		return rc;
	if (f->what != PBFT_FETCH_STATE && f->what != PBFT_FETCH_LOG)
		return BYZ_EFIELD;
	if ((rc = wire_rd_u64(r, &f->seq)))
		return rc;
	return wire_rd_end(r);
}

static int dec_state(struct wire_rd *r, struct pbft_state *st)
{
	int rc;

	if ((rc = wire_rd_u64(r, &st->seq)))
		return rc;
	if (st->seq == 0)
		return BYZ_EFIELD;
	if ((rc = rd_digest(r, &st->digest)) ||
	    (rc = wire_rd_frames(r, BYZ_PROTO_PBFT, PBFT_CHECKPOINT,
				 PBFT_MAX_SIGNERS, &st->proof)) ||
	    (rc = wire_rd_u32(r, &st->snapshot_len)))
		return rc;
	if (st->snapshot_len > WIRE_MAX_FRAME)
		return BYZ_ETOOBIG;
	if ((rc = wire_rd_bytes(r, st->snapshot_len, &st->snapshot)))
		return rc;
	return wire_rd_end(r);
}

static int dec_cert(struct wire_rd *r, struct pbft_cert *c)
{
	int rc;

	if ((rc = wire_rd_frame(r, BYZ_PROTO_PBFT, PBFT_PREPREPARE, &c->pp)) ||
	    (rc = wire_rd_frames(r, BYZ_PROTO_PBFT, PBFT_COMMIT,
				 PBFT_MAX_SIGNERS, &c->commits)))
		return rc;
	return wire_rd_end(r);
}

static int pbft_decode(const struct wire_frame *f, struct wire_msg *out)
{
	struct wire_rd r = {f->body, f->body_len};
	struct pbft_msg *m = &out->u.pbft;

	switch (f->type) {
	case PBFT_PREPREPARE:
		return dec_preprepare(&r, &m->pp);
	case PBFT_PREPARE:
	case PBFT_COMMIT:
		return dec_vote(&r, &m->vote);
	case PBFT_CHECKPOINT:
		return dec_checkpoint(&r, &m->ckpt);
	case PBFT_VIEWCHANGE:
		return dec_viewchange(&r, &m->vc);
	case PBFT_NEWVIEW:
		return dec_newview(&r, &m->nv);
	case PBFT_FETCH:
		return dec_fetch(&r, &m->fetch);
	case PBFT_STATE:
		return dec_state(&r, &m->state);
	case PBFT_CERT:
		return dec_cert(&r, &m->cert);
	}
	return BYZ_ETYPE;
}

int pbft_pset_next(const struct pbft_pset *ps, size_t *pos,
		   struct wire_frame *pp, struct wire_frames *prepares)
{
	struct wire_rd r;

	if (*pos >= ps->len)
		return 0;
	r.p = ps->p + *pos;
	r.left = ps->len - *pos;
	if (rd_pset_entry(&r, pp, prepares))
		return 0;
	*pos = (size_t)(r.p - ps->p);
	return 1;
}

/* The signatures of one embedded frame (its own and what it embeds). */
static int frame_sigs(const struct wire_frame *f, wire_sig_fn fn, void *ctx)
{
	struct wire_msg m;
	int rc = wire_decode(f->bytes, f->len, &m);

	return rc ? rc : wire_for_each_sig(&m, fn, ctx);
}

static int pbft_nested_sigs(const struct wire_msg *msg, wire_sig_fn fn,
			    void *ctx)
{
	const struct pbft_msg *m = &msg->u.pbft;
	struct wire_frame pp;
	struct wire_frames prep;
	size_t pos = 0;
	int rc;

	switch (msg->frame.type) {
	case PBFT_PREPREPARE:
		return wire_frames_for_each_sig(&m->pp.batch, fn, ctx);
	case PBFT_VIEWCHANGE:
		if ((rc = wire_frames_for_each_sig(&m->vc.proof, fn, ctx)))
			return rc;
		while (pbft_pset_next(&m->vc.prepared, &pos, &pp, &prep) == 1)
			if ((rc = frame_sigs(&pp, fn, ctx)) ||
			    (rc = wire_frames_for_each_sig(&prep, fn, ctx)))
				return rc;
		return 0;
	case PBFT_NEWVIEW:
		if ((rc = wire_frames_for_each_sig(&m->nv.vcs, fn, ctx)))
			return rc;
		return wire_frames_for_each_sig(&m->nv.pps, fn, ctx);
	case PBFT_STATE:
		return wire_frames_for_each_sig(&m->state.proof, fn, ctx);
	case PBFT_CERT:
		if ((rc = frame_sigs(&m->cert.pp, fn, ctx)))
			return rc;
		return wire_frames_for_each_sig(&m->cert.commits, fn, ctx);
	}
	return 0;
}

const struct wire_codec pbft_wire_codec = {
	.proto = BYZ_PROTO_PBFT,
	.type_known = pbft_type_known,
	.type_name = pbft_type_name,
	.decode = pbft_decode,
	.for_each_nested_sig = pbft_nested_sigs,
};

/* ---- encoders -------------------------------------------------------------- */

static void put_framev(struct wire_buf *b, struct pbft_framev v)
{
	if (v.count > UINT16_MAX) {
		b->err = b->err ? b->err : BYZ_ETOOBIG;
		return;
	}
	wire_put_u16(b, (uint16_t)v.count);
	for (size_t i = 0; i < v.count; i++)
		wire_put_frame(b, v.frames[i], v.lens[i]);
}

int pbft_enc_end(struct wire_buf *b, size_t start)
{
	return wire_end(b, start);
}

static int enc_done(struct wire_buf *b, size_t s, size_t *start)
{
	int rc = wire_end(b, s);

	if (!rc && start)
		*start = s;
	return rc;
}

int pbft_enc_preprepare(struct wire_buf *b, size_t *start, uint32_t sender,
			uint64_t view, uint64_t seq, struct pbft_framev batch)
{
	size_t s;

	/* Check before writing: a refused call leaves the buffer as it was. */
	if (seq == 0 || batch.count > PBFT_MAX_BATCH)
		return BYZ_EFIELD;
	s = wire_begin(b, BYZ_PROTO_PBFT, PBFT_PREPREPARE, sender);
	wire_put_u64(b, view);
	wire_put_u64(b, seq);
	put_framev(b, batch);
	return enc_done(b, s, start);
}

int pbft_enc_vote(struct wire_buf *b, size_t *start, uint8_t type,
		  uint32_t sender, uint64_t view, uint64_t seq,
		  const uint8_t digest[BYZ_DIGEST_BYTES])
{
	size_t s;

	if (seq == 0 || (type != PBFT_PREPARE && type != PBFT_COMMIT))
		return BYZ_EFIELD;
	s = wire_begin(b, BYZ_PROTO_PBFT, type, sender);
	wire_put_u64(b, view);
	wire_put_u64(b, seq);
	wire_put_bytes(b, digest, BYZ_DIGEST_BYTES);
	return enc_done(b, s, start);
}

int pbft_enc_checkpoint(struct wire_buf *b, size_t *start, uint32_t sender,
			uint64_t seq, const uint8_t digest[BYZ_DIGEST_BYTES])
{
	size_t s;

	if (seq == 0)
		return BYZ_EFIELD;
	s = wire_begin(b, BYZ_PROTO_PBFT, PBFT_CHECKPOINT, sender);
	wire_put_u64(b, seq);
	wire_put_bytes(b, digest, BYZ_DIGEST_BYTES);
	return enc_done(b, s, start);
}

int pbft_enc_viewchange_begin(struct wire_buf *b, size_t *start,
			      uint32_t sender, uint64_t view,
			      uint64_t stable_seq,
			      const uint8_t digest[BYZ_DIGEST_BYTES],
			      struct pbft_framev proof, uint16_t npset)
{
	if (view == 0 || npset > PBFT_MAX_PSET)
		return BYZ_EFIELD;
	*start = wire_begin(b, BYZ_PROTO_PBFT, PBFT_VIEWCHANGE, sender);
	wire_put_u64(b, view);
	wire_put_u64(b, stable_seq);
	wire_put_bytes(b, digest, BYZ_DIGEST_BYTES);
	put_framev(b, proof);
	wire_put_u16(b, npset);
	return b->err;
}

void pbft_enc_pset_entry(struct wire_buf *b, const uint8_t *pp, size_t pplen,
			 struct pbft_framev prepares)
{
	wire_put_frame(b, pp, pplen);
	put_framev(b, prepares);
}

int pbft_enc_newview(struct wire_buf *b, size_t *start, uint32_t sender,
		     uint64_t view, struct pbft_framev vcs,
		     struct pbft_framev pps)
{
	size_t s;

	if (view == 0)
		return BYZ_EFIELD;
	s = wire_begin(b, BYZ_PROTO_PBFT, PBFT_NEWVIEW, sender);
	wire_put_u64(b, view);
	put_framev(b, vcs);
	put_framev(b, pps);
	return enc_done(b, s, start);
}

int pbft_enc_fetch(struct wire_buf *b, size_t *start, uint32_t sender,
		   uint8_t what, uint64_t seq)
{
	size_t s;

	if (what != PBFT_FETCH_STATE && what != PBFT_FETCH_LOG)
		return BYZ_EFIELD;
	s = wire_begin(b, BYZ_PROTO_PBFT, PBFT_FETCH, sender);
	wire_put_u8(b, what);
	wire_put_u64(b, seq);
	return enc_done(b, s, start);
}

int pbft_enc_state(struct wire_buf *b, size_t *start, uint32_t sender,
		   uint64_t seq, const uint8_t digest[BYZ_DIGEST_BYTES],
		   struct pbft_framev proof, const uint8_t *snapshot,
		   size_t snapshot_len)
{
	size_t s;

	if (seq == 0 || snapshot_len > WIRE_MAX_FRAME)
		return BYZ_EFIELD;
	s = wire_begin(b, BYZ_PROTO_PBFT, PBFT_STATE, sender);
	wire_put_u64(b, seq);
	wire_put_bytes(b, digest, BYZ_DIGEST_BYTES);
	put_framev(b, proof);
	wire_put_u32(b, (uint32_t)snapshot_len);
	wire_put_bytes(b, snapshot, snapshot_len);
	return enc_done(b, s, start);
}

int pbft_enc_cert(struct wire_buf *b, size_t *start, uint32_t sender,
		  const uint8_t *pp, size_t pplen, struct pbft_framev commits)
{
	size_t s = wire_begin(b, BYZ_PROTO_PBFT, PBFT_CERT, sender);

	wire_put_frame(b, pp, pplen);
	put_framev(b, commits);
	return enc_done(b, s, start);
}
