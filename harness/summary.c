/*
 * summary.c - a campaign's runs read back and summarised (summary.h).
 */
#include "summary.h"

#include "core.h"
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LINE_MAX_BYTES (8u << 20)

int summary_load_runs(const char *dir, json_t **records, size_t *torn,
		      char *why, size_t whylen)
{
	char path[1100];
	FILE *f;
	json_t *byid = json_object(), *arr = json_array();
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;

	*records = NULL;
	*torn = 0;
	snprintf(path, sizeof path, "%s/runs.jsonl", dir);
	f = fopen(path, "r");
	if (!f) {
		snprintf(why, whylen, "cannot read '%s': %s", path,
			 strerror(errno));
		json_decref(byid);
		json_decref(arr);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t err;
		json_t *rec, *id;
		lineno++;
		if (line[len - 1] != '\n' || (size_t)len > LINE_MAX_BYTES) {
			(*torn)++; /* cut short by an interruption */
			continue;
		}
		rec = json_loadb(line, (size_t)len, 0, &err);
		id = rec ? json_object_get(rec, "id") : NULL;
		if (!rec || !json_is_string(id)) {
			json_decref(rec);
			snprintf(why, whylen, "%s:%zu: not a run record%s%s",
				 path, lineno, rec ? "" : ": ",
				 rec ? "" : err.text);
			free(line);
			fclose(f);
			json_decref(byid);
			json_decref(arr);
			return -1;
		}
		if (!json_object_get(byid, json_string_value(id)))
			json_array_append(arr, rec);
		else
			for (size_t i = 0; i < json_array_size(arr); i++)
				if (json_equal(
					json_object_get(json_array_get(arr, i),
							"id"),
					id))
					json_array_set(arr, i, rec);
		json_object_set_new(byid, json_string_value(id), rec);
	}
	free(line);
	fclose(f);
	json_decref(byid);
	*records = arr;
	return 0;
}

/* ---- the threshold table ------------------------------------------------ */

/* What f counts for each protocol of the registry (its failure model),
 * one sentence, when one of them is not Byzantine: a crash-fault protocol's
 * rows at b >= 1 are beyond its model, whatever its f. */
static void fault_models(FILE *md)
{
	const struct byz_core_ops *const *p = byz_core_all();
	bool any = false, first = true;

	for (size_t i = 0; p[i]; i++)
		any |=
		    !p[i]->fixture && byz_faults(p[i]) != BYZ_FAULTS_BYZANTINE;
	if (!any)
		return;
	fprintf(md,
		" *f* counts the faults of each protocol's failure model: ");
	for (size_t i = 0; p[i]; i++) {
		if (p[i]->fixture)
			continue;
		fprintf(md, "%s%s %s (%s, %s)", first ? "" : "; ", p[i]->name,
			byz_faults_name(p[i]), byz_faults_covers(p[i]),
			byz_faults_rule(p[i]));
		first = false;
	}
	fprintf(md, ". A protocol of the crash model tolerates no Byzantine "
		    "replica: its rows at b >= 1 are beyond its model at any "
		    "f.");
}

/* Which Byzantine sets hold each protocol's first leader (replica L is
 * among 0..b-1 from b = L+1 on). */
static void leaders(FILE *md)
{
	const struct byz_core_ops *const *p = byz_core_all();
	bool first = true;

	for (size_t i = 0; p[i]; i++) {
		if (p[i]->fixture)
			continue;
		fprintf(md,
			"%s%s's first leader (replica %u) is among them "
			"from b = %u",
			first ? "" : "; ", p[i]->name, p[i]->first_leader,
			p[i]->first_leader + 1);
		first = false;
	}
}

unsigned summary_expect_bits(const char *s)
{
	unsigned e = 0;

	if (strstr(s, "safe"))
		e |= SUMMARY_EXPECT_SAFE;
	if (strstr(s, "live"))
		e |= SUMMARY_EXPECT_LIVE;
	if (strstr(s, "violation-found"))
		e |= SUMMARY_EXPECT_VIOLATION;
	if (strstr(s, "timely"))
		e |= SUMMARY_EXPECT_TIMELY;
	return e;
}

bool summary_met(unsigned expect, size_t errors, size_t unexpected,
		 size_t unsafe, size_t not_live)
{
	if (errors || unexpected)
		return false;
	if ((expect & SUMMARY_EXPECT_SAFE) && unsafe)
		return false;
	if ((expect & SUMMARY_EXPECT_LIVE) && not_live)
		return false;
	if ((expect & SUMMARY_EXPECT_VIOLATION) && !unsafe)
		return false;
	return true;
}

bool summary_group_met(const struct summary_group *g)
{
	return summary_met(g->expect, g->errors, g->unexpected, g->unsafe,
			   g->not_live);
}

static int group_cmp(const void *x, const void *y)
{
	const struct summary_group *a = x, *b = y;
	int c = strcmp(a->protocol, b->protocol);

	if (c)
		return c;
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static int64_t int_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/*
 * violation-found is also judged per cell: two cells that expect it for
 * the same protocol, n and b (one attack each, say) must each find one, or
 * a campaign would pass with only one attack working. Each (cell,
 * protocol, n, b) without an unsafe run is listed and fails the campaign.
 */
json_t *summary_cells_without_violation(json_t *records)
{
	json_t *seen = json_object(), *missing = json_array(), *r, *v;
	const char *key;
	size_t i;

	if (!seen || !missing) {
		json_decref(seen);
		json_decref(missing);
		return NULL;
	}
	json_array_foreach(records, i, r)
	{
		char k[256];
		if (!(summary_expect_bits(str_of(r, "expect")) &
		      SUMMARY_EXPECT_VIOLATION))
			continue;
		snprintf(k, sizeof k, "%s %s n=%" PRId64 " b=%" PRId64,
			 str_of(r, "cell"), str_of(r, "protocol"),
			 int_of(r, "n"), int_of(r, "b"));
		v = json_object_get(seen, k);
		if (!v || json_is_false(v))
			json_object_set_new(seen, k,
					    json_boolean(json_is_false(
						json_object_get(r, "safe"))));
	}
	json_object_foreach(seen, key, v)
	{
		if (!json_is_true(v))
			json_array_append_new(missing, json_string(key));
	}
	json_decref(seen);
	return missing;
}

static void cells_without_violation(json_t *records, FILE *md, FILE *out,
				    struct summary_totals *t)
{
	json_t *missing = summary_cells_without_violation(records), *v;
	size_t i;

	json_array_foreach(missing, i, v)
	{
		const char *key = json_string_value(v);
		if (!i)
			fprintf(md, "\n## Cells that found no violation\n\n");
		fprintf(md, "- cell %s: violation-found expected, none found\n",
			key);
		if (out)
			fprintf(out,
				"cell %s: violation-found expected, none "
				"found\n",
				key);
		t->all_met = false;
		t->groups_failed++;
	}
	json_decref(missing);
}

bool summary_no_verdict(const json_t *record)
{
	const char *v = json_string_value(json_object_get(record, "verdict"));

	return v && (!strcmp(v, "harness-error") || !strcmp(v, "wall-limit"));
}

size_t summary_groups(json_t *records, struct summary_group *g, size_t cap)
{
	size_t ng = 0, i;
	json_t *r;

	json_array_foreach(records, i, r)
	{
		struct summary_group *gr = NULL;
		if (summary_no_verdict(r))
			continue;
		const char *proto = str_of(r, "protocol");
		int64_t n = int_of(r, "n"), b = int_of(r, "b");
		json_t *live = json_object_get(r, "live"),
		       *met = json_object_get(r, "met");

		for (size_t k = 0; k < ng; k++)
			if (!strcmp(g[k].protocol, proto) && g[k].n == n &&
			    g[k].b == b)
				gr = &g[k];
		if (!gr) {
			if (ng == cap)
				continue;
			gr = &g[ng++];
			memset(gr, 0, sizeof *gr);
			snprintf(gr->protocol, sizeof gr->protocol, "%s",
				 proto);
			gr->n = n;
			gr->b = b;
			gr->f = int_of(r, "f");
			gr->first_violation_s = -1;
		}
		gr->runs++;
		gr->expect |= summary_expect_bits(str_of(r, "expect"));
		if (!strcmp(str_of(r, "verdict"), "error"))
			gr->errors++;
		if (json_is_false(met))
			gr->unexpected++;
		if (json_is_boolean(live)) {
			gr->judged++;
			gr->not_live += json_is_false(live);
		}
		if (json_is_false(json_object_get(r, "safe"))) {
			double el =
			    json_number_value(json_object_get(r, "elapsed_s"));
			int64_t vu = int_of(r, "violation_us");
			gr->unsafe++;
			if (gr->first_violation_s < 0 ||
			    el < gr->first_violation_s) {
				gr->first_violation_s = el;
				snprintf(gr->first_id, sizeof gr->first_id,
					 "%s", str_of(r, "id"));
			}
			if (vu && (!gr->min_violation_us ||
				   vu < gr->min_violation_us))
				gr->min_violation_us = vu;
		}
	}
	qsort(g, ng, sizeof *g, group_cmp);
	return ng;
}

static void pct(char *out, size_t cap, size_t k, size_t of)
{
	if (!of)
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%zu (%.1f%%)", k,
			 100.0 * (double)k / (double)of);
}

void summary_expect_str(unsigned e, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s%s%s%s%s", e & 1 ? "safe" : "",
		 (e & 1) && (e & 2) ? "+" : "", e & 2 ? "live" : "",
		 (e & 3) && (e & 8) ? "+" : "", e & 8 ? "timely" : "",
		 (e & 11) && (e & 4) ? "+" : "",
		 e & 4 ? "violation-found" : "");
}

/* The shrunk counterexamples in DIR/failures. */
static void list_shrunk(const char *dir, FILE *md, FILE *out)
{
	char path[1100];
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t count = 0;

	snprintf(path, sizeof path, "%s/failures", dir);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char **nn;
		if (len < 12 || strcmp(e->d_name + len - 12, ".shrunk.json"))
			continue;
		nn = realloc(names, (count + 1) * sizeof *names);
		if (!nn)
			break;
		names = nn;
		names[count] = strdup(e->d_name);
		if (names[count])
			count++;
	}
	closedir(d);
	for (size_t i = 1; i < count; i++)
		for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0;
		     k--) {
			char *t = names[k];
			names[k] = names[k - 1];
			names[k - 1] = t;
		}
	if (count) {
		fprintf(md, "\n## Shrunk counterexamples\n\n");
		if (out)
			fprintf(
			    out,
			    "\nShrunk counterexamples (byzlab replay FILE):\n");
	}
	for (size_t i = 0; i < count; i++) {
		json_t *doc, *sc, *atk, *v;
		json_error_t err;
		char file[1400], attacks[2048] = "", byz[512] = "";
		size_t k, len = 0, blen = 0;

		snprintf(file, sizeof file, "%s/%s", path, names[i]);
		doc = json_load_file(file, 0, &err);
		free(names[i]);
		if (!doc)
			continue;
		sc = json_object_get(doc, "scenario");
		atk = json_object_get(sc, "attacks");
		json_array_foreach(atk, k, v)
		{
			int w = snprintf(attacks + len, sizeof attacks - len,
					 "%s%s", k ? "; " : "",
					 json_string_value(v));
			if (w > 0 && (size_t)w < sizeof attacks - len)
				len += (size_t)w;
		}
		json_array_foreach(json_object_get(sc, "byzantine"), k, v)
		{
			int w = snprintf(byz + blen, sizeof byz - blen,
					 "%s%" PRId64, k ? "," : "",
					 (int64_t)json_integer_value(v));
			if (w > 0 && (size_t)w < sizeof byz - blen)
				blen += (size_t)w;
		}
		fprintf(md,
			"- `failures/%s`: %s n=%" PRId64
			", Byzantine {%s}, %" PRId64 " clients × %" PRId64
			" requests, attacks `%s`, seed %" PRId64
			"\n  - %s\n  - shrink steps: %s\n",
			file + strlen(path) + 1, str_of(sc, "protocol"),
			int_of(sc, "n"), byz, int_of(sc, "clients"),
			int_of(sc, "requests"), attacks[0] ? attacks : "none",
			int_of(sc, "seed"),
			str_of(json_object_get(doc, "result"), "why"),
			str_of(doc, "shrink_steps"));
		if (out)
			fprintf(out,
				"  %s\n    %s n=%" PRId64 " clients=%" PRId64
				" requests=%" PRId64 " attacks: %s\n    %s\n",
				file, str_of(sc, "protocol"), int_of(sc, "n"),
				int_of(sc, "clients"), int_of(sc, "requests"),
				attacks[0] ? attacks : "none",
				str_of(json_object_get(doc, "result"), "why"));
		json_decref(doc);
	}
	free(names);
}

/*
 * Rule coverage (issue #11): for each protocol with a catalog of mutants,
 * in how many of its runs each rule decided something at an honest replica
 * (the run's "rules"; named by the mutant that breaks the rule). A rule no
 * run exercised is a gap: no run of this campaign could tell that rule
 * from its mutant.
 */
static void rule_coverage(json_t *records, FILE *md, FILE *out)
{
	for (const struct byz_core_ops *const *p = byz_core_all(); *p; p++) {
		size_t runs = 0, used[64] = {0}, k, i, nrules = 0, gaps = 0;
		json_t *r;
		if (!(*p)->mutants)
			continue;
		json_array_foreach(records, i, r)
		{
			json_t *rules = json_object_get(r, "rules"), *e;
			size_t j;
			if (strcmp(str_of(r, "protocol"), (*p)->name) ||
			    !json_is_array(rules))
				continue;
			runs++;
			json_array_foreach(rules, j, e)
			{
				uint32_t m = json_is_string(e)
						 ? byz_mutant_find(
						       *p, json_string_value(e))
						 : 0;
				if (m && m <= 64)
					used[m - 1]++;
			}
		}
		if (!runs)
			continue;
		for (k = 1; byz_mutant_at(*p, k) && k <= 64; k++) {
			nrules++;
			gaps += !used[k - 1];
		}
		fprintf(md,
			"\n## Rule coverage: %s\n\nThe runs (of %zu) in which "
			"each safety rule decided something at an honest "
			"replica: the rule that mutant breaks "
			"(`byzlab selftest --list`). A rule no run exercised "
			"is a **gap**: no run here could tell it from its "
			"mutant.\n\n| rule (its mutant) | runs |\n|---|---|\n",
			(*p)->name, runs);
		for (k = 1; byz_mutant_at(*p, k) && k <= 64; k++)
			fprintf(md, "| `%s` | %s%zu%s |\n",
				byz_mutant_at(*p, k)->name,
				used[k - 1] ? "" : "**gap** ", used[k - 1], "");
		if (out) {
			fprintf(out,
				"\nrule coverage, %s: %zu of %zu rules "
				"exercised",
				(*p)->name, nrules - gaps, nrules);
			for (k = 1, i = 0; byz_mutant_at(*p, k) && k <= 64; k++)
				if (!used[k - 1])
					fprintf(out, "%s%s",
						i++ ? ", " : "; gaps: ",
						byz_mutant_at(*p, k)->name);
			fprintf(out, "\n");
		}
	}
}

struct summary_totals summary_write(const char *dir, const char *title,
				    const char *note, json_t *records,
				    FILE *out)
{
	static struct summary_group g[SUMMARY_MAX_GROUPS];
	struct summary_totals t = {0};
	size_t ng = summary_groups(records, g, SUMMARY_MAX_GROUPS), i;
	char path[1100];
	char *text = NULL;
	size_t textlen = 0;
	FILE *md;
	json_t *r;

	snprintf(path, sizeof path, "%s/summary.md", dir);
	/* Composed in memory, then written atomically (outfile.h). */
	md = open_memstream(&text, &textlen);
	if (!md)
		md = fopen("/dev/null", "w");
	t.all_met = true;
	t.groups = ng;
	json_array_foreach(records, i, r)
	{
		t.runs++;
		t.unsafe += json_is_false(json_object_get(r, "safe"));
		t.not_live += json_is_false(json_object_get(r, "live"));
		t.errors += !strcmp(str_of(r, "verdict"), "error");
		t.unexpected_runs += json_is_false(json_object_get(r, "met"));
		t.harness_errors +=
		    !strcmp(str_of(r, "verdict"), "harness-error");
		t.wall_limited += !strcmp(str_of(r, "verdict"), "wall-limit");
	}
	fprintf(md, "# Campaign %s\n\n%s\n\n", title, note);
	fprintf(md,
		"%zu runs: %zu broke safety, %zu were not live, %zu errors, "
		"%zu did not meet their expectation.%s\n\n",
		t.runs, t.unsafe, t.not_live, t.errors, t.unexpected_runs,
		t.harness_errors || t.wall_limited
		    ? " INCOMPLETE: some runs have no verdict (below)."
		    : "");
	fprintf(md, "## Threshold table\n\n"
		    "Byzantine replicas are 0..b-1: ");
	leaders(md);
	fprintf(
	    md,
	    ". *Safety broken*: a run in which honest replicas disagreed "
	    "(agreement, prefix, validity, no-duplicate, digests, vote-once, "
	    "certificates, new-view, lock, decide or causality checker), a "
	    "forged message passed ingress or a core failed. *Not live*: not "
	    "every request committed within the bound after GST (only runs "
	    "that were not stopped at a violation are judged).");
	fault_models(md);
	fprintf(md,
		"\n\n"
		"| protocol | n | f | b | runs | safety broken | not live | "
		"expected | held | first violation (campaign time) |\n"
		"|---|---|---|---|---|---|---|---|---|---|\n");
	if (out)
		fprintf(out, "\n%-9s %3s %2s %3s %6s  %-16s %-16s %-22s %s\n",
			"protocol", "n", "f", "b", "runs", "safety broken",
			"not live", "expected", "held");
	for (size_t k = 0; k < ng; k++) {
		char sb[40], nl[40], ex[48], fv[64] = "-";
		bool met = summary_group_met(&g[k]);
		pct(sb, sizeof sb, g[k].unsafe, g[k].runs);
		pct(nl, sizeof nl, g[k].not_live, g[k].judged);
		summary_expect_str(g[k].expect, ex, sizeof ex);
		if (g[k].first_violation_s >= 0)
			snprintf(fv, sizeof fv, "%.2f s wall (virtual %.1f ms)",
				 g[k].first_violation_s,
				 (double)g[k].min_violation_us / 1000.0);
		fprintf(md,
			"| %s | %" PRId64 " | %" PRId64 " | %" PRId64
			" | %zu | %s | %s | %s | %s | %s |\n",
			g[k].protocol, g[k].n, g[k].f, g[k].b, g[k].runs, sb,
			nl, ex, met ? "yes" : "**NO**", fv);
		if (out)
			fprintf(out,
				"%-9s %3" PRId64 " %2" PRId64 " %3" PRId64
				" %6zu  %-16s %-16s %-22s %s\n",
				g[k].protocol, g[k].n, g[k].f, g[k].b,
				g[k].runs, sb, nl, ex, met ? "yes" : "NO");
		if (!met) {
			t.all_met = false;
			t.groups_failed++;
		}
	}
	cells_without_violation(records, md, out, &t);
	list_shrunk(dir, md, out);
	rule_coverage(records, md, out);
	if (t.harness_errors || t.wall_limited) {
		size_t shown = 0;
		fprintf(md,
			"\n## Runs without a verdict\n\n%zu run(s) could not "
			"be carried out (harness errors) and %zu hit their "
			"wall-clock limit (max_wall); they are in no row of "
			"the table above.\n\n",
			t.harness_errors, t.wall_limited);
		json_array_foreach(records, i, r)
		{
			if (!summary_no_verdict(r))
				continue;
			if (shown++ == 50) {
				fprintf(md, "- ... (see runs.jsonl)\n");
				break;
			}
			fprintf(md, "- `%s` (%s): %s\n", str_of(r, "id"),
				str_of(r, "verdict"), str_of(r, "why"));
		}
	}
	if (t.unexpected_runs || t.errors) {
		size_t shown = 0;
		fprintf(md,
			"\n## Runs that did not meet their expectation\n\n");
		json_array_foreach(records, i, r)
		{
			if (!json_is_false(json_object_get(r, "met")) &&
			    strcmp(str_of(r, "verdict"), "error"))
				continue;
			if (shown++ == 50) {
				fprintf(md, "- ... (see runs.jsonl)\n");
				break;
			}
			fprintf(
			    md,
			    "- `%s` (expected %s): %s — `failures/%s.json`\n",
			    str_of(r, "id"), str_of(r, "expect"),
			    str_of(r, "why"), str_of(r, "id"));
		}
	}
	if (fclose(md) || !text)
		snprintf(t.write_error, sizeof t.write_error,
			 "cannot write '%s': out of memory", path);
	else /* on failure t.write_error says why */
		outfile_write(path, text, textlen, 0666, 0, t.write_error,
			      sizeof t.write_error);
	free(text);
	return t;
}
