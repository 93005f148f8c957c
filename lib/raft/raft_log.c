/*
 * raft_log.c - the log in memory, the write-ahead log, restart and
 * snapshots.
 *
 * Figure 2: "Persistent state on all servers (updated on stable storage
 * before responding to RPCs): currentTerm, votedFor, log[]". Each change
 * is appended to the write-ahead log (core.h) as a PERSIST the moment it
 * is made, and every message and COMMIT of the step is held back until
 * the end of the step (raft_core.c), so the driver makes the change
 * durable before anything that depends on it goes out: a vote after
 * votedFor, an AppendEntries success after the entries, a leader's
 * count of its own entries (they are durable before any message that
 * could let a commit out). Records (integers little-endian):
 *
 *   'T' term u64, votedFor u32 (0xffffffff: none)
 *   'E' first index u64, count u32, count x (u32 length, entry): the log
 *       from that index on is these entries (a conflicting suffix after
 *       them is gone)
 *   'C' commitIndex u64: entries up to it were committed and applied
 *       (COMMIT outputs follow this record, so a restarted replica
 *       replays them silently instead of committing them twice)
 *   'S' (replaces the log) term u64, votedFor u32, snapshot index u64 and
 *       term u64, commitIndex u64, snapshot length u32 and bytes
 *       (lib/app.h), count u32 and the entries after the snapshot as in
 *       'E'
 *
 * §7: every checkpoint_interval applied entries the application is
 * snapshotted, the log prefix it covers is discarded and the write-ahead
 * log replaced by one 'S' record; the same when it has grown past
 * RAFT_WAL_RECORDS records (elections alone append 'T' records). So the
 * log holds at most window + checkpoint_interval + 2 entries and the
 * write-ahead log a bounded number of records.
 */
#include "raft_core.h"

#include "err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAFT_WAL_RECORDS(t) (4u * (t)->cap + 64u)

int raft_log_init(struct raft *t)
{
	struct wire_buf b;
	int rc;

	/* Uncommitted entries are at most window at a leader, plus the
	 * no-op of a new term (§8) and one to spare; applied ones not yet
	 * in a snapshot fewer than checkpoint_interval. */
	t->cap = t->cfg.window + t->cfg.checkpoint_interval + 2;
	if (!(t->ring = calloc(t->cap, sizeof *t->ring)))
		return BYZ_ENOMEM;
	wire_buf_init(&b, WIRE_MAX_FRAME * 4u);
	rc = app_snapshot(t->app, &b);
	if (!rc)
		rc = byz_bytes_set(&t->snap, b.data, b.len);
	wire_buf_free(&b);
	return rc;
}

void raft_log_free(struct raft *t)
{
	if (t->ring)
		for (uint64_t i = t->snap_index + 1; i <= t->last; i++)
			byz_bytes_free(&t->ring[i % t->cap].b);
	free(t->ring);
	t->ring = NULL;
	byz_bytes_free(&t->snap);
}

uint64_t raft_term_at(const struct raft *t, uint64_t i)
{
	if (i == t->snap_index)
		return t->snap_term;
	if (i < t->snap_index || i > t->last)
		return 0;
	return t->ring[i % t->cap].term;
}

const struct raft_ent *raft_ent_at(const struct raft *t, uint64_t i)
{
	if (i <= t->snap_index || i > t->last)
		return NULL;
	return &t->ring[i % t->cap];
}

bool raft_log_room(const struct raft *t)
{
	return t->last - t->snap_index < t->cap;
}

int raft_log_append(struct raft *t, uint64_t term, const uint8_t *bytes,
		    size_t len)
{
	struct raft_ent *e;
	int rc;

	if (!raft_log_room(t))
		return BYZ_ELIMIT;
	e = &t->ring[(t->last + 1) % t->cap];
	if ((rc = byz_bytes_set(&e->b, bytes, len)))
		return rc;
	e->term = term;
	t->last++;
	return 0;
}

void raft_log_truncate(struct raft *t, uint64_t from)
{
	if (from <= t->snap_index)
		from = t->snap_index + 1;
	for (uint64_t i = from; i <= t->last; i++)
		byz_bytes_free(&t->ring[i % t->cap].b);
	if (from <= t->last)
		t->last = from - 1;
}

/* ---- records ------------------------------------------------------------ */

static int raft_out(struct raft *t, struct byz_outbox *ob, bool replace)
{
	struct wire_buf *b = &t->scratch;

	if (b->err)
		return b->err;
	t->wal_records = replace ? 1 : t->wal_records + 1;
	return byz_out_persist(ob, ++t->token, replace, b->data, b->len);
}

int raft_persist_term(struct raft *t, struct byz_outbox *ob)
{
	struct wire_buf *b = &t->scratch;

	wire_buf_reset(b);
	wire_put_u8(b, 'T');
	wire_put_u64(b, t->term);
	wire_put_u32(b, t->voted_for);
	return raft_out(t, ob, false);
}

static void put_entries(struct raft *t, struct wire_buf *b, uint64_t from)
{
	wire_put_u32(b, (uint32_t)(t->last + 1 - from));
	for (uint64_t i = from; i <= t->last; i++) {
		const struct raft_ent *e = &t->ring[i % t->cap];
		wire_put_u32(b, (uint32_t)e->b.len);
		wire_put_bytes(b, e->b.p, e->b.len);
	}
}

int raft_persist_entries(struct raft *t, struct byz_outbox *ob, uint64_t from)
{
	struct wire_buf *b = &t->scratch;

	if (from <= t->snap_index || from > t->last + 1)
		return BYZ_EINVAL;
	wire_buf_reset(b);
	wire_put_u8(b, 'E');
	wire_put_u64(b, from);
	put_entries(t, b, from);
	return raft_out(t, ob, false);
}

int raft_persist_commit(struct raft *t, struct byz_outbox *ob)
{
	struct wire_buf *b = &t->scratch;

	wire_buf_reset(b);
	wire_put_u8(b, 'C');
	wire_put_u64(b, t->commit);
	return raft_out(t, ob, false);
}

int raft_persist_all(struct raft *t, struct byz_outbox *ob)
{
	struct wire_buf *b = &t->scratch;

	wire_buf_reset(b);
	wire_put_u8(b, 'S');
	wire_put_u64(b, t->term);
	wire_put_u32(b, t->voted_for);
	wire_put_u64(b, t->snap_index);
	wire_put_u64(b, t->snap_term);
	wire_put_u64(b, t->commit);
	wire_put_u32(b, (uint32_t)t->snap.len);
	wire_put_bytes(b, t->snap.p, t->snap.len);
	put_entries(t, b, t->snap_index + 1);
	return raft_out(t, ob, true);
}

int raft_maybe_snapshot(struct raft *t, struct byz_outbox *ob)
{
	struct wire_buf *b = &t->scratch;
	uint64_t at = t->commit;
	int rc;

	if (at - t->snap_index < t->cfg.checkpoint_interval) {
		if (t->wal_records > RAFT_WAL_RECORDS(t))
			return raft_persist_all(t, ob);
		return 0;
	}
	wire_buf_reset(b);
	if ((rc = app_snapshot(t->app, b)) ||
	    (rc = byz_bytes_set(&t->snap, b->data, b->len)))
		return rc;
	t->snap_term = raft_term_at(t, at);
	for (uint64_t i = t->snap_index + 1; i <= at; i++)
		byz_bytes_free(&t->ring[i % t->cap].b);
	t->snap_index = at;
	if ((rc = byz_out_note(ob, "snapshot at index %" PRIu64 " (%zu bytes)",
			       at, t->snap.len)))
		return rc;
	return raft_persist_all(t, ob);
}

/* ---- restart ------------------------------------------------------------ */

/* Entries of a record: count u32, then (u32 length, entry) each; the log
 * from `from` on becomes them. */
static int rd_entries(struct raft *t, struct wire_rd *r, uint64_t from)
{
	uint32_t count;
	int rc;

	if ((rc = wire_rd_u32(r, &count)))
		return rc;
	if (from == 0 || from > t->last + 1)
		return BYZ_EFIELD; /* a gap */
	raft_log_truncate(t, from);
	for (uint32_t k = 0; k < count; k++) {
		uint64_t i = from + k;
		struct raft_entry e;
		const uint8_t *p;
		uint32_t len;
		if ((rc = wire_rd_u32(r, &len)))
			return rc;
		if (len > WIRE_MAX_FRAME)
			return BYZ_ETOOBIG;
		if ((rc = wire_rd_bytes(r, len, &p)) ||
		    (rc = raft_entry_decode(p, len, &e)))
			return rc;
		if (i <= t->snap_index)
			continue; /* in the snapshot already */
		if (!raft_log_room(t))
			return BYZ_ETOOBIG;
		if ((rc = raft_log_append(t, e.term, p, len)))
			return rc;
	}
	return 0;
}

static int rd_record(struct raft *t, const uint8_t *rec, size_t len,
		     uint64_t *commit)
{
	struct wire_rd r = {rec, len};
	uint8_t tag;
	uint64_t from;
	int rc;

	if ((rc = wire_rd_u8(&r, &tag)))
		return rc;
	switch (tag) {
	case 'T':
		if ((rc = wire_rd_u64(&r, &t->term)) ||
		    (rc = wire_rd_u32(&r, &t->voted_for)))
			return rc;
		break;
	case 'E':
		if ((rc = wire_rd_u64(&r, &from)) ||
		    (rc = rd_entries(t, &r, from)))
			return rc;
		break;
	case 'C':
		if ((rc = wire_rd_u64(&r, &from)))
			return rc;
		if (from > *commit)
			*commit = from;
		break;
	case 'S': {
		uint64_t si, st, c;
		uint32_t sl;
		const uint8_t *sp;
		if ((rc = wire_rd_u64(&r, &t->term)) ||
		    (rc = wire_rd_u32(&r, &t->voted_for)) ||
		    (rc = wire_rd_u64(&r, &si)) ||
		    (rc = wire_rd_u64(&r, &st)) || (rc = wire_rd_u64(&r, &c)) ||
		    (rc = wire_rd_u32(&r, &sl)))
			return rc;
		if (sl > WIRE_MAX_FRAME * 4u)
			return BYZ_ETOOBIG;
		if ((rc = wire_rd_bytes(&r, sl, &sp)))
			return rc;
		if ((si == 0) != (st == 0) || c < si)
			return BYZ_EFIELD;
		raft_log_truncate(t, t->snap_index + 1);
		t->snap_index = t->last = si;
		t->snap_term = st;
		if ((rc = app_restore(t->app, sp, sl)) ||
		    (rc = byz_bytes_set(&t->snap, sp, sl)))
			return rc;
		*commit = c;
		t->commit = si;
		if ((rc = rd_entries(t, &r, si + 1)))
			return rc;
		break;
	}
	default:
		return BYZ_EFIELD;
	}
	return wire_rd_end(&r);
}

int raft_restore(struct raft *t, const uint8_t *log, size_t len)
{
	const uint8_t *rec;
	size_t pos = 0, l;
	uint64_t commit = 0;
	uint32_t records = 0;
	int rc;

	while ((rc = byz_persist_next(log, len, &pos, &rec, &l)) == 1) {
		if ((rc = rd_record(t, rec, l, &commit)))
			return rc;
		records++;
	}
	if (rc < 0)
		return rc;
	t->wal_records = records;
	if (t->voted_for != RAFT_NOBODY && t->voted_for >= t->cfg.n)
		return BYZ_EFIELD;
	/* Committed entries are never lost (they were persisted before the
	 * record that says so): replay them silently. */
	if (commit > t->last)
		return BYZ_EFIELD;
	return raft_apply(t, NULL, commit, false);
}

/* "term t=3 vote=1", "entries from=5 n=2", "commit c=7",
 * "snapshot t=3 vote=- at=20/2 commit=20 app=120 n=3". */
void raft_describe_record(const uint8_t *rec, size_t len, char *buf, size_t cap)
{
	struct wire_rd r = {rec, len};
	uint64_t a = 0, b = 0, c = 0, d = 0;
	uint32_t v = 0, k = 0;
	uint8_t tag = 0;
	char vote[16];

	if (!cap)
		return;
	if (wire_rd_u8(&r, &tag))
		tag = 0;
	switch (tag) {
	case 'T':
		if (wire_rd_u64(&r, &a) || wire_rd_u32(&r, &v))
			break;
		if (v == RAFT_NOBODY)
			snprintf(vote, sizeof vote, "-");
		else
			snprintf(vote, sizeof vote, "%" PRIu32, v);
		snprintf(buf, cap, "term t=%" PRIu64 " vote=%s", a, vote);
		return;
	case 'E':
		if (wire_rd_u64(&r, &a) || wire_rd_u32(&r, &k))
			break;
		snprintf(buf, cap, "entries from=%" PRIu64 " n=%" PRIu32, a, k);
		return;
	case 'C':
		if (wire_rd_u64(&r, &a))
			break;
		snprintf(buf, cap, "commit c=%" PRIu64, a);
		return;
	case 'S': {
		uint32_t sl;
		const uint8_t *sp;
		if (wire_rd_u64(&r, &a) || wire_rd_u32(&r, &v) ||
		    wire_rd_u64(&r, &b) || wire_rd_u64(&r, &c) ||
		    wire_rd_u64(&r, &d) || wire_rd_u32(&r, &sl) ||
		    wire_rd_bytes(&r, sl, &sp) || wire_rd_u32(&r, &k))
			break;
		if (v == RAFT_NOBODY)
			snprintf(vote, sizeof vote, "-");
		else
			snprintf(vote, sizeof vote, "%" PRIu32, v);
		snprintf(buf, cap,
			 "snapshot t=%" PRIu64 " vote=%s at=%" PRIu64
			 "/%" PRIu64 " commit=%" PRIu64 " app=%" PRIu32
			 " n=%" PRIu32,
			 a, vote, b, c, d, sl, k);
		return;
	}
	}
	snprintf(buf, cap, "??? (%zu bytes)", len);
}
