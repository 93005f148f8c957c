/*
 * cmd_bench_zmq.c - `byzlab bench zmq`: requests per second and latency of
 * real processes over ZeroMQ (nodes/launch.h), next to the bound that
 * Ed25519 alone puts on them on this machine, measured in the same run.
 *
 * Each configuration (protocol, n, batch, path) is one fault-free local
 * cluster: n replica processes, one client process that runs every client
 * as its own closed loop (byzlab client --count), and on the adversary
 * path an adversary process with no attack, which every frame passes
 * through. The clients submit for --seconds, then wait for their last
 * request; the figures come from their JSON summaries (when each request
 * was accepted, its latency, the signatures they made and checked) and
 * the replicas' status files (signatures, verifications, cache hits).
 *
 * Throughput counts the steady part only: from the moment every client
 * has had a first request accepted to the moment the first client had its
 * last one accepted (start-up and the tail, when fewer clients are still
 * submitting, are left out). Latency percentiles are over the requests
 * accepted in that window.
 *
 * The crypto bound: every process signs and verifies on the same cores, so
 *
 *   bound = cores / crypto CPU seconds per request,
 *   crypto CPU seconds per request = (S x t_sign + V x t_verify) / A
 *
 * where S and V are the signatures made and the signatures verified
 * (verifications the verified-signature cache answered not counted) by
 * every replica and client process over the whole run, A the requests
 * accepted in it, t_sign and t_verify the CPU time of one Ed25519 sign and
 * verify, measured by this process just before and just after the run
 * (their mean), and cores those available to the run: the machine's less
 * the mean CPU its other processes took meanwhile (/proc/stat). The ratio
 * is measured / bound. docs/bench-zmq.md has the figures and what they
 * leave out.
 */
#define _GNU_SOURCE /* CPU_COUNT, sched_getaffinity */
#include "bench.h"
#include "cli.h"

#include "core.h"
#include "launch.h"
#include "proc.h"
#include "scenario.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define BZ_CRYPTO_SECONDS 0.2			/* each sign / verify timing */
#define BZ_TIMEOUT_US	  (2ull * 1000 * 1000)	/* view and retry timeouts */
#define BZ_SLACK_US	  (30ull * 1000 * 1000) /* beyond --seconds */
#define BZ_LINE_MAX	  (64u << 20)		/* a client's JSON line */

static volatile sig_atomic_t bz_stop;

static void bz_on_signal(int sig)
{
	(void)sig;
	bz_stop = 1;
}

/* One configuration. */
struct bz_conf {
	const struct byz_core_ops *ops;
	uint32_t n, batch, clients;
	bool adversary;
};

/* Growable arrays of what the clients reported. */
struct bz_samples {
	uint64_t *at, *lat; /* accept time, latency (µs), one per request */
	size_t len, cap;
	uint64_t begin, end; /* the steady window (µs since the epoch) */
	bool have_begin;
	uint64_t signatures, verifications, cache_hits; /* clients' */
	uint64_t accepted, clients;
};

/* What one configuration measured. */
struct bz_result {
	uint64_t accepted, in_window;
	double window_s, rate, p50_ms, p99_ms, max_ms;
	uint64_t rep_sig, rep_ver, rep_hits, cli_sig, cli_ver, cli_hits;
	double t_sign, t_verify, crypto_s, bound, ratio;
	double wall_s, cpu_user_s, cpu_sys_s; /* every process of the run */
	struct launch_cpu rep, cli, adv;      /* by kind of process */
	uint32_t window, checkpoint;	      /* as the run had them */
	uint64_t gave_up;   /* views a replica gave up on a timer (the most) */
	double other_cores; /* the mean CPU other processes took meanwhile */
	double cores;	    /* available: the machine's, less other_cores */
	char stop[16];
};

/* The clients a configuration runs by default: a batch fills only with
 * that many requests outstanding, and the machine's cores are kept busy
 * with a few more than one per replica at batch 1. */
static uint32_t bench_zmq_clients(uint32_t batch)
{
	return batch > 16 ? batch : 16;
}

/* Where temporary run folders go: /dev/shm (tmpfs) when there is one,
 * so that the replicas' fdatasync costs what memory does and the disk
 * stays out of the figures (--out DIR for a disk); else $TMPDIR or /tmp. */
const char *bench_zmq_tmp(void)
{
	const char *t = getenv("TMPDIR");
	struct stat st;

	if (!stat("/dev/shm", &st) && S_ISDIR(st.st_mode) &&
	    !access("/dev/shm", W_OK | X_OK))
		return "/dev/shm";
	return t && t[0] ? t : "/tmp";
}

int bench_cores(void)
{
	cpu_set_t set;
	long n;

	if (!sched_getaffinity(0, sizeof set, &set) && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static void bz_scenario(const struct bench_zmq_opts *o, const struct bz_conf *c,
			struct scenario *sc)
{
	scenario_defaults(sc);
	sc->ops = c->ops;
	sc->n = c->n;
	sc->f = byz_faults_max(c->ops, c->n);
	sc->clients = c->clients;
	sc->batch = c->batch;
	sc->requests =
	    o->requests
		? (uint32_t)((o->requests + c->clients - 1) / c->clients)
		: 1;
	/* Fault-free: a view change or a retransmission is a timer set for
	 * a simulated network that fired on a loaded machine. */
	sc->timeout_us = BZ_TIMEOUT_US;
	sc->retry_us = BZ_TIMEOUT_US;
	sc->retry_max_us = 2 * BZ_TIMEOUT_US;
	sc->think_us = 0;
	sc->max_time_us =
	    (o->requests ? 60ull * 1000 * 1000 : (uint64_t)(o->seconds * 1e6)) +
	    BZ_SLACK_US;
	/* A protocol may refuse a window at this batch (a view-change message
	 * must fit a frame with every request at its largest): the largest
	 * window that it takes, with checkpoints at most every half window
	 * (as the window must hold two). */
	for (uint32_t w = sc->window; w >= 2; w--) {
		char why[512];
		sc->window = w;
		if (sc->checkpoint_interval > w / 2)
			sc->checkpoint_interval = w / 2;
		if (!scenario_check_config(sc, why, sizeof why))
			break;
	}
}

static const char *bz_path(const struct bz_conf *c)
{
	return c->adversary ? "adversary" : "direct";
}

/* A "key value" line of a status file; 0 when there is none. */
static uint64_t status_get(const char *path, const char *key)
{
	uint64_t v = 0;

	proc_status_get(path, key, &v);
	return v;
}

static int push(struct bz_samples *s, uint64_t at, uint64_t lat)
{
	if (s->len == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		uint64_t *a = realloc(s->at, cap * sizeof *a), *l;
		if (!a)
			return -1;
		s->at = a;
		l = realloc(s->lat, cap * sizeof *l);
		if (!l)
			return -1;
		s->lat = l;
		s->cap = cap;
	}
	s->at[s->len] = at;
	s->lat[s->len++] = lat;
	return 0;
}

/* One client's JSON summary line (client_proc.h). */
static int take_client(struct bz_samples *s, json_t *o)
{
	json_t *at = json_object_get(o, "accepted_at_us");
	json_t *lat = json_object_get(o, "latencies_us");
	size_t n = json_array_size(at);
	uint64_t first, last;

	if (!json_is_array(at) || !json_is_array(lat) ||
	    json_array_size(lat) != n)
		return -1;
	s->clients++;
	s->accepted += n;
	s->signatures +=
	    (uint64_t)json_integer_value(json_object_get(o, "signatures"));
	s->verifications +=
	    (uint64_t)json_integer_value(json_object_get(o, "verifications"));
	s->cache_hits += (uint64_t)json_integer_value(
	    json_object_get(o, "verify_cache_hits"));
	if (!n) { /* a client that never got through: no steady part */
		s->begin = UINT64_MAX;
		s->have_begin = true;
		s->end = 0;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (push(s, (uint64_t)json_integer_value(json_array_get(at, i)),
			 (uint64_t)json_integer_value(json_array_get(lat, i))))
			return -1;
	first = (uint64_t)json_integer_value(json_array_get(at, 0));
	last = (uint64_t)json_integer_value(json_array_get(at, n - 1));
	if (!s->have_begin || first > s->begin)
		s->begin = first;
	if (!s->have_begin || last < s->end)
		s->end = last;
	s->have_begin = true;
	return 0;
}

/* The JSON lines of the client process's log. */
static int read_clients(const char *dir, struct bz_samples *s, char *why,
			size_t whylen)
{
	char path[LAUNCH_PATH_MAX + 16];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof path, "%s/c0.log", dir);
	f = fopen(path, "r");
	if (!f) {
		snprintf(why, whylen, "%.300s: %s", path, strerror(errno));
		return -1;
	}
	while (!rc && (len = getline(&line, &cap, f)) > 0) {
		json_t *o;
		if (line[0] != '{' || len > BZ_LINE_MAX)
			continue;
		o = json_loadb(line, (size_t)len, 0, NULL);
		if (!o || take_client(s, o)) {
			snprintf(why, whylen,
				 "%.300s: a summary line it cannot read", path);
			rc = -1;
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Rate and latencies of the steady part (see the top of the file). */
static int figures(struct bz_samples *s, struct bz_result *r)
{
	uint64_t lo, hi, *w;
	size_t k = 0;

	r->accepted = s->accepted;
	if (!s->len)
		return -1;
	lo = s->begin;
	hi = s->end;
	if (!s->have_begin || hi <= lo) { /* no common window: all of it */
		lo = hi = s->at[0];
		for (size_t i = 0; i < s->len; i++) {
			lo = s->at[i] < lo ? s->at[i] : lo;
			hi = s->at[i] > hi ? s->at[i] : hi;
		}
		if (hi <= lo)
			return -1;
	}
	w = malloc(s->len * sizeof *w);
	if (!w)
		return -1;
	for (size_t i = 0; i < s->len; i++)
		if (s->at[i] > lo && s->at[i] <= hi)
			w[k++] = s->lat[i];
	if (!k) {
		free(w);
		return -1;
	}
	qsort(w, k, sizeof *w, cmp_u64);
	r->in_window = k;
	r->window_s = (double)(hi - lo) / 1e6;
	r->rate = (double)k / r->window_s;
	r->p50_ms = (double)w[k / 2] / 1000.0;
	r->p99_ms =
	    (double)w[(k * 99) / 100 < k ? (k * 99) / 100 : k - 1] / 1000.0;
	r->max_ms = (double)w[k - 1] / 1000.0;
	free(w);
	return 0;
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

/* CPU seconds the whole machine spent busy so far (/proc/stat: user,
 * nice, system, irq, softirq, steal); -1 if unknown. */
static double machine_busy_s(void)
{
	unsigned long long v[8] = {0};
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int k;

	if (!f)
		return -1;
	k = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (k != 8 || hz <= 0)
		return -1;
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
}

/* Our own CPU seconds and our reaped children's. */
static double our_cpu_s(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return tv_s(&self.ru_utime) + tv_s(&self.ru_stime) +
	       tv_s(&kids.ru_utime) + tv_s(&kids.ru_stime);
}

/* Run one configuration and fill r. 0; 1 the run did not go through
 * (with why); -1 interrupted. */
static int bz_run(const struct bench_zmq_opts *o, const struct bz_conf *c,
		  struct bz_result *r, char *why, size_t whylen)
{
	struct scenario sc;
	struct launch_opts lo = {0};
	struct launch_result lr;
	struct bz_samples s = {0};
	double busy0, busy1, ours0;
	char dir[LAUNCH_PATH_MAX], err[512];
	int rc = 1;

	memset(r, 0, sizeof *r);
	bz_scenario(o, c, &sc);
	r->window = sc.window;
	r->checkpoint = sc.checkpoint_interval;
	lo.sc = &sc;
	lo.quiet = true;
	lo.stop = &bz_stop;
	lo.limit_us = sc.max_time_us;
	lo.clients_per_process = c->clients; /* all in one process */
	lo.force_adversary = c->adversary;
	lo.client_duration_us = o->requests ? 0 : (uint64_t)(o->seconds * 1e6);
	lo.client_json = true;
	lo.no_merge = true;
	if (o->out) {
		snprintf(dir, sizeof dir, "%s/%s-n%" PRIu32 "-b%" PRIu32 "-%s",
			 o->out, c->ops->name, c->n, c->batch, bz_path(c));
		lo.keep = true;
	} else {
		snprintf(dir, sizeof dir, "%s/byzlab-bench-XXXXXX",
			 bench_zmq_tmp());
		if (!mkdtemp(dir)) {
			snprintf(why, whylen, "%.300s: cannot create: %s", dir,
				 strerror(errno));
			return 1;
		}
	}
	lo.dir = dir;
	busy0 = machine_busy_s();
	ours0 = our_cpu_s();
	if (launch_run(&lo, &lr, err, sizeof err)) {
		snprintf(why, whylen, "%s", err);
		if (!o->out) {
			snprintf(lr.dir, sizeof lr.dir, "%s", dir);
			lr.temp = true;
			launch_remove(&lr);
		}
		return 1;
	}
	/* The processes of the run, all reaped by now. */
	r->rep = lr.cpu_replicas;
	r->cli = lr.cpu_clients;
	r->adv = lr.cpu_adversary;
	r->cpu_user_s = r->rep.user + r->cli.user + r->adv.user;
	r->cpu_sys_s = r->rep.sys + r->cli.sys + r->adv.sys;
	/* What other processes of the machine took meanwhile: the cores
	 * that were not available to the run. */
	busy1 = machine_busy_s();
	if (busy0 >= 0 && busy1 >= 0 && lr.wall_seconds > 0) {
		r->other_cores =
		    ((busy1 - busy0) - (our_cpu_s() - ours0)) / lr.wall_seconds;
		if (r->other_cores < 0)
			r->other_cores = 0;
	}
	snprintf(r->stop, sizeof r->stop, "%s", lr.stop);
	r->wall_s = lr.wall_seconds;
	if (bz_stop) {
		rc = -1;
		goto out;
	}
	if (strcmp(lr.stop, "done")) {
		snprintf(why, whylen,
			 "the run ended with '%s', not with every request "
			 "accepted (its folder: %.300s)",
			 lr.stop, lr.dir);
		goto out;
	}
	for (uint32_t i = 0; i < c->n; i++) {
		char path[LAUNCH_PATH_MAX + 64];
		uint64_t g;
		snprintf(path, sizeof path,
			 "%s/data/replica-%" PRIu32 "/status", lr.dir, i);
		r->rep_sig += status_get(path, "signatures");
		r->rep_ver += status_get(path, "verifications");
		r->rep_hits += status_get(path, "verify_cache_hits");
		g = status_get(path, "views_given_up");
		r->gave_up = g > r->gave_up ? g : r->gave_up;
	}
	if (read_clients(lr.dir, &s, why, whylen))
		goto out;
	r->cli_sig = s.signatures;
	r->cli_ver = s.verifications;
	r->cli_hits = s.cache_hits;
	if (figures(&s, r)) {
		snprintf(why, whylen,
			 "too few requests accepted to measure (%" PRIu64 ")",
			 s.accepted);
		goto out;
	}
	rc = 0;
out:
	free(s.at);
	free(s.lat);
	/* A temporary folder goes, unless it is evidence of a failed run. */
	lr.temp = !o->out && rc != 1;
	launch_remove(&lr);
	return rc;
}

static void bz_bound(struct bz_result *r, int ncores)
{
	r->cores = (double)ncores - r->other_cores;
	if (r->cores < 0.1 * ncores)
		r->cores = 0.1 * ncores;
	double sig = (double)(r->rep_sig + r->cli_sig);
	double ver = (double)(r->rep_ver - r->rep_hits) +
		     (double)(r->cli_ver - r->cli_hits);

	r->crypto_s = (sig * r->t_sign + ver * r->t_verify) /
		      (double)(r->accepted ? r->accepted : 1);
	r->bound = r->crypto_s > 0 ? r->cores / r->crypto_s : 0;
	r->ratio = r->bound > 0 ? r->rate / r->bound : 0;
}

static void bz_print(const struct bench_zmq_opts *o, const struct bz_conf *c,
		     const struct bz_result *r, int ncores)
{
	double a = (double)(r->accepted ? r->accepted : 1);
	double sig = (double)(r->rep_sig + r->cli_sig) / a;
	double ver =
	    (double)(r->rep_ver - r->rep_hits + r->cli_ver - r->cli_hits) / a;
	double cpu = (r->cpu_user_s + r->cpu_sys_s) / a;

	if (o->json) {
		printf(
		    "{\"bench\":\"zmq\",\"protocol\":\"%s\",\"n\":%" PRIu32
		    ",\"f\":%" PRIu32 ",\"path\":\"%s\",\"batch\":%" PRIu32
		    ",\"clients\":%" PRIu32 ",\"window\":%" PRIu32
		    ",\"checkpoint\":%" PRIu32 ",\"accepted\":%" PRIu64
		    ",\"views_given_up\":%" PRIu64
		    ",\"window_requests\":%" PRIu64 ",\"window_seconds\":%.3f"
		    ",\"requests_per_sec\":%.1f,\"latency_ms\":{\"p50\":%.3f"
		    ",\"p99\":%.3f,\"max\":%.3f},\"replica_signatures\":"
		    "%" PRIu64 ",\"replica_verifications\":%" PRIu64
		    ",\"replica_verify_cache_hits\":%" PRIu64
		    ",\"client_signatures\":%" PRIu64
		    ",\"client_verifications\":%" PRIu64
		    ",\"client_verify_cache_hits\":%" PRIu64
		    ",\"signatures_per_request\":%.3f"
		    ",\"verifications_per_request\":%.3f,\"sign_us\":%.2f"
		    ",\"verify_us\":%.2f,\"cores\":%d,\"other_cores\":%.2f"
		    ",\"cores_available\":%.2f"
		    ",\"crypto_us_per_request\":%.1f"
		    ",\"crypto_bound_per_sec\":%.1f,\"ratio\":%.3f"
		    ",\"cpu_user_seconds\":%.3f,\"cpu_sys_seconds\":%.3f"
		    ",\"cpu_us_per_request\":%.1f"
		    ",\"cpu_us_per_request_by_process\":{\"replicas\":"
		    "{\"user\":%.1f,\"sys\":%.1f},\"clients\":{\"user\":%.1f,"
		    "\"sys\":%.1f},\"adversary\":{\"user\":%.1f,"
		    "\"sys\":%.1f}},\"context_switches_per_request\":%.1f"
		    ",\"wall_seconds\":%.3f}\n",
		    c->ops->name, c->n, byz_faults_max(c->ops, c->n),
		    bz_path(c), c->batch, c->clients, r->window, r->checkpoint,
		    r->accepted, r->gave_up, r->in_window, r->window_s, r->rate,
		    r->p50_ms, r->p99_ms, r->max_ms, r->rep_sig, r->rep_ver,
		    r->rep_hits, r->cli_sig, r->cli_ver, r->cli_hits, sig, ver,
		    r->t_sign * 1e6, r->t_verify * 1e6, ncores, r->other_cores,
		    r->cores, r->crypto_s * 1e6, r->bound, r->ratio,
		    r->cpu_user_s, r->cpu_sys_s, cpu * 1e6,
		    r->rep.user / a * 1e6, r->rep.sys / a * 1e6,
		    r->cli.user / a * 1e6, r->cli.sys / a * 1e6,
		    r->adv.user / a * 1e6, r->adv.sys / a * 1e6,
		    (double)(r->rep.switches + r->cli.switches +
			     r->adv.switches) /
			a,
		    r->wall_s);
	} else {
		printf("%-8s %2" PRIu32 " %-9s %5" PRIu32 " %7" PRIu32
		       " %7.0f %7.1f %7.1f %3" PRIu64 " %6.2f %6.2f %7.0f "
		       "%7.0f %5.2f %7.0f %5.2f\n",
		       c->ops->name, c->n, bz_path(c), c->batch, c->clients,
		       r->rate, r->p50_ms, r->p99_ms, r->gave_up, sig, ver,
		       r->crypto_s * 1e6, cpu * 1e6, r->cores, r->bound,
		       r->ratio);
	}
	fflush(stdout);
}

/* The configurations o asks for, in the order they run. */
static size_t bz_confs(const struct bench_zmq_opts *o, struct bz_conf *out,
		       size_t cap)
{
	const struct byz_core_ops *const *all = byz_core_all();
	size_t k = 0;

	for (size_t p = 0; all[p]; p++) {
		bool want = o->protocol && strcmp(o->protocol, "all")
				? !strcmp(o->protocol, all[p]->name)
				: !all[p]->fixture;
		if (!want)
			continue;
		for (size_t i = 0; i < o->nn; i++)
			for (size_t j = 0; j < o->nbatch; j++)
				for (int a = 0; a < 2; a++) {
					if ((a == 0 && !o->direct) ||
					    (a == 1 && !o->adversary) ||
					    k == cap)
						continue;
					out[k].ops = all[p];
					out[k].n = o->n[i];
					out[k].batch = o->batch[j];
					out[k].clients =
					    o->clients ? o->clients
						       : bench_zmq_clients(
							     o->batch[j]);
					out[k++].adversary = a == 1;
				}
	}
	return k;
}

int bench_zmq(const struct bench_zmq_opts *o)
{
	enum { CAP = 4 * BENCH_MAX_LIST * BENCH_MAX_LIST * 2 };
	struct bz_conf *confs = calloc(CAP, sizeof *confs);
	struct sigaction sa, old_int, old_term;
	double t_sign, t_verify;
	int ncores = bench_cores(), rc = EXIT_OK;
	size_t nc;
	char why[768];

	if (!confs)
		return cli_input_error("bench", "out of memory");
	if (o->protocol && strcmp(o->protocol, "all") &&
	    !byz_core_find(o->protocol)) {
		free(confs);
		return cli_usage_error(
		    "bench", "--protocol: unknown protocol '%s'", o->protocol);
	}
	nc = bz_confs(o, confs, CAP);
	/* Every configuration is checked before the first one runs. */
	for (size_t i = 0; i < nc; i++) {
		struct scenario sc;
		bz_scenario(o, &confs[i], &sc);
		if (scenario_check_run(&sc, why, sizeof why) ||
		    scenario_check_config(&sc, why, sizeof why)) {
			rc = cli_usage_error(
			    "bench", "%s n=%" PRIu32 " batch %" PRIu32 ": %s",
			    confs[i].ops->name, confs[i].n, confs[i].batch,
			    why);
			free(confs);
			return rc;
		}
	}
	if (o->out && mkdir(o->out, 0700) && errno != EEXIST) {
		free(confs);
		return cli_input_error("bench", "--out: %s: %s", o->out,
				       strerror(errno));
	}
	for (size_t i = 0; o->out && i < nc; i++) {
		char dir[LAUNCH_PATH_MAX];
		struct stat st;
		snprintf(dir, sizeof dir, "%s/%s-n%" PRIu32 "-b%" PRIu32 "-%s",
			 o->out, confs[i].ops->name, confs[i].n, confs[i].batch,
			 bz_path(&confs[i]));
		if (!stat(dir, &st)) {
			free(confs);
			return cli_input_error(
			    "bench",
			    "--out: %s exists already (a run folder of an "
			    "earlier bench: choose another --out)",
			    dir);
		}
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = bz_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	t_sign = bench_sign_time(BZ_CRYPTO_SECONDS);
	t_verify = bench_verify_time(BZ_CRYPTO_SECONDS);
	if (!o->json) {
		printf("byzlab bench zmq: real processes over ZeroMQ (ipc), "
		       "%d cores, libsodium %s;\n"
		       "run folders in %s; clients submit for %.1f s per "
		       "configuration.\n"
		       "req/s, p50, p99: the steady part (every client "
		       "running); vc: views a replica\n"
		       "gave up on its timer (a view change: a stall in the "
		       "figures).\n"
		       "sig, ver: Ed25519 signatures made and verified per "
		       "request (cache hits not\n"
		       "counted) by every replica and client; crypto = sig x "
		       "sign time + ver x verify\n"
		       "time (CPU time, timed around each run); cpu: CPU time "
		       "of every process of the\n"
		       "run per request; cores: %d less what other processes "
		       "of the machine took;\n"
		       "bound = cores / crypto; ratio = req/s / bound.\n\n",
		       ncores, sodium_version_string(),
		       o->out ? o->out : bench_zmq_tmp(), o->seconds, ncores);
		printf("%-8s %2s %-9s %5s %7s %7s %7s %7s %3s %6s %6s %7s %7s "
		       "%5s %7s %5s\n",
		       "protocol", "n", "path", "batch", "clients", "req/s",
		       "p50 ms", "p99 ms", "vc", "sig", "ver", "crypto", "cpu",
		       "cores", "bound", "ratio");
		printf("%-8s %2s %-9s %5s %7s %7s %7s %7s %3s %6s %6s %7s %7s "
		       "%5s %7s %5s\n",
		       "", "", "", "", "", "", "", "", "", "/req", "/req",
		       "us/req", "us/req", "", "req/s", "");
		fflush(stdout);
	}
	for (size_t i = 0; i < nc && !bz_stop; i++) {
		struct bz_result r;
		int k = bz_run(o, &confs[i], &r, why, sizeof why);
		double s2, v2;

		if (k < 0 || bz_stop)
			break;
		/* The crypto timing after this run is the one before the
		 * next: each run's bound uses the mean of the two. */
		s2 = bench_sign_time(BZ_CRYPTO_SECONDS);
		v2 = bench_verify_time(BZ_CRYPTO_SECONDS);
		r.t_sign = (t_sign + s2) / 2;
		r.t_verify = (t_verify + v2) / 2;
		t_sign = s2;
		t_verify = v2;
		if (k) {
			fprintf(stderr,
				"byzlab bench: error: %s n=%" PRIu32
				" batch %" PRIu32 " %s: %s\n",
				confs[i].ops->name, confs[i].n, confs[i].batch,
				bz_path(&confs[i]), why);
			rc = EXIT_VIOLATION;
			continue;
		}
		bz_bound(&r, ncores);
		bz_print(o, &confs[i], &r, ncores);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(confs);
	if (bz_stop) {
		fprintf(stderr, "byzlab bench: interrupted\n");
		return 130;
	}
	return rc;
}
