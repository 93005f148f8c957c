/*
 * cmd_bench.c - `byzlab bench`: measurements on this machine.
 *
 * `crypto` measures what bounds every protocol from below: Ed25519 sign and
 * verify through byz_sign/byz_verify (so with the domain-separated signing
 * input and its BLAKE2b), a verification answered by the verified-signature
 * cache, and BLAKE2b-256 throughput.
 */
#include "bench.h"
#include "cli.h"
#include "scenario.h"

#include "crypto.h"
#include "err.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MIN_SECONDS 0.1
#define BENCH_MAX_SECONDS 60.0
#define BENCH_MSG_BYTES	  100
#define BENCH_BLOCK_BYTES 1024
/* A hard cap on each loop, whatever the clock says. It does not bias a
 * rate: rates are ops over the time actually measured. */
#define BENCH_MAX_OPS 500000000ull

static const char bench_usage[] =
    "Usage: byzlab bench TARGET [OPTIONS]\n"
    "       byzlab bench --driver sim|zmq [OPTIONS]\n"
    "       byzlab bench explore [OPTIONS]   (its own --help)\n"
    "\n"
    "Measure on this machine. Each measurement runs for about --seconds,\n"
    "timed with CLOCK_MONOTONIC.\n"
    "\n"
    "Targets:\n"
    "  crypto         the crypto bound under every protocol:\n"
    "                 Ed25519 sign/s and verify/s (byz_sign, byz_verify:\n"
    "                 domain-separated, over a 100-byte message), verify/s\n"
    "                 answered by the verified-signature cache (hits), and\n"
    "                 BLAKE2b-256 MB/s over 1 KiB blocks (MB = 10^6 bytes)\n"
    "  sim            requests per CPU-second of a protocol in the\n"
    "                 simulator, with real signatures: fault-free runs of\n"
    "                 --requests requests, one after the other for about\n"
    "                 --seconds of CPU time, with sign and verify timed in\n"
    "                 CPU time before the first run and after each (so the\n"
    "                 timings see the machine the runs see). Printed next\n"
    "                 to the bound that signing and verifying alone put on\n"
    "                 it, two ways: with one shared verification cache (the\n"
    "                 simulator's: signatures x sign time + uncached\n"
    "                 verifications x verify time), and with every replica\n"
    "                 verifying every signature it receives (every\n"
    "                 verification, as separate processes would), and the\n"
    "                 ratio measured/bound of each; and the mean batch\n"
    "                 achieved (requests committed / decisions)\n"
    "  explore        scenarios per second of campaigns: byzlab bench\n"
    "                 explore --help\n"
    "  zmq            requests per second and latency (p50, p99) of real\n"
    "                 processes over ZeroMQ (the zmq driver): for each\n"
    "                 protocol, n, batch and path, a fault-free local\n"
    "                 cluster of n replica processes and one process that\n"
    "                 runs every client as its own closed loop, either\n"
    "                 direct or with every frame through an adversary\n"
    "                 process that only forwards. Requests/s counts the\n"
    "                 steady part: from when every client has had a first\n"
    "                 request accepted to when the first client stopped;\n"
    "                 latencies are of the requests accepted in it.\n"
    "                 Printed next to the crypto bound on this machine's\n"
    "                 cores, and the ratio measured/bound:\n"
    "                   bound = cores / ((S x sign time + V x verify time)\n"
    "                           / requests accepted)\n"
    "                 with S and V the signatures made and verified (cache\n"
    "                 hits not counted) by every replica and client over\n"
    "                 the run, sign and verify timed in CPU time by this\n"
    "                 process just before and after each run, and cores\n"
    "                 the machine's less what its other processes took\n"
    "                 meanwhile (docs/bench-zmq.md)\n"
    "\n"
    "Options for sim and zmq:\n"
    "  --protocol P   a protocol (byzlab --help lists them) or all\n"
    "                 (default: all but test fixtures)\n"
    "  --n N          replicas (sim: default 4; zmq: a list, default 4,7)\n"
    "  --batch B      requests per batch or block, 1..256 (sim: default 1;\n"
    "                 zmq: a list, default 1,100)\n"
    "  --requests R   requests in all (sim: per run, default 16 per client\n"
    "                 and at least 250; zmq: instead of --seconds, R\n"
    "                 requests spread over the clients)\n"
    "  --clients C    concurrent clients, one request outstanding each,\n"
    "                 1..1024 (sim: default 4 at batch 1, else 2 x batch x\n"
    "                 window, at most 1024: a primary with a free sequence\n"
    "                 number proposes what it has, so batches of B fill\n"
    "                 only with a window of them in flight; zmq: default\n"
    "                 the batch size, at least 16)\n"
    "\n"
    "Options for zmq:\n"
    "  --path P       direct, adversary or both (default both)\n"
    "  --out DIR      keep each run's folder (keys, cluster file, traces,\n"
    "                 logs, status files) in DIR/PROTOCOL-nN-bB-PATH\n"
    "                 (default: temporary folders in /dev/shm, or else in\n"
    "                 $TMPDIR or /tmp, removed; the replicas fdatasync\n"
    "                 their logs there: DIR on a disk measures the disk)\n"
    "\n"
    "Options:\n"
    "  --driver D     sim or zmq: the same as the target of that name\n"
    "  --seconds S    seconds per measurement, 0.1..60 (default 1; sim:\n"
    "                 CPU seconds of runs per protocol, default 5, at least\n"
    "                 one run; zmq: how long the clients submit in each\n"
    "                 configuration, default 3)\n"
    "  --json         one JSON object per measurement, one per line:\n"
    "                 {\"bench\":\"crypto\",\"op\":...,\"bytes\":...,"
    "\"ops\":...,\n"
    "                  \"seconds\":...,\"ops_per_sec\":...,"
    "\"ns_per_op\":...}\n"
    "                 (and \"mb_per_sec\" for blake2b256; sim:\n"
    "                 {\"bench\":\"sim\",\"protocol\":...,\"batch\":...,"
    "\"mean_batch\":...,\n"
    "                  \"requests_per_cpu_sec\":...,"
    "\"bound_shared_cache_per_sec\":...,\n"
    "                  \"ratio_shared_cache\":...,"
    "\"bound_every_replica_per_sec\":...,\n"
    "                  \"ratio_every_replica\":..., and the counts\n"
    "                  (docs/bench-sim.md)}; zmq:\n"
    "                 {\"bench\":\"zmq\",\"protocol\":...,\"n\":...,"
    "\"path\":...,\n"
    "                  \"batch\":...,\"requests_per_sec\":...,"
    "\"latency_ms\":{\"p50\":...,\n"
    "                  \"p99\":...},\"crypto_bound_per_sec\":...,"
    "\"ratio\":...})\n"
    "  -h, --help     this help\n"
    "\n"
    "Exit status: 0 measured; 1 a signature that must verify did not, or\n"
    "a zmq run that did not go through (its folder is kept and named);\n"
    "2 bad usage; 130 interrupted (zmq).\n"
    "\n"
    "Examples:\n"
    "  byzlab bench crypto\n"
    "  byzlab bench crypto --seconds 5 --json > crypto.jsonl\n"
    "  byzlab bench sim --protocol all --n 4 --requests 2000\n"
    "  byzlab bench sim --batch 16\n"
    "  byzlab bench explore\n"
    "  byzlab bench zmq\n"
    "  byzlab bench --driver zmq --n 4 --batch 1 --path direct\n";

enum bench_opt {
	BO_SECONDS = 256,
	BO_JSON,
	BO_PROTOCOL,
	BO_N,
	BO_REQUESTS,
	BO_BATCH,
	BO_DRIVER,
	BO_PATH,
	BO_CLIENTS,
	BO_OUT,
};

struct bench_sim_opts {
	const char *protocol; /* NULL: all but test fixtures */
	uint64_t n, requests, batch;
	uint64_t clients; /* 0: bench_sim_clients */
			  /* requests per run, 0: 16 per client, at least 250 */
};

/* What the operations under measurement work on. */
struct bench_ctx {
	struct byz_keypair kp;
	uint8_t msg[BENCH_MSG_BYTES];	 /* what verify checks; never changes */
	uint8_t sig[BYZ_SIG_BYTES];	 /* kp's signature of msg as (1, 1) */
	uint8_t tosign[BENCH_MSG_BYTES]; /* what sign signs; changes */
	uint8_t scratch[BYZ_SIG_BYTES];	 /* where sign writes */
	uint8_t block[BENCH_BLOCK_BYTES];
	uint8_t digest[BYZ_DIGEST_BYTES];
	struct byz_vcache *vc;
	uint64_t failed; /* verifications that should have passed */
};

typedef void (*bench_fn)(struct bench_ctx *ctx, uint64_t i);

/* One line of the report. */
struct bench_op {
	const char *name;  /* for machines */
	const char *label; /* for people */
	bench_fn fn;
	unsigned batch;	 /* operations between two clock reads */
	size_t bytes;	 /* bytes each operation covers */
	bool throughput; /* report MB/s too */
};

/* Sign a message that changes at every call, as a replica does. */
static void bench_sign(struct bench_ctx *ctx, uint64_t i)
{
	ctx->tosign[0] = (uint8_t)i;
	byz_sign(&ctx->kp, 1, 1, ctx->tosign, sizeof ctx->tosign, ctx->scratch);
}

static void bench_verify(struct bench_ctx *ctx, uint64_t i)
{
	(void)i;
	if (byz_verify(ctx->kp.pk, 1, 1, ctx->msg, sizeof ctx->msg, ctx->sig))
		ctx->failed++;
}

static void bench_verify_cached(struct bench_ctx *ctx, uint64_t i)
{
	(void)i;
	if (byz_vcache_verify(ctx->vc, ctx->kp.pk, 1, 1, ctx->msg,
			      sizeof ctx->msg, ctx->sig))
		ctx->failed++;
}

/* Hash a block that depends on the previous digest, so no call can be
 * skipped or hoisted. */
static void bench_blake2b(struct bench_ctx *ctx, uint64_t i)
{
	(void)i;
	ctx->block[0] ^= ctx->digest[0];
	byz_digest(ctx->digest, ctx->block, sizeof ctx->block);
}

static const struct bench_op bench_crypto_ops[] = {
    {"ed25519_sign", "ed25519 sign, 100 B", bench_sign, 1, BENCH_MSG_BYTES,
     false},
    {"ed25519_verify", "ed25519 verify, 100 B", bench_verify, 1,
     BENCH_MSG_BYTES, false},
    {"ed25519_verify_cached", "verify, cache hit", bench_verify_cached, 64,
     BENCH_MSG_BYTES, false},
    {"blake2b256", "blake2b-256, 1 KiB blocks", bench_blake2b, 64,
     BENCH_BLOCK_BYTES, true},
};
#define BENCH_NOPS (sizeof bench_crypto_ops / sizeof bench_crypto_ops[0])

static double bench_clock(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Run op for about `seconds` (or BENCH_MAX_OPS operations, whichever comes
 * first), reading the clock every op->batch operations, after one warm-up
 * batch. Returns the number of operations; *elapsed the time they took on
 * clock (CLOCK_MONOTONIC: wall time; CLOCK_THREAD_CPUTIME_ID: CPU time,
 * which other processes of a busy machine do not stretch).
 */
static uint64_t bench_run(const struct bench_op *op, struct bench_ctx *ctx,
			  double seconds, clockid_t clock, double *elapsed)
{
	uint64_t n = 0;
	double t0, t;

	for (unsigned k = 0; k < op->batch; k++)
		op->fn(ctx, k);
	t0 = bench_clock(clock);
	do {
		for (unsigned k = 0; k < op->batch; k++)
			op->fn(ctx, n++);
		t = bench_clock(clock);
	} while (t - t0 < seconds && n < BENCH_MAX_OPS);
	*elapsed = t - t0;
	return n;
}

/* Print one measurement, as a table row or as one JSON line. */
static void bench_print(const struct bench_op *op, uint64_t n, double secs,
			bool json)
{
	double rate = (double)n / secs;
	double mbps = rate * (double)op->bytes / 1e6;

	if (json) {
		printf("{\"bench\":\"crypto\",\"op\":\"%s\",\"bytes\":%zu,"
		       "\"ops\":%llu,\"seconds\":%.6f,\"ops_per_sec\":%.1f,"
		       "\"ns_per_op\":%.1f",
		       op->name, op->bytes, (unsigned long long)n, secs, rate,
		       1e9 / rate);
		if (op->throughput)
			printf(",\"mb_per_sec\":%.1f", mbps);
		printf("}\n");
	} else {
		printf("%-28s %10.0f /s %9.2f us/op", op->label, rate,
		       1e6 / rate);
		if (op->throughput)
			printf("  %8.1f MB/s", mbps);
		printf("\n");
	}
	fflush(stdout);
}

/* `byzlab bench crypto`. Returns the exit code. */
static int bench_crypto(double seconds, bool json)
{
	struct bench_ctx *ctx;
	struct byz_vcache_stats st;
	uint64_t cached_ops = 0;
	int rc = EXIT_OK;

	if (byz_crypto_init())
		return cli_input_error("bench", "cannot initialise libsodium");
	ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return cli_input_error("bench", "out of memory");
	ctx->vc = byz_vcache_new(10);
	if (!ctx->vc) {
		free(ctx);
		return cli_input_error("bench", "out of memory");
	}
	byz_key_derive(&ctx->kp, 1, BYZ_ROLE_REPLICA, 0);
	for (size_t i = 0; i < sizeof ctx->msg; i++)
		ctx->msg[i] = ctx->tosign[i] = (uint8_t)i;
	randombytes_buf(ctx->block, sizeof ctx->block);
	byz_sign(&ctx->kp, 1, 1, ctx->msg, sizeof ctx->msg, ctx->sig);

	if (!json)
		printf("byzlab bench crypto: libsodium %s, %.1f s per line\n"
		       "%-28s %13s %15s\n",
		       sodium_version_string(), seconds, "operation", "rate",
		       "time");
	for (size_t i = 0; i < BENCH_NOPS; i++) {
		const struct bench_op *op = &bench_crypto_ops[i];
		double secs;
		uint64_t n =
		    bench_run(op, ctx, seconds, CLOCK_MONOTONIC, &secs);

		if (op->fn == bench_verify_cached)
			cached_ops = n + op->batch; /* with the warm-up */
		bench_print(op, n, secs, json);
	}

	/* The cached line must have measured hits: one miss (the first
	 * call), every other call a hit. */
	st = byz_vcache_stats(ctx->vc);
	if (ctx->failed || st.misses != 1 || st.hits + 1 != cached_ops) {
		fprintf(stderr,
			"byzlab bench: error: %llu valid signatures failed to "
			"verify (cache: %llu hits, %llu misses); the "
			"measurements above are not to be trusted\n",
			(unsigned long long)ctx->failed,
			(unsigned long long)st.hits,
			(unsigned long long)st.misses);
		rc = EXIT_VIOLATION;
	}
	byz_vcache_destroy(&ctx->vc);
	sodium_memzero(ctx, sizeof *ctx);
	free(ctx);
	return rc;
}

/* Time per operation of op, measured now for about `seconds` on clock. */
static double bench_time_of(bench_fn fn, double seconds, clockid_t clock)
{
	struct bench_ctx *ctx = calloc(1, sizeof *ctx);
	struct bench_op op = {.fn = fn, .batch = 64};
	double secs, t;
	uint64_t n;

	if (!ctx)
		return 0;
	byz_key_derive(&ctx->kp, 1, BYZ_ROLE_REPLICA, 0);
	byz_sign(&ctx->kp, 1, 1, ctx->msg, sizeof ctx->msg, ctx->sig);
	n = bench_run(&op, ctx, seconds, clock, &secs);
	t = secs / (double)n;
	free(ctx);
	return t;
}

double bench_sign_time(double seconds)
{
	return bench_time_of(bench_sign, seconds, CLOCK_THREAD_CPUTIME_ID);
}

double bench_verify_time(double seconds)
{
	return bench_time_of(bench_verify, seconds, CLOCK_THREAD_CPUTIME_ID);
}

/* CPU time of each timing burst of `bench sim`, per operation. */
#define BENCH_SIM_BURST_S 0.02
/* Requests per run by default: 16 per client, at least this many. */
#define BENCH_SIM_MIN_REQUESTS 250
/* The most runs one protocol's measurement takes, whatever --seconds. */
#define BENCH_SIM_MAX_RUNS 1000

/* Sign and verify timed now, in this thread's CPU time, for
 * BENCH_SIM_BURST_S each or a twentieth of the run before (run_cpu
 * seconds) if more, so that a long run is costed from as long a sample:
 * one burst between two runs of `bench sim`. */
static void bench_sim_burst(double run_cpu, double *t_sign, double *t_verify)
{
	double s =
	    run_cpu / 20 > BENCH_SIM_BURST_S ? run_cpu / 20 : BENCH_SIM_BURST_S;

	*t_sign = bench_time_of(bench_sign, s, CLOCK_THREAD_CPUTIME_ID);
	*t_verify = bench_time_of(bench_verify, s, CLOCK_THREAD_CPUTIME_ID);
}

/* The clients of a run at batch B by default: at batch 1, 4 (every batch
 * is full); above, enough requests outstanding that batches fill even
 * with a full window of them in flight (a primary proposes as soon as it
 * has a request and a free sequence number, so a batch of B fills only
 * when window x B requests are already taken), at most 1024. */
static uint32_t bench_sim_clients(uint32_t batch, uint32_t window)
{
	uint64_t c = 2ull * batch * (window ? window : 1);

	if (batch <= 1)
		return 4;
	return c > 1024 ? 1024 : (uint32_t)c;
}

/* The scenario of one run: fault-free, the scenario defaults but for n,
 * batch, clients and requests; the largest window the protocol takes at
 * this batch (a view-change message must fit a frame). 0, or exit 2. */
static int bench_sim_scenario(const struct byz_core_ops *ops,
			      const struct bench_sim_opts *o,
			      struct scenario *sc)
{
	char why[512] = "";
	uint64_t req;

	scenario_defaults(sc);
	sc->ops = ops;
	sc->n = (uint32_t)o->n;
	sc->f = byz_faults_max(ops, sc->n);
	sc->batch = (uint32_t)o->batch;
	for (uint32_t w = sc->window; w >= 2; w--) {
		sc->window = w;
		if (sc->checkpoint_interval > w / 2)
			sc->checkpoint_interval = w / 2;
		if (!scenario_check_config(sc, why, sizeof why))
			break;
	}
	sc->clients = o->clients ? (uint32_t)o->clients
				 : bench_sim_clients(sc->batch, sc->window);
	/* short runs at batch 1, so that the timings interleave finely */
	req = o->requests;
	if (!req)
		req = 16ull * sc->clients > BENCH_SIM_MIN_REQUESTS
			  ? 16ull * sc->clients
			  : BENCH_SIM_MIN_REQUESTS;
	sc->requests = (uint32_t)((req + sc->clients - 1) / sc->clients);
	if (scenario_check_config(sc, why, sizeof why))
		return cli_usage_error("bench", "%s: %s", ops->name, why);
	return 0;
}

/* What the runs of one protocol added up to. */
struct bench_sim_sum {
	uint64_t runs, accepted, committed, decisions;
	uint64_t signatures, verifications, uncached;
	double cpu, wall;
	/* Ed25519 CPU seconds the runs' counts cost, each run at the mean of
	 * the bursts just before and just after it: with one shared cache
	 * (the simulator's: uncached verifications), and with every replica
	 * verifying every signature it receives (every verification). */
	double crypto_shared, crypto_every;
	double sign_s, verify_s; /* sums of the runs' burst means */
};

/* Print one protocol's measurement. */
static void bench_sim_print(const struct byz_core_ops *ops,
			    const struct scenario *sc,
			    const struct bench_sim_sum *m, bool json)
{
	double rate_cpu = (double)m->accepted / m->cpu;
	double rate_wall = (double)m->accepted / m->wall;
	double b_shared = (double)m->accepted / m->crypto_shared;
	double b_every = (double)m->accepted / m->crypto_every;
	double mean_batch =
	    m->decisions ? (double)m->committed / (double)m->decisions : 0;
	double t_sign = m->sign_s / (double)m->runs;
	double t_verify = m->verify_s / (double)m->runs;

	if (json) {
		printf("{\"bench\":\"sim\",\"protocol\":\"%s\",\"n\":%u,"
		       "\"batch\":%u,\"window\":%u,\"clients\":%u,"
		       "\"runs\":%llu,\"requests\":%llu,\"committed\":%llu,"
		       "\"decisions\":%llu,\"mean_batch\":%.2f,"
		       "\"cpu_seconds\":%.3f,\"wall_seconds\":%.3f,"
		       "\"requests_per_cpu_sec\":%.1f,"
		       "\"requests_per_sec\":%.1f,\"sign_us\":%.2f,"
		       "\"verify_us\":%.2f,\"signatures\":%llu,"
		       "\"verifications\":%llu,"
		       "\"uncached_verifications\":%llu,"
		       "\"bound_shared_cache_per_sec\":%.1f,"
		       "\"ratio_shared_cache\":%.3f,"
		       "\"bound_every_replica_per_sec\":%.1f,"
		       "\"ratio_every_replica\":%.3f}\n",
		       ops->name, sc->n, sc->batch, sc->window, sc->clients,
		       (unsigned long long)m->runs,
		       (unsigned long long)m->accepted,
		       (unsigned long long)m->committed,
		       (unsigned long long)m->decisions, mean_batch, m->cpu,
		       m->wall, rate_cpu, rate_wall, t_sign * 1e6,
		       t_verify * 1e6, (unsigned long long)m->signatures,
		       (unsigned long long)m->verifications,
		       (unsigned long long)m->uncached, b_shared,
		       rate_cpu / b_shared, b_every, rate_cpu / b_every);
	} else {
		printf("%-9s n=%u batch %u (mean %.2f), window %u, %u "
		       "clients: %llu runs, %llu requests in %.2f CPU-s: "
		       "%.0f /CPU-s (%.0f /s wall)\n",
		       ops->name, sc->n, sc->batch, mean_batch, sc->window,
		       sc->clients, (unsigned long long)m->runs,
		       (unsigned long long)m->accepted, m->cpu, rate_cpu,
		       rate_wall);
		printf("%9s crypto bound, one shared cache:        %9.0f /s  "
		       "ratio %.3f  (%llu signs, %llu verifies; sign %.1f us, "
		       "verify %.1f us)\n",
		       "", b_shared, rate_cpu / b_shared,
		       (unsigned long long)m->signatures,
		       (unsigned long long)m->uncached, t_sign * 1e6,
		       t_verify * 1e6);
		printf("%9s crypto bound, every replica verifies: %9.0f /s  "
		       "ratio %.3f  (%llu signs, %llu verifies)\n",
		       "", b_every, rate_cpu / b_every,
		       (unsigned long long)m->signatures,
		       (unsigned long long)m->verifications);
	}
	fflush(stdout);
}

/*
 * One protocol: fault-free runs of --requests requests, one after the
 * other until their CPU time reaches `seconds`, with a burst of sign and
 * verify timings before the first and after each, all in this thread's CPU
 * time, so that the timings see the machine the runs see. Each run's
 * counts are costed at the mean of its two neighbouring bursts.
 */
static int bench_sim_one(const struct byz_core_ops *ops,
			 const struct bench_sim_opts *o, double seconds,
			 bool json)
{
	struct scenario sc;
	struct scenario_result res;
	struct bench_sim_sum m = {0};
	double ts0, tv0, ts1, tv1;
	int rc;

	if ((rc = bench_sim_scenario(ops, o, &sc)))
		return rc;
	bench_sim_burst(0, &ts0, &tv0);
	while (m.runs < BENCH_SIM_MAX_RUNS && (!m.runs || m.cpu < seconds)) {
		double c0 = bench_clock(CLOCK_THREAD_CPUTIME_ID);
		double w0 = bench_clock(CLOCK_MONOTONIC);
		double ts, tv, run_cpu;
		uint64_t unc;

		if (scenario_run(&sc, NULL, &res) ||
		    res.verdict != VERDICT_PASS)
			return cli_input_error("bench",
					       "the %s run did not pass: %s",
					       ops->name, res.why);
		run_cpu = bench_clock(CLOCK_THREAD_CPUTIME_ID) - c0;
		m.cpu += run_cpu;
		m.wall += bench_clock(CLOCK_MONOTONIC) - w0;
		bench_sim_burst(run_cpu, &ts1, &tv1);
		if (ts0 <= 0 || tv0 <= 0 || ts1 <= 0 || tv1 <= 0)
			return cli_input_error("bench", "out of memory");
		ts = (ts0 + ts1) / 2;
		tv = (tv0 + tv1) / 2;
		unc = res.counts.verifications - res.counts.verify_cache_hits;
		m.runs++;
		m.accepted += res.sim.accepted;
		m.committed += res.committed;
		m.decisions += res.decisions;
		m.signatures += res.counts.signatures;
		m.verifications += res.counts.verifications;
		m.uncached += unc;
		m.crypto_shared +=
		    (double)res.counts.signatures * ts + (double)unc * tv;
		m.crypto_every += (double)res.counts.signatures * ts +
				  (double)res.counts.verifications * tv;
		m.sign_s += ts;
		m.verify_s += tv;
		ts0 = ts1;
		tv0 = tv1;
	}
	bench_sim_print(ops, &sc, &m, json);
	return EXIT_OK;
}

/* `byzlab bench sim`. */
static int bench_sim(const struct bench_sim_opts *o, double seconds, bool json)
{
	const struct byz_core_ops *const *all = byz_core_all();
	int rc = EXIT_OK;

	if (byz_crypto_init())
		return cli_input_error("bench", "cannot initialise libsodium");
	if (o->protocol && strcmp(o->protocol, "all") &&
	    !byz_core_find(o->protocol))
		return cli_usage_error(
		    "bench", "--protocol: unknown protocol '%s'", o->protocol);
	if (!json)
		printf("byzlab bench sim: fault-free runs in the simulator, "
		       "real Ed25519, about %.1f CPU-s of runs per protocol; "
		       "sign and verify timed in CPU time between the runs\n",
		       seconds);
	for (size_t i = 0; all[i] && rc == EXIT_OK; i++) {
		bool want = o->protocol && strcmp(o->protocol, "all")
				? !strcmp(o->protocol, all[i]->name)
				: !all[i]->fixture;
		if (!want)
			continue;
		rc = bench_sim_one(all[i], o, seconds, json);
	}
	return rc;
}

/* --seconds: a plain number from BENCH_MIN_SECONDS to BENCH_MAX_SECONDS. */
static int bench_parse_seconds(const char *s, double *out)
{
	double v;

	/* a plain decimal (strtod alone takes 1e1, 0xa, inf) */
	if (attack_parse_decimal(s, &v) || v < BENCH_MIN_SECONDS ||
	    v > BENCH_MAX_SECONDS)
		return cli_usage_error("bench",
				       "--seconds: '%s' is not a number of "
				       "seconds from 0.1 to 60",
				       s);
	*out = v;
	return 0;
}

/* A list of whole numbers from min to max, "4" or "4,7" (at most
 * BENCH_MAX_LIST). 0, or a usage error (2). */
static int bench_parse_list(const char *opt, const char *s, uint64_t min,
			    uint64_t max, uint32_t *out, size_t *count)
{
	char buf[256], *save = NULL, *tok;
	uint64_t v;

	if (strlen(s) >= sizeof buf || !*s || s[strlen(s) - 1] == ',')
		return cli_usage_error("bench",
				       "%s: '%s' is not a list of "
				       "whole numbers",
				       opt, s);
	snprintf(buf, sizeof buf, "%s", s);
	*count = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*count == BENCH_MAX_LIST)
			return cli_usage_error("bench", "%s: at most %d values",
					       opt, BENCH_MAX_LIST);
		if (cli_parse_u64("bench", opt, tok, min, max, &v))
			return EXIT_USAGE;
		out[(*count)++] = (uint32_t)v;
	}
	if (!*count)
		return cli_usage_error("bench",
				       "%s: '%s' is not a list of "
				       "whole numbers",
				       opt, s);
	return 0;
}

/* `byzlab bench`: see bench_usage. */
int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, BO_SECONDS},
	    {"json", no_argument, NULL, BO_JSON},
	    {"protocol", required_argument, NULL, BO_PROTOCOL},
	    {"n", required_argument, NULL, BO_N},
	    {"requests", required_argument, NULL, BO_REQUESTS},
	    {"batch", required_argument, NULL, BO_BATCH},
	    {"driver", required_argument, NULL, BO_DRIVER},
	    {"path", required_argument, NULL, BO_PATH},
	    {"clients", required_argument, NULL, BO_CLIENTS},
	    {"out", required_argument, NULL, BO_OUT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	double seconds = 1.0;
	bool json = false, have_seconds = false, have_requests = false;
	bool have_clients = false;
	bool lists = false; /* --n or --batch with several values */
	const char *target = NULL, *driver = NULL, *zmq_only = NULL;
	struct bench_sim_opts so = {NULL, 4, 0, 1, 0};
	struct bench_zmq_opts zo = {.n = {4, 7},
				    .nn = 2,
				    .batch = {1, 100},
				    .nbatch = 2,
				    .direct = true,
				    .adversary = true};
	uint64_t v;
	int opt;

	/* explore has options of its own (cmd_bench_explore.c) */
	if (argc > 1 && !strcmp(argv[1], "explore"))
		return bench_explore(argc - 1, argv + 1);
	/* optind = 0: a full reset of getopt's state (see cmd_keygen.c). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(bench_usage, stdout);
			return EXIT_OK;
		case BO_SECONDS:
			if (bench_parse_seconds(optarg, &seconds))
				return EXIT_USAGE;
			have_seconds = true;
			break;
		case BO_JSON:
			json = true;
			break;
		case BO_PROTOCOL:
			so.protocol = zo.protocol = optarg;
			break;
		case BO_N:
			if (bench_parse_list("--n", optarg, 4, BYZ_MAX_N, zo.n,
					     &zo.nn))
				return EXIT_USAGE;
			so.n = zo.n[0];
			lists = lists || zo.nn > 1;
			break;
		case BO_REQUESTS:
			if (cli_parse_u64("bench", "--requests", optarg, 4,
					  4000000, &so.requests))
				return EXIT_USAGE;
			zo.requests = so.requests;
			have_requests = true;
			break;
		case BO_BATCH:
			if (bench_parse_list("--batch", optarg, 1, 256,
					     zo.batch, &zo.nbatch))
				return EXIT_USAGE;
			so.batch = zo.batch[0];
			lists = lists || zo.nbatch > 1;
			break;
		case BO_DRIVER:
			if (strcmp(optarg, "sim") && strcmp(optarg, "zmq"))
				return cli_usage_error(
				    "bench", "--driver: '%s' is not sim or zmq",
				    optarg);
			driver = optarg;
			break;
		case BO_PATH:
			if (!strcmp(optarg, "direct"))
				zo.direct = true, zo.adversary = false;
			else if (!strcmp(optarg, "adversary"))
				zo.direct = false, zo.adversary = true;
			else if (!strcmp(optarg, "both"))
				zo.direct = zo.adversary = true;
			else
				return cli_usage_error(
				    "bench",
				    "--path: '%s' is not direct, adversary or "
				    "both",
				    optarg);
			zmq_only = "--path";
			break;
		case BO_CLIENTS:
			if (cli_parse_u64("bench", "--clients", optarg, 1, 1024,
					  &v))
				return EXIT_USAGE;
			zo.clients = (uint32_t)v;
			so.clients = v;
			have_clients = true;
			break;
		case BO_OUT:
			zo.out = optarg;
			zmq_only = "--out";
			break;
		case ':':
			return cli_usage_error("bench", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("bench", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		target = argv[optind++];
	if (!target && !driver)
		return cli_usage_error(
		    "bench",
		    "no target given (available: crypto, sim, zmq, explore)");
	if (target && strcmp(target, "crypto") != 0 &&
	    strcmp(target, "sim") != 0 && strcmp(target, "zmq") != 0)
		return cli_usage_error(
		    "bench",
		    "unknown target '%s' (available: crypto, sim, zmq, "
		    "explore)",
		    target);
	if (target && driver && strcmp(target, driver))
		return cli_usage_error("bench",
				       "target '%s' and --driver %s disagree",
				       target, driver);
	if (!target)
		target = driver;
	if (optind < argc)
		return cli_usage_error("bench", "unexpected argument '%s'",
				       argv[optind]);
	if (zmq_only && strcmp(target, "zmq"))
		return cli_usage_error("bench", "%s is an option of zmq only",
				       zmq_only);
	if (have_clients && !strcmp(target, "crypto"))
		return cli_usage_error("bench",
				       "--clients is an option of sim and zmq");
	if (strcmp(target, "zmq") && lists)
		return cli_usage_error(
		    "bench", "--n and --batch take one value for %s", target);
	if (!strcmp(target, "zmq")) {
		if (have_seconds && have_requests)
			return cli_usage_error("bench",
					       "--seconds and --requests "
					       "exclude each other for zmq");
		zo.seconds = have_seconds ? seconds : 3.0;
		zo.json = json;
		return bench_zmq(&zo);
	}
	if (!strcmp(target, "sim"))
		return bench_sim(&so, have_seconds ? seconds : 5.0, json);
	return bench_crypto(seconds, json);
}
