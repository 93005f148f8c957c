/*
 * fuzz_campaign.c - libFuzzer target for campaign files: the YAML subset
 * (harness/conf.c) and the campaign reader over it (harness/campaign.c,
 * campaign_load_text, which is campaign_load without the file).
 *
 * Checked:
 *
 *   - a refusal says why ("NAME:LINE: what");
 *   - a text conf_parse accepts is written back by conf_emit (conf.h: any
 *     parsed tree can be), and that parses to the same tree;
 *   - an accepted campaign has runs; its first, middle and last run
 *     either build (campaign_run_spec) or say why not (the command checks
 *     every run before it starts), build the same twice, and the first
 *     and last have distinct ids; the run after the last does not build.
 *
 * Leaks are LeakSanitizer's. Built with -fsanitize=fuzzer for fuzzing, or
 * linked to corpus_main.c to replay tests/corpus/campaign (ok- files load
 * as campaigns, err- files are refused).
 */
#include "corpus.h"

#include "campaign.h"
#include "conf.h"
#include "scenario_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Larger inputs only test the size limit (conf.h: CONF_MAX_BYTES). */
#define FUZZ_MAX_INPUT (64u << 10)

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_campaign: %s%s%s\n", what, why ? ": " : "",
		why ? why : "");
	abort();
}

/* Same tree, lines aside. */
static bool same_tree(const struct conf_node *a, const struct conf_node *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == CONF_SCALAR)
		return !strcmp(a->text, b->text);
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if ((a->kind == CONF_MAP && strcmp(a->keys[i], b->keys[i])) ||
		    !same_tree(a->items[i], b->items[i]))
			return false;
	return true;
}

static void check_conf(const uint8_t *data, size_t size)
{
	struct conf_node *root = NULL, *again = NULL;
	char why[512], *text = NULL;
	size_t len = 0;
	FILE *f;

	why[0] = '\0';
	if (conf_parse((const char *)data, size, "fuzz.yaml", &root, why,
		       sizeof why)) {
		if (!why[0] || root)
			fail("conf_parse refused without saying why", NULL);
		return;
	}
	f = open_memstream(&text, &len);
	if (!f)
		fail("open_memstream", NULL);
	if (conf_emit(f, root))
		fail("conf_emit cannot write a parsed tree", NULL);
	if (fclose(f))
		fail("fclose", NULL);
	if (conf_parse(text, len, "emitted.yaml", &again, why, sizeof why)) {
		fprintf(stderr, "%s", text);
		fail("conf_emit's text does not parse", why);
	}
	if (!same_tree(root, again)) {
		fprintf(stderr, "%s", text);
		fail("conf_emit's text parses to another tree", NULL);
	}
	conf_free(root);
	conf_free(again);
	free(text);
}

/*
 * Build run k: it may not build (the command checks every run before it
 * starts: a bad scenario, e.g. a crash of replica 3 at n = 3, is bad
 * input), but then it says why; if it builds, it has an id, and building
 * it again gives the same run. Whether it built.
 */
static bool build_run(const struct campaign *c, uint64_t k, struct run_spec *s)
{
	struct run_spec *again = malloc(sizeof *again);
	json_t *j1, *j2;
	char why[512];
	bool built;

	if (!again)
		fail("out of memory", NULL);
	why[0] = '\0';
	built = campaign_run_spec(c, k, s, why, sizeof why) == 0;
	if (!built && !why[0])
		fail("a run does not build, and no why", NULL);
	if (built) {
		if (!s->id[0] ||
		    campaign_run_spec(c, k, again, why, sizeof why))
			fail("a run without an id, or that builds only once",
			     why);
		j1 = scenario_to_json(&s->sc);
		j2 = scenario_to_json(&again->sc);
		if (strcmp(s->id, again->id) || !j1 || !j2 ||
		    !json_equal(j1, j2))
			fail("a run built twice differs", s->id);
		json_decref(j1);
		json_decref(j2);
	}
	free(again);
	return built;
}

/* 0 if the text loads as a campaign, -1 if not; with check, the runs are
 * checked too. */
static int load_checked(const uint8_t *data, size_t size, bool check)
{
	struct campaign *c = malloc(sizeof *c);
	struct run_spec *s1 = malloc(sizeof *s1), *s2 = malloc(sizeof *s2);
	char why[512];
	uint64_t last;
	bool built1, built2;
	int rc;

	if (!c || !s1 || !s2)
		fail("out of memory", NULL);
	why[0] = '\0';
	rc = campaign_load_text((const char *)data, size, "fuzz.yaml", c, why,
				sizeof why);
	if (rc) {
		if (check && !why[0])
			fail("campaign_load_text refused without saying why",
			     NULL);
		goto out;
	}
	if (!check)
		goto out;
	if (c->nruns == 0 || c->nruns > CAMPAIGN_MAX_RUNS)
		fail("a campaign without runs, or with too many", NULL);
	last = c->nruns - 1;
	built1 = build_run(c, 0, s1);
	built2 = build_run(c, last, s2);
	if (last && built1 && built2 && !strcmp(s1->id, s2->id))
		fail("the first and the last run have the same id", s1->id);
	(void)build_run(c, last / 2, s1);
	if (!campaign_run_spec(c, c->nruns, s1, why, sizeof why))
		fail("a run after the last can be built", NULL);
out:
	campaign_free(c);
	free(c);
	free(s1);
	free(s2);
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* libFuzzer only (the corpus replay keeps the real cap): loading builds
 * and checks every run, so a campaign of thousands of runs takes seconds
 * in an instrumented build and reads as a hang; fuzz campaigns of at most
 * 2,000 runs (the committed threshold and ci files are replayed in full by
 * the campaign-corpus test). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	campaign_max_runs = 2000;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	check_conf(data, size);
	(void)load_checked(data, size, true);
	return 0;
}

static int outcome(int expect, const uint8_t *data, size_t len)
{
	(void)expect;
	return load_checked(data, len, false);
}

const struct corpus_target corpus_target = {
    "campaign", CONF_MAX_BYTES + 1, false, NULL, NULL, outcome,
};
