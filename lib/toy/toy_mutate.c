/*
 * toy_mutate.c - the adversary's rewrites of toy frames: none. The toy is
 * not fault tolerant (toy.c): a Byzantine sequencer breaks it with any
 * message, so the attacks that need no rewrite (silent, crash, twins, the
 * network's) are enough to show it. Every mutation skips its frames.
 */
#include "mutate.h"
#include "toy_wire.h"

const struct adv_rewrites toy_adv_rewrites = {
    .proto = TOY_PROTO,
    .mutate = NULL,
};
