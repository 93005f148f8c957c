/*
 * proc.h - what every process of a real cluster does alike: read the
 * cluster's public keys into an ingress, keep its trace (stamped with a
 * Lamport clock and the wall clock, line by line to its file so that a
 * SIGKILL loses at most the line being written), number its messages,
 * and report its state in a status file.
 */
#ifndef BYZ_NODES_PROC_H
#define BYZ_NODES_PROC_H

#include "cluster.h"
#include "ingress.h"
#include "net.h"
#include "trace.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define PROC_ADVERSARY_TAG 0xfffu

/* Largest message a process takes from the network: a signed frame. */
#define PROC_MAX_FRAME (WIRE_MAX_FRAME + BYZ_SIG_BYTES)

struct proc {
	const struct cluster *cl;
	struct trace tr;
	FILE *trace_file;
	uint64_t next_id; /* the next message id this process gives */
	uint64_t id_base;
};

/* Start: the trace file at path (appended to: a restarted process goes on
 * in the same file; NULL for none) and message ids of node addr (or
 * PROC_ADVERSARY_TAG) in its boot-th start. 0 or -1 with why. */
int proc_open(struct proc *p, const struct cluster *cl, uint32_t tag,
	      uint32_t boot, const char *trace_path, char *why, size_t whylen);
/* Flush and close the trace; 0, or -1 with why if a write failed. */
int proc_close(struct proc *p, const char *trace_path, char *why,
	       size_t whylen);

/* The trace tag of a node address (replica r: 1 + r; its twin: 0x200 + r;
 * client c: 0x400 + c). */
uint32_t proc_tag(uint32_t addr);

/* Set the trace's wall clock to now; returns the trace time (µs since the
 * cluster's epoch). */
uint64_t proc_now(struct proc *p);
/* A fresh message id. */
uint64_t proc_msg_id(struct proc *p);
/* Before the line that receives a message with Lamport clock lc. */
void proc_received(struct proc *p, uint64_t lc);

/* An ingress with the cluster's public keys (replicas and clients), read
 * from its key folder. 0 or -1 with why naming the file. */
int proc_ingress(const struct cluster *cl, struct ingress **out, char *why,
		 size_t whylen);

/* A "key value" line of a status file (node.c writes them) into *v; false
 * when the file or the key is not there. */
bool proc_status_get(const char *path, const char *key, uint64_t *v);

/* Write text to path atomically (temporary file, rename). 0 or -1. */
int proc_write_status(const char *path, const char *text);

/*
 * Start `self` (this program) with argv as a child process, its stdout and
 * stderr appended to log, stdin from /dev/null, SIGINT and SIGTERM at
 * their defaults. PROC_SPAWN_TIED: the kernel kills it when this process
 * dies (PR_SET_PDEATHSIG), so it never outlives its launcher;
 * PROC_SPAWN_DAEMON: a session of its own, outliving this process. The
 * child's pid, or -1 with errno.
 */
enum proc_spawn_mode { PROC_SPAWN_TIED, PROC_SPAWN_DAEMON };
pid_t proc_spawn(const char *self, char *const argv[], const char *log,
		 enum proc_spawn_mode mode);

/* A stop flag set by SIGTERM and SIGINT (handlers installed without
 * SA_RESTART, so a blocking wait returns). */
extern volatile sig_atomic_t proc_stop;
void proc_signals(void);

#endif
