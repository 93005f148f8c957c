/*
 * crypto.c - keys, domain-separated Ed25519, BLAKE2b, verified-signature
 * cache. See crypto.h for the formats.
 */
#include "crypto.h"

#include "err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define KEY_DOMAIN "byzlab/key/v1"

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
	sodium_memzero(ed_seed, sizeof ed_seed);
}

void byz_key_random(struct byz_keypair *kp)
{
	crypto_sign_keypair(kp->pk, kp->sk);
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

void byz_sign(const struct byz_keypair *kp, uint8_t proto, uint8_t type,
	      const uint8_t *content, size_t len, uint8_t sig[BYZ_SIG_BYTES])
{
	uint8_t m[BYZ_SIGN_INPUT_BYTES];

	byz_sign_input(m, proto, type, content, len);
	crypto_sign_detached(sig, NULL, m, sizeof m, kp->sk);
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

struct byz_vcache {
	unsigned log2_slots;
	uint8_t (*keys)[BYZ_DIGEST_BYTES];
	uint8_t *used;
	struct byz_vcache_stats stats;
};

struct byz_vcache *byz_vcache_new(unsigned log2_slots)
{
	struct byz_vcache *c;

	if (log2_slots < 4 || log2_slots > 24)
		return NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->log2_slots = log2_slots;
	c->keys = calloc((size_t)1 << log2_slots, sizeof *c->keys);
	c->used = calloc((size_t)1 << log2_slots, 1);
	if (!c->keys || !c->used) {
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
	free(*c);
	*c = NULL;
}

/* The cache key of (pk, signing input m, sig) and its slot. */
static size_t vcache_key(const struct byz_vcache *c,
			 const uint8_t pk[BYZ_PK_BYTES],
			 const uint8_t m[BYZ_SIGN_INPUT_BYTES],
			 const uint8_t sig[BYZ_SIG_BYTES],
			 uint8_t key[BYZ_DIGEST_BYTES])
{
	crypto_generichash_state st;
	size_t slot = 0;

	crypto_generichash_init(&st, NULL, 0, BYZ_DIGEST_BYTES);
	crypto_generichash_update(&st, pk, BYZ_PK_BYTES);
	crypto_generichash_update(&st, m, BYZ_SIGN_INPUT_BYTES);
	crypto_generichash_update(&st, sig, BYZ_SIG_BYTES);
	crypto_generichash_final(&st, key, BYZ_DIGEST_BYTES);
	for (int i = 0; i < 8; i++)
		slot |= (size_t)key[i] << (8 * i);
	return slot & (((size_t)1 << c->log2_slots) - 1);
}

void byz_vcache_add(struct byz_vcache *c, const uint8_t pk[BYZ_PK_BYTES],
		    uint8_t proto, uint8_t type, const uint8_t *content,
		    size_t len, const uint8_t sig[BYZ_SIG_BYTES])
{
	uint8_t m[BYZ_SIGN_INPUT_BYTES];
	uint8_t key[BYZ_DIGEST_BYTES];
	size_t slot;

	if (!c)
		return;
	byz_sign_input(m, proto, type, content, len);
	slot = vcache_key(c, pk, m, sig, key);
	memcpy(c->keys[slot], key, sizeof key);
	c->used[slot] = 1;
}

int byz_vcache_verify(struct byz_vcache *c, const uint8_t pk[BYZ_PK_BYTES],
		      uint8_t proto, uint8_t type, const uint8_t *content,
		      size_t len, const uint8_t sig[BYZ_SIG_BYTES])
{
	uint8_t m[BYZ_SIGN_INPUT_BYTES];
	uint8_t key[BYZ_DIGEST_BYTES];
	size_t slot;

	byz_sign_input(m, proto, type, content, len);
	if (!c)
		return crypto_sign_verify_detached(sig, m, sizeof m, pk) == 0
			   ? 0
			   : BYZ_EBADSIG;

	slot = vcache_key(c, pk, m, sig, key);

	if (c->used[slot] && memcmp(c->keys[slot], key, sizeof key) == 0) {
		c->stats.hits++;
		return 0;
	}
	c->stats.misses++;
	if (crypto_sign_verify_detached(sig, m, sizeof m, pk) != 0) {
		c->stats.failures++;
		return BYZ_EBADSIG;
	}
	memcpy(c->keys[slot], key, sizeof key);
	c->used[slot] = 1;
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
