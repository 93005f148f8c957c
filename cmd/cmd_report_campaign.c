/*
 * cmd_report_campaign.c - `byzlab report campaign` (report.h). Being built
 * (#15).
 */
#include "cli.h"
#include "report.h"

#include <stdio.h>

int report_campaign(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "byzlab report campaign: error: not built yet (#15)\n");
	return EXIT_USAGE;
}
