/*
 * shrinkpool.h - shrinking on J worker processes: the candidates of one
 * or more shrinkers (shrink.h) run on a pool of forked workers, each
 * shrinker's result exactly that of the serial algorithm whatever J is.
 *
 * Up to 4 J shrinkers (one per failure group; at most 64) are under way
 * at once; an idle worker gets a candidate of the shrinker with the
 * fewest out, so
 * with many groups each runs about one candidate at a time (nothing run
 * in vain), and with fewer groups than workers a shrinker runs its next
 * candidates ahead (shrink.h: those after a kept one are thrown away; a
 * worker still running one is killed and replaced, so it is free at
 * once).
 *
 * A worker that dies (killed, out of memory) is replaced by a new one and
 * its candidate is run once more; if that worker dies too, its shrinker
 * ends as lost (no shrunk failure) and the others go on. *stop (a signal)
 * ends every worker: each is sent SIGTERM and reaped.
 *
 * The test hook BYZLAB_TEST_KILL_SHRINK_WORKER=K kills the worker that
 * starts the K-th candidate the pool hands out (1, 2, ...: the rerun of a
 * failure included), at every attempt; K@A only at attempt A (1 or 2).
 */
#ifndef BYZ_SHRINKPOOL_H
#define BYZ_SHRINKPOOL_H

#include "shrink.h"
#include "workers.h"

#include <signal.h>
#include <stdint.h>

/* How the pool went, for people (and the tests that the work was shared). */
struct shrinkpool_stats {
	unsigned workers;		  /* processes started at first */
	uint64_t handed;		  /* candidate runs handed out */
	uint64_t per_worker[WORKERS_MAX]; /* results by worker place */
	double cpu[WORKERS_MAX];	  /* CPU seconds by worker place (the
					   * processes reaped there) */
	uint64_t thrown;    /* candidates whose result was not used (run
			     * ahead of a kept one, or of an ended shrinker) */
	uint64_t cancelled; /* of them, runs ended (worker killed and
			     * replaced) once no shrinker wanted them */
	unsigned max_busy;  /* most workers running at once */
	unsigned deaths;    /* workers that died */
};

enum shrinkpool_end {
	SHRINKPOOL_ENDED,   /* shrinker_done (how: its phase) */
	SHRINKPOOL_LOST,    /* a worker died twice on one of its candidates,
			     * or no worker is left: why says which */
	SHRINKPOOL_STOPPED, /* *stop */
};

/* The window of a shrinker run on J workers (shrinker_init): it may run
 * up to 2 J candidates ahead, so that while one long run goes on the
 * other workers need not wait. The pool holds at most 2 J candidates in
 * all (each a scenario and its result, about 34 KB). */
#define SHRINKPOOL_WINDOW(j)                                                   \
	((j)*2 > SHRINK_WINDOW_MAX ? SHRINK_WINDOW_MAX : (j)*2)

/* Where the shrinkers come from and go to. */
struct shrinkpool_src {
	void *ctx;
	/* The next shrinker (shrinker_init'ed), or NULL when none is left. */
	struct shrinker *(*take)(void *ctx);
	/* k is over, how (why: a sentence when SHRINKPOOL_LOST); the pool
	 * does not touch k after this. */
	void (*ended)(void *ctx, struct shrinker *k, enum shrinkpool_end how,
		      const char *why);
};

/* Run every shrinker src gives to its end on `jobs` worker processes
 * (1 to WORKERS_MAX); stats into st if not NULL. 0; -1 stopped by *stop
 * (stop may be NULL); -2 no worker could be started (why in errno; the
 * shrinkers taken end as lost). Every worker is reaped before it
 * returns. */
int shrinkpool_run(const struct shrinkpool_src *src, int jobs,
		   volatile sig_atomic_t *stop, struct shrinkpool_stats *st);

/* The stats in words: "N candidate runs on J worker processes (a, b;
 * CPU-s x, y), at most M at once; T thrown away (C of them cut short)". */
void shrinkpool_describe(const struct shrinkpool_stats *st, char *buf,
			 size_t cap);

#endif
