/*
 * cli.c - shared helpers for the subcommands: errors and option parsing.
 */
#include "cli.h"

#include "attack.h"
#include "core.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void cli_vmsg(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "byzlab %s: error: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'byzlab %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int cli_input_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(cmd, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min,
		  uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* digits only: strtoull alone takes spaces, signs and "0x" */
	if (!s || *s < '0' || *s > '9')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return cli_usage_error(
	    cmd, "%s: '%s' is not a whole number from %" PRIu64 " to %" PRIu64,
	    opt, s ? s : "", min, max);
}

int cli_parse_prob(const char *cmd, const char *opt, const char *s, double *out)
{
	double v;

	/* a plain decimal: strtod alone takes 0x1p-1, 5e-1, inf, nan */
	if (!s || attack_parse_decimal(s, &v) || v > 1.0)
		return cli_usage_error(cmd,
				       "%s: '%s' is not a probability from 0 "
				       "to 1 (a decimal number such as 0.05)",
				       opt, s ? s : "");
	*out = v;
	return 0;
}

int cli_parse_duration(const char *cmd, const char *opt, const char *s,
		       uint64_t *out_us)
{
	char num[64];
	const char *end;
	double v, scale = 1000.0;
	size_t len;

	if (!s)
		goto bad;
	len = strspn(s, "0123456789.");
	end = s + len;
	if (!len || len >= sizeof num)
		goto bad;
	memcpy(num, s, len);
	num[len] = '\0';
	if (attack_parse_decimal(num, &v))
		goto bad;
	if (strcmp(end, "us") == 0)
		scale = 1.0;
	else if (strcmp(end, "ms") == 0 || *end == '\0')
		scale = 1000.0;
	else if (strcmp(end, "s") == 0)
		scale = 1e6;
	else
		goto bad;
	v *= scale;
	if (v > 1e15) /* about 31 years: far beyond any run */
		goto bad;
	*out_us = (uint64_t)v;
	return 0;
bad:
	return cli_usage_error(cmd,
			       "%s: '%s' is not a duration (e.g. 250us, 20ms, "
			       "1.5s; a bare number is milliseconds)",
			       opt, s ? s : "");
}

/* Column k of protocol ops's line in the limits table. */
static void limits_cell(const struct byz_core_ops *ops, int k, char *cell,
			size_t cap)
{
	static const enum byz_limit_field fld[] = {
	    BYZ_LIMIT_N, BYZ_LIMIT_WINDOW, BYZ_LIMIT_CHECKPOINT,
	    BYZ_LIMIT_BATCH};

	if (k == 0)
		snprintf(cell, cap, "%s", ops->name);
	else if (k <= 4)
		byz_limits_text(ops, fld[k - 1], cell, cap);
	else
		snprintf(cell, cap, "%s (%s)", byz_faults_name(ops),
			 byz_faults_rule(ops));
}

void cli_print_limits(FILE *out)
{
	enum { COLS = 6 };
	static const char *const head[COLS] = {"protocol", "--n",
					       "--window", "--checkpoint",
					       "--batch",  "--f counts"};
	const struct byz_core_ops *const *all = byz_core_all();
	int width[COLS];
	char cell[48];

	for (int k = 0; k < COLS; k++)
		width[k] = (int)strlen(head[k]);
	for (size_t i = 0; all[i]; i++)
		for (int k = 0; k < COLS; k++) {
			limits_cell(all[i], k, cell, sizeof cell);
			if ((int)strlen(cell) > width[k])
				width[k] = (int)strlen(cell);
		}
	fputs(" ", out);
	for (int k = 0; k < COLS; k++)
		fprintf(out, " %-*s", k < COLS - 1 ? width[k] + 1 : 0, head[k]);
	fputc('\n', out);
	for (size_t i = 0; all[i]; i++) {
		fputs(" ", out);
		for (int k = 0; k < COLS; k++) {
			limits_cell(all[i], k, cell, sizeof cell);
			fprintf(out, " %-*s", k < COLS - 1 ? width[k] + 1 : 0,
				cell);
		}
		fputc('\n', out);
	}
}
