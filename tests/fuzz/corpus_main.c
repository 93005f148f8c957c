/*
 * corpus_main.c - replays a fuzz corpus directory as an ordinary test.
 *
 *   wire_corpus DIR
 *
 * Every file of DIR (sorted by name; dot files skipped) is fed to
 * LLVMFuzzerTestOneInput, which aborts on a broken invariant. File names
 * carry expectations, checked with wire_decode:
 *
 *   ok-<what>             decodes as a signed frame, and every signature
 *                         it carries verifies with its signer's key from
 *                         seed 1 (CORPUS_SEED: crypto.h's byz_key_derive,
 *                         whatever the id)
 *   err-<errname>-<what>  fails with exactly the code whose byz_errname is
 *                         errname, e.g. err-truncated-header.bin; for the
 *                         ingress errors (bad-signature, unknown-signer) it
 *                         decodes, and ingress_check fails with that code
 *                         for a node that knows the seed-1 keys of replicas
 *                         0..CORPUS_REPLICAS-1 and clients
 *                         0..CORPUS_CLIENTS-1 (docs/wire.md §7)
 *   anything else         (fuzzer findings, fz-<sha1>.bin) must not crash
 *
 * Prints "wire corpus: N files, M expectations checked" and exits 0, or
 * prints each mismatch and exits 1.
 */
#include "crypto.h"
#include "err.h"
#include "ingress.h"
#include "wire.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No file may be longer than the largest frame plus a signature. */
#define MAX_FILE ((size_t)WIRE_MAX_FRAME + 64)
/* err.h codes live in -1 .. -ERR_SPAN. */
#define ERR_SPAN 100
/* The corpus's keys (docs/wire.md §7): every signature is made with the
 * key byz_key_derive gives for (seed 1, role, id); the ingress errors are
 * checked against a node that knows these replicas and clients. */
#define CORPUS_SEED	1
#define CORPUS_REPLICAS 4
#define CORPUS_CLIENTS	8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Read a whole file into a buffer of exactly its size (so ASan sees any
 * read past its end). Returns 0, or -1 with a message printed.
 */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *tmp;
	size_t n = 0, cap = 0, got;
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > MAX_FILE + 1)
				cap = MAX_FILE + 1;
			if (n == cap) {
				fprintf(stderr,
					"%s: longer than %zu bytes (the "
					"largest frame plus 64)\n",
					path, MAX_FILE);
				goto out;
			}
			tmp = realloc(buf, cap);
			if (!tmp) {
				fprintf(stderr, "%s: out of memory\n", path);
				goto out;
			}
			buf = tmp;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		goto out;
	}
	if (n > MAX_FILE) {
		fprintf(stderr, "%s: longer than %zu bytes\n", path, MAX_FILE);
		goto out;
	}
	/* Exactly n bytes, so a read past the end is caught. */
	tmp = malloc(n ? n : 1);
	if (!tmp) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	if (n)
		memcpy(tmp, buf, n);
	*out = tmp;
	*len = n;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

/*
 * The expectation a file name carries: sets *expect and returns 1 for ok-
 * and err-<known name>- files, 0 for names without one, -1 for an err-
 * name whose error name is not in err.h. The longest matching error name
 * wins, since names contain dashes.
 */
static int expectation(const char *name, int *expect)
{
	size_t best = 0;

	if (strncmp(name, "ok-", 3) == 0) {
		*expect = 0;
		return 1;
	}
	if (strncmp(name, "err-", 4) != 0)
		return 0;
	for (int code = -1; code >= -ERR_SPAN; code--) {
		const char *en = byz_errname(code);
		size_t l = strlen(en);

		if (strcmp(en, "unknown-error") == 0)
			continue;
		if (strncmp(name + 4, en, l) == 0 && name[4 + l] == '-' &&
		    l > best) {
			best = l;
			*expect = code;
		}
	}
	return best ? 1 : -1;
}

/* A wire_sig_fn: the signature verifies with the seed-1 key of its signer
 * in the name space of its (protocol, type). */
static int verify_seed_key(void *ctx, const struct wire_sigref *ref)
{
	struct byz_keypair kp;

	(void)ctx;
	byz_key_derive(&kp, CORPUS_SEED, ref->role, ref->signer);
	return byz_verify(kp.pk, ref->proto, ref->type, ref->content, ref->len,
			  ref->sig);
}

/* The node of the ingress expectations: seed-1 keys of replicas
 * 0..CORPUS_REPLICAS-1 and clients 0..CORPUS_CLIENTS-1. */
static struct ingress *corpus_ingress(void)
{
	static uint8_t rpk[CORPUS_REPLICAS][BYZ_PK_BYTES];
	static uint8_t cpk[CORPUS_CLIENTS][BYZ_PK_BYTES];
	struct ingress_keys keys = {CORPUS_REPLICAS, CORPUS_CLIENTS,
				    (const uint8_t(*)[BYZ_PK_BYTES])rpk,
				    (const uint8_t(*)[BYZ_PK_BYTES])cpk};
	struct byz_keypair kp;
	struct ingress *in;

	for (uint32_t i = 0; i < CORPUS_REPLICAS; i++) {
		byz_key_derive(&kp, CORPUS_SEED, BYZ_ROLE_REPLICA, i);
		memcpy(rpk[i], kp.pk, BYZ_PK_BYTES);
	}
	for (uint32_t i = 0; i < CORPUS_CLIENTS; i++) {
		byz_key_derive(&kp, CORPUS_SEED, BYZ_ROLE_CLIENT, i);
		memcpy(cpk[i], kp.pk, BYZ_PK_BYTES);
	}
	if (ingress_new(&keys, 8, &in))
		return NULL;
	return in;
}

/* What a file with an expectation gives: the decoder's code; for a frame
 * that decodes, the first signature that does not verify (ok- files: with
 * the seed-1 key of any id) or ingress's code (files that expect an
 * ingress error). */
static int outcome(struct ingress *in, int expect, const uint8_t *data,
		   size_t len)
{
	struct wire_msg m;
	int got = wire_decode(data, len, &m);

	if (got)
		return got;
	if (expect == BYZ_EBADSIG || expect == BYZ_ESIGNER)
		return ingress_check(in, data, len, &m);
	return wire_for_each_sig(&m, verify_seed_key, NULL);
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, **tmp;
	size_t count = 0, cap = 0, checked = 0, bad = 0;
	struct ingress *in = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	if (byz_crypto_init() || !(in = corpus_ingress())) {
		fprintf(stderr, "cannot set up the corpus keys\n");
		return 1;
	}
	d = opendir(argv[1]);
	if (!d) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 64;
			tmp = realloc(names, cap * sizeof *names);
			if (!tmp) {
				fprintf(stderr, "out of memory\n");
				return 1;
			}
			names = tmp;
		}
		names[count] = strdup(e->d_name);
		if (!names[count]) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		count++;
	}
	closedir(d);
	if (count)
		qsort(names, count, sizeof *names, cmp_names);

	for (size_t i = 0; i < count; i++) {
		char path[4096];
		uint8_t *data;
		size_t len;
		int expect = 0, got, has;

		snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
		if (read_file(path, &data, &len)) {
			bad++;
			continue;
		}
		LLVMFuzzerTestOneInput(data, len);
		has = expectation(names[i], &expect);
		if (has < 0) {
			fprintf(stderr,
				"%s: err- file names no error of err.h\n",
				path);
			bad++;
		} else if (has > 0) {
			got = outcome(in, expect, data, len);
			checked++;
			if (got != expect) {
				fprintf(stderr, "%s: expected %s, got %s\n",
					path, byz_errname(expect),
					byz_errname(got));
				bad++;
			}
		}
		free(data);
	}
	printf("wire corpus: %zu files, %zu expectations checked\n", count,
	       checked);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	ingress_destroy(&in);
	return bad ? 1 : 0;
}
