/*
 * trace_read.h - a trace file read back (docs/trace.md), so the checkers
 * can judge it without the run that wrote it (`byzlab check`).
 *
 * The reader is strict: every line must be one JSON object ending in a
 * newline, of at most TRACE_READ_MAX_LINE bytes, with the fields its kind
 * of line must have; the first line is `run`, nothing follows `end`. The
 * first fault ends the reading with a message that names the file, the
 * line and the field ("trace.jsonl:17: commit: field 'height' is
 * missing"). Memory: one line at a time, plus the log (submits and
 * commits), which grows with the decisions, as in a run.
 */
#ifndef BYZ_TRACE_READ_H
#define BYZ_TRACE_READ_H

#include "sim.h"
#include "trace.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* lib/trace.h: the longest line a run writes. */
#define TRACE_READ_MAX_LINE TRACE_LINE_MAX

struct trace_read {
	/* What the checkers read: submits, commits of replicas 0..n-1 (twin
	 * instances are left out, as in a run), n, f, gst_us, end_us and
	 * down_at_end. byzantine[] is left for trace_read_faulty to set. */
	struct trace_log log;
	/* From the run line. */
	char protocol[32], driver[16], seed[24];
	uint64_t bound_us;
	bool no_gst;	   /* "no_gst": network faults for the whole run */
	char faults[1400]; /* "faults", for people; "" if none */
	bool declared[BYZ_MAX_N]; /* "byzantine" */
	bool twin[BYZ_MAX_N];
	/* Planned in the run line, or seen (a restart without its state). */
	bool amnesia[BYZ_MAX_N];
	/* How the run ended, from the end line: now, done and the other stop
	 * flags, forged_accepted, core_error. accepted counts the accept
	 * lines, submitted the submit lines, requests is the run line's. */
	bool has_end;
	struct sim_stats end;
	/* Message counts from send, deliver, drop, reject, timer, note. */
	struct trace_counts counts;
	/* happened-before, from the run line on (lib/causal.h): its
	 * violations go to log.causal */
	struct causal *causal;
	uint64_t lines;
	char hash[2 * BYZ_DIGEST_BYTES + 1]; /* BLAKE2b-256 of the file */
};

/*
 * Read the trace at path into *out (which the caller frees with
 * trace_read_free, whatever the result). Returns 0; BYZ_EINVAL for bad
 * input or BYZ_EIO if the file cannot be read, with "PATH:LINE: what" in
 * why; or BYZ_ENOMEM.
 */
int trace_read_file(const char *path, struct trace_read *out, char *why,
		    size_t whylen);
/* The same from an open stream; path names it in messages. */
int trace_read_stream(FILE *f, const char *path, struct trace_read *out,
		      char *why, size_t whylen);
/* The same, writing every line read to clocks again with the vector clock
 * of its node after it ("vc") and, unless it has one, a Lamport clock
 * ("lc"); lines that are no node's event (run, end) as they are. */
int trace_read_clocks(FILE *f, const char *path, struct trace_read *out,
		      FILE *clocks, char *why, size_t whylen);
void trace_read_free(struct trace_read *tr);

/*
 * Set which replicas the checkers leave out: the Byzantine ones (the run
 * line's, or byzantine[] if not NULL, which replaces them) and the ones
 * with amnesia, which are faulty whatever was declared.
 */
void trace_read_faulty(struct trace_read *tr, const bool *byzantine);

#endif
