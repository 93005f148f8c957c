/*
 * scenario.c - run one scenario in the simulator and judge it.
 */
#include "scenario.h"

#include "err.h"
#include "scenario_io.h"
#include "verdict.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void scenario_defaults(struct scenario *sc)
{
	memset(sc, 0, sizeof *sc);
	sc->ops = byz_core_default();
	sc->n = 4;
	sc->f = 1;
	sc->seed = 1;
	sc->clients = 4;
	sc->requests = 25;
	sc->keys = 16;
	sc->latency_us = 1000;
	sc->jitter_us = 500;
	sc->loss = 0.0;
	sc->gst_us = 0;
	sc->timeout_us = 20000;
	sc->batch = 1;
	sc->window = 64;
	sc->checkpoint_interval = 16;
	sc->retry_us = 50000;
	sc->retry_max_us = 400000;
	sc->think_us = 0;
	sc->max_time_us = 600ull * 1000 * 1000;
}

/* See scenario.h. Legitimate runs stay far below: an all-to-all
 * protocol sends about 2n^2 messages per decision (each a send and a
 * deliver event), so this allows 2,000 such decisions at any n, and at
 * least 10 million events. */
uint64_t scenario_max_events(const struct scenario *sc)
{
	uint64_t n = sc->n, cap = 2000 * 4 * n * n;

	if (sc->max_events)
		return sc->max_events;
	return cap < 10000000 ? 10000000 : cap;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void scenario_sim_config(const struct scenario *sc, struct sim_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->ops = sc->ops;
	cfg->core.n = sc->n;
	cfg->core.f = sc->f;
	cfg->core.max_clients = sc->clients;
	cfg->core.batch = sc->batch;
	cfg->core.window = sc->window;
	cfg->core.checkpoint_interval = sc->checkpoint_interval;
	cfg->core.timeout_us = sc->timeout_us;
	cfg->core.app.max_clients = sc->clients;
	cfg->core.app.max_keys = 4096;
	cfg->seed = sc->seed;
	cfg->net.latency_us = sc->latency_us;
	cfg->net.jitter_us = sc->jitter_us;
	cfg->net.loss = sc->loss;
	cfg->net.gst_us = sc->gst_us;
	cfg->work.clients = sc->clients;
	cfg->work.requests = sc->requests;
	cfg->work.keys = sc->keys;
	cfg->work.think_us = sc->think_us;
	cfg->work.retry_us = sc->retry_us;
	cfg->work.retry_max_us = sc->retry_max_us;
	memcpy(cfg->crashes, sc->crashes, sizeof cfg->crashes);
	cfg->ncrashes = sc->ncrashes;
	memcpy(cfg->byzantine, sc->byzantine, sizeof cfg->byzantine);
	cfg->max_time_us = sc->max_time_us;
	cfg->max_events = scenario_max_events(sc);
	cfg->core.mutant =
	    sc->mutant[0] ? byz_mutant_find(sc->ops, sc->mutant) : 0;
	cfg->core.nleaders = sc->nleaders;
	memcpy(cfg->core.leaders, sc->leaders, sizeof cfg->core.leaders);
	cfg->stop = sc->stop;
	cfg->hook = sc->hook;
	cfg->hook_ctx = sc->hook_ctx;
	cfg->on_frame = sc->on_frame;
	cfg->on_frame_ctx = sc->on_frame_ctx;
	cfg->stop_on_violation = sc->stop_on_violation;
	cfg->crypto = sc->crypto;
}

static bool plan_empty(const struct attack_plan *p)
{
	if (p->count)
		return false;
	for (uint32_t r = 0; r < BYZ_MAX_N; r++)
		if (p->byzantine[r])
			return false;
	return true;
}

/* Whether the run has no GST although something acts only before GST:
 * loss, a network attack, the twins' split. Then they act for the whole
 * run (GST 0 means "never"), and liveness, which is promised only after
 * GST, is not judged. */
static bool never_synchronous(const struct scenario *sc)
{
	if (sc->gst_us)
		return false;
	if (sc->loss > 0.0)
		return true;
	for (size_t i = 0; i < sc->plan.count; i++) {
		const struct attack *a = &sc->plan.a[i];
		if (attack_is_network(a->kind) ||
		    (a->kind == ATK_TWINS && !a->nosplit))
			return true;
	}
	return false;
}

bool scenario_no_gst(const struct scenario *sc)
{
	return never_synchronous(sc);
}

bool scenario_has_adversary(const struct scenario *sc)
{
	return !plan_empty(&sc->plan);
}

/* The protocol's bound, stretched by faulty clocks (sim.h, struct
 * sim_clock): its timeouts are on the replicas' clocks, so a clock of rate
 * r < 1 takes 1/r as long for each (the slowest one scales the bound), and
 * a clock set back (a negative offset, clamped at 0, or a backward jump)
 * stalls its deadlines by that much of its own time. Fast clocks fire
 * early: they only cost more view changes, which the bound's doubling
 * timeouts already cover. Without clock faults: the bound unchanged. */
static uint64_t clock_stretch(const struct sim_config *cfg, uint64_t bound)
{
	uint32_t slow = SIM_RATE_ONE;
	uint64_t stall = 0;

	for (size_t i = 0; i < cfg->nclocks && i < SIM_MAX_CLOCKS; i++) {
		const struct sim_clock *k = &cfg->clocks[i];
		uint64_t back = 0, real;
		if (k->rate_ppm < SIM_RATE_MIN)
			continue; /* refused by sim_config_check */
		if (k->rate_ppm < slow)
			slow = k->rate_ppm;
		if (k->offset_us < 0)
			back += (uint64_t)-k->offset_us;
		if (k->jump_us < 0)
			back += (uint64_t)-k->jump_us;
		/* back <= 2 * SIM_SHIFT_MAX_US: back * 1e6 < 2^64 */
		real = (back * SIM_RATE_ONE + k->rate_ppm - 1) / k->rate_ppm;
		if (real > stall)
			stall = real;
	}
	if (slow < SIM_RATE_ONE) {
		if (bound / slow > (UINT64_MAX - SIM_RATE_ONE) / SIM_RATE_ONE)
			return UINT64_MAX / 2;
		/* ceil(bound * 1e6 / slow), in integers */
		bound = bound / slow * SIM_RATE_ONE +
			((bound % slow) * SIM_RATE_ONE + slow - 1) / slow;
	}
	return bound + stall;
}

uint64_t scenario_bound(const struct scenario *sc, const struct sim_config *cfg,
			uint64_t latency_us)
{
	uint64_t max_latency = sc->latency_us + sc->jitter_us;

	if (sc->liveness_bound_us)
		return sc->liveness_bound_us;
	if (latency_us > max_latency)
		max_latency = latency_us;
	return clock_stretch(
		   cfg, sc->ops->liveness_bound_us(&cfg->core, max_latency)) +
	       sc->retry_max_us;
}

/* A --crash of a replica that has a twin would leave the twin running. */
static int check_crashes(const struct scenario *sc, char *why, size_t whylen)
{
	bool twins = false;

	for (size_t i = 0; i < sc->plan.count; i++)
		twins |= sc->plan.a[i].kind == ATK_TWINS;
	for (size_t i = 0; twins && i < sc->ncrashes; i++)
		if (sc->crashes[i].replica < BYZ_MAX_N &&
		    sc->plan.byzantine[sc->crashes[i].replica]) {
			snprintf(
			    why, whylen,
			    "crash of replica %" PRIu32 " cannot be combined "
			    "with twins: its twin r%" PRIu32 "t would go on",
			    sc->crashes[i].replica, sc->crashes[i].replica);
			return -1;
		}
	return 0;
}

/* Each replica's last height, and the lowest among honest replicas that
 * are up at the end. */
static uint64_t min_honest_height(const struct trace_log *log,
				  uint64_t h[BYZ_MAX_N])
{
	uint64_t min = UINT64_MAX;

	for (size_t i = 0; i < log->ncommits; i++) {
		const struct trace_commit *c = &log->commits[i];
		if (c->replica < log->n)
			h[c->replica] = c->c.height;
	}
	for (uint32_t r = 0; r < log->n; r++)
		if (!log->byzantine[r] && !log->down_at_end[r] && h[r] < min)
			min = h[r];
	return min == UINT64_MAX ? 0 : min;
}

/* res->committed and res->decisions: the requests the honest replicas up
 * at the end executed, and the distinct slots they came in (a replica's
 * commits come in slot order, so a slot is new when it differs from that
 * replica's previous one). */
static void count_decisions(const struct trace_log *log,
			    struct scenario_result *res)
{
	uint64_t last[BYZ_MAX_N];
	bool any[BYZ_MAX_N] = {false};

	res->committed = res->decisions = 0;
	for (size_t i = 0; i < log->ncommits; i++) {
		const struct trace_commit *c = &log->commits[i];
		uint32_t r = c->replica;
		if (r >= log->n || c->c.restored || log->byzantine[r] ||
		    log->down_at_end[r])
			continue;
		res->committed++;
		if (!any[r] || last[r] != c->c.slot)
			res->decisions++;
		any[r] = true;
		last[r] = c->c.slot;
	}
}

/* The trace's first line: what `byzlab check` needs to judge the trace
 * alone (docs/trace.md). cfg is the simulator's, after the adversary's
 * changes (its Byzantine replicas and twins). */
void scenario_trace_run(const struct scenario *sc, const struct sim_config *cfg,
			uint64_t bound_us, bool no_gst, const char *driver,
			struct trace *tr)
{
	struct trace_run_info info;
	char faults[1400];

	memset(&info, 0, sizeof info);
	info.protocol = sc->ops->name;
	info.driver = driver;
	info.seed = sc->seed;
	info.requests = (uint64_t)sc->clients * sc->requests;
	info.gst_us = sc->gst_us;
	info.no_gst = no_gst;
	scenario_faults_text(sc, faults, sizeof faults);
	info.faults = faults;
	info.bound_us = bound_us;
	memcpy(info.byzantine, cfg->byzantine, sizeof info.byzantine);
	memcpy(info.twin, cfg->twin, sizeof info.twin);
	for (size_t i = 0; i < cfg->ncrashes; i++)
		if (cfg->crashes[i].restart_at_us &&
		    !cfg->crashes[i].keep_state)
			info.amnesia[cfg->crashes[i].replica] = true;
	trace_run(tr, &info);
}

/* A named mutant must be one of the protocol's. 0, or -1 with why. */
static int check_mutant(const struct scenario *sc, char *why, size_t whylen)
{
	if (!sc->mutant[0] || byz_mutant_find(sc->ops, sc->mutant))
		return 0;
	snprintf(why, whylen,
		 "mutant: '%s' is not a mutant of %s ('byzlab selftest "
		 "--list' names them)",
		 sc->mutant, sc->ops->name);
	return -1;
}

/* A leader schedule names replicas of the cluster. 0, or -1 with why. */
static int check_leaders(const struct scenario *sc, char *why, size_t whylen)
{
	for (uint32_t v = 0; v < sc->nleaders; v++)
		if (sc->leaders[v] >= sc->n) {
			snprintf(why, whylen,
				 "leaders: view %" PRIu32
				 " is led by replica %u, but n = %" PRIu32,
				 v, (unsigned)sc->leaders[v], sc->n);
			return -1;
		}
	return 0;
}

int scenario_check_sim_only(const struct scenario *sc, const char *driver,
			    char *why, size_t whylen)
{
	for (size_t i = 0; i < sc->plan.count && i < ATK_MAX; i++)
		if (sc->plan.a[i].kind == ATK_CLOCK) {
			char text[256];
			attack_format(&sc->plan.a[i], text, sizeof text);
			snprintf(why, whylen,
				 "attack \"%s\": clock faults run in the "
				 "simulator only (--driver sim); the %s "
				 "driver's processes read their host's clock",
				 text, driver);
			return -1;
		}
	return 0;
}

int scenario_check_run(const struct scenario *sc, char *why, size_t whylen)
{
	if (check_mutant(sc, why, whylen) || check_leaders(sc, why, whylen) ||
	    check_crashes(sc, why, whylen))
		return BYZ_EINVAL;
	return 0;
}

/* The simulator's configuration of sc with the adversary's changes (its
 * Byzantine replicas, twins, crashes), as scenario_run builds it; 0, or
 * BYZ_EINVAL with why. */
static int adversary_sim_config(const struct scenario *sc,
				struct sim_config *cfg, char *why,
				size_t whylen)
{
	if (!scenario_has_adversary(sc))
		return 0;
	if (adversary_check(&sc->plan, sc->n, sc->f, why, whylen))
		return BYZ_EINVAL;
	/* What adversary_new and adversary_configure would do to cfg, with
	 * nothing allocated (this runs for every run of a campaign when it
	 * is loaded). */
	return adversary_plan_config(&sc->plan, sc->n, cfg, why, whylen)
		   ? BYZ_EINVAL
		   : 0;
}

int scenario_check_config(const struct scenario *sc, char *why, size_t whylen)
{
	struct sim_config cfg;

	if (!sc->ops) {
		snprintf(why, whylen, "no protocol");
		return BYZ_EINVAL;
	}
	if (check_mutant(sc, why, whylen) || check_leaders(sc, why, whylen) ||
	    check_crashes(sc, why, whylen))
		return BYZ_EINVAL;
	scenario_sim_config(sc, &cfg);
	if (adversary_sim_config(sc, &cfg, why, whylen))
		return BYZ_EINVAL;
	return sim_config_check(&cfg, why, whylen);
}

int scenario_run(const struct scenario *sc, FILE *trace_file,
		 struct scenario_result *res)
{
	struct sim_config cfg;
	struct trace tr;
	struct sim *s = NULL;
	struct adversary *adv = NULL;
	double t0 = wall_now();
	int rc;

	memset(res, 0, sizeof *res);
	res->verdict = VERDICT_ERROR;
	res->no_gst = never_synchronous(sc);
	if (check_mutant(sc, res->why, sizeof res->why) ||
	    check_leaders(sc, res->why, sizeof res->why))
		return BYZ_EINVAL;
	scenario_sim_config(sc, &cfg);
	if (res->no_gst)
		cfg.net.gst_us = UINT64_MAX;
	if (check_crashes(sc, res->why, sizeof res->why))
		return BYZ_EINVAL;
	if (scenario_has_adversary(sc)) {
		if (adversary_check(&sc->plan, sc->n, sc->f, res->why,
				    sizeof res->why))
			return BYZ_EINVAL;
		rc = adversary_new(&sc->plan, sc->n, sc->f,
				   res->no_gst ? UINT64_MAX : sc->gst_us, &adv);
		if (rc) {
			snprintf(res->why, sizeof res->why,
				 "cannot set up the adversary: %s",
				 byz_strerror(rc));
			return rc;
		}
		if (adversary_configure(adv, &cfg, res->why, sizeof res->why)) {
			adversary_free(&adv);
			return BYZ_EINVAL;
		}
	}
	if (sim_config_check(&cfg, res->why, sizeof res->why)) {
		adversary_free(&adv);
		return BYZ_EINVAL;
	}
	res->liveness_bound_us = scenario_bound(sc, &cfg, 0);
	trace_init(&tr, sc->n, sc->f, trace_file);
	scenario_trace_run(sc, &cfg, res->liveness_bound_us, res->no_gst, "sim",
			   &tr);
	rc = sim_new(&cfg, &tr, &s);
	if (rc) {
		snprintf(res->why, sizeof res->why, "cannot start: %s",
			 byz_strerror(rc));
		goto out;
	}
	/* The adversary gets the keys of its Byzantine replicas, and only
	 * theirs (ARCHITECTURE.md, "The adversary"). */
	if (adv && (rc = adversary_attach(adv, s))) {
		snprintf(res->why, sizeof res->why,
			 "cannot set up the adversary: %s", byz_strerror(rc));
		goto out;
	}
	rc = sim_run(s);
	res->sim = sim_stats(s);
	if (rc) {
		snprintf(res->why, sizeof res->why, "simulation failed: %s",
			 byz_strerror(rc));
		goto out;
	}
	trace_end(&tr, res->sim.now, verdict_stop_name(&res->sim),
		  res->sim.forged_accepted, res->sim.core_error,
		  res->sim.core_error_replica);
	rc = check_run(&tr.log, verdict_mask(&res->sim, res->no_gst),
		       res->liveness_bound_us, &res->checks);
	if (rc) {
		snprintf(res->why, sizeof res->why, "checkers failed: %s",
			 byz_strerror(rc));
		goto out;
	}
	res->min_height = min_honest_height(&tr.log, res->height);
	count_decisions(&tr.log, res);
	res->violation_us = tr.log.conflict ? tr.log.conflict_us : 0;
	verdict_judge(res);
out:
	res->counts = tr.counts;
	res->trace_lines = tr.lines;
	trace_hash_hex(&tr, res->trace_hash);
	if (tr.write_errno)
		res->trace_errno = tr.write_errno;
	if (!rc && tr.err) {
		rc = tr.err;
		res->verdict = VERDICT_ERROR;
		if (tr.err == BYZ_EIO && !res->trace_errno)
			res->trace_errno = EIO;
		if (res->trace_errno)
			snprintf(res->why, sizeof res->why,
				 "writing the trace failed: %s",
				 strerror(res->trace_errno));
		else
			snprintf(res->why, sizeof res->why,
				 "recording the trace failed: %s",
				 byz_strerror(tr.err));
	}
	if (adv)
		res->adv = adversary_stats(adv);
	sim_destroy(&s);
	adversary_free(&adv);
	trace_free(&tr);
	res->wall_seconds = wall_now() - t0;
	return rc;
}

const char *scenario_crypto_name(enum byz_scheme s)
{
	return s == BYZ_SCHEME_FAST ? "fast" : "ed25519";
}

/* Start a trace file again from nothing (for the confirming run). */
static int trace_file_restart(FILE *f)
{
	if (fflush(f) || fseeko(f, 0, SEEK_SET) || ftruncate(fileno(f), 0))
		return -1;
	return 0;
}

int scenario_run_confirmed(struct scenario *sc, FILE *trace_file,
			   struct scenario_result *res)
{
	struct scenario ed;
	enum verdict fv;
	bool fsafe;
	char fhash[sizeof res->trace_hash];
	int rc = scenario_run(sc, trace_file, res);

	/* Test hook (tests/e2e/test_fast_crypto.py): a fast run that passed
	 * reports a safety finding, which its Ed25519 replay cannot
	 * reproduce. */
	if (sc->crypto == BYZ_SCHEME_FAST && !rc &&
	    res->verdict == VERDICT_PASS &&
	    getenv("BYZLAB_TEST_FAST_FINDING")) {
		res->verdict = VERDICT_FAIL;
		res->safe = false;
	}
	if (sc->crypto != BYZ_SCHEME_FAST || res->verdict != VERDICT_FAIL ||
	    res->sim.interrupted)
		return rc;
	/* A finding: replay it with Ed25519, which is what gets reported. */
	fv = res->verdict;
	fsafe = res->safe;
	memcpy(fhash, res->trace_hash, sizeof fhash);
	ed = *sc;
	ed.crypto = BYZ_SCHEME_ED25519;
	if (trace_file && trace_file_restart(trace_file)) {
		snprintf(res->why, sizeof res->why,
			 "cannot rewrite the trace for the Ed25519 replay: "
			 "%s",
			 strerror(errno));
		res->verdict = VERDICT_ERROR;
		return BYZ_EIO;
	}
	rc = scenario_run(&ed, trace_file, res);
	sc->crypto = BYZ_SCHEME_ED25519;
	res->confirmed = true;
	res->fast_verdict = fv;
	res->fast_safe = fsafe;
	memcpy(res->fast_trace_hash, fhash, sizeof fhash);
	if (!rc && res->verdict != VERDICT_WALL &&
	    (res->verdict != fv || res->safe != fsafe)) {
		char ewhy[sizeof res->why];
		snprintf(ewhy, sizeof ewhy,
			 "a %s finding with fast crypto (%s) did not "
			 "reproduce with Ed25519 (%s%s%.200s): a bug of "
			 "byzlab, please report it",
			 fsafe ? "liveness" : "safety", verdict_name(fv),
			 verdict_name(res->verdict), res->why[0] ? ": " : "",
			 res->why);
		memcpy(res->why, ewhy, sizeof ewhy);
		res->verdict = VERDICT_ERROR;
	}
	return rc;
}

const char *verdict_name(enum verdict v)
{
	return v == VERDICT_PASS   ? "pass"
	       : v == VERDICT_FAIL ? "fail"
	       : v == VERDICT_WALL ? "wall-limit"
				   : "error";
}

json_t *scenario_confirmed_json(const struct scenario_result *res)
{
	return json_pack("{s:s,s:b,s:s}", "verdict",
			 verdict_name(res->fast_verdict), "safe",
			 res->fast_safe, "trace_hash", res->fast_trace_hash);
}

json_t *scenario_result_json(const struct scenario *sc,
			     const struct scenario_result *res)
{
	json_t *o = json_object(), *checks = json_object(),
	       *msgs = json_object(), *viol = json_array(),
	       *rej = json_object();

	json_object_set_new(o, "protocol", json_string(sc->ops->name));
	json_object_set_new(o, "driver",
			    json_string(res->driver ? res->driver : "sim"));
	if (res->run_folder[0])
		json_object_set_new(o, "run_folder",
				    json_string(res->run_folder));
	json_object_set_new(o, "n", json_integer(sc->n));
	json_object_set_new(o, "f", json_integer(sc->f));
	json_object_set_new(o, "seed", json_integer((json_int_t)sc->seed));
	json_object_set_new(o, "clients", json_integer(sc->clients));
	json_object_set_new(o, "requests",
			    json_integer((json_int_t)res->sim.requests));
	verdict_json(o, res);
	if (res->violation_us)
		json_object_set_new(
		    o, "violation_us",
		    json_integer((json_int_t)res->violation_us));
	if (sc->plan.count || !plan_empty(&sc->plan)) {
		json_t *atk = json_array(), *byz = json_array();
		char text[600];
		for (uint32_t r = 0; r < sc->n; r++)
			if (sc->plan.byzantine[r])
				json_array_append_new(byz, json_integer(r));
		for (size_t i = 0; i < sc->plan.count; i++) {
			attack_format(&sc->plan.a[i], text, sizeof text);
			json_array_append_new(atk, json_string(text));
		}
		json_object_set_new(o, "byzantine", byz);
		json_object_set_new(o, "attacks", atk);
		json_object_set_new(
		    o, "adversary",
		    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "dropped",
			      (json_int_t)res->adv.dropped, "partitioned",
			      (json_int_t)res->adv.partitioned, "delayed",
			      (json_int_t)res->adv.delayed, "duplicated",
			      (json_int_t)res->adv.duplicated, "replayed",
			      (json_int_t)res->adv.replayed, "tampered",
			      (json_int_t)res->adv.tampered, "rewritten",
			      (json_int_t)res->adv.rewritten, "injected",
			      (json_int_t)res->adv.injected));
	}
	json_object_set_new(o, "forged_accepted",
			    json_integer((json_int_t)res->sim.forged_accepted));
	json_object_set_new(o, "accepted",
			    json_integer((json_int_t)res->sim.accepted));
	json_object_set_new(o, "min_height",
			    json_integer((json_int_t)res->min_height));
	for (int c = 0; c < CHECK_COUNT; c++)
		json_object_set_new(
		    checks, check_name(c),
		    json_integer((json_int_t)res->checks.per_check[c]));
	json_object_set_new(o, "violations", checks);
	if (sc->ops->mutants) {
		/* Rule coverage: the rules (named by the mutant that breaks
		 * each) that decided something at an honest replica. */
		json_t *rules = json_array();
		for (uint32_t k = 1; byz_mutant_at(sc->ops, k) && k <= 64; k++)
			if (res->sim.rules & 1ull << (k - 1))
				json_array_append_new(
				    rules,
				    json_string(
					byz_mutant_at(sc->ops, k)->name));
		json_object_set_new(o, "rules", rules);
	}
	for (size_t i = 0; i < res->checks.kept; i++)
		json_array_append_new(viol,
				      json_string(res->checks.v[i].detail));
	json_object_set_new(o, "violation_details", viol);
	for (int p = 0; p < TRACE_PROTOS; p++)
		for (int t = 0; t < TRACE_TYPES; t++) {
			char key[48];
			if (!res->counts.sent[p][t])
				continue;
			snprintf(key, sizeof key, "%s/%s",
				 wire_proto_name((uint8_t)p),
				 wire_type_name((uint8_t)p, (uint8_t)t));
			json_object_set_new(
			    msgs, key,
			    json_pack("{s:I,s:I}", "count",
				      (json_int_t)res->counts.sent[p][t],
				      "bytes",
				      (json_int_t)res->counts.bytes[p][t]));
		}
	json_object_set_new(o, "messages", msgs);
	for (int r = 1; r < 64; r++)
		if (res->counts.rejected_by_reason[r])
			json_object_set_new(
			    rej, byz_errname(-r),
			    json_integer(
				(json_int_t)res->counts.rejected_by_reason[r]));
	json_object_set_new(o, "rejected", rej);
	json_object_set_new(o, "dropped",
			    json_integer((json_int_t)res->counts.dropped));
	json_object_set_new(o, "signatures",
			    json_integer((json_int_t)res->counts.signatures));
	json_object_set_new(
	    o, "verifications",
	    json_integer((json_int_t)res->counts.verifications));
	json_object_set_new(o, "virtual_us",
			    json_integer((json_int_t)res->sim.now));
	json_object_set_new(o, "events",
			    json_integer((json_int_t)res->sim.events));
	json_object_set_new(o, "liveness_bound_us",
			    json_integer((json_int_t)res->liveness_bound_us));
	json_object_set_new(o, "trace_lines",
			    json_integer((json_int_t)res->trace_lines));
	json_object_set_new(o, "trace_hash", json_string(res->trace_hash));
	if (sc->crypto != BYZ_SCHEME_ED25519)
		json_object_set_new(
		    o, "crypto", json_string(scenario_crypto_name(sc->crypto)));
	if (res->confirmed)
		json_object_set_new(o, "confirmed_from_fast",
				    scenario_confirmed_json(res));
	json_object_set_new(o, "wall_seconds", json_real(res->wall_seconds));
	return o;
}

void scenario_print_json(FILE *out, const struct scenario *sc,
			 const struct scenario_result *res)
{
	json_t *o = scenario_result_json(sc, res);
	char *line;

	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line) {
		fprintf(out, "%s\n", line);
		free(line);
	}
	json_decref(o);
}
