/*
 * ingress.h - decode a signed frame and verify every signature it carries:
 * the one gate between the network and a core, shared by both drivers (the
 * simulator in lib/sim, and the ZeroMQ node and client processes).
 *
 * ARCHITECTURE.md, "A message takes one path": every signature a message
 * carries -- its own, and those of an embedded client request, quorum
 * certificate, view-change proof or checkpoint proof (wire_for_each_sig)
 * -- is verified here, once, before any core sees the message. Ingress
 * fails closed: the first malformed field, unknown signer or bad signature
 * rejects the whole frame with its code from err.h, and nothing of it may
 * reach a core. A core still checks the quorum semantics (distinct
 * signers, views, digests, counts).
 *
 * The public keys are copied in at creation: replicas 0..n-1 and clients
 * 0..clients-1 (two name spaces, enum byz_role). Successful verifications
 * are remembered in a verified-signature cache (crypto.h), so a request
 * embedded in many messages, or a broadcast seen by many replicas of one
 * process, is verified by libsodium once. The cache never changes an
 * answer, only its cost.
 *
 * Deterministic: the same frames in the same order give the same answers
 * and the same counts.
 */
#ifndef BYZ_INGRESS_H
#define BYZ_INGRESS_H

#include "crypto.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

/*
 * The cluster's keys, as ingress_new reads them (it copies them). With
 * scheme BYZ_SCHEME_FAST (crypto.h: the simulator's fast mode) the tables
 * hold the signers' 32-byte secrets instead of public keys, and no cache is
 * kept (a fast check costs what a cache lookup would).
 */
struct ingress_keys {
	uint32_t n;				/* replicas 0..n-1 */
	uint32_t clients;			/* clients 0..clients-1 */
	const uint8_t (*replica)[BYZ_PK_BYTES]; /* n public keys */
	const uint8_t (*client)[BYZ_PK_BYTES];	/* clients public keys */
	enum byz_scheme scheme;
};

/* What ingress did, for the trace (trace_counts). */
struct ingress_counts {
	uint64_t frames;	/* frames checked */
	uint64_t rejected;	/* of which refused */
	uint64_t verifications; /* signatures checked (cache hits included) */
	uint64_t cache_hits;	/* verifications the cache (or a memo)
				 * answered */
};

struct ingress;

/*
 * A new ingress for the cluster keys describes, with a cache of
 * 2^log2_cache_slots entries (4..24). Returns 0, BYZ_EINVAL (no replica,
 * a NULL key table, a cache size out of range) or BYZ_ENOMEM.
 */
int ingress_new(const struct ingress_keys *keys, unsigned log2_cache_slots,
		struct ingress **out);
/* Free it and clear the caller's pointer; NULL is allowed. */
void ingress_destroy(struct ingress **in);

/*
 * Decode the signed frame [frame, frame+len) into m (wire_decode) and
 * verify every signature it carries against the cluster's keys. Returns 0
 * when the frame is well formed and every signature verifies; otherwise
 * the first failure: a decoding code (BYZ_ETRUNC, BYZ_EMAGIC, ...),
 * BYZ_ESIGNER (a signer outside the cluster) or BYZ_EBADSIG. On failure m
 * must not be used. m points into frame: it is valid while frame is.
 */
BYZ_MUST_CHECK int ingress_check(struct ingress *in, const uint8_t *frame,
				 size_t len, struct wire_msg *m);

/*
 * The verdict of ingress_check on one exact byte string, for a driver that
 * hands the same bytes to several receivers (the simulator's broadcast is
 * one shared frame): zero-initialise it with the frame, pass it to every
 * ingress_check_memo of those bytes, and drop it with them. The first call
 * checks in full and records the answer and how many signatures the frame
 * carries; a later one only decodes (m must point into this receiver's
 * frame) and counts those signatures as verified from the cache. The
 * bytes must not change while the memo lives: a frame the adversary
 * altered is another byte string, with its own memo.
 */
struct ingress_memo {
	bool set;
	int rc;
	uint32_t sigs;
};
BYZ_MUST_CHECK int ingress_check_memo(struct ingress *in, const uint8_t *frame,
				      size_t len, struct wire_msg *m,
				      struct ingress_memo *memo);

/*
 * A frame this process signed itself as replica `signer` (with that
 * replica's secret key) and will hand back to its own core (a loopback,
 * core.h): its own signature goes into the cache as valid, so that
 * ingress_check does not verify what the process just signed. Signatures
 * embedded in it are not trusted: they are checked as always. Nothing for
 * an unsigned or malformed frame, or a signer outside the cluster.
 */
void ingress_trust_own(struct ingress *in, uint32_t signer,
		       const uint8_t *frame, size_t len);

/*
 * The same for a driver that signs for every honest node of the cluster
 * (the simulator): the frame's own signature, made just now with the
 * secret key of (role, signer), goes into the cache -- client requests
 * too. Never for a frame the adversary touched.
 */
void ingress_trust_signed(struct ingress *in, enum byz_role role,
			  uint32_t signer, const uint8_t *frame, size_t len);

struct ingress_counts ingress_counts(const struct ingress *in);

#endif
