/*
 * mirror_mutate.c - the adversary's rewrites of mirror frames: none. The mirror
 * is not fault tolerant (mirror.c): a Byzantine sequencer breaks it with any
 * message, so the attacks that need no rewrite (silent, crash, twins, the
 * network's) are enough to show it. Every mutation skips its frames.
 */
#include "mutate.h"
#include "mirror_wire.h"

const struct adv_rewrites mirror_adv_rewrites = {
    .proto = MIRROR_PROTO,
    .mutate = NULL,
};
