/*
 * cmd_report.c - `byzlab report KIND ...`: dispatch to one kind of report
 * (report.h). Each kind has its own options and --help.
 */
#include "cli.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} kinds[] = {
    {"complexity", report_complexity,
     "messages, bytes, signatures per decision against n"},
    {"chart", report_chart, "a run as a message sequence chart (SVG)"},
    {"campaign", report_campaign,
     "a campaign's results directory as one HTML page"},
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

static void report_usage(FILE *out)
{
	fprintf(out, "Usage: byzlab report KIND [OPTIONS]\n"
		     "\n"
		     "Reports for people to look at.\n"
		     "\n"
		     "Kinds:\n");
	for (size_t i = 0; i < NKINDS; i++)
		fprintf(out, "  %-11s %s\n", kinds[i].name, kinds[i].summary);
	fprintf(out,
		"\nRun 'byzlab report KIND --help' for a kind's options.\n"
		"Exit status: 0 written; 1 a run the report made failed;\n"
		"2 bad usage or input; 3 an output could not be written.\n");
}

int cmd_report(int argc, char **argv)
{
	if (argc < 2) {
		report_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		report_usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < NKINDS; i++)
		if (!strcmp(argv[1], kinds[i].name))
			return kinds[i].run(argc - 1, argv + 1);
	return cli_usage_error("report",
			       "unknown report '%s' (complexity, chart or "
			       "campaign)",
			       argv[1]);
}
