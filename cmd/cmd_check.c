/*
 * cmd_check.c - `byzlab check TRACE.jsonl`: judge a trace file with the
 * checkers, without the run that wrote it; the same verdict as that run.
 */
#include "cli.h"
#include "cluster_trace.h"
#include "outfile.h"
#include "scenario.h"
#include "scenario_io.h"
#include "trace_read.h"
#include "verdict.h"

#include "err.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char check_usage[] =
    "Usage: byzlab check [OPTIONS] TRACE.jsonl\n"
    "\n"
    "Judge a trace file (JSON Lines, docs/trace.md) with the safety and\n"
    "liveness checkers, as `byzlab run` judges the run it does: the same\n"
    "verdict line, the same exit status. The trace says who was Byzantine,\n"
    "the GST and the liveness bound (its first line, `run`) and how the run\n"
    "ended (its last line, `end`); a trace without an end line fails.\n"
    "\n"
    "These options replace what the trace's run line says:\n"
    "  --byzantine LIST    Byzantine replicas, left out of every check: ids\n"
    "                      \"0,2\", a count \"2\" (replicas 0..1) or "
    "\"none\".\n"
    "                      Replicas restarted without their state stay out.\n"
    "  --gst D             global stabilisation time (250us, 20ms, 1.5s;\n"
    "                      a bare number is ms)\n"
    "  --bound D           liveness bound after GST\n"
    "Output:\n"
    "  --json              print the result as one JSON line instead\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 all invariants held and every request committed;\n"
    "1 a violation (or the run did not finish); 2 bad usage, or a trace\n"
    "that cannot be read (the message names the file, line and field).\n"
    "\n"
    "A cluster run by hand (byzlab node, client, adversary; byzlab cluster\n"
    "up; several hosts) leaves one trace per process. Judge them together:\n"
    "  --cluster FILE      merge the traces given (TRACE...) in their causal\n"
    "                      order (each line's Lamport clock) under a run\n"
    "                      line from the cluster file, then judge the\n"
    "                      merged trace; liveness is not judged (the trace\n"
    "                      cannot know a hand-run workload), safety is\n"
    "  --merged OUT        where the merged trace goes (default: merged.jsonl\n"
    "                      in the first trace's folder)\n"
    "\n"
    "Examples:\n"
    "  byzlab run --trace run.jsonl && byzlab check run.jsonl\n"
    "  byzlab check --cluster cluster.yaml data/replica-*/trace.jsonl\n"
    "  byzlab check --byzantine none run.jsonl\n";

/* The options that replace the trace's. */
struct check_opts {
	const char *cluster; /* --cluster: merge a hand-run cluster's traces */
	const char *const *traces;
	size_t ntraces;
	const char *merged; /* where (default TRACE0's folder/merged.jsonl) */
	const char *byzantine; /* or NULL */
	const char *clocks;    /* --clocks OUT: the trace with its clocks */
	bool gst_given, bound_given, json;
	uint64_t gst_us, bound_us;
};

/* The replicas in which[0..n) as a JSON list. */
static json_t *check_ids(const bool *which, uint32_t n)
{
	json_t *a = json_array();

	for (uint32_t r = 0; r < n; r++)
		if (which[r])
			json_array_append_new(a, json_integer(r));
	return a;
}

/* The result as one JSON line, with the keys `run --json` uses. */
static void check_print_json(const char *path, const struct trace_read *tr,
			     const struct scenario_result *res)
{
	json_t *o = json_object(), *checks = json_object(),
	       *viol = json_array();
	char *line;

	json_object_set_new(o, "trace", json_string(path));
	json_object_set_new(o, "protocol", json_string(tr->protocol));
	json_object_set_new(o, "driver", json_string(tr->driver));
	json_object_set_new(o, "n", json_integer(tr->log.n));
	json_object_set_new(o, "f", json_integer(tr->log.f));
	/* As `run --json` writes it. */
	json_object_set_new(
	    o, "seed", json_integer((json_int_t)strtoull(tr->seed, NULL, 10)));
	json_object_set_new(o, "requests",
			    json_integer((json_int_t)res->sim.requests));
	verdict_json(o, res);
	json_object_set_new(o, "byzantine",
			    check_ids(tr->log.byzantine, tr->log.n));
	json_object_set_new(o, "forged_accepted",
			    json_integer((json_int_t)res->sim.forged_accepted));
	json_object_set_new(o, "accepted",
			    json_integer((json_int_t)res->sim.accepted));
	for (int c = 0; c < CHECK_COUNT; c++)
		json_object_set_new(
		    checks, check_name(c),
		    json_integer((json_int_t)res->checks.per_check[c]));
	json_object_set_new(o, "violations", checks);
	for (size_t i = 0; i < res->checks.kept; i++)
		json_array_append_new(viol,
				      json_string(res->checks.v[i].detail));
	json_object_set_new(o, "violation_details", viol);
	json_object_set_new(o, "virtual_us",
			    json_integer((json_int_t)res->sim.now));
	json_object_set_new(o, "gst_us",
			    json_integer((json_int_t)tr->log.gst_us));
	json_object_set_new(o, "liveness_bound_us",
			    json_integer((json_int_t)res->liveness_bound_us));
	json_object_set_new(o, "trace_lines",
			    json_integer((json_int_t)res->trace_lines));
	json_object_set_new(o, "trace_hash", json_string(res->trace_hash));
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line) {
		printf("%s\n", line);
		free(line);
	}
	json_decref(o);
}

/* The result for people: the verdict as `run` prints it, then the trace
 * and what it was judged with. */
static void check_print_people(const char *path, const struct trace_read *tr,
			       const struct scenario_result *res)
{
	unsigned nbyz = 0;

	verdict_print(stdout, tr->protocol, tr->log.n, tr->log.f, tr->seed, res,
		      tr->faults[0] ? tr->faults : NULL);
	printf("  trace    %s: %" PRIu64 " lines, %s at %.3f s %s (%s)\n", path,
	       tr->lines, tr->has_end ? "ended" : "cut short",
	       (double)res->sim.now / 1e6,
	       strcmp(tr->driver, "sim") ? "wall-clock" : "virtual",
	       tr->has_end ? verdict_stop_name(&res->sim) : "no end line");
	printf("  judged   byzantine=");
	for (uint32_t r = 0; r < tr->log.n; r++)
		if (tr->log.byzantine[r])
			printf("%s%" PRIu32, nbyz++ ? "," : "", r);
	printf("%s gst=%.3fs bound=%.3fs\n", nbyz ? "" : "none",
	       (double)tr->log.gst_us / 1e6,
	       (double)res->liveness_bound_us / 1e6);
	printf("  messages");
	for (int p = 0; p < TRACE_PROTOS; p++)
		for (int t = 0; t < TRACE_TYPES; t++)
			if (tr->counts.sent[p][t])
				printf(" %s/%s=%" PRIu64,
				       wire_proto_name((uint8_t)p),
				       wire_type_name((uint8_t)p, (uint8_t)t),
				       tr->counts.sent[p][t]);
	printf("\n  network  delivered=%" PRIu64 " dropped=%" PRIu64
	       " rejected=%" PRIu64 "\n",
	       tr->counts.delivered, tr->counts.dropped, tr->counts.rejected);
}

/* Parse the options into *o and the trace's path. Returns 0; -1 after
 * --help; or 2 after a usage error. */
static int check_parse(int argc, char **argv, struct check_opts *o,
		       const char **path)
{
	enum {
		O_BYZ = 256,
		O_GST,
		O_BOUND,
		O_JSON,
		O_CLUSTER,
		O_MERGED,
		O_CLOCKS
	};
	static const struct option opts[] = {
	    {"cluster", required_argument, NULL, O_CLUSTER},
	    {"merged", required_argument, NULL, O_MERGED},
	    {"byzantine", required_argument, NULL, O_BYZ},
	    {"gst", required_argument, NULL, O_GST},
	    {"bound", required_argument, NULL, O_BOUND},
	    {"json", no_argument, NULL, O_JSON},
	    {"clocks", required_argument, NULL, O_CLOCKS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(check_usage, stdout);
			return -1;
		case O_BYZ:
			o->byzantine = optarg;
			break;
		case O_GST:
			if (cli_parse_duration("check", "--gst", optarg,
					       &o->gst_us))
				return EXIT_USAGE;
			o->gst_given = true;
			break;
		case O_BOUND:
			if (cli_parse_duration("check", "--bound", optarg,
					       &o->bound_us))
				return EXIT_USAGE;
			o->bound_given = true;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_CLUSTER:
			o->cluster = optarg;
			break;
		case O_MERGED:
			o->merged = optarg;
			break;
		case O_CLOCKS:
			o->clocks = optarg;
			break;
		case ':':
			return cli_usage_error("check", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("check", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("check", "no trace file given");
	if (o->merged && !o->cluster)
		return cli_usage_error("check", "--merged goes with --cluster");
	if (argc - optind > 1 && !o->cluster)
		return cli_usage_error("check",
				       "one trace file at a time ('%s' "
				       "is one too many; --cluster merges "
				       "several)",
				       argv[optind + 1]);
	*path = argv[optind];
	o->traces = (const char *const *)argv + optind;
	o->ntraces = (size_t)(argc - optind);
	return 0;
}

static int check_judge(const char *path, const struct check_opts *op);

int cmd_check_file(const char *path, bool json)
{
	struct check_opts o = {.json = json};

	return check_judge(path, &o);
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o = {0};
	const char *path = NULL;
	int rc;

	rc = check_parse(argc, argv, &o, &path);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (o.cluster) {
		char merged[4096], why[1024];
		const char *slash = strrchr(path, '/');
		uint64_t torn = 0;

		if (o.merged)
			snprintf(merged, sizeof merged, "%s", o.merged);
		else
			snprintf(merged, sizeof merged, "%.*smerged.jsonl",
				 slash ? (int)(slash - path + 1) : 0, path);
		if (cluster_trace_merge(o.cluster, o.traces, o.ntraces, merged,
					&torn, why, sizeof why))
			return cli_input_error("check", "%s", why);
		if (!o.json)
			printf("merged %zu traces into %s%s\n", o.ntraces,
			       merged,
			       torn ? " (torn last lines dropped)" : "");
		return check_judge(merged, &o);
	}
	return check_judge(path, &o);
}

/* Read the trace, apply the options, run the checkers, judge, print. */
static int check_judge(const char *path, const struct check_opts *op)
{
	struct check_opts o = *op;
	struct trace_read tr;
	struct scenario_result res;
	char why[512];
	int rc;

	if (o.clocks) {
		/* the trace again, with its clocks (outfile: whole or none) */
		struct outfile of;
		FILE *in;

		if (outfile_open(&of, o.clocks, 0666, 0, why, sizeof why))
			return cli_input_error("check", "--clocks: %s", why);
		in = fopen(path, "rb");
		if (!in) {
			outfile_abort(&of);
			return cli_input_error("check", "cannot read '%s': %s",
					       path, strerror(errno));
		}
		rc = trace_read_clocks(in, path, &tr, of.f, why, sizeof why);
		fclose(in);
		if (rc) {
			outfile_abort(&of);
			trace_read_free(&tr);
			return cli_input_error(
			    "check", "%s",
			    rc == BYZ_ENOMEM ? "out of memory" : why);
		}
		if (outfile_commit(&of, why, sizeof why)) {
			trace_read_free(&tr);
			fprintf(stderr, "byzlab check: error: %s\n", why);
			return EXIT_INCOMPLETE;
		}
	} else {
		rc = trace_read_file(path, &tr, why, sizeof why);
	}
	if (rc) {
		trace_read_free(&tr);
		return cli_input_error(
		    "check", "%s", rc == BYZ_ENOMEM ? "out of memory" : why);
	}
	if (o.byzantine) {
		struct scenario sc;

		scenario_defaults(&sc);
		sc.n = tr.log.n;
		if (scenario_set(&sc, "byzantine", o.byzantine, why,
				 sizeof why)) {
			trace_read_free(&tr);
			return cli_usage_error("check", "--%s", why);
		}
		trace_read_faulty(&tr, sc.plan.byzantine);
	} else {
		trace_read_faulty(&tr, NULL);
	}
	if (o.gst_given)
		tr.log.gst_us = o.gst_us;

	memset(&res, 0, sizeof res);
	res.sim = tr.end;
	res.no_gst = tr.no_gst && !o.gst_given;
	res.liveness_bound_us = o.bound_given ? o.bound_us : tr.bound_us;
	rc = check_run(&tr.log, verdict_mask(&res.sim, res.no_gst),
		       res.liveness_bound_us, &res.checks);
	if (rc) {
		trace_read_free(&tr);
		return cli_input_error("check", "checkers failed: %s",
				       byz_strerror(rc));
	}
	verdict_judge(&res);
	if (!tr.has_end && !res.checks.total)
		snprintf(res.why, sizeof res.why,
			 "the trace has no end line: the run did not finish"
			 " (or the trace was cut short) at t=%" PRIu64,
			 tr.end.now);
	res.counts = tr.counts;
	res.trace_lines = tr.lines;
	memcpy(res.trace_hash, tr.hash, sizeof res.trace_hash);
	if (o.json)
		check_print_json(path, &tr, &res);
	else
		check_print_people(path, &tr, &res);
	trace_read_free(&tr);
	return res.verdict == VERDICT_PASS ? EXIT_OK : EXIT_VIOLATION;
}
