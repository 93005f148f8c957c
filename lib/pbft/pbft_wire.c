/*
 * pbft_wire.c - PBFT's codec: decoding in place, recursive checks of
 * embedded frames, the signatures they carry, and the encoders.
 */
#include "pbft_wire.h"

#include "err.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct pbft_msg) <= WIRE_MSG_BODY_BYTES,
	       "struct pbft_msg must fit a wire_msg's body");

static bool pbft_type_known(uint8_t type)
{
	return type >= PBFT_PREPREPARE && type <= PBFT_VCS;
}

static const char *pbft_type_name(uint8_t type)
{
	static const char *const names[] = {
	    [PBFT_PREPREPARE] = "pre-prepare",
	    [PBFT_PREPARE] = "prepare",
	    [PBFT_COMMIT] = "commit",
	    [PBFT_CHECKPOINT] = "checkpoint",
	    [PBFT_VIEWCHANGE] = "view-change",
	    [PBFT_NEWVIEW] = "new-view",
	    [PBFT_FETCH] = "fetch",
	    [PBFT_STATE] = "state",
	    [PBFT_CERT] = "cert",
	    [PBFT_VCS] = "vcs",
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

	if ((rc = wire_rd_frame(r, PBFT_PROTO, PBFT_PREPREPARE, pp)))
		return rc;
	return wire_rd_frames(r, PBFT_PROTO, PBFT_PREPARE, PBFT_MAX_SIGNERS,
			      prepares);
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
	    (rc = wire_rd_frames(r, PBFT_PROTO, PBFT_CHECKPOINT,
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
	if ((rc = wire_rd_u16(r, &nv->nvrefs)))
		return rc;
	if (nv->nvrefs > PBFT_MAX_SIGNERS)
		return BYZ_ETOOBIG;
	if ((rc = wire_rd_bytes(r, (size_t)nv->nvrefs * PBFT_VREF_BYTES,
				&nv->vrefs)) ||
	    (rc = wire_rd_frames(r, PBFT_PROTO, PBFT_PREPREPARE, PBFT_MAX_PSET,
				 &nv->pps)))
		return rc;
	return wire_rd_end(r);
}

static int dec_fetch(struct wire_rd *r, struct pbft_fetch *f)
{
	int rc;

	if ((rc = wire_rd_u8(r, &f->what)))
		return rc;
	if (f->what != PBFT_FETCH_STATE && f->what != PBFT_FETCH_LOG &&
	    f->what != PBFT_FETCH_VC)
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
	    (rc = wire_rd_frames(r, PBFT_PROTO, PBFT_CHECKPOINT,
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

	if ((rc = wire_rd_frame(r, PBFT_PROTO, PBFT_PREPREPARE, &c->pp)) ||
	    (rc = wire_rd_frames(r, PBFT_PROTO, PBFT_COMMIT, PBFT_MAX_SIGNERS,
				 &c->commits)))
		return rc;
	return wire_rd_end(r);
}

static int dec_vcs(struct wire_rd *r, struct pbft_vcs *v)
{
	int rc;

	if ((rc = wire_rd_frame(r, PBFT_PROTO, PBFT_VIEWCHANGE, &v->vc)))
		return rc;
	return wire_rd_end(r);
}

static int pbft_decode(const struct wire_frame *f, struct wire_msg *out)
{
	struct wire_rd r = {f->body, f->body_len};
	struct pbft_msg *m = pbft_of(out);

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
	case PBFT_VCS:
		return dec_vcs(&r, &m->vcs);
	}
	return BYZ_ETYPE;
}

void pbft_vref_at(const struct pbft_newview *nv, uint16_t i, uint32_t *sender,
		  const uint8_t **digest)
{
	const uint8_t *e = nv->vrefs + (size_t)i * PBFT_VREF_BYTES;

	*sender = (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 |
		  (uint32_t)e[3] << 24;
	*digest = e + 4;
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

/* The frames a message embeds, in body order (wire.h, for_each_embedded). */
static int pbft_embedded(const struct wire_msg *msg, wire_frame_fn fn,
			 void *ctx)
{
	const struct pbft_msg *m = pbft_of(msg);
	struct wire_frame pp;
	struct wire_frames prep;
	size_t pos = 0;
	int rc;

	switch (msg->frame.type) {
	case PBFT_PREPREPARE:
		return wire_frames_each(&m->pp.batch, fn, ctx);
	case PBFT_VIEWCHANGE:
		if ((rc = wire_frames_each(&m->vc.proof, fn, ctx)))
			return rc;
		while (pbft_pset_next(&m->vc.prepared, &pos, &pp, &prep) == 1)
			if ((rc = fn(ctx, &pp)) ||
			    (rc = wire_frames_each(&prep, fn, ctx)))
				return rc;
		return 0;
	case PBFT_NEWVIEW:
		return wire_frames_each(&m->nv.pps, fn, ctx);
	case PBFT_STATE:
		return wire_frames_each(&m->state.proof, fn, ctx);
	case PBFT_CERT:
		if ((rc = fn(ctx, &m->cert.pp)))
			return rc;
		return wire_frames_each(&m->cert.commits, fn, ctx);
	case PBFT_VCS:
		return fn(ctx, &m->vcs.vc);
	}
	return 0;
}

/* The view of a message (0 for those outside views: CHECKPOINT, FETCH,
 * STATE); a CERT's is its PRE-PREPARE's. */
static uint64_t pbft_view(const struct wire_msg *m)
{
	const struct pbft_msg *p = pbft_of(m);
	struct wire_msg pp;

	switch (m->frame.type) {
	case PBFT_PREPREPARE:
		return p->pp.view;
	case PBFT_PREPARE:
	case PBFT_COMMIT:
		return p->vote.view;
	case PBFT_VIEWCHANGE:
		return p->vc.view;
	case PBFT_NEWVIEW:
		return p->nv.view;
	case PBFT_CERT:
		return wire_decode(p->cert.pp.bytes, p->cert.pp.len, &pp)
			   ? 0
			   : pbft_of(&pp)->pp.view;
	case PBFT_VCS:
		return wire_decode(p->vcs.vc.bytes, p->vcs.vc.len, &pp)
			   ? 0
			   : pbft_of(&pp)->vc.view;
	default:
		return 0;
	}
}

/* PBFT's round is the sequence number of the three-phase protocol and of
 * checkpoints (OSDI'99 §4.2-4.3); a VIEW-CHANGE or NEW-VIEW into view v is
 * round WIRE_VIEW_ROUND + v (`rounds=vA-vB`, docs/attacks.md). */
static uint64_t pbft_round(const struct wire_msg *m)
{
	const struct pbft_msg *p = pbft_of(m);

	switch (m->frame.type) {
	case PBFT_PREPREPARE:
		return p->pp.seq;
	case PBFT_PREPARE:
	case PBFT_COMMIT:
		return p->vote.seq;
	case PBFT_CHECKPOINT:
		return p->ckpt.seq;
	case PBFT_VIEWCHANGE:
		return WIRE_VIEW_ROUND + p->vc.view;
	case PBFT_NEWVIEW:
		return WIRE_VIEW_ROUND + p->nv.view;
	default:
		return 0;
	}
}

static struct pbft_framev fv(const struct wire_framev *v)
{
	return (struct pbft_framev){v->frames, v->lens, v->count};
}

/* A VIEW-CHANGE again: begin, then each P-set entry as pbft_pset_next
 * walks it. */
static int reencode_viewchange(const struct wire_msg *m, struct wire_buf *b)
{
	const struct pbft_viewchange *vc = &pbft_of(m)->vc;
	struct wire_framev proof, prepv;
	struct wire_frame pp;
	struct wire_frames prep;
	size_t s, pos = 0;
	unsigned n = 0;
	int rc;

	if ((rc = wire_frames_gather(&vc->proof, &proof)))
		return rc;
	rc = pbft_enc_viewchange_begin(b, &s, m->frame.sender, vc->view,
				       vc->stable_seq, vc->stable_digest,
				       fv(&proof), vc->prepared.count);
	wire_framev_free(&proof);
	if (rc)
		return rc;
	while (pbft_pset_next(&vc->prepared, &pos, &pp, &prep) == 1) {
		if ((rc = wire_frames_gather(&prep, &prepv)))
			return rc;
		pbft_enc_pset_entry(b, pp.bytes, pp.len, fv(&prepv));
		wire_framev_free(&prepv);
		n++;
	}
	if (n != vc->prepared.count || pos != vc->prepared.len)
		return BYZ_EFIELD;
	return pbft_enc_end(b, s);
}

/* m again, through the encoders (wire.h, reencode). */
static int reencode_newview(const struct wire_msg *m, struct wire_buf *b,
			    struct pbft_framev pps)
{
	const struct pbft_newview *nv = &pbft_of(m)->nv;
	uint32_t senders[PBFT_MAX_SIGNERS];
	uint8_t(*d)[BYZ_DIGEST_BYTES] =
	    malloc((nv->nvrefs ? nv->nvrefs : 1) * sizeof *d);
	int rc;

	if (!d)
		return BYZ_ENOMEM;
	for (uint16_t i = 0; i < nv->nvrefs; i++) {
		const uint8_t *di;
		pbft_vref_at(nv, i, &senders[i], &di);
		memcpy(d[i], di, BYZ_DIGEST_BYTES);
	}
	rc = pbft_enc_newview(b, NULL, m->frame.sender, nv->view, senders,
			      (const uint8_t(*)[BYZ_DIGEST_BYTES])d, nv->nvrefs,
			      pps);
	free(d);
	return rc;
}

static int pbft_reencode(const struct wire_msg *m, struct wire_buf *b)
{
	const struct pbft_msg *p = pbft_of(m);
	uint32_t sender = m->frame.sender;
	struct wire_framev x = {0}, y = {0};
	int rc = 0;

	switch (m->frame.type) {
	case PBFT_PREPREPARE:
		if (!(rc = wire_frames_gather(&p->pp.batch, &x)))
			rc = pbft_enc_preprepare(b, NULL, sender, p->pp.view,
						 p->pp.seq, fv(&x));
		break;
	case PBFT_PREPARE:
	case PBFT_COMMIT:
		rc = pbft_enc_vote(b, NULL, m->frame.type, sender, p->vote.view,
				   p->vote.seq, p->vote.digest);
		break;
	case PBFT_CHECKPOINT:
		rc = pbft_enc_checkpoint(b, NULL, sender, p->ckpt.seq,
					 p->ckpt.digest);
		break;
	case PBFT_VIEWCHANGE:
		rc = reencode_viewchange(m, b);
		break;
	case PBFT_NEWVIEW:
		if (!(rc = wire_frames_gather(&p->nv.pps, &y)))
			rc = reencode_newview(m, b, fv(&y));
		break;
	case PBFT_VCS:
		rc = pbft_enc_vcs(b, NULL, sender, p->vcs.vc.bytes,
				  p->vcs.vc.len);
		break;
	case PBFT_FETCH:
		rc = pbft_enc_fetch(b, NULL, sender, p->fetch.what,
				    p->fetch.seq);
		break;
	case PBFT_STATE:
		if (!(rc = wire_frames_gather(&p->state.proof, &x)))
			rc = pbft_enc_state(
			    b, NULL, sender, p->state.seq, p->state.digest,
			    fv(&x), p->state.snapshot, p->state.snapshot_len);
		break;
	default:
		if (!(rc = wire_frames_gather(&p->cert.commits, &x)))
			rc = pbft_enc_cert(b, NULL, sender, p->cert.pp.bytes,
					   p->cert.pp.len, fv(&x));
		break;
	}
	wire_framev_free(&x);
	wire_framev_free(&y);
	return rc;
}

static int pbft_describe(const struct wire_msg *m, char *buf, size_t len);

const struct wire_codec pbft_wire_codec = {
    .name = "pbft",
    .proto = PBFT_PROTO,
    .type_known = pbft_type_known,
    .type_name = pbft_type_name,
    .decode = pbft_decode,
    .for_each_embedded = pbft_embedded,
    .view = pbft_view,
    .round = pbft_round,
    .reencode = pbft_reencode,
    .describe = pbft_describe,
};

/* ---- encoders --------------------------------------------------------------
 */

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
	s = wire_begin(b, PBFT_PROTO, PBFT_PREPREPARE, sender);
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
	s = wire_begin(b, PBFT_PROTO, type, sender);
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
	s = wire_begin(b, PBFT_PROTO, PBFT_CHECKPOINT, sender);
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
	*start = wire_begin(b, PBFT_PROTO, PBFT_VIEWCHANGE, sender);
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
		     uint64_t view, const uint32_t *vc_senders,
		     const uint8_t (*vc_digests)[BYZ_DIGEST_BYTES],
		     uint16_t count, struct pbft_framev pps)
{
	size_t s;

	if (view == 0)
		return BYZ_EFIELD;
	if (count > PBFT_MAX_SIGNERS)
		return BYZ_ETOOBIG;
	s = wire_begin(b, PBFT_PROTO, PBFT_NEWVIEW, sender);
	wire_put_u64(b, view);
	wire_put_u16(b, count);
	for (uint16_t i = 0; i < count; i++) {
		wire_put_u32(b, vc_senders[i]);
		wire_put_bytes(b, vc_digests[i], BYZ_DIGEST_BYTES);
	}
	put_framev(b, pps);
	return enc_done(b, s, start);
}

int pbft_enc_fetch(struct wire_buf *b, size_t *start, uint32_t sender,
		   uint8_t what, uint64_t seq)
{
	size_t s;

	if (what != PBFT_FETCH_STATE && what != PBFT_FETCH_LOG &&
	    what != PBFT_FETCH_VC)
		return BYZ_EFIELD;
	s = wire_begin(b, PBFT_PROTO, PBFT_FETCH, sender);
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
	s = wire_begin(b, PBFT_PROTO, PBFT_STATE, sender);
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
	size_t s = wire_begin(b, PBFT_PROTO, PBFT_CERT, sender);

	wire_put_frame(b, pp, pplen);
	put_framev(b, commits);
	return enc_done(b, s, start);
}

int pbft_enc_vcs(struct wire_buf *b, size_t *start, uint32_t sender,
		 const uint8_t *vc, size_t vclen)
{
	size_t s = wire_begin(b, PBFT_PROTO, PBFT_VCS, sender);

	wire_put_frame(b, vc, vclen);
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

/* " key=ab12cd34": a digest by its first 4 bytes. */
static void say_digest(char *buf, size_t len, size_t *at, const char *key,
		       const uint8_t *d)
{
	char hx[9];

	byz_hex(hx, d, 4);
	say(buf, len, at, " %s=%s", key, hx);
}

/* A batch as its requests, "c0/t1,c1/t1", or "null" (§4.4's null
 * request). */
static void say_batch(char *buf, size_t len, size_t *at,
		      const struct wire_frames *batch)
{
	struct wire_msg r;
	size_t pos = 0;
	int first = 1;

	if (!batch->count)
		say(buf, len, at, "null");
	while (wire_frames_next(batch, &pos, &r) == 1) {
		say(buf, len, at, "%sc%" PRIu32 "/t%" PRIu64, first ? "" : ",",
		    r.u.request.client, r.u.request.timestamp);
		first = 0;
	}
}

/* The senders of a list of frames: "0,1,2". */
/* The sequence numbers of a view-change's prepared certificates, or of a
 * new-view's pre-prepares (frames given by the caller's walk). */
static void say_seq_of(char *buf, size_t len, size_t *at,
		       const struct wire_frame *pp, int *first)
{
	struct wire_msg m;

	if (wire_decode(pp->bytes, pp->len, &m) ||
	    m.frame.type != PBFT_PREPREPARE)
		return;
	say(buf, len, at, "%s%" PRIu64, *first ? "" : ",", pbft_of(&m)->pp.seq);
	*first = 0;
}

/* VIEW-CHANGE: "v=1 h=0 C=0 P=1,2" (OSDI'99 §4.4: the new view, the
 * stable checkpoint h with its proof C, the prepared numbers P). */
static void say_viewchange(const struct pbft_viewchange *vc, char *buf,
			   size_t len, size_t *at)
{
	struct wire_frame pp;
	struct wire_frames prepares;
	size_t pos = 0;
	int first = 1;

	say(buf, len, at, "v=%" PRIu64 " h=%" PRIu64 " C=%u P=", vc->view,
	    vc->stable_seq, vc->proof.count);
	while (pbft_pset_next(&vc->prepared, &pos, &pp, &prepares) == 1)
		say_seq_of(buf, len, at, &pp, &first);
	if (first)
		say(buf, len, at, "-");
}

/* NEW-VIEW: "v=1 V=0,1,2 O=1,2": who sent the view-changes it carries,
 * and the numbers of the pre-prepares it re-issues (§4.4). */
static void say_newview(const struct pbft_newview *nv, char *buf, size_t len,
			size_t *at)
{
	struct wire_msg m;
	size_t pos = 0;
	int first = 1;

	say(buf, len, at, "v=%" PRIu64 " V=", nv->view);
	for (uint16_t i = 0; i < nv->nvrefs; i++) {
		uint32_t s;
		const uint8_t *d;
		pbft_vref_at(nv, i, &s, &d);
		say(buf, len, at, "%s%" PRIu32, i ? "," : "", s);
	}
	say(buf, len, at, " O=");
	while (wire_frames_next(&nv->pps, &pos, &m) == 1)
		say_seq_of(buf, len, at, &m.frame, &first);
	if (first)
		say(buf, len, at, "-");
}

/* A PBFT message's fields for people (struct wire_codec, describe). */
static int pbft_describe(const struct wire_msg *m, char *buf, size_t len)
{
	const struct pbft_msg *p = pbft_of(m);
	uint8_t d[BYZ_DIGEST_BYTES];
	size_t at = 0;

	if (!len)
		return BYZ_EINVAL;
	buf[0] = 0;
	switch (m->frame.type) {
	case PBFT_PREPREPARE:
		byz_digest(d, p->pp.batch_bytes, p->pp.batch_len);
		say(buf, len, &at,
		    "v=%" PRIu64 " n=%" PRIu64 " batch=", p->pp.view,
		    p->pp.seq);
		say_batch(buf, len, &at, &p->pp.batch);
		say_digest(buf, len, &at, "d", d);
		break;
	case PBFT_PREPARE:
	case PBFT_COMMIT:
		say(buf, len, &at, "v=%" PRIu64 " n=%" PRIu64, p->vote.view,
		    p->vote.seq);
		say_digest(buf, len, &at, "d", p->vote.digest);
		break;
	case PBFT_CHECKPOINT:
		say(buf, len, &at, "n=%" PRIu64, p->ckpt.seq);
		say_digest(buf, len, &at, "d", p->ckpt.digest);
		break;
	case PBFT_VIEWCHANGE:
		say_viewchange(&p->vc, buf, len, &at);
		break;
	case PBFT_NEWVIEW:
		say_newview(&p->nv, buf, len, &at);
		break;
	case PBFT_FETCH:
		say(buf, len, &at, "what=%s n=%" PRIu64,
		    p->fetch.what == PBFT_FETCH_STATE ? "state"
		    : p->fetch.what == PBFT_FETCH_VC  ? "vc"
						      : "log",
		    p->fetch.seq);
		break;
	case PBFT_STATE:
		say(buf, len, &at, "n=%" PRIu64, p->state.seq);
		say_digest(buf, len, &at, "d", p->state.digest);
		say(buf, len, &at, " C=%u bytes=%" PRIu32, p->state.proof.count,
		    p->state.snapshot_len);
		break;
	case PBFT_CERT:
		say(buf, len, &at, "v=%" PRIu64 " n=", pbft_view(m));
		{
			int first = 1;
			say_seq_of(buf, len, &at, &p->cert.pp, &first);
		}
		say(buf, len, &at, " commits=%u", p->cert.commits.count);
		break;
	case PBFT_VCS:
		say(buf, len, &at, "v=%" PRIu64 " from=%" PRIu32, pbft_view(m),
		    p->vcs.vc.sender);
		break;
	default:
		return BYZ_EINVAL;
	}
	return 0;
}
