/*
 * pbft_persist.c - what a PBFT replica must not forget across a crash, as
 * a write-ahead log (core.h): a base record holding the whole protocol
 * state, then appended records, each written before the messages that
 * depend on it leave:
 *
 *   'M' frame   a signed message accepted into the log (pre-prepare,
 *               prepare, commit, checkpoint, view-change, new-view,
 *               committed certificate)
 *   'S' frame   an unsigned pre-prepare this replica (as primary) sent:
 *               its sequence number is never assigned again
 *   'V' view    this replica moved to `view` and announced it
 *
 * A new base replaces the log after each stable checkpoint (§4.3 keeps the
 * log between the watermarks, so the base stays bounded) and whenever the
 * appended records pass PBFT_WAL_MAX bytes. On restart the base is loaded
 * and the records replay through the same handlers with every output
 * discarded: the core is deterministic, so it ends where it stopped.
 */
#include "pbft.h"

#include "err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC_BASE     'B'
#define REC_MSG	     'M'
#define REC_SENT     'S'
#define REC_VIEW     'V'
#define BASE_VERSION 1

/* Append one record: a kind byte, then bytes. */
static int persist_append(struct pbft *p, uint8_t kind, const uint8_t *data,
			  size_t len, struct byz_outbox *ob)
{
	size_t off = ob->bytes.len;
	struct byz_output *o;
	int rc;

	wire_put_u8(&ob->bytes, kind);
	wire_put_bytes(&ob->bytes, data, len);
	if (ob->bytes.err)
		return ob->bytes.err;
	/* The record is at [off, len): persist it as one output. */
	rc = byz_out_persist(ob, ++p->persist_token, false, NULL, 0);
	if (rc)
		return rc;
	o = &ob->out[ob->count - 1];
	o->off = off;
	o->len = ob->bytes.len - off;
	p->wal_bytes += o->len;
	return 0;
}

int pbft_persist_msg(struct pbft *p, const struct wire_msg *m,
		     struct byz_outbox *ob)
{
	if (p->replaying)
		return 0;
	return persist_append(p, REC_MSG, m->frame.bytes, m->frame.len, ob);
}

int pbft_persist_sent(struct pbft *p, size_t off, size_t len,
		      struct byz_outbox *ob)
{
	uint8_t *copy;
	int rc;

	if (p->replaying)
		return 0;
	/* The frame is in ob->bytes, which the append may move. */
	copy = malloc(len);
	if (!copy)
		return BYZ_ENOMEM;
	memcpy(copy, ob->bytes.data + off, len);
	rc = persist_append(p, REC_SENT, copy, len, ob);
	free(copy);
	return rc;
}

int pbft_persist_view(struct pbft *p, struct byz_outbox *ob)
{
	uint8_t v[8];

	if (p->replaying)
		return 0;
	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(p->view >> (8 * i));
	return persist_append(p, REC_VIEW, v, sizeof v, ob);
}

/* ---- the base record ---------------------------------------------------- */

static void put_blob(struct wire_buf *b, const struct pbft_blob *x)
{
	wire_put_u32(b, x ? (uint32_t)x->len : 0);
	if (x)
		wire_put_bytes(b, x->data, x->len);
}

/* Blobs of an array indexed by sender: u16 count, (u8 sender, blob)*. */
static void put_blobs(struct wire_buf *b, struct pbft_blob *const *xs,
		      uint32_t n)
{
	uint16_t count = 0;

	for (uint32_t i = 0; i < n; i++)
		count += xs[i] != NULL;
	wire_put_u16(b, count);
	for (uint32_t i = 0; i < n; i++)
		if (xs[i]) {
			wire_put_u8(b, (uint8_t)i);
			put_blob(b, xs[i]);
		}
}

int pbft_persist_base(struct pbft *p, struct byz_outbox *ob)
{
	struct wire_buf *b = &p->scratch;
	uint32_t n = p->cfg.n, count;
	int rc;

	p->need_base = false;
	if (p->replaying)
		return 0;
	wire_buf_reset(b);
	wire_put_u8(b, REC_BASE);
	wire_put_u8(b, BASE_VERSION);
	wire_put_u64(b, p->view);
	wire_put_u8(b, p->in_vc);
	wire_put_u64(b, p->vc_timeout);
	wire_put_u64(b, p->low);
	wire_put_u64(b, p->last_exec);
	wire_put_u64(b, p->next_seq);
	wire_put_bytes(b, p->stable_digest, BYZ_DIGEST_BYTES);
	put_blobs(b, p->stable_proof, n);
	wire_put_u32(b, (uint32_t)p->stable_snapshot_len);
	wire_put_bytes(b, p->stable_snapshot, p->stable_snapshot_len);
	/* The application as it is now (at last_exec). */
	{
		size_t at = b->len;
		wire_put_u32(b, 0);
		if ((rc = app_snapshot(p->app, b)))
			return rc;
		if (!b->err) {
			uint32_t l = (uint32_t)(b->len - at - 4);
			for (int i = 0; i < 4; i++)
				b->data[at + i] = (uint8_t)(l >> (8 * i));
		}
	}
	count = 0;
	for (uint32_t i = 0; i < p->nown; i++)
		count += p->own[i].seq > p->low;
	wire_put_u32(b, count);
	for (uint32_t i = 0; i < p->nown; i++)
		if (p->own[i].seq > p->low) {
			wire_put_u64(b, p->own[i].seq);
			wire_put_bytes(b, p->own[i].digest, BYZ_DIGEST_BYTES);
			wire_put_u32(b, (uint32_t)p->own[i].snapshot_len);
			wire_put_bytes(b, p->own[i].snapshot,
				       p->own[i].snapshot_len);
		}
	count = 0;
	for (uint32_t i = 0; i < p->cfg.window; i++)
		count += p->log[i].seq > p->low;
	wire_put_u32(b, count);
	for (uint32_t i = 0; i < p->cfg.window; i++) {
		const struct pbft_entry *e = &p->log[i];
		if (e->seq <= p->low)
			continue;
		wire_put_u64(b, e->seq);
		wire_put_u64(b, e->view);
		wire_put_u8(b, (uint8_t)(e->sent_prepare | e->sent_commit << 1 |
					 e->prepared << 2 | e->committed << 3));
		put_blob(b, e->pp);
		wire_put_bytes(b, e->digest, BYZ_DIGEST_BYTES);
		put_blobs(b, e->prep, n);
		put_blobs(b, e->commit, n);
		wire_put_u64(b, e->pc_view);
		put_blob(b, e->pc_pp);
		put_blobs(b, e->pc_prep, n);
		put_blob(b, e->cc_pp);
		wire_put_bytes(b, e->cc_digest, BYZ_DIGEST_BYTES);
		put_blobs(b, e->cc_commit, n);
	}
	for (uint32_t s = 0; s < n; s++)
		for (int k = 0; k < PBFT_CKPT_KEEP; k++)
			put_blob(b, p->ckpt[s][k].frame);
	for (uint32_t s = 0; s < n; s++) {
		wire_put_u64(b, p->vc_view[s]);
		put_blob(b, p->vc[s]);
	}
	put_blob(b, p->nv);
	if (b->err)
		return b->err;
	p->wal_bytes = 0;
	return byz_out_persist(ob, ++p->persist_token, true, b->data, b->len);
}

/* ---- loading ------------------------------------------------------------- */

static int get_blob(struct wire_rd *r, struct pbft_blob **out)
{
	const uint8_t *d;
	uint32_t len;
	int rc;

	if ((rc = wire_rd_u32(r, &len)))
		return rc;
	if (!len)
		return 0;
	if ((rc = wire_rd_bytes(r, len, &d)))
		return rc;
	*out = pbft_blob_new(d, len);
	return *out ? 0 : BYZ_ENOMEM;
}

static int get_blobs(struct wire_rd *r, struct pbft_blob **xs, uint32_t n)
{
	uint16_t count;
	uint8_t s;
	int rc;

	if ((rc = wire_rd_u16(r, &count)))
		return rc;
	for (uint16_t i = 0; i < count; i++) {
		if ((rc = wire_rd_u8(r, &s)))
			return rc;
		if (s >= n || xs[s])
			return BYZ_EFIELD;
		if ((rc = get_blob(r, &xs[s])))
			return rc;
	}
	return 0;
}

static int get_bytes(struct wire_rd *r, uint8_t *out, size_t n)
{
	const uint8_t *d;
	int rc = wire_rd_bytes(r, n, &d);

	if (!rc)
		memcpy(out, d, n);
	return rc;
}

/* Load a base record into a fresh core. */
static int load_base(struct pbft *p, const uint8_t *rec, size_t len)
{
	struct wire_rd r = {rec, len};
	uint32_t n = p->cfg.n, count, slen;
	const uint8_t *d;
	uint8_t kind, version, in_vc, flags;
	int rc;

	if ((rc = wire_rd_u8(&r, &kind)) || (rc = wire_rd_u8(&r, &version)))
		return rc;
	if (kind != REC_BASE || version != BASE_VERSION)
		return BYZ_EVERSION;
	if ((rc = wire_rd_u64(&r, &p->view)) || (rc = wire_rd_u8(&r, &in_vc)) ||
	    (rc = wire_rd_u64(&r, &p->vc_timeout)) ||
	    (rc = wire_rd_u64(&r, &p->low)) ||
	    (rc = wire_rd_u64(&r, &p->last_exec)) ||
	    (rc = wire_rd_u64(&r, &p->next_seq)) ||
	    (rc = get_bytes(&r, p->stable_digest, BYZ_DIGEST_BYTES)) ||
	    (rc = get_blobs(&r, p->stable_proof, n)) ||
	    (rc = wire_rd_u32(&r, &slen)) || (rc = wire_rd_bytes(&r, slen, &d)))
		return rc;
	p->in_vc = in_vc != 0;
	if (slen) {
		p->stable_snapshot = malloc(slen);
		if (!p->stable_snapshot)
			return BYZ_ENOMEM;
		memcpy(p->stable_snapshot, d, slen);
		p->stable_snapshot_len = slen;
	}
	if ((rc = wire_rd_u32(&r, &slen)) ||
	    (rc = wire_rd_bytes(&r, slen, &d)) ||
	    (rc = app_restore(p->app, d, slen)))
		return rc;
	if ((rc = wire_rd_u32(&r, &count)))
		return rc;
	if (count > p->nown)
		return BYZ_ETOOBIG;
	for (uint32_t i = 0; i < count; i++) {
		struct pbft_own_ckpt *o = &p->own[i];
		if ((rc = wire_rd_u64(&r, &o->seq)) ||
		    (rc = get_bytes(&r, o->digest, BYZ_DIGEST_BYTES)) ||
		    (rc = wire_rd_u32(&r, &slen)) ||
		    (rc = wire_rd_bytes(&r, slen, &d)))
			return rc;
		o->snapshot = malloc(slen ? slen : 1);
		if (!o->snapshot)
			return BYZ_ENOMEM;
		memcpy(o->snapshot, d, slen);
		o->snapshot_len = slen;
	}
	if ((rc = wire_rd_u32(&r, &count)))
		return rc;
	if (count > p->cfg.window)
		return BYZ_ETOOBIG;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t seq;
		struct pbft_entry *e;
		if ((rc = wire_rd_u64(&r, &seq)))
			return rc;
		if (!(e = pbft_entry(p, seq)) || e->pp || e->view)
			return BYZ_EFIELD;
		if ((rc = wire_rd_u64(&r, &e->view)) ||
		    (rc = wire_rd_u8(&r, &flags)) ||
		    (rc = get_blob(&r, &e->pp)) ||
		    (rc = get_bytes(&r, e->digest, BYZ_DIGEST_BYTES)) ||
		    (rc = get_blobs(&r, e->prep, n)) ||
		    (rc = get_blobs(&r, e->commit, n)) ||
		    (rc = wire_rd_u64(&r, &e->pc_view)) ||
		    (rc = get_blob(&r, &e->pc_pp)) ||
		    (rc = get_blobs(&r, e->pc_prep, n)) ||
		    (rc = get_blob(&r, &e->cc_pp)) ||
		    (rc = get_bytes(&r, e->cc_digest, BYZ_DIGEST_BYTES)) ||
		    (rc = get_blobs(&r, e->cc_commit, n)))
			return rc;
		e->sent_prepare = flags & 1;
		e->sent_commit = (flags >> 1) & 1;
		e->prepared = (flags >> 2) & 1;
		e->committed = (flags >> 3) & 1;
		pbft_entry_recount(p, e);
	}
	for (uint32_t s = 0; s < n; s++)
		for (int k = 0; k < PBFT_CKPT_KEEP; k++) {
			struct pbft_ckpt_msg *c = &p->ckpt[s][k];
			struct wire_msg m;
			if ((rc = get_blob(&r, &c->frame)))
				return rc;
			if (!c->frame)
				continue;
			if (wire_decode(c->frame->data, c->frame->len, &m) ||
			    m.frame.type != PBFT_CHECKPOINT)
				return BYZ_EFIELD;
			c->seq = pbft_of(&m)->ckpt.seq;
			memcpy(c->digest, pbft_of(&m)->ckpt.digest,
			       BYZ_DIGEST_BYTES);
		}
	for (uint32_t s = 0; s < n; s++)
		if ((rc = wire_rd_u64(&r, &p->vc_view[s])) ||
		    (rc = get_blob(&r, &p->vc[s])))
			return rc;
	if ((rc = get_blob(&r, &p->nv)))
		return rc;
	return wire_rd_end(&r);
}

/* Replay one appended record through the handlers. */
static int replay_record(struct pbft *p, const uint8_t *rec, size_t len,
			 struct byz_outbox *ob)
{
	struct byz_event ev = {.kind = BYZ_EV_MESSAGE, .now = 0};
	struct wire_msg m;
	uint64_t view = 0;
	int rc;

	if (len < 1)
		return BYZ_ETRUNC;
	switch (rec[0]) {
	case REC_MSG:
		if ((rc = wire_decode(rec + 1, len - 1, &m)))
			return rc;
		ev.u.msg = &m;
		return pbft_dispatch(p, &ev, ob);
	case REC_SENT:
		if ((rc = wire_decode_unsigned(rec + 1, len - 1, &m)))
			return rc;
		if (pbft_of(&m)->pp.seq >= p->next_seq)
			p->next_seq = pbft_of(&m)->pp.seq + 1;
		return 0;
	case REC_VIEW:
		if (len != 9)
			return BYZ_ELENGTH;
		for (int i = 0; i < 8; i++)
			view |= (uint64_t)rec[1 + i] << (8 * i);
		return pbft_start_view_change(p, view, ob);
	}
	return BYZ_EFIELD;
}

/*
 * Rebuild the core from its persisted log. A record cut short at the end
 * (a write the crash tore) ends the log; anything else malformed is an
 * error: this replica's own storage cannot be trusted.
 */
int pbft_replay(struct pbft *p, const uint8_t *log, size_t len)
{
	struct byz_outbox scratch;
	const uint8_t *rec;
	size_t pos = 0, rlen;
	int rc, first = 1;

	byz_outbox_init(&scratch, 1u << 20, 256u << 20);
	p->replaying = true;
	while ((rc = byz_persist_next(log, len, &pos, &rec, &rlen)) == 1) {
		if (first) {
			first = 0;
			if (rlen && rec[0] == REC_BASE) {
				if ((rc = load_base(p, rec, rlen)))
					break;
				continue;
			}
		}
		byz_outbox_reset(&scratch);
		if ((rc = replay_record(p, rec, rlen, &scratch)))
			break;
	}
	if (rc == BYZ_ETRUNC)
		rc = 0; /* a torn last record */
	if (!rc) {
		byz_outbox_reset(&scratch);
		rc = pbft_execute_ready(p, &scratch);
	}
	p->replaying = false;
	p->need_base = true; /* start the new life from a fresh base */
	byz_outbox_free(&scratch);
	return rc;
}

/* A u64, little-endian, as the records hold it. */
static uint64_t rec_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* One record of the log for people (core.h, describe_record): 'B' a base,
 * 'M' an accepted signed message, 'S' an unsigned pre-prepare this primary
 * sent, 'V' the view moved to. */
void pbft_describe_record(const uint8_t *rec, size_t len, char *buf, size_t cap)
{
	char d[400];

	switch (len ? rec[0] : 0) {
	case 'B':
		snprintf(buf, cap, "base");
		break;
	case 'M':
		wire_describe_frame(rec + 1, len - 1, true, d, sizeof d);
		snprintf(buf, cap, "msg %s", d);
		break;
	case 'S':
		wire_describe_frame(rec + 1, len - 1, false, d, sizeof d);
		snprintf(buf, cap, "sent %s", d);
		break;
	case 'V':
		if (len == 9) {
			snprintf(buf, cap, "view v=%" PRIu64, rec_u64(rec + 1));
			break;
		}
		/* fall through */
	default:
		snprintf(buf, cap, "record %zu bytes", len);
	}
}
