/*
 * app.c - the replicated key-value store and its client table. See app.h.
 */
#include "app.h"

#include "err.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define APP_MAX_REPLY	  (6 + APP_MAX_VALUE) /* "value " + VALUE */
#define APP_SNAP_MAGIC	  "BZAP"
#define APP_SNAP_VERSION  1
#define APP_DIGEST_DOMAIN "byzlab/app/v1"

struct app_entry {
	uint8_t klen;
	uint16_t vlen;
	char key[APP_MAX_KEY];
	char val[APP_MAX_VALUE];
};

struct app_client {
	uint64_t timestamp; /* 0: nothing executed yet */
	uint16_t rlen;
	uint8_t reply[APP_MAX_REPLY];
};

struct app {
	struct app_limits lim;
	uint64_t height;
	uint64_t lanes[4]; /* the incremental multiset hash, see app.h */
	struct app_entry *entries; /* sorted by key (memcmp, then length) */
	uint32_t nentries, cap;
	struct app_client *clients; /* lim.max_clients of them */
	uint8_t result[APP_MAX_REPLY];
	size_t result_len;
};

int app_new(const struct app_limits *lim, struct app **out)
{
	struct app *a;

	*out = NULL;
	if (!lim || lim->max_clients == 0 || lim->max_clients > (1u << 20) ||
	    lim->max_keys > (1u << 24))
		return BYZ_EINVAL;
	a = calloc(1, sizeof *a);
	if (!a)
		return BYZ_ENOMEM;
	a->lim = *lim;
	a->clients = calloc(lim->max_clients, sizeof *a->clients);
	if (!a->clients) {
		free(a);
		return BYZ_ENOMEM;
	}
	*out = a;
	return 0;
}

void app_destroy(struct app **a)
{
	if (!*a)
		return;
	free((*a)->entries);
	free((*a)->clients);
	free(*a);
	*a = NULL;
}

/* Add (sign = +1) or remove (sign = -1) one element's hash from the lanes. */
static void lanes_apply(uint64_t lanes[4], int sign, const uint8_t h[32])
{
	for (int i = 0; i < 4; i++) {
		uint64_t v = 0;
		for (int b = 0; b < 8; b++)
			v |= (uint64_t)h[8 * i + b] << (8 * b);
		lanes[i] = sign > 0 ? lanes[i] + v : lanes[i] - v;
	}
}

static void entry_hash(const struct app_entry *e, uint8_t out[32])
{
	uint8_t buf[4 + 1 + APP_MAX_KEY + 2 + APP_MAX_VALUE];
	size_t n = 0;

	memcpy(buf, "kv\0\0", 4);
	n = 4;
	buf[n++] = e->klen;
	memcpy(buf + n, e->key, e->klen);
	n += e->klen;
	buf[n++] = (uint8_t)e->vlen;
	buf[n++] = (uint8_t)(e->vlen >> 8);
	memcpy(buf + n, e->val, e->vlen);
	n += e->vlen;
	byz_digest(out, buf, n);
}

static void client_hash(uint32_t id, const struct app_client *c,
			uint8_t out[32])
{
	uint8_t buf[4 + 4 + 8 + 2 + APP_MAX_REPLY];
	size_t n = 0;

	memcpy(buf, "cl\0\0", 4);
	n = 4;
	for (int i = 0; i < 4; i++)
		buf[n++] = (uint8_t)(id >> (8 * i));
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(c->timestamp >> (8 * i));
	buf[n++] = (uint8_t)c->rlen;
	buf[n++] = (uint8_t)(c->rlen >> 8);
	memcpy(buf + n, c->reply, c->rlen);
	n += c->rlen;
	byz_digest(out, buf, n);
}

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Index of key, or of where it would be inserted (*found says which). */
static uint32_t app_find(const struct app *a, const char *key, size_t klen,
			 bool *found)
{
	uint32_t lo = 0, hi = a->nentries;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(a->entries[mid].key, a->entries[mid].klen, key,
				klen);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static bool key_ok(const uint8_t *k, size_t len)
{
	if (len == 0 || len > APP_MAX_KEY)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == ':' || c == '-'))
			return false;
	}
	return true;
}

static bool value_ok(const uint8_t *v, size_t len)
{
	if (len > APP_MAX_VALUE)
		return false;
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x21 || v[i] > 0x7e)
			return false;
	return true;
}

static void set_result(struct app *a, const char *prefix, const char *v,
		       size_t vlen)
{
	size_t p = strlen(prefix);

	memcpy(a->result, prefix, p);
	memcpy(a->result + p, v, vlen);
	a->result_len = p + vlen;
}

/* Split op into up to 3 space-separated tokens; false if malformed. */
static bool op_split(const uint8_t *op, size_t len, const uint8_t *tok[3],
		     size_t toklen[3], int *ntok)
{
	size_t i = 0;

	*ntok = 0;
	while (i < len) {
		size_t start = i;
		if (*ntok == 3)
			return false;
		while (i < len && op[i] != ' ')
			i++;
		if (i == start)
			return false; /* empty token: double or edge space */
		tok[*ntok] = op + start;
		toklen[*ntok] = i - start;
		(*ntok)++;
		if (i < len) {
			i++; /* the space */
			if (i == len)
				return false; /* trailing space */
		}
	}
	return *ntok > 0;
}

static bool tok_is(const uint8_t *t, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(t, word, len) == 0;
}

/* Execute op on the store; fills a->result. */
static void app_apply(struct app *a, const uint8_t *op, size_t len)
{
	const uint8_t *tok[3];
	size_t tl[3];
	int ntok;
	bool found;
	uint32_t i;
	uint8_t h[32];

	if (!op_split(op, len, tok, tl, &ntok) ||
	    !key_ok(tok[ntok > 1 ? 1 : 0], ntok > 1 ? tl[1] : 0))
		goto bad;
	i = app_find(a, (const char *)tok[1], tl[1], &found);
	if (tok_is(tok[0], tl[0], "get") && ntok == 2) {
		if (found)
			set_result(a, "value ", a->entries[i].val,
				   a->entries[i].vlen);
		else
			set_result(a, "notfound", "", 0);
		return;
	}
	if (tok_is(tok[0], tl[0], "del") && ntok == 2) {
		if (!found) {
			set_result(a, "notfound", "", 0);
			return;
		}
		entry_hash(&a->entries[i], h);
		lanes_apply(a->lanes, -1, h);
		memmove(&a->entries[i], &a->entries[i + 1],
			(a->nentries - i - 1) * sizeof *a->entries);
		a->nentries--;
		set_result(a, "ok", "", 0);
		return;
	}
	if (tok_is(tok[0], tl[0], "put") && ntok == 3 &&
	    value_ok(tok[2], tl[2])) {
		struct app_entry *e;
		if (found) {
			e = &a->entries[i];
			entry_hash(e, h);
			lanes_apply(a->lanes, -1, h);
		} else {
			if (a->nentries >= a->lim.max_keys) {
				set_result(a, "error full", "", 0);
				return;
			}
			if (a->nentries == a->cap) {
				uint32_t ncap = a->cap ? a->cap * 2 : 16;
				struct app_entry *ne;
				if (ncap > a->lim.max_keys)
					ncap = a->lim.max_keys;
				ne = realloc(a->entries, ncap * sizeof *ne);
				if (!ne) {
					/* Deterministic across replicas only if
					 * memory is; report it as full. */
					set_result(a, "error full", "", 0);
					return;
				}
				a->entries = ne;
				a->cap = ncap;
			}
			memmove(&a->entries[i + 1], &a->entries[i],
				(a->nentries - i) * sizeof *a->entries);
			a->nentries++;
			e = &a->entries[i];
			e->klen = (uint8_t)tl[1];
			memcpy(e->key, tok[1], tl[1]);
		}
		e->vlen = (uint16_t)tl[2];
		memcpy(e->val, tok[2], tl[2]);
		entry_hash(e, h);
		lanes_apply(a->lanes, +1, h);
		set_result(a, "ok", "", 0);
		return;
	}
bad:
	set_result(a, "error bad-op", "", 0);
}

int app_execute(struct app *a, uint32_t client, uint64_t timestamp,
		const uint8_t *op, size_t op_len, const uint8_t **result,
		size_t *result_len)
{
	struct app_client *c;
	uint8_t h[32];

	if (client >= a->lim.max_clients || timestamp == 0)
		return BYZ_EINVAL;
	c = &a->clients[client];
	if (timestamp < c->timestamp)
		return APP_STALE;
	if (timestamp == c->timestamp) {
		*result = c->reply;
		*result_len = c->rlen;
		return APP_DUPLICATE;
	}
	app_apply(a, op, op_len);
	if (c->timestamp) {
		client_hash(client, c, h);
		lanes_apply(a->lanes, -1, h);
	}
	c->timestamp = timestamp;
	c->rlen = (uint16_t)a->result_len;
	memcpy(c->reply, a->result, a->result_len);
	client_hash(client, c, h);
	lanes_apply(a->lanes, +1, h);
	a->height++;
	*result = c->reply;
	*result_len = c->rlen;
	return APP_EXECUTED;
}

uint64_t app_height(const struct app *a)
{
	return a->height;
}

uint64_t app_last_timestamp(const struct app *a, uint32_t client)
{
	return client < a->lim.max_clients ? a->clients[client].timestamp : 0;
}

void app_state_digest(const struct app *a, uint8_t out[BYZ_DIGEST_BYTES])
{
	uint8_t buf[sizeof APP_DIGEST_DOMAIN + 8 + 32];
	size_t n = sizeof APP_DIGEST_DOMAIN;

	memcpy(buf, APP_DIGEST_DOMAIN, n);
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(a->height >> (8 * i));
	for (int l = 0; l < 4; l++)
		for (int i = 0; i < 8; i++)
			buf[n++] = (uint8_t)(a->lanes[l] >> (8 * i));
	byz_digest(out, buf, n);
}

int app_snapshot(const struct app *a, struct wire_buf *out)
{
	uint32_t used = 0;

	wire_put_bytes(out, APP_SNAP_MAGIC, 4);
	wire_put_u8(out, APP_SNAP_VERSION);
	wire_put_u64(out, a->height);
	wire_put_u32(out, a->nentries);
	for (uint32_t i = 0; i < a->nentries; i++) {
		const struct app_entry *e = &a->entries[i];
		wire_put_u8(out, e->klen);
		wire_put_bytes(out, e->key, e->klen);
		wire_put_u16(out, e->vlen);
		wire_put_bytes(out, e->val, e->vlen);
	}
	for (uint32_t c = 0; c < a->lim.max_clients; c++)
		used += a->clients[c].timestamp != 0;
	wire_put_u32(out, used);
	for (uint32_t c = 0; c < a->lim.max_clients; c++) {
		const struct app_client *cl = &a->clients[c];
		if (!cl->timestamp)
			continue;
		wire_put_u32(out, c);
		wire_put_u64(out, cl->timestamp);
		wire_put_u16(out, cl->rlen);
		wire_put_bytes(out, cl->reply, cl->rlen);
	}
	return out->err;
}

/* A bounded reader over a snapshot. */
struct snap_rd {
	const uint8_t *p;
	size_t left;
	int err;
};

static const uint8_t *rd_take(struct snap_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err || r->left < n) {
		r->err = r->err ? r->err : BYZ_ETRUNC;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static uint64_t rd_uint(struct snap_rd *r, int bytes)
{
	const uint8_t *p = rd_take(r, (size_t)bytes);
	uint64_t v = 0;

	if (!p)
		return 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int app_restore(struct app *a, const uint8_t *buf, size_t len)
{
	struct snap_rd r = {buf, len, 0};
	struct app *fresh = NULL;
	const uint8_t *magic;
	uint64_t nkeys, nclients, prev_client = 0;
	int rc;

	magic = rd_take(&r, 4);
	if (!magic || memcmp(magic, APP_SNAP_MAGIC, 4) != 0)
		return r.err ? r.err : BYZ_EMAGIC;
	if (rd_uint(&r, 1) != APP_SNAP_VERSION)
		return r.err ? r.err : BYZ_EVERSION;
	rc = app_new(&a->lim, &fresh);
	if (rc)
		return rc;
	fresh->height = rd_uint(&r, 8);
	nkeys = rd_uint(&r, 4);
	if (!r.err && nkeys > a->lim.max_keys) {
		rc = BYZ_ETOOBIG;
		goto out;
	}
	if (nkeys) {
		fresh->entries = calloc(nkeys, sizeof *fresh->entries);
		if (!fresh->entries) {
			rc = BYZ_ENOMEM;
			goto out;
		}
		fresh->cap = (uint32_t)nkeys;
	}
	for (uint64_t i = 0; i < nkeys && !r.err; i++) {
		struct app_entry *e = &fresh->entries[i];
		const uint8_t *k, *v;
		uint8_t h[32];
		size_t kl = rd_uint(&r, 1), vl;

		k = rd_take(&r, kl);
		vl = rd_uint(&r, 2);
		v = rd_take(&r, vl);
		if (r.err)
			break;
		if (!key_ok(k, kl) || !value_ok(v, vl) ||
		    (i > 0 && key_cmp(fresh->entries[i - 1].key,
				      fresh->entries[i - 1].klen,
				      (const char *)k, kl) >= 0)) {
			rc = BYZ_EFIELD;
			goto out;
		}
		e->klen = (uint8_t)kl;
		memcpy(e->key, k, kl);
		e->vlen = (uint16_t)vl;
		memcpy(e->val, v, vl);
		fresh->nentries++;
		entry_hash(e, h);
		lanes_apply(fresh->lanes, +1, h);
	}
	nclients = rd_uint(&r, 4);
	if (!r.err && nclients > a->lim.max_clients) {
		rc = BYZ_ETOOBIG;
		goto out;
	}
	for (uint64_t i = 0; i < nclients && !r.err; i++) {
		uint64_t id = rd_uint(&r, 4), ts = rd_uint(&r, 8);
		size_t rl = rd_uint(&r, 2);
		const uint8_t *rep = rd_take(&r, rl);
		struct app_client *c;
		uint8_t h[32];

		if (r.err)
			break;
		if (id >= a->lim.max_clients || ts == 0 || rl > APP_MAX_REPLY ||
		    (i > 0 && id <= prev_client)) {
			rc = BYZ_EFIELD;
			goto out;
		}
		prev_client = id;
		c = &fresh->clients[id];
		c->timestamp = ts;
		c->rlen = (uint16_t)rl;
		memcpy(c->reply, rep, rl);
		client_hash((uint32_t)id, c, h);
		lanes_apply(fresh->lanes, +1, h);
	}
	if (r.err) {
		rc = r.err;
		goto out;
	}
	if (r.left) {
		rc = BYZ_ETRAILING;
		goto out;
	}
	/* Swap the restored state in; the old one goes with `fresh`. */
	{
		struct app tmp = *a;
		*a = *fresh;
		*fresh = tmp;
	}
	rc = 0;
out:
	app_destroy(&fresh);
	return rc;
}
