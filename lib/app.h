/*
 * app.h - the replicated application: a small deterministic key-value store.
 *
 * Operations are short text commands carried in client requests:
 *
 *     put KEY VALUE   -> "ok"
 *     get KEY         -> "value VALUE" or "notfound"
 *     del KEY         -> "ok" or "notfound"
 *
 * KEY is 1..APP_MAX_KEY bytes of [A-Za-z0-9_.:-]; VALUE is 0..APP_MAX_VALUE
 * printable ASCII bytes (0x21..0x7e). Anything else executes as a no-op whose
 * result is "error bad-op"; a put that would exceed max_keys gives
 * "error full". Either way the request counts as executed, so every replica
 * stays in step.
 *
 * The store also keeps the client table that makes execution at-most-once
 * (Castro & Liskov, TOCS'02 §4.1: the last reply sent to each client is
 * part of the replicated state): a request whose timestamp is not newer than
 * the client's last one is not executed again.
 *
 * The state digest is incremental and depends only on the state (not on
 * the history that led to it): the sum, lane-wise mod 2^64, of
 * BLAKE2b-256 of every key/value entry and every client-table entry, hashed
 * with the height. So a replica that restores a snapshot computes the same
 * digest as one that executed its way there.
 */
#ifndef BYZ_APP_H
#define BYZ_APP_H

#include "wire.h"

#include <stddef.h>
#include <stdint.h>

#define APP_MAX_KEY   64
#define APP_MAX_VALUE 256

struct app_limits {
	uint32_t max_keys;    /* entries in the store */
	uint32_t max_clients; /* client ids are 0..max_clients-1 */
};

enum app_outcome {
	APP_EXECUTED = 0, /* executed; *result is its result */
	APP_DUPLICATE =
	    1, /* same timestamp as the last: *result is the cached reply */
	APP_STALE = 2, /* older than the last: not executed, no result */
};

struct app;

int app_new(const struct app_limits *lim, struct app **out);
void app_destroy(struct app **a);

/*
 * Execute client's op with the given timestamp at most once. Returns an
 * enum app_outcome (>= 0) or BYZ_EINVAL for a client id out of range. The
 * result stays valid until the next call that changes the store.
 */
int app_execute(struct app *a, uint32_t client, uint64_t timestamp,
		const uint8_t *op, size_t op_len, const uint8_t **result,
		size_t *result_len);

/* Requests executed so far. */
uint64_t app_height(const struct app *a);
/* The last timestamp executed for client (0 if none or out of range). */
uint64_t app_last_timestamp(const struct app *a, uint32_t client);
void app_state_digest(const struct app *a, uint8_t out[BYZ_DIGEST_BYTES]);

/* A canonical snapshot (entries sorted by key) and its inverse. Restore
 * checks every bound and returns BYZ_E* for a malformed snapshot. */
int app_snapshot(const struct app *a, struct wire_buf *out);
int app_restore(struct app *a, const uint8_t *buf, size_t len);

#endif
