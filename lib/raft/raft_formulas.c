/*
 * raft_formulas.c - Raft's costs as its paper describes them and as this
 * implementation sends them, for `byzlab report complexity` (core.h,
 * struct byz_complexity; docs/raft.md "Messages per decision").
 */
#include "raft_core.h"

static double raft_normal_messages(uint32_t n)
{
	/* an APPEND to each of n-1 followers and their n-1 APPEND_OKs; an
	 * APPEND with the new commit index to each and its APPEND_OK */
	return 4.0 * (n - 1.0);
}

static const struct byz_formula raft_formulas[] = {
    {"messages", "normal", "4(n-1)",
     "Ongaro & Ousterhout 2014, §5.3: the leader sends AppendEntries to "
     "each follower, each replies, and an entry commits on a majority; "
     "byzlab: the new commit index goes out at once in one more "
     "AppendEntries to each, which each answers too",
     raft_normal_messages, 1, false,
     "exact with one client (tests/test_raft.c, n = 3, 5, 7); the report "
     "measures more because its runs with one request per client send "
     "the requests pending at the first election as entries of one "
     "AppendEntries, which makes the difference of its two runs dear "
     "(docs/raft.md)"},
    {"messages", "view-change", "O(n)",
     "Ongaro & Ousterhout 2014, §5.2: an election is a RequestVote to "
     "each of n-1 and their replies, then AppendEntries from the new "
     "leader",
     NULL, 1, false, NULL},
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
