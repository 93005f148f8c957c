/*
 * hs_blocks.c - the bounded block store.
 *
 * It holds the blocks a replica knows: the undecided tree above the
 * executed prefix (forks included, until a commit rules them out), and the
 * newest committed blocks, kept to serve peers that catch up. Its size is
 * fixed at create from the configuration: 4 * window blocks, of which at
 * most 2 * window committed ones are kept. A replica further behind than
 * what its peers keep cannot catch up by fetching (docs/hotstuff.md).
 */
#include "hs_core.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

int hs_store_init(struct hs_store *s, uint32_t window)
{
	memset(s, 0, sizeof *s);
	s->cap = 4 * window;
	s->keep = 2 * window;
	s->b = calloc(s->cap, sizeof *s->b);
	return s->b ? 0 : BYZ_ENOMEM;
}

void hs_store_free(struct hs_store *s)
{
	if (s->b)
		for (uint32_t i = 0; i < s->cap; i++)
			byz_bytes_free(&s->b[i].frame);
	free(s->b);
	memset(s, 0, sizeof *s);
}

struct hs_block *hs_store_find(struct hs_store *s, const uint8_t *hash)
{
	for (uint32_t i = 0; i < s->cap; i++)
		if (s->b[i].used &&
		    memcmp(s->b[i].hash, hash, BYZ_DIGEST_BYTES) == 0)
			return &s->b[i];
	return NULL;
}

static void hs_store_evict(struct hs_store *s, struct hs_block *b)
{
	if (b->committed)
		s->ncommitted--;
	s->count--;
	byz_bytes_free(&b->frame);
	memset(b, 0, sizeof *b);
}

/* A block that may go: a fork the executed prefix ruled out, or failing
 * that the oldest committed block other than the executed one. */
static struct hs_block *hs_store_victim(struct hs *h)
{
	struct hs_store *s = &h->store;
	struct hs_block *old = NULL;

	for (uint32_t i = 0; i < s->cap; i++) {
		struct hs_block *b = &s->b[i];
		if (!b->used)
			continue;
		if (!b->committed && b->view <= h->exec_view)
			return b;
		if (b->committed && b->view < h->exec_view &&
		    (!old || b->view < old->view))
			old = b;
	}
	return old;
}

int hs_store_add(struct hs *h, const uint8_t *hash, uint64_t view,
		 uint64_t justify_view, const uint8_t *parent,
		 const uint8_t *frame, size_t len, struct hs_block **out)
{
	struct hs_store *s = &h->store;
	struct hs_block *b = NULL;
	int rc;

	if (s->count == s->cap) {
		b = hs_store_victim(h);
		if (!b)
			return BYZ_ELIMIT;
		hs_store_evict(s, b);
	}
	for (uint32_t i = 0; i < s->cap && !b; i++)
		if (!s->b[i].used)
			b = &s->b[i];
	if ((rc = byz_bytes_set(&b->frame, frame, len)))
		return rc;
	b->used = true;
	b->committed = false;
	b->view = view;
	b->justify_view = justify_view;
	memcpy(b->hash, hash, BYZ_DIGEST_BYTES);
	memcpy(b->parent, parent, BYZ_DIGEST_BYTES);
	s->count++;
	*out = b;
	return 0;
}

void hs_store_prune(struct hs *h)
{
	struct hs_store *s = &h->store;

	for (uint32_t i = 0; i < s->cap; i++) {
		struct hs_block *b = &s->b[i];
		if (b->used && !b->committed && b->view <= h->exec_view)
			hs_store_evict(s, b);
	}
	while (s->ncommitted > s->keep) {
		struct hs_block *b = hs_store_victim(h);
		if (!b)
			break;
		hs_store_evict(s, b);
	}
}
