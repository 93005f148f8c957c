/*
 * test_app.c - the replicated key-value store: results users see, the
 * at-most-once client table, the state digest, snapshots.
 */
#include "app.h"
#include "err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct app *mk(uint32_t keys, uint32_t clients)
{
	struct app_limits lim = {.max_keys = keys, .max_clients = clients};
	struct app *a = NULL;

	cr_assert_eq(app_new(&lim, &a), 0);
	return a;
}

/* Execute op as client c at timestamp ts; return the result as a string. */
static const char *run(struct app *a, uint32_t c, uint64_t ts, const char *op)
{
	static char out[512];
	const uint8_t *res;
	size_t len;
	int rc =
	    app_execute(a, c, ts, (const uint8_t *)op, strlen(op), &res, &len);

	cr_assert_eq(rc, APP_EXECUTED, "op '%s' gave outcome %d", op, rc);
	memcpy(out, res, len);
	out[len] = '\0';
	return out;
}

Test(app, put_get_del)
{
	struct app *a = mk(16, 2);

	cr_assert_str_eq(run(a, 0, 1, "get x"), "notfound");
	cr_assert_str_eq(run(a, 0, 2, "put x 42"), "ok");
	cr_assert_str_eq(run(a, 1, 1, "get x"), "value 42");
	cr_assert_str_eq(run(a, 1, 2, "put x 43"), "ok");
	cr_assert_str_eq(run(a, 0, 3, "get x"), "value 43");
	cr_assert_str_eq(run(a, 0, 4, "del x"), "ok");
	cr_assert_str_eq(run(a, 0, 5, "del x"), "notfound");
	cr_assert_eq(app_height(a), 7);
	app_destroy(&a);
	cr_assert_null(a);
}

Test(app, bad_ops_execute_as_errors)
{
	struct app *a = mk(16, 1);
	const char *bad[] = {"", "put", "put x", "get", "get  x", "get x ",
			     " get x", "put x a b", "frob x", "get x/y",
			     "put x \x01",
			     /* a key one byte over APP_MAX_KEY (65 bytes) */
			     ("get xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")};
	uint64_t ts = 1;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_str_eq(run(a, 0, ts++, bad[i]), "error bad-op",
				 "op '%s'", bad[i]);
	cr_assert_eq(app_height(a), ts - 1);
	app_destroy(&a);
}

Test(app, full_store)
{
	struct app *a = mk(2, 1);

	cr_assert_str_eq(run(a, 0, 1, "put a 1"), "ok");
	cr_assert_str_eq(run(a, 0, 2, "put b 1"), "ok");
	cr_assert_str_eq(run(a, 0, 3, "put c 1"), "error full");
	cr_assert_str_eq(run(a, 0, 4, "put a 2"), "ok"); /* overwrite fits */
	app_destroy(&a);
}

Test(app, at_most_once)
{
	struct app *a = mk(16, 2);
	const uint8_t *res;
	size_t len;

	cr_assert_str_eq(run(a, 0, 5, "put x 1"), "ok");
	/* The same timestamp again: the cached reply, nothing executed. */
	cr_assert_eq(
	    app_execute(a, 0, 5, (const uint8_t *)"put x 2", 7, &res, &len),
	    APP_DUPLICATE);
	cr_assert_eq(len, 2);
	cr_assert_eq(memcmp(res, "ok", 2), 0);
	/* An older one: not executed, no result. */
	cr_assert_eq(
	    app_execute(a, 0, 4, (const uint8_t *)"put x 3", 7, &res, &len),
	    APP_STALE);
	cr_assert_str_eq(run(a, 1, 1, "get x"), "value 1");
	cr_assert_eq(app_last_timestamp(a, 0), 5);
	cr_assert_eq(
	    app_execute(a, 2, 1, (const uint8_t *)"get x", 5, &res, &len),
	    BYZ_EINVAL);
	cr_assert_eq(
	    app_execute(a, 0, 0, (const uint8_t *)"get x", 5, &res, &len),
	    BYZ_EINVAL);
	app_destroy(&a);
}

Test(app, digest_depends_on_state_and_height)
{
	struct app *a = mk(16, 2), *b = mk(16, 2);
	uint8_t da[32], db[32];

	run(a, 0, 1, "put x 1");
	run(a, 1, 1, "put y 2");
	run(b, 1, 1, "put y 2");
	run(b, 0, 1, "put x 1");
	app_state_digest(a, da);
	app_state_digest(b, db);
	/* Same entries, same client table, same height: same digest. */
	cr_assert_eq(memcmp(da, db, 32), 0);
	run(b, 0, 2, "get x");
	app_state_digest(b, db);
	cr_assert_neq(memcmp(da, db, 32), 0);
	app_destroy(&a);
	app_destroy(&b);
}

Test(app, snapshot_restore_round_trip)
{
	struct app *a = mk(64, 4), *b = mk(64, 4);
	struct wire_buf snap, again;
	uint8_t da[32], db[32];
	char op[64];

	for (int i = 0; i < 40; i++) {
		snprintf(op, sizeof op, "put k%d v%d", i % 13, i);
		run(a, (uint32_t)(i % 3), (uint64_t)(i + 1), op);
	}
	wire_buf_init(&snap, 1 << 20);
	wire_buf_init(&again, 1 << 20);
	cr_assert_eq(app_snapshot(a, &snap), 0);
	cr_assert_eq(app_restore(b, snap.data, snap.len), 0);
	app_state_digest(a, da);
	app_state_digest(b, db);
	cr_assert_eq(memcmp(da, db, 32), 0);
	cr_assert_eq(app_height(b), 40);
	cr_assert_str_eq(run(b, 3, 1, "get k5"), "value v31");
	/* Canonical: a snapshot of the restored store is the same bytes. */
	cr_assert_eq(app_snapshot(a, &again), 0);
	cr_assert_eq(again.len, snap.len);
	cr_assert_eq(memcmp(again.data, snap.data, snap.len), 0);
	wire_buf_free(&snap);
	wire_buf_free(&again);
	app_destroy(&a);
	app_destroy(&b);
}

Test(app, restore_rejects_malformed_snapshots)
{
	struct app *a = mk(64, 4), *b = mk(64, 4);
	struct wire_buf snap;
	uint8_t before[32], after[32], *copy;

	run(a, 0, 1, "put a 1");
	run(a, 1, 1, "put b 2");
	wire_buf_init(&snap, 1 << 20);
	cr_assert_eq(app_snapshot(a, &snap), 0);
	run(b, 2, 1, "put z 9");
	app_state_digest(b, before);
	/* Every strict prefix is truncated. */
	for (size_t len = 0; len < snap.len; len++)
		cr_assert_lt(app_restore(b, snap.data, len), 0, "prefix %zu",
			     len);
	/* A trailing byte. */
	copy = malloc(snap.len + 1);
	memcpy(copy, snap.data, snap.len);
	copy[snap.len] = 0;
	cr_assert_eq(app_restore(b, copy, snap.len + 1), BYZ_ETRAILING);
	/* Keys out of order: swap the two one-byte keys "a" and "b". */
	memcpy(copy, snap.data, snap.len);
	for (size_t i = 0; i + 1 < snap.len; i++)
		if (copy[i] == 1 && copy[i + 1] == 'a') {
			copy[i + 1] = 'c';
			break;
		}
	cr_assert_eq(app_restore(b, copy, snap.len), BYZ_EFIELD);
	copy[0] = 'X';
	cr_assert_eq(app_restore(b, copy, snap.len), BYZ_EMAGIC);
	/* A failed restore leaves the store as it was. */
	app_state_digest(b, after);
	cr_assert_eq(memcmp(before, after, 32), 0);
	free(copy);
	wire_buf_free(&snap);
	app_destroy(&a);
	app_destroy(&b);
}
