/*
 * complexity.h - the message-complexity sweep of `byzlab report complexity`
 * (docs/reports.md): for each protocol that declares formulas (core.h,
 * struct byz_complexity) and each n of a list, runs in the simulator,
 * fault-free and with the first leader faulty, and what a decision costs
 * in messages, bytes, signatures made and signatures verified, in total
 * and by message type; least-squares slopes on log-log axes; the outputs
 * (CSV, markdown, a gnuplot script) and the plots gnuplot draws from them.
 *
 * Per decision is marginal: each setting is run with two workloads, W1 =
 * CX_CLIENTS clients x 1 request and W2 = CX_CLIENTS x 2, and a cost per
 * decision is the slope b = (count(W2) - count(W1)) / (decisions(W2) -
 * decisions(W1)), which takes out what does not grow with the decisions
 * (a chained protocol's last three blocks, a view change at the
 * start). What does not grow is the intercept a = count(W2) -
 * decisions(W2) x b; the view change's own cost is a(faulty leader) -
 * a(fault-free), once.
 */
#ifndef BYZ_COMPLEXITY_H
#define BYZ_COMPLEXITY_H

#include "core.h"
#include "scenario.h"
#include "trace.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CX_MAX_NS     32 /* values of n in a sweep */
#define CX_MAX_PROTOS 16 /* protocols in a report */
/* The workload: clients with one request outstanding each. Six keep a
 * chained pipeline full at batch 1 (every block carries a request), and
 * 6 x 2 = 12 decisions stay below a checkpoint interval of 16. */
#define CX_CLIENTS 6

enum cx_setting {
	CX_FAULT_FREE = 0, /* per decision, no fault */
	CX_FAULTY_LEADER,  /* per decision, after the faulty leader's view */
	CX_VIEW_CHANGE,	   /* once: faulty minus fault-free, same workload */
	CX_SETTINGS
};

enum cx_metric {
	CX_MESSAGES = 0,  /* replica-to-replica messages of the protocol */
	CX_BYTES,	  /* their frame bytes */
	CX_SIGNATURES,	  /* signatures made (replicas and clients) */
	CX_VERIFICATIONS, /* signatures checked (embedded ones too) */
	CX_METRICS
};

/* "fault-free", "faulty-leader", "view-change" */
const char *cx_setting_name(enum cx_setting s);
/* "messages", "bytes", "signatures", "verifications" */
const char *cx_metric_name(enum cx_metric m);
/* The formula setting ("normal", "view-change") a setting is judged by:
 * fault-free and faulty-leader by "normal". */
const char *cx_formula_setting(enum cx_setting s);

/* One protocol at one n. */
struct cx_point {
	uint32_t n, f;
	double total[CX_SETTINGS][CX_METRICS];
	/* by (protocol byte, type): messages and bytes, client traffic too
	 * (the client's own protocol byte), not in total */
	double msgs[CX_SETTINGS][TRACE_PROTOS][TRACE_TYPES];
	double bytes[CX_SETTINGS][TRACE_PROTOS][TRACE_TYPES];
	/* the four runs: fault-free W1, W2, faulty W1, W2; decisions of the
	 * cluster (scenario_result.decisions is summed over the honest
	 * replicas: divided by their number) */
	double decisions[4];
	uint64_t dropped[4];
	char hash[4][2 * BYZ_DIGEST_BYTES + 1];
};

struct cx_protocol {
	const struct byz_core_ops *ops;
	struct cx_point points[CX_MAX_NS];
	size_t npoints;
};

struct cx_report {
	uint32_t ns[CX_MAX_NS];
	size_t nns;
	uint64_t seed;
	enum byz_scheme crypto;
	struct cx_protocol protos[CX_MAX_PROTOS];
	size_t nprotos;
	double cpu_seconds;
};

/* The default sweep of n. */
extern const uint32_t cx_default_ns[];
extern const size_t cx_default_nns;

/* Whether ops takes part (not a fixture, and it declares formulas). */
bool cx_protocol_wanted(const struct byz_core_ops *ops);

/*
 * Set up r for the protocols ops[0..nops) and ns[0..nns): every n checked
 * against every protocol's limits with the sweep's scenarios. 0, or
 * BYZ_EINVAL with why naming the protocol, n and what is valid.
 */
int cx_init(struct cx_report *r, const struct byz_core_ops *const *ops,
	    size_t nops, const uint32_t *ns, size_t nns, char *why,
	    size_t whylen);

/* The scenario of one run: protocol, n, faulty leader or not, requests per
 * client (1 or 2). 0, or BYZ_EINVAL with why. */
int cx_scenario(const struct byz_core_ops *ops, uint32_t n, bool faulty,
		uint32_t requests, uint64_t seed, enum byz_scheme crypto,
		struct scenario *sc, char *why, size_t whylen);

/* Called after each run: done of total runs. */
typedef void (*cx_progress_fn)(void *ctx, size_t done, size_t total);

/*
 * Run the sweep: 4 runs per protocol and n. 0; 1 when stop (may be NULL)
 * became non-zero (the sweep ended early, r is incomplete); or -1 with
 * why naming the run that failed (it did not pass, or did not decide more
 * with more requests).
 */
int cx_sweep(struct cx_report *r, const volatile int *stop,
	     cx_progress_fn progress, void *ctx, char *why, size_t whylen);

/* Fold one point's four runs (fault-free W1, W2, faulty W1, W2; the
 * faulty ones with one Byzantine replica) into p (p->n set). 0, or -1
 * with why when the decisions did not grow with the workload. */
int cx_point_fold(struct cx_point *p, uint8_t proto,
		  const struct scenario_result res[4], char *why,
		  size_t whylen);

/* The least-squares slope of log(y) against log(x) over the k points with
 * y > 0 (*used: how many); NaN with fewer than two. */
double cx_slope(const double *x, const double *y, size_t n, size_t *used);

/* A formula's value at n for a protocol's points: value(n), or for an O()
 * formula c x n^exponent with c fitted to ys (the geometric mean of
 * y / n^exponent over the positive ones); NaN if it cannot be. */
double cx_formula_at(const struct byz_formula *fm, uint32_t n, const double *xs,
		     const double *ys, size_t k);

/* Outputs into the open stream out. 0, or -1 (a write failed: errno). */
int cx_write_csv(const struct cx_report *r, FILE *out);
int cx_write_slopes_csv(const struct cx_report *r, FILE *out);
int cx_write_markdown(const struct cx_report *r, const char *version,
		      bool plots, FILE *out);
int cx_write_gnuplot(const struct cx_report *r, FILE *out);
/* A short summary for people (stdout): slopes next to the formulas. */
void cx_print_summary(const struct cx_report *r, FILE *out);

/* The plots' file names (without .svg/.png), for plot k of
 * cx_plot_count(). */
size_t cx_plot_count(void);
const char *cx_plot_name(size_t k);

/* An exact formula's check at one point: whether the measured per-decision
 * value equals it (within 1e-9 relative). */
bool cx_exact_holds(double measured, double formula);

#endif
