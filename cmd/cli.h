/*
 * cli.h - conventions shared by every `byzlab` subcommand.
 *
 * Each subcommand is `int cmd_X(int argc, char **argv)` with argv[0] the
 * subcommand's name, and returns the process exit code:
 *   0 = all invariants and expectations held,
 *   1 = a violation or an unmet expectation,
 *   2 = bad usage or bad input (after a message that says what and where),
 *   3 = results incomplete: an output file could not be written (the
 *       message names it), where the command documents it.
 * Messages for people go to stderr as "byzlab CMD: error: ..." followed by
 * "Try 'byzlab CMD --help'." for usage errors.
 */
#ifndef BYZ_CLI_H
#define BYZ_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_OK	       0
#define EXIT_VIOLATION 1
#define EXIT_USAGE     2
/* The harness could not do everything it was asked: a write failed (a
 * full disk...; the message names what is missing), a run could not be
 * carried out, runs are missing. No verdict over it all. Never an
 * interrupt (130 is only SIGINT/SIGTERM). */
#define EXIT_INCOMPLETE 3

/* Print "byzlab CMD: error: <message>" and the --help hint; return 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print "byzlab CMD: error: <message>" (no hint); return 2. For bad input
 * files and the like, where the message names the file and the place. */
int cli_input_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse an unsigned decimal integer option value in [min, max]. Returns 0,
 * or prints what was wrong ("--n: '3x' is not a whole number from 1 to 64")
 * and returns 2. */
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min,
		  uint64_t max, uint64_t *out);
/* Parse a probability in [0, 1] ("0.05"). Same conventions. */
int cli_parse_prob(const char *cmd, const char *opt, const char *s,
		   double *out);
/* Parse a duration: a number with a unit, "250us", "20ms", "1.5s";
 * a bare number is milliseconds. Into microseconds. Same conventions. */
int cli_parse_duration(const char *cmd, const char *opt, const char *s,
		       uint64_t *out_us);

/* The limits of every registered protocol (core.h, struct byz_limits), a
 * table of one line per protocol, for help texts: what the cores enforce,
 * from the same tables (docs/scenarios.md shows the same). */
void cli_print_limits(FILE *out);

/* The subcommands (cmd/cmd_*.c). */
int cmd_run(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_campaign(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_shrink(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
/* Judge the trace file at path as `byzlab check PATH` does (its output and
 * exit status); `byzlab run --driver zmq` judges its merged trace so. */
int cmd_check_file(const char *path, bool json);
int cmd_client(int argc, char **argv);
int cmd_adversary(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
