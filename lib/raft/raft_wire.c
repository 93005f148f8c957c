/*
 * raft_wire.c - Raft's codec (raft_wire.h, docs/wire.md "Raft"). Every
 * decoder is bounded by the body it is given and trusts no length or
 * count it reads; every encoder checks what it wrote by decoding it, so
 * what it encodes always decodes.
 */
#include "raft_wire.h"

#include "err.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct raft_msg) <= WIRE_MSG_BODY_BYTES,
	       "struct raft_msg must fit a wire_msg's body");

#define RAFT_ENTRY_DOMAIN "byzlab/raft/entry/v1" /* hashed with its NUL */

void raft_entry_digest(uint8_t d[BYZ_DIGEST_BYTES], const uint8_t *bytes,
		       size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, BYZ_DIGEST_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)RAFT_ENTRY_DOMAIN,
				  sizeof RAFT_ENTRY_DOMAIN);
	crypto_generichash_update(&st, bytes, len);
	crypto_generichash_final(&st, d, BYZ_DIGEST_BYTES);
}

/* One entry from r: term, then the requests. */
static int rd_entry(struct wire_rd *r, struct raft_entry *e)
{
	const uint8_t *p = r->p;
	int rc;

	if ((rc = wire_rd_u64(r, &e->term)) ||
	    (rc = wire_rd_frames(r, BYZ_PROTO_CLIENT, WIRE_CLIENT_REQUEST,
				 RAFT_MAX_BATCH, &e->batch)))
		return rc;
	if (e->term == 0)
		return BYZ_EFIELD;
	e->bytes = p;
	e->len = (size_t)(r->p - p);
	return 0;
}

int raft_entry_decode(const uint8_t *p, size_t len, struct raft_entry *e)
{
	struct wire_rd r = {p, len};
	int rc;

	if ((rc = rd_entry(&r, e)))
		return rc;
	return wire_rd_end(&r);
}

int raft_entries_next(const struct raft_append *a, size_t *pos,
		      struct raft_entry *e)
{
	struct wire_rd r;

	if (*pos >= a->entries_len)
		return 0;
	r.p = a->entries + *pos;
	r.left = a->entries_len - *pos;
	if (rd_entry(&r, e))
		return 0; /* cannot happen for a decoded APPEND */
	*pos += e->len;
	return 1;
}

static int dec_vote_req(struct wire_rd *r, struct raft_vote_req *v)
{
	int rc;

	if ((rc = wire_rd_u64(r, &v->term)) ||
	    (rc = wire_rd_u64(r, &v->last_index)) ||
	    (rc = wire_rd_u64(r, &v->last_term)))
		return rc;
	if (v->term == 0 || v->last_term > v->term ||
	    (v->last_index == 0) != (v->last_term == 0))
		return BYZ_EFIELD;
	return wire_rd_end(r);
}

static int dec_vote(struct wire_rd *r, struct raft_vote *v)
{
	uint8_t g;
	int rc;

	if ((rc = wire_rd_u64(r, &v->term)) ||
	    (rc = wire_rd_u32(r, &v->candidate)) || (rc = wire_rd_u8(r, &g)))
		return rc;
	if (v->term == 0 || g > 1)
		return BYZ_EFIELD;
	v->granted = g;
	return wire_rd_end(r);
}

static int dec_append(struct wire_rd *r, struct raft_append *a)
{
	uint64_t last_term;
	int rc;

	if ((rc = wire_rd_u64(r, &a->term)) ||
	    (rc = wire_rd_u64(r, &a->prev_index)) ||
	    (rc = wire_rd_u64(r, &a->prev_term)) ||
	    (rc = wire_rd_u64(r, &a->commit)) ||
	    (rc = wire_rd_u16(r, &a->count)))
		return rc;
	if (a->term == 0 || a->prev_term > a->term ||
	    (a->prev_index == 0) != (a->prev_term == 0))
		return BYZ_EFIELD;
	if (a->count > RAFT_MAX_ENTRIES)
		return BYZ_ETOOBIG;
	if (a->prev_index > UINT64_MAX - RAFT_MAX_ENTRIES)
		return BYZ_EFIELD;
	a->entries = r->p;
	last_term = a->prev_term;
	for (uint16_t i = 0; i < a->count; i++) {
		struct raft_entry e;
		if ((rc = rd_entry(r, &e)))
			return rc;
		/* Terms never go down along a log, nor past the leader's. */
		if (e.term < last_term || e.term > a->term)
			return BYZ_EFIELD;
		last_term = e.term;
	}
	a->entries_len = (size_t)(r->p - a->entries);
	return wire_rd_end(r);
}

static int dec_append_ok(struct wire_rd *r, struct raft_append_ok *o)
{
	uint8_t s;
	int rc;

	if ((rc = wire_rd_u64(r, &o->term)) || (rc = wire_rd_u8(r, &s)) ||
	    (rc = wire_rd_u64(r, &o->match)) || (rc = wire_rd_u64(r, &o->last)))
		return rc;
	if (o->term == 0 || s > 1 || (s && o->match > o->last))
		return BYZ_EFIELD;
	o->success = s;
	return wire_rd_end(r);
}

static int dec_snapshot(struct wire_rd *r, struct raft_snapshot *s)
{
	int rc;

	if ((rc = wire_rd_u64(r, &s->term)) ||
	    (rc = wire_rd_u64(r, &s->last_index)) ||
	    (rc = wire_rd_u64(r, &s->last_term)) ||
	    (rc = wire_rd_u32(r, &s->snap_len)))
		return rc;
	if (s->term == 0 || s->last_index == 0 || s->last_term == 0 ||
	    s->last_term > s->term)
		return BYZ_EFIELD;
	if (s->snap_len > RAFT_MAX_SNAPSHOT)
		return BYZ_ETOOBIG;
	if ((rc = wire_rd_bytes(r, s->snap_len, &s->snap)))
		return rc;
	return wire_rd_end(r);
}

static int raft_decode(const struct wire_frame *f, struct wire_msg *out)
{
	struct wire_rd rd = {f->body, f->body_len};
	struct raft_msg *m = raft_of(out);

	switch (f->type) {
	case RAFT_VOTE_REQ:
		return dec_vote_req(&rd, &m->vreq);
	case RAFT_VOTE:
		return dec_vote(&rd, &m->vote);
	case RAFT_APPEND:
		return dec_append(&rd, &m->app);
	case RAFT_APPEND_OK:
		return dec_append_ok(&rd, &m->ok);
	case RAFT_SNAPSHOT:
		return dec_snapshot(&rd, &m->snap);
	}
	return BYZ_ETYPE;
}

/* The requests of an APPEND's entries, in body order. */
static int raft_embedded(const struct wire_msg *msg, wire_frame_fn fn,
			 void *ctx)
{
	const struct raft_msg *m = raft_of(msg);
	struct raft_entry e;
	size_t pos = 0;
	int rc;

	if (msg->frame.type != RAFT_APPEND)
		return 0;
	while (raft_entries_next(&m->app, &pos, &e) == 1)
		if ((rc = wire_frames_each(&e.batch, fn, ctx)))
			return rc;
	return 0;
}

static bool raft_type_known(uint8_t type)
{
	return type >= RAFT_VOTE_REQ && type <= RAFT_SNAPSHOT;
}

static const char *raft_type_name(uint8_t type)
{
	static const char *const names[] = {
	    [RAFT_VOTE_REQ] = "vote-req", [RAFT_VOTE] = "vote",
	    [RAFT_APPEND] = "append",	  [RAFT_APPEND_OK] = "append-ok",
	    [RAFT_SNAPSHOT] = "snapshot",
	};
	return raft_type_known(type) ? names[type] : "unknown";
}

/* The view of a message: its term. */
static uint64_t raft_msg_view(const struct wire_msg *m)
{
	const struct raft_msg *r = raft_of(m);

	switch (m->frame.type) {
	case RAFT_VOTE_REQ:
		return r->vreq.term;
	case RAFT_VOTE:
		return r->vote.term;
	case RAFT_APPEND:
		return r->app.term;
	case RAFT_APPEND_OK:
		return r->ok.term;
	case RAFT_SNAPSHOT:
		return r->snap.term;
	}
	return 0;
}

/* The round of `rounds=` windows: the log index a message is about (the
 * unit of progress: one entry each), the first new one for an APPEND;
 * elections are view-change traffic, WIRE_VIEW_ROUND + the term. */
static uint64_t raft_msg_round(const struct wire_msg *m)
{
	const struct raft_msg *r = raft_of(m);

	switch (m->frame.type) {
	case RAFT_VOTE_REQ:
		return WIRE_VIEW_ROUND + r->vreq.term;
	case RAFT_VOTE:
		return WIRE_VIEW_ROUND + r->vote.term;
	case RAFT_APPEND:
		return r->app.prev_index + 1;
	case RAFT_APPEND_OK:
		return r->ok.last;
	case RAFT_SNAPSHOT:
		return r->snap.last_index;
	}
	return 0;
}

static int raft_reencode(const struct wire_msg *m, struct wire_buf *b)
{
	const struct raft_msg *r = raft_of(m);
	uint32_t s = m->frame.sender;

	switch (m->frame.type) {
	case RAFT_VOTE_REQ:
		return raft_enc_vote_req(b, NULL, s, r->vreq.term,
					 r->vreq.last_index, r->vreq.last_term);
	case RAFT_VOTE:
		return raft_enc_vote(b, NULL, s, r->vote.term,
				     r->vote.candidate, r->vote.granted);
	case RAFT_APPEND: {
		const uint8_t *ents[RAFT_MAX_ENTRIES];
		size_t lens[RAFT_MAX_ENTRIES], k = 0, pos = 0;
		struct raft_entry e;
		while (k < RAFT_MAX_ENTRIES &&
		       raft_entries_next(&r->app, &pos, &e) == 1) {
			ents[k] = e.bytes;
			lens[k++] = e.len;
		}
		return raft_enc_append(b, NULL, s, r->app.term,
				       r->app.prev_index, r->app.prev_term,
				       r->app.commit, ents, lens, k);
	}
	case RAFT_APPEND_OK:
		return raft_enc_append_ok(b, NULL, s, r->ok.term, r->ok.success,
					  r->ok.match, r->ok.last);
	case RAFT_SNAPSHOT:
		return raft_enc_snapshot(b, NULL, s, r->snap.term,
					 r->snap.last_index, r->snap.last_term,
					 r->snap.snap, r->snap.snap_len);
	}
	return BYZ_EINVAL;
}

static int raft_describe(const struct wire_msg *m, char *buf, size_t len);

const struct wire_codec raft_wire_codec = {
    .name = "raft",
    .proto = RAFT_PROTO,
    .type_known = raft_type_known,
    .type_name = raft_type_name,
    .decode = raft_decode,
    .for_each_embedded = raft_embedded,
    .view = raft_msg_view,
    .round = raft_msg_round,
    .reencode = raft_reencode,
    .describe = raft_describe,
};

int raft_enc_entry(struct wire_buf *b, uint64_t term,
		   const uint8_t *const *frames, const size_t *lens,
		   size_t count)
{
	if (b->err)
		return b->err;
	if (term == 0)
		return BYZ_EFIELD;
	if (count > RAFT_MAX_BATCH)
		return BYZ_ETOOBIG;
	wire_put_u64(b, term);
	wire_put_u16(b, (uint16_t)count);
	for (size_t i = 0; i < count; i++)
		wire_put_frame(b, frames[i], lens[i]);
	return b->err;
}

int raft_enc_vote_req(struct wire_buf *b, size_t *start, uint32_t sender,
		      uint64_t term, uint64_t last_index, uint64_t last_term)
{
	size_t s;

	if (b->err)
		return b->err;
	s = wire_begin(b, RAFT_PROTO, RAFT_VOTE_REQ, sender);
	wire_put_u64(b, term);
	wire_put_u64(b, last_index);
	wire_put_u64(b, last_term);
	return wire_end_checked(b, s, start);
}

int raft_enc_vote(struct wire_buf *b, size_t *start, uint32_t sender,
		  uint64_t term, uint32_t candidate, bool granted)
{
	size_t s;

	if (b->err)
		return b->err;
	s = wire_begin(b, RAFT_PROTO, RAFT_VOTE, sender);
	wire_put_u64(b, term);
	wire_put_u32(b, candidate);
	wire_put_u8(b, granted ? 1 : 0);
	return wire_end_checked(b, s, start);
}

int raft_enc_append(struct wire_buf *b, size_t *start, uint32_t sender,
		    uint64_t term, uint64_t prev_index, uint64_t prev_term,
		    uint64_t commit, const uint8_t *const *ents,
		    const size_t *lens, size_t count)
{
	size_t s;

	if (b->err)
		return b->err;
	if (count > RAFT_MAX_ENTRIES)
		return BYZ_ETOOBIG;
	s = wire_begin(b, RAFT_PROTO, RAFT_APPEND, sender);
	wire_put_u64(b, term);
	wire_put_u64(b, prev_index);
	wire_put_u64(b, prev_term);
	wire_put_u64(b, commit);
	wire_put_u16(b, (uint16_t)count);
	for (size_t i = 0; i < count; i++)
		wire_put_bytes(b, ents[i], lens[i]);
	return wire_end_checked(b, s, start);
}

int raft_enc_append_ok(struct wire_buf *b, size_t *start, uint32_t sender,
		       uint64_t term, bool success, uint64_t match,
		       uint64_t last)
{
	size_t s;

	if (b->err)
		return b->err;
	s = wire_begin(b, RAFT_PROTO, RAFT_APPEND_OK, sender);
	wire_put_u64(b, term);
	wire_put_u8(b, success ? 1 : 0);
	wire_put_u64(b, match);
	wire_put_u64(b, last);
	return wire_end_checked(b, s, start);
}

int raft_enc_snapshot(struct wire_buf *b, size_t *start, uint32_t sender,
		      uint64_t term, uint64_t last_index, uint64_t last_term,
		      const uint8_t *snap, size_t snap_len)
{
	size_t s;

	if (b->err)
		return b->err;
	if (snap_len > RAFT_MAX_SNAPSHOT)
		return BYZ_ETOOBIG;
	s = wire_begin(b, RAFT_PROTO, RAFT_SNAPSHOT, sender);
	wire_put_u64(b, term);
	wire_put_u64(b, last_index);
	wire_put_u64(b, last_term);
	wire_put_u32(b, (uint32_t)snap_len);
	wire_put_bytes(b, snap, snap_len);
	return wire_end_checked(b, s, start);
}

/* A Raft message's fields for people (struct wire_codec, describe):
 * "t=2 last=5/1" for a VOTE_REQ, "t=2 granted r1" / "t=2 refused r1" for a
 * VOTE, "t=2 prev=5/1 commit=4 ents=2 reqs=3 d=ab12cd34" for an APPEND (d: the
 * digest of its first entry, "-" without), "t=2 ok match=7 last=7" /
 * "t=2 fail hint=4 last=7" for an APPEND_OK, "t=2 last=9/2 snap=120" for a
 * SNAPSHOT. */
static int raft_describe(const struct wire_msg *m, char *buf, size_t len)
{
	const struct raft_msg *r = raft_of(m);

	if (!len || !raft_type_known(m->frame.type))
		return BYZ_EINVAL;
	switch (m->frame.type) {
	case RAFT_VOTE_REQ:
		snprintf(buf, len, "t=%" PRIu64 " last=%" PRIu64 "/%" PRIu64,
			 r->vreq.term, r->vreq.last_index, r->vreq.last_term);
		break;
	case RAFT_VOTE:
		snprintf(buf, len, "t=%" PRIu64 " %s r%" PRIu32, r->vote.term,
			 r->vote.granted ? "granted" : "refused",
			 r->vote.candidate);
		break;
	case RAFT_APPEND: {
		struct raft_entry e;
		size_t pos = 0;
		unsigned reqs = 0;
		char d[9] = "-";
		bool first = true;
		while (raft_entries_next(&r->app, &pos, &e) == 1) {
			if (first) {
				uint8_t x[BYZ_DIGEST_BYTES];
				raft_entry_digest(x, e.bytes, e.len);
				snprintf(d, sizeof d, "%02x%02x%02x%02x", x[0],
					 x[1], x[2], x[3]);
				first = false;
			}
			reqs += e.batch.count;
		}
		snprintf(buf, len,
			 "t=%" PRIu64 " prev=%" PRIu64 "/%" PRIu64
			 " commit=%" PRIu64 " ents=%u reqs=%u d=%s",
			 r->app.term, r->app.prev_index, r->app.prev_term,
			 r->app.commit, (unsigned)r->app.count, reqs, d);
		break;
	}
	case RAFT_APPEND_OK:
		snprintf(
		    buf, len, "t=%" PRIu64 " %s %s=%" PRIu64 " last=%" PRIu64,
		    r->ok.term, r->ok.success ? "ok" : "fail",
		    r->ok.success ? "match" : "hint", r->ok.match, r->ok.last);
		break;
	case RAFT_SNAPSHOT:
		snprintf(buf, len,
			 "t=%" PRIu64 " last=%" PRIu64 "/%" PRIu64
			 " snap=%" PRIu32,
			 r->snap.term, r->snap.last_index, r->snap.last_term,
			 r->snap.snap_len);
		break;
	}
	return 0;
}
