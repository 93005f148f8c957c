/*
 * cmd_report_complexity.c - `byzlab report complexity` (report.h): the
 * message-complexity sweep (harness/complexity.h) written into a directory
 * as CSV, markdown, a gnuplot script and the plots gnuplot draws from them
 * (docs/reports.md).
 */
#include "byz_version.h"
#include "cli.h"
#include "complexity.h"
#include "outfile.h"
#include "report.h"
#include "results.h"
#include "workers.h"

#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD "report complexity"

/* snprintf into a path or message buffer (through a va_list: what does
 * not fit is cut, and paths were checked short enough in check_out). */
static void fmt(char *buf, size_t cap, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, cap, f, ap);
	va_end(ap);
}

static const char usage[] =
    "Usage: byzlab report complexity --out DIR [OPTIONS]\n"
    "\n"
    "Measure what a decision costs as n grows, in the simulator, for\n"
    "every protocol that declares its papers' formulas (test fixtures\n"
    "are left out), and set the formulas beside the measurements.\n"
    "For each protocol and n, four fault-free-network runs at batch 1\n"
    "with 6 clients: fault-free and with the first leader Byzantine\n"
    "(silent for its view), each with 1 and 2 requests per client.\n"
    "Per decision is the difference of the two workloads' counts over\n"
    "the difference of their decisions; the view change is what the\n"
    "faulty-leader runs cost beyond that, less the same fault-free.\n"
    "Measured: messages and bytes (the protocol's replica-to-replica\n"
    "frames, counted at the sender; also by message type), signatures\n"
    "made, signatures verified; a least-squares slope of each series on\n"
    "log-log axes (the exponent of n).\n"
    "\n"
    "Writes into DIR (created if missing; files replaced atomically):\n"
    "  complexity.csv   protocol,setting,n,metric,type,kind,value\n"
    "  slopes.csv       protocol,setting,metric,series,slope,points\n"
    "  complexity.md    tables per protocol and setting, the slopes, the\n"
    "                   formulas with their sources and notes\n"
    "  complexity.gp    the gnuplot script of the plots (re-plot: cd DIR\n"
    "                   && gnuplot complexity.gp)\n"
    "  METRIC.svg/.png, METRIC-view-change.svg/.png   log-log plots of\n"
    "                   messages, bytes, signatures, verifications:\n"
    "                   measured points and formula curves\n"
    "\n"
    "Options:\n"
    "  --out DIR        where to write (required)\n"
    "  --n LIST         values of n, comma-separated, at most 32\n"
    "                   (default 4,7,10,16,25,34,49,64,91,128); each must\n"
    "                   be within every chosen protocol's limits\n"
    "  --protocol P     one protocol (default: all that declare formulas)\n"
    "  --seed S         seed of the runs (default 1)\n"
    "  --crypto C       fast (default; the same counts and trace hashes as\n"
    "                   Ed25519, much faster) or ed25519\n"
    "  --no-plots       do not run gnuplot (the script is still written)\n"
    "  -q, --quiet      no progress bar and no summary\n"
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0 written; 1 a run of the sweep failed (did not pass, or\n"
    "did not decide more with more requests: a bug worth reporting);\n"
    "2 bad usage; 3 an output could not be written, or gnuplot could not\n"
    "draw the plots (the CSV, markdown and script are then written);\n"
    "130 interrupted (nothing is written).\n"
    "\n"
    "Example:\n"
    "  byzlab report complexity --out results/complexity\n";

enum { O_OUT = 256, O_N, O_PROTOCOL, O_SEED, O_CRYPTO, O_NO_PLOTS };

static volatile int cx_stop;

static void on_signal(int sig)
{
	(void)sig;
	cx_stop = 1;
}

static void on_progress(void *ctx, size_t done, size_t total)
{
	struct progress *p = ctx;

	p->done = done;
	p->total = total;
	progress_show(p, done == total);
}

/* --n: a list of whole numbers from 4 to BYZ_MAX_N, increasing. */
static int parse_ns(const char *s, uint32_t *ns, size_t *nns)
{
	char buf[512], *save = NULL, *tok;
	uint64_t v;

	if (!*s || strlen(s) >= sizeof buf || s[strlen(s) - 1] == ',' ||
	    s[0] == ',' || strstr(s, ",,"))
		return cli_usage_error(CMD,
				       "--n: '%s' is not a list of whole "
				       "numbers (4,7,10)",
				       s);
	snprintf(buf, sizeof buf, "%s", s);
	*nns = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*nns == CX_MAX_NS)
			return cli_usage_error(CMD, "--n: at most %d values",
					       CX_MAX_NS);
		if (cli_parse_u64(CMD, "--n", tok, 4, BYZ_MAX_N, &v))
			return EXIT_USAGE;
		if (*nns && v <= ns[*nns - 1])
			return cli_usage_error(CMD,
					       "--n: values must increase "
					       "(%" PRIu64 " after %" PRIu32
					       ")",
					       v, ns[*nns - 1]);
		ns[(*nns)++] = (uint32_t)v;
	}
	return 0;
}

/* DIR exists as a directory or is created; every target in it may be
 * written (outfile_check). 0, or exit 3 with the message printed. */
static int check_out(const char *dir)
{
	static const char *const fixed[] = {"complexity.csv", "slopes.csv",
					    "complexity.md", "complexity.gp"};
	char path[OUTFILE_PATH_MAX], why[OUTFILE_PATH_MAX + 128];
	struct stat st;

	if (strlen(dir) + 64 >= sizeof path) {
		fprintf(stderr,
			"byzlab " CMD ": error: --out: '%s' is too long\n",
			dir);
		return EXIT_INCOMPLETE;
	}
	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr,
			"byzlab " CMD ": error: cannot create '%s': %s\n", dir,
			strerror(errno));
		return EXIT_INCOMPLETE;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr,
			"byzlab " CMD
			": error: --out '%s' is not a directory\n",
			dir);
		return EXIT_INCOMPLETE;
	}
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		fmt(path, sizeof path, "%s/%s", dir, fixed[i]);
		if (outfile_check(path, why, sizeof why)) {
			fprintf(stderr, "byzlab " CMD ": error: %s\n", why);
			return EXIT_INCOMPLETE;
		}
	}
	for (size_t k = 0; k < cx_plot_count(); k++)
		for (int e = 0; e < 2; e++) {
			fmt(path, sizeof path, "%s/%s.%s", dir, cx_plot_name(k),
			    e ? "png" : "svg");
			if (outfile_check(path, why, sizeof why)) {
				fprintf(stderr, "byzlab " CMD ": error: %s\n",
					why);
				return EXIT_INCOMPLETE;
			}
		}
	if (access(dir, W_OK | X_OK)) {
		fprintf(stderr,
			"byzlab " CMD ": error: cannot write into '%s': %s\n",
			dir, strerror(errno));
		return EXIT_INCOMPLETE;
	}
	return 0;
}

typedef int (*writer_fn)(const struct cx_report *r, FILE *out, bool plots);

static int w_csv(const struct cx_report *r, FILE *out, bool plots)
{
	(void)plots;
	return cx_write_csv(r, out);
}
static int w_slopes(const struct cx_report *r, FILE *out, bool plots)
{
	(void)plots;
	return cx_write_slopes_csv(r, out);
}
static int w_md(const struct cx_report *r, FILE *out, bool plots)
{
	return cx_write_markdown(r, BYZ_VERSION, plots, out);
}
static int w_gp(const struct cx_report *r, FILE *out, bool plots)
{
	(void)plots;
	return cx_write_gnuplot(r, out);
}

/* Write DIR/name from fn atomically. 0, or exit 3 with the message. */
static int write_one(const char *dir, const char *name, writer_fn fn,
		     const struct cx_report *r, bool plots)
{
	char path[OUTFILE_PATH_MAX], why[OUTFILE_PATH_MAX + 128];
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int bad;

	if (!m) {
		fprintf(stderr, "byzlab " CMD ": error: out of memory\n");
		return EXIT_INCOMPLETE;
	}
	bad = fn(r, m, plots);
	if (fclose(m) || bad) {
		free(buf);
		fprintf(stderr, "byzlab " CMD ": error: out of memory\n");
		return EXIT_INCOMPLETE;
	}
	fmt(path, sizeof path, "%s/%s", dir, name);
	if (outfile_write(path, buf, len, 0666, 0, why, sizeof why)) {
		free(buf);
		fprintf(stderr, "byzlab " CMD ": error: %s\n", why);
		return EXIT_INCOMPLETE;
	}
	free(buf);
	return 0;
}

/* Remove the temporary plot directory and what is in it. */
static void rm_tmp(const char *tmp)
{
	char path[OUTFILE_PATH_MAX];

	for (size_t k = 0; k < cx_plot_count(); k++)
		for (int e = 0; e < 2; e++) {
			fmt(path, sizeof path, "%s/%s.%s", tmp, cx_plot_name(k),
			    e ? "png" : "svg");
			unlink(path);
		}
	rmdir(tmp);
}

/*
 * Run gnuplot on DIR/complexity.gp with DIR as its working directory,
 * drawing into a fresh hidden directory DIR/.plots.XXXXXX, then move every
 * image into DIR (rename: each appears whole). 0, or -1 with why.
 */
static int draw(const char *dir, char *why, size_t whylen)
{
	char tmp[OUTFILE_PATH_MAX], from[OUTFILE_PATH_MAX],
	    to[OUTFILE_PATH_MAX], arg[64];
	const char *base;
	int fds[2], status, err = 0;
	pid_t pid;
	ssize_t got;

	fmt(tmp, sizeof tmp, "%s/.plots.XXXXXX", dir);
	if (!mkdtemp(tmp)) {
		fmt(why, whylen, "cannot make a directory in '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	base = strrchr(tmp, '/') + 1;
	/* our own name: letters, digits, '.' */
	fmt(arg, sizeof arg, "outdir=\"%s\"", base);
	if (pipe(fds) || fcntl(fds[1], F_SETFD, FD_CLOEXEC)) {
		fmt(why, whylen, "pipe: %s", strerror(errno));
		rm_tmp(tmp);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fmt(why, whylen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		rm_tmp(tmp);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		close(fds[0]);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		if (chdir(dir) == 0)
			execlp("gnuplot", "gnuplot", "-e", arg, "complexity.gp",
			       (char *)NULL);
		err = errno;
		if (write(fds[1], &err, sizeof err) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[1]);
	got = read(fds[0], &err, sizeof err);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == (ssize_t)sizeof err) {
		fmt(why, whylen, "cannot run gnuplot: %s%s", strerror(err),
		    err == ENOENT ? " (is gnuplot installed? Debian: "
				    "gnuplot-nox)"
				  : "");
		rm_tmp(tmp);
		return -1;
	}
	if (cx_stop) {
		fmt(why, whylen, "interrupted");
		rm_tmp(tmp);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fmt(why, whylen,
		    "gnuplot failed on '%s/complexity.gp' (exit status "
		    "%d)",
		    dir, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		rm_tmp(tmp);
		return -1;
	}
	for (size_t k = 0; k < cx_plot_count(); k++)
		for (int e = 0; e < 2; e++) {
			struct stat st;

			fmt(from, sizeof from, "%s/%s.%s", tmp, cx_plot_name(k),
			    e ? "png" : "svg");
			if (stat(from, &st) || !S_ISREG(st.st_mode) ||
			    !st.st_size) {
				fmt(why, whylen, "gnuplot did not draw '%s.%s'",
				    cx_plot_name(k), e ? "png" : "svg");
				rm_tmp(tmp);
				return -1;
			}
		}
	for (size_t k = 0; k < cx_plot_count(); k++)
		for (int e = 0; e < 2; e++) {
			fmt(from, sizeof from, "%s/%s.%s", tmp, cx_plot_name(k),
			    e ? "png" : "svg");
			fmt(to, sizeof to, "%s/%s.%s", dir, cx_plot_name(k),
			    e ? "png" : "svg");
			if (rename(from, to)) {
				fmt(why, whylen, "cannot write '%s': %s", to,
				    strerror(errno));
				rm_tmp(tmp);
				return -1;
			}
		}
	rm_tmp(tmp);
	return 0;
}

int report_complexity(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, O_OUT},
	    {"n", required_argument, NULL, O_N},
	    {"protocol", required_argument, NULL, O_PROTOCOL},
	    {"seed", required_argument, NULL, O_SEED},
	    {"crypto", required_argument, NULL, O_CRYPTO},
	    {"no-plots", no_argument, NULL, O_NO_PLOTS},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct byz_core_ops *const *all = byz_core_all();
	const struct byz_core_ops *chosen[CX_MAX_PROTOS];
	const char *out = NULL, *protocol = NULL;
	uint32_t ns[CX_MAX_NS];
	size_t nns = cx_default_nns, nchosen = 0;
	uint64_t seed = 1;
	enum byz_scheme crypto = BYZ_SCHEME_FAST;
	bool quiet = false, plots = true;
	struct cx_report *r;
	struct progress prog = {0};
	struct sigaction sa, old_int, old_term;
	char why[1024];
	int opt, rc, sw;

	memcpy(ns, cx_default_ns, cx_default_nns * sizeof *ns);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		case 'q':
			quiet = true;
			break;
		case O_OUT:
			if (!*optarg)
				return cli_usage_error(CMD,
						       "--out: an empty path");
			out = optarg;
			break;
		case O_N:
			if (parse_ns(optarg, ns, &nns))
				return EXIT_USAGE;
			break;
		case O_PROTOCOL:
			protocol = optarg;
			break;
		case O_SEED:
			if (cli_parse_u64(CMD, "--seed", optarg, 0, UINT64_MAX,
					  &seed))
				return EXIT_USAGE;
			break;
		case O_CRYPTO:
			if (!strcmp(optarg, "fast"))
				crypto = BYZ_SCHEME_FAST;
			else if (!strcmp(optarg, "ed25519"))
				crypto = BYZ_SCHEME_ED25519;
			else
				return cli_usage_error(
				    CMD,
				    "--crypto: '%s' is not fast or ed25519",
				    optarg);
			break;
		case O_NO_PLOTS:
			plots = false;
			break;
		case ':':
			return cli_usage_error(CMD, "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error(CMD, "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'",
				       argv[optind]);
	if (!out)
		return cli_usage_error(CMD, "--out DIR is required");
	for (size_t i = 0; all[i] && nchosen < CX_MAX_PROTOS; i++) {
		if (protocol ? strcmp(protocol, all[i]->name)
			     : !cx_protocol_wanted(all[i]))
			continue;
		if (!cx_protocol_wanted(all[i]))
			return cli_usage_error(
			    CMD,
			    "--protocol: '%s' declares no formulas (a test "
			    "fixture or a protocol without a complexity "
			    "table)",
			    protocol);
		chosen[nchosen++] = all[i];
	}
	if (protocol && !nchosen)
		return cli_usage_error(CMD,
				       "--protocol: unknown protocol '%s' "
				       "(known: %s)",
				       protocol, byz_core_names());
	if (!nchosen)
		return cli_usage_error(CMD, "no registered protocol declares "
					    "formulas");
	if (byz_crypto_init()) {
		fprintf(stderr,
			"byzlab " CMD ": error: cannot initialise libsodium\n");
		return EXIT_INCOMPLETE;
	}
	r = calloc(1, sizeof *r);
	if (!r) {
		fprintf(stderr, "byzlab " CMD ": error: out of memory\n");
		return EXIT_INCOMPLETE;
	}
	if (cx_init(r, chosen, nchosen, ns, nns, why, sizeof why)) {
		free(r);
		return cli_usage_error(CMD, "%s", why);
	}
	r->seed = seed;
	r->crypto = crypto;
	if ((rc = check_out(out))) {
		free(r);
		return rc;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	prog.quiet = quiet;
	prog.tty = isatty(STDERR_FILENO);
	prog.t0 = prog.last = results_now();
	prog.last -= 1000; /* draw the first at once */
	sw = cx_sweep(r, &cx_stop, on_progress, &prog, why, sizeof why);
	if (sw == 1 || cx_stop) {
		fprintf(stderr,
			"%sbyzlab " CMD ": interrupted: nothing "
			"written\n",
			prog.tty && !quiet ? "\n" : "");
		free(r);
		return 130;
	}
	if (sw) {
		fprintf(stderr, "%sbyzlab " CMD ": error: %s\n",
			prog.tty && !quiet ? "\n" : "", why);
		free(r);
		return EXIT_VIOLATION;
	}
	rc = write_one(out, "complexity.csv", w_csv, r, false);
	if (!rc)
		rc = write_one(out, "slopes.csv", w_slopes, r, false);
	if (!rc)
		rc = write_one(out, "complexity.gp", w_gp, r, false);
	if (!rc && plots && draw(out, why, sizeof why)) {
		if (cx_stop) {
			fprintf(stderr,
				"byzlab " CMD ": interrupted while drawing: "
				"no plot written\n");
			free(r);
			return 130;
		}
		fprintf(stderr,
			"byzlab " CMD ": error: plots not drawn: %s; the CSV, "
			"markdown and gnuplot script are written\n",
			why);
		plots = false;
		rc = write_one(out, "complexity.md", w_md, r, false);
		free(r);
		return rc ? rc : EXIT_INCOMPLETE;
	}
	if (!rc)
		rc = write_one(out, "complexity.md", w_md, r, plots);
	if (!rc && !quiet) {
		cx_print_summary(r, stdout);
		printf("byzlab " CMD ": %zu runs in %.2f CPU-s; written to "
		       "%s%s\n",
		       r->nprotos * r->nns * 4, r->cpu_seconds, out,
		       plots ? "" : " (no plots: --no-plots)");
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(r);
	return rc;
}
