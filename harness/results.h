/*
 * results.h - a campaign's results directory (docs/campaigns.md):
 * runs.jsonl (one line per finished run, each appended with a single
 * write(2)), failures/<id>.json (written atomically), the shrunk
 * counterexamples, and merging the directories of shards.
 *
 * Nothing finished is lost: a directory that has runs is continued
 * (--resume: the runs it holds are skipped, a torn last line is cut off)
 * or started again (--force: its runs and failures are removed), never
 * silently mixed with another campaign's.
 */
#ifndef BYZ_RESULTS_H
#define BYZ_RESULTS_H

#include "campaign.h"
#include "summary.h"

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

enum results_mode {
	RESULTS_NEW,	/* the directory must not have runs yet */
	RESULTS_RESUME, /* skip the runs it has */
	RESULTS_FORCE,	/* remove what it has, start again */
};

/* Who opens a results directory, and how trusting to be. */
struct results_origin {
	const char *shard; /* "K/N" of this invocation */
	/* Accept a directory whose manifest (manifest.h) names another
	 * campaign or version, or that has none (--accept-mismatch); the
	 * manifest then records the mix. */
	bool accept_mismatch;
};

/*
 * Open DIR for campaign c: create it and failures/, take its lock (*lock:
 * keep it open until the campaign ends), check what made it (manifest.h),
 * then by mode refuse a directory with runs, mark in done[] (c->nruns
 * entries, zeroed by the caller) the runs it already holds, or remove
 * them; write its manifest; then open runs.jsonl for appending into *fd.
 * 0; -1 with a sentence in why, *usage telling a usage error (a
 * directory with runs, of another campaign, locked) from bad input; -2
 * with why when its manifest could not be written (a full disk...).
 */
int results_open(const char *dir, enum results_mode mode,
		 const struct campaign *c, const struct results_origin *o,
		 bool *done, int *fd, int *lock, bool *usage, char *why,
		 size_t whylen);

/*
 * Run run number k of c (in a worker) and return its runs.jsonl line
 * (malloc'd, without the newline; NULL on allocation failure). A run that
 * broke safety or missed its expectation also gets failures/<id>.json in
 * dir; if that cannot be written the record says so in "write_error"
 * (results_append does not record it). t0 is the campaign's start
 * (monotonic seconds), for elapsed_s.
 */
char *results_run_one(const struct campaign *c, const char *dir, uint64_t k,
		      double t0);

/* The runs.jsonl line (malloc'd, no newline) of run k of c that could
 * not be carried out (its worker died twice): verdict "harness-error",
 * why, no safety or liveness verdict; the summary counts it apart from the
 * protocols' verdicts. NULL when out of memory. */
char *results_harness_error(const struct campaign *c, uint64_t k,
			    const char *why, double t0);

/* Write all of buf to fd (retrying short writes): 0 or -1. */
int results_write_all(int fd, const char *buf, size_t len);

/* What a campaign could not write: the files missing from its directory,
 * said at the end (and the exit status 3, cli.h EXIT_INCOMPLETE). */
#define RESULTS_MISSING_SHOWN 8
struct results_missing {
	const char *dir;	/* the results directory (for messages) */
	size_t n;		/* writes that failed */
	size_t runs_unrecorded; /* finished runs not in runs.jsonl */
	bool stopped;		/* appending runs.jsonl failed: no more runs */
	char what[RESULTS_MISSING_SHOWN][600]; /* the first ones */
};

/* Note one failed write (a sentence naming the file). */
void results_missing_add(struct results_missing *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Append one record line (len bytes, ending in its newline) to runs.jsonl
 * (fd, opened O_APPEND): all of it or nothing. A failed or short write is
 * cut off again (ftruncate to the length before), so no torn line is left
 * to be counted. A record whose failure file could not be written (its
 * "write_error") is not appended: --resume runs it again. 0 appended; 1
 * not recorded (noted in m; go on); -1 the append failed (noted in m,
 * m->stopped set: start no more runs).
 */
int results_append(int fd, const char *line, size_t len,
		   struct results_missing *m);

/* Shrink one failure of each protocol x n x b group of a cell that asks
 * for it (`shrink: true` with violation-found) into
 * failures/<id>.shrunk.json, unless already there, on `jobs` worker
 * processes (shrinkpool.h: the groups at once, each shrunk as the serial
 * algorithm would). A shrunk failure that could not be written, or not
 * shrunk because its worker died twice, is noted in m. *stop (a signal)
 * ends it early: the groups not finished are not written (--resume
 * shrinks them). */
void results_shrink_groups(const struct campaign *c, const char *dir,
			   json_t *records, bool quiet, int jobs,
			   volatile sig_atomic_t *stop,
			   struct results_missing *m);

/*
 * Combine the directories of shards into out (runs once each, failures
 * copied) and write its summary (totals in *t). Every input must have a
 * manifest of one campaign and version (unless accept_mismatch), and
 * together they must hold every run of it (unless partial: then
 * *missing counts what none holds, and the summary says so). 0; -1 with
 * why (bad input; *usage set for a refusal the user can override); -2
 * with why (a write failed: out is incomplete; the first failure in why,
 * each one said on stderr).
 */
int results_merge(char **dirs, int ndirs, const char *out, bool quiet,
		  bool accept_mismatch, bool partial, uint64_t *missing,
		  struct summary_totals *t, bool *usage, char *why,
		  size_t whylen);

/* Monotonic seconds. */
double results_now(void);

#endif
