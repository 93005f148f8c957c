/*
 * real_run.h - one scenario as real processes, judged into the same
 * result as a simulated run (harness/scenario.h): the campaign runner of
 * the zmq driver (`driver: zmq`, harness/campaign.h).
 */
#ifndef BYZ_NODES_REAL_RUN_H
#define BYZ_NODES_REAL_RUN_H

#include "scenario.h"

/*
 * Launch sc (nodes/launch.h) in the folder keep_dir (created; NULL: a
 * temporary one), judge its merged trace with the checkers, and fill res
 * as scenario_run would (verdict, checks, heights, counts, the trace's
 * hash). A run that passes has its folder removed; one that does not
 * keeps it (res->run_folder): the merged and per-process traces, what the
 * adversary did to each frame, the processes' logs. Returns 0 or an error
 * code with res->verdict VERDICT_ERROR and res->why.
 */
int real_run(const struct scenario *sc, const char *keep_dir,
	     struct scenario_result *res);

#endif
