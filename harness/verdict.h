/*
 * verdict.h - the verdict on a run, from what its checkers found and how it
 * ended; shared by `byzlab run`, which judges the run it just did, and
 * `byzlab check`, which judges a trace file (trace_read.h), so the two give
 * the same verdict in the same words.
 */
#ifndef BYZ_VERDICT_H
#define BYZ_VERDICT_H

#include "scenario.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* The checkers to run for a run that ended as st says: all of them, or
 * only the safety ones when it stopped at the first violation or had no
 * GST (network faults for the whole run: liveness is not judged). */
unsigned verdict_mask(const struct sim_stats *st, bool no_gst);

/* Set res->verdict, why, safe, live_judged and live from res->checks (the
 * checkers' result), res->sim (how the run ended) and res->no_gst. */
void verdict_judge(struct scenario_result *res);

/* Why the run ended, as the word the trace's `end` line holds: "done",
 * "time-limit", "event-limit", "interrupted", "violation", "core-error" or
 * "idle" (nothing left to do, not done). */
const char *verdict_stop_name(const struct sim_stats *st);
/* The reverse: set the flags of st for the word; 0, or -1 if unknown. */
int verdict_stop_parse(const char *word, struct sim_stats *st);

/* The verdict for people: "PASS  NAME n=4 f=1 seed=1  accepted 100/100
 * trace HASH", then why, the faults line if not NULL ("byzantine r0;
 * attacks ...; crashes 0"), whether liveness was judged, the count per
 * checker and the other violations kept. */
void verdict_print(FILE *out, const char *protocol, uint32_t n, uint32_t f,
		   const char *seed, const struct scenario_result *res,
		   const char *faults);

/* The verdict's fields of a --json result, in the order `run` and
 * `check` both write them: verdict, why (unless it passed), safe, live
 * (null when not judged), no_gst (only when there was no GST). */
void verdict_json(json_t *o, const struct scenario_result *res);

#endif
