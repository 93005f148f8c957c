/*
 * merge.h - the traces of a real run's processes merged into one trace
 * (docs/trace.md, "Traces of real processes").
 *
 * Each process of the zmq driver (replica, client, adversary, launcher)
 * writes its own file of event lines, without a run or an end line, every
 * line stamped with "lc" (a Lamport clock: strictly increasing within a
 * file; a receive's lc exceeds its send's) and "wall". The launcher merges
 * them into one trace that `byzlab check` can judge: a run line, every
 * line ordered by (lc, file, line), which is a linear extension of
 * happened-before, and an end line.
 */
#ifndef BYZ_NODES_MERGE_H
#define BYZ_NODES_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MERGE_MAX_FILES 1100
#define MERGE_MAX_BYTES (1ull << 30) /* total input: more is refused */

/*
 * Merge the per-process trace files paths[0..nfiles) into out (an open
 * stream): first the line run_line (a complete JSON object without
 * newline, written as given), then every line of every file ordered by
 * (lc, file index, line number in its file) — a linear extension of
 * happened-before — then end_line (as given; may be NULL to write none).
 *
 * A missing file is allowed only when its path is listed with
 * allow_missing[i] true (a process that never started); allow_missing may
 * be NULL (none is). Every input line must be a JSON object (no duplicate
 * keys) of at most TRACE_LINE_MAX bytes (without its newline) with a
 * whole-number "lc" field, and each file's lc must strictly increase; a
 * process's file holds no run or end line. A last line without its
 * newline (a process killed mid-write) is dropped and counted in *torn
 * (may be NULL); any other bad line is an error naming "PATH:LINE: what".
 * Lines are copied byte for byte (not re-serialised). *max_lc (may be
 * NULL) gets the largest lc of the files' lines, 0 if none (so the end
 * line can carry a larger one).
 *
 * Every file is read and checked before anything is written, so a bad
 * input leaves out untouched. Returns 0, or BYZ_EINVAL (bad input) /
 * BYZ_EIO (cannot read or write: the path and strerror) / BYZ_ELIMIT (too
 * many files or bytes) / BYZ_ENOMEM, with a message in why.
 */
int merge_traces(const char *const *paths, const bool *allow_missing,
		 size_t nfiles, const char *run_line, const char *end_line,
		 FILE *out, uint64_t *max_lc, uint64_t *torn, char *why,
		 size_t whylen);

#endif
