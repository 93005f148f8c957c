/*
 * mutate.c - the dispatch of adv_mutate to the protocols' rewrites
 * (adv_rewrites_registry), the conflict map, and what those rewrites
 * share.
 */
#include "mutate.h"

#include "err.h"

#include <string.h>

#define ADV_OTHER_DOMAIN "byzlab/adv/other/v1" /* hashed with its NUL */

/* ---- the conflict map ---------------------------------------------------- */

void adv_conflicts_init(struct adv_conflicts *m)
{
	memset(m, 0, sizeof *m);
}

/* The slot index of the i-th newest entry (i < used). */
static uint32_t newest(const struct adv_conflicts *m, uint32_t i)
{
	return (m->next + ADV_CONFLICT_SLOTS - 1 - i) % ADV_CONFLICT_SLOTS;
}

static struct adv_conflict *find_from(const struct adv_conflicts *m,
				      const uint8_t *from)
{
	for (uint32_t i = 0; i < m->used; i++) {
		const struct adv_conflict *e = &m->slot[newest(m, i)];

		if (memcmp(e->from, from, BYZ_DIGEST_BYTES) == 0)
			return (struct adv_conflict *)e;
	}
	return NULL;
}

int adv_conflicts_put(struct adv_conflicts *m,
		      const uint8_t from[BYZ_DIGEST_BYTES],
		      const uint8_t to[BYZ_DIGEST_BYTES])
{
	struct adv_conflict *e;

	if (memcmp(from, to, BYZ_DIGEST_BYTES) == 0)
		return BYZ_EINVAL;
	if (!(e = find_from(m, from))) {
		e = &m->slot[m->next % ADV_CONFLICT_SLOTS];
		m->next = (m->next + 1) % ADV_CONFLICT_SLOTS;
		if (m->used < ADV_CONFLICT_SLOTS)
			m->used++;
		memcpy(e->from, from, BYZ_DIGEST_BYTES);
	}
	memcpy(e->to, to, BYZ_DIGEST_BYTES);
	return 0;
}

const uint8_t *adv_conflicts_get(const struct adv_conflicts *m,
				 const uint8_t from[BYZ_DIGEST_BYTES])
{
	const struct adv_conflict *e = m ? find_from(m, from) : NULL;

	return e ? e->to : NULL;
}

const uint8_t *adv_conflicts_origin(const struct adv_conflicts *m,
				    const uint8_t to[BYZ_DIGEST_BYTES])
{
	for (uint32_t i = 0; m && i < m->used; i++) {
		const struct adv_conflict *e = &m->slot[newest(m, i)];

		if (memcmp(e->to, to, BYZ_DIGEST_BYTES) == 0)
			return e->from;
	}
	return NULL;
}

/* ---- lists of embedded frames -------------------------------------------- */

int adv_list_gather(struct adv_list *l, const struct wire_frames *src)
{
	struct wire_msg x;
	size_t pos = 0;

	l->count = 0;
	while (wire_frames_next(src, &pos, &x) == 1) {
		if (l->count == ADV_LIST_MAX)
			return BYZ_ETOOBIG;
		l->frames[l->count] = x.frame.bytes;
		l->lens[l->count++] = x.frame.len;
	}
	return l->count == src->count && pos == src->len ? 0 : BYZ_EINVAL;
}

static bool same_frame(const struct adv_list *l, size_t i, size_t j)
{
	return l->lens[i] == l->lens[j] &&
	       memcmp(l->frames[i], l->frames[j], l->lens[i]) == 0;
}

bool adv_list_dup(struct adv_list *l)
{
	size_t last;

	if (l->count < 2)
		return false;
	last = l->count - 1;
	if (same_frame(l, 0, last))
		return false;
	l->frames[last] = l->frames[0];
	l->lens[last] = l->lens[0];
	return true;
}

bool adv_list_short(struct adv_list *l)
{
	if (!l->count)
		return false;
	l->count--;
	return true;
}

bool adv_list_cert(struct adv_list *l, enum adv_mutation mut)
{
	return mut == ADV_MUT_CERT_DUP ? adv_list_dup(l) : adv_list_short(l);
}

void adv_conflicts_offer(struct adv_conflicts *m, const uint8_t *req,
			 size_t len)
{
	struct adv_spare *sp;

	if (len > ADV_SPARE_BYTES)
		return;
	for (uint32_t i = 0; i < m->spare_used; i++)
		if (m->spare[i].len == len &&
		    !memcmp(m->spare[i].frame, req, len))
			return; /* known already */
	sp = &m->spare[m->spare_next];
	sp->len = len;
	memcpy(sp->frame, req, len);
	m->spare_next = (m->spare_next + 1) % ADV_SPARE_SLOTS;
	if (m->spare_used < ADV_SPARE_SLOTS)
		m->spare_used++;
}

bool adv_list_conflict(struct adv_list *l, const struct adv_conflicts *map)
{
	bool changed = false;

	if (!l->count)
		return false;
	/* One request: another client's request the adversary has seen in
	 * flight (validly signed by its client), newest first; if there is
	 * none, the batch is emptied below. */
	if (l->count == 1 && map) {
		for (uint32_t k = 0; k < map->spare_used; k++) {
			uint32_t i =
			    (map->spare_next + ADV_SPARE_SLOTS - 1 - k) %
			    ADV_SPARE_SLOTS;
			const struct adv_spare *sp = &map->spare[i];
			if (sp->len == l->lens[0] &&
			    !memcmp(sp->frame, l->frames[0], sp->len))
				continue;
			l->frames[0] = sp->frame;
			l->lens[0] = sp->len;
			return true;
		}
	}
	/* Reversed, unless that is the same sequence of frames. */
	for (size_t i = 0; i < l->count / 2; i++)
		if (!same_frame(l, i, l->count - 1 - i))
			changed = true;
	if (!changed) {
		l->count = 0;
		return true;
	}
	for (size_t i = 0, j = l->count - 1; i < j; i++, j--) {
		const uint8_t *p = l->frames[i];
		size_t n = l->lens[i];

		l->frames[i] = l->frames[j];
		l->lens[i] = l->lens[j];
		l->frames[j] = p;
		l->lens[j] = n;
	}
	return true;
}

void adv_other_digest(const struct adv_conflicts *map,
		      const uint8_t d[BYZ_DIGEST_BYTES],
		      uint8_t out[BYZ_DIGEST_BYTES])
{
	uint8_t in[sizeof ADV_OTHER_DOMAIN + BYZ_DIGEST_BYTES];
	const uint8_t *x;

	if ((x = adv_conflicts_get(map, d)) ||
	    (x = adv_conflicts_origin(map, d))) {
		memcpy(out, x, BYZ_DIGEST_BYTES);
		return;
	}
	memcpy(in, ADV_OTHER_DOMAIN, sizeof ADV_OTHER_DOMAIN);
	memcpy(in + sizeof ADV_OTHER_DOMAIN, d, BYZ_DIGEST_BYTES);
	byz_digest(out, in, sizeof in);
}

/* ---- adv_mutate ---------------------------------------------------------- */

/* Whether the input lies in out's storage (which the result overwrites).
 * Compared as integers: the two need not be parts of one object. */
static bool overlaps(const uint8_t *frame, size_t len,
		     const struct wire_buf *out)
{
	uintptr_t a = (uintptr_t)frame, b = (uintptr_t)out->data;

	return frame && out->data && a < b + out->cap && b < a + len;
}

static bool known_mutation(int mut)
{
	return mut >= ADV_MUT_FIRST && mut <= ADV_MUT_LAST;
}

/* The protocol's half (mutate.h, adv_rewrites); client frames and a
 * protocol without rewrites: nothing to rewrite. */
static int rewrite(struct adv_ctx *c)
{
	for (size_t i = 0; adv_rewrites_registry[i]; i++)
		if (adv_rewrites_registry[i]->proto == c->m->frame.proto)
			return adv_rewrites_registry[i]->mutate
				   ? adv_rewrites_registry[i]->mutate(c)
				   : ADV_MUT_SKIP;
	return ADV_MUT_SKIP;
}

int adv_mutate(enum adv_mutation mut, const uint8_t *frame, size_t len,
	       const struct byz_keypair *key, uint32_t n, uint32_t f,
	       struct adv_conflicts *map, struct wire_buf *out)
{
	struct wire_msg m;
	struct adv_ctx c;
	int rc;

	if (!out)
		return BYZ_EINVAL;
	if (!key || (!frame && len) || overlaps(frame, len, out)) {
		wire_buf_reset(out);
		return BYZ_EINVAL;
	}
	wire_buf_reset(out);
	if ((rc = wire_decode(frame, len, &m)))
		return rc;
	if (!known_mutation((int)mut))
		return BYZ_EINVAL;

	memset(&c, 0, sizeof c);
	c.mut = mut;
	c.m = &m;
	c.key = key;
	c.map = map;
	c.out = out;
	c.n = n;
	c.f = f;
	rc = rewrite(&c);
	/* The same content again is no mutation. */
	if (rc == 0 && out->len == m.frame.signed_len &&
	    memcmp(out->data, frame, out->len) == 0)
		rc = ADV_MUT_SKIP;
	/* Only the holder of the sender's key may re-sign its message. Checked
	 * last, so that a message the mutation does not apply to costs no
	 * signature verification. */
	if (rc == 0 &&
	    byz_keypair_verify(key, m.frame.proto, m.frame.type, m.frame.bytes,
			       m.frame.signed_len, m.frame.sig) != 0)
		rc = BYZ_EBADSIG;
	if (rc == 0)
		rc = wire_sign(out, 0, key);
	if (rc == 0 && c.record && map)
		rc = adv_conflicts_put(map, c.rec_from, c.rec_to);
	if (rc != 0)
		wire_buf_reset(out);
	return rc;
}

/* ---- views and names ----------------------------------------------------- */

uint64_t adv_frame_view(const uint8_t *frame, size_t len)
{
	struct wire_msg m;

	if (!frame || wire_decode(frame, len, &m))
		return 0;
	return adv_msg_view(&m);
}

uint64_t adv_msg_view(const struct wire_msg *m)
{
	const struct wire_codec *c = wire_codec_of(m->frame.proto);

	if (m->frame.proto == BYZ_PROTO_CLIENT)
		return m->frame.type == WIRE_CLIENT_REPLY ? m->u.reply.view : 0;
	return c && c->view ? c->view(m) : 0;
}

static const char *const mutation_names[] = {
    [ADV_MUT_CONFLICT] = "conflict",
    [ADV_MUT_FOLLOW] = "follow",
    [ADV_MUT_OTHER_DIGEST] = "other-digest",
    [ADV_MUT_STALE] = "stale",
    [ADV_MUT_CERT_DUP] = "cert-dup",
    [ADV_MUT_CERT_SHORT] = "cert-short",
    [ADV_MUT_WITHHOLD] = "withhold",
    [ADV_MUT_FORK] = "fork",
    [ADV_MUT_CERT_MIX] = "cert-mix",
    [ADV_MUT_JUMP] = "jump",
};

const char *adv_mutation_name(enum adv_mutation mut)
{
	return known_mutation((int)mut) ? mutation_names[mut] : "unknown";
}

int adv_mutation_parse(const char *name)
{
	for (int i = ADV_MUT_FIRST; name && i <= ADV_MUT_LAST; i++)
		if (strcmp(name, mutation_names[i]) == 0)
			return i;
	return -1;
}

/* ---- the coalition's hooks ----------------------------------------------- */

static const struct adv_rewrites *rewrites_of(uint8_t proto)
{
	for (size_t i = 0; adv_rewrites_registry[i]; i++)
		if (adv_rewrites_registry[i]->proto == proto)
			return adv_rewrites_registry[i];
	return NULL;
}

int adv_links(const uint8_t *frame, size_t len, struct adv_links *l)
{
	const struct adv_rewrites *rw;
	struct wire_msg m;

	memset(l, 0, sizeof *l);
	if (!frame || wire_decode(frame, len, &m))
		return ADV_MUT_SKIP;
	rw = rewrites_of(m.frame.proto);
	if (!rw || !rw->links)
		return ADV_MUT_SKIP;
	return rw->links(&m, l);
}

int adv_endorse(const uint8_t *prop, size_t len, uint32_t voter,
		const struct byz_keypair *key, const struct adv_cert *cert,
		struct wire_buf *out)
{
	const struct adv_rewrites *rw;
	struct wire_msg m;
	struct adv_ctx c;
	int rc;

	wire_buf_reset(out);
	if (!key || !prop || overlaps(prop, len, out))
		return BYZ_EINVAL;
	if ((rc = wire_decode(prop, len, &m)))
		return rc;
	rw = rewrites_of(m.frame.proto);
	if (!rw || !rw->endorse)
		return ADV_MUT_SKIP;
	memset(&c, 0, sizeof c);
	c.m = &m;
	c.key = key;
	c.out = out;
	c.voter = voter;
	c.cert = cert;
	/* A vote is a new message of the voter's own: signed with its key. */
	if ((rc = rw->endorse(&c)) == 0)
		rc = wire_sign(out, 0, key);
	if (rc)
		wire_buf_reset(out);
	return rc;
}

int adv_extend(const uint8_t *prop, size_t len, const struct byz_keypair *key,
	       const struct adv_cert *cert, struct adv_conflicts *map,
	       struct wire_buf *out)
{
	const struct adv_rewrites *rw;
	struct wire_msg m;
	struct adv_ctx c;
	int rc;

	wire_buf_reset(out);
	if (!key || !prop || !cert || overlaps(prop, len, out))
		return BYZ_EINVAL;
	if ((rc = wire_decode(prop, len, &m)))
		return rc;
	rw = rewrites_of(m.frame.proto);
	if (!rw || !rw->extend)
		return ADV_MUT_SKIP;
	memset(&c, 0, sizeof c);
	c.mut = ADV_MUT_CONFLICT;
	c.m = &m;
	c.key = key;
	c.map = map;
	c.out = out;
	c.cert = cert;
	rc = rw->extend(&c);
	/* Only the proposer's key re-signs its proposal (as adv_mutate). */
	if (rc == 0 &&
	    byz_keypair_verify(key, m.frame.proto, m.frame.type, m.frame.bytes,
			       m.frame.signed_len, m.frame.sig) != 0)
		rc = BYZ_EBADSIG;
	if (rc == 0)
		rc = wire_sign(out, 0, key);
	if (rc == 0 && c.record && map &&
	    memcmp(c.rec_from, c.rec_to, BYZ_DIGEST_BYTES))
		rc = adv_conflicts_put(map, c.rec_from, c.rec_to);
	if (rc != 0)
		wire_buf_reset(out);
	return rc;
}

int adv_usurp(const uint8_t *prop, size_t len, uint32_t usurper,
	      const struct byz_keypair *key, struct adv_conflicts *map,
	      struct wire_buf *out)
{
	const struct adv_rewrites *rw;
	struct wire_msg m;
	struct adv_ctx c;
	int rc;

	wire_buf_reset(out);
	if (!key || !prop || overlaps(prop, len, out))
		return BYZ_EINVAL;
	if ((rc = wire_decode(prop, len, &m)))
		return rc;
	if (m.frame.sender == usurper)
		return ADV_MUT_SKIP; /* its own proposal: nothing to usurp */
	rw = rewrites_of(m.frame.proto);
	if (!rw || !rw->usurp)
		return ADV_MUT_SKIP;
	memset(&c, 0, sizeof c);
	c.mut = ADV_MUT_CONFLICT;
	c.m = &m;
	c.key = key;
	c.map = map;
	c.out = out;
	c.voter = usurper;
	/* A new message of the usurper's own: signed with its key. */
	if ((rc = rw->usurp(&c)) == 0)
		rc = wire_sign(out, 0, key);
	if (rc == 0 && c.record && map &&
	    memcmp(c.rec_from, c.rec_to, BYZ_DIGEST_BYTES))
		rc = adv_conflicts_put(map, c.rec_from, c.rec_to);
	if (rc)
		wire_buf_reset(out);
	return rc;
}
