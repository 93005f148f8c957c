/*
 * wire_expect.c - the expectations of tests/corpus/wire (corpus.h) for
 * the corpus replay of fuzz_wire.c. File names carry them, checked with
 * wire_decode:
 *
 *   ok-<what>             decodes as a signed frame, and every signature
 *                         it carries verifies with its signer's key from
 *                         seed 1 (CORPUS_SEED: crypto.h's byz_key_derive,
 *                         whatever the id)
 *   err-<errname>-<what>  fails with exactly the code whose byz_errname is
 *                         errname, e.g. err-truncated-header.bin; for the
 *                         ingress errors (bad-signature, unknown-signer) it
 *                         decodes, and ingress_check fails with that code
 *                         for a node that knows the seed-1 keys of replicas
 *                         0..CORPUS_REPLICAS-1 and clients
 *                         0..CORPUS_CLIENTS-1 (docs/wire.md §7)
 *   anything else         (fuzzer findings, fz-<sha1>.bin) must not crash
 */
#include "corpus.h"

#include "crypto.h"
#include "err.h"
#include "ingress.h"
#include "wire.h"

#include <string.h>

/* The corpus's keys (docs/wire.md §7): every signature is made with the
 * key byz_key_derive gives for (seed 1, role, id); the ingress errors are
 * checked against a node that knows these replicas and clients. */
#define CORPUS_SEED	1
#define CORPUS_REPLICAS 4
#define CORPUS_CLIENTS	8

static struct ingress *in;

/* A wire_sig_fn: the signature verifies with the seed-1 key of its signer
 * in the name space of its (protocol, type). */
static int verify_seed_key(void *ctx, const struct wire_sigref *ref)
{
	struct byz_keypair kp;

	(void)ctx;
	byz_key_derive(&kp, CORPUS_SEED, ref->role, ref->signer);
	return byz_verify(kp.pk, ref->proto, ref->type, ref->content, ref->len,
			  ref->sig);
}

/* The node of the ingress expectations: seed-1 keys of replicas
 * 0..CORPUS_REPLICAS-1 and clients 0..CORPUS_CLIENTS-1. */
static int setup(void)
{
	static uint8_t rpk[CORPUS_REPLICAS][BYZ_PK_BYTES];
	static uint8_t cpk[CORPUS_CLIENTS][BYZ_PK_BYTES];
	struct ingress_keys keys = {CORPUS_REPLICAS, CORPUS_CLIENTS,
				    (const uint8_t(*)[BYZ_PK_BYTES])rpk,
				    (const uint8_t(*)[BYZ_PK_BYTES])cpk,
				    BYZ_SCHEME_ED25519};
	struct byz_keypair kp;

	if (byz_crypto_init())
		return -1;
	for (uint32_t i = 0; i < CORPUS_REPLICAS; i++) {
		byz_key_derive(&kp, CORPUS_SEED, BYZ_ROLE_REPLICA, i);
		memcpy(rpk[i], kp.pk, BYZ_PK_BYTES);
	}
	for (uint32_t i = 0; i < CORPUS_CLIENTS; i++) {
		byz_key_derive(&kp, CORPUS_SEED, BYZ_ROLE_CLIENT, i);
		memcpy(cpk[i], kp.pk, BYZ_PK_BYTES);
	}
	return ingress_new(&keys, 8, &in) ? -1 : 0;
}

static void teardown(void)
{
	ingress_destroy(&in);
}

/* What a file with an expectation gives: the decoder's code; for a frame
 * that decodes, the first signature that does not verify (ok- files: with
 * the seed-1 key of any id) or ingress's code (files that expect an
 * ingress error). */
static int outcome(int expect, const uint8_t *data, size_t len)
{
	struct wire_msg m;
	int got = wire_decode(data, len, &m);

	if (got)
		return got;
	if (expect == BYZ_EBADSIG || expect == BYZ_ESIGNER)
		return ingress_check(in, data, len, &m);
	return wire_for_each_sig(&m, verify_seed_key, NULL);
}

/* No file may be longer than the largest frame plus a signature. */
const struct corpus_target corpus_target = {
    "wire", (size_t)WIRE_MAX_FRAME + 64, true, setup, teardown, outcome,
};
