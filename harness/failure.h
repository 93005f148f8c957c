/*
 * failure.h - a saved failure: everything needed to run a scenario again
 * and what it gave (failures/<id>.json; docs/campaigns.md).
 *
 *   {"byzlab_failure": 1, "id": "...", "campaign": "...", "expect": "...",
 *    "scenario": {scenario_to_json}, "result": {"verdict", "why", "safe",
 *    "live", "violation_us", "trace_hash", ...}, "shrunk_from": ...}
 */
#ifndef BYZ_FAILURE_H
#define BYZ_FAILURE_H

#include "scenario.h"
#include "shrink.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define FAILURE_MAX_BYTES (4u << 20)

struct failure {
	char id[160];
	struct scenario sc;
	char verdict[8];
	bool safe;
	char trace_hash[2 * BYZ_DIGEST_BYTES + 1];
	char why[320];
};

/* The failure document for a run (a new reference). */
json_t *failure_json(const char *id, const char *campaign, const char *expect,
		     const struct scenario *sc,
		     const struct scenario_result *res);
/* Write doc to path atomically, only where it may be (outfile.h: a
 * temporary file, then rename; a target that is not a regular file is
 * refused). 0 or -1 with why naming path. */
int failure_write(const char *path, json_t *doc, char *why, size_t whylen);
/* Read and check a failure file, strictly: every field failure_json always
 * writes must be there, of its JSON type, with a known value (verdict,
 * expect, a run id, a trace hash); no unknown field at any level; the
 * scenario as scenario_from_json. 0 or -1 with "FILE: FIELD: what" in why.
 * The document is returned in *doc if doc is not NULL (a new reference). */
int failure_read(const char *path, struct failure *out, json_t **doc, char *why,
		 size_t whylen);

/* Read the failure at `in`, run it again and shrink it (shrink.h); write
 * the smaller failure to `out` with "shrunk_from" (the original scenario)
 * and "shrink_steps", keeping the original's id, campaign and expect.
 * progress as for shrink_scenario. 0 written; 1 it does not fail when run
 * again (nothing written); -1 with why (a bad file); 2 with why (writing
 * out failed: nothing is left at out, nor a temporary file). */
int failure_shrink(const char *in, const char *out, FILE *progress,
		   struct shrink_result *sr, char *why, size_t whylen);
/* Write the shrunk failure sr of fl (read by failure_read with its
 * document orig) to out, as failure_shrink does. 0, or 2 with why. */
int failure_write_shrunk(const struct failure *fl, json_t *orig,
			 const struct shrink_result *sr, const char *out,
			 char *why, size_t whylen);

#endif
