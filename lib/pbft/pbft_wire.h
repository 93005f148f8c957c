/*
 * pbft_wire.h - PBFT's messages on the wire (docs/wire.md, "PBFT").
 *
 * Every message is a signed frame of protocol PBFT_PROTO whose sender
 * is a replica. Certificates are lists of embedded signed frames (wire.h),
 * so every signature they hold is verified at ingress like any other.
 * Decoded messages point into the frame (no allocation).
 */
#ifndef BYZ_PBFT_WIRE_H
#define BYZ_PBFT_WIRE_H

#include "wire.h"

#define PBFT_PROTO 2 /* the frame header's protocol byte */

enum pbft_type {
	PBFT_PREPREPARE =
	    1, /* <PRE-PREPARE, v, n, batch>_p        OSDI'99 §4.2 */
	PBFT_PREPARE = 2,    /* <PREPARE, v, n, d>_i                  §4.2 */
	PBFT_COMMIT = 3,     /* <COMMIT, v, n, d>_i                   §4.2 */
	PBFT_CHECKPOINT = 4, /* <CHECKPOINT, n, d>_i                  §4.3 */
	PBFT_VIEWCHANGE = 5, /* <VIEW-CHANGE, v+1, n, C, P>_i         §4.4 */
	PBFT_NEWVIEW = 6,    /* <NEW-VIEW, v+1, V, O>_p               §4.4 */
	PBFT_FETCH =
	    7, /* ask for state or committed requests (state transfer) */
	PBFT_STATE = 8, /* the state at a stable checkpoint, with its proof */
	PBFT_CERT = 9, /* a committed certificate: pre-prepare + 2f+1 commits */
	PBFT_VCS = 10, /* a VIEW-CHANGE forwarded: answer to FETCH(vc) */
};

#define PBFT_MAX_BATCH	 256  /* requests in one pre-prepare */
#define PBFT_MAX_SIGNERS 256  /* frames in one certificate (= BYZ_MAX_N) */
#define PBFT_MAX_PSET	 1024 /* prepared certificates in one view-change */

enum pbft_fetch_what {
	PBFT_FETCH_STATE = 1, /* the state at the stable checkpoint >= seq */
	PBFT_FETCH_LOG = 2,   /* committed certificates for seq, seq+1, ... */
	PBFT_FETCH_VC = 3, /* the view-changes a NEW-VIEW for view seq names */
};

/* PRE-PREPARE body: view u64, seq u64 (>= 1), batch: u16 count then count
 * embedded CLIENT REQUEST frames. Its digest d is BLAKE2b-256 of the batch
 * bytes (count and frames, exactly as encoded); an empty batch is the null
 * request of §4.4. */
struct pbft_preprepare {
	uint64_t view, seq;
	struct wire_frames batch;
	const uint8_t *batch_bytes;
	size_t batch_len;
};

/* PREPARE and COMMIT bodies: view u64, seq u64 (>= 1), digest (32). */
struct pbft_vote {
	uint64_t view, seq;
	const uint8_t *digest;
};

/* CHECKPOINT body: seq u64 (>= 1), state digest (32). */
struct pbft_checkpoint {
	uint64_t seq;
	const uint8_t *digest;
};

/* A view-change's P: u16 count, then count entries, each an embedded
 * PRE-PREPARE and a list of embedded PREPAREs (a prepared certificate). */
struct pbft_pset {
	const uint8_t *p;
	size_t len;
	uint16_t count;
};

/* VIEW-CHANGE body: new view u64 (>= 1), stable checkpoint seq u64 and
 * digest (32), C: list of CHECKPOINT frames proving it (empty for seq 0),
 * P: the prepared certificates above it. */
struct pbft_viewchange {
	uint64_t view, stable_seq;
	const uint8_t *stable_digest;
	struct wire_frames proof;
	struct pbft_pset prepared;
};

/* NEW-VIEW body: view u64 (>= 1), V: u16 count (<= PBFT_MAX_SIGNERS) and
 * count references to VIEW-CHANGE frames, each sender u32 and the
 * BLAKE2b-256 digest (32) of that whole signed frame (TOCS'02 §4.4 / libbyz:
 * the primary names the view-changes, which every replica was sent; one
 * that lacks some fetches them); O: list of PRE-PREPARE frames for the new
 * view. */
#define PBFT_VREF_BYTES (4 + BYZ_DIGEST_BYTES)
struct pbft_newview {
	uint64_t view;
	const uint8_t *vrefs; /* count * PBFT_VREF_BYTES bytes */
	uint16_t nvrefs;
	struct wire_frames pps;
};

/* The i-th reference of a NEW-VIEW's V: its sender and frame digest. */
void pbft_vref_at(const struct pbft_newview *nv, uint16_t i, uint32_t *sender,
		  const uint8_t **digest);

/* FETCH body: what u8 (enum pbft_fetch_what), seq u64. */
struct pbft_fetch {
	uint8_t what;
	uint64_t seq;
};

/* STATE body: seq u64 (>= 1), state digest (32), C: list of CHECKPOINT
 * frames, snapshot: u32 length and the application snapshot (app.h). */
struct pbft_state {
	uint64_t seq;
	const uint8_t *digest;
	struct wire_frames proof;
	const uint8_t *snapshot;
	uint32_t snapshot_len;
};

/* CERT body: an embedded PRE-PREPARE, then a list of COMMIT frames. */
struct pbft_cert {
	struct wire_frame pp;
	struct wire_frames commits;
};

/* VCS body: one embedded VIEW-CHANGE frame, signed by its sender (the
 * forwarder only vouches it held it). */
struct pbft_vcs {
	struct wire_frame vc;
};

struct pbft_msg {
	union {
		struct pbft_preprepare pp;
		struct pbft_vote vote; /* PREPARE, COMMIT */
		struct pbft_checkpoint ckpt;
		struct pbft_viewchange vc;
		struct pbft_newview nv;
		struct pbft_fetch fetch;
		struct pbft_state state;
		struct pbft_cert cert;
		struct pbft_vcs vcs;
	};

/* The PBFT message inside a decoded wire_msg (wire.h). */
#define pbft_of(m) WIRE_MSG_BODY(struct pbft_msg, m)
};

/* Walk a P set: 1 with the next entry, 0 at the end (*pos starts at 0). */
int pbft_pset_next(const struct pbft_pset *ps, size_t *pos,
		   struct wire_frame *pp, struct wire_frames *prepares);

/* Encoders: each appends one unsigned frame (sender = the replica). Lists
 * of embedded frames are given as arrays of pointers and lengths. */
struct pbft_framev {
	const uint8_t *const *frames;
	const size_t *lens;
	size_t count;
};

int pbft_enc_preprepare(struct wire_buf *b, size_t *start, uint32_t sender,
			uint64_t view, uint64_t seq, struct pbft_framev batch);
int pbft_enc_vote(struct wire_buf *b, size_t *start, uint8_t type,
		  uint32_t sender, uint64_t view, uint64_t seq,
		  const uint8_t digest[BYZ_DIGEST_BYTES]);
int pbft_enc_checkpoint(struct wire_buf *b, size_t *start, uint32_t sender,
			uint64_t seq, const uint8_t digest[BYZ_DIGEST_BYTES]);
/* A view-change is written in parts: begin, then one pset entry at a time. */
int pbft_enc_viewchange_begin(struct wire_buf *b, size_t *start,
			      uint32_t sender, uint64_t view,
			      uint64_t stable_seq,
			      const uint8_t digest[BYZ_DIGEST_BYTES],
			      struct pbft_framev proof, uint16_t npset);
void pbft_enc_pset_entry(struct wire_buf *b, const uint8_t *pp, size_t pplen,
			 struct pbft_framev prepares);
int pbft_enc_end(struct wire_buf *b, size_t start);
/* V as count senders and the digests of their VIEW-CHANGE frames. */
int pbft_enc_newview(struct wire_buf *b, size_t *start, uint32_t sender,
		     uint64_t view, const uint32_t *vc_senders,
		     const uint8_t (*vc_digests)[BYZ_DIGEST_BYTES],
		     uint16_t count, struct pbft_framev pps);
int pbft_enc_fetch(struct wire_buf *b, size_t *start, uint32_t sender,
		   uint8_t what, uint64_t seq);
int pbft_enc_state(struct wire_buf *b, size_t *start, uint32_t sender,
		   uint64_t seq, const uint8_t digest[BYZ_DIGEST_BYTES],
		   struct pbft_framev proof, const uint8_t *snapshot,
		   size_t snapshot_len);
int pbft_enc_cert(struct wire_buf *b, size_t *start, uint32_t sender,
		  const uint8_t *pp, size_t pplen, struct pbft_framev commits);
int pbft_enc_vcs(struct wire_buf *b, size_t *start, uint32_t sender,
		 const uint8_t *vc, size_t vclen);

#endif
