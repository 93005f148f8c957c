/*
 * trace_read.c - a trace file read back into a trace_log (trace_read.h).
 *
 * One line at a time into a fixed buffer, parsed by jansson (duplicate
 * keys rejected), then checked field by field. Each kind of line has the
 * fields docs/trace.md lists; those the checkers read are checked for type
 * and range too, and go into the log.
 */
#include "trace_read.h"

#include "causal.h"

#include "err.h"
#include "verdict.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the reader is, for messages. */
struct rd {
	const char *path;
	uint64_t line;
	const char *ev; /* the line's kind, once known */
	char *why;
	size_t whylen;
	struct trace_read *out;
	bool has_run;
	uint64_t last_t;
	FILE *clocks; /* the lines again with their clocks, or NULL */
};

/* Write "PATH:LINE: EV: message" into why; return BYZ_EINVAL. */
__attribute__((format(printf, 2, 3))) static int rd_fail(struct rd *rd,
							 const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (rd->ev)
		snprintf(rd->why, rd->whylen, "%s:%" PRIu64 ": %s: %s",
			 rd->path, rd->line, rd->ev, msg);
	else
		snprintf(rd->why, rd->whylen, "%s:%" PRIu64 ": %s", rd->path,
			 rd->line, msg);
	return BYZ_EINVAL;
}

/* Field name of o as a whole number in [0, max]. */
static int rd_u64(struct rd *rd, json_t *o, const char *name, uint64_t max,
		  uint64_t *v)
{
	json_t *j = json_object_get(o, name);
	json_int_t x;

	if (!j)
		return rd_fail(rd, "field '%s' is missing", name);
	if (!json_is_integer(j))
		return rd_fail(rd, "field '%s' is not a whole number", name);
	x = json_integer_value(j);
	if (x < 0 || (uint64_t)x > max)
		return rd_fail(rd,
			       "field '%s' is %" PRId64 ", outside 0..%" PRIu64,
			       name, (int64_t)x, max);
	*v = (uint64_t)x;
	return 0;
}

/* Field name of o as a whole number that fits 32 bits. */
static int rd_u32(struct rd *rd, json_t *o, const char *name, uint32_t *v)
{
	uint64_t x;
	int rc = rd_u64(rd, o, name, UINT32_MAX, &x);

	*v = (uint32_t)x;
	return rc;
}

/* Field name of o as a string of 1..cap-1 bytes, copied to out. */
static int rd_str(struct rd *rd, json_t *o, const char *name, char *out,
		  size_t cap)
{
	json_t *j = json_object_get(o, name);
	size_t len;

	if (!j)
		return rd_fail(rd, "field '%s' is missing", name);
	if (!json_is_string(j))
		return rd_fail(rd, "field '%s' is not a string", name);
	len = json_string_length(j);
	if (len == 0 || len >= cap || memchr(json_string_value(j), 0, len))
		return rd_fail(
		    rd, "field '%s' is not a name of 1 to %zu characters", name,
		    cap - 1);
	memcpy(out, json_string_value(j), len + 1);
	return 0;
}

/* Field name of o as true or false. */
static int rd_bool(struct rd *rd, json_t *o, const char *name, bool *v)
{
	json_t *j = json_object_get(o, name);

	if (!j)
		return rd_fail(rd, "field '%s' is missing", name);
	if (!json_is_boolean(j))
		return rd_fail(rd, "field '%s' is not true or false", name);
	*v = json_is_true(j);
	return 0;
}

/* The value of a lower-case hex digit, or -1. */
static int rd_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Field name of o as a digest: 64 lower-case hex digits. */
static int rd_digest(struct rd *rd, json_t *o, const char *name,
		     uint8_t d[BYZ_DIGEST_BYTES])
{
	char s[2 * BYZ_DIGEST_BYTES + 2];

	if (rd_str(rd, o, name, s, sizeof s))
		return BYZ_EINVAL;
	if (strlen(s) != 2 * BYZ_DIGEST_BYTES)
		goto bad;
	for (int i = 0; i < BYZ_DIGEST_BYTES; i++) {
		int hi = rd_hexval(s[2 * i]), lo = rd_hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto bad;
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
bad:
	return rd_fail(rd, "field '%s' is not %d lower-case hex digits", name,
		       2 * BYZ_DIGEST_BYTES);
}

/* Field name of o: a list of distinct replica ids below n. */
static int rd_ids(struct rd *rd, json_t *o, const char *name, uint32_t n,
		  bool out[BYZ_MAX_N])
{
	json_t *j = json_object_get(o, name), *e;
	size_t i;

	if (!j)
		return rd_fail(rd, "field '%s' is missing", name);
	if (!json_is_array(j))
		return rd_fail(rd, "field '%s' is not a list of replica ids",
			       name);
	json_array_foreach(j, i, e)
	{
		json_int_t x;

		if (!json_is_integer(e) || (x = json_integer_value(e)) < 0 ||
		    x >= (json_int_t)n || out[x])
			return rd_fail(
			    rd,
			    "field '%s': item %zu is not a replica id"
			    " below n = %" PRIu32 " listed once",
			    name, i + 1, n);
		out[x] = true;
	}
	return 0;
}

/* A replica id: 0..n-1, or with twins allowed, a twin instance of one
 * listed in the run line. *twin tells which. */
static int rd_replica(struct rd *rd, json_t *o, bool twins, uint32_t *r,
		      bool *twin)
{
	uint32_t n = rd->out->log.n;

	if (rd_u32(rd, o, "replica", r))
		return BYZ_EINVAL;
	*twin = false;
	if (*r < n)
		return 0;
	if (twins && byz_is_twin_addr(*r) && byz_addr_replica(*r) < n &&
	    rd->out->twin[byz_addr_replica(*r)]) {
		*twin = true;
		return 0;
	}
	return rd_fail(rd,
		       "replica %" PRIu32 " is not one of the n = %" PRIu32
		       " replicas%s",
		       *r, n, twins ? " or a twin the run line lists" : "");
}

/* Append one commit to the log (the checkers' copy). Not through
 * trace_log_add_commit: its online watch sizes a table by height, and a
 * trace file's heights are not to be trusted with memory. */
static int rd_add_commit(struct trace_log *log, const struct trace_commit *c)
{
	if (log->ncommits == log->cap_commits) {
		size_t cap = log->cap_commits ? 2 * log->cap_commits : 256;
		struct trace_commit *p;

		if (cap > SIZE_MAX / sizeof *p)
			return BYZ_ENOMEM;
		p = realloc(log->commits, cap * sizeof *p);
		if (!p)
			return BYZ_ENOMEM;
		log->commits = p;
		log->cap_commits = cap;
	}
	log->commits[log->ncommits++] = *c;
	return 0;
}

/* The run line: the cluster, the workload, GST, the bound, who is
 * Byzantine, who has a twin, who is planned to lose its state. */
static int rd_run(struct rd *rd, json_t *o)
{
	struct trace_read *tr = rd->out;
	uint64_t n, f;
	char seed[sizeof tr->seed];

	if (rd->line != 1)
		return rd_fail(rd, "only the first line may be a run line");
	if (rd_str(rd, o, "protocol", tr->protocol, sizeof tr->protocol) ||
	    rd_str(rd, o, "driver", tr->driver, sizeof tr->driver) ||
	    rd_u64(rd, o, "n", BYZ_MAX_N, &n) ||
	    rd_u64(rd, o, "f", BYZ_MAX_N, &f) ||
	    rd_str(rd, o, "seed", seed, sizeof seed) ||
	    rd_u64(rd, o, "requests", UINT64_MAX, &tr->end.requests) ||
	    rd_u64(rd, o, "gst_us", UINT64_MAX, &tr->log.gst_us) ||
	    rd_u64(rd, o, "bound_us", UINT64_MAX, &tr->bound_us))
		return BYZ_EINVAL;
	if (n == 0)
		return rd_fail(rd, "field 'n' is 0: a cluster has a replica");
	/* An unknown protocol is judged by the Byzantine rule. */
	const struct byz_core_ops *model = byz_core_find(tr->protocol);
	if (byz_faults_min_n(model, (uint32_t)f) > n)
		return rd_fail(
		    rd,
		    "fields 'n' and 'f': n = %" PRIu64
		    " is below %s = %" PRIu64,
		    n, byz_faults(model) == BYZ_FAULTS_CRASH ? "2f+1" : "3f+1",
		    byz_faults_min_n(model, (uint32_t)f));
	if (strspn(seed, "0123456789") != strlen(seed))
		return rd_fail(rd, "field 'seed' is not a string of digits");
	memcpy(tr->seed, seed, sizeof seed);
	tr->log.n = (uint32_t)n;
	tr->log.f = (uint32_t)f;
	if (rd_ids(rd, o, "byzantine", tr->log.n, tr->declared) ||
	    rd_ids(rd, o, "twins", tr->log.n, tr->twin) ||
	    rd_ids(rd, o, "amnesia", tr->log.n, tr->amnesia))
		return BYZ_EINVAL;
	/* Optional: only a run with faults writes them. */
	if (json_object_get(o, "faults") &&
	    rd_str(rd, o, "faults", tr->faults, sizeof tr->faults))
		return BYZ_EINVAL;
	/* Optional: only a run without a GST writes it. */
	if (json_object_get(o, "no_gst") &&
	    rd_bool(rd, o, "no_gst", &tr->no_gst))
		return BYZ_EINVAL;
	for (uint32_t r = 0; r < tr->log.n; r++)
		if (tr->twin[r] && !tr->declared[r])
			return rd_fail(rd,
				       "replica %" PRIu32
				       " has a twin but is not Byzantine",
				       r);
	{
		const struct byz_core_ops *ops = byz_core_find(tr->protocol);
		tr->causal =
		    causal_new(tr->log.n,
			       ops && ops->decision_quorum
				   ? ops->decision_quorum(tr->log.n, tr->log.f)
				   : 0,
			       !strcmp(tr->driver, "sim"), &tr->log);
		if (!tr->causal)
			return BYZ_ENOMEM;
	}
	rd->has_run = true;
	return 0;
}

/* The end line: when and why the run ended. */
static int rd_end(struct rd *rd, json_t *o, uint64_t t)
{
	struct trace_read *tr = rd->out;
	struct sim_stats *st = &tr->end;
	char stop[16], name[32];
	json_t *ce = json_object_get(o, "core_error");

	if (rd_str(rd, o, "stop", stop, sizeof stop) ||
	    rd_u64(rd, o, "forged", UINT64_MAX, &st->forged_accepted))
		return BYZ_EINVAL;
	if (verdict_stop_parse(stop, st))
		return rd_fail(rd,
			       "field 'stop': '%s' is not done, time-limit,"
			       " event-limit, interrupted, violation,"
			       " core-error or idle",
			       stop);
	if (ce) {
		int code = 0;

		if (rd_str(rd, o, "core_error", name, sizeof name) ||
		    rd_u32(rd, o, "core_replica", &st->core_error_replica))
			return BYZ_EINVAL;
		for (int c = -1; c > -64 && !code; c--)
			if (!strcmp(byz_errname(c), name))
				code = c;
		if (!code)
			return rd_fail(
			    rd,
			    "field 'core_error': '%s' is not an error"
			    " name (lib/err.c)",
			    name);
		st->core_error = code;
	} else if (!strcmp(stop, "core-error")) {
		return rd_fail(rd, "field 'core_error' is missing");
	}
	st->now = t;
	tr->log.end_us = t;
	tr->has_end = true;
	return 0;
}

/* A submit line, into the log. */
static int rd_submit(struct rd *rd, json_t *o, uint64_t t)
{
	struct trace_submit s = {.t = t};

	if (rd_u32(rd, o, "client", &s.client) ||
	    rd_u64(rd, o, "ts", UINT64_MAX, &s.timestamp) ||
	    rd_digest(rd, o, "req", s.request_digest))
		return BYZ_EINVAL;
	rd->out->end.submitted++;
	if (rd->out->causal &&
	    causal_submit(rd->out->causal, s.client, s.timestamp))
		return BYZ_ENOMEM;
	return trace_log_add_submit(&rd->out->log, &s);
}

/* A commit line, or with restored a restore line (a state transfer). */
static int rd_commit(struct rd *rd, json_t *o, uint64_t t, bool restored)
{
	struct trace_commit c = {.t = t};
	bool twin;

	c.c.restored = restored;
	if (rd_replica(rd, o, true, &c.replica, &twin) ||
	    rd_u64(rd, o, "height", UINT64_MAX, &c.c.height) ||
	    rd_u64(rd, o, "slot", UINT64_MAX, &c.c.slot) ||
	    rd_digest(rd, o, "state", c.c.state_digest))
		return BYZ_EINVAL;
	if (!restored && (rd_u32(rd, o, "client", &c.c.client) ||
			  rd_u64(rd, o, "ts", UINT64_MAX, &c.c.timestamp) ||
			  rd_digest(rd, o, "req", c.c.request_digest)))
		return BYZ_EINVAL;
	if (!restored && !twin && rd->out->causal &&
	    causal_commit(rd->out->causal, t, c.replica, c.c.client,
			  c.c.timestamp, c.c.height))
		return BYZ_ENOMEM;
	/* A twin is Byzantine by definition: not checked (trace.h). */
	return twin ? 0 : rd_add_commit(&rd->out->log, &c);
}

/* A crash line, or with restart a restart line: who is down at the end,
 * and who came back without its state. */
static int rd_crash(struct rd *rd, json_t *o, bool restart)
{
	struct trace_read *tr = rd->out;
	uint32_t r;
	bool twin, with_state = true;

	if (rd_replica(rd, o, false, &r, &twin) ||
	    (restart && rd_bool(rd, o, "state", &with_state)))
		return BYZ_EINVAL;
	tr->log.down_at_end[r] = !restart;
	if (!with_state)
		tr->amnesia[r] = true; /* faulty, as in sim.c */
	return 0;
}

/* A fault line: an honest replica broke an output rule (lib/audit.h). */
static int rd_fault(struct rd *rd, json_t *o, uint64_t t)
{
	struct trace_fault f = {.t = t};
	char rule[32];
	bool twin;
	int k;

	if (rd_replica(rd, o, false, &f.replica, &twin) ||
	    rd_str(rd, o, "rule", rule, sizeof rule) ||
	    rd_str(rd, o, "text", f.text, sizeof f.text))
		return BYZ_EINVAL;
	for (k = 0; k < TRACE_RULE_COUNT; k++)
		if (!strcmp(rule, trace_rule_name((enum trace_rule)k)))
			break;
	if (k == TRACE_RULE_COUNT)
		return rd_fail(rd, "field 'rule' is not a rule (vote-once, "
				   "certificates, new-view, lock, decide)");
	f.rule = (enum trace_rule)k;
	if (trace_log_add_fault(&rd->out->log, &f))
		return BYZ_ENOMEM;
	return 0;
}

/* A view line: a replica entered a view or gave it up (core.h). */
static int rd_view(struct rd *rd, json_t *o, uint64_t t)
{
	struct trace_view v = {.t = t};
	char what[16];
	bool twin;

	if (rd_replica(rd, o, true, &v.replica, &twin) ||
	    rd_u64(rd, o, "view", UINT64_MAX, &v.v.view) ||
	    rd_u32(rd, o, "leader", &v.v.leader) ||
	    rd_str(rd, o, "what", what, sizeof what))
		return BYZ_EINVAL;
	if (strcmp(what, "enter") && strcmp(what, "enter-late") &&
	    strcmp(what, "give-up"))
		return rd_fail(rd, "field 'what' is not enter, enter-late or "
				   "give-up");
	v.v.late = !strcmp(what, "enter-late");
	if (v.v.leader >= rd->out->log.n)
		return rd_fail(rd, "field 'leader' is not a replica");
	v.v.gave_up = !strcmp(what, "give-up");
	if (twin)
		return 0;
	return trace_log_add_view(&rd->out->log, &v) ? BYZ_ENOMEM : 0;
}

/* A send line's "msg" ("NAME/TYPE"), counted by protocol and type. */
static void rd_count_send(struct rd *rd, json_t *o)
{
	const char *msg = json_string_value(json_object_get(o, "msg"));
	json_t *len = json_object_get(o, "len");

	for (int p = 0; msg && p < TRACE_PROTOS; p++) {
		const char *pn = wire_proto_name((uint8_t)p);
		size_t pl = strlen(pn);

		if (strncmp(msg, pn, pl) || msg[pl] != '/')
			continue;
		for (int ty = 0; ty < TRACE_TYPES; ty++) {
			if (strcmp(msg + pl + 1,
				   wire_type_name((uint8_t)p, (uint8_t)ty)))
				continue;
			rd->out->counts.sent[p][ty]++;
			if (json_is_integer(len) && json_integer_value(len) > 0)
				rd->out->counts.bytes[p][ty] +=
				    (uint64_t)json_integer_value(len);
			return;
		}
	}
}

/* The lines the checkers do not read: their fields, by kind. */
static const struct {
	const char *ev;
	const char *fields[6];
} rd_other[] = {
    {"send", {"id", "from", "to", "msg", "len"}},
    {"loopback", {"id", "replica"}},
    {"deliver", {"id", "from", "to"}},
    {"drop", {"id", "from", "to", "why"}},
    {"reject", {"id", "from", "to", "why"}},
    {"timer", {"node", "timer"}},
    {"note", {"node", "text"}},
    {"relay", {"id", "from", "to", "what", "delay_us"}},
};

/* A node's name as the trace writes it ("r3", "r3t", "c7"; core.h
 * addresses), or UINT32_MAX. */
static uint32_t rd_node_addr(const json_t *v)
{
	uint32_t a;

	return trace_node_parse(json_string_value(v), &a) ? a : UINT32_MAX;
}

/* A send, loopback or receipt for happened-before (lib/causal.h). Lines
 * whose nodes are not replicas or clients (or whose id is not a number)
 * are left out of it. */
static int rd_causal_hop(struct rd *rd, json_t *o, uint64_t t)
{
	struct causal *c = rd->out->causal;
	json_t *idv = json_object_get(o, "id"), *lcv = json_object_get(o, "lc");
	uint64_t id, lc = 0;
	uint32_t from, to = UINT32_MAX;

	if (!c || !json_is_integer(idv) || json_integer_value(idv) < 0)
		return 0;
	id = (uint64_t)json_integer_value(idv);
	if (json_is_integer(lcv) && json_integer_value(lcv) > 0)
		lc = (uint64_t)json_integer_value(lcv);
	if (!strcmp(rd->ev, "loopback")) {
		json_t *r = json_object_get(o, "replica");
		if (!json_is_integer(r) || json_integer_value(r) < 0 ||
		    json_integer_value(r) >= BYZ_MAX_N)
			return 0;
		from = (uint32_t)json_integer_value(r);
		if (json_is_true(json_object_get(o, "twin")))
			from = byz_twin_addr(from);
		return causal_send(c, from, id, lc);
	}
	from = rd_node_addr(json_object_get(o, "from"));
	if (strcmp(rd->ev, "send"))
		to = rd_node_addr(json_object_get(o, "to"));
	if (from == UINT32_MAX || (strcmp(rd->ev, "send") && to == UINT32_MAX))
		return 0;
	if (!strcmp(rd->ev, "send"))
		return causal_send(c, from, id, lc);
	return causal_receive(c, from, to, id, t, lc,
			      !strcmp(rd->ev, "deliver"));
}

/* A line the checkers do not read: its fields are there; counted. */
static int rd_other_line(struct rd *rd, json_t *o)
{
	struct trace_counts *k = &rd->out->counts;

	for (size_t i = 0; i < sizeof rd_other / sizeof rd_other[0]; i++) {
		if (strcmp(rd->ev, rd_other[i].ev))
			continue;
		for (size_t j = 0; j < 6 && rd_other[i].fields[j]; j++)
			if (!json_object_get(o, rd_other[i].fields[j]))
				return rd_fail(rd, "field '%s' is missing",
					       rd_other[i].fields[j]);
		if ((!strcmp(rd->ev, "send") || !strcmp(rd->ev, "loopback") ||
		     !strcmp(rd->ev, "deliver") || !strcmp(rd->ev, "drop") ||
		     !strcmp(rd->ev, "reject")) &&
		    rd_causal_hop(rd, o, rd->last_t))
			return BYZ_ENOMEM;
		if (!strcmp(rd->ev, "send"))
			rd_count_send(rd, o);
		else if (!strcmp(rd->ev, "deliver"))
			k->delivered++;
		else if (!strcmp(rd->ev, "drop"))
			k->dropped++;
		else if (!strcmp(rd->ev, "reject"))
			k->rejected++;
		else if (!strcmp(rd->ev, "timer"))
			k->timers++;
		else if (!strcmp(rd->ev, "note"))
			k->notes++;
		return 0;
	}
	return rd_fail(rd, "unknown kind of line (docs/trace.md lists them)");
}

/* The node whose event a line is (core.h address), or UINT32_MAX. */
static uint32_t rd_line_node(const char *ev, json_t *o)
{
	json_t *r = json_object_get(o, "replica");
	uint32_t a;

	if (!strcmp(ev, "send"))
		return rd_node_addr(json_object_get(o, "from"));
	if (!strcmp(ev, "deliver") || !strcmp(ev, "drop") ||
	    !strcmp(ev, "reject"))
		return rd_node_addr(json_object_get(o, "to"));
	if (!strcmp(ev, "timer") || !strcmp(ev, "note"))
		return rd_node_addr(json_object_get(o, "node"));
	if (!strcmp(ev, "submit") || !strcmp(ev, "accept")) {
		json_t *c = json_object_get(o, "client");
		return json_is_integer(c) && json_integer_value(c) >= 0 &&
			       json_integer_value(c) < BYZ_TWIN_BASE
			   ? byz_client_addr((uint32_t)json_integer_value(c))
			   : UINT32_MAX;
	}
	if (!json_is_integer(r) || json_integer_value(r) < 0 ||
	    json_integer_value(r) >= BYZ_CLIENT_BASE)
		return UINT32_MAX;
	a = (uint32_t)json_integer_value(r);
	if (json_is_true(json_object_get(o, "twin")) && a < BYZ_TWIN_BASE)
		a = byz_twin_addr(a);
	return a;
}

/* The line again, with the vector clock of its node after it ("vc": the
 * non-zero entries) and, unless it has one, a Lamport clock ("lc": their
 * sum). */
static void rd_clocks_line(struct rd *rd, const char *buf, size_t len,
			   json_t *o)
{
	const uint32_t *vc;
	uint32_t dim = 0, node;
	uint64_t sum = 0;
	bool first = true;

	node = rd->out->causal ? rd_line_node(rd->ev, o) : UINT32_MAX;
	if (node != UINT32_MAX)
		dim = causal_clock(rd->out->causal, node, &vc);
	if (!dim || len < 2 || buf[len - 1] != '}') {
		fwrite(buf, 1, len, rd->clocks);
		fputc('\n', rd->clocks);
		return;
	}
	fwrite(buf, 1, len - 1, rd->clocks);
	fputs(",\"vc\":{", rd->clocks);
	for (uint32_t k = 0; k < dim; k++) {
		char name[16];
		if (!vc[k])
			continue;
		causal_proc_name(rd->out->causal, k, name);
		fprintf(rd->clocks, "%s\"%s\":%" PRIu32, first ? "" : ",", name,
			vc[k]);
		sum += vc[k];
		first = false;
	}
	fputc('}', rd->clocks);
	if (!json_object_get(o, "lc"))
		fprintf(rd->clocks, ",\"lc\":%" PRIu64, sum);
	fputs("}\n", rd->clocks);
}

/* One line, without its newline, of len bytes. */
static int rd_line(struct rd *rd, const char *buf, size_t len)
{
	json_error_t err;
	json_t *o, *ev;
	uint64_t t;
	int rc;

	rd->ev = NULL;
	if (len == 0)
		return rd_fail(rd, "an empty line");
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!o)
		return rd_fail(rd, "not JSON: %s (column %d)", err.text,
			       err.column);
	if (!json_is_object(o)) {
		rc = rd_fail(rd, "not a JSON object");
		goto out;
	}
	ev = json_object_get(o, "ev");
	if (!ev) {
		rc = rd_fail(rd, "field 'ev' is missing");
		goto out;
	}
	if (!json_is_string(ev) || !json_string_length(ev) ||
	    json_string_length(ev) > 16 ||
	    strspn(json_string_value(ev), "abcdefghijklmnopqrstuvwxyz") !=
		json_string_length(ev)) {
		rc = rd_fail(rd, "field 'ev' is not a kind of line");
		goto out;
	}
	rd->ev = json_string_value(ev);
	if ((rc = rd_u64(rd, o, "t", UINT64_MAX, &t)))
		goto out;
	if (rd->line == 1 && strcmp(rd->ev, "run")) {
		rc = rd_fail(rd,
			     "the first line must be a run line (a trace from"
			     " before it existed cannot be judged: run the"
			     " scenario again)");
		goto out;
	}
	if (rd->out->has_end) {
		rc = rd_fail(rd, "a line after the end line");
		goto out;
	}
	rd->last_t = t;
	if (!strcmp(rd->ev, "run"))
		rc = rd_run(rd, o);
	else if (!strcmp(rd->ev, "end"))
		rc = rd_end(rd, o, t);
	else if (!strcmp(rd->ev, "submit"))
		rc = rd_submit(rd, o, t);
	else if (!strcmp(rd->ev, "commit"))
		rc = rd_commit(rd, o, t, false);
	else if (!strcmp(rd->ev, "restore"))
		rc = rd_commit(rd, o, t, true);
	else if (!strcmp(rd->ev, "fault"))
		rc = rd_fault(rd, o, t);
	else if (!strcmp(rd->ev, "view"))
		rc = rd_view(rd, o, t);
	else if (!strcmp(rd->ev, "crash"))
		rc = rd_crash(rd, o, false);
	else if (!strcmp(rd->ev, "restart"))
		rc = rd_crash(rd, o, true);
	else if (!strcmp(rd->ev, "accept")) {
		uint32_t client;
		uint64_t ts;

		rc = rd_u32(rd, o, "client", &client);
		if (!rc)
			rc = rd_u64(rd, o, "ts", UINT64_MAX, &ts);
		if (!rc)
			rd->out->end.accepted++;
	} else {
		rc = rd_other_line(rd, o);
	}
	if (!rc && rd->clocks)
		rd_clocks_line(rd, buf, len, o);
	if (rc == BYZ_ENOMEM)
		snprintf(rd->why, rd->whylen, "%s:%" PRIu64 ": out of memory",
			 rd->path, rd->line);
out:
	json_decref(o);
	rd->ev = NULL; /* it pointed into o */
	return rc;
}

/*
 * Read lines into buf (at most TRACE_READ_MAX_LINE bytes each, so memory
 * per line is bounded), hash each with its newline, and parse it; stop at
 * the first fault.
 */
int trace_read_stream(FILE *f, const char *path, struct trace_read *out,
		      char *why, size_t whylen)
{
	return trace_read_clocks(f, path, out, NULL, why, whylen);
}

int trace_read_clocks(FILE *f, const char *path, struct trace_read *out,
		      FILE *clocks, char *why, size_t whylen)
{
	char buf[TRACE_READ_MAX_LINE + 1];
	struct rd rd = {.path = path,
			.why = why,
			.whylen = whylen,
			.out = out,
			.clocks = clocks};
	crypto_generichash_state hash;
	uint8_t h[BYZ_DIGEST_BYTES];
	int rc = 0, c = 0;

	memset(out, 0, sizeof *out);
	trace_log_init(&out->log, 0, 0);
	errno = 0;
	crypto_generichash_init(&hash, NULL, 0, BYZ_DIGEST_BYTES);
	while (!rc && c != EOF) {
		size_t len = 0;

		while ((c = getc_unlocked(f)) != EOF && c != '\n') {
			if (len == TRACE_READ_MAX_LINE)
				break;
			buf[len++] = (char)c;
		}
		if (c == EOF && len == 0)
			break;
		rd.line++;
		rd.ev = NULL;
		if (c != EOF && c != '\n') {
			rc = rd_fail(&rd, "the line is longer than %d bytes",
				     TRACE_READ_MAX_LINE);
		} else if (c == EOF) {
			rc = rd_fail(&rd,
				     "the last line has no newline: the trace"
				     " was cut short");
		} else {
			buf[len] = '\n';
			crypto_generichash_update(&hash, (const uint8_t *)buf,
						  len + 1);
			rc = rd_line(&rd, buf, len);
		}
	}
	if (!rc && ferror(f)) {
		snprintf(why, whylen, "%s: cannot read: %s", path,
			 strerror(errno));
		rc = BYZ_EIO;
	}
	if (!rc && rd.line == 0) {
		snprintf(why, whylen,
			 "%s: empty: a trace starts with a run line", path);
		rc = BYZ_EINVAL;
	}
	if (rc)
		return rc;
	if (out->causal && causal_finish(out->causal))
		return BYZ_ENOMEM;
	out->lines = rd.line;
	if (!out->has_end) {
		out->end.now = rd.last_t;
		out->log.end_us = rd.last_t;
	}
	crypto_generichash_final(&hash, h, sizeof h);
	byz_hex(out->hash, h, sizeof h);
	return 0;
}

/* Open path and read it (trace_read_stream). */
int trace_read_file(const char *path, struct trace_read *out, char *why,
		    size_t whylen)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f) {
		memset(out, 0, sizeof *out);
		snprintf(why, whylen, "%s: cannot read: %s", path,
			 strerror(errno));
		return BYZ_EIO;
	}
	rc = trace_read_stream(f, path, out, why, whylen);
	fclose(f);
	return rc;
}

/* Free what trace_read_file allocated (the log). */
void trace_read_free(struct trace_read *tr)
{
	causal_free(&tr->causal);
	trace_log_free(&tr->log);
}

/* See trace_read.h. */
void trace_read_faulty(struct trace_read *tr, const bool *byzantine)
{
	if (!byzantine)
		byzantine = tr->declared;
	for (uint32_t r = 0; r < BYZ_MAX_N; r++)
		tr->log.byzantine[r] = byzantine[r] || tr->amnesia[r];
}
