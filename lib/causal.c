/*
 * causal.c - vector clocks over a run and the causality check (causal.h).
 *
 * Process k's clock vc_k[j] counts the events of process j that happened
 * before k's latest event (its own entry, its own events). A send takes a
 * snapshot of the sender's clock; a receipt merges the snapshot into the
 * receiver's (entrywise maximum) and counts an event. Snapshots are shared:
 * a process keeps its clock as of its last change in a reference-counted
 * copy, and every send until the next change refers to that copy plus its
 * own count, so a broadcast costs one copy, not n.
 *
 * The quorum check needs, for replica j and request q of client c, the
 * first event of j that happened after q's submission: the first at which
 * vc_j[c] reached the client's count at the submission. Each time a
 * receipt raises vc_j[c], (the new value, j's own count) is recorded, and
 * the first record at or above the submission's count is that event.
 */
#include "causal.h"

#include "core.h"
#include "err.h"
#include "trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Clients tracked at most (ids above are left out of the clocks). */
#define CAUSAL_MAX_CLIENTS 4096u
/* Receipts of messages not (yet) sent, remembered at most (real traces
 * only; beyond, they are counted). */
#define CAUSAL_MAX_EARLY 4096u

struct version {
	uint32_t refs;
	uint32_t len;
	uint32_t vc[]; /* len entries */
};

struct mark { /* vc_j[c] reached value at j's event `at` */
	uint32_t value, at;
};

struct marks {
	struct mark *m;
	uint32_t len, cap;
};

struct proc {
	uint32_t *vc;	     /* dim entries */
	struct version *ver; /* the clock as of its last change, or NULL */
	bool dirty;	     /* changed since ver was taken */
};

struct flight {	       /* a message in flight */
	uint32_t from; /* its sender's address */
	uint64_t id;
	struct version *ver;
	uint32_t own; /* the sender's own count at the send */
	uint64_t lc;
	bool used;
};

struct submit {
	uint64_t ts;
	uint32_t at; /* the client's own count at the submission */
};

struct subs {
	struct submit *s;
	uint32_t len, cap;
};

struct causal {
	uint32_t n, quorum, dim; /* dim: 2n + clients tracked */
	bool strict;
	struct trace_log *log;
	struct proc *procs;  /* dim */
	struct marks *marks; /* [2n][clients]: replicas and twins */
	uint32_t clients;    /* tracked so far */
	struct subs *subs;   /* per client */
	struct flight *fl;   /* open addressing on (from, id) */
	size_t fl_cap, fl_used;
	struct early {
		uint32_t from, to;
		uint64_t id, t;
	} early[CAUSAL_MAX_EARLY];
	size_t nearly, early_dropped;
	int err;
};

static uint32_t proc_of(const struct causal *c, uint32_t addr)
{
	if (byz_is_client_addr(addr)) {
		uint32_t k = addr - BYZ_CLIENT_BASE;
		return k < CAUSAL_MAX_CLIENTS ? 2 * c->n + k : UINT32_MAX;
	}
	if (byz_is_twin_addr(addr)) {
		uint32_t r = byz_addr_replica(addr);
		return r < c->n ? c->n + r : UINT32_MAX;
	}
	return addr < c->n ? addr : UINT32_MAX;
}

static void ver_put(struct version **v)
{
	if (*v && !--(*v)->refs)
		free(*v);
	*v = NULL;
}

/* Grow every clock to cover client k (dim = 2n + k + 1). */
static int grow_clients(struct causal *c, uint32_t k)
{
	uint32_t dim = 2 * c->n + k + 1, old = c->dim;
	struct proc *p;
	struct subs *s;

	if (k >= CAUSAL_MAX_CLIENTS)
		return BYZ_EINVAL;
	if (dim <= c->dim)
		return 0;
	p = realloc(c->procs, dim * sizeof *p);
	if (!p)
		return BYZ_ENOMEM;
	c->procs = p;
	memset(p + old, 0, (dim - old) * sizeof *p);
	for (uint32_t i = 0; i < dim; i++) {
		uint32_t *vc = realloc(p[i].vc, dim * sizeof *vc);
		if (!vc)
			return BYZ_ENOMEM;
		memset(vc + (i < old ? old : 0), 0,
		       (dim - (i < old ? old : 0)) * sizeof *vc);
		p[i].vc = vc;
	}
	s = realloc(c->subs, (k + 1) * sizeof *s);
	if (!s)
		return BYZ_ENOMEM;
	memset(s + c->clients, 0, (k + 1 - c->clients) * sizeof *s);
	c->subs = s;
	{
		/* marks: [2n][clients], re-laid out for k + 1 clients */
		struct marks *nm =
		    calloc((size_t)2 * c->n * (k + 1), sizeof *nm);
		if (!nm)
			return BYZ_ENOMEM;
		for (uint32_t j = 0; j < 2 * c->n; j++)
			for (uint32_t cl = 0; cl < c->clients; cl++)
				nm[(size_t)j * (k + 1) + cl] =
				    c->marks[(size_t)j * c->clients + cl];
		free(c->marks);
		c->marks = nm;
	}
	c->clients = k + 1;
	c->dim = dim;
	return 0;
}

struct causal *causal_new(uint32_t n, uint32_t quorum, bool strict,
			  struct trace_log *log)
{
	struct causal *c = calloc(1, sizeof *c);

	if (!c || !n || n > BYZ_MAX_N) {
		free(c);
		return NULL;
	}
	c->n = n;
	c->quorum = quorum;
	c->strict = strict;
	c->log = log;
	c->dim = 2 * n;
	c->procs = calloc(c->dim, sizeof *c->procs);
	if (!c->procs) {
		free(c);
		return NULL;
	}
	for (uint32_t i = 0; i < c->dim; i++)
		if (!(c->procs[i].vc = calloc(c->dim, sizeof(uint32_t)))) {
			causal_free(&c);
			return NULL;
		}
	return c;
}

void causal_free(struct causal **cp)
{
	struct causal *c = *cp;

	if (!c)
		return;
	for (uint32_t i = 0; c->procs && i < c->dim; i++) {
		free(c->procs[i].vc);
		ver_put(&c->procs[i].ver);
	}
	for (size_t i = 0; i < c->fl_cap; i++)
		if (c->fl[i].used)
			ver_put(&c->fl[i].ver);
	for (size_t i = 0; c->marks && i < (size_t)2 * c->n * c->clients; i++)
		free(c->marks[i].m);
	for (uint32_t i = 0; c->subs && i < c->clients; i++)
		free(c->subs[i].s);
	free(c->fl);
	free(c->marks);
	free(c->subs);
	free(c->procs);
	free(c);
	*cp = NULL;
}

static uint64_t fl_hash(uint32_t from, uint64_t id)
{
	uint64_t h =
	    id * 0x9e3779b97f4a7c15ull ^ (uint64_t)from * 0xbf58476d1ce4e5b9ull;
	return h ^ h >> 31;
}

static struct flight *fl_find(struct causal *c, uint32_t from, uint64_t id)
{
	if (!c->fl_cap)
		return NULL;
	for (size_t i = fl_hash(from, id) & (c->fl_cap - 1);;
	     i = (i + 1) & (c->fl_cap - 1)) {
		if (!c->fl[i].used)
			return NULL;
		if (c->fl[i].from == from && c->fl[i].id == id)
			return &c->fl[i];
	}
}

/* Remove slot f (backward-shift deletion keeps the probe chains). */
static void fl_remove(struct causal *c, struct flight *f)
{
	size_t i = (size_t)(f - c->fl), mask = c->fl_cap - 1;

	ver_put(&f->ver);
	f->used = false;
	c->fl_used--;
	for (size_t j = (i + 1) & mask; c->fl[j].used; j = (j + 1) & mask) {
		size_t home = fl_hash(c->fl[j].from, c->fl[j].id) & mask;
		/* can j move to i? (home not cyclically in (i, j]) */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			c->fl[i] = c->fl[j];
			c->fl[j].used = false;
			c->fl[j].ver = NULL;
			i = j;
		}
	}
}

static int fl_insert(struct causal *c, const struct flight *f)
{
	if ((c->fl_used + 1) * 2 > c->fl_cap) {
		size_t cap = c->fl_cap ? 2 * c->fl_cap : 1024;
		struct flight *old = c->fl, *nf = calloc(cap, sizeof *nf);
		size_t ocap = c->fl_cap;
		if (!nf)
			return BYZ_ENOMEM;
		c->fl = nf;
		c->fl_cap = cap;
		c->fl_used = 0;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].used)
				(void)fl_insert(c, &old[i]);
		free(old);
	}
	for (size_t i = fl_hash(f->from, f->id) & (c->fl_cap - 1);;
	     i = (i + 1) & (c->fl_cap - 1))
		if (!c->fl[i].used) {
			c->fl[i] = *f;
			c->fl[i].used = true;
			c->fl_used++;
			return 0;
		}
}

__attribute__((format(printf, 5, 6))) static void
violation(struct causal *c, uint64_t t, uint32_t replica, uint64_t height,
	  const char *fmt, ...)
{
	struct trace_causal v = {.t = t, .replica = replica, .height = height};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v.text, sizeof v.text, fmt, ap);
	va_end(ap);
	if (trace_log_add_causal(c->log, &v))
		c->err = BYZ_ENOMEM;
}

int causal_send(struct causal *c, uint32_t from, uint64_t id, uint64_t lc)
{
	uint32_t k = proc_of(c, from);
	struct proc *p;
	struct flight f = {.from = from, .id = id, .lc = lc};

	if (k == UINT32_MAX || c->err)
		return c->err;
	if (k >= c->dim && grow_clients(c, k - 2 * c->n))
		return c->err = BYZ_ENOMEM;
	p = &c->procs[k];
	p->vc[k]++;
	if (!p->ver || p->dirty) {
		struct version *v =
		    malloc(sizeof *v + (size_t)c->dim * sizeof(uint32_t));
		if (!v)
			return c->err = BYZ_ENOMEM;
		v->refs = 1;
		v->len = c->dim;
		memcpy(v->vc, p->vc, (size_t)c->dim * sizeof(uint32_t));
		ver_put(&p->ver);
		p->ver = v;
		p->dirty = false;
	}
	f.ver = p->ver;
	f.ver->refs++;
	f.own = p->vc[k];
	{
		struct flight *old = fl_find(c, from, id);
		if (old) /* an id sent twice: the later send counts */
			fl_remove(c, old);
	}
	if (fl_insert(c, &f)) {
		ver_put(&f.ver);
		return c->err = BYZ_ENOMEM;
	}
	/* a receipt of it seen before it (real traces): out of order */
	for (size_t i = 0; i < c->nearly; i++)
		if (c->early[i].from == from && c->early[i].id == id) {
			char a[16], b[16];
			violation(c, c->early[i].t, UINT32_MAX, 0,
				  "%s received message %" PRIu64
				  " from %s before %s sent it",
				  trace_node_name(b, c->early[i].to), id,
				  trace_node_name(a, from),
				  trace_node_name(a, from));
			c->early[i] = c->early[--c->nearly];
			break;
		}
	return c->err;
}

static int mark(struct causal *c, uint32_t j, uint32_t cl, uint32_t value,
		uint32_t at)
{
	struct marks *m = &c->marks[(size_t)j * c->clients + cl];

	if (m->len == m->cap) {
		uint32_t cap = m->cap ? 2 * m->cap : 8;
		struct mark *nm = realloc(m->m, cap * sizeof *nm);
		if (!nm)
			return BYZ_ENOMEM;
		m->m = nm;
		m->cap = cap;
	}
	m->m[m->len++] = (struct mark){value, at};
	return 0;
}

int causal_receive(struct causal *c, uint32_t from, uint32_t to, uint64_t id,
		   uint64_t t, uint64_t lc, bool delivered)
{
	uint32_t k = proc_of(c, to);
	struct flight *f;
	struct proc *p;

	if (c->err)
		return c->err;
	f = fl_find(c, from, id);
	if (!f) {
		if (c->nearly < CAUSAL_MAX_EARLY)
			c->early[c->nearly++] = (struct early){
			    .from = from, .to = to, .id = id, .t = t};
		else
			c->early_dropped++;
		return 0;
	}
	if (lc && f->lc && lc <= f->lc) {
		char a[16], b[16];
		violation(c, t, UINT32_MAX, 0,
			  "%s received message %" PRIu64 " from %s at Lamport "
			  "clock %" PRIu64 ", not after its send's %" PRIu64,
			  trace_node_name(b, to), id, trace_node_name(a, from),
			  lc, f->lc);
	}
	if (!delivered || k == UINT32_MAX) {
		fl_remove(c, f);
		return c->err;
	}
	if (k >= c->dim && grow_clients(c, k - 2 * c->n)) {
		fl_remove(c, f);
		return c->err = BYZ_ENOMEM;
	}
	p = &c->procs[k];
	p->vc[k]++;
	{
		uint32_t sender = proc_of(c, from);
		const struct version *v = f->ver;
		uint32_t len = v->len < c->dim ? v->len : c->dim;
		uint32_t nrep = len < 2 * c->n ? len : 2 * c->n;
		uint32_t *vc = p->vc, changed = 0;

		/* the replicas' and twins' entries: a plain maximum (no
		 * branch, so the compiler vectorises it) */
		for (uint32_t i = 0; i < nrep; i++) {
			uint32_t x = v->vc[i], y = vc[i];
			uint32_t m = x > y ? x : y;
			changed |= m ^ y;
			vc[i] = m;
		}
		/* the clients': each rise is a mark for the quorum check */
		for (uint32_t i = nrep; i < len; i++) {
			uint32_t x = v->vc[i];
			if (x <= vc[i])
				continue;
			vc[i] = x;
			changed = 1;
			if (k < 2 * c->n && mark(c, k, i - 2 * c->n, x, vc[k]))
				c->err = BYZ_ENOMEM;
		}
		/* the sender's own count at the send */
		if (sender != UINT32_MAX && f->own > vc[sender]) {
			vc[sender] = f->own;
			changed = 1;
			if (sender >= 2 * c->n && k < 2 * c->n &&
			    mark(c, k, sender - 2 * c->n, f->own, vc[k]))
				c->err = BYZ_ENOMEM;
		}
		if (changed)
			p->dirty = true;
	}
	fl_remove(c, f);
	return c->err;
}

int causal_submit(struct causal *c, uint32_t client, uint64_t ts)
{
	struct subs *s;
	uint32_t k;

	if (client >= CAUSAL_MAX_CLIENTS || c->err)
		return c->err;
	k = 2 * c->n + client;
	if (k >= c->dim && grow_clients(c, client))
		return c->err = BYZ_ENOMEM;
	/* the submission is an event of the client; the request it sends
	 * next carries it */
	c->procs[k].vc[k]++;
	c->procs[k].dirty = true;
	s = &c->subs[client];
	if (s->len == s->cap) {
		uint32_t cap = s->cap ? 2 * s->cap : 16;
		struct submit *ns = realloc(s->s, cap * sizeof *ns);
		if (!ns)
			return c->err = BYZ_ENOMEM;
		s->s = ns;
		s->cap = cap;
	}
	s->s[s->len++] = (struct submit){ts, c->procs[k].vc[k]};
	return 0;
}

/* The client's count at the submission of (client, ts), or 0. */
static uint32_t submitted_at(const struct causal *c, uint32_t client,
			     uint64_t ts)
{
	const struct subs *s;

	if (client >= c->clients)
		return 0;
	s = &c->subs[client];
	for (uint32_t i = s->len; i-- > 0;)
		if (s->s[i].ts == ts)
			return s->s[i].at;
	return 0;
}

/* Replica process j's first event at which it knew of the client's event
 * `at` (its own count then), or 0 if it never did. */
static uint32_t first_knew(const struct causal *c, uint32_t j, uint32_t cl,
			   uint32_t at)
{
	const struct marks *m = &c->marks[(size_t)j * c->clients + cl];
	uint32_t lo = 0, hi = m->len;

	while (lo < hi) { /* values increase along the marks */
		uint32_t mid = lo + (hi - lo) / 2;
		if (m->m[mid].value >= at)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < m->len ? m->m[lo].at : 0;
}

int causal_commit(struct causal *c, uint64_t t, uint32_t replica,
		  uint32_t client, uint64_t ts, uint64_t height)
{
	uint32_t k = proc_of(c, replica), at, count = 0;
	char heard[200] = "";
	size_t hl = 0;

	if (c->err || !c->quorum || k == UINT32_MAX || k >= c->n)
		return c->err; /* twins are Byzantine: not judged */
	at = submitted_at(c, client, ts);
	if (!at || client >= c->clients)
		return 0; /* never submitted: the validity checker's */
	for (uint32_t j = 0; j < c->n; j++) {
		bool ok = false;
		for (uint32_t inst = j; inst < 2 * c->n && !ok; inst += c->n) {
			uint32_t e = first_knew(c, inst, client, at);
			ok = e && (inst == k ? e <= c->procs[k].vc[k]
					     : c->procs[k].vc[inst] >= e);
		}
		if (!ok)
			continue;
		count++;
		if (hl < sizeof heard - 8)
			hl +=
			    (size_t)snprintf(heard + hl, sizeof heard - hl,
					     "%sr%" PRIu32, hl ? ", " : "", j);
	}
	if (count < c->quorum)
		violation(c, t, replica, height,
			  "replica %" PRIu32 " committed c%" PRIu32 "/t%" PRIu64
			  " at height %" PRIu64
			  " having heard, before it, from %" PRIu32
			  " replica(s) that had seen the request (%s); a "
			  "decision needs %" PRIu32,
			  replica, client, ts, height, count,
			  hl ? heard : "none", c->quorum);
	return c->err;
}

int causal_finish(struct causal *c)
{
	if (c->err)
		return c->err;
	if (c->strict)
		for (size_t i = 0; i < c->nearly; i++) {
			char a[16], b[16];
			violation(c, c->early[i].t, UINT32_MAX, 0,
				  "%s received message %" PRIu64
				  " from %s, which no line sent",
				  trace_node_name(b, c->early[i].to),
				  c->early[i].id,
				  trace_node_name(a, c->early[i].from));
		}
	c->nearly = 0;
	return c->err;
}

uint32_t causal_clock(const struct causal *c, uint32_t addr,
		      const uint32_t **vc)
{
	uint32_t k = proc_of(c, addr);

	if (k == UINT32_MAX || k >= c->dim)
		return 0;
	*vc = c->procs[k].vc;
	return c->dim;
}

void causal_proc_name(const struct causal *c, uint32_t k, char buf[16])
{
	trace_node_name(buf, k < c->n	    ? k
			     : k < 2 * c->n ? byz_twin_addr(k - c->n)
					    : byz_client_addr(k - 2 * c->n));
}
