/*
 * golden.c - one renderer of a core's outputs as lines (golden.h).
 */
#include "golden.h"

#include "err.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what the wire does not say: hints per protocol ---------------------- */

/* A log record for people, without its "persist" prefix. */
typedef void (*golden_record_fn)(const uint8_t *rec, size_t len, char *buf,
				 size_t cap);

struct golden_hints {
	const char *proto;
	const char *timers[4]; /* by id; NULL past the last */
	golden_record_fn record;
};

/* A u64, little-endian (how the cores write their records). */
static uint64_t rd_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* lib/pbft/pbft_persist.c: 'B' base, 'M' an accepted signed message, 'S'
 * an unsigned pre-prepare this primary sent, 'V' the view moved to. */
static void pbft_record(const uint8_t *rec, size_t len, char *buf, size_t cap)
{
	char d[GOLDEN_LINE];

	switch (len ? rec[0] : 0) {
	case 'B':
		snprintf(buf, cap, "base");
		break;
	case 'M':
		golden_frame(rec + 1, len - 1, true, d, sizeof d);
		snprintf(buf, cap, "msg %s", d);
		break;
	case 'S':
		golden_frame(rec + 1, len - 1, false, d, sizeof d);
		snprintf(buf, cap, "sent %s", d);
		break;
	case 'V':
		if (len == 9) {
			snprintf(buf, cap, "view v=%" PRIu64, rd_u64(rec + 1));
			break;
		}
		/* fall through */
	default:
		snprintf(buf, cap, "record %zu bytes", len);
	}
}

/* lib/hotstuff/hs_persist.c: 1 state (voted view, executed view, ...), 2
 * the view last voted in, 3 a lockedQC. */
static void hs_record(const uint8_t *rec, size_t len, char *buf, size_t cap)
{
	if (len >= 17 && rec[0] == 1)
		snprintf(buf, cap, "state voted=v%" PRIu64 " executed=v%" PRIu64,
			 rd_u64(rec + 1), rd_u64(rec + 9));
	else if (len == 9 && rec[0] == 2)
		snprintf(buf, cap, "vote v=%" PRIu64, rd_u64(rec + 1));
	else if (len >= 9 && rec[0] == 3)
		/* A QC's encoding starts with its view. */
		snprintf(buf, cap, "lock v=%" PRIu64, rd_u64(rec + 1));
	else
		snprintf(buf, cap, "record %zu bytes", len);
}

static const struct golden_hints hints[] = {
	{"pbft", {"view", "status"}, pbft_record},
	{"hotstuff", {"view", "fetch"}, hs_record},
	{"toy", {"fetch"}, NULL},
	{"mirror", {"fetch"}, NULL},
};

/* The hints for ops's protocol, or NULL. */
static const struct golden_hints *hints_of(const struct byz_core_ops *ops)
{
	for (size_t i = 0; ops && i < sizeof hints / sizeof hints[0]; i++)
		if (!strcmp(hints[i].proto, ops->name))
			return &hints[i];
	return NULL;
}

/* ---- messages ------------------------------------------------------------ */

/* Up to 24 bytes of op or result, printable, in quotes. */
static void quoted(const uint8_t *p, size_t len, char *buf, size_t cap)
{
	size_t at = 0;

	if (cap < 8) {
		if (cap)
			buf[0] = 0;
		return;
	}
	buf[at++] = '\'';
	for (size_t i = 0; i < len && i < 24 && at + 6 < cap; i++)
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\'')
			buf[at++] = (char)p[i];
		else
			at += (size_t)snprintf(buf + at, cap - at, "\\x%02x",
					       p[i]);
	if (len > 24 && at + 5 < cap) {
		memcpy(buf + at, "...", 3);
		at += 3;
	}
	buf[at++] = '\'';
	buf[at] = 0;
}

/* "proto/type" and the fields its codec describes (the client's two
 * message types are described here: they belong to no protocol). */
void golden_msg(const struct wire_msg *m, char *buf, size_t cap)
{
	const struct wire_codec *c = wire_codec_of(m->frame.proto);
	size_t at;
	char q[128];

	snprintf(buf, cap, "%s/%s ", wire_proto_name(m->frame.proto),
		 wire_type_name(m->frame.proto, m->frame.type));
	at = strlen(buf);
	if (m->frame.proto == BYZ_PROTO_CLIENT &&
	    m->frame.type == WIRE_CLIENT_REQUEST) {
		quoted(m->u.request.op, m->u.request.op_len, q, sizeof q);
		snprintf(buf + at, cap - at, "c%" PRIu32 " t=%" PRIu64 " op=%s",
			 m->u.request.client, m->u.request.timestamp, q);
	} else if (m->frame.proto == BYZ_PROTO_CLIENT) {
		quoted(m->u.reply.result, m->u.reply.result_len, q, sizeof q);
		snprintf(buf + at, cap - at,
			 "v=%" PRIu64 " c%" PRIu32 " t=%" PRIu64 " result=%s",
			 m->u.reply.view, m->u.reply.client,
			 m->u.reply.timestamp, q);
	} else if (!c || !c->describe ||
		   c->describe(m, buf + at, cap - at)) {
		snprintf(buf + at, cap - at, "(%" PRIu32 " bytes)",
			 m->frame.body_len);
	}
}

/* Decode a frame and describe it (golden_msg). */
void golden_frame(const uint8_t *frame, size_t len, bool is_signed,
		  char *buf, size_t cap)
{
	struct wire_msg m;
	int rc = is_signed ? wire_decode(frame, len, &m)
			   : wire_decode_unsigned(frame, len, &m);

	if (rc)
		snprintf(buf, cap, "??? (%zu bytes: %s)", len, byz_strerror(rc));
	else
		golden_msg(&m, buf, cap);
}

/* A replica, twin or client address as people write it. */
void golden_addr(uint32_t addr, char *buf, size_t cap)
{
	if (byz_is_client_addr(addr))
		snprintf(buf, cap, "c%" PRIu32, addr - BYZ_CLIENT_BASE);
	else if (byz_is_twin_addr(addr))
		snprintf(buf, cap, "r%" PRIu32 "'", byz_addr_replica(addr));
	else
		snprintf(buf, cap, "r%" PRIu32, addr);
}

/* ---- outputs ------------------------------------------------------------- */

/* The largest whole unit: s, ms or us. */
void golden_duration(uint64_t us, char *buf, size_t cap)
{
	if (us && us % 1000000 == 0)
		snprintf(buf, cap, "%" PRIu64 "s", us / 1000000);
	else if (us && us % 1000 == 0)
		snprintf(buf, cap, "%" PRIu64 "ms", us / 1000);
	else
		snprintf(buf, cap, "%" PRIu64 "us", us);
}

/* A timer by the protocol's name for it, or by number. */
int golden_timer_id(const struct byz_core_ops *ops, const char *name,
		    uint32_t *id)
{
	const struct golden_hints *h = hints_of(ops);
	char *end;
	unsigned long v;

	for (uint32_t i = 0; h && i < 4 && h->timers[i]; i++)
		if (!strcmp(h->timers[i], name)) {
			*id = i;
			return 0;
		}
	v = strtoul(name, &end, 10);
	if (!*name || *end || v >= BYZ_MAX_TIMERS)
		return BYZ_EINVAL;
	*id = (uint32_t)v;
	return 0;
}

/* The protocol's name for a timer id, or its number. */
void golden_timer_name(const struct byz_core_ops *ops, uint32_t id,
		       char *buf, size_t cap)
{
	const struct golden_hints *h = hints_of(ops);

	if (h && id < 4 && h->timers[id])
		snprintf(buf, cap, "%s", h->timers[id]);
	else
		snprintf(buf, cap, "%" PRIu32, id);
}

/* A PERSIST: "persist[ replace] <record>". */
static void persist_line(const struct byz_core_ops *ops, const uint8_t *rec,
			 const struct byz_output *o, char *line, size_t cap)
{
	const struct golden_hints *h = hints_of(ops);
	char r[GOLDEN_LINE];

	if (h && h->record)
		h->record(rec, o->len, r, sizeof r);
	else
		snprintf(r, sizeof r, "record %zu bytes", o->len);
	snprintf(line, cap, "persist%s %s", o->replace ? " replace" : "", r);
}

/* One output as one line (the formats are in golden.h). */
void golden_output(const struct byz_core_ops *ops,
		   const struct byz_outbox *ob, const struct byz_output *o,
		   char *line, size_t cap)
{
	const uint8_t *b = ob->bytes.data + o->off;
	char m[GOLDEN_LINE], a[32], t[32];

	switch (o->kind) {
	case BYZ_OUT_PERSIST:
		persist_line(ops, b, o, line, cap);
		break;
	case BYZ_OUT_SEND:
		golden_frame(b, o->len, false, m, sizeof m);
		golden_addr(o->to, a, sizeof a);
		snprintf(line, cap, "send %s %s", a, m);
		break;
	case BYZ_OUT_BROADCAST:
		golden_frame(b, o->len, false, m, sizeof m);
		snprintf(line, cap, "broadcast %s", m);
		break;
	case BYZ_OUT_TIMER:
		golden_timer_name(ops, o->timer, t, sizeof t);
		if (o->delay_us == BYZ_TIMER_CANCEL)
			snprintf(a, sizeof a, "cancel");
		else
			golden_duration(o->delay_us, a, sizeof a);
		snprintf(line, cap, "timer %s %s", t, a);
		break;
	case BYZ_OUT_COMMIT:
		if (o->commit.restored)
			snprintf(line, cap,
				 "commit h%" PRIu64 " slot=%" PRIu64 " restored",
				 o->commit.height, o->commit.slot);
		else
			snprintf(line, cap,
				 "commit h%" PRIu64 " slot=%" PRIu64
				 " c%" PRIu32 "/t%" PRIu64,
				 o->commit.height, o->commit.slot,
				 o->commit.client, o->commit.timestamp);
		break;
	case BYZ_OUT_NOTE:
		snprintf(line, cap, "note %.*s", (int)o->len, (const char *)b);
		break;
	default:
		snprintf(line, cap, "output kind %d", (int)o->kind);
	}
}

/* ---- text ---------------------------------------------------------------- */

/* Append a formatted line, growing the text as needed. */
void golden_text_add(struct golden_text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (t->oom)
		return;
	for (;;) {
		size_t room = t->cap - t->len;
		va_start(ap, fmt);
		k = t->s ? vsnprintf(t->s + t->len, room, fmt, ap) : -1;
		va_end(ap);
		if (t->s && k < 0) {
			t->oom = true; /* an encoding error: no retry */
			return;
		}
		if (t->s && (size_t)k + 1 < room) {
			t->len += (size_t)k;
			t->s[t->len++] = '\n';
			t->s[t->len] = 0;
			return;
		}
		size_t ncap = t->cap ? 2 * t->cap : 1024;
		char *ns = realloc(t->s, ncap);
		if (!ns) {
			t->oom = true;
			return;
		}
		t->s = ns;
		t->cap = ncap;
		if (!t->len)
			t->s[0] = 0;
	}
}

/* Free the text and leave it empty. */
void golden_text_free(struct golden_text *t)
{
	free(t->s);
	memset(t, 0, sizeof *t);
}
