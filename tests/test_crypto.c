/*
 * test_crypto.c - keys, domain-separated signatures and the
 * verified-signature cache (lib/crypto).
 *
 * The golden vectors below were computed independently of this code, in
 * Python (hashlib.blake2b and the `cryptography` package's Ed25519), from
 * the formats written in crypto.h:
 *
 *   seed  = blake2b("byzlab/key/v1\0" || u64le seed || u8 role || u32le id,
 *                   digest_size=32)
 *   input = "byzlab/sig/v1\0" || proto || type || blake2b-256(content)
 *
 * so a change to either format (which would change every trace hash and
 * break every key) fails here.
 */
#include "crypto.h"
#include "err.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void setup(void)
{
	cr_assert_eq(byz_crypto_init(), 0);
}

TestSuite(crypto, .init = setup);

static char *hex(const uint8_t *p, size_t len)
{
	static char buf[4][2 * 128 + 1];
	static int next;
	char *b = buf[next++ % 4];

	cr_assert_leq(len, 128);
	byz_hex(b, p, len);
	return b;
}

/* 100 bytes 0, 1, ..., 99: the content the golden signature covers. */
static void content100(uint8_t c[100])
{
	for (int i = 0; i < 100; i++)
		c[i] = (uint8_t)i;
}

Test(crypto, derived_keys_match_the_documented_derivation)
{
	struct byz_keypair kp;

	byz_key_derive(&kp, 1, BYZ_ROLE_REPLICA, 0);
	cr_assert_str_eq(hex(kp.sk, 32), "14d750fb9fb1c280da4182c9fd892c24"
					 "5e112c3fc87171720f73ea2fb7488f2d");
	cr_assert_str_eq(hex(kp.pk, 32), "46f1c07efb93e73892de9820db9d7e50"
					 "6b7bfaf48e73efe8e07f4dfd95cb0818");
	cr_assert_arr_eq(kp.sk + 32, kp.pk, 32, "libsodium sk = seed || pk");

	byz_key_derive(&kp, 1, BYZ_ROLE_CLIENT, 0);
	cr_assert_str_eq(hex(kp.pk, 32), "1fe516bf7d54279242d70e2501c1c2a8"
					 "b95c8422d5b50230e9327e285191f2a9");

	byz_key_derive(&kp, 0x0123456789abcdefull, BYZ_ROLE_REPLICA, 7);
	cr_assert_str_eq(hex(kp.pk, 32), "1b38d5d737d0052b4bbab8f20f89377f"
					 "00a5db5e25febbfe4e9c098c9a10b18a");
}

Test(crypto, derived_keys_are_deterministic_and_distinct)
{
	struct byz_keypair a, b;
	const struct {
		uint64_t seed;
		enum byz_role role;
		uint32_t id;
	} other[] = {
	    {2, BYZ_ROLE_REPLICA, 3}, /* another seed */
	    {1, BYZ_ROLE_CLIENT, 3},  /* another role */
	    {1, BYZ_ROLE_REPLICA, 4}, /* another id */
	    {1ull << 32, BYZ_ROLE_REPLICA, 3}, {1, BYZ_ROLE_REPLICA, 3u << 8},
	};

	byz_key_derive(&a, 1, BYZ_ROLE_REPLICA, 3);
	byz_key_derive(&b, 1, BYZ_ROLE_REPLICA, 3);
	cr_assert_arr_eq(a.pk, b.pk, sizeof a.pk);
	cr_assert_arr_eq(a.sk, b.sk, sizeof a.sk);

	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		byz_key_derive(&b, other[i].seed, other[i].role, other[i].id);
		cr_assert_arr_neq(a.pk, b.pk, sizeof a.pk, "case %zu", i);
		cr_assert_arr_neq(a.sk, b.sk, sizeof a.sk, "case %zu", i);
	}
}

Test(crypto, random_keys_differ_and_work)
{
	struct byz_keypair a, b;
	uint8_t msg[3] = {1, 2, 3}, sig[BYZ_SIG_BYTES];

	byz_key_random(&a);
	byz_key_random(&b);
	cr_assert_arr_neq(a.pk, b.pk, sizeof a.pk);
	byz_sign(&a, 1, 1, msg, sizeof msg, sig);
	cr_assert_eq(byz_verify(a.pk, 1, 1, msg, sizeof msg, sig), 0);
	cr_assert_eq(byz_verify(b.pk, 1, 1, msg, sizeof msg, sig), BYZ_EBADSIG);
}

Test(crypto, digest_and_signing_input)
{
	uint8_t d[BYZ_DIGEST_BYTES], in[BYZ_SIGN_INPUT_BYTES], c[100];

	byz_digest(d, "abc", 3);
	cr_assert_str_eq(hex(d, sizeof d), "bddd813c634239723171ef3fee98579b"
					   "94964e3bb1cb3e427262c8c068d52319");
	content100(c);
	byz_sign_input(in, 1, 2, c, sizeof c);
	cr_assert_str_eq(hex(in, sizeof in),
			 "62797a6c61622f7369672f7631000102"
			 "5ac86383dec1db602fdbc2c978c3fe1b"
			 "f4328fea1e1b495b68be2c3b67ba033b");
}

Test(crypto, signature_matches_golden_and_round_trips)
{
	struct byz_keypair kp;
	uint8_t c[100], sig[BYZ_SIG_BYTES];

	content100(c);
	byz_key_derive(&kp, 1, BYZ_ROLE_REPLICA, 0);
	byz_sign(&kp, 1, 2, c, sizeof c, sig);
	cr_assert_str_eq(hex(sig, sizeof sig),
			 "c2f2017a35a3a14b0d6122cdeeadaccd"
			 "120e009ba80af54bbdab71e43a1bf9d2"
			 "f5210483bd44b4444dc704aeacc8155b"
			 "d683419a9c23c45ee6be9f9c85ea9502");
	cr_assert_eq(byz_verify(kp.pk, 1, 2, c, sizeof c, sig), 0);
}

Test(crypto, empty_content_signs_and_verifies)
{
	struct byz_keypair kp;
	uint8_t c[1] = {0}, sig[BYZ_SIG_BYTES];

	byz_key_derive(&kp, 5, BYZ_ROLE_CLIENT, 1);
	byz_sign(&kp, 2, 9, c, 0, sig);
	cr_assert_eq(byz_verify(kp.pk, 2, 9, c, 0, sig), 0);
	cr_assert_eq(byz_verify(kp.pk, 2, 9, c, 1, sig), BYZ_EBADSIG);
}

Test(crypto, any_single_bit_flip_fails)
{
	struct byz_keypair kp;
	uint8_t c[100], sig[BYZ_SIG_BYTES], pk[BYZ_PK_BYTES];

	content100(c);
	byz_key_derive(&kp, 3, BYZ_ROLE_REPLICA, 1);
	byz_sign(&kp, 1, 4, c, sizeof c, sig);
	memcpy(pk, kp.pk, sizeof pk);

	for (size_t bit = 0; bit < 8 * sizeof c; bit++) {
		c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_eq(byz_verify(pk, 1, 4, c, sizeof c, sig),
			     BYZ_EBADSIG, "content bit %zu", bit);
		c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < 8 * sizeof sig; bit++) {
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_eq(byz_verify(pk, 1, 4, c, sizeof c, sig),
			     BYZ_EBADSIG, "signature bit %zu", bit);
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < 8 * sizeof pk; bit++) {
		pk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_eq(byz_verify(pk, 1, 4, c, sizeof c, sig),
			     BYZ_EBADSIG, "public key bit %zu", bit);
		pk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	cr_assert_eq(byz_verify(pk, 1, 4, c, sizeof c, sig), 0,
		     "restored inputs verify again");
}

Test(crypto, domain_separation)
{
	struct byz_keypair kp;
	struct byz_vcache *vc = byz_vcache_new(8);
	uint8_t c[100], sig[BYZ_SIG_BYTES], raw[BYZ_SIG_BYTES];
	uint8_t in[BYZ_SIGN_INPUT_BYTES];

	content100(c);
	byz_key_derive(&kp, 1, BYZ_ROLE_REPLICA, 0);
	byz_sign(&kp, 1, 2, c, sizeof c, sig);

	cr_assert_eq(byz_verify(kp.pk, 1, 2, c, sizeof c, sig), 0);
	cr_assert_eq(byz_verify(kp.pk, 1, 3, c, sizeof c, sig), BYZ_EBADSIG,
		     "another message type");
	cr_assert_eq(byz_verify(kp.pk, 2, 2, c, sizeof c, sig), BYZ_EBADSIG,
		     "another protocol");
	cr_assert_eq(byz_verify(kp.pk, 2, 1, c, sizeof c, sig), BYZ_EBADSIG,
		     "protocol and type swapped");

	/* The cache answers the same, even once (1, 2) is cached. */
	cr_assert_eq(byz_vcache_verify(vc, kp.pk, 1, 2, c, sizeof c, sig), 0);
	cr_assert_eq(byz_vcache_verify(vc, kp.pk, 1, 3, c, sizeof c, sig),
		     BYZ_EBADSIG);
	cr_assert_eq(byz_vcache_verify(vc, kp.pk, 2, 2, c, sizeof c, sig),
		     BYZ_EBADSIG);

	/* A plain Ed25519 signature of the raw content or of the signing
	 * input of another type is not a byzlab signature. */
	crypto_sign_detached(raw, NULL, c, sizeof c, kp.sk);
	cr_assert_eq(byz_verify(kp.pk, 1, 2, c, sizeof c, raw), BYZ_EBADSIG);
	byz_sign_input(in, 1, 3, c, sizeof c);
	crypto_sign_detached(raw, NULL, in, sizeof in, kp.sk);
	cr_assert_eq(byz_verify(kp.pk, 1, 2, c, sizeof c, raw), BYZ_EBADSIG);
	cr_assert_eq(byz_verify(kp.pk, 1, 3, c, sizeof c, raw), 0);
	byz_vcache_destroy(&vc);
}

Test(crypto, vcache_hits_for_repeated_valid_triples)
{
	struct byz_keypair kp;
	struct byz_vcache *vc = byz_vcache_new(10);
	struct byz_vcache_stats st;
	uint8_t c[100], sig[BYZ_SIG_BYTES];

	cr_assert_not_null(vc);
	content100(c);
	byz_key_derive(&kp, 1, BYZ_ROLE_REPLICA, 0);
	byz_sign(&kp, 1, 2, c, sizeof c, sig);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(
		    byz_vcache_verify(vc, kp.pk, 1, 2, c, sizeof c, sig), 0);
	st = byz_vcache_stats(vc);
	cr_assert_eq(st.misses, 1);
	cr_assert_eq(st.hits, 4);
	cr_assert_eq(st.failures, 0);
	byz_vcache_destroy(&vc);
	cr_assert_null(vc, "destroy clears the caller's pointer");
	byz_vcache_destroy(&vc);
}

Test(crypto, vcache_never_caches_failures)
{
	struct byz_keypair kp, other;
	struct byz_vcache *vc = byz_vcache_new(10);
	struct byz_vcache_stats st;
	uint8_t c[100], sig[BYZ_SIG_BYTES], bad[BYZ_SIG_BYTES];

	content100(c);
	byz_key_derive(&kp, 1, BYZ_ROLE_REPLICA, 0);
	byz_key_derive(&other, 1, BYZ_ROLE_REPLICA, 1);
	byz_sign(&kp, 1, 2, c, sizeof c, sig);
	memcpy(bad, sig, sizeof bad);
	bad[5] ^= 0x10;

	/* a good signature, then a bad one over the same content */
	cr_assert_eq(byz_vcache_verify(vc, kp.pk, 1, 2, c, sizeof c, sig), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(
		    byz_vcache_verify(vc, kp.pk, 1, 2, c, sizeof c, bad),
		    BYZ_EBADSIG, "try %d", i);
	/* the cached good signature under another key */
	cr_assert_eq(byz_vcache_verify(vc, other.pk, 1, 2, c, sizeof c, sig),
		     BYZ_EBADSIG);
	/* the cached good signature over other content */
	c[0] ^= 1;
	cr_assert_eq(byz_vcache_verify(vc, kp.pk, 1, 2, c, sizeof c, sig),
		     BYZ_EBADSIG);
	c[0] ^= 1;
	cr_assert_eq(byz_vcache_verify(vc, kp.pk, 1, 2, c, sizeof c, sig), 0);

	st = byz_vcache_stats(vc);
	cr_assert_eq(st.failures, 5);
	cr_assert_eq(st.misses, 6, "every failure was a miss");
	cr_assert_eq(st.hits, 1);

	/* a bad signature first, then the good one */
	byz_sign(&kp, 1, 7, c, sizeof c, sig);
	memcpy(bad, sig, sizeof bad);
	bad[40] ^= 1;
	cr_assert_eq(byz_vcache_verify(vc, kp.pk, 1, 7, c, sizeof c, bad),
		     BYZ_EBADSIG);
	cr_assert_eq(byz_vcache_verify(vc, kp.pk, 1, 7, c, sizeof c, sig), 0);
	cr_assert_eq(byz_vcache_verify(vc, kp.pk, 1, 7, c, sizeof c, bad),
		     BYZ_EBADSIG);
	byz_vcache_destroy(&vc);
}

/*
 * 16 slots and 100 keys: nearly every slot is shared by several triples,
 * so entries evict each other all the time. Every answer must still be
 * exactly byz_verify's.
 */
Test(crypto, vcache_correct_under_slot_collisions)
{
	enum { KEYS = 100 };
	static struct byz_keypair kp[KEYS];
	static uint8_t sig[KEYS][BYZ_SIG_BYTES];
	struct byz_vcache *vc = byz_vcache_new(4);
	struct byz_vcache_stats st;
	uint8_t c[100], bad[BYZ_SIG_BYTES];

	cr_assert_not_null(vc);
	content100(c);
	for (uint32_t i = 0; i < KEYS; i++) {
		byz_key_derive(&kp[i], 11, BYZ_ROLE_REPLICA, i);
		byz_sign(&kp[i], 1, 2, c, sizeof c, sig[i]);
	}
	for (int round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < KEYS; i++) {
			uint32_t j = (i + 1) % KEYS;

			cr_assert_eq(byz_vcache_verify(vc, kp[i].pk, 1, 2, c,
						       sizeof c, sig[i]),
				     0, "key %u", i);
			/* right away again: a hit, unless evicted */
			cr_assert_eq(byz_vcache_verify(vc, kp[i].pk, 1, 2, c,
						       sizeof c, sig[i]),
				     0, "key %u again", i);
			/* another key's valid signature under this key */
			cr_assert_eq(byz_vcache_verify(vc, kp[i].pk, 1, 2, c,
						       sizeof c, sig[j]),
				     BYZ_EBADSIG, "key %u, sig of %u", i, j);
			memcpy(bad, sig[i], sizeof bad);
			bad[i % BYZ_SIG_BYTES] ^= 0x80;
			cr_assert_eq(byz_vcache_verify(vc, kp[i].pk, 1, 2, c,
						       sizeof c, bad),
				     BYZ_EBADSIG, "key %u, flipped sig", i);
		}
	}
	st = byz_vcache_stats(vc);
	cr_assert_eq(st.failures, 2 * 3 * KEYS);
	cr_assert_eq(st.hits + st.misses, 4 * 3 * KEYS);
	cr_assert_geq(st.hits, 3 * KEYS, "each immediate repeat was a hit");
	byz_vcache_destroy(&vc);
}

Test(crypto, vcache_bounds_and_null_cache)
{
	struct byz_keypair kp;
	struct byz_vcache *vc;
	struct byz_vcache_stats st;
	uint8_t c[4] = {9, 9, 9, 9}, sig[BYZ_SIG_BYTES];

	cr_assert_null(byz_vcache_new(3));
	cr_assert_null(byz_vcache_new(25));
	vc = byz_vcache_new(4);
	cr_assert_not_null(vc);
	byz_vcache_destroy(&vc);

	byz_key_derive(&kp, 1, BYZ_ROLE_CLIENT, 0);
	byz_sign(&kp, 1, 2, c, sizeof c, sig);
	cr_assert_eq(byz_vcache_verify(NULL, kp.pk, 1, 2, c, sizeof c, sig), 0);
	sig[0] ^= 1;
	cr_assert_eq(byz_vcache_verify(NULL, kp.pk, 1, 2, c, sizeof c, sig),
		     BYZ_EBADSIG);
	st = byz_vcache_stats(NULL);
	cr_assert_eq(st.hits + st.misses + st.failures, 0);
}

Test(crypto, hex)
{
	const uint8_t in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
	char out[2 * sizeof in + 1];

	memset(out, 'z', sizeof out);
	byz_hex(out, in, sizeof in);
	cr_assert_str_eq(out, "00017f80abff");
	byz_hex(out, in, 0);
	cr_assert_str_eq(out, "");
}

Test(crypto, fast_keys_sign_and_verify_and_are_not_ed25519)
{
	struct byz_keypair a, a2, b, ed;
	uint8_t sig[BYZ_SIG_BYTES], sig2[BYZ_SIG_BYTES], pkh[32];
	static const uint8_t msg[] = "prepare v=1 n=2";

	byz_key_derive_fast(&a, 7, BYZ_ROLE_REPLICA, 1);
	byz_key_derive_fast(&a2, 7, BYZ_ROLE_REPLICA, 1);
	byz_key_derive_fast(&b, 7, BYZ_ROLE_CLIENT, 1);
	byz_key_derive(&ed, 7, BYZ_ROLE_REPLICA, 1);
	cr_assert_eq(a.scheme, BYZ_SCHEME_FAST);
	cr_assert_eq(ed.scheme, BYZ_SCHEME_ED25519);
	cr_assert_eq(memcmp(&a, &a2, sizeof a), 0, "deterministic");
	cr_assert_neq(memcmp(a.sk, b.sk, 32), 0, "roles are separate");
	cr_assert_neq(memcmp(a.sk, ed.sk, 32), 0, "not the Ed25519 seed");
	/* pk names the secret: its hash. */
	byz_digest(pkh, a.sk, 32);
	cr_assert_eq(memcmp(pkh, a.pk, 32), 0);

	byz_sign(&a, 3, 4, msg, sizeof msg, sig);
	cr_assert_eq(byz_keypair_verify(&a, 3, 4, msg, sizeof msg, sig), 0);
	cr_assert_eq(byz_fast_verify(a.sk, 3, 4, msg, sizeof msg, sig), 0);
	/* Domain separation holds as for Ed25519. */
	cr_assert_eq(byz_fast_verify(a.sk, 3, 5, msg, sizeof msg, sig),
		     BYZ_EBADSIG);
	cr_assert_eq(byz_fast_verify(b.sk, 3, 4, msg, sizeof msg, sig),
		     BYZ_EBADSIG);
	cr_assert_eq(byz_fast_verify(a.sk, 3, 4, msg, sizeof msg - 1, sig),
		     BYZ_EBADSIG);
	/* It is neither an Ed25519 signature nor verifiable with pk. */
	cr_assert_eq(byz_verify(a.pk, 3, 4, msg, sizeof msg, sig), BYZ_EBADSIG);
	byz_sign(&ed, 3, 4, msg, sizeof msg, sig2);
	cr_assert_eq(byz_keypair_verify(&ed, 3, 4, msg, sizeof msg, sig2), 0);
	cr_assert_eq(byz_keypair_verify(&a, 3, 4, msg, sizeof msg, sig2),
		     BYZ_EBADSIG);
	for (int bit = 0; bit < 8 * BYZ_SIG_BYTES; bit += 37) {
		memcpy(sig2, sig, sizeof sig);
		sig2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_eq(byz_fast_verify(a.sk, 3, 4, msg, sizeof msg, sig2),
			     BYZ_EBADSIG);
	}
}
