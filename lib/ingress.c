/*
 * ingress.c - decode and verify at the edge (ingress.h).
 */
#include "ingress.h"

#include "err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct ingress {
	uint32_t n, clients;
	uint8_t (*pk)[BYZ_PK_BYTES]; /* replicas, then clients (owned); FAST:
				      * their secrets */
	enum byz_scheme scheme;
	struct byz_vcache *cache; /* owned; NULL with FAST */
	struct ingress_counts st;
	uint64_t memo_hits; /* verifications answered by a memo */
};

int ingress_new(const struct ingress_keys *keys, unsigned log2_cache_slots,
		struct ingress **out)
{
	struct ingress *in;
	size_t total;

	*out = NULL;
	if (!keys || keys->n == 0 || !keys->replica ||
	    (keys->clients && !keys->client) || log2_cache_slots < 4 ||
	    log2_cache_slots > 24)
		return BYZ_EINVAL;
	total = (size_t)keys->n + keys->clients;
	in = calloc(1, sizeof *in);
	if (!in)
		return BYZ_ENOMEM;
	in->scheme = keys->scheme;
	in->pk = malloc(total * sizeof *in->pk);
	if (in->scheme != BYZ_SCHEME_FAST)
		in->cache = byz_vcache_new(log2_cache_slots);
	if (!in->pk || (in->scheme != BYZ_SCHEME_FAST && !in->cache)) {
		ingress_destroy(&in);
		return BYZ_ENOMEM;
	}
	in->n = keys->n;
	in->clients = keys->clients;
	memcpy(in->pk, keys->replica, keys->n * sizeof *in->pk);
	if (keys->clients)
		memcpy(in->pk + keys->n, keys->client,
		       keys->clients * sizeof *in->pk);
	*out = in;
	return 0;
}

void ingress_destroy(struct ingress **inp)
{
	struct ingress *in = *inp;

	if (!in)
		return;
	byz_vcache_destroy(&in->cache);
	if (in->pk)
		sodium_memzero(in->pk,
			       ((size_t)in->n + in->clients) * sizeof *in->pk);
	free(in->pk);
	free(in);
	*inp = NULL;
}

/* Verify one signature a message carries (a wire_sig_fn): look the signer
 * up in its name space, then ask the cache (or libsodium). */
static int verify_one(void *ctx, const struct wire_sigref *ref)
{
	struct ingress *in = ctx;
	const uint8_t *pk;

	if (ref->role == BYZ_ROLE_CLIENT) {
		if (ref->signer >= in->clients)
			return BYZ_ESIGNER;
		pk = in->pk[in->n + ref->signer];
	} else {
		if (ref->signer >= in->n)
			return BYZ_ESIGNER;
		pk = in->pk[ref->signer];
	}
	in->st.verifications++;
	if (in->scheme == BYZ_SCHEME_FAST)
		return byz_fast_verify(pk, ref->proto, ref->type, ref->content,
				       ref->len, ref->sig);
	return byz_vcache_verify(in->cache, pk, ref->proto, ref->type,
				 ref->content, ref->len, ref->sig);
}

int ingress_check(struct ingress *in, const uint8_t *frame, size_t len,
		  struct wire_msg *m)
{
	int rc;

	in->st.frames++;
	rc = wire_decode(frame, len, m);
	if (!rc)
		rc = wire_for_each_sig(m, verify_one, in);
	if (rc)
		in->st.rejected++;
	return rc;
}

int ingress_check_memo(struct ingress *in, const uint8_t *frame, size_t len,
		       struct wire_msg *m, struct ingress_memo *memo)
{
	uint64_t before = in->st.verifications;
	int rc;

	if (!memo->set) {
		rc = ingress_check(in, frame, len, m);
		memo->set = true;
		memo->rc = rc;
		memo->sigs = (uint32_t)(in->st.verifications - before);
		return rc;
	}
	in->st.frames++;
	rc = memo->rc;
	/* The same bytes decode the same way: only m is wanted. */
	if (!rc)
		rc = wire_decode(frame, len, m);
	if (rc) {
		in->st.rejected++;
		return rc;
	}
	in->st.verifications += memo->sigs;
	in->memo_hits += memo->sigs;
	return 0;
}

/* The cache entry of a frame's own signature by the key at index k. */
static void trust(struct ingress *in, size_t k, const uint8_t *frame,
		  size_t len, uint32_t signer)
{
	struct wire_frame f;

	if (!in->cache || wire_frame_parse(frame, len, true, &f) || !f.sig ||
	    f.sender != signer)
		return;
	byz_vcache_add(in->cache, in->pk[k], f.proto, f.type, f.bytes,
		       f.signed_len, f.sig);
}

void ingress_trust_own(struct ingress *in, uint32_t signer,
		       const uint8_t *frame, size_t len)
{
	struct wire_frame f;

	if (signer >= in->n || wire_frame_parse(frame, len, true, &f) ||
	    (f.proto == BYZ_PROTO_CLIENT && f.type == WIRE_CLIENT_REQUEST))
		return;
	trust(in, signer, frame, len, signer);
}

void ingress_trust_signed(struct ingress *in, enum byz_role role,
			  uint32_t signer, const uint8_t *frame, size_t len)
{
	if (role == BYZ_ROLE_CLIENT) {
		if (signer < in->clients)
			trust(in, (size_t)in->n + signer, frame, len, signer);
	} else if (signer < in->n) {
		trust(in, signer, frame, len, signer);
	}
}

struct ingress_counts ingress_counts(const struct ingress *in)
{
	struct ingress_counts st = in->st;

	st.cache_hits = byz_vcache_stats(in->cache).hits + in->memo_hits;
	return st;
}
