/*
 * cmd_shrink.c - `byzlab shrink FAILURE.json`: minimise a saved failure
 * and write the smaller one (shrink.h).
 */
#include "cli.h"
#include "failure.h"
#include "outfile.h"
#include "scenario_io.h"
#include "shrink.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

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
    "\n"
    "  -o, --out FILE   where to write it (default FAILURE.shrunk.json);\n"
    "                   replaced atomically if it is a regular file; a\n"
    "                   FIFO, device, socket, directory or symbolic link\n"
    "                   is refused\n"
    "  -q, --quiet      do not list the candidates tried\n"
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0 written; 1 the failure does not fail when run again;\n"
    "2 bad usage or input (an output that is not a regular file); 3 the\n"
    "shrunk failure could not be written (e.g. the disk is full: nothing\n"
    "is left at FILE, nor a temporary file).\n";

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

int cmd_shrink(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out_path = NULL;
	char def_out[1100], why[512];
	bool quiet = false;
	static struct shrink_result sr;
	int opt, rc;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:q", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(shrink_usage, stdout);
			return EXIT_OK;
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
	/* Refuse a target that is not a regular file before the work. */
	if (outfile_check(out_path, why, sizeof why))
		return cli_usage_error("shrink", "-o: %s", why);
	printf("shrinking %s\n", argv[optind]);
	rc = failure_shrink(argv[optind], out_path, quiet ? NULL : stdout, &sr,
			    why, sizeof why);
	if (rc == 1) {
		fprintf(stderr, "byzlab shrink: %s; nothing to shrink\n", why);
		return EXIT_VIOLATION;
	}
	if (rc == 2) {
		fprintf(stderr, "byzlab shrink: error: %s; nothing written\n",
			why);
		return EXIT_INCOMPLETE;
	}
	if (rc)
		return cli_input_error("shrink", "%s", why);
	printf("shrunk in %u tries (%u kept) -> %s\n", sr.tries, sr.kept,
	       out_path);
	describe(&sr);
	return EXIT_OK;
}
