/*
 * launch.c - a whole local cluster for one scenario (launch.h).
 */
#define _GNU_SOURCE /* mkdtemp, nftw's FTW_DEPTH and FTW_PHYS */
#include "launch.h"

#include "adversary.h"
#include "clock.h"
#include "err.h"
#include "keyfile.h"
#include "merge.h"
#include "outfile.h"
#include "proc.h"
#include "scenario_io.h"
#include "trace.h"
#include "verdict.h"
#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LAUNCH_MAX_CHILDREN (2 * BYZ_MAX_N + 1024 + 1)
#define LAUNCH_TICK_US	    5000

enum child_kind { CH_REPLICA, CH_TWIN, CH_CLIENT, CH_ADVERSARY };

struct child {
	enum child_kind kind;
	uint32_t id, count; /* clients: the first, and how many */
	pid_t pid;	    /* 0: not running */
	int status;
	bool exited;
	char trace[LAUNCH_PATH_MAX];
	char name[16];
	long watched; /* bytes of its trace the violation watch has read */
};

struct launch {
	const struct launch_opts *o;
	struct launch_result *res;
	const struct scenario *sc;
	struct sim_config cfg; /* after the adversary's changes */
	bool no_gst, adversary;
	uint32_t per; /* clients per client process */
	uint64_t bound_us, epoch, limit_us, requests;
	char self[LAUNCH_PATH_MAX];
	char cluster[LAUNCH_PATH_MAX];
	struct child *ch;
	size_t nch;
	struct trace tr; /* the launcher's own lines: crash, restart */
	FILE *tr_file;
	char tr_path[LAUNCH_PATH_MAX];
	bool crashed[SIM_MAX_CRASHES], restarted[SIM_MAX_CRASHES];
	bool temp;
	struct trace_log watch; /* honest commits, for stop_on_violation */
	char *why;
	size_t whylen;
};

__attribute__((format(printf, 2, 3))) static int lfail(struct launch *l,
						       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->why, l->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static int path_in(struct launch *l, char *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int path_in(struct launch *l, char *out, const char *fmt, ...)
{
	char rel[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	n = snprintf(out, LAUNCH_PATH_MAX, "%s/%s", l->res->dir, rel);
	if (n < 0 || n >= LAUNCH_PATH_MAX)
		return lfail(l, "%s: path too long", l->res->dir);
	return 0;
}

/* ---- set-up: folder, keys, scenario, cluster file ---------------------- */

static int make_dir(struct launch *l)
{
	if (l->o->dir) {
		if (snprintf(l->res->dir, sizeof l->res->dir, "%s",
			     l->o->dir) >= (int)sizeof l->res->dir)
			return lfail(l, "--out: path too long");
		if (mkdir(l->res->dir, 0700) && errno != EEXIST)
			return lfail(l, "%s: cannot create: %s", l->res->dir,
				     strerror(errno));
		return 0;
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(l->res->dir, sizeof l->res->dir, "%s/byzlab-run-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(l->res->dir))
		return lfail(l, "%s: cannot create: %s", l->res->dir,
			     strerror(errno));
	l->temp = true;
	return 0;
}

static int write_keys(struct launch *l)
{
	char dir[LAUNCH_PATH_MAX], err[512];
	struct byz_keypair kp;

	if (path_in(l, dir, "keys"))
		return -1;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return lfail(l, "%s: cannot create: %s", dir, strerror(errno));
	for (uint32_t i = 0; i < l->sc->n + l->sc->clients; i++) {
		bool client = i >= l->sc->n;
		byz_key_random(&kp);
		if (keyfile_write(dir,
				  client ? BYZ_ROLE_CLIENT : BYZ_ROLE_REPLICA,
				  client ? i - l->sc->n : i, &kp,
				  KEYFILE_OVERWRITE, err, sizeof err)) {
			sodium_memzero(&kp, sizeof kp);
			return lfail(l, "%s", err);
		}
	}
	sodium_memzero(&kp, sizeof kp);
	return 0;
}

static void endpoint(struct launch *l, char *out, const char *name,
		     uint32_t index)
{
	if (l->o->tcp)
		snprintf(out, 64, "tcp://127.0.0.1:%u",
			 (unsigned)(l->o->port + index));
	else
		snprintf(out, 64, "ipc://@byzlab-%ld-%" PRIu64 "-%s",
			 (long)getpid(), l->epoch, name);
}

static int write_cluster(struct launch *l)
{
	char path[LAUNCH_PATH_MAX], ep[64], name[16];
	json_t *js = scenario_to_json(l->sc);
	uint32_t idx = 0;
	FILE *f;

	if (!js)
		return lfail(l, "out of memory");
	if (path_in(l, path, "scenario.json") ||
	    json_dump_file(js, path, JSON_SORT_KEYS | JSON_INDENT(1))) {
		json_decref(js);
		return lfail(l, "%s: cannot write", path);
	}
	json_decref(js);
	if (path_in(l, l->cluster, "cluster.yaml"))
		return -1;
	f = fopen(l->cluster, "w");
	if (!f)
		return lfail(l, "%s: %s", l->cluster, strerror(errno));
	fprintf(f,
		"# Written by byzlab run --driver zmq (docs/zmq.md).\n"
		"scenario: scenario.json\n"
		"cluster:\n"
		"  keys: keys\n"
		"  data: data\n"
		"  epoch: %" PRIu64 "\n"
		"  replicas:\n",
		l->epoch);
	for (uint32_t r = 0; r < l->sc->n; r++) {
		snprintf(name, sizeof name, "r%" PRIu32, r);
		endpoint(l, ep, name, idx++);
		fprintf(f, "    - %s\n", ep);
	}
	fprintf(f, "  clients:%s\n", l->sc->clients ? "" : " []");
	for (uint32_t c = 0; c < l->sc->clients; c++) {
		/* A group of clients served by one process: one endpoint. */
		if (c % l->per == 0) {
			snprintf(name, sizeof name, "c%" PRIu32, c);
			endpoint(l, ep, name, idx++);
		}
		fprintf(f, "    - %s\n", ep);
	}
	if (l->adversary) {
		endpoint(l, ep, "adversary", idx++);
		fprintf(f, "  adversary: %s\n", ep);
	}
	for (uint32_t r = 0, any = 0; r < l->sc->n; r++) {
		if (!l->cfg.twin[r])
			continue;
		if (!any++)
			fprintf(f, "  twins:\n");
		snprintf(name, sizeof name, "r%" PRIu32 "t", r);
		endpoint(l, ep, name, idx++);
		fprintf(f, "    r%" PRIu32 ": %s\n", r, ep);
	}
	if (fclose(f))
		return lfail(l, "%s: %s", l->cluster, strerror(errno));
	return 0;
}

/* ---- processes ------------------------------------------------------------
 */

static int add_child(struct launch *l, enum child_kind kind, uint32_t id,
		     uint32_t count)
{
	struct child *c = &l->ch[l->nch++];

	c->kind = kind;
	c->id = id;
	c->count = count;
	switch (kind) {
	case CH_REPLICA:
		snprintf(c->name, sizeof c->name, "r%" PRIu32, id);
		break;
	case CH_TWIN:
		snprintf(c->name, sizeof c->name, "r%" PRIu32 "t", id);
		break;
	case CH_CLIENT:
		snprintf(c->name, sizeof c->name, "c%" PRIu32, id);
		break;
	case CH_ADVERSARY:
		snprintf(c->name, sizeof c->name, "adversary");
		break;
	}
	return path_in(l, c->trace, "trace-%s.jsonl", c->name);
}

static int start(struct launch *l, struct child *c)
{
	char id[16], count[16], duration[32], log[LAUNCH_PATH_MAX];
	char *argv[24];
	int k = 0;
	pid_t pid;

	snprintf(id, sizeof id, "%" PRIu32, c->id);
	if (path_in(l, log, "%s.log", c->name))
		return -1;
	argv[k++] = "byzlab";
	argv[k++] = c->kind == CH_CLIENT      ? "client"
		    : c->kind == CH_ADVERSARY ? "adversary"
					      : "node";
	argv[k++] = "--cluster";
	argv[k++] = l->cluster;
	if (c->kind != CH_ADVERSARY) {
		argv[k++] = "--id";
		argv[k++] = id;
	}
	if (c->kind == CH_TWIN)
		argv[k++] = "--twin";
	if (c->kind == CH_CLIENT && c->count > 1) {
		snprintf(count, sizeof count, "%" PRIu32, c->count);
		argv[k++] = "--count";
		argv[k++] = count;
	}
	if (c->kind == CH_CLIENT && l->o->client_duration_us) {
		snprintf(duration, sizeof duration, "%" PRIu64 "us",
			 l->o->client_duration_us);
		argv[k++] = "--duration";
		argv[k++] = duration;
	}
	if (c->kind == CH_CLIENT && l->o->client_json)
		argv[k++] = "--json";
	argv[k++] = "--trace";
	argv[k++] = c->trace;
	argv[k++] = "-q";
	argv[k] = NULL;
	pid = proc_spawn(l->self, argv, log, PROC_SPAWN_TIED);
	if (pid < 0)
		return lfail(l, "cannot start %s: %s", c->name,
			     strerror(errno));
	c->pid = pid;
	c->exited = false;
	l->res->processes++;
	return 0;
}

/* Wait for child c (blocking or not) as waitpid does, adding the CPU
 * time it used to the result's, by kind of process. */
static pid_t wait_child(struct launch *l, struct child *c, int *st, int flags)
{
	struct rusage ru;
	struct launch_cpu *cpu;
	pid_t r = wait4(c->pid, st, flags, &ru);

	if (r != c->pid)
		return r;
	cpu = c->kind == CH_CLIENT	? &l->res->cpu_clients
	      : c->kind == CH_ADVERSARY ? &l->res->cpu_adversary
					: &l->res->cpu_replicas;
	cpu->user +=
	    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
	cpu->sys +=
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	cpu->switches += (uint64_t)ru.ru_nvcsw + (uint64_t)ru.ru_nivcsw;
	return r;
}

/* Reap what has exited. */
static void reap(struct launch *l)
{
	for (size_t i = 0; i < l->nch; i++) {
		struct child *c = &l->ch[i];
		int st;
		if (!c->pid)
			continue;
		if (wait_child(l, c, &st, WNOHANG) == c->pid) {
			c->pid = 0;
			c->exited = true;
			c->status = st;
		}
	}
}

static void kill_all(struct launch *l)
{
	uint64_t until;
	bool any;

	for (size_t i = 0; i < l->nch; i++)
		if (l->ch[i].pid)
			kill(l->ch[i].pid, SIGTERM);
	until = clock_mono_us() + 2000000;
	do {
		reap(l);
		any = false;
		for (size_t i = 0; i < l->nch; i++)
			any = any || l->ch[i].pid;
		if (any)
			usleep(2000);
	} while (any && clock_mono_us() < until);
	for (size_t i = 0; i < l->nch; i++)
		if (l->ch[i].pid) {
			kill(l->ch[i].pid, SIGKILL);
			wait_child(l, &l->ch[i], &l->ch[i].status, 0);
			l->ch[i].pid = 0;
			l->ch[i].exited = true;
		}
}

static struct child *find(struct launch *l, enum child_kind kind, uint32_t id)
{
	for (size_t i = 0; i < l->nch; i++)
		if (l->ch[i].kind == kind && l->ch[i].id == id)
			return &l->ch[i];
	return NULL;
}

/* A replica's status file: a "key value" line's value, or 0. */
static uint64_t status_value(struct launch *l, uint32_t r, const char *key)
{
	char path[LAUNCH_PATH_MAX];
	uint64_t v = 0;

	if (path_in(l, path, "data/replica-%" PRIu32 "/status", r))
		return 0;
	proc_status_get(path, key, &v);
	return v;
}

/* The launcher's own trace line time; its lines' hybrid clock (trace.h)
 * keeps up with physical time as the processes' do. */
static uint64_t ltime(struct launch *l)
{
	uint64_t w = clock_wall_us();

	l->tr.wall = w;
	return w > l->epoch ? w - l->epoch : 0;
}

/* Crashes and restarts due by now (µs since the epoch). */
static int schedule(struct launch *l, uint64_t now)
{
	for (size_t i = 0; i < l->cfg.ncrashes; i++) {
		const struct sim_crash *k = &l->cfg.crashes[i];
		struct child *c = find(l, CH_REPLICA, k->replica);
		if (!c)
			continue;
		if (!l->crashed[i] && now >= k->at_us) {
			l->crashed[i] = true;
			if (c->pid) {
				kill(c->pid, SIGKILL);
				wait_child(l, c, &c->status, 0);
				c->pid = 0;
			}
			trace_crash(&l->tr, ltime(l), k->replica);
		}
		if (l->crashed[i] && !l->restarted[i] && k->restart_at_us &&
		    now >= k->restart_at_us) {
			char data[LAUNCH_PATH_MAX], err[512];
			l->restarted[i] = true;
			if (!k->keep_state) {
				if (path_in(l, data, "data/replica-%" PRIu32,
					    k->replica))
					return -1;
				if (wal_wipe(data, err, sizeof err))
					return lfail(l, "%s", err);
			}
			trace_restart(&l->tr, ltime(l), k->replica,
				      k->keep_state);
			if (start(l, c))
				return -1;
		}
	}
	return 0;
}

/* Every request accepted (every client exited 0), and committed by every
 * honest replica that is up (as lib/sim.c's sim_done). */
static bool done(struct launch *l)
{
	for (size_t i = 0; i < l->nch; i++) {
		struct child *c = &l->ch[i];
		if (c->kind != CH_CLIENT)
			continue;
		if (c->pid || !c->exited || !WIFEXITED(c->status) ||
		    WEXITSTATUS(c->status))
			return false;
	}
	for (size_t i = 0; i < l->nch; i++) {
		struct child *c = &l->ch[i];
		if (c->kind == CH_REPLICA && !l->cfg.byzantine[c->id] &&
		    c->pid && status_value(l, c->id, "height") < l->requests)
			return false;
	}
	return true;
}

/* --stop-on-violation: read the honest replicas' new commit lines and
 * watch for two requests at one height (trace_log's online agreement
 * check, as the simulator does). True once there is a conflict. */
static bool violated(struct launch *l)
{
	char line[TRACE_LINE_MAX + 2];

	for (size_t i = 0; i < l->nch && !l->watch.conflict; i++) {
		struct child *c = &l->ch[i];
		FILE *f;
		if (c->kind != CH_REPLICA || l->watch.byzantine[c->id])
			continue;
		f = fopen(c->trace, "r");
		if (!f || fseek(f, c->watched, SEEK_SET)) {
			if (f)
				fclose(f);
			continue;
		}
		while (fgets(line, sizeof line, f)) {
			size_t len = strlen(line);
			json_t *o;
			struct trace_commit tc = {.replica = c->id};
			if (!len || line[len - 1] != '\n')
				break; /* a line still being written */
			c->watched += (long)len;
			if (!strstr(line, "\"ev\":\"commit\""))
				continue;
			o = json_loadb(line, len, 0, NULL);
			tc.c.height = (uint64_t)json_integer_value(
			    json_object_get(o, "height"));
			tc.c.client = (uint32_t)json_integer_value(
			    json_object_get(o, "client"));
			tc.c.timestamp = (uint64_t)json_integer_value(
			    json_object_get(o, "ts"));
			tc.t = (uint64_t)json_integer_value(
			    json_object_get(o, "t"));
			json_decref(o);
			trace_log_add_commit(&l->watch, &tc);
		}
		fclose(f);
	}
	return l->watch.conflict;
}

/* A process that stopped on its own with an error (not a client). */
static struct child *failed(struct launch *l)
{
	for (size_t i = 0; i < l->nch; i++) {
		struct child *c = &l->ch[i];
		if (c->kind != CH_CLIENT && c->exited && !c->pid &&
		    (!WIFEXITED(c->status) || WEXITSTATUS(c->status)) &&
		    !(WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGKILL))
			return c;
	}
	return NULL;
}

/* ---- the merged trace ---------------------------------------------------- */

static int merge(struct launch *l, const char *stop, int core_error,
		 uint32_t core_replica)
{
	const char **paths = calloc(l->nch + 1, sizeof *paths);
	bool *missing = calloc(l->nch + 1, sizeof *missing);
	char err[OUTFILE_PATH_MAX + 128];
	static struct outfile tf;
	char *run = NULL, *end = NULL;
	uint64_t max_lc = 0, forged = 0, t;
	FILE *out;
	int rc = -1;

	if (!paths || !missing)
		goto out;
	for (size_t i = 0; i < l->nch; i++) {
		paths[i] = l->ch[i].trace;
		missing[i] = true;
		if (l->ch[i].kind == CH_REPLICA) {
			forged +=
			    status_value(l, l->ch[i].id, "forged_accepted");
			l->res->rules |= status_value(l, l->ch[i].id, "rules");
		}
	}
	paths[l->nch] = l->tr_path;
	missing[l->nch] = true;
	run = launch_run_line(l->sc, &l->cfg, l->bound_us, l->no_gst);
	/* A first pass for the largest Lamport clock, into /dev/null. */
	out = fopen("/dev/null", "w");
	if (!out || !run ||
	    merge_traces(paths, missing, l->nch + 1, run, NULL, out, &max_lc,
			 &l->res->torn, err, sizeof err)) {
		if (out)
			fclose(out);
		lfail(l, "merging the traces: %s", run ? err : "out of memory");
		goto out;
	}
	fclose(out);
	t = ltime(l);
	end = launch_end_line(l->sc, t, max_lc > l->tr.lc ? max_lc : l->tr.lc,
			      stop, forged, core_error, core_replica);
	if (!end) {
		lfail(l, "%s: no memory", l->res->trace);
		goto out;
	}
	/* Written whole, and only over a regular file (outfile.h). */
	if (outfile_open(&tf, l->res->trace, 0666, 0, err, sizeof err)) {
		lfail(l, "%s", err);
		goto out;
	}
	if (merge_traces(paths, missing, l->nch + 1, run, end, tf.f, NULL,
			 &l->res->torn, err, sizeof err)) {
		outfile_abort(&tf);
		lfail(l, "merging the traces: %s", err);
		goto out;
	}
	if (outfile_commit(&tf, err, sizeof err)) {
		lfail(l, "%s", err);
		goto out;
	}
	rc = 0;
out:
	free(run);
	free(end);
	free(paths);
	free(missing);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* ---- the run ----------------------------------------------------------------
 */

static int prepare(struct launch *l)
{
	const struct scenario *sc = l->sc;
	struct adversary *adv = NULL;
	ssize_t n;

	if (scenario_check_run(sc, l->why, l->whylen) ||
	    scenario_check_config(sc, l->why, l->whylen) ||
	    scenario_check_sim_only(sc, "zmq", l->why, l->whylen))
		return -1;
	l->no_gst = scenario_no_gst(sc);
	scenario_sim_config(sc, &l->cfg);
	if (l->no_gst)
		l->cfg.net.gst_us = UINT64_MAX;
	l->adversary = scenario_has_adversary(sc) || sc->loss > 0.0 ||
		       l->o->force_adversary;
	l->per = l->o->clients_per_process ? l->o->clients_per_process : 1;
	if (scenario_has_adversary(sc)) {
		if (adversary_check(&sc->plan, sc->n, sc->f, l->why,
				    l->whylen) ||
		    adversary_new(&sc->plan, sc->n, sc->f, l->cfg.net.gst_us,
				  &adv))
			return -1;
		if (adversary_configure(adv, &l->cfg, l->why, l->whylen)) {
			adversary_free(&adv);
			return -1;
		}
		adversary_free(&adv);
	}
	l->bound_us = scenario_bound(sc, &l->cfg, 0) + LAUNCH_SLACK_US;
	/* Clients that run for a time: done once they all stopped. */
	l->requests =
	    l->o->client_duration_us ? 0 : (uint64_t)sc->clients * sc->requests;
	l->limit_us = l->o->limit_us ? l->o->limit_us
		      : sc->max_time_us < LAUNCH_DEFAULT_LIMIT_US
			  ? sc->max_time_us
			  : LAUNCH_DEFAULT_LIMIT_US;
	n = readlink("/proc/self/exe", l->self, sizeof l->self - 1);
	if (n <= 0)
		return lfail(l, "cannot find this program: %s",
			     strerror(errno));
	l->self[n] = '\0';
	l->ch = calloc(LAUNCH_MAX_CHILDREN, sizeof *l->ch);
	if (!l->ch)
		return lfail(l, "out of memory");
	return 0;
}

static int run(struct launch *l)
{
	const char *stop = "done";
	struct child *bad = NULL;
	int core_error = 0;
	uint32_t core_replica = 0;

	if (l->adversary && add_child(l, CH_ADVERSARY, 0, 1))
		return -1;
	for (uint32_t r = 0; r < l->sc->n; r++)
		if (add_child(l, CH_REPLICA, r, 1) ||
		    (l->cfg.twin[r] && add_child(l, CH_TWIN, r, 1)))
			return -1;
	for (uint32_t c = 0; c < l->sc->clients; c += l->per)
		if (add_child(l, CH_CLIENT, c,
			      l->sc->clients - c < l->per ? l->sc->clients - c
							  : l->per))
			return -1;
	for (size_t i = 0; i < l->nch; i++)
		if (start(l, &l->ch[i]))
			return -1;
	for (;;) {
		uint64_t now;

		usleep(LAUNCH_TICK_US);
		reap(l);
		now = ltime(l);
		if (l->o->stop && *l->o->stop) {
			stop = "interrupted";
			break;
		}
		if (schedule(l, now))
			return -1;
		if ((bad = failed(l))) {
			stop = "core-error";
			core_error = BYZ_EIO;
			core_replica = bad->kind == CH_REPLICA ? bad->id : 0;
			break;
		}
		if (l->sc->stop_on_violation && violated(l)) {
			stop = "violation";
			break;
		}
		if (done(l))
			break;
		if (now >= l->limit_us) {
			stop = "time-limit";
			break;
		}
	}
	kill_all(l);
	fflush(l->tr_file);
	if (bad && !l->o->quiet)
		fprintf(stderr,
			"byzlab run: process %s stopped on its own (see "
			"%s/%s.log)\n",
			bad->name, l->res->dir, bad->name);
	snprintf(l->res->stop, sizeof l->res->stop, "%s", stop);
	if (l->o->no_merge) {
		l->res->trace[0] = '\0';
		return 0;
	}
	return merge(l, stop, core_error, core_replica);
}

int launch_run(const struct launch_opts *o, struct launch_result *res,
	       char *why, size_t whylen)
{
	struct launch l = {
	    .o = o, .res = res, .sc = o->sc, .why = why, .whylen = whylen};
	uint64_t t0 = clock_mono_us();
	int rc = -1;

	memset(res, 0, sizeof *res);
	if (prepare(&l) || make_dir(&l))
		goto out;
	if (o->trace)
		snprintf(res->trace, sizeof res->trace, "%s", o->trace);
	else if (path_in(&l, res->trace, "trace.jsonl"))
		goto out;
	l.epoch = clock_wall_us();
	if (write_keys(&l) || write_cluster(&l) ||
	    path_in(&l, l.tr_path, "trace-launcher.jsonl"))
		goto out;
	l.tr_file = fopen(l.tr_path, "w");
	if (!l.tr_file) {
		lfail(&l, "%s: %s", l.tr_path, strerror(errno));
		goto out;
	}
	trace_init(&l.tr, o->sc->n, o->sc->f, l.tr_file);
	l.tr.stamp = true;
	trace_log_init(&l.watch, o->sc->n, o->sc->f);
	memcpy(l.watch.byzantine, l.cfg.byzantine, sizeof l.watch.byzantine);
	for (size_t i = 0; i < l.cfg.ncrashes; i++)
		if (!l.cfg.crashes[i].keep_state)
			l.watch.byzantine[l.cfg.crashes[i].replica] = true;
	l.epoch = clock_wall_us(); /* the processes start now */
	l.tr.epoch = l.epoch;
	if (write_cluster(&l))
		goto out;
	rc = run(&l);
out:
	if (l.ch)
		kill_all(&l);
	if (l.tr_file) {
		trace_free(&l.tr);
		trace_log_free(&l.watch);
		fclose(l.tr_file);
	}
	free(l.ch);
	res->wall_seconds = (double)(clock_mono_us() - t0) / 1e6;
	res->temp = l.temp && !o->keep;
	if (rc && res->temp)
		launch_remove(res);
	return rc;
}

void launch_remove(struct launch_result *res)
{
	if (res->temp && res->dir[0])
		nftw(res->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	res->temp = false;
}

/* One line of a trace written by fn into a string, without its newline. */
static char *line_by(const struct scenario *sc,
		     void (*fn)(struct trace *tr, const void *arg),
		     const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct trace tr;

	if (!m)
		return NULL;
	trace_init(&tr, sc->n, sc->f, m);
	fn(&tr, arg);
	trace_free(&tr);
	fclose(m);
	if (buf && len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

struct run_line_args {
	const struct scenario *sc;
	const struct sim_config *cfg;
	uint64_t bound_us;
	bool no_gst;
};

static void run_line(struct trace *tr, const void *arg)
{
	const struct run_line_args *a = arg;

	scenario_trace_run(a->sc, a->cfg, a->bound_us, a->no_gst, "zmq", tr);
}

char *launch_run_line(const struct scenario *sc, const struct sim_config *cfg,
		      uint64_t bound_us, bool no_gst)
{
	struct run_line_args a = {sc, cfg, bound_us, no_gst};

	return line_by(sc, run_line, &a);
}

struct end_line_args {
	uint64_t t, lc, forged;
	const char *stop;
	int core_error;
	uint32_t core_replica;
};

static void end_line(struct trace *tr, const void *arg)
{
	const struct end_line_args *a = arg;

	tr->stamp = true;
	tr->lc = a->lc;
	tr->wall = clock_wall_us();
	tr->epoch = 0; /* the last line: above every other, no more */
	trace_end(tr, a->t, a->stop, a->forged, a->core_error, a->core_replica);
}

char *launch_end_line(const struct scenario *sc, uint64_t t, uint64_t lc,
		      const char *stop, uint64_t forged, int core_error,
		      uint32_t core_replica)
{
	struct end_line_args a = {t,	lc,	    forged,
				  stop, core_error, core_replica};

	return line_by(sc, end_line, &a);
}
