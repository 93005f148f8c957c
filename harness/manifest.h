/*
 * manifest.h - what made a results directory (DIR/campaign.json), and the
 * lock that keeps two invocations from writing one directory (DIR/.lock).
 *
 *   {"byzlab_results": 1, "version": "0.1.0+g084cc2f",
 *    "campaign": "ci", "file": "campaigns/ci.yaml",
 *    "digest": "<hex of the definition's digest>", "runs": 245,
 *    "driver": "sim", "mutant": "", "shards": ["1/3", "2/3"],
 *    "definition": "<the campaign file's canonical text (conf_emit)>"}
 *
 * The definition is the campaign file as parsed and written back without
 * comments or layout, so editing a comment does not change a directory's
 * campaign and editing an attack's parameter does. --resume and --merge
 * compare digest and version (docs/campaigns.md, "Results you can trust").
 */
#ifndef BYZ_MANIFEST_H
#define BYZ_MANIFEST_H

#include "campaign.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_FILE	   "campaign.json"
#define MANIFEST_LOCK	   ".lock"
#define MANIFEST_MAX_BYTES (4u << 20)

/* This program's version as results record it: the project's version and
 * the commit it was built from ("0.1.0+g084cc2f"; "0.1.0" outside git). */
const char *manifest_version(void);

/* The digest (hex) of what defines c's runs: its canonical text, driver
 * and planted mutant. */
void manifest_digest(const struct campaign *c, char out[2 * 32 + 1]);

/*
 * Take DIR's lock (creating DIR and DIR/.lock): a file descriptor to keep
 * open while writing DIR (close-on-exec; forked workers share it), or -1
 * with why: "another byzlab (pid P) is writing DIR", or the error.
 */
int manifest_lock(const char *dir, char *why, size_t whylen);

/* Write DIR/campaign.json for c (atomically). shard: "K/N" of this
 * invocation, added to the shards it records; keep: an existing manifest
 * whose shards and notes of mixing are kept (NULL for none); mixed: why
 * this invocation wrote runs where another campaign or version had
 * (--accept-mismatch), recorded in "mixed" (NULL for none). 0 or -1 with
 * why. */
int manifest_write(const char *dir, const struct campaign *c, const char *shard,
		   const json_t *keep, const char *mixed, char *why,
		   size_t whylen);

/* Write manifest m as DIR/campaign.json (atomically); 0 or -1 with why. */
int manifest_put(const char *dir, json_t *m, char *why, size_t whylen);

/* Read DIR/campaign.json: 0 with *out (a new reference), 1 if DIR has
 * none, -1 with why if it is unreadable or not a manifest. */
int manifest_read(const char *dir, json_t **out, char *why, size_t whylen);

/*
 * Whether manifest m (of directory dir) was made by campaign c with this
 * version: 0, or -1 with a sentence in why saying what differs.
 */
int manifest_matches(const json_t *m, const char *dir, const struct campaign *c,
		     char *why, size_t whylen);

/* Whether two manifests describe the same campaign and version: 0, or -1
 * with why naming the two directories and what differs. */
int manifest_same(const json_t *a, const char *adir, const json_t *b,
		  const char *bdir, char *why, size_t whylen);

#endif
