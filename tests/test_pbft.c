/*
 * test_pbft.c - PBFT as a user of byzlab sees it.
 *
 * Handler level: one core driven with hand-made signed messages; the oracle
 * is the core's own output, rendered as lines (a golden trace).
 * Simulator level: whole clusters of n = 4, 7, 10 under the faults of
 * issue #3; every checker must hold and every request commit after GST.
 */
#include "check.h"
#include "err.h"
#include "golden.h"
#include "pbft/pbft_wire.h"
#include "scenario.h"
#include "scenario_io.h"
#include "sim.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void setup(void)
{
	cr_assert_eq(byz_crypto_init(), 0);
}

TestSuite(pbft, .init = setup);

/* ---- handler-level harness ------------------------------------------------
 */

#define SEED 77
#define N    4

struct h {
	const struct byz_core_ops *ops;
	void *core;
	struct byz_outbox ob;
	struct byz_keypair rk[N], ck[2];
	char lines[64][GOLDEN_LINE];
	size_t nlines;
};

static void h_init(struct h *h, uint32_t id)
{
	struct byz_config cfg = {.n = N,
				 .f = 1,
				 .id = id,
				 .max_clients = 2,
				 .batch = 1,
				 .window = 8,
				 .checkpoint_interval = 4,
				 .timeout_us = 20000,
				 .app = {.max_keys = 64, .max_clients = 2}};

	memset(h, 0, sizeof *h);
	h->ops = byz_core_find("pbft");
	cr_assert_not_null(h->ops);
	for (uint32_t i = 0; i < N; i++)
		byz_key_derive(&h->rk[i], SEED, BYZ_ROLE_REPLICA, i);
	for (uint32_t i = 0; i < 2; i++)
		byz_key_derive(&h->ck[i], SEED, BYZ_ROLE_CLIENT, i);
	cr_assert_eq(h->ops->create(&cfg, NULL, 0, &h->core), 0);
	byz_outbox_init(&h->ob, 4096, 1 << 22);
}

static void h_free(struct h *h)
{
	h->ops->destroy(&h->core);
	byz_outbox_free(&h->ob);
}

/* Step the core with ev and keep its outputs as lines. */
static void h_step(struct h *h, const struct byz_event *ev)
{
	byz_outbox_reset(&h->ob);
	cr_assert_eq(h->ops->step(h->core, ev, &h->ob), 0);
	h->nlines = 0;
	for (size_t i = 0; i < h->ob.count && h->nlines < 64; i++)
		golden_output(h->ops, &h->ob, &h->ob.out[i],
			      h->lines[h->nlines++], GOLDEN_LINE);
}

/* The lines must be exactly want[], in order. The VIEW outputs (the
 * progress check's "view ..." lines) are compared only where want names
 * one; elsewhere they are left out. */
static void expect(const struct h *h, const char *const *want, size_t n)
{
	char got[64 * GOLDEN_LINE] = "";
	const char *line[64];
	size_t k = 0;
	bool views = false;

	for (size_t i = 0; i < n; i++)
		views |= !strncmp(want[i], "view ", 5);
	for (size_t i = 0; i < h->nlines; i++) {
		if (!views && !strncmp(h->lines[i], "view ", 5))
			continue;
		line[k++] = h->lines[i];
		strncat(got, h->lines[i], sizeof got - strlen(got) - 2);
		strcat(got, "\n");
	}
	cr_assert_eq(k, n, "expected %zu lines, got:\n%s", n, got);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(line[i], want[i], "line %zu; got:\n%s", i,
				 got);
}
#define EXPECT(h, ...)                                                         \
	do {                                                                   \
		static const char *const w_[] = {__VA_ARGS__};                 \
		expect(h, w_, sizeof w_ / sizeof w_[0]);                       \
	} while (0)

/* Signed frames, made the way the driver makes them. */
struct frame {
	uint8_t data[8192];
	size_t len;
};

static void sign_into(struct frame *f, struct wire_buf *b,
		      const struct byz_keypair *kp)
{
	cr_assert_eq(wire_sign(b, 0, kp), 0);
	cr_assert_leq(b->len, sizeof f->data);
	memcpy(f->data, b->data, b->len);
	f->len = b->len;
	wire_buf_free(b);
}

static struct frame request(struct h *h, uint32_t c, uint64_t ts,
			    const char *op)
{
	struct wire_buf b;
	struct frame f;

	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(
	    wire_enc_request(&b, NULL, c, ts, (const uint8_t *)op, strlen(op)),
	    0);
	sign_into(&f, &b, &h->ck[c]);
	return f;
}

static struct frame preprepare(struct h *h, uint32_t from, uint64_t view,
			       uint64_t seq, const struct frame *req)
{
	struct wire_buf b;
	struct frame f;
	const uint8_t *frames[1] = {req ? req->data : NULL};
	size_t lens[1] = {req ? req->len : 0};

	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(pbft_enc_preprepare(
			 &b, NULL, from, view, seq,
			 (struct pbft_framev){frames, lens, req ? 1 : 0}),
		     0);
	sign_into(&f, &b, &h->rk[from]);
	return f;
}

static void digest_of(const struct frame *pp, uint8_t d[32])
{
	struct wire_msg m;

	cr_assert_eq(wire_decode(pp->data, pp->len, &m), 0);
	byz_digest(d, pbft_of(&m)->pp.batch_bytes, pbft_of(&m)->pp.batch_len);
}

static struct frame vote(struct h *h, uint8_t type, uint32_t from,
			 uint64_t view, uint64_t seq, const uint8_t d[32])
{
	struct wire_buf b;
	struct frame f;

	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(pbft_enc_vote(&b, NULL, type, from, view, seq, d), 0);
	sign_into(&f, &b, &h->rk[from]);
	return f;
}

/* Deliver a signed frame to the core as the driver would. */
static void deliver(struct h *h, const struct frame *f)
{
	struct wire_msg m;
	struct byz_event ev = {.now = 1000};

	cr_assert_eq(wire_decode(f->data, f->len, &m), 0);
	ev.kind =
	    m.frame.proto == BYZ_PROTO_CLIENT ? BYZ_EV_REQUEST : BYZ_EV_MESSAGE;
	ev.u.msg = &m;
	h_step(h, &ev);
}

Test(pbft, backup_persists_a_preprepare_before_it_prepares)
{
	struct h h;
	struct frame req, pp;

	h_init(&h, 1);
	req = request(&h, 0, 1, "put x 1");
	pp = preprepare(&h, 0, 0, 1, &req);
	deliver(&h, &pp);
	/* OSDI'99 §4.2: accept, then multicast PREPARE (and hold our own
	 * signed copy); the pre-prepare is persisted before the prepare. */
	EXPECT(&h,
	       "persist msg pbft/pre-prepare v=0 n=1 batch=c0/t1 d=4d02f8a0",
	       "broadcast pbft/prepare v=0 n=1 d=4d02f8a0",
	       "send r1 pbft/prepare v=0 n=1 d=4d02f8a0");
	h_free(&h);
}

Test(pbft, the_primary_does_not_prepare_and_backups_drop_its_prepares)
{
	struct h h;
	struct frame req, pp, prep;
	uint8_t d[32];

	h_init(&h, 1);
	req = request(&h, 0, 1, "put x 1");
	pp = preprepare(&h, 0, 0, 1, &req);
	digest_of(&pp, d);
	prep = vote(&h, PBFT_PREPARE, 0, 0, 1, d);
	deliver(&h, &prep);
	EXPECT(&h, "note prepare from the primary r0: dropped");
	h_free(&h);
}

Test(pbft, a_preprepare_from_a_backup_is_dropped)
{
	struct h h;
	struct frame req, pp;

	h_init(&h, 2);
	req = request(&h, 0, 1, "put x 1");
	pp = preprepare(&h, 3, 0, 1, &req);
	deliver(&h, &pp);
	EXPECT(&h,
	       "note pre-prepare from r3, not the primary of view 0: dropped");
	h_free(&h);
}

Test(pbft, a_conflicting_preprepare_for_the_same_view_and_number_is_dropped)
{
	struct h h;
	struct frame r1, r2, a, b;

	h_init(&h, 1);
	r1 = request(&h, 0, 1, "put x 1");
	r2 = request(&h, 1, 1, "put x 2");
	a = preprepare(&h, 0, 0, 1, &r1);
	b = preprepare(&h, 0, 0, 1, &r2); /* the primary equivocates */
	deliver(&h, &a);
	deliver(&h, &b);
	EXPECT(&h, "note pre-prepare v0 n1 conflicts with the digest accepted: "
		   "dropped");
	/* The same one again is a silent duplicate. */
	deliver(&h, &a);
	cr_assert_eq(h.nlines, 0);
	h_free(&h);
}

Test(pbft, numbers_outside_the_watermarks_are_dropped)
{
	struct h h;
	struct frame req, pp;

	h_init(&h, 1);
	req = request(&h, 0, 1, "put x 1");
	pp = preprepare(&h, 0, 0, 9, &req); /* window 8: (0, 8] */
	deliver(&h, &pp);
	EXPECT(&h,
	       "note pre-prepare n9 outside the watermarks (0, 8]: dropped");
	h_free(&h);
}

Test(pbft, a_wrong_view_is_dropped)
{
	struct h h;
	struct frame req, pp;

	h_init(&h, 1);
	req = request(&h, 0, 1, "put x 1");
	pp = preprepare(&h, 1, 1, 1, &req);
	deliver(&h, &pp);
	/* A message for a later view is kept for when that view starts (it
	 * may have overtaken the NEW-VIEW), not acted on. */
	cr_assert_eq(h.nlines, 0);
	h_free(&h);
}

Test(pbft, prepared_then_committed_then_executed_and_answered)
{
	struct h h;
	struct frame req, pp, v;
	uint8_t d[32];

	h_init(&h, 1);
	req = request(&h, 0, 1, "put x 1");
	pp = preprepare(&h, 0, 0, 1, &req);
	digest_of(&pp, d);
	deliver(&h, &pp);
	/* Our own prepare comes back signed, then one more backup's: 2f = 2
	 * prepares from backups make it prepared (§4.2). */
	v = vote(&h, PBFT_PREPARE, 1, 0, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/prepare v=0 n=1 d=4d02f8a0");
	v = vote(&h, PBFT_PREPARE, 2, 0, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/prepare v=0 n=1 d=4d02f8a0",
	       "broadcast pbft/commit v=0 n=1 d=4d02f8a0",
	       "send r1 pbft/commit v=0 n=1 d=4d02f8a0");
	/* 2f+1 = 3 commits: committed-local; execute and reply (§4.2). */
	v = vote(&h, PBFT_COMMIT, 1, 0, 1, d);
	deliver(&h, &v);
	v = vote(&h, PBFT_COMMIT, 3, 0, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/commit v=0 n=1 d=4d02f8a0");
	v = vote(&h, PBFT_COMMIT, 0, 0, 1, d);
	deliver(&h, &v);
	/* No view-change timer: this backup never saw the client's request
	 * itself, so it was not waiting for it (§4.4). */
	EXPECT(&h, "persist msg pbft/commit v=0 n=1 d=4d02f8a0",
	       "commit h1 slot=1 c0/t1",
	       "send c0 client/reply v=0 c0 t=1 result='ok'");
	h_free(&h);
}

Test(pbft, a_prepare_for_another_digest_does_not_count)
{
	struct h h;
	struct frame req, pp, v;
	uint8_t d[32], other[32] = {1};

	h_init(&h, 1);
	req = request(&h, 0, 1, "put x 1");
	pp = preprepare(&h, 0, 0, 1, &req);
	digest_of(&pp, d);
	deliver(&h, &pp);
	v = vote(&h, PBFT_PREPARE, 1, 0, 1, d);
	deliver(&h, &v);
	v = vote(&h, PBFT_PREPARE, 2, 0, 1, other);
	deliver(&h, &v);
	/* Stored, but no commit follows. */
	EXPECT(&h, "persist msg pbft/prepare v=0 n=1 d=01000000");
	h_free(&h);
}

/* Whether the last step's outputs include a line starting with prefix. */
static bool has_line(const struct h *h, const char *prefix)
{
	for (size_t i = 0; i < h->nlines; i++)
		if (!strncmp(h->lines[i], prefix, strlen(prefix)))
			return true;
	return false;
}

/*
 * Votes are counted as they are stored (issue #14); the predicates stay
 * the papers' (OSDI'99 §4.2): prepared = the pre-prepare and 2f matching
 * PREPAREs from distinct backups, the primary's never counting;
 * committed-local = prepared and 2f+1 matching COMMITs from distinct
 * replicas. A sender's first vote is the one that counts: a duplicate is
 * not counted again, nor a second vote with the right digest after a
 * wrong one. Votes that came before the pre-prepare are counted once it
 * fixes the digest.
 */
Test(pbft, votes_count_once_per_signer_for_the_accepted_digest_only)
{
	struct h h;
	struct frame req, pp, v;
	uint8_t d[32], other[32] = {1};

	h_init(&h, 1);
	req = request(&h, 0, 1, "put x 1");
	pp = preprepare(&h, 0, 0, 1, &req);
	digest_of(&pp, d);
	/* Before the pre-prepare: r2 for d, r3 for another digest. */
	v = vote(&h, PBFT_PREPARE, 2, 0, 1, d);
	deliver(&h, &v);
	v = vote(&h, PBFT_PREPARE, 3, 0, 1, other);
	deliver(&h, &v);
	deliver(&h, &pp);
	/* One matching prepare (r2): not prepared. */
	EXPECT(&h,
	       "persist msg pbft/pre-prepare v=0 n=1 batch=c0/t1 d=4d02f8a0",
	       "broadcast pbft/prepare v=0 n=1 d=4d02f8a0",
	       "send r1 pbft/prepare v=0 n=1 d=4d02f8a0");
	/* r2 again, and r3 now for d: its first vote counts, not this. */
	v = vote(&h, PBFT_PREPARE, 2, 0, 1, d);
	deliver(&h, &v);
	cr_assert_eq(h.nlines, 0);
	v = vote(&h, PBFT_PREPARE, 3, 0, 1, d);
	deliver(&h, &v);
	cr_assert_eq(h.nlines, 0);
	/* The primary's PREPARE never counts. */
	v = vote(&h, PBFT_PREPARE, 0, 0, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "note prepare from the primary r0: dropped");
	/* Ours, by loopback: 2f = 2 from backups (r1, r2). */
	v = vote(&h, PBFT_PREPARE, 1, 0, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/prepare v=0 n=1 d=4d02f8a0",
	       "broadcast pbft/commit v=0 n=1 d=4d02f8a0",
	       "send r1 pbft/commit v=0 n=1 d=4d02f8a0");
	/* Commits: r2 twice, r3 for another digest, the primary r0 for d
	 * (it counts: any replica may commit): two distinct matching. */
	v = vote(&h, PBFT_COMMIT, 2, 0, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/commit v=0 n=1 d=4d02f8a0");
	deliver(&h, &v);
	cr_assert_eq(h.nlines, 0);
	v = vote(&h, PBFT_COMMIT, 3, 0, 1, other);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/commit v=0 n=1 d=01000000");
	v = vote(&h, PBFT_COMMIT, 0, 0, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/commit v=0 n=1 d=4d02f8a0");
	/* Ours makes 2f+1 = 3: committed-local, executed. */
	v = vote(&h, PBFT_COMMIT, 1, 0, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/commit v=0 n=1 d=4d02f8a0",
	       "commit h1 slot=1 c0/t1",
	       "send c0 client/reply v=0 c0 t=1 result='ok'");
	h_free(&h);
}

/*
 * The same predicates against a model of them, over seeded random
 * sequences: votes of either type from any replica, for the digest or
 * another, duplicates, votes for a later view (kept for it, not counted),
 * and the pre-prepare at a random point. The core must become prepared
 * (multicast COMMIT) and committed (execute) at exactly the step the
 * model says, and never otherwise.
 */
Test(pbft, prepared_and_committed_hold_exactly_when_the_predicates_do)
{
	uint8_t d[32], other[32] = {1};
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	for (int round = 0; round < 150; round++) {
		struct h h;
		struct frame req, pp, v;
		/* The model: each sender's first PREPARE / COMMIT of view 0
		 * (0: none, 1: for d, 2: for another digest). */
		int prep[N] = {0}, commit[N] = {0};
		bool have_pp = false, prepared = false, committed = false;

		h_init(&h, 1);
		req = request(&h, 0, 1, "put x 1");
		pp = preprepare(&h, 0, 0, 1, &req);
		digest_of(&pp, d);
		for (int step = 0; step < 14 && !committed; step++) {
			uint32_t r, s, kind;
			bool match, now_prepared, now_committed;
			uint32_t np = 0, nc = 0;

			rng = rng * 6364136223846793005ull +
			      1442695040888963407ull;
			r = (uint32_t)(rng >> 33);
			kind = r % 8;
			s = (r / 8) % N;
			match = (r / 32) % 4 != 0;
			if (kind == 0 || (step == 13 && !have_pp)) {
				deliver(&h, &pp);
				have_pp = true;
			} else if (kind == 1) {
				/* For view 1: kept for later, not counted. */
				v = vote(&h,
					 r & 64 ? PBFT_PREPARE : PBFT_COMMIT, s,
					 1, 1, d);
				deliver(&h, &v);
			} else {
				uint8_t type =
				    kind < 5 ? PBFT_PREPARE : PBFT_COMMIT;
				int *first =
				    type == PBFT_PREPARE ? prep : commit;
				v = vote(&h, type, s, 0, 1, match ? d : other);
				deliver(&h, &v);
				if (!(type == PBFT_PREPARE && s == 0) &&
				    !first[s])
					first[s] = match ? 1 : 2;
			}
			for (uint32_t i = 0; i < N; i++) {
				np += i != 0 && prep[i] == 1;
				nc += commit[i] == 1;
			}
			now_prepared = have_pp && np >= 2;
			now_committed = now_prepared && nc >= 3;
			cr_assert_eq(has_line(&h, "broadcast pbft/commit"),
				     now_prepared && !prepared,
				     "round %d step %d: prepared is %d with "
				     "%u matching prepares",
				     round, step, now_prepared, np);
			cr_assert_eq(has_line(&h, "commit h1 slot=1"),
				     now_committed && !committed,
				     "round %d step %d: committed is %d with "
				     "%u matching commits",
				     round, step, now_committed, nc);
			prepared = now_prepared;
			committed = now_committed;
		}
		h_free(&h);
	}
}

/* A committed certificate with one signer twice proves nothing. */
Test(pbft, a_certificate_with_a_repeated_signer_is_refused)
{
	struct h h;
	struct frame req, pp, c1, c2;
	struct wire_buf b;
	struct frame cert;
	const uint8_t *frames[3];
	size_t lens[3];
	uint8_t d[32];

	h_init(&h, 3);
	req = request(&h, 0, 1, "put x 1");
	pp = preprepare(&h, 0, 0, 1, &req);
	digest_of(&pp, d);
	c1 = vote(&h, PBFT_COMMIT, 1, 0, 1, d);
	c2 = vote(&h, PBFT_COMMIT, 2, 0, 1, d);
	frames[0] = c1.data, lens[0] = c1.len;
	frames[1] = c2.data, lens[1] = c2.len;
	frames[2] = c1.data, lens[2] = c1.len;
	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(pbft_enc_cert(&b, NULL, 1, pp.data, pp.len,
				   (struct pbft_framev){frames, lens, 3}),
		     0);
	sign_into(&cert, &b, &h.rk[1]);
	deliver(&h, &cert);
	EXPECT(&h, "note committed certificate from r1 with a repeated or "
		   "unknown signer: dropped");
	/* With three distinct signers it executes. */
	{
		struct frame c0 = vote(&h, PBFT_COMMIT, 0, 0, 1, d);
		frames[2] = c0.data;
		lens[2] = c0.len;
		wire_buf_init(&b, 1 << 20);
		cr_assert_eq(
		    pbft_enc_cert(&b, NULL, 1, pp.data, pp.len,
				  (struct pbft_framev){frames, lens, 3}),
		    0);
		sign_into(&cert, &b, &h.rk[1]);
		deliver(&h, &cert);
	}
	EXPECT(&h, "persist msg pbft/cert v=0 n=1 commits=3",
	       "commit h1 slot=1 c0/t1",
	       "send c0 client/reply v=0 c0 t=1 result='ok'");
	h_free(&h);
}

Test(pbft, a_view_change_with_a_forged_prepared_certificate_is_dropped)
{
	struct h h;
	struct frame req, pp, p1, vc;
	struct wire_buf b;
	size_t start;
	uint8_t d[32], genesis[32];
	const uint8_t *frames[2];
	size_t lens[2];

	h_init(&h, 1);
	{
		struct app *a;
		struct app_limits lim = {.max_keys = 64, .max_clients = 2};
		cr_assert_eq(app_new(&lim, &a), 0);
		app_state_digest(a, genesis);
		app_destroy(&a);
	}
	req = request(&h, 0, 1, "put x 1");
	pp = preprepare(&h, 0, 0, 1, &req);
	digest_of(&pp, d);
	p1 = vote(&h, PBFT_PREPARE, 2, 0, 1, d);
	/* P holds a "prepared certificate" with one prepare, twice: 2f = 2
	 * distinct backups are needed. */
	frames[0] = p1.data, lens[0] = p1.len;
	frames[1] = p1.data, lens[1] = p1.len;
	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(
	    pbft_enc_viewchange_begin(&b, &start, 3, 1, 0, genesis,
				      (struct pbft_framev){NULL, NULL, 0}, 1),
	    0);
	pbft_enc_pset_entry(&b, pp.data, pp.len,
			    (struct pbft_framev){frames, lens, 2});
	cr_assert_eq(pbft_enc_end(&b, start), 0);
	sign_into(&vc, &b, &h.rk[3]);
	deliver(&h, &vc);
	EXPECT(&h, "note view-change 1 from r3 with a repeated or unknown "
		   "signer: dropped");
	h_free(&h);
}

/* The initial state's digest: the stable checkpoint at 0. */
static void genesis_digest(uint8_t out[32])
{
	struct app *a;
	struct app_limits lim = {.max_keys = 64, .max_clients = 2};

	cr_assert_eq(app_new(&lim, &a), 0);
	app_state_digest(a, out);
	app_destroy(&a);
}

/* VIEW-CHANGE(view) from `from`, at the checkpoint at 0, nothing prepared. */
static struct frame viewchange(struct h *h, uint32_t from, uint64_t view)
{
	struct wire_buf b;
	struct frame f;
	uint8_t genesis[32];
	size_t start;

	genesis_digest(genesis);
	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(
	    pbft_enc_viewchange_begin(&b, &start, from, view, 0, genesis,
				      (struct pbft_framev){NULL, NULL, 0}, 0),
	    0);
	cr_assert_eq(pbft_enc_end(&b, start), 0);
	sign_into(&f, &b, &h->rk[from]);
	return f;
}

/* Fire one of the core's timers. */
static void fire(struct h *h, uint32_t timer)
{
	struct byz_event ev = {.kind = BYZ_EV_TIMER, .now = 2000};

	ev.u.timer = timer;
	h_step(h, &ev);
}

/*
 * Issue #10 (partition + silent primary, 0 of 16 requests accepted): r1
 * moved on to view 2 and its VIEW-CHANGE for 1, which completed our 2f+1
 * for view 1, was replaced by the one for 2 (one is kept per sender). A
 * view-change for a higher view must still count toward the 2f+1 that
 * start the timer (§4.4; libbyz counts views >= v), or no timer runs and,
 * one replica ahead being fewer than f+1, nobody moves again.
 */
Test(pbft, a_view_change_for_a_higher_view_counts_toward_the_timer_quorum)
{
	struct h h;
	struct frame req, vc2, vc3;

	h_init(&h, 2);
	req = request(&h, 0, 1, "put x 1");
	deliver(&h, &req);
	EXPECT(&h, "timer view 20ms");
	fire(&h, 0);
	EXPECT(&h, "timer view cancel", "persist view v=1",
	       "note view change to 1 (timeout 20000 us)",
	       "broadcast pbft/view-change v=1 h=0 C=0 P=-",
	       "send r2 pbft/view-change v=1 h=0 C=0 P=-");
	vc2 = viewchange(&h, 2, 1);
	deliver(&h, &vc2);
	EXPECT(&h, "persist msg pbft/view-change v=1 h=0 C=0 P=-");
	vc3 = viewchange(&h, 3, 1);
	deliver(&h, &vc3);
	EXPECT(&h, "persist msg pbft/view-change v=1 h=0 C=0 P=-");
	/* r1 is ahead, at view 2: with ours and r3's, 2f+1 for views >= 1. */
	{
		struct frame vc1 = viewchange(&h, 1, 2);
		deliver(&h, &vc1);
	}
	EXPECT(&h, "persist msg pbft/view-change v=2 h=0 C=0 P=-",
	       "timer view 20ms");
	/* It expires: view 2, with twice the timeout (§4.4). */
	fire(&h, 0);
	EXPECT(&h, "timer view cancel", "persist view v=2",
	       "note view change to 2 (timeout 40000 us)",
	       "broadcast pbft/view-change v=2 h=0 C=0 P=-",
	       "send r2 pbft/view-change v=2 h=0 C=0 P=-");
	h_free(&h);
}

/* The persisted log a driver keeps (core.h): records as u32 length and
 * bytes, a replace starting it again. */
struct plog {
	uint8_t b[1 << 20];
	size_t len;
};

static void plog_take(struct plog *l, const struct byz_outbox *ob)
{
	for (size_t i = 0; i < ob->count; i++) {
		const struct byz_output *o = &ob->out[i];
		if (o->kind != BYZ_OUT_PERSIST)
			continue;
		if (o->replace)
			l->len = 0;
		cr_assert_leq(l->len + 4 + o->len, sizeof l->b);
		for (int k = 0; k < 4; k++)
			l->b[l->len + k] = (uint8_t)(o->len >> (8 * k));
		memcpy(l->b + l->len + 4, ob->bytes.data + o->off, o->len);
		l->len += 4 + o->len;
	}
}

/*
 * Found by campaigns/real.yaml in a CI try (crash-restart-pbft-n4-b1-a0-s1,
 * real processes): replica 3 started the view change to 1, persisted the
 * view, and was killed before its VIEW-CHANGE left (a real process waits
 * for the disk before it sends). Restarted from its log it was in view 1,
 * changing view, with no VIEW-CHANGE of its own to resend; with r0 silent
 * the primary of view 1 had two of the three it needed, and nothing
 * committed in 20 s. A replica restarted in the middle of a view change
 * now announces it again.
 */
Test(pbft, a_replica_restarted_mid_view_change_announces_it_again)
{
	static struct plog log;
	struct h h;
	struct frame req;
	struct byz_config cfg;
	struct byz_event start = {
	    .kind = BYZ_EV_START, .now = 5000, .u.restarted = true};

	h_init(&h, 2);
	req = request(&h, 0, 1, "put x 1");
	deliver(&h, &req);
	plog_take(&log, &h.ob);
	fire(&h, 0);
	EXPECT(&h, "timer view cancel", "persist view v=1",
	       "note view change to 1 (timeout 20000 us)",
	       "broadcast pbft/view-change v=1 h=0 C=0 P=-",
	       "send r2 pbft/view-change v=1 h=0 C=0 P=-");
	plog_take(&log, &h.ob);
	/* Killed now: what it sent after the persist never left. */
	h.ops->destroy(&h.core);
	cfg = (struct byz_config){.n = N,
				  .f = 1,
				  .id = 2,
				  .max_clients = 2,
				  .batch = 1,
				  .window = 8,
				  .checkpoint_interval = 4,
				  .timeout_us = 20000,
				  .app = {.max_keys = 64, .max_clients = 2}};
	cr_assert_eq(h.ops->create(&cfg, log.b, log.len, &h.core), 0);
	h_step(&h, &start);
	{
		bool vc = false, self = false;
		for (size_t i = 0; i < h.nlines; i++) {
			vc |= !strcmp(h.lines[i],
				      "broadcast pbft/view-change v=1 h=0 C=0 "
				      "P=-");
			self |= !strcmp(h.lines[i],
					"send r2 pbft/view-change v=1 h=0 C=0 "
					"P=-");
		}
		cr_assert(vc && self, "no VIEW-CHANGE for view 1 after the "
				      "restart");
	}
	h_free(&h);
}

/*
 * Issue #10 (no fault, 15 ms one-way latency, 20 ms timeout: nothing ever
 * commits): a view entered by a NEW-VIEW in which the request timer
 * expires before anything executes is a view change without progress, so
 * the next one waits twice as long (TOCS'02 §4.5.2: "If the timer expires
 * before it receives a valid NEW-VIEW message for v+1 or before it
 * executes a request in the new view ... it will wait 2T"). Before, only
 * an expiry while still changing view doubled it.
 */
Test(pbft, a_view_entered_without_progress_doubles_the_timeout)
{
	struct h h;
	struct frame req, vcs[3], nv;
	uint32_t senders[3];
	uint8_t digests[3][32];
	size_t start;
	struct wire_buf b;

	h_init(&h, 2);
	req = request(&h, 0, 1, "put x 1");
	deliver(&h, &req);
	fire(&h, 0);
	EXPECT(&h, "timer view cancel", "persist view v=1",
	       "note view change to 1 (timeout 20000 us)",
	       "broadcast pbft/view-change v=1 h=0 C=0 P=-",
	       "send r2 pbft/view-change v=1 h=0 C=0 P=-");
	for (uint32_t i = 0; i < 3; i++) {
		vcs[i] = viewchange(&h, i + 1, 1);
		senders[i] = i + 1;
		byz_digest(digests[i], vcs[i].data, vcs[i].len);
	}
	/* V names them by digest (TOCS'02 §4.4): r2 must hold them (its
	 * own comes back by loopback). */
	for (uint32_t i = 0; i < 2; i++) {
		deliver(&h, &vcs[i]);
		EXPECT(&h, "persist msg pbft/view-change v=1 h=0 C=0 P=-");
	}
	deliver(&h, &vcs[2]);
	EXPECT(&h, "persist msg pbft/view-change v=1 h=0 C=0 P=-",
	       "timer view 20ms");
	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(pbft_enc_newview(&b, &start, 1, 1, senders,
				      (const uint8_t(*)[32])digests, 3,
				      (struct pbft_framev){NULL, NULL, 0}),
		     0);
	sign_into(&nv, &b, &h.rk[1]);
	deliver(&h, &nv);
	EXPECT(&h, "persist msg pbft/new-view v=1 V=1,2,3 O=-",
	       "timer view cancel", "note entered view 1", "timer view 20ms");
	/* Nothing executes in view 1: the timer expires. */
	fire(&h, 0);
	EXPECT(&h, "timer view cancel", "persist view v=2",
	       "note view change to 2 (timeout 40000 us)",
	       "broadcast pbft/view-change v=2 h=0 C=0 P=-",
	       "send r2 pbft/view-change v=2 h=0 C=0 P=-");
	h_free(&h);
}

/*
 * Issue #10 item 3: NEW-VIEW names its view-changes by digest, so it stays
 * small at any n. A backup that lacks one (lost, or a faulty sender sent
 * it another) keeps the NEW-VIEW, fetches the view-change from the
 * primary, which forwards it signed by its sender (VCS), and then enters
 * the view.
 */
Test(pbft, a_new_view_naming_a_view_change_we_lack_waits_and_fetches_it)
{
	struct h h;
	struct frame req, vcs[3], nv, fwd;
	uint32_t senders[3];
	uint8_t digests[3][32];
	size_t start;
	struct wire_buf b;

	h_init(&h, 2);
	req = request(&h, 0, 1, "put x 1");
	deliver(&h, &req);
	fire(&h, 0);
	EXPECT(&h, "timer view cancel", "persist view v=1",
	       "note view change to 1 (timeout 20000 us)",
	       "broadcast pbft/view-change v=1 h=0 C=0 P=-",
	       "send r2 pbft/view-change v=1 h=0 C=0 P=-");
	for (uint32_t i = 0; i < 3; i++) {
		vcs[i] = viewchange(&h, i + 1, 1);
		senders[i] = i + 1;
		byz_digest(digests[i], vcs[i].data, vcs[i].len);
	}
	for (uint32_t i = 0; i < 2; i++) {
		deliver(&h, &vcs[i]);
		EXPECT(&h, "persist msg pbft/view-change v=1 h=0 C=0 P=-");
	}
	/* r3's view-change is lost on the way to r2. */
	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(pbft_enc_newview(&b, &start, 1, 1, senders,
				      (const uint8_t(*)[32])digests, 3,
				      (struct pbft_framev){NULL, NULL, 0}),
		     0);
	sign_into(&nv, &b, &h.rk[1]);
	deliver(&h, &nv);
	EXPECT(&h,
	       "note new-view 1 names 1 view-changes we lack: fetching "
	       "them from r1",
	       "send r1 pbft/fetch what=vc n=1");
	/* The same NEW-VIEW again (the primary re-sends it): still waiting,
	 * nothing new persisted or asked. */
	deliver(&h, &nv);
	expect(&h, NULL, 0);
	/* r1 forwards r3's view-change, signed by r3. */
	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(pbft_enc_vcs(&b, &start, 1, vcs[2].data, vcs[2].len), 0);
	sign_into(&fwd, &b, &h.rk[1]);
	deliver(&h, &fwd);
	EXPECT(&h, "persist msg pbft/view-change v=1 h=0 C=0 P=-",
	       "timer view 20ms", "persist msg pbft/new-view v=1 V=1,2,3 O=-",
	       "timer view cancel", "note entered view 1", "timer view 20ms");
	h_free(&h);
}

/*
 * A view change drops what an entry collected in the old view (OSDI'99
 * §4.4: prepares and commits are per view): a PREPARE of view 0 does not
 * count toward view 1, though it names the same number and digest.
 */
Test(pbft, prepares_of_an_old_view_do_not_count_in_the_new_one)
{
	struct h h;
	struct frame req, pp0, pp1, v, vcs[3], nv;
	uint32_t senders[3];
	uint8_t d[32], digests[3][32];
	size_t start;
	struct wire_buf b;

	h_init(&h, 2);
	req = request(&h, 0, 1, "put x 1");
	deliver(&h, &req);
	pp0 = preprepare(&h, 0, 0, 1, &req);
	digest_of(&pp0, d);
	deliver(&h, &pp0);
	/* View 0: r3's prepare; one of the 2f, not prepared. */
	v = vote(&h, PBFT_PREPARE, 3, 0, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/prepare v=0 n=1 d=4d02f8a0");
	fire(&h, 0);
	EXPECT(&h, "timer view cancel", "persist view v=1",
	       "note view change to 1 (timeout 20000 us)",
	       "broadcast pbft/view-change v=1 h=0 C=0 P=-",
	       "send r2 pbft/view-change v=1 h=0 C=0 P=-");
	for (uint32_t i = 0; i < 3; i++) {
		vcs[i] = viewchange(&h, i + 1, 1);
		senders[i] = i + 1;
		byz_digest(digests[i], vcs[i].data, vcs[i].len);
		deliver(&h, &vcs[i]);
	}
	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(pbft_enc_newview(&b, &start, 1, 1, senders,
				      (const uint8_t(*)[32])digests, 3,
				      (struct pbft_framev){NULL, NULL, 0}),
		     0);
	sign_into(&nv, &b, &h.rk[1]);
	deliver(&h, &nv);
	EXPECT(&h, "persist msg pbft/new-view v=1 V=1,2,3 O=-",
	       "timer view cancel", "note entered view 1", "timer view 20ms");
	/* View 1, primary r1: the same batch again at n = 1. */
	pp1 = preprepare(&h, 1, 1, 1, &req);
	deliver(&h, &pp1);
	EXPECT(&h,
	       "persist msg pbft/pre-prepare v=1 n=1 batch=c0/t1 d=4d02f8a0",
	       "broadcast pbft/prepare v=1 n=1 d=4d02f8a0",
	       "send r2 pbft/prepare v=1 n=1 d=4d02f8a0");
	/* r3's view-0 prepare again: for a view that is over. */
	v = vote(&h, PBFT_PREPARE, 3, 0, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "note prepare v0 n1 from r3 in view 1: dropped");
	/* Ours (loopback): one; r3's of view 0 would have made two. */
	v = vote(&h, PBFT_PREPARE, 2, 1, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/prepare v=1 n=1 d=4d02f8a0");
	/* r0, a backup in view 1: 2f, prepared. */
	v = vote(&h, PBFT_PREPARE, 0, 1, 1, d);
	deliver(&h, &v);
	EXPECT(&h, "persist msg pbft/prepare v=1 n=1 d=4d02f8a0",
	       "broadcast pbft/commit v=1 n=1 d=4d02f8a0",
	       "send r2 pbft/commit v=1 n=1 d=4d02f8a0");
	h_free(&h);
}

Test(pbft, a_request_from_an_unknown_client_is_dropped)
{
	struct h h;
	struct wire_buf b;
	struct frame f;
	struct byz_keypair k;

	h_init(&h, 0);
	byz_key_derive(&k, SEED, BYZ_ROLE_CLIENT, 7);
	wire_buf_init(&b, 1 << 20);
	cr_assert_eq(
	    wire_enc_request(&b, NULL, 7, 1, (const uint8_t *)"get x", 5), 0);
	sign_into(&f, &b, &k);
	deliver(&h, &f);
	EXPECT(&h, "note request from client 7 beyond max_clients: dropped");
	h_free(&h);
}

Test(pbft, the_primary_orders_a_request_and_persists_before_sending)
{
	struct h h;
	struct frame req;

	h_init(&h, 0);
	req = request(&h, 1, 1, "put y 2");
	deliver(&h, &req);
	/* §4.4 timer on a waiting request; the pre-prepare is persisted
	 * before it leaves, so a restart never reuses its number. */
	EXPECT(&h, "timer view 20ms",
	       "persist sent pbft/pre-prepare v=0 n=1 batch=c1/t1 d=764369bd",
	       "broadcast pbft/pre-prepare v=0 n=1 batch=c1/t1 d=764369bd",
	       "send r0 pbft/pre-prepare v=0 n=1 batch=c1/t1 d=764369bd");
	h_free(&h);
}

/* ---- simulator runs -------------------------------------------------------
 */

static struct scenario base(uint32_t n, uint32_t requests)
{
	struct scenario sc;

	scenario_defaults(&sc);
	sc.ops = byz_core_find("pbft");
	sc.n = n;
	sc.f = (n - 1) / 3;
	sc.clients = 3;
	sc.requests = requests;
	sc.max_time_us = 120ull * 1000 * 1000;
	return sc;
}

static void must_pass(const struct scenario *sc, const char *what)
{
	struct scenario_result res;

	cr_assert_eq(scenario_run(sc, NULL, &res), 0, "%s: %s", what, res.why);
	cr_assert_eq(res.verdict, VERDICT_PASS, "%s (n=%u): %s", what, sc->n,
		     res.why);
	cr_assert_eq(res.min_height, (uint64_t)sc->clients * sc->requests,
		     "%s (n=%u): every request commits at every honest replica",
		     what, sc->n);
}

static const uint32_t sizes[] = {4, 7, 10};

Test(pbft, fault_free_counts_match_the_paper)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = base(sizes[i], 10);
		struct scenario_result res;
		uint64_t n = sizes[i], d = 30;

		cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
		cr_assert_eq(res.verdict, VERDICT_PASS, "%s", res.why);
		/* OSDI'99 §4.2, one request per batch, replica to replica. */
		cr_assert_eq(res.counts.sent[PBFT_PROTO][PBFT_PREPREPARE],
			     d * (n - 1));
		cr_assert_eq(res.counts.sent[PBFT_PROTO][PBFT_PREPARE],
			     d * (n - 1) * (n - 1));
		cr_assert_eq(res.counts.sent[PBFT_PROTO][PBFT_COMMIT],
			     d * n * (n - 1));
		/* Checkpoints every K = 16: one round at 16, each replica to
		 * the n-1 others. */
		cr_assert_eq(res.counts.sent[PBFT_PROTO][PBFT_CHECKPOINT],
			     (d / 16) * n * (n - 1));
		cr_assert_eq(res.counts.sent[PBFT_PROTO][PBFT_VIEWCHANGE], 0);
	}
}

Test(pbft, primary_crashed)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = base(sizes[i], 12);
		sc.crashes[0] =
		    (struct sim_crash){.replica = 0, .at_us = 15000};
		sc.ncrashes = 1;
		must_pass(&sc, "primary crashed");
	}
}

/*
 * Issue #10: no fault, but a one-way latency the base timeout (20 ms)
 * does not cover: a request needs three one-way delays after the primary
 * hears of it. At 15 ms PBFT never committed (every replica changing view
 * for ever: a view change that completed without progress did not double
 * the timeout). Doubling up to 64 times the base (PBFT_BACKOFF_CAP) covers
 * 200 ms (and about 400 ms), after which the partial-synchrony model of
 * the paper holds: timeouts grow until they cover the delay.
 */
Test(pbft, doubling_timeouts_cover_a_latency_the_base_does_not, .timeout = 120)
{
	static const uint64_t latency_ms[] = {15, 50, 200};

	for (size_t i = 0; i < 2; i++)
		for (size_t l = 0; l < 3; l++) {
			struct scenario sc = base(sizes[i], 2);
			char what[64];

			sc.latency_us = latency_ms[l] * 1000;
			snprintf(what, sizeof what, "%" PRIu64 " ms latency",
				 latency_ms[l]);
			must_pass(&sc, what);
		}
}

/* ---- adversary hooks for the tests (the real library is issue #5) ----------
 */

struct mute {
	bool muted[BYZ_MAX_N]; /* replicas whose messages are dropped */
	int only_type;	       /* or 0: every type */
	uint64_t until;	       /* 0: for ever */
	uint32_t group_a_max;  /* partition: replicas <= a_max vs the rest */
	bool partition;
};

static enum sim_verdict mute_hook(void *ctx, struct sim *s,
				  struct sim_flight *m)
{
	struct mute *mu = ctx;
	struct wire_frame f;

	if (mu->until && sim_now(s) >= mu->until)
		return SIM_DELIVER;
	if (mu->partition) {
		bool fa, ta;
		if (byz_is_client_addr(m->from) || byz_is_client_addr(m->to))
			return SIM_DELIVER;
		fa = m->from <= mu->group_a_max;
		ta = m->to <= mu->group_a_max;
		return fa == ta ? SIM_DELIVER : SIM_DROP;
	}
	if (byz_is_client_addr(m->from) || !mu->muted[m->from])
		return SIM_DELIVER;
	if (mu->only_type && (wire_frame_parse(m->frame, m->len, true, &f) ||
			      f.type != mu->only_type))
		return SIM_DELIVER;
	return SIM_DROP;
}

/* Run a scenario with an adversary hook and check what the hooked runs
 * must show: every request finished, no core failed, no checker fired. */
static void must_pass_hooked(struct scenario *sc, sim_hook_fn hook, void *ctx,
			     const char *what)
{
	struct scenario_result res;

	sc->hook = hook;
	sc->hook_ctx = ctx;
	cr_assert_eq(scenario_run(sc, NULL, &res), 0, "%s: %s", what, res.why);
	cr_assert(res.sim.done,
		  "%s (n=%u): not every request finished (%" PRIu64 "/%" PRIu64
		  ")",
		  what, sc->n, res.sim.accepted, res.sim.requests);
	cr_assert_eq(res.sim.core_error, 0, "%s: a core failed", what);
	cr_assert_eq(res.checks.total - res.checks.per_check[CHECK_PROGRESS], 0,
		     "%s (n=%u): %s", what, sc->n,
		     res.checks.kept ? res.checks.v[0].detail : "");
}

Test(pbft, primary_silent_on_new_requests)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = base(sizes[i], 10);
		struct mute mu = {.only_type = PBFT_PREPREPARE};
		/* The primary of view 0 never sends a pre-prepare: it is
		 * faulty, so the checkers leave it out. */
		mu.muted[0] = true;
		sc.byzantine[0] = true;
		must_pass_hooked(&sc, mute_hook, &mu, "primary silent");
	}
}

Test(pbft, f_silent_backups)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = base(sizes[i], 10);
		struct mute mu = {0};
		for (uint32_t k = 0; k < sc.f; k++) {
			mu.muted[sc.n - 1 - k] = true;
			sc.byzantine[sc.n - 1 - k] = true;
		}
		must_pass_hooked(&sc, mute_hook, &mu, "f silent backups");
	}
}

Test(pbft, a_partition_that_heals)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = base(sizes[i], 10);
		/* Neither side has a quorum until the partition heals at GST.
		 */
		struct mute mu = {.partition = true,
				  .group_a_max = sizes[i] / 2 - 1,
				  .until = 300000};
		sc.gst_us = 300000;
		must_pass_hooked(&sc, mute_hook, &mu, "partition heals");
	}
}

static enum sim_verdict duplicate_hook(void *ctx, struct sim *s,
				       struct sim_flight *m)
{
	(void)ctx;
	cr_assert_eq(
	    sim_inject(s, m->from, m->to, m->frame, m->len, m->delay_us + 300),
	    0);
	return SIM_DELIVER;
}

Test(pbft, lost_and_duplicated_messages)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = base(sizes[i], 10);
		sc.loss = 0.1;
		sc.jitter_us = 2000;
		sc.gst_us = 800000;
		must_pass_hooked(&sc, duplicate_hook, NULL,
				 "lost and duplicated");
	}
}

Test(pbft, a_replica_restarted_mid_run_catches_up)
{
	for (size_t i = 0; i < 3; i++) {
		/* With its persisted log: it replays and fetches what it
		 * missed. */
		struct scenario sc = base(sizes[i], 60);
		sc.crashes[0] = (struct sim_crash){.replica = 1,
						   .at_us = 20000,
						   .restart_at_us = 90000,
						   .keep_state = true};
		sc.ncrashes = 1;
		must_pass(&sc, "restart with state");
		/* From nothing (amnesia: faulty for the checkers, which must
		 * still hold for the others): it catches up all the same. */
		sc.crashes[0].keep_state = false;
		must_pass(&sc, "restart from nothing");
		{
			struct scenario_result res;
			cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
			cr_assert_eq(res.height[1], 180,
				     "the amnesiac replica caught up (n=%u)",
				     sc.n);
		}
	}
}

Test(pbft, the_primary_restarted_mid_run)
{
	struct scenario sc = base(4, 60);

	sc.crashes[0] = (struct sim_crash){.replica = 0,
					   .at_us = 20000,
					   .restart_at_us = 200000,
					   .keep_state = true};
	sc.ncrashes = 1;
	must_pass(&sc, "primary restarted");
}

Test(pbft, a_long_run_keeps_its_memory_bounded_by_checkpoints)
{
	/* 1,200 decisions with K = 16 and a window of 64: garbage collection
	 * has to work, or the log would run out of window after 64. */
	struct scenario sc = base(4, 400);

	must_pass(&sc, "long run");
}

Test(pbft, many_seeds_with_loss_and_a_crash)
{
	for (uint64_t seed = 1; seed <= 12; seed++) {
		struct scenario sc = base(4, 15);
		sc.seed = seed;
		sc.loss = 0.05;
		sc.jitter_us = 2000;
		sc.gst_us = 300000;
		sc.crashes[0] = (struct sim_crash){
		    .replica = (uint32_t)(seed % 4), .at_us = 10000 * seed};
		sc.ncrashes = 1;
		must_pass(&sc, "seeds");
	}
}

/* Found by the main job: under loss with the primary crashed, a replica
 * whose stable checkpoint lagged kept asking the crashed replica for the
 * state, and another's low watermark stayed below min-s, so the new
 * primary's numbers fell outside its window. */
Test(pbft, main_job_scenario_loss_and_a_crashed_primary_under_load)
{
	struct scenario sc = base(4, 250);

	sc.clients = 4;
	sc.loss = 0.02;
	sc.gst_us = 1000000;
	sc.crashes[0] = (struct sim_crash){.replica = 0, .at_us = 300000};
	sc.ncrashes = 1;
	must_pass(&sc, "main job scenario");
}

/* Issue #3: a fault-free run of 10,000 requests at n = 4 completes, and
 * every replica ends at the same height with the paper's counts. */
Test(pbft, ten_thousand_requests_at_n4, .timeout = 600)
{
	struct scenario sc = base(4, 2500);
	struct scenario_result res;

	sc.clients = 4;
	cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
	cr_assert_eq(res.verdict, VERDICT_PASS, "%s", res.why);
	cr_assert_eq(res.min_height, 10000);
	cr_assert_eq(res.counts.sent[PBFT_PROTO][PBFT_PREPARE], 10000 * 9);
}

/*
 * Found by the threshold campaign (tolerated-pbft-n4-b0-a6-s168): tampering
 * before GST cost replica 3 the pre-prepare of the last sequence number;
 * the others executed it and went idle, and replica 3, which had only
 * PREPAREs and COMMITs for it, did not count that as work to fetch for.
 * Now any vote above the last executed number makes the status timer
 * fetch the committed certificate.
 */
Test(pbft, laggard_missing_the_last_pre_prepare_fetches_it, .timeout = 120)
{
	struct scenario sc = base(4, 4);
	char why[256];

	sc.clients = 4;
	sc.batch = 4;
	sc.gst_us = 300000;
	sc.max_time_us = 60000000;
	sc.seed = 168;
	cr_assert_eq(
	    attack_parse("tamper:p=0.1", sc.n, &sc.plan.a[0], why, sizeof why),
	    0, "%s", why);
	sc.plan.count = 1;
	must_pass(&sc, "tamper seed 168");
}

/*
 * Found by campaigns/combined-restart.yaml (issue #10 item 4): honest
 * replica 3 crashes at 20 ms and restarts from its log at 120 ms, while the
 * others, under a network attack and a Byzantine replica, decide every
 * request and go idle before it is back (or moved to a view it has not
 * entered, so that what it hears is kept as "early"). Nothing told it what
 * it missed: it never committed. A restarted replica now asks everyone for
 * what lies above it (TOCS'02 §6.2: a recovering replica asks the others
 * where they are), and messages kept for a later view count as work.
 * Every seed here failed before.
 */
static void combined_restart(uint32_t n, const char *byzantine,
			     const char *attack, const char *with,
			     const char *seed)
{
	struct scenario sc = base(n, 4);
	struct {
		const char *key, *value;
	} kv[] = {{"clients", "4"},
		  {"batch", "4"},
		  {"gst", "300ms"},
		  {"max_time", "60s"},
		  {"seed", seed},
		  {"byzantine", byzantine},
		  {"crash", "3@20ms,restart@120ms"}};
	char why[256], what[160];

	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
		cr_assert_eq(
		    scenario_set(&sc, kv[i].key, kv[i].value, why, sizeof why),
		    0, "%s", why);
	cr_assert_eq(scenario_add_attack(&sc, attack, why, sizeof why), 0, "%s",
		     why);
	cr_assert_eq(scenario_add_attack(&sc, with, why, sizeof why), 0, "%s",
		     why);
	snprintf(what, sizeof what, "n=%u b=%s %s + %s seed %s", n, byzantine,
		 attack, with, seed);
	must_pass(&sc, what);
}

Test(pbft, a_restarted_replica_learns_what_was_decided_while_it_was_down,
     .timeout = 120)
{
	combined_restart(7, "1", "reorder:p=0.3,max=10ms", "silent", "3");
	combined_restart(7, "1", "reorder:p=0.3,max=10ms", "silent", "388");
	combined_restart(4, "1", "partition:period=40ms",
			 "restart:at=20ms,back=120ms", "405");
	combined_restart(7, "1", "partition:period=40ms", "double-vote", "356");
	combined_restart(7, "2", "partition:period=40ms", "double-vote", "356");
}

/* ---- large clusters (issue #10 item 3) ------------------------------------
 */

/*
 * n = 256 at the default window 64: a VIEW-CHANGE with 64 prepared
 * certificates of 170 PREPAREs each could reach 1.4 MiB, more than a frame.
 * The run is refused before it starts, saying what does not fit and what
 * to change; the window it names is accepted.
 */
Test(pbft, a_configuration_whose_view_change_cannot_fit_is_refused)
{
	struct scenario sc = base(256, 1);
	struct scenario_result res;
	const struct byz_core_ops *ops = byz_core_find("pbft");
	struct byz_config cfg = {.n = 256,
				 .f = 85,
				 .batch = 1,
				 .window = 44,
				 .checkpoint_interval = 16};
	char why[320] = "";

	cr_assert_eq(scenario_run(&sc, NULL, &res), BYZ_EINVAL);
	cr_assert_eq(res.verdict, VERDICT_ERROR);
	cr_assert_str_eq(res.why,
			 "pbft: --n 256 with --window 64 and --batch 1: a "
			 "VIEW-CHANGE could need 1.4 MiB, more than a frame "
			 "(1.0 MiB); use --window 44 or fewer, a smaller "
			 "--batch, or fewer replicas");
	cr_assert_eq(ops->check_config(&cfg, why, sizeof why), 0, "%s", why);
	cfg.window = 45;
	cr_assert_eq(ops->check_config(&cfg, why, sizeof why), BYZ_EINVAL);
	/* A batch of 64 full-size requests: even the smallest window is too
	 * big, so the advice is about batch and n. */
	cfg = (struct byz_config){.n = 64,
				  .f = 21,
				  .batch = 64,
				  .window = 32,
				  .checkpoint_interval = 16};
	cr_assert_eq(ops->check_config(&cfg, why, sizeof why), BYZ_EINVAL);
	cr_assert(strstr(why, "use a smaller --batch or fewer replicas"), "%s",
		  why);
	/* What the old wire could not carry: n = 128 at window 64 fits. */
	cfg = (struct byz_config){.n = 128,
				  .f = 42,
				  .batch = 1,
				  .window = 64,
				  .checkpoint_interval = 16};
	cr_assert_eq(ops->check_config(&cfg, why, sizeof why), 0, "%s", why);
}

/*
 * The case, `byzlab run --n 64 --clients 4 --requests 10 --crash
 * 0@30ms` (it stopped with "a length exceeds its protocol limit": each
 * VIEW-CHANGE was 28 KB, the NEW-VIEW, carrying 43 of them, over 1 MiB):
 * the primary crashes, the others change view and commit every request.
 */
Test(pbft, a_view_change_at_n_64_commits_everything, .timeout = 600)
{
	struct scenario sc = base(64, 10);
	struct scenario_result res;

	sc.clients = 4;
	sc.crashes[0] = (struct sim_crash){.replica = 0, .at_us = 30000};
	sc.ncrashes = 1;
	cr_assert_eq(scenario_run(&sc, NULL, &res), 0, "%s", res.why);
	cr_assert_eq(res.verdict, VERDICT_PASS, "%s", res.why);
	cr_assert_gt(res.counts.sent[PBFT_PROTO][PBFT_NEWVIEW], 0);
	cr_assert_eq(res.min_height, (uint64_t)sc.clients * sc.requests);
}

/*
 * n = 100 and 128, fault-free and with a crashed primary (a view change):
 * a minute or more of wall time each, so only with BYZLAB_BIG=1 (the
 * figures are in docs/pbft.md).
 */
Test(pbft, big_clusters_commit_with_and_without_a_view_change, .timeout = 1200)
{
	static const uint32_t ns[] = {100, 128};

	if (!getenv("BYZLAB_BIG"))
		cr_skip_test("set BYZLAB_BIG=1 to run n = 100 and 128");
	for (size_t i = 0; i < 2; i++) {
		struct scenario sc = base(ns[i], 10);
		struct scenario_result res;

		sc.clients = 4;
		must_pass(&sc, "fault-free");
		sc.crashes[0] =
		    (struct sim_crash){.replica = 0, .at_us = 30000};
		sc.ncrashes = 1;
		cr_assert_eq(scenario_run(&sc, NULL, &res), 0, "%s", res.why);
		cr_assert_eq(res.verdict, VERDICT_PASS, "n=%u: %s", sc.n,
			     res.why);
		cr_assert_gt(res.counts.sent[PBFT_PROTO][PBFT_NEWVIEW], 0);
	}
}

/*
 * The progress oracle's finding (issue #11 item 3), kept as a known
 * inefficiency: with drop before GST and a Byzantine new primary (fork),
 * the request a client sent to every replica reached the backups but was
 * lost on its way to the primary of view 10; after GST every replica
 * enters view 10 by the view change, its primary is honest, but it has
 * nothing to order until the client retransmits, and the backups' request
 * timers give the view up first. A backup does not relay a pending
 * request to the new primary (OSDI'99 §4.1 lets it; this core does not).
 * The run is safe and live; it is not timely. When relaying lands, flip
 * the last assertion.
 */
Test(pbft, a_backup_that_does_not_relay_requests_wastes_a_view_after_gst)
{
	struct scenario sc;
	struct scenario_result res;
	char why[256];

	scenario_defaults(&sc);
	sc.ops = byz_core_find("pbft");
	sc.n = 7;
	sc.f = 2;
	sc.seed = 21;
	sc.clients = 4;
	sc.requests = 4;
	sc.batch = 4;
	sc.gst_us = 300000;
	sc.max_time_us = 60000000;
	cr_assert_eq(scenario_set(&sc, "byzantine", "2", why, sizeof why), 0,
		     "%s", why);
	cr_assert_eq(scenario_add_attack(&sc, "fork", why, sizeof why), 0, "%s",
		     why);
	cr_assert_eq(scenario_add_attack(&sc, "drop:p=0.2", why, sizeof why), 0,
		     "%s", why);
	cr_assert_eq(scenario_run(&sc, NULL, &res), 0, "%s", res.why);
	cr_assert_eq(res.verdict, VERDICT_PASS, "%s", res.why);
	cr_assert(res.safe && res.live);
	cr_assert_gt(res.checks.per_check[CHECK_PROGRESS], 0);
	cr_assert(!res.timely);
}
