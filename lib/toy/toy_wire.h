/*
 * toy_wire.h - the toy protocol's messages on the wire (docs/wire.md,
 * "Toy"). Two types, both signed by a replica:
 *
 *   ORDER  seq u64 (>= 1), request frame length u32, and a whole signed
 *          CLIENT REQUEST frame of that length;
 *   FETCH  seq u64 (>= 1).
 */
#ifndef BYZ_TOY_WIRE_H
#define BYZ_TOY_WIRE_H

#include "wire.h"

#define TOY_PROTO 1 /* the frame header's protocol byte */

enum toy_type {
	TOY_ORDER = 1,
	TOY_FETCH = 2,
};

struct toy_order {
	uint64_t seq;
	struct wire_frame req_frame;
	struct wire_request req;
};

struct toy_fetch {
	uint64_t seq;
};

struct toy_msg {
	union {
		struct toy_order order;
		struct toy_fetch fetch;
	};
};

/* The toy message inside a decoded wire_msg (wire.h). */
#define toy_of(m) WIRE_MSG_BODY(struct toy_msg, m)

/* Encoders: each appends one unsigned frame (wire.h conventions). An
 * ORDER's request is checked exactly as the decoder will check it, so an
 * ORDER this encodes always decodes: its error is returned instead. */
int toy_enc_order(struct wire_buf *b, size_t *start, uint32_t leader,
		  uint64_t seq, const uint8_t *req_frame, size_t req_len);
int toy_enc_fetch(struct wire_buf *b, size_t *start, uint32_t sender,
		  uint64_t seq);

#endif
