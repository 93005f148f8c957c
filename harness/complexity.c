/*
 * complexity.c - the message-complexity sweep and its outputs
 * (complexity.h, docs/reports.md).
 */
#include "complexity.h"

#include "attack.h"
#include "err.h"
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const uint32_t cx_default_ns[] = {4, 7, 10, 16, 25, 34, 49, 64, 91, 128};
const size_t cx_default_nns = sizeof cx_default_ns / sizeof cx_default_ns[0];

static const char *const setting_names[CX_SETTINGS] = {
    "fault-free", "faulty-leader", "view-change"};
static const char *const metric_names[CX_METRICS] = {
    "messages", "bytes", "signatures", "verifications"};
/* for people: the unit of a setting's figures */
static const char *const setting_units[CX_SETTINGS] = {"per decision",
						       "per decision", "once"};

const char *cx_setting_name(enum cx_setting s)
{
	return s < CX_SETTINGS ? setting_names[s] : "?";
}

const char *cx_metric_name(enum cx_metric m)
{
	return m < CX_METRICS ? metric_names[m] : "?";
}

const char *cx_formula_setting(enum cx_setting s)
{
	return s == CX_VIEW_CHANGE ? "view-change" : "normal";
}

bool cx_protocol_wanted(const struct byz_core_ops *ops)
{
	return ops && !ops->fixture && ops->complexity &&
	       ops->complexity->formulas;
}

int cx_scenario(const struct byz_core_ops *ops, uint32_t n, bool faulty,
		uint32_t requests, uint64_t seed, enum byz_scheme crypto,
		struct scenario *sc, char *why, size_t whylen)
{
	char inner[256];

	scenario_defaults(sc);
	sc->ops = ops;
	sc->n = n;
	sc->f = byz_faults_max(ops, n);
	sc->seed = seed;
	sc->clients = CX_CLIENTS;
	sc->requests = requests;
	sc->batch = 1;
	sc->crypto = crypto;
	if (faulty) {
		const struct byz_complexity *cx = ops->complexity;

		uint32_t who =
		    cx && cx->leader ? cx->leader(n) : ops->first_leader;

		if (!cx || !cx->leader_attack || who >= n) {
			snprintf(why, whylen,
				 "%s: no faulty-leader attack declared",
				 ops->name);
			return BYZ_EINVAL;
		}
		sc->plan.byzantine[who] = true;
		if (attack_parse(cx->leader_attack, n, &sc->plan.a[0], inner,
				 sizeof inner)) {
			snprintf(why, whylen, "%s: leader attack '%s': %s",
				 ops->name, cx->leader_attack, inner);
			return BYZ_EINVAL;
		}
		sc->plan.count = 1;
	}
	if (scenario_check_config(sc, inner, sizeof inner)) {
		snprintf(why, whylen, "--n %" PRIu32 ": %s: %s", n, ops->name,
			 inner);
		return BYZ_EINVAL;
	}
	return 0;
}

int cx_init(struct cx_report *r, const struct byz_core_ops *const *ops,
	    size_t nops, const uint32_t *ns, size_t nns, char *why,
	    size_t whylen)
{
	struct scenario sc;

	memset(r, 0, sizeof *r);
	if (nops > CX_MAX_PROTOS || nns > CX_MAX_NS || !nops || !nns) {
		snprintf(why, whylen,
			 "between 1 and %d protocols and 1 and %d "
			 "values of n",
			 CX_MAX_PROTOS, CX_MAX_NS);
		return BYZ_EINVAL;
	}
	r->seed = 1;
	r->crypto = BYZ_SCHEME_FAST;
	memcpy(r->ns, ns, nns * sizeof *ns);
	r->nns = nns;
	for (size_t i = 0; i < nops; i++) {
		struct cx_protocol *p = &r->protos[r->nprotos++];

		p->ops = ops[i];
		for (size_t k = 0; k < nns; k++) {
			for (int fl = 0; fl < 2; fl++)
				if (cx_scenario(ops[i], ns[k], fl, 2, r->seed,
						r->crypto, &sc, why, whylen))
					return BYZ_EINVAL;
			p->points[k].n = ns[k];
			p->points[k].f = byz_faults_max(ops[i], ns[k]);
		}
		p->npoints = nns;
	}
	return 0;
}

/* The count of metric m in one run: messages and bytes of the protocol's
 * own frames (replica to replica), signatures and verifications of all. */
static double run_total(const struct scenario_result *res, uint8_t proto,
			enum cx_metric m)
{
	double v = 0;

	switch (m) {
	case CX_MESSAGES:
	case CX_BYTES:
		for (int t = 0; t < TRACE_TYPES; t++)
			v += (double)(m == CX_MESSAGES
					  ? res->counts.sent[proto][t]
					  : res->counts.bytes[proto][t]);
		return v;
	case CX_SIGNATURES:
		return (double)res->counts.signatures;
	case CX_VERIFICATIONS:
		return (double)res->counts.verifications;
	default:
		return 0;
	}
}

/* Slope b and the view change a(faulty) - a(free) from the four values
 * (free W1, W2, faulty W1, W2) and decisions. */
static void fold(const double v[4], const double d[4], double *free_b,
		 double *faulty_b, double *vc)
{
	double b0 = (v[1] - v[0]) / (d[1] - d[0]);
	double b1 = (v[3] - v[2]) / (d[3] - d[2]);
	double a0 = v[1] - d[1] * b0;
	double a1 = v[3] - d[3] * b1;

	*free_b = b0;
	*faulty_b = b1;
	*vc = a1 - a0;
}

int cx_point_fold(struct cx_point *p, uint8_t proto,
		  const struct scenario_result res[4], char *why, size_t whylen)
{
	static const char *const runs[4] = {
	    "fault-free with 1 request per client",
	    "fault-free with 2 requests per client",
	    "faulty leader with 1 request per client",
	    "faulty leader with 2 requests per client"};
	double v[4];

	for (int i = 0; i < 4; i++) {
		p->decisions[i] = (double)res[i].decisions /
				  (double)(i >= 2 ? p->n - 1 : p->n);
		p->dropped[i] = res[i].counts.dropped;
		memcpy(p->hash[i], res[i].trace_hash, sizeof p->hash[i]);
	}
	for (int i = 0; i < 4; i += 2)
		if (!(p->decisions[i + 1] > p->decisions[i])) {
			snprintf(why, whylen,
				 "n = %" PRIu32 ": the run %s decided %g "
				 "times, no more than the run %s (%g)",
				 p->n, runs[i + 1], p->decisions[i + 1],
				 runs[i], p->decisions[i]);
			return -1;
		}
	for (int m = 0; m < CX_METRICS; m++) {
		for (int i = 0; i < 4; i++)
			v[i] = run_total(&res[i], proto, (enum cx_metric)m);
		fold(v, p->decisions, &p->total[CX_FAULT_FREE][m],
		     &p->total[CX_FAULTY_LEADER][m],
		     &p->total[CX_VIEW_CHANGE][m]);
	}
	for (int pr = 0; pr < TRACE_PROTOS; pr++)
		for (int t = 0; t < TRACE_TYPES; t++) {
			for (int i = 0; i < 4; i++)
				v[i] = (double)res[i].counts.sent[pr][t];
			fold(v, p->decisions, &p->msgs[CX_FAULT_FREE][pr][t],
			     &p->msgs[CX_FAULTY_LEADER][pr][t],
			     &p->msgs[CX_VIEW_CHANGE][pr][t]);
			for (int i = 0; i < 4; i++)
				v[i] = (double)res[i].counts.bytes[pr][t];
			fold(v, p->decisions, &p->bytes[CX_FAULT_FREE][pr][t],
			     &p->bytes[CX_FAULTY_LEADER][pr][t],
			     &p->bytes[CX_VIEW_CHANGE][pr][t]);
		}
	return 0;
}

int cx_sweep(struct cx_report *r, const volatile int *stop,
	     cx_progress_fn progress, void *ctx, char *why, size_t whylen)
{
	size_t total = r->nprotos * r->nns * 4, done = 0;
	struct scenario sc;
	struct scenario_result *res = calloc(4, sizeof *res);
	clock_t c0 = clock();
	int rc = 0;

	if (!res) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->nprotos && !rc; i++) {
		struct cx_protocol *p = &r->protos[i];

		for (size_t k = 0; k < p->npoints && !rc; k++) {
			struct cx_point *pt = &p->points[k];

			for (int run = 0; run < 4; run++) {
				char inner[320];
				bool faulty = run >= 2;

				if (stop && *stop) {
					rc = 1;
					break;
				}
				if (cx_scenario(p->ops, pt->n, faulty,
						(uint32_t)(run % 2 + 1),
						r->seed, r->crypto, &sc, why,
						whylen)) {
					rc = -1;
					break;
				}
				sc.stop = stop;
				if (scenario_run(&sc, NULL, &res[run])) {
					snprintf(inner, sizeof inner, "%s",
						 res[run].why);
					snprintf(why, whylen,
						 "%s n = %" PRIu32
						 ": the run could not be "
						 "carried out: %s",
						 p->ops->name, pt->n, inner);
					rc = -1;
					break;
				}
				if (stop && *stop) {
					rc = 1;
					break;
				}
				if (res[run].verdict != VERDICT_PASS) {
					snprintf(inner, sizeof inner, "%s",
						 res[run].why);
					snprintf(
					    why, whylen,
					    "%s n = %" PRIu32 ", %s, %" PRIu32
					    " request%s per client: the run "
					    "did not pass (%s): %s",
					    p->ops->name, pt->n,
					    faulty ? "faulty leader"
						   : "fault-free",
					    run % 2 + 1, run % 2 ? "s" : "",
					    verdict_name(res[run].verdict),
					    inner);
					rc = -1;
					break;
				}
				done++;
				if (progress)
					progress(ctx, done, total);
			}
			if (!rc) {
				char inner[400];

				if (cx_point_fold(pt, p->ops->proto, res, inner,
						  sizeof inner)) {
					snprintf(why, whylen, "%s %s",
						 p->ops->name, inner);
					rc = -1;
				}
			}
		}
	}
	r->cpu_seconds = (double)(clock() - c0) / CLOCKS_PER_SEC;
	free(res);
	return rc;
}

double cx_slope(const double *x, const double *y, size_t n, size_t *used)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, k = 0;

	for (size_t i = 0; i < n; i++) {
		double lx, ly;

		if (!(y[i] > 0) || !(x[i] > 0) || !isfinite(y[i]))
			continue;
		lx = log(x[i]);
		ly = log(y[i]);
		sx += lx;
		sy += ly;
		sxx += lx * lx;
		sxy += lx * ly;
		k++;
	}
	if (used)
		*used = (size_t)k;
	if (k < 2 || k * sxx - sx * sx <= 0)
		return NAN;
	return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

double cx_formula_at(const struct byz_formula *fm, uint32_t n, const double *xs,
		     const double *ys, size_t k)
{
	double s = 0;
	size_t m = 0;

	if (fm->value)
		return fm->value(n);
	for (size_t i = 0; i < k; i++)
		if (ys[i] > 0 && xs[i] > 0 && isfinite(ys[i])) {
			s += log(ys[i]) - fm->exponent * log(xs[i]);
			m++;
		}
	if (!m)
		return NAN;
	return exp(s / (double)m) * pow((double)n, fm->exponent);
}

bool cx_exact_holds(double measured, double formula)
{
	double d = fabs(measured - formula);

	return isfinite(measured) && isfinite(formula) &&
	       d <= 1e-9 * (fabs(formula) > 1 ? fabs(formula) : 1);
}

/* ---- outputs ---- */

/* The series x = n, y = a total, of one protocol and setting. */
static void series(const struct cx_protocol *p, enum cx_setting s,
		   enum cx_metric m, double *xs, double *ys)
{
	for (size_t k = 0; k < p->npoints; k++) {
		xs[k] = p->points[k].n;
		ys[k] = p->points[k].total[s][m];
	}
}

/* A type of a protocol's or the client's frames that any run of p sent. */
static bool type_seen(const struct cx_protocol *p, int pr, int t)
{
	for (size_t k = 0; k < p->npoints; k++)
		for (int s = 0; s < CX_SETTINGS; s++)
			if (p->points[k].msgs[s][pr][t] != 0)
				return true;
	return false;
}

static void type_label(int pr, int t, char *buf, size_t cap)
{
	const char *pn = wire_proto_name((uint8_t)pr);
	const char *tn = wire_type_name((uint8_t)pr, (uint8_t)t);

	snprintf(buf, cap, "%s/%s", pn ? pn : "?", tn ? tn : "?");
}

/* A number as the CSV and the tables give it: whole numbers as such,
 * else 4 significant digits after the point. */
static void num(char *buf, size_t cap, double v)
{
	if (!isfinite(v))
		snprintf(buf, cap, "nan");
	else if (fabs(v - round(v)) < 1e-9 && fabs(v) < 1e15)
		snprintf(buf, cap, "%.0f", v);
	else
		snprintf(buf, cap, "%.4f", v);
}

/* The same for the markdown tables: one decimal is enough for people. */
static void numd(char *buf, size_t cap, double v)
{
	if (isfinite(v) && fabs(v - round(v)) >= 1e-9)
		snprintf(buf, cap, "%.1f", v);
	else
		num(buf, cap, v);
}

static bool formula_applies(const struct byz_formula *fm, enum cx_setting s,
			    enum cx_metric m)
{
	return !strcmp(fm->metric, metric_names[m]) &&
	       !strcmp(fm->setting, cx_formula_setting(s));
}

int cx_write_csv(const struct cx_report *r, FILE *out)
{
	char v[64], label[64];
	double xs[CX_MAX_NS], ys[CX_MAX_NS];

	fprintf(out, "protocol,setting,n,metric,type,kind,value\n");
	for (size_t i = 0; i < r->nprotos; i++) {
		const struct cx_protocol *p = &r->protos[i];
		const struct byz_formula *fms = p->ops->complexity->formulas;

		for (int s = 0; s < CX_SETTINGS; s++)
			for (int m = 0; m < CX_METRICS; m++) {
				for (size_t k = 0; k < p->npoints; k++) {
					num(v, sizeof v,
					    p->points[k].total[s][m]);
					fprintf(out,
						"%s,%s,%" PRIu32
						",%s,all,measured,%s\n",
						p->ops->name, setting_names[s],
						p->points[k].n, metric_names[m],
						v);
				}
				if (m == CX_MESSAGES || m == CX_BYTES)
					for (int pr = 0; pr < TRACE_PROTOS;
					     pr++)
						for (int t = 0; t < TRACE_TYPES;
						     t++) {
							if (!type_seen(p, pr,
								       t))
								continue;
							type_label(
							    pr, t, label,
							    sizeof label);
							for (size_t k = 0;
							     k < p->npoints;
							     k++) {
								const struct
								    cx_point *pt =
									&p->points
									     [k];
								num(v, sizeof v,
								    m == CX_MESSAGES
									? pt->msgs
									      [s]
									      [pr]
									      [t]
									: pt->bytes
									      [s]
									      [pr]
									      [t]);
								fprintf(
								    out,
								    "%s,%s,"
								    "%" PRIu32
								    ",%s,%s,"
								    "measured,"
								    "%s\n",
								    p->ops
									->name,
								    setting_names
									[s],
								    pt->n,
								    metric_names
									[m],
								    label, v);
							}
						}
				if (s == CX_FAULTY_LEADER)
					continue;
				series(p, (enum cx_setting)s, (enum cx_metric)m,
				       xs, ys);
				for (const struct byz_formula *fm = fms;
				     fm->metric; fm++) {
					if (!formula_applies(fm,
							     (enum cx_setting)s,
							     (enum cx_metric)m))
						continue;
					for (size_t k = 0; k < p->npoints;
					     k++) {
						num(v, sizeof v,
						    cx_formula_at(
							fm, p->points[k].n, xs,
							ys, p->npoints));
						fprintf(out,
							"%s,%s,%" PRIu32
							",%s,%s,formula,%s\n",
							p->ops->name,
							setting_names[s],
							p->points[k].n,
							metric_names[m],
							fm->text, v);
					}
				}
			}
	}
	return ferror(out) ? -1 : 0;
}

int cx_write_slopes_csv(const struct cx_report *r, FILE *out)
{
	double xs[CX_MAX_NS], ys[CX_MAX_NS], fy[CX_MAX_NS];
	char v[64];
	size_t used;

	fprintf(out, "protocol,setting,metric,series,slope,points\n");
	for (size_t i = 0; i < r->nprotos; i++) {
		const struct cx_protocol *p = &r->protos[i];

		for (int s = 0; s < CX_SETTINGS; s++)
			for (int m = 0; m < CX_METRICS; m++) {
				series(p, (enum cx_setting)s, (enum cx_metric)m,
				       xs, ys);
				num(v, sizeof v,
				    cx_slope(xs, ys, p->npoints, &used));
				fprintf(out, "%s,%s,%s,measured,%s,%zu\n",
					p->ops->name, setting_names[s],
					metric_names[m], v, used);
				if (s == CX_FAULTY_LEADER)
					continue;
				for (const struct byz_formula *fm =
					 p->ops->complexity->formulas;
				     fm->metric; fm++) {
					if (!formula_applies(fm,
							     (enum cx_setting)s,
							     (enum cx_metric)m))
						continue;
					for (size_t k = 0; k < p->npoints; k++)
						fy[k] = cx_formula_at(
						    fm, p->points[k].n, xs, ys,
						    p->npoints);
					num(v, sizeof v,
					    cx_slope(xs, fy, p->npoints,
						     &used));
					fprintf(out, "%s,%s,%s,%s,%s,%zu\n",
						p->ops->name, setting_names[s],
						metric_names[m], fm->text, v,
						used);
				}
			}
	}
	return ferror(out) ? -1 : 0;
}

static void slope_text(char *buf, size_t cap, double s)
{
	if (isfinite(s))
		snprintf(buf, cap, "%.2f", s);
	else
		snprintf(buf, cap, "-");
}

/* A formula's slope over p's n, as text: fitted to its values where it has
 * a value function, else its exponent (an O() formula). xs and ys are the
 * series it is set beside. */
static void formula_slope(const struct cx_protocol *p,
			  const struct byz_formula *fm, const double *xs,
			  const double *ys, char *out, size_t cap)
{
	double fy[CX_MAX_NS];

	for (size_t k = 0; k < p->npoints; k++)
		fy[k] = cx_formula_at(fm, p->points[k].n, xs, ys, p->npoints);
	slope_text(out, cap,
		   fm->value ? cx_slope(xs, fy, p->npoints, NULL)
			     : fm->exponent);
}

/* The exact formulas of p for s and m that the measurement misses, as
 * "n = 4, 7" in buf; returns how many points missed. */
static size_t exact_misses(const struct cx_protocol *p,
			   const struct byz_formula *fm, enum cx_setting s,
			   enum cx_metric m, char *buf, size_t cap)
{
	size_t miss = 0, len = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < p->npoints; k++) {
		const struct cx_point *pt = &p->points[k];

		if (cx_exact_holds(pt->total[s][m], fm->value(pt->n)))
			continue;
		if (len < cap)
			len +=
			    (size_t)snprintf(buf + len, cap - len, "%s%" PRIu32,
					     miss ? ", " : "n = ", pt->n);
		miss++;
	}
	return miss;
}

int cx_write_markdown(const struct cx_report *r, const char *version,
		      bool plots, FILE *out)
{
	double xs[CX_MAX_NS], ys[CX_MAX_NS];
	char v[64], sl[32], fsl[32], label[64], miss[256];
	size_t used;

	fprintf(out, "# Message complexity\n\n");
	fprintf(out,
		"Written by `byzlab report complexity` (byzlab %s) from runs "
		"in the simulator: seed %" PRIu64 ", batch 1, %d clients with "
		"one request outstanding each, latency 1 ms + up to 0.5 ms "
		"jitter, the default timeouts, window and checkpoint interval, "
		"%s crypto (the counts and trace hashes are those of Ed25519). "
		"n = ",
		version, r->seed, CX_CLIENTS,
		r->crypto == BYZ_SCHEME_FAST ? "fast" : "Ed25519");
	for (size_t k = 0; k < r->nns; k++)
		fprintf(out, "%s%" PRIu32, k ? ", " : "", r->ns[k]);
	fprintf(
	    out,
	    ".\n\n"
	    "- **fault-free**, per decision: each setting runs twice, "
	    "with 1 and with 2 requests per client, and a cost per "
	    "decision is the difference of the two runs' counts over the "
	    "difference of their decisions (what does not grow with the "
	    "decisions, such as a chained protocol's last three blocks, "
	    "drops out).\n"
	    "- **faulty-leader**, per decision, the same with a leader "
	    "Byzantine (the attack each protocol declares, below): the "
	    "steady state after it was replaced, plus what the faulty "
	    "leader sent (counted at the sender, then dropped) for the "
	    "requests that reached it before.\n"
	    "- **view-change**, once: what the faulty leader's runs cost "
	    "beyond what grows with the decisions, less the same for the "
	    "fault-free runs (intercept minus intercept).\n\n"
	    "Messages and bytes are the protocol's replica-to-replica "
	    "frames, counted at the sender (a multicast to the n-1 others "
	    "is n-1 messages; a replica's copy to itself is a loopback, "
	    "not traffic; what the adversary then drops is counted); "
	    "client requests and replies are listed by type but not in the "
	    "totals. Signatures are every signature made (replicas and "
	    "clients); verifications every signature checked at ingress, "
	    "embedded ones included. Slopes are least-squares fits of "
	    "log(value) against log(n). An O() formula has no constant: "
	    "its curve is c n^k with c fitted to the measurements, so it "
	    "compares growth, not size. The columns of complexity.csv "
	    "and slopes.csv are described in byzlab's docs/reports.md.\n\n");
	fprintf(out, "## Slopes (exponent of n)\n\n"
		     "| protocol | setting | metric | measured slope | formula "
		     "| its slope |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < r->nprotos; i++) {
		const struct cx_protocol *p = &r->protos[i];

		for (int s = 0; s < CX_SETTINGS; s++)
			for (int m = 0; m < CX_METRICS; m++) {
				bool any = false;

				series(p, (enum cx_setting)s, (enum cx_metric)m,
				       xs, ys);
				slope_text(sl, sizeof sl,
					   cx_slope(xs, ys, p->npoints, &used));
				for (const struct byz_formula *fm =
					 p->ops->complexity->formulas;
				     s != CX_FAULTY_LEADER && fm->metric;
				     fm++) {
					if (!formula_applies(fm,
							     (enum cx_setting)s,
							     (enum cx_metric)m))
						continue;
					formula_slope(p, fm, xs, ys, fsl,
						      sizeof fsl);
					fprintf(out,
						"| %s | %s | %s | %s | %s | %s "
						"|\n",
						p->ops->name, setting_names[s],
						metric_names[m], any ? "" : sl,
						fm->text, fsl);
					any = true;
				}
				if (!any)
					fprintf(out,
						"| %s | %s | %s | %s | | |\n",
						p->ops->name, setting_names[s],
						metric_names[m], sl);
			}
	}
	for (size_t i = 0; i < r->nprotos; i++) {
		const struct cx_protocol *p = &r->protos[i];
		const struct byz_complexity *cx = p->ops->complexity;

		fprintf(out, "\n## %s\n\n", p->ops->name);
		fprintf(out, "Faulty leader: `--attack %s` on %s: %s.\n",
			cx->leader_attack,
			cx->leader ? "the replica named below"
				   : "the first leader",
			cx->leader_attack_why ? cx->leader_attack_why : "");
		for (int s = 0; s < CX_SETTINGS; s++) {
			fprintf(out, "\n### %s (%s)\n\n| n |", setting_names[s],
				setting_units[s]);
			for (int m = 0; m < CX_METRICS; m++) {
				fprintf(out, " %s |", metric_names[m]);
				for (const struct byz_formula *fm =
					 cx->formulas;
				     fm->metric; fm++)
					if (formula_applies(fm,
							    (enum cx_setting)s,
							    (enum cx_metric)m))
						fprintf(out, " %s |", fm->text);
			}
			fprintf(out, "\n|---|");
			for (int m = 0; m < CX_METRICS; m++) {
				fprintf(out, "---:|");
				for (const struct byz_formula *fm =
					 cx->formulas;
				     fm->metric; fm++)
					if (formula_applies(fm,
							    (enum cx_setting)s,
							    (enum cx_metric)m))
						fprintf(out, "---:|");
			}
			fprintf(out, "\n");
			for (size_t k = 0; k < p->npoints; k++) {
				const struct cx_point *pt = &p->points[k];

				fprintf(out, "| %" PRIu32 " |", pt->n);
				for (int m = 0; m < CX_METRICS; m++) {
					numd(v, sizeof v, pt->total[s][m]);
					fprintf(out, " %s |", v);
					series(p,
					       s == CX_FAULTY_LEADER
						   ? CX_FAULT_FREE
						   : (enum cx_setting)s,
					       (enum cx_metric)m, xs, ys);
					for (const struct byz_formula *fm =
						 cx->formulas;
					     fm->metric; fm++)
						if (formula_applies(
							fm, (enum cx_setting)s,
							(enum cx_metric)m)) {
							numd(v, sizeof v,
							     cx_formula_at(
								 fm, pt->n, xs,
								 ys,
								 p->npoints));
							fprintf(out, " %s%s |",
								fm->value ? ""
									  : "~",
								v);
						}
				}
				fprintf(out, "\n");
			}
			/* by type */
			fprintf(out, "\nMessages by type (%s):\n\n| type |",
				setting_units[s]);
			for (size_t k = 0; k < p->npoints; k++)
				fprintf(out, " n=%" PRIu32 " |",
					p->points[k].n);
			fprintf(out, " slope |\n|---|");
			for (size_t k = 0; k < p->npoints; k++)
				fprintf(out, "---:|");
			fprintf(out, "---:|\n");
			for (int pr = 0; pr < TRACE_PROTOS; pr++)
				for (int t = 0; t < TRACE_TYPES; t++) {
					if (!type_seen(p, pr, t))
						continue;
					type_label(pr, t, label, sizeof label);
					fprintf(out, "| %s |", label);
					for (size_t k = 0; k < p->npoints;
					     k++) {
						xs[k] = p->points[k].n;
						ys[k] =
						    p->points[k].msgs[s][pr][t];
						numd(v, sizeof v, ys[k]);
						fprintf(out, " %s |", v);
					}
					slope_text(
					    sl, sizeof sl,
					    cx_slope(xs, ys, p->npoints, NULL));
					fprintf(out, " %s |\n", sl);
				}
		}
		fprintf(out, "\n### Formulas\n\n");
		for (const struct byz_formula *fm = cx->formulas; fm->metric;
		     fm++) {
			fprintf(out, "- **%s**, %s, %s: %s.", fm->text,
				fm->metric, fm->setting, fm->source);
			if (fm->note)
				fprintf(out, " Note: %s.", fm->note);
			if (fm->exact) {
				enum cx_metric m = CX_MESSAGES;

				for (int k = 0; k < CX_METRICS; k++)
					if (!strcmp(fm->metric,
						    metric_names[k]))
						m = (enum cx_metric)k;
				if (exact_misses(p, fm,
						 !strcmp(fm->setting, "normal")
						     ? CX_FAULT_FREE
						     : CX_VIEW_CHANGE,
						 m, miss, sizeof miss))
					fprintf(out,
						" **Exact formula: the "
						"measurement differs at %s.**",
						miss);
				else
					fprintf(out, " Exact: the measurement "
						     "equals it at every n.");
			} else if (!fm->value) {
				fprintf(out,
					" (values marked ~ are c n^%g "
					"fitted to the measurement)",
					fm->exponent);
			}
			fprintf(out, "\n");
		}
	}
	if (plots) {
		fprintf(out, "\n## Plots\n\n");
		for (size_t k = 0; k < cx_plot_count(); k++)
			fprintf(out, "![%s](%s.svg)\n", cx_plot_name(k),
				cx_plot_name(k));
	} else {
		fprintf(out, "\n## Plots\n\nNot drawn (gnuplot was not run); "
			     "`gnuplot complexity.gp` in this directory draws "
			     "them.\n");
	}
	return ferror(out) ? -1 : 0;
}

/* Plot k: a metric, per decision (settings fault-free and faulty-leader)
 * for k < CX_METRICS, else the view change of metric k - CX_METRICS. */
static const char *const plot_names[2 * CX_METRICS] = {
    "messages",
    "bytes",
    "signatures",
    "verifications",
    "messages-view-change",
    "bytes-view-change",
    "signatures-view-change",
    "verifications-view-change"};

size_t cx_plot_count(void)
{
	return 2 * CX_METRICS;
}

const char *cx_plot_name(size_t k)
{
	return k < 2 * CX_METRICS ? plot_names[k] : NULL;
}

static void gp_plot(const struct cx_report *r, FILE *out, size_t k,
		    const char *term, const char *ext)
{
	enum cx_metric m = (enum cx_metric)(k % CX_METRICS);
	bool vc = k >= CX_METRICS;
	const char *sep = "plot ";
	int color = 0;
	static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c",
					     "#9467bd", "#ff7f0e", "#8c564b"};

	fprintf(out, "set terminal %s\n", term);
	fprintf(out, "set output outdir.\"/%s.%s\"\n", plot_names[k], ext);
	fprintf(out, "set title \"%s %s\"\n", metric_names[m],
		vc ? "of one view change (faulty first leader)"
		   : "per decision");
	fprintf(out, "set ylabel \"%s%s\"\n", metric_names[m],
		vc ? " (once)" : " per decision");
	for (size_t i = 0; i < r->nprotos; i++) {
		const struct cx_protocol *p = &r->protos[i];
		const char *c = colors[color++ % 6];
		int dash = 2;

		for (int s = 0; s < CX_SETTINGS; s++) {
			if (vc != (s == CX_VIEW_CHANGE))
				continue;
			fprintf(out,
				"%s'complexity.csv' using 3:(sel(\"%s\",\"%s\","
				"\"%s\",\"all\",\"measured\")) with "
				"points lc rgb \"%s\" pt %d ps 1.3 title "
				"\"%s %s (measured)\"",
				sep, p->ops->name, setting_names[s],
				metric_names[m], c,
				s == CX_FAULTY_LEADER ? 6 : 7, p->ops->name,
				setting_names[s]);
			sep = ", \\\n     ";
			if (s == CX_FAULTY_LEADER)
				continue;
			for (const struct byz_formula *fm =
				 p->ops->complexity->formulas;
			     fm->metric; fm++) {
				if (!formula_applies(fm, (enum cx_setting)s, m))
					continue;
				fprintf(
				    out,
				    "%s'complexity.csv' using "
				    "3:(sel(\"%s\",\"%s\",\"%s\",\"%s\","
				    "\"formula\")) with lines lc rgb \"%s\" "
				    "lw 1.5 dt %d title \"%s %s%s\"",
				    sep, p->ops->name, setting_names[s],
				    metric_names[m], fm->text, c, dash++,
				    p->ops->name, fm->text,
				    fm->value ? "" : " (c fitted)");
			}
		}
	}
	fprintf(out, "\nunset output\n\n");
}

int cx_write_gnuplot(const struct cx_report *r, FILE *out)
{
	fprintf(out,
		"# Written by `byzlab report complexity`: the plots of "
		"complexity.csv, log-log.\n"
		"# Re-plot: cd into this directory and run `gnuplot "
		"complexity.gp`\n"
		"# (gnuplot -e 'outdir=\"DIR\"' complexity.gp writes the "
		"images into DIR).\n"
		"if (!exists(\"outdir\")) outdir = \".\"\n"
		"set datafile separator \",\"\n"
		"set logscale xy\n"
		"set grid\n"
		"set key left top box opaque\n"
		"set xlabel \"n (replicas)\"\n"

		"# the value of column 7 on rows of one series, else NaN\n"
		"sel(p, s, m, t, k) = (strcol(1) eq p && strcol(2) eq s && "
		"strcol(4) eq m && strcol(5) eq t && strcol(6) eq k) ? "
		"column(7) : NaN\n");
	fprintf(out, "set xrange [%g:%g]\n\n", 0.8 * r->ns[0],
		1.25 * r->ns[r->nns - 1]);
	for (size_t k = 0; k < cx_plot_count(); k++) {
		gp_plot(r, out, k,
			"svg size 900,520 dynamic enhanced font "
			"\"DejaVu Sans,11\" background rgb \"white\"",
			"svg");
		gp_plot(
		    r, out, k,
		    "pngcairo size 900,520 enhanced font \"DejaVu Sans,10\"",
		    "png");
	}
	return ferror(out) ? -1 : 0;
}

void cx_print_summary(const struct cx_report *r, FILE *out)
{
	double xs[CX_MAX_NS], ys[CX_MAX_NS];
	char sl[32], fsl[32];

	fprintf(out, "%-9s %-13s %-13s %8s   %s\n", "protocol", "setting",
		"metric", "slope", "formulas (their slope)");
	for (size_t i = 0; i < r->nprotos; i++) {
		const struct cx_protocol *p = &r->protos[i];

		for (int s = 0; s < CX_SETTINGS; s++)
			for (int m = 0; m < CX_METRICS; m++) {
				const char *sep = "";

				series(p, (enum cx_setting)s, (enum cx_metric)m,
				       xs, ys);
				slope_text(sl, sizeof sl,
					   cx_slope(xs, ys, p->npoints, NULL));
				fprintf(out, "%-9s %-13s %-13s %8s   ",
					p->ops->name, setting_names[s],
					metric_names[m], sl);
				for (const struct byz_formula *fm =
					 p->ops->complexity->formulas;
				     s != CX_FAULTY_LEADER && fm->metric;
				     fm++) {
					if (!formula_applies(fm,
							     (enum cx_setting)s,
							     (enum cx_metric)m))
						continue;
					formula_slope(p, fm, xs, ys, fsl,
						      sizeof fsl);
					fprintf(out, "%s%s (%s)", sep, fm->text,
						fsl);
					sep = ", ";
				}
				fprintf(out, "\n");
			}
	}
}
