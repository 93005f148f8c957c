/*
 * hs_persist.c - the write-ahead log (core.h): what a replica must not
 * forget across a crash, written before the vote it guards.
 *
 * Records (little-endian), each one PERSIST:
 *
 *   VOTE   u8 2, voted view u64                     (append)
 *   LOCK   u8 3, lockedQC (its encoding, hs_wire.h)  (append)
 *   STATE  u8 1, voted view u64, executed view u64, executed depth u64
 *          (blocks executed, hs_state.c), executed block hash (32),
 *          lockedQC length u32 and encoding, application snapshot (app.h)
 *          to the end                                (replace)
 *
 * A VOTE or LOCK is appended in the step that changes it, before the
 * VOTE message; a step that executed something replaces the log with one
 * STATE (so the log is compacted at every commit), as does the
 * HS_LOG_APPENDS-th append since the last STATE. The step's COMMIT outputs
 * follow the STATE that holds their effect (issue #10 item 2b). Restoring
 * replays the records in order, so a restarted replica never votes twice in a
 * view, keeps its lock, and does not execute (or report) a height again.
 */
#include "hs_core.h"

#include "err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum hs_rec {
	HS_REC_STATE = 1,
	HS_REC_VOTE = 2,
	HS_REC_LOCK = 3,
};

static uint64_t hs_rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int hs_persist_rec(struct hs *h, struct byz_outbox *ob, bool replace)
{
	if (h->scratch.err)
		return h->scratch.err;
	h->appended = replace ? 0 : h->appended + 1;
	return byz_out_persist(ob, ++h->token, replace, h->scratch.data,
			       h->scratch.len);
}

int hs_persist_flush(struct hs *h, struct byz_outbox *ob)
{
	struct wire_buf *b = &h->scratch;
	int rc;

	if (!h->dirty_state && !h->dirty_vote && !h->dirty_lock)
		return hs_send_commits(h, ob);
	if (h->dirty_state || h->appended + 2 > HS_LOG_APPENDS) {
		wire_buf_reset(b);
		wire_put_u8(b, HS_REC_STATE);
		wire_put_u64(b, h->voted_view);
		wire_put_u64(b, h->exec_view);
		wire_put_u64(b, h->exec_depth);
		wire_put_bytes(b, h->exec_hash, BYZ_DIGEST_BYTES);
		wire_put_u32(b, (uint32_t)h->locked.len);
		wire_put_bytes(b, h->locked.p, h->locked.len);
		if ((rc = app_snapshot(h->app, b)))
			return rc;
		h->dirty_state = h->dirty_vote = h->dirty_lock = false;
		/* The COMMITs of what this STATE holds go after it. */
		if ((rc = hs_persist_rec(h, ob, true)))
			return rc;
		return hs_send_commits(h, ob);
	}
	if (h->dirty_lock) {
		wire_buf_reset(b);
		wire_put_u8(b, HS_REC_LOCK);
		wire_put_bytes(b, h->locked.p, h->locked.len);
		h->dirty_lock = false;
		if ((rc = hs_persist_rec(h, ob, false)))
			return rc;
	}
	if (h->dirty_vote) {
		wire_buf_reset(b);
		wire_put_u8(b, HS_REC_VOTE);
		wire_put_u64(b, h->voted_view);
		h->dirty_vote = false;
		if ((rc = hs_persist_rec(h, ob, false)))
			return rc;
	}
	return hs_send_commits(h, ob);
}

/* Take a lockedQC from a record if it is higher than the one we hold. */
static int hs_restore_lock(struct hs *h, const uint8_t *p, size_t len)
{
	struct hs_qc qc;
	int rc;

	if ((rc = hs_qc_decode(p, len, &qc)))
		return BYZ_EINVAL;
	if (qc.view < h->locked_view)
		return 0;
	if ((rc = byz_bytes_set(&h->locked, p, len)) ||
	    (rc = byz_bytes_set(&h->high, p, len)))
		return rc;
	h->locked_view = h->high_view = qc.view;
	memcpy(h->locked_hash, qc.hash, BYZ_DIGEST_BYTES);
	memcpy(h->high_hash, qc.hash, BYZ_DIGEST_BYTES);
	return 0;
}

static int hs_restore_state(struct hs *h, const uint8_t *r, size_t len)
{
	uint32_t llen;
	size_t off = 1 + 8 + 8 + 8 + BYZ_DIGEST_BYTES + 4;
	int rc;

	if (len < off)
		return BYZ_EINVAL;
	h->voted_view = hs_rd64(r + 1);
	h->exec_view = hs_rd64(r + 9);
	h->exec_depth = hs_rd64(r + 17);
	memcpy(h->exec_hash, r + 25, BYZ_DIGEST_BYTES);
	llen = (uint32_t)r[57] | (uint32_t)r[58] << 8 | (uint32_t)r[59] << 16 |
	       (uint32_t)r[60] << 24;
	if (llen > len - off)
		return BYZ_EINVAL;
	h->locked_view = 0;
	if ((rc = hs_restore_lock(h, r + off, llen)))
		return rc;
	return app_restore(h->app, r + off + llen, len - off - llen)
		   ? BYZ_EINVAL
		   : 0;
}

int hs_persist_restore(struct hs *h, const uint8_t *log, size_t len)
{
	const uint8_t *r;
	size_t pos = 0, rlen;
	int got = 0, rc = 0;

	while (!rc &&
	       (got = byz_persist_next(log, len, &pos, &r, &rlen)) == 1) {
		if (rlen < 1)
			return BYZ_EINVAL;
		switch (r[0]) {
		case HS_REC_STATE:
			rc = hs_restore_state(h, r, rlen);
			break;
		case HS_REC_VOTE:
			if (rlen != 9)
				return BYZ_EINVAL;
			/* A restarted replica will not vote again where it
			 * voted: the persisted vote is in force. */
			hs_rule(h, HS_MUT_VOTE_NOT_PERSISTED);
			if (hs_rd64(r + 1) > h->voted_view)
				h->voted_view = hs_rd64(r + 1);
			break;
		case HS_REC_LOCK:
			rc = hs_restore_lock(h, r + 1, rlen - 1);
			break;
		default:
			return BYZ_EINVAL;
		}
	}
	if (!rc && got < 0)
		rc = BYZ_EINVAL;
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

/* One record of the log for people (core.h, describe_record): 1 the state
 * (voted view, executed view, ...), 2 the view last voted in, 3 a lockedQC
 * (a QC's encoding starts with its view). */
void hs_describe_record(const uint8_t *rec, size_t len, char *buf, size_t cap)
{
	if (len >= 17 && rec[0] == 1)
		snprintf(buf, cap,
			 "state voted=v%" PRIu64 " executed=v%" PRIu64,
			 rec_u64(rec + 1), rec_u64(rec + 9));
	else if (len == 9 && rec[0] == 2)
		snprintf(buf, cap, "vote v=%" PRIu64, rec_u64(rec + 1));
	else if (len >= 9 && rec[0] == 3)
		snprintf(buf, cap, "lock v=%" PRIu64, rec_u64(rec + 1));
	else
		snprintf(buf, cap, "record %zu bytes", len);
}
