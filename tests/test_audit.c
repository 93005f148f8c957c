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

static struct fr sign_last(struct wire_buf *b, size_t start, uint32_t id)
{
	struct byz_keypair kp;
	struct fr f;

	byz_key_derive(&kp, SEED, BYZ_ROLE_REPLICA, id);
	cr_assert_eq(wire_sign(b, start, &kp), 0);
	cr_assert_lt(used + (b->len - start), sizeof arena);
	memcpy(arena + used, b->data + start, b->len - start);
	f.p = arena + used;
	f.len = b->len - start;
	used += f.len;
	wire_buf_reset(b);
	return f;
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

/* A run of a protocol with a mutant planted, through the simulator. */
static struct scenario_result mutant_run(const char *protocol,
					 const char *mutant, const char *attack)
{
	struct scenario sc;
	struct scenario_result res;
	char why[256];

	scenario_defaults(&sc);
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
