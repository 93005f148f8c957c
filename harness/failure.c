/*
 * failure.c - saved failures (failure.h).
 */
#include "failure.h"

#include "outfile.h"
#include "scenario_io.h"

#include <ctype.h>
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
	if (res->confirmed)
		json_object_set_new(r, "confirmed_from_fast",
				    scenario_confirmed_json(res));
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

/* What a JSON value is, for messages. */
static const char *kind_of(const json_t *v)
{
	if (!v)
		return "nothing";
	if (json_is_string(v))
		return "a string";
	if (json_is_integer(v))
		return json_integer_value(v) < 0 ? "a negative number"
						 : "a whole number";
	if (json_is_real(v))
		return "a number with a fraction";
	if (json_is_boolean(v))
		return "true or false";
	if (json_is_object(v))
		return "an object";
	if (json_is_array(v))
		return "a list";
	return "null";
}

/* Keys of a failure file's objects: name, and whether it is required. */
struct fkey {
	const char *name;
	bool required;
};

/* Every key of o is one of keys, and every required one is there. -1
 * with "PATH: WHERE: ..." in why. */
static int check_keys(const char *path, const char *where, const json_t *o,
		      const struct fkey *keys, size_t nkeys, char *why,
		      size_t whylen)
{
	const char *key;
	json_t *v;
	char list[256];
	size_t len = 0;

	list[0] = '\0';
	for (size_t i = 0; i < nkeys && len < sizeof list; i++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
					i ? ", " : "", keys[i].name);
	json_object_foreach((json_t *)o, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < nkeys; i++)
			known = known || !strcmp(key, keys[i].name);
		if (!known) {
			snprintf(why, whylen,
				 "%s: %sunknown field \"%.40s\" (a failure "
				 "file%s has: %s)",
				 path, where, key, *where ? "'s result" : "",
				 list);
			return -1;
		}
	}
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].required && !json_object_get(o, keys[i].name)) {
			snprintf(why, whylen, "%s: %s\"%s\" is missing", path,
				 where, keys[i].name);
			return -1;
		}
	return 0;
}

/* A string field of at most cap - 1 bytes. */
static int get_str(const char *path, const char *where, const json_t *o,
		   const char *key, char *out, size_t cap, char *why,
		   size_t whylen)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || strlen(json_string_value(v)) >= cap) {
		snprintf(
		    why, whylen,
		    "%s: %s\"%s\": expected a string of at most %zu bytes, "
		    "found %s",
		    path, where, key, cap - 1,
		    json_is_string(v) ? "a longer one" : kind_of(v));
		return -1;
	}
	if (out)
		strcpy(out, json_string_value(v));
	return 0;
}

/* A whole number >= 0 field. */
static int get_whole(const char *path, const json_t *o, const char *key,
		     char *why, size_t whylen)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(why, whylen,
			 "%s: result: \"%s\": expected a whole number >= 0, "
			 "found %s",
			 path, key, kind_of(v));
		return -1;
	}
	return 0;
}

/* A run id: letters, digits, '.', '_', '+', '-', not starting with '.'
 * (it names the trace file of `replay --trace DIR/`). */
static bool id_ok(const char *id)
{
	if (!*id || *id == '.')
		return false;
	for (; *id; id++)
		if (!isalnum((unsigned char)*id) && !strchr("._+-", *id))
			return false;
	return true;
}

/* An expectation as expect_text writes it: "" or known words joined by
 * '+', each once. */
static bool expect_ok(const char *e)
{
	static const char *const words[] = {"safe", "live", "timely",
					    "violation-found"};
	bool seen[4] = {false};

	while (*e) {
		size_t len = strcspn(e, "+"), i;
		for (i = 0; i < 4; i++)
			if (strlen(words[i]) == len &&
			    !strncmp(e, words[i], len))
				break;
		if (i == 4 || seen[i])
			return false;
		seen[i] = true;
		e += len;
		if (*e == '+' && !*++e)
			return false;
	}
	return true;
}

int failure_read(const char *path, struct failure *out, json_t **docp,
		 char *why, size_t whylen)
{
	static const struct fkey top[] = {
	    {"byzlab_failure", true}, {"id", true},
	    {"campaign", false},      {"expect", false},
	    {"scenario", true},	      {"result", true},
	    {"shrunk_from", false},   {"shrink_steps", false},
	};
	/* what failure_json always writes */
	static const struct fkey result[] = {
	    {"verdict", true},
	    {"why", true},
	    {"safe", true},
	    {"live", true},
	    {"violation_us", true},
	    {"trace_hash", true},
	    {"virtual_us", true},
	    {"accepted", true},
	    {"confirmed_from_fast", false},
	};
	/* what a run with fast crypto said before its Ed25519 replay */
	static const struct fkey confirmed[] = {
	    {"verdict", true}, {"safe", true}, {"trace_hash", true}};
	json_error_t err;
	json_t *doc, *res, *v;
	struct stat st;
	char inner[400], text[64];
	const char *h;

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
	if (check_keys(path, "", doc, top, sizeof top / sizeof top[0], why,
		       whylen) ||
	    get_str(path, "", doc, "id", out->id, sizeof out->id, why, whylen))
		goto bad;
	if (!id_ok(out->id)) {
		snprintf(why, whylen,
			 "%s: \"id\": '%.60s' is not a run id (letters, "
			 "digits, '.', '_', '+', '-'; not starting with '.')",
			 path, out->id);
		goto bad;
	}
	if (json_object_get(doc, "campaign") &&
	    get_str(path, "", doc, "campaign", NULL, 160, why, whylen))
		goto bad;
	if (json_object_get(doc, "expect") &&
	    get_str(path, "", doc, "expect", text, sizeof text, why, whylen))
		goto bad;
	if (json_object_get(doc, "expect") && !expect_ok(text)) {
		snprintf(why, whylen,
			 "%s: \"expect\": '%.60s' is not an expectation "
			 "(safe, live, timely, violation-found, joined by '+')",
			 path, text);
		goto bad;
	}
	if (json_object_get(doc, "shrink_steps") &&
	    !json_is_string(json_object_get(doc, "shrink_steps"))) {
		snprintf(why, whylen,
			 "%s: \"shrink_steps\": expected a string, found %s",
			 path, kind_of(json_object_get(doc, "shrink_steps")));
		goto bad;
	}
	if (json_object_get(doc, "shrunk_from")) {
		struct scenario *was = malloc(sizeof *was);
		int rc = !was ||
			 scenario_from_json(json_object_get(doc, "shrunk_from"),
					    was, inner, sizeof inner);
		if (rc)
			snprintf(why, whylen, "%s: shrunk_from: %s", path,
				 was ? inner : "out of memory");
		free(was);
		if (rc)
			goto bad;
	}
	if (scenario_from_json(json_object_get(doc, "scenario"), &out->sc,
			       inner, sizeof inner)) {
		snprintf(why, whylen, "%s: scenario: %s", path, inner);
		goto bad;
	}
	res = json_object_get(doc, "result");
	if (!json_is_object(res)) {
		snprintf(why, whylen,
			 "%s: \"result\": expected an object, found %s", path,
			 kind_of(res));
		goto bad;
	}
	if (check_keys(path, "result: ", res, result,
		       sizeof result / sizeof result[0], why, whylen) ||
	    get_str(path, "result: ", res, "verdict", out->verdict,
		    sizeof out->verdict, why, whylen) ||
	    get_str(path, "result: ", res, "why", out->why, sizeof out->why,
		    why, whylen) ||
	    get_str(path, "result: ", res, "trace_hash", out->trace_hash,
		    sizeof out->trace_hash, why, whylen) ||
	    get_whole(path, res, "violation_us", why, whylen) ||
	    get_whole(path, res, "virtual_us", why, whylen) ||
	    get_whole(path, res, "accepted", why, whylen))
		goto bad;
	v = json_object_get(res, "confirmed_from_fast");
	if (v &&
	    (!json_is_object(v) ||
	     check_keys(path, "result: confirmed_from_fast: ", v, confirmed,
			sizeof confirmed / sizeof confirmed[0], why, whylen) ||
	     get_str(path, "result: confirmed_from_fast: ", v, "verdict", text,
		     sizeof text, why, whylen) ||
	     get_str(path, "result: confirmed_from_fast: ", v, "trace_hash",
		     NULL, 2 * BYZ_DIGEST_BYTES + 1, why, whylen) ||
	     !json_is_boolean(json_object_get(v, "safe")))) {
		if (!json_is_object(v) ||
		    !json_is_boolean(json_object_get(v, "safe")))
			snprintf(why, whylen,
				 "%s: result: \"confirmed_from_fast\": "
				 "expected {verdict, safe (true or false), "
				 "trace_hash}",
				 path);
		goto bad;
	}
	if (strcmp(out->verdict, "pass") && strcmp(out->verdict, "fail") &&
	    strcmp(out->verdict, "error")) {
		snprintf(why, whylen,
			 "%s: result: \"verdict\": '%s' is not pass, fail or "
			 "error",
			 path, out->verdict);
		goto bad;
	}
	/* a run that could not start (verdict error) has no trace */
	h = out->trace_hash;
	if ((strlen(h) != 2 * BYZ_DIGEST_BYTES ||
	     strspn(h, "0123456789abcdef") != strlen(h)) &&
	    !(!*h && !strcmp(out->verdict, "error"))) {
		snprintf(why, whylen,
			 "%s: result: \"trace_hash\": '%.70s' is not %d "
			 "lowercase hex digits",
			 path, h, 2 * BYZ_DIGEST_BYTES);
		goto bad;
	}
	v = json_object_get(res, "safe");
	if (!json_is_boolean(v)) {
		snprintf(why, whylen,
			 "%s: result: \"safe\": expected true or false, found "
			 "%s",
			 path, kind_of(v));
		goto bad;
	}
	out->safe = json_is_true(v);
	v = json_object_get(res, "live");
	if (!json_is_boolean(v) && !json_is_null(v)) {
		snprintf(why, whylen,
			 "%s: result: \"live\": expected true, false or null "
			 "(not judged), found %s",
			 path, kind_of(v));
		goto bad;
	}
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

int failure_write_shrunk(const struct failure *fl, json_t *orig,
			 const struct shrink_result *sr, const char *out,
			 char *why, size_t whylen)
{
	json_t *doc =
	    failure_json(fl->id, str_or_null(orig, "campaign"),
			 str_or_null(orig, "expect"), &sr->sc, &sr->res);
	int rc;

	json_object_set(doc, "shrunk_from", json_object_get(orig, "scenario"));
	json_object_set_new(doc, "shrink_steps", json_string(sr->steps));
	rc = failure_write(out, doc, why, whylen) ? 2 : 0;
	json_decref(doc);
	return rc;
}

int failure_shrink(const char *in, const char *out, FILE *progress,
		   struct shrink_result *sr, char *why, size_t whylen)
{
	struct failure fl;
	struct scenario_result res;
	json_t *orig;
	int rc;

	if (failure_read(in, &fl, &orig, why, whylen))
		return -1;
	scenario_run(&fl.sc, NULL, &res);
	rc = shrink_scenario(&fl.sc, &res, progress, sr);
	if (rc == -2) {
		snprintf(why, whylen, "%s: out of memory", in);
		json_decref(orig);
		return -1;
	}
	if (rc) {
		snprintf(why, whylen, "%s does not fail when run again (%s)",
			 in, verdict_name(res.verdict));
		json_decref(orig);
		return 1;
	}
	rc = failure_write_shrunk(&fl, orig, sr, out, why, whylen);
	json_decref(orig);
	return rc;
}
