/*
 * check.c - the safety and liveness checkers (check.h).
 *
 * A log holds up to about a million commits, so no checker compares commits
 * pairwise. Each works on a sorted array of small keys (height, replica,
 * position in the log) or (replica, client, timestamp, position): O(m log m)
 * for m commits. Every key ends with the commit's position in the log, so
 * keys are distinct, the order is total, and qsort's lack of stability
 * cannot change a result.
 *
 * Violations are counted in full; the first CHECK_KEEP, in the order
 * (checker, height, replica, then a position that makes the order total),
 * are kept verbatim. A checker finds its violations in whatever order suits
 * it and offers each to a small sorted buffer; only those that make it into
 * the buffer are formatted.
 */
#include "check.h"

#include "err.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const check_names[CHECK_COUNT] = {
    [CHECK_AGREEMENT] = "agreement",
    [CHECK_PREFIX] = "prefix",
    [CHECK_VALIDITY] = "validity",
    [CHECK_NO_DUPLICATE] = "no-duplicate",
    [CHECK_DIGESTS] = "digests",
    [CHECK_VOTE_ONCE] = "vote-once",
    [CHECK_CERTIFICATES] = "certificates",
    [CHECK_NEW_VIEW] = "new-view",
    [CHECK_LOCK] = "lock",
    [CHECK_DECIDE] = "decide",
    [CHECK_CAUSALITY] = "causality",
    [CHECK_PROGRESS] = "progress",
    [CHECK_LIVENESS] = "liveness",
};

const char *check_name(enum check_id id)
{
	if ((unsigned)id >= CHECK_COUNT)
		return "unknown";
	return check_names[id];
}

/* A sort key: compared on a, then b, then idx (a position in an array of
 * the log, so no two keys are equal). */
struct check_key {
	uint64_t a, b;
	size_t idx;
};

static int check_key_cmp(const void *x, const void *y)
{
	const struct check_key *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	if (p->idx != q->idx)
		return p->idx < q->idx ? -1 : 1;
	return 0;
}

/* The first key in sorted keys[0..n) with (a, b) >= the given pair. */
static size_t check_lower_bound(const struct check_key *keys, size_t n,
				uint64_t a, uint64_t b)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (keys[mid].a < a || (keys[mid].a == a && keys[mid].b < b))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct check_ctx {
	const struct trace_log *log;
	uint64_t bound_us;
	struct check_result *out;
	/* The checker running now, and its kept violations so far, sorted by
	 * (height, replica, seq); at most room of them. */
	enum check_id cur;
	size_t room, npend;
	struct check_violation pend[CHECK_KEEP];
	uint64_t pend_seq[CHECK_KEEP];
	/* Honest commits (owned here, freed by check_run):
	 * by_height:  a = height, b = replica;
	 * by_request: a = replica << 32 | client, b = timestamp. */
	struct check_key *by_height, *by_request;
	size_t nhonest;
	/* Submits: a = client, b = timestamp; idx into log->submits. */
	struct check_key *submits;
	/* Honest commits of requests (not state transfers) by height, for
	 * agreement; and by (client, timestamp), for liveness across a state
	 * transfer. */
	struct check_key *req_by_height, *by_client_ts;
	size_t nreq;
	/* State transfers, in log order: a = replica, b = position. */
	struct check_key *restores;
	size_t nrestores;
};

/* Only replicas 0..n-1 that are not Byzantine are checked. */
static bool check_honest(const struct trace_log *log, uint32_t r)
{
	return r < log->n && r < BYZ_MAX_N && !log->byzantine[r];
}

/* True if the kept violation i sorts after (height, replica, seq). */
static bool check_pend_after(const struct check_ctx *cx, size_t i,
			     uint64_t height, uint32_t replica, uint64_t seq)
{
	const struct check_violation *v = &cx->pend[i];

	if (v->height != height)
		return v->height > height;
	if (v->replica != replica)
		return v->replica > replica;
	return cx->pend_seq[i] > seq;
}

/*
 * Count one violation of the running checker, and keep it if it is among
 * the first `room` in (height, replica, seq) order. seq must tell apart
 * two violations of one checker with equal height and replica.
 */
__attribute__((format(printf, 5, 6))) static void
check_report(struct check_ctx *cx, uint32_t replica, uint64_t height,
	     uint64_t seq, const char *fmt, ...)
{
	struct check_violation *v;
	size_t pos;
	va_list ap;

	cx->out->total++;
	cx->out->per_check[cx->cur]++;

	pos = cx->npend;
	while (pos > 0 && check_pend_after(cx, pos - 1, height, replica, seq))
		pos--;
	if (pos >= cx->room)
		return;
	if (cx->npend == cx->room)
		cx->npend--; /* the last one no longer makes the cut */
	memmove(&cx->pend[pos + 1], &cx->pend[pos],
		(cx->npend - pos) * sizeof cx->pend[0]);
	memmove(&cx->pend_seq[pos + 1], &cx->pend_seq[pos],
		(cx->npend - pos) * sizeof cx->pend_seq[0]);
	cx->npend++;

	v = &cx->pend[pos];
	memset(v, 0, sizeof *v);
	v->check = cx->cur;
	v->replica = replica;
	v->height = height;
	cx->pend_seq[pos] = seq;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof v->detail, fmt, ap);
	va_end(ap);
}

/* Move the running checker's kept violations to the result. */
static void check_flush(struct check_ctx *cx)
{
	struct check_result *out = cx->out;

	memcpy(&out->v[out->kept], cx->pend, cx->npend * sizeof cx->pend[0]);
	out->kept += cx->npend;
	cx->npend = 0;
}

/* The first 4 bytes of a digest in hex, enough to tell digests apart in a
 * line for people. */
static void check_hex(char out[9], const uint8_t *d)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 4; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[8] = '\0';
}

/* Where the end of the run falls relative to a deadline, in words. */
static const char *check_when(uint64_t end, uint64_t deadline)
{
	if (end < deadline)
		return "before";
	return end == deadline ? "at" : "after";
}

static const struct trace_commit *check_commit(const struct check_ctx *cx,
					       const struct check_key *k)
{
	return &cx->log->commits[k->idx];
}

static bool check_same_request(const struct trace_commit *x,
			       const struct trace_commit *y)
{
	return x->c.client == y->c.client && x->c.timestamp == y->c.timestamp &&
	       memcmp(x->c.request_digest, y->c.request_digest,
		      BYZ_DIGEST_BYTES) == 0;
}

static bool check_same_state(const struct trace_commit *x,
			     const struct trace_commit *y)
{
	return memcmp(x->c.state_digest, y->c.state_digest, BYZ_DIGEST_BYTES) ==
	       0;
}

/*
 * For each height, find the first pair of commits by two different honest
 * replicas that are not same(), in (replica, position) order, and pass it to
 * found(c, other): c is the later of the two in that order. A replica that
 * committed one height twice does not conflict with itself here (that is
 * the prefix checker's finding), but each of its commits is compared with
 * the other replicas'.
 *
 * Why one scan is enough: keys are sorted by (height, replica, position), so
 * the first replica's commits (ref is its first) come first. A commit c of
 * another replica conflicts with something before it iff it differs from
 * ref, or it equals ref and the first replica also committed something
 * else (alt); any earlier commit of a third replica that differed from ref
 * would already have been reported.
 */
static void check_heights(
    struct check_ctx *cx, const struct check_key *k, size_t nkeys,
    bool (*same)(const struct trace_commit *, const struct trace_commit *),
    void (*found)(struct check_ctx *, const struct trace_commit *,
		  const struct trace_commit *))
{
	size_t i = 0, j;

	while (i < nkeys) {
		const struct trace_commit *ref = check_commit(cx, &k[i]);
		const struct trace_commit *alt = NULL;
		bool reported = false;

		for (j = i + 1; j < nkeys && k[j].a == k[i].a; j++) {
			const struct trace_commit *c = check_commit(cx, &k[j]);

			if (reported)
				continue;
			if (c->replica == ref->replica) {
				if (!alt && !same(c, ref))
					alt = c;
			} else if (!same(c, ref)) {
				found(cx, c, ref);
				reported = true;
			} else if (alt) {
				found(cx, c, alt);
				reported = true;
			}
		}
		i = j;
	}
}

static void check_agreement_found(struct check_ctx *cx,
				  const struct trace_commit *c,
				  const struct trace_commit *o)
{
	char hc[9], ho[9];

	check_hex(hc, c->c.request_digest);
	check_hex(ho, o->c.request_digest);
	check_report(cx, c->replica, c->c.height, 0,
		     "height %" PRIu64 ": replica %" PRIu32
		     " committed c%" PRIu32 "/t%" PRIu64
		     " (digest %s) but replica %" PRIu32 " committed c%" PRIu32
		     "/t%" PRIu64 " (digest %s)",
		     c->c.height, c->replica, c->c.client, c->c.timestamp, hc,
		     o->replica, o->c.client, o->c.timestamp, ho);
}

static void check_digests_found(struct check_ctx *cx,
				const struct trace_commit *c,
				const struct trace_commit *o)
{
	char hc[9], ho[9];

	check_hex(hc, c->c.state_digest);
	check_hex(ho, o->c.state_digest);
	check_report(cx, c->replica, c->c.height, 0,
		     "height %" PRIu64 ": replica %" PRIu32
		     " has state digest %s but replica %" PRIu32 " has %s",
		     c->c.height, c->replica, hc, o->replica, ho);
}

/* Agreement: at each height, all honest replicas committed one request.
 * A state transfer carries no request, so it takes no part. */
static void check_agreement(struct check_ctx *cx)
{
	check_heights(cx, cx->req_by_height, cx->nreq, check_same_request,
		      check_agreement_found);
}

/* Digests: at each height, all honest replicas have one state digest,
 * whether they executed their way there or received the state. */
static void check_digests(struct check_ctx *cx)
{
	check_heights(cx, cx->by_height, cx->nhonest, check_same_state,
		      check_digests_found);
}

/*
 * Prefix: each honest replica's heights, in log order, are 1, 2, 3, ...
 * The expected height is always one above the highest committed so far.
 * After a gap it resumes above the commit that jumped, so one gap is one
 * violation; a repeat or a step back leaves it where it was, so every
 * commit at or below the highest height is one violation.
 */
static void check_prefix(struct check_ctx *cx)
{
	const struct trace_log *log = cx->log;
	uint64_t next[BYZ_MAX_N], last[BYZ_MAX_N];

	for (size_t r = 0; r < BYZ_MAX_N; r++) {
		next[r] = 1;
		last[r] = 0;
	}
	for (size_t i = 0; i < log->ncommits; i++) {
		const struct trace_commit *c = &log->commits[i];
		uint32_t r = c->replica;
		uint64_t h = c->c.height;

		if (!check_honest(log, r))
			continue;
		if (c->c.restored && h + 1 >= next[r]) {
			/* A state transfer moves the log forward to h. */
			next[r] = h + 1;
		} else if (h == next[r] && !c->c.restored) {
			next[r]++;
		} else if (c->c.restored) {
			check_report(cx, r, h, i,
				     "replica %" PRIu32
				     " received the state at height %" PRIu64
				     " after committing height %" PRIu64
				     ": its log went back",
				     r, h, next[r] - 1);
		} else if (h == 0) {
			check_report(cx, r, h, i,
				     "replica %" PRIu32 " committed height 0"
				     " (heights start at 1)",
				     r);
		} else if (h > next[r]) {
			check_report(cx, r, h, i,
				     "replica %" PRIu32
				     " committed height %" PRIu64
				     " but expected %" PRIu64 ": a gap",
				     r, h, next[r]);
			next[r] = h + 1;
		} else if (h == last[r]) {
			check_report(cx, r, h, i,
				     "replica %" PRIu32
				     " committed height %" PRIu64
				     " twice in a row (expected %" PRIu64 ")",
				     r, h, next[r]);
		} else if (h < last[r]) {
			check_report(
			    cx, r, h, i,
			    "replica %" PRIu32 " went back from height %" PRIu64
			    " to height %" PRIu64 " (expected %" PRIu64 ")",
			    r, last[r], h, next[r]);
		} else {
			check_report(cx, r, h, i,
				     "replica %" PRIu32
				     " committed height %" PRIu64
				     " after height %" PRIu64
				     ", below its highest height %" PRIu64
				     " (expected %" PRIu64 ")",
				     r, h, last[r], next[r] - 1, next[r]);
		}
		last[r] = h;
	}
}

/* Validity: each honest commit is a submitted (client, timestamp, op). */
static void check_validity(struct check_ctx *cx)
{
	const struct trace_log *log = cx->log;
	const struct check_key *sk = cx->submits;
	size_t ns = log->nsubmits;

	for (size_t i = 0; i < log->ncommits; i++) {
		const struct trace_commit *c = &log->commits[i];
		const struct trace_submit *first = NULL;
		bool ok = false;
		char hc[9], hs[9];
		size_t j;

		if (!check_honest(log, c->replica) || c->c.restored)
			continue;
		j = check_lower_bound(sk, ns, c->c.client, c->c.timestamp);
		for (; !ok && j < ns && sk[j].a == c->c.client &&
		       sk[j].b == c->c.timestamp;
		     j++) {
			const struct trace_submit *s = &log->submits[sk[j].idx];

			ok = memcmp(s->request_digest, c->c.request_digest,
				    BYZ_DIGEST_BYTES) == 0;
			if (!first)
				first = s;
		}
		if (ok)
			continue;
		check_hex(hc, c->c.request_digest);
		if (!first) {
			check_report(cx, c->replica, c->c.height, i,
				     "replica %" PRIu32 " committed c%" PRIu32
				     "/t%" PRIu64 " at height %" PRIu64
				     ", never submitted",
				     c->replica, c->c.client, c->c.timestamp,
				     c->c.height);
		} else {
			check_hex(hs, first->request_digest);
			check_report(cx, c->replica, c->c.height, i,
				     "replica %" PRIu32 " committed c%" PRIu32
				     "/t%" PRIu64 " at height %" PRIu64
				     " with digest %s: the digest differs from"
				     " the submitted op (%s)",
				     c->replica, c->c.client, c->c.timestamp,
				     c->c.height, hc, hs);
		}
	}
}

/* No-duplicate: each honest replica commits a (client, timestamp) once;
 * every commit after the first of one is a violation. */
static void check_no_duplicate(struct check_ctx *cx)
{
	const struct check_key *k = cx->by_request;
	size_t f = 0; /* the first key of the current (replica, request) */

	for (size_t i = 1; i < cx->nreq; i++) {
		const struct trace_commit *c, *first;

		if (k[i].a != k[f].a || k[i].b != k[f].b) {
			f = i;
			continue;
		}
		c = check_commit(cx, &k[i]);
		first = check_commit(cx, &k[f]);
		check_report(cx, c->replica, c->c.height, k[i].idx,
			     "replica %" PRIu32 " committed c%" PRIu32
			     "/t%" PRIu64 " again at height %" PRIu64
			     " (first at height %" PRIu64 ")",
			     c->replica, c->c.client, c->c.timestamp,
			     c->c.height, first->c.height);
	}
}

/*
 * A replica that received the state at height H (a state transfer) holds
 * every request other honest replicas committed at or below H, from the
 * time of the transfer. Return whichever of best and such a transfer came
 * first.
 */
static const struct trace_commit *
check_via_restore(const struct check_ctx *cx, uint32_t r,
		  const struct trace_submit *s, const struct trace_commit *best)
{
	const struct trace_log *log = cx->log;
	uint64_t h = UINT64_MAX;
	size_t j;

	/* Most replicas never receive a state: answer them at once. */
	j = check_lower_bound(cx->restores, cx->nrestores, r, 0);
	if (j == cx->nrestores || cx->restores[j].a != r)
		return best;
	j = check_lower_bound(cx->by_client_ts, cx->nreq, s->client,
			      s->timestamp);
	for (; j < cx->nreq && cx->by_client_ts[j].a == s->client &&
	       cx->by_client_ts[j].b == s->timestamp;
	     j++) {
		const struct trace_commit *c =
		    &log->commits[cx->by_client_ts[j].idx];
		if (c->c.height < h)
			h = c->c.height;
	}
	if (h == UINT64_MAX)
		return best;
	j = check_lower_bound(cx->restores, cx->nrestores, r, 0);
	for (; j < cx->nrestores && cx->restores[j].a == r; j++) {
		const struct trace_commit *c =
		    &log->commits[cx->restores[j].idx];
		if (c->c.height >= h && (!best || c->t < best->t))
			return c;
	}
	return best;
}

/*
 * Liveness: each submit is committed at each honest replica that is up at
 * the end, by max(submit time, GST) + bound. The earliest commit of the
 * (client, timestamp) counts. A missing commit is a violation even if the
 * run ended before the deadline: the harness must run long enough.
 */
/*
 * progress (issue #11 item 3): after GST a view led by an honest replica
 * completes without a timeout. The liveness bound only sees a run that
 * stalls; a protocol that wastes views (a leader that waits for its
 * timer, a rule that refuses an honest proposal) still commits within it.
 * A view is judged when its leader and the leader of the view before
 * are honest (a Byzantine leader may leave the next one without the
 * certificate it needs: an equivocation splits the votes) and every
 * honest replica up at the end entered it in step (struct byz_view: not by a
 * timeout certificate or a join, not on a restart) at or after GST: the view
 * before completed, the messages are timely, and its leader gets what it
 * needs within a few message delays, far inside any view timeout. Then no
 * honest replica may give it up. (Views entered out of step are not
 * judged: the pacemaker is still bringing the replicas together, and a
 * view can be lost to one replica's earlier timeout without any rule
 * being broken.)
 */
static int check_cmp_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

static bool check_judged(const uint64_t *keys, size_t k, uint64_t view,
			 uint32_t need)
{
	/* keys: (view, replica) pairs sorted by view, then replica. */
	size_t lo = 0, hi = k;
	uint32_t count = 0;
	uint64_t last = UINT64_MAX;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keys[2 * mid] < view)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < k && keys[2 * lo] == view; lo++)
		if (keys[2 * lo + 1] != last) {
			last = keys[2 * lo + 1];
			count++;
		}
	return count >= need;
}

/* Whether the leader of the view before v is honest: the highest view
 * below v that a view line names (v - 1 in a protocol whose views count
 * one by one; the last round of the height before in one that numbers
 * views by height and round, or the last term that had a leader); false
 * if no line names one. */
static bool check_prev_honest(const struct trace_log *log, uint64_t v)
{
	const struct byz_view *best = NULL;

	/* The newest line of the highest such view wins, as before. */
	for (size_t i = log->nviews;
	     i-- > 0 && !(best && best->view == v - 1);) {
		const struct byz_view *w = &log->views[i].v;
		if (w->view < v && (!best || w->view > best->view))
			best = w;
	}
	return best && best->leader < log->n && check_honest(log, best->leader);
}

static void check_progress(struct check_ctx *cx)
{
	const struct trace_log *log = cx->log;
	uint64_t *keys;
	size_t k = 0, reported = 0;
	uint32_t need = 0;

	for (uint32_t r = 0; r < log->n && r < BYZ_MAX_N; r++)
		need += check_honest(log, r) && !log->down_at_end[r];
	if (!need || !log->nviews ||
	    !(keys = malloc(2 * log->nviews * sizeof *keys)))
		return; /* out of memory: not judged */
	for (size_t i = 0; i < log->nviews; i++) {
		const struct trace_view *v = &log->views[i];
		if (v->v.gave_up || v->v.late || v->t < log->gst_us ||
		    v->replica >= log->n || !check_honest(log, v->replica) ||
		    log->down_at_end[v->replica])
			continue;
		keys[2 * k] = v->v.view;
		keys[2 * k + 1] = v->replica;
		k++;
	}
	qsort(keys, k, 2 * sizeof *keys, check_cmp_pair);
	for (size_t i = 0; i < log->nviews; i++) {
		const struct trace_view *v = &log->views[i];
		uint32_t r = v->replica, L = v->v.leader;

		if (!v->v.gave_up || v->t < log->gst_us || r >= log->n ||
		    !check_honest(log, r) || L >= log->n ||
		    !check_honest(log, L) || !v->v.view ||
		    !check_prev_honest(log, v->v.view) ||
		    !check_judged(keys, k, v->v.view, need))
			continue;
		/* A few say it; more would crowd the verdict's checkers out
		 * of the kept violations (the count stops there too). */
		if (++reported > CHECK_KEEP / 4)
			break;
		check_report(cx, r, 0, i,
			     "replica %" PRIu32 " gave up view %" PRIu64
			     ", led by honest replica %" PRIu32
			     ", at t=%" PRIu64
			     ", though every honest replica had entered it "
			     "in step after GST (t=%" PRIu64 ")",
			     r, v->v.view, L, v->t, log->gst_us);
	}
	free(keys);
}

static void check_liveness(struct check_ctx *cx)
{
	const struct trace_log *log = cx->log;
	const struct check_key *k = cx->by_request;

	for (uint32_t r = 0; r < log->n && r < BYZ_MAX_N; r++) {
		if (!check_honest(log, r) || log->down_at_end[r])
			continue;
		for (size_t i = 0; i < log->nsubmits; i++) {
			const struct trace_submit *s = &log->submits[i];
			const struct trace_commit *best = NULL;
			uint64_t a = (uint64_t)r << 32 | s->client;
			uint64_t base, deadline;
			size_t j;

			base = s->t > log->gst_us ? s->t : log->gst_us;
			deadline = base + cx->bound_us;
			if (deadline < base)
				deadline = UINT64_MAX;
			j = check_lower_bound(k, cx->nreq, a, s->timestamp);
			for (; j < cx->nreq && k[j].a == a &&
			       k[j].b == s->timestamp;
			     j++) {
				const struct trace_commit *c =
				    check_commit(cx, &k[j]);

				if (!best || c->t < best->t)
					best = c;
			}
			best = check_via_restore(cx, r, s, best);
			if (!best) {
				check_report(cx, r, 0, i,
					     "replica %" PRIu32 ": c%" PRIu32
					     "/t%" PRIu64
					     " (submitted at t=%" PRIu64
					     ") not committed by t=%" PRIu64
					     "; the run ended at t=%" PRIu64
					     ", %s the deadline",
					     r, s->client, s->timestamp, s->t,
					     deadline, log->end_us,
					     check_when(log->end_us, deadline));
			} else if (best->t > deadline) {
				check_report(
				    cx, r, best->c.height, i,
				    "replica %" PRIu32 ": c%" PRIu32
				    "/t%" PRIu64 " (submitted at t=%" PRIu64
				    ") committed at height %" PRIu64
				    " at t=%" PRIu64 ", %" PRIu64
				    " us after the deadline t=%" PRIu64,
				    r, s->client, s->timestamp, s->t,
				    best->c.height, best->t, best->t - deadline,
				    deadline);
			}
		}
	}
}

/*
 * Build the sorted key arrays the checkers in mask need. Returns 0 or
 * BYZ_ENOMEM; what was allocated is freed by the caller either way.
 */
static int check_prepare(struct check_ctx *cx, unsigned mask)
{
	const struct trace_log *log = cx->log;
	bool want_height = mask & (1u << CHECK_AGREEMENT | 1u << CHECK_DIGESTS);
	bool want_request =
	    mask & (1u << CHECK_NO_DUPLICATE | 1u << CHECK_LIVENESS);
	size_t m = 0;

	for (size_t i = 0; i < log->ncommits; i++)
		m += check_honest(log, log->commits[i].replica);
	cx->nhonest = m;

	if (want_height) {
		cx->by_height = malloc((m ? m : 1) * sizeof *cx->by_height);
		if (!cx->by_height)
			return BYZ_ENOMEM;
	}
	if (want_request) {
		cx->by_request = malloc((m ? m : 1) * sizeof *cx->by_request);
		if (!cx->by_request)
			return BYZ_ENOMEM;
	}
	m = 0;
	for (size_t i = 0; i < log->ncommits && (want_height || want_request);
	     i++) {
		const struct trace_commit *c = &log->commits[i];

		if (!check_honest(log, c->replica))
			continue;
		if (want_height)
			cx->by_height[m] = (struct check_key){
			    .a = c->c.height, .b = c->replica, .idx = i};
		m++;
	}
	if (want_height)
		qsort(cx->by_height, m, sizeof *cx->by_height, check_key_cmp);

	/* The same, for commits of requests only (not state transfers). */
	m = cx->nhonest;
	cx->req_by_height = malloc((m ? m : 1) * sizeof *cx->req_by_height);
	cx->by_client_ts = malloc((m ? m : 1) * sizeof *cx->by_client_ts);
	if (!cx->req_by_height || !cx->by_client_ts)
		return BYZ_ENOMEM;
	m = 0;
	for (size_t i = 0; i < log->ncommits; i++) {
		const struct trace_commit *c = &log->commits[i];

		if (!check_honest(log, c->replica) || c->c.restored)
			continue;
		if (want_request)
			cx->by_request[m] = (struct check_key){
			    .a = (uint64_t)c->replica << 32 | c->c.client,
			    .b = c->c.timestamp,
			    .idx = i};
		cx->req_by_height[m] = (struct check_key){
		    .a = c->c.height, .b = c->replica, .idx = i};
		cx->by_client_ts[m] = (struct check_key){
		    .a = c->c.client, .b = c->c.timestamp, .idx = i};
		m++;
	}
	cx->nreq = m;
	cx->restores = malloc((cx->nhonest - m + 1) * sizeof *cx->restores);
	if (!cx->restores)
		return BYZ_ENOMEM;
	for (size_t i = 0; i < log->ncommits; i++) {
		const struct trace_commit *c = &log->commits[i];
		if (check_honest(log, c->replica) && c->c.restored)
			cx->restores[cx->nrestores++] = (struct check_key){
			    .a = c->replica, .b = i, .idx = i};
	}
	qsort(cx->restores, cx->nrestores, sizeof *cx->restores, check_key_cmp);
	qsort(cx->req_by_height, m, sizeof *cx->req_by_height, check_key_cmp);
	qsort(cx->by_client_ts, m, sizeof *cx->by_client_ts, check_key_cmp);
	if (want_request)
		qsort(cx->by_request, m, sizeof *cx->by_request, check_key_cmp);

	if (mask & 1u << CHECK_VALIDITY) {
		size_t ns = log->nsubmits;

		cx->submits = malloc((ns ? ns : 1) * sizeof *cx->submits);
		if (!cx->submits)
			return BYZ_ENOMEM;
		for (size_t i = 0; i < ns; i++)
			cx->submits[i] =
			    (struct check_key){.a = log->submits[i].client,
					       .b = log->submits[i].timestamp,
					       .idx = i};
		qsort(cx->submits, ns, sizeof *cx->submits, check_key_cmp);
	}
	return 0;
}

/* vote-once, certificates, new-view, lock and decide: the fault lines of honest
 * replicas (lib/audit.h judged their outputs as they were sent). */
static void check_faults(struct check_ctx *cx, enum trace_rule rule)
{
	for (size_t i = 0; i < cx->log->nfaults; i++) {
		const struct trace_fault *f = &cx->log->faults[i];
		if (f->rule == rule && check_honest(cx->log, f->replica))
			check_report(cx, f->replica, 0, i, "%s", f->text);
	}
}

static void check_vote_once(struct check_ctx *cx)
{
	check_faults(cx, TRACE_RULE_VOTE_ONCE);
}

static void check_certificates(struct check_ctx *cx)
{
	check_faults(cx, TRACE_RULE_CERTIFICATE);
}

static void check_new_view(struct check_ctx *cx)
{
	check_faults(cx, TRACE_RULE_NEW_VIEW);
}

static void check_lock(struct check_ctx *cx)
{
	check_faults(cx, TRACE_RULE_LOCK);
}

static void check_decide(struct check_ctx *cx)
{
	check_faults(cx, TRACE_RULE_DECIDE);
}

/* causality (lib/causal.h): receipts before their sends, and commits of
 * honest replicas without the quorum that justifies them before them. */
static void check_causality(struct check_ctx *cx)
{
	const struct trace_log *log = cx->log;

	for (size_t i = 0; i < log->ncausal; i++) {
		const struct trace_causal *v = &log->causal[i];
		if (v->replica == UINT32_MAX || check_honest(log, v->replica))
			check_report(cx, v->replica, v->height, i, "%s",
				     v->text);
	}
	if (log->causal_more)
		check_report(cx, UINT32_MAX, 0, log->ncausal,
			     "%zu more causality violation(s) not kept",
			     log->causal_more);
}

static void (*const check_fns[CHECK_COUNT])(struct check_ctx *) = {
    [CHECK_AGREEMENT] = check_agreement,
    [CHECK_PREFIX] = check_prefix,
    [CHECK_VALIDITY] = check_validity,
    [CHECK_NO_DUPLICATE] = check_no_duplicate,
    [CHECK_DIGESTS] = check_digests,
    [CHECK_VOTE_ONCE] = check_vote_once,
    [CHECK_CERTIFICATES] = check_certificates,
    [CHECK_NEW_VIEW] = check_new_view,
    [CHECK_LOCK] = check_lock,
    [CHECK_DECIDE] = check_decide,
    [CHECK_CAUSALITY] = check_causality,
    [CHECK_PROGRESS] = check_progress,
    [CHECK_LIVENESS] = check_liveness,
};

/*
 * Run the checkers in mask, in check_id order, so the kept violations come
 * out in (checker, height, replica) order. The temporary key arrays are
 * freed before returning; on BYZ_ENOMEM *out is left empty.
 */
int check_run(const struct trace_log *log, unsigned mask,
	      uint64_t liveness_bound_us, struct check_result *out)
{
	struct check_ctx cx;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&cx, 0, sizeof cx);
	cx.log = log;
	cx.bound_us = liveness_bound_us;
	cx.out = out;

	rc = check_prepare(&cx, mask);
	if (rc)
		goto out;
	for (int id = 0; id < CHECK_COUNT; id++) {
		if (!(mask & 1u << id))
			continue;
		cx.cur = (enum check_id)id;
		cx.room = CHECK_KEEP - out->kept;
		check_fns[id](&cx);
		check_flush(&cx);
	}
out:
	free(cx.by_height);
	free(cx.by_request);
	free(cx.submits);
	free(cx.req_by_height);
	free(cx.by_client_ts);
	free(cx.restores);
	return rc;
}
