/*
 * tm_formulas.c - Tendermint's costs as its paper counts them, and as this
 * implementation sends them, for `byzlab report complexity` (core.h,
 * struct byz_complexity; docs/tendermint.md "Messages per decision").
 *
 * Buchman, Kwon, Milosevic, "The latest gossip on BFT consensus" (arXiv
 * 1807.04938, 2018), Algorithm 1: a round is one PROPOSAL broadcast by
 * proposer(h, r) (line 19), and a PREVOTE (lines 24, 26, 30, 32) and a
 * PRECOMMIT (lines 40, 45) broadcast by every process; a faulty proposer
 * costs one more round (lines 57-67).
 */
#include "tm_core.h"

static double tm_round_messages(uint32_t n)
{
	/* a PROPOSAL to n-1, a PREVOTE and a PRECOMMIT from each of n to
	 * n-1 */
	return (n - 1.0) * (2.0 * n + 1.0);
}

static double tm_normal_signatures(uint32_t n)
{
	/* 1 PROPOSAL, n PREVOTEs and n PRECOMMITs (a replica's own too: it
	 * is signed to be sent to itself), the client's request, n replies */
	return 3.0 * n + 2.0;
}

static double tm_normal_verifications(uint32_t n)
{
	/* each of n replicas: n PREVOTEs, n PRECOMMITs, the PROPOSAL, and
	 * the client's request alone and inside the PROPOSAL; the client: n
	 * replies */
	return 2.0 * n * (n + 2.0);
}

static double tm_round_signatures(uint32_t n)
{
	/* the extra round's PROPOSAL, n PREVOTEs and n PRECOMMITs */
	return 2.0 * n + 1.0;
}

static const struct byz_formula tm_formulas[] = {
    {"messages", "normal", "(n-1)(2n+1)",
     "Buchman et al. 2018, Algorithm 1: per height one round: the "
     "PROPOSAL broadcast (line 19), a PREVOTE (line 24) and a PRECOMMIT "
     "(line 40) broadcast by every process",
     tm_round_messages, 2, true,
     "a replica's own votes are loopbacks, not traffic"},
    {"signatures", "normal", "3n+2",
     "byzlab: Algorithm 1's one PROPOSAL, n PREVOTEs and n PRECOMMITs per "
     "height, the client's request and n replies",
     tm_normal_signatures, 1, true, NULL},
    {"verifications", "normal", "2n(n+2)",
     "byzlab: every replica verifies the n PREVOTEs and n PRECOMMITs of "
     "its height (its own too: they come back signed), the PROPOSAL and "
     "the request alone and inside it; the client n replies",
     tm_normal_verifications, 2, true,
     "no certificate is embedded in the normal case: quadratic because "
     "every vote goes to everyone"},
    {"messages", "view-change", "(n-1)(2n+1)",
     "Buchman et al. 2018, Algorithm 1, lines 57-67: a faulty proposer "
     "costs one more round: timeoutPropose, nil PREVOTEs, nil PRECOMMITs, "
     "timeoutPrecommit, round r+1",
     tm_round_messages, 2, true,
     "the silent proposer's own messages are counted at the sender"},
    {"signatures", "view-change", "2n+1",
     "byzlab: the extra round's PROPOSAL, n PREVOTEs and n PRECOMMITs",
     tm_round_signatures, 1, true, NULL},
    {"verifications", "view-change", "O(n^2)",
     "Buchman et al. 2018, Algorithm 1: the extra round's votes, received "
     "by every process",
     NULL, 2, false, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, false, NULL},
};

/* The proposer of height 4, round 0 (proposer(h, 0) = (h - 1) mod n):
 * by then three heights are decided, as in a running system. */
static uint32_t tm_faulty_proposer(uint32_t n)
{
	return 3 % n;
}

const struct byz_complexity tendermint_complexity = {
    .leader_attack = "silent:rounds=4",
    .leader_attack_why = "the proposer of height 4 (replica 3 mod n) is "
			 "silent at height 4 only (rounds are heights): one "
			 "more round, after three decided heights",
    .leader = tm_faulty_proposer,
    .formulas = tm_formulas,
};
