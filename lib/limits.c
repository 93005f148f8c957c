/*
 * limits.c - what a protocol's configuration may be (core.h, struct
 * byz_limits): one table per protocol, read by its create (which refuses
 * what is outside), by every driver before a run (byz_config_check, with a
 * sentence per broken rule naming the option and the valid range) and by
 * help texts (byz_limits_text), so that the three cannot disagree.
 */
#include "core.h"

#include "err.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The sentences said so far: joined by "; ", cut at cap. */
struct says {
	char *buf;
	size_t cap, len;
	unsigned count;
};

static void say(struct says *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(struct says *s, const char *fmt, ...)
{
	va_list ap;
	int w;

	s->count++;
	if (!s->buf || s->cap == 0 || s->len + 1 >= s->cap)
		return;
	if (s->count > 1) {
		w = snprintf(s->buf + s->len, s->cap - s->len, "; ");
		s->len += w > 0 ? (size_t)w : 0;
		if (s->len >= s->cap) {
			s->len = s->cap - 1;
			return;
		}
	}
	va_start(ap, fmt);
	w = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	s->len += w > 0 ? (size_t)w : 0;
	if (s->len >= s->cap)
		s->len = s->cap - 1;
}

/* n >= k f + 1: k for lim's failure model (NULL: Byzantine). */
static uint64_t faults_factor(const struct byz_limits *lim)
{
	return lim && lim->faults == BYZ_FAULTS_CRASH ? 2 : 3;
}

enum byz_fault_model byz_faults(const struct byz_core_ops *ops)
{
	return ops && ops->limits ? ops->limits->faults : BYZ_FAULTS_BYZANTINE;
}

uint32_t byz_faults_max(const struct byz_core_ops *ops, uint32_t n)
{
	uint32_t k = byz_faults(ops) == BYZ_FAULTS_CRASH ? 2 : 3;

	return n ? (n - 1) / k : 0;
}

uint64_t byz_faults_min_n(const struct byz_core_ops *ops, uint32_t f)
{
	uint64_t k = byz_faults(ops) == BYZ_FAULTS_CRASH ? 2 : 3;

	return k * f + 1;
}

const char *byz_faults_name(const struct byz_core_ops *ops)
{
	return byz_faults(ops) == BYZ_FAULTS_CRASH ? "crash" : "Byzantine";
}

const char *byz_faults_covers(const struct byz_core_ops *ops)
{
	return byz_faults(ops) == BYZ_FAULTS_CRASH
		   ? "crash and omission"
		   : "crash, omission and Byzantine";
}

const char *byz_faults_rule(const struct byz_core_ops *ops)
{
	return byz_faults(ops) == BYZ_FAULTS_CRASH ? "n >= 2f+1" : "n >= 3f+1";
}

/* The rules every protocol has; true if n and f are such that a
 * protocol's own check (sizes that grow with n and f) can be asked. */
static bool check_common(const char *name, const struct byz_limits *lim,
			 const struct byz_config *cfg, struct says *s)
{
	uint32_t nmin = lim ? lim->n_min : 1, nmax = lim ? lim->n_max : 0;
	bool ok = true;

	if (nmax == 0 || nmax > BYZ_MAX_N)
		nmax = BYZ_MAX_N;
	if (nmin < 1)
		nmin = 1;
	if (cfg->n < nmin || cfg->n > nmax) {
		say(s, "--n %" PRIu32 ": %s accepts %" PRIu32 "..%" PRIu32,
		    cfg->n, name, nmin, nmax);
		ok = false;
	}
	if (faults_factor(lim) * cfg->f + 1 > cfg->n) {
		if (faults_factor(lim) == 2)
			say(s,
			    "--f %" PRIu32 " needs --n of at least %" PRIu64
			    " (%s tolerates crash faults: n >= 2f+1)",
			    cfg->f, (uint64_t)(2ull * cfg->f + 1), name);
		else
			say(s,
			    "--f %" PRIu32 " needs --n of at least %" PRIu64
			    " (n >= 3f+1)",
			    cfg->f, (uint64_t)(3ull * cfg->f + 1));
		ok = false;
	}
	if (cfg->id >= cfg->n && cfg->n >= 1)
		say(s,
		    "replica id %" PRIu32 ": no such replica (n = %" PRIu32 ")",
		    cfg->id, cfg->n);
	if (cfg->max_clients < 1)
		say(s, "%s needs room for at least one client", name);
	if (lim && lim->timeout_needed && cfg->timeout_us == 0)
		say(s, "--timeout 0: %s needs a timeout above 0", name);
	return ok && cfg->n >= 1 && cfg->n <= BYZ_MAX_N;
}

/* Is the checkpoint interval in range (or not used)? */
static bool checkpoint_ok(const struct byz_limits *lim,
			  const struct byz_config *cfg)
{
	return !lim->checkpoint_max ||
	       (cfg->checkpoint_interval >= lim->checkpoint_min &&
		cfg->checkpoint_interval <= lim->checkpoint_max);
}

static void check_sizes(const char *name, const struct byz_limits *lim,
			const struct byz_config *cfg, struct says *s)
{
	uint32_t k = lim->window_checkpoints;

	if (!checkpoint_ok(lim, cfg)) {
		if (k && lim->window_max)
			say(s,
			    "--checkpoint %" PRIu32 ": %s accepts %" PRIu32
			    "..%" PRIu32 " (--window, at most %" PRIu32
			    ", holds %" PRIu32 " checkpoint intervals)",
			    cfg->checkpoint_interval, name, lim->checkpoint_min,
			    lim->checkpoint_max, lim->window_max, k);
		else
			say(s,
			    "--checkpoint %" PRIu32 ": %s accepts %" PRIu32
			    "..%" PRIu32,
			    cfg->checkpoint_interval, name, lim->checkpoint_min,
			    lim->checkpoint_max);
	}
	if (lim->window_max) {
		uint64_t lo = lim->window_min;
		bool rel = k && lim->checkpoint_max && checkpoint_ok(lim, cfg);

		if (rel && (uint64_t)k * cfg->checkpoint_interval > lo)
			lo = (uint64_t)k * cfg->checkpoint_interval;
		if (cfg->window < lo || cfg->window > lim->window_max) {
			if (rel)
				say(s,
				    "--window %" PRIu32 ": %s accepts %" PRIu64
				    "..%" PRIu32 " (at least %" PRIu32
				    " x --checkpoint %" PRIu32 ")",
				    cfg->window, name, lo, lim->window_max, k,
				    cfg->checkpoint_interval);
			else if (k)
				say(s,
				    "--window %" PRIu32 ": %s accepts %" PRIu64
				    "..%" PRIu32 " (and at least %" PRIu32
				    " x --checkpoint)",
				    cfg->window, name, lo, lim->window_max, k);
			else
				say(s,
				    "--window %" PRIu32 ": %s accepts %" PRIu64
				    "..%" PRIu32,
				    cfg->window, name, lo, lim->window_max);
		}
	}
	if (lim->batch_max &&
	    (cfg->batch < lim->batch_min || cfg->batch > lim->batch_max))
		say(s, "--batch %" PRIu32 ": %s accepts %" PRIu32 "..%" PRIu32,
		    cfg->batch, name, lim->batch_min, lim->batch_max);
}

int byz_limits_check(const char *name, const struct byz_limits *lim,
		     const struct byz_config *cfg, char *why, size_t whylen)
{
	struct says s = {.buf = why, .cap = why ? whylen : 0};

	if (why && whylen)
		why[0] = '\0';
	check_common(name, lim, cfg, &s);
	if (lim)
		check_sizes(name, lim, cfg, &s);
	return s.count ? BYZ_EINVAL : 0;
}

int byz_config_check(const struct byz_core_ops *ops,
		     const struct byz_config *cfg, char *why, size_t whylen)
{
	struct says s = {.buf = why, .cap = why ? whylen : 0};
	bool sized;

	if (why && whylen)
		why[0] = '\0';
	sized = check_common(ops->name, ops->limits, cfg, &s);
	if (ops->limits)
		check_sizes(ops->name, ops->limits, cfg, &s);
	/* The protocol's own check (messages that must fit a frame) once
	 * everything is within the limits: its advice (the window that
	 * fits) is for a configuration the limits allow. */
	if (sized && !s.count && ops->check_config) {
		char own[512];
		if (ops->check_config(cfg, own, sizeof own))
			say(&s, "%s", own);
	}
	return s.count ? BYZ_EINVAL : 0;
}

void byz_limits_text(const struct byz_core_ops *ops, enum byz_limit_field fld,
		     char *buf, size_t cap)
{
	const struct byz_limits *l = ops->limits;
	uint32_t lo, hi;

	if (!l) {
		snprintf(buf, cap, fld == BYZ_LIMIT_N ? "1..%d" : "any",
			 BYZ_MAX_N);
		return;
	}
	switch (fld) {
	case BYZ_LIMIT_N:
		lo = l->n_min;
		hi = l->n_max;
		break;
	case BYZ_LIMIT_WINDOW:
		if (l->window_max && l->window_checkpoints &&
		    l->checkpoint_max) {
			if (l->window_min >
			    l->window_checkpoints * l->checkpoint_min)
				snprintf(buf, cap,
					 "%" PRIu32 "..%" PRIu32
					 " and >= %" PRIu32 " x --checkpoint",
					 l->window_min, l->window_max,
					 l->window_checkpoints);
			else
				snprintf(buf, cap,
					 "%" PRIu32 " x --checkpoint..%" PRIu32,
					 l->window_checkpoints, l->window_max);
			return;
		}
		lo = l->window_min;
		hi = l->window_max;
		break;
	case BYZ_LIMIT_CHECKPOINT:
		lo = l->checkpoint_min;
		hi = l->checkpoint_max;
		break;
	default:
		lo = l->batch_min;
		hi = l->batch_max;
		break;
	}
	if (!hi)
		snprintf(buf, cap, "not used");
	else
		snprintf(buf, cap, "%" PRIu32 "..%" PRIu32, lo, hi);
}
