/*
 * test_shrink.c - the shrinker's candidates may run anywhere, in any
 * order (shrink.h, shrinkpool.h): whatever the window and whichever order
 * the results come in, the shrunk failure, its result, the tries, the
 * kept steps and the progress lines are those of the serial algorithm.
 */
#include "failure.h"
#include "scenario_io.h"
#include "shrink.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The failures of the corpus to shrink (tests/corpus/failure). */
static const char *const failures[] = {
    "ok-beyond-pbft.json",
    "ok-beyond-hotstuff.json",
    "ok-multi-pbft.json",
    "ok-multi-tamper.json",
};

static void load(const char *name, struct failure *fl)
{
	char path[1024], why[512];
	const char *src = getenv("BYZLAB_SRC");

	snprintf(path, sizeof path, "%s/tests/corpus/failure/%s",
		 src ? src : ".", name);
	cr_assert_eq(failure_read(path, fl, NULL, why, sizeof why), 0, "%s",
		     why);
}

/* What a shrink gave, as text: the scenario, the result's hash and why,
 * tries, kept, steps and the progress lines. */
static char *summary(const struct shrink_result *sr, const char *progress)
{
	json_t *sc = scenario_to_json(&sr->sc);
	char *j = json_dumps(sc, JSON_SORT_KEYS | JSON_COMPACT), *s = NULL;
	size_t len = strlen(j) + strlen(progress) + 4096;

	s = malloc(len);
	snprintf(s, len, "%s\n%s %s %u %u\n%s\n%s", j, sr->res.trace_hash,
		 sr->res.why, sr->tries, sr->kept, sr->steps, progress);
	free(j);
	json_decref(sc);
	return s;
}

/* The serial shrink, as failure_shrink does it. */
static char *serial(const struct failure *fl)
{
	static struct shrink_result sr;
	static struct scenario_result res;
	char *buf = NULL, *s;
	size_t len = 0;
	FILE *progress = open_memstream(&buf, &len);

	scenario_run(&fl->sc, NULL, &res);
	cr_assert_eq(shrink_scenario(&fl->sc, &res, progress, &sr), 0);
	fclose(progress);
	cr_assert_gt(sr.kept, 0, "the failure shrinks by something");
	s = summary(&sr, buf);
	free(buf);
	return s;
}

/* A pool as a shrinker meets it: up to `window` candidates out, each
 * result given back in an order drawn from seed (the first run again of
 * the failure too). *thrown: the results it threw away (of candidates
 * run ahead of one that was kept). */
static char *scrambled(const struct failure *fl, size_t window, uint32_t seed,
		       unsigned *thrown)
{
	static struct shrink_result sr;
	static struct scenario_result res;
	struct shrinker k;
	struct {
		uint64_t ticket;
		struct scenario sc;
	} *out = calloc(window, sizeof *out);
	size_t nout = 0;
	char *buf = NULL, *s;
	size_t len = 0;
	FILE *progress = open_memstream(&buf, &len);
	uint32_t x = seed | 1;

	shrinker_init(&k, &fl->sc, NULL, window, progress, &sr);
	for (;;) {
		const struct scenario *c;
		uint64_t t;
		size_t pick;
		while (nout < window && (c = shrinker_next(&k, &t))) {
			out[nout].ticket = t;
			out[nout].sc = *c;
			nout++;
		}
		if (!nout)
			break;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pick = x % nout;
		int rc = scenario_run(&out[pick].sc, NULL, &res);
		shrinker_result(&k, out[pick].ticket, rc, &res);
		out[pick] = out[--nout];
	}
	cr_assert(shrinker_done(&k));
	cr_assert_eq(k.phase, SHRINK_DONE);
	cr_assert(!k.oom);
	*thrown = k.thrown;
	shrinker_free(&k);
	fclose(progress);
	s = summary(&sr, buf);
	free(buf);
	free(out);
	return s;
}

Test(shrink, any_window_any_order_gives_the_serial_result, .timeout = 600)
{
	static struct failure fl;
	unsigned thrown_all = 0;

	for (size_t f = 0; f < sizeof failures / sizeof failures[0]; f++) {
		char *want;
		load(failures[f], &fl);
		want = serial(&fl);
		static const size_t windows[] = {2, 5};
		for (size_t w = 0; w < 2; w++) {
			unsigned thrown = 0;
			char *got =
			    scrambled(&fl, windows[w],
				      (uint32_t)(7 * w + f + 1), &thrown);
			cr_expect_str_eq(got, want, "%s, window %zu",
					 failures[f], windows[w]);
			thrown_all += thrown;
			free(got);
		}
		free(want);
	}
	/* Candidates did run ahead of kept ones, and were thrown away. */
	cr_expect_gt(thrown_all, 0);
}

Test(shrink, the_window_bounds_the_candidates_out)
{
	static struct failure fl;
	load("ok-multi-pbft.json", &fl);
	{
		struct shrinker k;
		static struct shrink_result sr;
		uint64_t t1, t2;
		static struct scenario_result res;
		shrinker_init(&k, &fl.sc, NULL, 4, NULL, &sr);
		/* Only the run again is out at first. */
		cr_assert_not_null(shrinker_next(&k, &t1));
		cr_assert_null(shrinker_next(&k, &t2));
		scenario_run(&fl.sc, NULL, &res);
		shrinker_result(&k, t1, 0, &res);
		cr_assert_eq(k.phase, SHRINK_GOING);
		/* Then up to the window at once. */
		for (int i = 0; i < 4; i++)
			cr_assert_not_null(shrinker_next(&k, &t2));
		cr_assert_null(shrinker_next(&k, &t2));
		cr_assert_eq(k.handed, 5);
		/* A result no longer wanted (an unknown ticket) is ignored. */
		shrinker_result(&k, 999, 0, &res);
		cr_assert_eq(k.thrown, 0);
		cr_assert_eq(sr.tries, 0);
		cr_assert_eq(k.len, 4);
		shrinker_free(&k);
	}
}
