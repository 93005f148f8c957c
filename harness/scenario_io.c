/*
 * scenario_io.c - scenarios from text and to/from JSON (scenario_io.h).
 */
#include "scenario_io.h"

#include "conf.h"
#include "core.h"
#include "failure.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum ftype { F_U32, F_U64, F_DUR, F_PROB, F_BOOL };

struct field {
	const char *name;
	enum ftype type;
	size_t off;
	uint64_t min, max;
};

#define FLD(name, type, member, min, max)                                      \
	{                                                                      \
		name, type, offsetof(struct scenario, member), min, max        \
	}

static const struct field fields[] = {
    FLD("n", F_U32, n, 1, BYZ_MAX_N),
    FLD("f", F_U32, f, 0, (BYZ_MAX_N - 1) / 2),
    FLD("seed", F_U64, seed, 0, UINT64_MAX),
    FLD("clients", F_U32, clients, 1, 1024),
    FLD("requests", F_U32, requests, 1, 1000000),
    FLD("keys", F_U32, keys, 1, 4096),
    FLD("latency", F_DUR, latency_us, 0, 0),
    FLD("jitter", F_DUR, jitter_us, 0, 0),
    FLD("gst", F_DUR, gst_us, 0, 0),
    FLD("loss", F_PROB, loss, 0, 0),
    FLD("timeout", F_DUR, timeout_us, 1, 0),
    /* max 0: the widest any registered protocol accepts (widest()); each
     * protocol's own range is checked with the whole configuration
     * (scenario_check_config, core.h struct byz_limits). */
    FLD("batch", F_U32, batch, 1, 0),
    FLD("window", F_U32, window, 1, 0),
    FLD("checkpoint", F_U32, checkpoint_interval, 1, 0),
    FLD("retry", F_DUR, retry_us, 1, 0),
    FLD("retry_max", F_DUR, retry_max_us, 1, 0),
    FLD("think", F_DUR, think_us, 0, 0),
    FLD("max_time", F_DUR, max_time_us, 1, 0),
    FLD("max_events", F_U64, max_events, 0, UINT64_MAX),
    FLD("bound", F_DUR, liveness_bound_us, 0, 0),
    FLD("stop_on_violation", F_BOOL, stop_on_violation, 0, 0),
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static const struct field *field_find(const char *key)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].name, key))
			return &fields[i];
	return NULL;
}

bool scenario_is_field(const char *key)
{
	return field_find(key) || !strcmp(key, "protocol") ||
	       !strcmp(key, "mutant") || !strcmp(key, "leaders") ||
	       !strcmp(key, "crypto") || !strcmp(key, "byzantine") ||
	       !strcmp(key, "crash");
}

/* The widest value of batch, window or checkpoint that a registered
 * protocol accepts (its struct byz_limits; a protocol that does not use
 * the field has no say): the bound a scenario field is read against
 * before the protocol's own range is checked. */
static uint64_t widest(const char *name)
{
	uint64_t hi = 0;

	for (const struct byz_core_ops *const *o = byz_core_all(); *o; o++) {
		const struct byz_limits *l = (*o)->limits;
		uint32_t v = !l			       ? 0
			     : !strcmp(name, "batch")  ? l->batch_max
			     : !strcmp(name, "window") ? l->window_max
						       : l->checkpoint_max;
		if (v > hi)
			hi = v;
	}
	return hi ? hi : UINT32_MAX;
}

static int set_field(struct scenario *sc, const struct field *fd,
		     const char *value, char *why, size_t whylen)
{
	char *p = (char *)sc + fd->off;
	uint64_t v;
	double d;

	switch (fd->type) {
	case F_U32:
	case F_U64: {
		uint64_t max = fd->max ? fd->max : widest(fd->name);
		if (byz_parse_u64(value, fd->min, max, &v)) {
			snprintf(
			    why, whylen,
			    "%s: '%.40s' is not a whole number from %" PRIu64
			    " to %" PRIu64,
			    fd->name, value, fd->min, max);
			return -1;
		}
	}
		if (fd->type == F_U32)
			*(uint32_t *)(void *)p = (uint32_t)v;
		else
			*(uint64_t *)(void *)p = v;
		return 0;
	case F_DUR:
		if (attack_parse_duration(value, &v) || v < fd->min) {
			snprintf(
			    why, whylen,
			    "%s: '%.40s' is not a duration (e.g. 250us, 20ms, "
			    "1.5s)%s",
			    fd->name, value, fd->min ? " above 0" : "");
			return -1;
		}
		*(uint64_t *)(void *)p = v;
		return 0;
	case F_PROB:
		if (attack_parse_decimal(value, &d) ||
		    !(d >= 0.0 && d <= 1.0)) {
			snprintf(why, whylen,
				 "%s: '%.40s' is not a probability from 0 to 1 "
				 "(a decimal number such as 0.05)",
				 fd->name, value);
			return -1;
		}
		*(double *)(void *)p = d;
		return 0;
	case F_BOOL:
		if (!strcmp(value, "true") || !strcmp(value, "yes"))
			*(bool *)(void *)p = true;
		else if (!strcmp(value, "false") || !strcmp(value, "no"))
			*(bool *)(void *)p = false;
		else {
			snprintf(why, whylen,
				 "%s: '%.40s' is not true or false", fd->name,
				 value);
			return -1;
		}
		return 0;
	}
	return -1;
}

/* The number of ','-separated parts of s, and whether one is empty. */
static size_t count_parts(const char *s, bool *empty)
{
	size_t k = 1;
	const char *p = s;

	*empty = !*s;
	for (; *p; p++) {
		if (*p != ',')
			continue;
		k++;
		*empty = *empty || p == s || p[1] == ',' || !p[1];
	}
	return k;
}

/* One replica of a list: "r3", or "3" when bare ids are allowed. */
static int parse_replica_id(const char *tok, uint32_t n, bool bare_ok,
			    uint64_t *v)
{
	while (*tok == ' ')
		tok++;
	if (*tok == 'r')
		tok++;
	else if (!bare_ok)
		return -1;
	return byz_parse_u64(tok, 0, n - 1, v);
}

/*
 * A leader schedule: the leaders of views 0, 1, 2, ... in order, as
 * replica names or ids ("r1,r1,r0", "1,1,0"), at most BYZ_MAX_LEADERS;
 * "" or "none": the protocol's rotation. Whether each names a replica of
 * the cluster is checked when the run is built (n may come later).
 */
static int set_leaders(struct scenario *sc, const char *value, char *why,
		       size_t whylen)
{
	char buf[BYZ_MAX_LEADERS * 8], *rest = buf, *tok;
	uint32_t k = 0;
	bool empty;

	sc->nleaders = 0;
	if (!*value || !strcmp(value, "none"))
		return 0;
	if (strlen(value) >= sizeof buf)
		goto bad;
	count_parts(value, &empty);
	if (empty) {
		snprintf(why, whylen,
			 "leaders: '%.60s' has an empty item (replicas are "
			 "separated by one ',': r1,r1,r0)",
			 value);
		return -1;
	}
	strcpy(buf, value);
	while ((tok = byz_next_part(&rest, ','))) {
		uint64_t v;
		if (k == BYZ_MAX_LEADERS)
			goto bad;
		if (byz_parse_u64(tok + (*tok == 'r'), 0, BYZ_MAX_N - 1, &v))
			goto bad;
		sc->leaders[k++] = (uint16_t)v;
	}
	sc->nleaders = k;
	return 0;
bad:
	snprintf(why, whylen,
		 "leaders: '%.60s' is not a list of at most %d replicas, "
		 "the leaders of views 0, 1, 2, ... (r1,r1,r0)",
		 value, BYZ_MAX_LEADERS);
	return -1;
}

void scenario_leaders_text(const struct scenario *sc, char *out, size_t cap)
{
	size_t at = 0;

	if (cap)
		out[0] = '\0';
	for (uint32_t v = 0; v < sc->nleaders && at < cap; v++)
		at += (size_t)snprintf(out + at, cap - at, "%sr%u",
				       v ? "," : "", (unsigned)sc->leaders[v]);
}

/*
 * The two spellings of the Byzantine replicas: a count "2" (replicas 0
 * and 1), or a list of replica names "r3", "r0,r2" (the trace's names).
 * "0,2" (two or more bare ids) is still read as a list; a lone id with a
 * comma ("3,", its former spelling) is refused with the new one. "" or
 * "none": no Byzantine replica.
 */
static int set_byzantine(struct scenario *sc, const char *value, char *why,
			 size_t whylen)
{
	char buf[512], *rest = buf, *tok;
	size_t items, value_len_cut = 0;
	bool bare_ok, empty;
	uint64_t v;

	memset(sc->plan.byzantine, 0, sizeof sc->plan.byzantine);
	if (!*value || !strcmp(value, "none"))
		return 0;
	if (strlen(value) >= sizeof buf)
		goto bad;
	if (!strchr(value, ',') && *value != 'r') {
		if (byz_parse_u64(value, 0, sc->n, &v))
			goto bad;
		for (uint32_t r = 0; r < v; r++)
			sc->plan.byzantine[r] = true;
		return 0;
	}
	items = count_parts(value, &empty);
	if (items == 2 && strlen(value) >= 2 &&
	    value[strlen(value) - 1] == ',' &&
	    strspn(value, "0123456789") == strlen(value) - 1) {
		/* "3,": the former spelling of replica 3 alone */
		items = 1;
		empty = false;
		value_len_cut = strlen(value) - 1;
	}
	if (empty) {
		snprintf(why, whylen,
			 "byzantine: '%.60s' has an empty item (replicas are "
			 "separated by one ',': r0,r2; none for no replica)",
			 value);
		return -1;
	}
	bare_ok = items >= 2;
	strcpy(buf, value);
	if (value_len_cut)
		buf[value_len_cut] = '\0';
	while ((tok = byz_next_part(&rest, ','))) {
		if (parse_replica_id(tok, sc->n, bare_ok, &v)) {
			if (items == 1 &&
			    !byz_parse_u64(tok, 0, sc->n - 1, &v)) {
				snprintf(
				    why, whylen,
				    "byzantine: '%.60s' is ambiguous: write "
				    "r%" PRIu64 " for replica %" PRIu64
				    " alone, or %" PRIu64 " for a count "
				    "(replicas 0..%" PRIu64 ")",
				    value, v, v, v, v ? v - 1 : 0);
				return -1;
			}
			goto bad;
		}
		if (sc->plan.byzantine[v]) {
			snprintf(why, whylen,
				 "byzantine: '%.60s' lists replica %" PRIu64
				 " twice",
				 value, v);
			return -1;
		}
		sc->plan.byzantine[v] = true;
	}
	return 0;
bad:
	snprintf(why, whylen,
		 "byzantine: '%.60s' is not a count up to n = %" PRIu32
		 " (2: replicas 0 and 1) or a list of distinct replicas "
		 "(r3, r0,r2)",
		 value, sc->n);
	return -1;
}

/* One crash, "R@T[,restart@T2[,fresh]]": replica R crashes at T; it
 * restarts at T2 from its persisted state, or from nothing with fresh. */
static int parse_crash(const char *value, uint32_t n, struct sim_crash *k,
		       char *why, size_t whylen)
{
	char buf[128], *at, *rest, *tok;
	uint64_t r;
	bool seen_restart = false;

	memset(k, 0, sizeof *k);
	k->keep_state = true;
	if (strlen(value) >= sizeof buf) {
		snprintf(why, whylen, "crash: '%.40s...' is too long", value);
		return -1;
	}
	strcpy(buf, value);
	at = strchr(buf, '@');
	if (!at) {
		snprintf(why, whylen,
			 "crash: '%s' is not R@TIME (e.g. 2@100ms)", value);
		return -1;
	}
	*at++ = '\0';
	if (byz_parse_u64(buf, 0, n - 1, &r)) {
		snprintf(why, whylen,
			 "crash replica: '%.40s' is not a whole number from 0 "
			 "to %" PRIu32,
			 buf, n - 1);
		return -1;
	}
	k->replica = (uint32_t)r;
	rest = at;
	at = byz_next_part(&rest, ',');
	if (attack_parse_duration(at, &k->at_us)) {
		snprintf(why, whylen,
			 "crash time: '%.40s' is not a duration (e.g. 250us, "
			 "20ms, 1.5s)",
			 at);
		return -1;
	}
	while ((tok = byz_next_part(&rest, ','))) {
		if (!*tok) {
			snprintf(why, whylen,
				 "crash: '%s' has an empty part (parts are "
				 "separated by one ',': R@TIME,restart@TIME,"
				 "fresh)",
				 value);
			return -1;
		}
		if ((!strncmp(tok, "restart@", 8) && seen_restart) ||
		    (!strcmp(tok, "fresh") && !k->keep_state)) {
			snprintf(why, whylen, "crash: '%s' gives %.8s twice",
				 value, tok);
			return -1;
		}
		if (strncmp(tok, "restart@", 8) == 0) {
			seen_restart = true;
			if (attack_parse_duration(tok + 8, &k->restart_at_us)) {
				snprintf(why, whylen,
					 "crash restart time: '%.40s' is not a "
					 "duration (e.g. 250us, 20ms, 1.5s)",
					 tok + 8);
				return -1;
			}
			if (k->restart_at_us <= k->at_us) {
				snprintf(
				    why, whylen,
				    "crash: '%s' restarts before it crashes",
				    value);
				return -1;
			}
		} else if (strcmp(tok, "fresh") == 0) {
			k->keep_state = false;
		} else {
			snprintf(
			    why, whylen,
			    "crash: unknown part '%.40s' in '%s' (expected "
			    "restart@TIME or fresh)",
			    tok, value);
			return -1;
		}
	}
	if (!k->keep_state && !seen_restart) {
		snprintf(why, whylen,
			 "crash: '%s': fresh applies only with restart@TIME "
			 "(the replica restarts from nothing)",
			 value);
		return -1;
	}
	return 0;
}

int scenario_set(struct scenario *sc, const char *key, const char *value,
		 char *why, size_t whylen)
{
	const struct field *fd;

	if (!strcmp(key, "protocol")) {
		const struct byz_core_ops *ops = byz_core_find(value);
		if (!ops) {
			snprintf(
			    why, whylen,
			    "protocol: unknown protocol '%.40s' (available: "
			    "%s)",
			    value, byz_core_names());
			return -1;
		}
		sc->ops = ops;
		return 0;
	}
	if (!strcmp(key, "mutant")) {
		/* Checked against the protocol when the run is built
		 * (scenario_check_config): the protocol may come later. */
		size_t len = strlen(value);
		if (len >= sizeof sc->mutant) {
			snprintf(why, whylen, "mutant: '%.40s...' is too long",
				 value);
			return -1;
		}
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)value[i]) &&
			    !strchr("-+_", value[i])) {
				snprintf(why, whylen,
					 "mutant: '%.40s' is not a mutant name "
					 "(letters, digits, '-', '+')",
					 value);
				return -1;
			}
		memcpy(sc->mutant, value, len + 1);
		return 0;
	}
	if (!strcmp(key, "crypto")) {
		if (!strcmp(value, "ed25519"))
			sc->crypto = BYZ_SCHEME_ED25519;
		else if (!strcmp(value, "fast"))
			sc->crypto = BYZ_SCHEME_FAST;
		else {
			snprintf(why, whylen,
				 "crypto: '%.40s' is not a signature scheme "
				 "(ed25519, or fast: keyed hashes for "
				 "exploration, docs/crypto.md)",
				 value);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "leaders"))
		return set_leaders(sc, value, why, whylen);
	if (!strcmp(key, "byzantine"))
		return set_byzantine(sc, value, why, whylen);
	if (!strcmp(key, "crash")) {
		if (sc->ncrashes >= SIM_MAX_CRASHES) {
			snprintf(why, whylen, "crash: at most %d crashes",
				 SIM_MAX_CRASHES);
			return -1;
		}
		if (parse_crash(value, sc->n, &sc->crashes[sc->ncrashes], why,
				whylen))
			return -1;
		sc->ncrashes++;
		return 0;
	}
	fd = field_find(key);
	if (!fd) {
		snprintf(why, whylen, "unknown scenario field '%.40s'", key);
		return -1;
	}
	return set_field(sc, fd, value, why, whylen);
}

int scenario_add_attack(struct scenario *sc, const char *text, char *why,
			size_t whylen)
{
	char inner[256];

	if (sc->plan.count >= ATK_MAX) {
		snprintf(why, whylen, "attacks: at most %d", ATK_MAX);
		return -1;
	}
	if (attack_parse(text, sc->n, &sc->plan.a[sc->plan.count], inner,
			 sizeof inner)) {
		snprintf(why, whylen, "attack '%.80s': %s", text, inner);
		return -1;
	}
	sc->plan.count++;
	return 0;
}

void scenario_attacks_text(const struct scenario *sc, char *out, size_t cap)
{
	size_t len = 0;

	if (!cap)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < sc->plan.count && len + 1 < cap; i++) {
		char one[600];
		int w;
		attack_format(&sc->plan.a[i], one, sizeof one);
		w = snprintf(out + len, cap - len, "%s%s", i ? "; " : "", one);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (!sc->plan.count)
		snprintf(out, cap, "none");
}

/* ---- JSON ------------------------------------------------------------------
 */

json_t *scenario_to_json(const struct scenario *sc)
{
	json_t *o = json_object(), *byz = json_array(), *atk = json_array(),
	       *cr = json_array();

	json_object_set_new(o, "protocol", json_string(sc->ops->name));
	if (sc->mutant[0])
		json_object_set_new(o, "mutant", json_string(sc->mutant));
	if (sc->crypto != BYZ_SCHEME_ED25519)
		json_object_set_new(
		    o, "crypto", json_string(scenario_crypto_name(sc->crypto)));
	if (sc->nleaders) {
		char lt[BYZ_MAX_LEADERS * 5 + 1];
		scenario_leaders_text(sc, lt, sizeof lt);
		json_object_set_new(o, "leaders", json_string(lt));
	}
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *fd = &fields[i];
		const char *p = (const char *)sc + fd->off;
		char key[48];
		switch (fd->type) {
		case F_U32:
			json_object_set_new(
			    o, fd->name,
			    json_integer(*(const uint32_t *)(const void *)p));
			break;
		case F_U64:
			/* seeds above 2^63 do not fit a JSON integer: text */
			if (*(const uint64_t *)(const void *)p > INT64_MAX) {
				char t[24];
				snprintf(t, sizeof t, "%" PRIu64,
					 *(const uint64_t *)(const void *)p);
				json_object_set_new(o, fd->name,
						    json_string(t));
			} else {
				json_object_set_new(
				    o, fd->name,
				    json_integer(
					(json_int_t) *
					(const uint64_t *)(const void *)p));
			}
			break;
		case F_DUR:
			snprintf(key, sizeof key, "%s_us", fd->name);
			json_object_set_new(
			    o, key,
			    json_integer((json_int_t) *
					 (const uint64_t *)(const void *)p));
			break;
		case F_PROB:
			json_object_set_new(
			    o, fd->name,
			    json_real(*(const double *)(const void *)p));
			break;
		case F_BOOL:
			json_object_set_new(
			    o, fd->name,
			    json_boolean(*(const bool *)(const void *)p));
			break;
		}
	}
	for (uint32_t r = 0; r < sc->n; r++)
		if (sc->plan.byzantine[r])
			json_array_append_new(byz, json_integer(r));
	json_object_set_new(o, "byzantine", byz);
	for (size_t i = 0; i < sc->plan.count; i++) {
		char text[600];
		attack_format(&sc->plan.a[i], text, sizeof text);
		json_array_append_new(atk, json_string(text));
	}
	json_object_set_new(o, "attacks", atk);
	for (size_t i = 0; i < sc->ncrashes; i++) {
		const struct sim_crash *k = &sc->crashes[i];
		json_array_append_new(
		    cr,
		    json_pack("{s:i,s:I,s:I,s:b}", "replica", (int)k->replica,
			      "at_us", (json_int_t)k->at_us, "restart_at_us",
			      (json_int_t)k->restart_at_us, "keep_state",
			      k->keep_state));
	}
	json_object_set_new(o, "crashes", cr);
	return o;
}

/* What a JSON value is, for messages: "found a string". */
static const char *json_kind(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return json_integer_value(v) < 0 ? "a negative number"
						 : "a whole number";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "true or false";
	case JSON_NULL:
		break;
	}
	return "null";
}

/* A whole number of the JSON form: an integer >= 0 (a seed above 2^63 - 1
 * is written as a string of digits, text_ok). 0 or -1. */
static int json_whole(const json_t *v, bool text_ok, uint64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (text_ok && json_is_string(v) &&
	    !byz_parse_u64(json_string_value(v), (uint64_t)INT64_MAX + 1,
			   UINT64_MAX, out))
		return 0;
	return -1;
}

/* A list of texts or of objects: the keys that are not fields. */
static bool json_is_list_key(const char *key)
{
	return !strcmp(key, "byzantine") || !strcmp(key, "attacks") ||
	       !strcmp(key, "crashes");
}

/* Optional keys of the JSON form (scenario_to_json writes every other
 * one): the two written only when set, and max_events, which scenarios
 * saved before it existed lack (0: the default cap). */
static bool json_is_optional(const char *key)
{
	return !strcmp(key, "mutant") || !strcmp(key, "leaders") ||
	       !strcmp(key, "max_events") || !strcmp(key, "crypto");
}

/* One crash object of "crashes": exactly replica, at_us, restart_at_us
 * and keep_state. */
static int crash_from_json(const json_t *e, size_t i, uint32_t n,
			   struct sim_crash *k, char *why, size_t whylen)
{
	static const char *const keys[] = {"replica", "at_us", "restart_at_us",
					   "keep_state"};
	const char *key;
	json_t *v;
	uint64_t r, at, back;

	if (!json_is_object(e)) {
		snprintf(why, whylen,
			 "crashes[%zu]: expected an object {replica, at_us, "
			 "restart_at_us, keep_state}, found %s",
			 i, json_kind(e));
		return -1;
	}
	json_object_foreach((json_t *)e, key, v)
	{
		bool known = false;
		for (size_t j = 0; j < 4; j++)
			known = known || !strcmp(key, keys[j]);
		if (!known) {
			snprintf(
			    why, whylen,
			    "crashes[%zu]: unknown field '%.40s' (replica, "
			    "at_us, restart_at_us, keep_state)",
			    i, key);
			return -1;
		}
	}
	for (size_t j = 0; j < 4; j++)
		if (!json_object_get(e, keys[j])) {
			snprintf(why, whylen, "crashes[%zu]: %s is missing", i,
				 keys[j]);
			return -1;
		}
	if (json_whole(json_object_get(e, "replica"), false, &r) || r >= n) {
		snprintf(why, whylen,
			 "crashes[%zu].replica: expected a replica from 0 to "
			 "%" PRIu32 ", found %s",
			 i, n - 1, json_kind(json_object_get(e, "replica")));
		return -1;
	}
	if (json_whole(json_object_get(e, "at_us"), false, &at) ||
	    json_whole(json_object_get(e, "restart_at_us"), false, &back)) {
		snprintf(why, whylen,
			 "crashes[%zu]: at_us and restart_at_us must be whole "
			 "numbers of microseconds (restart_at_us 0: no "
			 "restart)",
			 i);
		return -1;
	}
	if (back && back <= at) {
		snprintf(why, whylen,
			 "crashes[%zu]: restart_at_us %" PRIu64
			 " is not after at_us %" PRIu64,
			 i, back, at);
		return -1;
	}
	if (!json_is_boolean(json_object_get(e, "keep_state"))) {
		snprintf(why, whylen,
			 "crashes[%zu].keep_state: expected true or false, "
			 "found %s",
			 i, json_kind(json_object_get(e, "keep_state")));
		return -1;
	}
	k->replica = (uint32_t)r;
	k->at_us = at;
	k->restart_at_us = back;
	k->keep_state = json_is_true(json_object_get(e, "keep_state"));
	return 0;
}

/* One key of the JSON form other than n (set first). 0 or -1 with why. */
static int field_from_json(struct scenario *sc, const char *key,
			   const json_t *v, char *why, size_t whylen)
{
	const struct field *fd;
	char name[48], text[64];
	size_t klen = strlen(key), i;
	json_t *e;
	uint64_t u;

	if (!strcmp(key, "protocol") || !strcmp(key, "mutant") ||
	    !strcmp(key, "leaders") || !strcmp(key, "crypto")) {
		if (!json_is_string(v)) {
			snprintf(why, whylen, "%s: expected a string, found %s",
				 key, json_kind(v));
			return -1;
		}
		return scenario_set(sc, key, json_string_value(v), why, whylen);
	}
	if (json_is_list_key(key) && !json_is_array(v)) {
		snprintf(why, whylen, "%s: expected a list, found %s", key,
			 json_kind(v));
		return -1;
	}
	if (!strcmp(key, "byzantine")) {
		memset(sc->plan.byzantine, 0, sizeof sc->plan.byzantine);
		json_array_foreach(v, i, e)
		{
			if (json_whole(e, false, &u) || u >= sc->n) {
				snprintf(why, whylen,
					 "byzantine[%zu]: expected a replica "
					 "from 0 to %" PRIu32 ", found %s",
					 i, sc->n - 1, json_kind(e));
				return -1;
			}
			if (sc->plan.byzantine[u]) {
				snprintf(why, whylen,
					 "byzantine: replica %" PRIu64
					 " is listed twice",
					 u);
				return -1;
			}
			sc->plan.byzantine[u] = true;
		}
		return 0;
	}
	if (!strcmp(key, "attacks")) {
		sc->plan.count = 0;
		json_array_foreach(v, i, e)
		{
			char inner[400];
			if (!json_is_string(e)) {
				snprintf(why, whylen,
					 "attacks[%zu]: expected an attack "
					 "text, found %s",
					 i, json_kind(e));
				return -1;
			}
			if (scenario_add_attack(sc, json_string_value(e), inner,
						sizeof inner)) {
				snprintf(why, whylen, "attacks[%zu]: %s", i,
					 inner);
				return -1;
			}
		}
		return 0;
	}
	if (!strcmp(key, "crashes")) {
		if (json_array_size(v) > SIM_MAX_CRASHES) {
			snprintf(why, whylen, "crashes: at most %d crashes",
				 SIM_MAX_CRASHES);
			return -1;
		}
		json_array_foreach(v, i, e)
		{
			if (crash_from_json(e, i, sc->n, &sc->crashes[i], why,
					    whylen))
				return -1;
		}
		sc->ncrashes = json_array_size(v);
		return 0;
	}
	snprintf(name, sizeof name, "%s", key);
	if (klen > 3 && klen < sizeof name && !strcmp(key + klen - 3, "_us"))
		name[klen - 3] = '\0';
	fd = field_find(name);
	if (!fd || (fd->type == F_DUR) != (strcmp(name, key) != 0)) {
		snprintf(why, whylen,
			 "unknown scenario field '%.40s' (docs/scenarios.md "
			 "lists them; durations are NAME_us)",
			 key);
		return -1;
	}
	switch (fd->type) {
	case F_U32:
	case F_U64:
		if (json_whole(v, fd->type == F_U64, &u)) {
			snprintf(why, whylen,
				 "%s: expected a whole number from %" PRIu64
				 " to %" PRIu64 "%s, found %s",
				 key, fd->min, fd->max,
				 fd->type == F_U64
				     ? " (a JSON integer, or above 2^63 - 1 a "
				       "string of digits)"
				     : " (a JSON integer)",
				 json_kind(v));
			return -1;
		}
		snprintf(text, sizeof text, "%" PRIu64, u);
		return set_field(sc, fd, text, why, whylen);
	case F_DUR:
		if (json_whole(v, false, &u) || u < fd->min) {
			snprintf(
			    why, whylen,
			    "%s: expected a whole number of microseconds%s "
			    "(a JSON integer), found %s",
			    key, fd->min ? " above 0" : "", json_kind(v));
			return -1;
		}
		*(uint64_t *)(void *)((char *)sc + fd->off) = u;
		return 0;
	case F_PROB: {
		double d = json_is_number(v) ? json_number_value(v) : -1.0;
		if (!(d >= 0.0 && d <= 1.0)) {
			snprintf(why, whylen,
				 "%s: expected a probability from 0 to 1 (a "
				 "JSON number), found %s",
				 key, json_kind(v));
			return -1;
		}
		*(double *)(void *)((char *)sc + fd->off) = d;
		return 0;
	}
	case F_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(why, whylen,
				 "%s: expected true or false, found %s", key,
				 json_kind(v));
			return -1;
		}
		*(bool *)(void *)((char *)sc + fd->off) = json_is_true(v);
		return 0;
	}
	return -1;
}

/* complete: every field must be there (a saved failure's scenario, which
 * scenario_to_json wrote); else a missing one has its default. */
static int from_json(const json_t *o, struct scenario *sc, bool complete,
		     char *why, size_t whylen)
{
	const char *key;
	json_t *v;
	char name[48];

	scenario_defaults(sc);
	if (!json_is_object(o)) {
		snprintf(why, whylen,
			 "the scenario is not a JSON object (found %s)",
			 json_kind(o));
		return -1;
	}
	for (size_t i = 0; complete && i < NFIELDS + 4; i++) {
		static const char *const more[] = {"protocol", "byzantine",
						   "attacks", "crashes"};
		const char *k =
		    i < NFIELDS ? fields[i].name : more[i - NFIELDS];
		snprintf(name, sizeof name, "%s%s", k,
			 i < NFIELDS && fields[i].type == F_DUR ? "_us" : "");
		if (!json_is_optional(name) && !json_object_get(o, name)) {
			snprintf(why, whylen,
				 "%s is missing (a saved scenario has every "
				 "field)",
				 name);
			return -1;
		}
	}
	/* n first: byzantine and attacks are checked against it */
	if (json_object_get(o, "n")) {
		if (field_from_json(sc, "n", json_object_get(o, "n"), why,
				    whylen))
			return -1;
		sc->f = byz_faults_max(sc->ops, sc->n);
	}
	json_object_foreach((json_t *)o, key, v)
	{
		if (strcmp(key, "n") &&
		    field_from_json(sc, key, v, why, whylen))
			return -1;
	}
	if (byz_faults_min_n(sc->ops, sc->f) > sc->n) {
		snprintf(why, whylen,
			 "f = %" PRIu32 " needs n >= %" PRIu64 " (%s: %s)",
			 sc->f, byz_faults_min_n(sc->ops, sc->f), sc->ops->name,
			 byz_faults_rule(sc->ops));
		return -1;
	}
	return 0;
}

int scenario_from_json(const json_t *o, struct scenario *sc, char *why,
		       size_t whylen)
{
	return from_json(o, sc, true, why, whylen);
}

int scenario_from_json_some(const json_t *o, struct scenario *sc, char *why,
			    size_t whylen)
{
	return from_json(o, sc, false, why, whylen);
}

/* ---- scenarios from text in order (command line, scenario files) ------- */

void scenario_text_init(struct scenario_text *st, struct scenario *sc)
{
	memset(st, 0, sizeof *st);
	st->sc = sc;
	scenario_defaults(sc);
	st->attacks_src = st->crashes_src = -1;
	snprintf(st->n_where.name, sizeof st->n_where.name, "n");
}

int scenario_text_source(struct scenario_text *st)
{
	return st->next_src++;
}

/* why, which scenario_set began with the field's name, begun with where
 * instead: "--requests: '0' is not ..." or "s.yaml:3: requests: ...". */
static int say_where(const struct scenario_where *where, const char *key,
		     char *why, size_t whylen)
{
	char inner[400];
	const char *rest = inner;
	size_t klen = strlen(key);

	snprintf(inner, sizeof inner, "%s", why);
	if (!strncmp(inner, key, klen))
		rest = inner + klen;
	snprintf(why, whylen, "%s%s%s%s", where->prefix, where->name,
		 (*rest == ':' || *rest == ' ') ? "" : ": ", rest);
	return -1;
}

/* A duration without a unit is milliseconds: "300" -> "300ms". */
static void bare_to_ms(const char *in, char *out, size_t cap)
{
	size_t i = 0;

	while (in[i] && (isdigit((unsigned char)in[i]) || in[i] == '.'))
		i++;
	if (i && !in[i] && strcmp(in, "0"))
		snprintf(out, cap, "%sms", in);
	else
		snprintf(out, cap, "%s", in);
}

/* The same in a crash text: "2@100,restart@400" -> "2@100ms,...". Every
 * part is kept, empty ones too (parse_crash refuses them). */
static void crash_bare_to_ms(const char *in, char *out, size_t cap)
{
	char buf[SCENARIO_TEXT_MAX], *rest = buf, *tok;
	size_t len = 0;

	snprintf(buf, sizeof buf, "%s", in);
	out[0] = '\0';
	for (int i = 0; (tok = byz_next_part(&rest, ',')) && len < cap; i++) {
		char *at = strchr(tok, '@'), dur[64];
		if (at) {
			*at = '\0';
			bare_to_ms(at + 1, dur, sizeof dur);
			len += (size_t)snprintf(out + len, cap - len, "%s%s@%s",
						i ? "," : "", tok, dur);
		} else {
			len += (size_t)snprintf(out + len, cap - len, "%s%s",
						i ? "," : "", tok);
		}
	}
	if (!strchr(in, ',') && !strchr(in, '@'))
		snprintf(out, cap, "%s", in);
}

/* Keep text and where it came from, to set once n is final. */
static void pending_set(struct scenario_pending *p, const char *text,
			const struct scenario_where *where)
{
	snprintf(p->text, sizeof p->text, "%s", text);
	p->where = *where;
}

int scenario_text_set(struct scenario_text *st, int src, const char *key,
		      const char *value, const struct scenario_where *where,
		      bool bare_ms, char *why, size_t whylen)
{
	const struct field *fd = field_find(key);
	char text[SCENARIO_TEXT_MAX];

	if (strlen(value) >= sizeof text) {
		snprintf(why, whylen, "%s%s: the value is longer than %d bytes",
			 where->prefix, where->name, SCENARIO_TEXT_MAX - 1);
		return -1;
	}
	snprintf(text, sizeof text, "%s", value);
	if (bare_ms && fd && fd->type == F_DUR)
		bare_to_ms(value, text, sizeof text);
	if (!strcmp(key, "attacks")) {
		if (st->attacks_src != src)
			st->nattacks = 0;
		st->attacks_src = src;
		if (st->nattacks == ATK_MAX) {
			snprintf(why, whylen, "%s%s: at most %d attacks",
				 where->prefix, where->name, ATK_MAX);
			return -1;
		}
		pending_set(&st->attacks[st->nattacks++], text, where);
		return 0;
	}
	if (!strcmp(key, "crash")) {
		if (st->crashes_src != src)
			st->ncrashes = 0;
		st->crashes_src = src;
		if (st->ncrashes == SIM_MAX_CRASHES) {
			snprintf(why, whylen, "%s%s: at most %d crashes",
				 where->prefix, where->name, SIM_MAX_CRASHES);
			return -1;
		}
		if (bare_ms)
			crash_bare_to_ms(value, text, sizeof text);
		pending_set(&st->crashes[st->ncrashes++], text, where);
		return 0;
	}
	if (!strcmp(key, "byzantine")) {
		st->byz_given = true;
		pending_set(&st->byzantine, text, where);
		return 0;
	}
	if (scenario_set(st->sc, key, text, why, whylen))
		return say_where(where, key, why, whylen);
	if (!strcmp(key, "f")) {
		st->f_given = true;
		st->f_where = *where;
	} else if (!strcmp(key, "n")) {
		st->n_where = *where;
	}
	return 0;
}

int scenario_text_finish(struct scenario_text *st, char *why, size_t whylen)
{
	struct scenario *sc = st->sc;

	if (!st->f_given)
		sc->f = byz_faults_max(sc->ops, sc->n);
	if (byz_faults_min_n(sc->ops, sc->f) > sc->n) {
		snprintf(why, whylen,
			 "%s%s %" PRIu32 " needs %s of at least %" PRIu64
			 " (%s: %s)",
			 st->f_where.prefix, st->f_where.name, sc->f,
			 st->n_where.name, byz_faults_min_n(sc->ops, sc->f),
			 sc->ops->name, byz_faults_rule(sc->ops));
		return -1;
	}
	if (st->byz_given &&
	    scenario_set(sc, "byzantine", st->byzantine.text, why, whylen))
		return say_where(&st->byzantine.where, "byzantine", why,
				 whylen);
	sc->ncrashes = 0;
	for (size_t i = 0; i < st->ncrashes; i++)
		if (scenario_set(sc, "crash", st->crashes[i].text, why, whylen))
			return say_where(&st->crashes[i].where, "crash", why,
					 whylen);
	sc->plan.count = 0;
	for (size_t i = 0; i < st->nattacks; i++) {
		char inner[320];
		if (attack_parse(st->attacks[i].text, sc->n,
				 &sc->plan.a[sc->plan.count], inner,
				 sizeof inner)) {
			snprintf(why, whylen, "%s%s '%s': %s",
				 st->attacks[i].where.prefix,
				 st->attacks[i].where.name, st->attacks[i].text,
				 inner);
			return -1;
		}
		sc->plan.count++;
	}
	return 0;
}

/* Byzantine replicas of a YAML list ([0, 2] or [r0, r2]) as "r0,r2". */
static void byzantine_list_text(const struct conf_node *list, char *out,
				size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < list->count && len < cap; i++) {
		const char *t = list->items[i]->kind == CONF_SCALAR
				    ? list->items[i]->text
				    : "?";
		len += (size_t)snprintf(out + len, cap - len, "%s%s%s",
					i ? "," : "", *t == 'r' ? "" : "r", t);
	}
	if (!list->count)
		snprintf(out, cap, "none");
}

/* A YAML scenario file: one map of fields, each set as a scenario_text
 * field of one source, its errors naming the file and line. */
int scenario_text_load_map(struct scenario_text *st,
			   const struct conf_node *root, const char *path,
			   const char *const *except, char *why, size_t whylen)
{
	int src = scenario_text_source(st);

	for (size_t i = 0; i < root->count; i++) {
		const char *key = root->keys[i];
		const struct conf_node *v = root->items[i];
		struct scenario_where where;
		char text[SCENARIO_TEXT_MAX];
		bool skip = false;

		for (size_t k = 0; except && except[k]; k++)
			skip = skip || !strcmp(key, except[k]);
		if (skip)
			continue;

		snprintf(where.prefix, sizeof where.prefix, "%s:%d: ", path,
			 root->key_lines[i]);
		snprintf(where.name, sizeof where.name, "%s", key);
		if (!strcmp(key, "attacks") || !strcmp(key, "crashes")) {
			const char *field = key[0] == 'a' ? "attacks" : "crash";
			size_t n = v->kind == CONF_LIST ? v->count : 1;
			if (v->kind == CONF_MAP)
				goto not_scalar;
			if (v->kind == CONF_LIST && !v->count) {
				/* an empty list: none (replacing any before) */
				if (field[0] == 'a')
					st->nattacks = 0, st->attacks_src = src;
				else
					st->ncrashes = 0, st->crashes_src = src;
			}
			for (size_t j = 0; j < n; j++) {
				const struct conf_node *e =
				    v->kind == CONF_LIST ? v->items[j] : v;
				if (e->kind != CONF_SCALAR)
					goto not_scalar;
				snprintf(where.prefix, sizeof where.prefix,
					 "%s:%d: ", path, e->line);
				snprintf(where.name, sizeof where.name, "%s",
					 field[0] == 'a' ? "attacks" : "crash");
				if (scenario_text_set(st, src, field, e->text,
						      &where, false, why,
						      whylen))
					return -1;
			}
			continue;
		}
		if (!strcmp(key, "byzantine") && v->kind == CONF_LIST) {
			byzantine_list_text(v, text, sizeof text);
			if (scenario_text_set(st, src, key, text, &where, false,
					      why, whylen))
				return -1;
			continue;
		}
		if (!scenario_is_field(key)) {
			snprintf(why, whylen,
				 "%s:%d: unknown scenario field '%.40s' "
				 "(docs/scenarios.md lists them)",
				 path, root->key_lines[i], key);
			return -1;
		}
		if (v->kind != CONF_SCALAR)
			goto not_scalar;
		if (scenario_text_set(st, src, key, v->text, &where, false, why,
				      whylen))
			return -1;
		continue;
	not_scalar:
		snprintf(why, whylen, "%s:%d: %s: expected %s", path, v->line,
			 key,
			 !strcmp(key, "attacks") || !strcmp(key, "crashes")
			     ? "a list of texts"
			     : "one value");
		return -1;
	}
	return 0;
}

static int load_yaml(struct scenario_text *st, const char *path, char *why,
		     size_t whylen)
{
	struct conf_node *root = NULL;
	int rc;

	if (conf_parse_file(path, &root, why, whylen))
		return -1;
	rc = scenario_text_load_map(st, root, path, NULL, why, whylen);
	conf_free(root);
	return rc;
}

/* A JSON scenario (or a saved failure's "scenario"): it sets every field,
 * as one source. */
static int load_json(struct scenario_text *st, const char *path, char *why,
		     size_t whylen)
{
	struct scenario tmp;
	struct scenario_where where = {.name = "f"};
	json_error_t jerr;
	json_t *root, *o;
	char inner[320] = "", text[SCENARIO_TEXT_MAX];
	int src = scenario_text_source(st);
	size_t len = 0;

	struct stat sb;

	if (stat(path, &sb) || !S_ISREG(sb.st_mode) ||
	    sb.st_size > FAILURE_MAX_BYTES) {
		snprintf(why, whylen,
			 "%s: not a regular file of at most %u bytes", path,
			 FAILURE_MAX_BYTES);
		return -1;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(why, whylen, "%s:%d: not JSON: %s", path, jerr.line,
			 jerr.text);
		return -1;
	}
	if (json_object_get(root, "byzlab_failure")) {
		/* a saved failure: checked whole, as replay does */
		struct failure *fl = malloc(sizeof *fl);
		json_decref(root);
		if (!fl || failure_read(path, fl, NULL, why, whylen)) {
			if (!fl)
				snprintf(why, whylen, "out of memory");
			free(fl);
			return -1;
		}
		tmp = fl->sc;
		free(fl);
	} else {
		/* a scenario object, or a record holding one (runs.jsonl's,
		 * run --json's) under "scenario" */
		o = json_object_get(root, "scenario");
		if (scenario_from_json_some(o ? o : root, &tmp, inner,
					    sizeof inner)) {
			snprintf(why, whylen, "%s: %s%s", path,
				 o ? "scenario: " : "", inner);
			json_decref(root);
			return -1;
		}
		json_decref(root);
	}
	snprintf(where.prefix, sizeof where.prefix, "%s: ", path);
	*st->sc = tmp;
	st->f_given = true;
	st->f_where = where;
	/* byzantine, crashes and attacks go through the same text as the
	 * command line's, so later options can replace them */
	text[0] = '\0';
	for (uint32_t r = 0; r < tmp.n; r++)
		if (tmp.plan.byzantine[r])
			len +=
			    (size_t)snprintf(text + len, sizeof text - len,
					     "%sr%" PRIu32, len ? "," : "", r);
	snprintf(where.name, sizeof where.name, "byzantine");
	st->byz_given = true;
	pending_set(&st->byzantine, len ? text : "none", &where);
	st->nattacks = st->ncrashes = 0;
	st->attacks_src = st->crashes_src = src;
	snprintf(where.name, sizeof where.name, "attacks");
	for (size_t i = 0; i < tmp.plan.count; i++) {
		attack_format(&tmp.plan.a[i], text, sizeof text);
		pending_set(&st->attacks[st->nattacks++], text, &where);
	}
	snprintf(where.name, sizeof where.name, "crashes");
	for (size_t i = 0; i < tmp.ncrashes; i++) {
		const struct sim_crash *k = &tmp.crashes[i];
		char at[32], back[32];
		attack_format_duration(k->at_us, at, sizeof at);
		attack_format_duration(k->restart_at_us, back, sizeof back);
		snprintf(text, sizeof text, "%" PRIu32 "@%s%s%s%s", k->replica,
			 at, k->restart_at_us ? ",restart@" : "",
			 k->restart_at_us ? back : "",
			 k->restart_at_us && !k->keep_state ? ",fresh" : "");
		pending_set(&st->crashes[st->ncrashes++], text, &where);
	}
	return 0;
}

int scenario_text_load(struct scenario_text *st, const char *path, char *why,
		       size_t whylen)
{
	FILE *f = fopen(path, "r");
	int c;

	if (!f) {
		snprintf(why, whylen, "cannot read %s: %s", path,
			 strerror(errno));
		return -1;
	}
	do
		c = fgetc(f);
	while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	fclose(f);
	if (c == '{')
		return load_json(st, path, why, whylen);
	return load_yaml(st, path, why, whylen);
}

void scenario_faults_text(const struct scenario *sc, char *out, size_t cap)
{
	char atk[1024];
	size_t at;
	uint32_t b = 0;
	bool any = sc->plan.count || sc->ncrashes;

	for (uint32_t r = 0; r < sc->n; r++)
		any = any || sc->plan.byzantine[r];
	if (!cap)
		return;
	out[0] = '\0';
	if (!any) {
		char lt[BYZ_MAX_LEADERS * 5 + 1];
		scenario_leaders_text(sc, lt, sizeof lt);
		if (sc->mutant[0] || sc->nleaders)
			snprintf(out, cap, "%s%s%s%s",
				 sc->mutant[0] ? "mutant " : "", sc->mutant,
				 sc->nleaders && sc->mutant[0] ? "; " : "",
				 sc->nleaders ? "leaders " : "");
		if (sc->nleaders && strlen(out) + strlen(lt) < cap)
			strcat(out, lt);
		return;
	}
	scenario_attacks_text(sc, atk, sizeof atk);
	at = (size_t)snprintf(out, cap, "byzantine");
	for (uint32_t r = 0; r < sc->n && at < cap; r++)
		if (sc->plan.byzantine[r])
			at +=
			    (size_t)snprintf(out + at, cap - at, "%sr%" PRIu32,
					     b++ ? "," : " ", r);
	if (at < cap)
		at += (size_t)snprintf(out + at, cap - at,
				       "%s; attacks %s; crashes %zu",
				       b ? "" : " none", atk, sc->ncrashes);
	if (sc->mutant[0] && at < cap)
		at += (size_t)snprintf(out + at, cap - at, "; mutant %s",
				       sc->mutant);
	if (sc->nleaders && at < cap) {
		char lt[BYZ_MAX_LEADERS * 5 + 1];
		scenario_leaders_text(sc, lt, sizeof lt);
		snprintf(out + at, cap - at, "; leaders %s", lt);
	}
}
