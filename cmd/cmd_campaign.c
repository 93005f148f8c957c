/*
 * cmd_campaign.c - `byzlab campaign FILE --out DIR`: load a campaign, check
 * that every run builds, open the results directory (results.h), run the
 * runs on a pool of workers (workers.h), shrink the violations the
 * campaign asks for, and end with the threshold table (summary.md).
 *
 * --shard K/N runs every N-th run from the K-th, so shards on many
 * machines together run each run once; --merge combines their
 * directories. An interrupted campaign (SIGINT, SIGTERM) keeps what is
 * written and goes on with --resume.
 */
#include "campaign.h"
#include "cli.h"
#include "junit.h"
#include "outfile.h"
#include "results.h"
#include "scenario_io.h"
#include "real_run.h"
#include "summary.h"
#include "wall.h"
#include "workers.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_JOBS WORKERS_MAX

static const char campaign_usage[] =
    "Usage: byzlab campaign FILE --out DIR [OPTIONS]\n"
    "       byzlab campaign --merge DIR... --out DIR\n"
    "\n"
    "Run every scenario of a campaign file (docs/campaigns.md) in the\n"
    "simulator on J processes, check each against its cell's expectation\n"
    "(safe, live, violation-found) and write into DIR:\n"
    "  runs.jsonl          one line per finished run: parameters, verdicts,\n"
    "                      message counters, rejections, trace hash, time\n"
    "  failures/<id>.json  every run that broke safety or missed its\n"
    "                      expectation, with all it takes to replay it\n"
    "                      (byzlab replay) or shrink it (byzlab shrink)\n"
    "  failures/<id>.shrunk.json  the shrunk counterexample of each group\n"
    "                      whose cell says `shrink: true`\n"
    "  failures/<id>.shrunk.svg  its message sequence chart (byzlab\n"
    "                      report chart; docs/reports.md)\n"
    "  summary.md          the threshold table: for each protocol and n,\n"
    "                      Byzantine count b against the share of runs that\n"
    "                      broke safety or liveness\n"
    "\n"
    "Options:\n"
    "  --out DIR       the results directory (created)\n"
    "  --jobs J        worker processes (default: the number of CPUs)\n"
    "  --shard K/N     run only runs K-1, K-1+N, K-1+2N, ... (1 <= K <= N):\n"
    "                  for Slurm arrays, Kubernetes indexed Jobs, GNU "
    "parallel\n"
    "  --resume        DIR has runs of this campaign already: skip them\n"
    "  --force         start again in a DIR that has runs (they are removed)\n"
    "  --no-shrink     do not shrink violations\n"
    "  --max-wall D    each run's wall-clock limit, over the file's max_wall\n"
    "                  (default 60s, 180s for driver zmq; none for no\n"
    "                  limit): a run that hits it\n"
    "                  is recorded as wall-limit, without a verdict\n"
    "  --crypto ed25519|fast  every run signs so, over the file's crypto:\n"
    "                  fast explores with keyed hashes and runs every\n"
    "                  failure again with Ed25519 before reporting it\n"
    "                  (docs/crypto.md; driver sim only)\n"
    "  --junit FILE    also write the results as JUnit XML to FILE, for CI\n"
    "                  systems: a suite per cell, a test per protocol, n\n"
    "                  and b of it and per failure file (docs/campaigns.md)\n"
    "  --list          print the runs (id and attacks) and exit\n"
    "  --merge DIR...  combine shard directories into --out DIR and write\n"
    "                  its summary; every run of the campaign must be in one\n"
    "                  of them, all made by one campaign and version\n"
    "  --partial       with --merge: merge although runs are missing (they\n"
    "                  are listed; exit status 3)\n"
    "  --accept-mismatch  --resume into or --merge directories that another\n"
    "                  campaign file (or an edited one) or another byzlab\n"
    "                  version wrote (DIR/campaign.json records what made\n"
    "                  DIR; the mix is recorded there too)\n"
    "  -q, --quiet     no progress bar\n"
    "  -h, --help      this help\n"
    "\n"
    "DIR/.lock keeps a second invocation from writing DIR while one does.\n"
    "\n"
    "Exit status: 0 every expectation held; 1 one did not; 2 bad usage or\n"
    "a bad campaign file (or DIR is another campaign's, or locked); 3\n"
    "incomplete: results could not all be written (a full disk...; the\n"
    "message names each missing file; make room and go on with --resume),\n"
    "runs could not be carried out (a worker died twice on one, or hit\n"
    "--max-wall) or are missing; 130 interrupted by SIGINT or SIGTERM\n"
    "(finished runs are kept; go on with --resume).\n"
    "\n"
    "Example:\n"
    "  byzlab campaign campaigns/threshold.yaml --out results/threshold\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* What the command line asked for. */
struct campaign_opts {
	const char *file, *out;
	bool resume, force, noshrink, list, merge, quiet;
	bool accept_mismatch, partial, has_max_wall, has_crypto;
	const char *junit;
	enum byz_scheme crypto;
	uint64_t max_wall_us;
	uint64_t jobs, shard_k, shard_n;
	char **dirs; /* --merge */
	int ndirs;
};

static int parse_shard(const char *s, uint64_t *k, uint64_t *n)
{
	char *slash, buf[64];

	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if (cli_parse_u64("campaign", "--shard K", buf, 1, 1000000, k) ||
	    cli_parse_u64("campaign", "--shard N", slash + 1, 1, 1000000, n))
		return -2;
	return *k <= *n ? 0 : -1;
}

/* Parse the options into o: 0, or the exit code of a usage error (or of
 * --help, with *done set). */
static int parse_opts(int argc, char **argv, struct campaign_opts *o,
		      bool *done)
{
	enum {
		O_OUT = 256,
		O_JOBS,
		O_SHARD,
		O_RESUME,
		O_FORCE,
		O_NOSHRINK,
		O_LIST,
		O_MERGE,
		O_ACCEPT,
		O_PARTIAL,
		O_MAX_WALL,
		O_CRYPTO,
		O_JUNIT,
	};
	static const struct option opts[] = {
	    {"out", required_argument, NULL, O_OUT},
	    {"jobs", required_argument, NULL, O_JOBS},
	    {"shard", required_argument, NULL, O_SHARD},
	    {"resume", no_argument, NULL, O_RESUME},
	    {"force", no_argument, NULL, O_FORCE},
	    {"no-shrink", no_argument, NULL, O_NOSHRINK},
	    {"list", no_argument, NULL, O_LIST},
	    {"merge", no_argument, NULL, O_MERGE},
	    {"accept-mismatch", no_argument, NULL, O_ACCEPT},
	    {"partial", no_argument, NULL, O_PARTIAL},
	    {"max-wall", required_argument, NULL, O_MAX_WALL},
	    {"crypto", required_argument, NULL, O_CRYPTO},
	    {"junit", required_argument, NULL, O_JUNIT},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt, rc;

	memset(o, 0, sizeof *o);
	o->shard_k = o->shard_n = 1;
	*done = false;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(campaign_usage, stdout);
			printf(
			    "\nLimits (the cores' own; a run outside them is "
			    "refused when the file\nis loaded, exit status "
			    "2):\n");
			cli_print_limits(stdout);
			*done = true;
			return EXIT_OK;
		case O_OUT:
			o->out = optarg;
			break;
		case O_JOBS:
			if (cli_parse_u64("campaign", "--jobs", optarg, 1,
					  MAX_JOBS, &o->jobs))
				return EXIT_USAGE;
			break;
		case O_SHARD:
			rc = parse_shard(optarg, &o->shard_k, &o->shard_n);
			if (rc == -2)
				return EXIT_USAGE;
			if (rc)
				return cli_usage_error(
				    "campaign",
				    "--shard: '%s' is not K/N with "
				    "1 <= K <= N",
				    optarg);
			break;
		case O_RESUME:
			o->resume = true;
			break;
		case O_FORCE:
			o->force = true;
			break;
		case O_NOSHRINK:
			o->noshrink = true;
			break;
		case O_LIST:
			o->list = true;
			break;
		case O_MERGE:
			o->merge = true;
			break;
		case O_ACCEPT:
			o->accept_mismatch = true;
			break;
		case O_PARTIAL:
			o->partial = true;
			break;
		case O_MAX_WALL:
			if (!strcmp(optarg, "none")) {
				o->max_wall_us = 0;
			} else {
				if ((rc = cli_parse_duration(
					 "campaign", "--max-wall", optarg,
					 &o->max_wall_us)))
					return rc;
				if (o->max_wall_us == 0 ||
				    o->max_wall_us > WALL_MAX_US)
					return cli_usage_error(
					    "campaign",
					    "--max-wall: '%s' is not from 1us "
					    "to 86400s (a day), or none",
					    optarg);
			}
			o->has_max_wall = true;
			break;
		case O_CRYPTO:
			if (!strcmp(optarg, "ed25519"))
				o->crypto = BYZ_SCHEME_ED25519;
			else if (!strcmp(optarg, "fast"))
				o->crypto = BYZ_SCHEME_FAST;
			else
				return cli_usage_error(
				    "campaign",
				    "--crypto: '%s' is not ed25519 or fast",
				    optarg);
			o->has_crypto = true;
			break;
		case O_JUNIT:
			o->junit = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case ':':
			return cli_usage_error("campaign", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("campaign",
					       "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (o->merge) {
		if (!o->out)
			return cli_usage_error("campaign",
					       "--merge needs --out DIR");
		if (optind >= argc)
			return cli_usage_error("campaign",
					       "--merge needs directories");
		o->dirs = argv + optind;
		o->ndirs = argc - optind;
		return 0;
	}
	if (optind >= argc)
		return cli_usage_error("campaign", "no campaign file given");
	if (optind + 1 < argc)
		return cli_usage_error("campaign", "unexpected argument '%s'",
				       argv[optind + 1]);
	o->file = argv[optind];
	if (!o->out && !o->list)
		return cli_usage_error("campaign", "--out DIR is required");
	if (o->partial)
		return cli_usage_error("campaign",
				       "--partial goes with --merge");
	if (o->resume && o->force)
		return cli_usage_error("campaign",
				       "--resume and --force exclude "
				       "each other");
	return 0;
}

/* Every run must build: a bad scenario is bad input, found before any
 * run. With --list, print each. 0, or the exit code. */
static int check_runs(const struct campaign *c, const char *file, bool list)
{
	for (uint64_t k = 0; k < c->nruns; k++) {
		static struct run_spec rs;
		char inner[512];
		if (campaign_run_spec(c, k, &rs, inner, sizeof inner) ||
		    adversary_check(&rs.sc.plan, rs.sc.n, rs.sc.f, inner,
				    sizeof inner))
			return cli_input_error("campaign", "%s: cell '%s': %s",
					       file, c->cells[rs.cell].name,
					       inner);
		if (list) {
			char attacks[4096];
			scenario_attacks_text(&rs.sc, attacks, sizeof attacks);
			printf("%" PRIu64 "\t%s\t%s\n", k, rs.id, attacks);
		}
	}
	return 0;
}

/* The runs of this shard that the directory does not hold yet. */
static uint64_t runs_to_do(const struct campaign *c,
			   const struct campaign_opts *o, const bool *done,
			   uint64_t *todo)
{
	uint64_t n = 0;

	for (uint64_t k = o->shard_k - 1; k < c->nruns; k += o->shard_n)
		if (!done[k])
			todo[n++] = k;
	return n;
}

/* Run todo[0..ntodo) into the open runs.jsonl (fd), with the progress bar
 * and the signals that stop a campaign cleanly. */
static int run_runs(const struct campaign *c, const struct campaign_opts *o,
		    int fd, const uint64_t *todo, uint64_t ntodo,
		    struct progress *prog)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	prog->t0 = results_now();
	prog->total = ntodo;
	prog->tty = isatty(2);
	prog->quiet = o->quiet;
	if (!o->quiet) {
		uint64_t in_shard =
		    c->nruns >= o->shard_k
			? (c->nruns - o->shard_k) / o->shard_n + 1
			: 0;
		fprintf(stderr,
			"campaign %s: %" PRIu64 " runs to do (shard %" PRIu64
			"/%" PRIu64 " of %" PRIu64 " runs; %" PRIu64
			" done before), %" PRIu64 " jobs -> %s/\n",
			c->name, ntodo, o->shard_k, o->shard_n, c->nruns,
			in_shard - ntodo, o->jobs, o->out);
	}
	return workers_run(c, o->out, fd, todo, ntodo, (int)o->jobs, prog,
			   &stop_flag);
}

/* Say what a campaign could not write (m), for the exit status 3. */
static void say_missing(const struct results_missing *m, const char *out)
{
	fprintf(stderr,
		"byzlab campaign: error: results incomplete: %zu write(s) "
		"failed, so %s/ is missing:\n",
		m->n, out);
	for (size_t i = 0; i < m->n && i < RESULTS_MISSING_SHOWN; i++)
		fprintf(stderr, "  %s\n", m->what[i]);
	if (m->n > RESULTS_MISSING_SHOWN)
		fprintf(stderr, "  ... and %zu more (see the messages above)\n",
			m->n - RESULTS_MISSING_SHOWN);
	fprintf(stderr,
		"byzlab campaign: %zu finished run(s) are not in runs.jsonl; "
		"make room (or fix the directory) and go on with --resume\n",
		m->runs_unrecorded);
}

/* After the runs: shrink, write summary.md, say how it went; the exit
 * code. lost: a run was lost (a worker died, a write failed). A campaign
 * that could not write everything says what is missing and exits 3
 * (EXIT_INCOMPLETE), never "every expectation held". */
static int finish(const struct campaign *c, const struct campaign_opts *o,
		  struct progress *prog, bool lost)
{
	char why[1024], note[768];
	json_t *records;
	size_t torn;
	struct summary_totals t;
	struct results_missing *m = &prog->missing;
	double el = results_now() - prog->t0;

	if (summary_load_runs(o->out, &records, &torn, why, sizeof why))
		return cli_input_error("campaign", "%s", why);
	/* A real run is not reproducible: shrinking would re-run it in the
	 * simulator, another run. Its evidence is its folder (OUT/real/). */
	if (!o->noshrink && !stop_flag && !m->stopped &&
	    strcmp(c->driver, "zmq"))
		results_shrink_groups(c, o->out, records, o->quiet,
				      (int)o->jobs, &stop_flag, m);
	snprintf(note, sizeof note,
		 "Campaign file `%s`; %" PRIu64
		 " runs in this campaign; shard %" PRIu64 "/%" PRIu64
		 "; %" PRIu64 " jobs; this invocation ran %" PRIu64
		 " runs in %.1f s (%.1f runs/s)%s%s.",
		 o->file, c->nruns, o->shard_k, o->shard_n, o->jobs, prog->done,
		 el, el > 0 ? (double)prog->done / el : 0.0,
		 stop_flag ? "; INTERRUPTED: finished runs are kept, go on "
			     "with --resume"
			   : "",
		 m->n ? "; INCOMPLETE: some results could not be written "
			"(byzlab campaign said which), go on with --resume"
		      : "");
	t = summary_write(o->out, c->name, note, records, stdout);
	if (t.write_error[0])
		results_missing_add(m, "%s", t.write_error);
	if (o->junit &&
	    junit_write(o->junit, o->out, c->name, records, why, sizeof why))
		results_missing_add(m, "%s", why);
	json_decref(records);
	printf("\n%zu runs in %s/runs.jsonl", t.runs, o->out);
	if (t.write_error[0])
		printf("; no summary (%s/summary.md could not be written)\n",
		       o->out);
	else
		printf("; summary in %s/summary.md\n", o->out);
	if (stop_flag)
		fprintf(stderr,
			"byzlab campaign: interrupted; %" PRIu64 " of %" PRIu64
			" runs of this invocation finished%s; go on "
			"with "
			"--resume\n",
			prog->done, prog->total, m->n ? "" : " and are kept");
	if (m->n) {
		if (!t.all_met)
			printf("EXPECTATIONS NOT MET: %zu group(s), %zu run(s) "
			       "(so far)\n",
			       t.groups_failed, t.unexpected_runs);
		say_missing(m, o->out);
		return EXIT_INCOMPLETE;
	}
	if (stop_flag)
		return 130;
	if (!t.all_met)
		printf("EXPECTATIONS NOT MET: %zu group(s), %zu run(s) (see "
		       "%s/summary.md)\n",
		       t.groups_failed, t.unexpected_runs, o->out);
	if (lost || t.harness_errors || t.wall_limited) {
		printf("INCOMPLETE: %zu run(s) could not be carried out "
		       "(harness errors), %zu hit their wall-clock limit%s "
		       "(see %s/summary.md)\n",
		       t.harness_errors, t.wall_limited,
		       lost ? ", and runs of this invocation were not run "
			      "(--resume runs them)"
			    : "",
		       o->out);
		return EXIT_INCOMPLETE;
	}
	if (!t.all_met)
		return EXIT_VIOLATION;
	printf("every expectation held\n");
	return EXIT_OK;
}

/* --merge DIR... --out DIR. */
static int merge(const struct campaign_opts *o)
{
	struct summary_totals t;
	char why[1400];
	uint64_t missing;
	bool usage;

	int rc = results_merge(o->dirs, o->ndirs, o->out, o->quiet,
			       o->accept_mismatch, o->partial, &missing, &t,
			       &usage, why, sizeof why);

	if (rc == -2) {
		fprintf(stderr,
			"byzlab campaign: error: results incomplete: %s\n",
			why);
		return EXIT_INCOMPLETE;
	}
	if (rc)
		return usage ? cli_usage_error("campaign", "%s", why)
			     : cli_input_error("campaign", "%s", why);
	if (t.write_error[0]) {
		fprintf(stderr,
			"byzlab campaign: error: results incomplete: %s\n",
			t.write_error);
		return EXIT_INCOMPLETE;
	}
	if (o->junit) {
		/* The merged directory's records, judged as one campaign's. */
		json_t *records = NULL, *first;
		size_t torn = 0;
		if (summary_load_runs(o->out, &records, &torn, why,
				      sizeof why) == 0) {
			first = json_array_get(records, 0);
			if (junit_write(o->junit, o->out,
					json_string_value(
					    json_object_get(first, "campaign"))
					    ?: "",
					records, why, sizeof why))
				rc = -2;
		} else {
			rc = -2;
		}
		json_decref(records);
		if (rc) {
			fprintf(stderr,
				"byzlab campaign: error: results incomplete: "
				"%s\n",
				why);
			return EXIT_INCOMPLETE;
		}
	}
	printf("\n%zu runs merged into %s/ (summary.md)\n", t.runs, o->out);
	if (missing) {
		printf("INCOMPLETE: %" PRIu64 " runs of the campaign are in "
		       "none of the directories (--partial)\n",
		       missing);
		return EXIT_INCOMPLETE;
	}
	return t.all_met ? EXIT_OK : EXIT_VIOLATION;
}

int cmd_campaign(int argc, char **argv)
{
	static struct campaign c;
	struct campaign_opts o;
	struct progress prog = {0};
	char why[1024];
	uint64_t *todo = NULL, ntodo;
	bool *done = NULL, helped, usage;
	char shard[48];
	struct results_origin origin = {.shard = shard};
	int fd = -1, lock = -1, rc;

	if ((rc = parse_opts(argc, argv, &o, &helped)) || helped)
		return rc;
	/* --junit's target is checked before any run (a FIFO, a device or a
	 * directory is refused), not only after them. */
	if (o.junit && outfile_check(o.junit, why, sizeof why))
		return cli_usage_error("campaign", "--junit: %s", why);
	if (o.merge)
		return merge(&o);
	if (campaign_load(o.file, &c, why, sizeof why)) {
		campaign_free(&c);
		return cli_input_error("campaign", "%s", why);
	}
	if (!strcmp(c.driver, "zmq"))
		c.runner = real_run; /* each run: a local cluster */
	c.has_wall_override = o.has_max_wall;
	c.wall_override_us = o.max_wall_us;
	c.has_crypto_override = o.has_crypto;
	c.crypto_override = o.crypto;
	if (o.has_crypto && o.crypto != BYZ_SCHEME_ED25519 &&
	    !strcmp(c.driver, "zmq")) {
		campaign_free(&c);
		return cli_usage_error("campaign",
				       "--crypto fast is for the simulator: "
				       "this campaign's driver is zmq");
	}
	if ((rc = check_runs(&c, o.file, o.list)) || o.list)
		goto out;
	if (o.jobs == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		o.jobs = cpus < 1	   ? 1
			 : cpus > MAX_JOBS ? MAX_JOBS
					   : (uint64_t)cpus;
	}
	done = calloc(c.nruns ? c.nruns : 1, sizeof *done);
	todo = calloc(c.nruns ? c.nruns : 1, sizeof *todo);
	if (!done || !todo) {
		rc = cli_input_error("campaign", "out of memory");
		goto out;
	}
	snprintf(shard, sizeof shard, "%" PRIu64 "/%" PRIu64, o.shard_k,
		 o.shard_n);
	origin.accept_mismatch = o.accept_mismatch;
	rc = results_open(o.out,
			  o.resume  ? RESULTS_RESUME
			  : o.force ? RESULTS_FORCE
				    : RESULTS_NEW,
			  &c, &origin, done, &fd, &lock, &usage, why,
			  sizeof why);
	if (rc == -2) {
		fprintf(stderr,
			"byzlab campaign: error: %s; no run was started\n",
			why);
		rc = EXIT_INCOMPLETE;
		goto out;
	}
	if (rc) {
		rc = usage ? cli_usage_error("campaign", "%s", why)
			   : cli_input_error("campaign", "%s", why);
		goto out;
	}
	ntodo = runs_to_do(&c, &o, done, todo);
	rc = run_runs(&c, &o, fd, todo, ntodo, &prog);
	close(fd);
	progress_show(&prog, true);
	rc = finish(&c, &o, &prog, rc != 0);
	close(lock);
out:
	free(done);
	free(todo);
	campaign_free(&c);
	return rc;
}
