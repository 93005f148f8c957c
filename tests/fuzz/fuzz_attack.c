/*
 * fuzz_attack.c - libFuzzer target for the attack language
 * (adversary/attack.c, attack.h).
 *
 * An input is one attack text (NUL bytes end it, as in a C string). It is
 * parsed for clusters of 1, 4, 7 and BYZ_MAX_N replicas. Checked:
 *
 *   - a refusal says why (a non-empty sentence);
 *   - n only bounds replica ids: a text accepted for n is accepted for
 *     every larger n, as the same attack;
 *   - the canonical text (attack_format) of an accepted attack fits the
 *     buffers the harness formats into (600 bytes: saved failures,
 *     scenario_io.c) and parses back, for the same n, to the same attack,
 *     whose canonical text is the same again: a saved failure replays the
 *     attack it ran.
 *
 * Built with -fsanitize=fuzzer for fuzzing, or linked to corpus_main.c to
 * replay tests/corpus/attack (ok- files parse for n = BYZ_MAX_N, err-
 * files do not).
 */
#include "corpus.h"

#include "attack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest input tried: attack_parse refuses texts of 512 bytes. */
#define FUZZ_MAX_INPUT 1024
/* What harness/scenario_io.c formats an attack into. */
#define FORMAT_CAP 600

static void fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_attack: %s: \"%s\"\n", what, text);
	abort();
}

/* Field by field (not memcmp: the padding is not the attack). */
static bool same_attack(const struct attack *a, const struct attack *b)
{
	return a->kind == b->kind && a->from_us == b->from_us &&
	       a->until_us == b->until_us && a->round_lo == b->round_lo &&
	       a->round_hi == b->round_hi && a->p == b->p &&
	       a->a_us == b->a_us && a->b_us == b->b_us &&
	       a->alpha == b->alpha && a->dist == b->dist &&
	       a->copies == b->copies && a->mutation == b->mutation &&
	       a->replica == b->replica && a->to_mask == b->to_mask &&
	       a->has_groups == b->has_groups && a->nosplit == b->nosplit &&
	       !memcmp(a->group, b->group, sizeof a->group) &&
	       a->ngroups == b->ngroups;
}

/* Parse text for n; on success check the canonical text's round trip. */
static int parse_checked(const char *text, uint32_t n, struct attack *a)
{
	struct attack back;
	char why[320], canon[FORMAT_CAP], again[FORMAT_CAP];

	why[0] = '\0';
	if (attack_parse(text, n, a, why, sizeof why)) {
		if (!why[0] || !memchr(why, '\0', sizeof why))
			fail("refused without saying why", text);
		return -1;
	}
	attack_format(a, canon, sizeof canon);
	if (strlen(canon) + 1 >= sizeof canon)
		fail("the canonical text does not fit 600 bytes", text);
	if (attack_parse(canon, n, &back, why, sizeof why)) {
		fprintf(stderr, "fuzz_attack: canonical \"%s\": %s\n", canon,
			why);
		fail("the canonical text does not parse", text);
	}
	if (!same_attack(a, &back)) {
		fprintf(stderr, "fuzz_attack: canonical \"%s\"\n", canon);
		fail("the canonical text parses to another attack", text);
	}
	attack_format(&back, again, sizeof again);
	if (strcmp(canon, again)) {
		fprintf(stderr, "fuzz_attack: \"%s\" then \"%s\"\n", canon,
			again);
		fail("the canonical text is not stable", text);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t ns[] = {1, 4, 7, BYZ_MAX_N};
	struct attack a[sizeof ns / sizeof ns[0]];
	char text[FUZZ_MAX_INPUT + 1];
	int rc[sizeof ns / sizeof ns[0]];

	if (size > FUZZ_MAX_INPUT)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		rc[i] = parse_checked(text, ns[i], &a[i]);
		if (i && rc[i - 1] == 0 &&
		    (rc[i] != 0 || !same_attack(&a[i - 1], &a[i])))
			fail("accepted for a smaller n, not the same for a "
			     "larger one",
			     text);
	}
	return 0;
}

/* For the corpus replay: accepted when it parses for BYZ_MAX_N. */
static int outcome(int expect, const uint8_t *data, size_t len)
{
	char text[FUZZ_MAX_INPUT + 1], why[320];
	struct attack a;

	(void)expect;
	if (len > FUZZ_MAX_INPUT)
		return -1;
	memcpy(text, data, len);
	text[len] = '\0';
	return attack_parse(text, BYZ_MAX_N, &a, why, sizeof why) ? -1 : 0;
}

const struct corpus_target corpus_target = {
    "attack", FUZZ_MAX_INPUT, false, NULL, NULL, outcome,
};
