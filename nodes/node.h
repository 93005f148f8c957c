/*
 * node.h - one replica process (`byzlab node`): the same core as the
 * simulator, driven by ZeroMQ messages and the monotonic clock.
 *
 * The path of a message is ARCHITECTURE.md's: the core's output is signed
 * with this replica's key (egress) and sent to its recipient, or to the
 * adversary's endpoint when the cluster has one; what arrives passes
 * ingress (decode, verify every signature) before the core sees it. Each
 * PERSIST is written and fdatasync'ed to the data folder (nodes/wal.h)
 * before any output after it is carried out; the PERSISTED event follows
 * the step. On start the node hands the core its log, and tells it it was
 * restarted when it ran before (the data folder's boot count).
 */
#ifndef BYZ_NODES_NODE_H
#define BYZ_NODES_NODE_H

#include <stdbool.h>
#include <stdint.h>

struct node_opts {
	const char *cluster; /* the cluster file */
	uint32_t id;	     /* replica id */
	bool twin;	     /* run replica id's twin instance */
	const char *data;    /* its data folder; NULL: the cluster's */
	const char *trace;   /* its trace file; NULL: DATA/trace.jsonl */
	bool quiet;
};

/* Run until SIGTERM or SIGINT. Returns an exit status: 0 stopped cleanly,
 * 2 bad input (a message on stderr says what and where), 3 a failure at
 * run time (a disk that cannot persist, a core that failed). */
int node_main(const struct node_opts *o);

#endif
