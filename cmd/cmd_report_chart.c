/*
 * cmd_report_chart.c - `byzlab report chart` (report.h). Being built (#15).
 */
#include "cli.h"
#include "report.h"

#include <stdio.h>

int report_chart(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "byzlab report chart: error: not built yet (#15)\n");
	return EXIT_USAGE;
}
