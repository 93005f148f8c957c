/*
 * scenario_io.c - scenarios from text and to/from JSON (scenario_io.h).
 */
#include "scenario_io.h"

#include "core.h"
#include "text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ftype { F_U32, F_U64, F_DUR, F_PROB, F_BOOL };

struct field {
	const char *name;
	enum ftype type;
	size_t off;
	uint64_t min, max;
};

#define FLD(name, type, member, min, max) \
	{name, type, offsetof(struct scenario, member), min, max}

static const struct field fields[] = {
	FLD("n", F_U32, n, 1, BYZ_MAX_N),
	FLD("f", F_U32, f, 0, 21),
	FLD("seed", F_U64, seed, 0, UINT64_MAX),
	FLD("clients", F_U32, clients, 1, 1024),
	FLD("requests", F_U32, requests, 1, 1000000),
	FLD("keys", F_U32, keys, 1, 4096),
	FLD("latency", F_DUR, latency_us, 0, 0),
	FLD("jitter", F_DUR, jitter_us, 0, 0),
	FLD("gst", F_DUR, gst_us, 0, 0),
	FLD("loss", F_PROB, loss, 0, 0),
	FLD("timeout", F_DUR, timeout_us, 1, 0),
	FLD("batch", F_U32, batch, 1, 256),
	FLD("window", F_U32, window, 1, 4096),
	FLD("checkpoint", F_U32, checkpoint_interval, 1, 2048),
	FLD("retry", F_DUR, retry_us, 1, 0),
	FLD("retry_max", F_DUR, retry_max_us, 1, 0),
	FLD("think", F_DUR, think_us, 0, 0),
	FLD("max_time", F_DUR, max_time_us, 1, 0),
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
	       !strcmp(key, "byzantine");
}

static int set_field(struct scenario *sc, const struct field *fd,
		     const char *value, char *why, size_t whylen)
{
	char *p = (char *)sc + fd->off;
	uint64_t v;
	double d;
	char *end;

	switch (fd->type) {
	case F_U32:
	case F_U64:
		if (byz_parse_u64(value, fd->min, fd->max, &v)) {
			snprintf(why, whylen,
				 "%s: '%.40s' is not a whole number from %" PRIu64
				 " to %" PRIu64, fd->name, value, fd->min, fd->max);
			return -1;
		}
		if (fd->type == F_U32)
			*(uint32_t *)(void *)p = (uint32_t)v;
		else
			*(uint64_t *)(void *)p = v;
		return 0;
	case F_DUR:
		if (attack_parse_duration(value, &v) || v < fd->min) {
			snprintf(why, whylen,
				 "%s: '%.40s' is not a duration (e.g. 250us, 20ms, "
				 "1.5s)%s", fd->name, value,
				 fd->min ? " above 0" : "");
			return -1;
		}
		*(uint64_t *)(void *)p = v;
		return 0;
	case F_PROB:
		errno = 0;
		d = strtod(value, &end);
		if (end == value || *end || errno || !(d >= 0.0 && d <= 1.0)) {
			snprintf(why, whylen,
				 "%s: '%.40s' is not a probability from 0 to 1",
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
			snprintf(why, whylen, "%s: '%.40s' is not true or false",
				 fd->name, value);
			return -1;
		}
		return 0;
	}
	return -1;
}

/* "2" (replicas 0..1), "0,2", "" or "none". */
static int set_byzantine(struct scenario *sc, const char *value, char *why,
			 size_t whylen)
{
	char buf[512], *save = NULL, *tok;
	uint64_t v;

	memset(sc->plan.byzantine, 0, sizeof sc->plan.byzantine);
	if (!*value || !strcmp(value, "none"))
		return 0;
	if (strlen(value) >= sizeof buf)
		goto bad;
	if (!strchr(value, ',')) {
		if (byz_parse_u64(value, 0, sc->n, &v))
			goto bad;
		for (uint32_t r = 0; r < v; r++)
			sc->plan.byzantine[r] = true;
		return 0;
	}
	strcpy(buf, value);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (byz_parse_u64(tok, 0, sc->n - 1, &v) || sc->plan.byzantine[v])
			goto bad;
		sc->plan.byzantine[v] = true;
	}
	return 0;
bad:
	snprintf(why, whylen,
		 "byzantine: '%.60s' is not a count up to n = %" PRIu32
		 " or a list of distinct replica ids", value, sc->n);
	return -1;
}

int scenario_set(struct scenario *sc, const char *key, const char *value,
		 char *why, size_t whylen)
{
	const struct field *fd;

	if (!strcmp(key, "protocol")) {
		const struct byz_core_ops *ops = byz_core_find(value);
		if (!ops) {
			snprintf(why, whylen,
				 "protocol: unknown protocol '%.40s' (%s)", value,
				 byz_core_names());
			return -1;
		}
		sc->ops = ops;
		return 0;
	}
	if (!strcmp(key, "byzantine"))
		return set_byzantine(sc, value, why, whylen);
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

/* ---- JSON ------------------------------------------------------------------ */

json_t *scenario_to_json(const struct scenario *sc)
{
	json_t *o = json_object(), *byz = json_array(), *atk = json_array(),
	       *cr = json_array();

	json_object_set_new(o, "protocol", json_string(sc->ops->name));
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *fd = &fields[i];
		const char *p = (const char *)sc + fd->off;
		char key[48];
		switch (fd->type) {
		case F_U32:
			json_object_set_new(o, fd->name,
					    json_integer(*(const uint32_t *)(const void *)p));
			break;
		case F_U64:
			/* seeds above 2^63 do not fit a JSON integer: text */
			if (*(const uint64_t *)(const void *)p > INT64_MAX) {
				char t[24];
				snprintf(t, sizeof t, "%" PRIu64,
					 *(const uint64_t *)(const void *)p);
				json_object_set_new(o, fd->name, json_string(t));
			} else {
				json_object_set_new(
					o, fd->name,
					json_integer((json_int_t) *
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
			json_object_set_new(o, fd->name,
					    json_real(*(const double *)(const void *)p));
			break;
		case F_BOOL:
			json_object_set_new(o, fd->name,
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
			cr, json_pack("{s:i,s:I,s:I,s:b}", "replica", (int)k->replica,
				      "at_us", (json_int_t)k->at_us, "restart_at_us",
				      (json_int_t)k->restart_at_us, "keep_state",
				      k->keep_state));
	}
	json_object_set_new(o, "crashes", cr);
	return o;
}

static int json_u64(const json_t *v, uint64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		return byz_parse_u64(json_string_value(v), 0, UINT64_MAX, out);
	return -1;
}

int scenario_from_json(const json_t *o, struct scenario *sc, char *why,
		       size_t whylen)
{
	const char *key;
	json_t *v;
	char text[64];

	scenario_defaults(sc);
	if (!json_is_object(o)) {
		snprintf(why, whylen, "the scenario is not a JSON object");
		return -1;
	}
	/* n first: byzantine and attacks are checked against it */
	v = json_object_get(o, "n");
	if (v) {
		uint64_t n;
		if (json_u64(v, &n) || n < 1 || n > BYZ_MAX_N) {
			snprintf(why, whylen, "n: not a whole number from 1 to %d",
				 BYZ_MAX_N);
			return -1;
		}
		sc->n = (uint32_t)n;
		sc->f = (sc->n - 1) / 3;
	}
	json_object_foreach((json_t *)o, key, v) {
		const struct field *fd;
		char name[48];
		size_t klen = strlen(key);

		if (!strcmp(key, "n"))
			continue;
		if (!strcmp(key, "protocol")) {
			if (!json_is_string(v) ||
			    scenario_set(sc, key, json_string_value(v), why, whylen))
				goto bad_or_set;
			continue;
		}
		if (!strcmp(key, "byzantine")) {
			size_t i;
			json_t *e;
			if (!json_is_array(v))
				goto bad;
			memset(sc->plan.byzantine, 0, sizeof sc->plan.byzantine);
			json_array_foreach(v, i, e) {
				uint64_t r;
				if (json_u64(e, &r) || r >= sc->n)
					goto bad;
				sc->plan.byzantine[r] = true;
			}
			continue;
		}
		if (!strcmp(key, "attacks")) {
			size_t i;
			json_t *e;
			if (!json_is_array(v))
				goto bad;
			json_array_foreach(v, i, e) {
				if (!json_is_string(e))
					goto bad;
				if (scenario_add_attack(sc, json_string_value(e),
							why, whylen))
					return -1;
			}
			continue;
		}
		if (!strcmp(key, "crashes")) {
			size_t i;
			json_t *e;
			if (!json_is_array(v) || json_array_size(v) > SIM_MAX_CRASHES)
				goto bad;
			json_array_foreach(v, i, e) {
				struct sim_crash *k = &sc->crashes[i];
				uint64_t r, at, back;
				json_t *keep = json_object_get(e, "keep_state");
				if (json_u64(json_object_get(e, "replica"), &r) ||
				    r >= sc->n ||
				    json_u64(json_object_get(e, "at_us"), &at) ||
				    json_u64(json_object_get(e, "restart_at_us"),
					     &back) ||
				    !json_is_boolean(keep))
					goto bad;
				k->replica = (uint32_t)r;
				k->at_us = at;
				k->restart_at_us = back;
				k->keep_state = json_is_true(keep);
			}
			sc->ncrashes = json_array_size(v);
			continue;
		}
		snprintf(name, sizeof name, "%s", key);
		if (klen > 3 && klen < sizeof name &&
		    !strcmp(key + klen - 3, "_us"))
			name[klen - 3] = '\0';
		fd = field_find(name);
		if (!fd || (fd->type == F_DUR) != (strcmp(name, key) != 0)) {
			snprintf(why, whylen, "unknown scenario field '%.40s'", key);
			return -1;
		}
		switch (fd->type) {
		case F_U32:
		case F_U64:
		case F_DUR: {
			uint64_t u;
			if (json_u64(v, &u))
				goto bad;
			if (fd->type == F_DUR) {
				if (u < fd->min)
					goto bad;
				*(uint64_t *)(void *)((char *)sc + fd->off) = u;
				continue;
			}
			snprintf(text, sizeof text, "%" PRIu64, u);
			break;
		}
		case F_PROB:
			if (!json_is_number(v))
				goto bad;
			*(double *)(void *)((char *)sc + fd->off) = json_number_value(v);
			if (!(sc->loss >= 0.0 && sc->loss <= 1.0))
				goto bad;
			continue;
		case F_BOOL:
			if (!json_is_boolean(v))
				goto bad;
			*(bool *)(void *)((char *)sc + fd->off) = json_is_true(v);
			continue;
		}
		if (set_field(sc, fd, text, why, whylen))
			return -1;
		continue;
bad:
		snprintf(why, whylen, "scenario field '%.40s' has a bad value", key);
		return -1;
bad_or_set:
		if (!why[0])
			snprintf(why, whylen, "scenario field '%.40s' has a bad value",
				 key);
		return -1;
	}
	if (3ull * sc->f + 1 > sc->n) {
		snprintf(why, whylen, "f = %" PRIu32 " needs n >= %" PRIu32, sc->f,
			 3 * sc->f + 1);
		return -1;
	}
	return 0;
}
