/*
 * hs_formulas.c - chained HotStuff's costs as its paper counts them, and as
 * this implementation sends them, for `byzlab report complexity` (core.h,
 * struct byz_complexity; docs/reports.md).
 *
 * Yin, Malkhi, Reiter, Gueta, Abraham, "HotStuff: BFT Consensus with
 * Linearity and Responsiveness", PODC'19 (arXiv:1803.05069, "HotStuff: BFT
 * Consensus in the Lens of Blockchain"): Table 1 (authenticator complexity
 * with a correct leader and with a leader failure), §4-§6 (chained
 * HotStuff), Algorithm 5 (the pacemaker's NEW-VIEW to the next leader).
 */
#include "hs_core.h"

static double hs_normal_messages(uint32_t n)
{
	/* a PROPOSAL multicast and n-1 VOTEs to the next leader per block */
	return 2.0 * (n - 1.0);
}

static double hs_normal_signatures(uint32_t n)
{
	/* 1 proposal, n votes (the next leader's own too: it embeds it in
	 * the QC), the client's request and n replies */
	return 2.0 * n + 2.0;
}

static double hs_vc_messages(uint32_t n)
{
	/* every replica multicasts TIMEOUT; the silent leader's PROPOSAL
	 * multicast is counted at the sender */
	return (n + 1.0) * (n - 1.0);
}

static const struct byz_formula hs_formulas[] = {
    {"messages", "normal", "2(n-1)",
     "Yin et al. PODC'19 §1, Table 1: linear per view; chained HotStuff "
     "(§6): one PROPOSAL multicast and n-1 VOTEs to the next leader per "
     "block",
     hs_normal_messages, 1, true,
     "per decision in a full pipeline (every block carries a request: the "
     "sweep's workload is chosen so); the next leader's own vote is a "
     "loopback, not traffic"},
    {"signatures", "normal", "2n+2",
     "byzlab: 1 PROPOSAL, n VOTEs (the next leader signs its own to embed "
     "it), the client's request and n replies",
     hs_normal_signatures, 1, true, NULL},
    {"verifications", "normal", "O(n)",
     "Yin et al. PODC'19 Table 1: HotStuff, correct leader, authenticator "
     "complexity O(n), with threshold signatures (a QC is one "
     "authenticator)",
     NULL, 1, false,
     "byzlab's QC is a list of 2f+1 Ed25519-signed VOTEs, not a threshold "
     "signature: each of the n-1 receivers of a PROPOSAL checks 2f+1 "
     "signatures, so O(n^2) is what this implementation can reach (next "
     "row)"},
    {"verifications", "normal", "O(n^2)",
     "byzlab: QCs as 2f+1 signatures, received by n-1 replicas per block", NULL,
     2, false, NULL},
    {"messages", "view-change", "O(n)",
     "Yin et al. PODC'19 Table 1 and Algorithm 5: a leader failure costs "
     "NEW-VIEW messages to the next leader, linear",
     NULL, 1, false,
     "byzlab's pacemaker multicasts signed TIMEOUTs and forms timeout "
     "certificates (DiemBFT v4 / Jolteon; docs/hotstuff.md), quadratic: "
     "next row"},
    {"messages", "view-change", "(n+1)(n-1)",
     "byzlab: every replica multicasts TIMEOUT (n(n-1)); the silent "
     "leader's PROPOSAL multicast (n-1) is counted at the sender",
     hs_vc_messages, 2, false,
     "the least it costs; measured (what the faulty-leader runs cost "
     "beyond the fault-free ones, not growing with the decisions) it is "
     "more: the replicas leave view 4 holding QCs of different views, and "
     "a replica answers a TIMEOUT whose QC is older than its own with its "
     "own (catch-up, hs_pacemaker.c)"},
    {"verifications", "view-change", "O(n)",
     "Yin et al. PODC'19 Table 1: HotStuff, leader failure, authenticator "
     "complexity O(n), with threshold signatures",
     NULL, 1, false,
     "each byzlab TIMEOUT goes to n-1 replicas with the sender's highest "
     "QC, of 2f+1 signatures: n(n-1) TIMEOUTs carry O(n) signatures each, "
     "so the measured view change grows as n^3"},
    {NULL, NULL, NULL, NULL, NULL, 0, false, NULL},
};

/* The leader of view 4 (leader(v) = v mod n, hs_pacemaker.c): by then
 * three views have certified blocks, so the view change carries a QC of
 * 2f+1 signatures, as a leader failure in a running system does. */
static uint32_t hs_faulty_leader(uint32_t n)
{
	return 4 % n;
}

const struct byz_complexity hotstuff_complexity = {
    .leader_attack = "silent:rounds=4",
    .leader_attack_why = "the leader of view 4 (replica 4 mod n) is silent "
			 "in view 4 only (rounds are views): one leader "
			 "replacement after three certified views, whose "
			 "TIMEOUTs carry a QC of 2f+1 signatures",
    .leader = hs_faulty_leader,
    .formulas = hs_formulas,
};
