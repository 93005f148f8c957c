/*
 * cmd_selftest.c - `byzlab selftest`: how many single-rule bugs do the
 * campaigns catch? (issue #11). Plants each mutant of the protocols' cores
 * (core.h, struct byz_mutant) in turn and runs a campaign against it; a
 * mutant is caught when some run misses its cell's expectation (safety
 * broken, or not live, at b <= f). The unmutated protocols run the same
 * campaign first: any miss there is a false alarm, and fails the self-test.
 */
#include "campaign.h"
#include "chart.h"
#include "cli.h"
#include "outfile.h"
#include "report.h"
#include "report_html.h"
#include "real_run.h"
#include "failure.h"
#include "results.h"
#include "scenario_io.h"
#include "shrink.h"
#include "workers.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char selftest_usage[] =
    "Usage: byzlab selftest [OPTIONS]\n"
    "\n"
    "Measure the campaigns' bug-finding power. Each protocol core carries a\n"
    "catalog of mutants: one rule of the protocol deliberately broken (a\n"
    "quorum off by one, a lock or certificate check dropped, ...), never on\n"
    "unless named. For every mutant in turn, run a campaign (by default\n"
    "campaigns/ci.yaml, the runs of the mutant's protocol) with it planted\n"
    "in every replica, until a run misses its cell's expectation: the\n"
    "mutant is caught. The first such run is shrunk. Before the mutants,\n"
    "the unmutated protocols run the same campaign in full: a run that\n"
    "misses its expectation there is a false alarm.\n"
    "\n"
    "Prints a table (protocol, mutant, caught or not, time to the first\n"
    "failing run, the shrunk counterexample's size and verdict) and writes\n"
    "it to DIR/selftest.md, with each campaign's results in DIR/baseline-P/\n"
    "and DIR/P-MUTANT/.\n"
    "\n"
    "Options:\n"
    "  --campaign FILE  the campaign to run (default campaigns/ci.yaml)\n"
    "  --out DIR        where results go (default results/selftest)\n"
    "  --protocol P     only P's mutants\n"
    "  --mutant NAME    only this mutant (and its protocol's baseline)\n"
    "  --jobs J         worker processes (default: the number of CPUs)\n"
    "  --no-shrink      do not shrink the first failing run\n"
    "  --known-escapes FILE  mutants known to escape (PROTOCOL/MUTANT, one\n"
    "                   per line, # comments): they do not fail the\n"
    "                   self-test, and one of them caught is reported as\n"
    "                   progress; any other escape fails it (for CI)\n"
    "  --list           print every protocol's mutants and the rule each\n"
    "                   breaks, and exit\n"
    "  -q, --quiet      no progress bars\n"
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0 every mutant was caught (or escaped as --known-escapes\n"
    "says) and the baseline passed; 1 a mutant escaped or the baseline\n"
    "failed; 2 bad usage or input; 3 results incomplete: a write failed\n"
    "(a full disk...; the message names the file); 130 interrupted.\n"
    "\n"
    "Examples:\n"
    "  byzlab selftest --list\n"
    "  byzlab selftest --mutant quorum-2f --out results/selftest-one\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

#define MAX_KNOWN 128

struct opts {
	const char *campaign, *out, *protocol, *mutant, *known_file;
	char known[MAX_KNOWN][96]; /* "PROTOCOL/MUTANT" */
	size_t nknown;
	uint64_t jobs;
	bool noshrink, list, quiet;
};

/* One line of the table. */
struct row {
	const struct byz_core_ops *ops;
	const char *mutant; /* NULL: the baseline */
	uint64_t runs, missed;
	double first_s;
	char first[160];
	char shrunk[512]; /* "n=4, 1x2 requests, equivocate; ..." */
};

static int parse(int argc, char **argv, struct opts *o, bool *helped)
{
	enum {
		O_CAMPAIGN = 256,
		O_OUT,
		O_PROTO,
		O_MUTANT,
		O_JOBS,
		O_NOSHRINK,
		O_LIST,
		O_KNOWN
	};
	static const struct option lo[] = {
	    {"campaign", required_argument, NULL, O_CAMPAIGN},
	    {"out", required_argument, NULL, O_OUT},
	    {"protocol", required_argument, NULL, O_PROTO},
	    {"mutant", required_argument, NULL, O_MUTANT},
	    {"jobs", required_argument, NULL, O_JOBS},
	    {"no-shrink", no_argument, NULL, O_NOSHRINK},
	    {"list", no_argument, NULL, O_LIST},
	    {"known-escapes", required_argument, NULL, O_KNOWN},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	*helped = false;
	memset(o, 0, sizeof *o);
	o->campaign = "campaigns/ci.yaml";
	o->out = "results/selftest";
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":qh", lo, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(selftest_usage, stdout);
			*helped = true;
			return 0;
		case O_CAMPAIGN:
			o->campaign = optarg;
			break;
		case O_OUT:
			o->out = optarg;
			break;
		case O_PROTO:
			if (!byz_core_find(optarg))
				return cli_usage_error(
				    "selftest",
				    "--protocol: unknown protocol '%s' "
				    "(available: %s)",
				    optarg, byz_core_names());
			o->protocol = optarg;
			break;
		case O_MUTANT:
			o->mutant = optarg;
			break;
		case O_JOBS:
			if (cli_parse_u64("selftest", "--jobs", optarg, 1,
					  WORKERS_MAX, &o->jobs))
				return EXIT_USAGE;
			break;
		case O_NOSHRINK:
			o->noshrink = true;
			break;
		case O_LIST:
			o->list = true;
			break;
		case O_KNOWN:
			o->known_file = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case ':':
			return cli_usage_error("selftest", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("selftest",
					       "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("selftest", "unexpected argument '%s'",
				       argv[optind]);
	if (o->mutant) {
		const struct byz_core_ops *const *p;
		bool found = false;
		for (p = byz_core_all(); *p; p++)
			if ((!o->protocol ||
			     !strcmp(o->protocol, (*p)->name)) &&
			    byz_mutant_find(*p, o->mutant))
				found = true;
		if (!found)
			return cli_usage_error(
			    "selftest",
			    "--mutant: no %s%s mutant is called '%s' (--list "
			    "names them)",
			    o->protocol ? o->protocol : "",
			    o->protocol ? "" : "protocol's", o->mutant);
	}
	if (!o->jobs) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		o->jobs = cpus < 1	       ? 1
			  : cpus > WORKERS_MAX ? WORKERS_MAX
					       : (uint64_t)cpus;
	}
	return 0;
}

/* Read --known-escapes: PROTOCOL/MUTANT per line, each a real mutant. 0,
 * or an exit code. */
static int read_known(struct opts *o)
{
	FILE *in = fopen(o->known_file, "r");
	char line[256];
	int lineno = 0;

	if (!in)
		return cli_input_error("selftest", "cannot read %s: %s",
				       o->known_file, strerror(errno));
	while (fgets(line, sizeof line, in)) {
		char *p = line, *slash, *end;
		const struct byz_core_ops *ops;
		lineno++;
		if (!strchr(line, '\n') && !feof(in)) {
			fclose(in);
			return cli_input_error("selftest",
					       "%s:%d: line too long",
					       o->known_file, lineno);
		}
		if ((end = strchr(p, '#')))
			*end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == '\n' || end[-1] == ' ' ||
				   end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (!*p)
			continue;
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		ops = byz_core_find(p);
		if (!slash || !ops || !byz_mutant_find(ops, slash + 1) ||
		    o->nknown == MAX_KNOWN) {
			fclose(in);
			if (slash)
				*slash = '/';
			return cli_input_error(
			    "selftest",
			    "%s:%d: '%s' is not PROTOCOL/MUTANT of a known "
			    "mutant (byzlab selftest --list)",
			    o->known_file, lineno, p);
		}
		snprintf(o->known[o->nknown++], sizeof o->known[0],
			 "%.40s/%.50s", p, slash + 1);
	}
	fclose(in);
	return 0;
}

static bool known_escape(const struct opts *o, const struct row *r)
{
	char key[96];

	snprintf(key, sizeof key, "%s/%s", r->ops->name, r->mutant);
	for (size_t i = 0; i < o->nknown; i++)
		if (!strcmp(o->known[i], key))
			return true;
	return false;
}

static void list_mutants(void)
{
	for (const struct byz_core_ops *const *p = byz_core_all(); *p; p++)
		for (uint32_t k = 1; byz_mutant_at(*p, k); k++)
			printf("%-9s %-36s %s\n", (*p)->name,
			       byz_mutant_at(*p, k)->name,
			       byz_mutant_at(*p, k)->rule);
}

/* The runs of c whose protocol is ops, into todo; their number. */
static uint64_t runs_of(const struct campaign *c,
			const struct byz_core_ops *ops, uint64_t *todo)
{
	static struct run_spec rs;
	char why[512];
	uint64_t n = 0;

	for (uint64_t k = 0; k < c->nruns; k++)
		if (!campaign_run_spec(c, k, &rs, why, sizeof why) &&
		    rs.sc.ops == ops)
			todo[n++] = k;
	return n;
}

/* Shrink the failure of run `id` in dir into row->shrunk. */
static void shrink_first(const char *dir, struct row *row)
{
	static struct shrink_result sr;
	char in[1300], out[1400], why[200];

	snprintf(in, sizeof in, "%s/failures/%s.json", dir, row->first);
	snprintf(out, sizeof out, "%s/failures/%s.shrunk.json", dir,
		 row->first);
	if (failure_shrink(in, out, NULL, &sr, why, sizeof why)) {
		snprintf(row->shrunk, sizeof row->shrunk, "(not shrunk: %s)",
			 why);
		return;
	}
	{
		/* its chart beside it (report.html draws it too) */
		char svg[1400];
		struct chart_opts co = {0};
		snprintf(svg, sizeof svg, "%s/failures/%s.shrunk.svg", dir,
			 row->first);
		if (chart_write_failure(out, svg, &co, why, sizeof why))
			fprintf(stderr, "byzlab selftest: no chart: %s\n", why);
	}
	{
		char attacks[160];
		scenario_attacks_text(&sr.sc, attacks, sizeof attacks);
		snprintf(row->shrunk, sizeof row->shrunk,
			 "n=%u, %ux%u requests, %.150s; %" PRIu64
			 " events; %.200s",
			 sr.sc.n, sr.sc.clients, sr.sc.requests, attacks,
			 sr.res.sim.events, sr.res.why);
	}
}

/* Run ops's runs of c (mutant planted if row->mutant) into DIR/name. 0, or
 * an exit code. */
static int run_one(struct campaign *c, const struct opts *o, struct row *row,
		   uint64_t *todo)
{
	struct progress prog = {0};
	char dir[1024], why[1024];
	bool *done, usage;
	struct results_origin origin = {.shard = "1/1"};
	uint64_t ntodo;
	int fd, lock, rc;

	snprintf(dir, sizeof dir, "%s/%s-%s", o->out,
		 row->mutant ? row->ops->name : "baseline",
		 row->mutant ? row->mutant : row->ops->name);
	snprintf(c->mutant, sizeof c->mutant, "%s",
		 row->mutant ? row->mutant : "");
	done = calloc(c->nruns ? c->nruns : 1, sizeof *done);
	if (!done)
		return cli_input_error("selftest", "out of memory");
	rc = results_open(dir, RESULTS_FORCE, c, &origin, done, &fd, &lock,
			  &usage, why, sizeof why);
	if (rc) {
		free(done);
		if (rc == -2) {
			fprintf(stderr, "byzlab selftest: error: %s\n", why);
			return EXIT_INCOMPLETE;
		}
		return usage ? cli_usage_error("selftest", "%s", why)
			     : cli_input_error("selftest", "%s", why);
	}
	free(done);
	ntodo = runs_of(c, row->ops, todo);
	prog.t0 = results_now();
	prog.total = ntodo;
	prog.tty = isatty(2);
	prog.quiet = o->quiet;
	prog.stop_at_unexpected = row->mutant != NULL;
	if (!o->quiet)
		fprintf(stderr, "%s %s: %" PRIu64 " runs -> %s/\n",
			row->ops->name,
			row->mutant ? row->mutant : "(baseline)", ntodo, dir);
	rc = workers_run(c, dir, fd, todo, ntodo, (int)o->jobs, &prog,
			 &stop_flag);
	close(fd);
	close(lock);
	progress_show(&prog, true);
	row->runs = prog.done;
	row->missed = prog.unexpected;
	row->first_s = prog.first_unexpected_s;
	snprintf(row->first, sizeof row->first, "%s", prog.first_unexpected);
	if (prog.missing.n) {
		fprintf(stderr,
			"byzlab selftest: error: results incomplete: %zu "
			"write(s) failed in %s/:\n",
			prog.missing.n, dir);
		for (size_t i = 0;
		     i < prog.missing.n && i < RESULTS_MISSING_SHOWN; i++)
			fprintf(stderr, "  %s\n", prog.missing.what[i]);
		return EXIT_INCOMPLETE;
	}
	if (stop_flag)
		return 130;
	if (rc)
		return cli_input_error(
		    "selftest", "runs were lost (a worker died) in %s", dir);
	if (row->missed && row->mutant && !o->noshrink)
		shrink_first(dir, row);
	return 0;
}

/* The table, to out (markdown). */
static void table(FILE *out, const struct row *rows, size_t nrows,
		  const char *campaign)
{
	fprintf(out,
		"# byzlab selftest\n\nCampaign `%s`. A mutant is caught when "
		"a run misses its cell's expectation; the baseline (no mutant) "
		"must miss none.\n\n",
		campaign);
	fprintf(out, "| protocol | mutant | caught | runs | first failing run "
		     "| after | shrunk |\n|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		if (!r->mutant)
			fprintf(out,
				"| %s | (none: baseline) | %s | %" PRIu64
				" | %s | | |\n",
				r->ops->name,
				r->missed ? "FALSE ALARM" : "no (passes)",
				r->runs, r->missed ? r->first : "");
		else {
			char after[32] = "";
			if (r->missed)
				snprintf(after, sizeof after, "%.1f s",
					 r->first_s);
			fprintf(out,
				"| %s | %s | %s | %" PRIu64
				" | %s | %s | %s |\n",
				r->ops->name, r->mutant,
				r->missed ? "yes" : "**NO**", r->runs,
				r->missed ? r->first : "", after, r->shrunk);
		}
	}
}

/* The rows as selftest.json (docs/selftest.md), which the report page
 * reads (byzlab report campaign DIR). */
static json_t *rows_json(const struct opts *o, const struct row *rows,
			 size_t nrows)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		char dir[160];
		snprintf(dir, sizeof dir, "%s-%s",
			 r->mutant ? r->ops->name : "baseline",
			 r->mutant ? r->mutant : r->ops->name);
		json_array_append_new(
		    arr,
		    json_pack("{s:s,s:s,s:b,s:I,s:s,s:f,s:s,s:s,s:b}",
			      "protocol", r->ops->name, "mutant",
			      r->mutant ? r->mutant : "", "caught",
			      r->missed > 0, "runs", (json_int_t)r->runs,
			      "first", r->missed ? r->first : "", "after_s",
			      r->missed ? r->first_s : 0.0, "dir", dir,
			      "shrunk", r->shrunk, "known_escape",
			      r->mutant && known_escape(o, r)));
	}
	return json_pack("{s:i,s:s,s:o}", "byzlab_selftest", 1, "campaign",
			 o->campaign, "rows", arr);
}

/* DIR/selftest.json and DIR/report.html; 0, or EXIT_INCOMPLETE after
 * saying what could not be written. */
static int write_reports(const struct opts *o, const struct row *rows,
			 size_t nrows)
{
	char path[1100], why[1400];
	json_t *doc = rows_json(o, rows, nrows);
	char *text =
	    doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	size_t len = text ? strlen(text) : 0;
	int rc = 0;

	json_decref(doc);
	snprintf(path, sizeof path, "%s/selftest.json", o->out);
	if (!text)
		snprintf(why, sizeof why,
			 "cannot write '%.900s': out of memory", path);
	if (!text || outfile_write(path, text, len, 0666, 0, why, sizeof why))
		rc = EXIT_INCOMPLETE;
	free(text);
	if (!rc) {
		struct report_html_opts ro = {.chart = report_chart_inline};
		snprintf(path, sizeof path, "%s/report.html", o->out);
		if (report_html_write(o->out, path, &ro, why, sizeof why))
			rc = EXIT_INCOMPLETE;
	}
	if (rc)
		fprintf(stderr,
			"byzlab selftest: error: results incomplete: %s\n",
			why);
	return rc;
}

int cmd_selftest(int argc, char **argv)
{
	static struct campaign c;
	static struct row rows[256];
	struct opts o;
	struct sigaction sa;
	char why[1024], path[1100];
	size_t nrows = 0, escaped = 0, alarms = 0, unknown = 0, progress = 0;
	uint64_t *todo = NULL;
	bool helped;
	FILE *md;
	char *mdtext = NULL;
	size_t mdlen = 0;
	int rc;

	if ((rc = parse(argc, argv, &o, &helped)) || helped)
		return rc;
	if (o.list) {
		list_mutants();
		return EXIT_OK;
	}
	if (o.known_file && (rc = read_known(&o)))
		return rc;
	if (campaign_load(o.campaign, &c, why, sizeof why)) {
		campaign_free(&c);
		return cli_input_error("selftest", "%s", why);
	}
	if (!strcmp(c.driver, "zmq"))
		c.runner = real_run;
	todo = calloc(c.nruns ? c.nruns : 1, sizeof *todo);
	if (!todo) {
		campaign_free(&c);
		return cli_input_error("selftest", "out of memory");
	}
	/* The rows: for each protocol the campaign runs that has mutants
	 * (and that the options keep), its baseline, then its mutants. */
	for (const struct byz_core_ops *const *p = byz_core_all(); *p; p++) {
		if (!(*p)->mutants ||
		    (o.protocol && strcmp(o.protocol, (*p)->name)))
			continue;
		if (o.mutant && !byz_mutant_find(*p, o.mutant))
			continue;
		if (!runs_of(&c, *p, todo))
			continue;
		rows[nrows++] = (struct row){.ops = *p};
		for (uint32_t k = 1; byz_mutant_at(*p, k) && nrows < 256; k++)
			if (!o.mutant ||
			    !strcmp(o.mutant, byz_mutant_at(*p, k)->name))
				rows[nrows++] = (struct row){
				    .ops = *p,
				    .mutant = byz_mutant_at(*p, k)->name};
	}
	if (!nrows) {
		free(todo);
		campaign_free(&c);
		return cli_input_error("selftest",
				       "%s runs no protocol with mutants%s%s",
				       o.campaign, o.protocol ? " among " : "",
				       o.protocol ? o.protocol : "");
	}
	if (mkdir(o.out, 0777) && errno != EEXIST) {
		free(todo);
		campaign_free(&c);
		return cli_input_error("selftest", "cannot create %s: %s",
				       o.out, strerror(errno));
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < nrows && !rc; i++) {
		struct row *r = &rows[i];
		rc = run_one(&c, &o, r, todo);
		if (rc)
			break;
		if (!r->mutant) {
			alarms += r->missed > 0;
			printf("%-9s %-36s %s\n", r->ops->name, "(baseline)",
			       r->missed ? "FALSE ALARM: the unmutated "
					   "protocol misses an expectation"
					 : "passes");
		} else {
			escaped += !r->missed;
			unknown += !r->missed && !known_escape(&o, r);
			progress += r->missed && known_escape(&o, r);
			if (r->missed)
				printf(
				    "%-9s %-36s caught after %.1f s (%s)%s%s\n",
				    r->ops->name, r->mutant, r->first_s,
				    r->first,
				    r->shrunk[0] ? "\n          shrunk: " : "",
				    r->shrunk);
			else
				printf("%-9s %-36s NOT CAUGHT in %" PRIu64
				       " runs%s\n",
				       r->ops->name, r->mutant, r->runs,
				       known_escape(&o, r) ? " (known)" : "");
		}
		fflush(stdout);
	}
	snprintf(path, sizeof path, "%s/selftest.md", o.out);
	md = open_memstream(&mdtext, &mdlen);
	if (md) {
		table(md, rows, nrows, o.campaign);
		if (fclose(md)) {
			free(mdtext);
			mdtext = NULL;
		}
	}
	if (!mdtext ||
	    outfile_write(path, mdtext, mdlen, 0666, 0, why, sizeof why)) {
		if (!mdtext)
			snprintf(why, sizeof why,
				 "cannot write '%.900s': out of memory", path);
		fprintf(stderr,
			"byzlab selftest: error: results incomplete: %s\n",
			why);
		if (!rc)
			rc = EXIT_INCOMPLETE;
	}
	free(mdtext);
	free(todo);
	campaign_free(&c);
	if (!rc && write_reports(&o, rows, nrows))
		rc = EXIT_INCOMPLETE;
	if (rc)
		return rc;
	{
		size_t mutants = 0;
		for (size_t i = 0; i < nrows; i++)
			mutants += rows[i].mutant != NULL;
		printf("\n%zu mutant(s) tried, %zu caught, %zu escaped; "
		       "baseline %s; table in %s, page in %s/report.html\n",
		       mutants, mutants - escaped, escaped,
		       alarms ? "FALSE ALARM" : "passes", path, o.out);
		if (o.known_file)
			printf("%zu escape(s) not in %s; %zu known escape(s) "
			       "now caught%s\n",
			       unknown, o.known_file, progress,
			       progress ? " (take them off the list)" : "");
	}
	if (o.known_file)
		return unknown || alarms ? EXIT_VIOLATION : EXIT_OK;
	return escaped || alarms ? EXIT_VIOLATION : EXIT_OK;
}
