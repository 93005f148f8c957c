/*
 * campaign.c - reading campaign files and expanding them into runs
 * (campaign.h, docs/campaigns.md).
 */
#include "campaign.h"
#include "wall.h"

#include "mutate.h"
#include "prng.h"
#include "scenario_io.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cell with no `mutations:` list takes every one (ByzzFuzz): the cell
 * must have room for all (UBSan found the 9th overflowing a list of 8). */
_Static_assert(ADV_MUT_LAST - ADV_MUT_FIRST + 1 <= CAMPAIGN_MAX_MUTATIONS,
	       "struct cell's mutations[] must hold every mutation");

#define STREAM_EXPLORE 0x62797a7a66757a7aull /* "byzzfuzz": its own PRNG */

static int fail_at(char *why, size_t whylen, const struct campaign *c, int line,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int parse_max_wall(const struct campaign *c, const struct conf_node *v,
			  int line, uint64_t *us, char *why, size_t whylen);

uint64_t campaign_max_runs = CAMPAIGN_MAX_RUNS;

static int fail_at(char *why, size_t whylen, const struct campaign *c, int line,
		   const char *fmt, ...)
{
	va_list ap;
	int w = snprintf(why, whylen, "%s:%d: ", c->path, line);

	va_start(ap, fmt);
	if (w > 0 && (size_t)w < whylen)
		vsnprintf(why + w, whylen - (size_t)w, fmt, ap);
	va_end(ap);
	return -1;
}

void expect_text(unsigned expect, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s%s%s%s%s", expect & EXPECT_SAFE ? "safe" : "",
		 (expect & EXPECT_SAFE) && (expect & EXPECT_LIVE) ? "+" : "",
		 expect & EXPECT_LIVE ? "live" : "",
		 (expect & (EXPECT_SAFE | EXPECT_LIVE)) &&
			 (expect & EXPECT_TIMELY)
		     ? "+"
		     : "",
		 expect & EXPECT_TIMELY ? "timely" : "",
		 (expect & (EXPECT_SAFE | EXPECT_LIVE | EXPECT_TIMELY)) &&
			 (expect & EXPECT_VIOLATION)
		     ? "+"
		     : "",
		 expect & EXPECT_VIOLATION ? "violation-found" : "");
}

/* The items of a scalar or a flow/block list of scalars. */
static int scalars(const struct campaign *c, const struct conf_node *v,
		   const char *key, const char **out, size_t max, size_t *n,
		   char *why, size_t whylen)
{
	*n = 0;
	if (v->kind == CONF_SCALAR) {
		out[(*n)++] = v->text;
		return 0;
	}
	if (v->kind != CONF_LIST)
		return fail_at(why, whylen, c, v->line,
			       "%s: expected a value or a list of values", key);
	if (v->count > max)
		return fail_at(why, whylen, c, v->line,
			       "%s: at most %zu values", key, max);
	for (size_t i = 0; i < v->count; i++) {
		if (v->items[i]->kind != CONF_SCALAR)
			return fail_at(why, whylen, c, v->items[i]->line,
				       "%s: expected a plain value", key);
		/* a value twice would only repeat runs under one id */
		for (size_t j = 0; j < *n; j++)
			if (!strcmp(out[j], v->items[i]->text))
				return fail_at(
				    why, whylen, c, v->items[i]->line,
				    "%s: '%s' is listed twice", key, out[j]);
		out[(*n)++] = v->items[i]->text;
	}
	return 0;
}

/* "3", "f", "f+1", "f-1": a + k*f */
static int parse_bexpr(const char *s, int64_t *a, int64_t *k)
{
	uint64_t v;

	if (*s == 'f') {
		*k = 1;
		if (!s[1]) {
			*a = 0;
			return 0;
		}
		if ((s[1] != '+' && s[1] != '-') ||
		    byz_parse_u64(s + 2, 0, 64, &v))
			return -1;
		*a = s[1] == '+' ? (int64_t)v : -(int64_t)v;
		return 0;
	}
	*k = 0;
	if (byz_parse_u64(s, 0, 64, &v))
		return -1;
	*a = (int64_t)v;
	return 0;
}

static int parse_b(struct cell *cl, const char *s)
{
	char buf[64], *dots;

	if (strlen(s) >= sizeof buf || cl->nb >= CAMPAIGN_MAX_LIST)
		return -1;
	strcpy(buf, s);
	dots = strstr(buf, "..");
	if (dots)
		*dots = '\0';
	if (parse_bexpr(buf, &cl->b[cl->nb].lo_a, &cl->b[cl->nb].lo_k) ||
	    parse_bexpr(dots ? dots + 2 : buf, &cl->b[cl->nb].hi_a,
			&cl->b[cl->nb].hi_k))
		return -1;
	snprintf(cl->b[cl->nb].text, sizeof cl->b[cl->nb].text, "%s", s);
	cl->nb++;
	return 0;
}

static int parse_seeds(struct cell *cl, const char *s)
{
	char buf[64], *dots;
	uint64_t lo, hi;

	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	dots = strstr(buf, "..");
	if (!dots) {
		if (byz_parse_u64(buf, 0, CAMPAIGN_MAX_RUNS, &hi) || hi < 1)
			return -1;
		cl->seed_lo = 1;
		cl->seed_hi = hi;
		return 0;
	}
	*dots = '\0';
	if (byz_parse_u64(buf, 0, UINT64_MAX / 2, &lo) ||
	    byz_parse_u64(dots + 2, 0, UINT64_MAX / 2, &hi) || hi < lo ||
	    hi - lo >= CAMPAIGN_MAX_RUNS)
		return -1;
	cl->seed_lo = lo;
	cl->seed_hi = hi;
	return 0;
}

/* Check one scenario field written at line, and copy it into map. A
 * crash may be a list: every crash of it happens in every run (replicas
 * are checked against each run's n when the runs are built). */
static int take_field(const struct campaign *c, struct conf_node *map,
		      const char *key, const struct conf_node *v, int line,
		      char *why, size_t whylen)
{
	struct scenario sc;
	struct conf_node *copy;
	char inner[256];
	bool crash = !strcmp(key, "crash");

	if (v->kind != CONF_SCALAR && !(crash && v->kind == CONF_LIST))
		return fail_at(why, whylen, c, line,
			       "%s: expected a single value%s", key,
			       crash ? " or a list of crashes" : "");
	scenario_defaults(&sc);
	if (crash)
		sc.n = BYZ_MAX_N;
	if (v->kind == CONF_SCALAR) {
		if (scenario_set(&sc, key, v->text, inner, sizeof inner))
			return fail_at(why, whylen, c, line, "%s", inner);
		copy = conf_new_scalar(v->text);
	} else {
		copy = conf_new_list();
		for (size_t i = 0; copy && i < v->count; i++) {
			const struct conf_node *e = v->items[i];
			if (e->kind != CONF_SCALAR) {
				conf_free(copy);
				return fail_at(why, whylen, c, line,
					       "%s: item %zu is not a single "
					       "value",
					       key, i + 1);
			}
			if (scenario_set(&sc, key, e->text, inner,
					 sizeof inner)) {
				conf_free(copy);
				return fail_at(why, whylen, c, line,
					       "%s: item %zu: %s", key, i + 1,
					       inner);
			}
			if (conf_list_add(copy, conf_new_scalar(e->text))) {
				conf_free(copy);
				copy = NULL;
			}
		}
	}
	if (!copy || conf_map_add(map, key, copy))
		return fail_at(why, whylen, c, line, "out of memory");
	return 0;
}

/* An attack list (`attacks`, `with`): each item must parse; kept as text
 * (owned by the cell). */
static int attack_list(struct campaign *c, const struct conf_node *v,
		       const char *key, int line, char **out, size_t *nout,
		       char *why, size_t whylen)
{
	const char *items[CAMPAIGN_MAX_LIST];
	size_t n;

	if (scalars(c, v, key, items, CAMPAIGN_MAX_LIST, &n, why, whylen))
		return -1;
	for (size_t k = 0; k < n; k++) {
		struct attack a;
		char inner[256];
		if (attack_parse(items[k], BYZ_MAX_N, &a, inner, sizeof inner))
			return fail_at(why, whylen, c, line, "%s: '%s': %s",
				       key, items[k], inner);
		out[k] = strdup(items[k]);
		if (!out[k])
			return fail_at(why, whylen, c, line, "out of memory");
		*nout = k + 1;
	}
	return 0;
}

/* Cells loaded so far (struct cell, gen). */
static uint64_t load_gen;

static int parse_cell(struct campaign *c, const struct conf_node *m,
		      struct cell *cl, char *why, size_t whylen)
{
	const char *items[CAMPAIGN_MAX_LIST];
	size_t n;
	bool have_expect = false;

	memset(cl, 0, sizeof *cl);
	cl->gen = ++load_gen;
	cl->line = m->line;
	cl->seed_lo = cl->seed_hi = 1;
	cl->overrides = conf_new_map();
	if (!cl->overrides)
		return fail_at(why, whylen, c, m->line, "out of memory");
	cl->protocols[0] = byz_core_default();
	cl->nprotocols = 1;
	cl->ns[0] = 4;
	cl->nns = 1;
	cl->b[0].lo_a = cl->b[0].hi_a = 0;
	snprintf(cl->b[0].text, sizeof cl->b[0].text, "0");
	cl->nb = 1;
	cl->b_line = m->line;
	cl->rounds = 4;
	cl->cap = 100;
	for (size_t i = 0; i < m->count; i++) {
		const char *key = m->keys[i];
		const struct conf_node *v = m->items[i];
		int line = m->key_lines[i];
		uint64_t u;

		if (!strcmp(key, "name")) {
			if (v->kind != CONF_SCALAR || !v->text[0] ||
			    strlen(v->text) >= sizeof cl->name)
				return fail_at(why, whylen, c, line,
					       "name: expected a short name");
			for (const char *p = v->text; *p; p++)
				if (!isalnum((unsigned char)*p) && *p != '-' &&
				    *p != '_')
					return fail_at(
					    why, whylen, c, line,
					    "name: use letters, digits, "
					    "'-' and '_' only");
			strcpy(cl->name, v->text);
		} else if (!strcmp(key, "protocol")) {
			if (scalars(c, v, key, items, CAMPAIGN_MAX_PROTOCOLS,
				    &n, why, whylen))
				return -1;
			cl->nprotocols = n;
			for (size_t k = 0; k < n; k++) {
				cl->protocols[k] = byz_core_find(items[k]);
				if (!cl->protocols[k])
					return fail_at(
					    why, whylen, c, line,
					    "protocol: unknown protocol "
					    "'%s' (%s)",
					    items[k], byz_core_names());
			}
		} else if (!strcmp(key, "n")) {
			if (scalars(c, v, key, items, CAMPAIGN_MAX_LIST, &n,
				    why, whylen))
				return -1;
			cl->nns = n;
			for (size_t k = 0; k < n; k++) {
				if (byz_parse_u64(items[k], 0, BYZ_MAX_N, &u) ||
				    u < 1)
					return fail_at(why, whylen, c, line,
						       "n: '%s' is not a whole "
						       "number from 1 to %d",
						       items[k], BYZ_MAX_N);
				cl->ns[k] = (uint32_t)u;
			}
		} else if (!strcmp(key, "byzantine")) {
			if (scalars(c, v, key, items, CAMPAIGN_MAX_LIST, &n,
				    why, whylen))
				return -1;
			cl->nb = 0;
			cl->b_line = line;
			for (size_t k = 0; k < n; k++)
				if (parse_b(cl, items[k]))
					return fail_at(
					    why, whylen, c, line,
					    "byzantine: '%s' is not a "
					    "count: 2, f, f+1, 0..f",
					    items[k]);
		} else if (!strcmp(key, "attacks") || !strcmp(key, "with")) {
			bool w = !strcmp(key, "with");
			if (attack_list(
				c, v, key, line, w ? cl->with : cl->attacks,
				w ? &cl->nwith : &cl->nattacks, why, whylen))
				return -1;
		} else if (!strcmp(key, "attack_mode")) {
			if (v->kind != CONF_SCALAR)
				return fail_at(
				    why, whylen, c, line,
				    "attack_mode: cycle, each or all");
			if (!strcmp(v->text, "cycle"))
				cl->mode = MODE_CYCLE;
			else if (!strcmp(v->text, "each"))
				cl->mode = MODE_EACH;
			else if (!strcmp(v->text, "all"))
				cl->mode = MODE_ALL;
			else
				return fail_at(
				    why, whylen, c, line,
				    "attack_mode: '%s' is not cycle, "
				    "each or all",
				    v->text);
		} else if (!strcmp(key, "seeds")) {
			if (v->kind != CONF_SCALAR || parse_seeds(cl, v->text))
				return fail_at(
				    why, whylen, c, line,
				    "seeds: expected a count (200) or "
				    "a range (1..200)");
		} else if (!strcmp(key, "expect")) {
			if (scalars(c, v, key, items, 4, &n, why, whylen))
				return -1;
			for (size_t k = 0; k < n; k++) {
				if (!strcmp(items[k], "safe"))
					cl->expect |= EXPECT_SAFE;
				else if (!strcmp(items[k], "live"))
					cl->expect |= EXPECT_LIVE;
				else if (!strcmp(items[k], "timely"))
					cl->expect |= EXPECT_TIMELY;
				else if (!strcmp(items[k], "violation-found"))
					cl->expect |= EXPECT_VIOLATION;
				else
					return fail_at(
					    why, whylen, c, line,
					    "expect: '%s' is not safe, "
					    "live, timely or violation-found",
					    items[k]);
			}
			have_expect = true;
		} else if (!strcmp(key, "max_wall")) {
			if (parse_max_wall(c, v, line, &cl->max_wall_us, why,
					   whylen))
				return -1;
			cl->has_max_wall = true;
		} else if (!strcmp(key, "shrink")) {
			if (v->kind != CONF_SCALAR ||
			    (strcmp(v->text, "true") &&
			     strcmp(v->text, "false")))
				return fail_at(why, whylen, c, line,
					       "shrink: true or false");
			cl->shrink = !strcmp(v->text, "true");
		} else if (!strcmp(key, "explore")) {
			if (v->kind == CONF_SCALAR &&
			    !strcmp(v->text, "byzzfuzz"))
				cl->explore = EXPLORE_BYZZFUZZ;
			else if (v->kind == CONF_SCALAR &&
				 !strcmp(v->text, "twins"))
				cl->explore = EXPLORE_TWINS;
			else
				return fail_at(why, whylen, c, line,
					       "explore: byzzfuzz or twins");
		} else if (!strcmp(key, "leader_choice")) {
			if (v->kind == CONF_SCALAR &&
			    !strcmp(v->text, "byzantine"))
				cl->leaders = LEAD_BYZANTINE;
			else if (v->kind == CONF_SCALAR &&
				 !strcmp(v->text, "all"))
				cl->leaders = LEAD_ALL;
			else if (v->kind == CONF_SCALAR &&
				 !strcmp(v->text, "rotation"))
				cl->leaders = LEAD_ROTATION;
			else
				return fail_at(why, whylen, c, line,
					       "leader_choice: byzantine, all "
					       "or rotation");
		} else if (!strcmp(key, "c") || !strcmp(key, "d") ||
			   !strcmp(key, "rounds") || !strcmp(key, "cap")) {
			uint64_t max =
			    !strcmp(key, "cap") ? CAMPAIGN_MAX_RUNS : 16;
			if (v->kind != CONF_SCALAR ||
			    byz_parse_u64(v->text, 0, max, &u) ||
			    (u < 1 && (key[0] == 'r' || key[1] == 'a')))
				return fail_at(
				    why, whylen, c, line,
				    "%s: expected a whole number up to "
				    "%" PRIu64,
				    key, max);
			if (!strcmp(key, "c"))
				cl->c = (uint32_t)u;
			else if (!strcmp(key, "d"))
				cl->d = (uint32_t)u;
			else if (!strcmp(key, "rounds"))
				cl->rounds = (uint32_t)u;
			else
				cl->cap = (uint32_t)u;
		} else if (!strcmp(key, "mutations")) {
			if (scalars(c, v, key, items, CAMPAIGN_MAX_MUTATIONS,
				    &n, why, whylen))
				return -1;
			for (size_t k = 0; k < n; k++) {
				cl->mutations[k] = adv_mutation_parse(items[k]);
				if (cl->mutations[k] < 0)
					return fail_at(
					    why, whylen, c, line,
					    "mutations: unknown '%s'",
					    items[k]);
			}
			cl->nmutations = n;
		} else if (scenario_is_field(key) && strcmp(key, "n") &&
			   strcmp(key, "byzantine") &&
			   strcmp(key, "protocol") && strcmp(key, "seed")) {
			if (take_field(c, cl->overrides, key, v, line, why,
				       whylen))
				return -1;
		} else {
			return fail_at(why, whylen, c, line,
				       "unknown cell key '%s' (see "
				       "docs/campaigns.md)",
				       key);
		}
	}
	if (!cl->name[0])
		return fail_at(why, whylen, c, m->line, "the cell has no name");
	if (!have_expect)
		return fail_at(why, whylen, c, m->line,
			       "cell '%s' has no expect (safe, live, "
			       "violation-found)",
			       cl->name);
	if (cl->explore == EXPLORE_BYZZFUZZ && !cl->nmutations) {
		for (int k = ADV_MUT_FIRST; k <= ADV_MUT_LAST; k++)
			cl->mutations[cl->nmutations++] = k;
	}
	return 0;
}

/* ---- expansion ------------------------------------------------------------
 */

/* Every Byzantine count a cell writes must give runs at every n of the
 * cell: a range that is empty ("f..0", "f-2" at n = 4) or a count with no
 * honest replica left (b >= n) is an error, not a cell that silently runs
 * less (or nothing). A range that starts below 0 ("f-1..f" at n = 1)
 * starts at 0. */
static int check_bvalues(const struct campaign *c, const struct cell *cl,
			 const struct byz_core_ops *ops, char *why,
			 size_t whylen)
{
	for (size_t q = 0; q < cl->nns; q++) {
		uint32_t n = cl->ns[q];
		int64_t f = byz_faults_max(ops, n);
		for (size_t i = 0; i < cl->nb; i++) {
			int64_t lo = cl->b[i].lo_a + cl->b[i].lo_k * f;
			int64_t hi = cl->b[i].hi_a + cl->b[i].hi_k * f;
			if (hi < lo)
				return fail_at(
				    why, whylen, c, cl->b_line,
				    "cell '%s': byzantine: '%s' at n = %" PRIu32
				    " (f = %" PRId64 ") is the empty range "
				    "%" PRId64 "..%" PRId64 ": no runs; write "
				    "counts from 0 to n-1 = %" PRIu32,
				    cl->name, cl->b[i].text, n, f, lo, hi,
				    n - 1);
			if (hi < 0)
				return fail_at(
				    why, whylen, c, cl->b_line,
				    "cell '%s': byzantine: '%s' at n = %" PRIu32
				    " (f = %" PRId64 ") is %" PRId64 ", not a "
				    "count: no runs; write counts from 0 to "
				    "n-1 = %" PRIu32,
				    cl->name, cl->b[i].text, n, f, hi, n - 1);
			if (hi >= (int64_t)n)
				return fail_at(
				    why, whylen, c, cl->b_line,
				    "cell '%s': byzantine: '%s' at n = %" PRIu32
				    " (f = %" PRId64 ") gives b = %" PRId64
				    ": every run needs an honest replica, so "
				    "b is at most n-1 = %" PRIu32,
				    cl->name, cl->b[i].text, n, f, hi, n - 1);
		}
	}
	return 0;
}

/* The distinct Byzantine counts of a cell for protocol ops and n,
 * ascending, within 0..n: f is ops's at n (its failure model's). */
static size_t bvalues(const struct cell *cl, const struct byz_core_ops *ops,
		      uint32_t n, uint32_t out[])
{
	int64_t f = byz_faults_max(ops, n);
	bool have[BYZ_MAX_N + 1] = {false};
	size_t count = 0;

	for (size_t i = 0; i < cl->nb; i++) {
		int64_t lo = cl->b[i].lo_a + cl->b[i].lo_k * f;
		int64_t hi = cl->b[i].hi_a + cl->b[i].hi_k * f;
		for (int64_t b = lo < 0 ? 0 : lo; b <= hi && b <= (int64_t)n;
		     b++)
			have[b] = true;
	}
	for (uint32_t b = 0; b <= n; b++)
		if (have[b])
			out[count++] = b;
	return count;
}

/* The attacks of a cell that apply with b Byzantine replicas (indices). */
/*
 * A cell's attack texts parsed, remembered: every run of a cell parses the
 * same few texts, when the campaign is loaded and checked and again in the
 * worker that runs it. Keyed by the cell's load (a campaign freed and
 * another loaded at the same address is another load), the text's address
 * (a cell's own list: it does not change while loaded) and n.
 */
#define PARSED_SLOTS 256
static struct parsed {
	uint64_t gen;
	const char *text;
	uint32_t n;
	int rc;
	struct attack a;
	char why[200];
} parsed[PARSED_SLOTS];

static const struct parsed *parse_cell_attack(const struct cell *cl,
					      const char *text, uint32_t n)
{
	struct parsed *p =
	    &parsed[(((uintptr_t)text >> 3) ^ (n * 40503u)) % PARSED_SLOTS];

	if (p->gen != cl->gen || p->text != text || p->n != n) {
		p->gen = cl->gen;
		p->text = text;
		p->n = n;
		p->rc = attack_parse(text, n, &p->a, p->why, sizeof p->why);
	}
	return p;
}

/* scenario_add_attack for a text of the cell's own lists. */
static int add_cell_attack(const struct cell *cl, struct scenario *sc,
			   const char *text, char *why, size_t whylen)
{
	const struct parsed *p = parse_cell_attack(cl, text, sc->n);

	if (sc->plan.count >= ATK_MAX) {
		snprintf(why, whylen, "attacks: at most %d", ATK_MAX);
		return -1;
	}
	if (p->rc) {
		snprintf(why, whylen, "attack '%.80s': %s", text, p->why);
		return -1;
	}
	sc->plan.a[sc->plan.count++] = p->a;
	return 0;
}

static size_t applicable_of(const struct cell *cl, char *const *list,
			    size_t nlist, uint32_t b, size_t out[])
{
	size_t count = 0;

	for (size_t i = 0; i < nlist; i++) {
		const struct parsed *p =
		    parse_cell_attack(cl, list[i], BYZ_MAX_N);
		const struct attack a = p->a;
		if (p->rc)
			continue;
		if (b == 0 && attack_is_byzantine(a.kind))
			continue;
		out[count++] = i;
	}
	return count;
}

/* The indices of the cell's attacks that apply with b Byzantine replicas
 * (Byzantine behaviours need one). */
static size_t applicable(const struct cell *cl, uint32_t b, size_t out[])
{
	return applicable_of(cl, cl->attacks, cl->nattacks, b, out);
}

/* Twins enumeration: per round, a leader of L candidates and a partition
 * of m nodes into at most two groups (2^(m-1) of them), over `rounds`
 * rounds. UINT64_MAX if the space is larger than 2^62. */
static uint64_t twins_per_round(uint32_t m, uint32_t L)
{
	if (m - 1 >= 53 || L == 0)
		return 0; /* too large to enumerate: sampled */
	return (uint64_t)L << (m - 1);
}

static uint32_t twins_leaders(const struct cell *cl, uint32_t n, uint32_t b)
{
	switch (cl->leaders) {
	case LEAD_ALL:
		return n;
	case LEAD_ROTATION:
		return 1;
	default:
		return b;
	}
}

static uint64_t twins_space(uint32_t m, uint32_t L, uint32_t rounds)
{
	uint64_t per = twins_per_round(m, L), total = 1;

	if (!per)
		return UINT64_MAX;
	for (uint32_t r = 0; r < rounds; r++) {
		if (total > (1ull << 62) / per)
			return UINT64_MAX;
		total *= per;
	}
	return total;
}

static uint64_t runs_for(const struct cell *cl, uint32_t n, uint32_t b)
{
	uint64_t seeds = cl->seed_hi - cl->seed_lo + 1;
	size_t idx[CAMPAIGN_MAX_LIST], na;

	switch (cl->explore) {
	case EXPLORE_BYZZFUZZ:
		return seeds;
	case EXPLORE_TWINS: {
		uint64_t space;
		if (b == 0)
			return 0;
		space = twins_space(n + b, twins_leaders(cl, n, b), cl->rounds);
		return space < cl->cap ? space : cl->cap;
	}
	default:
		na = applicable(cl, b, idx);
		return cl->mode == MODE_EACH && na ? seeds * na : seeds;
	}
}

static int count_runs(struct campaign *c, char *why, size_t whylen)
{
	uint64_t total = 0;

	for (size_t i = 0; i < c->ncells; i++) {
		const struct cell *cl = &c->cells[i];
		c->cell_first[i] = total;
		for (size_t p = 0; p < cl->nprotocols; p++)
			if (check_bvalues(c, cl, cl->protocols[p], why, whylen))
				return -1;
		for (size_t p = 0; p < cl->nprotocols; p++)
			for (size_t k = 0; k < cl->nns; k++) {
				uint32_t bs[BYZ_MAX_N + 1];
				size_t nbs = bvalues(cl, cl->protocols[p],
						     cl->ns[k], bs);
				for (size_t j = 0; j < nbs; j++)
					total += runs_for(cl, cl->ns[k], bs[j]);
			}
		if (total == c->cell_first[i])
			return fail_at(why, whylen, c, cl->line,
				       "cell '%s' expands to no runs%s",
				       cl->name,
				       cl->explore == EXPLORE_TWINS
					   ? " (Twins needs at least one "
					     "Byzantine replica: byzantine: "
					     "1 or more)"
					   : "");
		if (total > campaign_max_runs)
			return fail_at(why, whylen, c, cl->line,
				       "the campaign has more than %" PRIu64
				       " runs",
				       campaign_max_runs);
	}
	c->cell_first[c->ncells] = total;
	c->nruns = total;
	return 0;
}

static int apply_fields(struct scenario *sc, const struct conf_node *m,
			char *why, size_t whylen)
{
	for (size_t i = 0; m && i < m->count; i++) {
		const struct conf_node *v = m->items[i];
		if (v->kind == CONF_LIST) {
			for (size_t k = 0; k < v->count; k++)
				if (scenario_set(sc, m->keys[i],
						 v->items[k]->text, why,
						 whylen))
					return -1;
		} else if (scenario_set(sc, m->keys[i], v->text, why, whylen)) {
			return -1;
		}
	}
	return 0;
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	return (uint64_t)((unsigned __int128)a * b % m);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* One partition of the m nodes (replicas, then twins of 0..b-1) as a
 * groups= text. */
static void groups_text(uint64_t part, uint32_t n, uint32_t b, char *out,
			size_t cap)
{
	size_t len = 0;

	for (int g = 0; g < 2; g++) {
		bool first = true;
		for (uint32_t i = 0; i < n + b; i++) {
			int gi = i == 0 ? 0 : (int)((part >> (i - 1)) & 1);
			if (gi != g)
				continue;
			len += (size_t)snprintf(
			    out + len, cap - len, "%s%" PRIu32 "%s",
			    first ? (g ? "|" : "") : "+", i < n ? i : i - n,
			    i < n ? "" : "t");
			first = false;
		}
	}
}

static int add_attack(struct scenario *sc, const char *text, char *why,
		      size_t whylen)
{
	return scenario_add_attack(sc, text, why, whylen);
}

/* `with`: add the turn-th applicable attack of the second list (turn is
 * the seed's index divided by the first list's length, so that over
 * na x nw seeds every pair runs once); its index goes in the run's id. */
static int add_with(const struct cell *cl, struct scenario *sc, uint32_t b,
		    uint64_t turn, char wi[24], char *why, size_t whylen)
{
	size_t idx[CAMPAIGN_MAX_LIST];
	size_t nw = applicable_of(cl, cl->with, cl->nwith, b, idx);

	if (!nw)
		return 0;
	snprintf(wi, 24, "-w%zu", idx[turn % nw]);
	return add_cell_attack(cl, sc, cl->with[idx[turn % nw]], why, whylen);
}

/* ByzzFuzz (Winter et al., 2023): c process faults, each a mutation of
 * one Byzantine replica's messages to some recipients in one round, and
 * d network faults, each a partition in one round. */
static int gen_byzzfuzz(const struct cell *cl, struct scenario *sc, uint32_t b,
			char *why, size_t whylen)
{
	struct prng rng;
	char text[600], groups[256];

	prng_seed(&rng, sc->seed, STREAM_EXPLORE ^ ((uint64_t)sc->n << 8) ^ b);
	for (uint32_t i = 0; b && i < cl->c; i++) {
		uint64_t round = 1 + prng_below(&rng, cl->rounds);
		uint32_t rep = (uint32_t)prng_below(&rng, b);
		int mut = cl->mutations[prng_below(&rng, cl->nmutations)];
		size_t len = 0;
		uint64_t mask = 0;
		while (!mask)
			for (uint32_t r = 0; r < sc->n && r < ATK_TO_MAX; r++)
				if (prng_below(&rng, 2))
					mask |= 1ull << r;
		len = (size_t)snprintf(
		    text, sizeof text, "mutate:m=%s,replica=%" PRIu32 ",to=",
		    adv_mutation_name((enum adv_mutation)mut), rep);
		for (uint32_t r = 0, first = 1; r < sc->n && r < ATK_TO_MAX;
		     r++)
			if (mask >> r & 1) {
				len += (size_t)snprintf(
				    text + len, sizeof text - len, "%s%" PRIu32,
				    first ? "" : "+", r);
				first = 0;
			}
		snprintf(text + len, sizeof text - len,
			 ",rounds=%" PRIu64 "-%" PRIu64, round, round);
		if (add_attack(sc, text, why, whylen))
			return -1;
	}
	for (uint32_t i = 0; i < cl->d && sc->n >= 2; i++) {
		uint64_t round = 1 + prng_below(&rng, cl->rounds);
		uint64_t part = 0;
		while (!part)
			part = prng_below(&rng, (1ull << (sc->n - 1)));
		groups_text(part, sc->n, 0, groups, sizeof groups);
		snprintf(text, sizeof text,
			 "partition:groups=%s,rounds=%" PRIu64 "-%" PRIu64,
			 groups, round, round);
		if (add_attack(sc, text, why, whylen))
			return -1;
	}
	return 0;
}

/* Twins (Bano et al., OPODIS'21 §4): twin instances of the Byzantine
 * replicas and, for each of the first `rounds` rounds, a leader and one
 * partition of replicas and twins; sample j of a space of
 * (L x 2^(m-1))^rounds, visited in a seeded pseudo-random order without
 * repeats. Round r is view first_view + r - 1: its leader goes into the
 * scenario's leader schedule (core.h), so a Byzantine replica, whose
 * twins lead with it, leads exactly the rounds the enumeration says; the
 * views before and after keep the protocol's rotation. L = 1 (rotation)
 * enumerates partitions alone. */
static int gen_twins(const struct cell *cl, struct scenario *sc, uint32_t b,
		     uint64_t j, char *why, size_t whylen)
{
	uint32_t m = sc->n + b, L = twins_leaders(cl, sc->n, b);
	uint32_t first = sc->ops->first_view;
	uint64_t space = twins_space(m, L, cl->rounds), idx, per;
	struct prng rng;
	char text[600], groups[512];

	prng_seed(&rng, cl->seed_lo,
		  STREAM_EXPLORE ^ ((uint64_t)sc->n << 8) ^ b);
	if (add_attack(sc, "twins:split=off", why, whylen))
		return -1;
	per = twins_per_round(m, L);
	if (space != UINT64_MAX && per) {
		uint64_t a = prng_next(&rng) % space,
			 off = prng_next(&rng) % space;
		if (a == 0)
			a = 1;
		while (gcd(a, space) != 1)
			a = a + 1 < space ? a + 1 : 1;
		idx = (mulmod(a, j % space, space) + off) % space;
	} else {
		prng_seed(&rng, cl->seed_lo + j, STREAM_EXPLORE ^ 0x7717);
		idx = 0;
	}
	if (cl->leaders != LEAD_ROTATION) {
		if (first + cl->rounds > BYZ_MAX_LEADERS) {
			snprintf(why, whylen,
				 "twins: %" PRIu32 " rounds from view %" PRIu32
				 " exceed a leader schedule of %d views",
				 cl->rounds, first, BYZ_MAX_LEADERS);
			return -1;
		}
		sc->nleaders = first + cl->rounds;
		for (uint32_t v = 0; v < sc->nleaders; v++)
			sc->leaders[v] = (uint16_t)(v % sc->n);
	}
	for (uint32_t r = 1; r <= cl->rounds; r++) {
		uint64_t part, lead;
		if (space != UINT64_MAX && per) {
			part = idx % per;
			idx /= per;
			lead = part % L;
			part /= L;
		} else {
			part = prng_next(&rng) &
			       ((1ull << (m - 1 < 63 ? m - 1 : 63)) - 1);
			lead = L > 1 ? prng_below(&rng, L) : 0;
		}
		/* Candidates: the Byzantine replicas 0..b-1, or everyone. */
		if (cl->leaders != LEAD_ROTATION)
			sc->leaders[first + r - 1] = (uint16_t)lead;
		if (part == 0)
			continue; /* everyone together: no partition this round
				   */
		groups_text(part, sc->n, b, groups, sizeof groups);
		snprintf(text, sizeof text,
			 "partition:groups=%s,rounds=%" PRIu32 "-%" PRIu32,
			 groups, r, r);
		if (add_attack(sc, text, why, whylen))
			return -1;
	}
	return 0;
}

int campaign_run_spec(const struct campaign *c, uint64_t k,
		      struct run_spec *out, char *why, size_t whylen)
{
	size_t ci = 0;
	uint64_t j;
	const struct cell *cl;

	memset(out, 0, sizeof *out);
	why[0] = '\0';
	if (k >= c->nruns) {
		snprintf(why, whylen, "no run %" PRIu64, k);
		return -1;
	}
	while (ci + 1 < c->ncells && k >= c->cell_first[ci + 1])
		ci++;
	cl = &c->cells[ci];
	j = k - c->cell_first[ci];
	out->index = k;
	out->cell = ci;
	out->expect = cl->expect;
	out->max_wall_us = c->has_wall_override ? c->wall_override_us
			   : cl->has_max_wall	? cl->max_wall_us
						: c->max_wall_us;
	for (size_t p = 0; p < cl->nprotocols; p++)
		for (size_t q = 0; q < cl->nns; q++) {
			uint32_t n = cl->ns[q], bs[BYZ_MAX_N + 1];
			size_t nbs = bvalues(cl, cl->protocols[p], n, bs);
			for (size_t t = 0; t < nbs; t++) {
				uint64_t cnt = runs_for(cl, n, bs[t]);
				size_t idx[CAMPAIGN_MAX_LIST], na;
				struct scenario *sc = &out->sc;
				uint64_t si, ai = 0;
				char wi[24] = "";
				char nbuf[16];
				if (j >= cnt) {
					j -= cnt;
					continue;
				}
				/* this is the run */
				scenario_defaults(sc);
				snprintf(nbuf, sizeof nbuf, "%" PRIu32, n);
				if (apply_fields(sc, c->defaults, why,
						 whylen) ||
				    scenario_set(sc, "n", nbuf, why, whylen))
					return -1;
				sc->f = byz_faults_max(cl->protocols[p], n);
				if (apply_fields(sc, cl->overrides, why,
						 whylen)) {
					char inner[512];
					snprintf(inner, sizeof inner, "%s",
						 why);
					snprintf(why, whylen,
						 "%s at n = %" PRIu32 ": %s",
						 cl->protocols[p]->name, n,
						 inner);
					return -1;
				}
				sc->ops = cl->protocols[p];
				out->b = bs[t];
				for (uint32_t r = 0; r < bs[t] && r < n; r++)
					sc->plan.byzantine[r] = true;
				na = applicable(cl, bs[t], idx);
				switch (cl->explore) {
				case EXPLORE_BYZZFUZZ:
					sc->seed = cl->seed_lo + j;
					if (gen_byzzfuzz(cl, sc, bs[t], why,
							 whylen))
						return -1;
					snprintf(out->id, sizeof out->id,
						 "%s-%s-n%" PRIu32 "-b%" PRIu32
						 "-s%" PRIu64,
						 cl->name, sc->ops->name, n,
						 bs[t], sc->seed);
					break;
				case EXPLORE_TWINS:
					sc->seed = cl->seed_lo;
					if (gen_twins(cl, sc, bs[t], j, why,
						      whylen))
						return -1;
					snprintf(out->id, sizeof out->id,
						 "%s-%s-n%" PRIu32 "-b%" PRIu32
						 "-x%" PRIu64,
						 cl->name, sc->ops->name, n,
						 bs[t], j);
					break;
				default:
					if (cl->mode == MODE_EACH && na) {
						si = j / na;
						ai = j % na;
					} else {
						si = j;
						ai = na ? si % na : 0;
					}
					sc->seed = cl->seed_lo + si;
					if (cl->nwith &&
					    add_with(cl, sc, bs[t],
						     na ? si / na : si, wi, why,
						     whylen))
						return -1;
					if (cl->mode == MODE_ALL) {
						for (size_t a = 0; a < na; a++)
							if (add_cell_attack(
								cl, sc,
								cl->attacks
								    [idx[a]],
								why, whylen))
								return -1;
					} else if (na &&
						   add_cell_attack(
						       cl, sc,
						       cl->attacks[idx[ai]],
						       why, whylen)) {
						return -1;
					}
					snprintf(out->id, sizeof out->id,
						 "%s-%s-n%" PRIu32 "-b%" PRIu32
						 "-a%" PRIu64 "%s-s%" PRIu64,
						 cl->name, sc->ops->name, n,
						 bs[t],
						 cl->mode == MODE_ALL || !na
						     ? 0
						     : idx[ai],
						 wi, sc->seed);
				}
				if (c->mutant[0])
					memcpy(sc->mutant, c->mutant,
					       sizeof sc->mutant);
				if (c->has_crypto_override)
					sc->crypto = c->crypto_override;
				return 0;
			}
		}
	snprintf(why, whylen, "run %" PRIu64 " not found", k);
	return -1;
}

/* Refuse, before any run, a campaign with a run that could not run: every
 * run is built (campaign_run_spec) and checked as its driver will check it
 * (scenario_check_config: the protocol's limits, n >= 3f+1, window and
 * checkpoint, messages that fit a frame, Byzantine replicas, attacks),
 * so that a configuration error is never counted as a protocol's
 * failure. The first bad run is named with its cell. */
static int check_configs(struct campaign *c, char *why, size_t whylen)
{
	struct run_spec *spec = malloc(sizeof *spec);
	struct scenario *last = malloc(sizeof *last);
	bool have_last = false;
	char msg[768];
	int rc = 0;

	if (!spec || !last) {
		free(spec);
		free(last);
		return fail_at(why, whylen, c, 1, "out of memory");
	}
	for (uint64_t k = 0; k < c->nruns && !rc; k++) {
		const struct cell *cl;
		if (campaign_run_spec(c, k, spec, msg, sizeof msg)) {
			size_t ci = 0;
			while (ci + 1 < c->ncells && k >= c->cell_first[ci + 1])
				ci++;
			cl = &c->cells[ci];
			rc = fail_at(why, whylen, c, cl->line,
				     "cell '%s' run %" PRIu64 ": %s", cl->name,
				     k, msg);
			break;
		}
		cl = &c->cells[spec->cell];
		/* Runs that differ from the last one checked only in their
		 * seed (most of a cell's) have its configuration: the seed
		 * takes no part in the check. */
		spec->sc.seed = 0;
		if (have_last && !memcmp(&spec->sc, last, sizeof *last))
			continue;
		memcpy(last, &spec->sc, sizeof *last);
		have_last = true;
		if (scenario_check_config(&spec->sc, msg, sizeof msg))
			rc = fail_at(why, whylen, c, cl->line,
				     "cell '%s' run %s: %s", cl->name, spec->id,
				     msg);
		else if (spec->sc.crypto != BYZ_SCHEME_ED25519 &&
			 !strcmp(c->driver, "zmq"))
			rc = fail_at(why, whylen, c, cl->line,
				     "cell '%s': crypto: fast is for the "
				     "simulator (driver sim): real processes "
				     "sign with Ed25519",
				     cl->name);
	}
	free(spec);
	free(last);
	return rc;
}

/* max_wall: a duration up to a day, or 0 / none for no limit. */
static int parse_max_wall(const struct campaign *c, const struct conf_node *v,
			  int line, uint64_t *us, char *why, size_t whylen)
{
	if (v->kind == CONF_SCALAR &&
	    (!strcmp(v->text, "none") || !strcmp(v->text, "0"))) {
		*us = 0;
		return 0;
	}
	if (v->kind != CONF_SCALAR || attack_parse_duration(v->text, us) ||
	    *us == 0 || *us > WALL_MAX_US)
		return fail_at(why, whylen, c, line,
			       "max_wall: '%.40s' is not a duration from 1us "
			       "to 86400s (a day) (e.g. 30s, 500ms) or none",
			       v->kind == CONF_SCALAR ? v->text : "?");
	return 0;
}

/* Keep the file's canonical text (manifest.h): what it defines, without
 * its comments and layout. */
static int keep_definition(struct campaign *c, const struct conf_node *root,
			   char *why, size_t whylen)
{
	size_t len = 0;
	FILE *m = open_memstream(&c->definition, &len);

	if (!m || conf_emit(m, root)) {
		if (m)
			fclose(m);
		free(c->definition);
		c->definition = NULL;
		snprintf(why, whylen,
			 "%s: cannot be written back canonically (a value "
			 "that is not UTF-8 text?)",
			 c->path);
		return -1;
	}
	fclose(m);
	return 0;
}

/* The campaign of a parsed file (c->path set). Frees root. */
static int load_root(struct conf_node *root, struct campaign *c, char *why,
		     size_t whylen)
{
	const struct conf_node *cells, *v;
	int rc = -1;

	for (size_t i = 0; i < root->count; i++)
		if (strcmp(root->keys[i], "name") &&
		    strcmp(root->keys[i], "defaults") &&
		    strcmp(root->keys[i], "cells") &&
		    strcmp(root->keys[i], "driver") &&
		    strcmp(root->keys[i], "crypto") &&
		    strcmp(root->keys[i], "max_wall")) {
			fail_at(why, whylen, c, root->key_lines[i],
				"unknown key '%s' (name, driver, crypto, "
				"max_wall, defaults, cells)",
				root->keys[i]);
			goto out;
		}
	c->max_wall_us = CAMPAIGN_DEFAULT_MAX_WALL_US;
	v = conf_get(root, "max_wall");
	if (v && parse_max_wall(c, v, v->line, &c->max_wall_us, why, whylen))
		goto out;
	v = conf_get(root, "name");
	snprintf(c->name, sizeof c->name, "%s",
		 v && v->kind == CONF_SCALAR ? v->text : "campaign");
	v = conf_get(root, "driver");
	snprintf(c->driver, sizeof c->driver, "sim");
	if (v && (v->kind != CONF_SCALAR ||
		  (strcmp(v->text, "sim") && strcmp(v->text, "zmq")))) {
		fail_at(why, whylen, c, v->line,
			"driver: '%.20s' is not sim (the simulator) or zmq "
			"(real processes)",
			v->kind == CONF_SCALAR ? v->text : "?");
		goto out;
	}
	if (v)
		snprintf(c->driver, sizeof c->driver, "%s", v->text);
	/* A real run has a wall-clock limit of its own (its max_time, at
	 * most a minute, and then the judging): max_wall comes after it. */
	if (!conf_get(root, "max_wall") && !strcmp(c->driver, "zmq"))
		c->max_wall_us = CAMPAIGN_DEFAULT_MAX_WALL_ZMQ_US;
	v = conf_get(root, "defaults");
	c->defaults = conf_new_map();
	if (!c->defaults)
		goto out;
	if (v) {
		if (v->kind != CONF_MAP) {
			fail_at(why, whylen, c, v->line,
				"defaults: expected scenario fields");
			goto out;
		}
		for (size_t i = 0; i < v->count; i++)
			if (take_field(c, c->defaults, v->keys[i], v->items[i],
				       v->key_lines[i], why, whylen))
				goto out;
	}
	/* crypto: at the top is every run's default, like driver: (a cell
	 * may still say otherwise). */
	v = conf_get(root, "crypto");
	if (v) {
		if (conf_get(c->defaults, "crypto")) {
			fail_at(why, whylen, c, v->line,
				"crypto: given at the top and in defaults");
			goto out;
		}
		if (take_field(c, c->defaults, "crypto", v, v->line, why,
			       whylen))
			goto out;
	}
	cells = conf_get(root, "cells");
	if (!cells || cells->kind != CONF_LIST || cells->count == 0) {
		fail_at(why, whylen, c, cells ? cells->line : 1,
			"cells: expected a list of cells");
		goto out;
	}
	if (cells->count > CAMPAIGN_MAX_CELLS) {
		fail_at(why, whylen, c, cells->line, "at most %d cells",
			CAMPAIGN_MAX_CELLS);
		goto out;
	}
	for (size_t i = 0; i < cells->count; i++) {
		if (cells->items[i]->kind != CONF_MAP) {
			fail_at(why, whylen, c, cells->items[i]->line,
				"a cell is a map (name:, protocol:, ...)");
			goto out;
		}
		c->ncells = i + 1;
		if (parse_cell(c, cells->items[i], &c->cells[i], why, whylen))
			goto out;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->cells[k].name, c->cells[i].name)) {
				fail_at(why, whylen, c, c->cells[i].line,
					"two cells are named '%s'",
					c->cells[i].name);
				goto out;
			}
	}
	rc = 0;
	if (count_runs(c, why, whylen) || check_configs(c, why, whylen) ||
	    keep_definition(c, root, why, whylen))
		rc = -1;
out:
	conf_free(root);
	return rc;
}

int campaign_load(const char *path, struct campaign *c, char *why,
		  size_t whylen)
{
	struct conf_node *root = NULL;

	memset(c, 0, sizeof *c);
	snprintf(c->path, sizeof c->path, "%s", path);
	if (conf_parse_file(path, &root, why, whylen))
		return -1;
	return load_root(root, c, why, whylen);
}

int campaign_load_text(const char *text, size_t len, const char *name,
		       struct campaign *c, char *why, size_t whylen)
{
	struct conf_node *root = NULL;

	memset(c, 0, sizeof *c);
	snprintf(c->path, sizeof c->path, "%s", name);
	if (conf_parse(text, len, name, &root, why, whylen))
		return -1;
	return load_root(root, c, why, whylen);
}

void campaign_free(struct campaign *c)
{
	conf_free(c->defaults);
	c->defaults = NULL;
	free(c->definition);
	c->definition = NULL;
	for (size_t i = 0; i < c->ncells; i++) {
		for (size_t k = 0; k < c->cells[i].nattacks; k++)
			free(c->cells[i].attacks[k]);
		for (size_t k = 0; k < c->cells[i].nwith; k++)
			free(c->cells[i].with[k]);
		c->cells[i].nwith = 0;
		conf_free(c->cells[i].overrides);
		c->cells[i].overrides = NULL;
		c->cells[i].nattacks = 0;
	}
	c->ncells = 0;
}
