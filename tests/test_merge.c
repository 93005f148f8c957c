/*
 * test_merge.c - the traces of real processes merged into one
 * (nodes/merge.h).
 *
 * Small hand-written files whose merged order by (lc, file, line) is
 * asserted exactly; each class of bad input, with the message naming file
 * and line; torn last lines, missing files, the line length limit; last, a
 * round trip: per-process lines from the real writer (lib/trace.h with
 * stamp set), merged between a run line and an end line, read back by the
 * strict reader `byzlab check` uses (harness/trace_read.h).
 */
#include "err.h"
#include "merge.h"
#include "trace.h"
#include "trace_read.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN "{\"t\":0,\"ev\":\"run\"}"
#define END "{\"t\":9,\"ev\":\"end\"}"

/* An event line of a process: its name and its clock. */
#define L(who, lc)                                                             \
	"{\"t\":1,\"ev\":\"note\",\"who\":\"" who "\",\"lc\":" #lc "}\n"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/byzlab-test-merge-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[384];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

TestSuite(merge, .init = setup, .fini = teardown);

/* The path of DIR/name in out. */
static void path_of(char out[128], const char *name)
{
	snprintf(out, 128, "%s/%s", dir, name);
}

/* Write len bytes to DIR/name; the path in out. */
static void put_len(char out[128], const char *name, const char *text,
		    size_t len)
{
	FILE *f;

	path_of(out, name);
	f = fopen(out, "wb");
	cr_assert(f);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void put(char out[128], const char *name, const char *text)
{
	put_len(out, name, text, strlen(text));
}

/* The result of one merge into memory. */
struct res {
	int rc;
	char *text; /* what was written (freed by done) */
	size_t len;
	uint64_t max_lc, torn;
	char why[512];
};

static void merge_mem(struct res *r, char paths[][128], const bool *allow,
		      size_t n, const char *run, const char *end)
{
	const char *p[8];
	FILE *out;

	cr_assert(n <= 8);
	for (size_t i = 0; i < n; i++)
		p[i] = paths[i];
	memset(r, 0, sizeof *r);
	out = open_memstream(&r->text, &r->len);
	cr_assert(out);
	r->max_lc = r->torn = 12345; /* must be overwritten */
	r->rc = merge_traces(p, allow, n, run, end, out, &r->max_lc, &r->torn,
			     r->why, sizeof r->why);
	cr_assert_eq(fclose(out), 0);
}

static void done(struct res *r)
{
	free(r->text);
}

/* Assert that the merge of the files failed with rc and a message that
 * starts with "<path>:<where>". */
static void assert_fails(struct res *r, int rc, const char *path,
			 const char *where)
{
	char want[512];

	cr_assert_eq(r->rc, rc, "rc %d (%s), not %d", r->rc, r->why, rc);
	snprintf(want, sizeof want, "%s:%s", path, where);
	cr_assert(!strncmp(r->why, want, strlen(want)), "why: '%s', not '%s'",
		  r->why, want);
	cr_assert_eq(r->len, 0, "something was written: %s", r->text);
}

Test(merge, interleaves_by_lc)
{
	char p[3][128];
	struct res r;

	put(p[0], "a.jsonl", L("a", 1) L("a", 4) L("a", 6));
	put(p[1], "b.jsonl", L("b", 2) L("b", 3) L("b", 7));
	put(p[2], "c.jsonl", L("c", 5) L("c", 8));
	merge_mem(&r, p, NULL, 3, RUN, END);
	cr_assert_eq(r.rc, 0, "%s", r.why);
	cr_assert_str_eq(r.text,
			 RUN "\n" L("a", 1) L("b", 2) L("b", 3) L("a", 4)
			     L("c", 5) L("a", 6) L("b", 7) L("c", 8) END "\n");
	cr_assert_eq(r.max_lc, 8);
	cr_assert_eq(r.torn, 0);
	cr_assert_str_eq(r.why, "");
	done(&r);
}

Test(merge, ties_by_file_index)
{
	char p[3][128];
	struct res r;

	put(p[0], "a.jsonl", L("a", 3) L("a", 5));
	put(p[1], "b.jsonl", L("b", 3) L("b", 4));
	put(p[2], "c.jsonl", L("c", 1) L("c", 3) L("c", 5));
	merge_mem(&r, p, NULL, 3, RUN, END);
	cr_assert_eq(r.rc, 0, "%s", r.why);
	cr_assert_str_eq(r.text,
			 RUN "\n" L("c", 1) L("a", 3) L("b", 3) L("c", 3)
			     L("b", 4) L("a", 5) L("c", 5) END "\n");
	cr_assert_eq(r.max_lc, 5);
	done(&r);
}

/* Lines are copied as they are: spacing, key order, escapes. */
Test(merge, copies_bytes)
{
	static const char odd[] =
	    "{ \"lc\" : 2 ,\"t\":1, \"ev\":\"note\",\"text\":\"\\u00e9\\n\"}\n";
	char p[2][128];
	struct res r;

	put(p[0], "a.jsonl", odd);
	put(p[1], "b.jsonl", L("b", 1) L("b", 3));
	merge_mem(&r, p, NULL, 2, RUN, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.why);
	cr_assert_str_eq(
	    r.text,
	    RUN "\n" L("b", 1) "{ \"lc\" : 2 ,\"t\":1, "
			       "\"ev\":\"note\",\"text\":\"\\u00e9\\n\"}"
			       "\n" L("b", 3));
	done(&r);
}

Test(merge, no_files_and_no_end)
{
	struct res r;

	merge_mem(&r, NULL, NULL, 0, RUN, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.why);
	cr_assert_str_eq(r.text, RUN "\n");
	cr_assert_eq(r.max_lc, 0);
	cr_assert_eq(r.torn, 0);
	done(&r);
}

Test(merge, empty_file)
{
	char p[2][128];
	struct res r;

	put(p[0], "a.jsonl", "");
	put(p[1], "b.jsonl", L("b", 7));
	merge_mem(&r, p, NULL, 2, RUN, END);
	cr_assert_eq(r.rc, 0, "%s", r.why);
	cr_assert_str_eq(r.text, RUN "\n" L("b", 7) END "\n");
	cr_assert_eq(r.max_lc, 7);
	done(&r);
}

Test(merge, decreasing_lc)
{
	char p[2][128];
	struct res r;

	put(p[0], "a.jsonl", L("a", 1) L("a", 2));
	put(p[1], "b.jsonl", L("b", 1) L("b", 5) L("b", 2) L("b", 9));
	merge_mem(&r, p, NULL, 2, RUN, END);
	assert_fails(&r, BYZ_EINVAL, p[1], "3: field 'lc' is 2, not above 5");
	cr_assert_eq(r.max_lc, 0);
	done(&r);
}

Test(merge, equal_lc)
{
	char p[1][128];
	struct res r;

	put(p[0], "a.jsonl", L("a", 1) L("a", 4) L("a", 4));
	merge_mem(&r, p, NULL, 1, RUN, END);
	assert_fails(&r, BYZ_EINVAL, p[0], "3: field 'lc' is 4, not above 4");
	done(&r);
}

Test(merge, lc_missing_or_not_whole)
{
	static const char *bad[] = {
	    "{\"t\":1,\"ev\":\"note\"}\n",
	    "{\"t\":1,\"ev\":\"note\",\"lc\":\"3\"}\n",
	    "{\"t\":1,\"ev\":\"note\",\"lc\":-1}\n",
	    "{\"t\":1,\"ev\":\"note\",\"lc\":2.5}\n",
	    "{\"t\":1,\"ev\":\"note\",\"lc\":null}\n",
	};
	static const char *why[] = {
	    "2: field 'lc' is missing",
	    "2: field 'lc' is not a whole number",
	    "2: field 'lc' is not a whole number",
	    "2: field 'lc' is not a whole number",
	    "2: field 'lc' is not a whole number",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char p[1][128], text[256];
		struct res r;

		snprintf(text, sizeof text, "%s%s%s", L("a", 1), bad[i],
			 L("a", 3));
		put(p[0], "a.jsonl", text);
		merge_mem(&r, p, NULL, 1, RUN, END);
		assert_fails(&r, BYZ_EINVAL, p[0], why[i]);
		done(&r);
	}
}

Test(merge, bad_lines)
{
	static const char *bad[] = {
	    "\n",
	    "{\"lc\":2\n",
	    "[1,2]\n",
	    "{\"lc\":2,\"lc\":3}\n",
	    "{\"lc\":2} x\n",
	    "{\"t\":0,\"ev\":\"run\",\"lc\":2}\n",
	    "{\"t\":5,\"ev\":\"end\",\"lc\":2}\n",
	};
	static const char *why[] = {
	    "2: an empty line",
	    "2: not JSON: ",
	    "2: not a JSON object",
	    "2: not JSON: duplicate object key",
	    "2: not JSON: ",
	    "2: run: a process's trace has no run line",
	    "2: end: a process's trace has no end line",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char p[2][128], text[256];
		struct res r;

		put(p[0], "a.jsonl", L("a", 1));
		snprintf(text, sizeof text, "%s%s", L("b", 1), bad[i]);
		put(p[1], "b.jsonl", text);
		merge_mem(&r, p, NULL, 2, RUN, END);
		assert_fails(&r, BYZ_EINVAL, p[1], why[i]);
		done(&r);
	}
}

Test(merge, torn_last_line)
{
	char p[3][128];
	struct res r;

	put(p[0], "a.jsonl", L("a", 1) L("a", 4) "{\"t\":1,\"ev\":\"no");
	put(p[1], "b.jsonl", L("b", 2));
	/* Only a torn line, which would be bad even whole: dropped. */
	put(p[2], "c.jsonl", "[1,");
	merge_mem(&r, p, NULL, 3, RUN, END);
	cr_assert_eq(r.rc, 0, "%s", r.why);
	cr_assert_str_eq(r.text,
			 RUN "\n" L("a", 1) L("b", 2) L("a", 4) END "\n");
	cr_assert_eq(r.torn, 2);
	cr_assert_eq(r.max_lc, 4);
	done(&r);
}

/* A torn line is the last only: a bad line before it is still an error. */
Test(merge, torn_after_bad)
{
	char p[1][128];
	struct res r;

	put(p[0], "a.jsonl", L("a", 1) "oops\n{\"lc\":");
	merge_mem(&r, p, NULL, 1, RUN, END);
	assert_fails(&r, BYZ_EINVAL, p[0], "2: not JSON");
	done(&r);
}

Test(merge, missing_allowed)
{
	char p[3][128];
	bool allow[3] = {false, true, false};
	struct res r;

	put(p[0], "a.jsonl", L("a", 1) L("a", 3));
	path_of(p[1], "never-started.jsonl");
	put(p[2], "c.jsonl", L("c", 2));
	merge_mem(&r, p, allow, 3, RUN, END);
	cr_assert_eq(r.rc, 0, "%s", r.why);
	cr_assert_str_eq(r.text,
			 RUN "\n" L("a", 1) L("c", 2) L("a", 3) END "\n");
	done(&r);
}

Test(merge, missing_not_allowed)
{
	char p[2][128], want[512];
	bool allow[2] = {true, false};
	struct res r;

	put(p[0], "a.jsonl", L("a", 1));
	path_of(p[1], "never-started.jsonl");
	merge_mem(&r, p, allow, 2, RUN, END);
	snprintf(want, sizeof want, "%s: cannot read: %s", p[1],
		 strerror(ENOENT));
	cr_assert_eq(r.rc, BYZ_EIO);
	cr_assert_str_eq(r.why, want);
	cr_assert_eq(r.len, 0);
	done(&r);
	/* No list: none may be missing. */
	merge_mem(&r, p, NULL, 2, RUN, END);
	cr_assert_eq(r.rc, BYZ_EIO);
	cr_assert_str_eq(r.why, want);
	done(&r);
}

/* A directory is there but cannot be read as a file: an error even when
 * allowed to be missing. */
Test(merge, unreadable)
{
	char p[1][128];
	bool allow[1] = {true};
	struct res r;

	strcpy(p[0], dir);
	merge_mem(&r, p, allow, 1, RUN, END);
	cr_assert_eq(r.rc, BYZ_EIO);
	cr_assert(strstr(r.why, "cannot read"), "%s", r.why);
	cr_assert(!strncmp(r.why, dir, strlen(dir)), "%s", r.why);
	done(&r);
}

/* A line of exactly TRACE_LINE_MAX bytes, the lc given, into buf (which
 * holds TRACE_LINE_MAX + 3 bytes): with extra bytes more, and a newline. */
static void long_line(char *buf, unsigned lc, size_t extra)
{
	int k = snprintf(buf, 64, "{\"lc\":%u,\"pad\":\"", lc);
	size_t len = TRACE_LINE_MAX + extra;

	cr_assert(k > 0);
	memset(buf + k, 'x', len - (size_t)k - 2);
	memcpy(buf + len - 2, "\"}\n", 4);
}

Test(merge, line_length)
{
	char *a = malloc(TRACE_LINE_MAX + 3), *b = malloc(TRACE_LINE_MAX + 3);
	char *text = malloc(2 * TRACE_LINE_MAX + 64);
	char p[1][128];
	struct res r;

	cr_assert(a && b && text);
	long_line(a, 2, 0);
	cr_assert_eq(strlen(a), TRACE_LINE_MAX + 1);
	snprintf(text, 2 * TRACE_LINE_MAX + 64, "%s%s", L("a", 1), a);
	put(p[0], "a.jsonl", text);
	merge_mem(&r, p, NULL, 1, RUN, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.why);
	cr_assert_eq(r.len, strlen(RUN "\n" L("a", 1)) + TRACE_LINE_MAX + 1);
	cr_assert(!memcmp(r.text + r.len - TRACE_LINE_MAX - 1, a,
			  TRACE_LINE_MAX + 1));
	done(&r);

	long_line(b, 2, 1);
	snprintf(text, 2 * TRACE_LINE_MAX + 64, "%s%s", L("a", 1), b);
	put(p[0], "a.jsonl", text);
	merge_mem(&r, p, NULL, 1, RUN, NULL);
	assert_fails(&r, BYZ_EINVAL, p[0],
		     "2: the line is longer than 16384 bytes");
	done(&r);
	free(a);
	free(b);
	free(text);
}

Test(merge, given_lines)
{
	char p[1][128];
	struct res r;

	put(p[0], "a.jsonl", L("a", 1));
	merge_mem(&r, p, NULL, 1, RUN "\n" RUN, END);
	cr_assert_eq(r.rc, BYZ_EINVAL);
	cr_assert(strstr(r.why, "run line"), "%s", r.why);
	done(&r);
	merge_mem(&r, p, NULL, 1, RUN, "{\"t\":9,");
	cr_assert_eq(r.rc, BYZ_EINVAL);
	cr_assert(strstr(r.why, "end line: not JSON"), "%s", r.why);
	cr_assert_eq(r.len, 0);
	done(&r);
	merge_mem(&r, p, NULL, 1, "", END);
	cr_assert_eq(r.rc, BYZ_EINVAL);
	done(&r);
	merge_mem(&r, p, NULL, 1, "[7]", END);
	cr_assert_eq(r.rc, BYZ_EINVAL);
	cr_assert(strstr(r.why, "run line: not a JSON object"), "%s", r.why);
	done(&r);
}

Test(merge, too_many_files)
{
	static const char *paths[MERGE_MAX_FILES + 1];
	char why[256];
	FILE *out = tmpfile();

	cr_assert(out);
	cr_assert_eq(merge_traces(paths, NULL, MERGE_MAX_FILES + 1, RUN, END,
				  out, NULL, NULL, why, sizeof why),
		     BYZ_ELIMIT);
	cr_assert(strstr(why, "at most 1100"), "%s", why);
	fclose(out);
}

/* A write error is BYZ_EIO. */
Test(merge, cannot_write)
{
	char p[1][128], why[256];
	const char *paths[1];
	FILE *out = fopen("/dev/full", "w");

	if (!out)
		cr_skip_test("no /dev/full");
	put(p[0], "a.jsonl", L("a", 1));
	paths[0] = p[0];
	cr_assert_eq(merge_traces(paths, NULL, 1, RUN, END, out, NULL, NULL,
				  why, sizeof why),
		     BYZ_EIO);
	cr_assert(strstr(why, "cannot write"), "%s", why);
	fclose(out);
}

/* ---- The round trip: the real writer, merged, read back strictly. ---- */

#define RT_N 4

/* A process's trace, writing its own file with every line stamped. */
struct proc {
	struct trace tr;
	FILE *f;
	char path[128];
};

static void proc_open(struct proc *pr, const char *name)
{
	path_of(pr->path, name);
	pr->f = fopen(pr->path, "wb");
	cr_assert(pr->f);
	trace_init(&pr->tr, RT_N, 1, pr->f);
	pr->tr.stamp = true;
}

static void proc_close(struct proc *pr)
{
	cr_assert_eq(pr->tr.err, 0);
	cr_assert_eq(fclose(pr->f), 0);
	trace_free(&pr->tr);
}

/* Before an event at wall-clock time wall (µs since the Unix epoch). */
static void proc_at(struct proc *pr, uint64_t wall)
{
	pr->tr.wall = wall;
}

/* Receive a message sent at Lamport time lc: the receive line's exceeds
 * it. */
static void proc_recv(struct proc *pr, uint64_t lc)
{
	if (pr->tr.lc < lc)
		pr->tr.lc = lc;
}

/* Check the merged text: every line's lc is at least the one before (the
 * run and end lines have none), and every deliver of id X follows the send
 * of X. */
static void check_order(const char *text, size_t nlines)
{
	bool sent[64] = {false};
	uint64_t last = 0;
	size_t lines = 0;

	for (const char *p = text; *p; lines++) {
		const char *nl = strchr(p, '\n');
		json_error_t err;
		json_t *o;
		const char *ev;
		json_int_t id;

		cr_assert(nl);
		o = json_loadb(p, (size_t)(nl - p), 0, &err);
		cr_assert(o, "%s", err.text);
		ev = json_string_value(json_object_get(o, "ev"));
		id = json_integer_value(json_object_get(o, "id"));
		cr_assert(ev);
		cr_assert(id >= 0 && id < 64);
		if (strcmp(ev, "run") && strcmp(ev, "end")) {
			json_int_t lc =
			    json_integer_value(json_object_get(o, "lc"));

			cr_assert(json_is_integer(json_object_get(o, "wall")));
			cr_assert_geq((uint64_t)lc, last);
			last = (uint64_t)lc;
		}
		if (!strcmp(ev, "send"))
			sent[id] = true;
		if (!strcmp(ev, "deliver"))
			cr_assert(sent[id], "deliver of %d before its send",
				  (int)id);
		json_decref(o);
		p = nl + 1;
	}
	cr_assert_eq(lines, nlines);
}

/* The launcher's run and end lines, from the writer (not stamped: the
 * launcher's own clock is not in the merge). */
static void launcher_lines(char *run, char *end, size_t cap)
{
	struct trace_run_info info = {.protocol = "pbft",
				      .driver = "zmq",
				      .seed = 7,
				      .requests = 1,
				      .gst_us = 0,
				      .bound_us = 5000000};
	struct trace tr;
	char *buf = NULL, *nl;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	trace_init(&tr, RT_N, 1, f);
	trace_run(&tr, &info);
	trace_end(&tr, 90000, "done", 0, 0, 0);
	cr_assert_eq(fclose(f), 0);
	trace_free(&tr);
	nl = strchr(buf, '\n');
	cr_assert(nl && (size_t)(nl - buf) < cap);
	memcpy(run, buf, (size_t)(nl - buf));
	run[nl - buf] = '\0';
	cr_assert(strlen(nl + 1) < cap && nl[strlen(nl) - 1] == '\n');
	strcpy(end, nl + 1);
	end[strlen(end) - 1] = '\0';
	free(buf);
}

/*
 * One request: client c0 submits and sends it to r0..r3; each replica
 * delivers it, commits it and replies; the client delivers the four
 * replies and accepts. Each process writes its own file (the client's
 * last line torn: killed mid-write). Merged, the trace must read back.
 */
Test(merge, round_trip)
{
	const uint64_t epoch = 1700000000000000ull;
	struct proc cl, rep[RT_N];
	const char *paths[RT_N + 2];
	bool allow[RT_N + 2] = {false};
	uint64_t send_lc[RT_N], reply_lc[RT_N], accept_lc, max_lc, torn;
	uint8_t req[BYZ_DIGEST_BYTES], state[BYZ_DIGEST_BYTES];
	char run[1024], end[1024], why[512], out_path[128];
	char missing[128];
	struct trace_read rd;
	FILE *out, *f;
	char *text;
	long size;

	memset(req, 0xab, sizeof req);
	memset(state, 0x5c, sizeof state);
	proc_open(&cl, "c0.jsonl");
	for (uint32_t r = 0; r < RT_N; r++) {
		char name[32];

		snprintf(name, sizeof name, "r%u.jsonl", (unsigned)r);
		proc_open(&rep[r], name);
	}

	proc_at(&cl, epoch + 100);
	trace_submit(&cl.tr, 100, 0, 1, req);
	for (uint32_t r = 0; r < RT_N; r++) {
		trace_send(&cl.tr, 110, byz_client_addr(0), r, BYZ_PROTO_CLIENT,
			   WIRE_CLIENT_REQUEST, 180, 1 + r);
		send_lc[r] = cl.tr.lc;
	}
	/* The replicas in reverse, so the clocks interleave. */
	for (uint32_t k = 0; k < RT_N; k++) {
		uint32_t r = RT_N - 1 - k;
		struct byz_commit c = {
		    .height = 1, .slot = 1, .client = 0, .timestamp = 1};
		struct trace *tr = &rep[r].tr;

		memcpy(c.request_digest, req, sizeof req);
		memcpy(c.state_digest, state, sizeof state);
		proc_at(&rep[r], epoch + 200 + 10 * k);
		trace_timer(tr, 150 + k, r, 0);
		proc_recv(&rep[r], send_lc[r]);
		trace_deliver(tr, 200 + 10 * k, byz_client_addr(0), r, 1 + r);
		trace_commit(tr, 300 + 10 * k, r, &c);
		trace_send(tr, 310 + 10 * k, r, byz_client_addr(0),
			   BYZ_PROTO_CLIENT, WIRE_CLIENT_REPLY, 120, 10 + r);
		reply_lc[r] = tr->lc;
	}
	for (uint32_t r = 0; r < RT_N; r++) {
		/* The client's host clock is behind: t need not grow. */
		proc_at(&cl, epoch + 50 + r);
		proc_recv(&cl, reply_lc[r]);
		trace_deliver(&cl.tr, 50 + r, r, byz_client_addr(0), 10 + r);
	}
	trace_accept(&cl.tr, 60, 0, 1, (const uint8_t *)"ok", 2);
	accept_lc = cl.tr.lc;
	fputs("{\"t\":61,\"ev\":\"no", cl.f); /* killed mid-write */
	proc_close(&cl);
	for (uint32_t r = 0; r < RT_N; r++)
		proc_close(&rep[r]);

	launcher_lines(run, end, sizeof run);
	paths[0] = cl.path;
	for (uint32_t r = 0; r < RT_N; r++)
		paths[1 + r] = rep[r].path;
	path_of(missing, "a1.jsonl"); /* an adversary that never started */
	paths[RT_N + 1] = missing;
	allow[RT_N + 1] = true;
	path_of(out_path, "merged.jsonl");
	out = fopen(out_path, "wb");
	cr_assert(out);
	cr_assert_eq(merge_traces(paths, allow, RT_N + 2, run, end, out,
				  &max_lc, &torn, why, sizeof why),
		     0, "%s", why);
	cr_assert_eq(fclose(out), 0);
	cr_assert_eq(torn, 1);
	/* The client's last line (accept) is the last event. */
	cr_assert_eq(max_lc, accept_lc);

	cr_assert_eq(trace_read_file(out_path, &rd, why, sizeof why), 0, "%s",
		     why);
	/* run, submit, 4 sends, 4 x (timer, deliver, commit, send), 4
	 * delivers, accept, end. */
	cr_assert_eq(rd.lines, 1 + 1 + RT_N + 4 * RT_N + RT_N + 1 + 1);
	cr_assert(rd.has_end);
	cr_assert_str_eq(rd.driver, "zmq");
	cr_assert_eq(rd.log.n, RT_N);
	cr_assert_eq(rd.log.nsubmits, 1);
	cr_assert_eq(rd.log.ncommits, RT_N);
	cr_assert_eq(rd.end.accepted, 1);
	cr_assert_eq(rd.counts.delivered, 2 * RT_N);
	cr_assert_eq(rd.counts.timers, RT_N);
	cr_assert_eq(rd.counts.sent[BYZ_PROTO_CLIENT][WIRE_CLIENT_REQUEST],
		     RT_N);
	cr_assert_eq(rd.counts.sent[BYZ_PROTO_CLIENT][WIRE_CLIENT_REPLY], RT_N);
	trace_read_free(&rd);

	f = fopen(out_path, "rb");
	cr_assert(f);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	cr_assert(size > 0);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	cr_assert(text);
	cr_assert_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	cr_assert(strstr(text, "\"ev\":\"send\",\"id\":1,\"from\":\"c0\","
			       "\"to\":\"r0\",\"msg\":\"client/request\""));
	cr_assert(strstr(text, "\"ev\":\"deliver\",\"id\":13,\"from\":\"r3\","
			       "\"to\":\"c0\",\"lc\":"));
	cr_assert(!strncmp(text, run, strlen(run)));
	check_order(text, 1 + 1 + RT_N + 4 * RT_N + RT_N + 1 + 1);
	free(text);
}

/* The end line written after the merge by the launcher's writer, with an
 * lc above every process's (max_lc): the reader accepts it too. */
Test(merge, end_after_merge)
{
	struct proc pr;
	struct trace launcher;
	const char *paths[1];
	char run[1024], end[1024], why[512], out_path[128];
	uint64_t max_lc, torn;
	struct trace_read rd;
	FILE *out;

	proc_open(&pr, "c0.jsonl");
	proc_at(&pr, 1700000000000000ull);
	trace_timer(&pr.tr, 5, 0, 0);
	trace_crash(&pr.tr, 6, 1);
	proc_close(&pr);
	launcher_lines(run, end, sizeof run);
	paths[0] = pr.path;
	path_of(out_path, "merged.jsonl");
	out = fopen(out_path, "wb");
	cr_assert(out);
	cr_assert_eq(merge_traces(paths, NULL, 1, run, NULL, out, &max_lc,
				  &torn, why, sizeof why),
		     0, "%s", why);
	cr_assert_eq(max_lc, 2);
	trace_init(&launcher, RT_N, 1, out);
	launcher.stamp = true;
	launcher.lc = max_lc;
	trace_end(&launcher, 7, "idle", 0, 0, 0);
	cr_assert_eq(launcher.err, 0);
	trace_free(&launcher);
	cr_assert_eq(fclose(out), 0);
	cr_assert_eq(trace_read_file(out_path, &rd, why, sizeof why), 0, "%s",
		     why);
	cr_assert(rd.has_end);
	cr_assert_eq(rd.lines, 4);
	cr_assert(rd.log.down_at_end[1]);
	trace_read_free(&rd);
}
