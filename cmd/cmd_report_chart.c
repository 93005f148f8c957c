/*
 * cmd_report_chart.c - `byzlab report chart FILE`: a run as a message
 * sequence chart, SVG (report.h; harness/chart.h; docs/reports.md).
 */
#include "chart.h"
#include "cli.h"
#include "err.h"
#include "outfile.h"
#include "report.h"

#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "report chart";

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: byzlab report chart FILE [OPTIONS]\n"
	    "\n"
	    "Draw a run as a message sequence chart (SVG): replicas, their\n"
	    "twin instances and clients as lanes, virtual time down the\n"
	    "page, messages as arrows labelled by type (and view and\n"
	    "sequence when the frames are known), drops (X), rejections\n"
	    "at ingress (bar), tampered, re-signed and injected frames,\n"
	    "commits (the conflicting ones of an agreement violation in\n"
	    "red), view entries, timers, crashes and restarts; Byzantine\n"
	    "lanes shaded. A long run is windowed around its first\n"
	    "violation; the header says what is shown (docs/reports.md).\n"
	    "\n"
	    "FILE is told by its content:\n"
	    "  a failure file (failures/ID.json of a campaign, or a shrunk\n"
	    "  one): its scenario is replayed in the simulator, and the\n"
	    "  labels carry view and sequence;\n"
	    "  a trace (JSON Lines, byzlab run --trace): drawn from its\n"
	    "  lines alone (message types only).\n"
	    "\n"
	    "Options:\n"
	    "  -o, --out SVG       where to write it (default FILE with its\n"
	    "                      extension replaced by .svg; - for stdout)\n"
	    "  --max-arrows N      at most N messages drawn, 1..%u\n"
	    "                      (default %u)\n"
	    "  --after N           of those, at most N after the violation\n"
	    "                      (default a tenth of --max-arrows, at\n"
	    "                      least 5)\n"
	    "  --id-prefix P       prefix of the SVG's ids (default c), for\n"
	    "                      several charts in one HTML page\n"
	    "  --title T           the chart's title (default the failure's\n"
	    "                      id or the trace's file name)\n"
	    "  -h, --help          this help\n"
	    "\n"
	    "Exit status: 0 written; 2 bad usage or input (the message\n"
	    "names the file, line or field); 3 the chart could not be\n"
	    "written.\n"
	    "\n"
	    "Examples:\n"
	    "  byzlab report chart results/ci/failures/ID.shrunk.json\n"
	    "  byzlab report chart run.jsonl --out - --max-arrows 100\n",
	    CHART_MAX_ARROWS, CHART_DEFAULT_ARROWS);
}

/* FILE with its extension (after the last '.' of its last part) replaced
 * by .svg. */
static void default_out(const char *in, char *out, size_t cap)
{
	const char *slash = strrchr(in, '/');
	const char *dot = strrchr(slash ? slash : in, '.');
	size_t len = dot && dot != (slash ? slash + 1 : in) ? (size_t)(dot - in)
							    : strlen(in);

	snprintf(out, cap, "%.*s.svg", (int)len, in);
}

/* Draw the chart of in into out; the exit code. */
static int write_chart(struct outfile *of, enum chart_input kind,
		       const char *in, const char *out,
		       const struct chart_opts *o, char *why, size_t whylen)
{
	int rc;

	if (outfile_open(of, out, 0644, 0, why, whylen)) {
		fprintf(stderr, "byzlab %s: error: %s\n", CMD, why);
		return EXIT_INCOMPLETE;
	}
	rc = kind == CHART_FAILURE
		 ? chart_from_failure(in, o, of->f, why, whylen)
		 : chart_from_trace(in, o, of->f, why, whylen);
	if (rc) {
		outfile_abort(of);
		if (rc == BYZ_EINVAL)
			return cli_input_error(CMD, "%s", why);
		fprintf(stderr, "byzlab %s: error: %s\n", CMD, why);
		return EXIT_INCOMPLETE;
	}
	if (outfile_commit(of, why, whylen)) {
		fprintf(stderr, "byzlab %s: error: %s\n", CMD, why);
		return EXIT_INCOMPLETE;
	}
	return EXIT_OK;
}

int report_chart(int argc, char **argv)
{
	struct chart_opts o = {0};
	const char *in = NULL, *out = NULL;
	char def[OUTFILE_PATH_MAX], why[OUTFILE_PATH_MAX + 600];
	enum chart_input kind;
	uint64_t v;
	int rc, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(a, "-o") || !strcmp(a, "--out") ||
		    !strcmp(a, "--max-arrows") || !strcmp(a, "--after") ||
		    !strcmp(a, "--id-prefix") || !strcmp(a, "--title")) {
			if (i + 1 >= argc)
				return cli_usage_error(CMD, "%s needs a value",
						       a);
			const char *val = argv[++i];
			if (!strcmp(a, "-o") || !strcmp(a, "--out")) {
				out = val;
			} else if (!strcmp(a, "--max-arrows")) {
				if (cli_parse_u64(CMD, a, val, 1,
						  CHART_MAX_ARROWS, &v))
					return EXIT_USAGE;
				o.max_arrows = (uint32_t)v;
			} else if (!strcmp(a, "--after")) {
				if (cli_parse_u64(CMD, a, val, 1,
						  CHART_MAX_ARROWS, &v))
					return EXIT_USAGE;
				o.after_arrows = (uint32_t)v;
			} else if (!strcmp(a, "--id-prefix")) {
				if (!*val || strlen(val) > 40)
					return cli_usage_error(
					    CMD,
					    "--id-prefix: '%.60s' must be 1 to "
					    "40 characters",
					    val);
				o.id_prefix = val;
			} else {
				o.title = val;
			}
			continue;
		}
		if (a[0] == '-' && a[1])
			return cli_usage_error(CMD, "unknown option '%s'", a);
		if (in)
			return cli_usage_error(
			    CMD, "one FILE only ('%s' and '%s')", in, a);
		in = a;
	}
	if (!in)
		return cli_usage_error(CMD, "FILE is missing (a failure file "
					    "or a trace)");
	if (o.after_arrows && o.max_arrows && o.after_arrows > o.max_arrows)
		return cli_usage_error(
		    CMD, "--after %u is more than --max-arrows %u",
		    o.after_arrows, o.max_arrows);
	if (chart_input_kind(in, &kind, why, sizeof why))
		return cli_input_error(CMD, "%s", why);
	if (!out) {
		default_out(in, def, sizeof def);
		out = def;
	}
	if (!strcmp(out, "-")) {
		rc = kind == CHART_FAILURE
			 ? chart_from_failure(in, &o, stdout, why, sizeof why)
			 : chart_from_trace(in, &o, stdout, why, sizeof why);
		if (rc == BYZ_EINVAL)
			return cli_input_error(CMD, "%s", why);
		if (rc || fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "byzlab %s: error: %s\n", CMD,
				rc ? why : "cannot write to stdout");
			return EXIT_INCOMPLETE;
		}
		return EXIT_OK;
	}
	{
		/* SIGINT, SIGTERM and SIGHUP wait until the chart is written
		 * or given up, so that an interrupt
		 * leaves no temporary file (outfile.h) */
		struct outfile of;
		sigset_t stop, old;
		sigemptyset(&stop);
		sigaddset(&stop, SIGINT);
		sigaddset(&stop, SIGTERM);
		sigaddset(&stop, SIGHUP);
		sigprocmask(SIG_BLOCK, &stop, &old);
		rc = write_chart(&of, kind, in, out, &o, why, sizeof why);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (rc)
			return rc;
	}
	fprintf(stderr, "chart written to %s\n", out);
	return EXIT_OK;
}
