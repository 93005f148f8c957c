/*
 * test_mutate.c - adversary/mutate: Byzantine rewrites of PBFT and HotStuff
 * frames, re-signed with the sender's key.
 *
 * Real frames are built with the encoders and signed with simulation keys;
 * each mutation's result is decoded and checked field by field, and for
 * every result: it decodes, every signature it carries verifies with the
 * key of its signer, its sender, protocol and type are the input's, and
 * every embedded frame signed by anybody else is byte for byte one of the
 * input's (the adversary never forges). Malformed input (truncations, bit
 * flips) gives an error or a skip, never a crash or a frame.
 */
#include "app.h"
#include "err.h"
#include "toy/toy_wire.h"
#include "pbft/pbft_wire.h"
#include "hotstuff/hs_wire.h"
#include "mutate.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define SEED 42
#define N    4
#define F    1
#define BYZ  1 /* the Byzantine replica in most tests */

/* ---- a pool of frames, freed after each test ----------------------------- */

struct blob {
	const uint8_t *p;
	size_t n;
};

#define POOL_MAX 4096
static uint8_t *pool[POOL_MAX];
static size_t npool;

static struct blob keep(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	cr_assert_not_null(c);
	cr_assert_lt(npool, POOL_MAX);
	memcpy(c, p, n);
	pool[npool++] = c;
	return (struct blob){c, n};
}

static struct byz_keypair rk[N + 3], ck[2];

static void setup(void)
{
	cr_assert_eq(byz_crypto_init(), 0);
	for (uint32_t i = 0; i < N + 3; i++)
		byz_key_derive(&rk[i], SEED, BYZ_ROLE_REPLICA, i);
	for (uint32_t i = 0; i < 2; i++)
		byz_key_derive(&ck[i], SEED, BYZ_ROLE_CLIENT, i);
}

static void teardown(void)
{
	while (npool)
		free(pool[--npool]);
}

TestSuite(mutate, .init = setup, .fini = teardown);

static const uint8_t zero[BYZ_DIGEST_BYTES];

/* The unsigned frame at [s, b->len) signed by the key of sender (role). */
static struct blob sign_keep(struct wire_buf *b, size_t s, enum byz_role role,
			     uint32_t id)
{
	struct blob r;

	cr_assert_eq(
	    wire_sign(b, s, role == BYZ_ROLE_CLIENT ? &ck[id] : &rk[id]), 0);
	r = keep(b->data + s, b->len - s);
	wire_buf_free(b);
	return r;
}

/* ---- builders ------------------------------------------------------------ */

static struct blob req(uint32_t client, uint64_t ts, const char *op)
{
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(wire_enc_request(&b, &s, client, ts, (const uint8_t *)op,
				      strlen(op)),
		     0);
	return sign_keep(&b, s, BYZ_ROLE_CLIENT, client);
}

/* Arrays of pointers and lengths for the encoders. */
struct vec {
	const uint8_t *p[64];
	size_t n[64];
	size_t count;
};

static struct vec vec_of(const struct blob *bs, size_t k)
{
	struct vec v;

	cr_assert_leq(k, 64);
	v.count = k;
	for (size_t i = 0; i < k; i++) {
		v.p[i] = bs[i].p;
		v.n[i] = bs[i].n;
	}
	return v;
}

static struct pbft_framev pv(const struct vec *v)
{
	return (struct pbft_framev){v->p, v->n, v->count};
}

static struct hs_framev hv(const struct vec *v)
{
	return (struct hs_framev){v->p, v->n, v->count};
}

static struct blob batch3[3], batch1[1], batch_twice[2];

static void make_batches(void)
{
	batch3[0] = req(0, 1, "put a 1");
	batch3[1] = req(1, 1, "put b 2");
	batch3[2] = req(0, 2, "get a");
	batch1[0] = batch3[0];
	batch_twice[0] = batch_twice[1] = batch3[1];
}

static struct blob pbft_pp(uint32_t sender, uint64_t view, uint64_t seq,
			   const struct blob *reqs, size_t k)
{
	struct vec v = vec_of(reqs, k);
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(pbft_enc_preprepare(&b, &s, sender, view, seq, pv(&v)), 0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static struct blob pbft_vote(uint8_t type, uint32_t sender, uint64_t view,
			     uint64_t seq, const uint8_t *d)
{
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(pbft_enc_vote(&b, &s, type, sender, view, seq, d), 0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static struct blob pbft_ckpt(uint32_t sender, uint64_t seq, const uint8_t *d)
{
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(pbft_enc_checkpoint(&b, &s, sender, seq, d), 0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

/* The batch digest of a signed PRE-PREPARE. */
static void pp_digest(struct blob pp, uint8_t d[BYZ_DIGEST_BYTES])
{
	struct wire_msg m;

	cr_assert_eq(wire_decode(pp.p, pp.n, &m), 0);
	byz_digest(d, pbft_of(&m)->pp.batch_bytes, pbft_of(&m)->pp.batch_len);
}

/* One P-set entry: a pre-prepare and its prepares. */
struct pentry {
	struct blob pp;
	struct blob prep[4];
	size_t nprep;
};

static struct blob pbft_vc(uint32_t sender, uint64_t view, uint64_t stable,
			   const uint8_t *sd, const struct blob *proof,
			   size_t nproof, const struct pentry *ps, size_t nps)
{
	struct vec c = vec_of(proof, nproof);
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(pbft_enc_viewchange_begin(&b, &s, sender, view, stable, sd,
					       pv(&c), (uint16_t)nps),
		     0);
	for (size_t i = 0; i < nps; i++) {
		struct vec p = vec_of(ps[i].prep, ps[i].nprep);

		pbft_enc_pset_entry(&b, ps[i].pp.p, ps[i].pp.n, pv(&p));
	}
	cr_assert_eq(pbft_enc_end(&b, s), 0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static struct blob pbft_nv(uint32_t sender, uint64_t view,
			   const struct blob *vcs, size_t nvcs,
			   const struct blob *pps, size_t npps)
{
	struct vec o = vec_of(pps, npps);
	uint32_t vs[8];
	uint8_t vd[8][BYZ_DIGEST_BYTES];
	struct wire_buf b;
	size_t s;

	cr_assert_leq(nvcs, 8);
	for (size_t i = 0; i < nvcs; i++) {
		struct wire_msg m;
		cr_assert_eq(wire_decode(vcs[i].p, vcs[i].n, &m), 0);
		vs[i] = m.frame.sender;
		byz_digest(vd[i], vcs[i].p, vcs[i].n);
	}
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(pbft_enc_newview(&b, &s, sender, view, vs,
				      (const uint8_t(*)[BYZ_DIGEST_BYTES])vd,
				      (uint16_t)nvcs, pv(&o)),
		     0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static struct blob pbft_state(uint32_t sender, uint64_t seq, const uint8_t *d,
			      const struct blob *proof, size_t nproof)
{
	struct vec c = vec_of(proof, nproof);
	static const uint8_t snap[] = "a snapshot";
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(
	    pbft_enc_state(&b, &s, sender, seq, d, pv(&c), snap, sizeof snap),
	    0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static struct blob pbft_cert(uint32_t sender, struct blob pp,
			     const struct blob *commits, size_t k)
{
	struct vec c = vec_of(commits, k);
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(pbft_enc_cert(&b, &s, sender, pp.p, pp.n, pv(&c)), 0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static struct blob pbft_fetch(uint32_t sender)
{
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(pbft_enc_fetch(&b, &s, sender, PBFT_FETCH_LOG, 3), 0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static struct blob hs_vote(uint32_t sender, uint64_t view, const uint8_t *h)
{
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_vote(&b, &s, sender, view, h), 0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

/* A QC's encoding (not a frame): votes of signers[0..k) for (view, hash). */
static struct blob hs_qc(uint64_t view, const uint8_t *hash,
			 const uint32_t *signers, size_t k)
{
	struct blob votes[8];
	struct vec v;
	struct wire_buf b;
	struct blob r;

	for (size_t i = 0; i < k; i++)
		votes[i] = hs_vote(signers[i], view, hash);
	v = vec_of(votes, k);
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_qc(&b, view, hash, hv(&v)), 0);
	r = keep(b.data, b.len);
	wire_buf_free(&b);
	return r;
}

static struct blob hs_prop(uint32_t sender, uint64_t view, struct blob qc,
			   const struct blob *tc, size_t ntc,
			   const struct blob *reqs, size_t k)
{
	struct vec t = vec_of(tc, ntc), r = vec_of(reqs, k);
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(
	    hs_enc_proposal(&b, &s, sender, view, qc.p, qc.n, hv(&t), hv(&r)),
	    0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static struct blob hs_timeout(uint32_t sender, uint64_t view, struct blob qc,
			      const struct blob *vote)
{
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_timeout(&b, &s, sender, view, qc.p, qc.n,
				    vote ? vote->p : NULL, vote ? vote->n : 0),
		     0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static struct blob hs_blocks(uint32_t sender, const struct blob *props,
			     size_t k)
{
	struct vec v = vec_of(props, k);
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_blocks(&b, &s, sender, hv(&v)), 0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static struct blob hs_fetch(uint32_t sender)
{
	struct wire_buf b;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_fetch(&b, &s, sender, zero, 2), 0);
	return sign_keep(&b, s, BYZ_ROLE_REPLICA, sender);
}

static void block_hash(struct blob prop, uint8_t h[BYZ_DIGEST_BYTES])
{
	struct wire_msg m;

	cr_assert_eq(wire_decode(prop.p, prop.n, &m), 0);
	hs_block_hash(&hs_of(&m)->prop, h);
}

/* ---- checks on every result ---------------------------------------------- */

/* Every signature a frame carries, recorded. */
struct sigs {
	struct wire_sigref r[512];
	size_t count;
	int bad;
};

static int collect(void *ctx, const struct wire_sigref *ref)
{
	struct sigs *s = ctx;
	const struct byz_keypair *kp;

	cr_assert_lt(s->count, 512);
	s->r[s->count++] = *ref;
	if (ref->role == BYZ_ROLE_CLIENT) {
		cr_assert_lt(ref->signer, 2);
		kp = &ck[ref->signer];
	} else {
		cr_assert_lt(ref->signer, N + 3);
		kp = &rk[ref->signer];
	}
	if (byz_verify(kp->pk, ref->proto, ref->type, ref->content, ref->len,
		       ref->sig))
		s->bad++;
	return 0;
}

static void sigs_of(const uint8_t *p, size_t n, struct sigs *s)
{
	struct wire_msg m;

	s->count = 0;
	s->bad = 0;
	cr_assert_eq(wire_decode(p, n, &m), 0, "the frame does not decode");
	cr_assert_eq(wire_for_each_sig(&m, collect, s), 0);
}

static bool same_sig(const struct wire_sigref *a, const struct wire_sigref *b)
{
	return a->role == b->role && a->signer == b->signer &&
	       a->len == b->len &&
	       memcmp(a->content, b->content, a->len) == 0 &&
	       memcmp(a->sig, b->sig, BYZ_SIG_BYTES) == 0;
}

/*
 * A successful result: it decodes, its header is the input's but for the
 * body, every signature verifies, and every frame in it signed by someone
 * other than the Byzantine sender is one of the input's, unchanged.
 */
static void check_result(struct blob in, const struct wire_buf *out)
{
	static struct sigs si, so;
	struct wire_msg mi, mo;

	cr_assert_eq(out->err, 0);
	cr_assert_eq(wire_decode(in.p, in.n, &mi), 0);
	cr_assert_eq(wire_decode(out->data, out->len, &mo), 0,
		     "the mutated frame does not decode");
	cr_assert_eq(mo.frame.proto, mi.frame.proto);
	cr_assert_eq(mo.frame.type, mi.frame.type);
	cr_assert_eq(mo.frame.sender, mi.frame.sender);
	cr_assert(out->len != in.n || memcmp(out->data, in.p, in.n) != 0,
		  "success must mean a different message");
	sigs_of(in.p, in.n, &si);
	sigs_of(out->data, out->len, &so);
	cr_assert_eq(so.bad, 0, "a signature of the result does not verify");
	for (size_t i = 0; i < so.count; i++) {
		const struct wire_sigref *r = &so.r[i];
		bool found = false;

		if (r->role == BYZ_ROLE_REPLICA && r->signer == mi.frame.sender)
			continue; /* the Byzantine replica's own */
		for (size_t j = 0; j < si.count && !found; j++)
			found = same_sig(r, &si.r[j]);
		cr_assert(found, "a frame of signer %u was forged or altered",
			  r->signer);
	}
}

/* adv_mutate with the sender's key; on success the result is checked. */
static int mutate(enum adv_mutation mut, struct blob in,
		  struct adv_conflicts *map, struct wire_buf *out)
{
	struct wire_msg m;
	int rc;

	cr_assert_eq(wire_decode(in.p, in.n, &m), 0);
	rc = adv_mutate(mut, in.p, in.n, &rk[m.frame.sender], N, F, map, out);
	if (rc == 0)
		check_result(in, out);
	else
		cr_assert_eq(out->len, 0,
			     "a refused mutation leaves out empty");
	return rc;
}

/* Decode a successful result into m (valid while out is). */
static void dec(const struct wire_buf *out, struct wire_msg *m)
{
	cr_assert_eq(wire_decode(out->data, out->len, m), 0);
}

/* The frames of a list, gathered. */
static size_t frames_of(const struct wire_frames *l, struct blob *fs,
			size_t max)
{
	struct wire_msg x;
	size_t pos = 0, k = 0;

	while (wire_frames_next(l, &pos, &x) == 1) {
		cr_assert_lt(k, max);
		fs[k++] = (struct blob){x.frame.bytes, x.frame.len};
	}
	cr_assert_eq(k, l->count);
	return k;
}

static bool blob_eq(struct blob a, struct blob b)
{
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* Whether two frames of a list have the same sender. */
static bool dup_signer(const struct wire_frames *l)
{
	struct blob fs[64];
	size_t k = frames_of(l, fs, 64);
	struct wire_msg a, b;

	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++) {
			cr_assert_eq(wire_decode(fs[i].p, fs[i].n, &a), 0);
			cr_assert_eq(wire_decode(fs[j].p, fs[j].n, &b), 0);
			if (a.frame.sender == b.frame.sender)
				return true;
		}
	return false;
}

static void ok_list_dup(const struct wire_frames *before,
			const struct wire_frames *after)
{
	struct blob a[64], b[64];
	size_t ka = frames_of(before, a, 64), kb = frames_of(after, b, 64);

	cr_assert_eq(ka, kb);
	for (size_t i = 0; i + 1 < ka; i++)
		cr_assert(blob_eq(a[i], b[i]));
	if (ka >= 2) {
		cr_assert(blob_eq(b[ka - 1], a[0]));
		cr_assert(dup_signer(after));
	} else if (ka == 1) {
		cr_assert(blob_eq(a[0], b[0]));
	}
}

static void ok_list_short(const struct wire_frames *before,
			  const struct wire_frames *after)
{
	struct blob a[64], b[64];
	size_t ka = frames_of(before, a, 64), kb = frames_of(after, b, 64);

	cr_assert_eq(kb, ka ? ka - 1 : 0);
	for (size_t i = 0; i < kb; i++)
		cr_assert(blob_eq(a[i], b[i]));
}

/* The digest ADV_MUT_OTHER_DIGEST derives when the map knows nothing. */
static void derived(const uint8_t *d, uint8_t out[BYZ_DIGEST_BYTES])
{
	uint8_t in[20 + BYZ_DIGEST_BYTES];

	memcpy(in, "byzlab/adv/other/v1", 20); /* with its NUL */
	memcpy(in + 20, d, BYZ_DIGEST_BYTES);
	byz_digest(out, in, sizeof in);
}

/* ---- PBFT ---------------------------------------------------------------- */

/* Test(s) share a small PBFT world: replica BYZ is the primary of view 1. */
struct pbft_world {
	struct blob pp, pp1, pp0, prep, commit, ckpt[3], vc, vc_nop, nv, state,
	    cert, fetch;
	uint8_t d[BYZ_DIGEST_BYTES], sd[BYZ_DIGEST_BYTES];
};

static void pbft_world(struct pbft_world *w)
{
	struct pentry ps[2];
	struct blob commits[3], vcs[3], others[3];

	make_batches();
	w->pp = pbft_pp(BYZ, 1, 5, batch3, 3);
	w->pp1 = pbft_pp(BYZ, 1, 6, batch1, 1);
	w->pp0 = pbft_pp(BYZ, 1, 7, NULL, 0);
	pp_digest(w->pp, w->d);
	w->prep = pbft_vote(PBFT_PREPARE, BYZ, 1, 5, w->d);
	w->commit = pbft_vote(PBFT_COMMIT, BYZ, 1, 5, w->d);
	byz_digest(w->sd, "state", 5);
	for (uint32_t i = 0; i < 3; i++)
		w->ckpt[i] = pbft_ckpt(i, 4, w->sd);

	/* P: one entry with prepares of 2, 3, 0; one with a single one. */
	ps[0].pp = pbft_pp(0, 0, 5, batch3, 3);
	pp_digest(ps[0].pp, w->d); /* reused below, reset after */
	ps[0].prep[0] = pbft_vote(PBFT_PREPARE, 2, 0, 5, w->d);
	ps[0].prep[1] = pbft_vote(PBFT_PREPARE, 3, 0, 5, w->d);
	ps[0].prep[2] = pbft_vote(PBFT_PREPARE, 0, 0, 5, w->d);
	ps[0].nprep = 3;
	ps[1].pp = pbft_pp(0, 0, 6, batch1, 1);
	ps[1].prep[0] = pbft_vote(PBFT_PREPARE, 3, 0, 6, w->d);
	ps[1].nprep = 1;
	pp_digest(w->pp, w->d);
	w->vc = pbft_vc(BYZ, 2, 4, w->sd, w->ckpt, 3, ps, 2);
	w->vc_nop = pbft_vc(BYZ, 1, 0, zero, NULL, 0, NULL, 0);

	vcs[0] = pbft_vc(0, 2, 4, w->sd, w->ckpt, 3, ps, 1);
	vcs[1] = w->vc;
	vcs[2] = pbft_vc(3, 2, 0, zero, NULL, 0, NULL, 0);
	others[0] = pbft_pp(2, 2, 5, batch3, 3);
	w->nv = pbft_nv(2, 2, vcs, 3, others, 1);
	w->state = pbft_state(BYZ, 4, w->sd, w->ckpt, 3);
	for (uint32_t i = 0; i < 3; i++)
		commits[i] = pbft_vote(PBFT_COMMIT, i, 1, 5, w->d);
	w->cert = pbft_cert(BYZ, w->pp, commits, 3);
	w->fetch = pbft_fetch(BYZ);
}

Test(mutate, pbft_conflict_reverses_batch)
{
	struct pbft_world w;
	struct adv_conflicts map;
	struct wire_buf out;
	struct wire_msg m;
	struct blob got[3];
	uint8_t nd[BYZ_DIGEST_BYTES];

	pbft_world(&w);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.pp, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(pbft_of(&m)->pp.view, 1);
	cr_assert_eq(pbft_of(&m)->pp.seq, 5);
	cr_assert_eq(frames_of(&pbft_of(&m)->pp.batch, got, 3), 3);
	for (int i = 0; i < 3; i++)
		cr_assert(blob_eq(got[i], batch3[2 - i]));
	/* The map: the original digest -> the new batch's digest. */
	byz_digest(nd, pbft_of(&m)->pp.batch_bytes, pbft_of(&m)->pp.batch_len);
	cr_assert_neq(memcmp(nd, w.d, sizeof nd), 0);
	cr_assert_not_null(adv_conflicts_get(&map, w.d));
	cr_assert_eq(memcmp(adv_conflicts_get(&map, w.d), nd, sizeof nd), 0);
	cr_assert_eq(map.used, 1);
	/* Deterministic: the same bytes again, and the map unchanged. */
	{
		struct wire_buf again;

		wire_buf_init(&again, WIRE_MAX_FRAME);
		cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.pp, &map, &again), 0);
		cr_assert_eq(again.len, out.len);
		cr_assert_eq(memcmp(again.data, out.data, out.len), 0);
		cr_assert_eq(map.used, 1);
		wire_buf_free(&again);
	}
	wire_buf_free(&out);
}

Test(mutate, pbft_conflict_single_empty_and_twins)
{
	struct pbft_world w;
	struct adv_conflicts map;
	struct wire_buf out;
	struct wire_msg m;
	uint8_t d1[BYZ_DIGEST_BYTES], e[BYZ_DIGEST_BYTES];
	static const uint8_t empty[2] = {0, 0};

	pbft_world(&w);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	/* One request: the batch emptied (the null request's digest). */
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.pp1, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(pbft_of(&m)->pp.batch.count, 0);
	cr_assert_eq(pbft_of(&m)->pp.seq, 6);
	pp_digest(w.pp1, d1);
	byz_digest(e, empty, sizeof empty);
	cr_assert_eq(memcmp(adv_conflicts_get(&map, d1), e, sizeof e), 0);
	/* Empty already: nothing to conflict with. */
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.pp0, &map, &out), ADV_MUT_SKIP);
	/* Two copies of one request: reversing changes nothing, so empty. */
	cr_assert_eq(mutate(ADV_MUT_CONFLICT,
			    pbft_pp(BYZ, 1, 8, batch_twice, 2), &map, &out),
		     0);
	dec(&out, &m);
	cr_assert_eq(pbft_of(&m)->pp.batch.count, 0);
	/* No map: the frame is still made, nothing recorded. */
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.pp, NULL, &out), 0);
	cr_assert_eq(map.used, 2);
	wire_buf_free(&out);
}

Test(mutate, pbft_follow_rewrites_votes)
{
	struct pbft_world w;
	struct adv_conflicts map;
	struct wire_buf out;
	struct wire_msg m;
	const uint8_t *to;
	uint8_t other[BYZ_DIGEST_BYTES];

	pbft_world(&w);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	/* Nothing in the map yet, or no map: skip. */
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.prep, &map, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.prep, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.pp, &map, &out), 0);
	to = adv_conflicts_get(&map, w.d);
	cr_assert_not_null(to);
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.prep, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(m.frame.type, PBFT_PREPARE);
	cr_assert_eq(pbft_of(&m)->vote.view, 1);
	cr_assert_eq(pbft_of(&m)->vote.seq, 5);
	cr_assert_eq(memcmp(pbft_of(&m)->vote.digest, to, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.commit, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(m.frame.type, PBFT_COMMIT);
	cr_assert_eq(memcmp(pbft_of(&m)->vote.digest, to, BYZ_DIGEST_BYTES), 0);
	/* A vote for another digest does not follow. */
	byz_digest(other, "x", 1);
	cr_assert_eq(mutate(ADV_MUT_FOLLOW,
			    pbft_vote(PBFT_PREPARE, BYZ, 1, 5, other), &map,
			    &out),
		     ADV_MUT_SKIP);
	/* Other types never follow. */
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.pp, &map, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.ckpt[BYZ], &map, &out),
		     ADV_MUT_SKIP);
	wire_buf_free(&out);
}

Test(mutate, pbft_other_digest)
{
	struct pbft_world w;
	struct adv_conflicts map;
	struct wire_buf out;
	struct wire_msg m;
	uint8_t want[BYZ_DIGEST_BYTES];
	const uint8_t *to;

	pbft_world(&w);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	/* Empty map: the derived digest. */
	derived(w.d, want);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, w.prep, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(pbft_of(&m)->vote.view, 1);
	cr_assert_eq(pbft_of(&m)->vote.seq, 5);
	cr_assert_eq(memcmp(pbft_of(&m)->vote.digest, want, sizeof want), 0);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, w.commit, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(memcmp(pbft_of(&m)->vote.digest, want, sizeof want), 0);
	/* With a conflict recorded: its digest; and a vote for the conflict
	 * double-votes for the original. */
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.pp, &map, &out), 0);
	to = adv_conflicts_get(&map, w.d);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, w.prep, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(memcmp(pbft_of(&m)->vote.digest, to, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST,
			    pbft_vote(PBFT_COMMIT, BYZ, 1, 5, to), &map, &out),
		     0);
	dec(&out, &m);
	cr_assert_eq(memcmp(pbft_of(&m)->vote.digest, w.d, BYZ_DIGEST_BYTES),
		     0);
	/* A checkpoint for another state. */
	derived(w.sd, want);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, w.ckpt[BYZ], &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(pbft_of(&m)->ckpt.seq, 4);
	cr_assert_eq(memcmp(pbft_of(&m)->ckpt.digest, want, sizeof want), 0);
	/* Not votes. */
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, w.pp, &map, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, w.vc, &map, &out),
		     ADV_MUT_SKIP);
	wire_buf_free(&out);
}

Test(mutate, pbft_stale)
{
	struct pbft_world w;
	struct wire_buf out;
	struct wire_msg m, o;
	struct blob a[8];

	pbft_world(&w);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.pp, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(pbft_of(&m)->pp.view, 0);
	cr_assert_eq(pbft_of(&m)->pp.seq, 5);
	cr_assert_eq(frames_of(&pbft_of(&m)->pp.batch, a, 8), 3);
	for (int i = 0; i < 3; i++)
		cr_assert(blob_eq(a[i], batch3[i]));
	cr_assert_eq(mutate(ADV_MUT_STALE, w.prep, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(pbft_of(&m)->vote.view, 0);
	cr_assert_eq(memcmp(pbft_of(&m)->vote.digest, w.d, BYZ_DIGEST_BYTES),
		     0);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.commit, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(m.frame.type, PBFT_COMMIT);
	cr_assert_eq(pbft_of(&m)->vote.view, 0);
	/* Already view 0. */
	cr_assert_eq(mutate(ADV_MUT_STALE,
			    pbft_vote(PBFT_COMMIT, BYZ, 0, 5, w.d), NULL, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(
	    mutate(ADV_MUT_STALE, pbft_pp(BYZ, 0, 5, batch3, 3), NULL, &out),
	    ADV_MUT_SKIP);
	/* VIEW-CHANGE 2 -> 1, its C and P verbatim; VIEW-CHANGE 1: skip. */
	cr_assert_eq(mutate(ADV_MUT_STALE, w.vc, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.vc.p, w.vc.n, &o), 0);
	cr_assert_eq(pbft_of(&m)->vc.view, 1);
	cr_assert_eq(pbft_of(&m)->vc.stable_seq, 4);
	cr_assert_eq(pbft_of(&m)->vc.proof.len, pbft_of(&o)->vc.proof.len);
	cr_assert_eq(memcmp(pbft_of(&m)->vc.proof.p, pbft_of(&o)->vc.proof.p,
			    pbft_of(&o)->vc.proof.len),
		     0);
	cr_assert_eq(pbft_of(&m)->vc.prepared.count, 2);
	cr_assert_eq(pbft_of(&m)->vc.prepared.len,
		     pbft_of(&o)->vc.prepared.len);
	cr_assert_eq(memcmp(pbft_of(&m)->vc.prepared.p,
			    pbft_of(&o)->vc.prepared.p,
			    pbft_of(&o)->vc.prepared.len),
		     0);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.vc_nop, NULL, &out), ADV_MUT_SKIP);
	/* No view, or not this one. */
	cr_assert_eq(mutate(ADV_MUT_STALE, w.ckpt[BYZ], NULL, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.nv, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.cert, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.state, NULL, &out), ADV_MUT_SKIP);
	wire_buf_free(&out);
}

/* The P-set entries of a view-change, each as (pre-prepare, prepares). */
static size_t psets(const struct wire_msg *m, struct wire_frame *pp,
		    struct wire_frames *prep, size_t max)
{
	size_t pos = 0, k = 0;

	while (k < max && pbft_pset_next(&pbft_of(m)->vc.prepared, &pos, &pp[k],
					 &prep[k]) == 1)
		k++;
	cr_assert_eq(k, pbft_of(m)->vc.prepared.count);
	return k;
}

static void pbft_cert_mutation(enum adv_mutation mut)
{
	void (*ok)(const struct wire_frames *, const struct wire_frames *) =
	    mut == ADV_MUT_CERT_DUP ? ok_list_dup : ok_list_short;
	struct pbft_world w;
	struct wire_buf out;
	struct wire_msg m, o;
	struct wire_frame ppa[4], ppb[4];
	struct wire_frames pra[4], prb[4];

	pbft_world(&w);
	wire_buf_init(&out, WIRE_MAX_FRAME);

	/* VIEW-CHANGE: C and each P entry's prepares. */
	cr_assert_eq(mutate(mut, w.vc, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.vc.p, w.vc.n, &o), 0);
	cr_assert_eq(pbft_of(&m)->vc.view, 2);
	ok(&pbft_of(&o)->vc.proof, &pbft_of(&m)->vc.proof);
	cr_assert_eq(psets(&o, ppa, pra, 4), 2);
	cr_assert_eq(psets(&m, ppb, prb, 4), 2);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(ppa[i].len, ppb[i].len);
		cr_assert_eq(memcmp(ppa[i].bytes, ppb[i].bytes, ppa[i].len), 0);
		ok(&pra[i], &prb[i]);
	}
	/* NEW-VIEW: V, references by digest (O stays): cert-dup names the
	 * first view-change in the last place, cert-short drops the last. */
	cr_assert_eq(mutate(mut, w.nv, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.nv.p, w.nv.n, &o), 0);
	{
		const struct pbft_newview *a = &pbft_of(&o)->nv,
					  *z = &pbft_of(&m)->nv;
		size_t ref = PBFT_VREF_BYTES;
		if (mut == ADV_MUT_CERT_DUP) {
			cr_assert_eq(z->nvrefs, a->nvrefs);
			cr_assert_eq(
			    memcmp(z->vrefs, a->vrefs, (a->nvrefs - 1u) * ref),
			    0);
			cr_assert_eq(memcmp(z->vrefs + (a->nvrefs - 1u) * ref,
					    a->vrefs, ref),
				     0);
		} else {
			cr_assert_eq(z->nvrefs, a->nvrefs - 1);
			cr_assert_eq(
			    memcmp(z->vrefs, a->vrefs, z->nvrefs * ref), 0);
		}
	}
	cr_assert_eq(pbft_of(&m)->nv.pps.len, pbft_of(&o)->nv.pps.len);
	cr_assert_eq(memcmp(pbft_of(&m)->nv.pps.p, pbft_of(&o)->nv.pps.p,
			    pbft_of(&o)->nv.pps.len),
		     0);
	/* CERT: commits (the pre-prepare stays). */
	cr_assert_eq(mutate(mut, w.cert, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.cert.p, w.cert.n, &o), 0);
	ok(&pbft_of(&o)->cert.commits, &pbft_of(&m)->cert.commits);
	cr_assert_eq(pbft_of(&m)->cert.pp.len, pbft_of(&o)->cert.pp.len);
	/* STATE: its proof (the snapshot stays). */
	cr_assert_eq(mutate(mut, w.state, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.state.p, w.state.n, &o), 0);
	ok(&pbft_of(&o)->state.proof, &pbft_of(&m)->state.proof);
	cr_assert_eq(pbft_of(&m)->state.snapshot_len,
		     pbft_of(&o)->state.snapshot_len);
	cr_assert_eq(memcmp(pbft_of(&m)->state.snapshot,
			    pbft_of(&o)->state.snapshot,
			    pbft_of(&o)->state.snapshot_len),
		     0);
	/* Nothing to change: an empty view-change; messages without lists. */
	cr_assert_eq(mutate(mut, w.vc_nop, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(mut, w.pp, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(mut, w.prep, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(mut, w.ckpt[BYZ], NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(mut, w.fetch, NULL, &out), ADV_MUT_SKIP);
	wire_buf_free(&out);
}

Test(mutate, pbft_cert_dup)
{
	struct pbft_world w;
	struct wire_buf out;
	struct blob one[1];

	pbft_cert_mutation(ADV_MUT_CERT_DUP);
	/* A certificate of one frame cannot hold a duplicate. */
	pbft_world(&w);
	one[0] = pbft_vote(PBFT_COMMIT, 2, 1, 5, w.d);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(
	    mutate(ADV_MUT_CERT_DUP, pbft_cert(BYZ, w.pp, one, 1), NULL, &out),
	    ADV_MUT_SKIP);
	/* A list whose last frame is the first already: no change. */
	{
		struct blob two[2] = {w.ckpt[0], w.ckpt[0]};

		cr_assert_eq(mutate(ADV_MUT_CERT_DUP,
				    pbft_state(BYZ, 4, w.sd, two, 2), NULL,
				    &out),
			     ADV_MUT_SKIP);
	}
	/* cert-short on it drops the one commit. */
	cr_assert_eq(mutate(ADV_MUT_CERT_SHORT, pbft_cert(BYZ, w.pp, one, 1),
			    NULL, &out),
		     0);
	wire_buf_free(&out);
}

Test(mutate, pbft_cert_short)
{
	pbft_cert_mutation(ADV_MUT_CERT_SHORT);
}

Test(mutate, pbft_withhold)
{
	struct pbft_world w;
	struct wire_buf out;
	struct wire_msg m, o;

	pbft_world(&w);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(mutate(ADV_MUT_WITHHOLD, w.vc, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.vc.p, w.vc.n, &o), 0);
	cr_assert_eq(pbft_of(&m)->vc.view, 2);
	cr_assert_eq(pbft_of(&m)->vc.stable_seq, 4);
	cr_assert_eq(
	    memcmp(pbft_of(&m)->vc.stable_digest, w.sd, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(pbft_of(&m)->vc.prepared.count, 0);
	cr_assert_eq(pbft_of(&m)->vc.prepared.len, 0);
	cr_assert_eq(pbft_of(&m)->vc.proof.len, pbft_of(&o)->vc.proof.len);
	cr_assert_eq(memcmp(pbft_of(&m)->vc.proof.p, pbft_of(&o)->vc.proof.p,
			    pbft_of(&o)->vc.proof.len),
		     0);
	/* P already empty; other types. */
	cr_assert_eq(mutate(ADV_MUT_WITHHOLD, w.vc_nop, NULL, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_WITHHOLD, w.nv, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_WITHHOLD, w.pp, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_WITHHOLD, w.prep, NULL, &out),
		     ADV_MUT_SKIP);
	wire_buf_free(&out);
}

/* usurp: backup 3 makes the primary's PRE-PREPARE (1, 5) its own, with
 * the batch reversed, signed with its key; the map links the digests. */
Test(mutate, pbft_usurp_same_slot)
{
	struct pbft_world w;
	struct adv_conflicts map;
	struct wire_buf out;
	struct wire_msg m;
	struct blob got[3];
	static struct sigs s;
	uint8_t nd[BYZ_DIGEST_BYTES];

	pbft_world(&w);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(adv_usurp(w.pp.p, w.pp.n, 3, &rk[3], &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(m.frame.type, PBFT_PREPREPARE);
	cr_assert_eq(m.frame.sender, 3);
	cr_assert_eq(pbft_of(&m)->pp.view, 1);
	cr_assert_eq(pbft_of(&m)->pp.seq, 5);
	cr_assert_eq(frames_of(&pbft_of(&m)->pp.batch, got, 3), 3);
	for (int i = 0; i < 3; i++)
		cr_assert(blob_eq(got[i], batch3[2 - i]));
	sigs_of(out.data, out.len, &s);
	cr_assert_eq(s.bad, 0);
	byz_digest(nd, pbft_of(&m)->pp.batch_bytes, pbft_of(&m)->pp.batch_len);
	cr_assert_eq(memcmp(adv_conflicts_get(&map, w.d), nd, sizeof nd), 0);
	/* The usurper's own proposal, a vote, an empty batch: skipped. */
	cr_assert_eq(adv_usurp(w.pp.p, w.pp.n, BYZ, &rk[BYZ], &map, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(adv_usurp(w.prep.p, w.prep.n, 3, &rk[3], &map, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(adv_usurp(w.pp0.p, w.pp0.n, 3, &rk[3], &map, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(out.len, 0);
	wire_buf_free(&out);
}

/* ---- HotStuff ------------------------------------------------------------ */

struct hs_world {
	struct blob qc, gen, prop, prop1, prop0, vote, tmo, tmo_other,
	    tmo_novote, tmo_gen, tc[3], blocks, fetch;
	uint8_t parent[BYZ_DIGEST_BYTES], h[BYZ_DIGEST_BYTES];
};

static const uint32_t Q023[] = {0, 2, 3};

static void hs_world(struct hs_world *w)
{
	struct blob last;

	make_batches();
	byz_digest(w->parent, "parent", 6);
	w->qc = hs_qc(4, w->parent, Q023, 3);
	w->gen = hs_qc(0, zero, NULL, 0);
	/* TIMEOUTs of view 4 from 0, 2, 3 (each with the QC of view 3). */
	for (uint32_t i = 0; i < 3; i++)
		w->tc[i] =
		    hs_timeout(Q023[i], 4, hs_qc(3, zero, Q023, 3), NULL);
	/* BYZ = 1 leads view 5 (5 mod 4). */
	w->prop = hs_prop(BYZ, 5, w->qc, w->tc, 3, batch3, 3);
	w->prop1 = hs_prop(BYZ, 5, w->qc, NULL, 0, batch1, 1);
	w->prop0 = hs_prop(BYZ, 5, w->qc, NULL, 0, NULL, 0);
	block_hash(w->prop, w->h);
	w->vote = hs_vote(BYZ, 5, w->h);
	last = hs_vote(BYZ, 5, w->h);
	w->tmo = hs_timeout(BYZ, 6, w->qc, &last);
	last = hs_vote(2, 5, w->h); /* someone else's vote: not re-signable */
	w->tmo_other = hs_timeout(BYZ, 6, w->qc, &last);
	w->tmo_novote = hs_timeout(BYZ, 6, w->qc, NULL);
	w->tmo_gen = hs_timeout(BYZ, 1, w->gen, NULL);
	w->blocks = hs_blocks(BYZ, &w->prop, 1);
	w->fetch = hs_fetch(BYZ);
}

Test(mutate, hs_conflict_reverses_batch)
{
	struct hs_world w;
	struct adv_conflicts map;
	struct wire_buf out;
	struct wire_msg m, o;
	struct blob got[3];
	uint8_t nh[BYZ_DIGEST_BYTES], oh[BYZ_DIGEST_BYTES];

	hs_world(&w);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.prop, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.prop.p, w.prop.n, &o), 0);
	cr_assert_eq(hs_of(&m)->prop.view, 5);
	/* Same justify QC and TC, byte for byte. */
	cr_assert_eq(hs_of(&m)->prop.justify.len, w.qc.n);
	cr_assert_eq(memcmp(hs_of(&m)->prop.justify.bytes, w.qc.p, w.qc.n), 0);
	cr_assert_eq(hs_of(&m)->prop.tc.len, hs_of(&o)->prop.tc.len);
	cr_assert_eq(memcmp(hs_of(&m)->prop.tc.p, hs_of(&o)->prop.tc.p,
			    hs_of(&o)->prop.tc.len),
		     0);
	cr_assert_eq(frames_of(&hs_of(&m)->prop.batch, got, 3), 3);
	for (int i = 0; i < 3; i++)
		cr_assert(blob_eq(got[i], batch3[2 - i]));
	hs_block_hash(&hs_of(&m)->prop, nh);
	hs_block_hash(&hs_of(&o)->prop, oh);
	cr_assert_eq(memcmp(oh, w.h, sizeof oh), 0);
	cr_assert_neq(memcmp(nh, oh, sizeof nh), 0);
	cr_assert_eq(memcmp(adv_conflicts_get(&map, w.h), nh, sizeof nh), 0);
	/* One request: emptied; none: skip. */
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.prop1, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(hs_of(&m)->prop.batch.count, 0);
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.prop0, &map, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(map.used, 2);
	/* Not proposals. */
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.vote, &map, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.blocks, &map, &out),
		     ADV_MUT_SKIP);
	wire_buf_free(&out);
}

/* usurp: replica 3 makes the leader's proposal of view 5 its own proposal
 * of view 6, on the same justify QC, without the TC. */
Test(mutate, hs_usurp_next_view)
{
	struct hs_world w;
	struct adv_conflicts map;
	struct wire_buf out;
	struct wire_msg m;
	static struct sigs s;

	hs_world(&w);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(adv_usurp(w.prop.p, w.prop.n, 3, &rk[3], &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(m.frame.type, HS_PROPOSAL);
	cr_assert_eq(m.frame.sender, 3);
	cr_assert_eq(hs_of(&m)->prop.view, 6);
	cr_assert_eq(hs_of(&m)->prop.justify.len, w.qc.n);
	cr_assert_eq(memcmp(hs_of(&m)->prop.justify.bytes, w.qc.p, w.qc.n), 0);
	cr_assert_eq(hs_of(&m)->prop.tc.count, 0);
	cr_assert_eq(hs_of(&m)->prop.batch.count, 3);
	sigs_of(out.data, out.len, &s);
	cr_assert_eq(s.bad, 0);
	cr_assert_eq(adv_usurp(w.prop.p, w.prop.n, BYZ, &rk[BYZ], &map, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(adv_usurp(w.vote.p, w.vote.n, 3, &rk[3], &map, &out),
		     ADV_MUT_SKIP);
	wire_buf_free(&out);
}

Test(mutate, hs_follow_vote_and_timeout)
{
	struct hs_world w;
	struct adv_conflicts map;
	struct wire_buf out;
	struct wire_msg m, v;
	struct blob lv[1];
	const uint8_t *to;

	hs_world(&w);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.vote, &map, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.tmo, &map, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.prop, &map, &out), 0);
	to = adv_conflicts_get(&map, w.h);
	cr_assert_not_null(to);

	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.vote, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(hs_of(&m)->vote.view, 5);
	cr_assert_eq(memcmp(hs_of(&m)->vote.hash, to, BYZ_DIGEST_BYTES), 0);

	/* TIMEOUT: its own last vote rewritten and re-signed; the high QC
	 * verbatim. */
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.tmo, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(hs_of(&m)->timeout.view, 6);
	cr_assert_eq(hs_of(&m)->timeout.high.len, w.qc.n);
	cr_assert_eq(memcmp(hs_of(&m)->timeout.high.bytes, w.qc.p, w.qc.n), 0);
	cr_assert_eq(frames_of(&hs_of(&m)->timeout.vote, lv, 1), 1);
	cr_assert_eq(wire_decode(lv[0].p, lv[0].n, &v), 0);
	cr_assert_eq(v.frame.sender, BYZ);
	cr_assert_eq(hs_of(&v)->vote.view, 5);
	cr_assert_eq(memcmp(hs_of(&v)->vote.hash, to, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(byz_verify(rk[BYZ].pk, HS_PROTO, HS_VOTE, v.frame.bytes,
				v.frame.signed_len, v.frame.sig),
		     0);
	/* Someone else's vote is never re-signed; no vote: nothing to do. */
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.tmo_other, &map, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.tmo_novote, &map, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_FOLLOW, w.prop, &map, &out), ADV_MUT_SKIP);
	wire_buf_free(&out);
}

Test(mutate, hs_other_digest)
{
	struct hs_world w;
	struct adv_conflicts map;
	struct wire_buf out;
	struct wire_msg m;
	uint8_t want[BYZ_DIGEST_BYTES];

	hs_world(&w);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	derived(w.h, want);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, w.vote, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(hs_of(&m)->vote.view, 5);
	cr_assert_eq(memcmp(hs_of(&m)->vote.hash, want, sizeof want), 0);
	cr_assert_eq(mutate(ADV_MUT_CONFLICT, w.prop, &map, &out), 0);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, w.vote, &map, &out), 0);
	dec(&out, &m);
	cr_assert_eq(memcmp(hs_of(&m)->vote.hash, adv_conflicts_get(&map, w.h),
			    BYZ_DIGEST_BYTES),
		     0);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, w.tmo, &map, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, w.prop, &map, &out),
		     ADV_MUT_SKIP);
	wire_buf_free(&out);
}

/* jump: the leader's proposal of view 5 moved to view 5 + 64 n, the
 * block's justify and batch kept, entering by a TC of one TIMEOUT: its
 * own, for the view before, carrying the justify as high QC. */
Test(mutate, hs_jump)
{
	struct hs_world w;
	struct wire_buf out;
	struct wire_msg m, t;
	size_t pos = 0;

	hs_world(&w);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(mutate(ADV_MUT_JUMP, w.prop1, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(hs_of(&m)->prop.view, 5 + 64 * N);
	cr_assert_eq(hs_of(&m)->prop.justify.len, w.qc.n);
	cr_assert_eq(memcmp(hs_of(&m)->prop.justify.bytes, w.qc.p, w.qc.n), 0);
	cr_assert_eq(hs_of(&m)->prop.batch.count, 1);
	cr_assert_eq(hs_of(&m)->prop.tc.count, 1);
	cr_assert_eq(wire_frames_next(&hs_of(&m)->prop.tc, &pos, &t), 1);
	cr_assert_eq(t.frame.sender, BYZ);
	cr_assert_eq(hs_of(&t)->timeout.view, 5 + 64 * N - 1);
	/* Not proposals; PBFT has none. */
	cr_assert_eq(mutate(ADV_MUT_JUMP, w.vote, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_JUMP, w.tmo, NULL, &out), ADV_MUT_SKIP);
	wire_buf_free(&out);
}

/* other-digest on a STATE: another snapshot (one stored value changed)
 * that still restores, the rest of the STATE unchanged; a snapshot with
 * no value to change: skip. */
Test(mutate, hs_state_other_digest)
{
	struct app_limits lim = {.max_keys = 8, .max_clients = 2};
	struct app *a, *b;
	struct wire_buf snap, out, st;
	struct wire_msg m;
	const uint8_t *res;
	size_t rl, s;
	uint8_t h[BYZ_DIGEST_BYTES], d0[BYZ_DIGEST_BYTES], d1[BYZ_DIGEST_BYTES];
	static const char op[] = "put a 1";

	cr_assert_eq(app_new(&lim, &a), 0);
	cr_assert_eq(app_new(&lim, &b), 0);
	wire_buf_init(&snap, WIRE_MAX_FRAME);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	wire_buf_init(&st, WIRE_MAX_FRAME);
	memset(h, 0x42, sizeof h);
	/* An empty store: nothing to change. */
	cr_assert_eq(app_snapshot(a, &snap), 0);
	cr_assert_eq(
	    hs_enc_state(&st, &s, BYZ, 1, 1, h, NULL, 0, snap.data, snap.len),
	    0);
	cr_assert_eq(wire_sign(&st, s, &rk[BYZ]), 0);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, keep(st.data + s, st.len - s),
			    NULL, &out),
		     ADV_MUT_SKIP);
	/* One value. */
	cr_assert_eq(
	    app_execute(a, 0, 1, (const uint8_t *)op, sizeof op - 1, &res, &rl),
	    APP_EXECUTED);
	wire_buf_reset(&snap);
	wire_buf_reset(&st);
	cr_assert_eq(app_snapshot(a, &snap), 0);
	cr_assert_eq(
	    hs_enc_state(&st, &s, BYZ, 1, 1, h, NULL, 0, snap.data, snap.len),
	    0);
	cr_assert_eq(wire_sign(&st, s, &rk[BYZ]), 0);
	cr_assert_eq(mutate(ADV_MUT_OTHER_DIGEST, keep(st.data + s, st.len - s),
			    NULL, &out),
		     0);
	dec(&out, &m);
	cr_assert_eq(hs_of(&m)->state.depth, 1);
	cr_assert_eq(memcmp(hs_of(&m)->state.hash, h, sizeof h), 0);
	cr_assert_eq(hs_of(&m)->state.snapshot_len, snap.len);
	cr_assert_neq(memcmp(hs_of(&m)->state.snapshot, snap.data, snap.len),
		      0);
	cr_assert_eq(app_restore(b, hs_of(&m)->state.snapshot,
				 hs_of(&m)->state.snapshot_len),
		     0, "the forged snapshot must restore");
	app_state_digest(a, d0);
	app_state_digest(b, d1);
	cr_assert_neq(memcmp(d0, d1, sizeof d0), 0, "another state");
	wire_buf_free(&snap);
	wire_buf_free(&out);
	wire_buf_free(&st);
	app_destroy(&a);
	app_destroy(&b);
}

Test(mutate, hs_stale)
{
	struct hs_world w;
	struct wire_buf out;
	struct wire_msg m, o;

	hs_world(&w);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.prop, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.prop.p, w.prop.n, &o), 0);
	cr_assert_eq(hs_of(&m)->prop.view, 4);
	cr_assert_eq(hs_of(&m)->prop.justify.len, hs_of(&o)->prop.justify.len);
	cr_assert_eq(hs_of(&m)->prop.batch_len, hs_of(&o)->prop.batch_len);
	cr_assert_eq(memcmp(hs_of(&m)->prop.batch_bytes,
			    hs_of(&o)->prop.batch_bytes,
			    hs_of(&o)->prop.batch_len),
		     0);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.vote, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(hs_of(&m)->vote.view, 4);
	cr_assert_eq(memcmp(hs_of(&m)->vote.hash, w.h, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.tmo, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.tmo.p, w.tmo.n, &o), 0);
	cr_assert_eq(hs_of(&m)->timeout.view, 5);
	cr_assert_eq(hs_of(&m)->timeout.vote.len, hs_of(&o)->timeout.vote.len);
	cr_assert_eq(memcmp(hs_of(&m)->timeout.vote.p,
			    hs_of(&o)->timeout.vote.p,
			    hs_of(&o)->timeout.vote.len),
		     0);
	/* View 1 is the first: no view before it on the wire. */
	cr_assert_eq(mutate(ADV_MUT_STALE, w.tmo_gen, NULL, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_STALE, hs_vote(BYZ, 1, w.h), NULL, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_STALE,
			    hs_prop(BYZ, 1, w.gen, NULL, 0, batch3, 3), NULL,
			    &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.fetch, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_STALE, w.blocks, NULL, &out), ADV_MUT_SKIP);
	wire_buf_free(&out);
}

static void hs_cert_mutation(enum adv_mutation mut)
{
	void (*ok)(const struct wire_frames *, const struct wire_frames *) =
	    mut == ADV_MUT_CERT_DUP ? ok_list_dup : ok_list_short;
	struct hs_world w;
	struct wire_buf out;
	struct wire_msg m, o;
	uint8_t h[BYZ_DIGEST_BYTES];

	hs_world(&w);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	/* PROPOSAL: the justify QC's votes and the TC; the block (and so its
	 * hash) is the same. */
	cr_assert_eq(mutate(mut, w.prop, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.prop.p, w.prop.n, &o), 0);
	cr_assert_eq(hs_of(&m)->prop.justify.view, 4);
	cr_assert_eq(
	    memcmp(hs_of(&m)->prop.justify.hash, w.parent, BYZ_DIGEST_BYTES),
	    0);
	ok(&hs_of(&o)->prop.justify.votes, &hs_of(&m)->prop.justify.votes);
	ok(&hs_of(&o)->prop.tc, &hs_of(&m)->prop.tc);
	hs_block_hash(&hs_of(&m)->prop, h);
	cr_assert_eq(memcmp(h, w.h, sizeof h), 0);
	/* TIMEOUT: the high QC's votes; the last vote stays. */
	cr_assert_eq(mutate(mut, w.tmo, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.tmo.p, w.tmo.n, &o), 0);
	cr_assert_eq(hs_of(&m)->timeout.view, 6);
	ok(&hs_of(&o)->timeout.high.votes, &hs_of(&m)->timeout.high.votes);
	cr_assert_eq(hs_of(&m)->timeout.vote.len, hs_of(&o)->timeout.vote.len);
	/* Genesis QC, no TC: nothing to change. */
	cr_assert_eq(mutate(mut, w.tmo_gen, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(
	    mutate(mut, hs_prop(BYZ, 1, w.gen, NULL, 0, batch3, 3), NULL, &out),
	    ADV_MUT_SKIP);
	cr_assert_eq(mutate(mut, w.vote, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(mut, w.blocks, NULL, &out), ADV_MUT_SKIP);
	cr_assert_eq(mutate(mut, w.fetch, NULL, &out), ADV_MUT_SKIP);
	wire_buf_free(&out);
}

Test(mutate, hs_cert_dup)
{
	hs_cert_mutation(ADV_MUT_CERT_DUP);
}

Test(mutate, hs_cert_short)
{
	hs_cert_mutation(ADV_MUT_CERT_SHORT);
}

Test(mutate, hs_withhold)
{
	struct hs_world w;
	struct wire_buf out;
	struct wire_msg m;

	hs_world(&w);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	cr_assert_eq(mutate(ADV_MUT_WITHHOLD, w.tmo, NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(hs_of(&m)->timeout.view, 6);
	cr_assert_eq(hs_of(&m)->timeout.high.view, 0);
	cr_assert_eq(memcmp(hs_of(&m)->timeout.high.hash, zero, sizeof zero),
		     0);
	cr_assert_eq(hs_of(&m)->timeout.high.votes.count, 0);
	cr_assert_eq(hs_of(&m)->timeout.vote.count, 0);
	cr_assert_eq(mutate(ADV_MUT_WITHHOLD, w.tmo_novote, NULL, &out), 0);
	/* Already genesis and no vote: the same message, skip. */
	cr_assert_eq(mutate(ADV_MUT_WITHHOLD, w.tmo_gen, NULL, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_WITHHOLD, w.prop, NULL, &out),
		     ADV_MUT_SKIP);
	cr_assert_eq(mutate(ADV_MUT_WITHHOLD, w.vote, NULL, &out),
		     ADV_MUT_SKIP);
	wire_buf_free(&out);
}

/* ---- both, and the edges ------------------------------------------------- */

/* Every frame of both worlds, plus frames of other protocols. */
static size_t all_frames(struct blob *fs, size_t max)
{
	struct pbft_world p;
	struct hs_world h;
	size_t k = 0;

	pbft_world(&p);
	hs_world(&h);
	{
		struct blob list[] = {
		    p.pp,	 p.pp1,	  p.pp0,       p.prep,	     p.commit,
		    p.ckpt[BYZ], p.vc,	  p.vc_nop,    p.nv,	     p.state,
		    p.cert,	 p.fetch, h.prop,      h.prop1,	     h.prop0,
		    h.vote,	 h.tmo,	  h.tmo_other, h.tmo_novote, h.tmo_gen,
		    h.blocks,	 h.fetch, batch3[0],
		};
		for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
			cr_assert_lt(k, max);
			fs[k++] = list[i];
		}
	}
	return k;
}

/* A frame's sender's key (requests: the client's). */
static const struct byz_keypair *sender_key(struct blob b)
{
	struct wire_msg m;

	cr_assert_eq(wire_decode(b.p, b.n, &m), 0);
	return m.frame.proto == BYZ_PROTO_CLIENT &&
		       m.frame.type == WIRE_CLIENT_REQUEST
		   ? &ck[m.frame.sender]
		   : &rk[m.frame.sender];
}

Test(mutate, every_mutation_of_every_frame)
{
	struct blob fs[64];
	size_t k = all_frames(fs, 64);
	struct adv_conflicts map;
	struct wire_buf out, again;
	unsigned ok = 0, skip = 0;

	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	wire_buf_init(&again, WIRE_MAX_FRAME);
	/* Conflicts first so that follow has something to follow. */
	for (int mut = ADV_MUT_FIRST; mut <= ADV_MUT_LAST; mut++)
		for (size_t i = 0; i < k; i++) {
			int rc =
			    mutate((enum adv_mutation)mut, fs[i], &map, &out);
			struct adv_conflicts copy = map;

			cr_assert(rc == 0 || rc == ADV_MUT_SKIP,
				  "%s of frame %zu: %d", adv_mutation_name(mut),
				  i, rc);
			if (rc) {
				skip++;
				continue;
			}
			ok++;
			/* Deterministic. */
			cr_assert_eq(adv_mutate((enum adv_mutation)mut, fs[i].p,
						fs[i].n, sender_key(fs[i]), N,
						F, &copy, &again),
				     0);
			cr_assert_eq(again.len, out.len);
			cr_assert_eq(memcmp(again.data, out.data, out.len), 0);
			/* A result can be mutated again (chained attacks). */
			for (int m2 = ADV_MUT_FIRST; m2 <= ADV_MUT_LAST; m2++) {
				struct blob r = keep(out.data, out.len);
				int rc2 = mutate((enum adv_mutation)m2, r,
						 &copy, &again);

				cr_assert(rc2 == 0 || rc2 == ADV_MUT_SKIP);
			}
		}
	/* The client request is never touched. */
	cr_assert_gt(ok, 30);
	cr_assert_gt(skip, 30);
	wire_buf_free(&out);
	wire_buf_free(&again);
}

Test(mutate, client_and_toy_frames_skip)
{
	struct wire_buf b, out;
	struct blob r, reply, order;
	size_t s;

	make_batches();
	r = batch3[0];
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(
	    wire_enc_reply(&b, &s, BYZ, 3, 0, 1, (const uint8_t *)"ok", 2), 0);
	reply = sign_keep(&b, s, BYZ_ROLE_REPLICA, BYZ);
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(toy_enc_order(&b, &s, BYZ, 1, r.p, r.n), 0);
	order = sign_keep(&b, s, BYZ_ROLE_REPLICA, BYZ);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	for (int mut = ADV_MUT_FIRST; mut <= ADV_MUT_LAST; mut++) {
		cr_assert_eq(
		    adv_mutate(mut, r.p, r.n, &ck[0], N, F, NULL, &out),
		    ADV_MUT_SKIP);
		cr_assert_eq(adv_mutate(mut, reply.p, reply.n, &rk[BYZ], N, F,
					NULL, &out),
			     ADV_MUT_SKIP);
		cr_assert_eq(adv_mutate(mut, order.p, order.n, &rk[BYZ], N, F,
					NULL, &out),
			     ADV_MUT_SKIP);
		cr_assert_eq(out.len, 0);
	}
	cr_assert_eq(adv_frame_view(reply.p, reply.n), 3);
	cr_assert_eq(adv_frame_view(order.p, order.n), 0);
	cr_assert_eq(adv_frame_view(r.p, r.n), 0);
	wire_buf_free(&out);
}

Test(mutate, never_resigns_another_replicas_frame)
{
	struct pbft_world w;
	struct hs_world h;
	struct wire_buf out;
	struct adv_conflicts map;

	pbft_world(&w);
	hs_world(&h);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	/* BYZ's frames with replica 2's key: refused, map untouched. */
	cr_assert_eq(adv_mutate(ADV_MUT_STALE, w.prep.p, w.prep.n, &rk[2], N, F,
				&map, &out),
		     BYZ_EBADSIG);
	cr_assert_eq(adv_mutate(ADV_MUT_CONFLICT, w.pp.p, w.pp.n, &rk[2], N, F,
				&map, &out),
		     BYZ_EBADSIG);
	cr_assert_eq(adv_mutate(ADV_MUT_WITHHOLD, h.tmo.p, h.tmo.n, &rk[0], N,
				F, &map, &out),
		     BYZ_EBADSIG);
	cr_assert_eq(out.len, 0);
	cr_assert_eq(map.used, 0);
	/* An unknown mutation. */
	cr_assert_eq(adv_mutate((enum adv_mutation)0, w.prep.p, w.prep.n,
				&rk[BYZ], N, F, &map, &out),
		     BYZ_EINVAL);
	cr_assert_eq(adv_mutate((enum adv_mutation)99, w.prep.p, w.prep.n,
				&rk[BYZ], N, F, &map, &out),
		     BYZ_EINVAL);
	/* Input inside out's own storage: refused (the result would overwrite
	 * it); two buffers in turn chain mutations. */
	cr_assert_eq(adv_mutate(ADV_MUT_STALE, w.vc.p, w.vc.n, &rk[BYZ], N, F,
				&map, &out),
		     0);
	{
		struct wire_buf other;
		struct wire_msg m;

		cr_assert_eq(adv_mutate(ADV_MUT_STALE, out.data, out.len,
					&rk[BYZ], N, F, &map, &out),
			     BYZ_EINVAL);
		cr_assert_eq(out.len, 0);
		cr_assert_eq(adv_mutate(ADV_MUT_WITHHOLD, w.vc.p, w.vc.n,
					&rk[BYZ], N, F, &map, &out),
			     0);
		wire_buf_init(&other, WIRE_MAX_FRAME);
		cr_assert_eq(adv_mutate(ADV_MUT_CERT_SHORT, out.data, out.len,
					&rk[BYZ], N, F, &map, &other),
			     0);
		dec(&other, &m);
		cr_assert_eq(pbft_of(&m)->vc.prepared.count, 0);
		cr_assert_eq(pbft_of(&m)->vc.proof.count, 2);
		wire_buf_free(&other);
	}
	cr_assert_eq(
	    adv_mutate(ADV_MUT_STALE, w.vc.p, w.vc.n, NULL, N, F, &map, &out),
	    BYZ_EINVAL);
	cr_assert_eq(adv_mutate(ADV_MUT_STALE, w.vc.p, w.vc.n, &rk[BYZ], N, F,
				&map, NULL),
		     BYZ_EINVAL);
	/* An out buffer too small: its error, nothing left in it. */
	{
		struct wire_buf tiny;

		wire_buf_init(&tiny, 40);
		cr_assert_eq(adv_mutate(ADV_MUT_STALE, w.prep.p, w.prep.n,
					&rk[BYZ], N, F, &map, &tiny),
			     BYZ_ELIMIT);
		cr_assert_eq(tiny.len, 0);
		cr_assert_eq(adv_mutate(ADV_MUT_CONFLICT, w.pp.p, w.pp.n,
					&rk[BYZ], N, F, &map, &tiny),
			     BYZ_ELIMIT);
		cr_assert_eq(map.used, 0);
		wire_buf_free(&tiny);
	}
	wire_buf_free(&out);
}

/* Malformed input: truncations and bit flips of valid frames give an
 * err.h code or a skip, never a crash and never a frame. */
Test(mutate, malformed_input)
{
	struct blob fs[64];
	size_t k = all_frames(fs, 64);
	struct adv_conflicts map;
	struct wire_buf out;
	unsigned errors = 0;

	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);
	for (size_t i = 0; i < k; i++) {
		const struct byz_keypair *key = sender_key(fs[i]);
		uint8_t *buf = malloc(fs[i].n);
		size_t step = fs[i].n / 97 + 1;

		cr_assert_not_null(buf);
		for (int mut = ADV_MUT_FIRST; mut <= ADV_MUT_LAST; mut++) {
			/* Truncations (a fresh copy each: ASan sees overreads).
			 */
			for (size_t len = 0; len < fs[i].n; len += step) {
				uint8_t *t = malloc(len ? len : 1);
				int rc;

				cr_assert_not_null(t);
				memcpy(t, fs[i].p, len);
				rc = adv_mutate(mut, t, len, key, N, F, &map,
						&out);
				free(t);
				cr_assert_lt(rc, 0, "truncated to %zu: %d", len,
					     rc);
				cr_assert_eq(out.len, 0);
				errors++;
			}
			/* One bit flipped, at positions spread over the frame
			 * (every byte of the header). */
			for (size_t pos = 0; pos < fs[i].n;
			     pos += pos < WIRE_HEADER_BYTES ? 1 : step) {
				int rc;

				memcpy(buf, fs[i].p, fs[i].n);
				buf[pos] ^= (uint8_t)(1u << (pos % 8));
				rc = adv_mutate(mut, buf, fs[i].n, key, N, F,
						&map, &out);
				cr_assert(rc < 0 || rc == ADV_MUT_SKIP,
					  "flip at %zu of frame %zu: %d", pos,
					  i, rc);
				cr_assert_eq(out.len, 0);
				errors += rc < 0;
			}
		}
		free(buf);
	}
	/* A frame and trailing garbage; NULL input. */
	{
		uint8_t *x = malloc(fs[0].n + 1);

		memcpy(x, fs[0].p, fs[0].n);
		x[fs[0].n] = 0;
		cr_assert_lt(adv_mutate(ADV_MUT_STALE, x, fs[0].n + 1, &rk[BYZ],
					N, F, &map, &out),
			     0);
		free(x);
	}
	cr_assert_lt(
	    adv_mutate(ADV_MUT_STALE, NULL, 0, &rk[BYZ], N, F, &map, &out), 0);
	cr_assert_eq(
	    adv_mutate(ADV_MUT_STALE, NULL, 5, &rk[BYZ], N, F, &map, &out),
	    BYZ_EINVAL);
	cr_assert_gt(errors, 1000);
	cr_assert_eq(map.used, 0, "no conflict recorded from bad input");
	wire_buf_free(&out);
}

Test(mutate, frame_view)
{
	struct pbft_world w;
	struct hs_world h;

	pbft_world(&w);
	hs_world(&h);
	cr_assert_eq(adv_frame_view(w.pp.p, w.pp.n), 1);
	cr_assert_eq(adv_frame_view(w.prep.p, w.prep.n), 1);
	cr_assert_eq(adv_frame_view(w.commit.p, w.commit.n), 1);
	cr_assert_eq(adv_frame_view(w.vc.p, w.vc.n), 2);
	cr_assert_eq(adv_frame_view(w.nv.p, w.nv.n), 2);
	cr_assert_eq(adv_frame_view(w.cert.p, w.cert.n), 1);
	cr_assert_eq(adv_frame_view(w.ckpt[0].p, w.ckpt[0].n), 0);
	cr_assert_eq(adv_frame_view(w.state.p, w.state.n), 0);
	cr_assert_eq(adv_frame_view(w.fetch.p, w.fetch.n), 0);
	cr_assert_eq(adv_frame_view(h.prop.p, h.prop.n), 5);
	cr_assert_eq(adv_frame_view(h.vote.p, h.vote.n), 5);
	cr_assert_eq(adv_frame_view(h.tmo.p, h.tmo.n), 6);
	cr_assert_eq(adv_frame_view(h.blocks.p, h.blocks.n), 5);
	cr_assert_eq(adv_frame_view(h.fetch.p, h.fetch.n), 0);
	/* Not decodable: 0. */
	cr_assert_eq(adv_frame_view(h.prop.p, h.prop.n - 1), 0);
	cr_assert_eq(adv_frame_view(NULL, 0), 0);
}

Test(mutate, names)
{
	static const char *const want[] = {
	    "conflict",	  "follow",   "other-digest", "stale",	  "cert-dup",
	    "cert-short", "withhold", "fork",	      "cert-mix", "jump",
	};

	for (int i = ADV_MUT_FIRST; i <= ADV_MUT_LAST; i++) {
		cr_assert_str_eq(adv_mutation_name(i), want[i - ADV_MUT_FIRST]);
		cr_assert_eq(adv_mutation_parse(want[i - ADV_MUT_FIRST]), i);
	}
	cr_assert_str_eq(adv_mutation_name((enum adv_mutation)0), "unknown");
	cr_assert_str_eq(adv_mutation_name((enum adv_mutation)42), "unknown");
	cr_assert_eq(adv_mutation_parse("nope"), -1);
	cr_assert_eq(adv_mutation_parse(""), -1);
	cr_assert_eq(adv_mutation_parse("Stale"), -1);
	cr_assert_eq(adv_mutation_parse(NULL), -1);
}

Test(mutate, conflict_map_ring)
{
	static struct adv_conflicts m;
	uint8_t a[BYZ_DIGEST_BYTES], b[BYZ_DIGEST_BYTES];

	adv_conflicts_init(&m);
	memset(a, 0, sizeof a);
	cr_assert_null(adv_conflicts_get(&m, a));
	cr_assert_eq(adv_conflicts_put(&m, a, a), BYZ_EINVAL);
	/* Fill it, and one more: the oldest goes. */
	memset(b, 0, sizeof b);
	for (uint32_t i = 0; i <= ADV_CONFLICT_SLOTS; i++) {
		memcpy(a, &i, sizeof i);
		memcpy(b, &i, sizeof i);
		b[31] = 1;
		cr_assert_eq(adv_conflicts_put(&m, a, b), 0);
	}
	cr_assert_eq(m.used, ADV_CONFLICT_SLOTS);
	for (uint32_t i = 0; i <= ADV_CONFLICT_SLOTS; i++) {
		const uint8_t *to;

		memset(a, 0, sizeof a);
		memcpy(a, &i, sizeof i);
		to = adv_conflicts_get(&m, a);
		if (i == 0) {
			cr_assert_null(to);
			continue;
		}
		cr_assert_not_null(to, "entry %u lost", i);
		cr_assert_eq(memcmp(to, &i, sizeof i), 0);
		cr_assert_eq(to[31], 1);
		memset(b, 0, sizeof b);
		memcpy(b, &i, sizeof i);
		b[31] = 1;
		cr_assert_eq(memcmp(adv_conflicts_origin(&m, b), a, sizeof a),
			     0);
	}
	/* Putting a known digest updates it in place: nothing evicted. */
	memset(a, 0, sizeof a);
	a[0] = 7;
	memset(b, 9, sizeof b);
	cr_assert_eq(adv_conflicts_put(&m, a, b), 0);
	cr_assert_eq(memcmp(adv_conflicts_get(&m, a), b, sizeof b), 0);
	a[0] = 1;
	cr_assert_not_null(adv_conflicts_get(&m, a));
	cr_assert_null(adv_conflicts_get(NULL, a));
	cr_assert_null(adv_conflicts_origin(NULL, a));
}

/* The coalition's hooks (equivocate on HotStuff, adversary.c): a frame's
 * links, the Byzantine replicas' own votes for any proposal, and a
 * Byzantine leader's proposal moved onto another branch, justified by a
 * certificate of other replicas' votes copied verbatim. */
Test(mutate, hs_coalition_links_endorse_extend)
{
	struct hs_world w;
	struct adv_conflicts map;
	struct adv_links l;
	struct adv_cert cert;
	struct wire_buf out;
	struct wire_msg m, o;
	struct blob votes[3], got[3];
	const uint8_t *vf[3];
	size_t vl[3];
	uint8_t other[BYZ_DIGEST_BYTES], nh[BYZ_DIGEST_BYTES];
	struct pbft_world pw;

	hs_world(&w);
	adv_conflicts_init(&map);
	wire_buf_init(&out, WIRE_MAX_FRAME);

	cr_assert_eq(adv_links(w.prop.p, w.prop.n, &l), 0);
	cr_assert_eq(l.kind, ADV_LINK_PROPOSAL);
	cr_assert_eq(l.view, 5);
	cr_assert_eq(l.parent_view, 4);
	cr_assert(l.has_tc);
	cr_assert_eq(memcmp(l.hash, w.h, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(memcmp(l.parent, w.parent, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(adv_links(w.vote.p, w.vote.n, &l), 0);
	cr_assert_eq(l.kind, ADV_LINK_VOTE);
	cr_assert_eq(memcmp(l.hash, w.h, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(adv_links(w.tmo.p, w.tmo.n, &l), 0);
	cr_assert_eq(l.kind, ADV_LINK_TIMEOUT);
	cr_assert_eq(memcmp(l.parent, w.parent, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(adv_links(w.fetch.p, w.fetch.n, &l), ADV_MUT_SKIP);
	pbft_world(&pw);
	cr_assert_eq(adv_links(pw.pp.p, pw.pp.n, &l), ADV_MUT_SKIP);

	/* Replica 0's vote for the proposal of replica BYZ, signed by 0. */
	cr_assert_eq(adv_endorse(w.prop.p, w.prop.n, 0, &rk[0], NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(m.frame.type, HS_VOTE);
	cr_assert_eq(m.frame.sender, 0);
	cr_assert_eq(hs_of(&m)->vote.view, 5);
	cr_assert_eq(memcmp(hs_of(&m)->vote.hash, w.h, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(byz_verify(rk[0].pk, m.frame.proto, m.frame.type,
				m.frame.bytes, m.frame.signed_len, m.frame.sig),
		     0);
	cr_assert_eq(adv_endorse(w.vote.p, w.vote.n, 0, &rk[0], NULL, &out),
		     ADV_MUT_SKIP);
	/* Replica 0's TIMEOUT for the view of BYZ's: genesis QC, no vote. */
	cr_assert_eq(adv_endorse(w.tmo.p, w.tmo.n, 0, &rk[0], NULL, &out), 0);
	dec(&out, &m);
	cr_assert_eq(m.frame.type, HS_TIMEOUT);
	cr_assert_eq(m.frame.sender, 0);
	cr_assert_eq(hs_of(&m)->timeout.view, 6);
	cr_assert_eq(hs_of(&m)->timeout.high.view, 0);
	cr_assert_eq(hs_of(&m)->timeout.vote.count, 0);

	/* Moved onto `other` (view 4), certified by 0, 2 and 3. */
	byz_digest(other, "other", 5);
	for (int i = 0; i < 3; i++) {
		votes[i] = hs_vote(Q023[i], 4, other);
		vf[i] = votes[i].p;
		vl[i] = votes[i].n;
	}
	cert.view = 4;
	memcpy(cert.hash, other, BYZ_DIGEST_BYTES);
	cert.frames = vf;
	cert.lens = vl;
	cert.count = 3;
	cr_assert_eq(
	    adv_extend(w.prop.p, w.prop.n, &rk[BYZ], &cert, &map, &out), 0);
	{
		static struct sigs so;
		sigs_of(out.data, out.len, &so);
		cr_assert_eq(so.bad, 0, "a signature of the result fails");
		cr_assert_gt(so.count, 3);
	}
	dec(&out, &m);
	cr_assert_eq(wire_decode(w.prop.p, w.prop.n, &o), 0);
	cr_assert_eq(m.frame.sender, BYZ);
	cr_assert_eq(hs_of(&m)->prop.view, 5);
	cr_assert_eq(hs_of(&m)->prop.justify.view, 4);
	cr_assert_eq(
	    memcmp(hs_of(&m)->prop.justify.hash, other, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(frames_of(&hs_of(&m)->prop.justify.votes, got, 3), 3);
	for (int i = 0; i < 3; i++)
		cr_assert(blob_eq(got[i], votes[i]), "vote %d copied", i);
	cr_assert_eq(hs_of(&m)->prop.tc.len, hs_of(&o)->prop.tc.len);
	cr_assert_eq(frames_of(&hs_of(&m)->prop.batch, got, 3), 3);
	for (int i = 0; i < 3; i++)
		cr_assert(blob_eq(got[i], batch3[2 - i]));
	hs_block_hash(&hs_of(&m)->prop, nh);
	cr_assert_eq(memcmp(adv_conflicts_get(&map, w.h), nh, sizeof nh), 0);
	/* A TIMEOUT with that certificate as its high QC. */
	cr_assert_eq(adv_endorse(w.tmo.p, w.tmo.n, 0, &rk[0], &cert, &out), 0);
	dec(&out, &m);
	cr_assert_eq(hs_of(&m)->timeout.view, 6);
	cr_assert_eq(hs_of(&m)->timeout.high.view, 4);
	cr_assert_eq(
	    memcmp(hs_of(&m)->timeout.high.hash, other, BYZ_DIGEST_BYTES), 0);
	cr_assert_eq(hs_of(&m)->timeout.high.votes.count, 3);
	/* Only the proposer's key moves its proposal; a certificate must be
	 * of an earlier view. */
	cr_assert_eq(adv_extend(w.prop.p, w.prop.n, &rk[2], &cert, &map, &out),
		     BYZ_EBADSIG);
	cr_assert_eq(out.len, 0);
	cert.view = 5;
	cr_assert_eq(
	    adv_extend(w.prop.p, w.prop.n, &rk[BYZ], &cert, &map, &out),
	    ADV_MUT_SKIP);
	cr_assert_eq(adv_extend(pw.pp.p, pw.pp.n, &rk[BYZ], &cert, &map, &out),
		     ADV_MUT_SKIP);
	wire_buf_free(&out);
}
