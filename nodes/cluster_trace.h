/*
 * cluster_trace.h - one trace from the per-process traces of a cluster run
 * by hand (byzlab node / client / adversary, byzlab cluster up, or across
 * hosts), so the checkers can judge it (`byzlab check --cluster FILE
 * TRACE...`).
 *
 * The launcher of `byzlab run --driver zmq` knows the run and writes its
 * own run and end lines; here they come from the cluster file: its
 * scenario (protocol, n, f, Byzantine replicas, attacks) makes the run
 * line, marked no_gst (a hand-run cluster's workload and timing are not
 * the trace's to know: liveness is not judged, safety is), and the end line
 * says `done` at the last line's time.
 */
#ifndef BYZ_NODES_CLUSTER_TRACE_H
#define BYZ_NODES_CLUSTER_TRACE_H

#include <stddef.h>
#include <stdint.h>

/* Merge traces[0..n) (nodes/merge.h) under cluster_path's run line into
 * out (written atomically). 0, or -1 with why (which file, which line). */
int cluster_trace_merge(const char *cluster_path, const char *const *traces,
			size_t n, const char *out, uint64_t *torn, char *why,
			size_t whylen);

#endif
