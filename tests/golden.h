/*
 * golden.h - one renderer of a replica core's outputs as lines of text,
 * shared by every protocol's tests (golden traces, in the manner of
 * cowsql/raft's tests and etcd-io/raft's testdata).
 *
 * A step's outbox (core.h) becomes one line per output:
 *
 *     persist msg pbft/pre-prepare v=0 n=1 batch=c0/t1 d=4f2a91c0
 *     broadcast pbft/prepare v=0 n=1 d=4f2a91c0
 *     send r3 hotstuff/vote v=1 b=77aa01f2
 *     send c0 client/reply v=0 c0 t=1 result='ok'
 *     timer view 20ms
 *     commit h1 slot=1 c0/t1
 *     note pre-prepare from r3, not the primary of view 0: dropped
 *
 * Messages are decoded and described by their protocol's codec
 * (wire_describe), and a core's timer ids and write-ahead log records by
 * its core (byz_core_ops: timer_names, describe_record), so the renderer
 * knows no protocol: everything comes through the registry.
 */
#ifndef BYZ_TESTS_GOLDEN_H
#define BYZ_TESTS_GOLDEN_H

#include "core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GOLDEN_LINE 400 /* a line is cut to this many bytes (with NUL) */

/* A decoded message for people: "pbft/prepare v=1 n=3 d=ab12cd34". */
void golden_msg(const struct wire_msg *m, char *buf, size_t cap);

/* The same for a frame, signed or not; "??? (N bytes: error)" if it does
 * not decode. */
void golden_frame(const uint8_t *frame, size_t len, bool is_signed, char *buf,
		  size_t cap);

/* An address: "r2", "c0", "r2t" (a twin). */
void golden_addr(uint32_t addr, char *buf, size_t cap);

/* One output o of ob, produced by a core of protocol ops, as a line. */
void golden_output(const struct byz_core_ops *ops, const struct byz_outbox *ob,
		   const struct byz_output *o, char *line, size_t cap);

/* A timer id by its name for protocol ops ("view", or a number), and the
 * name of an id. 0, or BYZ_EINVAL for a name the protocol does not have. */
int golden_timer_id(const struct byz_core_ops *ops, const char *name,
		    uint32_t *id);
void golden_timer_name(const struct byz_core_ops *ops, uint32_t id, char *buf,
		       size_t cap);

/* A duration for people: "20ms", "1500us", "2s". */
void golden_duration(uint64_t us, char *buf, size_t cap);

/*
 * Lines of text that grow as needed (the whole trace of a script step).
 * golden_text_add appends one line (a newline is added); on allocation
 * failure the text is marked and later adds are ignored.
 */
struct golden_text {
	char *s;
	size_t len, cap;
	bool oom;
};

void golden_text_add(struct golden_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void golden_text_free(struct golden_text *t);

#endif
