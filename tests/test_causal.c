/*
 * test_causal.c - happened-before and the causality check (lib/causal.h):
 * hand-made histories of a few events, each asserting what the check finds
 * (or that it finds nothing), then runs: correct protocols never trip it,
 * and the PBFT mutant that executes on the PRE-PREPARE does at once.
 */
#include "causal.h"
#include "check.h"
#include "crypto.h"
#include "err.h"
#include "scenario.h"
#include "trace.h"

#include <criterion/criterion.h>
#include <string.h>

#define C0 byz_client_addr(0)

struct fixture {
	struct trace_log log;
	struct causal *c;
};

static void setup(struct fixture *fx, bool strict)
{
	trace_log_init(&fx->log, 4, 1);
	fx->c = causal_new(4, 3, strict, &fx->log);
	cr_assert_not_null(fx->c);
}

static void teardown(struct fixture *fx)
{
	causal_free(&fx->c);
	cr_assert_null(fx->c);
	trace_log_free(&fx->log);
}

/* Client 0 submits ts 1 and sends it to replica 0 (message 1). */
static void submit_to_r0(struct fixture *fx)
{
	cr_assert_eq(causal_submit(fx->c, 0, 1), 0);
	cr_assert_eq(causal_send(fx->c, C0, 1, 0), 0);
	cr_assert_eq(causal_receive(fx->c, C0, 0, 1, 10, 0, true), 0);
}

Test(causal, a_commit_after_a_quorum_heard_of_the_request_is_causal)
{
	struct fixture fx;

	setup(&fx, true);
	submit_to_r0(&fx);
	/* r0 tells r1 and r2 (one snapshot shared by the broadcast); they
	 * answer r3, which commits having heard from r0, r1, r2 */
	cr_assert_eq(causal_send(fx.c, 0, 2, 0), 0);
	cr_assert_eq(causal_send(fx.c, 0, 3, 0), 0);
	cr_assert_eq(causal_receive(fx.c, 0, 1, 2, 11, 0, true), 0);
	cr_assert_eq(causal_receive(fx.c, 0, 2, 3, 11, 0, true), 0);
	cr_assert_eq(causal_send(fx.c, 1, 4, 0), 0);
	cr_assert_eq(causal_send(fx.c, 2, 5, 0), 0);
	cr_assert_eq(causal_receive(fx.c, 1, 3, 4, 12, 0, true), 0);
	cr_assert_eq(causal_receive(fx.c, 2, 3, 5, 12, 0, true), 0);
	cr_assert_eq(causal_commit(fx.c, 13, 3, 0, 1, 1), 0);
	cr_assert_eq(causal_finish(fx.c), 0);
	cr_assert_eq(fx.log.ncausal, 0, "%s",
		     fx.log.ncausal ? fx.log.causal[0].text : "");
	teardown(&fx);
}

Test(causal, a_commit_on_two_replicas_word_is_not)
{
	struct fixture fx;

	setup(&fx, true);
	submit_to_r0(&fx);
	cr_assert_eq(causal_send(fx.c, 0, 2, 0), 0);
	cr_assert_eq(causal_receive(fx.c, 0, 1, 2, 11, 0, true), 0);
	/* r2 heard from r0 before the request: no knowledge of it */
	cr_assert_eq(causal_commit(fx.c, 12, 1, 0, 1, 1), 0);
	cr_assert_eq(fx.log.ncausal, 1);
	cr_assert_eq(fx.log.causal[0].replica, 1);
	cr_assert_eq(fx.log.causal[0].height, 1);
	cr_assert(strstr(fx.log.causal[0].text,
			 "replica 1 committed c0/t1 at height 1 having heard, "
			 "before it, from 2 replica(s) that had seen the "
			 "request (r0, r1); a decision needs 3"),
		  "%s", fx.log.causal[0].text);
	teardown(&fx);
}

Test(causal, what_a_replica_learns_after_a_send_is_not_in_that_send)
{
	struct fixture fx;

	setup(&fx, true);
	/* r1 sends to r3 before it hears of the request: that message must
	 * not carry the request's knowledge, though r1 learns it later and
	 * the clock snapshots are shared */
	cr_assert_eq(causal_send(fx.c, 1, 7, 0), 0);
	submit_to_r0(&fx);
	cr_assert_eq(causal_send(fx.c, 0, 2, 0), 0);
	cr_assert_eq(causal_receive(fx.c, 0, 1, 2, 11, 0, true), 0);
	cr_assert_eq(causal_send(fx.c, 0, 3, 0), 0);
	cr_assert_eq(causal_receive(fx.c, 0, 3, 3, 11, 0, true), 0);
	cr_assert_eq(causal_receive(fx.c, 1, 3, 7, 12, 0, true), 0);
	cr_assert_eq(causal_commit(fx.c, 13, 3, 0, 1, 1), 0);
	cr_assert_eq(fx.log.ncausal, 1, "r1's early message counted");
	cr_assert(strstr(fx.log.causal[0].text, "from 2 replica(s)"), "%s",
		  fx.log.causal[0].text);
	/* and a later message of r1 does carry it */
	cr_assert_eq(causal_send(fx.c, 1, 8, 0), 0);
	cr_assert_eq(causal_receive(fx.c, 1, 3, 8, 14, 0, true), 0);
	cr_assert_eq(causal_commit(fx.c, 15, 3, 0, 1, 1), 0);
	cr_assert_eq(fx.log.ncausal, 1);
	teardown(&fx);
}

Test(causal, a_receipt_before_its_send_is_seen)
{
	struct fixture fx;

	setup(&fx, false); /* a real trace: a lost send line is tolerated */
	cr_assert_eq(causal_receive(fx.c, 2, 1, 40, 5, 0, true), 0);
	cr_assert_eq(causal_receive(fx.c, 2, 1, 41, 5, 0, true), 0);
	cr_assert_eq(fx.log.ncausal, 0);
	cr_assert_eq(causal_send(fx.c, 2, 40, 0), 0);
	cr_assert_eq(fx.log.ncausal, 1);
	cr_assert_str_eq(fx.log.causal[0].text,
			 "r1 received message 40 from r2 before r2 sent it");
	cr_assert_eq(causal_finish(fx.c), 0);
	cr_assert_eq(fx.log.ncausal, 1, "41 was never sent: tolerated");
	teardown(&fx);

	setup(&fx, true); /* the simulator's: it is not */
	cr_assert_eq(causal_receive(fx.c, 2, 1, 41, 5, 0, false), 0);
	cr_assert_eq(causal_finish(fx.c), 0);
	cr_assert_eq(fx.log.ncausal, 1);
	cr_assert_str_eq(fx.log.causal[0].text,
			 "r1 received message 41 from r2, which no line sent");
	teardown(&fx);
}

Test(causal, a_receipt_with_a_lamport_clock_not_above_its_send_is_seen)
{
	struct fixture fx;

	setup(&fx, false);
	cr_assert_eq(causal_send(fx.c, 2, 9, 17), 0);
	cr_assert_eq(causal_receive(fx.c, 2, 1, 9, 5, 17, true), 0);
	cr_assert_eq(fx.log.ncausal, 1);
	cr_assert(strstr(fx.log.causal[0].text, "at Lamport clock 17, not "
						"after its send's 17"));
	cr_assert_eq(causal_send(fx.c, 2, 10, 18), 0);
	cr_assert_eq(causal_receive(fx.c, 2, 1, 10, 6, 19, true), 0);
	cr_assert_eq(fx.log.ncausal, 1);
	teardown(&fx);
}

Test(causal, many_messages_in_flight_and_many_clients_are_tracked)
{
	struct fixture fx;

	setup(&fx, true);
	/* the table of messages in flight grows and shrinks; clients far
	 * apart grow every clock */
	for (uint64_t id = 1; id <= 5000; id++)
		cr_assert_eq(causal_send(fx.c, (uint32_t)(id % 4), id, 0), 0);
	for (uint64_t id = 1; id <= 5000; id += 2)
		cr_assert_eq(causal_receive(fx.c, (uint32_t)(id % 4),
					    (uint32_t)((id + 1) % 4), id, 1, 0,
					    true),
			     0);
	cr_assert_eq(causal_submit(fx.c, 900, 1), 0);
	cr_assert_eq(causal_send(fx.c, byz_client_addr(900), 9000, 0), 0);
	cr_assert_eq(
	    causal_receive(fx.c, byz_client_addr(900), 2, 9000, 2, 0, true), 0);
	for (uint64_t id = 2; id <= 5000; id += 2)
		cr_assert_eq(causal_receive(fx.c, (uint32_t)(id % 4),
					    (uint32_t)((id + 1) % 4), id, 3, 0,
					    false),
			     0);
	cr_assert_eq(causal_finish(fx.c), 0);
	cr_assert_eq(fx.log.ncausal, 0, "%s",
		     fx.log.ncausal ? fx.log.causal[0].text : "");
	/* a client id beyond what is tracked is left out, not an error */
	cr_assert_eq(causal_submit(fx.c, 1u << 30, 1), 0);
	teardown(&fx);
}

static struct scenario_result run(const char *protocol, const char *mutant,
				  uint32_t n)
{
	static struct scenario sc;
	struct scenario_result res;

	scenario_defaults(&sc);
	sc.ops = byz_core_find(protocol);
	sc.n = n;
	sc.f = (n - 1) / 3;
	sc.clients = 3;
	sc.requests = 4;
	snprintf(sc.mutant, sizeof sc.mutant, "%s", mutant);
	cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
	return res;
}

Test(causal, correct_protocols_never_trip_it)
{
	cr_assert_eq(byz_crypto_init(), 0);
	const char *protos[] = {"pbft", "hotstuff"};
	for (int p = 0; p < 2; p++)
		for (uint32_t n = 4; n <= 7; n += 3) {
			struct scenario_result r = run(protos[p], "", n);
			cr_assert_eq(r.verdict, VERDICT_PASS, "%s n=%u: %s",
				     protos[p], n, r.why);
			cr_assert_eq(r.checks.per_check[CHECK_CAUSALITY], 0);
		}
}

Test(causal, executing_on_the_pre_prepare_is_caught_at_once)
{
	cr_assert_eq(byz_crypto_init(), 0);
	struct scenario_result r = run("pbft", "execute-on-pre-prepare", 4);
	cr_assert_eq(r.verdict, VERDICT_FAIL);
	cr_assert_eq(r.checks.total, r.checks.per_check[CHECK_CAUSALITY],
		     "only the causality check sees it in a fault-free run");
	cr_assert_gt(r.checks.per_check[CHECK_CAUSALITY], 0);
	cr_assert(strstr(r.why, "causality: replica "), "%s", r.why);
}
