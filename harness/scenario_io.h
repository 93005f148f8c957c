/*
 * scenario_io.h - a scenario as data: set from text (scenario and campaign
 * files), to and from JSON (runs.jsonl, failures/<id>.json, replay).
 *
 * The fields and their text forms (docs/campaigns.md):
 *
 *   protocol      a registered protocol's name (lib/protocols.list)
 *   n, f          replicas and faults tolerated (f defaults to (n-1)/3)
 *   seed          the run's seed (keys, network, workload, adversary)
 *   clients, requests, keys        the workload
 *   latency, jitter, gst, timeout, retry, retry_max, think, max_time,
 *   bound         durations: 250us, 20ms, 1.5s (JSON: *_us integers)
 *   loss          a probability
 *   batch, window, checkpoint      protocol sizes
 *   byzantine     replica ids (a list), or a count b (replicas 0..b-1)
 *   attacks       a list of attack texts (attack.h)
 *   stop_on_violation             true | false
 *
 * JSON carries the same, with durations as integers in microseconds under
 * NAME_us, and crashes as objects, so a saved scenario replays exactly.
 */
#ifndef BYZ_SCENARIO_IO_H
#define BYZ_SCENARIO_IO_H

#include "scenario.h"

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

/* Everything needed to run sc again, as a JSON object (new reference). */
json_t *scenario_to_json(const struct scenario *sc);
/* The reverse: sc is reset to the defaults first; unknown keys are an
 * error. 0 or -1 with why. */
int scenario_from_json(const json_t *o, struct scenario *sc, char *why,
		       size_t whylen);

/* The attacks of a scenario as one line ("equivocate; drop:p=0.1"). */
void scenario_attacks_text(const struct scenario *sc, char *out, size_t cap);

#endif
