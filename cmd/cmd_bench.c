/*
 * cmd_bench.c - `byzlab bench`: measurements on this machine.
 *
 * `crypto` measures what bounds every protocol from below: Ed25519 sign and
 * verify through byz_sign/byz_verify (so with the domain-separated signing
 * input and its BLAKE2b), a verification answered by the verified-signature
 * cache, and BLAKE2b-256 throughput.
 */
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
    "  sim            decisions per second of a protocol in the simulator,\n"
    "                 with real signatures: a fault-free run of --requests\n"
    "                 requests; printed next to the bound that signing and\n"
    "                 verifying alone put on it, measured in the same run\n"
    "                 (the run's signatures x sign time + its uncached\n"
    "                 verifications x verify time)\n"
    "\n"
    "Options for sim:\n"
    "  --protocol P   a protocol (byzlab --help lists them) or all\n"
    "                 (default: all but test fixtures)\n"
    "  --n N          replicas (default 4)\n"
    "  --requests R   requests in all (default 10000), from 4 clients\n"
    "  --batch B      requests per batch or block (default 1)\n"
    "\n"
    "Options:\n"
    "  --seconds S    seconds per measurement, 0.1..60 (default 1)\n"
    "  --json         one JSON object per measurement, one per line:\n"
    "                 {\"bench\":\"crypto\",\"op\":...,\"bytes\":...,"
    "\"ops\":...,\n"
    "                  \"seconds\":...,\"ops_per_sec\":...,"
    "\"ns_per_op\":...}\n"
    "                 (and \"mb_per_sec\" for blake2b256)\n"
    "  -h, --help     this help\n"
    "\n"
    "Exit status: 0 measured; 1 a signature that must verify did not;\n"
    "2 bad usage.\n"
    "\n"
    "Examples:\n"
    "  byzlab bench crypto\n"
    "  byzlab bench crypto --seconds 5 --json > crypto.jsonl\n"
    "  byzlab bench sim --protocol all --n 4 --requests 10000\n";

enum bench_opt {
	BO_SECONDS = 256,
	BO_JSON,
	BO_PROTOCOL,
	BO_N,
	BO_REQUESTS,
	BO_BATCH,
};

struct bench_sim_opts {
	const char *protocol; /* NULL: all but test fixtures */
	uint64_t n, requests, batch;
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

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Run op for about `seconds` (or BENCH_MAX_OPS operations, whichever comes
 * first), reading the clock every op->batch operations, after one warm-up
 * batch. Returns the number of operations; *elapsed the time they took.
 */
static uint64_t bench_run(const struct bench_op *op, struct bench_ctx *ctx,
			  double seconds, double *elapsed)
{
	uint64_t n = 0;
	double t0, t;

	for (unsigned k = 0; k < op->batch; k++)
		op->fn(ctx, k);
	t0 = bench_now();
	do {
		for (unsigned k = 0; k < op->batch; k++)
			op->fn(ctx, n++);
		t = bench_now();
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
		uint64_t n = bench_run(op, ctx, seconds, &secs);

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

/* Time per operation of op, measured now for about `seconds`. */
static double bench_time_of(bench_fn fn, double seconds)
{
	struct bench_ctx *ctx = calloc(1, sizeof *ctx);
	struct bench_op op = {.fn = fn, .batch = 64};
	double secs, t;
	uint64_t n;

	if (!ctx)
		return 0;
	byz_key_derive(&ctx->kp, 1, BYZ_ROLE_REPLICA, 0);
	byz_sign(&ctx->kp, 1, 1, ctx->msg, sizeof ctx->msg, ctx->sig);
	n = bench_run(&op, ctx, seconds, &secs);
	t = secs / (double)n;
	free(ctx);
	return t;
}

/* One protocol's fault-free run: decisions per second, and the bound. */
static int bench_sim_one(const struct byz_core_ops *ops,
			 const struct bench_sim_opts *o, double t_sign,
			 double t_verify, bool json)
{
	struct scenario sc;
	struct scenario_result res;
	double crypto_s, rate, bound;
	uint64_t uncached;

	scenario_defaults(&sc);
	sc.ops = ops;
	sc.n = (uint32_t)o->n;
	sc.f = (sc.n - 1) / 3;
	sc.clients = 4;
	sc.requests = (uint32_t)((o->requests + 3) / 4);
	sc.batch = (uint32_t)o->batch;
	if (scenario_run(&sc, NULL, &res) || res.verdict != VERDICT_PASS)
		return cli_input_error("bench", "the %s run did not pass: %s",
				       ops->name, res.why);
	uncached = res.counts.verifications - res.counts.verify_cache_hits;
	crypto_s = (double)res.counts.signatures * t_sign +
		   (double)uncached * t_verify;
	rate = (double)res.sim.accepted / res.wall_seconds;
	bound = (double)res.sim.accepted / crypto_s;
	if (json) {
		printf(
		    "{\"bench\":\"sim\",\"protocol\":\"%s\",\"n\":%u,"
		    "\"batch\":%llu,\"decisions\":%llu,\"wall_seconds\":%.3f,"
		    "\"decisions_per_sec\":%.1f,\"events_per_sec\":%.0f,"
		    "\"signatures\":%llu,\"verifications\":%llu,"
		    "\"uncached_verifications\":%llu,\"crypto_seconds\":%.3f,"
		    "\"crypto_bound_per_sec\":%.1f}\n",
		    ops->name, sc.n, (unsigned long long)o->batch,
		    (unsigned long long)res.sim.accepted, res.wall_seconds,
		    rate, (double)res.sim.events / res.wall_seconds,
		    (unsigned long long)res.counts.signatures,
		    (unsigned long long)res.counts.verifications,
		    (unsigned long long)uncached, crypto_s, bound);
	} else {
		printf("%-9s n=%-3u %8llu requests %8.2f s  %9.0f /s   "
		       "crypto bound %9.0f /s (%.0f%% of the run: %llu signs, "
		       "%llu verifies)\n",
		       ops->name, sc.n, (unsigned long long)res.sim.accepted,
		       res.wall_seconds, rate, bound,
		       100.0 * crypto_s / res.wall_seconds,
		       (unsigned long long)res.counts.signatures,
		       (unsigned long long)uncached);
	}
	fflush(stdout);
	return EXIT_OK;
}

/* `byzlab bench sim`. */
static int bench_sim(const struct bench_sim_opts *o, double seconds, bool json)
{
	const struct byz_core_ops *const *all = byz_core_all();
	double t_sign, t_verify;
	int rc = EXIT_OK, ran = 0;

	if (byz_crypto_init())
		return cli_input_error("bench", "cannot initialise libsodium");
	if (o->protocol && strcmp(o->protocol, "all") &&
	    !byz_core_find(o->protocol))
		return cli_usage_error(
		    "bench", "--protocol: unknown protocol '%s'", o->protocol);
	t_sign = bench_time_of(bench_sign, seconds / 2);
	t_verify = bench_time_of(bench_verify, seconds / 2);
	if (!json)
		printf("byzlab bench sim: fault-free runs, real Ed25519; "
		       "sign %.1f us, verify %.1f us on this machine\n",
		       t_sign * 1e6, t_verify * 1e6);
	for (size_t i = 0; all[i] && rc == EXIT_OK; i++) {
		bool want = o->protocol && strcmp(o->protocol, "all")
				? !strcmp(o->protocol, all[i]->name)
				: !all[i]->fixture;
		if (!want)
			continue;
		rc = bench_sim_one(all[i], o, t_sign, t_verify, json);
		ran++;
	}
	return rc;
}

/* --seconds: a plain number from BENCH_MIN_SECONDS to BENCH_MAX_SECONDS. */
static int bench_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *s == ' ' || end == s || *end || errno || !isfinite(v) ||
	    v < BENCH_MIN_SECONDS || v > BENCH_MAX_SECONDS)
		return cli_usage_error("bench",
				       "--seconds: '%s' is not a number of "
				       "seconds from 0.1 to 60",
				       s);
	*out = v;
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
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	double seconds = 1.0;
	bool json = false;
	const char *target;
	struct bench_sim_opts so = {NULL, 4, 10000, 1};
	int opt;

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
			break;
		case BO_JSON:
			json = true;
			break;
		case BO_PROTOCOL:
			so.protocol = optarg;
			break;
		case BO_N:
			if (cli_parse_u64("bench", "--n", optarg, 4, BYZ_MAX_N,
					  &so.n))
				return EXIT_USAGE;
			break;
		case BO_REQUESTS:
			if (cli_parse_u64("bench", "--requests", optarg, 4,
					  4000000, &so.requests))
				return EXIT_USAGE;
			break;
		case BO_BATCH:
			if (cli_parse_u64("bench", "--batch", optarg, 1, 256,
					  &so.batch))
				return EXIT_USAGE;
			break;
		case ':':
			return cli_usage_error("bench", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("bench", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error(
		    "bench", "no target given (available: crypto, sim)");
	target = argv[optind];
	if (strcmp(target, "crypto") != 0 && strcmp(target, "sim") != 0)
		return cli_usage_error(
		    "bench", "unknown target '%s' (available: crypto, sim)",
		    target);
	if (optind + 1 < argc)
		return cli_usage_error("bench", "unexpected argument '%s'",
				       argv[optind + 1]);
	if (!strcmp(target, "sim"))
		return bench_sim(&so, seconds, json);
	return bench_crypto(seconds, json);
}
