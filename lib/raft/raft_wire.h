/*
 * raft_wire.h - Raft's messages on the wire (docs/wire.md, "Raft"). Every
 * message is a signed frame of protocol RAFT_PROTO whose sender is a
 * replica (Raft itself trusts its peers; the signatures are byzlab's, so
 * that a Byzantine replica can lie only in its own name). Terms start at
 * 1 (0 is the term of the empty log), log indexes at 1.
 *
 * An entry (Figure 2, "log[]") is
 *
 *     term u64, count u16 (0..RAFT_MAX_BATCH), count x (u32 length,
 *     signed CLIENT REQUEST frame)
 *
 * an entry of no request being the no-op a new leader appends (§8).
 *
 *   VOTE_REQ   RequestVote (Figure 2): term u64 (>= 1), last_index u64,
 *              last_term u64 (<= term; 0 iff last_index is 0)
 *   VOTE       RequestVote's reply: term u64 (>= 1), candidate u32 (the
 *              replica asking: a granted vote names whom it is for),
 *              granted u8 (0 or 1)
 *   APPEND     AppendEntries (Figure 2): term u64 (>= 1), prev_index u64,
 *              prev_term u64 (<= term; 0 iff prev_index is 0), commit u64
 *              (leaderCommit), count u16 (0..RAFT_MAX_ENTRIES), count
 *              entries (above), their terms non-decreasing, from prev_term
 *              up to term
 *   APPEND_OK  AppendEntries' reply: term u64 (>= 1), success u8 (0 or
 *              1), match u64 (success: the last index the follower holds
 *              as the leader sent it; failure: a hint, an index the
 *              follower's log matches the leader's up to for sure, its
 *              commit index), last u64 (prev_index + count of the
 *              APPEND it answers; success: match <= last)
 *   SNAPSHOT   InstallSnapshot (§7), in one piece: term u64 (>= 1),
 *              last_index u64 (>= 1), last_term u64 (1..term), snapshot
 *              length u32 (at most RAFT_MAX_SNAPSHOT) and bytes (lib/app.h)
 */
#ifndef BYZ_RAFT_WIRE_H
#define BYZ_RAFT_WIRE_H

#include "wire.h"

#define RAFT_PROTO	  4  /* the frame header's protocol byte */
#define RAFT_MAX_BATCH	  64 /* requests in one entry */
#define RAFT_MAX_ENTRIES  64 /* entries in one APPEND */
#define RAFT_MAX_SNAPSHOT (WIRE_MAX_FRAME - 4096)
/* An APPEND stops adding entries past this many bytes of them (it always
 * carries at least one if it has any to carry). */
#define RAFT_APPEND_BUDGET (WIRE_MAX_FRAME / 2)
#define RAFT_NO_TERM	   0

enum raft_type {
	RAFT_VOTE_REQ = 1,
	RAFT_VOTE = 2,
	RAFT_APPEND = 3,
	RAFT_APPEND_OK = 4,
	RAFT_SNAPSHOT = 5,
};

struct raft_vote_req {
	uint64_t term, last_index, last_term;
};

struct raft_vote {
	uint64_t term;
	uint32_t candidate;
	bool granted;
};

struct raft_append {
	uint64_t term, prev_index, prev_term, commit;
	uint16_t count;
	const uint8_t *entries; /* the count entries, in place */
	size_t entries_len;
};

struct raft_append_ok {
	uint64_t term, match, last;
	bool success;
};

struct raft_snapshot {
	uint64_t term, last_index, last_term;
	const uint8_t *snap;
	uint32_t snap_len;
};

struct raft_msg {
	union {
		struct raft_vote_req vreq;
		struct raft_vote vote;
		struct raft_append app;
		struct raft_append_ok ok;
		struct raft_snapshot snap;
	};
};

/* The Raft message inside a decoded wire_msg (wire.h). */
#define raft_of(m) WIRE_MSG_BODY(struct raft_msg, m)

/* One entry of a decoded APPEND (or of the core's log): its term, its
 * requests, and its bytes as encoded (term first). */
struct raft_entry {
	uint64_t term;
	struct wire_frames batch;
	const uint8_t *bytes;
	size_t len;
};

/* The next entry of a decoded APPEND's entries: 1, or 0 at the end (*pos
 * starts at 0). */
int raft_entries_next(const struct raft_append *a, size_t *pos,
		      struct raft_entry *e);
/* Decode one entry's bytes (bounded, nothing after it): 0 or an error. */
int raft_entry_decode(const uint8_t *p, size_t len, struct raft_entry *e);
/* An entry's bytes from its parts (requests as signed frames). */
int raft_enc_entry(struct wire_buf *b, uint64_t term,
		   const uint8_t *const *frames, const size_t *lens,
		   size_t count);
/* The digest of an entry (BLAKE2b-256 of its bytes): what the adversary's
 * conflict map records. */
void raft_entry_digest(uint8_t d[BYZ_DIGEST_BYTES], const uint8_t *bytes,
		       size_t len);

/* Encoders: each appends one unsigned frame (wire.h conventions) and
 * checks what it wrote decodes. */
int raft_enc_vote_req(struct wire_buf *b, size_t *start, uint32_t sender,
		      uint64_t term, uint64_t last_index, uint64_t last_term);
int raft_enc_vote(struct wire_buf *b, size_t *start, uint32_t sender,
		  uint64_t term, uint32_t candidate, bool granted);
/* ents: count encoded entries (raft_enc_entry's bytes). */
int raft_enc_append(struct wire_buf *b, size_t *start, uint32_t sender,
		    uint64_t term, uint64_t prev_index, uint64_t prev_term,
		    uint64_t commit, const uint8_t *const *ents,
		    const size_t *lens, size_t count);
int raft_enc_append_ok(struct wire_buf *b, size_t *start, uint32_t sender,
		       uint64_t term, bool success, uint64_t match,
		       uint64_t last);
int raft_enc_snapshot(struct wire_buf *b, size_t *start, uint32_t sender,
		      uint64_t term, uint64_t last_index, uint64_t last_term,
		      const uint8_t *snap, size_t snap_len);

#endif
