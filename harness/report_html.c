/*
 * report_html.c - a results directory as one HTML page (report_html.h).
 *
 * The page is composed in memory and written atomically. Everything it
 * shows comes from files of the directory (runs.jsonl, failures/,
 * selftest.json), which are read as untrusted input: sizes bounded, every
 * string escaped, a field of the wrong type read as absent.
 */
#include "report_html.h"

#include "err.h"
#include "manifest.h"
#include "markup.h"
#include "outfile.h"
#include "summary.h"

#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A failure file larger than this is not read (ours are a few KiB). */
#define FAILURE_MAX_BYTES (4u << 20)
/* A chart file beside a failure larger than this is not inlined. */
#define CHART_MAX_BYTES (4u << 20)
/* Failure files listed at most (the rest are counted). */
#define FAILURES_MAX 100000

static const char *str_of(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static int64_t int_of(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static double num_of(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : 0.0;
}

static bool is_file(const char *path, off_t max)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && st.st_size <= max;
}

/* A JSON document of at most FAILURE_MAX_BYTES, or NULL. */
static json_t *load_small(const char *path)
{
	json_error_t err;

	if (!is_file(path, FAILURE_MAX_BYTES))
		return NULL;
	return json_load_file(path, JSON_REJECT_DUPLICATES, &err);
}

static const char style[] =
    "body{font:14px/1.45 'DejaVu Sans',sans-serif;margin:24px auto;"
    "max-width:1180px;color:#1d1d1f;padding:0 16px}"
    "h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:32px;"
    "border-bottom:1px solid #ccc}h3{font-size:15px;margin-bottom:4px}"
    "table{border-collapse:collapse;margin:8px 0}"
    "td,th{border:1px solid #d0d0d0;padding:3px 8px;text-align:right}"
    "th{background:#f2f2f2}td.l,th.l{text-align:left}"
    ".ok{color:#17692c;font-weight:bold}.no{color:#b00020;font-weight:bold}"
    ".muted{color:#666}code,pre{font-family:'DejaVu Sans Mono',monospace;"
    "font-size:12.5px}pre{background:#f6f6f6;padding:8px;overflow-x:auto}"
    "code.cmd{background:#f0f0f0;padding:2px 5px;display:inline-block}"
    ".failure{border:1px solid #ddd;border-radius:6px;padding:4px 14px;"
    "margin:14px 0}.failure.unmet{border-color:#b00020}"
    ".chart{overflow-x:auto;border:1px solid #eee;margin:8px 0}"
    ".panels{display:flex;flex-wrap:wrap;gap:10px}"
    "nav a{margin-right:14px}";

static void head(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n"
	      "<title>",
	      f);
	markup_text(f, title);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
}

static void foot(FILE *f)
{
	fputs("<p class=\"muted\">Written by byzlab ", f);
	markup_text(f, manifest_version());
	fputs(" (<code>byzlab report campaign</code>). Self-contained: it "
	      "fetches nothing.</p>\n</body>\n</html>\n",
	      f);
}

/* "n=4, Byzantine {0,1}, 4 clients x 4 requests, attacks a; b, seed 3". */
static void scenario_line(FILE *f, const json_t *sc)
{
	json_t *v;
	size_t k;

	fprintf(f, "<code>");
	markup_text(f, str_of(sc, "protocol"));
	fprintf(f, "</code> n=%" PRId64 ", Byzantine {", int_of(sc, "n"));
	json_array_foreach(json_object_get(sc, "byzantine"), k, v)
	{
		if (json_is_integer(v))
			fprintf(f, "%s%" PRId64, k ? "," : "",
				(int64_t)json_integer_value(v));
	}
	fprintf(f, "}, %" PRId64 " clients &times; %" PRId64 " requests",
		int_of(sc, "clients"), int_of(sc, "requests"));
	fprintf(f, ", attacks <code>");
	if (!json_array_size(json_object_get(sc, "attacks")))
		fputs("none", f);
	json_array_foreach(json_object_get(sc, "attacks"), k, v)
	{
		if (k)
			fputs("; ", f);
		markup_text(f, json_string_value(v));
	}
	fprintf(f, "</code>, seed %" PRId64, int_of(sc, "seed"));
	if (*str_of(sc, "mutant")) {
		fputs(", mutant <code>", f);
		markup_text(f, str_of(sc, "mutant"));
		fputs("</code>", f);
	}
}

/* A chart file as an image (its ids cannot clash with the page's). */
static bool inline_chart_file(FILE *f, const char *svg_path)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789+/";
	FILE *in;
	unsigned char buf[3];
	size_t got;

	if (!is_file(svg_path, CHART_MAX_BYTES))
		return false;
	in = fopen(svg_path, "rb");
	if (!in)
		return false;
	fputs("<img alt=\"message sequence chart\" "
	      "src=\"data:image/svg+xml;base64,",
	      f);
	while ((got = fread(buf, 1, 3, in)) > 0) {
		unsigned v = (unsigned)buf[0] << 16 |
			     (got > 1 ? (unsigned)buf[1] << 8 : 0) |
			     (got > 2 ? buf[2] : 0);
		fputc(b64[v >> 18 & 63], f);
		fputc(b64[v >> 12 & 63], f);
		fputc(got > 1 ? b64[v >> 6 & 63] : '=', f);
		fputc(got > 2 ? b64[v & 63] : '=', f);
	}
	fclose(in);
	fputs("\">", f);
	return true;
}

struct page {
	FILE *f;
	const char *dir;
	const struct report_html_opts *o;
	size_t charts, charts_total;
};

/* path with ".json" replaced by ".svg". */
static void svg_beside(char *out, size_t cap, const char *json_path)
{
	size_t len = strlen(json_path);

	if (len > 5 && !strcmp(json_path + len - 5, ".json"))
		snprintf(out, cap, "%.*s.svg", (int)(len - 5), json_path);
	else
		snprintf(out, cap, "%s.svg", json_path);
}

static void chart_of(struct page *p, const char *path)
{
	char why[400] = "", prefix[32], svg[OUTFILE_PATH_MAX];

	if (p->charts >= p->charts_total) {
		fprintf(p->f,
			"<p class=\"muted\">Chart not drawn: the page "
			"draws at most %zu (<code>--max-charts</code>); "
			"<code>byzlab report chart</code> draws it.</p>\n",
			p->charts_total);
		return;
	}
	if (p->o->progress)
		p->o->progress(p->charts, p->charts_total);
	snprintf(prefix, sizeof prefix, "k%zu-", p->charts++);
	fputs("<div class=\"chart\">\n", p->f);
	if (p->o->chart) {
		/* The chart is drawn into a buffer first, so a failure leaves
		 * nothing half-written in the page. */
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		int rc = m ? p->o->chart(path, prefix, m, why, sizeof why)
			   : BYZ_ENOMEM;
		if (m && fclose(m))
			rc = BYZ_ENOMEM;
		if (!rc && text) {
			fwrite(text, 1, len, p->f);
			free(text);
			fputs("</div>\n", p->f);
			return;
		}
		free(text);
	}
	svg_beside(svg, sizeof svg, path);
	if (!inline_chart_file(p->f, svg)) {
		fputs("<p class=\"muted\">No chart: ", p->f);
		markup_text(p->f, why[0] ? why : "none was written beside it");
		fputs("</p>", p->f);
	}
	fputs("</div>\n", p->f);
}

/* The id of a record or failure as an HTML id. */
static void anchor(char *out, size_t cap, const char *kind, const char *id)
{
	size_t k = (size_t)snprintf(out, cap, "%s-", kind);

	for (; *id && k + 1 < cap; id++)
		out[k++] = (isalnum((unsigned char)*id) || *id == '-' ||
			    *id == '_' || *id == '.')
			       ? *id
			       : '_';
	out[k < cap ? k : cap - 1] = 0;
}

/*
 * One failure: what broke, the scenario (and the shrunk one, when there is
 * one), the command that replays it, its chart. path is the failure file;
 * met: whether its run met its expectation (a violation was expected).
 */
static void failure_section(struct page *p, const char *path,
			    const char *anchor_id, const char *title, int met)
{
	char shrunk[OUTFILE_PATH_MAX];
	json_t *doc = load_small(path), *sdoc = NULL;
	size_t len = strlen(path);
	FILE *f = p->f;

	if (len > 5 && !strcmp(path + len - 5, ".json"))
		snprintf(shrunk, sizeof shrunk, "%.*s.shrunk.json",
			 (int)(len - 5), path);
	else
		shrunk[0] = 0;
	if (shrunk[0])
		sdoc = load_small(shrunk);
	fprintf(f, "<section class=\"failure%s\" id=\"%s\">\n<h3>",
		met == 0 ? " unmet" : "", anchor_id);
	markup_text(f, title);
	fputs("</h3>\n", f);
	if (!doc) {
		fputs("<p class=\"no\">The failure file cannot be read: <code>",
		      f);
		markup_text(f, path);
		fputs("</code></p>\n</section>\n", f);
		json_decref(sdoc);
		return;
	}
	{
		json_t *res = json_object_get(doc, "result");
		fputs("<p><b>", f);
		markup_text(f, str_of(res, "verdict"));
		fputs("</b>: ", f);
		markup_text(f, str_of(res, "why"));
		fputs("<br>Expected <code>", f);
		markup_text(f, str_of(doc, "expect"));
		fprintf(f, "</code>: %s</p>\n",
			met < 0	   ? "(run not in runs.jsonl)"
			: met == 0 ? "<span class=\"no\">NOT met</span>"
			: strstr(str_of(doc, "expect"), "violation")
			    ? "<span class=\"ok\">met</span> (the violation "
			      "was expected)"
			    : "<span class=\"ok\">met</span>");
	}
	fputs("<p>Run: ", f);
	scenario_line(f, json_object_get(doc, "scenario"));
	fputs("</p>\n", f);
	if (sdoc) {
		fputs("<p>Shrunk: ", f);
		scenario_line(f, json_object_get(sdoc, "scenario"));
		if (*str_of(sdoc, "shrink_steps")) {
			fputs(" <span class=\"muted\">(", f);
			markup_text(f, str_of(sdoc, "shrink_steps"));
			fputs(")</span>", f);
		}
		fputs("</p>\n", f);
	}
	fputs("<p>Replay: <code class=\"cmd\">byzlab replay ", f);
	markup_text(f, sdoc ? shrunk : path);
	fputs("</code></p>\n", f);
	{
		char *text =
		    json_dumps(json_object_get(sdoc ? sdoc : doc, "scenario"),
			       JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fprintf(f, "<details><summary>The %sscenario</summary><pre>",
			sdoc ? "shrunk " : "");
		markup_text(f, text);
		fputs("</pre></details>\n", f);
		free(text);
	}
	chart_of(p, sdoc ? shrunk : path);
	fputs("</section>\n", f);
	json_decref(doc);
	json_decref(sdoc);
}

static void threshold_table(FILE *f, json_t *records)
{
	static struct summary_group g[SUMMARY_MAX_GROUPS];
	size_t ng = summary_groups(records, g, SUMMARY_MAX_GROUPS);
	json_t *missing = summary_cells_without_violation(records), *v;
	size_t i;

	fputs("<h2 id=\"threshold\">Threshold table</h2>\n"
	      "<p>Runs grouped by protocol, n and the number b of Byzantine "
	      "replicas. <i>Safety broken</i>: honest replicas disagreed, an "
	      "honest replica broke a rule of its protocol, a forged message "
	      "passed ingress or a core failed. <i>Not live</i>: a request not "
	      "committed within the bound after GST (of the runs judged).</p>\n"
	      "<table>\n<tr><th class=\"l\">protocol</th><th>n</th><th>f</th>"
	      "<th>b</th><th>runs</th><th>safety broken</th><th>not "
	      "live</th><th class=\"l\">expected</th><th>held</th>"
	      "<th class=\"l\">first violation</th></tr>\n",
	      f);
	for (size_t k = 0; k < ng; k++) {
		char ex[64], fa[200];
		bool met = summary_group_met(&g[k]);
		summary_expect_str(g[k].expect, ex, sizeof ex);
		fputs("<tr><td class=\"l\">", f);
		markup_text(f, g[k].protocol);
		fprintf(f,
			"</td><td>%" PRId64 "</td><td>%" PRId64
			"</td><td>%" PRId64 "</td><td>%zu</td>",
			g[k].n, g[k].f, g[k].b, g[k].runs);
		fprintf(f, "<td>%zu (%.1f%%)</td>", g[k].unsafe,
			100.0 * (double)g[k].unsafe / (double)g[k].runs);
		if (g[k].judged)
			fprintf(f, "<td>%zu (%.1f%%)</td>", g[k].not_live,
				100.0 * (double)g[k].not_live /
				    (double)g[k].judged);
		else
			fputs("<td>-</td>", f);
		fprintf(f,
			"<td class=\"l\">%s</td><td class=\"%s\">%s</td>"
			"<td class=\"l\">",
			ex, met ? "ok" : "no", met ? "yes" : "NO");
		if (g[k].first_violation_s >= 0) {
			anchor(fa, sizeof fa, "failure", g[k].first_id);
			fprintf(f, "<a href=\"#%s\">", fa);
			markup_text(f, g[k].first_id);
			fprintf(f, "</a> (virtual %.1f ms)",
				(double)g[k].min_violation_us / 1000.0);
		} else {
			fputs("-", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	json_array_foreach(missing, i, v)
	{
		if (!i)
			fputs("<p class=\"no\">Cells that expected a violation "
			      "and found none:</p><ul>\n",
			      f);
		fputs("<li>", f);
		markup_text(f, json_string_value(v));
		fputs("</li>\n", f);
		if (i + 1 == json_array_size(missing))
			fputs("</ul>\n", f);
	}
	json_decref(missing);
}

/*
 * The violation rate against b: one panel per protocol and n, a bar per b
 * for the share of runs that broke safety (red) and of the judged runs that
 * were not live (amber), with the threshold f marked: safety must hold up
 * to b = f and is expected to break beyond it.
 */
static void rate_panels(FILE *f, json_t *records)
{
	static struct summary_group g[SUMMARY_MAX_GROUPS];
	size_t ng = summary_groups(records, g, SUMMARY_MAX_GROUPS);
	size_t k = 0, panel = 0;

	fputs("<h2 id=\"rates\">Violation rate against b</h2>\n"
	      "<p>For each protocol and n: the share of runs that broke safety "
	      "(<span style=\"color:#c62828\">&#9632;</span>) and of the runs "
	      "judged that were not live (<span "
	      "style=\"color:#f9a825\">&#9632;</span>) at each number b of "
	      "Byzantine replicas. The dashed line is the threshold: safety "
	      "must hold for b &le; f, where f counts Byzantine faults; a "
	      "protocol of the crash model (its panel says so) tolerates no "
	      "Byzantine replica, and its line is at b = 1.</p>\n"
	      "<div class=\"panels\">\n",
	      f);
	while (k < ng) {
		size_t end = k;
		int64_t bmax = 0;
		while (end < ng && !strcmp(g[end].protocol, g[k].protocol) &&
		       g[end].n == g[k].n) {
			if (g[end].b > bmax)
				bmax = g[end].b;
			end++;
		}
		/* The most Byzantine replicas it must survive. */
		const struct byz_core_ops *ops = byz_core_find(g[k].protocol);
		bool crash = byz_faults(ops) == BYZ_FAULTS_CRASH;
		int64_t tol = crash ? 0 : g[k].f;
		if (bmax < tol + 1)
			bmax = tol + 1;
		if (bmax > 64)
			bmax = 64;
		{
			const double x0 = 44, y0 = 30, h = 110, bw = 28;
			double w = x0 + bw * (double)(bmax + 1) + 10;
			if (w < 180)
				w = 180;
			double fx = x0 + bw * (double)(tol + 1);
			fprintf(f,
				"<svg xmlns=\"http://www.w3.org/2000/svg\" "
				"class=\"rate\" width=\"%.0f\" height=\"%.0f\" "
				"role=\"img\" aria-label=\"violation rate\">\n",
				w, y0 + h + 36);
			fprintf(f, "<text x=\"4\" y=\"16\" font-size=\"13\" "
				   "font-weight=\"bold\">");
			markup_text(f, g[k].protocol);
			fprintf(f, " n=%" PRId64 " (f=%" PRId64 "%s)</text>\n",
				g[k].n, g[k].f, crash ? ", crash faults" : "");
			for (int t = 0; t <= 2; t++) {
				double y = y0 + h - h * t / 2.0;
				fprintf(f,
					"<line x1=\"%.0f\" x2=\"%.0f\" "
					"y1=\"%.1f\" y2=\"%.1f\" "
					"stroke=\"#ddd\"/><text x=\"%.0f\" "
					"y=\"%.1f\" font-size=\"10\" "
					"text-anchor=\"end\">%d%%</text>\n",
					x0, w - 10, y, y, x0 - 4, y + 3,
					t * 50);
			}
			for (size_t j = k; j < end; j++) {
				double x = x0 + bw * (double)g[j].b;
				double su = (double)g[j].unsafe /
					    (double)g[j].runs,
				       nl = g[j].judged
						? (double)g[j].not_live /
						      (double)g[j].judged
						: 0;
				if (g[j].b > bmax)
					continue;
				fprintf(f,
					"<rect class=\"unsafe\" x=\"%.1f\" "
					"y=\"%.1f\" width=\"11\" "
					"height=\"%.1f\" fill=\"#c62828\">"
					"<title>b=%" PRId64
					": %zu of %zu runs broke "
					"safety</title></rect>\n",
					x + 2, y0 + h - h * su, h * su, g[j].b,
					g[j].unsafe, g[j].runs);
				fprintf(f,
					"<rect class=\"notlive\" x=\"%.1f\" "
					"y=\"%.1f\" width=\"11\" "
					"height=\"%.1f\" fill=\"#f9a825\">"
					"<title>b=%" PRId64
					": %zu of %zu judged runs not "
					"live</title></rect>\n",
					x + 14, y0 + h - h * nl, h * nl, g[j].b,
					g[j].not_live, g[j].judged);
			}
			for (int64_t b = 0; b <= bmax; b++)
				fprintf(f,
					"<text x=\"%.1f\" y=\"%.0f\" "
					"font-size=\"10\" "
					"text-anchor=\"middle\">%" PRId64
					"</text>\n",
					x0 + bw * (double)b + 14, y0 + h + 13,
					b);
			fprintf(f,
				"<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" "
				"text-anchor=\"middle\">b</text>\n",
				x0 + bw * (double)(bmax + 1) / 2, y0 + h + 28);
			fprintf(f,
				"<line class=\"threshold\" x1=\"%.1f\" "
				"x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" "
				"stroke=\"#333\" stroke-dasharray=\"4 3\"/>"
				"<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\">"
				"f</text>\n</svg>\n",
				fx, fx, y0 - 6, y0 + h, fx - 9, y0 + 2);
		}
		panel++;
		k = end;
	}
	fputs("</div>\n", f);
	if (!panel)
		fputs("<p class=\"muted\">No run with a verdict.</p>\n", f);
}

/* Runs per second: of the campaign's wall clock, and of run time. */
static void speed(FILE *f, json_t *records)
{
	struct {
		char protocol[16];
		size_t runs;
		double seconds, virtual_s;
		uint64_t events;
	} p[16];
	size_t np = 0, i, runs = 0;
	double elapsed = 0, total = 0;
	json_t *r;

	json_array_foreach(records, i, r)
	{
		const char *proto = str_of(r, "protocol");
		size_t k;
		double el = num_of(r, "elapsed_s");
		if (el > elapsed)
			elapsed = el;
		runs++;
		for (k = 0; k < np; k++)
			if (!strcmp(p[k].protocol, proto))
				break;
		if (k == np) {
			if (np == sizeof p / sizeof p[0])
				continue;
			memset(&p[np], 0, sizeof p[np]);
			snprintf(p[np].protocol, sizeof p[np].protocol, "%s",
				 proto);
			np++;
		}
		p[k].runs++;
		p[k].seconds += num_of(r, "wall_seconds");
		p[k].virtual_s += (double)int_of(r, "virtual_us") / 1e6;
		p[k].events += (uint64_t)int_of(r, "events");
		total += num_of(r, "wall_seconds");
	}
	fputs("<h2 id=\"speed\">Runs per second</h2>\n", f);
	if (elapsed > 0)
		fprintf(f,
			"<p>%zu runs; the last finished %.1f s into its "
			"campaign invocation: <b>%.1f runs/s</b> of wall "
			"clock (all workers; a resumed campaign counts its "
			"last invocation's clock only).</p>\n",
			runs, elapsed, (double)runs / elapsed);
	fputs("<table>\n<tr><th class=\"l\">protocol</th><th>runs</th>"
	      "<th>run time (s)</th><th>runs per second of run time</th>"
	      "<th>mean run (ms)</th><th>mean events</th>"
	      "<th>mean virtual time (ms)</th></tr>\n",
	      f);
	for (size_t k = 0; k < np; k++) {
		fputs("<tr><td class=\"l\">", f);
		markup_text(f, p[k].protocol);
		fprintf(f,
			"</td><td>%zu</td><td>%.2f</td><td>%.1f</td>"
			"<td>%.2f</td><td>%.0f</td><td>%.1f</td></tr>\n",
			p[k].runs, p[k].seconds,
			p[k].seconds > 0 ? (double)p[k].runs / p[k].seconds : 0,
			1000 * p[k].seconds / (double)p[k].runs,
			(double)p[k].events / (double)p[k].runs,
			1000 * p[k].virtual_s / (double)p[k].runs);
	}
	fprintf(f,
		"</table>\n<p class=\"muted\">Run time: %.2f s in all, "
		"the sum of each run's own wall clock.</p>\n",
		total);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The failure files of dir/failures (the shrunk ones are shown with their
 * original), those that missed their expectation first, then by name.
 */
static void failures(struct page *p, json_t *records)
{
	char path[OUTFILE_PATH_MAX];
	json_t *by_id = json_object(), *r;
	char **names = NULL;
	size_t count = 0, cap = 0, i, unmet = 0, shown = 0, max;
	DIR *d;
	struct dirent *e;
	FILE *f = p->f;

	max = p->o->max_failures ? p->o->max_failures : 200;
	json_array_foreach(records, i, r)
	{
		json_object_set(by_id, str_of(r, "id"), r);
	}
	snprintf(path, sizeof path, "%s/failures", p->dir);
	d = opendir(path);
	while (d && (e = readdir(d)) && count < FAILURES_MAX) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") ||
		    (len > 12 &&
		     !strcmp(e->d_name + len - 12, ".shrunk.json")) ||
		    e->d_name[0] == '.')
			continue;
		if (count == cap) {
			size_t nc = cap ? 2 * cap : 64;
			char **nn = realloc(names, nc * sizeof *names);
			if (!nn)
				break;
			names = nn;
			cap = nc;
		}
		/* "1" sorts the runs that missed their expectation first */
		{
			char id[256];
			snprintf(id, sizeof id, "%.*s", (int)(len - 5),
				 e->d_name);
			json_t *rec = json_object_get(by_id, id);
			bool miss = json_is_false(json_object_get(rec, "met"));
			unmet += miss;
			size_t need = len + 3;
			names[count] = malloc(need);
			if (!names[count])
				break;
			snprintf(names[count], need, "%c%s", miss ? '0' : '1',
				 e->d_name);
			count++;
		}
	}
	if (d)
		closedir(d);
	qsort(names, count, sizeof *names, cmp_str);
	fprintf(f,
		"<h2 id=\"failures\">Failures</h2>\n<p>%zu failure file(s) "
		"in <code>failures/</code>: %zu of runs that missed their "
		"expectation (shown first, framed in red), %zu of runs whose "
		"violation was expected.",
		count, unmet, count - unmet);
	if (count > max)
		fprintf(
		    f,
		    " The first %zu are shown (<code>--max-failures</code>).",
		    max);
	fputs("</p>\n", f);
	for (i = 0; i < count; i++) {
		char id[256], a[300], file[OUTFILE_PATH_MAX];
		const char *name = names[i] + 1;
		if (shown < max) {
			json_t *rec;
			int met;
			snprintf(id, sizeof id, "%.*s", (int)(strlen(name) - 5),
				 name);
			rec = json_object_get(by_id, id);
			/* met is null for a violation-found run: judged
			 * by its cell, and a failure file of it shows the
			 * violation that was expected */
			met = !rec					   ? -1
			      : json_is_false(json_object_get(rec, "met")) ? 0
									   : 1;
			anchor(a, sizeof a, "failure", id);
			if ((size_t)snprintf(file, sizeof file, "%s/%s", path,
					     name) < sizeof file)
				failure_section(p, file, a, id, met);
			shown++;
		}
		free(names[i]);
	}
	free(names);
	json_decref(by_id);
}

static int campaign_page(struct page *p, char *why, size_t whylen)
{
	json_t *records = NULL, *r;
	size_t torn = 0, i, unsafe = 0, not_live = 0, unmet = 0, errors = 0;
	const char *name = "";
	FILE *f = p->f;

	if (summary_load_runs(p->dir, &records, &torn, why, whylen))
		return BYZ_EINVAL;
	json_array_foreach(records, i, r)
	{
		if (!*name)
			name = str_of(r, "campaign");
		unsafe += json_is_false(json_object_get(r, "safe"));
		not_live += json_is_false(json_object_get(r, "live"));
		unmet += json_is_false(json_object_get(r, "met"));
		errors += !strcmp(str_of(r, "verdict"), "error");
	}
	{
		char title[300];
		snprintf(title, sizeof title, "byzlab campaign %s", name);
		head(f, title);
	}
	fputs("<h1>Campaign ", f);
	markup_text(f, name);
	fputs("</h1>\n<p class=\"muted\">Results directory <code>", f);
	markup_text(f, p->dir);
	fputs("</code></p>\n<nav><a href=\"#threshold\">Threshold table</a>"
	      "<a href=\"#rates\">Violation rate</a><a href=\"#speed\">Runs "
	      "per second</a><a href=\"#failures\">Failures</a></nav>\n",
	      f);
	fprintf(f,
		"<p>%zu runs: %zu broke safety, %zu were not live, %zu "
		"errors; <span class=\"%s\">%zu did not meet their "
		"expectation</span>.%s</p>\n",
		json_array_size(records), unsafe, not_live, errors,
		unmet ? "no" : "ok", unmet,
		torn ? " A last line of runs.jsonl was cut short and is "
		       "left out."
		     : "");
	threshold_table(f, records);
	rate_panels(f, records);
	speed(f, records);
	failures(p, records);
	foot(f);
	json_decref(records);
	return 0;
}

/*
 * A self-test's directory: its mutants (selftest.json), each caught one
 * linked to the chart of the run that caught it, in the campaign directory
 * of that mutant (selftest.json's "dir").
 */
static int selftest_page(struct page *p, const char *path, char *why,
			 size_t whylen)
{
	json_error_t err;
	json_t *doc, *rows, *row;
	size_t i, caught = 0, mutants = 0;
	FILE *f = p->f;

	if (!is_file(path, FAILURE_MAX_BYTES)) {
		snprintf(why, whylen,
			 "%s: not a regular file of at most %u "
			 "bytes",
			 path, FAILURE_MAX_BYTES);
		return BYZ_EINVAL;
	}
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!doc) {
		snprintf(why, whylen, "%s:%d: %s", path, err.line, err.text);
		return BYZ_EINVAL;
	}
	rows = json_object_get(doc, "rows");
	if (!json_is_array(rows)) {
		snprintf(why, whylen, "%s: field 'rows' is not an array", path);
		json_decref(doc);
		return BYZ_EINVAL;
	}
	json_array_foreach(rows, i, row)
	{
		if (!*str_of(row, "mutant"))
			continue;
		mutants++;
		caught += json_is_true(json_object_get(row, "caught"));
	}
	head(f, "byzlab selftest");
	fputs("<h1>Self-test</h1>\n<p>Campaign <code>", f);
	markup_text(f, str_of(doc, "campaign"));
	fprintf(f,
		"</code>. Each mutant breaks one rule of its protocol; it "
		"is <i>caught</i> when a run misses its cell's expectation. "
		"<b>%zu of %zu mutants caught.</b> The baseline (no mutant) "
		"must miss nothing.</p>\n",
		caught, mutants);
	fputs("<table>\n<tr><th class=\"l\">protocol</th><th "
	      "class=\"l\">mutant</th><th>caught</th><th>runs</th>"
	      "<th class=\"l\">first failing run</th><th>after (s)</th></tr>\n",
	      f);
	json_array_foreach(rows, i, row)
	{
		const char *mut = str_of(row, "mutant");
		bool yes = json_is_true(json_object_get(row, "caught"));
		bool baseline = !*mut;
		char a[300], key[200];
		fputs("<tr><td class=\"l\">", f);
		markup_text(f, str_of(row, "protocol"));
		fputs("</td><td class=\"l\">", f);
		markup_text(f, baseline ? "(none: baseline)" : mut);
		if (baseline)
			fprintf(f, "</td><td class=\"%s\">%s</td>",
				yes ? "no" : "ok",
				yes ? "FALSE ALARM" : "no (passes)");
		else
			fprintf(f, "</td><td class=\"%s\">%s</td>",
				yes ? "ok" : "no", yes ? "yes" : "ESCAPED");
		fprintf(f, "<td>%" PRId64 "</td><td class=\"l\">",
			int_of(row, "runs"));
		snprintf(key, sizeof key, "%s-%s", str_of(row, "protocol"),
			 baseline ? "baseline" : mut);
		anchor(a, sizeof a, "mutant", key);
		if (*str_of(row, "first")) {
			fprintf(f, "<a href=\"#%s\">", a);
			markup_text(f, str_of(row, "first"));
			fputs("</a>", f);
		}
		fprintf(f, "</td><td>%.1f</td></tr>\n", num_of(row, "after_s"));
	}
	fputs("</table>\n<h2 id=\"charts\">The runs that caught them</h2>\n",
	      f);
	json_array_foreach(rows, i, row)
	{
		const char *mut = str_of(row, "mutant"),
			   *first = str_of(row, "first"),
			   *sub = str_of(row, "dir");
		char a[300], key[200], file[OUTFILE_PATH_MAX], title[300];
		if (!*first || !*sub || strchr(sub, '/') ||
		    strchr(first, '/') || !strcmp(sub, "..") ||
		    !strcmp(sub, "."))
			continue;
		snprintf(key, sizeof key, "%s-%s", str_of(row, "protocol"),
			 *mut ? mut : "baseline");
		anchor(a, sizeof a, "mutant", key);
		if ((size_t)snprintf(file, sizeof file,
				     "%s/%s/failures/%s.json", p->dir, sub,
				     first) >= sizeof file)
			continue;
		snprintf(title, sizeof title, "%s %s: %s",
			 str_of(row, "protocol"), *mut ? mut : "baseline",
			 first);
		failure_section(p, file, a, title, 0);
	}
	foot(f);
	json_decref(doc);
	return 0;
}

int report_html_write(const char *dir, const char *out_path,
		      const struct report_html_opts *o, char *why,
		      size_t whylen)
{
	static const struct report_html_opts none = {0};
	char path[OUTFILE_PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	struct page p = {0};
	int rc;

	p.dir = dir;
	p.o = o ? o : &none;
	p.charts_total = p.o->max_charts ? p.o->max_charts : 24;
	p.f = open_memstream(&text, &len);
	if (!p.f) {
		snprintf(why, whylen, "out of memory");
		return BYZ_ENOMEM;
	}
	snprintf(path, sizeof path, "%s/selftest.json", dir);
	if (is_file(path, FAILURE_MAX_BYTES))
		rc = selftest_page(&p, path, why, whylen);
	else
		rc = campaign_page(&p, why, whylen);
	if (fclose(p.f) || !text) {
		free(text);
		snprintf(why, whylen, "out of memory");
		return BYZ_ENOMEM;
	}
	if (!rc && outfile_write(out_path, text, len, 0666, 0, why, whylen))
		rc = BYZ_EIO;
	free(text);
	return rc;
}
