/*
 * cmd_run.c - `byzlab run`: one scenario in the simulator; prints a verdict
 * line and the trace hash.
 */
#include "cli.h"
#include "scenario.h"
#include "scenario_io.h"
#include "verdict.h"

#include "err.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char run_usage[] =
	"Usage: byzlab run [OPTIONS]\n"
	"\n"
	"Run one scenario in the deterministic simulator (driver `sim`) and\n"
	"check safety and liveness on what the honest replicas did. Prints a\n"
	"verdict line and the trace hash (BLAKE2b-256 of the JSON Lines trace):\n"
	"the same options and seed always give the same hash.\n"
	"\n"
	"Protocol and cluster:\n"
	"  --protocol NAME     %s\n"
	"                      (default: the first of these)\n"
	"  --n N               replicas, 1..256 (default 4)\n"
	"  --f F               faults tolerated (default (n-1)/3); n >= 3f+1\n"
	"  --seed S            seed of keys, network and workload (default 1)\n"
	"Workload:\n"
	"  --clients C         simulated clients, 1..1024 (default 4)\n"
	"  --requests R        requests per client, 1..1000000 (default 25)\n"
	"  --keys K            key space of the operations (default 16)\n"
	"Network (durations: 250us, 20ms, 1.5s; bare numbers are ms):\n"
	"  --latency D         one-way base delay (default 1ms)\n"
	"  --jitter D          plus uniform 0..D (default 0.5ms)\n"
	"  --loss P            per-message loss before GST, 0..1 (default 0)\n"
	"  --gst D             global stabilisation time (default 0)\n"
	"Faults:\n"
	"  --crash R@T[,restart@T2[,fresh]]\n"
	"                      crash replica R at T; restart it at T2 from its\n"
	"                      persisted state (or from nothing with ,fresh:\n"
	"                      amnesia, which makes R faulty for the checks);\n"
	"                      may be given up to 16 times\n"
	"Adversary (docs/attacks.md):\n"
	"  --byzantine LIST    Byzantine replicas: ids \"0,2\" or a count \"2\"\n"
	"                      meaning replicas 0..1 (default none)\n"
	"  --attack A          an attack, NAME[:KEY=VALUE,...], e.g. equivocate,\n"
	"                      drop:p=0.2,until=300ms, twins; up to 32 times.\n"
	"                      Names: %s\n"
	"  --stop-on-violation end the run at the first agreement violation\n"
	"Protocol timing and limits:\n"
	"  --timeout D         base protocol timeout (default 20ms)\n"
	"  --window W          sequence numbers in flight (default 64)\n"
	"  --checkpoint K      checkpoint every K sequence numbers (default 16;\n"
	"                      a protocol may need W >= 2K)\n"
	"  --batch B           requests per batch (default 1)\n"
	"  --max-time D        stop the run at this virtual time (default 600s)\n"
	"  --bound D           liveness bound after GST (default: protocol's)\n"
	"Output:\n"
	"  --trace FILE        write the trace as JSON Lines to FILE\n"
	"  --json              print the result as one JSON line instead\n"
	"  -h, --help          this help\n"
	"\n"
	"Exit status: 0 all invariants held and every request committed;\n"
	"1 a violation (or the run did not finish); 2 bad usage or input;\n"
	"130 interrupted (the partial trace is flushed).\n"
	"\n"
	"Examples:\n"
	"  byzlab run --seed 7\n"
	"  byzlab run --n 7 --loss 0.05 --gst 2s --trace run.jsonl\n"
	"  byzlab run --crash 2@100ms,restart@400ms\n";

static volatile int run_interrupted;

static void run_on_signal(int sig)
{
	(void)sig;
	run_interrupted = 1;
}

static void run_print_usage(FILE *out)
{
	char protos[256] = "";
	const struct byz_core_ops *const *all = byz_core_all();

	for (size_t i = 0; all[i]; i++) {
		char one[96];
		snprintf(one, sizeof one, "%s%s (%s)", i ? ", " : "",
			 all[i]->name, all[i]->summary);
		strncat(protos, one, sizeof protos - strlen(protos) - 1);
	}
	fprintf(out, run_usage, protos, attack_names());
}

/* "R@T[,restart@T2[,fresh]]" */
static int parse_crash(const char *arg, uint32_t n, struct sim_crash *k)
{
	char buf[128], *at, *rest, *tok;
	uint64_t r;

	memset(k, 0, sizeof *k);
	k->keep_state = true;
	if (strlen(arg) >= sizeof buf)
		return cli_usage_error("run", "--crash: '%s' is too long", arg);
	strcpy(buf, arg);
	at = strchr(buf, '@');
	if (!at)
		return cli_usage_error("run",
				       "--crash: '%s' is not R@TIME (e.g. 2@100ms)",
				       arg);
	*at++ = '\0';
	if (cli_parse_u64("run", "--crash replica", buf, 0, n - 1, &r))
		return EXIT_USAGE;
	k->replica = (uint32_t)r;
	rest = strchr(at, ',');
	if (rest)
		*rest++ = '\0';
	if (cli_parse_duration("run", "--crash time", at, &k->at_us))
		return EXIT_USAGE;
	while (rest && *rest) {
		tok = rest;
		rest = strchr(tok, ',');
		if (rest)
			*rest++ = '\0';
		if (strncmp(tok, "restart@", 8) == 0) {
			if (cli_parse_duration("run", "--crash restart time",
					       tok + 8, &k->restart_at_us))
				return EXIT_USAGE;
			if (k->restart_at_us <= k->at_us)
				return cli_usage_error(
					"run", "--crash: '%s' restarts before it crashes",
					arg);
		} else if (strcmp(tok, "fresh") == 0) {
			k->keep_state = false;
		} else {
			return cli_usage_error(
				"run", "--crash: unknown part '%s' in '%s' (expected restart@TIME or fresh)",
				tok, arg);
		}
	}
	return 0;
}

static void print_people(const struct scenario *sc,
			 const struct scenario_result *res)
{
	char seed[24];

	snprintf(seed, sizeof seed, "%" PRIu64, sc->seed);
	verdict_print(stdout, sc->ops->name, sc->n, sc->f, seed, res);
	printf("  time     %.3f s virtual, %.3f s wall, %" PRIu64
	       " events, %" PRIu64 " trace lines\n",
	       (double)res->sim.now / 1e6, res->wall_seconds, res->sim.events,
	       res->trace_lines);
	printf("  messages");
	for (int p = 0; p < TRACE_PROTOS; p++)
		for (int t = 0; t < TRACE_TYPES; t++)
			if (res->counts.sent[p][t])
				printf(" %s/%s=%" PRIu64,
				       wire_proto_name((uint8_t)p),
				       wire_type_name((uint8_t)p, (uint8_t)t),
				       res->counts.sent[p][t]);
	printf("\n  network  delivered=%" PRIu64 " dropped=%" PRIu64
	       " rejected=%" PRIu64 " signatures=%" PRIu64
	       " verifications=%" PRIu64 "\n",
	       res->counts.delivered, res->counts.dropped, res->counts.rejected,
	       res->counts.signatures, res->counts.verifications);
}

int cmd_run(int argc, char **argv)
{
	enum { O_PROTO = 256, O_N, O_F, O_SEED, O_CLIENTS, O_REQUESTS, O_KEYS,
	       O_LATENCY, O_JITTER, O_LOSS, O_GST, O_CRASH, O_TIMEOUT,
	       O_WINDOW, O_MAXTIME, O_BOUND, O_TRACE, O_JSON, O_CKPT,
	       O_BATCH, O_BYZ, O_ATTACK, O_STOPV };
	static const struct option opts[] = {
		{"protocol", required_argument, NULL, O_PROTO},
		{"n", required_argument, NULL, O_N},
		{"f", required_argument, NULL, O_F},
		{"seed", required_argument, NULL, O_SEED},
		{"clients", required_argument, NULL, O_CLIENTS},
		{"requests", required_argument, NULL, O_REQUESTS},
		{"keys", required_argument, NULL, O_KEYS},
		{"latency", required_argument, NULL, O_LATENCY},
		{"jitter", required_argument, NULL, O_JITTER},
		{"loss", required_argument, NULL, O_LOSS},
		{"gst", required_argument, NULL, O_GST},
		{"crash", required_argument, NULL, O_CRASH},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"window", required_argument, NULL, O_WINDOW},
		{"max-time", required_argument, NULL, O_MAXTIME},
		{"bound", required_argument, NULL, O_BOUND},
		{"trace", required_argument, NULL, O_TRACE},
		{"json", no_argument, NULL, O_JSON},
		{"checkpoint", required_argument, NULL, O_CKPT},
		{"batch", required_argument, NULL, O_BATCH},
		{"byzantine", required_argument, NULL, O_BYZ},
		{"attack", required_argument, NULL, O_ATTACK},
		{"stop-on-violation", no_argument, NULL, O_STOPV},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct scenario sc;
	struct scenario_result res;
	const char *trace_path = NULL, *crash_args[SIM_MAX_CRASHES];
	const char *attack_args[ATK_MAX], *byz_arg = NULL;
	size_t ncrash_args = 0, nattack_args = 0;
	bool json = false, f_given = false;
	uint64_t v;
	FILE *tf = NULL;
	int opt, rc;
	struct sigaction sa;

	scenario_defaults(&sc);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		const char *name = opt >= O_PROTO ? opts[opt - O_PROTO].name : "";
		char oname[40];
		snprintf(oname, sizeof oname, "--%s", name);
		switch (opt) {
		case 'h':
			run_print_usage(stdout);
			return EXIT_OK;
		case O_PROTO:
			sc.ops = byz_core_find(optarg);
			if (!sc.ops) {
				char names[128] = "";
				const struct byz_core_ops *const *all =
					byz_core_all();
				for (size_t i = 0; all[i]; i++) {
					strncat(names, i ? ", " : "",
						sizeof names - strlen(names) - 1);
					strncat(names, all[i]->name,
						sizeof names - strlen(names) - 1);
				}
				return cli_usage_error(
					"run", "--protocol: unknown protocol '%s' (available: %s)",
					optarg, names);
			}
			break;
		case O_N:
			if (cli_parse_u64("run", oname, optarg, 1, BYZ_MAX_N, &v))
				return EXIT_USAGE;
			sc.n = (uint32_t)v;
			break;
		case O_F:
			if (cli_parse_u64("run", oname, optarg, 0, 21, &v))
				return EXIT_USAGE;
			sc.f = (uint32_t)v;
			f_given = true;
			break;
		case O_SEED:
			if (cli_parse_u64("run", oname, optarg, 0, UINT64_MAX,
					  &sc.seed))
				return EXIT_USAGE;
			break;
		case O_CLIENTS:
			if (cli_parse_u64("run", oname, optarg, 1, 1024, &v))
				return EXIT_USAGE;
			sc.clients = (uint32_t)v;
			break;
		case O_REQUESTS:
			if (cli_parse_u64("run", oname, optarg, 1, 1000000, &v))
				return EXIT_USAGE;
			sc.requests = (uint32_t)v;
			break;
		case O_KEYS:
			if (cli_parse_u64("run", oname, optarg, 1, 4096, &v))
				return EXIT_USAGE;
			sc.keys = (uint32_t)v;
			break;
		case O_LATENCY:
			if (cli_parse_duration("run", oname, optarg, &sc.latency_us))
				return EXIT_USAGE;
			break;
		case O_JITTER:
			if (cli_parse_duration("run", oname, optarg, &sc.jitter_us))
				return EXIT_USAGE;
			break;
		case O_LOSS:
			if (cli_parse_prob("run", oname, optarg, &sc.loss))
				return EXIT_USAGE;
			break;
		case O_GST:
			if (cli_parse_duration("run", oname, optarg, &sc.gst_us))
				return EXIT_USAGE;
			break;
		case O_CRASH:
			if (ncrash_args == SIM_MAX_CRASHES)
				return cli_usage_error(
					"run", "--crash: at most %d crashes",
					SIM_MAX_CRASHES);
			crash_args[ncrash_args++] = optarg;
			break;
		case O_TIMEOUT:
			if (cli_parse_duration("run", oname, optarg, &sc.timeout_us))
				return EXIT_USAGE;
			if (sc.timeout_us == 0)
				return cli_usage_error("run", "--timeout must be positive");
			break;
		case O_WINDOW:
			if (cli_parse_u64("run", oname, optarg, 1, 4096, &v))
				return EXIT_USAGE;
			sc.window = (uint32_t)v;
			break;
		case O_MAXTIME:
			if (cli_parse_duration("run", oname, optarg, &sc.max_time_us))
				return EXIT_USAGE;
			break;
		case O_BOUND:
			if (cli_parse_duration("run", oname, optarg,
					       &sc.liveness_bound_us))
				return EXIT_USAGE;
			break;
		case O_TRACE:
			trace_path = optarg;
			break;
		case O_CKPT:
			if (cli_parse_u64("run", oname, optarg, 1, 2048, &v))
				return EXIT_USAGE;
			sc.checkpoint_interval = (uint32_t)v;
			break;
		case O_BATCH:
			if (cli_parse_u64("run", oname, optarg, 1, 256, &v))
				return EXIT_USAGE;
			sc.batch = (uint32_t)v;
			break;
		case O_JSON:
			json = true;
			break;
		case O_BYZ:
			byz_arg = optarg;
			break;
		case O_ATTACK:
			if (nattack_args == ATK_MAX)
				return cli_usage_error(
					"run", "--attack: at most %d attacks", ATK_MAX);
			attack_args[nattack_args++] = optarg;
			break;
		case O_STOPV:
			sc.stop_on_violation = true;
			break;
		case ':':
			return cli_usage_error("run", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("run", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("run", "unexpected argument '%s'",
				       argv[optind]);
	if (!f_given)
		sc.f = (sc.n - 1) / 3;
	if (3ull * sc.f + 1 > sc.n)
		return cli_usage_error("run",
				       "--f %" PRIu32 " needs --n of at least %" PRIu32,
				       sc.f, 3 * sc.f + 1);
	for (size_t i = 0; i < ncrash_args; i++)
		if (parse_crash(crash_args[i], sc.n, &sc.crashes[i]))
			return EXIT_USAGE;
	sc.ncrashes = ncrash_args;
	if (byz_arg) {
		char why[256];
		if (scenario_set(&sc, "byzantine", byz_arg, why, sizeof why))
			return cli_usage_error("run", "--%s", why);
	}
	for (size_t i = 0; i < nattack_args; i++) {
		char why[256];
		if (attack_parse(attack_args[i], sc.n, &sc.plan.a[i], why,
				 sizeof why))
			return cli_usage_error("run", "--attack '%s': %s",
					       attack_args[i], why);
	}
	sc.plan.count = nattack_args;

	if (trace_path) {
		tf = fopen(trace_path, "w");
		if (!tf)
			return cli_input_error("run", "--trace: cannot write '%s': %s",
					       trace_path, strerror(errno));
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = run_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sc.stop = &run_interrupted;

	rc = scenario_run(&sc, tf, &res);
	if (tf && fclose(tf) != 0 && !rc) {
		fprintf(stderr, "byzlab run: error: writing '%s' failed: %s\n",
			trace_path, strerror(errno));
		return EXIT_USAGE;
	}
	if (rc == BYZ_EINVAL && res.verdict == VERDICT_ERROR)
		return cli_usage_error("run", "%s", res.why);
	if (json)
		scenario_print_json(stdout, &sc, &res);
	else
		print_people(&sc, &res);
	if (res.sim.interrupted) {
		fprintf(stderr, "byzlab run: interrupted%s%s\n",
			trace_path ? "; partial trace in " : "",
			trace_path ? trace_path : "");
		return 130;
	}
	if (rc || res.verdict == VERDICT_ERROR) {
		fprintf(stderr, "byzlab run: error: %s\n", res.why);
		return EXIT_USAGE;
	}
	return res.verdict == VERDICT_PASS ? EXIT_OK : EXIT_VIOLATION;
}
