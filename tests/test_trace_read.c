/*
 * test_trace_read.c - a trace file read back (harness/trace_read.h), and
 * judged as the run that wrote it judged itself.
 *
 * A small hand-written trace (n = 4, one client, two requests, a crash and
 * a restart) is read and its log asserted; then each class of bad input is
 * given and the message asserted, naming file, line and field; then every
 * cut and many byte changes of a good trace are read, which must never
 * crash; last, real runs (a pass and an agreement violation with twins)
 * are written, read and judged, and must give the run's verdict.
 */
#include "check.h"
#include "crypto.h"
#include "err.h"
#include "scenario.h"
#include "scenario_io.h"
#include "trace_read.h"
#include "verdict.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define D_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define D_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define D_S "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

#define RUN_LINE                                                               \
	"{\"t\":0,\"ev\":\"run\",\"protocol\":\"pbft\",\"driver\":\"sim\","    \
	"\"n\":4,\"f\":1,\"seed\":\"7\",\"requests\":2,\"gst_us\":1000,"       \
	"\"bound_us\":50000,\"byzantine\":[3],\"twins\":[3],\"amnesia\":[]}\n"

#define COMMIT(t, r, h, ts, req)                                               \
	"{\"t\":" #t ",\"ev\":\"commit\",\"replica\":" #r ",\"height\":" #h    \
	",\"slot\":" #h ",\"client\":0,\"ts\":" #ts ",\"req\":\"" req          \
	"\",\"state\":\"" D_S "\"}\n"

/* A good trace: replica 2 crashes and comes back; 3 is Byzantine with a
 * twin (1073741827) that commits something else. Before each request is
 * committed, three replicas hear of it and of each other (the causality
 * check, lib/causal.h). */
static const char good[] = RUN_LINE
    "{\"t\":1,\"ev\":\"submit\",\"client\":0,\"ts\":1,\"req\":\"" D_A "\"}\n"
    "{\"t\":5,\"ev\":\"send\",\"id\":1,\"from\":\"c0\",\"to\":\"r0\","
    "\"msg\":\"client/request\",\"len\":180}\n"
    "{\"t\":9,\"ev\":\"deliver\",\"id\":1,\"from\":\"c0\",\"to\":\"r0\"}\n"
    "{\"t\":9,\"ev\":\"send\",\"id\":2,\"from\":\"r0\",\"to\":\"r1\",\"msg\":"
    "\"pbft/pre-prepare\",\"len\":100}\n"
    "{\"t\":9,\"ev\":\"deliver\",\"id\":2,\"from\":\"r0\",\"to\":\"r1\"}\n"
    "{\"t\":9,\"ev\":\"send\",\"id\":3,\"from\":\"r0\",\"to\":\"r2\",\"msg\":"
    "\"pbft/pre-prepare\",\"len\":100}\n"
    "{\"t\":9,\"ev\":\"deliver\",\"id\":3,\"from\":\"r0\",\"to\":\"r2\"}\n"
    "{\"t\":9,\"ev\":\"send\",\"id\":4,\"from\":\"r1\",\"to\":\"r0\",\"msg\":"
    "\"pbft/prepare\",\"len\":100}\n"
    "{\"t\":9,\"ev\":\"deliver\",\"id\":4,\"from\":\"r1\",\"to\":\"r0\"}\n"
    "{\"t\":9,\"ev\":\"send\",\"id\":5,\"from\":\"r2\",\"to\":\"r0\",\"msg\":"
    "\"pbft/prepare\",\"len\":100}\n"
    "{\"t\":9,\"ev\":\"deliver\",\"id\":5,\"from\":\"r2\",\"to\":\"r0\"}\n"
    "{\"t\":9,\"ev\":\"send\",\"id\":6,\"from\":\"r1\",\"to\":\"r2\",\"msg\":"
    "\"pbft/prepare\",\"len\":100}\n"
    "{\"t\":9,\"ev\":\"deliver\",\"id\":6,\"from\":\"r1\",\"to\":\"r2\"}\n"
    "{\"t\":9,\"ev\":\"send\",\"id\":7,\"from\":\"r2\",\"to\":\"r1\",\"msg\":"
    "\"pbft/prepare\",\"len\":100}\n"
    "{\"t\":9,\"ev\":\"deliver\",\"id\":7,\"from\":\"r2\",\"to\":\"r1\"}"
    "\n" COMMIT(10, 0, 1, 1, D_A) COMMIT(11, 1, 1, 1, D_A) COMMIT(12, 2, 1, 1,
								  D_A)
	COMMIT(12, 1073741827, 1, 9,
	       D_B) "{\"t\":13,\"ev\":\"accept\",\"client\":0,\"ts\":1,"
		    "\"result\":\"ok\"}\n"
		    "{\"t\":14,\"ev\":\"crash\",\"replica\":2}\n"
		    "{\"t\":20,\"ev\":\"submit\",\"client\":0,\"ts\":2,\"req\":"
		    "\"" D_B "\"}\n"
		    "{\"t\":25,\"ev\":\"send\",\"id\":8,\"from\":\"c0\",\"to\":"
		    "\"r0\",\"msg\":\"client/request\",\"len\":180}\n"
		    "{\"t\":25,\"ev\":\"deliver\",\"id\":8,\"from\":\"c0\","
		    "\"to\":\"r0\"}\n"
		    "{\"t\":25,\"ev\":\"send\",\"id\":9,\"from\":\"r0\",\"to\":"
		    "\"r1\",\"msg\":\"pbft/pre-prepare\",\"len\":100}\n"
		    "{\"t\":25,\"ev\":\"deliver\",\"id\":9,\"from\":\"r0\","
		    "\"to\":\"r1\"}\n"
		    "{\"t\":25,\"ev\":\"send\",\"id\":10,\"from\":\"r0\","
		    "\"to\":\"r3\",\"msg\":\"pbft/pre-prepare\",\"len\":100}\n"
		    "{\"t\":25,\"ev\":\"deliver\",\"id\":10,\"from\":\"r0\","
		    "\"to\":\"r3\"}\n"
		    "{\"t\":25,\"ev\":\"send\",\"id\":11,\"from\":\"r3\","
		    "\"to\":\"r0\",\"msg\":\"pbft/prepare\",\"len\":100}\n"
		    "{\"t\":25,\"ev\":\"deliver\",\"id\":11,\"from\":\"r3\","
		    "\"to\":\"r0\"}\n"
		    "{\"t\":25,\"ev\":\"send\",\"id\":12,\"from\":\"r3\","
		    "\"to\":\"r1\",\"msg\":\"pbft/prepare\",\"len\":100}\n"
		    "{\"t\":25,\"ev\":\"deliver\",\"id\":12,\"from\":\"r3\","
		    "\"to\":\"r1\"}\n"
		    "{\"t\":25,\"ev\":\"send\",\"id\":13,\"from\":\"r1\","
		    "\"to\":\"r0\",\"msg\":\"pbft/prepare\",\"len\":100}\n"
		    "{\"t\":25,\"ev\":\"deliver\",\"id\":13,\"from\":\"r1\","
		    "\"to\":\"r0\"}\n" COMMIT(30, 0, 2, 2, D_B)
			COMMIT(31, 1, 2, 2,
			       D_B) "{\"t\":32,\"ev\":\"accept\",\"client\":0,"
				    "\"ts\":2,\"result\":\"ok\"}\n"
				    "{\"t\":40,\"ev\":\"restart\",\"replica\":"
				    "2,\"state\":true}\n"
				    "{\"t\":41,\"ev\":\"restore\",\"replica\":"
				    "2,\"height\":2,"
				    "\"slot\":2,\"state\":\"" D_S "\"}\n"
				    "{\"t\":42,\"ev\":\"timer\",\"node\":"
				    "\"r1\",\"timer\":0}\n"
				    "{\"t\":43,\"ev\":\"note\",\"node\":\"r1\","
				    "\"text\":\"hi\"}\n"
				    "{\"t\":50,\"ev\":\"end\",\"stop\":"
				    "\"done\",\"forged\":0}\n";

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/byzlab-test-trace-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
	char path[96];

	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	unlink(path);
	rmdir(dir);
}

/* Write len bytes to DIR/t.jsonl; the path in out. */
static void put(char out[96], const char *text, size_t len)
{
	FILE *f;

	snprintf(out, 96, "%s/t.jsonl", dir);
	f = fopen(out, "wb");
	cr_assert(f);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* Read text as a trace; the result code, the message in why. */
static int read_text(const char *text, size_t len, char why[512], char path[96])
{
	struct trace_read tr;
	int rc;

	put(path, text, len);
	why[0] = '\0';
	rc = trace_read_file(path, &tr, why, 512);
	trace_read_free(&tr);
	return rc;
}

/* Assert that text fails with "PATH:<where>". */
static void assert_bad(const char *text, const char *where)
{
	char why[512], path[96], want[640];

	cr_assert_eq(read_text(text, strlen(text), why, path), BYZ_EINVAL,
		     "accepted: %s", text);
	snprintf(want, sizeof want, "%s:%s", path, where);
	cr_assert_str_eq(why, want);
}

TestSuite(trace_read, .init = setup, .fini = teardown);

Test(trace_read, a_good_trace_gives_its_log)
{
	struct trace_read tr;
	char path[96], why[512] = "";
	uint8_t h[BYZ_DIGEST_BYTES];
	char hex[2 * BYZ_DIGEST_BYTES + 1];

	put(path, good, strlen(good));
	cr_assert_eq(trace_read_file(path, &tr, why, sizeof why), 0, "%s", why);
	cr_assert_str_eq(tr.protocol, "pbft");
	cr_assert_str_eq(tr.seed, "7");
	cr_assert_eq(tr.log.n, 4);
	cr_assert_eq(tr.log.f, 1);
	cr_assert_eq(tr.log.gst_us, 1000);
	cr_assert_eq(tr.bound_us, 50000);
	cr_assert(tr.declared[3] && !tr.declared[0]);
	cr_assert(tr.twin[3]);
	cr_assert_eq(tr.lines, 43);
	cr_assert_eq(tr.log.nsubmits, 2);
	/* 6 commits and a restore; the twin's commit is not kept. */
	cr_assert_eq(tr.log.ncommits, 6);
	cr_assert(tr.log.commits[5].c.restored);
	cr_assert_eq(tr.log.commits[5].c.height, 2);
	cr_assert_eq(tr.log.commits[3].c.timestamp, 2);
	cr_assert_eq(tr.log.commits[3].c.request_digest[0], 0xbb);
	cr_assert_eq(tr.log.commits[3].c.state_digest[1], 0x23);
	cr_assert(!tr.log.down_at_end[2]);
	cr_assert(tr.has_end && tr.end.done);
	cr_assert_eq(tr.end.now, 50);
	cr_assert_eq(tr.log.end_us, 50);
	cr_assert_eq(tr.end.accepted, 2);
	cr_assert_eq(tr.end.requests, 2);
	cr_assert_eq(tr.counts.sent[BYZ_PROTO_CLIENT][WIRE_CLIENT_REQUEST], 2);
	cr_assert_eq(tr.counts.bytes[BYZ_PROTO_CLIENT][WIRE_CLIENT_REQUEST],
		     360);
	cr_assert_eq(tr.counts.delivered, 13);
	/* The hash is b2sum -l 256 of the file. */
	byz_digest(h, good, strlen(good));
	byz_hex(hex, h, sizeof h);
	cr_assert_str_eq(tr.hash, hex);
	trace_read_free(&tr);
}

Test(trace_read, the_good_trace_passes_and_the_twin_is_left_out)
{
	struct trace_read tr;
	struct check_result res;
	char path[96], why[512];

	put(path, good, strlen(good));
	cr_assert_eq(trace_read_file(path, &tr, why, sizeof why), 0, "%s", why);
	trace_read_faulty(&tr, NULL);
	cr_assert(tr.log.byzantine[3]);
	cr_assert_eq(check_run(&tr.log, CHECK_ALL, tr.bound_us, &res), 0);
	cr_assert_eq(res.total, 0, "%s", res.kept ? res.v[0].detail : "");
	trace_read_free(&tr);
}

Test(trace_read, a_restart_without_state_makes_the_replica_faulty)
{
	char text[sizeof good + 64], path[96], why[512];
	struct trace_read tr;
	char *p;

	strcpy(text, good);
	p = strstr(text, "\"state\":true");
	memcpy(p, "\"state\":0   ", 12); /* not a boolean */
	cr_assert_eq(read_text(text, strlen(text), why, path), BYZ_EINVAL);
	cr_assert(strstr(why, ":39: restart: field 'state' is not true or "
			      "false"),
		  "%s", why);
	memmove(p + 13, p + 12, strlen(p + 12) + 1);
	memcpy(p, "\"state\":false", 13);
	put(path, text, strlen(text));
	cr_assert_eq(trace_read_file(path, &tr, why, sizeof why), 0, "%s", why);
	cr_assert(tr.amnesia[2]);
	/* --byzantine none keeps it out all the same. */
	{
		bool none[BYZ_MAX_N] = {false};
		trace_read_faulty(&tr, none);
	}
	cr_assert(tr.log.byzantine[2] && !tr.log.byzantine[3]);
	trace_read_free(&tr);
}

Test(trace_read, a_missing_field_is_named)
{
	assert_bad(RUN_LINE "{\"t\":10,\"ev\":\"commit\",\"replica\":0,"
			    "\"slot\":1,\"client\":0,\"ts\":1,\"req\":\"" D_A
			    "\",\"state\":\"" D_S "\"}\n",
		   "2: commit: field 'height' is missing");
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":\"send\",\"id\":1}\n",
		   "2: send: field 'from' is missing");
	assert_bad(RUN_LINE "{\"ev\":\"crash\",\"replica\":1}\n",
		   "2: crash: field 't' is missing");
	assert_bad(RUN_LINE "{\"t\":1,\"replica\":1}\n",
		   "2: field 'ev' is missing");
}

Test(trace_read, a_field_of_the_wrong_type_or_range_is_named)
{
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":\"crash\",\"replica\":\"r1\"}\n",
		   "2: crash: field 'replica' is not a whole number");
	assert_bad(RUN_LINE "{\"t\":1.5,\"ev\":\"crash\",\"replica\":1}\n",
		   "2: crash: field 't' is not a whole number");
	assert_bad(
	    RUN_LINE "{\"t\":-3,\"ev\":\"crash\",\"replica\":1}\n",
	    "2: crash: field 't' is -3, outside 0..18446744073709551615");
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":\"crash\",\"replica\":4}\n",
		   "2: crash: replica 4 is not one of the n = 4 replicas");
	assert_bad(RUN_LINE COMMIT(1, 1073741825, 1, 1, D_A),
		   "2: commit: replica 1073741825 is not one of the n = 4 "
		   "replicas or a twin the run line lists");
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":\"submit\",\"client\":4294967296,"
			    "\"ts\":1,\"req\":\"" D_A "\"}\n",
		   "2: submit: field 'client' is 4294967296, outside "
		   "0..4294967295");
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":\"submit\",\"client\":0,"
			    "\"ts\":1,\"req\":\"AAAA\"}\n",
		   "2: submit: field 'req' is not 64 lower-case hex digits");
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":\"end\",\"stop\":\"bored\","
			    "\"forged\":0}\n",
		   "2: end: field 'stop': 'bored' is not done, time-limit, "
		   "event-limit, interrupted, violation, core-error or idle");
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":\"end\",\"stop\":\"done\","
			    "\"forged\":0,\"core_error\":\"nope\","
			    "\"core_replica\":1}\n",
		   "2: end: field 'core_error': 'nope' is not an error name "
		   "(lib/err.c)");
}

Test(trace_read, a_bad_run_line_is_named)
{
	assert_bad("{\"t\":0,\"ev\":\"run\",\"protocol\":\"pbft\","
		   "\"driver\":\"sim\",\"n\":3,\"f\":1,\"seed\":\"1\","
		   "\"requests\":1,\"gst_us\":0,\"bound_us\":1,"
		   "\"byzantine\":[],\"twins\":[],\"amnesia\":[]}\n",
		   "1: run: fields 'n' and 'f': n = 3 is below 3f+1 = 4");
	assert_bad(
	    "{\"t\":0,\"ev\":\"run\",\"protocol\":\"pbft\","
	    "\"driver\":\"sim\",\"n\":4,\"f\":1,\"seed\":\"1\","
	    "\"requests\":1,\"gst_us\":0,\"bound_us\":1,"
	    "\"byzantine\":[1,1],\"twins\":[],\"amnesia\":[]}\n",
	    "1: run: field 'byzantine': item 2 is not a replica id below "
	    "n = 4 listed once");
	assert_bad("{\"t\":0,\"ev\":\"run\",\"protocol\":\"pbft\","
		   "\"driver\":\"sim\",\"n\":4,\"f\":1,\"seed\":7,"
		   "\"requests\":1,\"gst_us\":0,\"bound_us\":1,"
		   "\"byzantine\":[],\"twins\":[],\"amnesia\":[]}\n",
		   "1: run: field 'seed' is not a string");
	assert_bad("{\"t\":0,\"ev\":\"run\",\"protocol\":\"pbft\","
		   "\"driver\":\"sim\",\"n\":4,\"f\":1,\"seed\":\"1\","
		   "\"requests\":1,\"gst_us\":0,\"bound_us\":1,"
		   "\"byzantine\":[],\"twins\":[2],\"amnesia\":[]}\n",
		   "1: run: replica 2 has a twin but is not Byzantine");
}

Test(trace_read, lines_out_of_place_are_named)
{
	assert_bad("{\"t\":1,\"ev\":\"crash\",\"replica\":1}\n",
		   "1: crash: the first line must be a run line (a trace from "
		   "before it existed cannot be judged: run the scenario "
		   "again)");
	assert_bad(RUN_LINE RUN_LINE,
		   "2: run: only the first line may be a run line");
	assert_bad(RUN_LINE "{\"t\":9,\"ev\":\"end\",\"stop\":\"done\","
			    "\"forged\":0}\n"
			    "{\"t\":10,\"ev\":\"crash\",\"replica\":1}\n",
		   "3: crash: a line after the end line");
	assert_bad(
	    RUN_LINE "{\"t\":1,\"ev\":\"teleport\"}\n",
	    "2: teleport: unknown kind of line (docs/trace.md lists them)");
}

Test(trace_read, garbage_is_named)
{
	assert_bad(RUN_LINE "hello\n",
		   "2: not JSON: '[' or '{' expected near 'hello' (column 5)");
	assert_bad(RUN_LINE "[1,2]\n", "2: not a JSON object");
	assert_bad(RUN_LINE "\n", "2: an empty line");
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":\"crash\",\"replica\":1,"
			    "\"replica\":2}\n",
		   "2: not JSON: duplicate object key near '\"replica\"' "
		   "(column 41)");
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":\"crash\",\"replica\":1} x\n",
		   "2: not JSON: end of file expected near 'x' (column 34)");
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":7}\n",
		   "2: field 'ev' is not a kind of line");
}

Test(trace_read, huge_numbers_are_refused_not_wrapped)
{
	assert_bad(RUN_LINE "{\"t\":1,\"ev\":\"crash\","
			    "\"replica\":99999999999999999999999}\n",
		   "2: not JSON: too big integer (column 53)");
	assert_bad(
	    RUN_LINE "{\"t\":1e400,\"ev\":\"crash\",\"replica\":1}\n",
	    "2: not JSON: real number overflow near '1e400' (column 10)");
}

Test(trace_read, a_cut_or_long_line_and_an_empty_file_are_named)
{
	char why[512], path[96], want[700], *big;
	size_t len;

	/* A trace cut short: its last line has no newline. */
	cr_assert_eq(read_text(good, strlen(good) - 1, why, path), BYZ_EINVAL);
	snprintf(want, sizeof want,
		 "%s:43: the last line has no newline: the trace was cut short",
		 path);
	cr_assert_str_eq(why, want);

	len = strlen(RUN_LINE) + TRACE_READ_MAX_LINE + 2;
	big = malloc(len + 1);
	memset(big, ' ', len);
	memcpy(big, RUN_LINE, strlen(RUN_LINE));
	big[len - 1] = '\n';
	big[len] = '\0';
	cr_assert_eq(read_text(big, len, why, path), BYZ_EINVAL);
	snprintf(want, sizeof want, "%s:2: the line is longer than %d bytes",
		 path, TRACE_READ_MAX_LINE);
	cr_assert_str_eq(why, want);
	free(big);

	cr_assert_eq(read_text("", 0, why, path), BYZ_EINVAL);
	snprintf(want, sizeof want, "%s: empty: a trace starts with a run line",
		 path);
	cr_assert_str_eq(why, want);

	/* A NUL byte inside a line is not JSON. */
	{
		char text[sizeof RUN_LINE + 40];
		int n = snprintf(text, sizeof text,
				 "%s{\"t\":1,\"ev\":\"x\"}\n", RUN_LINE);

		text[strlen(RUN_LINE) + 3] = '\0';
		cr_assert_eq(read_text(text, (size_t)n, why, path), BYZ_EINVAL);
		cr_assert(strstr(why, ":2: not JSON:"), "%s", why);
	}
}

Test(trace_read, a_missing_file_is_an_io_error)
{
	struct trace_read tr;
	char why[512];

	cr_assert_eq(
	    trace_read_file("/nonexistent/t.jsonl", &tr, why, sizeof why),
	    BYZ_EIO);
	cr_assert_str_eq(why, "/nonexistent/t.jsonl: cannot read: No such "
			      "file or directory");
	trace_read_free(&tr);
}

/* Every prefix, and every byte replaced by a few others: the reader
 * answers 0 or BYZ_EINVAL with a message, and never crashes (the ASan
 * build runs this too). */
/* Read len bytes from memory as the trace "mem.jsonl". */
static int read_mem(const char *text, size_t len, char why[512])
{
	struct trace_read tr;
	FILE *f = fmemopen((void *)text, len ? len : 1, "rb");
	int rc;

	cr_assert(f);
	if (!len)
		getc(f); /* fmemopen wants a size of at least 1 */
	rc = trace_read_stream(f, "mem.jsonl", &tr, why, 512);
	fclose(f);
	trace_read_free(&tr);
	return rc;
}

Test(trace_read, no_cut_or_changed_byte_crashes_it)
{
	static const char subst[] = {'\0', '\n',   '"', '9', '-',
				     '}',  '\xff', '[', ' ', 'e'};
	size_t len = strlen(good);
	char *text = malloc(len);
	char why[512];
	size_t ok = 0, bad = 0;

	for (size_t cut = 0; cut <= len; cut++) {
		int rc = read_mem(good, cut, why);

		cr_assert(rc == 0 || rc == BYZ_EINVAL);
		cr_assert(rc == 0 || !strncmp(why, "mem.jsonl:", 10), "%s",
			  why);
		/* A cut just after a newline reads (with no end line, it is
		 * judged as a run that did not finish); any other fails. */
		cr_assert_eq(rc == 0, cut > 0 && good[cut - 1] == '\n',
			     "cut %zu: %s", cut, why);
	}
	for (size_t i = 0; i < len; i++)
		for (size_t k = 0; k < sizeof subst; k++) {
			int rc;

			memcpy(text, good, len);
			text[i] = subst[k];
			rc = read_mem(text, len, why);
			cr_assert(rc == 0 || rc == BYZ_EINVAL, "rc %d", rc);
			cr_assert(rc == 0 || !strncmp(why, "mem.jsonl:", 10),
				  "%s", why);
			if (rc)
				bad++;
			else
				ok++;
		}
	cr_assert_gt(bad, ok);
	free(text);
}

/* Run sc writing its trace, read the trace back and judge it as `byzlab
 * check` does; both results in *run and *chk. */
static void run_and_check(const struct scenario *sc,
			  struct scenario_result *run,
			  struct scenario_result *chk)
{
	struct trace_read tr;
	char path[96], why[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	f = fopen(path, "w");
	cr_assert(f);
	cr_assert_eq(scenario_run(sc, f, run), 0, "%s", run->why);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(trace_read_file(path, &tr, why, sizeof why), 0, "%s", why);
	trace_read_faulty(&tr, NULL);
	memset(chk, 0, sizeof *chk);
	chk->sim = tr.end;
	chk->no_gst = tr.no_gst;
	chk->liveness_bound_us = tr.bound_us;
	cr_assert_eq(check_run(&tr.log, verdict_mask(&chk->sim, chk->no_gst),
			       tr.bound_us, &chk->checks),
		     0);
	verdict_judge(chk);
	memcpy(chk->trace_hash, tr.hash, sizeof chk->trace_hash);
	trace_read_free(&tr);
}

static void assert_same(const struct scenario_result *a,
			const struct scenario_result *b)
{
	cr_assert_eq(a->verdict, b->verdict);
	cr_assert_str_eq(a->why, b->why);
	cr_assert_eq(a->safe, b->safe);
	cr_assert_eq(a->live_judged, b->live_judged);
	cr_assert_eq(a->live, b->live);
	cr_assert_eq(a->checks.total, b->checks.total);
	for (int c = 0; c < CHECK_COUNT; c++)
		cr_assert_eq(a->checks.per_check[c], b->checks.per_check[c]);
	for (size_t i = 0; i < a->checks.kept; i++)
		cr_assert_str_eq(a->checks.v[i].detail, b->checks.v[i].detail);
	cr_assert_eq(a->sim.accepted, b->sim.accepted);
	cr_assert_eq(a->sim.requests, b->sim.requests);
	cr_assert_eq(a->sim.now, b->sim.now);
	cr_assert_str_eq(a->trace_hash, b->trace_hash);
}

Test(trace_read, a_passing_run_and_its_trace_agree)
{
	struct scenario sc;
	struct scenario_result run, chk;

	scenario_defaults(&sc);
	sc.crashes[0] = (struct sim_crash){.replica = 2,
					   .at_us = 20000,
					   .restart_at_us = 60000,
					   .keep_state = false};
	sc.ncrashes = 1;
	run_and_check(&sc, &run, &chk);
	cr_assert_eq(run.verdict, VERDICT_PASS, "%s", run.why);
	assert_same(&run, &chk);
}

Test(trace_read, an_agreement_violation_and_its_trace_agree)
{
	struct scenario sc;
	struct scenario_result run, chk;
	char why[256];

	scenario_defaults(&sc);
	cr_assert_eq(scenario_set(&sc, "byzantine", "0,1", why, sizeof why), 0);
	cr_assert_eq(scenario_add_attack(&sc, "twins", why, sizeof why), 0,
		     "%s", why);
	sc.gst_us = 1000000;
	sc.stop_on_violation = true;
	run_and_check(&sc, &run, &chk);
	cr_assert_eq(run.verdict, VERDICT_FAIL);
	cr_assert(!run.safe);
	cr_assert_gt(run.checks.per_check[CHECK_AGREEMENT], 0);
	assert_same(&run, &chk);
}

Test(trace_read, a_run_that_does_not_finish_and_its_trace_agree)
{
	struct scenario sc;
	struct scenario_result run, chk;

	scenario_defaults(&sc);
	sc.max_time_us = 30000; /* too short for 100 requests */
	run_and_check(&sc, &run, &chk);
	cr_assert_eq(run.verdict, VERDICT_FAIL);
	cr_assert(strstr(run.why, "reached its time limit"), "%s", run.why);
	assert_same(&run, &chk);
}
