/*
 * hs_pacemaker.c - views, leaders and view synchronisation (PODC'19 Alg. 5,
 * with a timeout certificate in place of NEW-VIEW; docs/hotstuff.md says
 * why).
 *
 * leader(v) = v mod n (or a schedule, core.h). A replica is in view v until it
 * has voted in v, or holds a QC or a TC for v; then it is in v+1. The leader of
 * v+1 proposes once it holds the QC of v (Alg. 5 onReceiveNewView/onBeat:
 * extend highQC) or the TC of v. A view timer runs while there is work (pooled
 * requests); it starts at timeout_us and doubles with each timeout up to
 * timeout_us << HS_BACKOFF_MAX, and falls back when a commit shows
 * progress. When it fires, the replica stops voting in its view and
 * broadcasts a signed TIMEOUT(view, highQC, its latest vote), again at
 * each firing until the view changes. 2f+1 TIMEOUTs for views >= v form a
 * TC for v that moves everyone to v+1 (TIMEOUT(w) gives up every view up
 * to w, so a replica that moved on by voting counts for the view before); the
 * votes they carry can also form the QC a silent leader did not (so a silent
 * next leader costs one timeout, not two). f+1 TIMEOUTs for views at or above w
 * make a replica behind join w (Bracha's amplification): at least one honest
 * replica is there.
 */
#include "hs_core.h"

#include "err.h"

#include <inttypes.h>
#include <string.h>

uint64_t hs_view_delay(const struct hs *h)
{
	uint32_t k = h->backoff < HS_BACKOFF_MAX ? h->backoff : HS_BACKOFF_MAX;

	return h->cfg.timeout_us << k;
}

int hs_arm_timer(struct hs *h, struct byz_outbox *ob)
{
	if (!h->pool.count) /* idle: the highQC beacon (hs_on_view_timer) */
		return byz_out_timer(
		    ob, HS_TIMER_VIEW,
		    h->cfg.timeout_us
			<< (h->idle_beacons ? h->idle_beacons : 1));
	return byz_out_timer(ob, HS_TIMER_VIEW, hs_view_delay(h));
}

int hs_enter_view(struct hs *h, struct byz_outbox *ob, uint64_t v, bool step)
{
	int rc;

	if (v <= h->cur_view)
		return 0;
	h->cur_view = v;
	h->timed_out = false;
	h->proposed = false;
	if ((rc = byz_out_view(ob, v, hs_leader(h, v), false, !step)) ||
	    (rc = byz_out_timer(ob, HS_TIMER_VIEW, BYZ_TIMER_CANCEL)) ||
	    (rc = hs_arm_timer(h, ob)))
		return rc;
	return hs_try_propose(h, ob);
}

int hs_on_qc(struct hs *h, struct byz_outbox *ob, uint64_t v)
{
	if (v >= h->cur_view)
		return hs_enter_view(h, ob, v + 1, true);
	return hs_try_propose(h, ob);
}

/*
 * PODC'19 Alg. 5 onBeat/onPropose: the leader of cur_view, once it holds
 * the QC of the view before (its highQC) or the TC of it, proposes a block
 * extending highQC's block, with a batch of pooled requests not already on
 * that chain. It broadcasts the proposal and sends it to itself, so it
 * stores and votes for its own block like everyone else (with its own
 * signature on it).
 */
int hs_try_propose(struct hs *h, struct byz_outbox *ob)
{
	const uint8_t *frames[HS_MAX_BATCH], *tcf[HS_MAX_SIGNERS];
	size_t lens[HS_MAX_BATCH], tcl[HS_MAX_SIGNERS];
	struct hs_framev batch = {frames, lens, 0}, tc = {tcf, tcl, 0};
	uint64_t v = h->cur_view;
	size_t start;
	int rc;

	if (hs_leader(h, v) != h->cfg.id || h->proposed || h->timed_out ||
	    !h->pool.count)
		return 0;
	if (h->high_view + 1 != v) {
		if (h->tc_view + 1 != v || !h->tc_count)
			return 0; /* no proof yet that view v may start */
		for (uint32_t i = 0; i < h->tc_count; i++) {
			tcf[i] = h->tc[i].p;
			tcl[i] = h->tc[i].len;
		}
		tc.count = h->tc_count;
	}
	batch.count =
	    hs_make_batch(h, h->high_hash, frames, lens, h->cfg.batch);
	if (tc.count && hs_tc_too_big(h, tc, batch)) {
		/* Every replica forms the TC itself from the TIMEOUTs, which
		 * are broadcast and re-sent at each expiry: the TC in a block
		 * only helps one that missed them (hs_limits.c). */
		tc.count = 0;
		if ((rc = byz_out_note(ob,
				       "view %" PRIu64 ": TC left out of "
				       "the proposal (too big for a block)",
				       v)))
			return rc;
	}
	h->proposed = true;
	if ((rc = hs_enc_proposal(&ob->bytes, &start, h->cfg.id, v, h->high.p,
				  h->high.len, tc, batch)) ||
	    (rc = byz_out_broadcast(ob, start)))
		return rc;
	return byz_out_send(ob, h->cfg.id, start);
}

/* Broadcast TIMEOUT(cur_view, highQC, my latest vote), and send it to
 * ourselves for the TC we may assemble. */
static int hs_send_timeout(struct hs *h, struct byz_outbox *ob)
{
	size_t start;
	int rc;

	if (h->cur_view > h->hi_timeout[h->cfg.id])
		h->hi_timeout[h->cfg.id] = h->cur_view;
	if ((rc = hs_enc_timeout_commit(&ob->bytes, &start, h->cfg.id,
					h->cur_view, h->high.p, h->high.len,
					h->my_vote.p, h->my_vote.len,
					h->commit_qc.p, h->commit_qc.len)) ||
	    (rc = byz_out_broadcast(ob, start)))
		return rc;
	return byz_out_send(ob, h->cfg.id, start);
}

/*
 * Tell replica `to` (UINT32_MAX: everyone) our highQC: a TIMEOUT for the
 * view we have left, which claims nothing new (we will not act in it
 * again) and carries no vote. For catch-up: an idle replica's beacon, and
 * the answer to a TIMEOUT whose highQC is older than ours. cur_view > 1.
 */
static int hs_tell_high(struct hs *h, struct byz_outbox *ob, uint32_t to)
{
	size_t start;
	int rc;

	if ((rc = hs_enc_timeout_commit(
		 &ob->bytes, &start, h->cfg.id, h->cur_view - 1, h->high.p,
		 h->high.len, NULL, 0, h->commit_qc.p, h->commit_qc.len)))
		return rc;
	return to == UINT32_MAX ? byz_out_broadcast(ob, start)
				: byz_out_send(ob, to, start);
}

/* The view timer: without work it lapses; otherwise time the view out
 * (once), or rebroadcast our TIMEOUT, and back off. */
int hs_on_view_timer(struct hs *h, struct byz_outbox *ob)
{
	int rc;

	/* Look again at what we hold: a block fetched late may complete a
	 * chain that no new message will revisit (Alg. 4 update). */
	if (h->high_view && (rc = hs_reupdate(h, ob)))
		return rc;
	if (!h->pool.count) {
		/* Idle: tell the others our highQC now and then (a TIMEOUT
		 * for the view we left: no new claim), so that a replica
		 * that lost the last proposals before GST still learns what
		 * was decided once everyone else has gone quiet. The period
		 * doubles up to 16 timeouts. */
		if (h->cur_view <= 1 || !h->high_view)
			return 0;
		if ((rc = hs_tell_high(h, ob, UINT32_MAX)))
			return rc;
		if (h->idle_beacons < 4)
			h->idle_beacons++;
		return byz_out_timer(ob, HS_TIMER_VIEW,
				     h->cfg.timeout_us << h->idle_beacons);
	}
	h->idle_beacons = 0;
	if (!h->timed_out) {
		h->timed_out = true;
		if (h->backoff < UINT32_MAX)
			h->backoff++;
		if ((rc = byz_out_note(ob,
				       "view %" PRIu64 " timed out "
				       "(leader r%" PRIu32 ")",
				       h->cur_view,
				       hs_leader(h, h->cur_view))) ||
		    (rc = byz_out_view(ob, h->cur_view,
				       hs_leader(h, h->cur_view), true, false)))
			return rc;
	}
	if ((rc = hs_send_timeout(h, ob)))
		return rc;
	return byz_out_timer(ob, HS_TIMER_VIEW, hs_view_delay(h));
}

/* The k-th highest view (k from 1) in which a replica timed out; 0 (no
 * view) when there are fewer than k replicas. */
static uint64_t hs_kth_timeout(const struct hs *h, uint32_t k)
{
	uint64_t top[BYZ_MAX_N];
	uint32_t m = 0;

	/* The callers ask for 2f+1 or f+1 <= n, but say so where top[] is
	 * read: only the first n slots are ever written. */
	if (k == 0 || k > h->cfg.n || h->cfg.n > BYZ_MAX_N)
		return 0;

	for (uint32_t r = 0; r < h->cfg.n; r++) {
		uint64_t v = h->hi_timeout[r];
		uint32_t i = m++;
		while (i > 0 && top[i - 1] < v) {
			top[i] = top[i - 1];
			i--;
		}
		top[i] = v;
	}
	return top[k - 1];
}

/* 2f+1 replicas timed out at views >= v: keep their TIMEOUTs as the TC of
 * v and move to v+1. */
static int hs_form_tc(struct hs *h, struct byz_outbox *ob, uint64_t v)
{
	bool take[BYZ_MAX_N] = {false};
	uint32_t count = 0;
	int rc;

	/* Only signed TIMEOUTs of views >= v make the TC. Our own view
	 * counts in hi_timeout as soon as we send it (hs_send_timeout), but
	 * its signed copy comes back by loopback; until then last_timeout
	 * holds our older one, and a TC with it is one every replica
	 * refuses (the certificates oracle found leaders proposing with
	 * such TCs, issue #11). So wait for 2f+1 of them. */
	for (uint32_t r = 0; r < h->cfg.n && count < h->quorum; r++) {
		struct wire_msg t;
		if (h->hi_timeout[r] < v || !h->last_timeout[r].p ||
		    wire_decode(h->last_timeout[r].p, h->last_timeout[r].len,
				&t) ||
		    hs_of(&t)->timeout.view < v)
			continue;
		take[r] = true;
		count++;
	}
	if (count < h->quorum)
		return 0;
	h->tc_count = 0;
	for (uint32_t r = 0; r < h->cfg.n; r++) {
		if (!take[r])
			continue;
		if (h->tc_count >= h->tc_used)
			h->tc_used = h->tc_count + 1;
		if ((rc = byz_bytes_set(&h->tc[h->tc_count++],
					h->last_timeout[r].p,
					h->last_timeout[r].len)))
			return rc;
	}
	h->tc_view = v;
	return hs_enter_view(h, ob, v + 1, false);
}

/*
 * A TIMEOUT from a replica (or our own, by loopback). Its highQC and the
 * vote it carries are used like any QC and vote; each replica's newest
 * TIMEOUT is kept (n frames). When 2f+1 replicas timed out at views >= v
 * for some v >= ours, they form the TC of v; when f+1 did at views >= w
 * above ours, we join w (Bracha).
 */
int hs_on_timeout(struct hs *h, struct byz_outbox *ob, const struct wire_msg *m)
{
	const struct hs_timeout *t = &hs_of(m)->timeout;
	uint32_t s = m->frame.sender;
	struct wire_msg v;
	const char *why;
	size_t pos = 0;
	uint64_t w;
	int rc;

	if ((why = hs_qc_check(h, &t->high)) ||
	    (why = hs_qc_check(h, &t->commit)))
		return byz_out_drop(ob, m, why);
	if (wire_frames_next(&t->vote, &pos, &v) == 1) {
		if (v.frame.sender != s)
			return byz_out_drop(ob, m,
					    "carries another replica's vote");
		if (s != h->cfg.id && (rc = hs_on_vote(h, ob, &v)))
			return rc;
	}
	if (t->high.view > h->high_view) {
		/* A higher QC than ours: adopt it, and decide what it
		 * decides (catch-up after missing the last proposals). */
		if ((rc = hs_high_qc(h, &t->high)) ||
		    (rc = hs_update_qc(h, ob, &t->high)) ||
		    (rc = hs_try_execute(h, ob)))
			return rc;
	} else if ((t->high.view < h->high_view ||
		    t->commit.view < h->commit_qc_view) &&
		   s != h->cfg.id && h->cur_view > 1 &&
		   (!h->told_at[s] ||
		    h->now >= h->told_at[s] - 1 + h->cfg.timeout_us / 2)) {
		/* The sender is behind: it may wait for a decision everyone
		 * else has made and gone idle after. Tell it our highQC and
		 * commit certificate, in a TIMEOUT for the view we have left
		 * (true: we will not act in it again): one answer per
		 * TIMEOUT it sends, so a lost answer is made good by its next
		 * retransmission (at most one per half timeout: told_at). */
		h->told_at[s] = h->now + 1;
		if ((rc = hs_tell_high(h, ob, s)))
			return rc;
	}
	if (t->commit.view > h->exec_view) {
		/* DiemBFT v4 (SyncInfo, highest_commit_cert): a commit
		 * certificate decides its three-chain's block for a replica
		 * that missed the QCs and blocks between; Alg. 4's update on
		 * it fetches what is missing and decides as a proposal
		 * carrying it would. Our highQC may already be above it
		 * (its blocks decide nothing new), so this is separate. */
		if ((rc = hs_update_qc(h, ob, &t->commit)) ||
		    (rc = hs_try_execute(h, ob)))
			return rc;
	}
	if (t->view < h->hi_timeout[s])
		return 0; /* older than what we hold from it */
	h->hi_timeout[s] = t->view;
	if ((rc = byz_bytes_set(&h->last_timeout[s], m->frame.bytes,
				m->frame.len)))
		return rc;
	w = hs_kth_timeout(h, h->quorum);
	if (w >= h->cur_view && w > 0)
		return hs_form_tc(h, ob, w);
	/* Bracha: f+1 replicas gave up on views >= w: join w. */
	w = hs_kth_timeout(h, h->cfg.f + 1);
	if (w > h->cur_view || (w == h->cur_view && !h->timed_out)) {
		if ((rc = byz_out_note(ob,
				       "join view %" PRIu64
				       ": f+1 replicas timed out there",
				       w)))
			return rc;
		/* Enter w already timed out: no proposal, no vote there (the
		 * others gave it up; this replica did not wait in it). */
		if ((rc = byz_out_view(ob, w, hs_leader(h, w), false, true)))
			return rc;
		h->cur_view = w;
		h->proposed = true;
		h->timed_out = true;
		if ((rc = hs_send_timeout(h, ob)))
			return rc;
		return byz_out_timer(ob, HS_TIMER_VIEW, hs_view_delay(h));
	}
	return 0;
}
