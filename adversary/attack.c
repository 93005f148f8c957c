/*
 * attack.c - parsing and formatting the attack language (attack.h).
 */
#include "attack.h"

#include "mutate.h"
#include "sim.h"
#include "text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 512

static const char *const names[ATK_KIND_END] = {
    [ATK_DROP] = "drop",
    [ATK_DELAY] = "delay",
    [ATK_REORDER] = "reorder",
    [ATK_DUPLICATE] = "duplicate",
    [ATK_REPLAY] = "replay",
    [ATK_PARTITION] = "partition",
    [ATK_TAMPER] = "tamper",
    [ATK_SILENT] = "silent",
    [ATK_CRASH] = "crash",
    [ATK_RESTART] = "restart",
    [ATK_AMNESIA] = "amnesia",
    [ATK_EQUIVOCATE] = "equivocate",
    [ATK_DOUBLE_VOTE] = "double-vote",
    [ATK_CERT_DUP] = "cert-dup",
    [ATK_CERT_SHORT] = "cert-short",
    [ATK_WITHHOLD] = "withhold",
    [ATK_STALE] = "stale",
    [ATK_MUTATE] = "mutate",
    [ATK_TWINS] = "twins",
    [ATK_FORK] = "fork",
    [ATK_CERT_MIX] = "cert-mix",
    [ATK_USURP] = "usurp",
    [ATK_JUMP] = "jump",
    [ATK_CLOCK] = "clock",
};

static const char *const dist_names[] = {"uniform", "exp", "pareto"};

const char *attack_name(enum attack_kind k)
{
	return k > 0 && k < ATK_KIND_END ? names[k] : "?";
}

bool attack_is_byzantine(enum attack_kind k)
{
	return k >= ATK_SILENT && k < ATK_KIND_END && k != ATK_CLOCK;
}

bool attack_is_network(enum attack_kind k)
{
	return k >= ATK_DROP && k <= ATK_TAMPER;
}

bool attack_has_schedule(enum attack_kind k)
{
	return k != ATK_CRASH && k != ATK_RESTART && k != ATK_AMNESIA &&
	       k != ATK_CLOCK;
}

const char *attack_names(void)
{
	return "drop, delay, reorder, duplicate, replay, partition, tamper, "
	       "silent, crash, restart, amnesia, equivocate, double-vote, "
	       "cert-dup, cert-short, withhold, stale, mutate, twins, fork, "
	       "cert-mix, usurp, jump, clock";
}

/* Each kind's defaults: what a bare name means. */
static void defaults(struct attack *a, enum attack_kind k)
{
	memset(a, 0, sizeof *a);
	a->kind = k;
	a->until_us = UINT64_MAX;
	a->replica = UINT32_MAX;
	memset(a->group, ATK_NO_GROUP, sizeof a->group);
	switch (k) {
	case ATK_DROP:
		a->p = 0.1;
		break;
	case ATK_DELAY:
		a->dist = DIST_UNIFORM;
		a->a_us = 0;
		a->b_us = 5000;
		a->alpha = 1.5;
		break;
	case ATK_REORDER:
		a->p = 0.2;
		a->a_us = 5000;
		break;
	case ATK_DUPLICATE:
		a->p = 0.1;
		a->copies = 1;
		break;
	case ATK_REPLAY:
		a->p = 0.05;
		break;
	case ATK_PARTITION:
		a->a_us = 50000; /* period of random partitions */
		break;
	case ATK_TAMPER:
		a->p = 0.05;
		break;
	case ATK_CRASH:
		a->a_us = 50000;
		break;
	case ATK_RESTART:
	case ATK_AMNESIA:
		a->a_us = 50000;
		a->b_us = 150000;
		break;
	case ATK_STALE:
		a->p = 0.3;
		break;
	case ATK_DOUBLE_VOTE:
		a->a_us = ATK_DOUBLE_VOTE_LAG_US;
		break;
	case ATK_MUTATE:
		a->mutation = ADV_MUT_CONFLICT;
		break;
	case ATK_TWINS:
		a->a_us = 2000; /* client skew between the two sides */
		break;
	case ATK_CLOCK:
		a->rate_ppm = SIM_RATE_ONE;
		a->a_us = 50000; /* when it jumps, if jump= is given */
		break;
	default:
		break;
	}
}

/* The length of the plain decimal number at s: digits, then maybe '.' and
 * digits ("0.25", "300"); no sign, exponent, hex, inf or nan. 0 if none. */
static size_t decimal_len(const char *s)
{
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (!i)
		return 0;
	if (s[i] == '.') {
		size_t j = i + 1;
		while (s[j] >= '0' && s[j] <= '9')
			j++;
		if (j == i + 1)
			return 0;
		i = j;
	}
	return i;
}

/* The number of the first len bytes of s (a decimal_len prefix). */
static int decimal_value(const char *s, size_t len, double *out)
{
	char buf[64];

	if (!len || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtod(buf, NULL);
	return errno || !isfinite(*out) ? -1 : 0;
}

int attack_parse_decimal(const char *s, double *out)
{
	size_t len = s ? decimal_len(s) : 0;

	if (!len || s[len])
		return -1;
	return decimal_value(s, len, out);
}

int attack_parse_duration(const char *s, uint64_t *out)
{
	size_t len = decimal_len(s);
	const char *end = s + len;
	double v, mul = 1.0;

	if (decimal_value(s, len, &v))
		return -1;
	if (!strcmp(end, "us") || (!strcmp(end, "") && v == 0.0))
		mul = 1.0;
	else if (!strcmp(end, "ms"))
		mul = 1e3;
	else if (!strcmp(end, "s"))
		mul = 1e6;
	else
		return -1;
	v *= mul;
	if (v > 1e15 || v != floor(v))
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* v with prec significant digits, as a plain decimal (no exponent). */
static void format_significant(double v, int prec, char *out, size_t cap)
{
	int digits;
	size_t len;

	snprintf(out, cap, "%.*g", prec, v);
	if (!strchr(out, 'e') || !(v > 0.0 && v < 1.0))
		return;
	/* below 1e-4: as many decimals as prec significant digits need */
	digits = prec - 1 - (int)floor(log10(v));
	snprintf(out, cap, "%.*f", digits > 90 ? 90 : digits, v);
	len = strlen(out);
	while (len > 1 && out[len - 1] == '0' && out[len - 2] != '.')
		out[--len] = '\0';
}

void attack_format_decimal(double v, char *out, size_t cap)
{
	/* 6 significant digits, or as many more as it takes to read back as
	 * exactly v: a saved failure must replay the attack it ran (the fuzz
	 * target's finding: p=0.3777777777777777777 came back as 0.377778) */
	for (int prec = 6; prec <= 17; prec++) {
		double back;
		format_significant(v, prec, out, cap);
		if (!attack_parse_decimal(out, &back) && back == v)
			return;
	}
}

void attack_format_duration(uint64_t us, char *out, size_t cap)
{
	if (us && us % 1000000 == 0)
		snprintf(out, cap, "%" PRIu64 "s", us / 1000000);
	else if (us && us % 1000 == 0)
		snprintf(out, cap, "%" PRIu64 "ms", us / 1000);
	else
		snprintf(out, cap, "%" PRIu64 "us", us);
}

/* One end of a round range: "4", or "v2" (the view change into view 2). */
static int parse_round(const char *s, bool view, uint64_t *out)
{
	if (view != (*s == 'v'))
		return -1;
	if (byz_parse_u64(s + view, 1, ATK_VIEW_ROUND - 1, out))
		return -1;
	*out += view ? ATK_VIEW_ROUND : 0;
	return 0;
}

/* "A-B" (or "A") rounds, A >= 1; "vA-vB" (or "vA"), view-change traffic
 * into views A..B (a codec's round, wire.h). */
static int parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	char buf[64];
	char *dash;
	bool view = *s == 'v';

	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_round(buf, view, lo) ||
	    parse_round(dash ? dash + 1 : buf, view, hi) || *hi < *lo)
		return -1;
	return 0;
}

/* A node of a group or mask: "3" (replica 3) or "3t" (its twin). */
static int parse_node(const char *s, uint32_t n, bool allow_twin, uint32_t *idx)
{
	char buf[16];
	size_t len = strlen(s);
	bool twin = false;
	uint64_t v;

	if (len == 0 || len >= sizeof buf)
		return -1;
	strcpy(buf, s);
	if (buf[len - 1] == 't') {
		if (!allow_twin)
			return -1;
		twin = true;
		buf[len - 1] = '\0';
	}
	if (byz_parse_u64(buf, 0, n ? n - 1 : 0, &v))
		return -1;
	*idx = (uint32_t)v + (twin ? BYZ_MAX_N : 0);
	return 0;
}

/* "0+1+2|3+0t"; -1 with what is wrong in detail. */
static int parse_groups(char *s, uint32_t n, struct attack *a, char *detail,
			size_t dlen)
{
	char *rest = s, *g;
	uint32_t gi = 0;

	while ((g = byz_next_part(&rest, '|'))) {
		char *nodes = g, *node;
		if (!*g) {
			snprintf(detail, dlen,
				 "an empty group (groups are separated by one "
				 "'|')");
			return -1;
		}
		if (gi >= ATK_MAX_GROUPS) {
			snprintf(detail, dlen, "more than %d groups",
				 ATK_MAX_GROUPS);
			return -1;
		}
		while ((node = byz_next_part(&nodes, '+'))) {
			uint32_t idx;
			if (parse_node(node, n, true, &idx)) {
				snprintf(detail, dlen,
					 "'%.20s' is not a replica from 0 to "
					 "%" PRIu32 " (or its twin, as 0t; "
					 "replicas are joined by one '+')",
					 node, n ? n - 1 : 0);
				return -1;
			}
			if (a->group[idx] != ATK_NO_GROUP) {
				snprintf(detail, dlen,
					 "replica %.20s is in two groups",
					 node);
				return -1;
			}
			a->group[idx] = (uint8_t)gi;
		}
		gi++;
	}
	a->ngroups = gi;
	a->has_groups = true;
	return 0;
}

/* "0+3": replicas below ATK_TO_MAX, each once; -1 with detail. */
static int parse_mask(char *s, uint32_t n, uint64_t *mask, char *detail,
		      size_t dlen)
{
	char *rest = s, *node;

	*mask = 0;
	while ((node = byz_next_part(&rest, '+'))) {
		uint32_t idx;
		if (parse_node(node, n, false, &idx) || idx >= ATK_TO_MAX) {
			snprintf(detail, dlen,
				 "'%.20s' is not a replica from 0 to %" PRIu32
				 " (replicas are joined by one '+')",
				 node, (n ? n : 1) - 1);
			return -1;
		}
		if (*mask >> idx & 1) {
			snprintf(detail, dlen, "replica %.20s is named twice",
				 node);
			return -1;
		}
		*mask |= 1ull << idx;
	}
	return 0;
}

/* A clock's rate: a decimal from 0.1 to 10 with at most 6 decimals, read
 * exactly as millionths (no floating point: a saved failure replays the
 * same clock). 0 or -1. */
static int parse_rate(const char *s, uint32_t *ppm)
{
	size_t len = decimal_len(s), i = 0;
	uint64_t v = 0, scale = 1000000;

	if (!len || s[len])
		return -1;
	for (; s[i] && s[i] != '.'; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > SIM_RATE_MAX)
			return -1;
	}
	v *= 1000000;
	if (s[i] == '.')
		for (i++; s[i]; i++) {
			scale /= 10;
			if (!scale)
				return -1; /* more than 6 decimals */
			v += (uint64_t)(s[i] - '0') * scale;
		}
	if (v < SIM_RATE_MIN || v > SIM_RATE_MAX)
		return -1;
	*ppm = (uint32_t)v;
	return 0;
}

/* A drift in parts per million, "+100" or "-50": rate 1 + ppm / 1e6,
 * within the rate's bounds. 0 or -1. */
static int parse_drift(const char *s, uint32_t *ppm)
{
	bool neg = *s == '-';
	uint64_t v;

	if (*s == '+' || *s == '-')
		s++;
	if (byz_parse_u64(s, 0,
			  neg ? SIM_RATE_ONE - SIM_RATE_MIN
			      : SIM_RATE_MAX - SIM_RATE_ONE,
			  &v))
		return -1;
	*ppm = neg ? SIM_RATE_ONE - (uint32_t)v : SIM_RATE_ONE + (uint32_t)v;
	return 0;
}

/* A signed duration, "+200ms", "-1.5s" or "200ms" (forward), at most
 * SIM_SHIFT_MAX_US either way. 0 or -1. */
static int parse_shift(const char *s, int64_t *out)
{
	bool neg = *s == '-';
	uint64_t us;

	if (*s == '+' || *s == '-')
		s++;
	if (attack_parse_duration(s, &us) || us > SIM_SHIFT_MAX_US)
		return -1;
	*out = neg ? -(int64_t)us : (int64_t)us;
	return 0;
}

static int parse_prob(const char *s, double *p)
{
	return attack_parse_decimal(s, p) || !(*p >= 0.0 && *p <= 1.0) ? -1 : 0;
}

/* One KEY=VALUE of kind a->kind; -1 with why set on error. The value is
 * quoted whole in errors (groups= and to= are split in place). */
static int parse_param(struct attack *a, char *key, char *val, uint32_t n,
		       char *why, size_t whylen)
{
	enum attack_kind k = a->kind;
	char orig[TEXT_MAX], detail[160] = "";
	int bad = 0;
	bool known = true;

	snprintf(orig, sizeof orig, "%s", val);

	if (!strcmp(key, "from")) {
		bad = attack_parse_duration(val, &a->from_us);
	} else if (!strcmp(key, "until")) {
		bad = attack_parse_duration(val, &a->until_us);
	} else if (!strcmp(key, "rounds")) {
		bad = parse_range(val, &a->round_lo, &a->round_hi);
	} else if (!strcmp(key, "p") &&
		   (k == ATK_DROP || k == ATK_REORDER || k == ATK_DUPLICATE ||
		    k == ATK_REPLAY || k == ATK_TAMPER || k == ATK_STALE)) {
		bad = parse_prob(val, &a->p);
	} else if (!strcmp(key, "dist") && k == ATK_DELAY) {
		bad = -1;
		for (size_t i = 0; i < 3; i++)
			if (!strcmp(val, dist_names[i])) {
				a->dist = (enum delay_dist)i;
				bad = 0;
			}
	} else if ((!strcmp(key, "lo") || !strcmp(key, "mean") ||
		    !strcmp(key, "scale")) &&
		   k == ATK_DELAY) {
		bad = attack_parse_duration(val, &a->a_us);
	} else if (!strcmp(key, "hi") && k == ATK_DELAY) {
		bad = attack_parse_duration(val, &a->b_us);
	} else if (!strcmp(key, "alpha") && k == ATK_DELAY) {
		bad = attack_parse_decimal(val, &a->alpha) ||
		      !(a->alpha >= 0.5 && a->alpha <= 10);
	} else if (!strcmp(key, "max") && k == ATK_REORDER) {
		bad = attack_parse_duration(val, &a->a_us);
	} else if (!strcmp(key, "copies") && k == ATK_DUPLICATE) {
		uint64_t v;
		bad = byz_parse_u64(val, 0, 8, &v) || v < 1;
		a->copies = (uint32_t)v;
	} else if (!strcmp(key, "groups") && k == ATK_PARTITION) {
		bad = parse_groups(val, n, a, detail, sizeof detail);
	} else if (!strcmp(key, "period") && k == ATK_PARTITION) {
		bad = attack_parse_duration(val, &a->a_us) || a->a_us == 0;
	} else if (!strcmp(key, "at") && (k == ATK_CRASH || k == ATK_RESTART ||
					  k == ATK_AMNESIA || k == ATK_CLOCK)) {
		bad = attack_parse_duration(val, &a->a_us);
	} else if (!strcmp(key, "back") &&
		   (k == ATK_RESTART || k == ATK_AMNESIA)) {
		bad = attack_parse_duration(val, &a->b_us);
	} else if (!strcmp(key, "lag") && k == ATK_DOUBLE_VOTE) {
		bad =
		    attack_parse_duration(val, &a->a_us) || a->a_us > 10000000;
	} else if (!strcmp(key, "skew") && k == ATK_TWINS) {
		bad = attack_parse_duration(val, &a->a_us);
	} else if (!strcmp(key, "split") && k == ATK_TWINS) {
		bad = strcmp(val, "on") && strcmp(val, "off");
		a->nosplit = !strcmp(val, "off");
	} else if (!strcmp(key, "m") && k == ATK_MUTATE) {
		a->mutation = adv_mutation_parse(val);
		bad = a->mutation < 0;
	} else if (!strcmp(key, "rate") && k == ATK_CLOCK) {
		bad = parse_rate(val, &a->rate_ppm);
	} else if (!strcmp(key, "drift") && k == ATK_CLOCK) {
		bad = parse_drift(val, &a->rate_ppm);
	} else if (!strcmp(key, "offset") && k == ATK_CLOCK) {
		bad = parse_shift(val, &a->offset_us);
	} else if (!strcmp(key, "jump") && k == ATK_CLOCK) {
		bad = parse_shift(val, &a->jump_us) || a->jump_us == 0;
	} else if (!strcmp(key, "replica") &&
		   (k == ATK_MUTATE || k == ATK_CLOCK)) {
		uint64_t v;
		bad = byz_parse_u64(val, 0, n ? n - 1 : 0, &v);
		a->replica = (uint32_t)v;
	} else if (!strcmp(key, "to") && k == ATK_MUTATE) {
		bad = parse_mask(val, n, &a->to_mask, detail, sizeof detail);
	} else {
		known = false;
	}
	if (!known) {
		snprintf(why, whylen, "%s: unknown parameter \"%s\"",
			 attack_name(k), key);
		return -1;
	}
	if (bad && !detail[0]) {
		/* what a value of this key looks like */
		if (!strcmp(key, "p"))
			snprintf(detail, sizeof detail,
				 "a probability from 0 to 1, as a decimal "
				 "(0.05)");
		else if (!strcmp(key, "alpha"))
			snprintf(detail, sizeof detail,
				 "a decimal from 0.5 to 10");
		else if (!strcmp(key, "rounds"))
			snprintf(detail, sizeof detail,
				 "rounds A-B from 1, or views vA-vB");
		else if (!strcmp(key, "copies"))
			snprintf(detail, sizeof detail,
				 "a whole number from 1 to 8");
		else if (!strcmp(key, "rate"))
			snprintf(detail, sizeof detail,
				 "a decimal from 0.1 to 10 with at most 6 "
				 "decimals (1.5)");
		else if (!strcmp(key, "drift"))
			snprintf(detail, sizeof detail,
				 "parts per million, a whole number from "
				 "-900000 to +9000000 (rate 0.1 to 10)");
		else if (!strcmp(key, "offset") || !strcmp(key, "jump"))
			snprintf(detail, sizeof detail,
				 "a signed duration such as +200ms or -1.5s, "
				 "at most 1000000s either way%s",
				 !strcmp(key, "jump") ? ", not 0" : "");
		else if (!strcmp(key, "replica") && k == ATK_CLOCK)
			snprintf(detail, sizeof detail,
				 "a replica from 0 to %" PRIu32, n ? n - 1 : 0);
		else if (strcmp(key, "dist") && strcmp(key, "split") &&
			 strcmp(key, "m") && strcmp(key, "replica"))
			snprintf(detail, sizeof detail,
				 "a duration such as 250us, 20ms or 1.5s%s",
				 !strcmp(key, "period") ? ", above 0"
				 : !strcmp(key, "lag")	? ", at most 10s"
							: "");
	}
	if (bad) {
		snprintf(why, whylen, "%s: bad value \"%s\" for %s%s%s",
			 attack_name(k), orig, key, detail[0] ? ": " : "",
			 detail);
		return -1;
	}
	return 0;
}

/* The keys of the language, for keeping track of which were given. */
static const char *const keys[] = {
    "from",   "until",	"rounds", "lo",	  "hi",	   "mean", "scale", "alpha",
    "period", "groups", "skew",	  "rate", "drift", "jump", "at",    "replica",
};
#define KEY_BIT(i) (1u << (i))
enum {
	K_FROM,
	K_UNTIL,
	K_ROUNDS,
	K_LO,
	K_HI,
	K_MEAN,
	K_SCALE,
	K_ALPHA,
	K_PERIOD,
	K_GROUPS,
	K_SKEW,
	K_RATE,
	K_DRIFT,
	K_JUMP,
	K_AT,
	K_REPLICA
};

/* The bit of a key in the mask of keys given (0 for the others). */
static uint32_t key_bit(const char *key)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(key, keys[i]))
			return KEY_BIT(i);
	return 0;
}

/* The first key of mask given, or NULL. */
static const char *first_key(uint32_t given, uint32_t mask)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (given & mask & KEY_BIT(i))
			return keys[i];
	return NULL;
}

/* A parameter the attack has, but which would do nothing with the others
 * given, is an error rather than silently dropped. 0 or -1 with why. */
static int check_applies(const struct attack *a, uint32_t given, char *why,
			 size_t whylen)
{
	const char *name = attack_name(a->kind), *key;
	static const uint32_t not_for[] = {
	    [DIST_UNIFORM] =
		KEY_BIT(K_MEAN) | KEY_BIT(K_SCALE) | KEY_BIT(K_ALPHA),
	    [DIST_EXP] = KEY_BIT(K_LO) | KEY_BIT(K_HI) | KEY_BIT(K_SCALE) |
			 KEY_BIT(K_ALPHA),
	    [DIST_PARETO] = KEY_BIT(K_LO) | KEY_BIT(K_HI) | KEY_BIT(K_MEAN),
	};
	static const char *const has[] = {
	    [DIST_UNIFORM] = "lo, hi",
	    [DIST_EXP] = "mean",
	    [DIST_PARETO] = "scale, alpha",
	};

	switch (a->kind) {
	case ATK_CRASH:
	case ATK_RESTART:
	case ATK_AMNESIA:
		/* the simulator crashes the replica at `at`: no schedule */
		key = first_key(given, KEY_BIT(K_FROM) | KEY_BIT(K_UNTIL) |
					   KEY_BIT(K_ROUNDS));
		if (key) {
			snprintf(why, whylen,
				 "%s: %s does not apply (the replica goes down "
				 "at at=%s)",
				 name, key,
				 a->kind == ATK_CRASH
				     ? ""
				     : " and comes back at back=");
			return -1;
		}
		break;
	case ATK_CLOCK:
		/* a faulty clock is faulty for the whole run */
		key = first_key(given, KEY_BIT(K_FROM) | KEY_BIT(K_UNTIL) |
					   KEY_BIT(K_ROUNDS));
		if (key) {
			snprintf(
			    why, whylen,
			    "clock: %s does not apply (a clock fault lasts "
			    "the whole run; jump=+D,at=T makes it jump "
			    "once)",
			    key);
			return -1;
		}
		if (!(given & KEY_BIT(K_REPLICA))) {
			snprintf(why, whylen,
				 "clock: replica= is required (whose clock: "
				 "clock:replica=2,rate=1.5)");
			return -1;
		}
		if ((given & KEY_BIT(K_RATE)) && (given & KEY_BIT(K_DRIFT))) {
			snprintf(why, whylen,
				 "clock: give rate= or drift=, not both (drift "
				 "D is rate 1 + D/1000000)");
			return -1;
		}
		if ((given & KEY_BIT(K_AT)) && !(given & KEY_BIT(K_JUMP))) {
			snprintf(why, whylen,
				 "clock: at does not apply without jump= (it "
				 "is when the clock jumps)");
			return -1;
		}
		break;
	case ATK_DELAY:
		key = first_key(given, not_for[a->dist]);
		if (key) {
			snprintf(
			    why, whylen,
			    "delay: %s does not apply to dist=%s (it has %s)",
			    key, dist_names[a->dist], has[a->dist]);
			return -1;
		}
		break;
	case ATK_PARTITION:
		if ((given & KEY_BIT(K_PERIOD)) && a->has_groups) {
			snprintf(
			    why, whylen,
			    "partition: period does not apply with groups= "
			    "(random groups are redrawn every period)");
			return -1;
		}
		break;
	case ATK_TWINS:
		if ((given & KEY_BIT(K_SKEW)) && a->nosplit) {
			snprintf(
			    why, whylen,
			    "twins: skew does not apply with split=off (it "
			    "delays requests to the split's side 1)");
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

int attack_parse(const char *text, uint32_t n, struct attack *out, char *why,
		 size_t whylen)
{
	char buf[TEXT_MAX], *colon, *rest, *kv;
	/* the keys given so far (each known key at most once: the list
	 * cannot fill) */
	const char *seen[32];
	size_t nseen = 0;
	uint32_t given = 0;
	int kind = 0;

	if (strlen(text) >= sizeof buf) {
		snprintf(why, whylen, "attack text longer than %d bytes",
			 TEXT_MAX - 1);
		return -1;
	}
	strcpy(buf, text);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	for (int k = 1; k < ATK_KIND_END; k++)
		if (!strcmp(buf, names[k]))
			kind = k;
	if (!kind) {
		snprintf(why, whylen, "unknown attack \"%.40s\"; known: %s",
			 buf, attack_names());
		return -1;
	}
	defaults(out, (enum attack_kind)kind);
	if (!colon) /* a bare clock names no replica */
		return check_applies(out, 0, why, whylen);
	rest = colon + 1;
	while ((kv = byz_next_part(&rest, ','))) {
		char *eq = strchr(kv, '=');
		if (!*kv) {
			snprintf(why, whylen,
				 "%s: an empty parameter (parameters are "
				 "KEY=VALUE, separated by one ',')",
				 names[kind]);
			return -1;
		}
		if (!eq) {
			snprintf(why, whylen,
				 "%s: expected KEY=VALUE, found \"%.40s\"",
				 names[kind], kv);
			return -1;
		}
		*eq = '\0';
		if (parse_param(out, kv, eq + 1, n, why, whylen))
			return -1;
		for (size_t i = 0; i < nseen; i++)
			if (!strcmp(seen[i], kv)) {
				snprintf(why, whylen,
					 "%s: parameter \"%s\" given twice",
					 names[kind], kv);
				return -1;
			}
		if (nseen < sizeof seen / sizeof seen[0])
			seen[nseen++] = kv;
		given |= key_bit(kv);
	}
	if (check_applies(out, given, why, whylen))
		return -1;
	if (out->until_us <= out->from_us) {
		snprintf(why, whylen, "%s: until must be after from",
			 names[kind]);
		return -1;
	}
	if ((kind == ATK_RESTART || kind == ATK_AMNESIA) &&
	    out->b_us <= out->a_us) {
		snprintf(why, whylen, "%s: back must be after at", names[kind]);
		return -1;
	}
	/* exp and pareto share lo's field: without mean= / scale= it would be
	 * 0, a delay of nothing; default to a 2 ms mean, a 1 ms scale */
	if (kind == ATK_DELAY && out->dist != DIST_UNIFORM && out->a_us == 0)
		out->a_us = out->dist == DIST_EXP ? 2000 : 1000;
	if (kind == ATK_DELAY && out->dist == DIST_UNIFORM &&
	    out->b_us < out->a_us) {
		snprintf(why, whylen, "delay: hi must be at least lo");
		return -1;
	}
	return 0;
}

/* ---- formatting ------------------------------------------------------ */

struct sb {
	char *p;
	size_t cap, len;
	bool first;
};

static void sb_add(struct sb *b, const char *key, const char *val)
{
	int w = snprintf(b->p + b->len, b->len < b->cap ? b->cap - b->len : 0,
			 "%s%s=%s", b->first ? ":" : ",", key, val);
	if (w > 0)
		b->len += (size_t)w;
	if (b->len >= b->cap)
		b->len = b->cap ? b->cap - 1 : 0;
	b->first = false;
}

static void sb_dur(struct sb *b, const char *key, uint64_t us)
{
	char v[32];

	attack_format_duration(us, v, sizeof v);
	sb_add(b, key, v);
}

/* p as a plain decimal (the language has no exponents: 1e-05 is written
 * 0.00001), with the digits it needs to read back. */
static void sb_prob(struct sb *b, double p)
{
	char v[128];

	attack_format_decimal(p, v, sizeof v);
	sb_add(b, "p", v);
}

/* A signed duration: "+200ms", "-1s". */
static void sb_shift(struct sb *b, const char *key, int64_t us)
{
	char v[40];
	uint64_t mag = us < 0 ? (uint64_t)(-(us + 1)) + 1 : (uint64_t)us;

	v[0] = us < 0 ? '-' : '+';
	attack_format_duration(mag, v + 1, sizeof v - 1);
	sb_add(b, key, v);
}

/* A rate in millionths as a decimal: 1500000 is "1.5". */
static void format_rate(uint32_t ppm, char *out, size_t cap)
{
	uint32_t frac = ppm % 1000000;
	int digits = 6;

	if (!frac) {
		snprintf(out, cap, "%" PRIu32, ppm / 1000000);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(out, cap, "%" PRIu32 ".%0*" PRIu32, ppm / 1000000, digits,
		 frac);
}

static void format_node(uint32_t idx, char *out, size_t cap)
{
	snprintf(out, cap, "%" PRIu32 "%s", idx % BYZ_MAX_N,
		 idx >= BYZ_MAX_N ? "t" : "");
}

static void sb_groups(struct sb *b, const struct attack *a)
{
	char v[1024];
	size_t len = 0;

	v[0] = '\0';
	for (uint32_t g = 0; g < a->ngroups; g++) {
		bool first = true;
		if (g)
			len += (size_t)snprintf(v + len, sizeof v - len, "|");
		for (uint32_t i = 0; i < 2 * BYZ_MAX_N && len < sizeof v - 8;
		     i++) {
			char node[16];
			if (a->group[i] != g)
				continue;
			format_node(i, node, sizeof node);
			len += (size_t)snprintf(v + len, sizeof v - len, "%s%s",
						first ? "" : "+", node);
			first = false;
		}
	}
	sb_add(b, "groups", v);
}

void attack_format(const struct attack *a, char *out, size_t cap)
{
	struct sb b = {out, cap, 0, true};
	char v[600];

	if (!cap)
		return;
	b.len = (size_t)snprintf(out, cap, "%s", attack_name(a->kind));
	if (b.len >= cap)
		b.len = cap - 1;
	switch (a->kind) {
	case ATK_DROP:
	case ATK_REPLAY:
	case ATK_TAMPER:
	case ATK_STALE:
		sb_prob(&b, a->p);
		break;
	case ATK_DELAY:
		sb_add(&b, "dist", dist_names[a->dist]);
		if (a->dist == DIST_UNIFORM) {
			sb_dur(&b, "lo", a->a_us);
			sb_dur(&b, "hi", a->b_us);
		} else if (a->dist == DIST_EXP) {
			sb_dur(&b, "mean", a->a_us);
		} else {
			sb_dur(&b, "scale", a->a_us);
			attack_format_decimal(a->alpha, v, sizeof v);
			sb_add(&b, "alpha", v);
		}
		break;
	case ATK_REORDER:
		sb_prob(&b, a->p);
		sb_dur(&b, "max", a->a_us);
		break;
	case ATK_DUPLICATE:
		sb_prob(&b, a->p);
		snprintf(v, sizeof v, "%" PRIu32, a->copies);
		sb_add(&b, "copies", v);
		break;
	case ATK_PARTITION:
		if (a->has_groups)
			sb_groups(&b, a);
		else
			sb_dur(&b, "period", a->a_us);
		break;
	case ATK_CRASH:
		sb_dur(&b, "at", a->a_us);
		break;
	case ATK_RESTART:
	case ATK_AMNESIA:
		sb_dur(&b, "at", a->a_us);
		sb_dur(&b, "back", a->b_us);
		break;
	case ATK_MUTATE:
		sb_add(&b, "m",
		       adv_mutation_name((enum adv_mutation)a->mutation));
		if (a->replica != UINT32_MAX) {
			snprintf(v, sizeof v, "%" PRIu32, a->replica);
			sb_add(&b, "replica", v);
		}
		if (a->to_mask) {
			size_t len = 0;
			for (uint32_t i = 0; i < ATK_TO_MAX; i++)
				if (a->to_mask >> i & 1)
					len += (size_t)snprintf(
					    v + len, sizeof v - len,
					    "%s%" PRIu32, len ? "+" : "", i);
			sb_add(&b, "to", v);
		}
		break;
	case ATK_CLOCK:
		snprintf(v, sizeof v, "%" PRIu32, a->replica);
		sb_add(&b, "replica", v);
		format_rate(a->rate_ppm, v, sizeof v);
		sb_add(&b, "rate", v);
		if (a->offset_us)
			sb_shift(&b, "offset", a->offset_us);
		if (a->jump_us) {
			sb_shift(&b, "jump", a->jump_us);
			sb_dur(&b, "at", a->a_us);
		}
		break;
	case ATK_DOUBLE_VOTE:
		if (a->a_us != ATK_DOUBLE_VOTE_LAG_US)
			sb_dur(&b, "lag", a->a_us);
		break;
	case ATK_TWINS:
		if (a->nosplit)
			sb_add(&b, "split", "off");
		else
			sb_dur(&b, "skew", a->a_us);
		break;
	default:
		break;
	}
	if (a->from_us)
		sb_dur(&b, "from", a->from_us);
	if (a->until_us != UINT64_MAX)
		sb_dur(&b, "until", a->until_us);
	if (a->round_lo >= ATK_VIEW_ROUND) {
		snprintf(v, sizeof v, "v%" PRIu64 "-v%" PRIu64,
			 a->round_lo - ATK_VIEW_ROUND,
			 a->round_hi - ATK_VIEW_ROUND);
		sb_add(&b, "rounds", v);
	} else if (a->round_lo) {
		snprintf(v, sizeof v, "%" PRIu64 "-%" PRIu64, a->round_lo,
			 a->round_hi);
		sb_add(&b, "rounds", v);
	}
}
