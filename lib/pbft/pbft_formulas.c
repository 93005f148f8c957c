/*
 * pbft_formulas.c - PBFT's costs as its papers count them, and as this
 * implementation sends them, for `byzlab report complexity` (core.h,
 * struct byz_complexity; docs/reports.md).
 *
 * Castro & Liskov, "Practical Byzantine Fault Tolerance", OSDI'99 (§4.2
 * normal case, §4.4 view change) and TOCS'02 (same sections); the
 * authenticator counts are those of Table 1 of Yin, Malkhi, Reiter, Gueta
 * and Abraham, "... BFT Consensus with Linearity and Responsiveness",
 * PODC'19 (arXiv:1803.05069).
 */
#include "pbft.h"

static double pbft_normal_messages(uint32_t n)
{
	/* pre-prepare n-1, prepare (n-1)^2, commit n(n-1) */
	return 2.0 * n * (n - 1.0);
}

static double pbft_normal_signatures(uint32_t n)
{
	/* one per multicast: 1 pre-prepare, n-1 prepares, n commits; the
	 * client's request and the n replies */
	return 3.0 * n + 1.0;
}

static double pbft_vc_messages(uint32_t n)
{
	/* every replica multicasts VIEW-CHANGE, the new primary NEW-VIEW */
	return (n + 1.0) * (n - 1.0);
}

static const struct byz_formula pbft_formulas[] = {
    {"messages", "normal", "2n(n-1)",
     "Castro & Liskov OSDI'99 §4.2 (TOCS'02 §4.2): pre-prepare n-1, "
     "prepare (n-1)^2, commit n(n-1)",
     pbft_normal_messages, 2, true,
     "a multicast counts n-1 messages; a replica's copy to itself is a "
     "loopback, not traffic (docs/trace.md); client requests and replies "
     "are counted apart"},
    {"signatures", "normal", "3n+1",
     "byzlab: one signature per multicast (1 pre-prepare, n-1 prepares, n "
     "commits), the client's request and n replies",
     pbft_normal_signatures, 1, true,
     "OSDI'99 authenticates the normal case with MAC vectors (§3); byzlab "
     "signs every message with Ed25519 (the paper's signature variant)"},
    {"verifications", "normal", "O(n^2)",
     "Yin et al. PODC'19 Table 1: PBFT, correct leader, authenticator "
     "complexity O(n^2)",
     NULL, 2, false,
     "every signature a node checks at ingress, embedded ones and the "
     "simulator's cache hits included"},
    {"messages", "view-change", "(n+1)(n-1)",
     "Castro & Liskov OSDI'99 §4.4: every replica multicasts VIEW-CHANGE "
     "(n(n-1)), the new primary multicasts NEW-VIEW (n-1)",
     pbft_vc_messages, 2, false,
     "measured as the whole difference to the fault-free run: it also "
     "holds the silent primary's own multicasts (counted at the sender, "
     "then dropped), requests proposed again in the new view, FETCHes of "
     "view-changes a NEW-VIEW names by digest (docs/pbft.md) and "
     "retransmissions"},
    {"verifications", "view-change", "O(n^3)",
     "Yin et al. PODC'19 Table 1: PBFT, leader failure (view change), "
     "authenticator complexity O(n^3)",
     NULL, 3, false,
     "the VIEW-CHANGEs carry the prepared certificates (2f+1 signatures "
     "each) of the 3 requests ordered before the primary fell silent; "
     "NEW-VIEW names V by digest (docs/pbft.md)"},
    {NULL, NULL, NULL, NULL, NULL, 0, false, NULL},
};

const struct byz_complexity pbft_complexity = {
    .leader_attack = "silent:rounds=4-1000000",
    .leader_attack_why = "the primary of view 0 orders requests 1 to 3, then "
			 "falls silent from sequence number 4 (rounds are "
			 "sequence numbers; its VIEW-CHANGE is not silenced): "
			 "the view change to view 1 replaces it, carrying the "
			 "prepared certificates of 1 to 3, the case of Table 1",
    .formulas = pbft_formulas,
};
