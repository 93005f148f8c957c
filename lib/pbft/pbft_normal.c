/*
 * pbft_normal.c - the normal case (OSDI'99 §4.2): pre-prepare, prepare,
 * commit, and execution in sequence-number order; plus committed
 * certificates, with which a replica that fell behind catches up.
 */
#include "pbft.h"

#include "err.h"

#include <inttypes.h>
#include <string.h>

/* Make e hold `view`: what it collected in an older view is dropped, but
 * not its prepared and committed certificates (they outlive views). */
static void entry_to_view(const struct pbft *p, struct pbft_entry *e,
			  uint64_t view)
{
	if (e->view == view)
		return;
	pbft_blob_free(&e->pp);
	for (uint32_t i = 0; i < p->cfg.n; i++) {
		pbft_blob_free(&e->prep[i]);
		pbft_blob_free(&e->commit[i]);
	}
	memset(e->mark, 0, p->cfg.n);
	e->prep_ok = e->prep_match = e->commit_ok = e->commit_match = 0;
	e->view = view;
	e->sent_prepare = e->sent_commit = e->prepared = false;
}

/* Decode an owned frame (authenticated when it arrived). */
static int decode_blob(const struct pbft_blob *b, struct wire_msg *m)
{
	return wire_decode(b->data, b->len, m);
}

/*
 * Votes are counted once, as they are stored, not re-read at every
 * arrival (that was cubic in n). The predicates are the papers':
 * prepared(m, v, n, i) holds when the log has the pre-prepare and 2f
 * PREPAREs from distinct backups (not the primary) that match it in view,
 * number and digest; committed-local(m, v, n, i) when it is prepared and
 * the log has 2f+1 matching COMMITs from distinct replicas, possibly
 * itself (OSDI'99 §4.2; TOCS'02 §4.2, "Normal-Case Operation"). Distinct:
 * an entry stores one vote per sender and view (the first), so a signer
 * counts once; its mark records what its one vote counts for.
 *
 * The marks of a vote of `type` from s, decoded as m, in entry e: OK when
 * it is for e's view and number (a PREPARE only from a backup of that
 * view), MATCH when it is also for e's digest.
 */
static uint8_t vote_mark(const struct pbft *p, const struct pbft_entry *e,
			 uint8_t type, uint32_t s, const struct wire_msg *m)
{
	const struct pbft_vote *v = &pbft_of(m)->vote;
	bool prep = type == PBFT_PREPARE;
	uint8_t mark;

	if ((prep && s == pbft_primary(p, e->view)) || v->view != e->view ||
	    v->seq != e->seq)
		return 0;
	mark = prep ? PBFT_MARK_PREP_OK : PBFT_MARK_COMMIT_OK;
	if (!memcmp(v->digest, e->digest, BYZ_DIGEST_BYTES))
		mark |= prep ? PBFT_MARK_PREP_MATCH : PBFT_MARK_COMMIT_MATCH;
	return mark;
}

/* Count sender s's vote with these marks (it has none yet of its type). */
static void mark_add(struct pbft_entry *e, uint32_t s, uint8_t mark)
{
	e->mark[s] |= mark;
	e->prep_ok += !!(mark & PBFT_MARK_PREP_OK);
	e->prep_match += !!(mark & PBFT_MARK_PREP_MATCH);
	e->commit_ok += !!(mark & PBFT_MARK_COMMIT_OK);
	e->commit_match += !!(mark & PBFT_MARK_COMMIT_MATCH);
}

/* Count e's stored votes again: its digest changed (a pre-prepare came
 * after votes for it), or the log was restored. O(n). */
void pbft_entry_recount(const struct pbft *p, struct pbft_entry *e)
{
	struct wire_msg m;

	e->prep_ok = e->prep_match = e->commit_ok = e->commit_match = 0;
	for (uint32_t i = 0; i < p->cfg.n; i++) {
		e->mark[i] = 0;
		if (e->prep[i] && !decode_blob(e->prep[i], &m))
			mark_add(e, i, vote_mark(p, e, PBFT_PREPARE, i, &m));
		if (e->commit[i] && !decode_blob(e->commit[i], &m))
			mark_add(e, i, vote_mark(p, e, PBFT_COMMIT, i, &m));
	}
}

/* The mark a vote needs to count: MATCH, or OK for the mutant that
 * ignores the digest (rule coverage when some vote differs in it). */
static uint8_t counting_mark(const struct pbft *p, uint32_t ok, uint32_t match,
			     uint8_t ok_mark, uint8_t match_mark)
{
	if (ok != match)
		pbft_rule(p, PBFT_MUT_VOTE_DIGEST);
	return pbft_mut(p, PBFT_MUT_VOTE_DIGEST) ? ok_mark : match_mark;
}

static int send_vote(struct pbft *p, struct byz_outbox *ob, uint8_t type,
		     const struct pbft_entry *e)
{
	size_t start;
	int rc = pbft_enc_vote(&ob->bytes, &start, type, p->cfg.id, e->view,
			       e->seq, e->digest);

	return rc ? rc : pbft_send_all(p, ob, start);
}

static int check_committed(struct pbft *p, struct pbft_entry *e,
			   struct byz_outbox *ob);

/* The mutant execute-on-pre-prepare: committed on the PRE-PREPARE alone,
 * with no COMMIT in its certificate. */
static int execute_early(struct pbft *p, struct pbft_entry *e,
			 struct byz_outbox *ob)
{
	e->committed = true;
	pbft_blob_free(&e->cc_pp);
	e->cc_pp = pbft_blob_new(e->pp->data, e->pp->len);
	memcpy(e->cc_digest, e->digest, BYZ_DIGEST_BYTES);
	for (uint32_t i = 0; i < p->cfg.n; i++)
		pbft_blob_free(&e->cc_commit[i]);
	return pbft_execute_ready(p, ob);
}

/*
 * prepared(m, v, n, i) (§4.2): the pre-prepare and 2f matching prepares
 * from distinct backups. Then multicast COMMIT; keep the certificate for
 * view changes (the P set of §4.4).
 */
static int check_prepared(struct pbft *p, struct pbft_entry *e,
			  struct byz_outbox *ob)
{
	uint32_t count;
	uint8_t want;
	int rc;

	if (!e->pp || e->prepared)
		return check_committed(p, e, ob);
	want = counting_mark(p, e->prep_ok, e->prep_match, PBFT_MARK_PREP_OK,
			     PBFT_MARK_PREP_MATCH);
	count = want == PBFT_MARK_PREP_OK ? e->prep_ok : e->prep_match;
	/* not prepared yet: executing must wait (the rule a mutant breaks) */
	pbft_rule(p, PBFT_MUT_EXECUTE_EARLY);
	if (pbft_mut(p, PBFT_MUT_EXECUTE_EARLY) && !e->committed)
		return execute_early(p, e, ob);
	if (count + 1 == 2 * p->cfg.f)
		pbft_rule(p, PBFT_MUT_PREPARED_QUORUM);
	if (count < 2 * p->cfg.f - pbft_mut(p, PBFT_MUT_PREPARED_QUORUM))
		return 0;
	e->prepared = true;
	if (e->pc_view <= e->view || !e->pc_pp) {
		pbft_blob_free(&e->pc_pp);
		for (uint32_t i = 0; i < p->cfg.n; i++)
			pbft_blob_free(&e->pc_prep[i]);
		e->pc_view = e->view;
		e->pc_pp = pbft_blob_new(e->pp->data, e->pp->len);
		for (uint32_t i = 0; i < p->cfg.n; i++)
			if (e->mark[i] & want)
				e->pc_prep[i] = pbft_blob_new(e->prep[i]->data,
							      e->prep[i]->len);
	}
	if (!e->sent_commit && !p->replaying) {
		e->sent_commit = true;
		if ((rc = send_vote(p, ob, PBFT_COMMIT, e)))
			return rc;
	}
	e->sent_commit = true;
	return check_committed(p, e, ob);
}

/*
 * committed-local(m, v, n, i) (§4.2): prepared, and 2f+1 matching commits
 * from distinct replicas (possibly including itself). Keep the commits as
 * a committed certificate to serve catch-up.
 */
static int check_committed(struct pbft *p, struct pbft_entry *e,
			   struct byz_outbox *ob)
{
	uint32_t count;
	uint8_t want;

	if (!e->prepared || e->committed)
		return pbft_execute_ready(p, ob);
	want = counting_mark(p, e->commit_ok, e->commit_match,
			     PBFT_MARK_COMMIT_OK, PBFT_MARK_COMMIT_MATCH);
	count = want == PBFT_MARK_COMMIT_OK ? e->commit_ok : e->commit_match;
	if (count + 1 == p->quorum)
		pbft_rule(p, PBFT_MUT_COMMITTED_QUORUM);
	if (count < p->quorum - pbft_mut(p, PBFT_MUT_COMMITTED_QUORUM))
		return 0;
	e->committed = true;
	pbft_blob_free(&e->cc_pp);
	e->cc_pp = pbft_blob_new(e->pp->data, e->pp->len);
	memcpy(e->cc_digest, e->digest, BYZ_DIGEST_BYTES);
	for (uint32_t i = 0; i < p->cfg.n; i++) {
		pbft_blob_free(&e->cc_commit[i]);
		if (e->mark[i] & want)
			e->cc_commit[i] = pbft_blob_new(e->commit[i]->data,
							e->commit[i]->len);
	}
	return pbft_execute_ready(p, ob);
}

/*
 * Accept a pre-prepare into the log for its (view, seq) and, as a backup,
 * multicast PREPARE (§4.2). The checks of §4.2 are the caller's.
 */
int pbft_accept_preprepare(struct pbft *p, const struct wire_msg *m,
			   struct byz_outbox *ob)
{
	const struct pbft_preprepare *pp = &pbft_of(m)->pp;
	struct pbft_entry *e = pbft_entry(p, pp->seq);
	int rc;

	if (!e)
		return 0;
	entry_to_view(p, e, pp->view);
	e->pp = pbft_blob_new(m->frame.bytes, m->frame.len);
	if (!e->pp)
		return BYZ_ENOMEM;
	pbft_batch_digest(pp, e->digest);
	pbft_entry_recount(p, e); /* the votes that came first */
	if (p->cfg.id != pbft_primary(p, pp->view) && !e->sent_prepare) {
		e->sent_prepare = true;
		if (!p->replaying && (rc = send_vote(p, ob, PBFT_PREPARE, e)))
			return rc;
	}
	return check_prepared(p, e, ob);
}

/* §4.2: a backup accepts a pre-prepare if it is in view v, the signature
 * is right (checked at ingress), n is between the watermarks, and it has
 * not accepted one for v and n with a different digest. */
int pbft_on_preprepare(struct pbft *p, const struct wire_msg *m,
		       struct byz_outbox *ob)
{
	const struct pbft_preprepare *pp = &pbft_of(m)->pp;
	struct pbft_entry *e;
	uint8_t d[BYZ_DIGEST_BYTES];
	struct wire_msg req;
	size_t pos = 0;
	int rc;

	/* A new primary's O coming back signed (pbft_viewchange.c). */
	if (p->in_vc && m->frame.sender == p->cfg.id && p->nv_building)
		return pbft_nv_collect(p, m, ob);
	if (pbft_keep_early(p, m))
		return 0; /* for a view we are about to enter */
	if (pp->view != p->view || p->in_vc)
		return pbft_note(p, ob,
				 "pre-prepare for view %" PRIu64
				 " in view %" PRIu64 "%s: dropped",
				 pp->view, p->view,
				 p->in_vc ? " (changing)" : "");
	if (m->frame.sender != pbft_primary(p, pp->view))
		pbft_rule(p, PBFT_MUT_PREPREPARE_SENDER);
	if (m->frame.sender != pbft_primary(p, pp->view) &&
	    !pbft_mut(p, PBFT_MUT_PREPREPARE_SENDER))
		return pbft_note(p, ob,
				 "pre-prepare from r%" PRIu32
				 ", not the primary of view %" PRIu64
				 ": dropped",
				 m->frame.sender, pp->view);
	e = pbft_entry(p, pp->seq);
	if (!e)
		return pbft_note(p, ob,
				 "pre-prepare n%" PRIu64
				 " outside the watermarks (%" PRIu64
				 ", %" PRIu64 "]: dropped",
				 pp->seq, p->low, p->low + p->cfg.window);
	while (wire_frames_next(&pp->batch, &pos, &req) == 1)
		if (req.u.request.client >= p->cfg.max_clients)
			return pbft_note(
			    p, ob,
			    "pre-prepare n%" PRIu64
			    " holds a request of unknown client %" PRIu32
			    ": dropped",
			    pp->seq, req.u.request.client);
	pbft_batch_digest(pp, d);
	if (e->pp && e->view == pp->view) {
		if (memcmp(d, e->digest, sizeof d) == 0)
			return 0; /* a duplicate */
		pbft_rule(p, PBFT_MUT_SECOND_PREPREPARE);
		if (pbft_mut(p, PBFT_MUT_SECOND_PREPREPARE)) {
			/* The mutant: the later one replaces the first. */
			pbft_blob_free(&e->pp);
			e->sent_prepare = e->prepared = false;
			return pbft_accept_preprepare(p, m, ob);
		}
		return pbft_note(p, ob,
				 "pre-prepare v%" PRIu64 " n%" PRIu64
				 " conflicts with the digest accepted: dropped",
				 pp->view, pp->seq);
	}
	if (e->committed && e->seq <= p->last_exec &&
	    memcmp(d, e->cc_digest, sizeof d) != 0)
		return pbft_note(p, ob,
				 "pre-prepare n%" PRIu64
				 " conflicts with what was executed: dropped",
				 pp->seq);
	if ((rc = pbft_persist_msg(p, m, ob)))
		return rc;
	return pbft_accept_preprepare(p, m, ob);
}

/* PREPARE and COMMIT share their checks (§4.2). */
static struct pbft_entry *vote_entry(struct pbft *p, const struct wire_msg *m,
				     const char *what, struct byz_outbox *ob)
{
	const struct pbft_vote *v = &pbft_of(m)->vote;
	struct pbft_entry *e;

	if (pbft_keep_early(p, m))
		return NULL; /* for a view we are about to enter */
	if (p->in_vc || v->view != p->view) {
		pbft_note(p, ob,
			  "%s v%" PRIu64 " n%" PRIu64 " from r%" PRIu32
			  " in view %" PRIu64 "%s: dropped",
			  what, v->view, v->seq, m->frame.sender, p->view,
			  p->in_vc ? " (changing)" : "");
		return NULL;
	}
	e = pbft_entry(p, v->seq);
	if (!e) {
		if (v->seq > p->low)
			pbft_note(p, ob,
				  "%s n%" PRIu64
				  " above the high watermark: dropped",
				  what, v->seq);
		return NULL;
	}
	entry_to_view(p, e, v->view);
	return e;
}

int pbft_on_prepare(struct pbft *p, const struct wire_msg *m,
		    struct byz_outbox *ob)
{
	uint32_t s = m->frame.sender;
	struct pbft_entry *e;
	int rc;

	if (s == pbft_primary(p, pbft_of(m)->vote.view))
		return pbft_note(
		    p, ob, "prepare from the primary r%" PRIu32 ": dropped", s);
	if (!(e = vote_entry(p, m, "prepare", ob)))
		return 0;
	if (e->prep[s])
		return 0; /* one per replica and view: the first counts */
	if ((rc = pbft_persist_msg(p, m, ob)))
		return rc;
	e->prep[s] = pbft_blob_new(m->frame.bytes, m->frame.len);
	if (!e->prep[s])
		return BYZ_ENOMEM;
	mark_add(e, s, vote_mark(p, e, PBFT_PREPARE, s, m));
	return check_prepared(p, e, ob);
}

int pbft_on_commit(struct pbft *p, const struct wire_msg *m,
		   struct byz_outbox *ob)
{
	uint32_t s = m->frame.sender;
	struct pbft_entry *e;
	int rc;

	if (!(e = vote_entry(p, m, "commit", ob)))
		return 0;
	if (e->commit[s])
		return 0;
	if ((rc = pbft_persist_msg(p, m, ob)))
		return rc;
	e->commit[s] = pbft_blob_new(m->frame.bytes, m->frame.len);
	if (!e->commit[s])
		return BYZ_ENOMEM;
	mark_add(e, s, vote_mark(p, e, PBFT_COMMIT, s, m));
	return check_prepared(p, e, ob);
}

/*
 * A certificate: a pre-prepare from the primary of its view, and `need`
 * votes (all of one type, checked at decoding) from distinct replicas for
 * the same view, number and digest; with exclude_primary, none from the
 * pre-prepare's sender. NULL if it holds, else why not.
 */
const char *pbft_check_cert(const struct pbft *p, const struct wire_frame *ppf,
			    const struct wire_frames *votes, uint32_t need,
			    bool exclude_primary, uint64_t *view, uint64_t *seq,
			    uint8_t digest[BYZ_DIGEST_BYTES])
{
	struct wire_msg pp, v;
	bool seen[BYZ_MAX_N] = {false};
	uint32_t count = 0;
	size_t pos = 0;

	if (wire_decode(ppf->bytes, ppf->len, &pp))
		return "an undecodable pre-prepare";
	if (pp.frame.sender != pbft_primary(p, pbft_of(&pp)->pp.view))
		return "a pre-prepare not from its view's primary";
	pbft_batch_digest(&pbft_of(&pp)->pp, digest);
	*view = pbft_of(&pp)->pp.view;
	*seq = pbft_of(&pp)->pp.seq;
	while (wire_frames_next(votes, &pos, &v) == 1) {
		uint32_t s = v.frame.sender;
		if (s < p->cfg.n && seen[s])
			pbft_rule(p, PBFT_MUT_CERT_SIGNERS);
		if (s >= p->cfg.n ||
		    (seen[s] && !pbft_mut(p, PBFT_MUT_CERT_SIGNERS)))
			return "a repeated or unknown signer";
		if (exclude_primary && s == pp.frame.sender)
			return "a prepare from the primary";
		if (pbft_of(&v)->vote.view != *view ||
		    pbft_of(&v)->vote.seq != *seq ||
		    memcmp(pbft_of(&v)->vote.digest, digest, BYZ_DIGEST_BYTES))
			return "a vote for another view, number or digest";
		seen[s] = true;
		count++;
	}
	return count >= need ? NULL : "too few votes";
}

/* A committed certificate from a peer: the request is decided (2f+1
 * commits), so a replica that missed it may execute it. */
int pbft_on_cert(struct pbft *p, const struct wire_msg *m,
		 struct byz_outbox *ob)
{
	const struct pbft_cert *c = &pbft_of(m)->cert;
	uint8_t d[BYZ_DIGEST_BYTES];
	uint64_t view, seq;
	struct pbft_entry *e;
	struct wire_msg commit;
	size_t pos = 0;
	const char *why;
	int rc;

	why = pbft_check_cert(p, &c->pp, &c->commits,
			      pbft_mut(p, PBFT_MUT_CERT_QUORUM) ? p->cfg.f + 1
								: p->quorum,
			      false, &view, &seq, d);
	if (why && c->commits.count > p->cfg.f &&
	    c->commits.count < p->quorum && !strcmp(why, "too few votes"))
		pbft_rule(p, PBFT_MUT_CERT_QUORUM);
	if (why)
		return pbft_note(p, ob,
				 "committed certificate from r%" PRIu32
				 " with %s: dropped",
				 m->frame.sender, why);
	if (seq <= p->last_exec)
		return 0;
	if (!(e = pbft_entry(p, seq)))
		return pbft_note(p, ob,
				 "committed certificate n%" PRIu64
				 " outside the watermarks: dropped",
				 seq);
	if (e->committed) {
		if (memcmp(e->cc_digest, d, sizeof d))
			return pbft_note(p, ob,
					 "SAFETY: a committed certificate"
					 " for n%" PRIu64 " conflicts with the"
					 " one held: refused",
					 seq);
		return 0;
	}
	if ((rc = pbft_persist_msg(p, m, ob)))
		return rc;
	e->committed = true;
	memcpy(e->cc_digest, d, sizeof d);
	pbft_blob_free(&e->cc_pp);
	e->cc_pp = pbft_blob_new(c->pp.bytes, c->pp.len);
	while (wire_frames_next(&c->commits, &pos, &commit) == 1) {
		uint32_t s = commit.frame.sender;
		pbft_blob_free(&e->cc_commit[s]);
		e->cc_commit[s] =
		    pbft_blob_new(commit.frame.bytes, commit.frame.len);
	}
	return pbft_execute_ready(p, ob);
}

/* Execute one request of a committed batch; reply to its client. */
static int execute_request(struct pbft *p, const struct wire_msg *req,
			   uint64_t seq, struct byz_outbox *ob)
{
	const struct wire_request *r = &req->u.request;
	const uint8_t *res;
	size_t reslen, start;
	struct byz_commit c;
	int out, rc;

	out = app_execute(p->app, r->client, r->timestamp, r->op, r->op_len,
			  &res, &reslen);
	if (out < 0 || out == APP_STALE)
		return 0;
	if (p->pending[r->client].timestamp &&
	    p->pending[r->client].timestamp <= r->timestamp) {
		p->pending[r->client].timestamp = 0;
		pbft_blob_free(&p->pending[r->client].frame);
		p->npending--;
	}
	if (p->replaying)
		return 0;
	if (out == APP_EXECUTED) {
		memset(&c, 0, sizeof c);
		c.height = app_height(p->app);
		c.slot = seq;
		c.client = r->client;
		c.timestamp = r->timestamp;
		byz_digest(c.request_digest, r->op, r->op_len);
		app_state_digest(p->app, c.state_digest);
		if ((rc = byz_out_commit(ob, &c)))
			return rc;
	}
	rc = wire_enc_reply(&ob->bytes, &start, p->cfg.id, p->view, r->client,
			    r->timestamp, res, reslen);
	return rc ? rc : byz_out_send(ob, byz_client_addr(r->client), start);
}

/*
 * Execute committed batches in sequence-number order (§4.2: "after
 * executing all requests with lower sequence numbers"). An empty batch is
 * the null request (§4.4) and executes nothing. Every K numbers, take a
 * checkpoint (§4.3).
 */
int pbft_execute_ready(struct pbft *p, struct byz_outbox *ob)
{
	bool progressed = false;
	int rc;

	for (;;) {
		uint64_t seq = p->last_exec + 1;
		struct pbft_entry *e = pbft_entry(p, seq);
		struct wire_msg pp, req;
		size_t pos = 0;

		if (!e || !e->committed || !e->cc_pp)
			break;
		if (decode_blob(e->cc_pp, &pp))
			return BYZ_EINVAL; /* our own copy: cannot happen */
		while (wire_frames_next(&pbft_of(&pp)->pp.batch, &pos, &req) ==
		       1)
			if ((rc = execute_request(p, &req, seq, ob)))
				return rc;
		p->last_exec = seq;
		progressed = true;
		if (seq % p->cfg.checkpoint_interval == 0 &&
		    (rc = pbft_take_checkpoint(p, ob)))
			return rc;
	}
	if (progressed && !p->replaying) {
		/* Progress: restart the view-change timer if still waiting
		 * (§4.4), and let the primary fill the window again. */
		if (p->view_timer_on) {
			byz_out_timer(ob, PBFT_TIMER_VIEW, BYZ_TIMER_CANCEL);
			p->view_timer_on = false;
		}
		p->vc_timeout = p->cfg.timeout_us;
		p->vc_since_exec = false;
		pbft_view_timer_update(p, ob);
		return pbft_try_propose(p, ob);
	}
	return 0;
}
