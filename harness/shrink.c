/*
 * shrink.c - minimising a failing scenario (shrink.h).
 */
#include "shrink.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum shrink_kind shrink_kind_of(const struct scenario_result *res)
{
	if (!res->safe)
		return SHRINK_UNSAFE;
	if (res->verdict == VERDICT_PASS && res->live_judged && !res->timely)
		return SHRINK_UNTIMELY;
	return SHRINK_FAIL;
}

bool shrink_still_fails(const struct scenario_result *res,
			enum shrink_kind kind)
{
	if (res->verdict == VERDICT_ERROR)
		return false;
	switch (kind) {
	case SHRINK_UNSAFE:
		return !res->safe;
	case SHRINK_UNTIMELY:
		return res->live_judged && !res->timely;
	default:
		return res->verdict == VERDICT_FAIL;
	}
}

struct shrinker {
	struct shrink_result *out;
	enum shrink_kind kind;
	FILE *progress;
};

static void note_step(struct shrinker *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note_step(struct shrinker *k, const char *fmt, ...)
{
	char one[256];
	size_t len = strlen(k->out->steps);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(one, sizeof one, fmt, ap);
	va_end(ap);
	if (len + strlen(one) + 3 < sizeof k->out->steps)
		snprintf(k->out->steps + len, sizeof k->out->steps - len,
			 "%s%s", len ? "; " : "", one);
}

/* Run a candidate; keep it if it still fails. */
static bool try_candidate(struct shrinker *k, const struct scenario *cand,
			  const char *what)
{
	struct scenario_result r;
	bool keep;

	if (k->out->tries >= SHRINK_MAX_TRIES)
		return false;
	k->out->tries++;
	if (scenario_run(cand, NULL, &r) && r.verdict == VERDICT_ERROR) {
		if (k->progress)
			fprintf(k->progress,
				"  try %3u: %s: not a valid scenario (%s)\n",
				k->out->tries, what, r.why);
		return false;
	}
	keep = shrink_still_fails(&r, k->kind);
	if (k->progress)
		fprintf(k->progress, "  try %3u: %s: %s\n", k->out->tries, what,
			keep ? "still fails, kept" : "passes, undone");
	if (keep) {
		k->out->sc = *cand;
		k->out->res = r;
		k->out->kept++;
		note_step(k, "%s", what);
	}
	return keep;
}

static void remove_attack(struct scenario *sc, size_t i)
{
	memmove(&sc->plan.a[i], &sc->plan.a[i + 1],
		(sc->plan.count - i - 1) * sizeof sc->plan.a[0]);
	sc->plan.count--;
}

/* One pass over every kind of candidate; whether anything was kept. */
static bool pass(struct shrinker *k)
{
	bool any = false;
	char what[700], text[600];

	/* whole attacks, last first */
	for (size_t i = k->out->sc.plan.count; i-- > 0;) {
		struct scenario cand = k->out->sc;
		attack_format(&cand.plan.a[i], text, sizeof text);
		remove_attack(&cand, i);
		snprintf(what, sizeof what, "dropped attack %s", text);
		any |= try_candidate(k, &cand, what);
	}
	/* crashes */
	for (size_t i = k->out->sc.ncrashes; i-- > 0;) {
		struct scenario cand = k->out->sc;
		memmove(&cand.crashes[i], &cand.crashes[i + 1],
			(cand.ncrashes - i - 1) * sizeof cand.crashes[0]);
		cand.ncrashes--;
		snprintf(what, sizeof what, "dropped crash of replica %" PRIu32,
			 k->out->sc.crashes[i].replica);
		any |= try_candidate(k, &cand, what);
	}
	/* Byzantine replicas (the adversary refuses plans that need them) */
	for (uint32_t r = k->out->sc.n; r-- > 0;) {
		struct scenario cand = k->out->sc;
		if (!cand.plan.byzantine[r])
			continue;
		cand.plan.byzantine[r] = false;
		snprintf(what, sizeof what, "replica %" PRIu32 " honest", r);
		any |= try_candidate(k, &cand, what);
	}
	/* the workload */
	if (k->out->sc.clients > 1) {
		struct scenario cand = k->out->sc;
		cand.clients = (cand.clients + 1) / 2;
		snprintf(what, sizeof what, "clients %" PRIu32, cand.clients);
		any |= try_candidate(k, &cand, what);
	}
	if (k->out->sc.requests > 1) {
		struct scenario cand = k->out->sc;
		cand.requests = (cand.requests + 1) / 2;
		snprintf(what, sizeof what, "requests per client %" PRIu32,
			 cand.requests);
		any |= try_candidate(k, &cand, what);
	}
	/* the schedule: nothing after the violation matters */
	if (k->out->res.violation_us) {
		struct scenario cand = k->out->sc;
		uint64_t end = k->out->res.violation_us + 1;
		bool changed = false;
		for (size_t i = 0; i < cand.plan.count; i++)
			if (attack_has_schedule(cand.plan.a[i].kind) &&
			    cand.plan.a[i].until_us > end &&
			    cand.plan.a[i].from_us < end) {
				cand.plan.a[i].until_us = end;
				changed = true;
			}
		if (changed) {
			snprintf(what, sizeof what,
				 "every attack ends at the violation (%" PRIu64
				 " us)",
				 end);
			any |= try_candidate(k, &cand, what);
		}
	}
	for (size_t i = 0; i < k->out->sc.plan.count; i++) {
		struct scenario cand = k->out->sc;
		struct attack *a = &cand.plan.a[i];
		if (a->until_us != UINT64_MAX &&
		    a->until_us - a->from_us > 1000) {
			a->until_us =
			    a->from_us + (a->until_us - a->from_us) / 2;
			attack_format(a, text, sizeof text);
			snprintf(what, sizeof what, "shorter window: %s", text);
			any |= try_candidate(k, &cand, what);
		}
		cand = k->out->sc;
		a = &cand.plan.a[i];
		if (a->round_lo && a->round_hi > a->round_lo) {
			a->round_hi =
			    a->round_lo + (a->round_hi - a->round_lo) / 2;
			attack_format(a, text, sizeof text);
			snprintf(what, sizeof what, "fewer rounds: %s", text);
			any |= try_candidate(k, &cand, what);
		}
		cand = k->out->sc;
		a = &cand.plan.a[i];
		if (a->p > 0.01) {
			a->p /= 2;
			attack_format(a, text, sizeof text);
			snprintf(what, sizeof what, "rarer: %s", text);
			any |= try_candidate(k, &cand, what);
		}
	}
	return any;
}

int shrink_scenario(const struct scenario *sc,
		    const struct scenario_result *res, FILE *progress,
		    struct shrink_result *out)
{
	struct shrinker k = {out, shrink_kind_of(res), progress};

	memset(out, 0, sizeof *out);
	out->sc = *sc;
	out->res = *res;
	if (!shrink_still_fails(res, k.kind))
		return -1;
	if (k.kind == SHRINK_UNSAFE && !out->sc.stop_on_violation) {
		struct scenario cand = out->sc;
		cand.stop_on_violation = true;
		try_candidate(&k, &cand, "stop at the first violation");
	}
	while (out->tries < SHRINK_MAX_TRIES && pass(&k))
		;
	return 0;
}
