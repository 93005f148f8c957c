/*
 * main.c - the `byzlab` command line: dispatch to a subcommand.
 *
 * The subcommands and exit codes are a contract (ARCHITECTURE.md, "The
 * command line"): 0 all held, 1 a violation or unmet expectation, 2 bad
 * usage or input.
 */
#include "manifest.h"
#include "cli.h"
#include "core.h"
#include "crypto.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"run", cmd_run,
     "run one scenario; print a verdict line and the trace hash"},
    {"campaign", cmd_campaign,
     "run a campaign file; progress bar; results directory"},
    {"check", cmd_check,
     "judge a trace file: the verdict of the run that wrote it"},
    {"replay", cmd_replay, "re-run a saved failure exactly"},
    {"shrink", cmd_shrink, "minimise a saved failure"},
    {"selftest", cmd_selftest,
     "plant each protocol mutant; do the campaigns catch it?"},
    {"report", cmd_report,
     "message complexity, message sequence charts, campaign pages"},
    {"keygen", cmd_keygen, "write key files for a cluster"},
    {"node", cmd_node, "one replica process over ZeroMQ"},
    {"adversary", cmd_adversary, "the interceptor proxy process"},
    {"client", cmd_client, "a client process"},
    {"cluster", cmd_cluster, "a long-lived local cluster: up, status, down"},
    {"bench", cmd_bench,
     "benchmarks, with the crypto bound measured alongside"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void main_usage(FILE *out)
{
	fprintf(out,
		"Usage: byzlab COMMAND [OPTIONS]\n"
		"\n"
		"A Byzantine fault-injection testbed: replicas of a consensus\n"
		"protocol exchange Ed25519-signed messages while an adversary\n"
		"attacks them, and checkers judge safety and liveness on the\n"
		"honest replicas.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\nProtocols (--protocol; the first is the default):\n");
	for (const struct byz_core_ops *const *p = byz_core_all(); *p; p++)
		fprintf(out, "  %-10s %s\n", (*p)->name, (*p)->summary);
	fprintf(
	    out,
	    "\n"
	    "Run 'byzlab COMMAND --help' for a command's options.\n"
	    "Exit status: 0 all invariants held; 1 a violation or an unmet\n"
	    "expectation; 2 bad usage or bad input.\n");
}

int main(int argc, char **argv)
{
	char why[160];

	/* A list that names a protocol twice, or a codec under another name,
	 * is a build mistake (lib/protocols.list): say so before anything. */
	if (byz_registry_check(why, sizeof why)) {
		fprintf(stderr, "byzlab: error: protocol registry: %s\n", why);
		return EXIT_USAGE;
	}
	if (argc < 2) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		main_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("byzlab %s\n", manifest_version());
		return EXIT_OK;
	}
	if (byz_crypto_init()) {
		fprintf(stderr,
			"byzlab: error: libsodium failed to initialise\n");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr,
		"byzlab: error: unknown command '%s'\n"
		"Try 'byzlab --help'.\n",
		argv[1]);
	return EXIT_USAGE;
}
