/*
 * test_sim.c - the simulator end to end with the toy protocol: verdicts,
 * determinism of the trace hash, message counts, faults the checkers must
 * see, and the adversary hook's power over messages in flight.
 */
#include "check.h"
#include "toy/toy_wire.h"
#include "err.h"
#include "scenario.h"
#include "sim.h"

#include <criterion/criterion.h>
#include <string.h>

static void setup(void)
{
	cr_assert_eq(byz_crypto_init(), 0);
}

TestSuite(sim, .init = setup);

static struct scenario base(void)
{
	struct scenario sc;

	scenario_defaults(&sc);
	sc.ops = byz_core_find("toy"); /* these tests are about the simulator */
	sc.clients = 3;
	sc.requests = 20;
	return sc;
}

static struct scenario_result run(const struct scenario *sc)
{
	struct scenario_result res;

	cr_assert_eq(scenario_run(sc, NULL, &res), 0, "run failed: %s",
		     res.why);
	return res;
}

Test(sim, fault_free_toy_passes_every_checker)
{
	struct scenario sc = base();
	struct scenario_result res = run(&sc);

	cr_assert_eq(res.verdict, VERDICT_PASS, "%s", res.why);
	cr_assert(res.sim.done);
	cr_assert_eq(res.sim.accepted, 60);
	cr_assert_eq(res.min_height, 60);
	cr_assert_eq(res.checks.total, 0);
	/* Fault-free counts: each request goes to all n replicas; the sequencer
	 * broadcasts one ORDER per request to n-1 replicas; every replica
	 * replies once. */
	cr_assert_eq(res.counts.sent[BYZ_PROTO_CLIENT][WIRE_CLIENT_REQUEST],
		     60 * 4);
	cr_assert_eq(res.counts.sent[TOY_PROTO][TOY_ORDER], 60 * 3);
	cr_assert_eq(res.counts.sent[BYZ_PROTO_CLIENT][WIRE_CLIENT_REPLY],
		     60 * 4);
	cr_assert_eq(res.counts.rejected, 0);
	cr_assert_eq(res.counts.dropped, 0);
}

/* #14: the simulator signs each output once and enters what it signed in
 * the verified-signature cache, and a frame shared by several receivers is
 * checked once: a fault-free run makes no signature verification at all,
 * while every verification is still counted. */
Test(sim, a_fault_free_run_verifies_no_signature_it_made_itself)
{
	struct scenario sc = base();
	struct scenario_result res = run(&sc);
	uint64_t sent = 0;

	cr_assert_eq(res.verdict, VERDICT_PASS, "%s", res.why);
	cr_assert_gt(res.counts.verifications, 0);
	cr_assert_eq(res.counts.verify_cache_hits, res.counts.verifications,
		     "%llu of %llu verifications reached libsodium",
		     (unsigned long long)(res.counts.verifications -
					  res.counts.verify_cache_hits),
		     (unsigned long long)res.counts.verifications);
	/* One signature per frame made: fewer than the frames sent. */
	for (int p = 0; p < TRACE_PROTOS; p++)
		for (int t = 0; t < TRACE_TYPES; t++)
			sent += res.counts.sent[p][t];
	cr_assert_lt(res.counts.signatures, sent);
}

Test(sim, same_seed_same_trace_hash_other_seed_other_hash)
{
	struct scenario sc = base();
	struct scenario_result a, b, c;

	sc.jitter_us = 3000;
	sc.loss = 0.05;
	sc.gst_us = 200000;
	a = run(&sc);
	b = run(&sc);
	sc.seed = 2;
	c = run(&sc);
	cr_assert_str_eq(a.trace_hash, b.trace_hash);
	cr_assert_eq(a.trace_lines, b.trace_lines);
	cr_assert_str_neq(a.trace_hash, c.trace_hash);
}

Test(sim, trace_file_holds_exactly_the_hashed_lines)
{
	struct scenario sc = base();
	struct scenario_result res, again;
	char *buf = NULL;
	size_t len = 0, lines = 0;
	FILE *f = open_memstream(&buf, &len);
	uint8_t h[32];
	char hex[65];

	cr_assert_eq(scenario_run(&sc, f, &res), 0);
	fclose(f);
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	cr_assert_eq(lines, res.trace_lines);
	byz_digest(h, buf, len);
	byz_hex(hex, h, 32);
	cr_assert_str_eq(hex, res.trace_hash);
	/* Writing the file does not change the run. */
	again = run(&sc);
	cr_assert_str_eq(again.trace_hash, res.trace_hash);
	cr_assert(strstr(buf, "\"ev\":\"commit\"") != NULL);
	cr_assert(strstr(buf, "\"ev\":\"submit\"") != NULL);
	cr_assert(strstr(buf, "\"ev\":\"accept\"") != NULL);
	free(buf);
}

Test(sim, lossy_network_is_live_after_gst)
{
	struct scenario sc = base();
	struct scenario_result res;

	sc.n = 7;
	sc.f = 2;
	sc.loss = 0.2;
	sc.jitter_us = 5000;
	sc.gst_us = 1000000;
	res = run(&sc);
	cr_assert_eq(res.verdict, VERDICT_PASS, "%s", res.why);
	cr_assert_gt(res.counts.dropped, 0);
	cr_assert_eq(res.min_height, 60);
}

Test(sim, follower_crash_and_restart_with_state_catches_up)
{
	struct scenario sc = base();
	struct scenario_result res;

	sc.requests = 60;
	sc.crashes[0] = (struct sim_crash){.replica = 2,
					   .at_us = 20000,
					   .restart_at_us = 120000,
					   .keep_state = true};
	sc.ncrashes = 1;
	res = run(&sc);
	cr_assert_eq(res.verdict, VERDICT_PASS, "%s", res.why);
	cr_assert_eq(res.min_height, 180); /* replica 2 caught up too */
}

Test(sim, follower_down_for_good_is_exempt_from_liveness)
{
	struct scenario sc = base();
	struct scenario_result res;

	sc.crashes[0] = (struct sim_crash){.replica = 3, .at_us = 5000};
	sc.ncrashes = 1;
	res = run(&sc);
	cr_assert_eq(res.verdict, VERDICT_PASS, "%s", res.why);
}

/* The toy protocol is not fault tolerant: with its sequencer down no
 * request commits, and the run must say so, not pass. */
Test(sim, sequencer_crash_is_a_liveness_failure)
{
	struct scenario sc = base();
	struct scenario_result res;

	sc.crashes[0] = (struct sim_crash){.replica = 0, .at_us = 30000};
	sc.ncrashes = 1;
	sc.max_time_us = 5000000;
	res = run(&sc);
	cr_assert_eq(res.verdict, VERDICT_FAIL);
	cr_assert_gt(res.checks.per_check[CHECK_LIVENESS], 0);
	cr_assert_eq(res.checks.per_check[CHECK_AGREEMENT], 0);
	cr_assert(res.sim.hit_time_limit);
}

/* ---- the adversary hook -------------------------------------------------- */

struct tamper_ctx {
	unsigned every; /* flip a byte in every k-th replica message */
	unsigned seen;
	uint8_t buf[WIRE_MAX_FRAME + 64];
};

static enum sim_verdict tamper_hook(void *ctx, struct sim *s,
				    struct sim_flight *m)
{
	struct tamper_ctx *t = ctx;

	(void)s;
	if (byz_is_client_addr(m->from) || m->len < 20)
		return SIM_DELIVER;
	if (++t->seen % t->every)
		return SIM_DELIVER;
	memcpy(t->buf, m->frame, m->len);
	t->buf[m->len / 2] ^= 0x40; /* inside the body */
	m->frame = t->buf;
	return SIM_DELIVER;
}

Test(sim, tampered_messages_are_rejected_at_ingress_and_counted)
{
	struct scenario sc = base();
	struct sim_config cfg;
	struct trace tr;
	struct sim *s;
	struct check_result cr;
	struct tamper_ctx ctx = {.every = 3};

	/* Build the simulation by hand to install the hook. */
	memset(&cfg, 0, sizeof cfg);
	cfg.ops = sc.ops;
	cfg.core =
	    (struct byz_config){.n = 4,
				.f = 1,
				.max_clients = 3,
				.batch = 1,
				.window = 64,
				.timeout_us = 20000,
				.app = {.max_keys = 64, .max_clients = 3}};
	cfg.seed = 9;
	cfg.net = (struct sim_network){.latency_us = 1000, .jitter_us = 500};
	cfg.work = (struct sim_workload){.clients = 3,
					 .requests = 20,
					 .keys = 8,
					 .retry_us = 50000,
					 .retry_max_us = 400000};
	cfg.max_time_us = 60000000;
	cfg.hook = tamper_hook;
	cfg.hook_ctx = &ctx;
	trace_init(&tr, 4, 1, NULL);
	cr_assert_eq(sim_new(&cfg, &tr, &s), 0);
	cr_assert_eq(sim_run(s), 0);
	cr_assert(sim_stats(s).done, "the fetch path recovers what was lost");
	/* Every tampered frame failed verification (or decoding), none reached
	 * a core, and the honest replicas stayed safe and live. */
	cr_assert_gt(tr.counts.rejected, 0);
	cr_assert_eq(tr.counts.rejected,
		     tr.counts.rejected_by_reason[-BYZ_EBADSIG] +
			 tr.counts.rejected_by_reason[-BYZ_EFIELD] +
			 tr.counts.rejected_by_reason[-BYZ_ELENGTH] +
			 tr.counts.rejected_by_reason[-BYZ_ETRUNC] +
			 tr.counts.rejected_by_reason[-BYZ_ETOOBIG] +
			 tr.counts.rejected_by_reason[-BYZ_ENEST]);
	cr_assert_gt(tr.counts.rejected_by_reason[-BYZ_EBADSIG], 0);
	cr_assert_eq(check_run(&tr.log, CHECK_ALL, 2000000, &cr), 0);
	cr_assert_eq(cr.total, 0, "%s", cr.kept ? cr.v[0].detail : "");
	sim_destroy(&s);
	trace_free(&tr);
}

static enum sim_verdict duplicate_hook(void *ctx, struct sim *s,
				       struct sim_flight *m)
{
	(void)ctx;
	/* Every message arrives twice, the copy a little later. */
	cr_assert_eq(
	    sim_inject(s, m->from, m->to, m->frame, m->len, m->delay_us + 700),
	    0);
	return SIM_DELIVER;
}

Test(sim, duplicated_messages_execute_once)
{
	struct sim_config cfg;
	struct trace tr;
	struct sim *s;
	struct check_result cr;

	memset(&cfg, 0, sizeof cfg);
	cfg.ops = byz_core_find("toy");
	cfg.core =
	    (struct byz_config){.n = 4,
				.f = 1,
				.max_clients = 2,
				.batch = 1,
				.window = 64,
				.timeout_us = 20000,
				.app = {.max_keys = 64, .max_clients = 2}};
	cfg.seed = 3;
	cfg.net = (struct sim_network){.latency_us = 1000, .jitter_us = 900};
	cfg.work = (struct sim_workload){.clients = 2,
					 .requests = 30,
					 .keys = 8,
					 .retry_us = 50000,
					 .retry_max_us = 400000};
	cfg.max_time_us = 60000000;
	cfg.hook = duplicate_hook;
	trace_init(&tr, 4, 1, NULL);
	cr_assert_eq(sim_new(&cfg, &tr, &s), 0);
	cr_assert_eq(sim_run(s), 0);
	cr_assert(sim_stats(s).done);
	cr_assert_eq(check_run(&tr.log, CHECK_ALL, 2000000, &cr), 0);
	cr_assert_eq(cr.total, 0, "%s", cr.kept ? cr.v[0].detail : "");
	cr_assert_eq(tr.log.ncommits, 4 * 60);
	sim_destroy(&s);
	trace_free(&tr);
}

/* ---- a known-buggy core: the checkers must catch it on a real run -------- */

extern const struct byz_core_ops toy_core_ops;
static struct byz_core_ops buggy_ops;
static uint32_t buggy_replica_seen;

struct buggy {
	void *inner;
	uint32_t id;
};

static int buggy_create(const struct byz_config *cfg, const uint8_t *p,
			size_t len, void **core)
{
	struct buggy *b = calloc(1, sizeof *b);
	int rc;

	if (!b)
		return BYZ_ENOMEM;
	b->id = cfg->id;
	rc = toy_core_ops.create(cfg, p, len, &b->inner);
	if (rc) {
		free(b);
		return rc;
	}
	*core = b;
	return 0;
}

static void buggy_destroy(void **core)
{
	struct buggy *b = *core;

	toy_core_ops.destroy(&b->inner);
	free(b);
	*core = NULL;
}

/* Replica 2 reports a wrong state digest from height 5 on. */
static int buggy_step(void *core, const struct byz_event *ev,
		      struct byz_outbox *ob)
{
	struct buggy *b = core;
	int rc = toy_core_ops.step(b->inner, ev, ob);

	for (size_t i = 0; i < ob->count && b->id == 2; i++)
		if (ob->out[i].kind == BYZ_OUT_COMMIT &&
		    ob->out[i].commit.height >= 5) {
			ob->out[i].commit.state_digest[0] ^= 1;
			buggy_replica_seen = 2;
		}
	return rc;
}

Test(sim, a_core_with_a_digest_bug_is_caught)
{
	struct scenario sc = base();
	struct scenario_result res;

	buggy_ops = toy_core_ops;
	buggy_ops.name = "toy-buggy";
	buggy_ops.create = buggy_create;
	buggy_ops.destroy = buggy_destroy;
	buggy_ops.step = buggy_step;
	sc.ops = &buggy_ops;
	res = run(&sc);
	cr_assert_eq(res.verdict, VERDICT_FAIL);
	cr_assert_eq(buggy_replica_seen, 2);
	cr_assert_eq(res.checks.per_check[CHECK_DIGESTS], 56);
	cr_assert_eq(res.checks.per_check[CHECK_AGREEMENT], 0);
	cr_assert(strstr(res.why, "digests") == res.why, "%s", res.why);
}

Test(sim, config_errors_say_what)
{
	struct scenario sc = base();
	struct scenario_result res;

	sc.n = 3;
	sc.f = 1;
	cr_assert_eq(scenario_run(&sc, NULL, &res), BYZ_EINVAL);
	cr_assert(strstr(res.why, "3f+1") != NULL, "%s", res.why);
	sc = base();
	sc.crashes[0] = (struct sim_crash){.replica = 9, .at_us = 1};
	sc.ncrashes = 1;
	cr_assert_eq(scenario_run(&sc, NULL, &res), BYZ_EINVAL);
	cr_assert(strstr(res.why, "replica 9") != NULL, "%s", res.why);
}

/* ---- configuration limits (issue #13 item 4) ------------------------------
 */

/* A configuration every registered protocol runs: the scenario's. */
static struct byz_config limits_cfg(const struct byz_core_ops *ops)
{
	struct scenario sc;
	struct sim_config cfg;

	scenario_defaults(&sc);
	sc.ops = ops;
	scenario_sim_config(&sc, &cfg);
	cfg.core.window =
	    ops->limits->window_max ? ops->limits->window_max : cfg.core.window;
	if (ops->limits->checkpoint_max)
		cfg.core.checkpoint_interval = ops->limits->checkpoint_min;
	return cfg.core;
}

/* Does ops's create take cfg? The check must say the same. */
static bool creates(const struct byz_core_ops *ops,
		    const struct byz_config *cfg)
{
	void *core = NULL;
	char why[512];
	int rc = ops->create(cfg, NULL, 0, &core);
	int check =
	    byz_limits_check(ops->name, ops->limits, cfg, why, sizeof why);

	if (core)
		ops->destroy(&core);
	cr_assert_eq(rc == 0, check == 0,
		     "%s: create says %d, the limits check %d (%s)", ops->name,
		     rc, check, why);
	return rc == 0;
}

Test(sim, each_create_accepts_exactly_its_declared_limits)
{
	const struct byz_core_ops *const *all = byz_core_all();

	for (size_t i = 0; all[i]; i++) {
		const struct byz_core_ops *ops = all[i];
		const struct byz_limits *l = ops->limits;
		struct byz_config cfg = limits_cfg(ops), c;

		cr_assert_not_null(l, "%s declares no limits", ops->name);
		cr_assert(creates(ops, &cfg), "%s", ops->name);
		c = cfg;
		c.window = l->window_max + 1;
		cr_assert(!creates(ops, &c), "%s window", ops->name);
		c = cfg;
		c.window = l->window_min;
		if (l->window_checkpoints)
			c.window =
			    l->window_checkpoints * c.checkpoint_interval;
		cr_assert(creates(ops, &c), "%s window %u", ops->name,
			  c.window);
		c.window--;
		cr_assert(!creates(ops, &c), "%s window %u", ops->name,
			  c.window);
		if (l->n_min > 1) {
			c = cfg;
			c.n = l->n_min - 1;
			c.f = (c.n - 1) / 3;
			cr_assert(!creates(ops, &c), "%s n", ops->name);
		}
		if (l->batch_max) {
			c = cfg;
			c.batch = l->batch_max + 1;
			cr_assert(!creates(ops, &c), "%s batch", ops->name);
			c.batch = l->batch_max;
			cr_assert(creates(ops, &c), "%s batch", ops->name);
		}
		if (l->checkpoint_max) {
			c = cfg;
			c.checkpoint_interval = l->checkpoint_max + 1;
			cr_assert(!creates(ops, &c), "%s checkpoint",
				  ops->name);
		}
		c = cfg;
		c.f = (c.n + 2) / 3; /* 3f + 1 > n */
		cr_assert(!creates(ops, &c), "%s f", ops->name);
	}
}

Test(sim, the_config_check_names_every_broken_rule_and_its_range)
{
	const struct byz_core_ops *pbft = byz_core_find("pbft");
	struct byz_config cfg = limits_cfg(pbft);
	char why[1024];

	cfg.n = 3;
	cfg.f = 0;
	cfg.window = 2000;
	cfg.checkpoint_interval = 4;
	cfg.batch = 300;
	cr_assert_eq(byz_config_check(pbft, &cfg, why, sizeof why), BYZ_EINVAL);
	cr_assert_str_eq(why, "--n 3: pbft accepts 4..256; --window 2000: "
			      "pbft accepts 8..1024 (at least 2 x "
			      "--checkpoint 4); --batch 300: pbft accepts "
			      "1..256");
	/* A short buffer is cut, never overrun; NULL is allowed. */
	cr_assert_eq(byz_config_check(pbft, &cfg, why, 12), BYZ_EINVAL);
	cr_assert_eq(strlen(why), 11);
	cr_assert_eq(byz_limits_check("pbft", pbft->limits, &cfg, NULL, 0),
		     BYZ_EINVAL);
	cfg.n = 4;
	cfg.f = 2;
	cfg.window = 64;
	cfg.batch = 1;
	cr_assert_eq(byz_config_check(pbft, &cfg, why, sizeof why), BYZ_EINVAL);
	cr_assert_str_eq(why, "--f 2 needs --n of at least 7 (n >= 3f+1)");
	byz_limits_text(pbft, BYZ_LIMIT_WINDOW, why, sizeof why);
	cr_assert_str_eq(why, "2 x --checkpoint..1024");
	byz_limits_text(byz_core_find("hotstuff"), BYZ_LIMIT_CHECKPOINT, why,
			sizeof why);
	cr_assert_str_eq(why, "not used");
}

/* Issue #16: a protocol of the crash model counts f crash faults, so it
 * needs n >= 2f+1, and f defaults to (n-1)/2; every other protocol keeps
 * n >= 3f+1. */
Test(sim, the_failure_model_sets_what_f_may_be)
{
	struct byz_limits crash = {.n_min = 1, .faults = BYZ_FAULTS_CRASH};
	struct byz_core_ops cft = {.name = "cft", .limits = &crash};
	const struct byz_core_ops *pbft = byz_core_find("pbft");
	struct byz_config cfg = {.n = 3, .f = 1, .max_clients = 1};
	char why[256];

	cr_assert_eq(byz_limits_check("cft", &crash, &cfg, why, sizeof why), 0);
	cfg.f = 2;
	cr_assert_eq(byz_limits_check("cft", &crash, &cfg, why, sizeof why),
		     BYZ_EINVAL);
	cr_assert_str_eq(why, "--f 2 needs --n of at least 5 (cft tolerates "
			      "crash faults: n >= 2f+1)");
	cfg.f = 1;
	cr_assert_eq(byz_limits_check("bft", NULL, &cfg, why, sizeof why),
		     BYZ_EINVAL);
	cr_assert_eq(byz_faults_max(&cft, 5), 2);
	cr_assert_eq(byz_faults_max(&cft, 3), 1);
	cr_assert_eq(byz_faults_max(pbft, 7), 2);
	cr_assert_eq(byz_faults_max(NULL, 7), 2);
	cr_assert_eq(byz_faults_max(&cft, 0), 0);
	cr_assert_eq(byz_faults_min_n(&cft, 2), 5);
	cr_assert_eq(byz_faults_min_n(pbft, 2), 7);
	cr_assert_str_eq(byz_faults_name(&cft), "crash");
	cr_assert_str_eq(byz_faults_name(pbft), "Byzantine");
	cr_assert_str_eq(byz_faults_rule(&cft), "n >= 2f+1");
}

Test(sim, a_run_needs_an_honest_replica_and_byzantine_ids_in_the_cluster)
{
	struct scenario sc = base();
	struct sim_config cfg;
	char why[512];

	scenario_sim_config(&sc, &cfg);
	cr_assert_eq(sim_config_check(&cfg, why, sizeof why), 0, "%s", why);
	for (uint32_t r = 0; r < 3; r++)
		cfg.byzantine[r] = true;
	cr_assert_eq(sim_config_check(&cfg, why, sizeof why), 0, "%s", why);
	cfg.byzantine[3] = true;
	cr_assert_eq(sim_config_check(&cfg, why, sizeof why), BYZ_EINVAL);
	cr_assert(strstr(why, "every replica is Byzantine (b = n = 4)"), "%s",
		  why);
	memset(cfg.byzantine, 0, sizeof cfg.byzantine);
	cfg.byzantine[9] = true;
	cr_assert_eq(sim_config_check(&cfg, why, sizeof why), BYZ_EINVAL);
	cr_assert(strstr(why, "replica 9 is Byzantine"), "%s", why);
	/* The scenario's check (every driver's, before a run) says so too. */
	sc.plan.byzantine[0] = sc.plan.byzantine[1] = true;
	sc.plan.byzantine[2] = sc.plan.byzantine[3] = true;
	cr_assert_eq(scenario_check_config(&sc, why, sizeof why), BYZ_EINVAL);
	cr_assert(strstr(why, "every replica is Byzantine"), "%s", why);
}
