/*
 * workers.h - the worker pool of a campaign: J forked processes, each
 * running the run numbers the parent hands it one at a time and answering
 * with the run's record line; the parent appends every line to runs.jsonl
 * as soon as it arrives and draws the progress bar.
 */
#ifndef BYZ_WORKERS_H
#define BYZ_WORKERS_H

#include "campaign.h"
#include "results.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define WORKERS_MAX 64

/* The progress bar's state: what is done, and how it went. */
struct progress {
	uint64_t total, done, unsafe, unexpected;
	double t0, last;
	bool tty, quiet;
	/* Stop at the first run that misses its expectation (selftest),
	 * and when it came (seconds after t0) and which it was. */
	bool stop_at_unexpected;
	double first_unexpected_s;
	char first_unexpected[160];
	/* Writes that failed (failure files, runs.jsonl appends). */
	struct results_missing missing;
};

/* Draw the bar (at most 4 times a second on a terminal, every 10 s
 * otherwise; always when final). */
void progress_show(struct progress *p, bool final);

/*
 * Run the runs todo[0..ntodo) of c on `jobs` workers; append each record
 * line to fd (results_append). Stops early when *stop becomes non-zero (a
 * signal), or when appending to runs.jsonl failed (p->missing.stopped),
 * ending the workers. Returns 0, or -1 if a run was lost (a worker died, a
 * write failed: p->missing says which): the others go on, and --resume
 * runs the lost ones again.
 */
int workers_run(const struct campaign *c, const char *dir, int fd,
		const uint64_t *todo, uint64_t ntodo, int jobs,
		struct progress *p, volatile sig_atomic_t *stop);

#endif
