/*
 * summary.h - a campaign's results directory read back: runs.jsonl into
 * records, the threshold table (protocol × n × Byzantine count b against
 * the share of runs that broke safety or liveness, with the expectation
 * and whether it held), summary.md, and the shrunk counterexamples.
 */
#ifndef BYZ_SUMMARY_H
#define BYZ_SUMMARY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Read DIR/runs.jsonl: an array of run records, one per id (a later line
 * for an id replaces an earlier one). A last line cut short by an
 * interruption is ignored (and counted in *torn). 0 or -1 with why. */
int summary_load_runs(const char *dir, json_t **records, size_t *torn,
		      char *why, size_t whylen);

/* Whether a record is of a run without a verdict (the harness could not
 * carry it out, or it hit its wall-clock limit): counted apart, in no
 * group of the threshold table. */
bool summary_no_verdict(const json_t *record);

/* An expectation's text ("safe+live", "violation-found") as bits. */
#define SUMMARY_EXPECT_SAFE	 1u
#define SUMMARY_EXPECT_LIVE	 2u
#define SUMMARY_EXPECT_VIOLATION 4u
#define SUMMARY_EXPECT_TIMELY	 8u
unsigned summary_expect_bits(const char *s);

/* Whether a group of runs met its expectation, as the threshold table
 * judges it: no run in error or missing its own expectation, none unsafe
 * if safe is expected, none not live if live is, at least one unsafe if a
 * violation is expected. The one rule summary.md and JUnit (junit.h) use. */
bool summary_met(unsigned expect, size_t errors, size_t unexpected,
		 size_t unsafe, size_t not_live);

/* A group of the threshold table: the runs of one protocol, n and b. */
struct summary_group {
	char protocol[16];
	int64_t n, f, b;
	size_t runs, unsafe, not_live, judged, errors, unexpected;
	unsigned expect;	  /* SUMMARY_EXPECT_* bits */
	double first_violation_s; /* campaign wall time of the first; -1 */
	int64_t min_violation_us;
	char first_id[160];
};

#define SUMMARY_MAX_GROUPS 512

/* The threshold table's groups of records (runs without a verdict are in
 * none), sorted by protocol, n and b, into g (at most cap). */
size_t summary_groups(json_t *records, struct summary_group *g, size_t cap);
bool summary_group_met(const struct summary_group *g);
/* Expectation bits as text ("safe+live+timely"). */
void summary_expect_str(unsigned e, char *out, size_t cap);
/* The (cell, protocol, n, b) that expected violation-found and found
 * none, as strings "CELL PROTOCOL n=N b=B" (a new array; NULL if out of
 * memory): each fails the campaign. */
json_t *summary_cells_without_violation(json_t *records);

struct summary_totals {
	size_t runs, unsafe, not_live, errors, unexpected_runs;
	size_t harness_errors, wall_limited; /* runs without a verdict */
	size_t groups, groups_failed;
	bool all_met;
	/* "" when summary.md was written, else why not (naming it). */
	char write_error[1400];
};

/* Write DIR/summary.md for records and print the threshold table to out
 * (for people). title names the campaign; note is one line about the run
 * (duration, jobs, shard, interrupted). Returns the totals; summary.md is
 * written atomically, and t.write_error says why if it could not be. */
struct summary_totals summary_write(const char *dir, const char *title,
				    const char *note, json_t *records,
				    FILE *out);

#endif
