/*
 * test_ingress.c - lib/ingress: a frame reaches a core only if it decodes
 * and every signature it carries, its own and embedded ones, verifies with
 * the key of its signer. Frames are real, signed with simulation keys.
 */
#include "err.h"
#include "toy/toy_wire.h"
#include "ingress.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <string.h>

#define SEED	 5
#define N	 4
#define NCLIENTS 2

static struct byz_keypair rk[N + 1], ck[NCLIENTS + 1];
static struct ingress *ing;
static struct wire_buf b, inner;

static void setup(void)
{
	uint8_t rpk[N][BYZ_PK_BYTES], cpk[NCLIENTS][BYZ_PK_BYTES];
	struct ingress_keys keys = {.n = N,
				    .clients = NCLIENTS,
				    .replica = (const uint8_t(*)[32])rpk,
				    .client = (const uint8_t(*)[32])cpk};

	cr_assert_eq(byz_crypto_init(), 0);
	/* One key more of each kind: signers outside the cluster. */
	for (uint32_t r = 0; r <= N; r++)
		byz_key_derive(&rk[r], SEED, BYZ_ROLE_REPLICA, r);
	for (uint32_t c = 0; c <= NCLIENTS; c++)
		byz_key_derive(&ck[c], SEED, BYZ_ROLE_CLIENT, c);
	for (uint32_t r = 0; r < N; r++)
		memcpy(rpk[r], rk[r].pk, BYZ_PK_BYTES);
	for (uint32_t c = 0; c < NCLIENTS; c++)
		memcpy(cpk[c], ck[c].pk, BYZ_PK_BYTES);
	cr_assert_eq(ingress_new(&keys, 8, &ing), 0);
	wire_buf_init(&b, WIRE_MAX_FRAME);
	wire_buf_init(&inner, WIRE_MAX_FRAME);
}

static void teardown(void)
{
	ingress_destroy(&ing);
	cr_assert_null(ing);
	wire_buf_free(&b);
	wire_buf_free(&inner);
}

TestSuite(ingress, .init = setup, .fini = teardown);

/* Replica r's REPLY, signed with key k, in b. */
static void signed_reply(uint32_t r, const struct byz_keypair *k)
{
	wire_buf_reset(&b);
	cr_assert_eq(
	    wire_enc_reply(&b, NULL, r, 1, 0, 1, (const uint8_t *)"ok", 2), 0);
	cr_assert_eq(wire_sign(&b, 0, k), 0);
}

/* Client c's REQUEST, signed with key k, in inner. */
static void signed_request(uint32_t c, const struct byz_keypair *k)
{
	wire_buf_reset(&inner);
	cr_assert_eq(
	    wire_enc_request(&inner, NULL, c, 1, (const uint8_t *)"put k v", 7),
	    0);
	cr_assert_eq(wire_sign(&inner, 0, k), 0);
}

/* A toy ORDER from replica 0 carrying inner, signed, in b. */
static void signed_order(void)
{
	wire_buf_reset(&b);
	cr_assert_eq(toy_enc_order(&b, NULL, 0, 1, inner.data, inner.len), 0);
	cr_assert_eq(wire_sign(&b, 0, &rk[0]), 0);
}

Test(ingress, accepts_a_signed_frame_and_counts_its_verifications)
{
	struct wire_msg m;
	struct ingress_counts st;

	signed_reply(2, &rk[2]);
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), 0);
	cr_assert_eq(m.frame.sender, 2);
	cr_assert_eq(m.u.reply.result_len, 2);
	/* The same frame again: answered by the cache. */
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), 0);
	st = ingress_counts(ing);
	cr_assert_eq(st.frames, 2);
	cr_assert_eq(st.rejected, 0);
	cr_assert_eq(st.verifications, 2);
	cr_assert_eq(st.cache_hits, 1);
}

Test(ingress, rejects_a_tampered_frame)
{
	struct wire_msg m;

	signed_reply(1, &rk[1]);
	b.data[b.len - 3] ^= 0x40; /* in the signature */
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), BYZ_EBADSIG);
	signed_reply(1, &rk[1]);
	b.data[b.len - BYZ_SIG_BYTES - 1] ^= 0x01; /* in the result */
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), BYZ_EBADSIG);
	cr_assert_eq(ingress_counts(ing).rejected, 2);
	cr_assert_eq(ingress_counts(ing).cache_hits, 0,
		     "a failure must never be cached");
}

Test(ingress, rejects_a_signature_by_another_key)
{
	struct wire_msg m;

	signed_reply(1, &rk[2]); /* says replica 1, signed by replica 2 */
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), BYZ_EBADSIG);
	signed_reply(1, &ck[1]); /* a client's key for a replica's message */
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), BYZ_EBADSIG);
}

Test(ingress, rejects_signers_outside_the_cluster)
{
	struct wire_msg m;

	signed_reply(N, &rk[N]);
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), BYZ_ESIGNER);
	signed_request(NCLIENTS, &ck[NCLIENTS]);
	cr_assert_eq(ingress_check(ing, inner.data, inner.len, &m),
		     BYZ_ESIGNER);
	cr_assert_eq(ingress_counts(ing).verifications, 0,
		     "unknown signers are refused before any verification");
}

Test(ingress, verifies_embedded_signatures_too)
{
	struct wire_msg m;

	signed_request(1, &ck[1]);
	signed_order();
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), 0);
	cr_assert_eq(ingress_counts(ing).verifications, 2,
		     "the ORDER's signature and its request's");

	/* The leader's own signature is good; the request's is not. */
	signed_request(1, &ck[0]);
	signed_order();
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), BYZ_EBADSIG);
}

Test(ingress, an_own_signature_is_taken_from_the_cache)
{
	struct wire_msg m;

	signed_reply(2, &rk[2]);
	ingress_trust_own(ing, 2, b.data, b.len);
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), 0);
	cr_assert_eq(ingress_counts(ing).verifications, 1);
	cr_assert_eq(ingress_counts(ing).cache_hits, 1,
		     "what the process signed itself is not verified again");
}

Test(ingress, trusting_an_own_frame_trusts_no_embedded_signature)
{
	struct wire_msg m;

	/* The leader's ORDER, trusted, carries a request that is forged. */
	signed_request(1, &ck[0]);
	signed_order();
	ingress_trust_own(ing, 0, b.data, b.len);
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), BYZ_EBADSIG);
	cr_assert_eq(ingress_counts(ing).cache_hits, 1, "only the ORDER's");
}

Test(ingress, trusts_nothing_of_another_signer_or_a_bad_frame)
{
	struct wire_msg m;
	static const uint8_t junk[] = "not a frame at all, just bytes";

	signed_reply(2, &rk[2]);
	ingress_trust_own(ing, 1, b.data, b.len); /* not its own */
	ingress_trust_own(ing, N, b.data, b.len); /* not in the cluster */
	ingress_trust_own(ing, 2, junk, sizeof junk);
	ingress_trust_own(ing, 2, b.data, 5);
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), 0);
	cr_assert_eq(ingress_counts(ing).cache_hits, 0);
	/* A tampered frame stays tampered, whatever was trusted. */
	ingress_trust_own(ing, 2, b.data, b.len);
	b.data[b.len - BYZ_SIG_BYTES - 1] ^= 0x01;
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), BYZ_EBADSIG);
}

Test(ingress, rejects_malformed_input_with_its_decoding_code)
{
	struct wire_msg m;
	static const uint8_t junk[] = "not a frame at all, just bytes";

	signed_reply(0, &rk[0]);
	cr_assert_eq(ingress_check(ing, b.data, 5, &m), BYZ_ETRUNC);
	cr_assert_eq(ingress_check(ing, junk, sizeof junk, &m), BYZ_EMAGIC);
	cr_assert_eq(ingress_counts(ing).verifications, 0);
}

Test(ingress, refuses_a_bad_configuration)
{
	uint8_t pk[1][BYZ_PK_BYTES] = {{0}};
	struct ingress_keys keys = {.n = 0,
				    .replica = (const uint8_t(*)[32])pk};
	struct ingress *x = NULL;

	cr_assert_eq(ingress_new(&keys, 8, &x), BYZ_EINVAL);
	keys.n = 1;
	cr_assert_eq(ingress_new(&keys, 2, &x), BYZ_EINVAL);
	keys.clients = 1; /* and no client keys */
	cr_assert_eq(ingress_new(&keys, 8, &x), BYZ_EINVAL);
	cr_assert_null(x);
}

Test(ingress, a_memo_checks_a_frame_once_for_all_its_receivers)
{
	struct wire_msg m;
	struct ingress_memo memo = {0}, bad = {0};
	struct ingress_counts st;

	/* An ORDER carrying a request: two signatures. */
	signed_request(1, &ck[1]);
	signed_order();
	cr_assert_eq(ingress_check_memo(ing, b.data, b.len, &m, &memo), 0);
	cr_assert(memo.set);
	cr_assert_eq(memo.sigs, 2);
	st = ingress_counts(ing);
	cr_assert_eq(st.verifications, 2);
	cr_assert_eq(st.cache_hits, 0);
	/* Three more receivers: decoded for each, verified by none, counted
	 * as verified from the cache like a cache hit. */
	for (int i = 0; i < 3; i++) {
		memset(&m, 0, sizeof m);
		cr_assert_eq(ingress_check_memo(ing, b.data, b.len, &m, &memo),
			     0);
		cr_assert_eq(m.frame.sender, 0);
		cr_assert_eq(m.frame.type, TOY_ORDER);
	}
	st = ingress_counts(ing);
	cr_assert_eq(st.frames, 4);
	cr_assert_eq(st.verifications, 8);
	cr_assert_eq(st.cache_hits, 6);

	/* A rejection is remembered too, and counted at every receiver. */
	signed_request(1, &ck[0]); /* forged request */
	signed_order();
	cr_assert_eq(ingress_check_memo(ing, b.data, b.len, &m, &bad),
		     BYZ_EBADSIG);
	cr_assert_eq(ingress_check_memo(ing, b.data, b.len, &m, &bad),
		     BYZ_EBADSIG);
	cr_assert_eq(ingress_counts(ing).rejected, 2);
	/* Changed bytes are another frame: a new memo checks them in full. */
	{
		struct ingress_memo other = {0};
		signed_request(1, &ck[1]);
		signed_order();
		b.data[b.len - BYZ_SIG_BYTES - 1] ^= 0x01;
		cr_assert_eq(ingress_check_memo(ing, b.data, b.len, &m, &other),
			     BYZ_EBADSIG);
	}
}

Test(ingress, a_frame_the_driver_signed_for_a_client_is_a_cache_hit)
{
	struct wire_msg m;

	signed_request(1, &ck[1]);
	ingress_trust_signed(ing, BYZ_ROLE_CLIENT, 1, inner.data, inner.len);
	cr_assert_eq(ingress_check(ing, inner.data, inner.len, &m), 0);
	cr_assert_eq(ingress_counts(ing).cache_hits, 1);
	/* Not for another client, nor outside the cluster, nor for a forged
	 * request (it is verified and fails). */
	signed_request(0, &ck[1]);
	ingress_trust_signed(ing, BYZ_ROLE_CLIENT, 1, inner.data, inner.len);
	ingress_trust_signed(ing, BYZ_ROLE_CLIENT, NCLIENTS, inner.data,
			     inner.len);
	ingress_trust_signed(ing, BYZ_ROLE_REPLICA, 0, inner.data, inner.len);
	cr_assert_eq(ingress_check(ing, inner.data, inner.len, &m),
		     BYZ_EBADSIG);
	cr_assert_eq(ingress_counts(ing).cache_hits, 1);
}

/* ---- the fast scheme (crypto.h, BYZ_SCHEME_FAST) ------------------------ */

Test(ingress, the_fast_scheme_accepts_exactly_its_signers_keyed_hashes)
{
	struct byz_keypair fr[N + 1], fc[NCLIENTS];
	uint8_t rsec[N][BYZ_PK_BYTES], csec[NCLIENTS][BYZ_PK_BYTES];
	struct ingress_keys keys = {.n = N,
				    .clients = NCLIENTS,
				    .replica = (const uint8_t(*)[32])rsec,
				    .client = (const uint8_t(*)[32])csec,
				    .scheme = BYZ_SCHEME_FAST};
	struct ingress *fast;
	struct wire_msg m;

	for (uint32_t r = 0; r <= N; r++)
		byz_key_derive_fast(&fr[r], SEED, BYZ_ROLE_REPLICA, r);
	for (uint32_t c = 0; c < NCLIENTS; c++)
		byz_key_derive_fast(&fc[c], SEED, BYZ_ROLE_CLIENT, c);
	for (uint32_t r = 0; r < N; r++)
		memcpy(rsec[r], fr[r].sk, 32);
	for (uint32_t c = 0; c < NCLIENTS; c++)
		memcpy(csec[c], fc[c].sk, 32);
	cr_assert_eq(ingress_new(&keys, 8, &fast), 0);

	signed_reply(2, &fr[2]);
	cr_assert_eq(ingress_check(fast, b.data, b.len, &m), 0);
	cr_assert_eq(m.frame.sender, 2);
	/* Another replica's fast key, an Ed25519 signature, a changed byte,
	 * and a fast key of the same id from another seed all fail. */
	signed_reply(2, &fr[1]);
	cr_assert_eq(ingress_check(fast, b.data, b.len, &m), BYZ_EBADSIG);
	signed_reply(2, &rk[2]);
	cr_assert_eq(ingress_check(fast, b.data, b.len, &m), BYZ_EBADSIG);
	signed_reply(2, &fr[2]);
	b.data[b.len - BYZ_SIG_BYTES - 1] ^= 0x01;
	cr_assert_eq(ingress_check(fast, b.data, b.len, &m), BYZ_EBADSIG);
	{
		struct byz_keypair other;
		byz_key_derive_fast(&other, SEED + 1, BYZ_ROLE_REPLICA, 2);
		signed_reply(2, &other);
		cr_assert_eq(ingress_check(fast, b.data, b.len, &m),
			     BYZ_EBADSIG);
	}
	/* Embedded signatures are checked alike. */
	signed_request(1, &fc[1]);
	wire_buf_reset(&b);
	cr_assert_eq(toy_enc_order(&b, NULL, 0, 1, inner.data, inner.len), 0);
	cr_assert_eq(wire_sign(&b, 0, &fr[0]), 0);
	cr_assert_eq(ingress_check(fast, b.data, b.len, &m), 0);
	signed_request(1, &fc[0]);
	wire_buf_reset(&b);
	cr_assert_eq(toy_enc_order(&b, NULL, 0, 1, inner.data, inner.len), 0);
	cr_assert_eq(wire_sign(&b, 0, &fr[0]), 0);
	cr_assert_eq(ingress_check(fast, b.data, b.len, &m), BYZ_EBADSIG);
	/* An Ed25519 ingress refuses a fast signature. */
	signed_reply(2, &fr[2]);
	cr_assert_eq(ingress_check(ing, b.data, b.len, &m), BYZ_EBADSIG);
	ingress_destroy(&fast);
}
