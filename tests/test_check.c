/*
 * test_check.c - the safety and liveness checkers (harness/check.h) on
 * hand-made trace logs.
 *
 * Every test starts from one correct run (make_log: n = 4, f = 1, 3 clients,
 * 20 requests, every replica commits every request at the same height with
 * realistic times), breaks exactly one thing, and asserts which checker
 * fires, how often, and what the first kept violation says.
 */
#include "check.h"
#include "err.h"
#include "trace.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N	 4
#define F	 1
#define CLIENTS	 3
#define REQS	 20
#define BOUND_US 10000u
#define GST_US	 2000u

/* Deterministic bytes for digests: splitmix64 of (tag, x). */
static void fill(uint8_t d[BYZ_DIGEST_BYTES], uint64_t tag, uint64_t x)
{
	uint64_t z = tag * 0x9e3779b97f4a7c15u ^ x;

	for (int i = 0; i < BYZ_DIGEST_BYTES; i += 8) {
		uint64_t v;

		z += 0x9e3779b97f4a7c15u;
		v = z;
		v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9u;
		v = (v ^ (v >> 27)) * 0x94d049bb133111ebu;
		v ^= v >> 31;
		memcpy(d + i, &v, 8);
	}
}

static void op_digest(uint8_t d[BYZ_DIGEST_BYTES], uint32_t client, uint64_t ts)
{
	fill(d, 1, (uint64_t)client << 40 ^ ts);
}

static void state_digest(uint8_t d[BYZ_DIGEST_BYTES], uint64_t height)
{
	fill(d, 2, height);
}

/* The first 4 bytes in hex, as the checkers print them. */
static void hex8(char out[9], const uint8_t *d)
{
	snprintf(out, 9, "%02x%02x%02x%02x", d[0], d[1], d[2], d[3]);
}

/* Request i of the workload: clients take turns, timestamps count up. */
static uint32_t req_client(size_t i)
{
	return (uint32_t)(i % CLIENTS);
}

static uint64_t req_ts(size_t i)
{
	return i / CLIENTS + 1;
}

static uint64_t submit_t(size_t i)
{
	return 1000 + 500 * (uint64_t)i;
}

static struct trace_commit make_commit(uint64_t t, uint32_t r, uint64_t height,
				       uint32_t client, uint64_t ts)
{
	struct trace_commit c;

	memset(&c, 0, sizeof c);
	c.t = t;
	c.replica = r;
	c.c.height = height;
	c.c.slot = height;
	c.c.client = client;
	c.c.timestamp = ts;
	op_digest(c.c.request_digest, client, ts);
	state_digest(c.c.state_digest, height);
	return c;
}

static void add_submit(struct trace_log *log, uint64_t t, uint32_t client,
		       uint64_t ts)
{
	struct trace_submit s;

	memset(&s, 0, sizeof s);
	s.t = t;
	s.client = client;
	s.timestamp = ts;
	op_digest(s.request_digest, client, ts);
	cr_assert_eq(trace_log_add_submit(log, &s), 0);
}

static void add_commit(struct trace_log *log, const struct trace_commit *c)
{
	cr_assert_eq(trace_log_add_commit(log, c), 0);
}

/*
 * A correct run with n replicas and reqs requests: request i is submitted
 * at 1000 + 500 i us and committed at height i + 1 by replica r at
 * 2000 us + 50 r us later, so the log is in time order.
 */
static void make_log_n(struct trace_log *log, uint32_t n, uint32_t f,
		       size_t reqs)
{
	trace_log_init(log, n, f);
	log->gst_us = GST_US;
	for (size_t i = 0; i < reqs; i++)
		add_submit(log, submit_t(i), req_client(i), req_ts(i));
	for (size_t i = 0; i < reqs; i++)
		for (uint32_t r = 0; r < n; r++) {
			struct trace_commit c =
			    make_commit(submit_t(i) + 2000 + 50 * r, r, i + 1,
					req_client(i), req_ts(i));
			add_commit(log, &c);
		}
	log->end_us = submit_t(reqs) + 3 * BOUND_US;
}

static void make_log(struct trace_log *log)
{
	make_log_n(log, N, F, REQS);
}

/* Position in the log of replica r's (first) commit at height h. */
static size_t find(const struct trace_log *log, uint32_t r, uint64_t h)
{
	for (size_t i = 0; i < log->ncommits; i++)
		if (log->commits[i].replica == r &&
		    log->commits[i].c.height == h)
			return i;
	cr_assert_fail("replica %u has no commit at height %" PRIu64, r, h);
	return 0;
}

static void remove_at(struct trace_log *log, size_t pos)
{
	memmove(&log->commits[pos], &log->commits[pos + 1],
		(log->ncommits - pos - 1) * sizeof log->commits[0]);
	log->ncommits--;
}

static void insert_at(struct trace_log *log, size_t pos,
		      const struct trace_commit *c)
{
	struct trace_commit copy = *c; /* c may point into the array */

	add_commit(log, &copy); /* grows the array */
	memmove(&log->commits[pos + 1], &log->commits[pos],
		(log->ncommits - 1 - pos) * sizeof log->commits[0]);
	log->commits[pos] = copy;
}

/* Every replica commits (client, ts) at height h, after everything else. */
static void commit_everywhere(struct trace_log *log, uint64_t h,
			      uint32_t client, uint64_t ts)
{
	for (uint32_t r = 0; r < log->n; r++) {
		struct trace_commit c = make_commit(
		    log->commits[log->ncommits - 1].t + 100, r, h, client, ts);
		add_commit(log, &c);
	}
}

static struct check_result run(const struct trace_log *log, unsigned mask)
{
	struct check_result res;

	cr_assert_eq(check_run(log, mask, BOUND_US, &res), 0);
	return res;
}

/* Exactly `count` violations, all of checker id. */
static void assert_only(const struct check_result *res, enum check_id id,
			size_t count)
{
	for (int k = 0; k < CHECK_COUNT; k++)
		cr_assert_eq(res->per_check[k], k == (int)id ? count : 0,
			     "%s: %zu violations, expected %zu (first: %s)",
			     check_name((enum check_id)k), res->per_check[k],
			     k == (int)id ? count : 0,
			     res->kept ? res->v[0].detail : "none");
	cr_assert_eq(res->total, count);
	cr_assert_eq(res->kept, count < CHECK_KEEP ? count : CHECK_KEEP);
}

static void assert_violation(const struct check_violation *v, enum check_id id,
			     uint32_t replica, uint64_t height,
			     const char *detail)
{
	cr_assert_eq(v->check, id, "check %s, expected %s",
		     check_name(v->check), check_name(id));
	cr_assert_eq(v->replica, replica, "replica %u, expected %u (%s)",
		     v->replica, replica, v->detail);
	cr_assert_eq(v->height, height,
		     "height %" PRIu64 ", expected %" PRIu64 " (%s)", v->height,
		     height, v->detail);
	cr_assert_str_eq(v->detail, detail);
}

static void assert_detail_has(const struct check_violation *v, const char *part)
{
	cr_assert(strstr(v->detail, part) != NULL,
		  "detail \"%s\" does not contain \"%s\"", v->detail, part);
}

/* ---- the record and the names ---- */

Test(check, names)
{
	cr_assert_str_eq(check_name(CHECK_AGREEMENT), "agreement");
	cr_assert_str_eq(check_name(CHECK_PREFIX), "prefix");
	cr_assert_str_eq(check_name(CHECK_VALIDITY), "validity");
	cr_assert_str_eq(check_name(CHECK_NO_DUPLICATE), "no-duplicate");
	cr_assert_str_eq(check_name(CHECK_DIGESTS), "digests");
	cr_assert_str_eq(check_name(CHECK_LIVENESS), "liveness");
}

Test(trace_log, grows_and_keeps_everything_in_order)
{
	struct trace_log log;

	trace_log_init(&log, 7, 2);
	cr_assert_eq(log.n, 7);
	cr_assert_eq(log.f, 2);
	cr_assert_eq(log.ncommits, 0);
	cr_assert_eq(log.nsubmits, 0);
	for (uint64_t i = 0; i < 5000; i++) {
		struct trace_commit c =
		    make_commit(i, (uint32_t)(i % 7), i + 1, 0, i);

		add_submit(&log, i, 1, i);
		add_commit(&log, &c);
	}
	cr_assert_eq(log.ncommits, 5000);
	cr_assert_eq(log.nsubmits, 5000);
	cr_assert_geq(log.cap_commits, 5000);
	cr_assert_leq(log.cap_commits, 2 * 5000);
	for (uint64_t i = 0; i < 5000; i++) {
		cr_assert_eq(log.commits[i].c.height, i + 1);
		cr_assert_eq(log.commits[i].replica, i % 7);
		cr_assert_eq(log.submits[i].timestamp, i);
	}
	trace_log_free(&log);
	cr_assert_null(log.commits);
	cr_assert_null(log.submits);
	cr_assert_eq(log.ncommits, 0);
	cr_assert_eq(log.cap_submits, 0);
}

/* ---- (a) a correct run: every checker is quiet ---- */

Test(check, correct_run_is_clean_for_every_checker)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_AGREEMENT, 0);
	for (int k = 0; k < CHECK_COUNT; k++) {
		res = run(&log, 1u << k);
		cr_assert_eq(res.total, 0, "%s fired alone: %s",
			     check_name((enum check_id)k), res.v[0].detail);
	}
	res = run(&log, CHECK_SAFETY);
	cr_assert_eq(res.total, 0);
	trace_log_free(&log);
}

Test(check, empty_log_and_empty_mask)
{
	struct trace_log log;
	struct check_result res;

	trace_log_init(&log, N, F);
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.total, 0);
	trace_log_free(&log);

	make_log(&log);
	log.commits[0].c.height = 99; /* would be a violation */
	res = run(&log, 0);
	cr_assert_eq(res.total, 0);
	cr_assert_eq(res.kept, 0);
	trace_log_free(&log);
}

/* ---- agreement ---- */

Test(check, agreement_fires_when_a_replica_swaps_two_requests)
{
	struct trace_log log;
	struct check_result res;
	struct trace_commit *a, *b, tmp;
	char want[240], h1[9], h0[9];

	make_log(&log);
	/* Replica 2 executes requests 6 and 7 in the other order: each is
	 * valid and executed once, but heights 7 and 8 disagree. */
	a = &log.commits[find(&log, 2, 7)];
	b = &log.commits[find(&log, 2, 8)];
	tmp = *a;
	a->c.client = b->c.client;
	a->c.timestamp = b->c.timestamp;
	memcpy(a->c.request_digest, b->c.request_digest, BYZ_DIGEST_BYTES);
	b->c.client = tmp.c.client;
	b->c.timestamp = tmp.c.timestamp;
	memcpy(b->c.request_digest, tmp.c.request_digest, BYZ_DIGEST_BYTES);

	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_AGREEMENT, 2);
	hex8(h1, a->c.request_digest); /* now the op of c1/t3 */
	hex8(h0, b->c.request_digest); /* now the op of c0/t3 */
	snprintf(want, sizeof want,
		 "height 7: replica 2 committed c1/t3 (digest %s) but "
		 "replica 0 committed c0/t3 (digest %s)",
		 h1, h0);
	assert_violation(&res.v[0], CHECK_AGREEMENT, 2, 7, want);
	cr_assert_eq(res.v[1].height, 8);
	cr_assert_eq(res.v[1].replica, 2);
	trace_log_free(&log);
}

Test(check, agreement_reports_one_violation_per_height)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	/* Replicas 2 and 3 both commit another request at height 5: two
	 * conflicting pairs (and more), one violation. */
	for (uint32_t r = 2; r < 4; r++) {
		struct trace_commit *c = &log.commits[find(&log, r, 5)];

		c->c.client = 2;
		c->c.timestamp = 77;
		op_digest(c->c.request_digest, 2, 77);
	}
	res = run(&log, 1u << CHECK_AGREEMENT);
	assert_only(&res, CHECK_AGREEMENT, 1);
	cr_assert_eq(res.v[0].replica, 2);
	cr_assert_eq(res.v[0].height, 5);
	assert_detail_has(&res.v[0], "height 5: replica 2 committed c2/t77");
	assert_detail_has(&res.v[0], "but replica 0 committed c1/t2");
	trace_log_free(&log);
}

Test(check, agreement_sees_a_second_commit_of_the_first_replica)
{
	struct trace_log log;
	struct check_result res;
	struct trace_commit c;
	size_t pos;

	make_log(&log);
	/* Replica 0 commits height 5 twice, the second time another request;
	 * replicas 1..3 agree with its first commit only. */
	pos = find(&log, 0, 5);
	c = make_commit(log.commits[pos].t, 0, 5, 2, 77);
	insert_at(&log, pos + 1, &c);
	res = run(&log, 1u << CHECK_AGREEMENT | 1u << CHECK_PREFIX);
	cr_assert_eq(res.per_check[CHECK_AGREEMENT], 1);
	cr_assert_eq(res.per_check[CHECK_PREFIX], 1);
	assert_detail_has(&res.v[0], "height 5: replica 1 committed c1/t2");
	assert_detail_has(&res.v[0], "but replica 0 committed c2/t77");
	trace_log_free(&log);
}

/* ---- prefix ---- */

Test(check, prefix_fires_on_a_gap)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	remove_at(&log, find(&log, 1, 5)); /* replica 1: 1, 2, 3, 4, 6, ... */
	res = run(&log, CHECK_SAFETY);
	assert_only(&res, CHECK_PREFIX, 1);
	assert_violation(&res.v[0], CHECK_PREFIX, 1, 6,
			 "replica 1 committed height 6 but expected 5: a gap");
	/* and the request it skipped is missing there */
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.per_check[CHECK_PREFIX], 1);
	cr_assert_eq(res.per_check[CHECK_LIVENESS], 1);
	cr_assert_eq(res.total, 2);
	trace_log_free(&log);
}

Test(check, prefix_fires_when_a_replica_goes_back)
{
	struct trace_log log;
	struct check_result res;
	struct trace_commit tmp;
	size_t p9, p10;

	make_log(&log);
	/* Replica 1 commits in the order 8, 10, 9, 11 (the times stay). */
	p9 = find(&log, 1, 9);
	p10 = find(&log, 1, 10);
	tmp = log.commits[p9];
	log.commits[p9] = log.commits[p10];
	log.commits[p10] = tmp;
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_PREFIX, 2);
	/* kept in height order, though found in log order */
	assert_violation(&res.v[0], CHECK_PREFIX, 1, 9,
			 "replica 1 went back from height 10 to height 9 "
			 "(expected 11)");
	assert_violation(&res.v[1], CHECK_PREFIX, 1, 10,
			 "replica 1 committed height 10 but expected 9: a gap");
	trace_log_free(&log);
}

Test(check, prefix_fires_on_a_repeated_height)
{
	struct trace_log log;
	struct check_result res;
	size_t pos;

	make_log(&log);
	/* Replica 3 executes its height-12 commit a second time. */
	pos = find(&log, 3, 12);
	insert_at(&log, pos + 1, &log.commits[pos]);
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.per_check[CHECK_PREFIX], 1);
	cr_assert_eq(res.per_check[CHECK_NO_DUPLICATE], 1);
	cr_assert_eq(res.total, 2);
	assert_violation(&res.v[0], CHECK_PREFIX, 3, 12,
			 "replica 3 committed height 12 twice in a row "
			 "(expected 13)");
	trace_log_free(&log);
}

Test(check, prefix_fires_on_height_zero_and_an_old_height)
{
	struct trace_log log;
	struct check_result res;
	struct trace_commit c;
	size_t pos;

	make_log(&log);
	/* Replica 2 commits ..., 4, 0, 2, 3 (fresh requests), 5, ... */
	pos = find(&log, 2, 4) + 1;
	c = make_commit(log.commits[pos - 1].t, 2, 3, 2, 91);
	insert_at(&log, pos, &c);
	c = make_commit(log.commits[pos - 1].t, 2, 2, 2, 90);
	insert_at(&log, pos, &c);
	c = make_commit(log.commits[pos - 1].t, 2, 0, 2, 89);
	insert_at(&log, pos, &c);
	res = run(&log, 1u << CHECK_PREFIX);
	assert_only(&res, CHECK_PREFIX, 3);
	assert_violation(&res.v[0], CHECK_PREFIX, 2, 0,
			 "replica 2 committed height 0 (heights start at 1)");
	assert_violation(&res.v[1], CHECK_PREFIX, 2, 2,
			 "replica 2 committed height 2 after height 0, below "
			 "its highest height 4 (expected 5)");
	assert_violation(&res.v[2], CHECK_PREFIX, 2, 3,
			 "replica 2 committed height 3 after height 2, below "
			 "its highest height 4 (expected 5)");
	trace_log_free(&log);
}

/* ---- validity ---- */

Test(check, validity_fires_on_a_request_never_submitted)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	/* Everyone executes c7/t99 at height 21: nobody submitted it. */
	commit_everywhere(&log, REQS + 1, 7, 99);
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_VALIDITY, 4);
	for (uint32_t r = 0; r < 4; r++) {
		char want[240];

		snprintf(want, sizeof want,
			 "replica %u committed c7/t99 at height 21, "
			 "never submitted",
			 r);
		assert_violation(&res.v[r], CHECK_VALIDITY, r, 21, want);
	}
	trace_log_free(&log);
}

Test(check, validity_fires_when_the_op_differs_from_the_submitted_one)
{
	struct trace_log log;
	struct check_result res;
	char want[240], hc[9], hs[9];

	make_log(&log);
	/* Request 3 (c0/t2) was submitted with another op than the one the
	 * replicas executed under its (client, timestamp). */
	fill(log.submits[3].request_digest, 3, 3);
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_VALIDITY, 4);
	hex8(hc, log.commits[find(&log, 0, 4)].c.request_digest);
	hex8(hs, log.submits[3].request_digest);
	snprintf(want, sizeof want,
		 "replica 0 committed c0/t2 at height 4 with digest %s: the "
		 "digest differs from the submitted op (%s)",
		 hc, hs);
	assert_violation(&res.v[0], CHECK_VALIDITY, 0, 4, want);
	cr_assert_eq(res.v[3].replica, 3);
	trace_log_free(&log);
}

/* ---- no-duplicate ---- */

Test(check, no_duplicate_fires_on_a_request_executed_twice)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	/* Everyone executes request 0 (c0/t1) again at height 21: heights
	 * agree and the request is valid, but it ran twice. */
	commit_everywhere(&log, REQS + 1, 0, 1);
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_NO_DUPLICATE, 4);
	assert_violation(&res.v[0], CHECK_NO_DUPLICATE, 0, 21,
			 "replica 0 committed c0/t1 again at height 21 "
			 "(first at height 1)");
	assert_violation(&res.v[3], CHECK_NO_DUPLICATE, 3, 21,
			 "replica 3 committed c0/t1 again at height 21 "
			 "(first at height 1)");
	trace_log_free(&log);
}

Test(check, no_duplicate_counts_every_extra_execution)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	commit_everywhere(&log, REQS + 1, 0, 1);
	commit_everywhere(&log, REQS + 2, 0, 1);
	res = run(&log, 1u << CHECK_NO_DUPLICATE);
	assert_only(&res, CHECK_NO_DUPLICATE, 8);
	cr_assert_eq(res.v[4].height, 22);
	assert_detail_has(&res.v[4], "again at height 22 (first at height 1)");
	trace_log_free(&log);
}

/* ---- digests ---- */

Test(check, digests_fire_when_a_replica_state_diverges)
{
	struct trace_log log;
	struct check_result res;
	char want[240], h3[9], h0[9];

	make_log(&log);
	/* Replica 3's state diverges from height 10 on (same requests). */
	for (uint64_t h = 10; h <= REQS; h++)
		fill(log.commits[find(&log, 3, h)].c.state_digest, 4, h);
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_DIGESTS, REQS - 9);
	hex8(h3, log.commits[find(&log, 3, 10)].c.state_digest);
	hex8(h0, log.commits[find(&log, 0, 10)].c.state_digest);
	snprintf(want, sizeof want,
		 "height 10: replica 3 has state digest %s but replica 0 "
		 "has %s",
		 h3, h0);
	assert_violation(&res.v[0], CHECK_DIGESTS, 3, 10, want);
	cr_assert_eq(res.v[10].height, 20);
	trace_log_free(&log);
}

Test(check, digests_report_one_violation_per_height)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	fill(log.commits[find(&log, 1, 3)].c.state_digest, 5, 1);
	fill(log.commits[find(&log, 2, 3)].c.state_digest, 5, 2);
	fill(log.commits[find(&log, 3, 3)].c.state_digest, 5, 3);
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_DIGESTS, 1);
	cr_assert_eq(res.v[0].replica, 1);
	cr_assert_eq(res.v[0].height, 3);
	trace_log_free(&log);
}

/* ---- liveness ---- */

Test(check, liveness_fires_on_a_request_never_committed)
{
	struct trace_log log;
	struct check_result res;
	char want[240];

	make_log(&log);
	/* c2/t100 submitted at t=5000, never committed; deadline 15000. */
	add_submit(&log, 5000, 2, 100);
	cr_assert_gt(log.end_us, 15000);
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_LIVENESS, 4);
	for (uint32_t r = 0; r < 4; r++) {
		snprintf(want, sizeof want,
			 "replica %u: c2/t100 (submitted at t=5000) not "
			 "committed by t=15000; the run ended at t=%" PRIu64
			 ", after the deadline",
			 r, log.end_us);
		assert_violation(&res.v[r], CHECK_LIVENESS, r, 0, want);
	}
	trace_log_free(&log);
}

Test(check, liveness_fires_even_when_the_run_ended_before_the_deadline)
{
	struct trace_log log;
	struct check_result res;
	char want[240];
	uint64_t t;

	make_log(&log);
	t = log.end_us - 100;
	add_submit(&log, t, 1, 100);
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_LIVENESS, 4);
	snprintf(want, sizeof want,
		 "replica 0: c1/t100 (submitted at t=%" PRIu64
		 ") not committed by t=%" PRIu64 "; the run ended at t=%" PRIu64
		 ", before the deadline",
		 t, t + BOUND_US, log.end_us);
	assert_violation(&res.v[0], CHECK_LIVENESS, 0, 0, want);
	trace_log_free(&log);
}

Test(check, liveness_fires_on_a_late_commit)
{
	struct trace_log log;
	struct check_result res;
	char want[240];
	uint64_t deadline = submit_t(REQS - 1) + BOUND_US;

	make_log(&log);
	/* Replica 2 commits the last request 7 ms after its deadline. */
	log.commits[find(&log, 2, REQS)].t = deadline + 7000;
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_LIVENESS, 1);
	snprintf(want, sizeof want,
		 "replica 2: c1/t7 (submitted at t=%" PRIu64
		 ") committed at height 20 at t=%" PRIu64
		 ", 7000 us after the deadline t=%" PRIu64,
		 submit_t(REQS - 1), deadline + 7000, deadline);
	assert_violation(&res.v[0], CHECK_LIVENESS, 2, 20, want);
	trace_log_free(&log);
}

Test(check, liveness_counts_the_bound_from_gst)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	/* Request 0 (submitted at t=1000) commits at t=105000: late if the
	 * network was synchronous from the start, on time if GST was at
	 * t=100000 (deadline 110000). */
	for (uint32_t r = 0; r < N; r++)
		log.commits[find(&log, r, 1)].t = 105000 + r;
	log.end_us = 200000;
	log.gst_us = 100000;
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.total, 0, "%s", res.v[0].detail);
	log.gst_us = 0;
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_LIVENESS, 4);
	assert_detail_has(&res.v[0], "94000 us after the deadline t=11000");
	trace_log_free(&log);
}

/* ---- who is checked ---- */

/* Every replica of the log enters views 4 (led by 0) and 5 (led by 1)
 * in step after GST; replica `quitter` then gives view 5 up. */
/* Views `before` (led by replica 0) and `v` (led by replica 1), every
 * replica in step after GST; then `quitter` gives v up. */
static void add_wasted_view_at(struct trace_log *log, uint32_t quitter,
			       uint64_t before, uint64_t v)
{
	for (int k = 0; k < 2; k++)
		for (uint32_t r = 0; r < log->n; r++) {
			struct trace_view tv = {
			    .t = GST_US + 1000 * (uint64_t)(4 + k) + r,
			    .replica = r,
			    .v = {.view = k ? v : before,
				  .leader = (uint32_t)k}};
			cr_assert_eq(trace_log_add_view(log, &tv), 0);
		}
	struct trace_view gu = {.t = GST_US + 9000,
				.replica = quitter,
				.v = {.view = v, .leader = 1, .gave_up = true}};
	cr_assert_eq(trace_log_add_view(log, &gu), 0);
}

static void add_wasted_view(struct trace_log *log, uint32_t quitter)
{
	add_wasted_view_at(log, quitter, 4, 5);
}

Test(check, byzantine_replicas_and_unknown_replicas_are_ignored)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	/* Replica 3 is Byzantine and commits nonsense: other requests at
	 * every height, heights backwards, one request many times and with
	 * another op than was submitted, its own state digests, and it
	 * misses requests. Replicas 4 and 40 are not in the cluster. */
	for (size_t i = 0; i < log.ncommits; i++) {
		struct trace_commit *c = &log.commits[i];

		if (c->replica != 3)
			continue;
		c->c.height = REQS + 1 - c->c.height;
		c->c.client = 2;
		c->c.timestamp = 5;
		fill(c->c.state_digest, 6, i);
	}
	remove_at(&log, find(&log, 3, 1)); /* was its height 20 */
	/* And it breaks both output rules (lib/audit.h). */
	for (int rule = 0; rule < TRACE_RULE_COUNT; rule++) {
		struct trace_fault ft = {
		    .t = 9000, .replica = 3, .rule = (enum trace_rule)rule};
		snprintf(ft.text, sizeof ft.text, "replica 3 broke a rule");
		cr_assert_eq(trace_log_add_fault(&log, &ft), 0);
	}
	add_wasted_view(&log, 3); /* and gives up a timely view */
	{
		struct trace_causal cv = {.t = 9000, .replica = 3, .height = 1};
		snprintf(cv.text, sizeof cv.text, "replica 3 decided alone");
		cr_assert_eq(trace_log_add_causal(&log, &cv), 0);
	}
	for (uint32_t r = 4; r < 50; r += 36) {
		struct trace_commit c = make_commit(50000, r, 1, 9, 9);

		add_commit(&log, &c);
	}
	log.byzantine[3] = true;
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.total, 0, "%s", res.v[0].detail);

	/* The same commits from an honest replica 3 break everything. */
	log.byzantine[3] = false;
	res = run(&log, CHECK_ALL);
	for (int k = 0; k < CHECK_COUNT; k++)
		cr_assert_gt(res.per_check[k], 0, "%s is quiet",
			     check_name((enum check_id)k));
	trace_log_free(&log);
}

Test(check, a_replica_down_at_the_end_is_exempt_from_liveness_only)
{
	struct trace_log log;
	struct check_result res;
	size_t i = 0;

	make_log(&log);
	/* Replica 3 crashes after height 10 and never comes back. */
	while (i < log.ncommits) {
		if (log.commits[i].replica == 3 && log.commits[i].c.height > 10)
			remove_at(&log, i);
		else
			i++;
	}
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_LIVENESS, 10);
	cr_assert_eq(res.v[0].replica, 3);
	log.down_at_end[3] = true;
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.total, 0, "%s", res.v[0].detail);

	/* Before crashing it committed another request at height 5: still a
	 * safety violation. */
	{
		struct trace_commit *c = &log.commits[find(&log, 3, 5)];

		c->c.client = 1;
		c->c.timestamp = 6; /* request 16, which commits at height 17 */
		op_digest(c->c.request_digest, 1, 6);
	}
	res = run(&log, CHECK_ALL);
	assert_only(&res, CHECK_AGREEMENT, 1);
	cr_assert_eq(res.v[0].replica, 3);
	cr_assert_eq(res.v[0].height, 5);
	assert_detail_has(&res.v[0], "height 5: replica 3 committed c1/t6");
	trace_log_free(&log);
}

/* ---- determinism, the cap, the order, size ---- */

/* A log where every checker fires, several times. */
static void make_broken_log(struct trace_log *log)
{
	make_log(log);
	for (uint64_t h = 2; h <= REQS; h += 3) {
		struct trace_commit *c = &log->commits[find(log, 1, h)];

		c->c.client = 2;
		c->c.timestamp = 50 + h;
		op_digest(c->c.request_digest, 2, 50 + h);
		fill(c->c.state_digest, 7, h);
	}
	remove_at(log, find(log, 2, 9));
	commit_everywhere(log, REQS + 1, 0, 1);
	add_submit(log, 9000, 0, 40);
	for (int rule = 0; rule < TRACE_RULE_COUNT; rule++) {
		struct trace_fault ft = {
		    .t = 9000, .replica = 1, .rule = (enum trace_rule)rule};
		snprintf(ft.text, sizeof ft.text, "replica 1 broke rule %d",
			 rule);
		cr_assert_eq(trace_log_add_fault(log, &ft), 0);
	}
	add_wasted_view(log, 1);
	{
		struct trace_causal cv = {.t = 9000, .replica = 1, .height = 2};
		snprintf(cv.text, sizeof cv.text, "replica 1 decided alone");
		cr_assert_eq(trace_log_add_causal(log, &cv), 0);
	}
}

static void assert_same_result(const struct check_result *x,
			       const struct check_result *y)
{
	cr_assert_eq(x->total, y->total);
	cr_assert_eq(x->kept, y->kept);
	for (int k = 0; k < CHECK_COUNT; k++)
		cr_assert_eq(x->per_check[k], y->per_check[k]);
	for (size_t i = 0; i < x->kept; i++) {
		cr_assert_eq(x->v[i].check, y->v[i].check);
		cr_assert_eq(x->v[i].replica, y->v[i].replica);
		cr_assert_eq(x->v[i].height, y->v[i].height);
		cr_assert_str_eq(x->v[i].detail, y->v[i].detail);
	}
}

/* Kept violations are in (checker, height, replica) order. */
static void assert_sorted(const struct check_result *res)
{
	for (size_t i = 1; i < res->kept; i++) {
		const struct check_violation *p = &res->v[i - 1];
		const struct check_violation *q = &res->v[i];

		cr_assert(p->check < q->check || (p->check == q->check &&
						  (p->height < q->height ||
						   (p->height == q->height &&
						    p->replica <= q->replica))),
			  "v[%zu] (%s) and v[%zu] (%s) out of order", i - 1,
			  p->detail, i, q->detail);
	}
}

Test(check, results_are_deterministic)
{
	struct trace_log log;
	struct check_result a, b;

	make_broken_log(&log);
	a = run(&log, CHECK_ALL);
	b = run(&log, CHECK_ALL);
	for (int k = 0; k < CHECK_COUNT; k++)
		cr_assert_gt(a.per_check[k], 0, "%s is quiet",
			     check_name((enum check_id)k));
	assert_same_result(&a, &b);
	assert_sorted(&a);
	trace_log_free(&log);
}

Test(check, only_check_keep_are_kept_but_all_are_counted)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	/* Replicas 1 and 2 execute an unsubmitted request at every height:
	 * 20 agreement violations (one per height), 40 validity ones. */
	for (size_t i = 0; i < log.ncommits; i++) {
		struct trace_commit *c = &log.commits[i];

		if (c->replica != 1 && c->replica != 2)
			continue;
		c->c.client = 2;
		c->c.timestamp = 1000 + c->c.height;
		op_digest(c->c.request_digest, 2, c->c.timestamp);
	}
	res = run(&log, CHECK_SAFETY);
	cr_assert_eq(res.per_check[CHECK_AGREEMENT], REQS);
	cr_assert_eq(res.per_check[CHECK_VALIDITY], 2 * REQS);
	cr_assert_eq(res.total, 3 * REQS);
	cr_assert_eq(res.kept, CHECK_KEEP);
	for (size_t i = 0; i < CHECK_KEEP; i++) {
		cr_assert_eq(res.v[i].check, CHECK_AGREEMENT);
		cr_assert_eq(res.v[i].height, i + 1);
	}

	/* Validity alone: kept by height, then replica, though found in log
	 * order (height 1 at replicas 1 and 2, then height 2, ...). */
	res = run(&log, 1u << CHECK_VALIDITY);
	cr_assert_eq(res.total, 2 * REQS);
	cr_assert_eq(res.kept, CHECK_KEEP);
	for (size_t i = 0; i < CHECK_KEEP; i++) {
		cr_assert_eq(res.v[i].height, i / 2 + 1);
		cr_assert_eq(res.v[i].replica, 1 + i % 2);
	}
	trace_log_free(&log);
}

Test(check, kept_violations_follow_checker_order_within_the_cap)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	/* One prefix gap, 20 digests violations (one per height), 2 liveness
	 * ones: the first 16 in checker order are the gap and 15 digests. */
	for (uint64_t h = 1; h <= REQS; h++)
		fill(log.commits[find(&log, 0, h)].c.state_digest, 8, h);
	remove_at(&log, find(&log, 1, REQS)); /* liveness at replica 1 */
	remove_at(&log, find(&log, 3, 4));    /* gap, liveness at replica 3 */
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.per_check[CHECK_PREFIX], 1);
	cr_assert_eq(res.per_check[CHECK_DIGESTS], REQS);
	cr_assert_eq(res.per_check[CHECK_LIVENESS], 2);
	cr_assert_eq(res.total, 1 + REQS + 2);
	cr_assert_eq(res.kept, CHECK_KEEP);
	cr_assert_eq(res.v[0].check, CHECK_PREFIX);
	for (size_t i = 1; i < CHECK_KEEP; i++) {
		cr_assert_eq(res.v[i].check, CHECK_DIGESTS);
		cr_assert_eq(res.v[i].height, i);
	}
	assert_sorted(&res);
	trace_log_free(&log);
}

Test(check, a_large_log_is_checked, .timeout = 120)
{
	struct trace_log log;
	struct check_result res;
	const size_t reqs = 20000;

	make_log_n(&log, 7, 2, reqs);
	cr_assert_eq(log.ncommits, 7 * reqs);
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.total, 0, "%s", res.v[0].detail);

	/* A few faults far into the run. */
	fill(log.commits[find(&log, 6, 15000)].c.state_digest, 9, 0);
	log.commits[find(&log, 5, 19999)].t += 1000000; /* late */
	commit_everywhere(&log, reqs + 1, 0, 1);	/* duplicate */
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.per_check[CHECK_DIGESTS], 1);
	cr_assert_eq(res.per_check[CHECK_LIVENESS], 1);
	cr_assert_eq(res.per_check[CHECK_NO_DUPLICATE], 7);
	cr_assert_eq(res.total, 9);
	assert_sorted(&res);
	trace_log_free(&log);
}

/* progress: a view is judged when its leader and its predecessor's are
 * honest and every honest replica up at the end entered it in step after
 * GST; then no honest replica may give it up. Late entries, a Byzantine
 * predecessor, a give-up by a Byzantine replica, or a view someone
 * entered before GST: not judged. */
Test(check, progress_judges_only_views_entered_in_step_after_gst)
{
	struct trace_log log;
	struct check_result res;

	make_log(&log);
	add_wasted_view(&log, 2);
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.per_check[CHECK_PROGRESS], 1);
	cr_assert(strstr(res.v[0].detail, "replica 2 gave up view 5, led by "
					  "honest replica 1"),
		  "%s", res.v[0].detail);
	trace_log_free(&log);

	/* The leader of view 4 is Byzantine: view 5 is not judged. */
	make_log(&log);
	add_wasted_view(&log, 2);
	log.byzantine[0] = true;
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.per_check[CHECK_PROGRESS], 0);
	trace_log_free(&log);

	/* Replica 3 entered view 5 late (a TC): not judged. */
	make_log(&log);
	add_wasted_view(&log, 2);
	for (size_t i = 0; i < log.nviews; i++)
		if (log.views[i].replica == 3 && log.views[i].v.view == 5)
			log.views[i].v.late = true;
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.per_check[CHECK_PROGRESS], 0);
	trace_log_free(&log);

	/* Views that skip numbers (a height and round, a term): the view
	 * before 9 is the highest one below it that a line names, 4, led
	 * by an honest replica: judged. */
	make_log(&log);
	add_wasted_view_at(&log, 2, 4, 9);
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.per_check[CHECK_PROGRESS], 1);
	cr_assert(strstr(res.v[0].detail, "replica 2 gave up view 9"), "%s",
		  res.v[0].detail);
	trace_log_free(&log);

	/* ... unless a line names a view between them whose leader is
	 * Byzantine (replica 3 in view 7): then 7 is the one before 9. */
	for (uint32_t leader7 = 0; leader7 < 4; leader7 += 3) {
		make_log(&log);
		add_wasted_view_at(&log, 2, 4, 9);
		log.byzantine[3] = true;
		struct trace_view tv = {.t = GST_US + 4500,
					.replica = 0,
					.v = {.view = 7, .leader = leader7}};
		cr_assert_eq(trace_log_add_view(&log, &tv), 0);
		res = run(&log, CHECK_ALL);
		/* (an honest leader of view 7: judged again) */
		cr_assert_eq(res.per_check[CHECK_PROGRESS],
			     leader7 == 3 ? 0 : 1, "view 7 led by %u", leader7);
		trace_log_free(&log);
	}

	/* Replica 1 entered view 5 before GST: not judged. */
	make_log(&log);
	add_wasted_view(&log, 2);
	for (size_t i = 0; i < log.nviews; i++)
		if (log.views[i].replica == 1 && log.views[i].v.view == 5)
			log.views[i].t = GST_US - 1;
	res = run(&log, CHECK_ALL);
	cr_assert_eq(res.per_check[CHECK_PROGRESS], 0);
	trace_log_free(&log);
}
