/*
 * attack.h - the attack language: what an adversary does, when, to whom.
 *
 * An attack is written as one line of text, the same on the command line
 * (`byzlab run --attack`), in scenario and campaign files, and in saved
 * failures:
 *
 *     NAME[:KEY=VALUE[,KEY=VALUE]...]
 *
 *     drop:p=0.2,until=300ms
 *     partition:groups=0+1+2|3,from=50ms,until=150ms
 *     equivocate
 *     mutate:m=stale,replica=1,to=2+3,rounds=4-4
 *
 * Every attack but crash, restart and amnesia has a schedule: it is active
 * from `from` until `until` (virtual time, default: always) and, if
 * `rounds=A-B` is given, only on messages of protocol rounds A..B
 * (adversary_frame_round), or, written `rounds=vA-vB`, only on the
 * protocol's view-change traffic into views A..B. A parameter that would do
 * nothing with the others given (delay:dist=exp,lo=1ms) is an error. Network
 * attacks touch every sender's messages and end at GST, after which the network
 * is synchronous (ARCHITECTURE.md; a scenario without a GST never gets there,
 * and they act for the whole run: scenario.c); the behaviours of Byzantine
 * replicas touch only what those replicas send, re-signed with their keys, and
 * do not end at GST. A clock fault (clock:replica=2,rate=1.5,jump=+200ms)
 * is neither: a correct replica's clock runs fast or slow, or jumps, for
 * the whole run, and the replica stays honest. docs/attacks.md lists every
 * attack.
 */
#ifndef BYZ_ATTACK_H
#define BYZ_ATTACK_H

#include "core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum attack_kind {
	/* network: any sender, before GST */
	ATK_DROP = 1,  /* p: drop with probability p */
	ATK_DELAY,     /* dist=uniform|exp|pareto, lo/hi, mean, scale/alpha */
	ATK_REORDER,   /* p, max: hold a message back up to max, so later
			* ones overtake it */
	ATK_DUPLICATE, /* p, copies: deliver extra copies later */
	ATK_REPLAY,    /* p: deliver, besides, a message recorded earlier */
	ATK_PARTITION, /* groups=A|B|..., or random groups redrawn every
			* `period`; nodes of different groups do not hear
			* each other */
	ATK_TAMPER,    /* p: flip one byte (a forgery: must be rejected) */
	/* Byzantine replicas: only their messages, only their keys */
	ATK_SILENT,	/* send nothing */
	ATK_CRASH,	/* at=T: crash (stays down) */
	ATK_RESTART,	/* at=T, back=T2: crash, restart from persisted state */
	ATK_AMNESIA,	/* at=T, back=T2: crash, restart with nothing */
	ATK_EQUIVOCATE, /* conflicting proposals and votes to half of the
			 * honest replicas, conflicting view-change content */
	ATK_DOUBLE_VOTE, /* a second, conflicting vote besides each vote,
			  * and a leader's conflicting proposal `lag` before
			  * or after its own */
	ATK_CERT_DUP,	 /* certificates with a duplicate signer */
	ATK_CERT_SHORT,	 /* certificates one signer short */
	ATK_WITHHOLD,	 /* view-change content withheld (P, high QC) */
	ATK_STALE,	 /* p: besides, the same message from an older view */
	ATK_MUTATE,	 /* m=MUTATION, replica, to: one ByzzFuzz process
			  * fault (mutate.h) */
	ATK_TWINS,	 /* twin instances of the Byzantine replicas; a
			  * partition puts the twins with half the honest
			  * replicas until GST */
	ATK_FORK,	 /* a Byzantine leader forks below the lock / a
			  * Byzantine primary's NEW-VIEW drops O */
	ATK_CERT_MIX,	 /* a certificate with the sender's own vote for
			  * another digest */
	ATK_USURP,	 /* a Byzantine replica that does not lead proposes
			  * too (adv_usurp) */
	ATK_JUMP,	 /* a Byzantine leader's proposal to half the honest
			  * replicas jumps views on a TC of one TIMEOUT */
	/* a timing fault, neither network nor Byzantine: it acts for the
	 * whole run and the replica stays honest */
	ATK_CLOCK, /* replica, rate/drift, offset, jump, at: that replica's
		    * local clock is faulty (sim.h, struct sim_clock) */
	ATK_KIND_END
};

#define ATK_MAX_GROUPS	       8
#define ATK_DOUBLE_VOTE_LAG_US 500 /* double-vote's default lag */
#define ATK_TO_MAX	       64 /* mutate's to= names replicas 0..63 (a bit mask) */
#define ATK_NO_GROUP	       0xff

enum delay_dist { DIST_UNIFORM = 0, DIST_EXP, DIST_PARETO };

struct attack {
	enum attack_kind kind;
	uint64_t from_us, until_us;  /* active in [from, until) */
	uint64_t round_lo, round_hi; /* 0,0: every round; view-change
				      * rounds from ATK_VIEW_ROUND */
	double p;		     /* probability (0: the default) */
	uint64_t a_us, b_us;	     /* at/back, lo/hi, mean, max, period,
				      * skew (per kind) */
	double alpha;		     /* pareto shape */
	enum delay_dist dist;
	uint32_t copies;
	int mutation;	  /* ATK_MUTATE: enum adv_mutation */
	uint32_t replica; /* ATK_MUTATE: whose messages;
			   * UINT32_MAX: every Byzantine one */
	uint64_t to_mask; /* ATK_MUTATE: recipients (bit per
			   * replica id, ids below ATK_TO_MAX);
			   * 0: everyone */
	bool has_groups;  /* ATK_PARTITION with groups= */
	bool nosplit;	  /* ATK_TWINS split=off: no built-in
			   * partition (partitions come from
			   * partition attacks) */
	/* group of each instance: [r] replica r, [BYZ_MAX_N + r] its twin;
	 * ATK_NO_GROUP: not listed (then it is in group 0) */
	uint8_t group[2 * BYZ_MAX_N];
	uint32_t ngroups;
	/* ATK_CLOCK: rate in millionths (SIM_RATE_ONE: 1), offset and jump
	 * (0: none) in microseconds; the jump's time is a_us */
	uint32_t rate_ppm;
	int64_t offset_us, jump_us;
};

#define ATK_MAX 32

/* The round of view-change traffic into view v (a codec's round, wire.h)
 * is ATK_VIEW_ROUND + v, written "v<v>" (rounds=v1-v3): view changes are
 * rounds of their own, apart from sequence numbers. */
#define ATK_VIEW_ROUND WIRE_VIEW_ROUND /* wire.h */

/* A scenario's adversary: the attacks and whom it corrupted. */
struct attack_plan {
	struct attack a[ATK_MAX];
	size_t count;
	bool byzantine[BYZ_MAX_N];
};

const char *attack_name(enum attack_kind k);
/* Whether the kind needs Byzantine replicas (and only touches theirs). */
bool attack_is_byzantine(enum attack_kind k);
/* Whether it is a network attack (any sender's messages, until GST). */
bool attack_is_network(enum attack_kind k);

/* Whether from=, until= and rounds= apply to the kind (not to crash,
 * restart and amnesia, which act at at= and back=, nor to clock, which
 * acts for the whole run). */
bool attack_has_schedule(enum attack_kind k);

/* Parse one attack; n bounds replica ids. 0, or -1 with a sentence in why
 * ("unknown attack \"dorp\"; known: drop, delay, ..."). */
int attack_parse(const char *text, uint32_t n, struct attack *out, char *why,
		 size_t whylen);
/* The canonical text of an attack (parses back to the same attack). */
void attack_format(const struct attack *a, char *out, size_t cap);
/* Durations of the language: "300ms", "1.5s", "250us", "0" (a unit is
 * needed otherwise). 0 or -1. And the canonical text of one. */
int attack_parse_duration(const char *s, uint64_t *out_us);
void attack_format_duration(uint64_t us, char *out, size_t cap);
/* A plain decimal number: digits, maybe '.' and digits ("0.25", "3");
 * no sign, exponent, hex, inf or nan. 0 or -1. And the text of one, with
 * 6 significant digits, or more if it takes more to parse back to exactly
 * v (up to 17), and no exponent; cap 128 holds any. */
int attack_parse_decimal(const char *s, double *out);
void attack_format_decimal(double v, char *out, size_t cap);

/* Every attack name, comma-separated, for help texts. */
const char *attack_names(void);

#endif
