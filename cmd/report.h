/*
 * report.h - the reports of `byzlab report` (cmd_report.c dispatches):
 * message complexity against the papers' formulas, message sequence charts
 * of runs, and a campaign's report page. Each takes argv with argv[0] its
 * own name ("complexity", "chart", "campaign") and returns the exit code.
 */
#ifndef BYZ_CMD_REPORT_H
#define BYZ_CMD_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* cmd_report_complexity.c */
int report_complexity(int argc, char **argv);
/* cmd_report_chart.c */
int report_chart(int argc, char **argv);
/* cmd_report_campaign.c */
int report_campaign(int argc, char **argv);

/* The chart of a failure file as one inline <svg> whose ids begin with
 * id_prefix (cmd_report_campaign.c): what the report page draws
 * (report_html.h, struct report_html_opts.chart). */
int report_chart_inline(const char *failure_path, const char *id_prefix,
			FILE *out, char *why, size_t whylen);

#endif
