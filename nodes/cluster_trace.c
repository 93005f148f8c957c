/*
 * cluster_trace.c - one trace from a hand-run cluster's traces
 * (cluster_trace.h).
 */
#include "cluster_trace.h"

#include "adversary.h"
#include "clock.h"
#include "cluster.h"
#include "launch.h"
#include "merge.h"
#include "outfile.h"
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cluster_trace_merge(const char *cluster_path, const char *const *traces,
			size_t n, const char *out, uint64_t *torn, char *why,
			size_t whylen)
{
	struct cluster cl;
	struct sim_config cfg;
	struct adversary *adv = NULL;
	char err[512];
	static struct outfile of;
	char *run = NULL, *end = NULL;
	uint64_t max_lc = 0;
	FILE *f = NULL;
	int rc = -1;

	if (cluster_load(cluster_path, &cl, why, whylen))
		goto out;
	scenario_sim_config(&cl.sc, &cfg);
	if (scenario_has_adversary(&cl.sc)) {
		if (adversary_new(&cl.sc.plan, cl.sc.n, cl.sc.f, UINT64_MAX,
				  &adv) ||
		    adversary_configure(adv, &cfg, why, whylen))
			goto out;
	}
	run = launch_run_line(&cl.sc, &cfg, scenario_bound(&cl.sc, &cfg, 0),
			      true);
	f = fopen("/dev/null", "w");
	if (!run || !f ||
	    merge_traces(traces, NULL, n, run, NULL, f, &max_lc, torn, err,
			 sizeof err)) {
		snprintf(why, whylen, "%s", run && f ? err : "out of memory");
		goto out;
	}
	fclose(f);
	f = NULL;
	{
		uint64_t w = clock_wall_us();
		end = launch_end_line(&cl.sc,
				      w > cl.epoch_us ? w - cl.epoch_us : 0,
				      max_lc, "done", 0, 0, 0);
	}
	if (!end) {
		snprintf(why, whylen, "%s: out of memory", out);
		goto out;
	}
	/* Written whole, and only over a regular file (outfile.h). */
	if (outfile_open(&of, out, 0666, 0, why, whylen))
		goto out;
	if (merge_traces(traces, NULL, n, run, end, of.f, NULL, torn, err,
			 sizeof err)) {
		outfile_abort(&of);
		snprintf(why, whylen, "%s", err);
		goto out;
	}
	if (outfile_commit(&of, why, whylen))
		goto out;
	rc = 0;
out:
	if (f)
		fclose(f);
	free(run);
	free(end);
	adversary_free(&adv);
	cluster_free(&cl);
	return rc;
}
