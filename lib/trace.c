/*
 * trace.c - the stream half of the trace: one JSON line per event, hashed,
 * and optionally written to a file. The log half (what the checkers read)
 * is in trace_log.c. Line formats are listed in docs/trace.md.
 */
#include "trace.h"

#include "causal.h"
#include "err.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void trace_init(struct trace *tr, uint32_t n, uint32_t f, FILE *file)
{
	memset(tr, 0, sizeof *tr);
	tr->file = file;
	crypto_generichash_init(&tr->hash, NULL, 0, BYZ_DIGEST_BYTES);
	trace_log_init(&tr->log, n, f);
}

void trace_free(struct trace *tr)
{
	causal_free(&tr->causal);
	trace_log_free(&tr->log);
}

/* A failure of the causality tracker (out of memory) is the trace's. */
static void causal_rc(struct trace *tr, int rc)
{
	if (rc && !tr->err)
		tr->err = rc;
}

void trace_hash_hex(struct trace *tr, char out[2 * BYZ_DIGEST_BYTES + 1])
{
	/* Finalise a copy, so the stream may go on. */
	crypto_generichash_state st = tr->hash;
	uint8_t h[BYZ_DIGEST_BYTES];

	crypto_generichash_final(&st, h, sizeof h);
	byz_hex(out, h, sizeof h);
}

/* Append one formatted line, buf[0..n) of a buffer of TRACE_LINE_MAX
 * bytes, to the stream: stamp it (real processes), end it, hash it, write
 * it. */
static void emit(struct trace *tr, char *buf, int n)
{
	if (tr->stamp && n > 0 && buf[n - 1] == '}') {
		char stamp[64];
		uint64_t floor = trace_hlc_floor(tr->wall, tr->epoch);
		int k;

		/* the hybrid logical clock's tick (OPODIS 2014, Fig. 5:
		 * l = max(l, pt), the counter on when l did not move) */
		tr->lc = tr->lc + 1 > floor ? tr->lc + 1 : floor;
		k = snprintf(stamp, sizeof stamp,
			     ",\"lc\":%" PRIu64 ",\"wall\":%" PRIu64 "}",
			     tr->lc, tr->wall);
		if (k > 0 && (size_t)(n - 1 + k) <= TRACE_LINE_MAX - 2) {
			memcpy(buf + n - 1, stamp, (size_t)k);
			n += k - 1;
		}
	}
	buf[n++] = '\n';
	crypto_generichash_update(&tr->hash, (const uint8_t *)buf, (size_t)n);
	tr->lines++;
	if (tr->file && !tr->err &&
	    fwrite(buf, 1, (size_t)n, tr->file) != (size_t)n) {
		tr->err = BYZ_EIO;
		tr->write_errno = errno ? errno : EIO;
	}
}

/* Append one line (without its newline) to the stream. */
static void trace_line(struct trace *tr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void trace_line(struct trace *tr, const char *fmt, ...)
{
	char buf[TRACE_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = (int)(sizeof buf -
			  2); /* never happens: fields are bounded */
	emit(tr, buf, n);
}

/*
 * The lines of every message (send, deliver, loopback, drop, reject) and
 * timer are most of a trace: they are put together by hand, without
 * vsnprintf, byte for byte as the format strings above would write them
 * (the trace hash is over these bytes; docs/trace.md). A line of these
 * kinds is at most a few hundred bytes: no bound is reached.
 */
struct line {
	char b[TRACE_LINE_MAX];
	int n;
};

#define PUT_LIT(l, s)                                                          \
	do {                                                                   \
		memcpy((l)->b + (l)->n, s, sizeof s - 1);                      \
		(l)->n += (int)(sizeof s - 1);                                 \
	} while (0)

static void put_str(struct line *l, const char *s)
{
	size_t k = strlen(s);

	memcpy(l->b + l->n, s, k);
	l->n += (int)k;
}

static void put_u64(struct line *l, uint64_t v)
{
	char t[20];
	int i = 0;

	do {
		t[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		l->b[l->n++] = t[--i];
}

/* A node's name as trace_node_name writes it. */
static void put_node(struct line *l, uint32_t addr)
{
	if (byz_is_client_addr(addr)) {
		l->b[l->n++] = 'c';
		put_u64(l, addr - BYZ_CLIENT_BASE);
	} else if (byz_is_twin_addr(addr)) {
		l->b[l->n++] = 'r';
		put_u64(l, byz_addr_replica(addr));
		l->b[l->n++] = 't';
	} else {
		l->b[l->n++] = 'r';
		put_u64(l, addr);
	}
}

/* {"t":T,"ev":"EV","id":ID,"from":"A","to":"B" */
static void put_hop(struct line *l, uint64_t t, const char *ev, uint64_t id,
		    uint32_t from, uint32_t to)
{
	PUT_LIT(l, "{\"t\":");
	put_u64(l, t);
	PUT_LIT(l, ",\"ev\":\"");
	put_str(l, ev);
	PUT_LIT(l, "\",\"id\":");
	put_u64(l, id);
	PUT_LIT(l, ",\"from\":\"");
	put_node(l, from);
	PUT_LIT(l, "\",\"to\":\"");
	put_node(l, to);
	l->b[l->n++] = '"';
}

/* "r3" for replica 3, "r3t" for its twin (the attack language's name),
 * "c7" for client 7. */
const char *trace_node_name(char buf[16], uint32_t addr)
{
	if (byz_is_client_addr(addr))
		snprintf(buf, 16, "c%" PRIu32, addr - BYZ_CLIENT_BASE);
	else if (byz_is_twin_addr(addr))
		snprintf(buf, 16, "r%" PRIu32 "t", byz_addr_replica(addr));
	else
		snprintf(buf, 16, "r%" PRIu32, addr);
	return buf;
}

bool trace_node_parse(const char *s, uint32_t *addr)
{
	char *end;
	unsigned long v;

	if (!s || (s[0] != 'r' && s[0] != 'c') || s[1] < '0' || s[1] > '9')
		return false;
	errno = 0;
	v = strtoul(s + 1, &end, 10);
	if (errno)
		return false;
	if (s[0] == 'c') {
		if (*end || v >= (1ul << 20))
			return false;
		*addr = byz_client_addr((uint32_t)v);
		return true;
	}
	if (v >= BYZ_MAX_N)
		return false;
	if (*end == 't' && !end[1]) {
		*addr = byz_twin_addr((uint32_t)v);
		return true;
	}
	if (*end)
		return false;
	*addr = (uint32_t)v;
	return true;
}

/* The same, under the short name this file uses. */
static const char *node_name(char buf[16], uint32_t addr)
{
	return trace_node_name(buf, addr);
}

/* The ",\"twin\":true" that follows the replica id of a twin's line. */
static const char *twin_field(uint32_t addr)
{
	return byz_is_twin_addr(addr) ? ",\"twin\":true" : "";
}

void trace_send(struct trace *tr, uint64_t t, uint32_t from, uint32_t to,
		uint8_t proto, uint8_t type, size_t len, uint64_t id)
{
	struct line l;

	l.n = 0;

	if (proto < TRACE_PROTOS && type < TRACE_TYPES) {
		tr->counts.sent[proto][type]++;
		tr->counts.bytes[proto][type] += len;
	}
	if (tr->causal)
		causal_rc(tr, causal_send(tr->causal, from, id, 0));
	put_hop(&l, t, "send", id, from, to);
	PUT_LIT(&l, ",\"msg\":\"");
	put_str(&l, wire_proto_name(proto));
	l.b[l.n++] = '/';
	put_str(&l, wire_type_name(proto, type));
	PUT_LIT(&l, "\",\"len\":");
	put_u64(&l, len);
	l.b[l.n++] = '}';
	emit(tr, l.b, l.n);
}

void trace_loopback(struct trace *tr, uint64_t t, uint32_t replica, uint64_t id)
{
	struct line l;

	if (tr->causal)
		causal_rc(tr, causal_send(tr->causal, replica, id, 0));
	l.n = 0;
	PUT_LIT(&l, "{\"t\":");
	put_u64(&l, t);
	PUT_LIT(&l, ",\"ev\":\"loopback\",\"id\":");
	put_u64(&l, id);
	PUT_LIT(&l, ",\"replica\":");
	put_u64(&l, byz_addr_replica(replica));
	put_str(&l, twin_field(replica));
	l.b[l.n++] = '}';
	emit(tr, l.b, l.n);
}

void trace_deliver(struct trace *tr, uint64_t t, uint32_t from, uint32_t to,
		   uint64_t id)
{
	struct line l;

	tr->counts.delivered++;
	if (tr->causal)
		causal_rc(tr,
			  causal_receive(tr->causal, from, to, id, t, 0, true));
	l.n = 0;
	put_hop(&l, t, "deliver", id, from, to);
	l.b[l.n++] = '}';
	emit(tr, l.b, l.n);
}

void trace_drop(struct trace *tr, uint64_t t, uint32_t from, uint32_t to,
		uint64_t id, const char *why)
{
	struct line l;

	tr->counts.dropped++;
	if (tr->causal)
		causal_rc(
		    tr, causal_receive(tr->causal, from, to, id, t, 0, false));
	l.n = 0;
	put_hop(&l, t, "drop", id, from, to);
	PUT_LIT(&l, ",\"why\":\"");
	put_str(&l, why);
	PUT_LIT(&l, "\"}");
	emit(tr, l.b, l.n);
}

void trace_reject(struct trace *tr, uint64_t t, uint32_t from, uint32_t to,
		  uint64_t id, int code)
{
	struct line l;

	tr->counts.rejected++;
	if (code < 0 && -code < 64)
		tr->counts.rejected_by_reason[-code]++;
	if (tr->causal)
		causal_rc(
		    tr, causal_receive(tr->causal, from, to, id, t, 0, false));
	l.n = 0;
	put_hop(&l, t, "reject", id, from, to);
	PUT_LIT(&l, ",\"why\":\"");
	put_str(&l, byz_errname(code));
	PUT_LIT(&l, "\"}");
	emit(tr, l.b, l.n);
}

void trace_relay(struct trace *tr, uint64_t t, uint32_t from, uint32_t to,
		 uint64_t id, const char *what, uint64_t delay_us)
{
	char a[16], b[16];

	trace_line(tr,
		   "{\"t\":%" PRIu64 ",\"ev\":\"relay\",\"id\":%" PRIu64
		   ",\"from\":\"%s\",\"to\":\"%s\",\"what\":\"%s\","
		   "\"delay_us\":%" PRIu64 "}",
		   t, id, node_name(a, from), node_name(b, to), what, delay_us);
}

void trace_timer(struct trace *tr, uint64_t t, uint32_t node, uint32_t timer)
{
	struct line l;

	tr->counts.timers++;
	l.n = 0;
	PUT_LIT(&l, "{\"t\":");
	put_u64(&l, t);
	PUT_LIT(&l, ",\"ev\":\"timer\",\"node\":\"");
	put_node(&l, node);
	PUT_LIT(&l, "\",\"timer\":");
	put_u64(&l, timer);
	l.b[l.n++] = '}';
	emit(tr, l.b, l.n);
}

void trace_commit(struct trace *tr, uint64_t t, uint32_t replica,
		  const struct byz_commit *c)
{
	struct trace_commit tc = {.t = t, .replica = replica, .c = *c};
	char req[2 * BYZ_DIGEST_BYTES + 1], st[2 * BYZ_DIGEST_BYTES + 1];

	if (trace_log_add_commit(&tr->log, &tc) && !tr->err)
		tr->err = BYZ_ENOMEM;
	if (tr->causal && !c->restored)
		causal_rc(tr, causal_commit(tr->causal, t, replica, c->client,
					    c->timestamp, c->height));
	byz_hex(st, c->state_digest, BYZ_DIGEST_BYTES);
	if (c->restored) {
		trace_line(tr,
			   "{\"t\":%" PRIu64
			   ",\"ev\":\"restore\",\"replica\":%" PRIu32
			   "%s,\"height\":%" PRIu64 ",\"slot\":%" PRIu64
			   ",\"state\":\"%s\"}",
			   t, byz_addr_replica(replica), twin_field(replica),
			   c->height, c->slot, st);
		return;
	}
	byz_hex(req, c->request_digest, BYZ_DIGEST_BYTES);
	trace_line(tr,
		   "{\"t\":%" PRIu64 ",\"ev\":\"commit\",\"replica\":%" PRIu32
		   "%s,\"height\":%" PRIu64 ",\"slot\":%" PRIu64
		   ",\"client\":%" PRIu32 ",\"ts\":%" PRIu64
		   ",\"req\":\"%s\",\"state\":\"%s\"}",
		   t, byz_addr_replica(replica), twin_field(replica), c->height,
		   c->slot, c->client, c->timestamp, req, st);
}

void trace_view(struct trace *tr, uint64_t t, uint32_t replica,
		const struct byz_view *v)
{
	struct trace_view tv = {.t = t, .replica = replica, .v = *v};

	if (trace_log_add_view(&tr->log, &tv) && !tr->err)
		tr->err = BYZ_ENOMEM;
	trace_line(tr,
		   "{\"t\":%" PRIu64 ",\"ev\":\"view\",\"replica\":%" PRIu32
		   "%s,\"view\":%" PRIu64 ",\"leader\":%" PRIu32
		   ",\"what\":\"%s\"}",
		   t, byz_addr_replica(replica), twin_field(replica), v->view,
		   v->leader,
		   v->gave_up ? "give-up"
		   : v->late  ? "enter-late"
			      : "enter");
}

/* JSON-escape at most max bytes of s into out (which holds 6*max+1). */
static void json_escape(char *out, const char *s, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (len > max)
		len = max;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'u';
			out[o++] = '0';
			out[o++] = '0';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
}

void trace_note(struct trace *tr, uint64_t t, uint32_t node, const char *text,
		size_t len)
{
	char a[16], esc[6 * 120 + 1];

	tr->counts.notes++;
	json_escape(esc, text, len, 120);
	trace_line(tr,
		   "{\"t\":%" PRIu64 ",\"ev\":\"note\",\"node\":\"%s\","
		   "\"text\":\"%s\"}",
		   t, node_name(a, node), esc);
}

void trace_fault(struct trace *tr, uint64_t t, uint32_t replica,
		 enum trace_rule rule, const char *text)
{
	struct trace_fault f = {.t = t, .replica = replica, .rule = rule};
	char esc[6 * (TRACE_FAULT_TEXT - 1) + 1];
	size_t len = strlen(text);

	if (len >= TRACE_FAULT_TEXT)
		len = TRACE_FAULT_TEXT - 1;
	memcpy(f.text, text, len);
	f.text[len] = '\0';
	if (trace_log_add_fault(&tr->log, &f) && !tr->err)
		tr->err = BYZ_ENOMEM;
	json_escape(esc, f.text, len, TRACE_FAULT_TEXT - 1);
	trace_line(tr,
		   "{\"t\":%" PRIu64 ",\"ev\":\"fault\",\"replica\":%" PRIu32
		   ",\"rule\":\"%s\",\"text\":\"%s\"}",
		   t, replica, trace_rule_name(rule), esc);
}

void trace_crash(struct trace *tr, uint64_t t, uint32_t replica)
{
	if (replica < BYZ_MAX_N)
		tr->log.down_at_end[replica] = true;
	trace_line(
	    tr, "{\"t\":%" PRIu64 ",\"ev\":\"crash\",\"replica\":%" PRIu32 "}",
	    t, replica);
}

void trace_restart(struct trace *tr, uint64_t t, uint32_t replica,
		   bool with_state)
{
	if (replica < BYZ_MAX_N)
		tr->log.down_at_end[replica] = false;
	trace_line(tr,
		   "{\"t\":%" PRIu64 ",\"ev\":\"restart\",\"replica\":%" PRIu32
		   ",\"state\":%s}",
		   t, replica, with_state ? "true" : "false");
}

void trace_submit(struct trace *tr, uint64_t t, uint32_t client,
		  uint64_t timestamp, const uint8_t digest[BYZ_DIGEST_BYTES])
{
	struct trace_submit s = {
	    .t = t, .client = client, .timestamp = timestamp};
	char req[2 * BYZ_DIGEST_BYTES + 1];

	memcpy(s.request_digest, digest, BYZ_DIGEST_BYTES);
	if (trace_log_add_submit(&tr->log, &s) && !tr->err)
		tr->err = BYZ_ENOMEM;
	if (tr->causal)
		causal_rc(tr, causal_submit(tr->causal, client, timestamp));
	byz_hex(req, digest, BYZ_DIGEST_BYTES);
	trace_line(tr,
		   "{\"t\":%" PRIu64 ",\"ev\":\"submit\",\"client\":%" PRIu32
		   ",\"ts\":%" PRIu64 ",\"req\":\"%s\"}",
		   t, client, timestamp, req);
}

void trace_accept(struct trace *tr, uint64_t t, uint32_t client,
		  uint64_t timestamp, const uint8_t *result, size_t len)
{
	char esc[6 * 120 + 1];

	json_escape(esc, (const char *)result, len, 120);
	trace_line(tr,
		   "{\"t\":%" PRIu64 ",\"ev\":\"accept\",\"client\":%" PRIu32
		   ",\"ts\":%" PRIu64 ",\"result\":\"%s\"}",
		   t, client, timestamp, esc);
}

/* Append ",\"key\":[ids]" for the replicas set in which[0..n) to buf. */
static void trace_ids(char *buf, size_t cap, const char *key, const bool *which,
		      uint32_t n)
{
	size_t len = strlen(buf);
	bool first = true;

	len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0,
				",\"%s\":[", key);
	for (uint32_t r = 0; r < n && r < BYZ_MAX_N && len < cap; r++) {
		if (!which[r])
			continue;
		len += (size_t)snprintf(buf + len, cap - len, "%s%" PRIu32,
					first ? "" : ",", r);
		first = false;
	}
	if (len < cap)
		snprintf(buf + len, cap - len, "]");
}

#define TRACE_FAULTS_MAX 1400 /* bytes of the faults text kept */

/* The run line: n and f from the trace, the rest from info. */
void trace_run(struct trace *tr, const struct trace_run_info *info)
{
	/* Three lists of at most 64 ids of at most 3 characters each. */
	char lists[3 * (16 + 3 * BYZ_MAX_N) + 1] = "";
	char faults[6 * TRACE_FAULTS_MAX + 1] = "";

	const struct byz_core_ops *ops = byz_core_find(info->protocol);

	/* happened-before from here on (causal.h); strict in the simulator,
	 * where every receipt follows its send in the one stream */
	causal_free(&tr->causal);
	tr->causal = causal_new(tr->log.n,
				ops && ops->decision_quorum
				    ? ops->decision_quorum(tr->log.n, tr->log.f)
				    : 0,
				!strcmp(info->driver, "sim"), &tr->log);
	if (!tr->causal && !tr->err)
		tr->err = BYZ_ENOMEM;
	trace_ids(lists, sizeof lists, "byzantine", info->byzantine, tr->log.n);
	trace_ids(lists, sizeof lists, "twins", info->twin, tr->log.n);
	trace_ids(lists, sizeof lists, "amnesia", info->amnesia, tr->log.n);
	if (info->faults)
		json_escape(faults, info->faults, strlen(info->faults),
			    TRACE_FAULTS_MAX);
	/* The seed is a string: JSON readers do not all hold 64-bit
	 * integers, and it is only shown, never computed with. */
	trace_line(tr,
		   "{\"t\":0,\"ev\":\"run\",\"protocol\":\"%.31s\","
		   "\"driver\":\"%.15s\",\"n\":%" PRIu32 ",\"f\":%" PRIu32
		   ",\"seed\":\"%" PRIu64 "\",\"requests\":%" PRIu64
		   ",\"gst_us\":%" PRIu64 ",\"bound_us\":%" PRIu64
		   "%s%s%s%s%s}",
		   info->protocol, info->driver, tr->log.n, tr->log.f,
		   info->seed, info->requests, info->gst_us, info->bound_us,
		   info->no_gst ? ",\"no_gst\":true" : "",
		   faults[0] ? ",\"faults\":\"" : "", faults,
		   faults[0] ? "\"" : "", lists);
}

/* The end line (docs/trace.md). */
void trace_end(struct trace *tr, uint64_t t, const char *stop, uint64_t forged,
	       int core_error, uint32_t core_replica)
{
	char core[96] = "";

	if (tr->causal)
		causal_rc(tr, causal_finish(tr->causal));
	if (core_error)
		snprintf(core, sizeof core,
			 ",\"core_error\":\"%s\",\"core_replica\":%" PRIu32,
			 byz_errname(core_error), core_replica);
	trace_line(tr,
		   "{\"t\":%" PRIu64 ",\"ev\":\"end\",\"stop\":\"%.15s\","
		   "\"forged\":%" PRIu64 "%s}",
		   t, stop, forged, core);
}
