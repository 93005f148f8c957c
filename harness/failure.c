/*
 * failure.c - saved failures (failure.h).
 */
#include "failure.h"

#include "outfile.h"
#include "scenario_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

json_t *failure_json(const char *id, const char *campaign, const char *expect,
		     const struct scenario *sc,
		     const struct scenario_result *res)
{
	json_t *doc = json_object(), *r = json_object();

	json_object_set_new(doc, "byzlab_failure", json_integer(1));
	json_object_set_new(doc, "id", json_string(id));
	if (campaign)
		json_object_set_new(doc, "campaign", json_string(campaign));
	if (expect)
		json_object_set_new(doc, "expect", json_string(expect));
	json_object_set_new(doc, "scenario", scenario_to_json(sc));
	json_object_set_new(r, "verdict",
			    json_string(verdict_name(res->verdict)));
	json_object_set_new(r, "why", json_string(res->why));
	json_object_set_new(r, "safe", json_boolean(res->safe));
	json_object_set_new(r, "live",
			    res->live_judged ? json_boolean(res->live)
					     : json_null());
	json_object_set_new(r, "violation_us",
			    json_integer((json_int_t)res->violation_us));
	json_object_set_new(r, "trace_hash", json_string(res->trace_hash));
	json_object_set_new(r, "virtual_us",
			    json_integer((json_int_t)res->sim.now));
	json_object_set_new(r, "accepted",
			    json_integer((json_int_t)res->sim.accepted));
	json_object_set_new(doc, "result", r);
	return doc;
}

int failure_write(const char *path, json_t *doc, char *why, size_t whylen)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t len;
	int rc;

	if (!text) {
		snprintf(why, whylen, "cannot write '%s': out of memory", path);
		return -1;
	}
	len = strlen(text);
	/* json_dump_file ends the document with no newline; neither do we */
	rc = outfile_write(path, text, len, 0666, 0, why, whylen);
	free(text);
	return rc;
}

static int copy_str(const json_t *o, const char *key, char *out, size_t cap)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || strlen(json_string_value(v)) >= cap)
		return -1;
	strcpy(out, json_string_value(v));
	return 0;
}

int failure_read(const char *path, struct failure *out, json_t **docp,
		 char *why, size_t whylen)
{
	json_error_t err;
	json_t *doc, *res, *v;
	struct stat st;
	char inner[320];

	memset(out, 0, sizeof *out);
	if (docp)
		*docp = NULL;
	if (stat(path, &st)) {
		snprintf(why, whylen, "%s: cannot read: %s", path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > FAILURE_MAX_BYTES) {
		snprintf(why, whylen,
			 "%s: not a failure file (not a regular file "
			 "of at most %u bytes)",
			 path, FAILURE_MAX_BYTES);
		return -1;
	}
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!doc) {
		snprintf(why, whylen, "%s:%d: not JSON: %s", path, err.line,
			 err.text);
		return -1;
	}
	v = json_object_get(doc, "byzlab_failure");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		snprintf(why, whylen,
			 "%s: not a byzlab failure file (no "
			 "\"byzlab_failure\": 1)",
			 path);
		goto bad;
	}
	if (copy_str(doc, "id", out->id, sizeof out->id)) {
		snprintf(why, whylen, "%s: \"id\" is missing or too long",
			 path);
		goto bad;
	}
	if (scenario_from_json(json_object_get(doc, "scenario"), &out->sc,
			       inner, sizeof inner)) {
		snprintf(why, whylen, "%s: scenario: %s", path, inner);
		goto bad;
	}
	res = json_object_get(doc, "result");
	if (!json_is_object(res) ||
	    copy_str(res, "verdict", out->verdict, sizeof out->verdict) ||
	    copy_str(res, "trace_hash", out->trace_hash,
		     sizeof out->trace_hash) ||
	    !json_is_boolean(json_object_get(res, "safe"))) {
		snprintf(why, whylen,
			 "%s: \"result\" needs verdict, safe and "
			 "trace_hash",
			 path);
		goto bad;
	}
	out->safe = json_is_true(json_object_get(res, "safe"));
	copy_str(res, "why", out->why, sizeof out->why);
	if (docp)
		*docp = doc;
	else
		json_decref(doc);
	return 0;
bad:
	json_decref(doc);
	return -1;
}

static const char *str_or_null(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int failure_shrink(const char *in, const char *out, FILE *progress,
		   struct shrink_result *sr, char *why, size_t whylen)
{
	struct failure fl;
	struct scenario_result res;
	json_t *orig, *doc;
	int rc;

	if (failure_read(in, &fl, &orig, why, whylen))
		return -1;
	scenario_run(&fl.sc, NULL, &res);
	/* A pass that is not timely is a failure of a timely expectation
	 * (shrink.h: SHRINK_UNTIMELY), shrunk as such. */
	if ((res.verdict == VERDICT_PASS &&
	     shrink_kind_of(&res) != SHRINK_UNTIMELY) ||
	    shrink_scenario(&fl.sc, &res, progress, sr)) {
		snprintf(why, whylen, "%s does not fail when run again (%s)",
			 in, verdict_name(res.verdict));
		json_decref(orig);
		return 1;
	}
	doc = failure_json(fl.id, str_or_null(orig, "campaign"),
			   str_or_null(orig, "expect"), &sr->sc, &sr->res);
	json_object_set(doc, "shrunk_from", json_object_get(orig, "scenario"));
	json_object_set_new(doc, "shrink_steps", json_string(sr->steps));
	json_decref(orig);
	rc = failure_write(out, doc, why, whylen) ? 2 : 0;
	json_decref(doc);
	return rc;
}
