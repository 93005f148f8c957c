/*
 * cmd_campaign.c - `byzlab campaign FILE --out DIR`: run a campaign's
 * scenarios on J worker processes, write every finished run at once
 * (runs.jsonl, failures/<id>.json), shrink the violations the campaign
 * asks for, and end with the threshold table (summary.md).
 *
 * Nothing finished is lost: the parent appends one complete line per run
 * with a single write(2) as soon as a worker reports it; an interrupted
 * campaign (SIGINT, SIGTERM) stops its workers, keeps what is written and
 * can go on with --resume. --shard K/N runs every N-th run from the K-th,
 * so shards on many machines together run each run once; --merge combines
 * their directories.
 */
#include "campaign.h"
#include "cli.h"
#include "failure.h"
#include "scenario_io.h"
#include "shrink.h"
#include "summary.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 64

static const char campaign_usage[] =
	"Usage: byzlab campaign FILE --out DIR [OPTIONS]\n"
	"       byzlab campaign --merge DIR... --out DIR\n"
	"\n"
	"Run every scenario of a campaign file (docs/campaigns.md) in the\n"
	"simulator on J processes, check each against its cell's expectation\n"
	"(safe, live, violation-found) and write into DIR:\n"
	"  runs.jsonl          one line per finished run: parameters, verdicts,\n"
	"                      message counters, rejections, trace hash, time\n"
	"  failures/<id>.json  every run that broke safety or missed its\n"
	"                      expectation, with all it takes to replay it\n"
	"                      (byzlab replay) or shrink it (byzlab shrink)\n"
	"  failures/<id>.shrunk.json  the shrunk counterexample of each group\n"
	"                      whose cell says `shrink: true`\n"
	"  summary.md          the threshold table: for each protocol and n,\n"
	"                      Byzantine count b against the share of runs that\n"
	"                      broke safety or liveness\n"
	"\n"
	"Options:\n"
	"  --out DIR       the results directory (created)\n"
	"  --jobs J        worker processes (default: the number of CPUs)\n"
	"  --shard K/N     run only runs K-1, K-1+N, K-1+2N, ... (1 <= K <= N):\n"
	"                  for Slurm arrays, Kubernetes indexed Jobs, GNU parallel\n"
	"  --resume        DIR has runs of this campaign already: skip them\n"
	"  --force         start again in a DIR that has runs (they are removed)\n"
	"  --no-shrink     do not shrink violations\n"
	"  --list          print the runs (id and attacks) and exit\n"
	"  --merge DIR...  combine shard directories into --out DIR and write\n"
	"                  its summary\n"
	"  -q, --quiet     no progress bar\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0 every expectation held; 1 one did not; 2 bad usage or\n"
	"a bad campaign file; 130 interrupted (finished runs are kept; go on\n"
	"with --resume).\n"
	"\n"
	"Example:\n"
	"  byzlab campaign campaigns/threshold.yaml --out results/threshold\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int mkdir_p(const char *dir)
{
	char buf[1024];
	size_t len = strlen(dir);

	if (len >= sizeof buf)
		return -1;
	strcpy(buf, dir);
	for (size_t i = 1; i <= len; i++)
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0777) && errno != EEXIST)
				return -1;
			buf[i] = c;
		}
	return 0;
}

/* Write all of buf (one line) to fd. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* ---- one run, in a worker ------------------------------------------------ */

/* Whether a run met its expectation: false/true, or NULL for a group-only
 * expectation (violation-found). */
static json_t *met_json(unsigned expect, const struct scenario_result *res)
{
	if (res->verdict == VERDICT_ERROR)
		return json_false();
	if ((expect & EXPECT_SAFE) && !res->safe)
		return json_false();
	if ((expect & EXPECT_LIVE) && res->live_judged && !res->live)
		return json_false();
	if (expect & (EXPECT_SAFE | EXPECT_LIVE))
		return json_true();
	return json_null();
}

static char *run_one(const struct campaign *c, const char *out_dir,
		     uint64_t k, double t0)
{
	struct run_spec rs;
	struct scenario_result res;
	char why[512], exp[64];
	json_t *rec, *met;
	char *line;

	if (campaign_run_spec(c, k, &rs, why, sizeof why)) {
		rec = json_pack("{s:s,s:I,s:s,s:s}", "id", "bad-run", "index",
				(json_int_t)k, "verdict", "error", "why", why);
	} else {
		scenario_run(&rs.sc, NULL, &res);
		expect_text(rs.expect, exp, sizeof exp);
		rec = scenario_result_json(&rs.sc, &res);
		met = met_json(rs.expect, &res);
		json_object_set_new(rec, "id", json_string(rs.id));
		json_object_set_new(rec, "index", json_integer((json_int_t)k));
		json_object_set_new(rec, "campaign", json_string(c->name));
		json_object_set_new(rec, "cell", json_string(c->cells[rs.cell].name));
		json_object_set_new(rec, "b", json_integer(rs.b));
		json_object_set_new(rec, "expect", json_string(exp));
		json_object_set_new(rec, "elapsed_s", json_real(now_s() - t0));
		if (!res.safe || json_is_false(met)) {
			char path[1400];
			json_t *doc = failure_json(rs.id, c->name, exp, &rs.sc, &res);
			snprintf(path, sizeof path, "%s/failures/%s.json", out_dir,
				 rs.id);
			if (failure_write(path, doc, why, sizeof why))
				fprintf(stderr, "byzlab campaign: %s\n", why);
			json_decref(doc);
			snprintf(path, sizeof path, "failures/%s.json", rs.id);
			json_object_set_new(rec, "failure", json_string(path));
		}
		json_object_set_new(rec, "met", met);
		json_object_set_new(rec, "scenario", scenario_to_json(&rs.sc));
	}
	line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rec);
	return line;
}

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
		char *line = run_one(c, out_dir, k, t0);
		if (!line)
			_exit(3);
		if (write_all(fd_out, line, strlen(line)) ||
		    write_all(fd_out, "\n", 1))
			_exit(3);
		free(line);
	}
	_exit(0);
}

/* ---- the parent -------------------------------------------------------- */

struct worker {
	pid_t pid;
	int to, from;      /* pipes: run numbers out, records in */
	bool busy;
	uint64_t run;      /* the run it is on, when busy */
	char *buf;
	size_t len, cap;
};

struct progress {
	uint64_t total, done, unsafe, unexpected;
	double t0, last;
	bool tty, quiet;
};

static void progress_show(struct progress *p, bool final)
{
	double t = now_s(), el = t - p->t0, rate = el > 0 ? (double)p->done / el : 0;
	int width = 28, fill;
	char bar[64];

	if (p->quiet || (!final && t - p->last < (p->tty ? 0.25 : 10.0)))
		return;
	p->last = t;
	fill = p->total ? (int)((double)width * (double)p->done / (double)p->total)
			: width;
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = '\0';
	fprintf(stderr, "%s[%s] %" PRIu64 "/%" PRIu64 " %3.0f%%  %.1f runs/s  "
		"ETA %.0fs  unsafe %" PRIu64 "  unexpected %" PRIu64 "%s",
		p->tty ? "\r" : "", bar, p->done, p->total,
		p->total ? 100.0 * (double)p->done / (double)p->total : 100.0, rate,
		rate > 0 ? (double)(p->total - p->done) / rate : 0.0, p->unsafe,
		p->unexpected, p->tty && !final ? "   " : "\n");
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
		p->unexpected += json_is_false(json_object_get(rec, "met")) ||
				 (verdict && !strcmp(verdict, "error"));
		json_decref(rec);
	}
}

/* Run the given run numbers on jobs workers; append each record to fd. */
static int run_all(const struct campaign *c, const char *out, int fd,
		   const uint64_t *todo, uint64_t ntodo, int jobs,
		   struct progress *p)
{
	struct worker w[MAX_JOBS];
	struct pollfd pf[MAX_JOBS];
	uint64_t next = 0;
	int live = 0, rc = 0;

	if ((uint64_t)jobs > ntodo)
		jobs = ntodo ? (int)ntodo : 1;
	memset(w, 0, sizeof w);
	for (int i = 0; i < jobs; i++) {
		if (spawn(w, i, c, out, p->t0)) {
			fprintf(stderr, "byzlab campaign: cannot start a worker: %s\n",
				strerror(errno));
			jobs = i;
			break;
		}
		live++;
	}
	while (live && !stop_flag) {
		int n = 0;
		for (int i = 0; i < jobs; i++) {
			if (w[i].pid <= 0)
				continue;
			if (!w[i].busy) {
				char num[32];
				if (next < ntodo) {
					w[i].run = todo[next++];
					snprintf(num, sizeof num, "%" PRIu64 "\n",
						 w[i].run);
					if (write_all(w[i].to, num, strlen(num)) == 0)
						w[i].busy = true;
				}
				if (!w[i].busy) {
					close(w[i].to);
					close(w[i].from);
					waitpid(w[i].pid, NULL, 0);
					w[i].pid = 0;
					live--;
					continue;
				}
			}
			pf[n].fd = w[i].from;
			pf[n].events = POLLIN;
			pf[n].revents = 0;
			n++;
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
			char chunk[65536];
			ssize_t got;
			char *nl;
			if (w[i].pid <= 0 || !w[i].busy)
				continue;
			if (!(pf[j++].revents & (POLLIN | POLLHUP)))
				continue;
			got = read(w[i].from, chunk, sizeof chunk);
			if (got <= 0) {
				fprintf(stderr, "\nbyzlab campaign: a worker died on "
					"run %" PRIu64 " (lost; --resume runs it "
					"again); going on with the others\n",
					w[i].run);
				close(w[i].to);
				close(w[i].from);
				waitpid(w[i].pid, NULL, 0);
				w[i].pid = 0;
				live--;
				rc = -1;
				continue;
			}
			if (w[i].len + (size_t)got + 1 > w[i].cap) {
				size_t ncap = (w[i].len + (size_t)got + 1) * 2;
				char *nb = realloc(w[i].buf, ncap);
				if (!nb) {
					rc = -1;
					stop_flag = 1;
					break;
				}
				w[i].buf = nb;
				w[i].cap = ncap;
			}
			memcpy(w[i].buf + w[i].len, chunk, (size_t)got);
			w[i].len += (size_t)got;
			w[i].buf[w[i].len] = '\0';
			nl = memchr(w[i].buf, '\n', w[i].len);
			if (nl) {
				size_t linelen = (size_t)(nl - w[i].buf) + 1;
				if (write_all(fd, w[i].buf, linelen)) {
					fprintf(stderr, "\nbyzlab campaign: writing "
						"runs.jsonl failed: %s\n",
						strerror(errno));
					rc = -1;
					stop_flag = 1;
				}
				*nl = '\0';
				account(p, w[i].buf);
				memmove(w[i].buf, w[i].buf + linelen,
					w[i].len - linelen);
				w[i].len -= linelen;
				w[i].busy = false;
			}
		}
		progress_show(p, false);
	}
	for (int i = 0; i < jobs; i++) {
		if (w[i].pid > 0) {
			kill(w[i].pid, SIGTERM);
			close(w[i].to);
			close(w[i].from);
			waitpid(w[i].pid, NULL, 0);
		}
		free(w[i].buf);
	}
	fsync(fd);
	return rc;
}

/* ---- shrinking the campaign's violations ---------------------------------- */

static void shrink_groups(const struct campaign *c, const char *out,
			  json_t *records, bool quiet)
{
	json_t *seen = json_object();
	size_t i;
	json_t *r;

	json_array_foreach(records, i, r) {
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *cell = json_string_value(json_object_get(r, "cell"));
		char key[256], path[1400], spath[1400], why[512];
		static struct shrink_result sr;
		bool want = false;
		int rc;

		if (!id || !cell || !json_is_false(json_object_get(r, "safe")))
			continue;
		for (size_t k = 0; k < c->ncells; k++)
			if (!strcmp(c->cells[k].name, cell) && c->cells[k].shrink &&
			    (c->cells[k].expect & EXPECT_VIOLATION))
				want = true;
		if (!want)
			continue;
		snprintf(key, sizeof key, "%s/%s/%" JSON_INTEGER_FORMAT "/%"
			 JSON_INTEGER_FORMAT, cell,
			 json_string_value(json_object_get(r, "protocol")),
			 json_integer_value(json_object_get(r, "n")),
			 json_integer_value(json_object_get(r, "b")));
		if (json_object_get(seen, key))
			continue;
		json_object_set_new(seen, key, json_true());
		snprintf(path, sizeof path, "%s/failures/%s.json", out, id);
		snprintf(spath, sizeof spath, "%s/failures/%s.shrunk.json", out, id);
		if (access(spath, F_OK) == 0)
			continue; /* shrunk before this --resume */
		if (!quiet)
			fprintf(stderr, "shrinking %s ...", id);
		rc = failure_shrink(path, spath, NULL, &sr, why, sizeof why);
		if (rc) {
			fprintf(stderr, "%sbyzlab campaign: %s: not shrunk\n",
				quiet ? "" : "\n", why);
			continue;
		}
		if (!quiet)
			fprintf(stderr, " %u tries, %u kept\n", sr.tries, sr.kept);
	}
	json_decref(seen);
}

/* ---- merge ----------------------------------------------------------- */

static int copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b;
	char buf[65536];
	size_t n;
	int rc = 0;

	if (!a)
		return -1;
	b = fopen(to, "wb");
	if (!b) {
		fclose(a);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, a)) > 0)
		if (fwrite(buf, 1, n, b) != n)
			rc = -1;
	fclose(a);
	if (fclose(b))
		rc = -1;
	return rc;
}

static int merge(char **dirs, int ndirs, const char *out, bool quiet)
{
	char path[1400], why[512], title[128] = "merged", note[256];
	json_t *all = json_array(), *ids = json_object();
	int fd;
	struct summary_totals t;

	if (mkdir_p(out) || (snprintf(path, sizeof path, "%s/failures", out),
			     mkdir_p(path)))
		return cli_input_error("campaign", "--out: cannot create '%s': %s",
				       out, strerror(errno));
	for (int i = 0; i < ndirs; i++) {
		json_t *recs, *r;
		size_t torn, k;
		DIR *d;
		struct dirent *e;

		if (summary_load_runs(dirs[i], &recs, &torn, why, sizeof why)) {
			json_decref(all);
			json_decref(ids);
			return cli_input_error("campaign", "--merge: %s", why);
		}
		json_array_foreach(recs, k, r) {
			const char *id = json_string_value(json_object_get(r, "id"));
			const char *camp = json_string_value(json_object_get(r, "campaign"));
			if (camp)
				snprintf(title, sizeof title, "%s", camp);
			if (json_object_get(ids, id))
				continue;
			json_object_set_new(ids, id, json_true());
			json_array_append(all, r);
		}
		json_decref(recs);
		snprintf(path, sizeof path, "%s/failures", dirs[i]);
		d = opendir(path);
		while (d && (e = readdir(d))) {
			char from[2800], to[2800];
			if (e->d_name[0] == '.')
				continue;
			snprintf(from, sizeof from, "%s/failures/%s", dirs[i], e->d_name);
			snprintf(to, sizeof to, "%s/failures/%s", out, e->d_name);
			if (copy_file(from, to))
				fprintf(stderr, "byzlab campaign: cannot copy %s\n", from);
		}
		if (d)
			closedir(d);
	}
	snprintf(path, sizeof path, "%s/runs.jsonl", out);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0) {
		json_decref(all);
		json_decref(ids);
		return cli_input_error("campaign", "cannot write '%s': %s", path,
				       strerror(errno));
	}
	{
		size_t k;
		json_t *r;
		json_array_foreach(all, k, r) {
			char *line = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (line) {
				write_all(fd, line, strlen(line));
				write_all(fd, "\n", 1);
				free(line);
			}
		}
	}
	close(fd);
	snprintf(note, sizeof note, "Merged from %d result directories.", ndirs);
	t = summary_write(out, title, note, all, quiet ? NULL : stdout);
	json_decref(all);
	json_decref(ids);
	printf("\n%zu runs merged into %s/ (summary.md)\n", t.runs, out);
	return t.all_met ? EXIT_OK : EXIT_VIOLATION;
}

/* ---- main ------------------------------------------------------------- */

static int parse_shard(const char *s, uint64_t *k, uint64_t *n)
{
	char *slash, buf[64];

	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if (cli_parse_u64("campaign", "--shard K", buf, 1, 1000000, k) ||
	    cli_parse_u64("campaign", "--shard N", slash + 1, 1, 1000000, n))
		return -2;
	return *k <= *n ? 0 : -1;
}

int cmd_campaign(int argc, char **argv)
{
	enum { O_OUT = 256, O_JOBS, O_SHARD, O_RESUME, O_FORCE, O_NOSHRINK,
	       O_LIST, O_MERGE };
	static const struct option opts[] = {
		{"out", required_argument, NULL, O_OUT},
		{"jobs", required_argument, NULL, O_JOBS},
		{"shard", required_argument, NULL, O_SHARD},
		{"resume", no_argument, NULL, O_RESUME},
		{"force", no_argument, NULL, O_FORCE},
		{"no-shrink", no_argument, NULL, O_NOSHRINK},
		{"list", no_argument, NULL, O_LIST},
		{"merge", no_argument, NULL, O_MERGE},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	bool resume = false, force = false, noshrink = false, list = false,
	     domerge = false, quiet = false;
	uint64_t jobs = 0, shard_k = 1, shard_n = 1, v;
	static struct campaign c;
	char why[1024], path[1400], note[512];
	uint64_t *todo = NULL, ntodo = 0;
	bool *done = NULL;
	int opt, fd, rc;
	struct progress prog = {0};
	struct sigaction sa;
	json_t *records;
	size_t torn;
	struct summary_totals t;
	double t0;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(campaign_usage, stdout);
			return EXIT_OK;
		case O_OUT:
			out = optarg;
			break;
		case O_JOBS:
			if (cli_parse_u64("campaign", "--jobs", optarg, 1, MAX_JOBS, &v))
				return EXIT_USAGE;
			jobs = v;
			break;
		case O_SHARD:
			rc = parse_shard(optarg, &shard_k, &shard_n);
			if (rc == -2)
				return EXIT_USAGE;
			if (rc)
				return cli_usage_error("campaign",
						       "--shard: '%s' is not K/N with "
						       "1 <= K <= N", optarg);
			break;
		case O_RESUME:
			resume = true;
			break;
		case O_FORCE:
			force = true;
			break;
		case O_NOSHRINK:
			noshrink = true;
			break;
		case O_LIST:
			list = true;
			break;
		case O_MERGE:
			domerge = true;
			break;
		case 'q':
			quiet = true;
			break;
		case ':':
			return cli_usage_error("campaign", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("campaign", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (domerge) {
		if (!out)
			return cli_usage_error("campaign", "--merge needs --out DIR");
		if (optind >= argc)
			return cli_usage_error("campaign", "--merge needs directories");
		return merge(argv + optind, argc - optind, out, quiet);
	}
	if (optind >= argc)
		return cli_usage_error("campaign", "no campaign file given");
	if (optind + 1 < argc)
		return cli_usage_error("campaign", "unexpected argument '%s'",
				       argv[optind + 1]);
	if (!out && !list)
		return cli_usage_error("campaign", "--out DIR is required");
	if (resume && force)
		return cli_usage_error("campaign", "--resume and --force exclude "
				       "each other");
	if (campaign_load(argv[optind], &c, why, sizeof why)) {
		campaign_free(&c);
		return cli_input_error("campaign", "%s", why);
	}
	/* every run must build: a bad scenario is bad input, found now */
	for (uint64_t k = 0; k < c.nruns; k++) {
		static struct run_spec rs;
		char inner[512];
		if (campaign_run_spec(&c, k, &rs, inner, sizeof inner) ||
		    adversary_check(&rs.sc.plan, rs.sc.n, rs.sc.f, inner,
				    sizeof inner)) {
			campaign_free(&c);
			return cli_input_error("campaign", "%s: cell '%s': %s",
					       argv[optind],
					       c.cells[rs.cell].name, inner);
		}
		if (list) {
			char attacks[4096];
			scenario_attacks_text(&rs.sc, attacks, sizeof attacks);
			printf("%" PRIu64 "\t%s\t%s\n", k, rs.id, attacks);
		}
	}
	if (list) {
		campaign_free(&c);
		return EXIT_OK;
	}
	if (jobs == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = cpus < 1 ? 1 : cpus > MAX_JOBS ? MAX_JOBS : (uint64_t)cpus;
	}
	snprintf(path, sizeof path, "%s/failures", out);
	if (mkdir_p(out) || mkdir_p(path)) {
		campaign_free(&c);
		return cli_input_error("campaign", "--out: cannot create '%s': %s",
				       out, strerror(errno));
	}
	done = calloc(c.nruns ? c.nruns : 1, sizeof *done);
	todo = calloc(c.nruns ? c.nruns : 1, sizeof *todo);
	if (!done || !todo) {
		free(done);
		free(todo);
		campaign_free(&c);
		return cli_input_error("campaign", "out of memory");
	}
	snprintf(path, sizeof path, "%s/runs.jsonl", out);
	if (access(path, F_OK) == 0) {
		if (!resume && !force) {
			free(done);
			free(todo);
			campaign_free(&c);
			return cli_usage_error("campaign",
					       "'%s' has runs already: --resume to "
					       "go on, --force to start again", out);
		}
		if (resume) {
			size_t i;
			json_t *r;
			if (summary_load_runs(out, &records, &torn, why, sizeof why)) {
				free(done);
				free(todo);
				campaign_free(&c);
				return cli_input_error("campaign", "--resume: %s", why);
			}
			json_array_foreach(records, i, r) {
				json_t *ix = json_object_get(r, "index");
				static struct run_spec rs;
				char inner[256];
				uint64_t k;
				if (!json_is_integer(ix) || json_integer_value(ix) < 0)
					continue;
				k = (uint64_t)json_integer_value(ix);
				if (k < c.nruns &&
				    !campaign_run_spec(&c, k, &rs, inner, sizeof inner) &&
				    !strcmp(rs.id, json_string_value(
							   json_object_get(r, "id"))))
					done[k] = true;
			}
			json_decref(records);
			if (torn) {
				/* cut the torn last line off before appending */
				FILE *f = fopen(path, "r+");
				long keep = 0, pos = 0;
				int ch;
				while (f && (ch = fgetc(f)) != EOF) {
					pos++;
					if (ch == '\n')
						keep = pos;
				}
				if (f) {
					fflush(f);
					if (ftruncate(fileno(f), keep))
						keep = -1;
					fclose(f);
				}
			}
		} else {
			/* --force: start again; old failures would be
			 * mistaken for this campaign's */
			char fdir[1100];
			DIR *d;
			struct dirent *e;
			unlink(path);
			snprintf(fdir, sizeof fdir, "%s/failures", out);
			d = opendir(fdir);
			while (d && (e = readdir(d))) {
				char f[1400];
				size_t len = strlen(e->d_name);
				if (len < 5 || strcmp(e->d_name + len - 5, ".json"))
					continue;
				snprintf(f, sizeof f, "%s/%s", fdir, e->d_name);
				unlink(f);
			}
			if (d)
				closedir(d);
		}
	}
	for (uint64_t k = shard_k - 1; k < c.nruns; k += shard_n)
		if (!done[k])
			todo[ntodo++] = k;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0666);
	if (fd < 0) {
		free(done);
		free(todo);
		campaign_free(&c);
		return cli_input_error("campaign", "cannot write '%s': %s", path,
				       strerror(errno));
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	t0 = now_s();
	prog.t0 = t0;
	prog.total = ntodo;
	prog.tty = isatty(2);
	prog.quiet = quiet;
	if (!quiet) {
		uint64_t in_shard = c.nruns >= shard_k
					    ? (c.nruns - shard_k) / shard_n + 1
					    : 0;
		fprintf(stderr, "campaign %s: %" PRIu64 " runs to do (shard %" PRIu64
			"/%" PRIu64 " of %" PRIu64 " runs; %" PRIu64
			" done before), %" PRIu64 " jobs -> %s/\n", c.name, ntodo,
			shard_k, shard_n, c.nruns, in_shard - ntodo, jobs, out);
	}
	rc = run_all(&c, out, fd, todo, ntodo, (int)jobs, &prog);
	close(fd);
	progress_show(&prog, true);
	free(done);
	free(todo);
	if (summary_load_runs(out, &records, &torn, why, sizeof why)) {
		campaign_free(&c);
		return cli_input_error("campaign", "%s", why);
	}
	if (!noshrink && !stop_flag)
		shrink_groups(&c, out, records, quiet);
	snprintf(note, sizeof note,
		 "Campaign file `%s`; %" PRIu64 " runs in this campaign; shard %"
		 PRIu64 "/%" PRIu64 "; %" PRIu64 " jobs; this invocation ran %"
		 PRIu64 " runs in %.1f s (%.1f runs/s)%s.", argv[optind], c.nruns,
		 shard_k, shard_n, jobs, prog.done, now_s() - t0,
		 now_s() - t0 > 0 ? (double)prog.done / (now_s() - t0) : 0.0,
		 stop_flag ? "; INTERRUPTED: finished runs are kept, go on "
			     "with --resume" : "");
	t = summary_write(out, c.name, note, records, stdout);
	json_decref(records);
	campaign_free(&c);
	printf("\n%zu runs in %s/runs.jsonl; summary in %s/summary.md\n", t.runs,
	       out, out);
	if (stop_flag) {
		fprintf(stderr, "byzlab campaign: interrupted; %" PRIu64 " of %" PRIu64
			" runs of this invocation finished and are kept; go on with "
			"--resume\n", prog.done, prog.total);
		return 130;
	}
	if (rc)
		fprintf(stderr, "byzlab campaign: some runs were lost (a worker "
			"died); run again with --resume\n");
	if (!t.all_met || rc) {
		printf("EXPECTATIONS NOT MET: %zu group(s), %zu run(s) (see "
		       "%s/summary.md)\n", t.groups_failed, t.unexpected_runs, out);
		return EXIT_VIOLATION;
	}
	printf("every expectation held\n");
	return EXIT_OK;
}
