/*
 * test_chart.c - message sequence charts (harness/chart.h): the window
 * around the violation, the compressed time axis, the side channel of
 * frames (which must not change a run), and a chart drawn from a small
 * trace (the conflicting commits, escaping, the window's header).
 */
#include "chart.h"
#include "err.h"
#include "failure.h"
#include "scenario.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(chart, window_all_when_it_fits)
{
	uint64_t lo, hi;

	chart_window(100, 50, 300, 30, &lo, &hi);
	cr_assert_eq(lo, 0);
	cr_assert_eq(hi, 100);
	chart_window(0, 0, 300, 30, &lo, &hi);
	cr_assert_eq(lo, 0);
	cr_assert_eq(hi, 0);
}

Test(chart, window_around_the_anchor)
{
	uint64_t lo, hi;

	/* 10,000 messages, violation after message 4,000: 270 before it,
	 * 30 after */
	chart_window(10000, 4000, 300, 30, &lo, &hi);
	cr_assert_eq(hi, 4030);
	cr_assert_eq(lo, 3730);
	cr_assert(lo <= 4000 && 4000 < hi);
}

Test(chart, window_near_the_start_fills_up_with_later_messages)
{
	uint64_t lo, hi;

	chart_window(10000, 10, 300, 30, &lo, &hi);
	cr_assert_eq(lo, 0);
	cr_assert_eq(hi, 300);
}

Test(chart, window_at_the_end)
{
	uint64_t lo, hi;

	chart_window(10000, 10000, 300, 30, &lo, &hi);
	cr_assert_eq(hi, 10000);
	cr_assert_eq(lo, 9700);
	/* an anchor past the end is the end */
	chart_window(10000, 99999, 300, 30, &lo, &hi);
	cr_assert_eq(hi, 10000);
	cr_assert_eq(lo, 9700);
}

Test(chart, window_defaults_and_after_clamped)
{
	uint64_t lo, hi;

	chart_window(1000, 500, 0, 0, &lo, &hi); /* max 0: the default */
	cr_assert_eq(hi - lo, CHART_DEFAULT_ARROWS);
	cr_assert_eq(hi, 500);
	chart_window(1000, 500, 10, 50, &lo, &hi); /* after > max */
	cr_assert_eq(lo, 500);
	cr_assert_eq(hi, 510);
}

Test(chart, gap_is_proportional_then_capped)
{
	int broken;

	cr_assert_eq(chart_gap(10, 0, &broken), 10);
	cr_assert_not(broken);
	cr_assert_eq(chart_gap(10, 1000, &broken), 30); /* 20 px per ms */
	cr_assert_not(broken);
	cr_assert_eq(chart_gap(10, 2000, &broken), 50); /* at the cap */
	cr_assert_not(broken);
	cr_assert_eq(chart_gap(10, 2050, &broken), 50);
	cr_assert(broken);
	cr_assert_eq(chart_gap(16, 3600000000ull, &broken), 56);
	cr_assert(broken);
}

static void load(const char *name, struct failure *fl, char *path, size_t cap)
{
	char why[512];
	const char *src = getenv("BYZLAB_SRC");

	snprintf(path, cap, "%s/tests/corpus/failure/%s", src ? src : ".",
		 name);
	cr_assert_eq(failure_read(path, fl, NULL, why, sizeof why), 0, "%s",
		     why);
}

struct seen {
	uint64_t calls, changed, bytes;
};

static void count_frames(void *ctx, uint64_t id, enum sim_frame_what what,
			 const uint8_t *frame, size_t len)
{
	struct seen *s = ctx;

	(void)id;
	(void)frame;
	s->calls++;
	s->bytes += len;
	if (what != SIM_FRAME_SENT)
		s->changed++;
}

/* The side channel sees every frame and changes nothing: the same trace
 * hash with it as without it. */
Test(chart, side_channel_does_not_change_the_run)
{
	static struct failure fl;
	static struct scenario_result a, b;
	struct seen seen = {0};
	char path[1024];
	struct scenario sc;

	load("ok-multi-tamper.json", &fl, path, sizeof path);
	sc = fl.sc;
	cr_assert_eq(scenario_run(&sc, NULL, &a), 0, "%s", a.why);
	sc.on_frame = count_frames;
	sc.on_frame_ctx = &seen;
	cr_assert_eq(scenario_run(&sc, NULL, &b), 0, "%s", b.why);
	cr_assert_str_eq(a.trace_hash, b.trace_hash);
	cr_assert_str_eq(a.trace_hash, fl.trace_hash);
	cr_assert_gt(seen.calls, 100);
	/* equivocation and tampering: frames the adversary changed */
	cr_assert_gt(seen.changed, 0);
}

/* A chart into memory, with this title (NULL: the file's name). */
static const char *title;

static char *chart_trace_text(const char *trace, uint32_t max, int *rc,
			      char *why, size_t whylen)
{
	char path[] = "/tmp/test_chart_XXXXXX";
	int fd = mkstemp(path);
	FILE *f, *out;
	char *buf = NULL;
	size_t len = 0;
	struct chart_opts o = {.id_prefix = "t1",
			       .max_arrows = max,
			       .after_arrows = 1,
			       .title = title};

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert(f);
	fputs(trace, f);
	fclose(f);
	out = open_memstream(&buf, &len);
	cr_assert(out);
	*rc = chart_from_trace(path, &o, out, why, whylen);
	fclose(out);
	unlink(path);
	return buf;
}

#define REQ_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define REQ_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ST    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static const char *const TRACE =
    "{\"t\":0,\"ev\":\"run\",\"protocol\":\"toy\",\"driver\":\"sim\","
    "\"n\":4,\"f\":1,\"seed\":\"1\",\"requests\":2,\"gst_us\":0,"
    "\"bound_us\":1000,\"byzantine\":[0],\"twins\":[],\"amnesia\":[]}\n"
    "{\"t\":1,\"ev\":\"submit\",\"client\":0,\"ts\":1,\"req\":\"" REQ_A "\"}\n"
    "{\"t\":1,\"ev\":\"submit\",\"client\":1,\"ts\":1,\"req\":\"" REQ_B "\"}\n"
    "{\"t\":2,\"ev\":\"send\",\"id\":0,\"from\":\"c0\",\"to\":\"r1\","
    "\"msg\":\"client/request\",\"len\":90}\n"
    "{\"t\":3,\"ev\":\"send\",\"id\":1,\"from\":\"c1\",\"to\":\"r2\","
    "\"msg\":\"client/request\",\"len\":90}\n"
    "{\"t\":900,\"ev\":\"deliver\",\"id\":0,\"from\":\"c0\",\"to\":\"r1\"}\n"
    "{\"t\":901,\"ev\":\"reject\",\"id\":1,\"from\":\"c1\",\"to\":\"r2\","
    "\"why\":\"bad-signature\"}\n"
    "{\"t\":1000,\"ev\":\"commit\",\"replica\":1,\"height\":1,\"slot\":1,"
    "\"client\":0,\"ts\":1,\"req\":\"" REQ_A "\",\"state\":\"" ST "\"}\n"
    "{\"t\":1001,\"ev\":\"send\",\"id\":2,\"from\":\"r1\",\"to\":\"r3\","
    "\"msg\":\"toy/<&>\",\"len\":90}\n"
    "{\"t\":1002,\"ev\":\"drop\",\"id\":2,\"from\":\"r1\",\"to\":\"r3\","
    "\"why\":\"adversary\"}\n"
    "{\"t\":1003,\"ev\":\"send\",\"id\":3,\"from\":\"r1\",\"to\":\"r2\","
    "\"msg\":\"toy/x\",\"len\":90}\n"
    "{\"t\":9000,\"ev\":\"commit\",\"replica\":2,\"height\":1,\"slot\":1,"
    "\"client\":1,\"ts\":1,\"req\":\"" REQ_B "\",\"state\":\"" ST "\"}\n"
    "{\"t\":9001,\"ev\":\"send\",\"id\":4,\"from\":\"r2\",\"to\":\"c1\","
    "\"msg\":\"client/reply\",\"len\":90}\n"
    "{\"t\":9002,\"ev\":\"send\",\"id\":5,\"from\":\"r2\",\"to\":\"c1\","
    "\"msg\":\"client/reply\",\"len\":90}\n"
    "{\"t\":9003,\"ev\":\"end\",\"stop\":\"violation\",\"forged\":0}\n";

Test(chart, conflicting_commits_window_and_escaping)
{
	char why[512] = "";
	int rc;
	char *s = chart_trace_text(TRACE, 0, &rc, why, sizeof why);

	cr_assert_eq(rc, 0, "%s", why);
	cr_assert(strstr(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
			    "id=\"t1\""));
	/* both commits at height 1 are the conflict */
	cr_assert(strstr(s, "id=\"t1-conflict-0\""));
	cr_assert(strstr(s, "id=\"t1-conflict-1\""));
	cr_assert_null(strstr(s, "id=\"t1-conflict-2\""));
	cr_assert(strstr(s, "all 6 messages"), "%s", s);
	cr_assert(strstr(s, "first conflicting commit (height 1, r2)"));
	/* a message type with markup, escaped */
	cr_assert(strstr(s, "&lt;&amp;&gt;"));
	cr_assert_null(strstr(s, "<&>"));
	cr_assert(strstr(s, "bzc-drop"));
	cr_assert(strstr(s, "bzc-reject"));
	cr_assert(
	    strstr(s, "bzc-lane bzc-byz bzc-replica\" id=\"t1-lane-r0\""));
	cr_assert(strstr(s, "id=\"t1-lane-c1\""));
	/* the idle 8 ms before the second commit is compressed */
	cr_assert(strstr(s, "bzc-gap"));
	free(s);
}

Test(chart, a_small_window_keeps_the_anchor)
{
	char why[512] = "";
	int rc;
	/* 2 messages, 1 after the conflict (at message 4 of 6): 4 and 5 */
	char *s = chart_trace_text(TRACE, 2, &rc, why, sizeof why);

	cr_assert_eq(rc, 0, "%s", why);
	cr_assert(strstr(s, "messages 4-5 of 6"), "%s", s);
	cr_assert(strstr(s, "data-id=\"3\""));
	cr_assert(strstr(s, "data-id=\"4\""));
	cr_assert_null(strstr(s, "data-id=\"0\""));
	cr_assert_null(strstr(s, "data-id=\"5\""));
	cr_assert(strstr(s, "before the window 3 messages"));
	cr_assert(strstr(s, "after it 1 messages"));
	/* the earlier conflicting commit is drawn all the same */
	cr_assert(strstr(s, "id=\"t1-conflict-1\""));
	free(s);
}

Test(chart, a_bad_trace_names_the_line)
{
	char why[512] = "";
	int rc;
	char *s = chart_trace_text("{\"t\":0,\"ev\":\"run\"}\n", 0, &rc, why,
				   sizeof why);

	cr_assert_eq(rc, BYZ_EINVAL);
	cr_assert(strstr(why, ":1:"), "%s", why);
	free(s);
}

Test(chart, text_that_is_not_valid_utf8_is_replaced)
{
	char why[512] = "";
	int rc;
	char *s;

	/* a byte that is no UTF-8, a cut sequence, a valid e-acute, markup,
	 * a control character */
	title = "a\xff b\xc3 \xc3\xa9 <x> \x01";
	s = chart_trace_text(TRACE, 0, &rc, why, sizeof why);
	title = NULL;
	cr_assert_eq(rc, 0, "%s", why);
	cr_assert(strstr(s, ">a? b? \xc3\xa9 &lt;x&gt; ?</text>"), "%s", s);
	free(s);
}

/* A replica that later restarts without its state is faulty for the
 * checkers from the start: its commits make no conflict. */
static const char *const AMNESIA =
    "{\"t\":0,\"ev\":\"run\",\"protocol\":\"toy\",\"driver\":\"sim\","
    "\"n\":4,\"f\":1,\"seed\":\"1\",\"requests\":2,\"gst_us\":0,"
    "\"bound_us\":1000,\"byzantine\":[],\"twins\":[],\"amnesia\":[]}\n"
    "{\"t\":1,\"ev\":\"submit\",\"client\":0,\"ts\":1,\"req\":\"" REQ_A "\"}\n"
    "{\"t\":1,\"ev\":\"submit\",\"client\":1,\"ts\":1,\"req\":\"" REQ_B "\"}\n"
    "{\"t\":1000,\"ev\":\"commit\",\"replica\":1,\"height\":1,\"slot\":1,"
    "\"client\":0,\"ts\":1,\"req\":\"" REQ_A "\",\"state\":\"" ST "\"}\n"
    "{\"t\":1001,\"ev\":\"commit\",\"replica\":3,\"height\":1,\"slot\":1,"
    "\"client\":1,\"ts\":1,\"req\":\"" REQ_B "\",\"state\":\"" ST "\"}\n"
    "{\"t\":2000,\"ev\":\"crash\",\"replica\":3}\n"
    "{\"t\":3000,\"ev\":\"restart\",\"replica\":3,\"state\":false}\n"
    "{\"t\":3001,\"ev\":\"end\",\"stop\":\"done\",\"forged\":0}\n";

Test(chart, a_replica_with_amnesia_makes_no_conflict)
{
	char why[512] = "";
	int rc;
	char *s = chart_trace_text(AMNESIA, 0, &rc, why, sizeof why);

	cr_assert_eq(rc, 0, "%s", why);
	cr_assert_null(strstr(s, "bzc-conflict"), "%s", s);
	cr_assert(strstr(s, "around the end of the run"), "%s", s);
	cr_assert(strstr(s, "bzc-crash"));
	cr_assert(strstr(s, "restart (no state)"));
	free(s);
}
