/*
 * test_complexity.c - the complexity report's arithmetic and the formulas
 * the protocols declare (harness/complexity.h, core.h struct
 * byz_complexity; docs/reports.md).
 */
#include "complexity.h"

#include "crypto.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(complexity, slope_of_a_power_law_is_its_exponent)
{
	double x[] = {4, 7, 10, 16, 128}, y[5];
	size_t used;

	for (int i = 0; i < 5; i++)
		y[i] = 3.5 * pow(x[i], 2);
	cr_assert_float_eq(cx_slope(x, y, 5, &used), 2.0, 1e-9);
	cr_assert_eq(used, 5);
	for (int i = 0; i < 5; i++)
		y[i] = 2 * (x[i] - 1);
	/* 2(n-1) is steeper than n over small n */
	cr_assert(cx_slope(x, y, 5, NULL) > 1.0);
	cr_assert(cx_slope(x, y, 5, NULL) < 1.2);
}

Test(complexity, slope_skips_non_positive_values_and_needs_two_points)
{
	double x[] = {4, 7, 10}, y[] = {0, -1, 5};
	size_t used = 9;

	cr_assert(isnan(cx_slope(x, y, 3, &used)));
	cr_assert_eq(used, 1);
	y[0] = 5;
	cr_assert_float_eq(cx_slope(x, y, 3, &used), 0.0, 1e-12);
	cr_assert_eq(used, 2);
}

Test(complexity, an_o_formula_is_fitted_a_closed_one_is_not)
{
	static const struct byz_formula o2 = {
	    "messages", "normal", "O(n^2)", "t", NULL, 2, false, NULL};
	double x[] = {4, 8}, y[] = {32, 128}; /* 2 n^2 */

	cr_assert_float_eq(cx_formula_at(&o2, 16, x, y, 2), 512.0, 1e-9);
	cr_assert(isnan(cx_formula_at(&o2, 16, x, (double[]){0, 0}, 2)));
	cr_assert(cx_exact_holds(24, 24));
	cr_assert(!cx_exact_holds(25, 24));
	cr_assert(!cx_exact_holds(NAN, 24));
}

/* Four synthetic runs: fault-free with 6 and 12 decisions, the faulty
 * leader's with the same; counts a + b x decisions. */
Test(complexity, fold_gives_the_marginal_cost_and_the_view_change)
{
	struct scenario_result *res = calloc(4, sizeof *res);
	struct cx_point *p = calloc(1, sizeof *p);
	char why[256];
	const uint8_t proto = 1, type = 2;

	cr_assert(res && p);
	p->n = 4;
	for (int i = 0; i < 4; i++) {
		bool faulty = i >= 2;
		uint64_t d = i % 2 ? 12 : 6, honest = faulty ? 3 : 4;

		res[i].decisions = d * honest; /* summed over replicas */
		res[i].counts.sent[proto][type] = (faulty ? 100 : 0) + 24 * d;
		res[i].counts.bytes[proto][type] =
		    10 * (faulty ? 100 : 0) + 240 * d;
		res[i].counts.signatures = (faulty ? 7 : 0) + 13 * d;
		res[i].counts.verifications = (faulty ? 50 : 3) + 40 * d;
	}
	cr_assert_eq(cx_point_fold(p, proto, res, why, sizeof why), 0, "%s",
		     why);
	cr_assert_float_eq(p->decisions[3], 12.0, 1e-12);
	cr_assert_float_eq(p->total[CX_FAULT_FREE][CX_MESSAGES], 24, 1e-9);
	cr_assert_float_eq(p->total[CX_FAULTY_LEADER][CX_MESSAGES], 24, 1e-9);
	cr_assert_float_eq(p->total[CX_VIEW_CHANGE][CX_MESSAGES], 100, 1e-9);
	cr_assert_float_eq(p->total[CX_VIEW_CHANGE][CX_BYTES], 1000, 1e-9);
	cr_assert_float_eq(p->total[CX_FAULT_FREE][CX_SIGNATURES], 13, 1e-9);
	cr_assert_float_eq(p->total[CX_VIEW_CHANGE][CX_SIGNATURES], 7, 1e-9);
	cr_assert_float_eq(p->total[CX_VIEW_CHANGE][CX_VERIFICATIONS], 47,
			   1e-9);
	cr_assert_float_eq(p->msgs[CX_FAULT_FREE][proto][type], 24, 1e-9);
	/* a workload that decided no more is refused, with why */
	res[1].decisions = res[0].decisions;
	cr_assert_eq(cx_point_fold(p, proto, res, why, sizeof why), -1);
	cr_assert(strstr(why, "no more than"), "%s", why);
	free(res);
	free(p);
}

/* Text that goes into CSV fields and gnuplot strings unquoted. */
static bool plain(const char *s)
{
	return s && !strpbrk(s, ",\"\n\\");
}

Test(complexity, every_fault_tolerant_protocol_declares_sound_formulas)
{
	const struct byz_core_ops *const *all = byz_core_all();
	size_t wanted = 0;

	for (size_t i = 0; all[i]; i++) {
		const struct byz_core_ops *ops = all[i];

		if (ops->fixture) {
			cr_assert(!cx_protocol_wanted(ops));
			continue;
		}
		cr_assert(cx_protocol_wanted(ops), "%s has no formulas",
			  ops->name);
		wanted++;
		cr_assert(ops->complexity->leader_attack);
		for (const struct byz_formula *fm = ops->complexity->formulas;
		     fm->metric; fm++) {
			bool metric = false;

			for (int m = 0; m < CX_METRICS; m++)
				metric |=
				    !strcmp(fm->metric, cx_metric_name(m));
			cr_assert(metric, "%s: metric %s", ops->name,
				  fm->metric);
			cr_assert(!strcmp(fm->setting, "normal") ||
				  !strcmp(fm->setting, "view-change"));
			cr_assert(plain(fm->text) && fm->source, "%s: %s",
				  ops->name, fm->text);
			cr_assert(!fm->exact || fm->value,
				  "%s: exact %s without a value", ops->name,
				  fm->text);
			cr_assert(fm->exponent > 0);
			if (fm->value)
				cr_assert(fm->value(4) > 0 &&
					  fm->value(128) > fm->value(4));
		}
	}
	cr_assert(wanted >= 2);
}

/* The sweep runs with fast crypto by default: it must count exactly what
 * Ed25519 counts (the same trace, byte for byte). */
Test(complexity, fast_crypto_counts_what_ed25519_counts, .timeout = 120)
{
	const struct byz_core_ops *const *all = byz_core_all();
	const uint32_t ns[] = {4, 7};
	char why[512];

	cr_assert_eq(byz_crypto_init(), 0);
	for (size_t i = 0; all[i]; i++) {
		const struct byz_core_ops *one[1] = {all[i]};
		struct cx_report *a, *b;

		if (!cx_protocol_wanted(all[i]))
			continue;
		a = calloc(1, sizeof *a);
		b = calloc(1, sizeof *b);
		cr_assert(a && b);
		cr_assert_eq(cx_init(a, one, 1, ns, 2, why, sizeof why), 0,
			     "%s", why);
		cr_assert_eq(cx_init(b, one, 1, ns, 2, why, sizeof why), 0,
			     "%s", why);
		b->crypto = BYZ_SCHEME_ED25519;
		cr_assert_eq(cx_sweep(a, NULL, NULL, NULL, why, sizeof why), 0,
			     "%s", why);
		cr_assert_eq(cx_sweep(b, NULL, NULL, NULL, why, sizeof why), 0,
			     "%s", why);
		for (size_t k = 0; k < 2; k++) {
			const struct cx_point *pa = &a->protos[0].points[k],
					      *pb = &b->protos[0].points[k];

			cr_assert(
			    !memcmp(pa->total, pb->total, sizeof pa->total),
			    "%s n=%u", all[i]->name, pa->n);
			cr_assert(!memcmp(pa->msgs, pb->msgs, sizeof pa->msgs));
			for (int r = 0; r < 4; r++)
				cr_assert_str_eq(pa->hash[r], pb->hash[r]);
		}
		free(a);
		free(b);
	}
}

Test(complexity, a_stopped_sweep_says_so)
{
	const struct byz_core_ops *one[1];
	const uint32_t ns[] = {4};
	volatile int stop = 1;
	struct cx_report *r = calloc(1, sizeof *r);
	char why[256];

	cr_assert(r);
	for (size_t i = 0; byz_core_all()[i]; i++)
		if (cx_protocol_wanted(byz_core_all()[i]))
			one[0] = byz_core_all()[i];
	cr_assert_eq(cx_init(r, one, 1, ns, 1, why, sizeof why), 0);
	cr_assert_eq(cx_sweep(r, &stop, NULL, NULL, why, sizeof why), 1);
	free(r);
}
