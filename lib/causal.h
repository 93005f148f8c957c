/*
 * causal.h - happened-before over a run's events (Lamport, "Time, clocks,
 * and the ordering of events in a distributed system", CACM 1978), kept
 * as vector clocks (Fidge 1988, Mattern 1989) while the trace is written
 * (lib/trace.c) or read back (harness/trace_read.c), and the causality
 * check it makes possible (docs/trace.md, "causality"):
 *
 *  - a message is received after it was sent: a deliver, drop or reject
 *    line names a message a send or loopback line put in flight before it,
 *    and, in traces of real processes, the receipt's Lamport clock `lc` is
 *    above the send's;
 *  - a decision is preceded by the quorum that justifies it: when an honest
 *    replica commits a request, at least `quorum` distinct replicas (the
 *    protocol's, core.h: 2f+1 for the BFT cores) had an event that happened
 *    after the client submitted the request and before the commit. No
 *    correct protocol can decide on fewer: a replica that executes a
 *    request having heard of it from fewer replicas decided alone.
 *
 * The processes are the replicas, their twin instances and the clients;
 * every send and every receipt is an event of its process. Each message in
 * flight holds its sender's clock at the send (shared by the sends of one
 * broadcast until the clock changes), released when it is received,
 * dropped or rejected, so memory grows with the messages in flight and the
 * decisions, not with the run. Violations are kept in the log (trace.h,
 * struct trace_log: causal) and judged by harness/check.c.
 */
#ifndef BYZ_CAUSAL_H
#define BYZ_CAUSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct causal;
struct trace_log;

/*
 * A tracker for n replicas whose decisions need `quorum` replicas (0: no
 * quorum check), writing what it finds into log. strict: every receipt
 * must name a message sent before it (the simulator's traces); otherwise a
 * receipt of a message never sent is tolerated (a real process killed
 * mid-write loses its last line), but one whose send comes later is not.
 * NULL if out of memory.
 */
struct causal *causal_new(uint32_t n, uint32_t quorum, bool strict,
			  struct trace_log *log);
void causal_free(struct causal **c);

/* Node addresses (core.h) and message ids as the trace has them; lc is
 * the line's Lamport clock in traces of real processes, else 0. Each
 * returns 0 or BYZ_ENOMEM. */
int causal_send(struct causal *c, uint32_t from, uint64_t id, uint64_t lc);
int causal_receive(struct causal *c, uint32_t from, uint32_t to, uint64_t id,
		   uint64_t t, uint64_t lc, bool delivered);
int causal_submit(struct causal *c, uint32_t client, uint64_t ts);
int causal_commit(struct causal *c, uint64_t t, uint32_t replica,
		  uint32_t client, uint64_t ts, uint64_t height);
/* The vector clock of the node at addr as of its latest event: its
 * entries (*vc, the number returned; 0 if the node is not tracked). Entry
 * k names causal_proc_name(c, k): "r3", "r3t" (its twin) or "c7". The sum
 * of the entries is a Lamport clock: it grows along happened-before. */
uint32_t causal_clock(const struct causal *c, uint32_t addr,
		      const uint32_t **vc);
void causal_proc_name(const struct causal *c, uint32_t k, char buf[16]);

/* At the end of the trace: receipts of messages never sent (strict). */
int causal_finish(struct causal *c);

#endif
