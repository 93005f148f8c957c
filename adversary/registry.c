/*
 * registry.c - the adversary's table of protocol rewrites, from the same
 * list as lib/registry.c (lib/protocols.list, through the generated
 * byz_protocols.h): each protocol folder lib/NAME/ defines
 * NAME_adv_rewrites (mutate.h). Compiled into each program that links the
 * adversary, not into the adversary library, for the same reason as
 * lib/registry.c.
 */
#include "mutate.h"

#include "byz_protocols.h"

#include <stddef.h>

#define DECLARE(name) extern const struct adv_rewrites name##_adv_rewrites;
BYZ_PROTOCOLS(DECLARE)
#undef DECLARE

#define REWRITES(name) &name##_adv_rewrites,
const struct adv_rewrites *const adv_rewrites_registry[] = {
    BYZ_PROTOCOLS(REWRITES) NULL,
};
#undef REWRITES
