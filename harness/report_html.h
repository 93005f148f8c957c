/*
 * report_html.h - a campaign's results directory as one self-contained
 * HTML page (`byzlab report campaign`; docs/reports.md): the threshold
 * table, the violation rate against b for each protocol and n, runs per
 * second, and every failure with its shrunk scenario, its message sequence
 * chart and the command that replays it. A self-test's directory (its
 * selftest.json) becomes a page of its mutants, each linked to the chart of
 * the run that caught it.
 *
 * Self-contained: styles and charts inline, no script, and a Content
 * Security Policy that lets the page fetch nothing (a browser refuses, and
 * says so on its console, anything that would).
 */
#ifndef BYZ_REPORT_HTML_H
#define BYZ_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

struct report_html_opts {
	size_t max_failures; /* failures described in full (0: 200) */
	size_t max_charts;   /* charts drawn among them (0: 24) */
	/* Draw the chart of a failure file into out as one inline <svg>
	 * element whose ids all begin with id_prefix; 0, or an error code
	 * with why. NULL: only a chart the campaign left beside the failure
	 * (NAME.svg) is shown. */
	int (*chart)(const char *failure_path, const char *id_prefix, FILE *out,
		     char *why, size_t whylen);
	/* Called before each chart is drawn (k of total), for progress. */
	void (*progress)(size_t k, size_t total);
};

/*
 * Write the page of the results directory dir to out_path (atomically;
 * lib/outfile.h). Returns 0; BYZ_EINVAL when dir holds neither runs.jsonl
 * nor selftest.json or they cannot be read (why names the file and what is
 * wrong); BYZ_EIO when out_path cannot be written (why names it);
 * BYZ_ENOMEM.
 */
int report_html_write(const char *dir, const char *out_path,
		      const struct report_html_opts *o, char *why,
		      size_t whylen);

#endif
