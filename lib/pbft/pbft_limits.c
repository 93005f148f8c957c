/*
 * pbft_limits.c - will every message PBFT can build fit a frame?
 *
 * Sizes are worst cases, from the configuration (n, f, window, batch) and
 * the wire limits (docs/wire.md): every request at WIRE_MAX_OP bytes,
 * every prepared certificate in a VIEW-CHANGE present. The one that grows
 * fastest is the VIEW-CHANGE: up to `window` prepared certificates of a
 * PRE-PREPARE and 2f PREPAREs each (TOCS'02 §4.4). The NEW-VIEW names its
 * view-changes by digest (docs/pbft.md), so it grows with window and batch
 * only.
 */
#include "pbft.h"

#include "err.h"

#include <inttypes.h>
#include <stdio.h>

/* What pbft_create accepts: n >= 4 (3f + 1 with f >= 1); a window of
 * at least two checkpoint intervals (a stable checkpoint and the next one
 * fit, TOCS'02 §4.3) and at most PBFT_MAX_PSET (the prepared certificates
 * of a VIEW-CHANGE); batches up to PBFT_MAX_BATCH. */
const struct byz_limits pbft_limits = {
    .n_min = 4,
    .n_max = BYZ_MAX_N,
    .window_min = 2,
    .window_max = PBFT_MAX_PSET,
    .checkpoint_min = 1,
    .checkpoint_max = PBFT_MAX_PSET / 2,
    .window_checkpoints = 2,
    .batch_min = 1,
    .batch_max = PBFT_MAX_BATCH,
    .timeout_needed = true,
};

/* A signed frame with a body of `body` bytes, and one embedded in a list
 * (its u32 length first). */
#define FRAME(body) ((uint64_t)WIRE_HEADER_BYTES + (body) + BYZ_SIG_BYTES)
#define EMBED(body) (4 + FRAME(body))

static const uint64_t req_body = 8 + 2 + WIRE_MAX_OP; /* wire.md §4.1 */
static const uint64_t vote_body = 8 + 8 + BYZ_DIGEST_BYTES;
static const uint64_t ckpt_body = 8 + BYZ_DIGEST_BYTES;

/* PRE-PREPARE body with a full batch. */
static uint64_t pp_body(uint32_t batch)
{
	return 8 + 8 + 2 + (uint64_t)batch * EMBED(req_body);
}

uint64_t pbft_viewchange_max(uint32_t n, uint32_t f, uint32_t window,
			     uint32_t batch)
{
	uint64_t entry =
	    EMBED(pp_body(batch)) + 2 + 2ull * f * EMBED(vote_body);

	(void)n;
	return FRAME(8 + 8 + BYZ_DIGEST_BYTES + 2 +
		     (2ull * f + 1) * EMBED(ckpt_body) + 2 +
		     (uint64_t)window * entry);
}

uint64_t pbft_newview_max(uint32_t n, uint32_t f, uint32_t window,
			  uint32_t batch)
{
	(void)n;
	return FRAME(8 + 2 + (2ull * f + 1) * PBFT_VREF_BYTES + 2 +
		     (uint64_t)window * EMBED(pp_body(batch)));
}

/* The largest window at which a VIEW-CHANGE and a NEW-VIEW still fit. */
static uint32_t window_that_fits(const struct byz_config *cfg)
{
	uint32_t w = cfg->window;

	while (w > 0 && (pbft_viewchange_max(cfg->n, cfg->f, w, cfg->batch) >
			     WIRE_MAX_FRAME ||
			 pbft_newview_max(cfg->n, cfg->f, w, cfg->batch) >
			     WIRE_MAX_FRAME))
		w--;
	return w;
}

static void say_mib(char *buf, size_t cap, uint64_t bytes)
{
	snprintf(buf, cap, "%.1f MiB", (double)bytes / (1 << 20));
}

/* byz_core_ops.check_config: refuse a window, batch and n at which a
 * VIEW-CHANGE or NEW-VIEW could outgrow a frame, before the run. */
int pbft_check_config(const struct byz_config *cfg, char *why, size_t whylen)
{
	uint64_t vc, nv, need;
	uint32_t w;
	const char *what;
	char size[32], frame[32];

	if (cfg->n < 4 || cfg->batch < 1 || cfg->window < 1)
		return 0; /* pbft_create says no */
	vc = pbft_viewchange_max(cfg->n, cfg->f, cfg->window, cfg->batch);
	nv = pbft_newview_max(cfg->n, cfg->f, cfg->window, cfg->batch);
	if (vc <= WIRE_MAX_FRAME && nv <= WIRE_MAX_FRAME)
		return 0;
	what = vc >= nv ? "VIEW-CHANGE" : "NEW-VIEW";
	need = vc >= nv ? vc : nv;
	say_mib(size, sizeof size, need);
	say_mib(frame, sizeof frame, WIRE_MAX_FRAME);
	w = window_that_fits(cfg);
	if (w >= 2 * cfg->checkpoint_interval)
		snprintf(why, whylen,
			 "pbft: --n %" PRIu32 " with --window %" PRIu32
			 " and --batch %" PRIu32 ": a %s could need %s, more "
			 "than a frame (%s); use --window %" PRIu32
			 " or fewer, a smaller --batch, or fewer replicas",
			 cfg->n, cfg->window, cfg->batch, what, size, frame, w);
	else
		snprintf(why, whylen,
			 "pbft: --n %" PRIu32 " with --window %" PRIu32
			 " and --batch %" PRIu32 ": a %s could need %s, more "
			 "than a frame (%s); use a smaller --batch or fewer "
			 "replicas (a window that fits, %" PRIu32
			 ", is below 2 x --checkpoint)",
			 cfg->n, cfg->window, cfg->batch, what, size, frame, w);
	return BYZ_EINVAL;
}
