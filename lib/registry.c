/*
 * registry.c - the protocols a program knows, as lib/protocols.list names
 * them.
 *
 * meson turns the list into byz_protocols.h, one X(NAME) per protocol, and
 * each protocol's folder lib/NAME/ defines NAME_core_ops (core.h) and
 * NAME_wire_codec (wire.h). Everything else reaches a protocol through the
 * two tables below. This file is compiled into each program rather than
 * into libbyz, so that a test program can link a longer list
 * (tests/protocols.list) with the same libraries.
 */
#include "core.h"
#include "wire.h"

#include "byz_protocols.h"

#include <stddef.h>

#define DECLARE(name)                                                          \
	extern const struct byz_core_ops name##_core_ops;                      \
	extern const struct wire_codec name##_wire_codec;
BYZ_PROTOCOLS(DECLARE)
#undef DECLARE

#define CORE(name) &name##_core_ops,
const struct byz_core_ops *const byz_core_registry[] = {
    BYZ_PROTOCOLS(CORE) NULL,
};
#undef CORE

#define CODEC(name) &name##_wire_codec,
const struct wire_codec *const wire_codecs[] = {
    BYZ_PROTOCOLS(CODEC) NULL,
};
#undef CODEC
