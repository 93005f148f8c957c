/*
 * workers.c - the worker pool of a campaign (workers.h).
 */
#include "workers.h"

#include "results.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* A worker: read run numbers (one a line) from fd_in, answer each with its
 * record line on fd_out; exit at EOF. */
static void worker_main(const struct campaign *c, const char *out_dir,
			int fd_in, int fd_out, double t0)
{
	FILE *in = fdopen(fd_in, "r");
	char buf[64];

	signal(SIGINT, SIG_IGN); /* the parent decides when to stop */
	signal(SIGTERM, SIG_DFL);
	while (in && fgets(buf, sizeof buf, in)) {
		uint64_t k = strtoull(buf, NULL, 10);
		char *line = results_run_one(c, out_dir, k, t0);
		if (!line)
			_exit(3);
		if (results_write_all(fd_out, line, strlen(line)) ||
		    results_write_all(fd_out, "\n", 1))
			_exit(3);
		free(line);
	}
	_exit(0);
}

/* ---- the parent -------------------------------------------------------- */

struct worker {
	pid_t pid;
	int to, from; /* pipes: run numbers out, records in */
	bool busy;
	uint64_t run; /* the run it is on, when busy */
	char *buf;
	size_t len, cap;
};

void progress_show(struct progress *p, bool final)
{
	double t = results_now(), el = t - p->t0,
	       rate = el > 0 ? (double)p->done / el : 0;
	int width = 28, fill;
	char bar[64];

	if (p->quiet || (!final && t - p->last < (p->tty ? 0.25 : 10.0)))
		return;
	p->last = t;
	fill = p->total
		   ? (int)((double)width * (double)p->done / (double)p->total)
		   : width;
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = '\0';
	fprintf(stderr,
		"%s[%s] %" PRIu64 "/%" PRIu64 " %3.0f%%  %.1f runs/s  "
		"ETA %.0fs  unsafe %" PRIu64 "  unexpected %" PRIu64 "%s",
		p->tty ? "\r" : "", bar, p->done, p->total,
		p->total ? 100.0 * (double)p->done / (double)p->total : 100.0,
		rate, rate > 0 ? (double)(p->total - p->done) / rate : 0.0,
		p->unsafe, p->unexpected, p->tty && !final ? "   " : "\n");
	fflush(stderr);
}

static int spawn(struct worker *all, int i, const struct campaign *c,
		 const char *out, double t0)
{
	struct worker *w = &all[i];
	int a[2], b[2];

	if (pipe(a) || pipe(b))
		return -1;
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (w->pid == 0) {
		/* Hold no end of the other workers' pipes: a worker sees the
		 * end of its input only when every write end is closed. */
		for (int k = 0; k < i; k++)
			if (all[k].pid > 0) {
				close(all[k].to);
				close(all[k].from);
			}
		close(a[1]);
		close(b[0]);
		worker_main(c, out, a[0], b[1], t0);
	}
	close(a[0]);
	close(b[1]);
	w->to = a[1];
	w->from = b[0];
	w->busy = false;
	w->len = 0;
	return 0;
}

static void account(struct progress *p, const char *line)
{
	json_t *rec = json_loads(line, 0, NULL);

	p->done++;
	if (rec) {
		p->unsafe += json_is_false(json_object_get(rec, "safe"));
		const char *verdict =
		    json_string_value(json_object_get(rec, "verdict"));
		bool missed = json_is_false(json_object_get(rec, "met")) ||
			      (verdict && !strcmp(verdict, "error"));
		const char *id = json_string_value(json_object_get(rec, "id"));
		if (missed && !p->unexpected) {
			p->first_unexpected_s = results_now() - p->t0;
			snprintf(p->first_unexpected,
				 sizeof p->first_unexpected, "%s",
				 id ? id : "");
		}
		p->unexpected += missed;
		json_decref(rec);
	}
}

/* Reap worker i: close its pipes and wait for it. */
static void reap(struct worker *w, bool kill_it)
{
	if (w->pid <= 0)
		return;
	if (kill_it)
		kill(w->pid, SIGTERM);
	close(w->to);
	close(w->from);
	waitpid(w->pid, NULL, 0);
	w->pid = 0;
}

/* Give an idle worker the next run, or, when none is left, end it.
 * Whether it is still alive. */
static bool feed(struct worker *w, const uint64_t *todo, uint64_t ntodo,
		 uint64_t *next)
{
	char num[32];

	if (w->busy)
		return true;
	if (*next < ntodo) {
		w->run = todo[(*next)++];
		snprintf(num, sizeof num, "%" PRIu64 "\n", w->run);
		if (results_write_all(w->to, num, strlen(num)) == 0)
			w->busy = true;
	}
	if (!w->busy)
		reap(w, false);
	return w->busy;
}

/*
 * Read what worker w has written; append each complete record line to fd
 * and count it. 0; 1 if the worker died (its run is lost); -1 if writing
 * runs.jsonl failed or memory ran out (the campaign must stop).
 */
static int collect(struct worker *w, int fd, struct progress *p)
{
	char chunk[65536], *nl;
	ssize_t got = read(w->from, chunk, sizeof chunk);

	if (got <= 0) {
		fprintf(stderr,
			"\nbyzlab campaign: a worker died on run %" PRIu64
			" (lost; --resume runs it again); going on with the "
			"others\n",
			w->run);
		reap(w, false);
		return 1;
	}
	if (w->len + (size_t)got + 1 > w->cap) {
		size_t ncap = (w->len + (size_t)got + 1) * 2;
		char *nb = realloc(w->buf, ncap);
		if (!nb) {
			results_missing_add(&p->missing,
					    "run %" PRIu64 ": not recorded: "
					    "out of memory",
					    w->run);
			p->missing.runs_unrecorded++;
			p->missing.stopped = true;
			return -1;
		}
		w->buf = nb;
		w->cap = ncap;
	}
	memcpy(w->buf + w->len, chunk, (size_t)got);
	w->len += (size_t)got;
	w->buf[w->len] = '\0';
	nl = memchr(w->buf, '\n', w->len);
	if (!nl)
		return 0;
	size_t linelen = (size_t)(nl - w->buf) + 1;
	if (results_append(fd, w->buf, linelen, &p->missing) < 0) {
		if (p->missing.n <= RESULTS_MISSING_SHOWN)
			fprintf(stderr, "\nbyzlab campaign: %s\n",
				p->missing.what[p->missing.n - 1]);
		return -1;
	}
	*nl = '\0';
	account(p, w->buf);
	memmove(w->buf, w->buf + linelen, w->len - linelen);
	w->len -= linelen;
	w->busy = false;
	return 0;
}

int workers_run(const struct campaign *c, const char *out, int fd,
		const uint64_t *todo, uint64_t ntodo, int jobs,
		struct progress *p, volatile sig_atomic_t *stop_flag)
{
	struct worker w[WORKERS_MAX];
	struct pollfd pf[WORKERS_MAX];
	uint64_t next = 0;
	int live = 0, rc = 0;

	if ((uint64_t)jobs > ntodo)
		jobs = ntodo ? (int)ntodo : 1;
	memset(w, 0, sizeof w);
	for (int i = 0; i < jobs; i++) {
		if (spawn(w, i, c, out, p->t0)) {
			fprintf(stderr,
				"byzlab campaign: cannot start a worker: %s\n",
				strerror(errno));
			jobs = i;
			break;
		}
		live++;
	}
	p->missing.dir = out;
	while (live && !*stop_flag && !p->missing.stopped &&
	       !(p->stop_at_unexpected && p->unexpected)) {
		int n = 0;
		for (int i = 0; i < jobs; i++) {
			if (w[i].pid <= 0)
				continue;
			if (!feed(&w[i], todo, ntodo, &next)) {
				live--;
				continue;
			}
			pf[n++] =
			    (struct pollfd){.fd = w[i].from, .events = POLLIN};
		}
		if (!n)
			break;
		if (poll(pf, (nfds_t)n, 250) < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		for (int i = 0, j = 0; i < jobs; i++) {
			int got;
			if (w[i].pid <= 0 || !w[i].busy)
				continue;
			if (!(pf[j++].revents & (POLLIN | POLLHUP)))
				continue;
			got = collect(&w[i], fd, p);
			if (got) { /* got < 0: p->missing.stopped */
				rc = -1;
				live -= got > 0;
			}
		}
		progress_show(p, false);
	}
	for (int i = 0; i < jobs; i++) {
		reap(&w[i], true);
		free(w[i].buf);
	}
	if (fsync(fd) && errno != EINVAL)
		results_missing_add(&p->missing,
				    "cannot write '%s/runs.jsonl': %s", out,
				    strerror(errno));
	return rc;
}
