/*
 * bench.h - what the targets of `byzlab bench` share (cmd_bench.c,
 * cmd_bench_zmq.c).
 */
#ifndef BYZ_CMD_BENCH_H
#define BYZ_CMD_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_LIST 8

/* CPU seconds per Ed25519 signature and per verification (byz_sign and
 * byz_verify over a 100-byte message), timed now for about `seconds` of
 * this thread's CPU time; 0 if out of memory. */
double bench_sign_time(double seconds);
double bench_verify_time(double seconds);

/* `byzlab bench explore` (cmd_bench_explore.c): argv[0] is "explore";
 * returns the exit code. */
int bench_explore(int argc, char **argv);

/* `byzlab bench zmq` (cmd_bench_zmq.c). */
struct bench_zmq_opts {
	const char *protocol; /* NULL or "all": all but test fixtures */
	uint32_t n[BENCH_MAX_LIST], batch[BENCH_MAX_LIST];
	size_t nn, nbatch;
	bool direct, adversary; /* the paths to measure */
	uint32_t clients;	/* 0: by batch (bench_zmq_clients) */
	uint64_t requests;	/* in all, instead of seconds; 0: by time */
	double seconds;		/* clients submit for this long */
	const char *out;	/* keep run folders under it; NULL: none */
	bool json;
};

int bench_zmq(const struct bench_zmq_opts *o);
/* The CPUs this process may run on (its affinity mask, else the online
 * count; at least 1). */
int bench_cores(void);
/* Where bench_zmq makes the run folders it does not keep. */
const char *bench_zmq_tmp(void);

#endif
