/*
 * scenario_io.h - a scenario as data: set from text (scenario and campaign
 * files), to and from JSON (runs.jsonl, failures/<id>.json, replay).
 *
 * The fields and their text forms (docs/campaigns.md):
 *
 *   protocol      a registered protocol's name (lib/protocols.list)
 *   n, f          replicas and faults tolerated (f defaults to the most the
 *                 protocol's failure model allows: (n-1)/3, or (n-1)/2)
 *   seed          the run's seed (keys, network, workload, adversary)
 *   clients, requests, keys        the workload
 *   latency, jitter, gst, timeout, retry, retry_max, think, max_time,
 *   bound         durations: 250us, 20ms, 1.5s (JSON: *_us integers)
 *   loss          a probability
 *   batch, window, checkpoint      protocol sizes
 *   byzantine     a count b (replicas 0..b-1), or replicas r3, r0,r2
 *   attacks       a list of attack texts (attack.h)
 *   crash         R@T[,restart@T2[,fresh]] (scenario files: crashes)
 *   stop_on_violation             true | false
 *
 * JSON carries the same, with durations as integers in microseconds under
 * NAME_us, and crashes as objects, so a saved scenario replays exactly.
 */
#ifndef BYZ_SCENARIO_IO_H
#define BYZ_SCENARIO_IO_H

#include "scenario.h"

#include <stdbool.h>

#include <jansson.h>
#include <stddef.h>

/* Set one field from its text form; 0 or -1 with why ("requests: '0' is
 * not a whole number from 1 to 1000000"). Call after n is final for
 * byzantine and attacks. */
int scenario_set(struct scenario *sc, const char *key, const char *value,
		 char *why, size_t whylen);
/* Whether key names a field scenario_set knows (scalars only). */
bool scenario_is_field(const char *key);

/* Add one attack (text) to the plan; 0 or -1 with why. */
int scenario_add_attack(struct scenario *sc, const char *text, char *why,
			size_t whylen);

/*
 * A scenario built from text in the order it is given: a command line,
 * scenario files (scenario_text_load), or both, each field through
 * scenario_set (one parser, one set of bounds). Scalars are set at once, a
 * later value overriding an earlier one; byzantine, crash and attacks,
 * which depend on n, are kept as text and set by scenario_text_finish. A
 * source's crashes and attacks replace those of an earlier source, and add
 * up within one. Errors say where: "--n: ..." or "FILE:LINE: n: ...".
 */
#define SCENARIO_TEXT_MAX  512
#define SCENARIO_WHERE_MAX 160

struct scenario_where {
	char prefix[SCENARIO_WHERE_MAX]; /* "" or "FILE:LINE: " */
	char name[40];			 /* "--n", or the field "n" */
};

struct scenario_pending {
	char text[SCENARIO_TEXT_MAX];
	struct scenario_where where;
};

struct scenario_text {
	struct scenario *sc;
	bool f_given, byz_given;
	struct scenario_where f_where, n_where;
	struct scenario_pending byzantine;
	struct scenario_pending attacks[ATK_MAX], crashes[SIM_MAX_CRASHES];
	size_t nattacks, ncrashes;
	int attacks_src, crashes_src; /* the source that set them, -1: none */
	int next_src;
};

/* Start with sc at its defaults (scenario_defaults). */
void scenario_text_init(struct scenario_text *st, struct scenario *sc);
/* A new source (a command line, a file): its lists replace earlier ones. */
int scenario_text_source(struct scenario_text *st);
/* Set key ("n", "gst", "attacks", "crash", ...) to value. With bare_ms,
 * a duration without a unit is milliseconds (the command line's
 * spelling). 0 or -1 with why saying where. */
int scenario_text_set(struct scenario_text *st, int src, const char *key,
		      const char *value, const struct scenario_where *where,
		      bool bare_ms, char *why, size_t whylen);
/* Read a scenario file, the YAML subset of conf.h (a map of scenario
 * fields, docs/scenarios.md), or JSON (a scenario object, or a saved
 * failure's); its fields are set as one source. 0 or -1 with why naming
 * the file and line. */
int scenario_text_load(struct scenario_text *st, const char *path, char *why,
		       size_t whylen);
/* The same for a map already parsed (a cluster file, nodes/cluster.h):
 * its keys are scenario fields, except those the NULL-terminated list
 * except names (NULL: none), which are skipped. 0 or -1 with why naming
 * path and line. */
struct conf_node;
int scenario_text_load_map(struct scenario_text *st,
			   const struct conf_node *root, const char *path,
			   const char *const *except, char *why, size_t whylen);
/* f's default (byz_faults_max), its bound, then byzantine, crashes, attacks. */
int scenario_text_finish(struct scenario_text *st, char *why, size_t whylen);

/* Everything needed to run sc again, as a JSON object (new reference). */
json_t *scenario_to_json(const struct scenario *sc);
/* The reverse, for a saved scenario (a failure file's): every field
 * scenario_to_json always writes must be there (max_events, younger than
 * some saved files, may be missing), each of its JSON type and range, each
 * replica of byzantine once, every attack a valid text; unknown keys are an
 * error. 0 or -1 with "FIELD: what is wrong" in why. */
int scenario_from_json(const json_t *o, struct scenario *sc, char *why,
		       size_t whylen);
/* The same, but a missing field has its default (a JSON scenario file). */
int scenario_from_json_some(const json_t *o, struct scenario *sc, char *why,
			    size_t whylen);

/* The attacks of a scenario as one line ("equivocate; drop:p=0.1"). */
void scenario_attacks_text(const struct scenario *sc, char *out, size_t cap);
/* Its faults for people, "byzantine r0,r1; attacks twins; crashes 0", or
 * "" when it has none (the verdict's faults line, the trace's run line). */
void scenario_faults_text(const struct scenario *sc, char *out, size_t cap);
/* A leader schedule as a `leaders` value: "r1,r1,r0" ("" for none). */
void scenario_leaders_text(const struct scenario *sc, char *out, size_t cap);

#endif
