/*
 * cmd_replay.c - `byzlab replay FAILURE.json`: run a saved failure again
 * and check that it gives the same verdict and the same trace hash.
 */
#include "cli.h"
#include "failure.h"
#include "outfile.h"
#include "scenario.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char replay_usage[] =
    "Usage: byzlab replay [OPTIONS] FAILURE.json...\n"
    "\n"
    "Run each saved failure (a campaign's failures/<id>.json, or what\n"
    "`byzlab shrink` wrote) again in the simulator and check that it gives\n"
    "the same verdict, the same safety result and the same trace hash.\n"
    "\n"
    "  --trace PATH   write the replayed run's trace as JSON Lines to PATH;\n"
    "                 if PATH is a directory (or ends in '/': made if\n"
    "                 missing), each failure's trace to\n"
    "                 PATH/<id>.jsonl (judge it with `byzlab check`)\n"
    "  -q, --quiet    print only mismatches\n"
    "  -h, --help     this help\n"
    "\n"
    "Exit status: 0 every failure reproduced exactly; 1 one did not;\n"
    "2 bad usage or a file that is not a failure (or a --trace file that\n"
    "cannot be created or is not a regular file); 3 a trace could not be\n"
    "written (a full disk...; nothing is left at its name).\n";

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"trace", required_argument, NULL, 't'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *trace_path = NULL;
	bool quiet = false, trace_dir = false;
	struct stat st;
	int opt, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(replay_usage, stdout);
			return EXIT_OK;
		case 't':
			trace_path = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case ':':
			return cli_usage_error("replay", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("replay", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("replay", "no failure file given");
	/* PATH/ names a directory, made if missing. */
	if (trace_path && *trace_path &&
	    trace_path[strlen(trace_path) - 1] == '/' &&
	    mkdir(trace_path, 0777) && errno != EEXIST)
		return cli_input_error("replay",
				       "--trace: cannot make '%s': %s",
				       trace_path, strerror(errno));
	trace_dir = trace_path && !stat(trace_path, &st) && S_ISDIR(st.st_mode);
	if (trace_path && !trace_dir && argc - optind > 1)
		return cli_usage_error("replay",
				       "--trace FILE takes one failure"
				       " file (give a directory for several)");
	for (int i = optind; i < argc; i++) {
		struct failure fl;
		struct scenario_result res;
		char why[512];
		char tpath[4096];
		FILE *tf = NULL;
		static struct outfile trace_out;
		bool same;

		if (failure_read(argv[i], &fl, NULL, why, sizeof why))
			return cli_input_error("replay", "%s", why);
		if (trace_dir &&
		    (!fl.id[0] || fl.id[0] == '.' || strchr(fl.id, '/')))
			return cli_input_error("replay",
					       "%s: the id '%s' cannot"
					       " name a trace file",
					       argv[i], fl.id);
		if (trace_dir)
			snprintf(tpath, sizeof tpath, "%s/%s.jsonl", trace_path,
				 fl.id);
		else if (trace_path)
			snprintf(tpath, sizeof tpath, "%s", trace_path);
		if (trace_path) {
			if (outfile_open(&trace_out, tpath, 0666, 0, why,
					 sizeof why))
				return cli_input_error("replay", "--trace: %s",
						       why);
			tf = trace_out.f;
		}
		scenario_run(&fl.sc, tf, &res);
		if (tf) {
			if (res.trace_errno)
				outfile_fail(&trace_out, res.trace_errno);
			if (outfile_commit(&trace_out, why, sizeof why)) {
				fprintf(stderr,
					"byzlab replay: error: --trace: %s; no "
					"trace written\n",
					why);
				return EXIT_INCOMPLETE;
			}
		}
		same = !strcmp(verdict_name(res.verdict), fl.verdict) &&
		       res.safe == fl.safe &&
		       !strcmp(res.trace_hash, fl.trace_hash);
		if (!same) {
			status = EXIT_VIOLATION;
			printf(
			    "NOT REPRODUCED  %s\n  saved    %s safe=%s trace "
			    "%s\n"
			    "  replayed %s safe=%s trace %s\n  why      %s\n",
			    fl.id, fl.verdict, fl.safe ? "yes" : "no",
			    fl.trace_hash, verdict_name(res.verdict),
			    res.safe ? "yes" : "no", res.trace_hash, res.why);
		} else if (!quiet) {
			printf("reproduced  %s  %s%s  trace %s\n  why  %s\n",
			       fl.id, verdict_name(res.verdict),
			       res.safe ? "" : " (safety violated)",
			       res.trace_hash, res.why[0] ? res.why : "-");
		}
	}
	return status;
}
