/*
 * crypto.c - keys, domain-separated Ed25519, BLAKE2b, verified-signature
 * cache. See crypto.h for the formats.
 */
#include "crypto.h"

#include "err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define KEY_DOMAIN  "byzlab/key/v1"
#define FAST_DOMAIN "byzlab/fast/v1"

int byz_crypto_init(void)
{
	return sodium_init() < 0 ? BYZ_EINVAL : 0;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void byz_key_derive(struct byz_keypair *kp, uint64_t seed, enum byz_role role,
		    uint32_t id)
{
	uint8_t in[sizeof KEY_DOMAIN + 8 + 1 + 4];
	uint8_t ed_seed[crypto_sign_SEEDBYTES];

	memcpy(in, KEY_DOMAIN, sizeof KEY_DOMAIN); /* includes the NUL */
	put_le(in + sizeof KEY_DOMAIN, seed, 8);
	in[sizeof KEY_DOMAIN + 8] = (uint8_t)role;
	put_le(in + sizeof KEY_DOMAIN + 9, id, 4);
	crypto_generichash(ed_seed, sizeof ed_seed, in, sizeof in, NULL, 0);
	crypto_sign_seed_keypair(kp->pk, kp->sk, ed_seed);
	kp->scheme = BYZ_SCHEME_ED25519;
	sodium_memzero(ed_seed, sizeof ed_seed);
}

void byz_key_derive_fast(struct byz_keypair *kp, uint64_t seed,
			 enum byz_role role, uint32_t id)
{
	uint8_t in[sizeof FAST_DOMAIN + 8 + 1 + 4];

	memset(kp, 0, sizeof *kp);
	memcpy(in, FAST_DOMAIN, sizeof FAST_DOMAIN); /* includes the NUL */
	put_le(in + sizeof FAST_DOMAIN, seed, 8);
	in[sizeof FAST_DOMAIN + 8] = (uint8_t)role;
	put_le(in + sizeof FAST_DOMAIN + 9, id, 4);
	crypto_generichash(kp->sk, BYZ_FAST_KEY_BYTES, in, sizeof in, NULL, 0);
	crypto_generichash(kp->pk, BYZ_PK_BYTES, kp->sk, BYZ_FAST_KEY_BYTES,
			   NULL, 0);
	kp->scheme = BYZ_SCHEME_FAST;
}

void byz_key_random(struct byz_keypair *kp)
{
	crypto_sign_keypair(kp->pk, kp->sk);
	kp->scheme = BYZ_SCHEME_ED25519;
}

void byz_digest(uint8_t out[BYZ_DIGEST_BYTES], const void *data, size_t len)
{
	crypto_generichash(out, BYZ_DIGEST_BYTES, data, len, NULL, 0);
}

void byz_sign_input(uint8_t out[BYZ_SIGN_INPUT_BYTES], uint8_t proto,
		    uint8_t type, const uint8_t *content, size_t len)
{
	_Static_assert(sizeof BYZ_SIGN_DOMAIN + 2 + BYZ_DIGEST_BYTES ==
			   BYZ_SIGN_INPUT_BYTES,
		       "signing input layout");
	memcpy(out, BYZ_SIGN_DOMAIN, sizeof BYZ_SIGN_DOMAIN);
	out[sizeof BYZ_SIGN_DOMAIN] = proto;
	out[sizeof BYZ_SIGN_DOMAIN + 1] = type;
	byz_digest(out + sizeof BYZ_SIGN_DOMAIN + 2, content, len);
}

/* The fast-mode signature of the signing input m under key. */
static void fast_mac(uint8_t sig[BYZ_SIG_BYTES],
		     const uint8_t m[BYZ_SIGN_INPUT_BYTES],
		     const uint8_t key[BYZ_FAST_KEY_BYTES])
{
	_Static_assert(BYZ_SIG_BYTES <= crypto_generichash_BYTES_MAX,
		       "a fast signature is one BLAKE2b output");
	crypto_generichash(sig, BYZ_SIG_BYTES, m, BYZ_SIGN_INPUT_BYTES, key,
			   BYZ_FAST_KEY_BYTES);
}

void byz_sign(const struct byz_keypair *kp, uint8_t proto, uint8_t type,
	      const uint8_t *content, size_t len, uint8_t sig[BYZ_SIG_BYTES])
{
	uint8_t m[BYZ_SIGN_INPUT_BYTES];

	byz_sign_input(m, proto, type, content, len);
	if (kp->scheme == BYZ_SCHEME_FAST)
		fast_mac(sig, m, kp->sk);
	else
		crypto_sign_detached(sig, NULL, m, sizeof m, kp->sk);
}

int byz_fast_verify(const uint8_t key[BYZ_FAST_KEY_BYTES], uint8_t proto,
		    uint8_t type, const uint8_t *content, size_t len,
		    const uint8_t sig[BYZ_SIG_BYTES])
{
	uint8_t m[BYZ_SIGN_INPUT_BYTES], want[BYZ_SIG_BYTES];

	byz_sign_input(m, proto, type, content, len);
	fast_mac(want, m, key);
	return sodium_memcmp(want, sig, BYZ_SIG_BYTES) == 0 ? 0 : BYZ_EBADSIG;
}

int byz_keypair_verify(const struct byz_keypair *kp, uint8_t proto,
		       uint8_t type, const uint8_t *content, size_t len,
		       const uint8_t sig[BYZ_SIG_BYTES])
{
	if (kp->scheme == BYZ_SCHEME_FAST)
		return byz_fast_verify(kp->sk, proto, type, content, len, sig);
	return byz_verify(kp->pk, proto, type, content, len, sig);
}

int byz_verify(const uint8_t pk[BYZ_PK_BYTES], uint8_t proto, uint8_t type,
	       const uint8_t *content, size_t len,
	       const uint8_t sig[BYZ_SIG_BYTES])
{
	uint8_t m[BYZ_SIGN_INPUT_BYTES];

	byz_sign_input(m, proto, type, content, len);
	return crypto_sign_verify_detached(sig, m, sizeof m, pk) == 0
		   ? 0
		   : BYZ_EBADSIG;
}

/* 4-way set associative: a triple may live in any of its set's four
 * slots, and a new one takes a free slot or, round robin, the set's
 * oldest, so a few colliding triples no longer evict each other. */
#define VCACHE_WAYS 4

struct byz_vcache {
	unsigned log2_slots;
	size_t set_mask;		   /* sets - 1 */
	uint8_t (*keys)[BYZ_DIGEST_BYTES]; /* set s: slots 4s .. 4s+3 */
	uint8_t *used;
	uint8_t *next; /* per set: the slot a new entry evicts next */
	struct byz_vcache_stats stats;
};

struct byz_vcache *byz_vcache_new(unsigned log2_slots)
{
	struct byz_vcache *c;
	size_t slots;

	if (log2_slots < 4 || log2_slots > 24)
		return NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	slots = (size_t)1 << log2_slots;
	c->log2_slots = log2_slots;
	c->set_mask = slots / VCACHE_WAYS - 1;
	c->keys = malloc(slots * sizeof *c->keys); /* read only where used */
	c->used = calloc(slots, 1);
	c->next = calloc(slots / VCACHE_WAYS, 1);
	if (!c->keys || !c->used || !c->next) {
		byz_vcache_destroy(&c);
		return NULL;
	}
	return c;
}

void byz_vcache_destroy(struct byz_vcache **c)
{
	if (!*c)
		return;
	free((*c)->keys);
	free((*c)->used);
	free((*c)->next);
	free(*c);
	*c = NULL;
}

/* The cache key of (pk, signing input m, sig) and its set. */
static size_t vcache_key(const struct byz_vcache *c,
			 const uint8_t pk[BYZ_PK_BYTES],
			 const uint8_t m[BYZ_SIGN_INPUT_BYTES],
			 const uint8_t sig[BYZ_SIG_BYTES],
			 uint8_t key[BYZ_DIGEST_BYTES])
{
	crypto_generichash_state st;
	size_t set = 0;

	crypto_generichash_init(&st, NULL, 0, BYZ_DIGEST_BYTES);
	crypto_generichash_update(&st, pk, BYZ_PK_BYTES);
	crypto_generichash_update(&st, m, BYZ_SIGN_INPUT_BYTES);
	crypto_generichash_update(&st, sig, BYZ_SIG_BYTES);
	crypto_generichash_final(&st, key, BYZ_DIGEST_BYTES);
	for (int i = 0; i < 8; i++)
		set |= (size_t)key[i] << (8 * i);
	return set & c->set_mask;
}

static bool vcache_has(const struct byz_vcache *c, size_t set,
		       const uint8_t key[BYZ_DIGEST_BYTES])
{
	for (size_t w = 0; w < VCACHE_WAYS; w++) {
		size_t i = set * VCACHE_WAYS + w;
		if (c->used[i] &&
		    memcmp(c->keys[i], key, BYZ_DIGEST_BYTES) == 0)
			return true;
	}
	return false;
}

static void vcache_put(struct byz_vcache *c, size_t set,
		       const uint8_t key[BYZ_DIGEST_BYTES])
{
	size_t w, i;

	if (vcache_has(c, set, key))
		return;
	for (w = 0; w < VCACHE_WAYS; w++)
		if (!c->used[set * VCACHE_WAYS + w])
			break;
	if (w == VCACHE_WAYS) {
		w = c->next[set];
		c->next[set] = (uint8_t)((w + 1) % VCACHE_WAYS);
	}
	i = set * VCACHE_WAYS + w;
	memcpy(c->keys[i], key, BYZ_DIGEST_BYTES);
	c->used[i] = 1;
}

void byz_vcache_add(struct byz_vcache *c, const uint8_t pk[BYZ_PK_BYTES],
		    uint8_t proto, uint8_t type, const uint8_t *content,
		    size_t len, const uint8_t sig[BYZ_SIG_BYTES])
{
	uint8_t m[BYZ_SIGN_INPUT_BYTES];
	uint8_t key[BYZ_DIGEST_BYTES];

	if (!c)
		return;
	byz_sign_input(m, proto, type, content, len);
	vcache_put(c, vcache_key(c, pk, m, sig, key), key);
}

int byz_vcache_verify(struct byz_vcache *c, const uint8_t pk[BYZ_PK_BYTES],
		      uint8_t proto, uint8_t type, const uint8_t *content,
		      size_t len, const uint8_t sig[BYZ_SIG_BYTES])
{
	uint8_t m[BYZ_SIGN_INPUT_BYTES];
	uint8_t key[BYZ_DIGEST_BYTES];
	size_t set;

	byz_sign_input(m, proto, type, content, len);
	if (!c)
		return crypto_sign_verify_detached(sig, m, sizeof m, pk) == 0
			   ? 0
			   : BYZ_EBADSIG;

	set = vcache_key(c, pk, m, sig, key);
	if (vcache_has(c, set, key)) {
		c->stats.hits++;
		return 0;
	}
	c->stats.misses++;
	if (crypto_sign_verify_detached(sig, m, sizeof m, pk) != 0) {
		c->stats.failures++;
		return BYZ_EBADSIG;
	}
	vcache_put(c, set, key);
	return 0;
}

struct byz_vcache_stats byz_vcache_stats(const struct byz_vcache *c)
{
	struct byz_vcache_stats z = {0};
	return c ? c->stats : z;
}

void byz_hex(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}
