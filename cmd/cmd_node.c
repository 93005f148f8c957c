/*
 * cmd_node.c - `byzlab node`, `byzlab client` and `byzlab adversary`: the
 * processes of a real cluster (nodes/), one command each.
 */
#include "cli.h"

#include "client_proc.h"
#include "node.h"
#include "proc.h"
#include "proxy.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char node_usage[] =
    "Usage: byzlab node --cluster FILE --id I [--twin] [--data DIR]\n"
    "                   [--trace FILE] [-q]\n"
    "\n"
    "Run replica I of the cluster FILE describes (docs/zmq.md) as this\n"
    "process, over ZeroMQ: the same protocol core as the simulator, with\n"
    "real sockets, the monotonic clock for timers, Ed25519 keys from the\n"
    "cluster's key folder (byzlab keygen; the replica's .key must be mode\n"
    "0600), and its log in its data folder, each write made durable\n"
    "(fdatasync) before anything it guards is sent. SIGTERM or Ctrl-C stop\n"
    "it cleanly; after a crash (SIGKILL, power loss) the same command\n"
    "restarts it from its data folder and it catches up.\n"
    "\n"
    "Options:\n"
    "  --cluster FILE  the cluster file (required)\n"
    "  --id I          the replica, 0..n-1 (required)\n"
    "  --twin          run replica I's second instance (attack `twins`;\n"
    "                  its endpoint is the cluster file's twins: rI)\n"
    "  --data DIR      its data folder (default: the cluster's data/\n"
    "                  replica-I, or replica-I-twin)\n"
    "  --trace FILE    its trace (JSON Lines, docs/trace.md, with a\n"
    "                  Lamport clock on each line; default DATA/trace.jsonl;\n"
    "                  appended to across restarts)\n"
    "  -q, --quiet     no start-up line on stderr\n"
    "  -h, --help      this help\n"
    "\n"
    "It writes DATA/status (pid, height, view, counters) at most every\n"
    "100 ms, which `byzlab cluster status` reads.\n"
    "\n"
    "Exit status: 0 stopped by a signal; 2 bad usage or input (cluster\n"
    "file, keys, an endpoint it cannot bind); 3 a failure while running\n"
    "(a disk that cannot persist, a core that failed).\n"
    "\n"
    "Example:\n"
    "  byzlab keygen --n 4 --out keys\n"
    "  byzlab node --cluster cluster.yaml --id 0\n";

static const char client_usage[] =
    "Usage: byzlab client --cluster FILE --id C [--count K] [--op TEXT]...\n"
    "                     [--requests R] [--duration D] [--deadline D]\n"
    "                     [--trace FILE] [--json] [-q]\n"
    "\n"
    "Run client C of the cluster FILE describes: the client core as a\n"
    "process. It signs each request with its key, sends it to every\n"
    "replica (through the adversary when the cluster has one), retransmits\n"
    "to every replica with backoff while it goes unanswered, and accepts a\n"
    "result once f+1 distinct replicas replied with it. It prints each\n"
    "result with its latency, then a summary.\n"
    "\n"
    "With --count K, this one process runs clients C .. C+K-1, each with\n"
    "its own core, key and workload, each a closed loop of its own (one\n"
    "request outstanding per client): K concurrent clients for the price\n"
    "of one process. It listens at every endpoint the cluster file gives\n"
    "them (clients may share one endpoint there) and hands each reply to\n"
    "the client its signed frame names.\n"
    "\n"
    "Options:\n"
    "  --cluster FILE  the cluster file (required)\n"
    "  --id C          the (first) client, 0..clients-1 (required)\n"
    "  --count K       run clients C .. C+K-1 in this process (default 1)\n"
    "  --op TEXT       an operation of the key-value store (\"put k v\",\n"
    "                  \"get k\"); repeat for several, sent one after another\n"
    "                  (by each client)\n"
    "  --requests R    without --op: R generated operations per client\n"
    "                  (default: the cluster file's requests; with\n"
    "                  --duration: no limit)\n"
    "  --duration D    submit requests for D after the start (250ms, 20s),\n"
    "                  then wait for the last one of each client and stop\n"
    "  --deadline D    give up after D (250ms, 20s; a bare number is ms)\n"
    "  --trace FILE    its trace (JSON Lines with a Lamport clock)\n"
    "  --json          one JSON line per client at the end: accepted,\n"
    "                  latencies (p50, p99, max, each one), when each\n"
    "                  request was accepted (us since the cluster's\n"
    "                  epoch), signatures made and verified\n"
    "  -q, --quiet     print nothing but errors (and --json's lines)\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0 every request accepted; 1 stopped or out of time\n"
    "first; 2 bad usage or input; 3 a failure while running.\n"
    "\n"
    "Example:\n"
    "  byzlab client --cluster cluster.yaml --id 0 --op 'put x 1' --op 'get "
    "x'\n";

static const char adversary_usage[] =
    "Usage: byzlab adversary --cluster FILE [--scenario FILE] [--trace FILE]\n"
    "                        [-q]\n"
    "\n"
    "Run the man in the middle of the cluster FILE describes: when a\n"
    "cluster file names an adversary endpoint, every replica and client\n"
    "sends every frame here, and this process applies the attack library\n"
    "(docs/attacks.md) to it, as the simulator does: drop, delay, reorder,\n"
    "duplicate, replay, tamper, and re-sign as the Byzantine replicas of\n"
    "the scenario, whose secret keys are the only ones it reads. Frames it\n"
    "passes on unchanged keep their bytes and signatures. Times in attack\n"
    "schedules (from=, until=, gst) count from the cluster's epoch.\n"
    "\n"
    "Options:\n"
    "  --cluster FILE   the cluster file (required)\n"
    "  --scenario FILE  the attacks and Byzantine replicas (a scenario\n"
    "                   file, docs/scenarios.md; default: the cluster\n"
    "                   file's own fields)\n"
    "  --trace FILE     what it did to every frame (relay, drop, send)\n"
    "  -q, --quiet      no start-up line on stderr\n"
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0 stopped by a signal; 2 bad usage or input; 3 a\n"
    "failure while running.\n";

enum {
	O_CLUSTER = 256,
	O_ID,
	O_TWIN,
	O_DATA,
	O_TRACE,
	O_OP,
	O_REQUESTS,
	O_DEADLINE,
	O_JSON,
	O_SCENARIO,
	O_COUNT,
	O_DURATION
};

static const struct option proc_options[] = {
    {"cluster", required_argument, NULL, O_CLUSTER},
    {"id", required_argument, NULL, O_ID},
    {"twin", no_argument, NULL, O_TWIN},
    {"data", required_argument, NULL, O_DATA},
    {"trace", required_argument, NULL, O_TRACE},
    {"op", required_argument, NULL, O_OP},
    {"requests", required_argument, NULL, O_REQUESTS},
    {"deadline", required_argument, NULL, O_DEADLINE},
    {"json", no_argument, NULL, O_JSON},
    {"scenario", required_argument, NULL, O_SCENARIO},
    {"count", required_argument, NULL, O_COUNT},
    {"duration", required_argument, NULL, O_DURATION},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Which options each command takes. */
static bool takes(const char *cmd, int opt)
{
	switch (opt) {
	case O_CLUSTER:
	case O_TRACE:
	case 'q':
	case 'h':
		return true;
	case O_ID:
		return strcmp(cmd, "adversary") != 0;
	case O_TWIN:
	case O_DATA:
		return !strcmp(cmd, "node");
	case O_OP:
	case O_REQUESTS:
	case O_DEADLINE:
	case O_JSON:
	case O_COUNT:
	case O_DURATION:
		return !strcmp(cmd, "client");
	case O_SCENARIO:
		return !strcmp(cmd, "adversary");
	}
	return false;
}

struct proc_args {
	struct node_opts node;
	struct client_proc_opts client;
	struct proxy_opts adv;
	bool have_id;
};

static int parse(const char *cmd, const char *usage, int argc, char **argv,
		 struct proc_args *a)
{
	uint64_t v;
	int c, rc;

	memset(a, 0, sizeof *a);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", proc_options, NULL)) != -1) {
		if (c == '?')
			return cli_usage_error(cmd, "unknown option '%s'",
					       argv[optind - 1]);
		if (c == ':')
			return cli_usage_error(cmd, "option '%s' needs a value",
					       argv[optind - 1]);
		if (!takes(cmd, c))
			return cli_usage_error(cmd,
					       "option '%s' is not one of "
					       "byzlab %s's",
					       argv[optind - 1], cmd);
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return -1;
		case 'q':
			a->node.quiet = a->client.quiet = a->adv.quiet = true;
			break;
		case O_CLUSTER:
			a->node.cluster = a->client.cluster = a->adv.cluster =
			    optarg;
			break;
		case O_ID:
			if ((rc = cli_parse_u64(cmd, "--id", optarg, 0,
						UINT32_MAX - 1, &v)))
				return rc;
			a->node.id = a->client.id = (uint32_t)v;
			a->have_id = true;
			break;
		case O_TWIN:
			a->node.twin = true;
			break;
		case O_DATA:
			a->node.data = optarg;
			break;
		case O_TRACE:
			a->node.trace = a->client.trace = a->adv.trace = optarg;
			break;
		case O_OP:
			if (a->client.nops == CLIENT_PROC_MAX_OPS)
				return cli_usage_error(cmd,
						       "--op: at most %d "
						       "operations",
						       CLIENT_PROC_MAX_OPS);
			a->client.ops[a->client.nops++] = optarg;
			break;
		case O_REQUESTS:
			if ((rc = cli_parse_u64(cmd, "--requests", optarg, 1,
						1000000, &v)))
				return rc;
			a->client.requests = (uint32_t)v;
			break;
		case O_DEADLINE:
			if ((rc = cli_parse_duration(cmd, "--deadline", optarg,
						     &a->client.deadline_us)))
				return rc;
			break;
		case O_JSON:
			a->client.json = true;
			break;
		case O_COUNT:
			if ((rc = cli_parse_u64(cmd, "--count", optarg, 1, 1024,
						&v)))
				return rc;
			a->client.count = (uint32_t)v;
			break;
		case O_DURATION:
			if ((rc = cli_parse_duration(cmd, "--duration", optarg,
						     &a->client.duration_us)))
				return rc;
			if (!a->client.duration_us)
				return cli_usage_error(
				    cmd, "--duration: must be more than 0");
			break;
		case O_SCENARIO:
			a->adv.scenario = optarg;
			break;
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'",
				       argv[optind]);
	if (!a->node.cluster)
		return cli_usage_error(cmd, "--cluster FILE is required");
	if (strcmp(cmd, "adversary") && !a->have_id)
		return cli_usage_error(cmd, "--id is required");
	if (a->client.nops && a->client.requests)
		return cli_usage_error(cmd, "--op and --requests exclude each "
					    "other");
	if (a->client.nops && a->client.duration_us)
		return cli_usage_error(cmd, "--op and --duration exclude each "
					    "other");
	return 0;
}

int cmd_node(int argc, char **argv)
{
	struct proc_args a;
	int rc = parse("node", node_usage, argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	proc_signals();
	return node_main(&a.node);
}

int cmd_client(int argc, char **argv)
{
	struct proc_args a;
	int rc = parse("client", client_usage, argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	proc_signals();
	return client_proc_main(&a.client);
}

int cmd_adversary(int argc, char **argv)
{
	struct proc_args a;
	int rc = parse("adversary", adversary_usage, argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	proc_signals();
	return proxy_main(&a.adv);
}
