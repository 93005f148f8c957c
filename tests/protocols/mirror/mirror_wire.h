/*
 * mirror_wire.h - the mirror protocol's messages on the wire: the toy's
 * (docs/wire.md, "Toy") under protocol byte 9. Two types, both signed by a
 * replica:
 *
 *   ORDER  seq u64 (>= 1), request frame length u32, and a whole signed
 *          CLIENT REQUEST frame of that length;
 *   FETCH  seq u64 (>= 1).
 */
#ifndef BYZ_MIRROR_WIRE_H
#define BYZ_MIRROR_WIRE_H

#include "wire.h"

#define MIRROR_PROTO 9 /* the frame header's protocol byte */

enum mirror_type {
	MIRROR_ORDER = 1,
	MIRROR_FETCH = 2,
};

struct mirror_order {
	uint64_t seq;
	struct wire_frame req_frame;
	struct wire_request req;
};

struct mirror_fetch {
	uint64_t seq;
};

struct mirror_msg {
	union {
		struct mirror_order order;
		struct mirror_fetch fetch;
	};
};

/* The mirror message inside a decoded wire_msg (wire.h). */
#define mirror_of(m) WIRE_MSG_BODY(struct mirror_msg, m)

/* Encoders: each appends one unsigned frame (wire.h conventions). An
 * ORDER's request is checked exactly as the decoder will check it, so an
 * ORDER this encodes always decodes: its error is returned instead. */
int mirror_enc_order(struct wire_buf *b, size_t *start, uint32_t leader,
		     uint64_t seq, const uint8_t *req_frame, size_t req_len);
int mirror_enc_fetch(struct wire_buf *b, size_t *start, uint32_t sender,
		     uint64_t seq);

#endif
