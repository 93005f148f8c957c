/*
 * interact.c - text-driven interaction tests (tests/testdata/README.md).
 *
 * A script drives a cluster of real cores, one event at a time: deliver,
 * drop, fire a timer, submit a client request, crash, restart. After each
 * command, under `----`, the file holds what the cores did, rendered by
 * the shared golden renderer (golden.h); the driver checks the text it
 * produces against the file, line for line, in the manner of etcd-io/raft's
 * datadriven testdata. BYZLAB_REWRITE=1 writes the produced text back
 * into the file instead (etcd's -rewrite).
 *
 * The driver is the simulator's egress and ingress without its network:
 * every frame a core sends is signed with its sender's key (derived from
 * the seed, as lib/sim.c does), waits in one FIFO of pending messages
 * until a command delivers or drops it, and is decoded and every
 * signature it carries verified before a core sees it. A message a core
 * sends itself, and the PERSISTED answer to a PERSIST, are delivered
 * right after the step (core.h). No protocol is named here.
 *
 * Usage: interact FILE...   (exit 0: every file matched; 1: a mismatch;
 * 2: a script error, with file:line)
 */
#include "core.h"
#include "err.h"
#include "golden.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS   16
#define MAX_FOLLOW 256 /* loopbacks and PERSISTEDs waiting after one step */

/* ---- a script's arguments ---------------------------------------------- */

struct arg {
	char key[32];
	char val[256];
	bool neg; /* key!=val */
};

struct cmd {
	char name[32];
	struct arg a[MAX_ARGS];
	size_t n;
	const char *file;
	size_t line;
};

/* A script error: say where and what, then exit 2. */
static void die(const struct cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
static void die(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%zu: %s: ", c->file, c->line, c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Split a command line into a name and words: key=value, key!=value, or
 * a bare word (key only); a value may be quoted with '...'. */
static int cmd_parse(const char *s, struct cmd *c)
{
	size_t k;

	memset(c->a, 0, sizeof c->a);
	c->n = 0;
	while (*s == ' ')
		s++;
	for (k = 0; *s && *s != ' ' && k + 1 < sizeof c->name; s++)
		c->name[k++] = *s;
	c->name[k] = 0;
	while (*s) {
		struct arg *a = &c->a[c->n];
		char *dst;
		size_t cap;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (c->n == MAX_ARGS)
			return BYZ_ELIMIT;
		dst = a->key;
		cap = sizeof a->key;
		k = 0;
		while (*s && *s != ' ') {
			if (dst == a->key &&
			    (*s == '=' || (s[0] == '!' && s[1] == '='))) {
				a->neg = *s == '!';
				s += a->neg ? 2 : 1;
				dst[k] = 0;
				dst = a->val;
				cap = sizeof a->val;
				k = 0;
				if (*s == '\'') {
					const char *e = strchr(s + 1, '\'');
					if (!e || (size_t)(e - s - 1) >= cap)
						return BYZ_EINVAL;
					memcpy(dst, s + 1, (size_t)(e - s - 1));
					k = (size_t)(e - s - 1);
					s = e + 1;
				}
				continue;
			}
			if (k + 1 >= cap)
				return BYZ_ETOOBIG;
			dst[k++] = *s++;
		}
		dst[k] = 0;
		c->n++;
	}
	return 0;
}

/* The argument named key, or NULL. */
static const struct arg *arg_find(const struct cmd *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->a[i].key, key))
			return &c->a[i];
	return NULL;
}

/* A whole number (with an optional us/ms/s suffix when time is true). */
static uint64_t num_parse(const struct cmd *c, const char *key, const char *s,
			  bool time)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s || !isdigit((unsigned char)*s))
		die(c, "%s=%s: not a number", key, s);
	if (time && !strcmp(end, "ms"))
		return v * 1000;
	if (time && !strcmp(end, "s"))
		return v * 1000000;
	if (time && !strcmp(end, "us"))
		return v;
	if (*end)
		die(c, "%s=%s: not a number%s", key, s,
		    time ? " (a duration: 20ms, 500us, 1s)" : "");
	return v;
}

/* The number of argument key, or dflt when it is absent. */
static uint64_t arg_num(const struct cmd *c, const char *key, uint64_t dflt,
			bool time)
{
	const struct arg *a = arg_find(c, key);

	return a ? num_parse(c, key, a->val, time) : dflt;
}

/*
 * A set of replicas (bit i: replica i) from "all", "r1", "1", "r0,r2" or
 * "0,2".
 */
static uint64_t set_parse(const struct cmd *c, const char *s, uint32_t n)
{
	uint64_t set = 0;
	char buf[256], *save = NULL;

	if (!strcmp(s, "all"))
		return n >= 64 ? UINT64_MAX : (1ull << n) - 1;
	snprintf(buf, sizeof buf, "%s", s);
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		uint64_t r = num_parse(c, "replica", t + (*t == 'r'), false);
		if (r >= n)
			die(c, "replica %s: the cluster has r0..r%u", t, n - 1);
		set |= 1ull << r;
	}
	return set;
}

/* ---- the cluster --------------------------------------------------------- */

struct pending {
	uint64_t id;
	uint32_t from, to;
	uint8_t type; /* the frame's, for filters */
	uint8_t *frame;
	size_t len;
};

struct node {
	void *core;
	bool up;
	uint8_t *log; /* the persisted write-ahead log (core.h) */
	size_t loglen;
	bool armed[BYZ_MAX_TIMERS];
	uint64_t deadline[BYZ_MAX_TIMERS];
	struct golden_text commits; /* "h1 slot=1 c0/t1" lines */
};

/* What the outputs of a step print (print=...). */
enum {
	SHOW_PERSIST = 1,
	SHOW_SEND = 2,
	SHOW_TIMER = 4,
	SHOW_COMMIT = 8,
	SHOW_NOTE = 16,
	SHOW_ALL = 31,
};

struct follow {
	bool persisted;
	uint64_t token;
	uint8_t *frame; /* a loopback, signed */
	size_t len;
};

struct cluster {
	const struct byz_core_ops *ops;
	struct byz_config cfg;
	uint64_t seed, now, next_id;
	uint32_t clients;
	uint64_t ts[BYZ_MAX_N]; /* each client's last timestamp */
	struct node node[BYZ_MAX_N];
	struct byz_keypair rk[BYZ_MAX_N], ck[BYZ_MAX_N];
	struct pending *q;
	size_t nq, capq;
	struct byz_outbox ob;
	struct wire_buf sign;
	unsigned show;
	struct golden_text *out;
	struct follow follow[MAX_FOLLOW];
	size_t nfollow;
};

/* Verify one signature a message carries against the cluster's keys
 * (lib/sim.c's ingress). */
static int verify_one(void *ctx, const struct wire_sigref *ref)
{
	struct cluster *cl = ctx;
	const uint8_t *pk;

	if (ref->role == BYZ_ROLE_CLIENT && ref->signer < cl->clients)
		pk = cl->ck[ref->signer].pk;
	else if (ref->role == BYZ_ROLE_REPLICA && ref->signer < cl->cfg.n)
		pk = cl->rk[ref->signer].pk;
	else
		return BYZ_ESIGNER;
	return byz_verify(pk, ref->proto, ref->type, ref->content, ref->len,
			  ref->sig);
}

/* A signed copy of an unsigned frame, signed by kp (egress). */
static uint8_t *sign_copy(struct cluster *cl, const uint8_t *frame, size_t len,
			  const struct byz_keypair *kp, size_t *out_len)
{
	uint8_t *p;

	wire_buf_reset(&cl->sign);
	wire_put_bytes(&cl->sign, frame, len);
	if (wire_sign(&cl->sign, 0, kp))
		return NULL;
	p = malloc(cl->sign.len);
	if (p) {
		memcpy(p, cl->sign.data, cl->sign.len);
		*out_len = cl->sign.len;
	}
	return p;
}

/* Out of memory in the driver: no test can say anything useful. */
static void oom(void)
{
	fprintf(stderr, "interact: out of memory\n");
	exit(2);
}

/* Queue a signed frame from -> to (ownership of frame passes). */
static void enqueue(struct cluster *cl, uint32_t from, uint32_t to,
		    uint8_t *frame, size_t len)
{
	struct pending *p;

	if (cl->nq == cl->capq) {
		size_t ncap = cl->capq ? 2 * cl->capq : 256;
		struct pending *nq = realloc(cl->q, ncap * sizeof *nq);
		if (!nq)
			oom();
		cl->q = nq;
		cl->capq = ncap;
	}
	p = &cl->q[cl->nq++];
	p->id = cl->next_id++;
	p->from = from;
	p->to = to;
	p->type = frame[4];
	p->frame = frame;
	p->len = len;
}

/* Keep a PERSIST in r's log (core.h: u32 length, then the record). */
static void persist(struct node *nd, const struct byz_output *o,
		    const uint8_t *rec)
{
	uint8_t *nl;

	if (o->replace)
		nd->loglen = 0;
	nl = realloc(nd->log, nd->loglen + 4 + o->len);
	if (!nl)
		oom();
	nd->log = nl;
	for (int k = 0; k < 4; k++)
		nl[nd->loglen + k] = (uint8_t)(o->len >> (8 * k));
	memcpy(nl + nd->loglen + 4, rec, o->len);
	nd->loglen += 4 + o->len;
}

/* Remember something to deliver right after the current step. */
static void add_follow(struct cluster *cl, struct follow f)
{
	if (cl->nfollow == MAX_FOLLOW) {
		fprintf(stderr, "interact: more than %d loopbacks in a row\n",
			MAX_FOLLOW);
		exit(2);
	}
	cl->follow[cl->nfollow++] = f;
}

/* The print= class of an output kind. */
static unsigned show_of(enum byz_output_kind k)
{
	switch (k) {
	case BYZ_OUT_PERSIST:
		return SHOW_PERSIST;
	case BYZ_OUT_SEND:
	case BYZ_OUT_BROADCAST:
		return SHOW_SEND;
	case BYZ_OUT_TIMER:
		return SHOW_TIMER;
	case BYZ_OUT_COMMIT:
		return SHOW_COMMIT;
	default:
		return SHOW_NOTE;
	}
}

/*
 * Carry out replica r's outputs in order (core.h): keep PERSISTs in its
 * log, sign and queue SENDs and BROADCASTs (its own to itself follow the
 * step), arm timers, record commits; print each under the event line
 * head (printed first, only if something under it is).
 */
static void apply(struct cluster *cl, uint32_t r, const char *head, bool quiet)
{
	struct node *nd = &cl->node[r];
	const struct byz_outbox *ob = &cl->ob;
	char line[GOLDEN_LINE];
	bool headed = false;

	for (size_t i = 0; i < ob->count; i++) {
		const struct byz_output *o = &ob->out[i];
		const uint8_t *b = ob->bytes.data + o->off;
		uint8_t *f;
		size_t flen;

		if (cl->show & show_of(o->kind)) {
			if (!headed)
				golden_text_add(cl->out, "%s", head);
			headed = true;
			golden_output(cl->ops, ob, o, line, sizeof line);
			golden_text_add(cl->out, "  %s", line);
		}
		switch (o->kind) {
		case BYZ_OUT_PERSIST:
			persist(nd, o, b);
			add_follow(cl,
				   (struct follow){true, o->token, NULL, 0});
			break;
		case BYZ_OUT_SEND:
		case BYZ_OUT_BROADCAST:
			for (uint32_t to = 0; to < cl->cfg.n; to++) {
				bool self = to == r;
				if (o->kind == BYZ_OUT_SEND ? o->to != to
							    : self)
					continue;
				f = sign_copy(cl, b, o->len, &cl->rk[r], &flen);
				if (!f)
					oom();
				if (self)
					add_follow(cl, (struct follow){
							   false, 0, f, flen});
				else if (cl->node[to].up)
					enqueue(cl, r, to, f, flen);
				else
					free(f); /* no link to a crashed replica
						  */
			}
			break;
		case BYZ_OUT_TIMER:
			nd->armed[o->timer] = o->delay_us != BYZ_TIMER_CANCEL;
			nd->deadline[o->timer] = cl->now + o->delay_us;
			break;
		case BYZ_OUT_COMMIT:
			golden_output(cl->ops, ob, o, line, sizeof line);
			golden_text_add(&nd->commits, "%s", line + 7);
			break;
		default:
			break;
		}
	}
	/* With everything shown, an event that caused nothing shows too. */
	if (!headed && !quiet && cl->show == SHOW_ALL)
		golden_text_add(cl->out, "%s", head);
}

/* Step replica r with ev, then carry out what follows the step; head says
 * what happened (quiet: only if the step did something shown). */
static void step(struct cluster *cl, uint32_t r, const struct byz_event *ev,
		 const char *head, bool quiet);

/* Deliver the loopbacks and PERSISTEDs a step left, in output order. */
static void run_follow(struct cluster *cl, uint32_t r, size_t from)
{
	size_t n = cl->nfollow - from;
	struct follow *all;
	char head[GOLDEN_LINE + 32], m[GOLDEN_LINE];

	if (!n)
		return;
	all = malloc(n * sizeof *all);
	if (!all)
		oom();
	memcpy(all, cl->follow + from, n * sizeof *all);
	cl->nfollow = from;
	for (size_t i = 0; i < n; i++) {
		struct byz_event ev = {.now = cl->now};
		struct wire_msg msg;

		if (!cl->node[r].up) {
			free(all[i].frame);
			continue;
		}
		if (all[i].persisted) {
			ev.kind = BYZ_EV_PERSISTED;
			ev.u.token = all[i].token;
			snprintf(head, sizeof head, "r%u persisted #%" PRIu64,
				 r, all[i].token);
			step(cl, r, &ev, head, true);
			continue;
		}
		if (wire_decode(all[i].frame, all[i].len, &msg) ||
		    wire_for_each_sig(&msg, verify_one, cl)) {
			fprintf(stderr,
				"interact: r%u's loopback fails ingress\n", r);
			exit(2);
		}
		golden_msg(&msg, m, sizeof m);
		snprintf(head, sizeof head, "r%u -> r%u %s", r, r, m);
		ev.kind = BYZ_EV_MESSAGE;
		ev.u.msg = &msg;
		step(cl, r, &ev, head, false);
		free(all[i].frame);
	}
	free(all);
}

static void step(struct cluster *cl, uint32_t r, const struct byz_event *ev,
		 const char *head, bool quiet)
{
	size_t mark = cl->nfollow;
	int rc;

	byz_outbox_reset(&cl->ob);
	rc = cl->ops->step(cl->node[r].core, ev, &cl->ob);
	if (rc) {
		golden_text_add(cl->out, "%s", head);
		golden_text_add(cl->out, "  step failed: %s", byz_strerror(rc));
		return;
	}
	apply(cl, r, head, quiet);
	run_follow(cl, r, mark);
}

/* Create replica r's core from its log (or none) and start it. */
static int node_start(struct cluster *cl, uint32_t r, bool amnesia)
{
	struct node *nd = &cl->node[r];
	struct byz_config cfg = cl->cfg;
	struct byz_event ev = {.kind = BYZ_EV_START, .now = cl->now};
	char head[32];
	int rc;

	cfg.id = r;
	if (amnesia) {
		free(nd->log);
		nd->log = NULL;
		nd->loglen = 0;
	}
	rc = cl->ops->create(&cfg, nd->log, nd->loglen, &nd->core);
	if (rc)
		return rc;
	nd->up = true;
	memset(nd->armed, 0, sizeof nd->armed);
	snprintf(head, sizeof head, "r%u start", r);
	step(cl, r, &ev, head, false);
	return 0;
}

/* Destroy replica r's core (its log stays) and forget its timers. */
static void node_stop(struct cluster *cl, uint32_t r)
{
	struct node *nd = &cl->node[r];

	if (nd->up)
		cl->ops->destroy(&nd->core);
	nd->up = false;
	memset(nd->armed, 0, sizeof nd->armed);
}

/* Free the cluster: cores, logs, pending messages, buffers. */
static void cluster_free(struct cluster *cl)
{
	struct golden_text *out = cl->out;
	unsigned show = cl->show;

	for (uint32_t r = 0; r < cl->cfg.n; r++) {
		node_stop(cl, r);
		free(cl->node[r].log);
		golden_text_free(&cl->node[r].commits);
	}
	for (size_t i = 0; i < cl->nq; i++)
		free(cl->q[i].frame);
	free(cl->q);
	if (cl->ops) {
		byz_outbox_free(&cl->ob);
		wire_buf_free(&cl->sign);
	}
	memset(cl, 0, sizeof *cl);
	cl->out = out; /* the command's, not the cluster's */
	cl->show = show;
}

/* ---- commands ------------------------------------------------------------ */

/* print=persist,send,timer,commit,note (default: all). */
static void set_show(struct cluster *cl, const struct cmd *c)
{
	static const char *const names[] = {"persist", "send", "timer",
					    "commit", "note"};
	const struct arg *a = arg_find(c, "print");
	char buf[256], *save = NULL;

	cl->show = SHOW_ALL;
	if (!a)
		return;
	cl->show = 0;
	snprintf(buf, sizeof buf, "%s", a->val);
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < 5 && strcmp(names[i], t); i++)
			;
		if (i == 5)
			die(c,
			    "print=%s: one of persist, send, timer, commit, "
			    "note",
			    t);
		cl->show |= 1u << i;
	}
}

/* A command that needs a cluster before it. */
static void need_cluster(const struct cluster *cl, const struct cmd *c)
{
	if (!cl->ops)
		die(c,
		    "no cluster yet (start with: cluster protocol=NAME n=N)");
}

/* cluster protocol=NAME n=N [f=] [timeout=] [batch=] [window=]
 * [checkpoint=] [clients=] [seed=] */
static void do_cluster(struct cluster *cl, const struct cmd *c)
{
	const struct arg *p = arg_find(c, "protocol");
	uint32_t n = (uint32_t)arg_num(c, "n", 4, false);

	cluster_free(cl);
	cl->ops = byz_core_find(p ? p->val : "");
	if (!cl->ops)
		die(c, "protocol=%s: one of %s", p ? p->val : "",
		    byz_core_names());
	if (n < 1 || n > BYZ_MAX_N)
		die(c, "n=%u: 1..%d", n, BYZ_MAX_N);
	cl->clients = (uint32_t)arg_num(c, "clients", 2, false);
	if (cl->clients < 1 || cl->clients > BYZ_MAX_N)
		die(c, "clients=%u: 1..%d", cl->clients, BYZ_MAX_N);
	cl->cfg = (struct byz_config){
	    .n = n,
	    .f = (uint32_t)arg_num(c, "f", (n - 1) / 3, false),
	    .max_clients = cl->clients,
	    .batch = (uint32_t)arg_num(c, "batch", 1, false),
	    .window = (uint32_t)arg_num(c, "window", 8, false),
	    .checkpoint_interval = (uint32_t)arg_num(c, "checkpoint", 4, false),
	    .timeout_us = arg_num(c, "timeout", 20000, true),
	    .app = {.max_keys = 64, .max_clients = cl->clients}};
	cl->seed = arg_num(c, "seed", 7, false);
	for (uint32_t i = 0; i < n; i++)
		byz_key_derive(&cl->rk[i], cl->seed, BYZ_ROLE_REPLICA, i);
	for (uint32_t i = 0; i < cl->clients; i++)
		byz_key_derive(&cl->ck[i], cl->seed, BYZ_ROLE_CLIENT, i);
	byz_outbox_init(&cl->ob, 4096, 64u << 20);
	wire_buf_init(&cl->sign, WIRE_MAX_FRAME + BYZ_SIG_BYTES);
	for (uint32_t r = 0; r < n; r++)
		if (node_start(cl, r, false))
			die(c,
			    "replica r%u: the core refuses the configuration",
			    r);
}

/* request client=C op='...' [ts=T] [to=all|r0,r1] */
static void do_request(struct cluster *cl, const struct cmd *c)
{
	const struct arg *op = arg_find(c, "op"), *to = arg_find(c, "to");
	uint32_t client = (uint32_t)arg_num(c, "client", 0, false);
	uint64_t set, ts;
	struct wire_buf b;
	struct wire_msg m;
	char head[GOLDEN_LINE + 32], desc[GOLDEN_LINE];

	need_cluster(cl, c);
	if (!op || client >= cl->clients)
		die(c, "needs client=0..%u op='put k v'", cl->clients - 1);
	ts = arg_num(c, "ts", cl->ts[client] + 1, false);
	cl->ts[client] = ts;
	set = set_parse(c, to ? to->val : "all", cl->cfg.n);
	wire_buf_init(&b, WIRE_MAX_FRAME + BYZ_SIG_BYTES);
	if (wire_enc_request(&b, NULL, client, ts, (const uint8_t *)op->val,
			     strlen(op->val)) ||
	    wire_sign(&b, 0, &cl->ck[client]) || wire_decode(b.data, b.len, &m))
		die(c, "cannot encode this request");
	golden_msg(&m, desc, sizeof desc);
	for (uint32_t r = 0; r < cl->cfg.n; r++) {
		struct byz_event ev = {.kind = BYZ_EV_REQUEST, .now = cl->now};
		if (!(set >> r & 1) || !cl->node[r].up)
			continue;
		ev.u.msg = &m;
		snprintf(head, sizeof head, "c%u -> r%u %s", client, r, desc);
		step(cl, r, &ev, head, false);
	}
	wire_buf_free(&b);
}

/* Is the view of a pending message (its codec's view) in the list s? */
static bool view_in(const struct cluster *cl, const struct cmd *c,
		    const struct pending *p, const char *s)
{
	const struct wire_codec *codec = wire_codec_of(cl->ops->proto);
	struct wire_msg m;
	char buf[256], *save = NULL;
	uint64_t v;

	if (!codec || wire_decode(p->frame, p->len, &m))
		return false;
	v = codec->view(&m);
	snprintf(buf, sizeof buf, "%s", s);
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save))
		if (num_parse(c, "view", t, false) == v)
			return true;
	return false;
}

/* Does pending message p match the filters from=, to=, type=, view=
 * (each a list, or its negation with !=)? */
static bool matches(const struct cluster *cl, const struct cmd *c,
		    const struct pending *p)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct arg *a = &c->a[i];
		bool in;

		if (!strcmp(a->key, "from"))
			in = set_parse(c, a->val, cl->cfg.n) >> p->from & 1;
		else if (!strcmp(a->key, "to"))
			in = set_parse(c, a->val, cl->cfg.n) >> p->to & 1;
		else if (!strcmp(a->key, "type")) {
			char buf[256], *save = NULL;
			const char *tn =
			    wire_type_name(cl->ops->proto, p->type);
			in = false;
			snprintf(buf, sizeof buf, "%s", a->val);
			for (char *t = strtok_r(buf, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				in |= !strcmp(t, tn);
		} else if (!strcmp(a->key, "view"))
			in = view_in(cl, c, p, a->val);
		else
			continue;
		if (in == a->neg)
			return false;
	}
	return true;
}

/* Check a filter command's words are filters (and print=, max=). */
static void check_filters(const struct cmd *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->a[i].key, "from") && strcmp(c->a[i].key, "to") &&
		    strcmp(c->a[i].key, "type") &&
		    strcmp(c->a[i].key, "view") &&
		    strcmp(c->a[i].key, "print") && strcmp(c->a[i].key, "max"))
			die(c,
			    "%s: filters are from=, to=, type=, view= (or !=), "
			    "with print= and max=",
			    c->a[i].key);
}

/* Take pending message i out of the queue (its frame is the caller's). */
static struct pending take(struct cluster *cl, size_t i)
{
	struct pending p = cl->q[i];

	memmove(cl->q + i, cl->q + i + 1, (cl->nq - i - 1) * sizeof *cl->q);
	cl->nq--;
	return p;
}

/* Deliver one pending message through ingress to its replica. */
static void deliver_one(struct cluster *cl, struct pending *p)
{
	struct wire_msg m;
	struct byz_event ev = {.now = cl->now};
	char head[GOLDEN_LINE + 32], desc[GOLDEN_LINE];

	golden_frame(p->frame, p->len, true, desc, sizeof desc);
	snprintf(head, sizeof head, "r%u -> r%u %s", p->from, p->to, desc);
	if (!cl->node[p->to].up) {
		golden_text_add(cl->out, "%s", head);
		golden_text_add(cl->out, "  lost: r%u is down", p->to);
	} else if (wire_decode(p->frame, p->len, &m) ||
		   wire_for_each_sig(&m, verify_one, cl)) {
		golden_text_add(cl->out, "%s", head);
		golden_text_add(cl->out, "  rejected at ingress");
	} else {
		ev.kind = m.frame.proto == BYZ_PROTO_CLIENT ? BYZ_EV_REQUEST
							    : BYZ_EV_MESSAGE;
		ev.u.msg = &m;
		step(cl, p->to, &ev, head, false);
	}
	free(p->frame);
}

/*
 * deliver [filters] [max=N]: the matching messages pending now, oldest
 * first (what they cause waits for the next command).
 * stabilize [filters]: deliver matching messages until none is pending.
 */
static void do_deliver(struct cluster *cl, const struct cmd *c, bool until)
{
	uint64_t max = arg_num(c, "max", UINT64_MAX, false), done = 0;
	uint64_t last;

	need_cluster(cl, c);
	check_filters(c);
	do {
		last = cl->next_id;
		for (size_t i = 0; i < cl->nq && done < max;) {
			struct pending p;
			if (cl->q[i].id >= last || !matches(cl, c, &cl->q[i])) {
				i++;
				continue;
			}
			p = take(cl, i);
			deliver_one(cl, &p);
			done++;
		}
		if (until && done > 100000) {
			golden_text_add(cl->out,
					"stabilize: still busy after 100000 "
					"deliveries");
			break;
		}
	} while (until && last != cl->next_id && done < max);
}

/* drop [filters]: remove the matching pending messages, saying which. */
static void do_drop(struct cluster *cl, const struct cmd *c)
{
	char desc[GOLDEN_LINE];

	need_cluster(cl, c);
	check_filters(c);
	for (size_t i = 0; i < cl->nq;) {
		struct pending p;
		if (!matches(cl, c, &cl->q[i])) {
			i++;
			continue;
		}
		p = take(cl, i);
		golden_frame(p.frame, p.len, true, desc, sizeof desc);
		golden_text_add(cl->out, "drop r%u -> r%u %s", p.from, p.to,
				desc);
		free(p.frame);
	}
}

/* pending [filters]: list what waits, oldest first. */
static void do_pending(struct cluster *cl, const struct cmd *c)
{
	char desc[GOLDEN_LINE];

	need_cluster(cl, c);
	check_filters(c);
	for (size_t i = 0; i < cl->nq; i++) {
		if (!matches(cl, c, &cl->q[i]))
			continue;
		golden_frame(cl->q[i].frame, cl->q[i].len, true, desc,
			     sizeof desc);
		golden_text_add(cl->out, "r%u -> r%u %s", cl->q[i].from,
				cl->q[i].to, desc);
	}
}

/* tick REPLICAS timer=NAME: fire that timer at each replica where it is
 * armed, the clock moving to its deadline; say where it is not armed. */
static void do_tick(struct cluster *cl, const struct cmd *c)
{
	const struct arg *t = arg_find(c, "timer");
	uint64_t set;
	uint32_t id;
	char head[GOLDEN_LINE];

	need_cluster(cl, c);
	if (c->n < 1 || c->a[0].val[0] || !t)
		die(c, "tick REPLICAS timer=NAME (REPLICAS: all, r1, r1,r2)");
	set = set_parse(c, c->a[0].key, cl->cfg.n);
	if (golden_timer_id(cl->ops, t->val, &id))
		die(c, "timer=%s: not a timer of %s", t->val, cl->ops->name);
	for (uint32_t r = 0; r < cl->cfg.n; r++) {
		struct node *nd = &cl->node[r];
		struct byz_event ev = {.kind = BYZ_EV_TIMER};
		if (!(set >> r & 1))
			continue;
		snprintf(head, sizeof head, "r%u timer %s fires", r, t->val);
		if (!nd->up || !nd->armed[id]) {
			golden_text_add(cl->out, "r%u timer %s is not armed", r,
					t->val);
			continue;
		}
		if (nd->deadline[id] > cl->now)
			cl->now = nd->deadline[id];
		nd->armed[id] = false;
		ev.now = cl->now;
		ev.u.timer = id;
		step(cl, r, &ev, head, false);
	}
}

/* crash REPLICAS: the cores stop (their logs stay); restart REPLICAS
 * [amnesia]: a new core from the log (or, with amnesia, from nothing). */
static void do_crash(struct cluster *cl, const struct cmd *c, bool restart)
{
	uint64_t set;

	need_cluster(cl, c);
	if (c->n < 1 || c->a[0].val[0])
		die(c, "%s REPLICAS", c->name);
	set = set_parse(c, c->a[0].key, cl->cfg.n);
	for (uint32_t r = 0; r < cl->cfg.n; r++) {
		if (!(set >> r & 1))
			continue;
		if (!restart) {
			size_t lost = 0;
			node_stop(cl, r);
			for (size_t i = 0; i < cl->nq;) {
				struct pending p;
				if (cl->q[i].to != r) {
					i++;
					continue;
				}
				p = take(cl, i);
				free(p.frame);
				lost++;
			}
			golden_text_add(cl->out,
					"r%u down (%zu messages pending to it "
					"lost)",
					r, lost);
			continue;
		}
		if (cl->node[r].up)
			die(c, "r%u is up", r);
		if (node_start(cl, r, arg_find(c, "amnesia") != NULL))
			golden_text_add(cl->out,
					"r%u cannot restart from its log", r);
	}
}

/* commits: each replica's executed requests, in order. */
static void do_commits(struct cluster *cl, const struct cmd *c)
{
	need_cluster(cl, c);
	for (uint32_t r = 0; r < cl->cfg.n; r++) {
		const struct golden_text *t = &cl->node[r].commits;
		const char *s = t->s ? t->s : "";

		if (!*s) {
			golden_text_add(cl->out, "r%u: nothing", r);
			continue;
		}
		for (const char *e; (e = strchr(s, '\n')); s = e + 1)
			golden_text_add(cl->out, "r%u: %.*s", r, (int)(e - s),
					s);
	}
}

/* timers: what each replica has armed, with its deadline. */
static void do_timers(struct cluster *cl, const struct cmd *c)
{
	char name[32], at[32];

	need_cluster(cl, c);
	for (uint32_t r = 0; r < cl->cfg.n; r++)
		for (uint32_t id = 0; id < BYZ_MAX_TIMERS; id++) {
			if (!cl->node[r].armed[id])
				continue;
			golden_timer_name(cl->ops, id, name, sizeof name);
			golden_duration(cl->node[r].deadline[id], at,
					sizeof at);
			golden_text_add(cl->out, "r%u %s at %s", r, name, at);
		}
}

/* Run one command; its output goes to cl->out. */
static void run_cmd(struct cluster *cl, const struct cmd *c)
{
	set_show(cl, c);
	if (!strcmp(c->name, "cluster"))
		do_cluster(cl, c);
	else if (!strcmp(c->name, "request"))
		do_request(cl, c);
	else if (!strcmp(c->name, "deliver"))
		do_deliver(cl, c, false);
	else if (!strcmp(c->name, "stabilize"))
		do_deliver(cl, c, true);
	else if (!strcmp(c->name, "drop"))
		do_drop(cl, c);
	else if (!strcmp(c->name, "pending"))
		do_pending(cl, c);
	else if (!strcmp(c->name, "tick"))
		do_tick(cl, c);
	else if (!strcmp(c->name, "crash"))
		do_crash(cl, c, false);
	else if (!strcmp(c->name, "restart"))
		do_crash(cl, c, true);
	else if (!strcmp(c->name, "commits"))
		do_commits(cl, c);
	else if (!strcmp(c->name, "timers"))
		do_timers(cl, c);
	else
		die(c, "unknown command (cluster, request, deliver, stabilize, "
		       "drop, pending, tick, crash, restart, commits, timers)");
}

/* ---- files --------------------------------------------------------------- */

/* The whole file, NUL-terminated; NULL if it cannot be read. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	size_t len = 0, cap = 0, k;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *ns = realloc(s, cap = cap ? 2 * cap : 8192);
			if (!ns)
				oom();
			s = ns;
		}
		k = fread(s + len, 1, cap - len - 1, f);
		len += k;
	} while (k);
	fclose(f);
	s[len] = 0;
	return s;
}

/* The next line of *s (without its newline) in buf; false at the end. */
static bool next_line(char **s, char *buf, size_t cap, size_t *lineno)
{
	char *e;
	size_t k;

	if (!**s)
		return false;
	e = strchr(*s, '\n');
	k = e ? (size_t)(e - *s) : strlen(*s);
	snprintf(buf, cap, "%.*s", (int)k, *s);
	*s += k + (e ? 1 : 0);
	(*lineno)++;
	return true;
}

/*
 * Run one script. Blank lines and # comments pass through; a command is
 * followed by "----" and the expected output, which ends at a blank line
 * or the end of the file. Returns 0 if every output matched, 1 if not;
 * with rewrite, writes the file back with the outputs produced.
 */
static int run_file(const char *path, bool rewrite)
{
	char *src = slurp(path), *s = src, line[1024], got_line[1024];
	struct golden_text out = {0}, want = {0}, got = {0};
	struct cluster cl = {0};
	struct cmd c = {.file = path};
	size_t lineno = 0, at;
	bool blank;
	int bad = 0;

	if (!src) {
		fprintf(stderr, "%s: cannot read\n", path);
		return 2;
	}
	while (next_line(&s, line, sizeof line, &lineno)) {
		golden_text_add(&out, "%s", line);
		if (!line[0] || line[0] == '#')
			continue;
		c.line = lineno;
		if (cmd_parse(line, &c))
			die(&c, "cannot read this line");
		at = lineno;
		if (!next_line(&s, got_line, sizeof got_line, &lineno) ||
		    strcmp(got_line, "----"))
			die(&c, "expected ---- after the command");
		golden_text_add(&out, "----");
		golden_text_free(&want);
		while ((blank = next_line(&s, got_line, sizeof got_line,
					  &lineno)) &&
		       got_line[0])
			golden_text_add(&want, "%s", got_line);
		golden_text_free(&got);
		cl.out = &got;
		run_cmd(&cl, &c);
		if (got.len)
			golden_text_add(&out, "%.*s", (int)(got.len - 1),
					got.s);
		if (blank)
			golden_text_add(&out, "%s", "");
		if (strcmp(want.s ? want.s : "", got.s ? got.s : "")) {
			bad = 1;
			if (!rewrite)
				fprintf(stderr,
					"%s:%zu: %s: output differs\n"
					"--- expected\n%s--- got\n%s\n",
					path, at, line, want.s ? want.s : "",
					got.s ? got.s : "");
		}
	}
	if (rewrite && bad) {
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(out.s, 1, out.len, f) != out.len ||
		    fclose(f)) {
			fprintf(stderr, "%s: cannot write\n", path);
			return 2;
		}
		fprintf(stderr, "%s: rewritten\n", path);
		bad = 0;
	}
	cluster_free(&cl);
	golden_text_free(&out);
	golden_text_free(&want);
	golden_text_free(&got);
	free(src);
	return bad;
}

/* Run every script named; exit with the worst result. */
int main(int argc, char **argv)
{
	const char *rw = getenv("BYZLAB_REWRITE");
	bool rewrite = rw && *rw && strcmp(rw, "0");
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: interact FILE...\n");
		return 2;
	}
	if (byz_crypto_init()) {
		fprintf(stderr, "interact: libsodium does not start\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int r = run_file(argv[i], rewrite);
		if (r > rc)
			rc = r;
	}
	return rc;
}
