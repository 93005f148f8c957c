/*
 * tm_mutants.c - Tendermint's catalog of planted mistakes (core.h, struct
 * byz_mutant; byzlab selftest). Each breaks one rule of Algorithm 1 (or of
 * this core's persistence) at the one place the core enforces it, marked
 * there with tm_mut(t, TM_MUT_...). Never on unless a run names it.
 */
#include "tm_core.h"

const struct byz_mutant tm_mutants[] = {
    [TM_MUT_QUORUM_2F - 1] = {"lock-on-2f-prevotes",
			      "lock and precommit v on 2f+1 PREVOTEs for it "
			      "(Alg. 1 line 36); 2f"},
    [TM_MUT_IGNORE_LOCK - 1] = {"prevote-ignores-lock",
				"prevote v only if not locked on another "
				"value, or with 2f+1 PREVOTEs for v at a "
				"round >= the lock (Alg. 1 lines 23, 29); any "
				"valid proposal"},
    [TM_MUT_COMMIT_F1 - 1] = {"decide-on-f+1-precommits",
			      "decide v on 2f+1 PRECOMMITs for it (Alg. 1 "
			      "line 49); f+1"},
    [TM_MUT_VOTE_UNPERSISTED - 1] = {"vote-not-persisted",
				     "persist a vote before sending it "
				     "(core.h); the vote is sent unpersisted"},
    [TM_MUT_COUNT - 1] = {0},
};
