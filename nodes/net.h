/*
 * net.h - how the processes of a real cluster talk: ZeroMQ, one PULL
 * socket per process to receive, one PUSH socket per peer to send
 * (docs/zmq.md explains the choice).
 *
 * A message between processes is two ZeroMQ frames: an envelope of
 * NET_ENV_BYTES (below) and the signed protocol frame, unchanged (the
 * adversary forwards honest frames byte for byte). The envelope is not
 * authenticated and nothing in it reaches a core: it carries the trace's
 * bookkeeping (the sender's claim of who sent it and to whom, the message
 * id, the Lamport clock) so that per-process traces can be merged. What a
 * replica acts on is the frame, which ingress authenticates.
 *
 * Bounded: the receiving socket refuses messages larger than a frame plus
 * its signature (ZMQ_MAXMSGSIZE: the sender is disconnected), queues at
 * most NET_RCVHWM messages per connected sender (so a flooding sender can
 * make it hold at most NET_RCVHWM frames; the rest waits in the sender's
 * own memory, up to NET_HWM, then is dropped there), and a message of the
 * wrong shape is dropped and counted, never trusted. Sending never blocks: when
 * a peer's queue is full the message is dropped (as a lossy network would).
 */
#ifndef BYZ_NODES_NET_H
#define BYZ_NODES_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ENV_BYTES 32
#define NET_ENV_MAGIC 0x314c5a42u /* "BZL1" little-endian */
#define NET_HWM	      10000	  /* messages a sender queues for one peer */
/* Messages a receiver queues per sender: with ZMQ_MAXMSGSIZE, what one
 * sender (honest or not) can make it hold is at most NET_RCVHWM frames of
 * the largest size; beyond, the sender's own queue fills (its memory) and
 * then it drops. */
#define NET_RCVHWM 64
#define NET_FORGED 1u /* the adversary altered it without the key */

/* The envelope: magic, flags, from, to (u32), id, lc (u64), little-endian. */
struct net_env {
	uint32_t flags;
	uint32_t from, to; /* node addresses (core.h) */
	uint64_t id;	   /* the send's id: unique in the run */
	uint64_t lc;	   /* the sender's Lamport clock at the send */
};

struct net;

/* Receive at endpoint (bind), frames of at most max_frame bytes. 0, or -1
 * with why ("tcp://127.0.0.1:7000: Address already in use"). */
int net_open(struct net **out, const char *endpoint, size_t max_frame,
	     char *why, size_t whylen);
void net_close(struct net **n);
/* Receive at one more endpoint on the same socket (a client process that
 * serves several clients, client_proc.h). 0, or -1 with why as net_open. */
int net_bind(struct net *n, const char *endpoint, char *why, size_t whylen);

/* Send env and frame to the node listening at endpoint (a PUSH socket per
 * endpoint, connected on first use). 0; 1 when its queue is full (the
 * message is dropped); -1 with why on a socket error. */
int net_send(struct net *n, const char *endpoint, const struct net_env *env,
	     const uint8_t *frame, size_t len, char *why, size_t whylen);

/*
 * Wait up to timeout_ms (-1: forever) for a message. Returns 1 with *env
 * and the frame in buf[0..*len) (buf of max_frame bytes); 0 on timeout or
 * when a signal interrupted the wait; 2 for a message of the wrong shape
 * (dropped; counted in net_malformed); -1 with why on a socket error.
 */
int net_recv(struct net *n, int timeout_ms, struct net_env *env, uint8_t *buf,
	     size_t *len, char *why, size_t whylen);

uint64_t net_malformed(const struct net *n);

#endif
