/*
 * hs_wire.h - chained HotStuff's messages on the wire (docs/wire.md,
 * "HotStuff").
 *
 * Every message is a signed frame of protocol HS_PROTO whose
 * sender is a replica. A quorum certificate (QC) is a list of embedded
 * signed VOTE frames and a timeout certificate (TC) a list of embedded
 * signed TIMEOUT frames (wire.h), so every signature they hold is verified
 * at ingress like any other; the core checks the quorum semantics.
 * Decoded messages point into the frame (no allocation).
 */
#ifndef BYZ_HS_WIRE_H
#define BYZ_HS_WIRE_H

#include "wire.h"

#define HS_PROTO 3 /* the frame header's protocol byte */

enum hs_type {
	HS_PROPOSAL = 1, /* a block: <view, justify QC, TC, batch>_leader
			    PODC'19 Alg. 4 */
	HS_VOTE =
	    2, /* <VOTE, view, block hash>_i, to the next leader  Alg. 4 */
	HS_TIMEOUT =
	    3, /* <TIMEOUT, view, highQC, last vote>_i, broadcast (pacemaker) */
	HS_FETCH = 4,  /* ask for a block (and ancestors) by hash (catch-up) */
	HS_BLOCKS = 5, /* the answer: PROPOSAL frames, newest first */
	HS_STATE_REQ = 6, /* ask for a snapshot above a depth (catch-up) */
	HS_STATE = 7,	  /* the answer: a snapshot of the application */
};

#define HS_MAX_BATCH   256 /* requests in one block */
#define HS_MAX_SIGNERS 256 /* frames in one QC or TC (= BYZ_MAX_N) */
#define HS_MAX_FETCH   64  /* blocks asked for, or sent, in one FETCH/BLOCKS */

/* A QC as it is embedded: view u64, block hash (32), votes: u16 count and
 * that many VOTE frames. The genesis QC is view 0, the all-zero hash and
 * no votes. bytes/len span the whole encoding, so a core can keep it. */
struct hs_qc {
	uint64_t view;
	const uint8_t *hash;
	struct wire_frames votes;
	const uint8_t *bytes;
	size_t len;
};

/* PROPOSAL body: view u64 (>= 1), justify QC, tc: list of TIMEOUT frames
 * (empty, or the TC for view-1 that let the leader in), batch: list of
 * CLIENT REQUEST frames. The block's parent is the block its justify
 * certifies; its hash is hs_block_hash. */
struct hs_proposal {
	uint64_t view;
	struct hs_qc justify;
	struct wire_frames tc;
	struct wire_frames batch;
	const uint8_t *batch_bytes; /* the batch list as encoded */
	size_t batch_len;
};

/* VOTE body: view u64 (>= 1), block hash (32). */
struct hs_vote {
	uint64_t view;
	const uint8_t *hash;
};

/* TIMEOUT body: view u64 (>= 1), the sender's highQC, a list of at most
 * one VOTE frame: the sender's latest vote, and the sender's highest commit
 * certificate: the QC whose three-chain decided the newest block it knows
 * decided (the genesis QC if none; DiemBFT's SyncInfo highest_commit_cert).
 */
struct hs_timeout {
	uint64_t view;
	struct hs_qc high;
	struct wire_frames vote;
	struct hs_qc commit;
};

/* FETCH body: block hash (32), count u16 (1..HS_MAX_FETCH): the block and
 * up to count-1 of its ancestors. */
struct hs_fetch {
	const uint8_t *hash;
	uint16_t count;
};

/* BLOCKS body: list of 1..HS_MAX_FETCH PROPOSAL frames. */
struct hs_blocks {
	struct wire_frames blocks;
};

/* STATE_REQ body: depth u64: the number of blocks the asker executed. */
struct hs_state_req {
	uint64_t depth;
};

/* STATE body: depth u64 (>= 1: blocks executed, genesis excluded), view
 * u64 (>= 1) and hash (32) of the last block executed, the sender's
 * highest commit certificate (a QC), and the application snapshot after
 * that block (app.h): u32 length and its bytes. */
struct hs_state {
	uint64_t depth, view;
	const uint8_t *hash;
	struct hs_qc commit;
	const uint8_t *snapshot;
	uint32_t snapshot_len;
};

struct hs_msg {
	union {
		struct hs_proposal prop;
		struct hs_vote vote;
		struct hs_timeout timeout;
		struct hs_fetch fetch;
		struct hs_blocks blocks;
		struct hs_state_req state_req;
		struct hs_state state;
	};

/* The HotStuff message inside a decoded wire_msg (wire.h). */
#define hs_of(m) WIRE_MSG_BODY(struct hs_msg, m)
};

/*
 * The block hash of a proposal: BLAKE2b-256 of
 *   "byzlab/hs/block/v1\0" || view u64 || justify view u64 ||
 *   justify hash (32) || batch list bytes.
 * It names the block's content (view, parent, requests), not the proofs
 * that came with it (the QC's signatures, the TC).
 */
void hs_block_hash(const struct hs_proposal *p, uint8_t out[BYZ_DIGEST_BYTES]);

/* Lists of embedded frames for the encoders: arrays of pointers and
 * lengths. */
struct hs_framev {
	const uint8_t *const *frames;
	const size_t *lens;
	size_t count;
};

/* Append a QC's encoding (not a frame) to b. */
int hs_enc_qc(struct wire_buf *b, uint64_t view,
	      const uint8_t hash[BYZ_DIGEST_BYTES], struct hs_framev votes);

/* Encoders: each appends one unsigned frame (sender = the replica). A QC
 * is passed as its encoding (qc, qc_len), as hs_enc_qc wrote it or as
 * decoded (struct hs_qc bytes/len); it is checked to decode. */
int hs_enc_proposal(struct wire_buf *b, size_t *start, uint32_t sender,
		    uint64_t view, const uint8_t *qc, size_t qc_len,
		    struct hs_framev tc, struct hs_framev batch);
int hs_enc_vote(struct wire_buf *b, size_t *start, uint32_t sender,
		uint64_t view, const uint8_t hash[BYZ_DIGEST_BYTES]);
int hs_enc_timeout(struct wire_buf *b, size_t *start, uint32_t sender,
		   uint64_t view, const uint8_t *qc, size_t qc_len,
		   const uint8_t *vote, size_t vote_len);
/* A TIMEOUT with a commit certificate cqc (hs_enc_timeout writes the
 * genesis QC there). */
int hs_enc_timeout_commit(struct wire_buf *b, size_t *start, uint32_t sender,
			  uint64_t view, const uint8_t *qc, size_t qc_len,
			  const uint8_t *vote, size_t vote_len,
			  const uint8_t *cqc, size_t cqc_len);
int hs_enc_fetch(struct wire_buf *b, size_t *start, uint32_t sender,
		 const uint8_t hash[BYZ_DIGEST_BYTES], uint16_t count);
int hs_enc_state_req(struct wire_buf *b, size_t *start, uint32_t sender,
		     uint64_t depth);
/* A STATE with the commit certificate cqc (NULL: the genesis QC). */
int hs_enc_state(struct wire_buf *b, size_t *start, uint32_t sender,
		 uint64_t depth, uint64_t view,
		 const uint8_t hash[BYZ_DIGEST_BYTES], const uint8_t *cqc,
		 size_t cqc_len, const uint8_t *snapshot, size_t snapshot_len);
int hs_enc_blocks(struct wire_buf *b, size_t *start, uint32_t sender,
		  struct hs_framev blocks);

/* Decode a QC's encoding of exactly len bytes (for a core's own copies). */
int hs_qc_decode(const uint8_t *p, size_t len, struct hs_qc *qc);

#endif
