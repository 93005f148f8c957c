/*
 * audit.c - the output rules' watch (audit.h).
 */
#include "audit.h"

#include "err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct audit_slot {
	bool used;
	struct byz_vote v;
};

/* A frame a later message may cite by its digest (core.h, audit_keep). */
struct audit_kept {
	uint8_t digest[BYZ_DIGEST_BYTES];
	uint8_t *bytes; /* NULL: unused */
	size_t len;
};

struct audit {
	const struct byz_core_ops *ops;
	struct byz_config cfg;
	struct audit_slot *slots[BYZ_MAX_N]; /* AUDIT_SLOTS each, or NULL */
	struct audit_kept *kept[BYZ_MAX_N];  /* AUDIT_KEEP each, or NULL */
	uint32_t kept_next[BYZ_MAX_N];	     /* the oldest, replaced next */
	/* The lock rule's state (core.h, audit_lock): the run's, and each
	 * replica's (allocated on its first message), or NULL. */
	void *lock_shared;
	void *lock_st[BYZ_MAX_N];
};

int audit_new(const struct byz_core_ops *ops, const struct byz_config *cfg,
	      struct audit **out)
{
	*out = NULL;
	if (!ops->audit)
		return 0;
	*out = calloc(1, sizeof **out);
	if (!*out)
		return BYZ_ENOMEM;
	(*out)->ops = ops;
	(*out)->cfg = *cfg;
	if (ops->audit_lock &&
	    !((*out)->lock_shared = calloc(1, ops->audit_shared + 1))) {
		audit_free(out);
		return BYZ_ENOMEM;
	}
	return 0;
}

void audit_free(struct audit **a)
{
	if (!*a)
		return;
	for (uint32_t r = 0; r < BYZ_MAX_N; r++) {
		free((*a)->slots[r]);
		if ((*a)->kept[r])
			for (uint32_t k = 0; k < AUDIT_KEEP; k++)
				free((*a)->kept[r][k].bytes);
		free((*a)->kept[r]);
		free((*a)->lock_st[r]);
	}
	free((*a)->lock_shared);
	free(*a);
	*a = NULL;
}

void audit_forget(struct audit *a, uint32_t r)
{
	if (a && r < BYZ_MAX_N && a->slots[r])
		memset(a->slots[r], 0, AUDIT_SLOTS * sizeof *a->slots[r]);
	if (a && r < BYZ_MAX_N && a->lock_st[r])
		memset(a->lock_st[r], 0, a->ops->audit_lock_st);
}

/* The protocol state of replica r (core.h, audit_lock), or NULL. */
static void *lock_state(struct audit *a, struct trace *tr, uint32_t r)
{
	if (!a->lock_st[r] &&
	    !(a->lock_st[r] = calloc(1, a->ops->audit_lock_st + 1)) && tr &&
	    !tr->err)
		tr->err = BYZ_ENOMEM;
	return a->lock_st[r];
}

void audit_commit(struct audit *a, struct trace *tr, uint64_t now, uint32_t r,
		  const struct byz_commit *c)
{
	char why[TRACE_FAULT_TEXT], text[2 * TRACE_FAULT_TEXT];
	void *st;

	if (!a || r >= a->cfg.n || !a->ops->audit_decide ||
	    !(st = lock_state(a, tr, r)))
		return;
	if (!a->ops->audit_decide(&a->cfg, a->lock_shared, st, c, why,
				  sizeof why))
		return;
	snprintf(text, sizeof text, "replica %" PRIu32 " %s", r, why);
	trace_fault(tr, now, r, TRACE_RULE_DECIDE, text);
}

/* The lock rule on m, received (sent false) or sent by honest replica r. */
static void audit_lock(struct audit *a, struct trace *tr, uint64_t now,
		       uint32_t r, const struct wire_msg *m, bool sent)
{
	char why[TRACE_FAULT_TEXT], text[2 * TRACE_FAULT_TEXT];

	if (!a->ops->audit_lock || !lock_state(a, tr, r))
		return;
	if (!a->ops->audit_lock(&a->cfg, a->lock_shared, a->lock_st[r], m, sent,
				why, sizeof why) ||
	    !tr)
		return;
	snprintf(text, sizeof text, "replica %" PRIu32 " sent %s/%s %s", r,
		 a->ops->name, wire_type_name(m->frame.proto, m->frame.type),
		 why);
	trace_fault(tr, now, r, TRACE_RULE_LOCK, text);
}

static uint32_t audit_hash(const struct byz_vote *v)
{
	uint64_t h = v->kind * 0x9e3779b97f4a7c15ull;

	h ^= v->view + 0x632be59bd9b4e019ull + (h << 6) + (h >> 2);
	h ^= v->slot + 0x94d049bb133111ebull + (h << 6) + (h >> 2);
	return (uint32_t)(h ^ (h >> 32)) % AUDIT_SLOTS;
}

/* The vote's entry: an equal key, or where to put it (probing a few
 * slots, then replacing the first). */
static struct audit_slot *audit_find(struct audit_slot *tab,
				     const struct byz_vote *v)
{
	uint32_t h = audit_hash(v);
	struct audit_slot *free_sl = NULL;

	for (uint32_t k = 0; k < 8; k++) {
		struct audit_slot *s = &tab[(h + k) % AUDIT_SLOTS];
		if (!s->used) {
			if (!free_sl)
				free_sl = s;
			continue;
		}
		if (s->v.kind == v->kind && s->v.view == v->view &&
		    s->v.slot == v->slot)
			return s;
	}
	return free_sl ? free_sl : &tab[h];
}

static void audit_vote(struct audit *a, struct trace *tr, uint64_t now,
		       uint32_t r, const struct byz_vote *v)
{
	struct audit_slot *s;
	char text[TRACE_FAULT_TEXT], was[9], now_d[9];

	if (!a->slots[r] &&
	    !(a->slots[r] = calloc(AUDIT_SLOTS, sizeof *a->slots[r]))) {
		if (!tr->err)
			tr->err = BYZ_ENOMEM;
		return;
	}
	s = audit_find(a->slots[r], v);
	if (s->used && s->v.kind == v->kind && s->v.view == v->view &&
	    s->v.slot == v->slot) {
		if (!memcmp(s->v.digest, v->digest, BYZ_DIGEST_BYTES))
			return; /* said again, the same */
		byz_hex(was, s->v.digest, 4);
		byz_hex(now_d, v->digest, 4);
		snprintf(text, sizeof text,
			 "replica %" PRIu32 " sent two %s/%s for view %" PRIu64
			 " slot %" PRIu64 ": %s, then %s",
			 r, a->ops->name,
			 wire_type_name(a->ops->proto, v->kind), v->view,
			 v->slot, was, now_d);
		trace_fault(tr, now, r, TRACE_RULE_VOTE_ONCE, text);
		return;
	}
	s->used = true;
	s->v = *v;
}

/* Remember the frame m is or carries that a later message may cite by
 * digest: the AUDIT_KEEP most recent distinct ones of each sender. */
static int audit_keep(struct audit *a, const struct wire_msg *m)
{
	struct wire_frame f;
	struct audit_kept *k;
	uint32_t s;

	if (!a->ops->audit_keep || !a->ops->audit_keep(m, &f))
		return 0;
	s = f.sender;
	if (s >= a->cfg.n)
		return 0;
	if (!a->kept[s] &&
	    !(a->kept[s] = calloc(AUDIT_KEEP, sizeof *a->kept[s])))
		return BYZ_ENOMEM;
	for (uint32_t i = 0; i < AUDIT_KEEP; i++)
		if (a->kept[s][i].bytes && a->kept[s][i].len == f.len &&
		    !memcmp(a->kept[s][i].bytes, f.bytes, f.len))
			return 0; /* held already */
	k = &a->kept[s][a->kept_next[s]];
	free(k->bytes);
	k->bytes = malloc(f.len);
	if (!k->bytes)
		return BYZ_ENOMEM;
	memcpy(k->bytes, f.bytes, f.len);
	k->len = f.len;
	byz_digest(k->digest, f.bytes, f.len);
	a->kept_next[s] = (a->kept_next[s] + 1) % AUDIT_KEEP;
	return 0;
}

static int audit_find_kept(void *ctx, uint32_t sender, const uint8_t *digest,
			   const uint8_t **bytes, size_t *len)
{
	const struct audit *a = ctx;

	if (sender >= a->cfg.n || !a->kept[sender])
		return 0;
	for (uint32_t i = 0; i < AUDIT_KEEP; i++) {
		const struct audit_kept *k = &a->kept[sender][i];
		if (k->bytes && !memcmp(k->digest, digest, BYZ_DIGEST_BYTES)) {
			*bytes = k->bytes;
			*len = k->len;
			return 1;
		}
	}
	return 0;
}

void audit_input(struct audit *a, uint32_t r, const struct wire_msg *m)
{
	if (!a || r >= a->cfg.n || m->frame.proto != a->ops->proto)
		return;
	(void)audit_keep(a, m); /* out of memory: judged less */
	audit_lock(a, NULL, 0, r, m, false);
}

void audit_output(struct audit *a, struct trace *tr, uint64_t now, uint32_t r,
		  const uint8_t *frame, size_t len)
{
	struct wire_msg m;
	struct byz_vote v;
	bool is_vote = false;
	const char *why;
	char nv_why[TRACE_FAULT_TEXT];

	if (!a || r >= a->cfg.n || wire_decode(frame, len, &m) ||
	    m.frame.proto != a->ops->proto)
		return;
	if (audit_keep(a, &m) && !tr->err)
		tr->err = BYZ_ENOMEM;
	if (a->ops->audit_new_view &&
	    a->ops->audit_new_view(&a->cfg, &m, audit_find_kept, a, nv_why,
				   sizeof nv_why)) {
		char text[2 * TRACE_FAULT_TEXT]; /* trace_fault cuts it */
		snprintf(text, sizeof text, "replica %" PRIu32 " sent %s/%s %s",
			 r, a->ops->name,
			 wire_type_name(m.frame.proto, m.frame.type), nv_why);
		trace_fault(tr, now, r, TRACE_RULE_NEW_VIEW, text);
	}
	why = a->ops->audit(&a->cfg, &m, &v, &is_vote);
	if (why) {
		char text[TRACE_FAULT_TEXT];
		snprintf(text, sizeof text,
			 "replica %" PRIu32 " sent %s/%s with %s", r,
			 a->ops->name,
			 wire_type_name(m.frame.proto, m.frame.type), why);
		trace_fault(tr, now, r, TRACE_RULE_CERTIFICATE, text);
	}
	if (is_vote)
		audit_vote(a, tr, now, r, &v);
	audit_lock(a, tr, now, r, &m, true);
}
