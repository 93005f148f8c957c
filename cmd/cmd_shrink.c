/*
 * cmd_shrink.c - `byzlab shrink FAILURE.json`: minimise a saved failure
 * and write the smaller one (shrink.h).
 */
#include "chart.h"
#include "cli.h"
#include "err.h"
#include "failure.h"
#include "outfile.h"
#include "scenario_io.h"
#include "shrink.h"
#include "shrinkpool.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char shrink_usage[] =
    "Usage: byzlab shrink [OPTIONS] FAILURE.json\n"
    "\n"
    "Minimise a saved failure: remove attacks, crashes and Byzantine\n"
    "replicas, halve the workload, end the attacks at the violation and\n"
    "shorten their windows, rounds and probabilities, keeping each change\n"
    "only if the same kind of failure (a safety violation, else a liveness\n"
    "failure, else a view given up in time: not timely) persists. Every\n"
    "candidate is a full run in the simulator.\n"
    "Writes the smallest failure found, which `byzlab replay` reproduces.\n"
    "The candidates run on J worker processes; the result is the same\n"
    "whatever J is (the first candidate in the serial order that still\n"
    "fails is kept; those run ahead of it are thrown away).\n"
    "\n"
    "  -j, --jobs J     worker processes (default: the number of CPUs)\n"
    "  -o, --out FILE   where to write it (default FAILURE.shrunk.json);\n"
    "                   replaced atomically if it is a regular file; a\n"
    "                   FIFO, device, socket, directory or symbolic link\n"
    "                   is refused. Its message sequence chart goes beside\n"
    "                   it, FILE with .svg for .json (byzlab report chart)\n"
    "  -q, --quiet      do not list the candidates tried\n"
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0 written; 1 the failure does not fail when run again;\n"
    "2 bad usage or input (an output that is not a regular file); 3 the\n"
    "shrunk failure could not be written (e.g. the disk is full: nothing\n"
    "is left at FILE, nor a temporary file) or made (a worker died twice\n"
    "on one candidate); 130 interrupted by SIGINT or SIGTERM (nothing\n"
    "written).\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* The one shrinker of this command, for the pool. */
struct one {
	struct shrinker k;
	bool taken, ended;
	enum shrinkpool_end how;
	char lost[400];
};

static struct shrinker *one_take(void *ctx)
{
	struct one *o = ctx;

	if (o->taken)
		return NULL;
	o->taken = true;
	return &o->k;
}

static void one_ended(void *ctx, struct shrinker *k, enum shrinkpool_end how,
		      const char *why)
{
	struct one *o = ctx;

	(void)k;
	o->ended = true;
	o->how = how;
	snprintf(o->lost, sizeof o->lost, "%s", why ? why : "");
}

/* Print the shrunk scenario for people. */
static void describe(const struct shrink_result *sr)
{
	char attacks[4096];

	scenario_attacks_text(&sr->sc, attacks, sizeof attacks);
	printf("  scenario  %s n=%u f=%u seed=%llu clients=%u requests=%u\n",
	       sr->sc.ops->name, sr->sc.n, sr->sc.f,
	       (unsigned long long)sr->sc.seed, sr->sc.clients,
	       sr->sc.requests);
	printf("  byzantine");
	for (uint32_t r = 0; r < sr->sc.n; r++)
		if (sr->sc.plan.byzantine[r])
			printf(" %u", r);
	printf("\n  attacks   %s\n  result    %s\n", attacks, sr->res.why);
}

/* The chart of the shrunk failure beside it (X.json -> X.svg; chart.h),
 * as campaigns draw one: EXIT_OK, or EXIT_INCOMPLETE when it cannot be
 * written (one that cannot be drawn is only a warning). */
static int shrunk_chart(const char *out_path)
{
	char svg[OUTFILE_PATH_MAX], why[OUTFILE_PATH_MAX + 600];
	size_t len = strlen(out_path);
	int rc;

	if (len <= 5 || strcmp(out_path + len - 5, ".json") ||
	    len >= sizeof svg)
		return EXIT_OK;
	snprintf(svg, sizeof svg, "%.*s.svg", (int)(len - 5), out_path);
	rc = chart_write_failure(out_path, svg, NULL, why, sizeof why);
	if (rc == BYZ_EIO) {
		fprintf(stderr, "byzlab shrink: error: %s (its chart)\n", why);
		return EXIT_INCOMPLETE;
	}
	if (rc)
		fprintf(stderr, "byzlab shrink: warning: no chart drawn: %s\n",
			why);
	else
		printf("  chart     %s\n", svg);
	return EXIT_OK;
}

int cmd_shrink(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"jobs", required_argument, NULL, 'j'},
	    {"out", required_argument, NULL, 'o'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out_path = NULL;
	char def_out[1100], why[1600], line[1024];
	bool quiet = false;
	static struct shrink_result sr;
	static struct failure fl;
	static struct one one;
	struct shrinkpool_src src = {&one, one_take, one_ended};
	struct shrinkpool_stats st;
	struct sigaction sa;
	json_t *orig;
	uint64_t jobs = 0;
	int opt, rc;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hj:o:q", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(shrink_usage, stdout);
			return EXIT_OK;
		case 'j':
			if (cli_parse_u64("shrink", "--jobs", optarg, 1,
					  WORKERS_MAX, &jobs))
				return EXIT_USAGE;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case ':':
			return cli_usage_error("shrink", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("shrink", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("shrink", optind >= argc
						     ? "no failure file given"
						     : "give one failure file");
	if (!out_path) {
		size_t len = strlen(argv[optind]);
		if (len > 5 && !strcmp(argv[optind] + len - 5, ".json"))
			len -= 5;
		snprintf(def_out, sizeof def_out, "%.*s.shrunk.json", (int)len,
			 argv[optind]);
		out_path = def_out;
	}
	if (!jobs) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = cpus < 1		    ? 1
		       : cpus > WORKERS_MAX ? WORKERS_MAX
					    : (uint64_t)cpus;
	}
	/* Refuse a target that is not a regular file before the work. */
	if (outfile_check(out_path, why, sizeof why))
		return cli_usage_error("shrink", "-o: %s", why);
	printf("shrinking %s\n", argv[optind]);
	if (failure_read(argv[optind], &fl, &orig, why, sizeof why))
		return cli_input_error("shrink", "%s", why);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	shrinker_init(&one.k, &fl.sc, NULL, SHRINKPOOL_WINDOW((size_t)jobs),
		      quiet ? NULL : stdout, &sr);
	shrinkpool_run(&src, (int)jobs, &stop_flag, &st);
	shrinker_free(&one.k);
	if (!one.ended || one.how == SHRINKPOOL_STOPPED) {
		json_decref(orig);
		fprintf(stderr,
			"byzlab shrink: interrupted; nothing written\n");
		return 130;
	}
	if (one.how == SHRINKPOOL_LOST || one.k.oom) {
		json_decref(orig);
		fprintf(stderr,
			"byzlab shrink: error: %s: not shrunk: %s; nothing "
			"written\n",
			argv[optind], one.k.oom ? "out of memory" : one.lost);
		return EXIT_INCOMPLETE;
	}
	if (one.k.phase == SHRINK_NOT_FAILING) {
		json_decref(orig);
		fprintf(stderr,
			"byzlab shrink: %s does not fail when run again (%s); "
			"nothing to shrink\n",
			argv[optind], verdict_name(sr.res.verdict));
		return EXIT_VIOLATION;
	}
	rc = failure_write_shrunk(&fl, orig, &sr, out_path, why, sizeof why);
	json_decref(orig);
	if (rc) {
		fprintf(stderr, "byzlab shrink: error: %s; nothing written\n",
			why);
		return EXIT_INCOMPLETE;
	}
	printf("shrunk in %u tries (%u kept) -> %s\n", sr.tries, sr.kept,
	       out_path);
	describe(&sr);
	shrinkpool_describe(&st, line, sizeof line);
	printf("  ran       %s\n", line);
	return shrunk_chart(out_path);
}
