/*
 * core.c - the outbox a core step writes to, and lookups in the protocol
 * registry (registry.c).
 */
#include "core.h"

#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const struct byz_core_ops *byz_core_find(const char *name)
{
	for (size_t i = 0; name && byz_core_registry[i]; i++)
		if (strcmp(byz_core_registry[i]->name, name) == 0)
			return byz_core_registry[i];
	return NULL;
}

uint32_t byz_mutant_find(const struct byz_core_ops *ops, const char *name)
{
	for (uint32_t k = 0; ops && ops->mutants && ops->mutants[k].name; k++)
		if (!strcmp(ops->mutants[k].name, name))
			return k + 1;
	return 0;
}

const struct byz_mutant *byz_mutant_at(const struct byz_core_ops *ops,
				       uint32_t k)
{
	for (uint32_t i = 0; k && ops && ops->mutants && ops->mutants[i].name;
	     i++)
		if (i + 1 == k)
			return &ops->mutants[i];
	return NULL;
}

const struct byz_core_ops *const *byz_core_all(void)
{
	return byz_core_registry;
}

const struct byz_core_ops *byz_core_default(void)
{
	return byz_core_registry[0];
}

const char *byz_core_names(void)
{
	static char names[256];

	if (!names[0])
		for (size_t i = 0; byz_core_registry[i]; i++)
			snprintf(names + strlen(names),
				 sizeof names - strlen(names), "%s%s",
				 i ? ", " : "", byz_core_registry[i]->name);
	return names;
}

/* A protocol's limits must exist and make sense (a range that holds
 * something; a window that can hold its checkpoints). */
static bool limits_incoherent(const struct byz_limits *l)
{
	if (!l)
		return true;
	if (l->n_min < 1 || l->n_min > l->n_max || l->n_max > BYZ_MAX_N)
		return true;
	if (l->window_max && l->window_min > l->window_max)
		return true;
	if (l->checkpoint_max && l->checkpoint_min > l->checkpoint_max)
		return true;
	if (l->batch_max && l->batch_min > l->batch_max)
		return true;
	if (l->window_checkpoints &&
	    (!l->window_max || !l->checkpoint_max || l->checkpoint_min < 1 ||
	     (uint64_t)l->window_checkpoints * l->checkpoint_max >
		 l->window_max))
		return true;
	return false;
}

int byz_registry_check(char *why, size_t whylen)
{
	size_t ncores = 0, ncodecs = 0;

	for (; byz_core_registry[ncores]; ncores++) {
		const struct byz_core_ops *o = byz_core_registry[ncores];
		const struct wire_codec *c = wire_codec_of(o->proto);

		if (o->proto < 1 || o->proto > WIRE_MAX_PROTO) {
			snprintf(why, whylen,
				 "protocol %s: protocol byte %u "
				 "is not in 1..%u",
				 o->name, o->proto, WIRE_MAX_PROTO);
			return BYZ_EINVAL;
		}
		if (!c || strcmp(c->name, o->name) != 0) {
			snprintf(why, whylen,
				 "protocol %s: its codec does not "
				 "use protocol byte %u under the same name",
				 o->name, o->proto);
			return BYZ_EINVAL;
		}
		if (limits_incoherent(o->limits)) {
			snprintf(why, whylen,
				 "protocol %s: its limits are missing or "
				 "incoherent (core.h, struct byz_limits: "
				 "min <= max, n within 1..%d, window_max >= "
				 "window_checkpoints x checkpoint_max)",
				 o->name, BYZ_MAX_N);
			return BYZ_EINVAL;
		}
		for (size_t j = 0; j < ncores; j++)
			if (byz_core_registry[j]->proto == o->proto ||
			    strcmp(byz_core_registry[j]->name, o->name) == 0) {
				snprintf(why, whylen,
					 "protocols %s and %s "
					 "share a name or protocol byte",
					 byz_core_registry[j]->name, o->name);
				return BYZ_EINVAL;
			}
	}
	while (wire_codecs[ncodecs])
		ncodecs++;
	if (ncores == 0 || ncodecs != ncores) {
		snprintf(why, whylen, "%zu protocols but %zu codecs", ncores,
			 ncodecs);
		return BYZ_EINVAL;
	}
	return 0;
}

void byz_outbox_init(struct byz_outbox *ob, size_t max_outputs,
		     size_t max_bytes)
{
	memset(ob, 0, sizeof *ob);
	ob->max_outputs = max_outputs;
	wire_buf_init(&ob->bytes, max_bytes);
}

void byz_outbox_free(struct byz_outbox *ob)
{
	free(ob->out);
	wire_buf_free(&ob->bytes);
	memset(ob, 0, sizeof *ob);
}

void byz_outbox_reset(struct byz_outbox *ob)
{
	ob->count = 0;
	ob->err = 0;
	ob->rules = 0;
	wire_buf_reset(&ob->bytes);
}

/* A new zeroed output of kind, or NULL (and ob->err set) when full. */
static struct byz_output *out_push(struct byz_outbox *ob,
				   enum byz_output_kind kind)
{
	struct byz_output *o;

	if (ob->err)
		return NULL;
	if (ob->bytes.err) {
		ob->err = ob->bytes.err;
		return NULL;
	}
	if (ob->count == ob->max_outputs) {
		ob->err = BYZ_ELIMIT;
		return NULL;
	}
	if (ob->count == ob->cap) {
		size_t ncap = ob->cap ? ob->cap * 2 : 32;
		if (ncap > ob->max_outputs)
			ncap = ob->max_outputs;
		o = realloc(ob->out, ncap * sizeof *o);
		if (!o) {
			ob->err = BYZ_ENOMEM;
			return NULL;
		}
		ob->out = o;
		ob->cap = ncap;
	}
	o = &ob->out[ob->count++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	return o;
}

int byz_out_persist(struct byz_outbox *ob, uint64_t token, bool replace,
		    const void *blob, size_t len)
{
	size_t off = ob->bytes.len;
	struct byz_output *o;

	wire_put_bytes(&ob->bytes, blob, len);
	o = out_push(ob, BYZ_OUT_PERSIST);
	if (!o)
		return ob->err;
	o->token = token;
	o->replace = replace;
	o->off = off;
	o->len = len;
	return 0;
}

static int out_frame(struct byz_outbox *ob, enum byz_output_kind kind,
		     uint32_t to, size_t off, size_t len)
{
	struct byz_output *o;

	if (off > ob->bytes.len || len > ob->bytes.len - off) {
		ob->err = BYZ_EINVAL;
		return ob->err;
	}
	o = out_push(ob, kind);
	if (!o)
		return ob->err;
	o->to = to;
	o->off = off;
	o->len = len;
	return 0;
}

int byz_out_send(struct byz_outbox *ob, uint32_t to, size_t start)
{
	return out_frame(ob, BYZ_OUT_SEND, to, start,
			 start <= ob->bytes.len ? ob->bytes.len - start : 0);
}

int byz_out_broadcast(struct byz_outbox *ob, size_t start)
{
	return out_frame(ob, BYZ_OUT_BROADCAST, 0, start,
			 start <= ob->bytes.len ? ob->bytes.len - start : 0);
}

int byz_out_send_at(struct byz_outbox *ob, uint32_t to, size_t off, size_t len)
{
	return out_frame(ob, BYZ_OUT_SEND, to, off, len);
}

int byz_out_broadcast_at(struct byz_outbox *ob, size_t off, size_t len)
{
	return out_frame(ob, BYZ_OUT_BROADCAST, 0, off, len);
}

int byz_out_timer(struct byz_outbox *ob, uint32_t timer, uint64_t delay_us)
{
	struct byz_output *o;

	if (timer >= BYZ_MAX_TIMERS) {
		ob->err = BYZ_EINVAL;
		return ob->err;
	}
	o = out_push(ob, BYZ_OUT_TIMER);
	if (!o)
		return ob->err;
	o->timer = timer;
	o->delay_us = delay_us;
	return 0;
}

int byz_out_commit(struct byz_outbox *ob, const struct byz_commit *c)
{
	struct byz_output *o = out_push(ob, BYZ_OUT_COMMIT);

	if (!o)
		return ob->err;
	o->commit = *c;
	return 0;
}

int byz_out_view(struct byz_outbox *ob, uint64_t view, uint32_t leader,
		 bool gave_up, bool late)
{
	struct byz_output *o = out_push(ob, BYZ_OUT_VIEW);

	if (!o)
		return ob->err;
	o->view = (struct byz_view){view, leader, gave_up, late};
	return 0;
}

int byz_out_note(struct byz_outbox *ob, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;
	size_t off = ob->bytes.len;
	struct byz_output *o;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	wire_put_bytes(&ob->bytes, line, (size_t)n);
	o = out_push(ob, BYZ_OUT_NOTE);
	if (!o)
		return ob->err;
	o->off = off;
	o->len = (size_t)n;
	return 0;
}

int byz_persist_next(const uint8_t *log, size_t loglen, size_t *pos,
		     const uint8_t **rec, size_t *len)
{
	size_t p = *pos, l;

	if (p == loglen)
		return 0;
	if (loglen - p < 4)
		return BYZ_ETRUNC;
	l = (size_t)log[p] | (size_t)log[p + 1] << 8 |
	    (size_t)log[p + 2] << 16 | (size_t)log[p + 3] << 24;
	p += 4;
	if (loglen - p < l)
		return BYZ_ETRUNC;
	*rec = log + p;
	*len = l;
	*pos = p + l;
	return 1;
}

int byz_out_drop(struct byz_outbox *ob, const struct wire_msg *m,
		 const char *why)
{
	return byz_out_note(ob, "drop %s from r%" PRIu32 ": %s",
			    wire_type_name(m->frame.proto, m->frame.type),
			    m->frame.sender, why);
}

int byz_bytes_set(struct byz_bytes *b, const uint8_t *p, size_t len)
{
	uint8_t *q;

	if (b->p == p && b->len == len)
		return 0;
	q = malloc(len ? len : 1);
	if (!q)
		return BYZ_ENOMEM;
	memcpy(q, p, len);
	free(b->p);
	b->p = q;
	b->len = len;
	return 0;
}

void byz_bytes_free(struct byz_bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}
