/*
 * verdict.c - the verdict on a run (verdict.h).
 */
#include "verdict.h"

#include "err.h"

#include <inttypes.h>
#include <string.h>

/* See verdict.h. */
unsigned verdict_mask(const struct sim_stats *st, bool no_gst)
{
	return st->stopped_on_violation || no_gst ? CHECK_SAFETY : CHECK_ALL;
}

/* The first reason wins, in this order: a forged frame through ingress,
 * a core's failure, a checker, an interruption, a run not finished. A run
 * stopped at its event limit with only liveness findings says so: the
 * limit, not the deadline, is what a person must look at. */
void verdict_judge(struct scenario_result *res)
{
	uint64_t judged =
	    res->checks.total - res->checks.per_check[CHECK_PROGRESS];
	/* A run stopped early (interrupted, or at its wall-clock limit)
	 * has its liveness findings left unjudged: only safety decides. */
	bool early = res->sim.interrupted;

	res->safe = !res->sim.core_error && !res->sim.forged_accepted;
	for (int c = 0; c < CHECK_COUNT; c++)
		if (!(CHECK_LIVE_CLASS >> c & 1) && res->checks.per_check[c])
			res->safe = false;
	res->live_judged = !res->sim.stopped_on_violation &&
			   !res->sim.interrupted && !res->no_gst;
	res->live = res->live_judged && res->sim.done &&
		    !res->checks.per_check[CHECK_LIVENESS];
	res->timely =
	    res->live_judged && !res->checks.per_check[CHECK_PROGRESS];
	res->verdict = VERDICT_PASS;
	res->why[0] = '\0';
	if (early)
		judged -= res->checks.per_check[CHECK_LIVENESS];
	if (res->sim.forged_accepted) {
		res->verdict = VERDICT_FAIL;
		snprintf(res->why, sizeof res->why,
			 "ingress: %" PRIu64
			 " forged message(s) reached a core",
			 res->sim.forged_accepted);
	} else if (res->sim.core_error) {
		char node[16];
		res->verdict = VERDICT_FAIL;
		snprintf(res->why, sizeof res->why, "%s's core failed: %s",
			 trace_node_name(node, res->sim.core_error_replica),
			 byz_strerror(res->sim.core_error));
	} else if (judged &&
		   !(res->sim.hit_event_limit &&
		     judged == res->checks.per_check[CHECK_LIVENESS])) {
		/* The first finding of a checker that decides the verdict
		 * (progress does not: it is the `timely` expectation's). */
		const struct check_violation *v = &res->checks.v[0];
		for (size_t i = 0; i < res->checks.kept; i++)
			if (res->checks.v[i].check != CHECK_PROGRESS &&
			    !(early &&
			      res->checks.v[i].check == CHECK_LIVENESS)) {
				v = &res->checks.v[i];
				break;
			}
		res->verdict = VERDICT_FAIL;
		snprintf(res->why, sizeof res->why, "%s: %s",
			 check_name(v->check), v->detail);
	} else if (res->sim.interrupted && res->wall_limited) {
		res->verdict = VERDICT_WALL;
		snprintf(res->why, sizeof res->why,
			 "stopped at its wall-clock limit (max_wall %.3g s) at "
			 "virtual time %.3f s, with %" PRIu64 " of %" PRIu64
			 " requests accepted and no safety finding: no verdict",
			 (double)res->max_wall_us / 1e6,
			 (double)res->sim.now / 1e6, res->sim.accepted,
			 res->sim.requests);
	} else if (res->sim.interrupted) {
		res->verdict = VERDICT_FAIL;
		snprintf(res->why, sizeof res->why,
			 "interrupted at virtual time %.3f s",
			 (double)res->sim.now / 1e6);
	} else if (!res->sim.done) {
		res->verdict = VERDICT_FAIL;
		snprintf(res->why, sizeof res->why,
			 "liveness: the run reached its %s limit with %" PRIu64
			 " of %" PRIu64 " requests accepted%s",
			 res->sim.hit_event_limit ? "event" : "time",
			 res->sim.accepted, res->sim.requests,
			 res->no_gst ? " (no GST: the network faults never "
				       "end, so nothing promises it finishes; "
				       "give --gst)"
				     : "");
	}
	/* A pass that is not timely says why too (the timely expectation's
	 * reason; the verdict line does not print it). */
	if (res->verdict == VERDICT_PASS && res->live_judged && !res->timely)
		for (size_t i = 0; i < res->checks.kept; i++)
			if (res->checks.v[i].check == CHECK_PROGRESS) {
				snprintf(res->why, sizeof res->why,
					 "progress: %s",
					 res->checks.v[i].detail);
				break;
			}
}

/* sim_run sets at most one of these flags; a core's failure is told apart
 * (the end line's core_error), and names the stop only when no flag is
 * set. */
const char *verdict_stop_name(const struct sim_stats *st)
{
	if (st->interrupted)
		return "interrupted";
	if (st->stopped_on_violation)
		return "violation";
	if (st->hit_time_limit)
		return "time-limit";
	if (st->hit_event_limit)
		return "event-limit";
	if (st->done)
		return "done";
	return st->core_error ? "core-error" : "idle";
}

/* See verdict.h. */
int verdict_stop_parse(const char *word, struct sim_stats *st)
{
	st->done = st->interrupted = st->stopped_on_violation = false;
	st->hit_time_limit = st->hit_event_limit = false;
	if (!strcmp(word, "done"))
		st->done = true;
	else if (!strcmp(word, "interrupted"))
		st->interrupted = true;
	else if (!strcmp(word, "violation"))
		st->stopped_on_violation = true;
	else if (!strcmp(word, "time-limit"))
		st->hit_time_limit = true;
	else if (!strcmp(word, "event-limit"))
		st->hit_event_limit = true;
	else if (strcmp(word, "idle") && strcmp(word, "core-error"))
		return -1;
	return 0;
}

/* See verdict.h. */
void verdict_print(FILE *out, const char *protocol, uint32_t n, uint32_t f,
		   const char *seed, const struct scenario_result *res,
		   const char *faults)
{
	static const char *vname[] = {"PASS", "FAIL", "ERROR", "WALL-LIMIT"};

	fprintf(out,
		"%s  %s n=%" PRIu32 " f=%" PRIu32 " seed=%s  accepted %" PRIu64
		"/%" PRIu64 "  trace %s\n",
		vname[res->verdict], protocol, n, f, seed, res->sim.accepted,
		res->sim.requests, res->trace_hash);
	if (res->verdict != VERDICT_PASS)
		fprintf(out, "  why      %s\n", res->why);
	if (faults)
		fprintf(out, "  faults   %s\n", faults);
	if (res->no_gst)
		fprintf(out, "  liveness not judged: no --gst, so loss and "
			     "network attacks acted for the whole run\n");
	if (res->live_judged && !res->timely)
		for (size_t i = 0; i < res->checks.kept; i++)
			if (res->checks.v[i].check == CHECK_PROGRESS) {
				fprintf(out, "  timely   no: %s\n",
					res->checks.v[i].detail);
				break;
			}
	fprintf(out, "  checks  ");
	for (int c = 0; c < CHECK_COUNT; c++)
		fprintf(out, " %s=%zu", check_name(c),
			res->checks.per_check[c]);
	fprintf(out, "\n");
	for (size_t i = 1; i < res->checks.kept && i < 8; i++)
		fprintf(out, "  also     %s: %s\n",
			check_name(res->checks.v[i].check),
			res->checks.v[i].detail);
}

void verdict_json(json_t *o, const struct scenario_result *res)
{
	json_object_set_new(o, "verdict",
			    json_string(verdict_name(res->verdict)));
	if (res->verdict != VERDICT_PASS || res->why[0])
		json_object_set_new(o, "why", json_string(res->why));
	json_object_set_new(o, "safe", json_boolean(res->safe));
	json_object_set_new(o, "live",
			    res->live_judged ? json_boolean(res->live)
					     : json_null());
	json_object_set_new(o, "timely",
			    res->live_judged ? json_boolean(res->timely)
					     : json_null());
	if (res->no_gst)
		json_object_set_new(o, "no_gst", json_true());
}
