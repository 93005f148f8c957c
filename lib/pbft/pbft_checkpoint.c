/*
 * pbft_checkpoint.c - checkpoints, watermarks and garbage collection
 * (OSDI'99 §4.3), and state transfer: a replica that fell behind fetches
 * the state at a stable checkpoint and the committed certificates after
 * it (TOCS'02 §6.2 describes the paper's hierarchical version; this one
 * moves the whole, small, key-value state in one message).
 */
#include "pbft.h"

#include "err.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void pbft_genesis_digest(struct pbft *p, uint8_t out[BYZ_DIGEST_BYTES])
{
	struct app *fresh = NULL;

	/* The state before any request: what a stable checkpoint at 0 is. */
	if (app_new(&p->cfg.app, &fresh) == 0) {
		app_state_digest(fresh, out);
		app_destroy(&fresh);
	} else {
		memset(out, 0, BYZ_DIGEST_BYTES);
	}
}

/*
 * A checkpoint proof (§4.3): 2f+1 CHECKPOINT messages from distinct
 * replicas for (seq, digest). The stable checkpoint at 0 needs none: its
 * digest is the initial state's. NULL if it holds, else why not.
 */
const char *pbft_check_ckpt_proof(const struct pbft *p, uint64_t seq,
				  const uint8_t digest[BYZ_DIGEST_BYTES],
				  const struct wire_frames *proof)
{
	bool seen[BYZ_MAX_N] = {false};
	uint32_t count = 0;
	struct wire_msg m;
	size_t pos = 0;

	if (seq == 0) {
		uint8_t g[BYZ_DIGEST_BYTES];
		pbft_genesis_digest((struct pbft *)p, g);
		if (proof->count || memcmp(g, digest, BYZ_DIGEST_BYTES))
			return "a checkpoint at 0 that is not the initial "
			       "state";
		return NULL;
	}
	if (seq % p->cfg.checkpoint_interval)
		return "a checkpoint at a number that is not one";
	while (wire_frames_next(proof, &pos, &m) == 1) {
		uint32_t s = m.frame.sender;
		if (s < p->cfg.n && seen[s])
			pbft_rule(p, PBFT_MUT_CERT_SIGNERS);
		if (s >= p->cfg.n ||
		    (seen[s] && !pbft_mut(p, PBFT_MUT_CERT_SIGNERS)))
			return "a checkpoint proof with a repeated or unknown "
			       "signer";
		if (pbft_of(&m)->ckpt.seq != seq ||
		    memcmp(pbft_of(&m)->ckpt.digest, digest, BYZ_DIGEST_BYTES))
			return "a checkpoint proof for another state";
		seen[s] = true;
		count++;
	}
	if (count > p->cfg.f && count < p->quorum)
		pbft_rule(p, PBFT_MUT_CKPT_QUORUM);
	return count >= pbft_ckpt_quorum(p)
		   ? NULL
		   : "a checkpoint proof with too few signers";
}

/* The own checkpoint at seq, or NULL. */
static struct pbft_own_ckpt *own_at(struct pbft *p, uint64_t seq)
{
	for (uint32_t i = 0; i < p->nown; i++)
		if (p->own[i].seq == seq)
			return &p->own[i];
	return NULL;
}

/* Drop everything at or below the stable checkpoint (§4.3). */
static void garbage_collect(struct pbft *p)
{
	for (uint32_t i = 0; i < p->cfg.window; i++)
		if (p->log[i].seq && p->log[i].seq <= p->low)
			pbft_entry_clear(p, &p->log[i]);
	for (uint32_t i = 0; i < p->nown; i++)
		if (p->own[i].seq && p->own[i].seq <= p->low) {
			free(p->own[i].snapshot);
			memset(&p->own[i], 0, sizeof p->own[i]);
		}
	for (uint32_t s = 0; s < p->cfg.n; s++)
		for (int k = 0; k < PBFT_CKPT_KEEP; k++)
			if (p->ckpt[s][k].seq && p->ckpt[s][k].seq < p->low) {
				pbft_blob_free(&p->ckpt[s][k].frame);
				memset(&p->ckpt[s][k], 0, sizeof p->ckpt[s][k]);
			}
}

/*
 * Make (seq, digest) the stable checkpoint with this proof and snapshot:
 * the low watermark moves to seq and the log below it is discarded; the
 * persisted log is replaced by the new base.
 */
int pbft_set_stable(struct pbft *p, uint64_t seq,
		    const uint8_t digest[BYZ_DIGEST_BYTES],
		    const struct wire_frames *proof, const uint8_t *snapshot,
		    size_t snapshot_len, struct byz_outbox *ob)
{
	struct wire_msg m;
	size_t pos = 0;
	uint8_t *snap;

	if (seq <= p->low)
		return 0;
	snap = malloc(snapshot_len ? snapshot_len : 1);
	if (!snap)
		return BYZ_ENOMEM;
	memcpy(snap, snapshot, snapshot_len);
	free(p->stable_snapshot);
	p->stable_snapshot = snap;
	p->stable_snapshot_len = snapshot_len;
	for (uint32_t i = 0; i < p->cfg.n; i++)
		pbft_blob_free(&p->stable_proof[i]);
	while (wire_frames_next(proof, &pos, &m) == 1)
		if (m.frame.sender < p->cfg.n &&
		    !p->stable_proof[m.frame.sender])
			p->stable_proof[m.frame.sender] =
			    pbft_blob_new(m.frame.bytes, m.frame.len);
	memcpy(p->stable_digest, digest, BYZ_DIGEST_BYTES);
	p->low = seq;
	if (p->next_seq <= seq)
		p->next_seq = seq + 1;
	garbage_collect(p);
	(void)ob;
	p->need_base = true; /* written at the end of the step */
	return 0;
}

/* The CHECKPOINT frames held for (seq, digest), as a proof list in
 * p->scratch; returns their number. */
static uint32_t gather_proof(struct pbft *p, uint64_t seq,
			     const uint8_t digest[BYZ_DIGEST_BYTES],
			     struct wire_frames *out)
{
	uint32_t count = 0;

	wire_buf_reset(&p->scratch);
	wire_put_u16(&p->scratch, 0);
	for (uint32_t s = 0; s < p->cfg.n; s++)
		for (int k = 0; k < PBFT_CKPT_KEEP; k++) {
			const struct pbft_ckpt_msg *c = &p->ckpt[s][k];
			if (c->seq == seq && c->frame &&
			    !memcmp(c->digest, digest, BYZ_DIGEST_BYTES)) {
				wire_put_frame(&p->scratch, c->frame->data,
					       c->frame->len);
				count++;
				break;
			}
		}
	if (p->scratch.err)
		return 0;
	p->scratch.data[0] = (uint8_t)count;
	p->scratch.data[1] = (uint8_t)(count >> 8);
	out->p = p->scratch.data + 2;
	out->len = p->scratch.len - 2;
	out->count = (uint16_t)count;
	return count;
}

/* Whether (seq, digest) now has 2f+1 checkpoint messages; if our own
 * checkpoint agrees, it becomes stable. */
static int check_stable(struct pbft *p, uint64_t seq,
			const uint8_t digest[BYZ_DIGEST_BYTES],
			struct byz_outbox *ob)
{
	struct pbft_own_ckpt *own;
	struct wire_frames proof;
	uint8_t *snap;
	size_t snap_len;
	uint32_t have;
	int rc;

	if (seq <= p->low)
		return 0;
	have = gather_proof(p, seq, digest, &proof);
	if (have > p->cfg.f && have < p->quorum)
		pbft_rule(p, PBFT_MUT_CKPT_QUORUM);
	if (have < pbft_ckpt_quorum(p))
		return 0;
	own = own_at(p, seq);
	if (!own)
		return 0; /* not there yet: the status timer fetches the state
			   */
	if (memcmp(own->digest, digest, BYZ_DIGEST_BYTES))
		return pbft_note(p, ob,
				 "SAFETY: 2f+1 replicas agree on a state"
				 " at n%" PRIu64 " that differs from ours",
				 seq);
	/* set_stable frees own checkpoints at or below seq: keep its bytes. */
	snap = own->snapshot;
	snap_len = own->snapshot_len;
	own->snapshot = NULL;
	rc = pbft_set_stable(p, seq, digest, &proof, snap, snap_len, ob);
	free(snap);
	if (rc)
		return rc;
	return pbft_try_propose(p, ob);
}

/* §4.3: after executing the request at a multiple of K, record the state
 * and multicast CHECKPOINT. */
int pbft_take_checkpoint(struct pbft *p, struct byz_outbox *ob)
{
	struct pbft_own_ckpt *slot = NULL;
	size_t start;
	int rc;

	for (uint32_t i = 0; i < p->nown && !slot; i++)
		if (!p->own[i].seq || p->own[i].seq <= p->low)
			slot = &p->own[i];
	if (!slot) {
		/* All taken (cannot happen within the window): reuse the
		 * oldest. */
		slot = &p->own[0];
		for (uint32_t i = 1; i < p->nown; i++)
			if (p->own[i].seq < slot->seq)
				slot = &p->own[i];
	}
	free(slot->snapshot);
	memset(slot, 0, sizeof *slot);
	wire_buf_reset(&p->scratch);
	if ((rc = app_snapshot(p->app, &p->scratch)))
		return rc;
	slot->snapshot = malloc(p->scratch.len);
	if (!slot->snapshot)
		return BYZ_ENOMEM;
	memcpy(slot->snapshot, p->scratch.data, p->scratch.len);
	slot->snapshot_len = p->scratch.len;
	slot->seq = p->last_exec;
	app_state_digest(p->app, slot->digest);
	if (p->replaying)
		return 0;
	rc = pbft_enc_checkpoint(&ob->bytes, &start, p->cfg.id, slot->seq,
				 slot->digest);
	return rc ? rc : pbft_send_all(p, ob, start);
}

int pbft_on_checkpoint(struct pbft *p, const struct wire_msg *m,
		       struct byz_outbox *ob)
{
	const struct pbft_checkpoint *c = &pbft_of(m)->ckpt;
	uint32_t s = m->frame.sender;
	struct pbft_ckpt_msg *slot = NULL;
	int rc;

	if (c->seq <= p->low || c->seq % p->cfg.checkpoint_interval)
		return 0; /* old, or not a checkpoint number: nothing to learn
			   */
	for (int k = 0; k < PBFT_CKPT_KEEP; k++)
		if (p->ckpt[s][k].seq == c->seq)
			return 0; /* one per replica and number */
	/* Keep each replica's newest few: its memory cannot grow. */
	for (int k = 0; k < PBFT_CKPT_KEEP; k++)
		if (!slot || p->ckpt[s][k].seq < slot->seq)
			slot = &p->ckpt[s][k];
	if ((rc = pbft_persist_msg(p, m, ob)))
		return rc;
	pbft_blob_free(&slot->frame);
	slot->seq = c->seq;
	memcpy(slot->digest, c->digest, BYZ_DIGEST_BYTES);
	slot->frame = pbft_blob_new(m->frame.bytes, m->frame.len);
	if (!slot->frame)
		return BYZ_ENOMEM;
	return check_stable(p, c->seq, c->digest, ob);
}

/*
 * The newest checkpoint above last_exec that 2f+1 replicas vouch for, if
 * any: proof that we are behind and where to fetch the state from.
 */
static uint64_t stable_target(struct pbft *p, uint32_t *signer)
{
	uint64_t best = 0;

	for (uint32_t s = 0; s < p->cfg.n; s++)
		for (int k = 0; k < PBFT_CKPT_KEEP; k++) {
			const struct pbft_ckpt_msg *c = &p->ckpt[s][k];
			struct wire_frames proof;
			if (c->seq > p->last_exec && c->seq > best &&
			    gather_proof(p, c->seq, c->digest, &proof) >=
				pbft_ckpt_quorum(p)) {
				best = c->seq;
				*signer = s;
			}
		}
	return best;
}

static int send_fetch(struct pbft *p, struct byz_outbox *ob, uint32_t to,
		      uint64_t from)
{
	size_t start;
	int rc;

	if (to == p->cfg.id)
		to = (to + 1) % p->cfg.n;
	rc =
	    pbft_enc_fetch(&ob->bytes, &start, p->cfg.id, PBFT_FETCH_LOG, from);
	return rc ? rc : byz_out_send(ob, to, start);
}

/*
 * A normal-case message kept for a view we have not entered
 * (pbft_keep_early) names a sequence number above ours: the others are
 * ahead of us. A replica that restarts from its log in an old view after
 * the others changed view and went idle holds only such messages; without
 * counting them it would never ask for what it missed.
 */
static bool early_work(struct pbft *p)
{
	for (uint32_t s = 0; s < p->cfg.n; s++)
		for (uint32_t k = 0; k < PBFT_EARLY_PER_SENDER; k++) {
			const struct pbft_blob *b = p->early[s][k];
			struct wire_msg m;
			uint64_t seq;
			if (!b || wire_decode(b->data, b->len, &m))
				continue;
			seq = m.frame.type == PBFT_PREPREPARE
				  ? pbft_of(&m)->pp.seq
				  : pbft_of(&m)->vote.seq;
			if (seq > p->last_exec)
				return true;
		}
	return false;
}

/*
 * The status timer: if a stable checkpoint above us is known, or nothing
 * executed since the last tick while there is work we know of, ask a peer
 * (round-robin, so one faulty peer cannot starve us) for what we lack.
 * Changing view counts as work, and so do messages kept for a later view
 * (early_work): a replica that lost the NEW-VIEW and
 * moved on alone (fewer than f+1, so nobody follows) drops the others'
 * messages of the view they are in; if they then commit the last requests
 * and go idle, nothing else would tell it what they decided.
 */
int pbft_status_tick(struct pbft *p, struct byz_outbox *ob)
{
	uint32_t signer = p->fetch_peer;
	bool stuck = p->last_exec == p->status_exec;
	bool work = p->npending > 0 || p->in_vc;
	int rc = 0;

	if (p->replaying)
		return 0;
	/* Still changing view: say so again (lost view-changes must not stall
	 * it; OSDI'99 retransmits them too). The driver signs the copy. */
	if (p->in_vc && p->vc[p->cfg.id] && p->vc_view[p->cfg.id] == p->view &&
	    (rc = pbft_resend(p, ob, p->vc[p->cfg.id], UINT32_MAX)))
		return rc;
	/* A NEW-VIEW still waiting for view-changes: ask for them again. */
	if ((rc = pbft_nv_wait_tick(p, ob)))
		return rc;
	/* Work we know of: a request, or a sequence number above ours that
	 * someone pre-prepared, prepared or committed (the pre-prepare may be
	 * the message we lost, and once the others are done and idle nothing
	 * else would tell us). */
	for (uint32_t i = 0; i < p->cfg.window && !work; i++) {
		const struct pbft_entry *e = &p->log[i];
		if (e->seq <= p->last_exec)
			continue;
		work = e->pp || e->committed;
		for (uint32_t r = 0; r < p->cfg.n && !work; r++)
			work = e->prep[r] || e->commit[r];
	}
	if (!work)
		work = early_work(p);
	/* Ask the peers in turn: the one asked last may be down or faulty.
	 * 2f+1 replicas signed a stable checkpoint above us, so f+1 honest
	 * ones hold it and turns reach one of them. */
	if (p->last_exec != p->recover_exec)
		p->recovering = false;
	if (stable_target(p, &signer) || (stuck && work)) {
		rc = send_fetch(p, ob, p->fetch_peer, p->last_exec + 1);
		p->fetch_peer = (p->fetch_peer + 1) % p->cfg.n;
		if (p->fetch_peer == p->cfg.id)
			p->fetch_peer = (p->fetch_peer + 1) % p->cfg.n;
	} else if (p->recovering && !p->recover_skip--) {
		/* Restarted and knowing of no work: ask everyone for what
		 * lies above us (a peer with nothing above does not answer),
		 * less and less often, until something executes. */
		size_t start;
		rc = pbft_enc_fetch(&ob->bytes, &start, p->cfg.id,
				    PBFT_FETCH_LOG, p->last_exec + 1);
		if (!rc)
			rc = byz_out_broadcast(ob, start);
		p->recover_skip = (1u << p->recover_beacons) - 1;
		if (p->recover_beacons < 4)
			p->recover_beacons++;
	}
	p->status_exec = p->last_exec;
	return rc;
}

/* Send `to` the stable checkpoint's state and proof. */
static int send_state(struct pbft *p, struct byz_outbox *ob, uint32_t to)
{
	const uint8_t *frames[BYZ_MAX_N];
	size_t lens[BYZ_MAX_N], start;
	uint32_t count = 0;
	int rc;

	for (uint32_t s = 0; s < p->cfg.n; s++)
		if (p->stable_proof[s]) {
			frames[count] = p->stable_proof[s]->data;
			lens[count++] = p->stable_proof[s]->len;
		}
	rc = pbft_enc_state(&ob->bytes, &start, p->cfg.id, p->low,
			    p->stable_digest,
			    (struct pbft_framev){frames, lens, count},
			    p->stable_snapshot, p->stable_snapshot_len);
	return rc ? rc : byz_out_send(ob, to, start);
}

/* Send `to` the committed certificate of entry e. */
static int send_cert(struct pbft *p, struct byz_outbox *ob, uint32_t to,
		     const struct pbft_entry *e)
{
	const uint8_t *frames[BYZ_MAX_N];
	size_t lens[BYZ_MAX_N], start;
	uint32_t count = 0;
	int rc;

	for (uint32_t s = 0; s < p->cfg.n; s++)
		if (e->cc_commit[s]) {
			frames[count] = e->cc_commit[s]->data;
			lens[count++] = e->cc_commit[s]->len;
		}
	rc = pbft_enc_cert(&ob->bytes, &start, p->cfg.id, e->cc_pp->data,
			   e->cc_pp->len,
			   (struct pbft_framev){frames, lens, count});
	return rc ? rc : byz_out_send(ob, to, start);
}

/*
 * A peer asks for what it lacks from `seq` on: the state at our stable
 * checkpoint if it is behind that, then the committed certificates we hold
 * above it. At most one answer per peer per half timeout, so a faulty peer
 * cannot turn us into an amplifier.
 */
int pbft_on_fetch(struct pbft *p, const struct wire_msg *m,
		  struct byz_outbox *ob)
{
	uint32_t s = m->frame.sender;
	uint64_t from = pbft_of(m)->fetch.seq;
	int rc = 0;

	if (p->replaying || s == p->cfg.id)
		return 0;
	if (p->fetch_served[s] &&
	    p->now - p->fetch_served[s] < p->cfg.timeout_us / 2)
		return 0;
	p->fetch_served[s] = p->now;
	if (pbft_of(m)->fetch.what == PBFT_FETCH_VC)
		return pbft_serve_vcs(p, ob, s, from);
	if (from <= p->low && p->low > 0) {
		if ((rc = send_state(p, ob, s)))
			return rc;
		from = p->low + 1;
	}
	if (pbft_of(m)->fetch.what == PBFT_FETCH_STATE)
		return 0;
	for (uint64_t seq = from; seq <= p->last_exec && !rc; seq++) {
		const struct pbft_entry *e = pbft_entry(p, seq);
		if (e && e->committed && e->cc_pp)
			rc = send_cert(p, ob, s, e);
	}
	return rc;
}

/*
 * The state at a stable checkpoint, from a peer: believed only if its
 * proof holds and the snapshot hashes to the digest 2f+1 replicas signed.
 */
int pbft_on_state(struct pbft *p, const struct wire_msg *m,
		  struct byz_outbox *ob)
{
	const struct pbft_state *st = &pbft_of(m)->state;
	struct app *fresh = NULL, *old;
	uint8_t d[BYZ_DIGEST_BYTES];
	struct byz_commit rec;
	const char *why;
	int rc;

	if (st->seq <= p->last_exec)
		return 0;
	why = pbft_check_ckpt_proof(p, st->seq, st->digest, &st->proof);
	if (why)
		return pbft_note(p, ob,
				 "state n%" PRIu64 " from r%" PRIu32
				 " with %s: dropped",
				 st->seq, m->frame.sender, why);
	if ((rc = app_new(&p->cfg.app, &fresh)))
		return rc;
	rc = app_restore(fresh, st->snapshot, st->snapshot_len);
	if (!rc) {
		app_state_digest(fresh, d);
		if (memcmp(d, st->digest, sizeof d))
			rc = BYZ_EFIELD;
	}
	if (rc) {
		app_destroy(&fresh);
		return pbft_note(p, ob,
				 "state n%" PRIu64 " from r%" PRIu32
				 ": the snapshot does not match its proof (%s)",
				 st->seq, m->frame.sender, byz_errname(rc));
	}
	old = p->app;
	p->app = fresh;
	app_destroy(&old);
	p->last_exec = st->seq;
	/* Requests the state already answers are no longer pending. */
	for (uint32_t c = 0; c < p->cfg.max_clients; c++)
		if (p->pending[c].timestamp &&
		    p->pending[c].timestamp <= app_last_timestamp(p->app, c)) {
			p->pending[c].timestamp = 0;
			pbft_blob_free(&p->pending[c].frame);
			p->npending--;
		}
	if (!p->replaying) {
		memset(&rec, 0, sizeof rec);
		rec.restored = true;
		rec.height = app_height(p->app);
		rec.slot = st->seq;
		memcpy(rec.state_digest, d, sizeof d);
		if ((rc = byz_out_commit(ob, &rec)))
			return rc;
		pbft_note(p, ob,
			  "state transfer: now at n%" PRIu64
			  ", height %" PRIu64,
			  st->seq, rec.height);
	}
	rc = pbft_set_stable(p, st->seq, st->digest, &st->proof, st->snapshot,
			     st->snapshot_len, ob);
	if (rc)
		return rc;
	return pbft_execute_ready(p, ob);
}
