/*
 * hs_mutants.c - chained HotStuff's catalog of planted mistakes (core.h,
 * struct byz_mutant; byzlab selftest, issue #11). Each breaks one rule of
 * PODC'19 Algorithms 4-5 (or of this core's pacemaker and catch-up) at the
 * one place the core enforces it, marked there with hs_mut(h, HS_MUT_...).
 * Never on unless a run names it.
 */
#include "hs_core.h"

const struct byz_mutant hs_mutants[] = {
    [HS_MUT_SAFENODE -
     1] = {"safe-node-ignores-lock",
	   "safeNode: vote only for a block that extends the locked block or "
	   "whose justify is newer than the lock (PODC'19 Alg. 4); any block"},
    [HS_MUT_LOCK_FROZEN - 1] =
	{"lock-never-moves",
	 "update: lock on b' = b''.justify.node when it is higher than the "
	 "lock (Alg. 4, the two-chain); the lock stays at genesis"},
    [HS_MUT_TWO_CHAIN -
	1] = {"commit-on-two-chain",
	      "update: decide b only on a three-chain b <- b' <- b'' (Alg. 4); "
	      "decides b' on the two-chain"},
    [HS_MUT_NONCONSECUTIVE -
	1] = {"commit-without-direct-parents",
	      "update: the three-chain must link direct parents in consecutive "
	      "views (Alg. 4: b''.parent = b' and b'.parent = b); not checked"},
    [HS_MUT_QUORUM -
	1] = {"quorum-2f",
	      "a QC or TC holds 2f+1 votes or TIMEOUTs (Alg. 2-4, the "
	      "pacemaker); 2f"},
    [HS_MUT_QC_SIGNERS - 1] =
	{"qc-repeated-signer",
	 "a QC's votes come from distinct replicas (Alg. 2); one replica's "
	 "vote counts again"},
    [HS_MUT_QC_BLOCK - 1] =
	{"qc-vote-for-another-block",
	 "a QC's votes are for its view and block (Alg. 2 matchingQC); the "
	 "block is not compared"},
    [HS_MUT_VOTE_TWICE -
	1] = {"vote-twice-in-a-view",
	      "a replica votes once per view (Alg. 4: height > vheight) and "
	      "refuses a second block for a view; it stays in the view "
	      "after voting and votes for each"},
    [HS_MUT_LEADER - 1] =
	{"proposal-from-anyone",
	 "a proposal comes from its view's leader (Alg. 4-5); any replica's "
	 "is taken"},
    [HS_MUT_TC_UNCHECKED - 1] =
	{"tc-unchecked",
	 "a proposal that enters its view by a TC carries 2f+1 valid "
	 "TIMEOUTs for the view before (pacemaker); the TC is not checked"},
    [HS_MUT_VOTE_NOT_PERSISTED -
	1] = {"vote-not-persisted",
	      "the voted view is durable before the VOTE leaves (core.h, "
	      "restart); not persisted"},
    [HS_MUT_SNAPSHOT_CLAIMS -
	1] = {"snapshot-on-one-claim",
	      "a snapshot is installed on f+1 matching claims (catch-up, "
	      "docs/hotstuff.md); on one"},
    [HS_MUT_COUNT - 1] = {0},
};
