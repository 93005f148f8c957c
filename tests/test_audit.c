/*
 * test_audit.c - the output rules' watch (lib/audit.h) and the mutants
 * that break the rules it watches (issue #11): each oracle fires on a
 * planted mistake, and stays quiet on the protocols as they are.
 */
#include "audit.h"
#include "check.h"
#include "hotstuff/hs_wire.h"
#include "err.h"
#include "pbft/pbft.h"
#include "scenario.h"
#include "scenario_io.h"
#include "trace.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SEED 7

static void setup(void)
{
	cr_assert_eq(byz_crypto_init(), 0);
}

TestSuite(audit, .init = setup);

/* Frames signed by replica `id`, kept in one arena per test. */
static uint8_t arena[1 << 20];
static size_t used;

struct fr {
	const uint8_t *p;
	size_t len;
};

static struct fr sign_as(struct wire_buf *b, size_t start, enum byz_role role,
			 uint32_t id)
{
	struct byz_keypair kp;
	struct fr f;

	byz_key_derive(&kp, SEED, role, id);
	cr_assert_eq(wire_sign(b, start, &kp), 0);
	cr_assert_lt(used + (b->len - start), sizeof arena);
	memcpy(arena + used, b->data + start, b->len - start);
	f.p = arena + used;
	f.len = b->len - start;
	used += f.len;
	wire_buf_reset(b);
	return f;
}

static struct fr sign_last(struct wire_buf *b, size_t start, uint32_t id)
{
	return sign_as(b, start, BYZ_ROLE_REPLICA, id);
}

static struct byz_config cfg4(void)
{
	return (struct byz_config){.n = 4,
				   .f = 1,
				   .max_clients = 4,
				   .batch = 1,
				   .window = 16,
				   .checkpoint_interval = 4,
				   .timeout_us = 20000};
}

struct watch {
	struct trace tr;
	struct audit *a;
};

static void watch_open(struct watch *w, const char *protocol)
{
	struct byz_config c = cfg4();

	trace_init(&w->tr, 4, 1, NULL);
	cr_assert_eq(audit_new(byz_core_find(protocol), &c, &w->a), 0);
	cr_assert_not_null(w->a);
}

static void watch_close(struct watch *w)
{
	audit_free(&w->a);
	trace_free(&w->tr);
	used = 0;
}

static size_t faults(const struct watch *w, enum trace_rule rule)
{
	size_t k = 0;

	for (size_t i = 0; i < w->tr.log.nfaults; i++)
		k += w->tr.log.faults[i].rule == rule;
	return k;
}

static void send(struct watch *w, uint32_t r, struct fr f)
{
	audit_output(w->a, &w->tr, 1000, r, f.p, f.len);
}

static struct fr pbft_vote(struct wire_buf *b, uint8_t type, uint32_t r,
			   uint64_t view, uint64_t seq, uint8_t fillbyte)
{
	uint8_t d[BYZ_DIGEST_BYTES];
	size_t s;

	memset(d, fillbyte, sizeof d);
	cr_assert_eq(pbft_enc_vote(b, &s, type, r, view, seq, d), 0);
	return sign_last(b, s, r);
}

/* An honest replica says each PREPARE, COMMIT, PRE-PREPARE, CHECKPOINT
 * once: the same again is fine, another digest for the same slot is a
 * vote-once fault, another view or kind is another slot. */
Test(audit, pbft_a_second_vote_for_one_slot_is_a_fault)
{
	struct watch w;
	struct wire_buf b;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	watch_open(&w, "pbft");
	send(&w, 1, pbft_vote(&b, PBFT_PREPARE, 1, 0, 1, 0xaa));
	send(&w, 1, pbft_vote(&b, PBFT_PREPARE, 1, 0, 1, 0xaa));
	send(&w, 1, pbft_vote(&b, PBFT_COMMIT, 1, 0, 1, 0xbb));
	send(&w, 1, pbft_vote(&b, PBFT_PREPARE, 1, 1, 1, 0xbb));
	send(&w, 2, pbft_vote(&b, PBFT_PREPARE, 2, 0, 1, 0xbb));
	cr_assert_eq(w.tr.log.nfaults, 0, "%s",
		     w.tr.log.nfaults ? w.tr.log.faults[0].text : "");
	send(&w, 1, pbft_vote(&b, PBFT_PREPARE, 1, 0, 1, 0xbb));
	cr_assert_eq(faults(&w, TRACE_RULE_VOTE_ONCE), 1);
	cr_assert_eq(w.tr.log.faults[0].replica, 1);
	cr_assert_str_eq(w.tr.log.faults[0].text,
			 "replica 1 sent two pbft/prepare for view 0 slot 1: "
			 "aaaaaaaa, then bbbbbbbb");
	/* Restarted without its state: it may say anything again. */
	audit_forget(w.a, 1);
	send(&w, 1, pbft_vote(&b, PBFT_PREPARE, 1, 0, 1, 0xcc));
	cr_assert_eq(w.tr.log.nfaults, 1);
	watch_close(&w);
	wire_buf_free(&b);
}

/* A VIEW-CHANGE whose prepared certificate holds `k` PREPAREs from the
 * replicas in from[]. */
static struct fr viewchange(struct wire_buf *b, const uint32_t *from, size_t k)
{
	const uint8_t *pf[8];
	size_t pl[8], s;
	struct fr pp, prep[8];
	struct wire_msg m;
	uint8_t d[BYZ_DIGEST_BYTES];

	cr_assert_eq(pbft_enc_preprepare(b, &s, 0, 0, 1,
					 (struct pbft_framev){NULL, NULL, 0}),
		     0);
	pp = sign_last(b, s, 0);
	cr_assert_eq(wire_decode(pp.p, pp.len, &m), 0);
	pbft_batch_digest(&pbft_of(&m)->pp, d);
	for (size_t i = 0; i < k; i++) {
		cr_assert_eq(
		    pbft_enc_vote(b, &s, PBFT_PREPARE, from[i], 0, 1, d), 0);
		prep[i] = sign_last(b, s, from[i]);
		pf[i] = prep[i].p;
		pl[i] = prep[i].len;
	}
	cr_assert_eq(
	    pbft_enc_viewchange_begin(b, &s, 2, 1, 0, d,
				      (struct pbft_framev){NULL, NULL, 0}, 1),
	    0);
	pbft_enc_pset_entry(b, pp.p, pp.len, (struct pbft_framev){pf, pl, k});
	cr_assert_eq(pbft_enc_end(b, s), 0);
	return sign_last(b, s, 2);
}

/* OSDI'99 §4.4: each prepared certificate of a VIEW-CHANGE holds the
 * pre-prepare and 2f PREPAREs from distinct backups. */
Test(audit, pbft_a_view_change_with_a_short_certificate_is_a_fault)
{
	static const uint32_t two[] = {1, 2}, one[] = {1}, twice[] = {1, 1};
	struct watch w;
	struct wire_buf b;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	watch_open(&w, "pbft");
	send(&w, 2, viewchange(&b, two, 2));
	cr_assert_eq(w.tr.log.nfaults, 0, "%s",
		     w.tr.log.nfaults ? w.tr.log.faults[0].text : "");
	send(&w, 2, viewchange(&b, one, 1));
	send(&w, 2, viewchange(&b, twice, 2));
	cr_assert_eq(faults(&w, TRACE_RULE_CERTIFICATE), 2);
	cr_assert_str_eq(w.tr.log.faults[0].text,
			 "replica 2 sent pbft/view-change with a prepared "
			 "certificate with fewer than 2f PREPAREs");
	cr_assert_str_eq(w.tr.log.faults[1].text,
			 "replica 2 sent pbft/view-change with a repeated or "
			 "unknown signer");
	watch_close(&w);
	wire_buf_free(&b);
}

/* ---- the new-view rule: O is the one V prescribes (OSDI'99 §4.4) ---- */

/* A PRE-PREPARE from `from` for (view, seq) whose batch is client 1's
 * request `ts`, or the null request (an empty batch) for ts 0. */
static struct fr preprepare(struct wire_buf *b, uint32_t from, uint64_t view,
			    uint64_t seq, uint64_t ts)
{
	const uint8_t *rf[1] = {NULL};
	size_t rl[1] = {0}, s;

	if (ts) {
		char op[32];
		int k = snprintf(op, sizeof op, "put k1 v%" PRIu64, ts);
		struct fr req;
		cr_assert_eq(wire_enc_request(b, &s, 1, ts, (const uint8_t *)op,
					      (size_t)k),
			     0);
		req = sign_as(b, s, BYZ_ROLE_CLIENT, 1);
		rf[0] = req.p;
		rl[0] = req.len;
	}
	cr_assert_eq(
	    pbft_enc_preprepare(b, &s, from, view, seq,
				(struct pbft_framev){rf, rl, ts ? 1 : 0}),
	    0);
	return sign_last(b, s, from);
}

/* A prepared certificate: (view, seq) with client 1's request ts. */
struct pc {
	uint64_t view, seq, ts;
};

/* VIEW-CHANGE from `from` to `view`, stable at `stable` (its proof left
 * out: the new-view rule does not judge it), with the prepared
 * certificates pcs[0..k): each its primary's pre-prepare and 2f PREPAREs
 * from the next two replicas. */
static struct fr vc_with(struct wire_buf *b, uint32_t from, uint64_t view,
			 uint64_t stable, const struct pc *pcs, size_t k)
{
	struct fr pp[4], prep[4][2];
	const uint8_t *pf[4][2];
	size_t pl[4][2], s;
	uint8_t sd[BYZ_DIGEST_BYTES];

	cr_assert_leq(k, 4);
	for (size_t i = 0; i < k; i++) {
		uint32_t primary = (uint32_t)(pcs[i].view % 4);
		uint8_t d[BYZ_DIGEST_BYTES];
		struct wire_msg m;
		pp[i] =
		    preprepare(b, primary, pcs[i].view, pcs[i].seq, pcs[i].ts);
		cr_assert_eq(wire_decode(pp[i].p, pp[i].len, &m), 0);
		pbft_batch_digest(&pbft_of(&m)->pp, d);
		for (uint32_t j = 0; j < 2; j++) {
			uint32_t r = (primary + 1 + j) % 4;
			cr_assert_eq(pbft_enc_vote(b, &s, PBFT_PREPARE, r,
						   pcs[i].view, pcs[i].seq, d),
				     0);
			prep[i][j] = sign_last(b, s, r);
			pf[i][j] = prep[i][j].p;
			pl[i][j] = prep[i][j].len;
		}
	}
	memset(sd, 0x5a, sizeof sd);
	cr_assert_eq(pbft_enc_viewchange_begin(
			 b, &s, from, view, stable, sd,
			 (struct pbft_framev){NULL, NULL, 0}, (uint16_t)k),
		     0);
	for (size_t i = 0; i < k; i++)
		pbft_enc_pset_entry(b, pp[i].p, pp[i].len,
				    (struct pbft_framev){pf[i], pl[i], 2});
	cr_assert_eq(pbft_enc_end(b, s), 0);
	return sign_last(b, s, from);
}

/* NEW-VIEW from `from` for `view` citing vcs[0..nvc) by digest, with O:
 * a pre-prepare for each seqs[i] with client 1's request tss[i]. */
static struct fr newview(struct wire_buf *b, uint32_t from, uint64_t view,
			 const struct fr *vcs, size_t nvc, const uint64_t *seqs,
			 const uint64_t *tss, size_t no)
{
	uint32_t vs[4];
	uint8_t vd[4][BYZ_DIGEST_BYTES];
	const uint8_t *of[8];
	size_t ol[8], s;
	struct fr o[8];

	cr_assert(nvc <= 4 && no <= 8);
	for (size_t i = 0; i < nvc; i++) {
		struct wire_msg m;
		cr_assert_eq(wire_decode(vcs[i].p, vcs[i].len, &m), 0);
		vs[i] = m.frame.sender;
		byz_digest(vd[i], vcs[i].p, vcs[i].len);
	}
	for (size_t i = 0; i < no; i++) {
		o[i] = preprepare(b, from, view, seqs[i], tss[i]);
		of[i] = o[i].p;
		ol[i] = o[i].len;
	}
	cr_assert_eq(pbft_enc_newview(b, &s, from, view, vs,
				      (const uint8_t(*)[BYZ_DIGEST_BYTES])vd,
				      (uint16_t)nvc,
				      (struct pbft_framev){of, ol, no}),
		     0);
	return sign_last(b, s, from);
}

/* Honest replica r received f. */
static void got(struct watch *w, uint32_t r, struct fr f)
{
	struct wire_msg m;

	cr_assert_eq(wire_decode(f.p, f.len, &m), 0);
	audit_input(w->a, r, &m);
}

static const char *last_fault(const struct watch *w)
{
	return w->tr.log.nfaults ? w->tr.log.faults[w->tr.log.nfaults - 1].text
				 : "";
}

/* §4.4: for each number in (min-s, max-s], O carries the batch of the
 * prepared certificate of the highest view in V, or the null request.
 * Number 1 prepared in view 0 (request 1) and again in view 1 (request
 * 2): O takes request 2; number 2 prepared nowhere: the null request. */
Test(audit, pbft_new_view_o_takes_the_highest_view_certificate)
{
	static const struct pc low[] = {{0, 1, 1}},
			       high[] = {{1, 1, 2}, {1, 3, 3}};
	static const uint64_t s123[] = {1, 2, 3}, s132[] = {1, 3, 2},
			      s1234[] = {1, 2, 3, 4};
	struct watch w;
	struct wire_buf b;
	struct fr v[3];

	wire_buf_init(&b, WIRE_MAX_FRAME);
	watch_open(&w, "pbft");
	v[0] = vc_with(&b, 0, 2, 0, low, 1);
	v[1] = vc_with(&b, 1, 2, 0, high, 2);
	v[2] = vc_with(&b, 3, 2, 0, NULL, 0);
	got(&w, 2, v[0]);
	send(&w, 1, v[1]); /* its own: kept too */
	got(&w, 2, v[2]);
	send(&w, 2,
	     newview(&b, 2, 2, v, 3, s123, (const uint64_t[]){2, 0, 3}, 3));
	cr_assert_eq(w.tr.log.nfaults, 0, "%s", last_fault(&w));

	/* The lowest view's certificate for number 1. */
	send(&w, 2,
	     newview(&b, 2, 2, v, 3, s123, (const uint64_t[]){1, 0, 3}, 3));
	cr_assert_eq(faults(&w, TRACE_RULE_NEW_VIEW), 1);
	cr_assert_eq(w.tr.log.faults[0].replica, 2);
	cr_assert(
	    strstr(last_fault(&w),
		   "replica 2 sent pbft/new-view with O's number 1 batch "),
	    "%s", last_fault(&w));
	cr_assert(strstr(last_fault(&w), " of the prepared certificate of the "
					 "highest view in V (1)"),
		  "%s", last_fault(&w));
	/* A request where none prepared, not the null request. */
	send(&w, 2,
	     newview(&b, 2, 2, v, 3, s123, (const uint64_t[]){2, 1, 3}, 3));
	cr_assert_eq(faults(&w, TRACE_RULE_NEW_VIEW), 2);
	cr_assert(strstr(last_fault(&w), "with O's number 2 batch "), "%s",
		  last_fault(&w));
	cr_assert(strstr(last_fault(&w),
			 ", not the null request (none prepared in V)"),
		  "%s", last_fault(&w));
	/* Out of order, one short, one too many. */
	send(&w, 2,
	     newview(&b, 2, 2, v, 3, s132, (const uint64_t[]){2, 3, 0}, 3));
	cr_assert_str_eq(last_fault(&w),
			 "replica 2 sent pbft/new-view with O holding number 3 "
			 "where 2 was due (min-s 0, max-s 3)");
	send(&w, 2, newview(&b, 2, 2, v, 3, s123, (const uint64_t[]){2, 0}, 2));
	cr_assert_str_eq(last_fault(&w),
			 "replica 2 sent pbft/new-view with O ending at number "
			 "2, not at max-s 3 (min-s 0)");
	send(&w, 2,
	     newview(&b, 2, 2, v, 3, s1234, (const uint64_t[]){2, 0, 3, 0}, 4));
	cr_assert_str_eq(last_fault(&w),
			 "replica 2 sent pbft/new-view with O holding number 4 "
			 "above max-s 3 (min-s 0)");
	cr_assert_eq(faults(&w, TRACE_RULE_NEW_VIEW), 5);
	cr_assert_eq(faults(&w, TRACE_RULE_CERTIFICATE), 0, "%s",
		     w.tr.log.faults[0].text);
	watch_close(&w);
	wire_buf_free(&b);
}

/* §4.4's bounds: O starts above min-s, the latest stable checkpoint in
 * V (certificates at or below it are left out), and ends at max-s, the
 * highest number prepared in V; with nothing prepared above min-s, O is
 * empty. */
Test(audit, pbft_new_view_o_spans_min_s_to_max_s)
{
	static const struct pc r0[] = {{0, 6, 6}},
			       r2[] = {{0, 2, 2}, {0, 5, 5}};
	static const uint64_t s56[] = {5, 6}, s256[] = {2, 5, 6};
	struct watch w;
	struct wire_buf b;
	struct fr v[3], e[3];

	wire_buf_init(&b, WIRE_MAX_FRAME);
	watch_open(&w, "pbft");
	v[0] = vc_with(&b, 0, 1, 4, r0, 1);
	v[1] = vc_with(&b, 2, 1, 0, r2, 2);
	v[2] = vc_with(&b, 3, 1, 4, NULL, 0);
	for (int i = 0; i < 3; i++)
		got(&w, 1, v[i]);
	send(&w, 1, newview(&b, 1, 1, v, 3, s56, (const uint64_t[]){5, 6}, 2));
	cr_assert_eq(w.tr.log.nfaults, 0, "%s", last_fault(&w));
	send(&w, 1,
	     newview(&b, 1, 1, v, 3, s256, (const uint64_t[]){2, 5, 6}, 3));
	cr_assert_str_eq(last_fault(&w),
			 "replica 1 sent pbft/new-view with O holding number 2 "
			 "where 5 was due (min-s 4, max-s 6)");
	send(&w, 1, newview(&b, 1, 1, v, 3, s56, (const uint64_t[]){5}, 1));
	cr_assert_str_eq(last_fault(&w),
			 "replica 1 sent pbft/new-view with O ending at number "
			 "5, not at max-s 6 (min-s 4)");

	/* View 5 (primary 1): nothing prepared above min-s 4. */
	e[0] = vc_with(&b, 0, 5, 4, NULL, 0);
	e[1] = vc_with(&b, 2, 5, 0, r2, 1); /* number 2 only */
	e[2] = vc_with(&b, 3, 5, 4, NULL, 0);
	for (int i = 0; i < 3; i++)
		got(&w, 1, e[i]);
	send(&w, 1, newview(&b, 1, 5, e, 3, NULL, NULL, 0));
	cr_assert_eq(faults(&w, TRACE_RULE_NEW_VIEW), 2, "%s", last_fault(&w));
	send(&w, 1, newview(&b, 1, 5, e, 3, s56, (const uint64_t[]){0}, 1));
	cr_assert_str_eq(last_fault(&w),
			 "replica 1 sent pbft/new-view with O holding number 5 "
			 "above max-s 4 (min-s 4)");
	cr_assert_eq(faults(&w, TRACE_RULE_NEW_VIEW), 3);
	watch_close(&w);
	wire_buf_free(&b);
}

/* V is cited by digest: a view-change the audit never saw (or has let go
 * of: it keeps AUDIT_KEEP per sender) leaves the NEW-VIEW unjudged; one
 * for another view is a fault. */
Test(audit, pbft_new_view_judged_only_on_view_changes_it_holds)
{
	static const struct pc low[] = {{0, 1, 1}}, high[] = {{1, 1, 2}};
	static const uint64_t s1[] = {1};
	struct watch w;
	struct wire_buf b;
	struct fr v[3];

	wire_buf_init(&b, WIRE_MAX_FRAME);
	watch_open(&w, "pbft");
	v[0] = vc_with(&b, 0, 2, 0, low, 1);
	v[1] = vc_with(&b, 1, 2, 0, high, 1);
	v[2] = vc_with(&b, 3, 2, 0, NULL, 0);
	got(&w, 2, v[0]);
	got(&w, 2, v[2]);
	/* v[1] unseen: the wrong O is not judged. */
	send(&w, 2, newview(&b, 2, 2, v, 3, s1, (const uint64_t[]){1}, 1));
	cr_assert_eq(w.tr.log.nfaults, 0, "%s", last_fault(&w));
	got(&w, 2, v[1]);
	send(&w, 2, newview(&b, 2, 2, v, 3, s1, (const uint64_t[]){1}, 1));
	cr_assert_eq(faults(&w, TRACE_RULE_NEW_VIEW), 1);
	/* Replica 1 sends AUDIT_KEEP more: v[1] is let go. */
	for (uint64_t k = 0; k < AUDIT_KEEP; k++)
		got(&w, 2, vc_with(&b, 1, 3 + k, 0, NULL, 0));
	send(&w, 2, newview(&b, 2, 2, v, 3, s1, (const uint64_t[]){1}, 1));
	cr_assert_eq(faults(&w, TRACE_RULE_NEW_VIEW), 1);
	/* A view-change for view 3 in V for view 2. */
	v[1] = vc_with(&b, 1, 3, 0, high, 1);
	got(&w, 2, v[1]);
	send(&w, 2, newview(&b, 2, 2, v, 3, s1, (const uint64_t[]){2}, 1));
	cr_assert_str_eq(last_fault(&w),
			 "replica 2 sent pbft/new-view with V citing a "
			 "view-change of replica 1 for view 3");
	watch_close(&w);
	wire_buf_free(&b);
}

static struct fr hs_qc(struct wire_buf *b, uint64_t view, const uint8_t *hash,
		       const uint32_t *from, size_t k)
{
	const uint8_t *vf[8];
	size_t vl[8], s;
	struct fr v[8], q;

	for (size_t i = 0; i < k; i++) {
		cr_assert_eq(hs_enc_vote(b, &s, from[i], view, hash), 0);
		v[i] = sign_last(b, s, from[i]);
		vf[i] = v[i].p;
		vl[i] = v[i].len;
	}
	cr_assert_eq(hs_enc_qc(b, view, hash, (struct hs_framev){vf, vl, k}),
		     0);
	cr_assert_lt(used + b->len, sizeof arena);
	memcpy(arena + used, b->data, b->len);
	q.p = arena + used;
	q.len = b->len;
	used += b->len;
	wire_buf_reset(b);
	return q;
}

static struct fr hs_prop(struct wire_buf *b, uint32_t leader, uint64_t view,
			 struct fr qc, size_t nreq)
{
	size_t s;

	(void)nreq;
	cr_assert_eq(hs_enc_proposal(b, &s, leader, view, qc.p, qc.len,
				     (struct hs_framev){NULL, NULL, 0},
				     (struct hs_framev){NULL, NULL, 0}),
		     0);
	return sign_last(b, s, leader);
}

/* PODC'19 Alg. 2-4: a QC is 2f+1 votes from distinct replicas for its
 * view and block; a leader proposes once per view. */
Test(audit, hotstuff_short_or_repeated_qcs_and_two_proposals_are_faults)
{
	static const uint32_t q3[] = {0, 1, 2}, q2[] = {0, 1},
			      rep[] = {0, 1, 1};
	uint8_t h1[BYZ_DIGEST_BYTES];
	struct watch w;
	struct wire_buf b;
	struct fr good;

	memset(h1, 0x11, sizeof h1);
	wire_buf_init(&b, WIRE_MAX_FRAME);
	watch_open(&w, "hotstuff");
	good = hs_qc(&b, 1, h1, q3, 3);
	send(&w, 2, hs_prop(&b, 2, 2, good, 0));
	cr_assert_eq(w.tr.log.nfaults, 0, "%s",
		     w.tr.log.nfaults ? w.tr.log.faults[0].text : "");
	send(&w, 3, hs_prop(&b, 3, 3, hs_qc(&b, 1, h1, q2, 2), 0));
	send(&w, 3, hs_prop(&b, 3, 4, hs_qc(&b, 1, h1, rep, 3), 0));
	cr_assert_eq(faults(&w, TRACE_RULE_CERTIFICATE), 2);
	cr_assert_str_eq(w.tr.log.faults[0].text,
			 "replica 3 sent hotstuff/proposal with a QC with "
			 "fewer than 2f+1 votes");
	/* Another block for view 2 (its justify differs). */
	send(&w, 2,
	     hs_prop(&b, 2, 2, hs_qc(&b, 0, (uint8_t[32]){0}, NULL, 0), 0));
	cr_assert_eq(faults(&w, TRACE_RULE_VOTE_ONCE), 1);
	watch_close(&w);
	wire_buf_free(&b);
}

static void hs_hash(struct fr f, uint8_t h[BYZ_DIGEST_BYTES])
{
	struct wire_msg m;

	cr_assert_eq(wire_decode(f.p, f.len, &m), 0);
	hs_block_hash(&hs_of(&m)->prop, h);
}

static struct fr hs_vote_for(struct wire_buf *b, uint32_t r, uint64_t view,
			     const uint8_t *h)
{
	size_t s;

	cr_assert_eq(hs_enc_vote(b, &s, r, view, h), 0);
	return sign_last(b, s, r);
}

/* PODC'19 Alg. 4: having voted for B3 (justify QC(B2), B2's justify
 * QC(B1)), replica 2 is locked on B1 at least; a vote for a block whose
 * justify is older (the genesis QC) breaks safeNode; one justified by the
 * lock itself or a newer QC does not; a block the audit never saw is not
 * judged; a replica restarted without its state starts afresh. */
Test(audit, hotstuff_a_vote_below_the_lock_its_votes_imply_is_a_fault)
{
	static const uint32_t q3[] = {0, 1, 2};
	uint8_t zero[BYZ_DIGEST_BYTES] = {0}, h1[BYZ_DIGEST_BYTES],
		h2[BYZ_DIGEST_BYTES], h3[BYZ_DIGEST_BYTES],
		hf[BYZ_DIGEST_BYTES], hg[BYZ_DIGEST_BYTES],
		hx[BYZ_DIGEST_BYTES];
	struct fr b1, b2, b3, fk, g;
	struct watch w;
	struct wire_buf b;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	watch_open(&w, "hotstuff");
	b1 = hs_prop(&b, 1, 1, hs_qc(&b, 0, zero, NULL, 0), 0);
	hs_hash(b1, h1);
	b2 = hs_prop(&b, 2, 2, hs_qc(&b, 1, h1, q3, 3), 0);
	hs_hash(b2, h2);
	b3 = hs_prop(&b, 3, 3, hs_qc(&b, 2, h2, q3, 3), 0);
	hs_hash(b3, h3);
	fk = hs_prop(&b, 0, 4, hs_qc(&b, 0, zero, NULL, 0), 0);
	hs_hash(fk, hf);
	g = hs_prop(&b, 1, 5, hs_qc(&b, 1, h1, q3, 3), 0);
	hs_hash(g, hg);
	got(&w, 2, b1);
	got(&w, 2, b2);
	got(&w, 2, b3);
	got(&w, 2, fk);
	got(&w, 2, g);
	send(&w, 2, hs_vote_for(&b, 2, 1, h1));
	send(&w, 2, hs_vote_for(&b, 2, 2, h2));
	send(&w, 2, hs_vote_for(&b, 2, 3, h3));
	cr_assert_eq(w.tr.log.nfaults, 0, "%s", last_fault(&w));
	send(&w, 2, hs_vote_for(&b, 2, 4, hf));
	cr_assert_eq(faults(&w, TRACE_RULE_LOCK), 1);
	cr_assert(strstr(last_fault(&w),
			 "replica 2 sent hotstuff/vote for view 4: its "
			 "block's justify (view 0, 00000000) neither is nor "
			 "is newer than the lock its votes imply (view 1, "),
		  "%s", last_fault(&w));
	send(&w, 2, hs_vote_for(&b, 2, 5, hg)); /* justified by the lock */
	memset(hx, 0x77, sizeof hx);
	send(&w, 2, hs_vote_for(&b, 2, 6, hx)); /* never seen */
	send(&w, 1, hs_vote_for(&b, 1, 4, hf)); /* replica 1 voted nothing */
	cr_assert_eq(faults(&w, TRACE_RULE_LOCK), 1, "%s", last_fault(&w));
	audit_forget(w.a, 2);
	send(&w, 2, hs_vote_for(&b, 2, 4, hf));
	cr_assert_eq(faults(&w, TRACE_RULE_LOCK), 1, "%s", last_fault(&w));
	watch_close(&w);
	wire_buf_free(&b);
}

static void commit_at(struct watch *w, uint32_t r, uint64_t slot, bool restored)
{
	struct byz_commit c = {.restored = restored, .height = 1, .slot = slot};

	audit_commit(w->a, &w->tr, 2000, r, &c);
}

/* PODC'19 Alg. 4: b is decided on a QC for b'' over b <- b' <- b'' of
 * consecutive views. B1 <- B2 <- B3 with QC(B3) (B4's justify) decides
 * view 1; B2 <- B5 <- B6 skips views 3 and 4, so QC(B6) decides nothing;
 * a QC over blocks the audit has not seen leaves commits below it
 * unjudged; a state transfer is not judged. */
Test(audit, hotstuff_a_commit_without_a_three_chain_of_consecutive_views)
{
	static const uint32_t q3[] = {0, 1, 2};
	uint8_t zero[BYZ_DIGEST_BYTES] = {0}, h1[BYZ_DIGEST_BYTES],
		h2[BYZ_DIGEST_BYTES], h3[BYZ_DIGEST_BYTES],
		h5[BYZ_DIGEST_BYTES], h6[BYZ_DIGEST_BYTES],
		hx[BYZ_DIGEST_BYTES];
	struct fr b1, b2, b3, b5, b6;
	struct watch w;
	struct wire_buf b;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	watch_open(&w, "hotstuff");
	b1 = hs_prop(&b, 1, 1, hs_qc(&b, 0, zero, NULL, 0), 0);
	hs_hash(b1, h1);
	b2 = hs_prop(&b, 2, 2, hs_qc(&b, 1, h1, q3, 3), 0);
	hs_hash(b2, h2);
	b3 = hs_prop(&b, 3, 3, hs_qc(&b, 2, h2, q3, 3), 0);
	hs_hash(b3, h3);
	b5 = hs_prop(&b, 1, 5, hs_qc(&b, 2, h2, q3, 3), 0);
	hs_hash(b5, h5);
	b6 = hs_prop(&b, 2, 6, hs_qc(&b, 5, h5, q3, 3), 0);
	hs_hash(b6, h6);
	/* Replica 1: the gapped chain only. */
	got(&w, 1, b1);
	got(&w, 1, b2);
	got(&w, 1, b5);
	got(&w, 1, b6);
	got(&w, 1, hs_prop(&b, 3, 7, hs_qc(&b, 6, h6, q3, 3), 0));
	commit_at(&w, 1, 1, false);
	cr_assert_eq(faults(&w, TRACE_RULE_DECIDE), 1);
	cr_assert_str_eq(last_fault(&w),
			 "replica 1 decided the block of view 1 (height 1) "
			 "without a three-chain of consecutive views over it: "
			 "the highest it has seen decides view 0");
	commit_at(&w, 1, 1, true); /* a state transfer */
	cr_assert_eq(faults(&w, TRACE_RULE_DECIDE), 1);
	/* Replica 2: the direct chain and QC(B3). */
	got(&w, 2, b1);
	got(&w, 2, b2);
	got(&w, 2, b3);
	got(&w, 2, hs_prop(&b, 0, 4, hs_qc(&b, 3, h3, q3, 3), 0));
	commit_at(&w, 2, 1, false);
	cr_assert_eq(faults(&w, TRACE_RULE_DECIDE), 1, "%s", last_fault(&w));
	commit_at(&w, 2, 2, false);
	cr_assert_eq(faults(&w, TRACE_RULE_DECIDE), 2);
	/* Replica 3: a QC of view 9 over a block it never saw. */
	memset(hx, 0x99, sizeof hx);
	got(&w, 3, hs_prop(&b, 2, 10, hs_qc(&b, 9, hx, q3, 3), 0));
	commit_at(&w, 3, 8, false);
	cr_assert_eq(faults(&w, TRACE_RULE_DECIDE), 2, "%s", last_fault(&w));
	commit_at(&w, 3, 9, false);
	cr_assert_eq(faults(&w, TRACE_RULE_DECIDE), 3);
	watch_close(&w);
	wire_buf_free(&b);
}

/* fork: a Byzantine leader's block justified by the genesis QC. A replica
 * that ignores its lock (safe-node-ignores-lock), or never moves it
 * (lock-never-moves), votes for it: the lock oracle says so at once. */
Test(audit, the_lock_oracle_catches_a_vote_past_the_lock)
{
	static const char *const mutants[] = {"safe-node-ignores-lock",
					      "lock-never-moves", NULL};
	struct scenario_result res;

	for (size_t i = 0; i < 3; i++) {
		struct scenario sc;
		char why[256];

		scenario_defaults(&sc);
		sc.ops = byz_core_find("hotstuff");
		sc.seed = 3;
		sc.gst_us = 100000;
		cr_assert_eq(
		    scenario_set(&sc, "byzantine", "1", why, sizeof why), 0,
		    "%s", why);
		if (mutants[i])
			cr_assert_eq(scenario_set(&sc, "mutant", mutants[i],
						  why, sizeof why),
				     0, "%s", why);
		cr_assert_eq(scenario_add_attack(&sc, "fork", why, sizeof why),
			     0, "%s", why);
		cr_assert_eq(scenario_run(&sc, NULL, &res), 0, "%s", res.why);
		if (mutants[i]) {
			cr_assert_gt(res.checks.per_check[CHECK_LOCK], 0);
			cr_assert(!strncmp(res.why, "lock: ", 6), "%s",
				  res.why);
		} else {
			cr_assert_eq(res.checks.total, 0, "%s", res.why);
		}
	}
}

/* A run of a protocol with a mutant planted, through the simulator. */
static struct scenario_result mutant_run_seed(const char *protocol,
					      const char *mutant,
					      const char *attack, uint64_t seed)
{
	struct scenario sc;
	struct scenario_result res;
	char why[256];

	scenario_defaults(&sc);
	if (seed)
		sc.seed = seed;
	sc.ops = byz_core_find(protocol);
	sc.clients = 4;
	sc.requests = 4;
	sc.batch = 4;
	sc.gst_us = 300000;
	sc.max_time_us = 60000000;
	if (mutant)
		cr_assert_eq(
		    scenario_set(&sc, "mutant", mutant, why, sizeof why), 0,
		    "%s", why);
	if (attack)
		cr_assert_eq(scenario_add_attack(&sc, attack, why, sizeof why),
			     0, "%s", why);
	cr_assert_eq(scenario_run(&sc, NULL, &res), 0, "%s", res.why);
	return res;
}

static struct scenario_result mutant_run(const char *protocol,
					 const char *mutant, const char *attack)
{
	return mutant_run_seed(protocol, mutant, attack, 0);
}

/* The oracles fire on mutants whose logs never fork in these runs: a
 * stable checkpoint on f+1 CHECKPOINTs is passed on in a STATE; a
 * HotStuff leader forms QCs of 2f votes. Without the mutant, quiet. */
Test(audit, the_certificates_oracle_catches_planted_quorum_mistakes)
{
	struct scenario_result r;

	r = mutant_run("pbft", "checkpoint-quorum-f+1", "drop:p=0.2");
	cr_assert_gt(r.checks.per_check[CHECK_CERTIFICATES], 0);
	cr_assert_eq(r.checks.per_check[CHECK_AGREEMENT], 0);
	cr_assert(!r.safe);
	r = mutant_run("pbft", NULL, "drop:p=0.2");
	cr_assert_eq(r.checks.total, 0, "%s", r.why);
	r = mutant_run("hotstuff", "quorum-2f", NULL);
	cr_assert_gt(r.checks.per_check[CHECK_CERTIFICATES], 0);
	cr_assert_str_eq(r.why, "certificates: replica 0 sent "
				"hotstuff/proposal with a QC with fewer than "
				"2f+1 votes");
	r = mutant_run("hotstuff", NULL, NULL);
	cr_assert_eq(r.checks.total, 0, "%s", r.why);
}

/* ci.yaml's regress-nv-two-views: with drop, number 8 prepares in view 1
 * and, with another batch, in view 2; the new primary of view 3 that takes
 * the lowest view's certificate is seen the moment it sends its NEW-VIEW
 * (t = 81 ms), before logs fork (t = 104 ms). Without the mutant, quiet. */
Test(audit, the_new_view_oracle_catches_the_lowest_view_certificate)
{
	struct scenario_result r;

	r = mutant_run_seed("pbft", "new-view-lowest-certificate", "drop:p=0.2",
			    99);
	cr_assert_gt(r.checks.per_check[CHECK_NEW_VIEW], 0);
	cr_assert(!r.safe);
	r = mutant_run_seed("pbft", NULL, "drop:p=0.2", 99);
	cr_assert_eq(r.checks.total, 0, "%s", r.why);
}

/* A mutant that is not the protocol's is bad input, said before the run. */
Test(audit, an_unknown_mutant_is_refused)
{
	struct scenario sc;
	struct scenario_result res;
	char why[256];

	scenario_defaults(&sc);
	sc.ops = byz_core_find("hotstuff");
	cr_assert_eq(scenario_set(&sc, "mutant", "checkpoint-quorum-f+1", why,
				  sizeof why),
		     0);
	cr_assert_eq(scenario_run(&sc, NULL, &res), BYZ_EINVAL);
	cr_assert_str_eq(res.why, "mutant: 'checkpoint-quorum-f+1' is not a "
				  "mutant of hotstuff ('byzlab selftest "
				  "--list' names them)");
	cr_assert_neq(scenario_set(&sc, "mutant", "bad name!", why, sizeof why),
		      0);
}

/* A run's rule coverage (sim_stats.rules): the rules that decided
 * something at an honest replica. A fault-free PBFT run waits for its
 * 2f-th PREPARE every time (the rule prepared-quorum-2f-1 breaks) but never
 * sees a pre-prepare from a backup; a HotStuff leader that forks below the
 * lock is refused by safeNode, which no fault-free run exercises. */
Test(audit, rule_coverage_names_what_a_run_exercised)
{
	const struct byz_core_ops *pbft = byz_core_find("pbft"),
				  *hs = byz_core_find("hotstuff");
	uint32_t prep = byz_mutant_find(pbft, "prepared-quorum-2f-1"),
		 sender = byz_mutant_find(pbft, "pre-prepare-from-anyone"),
		 safe = byz_mutant_find(hs, "safe-node-ignores-lock");
	struct scenario_result r;

	cr_assert(prep && sender && safe);
	r = mutant_run("pbft", NULL, NULL);
	cr_assert(r.sim.rules & 1ull << (prep - 1));
	cr_assert_not(r.sim.rules & 1ull << (sender - 1));
	r = mutant_run("hotstuff", NULL, NULL);
	cr_assert_not(r.sim.rules & 1ull << (safe - 1));
	{
		struct scenario sc;
		char why[256];
		scenario_defaults(&sc);
		sc.ops = hs;
		sc.clients = 4;
		sc.requests = 4;
		sc.batch = 4;
		sc.gst_us = 300000;
		cr_assert_eq(
		    scenario_set(&sc, "byzantine", "1", why, sizeof why), 0);
		cr_assert_eq(scenario_add_attack(&sc, "fork", why, sizeof why),
			     0);
		cr_assert_eq(scenario_run(&sc, NULL, &r), 0);
		cr_assert_eq(r.verdict, VERDICT_PASS, "%s", r.why);
		cr_assert(r.sim.rules & 1ull << (safe - 1),
			  "the fork met the lock");
	}
}

/* The mutant that decides on a three-chain with a gap is seen on its
 * first such commit (drop, seed 2); without it, quiet. */
Test(audit, the_decide_oracle_catches_a_gapped_three_chain)
{
	struct scenario_result r;

	r = mutant_run_seed("hotstuff", "commit-without-direct-parents",
			    "drop:p=0.1", 2);
	cr_assert_gt(r.checks.per_check[CHECK_DECIDE], 0, "%s", r.why);
	r = mutant_run_seed("hotstuff", NULL, "drop:p=0.1", 2);
	cr_assert_eq(r.checks.total, 0, "%s", r.why);
}

/* Tendermint's decide rule (tm_audit_decide, Alg. 1 line 49): the mutant
 * that decides on f+1 PRECOMMITs is seen at its first height of a
 * fault-free run. Unmutated it is quiet, also for a replica cut off
 * until 150 ms that decides by the DECISIONs it is sent, and for one
 * restarted without its log that takes a STATE (catch-up: the
 * certificate they carry is what allows the decision). */
Test(audit, the_decide_oracle_catches_tendermint_deciding_on_f_plus_1)
{
	static const char *quiet[] = {NULL,
				      "partition:groups=0+1+2|3,until=150ms"};
	struct scenario_result r;
	struct scenario sc;
	char why[256];

	r = mutant_run("tendermint", "decide-on-f+1-precommits", NULL);
	cr_assert_gt(r.checks.per_check[CHECK_DECIDE], 0, "%s", r.why);
	cr_assert(strstr(r.why, "decide: replica 0 decided height 1 without "
				"the proposal of proposer(h, r) and 2f+1 "
				"PRECOMMITs"),
		  "%s", r.why);
	for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
		r = mutant_run("tendermint", NULL, quiet[i]);
		cr_assert_eq(r.checks.total, 0, "%s: %s",
			     quiet[i] ? quiet[i] : "fault-free", r.why);
		cr_assert_eq(r.verdict, VERDICT_PASS, "%s", r.why);
	}
	scenario_defaults(&sc);
	sc.ops = byz_core_find("tendermint");
	sc.clients = 4;
	sc.requests = 8;
	sc.batch = 1;
	cr_assert_eq(scenario_set(&sc, "window", "2", why, sizeof why), 0, "%s",
		     why);
	cr_assert_eq(scenario_set(&sc, "crash", "3@5ms,restart@60ms,fresh", why,
				  sizeof why),
		     0, "%s", why);
	cr_assert_eq(scenario_run(&sc, NULL, &r), 0, "%s", r.why);
	cr_assert_eq(r.checks.total, 0, "%s", r.why);
	cr_assert_eq(r.verdict, VERDICT_PASS, "%s", r.why);
}
