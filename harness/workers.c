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

/*
 * The test hook of a dying worker (docs/campaigns.md, "A worker that
 * dies"): BYZLAB_TEST_KILL_WORKER=K kills the worker that starts run K,
 * at every attempt; K@A only at attempt A (1 or 2). Nothing else reads
 * it; a campaign without it is untouched.
 */
static void test_hook(uint64_t k, unsigned attempt)
{
	const char *e = getenv("BYZLAB_TEST_KILL_WORKER");
	char *end;
	unsigned long long want;

	if (!e || !*e)
		return;
	want = strtoull(e, &end, 10);
	if (want != k)
		return;
	if (*end == '@' && strtoul(end + 1, NULL, 10) != attempt)
		return;
	raise(SIGKILL);
}

/* A worker: read run numbers and attempts ("K A", one a line) from fd_in,
 * answer each with its record line on fd_out; exit at EOF. */
static void worker_main(const struct campaign *c, const char *out_dir,
			int fd_in, int fd_out, double t0)
{
	FILE *in = fdopen(fd_in, "r");
	char buf[64];

	signal(SIGINT, SIG_IGN); /* the parent decides when to stop */
	signal(SIGTERM, SIG_DFL);
	while (in && fgets(buf, sizeof buf, in)) {
		char *end;
		uint64_t k = strtoull(buf, &end, 10);
		unsigned attempt = (unsigned)strtoul(end, NULL, 10);
		char *line;
		test_hook(k, attempt);
		line = results_run_one(c, out_dir, k, t0);
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
	uint64_t pos; /* its place in todo[] */
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
		for (int k = 0; k < WORKERS_MAX; k++)
			if (k != i && all[k].pid > 0) {
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

/* Reap worker w: close its pipes and wait for it; how it ended, in words,
 * into how (if not NULL). */
static void reap(struct worker *w, bool kill_it, char *how, size_t cap)
{
	int st = 0;

	if (w->pid <= 0)
		return;
	if (kill_it)
		kill(w->pid, SIGTERM);
	close(w->to);
	close(w->from);
	if (waitpid(w->pid, &st, 0) < 0)
		st = -1;
	w->pid = 0;
	if (!how)
		return;
	if (st == -1)
		snprintf(how, cap, "lost (waitpid: %s)", strerror(errno));
	else if (WIFSIGNALED(st))
		snprintf(how, cap, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(how, cap, "exited with status %d",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* What is left to hand out: runs whose worker died, to try once more,
 * before the next new one. */
struct queue {
	const uint64_t *todo;
	uint64_t ntodo, next;
	uint64_t *retry; /* positions in todo[] */
	uint64_t nretry;
	uint8_t *attempts; /* per position */
};

/* Give an idle worker the next run, or, when none is left, end it.
 * Whether it is still alive. */
static bool feed(struct worker *w, struct queue *q)
{
	char num[48];
	bool have = false;

	if (w->busy)
		return true;
	if (q->nretry) {
		w->pos = q->retry[--q->nretry];
		have = true;
	} else if (q->next < q->ntodo) {
		w->pos = q->next++;
		have = true;
	}
	if (have) {
		w->run = q->todo[w->pos];
		q->attempts[w->pos]++;
		snprintf(num, sizeof num, "%" PRIu64 " %u\n", w->run,
			 (unsigned)q->attempts[w->pos]);
		/* A failed write means it died: poll sees its end and
		 * died() decides what becomes of the run. */
		results_write_all(w->to, num, strlen(num));
		w->busy = true;
	}
	if (!w->busy && !have)
		reap(w, false, NULL, 0);
	return w->busy || w->pid > 0;
}

/* Append one record line (with its newline) to runs.jsonl and count it.
 * 0, or -1 if the write failed. */
static int append(int fd, char *line, size_t len, struct progress *p)
{
	if (results_append(fd, line, len, &p->missing) < 0) {
		if (p->missing.n <= RESULTS_MISSING_SHOWN)
			fprintf(stderr, "\nbyzlab campaign: %s\n",
				p->missing.what[p->missing.n - 1]);
		return -1;
	}
	line[len - 1] = '\0';
	account(p, line);
	line[len - 1] = '\n';
	return 0;
}

/*
 * Worker w died on its run: try the run once more on a new worker in its
 * place, or, the second time, record it as a harness error (not a
 * protocol's verdict). 0; 1 if no worker could be started in its place;
 * -1 if writing runs.jsonl failed.
 */
static int died(struct worker *all, int i, const struct campaign *c,
		const char *out, int fd, struct queue *q, struct progress *p)
{
	struct worker *w = &all[i];
	char how[128], why[256];
	uint64_t run = w->run, pos = w->pos;

	reap(w, false, how, sizeof how);
	w->busy = false;
	w->len = 0;
	if (q->attempts[pos] < 2) {
		fprintf(stderr,
			"\nbyzlab campaign: the worker on run %" PRIu64
			" %s; trying the run once more on a new worker\n",
			run, how);
		q->retry[q->nretry++] = pos;
	} else {
		char *line;
		int rc;
		snprintf(why, sizeof why,
			 "harness: the worker on this run died twice (%s); "
			 "no verdict",
			 how);
		fprintf(stderr,
			"\nbyzlab campaign: the worker on run %" PRIu64
			" %s again; recorded as a harness error\n",
			run, how);
		line = results_harness_error(c, run, why, p->t0);
		size_t len = line ? strlen(line) : 0;
		char *nl = line ? realloc(line, len + 2) : NULL;
		if (!nl) {
			free(line);
			results_missing_add(&p->missing,
					    "run %" PRIu64 ": not recorded: "
					    "out of memory",
					    run);
			p->missing.runs_unrecorded++;
			p->missing.stopped = true;
			return -1;
		}
		memcpy(nl + len, "\n", 2);
		rc = append(fd, nl, len + 1, p);
		free(nl);
		if (rc)
			return -1;
	}
	if (spawn(all, i, c, out, p->t0)) {
		fprintf(stderr,
			"byzlab campaign: cannot start a worker in its place: "
			"%s\n",
			strerror(errno));
		w->pid = 0;
		return 1;
	}
	return 0;
}

/*
 * Read what worker w has written; append each complete record line to fd
 * and count it. 0; 1 if the worker died; -1 if writing runs.jsonl failed
 * or memory ran out (the campaign must stop).
 */
static int collect(struct worker *w, int fd, struct progress *p)
{
	char chunk[65536], *nl;
	ssize_t got = read(w->from, chunk, sizeof chunk);

	if (got <= 0)
		return 1;
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
	if (append(fd, w->buf, linelen, p))
		return -1;
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
	int ix[WORKERS_MAX];
	struct queue q = {.todo = todo, .ntodo = ntodo};
	int live = 0, rc = 0;

	if ((uint64_t)jobs > ntodo)
		jobs = ntodo ? (int)ntodo : 1;
	q.retry = calloc(ntodo ? ntodo : 1, sizeof *q.retry);
	q.attempts = calloc(ntodo ? ntodo : 1, 1);
	if (!q.retry || !q.attempts) {
		free(q.retry);
		free(q.attempts);
		fprintf(stderr, "byzlab campaign: out of memory\n");
		return -1;
	}
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
			if (!feed(&w[i], &q)) {
				live--;
				continue;
			}
			ix[n] = i;
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
		for (int j = 0; j < n; j++) {
			int i = ix[j], got;
			if (!(pf[j].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = collect(&w[i], fd, p);
			if (got > 0)
				got = died(w, i, c, out, fd, &q, p);
			if (got > 0) {
				live--; /* no worker in its place */
				rc = -1;
			} else if (got < 0) { /* p->missing.stopped */
				rc = -1;
			}
		}
		progress_show(p, false);
	}
	if (!rc && !*stop_flag && !p->missing.stopped &&
	    !(p->stop_at_unexpected && p->unexpected) &&
	    (q.next < q.ntodo || q.nretry)) {
		fprintf(stderr,
			"byzlab campaign: no worker left: %" PRIu64
			" runs not run (--resume runs them)\n",
			q.ntodo - q.next + q.nretry);
		rc = -1;
	}
	for (int i = 0; i < jobs; i++) {
		reap(&w[i], true, NULL, 0);
		free(w[i].buf);
	}
	free(q.retry);
	free(q.attempts);
	if (fsync(fd) && errno != EINVAL)
		results_missing_add(&p->missing,
				    "cannot write '%s/runs.jsonl': %s", out,
				    strerror(errno));
	return rc;
}
