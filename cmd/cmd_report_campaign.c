/*
 * cmd_report_campaign.c - `byzlab report campaign DIR`: a campaign's (or a
 * self-test's) results directory as one self-contained HTML page
 * (harness/report_html.h; docs/reports.md).
 */
#include "chart.h"
#include "cli.h"
#include "err.h"
#include "outfile.h"
#include "report.h"
#include "report_html.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "Usage: byzlab report campaign DIR [OPTIONS]\n"
    "\n"
    "Write DIR/report.html: the results directory of a campaign (or of\n"
    "byzlab selftest) as one self-contained HTML page, with the threshold\n"
    "table, the violation rate against the number of Byzantine replicas\n"
    "for each protocol and n, runs per second, and every failure with its\n"
    "shrunk scenario, its message sequence chart and the command that\n"
    "replays it. A self-test's page lists its mutants, each linked to the\n"
    "chart of the run that caught it. The page fetches nothing: styles and\n"
    "charts are inline.\n"
    "\n"
    "Options:\n"
    "  --out FILE          write the page to FILE (default DIR/report.html)\n"
    "  --max-failures N    failures described in full (default 200)\n"
    "  --max-charts N      charts drawn among them (default 24); each is a\n"
    "                      replay of its failure in the simulator\n"
    "  -q, --quiet         no progress on stderr\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0 written; 2 bad usage, or DIR is not a results\n"
    "directory; 3 the page could not be written.\n";

static bool quiet;

int report_chart_inline(const char *failure_path, const char *id_prefix,
			FILE *out, char *why, size_t whylen)
{
	struct chart_opts co = {.id_prefix = id_prefix};

	return chart_from_failure(failure_path, &co, out, why, whylen);
}

static void progress(size_t k, size_t total)
{
	if (quiet || !isatty(STDERR_FILENO))
		return;
	fprintf(stderr,
		"\rbyzlab report campaign: drawing chart %zu of at "
		"most %zu",
		k + 1, total);
}

enum { O_OUT = 256, O_MAXF, O_MAXC };

int report_campaign(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, O_OUT},
	    {"max-failures", required_argument, NULL, O_MAXF},
	    {"max-charts", required_argument, NULL, O_MAXC},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *cmd = "report campaign", *out = NULL, *dir;
	struct report_html_opts o = {.chart = report_chart_inline,
				     .progress = progress};
	char path[OUTFILE_PATH_MAX], why[1400];
	struct stat st;
	uint64_t v;
	int opt, rc;

	quiet = false;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		case 'q':
			quiet = true;
			break;
		case O_OUT:
			out = optarg;
			break;
		case O_MAXF:
			if (cli_parse_u64(cmd, "--max-failures", optarg, 1,
					  100000, &v))
				return EXIT_USAGE;
			o.max_failures = (size_t)v;
			break;
		case O_MAXC:
			if (cli_parse_u64(cmd, "--max-charts", optarg, 1, 10000,
					  &v))
				return EXIT_USAGE;
			o.max_charts = (size_t)v;
			break;
		case ':':
			return cli_usage_error(cmd, "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error(cmd, "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, optind == argc
						? "which results directory?"
						: "one results directory only");
	dir = argv[optind];
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return cli_input_error(cmd, "'%s' is not a directory", dir);
	if (!out) {
		if ((size_t)snprintf(path, sizeof path, "%s/report.html",
				     dir) >= sizeof path)
			return cli_input_error(cmd, "'%s': path too long", dir);
		out = path;
	}
	if (outfile_check(out, why, sizeof why))
		return cli_input_error(cmd, "%s", why);
	rc = report_html_write(dir, out, &o, why, sizeof why);
	if (!quiet && isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	if (rc == BYZ_EIO) {
		fprintf(stderr, "byzlab %s: error: %s\n", cmd, why);
		return EXIT_INCOMPLETE;
	}
	if (rc) {
		fprintf(stderr, "byzlab %s: error: %s\n", cmd, why);
		return rc == BYZ_ENOMEM ? EXIT_INCOMPLETE : EXIT_USAGE;
	}
	printf("wrote %s\n", out);
	return EXIT_OK;
}
