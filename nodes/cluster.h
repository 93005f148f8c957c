/*
 * cluster.h - the cluster file: what every process of a real cluster (the
 * zmq driver) reads to know the others.
 *
 * One file, the strict YAML subset of campaign and scenario files
 * (harness/conf.h). Its top-level keys are scenario fields
 * (docs/scenarios.md: protocol, n, f, timeout, batch, window, checkpoint,
 * clients, requests, byzantine, attacks, crashes, seed, gst, ...), plus:
 *
 *   scenario: FILE   a scenario file (YAML or JSON) read first; the
 *                    fields written here then override it
 *   cluster:         a map:
 *     keys: DIR      the key files of `byzlab keygen` (required)
 *     data: DIR      replica r keeps its log in DIR/replica-<r> (its twin
 *                    in DIR/replica-<r>-twin); default "data"
 *     epoch: US      the run's time origin, microseconds since the Unix
 *                    epoch: trace times are wall-clock time since it
 *                    (default 0: since the Unix epoch)
 *     replicas: [ENDPOINT, ...]  exactly n, replica 0 first
 *     clients: [ENDPOINT, ...]   exactly `clients` of them; clients may
 *                                share one (a process that serves them
 *                                all, `byzlab client --count`), no
 *                                other node may share
 *     adversary: ENDPOINT        optional: every frame passes through it
 *     twins:                     optional, one per twin (attack `twins`)
 *       r1: ENDPOINT
 *
 * An ENDPOINT is tcp://HOST:PORT or ipc://PATH (ipc://@NAME: Linux's
 * abstract namespace, which leaves no file behind). Relative paths
 * (scenario, keys, data) are relative to the cluster file's directory.
 * Every error names the file and line.
 */
#ifndef BYZ_NODES_CLUSTER_H
#define BYZ_NODES_CLUSTER_H

#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLUSTER_ENDPOINT_MAX 200
#define CLUSTER_PATH_MAX     4096

struct cluster {
	char path[CLUSTER_PATH_MAX]; /* the cluster file */
	struct scenario sc;	     /* protocol, n, f, parameters, faults */
	char keys[CLUSTER_PATH_MAX]; /* resolved against the file's folder */
	char data[CLUSTER_PATH_MAX];
	uint64_t epoch_us;
	uint32_t nclients;
	char (*replica)[CLUSTER_ENDPOINT_MAX]; /* n of them */
	char (*twin)[CLUSTER_ENDPOINT_MAX];    /* n of them; "" for none */
	char (*client)[CLUSTER_ENDPOINT_MAX];  /* nclients of them */
	char adversary[CLUSTER_ENDPOINT_MAX];  /* "" for none */
};

/* Read and check a cluster file. 0, or -1 with why ("FILE:LINE: what");
 * *c must be released with cluster_free either way. */
int cluster_load(const char *path, struct cluster *c, char *why, size_t whylen);
void cluster_free(struct cluster *c);

/* Where a node address (core.h: replica, twin, client) listens; NULL if
 * the cluster has no such node. */
const char *cluster_endpoint(const struct cluster *c, uint32_t addr);

/* Replica r's (or its twin's) data directory, in out. 0 or BYZ_ELIMIT. */
int cluster_data_dir(const struct cluster *c, uint32_t addr, char *out,
		     size_t outlen);

/* Whether text is an endpoint this driver accepts (tcp:// or ipc://,
 * printable, no spaces, shorter than CLUSTER_ENDPOINT_MAX). */
bool cluster_endpoint_ok(const char *text);

#endif
