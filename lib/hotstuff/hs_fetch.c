/*
 * hs_fetch.c - catch-up: a replica that meets a block whose ancestors it
 * lacks (a late or lost proposal, a partition, a restart) asks a peer for
 * them by hash: FETCH(hash, count) is answered with BLOCKS, the block and
 * up to count-1 of its ancestors as the signed PROPOSAL frames they came
 * in. A fetched block is taken only if its hash is one we asked for, or
 * the parent of one just taken from the same answer, and its justify QC
 * checks out. At most HS_FETCH_SLOTS hashes are outstanding; each is asked
 * again of another peer after a timeout, and given up after a few rounds
 * of all peers (it is asked for again when it is needed again).
 */
#include "hs_core.h"

#include "err.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t hs_zero[BYZ_DIGEST_BYTES];

/* The next peer to ask, round-robin over the others. */
static uint32_t hs_fetch_peer(struct hs *h)
{
	uint32_t p =
	    (h->cfg.id + 1 + h->fetch_rr++ % (h->cfg.n - 1)) % h->cfg.n;

	return p;
}

static int hs_fetch_send(struct hs *h, struct byz_outbox *ob,
			 struct hs_fetch_slot *sl)
{
	size_t start;
	int rc;

	sl->asked_at = h->now;
	if ((rc = hs_enc_fetch(&ob->bytes, &start, h->cfg.id, sl->hash,
			       HS_FETCH_COUNT)) ||
	    (rc = byz_out_send(ob, sl->peer, start)))
		return rc;
	return byz_out_timer(ob, HS_TIMER_FETCH, h->cfg.timeout_us);
}

int hs_fetch_want(struct hs *h, struct byz_outbox *ob, const uint8_t *hash,
		  uint32_t peer)
{
	struct hs_fetch_slot *free_sl = NULL;

	if (h->cfg.n < 2 || memcmp(hash, hs_zero, BYZ_DIGEST_BYTES) == 0 ||
	    memcmp(hash, h->exec_hash, BYZ_DIGEST_BYTES) == 0 ||
	    hs_store_find(&h->store, hash))
		return 0;
	for (uint32_t i = 0; i < HS_FETCH_SLOTS; i++) {
		struct hs_fetch_slot *sl = &h->fetch[i];
		if (sl->used && !memcmp(sl->hash, hash, BYZ_DIGEST_BYTES))
			return 0;
		if (!sl->used && !free_sl)
			free_sl = sl;
	}
	if (!free_sl)
		return 0; /* asked again when needed again */
	free_sl->used = true;
	free_sl->tries = 0;
	memcpy(free_sl->hash, hash, BYZ_DIGEST_BYTES);
	free_sl->peer =
	    peer < h->cfg.n && peer != h->cfg.id ? peer : hs_fetch_peer(h);
	return hs_fetch_send(h, ob, free_sl);
}

/*
 * Answer a FETCH with the block and as many of its ancestors as asked,
 * newest first, in as many BLOCKS messages as it takes: each holds at most
 * HS_BLOCKS_BYTES of blocks (at least one block), and each next part
 * starts with the parent of the last block of the one before, which the
 * asker lacks and fetches if that part is lost (issue #10 item 2d: before,
 * the answer was cut at HS_BLOCKS_BYTES and the rest asked for again).
 */
int hs_on_fetch(struct hs *h, struct byz_outbox *ob, const struct wire_msg *m)
{
	const uint8_t *frames[HS_MAX_FETCH];
	size_t lens[HS_MAX_FETCH], bytes, start;
	const struct hs_block *b;
	uint32_t sent = 0;
	int rc;

	if (m->frame.sender == h->cfg.id)
		return 0;
	b = hs_store_find(&h->store, hs_of(m)->fetch.hash);
	if (!b)
		return byz_out_drop(ob, m, "fetch for a block we do not hold");
	while (b && sent < hs_of(m)->fetch.count) {
		struct hs_framev v = {frames, lens, 0};
		bytes = 0;
		while (
		    b && sent + v.count < hs_of(m)->fetch.count &&
		    (v.count == 0 || bytes + b->frame.len <= HS_BLOCKS_BYTES)) {
			frames[v.count] = b->frame.p;
			lens[v.count++] = b->frame.len;
			bytes += b->frame.len;
			b = hs_store_find(&h->store, b->parent);
		}
		sent += (uint32_t)v.count;
		if ((rc = hs_enc_blocks(&ob->bytes, &start, h->cfg.id, v)))
			return rc == BYZ_ETOOBIG
				   ? byz_out_drop(ob, m,
						  "block too big to "
						  "send")
				   : rc;
		if ((rc = byz_out_send(ob, m->frame.sender, start)))
			return rc;
	}
	return 0;
}

static int hs_view_cmp(const void *x, const void *y)
{
	const struct hs_block *const *a = x, *const *b = y;

	if ((*a)->view != (*b)->view)
		return (*a)->view < (*b)->view ? -1 : 1;
	return memcmp((*a)->hash, (*b)->hash, BYZ_DIGEST_BYTES);
}

/* Blocks arrived: run update (Alg. 4) again over the undecided blocks, in
 * view order, then execute what is decided. */
int hs_reupdate(struct hs *h, struct byz_outbox *ob)
{
	struct hs_block **v = malloc(h->store.cap * sizeof *v);
	uint32_t k = 0;
	int rc = 0;

	if (!v)
		return BYZ_ENOMEM;
	for (uint32_t i = 0; i < h->store.cap; i++)
		if (h->store.b[i].used && !h->store.b[i].committed &&
		    h->store.b[i].view > h->exec_view)
			v[k++] = &h->store.b[i];
	qsort(v, k, sizeof *v, hs_view_cmp);
	for (uint32_t i = 0; i < k && !rc; i++)
		rc = hs_update(h, ob, v[i]);
	free(v);
	if (!rc && h->high_view) {
		struct hs_qc qc;
		rc = hs_qc_decode(h->high.p, h->high.len, &qc);
		if (!rc)
			rc = hs_update_qc(h, ob, &qc);
	}
	return rc ? rc : hs_try_execute(h, ob);
}

/* The slot waiting for hash, or NULL. */
static struct hs_fetch_slot *hs_fetch_slot_of(struct hs *h, const uint8_t *hash)
{
	for (uint32_t i = 0; i < HS_FETCH_SLOTS; i++)
		if (h->fetch[i].used &&
		    !memcmp(h->fetch[i].hash, hash, BYZ_DIGEST_BYTES))
			return &h->fetch[i];
	return NULL;
}

int hs_on_blocks(struct hs *h, struct byz_outbox *ob, const struct wire_msg *m)
{
	uint8_t hash[BYZ_DIGEST_BYTES], expect[BYZ_DIGEST_BYTES];
	bool chained = false;
	struct wire_msg p;
	size_t pos = 0;
	int rc;

	while (wire_frames_next(&hs_of(m)->blocks.blocks, &pos, &p) == 1) {
		const struct hs_proposal *pr = &hs_of(&p)->prop;
		struct hs_fetch_slot *sl;
		struct hs_block *b;
		const char *why = NULL;

		hs_block_hash(pr, hash);
		sl = hs_fetch_slot_of(h, hash);
		if (!sl &&
		    !(chained && !memcmp(hash, expect, BYZ_DIGEST_BYTES))) {
			if (!chained && hs_store_find(&h->store, hash))
				return 0; /* an answer to a retry: have it */
			if (!chained)
				return byz_out_drop(ob, m,
						    "a block we did not "
						    "ask for");
			break;
		}
		if (p.frame.sender != hs_leader(h, pr->view))
			why = "a block not from its view's leader";
		else if (pr->view <= pr->justify.view)
			why = "a block whose view is not above its justify";
		else if (!(why = hs_qc_check(h, &pr->justify)) && pr->tc.count)
			/* Every certificate a block nests is checked, its
			 * TC too (issue #10 item 2c), as for a proposal. */
			why = hs_tc_check(h, &pr->tc, pr->view - 1);
		if (why)
			return byz_out_drop(ob, m, why);
		if (sl)
			sl->used = false;
		if (pr->view <= h->exec_view)
			break;
		if (!hs_store_find(&h->store, hash)) {
			rc = hs_store_add(h, hash, pr->view, pr->justify.view,
					  pr->justify.hash, p.frame.bytes,
					  p.frame.len, &b);
			if (rc == BYZ_ELIMIT)
				return byz_out_drop(ob, m, "block store full");
			if (rc)
				return rc;
		}
		if ((rc = hs_high_qc(h, &pr->justify)))
			return rc;
		memcpy(expect, pr->justify.hash, BYZ_DIGEST_BYTES);
		chained = true;
	}
	/* Even if none was new: it may have come directly meanwhile. */
	if ((rc = hs_reupdate(h, ob)))
		return rc;
	return hs_vote_deferred(h, ob);
}

/* Ask again, of another peer, what has not come; give up after a few
 * rounds of all peers; and look again for what the decided prefix lacks. */
int hs_on_fetch_timer(struct hs *h, struct byz_outbox *ob)
{
	bool pending = false;
	int rc;

	for (uint32_t i = 0; i < HS_FETCH_SLOTS; i++) {
		struct hs_fetch_slot *sl = &h->fetch[i];
		if (!sl->used)
			continue;
		if (hs_store_find(&h->store, sl->hash)) {
			sl->used = false;
			continue;
		}
		if (h->now - sl->asked_at < h->cfg.timeout_us) {
			pending = true;
			continue;
		}
		if (++sl->tries > 3 * h->cfg.n) {
			sl->used = false;
			continue;
		}
		sl->peer = hs_fetch_peer(h);
		if ((rc = hs_fetch_send(h, ob, sl)))
			return rc;
		pending = true;
	}
	if ((rc = hs_try_execute(h, ob)))
		return rc;
	return pending ? byz_out_timer(ob, HS_TIMER_FETCH, h->cfg.timeout_us)
		       : 0;
}
