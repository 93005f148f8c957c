/*
 * cmd_report_complexity.c - `byzlab report complexity` (report.h). Being built
 * (#15).
 */
#include "cli.h"
#include "report.h"

#include <stdio.h>

int report_complexity(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr,
		"byzlab report complexity: error: not built yet (#15)\n");
	return EXIT_USAGE;
}
