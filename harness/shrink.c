/*
 * shrink.c - minimising a failing scenario (shrink.h).
 */
#include "shrink.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

static void note_step(struct shrink_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note_step(struct shrink_result *out, const char *fmt, ...)
{
	char one[256];
	size_t len = strlen(out->steps);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(one, sizeof one, fmt, ap);
	va_end(ap);
	if (len + strlen(one) + 3 < sizeof out->steps)
		snprintf(out->steps + len, sizeof out->steps - len, "%s%s",
			 len ? "; " : "", one);
}

static void remove_attack(struct scenario *sc, size_t i)
{
	memmove(&sc->plan.a[i], &sc->plan.a[i + 1],
		(sc->plan.count - i - 1) * sizeof sc->plan.a[0]);
	sc->plan.count--;
}

/*
 * The serial order. Before the passes: stop at the first violation. Each
 * pass: whole attacks (last first), crashes (last first), Byzantine
 * replicas (highest first), clients, requests, every attack ending at the
 * violation, then per attack a shorter window, fewer rounds, a rarer
 * attack. Passes repeat while one keeps something. Every candidate is
 * built from the smallest failing scenario at the time it is built (the
 * kept one), as the loops of a plain greedy shrink would.
 */
enum {
	S_INIT,
	S_PASS,
	S_ATTACKS,
	S_CRASHES,
	S_BYZANTINE,
	S_CLIENTS,
	S_REQUESTS,
	S_VIOLATION,
	S_WINDOWS,
	S_END,
};

/* The candidate after cursor c, built from k's smallest failure: true
 * with c moved onto it, its description in what; false at the end of the
 * order (when nothing more is kept). */
static bool generate(const struct shrinker *k, struct shrink_cursor *c,
		     struct scenario *cand, char *what, size_t whatlen,
		     bool *in_pass)
{
	const struct scenario *cur = &k->out->sc;
	char text[600];

	*in_pass = true;
	for (;;) {
		switch (c->stage) {
		case S_INIT:
			c->stage = S_PASS;
			c->any = false;
			if (k->kind == SHRINK_UNSAFE &&
			    !cur->stop_on_violation) {
				*cand = *cur;
				cand->stop_on_violation = true;
				snprintf(what, whatlen,
					 "stop at the first violation");
				*in_pass = false;
				return true;
			}
			continue;
		case S_PASS:
			c->stage = S_ATTACKS;
			c->i = cur->plan.count;
			continue;
		case S_ATTACKS: /* whole attacks, last first */
			if (c->i == 0) {
				c->stage = S_CRASHES;
				c->i = cur->ncrashes;
				continue;
			}
			c->i--;
			*cand = *cur;
			attack_format(&cand->plan.a[c->i], text, sizeof text);
			remove_attack(cand, c->i);
			snprintf(what, whatlen, "dropped attack %s", text);
			return true;
		case S_CRASHES:
			if (c->i == 0) {
				c->stage = S_BYZANTINE;
				c->i = cur->n;
				continue;
			}
			c->i--;
			*cand = *cur;
			memmove(&cand->crashes[c->i], &cand->crashes[c->i + 1],
				(cand->ncrashes - c->i - 1) *
				    sizeof cand->crashes[0]);
			cand->ncrashes--;
			snprintf(what, whatlen,
				 "dropped crash of replica %" PRIu32,
				 cur->crashes[c->i].replica);
			return true;
		case S_BYZANTINE: /* the adversary refuses plans needing them */
			if (c->i == 0) {
				c->stage = S_CLIENTS;
				continue;
			}
			c->i--;
			if (!cur->plan.byzantine[c->i])
				continue;
			*cand = *cur;
			cand->plan.byzantine[c->i] = false;
			snprintf(what, whatlen, "replica %zu honest", c->i);
			return true;
		case S_CLIENTS:
			c->stage = S_REQUESTS;
			if (cur->clients <= 1)
				continue;
			*cand = *cur;
			cand->clients = (cand->clients + 1) / 2;
			snprintf(what, whatlen, "clients %" PRIu32,
				 cand->clients);
			return true;
		case S_REQUESTS:
			c->stage = S_VIOLATION;
			if (cur->requests <= 1)
				continue;
			*cand = *cur;
			cand->requests = (cand->requests + 1) / 2;
			snprintf(what, whatlen, "requests per client %" PRIu32,
				 cand->requests);
			return true;
		case S_VIOLATION: { /* nothing after the violation matters */
			uint64_t end = k->out->res.violation_us + 1;
			bool changed = false;
			c->stage = S_WINDOWS;
			c->i = 0;
			c->sub = 0;
			if (!k->out->res.violation_us)
				continue;
			*cand = *cur;
			for (size_t i = 0; i < cand->plan.count; i++)
				if (attack_has_schedule(cand->plan.a[i].kind) &&
				    cand->plan.a[i].until_us > end &&
				    cand->plan.a[i].from_us < end) {
					cand->plan.a[i].until_us = end;
					changed = true;
				}
			if (!changed)
				continue;
			snprintf(what, whatlen,
				 "every attack ends at the violation (%" PRIu64
				 " us)",
				 end);
			return true;
		}
		case S_WINDOWS: { /* per attack: window, rounds, rate */
			struct attack *a;
			int sub = c->sub;
			size_t i = c->i;
			if (i >= cur->plan.count) {
				c->stage = S_END;
				continue;
			}
			if (++c->sub == 3) {
				c->sub = 0;
				c->i++;
			}
			*cand = *cur;
			a = &cand->plan.a[i];
			if (sub == 0) {
				if (a->until_us == UINT64_MAX ||
				    a->until_us - a->from_us <= 1000)
					continue;
				a->until_us =
				    a->from_us + (a->until_us - a->from_us) / 2;
				attack_format(a, text, sizeof text);
				snprintf(what, whatlen, "shorter window: %s",
					 text);
			} else if (sub == 1) {
				if (!a->round_lo || a->round_hi <= a->round_lo)
					continue;
				a->round_hi = a->round_lo +
					      (a->round_hi - a->round_lo) / 2;
				attack_format(a, text, sizeof text);
				snprintf(what, whatlen, "fewer rounds: %s",
					 text);
			} else {
				if (!(a->p > 0.01))
					continue;
				a->p /= 2;
				attack_format(a, text, sizeof text);
				snprintf(what, whatlen, "rarer: %s", text);
			}
			return true;
		}
		default: /* S_END: another pass if this one kept something */
			if (!c->any)
				return false;
			c->stage = S_PASS;
			c->any = false;
			continue;
		}
	}
}

/* Whether a failure's run gave a failure to shrink: a pass only when it
 * is not timely (a failure of a timely expectation, SHRINK_UNTIMELY,
 * shrunk as such). */
static bool fails(const struct scenario_result *res, enum shrink_kind kind)
{
	if (res->verdict == VERDICT_PASS && kind != SHRINK_UNTIMELY)
		return false;
	return shrink_still_fails(res, kind);
}

void shrinker_init(struct shrinker *k, const struct scenario *sc,
		   const struct scenario_result *res, size_t window,
		   FILE *progress, struct shrink_result *out)
{
	memset(k, 0, sizeof *k);
	memset(out, 0, sizeof *out);
	k->out = out;
	k->progress = progress;
	k->window = window < 1			 ? 1
		    : window > SHRINK_WINDOW_MAX ? SHRINK_WINDOW_MAX
						 : window;
	k->gen.stage = S_INIT;
	out->sc = *sc;
	if (!res) {
		k->phase = SHRINK_RERUN;
		return;
	}
	out->res = *res;
	k->kind = shrink_kind_of(res);
	k->phase = fails(res, k->kind) ? SHRINK_GOING : SHRINK_NOT_FAILING;
}

void shrinker_free(struct shrinker *k)
{
	for (size_t i = 0; i < k->len; i++)
		free(k->win[i]);
	k->len = 0;
}

bool shrinker_done(const struct shrinker *k)
{
	return k->phase == SHRINK_DONE || k->phase == SHRINK_NOT_FAILING;
}

const struct scenario *shrinker_next(struct shrinker *k, uint64_t *ticket)
{
	struct shrink_slot *s;
	struct shrink_cursor c = k->gen;
	bool more;

	if (k->len >= k->window || (k->phase == SHRINK_RERUN && k->len) ||
	    shrinker_done(k))
		return NULL;
	if (k->phase == SHRINK_GOING &&
	    (k->gen_end || k->out->tries + k->len >= SHRINK_MAX_TRIES)) {
		if (!k->len)
			k->phase = SHRINK_DONE;
		return NULL;
	}
	s = malloc(sizeof *s);
	if (!s) {
		k->oom = true;
		k->phase = SHRINK_DONE;
		return NULL;
	}
	if (k->phase == SHRINK_RERUN) {
		s->cand = k->out->sc;
		s->what[0] = '\0';
		s->in_pass = false;
		more = true;
	} else {
		more = generate(k, &c, &s->cand, s->what, sizeof s->what,
				&s->in_pass);
	}
	if (!more) {
		free(s);
		k->gen_end = true;
		if (!k->len)
			k->phase = SHRINK_DONE;
		return NULL;
	}
	s->after = c;
	k->gen = c;
	s->ticket = k->next_ticket++;
	s->have = false;
	k->win[k->len++] = s;
	k->handed++;
	*ticket = s->ticket;
	return &s->cand;
}

const struct scenario *shrinker_wanted(const struct shrinker *k,
				       uint64_t ticket)
{
	for (size_t i = 0; i < k->len; i++)
		if (k->win[i]->ticket == ticket)
			return k->win[i]->have ? NULL : &k->win[i]->cand;
	return NULL;
}

/* The result of the run of sc again (SHRINK_RERUN). */
static void take_rerun(struct shrinker *k, const struct shrink_slot *s)
{
	k->out->res = s->r;
	k->kind = shrink_kind_of(&s->r);
	k->phase = fails(&s->r, k->kind) ? SHRINK_GOING : SHRINK_NOT_FAILING;
}

/* Take the first candidate out (its result is in): keep it if it still
 * fails, as the serial algorithm's try does. Whether it was kept. */
static bool take(struct shrinker *k, struct shrink_slot *s)
{
	struct shrink_result *out = k->out;
	bool keep;

	out->tries++;
	if (s->rc && s->r.verdict == VERDICT_ERROR) {
		if (k->progress)
			fprintf(k->progress,
				"  try %3u: %s: not a valid scenario (%s)\n",
				out->tries, s->what, s->r.why);
		return false;
	}
	keep = shrink_still_fails(&s->r, k->kind);
	if (k->progress)
		fprintf(k->progress, "  try %3u: %s: %s\n", out->tries, s->what,
			keep ? "still fails, kept" : "passes, undone");
	if (keep) {
		out->sc = s->cand;
		out->res = s->r;
		out->kept++;
		note_step(out, "%s", s->what);
	}
	return keep;
}

void shrinker_result(struct shrinker *k, uint64_t ticket, int rc,
		     const struct scenario_result *r)
{
	size_t i;

	for (i = 0; i < k->len && k->win[i]->ticket != ticket; i++)
		;
	if (shrinker_done(k) || i == k->len || k->win[i]->have)
		return; /* dropped (and counted) before */
	k->win[i]->rc = rc;
	k->win[i]->r = *r;
	k->win[i]->have = true;
	/* Take the results in the serial order. */
	while (k->len && k->win[0]->have) {
		struct shrink_slot *s = k->win[0];
		bool kept;
		if (k->phase == SHRINK_RERUN) {
			take_rerun(k, s);
			kept = false;
		} else {
			kept = take(k, s);
		}
		memmove(&k->win[0], &k->win[1],
			(k->len - 1) * sizeof k->win[0]);
		k->len--;
		if (kept) {
			/* Everything after it was built from the scenario
			 * before it: drop it, go on from the kept one. */
			k->gen = s->after;
			if (s->in_pass)
				k->gen.any = true;
			k->gen_end = false;
			k->thrown += (unsigned)k->len;
			shrinker_free(k);
		}
		free(s);
	}
	if (k->phase == SHRINK_GOING && !k->len &&
	    (k->gen_end || k->out->tries >= SHRINK_MAX_TRIES))
		k->phase = SHRINK_DONE;
}

int shrink_scenario(const struct scenario *sc,
		    const struct scenario_result *res, FILE *progress,
		    struct shrink_result *out)
{
	static struct scenario_result r;
	struct shrinker k;
	const struct scenario *cand;
	uint64_t ticket;

	shrinker_init(&k, sc, res, 1, progress, out);
	if (k.phase == SHRINK_NOT_FAILING)
		return -1;
	while ((cand = shrinker_next(&k, &ticket))) {
		int rc = scenario_run(cand, NULL, &r);
		shrinker_result(&k, ticket, rc, &r);
	}
	shrinker_free(&k);
	return k.oom ? -2 : 0;
}
