/*
 * cmd_run.c - `byzlab run`: one scenario in the simulator; prints a verdict
 * line and the trace hash.
 */
#include "cli.h"
#include "outfile.h"
#include "wall.h"
#include "launch.h"
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
    "With --driver zmq, run it as real processes instead (docs/zmq.md): a\n"
    "replica process per replica, the adversary process when there are\n"
    "attacks, Byzantine replicas or loss, a client process per client,\n"
    "over ZeroMQ on this machine; crashes are SIGKILLs and restarts fresh\n"
    "processes on the same data; the processes' traces are merged and\n"
    "judged by the same checkers (byzlab check). Real runs are not\n"
    "reproducible; the network model's latency and jitter do not apply\n"
    "(the network is real), --loss does (the adversary drops).\n"
    "\n"
    "Scenario file (docs/scenarios.md):\n"
    "  --scenario FILE     the scenario's fields from FILE (YAML, like a\n"
    "                      campaign's defaults, or a scenario / saved\n"
    "                      failure in JSON); options after it override it\n"
    "Protocol and cluster:\n"
    "  --protocol NAME     %s\n"
    "                      (default: the first of these)\n"
    "  --n N               replicas (default 4; each protocol's range is\n"
    "                      under Limits below)\n"
    "  --f F               faults tolerated (default: the most the\n"
    "                      protocol's failure model allows at n, (n-1)/3\n"
    "                      for Byzantine faults, (n-1)/2 for crash faults)\n"
    "  --seed S            seed of keys, network and workload (default 1)\n"
    "Workload:\n"
    "  --clients C         simulated clients, 1..1024 (default 4)\n"
    "  --requests R        requests per client, 1..1000000 (default 25)\n"
    "  --keys K            key space of the operations (default 16)\n"
    "Network (durations: 250us, 20ms, 1.5s; bare numbers are ms):\n"
    "  --latency D         one-way base delay (default 1ms)\n"
    "  --jitter D          plus uniform 0..D (default 0.5ms)\n"
    "  --loss P            per-message loss before GST, 0..1 (default 0)\n"
    "  --gst D             global stabilisation time (default 0: none;\n"
    "                      loss and network attacks then act for the whole\n"
    "                      run, and liveness is not judged)\n"
    "Faults:\n"
    "  --crash R@T[,restart@T2[,fresh]]\n"
    "                      crash replica R at T; restart it at T2 from its\n"
    "                      persisted state (or from nothing with ,fresh:\n"
    "                      amnesia, which makes R faulty for the checks);\n"
    "                      may be given up to 16 times\n"
    "Adversary (docs/attacks.md):\n"
    "  --byzantine B|LIST  Byzantine replicas: a count, \"2\" meaning\n"
    "                      replicas 0 and 1, or replicas by name, \"r3\",\n"
    "                      \"r0,r2\" (default none)\n"
    "  --attack A          an attack, NAME[:KEY=VALUE,...], e.g. equivocate,\n"
    "                      drop:p=0.2,until=300ms, twins; up to 32 times.\n"
    "                      Names: %s\n"
    "  --stop-on-violation end the run at the first agreement violation\n"
    "Protocol timing and limits:\n"
    "  --timeout D         base protocol timeout (default 20ms)\n"
    "  --window W          sequence numbers in flight (default 64)\n"
    "  --checkpoint K      checkpoint every K sequence numbers (default 16)\n"
    "  --batch B           requests per batch (default 1)\n"
    "                      (what each protocol accepts: Limits below)\n"
    "  --max-time D        stop the run at this virtual time (default 600s)\n"
    "  --max-wall D        stop the run after D of wall-clock time, with no\n"
    "                      verdict (exit status 3; default: no limit)\n"
    "  --mutant NAME       plant one of the protocol's mistakes (byzlab\n"
    "                      selftest --list names them); never by default\n"
    "  --leaders LIST      the leaders of views 0, 1, 2, ... (r1,r1,r0;\n"
    "                      later views: the protocol's rotation)\n"
    "  --max-events N      stop the run after N simulator events (default:\n"
    "                      8,000 n^2, at least 10 million; 0: the default)\n"
    "  --bound D           liveness bound after GST (default: protocol's)\n"
    "  --crypto ed25519|fast\n"
    "                      how nodes sign: Ed25519 (default), or fast:\n"
    "                      keyed hashes the adversary cannot forge, for\n"
    "                      exploration; a run that fails is run again with\n"
    "                      Ed25519 and reported as that run (docs/crypto.md;\n"
    "                      simulator only)\n"
    "Driver:\n"
    "  --driver sim|zmq    the simulator (default) or real processes\n"
    "  --out DIR           zmq: the run folder (keys, cluster file, data,\n"
    "                      logs, per-process traces), kept; default a\n"
    "                      temporary folder, removed after the run\n"
    "  --port P            zmq: tcp://127.0.0.1 ports from P instead of\n"
    "                      abstract ipc sockets\n"
    "                      (zmq: --max-time is wall time, default 60s)\n"
    "Output:\n"
    "  --trace FILE        write the trace as JSON Lines to FILE (a new\n"
    "                      or regular file, replaced whole at the end)\n"
    "  --json              print the result as one JSON line instead\n"
    "  -h, --help          this help\n"
    "\n"
    "Limits (what each protocol's core accepts, checked before the run,\n"
    "from the tables the cores enforce; outside them: exit 2):\n"
    "%s"
    "  Every protocol's --f counts the faults of its failure model (the\n"
    "  last column): Byzantine (crash, omission and arbitrary behaviour;\n"
    "  n >= 3f+1) or crash (crash and omission only; n >= 2f+1). Every\n"
    "  run needs at least one replica that is not Byzantine. A protocol\n"
    "  may also refuse a larger --n, --window or\n"
    "  --batch whose messages could not fit a frame; the error says what\n"
    "  fits.\n"
    "\n"
    "Exit status: 0 all invariants held and every request committed;\n"
    "1 a violation (or the run did not finish); 2 bad usage or input\n"
    "(--trace FILE cannot be created or is not a regular file); 3 no\n"
    "verdict: stopped at --max-wall before any safety finding, or the trace\n"
    "could not be written (a full disk...: nothing is left at FILE);\n"
    "130 interrupted (the partial trace is flushed).\n"
    "\n"
    "Examples:\n"
    "  byzlab run --seed 7\n"
    "  byzlab run --n 7 --loss 0.05 --gst 2s --trace run.jsonl\n"
    "  byzlab run --crash 2@100ms,restart@400ms\n"
    "  byzlab run --scenario scenarios/twins-f-plus-1.yaml --seed 3\n"
    "  byzlab run --driver zmq --requests 5 --crash 3@200ms,restart@600ms\n";

static volatile int run_interrupted;

static const char *max_wall_text(uint64_t us, char *buf, size_t cap)
{
	snprintf(buf, cap, "%.3g s", (double)us / 1e6);
	return buf;
}

static void run_on_signal(int sig)
{
	(void)sig;
	run_interrupted = 1;
}

static void run_print_usage(FILE *out)
{
	char protos[256] = "";
	const struct byz_core_ops *const *all = byz_core_all();
	char *limits = NULL;
	size_t limits_len = 0;
	FILE *lf;

	for (size_t i = 0; all[i]; i++) {
		char one[96];
		snprintf(one, sizeof one, "%s%s (%s)", i ? ", " : "",
			 all[i]->name, all[i]->summary);
		strncat(protos, one, sizeof protos - strlen(protos) - 1);
	}
	/* The limits table, from the registered protocols' declarations. */
	lf = open_memstream(&limits, &limits_len);
	if (lf) {
		cli_print_limits(lf);
		if (fclose(lf) != 0) {
			free(limits);
			limits = NULL;
		}
	}
	fprintf(out, run_usage, protos, attack_names(),
		limits ? limits : "  (out of memory)\n");
	free(limits);
}

static void print_people(const struct scenario *sc,
			 const struct scenario_result *res)
{
	char seed[24];

	char faults[1400];

	scenario_faults_text(sc, faults, sizeof faults);
	snprintf(seed, sizeof seed, "%" PRIu64, sc->seed);
	verdict_print(stdout, sc->ops->name, sc->n, sc->f, seed, res,
		      faults[0] ? faults : NULL);
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
	if (sc->crypto == BYZ_SCHEME_FAST)
		printf("  crypto   fast (keyed hashes; docs/crypto.md)\n");
	if (res->confirmed)
		printf(
		    "  crypto   found with fast crypto (%s, trace %.16s...), "
		    "replayed with Ed25519: the run above\n",
		    verdict_name(res->fast_verdict), res->fast_trace_hash);
}

/* --driver zmq: the scenario as processes, then the checkers on the merged
 * trace (byzlab check's output and exit status). */
static int run_zmq(const struct scenario *sc, const char *trace_path,
		   const char *out_dir, uint16_t port, bool json)
{
	struct launch_opts o = {.sc = sc,
				.dir = out_dir,
				.trace = trace_path,
				.keep = out_dir != NULL,
				.tcp = port != 0,
				.port = port,
				.stop = &run_interrupted};
	struct launch_result lr;
	struct sigaction sa;
	char why[512];
	int rc;

	if (sc->max_time_us != 600ull * 1000 * 1000)
		o.limit_us = sc->max_time_us;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = run_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (launch_run(&o, &lr, why, sizeof why))
		return cli_input_error("run", "%s", why);
	rc = cmd_check_file(lr.trace, json);
	/* A failure is evidence: its run folder (the merged and per-process
	 * traces, what the adversary did to each frame, the logs) stays. */
	if (rc != EXIT_OK)
		lr.temp = false;
	if (!json)
		printf("  zmq      %" PRIu32
		       " processes, %.3f s wall, stop %s%s%s"
		       "\n",
		       lr.processes, lr.wall_seconds, lr.stop,
		       lr.temp ? "" : "; run folder ", lr.temp ? "" : lr.dir);
	launch_remove(&lr);
	wall_disarm();
	if (wall_hit()) {
		fprintf(stderr,
			"byzlab run: stopped at --max-wall (the check above "
			"calls it interrupted); no verdict\n");
		return EXIT_INCOMPLETE;
	}
	if (run_interrupted) {
		fprintf(stderr, "byzlab run: interrupted\n");
		return 130;
	}
	return rc;
}

/* The options that set a scenario field, and the field each sets. */
static const struct run_field {
	const char *option, *field;
} run_fields[] = {
    {"protocol", "protocol"},
    {"n", "n"},
    {"f", "f"},
    {"seed", "seed"},
    {"clients", "clients"},
    {"requests", "requests"},
    {"keys", "keys"},
    {"latency", "latency"},
    {"jitter", "jitter"},
    {"loss", "loss"},
    {"gst", "gst"},
    {"crash", "crash"},
    {"timeout", "timeout"},
    {"window", "window"},
    {"max-time", "max_time"},
    {"max-events", "max_events"},
    {"bound", "bound"},
    {"checkpoint", "checkpoint"},
    {"batch", "batch"},
    {"byzantine", "byzantine"},
    {"attack", "attacks"},
    {"stop-on-violation", "stop_on_violation"},
    {"mutant", "mutant"},
    {"leaders", "leaders"},
    {"crypto", "crypto"},
};
#define RUN_NFIELDS (sizeof run_fields / sizeof run_fields[0])

int cmd_run(int argc, char **argv)
{
	enum {
		O_FIELD = 256,
		O_TRACE = O_FIELD + RUN_NFIELDS,
		O_JSON,
		O_SCENARIO,
		O_DRIVER,
		O_OUT,
		O_PORT,
		O_MAX_WALL
	};
	struct option opts[RUN_NFIELDS + 9];
	const char *driver = "sim", *out_dir = NULL;
	uint64_t port = 0, max_wall = 0;
	struct scenario sc;
	struct scenario_text st;
	struct scenario_result res;
	const char *trace_path = NULL;
	bool json = false;
	FILE *tf = NULL;
	static struct outfile trace_out;
	int opt, rc, src;
	char why[512];
	struct sigaction sa;

	for (size_t i = 0; i < RUN_NFIELDS; i++)
		opts[i] = (struct option){
		    run_fields[i].option,
		    strcmp(run_fields[i].option, "stop-on-violation")
			? required_argument
			: no_argument,
		    NULL, O_FIELD + (int)i};
	opts[RUN_NFIELDS] =
	    (struct option){"trace", required_argument, NULL, O_TRACE};
	opts[RUN_NFIELDS + 1] =
	    (struct option){"json", no_argument, NULL, O_JSON};
	opts[RUN_NFIELDS + 2] =
	    (struct option){"scenario", required_argument, NULL, O_SCENARIO};
	opts[RUN_NFIELDS + 3] =
	    (struct option){"driver", required_argument, NULL, O_DRIVER};
	opts[RUN_NFIELDS + 4] =
	    (struct option){"out", required_argument, NULL, O_OUT};
	opts[RUN_NFIELDS + 5] =
	    (struct option){"port", required_argument, NULL, O_PORT};
	opts[RUN_NFIELDS + 6] =
	    (struct option){"max-wall", required_argument, NULL, O_MAX_WALL};
	opts[RUN_NFIELDS + 7] = (struct option){"help", no_argument, NULL, 'h'};
	opts[RUN_NFIELDS + 8] = (struct option){NULL, 0, NULL, 0};

	scenario_text_init(&st, &sc);
	src = scenario_text_source(&st);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (opt >= O_FIELD && opt < O_TRACE) {
			const struct run_field *rf = &run_fields[opt - O_FIELD];
			struct scenario_where where = {.prefix = ""};
			snprintf(where.name, sizeof where.name, "--%s",
				 rf->option);
			if (scenario_text_set(&st, src, rf->field,
					      optarg ? optarg : "true", &where,
					      true, why, sizeof why))
				return cli_usage_error("run", "%s", why);
			continue;
		}
		switch (opt) {
		case 'h':
			run_print_usage(stdout);
			return EXIT_OK;
		case O_SCENARIO:
			if (scenario_text_load(&st, optarg, why, sizeof why))
				return cli_input_error("run", "--scenario: %s",
						       why);
			/* what follows on the command line overrides it */
			src = scenario_text_source(&st);
			break;
		case O_TRACE:
			trace_path = optarg;
			break;
		case O_JSON:
			json = true;
			break;
		case O_DRIVER:
			if (strcmp(optarg, "sim") && strcmp(optarg, "zmq"))
				return cli_usage_error(
				    "run", "--driver: '%s' is not sim or zmq",
				    optarg);
			driver = optarg;
			break;
		case O_OUT:
			out_dir = optarg;
			break;
		case O_PORT:
			if ((rc = cli_parse_u64("run", "--port", optarg, 1024,
						65000, &port)))
				return rc;
			break;
		case O_MAX_WALL:
			if ((rc = cli_parse_duration("run", "--max-wall",
						     optarg, &max_wall)))
				return rc;
			if (max_wall == 0 || max_wall > WALL_MAX_US)
				return cli_usage_error(
				    "run",
				    "--max-wall: '%s' is not from 1us "
				    "to 86400s (a day)",
				    optarg);
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
	if (scenario_text_finish(&st, why, sizeof why))
		return why[0] == '-'
			   ? cli_usage_error("run", "%s", why)
			   : cli_input_error("run", "--scenario: %s", why);
	/* Every limit the protocol's core enforces, and the cluster's own
	 * (Byzantine replicas, crashes, attacks), before anything runs. */
	if (scenario_check_config(&sc, why, sizeof why))
		return cli_usage_error("run", "%s", why);
	if (sc.crypto != BYZ_SCHEME_ED25519 && !strcmp(driver, "zmq"))
		return cli_usage_error("run", "--crypto fast is for the "
					      "simulator: real processes sign "
					      "with Ed25519");
	if ((out_dir || port) && strcmp(driver, "zmq"))
		return cli_usage_error("run", "--out and --port are for "
					      "--driver zmq");
	/* --max-wall raises the same flag as SIGINT (wall.h), and the
	 * verdict says which it was. */
	if (wall_arm(max_wall, &run_interrupted))
		return cli_input_error("run", "--max-wall: no timer: %s",
				       strerror(errno));
	if (!strcmp(driver, "zmq"))
		return run_zmq(&sc, trace_path, out_dir, (uint16_t)port, json);
	if (trace_path) {
		if (outfile_open(&trace_out, trace_path, 0666, 0, why,
				 sizeof why))
			return cli_input_error("run", "--trace: %s", why);
		tf = trace_out.f;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = run_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sc.stop = &run_interrupted;

	rc = scenario_run_confirmed(&sc, tf, &res);
	wall_disarm();
	if (wall_hit() && res.sim.interrupted && res.verdict != VERDICT_ERROR) {
		res.wall_limited = true;
		res.max_wall_us = max_wall;
		verdict_judge(&res);
	}
	if (tf) {
		if (res.trace_errno)
			outfile_fail(&trace_out, res.trace_errno);
		if (outfile_commit(&trace_out, why, sizeof why)) {
			fprintf(stderr,
				"byzlab run: error: --trace: %s; no trace "
				"written\n",
				why);
			return EXIT_INCOMPLETE;
		}
	}
	if (rc == BYZ_EINVAL && res.verdict == VERDICT_ERROR)
		return cli_usage_error("run", "%s", res.why);
	if (json)
		scenario_print_json(stdout, &sc, &res);
	else
		print_people(&sc, &res);
	if (res.verdict == VERDICT_WALL) {
		fprintf(stderr,
			"byzlab run: stopped at --max-wall %s%s%s; no "
			"verdict\n",
			max_wall_text(max_wall, why, sizeof why),
			trace_path ? "; partial trace in " : "",
			trace_path ? trace_path : "");
		return EXIT_INCOMPLETE;
	}
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
