/*
 * raft_formulas.c - Raft's costs as its paper describes them and as this
 * implementation sends them, for `byzlab report complexity` (core.h,
 * struct byz_complexity; docs/raft.md "Messages per decision").
 */
#include "raft_core.h"

static double raft_normal_messages(uint32_t n)
{
	/* an APPEND to each of n-1 followers, their n-1 APPEND_OKs, and
	 * the APPEND that tells them the new commit index */
	return 3.0 * (n - 1.0);
}

static const struct byz_formula raft_formulas[] = {
    {"messages", "normal", "3(n-1)",
     "Ongaro & Ousterhout 2014, §5.3: the leader sends AppendEntries to "
     "each follower and commits on a majority of replies; byzlab: the "
     "commit index goes out in one more AppendEntries to each",
     raft_normal_messages, 1, false,
     "the paper piggybacks the commit index on the next AppendEntries; "
     "here every replica replies to the client, so it is sent at once"},
    {NULL, NULL, NULL, NULL, NULL, 0, false, NULL},
};

static uint32_t raft_faulty_leader(uint32_t n)
{
	(void)n;
	return 0;
}

const struct byz_complexity raft_complexity = {
    .leader_attack = "silent:rounds=5-1000000",
    .leader_attack_why = "the first leader (replica 0) replicates log "
			 "indexes 1 to 4 (the no-op of its term and three "
			 "requests), then falls silent from index 5 (rounds "
			 "are log indexes; its elections are not silenced): "
			 "the followers' election timeouts elect another",
    .leader = raft_faulty_leader,
    .formulas = raft_formulas,
};
