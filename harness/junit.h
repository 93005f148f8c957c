/*
 * junit.h - a campaign's results as JUnit XML (`byzlab campaign --junit
 * FILE`), so that CI systems show campaigns as tests.
 *
 * One <testsuite> per cell. In it, a <testcase> per (protocol, n, b) of the
 * cell, judged as the threshold table judges a group (summary.h): a
 * <failure> when the expectation did not hold, an <error> when runs had no
 * verdict; and a <testcase> per run with a failure file, which fails when
 * that run missed its expectation and passes when its violation was
 * expected, with the reason and the replay command in <system-out>.
 */
#ifndef BYZ_JUNIT_H
#define BYZ_JUNIT_H

#include <jansson.h>
#include <stddef.h>

/* Write the report of records (summary_load_runs) of the campaign named
 * campaign, whose results directory is dir, to path (atomically, a
 * regular file only: lib/outfile.h). 0, or -1 with why naming path. */
int junit_write(const char *path, const char *dir, const char *campaign,
		json_t *records, char *why, size_t whylen);

#endif
