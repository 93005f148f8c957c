/*
 * hs_limits.c - will every message HotStuff builds fit a frame?
 *
 * Worst cases from the configuration (n, f, batch) and the wire limits
 * (docs/wire.md): a QC holds 2f+1 VOTE frames, every request is at
 * WIRE_MAX_OP bytes. A PROPOSAL must fit a BLOCKS answer (HS_BLOCKS_BYTES)
 * so any block can be fetched. The TC a proposal may carry is 2f+1
 * TIMEOUTs of a QC each: quadratic in n (3.6 MiB at n = 256), so a leader
 * leaves it out when the block would not fit (hs_try_propose, and
 * docs/hotstuff.md) and it is not counted here.
 */
#include "hs_core.h"

#include "err.h"

#include <inttypes.h>
#include <stdio.h>

#define FRAME(body) ((uint64_t)WIRE_HEADER_BYTES + (body) + BYZ_SIG_BYTES)
#define EMBED(body) (4 + FRAME(body))

/* What hs_create accepts: any n from 1 (3f + 1); a window (the blocks
 * kept above the committed one, hs_store_init) of 4..HS_MAX_WINDOW;
 * batches up to HS_MAX_BATCH. No checkpoints. */
const struct byz_limits hs_limits = {
    .n_min = 1,
    .n_max = BYZ_MAX_N,
    .window_min = 4,
    .window_max = HS_MAX_WINDOW,
    .batch_min = 1,
    .batch_max = HS_MAX_BATCH,
    .timeout_needed = true,
};

/* A QC's encoding with a quorum of votes (hs_wire.h). */
static uint64_t qc_bytes(uint32_t f)
{
	return 8 + BYZ_DIGEST_BYTES + 2 + (2ull * f + 1) * (4 + HS_VOTE_FRAME);
}

uint64_t hs_proposal_max(uint32_t f, uint32_t batch)
{
	return FRAME(8 + qc_bytes(f) + 2 + 2 +
		     (uint64_t)batch * EMBED(8 + 2 + WIRE_MAX_OP));
}

uint64_t hs_timeout_max(uint32_t f)
{
	return FRAME(8 + qc_bytes(f) + 2 + 4 + HS_VOTE_FRAME);
}

/* byz_core_ops.check_config: refuse a batch and n at which a block could
 * not be sent or fetched, before the run. */
int hs_check_config(const struct byz_config *cfg, char *why, size_t whylen)
{
	uint64_t prop, tmo;

	if (cfg->batch < 1 || cfg->batch > HS_MAX_BATCH)
		return 0; /* hs_create says no */
	prop = hs_proposal_max(cfg->f, cfg->batch);
	tmo = hs_timeout_max(cfg->f);
	if (prop > HS_BLOCKS_BYTES) {
		snprintf(why, whylen,
			 "hotstuff: --n %" PRIu32 " with --batch %" PRIu32
			 ": a PROPOSAL could need %" PRIu64 " bytes, more "
			 "than a BLOCKS answer holds (%u); use a smaller "
			 "--batch or fewer replicas",
			 cfg->n, cfg->batch, prop, (unsigned)HS_BLOCKS_BYTES);
		return BYZ_EINVAL;
	}
	if (tmo > WIRE_MAX_FRAME) {
		snprintf(why, whylen,
			 "hotstuff: --n %" PRIu32
			 ": a TIMEOUT could need %" PRIu64
			 " bytes, more than a frame (%u); use fewer "
			 "replicas",
			 cfg->n, tmo, (unsigned)WIRE_MAX_FRAME);
		return BYZ_EINVAL;
	}
	return 0;
}

/* Would a proposal on our highQC with this TC and batch outgrow a BLOCKS
 * answer (so it could not be fetched)? */
bool hs_tc_too_big(const struct hs *h, struct hs_framev tc,
		   struct hs_framev batch)
{
	uint64_t bytes = FRAME(8 + h->high.len + 2 + 2);

	for (size_t i = 0; i < tc.count; i++)
		bytes += 4 + tc.lens[i];
	for (size_t i = 0; i < batch.count; i++)
		bytes += 4 + batch.lens[i];
	return bytes > HS_BLOCKS_BYTES;
}
