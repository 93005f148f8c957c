/*
 * chart.c - message sequence charts of runs (chart.h).
 *
 * A chart is made in three steps over a trace file (the one of the
 * failure's replay, written to a temporary file, or the one given):
 *
 *   1. a first pass finds the lanes (replicas, twins, clients), counts the
 *      messages and finds the anchor: the first conflicting commit (two
 *      honest replicas, one height, different requests), else the first
 *      `fault` line, else the failure's violation time, else the end;
 *   2. the window is chosen (chart_window) and a second pass keeps the
 *      events in it: the messages sent in it, what became of each
 *      (delivered, dropped, rejected), the marks on the lanes, and every
 *      honest commit at the conflicting height wherever it is;
 *   3. the events are laid out in their order, each on its own row, with
 *      the time between rows drawn proportionally but capped
 *      (chart_gap), and written as SVG.
 *
 * The labels with view and sequence come from the frames themselves: a
 * failure's replay passes a side channel (sim.h, sim_frame_fn) that hands
 * each frame to wire_describe_frame. The trace and the run are unchanged.
 */
#include "chart.h"

#include "err.h"
#include "failure.h"
#include "outfile.h"
#include "scenario.h"
#include "trace_read.h"
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- window and gaps -------------------------------------------------- */

void chart_window(uint64_t total, uint64_t anchor, uint32_t max, uint32_t after,
		  uint64_t *lo, uint64_t *hi)
{
	if (max == 0)
		max = CHART_DEFAULT_ARROWS;
	if (after > max)
		after = max;
	if (anchor > total)
		anchor = total;
	if (total <= max) {
		*lo = 0;
		*hi = total;
		return;
	}
	*hi = anchor + after < total ? anchor + after : total;
	*lo = *hi > max ? *hi - max : 0;
	if (*hi - *lo < max) /* near the start: fill up with later ones */
		*hi = *lo + max < total ? *lo + max : total;
}

#define GAP_US_PER_PX 50 /* 20 px per millisecond */
#define GAP_CAP_PX    40

unsigned chart_gap(unsigned base, uint64_t dt_us, int *broken)
{
	uint64_t px = dt_us / GAP_US_PER_PX;

	*broken = px > GAP_CAP_PX;
	return base + (unsigned)(px > GAP_CAP_PX ? GAP_CAP_PX : px);
}

/* ---- labels from the side channel -------------------------------------- */

#define LBL_SENT     1u
#define LBL_CHANGED  2u /* re-signed by a Byzantine sender */
#define LBL_FORGED   4u /* tampered with */
#define LBL_INJECTED 8u /* injected by the adversary */

struct label {
	uint32_t off, len;	     /* into the arena; len 0: none */
	uint32_t sent_off, sent_len; /* the frame as sent, when changed */
	uint8_t what;
};

struct labels {
	uint64_t lo, hi; /* ids kept: [lo, hi] */
	struct label *v; /* indexed id - lo */
	size_t nv, capv;
	char *arena;
	size_t narena, caparena;
	bool overflow; /* too many: not all kept */
	bool oom;
};

#define LABELS_MAX_IDS	 (4u << 20)
#define LABELS_MAX_BYTES (64u << 20)

static int arena_put(struct labels *L, const char *s, uint32_t *off,
		     uint32_t *len)
{
	size_t n = strlen(s);

	if (L->narena + n > L->caparena) {
		size_t cap = L->caparena ? L->caparena * 2 : 65536;
		char *a;
		while (cap < L->narena + n)
			cap *= 2;
		if (cap > LABELS_MAX_BYTES) {
			L->overflow = true;
			return -1;
		}
		a = realloc(L->arena, cap);
		if (!a) {
			L->oom = true;
			return -1;
		}
		L->arena = a;
		L->caparena = cap;
	}
	memcpy(L->arena + L->narena, s, n);
	*off = (uint32_t)L->narena;
	*len = (uint32_t)n;
	L->narena += n;
	return 0;
}

static void labels_cb(void *ctx, uint64_t id, enum sim_frame_what what,
		      const uint8_t *frame, size_t len)
{
	struct labels *L = ctx;
	char d[256];
	struct label *l;
	size_t k;

	if (L->overflow || L->oom || id < L->lo || id > L->hi)
		return;
	k = (size_t)(id - L->lo);
	if (k >= LABELS_MAX_IDS) {
		L->overflow = true;
		return;
	}
	if (k >= L->capv) {
		size_t cap = L->capv ? L->capv * 2 : 4096;
		struct label *v;
		while (cap <= k)
			cap *= 2;
		v = realloc(L->v, cap * sizeof *v);
		if (!v) {
			L->oom = true;
			return;
		}
		memset(v + L->capv, 0, (cap - L->capv) * sizeof *v);
		L->v = v;
		L->capv = cap;
	}
	if (k >= L->nv)
		L->nv = k + 1;
	l = &L->v[k];
	wire_describe_frame(frame, len, true, d, sizeof d);
	if (what == SIM_FRAME_CHANGED || what == SIM_FRAME_FORGED) {
		l->sent_off = l->off;
		l->sent_len = l->len;
	}
	if (arena_put(L, d, &l->off, &l->len))
		return;
	switch (what) {
	case SIM_FRAME_SENT:
		l->what |= LBL_SENT;
		break;
	case SIM_FRAME_CHANGED:
		l->what |= LBL_CHANGED;
		break;
	case SIM_FRAME_FORGED:
		l->what |= LBL_FORGED;
		break;
	case SIM_FRAME_INJECTED:
		l->what |= LBL_INJECTED;
		break;
	case SIM_FRAME_INJECTED_FORGED:
		l->what |= LBL_INJECTED | LBL_FORGED;
		break;
	}
}

static const struct label *label_of(const struct labels *L, uint64_t id)
{
	if (!L || id < L->lo || id > L->hi || id - L->lo >= L->nv)
		return NULL;
	return L->v[id - L->lo].len ? &L->v[id - L->lo] : NULL;
}

static void labels_free(struct labels *L)
{
	free(L->v);
	free(L->arena);
	memset(L, 0, sizeof *L);
}

/* ---- the model --------------------------------------------------------- */

enum ck {
	CK_SEND,
	CK_DELIVER,
	CK_DROP,
	CK_REJECT,
	CK_TIMER,
	CK_COMMIT,
	CK_RESTORE,
	CK_VIEW,
	CK_CRASH,
	CK_RESTART,
	CK_FAULT,
	CK_SUBMIT,
	CK_ACCEPT,
};

#define CF_CONFLICT 1u	/* a commit at the conflicting height */
#define CF_OUTSIDE  2u	/* drawn although outside the window */
#define CF_TAMPERED 4u	/* zmq relay: the adversary tampered with it */
#define CF_REWRITE  8u	/* zmq relay: rewritten */
#define CF_PAST	    16u /* happened before a conflicting commit */

struct cev {
	uint64_t line, t, id;
	enum ck kind;
	uint32_t a, b; /* from/to, or the node */
	uint32_t flags;
	size_t peer; /* send <-> its end (SIZE_MAX: none) */
	unsigned y;
	char text[96];	 /* a mark's text, or a send's msg field */
	char detail[48]; /* a drop's or reject's why */
};

struct lane {
	uint32_t addr;
	char name[16];
	bool byz, twin, client;
};

#define MAX_CLIENT_LANES 64
#define MAX_LANES	 (2 * BYZ_MAX_N + MAX_CLIENT_LANES)

struct model {
	const char *path; /* for messages */
	/* run line */
	char protocol[32], seed[24], faults[600];
	uint32_t n, f;
	bool byz[BYZ_MAX_N], twin[BYZ_MAX_N], amnesia[BYZ_MAX_N];
	bool has_run;
	/* pass 1 */
	uint64_t lines, sends, end_t, last_t;
	bool has_end;
	char stop[32];
	uint8_t clients[(1u << 20) / 8]; /* client ids seen (below 2^20) */
	uint32_t nclients, max_client;
	bool anchored;
	uint64_t anchor_line, anchor_ord, anchor_t;
	char anchor_what[200];
	uint64_t conflict_height; /* 0: none */
	uint64_t violation_us;	  /* the failure's, 0: none */
	bool amnesia_late;	  /* a restart without state seen in pass 1 */
	/* the window */
	uint64_t s_lo, s_hi;
	/* pass 2 */
	struct cev *ev;
	size_t nev, capev;
	uint64_t *hid; /* id -> event index + 1, open addressing */
	size_t *hix;
	size_t hcap;
	uint64_t before[5], after[5]; /* messages, commits, views, timers,
				       * other marks not drawn */
	uint64_t unresolved;
	/* lanes */
	struct lane lanes[MAX_LANES];
	size_t nlanes;
	/* labels (a failure's replay) or NULL */
	const struct labels *labels;
	/* some events are in the causal past of a conflicting commit (the
	 * others are drawn faded) */
	bool has_past;
	/* header */
	char title[200];
	char verdict[600];
};

static void model_free(struct model *m)
{
	free(m->ev);
	free(m->hid);
	free(m->hix);
}

static uint64_t jget_u64(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) && json_integer_value(v) >= 0
		   ? (uint64_t)json_integer_value(v)
		   : 0;
}

static const char *jget_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* A replica line's node: "replica" (and "twin"). */
static uint32_t replica_addr(json_t *o)
{
	uint32_t r = (uint32_t)jget_u64(o, "replica");

	if (r >= BYZ_MAX_N)
		r = BYZ_MAX_N - 1;
	return json_is_true(json_object_get(o, "twin")) ? byz_twin_addr(r) : r;
}

static void note_client(struct model *m, uint32_t addr)
{
	uint32_t c;

	if (!byz_is_client_addr(addr))
		return;
	c = addr - BYZ_CLIENT_BASE;
	if (c >= (1u << 20) || (m->clients[c / 8] & (1u << (c % 8))))
		return;
	m->clients[c / 8] |= (uint8_t)(1u << (c % 8));
	m->nclients++;
	if (c + 1 > m->max_client)
		m->max_client = c + 1;
}

static void list_ids(json_t *a, bool *out)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		    json_integer_value(v) < BYZ_MAX_N)
			out[json_integer_value(v)] = true;
	}
}

static bool honest(const struct model *m, uint32_t addr)
{
	return addr < BYZ_MAX_N && !m->byz[addr] && !m->amnesia[addr];
}

/* Read one line into *buf (at most TRACE_READ_MAX_LINE + 2 bytes). NULL
 * at the end. */
static json_t *next_line(FILE *f, char **buf, size_t *cap, int *rc)
{
	ssize_t len = getline(buf, cap, f);

	*rc = 0;
	if (len < 0) {
		if (ferror(f))
			*rc = BYZ_EIO;
		return NULL;
	}
	return json_loadb(*buf, (size_t)len, 0, NULL);
}

struct height_seen {
	bool set;
	uint64_t client, ts;
};

#define MAX_HEIGHTS (1u << 22)

/* Pass 1: lanes, counts, the anchor. */
static int pass1(FILE *f, struct model *m)
{
	char *buf = NULL;
	size_t cap = 0;
	struct height_seen *hs = NULL;
	size_t nhs = 0;
	uint64_t first_fault_line = UINT64_MAX, first_fault_ord = 0,
		 first_fault_t = 0, vio_line = UINT64_MAX, vio_ord = 0,
		 vio_t = 0;
	char fault_text[200] = "";
	int rc = 0;
	json_t *o;

	while ((o = next_line(f, &buf, &cap, &rc)) || !rc) {
		const char *ev;
		uint64_t t, line = m->lines;
		if (!o) {
			if (feof(f))
				break;
			m->lines++;
			continue;
		}
		m->lines++;
		ev = jget_str(o, "ev");
		t = jget_u64(o, "t");
		if (strcmp(ev, "run") && strcmp(ev, "end"))
			m->last_t = t;
		if (m->violation_us && vio_line == UINT64_MAX &&
		    t >= m->violation_us && strcmp(ev, "run")) {
			vio_line = line;
			vio_ord = m->sends;
			vio_t = t;
		}
		if (!strcmp(ev, "run") && !m->has_run) {
			m->has_run = true;
			snprintf(m->protocol, sizeof m->protocol, "%s",
				 jget_str(o, "protocol"));
			snprintf(m->seed, sizeof m->seed, "%s",
				 jget_str(o, "seed"));
			snprintf(m->faults, sizeof m->faults, "%s",
				 jget_str(o, "faults"));
			m->n = (uint32_t)jget_u64(o, "n");
			m->f = (uint32_t)jget_u64(o, "f");
			if (m->n > BYZ_MAX_N)
				m->n = BYZ_MAX_N;
			list_ids(json_object_get(o, "byzantine"), m->byz);
			list_ids(json_object_get(o, "twins"), m->twin);
			list_ids(json_object_get(o, "amnesia"), m->amnesia);
		} else if (!strcmp(ev, "send")) {
			uint32_t a;
			if (trace_node_parse(jget_str(o, "from"), &a))
				note_client(m, a);
			if (trace_node_parse(jget_str(o, "to"), &a))
				note_client(m, a);
			m->sends++;
		} else if (!strcmp(ev, "submit") || !strcmp(ev, "accept")) {
			uint64_t c = jget_u64(o, "client");
			if (c < (1u << 20))
				note_client(m, byz_client_addr((uint32_t)c));
		} else if (!strcmp(ev, "restart") &&
			   json_is_false(json_object_get(o, "state"))) {
			uint32_t r = replica_addr(o);
			if (r < BYZ_MAX_N && !m->amnesia[r]) {
				m->amnesia[r] = true;
				m->amnesia_late = true;
			}
		} else if (!strcmp(ev, "fault") &&
			   first_fault_line == UINT64_MAX) {
			first_fault_line = line;
			first_fault_ord = m->sends;
			first_fault_t = t;
			snprintf(fault_text, sizeof fault_text,
				 "the first broken output rule (%s at r%" PRIu64
				 ")",
				 jget_str(o, "rule"), jget_u64(o, "replica"));
		} else if (!strcmp(ev, "commit") && !m->conflict_height) {
			uint32_t r = replica_addr(o);
			uint64_t h = jget_u64(o, "height");
			uint64_t c = jget_u64(o, "client"),
				 ts = jget_u64(o, "ts");
			if (honest(m, r) && h > 0 && h < MAX_HEIGHTS) {
				if (h >= nhs) {
					size_t nn = nhs ? nhs : 64;
					struct height_seen *x;
					while (nn <= h)
						nn *= 2;
					x = realloc(hs, nn * sizeof *x);
					if (!x) {
						json_decref(o);
						rc = BYZ_ENOMEM;
						break;
					}
					memset(x + nhs, 0,
					       (nn - nhs) * sizeof *x);
					hs = x;
					nhs = nn;
				}
				if (!hs[h].set) {
					hs[h].set = true;
					hs[h].client = c;
					hs[h].ts = ts;
				} else if (hs[h].client != c ||
					   hs[h].ts != ts) {
					m->conflict_height = h;
					m->anchored = true;
					m->anchor_line = line;
					m->anchor_ord = m->sends;
					m->anchor_t = t;
					snprintf(m->anchor_what,
						 sizeof m->anchor_what,
						 "the first conflicting commit "
						 "(height %" PRIu64 ", r%u)",
						 h, r);
				}
			}
		} else if (!strcmp(ev, "end")) {
			m->has_end = true;
			m->end_t = t;
			snprintf(m->stop, sizeof m->stop, "%s",
				 jget_str(o, "stop"));
		}
		json_decref(o);
	}
	free(buf);
	free(hs);
	if (rc)
		return rc;
	if (!m->anchored && first_fault_line != UINT64_MAX) {
		m->anchored = true;
		m->anchor_line = first_fault_line;
		m->anchor_ord = first_fault_ord;
		m->anchor_t = first_fault_t;
		snprintf(m->anchor_what, sizeof m->anchor_what, "%s",
			 fault_text);
	}
	if (!m->anchored && vio_line != UINT64_MAX) {
		m->anchored = true;
		m->anchor_line = vio_line;
		m->anchor_ord = vio_ord;
		m->anchor_t = vio_t;
		snprintf(m->anchor_what, sizeof m->anchor_what,
			 "the violation's time");
	}
	if (!m->anchored) {
		m->anchor_line = m->lines;
		m->anchor_ord = m->sends;
		m->anchor_t = m->has_end ? m->end_t : m->last_t;
		snprintf(m->anchor_what, sizeof m->anchor_what,
			 "the end of the run");
	}
	return 0;
}

/* Forget what pass 1 found but the replicas with amnesia. */
static void pass1_reset(struct model *m)
{
	m->lines = m->sends = m->end_t = m->last_t = 0;
	m->has_end = m->has_run = m->anchored = m->amnesia_late = false;
	m->stop[0] = '\0';
	memset(m->clients, 0, sizeof m->clients);
	m->nclients = m->max_client = 0;
	m->anchor_line = m->anchor_ord = m->anchor_t = 0;
	m->anchor_what[0] = '\0';
	m->conflict_height = 0;
}

static struct cev *add_ev(struct model *m)
{
	struct cev *e;

	if (m->nev == m->capev) {
		size_t cap = m->capev ? m->capev * 2 : 1024;
		struct cev *v = realloc(m->ev, cap * sizeof *v);
		if (!v)
			return NULL;
		m->ev = v;
		m->capev = cap;
	}
	e = &m->ev[m->nev++];
	memset(e, 0, sizeof *e);
	e->peer = SIZE_MAX;
	return e;
}

static size_t hslot(const struct model *m, uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 20) & (m->hcap - 1);
}

static void hput(struct model *m, uint64_t id, size_t idx)
{
	size_t k = hslot(m, id);

	while (m->hix[k])
		k = (k + 1) & (m->hcap - 1);
	m->hid[k] = id;
	m->hix[k] = idx + 1;
}

static size_t hget(const struct model *m, uint64_t id)
{
	size_t k = hslot(m, id);

	while (m->hix[k]) {
		if (m->hid[k] == id)
			return m->hix[k] - 1;
		k = (k + 1) & (m->hcap - 1);
	}
	return SIZE_MAX;
}

/* Which of before/after counts a kind of line in. */
static int count_slot(const char *ev)
{
	if (!strcmp(ev, "send"))
		return 0;
	if (!strcmp(ev, "commit"))
		return 1;
	if (!strcmp(ev, "view"))
		return 2;
	if (!strcmp(ev, "timer"))
		return 3;
	if (!strcmp(ev, "crash") || !strcmp(ev, "restart") ||
	    !strcmp(ev, "fault") || !strcmp(ev, "restore"))
		return 4;
	return -1;
}

/* Fill e from a line of kind ev that is drawn as a mark (not a hop);
 * false if it is not one. */
static bool mark_of(json_t *o, const char *ev, struct cev *e)
{
	uint32_t a;

	if (!strcmp(ev, "commit") || !strcmp(ev, "restore")) {
		e->kind = ev[0] == 'c' ? CK_COMMIT : CK_RESTORE;
		e->a = replica_addr(o);
		if (e->kind == CK_COMMIT)
			snprintf(e->text, sizeof e->text,
				 "commit h=%" PRIu64 " c%" PRIu64 "/t%" PRIu64
				 " (%.8s)",
				 jget_u64(o, "height"), jget_u64(o, "client"),
				 jget_u64(o, "ts"), jget_str(o, "req"));
		else
			snprintf(e->text, sizeof e->text,
				 "state transfer to h=%" PRIu64,
				 jget_u64(o, "height"));
		e->id = jget_u64(o, "height");
	} else if (!strcmp(ev, "view")) {
		e->kind = CK_VIEW;
		e->a = replica_addr(o);
		snprintf(e->text, sizeof e->text,
			 "%s v=%" PRIu64 ", leader r%" PRIu64,
			 jget_str(o, "what"), jget_u64(o, "view"),
			 jget_u64(o, "leader"));
	} else if (!strcmp(ev, "timer")) {
		if (!trace_node_parse(jget_str(o, "node"), &a))
			return false;
		e->kind = CK_TIMER;
		e->a = a;
		snprintf(e->text, sizeof e->text, "timer %" PRIu64,
			 jget_u64(o, "timer"));
	} else if (!strcmp(ev, "crash")) {
		e->kind = CK_CRASH;
		e->a = replica_addr(o);
		snprintf(e->text, sizeof e->text, "crash");
	} else if (!strcmp(ev, "restart")) {
		e->kind = CK_RESTART;
		e->a = replica_addr(o);
		snprintf(e->text, sizeof e->text, "restart%s",
			 json_is_false(json_object_get(o, "state"))
			     ? " (no state)"
			     : "");
	} else if (!strcmp(ev, "fault")) {
		e->kind = CK_FAULT;
		e->a = replica_addr(o);
		snprintf(e->text, sizeof e->text, "broke %s: %.70s",
			 jget_str(o, "rule"), jget_str(o, "text"));
	} else if (!strcmp(ev, "submit") || !strcmp(ev, "accept")) {
		e->kind = ev[0] == 's' ? CK_SUBMIT : CK_ACCEPT;
		e->a = byz_client_addr(
		    (uint32_t)(jget_u64(o, "client") & ((1u << 20) - 1)));
		snprintf(e->text, sizeof e->text, "%s t%" PRIu64, ev,
			 jget_u64(o, "ts"));
	} else {
		return false;
	}
	return true;
}

/* Pass 2: the events of the window. */
static int pass2(FILE *f, struct model *m, uint32_t max)
{
	char *buf = NULL;
	size_t cap = 0, want = (size_t)(m->s_hi - m->s_lo);
	uint64_t ord = 0, post_marks = 0, resolved = 0, line = 0;
	bool in = m->s_lo == 0, post = false;
	int rc = 0;
	json_t *o;

	m->hcap = 64;
	while (m->hcap < 4 * want + 64)
		m->hcap *= 2;
	m->hid = calloc(m->hcap, sizeof *m->hid);
	m->hix = calloc(m->hcap, sizeof *m->hix);
	if (!m->hid || !m->hix)
		return BYZ_ENOMEM;
	while ((o = next_line(f, &buf, &cap, &rc)) || !rc) {
		const char *ev;
		int slot;
		struct cev tmp, *e;
		line++;
		if (!o) {
			if (feof(f))
				break;
			continue;
		}
		ev = jget_str(o, "ev");
		slot = count_slot(ev);
		memset(&tmp, 0, sizeof tmp);
		tmp.t = jget_u64(o, "t");
		if (!strcmp(ev, "send")) {
			uint64_t k = ord++;
			if (k == m->s_lo)
				in = true;
			if (k >= m->s_hi)
				post = true;
			if (k >= m->s_lo && k < m->s_hi) {
				uint32_t a, b;
				if (!trace_node_parse(jget_str(o, "from"),
						      &a) ||
				    !trace_node_parse(jget_str(o, "to"), &b)) {
					json_decref(o);
					continue;
				}
				if (!(e = add_ev(m))) {
					json_decref(o);
					rc = BYZ_ENOMEM;
					break;
				}
				e->kind = CK_SEND;
				e->t = tmp.t;
				e->a = a;
				e->b = b;
				e->id = jget_u64(o, "id");
				snprintf(e->text, sizeof e->text, "%s",
					 jget_str(o, "msg"));
				hput(m, e->id, m->nev - 1);
				if (k + 1 == m->s_hi) /* the last one */
					post = true;
			} else {
				(k < m->s_lo ? m->before : m->after)[0]++;
			}
		} else if (!strcmp(ev, "deliver") || !strcmp(ev, "drop") ||
			   !strcmp(ev, "reject") || !strcmp(ev, "relay")) {
			size_t s = hget(m, jget_u64(o, "id"));
			if (s != SIZE_MAX && !strcmp(ev, "relay")) {
				/* relay (zmq): what the adversary did */
				const char *w = jget_str(o, "what");
				if (strstr(w, "tamper"))
					m->ev[s].flags |= CF_TAMPERED;
				else if (strcmp(w, "forward") &&
					 strcmp(w, "delayed"))
					m->ev[s].flags |= CF_REWRITE;
			} else if (s != SIZE_MAX && strcmp(ev, "relay") &&
				   m->ev[s].peer == SIZE_MAX) {
				uint32_t b;
				if (!(e = add_ev(m))) {
					json_decref(o);
					rc = BYZ_ENOMEM;
					break;
				}
				e->kind = !strcmp(ev, "deliver") ? CK_DELIVER
					  : !strcmp(ev, "drop")	 ? CK_DROP
								 : CK_REJECT;
				e->t = tmp.t;
				e->a = m->ev[s].a;
				e->b = trace_node_parse(jget_str(o, "to"), &b)
					   ? b
					   : m->ev[s].b;
				e->id = m->ev[s].id;
				snprintf(e->detail, sizeof e->detail, "%s",
					 jget_str(o, "why"));
				e->peer = s;
				m->ev[s].peer = m->nev - 1;
				resolved++;
			}
		} else if (slot >= 0 || !strcmp(ev, "submit") ||
			   !strcmp(ev, "accept")) {
			bool conflict =
			    !strcmp(ev, "commit") && m->conflict_height &&
			    jget_u64(o, "height") == m->conflict_height &&
			    honest(m, replica_addr(o));
			bool take = in && (!post || post_marks < max) &&
				    m->nev < (size_t)max * 8 + 4096;
			if (take || conflict) {
				if (!(e = add_ev(m))) {
					json_decref(o);
					rc = BYZ_ENOMEM;
					break;
				}
				if (!mark_of(o, ev, e)) {
					m->nev--;
				} else {
					e->t = tmp.t;
					if (conflict)
						e->flags |= CF_CONFLICT;
					if (!take)
						e->flags |= CF_OUTSIDE;
					if (post)
						post_marks++;
				}
			} else if (slot > 0) {
				(post ? m->after : m->before)[slot]++;
			}
		}
		json_decref(o);
		/* after the window: until every message drawn has its end
		 * and the anchor is passed, or enough marks */
		if (post && resolved >= want && line > m->anchor_line)
			in = false;
		if (post && post_marks >= max)
			in = false;
	}
	free(buf);
	m->unresolved = want - resolved;
	return rc;
}

/* ---- lanes ------------------------------------------------------------- */

static void add_lane(struct model *m, uint32_t addr)
{
	struct lane *l;

	if (m->nlanes >= MAX_LANES)
		return;
	l = &m->lanes[m->nlanes++];
	l->addr = addr;
	trace_node_name(l->name, addr);
	l->client = byz_is_client_addr(addr);
	l->twin = byz_is_twin_addr(addr);
	l->byz = !l->client && (m->byz[byz_addr_replica(addr)] || l->twin);
}

static void make_lanes(struct model *m)
{
	uint32_t r, c;

	for (r = 0; r < m->n; r++) {
		add_lane(m, r);
		if (m->twin[r])
			add_lane(m, byz_twin_addr(r));
	}
	if (m->nclients <= MAX_CLIENT_LANES) {
		for (c = 0; c < m->max_client; c++)
			if (m->clients[c / 8] & (1u << (c % 8)))
				add_lane(m, byz_client_addr(c));
		return;
	}
	/* many clients: those in the window */
	for (size_t i = 0; i < m->nev; i++) {
		uint32_t x[2] = {m->ev[i].a, m->ev[i].b};
		for (int k = 0; k < 2; k++) {
			bool have = false;
			if (!byz_is_client_addr(x[k]))
				continue;
			for (size_t j = 0; j < m->nlanes; j++)
				have |= m->lanes[j].addr == x[k];
			if (!have)
				add_lane(m, x[k]);
		}
	}
}

static int lane_of(const struct model *m, uint32_t addr)
{
	for (size_t i = 0; i < m->nlanes; i++)
		if (m->lanes[i].addr == addr)
			return (int)i;
	return -1;
}

/* ---- SVG ---------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence of a character XML allows at s
 * (2 to 4 bytes), or 0. */
static int utf8_len(const unsigned char *s)
{
	uint32_t cp;
	int n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
	    cp == 0xffff)
		return 0;
	return n;
}

/* Text for XML: & < > " ' escaped; control characters and bytes that are
 * not valid UTF-8 (a label cut short) as '?'. */
static void esc(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int n;
		if (c >= 0x80) {
			n = utf8_len((const unsigned char *)s);
			if (n) {
				fwrite(s, 1, (size_t)n, out);
				s += n - 1;
			} else {
				fputc('?', out);
			}
		} else if (c == '&')
			fputs("&amp;", out);
		else if (c == '<')
			fputs("&lt;", out);
		else if (c == '>')
			fputs("&gt;", out);
		else if (c == '"')
			fputs("&quot;", out);
		else if (c == '\'')
			fputs("&apos;", out);
		else if (c < 0x20 || c == 0x7f)
			fputc('?', out);
		else
			fputc(c, out);
	}
}

/* 1234567 -> "1,234,567" */
static const char *grouped(char buf[32], uint64_t v)
{
	char d[24];
	int n = snprintf(d, sizeof d, "%" PRIu64, v), k = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = d[i];
	}
	buf[k] = '\0';
	return buf;
}

static const char *ms(char buf[32], uint64_t us)
{
	snprintf(buf, 32, "%" PRIu64 ".%03" PRIu64 " ms", us / 1000, us % 1000);
	return buf;
}

/* A message's label: its description without "PROTOCOL/" and without
 * digests, signatures and lists (the full one is its title). */
static void short_label(const char *full, char *out, size_t cap)
{
	const char *p = strchr(full, '/');
	size_t k = 0;

	p = p && p < full + 12 ? p + 1 : full;
	while (*p && k + 1 < cap) {
		const char *w = p;
		size_t wl = strcspn(w, " ");
		bool skip = !strncmp(w, "d=", 2) || !strncmp(w, "sig", 3) ||
			    !strncmp(w, "digest", 6) || !strncmp(w, "req=", 4);
		if (!skip) {
			if (k && k + 1 < cap)
				out[k++] = ' ';
			for (size_t i = 0; i < wl && k + 1 < cap; i++)
				out[k++] = w[i];
		}
		p = w + wl;
		while (*p == ' ')
			p++;
	}
	out[k] = '\0';
	if (k > 40)
		memcpy(out + 37, "...", 4);
}

#define LEFT	110
#define LANE_W	128
#define HEAD_Y	150
#define ROW_TOP (HEAD_Y + 40)

static int lane_x(int lane)
{
	return LEFT + LANE_W / 2 + lane * LANE_W;
}

static void header_line(FILE *out, const char *cls, int y, const char *fmt,
			const char *text, int size)
{
	(void)fmt;
	fprintf(out, "<text class=\"%s\" x=\"10\" y=\"%d\" font-size=\"%d\">",
		cls, y, size);
	esc(out, text);
	fputs("</text>\n", out);
}

/* blue: a message; purple: re-signed or injected; orange: tampered */
static const char *const colours[3] = {"#1c7ed6", "#ae3ec9", "#d9480f"};

static int msg_colour(uint32_t flags, uint8_t what)
{
	if ((what & (LBL_FORGED)) || (flags & CF_TAMPERED))
		return 2;
	if ((what & (LBL_CHANGED | LBL_INJECTED)) || (flags & CF_REWRITE))
		return 1;
	return 0;
}

static void draw_mark(FILE *out, const struct model *m, const char *p,
		      const struct cev *e, int x, unsigned *nconf)
{
	static const char *cls[] = {
	    [CK_TIMER] = "bzc-timer",	  [CK_COMMIT] = "bzc-commit",
	    [CK_RESTORE] = "bzc-restore", [CK_VIEW] = "bzc-view",
	    [CK_CRASH] = "bzc-crash",	  [CK_RESTART] = "bzc-restart",
	    [CK_FAULT] = "bzc-fault",	  [CK_SUBMIT] = "bzc-submit",
	    [CK_ACCEPT] = "bzc-accept",
	};
	char tb[32], nb[16];
	int y = (int)e->y;

	fprintf(out, "<g class=\"bzc-mark %s%s\"", cls[e->kind],
		(e->flags & CF_CONFLICT) ? " bzc-conflict" : "");
	if (e->flags & CF_CONFLICT)
		fprintf(out, " id=\"%s-conflict-%u\"", p, (*nconf)++);
	fprintf(out, " data-node=\"%s\" data-t=\"%" PRIu64 "\">",
		trace_node_name(nb, e->a), e->t);
	fputs("<title>", out);
	esc(out, nb);
	fputs(" at ", out);
	esc(out, ms(tb, e->t));
	fputs(": ", out);
	esc(out, e->text);
	if (e->flags & CF_CONFLICT)
		fputs(" (conflicting commit: agreement violated at this "
		      "height)",
		      out);
	if (e->flags & CF_OUTSIDE)
		fputs(" (outside the window, drawn for the conflict)", out);
	fputs("</title>", out);
	switch (e->kind) {
	case CK_COMMIT:
	case CK_RESTORE:
		fprintf(out,
			"<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
			"fill=\"%s\" stroke=\"%s\" stroke-width=\"%d\"/>",
			x - 5, y - 5,
			(e->flags & CF_CONFLICT) ? "#fa5252" : "#2f9e44",
			(e->flags & CF_CONFLICT) ? "#c92a2a" : "#2b8a3e",
			(e->flags & CF_CONFLICT) ? 3 : 1);
		break;
	case CK_VIEW:
		fprintf(
		    out,
		    "<path d=\"M%d %d l5 5 l-5 5 l-5 -5 z\" fill=\"#fab005\" "
		    "stroke=\"#e67700\"/>",
		    x, y - 5);
		break;
	case CK_TIMER:
		fprintf(out,
			"<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"white\" "
			"stroke=\"#495057\"/>",
			x, y);
		break;
	case CK_CRASH:
	case CK_FAULT:
		fprintf(
		    out,
		    "<path d=\"M%d %d l12 12 M%d %d l-12 12\" stroke=\"%s\" "
		    "stroke-width=\"3\"/>",
		    x - 6, y - 6, x + 6, y - 6,
		    e->kind == CK_CRASH ? "#212529" : "#e03131");
		break;
	case CK_RESTART:
		fprintf(
		    out,
		    "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"#212529\"/>", x,
		    y);
		break;
	default:
		fprintf(
		    out,
		    "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"#868e96\"/>", x,
		    y);
		break;
	}
	if (e->kind != CK_TIMER && e->kind != CK_SUBMIT &&
	    e->kind != CK_ACCEPT) {
		fprintf(
		    out,
		    "<text x=\"%d\" y=\"%d\" font-size=\"%d\" fill=\"%s\"%s>",
		    x + 8, y + 4, (e->flags & CF_CONFLICT) ? 11 : 9,
		    (e->flags & CF_CONFLICT) ? "#c92a2a" : "#343a40",
		    (e->flags & CF_CONFLICT) ? " font-weight=\"bold\"" : "");
		esc(out, e->text);
		if (e->flags & CF_CONFLICT)
			fputs(" CONFLICT", out);
		fputs("</text>", out);
	}
	fputs("</g>\n", out);
	(void)m;
}

static void draw_msg(FILE *out, const struct model *m, const char *p,
		     const struct cev *s, unsigned bottom)
{
	const struct cev *e = s->peer == SIZE_MAX ? NULL : &m->ev[s->peer];
	const struct label *lb = label_of(m->labels, s->id);
	char full[300], sent[300] = "", shrt[64], fb[16], tb[16], t1[32],
			t2[32];
	int la = lane_of(m, s->a), lbn = lane_of(m, e ? e->b : s->b);
	int x1, x2, y1 = (int)s->y, y2;
	uint8_t what = lb ? lb->what : 0;
	int ci = msg_colour(s->flags, what);
	const char *colour = colours[ci], *state;

	if (la < 0 || lbn < 0)
		return;
	x1 = lane_x(la);
	x2 = lane_x(lbn);
	if (lb)
		snprintf(full, sizeof full, "%.*s", (int)lb->len,
			 m->labels->arena + lb->off);
	else
		snprintf(full, sizeof full, "%s", s->text);
	if (lb && lb->sent_len)
		snprintf(sent, sizeof sent, "%.*s", (int)lb->sent_len,
			 m->labels->arena + lb->sent_off);
	short_label(full, shrt, sizeof shrt);
	state = !e			? "bzc-inflight"
		: e->kind == CK_DELIVER ? "bzc-delivered"
		: e->kind == CK_DROP	? "bzc-drop"
					: "bzc-reject";
	fprintf(
	    out, "<g class=\"bzc-msg %s%s%s%s%s\"%s data-id=\"%" PRIu64 "\">",
	    state, (s->flags & CF_PAST) ? " bzc-past" : "",
	    ((what & LBL_FORGED) || (s->flags & CF_TAMPERED)) ? " bzc-tampered"
							      : "",
	    ((what & LBL_CHANGED) || (s->flags & CF_REWRITE)) ? " bzc-resigned"
							      : "",
	    (what & LBL_INJECTED) ? " bzc-injected" : "",
	    m->has_past && !(s->flags & CF_PAST) ? " opacity=\"0.3\"" : "",
	    s->id);
	fputs("<title>", out);
	esc(out, trace_node_name(fb, s->a));
	fputs(" -> ", out);
	esc(out, trace_node_name(tb, e ? e->b : s->b));
	fprintf(out, " #%" PRIu64 ": ", s->id);
	esc(out, full);
	if (sent[0]) {
		fputs(" (sent as: ", out);
		esc(out, sent);
		fputs(")", out);
	}
	if (what & LBL_FORGED)
		fputs("; tampered with by the adversary", out);
	else if (what & LBL_CHANGED)
		fputs("; re-signed by its Byzantine sender", out);
	if (what & LBL_INJECTED)
		fputs("; injected by the adversary", out);
	fputs("; sent ", out);
	esc(out, ms(t1, s->t));
	if (e) {
		fputs(e->kind == CK_DELIVER ? ", delivered "
		      : e->kind == CK_DROP  ? ", dropped "
					    : ", rejected ",
		      out);
		esc(out, ms(t2, e->t));
		if (e->detail[0]) {
			fputs(" (", out);
			esc(out, e->detail);
			fputs(")", out);
		}
	} else {
		fputs(", not delivered in the window", out);
	}
	fputs("</title>", out);
	if (e && e->kind == CK_DROP) {
		/* a part of the way, ending in an X */
		int xe = x1 + (x2 - x1) * 2 / 5;
		int ye = (int)e->y > y1 ? (int)e->y : y1 + 6;
		fprintf(
		    out,
		    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "stroke=\"%s\" stroke-dasharray=\"3 2\"/>"
		    "<path d=\"M%d %d l8 8 M%d %d l-8 8\" stroke=\"#e03131\" "
		    "stroke-width=\"2\"/>",
		    x1, y1, xe, ye, colour, xe - 4, ye - 4, xe + 4, ye - 4);
	} else {
		y2 = e ? (int)e->y : (int)bottom;
		fprintf(out,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"%s\"%s marker-end=\"url(#%s-arrow-%c)\"/>",
			x1, y1, x2, y2, colour,
			e ? "" : " stroke-dasharray=\"6 3\"", p, "bpo"[ci]);
		if (e && e->kind == CK_REJECT)
			fprintf(out,
				"<path d=\"M%d %d l0 12\" stroke=\"#e03131\" "
				"stroke-width=\"4\"/><text x=\"%d\" y=\"%d\" "
				"font-size=\"9\" fill=\"#e03131\">rejected: ",
				x2 + (x2 > x1 ? -8 : 8), y2 - 6,
				x2 + (x2 > x1 ? -10 : 10), y2 + 12);
		if (e && e->kind == CK_REJECT) {
			esc(out, e->detail);
			fputs("</text>", out);
		}
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"%s\"%s>",
		x1 + (x2 >= x1 ? 6 : -6), y1 - 2, colour,
		x2 >= x1 ? "" : " text-anchor=\"end\"");
	esc(out, shrt);
	if (what & LBL_FORGED)
		fputs(" [tampered]", out);
	else if (what & LBL_CHANGED)
		fputs(" [re-signed]", out);
	if (what & LBL_INJECTED)
		fputs(" [injected]", out);
	fputs("</text></g>\n", out);
}

static void sanitize_prefix(const char *in, char *out, size_t cap)
{
	size_t k = 0;

	if (!in || !*in)
		in = "c";
	if (!((in[0] >= 'a' && in[0] <= 'z') || (in[0] >= 'A' && in[0] <= 'Z')))
		out[k++] = 'c';
	for (; *in && k + 1 < cap; in++) {
		char c = *in;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_';
		out[k++] = ok ? c : '_';
	}
	out[k] = '\0';
}

/* The node an event happened at. */
static uint32_t ev_node(const struct cev *e)
{
	return e->kind == CK_DELIVER || e->kind == CK_DROP ||
		       e->kind == CK_REJECT
		   ? e->b
		   : e->a;
}

/*
 * Happened-before (Lamport 1978) back from the conflicting commits: an
 * event is in their causal past if it precedes one of them on its node, or
 * precedes, on its node, the send of a message delivered to a node at a
 * point in that past. One backward pass: a delivery in the past puts its
 * send (earlier in the trace) in the past too. Within the window only.
 */
static void causal_past(struct model *m)
{
	size_t *front = malloc(MAX_LANES * sizeof *front);
	size_t i;

	if (!front)
		return;
	for (i = 0; i < MAX_LANES; i++)
		front[i] = SIZE_MAX;
	for (i = 0; i < m->nev; i++)
		if (m->ev[i].flags & CF_CONFLICT) {
			int l = lane_of(m, ev_node(&m->ev[i]));
			if (l >= 0)
				front[l] = i;
			m->has_past = true;
		}
	for (i = m->nev; m->has_past && i-- > 0;) {
		struct cev *e = &m->ev[i];
		int l = lane_of(m, ev_node(e));
		if (l < 0 || front[l] == SIZE_MAX || i > front[l])
			continue;
		e->flags |= CF_PAST;
		if (e->kind == CK_DELIVER && e->peer != SIZE_MAX) {
			int ls = lane_of(m, m->ev[e->peer].a);
			if (ls >= 0 &&
			    (front[ls] == SIZE_MAX || front[ls] < e->peer))
				front[ls] = e->peer;
		}
	}
	free(front);
}

static void render(FILE *out, struct model *m, const struct chart_opts *o)
{
	char p[80], b1[32], b2[32], b3[32], b4[32], t1[32], t2[32], line[900];
	unsigned y = ROW_TOP, bottom, lasttick = 0, nconf = 0;
	uint64_t prev_t = 0, t_lo = UINT64_MAX, t_hi = 0;
	int width, height;
	size_t i;
	bool first = true;

	sanitize_prefix(o ? o->id_prefix : NULL, p, sizeof p);
	/* rows */
	struct brk {
		unsigned y;
		uint64_t dt;
	} *brks = calloc(m->nev + 1, sizeof *brks);
	size_t nbrk = 0;
	for (i = 0; i < m->nev; i++) {
		struct cev *e = &m->ev[i];
		uint64_t dt = first || e->t < prev_t ? 0 : e->t - prev_t;
		int broken = 0;
		unsigned base = e->kind == CK_SEND ? 16 : 11;
		unsigned g = first ? 0 : chart_gap(base, dt, &broken);
		if (broken && brks) {
			brks[nbrk].y = y + g / 2;
			brks[nbrk++].dt = dt;
		}
		y += g;
		e->y = y;
		prev_t = e->t;
		first = false;
		if (!(e->flags & CF_OUTSIDE)) {
			if (e->t < t_lo)
				t_lo = e->t;
			if (e->t > t_hi)
				t_hi = e->t;
		}
	}
	bottom = y + 30;
	height = (int)bottom + 30;
	width = LEFT + (int)m->nlanes * LANE_W + 280;
	if (width < 900)
		width = 900;
	if (t_lo == UINT64_MAX)
		t_lo = t_hi = 0;

	fprintf(
	    out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" "
	    "class=\"bzc-chart\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, sans-serif\">\n",
	    p, width, height, width, height);
	fputs("<defs>", out);
	for (int k = 0; k < 3; k++)
		fprintf(out,
			"<marker id=\"%s-arrow-%c\" viewBox=\"0 0 10 10\" "
			"refX=\"9\" refY=\"5\" markerWidth=\"7\" "
			"markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0 "
			"L10 5 L0 10 z\" fill=\"%s\"/></marker>",
			p, "bpo"[k], colours[k]);
	fputs("</defs>\n", out);
	fprintf(out,
		"<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
		"fill=\"white\"/>\n",
		width, height);
	/* header */
	header_line(out, "bzc-title", 24, NULL, m->title, 16);
	snprintf(line, sizeof line, "%s, n=%u, f=%u, seed %s%s%s",
		 m->protocol[0] ? m->protocol : "?", m->n, m->f,
		 m->seed[0] ? m->seed : "?", m->faults[0] ? "; " : "",
		 m->faults);
	header_line(out, "bzc-run", 44, NULL, line, 12);
	header_line(out, "bzc-verdict", 62, NULL, m->verdict, 12);
	if (m->s_lo == 0 && m->s_hi == m->sends)
		snprintf(line, sizeof line,
			 "all %s messages; t %s to %s; around %s at %s",
			 grouped(b1, m->sends), ms(t1, t_lo), ms(t2, t_hi),
			 m->anchor_what, ms(b3, m->anchor_t));
	else
		snprintf(line, sizeof line,
			 "messages %s-%s of %s; t %s to %s; window around %s "
			 "at %s",
			 grouped(b1, m->s_lo + 1), grouped(b2, m->s_hi),
			 grouped(b3, m->sends), ms(t1, t_lo), ms(t2, t_hi),
			 m->anchor_what, ms(b4, m->anchor_t));
	header_line(out, "bzc-window", 80, NULL, line, 12);
	{
		char bb[5][32], ab[5][32];
		for (int k = 0; k < 5; k++) {
			grouped(bb[k], m->before[k]);
			grouped(ab[k], m->after[k]);
		}
		snprintf(line, sizeof line,
			 "not drawn: before the window %s messages, %s "
			 "commits, %s view changes, %s timers, %s other marks; "
			 "after it %s messages, %s commits, %s view changes, "
			 "%s timers, %s other marks",
			 bb[0], bb[1], bb[2], bb[3], bb[4], ab[0], ab[1], ab[2],
			 ab[3], ab[4]);
	}
	header_line(out, "bzc-elided", 98, NULL, line, 11);
	header_line(out, "bzc-legend", 116, NULL,
		    m->has_past
			? "time runs down; an idle gap over 2 ms is compressed "
			  "(dashed line). blue: message; purple: re-signed or "
			  "injected; orange: tampered; X: dropped; red bar: "
			  "rejected; faded: not in the causal past "
			  "(happened-before) of the conflicting commits"
			: "time runs down; an idle gap over 2 ms is compressed "
			  "(dashed line). blue: message; purple: re-signed or "
			  "injected by the adversary; orange: tampered; X: "
			  "dropped; red bar: rejected at ingress",
		    10);
	header_line(out, "bzc-legend", 130, NULL,
		    "green square: commit; red square: conflicting commit; "
		    "diamond: view; circle: timer; black X: crash; red X: "
		    "broken output rule; grey lanes: Byzantine (twin "
		    "instances: their own lane)",
		    10);
	/* lanes */
	for (i = 0; i < m->nlanes; i++) {
		const struct lane *l = &m->lanes[i];
		int x = lane_x((int)i);
		fprintf(out,
			"<g class=\"bzc-lane%s%s%s\" id=\"%s-lane-%s\" "
			"data-node=\"%s\">",
			l->byz ? " bzc-byz" : "", l->twin ? " bzc-twin" : "",
			l->client ? " bzc-client" : " bzc-replica", p, l->name,
			l->name);
		if (l->byz)
			fprintf(out,
				"<rect x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"%u\" fill=\"%s\"/>",
				x - LANE_W / 2 + 4, HEAD_Y, LANE_W - 8,
				bottom - HEAD_Y,
				l->twin ? "#e9d8fd" : "#dee2e6");
		fprintf(out,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%u\" "
			"stroke=\"#adb5bd\"/>",
			x, HEAD_Y + 24, x, bottom);
		fprintf(
		    out,
		    "<text x=\"%d\" y=\"%d\" font-size=\"13\" "
		    "text-anchor=\"middle\" font-weight=\"bold\">%s%s</text>"
		    "</g>\n",
		    x, HEAD_Y + 18, l->name,
		    l->byz ? (l->twin ? " (twin)" : " (byz)") : "");
	}
	/* compressed gaps and times */
	for (i = 0; i < nbrk; i++) {
		fprintf(
		    out,
		    "<g class=\"bzc-gap\"><line x1=\"%d\" y1=\"%u\" x2=\"%d\" "
		    "y2=\"%u\" stroke=\"#ced4da\" "
		    "stroke-dasharray=\"2 4\"/><text x=\"%d\" y=\"%u\" "
		    "font-size=\"9\" fill=\"#868e96\">+%s idle</text></g>\n",
		    LEFT, brks[i].y, width - 10, brks[i].y, LEFT + 4,
		    brks[i].y - 2, ms(t1, brks[i].dt));
	}
	free(brks);
	prev_t = UINT64_MAX;
	for (i = 0; i < m->nev; i++) {
		const struct cev *e = &m->ev[i];
		if (e->t == prev_t || (lasttick && e->y < lasttick + 40))
			continue;
		fprintf(out,
			"<text class=\"bzc-time\" x=\"%d\" y=\"%u\" "
			"font-size=\"9\" text-anchor=\"end\" "
			"fill=\"#495057\">%s</text>\n",
			LEFT - 8, e->y + 3, ms(t1, e->t));
		lasttick = e->y;
		prev_t = e->t;
	}
	/* messages, then marks on top */
	for (i = 0; i < m->nev; i++)
		if (m->ev[i].kind == CK_SEND)
			draw_msg(out, m, p, &m->ev[i], bottom - 10);
	for (i = 0; i < m->nev; i++) {
		const struct cev *e = &m->ev[i];
		int l;
		if (e->kind <= CK_REJECT)
			continue;
		if ((l = lane_of(m, e->a)) < 0)
			continue;
		draw_mark(out, m, p, e, lane_x(l), &nconf);
	}
	fputs("</svg>\n", out);
}

/* ---- drawing a trace file ----------------------------------------------- */

typedef int (*relabel_fn)(void *ctx, struct model *m);

static int draw(FILE *tf, struct model *m, const struct chart_opts *o,
		FILE *svg, relabel_fn relabel, void *rctx, char *why,
		size_t whylen)
{
	uint32_t max =
	    o && o->max_arrows ? o->max_arrows : CHART_DEFAULT_ARROWS;
	uint32_t after = o && o->after_arrows ? o->after_arrows : max / 10;
	int rc;

	if (max > CHART_MAX_ARROWS)
		max = CHART_MAX_ARROWS;
	if (!(o && o->after_arrows) && after < 5)
		after = 5;
	rc = pass1(tf, m);
	if (!rc && m->amnesia_late) {
		/* a replica restarted without its state: the checkers leave
		 * it out from the start, so judge the commits again so */
		pass1_reset(m);
		rewind(tf);
		rc = pass1(tf, m);
	}
	if (rc) {
		snprintf(why, whylen, "%s: %s", m->path,
			 rc == BYZ_EIO ? "cannot read it" : "out of memory");
		return rc;
	}
	if (!m->has_run) {
		snprintf(why, whylen, "%s:1: not a trace: no run line",
			 m->path);
		return BYZ_EINVAL;
	}
	chart_window(m->sends, m->anchor_ord, max, after, &m->s_lo, &m->s_hi);
	rewind(tf);
	if ((rc = pass2(tf, m, max))) {
		snprintf(why, whylen, "%s: %s", m->path,
			 rc == BYZ_EIO ? "cannot read it" : "out of memory");
		return rc;
	}
	if (relabel && (rc = relabel(rctx, m))) {
		snprintf(why, whylen, "%s: cannot replay it for the labels: %s",
			 m->path, byz_strerror(rc));
		return rc;
	}
	make_lanes(m);
	causal_past(m);
	render(svg, m, o);
	if (fflush(svg) || ferror(svg)) {
		snprintf(why, whylen, "cannot write the chart: %s",
			 strerror(errno ? errno : EIO));
		return BYZ_EIO;
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int chart_from_trace(const char *path, const struct chart_opts *o, FILE *svg,
		     char *why, size_t whylen)
{
	struct trace_read *tr = calloc(1, sizeof *tr);
	struct model *m = calloc(1, sizeof *m);
	FILE *f = NULL;
	int rc;

	if (!tr || !m) {
		free(tr);
		free(m);
		snprintf(why, whylen, "out of memory");
		return BYZ_ENOMEM;
	}
	/* the strict reader first: what it refuses is not drawn */
	rc = trace_read_file(path, tr, why, whylen);
	if (rc)
		goto out;
	f = fopen(path, "r");
	if (!f) {
		snprintf(why, whylen, "%s: cannot read it: %s", path,
			 strerror(errno));
		rc = BYZ_EIO;
		goto out;
	}
	m->path = path;
	snprintf(m->title, sizeof m->title, "%s",
		 o && o->title ? o->title : base_name(path));
	if (tr->has_end) {
		char t1[32];
		snprintf(m->verdict, sizeof m->verdict,
			 "the trace's run ended (%s) at %s; %" PRIu64
			 " lines; trace %.16s",
			 tr->end.done ? "done" : "not done",
			 ms(t1, tr->end.now), tr->lines, tr->hash);
	} else
		snprintf(m->verdict, sizeof m->verdict,
			 "the trace has no end line; %" PRIu64
			 " lines; trace %.16s",
			 tr->lines, tr->hash);
	rc = draw(f, m, o, svg, NULL, NULL, why, whylen);
out:
	if (f)
		fclose(f);
	trace_read_free(tr);
	free(tr);
	model_free(m);
	free(m);
	return rc;
}

/* ---- drawing a failure -------------------------------------------------- */

struct replay {
	struct scenario sc;
	struct labels *labels;
};

/* The labels overflowed on the first run: run the scenario again keeping
 * only the ids of the window. */
static int relabel(void *ctx, struct model *m)
{
	struct replay *r = ctx;
	struct scenario_result *res;
	uint64_t lo = UINT64_MAX, hi = 0;
	FILE *devnull;
	int rc;

	if (!r->labels->overflow)
		return r->labels->oom ? BYZ_ENOMEM : 0;
	for (size_t i = 0; i < m->nev; i++) {
		if (m->ev[i].kind != CK_SEND)
			continue;
		if (m->ev[i].id < lo)
			lo = m->ev[i].id;
		if (m->ev[i].id > hi)
			hi = m->ev[i].id;
	}
	labels_free(r->labels);
	if (lo == UINT64_MAX)
		return 0;
	r->labels->lo = lo;
	r->labels->hi = hi;
	if (!(res = malloc(sizeof *res)))
		return BYZ_ENOMEM;
	devnull = NULL; /* no trace file: the hash only */
	rc = scenario_run(&r->sc, devnull, res);
	free(res);
	if (!rc && r->labels->oom)
		rc = BYZ_ENOMEM;
	return rc;
}

int chart_from_failure(const char *path, const struct chart_opts *o, FILE *svg,
		       char *why, size_t whylen)
{
	struct failure *fl = calloc(1, sizeof *fl);
	struct scenario_result *res = calloc(1, sizeof *res);
	struct model *m = calloc(1, sizeof *m);
	struct labels labels = {.lo = 0, .hi = UINT64_MAX};
	struct replay rp;
	FILE *f = NULL, *tf = NULL;
	int rc;

	if (!fl || !res || !m) {
		snprintf(why, whylen, "out of memory");
		rc = BYZ_ENOMEM;
		goto out;
	}
	if (!(f = fopen(path, "r"))) {
		snprintf(why, whylen, "%s: cannot read it: %s", path,
			 strerror(errno));
		rc = BYZ_EIO;
		goto out;
	}
	fclose(f);
	f = NULL;
	if (failure_read(path, fl, NULL, why, whylen)) {
		rc = BYZ_EINVAL;
		goto out;
	}
	if (!(tf = tmpfile())) {
		snprintf(why, whylen, "cannot create a temporary file: %s",
			 strerror(errno));
		rc = BYZ_EIO;
		goto out;
	}
	rp.sc = fl->sc;
	rp.sc.stop = NULL;
	rp.sc.on_frame = labels_cb;
	rp.sc.on_frame_ctx = &labels;
	rp.labels = &labels;
	rc = scenario_run(&rp.sc, tf, res);
	if (rc) {
		snprintf(why, whylen, "%s: scenario: cannot run it: %s", path,
			 res->why);
		if (rc != BYZ_ENOMEM && rc != BYZ_EIO)
			rc = BYZ_EINVAL;
		goto out;
	}
	if (fflush(tf) || ferror(tf)) {
		snprintf(why, whylen, "cannot write a temporary file");
		rc = BYZ_EIO;
		goto out;
	}
	rewind(tf);
	m->path = path;
	m->violation_us = res->violation_us;
	snprintf(m->title, sizeof m->title, "%s",
		 o && o->title ? o->title : fl->id);
	snprintf(m->verdict, sizeof m->verdict, "%s: %s%s",
		 verdict_name(res->verdict), res->why[0] ? res->why : "-",
		 strcmp(res->trace_hash, fl->trace_hash)
		     ? " (NOT the saved run: the replay's trace hash differs)"
		     : "");
	m->labels = &labels;
	rc = draw(tf, m, o, svg, relabel, &rp, why, whylen);
	m->labels = NULL;
out:
	if (tf)
		fclose(tf);
	labels_free(&labels);
	free(fl);
	free(res);
	if (m)
		model_free(m);
	free(m);
	return rc;
}

int chart_write_failure(const char *failure_path, const char *svg_path,
			const struct chart_opts *o, char *why, size_t whylen)
{
	struct outfile of;
	char inner[OUTFILE_PATH_MAX + 256];
	int rc;

	if (outfile_open(&of, svg_path, 0644, 0, inner, sizeof inner)) {
		snprintf(why, whylen, "%s", inner);
		return BYZ_EIO;
	}
	rc = chart_from_failure(failure_path, o, of.f, why, whylen);
	if (rc) {
		outfile_abort(&of);
		return rc;
	}
	if (outfile_commit(&of, inner, sizeof inner)) {
		snprintf(why, whylen, "%s", inner);
		return BYZ_EIO;
	}
	return 0;
}

int chart_input_kind(const char *path, enum chart_input *kind, char *why,
		     size_t whylen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	json_t *o;
	json_error_t err;

	if (!f) {
		snprintf(why, whylen, "%s: cannot read it: %s", path,
			 strerror(errno));
		return BYZ_EIO;
	}
	len = getline(&buf, &cap, f);
	fclose(f);
	if (len < 0) {
		free(buf);
		snprintf(why, whylen,
			 "%s: empty: neither a failure file nor a trace", path);
		return BYZ_EINVAL;
	}
	o = json_loadb(buf, (size_t)len, 0, &err);
	free(buf);
	if (o && json_is_object(o) && json_object_get(o, "ev")) {
		json_decref(o);
		*kind = CHART_TRACE;
		return 0;
	}
	if (o && json_is_object(o) && json_object_get(o, "byzlab_failure")) {
		json_decref(o);
		*kind = CHART_FAILURE;
		return 0;
	}
	json_decref(o);
	o = json_load_file(path, 0, &err);
	if (o && json_is_object(o) && json_object_get(o, "byzlab_failure")) {
		json_decref(o);
		*kind = CHART_FAILURE;
		return 0;
	}
	if (!o) {
		snprintf(why, whylen,
			 "%s:%d: not JSON (%s): neither a failure file nor a "
			 "trace (JSON Lines)",
			 path, err.line, err.text);
	} else {
		snprintf(why, whylen,
			 "%s: JSON, but neither a failure file (no "
			 "\"byzlab_failure\") nor a trace (its first line has "
			 "no \"ev\")",
			 path);
		json_decref(o);
	}
	return BYZ_EINVAL;
}
