/*
 * test_raft.c - Raft (lib/raft): one core driven by hand-made signed
 * messages, for the rules of Ongaro & Ousterhout 2014 that decide safety:
 * one vote per term, persisted before it is sent and kept across a
 * restart (Figure 2); the election restriction (§5.4.1); the consistency
 * check and the truncation of a conflicting suffix (Figure 2,
 * AppendEntries rules 2-4); the commit rule (§5.4.2), with its majority
 * and its current-term condition (the Figure 8 scenario); the log kept
 * across a restart; InstallSnapshot (§7); bounded decoding. Each rule's
 * test also runs the core with the mutant that breaks the rule
 * (raft_mutants.c) and checks the test's assertion then fails: the test
 * can fail. Then simulator runs: message counts per decision at n = 3,
 * 5, 7, and a crashed leader replaced.
 */
#include "app.h"
#include "core.h"
#include "err.h"
#include "raft/raft_core.h"
#include "raft/raft_wire.h"
#include "scenario.h"
#include "sim.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED 7

static uint8_t *arena[8192];
static size_t narena;

static void *keep(const void *p, size_t len)
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

TestSuite(raft, .init = setup, .fini = teardown);

static const struct byz_core_ops *ops(void)
{
	const struct byz_core_ops *o = byz_core_find("raft");

	cr_assert_not_null(o);
	return o;
}

static uint32_t mutant(const char *name)
{
	uint32_t k = byz_mutant_find(ops(), name);

	cr_assert_neq(k, 0, "no mutant %s", name);
	return k;
}

struct fr {
	const uint8_t *p;
	size_t len;
};

static struct fr sign(struct wire_buf *b, size_t s, enum byz_role role,
		      uint32_t id)
{
	struct byz_keypair kp;
	struct fr f;

	byz_key_derive(&kp, SEED, role, id);
	cr_assert_eq(wire_sign(b, s, &kp), 0);
	f.p = keep(b->data + s, b->len - s);
	f.len = b->len - s;
	return f;
}

/* An entry of term `term` with one request of client c (timestamp ts). */
static struct fr mk_entry(uint64_t term, uint32_t c, uint64_t ts,
			  const char *op)
{
	struct wire_buf b, e;
	size_t s;
	struct fr req, out;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	wire_buf_init(&e, WIRE_MAX_FRAME);
	cr_assert_eq(
	    wire_enc_request(&b, &s, c, ts, (const uint8_t *)op, strlen(op)),
	    0);
	req = sign(&b, s, BYZ_ROLE_CLIENT, c);
	cr_assert_eq(raft_enc_entry(&e, term, &req.p, &req.len, 1), 0);
	out.p = keep(e.data, e.len);
	out.len = e.len;
	wire_buf_free(&b);
	wire_buf_free(&e);
	return out;
}

static struct fr mk_append(uint32_t from, uint64_t term, uint64_t prev,
			   uint64_t prev_term, uint64_t commit,
			   const struct fr *ents, size_t k)
{
	const uint8_t *p[8];
	size_t l[8], s;
	struct wire_buf b;
	struct fr f;

	cr_assert_leq(k, 8);
	for (size_t i = 0; i < k; i++) {
		p[i] = ents[i].p;
		l[i] = ents[i].len;
	}
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(raft_enc_append(&b, &s, from, term, prev, prev_term,
				     commit, p, l, k),
		     0);
	f = sign(&b, s, BYZ_ROLE_REPLICA, from);
	wire_buf_free(&b);
	return f;
}

static struct fr mk_vote_req(uint32_t from, uint64_t term, uint64_t li,
			     uint64_t lt)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(raft_enc_vote_req(&b, &s, from, term, li, lt), 0);
	f = sign(&b, s, BYZ_ROLE_REPLICA, from);
	wire_buf_free(&b);
	return f;
}

static struct fr mk_vote(uint32_t from, uint64_t term, uint32_t cand)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(raft_enc_vote(&b, &s, from, term, cand, true), 0);
	f = sign(&b, s, BYZ_ROLE_REPLICA, from);
	wire_buf_free(&b);
	return f;
}

static struct fr mk_ok(uint32_t from, uint64_t term, uint64_t match)
{
	struct wire_buf b;
	struct fr f;
	size_t s;

	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(raft_enc_append_ok(&b, &s, from, term, true, match, match),
		     0);
	f = sign(&b, s, BYZ_ROLE_REPLICA, from);
	wire_buf_free(&b);
	return f;
}

/* ---- a driver for one core ------------------------------------------- */

struct sent {
	uint32_t to;
	uint8_t type;
	struct raft_msg m; /* pointers not kept: scalars only */
	size_t persists_before;
};

struct drv {
	void *core;
	struct byz_config cfg;
	struct byz_outbox ob;
	uint8_t *log;
	size_t loglen;
	struct sent sent[512];
	size_t nsent;
	size_t commits, restored, persists;
	uint64_t commit_slot[64];
	uint32_t commit_client[64];
	uint64_t last_view;
	uint32_t last_leader;
};

static void outputs(struct drv *d)
{
	size_t persists = 0;

	for (size_t i = 0; i < d->ob.count; i++) {
		const struct byz_output *o = &d->ob.out[i];
		const uint8_t *r = d->ob.bytes.data + o->off;
		struct wire_msg m;

		switch (o->kind) {
		case BYZ_OUT_PERSIST:
			if (o->replace)
				d->loglen = 0;
			d->log = realloc(d->log, d->loglen + 4 + o->len);
			for (int k = 0; k < 4; k++)
				d->log[d->loglen + k] =
				    (uint8_t)(o->len >> (8 * k));
			memcpy(d->log + d->loglen + 4, r, o->len);
			d->loglen += 4 + o->len;
			persists++;
			d->persists++;
			break;
		case BYZ_OUT_COMMIT:
			if (o->commit.restored) {
				d->restored++;
				break;
			}
			cr_assert_lt(d->commits, 64);
			d->commit_slot[d->commits] = o->commit.slot;
			d->commit_client[d->commits] = o->commit.client;
			d->commits++;
			break;
		case BYZ_OUT_VIEW:
			if (!o->view.gave_up) {
				d->last_view = o->view.view;
				d->last_leader = o->view.leader;
			}
			break;
		case BYZ_OUT_SEND:
			if (byz_is_client_addr(o->to))
				break;
			cr_assert_eq(wire_decode_unsigned(r, o->len, &m), 0);
			cr_assert_lt(d->nsent, 512);
			d->sent[d->nsent].to = o->to;
			d->sent[d->nsent].type = m.frame.type;
			d->sent[d->nsent].m = *raft_of(&m);
			d->sent[d->nsent].persists_before = persists;
			d->nsent++;
			break;
		case BYZ_OUT_BROADCAST:
			cr_assert_fail("raft sends to each replica");
			break;
		default:
			break;
		}
	}
}

static void step(struct drv *d, const struct byz_event *ev)
{
	byz_outbox_reset(&d->ob);
	cr_assert_eq(ops()->step(d->core, ev, &d->ob), 0);
	outputs(d);
}

static void deliver(struct drv *d, struct fr f)
{
	struct wire_msg m;
	struct byz_event ev = {.now = 1000};

	cr_assert_eq(wire_decode(f.p, f.len, &m), 0);
	ev.kind =
	    m.frame.proto == BYZ_PROTO_CLIENT ? BYZ_EV_REQUEST : BYZ_EV_MESSAGE;
	ev.u.msg = &m;
	step(d, &ev);
}

static void fire(struct drv *d, uint32_t timer)
{
	struct byz_event ev = {.kind = BYZ_EV_TIMER, .now = 2000};

	ev.u.timer = timer;
	step(d, &ev);
}

/* Replica id of n, fresh or from its log, with mutant mut (0: none). */
static uint32_t drv_window = 16, drv_checkpoint = 64;

static void drv_open(struct drv *d, uint32_t n, uint32_t id, uint32_t mut,
		     bool restarted)
{
	struct byz_event ev = {.kind = BYZ_EV_START};

	d->cfg = (struct byz_config){.n = n,
				     .f = (n - 1) / 2,
				     .id = id,
				     .max_clients = 4,
				     .batch = 4,
				     .window = drv_window,
				     .checkpoint_interval = drv_checkpoint,
				     .timeout_us = 20000,
				     .mutant = mut,
				     .app = {.max_keys = 64, .max_clients = 4}};
	cr_assert_eq(ops()->create(&d->cfg, d->log, d->loglen, &d->core), 0);
	byz_outbox_init(&d->ob, 4096, 64u << 20);
	ev.u.restarted = restarted;
	step(d, &ev);
}

static void drv_crash(struct drv *d)
{
	ops()->destroy(&d->core);
	byz_outbox_free(&d->ob);
}

static void drv_close(struct drv *d)
{
	drv_crash(d);
	free(d->log);
	d->log = NULL;
	d->loglen = 0;
}

/* The last message of type sent to `to` (RAFT_NOBODY: to anyone). */
static const struct sent *last_sent(const struct drv *d, uint8_t type,
				    uint32_t to)
{
	for (size_t i = d->nsent; i-- > 0;)
		if (d->sent[i].type == type &&
		    (to == RAFT_NOBODY || d->sent[i].to == to))
			return &d->sent[i];
	return NULL;
}

/* ---- elections (§5.2, §5.4.1) ---------------------------------------- */

/* Replica 0 of 3, fresh: it times out first, asks for votes, and with
 * one more vote (a majority, 2 of 3) leads term 1 and sends each
 * follower its no-op entry (§8). */
Test(raft, election_majority_makes_a_leader)
{
	struct drv d = {0};
	const struct sent *s;

	drv_open(&d, 3, 0, 0, false);
	fire(&d, RAFT_TIMER_ELECTION);
	s = last_sent(&d, RAFT_VOTE_REQ, 1);
	cr_assert_not_null(s);
	cr_assert_eq(s->m.vreq.term, 1);
	cr_assert_not_null(last_sent(&d, RAFT_VOTE_REQ, 2));
	cr_assert_gt(s->persists_before, 0, "asked before its vote persisted");
	deliver(&d, mk_vote(1, 1, 0));
	cr_assert_eq(d.last_view, 1);
	cr_assert_eq(d.last_leader, 0);
	s = last_sent(&d, RAFT_APPEND, 2);
	cr_assert_not_null(s);
	cr_assert_eq(s->m.app.count, 1);
	cr_assert_eq(s->m.app.prev_index, 0);
	drv_close(&d);
}

/* At n = 5 one vote besides its own is not a majority. */
Test(raft, two_of_five_votes_are_not_a_majority)
{
	struct drv d = {0};

	drv_open(&d, 5, 0, 0, false);
	fire(&d, RAFT_TIMER_ELECTION);
	deliver(&d, mk_vote(1, 1, 0));
	deliver(&d, mk_vote(1, 1, 0)); /* the same voter twice */
	cr_assert_null(last_sent(&d, RAFT_APPEND, RAFT_NOBODY));
	deliver(&d, mk_vote(2, 1, 0));
	cr_assert_not_null(last_sent(&d, RAFT_APPEND, RAFT_NOBODY));
	drv_close(&d);
}

/* One vote per term, persisted before it is sent, kept across a crash:
 * replica 2 votes for 1 in term 1, crashes, restarts from its log, and
 * refuses 0 in term 1. Returns whether it granted 0. */
static bool vote_restart_scenario(uint32_t mut, bool *persisted_first)
{
	struct drv d = {0};
	const struct sent *s;
	bool granted;

	drv_open(&d, 3, 2, mut, false);
	deliver(&d, mk_vote_req(1, 1, 0, 0));
	s = last_sent(&d, RAFT_VOTE, 1);
	cr_assert_not_null(s);
	cr_assert(s->m.vote.granted);
	cr_assert_eq(s->m.vote.candidate, 1);
	*persisted_first = s->persists_before > 0;
	/* Not twice in one term, before a crash either. */
	deliver(&d, mk_vote_req(0, 1, 0, 0));
	s = last_sent(&d, RAFT_VOTE, 0);
	cr_assert_not_null(s);
	cr_assert_not(s->m.vote.granted, "two votes in term 1");
	drv_crash(&d);
	drv_open(&d, 3, 2, mut, true);
	d.nsent = 0;
	deliver(&d, mk_vote_req(0, 1, 0, 0));
	s = last_sent(&d, RAFT_VOTE, 0);
	cr_assert_not_null(s);
	granted = s->m.vote.granted;
	drv_close(&d);
	return granted;
}

Test(raft, restart_keeps_the_vote_of_the_term)
{
	bool first;

	cr_assert_not(vote_restart_scenario(0, &first),
		      "voted twice in term 1 across a restart");
	cr_assert(first, "the vote went out before its PERSIST");
	/* The test can fail: unpersisted, the vote is forgotten. */
	cr_assert(vote_restart_scenario(mutant("vote-not-persisted"), &first));
}

/* §5.4.1: replica 2 holds an entry of term 1; a candidate of term 2 with
 * an empty log does not get its vote, one with the entry does. */
static bool stale_candidate_scenario(uint32_t mut)
{
	struct drv d = {0};
	struct fr e = mk_entry(1, 0, 1, "put a 1");
	const struct sent *s;
	bool granted;

	drv_open(&d, 3, 2, mut, false);
	deliver(&d, mk_append(0, 1, 0, 0, 0, &e, 1));
	deliver(&d, mk_vote_req(1, 2, 0, 0));
	s = last_sent(&d, RAFT_VOTE, 1);
	cr_assert_not_null(s);
	granted = s->m.vote.granted;
	drv_close(&d);
	return granted;
}

Test(raft, election_restriction_refuses_a_stale_log)
{
	struct drv d = {0};
	struct fr e = mk_entry(1, 0, 1, "put a 1");
	const struct sent *s;

	cr_assert_not(stale_candidate_scenario(0));
	cr_assert(stale_candidate_scenario(mutant("vote-without-log-check")));
	/* An up-to-date candidate gets it. */
	drv_open(&d, 3, 2, 0, false);
	deliver(&d, mk_append(0, 1, 0, 0, 0, &e, 1));
	deliver(&d, mk_vote_req(1, 2, 1, 1));
	s = last_sent(&d, RAFT_VOTE, 1);
	cr_assert(s && s->m.vote.granted);
	drv_close(&d);
}

/* ---- replication (§5.3) ---------------------------------------------- */

Test(raft, append_checks_prev_and_truncates_a_conflicting_suffix)
{
	struct drv d = {0};
	struct fr a1 = mk_entry(1, 0, 1, "put a 1"),
		  a2 = mk_entry(1, 1, 1, "put b 1"),
		  b2 = mk_entry(2, 2, 1, "put c 1"),
		  b3 = mk_entry(2, 3, 1, "put d 1");
	struct fr two[2] = {a1, a2};
	const struct sent *s;

	drv_open(&d, 3, 2, 0, false);
	/* Rule 2: prevLogIndex beyond our log fails. */
	deliver(&d, mk_append(0, 1, 3, 1, 0, &a1, 1));
	s = last_sent(&d, RAFT_APPEND_OK, 0);
	cr_assert(s && !s->m.ok.success);
	deliver(&d, mk_append(0, 1, 0, 0, 0, two, 2));
	s = last_sent(&d, RAFT_APPEND_OK, 0);
	cr_assert(s && s->m.ok.success && s->m.ok.match == 2);
	cr_assert_gt(s->persists_before, 0, "acked before its PERSIST");
	/* Rule 2 again: prevLogTerm differs. */
	deliver(&d, mk_append(1, 2, 2, 2, 0, &b3, 1));
	s = last_sent(&d, RAFT_APPEND_OK, 1);
	cr_assert(s && !s->m.ok.success);
	/* Rule 3: entry 2 of term 2 conflicts with ours of term 1: ours
	 * goes, theirs comes; then 3 follows it. */
	deliver(&d, mk_append(1, 2, 1, 1, 0, &b2, 1));
	s = last_sent(&d, RAFT_APPEND_OK, 1);
	cr_assert(s && s->m.ok.success && s->m.ok.match == 2);
	deliver(&d, mk_append(1, 2, 2, 2, 3, &b3, 1));
	s = last_sent(&d, RAFT_APPEND_OK, 1);
	cr_assert(s && s->m.ok.success && s->m.ok.match == 3);
	/* Rule 5: leaderCommit 3 executes 1..3: clients 0, 2, 3. */
	cr_assert_eq(d.commits, 3);
	cr_assert_eq(d.commit_client[0], 0);
	cr_assert_eq(d.commit_client[1], 2);
	cr_assert_eq(d.commit_client[2], 3);
	drv_close(&d);
}

/* The log, term and commit index survive a restart: entries appended,
 * crash, restart; the leader's next AppendEntries (prev = 2) matches, and
 * the committed ones are not committed twice. */
Test(raft, restart_keeps_the_log)
{
	struct drv d = {0};
	struct fr a1 = mk_entry(1, 0, 1, "put a 1"),
		  a2 = mk_entry(1, 1, 1, "put b 1"),
		  a3 = mk_entry(1, 2, 1, "put c 1");
	struct fr two[2] = {a1, a2};
	const struct sent *s;

	drv_open(&d, 3, 1, 0, false);
	deliver(&d, mk_append(0, 1, 0, 0, 1, two, 2));
	cr_assert_eq(d.commits, 1);
	drv_crash(&d);
	d.commits = 0;
	drv_open(&d, 3, 1, 0, true);
	cr_assert_eq(d.restored, 1, "no word of the replayed state");
	cr_assert_eq(d.commits, 0, "committed again from the log");
	deliver(&d, mk_append(0, 1, 2, 1, 3, &a3, 1));
	s = last_sent(&d, RAFT_APPEND_OK, 0);
	cr_assert(s && s->m.ok.success && s->m.ok.match == 3,
		  "the log was lost");
	cr_assert_eq(d.commits, 2); /* entries 2 and 3 */
	cr_assert_eq(d.commit_slot[0], 2);
	drv_close(&d);
}

/* Bounded memory: a follower holds at most window + checkpoint + 1
 * entries (here 1 + 1 + 1 = 3 of an APPEND of 5), and keeps one slot for
 * the entry of its own term should it be elected (§8): elected with its
 * log full, it appends it, replicates, and commits the log. */
Test(raft, a_full_follower_keeps_room_for_its_own_term)
{
	struct drv d = {0};
	struct fr e[5];
	const struct sent *s;

	for (uint32_t i = 0; i < 5; i++)
		e[i] = mk_entry(1, i % 4, 1 + i / 4, "put a 1");
	drv_window = 1;
	drv_checkpoint = 1;
	drv_open(&d, 3, 0, 0, false);
	deliver(&d, mk_append(1, 1, 0, 0, 0, e, 5));
	s = last_sent(&d, RAFT_APPEND_OK, 1);
	cr_assert(s && s->m.ok.success);
	cr_assert_eq(s->m.ok.match, 3, "held %" PRIu64 " of 5", s->m.ok.match);
	fire(&d, RAFT_TIMER_ELECTION); /* term 2 */
	deliver(&d, mk_vote(2, 2, 0));
	cr_assert_eq(d.last_view, 2);
	s = last_sent(&d, RAFT_APPEND, 2);
	cr_assert_not_null(s);
	deliver(&d, mk_ok(2, 2, 4));
	cr_assert_eq(d.commits, 3, "its log of 3 requests did not commit");
	drv_close(&d);
	drv_window = 16;
	drv_checkpoint = 64;
}

/* ---- the commit rule (§5.4.2) ---------------------------------------- */

/* Replica 0 leads term 1 of n = 5 with a request at index 2: one ack of
 * index 2 (2 of 5) commits nothing, two (3 of 5) commit. Returns the
 * commits after one ack. */
static size_t commit_minority_scenario(uint32_t mut, size_t *after_two)
{
	struct drv d = {0};
	struct wire_buf b;
	size_t s, c;

	drv_open(&d, 5, 0, mut, false);
	fire(&d, RAFT_TIMER_ELECTION);
	deliver(&d, mk_vote(1, 1, 0));
	deliver(&d, mk_vote(2, 1, 0));
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(
	    wire_enc_request(&b, &s, 3, 1, (const uint8_t *)"put k v", 7), 0);
	deliver(&d, sign(&b, s, BYZ_ROLE_CLIENT, 3));
	wire_buf_free(&b);
	deliver(&d, mk_ok(1, 1, 2));
	c = d.commits;
	deliver(&d, mk_ok(2, 1, 2));
	*after_two = d.commits;
	drv_close(&d);
	return c;
}

Test(raft, commit_needs_a_majority_of_n)
{
	size_t two;

	cr_assert_eq(commit_minority_scenario(0, &two), 0,
		     "committed on 2 of 5");
	cr_assert_eq(two, 1, "3 of 5 did not commit");
	cr_assert_eq(commit_minority_scenario(mutant("commit-minority"), &two),
		     1);
}

/*
 * Figure 8: replica 0 (n = 3) holds entry 1 of term 2 from leader 1,
 * not committed. It leads term 3 and appends its no-op at index 2. Its
 * follower 2 acknowledges index 1 only: a majority holds entry 1, but
 * entry 1 is of term 2, so it must not commit it by counting (another
 * leader could still overwrite it, Figure 8 (d)); once index 2 of term 3
 * is on a majority, both commit. Returns the commits after the first ack.
 */
static size_t figure8_scenario(uint32_t mut, size_t *after_current)
{
	struct drv d = {0};
	struct fr e = mk_entry(2, 1, 1, "put x 2");
	size_t c;

	drv_open(&d, 3, 0, mut, false);
	deliver(&d, mk_append(1, 2, 0, 0, 0, &e, 1));
	fire(&d, RAFT_TIMER_ELECTION); /* term 3 */
	deliver(&d, mk_vote(2, 3, 0));
	cr_assert_eq(d.last_view, 3);
	deliver(&d, mk_ok(2, 3, 1));
	c = d.commits;
	deliver(&d, mk_ok(2, 3, 2));
	*after_current = d.commits;
	drv_close(&d);
	return c;
}

Test(raft, figure8_old_term_entries_commit_only_indirectly)
{
	size_t after;

	cr_assert_eq(figure8_scenario(0, &after), 0,
		     "committed an entry of term 2 by counting");
	cr_assert_eq(after, 1,
		     "an entry of term 3 on a majority commits "
		     "the log up to it");
	cr_assert_eq(figure8_scenario(mutant("commit-old-term"), &after), 1);
}

/* ---- InstallSnapshot (§7) -------------------------------------------- */

Test(raft, snapshot_installs_and_the_log_goes_on_from_it)
{
	struct app_limits lim = {.max_keys = 64, .max_clients = 4};
	struct drv d = {0};
	struct fr e = mk_entry(1, 1, 1, "put b 2");
	struct wire_buf snap, b;
	struct app *a;
	const uint8_t *res;
	size_t rl, s;
	const struct sent *x;

	cr_assert_eq(app_new(&lim, &a), 0);
	cr_assert_eq(
	    app_execute(a, 0, 1, (const uint8_t *)"put a 1", 7, &res, &rl),
	    APP_EXECUTED);
	wire_buf_init(&snap, WIRE_MAX_FRAME);
	cr_assert_eq(app_snapshot(a, &snap), 0);
	app_destroy(&a);
	wire_buf_init(&b, WIRE_MAX_FRAME);
	cr_assert_eq(
	    raft_enc_snapshot(&b, &s, 0, 1, 10, 1, snap.data, snap.len), 0);
	drv_open(&d, 3, 2, 0, false);
	deliver(&d, sign(&b, s, BYZ_ROLE_REPLICA, 0));
	cr_assert_eq(d.restored, 1);
	x = last_sent(&d, RAFT_APPEND_OK, 0);
	cr_assert(x && x->m.ok.success && x->m.ok.match == 10);
	deliver(&d, mk_append(0, 1, 10, 1, 11, &e, 1));
	x = last_sent(&d, RAFT_APPEND_OK, 0);
	cr_assert(x && x->m.ok.success && x->m.ok.match == 11);
	cr_assert_eq(d.commits, 1);
	cr_assert_eq(d.commit_slot[0], 11);
	/* And after a restart it is still there (the WAL was replaced). */
	drv_crash(&d);
	d.nsent = 0;
	drv_open(&d, 3, 2, 0, true);
	deliver(&d, mk_append(0, 1, 11, 1, 11, NULL, 0));
	x = last_sent(&d, RAFT_APPEND_OK, 0);
	cr_assert(x && x->m.ok.success && x->m.ok.match == 11);
	drv_close(&d);
	wire_buf_free(&snap);
	wire_buf_free(&b);
}

/* ---- bounded decoding ------------------------------------------------ */

Test(raft, decoding_is_bounded)
{
	struct fr e = mk_entry(1, 0, 1, "put a 1");
	struct fr two[2] = {e, e};
	struct fr f = mk_append(0, 1, 0, 0, 0, two, 2);
	struct wire_buf b;
	struct wire_msg m;
	uint8_t *x = keep(f.p, f.len);
	size_t s;

	cr_assert_eq(wire_decode(f.p, f.len, &m), 0);
	/* Every cut of the body is refused, never read past. */
	for (size_t cut = WIRE_HEADER_BYTES; cut < f.len - BYZ_SIG_BYTES;
	     cut++) {
		struct wire_buf c;
		wire_buf_init(&c, WIRE_MAX_FRAME);
		wire_put_bytes(&c, f.p, cut);
		/* patch the body length to the cut */
		uint32_t body = (uint32_t)(cut - WIRE_HEADER_BYTES);
		for (int k = 0; k < 4; k++)
			c.data[10 + k] = (uint8_t)(body >> (8 * k));
		cr_assert_neq(wire_decode_unsigned(c.data, c.len, &m), 0,
			      "a body cut at %zu decoded", cut);
		wire_buf_free(&c);
	}
	/* A count above what follows. */
	x[WIRE_HEADER_BYTES + 32] = 0xff;
	x[WIRE_HEADER_BYTES + 33] = 0x00;
	cr_assert_neq(wire_decode_unsigned(x, f.len - BYZ_SIG_BYTES, &m), 0);
	/* Fields the format forbids. */
	wire_buf_init(&b, 4096);
	cr_assert_neq(raft_enc_vote_req(&b, &s, 0, 0, 0, 0), 0, "term 0");
	cr_assert_neq(raft_enc_vote_req(&b, &s, 0, 1, 5, 2), 0,
		      "last term above the term");
	cr_assert_neq(raft_enc_append(&b, &s, 0, 1, 4, 0, 0, NULL, NULL, 0), 0,
		      "prev index without a term");
	cr_assert_neq(raft_enc_append_ok(&b, &s, 0, 1, true, 5, 4), 0,
		      "match above last");
	cr_assert_neq(raft_enc_snapshot(&b, &s, 0, 1, 0, 1, NULL, 0), 0,
		      "snapshot of index 0");
	/* An entry of term 2 in an APPEND of term 1. */
	{
		struct fr e2 = mk_entry(2, 0, 1, "put a 1");
		cr_assert_neq(
		    raft_enc_append(&b, &s, 0, 1, 0, 0, 0, &e2.p, &e2.len, 1),
		    0);
	}
	wire_buf_free(&b);
}

/* ---- simulator runs --------------------------------------------------- */

static void run(struct scenario *sc, struct scenario_result *r)
{
	cr_assert_eq(scenario_run(sc, NULL, r), 0);
}

/*
 * Fault-free, batch 1, one client: every request is one entry (the
 * first one too: the leader's first entry of term 1 carries the request
 * pending when it was elected), and one decision costs an APPEND to each
 * of n-1 followers, their n-1 APPEND_OKs, an APPEND with the new commit
 * index to each and its APPEND_OK: 4(n-1); besides, the election (n-1
 * VOTE_REQs, n-1 VOTEs). No heartbeat: a follower sent something within
 * the heartbeat interval gets none.
 */
Test(raft, fault_free_counts, .timeout = 300)
{
	static const uint32_t ns[] = {3, 5, 7};

	for (size_t i = 0; i < 3; i++) {
		struct scenario sc;
		struct scenario_result r;
		uint64_t n, d;

		scenario_defaults(&sc);
		sc.ops = ops();
		sc.n = ns[i];
		sc.f = (sc.n - 1) / 3;
		sc.clients = 1;
		sc.requests = 10;
		sc.batch = 1;
		n = sc.n;
		d = (uint64_t)sc.clients * sc.requests;
		run(&sc, &r);
		cr_assert_eq(r.verdict, VERDICT_PASS, "n=%u: %s", sc.n, r.why);
		cr_assert_eq(r.min_height, d);
		cr_assert_eq(r.counts.sent[RAFT_PROTO][RAFT_VOTE_REQ], n - 1);
		cr_assert_eq(r.counts.sent[RAFT_PROTO][RAFT_VOTE], n - 1);
		cr_assert_eq(r.counts.sent[RAFT_PROTO][RAFT_APPEND],
			     2 * d * (n - 1), "n=%u", sc.n);
		cr_assert_eq(r.counts.sent[RAFT_PROTO][RAFT_APPEND_OK],
			     2 * d * (n - 1), "n=%u", sc.n);
		cr_assert_eq(r.counts.sent[RAFT_PROTO][RAFT_SNAPSHOT], 0);
	}
}

/* The first leader crashes for good: another is elected and every
 * request still commits at the live replicas (n = 5 survives f = 2). */
Test(raft, crashed_leader_is_replaced, .timeout = 300)
{
	struct scenario sc;
	struct scenario_result r;

	scenario_defaults(&sc);
	sc.ops = ops();
	sc.n = 5;
	sc.f = 1;
	sc.clients = 2;
	sc.requests = 5;
	sc.crashes[0] = (struct sim_crash){.replica = 0, .at_us = 30000};
	sc.crashes[1] = (struct sim_crash){.replica = 1, .at_us = 40000};
	sc.ncrashes = 2;
	run(&sc, &r);
	cr_assert_eq(r.verdict, VERDICT_PASS, "%s", r.why);
}
