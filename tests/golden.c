/*
 * golden.c - one renderer of a core's outputs as lines (golden.h).
 */
#include "golden.h"

#include "err.h"
#include "trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ------------------------------------------------------------ */

/* A decoded message for people (wire_describe). */
void golden_msg(const struct wire_msg *m, char *buf, size_t cap)
{
	wire_describe(m, buf, cap);
}

/* Decode a frame and describe it (wire_describe_frame). */
void golden_frame(const uint8_t *frame, size_t len, bool is_signed, char *buf,
		  size_t cap)
{
	wire_describe_frame(frame, len, is_signed, buf, cap);
}

/* A replica, twin or client address as people write it, as the trace
 * does ("r2", "r2t", "c0"). */
void golden_addr(uint32_t addr, char *buf, size_t cap)
{
	char name[16];

	snprintf(buf, cap, "%s", trace_node_name(name, addr));
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
	const char *const *names = ops ? ops->timer_names : NULL;
	char *end;
	unsigned long v;

	for (uint32_t i = 0; names && i < BYZ_MAX_TIMERS && names[i]; i++)
		if (!strcmp(names[i], name)) {
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
void golden_timer_name(const struct byz_core_ops *ops, uint32_t id, char *buf,
		       size_t cap)
{
	const char *const *names = ops ? ops->timer_names : NULL;
	uint32_t k = 0;

	while (names && k < id && names[k])
		k++;
	if (names && k == id && names[id])
		snprintf(buf, cap, "%s", names[id]);
	else
		snprintf(buf, cap, "%" PRIu32, id);
}

/* A PERSIST: "persist[ replace] <record>". */
static void persist_line(const struct byz_core_ops *ops, const uint8_t *rec,
			 const struct byz_output *o, char *line, size_t cap)
{
	char r[GOLDEN_LINE];

	if (ops && ops->describe_record)
		ops->describe_record(rec, o->len, r, sizeof r);
	else
		snprintf(r, sizeof r, "record %zu bytes", o->len);
	snprintf(line, cap, "persist%s %s", o->replace ? " replace" : "", r);
}

/* One output as one line (the formats are in golden.h). */
void golden_output(const struct byz_core_ops *ops, const struct byz_outbox *ob,
		   const struct byz_output *o, char *line, size_t cap)
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
				 "commit h%" PRIu64 " slot=%" PRIu64
				 " restored",
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
	case BYZ_OUT_VIEW:
		snprintf(line, cap, "view %s v%" PRIu64 " leader r%" PRIu32,
			 o->view.gave_up ? "give-up"
			 : o->view.late	 ? "enter-late"
					 : "enter",
			 o->view.view, o->view.leader);
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
