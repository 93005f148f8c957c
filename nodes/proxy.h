/*
 * proxy.h - the adversary process (`byzlab adversary`): the man in the
 * middle of a real cluster.
 *
 * When a cluster file names an adversary endpoint, every replica and
 * client sends every frame there, with its true recipient in the envelope
 * (net.h). This process applies the same attack library as the simulator
 * (adversary/adversary.h) to each frame in flight, through a port over its
 * sockets and clock: it drops, delays (a bounded queue ordered by due
 * time), duplicates, replays, tampers with bytes (marking the frame forged
 * so a receiver that accepted it would say so), and re-signs frames of the
 * replicas it corrupted with their keys — the only secret keys it reads.
 * A frame it forwards unchanged keeps its bytes and signature. A message
 * to a replica that runs twins goes to each instance, each judged on its
 * own (the twins' partition decides which hears it). Before GST it also
 * applies the scenario's `loss`. It writes what it did to every frame to
 * its own trace (`relay`, `drop`, and `send` for what it injected).
 */
#ifndef BYZ_NODES_PROXY_H
#define BYZ_NODES_PROXY_H

#include <stdbool.h>

struct proxy_opts {
	const char *cluster;
	const char *scenario; /* attacks and Byzantine replicas; NULL: the
			       * cluster file's own */
	const char *trace;    /* its trace file, or NULL */
	bool quiet;
};

/* Run until SIGTERM or SIGINT. 0 stopped cleanly; 2 bad input; 3 a
 * failure at run time. */
int proxy_main(const struct proxy_opts *o);

#endif
