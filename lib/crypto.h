/*
 * crypto.h - Ed25519 keys, domain-separated signatures, BLAKE2b-256
 * digests, and a verified-signature cache (libsodium underneath).
 *
 * Signing input (docs/wire.md, "Signatures"): a signature never covers raw
 * content. It covers the 48-byte string
 *
 *     "byzlab/sig/v1\0" (14 bytes) || protocol (u8) || type (u8)
 *     || BLAKE2b-256(content) (32 bytes)
 *
 * so a signature made for one (protocol, message type) never verifies as
 * another, whatever the content bytes.
 */
#ifndef BYZ_CRYPTO_H
#define BYZ_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BYZ_PK_BYTES	     32
#define BYZ_SK_BYTES	     64
#define BYZ_SIG_BYTES	     64
#define BYZ_DIGEST_BYTES     32
#define BYZ_SIGN_INPUT_BYTES 48
#define BYZ_SIGN_DOMAIN	     "byzlab/sig/v1"

#if defined(__GNUC__)
#define BYZ_MUST_CHECK __attribute__((warn_unused_result))
#else
#define BYZ_MUST_CHECK
#endif

/* Whose key: replicas and clients draw keys from separate name spaces. */
enum byz_role {
	BYZ_ROLE_REPLICA = 1,
	BYZ_ROLE_CLIENT = 2,
};

/*
 * How a keypair signs (docs/crypto.md).
 *
 * BYZ_SCHEME_ED25519: Ed25519 over the signing input above; everything but
 * the simulator's fast mode, and every key file.
 *
 * BYZ_SCHEME_FAST: the simulator's exploration mode. A "signature" is the
 * 64-byte keyed BLAKE2b (crypto_generichash, key = the signer's 32-byte
 * secret) of the same 48-byte signing input; pk is BLAKE2b-256 of the
 * secret (a name, not a key: nothing verifies with it). Whoever verifies
 * needs the secret, so the scheme is for one process that holds every
 * honest key -- the simulator -- and adversary code that is handed only the
 * corrupted replicas' keypairs (sim_byzantine_key), as with Ed25519: it
 * cannot compute an honest replica's signature without that replica's
 * secret. A violation found in fast mode is replayed with Ed25519 before it
 * is reported (harness/scenario.h).
 */
enum byz_scheme {
	BYZ_SCHEME_ED25519 = 0,
	BYZ_SCHEME_FAST = 1,
};

#define BYZ_FAST_KEY_BYTES 32

struct byz_keypair {
	uint8_t pk[BYZ_PK_BYTES];
	uint8_t sk[BYZ_SK_BYTES]; /* FAST: the secret in the first 32 bytes */
	uint8_t scheme;		  /* enum byz_scheme */
};

/* Initialise libsodium. Returns 0 or BYZ_EINVAL. Call once at start. */
int byz_crypto_init(void);

/*
 * Derive the keypair of (role, id) from a 64-bit simulation seed:
 * ed25519 seed = BLAKE2b-256("byzlab/key/v1\0" || u64le seed || u8 role
 * || u32le id). Deterministic; for simulations and tests only.
 */
void byz_key_derive(struct byz_keypair *kp, uint64_t seed, enum byz_role role,
		    uint32_t id);

/*
 * The fast-mode keypair of (role, id): secret = BLAKE2b-256(
 * "byzlab/fast/v1\0" || u64le seed || u8 role || u32le id), pk =
 * BLAKE2b-256(secret). Simulations only.
 */
void byz_key_derive_fast(struct byz_keypair *kp, uint64_t seed,
			 enum byz_role role, uint32_t id);

/* A fresh random keypair (for key files written by `byzlab keygen`). */
void byz_key_random(struct byz_keypair *kp);

/* BLAKE2b-256 of data. */
void byz_digest(uint8_t out[BYZ_DIGEST_BYTES], const void *data, size_t len);

/* The 48-byte signing input described above. */
void byz_sign_input(uint8_t out[BYZ_SIGN_INPUT_BYTES], uint8_t proto,
		    uint8_t type, const uint8_t *content, size_t len);

/* Sign content as (proto, type), in kp's scheme. */
void byz_sign(const struct byz_keypair *kp, uint8_t proto, uint8_t type,
	      const uint8_t *content, size_t len, uint8_t sig[BYZ_SIG_BYTES]);

/* 0 if sig is pk's signature of content as (proto, type), else BYZ_EBADSIG. */
BYZ_MUST_CHECK int byz_verify(const uint8_t pk[BYZ_PK_BYTES], uint8_t proto,
			      uint8_t type, const uint8_t *content, size_t len,
			      const uint8_t sig[BYZ_SIG_BYTES]);

/* 0 if sig is kp's signature of content as (proto, type) in kp's scheme
 * (the holder of a keypair checking a signature of its own key), else
 * BYZ_EBADSIG. */
BYZ_MUST_CHECK int byz_keypair_verify(const struct byz_keypair *kp,
				      uint8_t proto, uint8_t type,
				      const uint8_t *content, size_t len,
				      const uint8_t sig[BYZ_SIG_BYTES]);

/* 0 if sig is the fast-mode signature of content as (proto, type) under
 * the secret `key`, else BYZ_EBADSIG. */
BYZ_MUST_CHECK int byz_fast_verify(const uint8_t key[BYZ_FAST_KEY_BYTES],
				   uint8_t proto, uint8_t type,
				   const uint8_t *content, size_t len,
				   const uint8_t sig[BYZ_SIG_BYTES]);

/*
 * Verified-signature cache. A simulation verifies the same signature many
 * times (a request embedded in many messages, duplicates, broadcasts to many
 * replicas of one process). The cache remembers successful verifications,
 * keyed on BLAKE2b-256(pk || signing input || sig), i.e. on the whole triple:
 * a hit means this exact key, input and signature verified before. Failures
 * are never cached. Four-way set associative, fixed size: memory does not
 * grow.
 */
struct byz_vcache;

struct byz_vcache_stats {
	uint64_t hits, misses, failures;
};

/* A cache with 2^log2_slots entries (log2_slots in 4..24). NULL on error. */
struct byz_vcache *byz_vcache_new(unsigned log2_slots);
void byz_vcache_destroy(struct byz_vcache **c);
/* Like byz_verify, answered from the cache when it can be. c may be NULL. */
BYZ_MUST_CHECK int byz_vcache_verify(struct byz_vcache *c,
				     const uint8_t pk[BYZ_PK_BYTES],
				     uint8_t proto, uint8_t type,
				     const uint8_t *content, size_t len,
				     const uint8_t sig[BYZ_SIG_BYTES]);
/* Remember a signature as valid without verifying it: for a signature the
 * caller made itself (with the secret key of pk), never for one it
 * received. A later byz_vcache_verify of it is then a hit (unless another
 * entry took its slot meanwhile: then it is verified). c may be NULL. */
void byz_vcache_add(struct byz_vcache *c, const uint8_t pk[BYZ_PK_BYTES],
		    uint8_t proto, uint8_t type, const uint8_t *content,
		    size_t len, const uint8_t sig[BYZ_SIG_BYTES]);
struct byz_vcache_stats byz_vcache_stats(const struct byz_vcache *c);

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void byz_hex(char *out, const uint8_t *in, size_t len);

#endif
