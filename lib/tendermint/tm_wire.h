/*
 * tm_wire.h - Tendermint's messages on the wire (docs/wire.md,
 * "Tendermint"). Every message is a signed frame of protocol TM_PROTO whose
 * sender is a replica. Heights start at 1, rounds at 0; a round is below
 * TM_MAX_ROUND. A value (a block) is the byte string
 *
 *     height u64, prev_state 32 bytes, count u16, count x (u32 length,
 *     signed CLIENT REQUEST frame)
 *
 * and id(v) is BLAKE2b-256 of "byzlab/tm/value/v1\0" and those bytes
 * (tm_value_id); a nil vote names the all-zero id.
 *
 *   PROPOSAL   round u32, valid_round u32 (TM_NO_ROUND, or < round), the
 *              proof of the valid round: u16 count (0 when valid_round is
 *              TM_NO_ROUND) of PREVOTE frames (u32 length, signed frame),
 *              then the value (above, at most TM_MAX_BATCH requests)
 *   PREVOTE    height u64, round u32, id 32
 *   PRECOMMIT  height u64, round u32, id 32
 *   DECISION   height u64, the PROPOSAL frame (u32 length, signed frame),
 *              then u16 count (1..BYZ_MAX_N) of PRECOMMIT frames: the
 *              certificate that the proposal's value was decided
 *   STATUS     height u64, round u32: where its sender is (catch-up)
 *   STATE      height u64 (the height the snapshot is taken before),
 *              snapshot length u32 and bytes (at most TM_MAX_SNAPSHOT),
 *              then the decision of that height as in a DECISION: the
 *              PROPOSAL frame and the list of PRECOMMIT frames
 */
#ifndef BYZ_TM_WIRE_H
#define BYZ_TM_WIRE_H

#include "wire.h"

#define TM_PROTO	5	   /* the frame header's protocol byte */
#define TM_MAX_ROUND	(1u << 24) /* rounds are 0 .. TM_MAX_ROUND - 1 */
#define TM_NO_ROUND	UINT32_MAX /* valid_round -1 of the paper */
#define TM_MAX_BATCH	64	   /* requests in one value */
#define TM_MAX_SNAPSHOT (WIRE_MAX_FRAME / 2)

enum tm_type {
	TM_PROPOSAL = 1,
	TM_PREVOTE = 2,
	TM_PRECOMMIT = 3,
	TM_DECISION = 4,
	TM_STATUS = 5,
	TM_STATE = 6,
};

struct tm_proposal {
	uint32_t round, valid_round;
	uint64_t height;
	struct wire_frames pol;	   /* PREVOTEs for (height, vr, id(v)) */
	const uint8_t *prev_state; /* 32 bytes */
	const uint8_t *value;	   /* the value's bytes (from height on) */
	size_t value_len;
	struct wire_frames batch; /* the requests */
};

struct tm_vote {
	uint64_t height;
	uint32_t round;
	const uint8_t *id; /* 32 bytes; all zero: nil */
};

struct tm_decision {
	uint64_t height;
	struct wire_frame prop; /* the signed PROPOSAL */
	struct wire_frames precommits;
};

struct tm_status {
	uint64_t height;
	uint32_t round;
};

struct tm_state {
	uint64_t height;
	const uint8_t *snap;
	uint32_t snap_len;
	struct wire_frame prop; /* the decision of height, as in DECISION */
	struct wire_frames precommits;
};

struct tm_msg {
	union {
		struct tm_proposal prop;
		struct tm_vote vote;
		struct tm_decision dec;
		struct tm_status status;
		struct tm_state state;
	};
};

/* The Tendermint message inside a decoded wire_msg (wire.h). */
#define tm_of(m) WIRE_MSG_BODY(struct tm_msg, m)

/* The view number of (height, round) (docs/tendermint.md): height x
 * TM_MAX_ROUND + round, monotonic at every replica. */
static inline uint64_t tm_view(uint64_t height, uint32_t round)
{
	return height * TM_MAX_ROUND + round;
}

/* id(v): BLAKE2b-256 of the domain and a value's bytes. */
void tm_value_id(uint8_t id[BYZ_DIGEST_BYTES], const uint8_t *value,
		 size_t len);
/* Whether an id is nil (all zero). */
bool tm_is_nil(const uint8_t *id);

/* A value's bytes from its parts (requests as signed frames). */
int tm_enc_value(struct wire_buf *b, uint64_t height,
		 const uint8_t prev_state[BYZ_DIGEST_BYTES],
		 const uint8_t *const *frames, const size_t *lens,
		 size_t count);

/* Encoders: each appends one unsigned frame (wire.h conventions) and
 * checks its arguments as the decoder will. */
int tm_enc_proposal(struct wire_buf *b, size_t *start, uint32_t sender,
		    uint32_t round, uint32_t valid_round,
		    const uint8_t *const *pol, const size_t *pol_lens,
		    size_t pol_count, const uint8_t *value, size_t value_len);
int tm_enc_vote(struct wire_buf *b, size_t *start, uint8_t type,
		uint32_t sender, uint64_t height, uint32_t round,
		const uint8_t id[BYZ_DIGEST_BYTES]);
int tm_enc_decision(struct wire_buf *b, size_t *start, uint32_t sender,
		    uint64_t height, const uint8_t *prop, size_t prop_len,
		    const uint8_t *const *pcs, const size_t *pc_lens,
		    size_t count);
int tm_enc_status(struct wire_buf *b, size_t *start, uint32_t sender,
		  uint64_t height, uint32_t round);
int tm_enc_state(struct wire_buf *b, size_t *start, uint32_t sender,
		 uint64_t height, const uint8_t *snap, size_t snap_len,
		 const uint8_t *prop, size_t prop_len,
		 const uint8_t *const *pcs, const size_t *pc_lens,
		 size_t count);

#endif
