/*
 * trace_log.c - the part of a run's record that the checkers read: client
 * submits and replica commits (trace.h, struct trace_log). The stream
 * (JSON lines and hash) is in trace.c.
 */
#include "trace.h"

#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_LOG_FIRST_CAP 64

void trace_log_init(struct trace_log *log, uint32_t n, uint32_t f)
{
	memset(log, 0, sizeof *log);
	log->n = n;
	log->f = f;
}

void trace_log_free(struct trace_log *log)
{
	free(log->submits);
	free(log->commits);
	free(log->first);
	free(log->faults);
	free(log->views);
	free(log->causal);
	log->causal = NULL;
	log->ncausal = log->cap_causal = 0;
	log->causal_more = 0;
	log->views = NULL;
	log->nviews = log->cap_views = 0;
	log->faults = NULL;
	log->nfaults = log->cap_faults = 0;
	log->submits = NULL;
	log->commits = NULL;
	log->first = NULL;
	log->nfirst = 0;
	log->nsubmits = log->cap_submits = 0;
	log->ncommits = log->cap_commits = 0;
}

/*
 * Make room for one more element of size elem in the array *p holding
 * *len of *cap. The capacity doubles, so appending k elements costs O(k).
 * On failure *p, *cap are unchanged.
 */
static int trace_log_grow(void **p, size_t *cap, size_t len, size_t elem)
{
	size_t ncap;
	void *np;

	if (len < *cap)
		return 0;
	if (*cap == 0)
		ncap = TRACE_LOG_FIRST_CAP;
	else if (*cap > SIZE_MAX / 2 / elem)
		return BYZ_ENOMEM;
	else
		ncap = *cap * 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return BYZ_ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

int trace_log_add_submit(struct trace_log *log, const struct trace_submit *s)
{
	void *p = log->submits;
	int rc;

	rc = trace_log_grow(&p, &log->cap_submits, log->nsubmits, sizeof *s);
	log->submits = p;
	if (rc)
		return rc;
	log->submits[log->nsubmits++] = *s;
	return 0;
}

/* The online half of the agreement checker (check.c does the full one). */
static int watch_commit(struct trace_log *log, const struct trace_commit *c)
{
	uint64_t h = c->c.height;
	struct trace_first *e;

	if (c->c.restored || log->byzantine[c->replica] || h == 0 ||
	    h > SIZE_MAX / 2 / sizeof *log->first)
		return 0;
	if (h >= log->nfirst) {
		size_t n = log->nfirst ? log->nfirst : TRACE_LOG_FIRST_CAP;
		struct trace_first *np;
		while (n <= h)
			n *= 2;
		np = realloc(log->first, n * sizeof *np);
		if (!np)
			return BYZ_ENOMEM;
		memset(np + log->nfirst, 0, (n - log->nfirst) * sizeof *np);
		log->first = np;
		log->nfirst = n;
	}
	e = &log->first[h];
	if (!e->set) {
		e->set = true;
		e->client = c->c.client;
		e->timestamp = c->c.timestamp;
	} else if ((e->client != c->c.client ||
		    e->timestamp != c->c.timestamp) &&
		   !log->conflict) {
		log->conflict = true;
		log->conflict_us = c->t;
	}
	return 0;
}

int trace_log_add_commit(struct trace_log *log, const struct trace_commit *c)
{
	void *p = log->commits;
	int rc;

	if (c->replica >= log->n)
		return 0;
	if ((rc = watch_commit(log, c)))
		return rc;
	rc = trace_log_grow(&p, &log->cap_commits, log->ncommits, sizeof *c);
	log->commits = p;
	if (rc)
		return rc;
	log->commits[log->ncommits++] = *c;
	return 0;
}

const char *trace_rule_name(enum trace_rule rule)
{
	static const char *const names[TRACE_RULE_COUNT] = {
	    [TRACE_RULE_VOTE_ONCE] = "vote-once",
	    [TRACE_RULE_CERTIFICATE] = "certificates",
	    [TRACE_RULE_NEW_VIEW] = "new-view",
	    [TRACE_RULE_LOCK] = "lock",
	    [TRACE_RULE_DECIDE] = "decide",
	};
	return (unsigned)rule < TRACE_RULE_COUNT ? names[rule] : NULL;
}

int trace_log_add_view(struct trace_log *log, const struct trace_view *v)
{
	if (v->replica >= log->n)
		return 0;
	if (trace_log_grow((void **)&log->views, &log->cap_views, log->nviews,
			   sizeof *v))
		return BYZ_ENOMEM;
	log->views[log->nviews++] = *v;
	return 0;
}

int trace_log_add_fault(struct trace_log *log, const struct trace_fault *f)
{
	if (trace_log_grow((void **)&log->faults, &log->cap_faults,
			   log->nfaults, sizeof *f))
		return BYZ_ENOMEM;
	log->faults[log->nfaults++] = *f;
	return 0;
}

int trace_log_add_causal(struct trace_log *log, const struct trace_causal *v)
{
	if (log->ncausal == TRACE_CAUSAL_KEEP) {
		log->causal_more++;
		return 0;
	}
	if (trace_log_grow((void **)&log->causal, &log->cap_causal,
			   log->ncausal, sizeof *v))
		return BYZ_ENOMEM;
	log->causal[log->ncausal++] = *v;
	return 0;
}
