/*
 * ingress.c - decode and verify at the edge (ingress.h).
 */
#include "ingress.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

struct ingress {
	uint32_t n, clients;
	uint8_t (*pk)[BYZ_PK_BYTES]; /* replicas, then clients (owned) */
	struct byz_vcache *cache;    /* owned */
	struct ingress_counts st;
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
	in->pk = malloc(total * sizeof *in->pk);
	in->cache = byz_vcache_new(log2_cache_slots);
	if (!in->pk || !in->cache) {
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

void ingress_trust_own(struct ingress *in, uint32_t signer,
		       const uint8_t *frame, size_t len)
{
	struct wire_frame f;

	if (wire_frame_parse(frame, len, true, &f) || !f.sig ||
	    f.sender != signer || signer >= in->n ||
	    (f.proto == BYZ_PROTO_CLIENT && f.type == WIRE_CLIENT_REQUEST))
		return;
	byz_vcache_add(in->cache, in->pk[signer], f.proto, f.type, f.bytes,
		       f.signed_len, f.sig);
}

struct ingress_counts ingress_counts(const struct ingress *in)
{
	struct ingress_counts st = in->st;

	st.cache_hits = byz_vcache_stats(in->cache).hits;
	return st;
}
