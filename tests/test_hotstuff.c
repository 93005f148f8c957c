/*
 * test_hotstuff.c - chained HotStuff (lib/hotstuff): golden traces of one
 * core driven by hand-made signed messages, and simulator runs for n = 4,
 * 7, 10 under crashes, silent replicas, partitions, loss, duplicates and
 * restarts, with every checker, the message counts per decision against
 * the formula of docs/hotstuff.md, and a 10,000-request run.
 */
#include "check.h"
#include "err.h"
#include "app.h"
#include "golden.h"
#include "hotstuff/hs_core.h"
#include "hotstuff/hs_wire.h"
#include "scenario.h"
#include "scenario_io.h"
#include "sim.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED	 7
#define MAXLINES 256

/* ---- an arena for the frames a test makes (freed after each test) ---- */

static uint8_t *arena[8192];
static size_t narena;

static void *arena_keep(const void *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	cr_assert_not_null(q);
	cr_assert_lt(narena, sizeof arena / sizeof arena[0]);
	memcpy(q, p, len);
	arena[narena++] = q;
	return q;
}

static void setup(void)
{
	cr_assert_eq(byz_crypto_init(), 0);
}

static void teardown(void)
{
	while (narena)
		free(arena[--narena]);
}

TestSuite(hotstuff, .init = setup, .fini = teardown);

/* A frame or a QC encoding. */
struct fr {
	const uint8_t *p;
	size_t len;
};

static struct fr signed_by(struct wire_buf *b, size_t start, enum byz_role role,
			   uint32_t id)
{
	struct byz_keypair kp;
	struct fr f;

	byz_key_derive(&kp, SEED, role, id);
	cr_assert_eq(wire_sign(b, start, &kp), 0);
	f.p = arena_keep(b->data + start, b->len - start);
	f.len = b->len - start;
	return f;
}

static struct fr mk_request(uint32_t c, uint64_t ts, const char *op)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(
	    wire_enc_request(&b, &s, c, ts, (const uint8_t *)op, strlen(op)),
	    0);
	f = signed_by(&b, s, BYZ_ROLE_CLIENT, c);
	wire_buf_free(&b);
	return f;
}

static struct fr mk_vote(uint32_t r, uint64_t view, const uint8_t *hash)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_vote(&b, &s, r, view, hash), 0);
	f = signed_by(&b, s, BYZ_ROLE_REPLICA, r);
	wire_buf_free(&b);
	return f;
}

static const uint8_t zero[BYZ_DIGEST_BYTES];

/* A QC for (view, hash) signed by the k replicas in signers. */
static struct fr mk_qc(uint64_t view, const uint8_t *hash,
		       const uint32_t *signers, size_t k)
{
	const uint8_t *fp[64];
	size_t fl[64];
	struct hs_framev v = {fp, fl, k};
	struct wire_buf b;
	struct fr f;

	for (size_t i = 0; i < k; i++) {
		struct fr vt = mk_vote(signers[i], view, hash);
		fp[i] = vt.p;
		fl[i] = vt.len;
	}
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_qc(&b, view, hash, v), 0);
	f.p = arena_keep(b.data, b.len);
	f.len = b.len;
	wire_buf_free(&b);
	return f;
}

static struct fr genesis_qc(void)
{
	return mk_qc(0, zero, NULL, 0);
}

static const uint32_t Q012[] = {0, 1, 2};

static struct hs_framev framev(const struct fr *fs, size_t n, const uint8_t **p,
			       size_t *l)
{
	struct hs_framev v = {p, l, n};

	for (size_t i = 0; i < n; i++) {
		p[i] = fs[i].p;
		l[i] = fs[i].len;
	}
	return v;
}

/* A signed proposal; its block hash in hash (if not NULL). */
static struct fr mk_proposal(uint32_t leader, uint64_t view, struct fr qc,
			     const struct fr *tc, size_t ntc,
			     const struct fr *reqs, size_t nreq, uint8_t *hash)
{
	const uint8_t *tp[64], *rp[64];
	size_t tl[64], rl[64];
	struct wire_buf b;
	struct wire_msg m;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_proposal(&b, &s, leader, view, qc.p, qc.len,
				     framev(tc, ntc, tp, tl),
				     framev(reqs, nreq, rp, rl)),
		     0);
	f = signed_by(&b, s, BYZ_ROLE_REPLICA, leader);
	wire_buf_free(&b);
	cr_assert_eq(wire_decode(f.p, f.len, &m), 0);
	if (hash)
		hs_block_hash(&hs_of(&m)->prop, hash);
	return f;
}

static struct fr mk_timeout(uint32_t r, uint64_t view, struct fr qc,
			    const struct fr *vote)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_timeout(&b, &s, r, view, qc.p, qc.len,
				    vote ? vote->p : NULL,
				    vote ? vote->len : 0),
		     0);
	f = signed_by(&b, s, BYZ_ROLE_REPLICA, r);
	wire_buf_free(&b);
	return f;
}

/* A TIMEOUT carrying the commit certificate cqc. */
static struct fr mk_timeout_commit(uint32_t r, uint64_t view, struct fr qc,
				   struct fr cqc)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_timeout_commit(&b, &s, r, view, qc.p, qc.len, NULL,
					   0, cqc.p, cqc.len),
		     0);
	f = signed_by(&b, s, BYZ_ROLE_REPLICA, r);
	wire_buf_free(&b);
	return f;
}

static struct fr mk_blocks(uint32_t r, const struct fr *props, size_t n)
{
	const uint8_t *p[64];
	size_t l[64];
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_blocks(&b, &s, r, framev(props, n, p, l)), 0);
	f = signed_by(&b, s, BYZ_ROLE_REPLICA, r);
	wire_buf_free(&b);
	return f;
}

static struct fr mk_fetch(uint32_t r, const uint8_t *hash, uint16_t count)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_fetch(&b, &s, r, hash, count), 0);
	f = signed_by(&b, s, BYZ_ROLE_REPLICA, r);
	wire_buf_free(&b);
	return f;
}

/* A snapshot of an application that executed `ops` puts by client 0. */
static struct fr mk_snapshot(uint32_t ops, const char *value)
{
	struct app_limits lim = {.max_keys = 64, .max_clients = 4};
	struct app *a = NULL;
	struct wire_buf b;
	struct fr f;

	cr_assert_eq(app_new(&lim, &a), 0);
	for (uint32_t i = 1; i <= ops; i++) {
		char op[32];
		const uint8_t *res;
		size_t reslen;
		int n = snprintf(op, sizeof op, "put k%u %s", i, value);
		cr_assert_eq(app_execute(a, 0, i, (const uint8_t *)op,
					 (size_t)n, &res, &reslen),
			     APP_EXECUTED);
	}
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(app_snapshot(a, &b), 0);
	f.p = arena_keep(b.data, b.len);
	f.len = b.len;
	wire_buf_free(&b);
	app_destroy(&a);
	return f;
}

static struct fr mk_state(uint32_t r, uint64_t depth, uint64_t view,
			  const uint8_t *hash, struct fr cqc, struct fr snap)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(hs_enc_state(&b, &s, r, depth, view, hash, cqc.p, cqc.len,
				  snap.p, snap.len),
		     0);
	f = signed_by(&b, s, BYZ_ROLE_REPLICA, r);
	wire_buf_free(&b);
	return f;
}

/* ---- a driver for one core: steps, loopback, persisted log, and the
 * outputs rendered as lines ----------------------------------------------- */

struct drv {
	void *core;
	struct byz_config cfg;
	struct byz_outbox ob;
	uint64_t now;
	char line[MAXLINES][GOLDEN_LINE];
	size_t nline;
	uint8_t *log;
	size_t loglen;
};

static const struct byz_core_ops *hs_ops(void)
{
	const struct byz_core_ops *ops = byz_core_find("hotstuff");

	cr_assert_not_null(ops);
	return ops;
}

static void add_line(struct drv *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_line(struct drv *d, const char *fmt, ...)
{
	va_list ap;

	cr_assert_lt(d->nline, MAXLINES);
	va_start(ap, fmt);
	vsnprintf(d->line[d->nline++], sizeof d->line[0], fmt, ap);
	va_end(ap);
}

static void deliver_bytes(struct drv *d, const uint8_t *p, size_t len);

/* Render one step's outputs (tests/golden.c), keep its PERSISTs, then
 * deliver its loopback sends (signed, as a driver does) one after another. */
static void render(struct drv *d)
{
	uint8_t *loop[16];
	size_t looplen[16], nloop = 0;
	const uint8_t *bytes = d->ob.bytes.data;

	for (size_t i = 0; i < d->ob.count; i++) {
		const struct byz_output *o = &d->ob.out[i];
		const uint8_t *r = bytes + o->off;

		cr_assert_lt(d->nline, MAXLINES);
		golden_output(hs_ops(), &d->ob, o, d->line[d->nline++],
			      sizeof d->line[0]);
		if (o->kind == BYZ_OUT_PERSIST) {
			if (o->replace)
				d->loglen = 0;
			d->log = realloc(d->log, d->loglen + 4 + o->len);
			for (int k = 0; k < 4; k++)
				d->log[d->loglen + k] =
				    (uint8_t)(o->len >> (8 * k));
			memcpy(d->log + d->loglen + 4, r, o->len);
			d->loglen += 4 + o->len;
		} else if (o->kind == BYZ_OUT_SEND && o->to == d->cfg.id) {
			struct wire_buf b;
			struct byz_keypair kp;
			cr_assert_lt(nloop, 16);
			wire_buf_init(&b, WIRE_MAX_FRAME + 64);
			wire_put_bytes(&b, r, o->len);
			byz_key_derive(&kp, SEED, BYZ_ROLE_REPLICA, d->cfg.id);
			cr_assert_eq(wire_sign(&b, 0, &kp), 0);
			loop[nloop] = arena_keep(b.data, b.len);
			looplen[nloop++] = b.len;
			wire_buf_free(&b);
		}
	}
	for (size_t i = 0; i < nloop; i++) {
		add_line(d, "-- loopback");
		deliver_bytes(d, loop[i], looplen[i]);
	}
}

static void step(struct drv *d, const struct byz_event *ev)
{
	byz_outbox_reset(&d->ob);
	cr_assert_eq(hs_ops()->step(d->core, ev, &d->ob), 0);
	render(d);
}

static void deliver_bytes(struct drv *d, const uint8_t *p, size_t len)
{
	struct wire_msg m;
	struct byz_event ev = {.now = d->now};

	cr_assert_eq(wire_decode(p, len, &m), 0);
	ev.kind =
	    m.frame.proto == BYZ_PROTO_CLIENT ? BYZ_EV_REQUEST : BYZ_EV_MESSAGE;
	ev.u.msg = &m;
	step(d, &ev);
}

/* Clear the lines, deliver f, and return the lines. */
static void deliver(struct drv *d, struct fr f)
{
	d->nline = 0;
	deliver_bytes(d, f.p, f.len);
}

static void fire(struct drv *d, uint32_t timer)
{
	struct byz_event ev = {.kind = BYZ_EV_TIMER, .now = d->now};

	d->nline = 0;
	ev.u.timer = timer;
	step(d, &ev);
}

static void drv_open(struct drv *d, uint32_t id, const uint8_t *log,
		     size_t loglen)
{
	struct byz_event ev = {.kind = BYZ_EV_START};

	memset(&d->cfg, 0, sizeof d->cfg);
	d->cfg = (struct byz_config){.n = 4,
				     .f = 1,
				     .id = id,
				     .max_clients = 4,
				     .batch = 4,
				     .window = 16,
				     .timeout_us = 20000,
				     .app = {.max_keys = 64, .max_clients = 4}};
	cr_assert_eq(hs_ops()->create(&d->cfg, log, loglen, &d->core), 0);
	byz_outbox_init(&d->ob, 4096, 64u << 20);
	d->nline = 0;
	step(d, &ev);
}

static void drv_close(struct drv *d)
{
	hs_ops()->destroy(&d->core);
	byz_outbox_free(&d->ob);
	free(d->log);
	d->log = NULL;
	d->loglen = 0;
}

/* The lines must be exactly expect[] (NULL-terminated). The VIEW outputs
 * (the progress check's "view ..." lines) are compared only where expect
 * names one; elsewhere they are left out. */
static void expect_lines(const struct drv *d, const char *const *expect,
			 const char *what)
{
	size_t n = 0, k = 0;
	bool views = false;
	const char *line[MAXLINES];
	char got[MAXLINES * (GOLDEN_LINE + 4)] = "";

	while (expect[n])
		views |= !strncmp(expect[n++], "view ", 5);
	for (size_t i = 0; i < d->nline; i++) {
		if (!views && !strncmp(d->line[i], "view ", 5))
			continue;
		line[k++] = d->line[i];
		strcat(got, "  ");
		strcat(got, d->line[i]);
		strcat(got, "\n");
	}
	cr_assert_eq(k, n, "%s: %zu lines, expected %zu:\n%s", what, k, n, got);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(line[i], expect[i], "%s: line %zu:\n%s", what,
				 i, got);
}

/* The chain b1..bk: block i in view i from leader i mod 4, justified by
 * the QC of block i-1 from replicas 0, 1, 2 (b1 by genesis); b1 carries
 * the request req. */
struct chain {
	struct fr prop[16];
	uint8_t hash[16][BYZ_DIGEST_BYTES];
	struct fr qc[16]; /* qc[i]: the QC of block i (qc[0]: genesis) */
};

static void mk_chain(struct chain *c, size_t k, struct fr req)
{
	c->qc[0] = genesis_qc();
	for (size_t i = 1; i <= k; i++) {
		c->prop[i] = mk_proposal((uint32_t)(i % 4), i, c->qc[i - 1],
					 NULL, 0, &req, i == 1, c->hash[i]);
		c->qc[i] = mk_qc(i, c->hash[i], Q012, 3);
	}
}

/* ---- golden traces --------------------------------------------------- */

Test(hotstuff, golden_three_chain_commits_and_persists_before_voting)
{
	struct drv d = {0};
	struct chain c;
	struct fr req = mk_request(0, 1, "put a 1");

	mk_chain(&c, 4, req);
	drv_open(&d, 3, NULL, 0);
	deliver(&d, req);
	expect_lines(&d, (const char *const[]){"timer view 20ms", NULL},
		     "a request is work: the view timer starts");
	deliver(&d, c.prop[1]);
	expect_lines(
	    &d,
	    (const char *const[]){
		"persist vote v=1", "send r2 hotstuff/vote v=1 b=08e8ccd7",
		"send r3 hotstuff/vote v=1 b=08e8ccd7", "timer view cancel",
		"timer view 20ms", "-- loopback", NULL},
	    "vote persisted before sent, to the next leader");
	deliver(&d, c.prop[2]);
	expect_lines(
	    &d,
	    (const char *const[]){
		"persist vote v=2", "send r3 hotstuff/vote v=2 b=f3dcb53f",
		"timer view cancel", "timer view 20ms", "-- loopback", NULL},
	    "we lead view 3: our vote goes to ourselves only");
	deliver(&d, c.prop[3]);
	expect_lines(
	    &d,
	    (const char *const[]){"persist lock v=1", "persist vote v=3",
				  "send r0 hotstuff/vote v=3 b=6701e847",
				  "send r3 hotstuff/vote v=3 b=6701e847",
				  "timer view cancel", "timer view 20ms",
				  "-- loopback", NULL},
	    "two-chain: lock on b1 (persisted before the vote)");
	deliver(&d, c.prop[4]);
	expect_lines(
	    &d,
	    (const char *const[]){"persist replace state voted=v4 executed=v1",
				  "commit h1 slot=1 c0/t1",
				  "send r1 hotstuff/vote v=4 b=c13fde0c",
				  "send r3 hotstuff/vote v=4 b=c13fde0c",
				  "timer view cancel", "timer view 40ms",
				  "send c0 client/reply v=5 c0 t=1 result='ok'",
				  "-- loopback", NULL},
	    "three-chain: b1 executes; the state replaces the log, "
	    "and only then is the COMMIT reported (issue #10 item "
	    "2b: it depends on that state); then the vote, then the "
	    "reply (nothing left to do: the idle "
	    "highQC beacon's timer, 2 timeouts)");
	/* The same proposal again: no second vote, no second commit. */
	deliver(&d, c.prop[4]);
	expect_lines(&d, (const char *const[]){NULL}, "a duplicate proposal");
	drv_close(&d);
}

Test(hotstuff, golden_safe_node_rejects_what_neither_extends_nor_is_newer)
{
	struct drv d = {0};
	struct chain c;
	struct fr req = mk_request(0, 1, "put a 1"), bad;

	mk_chain(&c, 3, req);
	drv_open(&d, 3, NULL, 0);
	deliver(&d, req);
	for (int i = 1; i <= 3; i++)
		deliver(&d, c.prop[i]);
	/* Locked on b1 (view 1); view 4 is ours to vote in. A block of view
	 * 4 justified by genesis neither extends b1 nor is newer. */
	bad = mk_proposal(0, 4, c.qc[0], NULL, 0, NULL, 0, NULL);
	deliver(&d, bad);
	cr_assert_eq(d.nline, 1);
	cr_assert(strstr(d.line[0], "note safeNode rejects block view 4: "
				    "justify view 0 neither extends the lock "
				    "(view 1, ") == d.line[0],
		  "%s", d.line[0]);
	drv_close(&d);
}

Test(hotstuff, golden_byzantine_certificates_are_dropped_with_a_reason)
{
	struct drv d = {0};
	struct chain c;
	struct fr req = mk_request(0, 1, "put a 1");
	static const uint32_t rep[] = {0, 0, 1}, unk[] = {0, 1, 7},
			      two[] = {0, 1};
	uint8_t h1[BYZ_DIGEST_BYTES];
	struct fr qc, other, tc[3];

	mk_chain(&c, 1, req);
	drv_open(&d, 3, NULL, 0);
	deliver(&d, c.prop[1]);
	memcpy(h1, c.hash[1], sizeof h1);

	qc = mk_qc(1, h1, rep, 3);
	deliver(&d, mk_proposal(2, 2, qc, NULL, 0, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r2: a QC with a repeated "
			 "signer",
			 NULL},
		     "repeated signer");
	qc = mk_qc(1, h1, unk, 3);
	deliver(&d, mk_proposal(2, 2, qc, NULL, 0, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r2: a QC with an unknown "
			 "signer",
			 NULL},
		     "unknown signer");
	qc = mk_qc(1, h1, two, 2);
	deliver(&d, mk_proposal(2, 2, qc, NULL, 0, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r2: a QC with fewer than "
			 "2f+1 votes",
			 NULL},
		     "too few");
	/* A QC whose votes are for another block than the QC names. */
	other = mk_qc(1, zero + 0, Q012, 3);
	{
		uint8_t *p = arena_keep(other.p, other.len);
		p[8] ^= 1; /* the QC's hash, not the votes' */
		other.p = p;
	}
	deliver(&d, mk_proposal(2, 2, other, NULL, 0, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r2: a QC with a vote for "
			 "another block",
			 NULL},
		     "conflicting hash");
	deliver(&d, mk_proposal(1, 2, c.qc[1], NULL, 0, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r1: not the leader of its "
			 "view",
			 NULL},
		     "wrong leader");
	/* View 6 with the QC of view 1 and no TC: no proof for view 6. */
	deliver(&d, mk_proposal(2, 6, c.qc[1], NULL, 0, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r2: view ahead without a "
			 "QC or TC for the view before",
			 NULL},
		     "view ahead");
	/* A TC with a repeated signer. */
	tc[0] = mk_timeout(0, 5, c.qc[1], NULL);
	tc[1] = tc[0];
	tc[2] = mk_timeout(1, 5, c.qc[1], NULL);
	deliver(&d, mk_proposal(2, 6, c.qc[1], tc, 3, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r2: a TC with a repeated "
			 "signer",
			 NULL},
		     "TC repeated signer");
	tc[1] = mk_timeout(2, 4, c.qc[1], NULL);
	deliver(&d, mk_proposal(2, 6, c.qc[1], tc, 3, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r2: a TC with a timeout "
			 "for an earlier view",
			 NULL},
		     "TC wrong view");
	/* A second block for view 1 from its leader: equivocation. */
	deliver(&d, mk_proposal(1, 1, c.qc[0], NULL, 0, NULL, 0, NULL));
	expect_lines(
	    &d,
	    (const char *const[]){"note drop proposal from r1: equivocation: a "
				  "second block for its view",
				  NULL},
	    "equivocation");
	/* A double vote, a vote far outside the window, a timeout carrying
	 * another replica's vote, blocks never asked for, a fetch for a
	 * block we never saw. */
	deliver(&d, mk_vote(0, 2, h1));
	deliver(&d, mk_vote(0, 2, zero));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop vote from r0: a second vote in one view "
			 "for another block",
			 NULL},
		     "double vote");
	deliver(&d, mk_vote(0, 1000, h1));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop vote from r0: vote outside the view "
			 "window",
			 NULL},
		     "vote window");
	{
		struct fr v1 = mk_vote(1, 1, h1);
		deliver(&d, mk_timeout(0, 2, c.qc[0], &v1));
	}
	expect_lines(
	    &d,
	    (const char *const[]){"note drop timeout from r0: carries another "
				  "replica's vote",
				  NULL},
	    "timeout with a foreign vote");
	deliver(&d, mk_blocks(0, &c.prop[1], 1));
	expect_lines(&d, (const char *const[]){NULL},
		     "a block we hold already: ignored");
	deliver(&d, mk_blocks(0,
			      (struct fr[]){mk_proposal(2, 2, c.qc[1], NULL, 0,
							NULL, 0, NULL)},
			      1));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop blocks from r0: a block we did not ask "
			 "for",
			 NULL},
		     "unrequested block");
	deliver(&d, mk_fetch(0, zero, 4));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop fetch from r0: fetch for a block we do "
			 "not hold",
			 NULL},
		     "fetch unknown");
	drv_close(&d);
}

/*
 * Issue #10 item 2c: every certificate nested anywhere is checked, not only
 * the outermost: the highQC and commit certificate of each TIMEOUT inside a
 * proposal's TC, the vote each carries, a TIMEOUT's own commit
 * certificate, and the TC of a block fetched in BLOCKS. Before, a TC of
 * 2f+1 well-signed TIMEOUTs for the right views passed whatever QCs they
 * held, and a fetched block's TC was not looked at.
 */
Test(hotstuff, golden_certificates_nested_anywhere_are_checked)
{
	struct drv d = {0};
	struct chain c;
	struct fr req = mk_request(0, 1, "put a 1");
	static const uint32_t two[] = {0, 1};
	struct fr bad, tc[3], x, y, v1;
	uint8_t hx[BYZ_DIGEST_BYTES], hy[BYZ_DIGEST_BYTES];

	mk_chain(&c, 1, req);
	drv_open(&d, 3, NULL, 0);
	deliver(&d, c.prop[1]);
	bad = mk_qc(1, c.hash[1], two, 2); /* two votes: not a quorum */

	/* A TC whose second TIMEOUT holds a highQC of two votes. */
	tc[0] = mk_timeout(0, 5, c.qc[1], NULL);
	tc[1] = mk_timeout(1, 5, bad, NULL);
	tc[2] = mk_timeout(2, 5, c.qc[1], NULL);
	deliver(&d, mk_proposal(2, 6, c.qc[1], tc, 3, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r2: a timeout whose highQC "
			 "does not hold",
			 NULL},
		     "a TC's nested highQC");
	/* A TC whose TIMEOUT carries another replica's vote. */
	v1 = mk_vote(0, 1, c.hash[1]);
	tc[1] = mk_timeout(1, 5, c.qc[1], &v1);
	deliver(&d, mk_proposal(2, 6, c.qc[1], tc, 3, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r2: a timeout carrying "
			 "another replica's vote",
			 NULL},
		     "a TC's nested vote");
	/* A TC whose TIMEOUT holds a commit certificate of two votes. */
	tc[1] = mk_timeout_commit(1, 5, c.qc[1], bad);
	deliver(&d, mk_proposal(2, 6, c.qc[1], tc, 3, NULL, 0, NULL));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop proposal from r2: a timeout whose commit "
			 "certificate does not hold",
			 NULL},
		     "a TC's nested commit certificate");
	/* A TIMEOUT of its own with such a commit certificate. */
	deliver(&d, tc[1]);
	expect_lines(&d,
		     (const char *const[]){
			 "note drop timeout from r1: a QC with fewer than "
			 "2f+1 votes",
			 NULL},
		     "a TIMEOUT's commit certificate");
	/* A block fetched in BLOCKS whose TC holds a bad highQC: x (view 6,
	 * by r2) is asked for because y (view 7) extends it. */
	tc[1] = mk_timeout(1, 5, bad, NULL);
	x = mk_proposal(2, 6, c.qc[1], tc, 3, NULL, 0, hx);
	y = mk_proposal(3, 7, mk_qc(6, hx, Q012, 3), NULL, 0, NULL, 0, hy);
	deliver(&d, y);
	d.nline = 0;
	deliver(&d, mk_blocks(0, &x, 1));
	expect_lines(&d,
		     (const char *const[]){
			 "note drop blocks from r0: a timeout whose highQC "
			 "does not hold",
			 NULL},
		     "a fetched block's TC");
	drv_close(&d);
}

Test(hotstuff, golden_conflicting_commit_is_refused_loudly)
{
	struct drv d = {0};
	struct chain c;
	struct fr req = mk_request(0, 1, "put a 1");
	struct fr fork[5], fqc[5];
	uint8_t fh[5][BYZ_DIGEST_BYTES];

	mk_chain(&c, 4, req);
	drv_open(&d, 3, NULL, 0);
	deliver(&d, req);
	for (int i = 1; i <= 4; i++)
		deliver(&d, c.prop[i]);
	/* b1 is committed. Replicas 0, 1, 2 (more than f) now sign a fork
	 * from genesis in views 5..8: its three-chain decides block 5,
	 * which conflicts with b1. */
	fqc[0] = c.qc[0];
	for (int i = 1; i <= 4; i++) {
		fork[i] = mk_proposal((uint32_t)((4 + i) % 4), 4 + (uint64_t)i,
				      fqc[i - 1], NULL, 0, NULL, 0, fh[i]);
		fqc[i] = mk_qc(4 + (uint64_t)i, fh[i], Q012, 3);
	}
	for (int i = 1; i <= 3; i++)
		deliver(&d, fork[i]);
	deliver(&d, fork[4]);
	cr_assert_eq(d.nline >= 1, true);
	cr_assert(strstr(d.line[0], "note SAFETY: refusing to commit block ") ==
		      d.line[0],
		  "%s", d.line[0]);
	cr_assert(strstr(d.line[0], "(view 5): it conflicts with committed "
				    "block ") != NULL,
		  "%s", d.line[0]);
	for (size_t i = 0; i < d.nline; i++)
		cr_assert(strncmp(d.line[i], "commit", 6) != 0,
			  "never executed: %s", d.line[i]);
	drv_close(&d);
}

Test(hotstuff, golden_restart_keeps_vote_lock_and_executed_state)
{
	struct drv d = {0};
	struct chain c;
	struct fr req = mk_request(0, 1, "put a 1");
	uint8_t *log;
	size_t loglen;

	mk_chain(&c, 5, req);
	drv_open(&d, 3, NULL, 0);
	deliver(&d, req);
	for (int i = 1; i <= 4; i++)
		deliver(&d, c.prop[i]);
	log = arena_keep(d.log, d.loglen);
	loglen = d.loglen;
	drv_close(&d);

	/* Restart from the log: the same proposals again produce no vote
	 * and no commit (executed state came back with the log). */
	drv_open(&d, 3, log, loglen);
	/* nothing to do: only the idle highQC beacon's timer */
	expect_lines(&d, (const char *const[]){"timer view 40ms", NULL},
		     "restart");
	for (int i = 1; i <= 4; i++) {
		deliver(&d, c.prop[i]);
		for (size_t k = 0; k < d.nline; k++)
			cr_assert(!strstr(d.line[k], "hotstuff/vote") &&
				      strncmp(d.line[k], "commit", 6),
				  "after restart, b%d: %s", i, d.line[k]);
	}
	/* Then view 5 is new: vote for it, persisted first. */
	deliver(&d, c.prop[5]);
	cr_assert_str_eq(d.line[0],
			 "persist replace state voted=v5 executed=v2");
	cr_assert(strstr(d.line[1], "send r2 hotstuff/vote v=5 ") == d.line[1],
		  "%s", d.line[1]);
	/* The lock survived too: a block justified below it is refused. */
	deliver(&d, mk_proposal(2, 6, c.qc[2], NULL, 0, NULL, 0, NULL));
	cr_assert(strstr(d.line[0], "note drop") == d.line[0] ||
		      strstr(d.line[0], "note safeNode rejects") == d.line[0],
		  "%s", d.line[0]);
	drv_close(&d);

	/* A log made of appends only (no commit yet) restores too. */
	drv_open(&d, 3, NULL, 0);
	deliver(&d, req);
	deliver(&d, c.prop[1]);
	deliver(&d, c.prop[2]);
	log = arena_keep(d.log, d.loglen);
	loglen = d.loglen;
	drv_close(&d);
	drv_open(&d, 3, log, loglen);
	deliver(&d, c.prop[2]);
	for (size_t k = 0; k < d.nline; k++)
		cr_assert(!strstr(d.line[k], "hotstuff/vote"),
			  "voted in v2 already: %s", d.line[k]);
	cr_assert(strstr(d.line[0], "hotstuff/fetch ") != NULL,
		  "the block store is not persisted: b1 is fetched: %s",
		  d.line[0]);
	drv_close(&d);
}

Test(hotstuff, golden_timeout_tc_and_join)
{
	struct drv d = {0};
	struct chain c;
	struct fr req = mk_request(0, 1, "put a 1");
	struct fr t0, t1, j0, j1;

	mk_chain(&c, 1, req);
	drv_open(&d, 3, NULL, 0);
	deliver(&d, req);
	deliver(&d, c.prop[1]);
	/* We voted in view 1 and wait in view 2 (leader r2): it times out. */
	fire(&d, 0);
	expect_lines(
	    &d,
	    (const char *const[]){
		"note view 2 timed out (leader r2)",
		"view give-up v2 leader r2",
		"broadcast hotstuff/timeout v=2 high=genesis last-vote=v1",
		"send r3 hotstuff/timeout v=2 high=genesis last-vote=v1",
		"timer view 40ms", "-- loopback", NULL},
	    "TIMEOUT carries highQC and our signed vote");
	/* Two more TIMEOUTs for view 2 with their votes for b1: a TC for
	 * view 2, and from the votes a QC for view 1. */
	{
		struct fr v0 = mk_vote(0, 1, c.hash[1]);
		struct fr v1 = mk_vote(1, 1, c.hash[1]);
		t0 = mk_timeout(0, 2, c.qc[0], &v0);
		t1 = mk_timeout(1, 2, c.qc[0], &v1);
	}
	deliver(&d, t0);
	expect_lines(&d, (const char *const[]){NULL}, "one of 2f+1");
	deliver(&d, t1);
	/* t1's vote completes the QC of view 1, newer than t1's highQC, so r1
	 * is told our highQC (a TIMEOUT for the view we left) first. */
	expect_lines(&d,
		     (const char *const[]){
			 "send r1 hotstuff/timeout v=1 high=v1:08e8ccd7",
			 "timer view cancel", "timer view 40ms",
			 "broadcast hotstuff/proposal v=3 b=7dd49106 "
			 "justify=v1:08e8ccd7 tc=v2x3 batch=-",
			 "send r3 hotstuff/proposal v=3 b=7dd49106 "
			 "justify=v1:08e8ccd7 tc=v2x3 batch=-",
			 "-- loopback", "persist vote v=3",
			 "send r0 hotstuff/vote v=3 b=7dd49106",
			 "send r3 hotstuff/vote v=3 b=7dd49106",
			 "timer view cancel", "timer view 40ms", "-- loopback",
			 NULL},
		     "TC: view 3, which we lead, on the QC of view 1 formed "
		     "from the votes the TIMEOUTs carry (the request is on "
		     "that chain already: an empty batch)");
	/* Bracha: f+1 TIMEOUTs for view 9 make us join view 9. */
	j0 = mk_timeout(0, 9, c.qc[0], NULL);
	j1 = mk_timeout(1, 9, c.qc[0], NULL);
	deliver(&d, j0);
	/* j0's highQC (view 0) is older than ours: r0 is told ours. */
	expect_lines(&d,
		     (const char *const[]){
			 "send r0 hotstuff/timeout v=3 high=v1:08e8ccd7", NULL},
		     "one is not enough");
	/* r1 was told our highQC a moment ago (t1): not again within half a
	 * timeout, so two replicas cannot answer each other for ever. */
	deliver(&d, j1);
	expect_lines(
	    &d,
	    (const char *const[]){
		"note join view 9: f+1 replicas timed out there",
		"broadcast hotstuff/timeout v=9 high=v1:08e8ccd7 last-vote=v3",
		"send r3 hotstuff/timeout v=9 high=v1:08e8ccd7 last-vote=v3",
		"timer view 40ms", "-- loopback", "timer view cancel",
		"timer view 40ms", NULL},
	    "join: time out at view 9 too; with our own TIMEOUT "
	    "that is 2f+1: a TC, view 10");
	drv_close(&d);
}

/* The signed frame of the first SEND in d's last step (as replica id). */
static struct fr last_send(struct drv *d)
{
	struct wire_buf b;
	struct byz_keypair kp;
	struct fr f;

	for (size_t i = 0; i < d->ob.count; i++) {
		const struct byz_output *o = &d->ob.out[i];
		if (o->kind != BYZ_OUT_SEND)
			continue;
		wire_buf_init(&b, WIRE_MAX_FRAME + 64);
		wire_put_bytes(&b, d->ob.bytes.data + o->off, o->len);
		byz_key_derive(&kp, SEED, BYZ_ROLE_REPLICA, d->cfg.id);
		cr_assert_eq(wire_sign(&b, 0, &kp), 0);
		f.p = arena_keep(b.data, b.len);
		f.len = b.len;
		wire_buf_free(&b);
		return f;
	}
	cr_assert_fail("no send");
	return (struct fr){NULL, 0};
}

Test(hotstuff, golden_missing_ancestors_are_fetched_and_executed)
{
	struct drv d = {0}, s = {0};
	struct chain c;
	struct fr req = mk_request(0, 1, "put a 1");

	mk_chain(&c, 4, req);
	/* A server that holds the chain. */
	drv_open(&s, 2, NULL, 0);
	for (int i = 1; i <= 4; i++)
		deliver(&s, c.prop[i]);
	/* A replica that only sees b4: it asks a peer for b3 and its
	 * ancestors, and does not vote yet: Alg. 4 runs update(b4), which
	 * locks on b4.justify.node's justify, before the vote, and without b3
	 * it cannot (the lock oracle caught a replica that voted so and then
	 * voted for a fork below the lock it owed). */
	drv_open(&d, 3, NULL, 0);
	deliver(&d, req);
	deliver(&d, c.prop[4]);
	{
		char hx[9], want[64];
		byz_hex(hx, c.hash[3], 4);
		snprintf(want, sizeof want,
			 "send r0 hotstuff/fetch b=%s count=16", hx);
		expect_lines(&d,
			     (const char *const[]){
				 "view enter-late v4 leader r0",
				 "timer view cancel", "timer view 20ms", want,
				 "timer fetch 20ms",
				 "note vote in view 4 deferred: its justify's "
				 "block is being fetched",
				 NULL},
			     "b4's QC moves us to view 4; b3 is fetched");
	}
	/* The peer answers with b3, b2, b1; they chain down to genesis, the
	 * three-chain b1 <- b2 <- b3 (QC in b4) decides b1, and it runs; now
	 * update(b4) has run, the vote for b4 goes. */
	deliver(&s, mk_fetch(3, c.hash[3], 16));
	expect_lines(
	    &s,
	    (const char *const[]){"send r3 hotstuff/blocks views=3,2,1", NULL},
	    "the answer");
	deliver(&d, last_send(&s));
	expect_lines(
	    &d,
	    (const char *const[]){"persist replace state voted=v4 executed=v1",
				  "commit h1 slot=1 c0/t1",
				  "send r1 hotstuff/vote v=4 b=c13fde0c",
				  "send r3 hotstuff/vote v=4 b=c13fde0c",
				  "view enter v5 leader r1",
				  "timer view cancel", "timer view 40ms",
				  "send c0 client/reply v=5 c0 t=1 result='ok'",
				  "-- loopback", NULL},
	    "caught up: the COMMIT after the state it depends on, "
	    "and the deferred vote, after the record that holds it");
	drv_close(&s);
	drv_close(&d);
}

/*
 * Catch-up by snapshot (hs_state.c): a snapshot is installed only when f+1
 * replicas claim the same block at the same depth with the same state.
 * One claim is not enough (it may be the one faulty replica's); a second
 * replica claiming another state does not count towards it; the second
 * matching claim installs it: the executed prefix jumps to the block, the
 * STATE record holding it is persisted, and then the restore is reported.
 */
Test(hotstuff, golden_a_snapshot_needs_f_plus_1_matching_claims)
{
	struct drv d = {0};
	struct chain c;
	struct fr req = mk_request(0, 1, "put a 1");
	struct fr good = mk_snapshot(3, "v"), bad = mk_snapshot(3, "forged");

	mk_chain(&c, 4, req);
	drv_open(&d, 3, NULL, 0);
	deliver(&d, mk_state(0, 16, 2, c.hash[2], c.qc[4], good));
	expect_lines(&d,
		     (const char *const[]){
			 "note snapshot at depth 16 from r0: 1 of the f+1 "
			 "matching claims it needs",
			 NULL},
		     "one claim");
	deliver(&d, mk_state(1, 16, 2, c.hash[2], c.qc[4], bad));
	expect_lines(&d,
		     (const char *const[]){
			 "note snapshot at depth 16 from r1: 1 of the f+1 "
			 "matching claims it needs",
			 NULL},
		     "another state for the same block: its own claim");
	deliver(&d, mk_state(2, 16, 2, c.hash[2], genesis_qc(), good));
	expect_lines(&d,
		     (const char *const[]){
			 "note installed the snapshot at depth 16 (view 2, "
			 "height 3): f+1 replicas sent it",
			 "persist replace state voted=v0 executed=v2",
			 "commit h3 slot=2 restored", NULL},
		     "f+1 matching: installed, persisted, then reported");
	/* Below what we now hold: nothing to learn. */
	deliver(&d, mk_state(1, 16, 2, c.hash[2], c.qc[4], good));
	expect_lines(&d, (const char *const[]){NULL}, "not ahead of us");
	drv_close(&d);
}

/* ---- simulator runs ---------------------------------------------------- */

static struct scenario hs_scenario(uint32_t n)
{
	struct scenario sc;

	scenario_defaults(&sc);
	sc.ops = hs_ops();
	sc.n = n;
	sc.f = (n - 1) / 3;
	sc.clients = 4;
	sc.requests = 25;
	sc.max_time_us = 120ull * 1000 * 1000;
	return sc;
}

/* What a hooked run gives back: the result, as scenario_run fills it,
 * the highest view at which an honest replica executed a request, and
 * the views that timed out (bit v set in timed_out for views < 1024)
 * with the leader each note named. */
struct hs_run {
	struct scenario_result res;
	uint64_t max_slot;
	uint32_t timeout_notes;
	uint32_t timeout_leader_other; /* notes naming another leader */
};

struct hs_notes {
	uint32_t leader; /* the silent leader, or UINT32_MAX */
	uint32_t count, other;
};

/*
 * Run sc in the simulator with an adversary hook, keeping the trace to read
 * what the verdict does not say: the highest slot an honest replica
 * committed, and the honest replicas' timeout notes.
 */
static struct hs_run run_hooked(const struct scenario *sc, sim_hook_fn hook,
				void *ctx, uint32_t silent_leader)
{
	struct hs_run out;
	struct scenario hooked = *sc;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(&out, 0, sizeof out);
	hooked.hook = hook;
	hooked.hook_ctx = ctx;
	cr_assert_eq(scenario_run(&hooked, f, &out.res), 0, "%s", out.res.why);
	fclose(f);
	/* Honest commits: {"t":..,"ev":"commit","replica":R,"height":..,
	 * "slot":S,...} */
	for (char *p = buf; (p = strstr(p, "\"ev\":\"commit\",\"replica\":"));
	     p++) {
		unsigned long r = strtoul(p + 24, NULL, 10);
		char *slot = strstr(p, "\"slot\":");
		uint64_t v;
		if (!slot || r >= BYZ_MAX_N || sc->byzantine[r])
			continue;
		v = strtoull(slot + 7, NULL, 10);
		if (v > out.max_slot)
			out.max_slot = v;
	}
	/* Honest replicas' timeout notes, one a line:
	 * {"t":..,"ev":"note","node":"rN","text":"view V timed out (leader
	 * rL)"} */
	for (char *p = buf; (p = strstr(p, "timed out (leader r")); p++) {
		uint32_t l = (uint32_t)strtoul(p + 19, NULL, 10);
		char *node = p;
		while (node > buf && node[-1] != '\n')
			node--;
		node = strstr(node, "\"node\":\"r");
		if (!node || sc->byzantine[strtoul(node + 9, NULL, 10)])
			continue;
		out.timeout_notes++;
		out.timeout_leader_other += l != silent_leader;
	}
	free(buf);
	return out;
}

static uint64_t sent(const struct scenario_result *r, uint8_t type)
{
	return r->counts.sent[HS_PROTO][type];
}

static void expect_pass(const struct scenario *sc,
			const struct scenario_result *r, const char *what)
{
	uint64_t total = (uint64_t)sc->clients * sc->requests;

	cr_assert_eq(r->verdict, VERDICT_PASS, "%s n=%u: %s", what, sc->n,
		     r->why);
	cr_assert_eq(r->checks.total - r->checks.per_check[CHECK_PROGRESS], 0,
		     "%s n=%u", what, sc->n);
	cr_assert_eq(r->min_height, total, "%s n=%u: min height %" PRIu64, what,
		     sc->n, r->min_height);
}

static const uint32_t NS[] = {4, 7, 10};

/*
 * Fault-free message counts. Every block is one PROPOSAL broadcast (n-1
 * messages) and one VOTE from each replica to the next leader (n-1: the
 * leader's own is a loopback). The leader proposes while requests are
 * pooled, so the blocks are the views 1..V+3, where V is the view of the
 * last block with a request: its three-chain needs three more. Hence
 * PROPOSAL = VOTE = (n-1)(V+3), and nothing else is sent.
 */
Test(hotstuff, fault_free_passes_and_counts_match_the_formula, .timeout = 300)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = hs_scenario(NS[i]);
		struct scenario_result res;
		struct hs_run hr;
		uint64_t blocks, n1 = sc.n - 1, total;

		cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
		expect_pass(&sc, &res, "fault-free");
		hr = run_hooked(&sc, NULL, NULL, UINT32_MAX);
		expect_pass(&sc, &hr.res, "fault-free (hooked)");
		cr_assert_str_eq(hr.res.why, "");
		blocks = hr.max_slot + 3;
		total = (uint64_t)sc.clients * sc.requests;
		cr_assert_eq(sent(&res, HS_PROPOSAL), n1 * blocks,
			     "n=%u: %" PRIu64 " proposals, %" PRIu64 " blocks",
			     sc.n, sent(&res, HS_PROPOSAL), blocks);
		cr_assert_eq(sent(&res, HS_VOTE), n1 * blocks);
		cr_assert_eq(sent(&res, HS_TIMEOUT), 0);
		cr_assert_eq(sent(&res, HS_FETCH), 0);
		cr_assert_eq(sent(&res, HS_BLOCKS), 0);
		cr_assert_eq(res.counts.rejected, 0);
		cr_log_info("n=%u: %" PRIu64 " requests, %" PRIu64
			    " blocks; per block %" PRIu64
			    " proposals + %" PRIu64
			    " votes; per request %.2f + %.2f",
			    sc.n, total, blocks, n1, n1,
			    (double)sent(&res, HS_PROPOSAL) / (double)total,
			    (double)sent(&res, HS_VOTE) / (double)total);
	}
}

Test(hotstuff, same_seed_same_trace)
{
	struct scenario sc = hs_scenario(4);
	struct scenario_result a, b;

	sc.loss = 0.1;
	sc.gst_us = 500000;
	sc.jitter_us = 3000;
	cr_assert_eq(scenario_run(&sc, NULL, &a), 0);
	cr_assert_eq(scenario_run(&sc, NULL, &b), 0);
	cr_assert_str_eq(a.trace_hash, b.trace_hash);
	expect_pass(&sc, &a, "lossy");
}

/* A replica that crashes for good; the views it leads each cost one
 * timeout, and no other view times out. */
Test(hotstuff, crashed_leader_costs_one_timeout_per_view_it_leads,
     .timeout = 300)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = hs_scenario(NS[i]);
		struct hs_run hr;

		sc.crashes[0] =
		    (struct sim_crash){.replica = 1, .at_us = 30000};
		sc.ncrashes = 1;
		hr = run_hooked(&sc, NULL, NULL, 1);
		expect_pass(&sc, &hr.res, "crashed leader");
		cr_assert_gt(sent(&hr.res, HS_TIMEOUT), 0);
		cr_assert_gt(hr.timeout_notes, 0);
		cr_assert_eq(hr.timeout_leader_other, 0,
			     "n=%u: %u timeouts in views led by others", sc.n,
			     hr.timeout_leader_other);
	}
}

/*
 * Issue #10: no fault, a one-way latency the base timeout (20 ms) does not
 * cover. A view needs a proposal and a vote, two one-way delays; at
 * 100 ms HotStuff never committed, its view timer doubling only up to 8
 * times the base (160 ms). Doubling up to 64 times (HS_BACKOFF_MAX) covers
 * 200 ms (and about 600 ms): after GST the timers grow until they cover the
 * delay, as the partial-synchrony model of PODC'19 assumes.
 */
Test(hotstuff, doubling_timeouts_cover_a_latency_the_base_does_not,
     .timeout = 300)
{
	static const uint64_t latency_ms[] = {15, 50, 100, 200};

	for (size_t i = 0; i < 2; i++)
		for (size_t l = 0; l < 4; l++) {
			struct scenario sc = hs_scenario(NS[i]);
			struct scenario_result res;
			char what[64];

			sc.requests = 2;
			sc.latency_us = latency_ms[l] * 1000;
			snprintf(what, sizeof what, "%" PRIu64 " ms latency",
				 latency_ms[l]);
			cr_assert_eq(scenario_run(&sc, NULL, &res), 0, "%s",
				     res.why);
			expect_pass(&sc, &res, what);
		}
}

struct silent_ctx {
	bool silent[BYZ_MAX_N];
};

/* Drop everything the silent replicas send (they are marked Byzantine, so
 * the checkers ignore them). */
static enum sim_verdict silent_hook(void *ctx, struct sim *s,
				    struct sim_flight *m)
{
	struct silent_ctx *c = ctx;

	(void)s;
	return m->from < BYZ_MAX_N && c->silent[m->from] ? SIM_DROP
							 : SIM_DELIVER;
}

Test(hotstuff, silent_leader, .timeout = 300)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = hs_scenario(NS[i]);
		struct silent_ctx ctx = {{false}};
		struct hs_run hr;

		ctx.silent[2] = sc.byzantine[2] = true;
		hr = run_hooked(&sc, silent_hook, &ctx, 2);
		expect_pass(&sc, &hr.res, "silent leader");
		cr_assert_eq(hr.timeout_leader_other, 0);
	}
}

/* f silent replicas, spread out so that at most three honest leaders
 * follow each other: commits need the QC the TIMEOUTs' votes form. */
Test(hotstuff, f_silent_replicas, .timeout = 300)
{
	static const uint32_t silent[3][3] = {{3}, {2, 5}, {1, 5, 8}};

	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = hs_scenario(NS[i]);
		struct silent_ctx ctx = {{false}};
		struct hs_run hr;

		for (uint32_t k = 0; k < sc.f; k++)
			ctx.silent[silent[i][k]] = sc.byzantine[silent[i][k]] =
			    true;
		hr = run_hooked(&sc, silent_hook, &ctx, UINT32_MAX);
		expect_pass(&sc, &hr.res, "f silent");
	}
}

struct partition_ctx {
	uint32_t side[BYZ_MAX_N]; /* 0 or 1 */
	uint64_t until_us;
};

/* Drop replica-to-replica messages across the two sides until until_us. */
static enum sim_verdict partition_hook(void *ctx, struct sim *s,
				       struct sim_flight *m)
{
	struct partition_ctx *c = ctx;

	(void)s;
	if (m->now >= c->until_us || m->from >= BYZ_MAX_N || m->to >= BYZ_MAX_N)
		return SIM_DELIVER;
	return c->side[m->from] != c->side[m->to] ? SIM_DROP : SIM_DELIVER;
}

/* n=4 and n=10 split in halves (no side has a quorum: nothing commits
 * until it heals); n=7 splits 5/2 (the majority goes on, the two catch
 * up by fetching after the heal). GST = the heal. */
Test(hotstuff, partition_heals, .timeout = 300)
{
	static const uint32_t cut[3] = {2, 5, 5};

	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = hs_scenario(NS[i]);
		struct partition_ctx ctx = {{0}, 400000};
		struct hs_run hr;

		for (uint32_t r = cut[i]; r < sc.n; r++)
			ctx.side[r] = 1;
		sc.gst_us = ctx.until_us;
		hr = run_hooked(&sc, partition_hook, &ctx, UINT32_MAX);
		expect_pass(&sc, &hr.res, "partition");
		cr_assert_gt(hr.res.counts.dropped, 0);
		if (sc.n == 7)
			cr_assert_gt(sent(&hr.res, HS_FETCH), 0);
	}
}

Test(hotstuff, lost_messages_before_gst, .timeout = 300)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = hs_scenario(NS[i]);
		struct scenario_result res;

		sc.loss = 0.2;
		sc.jitter_us = 5000;
		sc.gst_us = 1000000;
		cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
		expect_pass(&sc, &res, "loss");
		cr_assert_gt(res.counts.dropped, 0);
	}
}

static enum sim_verdict duplicate_hook(void *ctx, struct sim *s,
				       struct sim_flight *m)
{
	(void)ctx;
	cr_assert_eq(
	    sim_inject(s, m->from, m->to, m->frame, m->len, m->delay_us + 700),
	    0);
	return SIM_DELIVER;
}

Test(hotstuff, duplicated_messages_execute_once, .timeout = 300)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = hs_scenario(NS[i]);
		struct hs_run hr =
		    run_hooked(&sc, duplicate_hook, NULL, UINT32_MAX);

		expect_pass(&sc, &hr.res, "duplicates");
	}
}

/* A replica crashes and restarts from its log while the others go on:
 * it keeps its vote and lock, does not execute a height twice, and
 * catches up by fetching the blocks it missed. */
Test(hotstuff, restart_with_state_catches_up, .timeout = 300)
{
	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = hs_scenario(NS[i]);
		struct scenario_result res;

		sc.requests = 60;
		sc.crashes[0] = (struct sim_crash){.replica = 2,
						   .at_us = 40000,
						   .restart_at_us = 150000,
						   .keep_state = true};
		sc.ncrashes = 1;
		cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
		expect_pass(&sc, &res, "restart");
		cr_assert_gt(sent(&res, HS_FETCH), 0);
		cr_assert_gt(sent(&res, HS_BLOCKS), 0);
	}
}

/*
 * A replica any distance behind (issue #10 item 2): replica 2 is down from
 * 20 ms to 400 ms while the others decide about 60 blocks with a window of
 * 4, so they keep only the last 8 committed blocks and cannot serve the
 * ones it lacks. Before snapshots it never caught up (restarted from its
 * log, or from nothing); now it asks for a snapshot, installs one that f+1
 * replicas vouch for, and fetches the blocks above it.
 */
Test(hotstuff, a_replica_far_behind_catches_up_by_snapshot, .timeout = 300)
{
	for (size_t i = 0; i < 2; i++)
		for (int keep = 0; keep < 2; keep++) {
			struct scenario sc = hs_scenario(NS[i]);
			struct scenario_result res;

			sc.requests = 30;
			sc.window = 4;
			sc.max_time_us = 20000000;
			sc.crashes[0] =
			    (struct sim_crash){.replica = 2,
					       .at_us = 20000,
					       .restart_at_us = 400000,
					       .keep_state = keep};
			sc.ncrashes = 1;
			cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
			cr_assert_eq(
			    res.height[2], (uint64_t)sc.clients * sc.requests,
			    "n=%u keep=%d: replica 2 caught up", sc.n, keep);
			if (keep)
				expect_pass(&sc, &res, "far behind");
			cr_assert_gt(sent(&res, HS_STATE_REQ), 0);
			cr_assert_gt(sent(&res, HS_STATE), 0);
		}
}

/* 10,000 requests, fault-free, n=4: decisions per second with real
 * signatures (docs/hotstuff.md reports the figure). */
Test(hotstuff, ten_thousand_requests, .timeout = 600)
{
	struct scenario sc = hs_scenario(4);
	struct scenario_result res;

	sc.requests = 2500;
	cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
	expect_pass(&sc, &res, "10k");
	cr_log_info("10,000 requests, n=4: %.2f s wall, %" PRIu64
		    " events, %.0f decisions/s, %.0f events/s",
		    res.wall_seconds, res.sim.events,
		    10000.0 / res.wall_seconds,
		    (double)res.sim.events / res.wall_seconds);
}

/* Regression: seeds that found two liveness bugs — replicas timed out in
 * adjacent views could never form a TC (one had moved on by voting), and
 * a block arriving after its child never re-ran the child's update. */
Test(hotstuff, seeds_with_loss_crash_and_restart, .timeout = 600)
{
	for (uint64_t seed = 1; seed <= 12; seed++) {
		struct scenario sc = hs_scenario(NS[seed % 3]);
		struct scenario_result res;

		sc.seed = seed;
		sc.loss = 0.2;
		sc.jitter_us = 8000;
		sc.gst_us = 1000000;
		sc.crashes[0] =
		    (struct sim_crash){.replica = 1, .at_us = 20000};
		if (seed % 2)
			sc.crashes[0] =
			    (struct sim_crash){.replica = 2,
					       .at_us = 50000,
					       .restart_at_us = 400000,
					       .keep_state = true};
		sc.ncrashes = 1;
		cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
		expect_pass(&sc, &res, "seed sweep");
	}
}

/*
 * Found by the threshold campaign (tolerated-hotstuff-n7-b1-a0-s19): with
 * 20 % loss before GST, replicas 0 and 2 missed the proposals that decided
 * the last request. Everyone else executed it and went idle (no work, no
 * view timer), so the two laggards timed out alone for ever: f+1 = 3 are
 * needed to move a view. Now an idle replica answers a TIMEOUT whose highQC
 * is older than its own with its highQC, and a replica that learns a
 * higher QC from a TIMEOUT runs Alg. 4's update on it and fetches what it
 * misses.
 */
Test(hotstuff, laggard_catches_up_when_the_others_are_idle, .timeout = 120)
{
	struct scenario sc = hs_scenario(7);
	struct scenario_result res;
	char why[256];

	sc.clients = 4;
	sc.requests = 4;
	sc.batch = 4;
	sc.gst_us = 300000;
	sc.max_time_us = 60000000;
	sc.seed = 19;
	sc.plan.byzantine[0] = true;
	cr_assert_eq(
	    attack_parse("drop:p=0.2", sc.n, &sc.plan.a[0], why, sizeof why), 0,
	    "%s", why);
	sc.plan.count = 1;
	cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
	expect_pass(&sc, &res, "laggard");
	cr_assert_lt(res.sim.now, 5000000, "it took %" PRIu64 " us",
		     res.sim.now);
}

/*
 * Found by the threshold campaign (tolerated-hotstuff-n4-b0-a6-s21 and
 * -s91, -s175, -b1-a6-s151): with tampering before GST a replica held the
 * blocks and QCs that decide the last request but had received them in an
 * order in which no message re-ran Alg. 4's update over them, and once the
 * others were idle no message came. The view timer (and, idle, the highQC
 * beacon) now re-runs update over what is held.
 */
Test(hotstuff, decisions_held_but_not_revisited_are_found, .timeout = 120)
{
	static const uint64_t seeds[] = {21, 91, 175};

	for (size_t i = 0; i < 3; i++) {
		struct scenario sc = hs_scenario(4);
		struct scenario_result res;
		char why[256];

		sc.requests = 4;
		sc.batch = 4;
		sc.gst_us = 300000;
		sc.max_time_us = 60000000;
		sc.seed = seeds[i];
		cr_assert_eq(attack_parse("tamper:p=0.1", sc.n, &sc.plan.a[0],
					  why, sizeof why),
			     0, "%s", why);
		sc.plan.count = 1;
		cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
		expect_pass(&sc, &res, "tamper");
	}
}

/*
 * Found by campaigns/combined-restart.yaml (issue #10 item 4): at n = 7
 * with r0 and r1 Byzantine (withhold: their TIMEOUTs are rewritten to
 * carry the genesis highQC) and duplicated frames, the run never ended.
 * Each of r0 and r1 saw the other's TIMEOUT as stale and answered it with
 * a TIMEOUT, rewritten stale in turn, answered again, at one virtual
 * instant, doubling with every duplicate. A replica now answers a stale
 * TIMEOUT from a given peer at most once per half timeout. Both seeds hung
 * before; the event cap makes a relapse fail here instead of hanging.
 */
Test(hotstuff, stale_timeout_answers_cannot_ping_pong, .timeout = 120)
{
	static const char *const seeds[] = {"60", "137"};

	for (size_t i = 0; i < 2; i++) {
		struct scenario sc = hs_scenario(7);
		struct scenario_result res;
		struct {
			const char *key, *value;
		} kv[] = {{"requests", "4"},
			  {"batch", "4"},
			  {"gst", "300ms"},
			  {"max_time", "60s"},
			  {"seed", seeds[i]},
			  {"byzantine", "2"},
			  {"crash", "3@20ms,restart@120ms"}};
		char why[256];

		for (size_t k = 0; k < sizeof kv / sizeof kv[0]; k++)
			cr_assert_eq(scenario_set(&sc, kv[k].key, kv[k].value,
						  why, sizeof why),
				     0, "%s", why);
		sc.max_events = 200000;
		cr_assert_eq(
		    scenario_add_attack(&sc, "withhold", why, sizeof why), 0);
		cr_assert_eq(scenario_add_attack(&sc,
						 "duplicate:p=0.2,copies=2",
						 why, sizeof why),
			     0);
		cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
		expect_pass(&sc, &res, "withhold + duplicate");
	}
}

/*
 * Found by the certificates oracle (lib/audit.h, issue #11) in the
 * combined-restart cell: a leader that joined views by Bracha formed a TC
 * before its own TIMEOUT for that view came back signed, so the TC held
 * its older TIMEOUT, and every replica (itself included) refused the
 * proposal. hs_form_tc now waits for 2f+1 signed TIMEOUTs of the view.
 */
Test(hotstuff, a_tc_holds_only_timeouts_of_its_view, .timeout = 120)
{
	struct scenario sc = hs_scenario(7);
	struct scenario_result res;
	struct {
		const char *key, *value;
	} kv[] = {{"requests", "4"},
		  {"batch", "4"},
		  {"gst", "300ms"},
		  {"max_time", "60s"},
		  {"seed", "326"},
		  {"byzantine", "2"},
		  {"crash", "3@20ms,restart@120ms"}};
	char why[256];

	for (size_t k = 0; k < sizeof kv / sizeof kv[0]; k++)
		cr_assert_eq(
		    scenario_set(&sc, kv[k].key, kv[k].value, why, sizeof why),
		    0, "%s", why);
	cr_assert_eq(
	    scenario_add_attack(&sc, "twins:skew=2ms", why, sizeof why), 0);
	cr_assert_eq(scenario_add_attack(&sc, "duplicate:p=0.2,copies=2", why,
					 sizeof why),
		     0);
	cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
	cr_assert_eq(res.checks.per_check[CHECK_CERTIFICATES], 0, "%s",
		     res.why);
	expect_pass(&sc, &res, "twins + duplicate");
}

/* ---- large clusters (issue #10 item 3) ---------------------------------- */

/*
 * The configuration check: a PROPOSAL without its TC, with a full batch of
 * 1024-byte requests, must fit a BLOCKS answer. Within n <= 256 and batch
 * <= 256 all fit (n = 256, batch 256: 0.3 MiB of 0.5), so nothing is
 * refused; the sizes it works from grow as they should.
 */
Test(hotstuff, every_configuration_up_to_n_256_fits_a_frame)
{
	const struct byz_core_ops *ops = hs_ops();
	struct byz_config cfg = {
	    .n = 256, .f = 85, .batch = HS_MAX_BATCH, .window = 64};
	char why[320] = "";

	cr_assert_not_null(ops->check_config);
	cr_assert_eq(ops->check_config(&cfg, why, sizeof why), 0, "%s", why);
	cr_assert_leq(hs_proposal_max(85, HS_MAX_BATCH), HS_BLOCKS_BYTES);
	cr_assert_gt(hs_proposal_max(85, HS_MAX_BATCH), HS_BLOCKS_BYTES / 2);
	cr_assert_leq(hs_timeout_max(85), WIRE_MAX_FRAME);
	cr_assert_gt(hs_timeout_max(85), hs_timeout_max(21));
}

/* Does the trace in buf hold a note with `text`? */
static bool trace_has(const char *buf, const char *text)
{
	return buf && strstr(buf, text) != NULL;
}

/*
 * n = 100 and 256, fault-free and with a leader crashed. At these
 * sizes a TC (2f+1 TIMEOUTs with a QC each) does not fit a block: the
 * leader after the crashed one leaves it out, and every replica, having
 * formed the TC from the broadcast TIMEOUTs itself, follows. Minutes of
 * wall time: only with BYZLAB_BIG=1 (figures in docs/hotstuff.md).
 */
Test(hotstuff, big_clusters_commit_with_a_crashed_leader, .timeout = 2400)
{
	static const uint32_t ns[] = {100, 256};

	if (!getenv("BYZLAB_BIG"))
		cr_skip_test("set BYZLAB_BIG=1 to run n = 100 and 256");
	for (size_t i = 0; i < 2; i++) {
		struct scenario sc = hs_scenario(ns[i]);
		struct scenario_result res;
		char *buf = NULL;
		size_t len = 0;
		FILE *f;

		sc.requests = 10;
		cr_assert_eq(scenario_run(&sc, NULL, &res), 0, "%s", res.why);
		cr_assert_eq(res.verdict, VERDICT_PASS, "n=%u: %s", sc.n,
			     res.why);
		/* Replica 20 leads view 20, within the ~45 views of the run. */
		sc.crashes[0] =
		    (struct sim_crash){.replica = 20, .at_us = 1000};
		sc.ncrashes = 1;
		f = open_memstream(&buf, &len);
		cr_assert_not_null(f);
		cr_assert_eq(scenario_run(&sc, f, &res), 0, "%s", res.why);
		fclose(f);
		cr_assert_eq(res.verdict, VERDICT_PASS, "n=%u crash: %s", sc.n,
			     res.why);
		cr_assert(trace_has(buf, "TC left out of the proposal"),
			  "n=%u: the TC should not fit a block", sc.n);
		free(buf);
	}
}

/*
 * Issue #10 item 2a, found by a 60-seed tampering sweep (seed 48 of
 * tests/e2e's small campaign: n = 4, tamper:p=0.1, 2 clients x 3
 * requests, batch 2, GST 200 ms): replica 0 lost the messages that carried
 * the QC completing the last request's three-chain; the others decided it
 * and went idle, their highQCs moved past that QC (to blocks that decide
 * nothing new), and replica 0 waited for ever. Every TIMEOUT now carries
 * the sender's highest commit certificate (DiemBFT's SyncInfo), and a
 * replica runs Alg. 4's update on one that decides more than it executed.
 */
Test(hotstuff, commit_certificate_in_timeouts_decides_for_a_laggard,
     .timeout = 120)
{
	struct scenario sc = hs_scenario(4);
	struct scenario_result res;
	char why[256];

	sc.clients = 2;
	sc.requests = 3;
	sc.batch = 2;
	sc.gst_us = 200000;
	sc.max_time_us = 30000000;
	sc.seed = 48;
	cr_assert_eq(
	    attack_parse("tamper:p=0.1", sc.n, &sc.plan.a[0], why, sizeof why),
	    0, "%s", why);
	sc.plan.count = 1;
	cr_assert_eq(scenario_run(&sc, NULL, &res), 0);
	expect_pass(&sc, &res, "seed 48");
}

/* The k-th (from 0) frame d sent in its last step, signed by d. */
static struct fr nth_send(struct drv *d, size_t k)
{
	struct wire_buf b;
	struct byz_keypair kp;
	struct fr f;

	for (size_t i = 0; i < d->ob.count; i++) {
		const struct byz_output *o = &d->ob.out[i];
		if (o->kind != BYZ_OUT_SEND || k--)
			continue;
		wire_buf_init(&b, WIRE_MAX_FRAME + 64);
		wire_put_bytes(&b, d->ob.bytes.data + o->off, o->len);
		byz_key_derive(&kp, SEED, BYZ_ROLE_REPLICA, d->cfg.id);
		cr_assert_eq(wire_sign(&b, 0, &kp), 0);
		f.p = arena_keep(b.data, b.len);
		f.len = b.len;
		wire_buf_free(&b);
		return f;
	}
	cr_assert_fail("no such send");
	return (struct fr){NULL, 0};
}

/* How many of d's lines start with prefix. */
static size_t lines_starting(const struct drv *d, const char *prefix)
{
	size_t k = 0;

	for (size_t i = 0; i < d->nline; i++)
		k += strncmp(d->line[i], prefix, strlen(prefix)) == 0;
	return k;
}

/*
 * Issue #10 item 2d: an answer to FETCH larger than HS_BLOCKS_BYTES (half
 * a frame) goes out in parts, newest first, each part chaining on to the
 * one before; before, it was cut there and the asker had to FETCH the rest
 * again. Nine blocks of 64 requests of 1,000 bytes (about 70 kB a block):
 * of the eight asked for, seven fit in one part and the eighth goes in a
 * second. The asker takes both parts and executes the decided prefix
 * (the QC in b9 completes b6 <- b7 <- b8) with no second FETCH.
 */
Test(hotstuff, golden_large_blocks_answer_is_sent_in_parts)
{
	struct drv s = {0}, d = {0};
	struct fr reqs[64], prop[10], qc = genesis_qc(), part1, part2;
	uint8_t hash[10][BYZ_DIGEST_BYTES];
	char op[1001];

	memset(op, 'x', sizeof op - 1);
	op[sizeof op - 1] = 0;
	memcpy(op, "put a ", 6);
	for (uint32_t i = 0; i < 64; i++)
		reqs[i] = mk_request(i % 4, 1 + i / 4, op);
	drv_open(&s, 0, NULL, 0);
	for (uint32_t v = 1; v <= 9; v++) {
		prop[v] = mk_proposal(v % 4, v, qc, NULL, 0, reqs, 64, hash[v]);
		qc = mk_qc(v, hash[v], Q012, 3);
		deliver(&s, prop[v]);
	}
	/* The asker holds only b9: it fetches b8 and 15 ancestors. */
	drv_open(&d, 3, NULL, 0);
	deliver(&d, prop[9]);
	cr_assert_eq(lines_starting(&d, "send r0 hotstuff/fetch"), 1);
	deliver(&s, mk_fetch(3, hash[8], 16));
	expect_lines(
	    &s,
	    (const char *const[]){"send r3 hotstuff/blocks views=8,7,6,5,4,3,2",
				  "send r3 hotstuff/blocks views=1", NULL},
	    "two parts, newest first");
	part1 = nth_send(&s, 0);
	part2 = nth_send(&s, 1);
	deliver(&d, part1);
	cr_assert_eq(lines_starting(&d, "commit"), 0, "b1 is missing");
	deliver(&d, part2);
	cr_assert_eq(lines_starting(&d, "send r0 hotstuff/fetch"), 0,
		     "nothing asked again");
	cr_assert_eq(lines_starting(&d, "persist replace state voted=v9 "
					"executed=v6"),
		     1, "b1..b6 executed");
	cr_assert_eq(lines_starting(&d, "commit"), 64,
		     "each request once (the later blocks repeat them)");
	drv_close(&s);
	drv_close(&d);
}

/*
 * Issue #10 item 2e: a restarted replica votes nothing that contradicts
 * what it voted before the crash. Only its safety state is persisted (the
 * voted view, the lockedQC, the executed state), not the block store, so
 * after the restart it no longer holds the blocks that would show a second
 * block for a view as equivocation: the persisted voted view and lock
 * alone must refuse (a) another block for a view it voted in and (b) a
 * block in a later view that neither extends its lock nor is justified
 * above it, which it would have refused before the crash.
 */
Test(hotstuff, golden_restarted_replica_votes_nothing_contradicting)
{
	struct drv d = {0};
	struct chain c;
	struct fr req = mk_request(0, 1, "put a 1");
	struct fr other = mk_request(1, 1, "put b 2"), tc[3];
	uint8_t *log;
	size_t loglen;

	mk_chain(&c, 3, req);
	drv_open(&d, 0, NULL, 0);
	deliver(&d, req);
	for (int i = 1; i <= 3; i++)
		deliver(&d, c.prop[i]); /* votes v1..v3, locks on b1 */
	log = arena_keep(d.log, d.loglen);
	loglen = d.loglen;
	drv_close(&d);

	drv_open(&d, 0, log, loglen);
	/* (a) Another block for view 3 (its leader equivocates): the store
	 * is empty, the persisted voted view refuses it. */
	deliver(&d, mk_proposal(3, 3, c.qc[2], NULL, 0, &other, 1, NULL));
	for (size_t k = 0; k < d.nline; k++)
		cr_assert(!strstr(d.line[k], "hotstuff/vote"),
			  "voted in v3 again: %s", d.line[k]);
	/* (b) View 5 (leader r1) on the QC of b0 = genesis with a TC for
	 * view 4: it forks below the lock on b1; safeNode refuses. */
	tc[0] = mk_timeout(1, 4, c.qc[0], NULL);
	tc[1] = mk_timeout(2, 4, c.qc[0], NULL);
	tc[2] = mk_timeout(3, 4, c.qc[0], NULL);
	deliver(&d, mk_proposal(1, 5, c.qc[0], tc, 3, &other, 1, NULL));
	for (size_t k = 0; k < d.nline; k++)
		cr_assert(!strstr(d.line[k], "hotstuff/vote"),
			  "voted against its lock: %s", d.line[k]);
	cr_assert_eq(lines_starting(&d, "note safeNode rejects block view 5"),
		     1);
	drv_close(&d);
}
