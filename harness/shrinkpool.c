/*
 * shrinkpool.c - shrinking on J worker processes (shrinkpool.h).
 *
 * A worker is forked from the parent, so a candidate (struct scenario,
 * whose protocol is a pointer into the registry) goes to it as its bytes,
 * and its result comes back so. Each message is fixed in size: a header
 * (sequence number, attempt, a magic number) and the structure.
 */
#define _DEFAULT_SOURCE /* wait4 */
#include "shrinkpool.h"

#include "results.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define POOL_MAGIC 0x42595a53u /* "BYZS" */

struct request {
	uint64_t seq;
	uint32_t attempt, magic;
	struct scenario sc;
};

struct reply {
	uint64_t seq;
	int32_t rc;
	uint32_t magic;
	struct scenario_result r;
};

/* ---- the worker -------------------------------------------------------- */

/* Read exactly len bytes: 1; 0 at the end of input before any; -1 on an
 * error or an end in the middle. */
static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 && got == 0 ? 0 : -1;
		got += (size_t)n;
	}
	return 1;
}

static void test_hook(uint64_t seq, unsigned attempt)
{
	const char *e = getenv("BYZLAB_TEST_KILL_SHRINK_WORKER");
	char *end;

	if (!e || !*e || strtoull(e, &end, 10) != seq)
		return;
	if (*end == '@' && strtoul(end + 1, NULL, 10) != attempt)
		return;
	raise(SIGKILL);
}

/* Run each candidate read from fd_in; answer on fd_out; exit at EOF. */
static void worker_main(int fd_in, int fd_out)
{
	static struct request rq;
	static struct reply rp;

	signal(SIGINT, SIG_IGN); /* the parent decides when to stop */
	signal(SIGTERM, SIG_DFL);
	for (;;) {
		int got = read_full(fd_in, &rq, sizeof rq);
		if (got == 0)
			_exit(0);
		if (got < 0 || rq.magic != POOL_MAGIC)
			_exit(3);
		test_hook(rq.seq, rq.attempt);
		memset(&rp, 0, sizeof rp);
		rp.seq = rq.seq;
		rp.magic = POOL_MAGIC;
		rq.sc.stop = NULL;
		rp.rc = scenario_run(&rq.sc, NULL, &rp.r);
		if (results_write_all(fd_out, (const char *)&rp, sizeof rp))
			_exit(3);
	}
}

/* ---- the parent -------------------------------------------------------- */

struct pworker {
	pid_t pid;
	int to, from;
	bool busy;
	size_t job;	 /* its candidate's shrinker (a place in jobs[]) */
	uint64_t job_id; /* ... which must still be this one */
	uint64_t ticket, seq;
	unsigned attempt;
	size_t got; /* bytes of the reply read so far */
};

struct pjob {
	struct shrinker *k; /* NULL: a free place */
	uint64_t id;
	unsigned out; /* its candidates on workers */
	bool idle;    /* had nothing to hand out this round */
};

/* A candidate whose worker died, to run once more. */
struct retry {
	size_t job;
	uint64_t job_id, ticket, seq;
	unsigned attempt;
};

struct pool {
	const struct shrinkpool_src *src;
	struct pworker w[WORKERS_MAX];
	struct reply *buf[WORKERS_MAX]; /* each worker's reply being read */
	struct pjob jobs[WORKERS_MAX];
	struct retry retry[WORKERS_MAX];
	size_t nretry;
	int nw, live;
	uint64_t next_id, seq;
	bool drained; /* src->take said there is no more */
	struct shrinkpool_stats *st;
};

static int spawn(struct pool *p, int i)
{
	struct pworker *w = &p->w[i];
	int a[2], b[2];

	if (pipe(a))
		return -1;
	if (pipe(b)) {
		close(a[0]);
		close(a[1]);
		return -1;
	}
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0) {
		close(a[0]);
		close(a[1]);
		close(b[0]);
		close(b[1]);
		w->pid = 0;
		return -1;
	}
	if (w->pid == 0) {
		/* Hold no end of the other workers' pipes: a worker sees the
		 * end of its input only when its parent closes it. */
		for (int k = 0; k < p->nw; k++)
			if (k != i && p->w[k].pid > 0) {
				close(p->w[k].to);
				close(p->w[k].from);
			}
		close(a[1]);
		close(b[0]);
		worker_main(a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	w->to = a[1];
	w->from = b[0];
	w->busy = false;
	w->got = 0;
	return 0;
}

/* Close worker w's pipes and wait for it (SIGTERM first if kill_it); its
 * CPU time added to *cpu; how it ended, in words, into how (if not
 * NULL). */
static void reap(struct pworker *w, bool kill_it, double *cpu, char *how,
		 size_t cap)
{
	struct rusage ru;
	int st = 0;

	if (w->pid <= 0)
		return;
	if (kill_it)
		kill(w->pid, SIGTERM);
	close(w->to);
	close(w->from);
	memset(&ru, 0, sizeof ru);
	while (wait4(w->pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	*cpu +=
	    (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	w->pid = 0;
	w->busy = false;
	if (!how)
		return;
	if (WIFSIGNALED(st))
		snprintf(how, cap, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(how, cap, "exited with status %d",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static struct pjob *job_of(struct pool *p, size_t job, uint64_t id)
{
	return job < WORKERS_MAX && p->jobs[job].k && p->jobs[job].id == id
		   ? &p->jobs[job]
		   : NULL;
}

static void end_job(struct pool *p, struct pjob *j, enum shrinkpool_end how,
		    const char *why)
{
	struct shrinker *k = j->k;

	j->k = NULL;
	j->out = 0;
	p->src->ended(p->src->ctx, k, how, why);
}

/* Hand worker i a candidate: seq and attempt as given. A failed write
 * means it died: poll sees the end of its pipe. */
static void send_to(struct pool *p, int i, size_t job,
		    const struct scenario *sc, uint64_t ticket, uint64_t seq,
		    unsigned attempt)
{
	static struct request rq;
	struct pworker *w = &p->w[i];
	unsigned busy = 0;

	memset(&rq, 0, sizeof rq);
	rq.seq = seq;
	rq.attempt = attempt;
	rq.magic = POOL_MAGIC;
	rq.sc = *sc;
	w->busy = true;
	w->job = job;
	w->job_id = p->jobs[job].id;
	w->ticket = ticket;
	w->seq = seq;
	w->attempt = attempt;
	w->got = 0;
	p->jobs[job].out++;
	p->st->handed++;
	results_write_all(w->to, (const char *)&rq, sizeof rq);
	for (int k = 0; k < p->nw; k++)
		busy += p->w[k].busy;
	if (busy > p->st->max_busy)
		p->st->max_busy = busy;
}

/* Give idle worker i something to run: a candidate to run once more, or
 * the next candidate of the shrinker with the fewest out. */
static void feed(struct pool *p, int i)
{
	while (p->nretry) {
		struct retry r = p->retry[--p->nretry];
		struct pjob *j = job_of(p, r.job, r.job_id);
		const struct scenario *sc =
		    j ? shrinker_wanted(j->k, r.ticket) : NULL;
		if (sc) {
			send_to(p, i, r.job, sc, r.ticket, r.seq, r.attempt);
			return;
		}
	}
	for (;;) {
		struct pjob *best = NULL;
		const struct scenario *sc;
		uint64_t ticket;
		size_t held = 0;
		/* Memory: at most 2 J candidates held (out, or done and
		 * waiting for an earlier one), each a scenario and a result. */
		for (size_t k = 0; k < WORKERS_MAX; k++)
			if (p->jobs[k].k)
				held += p->jobs[k].k->len;
		if (held >= 2 * (size_t)p->nw)
			return;
		for (size_t k = 0; k < WORKERS_MAX; k++) {
			struct pjob *j = &p->jobs[k];
			if (j->k && !j->idle && !shrinker_done(j->k) &&
			    j->k->len < j->k->window &&
			    (!best || j->out < best->out))
				best = j;
		}
		if (!best)
			return;
		sc = shrinker_next(best->k, &ticket);
		if (sc) {
			send_to(p, i, (size_t)(best - p->jobs), sc, ticket,
				++p->seq, 1);
			return;
		}
		/* It waits for its results (or has ended). */
		if (shrinker_done(best->k))
			end_job(p, best, SHRINKPOOL_ENDED, NULL);
		else
			best->idle = true; /* until unmark() */
	}
}

/* Undo feed's marks of shrinkers that had nothing to hand out. */
static void unmark(struct pool *p)
{
	for (size_t k = 0; k < WORKERS_MAX; k++)
		if (p->jobs[k].k)
			p->jobs[k].idle = false;
}

/* Start shrinkers while there are places for them: up to 4 J at once,
 * so that a long candidate of one group runs while the others go on. */
static void start_jobs(struct pool *p)
{
	size_t places = 4 * (size_t)p->nw;

	if (places > WORKERS_MAX)
		places = WORKERS_MAX;
	for (size_t k = 0; k < places && !p->drained; k++) {
		struct shrinker *sk;
		if (p->jobs[k].k)
			continue;
		sk = p->src->take(p->src->ctx);
		if (!sk) {
			p->drained = true;
			break;
		}
		p->jobs[k] = (struct pjob){.k = sk, .id = ++p->next_id};
		if (shrinker_done(sk))
			end_job(p, &p->jobs[k], SHRINKPOOL_ENDED, NULL);
	}
}

/* Worker i died: replace it; run its candidate once more, or end its
 * shrinker as lost the second time. */
static void died(struct pool *p, int i)
{
	struct pworker *w = &p->w[i];
	struct pjob *j = w->busy ? job_of(p, w->job, w->job_id) : NULL;
	char how[128], why[400];

	reap(w, false, &p->st->cpu[i], how, sizeof how);
	p->st->deaths++;
	if (j) {
		j->out--;
		if (!shrinker_wanted(j->k, w->ticket)) {
			/* nobody waits for it */
		} else if (w->attempt < 2) {
			fprintf(
			    stderr,
			    "byzlab: the shrink worker on candidate %" PRIu64
			    " %s; running it once more on a new worker\n",
			    w->seq, how);
			p->retry[p->nretry++] = (struct retry){
			    w->job, w->job_id, w->ticket, w->seq, 2};
		} else {
			snprintf(why, sizeof why,
				 "the shrink worker on candidate %" PRIu64
				 " died twice (%s)",
				 w->seq, how);
			end_job(p, j, SHRINKPOOL_LOST, why);
		}
	}
	if (spawn(p, i)) {
		fprintf(stderr, "byzlab: cannot start a shrink worker: %s\n",
			strerror(errno));
		p->live--;
	}
}

/* End the runs no shrinker waits for any more (those run ahead of a kept
 * candidate, those of a shrinker that has ended): a worker on one is
 * killed and replaced, so that it is free at once (such a run can be
 * long: one built before "stop at the first violation" was kept runs to
 * its end). */
static void cancel_unwanted(struct pool *p)
{
	for (int i = 0; i < p->nw; i++) {
		struct pworker *w = &p->w[i];
		struct pjob *j;
		if (w->pid <= 0 || !w->busy)
			continue;
		j = job_of(p, w->job, w->job_id);
		if (j && shrinker_wanted(j->k, w->ticket))
			continue;
		kill(w->pid, SIGKILL);
		reap(w, false, &p->st->cpu[i], NULL, 0);
		p->st->cancelled++;
		if (j)
			j->out--;
		if (spawn(p, i)) {
			fprintf(stderr,
				"byzlab: cannot start a shrink worker: %s\n",
				strerror(errno));
			p->live--;
		}
	}
}

/* Read what worker i has sent; a whole reply goes to its shrinker. */
static void collect(struct pool *p, int i)
{
	struct pworker *w = &p->w[i];
	struct reply *rp = p->buf[i];
	ssize_t n = read(w->from, (char *)rp + w->got, sizeof *rp - w->got);
	struct pjob *j;

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		died(p, i);
		return;
	}
	w->got += (size_t)n;
	if (w->got < sizeof *rp)
		return;
	if (rp->magic != POOL_MAGIC || rp->seq != w->seq) {
		kill(w->pid, SIGKILL); /* not our protocol: a new one */
		w->attempt = 2;
		died(p, i);
		return;
	}
	w->busy = false;
	w->got = 0;
	p->st->per_worker[i]++;
	j = job_of(p, w->job, w->job_id);
	if (!j) {
		p->st->thrown++;
		return;
	}
	j->out--;
	/* The strings must end where they should; the driver is the
	 * simulator's. */
	rp->r.why[sizeof rp->r.why - 1] = '\0';
	rp->r.trace_hash[sizeof rp->r.trace_hash - 1] = '\0';
	rp->r.run_folder[sizeof rp->r.run_folder - 1] = '\0';
	rp->r.driver = NULL;
	if (rp->r.verdict > VERDICT_WALL)
		rp->r.verdict = VERDICT_ERROR;
	{
		unsigned before = j->k->thrown;
		shrinker_result(j->k, w->ticket, rp->rc, &rp->r);
		p->st->thrown += j->k->thrown - before;
	}
	if (shrinker_done(j->k))
		end_job(p, j, SHRINKPOOL_ENDED, NULL);
}

/* End every shrinker under way (how), and those not yet taken when
 * SHRINKPOOL_LOST. */
static void end_all(struct pool *p, enum shrinkpool_end how, const char *why)
{
	for (size_t k = 0; k < WORKERS_MAX; k++)
		if (p->jobs[k].k)
			end_job(p, &p->jobs[k], how, why);
	if (how != SHRINKPOOL_LOST)
		return;
	while (!p->drained) {
		struct shrinker *sk = p->src->take(p->src->ctx);
		if (!sk)
			p->drained = true;
		else
			p->src->ended(p->src->ctx, sk, how, why);
	}
}

int shrinkpool_run(const struct shrinkpool_src *src, int jobs,
		   volatile sig_atomic_t *stop, struct shrinkpool_stats *st)
{
	static struct pool p;
	struct shrinkpool_stats own;
	struct pollfd pf[WORKERS_MAX];
	int ix[WORKERS_MAX], rc = 0;
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);

	memset(&p, 0, sizeof p);
	p.src = src;
	p.st = st ? st : &own;
	memset(p.st, 0, sizeof *p.st);
	p.nw = jobs < 1 ? 1 : jobs > WORKERS_MAX ? WORKERS_MAX : jobs;
	for (int i = 0; i < p.nw; i++) {
		p.buf[i] = malloc(sizeof *p.buf[i]);
		if (!p.buf[i] || spawn(&p, i)) {
			int e = p.buf[i] ? errno : ENOMEM;
			free(p.buf[i]);
			p.buf[i] = NULL;
			p.nw = i;
			errno = e;
			break;
		}
		p.live++;
	}
	p.st->workers = (unsigned)p.nw;
	if (!p.nw) {
		char why[160];
		snprintf(why, sizeof why, "cannot start a shrink worker: %s",
			 strerror(errno));
		end_all(&p, SHRINKPOOL_LOST, why);
		rc = -2;
		goto out;
	}
	for (;;) {
		int n = 0;
		if (stop && *stop) {
			end_all(&p, SHRINKPOOL_STOPPED, NULL);
			rc = -1;
			break;
		}
		cancel_unwanted(&p);
		start_jobs(&p);
		for (int i = 0; i < p.nw; i++)
			if (p.w[i].pid > 0 && !p.w[i].busy)
				feed(&p, i);
		unmark(&p);
		start_jobs(&p); /* in the places of those that ended */
		for (int i = 0; i < p.nw; i++)
			if (p.w[i].pid > 0 && !p.w[i].busy)
				feed(&p, i);
		unmark(&p);
		for (int i = 0; i < p.nw; i++)
			if (p.w[i].pid > 0 && p.w[i].busy) {
				ix[n] = i;
				pf[n++] = (struct pollfd){.fd = p.w[i].from,
							  .events = POLLIN};
			}
		if (!n) {
			bool any = false;
			for (size_t k = 0; k < WORKERS_MAX; k++)
				any |= p.jobs[k].k != NULL;
			if (!any && p.drained)
				break; /* all done */
			if (!p.live) {
				end_all(&p, SHRINKPOOL_LOST,
					"no shrink worker is left");
				rc = -2;
				break;
			}
			if (!any)
				continue; /* more to take */
			/* A shrinker under way with nothing out cannot be:
			 * each waits only for candidates out. */
			end_all(&p, SHRINKPOOL_LOST,
				"the shrink pool lost track of its candidates");
			rc = -2;
			break;
		}
		if (poll(pf, (nfds_t)n, 250) < 0) {
			if (errno == EINTR)
				continue;
			end_all(&p, SHRINKPOOL_LOST, strerror(errno));
			rc = -2;
			break;
		}
		for (int k = 0; k < n; k++)
			if (pf[k].revents & (POLLIN | POLLHUP | POLLERR))
				collect(&p, ix[k]);
	}
out:
	for (int i = 0; i < p.nw; i++) {
		reap(&p.w[i], p.w[i].busy, &p.st->cpu[i], NULL, 0);
		free(p.buf[i]);
	}
	signal(SIGPIPE, old_pipe);
	return rc;
}

void shrinkpool_describe(const struct shrinkpool_stats *st, char *buf,
			 size_t cap)
{
	size_t len;

	snprintf(buf, cap,
		 "%" PRIu64 " candidate runs on %u worker process%s (",
		 st->handed, st->workers, st->workers == 1 ? "" : "es");
	for (unsigned i = 0; i < st->workers; i++) {
		len = strlen(buf);
		snprintf(buf + len, cap - len, "%s%" PRIu64, i ? ", " : "",
			 st->per_worker[i]);
	}
	len = strlen(buf);
	snprintf(buf + len, cap - len, "; CPU-s ");
	for (unsigned i = 0; i < st->workers; i++) {
		len = strlen(buf);
		snprintf(buf + len, cap - len, "%s%.2f", i ? ", " : "",
			 st->cpu[i]);
	}
	len = strlen(buf);
	snprintf(buf + len, cap - len,
		 "), at most %u at once; %" PRIu64 " thrown away (%" PRIu64
		 " of them cut short)",
		 st->max_busy, st->thrown, st->cancelled);
}
