/*
 * test_clock.c - faulty clocks (issue #16, item 4): the simulator's clock
 * arithmetic (sim.h, struct sim_clock), what a replica with a faulty clock
 * sees and when its timers fire, and the attack language's clock attack.
 */
#include "adversary.h"
#include "attack.h"
#include "err.h"
#include "scenario.h"
#include "sim.h"
#include "toy/toy_wire.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void setup(void)
{
	cr_assert_eq(byz_crypto_init(), 0);
}

TestSuite(clock, .init = setup);

/* ---- the arithmetic ------------------------------------------------------ */

static struct sim_clock clk(uint32_t rate, int64_t offset, int64_t jump,
			    uint64_t at)
{
	struct sim_clock c = {.replica = 0,
			      .rate_ppm = rate,
			      .offset_us = offset,
			      .jump_us = jump,
			      .jump_at_us = at};
	return c;
}

Test(clock, local_time_is_rate_times_t_plus_offset_and_jump_clamped_at_0)
{
	struct sim_clock c = clk(1500000, 7, 0, 0);

	cr_assert_eq(sim_clock_local(NULL, 12345), 12345);
	cr_assert_eq(sim_clock_local(&c, 0), 7);
	cr_assert_eq(sim_clock_local(&c, 7), 17); /* floor(10.5) + 7 */
	cr_assert_eq(sim_clock_local(&c, 2000000), 3000007);
	c = clk(500000, -1000, 0, 0); /* slow, set back 1 ms */
	cr_assert_eq(sim_clock_local(&c, 0), 0);
	cr_assert_eq(sim_clock_local(&c, 2000), 0);
	cr_assert_eq(sim_clock_local(&c, 2002), 1);
	c = clk(1000000, 0, 200000, 50000);
	cr_assert_eq(sim_clock_local(&c, 49999), 49999);
	cr_assert_eq(sim_clock_local(&c, 50000), 250000);
	c = clk(1000000, 0, -200000, 50000);
	cr_assert_eq(sim_clock_local(&c, 50000), 0);
	cr_assert_eq(sim_clock_local(&c, 200000), 0);
	cr_assert_eq(sim_clock_local(&c, 200001), 1);
	/* huge times saturate instead of wrapping */
	c = clk(SIM_RATE_MAX, (int64_t)SIM_SHIFT_MAX_US, 0, 0);
	cr_assert_eq(sim_clock_local(&c, UINT64_MAX), UINT64_MAX);
	cr_assert_eq(sim_clock_local(&c, UINT64_MAX / 20),
		     UINT64_MAX / 20 / 1000000 * 10000000 +
			 (UINT64_MAX / 20 % 1000000) * 10 + SIM_SHIFT_MAX_US);
}

Test(clock, a_deadline_fires_at_the_first_real_time_the_clock_reaches_it)
{
	struct sim_clock c = clk(2000000, 0, 0, 0);

	/* 10 ms local at rate 2: 5 ms real */
	cr_assert_eq(sim_clock_fire(&c, 0, 10000), 5000);
	c = clk(500000, 0, 0, 0);
	cr_assert_eq(sim_clock_fire(&c, 0, 10000), 20000);
	c = clk(1500000, 0, 0, 0);
	cr_assert_eq(sim_clock_fire(&c, 0, 10), 7); /* ceil(10 / 1.5) */
	/* a forward jump past the deadline fires it at the jump */
	c = clk(1000000, 0, 200000, 3000);
	cr_assert_eq(sim_clock_fire(&c, 0, 10000), 3000);
	/* a jump that does not reach it: the rest at the clock's rate */
	c = clk(1000000, 0, 4000, 3000);
	cr_assert_eq(sim_clock_fire(&c, 0, 10000), 6000);
	/* a backward jump delays it by the jump */
	c = clk(1000000, 0, -4000, 3000);
	cr_assert_eq(sim_clock_fire(&c, 0, 10000), 14000);
	/* a deadline reached before the jump fires before it */
	c = clk(1000000, 0, -4000, 30000);
	cr_assert_eq(sim_clock_fire(&c, 0, 10000), 10000);
	/* reached already: now */
	cr_assert_eq(sim_clock_fire(&c, 123, 123), 123);
	/* without a clock: the deadline itself; a saturated one never */
	cr_assert_eq(sim_clock_fire(NULL, 5, 777), 777);
	cr_assert_eq(sim_clock_fire(&c, 0, UINT64_MAX), UINT64_MAX);
	c = clk(SIM_RATE_MIN, -(int64_t)SIM_SHIFT_MAX_US, 0, 0);
	cr_assert_eq(sim_clock_fire(&c, 0, UINT64_MAX - 1), UINT64_MAX);
}

/* Against brute force: fire(now, D) is the least t >= now at which the
 * clock reads D or more, for many clocks, times and deadlines. */
Test(clock, fire_is_the_least_time_the_clock_reads_the_deadline)
{
	static const uint32_t rates[] = {100000,  333333,  999999,  1000000,
					 1000001, 1500000, 2000000, 7777777};
	static const int64_t shifts[] = {0, -37, 41, -250, 250};
	uint64_t checked = 0;

	for (size_t ri = 0; ri < sizeof rates / sizeof rates[0]; ri++)
		for (size_t oi = 0; oi < 5; oi++)
			for (size_t ji = 0; ji < 5; ji++) {
				struct sim_clock c =
				    clk(rates[ri], shifts[oi], shifts[ji], 60);
				for (uint64_t now = 0; now < 120; now += 13)
					for (uint64_t d = 1; d < 200; d += 7) {
						uint64_t dl =
						    sim_clock_local(&c, now) +
						    d;
						uint64_t t = now;
						uint64_t got =
						    sim_clock_fire(&c, now, dl);
						while (sim_clock_local(&c, t) <
						       dl)
							t++;
						cr_assert_eq(
						    got, t,
						    "rate %" PRIu32
						    " offset %" PRId64
						    " jump %" PRId64
						    " now %" PRIu64
						    " deadline %" PRIu64
						    ": %" PRIu64
						    ", not %" PRIu64,
						    c.rate_ppm, c.offset_us,
						    c.jump_us, now, dl, got, t);
						checked++;
					}
			}
	cr_assert_gt(checked, 10000);
}

/* ---- in the simulator: a probe around the toy core ----------------------- */

/* Replica 1 arms timer 7 (unused by the toy) at its start, with a delay of
 * probe_delay on its own clock; when it fires, the probe records the real
 * and the local time. It also records the local time of its start. */
#define PROBE_TIMER 7
extern const struct byz_core_ops toy_core_ops;
static struct byz_core_ops probe_ops;
static struct sim *probe_sim;
static uint64_t probe_delay, probe_start_local, probe_fired_real,
    probe_fired_local;
static int probe_fired;

struct probe {
	void *inner;
	uint32_t id;
};

static int probe_create(const struct byz_config *cfg, const uint8_t *p,
			size_t len, void **core)
{
	struct probe *b = calloc(1, sizeof *b);
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

static void probe_destroy(void **core)
{
	struct probe *b = *core;

	toy_core_ops.destroy(&b->inner);
	free(b);
	*core = NULL;
}

static int probe_step(void *core, const struct byz_event *ev,
		      struct byz_outbox *ob)
{
	struct probe *b = core;
	int rc;

	if (b->id == 1 && ev->kind == BYZ_EV_TIMER &&
	    ev->u.timer == PROBE_TIMER) {
		probe_fired++;
		probe_fired_real = sim_now(probe_sim);
		probe_fired_local = ev->now;
		return 0;
	}
	rc = toy_core_ops.step(b->inner, ev, ob);
	if (!rc && b->id == 1 && ev->kind == BYZ_EV_START) {
		probe_start_local = ev->now;
		rc = byz_out_timer(ob, PROBE_TIMER, probe_delay);
	}
	return rc;
}

/* A toy run of 1 client, 4 requests 100 ms apart, with clock c on replica
 * 1 (NULL: none); the trace hash in hash (65 bytes). */
static void probe_run(const struct sim_clock *c, uint64_t delay, char *hash)
{
	struct scenario sc;
	struct sim_config cfg;
	struct trace tr;

	probe_ops = toy_core_ops;
	probe_ops.name = "toy-probe";
	probe_ops.create = probe_create;
	probe_ops.destroy = probe_destroy;
	probe_ops.step = probe_step;
	scenario_defaults(&sc);
	sc.ops = &probe_ops;
	sc.clients = 1;
	sc.requests = 4;
	sc.think_us = 100000;
	scenario_sim_config(&sc, &cfg);
	if (c) {
		cfg.clocks[0] = *c;
		cfg.clocks[0].replica = 1;
		cfg.nclocks = 1;
	}
	probe_delay = delay;
	probe_fired = 0;
	probe_fired_real = probe_fired_local = probe_start_local = 0;
	trace_init(&tr, sc.n, sc.f, NULL);
	cr_assert_eq(sim_new(&cfg, &tr, &probe_sim), 0);
	cr_assert_eq(sim_run(probe_sim), 0);
	cr_assert(sim_stats(probe_sim).done);
	sim_destroy(&probe_sim);
	trace_hash_hex(&tr, hash);
	trace_free(&tr);
}

Test(clock, a_timer_of_10ms_local_at_rate_2_fires_after_5ms_real)
{
	struct sim_clock c = clk(2000000, 0, 0, 0);
	char h[65];

	probe_run(&c, 10000, h);
	cr_assert_eq(probe_fired, 1);
	cr_assert_eq(probe_fired_real, 5000);
	cr_assert_eq(probe_fired_local, 10000);
	c = clk(500000, 0, 0, 0);
	probe_run(&c, 10000, h);
	cr_assert_eq(probe_fired_real, 20000);
	cr_assert_eq(probe_fired_local, 10000);
}

Test(clock, a_forward_jump_fires_a_pending_timer_at_once)
{
	struct sim_clock c = clk(1000000, 0, 200000, 3000);
	char h[65];

	probe_run(&c, 10000, h);
	cr_assert_eq(probe_fired, 1);
	cr_assert_eq(probe_fired_real, 3000);
	cr_assert_eq(probe_fired_local, 203000);
}

Test(clock, a_backward_jump_delays_a_pending_timer)
{
	struct sim_clock c = clk(1000000, 0, -4000, 3000);
	char h[65];

	probe_run(&c, 10000, h);
	cr_assert_eq(probe_fired, 1);
	cr_assert_eq(probe_fired_real, 14000);
	cr_assert_eq(probe_fired_local, 10000);
}

Test(clock, an_offset_shifts_what_the_replica_sees_not_its_timers)
{
	struct sim_clock c = clk(1000000, 1000000, 0, 0);
	char h[65];

	probe_run(&c, 10000, h);
	cr_assert_eq(probe_start_local, 1000000);
	cr_assert_eq(probe_fired_real, 10000);
	cr_assert_eq(probe_fired_local, 1010000);
	/* set back below 0: the clock stands at 0 until it gets there */
	c = clk(1000000, -5000, 0, 0);
	probe_run(&c, 10000, h);
	cr_assert_eq(probe_start_local, 0);
	cr_assert_eq(probe_fired_real, 15000);
	cr_assert_eq(probe_fired_local, 10000);
}

Test(clock, rate_1_is_exactly_the_run_without_a_clock_fault)
{
	struct sim_clock c = clk(SIM_RATE_ONE, 0, 0, 0);
	char plain[65], one[65], fast[65];

	probe_run(NULL, 10000, plain);
	cr_assert_eq(probe_fired_real, 10000);
	cr_assert_eq(probe_fired_local, 10000);
	probe_run(&c, 10000, one);
	cr_assert_str_eq(one, plain);
	cr_assert_eq(probe_fired_real, 10000);
	/* and a fast clock changes the run (the toy's fetch timer too) */
	c = clk(3000000, 0, 0, 0);
	probe_run(&c, 10000, fast);
	cr_assert_str_neq(fast, plain);
}

Test(clock, the_config_check_bounds_clocks)
{
	struct scenario sc;
	struct sim_config cfg;
	char why[200];

	scenario_defaults(&sc);
	scenario_sim_config(&sc, &cfg);
	cfg.nclocks = 1;
	cfg.clocks[0] = clk(SIM_RATE_MIN - 1, 0, 0, 0);
	cr_assert_eq(sim_config_check(&cfg, why, sizeof why), BYZ_EINVAL);
	cr_assert(strstr(why, "rate"), "%s", why);
	cfg.clocks[0] = clk(SIM_RATE_ONE, 0, -(int64_t)SIM_SHIFT_MAX_US - 1, 0);
	cr_assert_eq(sim_config_check(&cfg, why, sizeof why), BYZ_EINVAL);
	cr_assert(strstr(why, "jump"), "%s", why);
	cfg.clocks[0] = clk(SIM_RATE_ONE, 0, 0, 0);
	cfg.clocks[0].replica = 4;
	cr_assert_eq(sim_config_check(&cfg, why, sizeof why), BYZ_EINVAL);
	cr_assert(strstr(why, "replica 4"), "%s", why);
	cfg.clocks[0].replica = 2;
	cfg.clocks[1] = cfg.clocks[0];
	cfg.nclocks = 2;
	cr_assert_eq(sim_config_check(&cfg, why, sizeof why), BYZ_EINVAL);
	cr_assert(strstr(why, "two clocks"), "%s", why);
	cfg.nclocks = 1;
	cr_assert_eq(sim_config_check(&cfg, why, sizeof why), 0, "%s", why);
}

/* ---- the attack language --------------------------------------------------
 */

static const struct {
	const char *text, *canonical;
} good[] = {
    {"clock:replica=2,rate=1.5,jump=+200ms",
     "clock:replica=2,rate=1.5,jump=+200ms,at=50ms"},
    {"clock:replica=0", "clock:replica=0,rate=1"},
    {"clock:replica=3,rate=0.5", "clock:replica=3,rate=0.5"},
    {"clock:rate=2.000000,replica=1", "clock:replica=1,rate=2"},
    {"clock:replica=1,drift=+100", "clock:replica=1,rate=1.0001"},
    {"clock:replica=1,drift=-900000", "clock:replica=1,rate=0.1"},
    {"clock:replica=1,rate=10,offset=-1.5s",
     "clock:replica=1,rate=10,offset=-1500ms"},
    {"clock:replica=1,jump=200ms,at=1s",
     "clock:replica=1,rate=1,jump=+200ms,at=1s"},
    {"clock:replica=1,rate=0.123456,offset=+7us,jump=-250us,at=0",
     "clock:replica=1,rate=0.123456,offset=+7us,jump=-250us,at=0us"},
};

Test(clock, clock_attacks_parse_and_round_trip)
{
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct attack a, b;
		char why[256] = "", t1[256], t2[256];

		cr_assert_eq(attack_parse(good[i].text, 4, &a, why, sizeof why),
			     0, "%s: %s", good[i].text, why);
		cr_assert_eq(a.kind, ATK_CLOCK);
		attack_format(&a, t1, sizeof t1);
		cr_assert_str_eq(t1, good[i].canonical);
		cr_assert_eq(attack_parse(t1, 4, &b, why, sizeof why), 0,
			     "%s: %s", t1, why);
		cr_assert(memcmp(&a, &b, sizeof a) == 0, "%s", t1);
		attack_format(&b, t2, sizeof t2);
		cr_assert_str_eq(t2, t1);
	}
}

Test(clock, clock_parameters_land_in_the_attack)
{
	struct attack a;
	char why[256];

	cr_assert_eq(attack_parse("clock:replica=2,rate=1.5,offset=-3ms,"
				  "jump=+200ms,at=70ms",
				  4, &a, why, sizeof why),
		     0, "%s", why);
	cr_assert_eq(a.replica, 2);
	cr_assert_eq(a.rate_ppm, 1500000);
	cr_assert_eq(a.offset_us, -3000);
	cr_assert_eq(a.jump_us, 200000);
	cr_assert_eq(a.a_us, 70000);
	cr_assert_not(attack_is_byzantine(ATK_CLOCK));
	cr_assert_not(attack_is_network(ATK_CLOCK));
	cr_assert_not(attack_has_schedule(ATK_CLOCK));
	cr_assert(strstr(attack_names(), "clock"));
}

static void refuse(const char *text, const char *want)
{
	struct attack a;
	char why[256] = "";

	cr_assert_neq(attack_parse(text, 4, &a, why, sizeof why), 0,
		      "\"%s\" parsed", text);
	cr_assert(strstr(why, want), "\"%s\": \"%s\" does not say \"%s\"", text,
		  why, want);
}

Test(clock, bad_clock_attacks_say_what_is_wrong)
{
	refuse("clock", "replica= is required");
	refuse("clock:rate=2", "replica= is required");
	refuse("clock:replica=4", "for replica: a replica from 0 to 3");
	refuse("clock:replica=1,rate=10.5", "a decimal from 0.1 to 10");
	refuse("clock:replica=1,rate=0.09", "a decimal from 0.1 to 10");
	refuse("clock:replica=1,rate=1.0000001", "at most 6 decimals");
	refuse("clock:replica=1,rate=-1", "for rate");
	refuse("clock:replica=1,rate=1e0", "for rate");
	refuse("clock:replica=1,rate=2,drift=5", "rate= or drift=, not both");
	refuse("clock:replica=1,drift=9000001", "-900000 to +9000000");
	refuse("clock:replica=1,drift=-900001", "-900000 to +9000000");
	refuse("clock:replica=1,drift=1.5", "for drift");
	refuse("clock:replica=1,jump=0", "not 0");
	refuse("clock:replica=1,jump=+1000001s", "at most 1000000s");
	refuse("clock:replica=1,offset=5", "for offset");
	refuse("clock:replica=1,offset=++5ms", "for offset");
	refuse("clock:replica=1,at=10ms", "at does not apply without jump=");
	refuse("clock:replica=1,until=10ms", "until does not apply");
	refuse("clock:replica=1,rounds=1-2", "rounds does not apply");
	refuse("clock:replica=1,p=0.5", "clock: unknown parameter \"p\"");
	refuse("clock:replica=1,rate=2,rate=3", "given twice");
}

Test(clock, a_plan_carries_clocks_into_the_simulator)
{
	struct attack_plan p;
	struct sim_config cfg;
	char why[256] = "";

	memset(&p, 0, sizeof p);
	memset(&cfg, 0, sizeof cfg);
	cr_assert_eq(attack_parse("clock:replica=3,rate=0.5,jump=-1s,at=2s", 4,
				  &p.a[0], why, sizeof why),
		     0);
	p.count = 1;
	/* an honest replica's clock: no Byzantine replica is needed */
	cr_assert_eq(adversary_check(&p, 4, 1, why, sizeof why), 0, "%s", why);
	cr_assert_eq(adversary_plan_config(&p, 4, &cfg, why, sizeof why), 0);
	cr_assert_eq(cfg.nclocks, 1);
	cr_assert_eq(cfg.clocks[0].replica, 3);
	cr_assert_eq(cfg.clocks[0].rate_ppm, 500000);
	cr_assert_eq(cfg.clocks[0].jump_us, -1000000);
	cr_assert_eq(cfg.clocks[0].jump_at_us, 2000000);
	for (uint32_t r = 0; r < 4; r++)
		cr_assert_not(cfg.byzantine[r]);
	/* one clock per replica */
	p.a[1] = p.a[0];
	p.count = 2;
	cr_assert_neq(adversary_check(&p, 4, 1, why, sizeof why), 0);
	cr_assert(strstr(why, "replica 3 has two clock faults"), "%s", why);
	/* a plan made for a larger cluster */
	p.count = 1;
	p.a[0].replica = 5;
	cr_assert_neq(adversary_check(&p, 4, 1, why, sizeof why), 0);
	cr_assert(strstr(why, "clock: replica 5 is not in the cluster"), "%s",
		  why);
}

/* The liveness bound grows with a slow clock and a clock set back, and
 * not with a fast one. */
Test(clock, the_liveness_bound_stretches_with_the_slowest_clock)
{
	struct scenario sc;
	struct sim_config cfg;
	uint64_t plain, proto;

	scenario_defaults(&sc);
	sc.ops = byz_core_find("toy");
	scenario_sim_config(&sc, &cfg);
	plain = scenario_bound(&sc, &cfg, 0);
	proto = plain - sc.retry_max_us;
	cfg.nclocks = 1;
	cfg.clocks[0] = clk(2000000, 0, 0, 0);
	cr_assert_eq(scenario_bound(&sc, &cfg, 0), plain);
	cfg.clocks[0] = clk(500000, 0, 0, 0);
	cr_assert_eq(scenario_bound(&sc, &cfg, 0), 2 * proto + sc.retry_max_us);
	cfg.clocks[0] = clk(500000, -1000, -200000, 5000);
	cr_assert_eq(scenario_bound(&sc, &cfg, 0),
		     2 * proto + 2 * 201000 + sc.retry_max_us);
	cfg.clocks[0] = clk(300000, 0, 0, 0); /* ceil(bound / 0.3) */
	cr_assert_eq(scenario_bound(&sc, &cfg, 0),
		     (proto * 10 + 2) / 3 + sc.retry_max_us);
}
