/*
 * raft_mutants.c - Raft's catalog of planted mistakes (core.h, struct
 * byz_mutant; byzlab selftest). Each breaks one rule of the paper at the
 * one place the core enforces it, marked there with raft_mut(t,
 * RAFT_MUT_...). Never on unless a run names it.
 */
#include "raft_core.h"

const struct byz_mutant raft_mutants[] = {
    [RAFT_MUT_COMMIT_MINORITY - 1] = {"commit-minority",
				      "commit an entry stored on a majority, "
				      "n/2+1 of n (§5.4.2, Figure 2); n/2"},
    [RAFT_MUT_VOTE_NO_LOG_CHECK - 1] = {"vote-without-log-check",
					"grant a vote only to a candidate "
					"whose log is at least as up-to-date "
					"(§5.4.1); any candidate"},
    [RAFT_MUT_COMMIT_OLD_TERM - 1] = {"commit-old-term",
				      "commit by counting replicas only "
				      "entries of the current term (§5.4.2, "
				      "Figure 8); earlier terms' too"},
    [RAFT_MUT_VOTE_UNPERSISTED - 1] = {"vote-not-persisted",
				       "persist votedFor before granting a "
				       "vote (Figure 2); the vote is sent "
				       "unpersisted"},
    [RAFT_MUT_COUNT - 1] = {0},
};
