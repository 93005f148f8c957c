/*
 * real_run.c - one scenario as real processes, judged (real_run.h).
 */
#include "real_run.h"

#include "check.h"
#include "err.h"
#include "launch.h"
#include "trace_read.h"
#include "verdict.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Create the folders of path that do not exist (mode 0700). */
static int make_path(const char *path)
{
	char buf[LAUNCH_PATH_MAX];

	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -1 : 0;
}

int real_run(const struct scenario *sc, const char *keep_dir,
	     struct scenario_result *res)
{
	struct launch_opts o = {
	    .sc = sc, .dir = keep_dir, .quiet = true, .stop = sc->stop};
	struct launch_result lr;
	struct trace_read tr;
	char why[512];
	uint64_t h[BYZ_MAX_N] = {0}, min = UINT64_MAX;
	int rc;

	memset(res, 0, sizeof *res);
	res->verdict = VERDICT_ERROR;
	res->driver = "zmq";
	if (keep_dir && make_path(keep_dir)) {
		snprintf(res->why, sizeof res->why, "%s: cannot create: %s",
			 keep_dir, strerror(errno));
		return BYZ_EIO;
	}
	if (launch_run(&o, &lr, why, sizeof why)) {
		snprintf(res->why, sizeof res->why, "%.300s", why);
		return BYZ_EIO;
	}
	res->wall_seconds = lr.wall_seconds;
	rc = trace_read_file(lr.trace, &tr, why, sizeof why);
	if (rc) {
		snprintf(res->why, sizeof res->why, "%.300s", why);
		trace_read_free(&tr);
		return rc;
	}
	trace_read_faulty(&tr, NULL);
	res->sim = tr.end;
	res->sim.rules = lr.rules;
	res->no_gst = tr.no_gst;
	res->liveness_bound_us = tr.bound_us;
	rc = check_run(&tr.log, verdict_mask(&res->sim, res->no_gst),
		       res->liveness_bound_us, &res->checks);
	if (rc) {
		snprintf(res->why, sizeof res->why, "checkers failed: %s",
			 byz_strerror(rc));
		trace_read_free(&tr);
		return rc;
	}
	for (size_t i = 0; i < tr.log.ncommits; i++)
		if (tr.log.commits[i].replica < tr.log.n)
			h[tr.log.commits[i].replica] =
			    tr.log.commits[i].c.height;
	for (uint32_t r = 0; r < tr.log.n; r++) {
		res->height[r] = h[r];
		if (!tr.log.byzantine[r] && !tr.log.down_at_end[r] &&
		    h[r] < min)
			min = h[r];
	}
	res->min_height = min == UINT64_MAX ? 0 : min;
	res->violation_us = tr.log.conflict ? tr.log.conflict_us : 0;
	verdict_judge(res);
	if (!tr.has_end && !res->checks.total)
		snprintf(res->why, sizeof res->why,
			 "the merged trace has no end line");
	res->counts = tr.counts;
	res->trace_lines = tr.lines;
	memcpy(res->trace_hash, tr.hash, sizeof res->trace_hash);
	trace_read_free(&tr);
	if (res->verdict == VERDICT_PASS) {
		lr.temp = true; /* its folder goes */
		launch_remove(&lr);
	} else {
		snprintf(res->run_folder, sizeof res->run_folder, "%.500s",
			 lr.dir);
		lr.temp = false;
		launch_remove(&lr);
	}
	return 0;
}
