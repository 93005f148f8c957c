/*
 * junit.c - a campaign's results as JUnit XML (junit.h).
 */
#include "junit.h"

#include "markup.h"
#include "outfile.h"
#include "summary.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *str_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static int64_t int_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* One (cell, protocol, n, b): what the threshold table judges, per cell. */
struct jgroup {
	const char *cell, *protocol, *expect;
	int64_t n, b;
	size_t runs, unsafe, not_live, errors, unexpected, no_verdict;
	double seconds;
};

#define JUNIT_MAX_GROUPS 4096

static struct jgroup *group_of(struct jgroup *g, size_t *ng, const json_t *r)
{
	const char *cell = str_of(r, "cell"), *proto = str_of(r, "protocol");
	int64_t n = int_of(r, "n"), b = int_of(r, "b");

	for (size_t k = 0; k < *ng; k++)
		if (!strcmp(g[k].cell, cell) && !strcmp(g[k].protocol, proto) &&
		    g[k].n == n && g[k].b == b)
			return &g[k];
	if (*ng == JUNIT_MAX_GROUPS)
		return NULL;
	memset(&g[*ng], 0, sizeof g[*ng]);
	g[*ng].cell = cell;
	g[*ng].protocol = proto;
	g[*ng].expect = str_of(r, "expect");
	g[*ng].n = n;
	g[*ng].b = b;
	return &g[(*ng)++];
}

/* NULL when the group met its expectation (summary_met: the threshold
 * table's rule), else why not, in words. */
static const char *group_failure(const struct jgroup *g, char *buf, size_t cap)
{
	unsigned e = summary_expect_bits(g->expect);

	if (summary_met(e, g->errors, g->unexpected, g->unsafe, g->not_live))
		return NULL;
	if (g->errors)
		snprintf(buf, cap, "%zu of %zu runs ended in an error",
			 g->errors, g->runs);
	else if (g->unexpected)
		snprintf(buf, cap, "%zu of %zu runs missed the expectation",
			 g->unexpected, g->runs);
	else if ((e & SUMMARY_EXPECT_SAFE) && g->unsafe)
		snprintf(buf, cap, "safety broken in %zu of %zu runs",
			 g->unsafe, g->runs);
	else if ((e & SUMMARY_EXPECT_LIVE) && g->not_live)
		snprintf(buf, cap, "not live in %zu of %zu runs", g->not_live,
			 g->runs);
	else
		snprintf(buf, cap,
			 "violation-found expected, none found in %zu runs",
			 g->runs);
	return buf;
}

static void write_group(FILE *f, const char *campaign, const struct jgroup *g)
{
	char why[160];
	const char *fail = group_failure(g, why, sizeof why);

	fprintf(f, "    <testcase classname=\"");
	markup_text(f, campaign);
	fputc('.', f);
	markup_text(f, g->cell);
	fprintf(f, "\" name=\"");
	markup_text(f, g->protocol);
	fprintf(f, " n=%" PRId64 " b=%" PRId64 " expect ", g->n, g->b);
	markup_text(f, g->expect);
	fprintf(f, " (%zu runs)\" time=\"%.3f\"", g->runs, g->seconds);
	if (!fail && !g->no_verdict) {
		fprintf(f, "/>\n");
		return;
	}
	fprintf(f, ">\n");
	if (fail) {
		fprintf(f, "      <failure type=\"expectation\" message=\"");
		markup_text(f, fail);
		fprintf(f, "\"/>\n");
	} else {
		fprintf(f,
			"      <error type=\"no-verdict\" message=\"%zu of %zu "
			"runs without a verdict (harness error or wall-clock "
			"limit)\"/>\n",
			g->no_verdict, g->runs);
	}
	fprintf(f, "    </testcase>\n");
}

/* A run with a failure file: a test case that fails when the run missed
 * its expectation (or had no verdict), passes otherwise (an expected
 * violation), and says how to replay it. */
static void write_failure(FILE *f, const char *campaign, const char *dir,
			  const json_t *r)
{
	const json_t *met = json_object_get(r, "met");
	const char *v = str_of(r, "verdict");
	bool bad = json_is_false(met) || !strcmp(v, "error");

	fprintf(f, "    <testcase classname=\"");
	markup_text(f, campaign);
	fputc('.', f);
	markup_text(f, str_of(r, "cell"));
	fprintf(f, ".failures\" name=\"");
	markup_text(f, str_of(r, "id"));
	fprintf(f, "\" time=\"%.3f\">\n",
		json_number_value(json_object_get(r, "wall_seconds")));
	if (bad) {
		fprintf(f, "      <failure type=\"%s\" message=\"",
			json_is_false(json_object_get(r, "safe")) ? "safety"
			: !strcmp(v, "error")			  ? "error"
								  : "liveness");
		markup_text(f, str_of(r, "why"));
		fprintf(f, "\"/>\n");
	}
	fprintf(f, "      <system-out>");
	markup_text(f, str_of(r, "why"));
	fprintf(f, "\nexpected: ");
	markup_text(f, str_of(r, "expect"));
	fprintf(f, "\nreplay: byzlab replay ");
	markup_text(f, dir);
	fputc('/', f);
	markup_text(f, str_of(r, "failure"));
	fprintf(f, "</system-out>\n    </testcase>\n");
}

int junit_write(const char *path, const char *dir, const char *campaign,
		json_t *records, char *why, size_t whylen)
{
	struct jgroup *g = calloc(JUNIT_MAX_GROUPS, sizeof *g);
	char *buf = NULL;
	size_t len = 0, ng = 0, i, tests = 0, failures = 0, errors = 0;
	FILE *f;
	json_t *r;
	int rc;

	if (!g || !(f = open_memstream(&buf, &len))) {
		free(g);
		snprintf(why, whylen, "cannot write '%s': out of memory", path);
		return -1;
	}
	json_array_foreach(records, i, r)
	{
		struct jgroup *gr = group_of(g, &ng, r);
		const json_t *live = json_object_get(r, "live");
		if (!gr)
			continue;
		gr->runs++;
		gr->seconds +=
		    json_number_value(json_object_get(r, "wall_seconds"));
		if (summary_no_verdict(r)) {
			gr->no_verdict++;
			continue;
		}
		gr->errors += !strcmp(str_of(r, "verdict"), "error");
		gr->unexpected += json_is_false(json_object_get(r, "met"));
		gr->unsafe += json_is_false(json_object_get(r, "safe"));
		gr->not_live += json_is_false(live);
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	/* Counts first, into the root's attributes: one pass to count. */
	for (size_t k = 0; k < ng; k++) {
		char w[160];
		tests++;
		failures += group_failure(&g[k], w, sizeof w) != NULL;
		errors += !group_failure(&g[k], w, sizeof w) && g[k].no_verdict;
	}
	json_array_foreach(records, i, r)
	{
		if (!json_object_get(r, "failure"))
			continue;
		tests++;
		failures += json_is_false(json_object_get(r, "met")) ||
			    !strcmp(str_of(r, "verdict"), "error");
	}
	fprintf(f, "<testsuites name=\"");
	markup_text(f, campaign);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", tests,
		failures, errors);
	/* A suite per cell, in the order cells first appear. */
	for (size_t k = 0; k < ng; k++) {
		bool first = true;
		size_t st = 0, sf = 0, se = 0;
		char w[160];
		for (size_t j = 0; j < k && first; j++)
			first = strcmp(g[j].cell, g[k].cell) != 0;
		if (!first)
			continue;
		for (size_t j = k; j < ng; j++)
			if (!strcmp(g[j].cell, g[k].cell)) {
				st++;
				sf += group_failure(&g[j], w, sizeof w) != NULL;
				se += !group_failure(&g[j], w, sizeof w) &&
				      g[j].no_verdict;
			}
		json_array_foreach(records, i, r)
		{
			if (!json_object_get(r, "failure") ||
			    strcmp(str_of(r, "cell"), g[k].cell))
				continue;
			st++;
			sf += json_is_false(json_object_get(r, "met")) ||
			      !strcmp(str_of(r, "verdict"), "error");
		}
		fprintf(f, "  <testsuite name=\"");
		markup_text(f, g[k].cell);
		fprintf(f,
			"\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
			st, sf, se);
		for (size_t j = k; j < ng; j++)
			if (!strcmp(g[j].cell, g[k].cell))
				write_group(f, campaign, &g[j]);
		json_array_foreach(records, i, r)
		{
			if (json_object_get(r, "failure") &&
			    !strcmp(str_of(r, "cell"), g[k].cell))
				write_failure(f, campaign, dir, r);
		}
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
	if (fclose(f)) {
		free(buf);
		free(g);
		snprintf(why, whylen, "cannot write '%s': out of memory", path);
		return -1;
	}
	rc = outfile_write(path, buf, len, 0666, 0, why, whylen);
	free(buf);
	free(g);
	return rc;
}
