/*
 * results.c - a campaign's results directory (results.h): opening it for a
 * new, resumed or forced campaign, the record of one run (and its failure
 * file), shrinking the campaign's violations, and merging shards.
 */
#include "results.h"

#include "chart.h"
#include "err.h"
#include "failure.h"
#include "manifest.h"
#include "outfile.h"
#include "scenario_io.h"
#include "shrink.h"
#include "shrinkpool.h"
#include "verdict.h"
#include "wall.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double results_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int mkdir_p(const char *dir)
{
	char buf[1024];
	size_t len = strlen(dir);

	if (len >= sizeof buf)
		return -1;
	strcpy(buf, dir);
	for (size_t i = 1; i <= len; i++)
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0777) && errno != EEXIST)
				return -1;
			buf[i] = c;
		}
	return 0;
}

/* Write all of buf (one line) to fd. */
int results_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

void results_missing_add(struct results_missing *m, const char *fmt, ...)
{
	va_list ap;

	if (m->n < RESULTS_MISSING_SHOWN) {
		va_start(ap, fmt);
		vsnprintf(m->what[m->n], sizeof m->what[m->n], fmt, ap);
		va_end(ap);
	}
	m->n++;
}

int results_append(int fd, const char *line, size_t len,
		   struct results_missing *m)
{
	const char *dir = m->dir ? m->dir : ".";
	json_t *rec = json_loadb(line, len, 0, NULL);
	const char *werr =
	    json_string_value(json_object_get(rec, "write_error"));
	off_t before;
	int e;

	if (werr) {
		const char *id = json_string_value(json_object_get(rec, "id"));
		results_missing_add(m,
				    "%s (run %s not recorded in "
				    "runs.jsonl; --resume runs it again)",
				    werr, id ? id : "?");
		m->runs_unrecorded++;
		json_decref(rec);
		return 1;
	}
	json_decref(rec);
	before = lseek(fd, 0, SEEK_END);
	if (before >= 0 && results_write_all(fd, line, len) == 0)
		return 0;
	e = errno;
	if (before >= 0 && ftruncate(fd, before) == 0)
		results_missing_add(m,
				    "cannot append to '%s/runs.jsonl': %s (no "
				    "more runs were started)",
				    dir, strerror(e));
	else
		results_missing_add(m,
				    "cannot append to '%s/runs.jsonl': %s (its "
				    "torn last line is not counted; no more "
				    "runs were started)",
				    dir, strerror(e));
	m->runs_unrecorded++;
	m->stopped = true;
	return -1;
}

/* ---- one run, in a worker ------------------------------------------------ */

/* Whether a run met its expectation: false/true, or NULL for a group-only
 * expectation (violation-found). */
static json_t *met_json(unsigned expect, const struct scenario_result *res)
{
	if (res->verdict == VERDICT_ERROR)
		return json_false();
	if ((expect & EXPECT_SAFE) && !res->safe)
		return json_false();
	if ((expect & EXPECT_LIVE) && res->live_judged && !res->live)
		return json_false();
	if ((expect & EXPECT_TIMELY) && res->live_judged && !res->timely)
		return json_false();
	if (expect & (EXPECT_SAFE | EXPECT_LIVE | EXPECT_TIMELY))
		return json_true();
	return json_null();
}

static void run_one_driver(const struct campaign *c, const char *out_dir,
			   struct run_spec *rs, char *keep, size_t keeplen,
			   struct scenario_result *res);

/* Run rs by the campaign's driver: the simulator, or the runner a real
 * driver installed (a failing real run keeps its folder under
 * OUT/real/ID). */
static void run_by_driver(const struct campaign *c, const char *out_dir,
			  struct run_spec *rs, struct scenario_result *res)
{
	char keep[1400];
	static volatile int wall_flag;

	/* The run's wall-clock limit raises its stop flag (wall.h); the
	 * verdict is then judged again knowing why it stopped. */
	wall_flag = 0;
	rs->sc.stop = &wall_flag;
	if (wall_arm(rs->max_wall_us, &wall_flag))
		fprintf(stderr,
			"byzlab campaign: no wall-clock limit for %s: %s\n",
			rs->id, strerror(errno));
	run_one_driver(c, out_dir, rs, keep, sizeof keep, res);
	wall_disarm();
	if (wall_hit() && res->sim.interrupted &&
	    res->verdict != VERDICT_ERROR) {
		res->wall_limited = true;
		res->max_wall_us = rs->max_wall_us;
		verdict_judge(res);
	}
}

static void run_one_driver(const struct campaign *c, const char *out_dir,
			   struct run_spec *rs, char *keep, size_t keeplen,
			   struct scenario_result *res)
{
	if (!strcmp(c->driver, "sim") || !c->driver[0]) {
		scenario_run_confirmed(&rs->sc, NULL, res);
		return;
	}
	if (!c->runner) {
		memset(res, 0, sizeof *res);
		res->verdict = VERDICT_ERROR;
		snprintf(res->why, sizeof res->why,
			 "driver %s: this program cannot run it", c->driver);
		return;
	}
	snprintf(keep, keeplen, "%s/real/%s", out_dir, rs->id);
	c->runner(&rs->sc, keep, res);
}

/* What every record of run k says about which run it is. */
static void record_identity(json_t *rec, const struct campaign *c,
			    const struct run_spec *rs, uint64_t k,
			    const char *exp, double t0)
{
	json_object_set_new(rec, "id", json_string(rs->id));
	json_object_set_new(rec, "index", json_integer((json_int_t)k));
	json_object_set_new(rec, "campaign", json_string(c->name));
	json_object_set_new(rec, "cell", json_string(c->cells[rs->cell].name));
	json_object_set_new(rec, "b", json_integer(rs->b));
	json_object_set_new(rec, "expect", json_string(exp));
	json_object_set_new(rec, "elapsed_s", json_real(results_now() - t0));
}

char *results_run_one(const struct campaign *c, const char *out_dir, uint64_t k,
		      double t0)
{
	struct run_spec rs;
	struct scenario_result res;
	char why[512], exp[64];
	json_t *rec, *met;
	char *line;

	if (campaign_run_spec(c, k, &rs, why, sizeof why)) {
		rec = json_pack("{s:s,s:I,s:s,s:s}", "id", "bad-run", "index",
				(json_int_t)k, "verdict", "error", "why", why);
	} else {
		run_by_driver(c, out_dir, &rs, &res);
		expect_text(rs.expect, exp, sizeof exp);
		rec = scenario_result_json(&rs.sc, &res);
		met = met_json(rs.expect, &res);
		record_identity(rec, c, &rs, k, exp, t0);
		if (res.verdict == VERDICT_WALL) {
			json_object_set_new(rec, "safe", json_null());
			json_object_set_new(rec, "live", json_null());
			json_decref(met);
			met = json_null();
		}
		if (!res.safe || json_is_false(met)) {
			char path[1400];
			json_t *doc =
			    failure_json(rs.id, c->name, exp, &rs.sc, &res);
			snprintf(path, sizeof path, "%s/failures/%s.json",
				 out_dir, rs.id);
			if (failure_write(path, doc, why, sizeof why)) {
				fprintf(stderr, "byzlab campaign: %s\n", why);
				json_object_set_new(rec, "write_error",
						    json_string(why));
			}
			json_decref(doc);
			snprintf(path, sizeof path, "failures/%s.json", rs.id);
			json_object_set_new(rec, "failure", json_string(path));
		}
		json_object_set_new(rec, "met", met);
		json_object_set_new(rec, "scenario", scenario_to_json(&rs.sc));
	}
	line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rec);
	return line;
}

char *results_harness_error(const struct campaign *c, uint64_t k,
			    const char *why, double t0)
{
	static struct run_spec rs;
	static struct scenario_result res;
	char inner[512], exp[64];
	json_t *rec;
	char *line;

	if (campaign_run_spec(c, k, &rs, inner, sizeof inner)) {
		rec = json_pack("{s:s,s:I,s:s,s:s}", "id", "bad-run", "index",
				(json_int_t)k, "verdict", "harness-error",
				"why", why);
	} else {
		memset(&res, 0, sizeof res);
		res.verdict = VERDICT_ERROR;
		res.driver = c->driver;
		expect_text(rs.expect, exp, sizeof exp);
		rec = scenario_result_json(&rs.sc, &res);
		json_object_set_new(rec, "verdict",
				    json_string("harness-error"));
		json_object_set_new(rec, "why", json_string(why));
		json_object_set_new(rec, "safe", json_null());
		json_object_set_new(rec, "live", json_null());
		record_identity(rec, c, &rs, k, exp, t0);
		json_object_set_new(rec, "met", json_null());
		json_object_set_new(rec, "scenario", scenario_to_json(&rs.sc));
	}
	line = rec ? json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(rec);
	return line;
}

/* ---- opening the directory -------------------------------------------------
 */

/* Mark in done[] the runs of c that dir's records hold (same index and
 * id), and cut a torn last line off runs.jsonl before anything is
 * appended to it. */
static int resume_from(const char *dir, const char *path,
		       const struct campaign *c, bool *done, char *why,
		       size_t whylen)
{
	json_t *records, *r;
	size_t torn, i;

	if (summary_load_runs(dir, &records, &torn, why, whylen))
		return -1;
	json_array_foreach(records, i, r)
	{
		json_t *ix = json_object_get(r, "index");
		static struct run_spec rs;
		char inner[256];
		uint64_t k;
		const char *v =
		    json_string_value(json_object_get(r, "verdict"));
		if (!json_is_integer(ix) || json_integer_value(ix) < 0)
			continue;
		if (v && !strcmp(v, "harness-error"))
			continue; /* not carried out: try it again */
		k = (uint64_t)json_integer_value(ix);
		if (k < c->nruns &&
		    !campaign_run_spec(c, k, &rs, inner, sizeof inner) &&
		    !strcmp(rs.id, json_string_value(json_object_get(r, "id"))))
			done[k] = true;
	}
	json_decref(records);
	if (torn) {
		/* Cut it before anything is appended: a line appended to a
		 * torn one would be torn too. */
		FILE *f = fopen(path, "r+");
		long keep = 0, pos = 0;
		int ch, rc = 0;
		while (f && (ch = fgetc(f)) != EOF) {
			pos++;
			if (ch == '\n')
				keep = pos;
		}
		if (!f || ferror(f) || fflush(f) || ftruncate(fileno(f), keep))
			rc = -1;
		if (rc)
			snprintf(
			    why, whylen,
			    "cannot cut the torn last line of '%.300s': %s",
			    path, strerror(errno));
		if (f)
			fclose(f);
		return rc;
	}
	return 0;
}

/* --force: start again; old failures would be mistaken for this
 * campaign's. */
static void remove_runs(const char *dir, const char *path)
{
	char fdir[1100];
	DIR *d;
	struct dirent *e;

	unlink(path);
	snprintf(fdir, sizeof fdir, "%s/failures", dir);
	d = opendir(fdir);
	while (d && (e = readdir(d))) {
		char f[1400];
		size_t len = strlen(e->d_name);
		if (len < 5 || (strcmp(e->d_name + len - 5, ".json") &&
				strcmp(e->d_name + len - 4, ".svg")))
			continue;
		snprintf(f, sizeof f, "%s/%s", fdir, e->d_name);
		unlink(f);
	}
	if (d)
		closedir(d);
}

/* Whether DIR's manifest lets campaign c resume there: 0; -1 with why,
 * *usage set when --accept-mismatch would let it (the manifest is in *m,
 * or NULL when DIR has none); *mixed says what was accepted. */
static int check_origin(const char *dir, const struct campaign *c,
			const struct results_origin *o, json_t **m, char *mixed,
			size_t mixedlen, bool *usage, char *why, size_t whylen)
{
	char inner[900];
	int rc = manifest_read(dir, m, inner, sizeof inner);

	mixed[0] = '\0';
	if (rc < 0) {
		snprintf(why, whylen, "--resume: %s", inner);
		return -1;
	}
	if (rc == 1)
		snprintf(inner, sizeof inner,
			 "'%s' has runs but no %s: it was written before "
			 "results directories recorded what made them, or "
			 "is not a campaign's results directory",
			 dir, MANIFEST_FILE);
	else if (manifest_matches(*m, dir, c, inner, sizeof inner) == 0)
		return 0;
	if (o->accept_mismatch) {
		snprintf(mixed, mixedlen, "resumed by byzlab %s with %s: %s",
			 manifest_version(), c->path, inner);
		return 0;
	}
	*usage = true;
	snprintf(why, whylen,
		 "--resume: %s; use another --out, --force to start again, or "
		 "--accept-mismatch to resume anyway",
		 inner);
	return -1;
}

int results_open(const char *dir, enum results_mode mode,
		 const struct campaign *c, const struct results_origin *o,
		 bool *done, int *fd, int *lock, bool *usage, char *why,
		 size_t whylen)
{
	char path[1400], mixed[2048] = "";
	json_t *m = NULL;

	*usage = false;
	*fd = *lock = -1;
	snprintf(path, sizeof path, "%s/failures", dir);
	if (mkdir_p(dir) || mkdir_p(path)) {
		snprintf(why, whylen, "--out: cannot create '%s': %s", dir,
			 strerror(errno));
		return -1;
	}
	*lock = manifest_lock(dir, why, whylen);
	if (*lock < 0) {
		*usage = true;
		return -1;
	}
	snprintf(path, sizeof path, "%s/runs.jsonl", dir);
	/* runs.jsonl is a regular file (not a FIFO that blocks, a device, a
	 * symbolic link into another place): outfile.h's rule. */
	if (outfile_check(path, why, whylen)) {
		*usage = true;
		goto fail;
	}
	if (access(path, F_OK) == 0) {
		if (mode == RESULTS_NEW) {
			*usage = true;
			snprintf(why, whylen,
				 "'%s' has runs already: --resume "
				 "to go on, --force to start again",
				 dir);
			goto fail;
		}
		if (mode == RESULTS_RESUME) {
			char inner[512];
			if (check_origin(dir, c, o, &m, mixed, sizeof mixed,
					 usage, why, whylen))
				goto fail;
			if (resume_from(dir, path, c, done, inner,
					sizeof inner)) {
				snprintf(why, whylen, "--resume: %s", inner);
				goto fail;
			}
		} else {
			remove_runs(dir, path);
		}
	}
	if (manifest_write(dir, c, o->shard, mode == RESULTS_RESUME ? m : NULL,
			   mixed[0] ? mixed : NULL, why, whylen)) {
		json_decref(m);
		close(*lock);
		*lock = -1;
		return -2;
	}
	json_decref(m);
	m = NULL;
	if (mixed[0])
		fprintf(stderr, "byzlab campaign: warning: %s\n", mixed);
	*fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		   0666);
	if (*fd < 0) {
		snprintf(why, whylen, "cannot write '%s': %s", path,
			 strerror(errno));
		goto fail;
	}
	return 0;
fail:
	json_decref(m);
	close(*lock);
	*lock = -1;
	return -1;
}

/* ---- shrinking the campaign's violations ----------------------------------
 */

/* One group's shrink (shrinkpool.h). */
struct shrink_group {
	struct shrinker k; /* first: the pool hands it back */
	struct shrink_result sr;
	struct failure fl;
	json_t *orig;
	char spath[1400];
};

/* The groups to shrink: for each, its violation of the lowest run
 * number (whatever order the workers finished the runs in), taken one by
 * one in the order of those run numbers. */
struct shrink_groups {
	const struct campaign *c;
	const char *out;
	json_t *chosen; /* [{"id", "index"}], sorted by index */
	size_t next;	/* the next of chosen to take */
	bool quiet;
	int jobs;
	struct results_missing *m;
};

/* Whether record r is a violation of a cell that wants it shrunk; its
 * group's key into key. */
static bool to_shrink(const struct campaign *c, json_t *r, char *key,
		      size_t keylen)
{
	const char *id = json_string_value(json_object_get(r, "id"));
	const char *cell = json_string_value(json_object_get(r, "cell"));
	bool want = false;

	if (!id || !cell || !json_is_false(json_object_get(r, "safe")))
		return false;
	for (size_t k = 0; k < c->ncells; k++)
		if (!strcmp(c->cells[k].name, cell) && c->cells[k].shrink &&
		    (c->cells[k].expect & EXPECT_VIOLATION))
			want = true;
	if (!want)
		return false;
	snprintf(key, keylen,
		 "%s/%s/%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT, cell,
		 json_string_value(json_object_get(r, "protocol")),
		 json_integer_value(json_object_get(r, "n")),
		 json_integer_value(json_object_get(r, "b")));
	return true;
}

static int by_index(const void *a, const void *b)
{
	json_int_t x = json_integer_value(
		       json_object_get(*(json_t *const *)a, "index")),
		   y = json_integer_value(
		       json_object_get(*(json_t *const *)b, "index"));

	return x < y ? -1 : x > y;
}

static void shrunk_chart(struct shrink_groups *g, const char *spath);

/* A shrunk failure of an earlier run (--resume) whose chart is missing
 * (interrupted before it was drawn): draw it now. */
static void chart_if_missing(struct shrink_groups *g, const char *spath)
{
	char svg[1400];
	size_t len = strlen(spath);

	if (len < 5 || len >= sizeof svg)
		return;
	snprintf(svg, sizeof svg, "%.*s.svg", (int)(len - 5), spath);
	if (access(svg, F_OK) != 0 && errno == ENOENT)
		shrunk_chart(g, spath);
}

/* Choose the groups' violations into g->chosen: the lowest run number of
 * each group, unless one of the group's failures is shrunk already
 * (before this --resume). 0, or -1 when out of memory. */
static int choose_groups(struct shrink_groups *g, json_t *records)
{
	json_t *best = json_object(), *shrunk = json_object(), *r, *v;
	json_t **list = NULL;
	const char *key;
	size_t i, n = 0;
	int rc = -1;

	g->chosen = json_array();
	if (!best || !shrunk || !g->chosen)
		goto out;
	json_array_foreach(records, i, r)
	{
		char k[256], spath[1400];
		json_t *had;
		if (!to_shrink(g->c, r, k, sizeof k))
			continue;
		snprintf(spath, sizeof spath, "%s/failures/%s.shrunk.json",
			 g->out, json_string_value(json_object_get(r, "id")));
		if (access(spath, F_OK) == 0) {
			json_object_set_new(shrunk, k, json_true());
			chart_if_missing(g, spath);
		}
		had = json_object_get(best, k);
		if (!had ||
		    json_integer_value(json_object_get(r, "index")) <
			json_integer_value(json_object_get(had, "index")))
			json_object_set(best, k, r);
	}
	list = calloc(json_object_size(best) + 1, sizeof *list);
	if (!list)
		goto out;
	json_object_foreach(best, key, v)
	{
		if (!json_object_get(shrunk, key))
			list[n++] = v;
	}
	qsort(list, n, sizeof *list, by_index);
	for (i = 0; i < n; i++)
		json_array_append(g->chosen, list[i]);
	rc = 0;
out:
	free(list);
	json_decref(best);
	json_decref(shrunk);
	return rc;
}

/* The next group's violation to shrink: its id, with the paths of its
 * failure and of its shrunk failure. */
static const char *next_group(struct shrink_groups *g, char *path,
			      size_t pathlen, char *spath, size_t spathlen)
{
	json_t *r = json_array_get(g->chosen, g->next);
	const char *id = json_string_value(json_object_get(r, "id"));

	if (!r)
		return NULL;
	g->next++;
	snprintf(path, pathlen, "%s/failures/%s.json", g->out, id);
	snprintf(spath, spathlen, "%s/failures/%s.shrunk.json", g->out, id);
	return id;
}

static struct shrinker *group_take(void *ctx)
{
	struct shrink_groups *g = ctx;
	char path[1400], spath[1400], why[512];
	const char *id;

	while ((id = next_group(g, path, sizeof path, spath, sizeof spath))) {
		struct shrink_group *sg = calloc(1, sizeof *sg);
		if (!sg) {
			fprintf(stderr,
				"byzlab campaign: %s: not shrunk: out of "
				"memory\n",
				path);
			continue;
		}
		if (failure_read(path, &sg->fl, &sg->orig, why, sizeof why)) {
			fprintf(stderr, "byzlab campaign: %s: not shrunk\n",
				why);
			free(sg);
			continue;
		}
		snprintf(sg->spath, sizeof sg->spath, "%s", spath);
		if (!g->quiet)
			fprintf(stderr, "shrinking %s ...\n", id);
		shrinker_init(&sg->k, &sg->fl.sc, NULL,
			      SHRINKPOOL_WINDOW((size_t)g->jobs), NULL,
			      &sg->sr);
		return &sg->k;
	}
	return NULL;
}

/* The chart of a shrunk failure, beside it (ID.shrunk.json ->
 * ID.shrunk.svg; chart.h). One that cannot be drawn is only a warning;
 * one that cannot be written is missing output, as the shrunk file. */
static void shrunk_chart(struct shrink_groups *g, const char *spath)
{
	char svg[1400], why[OUTFILE_PATH_MAX + 600];
	size_t len = strlen(spath);
	int rc;

	if (len < 5 || len - 5 + 5 >= sizeof svg)
		return;
	snprintf(svg, sizeof svg, "%.*s.svg", (int)(len - 5), spath);
	rc = chart_write_failure(spath, svg, NULL, why, sizeof why);
	if (rc == BYZ_EIO) {
		results_missing_add(g->m, "%s (the chart of %s)", why, spath);
		fprintf(stderr, "byzlab campaign: %s: no chart\n", why);
	} else if (rc) {
		fprintf(stderr,
			"byzlab campaign: warning: %s: no chart drawn: %s\n",
			spath, why);
	}
}

static void group_ended(void *ctx, struct shrinker *k, enum shrinkpool_end how,
			const char *lost)
{
	struct shrink_groups *g = ctx;
	struct shrink_group *sg = (struct shrink_group *)k;
	char why[1600];

	if (how == SHRINKPOOL_LOST) {
		results_missing_add(g->m, "%s (not shrunk: %s)", sg->spath,
				    lost);
		fprintf(stderr, "byzlab campaign: %s: not shrunk: %s\n",
			sg->fl.id, lost);
	} else if (how == SHRINKPOOL_STOPPED) {
		/* interrupted: --resume shrinks it */
	} else if (k->phase == SHRINK_NOT_FAILING) {
		fprintf(stderr,
			"byzlab campaign: failure %s does not fail when run "
			"again (%s): not shrunk\n",
			sg->fl.id, verdict_name(sg->sr.res.verdict));
	} else if (k->oom) {
		fprintf(stderr,
			"byzlab campaign: failure %s: not shrunk: out of "
			"memory\n",
			sg->fl.id);
	} else if (failure_write_shrunk(&sg->fl, sg->orig, &sg->sr, sg->spath,
					why, sizeof why)) {
		results_missing_add(g->m, "%s", why);
		fprintf(stderr, "byzlab campaign: %s: not shrunk\n", why);
	} else {
		if (!g->quiet)
			fprintf(stderr, "shrunk %s: %u tries, %u kept\n",
				sg->fl.id, sg->sr.tries, sg->sr.kept);
		shrunk_chart(g, sg->spath);
	}
	shrinker_free(k);
	json_decref(sg->orig);
	free(sg);
}

void results_shrink_groups(const struct campaign *c, const char *out,
			   json_t *records, bool quiet, int jobs,
			   volatile sig_atomic_t *stop,
			   struct results_missing *m)
{
	struct shrink_groups g = {
	    .c = c,
	    .out = out,
	    .quiet = quiet,
	    .jobs = jobs < 1 ? 1 : jobs,
	    .m = m,
	};
	struct shrinkpool_src src = {&g, group_take, group_ended};
	struct shrinkpool_stats st;
	char line[1024];

	if (choose_groups(&g, records)) {
		fprintf(stderr, "byzlab campaign: out of memory: no violation "
				"shrunk\n");
		json_decref(g.chosen);
		return;
	}
	if (json_array_size(g.chosen))
		shrinkpool_run(&src, g.jobs, stop, &st);
	if (!quiet && json_array_size(g.chosen)) {
		shrinkpool_describe(&st, line, sizeof line);
		fprintf(stderr, "shrinking: %s\n", line);
	}
	json_decref(g.chosen);
}

/* ---- merge ----------------------------------------------------------- */

/* Copy from to to (atomically, outfile.h): 0, or -1 with why. */
static int copy_file(const char *from, const char *to, char *why, size_t whylen)
{
	FILE *a = fopen(from, "rb");
	struct outfile b;
	char buf[65536];
	size_t n;

	if (!a) {
		snprintf(why, whylen, "cannot read '%s': %s", from,
			 strerror(errno));
		return -1;
	}
	if (outfile_open(&b, to, 0666, 0, why, whylen)) {
		fclose(a);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, a)) > 0)
		if (fwrite(buf, 1, n, b.f) != n)
			outfile_fail(&b, errno);
	if (ferror(a)) {
		snprintf(why, whylen, "cannot read '%s'", from);
		fclose(a);
		outfile_abort(&b);
		return -1;
	}
	fclose(a);
	return outfile_commit(&b, why, whylen);
}

/* Check the inputs' manifests against each other: 0 with the first in
 * *first (a new reference; NULL when none has one and accept_mismatch),
 * or -1 with why. */
static int merge_origins(char **dirs, int ndirs, bool accept_mismatch,
			 json_t **first, json_t *shards, bool *usage, char *why,
			 size_t whylen)
{
	const char *first_dir = NULL;
	char inner[1200];

	*first = NULL;
	for (int i = 0; i < ndirs; i++) {
		json_t *m;
		int rc = manifest_read(dirs[i], &m, inner, sizeof inner);
		if (rc < 0) {
			snprintf(why, whylen, "--merge: %s", inner);
			goto fail;
		}
		if (rc == 1) {
			if (accept_mismatch)
				continue;
			*usage = true;
			snprintf(why, whylen,
				 "--merge: '%s' has no %s (not a campaign's "
				 "results directory, or written before they "
				 "recorded what made them); --accept-mismatch "
				 "to merge it anyway",
				 dirs[i], MANIFEST_FILE);
			goto fail;
		}
		{
			size_t k;
			json_t *sh;
			json_array_foreach(json_object_get(m, "shards"), k, sh)
			    json_array_append(shards, sh);
		}
		if (!*first) {
			*first = m;
			first_dir = dirs[i];
			continue;
		}
		rc = manifest_same(*first, first_dir, m, dirs[i], inner,
				   sizeof inner);
		json_decref(m);
		if (rc && !accept_mismatch) {
			*usage = true;
			snprintf(why, whylen,
				 "--merge: %s: their runs are not one "
				 "campaign's; --accept-mismatch to merge them "
				 "anyway",
				 inner);
			goto fail;
		}
	}
	return 0;
fail:
	json_decref(*first);
	*first = NULL;
	return -1;
}

/* The runs of a campaign of nruns runs that no record holds: their count,
 * and the first few indices in text. */
static uint64_t merge_missing(const json_t *all, uint64_t nruns, char *text,
			      size_t cap)
{
	uint8_t *have = calloc(nruns ? nruns : 1, 1);
	uint64_t missing = 0;
	size_t i, used = 0;
	json_t *r;

	text[0] = '\0';
	if (!have)
		return nruns;
	json_array_foreach(all, i, r)
	{
		json_int_t k = json_integer_value(json_object_get(r, "index"));
		if (k >= 0 && (uint64_t)k < nruns)
			have[k] = 1;
	}
	for (uint64_t k = 0; k < nruns; k++) {
		if (have[k])
			continue;
		if (missing < 8 && used + 32 < cap)
			used += (size_t)snprintf(text + used, cap - used,
						 "%s%" PRIu64,
						 missing ? ", " : "", k);
		else if (missing == 8 && used + 8 < cap)
			used +=
			    (size_t)snprintf(text + used, cap - used, ", ...");
		missing++;
	}
	free(have);
	return missing;
}

int results_merge(char **dirs, int ndirs, const char *out, bool quiet,
		  bool accept_mismatch, bool partial, uint64_t *missing,
		  struct summary_totals *t, bool *usage, char *why,
		  size_t whylen)
{
	char path[1400], inner[1200], title[128] = "merged", note[1024];
	char incomplete[600] = "";
	json_t *all = json_array(), *ids = json_object(), *first = NULL,
	       *shards = json_array();
	int fd, lock = -1, rc = -1, werr = 0;

	*usage = false;
	*missing = 0;
	if (merge_origins(dirs, ndirs, accept_mismatch, &first, shards, usage,
			  why, whylen))
		goto out;
	snprintf(path, sizeof path, "%s/failures", out);
	if (mkdir_p(out) || mkdir_p(path)) {
		snprintf(why, whylen, "--out: cannot create '%s': %s", out,
			 strerror(errno));
		goto out;
	}
	lock = manifest_lock(out, why, whylen);
	if (lock < 0) {
		*usage = true;
		goto out;
	}
	for (int i = 0; i < ndirs; i++) {
		json_t *recs, *r;
		size_t torn, k;
		DIR *d;
		struct dirent *e;

		if (summary_load_runs(dirs[i], &recs, &torn, inner,
				      sizeof inner)) {
			snprintf(why, whylen, "--merge: %s", inner);
			goto out;
		}
		json_array_foreach(recs, k, r)
		{
			const char *id =
			    json_string_value(json_object_get(r, "id"));
			const char *camp =
			    json_string_value(json_object_get(r, "campaign"));
			if (!id)
				continue;
			if (camp)
				snprintf(title, sizeof title, "%s", camp);
			if (json_object_get(ids, id))
				continue;
			json_object_set_new(ids, id, json_true());
			json_array_append(all, r);
		}
		json_decref(recs);
		snprintf(path, sizeof path, "%s/failures", dirs[i]);
		d = opendir(path);
		while (d && (e = readdir(d))) {
			char from[2800], to[2800], cerr[OUTFILE_PATH_MAX + 256];
			if (e->d_name[0] == '.')
				continue;
			snprintf(from, sizeof from, "%s/failures/%s", dirs[i],
				 e->d_name);
			snprintf(to, sizeof to, "%s/failures/%s", out,
				 e->d_name);
			if (copy_file(from, to, cerr, sizeof cerr)) {
				fprintf(stderr, "byzlab campaign: %s\n", cerr);
				if (!incomplete[0])
					snprintf(incomplete, sizeof incomplete,
						 "%.500s", cerr);
			}
		}
		if (d)
			closedir(d);
	}
	if (first) {
		uint64_t nruns = (uint64_t)json_integer_value(
		    json_object_get(first, "runs"));
		char which[256], had[256] = "";
		size_t k, used = 0;
		json_t *sh;
		*missing = merge_missing(all, nruns, which, sizeof which);
		json_array_foreach(shards, k, sh)
		{
			if (used + 32 < sizeof had)
				used += (size_t)snprintf(
				    had + used, sizeof had - used, "%s%s",
				    k ? ", " : "", json_string_value(sh));
		}
		if (*missing && !partial) {
			*usage = true;
			snprintf(why, whylen,
				 "--merge: %" PRIu64 " of %" PRIu64
				 " runs of campaign '%s' are in none of the %d "
				 "directories (run indices %s; the directories "
				 "ran shards %s); add the directories of the "
				 "missing shards, or --partial to merge what "
				 "there is",
				 *missing, nruns, title, ndirs, which,
				 had[0] ? had : "-");
			goto out;
		}
		if (*missing)
			fprintf(stderr,
				"byzlab campaign: --partial: %" PRIu64
				" of %" PRIu64 " runs are missing (run indices "
				"%s)\n",
				*missing, nruns, which);
		json_object_set(first, "shards", shards);
		if (*missing)
			json_object_set_new(first, "missing",
					    json_integer((json_int_t)*missing));
		if (manifest_put(out, first, inner, sizeof inner)) {
			snprintf(why, whylen, "%s", inner);
			rc = -2;
			goto out;
		}
	}
	snprintf(path, sizeof path, "%s/runs.jsonl", out);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0666);
	if (fd < 0) {
		snprintf(why, whylen, "cannot write '%s': %s", path,
			 strerror(errno));
		rc = -2;
		goto out;
	}
	{
		size_t k;
		json_t *r;
		json_array_foreach(all, k, r)
		{
			char *line =
			    json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (!line ||
			    results_write_all(fd, line, strlen(line)) ||
			    results_write_all(fd, "\n", 1))
				werr = line ? errno : ENOMEM;
			free(line);
		}
	}
	if ((fsync(fd) && errno != EINVAL && !werr) || (close(fd) && !werr))
		werr = errno;
	if (werr) {
		/* no torn runs.jsonl is left to be read as a whole one */
		unlink(path);
		snprintf(why, whylen, "cannot write '%s': %s", path,
			 strerror(werr));
		rc = -2;
		goto out;
	}
	snprintf(note, sizeof note, "Merged from %d result directories.%s",
		 ndirs,
		 *missing ? " INCOMPLETE (--partial): some runs of the "
			    "campaign are in none of them."
			  : "");
	*t = summary_write(out, title, note, all, quiet ? NULL : stdout);
	rc = 0;
	if (incomplete[0]) {
		snprintf(why, whylen, "%s", incomplete);
		rc = -2;
	}
out:
	if (lock >= 0)
		close(lock);
	json_decref(first);
	json_decref(shards);
	json_decref(all);
	json_decref(ids);
	return rc;
}
