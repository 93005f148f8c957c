/*
 * client_proc.h - a client process (`byzlab client`): the pure client core
 * (lib/client.h) over ZeroMQ. It signs each request with the client's key,
 * sends it to every replica (through the adversary when the cluster has
 * one), retransmits with backoff, accepts a result on f+1 matching replies
 * from distinct replicas, and records each request's latency.
 */
#ifndef BYZ_NODES_CLIENT_PROC_H
#define BYZ_NODES_CLIENT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIENT_PROC_MAX_OPS 64

struct client_proc_opts {
	const char *cluster;
	uint32_t id;
	/* The operations: ops given (--op), or else `requests` generated as
	 * the simulator's workload does (0: the cluster's requests). */
	const char *ops[CLIENT_PROC_MAX_OPS];
	size_t nops;
	uint32_t requests;
	uint64_t deadline_us; /* give up after this long (0: never) */
	const char *trace;    /* its trace file, or NULL for none */
	bool json, quiet;
};

/* Returns an exit status: 0 every request accepted; 1 stopped or out of
 * time before that; 2 bad input; 3 a failure at run time. */
int client_proc_main(const struct client_proc_opts *o);

#endif
