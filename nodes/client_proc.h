/*
 * client_proc.h - a client process (`byzlab client`): the pure client core
 * (lib/client.h) over ZeroMQ. It signs each request with the client's key,
 * sends it to every replica (through the adversary when the cluster has
 * one), retransmits with backoff, accepts a result on f+1 matching replies
 * from distinct replicas, and records each request's latency.
 *
 * One process may serve several clients (count > 1): clients id ..
 * id+count-1, each its own core, key, workload and closed loop (one
 * request outstanding per client), all on one receiving socket bound to
 * every endpoint the cluster file gives them (clients may share one:
 * cluster.h). A reply goes to the core of the client it names (a field of
 * the signed frame, not the unauthenticated envelope); a reply that names
 * no client of this process is ignored. The process shares one trace, one
 * ingress (and its verified-signature cache) and one message numbering
 * between them.
 *
 * With a duration, each client submits requests one after another until
 * the duration has passed since the process started (and at most
 * `requests` of them when that is given too), then waits for its last one
 * to be accepted; the process ends when every client has.
 */
#ifndef BYZ_NODES_CLIENT_PROC_H
#define BYZ_NODES_CLIENT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIENT_PROC_MAX_OPS 64

struct client_proc_opts {
	const char *cluster;
	uint32_t id;	/* the first client */
	uint32_t count; /* clients id .. id+count-1 in this process (0: 1) */
	/* The operations: ops given (--op), or else `requests` generated as
	 * the simulator's workload does (0: the cluster's requests, or no
	 * limit with a duration). Each client runs them all. */
	const char *ops[CLIENT_PROC_MAX_OPS];
	size_t nops;
	uint32_t requests;
	uint64_t duration_us; /* submit for this long (0: by count) */
	uint64_t deadline_us; /* give up after this long (0: never) */
	const char *trace;    /* its trace file, or NULL for none */
	bool json, quiet;
};

/*
 * Returns an exit status: 0 every request accepted; 1 stopped or out of
 * time before that; 2 bad input; 3 a failure at run time.
 *
 * --json prints one line per client at the end:
 *
 *   {"client":C,"accepted":A,"requests":R,
 *    "latency_ms":{"p50":..,"p99":..,"max":..},
 *    "latencies_us":[..],     each accepted request's latency, in order
 *    "accepted_at_us":[..],   when each was accepted: wall-clock µs since
 *                             the cluster's epoch (the trace's time)
 *    "signatures":S,          requests it signed (not retransmissions)
 *    "verifications":V,       reply signatures ingress checked for it
 *    "verify_cache_hits":H}   of which the cache answered
 */
int client_proc_main(const struct client_proc_opts *o);

#endif
