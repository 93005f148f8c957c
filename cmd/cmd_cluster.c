/*
 * cmd_cluster.c - `byzlab cluster up|status|down --cluster FILE`: a
 * long-lived local cluster to poke at with `byzlab client`. `up` starts
 * every replica (and twin) of the cluster file, and its adversary when it
 * names one, as background processes whose logs and data live in the
 * cluster's data folder; `status` says which are alive and their last
 * committed height (from each replica's status file); `down` stops them
 * (SIGTERM, then SIGKILL after five seconds).
 */
#include "cli.h"

#include "cluster.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char cluster_usage[] =
    "Usage: byzlab cluster up|status|down --cluster FILE\n"
    "\n"
    "A long-lived local cluster of real processes (docs/zmq.md), to poke\n"
    "at with `byzlab client --cluster FILE --id C --op '...'`.\n"
    "\n"
    "  up      start every replica of FILE (and its twins, and its\n"
    "          adversary when FILE names one) in the background; logs in\n"
    "          DATA/logs/, each replica's data and trace in\n"
    "          DATA/replica-I/ (DATA: the cluster file's data folder)\n"
    "  status  which processes are alive, each replica's view and last\n"
    "          committed height\n"
    "  down    stop them: SIGTERM, then SIGKILL after 5 s\n"
    "\n"
    "Options:\n"
    "  --cluster FILE  the cluster file (required; keys from byzlab keygen)\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0 done (status: every process alive); 1 status: some\n"
    "process is not alive, or up: one failed to start; 2 bad usage or\n"
    "input.\n"
    "\n"
    "Example:\n"
    "  byzlab keygen --n 4 --out keys\n"
    "  byzlab cluster up --cluster cluster.yaml\n"
    "  byzlab client --cluster cluster.yaml --id 0 --op 'put x 1'\n"
    "  byzlab cluster status --cluster cluster.yaml\n"
    "  byzlab cluster down --cluster cluster.yaml\n";

/* One process of the cluster: a replica, a twin or the adversary. */
struct member {
	char name[16];
	uint32_t id;
	bool twin, adversary;
	char pidfile[CLUSTER_PATH_MAX + 32];
};

static size_t members(const struct cluster *cl, struct member *m)
{
	size_t k = 0;

	for (uint32_t r = 0; r < cl->sc.n; r++)
		for (int t = 0; t < 2; t++) {
			if (t && !cl->twin[r][0])
				continue;
			m[k].id = r;
			m[k].twin = t;
			m[k].adversary = false;
			snprintf(m[k].name, sizeof m[k].name, "r%" PRIu32 "%s",
				 r, t ? "t" : "");
			snprintf(m[k].pidfile, sizeof m[k].pidfile,
				 "%.4000s/replica-%" PRIu32 "%s/status",
				 cl->data, r, t ? "-twin" : "");
			k++;
		}
	if (cl->adversary[0]) {
		m[k].adversary = true;
		snprintf(m[k].name, sizeof m[k].name, "adversary");
		snprintf(m[k].pidfile, sizeof m[k].pidfile,
			 "%.4000s/adversary.pid", cl->data);
		k++;
	}
	return k;
}

/* The pid of a member if that process is alive and is a byzlab process. */
static pid_t alive(const struct member *m)
{
	uint64_t pid = 0;
	char path[64], cmd[256] = "";
	FILE *f;
	size_t n;

	if (!proc_status_get(m->pidfile, "pid", &pid) || !pid ||
	    pid > INT32_MAX)
		return 0;
	if (kill((pid_t)pid, 0))
		return 0;
	snprintf(path, sizeof path, "/proc/%" PRIu64 "/cmdline", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(cmd, 1, sizeof cmd - 1, f);
	fclose(f);
	cmd[n] = '\0';
	/* argv[0] then the command: "byzlab\0node\0..." */
	if (!memchr(cmd, '\0', n) ||
	    (strcmp(cmd + strlen(cmd) + 1, "node") &&
	     strcmp(cmd + strlen(cmd) + 1, "adversary")))
		return 0;
	return (pid_t)pid;
}

static int up(const struct cluster *cl, const char *file, struct member *m,
	      size_t k)
{
	char self[CLUSTER_PATH_MAX], logs[CLUSTER_PATH_MAX + 8];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	int failures = 0;

	if (n <= 0)
		return cli_input_error("cluster", "cannot find this program");
	self[n] = '\0';
	snprintf(logs, sizeof logs, "%s/logs", cl->data);
	if ((mkdir(cl->data, 0700) && errno != EEXIST) ||
	    (mkdir(logs, 0700) && errno != EEXIST))
		return cli_input_error("cluster", "%s: cannot create: %s", logs,
				       strerror(errno));
	for (size_t i = 0; i < k; i++)
		if (alive(&m[i]))
			return cli_input_error("cluster",
					       "%s is already running (pid "
					       "%ld); byzlab cluster down "
					       "first",
					       m[i].name, (long)alive(&m[i]));
	for (size_t i = 0; i < k; i++) {
		char id[16], log[CLUSTER_PATH_MAX + 40];
		char *argv[10];
		int a = 0;
		pid_t pid;

		snprintf(id, sizeof id, "%" PRIu32, m[i].id);
		snprintf(log, sizeof log, "%s/%s.log", logs, m[i].name);
		argv[a++] = "byzlab";
		argv[a++] = m[i].adversary ? "adversary" : "node";
		argv[a++] = "--cluster";
		argv[a++] = (char *)file;
		if (!m[i].adversary) {
			argv[a++] = "--id";
			argv[a++] = id;
		}
		if (m[i].twin)
			argv[a++] = "--twin";
		argv[a] = NULL;
		pid = proc_spawn(self, argv, log, PROC_SPAWN_DAEMON);
		if (pid < 0)
			return cli_input_error("cluster", "cannot start %s: %s",
					       m[i].name, strerror(errno));
		if (m[i].adversary) {
			FILE *f = fopen(m[i].pidfile, "w");
			if (f) {
				fprintf(f, "pid %ld\n", (long)pid);
				fclose(f);
			}
		}
	}
	/* Wait (up to 3 s) for each to report itself alive. */
	for (int tries = 0; tries < 300; tries++) {
		size_t up_count = 0;
		for (size_t i = 0; i < k; i++)
			up_count += alive(&m[i]) != 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (up_count == k)
			break;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	for (size_t i = 0; i < k; i++) {
		pid_t pid = alive(&m[i]);
		if (!pid)
			failures++;
		printf("%-10s %s", m[i].name, pid ? "started" : "FAILED");
		if (pid)
			printf(" (pid %ld)", (long)pid);
		printf("  log %s/%s.log\n", logs, m[i].name);
	}
	return failures ? EXIT_VIOLATION : EXIT_OK;
}

static int status(struct member *m, size_t k)
{
	int down = 0;

	printf("%-10s %-8s %8s %10s %10s\n", "process", "state", "pid", "view",
	       "height");
	for (size_t i = 0; i < k; i++) {
		pid_t pid = alive(&m[i]);
		uint64_t h = 0, v = 0;
		proc_status_get(m[i].pidfile, "height", &h);
		proc_status_get(m[i].pidfile, "view", &v);
		down += !pid;
		if (m[i].adversary)
			printf("%-10s %-8s %8ld %10s %10s\n", m[i].name,
			       pid ? "alive" : "down", (long)pid, "-", "-");
		else
			printf("%-10s %-8s %8ld %10" PRIu64 " %10" PRIu64 "\n",
			       m[i].name, pid ? "alive" : "down", (long)pid, v,
			       h);
	}
	return down ? EXIT_VIOLATION : EXIT_OK;
}

static int down(struct member *m, size_t k)
{
	pid_t pids[2 * BYZ_MAX_N + 1];
	struct timespec ts = {0, 10 * 1000 * 1000};
	int left = 0;

	for (size_t i = 0; i < k; i++) {
		pids[i] = alive(&m[i]);
		if (pids[i])
			kill(pids[i], SIGTERM);
	}
	for (int tries = 0; tries < 500; tries++) {
		left = 0;
		for (size_t i = 0; i < k; i++)
			left += pids[i] && !kill(pids[i], 0) && alive(&m[i]);
		if (!left)
			break;
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < k; i++) {
		bool killed = false;
		if (pids[i] && !kill(pids[i], 0) && alive(&m[i])) {
			kill(pids[i], SIGKILL);
			killed = true;
		}
		printf("%-10s %s\n", m[i].name,
		       !pids[i] ? "was not running"
		       : killed ? "killed (did not stop in 5 s)"
				: "stopped");
	}
	return EXIT_OK;
}

int cmd_cluster(int argc, char **argv)
{
	const char *verb = NULL, *file = NULL;
	struct cluster cl;
	struct member *m;
	char why[512];
	size_t k;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(cluster_usage, stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--cluster")) {
			if (++i == argc)
				return cli_usage_error("cluster",
						       "--cluster needs a "
						       "value");
			file = argv[i];
		} else if (!strncmp(argv[i], "--cluster=", 10)) {
			file = argv[i] + 10;
		} else if (argv[i][0] == '-') {
			return cli_usage_error("cluster", "unknown option '%s'",
					       argv[i]);
		} else if (verb) {
			return cli_usage_error(
			    "cluster", "unexpected argument '%s'", argv[i]);
		} else {
			verb = argv[i];
		}
	}
	if (!verb || (strcmp(verb, "up") && strcmp(verb, "status") &&
		      strcmp(verb, "down")))
		return cli_usage_error("cluster",
				       "say up, status or down%s%s%s",
				       verb ? " ('" : "", verb ? verb : "",
				       verb ? "' is none of them)" : "");
	if (!file)
		return cli_usage_error("cluster", "--cluster FILE is required");
	if (cluster_load(file, &cl, why, sizeof why)) {
		cluster_free(&cl);
		return cli_input_error("cluster", "%s", why);
	}
	m = calloc(2 * (size_t)cl.sc.n + 1, sizeof *m);
	if (!m) {
		cluster_free(&cl);
		return cli_input_error("cluster", "out of memory");
	}
	k = members(&cl, m);
	if (!strcmp(verb, "up"))
		rc = up(&cl, file, m, k);
	else if (!strcmp(verb, "status"))
		rc = status(m, k);
	else
		rc = down(m, k);
	free(m);
	cluster_free(&cl);
	return rc;
}
